//! The market a handler speaks, chosen at the type level.

use core::fmt::Debug;

use crate::channel::Market;

/// Spot or USDT futures as a type, so that a handler's market is fixed when it is built
/// and its channel names are constants: `GateioPublicWebSocketHandler<H, SpotMarket>` is
/// the plan's `GateioSpotPublicWebSocketHandler`.
pub trait GateioMarket: Debug + Send + 'static {
    /// The market.
    const MARKET: Market;
    /// The name in logs and [`ws_handlers::BaseMessageHandler::exchange_name`].
    const NAME: &'static str;
    /// The name of private handlers in logs.
    const PRIVATE_NAME: &'static str;
}

/// Gate spot (`spot.*` channels).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SpotMarket;

/// Gate USDT-settled perpetual futures (`futures.*` channels).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FuturesMarket;

impl GateioMarket for SpotMarket {
    const MARKET: Market = Market::Spot;
    const NAME: &'static str = "gateio_spot";
    const PRIVATE_NAME: &'static str = "gateio_spot_private";
}

impl GateioMarket for FuturesMarket {
    const MARKET: Market = Market::Futures;
    const NAME: &'static str = "gateio_futures";
    const PRIVATE_NAME: &'static str = "gateio_futures_private";
}
