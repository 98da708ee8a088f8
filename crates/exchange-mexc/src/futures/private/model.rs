//! The venue's order, deal, position and asset objects, and their normalized form.
//!
//! The push and the REST answers describe each object with the same fields (futures
//! docs: WebSocket "Private channels"; REST "Get all of the user's current pending
//! orders", "Get the user's current holding position", "Get all informations of user's
//! asset", "Get all transaction details of the user's orders"), so one reader serves
//! both. Every value is borrowed as raw JSON and parsed exactly (see `json`).
//!
//! Codes (futures docs, `push.personal.order` and `order.deal` tables):
//! - `side`: 1 open long and 2 close short buy; 3 open short and 4 close long sell.
//! - `orderType`: 1 limit, 2 post only, 3 IOC, 4 FOK, 5 market, 6 market-to-limit
//!   ([`OrderType::Other`]); any other code is `Other`.
//! - `state`: 1 pending ("uninformed"), 2 open ("uncompleted"), 3 filled ("completed"),
//!   4 cancelled, 5 invalid. 1 and 2 are [`OrderStatus::New`] or
//!   [`OrderStatus::PartiallyFilled`] by `dealVol`; 4 is `Canceled` or
//!   `PartiallyCanceled` by `dealVol`; 5 is `Rejected`. **Unconfirmed:** whether an
//!   IOC or market order whose rest was cancelled ends in 3 or 4; a 3 with
//!   `dealVol < vol` is taken as `PartiallyCanceled` (or `Canceled` with nothing
//!   filled) so a user never sees `Filled` for an order that was not.
//! - `positionType`: 1 long, 2 short; position `state` 3 is closed (size zero).

use market_types::{
    Asset, Balance, ClientOrderId, Decimal, Fill, LiquidityRole, Order, OrderStatus, OrderType,
    Price, Quantity, Side, Symbol, Venue,
};
use serde::Deserialize;

use super::error::FuturesPrivateError;
use super::json::{
    Raw, boolean, code, decimal, optional_decimal, optional_integer, order_id, text, trade_id,
};
use super::position::{PositionLeg, PositionSide};

/// An order object (push `data`, an element of the open-orders answer, one order).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireOrder<'a> {
    #[serde(borrow, default)]
    order_id: Raw<'a>,
    #[serde(borrow, default)]
    symbol: Raw<'a>,
    #[serde(borrow, default)]
    price: Raw<'a>,
    #[serde(borrow, default)]
    vol: Raw<'a>,
    #[serde(borrow, default)]
    side: Raw<'a>,
    #[serde(borrow, default)]
    order_type: Raw<'a>,
    #[serde(borrow, default)]
    deal_avg_price: Raw<'a>,
    #[serde(borrow, default)]
    deal_vol: Raw<'a>,
    #[serde(borrow, default)]
    state: Raw<'a>,
    #[serde(borrow, default)]
    external_oid: Raw<'a>,
    #[serde(borrow, default)]
    create_time: Raw<'a>,
    #[serde(borrow, default)]
    update_time: Raw<'a>,
}

impl WireOrder<'_> {
    /// The normalized order; `ts_ms` (the push's) when the object has no time.
    pub(crate) fn to_order(&self, venue: Venue, ts_ms: u64) -> Result<Order, FuturesPrivateError> {
        let order_type = match code(self.order_type, "order orderType").unwrap_or(-1) {
            1 => OrderType::Limit,
            2 => OrderType::PostOnly,
            3 => OrderType::ImmediateOrCancel,
            4 => OrderType::FillOrKill,
            5 => OrderType::Market,
            _ => OrderType::Other,
        };
        let quantity = decimal(self.vol, "order vol")?;
        let filled = optional_decimal(self.deal_vol, "order dealVol")?.unwrap_or(Decimal::ZERO);
        let price = optional_decimal(self.price, "order price")?
            .filter(|p| p.is_positive() && order_type != OrderType::Market);
        let average_price = optional_decimal(self.deal_avg_price, "order dealAvgPrice")?
            .filter(|p| p.is_positive() && filled.is_positive());
        let status = order_status(code(self.state, "order state")?, filled, quantity)?;
        let update_time_ms = match optional_integer(self.update_time, "order updateTime")? {
            Some(t) => t,
            None => optional_integer(self.create_time, "order createTime")?.unwrap_or(ts_ms),
        };
        Ok(Order {
            venue,
            symbol: symbol(self.symbol, "order symbol")?,
            order_id: order_id(self.order_id, "order orderId")?,
            client_order_id: client_order_id(self.external_oid),
            side: side(code(self.side, "order side")?, "order side")?,
            order_type,
            price: price.map(Price::new),
            quantity: Quantity::new(quantity),
            filled: Quantity::new(filled),
            average_price: average_price.map(Price::new),
            status,
            update_time_ms,
        })
    }
}

