//! The hooks the shared `Session` glue (`ws_handlers::Driven`) calls.

use ws_handlers::{CallbackSink, SharedParts, VenueSession, WithSharedParts};
use ws_mixins::{ErrorCategory, PublicWebSocketMixin, SubscriptionError};
use ws_session::{
    DisconnectCause, FrameKind, InboundFrame, OutFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, StreamKind, Timestamp,
};

use crate::futures::handler::detect::message_type;
use crate::futures::{FuturesChannel, ping};

use super::*;

impl<H: PublicWebSocketMixin + Send + 'static> VenueSession for MexcFuturesPublicParts<H> {
    type Command = FuturesPublicCommand;
    type Topic = FuturesChannel;
    type Format = FuturesFormat;

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

    #[inline]
    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        match frame.kind {
            FrameKind::Text => message_type(frame.payload).stream_kind(),
            // A compressed push may be a book change: never dropped.
            FrameKind::Binary => StreamKind::Book,
        }
    }

    fn lifecycle(&mut self) -> (&mut Lifecycle<FuturesChannel>, &FuturesFormat) {
        (&mut self.lifecycle, &FuturesFormat)
    }

    /// Subscribes every wanted channel; books wait for their ack again.
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        self.request_details(out);
        self.track_books(now);
        self.lifecycle
            .on_connected(&mut NoLogin, &FuturesFormat, now, out);
    }

    fn on_ack_timeout(&mut self, error: SubscriptionError<FuturesChannel>) {
        self.counters.ack_timeouts += 1;
        self.report(ErrorCategory::Venue, format!("{error}; requested again"));
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.shared.books.on_tick(now, out);
    }

    fn app_ping(&self, _now: Timestamp) -> Option<OutFrame> {
        Some(ping())
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        if response.id == DETAIL_REQUEST {
            self.on_details(&response);
            return;
        }
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
        if !books.on_rest_response(&response, now, out, &mut CallbackSink(callbacks)) {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
        }
    }

    fn on_command(&mut self, command: FuturesPublicCommand, now: Timestamp, out: &mut Outbox) {
        match command {
            FuturesPublicCommand::Subscribe(channel) => {
                if let FuturesChannel::Depth(symbol) = channel {
                    self.shared.books.track(
                        symbol,
                        now,
                        &mut CallbackSink(&mut self.shared.callbacks),
                    );
                }
                self.lifecycle.subscribe(channel, &FuturesFormat, now, out);
            }
            FuturesPublicCommand::Unsubscribe(channel) => {
                self.lifecycle
                    .unsubscribe(&[channel], &FuturesFormat, now, out);
                match channel {
                    FuturesChannel::Depth(symbol) => {
                        self.shared.books.untrack(symbol);
                    }
                    FuturesChannel::DepthFull(symbol, _) => {
                        self.partial_books.retain(|b| b.symbol() != symbol);
                    }
                    _ => {}
                }
            }
            FuturesPublicCommand::Resync(symbol) => {
                let SharedParts {
                    books, callbacks, ..
                } = &mut self.shared;
                if let Err(error) = books.resync(symbol, now, out, &mut CallbackSink(callbacks)) {
                    self.report(ErrorCategory::BookSync, error.to_string());
                }
            }
        }
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.detail_pending = false;
        for book in &mut self.partial_books {
            book.clear();
        }
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
        books.on_disconnected(&mut CallbackSink(callbacks));
    }
}

impl<H: PublicWebSocketMixin + Send + 'static> WithSharedParts for MexcFuturesPublicParts<H> {
    type Callbacks = H;
    type Books = FuturesBookSync;

    fn shared(&self) -> &SharedParts<H, FuturesBookSync> {
        &self.shared
    }

    fn shared_mut(&mut self) -> &mut SharedParts<H, FuturesBookSync> {
        &mut self.shared
    }
}
