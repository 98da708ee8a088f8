//! Gate's REST answers decoded into the normalized events. These run once per
//! reconnect, so they decode with serde into borrowed structs rather than with the
//! hot-path scanner.

use std::borrow::Cow;

use market_types::{
    Asset, Balance, ClientOrderId, Decimal, Fill, LiquidityRole, Order, OrderId, OrderStatus,
    OrderType, Position, Price, Quantity, Side, Symbol, TradeId,
};
use serde::Deserialize;
use ws_handlers::RestOrder;

use crate::channel::Market;

use super::calls::{OPEN_ORDERS_PAGE, RestError};
use super::values::{Millis, Num, Seconds};

/// Open orders: spot groups them per pair (`[{"currency_pair","total","orders":[…]}]`),
/// futures lists them (`[{…}]`, also for `status=finished`).
pub(crate) fn parse_orders(market: Market, body: &[u8]) -> Result<Vec<RestOrder>, RestError> {
    match market {
        Market::Spot => {
            #[derive(Deserialize)]
            struct Group<'a> {
                #[serde(borrow)]
                orders: Vec<SpotOrder<'a>>,
            }
            let groups: Vec<Group<'_>> = decode(body)?;
            groups
                .iter()
                .flat_map(|g| g.orders.iter())
                .map(SpotOrder::normalize)
                .collect()
        }
        Market::Futures => {
            let orders: Vec<FuturesOrder<'_>> = decode(body)?;
            orders.iter().map(FuturesOrder::normalize).collect()
        }
    }
}

/// One page of open orders, and whether the list may go on: spot pages each pair's list
/// (a pair with a full page may have more), futures the whole list.
pub(crate) fn parse_open_orders(
    market: Market,
    body: &[u8],
) -> Result<(Vec<RestOrder>, bool), RestError> {
    match market {
        Market::Spot => {
            #[derive(Deserialize)]
            struct Group<'a> {
                #[serde(borrow)]
                orders: Vec<SpotOrder<'a>>,
            }
            let groups: Vec<Group<'_>> = decode(body)?;
            let more = groups.iter().any(|g| g.orders.len() >= OPEN_ORDERS_PAGE);
            let orders = groups
                .iter()
                .flat_map(|g| g.orders.iter())
                .map(SpotOrder::normalize)
                .collect::<Result<_, _>>()?;
            Ok((orders, more))
        }
        Market::Futures => {
            let orders = parse_orders(market, body)?;
            let more = orders.len() >= OPEN_ORDERS_PAGE;
            Ok((orders, more))
        }
    }
}

/// A flat list of orders: spot `GET /spot/orders?status=finished`, futures
/// `GET /futures/usdt/orders?status=finished`.
pub(crate) fn parse_order_list(market: Market, body: &[u8]) -> Result<Vec<RestOrder>, RestError> {
    match market {
        Market::Spot => {
            let orders: Vec<SpotOrder<'_>> = decode(body)?;
            orders.iter().map(SpotOrder::normalize).collect()
        }
        Market::Futures => parse_orders(market, body),
    }
}

/// One order: spot `GET /spot/orders/{id}`, futures `GET /futures/usdt/orders/{id}`.
pub(crate) fn parse_order(market: Market, body: &[u8]) -> Result<RestOrder, RestError> {
    match market {
        Market::Spot => decode::<SpotOrder<'_>>(body)?.normalize(),
        Market::Futures => decode::<FuturesOrder<'_>>(body)?.normalize(),
    }
}

