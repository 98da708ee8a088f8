//! The public handler's trait implementations: connection settings, message routing
//! and parsing, and the hooks the shared `Session` glue (`ws_handlers::Driven`) calls.

use ws_handlers::{
    BaseMessageHandler, HandlerError, HandlerStats, Lifecycle, PublicMessageHandler, SharedParts,
    VenueSession, WebSocketMessageType, WithSharedParts,
};
use ws_mixins::{AuthMixin, ErrorCategory, PublicWebSocketMixin, StreamError, SubscriptionError};
use ws_session::{
    ConnectionContext, DisconnectCause, FrameKind, InboundFrame, OutFrame, Outbox,
    ReconnectDecision, ReconnectionPolicy, RestResponse, StreamKind, Timestamp,
};

use crate::channel::Channel;
use crate::event::book_ticker_batch;
use crate::pb::push_data_v3_api_wrapper::Body as ColdBody;
use crate::subscription::ping;
use crate::wire::{Body, BodyKind, decode_push};

use crate::handler::format::{
    AuthView, MexcSubscriptionFormat, ack_timeout_error, body_kind, message_type,
};

use super::*;
use ws_handlers::CallbackSink;

/// Market streams need no login.
impl<H: PublicWebSocketMixin> AuthMixin for MexcPublicParts<H> {}

impl<H: PublicWebSocketMixin> BaseMessageHandler for MexcPublicParts<H> {
    /// Off: exchange crates read no clock (architecture invariant). The driver measures
    /// receive-to-handled latency for every message in `ConnectionStats`.
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        "mexc_spot"
    }

    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> WebSocketMessageType {
        message_type(frame.kind, frame.payload)
    }

    fn route_message(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        if message_type == WebSocketMessageType::Unknown
            && frame.kind == FrameKind::Binary
            && let Err(error) = body_kind(frame.payload)
        {
            return Err(self.fail_as(message_type, &error));
        }
        self.route_public(message_type, frame, out)
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.shared.stats
    }

    fn report_skipped(&mut self, error: &StreamError) {
        self.shared.callbacks.on_error(error);
    }
}

impl<H: PublicWebSocketMixin> PublicMessageHandler for MexcPublicParts<H> {
    fn parse_orderbook_update(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        const T: WebSocketMessageType = WebSocketMessageType::OrderBook;
        let push = decode_push(frame.payload).map_err(|e| self.fail_as(T, &e))?;
        match push.body {
            Body::AggreDepths(depth) => {
                self.apply_depth(&push.header, &depth, frame.received_at, out)
            }
            Body::Cold(raw) if raw.kind == BodyKind::PublicLimitDepths => {
                match raw.decode().map_err(|e| self.fail_as(T, &e))? {
                    ColdBody::PublicLimitDepths(body) => {
                        self.apply_limit_depth(&push.header, &body)
                    }
                    _ => Err(HandlerError::Unsupported(T)),
                }
            }
            // Pre-2025 diff-depth channels are not offered by this handler.
            _ => Err(HandlerError::Unsupported(T)),
        }
    }

    fn parse_trade_message(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        const T: WebSocketMessageType = WebSocketMessageType::Trade;
        let push = decode_push(frame.payload).map_err(|e| self.fail_as(T, &e))?;
        let Body::AggreDeals(deals) = push.body else {
            return Err(HandlerError::Unsupported(T));
        };
        let symbol = push.header.symbol().map_err(|e| self.fail_as(T, &e))?;
        for (index, deal) in deals.deals().enumerate() {
            let trade = deal
                .and_then(|deal| deal.to_trade(symbol, index))
                .map_err(|e| self.fail_as(T, &e))?;
            self.counters.trades += 1;
            self.shared.callbacks.on_trade(&trade);
        }
        Ok(())
    }

    fn parse_book_ticker(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        const T: WebSocketMessageType = WebSocketMessageType::BookTicker;
        let push = decode_push(frame.payload).map_err(|e| self.fail_as(T, &e))?;
        match push.body {
            Body::AggreBookTicker(ticker) => {
                let symbol = push.header.symbol().map_err(|e| self.fail_as(T, &e))?;
                let ticker = ticker.to_book_ticker(symbol, push.header.event_time_ms());
                self.counters.book_tickers += 1;
                self.shared.callbacks.on_book_ticker(&ticker);
                Ok(())
            }
            Body::Cold(raw) if raw.kind == BodyKind::PublicBookTickerBatch => {
                let ColdBody::PublicBookTickerBatch(batch) =
                    raw.decode().map_err(|e| self.fail_as(T, &e))?
                else {
                    return Err(HandlerError::Unsupported(T));
                };
                let tickers =
                    book_ticker_batch(&push.header, &batch).map_err(|e| self.fail_as(T, &e))?;
                for ticker in &tickers {
                    self.counters.book_tickers += 1;
                    self.shared.callbacks.on_book_ticker(ticker);
                }
                Ok(())
            }
            _ => Err(HandlerError::Unsupported(T)),
        }
    }

