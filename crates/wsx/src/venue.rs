//! Venues, channels and symbols as the command line names them, and the venue handlers
//! they become.
//!
//! This is the only module that names a venue handler type. Everything else works on
//! [`VenueSession`] (generic, statically dispatched per venue) or, where a choice is made
//! once at start-up, on the [`SessionGroup`] enum.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use exchange_gateio::{
    BookDepth, FuturesMarket, GateioFuturesPrivateWebSocketHandler,
    GateioFuturesPublicWebSocketHandler, GateioHandlerConfig, GateioMarket,
    GateioPrivateWebSocketHandler, GateioPublicTopic, GateioPublicWebSocketHandler,
    GateioSpotPrivateWebSocketHandler, GateioSpotPublicWebSocketHandler, SpotMarket,
};
use exchange_mexc::{
    AggInterval, Channel as MexcChannel, MexcHandlerConfig, MexcPrivateWebSocketHandler,
    MexcPublicWebSocketHandler,
};
use market_types::{BookStatus, OrderBook, Symbol, Venue};
use ws_core::{ConnectRateLimit, PingSettings};
use ws_handlers::HandlerStats;

use crate::credentials::ApiKey;
use crate::event::{EventKind, EventSink};
use crate::tap::{BookSyncSummary, VenueSession};

/// A channel as `--channels` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelName {
    /// The local order book (`book_update`, `book_status`, and the final `book` lines).
    Book,
    /// Public trades.
    Trades,
    /// Best bid and ask.
    Ticker,
    /// 24 h statistics (Gate.io only).
    Ticker24h,
    /// Own orders.
    Orders,
    /// Own fills.
    Fills,
    /// Balances.
    Balances,
    /// Futures positions (Gate.io futures only).
    Positions,
}

impl ChannelName {
    /// Every channel.
    pub const ALL: [ChannelName; 8] = [
        ChannelName::Book,
        ChannelName::Trades,
        ChannelName::Ticker,
        ChannelName::Ticker24h,
        ChannelName::Orders,
        ChannelName::Fills,
        ChannelName::Balances,
        ChannelName::Positions,
    ];

    /// The command-line name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChannelName::Book => "book",
            ChannelName::Trades => "trades",
            ChannelName::Ticker => "ticker",
            ChannelName::Ticker24h => "ticker24h",
            ChannelName::Orders => "orders",
            ChannelName::Fills => "fills",
            ChannelName::Balances => "balances",
            ChannelName::Positions => "positions",
        }
    }

    /// Whether it needs credentials.
    pub const fn is_private(self) -> bool {
        matches!(
            self,
            ChannelName::Orders
                | ChannelName::Fills
                | ChannelName::Balances
                | ChannelName::Positions
        )
    }

    /// The event kinds it produces.
    pub fn kinds(self) -> &'static [EventKind] {
        match self {
            ChannelName::Book => &[
                EventKind::BookUpdate,
                EventKind::BookStatus,
                EventKind::Book,
            ],
            ChannelName::Trades => &[EventKind::Trade],
            ChannelName::Ticker => &[EventKind::Ticker],
            ChannelName::Ticker24h => &[EventKind::Ticker24h],
            ChannelName::Orders => &[EventKind::Order],
            ChannelName::Fills => &[EventKind::Fill],
            ChannelName::Balances => &[EventKind::Balance],
            ChannelName::Positions => &[EventKind::Position],
        }
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.trim().to_ascii_lowercase();
        let alias = match wanted.as_str() {
            "trade" => "trades",
            "order" => "orders",
            "fill" | "usertrades" => "fills",
            "balance" => "balances",
            "position" => "positions",
            "orderbook" | "depth" => "book",
            "bookticker" | "book_ticker" => "ticker",
            "tickers" => "ticker24h",
            other => other,
        };
        ChannelName::ALL
            .into_iter()
            .find(|c| c.as_str() == alias)
            .ok_or_else(|| {
                format!(
                    "unknown channel '{s}'; use some of {}",
                    ChannelName::ALL.map(ChannelName::as_str).join(",")
                )
            })
    }
}

/// Parses `--venue`.
pub fn parse_venue(s: &str) -> Result<Venue, String> {
    s.trim().to_ascii_lowercase().parse().map_err(|_| {
        format!(
            "unknown venue '{s}'; use one of {}",
            Venue::ALL.map(Venue::as_str).join(", ")
        )
    })
}