/// Balances: spot `[{"currency","available","locked"}]`, futures one account object
/// whose `total` is reported as available (as the `futures.balances` push reports its
/// `balance`). Futures currencies are upper-cased like the spot ones.
pub(crate) fn parse_balances(
    market: Market,
    body: &[u8],
    now_ms: u64,
) -> Result<Vec<Balance>, RestError> {
    match market {
        Market::Spot => {
            #[derive(Deserialize)]
            struct Account<'a> {
                #[serde(borrow)]
                currency: Cow<'a, str>,
                available: Num,
                #[serde(default)]
                locked: Option<Num>,
            }
            let accounts: Vec<Account<'_>> = decode(body)?;
            accounts
                .iter()
                .map(|a| {
                    Ok(Balance {
                        venue: market.venue(),
                        asset: asset(&a.currency)?,
                        available: a.available.0,
                        locked: a.locked.map_or(Decimal::ZERO, |n| n.0),
                        time_ms: now_ms,
                    })
                })
                .collect()
        }
        Market::Futures => {
            #[derive(Deserialize)]
            struct Account<'a> {
                #[serde(borrow, default)]
                currency: Option<Cow<'a, str>>,
                total: Num,
            }
            let account: Account<'_> = decode(body)?;
            let currency = account.currency.as_deref().unwrap_or("USDT");
            Ok(vec![Balance {
                venue: market.venue(),
                asset: asset(currency)?,
                available: account.total.0,
                locked: Decimal::ZERO,
                time_ms: now_ms,
            }])
        }
    }
}

/// Futures positions `[{"contract","size","entry_price","leverage","liq_price",…}]`.
pub(crate) fn parse_positions(body: &[u8], now_ms: u64) -> Result<Vec<Position>, RestError> {
    #[derive(Deserialize)]
    struct Rest<'a> {
        #[serde(borrow)]
        contract: Cow<'a, str>,
        size: Num,
        #[serde(default)]
        entry_price: Option<Num>,
        #[serde(default)]
        leverage: Option<Num>,
        #[serde(default)]
        liq_price: Option<Num>,
        #[serde(default)]
        realised_pnl: Option<Num>,
        #[serde(default)]
        update_time: Option<Seconds>,
    }
    let positions: Vec<Rest<'_>> = decode(body)?;
    positions
        .iter()
        .map(|p| {
            let nonzero = |n: Option<Num>| n.map(|n| n.0).filter(|d| !d.is_zero());
            Ok(Position {
                venue: Market::Futures.venue(),
                symbol: symbol(&p.contract)?,
                size: p.size.0,
                entry_price: nonzero(p.entry_price).map(Price::new),
                leverage: p.leverage.map(|n| n.0),
                liquidation_price: nonzero(p.liq_price).map(Price::new),
                realised_pnl: p.realised_pnl.map(|n| n.0),
                time_ms: p.update_time.map_or(now_ms, |s| s.0),
            })
        })
        .collect()
}

/// Own trades: spot `my_trades` (`id`, `amount` and `side`), futures
/// `my_trades_timerange` (`trade_id`, signed `size`; `my_trades` names the id `id`).
pub(crate) fn parse_fills(market: Market, body: &[u8]) -> Result<Vec<Fill>, RestError> {
    #[derive(Deserialize)]
    struct Rest<'a> {
        #[serde(alias = "trade_id")]
        id: TradeId,
        order_id: OrderId,
        #[serde(borrow, default)]
        currency_pair: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        contract: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        side: Option<Cow<'a, str>>,
        #[serde(default)]
        amount: Option<Num>,
        #[serde(default)]
        size: Option<Num>,
        price: Num,
        #[serde(default)]
        fee: Option<Num>,
        #[serde(borrow, default)]
        fee_currency: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        role: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        text: Option<Cow<'a, str>>,
        #[serde(default)]
        create_time_ms: Option<Millis>,
        #[serde(default)]
        create_time: Option<Seconds>,
    }
    let fills: Vec<Rest<'_>> = decode(body)?;
    fills
        .iter()
        .map(|f| {
            let name = f
                .currency_pair
                .as_deref()
                .or(f.contract.as_deref())
                .ok_or_else(|| RestError::Decode("trade without pair or contract".into()))?;
            let (side, quantity) = match (f.side.as_deref(), f.amount, f.size) {
                (Some(side), Some(amount), _) => (side_of(side)?, amount.0.abs()),
                (_, _, Some(size)) => (signed_side(size.0)?, size.0.abs()),
                _ => return Err(RestError::Decode("trade without amount or size".into())),
            };
            Ok(Fill {
                venue: market.venue(),
                symbol: symbol(name)?,
                trade_id: f.id,
                order_id: f.order_id,
                client_order_id: client_id(f.text.as_deref()),
                side,
                price: Price::new(f.price.0),
                quantity: Quantity::new(quantity),
                fee: f.fee.map_or(Decimal::ZERO, |n| n.0),
                fee_asset: f.fee_currency.as_deref().and_then(|c| Asset::new(c).ok()),
                role: match f.role.as_deref() {
                    Some("maker") => Some(LiquidityRole::Maker),
                    Some("taker") => Some(LiquidityRole::Taker),
                    _ => None,
                },
                time_ms: f
                    .create_time_ms
                    .map(|m| m.0)
                    .or(f.create_time.map(|s| s.0))
                    .unwrap_or(0),
            })
        })
        .collect()
}

