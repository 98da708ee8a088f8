//! The market-data session: the plan's `GateioSpotPublicWebSocketHandler` and
//! `GateioFuturesPublicWebSocketHandler`.

use std::marker::PhantomData;

use market_types::{BookStatus, OrderBook, Symbol};
use ws_handlers::{
    Driven, HandlerError, HandlerStats, Lifecycle, SharedParts, WebSocketMessageType,
};
use ws_mixins::{
    AuthMixin, ErrorCategory, PublicWebSocketMixin, StreamError, SubscriptionError,
    SubscriptionRegistry,
};
use ws_session::{Outbox, SessionSignal, Timestamp};

use crate::book_sync::{BookSync, BookSyncStats, UpdateOutcome};
use crate::channel::RequestEvent;
use crate::error::{Error, ErrorCode};
use crate::wire::{Ack, PublicTrade};

use ws_handlers::CallbackSink;

use super::config::GateioHandlerConfig;
use super::format::{GateioPublicTopic, HandlerHead, PublicFormat, Refusal, recheck_ready};
use super::market::{FuturesMarket, GateioMarket, SpotMarket};

mod session;

/// A Gate market-data handler: its [`GateioPublicParts`] run by the shared `Session`
/// glue. Built with `Driven::new(GateioPublicParts::new(config, topics, callbacks)?)`.
pub type GateioPublicWebSocketHandler<H, M> = Driven<GateioPublicParts<H, M>>;

/// The plan's `GateioSpotPublicWebSocketHandler`.
pub type GateioSpotPublicWebSocketHandler<H> = GateioPublicWebSocketHandler<H, SpotMarket>;

/// The plan's `GateioFuturesPublicWebSocketHandler`.
pub type GateioFuturesPublicWebSocketHandler<H> = GateioPublicWebSocketHandler<H, FuturesMarket>;

/// The parts of a Gate market-data connection (spot or USDT futures, by `M`), composed as the
/// refactoring plan shows: `ConnectionMixin` (endpoints from the configuration,
/// `*.ping` every 15 s, idle watchdog, capped jittered backoff without `reset_on_1005`),
/// `AuthMixin` (none), a `SubscriptionMixin` rendering Gate's per-channel requests,
/// `BaseMessageHandler` + `PublicMessageHandler` routing, and the `VenueSession` hooks
/// that `ws_handlers::Driven` turns into a `ws_session::Session`.
///
/// Per message: the type is read from the envelope's `channel` and `event` without
/// decoding the rest. A book push goes first to [`BookSync::on_frame`], which applies a
/// push that continues a live book in one pass with no allocation; only frames it does
/// not take are decoded by [`crate::parse_frame`]. Every frame is decoded once. Trades, best
/// bid/ask and tickers go to `H::on_trade`, `H::on_book_ticker` and `H::on_ticker`; books
/// to `H::on_order_book` and `H::on_book_status`.
///
/// Acknowledgements are matched by the request id Gate echoes: a confirmed book starts
/// its snapshot. A refused request (error codes 1–3) is reported to `H::on_error` as
/// `SubscriptionRejected`, naming the channel, the pairs and the venue's words; because
/// Gate refuses a multi-pair request as a whole, its pairs are first retried one per
/// request, so only the bad pair ends up refused. Code 4 (authentication) stops the
/// connection with `SessionSignal::AuthenticationFailed`. Refused books are dropped.
#[derive(Debug)]
pub struct GateioPublicParts<H: PublicWebSocketMixin, M: GateioMarket> {
    config: GateioHandlerConfig,
    lifecycle: Lifecycle<GateioPublicTopic>,
    format: PublicFormat,
    /// The callbacks, the template's counters and the books.
    shared: SharedParts<H, BookSync>,
    /// The envelope `detect_message_type` read, for the parser of the same frame.
    head: HandlerHead,
    counters: PublicCounters,
    fatal: Option<String>,
    market: PhantomData<fn() -> M>,
}

/// Commands a running public handler accepts through `Connection::command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateioPublicCommand {
    /// Subscribe one more topic (a book starts syncing at once).
    Subscribe(GateioPublicTopic),
    /// Unsubscribe a topic; a book is dropped.
    Unsubscribe(GateioPublicTopic),
    /// Throw one symbol's book away and rebuild it from a fresh snapshot.
    Resync(Symbol),
}

