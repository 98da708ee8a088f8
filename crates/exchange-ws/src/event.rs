//! Normalized events: what the [`crate::Client`] stream yields and what `wsx` prints and
//! publishes, one per line.
//!
//! Every line is a JSON object whose first keys are `kind`, `venue` and (when the event is
//! about an instrument) `symbol`, then the event's own fields, then `exchange_ts_ms` (the
//! venue's time, when it sends one) and `receive_ts_ns` (when the frame that caused the
//! event was read off the socket, or the REST answer arrived). Prices, quantities and every
//! other decimal are exact strings, never floats. Book levels are `["price","qty"]` pairs,
//! best level first.
//!
//! | `kind` | from | fields |
//! |---|---|---|
//! | `book_update` | `book` | `update` (`snapshot`/`delta`), `first_update_id`, `last_update_id`, `bids`, `asks` (top `--levels`) |
//! | `book_status` | `book` | `status` (`syncing`/`live`/`resyncing`), `reason` |
//! | `trade` | `trades` | `trade_id`, `price`, `quantity`, `side` (taker side or null) |
//! | `ticker` | `ticker` | best `bid`/`ask` as levels, `update_id` |
//! | `ticker24h` | `ticker24h` | `last`, `best_bid`, `best_ask`, `high_24h`, `low_24h`, volumes, change, mark/index/funding |
//! | `order` | `orders` | `order_id`, `client_order_id`, `side`, `order_type`, `price`, `quantity`, `filled`, `average_price`, `status` |
//! | `fill` | `fills` | `trade_id`, `order_id`, `client_order_id`, `side`, `price`, `quantity`, `fee`, `fee_asset`, `role` |
//! | `balance` | `balances` | `asset`, `available`, `locked` (no `symbol`) |
//! | `position` | `positions` | `contract`, `size`, `entry_price`, `leverage`, `liquidation_price`, `realised_pnl` |
//! | `error` | any | `category`, `message` (no `symbol`) |
//! | `book` | `book`, on exit | `status`, `update_id`, the full local `bids` and `asks` |
//! | `connection` | any | `role`, `shard`, `status` (`connected`/`disconnected`), `reason` (no `symbol`) |
//! | `lagged` | any | `lost` (the kind), `dropped` (events lost), `symbol` when one |

use std::sync::Arc;

use market_types::{
    Balance, BookStatus, BookStatusEvent, BookTicker, BookUpdate, BookUpdateKind, Fill, Level,
    Order, OrderBook, Position, Side, Symbol, Ticker, Trade, Venue,
};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use ws_handlers::Role;
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin, PublicWebSocketMixin, StreamError};

/// One normalized event, as printed and published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Where it came from.
    pub venue: Venue,
    /// When the input that caused it was received (ns since the Unix epoch).
    pub receive_ts_ns: u64,
    /// What happened.
    pub body: EventBody,
}

/// The event itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventBody {
    /// A public trade.
    Trade(Trade),
    /// Best bid and ask.
    Ticker(BookTicker),
    /// 24 h statistics.
    Ticker24h(Box<Ticker>),
    /// A book snapshot or delta was applied; the top levels after it.
    BookUpdate {
        /// What was applied.
        update: BookUpdate,
        /// Best bids after it.
        bids: Vec<Level>,
        /// Best asks after it.
        asks: Vec<Level>,
    },
    /// A book changed status.
    BookStatus(BookStatusEvent),
    /// An order changed.
    Order(Order),
    /// One of our orders traded.
    Fill(Fill),
    /// A balance changed.
    Balance(Balance),
    /// A position changed.
    Position(Position),
    /// The stream reported a problem and goes on.
    Error {
        /// Broad class.
        category: ErrorCategory,
        /// What the handler said (never credentials).
        message: String,
    },
    /// The full local book, printed once per symbol on exit.
    Book(BookLine),
    /// A connection opened or ended.
    Connection(ConnectionEvent),
    /// The consumer fell behind and events were lost (see [`crate::OverflowPolicy`]).
    Lagged(Lagged),
}

/// A connection opened or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEvent {
    /// Market data or account data.
    pub role: Role,
    /// The connection's index among the venue's connections of that role.
    pub shard: u16,
    /// What happened.
    pub status: ConnectionStatus,
}

/// A connection's new state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// The socket opened (subscriptions and snapshots follow).
    Connected,
    /// The socket ended; the driver reconnects unless the client is closing.
    Disconnected {
        /// Why, as the driver saw it (never credentials).
        reason: String,
    },
}

