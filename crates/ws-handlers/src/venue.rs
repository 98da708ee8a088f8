//! The venue trait: everything a program needs to know about one venue to connect to it,
//! in one place (the role barter-data's `Connector` plays).
//!
//! A venue crate implements [`VenueConnector`] on a zero-sized marker type (one per
//! venue and market). Programs (`wsx`, `ws-manager-compat`) describe what they want in
//! venue-independent terms, a [`StreamRequest`], and the venue turns it into its handler
//! config and handlers. The handlers stay generic over the user's callbacks, so the
//! message path is statically dispatched; a program chooses the venue once at start-up.

use core::fmt;
use std::time::Duration;

use market_types::{BookStatus, OrderBook, Symbol, Venue};
use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin};
use ws_session::{ConnectRateLimit, PingSettings, ReconnectionPolicy, Session};

use crate::parts::{LocalBooks, WithSharedParts};
use crate::stats::HandlerStats;
use crate::transport::{PlaintextCredentials, check_credentials_transport};

/// One venue and market: its names, what it offers, its limits, and how its handlers are
/// built from a [`StreamRequest`].
pub trait VenueConnector: fmt::Debug + Send + Sync + 'static {
    /// The venue in the normalized model.
    const VENUE: Venue;
    /// The brand in messages to people: the venue's own spelling of its name.
    const BRAND: &'static str;
    /// How symbols are spelled, for checks and the old `base`/`quote` pairs.
    const SYMBOL_STYLE: SymbolStyle;
    /// One sentence showing a symbol, for error messages.
    const SYMBOL_HINT: &'static str;
    /// The feeds it offers.
    const FEEDS: FeedSet;
    /// What `depth` in a request may be.
    const DEPTH: DepthRule;
    /// Subscriptions per connection and connect-rate limits.
    const LIMITS: ConnectionLimits;
    /// The environment variables of its API key and secret.
    const CREDENTIALS: CredentialVariables;
    /// Production endpoints.
    const LIVE: EndpointUrls;
    /// Test-network endpoints, when the venue has them.
    const TESTNET: Option<EndpointUrls>;
    /// Where the embedded simulator (`exchange-sim`) serves it.
    const SIMULATOR: SimulatorMount;
    /// The venue's reconnection policy.
    const RECONNECTION: ReconnectionPolicy;

    /// The handler config both handler types are built from.
    type Config: Clone + fmt::Debug + Send + Sync + 'static;
    /// The market-data handler, generic over the user's callbacks.
    type Public<H: PublicWebSocketMixin + Send + 'static>: PublicVenueHandler<Callbacks = H>;
    /// The account-data handler, generic over the user's callbacks.
    type Private<H: PrivateWebSocketMixin + Send + 'static>: VenueHandler<Callbacks = H>;

    /// The venue's own keep-alive for a role (programs may override parts of it).
    fn default_ping(role: Role) -> PingSettings;

    /// The handler config a request stands for.
    ///
    /// # Errors
    /// [`VenueError`] when the request asks for something the venue does not offer (a
    /// depth, say).
    fn config(request: &StreamRequest<'_>) -> Result<Self::Config, VenueError>;

    /// One market-data handler for every public subscription of `request`.
    ///
    /// # Errors
    /// [`VenueError`] when the handler refuses the config.
    fn public<H: PublicWebSocketMixin + Send + 'static>(
        config: &Self::Config,
        request: &StreamRequest<'_>,
        callbacks: H,
    ) -> Result<Self::Public<H>, VenueError>;

    /// The market-data handlers of `request`: one per shard of at most
    /// [`ConnectionLimits::subscriptions_per_connection`], for a connection pool.
    /// `make_callbacks(i)` builds the callbacks of shard `i`.
    ///
    /// # Errors
    /// [`VenueError`] when the handler refuses the config.
    fn public_shards<H: PublicWebSocketMixin + Send + 'static>(
        config: &Self::Config,
        request: &StreamRequest<'_>,
        mut make_callbacks: impl FnMut(usize) -> H,
    ) -> Result<Vec<Self::Public<H>>, VenueError> {
        Self::public(config, request, make_callbacks(0)).map(|h| vec![h])
    }

    /// The account-data handler of `request`.
    fn private<H: PrivateWebSocketMixin + Send + 'static>(
        config: Self::Config,
        request: &StreamRequest<'_>,
        callbacks: H,
    ) -> Self::Private<H>;

    /// The venue's channel name (without symbol) carrying `feed`, when it offers it.
    fn channel_name(feed: Feed) -> Option<&'static str>;
}

