//! The public handler's trait implementations: connection settings, message routing
//! and parsing, and the `Session` hooks the driver calls.

use ws_handlers::{
    BaseMessageHandler, HandlerError, HandlerStats, PublicMessageHandler, WebSocketMessageType,
};
use ws_mixins::{AuthMixin, ErrorCategory, PublicWebSocketMixin, StreamError};
use ws_session::{
    ConnectionContext, DisconnectCause, InboundFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, Session, SessionSignal, StreamKind, Timestamp,
};

use crate::channel::ping_request;
use crate::wire::{Message, parse_frame_with};

use crate::handler::format::{GateioPublicTopic, Refusal, message_type, shown};
use crate::handler::market::GateioMarket;

use super::*;
use ws_handlers::CallbackSink;

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

    fn report_skipped(&mut self, error: &StreamError) {
        self.callbacks.on_error(error);
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

    /// The configured WebSocket URL, headers and heartbeat.
    fn connection_context(&self) -> ConnectionContext {
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
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        if self.fatal.is_some() {
            return ReconnectDecision::Stop;
        }
        cause.default_decision()
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
        self.books.on_tick(now, out);
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        out.send_text(ping_request(M::MARKET, now.unix_seconds(), None));
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let Self {
            books, callbacks, ..
        } = self;
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
                    self.books.untrack(symbol);
                }
            }
            GateioPublicCommand::Resync(symbol) => {
                let Self {
                    books, callbacks, ..
                } = self;
                if !books.resync(symbol, now, out, &mut CallbackSink(callbacks)) {
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
        let Self {
            books, callbacks, ..
        } = self;
        books.on_disconnected(&mut CallbackSink(callbacks));
    }
}