/// Events lost because the consumer did not keep up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lagged {
    /// The kind of the lost events.
    pub kind: EventKind,
    /// Their instrument, when they had one.
    pub symbol: Option<Symbol>,
    /// How many were lost.
    pub dropped: u64,
}

/// A full local book at one point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookLine {
    /// The instrument.
    pub symbol: Symbol,
    /// Whether it could be trusted at that point.
    pub status: BookStatus,
    /// The venue's id of the last update applied.
    pub update_id: u64,
    /// Bids, best first.
    pub bids: Vec<Level>,
    /// Asks, best first.
    pub asks: Vec<Level>,
}

impl BookLine {
    /// Copies a book.
    pub fn from_book(book: &OrderBook, status: BookStatus) -> Self {
        Self {
            symbol: book.symbol(),
            status,
            update_id: book.update_id(),
            bids: book.bids().collect(),
            asks: book.asks().collect(),
        }
    }
}

/// Which of the printed kinds an event is; also the last token of its NATS subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// `book_update`
    BookUpdate,
    /// `book_status`
    BookStatus,
    /// `trade`
    Trade,
    /// `ticker`
    Ticker,
    /// `ticker24h`
    Ticker24h,
    /// `order`
    Order,
    /// `fill`
    Fill,
    /// `balance`
    Balance,
    /// `position`
    Position,
    /// `error`
    Error,
    /// `book`
    Book,
    /// `connection`
    Connection,
    /// `lagged`
    Lagged,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 13] = [
        EventKind::BookUpdate,
        EventKind::BookStatus,
        EventKind::Trade,
        EventKind::Ticker,
        EventKind::Ticker24h,
        EventKind::Order,
        EventKind::Fill,
        EventKind::Balance,
        EventKind::Position,
        EventKind::Error,
        EventKind::Book,
        EventKind::Connection,
        EventKind::Lagged,
    ];

    /// The `kind` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::BookUpdate => "book_update",
            EventKind::BookStatus => "book_status",
            EventKind::Trade => "trade",
            EventKind::Ticker => "ticker",
            EventKind::Ticker24h => "ticker24h",
            EventKind::Order => "order",
            EventKind::Fill => "fill",
            EventKind::Balance => "balance",
            EventKind::Position => "position",
            EventKind::Error => "error",
            EventKind::Book => "book",
            EventKind::Connection => "connection",
            EventKind::Lagged => "lagged",
        }
    }

    /// Dense index for counters.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Account events go to `acct.*` subjects.
    pub const fn is_private(self) -> bool {
        matches!(
            self,
            EventKind::Order | EventKind::Fill | EventKind::Balance | EventKind::Position
        )
    }
}

impl Event {
    /// The printed kind.
    pub fn kind(&self) -> EventKind {
        match &self.body {
            EventBody::Trade(_) => EventKind::Trade,
            EventBody::Ticker(_) => EventKind::Ticker,
            EventBody::Ticker24h(_) => EventKind::Ticker24h,
            EventBody::BookUpdate { .. } => EventKind::BookUpdate,
            EventBody::BookStatus(_) => EventKind::BookStatus,
            EventBody::Order(_) => EventKind::Order,
            EventBody::Fill(_) => EventKind::Fill,
            EventBody::Balance(_) => EventKind::Balance,
            EventBody::Position(_) => EventKind::Position,
            EventBody::Error { .. } => EventKind::Error,
            EventBody::Book(_) => EventKind::Book,
            EventBody::Connection(_) => EventKind::Connection,
            EventBody::Lagged(_) => EventKind::Lagged,
        }
    }

    /// The instrument, for events about one.
    pub fn symbol(&self) -> Option<Symbol> {
        match &self.body {
            EventBody::Trade(e) => Some(e.symbol),
            EventBody::Ticker(e) => Some(e.symbol),
            EventBody::Ticker24h(e) => Some(e.symbol),
            EventBody::BookUpdate { update, .. } => Some(update.symbol),
            EventBody::BookStatus(e) => Some(e.symbol),
            EventBody::Order(e) => Some(e.symbol),
            EventBody::Fill(e) => Some(e.symbol),
            EventBody::Position(e) => Some(e.symbol),
            EventBody::Book(b) => Some(b.symbol),
            EventBody::Lagged(l) => l.symbol,
            EventBody::Balance(_) | EventBody::Error { .. } | EventBody::Connection(_) => None,
        }
    }