/// A deal object (`push.personal.order.deal` data, an element of `order_deals`).
///
/// The taker flag is `isTaker` in the current docs and `taker` in older samples (ccxt's
/// recorded push); both are read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireDeal<'a> {
    #[serde(borrow, default)]
    id: Raw<'a>,
    #[serde(borrow, default)]
    symbol: Raw<'a>,
    #[serde(borrow, default)]
    side: Raw<'a>,
    #[serde(borrow, default)]
    vol: Raw<'a>,
    #[serde(borrow, default)]
    price: Raw<'a>,
    #[serde(borrow, default)]
    fee: Raw<'a>,
    #[serde(borrow, default)]
    fee_currency: Raw<'a>,
    #[serde(borrow, default)]
    timestamp: Raw<'a>,
    #[serde(borrow, default)]
    is_taker: Raw<'a>,
    #[serde(borrow, default)]
    taker: Raw<'a>,
    #[serde(borrow, default)]
    order_id: Raw<'a>,
    #[serde(borrow, default)]
    external_oid: Raw<'a>,
}

impl WireDeal<'_> {
    /// The normalized fill; `ts_ms` when the object has no `timestamp`.
    pub(crate) fn to_fill(&self, venue: Venue, ts_ms: u64) -> Result<Fill, FuturesPrivateError> {
        let role = boolean(self.is_taker)
            .or_else(|| boolean(self.taker))
            .map(|taker| {
                if taker {
                    LiquidityRole::Taker
                } else {
                    LiquidityRole::Maker
                }
            });
        Ok(Fill {
            venue,
            symbol: symbol(self.symbol, "deal symbol")?,
            trade_id: trade_id(self.id, "deal id")?,
            order_id: order_id(self.order_id, "deal orderId")?,
            client_order_id: client_order_id(self.external_oid),
            side: side(code(self.side, "deal side")?, "deal side")?,
            price: Price::new(decimal(self.price, "deal price")?),
            quantity: Quantity::new(decimal(self.vol, "deal vol")?),
            fee: optional_decimal(self.fee, "deal fee")?.unwrap_or(Decimal::ZERO),
            fee_asset: text(self.fee_currency).and_then(|a| Asset::new(a).ok()),
            role,
            time_ms: optional_integer(self.timestamp, "deal timestamp")?.unwrap_or(ts_ms),
        })
    }
}

/// A position object (`push.personal.position` data, an element of `open_positions`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WirePosition<'a> {
    #[serde(borrow, default)]
    symbol: Raw<'a>,
    #[serde(borrow, default)]
    position_type: Raw<'a>,
    #[serde(borrow, default)]
    hold_vol: Raw<'a>,
    #[serde(borrow, default)]
    state: Raw<'a>,
    #[serde(borrow, default)]
    hold_avg_price: Raw<'a>,
    #[serde(borrow, default)]
    leverage: Raw<'a>,
    #[serde(borrow, default)]
    liquidate_price: Raw<'a>,
    #[serde(borrow, default)]
    realised: Raw<'a>,
    #[serde(borrow, default)]
    update_time: Raw<'a>,
}

