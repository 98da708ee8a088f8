//! How a [`Simulator`](crate::Simulator) is set up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::venue::Venue;

/// Everything [`Simulator::start`](crate::Simulator::start) needs.
///
/// Build it with struct-update syntax:
/// `SimConfig { transport: Transport::Tls, ..SimConfig::default() }`.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 lets the OS choose.
    pub port: u16,
    /// Plain TCP or TLS with a generated test root.
    pub transport: Transport,
    /// Largest frame accepted from a client; a bigger one closes the connection with 1009.
    pub max_frame_size: usize,
    /// Most WebSocket connections open at once; further TCP connections are closed on accept.
    pub max_connections: usize,
    /// Capacity of the event channel handed out by `subscribe_events`.
    pub event_capacity: usize,
    /// Capacity of each connection's fault queue.
    pub fault_capacity: usize,
    /// Capacity of each connection's queues between the core and the venue (both directions).
    pub queue_capacity: usize,
    /// The built-in test venue, always mounted at [`TEST_VENUE_PREFIX`].
    pub test_venue: TestVenueConfig,
    /// Further venues, each at its own path prefix.
    pub venues: Vec<Mount>,
}

impl SimConfig {
    /// Adds a venue at `prefix` (for example `"/gateio"`); keep your own `Arc` to drive it.
    pub fn mount<V: Venue>(mut self, prefix: impl Into<String>, venue: Arc<V>) -> Self {
        self.venues.push(Mount {
            prefix: prefix.into(),
            venue,
        });
        self
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            port: 0,
            transport: Transport::Plain,
            max_frame_size: 1 << 20,
            max_connections: 1024,
            event_capacity: 1024,
            fault_capacity: 16,
            queue_capacity: 256,
            test_venue: TestVenueConfig::default(),
            venues: Vec::new(),
        }
    }
}

/// Whether the listener speaks plain TCP or TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// `ws://127.0.0.1:PORT` and `http://127.0.0.1:PORT`.
    #[default]
    Plain,
    /// `wss://localhost:PORT` and `https://localhost:PORT`, with a certificate for `localhost`
    /// and `127.0.0.1` issued by a root generated at start
    /// ([`Simulator::tls_root_der`](crate::Simulator::tls_root_der)).
    Tls,
}

/// A venue mounted at a path prefix.
#[derive(Clone)]
pub struct Mount {
    /// Starts with `/`, does not end with `/`; matches the prefix itself and everything below it.
    pub prefix: String,
    /// The venue serving that prefix.
    pub venue: Arc<dyn Venue>,
}

impl fmt::Debug for Mount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mount")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Options of the built-in generic test venue.
#[derive(Debug, Clone)]
pub struct TestVenueConfig {
    /// Whether `subscribe` needs a successful `auth` first.
    pub auth: AuthPolicy,
    /// The one token `auth` accepts.
    pub valid_token: String,
    /// Topics answered with `{"op":"error",...,"error":"unknown topic"}`.
    pub rejected_topics: Vec<String>,
    /// Topics whose data frames are sent as binary frames (same JSON bytes).
    pub binary_topics: Vec<String>,
    /// How often each subscribed topic publishes one frame.
    pub publish_interval: Duration,
    /// Capacity of the shared feed; a connection that falls further behind is closed with 1008.
    /// `publish_burst` of more frames than this closes every subscribed connection.
    pub feed_capacity: usize,
}

impl Default for TestVenueConfig {
    fn default() -> Self {
        Self {
            auth: AuthPolicy::Optional,
            valid_token: "test-token".to_owned(),
            rejected_topics: Vec::new(),
            binary_topics: Vec::new(),
            publish_interval: Duration::from_millis(5),
            feed_capacity: 4096,
        }
    }
}

/// Whether the test venue wants `auth` before `subscribe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthPolicy {
    /// `auth` is answered but not needed.
    #[default]
    Optional,
    /// `subscribe` before a successful `auth` gets `{"op":"error",...,"error":"auth required"}`.
    Required,
}

/// Where the built-in test venue is mounted.
pub const TEST_VENUE_PREFIX: &str = "/test";