    /// The event as one JSON line (without the newline).
    pub fn to_json(&self) -> String {
        // Serializing plain strings and integers into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The NATS subject: `md.<venue>.<symbol>.<kind>` for market data and final books,
    /// `acct.<venue>.<kind>` for account events, `wsx.<venue>.error` for stream errors.
    pub fn subject(&self) -> String {
        let kind = self.kind();
        let venue = self.venue.as_str();
        if kind.is_private() {
            return format!("acct.{venue}.{}", kind.as_str());
        }
        match self.symbol() {
            Some(symbol) if kind != EventKind::Error => format!(
                "md.{venue}.{}.{}",
                subject_token(symbol.as_str()),
                kind.as_str()
            ),
            _ => format!("wsx.{venue}.{}", kind.as_str()),
        }
    }
}

/// A subject token may not contain `.`, `*`, `>` or whitespace.
fn subject_token(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '.' || c == '*' || c == '>' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Lower-case name of a stream error's category.
pub fn category_name(category: ErrorCategory) -> &'static str {
    match category {
        ErrorCategory::Parse => "parse",
        ErrorCategory::SubscriptionRejected => "subscription_rejected",
        ErrorCategory::Authentication => "authentication",
        ErrorCategory::BookSync => "book_sync",
        ErrorCategory::Rest => "rest",
        ErrorCategory::Venue => "venue",
    }
}

fn status_name(status: BookStatus) -> &'static str {
    match status {
        BookStatus::Syncing => "syncing",
        BookStatus::Live => "live",
        BookStatus::Resyncing(_) => "resyncing",
    }
}

fn status_reason(status: BookStatus) -> Option<String> {
    match status {
        BookStatus::Resyncing(reason) => Some(reason.to_string()),
        _ => None,
    }
}

/// `["price","qty"]`.
struct LevelPair<'a>(&'a Level);

impl Serialize for LevelPair<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(2))?;
        seq.serialize_element(&self.0.price)?;
        seq.serialize_element(&self.0.quantity)?;
        seq.end()
    }
}

struct Levels<'a>(&'a [Level]);

impl Serialize for Levels<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(LevelPair))
    }
}

struct OptLevel<'a>(&'a Option<Level>);

impl Serialize for OptLevel<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(level) => LevelPair(level).serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}

