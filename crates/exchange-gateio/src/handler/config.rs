//! Settings of the Gate handlers: endpoints, credentials, book depth, and everything the
//! driver context and the reconnection policy may be overridden with (tests shorten the
//! heartbeat and the idle watchdog).

use std::time::Duration;

use market_types::Symbol;
use ws_session::{ConnectionContext, PingSettings, ReconnectionPolicy};

use crate::book_sync::BookSyncConfig;
use crate::channel::{BookDepth, Market, UserId};
use crate::config::{Credentials, Endpoints};
use crate::error::Error;

/// Everything a Gate handler (public or private, spot or futures) is configured with.
///
/// Build it with [`GateioHandlerConfig::new`] from the market's [`Endpoints`] (live,
/// testnet or any URL) and change fields with struct-update syntax.
#[derive(Debug, Clone)]
pub struct GateioHandlerConfig {
    /// WebSocket URL and REST base of the market.
    pub endpoints: Endpoints,
    /// API key and secret; private handlers need them, public ones ignore them.
    pub credentials: Option<Credentials>,
    /// Depth of `order_book_update` streams, also the snapshot `limit` and the depth the
    /// local books hold. Default: 20 levels every 20 ms.
    pub depth: BookDepth,
    /// Application ping (`spot.ping` / `futures.ping`), protocol pings and the idle
    /// watchdog. Default: [`PING`].
    pub ping: PingSettings,
    /// How often the session's timers run (snapshot retries, ack and auth timeouts).
    pub tick_interval: Duration,
    /// Extra handshake headers (for example `X-Gate-Size-Decimal: 1`). Default: none.
    pub headers: Vec<(String, String)>,
    /// Backoff between connection attempts. Default: [`RECONNECTION_POLICY`].
    pub reconnection: ReconnectionPolicy,
    /// A subscription not acknowledged within this long is requested again.
    pub ack_timeout: Duration,
    /// Whether private handlers log in (`spot.login` / `futures.login`) before
    /// subscribing. Private subscriptions carry their own signed `auth` either way.
    pub login: LoginMode,
    /// How long a login may take before the connection is retried.
    pub auth_timeout: Duration,
    /// The account's user id, the first payload element of futures private channels.
    /// When `None`, futures private handlers log in to learn it.
    pub user_id: Option<UserId>,
    /// Pairs or contracts private order and trade channels are limited to; empty means
    /// all (`!all`).
    pub private_symbols: Vec<Symbol>,
    /// The path prefix the REST APIv4 signature covers. `None` uses the path of
    /// [`Endpoints::rest`] (`/api/v4` for the venue). Set it when the REST base sits below a
    /// prefix the venue never sees, such as a proxy or a simulator mount (`/gateio/api/v4`
    /// is signed as `/api/v4`).
    pub rest_signature_prefix: Option<String>,
    /// After a failed reconciliation call or a subscription refused with a server error
    /// (code 3), wait this long before trying again.
    pub rest_retry: Duration,
    /// Pushes buffered per symbol while a snapshot is awaited.
    pub book_buffer_capacity: usize,
    /// First snapshot retry delay; doubles per failed attempt up to
    /// [`Self::snapshot_backoff_max`].
    pub snapshot_backoff_initial: Duration,
    /// Longest snapshot retry delay.
    pub snapshot_backoff_max: Duration,
}

/// How a private handler authenticates (spec §3.2, §3.8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LoginMode {
    /// Only the signed `auth` member of each private subscription (the documented way).
    #[default]
    PerSubscription,
    /// `spot.login` / `futures.login` first; subscriptions go out once it is confirmed,
    /// still signed. Rejected credentials are found before anything is subscribed, and
    /// futures handlers learn the user id from the answer.
    LoginFirst,
}

impl GateioHandlerConfig {
    /// The default settings for `endpoints`, without credentials.
    pub fn new(endpoints: Endpoints) -> Self {
        Self {
            endpoints,
            credentials: None,
            depth: BookDepth::Levels20,
            ping: PING,
            tick_interval: Duration::from_millis(100),
            headers: Vec::new(),
            reconnection: RECONNECTION_POLICY,
            ack_timeout: Duration::from_secs(10),
            login: LoginMode::PerSubscription,
            auth_timeout: Duration::from_secs(10),
            user_id: None,
            private_symbols: Vec::new(),
            rest_signature_prefix: None,
            rest_retry: Duration::from_secs(2),
            book_buffer_capacity: 1024,
            snapshot_backoff_initial: Duration::from_millis(250),
            snapshot_backoff_max: Duration::from_secs(30),
        }
    }

    /// The production endpoints of `market`.
    pub fn live(market: Market) -> Self {
        Self::new(Endpoints::live(market))
    }

    /// The TestNet endpoints of `market`.
    pub fn testnet(market: Market) -> Self {
        Self::new(Endpoints::testnet(market))
    }

    /// The same settings with `credentials`.
    pub fn with_credentials(self, credentials: Credentials) -> Self {
        Self {
            credentials: Some(credentials),
            ..self
        }
    }

    /// The path prefix REST signatures cover.
    pub fn signature_prefix(&self) -> &str {
        self.rest_signature_prefix
            .as_deref()
            .unwrap_or_else(|| self.endpoints.rest_path_prefix())
    }

    /// The driver context: URL, headers, heartbeat, tick interval, `label` for logs.
    pub(crate) fn context(&self, label: &str) -> ConnectionContext {
        let mut context = ConnectionContext::new(label, self.endpoints.websocket.clone());
        context.headers.clone_from(&self.headers);
        context.ping = self.ping;
        context.tick_interval = self.tick_interval;
        context
    }

    /// The book-sync settings of `market`.
    pub(crate) fn book_sync(&self, market: Market) -> Result<BookSyncConfig, Error> {
        let mut config = BookSyncConfig::new(market, &self.endpoints, self.depth)?;
        config.buffer_capacity = self.book_buffer_capacity;
        config.backoff_initial = self.snapshot_backoff_initial;
        config.backoff_max = self.snapshot_backoff_max;
        Ok(config)
    }
}

/// Gate's heartbeat: the server pings (the driver answers), the client sends
/// `spot.ping` / `futures.ping` every 15 s (the spec recommends 10–20 s; the venue drops a
/// connection silent for about a minute), and a socket with no inbound data for 40 s is
/// treated as dead.
pub const PING: PingSettings = PingSettings {
    app_ping_interval: Some(Duration::from_secs(15)),
    protocol_ping_interval: None,
    idle_timeout: Some(Duration::from_secs(40)),
};

/// Backoff for Gate connections: 0.5 s doubling to a 30 s cap, ±20 % jitter, retried
/// without limit (authentication failures stop regardless), at most 10 attempts per 10 s
/// (Gate allows 300 connections per IP). A close without status is an ordinary failure:
/// Gate does not send them routinely, so `reset_on_1005` is off.
pub const RECONNECTION_POLICY: ReconnectionPolicy = ReconnectionPolicy::DEFAULT;
