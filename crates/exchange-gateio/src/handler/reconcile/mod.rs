//! REST reconciliation of the private handlers: the signed APIv4 calls and typed decoding
//! of their answers into the normalized events (spec §3.5 REST signing; Gate REST v4
//! `GET /spot/open_orders`, `/spot/accounts`, `/spot/orders?status=finished`,
//! `/spot/orders/{id}`, `/spot/my_trades`, `/futures/usdt/orders`,
//! `/futures/usdt/orders/{id}`, `/futures/usdt/positions`, `/futures/usdt/accounts`,
//! `/futures/usdt/my_trades_timerange`), plugged into the generic
//! `ws_handlers::Reconciler` by [`GateioReconcile`].
//!
//! These run once per reconnect, so they decode with serde into borrowed structs rather
//! than with the hot-path scanner; values Gate sends as strings or numbers are both read
//! exactly.

mod calls;
mod fuzzing;
mod parse;
#[cfg(test)]
mod tests;
mod values;
mod venue;

pub(crate) use calls::is_expired as is_expired_answer;
pub use fuzzing::fuzz_reconcile_parsers;
pub(crate) use parse::upper_asset;
pub(crate) use venue::GateioReconcile;
