//! Private pushes: orders, own trades, balances, positions (spec §3.7, §4.4).
//!
//! Each push carries an array; elements are decoded one at a time by [`super::Items`].

use market_types::{
    Asset, Balance, ClientOrderId, Decimal, Fill, LiquidityRole, Order, OrderId, OrderStatus,
    OrderType, Position, Price, Quantity, Symbol, TradeId,
};

use super::market::signed_side;
use super::read;
use crate::error::FieldError;
use crate::json::{Fault, Scanner};
use crate::venue::Market;

/// One element of `spot.orders` or `futures.orders`, with the venue details the
/// normalized [`Order`] does not hold.
///
/// Spot (G1 "Orders Channel"; all strings but `user`):
///
/// ```json
/// {"id":"399123456","text":"t-testtext","create_time":"1694655225",
///  "update_time":"1694655225","currency_pair":"BTC_USDT","type":"limit","account":"spot",
///  "side":"sell","amount":"0.0001","price":"26253.3","time_in_force":"gtc",
///  "left":"0.0001","filled_total":"0","filled_amount":"812.8","avg_deal_price":"0",
///  "fee":"0","fee_currency":"USDT","create_time_ms":"1694655225315",
///  "update_time_ms":"1694655225315","user":3497082,"event":"put","finish_as":"open"}
/// ```
///
/// Futures (G2 "Orders notification"; numbers, signed `size`, no side field):
///
/// ```json
/// {"contract":"BTC_USD","create_time_ms":1628736847325,"fill_price":40000.4,
///  "finish_as":"filled","id":4872460,"left":0,"price":40000.4,"size":1,
///  "status":"finished","text":"-","tif":"gtc","update_time":1541505434123}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderUpdate {
    /// The normalized order.
    pub order: Order,
    /// Quantity still open (`left`, absolute).
    pub left: Quantity,
    /// Fee charged so far (spot only).
    pub fee: Option<Decimal>,
    /// Currency of the fee (spot only).
    pub fee_asset: Option<Asset>,
    /// Spot `event`: what happened to the order.
    pub event: Option<OrderEvent>,
}

/// Spot order `event` (spec §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// `put`: created.
    Put,
    /// `update`: partly filled.
    Update,
    /// `finish`: closed or cancelled.
    Finish,
}

/// One element of `spot.balances` or `futures.balances`.
///
/// Spot: `{"timestamp":"1667556323","timestamp_ms":"1667556323730","user":"1000001",
/// "currency":"USDT","change":"0","total":"222244.3827652","available":"222244.3827",
/// "freeze":"5","freeze_change":"5.000000","change_type":"order-create"}` — `available`
/// and `freeze` become the balance's available and locked amounts.
///
/// Futures: `{"balance":9.998739899488,"change":-0.000002074115,"text":"BTC_USD:3914424",
/// "time":1547199246,"time_ms":1547199246123,"type":"fee","user":"211xxx","currency":"btc"}`
/// — the account balance becomes `available` (futures pushes do not split out margin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceUpdate {
    /// The normalized balance.
    pub balance: Balance,
    /// The signed change that caused this push.
    pub change: Option<Decimal>,
    /// The venue's total (spot `total`, futures `balance`).
    pub total: Option<Decimal>,
}

