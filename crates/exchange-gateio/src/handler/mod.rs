//! The Gate.io handlers: the sans-IO protocol of this crate composed into venue parts
//! (`ws_handlers::VenueSession`) that `ws_handlers::Driven` runs as the
//! `ws_session::Session`s of the `ws-core` driver.
//!
//! - [`GateioPublicWebSocketHandler`] (the plan's [`GateioSpotPublicWebSocketHandler`] and
//!   [`GateioFuturesPublicWebSocketHandler`]): market data, local books kept by
//!   [`crate::BookSync`], trades, best bid/ask and tickers.
//! - [`GateioPrivateWebSocketHandler`] (the plan's [`GateioSpotPrivateWebSocketHandler`]
//!   and [`GateioFuturesPrivateWebSocketHandler`]): orders, fills, balances and
//!   positions through [`GateioAuthMixin`] (signed subscriptions, optional login), with
//!   REST reconciliation after every (re)connect and exactly-once delivery through
//!   `ws_handlers::PrivateLedger`.
//!
//! Both are generic over the user's callbacks (`ws_mixins::PublicWebSocketMixin`,
//! `ws_mixins::PrivateWebSocketMixin`) and over the market ([`SpotMarket`],
//! [`FuturesMarket`]), so every call is statically dispatched; the hot pushes are decoded
//! once, borrowed from the frame, without allocating. Like the rest of the crate they
//! read no clock and open no socket (the `ws-handlers` template times each message).

mod config;
mod format;
mod market;
mod private;
mod public;
mod reconcile;
mod session;
#[cfg(test)]
mod tests;

pub use config::{GateioHandlerConfig, LoginMode, PING, RECONNECTION_POLICY};
pub use format::{GateioPublicTopic, PrivateFormat, PublicFormat};
pub use market::{FuturesMarket, GateioMarket, SpotMarket};
pub use private::{
    GateioAuthMixin, GateioFuturesPrivateWebSocketHandler, GateioPrivateParts,
    GateioPrivateWebSocketHandler, GateioSpotPrivateWebSocketHandler, PrivateCounters,
};
pub use public::{
    GateioFuturesPublicWebSocketHandler, GateioPublicCommand, GateioPublicParts,
    GateioPublicWebSocketHandler, GateioSpotPublicWebSocketHandler, PublicCounters,
};
#[doc(hidden)]
pub use reconcile::fuzz_reconcile_parsers;