/// `USDT` for `usdt`: futures pushes name currencies in lower case, REST and spot in
/// upper case, and a balance must have one name.
pub(crate) fn upper_asset(asset: Asset) -> Asset {
    let bytes = asset.as_bytes();
    if !bytes.iter().any(u8::is_ascii_lowercase) {
        return asset;
    }
    let mut upper = [0u8; Asset::MAX_LEN];
    let len = bytes.len().min(Asset::MAX_LEN);
    for (slot, b) in upper.iter_mut().zip(bytes) {
        *slot = b.to_ascii_uppercase();
    }
    upper
        .get(..len)
        .and_then(|b| Asset::from_bytes(b).ok())
        .unwrap_or(asset)
}
/// A spot order as REST shows it.
#[derive(Deserialize)]
struct SpotOrder<'a> {
    id: OrderId,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    currency_pair: Cow<'a, str>,
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    finish_as: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    time_in_force: Option<Cow<'a, str>>,
    #[serde(borrow)]
    side: Cow<'a, str>,
    amount: Num,
    #[serde(default)]
    price: Option<Num>,
    #[serde(default)]
    left: Option<Num>,
    #[serde(default)]
    filled_amount: Option<Num>,
    #[serde(default)]
    avg_deal_price: Option<Num>,
    #[serde(default)]
    update_time_ms: Option<Millis>,
    #[serde(default)]
    update_time: Option<Seconds>,
}

impl SpotOrder<'_> {
    fn normalize(&self) -> Result<RestOrder, RestError> {
        let quantity = self.amount.0.abs();
        let filled = match (self.left, self.filled_amount) {
            (Some(left), _) => quantity.checked_sub(left.0.abs()).unwrap_or(Decimal::ZERO),
            (None, Some(filled)) => filled.0,
            (None, None) => Decimal::ZERO,
        };
        let left = quantity.checked_sub(filled).unwrap_or(Decimal::ZERO);
        let open = match self.status.as_deref() {
            Some(status) => status == "open",
            None => matches!(self.finish_as.as_deref(), None | Some("open" | "")),
        };
        let price = self.price.map(|n| n.0).filter(|p| !p.is_zero());
        let (update_time_ms, exact_time) = match (self.update_time_ms, self.update_time) {
            (Some(ms), _) => (ms.0, true),
            (None, Some(s)) => (s.0, true),
            (None, None) => (0, false),
        };
        Ok(RestOrder {
            order: Order {
                venue: Market::Spot.venue(),
                symbol: symbol(&self.currency_pair)?,
                order_id: self.id,
                client_order_id: client_id(self.text.as_deref()),
                side: side_of(&self.side)?,
                order_type: order_type(
                    self.kind.as_deref(),
                    self.time_in_force.as_deref(),
                    price.is_none(),
                ),
                price: price.map(Price::new),
                quantity: Quantity::new(quantity),
                filled: Quantity::new(filled),
                average_price: self
                    .avg_deal_price
                    .map(|n| n.0)
                    .filter(|p| !p.is_zero())
                    .map(Price::new),
                status: status(open, self.finish_as.as_deref(), filled, left),
                update_time_ms,
            },
            exact_time,
        })
    }
}

/// A futures order as REST shows it (signed `size` and `left`, float-second times).
#[derive(Deserialize)]
struct FuturesOrder<'a> {
    id: OrderId,
    #[serde(borrow)]
    contract: Cow<'a, str>,
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    finish_as: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tif: Option<Cow<'a, str>>,
    size: Num,
    #[serde(default)]
    left: Option<Num>,
    #[serde(default)]
    price: Option<Num>,
    #[serde(default)]
    fill_price: Option<Num>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    create_time: Option<Seconds>,
    #[serde(default)]
    finish_time: Option<Seconds>,
    #[serde(default)]
    update_time: Option<Seconds>,
}

