//! The hooks the shared `Session` glue (`ws_handlers::Driven`) calls.

use market_types::{BookStatus, OrderBook, Symbol};
use ws_handlers::{BookSyncSummary, CallbackSink, HandlerStats, VenueSession};
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
    type Callbacks = H;

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
        self.books.on_tick(now, out);
    }

    fn app_ping(&self, _now: Timestamp) -> Option<OutFrame> {
        Some(ping())
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        if response.id == DETAIL_REQUEST {
            self.on_details(&response);
            return;
        }
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
        self.detail_pending = false;
        for book in &mut self.partial_books {
            book.clear();
        }
        let Self {
            books, callbacks, ..
        } = self;
        books.on_disconnected(&mut CallbackSink(callbacks));
    }

    #[inline]
    fn callbacks(&self) -> &H {
        &self.callbacks
    }

    #[inline]
    fn callbacks_mut(&mut self) -> &mut H {
        &mut self.callbacks
    }

    fn stats(&self) -> &HandlerStats {
        &self.stats
    }

    fn book_symbols(&self) -> Vec<Symbol> {
        self.symbols().collect()
    }

    fn book(&self, symbol: Symbol) -> Option<(&OrderBook, BookStatus)> {
        MexcFuturesPublicParts::book(self, symbol).zip(self.status(symbol))
    }

    fn book_sync(&self) -> BookSyncSummary {
        (&self.book_stats()).into()
    }
}
