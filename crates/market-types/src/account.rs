//! Normalized private (account) events: orders, fills, balances, positions.

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::inline::{Asset, ClientOrderId, OrderId, Symbol, TradeId};
use crate::trading::{LiquidityRole, OrderStatus, OrderType, Side};
use crate::units::{Price, Quantity};
use crate::venue::Venue;

/// The venue's view of one order after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Venue.
    pub venue: Venue,
    /// Instrument.
    pub symbol: Symbol,
    /// Venue-assigned id.
    pub order_id: OrderId,
    /// Client-assigned id, when one was given.
    pub client_order_id: Option<ClientOrderId>,
    /// Buy or sell.
    pub side: Side,
    /// Normalized order type.
    pub order_type: OrderType,
    /// Limit price; `None` for market orders.
    pub price: Option<Price>,
    /// Original quantity.
    pub quantity: Quantity,
    /// Quantity filled so far.
    pub filled: Quantity,
    /// Average fill price, once anything filled.
    pub average_price: Option<Price>,
    /// Lifecycle state.
    pub status: OrderStatus,
    /// Venue time of this change, milliseconds since the Unix epoch.
    pub update_time_ms: u64,
}

/// One execution of one of our orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// Venue.
    pub venue: Venue,
    /// Instrument.
    pub symbol: Symbol,
    /// The venue's trade id.
    pub trade_id: TradeId,
    /// The order that filled.
    pub order_id: OrderId,
    /// Its client id, when the venue echoes it.
    pub client_order_id: Option<ClientOrderId>,
    /// Our side.
    pub side: Side,
    /// Execution price.
    pub price: Price,
    /// Executed quantity.
    pub quantity: Quantity,
    /// Fee charged; negative for a rebate.
    pub fee: Decimal,
    /// Asset the fee was charged in.
    pub fee_asset: Option<Asset>,
    /// Maker or taker, when the venue says.
    pub role: Option<LiquidityRole>,
    /// Venue execution time, milliseconds since the Unix epoch.
    pub time_ms: u64,
}

/// The balance of one asset in one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Venue.
    pub venue: Venue,
    /// The asset.
    pub asset: Asset,
    /// Free to use.
    pub available: Decimal,
    /// Held by open orders or margin.
    pub locked: Decimal,
    /// Venue time of this balance, milliseconds since the Unix epoch.
    pub time_ms: u64,
}

impl Balance {
    /// Available plus locked, if the sum fits.
    pub const fn total(&self) -> Option<Decimal> {
        self.available.checked_add(self.locked)
    }
}

/// A derivatives position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Venue.
    pub venue: Venue,
    /// Contract.
    pub symbol: Symbol,
    /// Signed size: positive long, negative short, zero flat.
    pub size: Decimal,
    /// Average entry price, when open.
    pub entry_price: Option<Price>,
    /// Leverage; `None` or zero for cross margin on some venues.
    pub leverage: Option<Decimal>,
    /// Estimated liquidation price.
    pub liquidation_price: Option<Price>,
    /// Realised profit and loss.
    pub realised_pnl: Option<Decimal>,
    /// Venue time of this state, milliseconds since the Unix epoch.
    pub time_ms: u64,
}

/// Every private event, for users who want one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PrivateEvent {
    /// An order changed.
    Order(Order),
    /// One of our orders traded.
    Fill(Fill),
    /// A balance changed.
    Balance(Balance),
    /// A position changed.
    Position(Position),
}

impl PrivateEvent {
    /// The venue the event came from.
    pub fn venue(&self) -> Venue {
        match self {
            PrivateEvent::Order(e) => e.venue,
            PrivateEvent::Fill(e) => e.venue,
            PrivateEvent::Balance(e) => e.venue,
            PrivateEvent::Position(e) => e.venue,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]
mod tests {
    use super::*;

    #[test]
    fn balance_total_is_exact() {
        let balance = Balance {
            venue: Venue::GateioSpot,
            asset: Asset::new("USDT").unwrap(),
            available: Decimal::parse("0.1").unwrap(),
            locked: Decimal::parse("0.2").unwrap(),
            time_ms: 1,
        };
        assert_eq!(balance.total(), Some(Decimal::parse("0.3").unwrap()));
        assert_eq!(PrivateEvent::Balance(balance).venue(), Venue::GateioSpot);
    }
}
