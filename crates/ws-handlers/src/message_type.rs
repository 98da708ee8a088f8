//! The plan's `WebSocketMessageType`.

use ws_session::StreamKind;

/// What an inbound message is, decided before it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebSocketMessageType {
    /// Order book snapshot or delta.
    OrderBook,
    /// Public trades.
    Trade,
    /// 24 h ticker.
    Ticker,
    /// Best bid/ask.
    BookTicker,
    /// A venue ping that may need an answer.
    Ping,
    /// A venue pong.
    Pong,
    /// A subscription acknowledgement (or rejection).
    Subscribe,
    /// An unsubscription acknowledgement.
    Unsubscribe,
    /// A login/authentication answer.
    Auth,
    /// A venue error not tied to a subscription.
    Error,
    /// Order status change.
    OrderUpdate,
    /// Position change.
    PositionUpdate,
    /// Balance change.
    BalanceUpdate,
    /// Our own fill.
    ExecutionReport,
    /// Anything else.
    Unknown,
}

impl WebSocketMessageType {
    /// Every type, in index order.
    pub const ALL: [WebSocketMessageType; 15] = [
        WebSocketMessageType::OrderBook,
        WebSocketMessageType::Trade,
        WebSocketMessageType::Ticker,
        WebSocketMessageType::BookTicker,
        WebSocketMessageType::Ping,
        WebSocketMessageType::Pong,
        WebSocketMessageType::Subscribe,
        WebSocketMessageType::Unsubscribe,
        WebSocketMessageType::Auth,
        WebSocketMessageType::Error,
        WebSocketMessageType::OrderUpdate,
        WebSocketMessageType::PositionUpdate,
        WebSocketMessageType::BalanceUpdate,
        WebSocketMessageType::ExecutionReport,
        WebSocketMessageType::Unknown,
    ];

    /// Dense index for counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Market data.
    pub fn is_public(self) -> bool {
        matches!(
            self,
            WebSocketMessageType::OrderBook
                | WebSocketMessageType::Trade
                | WebSocketMessageType::Ticker
                | WebSocketMessageType::BookTicker
        )
    }

    /// Account data.
    pub fn is_private(self) -> bool {
        matches!(
            self,
            WebSocketMessageType::OrderUpdate
                | WebSocketMessageType::PositionUpdate
                | WebSocketMessageType::BalanceUpdate
                | WebSocketMessageType::ExecutionReport
        )
    }

    /// The queue overflow class of this message.
    pub fn stream_kind(self) -> StreamKind {
        match self {
            WebSocketMessageType::OrderBook => StreamKind::Book,
            WebSocketMessageType::Trade => StreamKind::Trade,
            WebSocketMessageType::Ticker | WebSocketMessageType::BookTicker => StreamKind::Ticker,
            t if t.is_private() => StreamKind::Private,
            _ => StreamKind::Control,
        }
    }

    /// Upper-case name as the old API printed it.
    pub fn as_str(self) -> &'static str {
        match self {
            WebSocketMessageType::OrderBook => "ORDERBOOK",
            WebSocketMessageType::Trade => "TRADE",
            WebSocketMessageType::Ticker => "TICKER",
            WebSocketMessageType::BookTicker => "BOOK_TICKER",
            WebSocketMessageType::Ping => "PING",
            WebSocketMessageType::Pong => "PONG",
            WebSocketMessageType::Subscribe => "SUBSCRIBE",
            WebSocketMessageType::Unsubscribe => "UNSUBSCRIBE",
            WebSocketMessageType::Auth => "AUTH",
            WebSocketMessageType::Error => "ERROR",
            WebSocketMessageType::OrderUpdate => "ORDER_UPDATE",
            WebSocketMessageType::PositionUpdate => "POSITION_UPDATE",
            WebSocketMessageType::BalanceUpdate => "BALANCE_UPDATE",
            WebSocketMessageType::ExecutionReport => "EXECUTION_REPORT",
            WebSocketMessageType::Unknown => "UNKNOWN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_dense_and_classes_disjoint() {
        for (i, t) in WebSocketMessageType::ALL.iter().enumerate() {
            assert_eq!(t.index(), i);
            assert!(!(t.is_public() && t.is_private()));
        }
        assert_eq!(
            WebSocketMessageType::OrderBook.stream_kind(),
            StreamKind::Book
        );
        assert_eq!(
            WebSocketMessageType::ExecutionReport.stream_kind(),
            StreamKind::Private
        );
        assert_eq!(
            WebSocketMessageType::BookTicker.stream_kind(),
            StreamKind::Ticker
        );
        assert_eq!(WebSocketMessageType::Trade.stream_kind(), StreamKind::Trade);
        assert_eq!(
            WebSocketMessageType::Subscribe.stream_kind(),
            StreamKind::Control
        );
        assert_eq!(WebSocketMessageType::OrderUpdate.as_str(), "ORDER_UPDATE");
    }
}