pub(crate) fn decode_order(
    sc: &mut Scanner<'_>,
    market: Market,
    pair: &mut Option<Symbol>,
) -> Result<OrderUpdate, Fault> {
    let start = sc.pos();
    sc.begin_object()?;
    let mut first = true;
    let mut symbol = None;
    let mut order_id = None;
    let mut client = None;
    let mut side = None;
    let mut kind: &[u8] = b"limit";
    let mut tif: &[u8] = b"gtc";
    let mut price = None;
    let mut amount = None;
    let mut size = None;
    let mut left = None;
    let mut filled_amount = None;
    let mut avg = None;
    let mut fee = None;
    let mut fee_asset = None;
    let mut event = None;
    let mut status: &[u8] = b"";
    let mut finish_as: &[u8] = b"";
    let mut update_ms = None;
    let mut update_time = None;
    let mut finish_ms = None;
    let mut create_ms = None;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"currency_pair" | b"contract" => {
                symbol = Some(read::symbol(sc, "currency_pair")?);
                *pair = symbol;
            }
            b"id" => order_id = Some(order_id_value(sc, "id")?),
            b"text" => client = client_id(sc)?,
            b"side" => side = Some(read::side(sc, "side")?),
            b"type" => kind = read::word(sc, "type")?,
            b"time_in_force" | b"tif" => tif = read::word(sc, "time_in_force")?,
            b"price" => price = read::opt_decimal(sc, "price")?,
            b"amount" => amount = Some(read::decimal(sc, "amount")?),
            b"size" => size = Some(read::decimal(sc, "size")?),
            b"left" => left = Some(read::decimal(sc, "left")?),
            b"filled_amount" => filled_amount = read::opt_decimal(sc, "filled_amount")?,
            b"avg_deal_price" | b"fill_price" => avg = read::opt_decimal(sc, "avg_deal_price")?,
            b"fee" => fee = read::opt_decimal(sc, "fee")?,
            b"fee_currency" => fee_asset = read::opt_asset(sc, "fee_currency")?,
            b"event" => event = Some(order_event(sc)?),
            b"status" => status = read::word(sc, "status")?,
            b"finish_as" => finish_as = read::word(sc, "finish_as")?,
            b"update_time_ms" => update_ms = Some(read::millis(sc, "update_time_ms")?),
            b"update_time" => update_time = Some(read::millis(sc, "update_time")?),
            b"finish_time_ms" => finish_ms = Some(read::millis(sc, "finish_time_ms")?),
            b"create_time_ms" => create_ms = Some(read::millis(sc, "create_time_ms")?),
            _ => sc.skip_value()?,
        }
    }
    let symbol = symbol.ok_or(Fault::missing("currency_pair", start))?;
    let order_id = order_id.ok_or(Fault::missing("id", start))?;
    // Spot gives a side and an unsigned amount; futures a signed size.
    let (side, quantity) = match (side, amount, size) {
        (Some(side), Some(amount), _) => (side, amount.abs()),
        (side, _, Some(size)) => (
            side.or_else(|| signed_side(size)).ok_or(Fault::invalid(
                "size",
                FieldError::UnknownValue,
                start,
            ))?,
            size.abs(),
        ),
        (None, Some(_), None) => return Err(Fault::missing("side", start)),
        (_, None, None) => return Err(Fault::missing("amount", start)),
    };
    // `amount - left` is always consistent with the order; `filled_amount` (spot) is used
    // only without `left` (the venue's own example has a `filled_amount` larger than
    // the order).
    let filled = match (left, filled_amount) {
        (Some(left), _) => quantity.checked_sub(left.abs()).unwrap_or(Decimal::ZERO),
        (None, Some(filled)) => filled,
        (None, None) => Decimal::ZERO,
    };
    let left = left.map_or_else(
        || quantity.checked_sub(filled).unwrap_or(Decimal::ZERO),
        Decimal::abs,
    );
    let price = price.filter(|p| !p.is_zero());
    let order_type = order_type(kind, tif, price.is_none());
    let status = order_status(market, event, status, finish_as, filled, left);
    // Spot `update_time` is seconds; futures documents milliseconds (values below
    // 10^11 are read as seconds either way).
    let update_time_ms = update_ms
        .or(update_time.map(|t| if t < 100_000_000_000 { t * 1000 } else { t }))
        .or(finish_ms)
        .or(create_ms)
        .unwrap_or(0);
    Ok(OrderUpdate {
        order: Order {
            venue: market.venue(),
            symbol,
            order_id,
            client_order_id: client,
            side,
            order_type,
            price: price.map(Price::new),
            quantity: Quantity::new(quantity),
            filled: Quantity::new(filled),
            average_price: avg.filter(|p| !p.is_zero()).map(Price::new),
            status,
            update_time_ms,
        },
        left: Quantity::new(left),
        fee,
        fee_asset,
        event,
    })
}