/// Counters of a public handler beyond [`HandlerStats`] and [`BookSyncStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublicCounters {
    /// Frames that did not decode (skipped; the stream goes on).
    pub decode_errors: u64,
    /// Trades delivered.
    pub trades: u64,
    /// Futures trades flagged `is_internal` (not market trades), skipped.
    pub internal_trades: u64,
    /// Best bid/ask updates delivered.
    pub book_tickers: u64,
    /// Tickers delivered.
    pub tickers: u64,
    /// Book pushes that made a book resync.
    pub resyncs: u64,
    /// Book pushes for no tracked book.
    pub untracked_pushes: u64,
    /// Topics confirmed by an ack.
    pub acks: u64,
    /// Acks for nothing pending (late, duplicate).
    pub stale_acks: u64,
    /// Unsubscribe acks.
    pub unsubscribe_acks: u64,
    /// Topics the venue refused for good.
    pub rejected_topics: u64,
    /// Multi-pair requests refused and retried one pair per request.
    pub split_requests: u64,
    /// Topics requested again after no ack came.
    pub ack_timeouts: u64,
    /// Pongs received.
    pub pongs: u64,
    /// Error messages that named no request.
    pub venue_errors: u64,
}

impl<H: PublicWebSocketMixin, M: GateioMarket> GateioPublicParts<H, M> {
    /// A handler subscribing `topics`; books report `Syncing` to `callbacks` at once.
    ///
    /// # Errors
    /// [`Error::UnsupportedDepth`] when the market has no stream of `config.depth`.
    pub fn new(
        config: GateioHandlerConfig,
        topics: impl IntoIterator<Item = GateioPublicTopic>,
        callbacks: H,
    ) -> Result<Self, Error> {
        let books = BookSync::new(config.book_sync(M::MARKET)?);
        let mut handler = Self {
            lifecycle: Lifecycle::new(config.ack_timeout),
            format: PublicFormat::new(M::MARKET, config.depth),
            shared: SharedParts::new(callbacks, books),
            head: HandlerHead::default(),
            counters: PublicCounters::default(),
            fatal: None,
            market: PhantomData,
            config,
        };
        for topic in topics {
            handler.admit(topic);
        }
        Ok(handler)
    }

