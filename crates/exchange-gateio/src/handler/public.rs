//! The market-data session: the plan's `GateioSpotPublicWebSocketHandler` and
//! `GateioFuturesPublicWebSocketHandler`.

use std::marker::PhantomData;
use std::time::Instant;

use market_types::{BookStatus, BookStatusEvent, BookUpdate, OrderBook, Symbol};
use ws_handlers::{
    BaseMessageHandler, HandlerError, HandlerStats, Lifecycle, PublicMessageHandler,
    WebSocketMessageType,
};
use ws_mixins::{
    AuthMixin, ConnectionMixin, ErrorCategory, PublicWebSocketMixin, StreamError,
    SubscriptionError, SubscriptionRegistry,
};
use ws_session::{
    ConnectionContext, DisconnectCause, InboundFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, Session, SessionSignal, StreamKind, Timestamp,
};

use crate::book_sync::{BookSink, BookSync, BookSyncStats, UpdateOutcome};
use crate::channel::{RequestEvent, ping_request};
use crate::error::{Error, ErrorCode};
use crate::wire::{Ack, Message, PublicTrade, parse_frame_with};

use super::config::GateioHandlerConfig;
use super::format::{
    GateioPublicTopic, HandlerHead, PublicFormat, Refusal, message_type, recheck_ready, shown,
};
use super::market::{FuturesMarket, GateioMarket, SpotMarket};

/// The plan's `GateioSpotPublicWebSocketHandler`.
pub type GateioSpotPublicWebSocketHandler<H> = GateioPublicWebSocketHandler<H, SpotMarket>;

/// The plan's `GateioFuturesPublicWebSocketHandler`.
pub type GateioFuturesPublicWebSocketHandler<H> = GateioPublicWebSocketHandler<H, FuturesMarket>;

/// A Gate market-data connection (spot or USDT futures, by `M`), composed as the
/// refactoring plan shows: `ConnectionMixin` (endpoints from the configuration,
/// `*.ping` every 15 s, idle watchdog, capped jittered backoff without `reset_on_1005`),
/// `AuthMixin` (none), a `SubscriptionMixin` rendering Gate's per-channel requests,
/// `BaseMessageHandler` + `PublicMessageHandler` routing, and `ws_session::Session`.
///
/// Per message: the type is read from the envelope's `channel` and `event` without
/// decoding the rest. A book push goes first to [`BookSync::on_frame`], which applies a
/// push that continues a live book in one pass with no allocation; only frames it does
/// not take are decoded by [`parse_frame`]. Every frame is decoded once. Trades, best
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
pub struct GateioPublicWebSocketHandler<H: PublicWebSocketMixin, M: GateioMarket> {
    config: GateioHandlerConfig,
    lifecycle: Lifecycle<GateioPublicTopic>,
    format: PublicFormat,
    books: BookSync,
    callbacks: H,
    stats: HandlerStats,
    /// The envelope `detect_message_type` read, for the parser of the same frame.
    head: HandlerHead,
    counters: PublicCounters,
    error_category: ErrorCategory,
    fatal: Option<String>,
    /// When topics refused with a server error (code 3) are requested again.
    retry_at: Option<Instant>,
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

impl<H: PublicWebSocketMixin, M: GateioMarket> GateioPublicWebSocketHandler<H, M> {
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
            books,
            callbacks,
            stats: HandlerStats::default(),
            head: HandlerHead::default(),
            counters: PublicCounters::default(),
            error_category: ErrorCategory::Parse,
            fatal: None,
            retry_at: None,
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
        self.books.book(symbol)
    }