/// What every venue handler lets a program read besides `Session`: written once, over
/// the handler's [`SharedParts`](crate::SharedParts).
pub trait VenueHandler: Session + WithSharedParts {
    /// The callbacks.
    #[inline]
    fn callbacks(&self) -> &Self::Callbacks {
        &self.shared().callbacks
    }
    /// The callbacks, mutably.
    #[inline]
    fn callbacks_mut(&mut self) -> &mut Self::Callbacks {
        &mut self.shared_mut().callbacks
    }
    /// The template's counters.
    fn handler_stats(&self) -> &HandlerStats {
        &self.shared().stats
    }
    /// Symbols with a local book.
    fn book_symbols(&self) -> Vec<Symbol> {
        self.shared().books.symbols_with_books()
    }
    /// One local book and its status.
    fn book(&self, symbol: Symbol) -> Option<(&OrderBook, BookStatus)> {
        self.shared().books.book_with_status(symbol)
    }
    /// Book-sync counters in a venue-independent shape.
    fn book_sync(&self) -> BookSyncSummary {
        self.shared().books.summary()
    }
}

/// A market-data handler: it takes subscription changes while it runs.
pub trait PublicVenueHandler: VenueHandler {
    /// The command that subscribes or unsubscribes `feed` of `symbol` (none when the venue
    /// does not offer the feed).
    fn subscription_command(
        symbol: Symbol,
        feed: Feed,
        change: SubscriptionChange,
    ) -> Option<Self::Command>;

    /// The command that throws away the local book of `symbol` and rebuilds it from a
    /// fresh snapshot (none when the handler keeps no books).
    fn resync_command(_symbol: Symbol) -> Option<Self::Command> {
        None
    }
}

/// Subscribe or unsubscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionChange {
    /// Start receiving.
    Subscribe,
    /// Stop receiving.
    Unsubscribe,
}

/// Market data or account data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Market data.
    Public,
    /// Account data.
    Private,
}

impl Role {
    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Private => "private",
        }
    }
}

/// A kind of data every venue names differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feed {
    /// The local order book.
    Book,
    /// Public trades.
    Trades,
    /// Best bid and ask.
    Ticker,
    /// 24 h statistics.
    Ticker24h,
    /// Own orders.
    Orders,
    /// Own fills.
    Fills,
    /// Balances.
    Balances,
    /// Futures positions.
    Positions,
}

impl Feed {
    /// Every feed, market data first.
    pub const ALL: [Feed; 8] = [
        Feed::Book,
        Feed::Trades,
        Feed::Ticker,
        Feed::Ticker24h,
        Feed::Orders,
        Feed::Fills,
        Feed::Balances,
        Feed::Positions,
    ];

