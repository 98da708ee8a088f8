//! What a futures session is configured with.

use std::time::Duration;

use ws_session::{ConnectionContext, PingSettings, ReconnectionPolicy};

use crate::config::{BookSyncConfig, Credentials};
use crate::handler::{ContextOverrides, RECONNECTION_POLICY};

use super::super::{REST_URL, WS_URL};

/// The venue closes a connection that sent no ping for a minute; 15 s keeps well inside
/// the documented 10–20 s.
const APP_PING_INTERVAL: Duration = Duration::from_secs(15);
/// Pushes arrive several times a second on a subscribed connection; pongs every 15 s on
/// an idle one.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);

/// Endpoints, credentials, book settings and timers of the futures sessions.
#[derive(Clone)]
pub struct FuturesHandlerConfig {
    /// The WebSocket endpoint (`wss://contract.mexc.com/edge`).
    pub ws_url: String,
    /// The REST base (`https://contract.mexc.com`).
    pub rest_url: String,
    /// Local books: snapshot depth, buffers, retry timing.
    pub book: BookSyncConfig,
    /// For the private session (login and signed REST).
    pub credentials: Option<Credentials>,
    /// What the driver context may be overridden with.
    pub context: ContextOverrides,
    /// Backoff between connection attempts.
    pub reconnection: ReconnectionPolicy,
    /// How long an ack may take before the request is sent again.
    pub ack_timeout: Duration,
    /// `Recv-Window` for signed REST, ms (the venue's default when `None`).
    pub recv_window_ms: Option<u32>,
}

impl Default for FuturesHandlerConfig {
    fn default() -> Self {
        FuturesHandlerConfig {
            ws_url: WS_URL.to_string(),
            rest_url: REST_URL.to_string(),
            book: BookSyncConfig::default(),
            credentials: None,
            context: ContextOverrides::default(),
            reconnection: RECONNECTION_POLICY,
            ack_timeout: Duration::from_secs(10),
            recv_window_ms: None,
        }
    }
}

impl std::fmt::Debug for FuturesHandlerConfig {
    // The credentials' own Debug hides the key; only whether there are any is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuturesHandlerConfig")
            .field("ws_url", &self.ws_url)
            .field("rest_url", &self.rest_url)
            .field("book", &self.book)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("context", &self.context)
            .field("reconnection", &self.reconnection)
            .field("ack_timeout", &self.ack_timeout)
            .field("recv_window_ms", &self.recv_window_ms)
            .finish()
    }
}

impl FuturesHandlerConfig {
    /// The ping the venue wants (an application `{"method":"ping"}`), for both roles.
    pub const PING: PingSettings = PingSettings {
        app_ping_interval: Some(APP_PING_INTERVAL),
        protocol_ping_interval: None,
        idle_timeout: Some(IDLE_TIMEOUT),
    };

    /// The driver context of a session labelled `label`.
    pub fn context(&self, label: &str) -> ConnectionContext {
        let mut context = ConnectionContext::new(label, self.ws_url.clone());
        context.ping = Self::PING;
        self.context.apply(context)
    }
}