impl FuturesOrder<'_> {
    fn normalize(&self) -> Result<RestOrder, RestError> {
        let side = signed_side(self.size.0)?;
        let quantity = self.size.0.abs();
        let left = self.left.map_or(Decimal::ZERO, |n| n.0.abs());
        let filled = quantity.checked_sub(left).unwrap_or(Decimal::ZERO);
        let open = self.status.as_deref() != Some("finished");
        let price = self.price.map(|n| n.0).filter(|p| !p.is_zero());
        // When the order last changed: exact when finished (`finish_time`), when untouched
        // since creation (`create_time`), or when the venue sends `update_time`.
        let (update_time_ms, exact_time) = match (
            self.update_time,
            self.finish_time.filter(|_| !open),
            self.create_time,
        ) {
            (Some(t), _, _) | (None, Some(t), _) => (t.0, true),
            (None, None, Some(t)) if filled.is_zero() => (t.0, true),
            (None, None, created) => (created.map_or(0, |t| t.0), false),
        };
        Ok(RestOrder {
            order: Order {
                venue: Market::Futures.venue(),
                symbol: symbol(&self.contract)?,
                order_id: self.id,
                client_order_id: client_id(self.text.as_deref()),
                side,
                order_type: order_type(None, self.tif.as_deref(), price.is_none()),
                price: price.map(Price::new),
                quantity: Quantity::new(quantity),
                filled: Quantity::new(filled),
                average_price: self
                    .fill_price
                    .map(|n| n.0)
                    .filter(|p| !p.is_zero())
                    .map(Price::new),
                status: status(open, self.finish_as.as_deref(), filled, left),
                update_time_ms,
            },
            exact_time,
        })
    }
}

/// The status from openness and `finish_as`, as the stream decoder maps it.
fn status(open: bool, finish_as: Option<&str>, filled: Decimal, left: Decimal) -> OrderStatus {
    let partially = filled.is_positive();
    if open {
        return if partially {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::New
        };
    }
    match finish_as.unwrap_or("") {
        "filled" => OrderStatus::Filled,
        _ if left.is_zero() && partially => OrderStatus::Filled,
        "ioc" | "fok" => OrderStatus::Expired,
        "poc" => OrderStatus::Rejected,
        _ if partially => OrderStatus::PartiallyCanceled,
        _ => OrderStatus::Canceled,
    }
}

fn order_type(kind: Option<&str>, tif: Option<&str>, no_price: bool) -> OrderType {
    match (kind.unwrap_or("limit"), tif.unwrap_or("gtc")) {
        ("market", _) => OrderType::Market,
        (_, "ioc") if no_price => OrderType::Market,
        (_, "ioc") => OrderType::ImmediateOrCancel,
        (_, "fok") => OrderType::FillOrKill,
        (_, "poc") => OrderType::PostOnly,
        ("limit", _) if no_price => OrderType::Market,
        ("limit", _) => OrderType::Limit,
        _ => OrderType::Other,
    }
}

fn decode<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, RestError> {
    serde_json::from_slice(body).map_err(|e| RestError::Decode(e.to_string()))
}

fn symbol(name: &str) -> Result<Symbol, RestError> {
    Symbol::new(name).map_err(|e| RestError::Decode(format!("symbol {name:?}: {e}")))
}

fn asset(name: &str) -> Result<Asset, RestError> {
    Asset::new(name)
        .map(upper_asset)
        .map_err(|e| RestError::Decode(format!("currency {name:?}: {e}")))
}

fn side_of(side: &str) -> Result<Side, RestError> {
    match side {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(RestError::Decode(format!("side {other:?}"))),
    }
}

fn signed_side(size: Decimal) -> Result<Side, RestError> {
    if size.is_positive() {
        Ok(Side::Buy)
    } else if size.is_negative() {
        Ok(Side::Sell)
    } else {
        Err(RestError::Decode("zero size".into()))
    }
}

/// Gate's `text`: the client id when it is one (`t-…`), nothing for `-`, `api`, `web`.
fn client_id(text: Option<&str>) -> Option<ClientOrderId> {
    text.filter(|t| t.starts_with("t-"))
        .and_then(|t| ClientOrderId::new(t).ok())
}