    /// The status of `symbol`'s book; `None` when no book topic tracks it.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        self.books.status(symbol)
    }

    /// Symbols with a book.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.books.symbols()
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
        &self.stats
    }

    /// This handler's own counters.
    pub fn counters(&self) -> PublicCounters {
        self.counters
    }

    /// Book-sync counters (snapshots, resyncs, pushes applied, rate limits).
    pub fn book_stats(&self) -> BookSyncStats {
        self.books.stats()
    }

    /// Why the handler stopped for good (authentication refused), if it did.
    pub fn fatal_error(&self) -> Option<&str> {
        self.fatal.as_deref()
    }

    /// The user's callbacks.
    pub fn callbacks(&self) -> &H {
        &self.callbacks
    }

    /// The user's callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut H {
        &mut self.callbacks
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
            let Self {
                books, callbacks, ..
            } = self;
            books.track(symbol, &mut Sink(callbacks));
        }
        self.lifecycle.subscriptions_mut().add(topic);
        true
    }

    fn report(&mut self, category: ErrorCategory, message: String) {
        tracing::warn!(exchange = M::NAME, %message, "public stream");
        self.callbacks.on_error(&StreamError { category, message });
    }

    /// Records the category for `on_error` and converts the error for the template.
    fn fail(&mut self, message_type: WebSocketMessageType, error: &Error) -> HandlerError {
        self.error_category = ErrorCategory::Parse;
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
        self.callbacks.on_trade(&trade.trade);
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
                let Self {
                    books, callbacks, ..
                } = self;
                books.on_subscribed(symbol, now, out, &mut Sink(callbacks));
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
            for topic in &topics {
                self.lifecycle.subscriptions_mut().add(*topic);
            }
            self.retry_at = Some(now.monotonic + self.config.rest_retry);
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
                self.books.untrack(*symbol);
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

impl<H: PublicWebSocketMixin, M: GateioMarket> ConnectionMixin
    for GateioPublicWebSocketHandler<H, M>
{
    /// The configured WebSocket URL, headers and heartbeat.
    fn create_connection_context(&self) -> ConnectionContext {
        self.config.context(match M::MARKET {
            crate::channel::Market::Spot => "gateio-spot-public",
            crate::channel::Market::Futures => "gateio-futures-public",
        })
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// Refused authentication stops everything; otherwise the default (fatal causes
    /// stop, `Retry-After` is honoured, everything else is retried with backoff).
    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        if self.fatal.is_some() {
            return ReconnectDecision::Stop;
        }
        cause.default_decision()
    }
}

/// Market streams need no login.
impl<H: PublicWebSocketMixin, M: GateioMarket> AuthMixin for GateioPublicWebSocketHandler<H, M> {}

impl<H: PublicWebSocketMixin, M: GateioMarket> BaseMessageHandler
    for GateioPublicWebSocketHandler<H, M>
{
    /// Off: exchange crates read no clock (architecture invariant). The driver measures
    /// receive-to-handled latency for every message in `ConnectionStats`.
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        M::NAME
    }

    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> WebSocketMessageType {
        self.head.detect(frame.payload)
    }

    fn route_message(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        let routed = self.route_public(message_type, frame, out);
        self.head.clear();
        routed
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.stats
    }

    /// Logged as the default does, then reported to `H::on_error`.
    fn handle_processing_error(
        &mut self,
        message_type: WebSocketMessageType,
        error: &HandlerError,
        raw: &[u8],
    ) {
        tracing::warn!(
            exchange = M::NAME,
            message_type = message_type.as_str(),
            %error,
            raw = %shown(raw),
            "message skipped"
        );
        let category = std::mem::replace(&mut self.error_category, ErrorCategory::Parse);
        self.callbacks.on_error(&StreamError {
            category,
            message: error.to_string(),
        });
    }
}

impl<H: PublicWebSocketMixin, M: GateioMarket> PublicMessageHandler
    for GateioPublicWebSocketHandler<H, M>
{
    /// [`BookSync::on_frame`] first (the one-pass path, from the `result` when the envelope
    /// was detected); only a frame it does not take is decoded with `parse_frame`.
    fn parse_orderbook_update(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        const T: WebSocketMessageType = WebSocketMessageType::OrderBook;
        let now = frame.received_at;
        let head = self.head.take(frame.payload);
        let Self {
            books, callbacks, ..
        } = self;
        let outcome = match books.on_frame_with(frame.payload, head, now, out, &mut Sink(callbacks))
        {
            Ok(Some(outcome)) => outcome,
            Ok(None) => match parse_frame_with(frame.payload, head) {
                Ok(Message::OrderBookUpdate(update)) => {
                    books.on_update(&update, now, out, &mut Sink(callbacks))
                }
                Ok(_) => return Err(HandlerError::Unsupported(T)),
                Err(error) => return Err(self.fail(T, &error)),
            },
            Err(error) => return Err(self.fail(T, &error)),
        };
        self.note_book_outcome(outcome);
        Ok(())
    }

    fn parse_trade_message(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        const T: WebSocketMessageType = WebSocketMessageType::Trade;
        match self.head.parse(frame.payload) {
            Ok(Message::Trade(trade)) => {
                self.deliver_trade(&trade);
                Ok(())
            }
            Ok(Message::Trades(items)) => {
                for item in items {
                    match item {
                        Ok(trade) => self.deliver_trade(&trade),
                        Err(error) => return Err(self.fail(T, &error)),
                    }
                }
                Ok(())
            }
            Ok(_) => Err(HandlerError::Unsupported(T)),
            Err(error) => Err(self.fail(T, &error)),
        }
    }

    fn parse_ticker_update(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        const T: WebSocketMessageType = WebSocketMessageType::Ticker;
        match self.head.parse(frame.payload) {
            Ok(Message::Tickers(items)) => {
                for item in items {
                    match item {
                        Ok(ticker) => {
                            self.counters.tickers += 1;
                            self.callbacks.on_ticker(&ticker);
                        }
                        Err(error) => return Err(self.fail(T, &error)),
                    }
                }
                Ok(())
            }
            Ok(_) => Err(HandlerError::Unsupported(T)),
            Err(error) => Err(self.fail(T, &error)),
        }
    }

    fn parse_book_ticker(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        const T: WebSocketMessageType = WebSocketMessageType::BookTicker;
        match self.head.parse(frame.payload) {
            Ok(Message::BookTicker(ticker)) => {
                self.counters.book_tickers += 1;
                self.callbacks.on_book_ticker(&ticker);
                Ok(())
            }
            Ok(_) => Err(HandlerError::Unsupported(T)),
            Err(error) => Err(self.fail(T, &error)),
        }
    }

    /// Acks (confirm or refuse topics), pongs, and errors that name no request.
    fn handle_control(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        let now = frame.received_at;
        if message_type == WebSocketMessageType::Error {
            self.counters.venue_errors += 1;
            self.report(
                ErrorCategory::Venue,
                format!("venue error: {}", shown(frame.payload)),
            );
            return Ok(());
        }
        match self.head.parse(frame.payload) {
            Ok(Message::Ack(ack)) => self.on_ack(&ack, now, out),
            Ok(Message::Pong(_)) => self.counters.pongs += 1,
            // Login and API answers do not concern a market-data connection.
            Ok(_) => {}
            Err(error) => match Refusal::of(&error) {
                Some(refusal) => self.on_rejected(refusal, now, out),
                None => return Err(self.fail(message_type, &error)),
            },
        }
        Ok(())
    }
}