impl WirePosition<'_> {
    /// The leg it describes; `ts_ms` when the object has no `updateTime`.
    pub(crate) fn to_leg(&self, ts_ms: u64) -> Result<PositionLeg, FuturesPrivateError> {
        let closed = code(self.state, "position state").is_ok_and(|s| s == POSITION_CLOSED);
        let volume = if closed {
            Decimal::ZERO
        } else {
            decimal(self.hold_vol, "position holdVol")?
        };
        let positive = |raw, context| -> Result<Option<Decimal>, FuturesPrivateError> {
            Ok(optional_decimal(raw, context)?.filter(|v: &Decimal| v.is_positive()))
        };
        Ok(PositionLeg {
            symbol: symbol(self.symbol, "position symbol")?,
            side: PositionSide::from_code(code(self.position_type, "position positionType")?)?,
            volume,
            entry_price: positive(self.hold_avg_price, "position holdAvgPrice")?.map(Price::new),
            leverage: positive(self.leverage, "position leverage")?,
            liquidation_price: positive(self.liquidate_price, "position liquidatePrice")?
                .map(Price::new),
            realised_pnl: optional_decimal(self.realised, "position realised")?,
            time_ms: optional_integer(self.update_time, "position updateTime")?.unwrap_or(ts_ms),
        })
    }
}

/// An asset object (`push.personal.asset` data, an element of `account/assets`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireAsset<'a> {
    #[serde(borrow, default)]
    currency: Raw<'a>,
    #[serde(borrow, default)]
    available_balance: Raw<'a>,
    #[serde(borrow, default)]
    frozen_balance: Raw<'a>,
    #[serde(borrow, default)]
    position_margin: Raw<'a>,
}

impl WireAsset<'_> {
    /// The balance at `time_ms`: `availableBalance` is available; frozen balance (held by
    /// open orders) plus position margin is locked. The bonus is neither (it cannot be
    /// withdrawn; the docs list it apart).
    pub(crate) fn to_balance(
        &self,
        venue: Venue,
        time_ms: u64,
    ) -> Result<Balance, FuturesPrivateError> {
        let currency = text(self.currency).ok_or(FuturesPrivateError::Missing {
            context: "asset currency",
        })?;
        let frozen =
            optional_decimal(self.frozen_balance, "asset frozenBalance")?.unwrap_or(Decimal::ZERO);
        let margin = optional_decimal(self.position_margin, "asset positionMargin")?
            .unwrap_or(Decimal::ZERO);
        Ok(Balance {
            venue,
            asset: Asset::new(currency).map_err(|source| {
                FuturesPrivateError::InvalidIdentifier {
                    context: "asset currency",
                    source,
                }
            })?,
            available: decimal(self.available_balance, "asset availableBalance")?,
            locked: frozen
                .checked_add(margin)
                .ok_or(FuturesPrivateError::InvalidDecimal {
                    context: "asset frozenBalance + positionMargin",
                    source: market_types::DecimalError::Overflow,
                })?,
            time_ms,
        })
    }
}

/// The model's status for a venue `state` (see the module docs).
pub(crate) fn order_status(
    state: i64,
    filled: Decimal,
    quantity: Decimal,
) -> Result<OrderStatus, FuturesPrivateError> {
    let some_filled = filled.is_positive();
    Ok(match state {
        1 | 2 if some_filled => OrderStatus::PartiallyFilled,
        1 | 2 => OrderStatus::New,
        3 if filled >= quantity => OrderStatus::Filled,
        3 | 4 if some_filled => OrderStatus::PartiallyCanceled,
        3 | 4 => OrderStatus::Canceled,
        5 => OrderStatus::Rejected,
        value => {
            return Err(FuturesPrivateError::UnknownCode {
                context: "order state",
                value,
            });
        }
    })
}

/// The buy/sell side of a futures `side` code.
pub(crate) fn side(code: i64, context: &'static str) -> Result<Side, FuturesPrivateError> {
    match code {
        1 | 2 => Ok(Side::Buy),
        3 | 4 => Ok(Side::Sell),
        value => Err(FuturesPrivateError::UnknownCode { context, value }),
    }
}

pub(crate) fn symbol(raw: Raw<'_>, context: &'static str) -> Result<Symbol, FuturesPrivateError> {
    let text = text(raw).ok_or(FuturesPrivateError::Missing { context })?;
    Symbol::new(text).map_err(|source| FuturesPrivateError::InvalidIdentifier { context, source })
}

/// `externalOid`; `None` when absent, empty, or not an id the model can hold (the fill or
/// order is still delivered, without it).
fn client_order_id(raw: Raw<'_>) -> Option<ClientOrderId> {
    text(raw)
        .filter(|t| !t.is_empty())
        .and_then(|t| ClientOrderId::new(t).ok())
}

/// Position `state` 3: closed.
const POSITION_CLOSED: i64 = 3;
