//! [`EventSink`]: the callbacks that turn a venue handler's calls into [`Event`]s.

use market_types::{
    Balance, BookStatus, BookStatusEvent, BookTicker, BookUpdate, Fill, Order, OrderBook, Position,
    Side, Ticker, Trade, Venue,
};
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin, PublicWebSocketMixin, StreamError};

use super::{Event, EventBody, EventKind};

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
        let bids = book.top(Side::Buy, self.levels).to_vec();
        let asks = book.top(Side::Sell, self.levels).to_vec();
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
