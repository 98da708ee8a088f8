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
    Balance, BookStatus, BookStatusEvent, BookTicker, BookUpdate, Fill, Level, Order, OrderBook,
    Position, Symbol, Ticker, Trade, Venue,
};
use ws_handlers::Role;
use ws_mixins::ErrorCategory;

mod json;
mod sink;

pub use json::category_name;
pub use sink::{EventSink, SinkCounters};

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
            bids: book.bids().to_vec(),
            asks: book.asks().to_vec(),
        }
    }
}

/// A full local book with the time it was last current: [`crate::Client::books`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBook {
    /// The venue.
    pub venue: Venue,
    /// When the last input its session took was received (ns since the Unix epoch): the
    /// book is as of then.
    pub receive_ts_ns: u64,
    /// The book.
    pub book: BookLine,
}

impl LocalBook {
    /// The book as a `book` event.
    pub fn into_event(self) -> Event {
        Event {
            venue: self.venue,
            receive_ts_ns: self.receive_ts_ns,
            body: EventBody::Book(self.book),
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

/// Events travel between tasks behind an `Arc`: cloned for the printer and the publisher
/// without copying book levels.
pub type SharedEvent = Arc<Event>;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]
mod tests;