impl Serialize for Event {
    // Written by hand so that the key order is the documented one.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("kind", self.kind().as_str())?;
        m.serialize_entry("venue", self.venue.as_str())?;
        let mut exchange_ts: Option<u64> = None;
        match &self.body {
            EventBody::Trade(t) => {
                m.serialize_entry("symbol", &t.symbol)?;
                m.serialize_entry("trade_id", &t.trade_id)?;
                m.serialize_entry("price", &t.price)?;
                m.serialize_entry("quantity", &t.quantity)?;
                m.serialize_entry("side", &t.taker_side.map(Side::as_str))?;
                exchange_ts = Some(t.exchange_time_ms);
            }
            EventBody::Ticker(t) => {
                m.serialize_entry("symbol", &t.symbol)?;
                m.serialize_entry("bid", &OptLevel(&t.bid))?;
                m.serialize_entry("ask", &OptLevel(&t.ask))?;
                m.serialize_entry("update_id", &t.update_id)?;
                exchange_ts = Some(t.exchange_time_ms);
            }
            EventBody::Ticker24h(t) => {
                m.serialize_entry("symbol", &t.symbol)?;
                m.serialize_entry("last", &t.last)?;
                m.serialize_entry("best_bid", &t.best_bid)?;
                m.serialize_entry("best_ask", &t.best_ask)?;
                m.serialize_entry("high_24h", &t.high_24h)?;
                m.serialize_entry("low_24h", &t.low_24h)?;
                m.serialize_entry("base_volume", &t.base_volume)?;
                m.serialize_entry("quote_volume", &t.quote_volume)?;
                m.serialize_entry("change_percentage", &t.change_percentage)?;
                m.serialize_entry("mark_price", &t.mark_price)?;
                m.serialize_entry("index_price", &t.index_price)?;
                m.serialize_entry("funding_rate", &t.funding_rate)?;
                exchange_ts = Some(t.exchange_time_ms);
            }
            EventBody::BookUpdate { update, bids, asks } => {
                m.serialize_entry("symbol", &update.symbol)?;
                m.serialize_entry(
                    "update",
                    match update.kind {
                        BookUpdateKind::Snapshot => "snapshot",
                        BookUpdateKind::Delta => "delta",
                    },
                )?;
                m.serialize_entry("first_update_id", &update.first_update_id)?;
                m.serialize_entry("last_update_id", &update.last_update_id)?;
                m.serialize_entry("bids", &Levels(bids))?;
                m.serialize_entry("asks", &Levels(asks))?;
                exchange_ts = Some(update.exchange_time_ms);
            }
            EventBody::BookStatus(e) => {
                m.serialize_entry("symbol", &e.symbol)?;
                m.serialize_entry("status", status_name(e.status))?;
                m.serialize_entry("reason", &status_reason(e.status))?;
            }
            EventBody::Order(o) => {
                m.serialize_entry("symbol", &o.symbol)?;
                m.serialize_entry("order_id", &o.order_id)?;
                m.serialize_entry("client_order_id", &o.client_order_id)?;
                m.serialize_entry("side", o.side.as_str())?;
                m.serialize_entry("order_type", &o.order_type)?;
                m.serialize_entry("price", &o.price)?;
                m.serialize_entry("quantity", &o.quantity)?;
                m.serialize_entry("filled", &o.filled)?;
                m.serialize_entry("average_price", &o.average_price)?;
                m.serialize_entry("status", &o.status)?;
                exchange_ts = Some(o.update_time_ms);
            }
            EventBody::Fill(f) => {
                m.serialize_entry("symbol", &f.symbol)?;
                m.serialize_entry("trade_id", &f.trade_id)?;
                m.serialize_entry("order_id", &f.order_id)?;
                m.serialize_entry("client_order_id", &f.client_order_id)?;
                m.serialize_entry("side", f.side.as_str())?;
                m.serialize_entry("price", &f.price)?;
                m.serialize_entry("quantity", &f.quantity)?;
                m.serialize_entry("fee", &f.fee)?;
                m.serialize_entry("fee_asset", &f.fee_asset)?;
                m.serialize_entry("role", &f.role)?;
                exchange_ts = Some(f.time_ms);
            }
            EventBody::Balance(b) => {
                m.serialize_entry("asset", &b.asset)?;
                m.serialize_entry("available", &b.available)?;
                m.serialize_entry("locked", &b.locked)?;
                exchange_ts = Some(b.time_ms);
            }
            EventBody::Position(p) => {
                m.serialize_entry("symbol", &p.symbol)?;
                m.serialize_entry("contract", &p.symbol)?;
                m.serialize_entry("size", &p.size)?;
                m.serialize_entry("entry_price", &p.entry_price)?;
                m.serialize_entry("leverage", &p.leverage)?;
                m.serialize_entry("liquidation_price", &p.liquidation_price)?;
                m.serialize_entry("realised_pnl", &p.realised_pnl)?;
                exchange_ts = Some(p.time_ms);
            }
            EventBody::Error { category, message } => {
                m.serialize_entry("category", category_name(*category))?;
                m.serialize_entry("message", message)?;
            }
            EventBody::Book(b) => {
                m.serialize_entry("symbol", &b.symbol)?;
                m.serialize_entry("status", status_name(b.status))?;
                m.serialize_entry("update_id", &b.update_id)?;
                m.serialize_entry("bids", &Levels(&b.bids))?;
                m.serialize_entry("asks", &Levels(&b.asks))?;
            }
            EventBody::Connection(c) => {
                m.serialize_entry("role", c.role.as_str())?;
                m.serialize_entry("shard", &c.shard)?;
                let (status, reason) = match &c.status {
                    ConnectionStatus::Connected => ("connected", None),
                    ConnectionStatus::Disconnected { reason } => ("disconnected", Some(reason)),
                };
                m.serialize_entry("status", status)?;
                m.serialize_entry("reason", &reason)?;
            }
            EventBody::Lagged(l) => {
                if let Some(symbol) = &l.symbol {
                    m.serialize_entry("symbol", symbol)?;
                }
                m.serialize_entry("lost", l.kind.as_str())?;
                m.serialize_entry("dropped", &l.dropped)?;
            }
        }
        if let Some(ts) = exchange_ts {
            m.serialize_entry("exchange_ts_ms", &ts)?;
        }
        m.serialize_entry("receive_ts_ns", &self.receive_ts_ns)?;
        m.end()
    }
}

