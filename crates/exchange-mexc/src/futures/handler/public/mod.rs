//! The futures market-data session: local books from `push.depth` (the shared
//! `BookSync` through [`FuturesBookSync`]), top-N books from `push.depth.full`, deals and
//! tickers, on the shared subscription `Lifecycle`.

use market_types::{BookStatus, OrderBook, Symbol, Venue};
use ws_handlers::{CallbackSink, Driven, HandlerStats, Lifecycle, SharedParts};
use ws_mixins::{AuthMixin, PublicWebSocketMixin, SubscriptionMixin, SubscriptionRegistry};
use ws_session::{OutFrame, RestRequestId, Timestamp};

use crate::futures::handler::FuturesHandlerConfig;
use crate::futures::{
    BookSyncStats, ContractDetail, FuturesBookSync, FuturesChannel, Inflater, ping, subscribe,
    unsubscribe,
};

mod frames;
mod session;

const VENUE: Venue = Venue::MexcFutures;
const NAME: &str = "mexc_futures";
/// The contract-detail request's id: far above the book synchroniser's, which count up
/// from 1.
const DETAIL_REQUEST: RestRequestId = RestRequestId(u64::MAX);

/// What a running public session can be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuturesPublicCommand {
    /// Subscribe one more channel.
    Subscribe(FuturesChannel),
    /// Drop a channel (and its book).
    Unsubscribe(FuturesChannel),
    /// Rebuild one contract's book from a fresh snapshot.
    Resync(Symbol),
}

/// This session's own counters (the template's are in [`HandlerStats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FuturesPublicCounters {
    /// Deals delivered.
    pub trades: u64,
    /// Tickers delivered.
    pub tickers: u64,
    /// Top-N books delivered.
    pub partial_books: u64,
    /// Subscriptions confirmed.
    pub acks: u64,
    /// Acks that matched no pending subscription.
    pub stale_acks: u64,
    /// Subscriptions the venue refused.
    pub rejected_channels: u64,
    /// Requests sent again after no ack came.
    pub ack_timeouts: u64,
    /// Pongs received.
    pub pongs: u64,
    /// Depth pushes for a contract without a book.
    pub untracked_pushes: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
}

/// The futures market-data handler: its parts run by the shared `Session` glue.
pub type MexcFuturesPublicHandler<H> = Driven<MexcFuturesPublicParts<H>>;

/// The futures market-data handler's parts: configuration + the channel list + this
/// market's decoders on the shared machinery.
#[derive(Debug)]
pub struct MexcFuturesPublicParts<H: PublicWebSocketMixin> {
    config: FuturesHandlerConfig,
    lifecycle: Lifecycle<FuturesChannel>,
    /// Top-N books of `depth.full` subscriptions, one per contract (bounded by them).
    partial_books: Vec<OrderBook>,
    inflater: Inflater,
    /// The inflated text of the last binary frame (reused).
    inflated: Vec<u8>,
    /// Contract sizes and units of the subscribed contracts, fetched once
    /// (`/api/v1/contract/detail`); sizes on the wire are integers of contracts.
    contracts: Vec<ContractDetail>,
    detail_pending: bool,
    /// The callbacks, the template's counters and the books.
    shared: SharedParts<H, FuturesBookSync>,
    counters: FuturesPublicCounters,
}

/// Renders one request per channel (the venue acks by channel name only).
#[derive(Debug, Clone, Copy, Default)]
pub struct FuturesFormat;

impl SubscriptionMixin for FuturesFormat {
    type Topic = FuturesChannel;

    fn subscribe_message(&self, topics: &[FuturesChannel], _id: u64, _now: Timestamp) -> OutFrame {
        topics.first().map(subscribe).unwrap_or_else(ping)
    }

    fn unsubscribe_message(
        &self,
        topics: &[FuturesChannel],
        _id: u64,
        _now: Timestamp,
    ) -> OutFrame {
        topics.first().map(unsubscribe).unwrap_or_else(ping)
    }
}

/// Market data needs no login.
struct NoLogin;
impl AuthMixin for NoLogin {}

impl<H: PublicWebSocketMixin> MexcFuturesPublicParts<H> {
    /// A session for `channels`, reporting to `callbacks`.
    pub fn new(
        config: FuturesHandlerConfig,
        channels: impl IntoIterator<Item = FuturesChannel>,
        callbacks: H,
    ) -> Self {
        let mut lifecycle = Lifecycle::new(config.ack_timeout);
        for channel in channels {
            lifecycle.subscriptions_mut().add(channel);
        }
        let books = FuturesBookSync::new(config.book, config.rest_url.clone(), VENUE);
        MexcFuturesPublicParts {
            lifecycle,
            partial_books: Vec::new(),
            inflater: Inflater::default(),
            inflated: Vec::new(),
            contracts: Vec::new(),
            detail_pending: false,
            shared: SharedParts::new(callbacks, books),
            counters: FuturesPublicCounters::default(),
            config,
        }
    }

    /// The local book of `symbol` (incremental `depth` subscriptions).
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.shared.books.book(symbol)
    }

    /// Where the book of `symbol` stands.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        self.shared.books.status(symbol)
    }

    /// Contracts with a local book.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.shared.books.symbols()
    }

    /// The last top-N book of a `depth.full` subscription.
    pub fn partial_book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.partial_books.iter().find(|b| b.symbol() == symbol)
    }

    /// The size and units of a subscribed contract, once the venue has told them:
    /// quantities in books, deals and tickers are contracts, and
    /// [`ContractDetail::base_amount`] converts them.
    pub fn contract(&self, symbol: Symbol) -> Option<&ContractDetail> {
        self.contracts.iter().find(|c| c.symbol == symbol)
    }

    /// The channels and their subscription state.
    pub fn subscriptions(&self) -> &SubscriptionRegistry<FuturesChannel> {
        self.lifecycle.subscriptions()
    }

    /// Book synchronisation counters.
    pub fn book_stats(&self) -> BookSyncStats {
        self.shared.books.stats()
    }

    /// Template counters.
    pub fn stats(&self) -> &HandlerStats {
        &self.shared.stats
    }

    /// This session's counters.
    pub fn counters(&self) -> FuturesPublicCounters {
        self.counters
    }

    /// The user's callbacks.
    pub fn callbacks(&self) -> &H {
        &self.shared.callbacks
    }

    /// The user's callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut H {
        &mut self.shared.callbacks
    }

    fn track_books(&mut self, now: Timestamp) {
        let symbols: Vec<Symbol> = self
            .lifecycle
            .subscriptions()
            .active()
            .filter_map(|channel| match channel {
                FuturesChannel::Depth(symbol) => Some(*symbol),
                _ => None,
            })
            .collect();
        for symbol in symbols {
            self.shared
                .books
                .track(symbol, now, &mut CallbackSink(&mut self.shared.callbacks));
        }
    }
}
