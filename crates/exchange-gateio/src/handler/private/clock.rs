//! The venue's clock for the private handler: measured from `GET /spot/time` before the
//! first signed request of a connection that needs it, and again when the venue refuses a
//! signed request as expired. A refusal a wrong clock could explain (a subscription's
//! error code 4, an expired login) is definitive only when the clock was measured on the
//! same connection; otherwise the clock is measured and the connection retried.

use ws_handlers::{TimeEndpoint, VenueClock};
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin};
use ws_session::{Outbox, RestResponse, SessionSignal, Timestamp};

use super::super::config::GateioHandlerConfig;
use super::super::market::GateioMarket;
use super::GateioPrivateParts;

/// Gate's time endpoint (`{"server_time": ms}`), below the market's REST base.
pub(super) fn venue_clock(config: &GateioHandlerConfig) -> VenueClock {
    VenueClock::new(TimeEndpoint {
        url: format!("{}/spot/time", config.endpoints.rest),
        field: "server_time",
    })
}

impl<H: PrivateWebSocketMixin, M: GateioMarket> GateioPrivateParts<H, M> {
    /// Asks the venue's time when the clock needs it. `true` when nothing may be signed
    /// before the answer (the subscriptions follow it).
    pub(super) fn measure_clock_first(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        if self.clock.needs_measurement() {
            let id = self.reconciler.next_request_id();
            out.rest(self.clock.request(id, now));
        }
        self.clock.is_measuring()
    }

    /// Logs in or subscribes every channel (once the futures user id is known);
    /// reconciliation follows the last ack.
    pub(super) fn subscribe_all(&mut self, now: Timestamp, out: &mut Outbox) {
        if self.learn_user_id_first(now, out) {
            return;
        }
        self.lifecycle
            .on_connected(&mut self.auth, &self.format, now, out);
        self.maybe_start_reconciliation(now, out);
    }

    /// The answer to the time request, if `response` is one (`true`). A connection
    /// waiting for it subscribes now.
    pub(super) fn on_clock_response(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
    ) -> bool {
        let Some(update) = self.clock.on_response(response.id, &response.result, now) else {
            return false;
        };
        self.clock.report(&update, M::PRIVATE_NAME);
        // Measured before subscribing: the lifecycle is not connected yet.
        if self.fatal.is_none() && !self.lifecycle.is_connected() {
            self.subscribe_all(now, out);
        }
        true
    }

    /// A REST call was refused as expired: the clock is measured again at once, and the
    /// reconciler retries the call with the corrected time.
    pub(super) fn on_expired_rest(&mut self, now: Timestamp, out: &mut Outbox) {
        self.clock.mark_stale();
        if self.clock.needs_measurement() {
            let id = self.reconciler.next_request_id();
            out.rest(self.clock.request(id, now));
        }
    }

    /// Refused credentials a wrong clock also explains. When the clock was not measured
    /// on this connection it is measured on the next one, which this requests (`true`);
    /// otherwise the refusal is definitive (`false`).
    pub(super) fn retry_with_measured_clock(&mut self, reason: &str, out: &mut Outbox) -> bool {
        if self.clock.is_fresh() {
            return false;
        }
        self.clock.mark_stale();
        let message = format!("{reason}; measuring the venue's clock and reconnecting");
        self.report(ErrorCategory::Authentication, message.clone());
        out.signal(SessionSignal::Reconnect(message));
        true
    }
}
