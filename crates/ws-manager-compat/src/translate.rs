//! Typed events → `ParsedMessage`, shared by both paths so that they cannot disagree on the
//! translation; only *how* the typed events are produced differs between them.

use std::time::Instant;

use market_types::{
    Balance, BookStatusEvent, BookTicker, BookUpdate, Fill, Order, OrderBook, Position, Ticker,
    Trade, Venue,
};
use ws_core::ConnectionState;
use ws_handlers::Feed;
use ws_mixins::{ErrorCategory, StreamError};
#[cfg(feature = "mixin")]
use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin};

use crate::types::{ErrorInfo, MessageData, MessageType, ParsedMessage, Symbol};

/// The user's old `message_handler`: called once per [`ParsedMessage`], on the connection's
/// processing task (queued mode) or reader task (inline mode). Keep it short; hand slow work
/// to your own bounded channel.
pub type MessageHandler = Box<dyn FnMut(ParsedMessage) + Send>;

/// The user's old `connection_handler`: called once per real state change.
pub type ConnectionHandler = Box<dyn FnMut(ConnectionState) + Send>;

/// Venue symbols ↔ old `Symbol`s, for the symbols this manager subscribed.
#[derive(Debug, Clone)]
pub(crate) struct Translator {
    venue: Venue,
    /// The venue's channel names (looked up once, from its connector).
    channel_name: fn(Feed) -> Option<&'static str>,
    symbols: Vec<(market_types::Symbol, Symbol)>,
}

impl Translator {
    pub(crate) fn new(venue: Venue) -> Self {
        Self {
            venue,
            channel_name: venue_registry::profile(venue).channel_name,
            symbols: Vec::new(),
        }
    }

    /// Remembers how `symbol` is spelled on this venue and returns that spelling.
    pub(crate) fn register(&mut self, symbol: &Symbol) -> Option<market_types::Symbol> {
        let venue_symbol = venue_symbol(self.venue, symbol)?;
        if !self.symbols.iter().any(|(v, _)| *v == venue_symbol) {
            self.symbols.push((venue_symbol, symbol.clone()));
        }
        Some(venue_symbol)
    }

    /// The old symbol of a venue symbol: a subscribed one, else split at `_` (Gate.io) or
    /// before a known quote asset (MEXC).
    pub(crate) fn old_symbol(&self, symbol: market_types::Symbol) -> Option<Symbol> {
        if let Some((_, old)) = self.symbols.iter().find(|(v, _)| *v == symbol) {
            return Some(old.clone());
        }
        let text = symbol.as_str();
        let futures = self.venue == Venue::GateioFutures;
        let (base, quote) = match text.split_once('_') {
            Some(pair) => pair,
            None => QUOTES
                .iter()
                .find(|q| text.len() > q.len() && text.ends_with(*q))
                .map(|q| text.split_at(text.len() - q.len()))?,
        };
        Some(Symbol {
            base: base.to_owned(),
            quote: quote.to_owned(),
            is_futures: futures,
        })
    }

    fn message(
        &self,
        message_type: MessageType,
        symbol: Option<market_types::Symbol>,
        data: MessageData,
    ) -> ParsedMessage {
        ParsedMessage {
            message_type,
            symbol: symbol.and_then(|s| self.old_symbol(s)),
            channel: feed(&data).and_then(self.channel_name),
            data: Some(data),
            timestamp: Instant::now(),
        }
    }

    pub(crate) fn order_book(&self, book: &OrderBook, update: &BookUpdate) -> ParsedMessage {
        self.message(
            MessageType::Orderbook,
            Some(update.symbol),
            MessageData::OrderBook {
                book: book.clone(),
                update: *update,
            },
        )
    }

    pub(crate) fn trade(&self, trade: &Trade) -> ParsedMessage {
        self.message(
            MessageType::Trade,
            Some(trade.symbol),
            MessageData::Trade(*trade),
        )
    }

    pub(crate) fn book_ticker(&self, ticker: &BookTicker) -> ParsedMessage {
        self.message(
            MessageType::BookTicker,
            Some(ticker.symbol),
            MessageData::BookTicker(*ticker),
        )
    }

    pub(crate) fn ticker(&self, ticker: &Ticker) -> ParsedMessage {
        self.message(
            MessageType::Ticker,
            Some(ticker.symbol),
            MessageData::Ticker(*ticker),
        )
    }