/// Default endpoints of a venue (production).
pub fn default_urls(venue: Venue) -> (&'static str, &'static str) {
    match venue {
        Venue::GateioSpot => (exchange_gateio::SPOT_WS_LIVE, exchange_gateio::REST_LIVE),
        Venue::GateioFutures => (exchange_gateio::FUTURES_WS_LIVE, exchange_gateio::REST_LIVE),
        Venue::MexcSpot => (exchange_mexc::WS_URL, exchange_mexc::REST_URL),
    }
}

/// Checks a symbol's spelling for the venue and says how to fix it.
pub fn parse_symbol(venue: Venue, raw: &str) -> Result<Symbol, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty symbol in --symbols".into());
    }
    let valid_chars = s
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    match venue {
        Venue::GateioSpot | Venue::GateioFutures => {
            let parts: Vec<&str> = s.split('_').collect();
            if !valid_chars || parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                let hint = s.to_ascii_uppercase().replace(['-', '/'], "_");
                return Err(format!(
                    "'{s}' is not a {venue} symbol: Gate.io spells them upper case with an \
                     underscore, like BTC_USDT{}",
                    if hint != s && hint.contains('_') {
                        format!(" (did you mean {hint}?)")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        Venue::MexcSpot => {
            if !valid_chars || s.contains('_') {
                let hint: String = s
                    .to_ascii_uppercase()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                return Err(format!(
                    "'{s}' is not a {venue} symbol: MEXC spells them upper case without a \
                     separator, like BTCUSDT (did you mean {hint}?)"
                ));
            }
        }
    }
    Symbol::new(s).map_err(|e| format!("'{s}' is not a symbol: {e}"))
}

/// Checks that every channel exists on the venue.
pub fn check_channels(venue: Venue, channels: &[ChannelName]) -> Result<(), String> {
    match channels.iter().find(|c| !offers(venue, **c)) {
        None => Ok(()),
        Some(channel) => {
            let others: Vec<&str> = ChannelName::ALL
                .into_iter()
                .filter(|c| offers(venue, *c))
                .map(ChannelName::as_str)
                .collect();
            Err(format!(
                "{venue} has no '{channel}' channel; it offers {}",
                others.join(",")
            ))
        }
    }
}

fn offers(venue: Venue, channel: ChannelName) -> bool {
    !matches!(
        (venue, channel),
        (Venue::MexcSpot, ChannelName::Ticker24h)
            | (Venue::MexcSpot | Venue::GateioSpot, ChannelName::Positions)
    )
}

/// Everything needed to build a venue's sessions; also what a recording header stores.
#[derive(Debug, Clone)]
pub struct StreamPlan {
    /// The venue.
    pub venue: Venue,
    /// Symbols, validated for the venue.
    pub symbols: Vec<Symbol>,
    /// Channels, validated for the venue, without duplicates.
    pub channels: Vec<ChannelName>,
    /// WebSocket URL.
    pub ws_url: String,
    /// REST base URL.
    pub rest_url: String,
    /// `--depth`: the venue's book depth (Gate.io stream depth, MEXC snapshot limit).
    pub depth: Option<u32>,
    /// Levels per side in `book_update` lines.
    pub levels: usize,
    /// API key for private channels.
    pub credentials: Option<ApiKey>,
    /// Shorter heartbeats and timers (the simulator), instead of the venue's.
    pub fast_timers: bool,
}

impl StreamPlan {
    /// Whether any private channel is asked for.
    pub fn has_private(&self) -> bool {
        self.channels.iter().any(|c| c.is_private())
    }

    /// Whether any public channel is asked for.
    pub fn has_public(&self) -> bool {
        self.channels.iter().any(|c| !c.is_private())
    }

    fn wants(&self, channel: ChannelName) -> bool {
        self.channels.contains(&channel)
    }

    fn sink(&self) -> EventSink {
        let mut allowed = vec![EventKind::Error, EventKind::BookStatus];
        for channel in &self.channels {
            allowed.extend_from_slice(channel.kinds());
        }
        EventSink::new(self.venue, self.levels).with_kinds(&allowed)
    }
}

/// The role of a group of sessions.
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

/// The sessions of one venue handler type. One variant per handler: the single place where
/// the type is chosen; everything after is generic over [`VenueSession`].
#[derive(Debug)]
pub enum SessionGroup {
    /// MEXC market data, one session per shard of at most 30 channels.
    MexcPublic(Vec<MexcPublicWebSocketHandler<EventSink>>),
    /// MEXC user data.
    MexcPrivate(Vec<MexcPrivateWebSocketHandler<EventSink>>),
    /// Gate.io spot market data.
    GateioSpotPublic(Vec<GateioSpotPublicWebSocketHandler<EventSink>>),
    /// Gate.io spot account data.
    GateioSpotPrivate(Vec<GateioSpotPrivateWebSocketHandler<EventSink>>),
    /// Gate.io USDT futures market data.
    GateioFuturesPublic(Vec<GateioFuturesPublicWebSocketHandler<EventSink>>),
    /// Gate.io USDT futures account data.
    GateioFuturesPrivate(Vec<GateioFuturesPrivateWebSocketHandler<EventSink>>),
}

/// Runs `$body` with `$v` bound to the group's `Vec` of sessions, whatever their type (the
/// body is compiled once per handler type, so it is statically dispatched).
#[macro_export]
macro_rules! with_sessions {
    ($group:expr, $v:ident => $body:expr) => {
        match $group {
            $crate::venue::SessionGroup::MexcPublic($v) => $body,
            $crate::venue::SessionGroup::MexcPrivate($v) => $body,
            $crate::venue::SessionGroup::GateioSpotPublic($v) => $body,
            $crate::venue::SessionGroup::GateioSpotPrivate($v) => $body,
            $crate::venue::SessionGroup::GateioFuturesPublic($v) => $body,
            $crate::venue::SessionGroup::GateioFuturesPrivate($v) => $body,
        }
    };
}

impl SessionGroup {
    /// Market data or account data.
    pub fn role(&self) -> Role {
        match self {
            SessionGroup::MexcPublic(_)
            | SessionGroup::GateioSpotPublic(_)
            | SessionGroup::GateioFuturesPublic(_) => Role::Public,
            SessionGroup::MexcPrivate(_)
            | SessionGroup::GateioSpotPrivate(_)
            | SessionGroup::GateioFuturesPrivate(_) => Role::Private,
        }
    }

    /// How many sessions.
    pub fn len(&self) -> usize {
        with_sessions!(self, v => v.len())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The connect-rate limit the group's connections share.
    pub fn connect_limit(&self) -> ConnectRateLimit {
        match self {
            SessionGroup::MexcPublic(_) => exchange_mexc::POOL_CONNECT_LIMIT,
            _ => DEFAULT_CONNECT_LIMIT,
        }
    }
}

/// Builds the sessions a plan needs: public ones first, then private ones.
pub fn build(plan: &StreamPlan) -> Result<Vec<SessionGroup>, String> {
    match plan.venue {
        Venue::MexcSpot => Ok(build_mexc(plan)),
        Venue::GateioSpot => {
            let (public, private) = build_gateio::<SpotMarket>(plan)?;
            Ok(public
                .map(SessionGroup::GateioSpotPublic)
                .into_iter()
                .chain(private.map(SessionGroup::GateioSpotPrivate))
                .collect())
        }
        Venue::GateioFutures => {
            let (public, private) = build_gateio::<FuturesMarket>(plan)?;
            Ok(public
                .map(SessionGroup::GateioFuturesPublic)
                .into_iter()
                .chain(private.map(SessionGroup::GateioFuturesPrivate))
                .collect())
        }
    }
}

type GateioSessions<M> = (
    Option<Vec<GateioPublicWebSocketHandler<EventSink, M>>>,
    Option<Vec<GateioPrivateWebSocketHandler<EventSink, M>>>,
);

fn build_gateio<M: GateioMarket>(plan: &StreamPlan) -> Result<GateioSessions<M>, String> {
    // The REST base includes `/api/v4`; signatures cover the path from `/api/v4` on, even
    // when the base sits below a prefix (a proxy, the simulator's mount).
    let mut rest = plan.rest_url.trim_end_matches('/').to_string();
    if !rest.ends_with("/api/v4") {
        rest.push_str("/api/v4");
    }
    let mut config = GateioHandlerConfig::new(exchange_gateio::Endpoints::custom(
        plan.ws_url.clone(),
        rest,
    ));
    config.rest_signature_prefix = Some("/api/v4".into());
    config.credentials = plan
        .credentials
        .as_ref()
        .map(|k| exchange_gateio::Credentials::new(k.key(), k.secret()));
    config.depth = match plan.depth {
        None | Some(20) => BookDepth::Levels20,
        Some(50) => BookDepth::Levels50,
        Some(100) => BookDepth::Levels100,
        Some(other) => {
            return Err(format!(
                "--depth {other} is not a Gate.io book depth; use 20, 50 or 100"
            ));
        }
    };
    config.private_symbols = plan.symbols.clone();
    if plan.fast_timers {
        config.ping = PingSettings {
            app_ping_interval: Some(Duration::from_secs(1)),
            protocol_ping_interval: None,
            idle_timeout: Some(Duration::from_secs(3)),
        };
        config.tick_interval = Duration::from_millis(50);
        config.reconnection.initial_delay = Duration::from_millis(100);
        config.reconnection.max_delay = Duration::from_secs(1);
        config.reconnection.connect_rate = ConnectRateLimit {
            max_attempts: 20,
            window: Duration::from_secs(1),
        };
        config.ack_timeout = Duration::from_secs(2);
        config.auth_timeout = Duration::from_secs(2);
        config.rest_retry = Duration::from_millis(200);
        config.snapshot_backoff_initial = Duration::from_millis(100);
        config.snapshot_backoff_max = Duration::from_secs(1);
    }
    let public = if plan.has_public() {
        let mut topics = Vec::new();
        for symbol in &plan.symbols {
            let symbol = *symbol;
            if plan.wants(ChannelName::Book) {
                topics.push(GateioPublicTopic::OrderBook(symbol));
            }
            if plan.wants(ChannelName::Trades) {
                topics.push(GateioPublicTopic::Trades(symbol));
            }
            if plan.wants(ChannelName::Ticker) {
                topics.push(GateioPublicTopic::BookTicker(symbol));
            }
            if plan.wants(ChannelName::Ticker24h) {
                topics.push(GateioPublicTopic::Tickers(symbol));
            }
        }
        let handler = GateioPublicWebSocketHandler::new(config.clone(), topics, plan.sink())
            .map_err(|e| format!("{}: {e}", plan.venue))?;
        Some(vec![handler])
    } else {
        None
    };
    let private = plan
        .has_private()
        .then(|| vec![GateioPrivateWebSocketHandler::new(config, plan.sink())]);
    Ok((public, private))
}

fn build_mexc(plan: &StreamPlan) -> Vec<SessionGroup> {
    let mut config = exchange_mexc::MexcConfig {
        endpoints: exchange_mexc::Endpoints::new(plan.ws_url.clone(), plan.rest_url.clone()),
        credentials: plan
            .credentials
            .as_ref()
            .map(|k| exchange_mexc::Credentials::new(k.key(), k.secret())),
        ..exchange_mexc::MexcConfig::default()
    };
    if let Some(depth) = plan.depth {
        config.book.snapshot_depth = u16::try_from(depth.min(5000)).unwrap_or(5000);
    }
    if plan.fast_timers {
        config.book.snapshot_after_quiet = Duration::from_millis(500);
        config.book.retry_initial = Duration::from_millis(100);
        config.book.retry_max = Duration::from_secs(1);
    }
    let mut handler = MexcHandlerConfig::new(config);
    if plan.fast_timers {
        handler.context.ping = Some(PingSettings {
            app_ping_interval: Some(Duration::from_secs(1)),
            protocol_ping_interval: None,
            idle_timeout: Some(Duration::from_secs(3)),
        });
        handler.context.tick_interval = Some(Duration::from_millis(50));
        handler.reconnection.initial_delay = Duration::from_millis(100);
        handler.reconnection.max_delay = Duration::from_secs(1);
        handler.reconnection.connect_rate = ConnectRateLimit {
            max_attempts: 20,
            window: Duration::from_secs(1),
        };
        handler.ack_timeout = Duration::from_secs(2);
        handler.rest_retry = Duration::from_millis(200);
    }
    let mut groups = Vec::new();
    if plan.has_public() {
        let mut channels = Vec::new();
        for symbol in &plan.symbols {
            let symbol = *symbol;
            let interval = AggInterval::Ms10;
            if plan.wants(ChannelName::Book) {
                channels.push(MexcChannel::AggreDepth { symbol, interval });
            }
            if plan.wants(ChannelName::Trades) {
                channels.push(MexcChannel::AggreDeals { symbol, interval });
            }
            if plan.wants(ChannelName::Ticker) {
                channels.push(MexcChannel::AggreBookTicker { symbol, interval });
            }
        }
        let shards = MexcPublicWebSocketHandler::shards(handler.clone(), channels, |_| plan.sink());
        groups.push(SessionGroup::MexcPublic(shards));
    }
    if plan.has_private() {
        groups.push(SessionGroup::MexcPrivate(vec![
            MexcPrivateWebSocketHandler::new(handler, plan.symbols.iter().copied(), plan.sink()),
        ]));
    }
    groups
}

impl VenueSession for MexcPublicWebSocketHandler<EventSink> {
    fn sink(&self) -> &EventSink {
        self.callbacks()
    }

    fn sink_mut(&mut self) -> &mut EventSink {
        self.callbacks_mut()
    }

    fn book_symbols(&self) -> Vec<Symbol> {
        self.symbols().collect()
    }

    fn book(&self, symbol: Symbol) -> Option<(&OrderBook, BookStatus)> {
        MexcPublicWebSocketHandler::book(self, symbol).zip(self.status(symbol))
    }

    fn handler_stats(&self) -> Option<&HandlerStats> {
        Some(self.stats())
    }

    fn book_sync(&self) -> BookSyncSummary {
        let s = self.book_stats();
        BookSyncSummary {
            snapshots_requested: s.snapshots_requested,
            snapshots_applied: s.snapshots_applied,
            snapshots_failed: s.stale_snapshots + s.snapshot_failures,
            resyncs: s.resyncs,
        }
    }
}

impl VenueSession for MexcPrivateWebSocketHandler<EventSink> {
    fn sink(&self) -> &EventSink {
        self.callbacks()
    }

    fn sink_mut(&mut self) -> &mut EventSink {
        self.callbacks_mut()
    }

    fn book_symbols(&self) -> Vec<Symbol> {
        Vec::new()
    }

    fn book(&self, _symbol: Symbol) -> Option<(&OrderBook, BookStatus)> {
        None
    }

    fn handler_stats(&self) -> Option<&HandlerStats> {
        Some(self.stats())
    }

    fn book_sync(&self) -> BookSyncSummary {
        BookSyncSummary::default()
    }
}

impl<M: GateioMarket> VenueSession for GateioPublicWebSocketHandler<EventSink, M> {
    fn sink(&self) -> &EventSink {
        self.callbacks()
    }

    fn sink_mut(&mut self) -> &mut EventSink {
        self.callbacks_mut()
    }

    fn book_symbols(&self) -> Vec<Symbol> {
        self.symbols().collect()
    }

    fn book(&self, symbol: Symbol) -> Option<(&OrderBook, BookStatus)> {
        GateioPublicWebSocketHandler::book(self, symbol).zip(self.status(symbol))
    }

    fn handler_stats(&self) -> Option<&HandlerStats> {
        Some(self.stats())
    }

    fn book_sync(&self) -> BookSyncSummary {
        let s = self.book_stats();
        BookSyncSummary {
            snapshots_requested: s.snapshots_requested,
            snapshots_applied: s.snapshots_applied,
            snapshots_failed: s.stale_snapshots + s.snapshot_failures,
            resyncs: s.resyncs,
        }
    }
}

impl<M: GateioMarket> VenueSession for GateioPrivateWebSocketHandler<EventSink, M> {
    fn sink(&self) -> &EventSink {
        self.callbacks()
    }

    fn sink_mut(&mut self) -> &mut EventSink {
        self.callbacks_mut()
    }

    fn book_symbols(&self) -> Vec<Symbol> {
        Vec::new()
    }

    fn book(&self, _symbol: Symbol) -> Option<(&OrderBook, BookStatus)> {
        None
    }

    fn handler_stats(&self) -> Option<&HandlerStats> {
        Some(self.stats())
    }

    fn book_sync(&self) -> BookSyncSummary {
        BookSyncSummary::default()
    }
}

/// Connect-rate limit for groups whose venue crate gives none.
const DEFAULT_CONNECT_LIMIT: ConnectRateLimit = ConnectRateLimit {
    max_attempts: 5,
    window: Duration::from_secs(1),
};

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_checked_per_venue() {
        assert!(parse_symbol(Venue::GateioSpot, "BTC_USDT").is_ok());
        let e = parse_symbol(Venue::GateioSpot, "btc-usdt").unwrap_err();
        assert!(e.contains("did you mean BTC_USDT?"), "{e}");
        assert!(parse_symbol(Venue::MexcSpot, "BTCUSDT").is_ok());
        let e = parse_symbol(Venue::MexcSpot, "BTC_USDT").unwrap_err();
        assert!(e.contains("did you mean BTCUSDT?"), "{e}");
    }

    #[test]
    fn channels_and_venues_parse_with_helpful_errors() {
        assert_eq!("trades".parse::<ChannelName>(), Ok(ChannelName::Trades));
        assert_eq!("fill".parse::<ChannelName>(), Ok(ChannelName::Fills));
        assert!(
            "candles"
                .parse::<ChannelName>()
                .unwrap_err()
                .contains("book,trades")
        );
        assert_eq!(parse_venue("MEXC-SPOT"), Ok(Venue::MexcSpot));
        assert!(parse_venue("binance").unwrap_err().contains("gateio-spot"));
        assert!(check_channels(Venue::MexcSpot, &[ChannelName::Positions]).is_err());
        assert!(check_channels(Venue::GateioFutures, &[ChannelName::Positions]).is_ok());
    }
}
