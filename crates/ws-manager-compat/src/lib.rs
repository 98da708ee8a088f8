//! `ws-manager-compat`: the old Python `WebSocketManager` API, kept alive over the new
//! architecture while downstream services migrate. Everything public here is
//! `#[deprecated]` with a pointer to the new API; `docs/MIGRATION.md` has the call-by-call
//! table, the flags and the rollback procedure.
//!
//! The crate only translates. Old inputs ([`WebSocketConfig`], [`WebSocketManagerConfig`],
//! [`ExchangeConfig`]) become `ws_core::DriverConfig`, a `ReconnectionPolicy` and the venue
//! handler's settings; old calls become `ws_core::Connection` calls and handler commands;
//! typed callbacks become [`ParsedMessage`]s for the old `message_handler`; the old
//! exceptions become [`CompatError`] (`status()` 503 / 400 / 500, or `InvalidConfig` for a
//! `ValueError`). It holds no protocol logic: parsing, subscriptions, acks, book sync,
//! heartbeats and reconnection all live in the venue crates and `ws-core`.
//!
//! Two implementations sit behind [`WebSocketManager`], both over ws-core's driver (so both
//! get its reconnection, backoff, heartbeat and bounded queues):
//!
//! - **mixin** (default): the venue handlers (`exchange_mexc::MexcPublicWebSocketHandler`,
//!   ...), statically dispatched, with `Translate` as their callbacks;
//! - **legacy-strategy**: the old strategy pattern, a [`WebSocketStrategySet`] of
//!   `Box<dyn ConnectionStrategy>`, `Box<dyn SubscriptionStrategy>` and
//!   `Box<dyn MessageParser>`, whose parsers call the venue crates' decoders and book sync.
//!
//! With both compiled in, [`WebSocketManager::switch_architecture`] moves a running manager
//! between them (reconnecting under the other path with the same subscriptions), and
//! [`Architecture::from_env`] picks the path per exchange at start-up
//! (`WS_COMPAT_ARCHITECTURE[_MEXC_SPOT|_GATEIO_SPOT|_GATEIO_FUTURES]=legacy|direct`).
//!
//! ```no_run
//! # #![allow(deprecated)]
//! use ws_manager_compat::{
//!     ExchangeConfig, ExchangeCredentials, MessageType, ParsedMessage, Symbol,
//!     create_websocket_manager,
//! };
//!
//! # async fn run() -> Result<(), ws_manager_compat::CompatError> {
//! let config = ExchangeConfig::new(
//!     "MEXC",
//!     ExchangeCredentials::default(),
//!     "https://api.mexc.com",
//!     "wss://wbs-api.mexc.com/ws",
//! );
//! let mut manager = create_websocket_manager(
//!     &config,
//!     false,
//!     |message: ParsedMessage| {
//!         if message.message_type == MessageType::Orderbook {
//!             // ...
//!         }
//!     },
//!     None,
//! )?;
//! manager
//!     .initialize(Some(vec![Symbol::new("BTC", "USDT")]), None)
//!     .await?;
//! let metrics = manager.get_performance_metrics();
//! println!("{} messages", metrics.messages_processed);
//! manager.close().await;
//! # Ok(())
//! # }
//! ```
//!
//! Cargo features: `mixin` (default) compiles the mixin path, `legacy-strategy` the strategy
//! path; at least one is required. Without `mixin`, the legacy path is the default.

#![allow(
    deprecated,
    reason = "this crate defines and implements the deprecated compatibility API"
)]

#[cfg(not(any(feature = "mixin", feature = "legacy-strategy")))]
compile_error!("ws-manager-compat needs the `mixin` or the `legacy-strategy` feature");

mod config;
mod error;
mod factory;
#[cfg(feature = "legacy-strategy")]
mod legacy;
mod manager;
mod metrics;
#[cfg(feature = "mixin")]
mod mixin;
mod setup;
mod translate;
mod types;
#[cfg(feature = "legacy-strategy")]
mod venues;

pub use config::{
    ExchangeConfig, ExchangeCredentials, ExchangeEnum, WebSocketConfig, WebSocketManagerConfig,
};
pub use error::CompatError;
#[cfg(feature = "mixin")]
pub use factory::{DirectHandler, create_websocket_handler_direct};
pub use factory::{create_websocket_manager, create_websocket_manager_with};
#[cfg(feature = "legacy-strategy")]
pub use legacy::{
    Authentication, ConnectionStrategy, MessageParser, ParseContext, SubscriptionStrategy,
    WebSocketStrategySet,
};
pub use manager::WebSocketManager;
pub use metrics::{Architecture, ArchitectureMetrics, ENV_VAR, PathMetrics, PerformanceMetrics};
pub use setup::{ChannelKind, StreamScope};
#[cfg(feature = "mixin")]
pub use translate::Translate;
pub use translate::{ConnectionHandler, MessageHandler};
pub use types::{
    DEFAULT_PUBLIC_WEBSOCKET_CHANNELS, ErrorInfo, MessageData, MessageType, ParsedMessage,
    PrivateWebsocketChannelType, PublicWebsocketChannelType, SubscriptionAction, Symbol,
    WebSocketMessageType,
};
/// The old `ConnectionState` enum (its names are the old string values).
pub use ws_core::ConnectionState;

#[doc(hidden)]
pub mod __private {
    //! For this crate's own tests and benchmarks: drives the two paths' sessions without
    //! sockets. Not part of the API.
    pub use crate::testing::*;
}

mod testing;