    pub(crate) fn book_status(&self, event: &BookStatusEvent) -> ParsedMessage {
        self.message(
            MessageType::Other,
            Some(event.symbol),
            MessageData::BookStatus(*event),
        )
    }

    pub(crate) fn order(&self, order: &Order) -> ParsedMessage {
        self.message(
            MessageType::Order,
            Some(order.symbol),
            MessageData::Order(*order),
        )
    }

    pub(crate) fn fill(&self, fill: &Fill) -> ParsedMessage {
        self.message(
            MessageType::Trade,
            Some(fill.symbol),
            MessageData::Fill(*fill),
        )
    }

    pub(crate) fn balance(&self, balance: &Balance) -> ParsedMessage {
        self.message(MessageType::Balance, None, MessageData::Balance(*balance))
    }

    pub(crate) fn position(&self, position: &Position) -> ParsedMessage {
        self.message(
            MessageType::Other,
            Some(position.symbol),
            MessageData::Position(*position),
        )
    }

    #[cfg(feature = "mixin")]
    pub(crate) fn reconciled(&self) -> ParsedMessage {
        self.message(
            MessageType::Other,
            None,
            MessageData::Reconciled { venue: self.venue },
        )
    }

    pub(crate) fn error(&self, error: &StreamError) -> ParsedMessage {
        let message_type = if error.category == ErrorCategory::SubscriptionRejected {
            MessageType::SubscriptionError
        } else {
            MessageType::Error
        };
        ParsedMessage {
            message_type,
            symbol: None,
            channel: None,
            data: Some(MessageData::Error(ErrorInfo {
                category: error.category,
                message: error.message.clone(),
            })),
            timestamp: Instant::now(),
        }
    }
}

/// Where translated messages go: the user's handler, with counts for the metrics.
pub(crate) struct MessageSink {
    handler: MessageHandler,
    pub(crate) translator: Translator,
    pub(crate) delivered: u64,
    pub(crate) errors: u64,
}

impl std::fmt::Debug for MessageSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageSink")
            .field("venue", &self.translator.venue)
            .field("delivered", &self.delivered)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

impl MessageSink {
    pub(crate) fn new(handler: MessageHandler, translator: Translator) -> Self {
        Self {
            handler,
            translator,
            delivered: 0,
            errors: 0,
        }
    }

    /// A sink that drops everything (for a session being shut down).
    pub(crate) fn discard(venue: Venue) -> Self {
        Self::new(Box::new(|_| {}), Translator::new(venue))
    }

    #[inline]
    pub(crate) fn deliver(&mut self, message: ParsedMessage) {
        if matches!(
            message.message_type,
            MessageType::Error | MessageType::SubscriptionError
        ) {
            self.errors += 1;
        }
        self.delivered += 1;
        (self.handler)(message);
    }

    /// Moves the handler and the symbols out, leaving a discarding sink behind.
    pub(crate) fn take(&mut self) -> MessageSink {
        let venue = self.translator.venue;
        std::mem::replace(self, MessageSink::discard(venue))
    }
}

/// The user's handler, taken only once nothing else can fail.
pub(crate) fn take_sink(sink: &mut Option<MessageSink>) -> Result<MessageSink, crate::CompatError> {
    sink.take()
        .ok_or_else(|| crate::CompatError::init_failed("the message handler is gone".into(), None))
}

/// The mixin path's callbacks: every `PublicWebSocketMixin` / `PrivateWebSocketMixin`
/// callback becomes one `ParsedMessage` for the user's handler.
#[cfg(feature = "mixin")]
#[derive(Debug)]
pub struct Translate {
    pub(crate) sink: MessageSink,
}

#[cfg(feature = "mixin")]
impl Translate {
    pub(crate) fn new(sink: MessageSink) -> Self {
        Self { sink }
    }
}

#[cfg(feature = "mixin")]
impl PublicWebSocketMixin for Translate {
    #[inline]
    fn on_order_book(&mut self, book: &OrderBook, update: &BookUpdate) {
        let m = self.sink.translator.order_book(book, update);
        self.sink.deliver(m);
    }

    #[inline]
    fn on_trade(&mut self, trade: &Trade) {
        let m = self.sink.translator.trade(trade);
        self.sink.deliver(m);
    }

