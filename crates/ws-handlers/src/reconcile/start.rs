//! [`RoundStart`]: what a venue sees and says when a round starts.

use std::fmt;

use ws_session::Timestamp;

use crate::PrivateDelivery;

/// The start of a round: the disconnected window to recover, what was delivered so far
/// (open orders, symbols with private activity), and the calls the venue asks for, or
/// skips (each skipped call is reported as not covered).
pub struct RoundStart<'a, C> {
    pub(super) gap_from_ms: Option<u64>,
    pub(super) now: Timestamp,
    pub(super) delivery: &'a PrivateDelivery,
    pub(super) calls: Vec<C>,
    pub(super) skipped: Vec<(C, String)>,
}

impl<C> fmt::Debug for RoundStart<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoundStart")
            .field("gap_from_ms", &self.gap_from_ms)
            .field("calls", &self.calls.len())
            .field("skipped", &self.skipped.len())
            .finish_non_exhaustive()
    }
}

impl<'a, C> RoundStart<'a, C> {
    /// Start of the disconnected window still to be recovered (wall-clock ms), `None` on
    /// a first connection.
    pub fn gap_from_ms(&self) -> Option<u64> {
        self.gap_from_ms
    }

    /// When the round starts.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// What was delivered so far: the open orders and the symbols with private activity.
    pub fn delivery(&self) -> &'a PrivateDelivery {
        self.delivery
    }

    /// Asks for `call`.
    pub fn call(&mut self, call: C) {
        self.calls.push(call);
    }

    /// Asks for each of `calls`.
    pub fn calls(&mut self, calls: impl IntoIterator<Item = C>) {
        self.calls.extend(calls);
    }

    /// A call that would be needed but is not made (`why`): reported as not covered.
    pub fn skip(&mut self, call: C, why: String) {
        self.skipped.push((call, why));
    }
}
