//! The venue's clock for the user-data handler. MEXC says exactly when a signed request's
//! `timestamp` was outside `recvWindow` (700003), so the clock is measured from
//! `GET /api/v3/time` only then: before the next listen-key creation when not connected
//! (the creation is retried once with the corrected time), at once when connected (the
//! keep-alive or reconciliation call that failed is retried with it).

use ws_mixins::{ErrorCategory, PrivateWebSocketMixin};
use ws_session::{Outbox, RestResponse, Timestamp};

use crate::error::Error;
use crate::rest::check_reply;

use super::{ListenKeyPurpose, MexcPrivateParts};

impl<H: PrivateWebSocketMixin> MexcPrivateParts<H> {
    /// Before a listen key is asked for: measures the clock when the venue refused a
    /// timestamp. `true` while the measurement is awaited.
    pub(super) fn measure_clock_if_refused(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        if self.clock.is_stale() {
            let id = self.reconciler.next_request_id();
            out.rest(self.clock.request(id, now));
        }
        self.clock.is_measuring()
    }

    /// The answer to the time request, if `response` is one (`true`).
    pub(super) fn on_clock_response(&mut self, response: &RestResponse, now: Timestamp) -> bool {
        let Some(update) = self.clock.on_response(response.id, &response.result, now) else {
            return false;
        };
        self.clock.report(&update, "mexc");
        true
    }

    /// A reconciliation answer refused for its timestamp: measure again now; the
    /// reconciler retries the call with the corrected time.
    pub(super) fn check_reconcile_clock(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
    ) {
        let refused = check_reply("reconciliation", &response.result)
            .is_err_and(|error| error.is_outside_recv_window());
        if refused {
            self.measure_clock_now(now, out);
        }
    }

    /// A listen-key request refused for its timestamp. `true` when it is handled here:
    /// a creation is retried once with a freshly measured clock (before the next
    /// connection); a keep-alive or check measures at once and goes on as a passing
    /// failure. A creation refused again after a fresh measurement is left to the
    /// caller.
    pub(super) fn on_key_clock_refusal(
        &mut self,
        purpose: ListenKeyPurpose,
        error: &Error,
        now: Timestamp,
        out: &mut Outbox,
    ) -> bool {
        if !error.is_outside_recv_window() {
            return false;
        }
        if purpose == ListenKeyPurpose::Create {
            if self.clock.is_fresh() {
                return false;
            }
            self.clock.mark_stale();
            self.report(
                ErrorCategory::Rest,
                format!("listen key: {error}; measuring the venue's clock and retrying"),
            );
            // `ready_to_connect` measures, then creates the key again.
            self.key.on_failure(purpose, error, now);
            self.key.recheck();
            return true;
        }
        self.measure_clock_now(now, out);
        false
    }

    fn measure_clock_now(&mut self, now: Timestamp, out: &mut Outbox) {
        self.clock.mark_stale();
        if self.clock.is_stale() {
            let id = self.reconciler.next_request_id();
            out.rest(self.clock.request(id, now));
        }
    }
}