    /// The role of the connection that carries it.
    pub const fn role(self) -> Role {
        match self {
            Feed::Book | Feed::Trades | Feed::Ticker | Feed::Ticker24h => Role::Public,
            Feed::Orders | Feed::Fills | Feed::Balances | Feed::Positions => Role::Private,
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of feeds (a venue's offer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FeedSet(u8);

impl FeedSet {
    /// The set of `feeds`.
    pub const fn of(feeds: &[Feed]) -> FeedSet {
        let mut bits = 0;
        let mut i = 0;
        while i < feeds.len() {
            bits |= feeds[i].bit();
            i += 1;
        }
        FeedSet(bits)
    }

    /// Whether `feed` is in the set.
    pub const fn contains(self, feed: Feed) -> bool {
        self.0 & feed.bit() != 0
    }

    /// The feeds in [`Feed::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Feed> {
        Feed::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

/// Everything a program asks of a venue, in venue-independent terms.
#[derive(Debug, Clone)]
pub struct StreamRequest<'a> {
    /// Symbols, spelled the venue's way.
    pub symbols: &'a [Symbol],
    /// Feeds, in the order their subscriptions go out (per symbol).
    pub feeds: &'a [Feed],
    /// Book depth in the venue's terms ([`VenueConnector::DEPTH`]); `None` is the default.
    pub depth: Option<u32>,
    /// API key and secret for account data.
    pub credentials: Option<ApiCredentials<'a>>,
    /// Where to connect.
    pub endpoints: EndpointChoice,
    /// The venue's timers or short ones.
    pub timers: Timers,
    /// Which symbols account channels cover, where the venue filters them.
    pub private_scope: PrivateScope,
    /// Keep-alive instead of the venue's ([`VenueConnector::default_ping`]).
    pub ping: Option<PingSettings>,
    /// Backoff instead of the venue's ([`VenueConnector::RECONNECTION`]).
    pub reconnection: Option<ReconnectionPolicy>,
}

impl StreamRequest<'_> {
    /// Whether any feed of `role` is asked for.
    pub fn wants_role(&self, role: Role) -> bool {
        self.feeds.iter().any(|f| f.role() == role)
    }

    /// The WebSocket URL and REST base for venue `V`, checked: with credentials, both
    /// must be TLS or loopback ([`check_credentials_transport`]). Every connector's
    /// `config` takes its URLs from here.
    ///
    /// # Errors
    /// [`VenueError::PlaintextCredentials`].
    pub fn urls<V: VenueConnector>(&self) -> Result<(String, String), VenueError> {
        let (ws_url, rest_url) = self.endpoints.urls::<V>();
        if self.credentials.is_some() {
            check_credentials_transport(&ws_url)?;
            check_credentials_transport(&rest_url)?;
        }
        Ok((ws_url, rest_url))
    }
}

impl<'a> StreamRequest<'a> {
    /// Orders from `ws_url` and `rest_url`, with a placeholder key (`k`/`s`) when
    /// `credentials`: the request the connectors' own tests build their configs from.
    #[doc(hidden)]
    pub fn orders_for_test(ws_url: &str, rest_url: &str, credentials: bool) -> Self {
        StreamRequest {
            symbols: &[],
            feeds: &[Feed::Orders],
            depth: None,
            credentials: credentials.then_some(ApiCredentials {
                key: "k",
                secret: "s",
                user_id: None,
            }),
            endpoints: EndpointChoice::Custom {
                ws_url: ws_url.into(),
                rest_url: rest_url.into(),
            },
            timers: Timers::Venue,
            private_scope: PrivateScope::AllSymbols,
            ping: None,
            reconnection: None,
        }
    }
}

/// Whether `V::config` refuses credentials sent in clear to another machine and takes
/// them over TLS or to this machine (and any endpoints without credentials): the first
/// case it gets wrong, named. Every connector's tests run it.
#[doc(hidden)]
pub fn check_credential_transport<V: VenueConnector>() -> Result<(), String> {
    let refused = [
        ("ws://example.com/ws", "https://example.com"),
        ("wss://example.com/ws", "http://example.com"),
    ];
    for (ws, rest) in refused {
        let with_key = V::config(&StreamRequest::orders_for_test(ws, rest, true));
        if !matches!(with_key, Err(VenueError::PlaintextCredentials(_))) {
            return Err(format!(
                "{}: credentials to {ws} {rest} not refused",
                V::VENUE
            ));
        }
        if let Err(error) = V::config(&StreamRequest::orders_for_test(ws, rest, false)) {
            return Err(format!(
                "{}: {ws} {rest} without credentials: {error}",
                V::VENUE
            ));
        }
    }
    for (ws, rest) in [
        ("ws://127.0.0.1:1/ws", "http://127.0.0.1:1"),
        ("wss://example.com/ws", "https://example.com"),
    ] {
        if let Err(error) = V::config(&StreamRequest::orders_for_test(ws, rest, true)) {
            return Err(format!("{}: credentials to {ws} {rest}: {error}", V::VENUE));
        }
    }
    Ok(())
}

/// An API key and its secret, borrowed. `Debug` shows neither.
#[derive(Clone, Copy)]
pub struct ApiCredentials<'a> {
    /// The key.
    pub key: &'a str,
    /// The secret.
    pub secret: &'a str,
    /// The account's user id, for venues whose account channels name it; `None` lets the
    /// venue's session learn it.
    pub user_id: Option<&'a str>,
}

impl fmt::Debug for ApiCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiCredentials(<redacted>)")
    }
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointChoice {
    /// Production ([`VenueConnector::LIVE`]).
    Live,
    /// The test network ([`VenueConnector::TESTNET`]; production when there is none).
    Testnet,
    /// Explicit URLs (a proxy, the simulator: see [`SimulatorMount::endpoints`]).
    Custom {
        /// WebSocket URL.
        ws_url: String,
        /// REST base URL.
        rest_url: String,
    },
}

impl EndpointChoice {
    /// The URLs of the choice for venue `V`. Crate-private: connectors go through
    /// [`StreamRequest::urls`], which refuses credentials over plaintext to other hosts.
    pub(crate) fn urls<V: VenueConnector>(&self) -> (String, String) {
        let fixed = match self {
            EndpointChoice::Live => V::LIVE,
            EndpointChoice::Testnet => V::TESTNET.unwrap_or(V::LIVE),
            EndpointChoice::Custom { ws_url, rest_url } => {
                return (ws_url.clone(), rest_url.clone());
            }
        };
        (fixed.ws.to_owned(), fixed.rest.to_owned())
    }
}

/// A venue's fixed WebSocket URL and REST base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointUrls {
    /// WebSocket URL.
    pub ws: &'static str,
    /// REST base URL.
    pub rest: &'static str,
}

/// The venue's timers, or short ones for the simulator (heartbeat 1 s, idle 3 s, retries
/// within a second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timers {
    /// The venue's.
    Venue,
    /// Short.
    Fast,
}