    #[inline]
    fn on_book_ticker(&mut self, ticker: &BookTicker) {
        let m = self.sink.translator.book_ticker(ticker);
        self.sink.deliver(m);
    }

    fn on_ticker(&mut self, ticker: &Ticker) {
        let m = self.sink.translator.ticker(ticker);
        self.sink.deliver(m);
    }

    fn on_book_status(&mut self, event: &BookStatusEvent) {
        let m = self.sink.translator.book_status(event);
        self.sink.deliver(m);
    }

    fn on_error(&mut self, error: &StreamError) {
        let m = self.sink.translator.error(error);
        self.sink.deliver(m);
    }
}

#[cfg(feature = "mixin")]
impl PrivateWebSocketMixin for Translate {
    fn on_order(&mut self, order: &Order) {
        let m = self.sink.translator.order(order);
        self.sink.deliver(m);
    }

    fn on_fill(&mut self, fill: &Fill) {
        let m = self.sink.translator.fill(fill);
        self.sink.deliver(m);
    }

    fn on_balance(&mut self, balance: &Balance) {
        let m = self.sink.translator.balance(balance);
        self.sink.deliver(m);
    }

    fn on_position(&mut self, position: &Position) {
        let m = self.sink.translator.position(position);
        self.sink.deliver(m);
    }

    fn on_reconciled(&mut self) {
        let m = self.sink.translator.reconciled();
        self.sink.deliver(m);
    }

    fn on_error(&mut self, error: &StreamError) {
        let m = self.sink.translator.error(error);
        self.sink.deliver(m);
    }
}

/// How an old `Symbol` is spelled on a venue: `BTCUSDT` (MEXC), `BTC_USDT` (Gate.io).
pub(crate) fn venue_symbol(venue: Venue, symbol: &Symbol) -> Option<market_types::Symbol> {
    let text = venue_registry::profile(venue)
        .symbol_style
        .join(&symbol.base, &symbol.quote);
    market_types::Symbol::new(&text.to_ascii_uppercase()).ok()
}

/// The feed a message belongs to (its venue channel names it).
fn feed(data: &MessageData) -> Option<Feed> {
    Some(match data {
        MessageData::OrderBook { .. } => Feed::Book,
        MessageData::Trade(_) => Feed::Trades,
        MessageData::BookTicker(_) => Feed::Ticker,
        MessageData::Ticker(_) => Feed::Ticker24h,
        MessageData::Order(_) => Feed::Orders,
        MessageData::Fill(_) => Feed::Fills,
        MessageData::Balance(_) => Feed::Balances,
        MessageData::Position(_) => Feed::Positions,
        MessageData::BookStatus(_) | MessageData::Reconciled { .. } | MessageData::Error(_) => {
            return None;
        }
    })
}

/// Quote assets tried, longest first, when a MEXC symbol was not subscribed here.
const QUOTES: [&str; 8] = ["USDT", "USDC", "USDE", "FDUSD", "USD1", "BTC", "ETH", "MX"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip() {
        let mut t = Translator::new(Venue::MexcSpot);
        let btc = Symbol::new("BTC", "USDT");
        let v = t.register(&btc);
        assert_eq!(v.map(|s| s.to_string()), Some("BTCUSDT".to_owned()));
        let unknown = market_types::Symbol::new("ETHUSDC").ok();
        assert_eq!(
            unknown.and_then(|s| t.old_symbol(s)),
            Some(Symbol::new("ETH", "USDC"))
        );
        let g = Translator::new(Venue::GateioFutures);
        let s = market_types::Symbol::new("BTC_USDT").ok();
        assert_eq!(
            s.and_then(|s| g.old_symbol(s)),
            Some(Symbol::futures("BTC", "USDT"))
        );
    }

    #[test]
    fn errors_are_counted() {
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = seen.clone();
        let mut sink = MessageSink::new(
            Box::new(move |_| {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }),
            Translator::new(Venue::GateioSpot),
        );
        let e = StreamError {
            category: ErrorCategory::SubscriptionRejected,
            message: "no".into(),
        };
        let m = sink.translator.error(&e);
        assert_eq!(m.message_type, MessageType::SubscriptionError);
        sink.deliver(m);
        assert_eq!((sink.delivered, sink.errors), (1, 1));
        assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