/// The callbacks the client (and `wsx`) gives every venue handler: each callback becomes
/// an [`Event`] in a buffer that the session wrapper drains after every driver call.
#[derive(Debug)]
pub struct EventSink {
    venue: Venue,
    levels: usize,
    receive_ts_ns: u64,
    events: Vec<Event>,
    counters: SinkCounters,
    rejections: Vec<String>,
    auth_failures: Vec<String>,
    /// Bit per [`EventKind::index`] of the kinds to emit.
    allowed: u32,
}

/// What the sink has seen, for the status line and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkCounters {
    /// Events by kind, indexed by [`EventKind::index`].
    pub by_kind: [u64; EventKind::ALL.len()],
    /// Books thrown away and rebuilt.
    pub resyncs: u64,
    /// Of those, for an update-id gap.
    pub gaps: u64,
    /// Books that became live.
    pub lives: u64,
}

impl EventSink {
    /// A sink for `venue` that reports the top `levels` of a book with every update.
    pub fn new(venue: Venue, levels: usize) -> Self {
        Self {
            venue,
            levels,
            receive_ts_ns: 0,
            events: Vec::with_capacity(64),
            counters: SinkCounters::default(),
            rejections: Vec::new(),
            auth_failures: Vec::new(),
            allowed: u32::MAX,
        }
    }

    /// Emits only these kinds (a private handler reports every account channel; the user
    /// may want some).
    pub fn with_kinds(mut self, kinds: &[EventKind]) -> Self {
        self.allowed = kinds.iter().fold(0, |bits, k| bits | 1 << k.index());
        self
    }

    /// Emits these kinds too (a channel subscribed at run time).
    pub fn allow(&mut self, kinds: &[EventKind]) {
        self.allowed = kinds
            .iter()
            .fold(self.allowed, |bits, k| bits | 1 << k.index());
    }

    /// The venue.
    pub fn venue(&self) -> Venue {
        self.venue
    }

    /// Sets the receive time stamped on the events of the next driver call. Events a
    /// handler emitted before its first input (books reporting `syncing` when built) get
    /// this first input's time.
    #[inline]
    pub fn set_receive_ts(&mut self, ns: u64) {
        self.receive_ts_ns = ns;
        for event in &mut self.events {
            if event.receive_ts_ns == 0 {
                event.receive_ts_ns = ns;
            }
        }
    }

    /// The receive time of the last input (stamped on the final book lines).
    pub fn receive_ts(&self) -> u64 {
        self.receive_ts_ns
    }

    /// Takes the buffered events.
    #[inline]
    pub fn drain(&mut self) -> std::vec::Drain<'_, Event> {
        self.events.drain(..)
    }

    /// Counters.
    pub fn counters(&self) -> SinkCounters {
        self.counters
    }

    /// Subscriptions the venue refused, with its reason.
    pub fn rejections(&self) -> &[String] {
        &self.rejections
    }

    /// Authentication failures reported.
    pub fn auth_failures(&self) -> &[String] {
        &self.auth_failures
    }

    #[inline]
    fn push(&mut self, body: EventBody) {
        let event = Event {
            venue: self.venue,
            receive_ts_ns: self.receive_ts_ns,
            body,
        };
        let kind = event.kind().index();
        self.counters.by_kind[kind] += 1;
        if self.allowed & 1 << kind != 0 {
            self.events.push(event);
        }
    }

    fn error(&mut self, error: &StreamError) {
        match error.category {
            ErrorCategory::SubscriptionRejected => self.rejections.push(error.message.clone()),
            ErrorCategory::Authentication => self.auth_failures.push(error.message.clone()),
            _ => {}
        }
        self.push(EventBody::Error {
            category: error.category,
            message: error.message.clone(),
        });
    }
}

impl PublicWebSocketMixin for EventSink {
    #[inline]
    fn on_order_book(&mut self, book: &OrderBook, update: &BookUpdate) {
        let bids = book.bids().take(self.levels).collect();
        let asks = book.asks().take(self.levels).collect();
        self.push(EventBody::BookUpdate {
            update: *update,
            bids,
            asks,
        });
    }

    #[inline]
    fn on_trade(&mut self, trade: &Trade) {
        self.push(EventBody::Trade(*trade));
    }

    #[inline]
    fn on_book_ticker(&mut self, ticker: &BookTicker) {
        self.push(EventBody::Ticker(*ticker));
    }

    fn on_ticker(&mut self, ticker: &Ticker) {
        self.push(EventBody::Ticker24h(Box::new(*ticker)));
    }

