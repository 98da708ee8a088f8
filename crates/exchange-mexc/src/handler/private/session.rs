//! The session side of the user-data handler: the mixins, the message template and the
//! hooks the shared `Session` glue (`ws_handlers::Driven`) calls.

use ws_handlers::{
    BaseMessageHandler, CredentialsRejected, HandlerError, HandlerStats, Lifecycle, NoBooks,
    PrivateMessageHandler, SharedParts, VenueSession, WebSocketMessageType, WithSharedParts,
};
use ws_mixins::{AuthMixin, ErrorCategory, PrivateWebSocketMixin, StreamError, SubscriptionError};
use ws_session::{
    ConnectionContext, DisconnectCause, DisconnectKind, InboundFrame, OutFrame, Outbox,
    ReconnectDecision, ReconnectionPolicy, RestResponse, SessionSignal, StreamKind, Timestamp,
};

use crate::subscription::ping;

use super::super::format::{
    AuthView, MexcSubscriptionFormat, ack_timeout_error, decode_error, message_type,
};
use super::MexcPrivateParts;
use crate::channel::Channel;

/// The listen key in the URL is the authentication: nothing to send.
impl<H: PrivateWebSocketMixin> AuthMixin for MexcPrivateParts<H> {}

impl<H: PrivateWebSocketMixin> BaseMessageHandler for MexcPrivateParts<H> {
    /// Off: exchange crates read no clock (architecture invariant). The driver measures
    /// receive-to-handled latency for every message in `ConnectionStats`.
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        "mexc_spot_private"
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
        self.reconciler.saw_frame(frame.received_at.unix_millis());
        if message_type == WebSocketMessageType::Unknown
            && frame.kind == ws_session::FrameKind::Binary
            && let Err(error) = super::super::format::body_kind(frame.payload)
        {
            self.counters.decode_errors += 1;
            return Err(decode_error(message_type, &error));
        }
        self.route_private(message_type, frame, out)
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.shared.stats
    }

    const LOG_PAYLOAD: bool = false;

    fn report_skipped(&mut self, error: &StreamError) {
        self.shared.callbacks.on_error(error);
    }
}

impl<H: PrivateWebSocketMixin> PrivateMessageHandler for MexcPrivateParts<H> {
    /// One decoder reads every account push.
    fn parse_account_push(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.on_private_push(message_type, frame)
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
            .map_err(|error| {
                self.counters.decode_errors += 1;
                decode_error(message_type, &error)
            })?;
        self.apply_control(outcome, frame.received_at, out);
        Ok(())
    }
}

impl<H: PrivateWebSocketMixin + Send + 'static> VenueSession for MexcPrivateParts<H> {
    type Command = ();
    type Topic = Channel;
    type Format = MexcSubscriptionFormat;

    /// `Endpoints::private_context(key)` with the configured overrides. Without a usable
    /// key (rejected credentials, or the key could not be created) it is the market URL:
    /// that connection only raises the reason (see [`VenueSession::on_connected`]).
    fn connection_context(&self) -> ConnectionContext {
        let endpoints = &self.config.mexc.endpoints;
        let context = match (&self.fatal, self.key.key()) {
            (None, Some(key)) => endpoints.private_context(key),
            _ => {
                let mut context = endpoints.public_context();
                context.label = "mexc-spot-private".into();
                context
            }
        };
        self.config.context.apply(context)
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// Rejected credentials stop everything. A failed connection attempt may mean the
    /// listen key is no longer valid: the key is checked again before the next attempt,
    /// and a handshake refused with 401/403 is retried (with a fresh key if need be; bad
    /// credentials are caught by that REST call and stop for good). A 1005 is retried;
    /// otherwise the default.
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        if self.fatal.is_some() {
            return ReconnectDecision::Stop;
        }
        if cause.kind() == DisconnectKind::Connect {
            // The driver reports failed attempts only here (not to `on_disconnected`).
            self.check_key.set(true);
        }
        match cause {
            _ if cause.is_no_status() => ReconnectDecision::Retry,
            DisconnectCause::HandshakeRejected {
                status: 401 | 403,
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

    /// Creates a listen key when there is none, or checks the one held after a
    /// disconnect. With rejected credentials or no key to be had it lets the driver
    /// connect, so that `on_connected` can stop or back off (the driver acts on signals
    /// only while connected).
    fn ready_to_connect(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        if self.fatal.is_some() {
            return true;
        }
        if self.signer.is_none() {
            let reason = "no API credentials configured for the user-data stream".to_string();
            self.shared.callbacks.on_error(&StreamError {
                category: ErrorCategory::Authentication,
                message: reason.clone(),
            });
            self.fatal = Some(reason);
            return true;
        }
        if self.check_key.replace(false) {
            self.key.recheck();
        }
        if self.measure_clock_if_refused(now, out) {
            return false;
        }
        let Some(signer) = self.signer.as_ref() else {
            return true;
        };
        let reconciler = &mut self.reconciler;
        self.key
            .prepare(signer, now, || reconciler.next_request_id(), out)
    }

    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(reason) = &self.fatal {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
            return;
        }
        if let Some(reason) = self.key.unavailable() {
            out.signal(SessionSignal::Reconnect(format!("no listen key: {reason}")));
            return;
        }
        if self.subscriptions.is_connected() {
            // A make-before-break rotation: subscribe on the new socket too; the ledger
            // absorbs what both sockets deliver during the overlap.
            self.subscriptions.on_disconnected();
        }
        self.reconciler.on_connected(now);
        self.key.on_connected(now);
        let auth = AuthView::capture(self, now);
        self.subscriptions.on_connected(auth, now, out);
    }

    fn on_ack_timeout(&mut self, error: SubscriptionError<Channel>) {
        self.shared.callbacks.on_error(&ack_timeout_error(error));
    }

    /// The listen key's keep-alive and the reconciler's retries, while connected (the
    /// shared glue has run the subscriptions' timers).
    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        if !self.subscriptions.is_connected() {
            return;
        }
        if let Some(signer) = self.signer.as_ref() {
            let reconciler = &mut self.reconciler;
            self.key
                .on_tick(signer, now, || reconciler.next_request_id(), out);
        }
        self.reconciler.on_tick(now, &self.delivery, out);
    }

    fn app_ping(&self, _now: Timestamp) -> Option<OutFrame> {
        Some(ping())
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        if self.on_clock_response(&response, now) {
            return;
        }
        if self.reconciler.owns(response.id) {
            self.check_reconcile_clock(&response, now, out);
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
            return;
        }
        let Some(reply) = self.key.on_response(&response, now) else {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
            return;
        };
        self.on_key_reply(reply, now, out);
    }

    /// The subscriptions are already reset by the shared glue.
    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.clock.on_disconnected();
        // What happened from the last frame on is recovered after the reconnect.
        self.reconciler.on_disconnected();
        self.key.on_disconnected();
    }

    /// Deletes the listen key (`DELETE /api/v3/userDataStream`).
    fn on_close(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(signer) = self.signer.as_ref() {
            let reconciler = &mut self.reconciler;
            self.key
                .close(signer, now, || reconciler.next_request_id(), out);
        }
    }
}

impl<H: PrivateWebSocketMixin + Send + 'static> WithSharedParts for MexcPrivateParts<H> {
    type Callbacks = H;
    type Books = NoBooks;

    fn shared(&self) -> &SharedParts<H> {
        &self.shared
    }

    fn shared_mut(&mut self) -> &mut SharedParts<H> {
        &mut self.shared
    }
}