impl<H: PublicWebSocketMixin + Send + 'static, M: GateioMarket> Session
    for GateioPublicWebSocketHandler<H, M>
{
    type Command = GateioPublicCommand;

    fn connection_context(&self) -> ConnectionContext {
        self.create_connection_context()
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        ConnectionMixin::reconnection_policy(self)
    }

    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        self.should_reconnect(cause)
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        message_type(frame.payload).stream_kind()
    }

    /// Subscribes every wanted topic (books go back to waiting for their ack).
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(reason) = &self.fatal {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
            return;
        }
        self.lifecycle
            .on_connected(&mut NoLogin, &self.format, now, out);
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        self.handle_message(frame, out);
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(error) = self.lifecycle.on_tick(&self.format, now, out) {
            self.counters.ack_timeouts += 1;
            self.report(ErrorCategory::Venue, format!("{error}; requested again"));
        }
        if self.retry_at.is_some_and(|at| now.monotonic >= at) {
            self.retry_at = None;
            if self.lifecycle.is_connected() {
                self.lifecycle
                    .subscriptions_mut()
                    .send_inactive(&self.format, now, out);
            }
        }
        self.books.on_tick(now, out);
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        out.send_text(ping_request(M::MARKET, now.unix_seconds(), None));
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let Self {
            books, callbacks, ..
        } = self;
        if !books.on_rest_response(&response, now, out, &mut Sink(callbacks)) {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
        }
    }

    fn on_command(&mut self, command: GateioPublicCommand, now: Timestamp, out: &mut Outbox) {
        match command {
            GateioPublicCommand::Subscribe(topic) => {
                if self.admit(topic) {
                    self.lifecycle.subscribe(topic, &self.format, now, out);
                }
            }
            GateioPublicCommand::Unsubscribe(topic) => {
                self.lifecycle.unsubscribe(&[topic], &self.format, now, out);
                if let GateioPublicTopic::OrderBook(symbol) = topic {
                    self.books.untrack(symbol);
                }
            }
            GateioPublicCommand::Resync(symbol) => {
                let Self {
                    books, callbacks, ..
                } = self;
                if !books.resync(symbol, now, out, &mut Sink(callbacks)) {
                    self.report(
                        ErrorCategory::BookSync,
                        format!("resync {symbol}: no book is kept for it"),
                    );
                }
            }
        }
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.lifecycle.on_disconnected();
        self.retry_at = None;
        let Self {
            books, callbacks, ..
        } = self;
        books.on_disconnected(&mut Sink(callbacks));
    }
}

/// Public connections do not authenticate.
struct NoLogin;

impl AuthMixin for NoLogin {}

/// Book sync's output, straight into the user's callbacks (statically dispatched).
struct Sink<'a, H>(&'a mut H);

impl<H: PublicWebSocketMixin> BookSink for Sink<'_, H> {
    #[inline]
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        self.0.on_order_book(book, update);
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.0.on_book_status(&event);
    }
}

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
