//! The session side of the private handler: the mixins, the message template and the
//! hooks the shared `Session` glue (`ws_handlers::Driven`) calls.

use std::time::Duration;

use ws_handlers::{
    BaseMessageHandler, CredentialsRejected, HandlerError, HandlerStats, Lifecycle, NoBooks,
    PrivateMessageHandler, Role, SharedParts, VenueSession, WebSocketMessageType, WithSharedParts,
};
use ws_mixins::{AuthMixin, ErrorCategory, PrivateWebSocketMixin, StreamError, SubscriptionError};
use ws_session::{
    ConnectionContext, DisconnectCause, InboundFrame, OutFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, SessionSignal, StreamKind, Timestamp,
};

use crate::channel::Channel;
use crate::error::Error;
use crate::wire::Message;

use super::super::format::{PrivateFormat, Refusal, withheld};
use super::super::market::GateioMarket;
use super::super::reconcile::is_expired_answer;
use super::super::session;
use super::GateioPrivateParts;

/// The plan's composition: authentication is [`GateioAuthMixin`]'s.
impl<H: PrivateWebSocketMixin, M: GateioMarket> AuthMixin for GateioPrivateParts<H, M> {
    fn requires_authentication(&self) -> bool {
        self.auth.requires_authentication()
    }

    fn create_auth_message(&mut self, now: Timestamp) -> Option<OutFrame> {
        self.auth.create_auth_message(now)
    }

    fn auth_timeout(&self) -> Duration {
        self.auth.auth_timeout()
    }
}

impl<H: PrivateWebSocketMixin, M: GateioMarket> BaseMessageHandler for GateioPrivateParts<H, M> {
    /// Off: exchange crates read no clock (architecture invariant). The driver measures
    /// receive-to-handled latency for every message in `ConnectionStats`.
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        M::PRIVATE_NAME
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
        self.reconciler.saw_frame(frame.received_at.unix_millis());
        let routed = self.route_private(message_type, frame, out);
        self.head.clear();
        routed
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.shared.stats
    }

    const LOG_PAYLOAD: bool = false;

    fn report_skipped(&mut self, error: &StreamError) {
        self.shared.callbacks.on_error(error);
    }
}

impl<H: PrivateWebSocketMixin, M: GateioMarket> PrivateMessageHandler for GateioPrivateParts<H, M> {
    /// One decoder reads every account push.
    fn parse_account_push(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.on_private_push(message_type, frame)
    }

    /// Login answers, acks, pongs, and errors that name no request.
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
                format!("venue error: {}", withheld(frame.payload)),
            );
            return Ok(());
        }
        match self.head.parse(frame.payload) {
            Ok(Message::Login(login)) => self.on_login(&login, now, out),
            Ok(Message::Ack(ack)) => self.on_ack(&ack, now, out),
            Ok(Message::Pong(_)) => self.counters.pongs += 1,
            Ok(_) => {}
            Err(error @ Error::Api { .. }) => {
                if error.is_fatal() {
                    self.reject_credentials(error.to_string(), out);
                } else if !self.user_id_login_refused(&error, out) {
                    if error.is_expired() {
                        self.clock.mark_stale();
                    }
                    self.report(ErrorCategory::Authentication, error.to_string());
                    out.signal(SessionSignal::Reconnect(error.to_string()));
                }
            }
            Err(error) => match Refusal::of(&error) {
                Some(refusal) => self.on_rejected(refusal, now, out),
                None => return Err(self.fail(message_type, &error)),
            },
        }
        Ok(())
    }
}

impl<H: PrivateWebSocketMixin + Send + 'static, M: GateioMarket> VenueSession
    for GateioPrivateParts<H, M>
{
    type Command = ();
    type Topic = Channel;
    type Format = PrivateFormat;

    fn connection_context(&self) -> ConnectionContext {
        session::connection_context::<M>(&self.config, Role::Private)
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// Refused or missing credentials stop everything; otherwise the default.
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        session::classify_disconnect(self.fatal.as_deref(), cause)
    }

    #[inline]
    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        session::stream_kind(frame)
    }

    fn lifecycle(&mut self) -> (&mut Lifecycle<Channel>, &PrivateFormat) {
        (&mut self.lifecycle, &self.format)
    }

    /// Logs in or subscribes every channel; reconciliation follows the last ack. With
    /// refused or missing credentials it only raises the reason.
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if session::refuse_connect(self.fatal.as_deref(), out) {
            return;
        }
        self.reconciler.on_connected(now);
        if self.measure_clock_first(now, out) {
            return;
        }
        self.subscribe_all(now, out);
    }

    fn on_ack_timeout(&mut self, error: SubscriptionError<Channel>) {
        self.report(ErrorCategory::Venue, format!("{error}; requested again"));
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.reconciler.on_tick(now, &self.delivery, out);
    }

    fn app_ping(&self, now: Timestamp) -> Option<OutFrame> {
        session::app_ping::<M>(now)
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        if self.on_clock_response(&response, now, out)
            || self.on_user_id_response(&response, now, out)
        {
            return;
        }
        if is_expired_answer(&response.result) && self.reconciler.owns(response.id) {
            self.on_expired_rest(now, out);
        }
        let answered = self.reconciler.on_rest_response(
            &response,
            now,
            &mut self.delivery,
            &mut self.shared.callbacks,
            out,
        );
        if let Err(CredentialsRejected(reason)) = answered {
            self.reject_credentials(reason, out);
        }
    }

    /// The clock and the user-id lookup start over (the lifecycle is already reset).
    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.clock.on_disconnected();
        self.user_lookup.on_disconnected();
        // What happened from the last frame on is fetched after the reconnect.
        self.reconciler.on_disconnected();
    }
}

impl<H: PrivateWebSocketMixin + Send + 'static, M: GateioMarket> WithSharedParts
    for GateioPrivateParts<H, M>
{
    type Callbacks = H;
    type Books = NoBooks;

    fn shared(&self) -> &SharedParts<H> {
        &self.shared
    }

    fn shared_mut(&mut self) -> &mut SharedParts<H> {
        &mut self.shared
    }
}
