//! The old enums and message structs (`structs.py`, `message_types.py`, `exchanges/structs`),
//! with the values the Python code used.

use std::fmt;
use std::time::Instant;

use market_types::{
    Balance, BookStatusEvent, BookTicker, BookUpdate, Fill, Order, OrderBook, Position, Ticker,
    Trade, Venue,
};

/// The old `MessageType(IntEnum)` carried by every [`ParsedMessage`]; the discriminants are
/// the Python values.
#[deprecated(
    note = "use the typed callbacks of ws_mixins::PublicWebSocketMixin / PrivateWebSocketMixin"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i16)]
pub enum MessageType {
    /// Order book (the local book after an update).
    Orderbook = 1,
    /// The old public-trades value; the old parsers emitted [`MessageType::Trade`] instead.
    Trades = 2,
    /// Best bid/ask.
    BookTicker = 3,
    /// 24 h ticker.
    Ticker = 4,
    /// A public trade or one of our fills (the old parsers used this value for both).
    Trade = 5,
    /// A balance change.
    Balance = 6,
    /// An order change.
    Order = 7,
    /// A subscription acknowledgement (consumed by the sessions; never delivered now).
    SubscriptionConfirm = 0,
    /// A heartbeat (consumed by the sessions; never delivered now).
    Heartbeat = 999,
    /// A message that could not be processed, or a venue error.
    Error = -1,
    /// A subscription the venue (or the handler) refused.
    SubscriptionError = -2,
    /// Anything else: positions, book status changes, reconciliation done.
    Other = 888,
    /// Unrecognised.
    Unknown = -999,
}

#[allow(
    deprecated,
    reason = "the compat crate implements its own deprecated items"
)]
impl MessageType {
    /// The Python `IntEnum` value.
    pub fn value(self) -> i16 {
        self as i16
    }

    /// The Python member name.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Orderbook => "ORDERBOOK",
            MessageType::Trades => "TRADES",
            MessageType::BookTicker => "BOOK_TICKER",
            MessageType::Ticker => "TICKER",
            MessageType::Trade => "TRADE",
            MessageType::Balance => "BALANCE",
            MessageType::Order => "ORDER",
            MessageType::SubscriptionConfirm => "SUBSCRIPTION_CONFIRM",
            MessageType::Heartbeat => "HEARTBEAT",
            MessageType::Error => "ERROR",
            MessageType::SubscriptionError => "SUBSCRIPTION_ERROR",
            MessageType::Other => "OTHER",
            MessageType::Unknown => "UNKNOWN",
        }
    }
}

/// The old string enum of `message_types.py` (used by the V6 mixins).
#[deprecated(note = "use ws_handlers::WebSocketMessageType")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebSocketMessageType {
    /// `"ORDERBOOK"`
    Orderbook,
    /// `"TRADE"`
    Trade,
    /// `"TICKER"`
    Ticker,
    /// `"KLINE"`
    Kline,
    /// `"ORDER_UPDATE"`
    OrderUpdate,
    /// `"BALANCE_UPDATE"`
    BalanceUpdate,
    /// `"POSITION_UPDATE"`
    PositionUpdate,
    /// `"PING"`
    Ping,
    /// `"PONG"`
    Pong,
    /// `"SUBSCRIBE"`
    Subscribe,
    /// `"UNSUBSCRIBE"`
    Unsubscribe,
    /// `"ERROR"`
    Error,
    /// `"UNKNOWN"`
    Unknown,
}

#[allow(
    deprecated,
    reason = "the compat crate implements its own deprecated items"
)]
impl WebSocketMessageType {
    /// The Python string value.
    pub fn as_str(self) -> &'static str {
        match self {
            WebSocketMessageType::Orderbook => "ORDERBOOK",
            WebSocketMessageType::Trade => "TRADE",
            WebSocketMessageType::Ticker => "TICKER",
            WebSocketMessageType::Kline => "KLINE",
            WebSocketMessageType::OrderUpdate => "ORDER_UPDATE",
            WebSocketMessageType::BalanceUpdate => "BALANCE_UPDATE",
            WebSocketMessageType::PositionUpdate => "POSITION_UPDATE",
            WebSocketMessageType::Ping => "PING",
            WebSocketMessageType::Pong => "PONG",
            WebSocketMessageType::Subscribe => "SUBSCRIBE",
            WebSocketMessageType::Unsubscribe => "UNSUBSCRIBE",
            WebSocketMessageType::Error => "ERROR",
            WebSocketMessageType::Unknown => "UNKNOWN",
        }
    }
}

