//! The public handler's trait implementations: message routing and parsing, and the
//! hooks the shared `Session` glue (`ws_handlers::Driven`) calls.

use ws_handlers::{
    BaseMessageHandler, CallbackSink, HandlerError, HandlerStats, Lifecycle, PublicMessageHandler,
    Role, SharedParts, VenueSession, WebSocketMessageType, WithSharedParts,
};
use ws_mixins::{AuthMixin, ErrorCategory, PublicWebSocketMixin, StreamError, SubscriptionError};
use ws_session::{
    ConnectionContext, DisconnectCause, InboundFrame, OutFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, StreamKind, Timestamp,
};

use crate::wire::{Message, parse_frame_with};

use crate::handler::format::{GateioPublicTopic, PublicFormat, Refusal, shown};
use crate::handler::market::GateioMarket;
use crate::handler::session;

use super::*;

/// Market streams need no login.
impl<H: PublicWebSocketMixin, M: GateioMarket> AuthMixin for GateioPublicParts<H, M> {}

impl<H: PublicWebSocketMixin, M: GateioMarket> BaseMessageHandler for GateioPublicParts<H, M> {
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
        &mut self.shared.stats
    }

    fn report_skipped(&mut self, error: &StreamError) {
        self.shared.callbacks.on_error(error);
    }
}

impl<H: PublicWebSocketMixin, M: GateioMarket> PublicMessageHandler for GateioPublicParts<H, M> {
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
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
        let outcome = match books.on_frame_with(
            frame.payload,
            head,
            now,
            out,
            &mut CallbackSink(callbacks),
        ) {
            Ok(Some(outcome)) => outcome,
            Ok(None) => match parse_frame_with(frame.payload, head) {
                Ok(Message::OrderBookUpdate(update)) => {
                    books.on_update(&update, now, out, &mut CallbackSink(callbacks))
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
                            self.shared.callbacks.on_ticker(&ticker);
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
                self.shared.callbacks.on_book_ticker(&ticker);
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

impl<H: PublicWebSocketMixin + Send + 'static, M: GateioMarket> VenueSession
    for GateioPublicParts<H, M>
{
    type Command = GateioPublicCommand;
    type Topic = GateioPublicTopic;
    type Format = PublicFormat;

    /// The configured WebSocket URL, headers and heartbeat.
    fn connection_context(&self) -> ConnectionContext {
        session::connection_context::<M>(&self.config, Role::Public)
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// Refused authentication stops everything; otherwise the default.
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        session::classify_disconnect(self.fatal.as_deref(), cause)
    }

    #[inline]
    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        session::stream_kind(frame)
    }

    fn lifecycle(&mut self) -> (&mut Lifecycle<GateioPublicTopic>, &PublicFormat) {
        (&mut self.lifecycle, &self.format)
    }

    /// Subscribes every wanted topic (books go back to waiting for their ack).
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if session::refuse_connect(self.fatal.as_deref(), out) {
            return;
        }
        self.lifecycle
            .on_connected(&mut NoLogin, &self.format, now, out);
    }

    fn on_ack_timeout(&mut self, error: SubscriptionError<GateioPublicTopic>) {
        self.counters.ack_timeouts += 1;
        self.report(ErrorCategory::Venue, format!("{error}; requested again"));
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.shared.books.on_tick(now, out);
    }

    fn app_ping(&self, now: Timestamp) -> Option<OutFrame> {
        session::app_ping::<M>(now)
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
        if !books.on_rest_response(&response, now, out, &mut CallbackSink(callbacks)) {
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
                    self.shared.books.untrack(symbol);
                }
            }
            GateioPublicCommand::Resync(symbol) => {
                let SharedParts {
                    books, callbacks, ..
                } = &mut self.shared;
                if !books.resync(symbol, now, out, &mut CallbackSink(callbacks)) {
                    self.report(
                        ErrorCategory::BookSync,
                        format!("resync {symbol}: no book is kept for it"),
                    );
                }
            }
        }
    }

    /// The books go back to waiting (the lifecycle is already reset).
    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
        books.on_disconnected(&mut CallbackSink(callbacks));
    }
}

impl<H: PublicWebSocketMixin + Send + 'static, M: GateioMarket> WithSharedParts
    for GateioPublicParts<H, M>
{
    type Callbacks = H;
    type Books = BookSync;

    fn shared(&self) -> &SharedParts<H, BookSync> {
        &self.shared
    }

    fn shared_mut(&mut self) -> &mut SharedParts<H, BookSync> {
        &mut self.shared
    }
}