    fn handle_control(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        let outcome = self
            .subscriptions
            .on_control(frame.payload, out)
            .map_err(|e| self.fail_as(message_type, &e))?;
        self.apply_control(outcome, frame.received_at);
        Ok(())
    }
}

impl<H: PublicWebSocketMixin + Send + 'static> VenueSession for MexcPublicParts<H> {
    type Command = MexcPublicCommand;
    type Topic = Channel;
    type Format = MexcSubscriptionFormat;

    /// `Endpoints::public_context` (no extra headers), with the configured overrides.
    fn connection_context(&self) -> ConnectionContext {
        self.config
            .context
            .apply(self.config.mexc.endpoints.public_context())
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// MEXC closes routinely without a status (1005): always retried (the policy's
    /// `reset_on_1005` keeps the delay short). A 403 at the handshake is MEXC's web
    /// application firewall, not a credentials problem on a public stream: retried with
    /// backoff. Everything else as the default.
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        match cause {
            _ if cause.is_no_status() => ReconnectDecision::Retry,
            DisconnectCause::HandshakeRejected {
                status: 403,
                retry_after: None,
            } => ReconnectDecision::Retry,
            _ => cause.default_decision(),
        }
    }

    #[inline]
    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        crate::wire::stream_kind(frame.kind, frame.payload)
    }

    fn lifecycle(&mut self) -> (&mut Lifecycle<Channel>, &MexcSubscriptionFormat) {
        self.subscriptions.parts()
    }

    /// Subscribes every wanted channel again. Called a second time without a disconnect,
    /// it is a make-before-break rotation: the new socket subscribes everything while the
    /// old one still feeds the books, and pushes the old socket already delivered are
    /// skipped instead of breaking the books.
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if self.subscriptions.is_connected() {
            self.counters.rotations += 1;
            self.subscriptions.on_disconnected();
            self.overlap = self.shared.books.symbols().map(|s| (s, false)).collect();
        }
        self.track_books(now);
        let auth = AuthView::capture(self, now);
        self.subscriptions.on_connected(auth, now, out);
    }

    fn on_ack_timeout(&mut self, error: SubscriptionError<Channel>) {
        self.counters.ack_timeouts += 1;
        self.shared.callbacks.on_error(&ack_timeout_error(error));
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.shared.books.on_tick(now, out);
    }

    fn app_ping(&self, _now: Timestamp) -> Option<OutFrame> {
        Some(ping())
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
        if !books.on_rest_response(&response, now, out, &mut CallbackSink(callbacks)) {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
        }
    }

    fn on_command(&mut self, command: MexcPublicCommand, now: Timestamp, out: &mut Outbox) {
        match command {
            MexcPublicCommand::Subscribe(channel) => {
                if let Err(reason) = self.admit(channel) {
                    self.refuse_locally(channel, &reason);
                    return;
                }
                if let Channel::AggreDepth { symbol, .. } = channel {
                    let SharedParts {
                        books, callbacks, ..
                    } = &mut self.shared;
                    books.track(symbol, now, &mut CallbackSink(callbacks));
                }
                self.subscriptions.subscribe(channel, now, out);
            }
            MexcPublicCommand::Unsubscribe(channel) => {
                self.subscriptions.unsubscribe(channel, now, out);
                self.drop_books_of(channel);
            }
            MexcPublicCommand::Resync(symbol) => {
                let SharedParts {
                    books, callbacks, ..
                } = &mut self.shared;
                if let Err(error) = books.resync(symbol, now, out, &mut CallbackSink(callbacks)) {
                    callbacks.on_error(&StreamError {
                        category: ErrorCategory::BookSync,
                        message: error.to_string(),
                    });
                }
            }
        }
    }

    /// The subscriptions are already reset by the shared glue.
    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.overlap.clear();
        for book in &mut self.partial_books {
            book.clear();
        }
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
        books.on_disconnected(&mut CallbackSink(callbacks));
    }
}

impl<H: PublicWebSocketMixin + Send + 'static> WithSharedParts for MexcPublicParts<H> {
    type Callbacks = H;
    type Books = BookSync;

    fn shared(&self) -> &SharedParts<H, BookSync> {
        &self.shared
    }

    fn shared_mut(&mut self) -> &mut SharedParts<H, BookSync> {
        &mut self.shared
    }
}