    fn on_book_status(&mut self, event: &BookStatusEvent) {
        match event.status {
            BookStatus::Resyncing(reason) => {
                self.counters.resyncs += 1;
                if matches!(reason, market_types::ResyncReason::Gap { .. }) {
                    self.counters.gaps += 1;
                }
            }
            BookStatus::Live => self.counters.lives += 1,
            BookStatus::Syncing => {}
        }
        self.push(EventBody::BookStatus(*event));
    }

    fn on_error(&mut self, error: &StreamError) {
        self.error(error);
    }
}

impl PrivateWebSocketMixin for EventSink {
    #[inline]
    fn on_order(&mut self, order: &Order) {
        self.push(EventBody::Order(*order));
    }

    #[inline]
    fn on_fill(&mut self, fill: &Fill) {
        self.push(EventBody::Fill(*fill));
    }

    #[inline]
    fn on_balance(&mut self, balance: &Balance) {
        self.push(EventBody::Balance(*balance));
    }

    #[inline]
    fn on_position(&mut self, position: &Position) {
        self.push(EventBody::Position(*position));
    }

    fn on_error(&mut self, error: &StreamError) {
        self.error(error);
    }
}

/// Events travel between tasks behind an `Arc`: cloned for the printer and the publisher
/// without copying book levels.
pub type SharedEvent = Arc<Event>;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]
mod tests {
    use market_types::{Price, Quantity, TradeId};

    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn trade_line_has_exact_decimals_and_documented_key_order() {
        let mut sink = EventSink::new(Venue::GateioSpot, 5);
        sink.set_receive_ts(1_700_000_000_000_000_123);
        sink.on_trade(&Trade {
            venue: Venue::GateioSpot,
            symbol: sym("BTC_USDT"),
            trade_id: TradeId::new("42").unwrap(),
            price: Price::parse("64250.10").unwrap(),
            quantity: Quantity::parse("0.00012").unwrap(),
            taker_side: Some(Side::Buy),
            exchange_time_ms: 1_700_000_000_000,
        });
        let events: Vec<Event> = sink.drain().collect();
        assert_eq!(
            events[0].to_json(),
            r#"{"kind":"trade","venue":"gateio-spot","symbol":"BTC_USDT","trade_id":"42","price":"64250.1","quantity":"0.00012","side":"buy","exchange_ts_ms":1700000000000,"receive_ts_ns":1700000000000000123}"#
        );
        assert_eq!(events[0].subject(), "md.gateio-spot.BTC_USDT.trade");
    }

    #[test]
    fn book_line_lists_levels_best_first() {
        let mut book = OrderBook::with_capacity(sym("BTCUSDT"), 4);
        book.apply(
            Side::Buy,
            Price::parse("1").unwrap(),
            Quantity::parse("2").unwrap(),
        )
        .unwrap();
        book.apply(
            Side::Buy,
            Price::parse("1.5").unwrap(),
            Quantity::parse("1").unwrap(),
        )
        .unwrap();
        book.apply(
            Side::Sell,
            Price::parse("3").unwrap(),
            Quantity::parse("4").unwrap(),
        )
        .unwrap();
        book.set_update_id(9);
        let event = Event {
            venue: Venue::MexcSpot,
            receive_ts_ns: 5,
            body: EventBody::Book(BookLine::from_book(&book, BookStatus::Live)),
        };
        assert_eq!(
            event.to_json(),
            r#"{"kind":"book","venue":"mexc-spot","symbol":"BTCUSDT","status":"live","update_id":9,"bids":[["1.5","1"],["1","2"]],"asks":[["3","4"]],"receive_ts_ns":5}"#
        );
    }

    #[test]
    fn subjects() {
        let balance = Event {
            venue: Venue::GateioFutures,
            receive_ts_ns: 0,
            body: EventBody::Balance(Balance {
                venue: Venue::GateioFutures,
                asset: market_types::Asset::new("USDT").unwrap(),
                available: market_types::Decimal::parse("1").unwrap(),
                locked: market_types::Decimal::ZERO,
                time_ms: 0,
            }),
        };
        assert_eq!(balance.subject(), "acct.gateio-futures.balance");
        let error = Event {
            venue: Venue::MexcSpot,
            receive_ts_ns: 0,
            body: EventBody::Error {
                category: ErrorCategory::Rest,
                message: "x".into(),
            },
        };
        assert_eq!(error.subject(), "wsx.mexc-spot.error");
        assert_eq!(subject_token("A.B C"), "A_B_C");
    }
}
