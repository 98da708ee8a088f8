//! The MEXC spot handlers: the sans-IO protocol of this crate composed into
//! `ws_session::Session`s that the `ws-core` driver runs.
//!
//! - [`MexcPublicWebSocketHandler`]: market data (depth → local books, deals, book
//!   ticker), at most 30 channels per connection; [`MexcPublicParts::shards`]
//!   spreads more over a `ws_core::ConnectionPool`.
//! - [`MexcPrivateWebSocketHandler`]: the user-data stream (orders, fills, balances) on a
//!   listen key it creates, keeps alive and deletes, with REST reconciliation after every
//!   (re)connect and exactly-once delivery through `ws_handlers::PrivateLedger`.
//!
//! Both are generic over the user's callbacks (`ws_mixins::PublicWebSocketMixin`,
//! `ws_mixins::PrivateWebSocketMixin`), so every callback is statically dispatched; the
//! hot pushes are decoded once, borrowed from the frame, without allocating. Like the rest
//! of the crate they read no clock and open no socket.

mod config;
mod format;
mod private;
mod public;
mod reconcile;
#[cfg(test)]
mod tests;

pub(crate) use config::fast_timers;
pub use config::{ContextOverrides, MexcHandlerConfig, POOL_CONNECT_LIMIT, RECONNECTION_POLICY};
pub use format::MexcSubscriptionFormat;
pub use private::{
    ListenKeyLifecycle, ListenKeyPurpose, ListenKeyReply, ListenKeyReuse, MexcPrivateParts,
    MexcPrivateWebSocketHandler, PrivateCounters,
};
pub use public::{MexcPublicCommand, MexcPublicParts, MexcPublicWebSocketHandler, PublicCounters};
#[doc(hidden)]
pub use reconcile::fuzz_reconcile_parsers;