    /// The local book of `symbol`; trust it only while [`Self::status`] is `Live`.
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.shared.books.book(symbol)
    }

    /// The status of `symbol`'s book; `None` when no book topic tracks it.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        self.shared.books.status(symbol)
    }

    /// Symbols with a book.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.shared.books.symbols()
    }

    /// The topics and their subscription state (inactive, pending, confirmed, rejected).
    pub fn subscriptions(&self) -> &SubscriptionRegistry<GateioPublicTopic> {
        self.lifecycle.subscriptions()
    }

    /// Whether a socket is open.
    pub fn is_connected(&self) -> bool {
        self.lifecycle.is_connected()
    }

    /// Template counters and per-message timing.
    pub fn stats(&self) -> &HandlerStats {
        &self.shared.stats
    }

    /// This handler's own counters.
    pub fn counters(&self) -> PublicCounters {
        self.counters
    }

    /// Book-sync counters (snapshots, resyncs, pushes applied, rate limits).
    pub fn book_stats(&self) -> BookSyncStats {
        self.shared.books.stats()
    }

    /// Why the handler stopped for good (authentication refused), if it did.
    pub fn fatal_error(&self) -> Option<&str> {
        self.fatal.as_deref()
    }

    /// The user's callbacks.
    pub fn callbacks(&self) -> &H {
        &self.shared.callbacks
    }

    /// The user's callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut H {
        &mut self.shared.callbacks
    }

    /// The configuration in force.
    pub fn config(&self) -> &GateioHandlerConfig {
        &self.config
    }

    /// Adds a topic to the registry (and its book), checking it renders.
    fn admit(&mut self, topic: GateioPublicTopic) -> bool {
        if let Err(error) = self.format.subscription(&[topic]) {
            self.report(
                ErrorCategory::SubscriptionRejected,
                format!("not subscribed: {error}"),
            );
            return false;
        }
        if let GateioPublicTopic::OrderBook(symbol) = topic {
            let SharedParts {
                books, callbacks, ..
            } = &mut self.shared;
            books.track(symbol, &mut CallbackSink(callbacks));
        }
        self.lifecycle.subscriptions_mut().add(topic);
        true
    }

    fn report(&mut self, category: ErrorCategory, message: String) {
        tracing::warn!(exchange = M::NAME, %message, "public stream");
        self.shared
            .callbacks
            .on_error(&StreamError { category, message });
    }

    /// Counts a decode error and converts the error for the template.
    fn fail(&mut self, message_type: WebSocketMessageType, error: &Error) -> HandlerError {
        if error.is_decode() {
            self.counters.decode_errors += 1;
        }
        HandlerError::Decode {
            message_type,
            detail: error.to_string(),
        }
    }

    fn note_book_outcome(&mut self, outcome: UpdateOutcome) {
        match outcome {
            UpdateOutcome::Resync(_) => self.counters.resyncs += 1,
            UpdateOutcome::Untracked => self.counters.untracked_pushes += 1,
            _ => {}
        }
    }

    fn deliver_trade(&mut self, trade: &PublicTrade) {
        if trade.internal {
            self.counters.internal_trades += 1;
            return;
        }
        self.counters.trades += 1;
        self.shared.callbacks.on_trade(&trade.trade);
    }

    fn on_ack(&mut self, ack: &Ack, now: Timestamp, out: &mut Outbox) {
        if ack.event == RequestEvent::Unsubscribe {
            self.counters.unsubscribe_acks += 1;
            return;
        }
        let by_id = ack
            .id
            .and_then(|id| u64::try_from(id).ok())
            .and_then(|id| self.lifecycle.ack_request(id, out).ok());
        let topics = match by_id {
            Some(topics) => topics,
            // No id echoed (or an unknown one): the channel and the echoed pair say which.
            None => match ack.pair.and_then(|p| GateioPublicTopic::of(ack.channel, p)) {
                Some(topic) if self.lifecycle.ack_topic(&topic, out) => vec![topic],
                _ => {
                    self.counters.stale_acks += 1;
                    return;
                }
            },
        };
        for topic in topics {
            self.counters.acks += 1;
            if let GateioPublicTopic::OrderBook(symbol) = topic {
                let SharedParts {
                    books, callbacks, ..
                } = &mut self.shared;
                books.on_subscribed(symbol, now, out, &mut CallbackSink(callbacks));
            }
        }
    }

    fn on_rejected(&mut self, refusal: Refusal<'_>, now: Timestamp, out: &mut Outbox) {
        let reason = format!("{} ({})", refusal.code, refusal.message);
        if refusal.code.is_fatal() {
            let reason = format!("{} {}: {reason}", refusal.event, refusal.channel);
            self.report(ErrorCategory::Authentication, reason.clone());
            self.fatal = Some(reason.clone());
            out.signal(SessionSignal::AuthenticationFailed(reason));
            return;
        }
        if refusal.event == RequestEvent::Unsubscribe {
            self.counters.venue_errors += 1;
            self.report(
                ErrorCategory::Venue,
                format!("unsubscribe {} refused: {reason}", refusal.channel),
            );
            return;
        }
        let registry = self.lifecycle.subscriptions_mut();
        let rejected = match refusal.id.and_then(|id| u64::try_from(id).ok()) {
            Some(id) => registry.reject_request(id, &reason),
            None => SubscriptionError::UnknownAck { request_id: 0 },
        };
        let topics = match rejected {
            SubscriptionError::Rejected { topics, .. } => topics,
            _ => match refusal
                .pair
                .and_then(|p| GateioPublicTopic::of(refusal.channel, p))
            {
                Some(topic) => {
                    registry.reject_topics(&[topic], &reason);
                    vec![topic]
                }
                None => {
                    self.counters.venue_errors += 1;
                    self.report(
                        ErrorCategory::SubscriptionRejected,
                        format!("{} subscription refused: {reason}", refusal.channel),
                    );
                    return;
                }
            },
        };
        if topics.len() > 1 {
            // Gate refuses a multi-pair request as a whole: find the bad pair.
            self.counters.split_requests += 1;
            for topic in &topics {
                self.format.isolate(*topic);
                self.lifecycle.subscriptions_mut().add(*topic);
            }
            self.lifecycle
                .subscriptions_mut()
                .send_inactive(&self.format, now, out);
            return;
        }
        if refusal.code == ErrorCode::ServerError {
            self.lifecycle
                .retry_later(&topics, now.monotonic + self.config.rest_retry);
            self.report(
                ErrorCategory::Venue,
                format!(
                    "{} {} refused: {reason}; retrying",
                    refusal.channel,
                    pairs(&topics)
                ),
            );
            return;
        }
        for topic in &topics {
            self.counters.rejected_topics += 1;
            if let GateioPublicTopic::OrderBook(symbol) = topic {
                self.shared.books.untrack(*symbol);
            }
        }
        self.report(
            ErrorCategory::SubscriptionRejected,
            format!(
                "subscribe {} {} rejected: {reason}",
                refusal.channel,
                pairs(&topics)
            ),
        );
        recheck_ready(&mut self.lifecycle, out);
    }
}

/// Public connections do not authenticate.
struct NoLogin;

impl AuthMixin for NoLogin {}

/// `BTC_USDT,ETH_USDT` for an error message.
fn pairs(topics: &[GateioPublicTopic]) -> String {
    let mut text = String::new();
    for (i, topic) in topics.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(topic.symbol().as_str());
    }
    text
}