/// One element of `spot.usertrades` / `futures.usertrades` as a [`Fill`].
///
/// Spot: `{"id":5736713,"user_id":1000001,"order_id":"30784428","currency_pair":"BTC_USDT",
/// "create_time":1605176741,"create_time_ms":"1605176741123.456","side":"sell",
/// "amount":"1.00000000","role":"taker","price":"10000.00000000","fee":"0.00200000000000",
/// "fee_currency":"BTC","text":"apiv4","id_market":5736713}`
///
/// Futures: `{"id":"3335259","create_time_ms":1628736848321,"contract":"BTC_USD",
/// "order_id":"4872460","size":1,"price":"40000.4","role":"maker","text":"api",
/// "fee":0.0009290592,"point_fee":0}` (signed size gives the side).
pub(crate) fn decode_fill(
    sc: &mut Scanner<'_>,
    market: Market,
    pair: &mut Option<Symbol>,
) -> Result<Fill, Fault> {
    let start = sc.pos();
    sc.begin_object()?;
    let mut first = true;
    let mut symbol = None;
    let mut trade_id = None;
    let mut order_id = None;
    let mut client = None;
    let mut side = None;
    let mut amount = None;
    let mut size = None;
    let mut price = None;
    let mut fee = None;
    let mut fee_asset = None;
    let mut role = None;
    let mut time_ms = None;
    let mut time_s = None;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"currency_pair" | b"contract" => {
                symbol = Some(read::symbol(sc, "currency_pair")?);
                *pair = symbol;
            }
            b"id" => trade_id = Some(trade_id_value(sc)?),
            b"order_id" => order_id = Some(order_id_value(sc, "order_id")?),
            b"text" => client = client_id(sc)?,
            b"side" => side = Some(read::side(sc, "side")?),
            b"amount" => amount = Some(read::decimal(sc, "amount")?),
            b"size" => size = Some(read::decimal(sc, "size")?),
            b"price" => price = Some(read::price(sc, "price")?),
            b"fee" => fee = read::opt_decimal(sc, "fee")?,
            b"fee_currency" => fee_asset = read::opt_asset(sc, "fee_currency")?,
            b"role" => {
                let at = sc.pos();
                role = Some(match read::word(sc, "role")? {
                    b"maker" => LiquidityRole::Maker,
                    b"taker" => LiquidityRole::Taker,
                    _ => return Err(Fault::invalid("role", FieldError::UnknownValue, at)),
                });
            }
            b"create_time_ms" => time_ms = Some(read::millis(sc, "create_time_ms")?),
            b"create_time" => time_s = Some(read::seconds_as_millis(sc, "create_time")?),
            _ => sc.skip_value()?,
        }
    }
    let (side, quantity) = match (side, amount, size) {
        (Some(side), Some(amount), _) => (side, amount.abs()),
        (side, _, Some(size)) => (
            side.or_else(|| signed_side(size)).ok_or(Fault::invalid(
                "size",
                FieldError::UnknownValue,
                start,
            ))?,
            size.abs(),
        ),
        (None, Some(_), None) => return Err(Fault::missing("side", start)),
        (_, None, None) => {
            let field = if market == Market::Spot {
                "amount"
            } else {
                "size"
            };
            return Err(Fault::missing(field, start));
        }
    };
    Ok(Fill {
        venue: market.venue(),
        symbol: symbol.ok_or(Fault::missing("currency_pair", start))?,
        trade_id: trade_id.ok_or(Fault::missing("id", start))?,
        order_id: order_id.ok_or(Fault::missing("order_id", start))?,
        client_order_id: client,
        side,
        price: price.ok_or(Fault::missing("price", start))?,
        quantity: Quantity::new(quantity),
        fee: fee.unwrap_or(Decimal::ZERO),
        fee_asset,
        role,
        time_ms: time_ms
            .or(time_s)
            .ok_or(Fault::missing("create_time_ms", start))?,
    })
}

