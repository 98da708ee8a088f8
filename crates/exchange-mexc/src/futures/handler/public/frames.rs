//! Frames in: decoding once, then books, deals, tickers and the subscription answers.

use market_types::{BookUpdate, BookUpdateKind, OrderBook, Symbol};
use ws_handlers::{
    BaseMessageHandler, CallbackSink, HandlerError, HandlerStats, PublicMessageHandler,
    SharedParts, WebSocketMessageType,
};
use ws_mixins::{ErrorCategory, PublicWebSocketMixin, StreamError, SubscriptionState};
use ws_session::{FrameKind, InboundFrame, Outbox, RestResponse, Timestamp};

use crate::futures::handler::detect::message_type;
use crate::futures::{
    DepthPush, FuturesChannel, FuturesError, check_reply, contract_detail_request,
    parse_contract_details,
};
use crate::futures::{Frame, decode};

use super::*;

impl<H: PublicWebSocketMixin> MexcFuturesPublicParts<H> {
    /// Asks for the contract details once per connection until they are known.
    pub(super) fn request_details(&mut self, out: &mut Outbox) {
        if self.contracts.is_empty() && !self.detail_pending {
            self.detail_pending = true;
            out.rest(contract_detail_request(
                &self.config.rest_url,
                None,
                DETAIL_REQUEST,
            ));
        }
    }

    /// Keeps the details of the subscribed contracts; a failure is reported and asked
    /// again on the next connection.
    pub(super) fn on_details(&mut self, response: &RestResponse) {
        self.detail_pending = false;
        let parsed =
            check_reply("contract detail", &response.result).and_then(parse_contract_details);
        match parsed {
            Ok(details) => {
                let wanted: Vec<Symbol> = self
                    .lifecycle
                    .subscriptions()
                    .iter()
                    .map(|(channel, _)| channel.symbol())
                    .collect();
                self.contracts = details
                    .into_iter()
                    .filter(|d| wanted.contains(&d.symbol))
                    .collect();
            }
            Err(error) => self.report(
                ErrorCategory::Rest,
                format!("contract details: {error}; asked again on the next connection"),
            ),
        }
    }

    pub(super) fn report(&mut self, category: ErrorCategory, message: String) {
        tracing::warn!(exchange = NAME, %message, "market-data stream");
        self.shared
            .callbacks
            .on_error(&StreamError { category, message });
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
                self.shared.books.on_subscribed(symbol, now);
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
            self.shared.books.untrack(symbol);
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
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
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
        self.shared.callbacks.on_order_book(
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
                    shared: SharedParts { callbacks, .. },
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
                self.shared
                    .callbacks
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

impl<H: PublicWebSocketMixin> BaseMessageHandler for MexcFuturesPublicParts<H> {
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
        &mut self.shared.stats
    }

    fn report_skipped(&mut self, error: &StreamError) {
        self.shared.callbacks.on_error(error);
    }
}

impl<H: PublicWebSocketMixin> PublicMessageHandler for MexcFuturesPublicParts<H> {
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