#[allow(
    deprecated,
    reason = "the compat crate implements its own deprecated items"
)]
impl From<ws_handlers::WebSocketMessageType> for WebSocketMessageType {
    fn from(t: ws_handlers::WebSocketMessageType) -> Self {
        use ws_handlers::WebSocketMessageType as New;
        match t {
            New::OrderBook => WebSocketMessageType::Orderbook,
            New::Trade | New::ExecutionReport => WebSocketMessageType::Trade,
            New::Ticker | New::BookTicker => WebSocketMessageType::Ticker,
            New::Ping => WebSocketMessageType::Ping,
            New::Pong => WebSocketMessageType::Pong,
            New::Subscribe | New::Auth => WebSocketMessageType::Subscribe,
            New::Unsubscribe => WebSocketMessageType::Unsubscribe,
            New::Error => WebSocketMessageType::Error,
            New::OrderUpdate => WebSocketMessageType::OrderUpdate,
            New::PositionUpdate => WebSocketMessageType::PositionUpdate,
            New::BalanceUpdate => WebSocketMessageType::BalanceUpdate,
            New::Unknown => WebSocketMessageType::Unknown,
        }
    }
}

/// The old `PublicWebsocketChannelType(IntEnum)`.
#[deprecated(
    note = "use the venue crates' typed channels (exchange_mexc::Channel, exchange_gateio::Channel)"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum PublicWebsocketChannelType {
    /// Order book (diff depth, kept in a local book).
    Orderbook = 1,
    /// Public trades.
    Trades = 2,
    /// Best bid/ask.
    BookTicker = 3,
    /// 24 h ticker.
    Ticker = 4,
}

/// `DEFAULT_PUBLIC_WEBSOCKET_CHANNELS` of `exchanges/consts.py`.
#[allow(
    deprecated,
    reason = "the compat crate implements its own deprecated items"
)]
#[deprecated(note = "name the venue channels explicitly")]
pub const DEFAULT_PUBLIC_WEBSOCKET_CHANNELS: [PublicWebsocketChannelType; 3] = [
    PublicWebsocketChannelType::BookTicker,
    PublicWebsocketChannelType::Orderbook,
    PublicWebsocketChannelType::Trades,
];

/// The old `PrivateWebsocketChannelType(IntEnum)`.
#[deprecated(note = "use the venue crates' typed private channels")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum PrivateWebsocketChannelType {
    /// Our fills.
    Trade = 5,
    /// Balances.
    Balance = 6,
    /// Orders.
    Order = 7,
}

/// The old `SubscriptionAction(IntEnum)`.
#[deprecated(note = "use ws_mixins::SubscriptionMixin::{subscribe_message, unsubscribe_message}")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SubscriptionAction {
    /// `1`
    Subscribe = 1,
    /// `2`
    Unsubscribe = 2,
}

/// The old `Symbol(base, quote, is_futures)` (`exchanges/structs/common.py`).
#[deprecated(note = "use market_types::Symbol (the venue's own spelling)")]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol {
    /// Base asset, e.g. `"BTC"`.
    pub base: String,
    /// Quote asset, e.g. `"USDT"`.
    pub quote: String,
    /// A futures contract rather than a spot pair.
    pub is_futures: bool,
}

#[allow(
    deprecated,
    reason = "the compat crate implements its own deprecated items"
)]
impl Symbol {
    /// A spot pair.
    pub fn new(base: impl Into<String>, quote: impl Into<String>) -> Self {
        Self {
            base: base.into().to_ascii_uppercase(),
            quote: quote.into().to_ascii_uppercase(),
            is_futures: false,
        }
    }

    /// A futures contract.
    pub fn futures(base: impl Into<String>, quote: impl Into<String>) -> Self {
        Self {
            is_futures: true,
            ..Self::new(base, quote)
        }
    }
}

#[allow(
    deprecated,
    reason = "the compat crate implements its own deprecated items"
)]
impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.quote)?;
        if self.is_futures {
            f.write_str(" (futures)")?;
        }
        Ok(())
    }
}

/// The old `ParsedMessage` dataclass. The old `raw_data` field is gone: neither path keeps
/// the frame after parsing it (see docs/MIGRATION.md).
#[allow(
    deprecated,
    reason = "the compat crate implements its own deprecated items"
)]
#[deprecated(
    note = "use the typed callbacks of ws_mixins::PublicWebSocketMixin / PrivateWebSocketMixin"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMessage {
    /// What it is.
    pub message_type: MessageType,
    /// The instrument, when the message has one.
    pub symbol: Option<Symbol>,
    /// The venue channel (without the symbol), e.g. `"spot.trades"`.
    pub channel: Option<&'static str>,
    /// The typed payload.
    pub data: Option<MessageData>,
    /// When the message was translated (the old `perf_counter()` default).
    pub timestamp: Instant,
}