pub(crate) fn decode_balance(
    sc: &mut Scanner<'_>,
    market: Market,
    envelope_ms: u64,
) -> Result<BalanceUpdate, Fault> {
    let start = sc.pos();
    sc.begin_object()?;
    let mut first = true;
    let mut asset = None;
    let mut available = None;
    let mut freeze = None;
    let mut total = None;
    let mut change = None;
    let mut time_ms = None;
    let mut time_s = None;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"currency" => asset = read::opt_asset(sc, "currency")?,
            b"available" => available = read::opt_decimal(sc, "available")?,
            b"freeze" => freeze = read::opt_decimal(sc, "freeze")?,
            b"total" | b"balance" => total = read::opt_decimal(sc, "total")?,
            b"change" => change = read::opt_decimal(sc, "change")?,
            b"timestamp_ms" | b"time_ms" => time_ms = Some(read::millis(sc, "timestamp_ms")?),
            b"timestamp" | b"time" => time_s = Some(read::seconds_as_millis(sc, "timestamp")?),
            _ => sc.skip_value()?,
        }
    }
    let asset = asset.ok_or(Fault::missing("currency", start))?;
    let available = match market {
        Market::Spot => available.ok_or(Fault::missing("available", start))?,
        Market::Futures => available
            .or(total)
            .ok_or(Fault::missing("balance", start))?,
    };
    Ok(BalanceUpdate {
        balance: Balance {
            venue: market.venue(),
            asset,
            available,
            locked: freeze.unwrap_or(Decimal::ZERO),
            time_ms: time_ms.or(time_s).unwrap_or(envelope_ms),
        },
        change,
        total,
    })
}

/// One element of `futures.positions` (G2 "Positions notification"):
///
/// ```json
/// {"contract":"BTC_USD","entry_price":40000.36666661111,"leverage":0,"liq_price":0.1,
///  "mode":"single","realised_pnl":-1.25e-8,"size":3,"time_ms":1628736848321,
///  "user":"110xxxxx","update_id":170919}
/// ```
///
/// A zero entry or liquidation price (flat position) becomes `None`; leverage `0` means
/// cross margin and is kept as zero.
pub(crate) fn decode_position(
    sc: &mut Scanner<'_>,
    market: Market,
    pair: &mut Option<Symbol>,
) -> Result<Position, Fault> {
    let start = sc.pos();
    sc.begin_object()?;
    let mut first = true;
    let mut symbol = None;
    let mut size = None;
    let mut entry = None;
    let mut leverage = None;
    let mut liq = None;
    let mut pnl = None;
    let mut time_ms = None;
    let mut time_s = None;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"contract" => {
                symbol = Some(read::symbol(sc, "contract")?);
                *pair = symbol;
            }
            b"size" => size = Some(read::decimal(sc, "size")?),
            b"entry_price" => entry = read::opt_decimal(sc, "entry_price")?,
            b"leverage" => leverage = read::opt_decimal(sc, "leverage")?,
            b"liq_price" => liq = read::opt_decimal(sc, "liq_price")?,
            b"realised_pnl" => pnl = read::opt_decimal(sc, "realised_pnl")?,
            b"time_ms" => time_ms = Some(read::millis(sc, "time_ms")?),
            b"time" => time_s = Some(read::seconds_as_millis(sc, "time")?),
            _ => sc.skip_value()?,
        }
    }
    Ok(Position {
        venue: market.venue(),
        symbol: symbol.ok_or(Fault::missing("contract", start))?,
        size: size.ok_or(Fault::missing("size", start))?,
        entry_price: entry.filter(|p| !p.is_zero()).map(Price::new),
        leverage,
        liquidation_price: liq.filter(|p| !p.is_zero()).map(Price::new),
        realised_pnl: pnl,
        time_ms: time_ms.or(time_s).unwrap_or(0),
    })
}