/// Which symbols account channels cover on venues that filter them by symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivateScope {
    /// The request's symbols.
    RequestSymbols,
    /// Every symbol of the account.
    AllSymbols,
}

/// What the `depth` of a request means on a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthRule {
    /// One of the depths the venue streams.
    Streams(&'static [u32]),
    /// The REST snapshot limit, from 1 to `max`.
    SnapshotLimit {
        /// The largest limit.
        max: u32,
    },
}

/// How a venue spells a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolStyle {
    /// Upper case with an underscore: `BTC_USDT`.
    Underscore,
    /// Upper case without a separator: `BTCUSDT`.
    Concatenated,
}

impl SymbolStyle {
    /// `base` and `quote` spelled this way.
    pub fn join(self, base: &str, quote: &str) -> String {
        match self {
            SymbolStyle::Underscore => format!("{base}_{quote}"),
            SymbolStyle::Concatenated => format!("{base}{quote}"),
        }
    }
}

/// Per-connection and connect-rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Subscriptions one connection may hold; more are sharded over connections.
    pub subscriptions_per_connection: Option<usize>,
    /// Connection attempts the market-data connections share.
    pub public_connect_rate: ConnectRateLimit,
    /// Connection attempts the account-data connections share.
    pub private_connect_rate: ConnectRateLimit,
}

impl ConnectionLimits {
    /// The connect-rate limit of a role.
    pub const fn connect_rate(self, role: Role) -> ConnectRateLimit {
        match role {
            Role::Public => self.public_connect_rate,
            Role::Private => self.private_connect_rate,
        }
    }
}

/// The connect-rate limit of venues that state none.
pub const DEFAULT_CONNECT_RATE: ConnectRateLimit = ConnectRateLimit {
    max_attempts: 5,
    window: Duration::from_secs(1),
};

/// The environment variable names of a venue's API key and secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialVariables {
    /// The key's variable.
    pub key: &'static str,
    /// The secret's variable.
    pub secret: &'static str,
    /// The variable of the account's user id, for venues whose account channels name it;
    /// optional even there.
    pub user_id: Option<&'static str>,
}

/// Where the embedded simulator serves a venue: the venue's simulator is mounted at
/// `prefix`, its WebSocket at `prefix + ws_path` and its REST base at `prefix + rest_path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatorMount {
    /// The mount path of the simulated venue (shared by markets of one venue).
    pub prefix: &'static str,
    /// The WebSocket path below the mount.
    pub ws_path: &'static str,
    /// The REST base below the mount.
    pub rest_path: &'static str,
}

impl SimulatorMount {
    /// The endpoints on a simulator serving `ws_base` (`ws://host:port`) and `http_base`.
    pub fn endpoints(self, ws_base: &str, http_base: &str) -> EndpointChoice {
        EndpointChoice::Custom {
            ws_url: format!("{ws_base}{}{}", self.prefix, self.ws_path),
            rest_url: format!("{http_base}{}{}", self.prefix, self.rest_path),
        }
    }
}

/// Book-sync counters every venue can report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookSyncSummary {
    /// REST snapshots requested.
    pub snapshots_requested: u64,
    /// Snapshots that made a book live.
    pub snapshots_applied: u64,
    /// Snapshots that failed or were stale.
    pub snapshots_failed: u64,
    /// Books thrown away and rebuilt.
    pub resyncs: u64,
}

/// A request the venue cannot serve; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VenueError {
    /// Something the venue does not offer (a depth, a topic).
    #[error("{0}")]
    Unsupported(String),
    /// Credentials would go in clear text to another machine.
    #[error(transparent)]
    PlaintextCredentials(#[from] PlaintextCredentials),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_sets_hold_what_they_were_given() {
        let set = FeedSet::of(&[Feed::Trades, Feed::Positions]);
        assert!(set.contains(Feed::Trades));
        assert!(!set.contains(Feed::Book));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Feed::Trades, Feed::Positions]
        );
        assert_eq!(FeedSet::of(&Feed::ALL).iter().count(), 8);
    }

    #[test]
    fn simulator_endpoints_join_the_mount() {
        let mount = SimulatorMount {
            prefix: "/gateio",
            ws_path: "/ws/v4/",
            rest_path: "/api/v4",
        };
        assert_eq!(
            mount.endpoints("ws://127.0.0.1:1", "http://127.0.0.1:1"),
            EndpointChoice::Custom {
                ws_url: "ws://127.0.0.1:1/gateio/ws/v4/".into(),
                rest_url: "http://127.0.0.1:1/gateio/api/v4".into(),
            }
        );
        assert_eq!(SymbolStyle::Underscore.join("BTC", "USDT"), "BTC_USDT");
        assert_eq!(SymbolStyle::Concatenated.join("BTC", "USDT"), "BTCUSDT");
    }
}
