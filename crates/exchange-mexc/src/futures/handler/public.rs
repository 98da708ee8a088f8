//! The futures market-data session: local books from `push.depth` (the shared
//! `BookSync` through [`FuturesBookSync`]), top-N books from `push.depth.full`, deals and
//! tickers, on the shared subscription `Lifecycle`.

use market_types::{BookStatus, BookUpdate, BookUpdateKind, OrderBook, Symbol, Venue};
use ws_handlers::{
    BaseMessageHandler, CallbackSink, HandlerError, HandlerStats, Lifecycle, PublicMessageHandler,
    WebSocketMessageType,
};
use ws_mixins::{
    AuthMixin, ErrorCategory, PublicWebSocketMixin, StreamError, SubscriptionMixin,
    SubscriptionRegistry, SubscriptionState,
};
use ws_session::{
    DisconnectCause, FrameKind, InboundFrame, OutFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, Session, StreamKind, Timestamp,
};

use super::super::{
    BookSyncStats, DepthPush, FuturesBookSync, FuturesChannel, FuturesError, Inflater, ping,
    subscribe, unsubscribe,
};
use super::super::{Frame, decode};
use super::FuturesHandlerConfig;
use super::detect::message_type;

const VENUE: Venue = Venue::MexcFutures;
const NAME: &str = "mexc_futures";

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

/// The futures market-data handler: configuration + the channel list + this market's
/// decoders on the shared machinery.
#[derive(Debug)]
pub struct MexcFuturesPublicHandler<H: PublicWebSocketMixin> {
    config: FuturesHandlerConfig,
    lifecycle: Lifecycle<FuturesChannel>,
    books: FuturesBookSync,
    /// Top-N books of `depth.full` subscriptions, one per contract (bounded by them).
    partial_books: Vec<OrderBook>,
    inflater: Inflater,
    /// The inflated text of the last binary frame (reused).
    inflated: Vec<u8>,
    callbacks: H,
    stats: HandlerStats,
    counters: FuturesPublicCounters,
}

/// Renders one request per channel (the venue acks by channel name only).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FuturesFormat;

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

