//! [`Answer`]: what a venue's [`ReconcileVenue::apply`](super::ReconcileVenue::apply) may
//! do with one REST answer, under the stream-versus-REST ordering rules.

use std::fmt;

use market_types::{Balance, Fill, OrderId, Position};
use ws_mixins::{
    ErrorCategory, PrivateWebSocketMixin, ReconcileFailure, ReconcileFailureReason, ReconcileScope,
    StreamError,
};
use ws_session::Timestamp;

use super::{Lost, ReconcileCounters, RestOrder};
use crate::{OpenOrder, PrivateDelivery, RestOrderView};

/// One answer being applied: deliveries go through [`PrivateDelivery`] as of the moment
/// the call was sent, so a REST view never overwrites a later stream update and each
/// change reaches the user once. Follow-up calls (next page, lookups) are sent when the
/// answer has been applied.
pub struct Answer<'a, C, H> {
    pub(super) delivery: &'a mut PrivateDelivery,
    pub(super) callbacks: &'a mut H,
    pub(super) counters: &'a mut ReconcileCounters,
    pub(super) follow_ups: &'a mut Vec<C>,
    pub(super) seq_at_send: u64,
    pub(super) sent_ms: u64,
    pub(super) gap_from_ms: Option<u64>,
    pub(super) now: Timestamp,
    pub(super) name: &'static str,
    /// What the call reconciles and its endpoint, for failure reports.
    pub(super) scope: ReconcileScope,
    pub(super) endpoint: String,
}

impl<C, H> fmt::Debug for Answer<'_, C, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("seq_at_send", &self.seq_at_send)
            .field("sent_ms", &self.sent_ms)
            .field("gap_from_ms", &self.gap_from_ms)
            .finish_non_exhaustive()
    }
}

impl<C, H: PrivateWebSocketMixin> Answer<'_, C, H> {
    /// When the answer arrived.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Wall-clock ms when the call was sent.
    pub fn sent_ms(&self) -> u64 {
        self.sent_ms
    }

    /// Start of the disconnected window this round recovers (0 when none).
    pub fn gap_start_ms(&self) -> u64 {
        self.gap_from_ms.unwrap_or(0)
    }

    /// A REST view of an order: delivered when it says something the stream has not.
    /// Returns whether it was delivered.
    pub fn order(&mut self, rest: RestOrder) -> bool {
        let mut order = rest.order;
        match self.delivery.rest_order_view(&order, self.seq_at_send) {
            RestOrderView::StreamedSince | RestOrderView::Unchanged => return false,
            // REST does not say when the order last changed: at least as new as what was
            // delivered, and no newer than the request.
            RestOrderView::News(Some(view)) if !rest.exact_time => {
                order.update_time_ms = order.update_time_ms.max(view.time_ms).max(self.sent_ms);
            }
            RestOrderView::News(None) if !rest.exact_time => order.update_time_ms = self.sent_ms,
            RestOrderView::News(_) => {}
        }
        let delivered = self.delivery.order(&order, self.callbacks);
        if delivered {
            self.counters.reconciled_orders += 1;
        }
        delivered
    }

    /// A REST balance: delivered unless the stream updated the asset after the call was
    /// sent, or it did not change.
    pub fn balance(&mut self, balance: &Balance) -> bool {
        let delivered = self
            .delivery
            .reconciled_balance(balance, self.seq_at_send, self.callbacks);
        if delivered {
            self.counters.reconciled_balances += 1;
        }
        delivered
    }

    /// A REST position, as [`Self::balance`].
    pub fn position(&mut self, position: &Position) -> bool {
        let delivered =
            self.delivery
                .reconciled_position(position, self.seq_at_send, self.callbacks);
        if delivered {
            self.counters.reconciled_positions += 1;
        }
        delivered
    }

    /// A fill from the history of the disconnected window: delivered if its trade id is
    /// new. Returns whether it was.
    pub fn fill(&mut self, fill: &Fill) -> bool {
        let delivered = self.delivery.fill(fill, self.callbacks);
        if delivered {
            self.counters.recovered_fills += 1;
        }
        delivered
    }

    /// Orders delivered as open before the call was sent (the ones its answer speaks
    /// for), with what was delivered of them.
    pub fn open_at_send(&self) -> impl Iterator<Item = (OrderId, &OpenOrder)> + '_ {
        self.delivery.open_orders().delivered_by(self.seq_at_send)
    }

    /// Asks for `call` once this answer has been applied.
    pub fn request(&mut self, call: C) {
        self.follow_ups.push(call);
    }

    /// History that cannot be fetched: counted and reported as a [`ReconcileFailure`].
    pub fn lost(&mut self, what: Lost, message: String) {
        let failure = lost(
            self.counters,
            what,
            self.scope,
            self.endpoint.clone(),
            message,
        );
        give_up(self.callbacks, self.name, &failure);
    }
}

/// Counts lost history; the failure to report.
pub(super) fn lost(
    counters: &mut ReconcileCounters,
    what: Lost,
    scope: ReconcileScope,
    call: String,
    message: String,
) -> ReconcileFailure {
    let reason = match what {
        Lost::Fills => {
            counters.fill_gaps += 1;
            ReconcileFailureReason::FillsLost
        }
        Lost::Orders => {
            counters.order_gaps += 1;
            ReconcileFailureReason::OrdersLost
        }
    };
    ReconcileFailure {
        scope,
        call,
        reason,
        message,
    }
}

/// Reports what a round could not reconcile: one log line, then the user's
/// `on_reconcile_failure`.
pub(super) fn give_up<H: PrivateWebSocketMixin>(
    callbacks: &mut H,
    name: &'static str,
    failure: &ReconcileFailure,
) {
    tracing::warn!(
        exchange = name,
        scope = %failure.scope,
        call = %failure.call,
        reason = ?failure.reason,
        message = %failure.message,
        "reconciliation gave up"
    );
    callbacks.on_reconcile_failure(failure);
}

/// Reports a reconciliation problem: logged, then given to `on_error` (category `Rest`).
pub(super) fn report<H: PrivateWebSocketMixin>(
    callbacks: &mut H,
    name: &'static str,
    message: String,
) {
    tracing::warn!(exchange = name, %message, "private stream");
    callbacks.on_error(&StreamError {
        category: ErrorCategory::Rest,
        message,
    });
}
