//! [`ReconcileFailure`]: what a reconciliation round could not reconcile, as a typed event.
//!
//! A round of REST reconciliation after a (re)connect ends even when some calls cannot
//! succeed (an unknown symbol, a history the venue no longer keeps, a call that kept
//! failing): each such call is given up and reported once through
//! [`PrivateWebSocketMixin::on_reconcile_failure`](crate::PrivateWebSocketMixin::on_reconcile_failure),
//! so nothing is lost silently.

use std::fmt;

use market_types::{OrderId, Symbol};

/// Something a reconciliation round could not reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileFailure {
    /// What it concerns.
    pub scope: ReconcileScope,
    /// The REST endpoint of the call (a path; never credentials).
    pub call: String,
    /// Why it was given up.
    pub reason: ReconcileFailureReason,
    /// A sentence for humans (what was lost and why), as logged.
    pub message: String,
}

/// The part of the account a [`ReconcileFailure`] concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileScope {
    /// The whole account (balances, positions, every open order).
    Account,
    /// Everything of one symbol (its open orders, orders and fills of the window).
    Symbol(Symbol),
    /// One order.
    Order {
        /// Its symbol.
        symbol: Symbol,
        /// The order.
        order_id: OrderId,
    },
}

/// Why a reconciliation call was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileFailureReason {
    /// The venue answered with an error that cannot change on retry (an unknown symbol,
    /// a refused parameter).
    Refused,
    /// The call kept failing (transport, 5xx, rate limits) this many times.
    Exhausted {
        /// Attempts made.
        attempts: u32,
    },
    /// The fills of the disconnected window cannot be fetched.
    FillsLost,
    /// The orders opened (and maybe closed) in the disconnected window cannot be fetched.
    OrdersLost,
    /// An order delivered as open is no longer open and its end is unknown; it was
    /// forgotten.
    OrderUnresolved,
    /// The symbol had private activity but was not reconciled (more symbols than a
    /// round covers).
    NotCovered,
}

impl fmt::Display for ReconcileFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for ReconcileScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReconcileScope::Account => f.write_str("account"),
            ReconcileScope::Symbol(symbol) => write!(f, "{symbol}"),
            ReconcileScope::Order { symbol, order_id } => write!(f, "order {order_id} ({symbol})"),
        }
    }
}