#[allow(
    deprecated,
    reason = "the compat crate implements its own deprecated items"
)]
impl ParsedMessage {
    /// Whether two messages are equal in everything but their timestamps.
    pub fn same_content(&self, other: &ParsedMessage) -> bool {
        self.message_type == other.message_type
            && self.symbol == other.symbol
            && self.channel == other.channel
            && self.data == other.data
    }
}

/// The typed payload of a [`ParsedMessage`] (the old `data: Any`).
#[deprecated(
    note = "use the typed callbacks of ws_mixins::PublicWebSocketMixin / PrivateWebSocketMixin"
)]
#[derive(Debug, Clone, PartialEq)]
pub enum MessageData {
    /// The local book right after `update` was applied (the old code passed the raw delta
    /// as if it were a book).
    OrderBook {
        /// The book after the update.
        book: OrderBook,
        /// What was applied.
        update: BookUpdate,
    },
    /// One public trade (one message per trade; the old Gate.io parser sent lists).
    Trade(Trade),
    /// Best bid/ask.
    BookTicker(BookTicker),
    /// 24 h ticker.
    Ticker(Ticker),
    /// An order change.
    Order(Order),
    /// One of our fills.
    Fill(Fill),
    /// A balance change.
    Balance(Balance),
    /// A position change.
    Position(Position),
    /// A local book became Syncing, Live or Resyncing.
    BookStatus(BookStatusEvent),
    /// REST reconciliation after a reconnect finished.
    Reconciled {
        /// Which venue.
        venue: Venue,
    },
    /// What went wrong (the stream goes on).
    Error(ErrorInfo),
}

/// An error reported in a [`ParsedMessage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// Broad class.
    pub category: ws_mixins::ErrorCategory,
    /// Text for logs.
    pub message: String,
}

#[cfg(test)]
#[allow(deprecated, reason = "tests of the deprecated items")]
mod tests {
    use super::*;

    #[test]
    fn int_enum_values_are_the_python_ones() {
        let expected = [
            (MessageType::Orderbook, 1),
            (MessageType::Trades, 2),
            (MessageType::BookTicker, 3),
            (MessageType::Ticker, 4),
            (MessageType::Trade, 5),
            (MessageType::Balance, 6),
            (MessageType::Order, 7),
            (MessageType::SubscriptionConfirm, 0),
            (MessageType::Heartbeat, 999),
            (MessageType::Error, -1),
            (MessageType::SubscriptionError, -2),
            (MessageType::Other, 888),
            (MessageType::Unknown, -999),
        ];
        for (t, v) in expected {
            assert_eq!(t.value(), v, "{}", t.name());
        }
        assert_eq!(PublicWebsocketChannelType::Orderbook as u8, 1);
        assert_eq!(PublicWebsocketChannelType::Trades as u8, 2);
        assert_eq!(PublicWebsocketChannelType::BookTicker as u8, 3);
        assert_eq!(PublicWebsocketChannelType::Ticker as u8, 4);
        assert_eq!(PrivateWebsocketChannelType::Trade as u8, 5);
        assert_eq!(PrivateWebsocketChannelType::Balance as u8, 6);
        assert_eq!(PrivateWebsocketChannelType::Order as u8, 7);
        assert_eq!(SubscriptionAction::Subscribe as u8, 1);
        assert_eq!(SubscriptionAction::Unsubscribe as u8, 2);
    }

    #[test]
    fn string_enum_names() {
        assert_eq!(WebSocketMessageType::OrderUpdate.as_str(), "ORDER_UPDATE");
        assert_eq!(
            WebSocketMessageType::from(ws_handlers::WebSocketMessageType::BookTicker),
            WebSocketMessageType::Ticker
        );
        assert_eq!(
            DEFAULT_PUBLIC_WEBSOCKET_CHANNELS,
            [
                PublicWebsocketChannelType::BookTicker,
                PublicWebsocketChannelType::Orderbook,
                PublicWebsocketChannelType::Trades
            ]
        );
    }

    #[test]
    fn symbol_is_upper_case() {
        let s = Symbol::new("btc", "usdt");
        assert_eq!(s.to_string(), "BTC/USDT");
        assert!(Symbol::futures("BTC", "USDT").is_futures);
    }
}