impl<H: PublicWebSocketMixin> MexcFuturesPublicHandler<H> {
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
        MexcFuturesPublicHandler {
            books: FuturesBookSync::new(config.book, config.rest_url.clone(), VENUE),
            lifecycle,
            partial_books: Vec::new(),
            inflater: Inflater::default(),
            inflated: Vec::new(),
            callbacks,
            stats: HandlerStats::default(),
            counters: FuturesPublicCounters::default(),
            config,
        }
    }

    /// The local book of `symbol` (incremental `depth` subscriptions).
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.books.book(symbol)
    }

    /// Where the book of `symbol` stands.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        self.books.status(symbol)
    }

    /// Contracts with a local book.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.books.symbols()
    }

    /// The last top-N book of a `depth.full` subscription.
    pub fn partial_book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.partial_books.iter().find(|b| b.symbol() == symbol)
    }

    /// The channels and their subscription state.
    pub fn subscriptions(&self) -> &SubscriptionRegistry<FuturesChannel> {
        self.lifecycle.subscriptions()
    }

    /// Book synchronisation counters.
    pub fn book_stats(&self) -> BookSyncStats {
        self.books.stats()
    }

    /// Template counters.
    pub fn stats(&self) -> &HandlerStats {
        &self.stats
    }

    /// This session's counters.
    pub fn counters(&self) -> FuturesPublicCounters {
        self.counters
    }

    /// The user's callbacks.
    pub fn callbacks(&self) -> &H {
        &self.callbacks
    }

    /// The user's callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut H {
        &mut self.callbacks
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
            self.books
                .track(symbol, now, &mut CallbackSink(&mut self.callbacks));
        }
    }

    fn report(&mut self, category: ErrorCategory, message: String) {
        tracing::warn!(exchange = NAME, %message, "market-data stream");
        self.callbacks.on_error(&StreamError { category, message });
    }

    fn decode_error(
        &mut self,
        message_type: WebSocketMessageType,
        error: &FuturesError,
    ) -> HandlerError {
        self.counters.decode_errors += 1;
        HandlerError::Decode {
            message_type,
            detail: error.to_string(),
        }
    }

    /// The oldest subscription waiting for an ack named `name` (the venue answers
    /// requests in order and names only the channel).
    fn oldest_pending(&self, name: &str) -> Option<FuturesChannel> {
        self.lifecycle
            .subscriptions()
            .iter()
            .filter_map(|(channel, state)| match state {
                SubscriptionState::Pending { request_id, .. } if channel.name() == name => {
                    Some((*request_id, *channel))
                }
                _ => None,
            })
            .min_by_key(|(id, _)| *id)
            .map(|(_, channel)| channel)
    }

    fn oldest_pending_any(&self) -> Option<FuturesChannel> {
        self.lifecycle
            .subscriptions()
            .iter()
            .filter_map(|(channel, state)| match state {
                SubscriptionState::Pending { request_id, .. } => Some((*request_id, *channel)),
                _ => None,
            })
            .min_by_key(|(id, _)| *id)
            .map(|(_, channel)| channel)
    }

    fn on_subscribed(&mut self, name: &str, now: Timestamp, out: &mut Outbox) {
        let Some(channel) = self.oldest_pending(name) else {
            self.counters.stale_acks += 1;
            return;
        };
        if self.lifecycle.ack_topic(&channel, out) {
            self.counters.acks += 1;
            if let FuturesChannel::Depth(symbol) = channel {
                self.books.on_subscribed(symbol, now);
            }
        }
    }

    /// `rs.error` names no request: it answers the oldest one still waiting (an unknown
    /// contract is refused at once). With none waiting it is a venue error.
    fn on_refused(&mut self, refusal_text: String, unknown_contract: bool, error: FuturesError) {
        let channel = if unknown_contract {
            self.oldest_pending_any()
        } else {
            None
        };
        let Some(channel) = channel else {
            self.report(ErrorCategory::Venue, format!("venue error: {refusal_text}"));
            return;
        };
        self.counters.rejected_channels += 1;
        let reason = error.to_string();
        self.lifecycle
            .subscriptions_mut()
            .reject_topics(&[channel], &reason);
        if let FuturesChannel::Depth(symbol) = channel {
            self.books.untrack(symbol);
        }
        self.report(
            ErrorCategory::SubscriptionRejected,
            format!("{} {}: {reason}", channel.name(), channel.symbol()),
        );
    }

    fn apply_depth(
        &mut self,
        push: &DepthPush<'_>,
        now: Timestamp,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        let Self {
            books, callbacks, ..
        } = self;
        match books.on_depth(push, now, out, &mut CallbackSink(callbacks)) {
            Ok(()) => Ok(()),
            Err(FuturesError::UntrackedSymbol { .. }) => {
                self.counters.untracked_pushes += 1;
                Ok(())
            }
            Err(error @ FuturesError::BookResync { .. }) => {
                Err(HandlerError::BookSync(error.to_string()))
            }
            Err(error) => Err(self.decode_error(WebSocketMessageType::OrderBook, &error)),
        }
    }

    fn apply_full_depth(&mut self, push: &DepthPush<'_>) -> Result<(), HandlerError> {
        const T: WebSocketMessageType = WebSocketMessageType::OrderBook;
        let subscribed = self
            .lifecycle
            .subscriptions()
            .active()
            .any(|c| matches!(c, FuturesChannel::DepthFull(s, _) if *s == push.symbol));
        if !subscribed {
            self.counters.untracked_pushes += 1;
            return Ok(());
        }
        let index = match self
            .partial_books
            .iter()
            .position(|b| b.symbol() == push.symbol)
        {
            Some(index) => index,
            None => {
                self.partial_books.push(OrderBook::new(push.symbol));
                self.partial_books.len() - 1
            }
        };
        let Some(book) = self.partial_books.get_mut(index) else {
            return Ok(());
        };
        book.clear();
        let applied = push.data.for_each_level(|level| {
            book.apply(level.side, level.price, level.quantity)
                .map_err(FullDepthError::Book)
        });
        if let Err(error) = applied {
            book.clear();
            self.counters.decode_errors += 1;
            return Err(HandlerError::Decode {
                message_type: T,
                detail: match error {
                    FullDepthError::Decode(error) => error.to_string(),
                    FullDepthError::Book(error) => {
                        format!("depth.full of {}: {error}", push.symbol)
                    }
                },
            });
        }
        book.set_update_id(push.data.version());
        self.counters.partial_books += 1;
        let version = push.data.version();
        let Some(book) = self.partial_books.get(index) else {
            return Ok(());
        };
        self.callbacks.on_order_book(
            book,
            &BookUpdate {
                venue: VENUE,
                symbol: push.symbol,
                kind: BookUpdateKind::Snapshot,
                first_update_id: version,
                last_update_id: version,
                exchange_time_ms: push.time_ms,
            },
        );
        Ok(())
    }

    /// Decodes `frame` (gunzipping a binary one into the reused buffer) and hands the
    /// result to `f`.
    fn with_frame<R>(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        f: impl FnOnce(&mut Self, Frame<'_>, Timestamp) -> Result<R, HandlerError>,
    ) -> Result<R, HandlerError> {
        let now = frame.received_at;
        if frame.kind == FrameKind::Binary {
            let mut text = std::mem::take(&mut self.inflated);
            let inflated = self.inflater.inflate(frame.payload).map(|t| {
                text.clear();
                text.extend_from_slice(t);
            });
            let result = match inflated.and_then(|()| decode(&text)) {
                Ok(decoded) => f(self, decoded, now),
                Err(error) => Err(self.decode_error(message_type, &error)),
            };
            self.inflated = text;
            return result;
        }
        match decode(frame.payload) {
            Ok(decoded) => f(self, decoded, now),
            Err(error) => Err(self.decode_error(message_type, &error)),
        }
    }

    fn on_decoded(
        &mut self,
        decoded: Frame<'_>,
        now: Timestamp,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        match decoded {
            Frame::Depth(push) => self.apply_depth(&push, now, out),
            Frame::DepthFull(push) => self.apply_full_depth(&push),
            Frame::Deals(push) => {
                let Self {
                    callbacks,
                    counters,
                    ..
                } = self;
                let delivered = push.for_each(|deal| {
                    counters.trades += 1;
                    callbacks.on_trade(&deal.to_trade(VENUE, push.symbol));
                });
                delivered.map_err(|e| self.decode_error(WebSocketMessageType::Trade, &e))
            }
            Frame::Ticker(push) => {
                self.counters.tickers += 1;
                self.callbacks
                    .on_ticker(&push.ticker.to_ticker(VENUE, push.symbol));
                Ok(())
            }
            Frame::Pong(_) => {
                self.counters.pongs += 1;
                Ok(())
            }
            Frame::Subscribed(name) => {
                let name = name.to_string();
                self.on_subscribed(&name, now, out);
                Ok(())
            }
            Frame::Unsubscribed(_) | Frame::LoggedIn | Frame::Other(_) => Ok(()),
            Frame::Refused(refusal) => {
                let text = refusal.message();
                let unknown = refusal.is_unknown_contract();
                let symbol = self.oldest_pending_any().map(|c| c.symbol());
                let error = refusal.to_error(symbol);
                self.on_refused(text, unknown, error);
                Ok(())
            }
        }
    }

    fn route_decoded(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.with_frame(message_type, frame, |handler, decoded, now| {
            handler.on_decoded(decoded, now, out)
        })
    }
}