fn order_id_value(sc: &mut Scanner<'_>, field: &'static str) -> Result<OrderId, Fault> {
    let at = sc.pos();
    if sc.peek()? == b'"' {
        let raw = read::word(sc, field)?;
        OrderId::from_bytes(raw).map_err(|e| Fault::invalid(field, FieldError::identifier(e), at))
    } else {
        read::uint(sc, field).map(OrderId::from_u64)
    }
}

fn trade_id_value(sc: &mut Scanner<'_>) -> Result<TradeId, Fault> {
    let at = sc.pos();
    if sc.peek()? == b'"' {
        let raw = read::word(sc, "id")?;
        TradeId::from_bytes(raw).map_err(|e| Fault::invalid("id", FieldError::identifier(e), at))
    } else {
        read::uint(sc, "id").map(TradeId::from_u64)
    }
}

/// Gate's `text` is the client order id only when it has the user prefix `t-`; otherwise
/// it names the order's origin (`api`, `web`, `-`).
fn client_id(sc: &mut Scanner<'_>) -> Result<Option<ClientOrderId>, Fault> {
    let at = sc.pos();
    let raw = read::text(sc, "text")?;
    match raw.plain() {
        Some(text) if text.starts_with(b"t-") => ClientOrderId::from_bytes(text)
            .map(Some)
            .map_err(|e| Fault::invalid("text", FieldError::identifier(e), at)),
        _ => Ok(None),
    }
}

fn order_event(sc: &mut Scanner<'_>) -> Result<OrderEvent, Fault> {
    let at = sc.pos();
    match read::word(sc, "event")? {
        b"put" => Ok(OrderEvent::Put),
        b"update" => Ok(OrderEvent::Update),
        b"finish" => Ok(OrderEvent::Finish),
        _ => Err(Fault::invalid("event", FieldError::UnknownValue, at)),
    }
}

fn order_type(kind: &[u8], tif: &[u8], no_price: bool) -> OrderType {
    if kind.starts_with(b"market") || (no_price && tif == b"ioc") {
        return OrderType::Market;
    }
    if !kind.starts_with(b"limit") {
        return OrderType::Other;
    }
    match tif {
        b"ioc" => OrderType::ImmediateOrCancel,
        b"poc" => OrderType::PostOnly,
        b"fok" => OrderType::FillOrKill,
        _ => OrderType::Limit,
    }
}

/// Normalizes Gate's order state.
///
/// Open orders are `New` until something filled. Closed ones: `filled` is `Filled`;
/// `ioc`/`fok` (time in force ran out) are `Expired`; `poc` (a post-only order that would
/// have taken) is `Rejected`; everything else (`cancelled`, `stp`, `liquidated`,
/// `reduce_only`, `small`, ...) is `Canceled`, or `PartiallyCanceled` after a fill.
fn order_status(
    market: Market,
    event: Option<OrderEvent>,
    status: &[u8],
    finish_as: &[u8],
    filled: Decimal,
    left: Decimal,
) -> OrderStatus {
    let open = match market {
        Market::Spot => match event {
            Some(OrderEvent::Put | OrderEvent::Update) => true,
            Some(OrderEvent::Finish) => false,
            None => finish_as == b"open" || finish_as.is_empty(),
        },
        Market::Futures => status != b"finished" && !matches!(finish_as, b"filled" | b"cancelled"),
    };
    let partially = filled.is_positive();
    if open {
        return if partially {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::New
        };
    }
    match finish_as {
        b"filled" => OrderStatus::Filled,
        _ if left.is_zero() && partially => OrderStatus::Filled,
        b"ioc" | b"fok" => OrderStatus::Expired,
        b"poc" => OrderStatus::Rejected,
        _ if partially => OrderStatus::PartiallyCanceled,
        _ => OrderStatus::Canceled,
    }
}

#[cfg(test)]
mod tests;
