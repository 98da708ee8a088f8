//! The signed REST calls used to reconcile private state after a reconnect, and their
//! answers parsed once into the normalized model (MEXC spot v3 docs, "Account
//! Information", "Current Open Orders", "Query Order", "All Orders", "Account Trade
//! List"): `GET /api/v3/account`, `/api/v3/openOrders`, `/api/v3/order`,
//! `/api/v3/allOrders` and `/api/v3/myTrades`, plugged into the generic
//! `ws_handlers::Reconciler` by [`MexcReconcile`].

mod fuzzing;
mod parse;
#[cfg(test)]
mod tests;
mod venue;

pub use fuzzing::fuzz_reconcile_parsers;
pub(crate) use venue::MexcReconcile;