impl<H: PublicWebSocketMixin> BaseMessageHandler for MexcFuturesPublicHandler<H> {
    /// Off: exchange crates read no clock; the driver times every message.
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        NAME
    }

    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> WebSocketMessageType {
        match frame.kind {
            FrameKind::Text => message_type(frame.payload),
            // Gzip: classified after inflating, in `route_message`.
            FrameKind::Binary => WebSocketMessageType::Unknown,
        }
    }

    fn route_message(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        if frame.kind == FrameKind::Binary {
            return self.route_decoded(message_type, frame, out);
        }
        self.route_public(message_type, frame, out)
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.stats
    }

    fn report_skipped(&mut self, error: &StreamError) {
        self.callbacks.on_error(error);
    }
}

impl<H: PublicWebSocketMixin> PublicMessageHandler for MexcFuturesPublicHandler<H> {
    fn parse_orderbook_update(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.route_decoded(WebSocketMessageType::OrderBook, frame, out)
    }

    fn parse_trade_message(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.route_decoded(WebSocketMessageType::Trade, frame, out)
    }

    fn parse_ticker_update(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.route_decoded(WebSocketMessageType::Ticker, frame, out)
    }

    fn handle_control(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.route_decoded(message_type, frame, out)
    }
}

impl<H: PublicWebSocketMixin + Send + 'static> Session for MexcFuturesPublicHandler<H> {
    type Command = FuturesPublicCommand;

    fn connection_context(&self) -> ws_session::ConnectionContext {
        self.config.context("mexc-futures-public")
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// A close without a status (1005) is routine at MEXC: retried; otherwise the default.
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        if cause.is_no_status() {
            return ReconnectDecision::Retry;
        }
        cause.default_decision()
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        match frame.kind {
            FrameKind::Text => message_type(frame.payload).stream_kind(),
            // A compressed push may be a book change: never dropped.
            FrameKind::Binary => StreamKind::Book,
        }
    }

    /// Subscribes every wanted channel; books wait for their ack again.
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        self.track_books(now);
        self.lifecycle
            .on_connected(&mut NoLogin, &FuturesFormat, now, out);
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        self.handle_message(frame, out);
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(error) = self.lifecycle.on_tick(&FuturesFormat, now, out) {
            self.counters.ack_timeouts += 1;
            self.report(ErrorCategory::Venue, format!("{error}; requested again"));
        }
        self.books.on_tick(now, out);
    }

    fn on_app_ping(&mut self, _now: Timestamp, out: &mut Outbox) {
        out.send(ping());
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let Self {
            books, callbacks, ..
        } = self;
        if !books.on_rest_response(&response, now, out, &mut CallbackSink(callbacks)) {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
        }
    }

    fn on_command(&mut self, command: FuturesPublicCommand, now: Timestamp, out: &mut Outbox) {
        match command {
            FuturesPublicCommand::Subscribe(channel) => {
                if let FuturesChannel::Depth(symbol) = channel {
                    self.books
                        .track(symbol, now, &mut CallbackSink(&mut self.callbacks));
                }
                self.lifecycle.subscribe(channel, &FuturesFormat, now, out);
            }
            FuturesPublicCommand::Unsubscribe(channel) => {
                self.lifecycle
                    .unsubscribe(&[channel], &FuturesFormat, now, out);
                match channel {
                    FuturesChannel::Depth(symbol) => {
                        self.books.untrack(symbol);
                    }
                    FuturesChannel::DepthFull(symbol, _) => {
                        self.partial_books.retain(|b| b.symbol() != symbol);
                    }
                    _ => {}
                }
            }
            FuturesPublicCommand::Resync(symbol) => {
                let Self {
                    books, callbacks, ..
                } = self;
                if let Err(error) = books.resync(symbol, now, out, &mut CallbackSink(callbacks)) {
                    self.report(ErrorCategory::BookSync, error.to_string());
                }
            }
        }
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.lifecycle.on_disconnected();
        for book in &mut self.partial_books {
            book.clear();
        }
        let Self {
            books, callbacks, ..
        } = self;
        books.on_disconnected(&mut CallbackSink(callbacks));
    }
}

/// Why a top-N push could not be loaded.
enum FullDepthError {
    Decode(FuturesError),
    Book(market_types::BookError),
}

impl From<FuturesError> for FullDepthError {
    fn from(error: FuturesError) -> Self {
        FullDepthError::Decode(error)
    }
}
