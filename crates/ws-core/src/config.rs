//! How the user configures the driver (the session configures the venue side).

use std::time::Duration;

use ws_session::ConnectLimiter;
use ws_session::QueueConfig;

/// Which certificates a `wss://` connection trusts. Verification is never switched off.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum TlsRoots {
    /// The Mozilla root set shipped in `webpki-roots`.
    #[default]
    WebPki,
    /// Only these DER-encoded roots (a test root, or a private CA).
    Custom(Vec<Vec<u8>>),
}

impl std::fmt::Debug for TlsRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsRoots::WebPki => f.write_str("WebPki"),
            TlsRoots::Custom(roots) => write!(f, "Custom({} roots)", roots.len()),
        }
    }
}

/// Where inbound messages are handed to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processing {
    /// On the reader task, as each message arrives: the lowest latency (default).
    Inline,
    /// Through a bounded queue to a processing task, so a slow handler does not stall reads.
    Queued(QueueConfig),
}

/// Driver settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverConfig {
    /// TCP + TLS + WebSocket handshake deadline.
    pub connect_timeout: Duration,
    /// Largest accepted message (frame payload, and joined fragments).
    pub max_message_size: usize,
    /// Trusted roots for `wss://` and `https://`.
    pub tls_roots: TlsRoots,
    /// Inline or queued processing.
    pub processing: Processing,
    /// Capacity of the outbound frame channel.
    pub outbound_capacity: usize,
    /// Capacity of the user command channel.
    pub command_capacity: usize,
    /// How long `close()` waits for tasks before aborting them.
    pub close_timeout: Duration,
    /// REST request deadline.
    pub rest_timeout: Duration,
    /// REST requests in flight at once; more wait in a bounded queue.
    pub rest_concurrency: usize,
    /// Largest REST response body.
    pub max_rest_body: usize,
    /// Frames a new connection may deliver during a rotation before the switch; beyond this
    /// the rotation is abandoned and retried later.
    pub rotation_buffer: usize,
    /// Payload bytes a new connection may buffer during a rotation, with the same policy
    /// as `rotation_buffer`.
    pub rotation_buffer_bytes: usize,
    /// Seed for the backoff's jitter. `None` (the default) seeds each connection from the
    /// operating system, so a fleet restarted together does not reconnect in lock-step;
    /// tests fix it.
    pub jitter_seed: Option<u64>,
    /// A connect-rate limit shared with other connections to the same venue, on top of
    /// this connection's own [`crate::ReconnectionPolicy::connect_rate`].
    pub shared_connect_limit: Option<ConnectLimiter>,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            max_message_size: 16 << 20,
            tls_roots: TlsRoots::WebPki,
            processing: Processing::Inline,
            outbound_capacity: 1024,
            command_capacity: 256,
            close_timeout: Duration::from_secs(5),
            rest_timeout: Duration::from_secs(10),
            rest_concurrency: 4,
            max_rest_body: 32 << 20,
            rotation_buffer: 65_536,
            rotation_buffer_bytes: 64 << 20,
            jitter_seed: None,
            shared_connect_limit: None,
        }
    }
}
