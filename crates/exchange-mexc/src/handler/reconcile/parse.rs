//! The answers of the reconciliation calls, parsed once into the normalized model.

use std::borrow::Cow;

use market_types::{
    Asset, Balance, ClientOrderId, Decimal, Fill, LiquidityRole, Order, OrderId, OrderStatus,
    OrderType, Price, Quantity, Side, Symbol, TradeId, Venue,
};
use serde::Deserialize;

use crate::error::Error;

/// The balances of `GET /api/v3/account`, each stamped `time_ms` (the answer has no
/// per-asset time).
///
/// Sample (docs): `{"makerCommission":null,"takerCommission":null,"buyerCommission":null,
/// "sellerCommission":null,"canTrade":true,"canWithdraw":true,"canDeposit":true,
/// "updateTime":null,"accountType":"SPOT","balances":[{"asset":"NBNTEST","free":"1111078",
/// "locked":"33"},{"asset":"MAIN","free":"1020000","locked":"0"}],"permissions":["SPOT"]}`
///
/// # Errors
/// [`Error::Json`] for another shape, an invalid asset or an amount that is not a decimal.
pub(crate) fn parse_account(body: &[u8], time_ms: u64) -> Result<Vec<Balance>, Error> {
    #[derive(Deserialize)]
    struct Account<'a> {
        #[serde(borrow)]
        balances: Vec<RestBalance<'a>>,
    }
    #[derive(Deserialize)]
    struct RestBalance<'a> {
        asset: Asset,
        #[serde(borrow)]
        free: Cow<'a, str>,
        #[serde(borrow)]
        locked: Cow<'a, str>,
    }
    let account: Account<'_> =
        serde_json::from_slice(body).map_err(|source| json("account", source))?;
    account
        .balances
        .iter()
        .map(|b| {
            Ok(Balance {
                venue: Venue::MexcSpot,
                asset: b.asset,
                available: amount(&b.free, "account balances.free")?,
                locked: amount(&b.locked, "account balances.locked")?,
                time_ms,
            })
        })
        .collect()
}

/// The orders of `GET /api/v3/openOrders?symbol=..` and `GET /api/v3/allOrders`.
///
/// Sample (docs): `[{"symbol":"LTCBTC","orderId":"C02__443776347957968896088",
/// "orderListId":-1,"clientOrderId":"","price":"0.1","origQty":"1.0","executedQty":"0.0",
/// "cummulativeQuoteQty":"0.0","status":"NEW","timeInForce":"","type":"LIMIT",
/// "side":"BUY","stopPrice":"","icebergQty":"","time":1499827319559,
/// "updateTime":1499827319559,"isWorking":true,"origQuoteOrderQty":"0.000000"}]`
///
/// `orderId` may be a string or a number. The average fill price is not derived (the
/// answer has only the cumulative quote amount); it is `None`.
///
/// # Errors
/// [`Error::Json`] for another shape or an unknown status, side or amount.
pub(crate) fn parse_orders(body: &[u8]) -> Result<Vec<Order>, Error> {
    parse_order_page(body).map(|(orders, _)| orders)
}

/// [`parse_orders`], and the latest creation time (`time`) among them: `allOrders`
/// pages by creation time.
///
/// # Errors
/// As [`parse_orders`].
pub(crate) fn parse_order_page(body: &[u8]) -> Result<(Vec<Order>, Option<u64>), Error> {
    let orders: Vec<RestOrder<'_>> =
        serde_json::from_slice(body).map_err(|source| json("orders", source))?;
    let newest = orders.iter().filter_map(|o| o.time).max();
    let orders = orders
        .iter()
        .map(RestOrder::to_order)
        .collect::<Result<_, _>>()?;
    Ok((orders, newest))
}

/// The order of `GET /api/v3/order?symbol=..&orderId=..`, in the shape of one
/// `openOrders` element.
///
/// # Errors
/// As [`parse_orders`].
pub(crate) fn parse_order(body: &[u8]) -> Result<Order, Error> {
    let order: RestOrder<'_> =
        serde_json::from_slice(body).map_err(|source| json("order", source))?;
    order.to_order()
}

/// The fills of `GET /api/v3/myTrades?symbol=..`, in the answer's order.
///
/// Sample (docs): `[{"symbol":"BNBBTC","id":"fad2af9e942049b6adbda1a271f990c6",
/// "orderId":"bb41e5663e124046bd9497a3f5692f39","orderListId":-1,"price":"4.00000100",
/// "qty":"12.00000000","quoteQty":"48.000012","commission":"10.10000000",
/// "commissionAsset":"BNB","time":1499865549590,"isBuyer":true,"isMaker":false,
/// "isBestMatch":true,"isSelfTrade":true,"clientOrderId":null}]`
///
/// `id` (the `tradeId` of the `privateDeals` push) and `orderId` may be strings or
/// numbers; the side is `isBuyer`'s.
///
/// # Errors
/// [`Error::Json`] for another shape; a bad identifier or amount.
pub(crate) fn parse_trades(body: &[u8]) -> Result<Vec<Fill>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RestTrade<'a> {
        symbol: Symbol,
        #[serde(borrow)]
        id: IdText<'a>,
        #[serde(borrow)]
        order_id: IdText<'a>,
        #[serde(borrow)]
        price: Cow<'a, str>,
        #[serde(borrow)]
        qty: Cow<'a, str>,
        #[serde(borrow, default)]
        commission: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        commission_asset: Option<Cow<'a, str>>,
        time: u64,
        is_buyer: bool,
        #[serde(default)]
        is_maker: Option<bool>,
        #[serde(borrow, default)]
        client_order_id: Option<Cow<'a, str>>,
    }
    let trades: Vec<RestTrade<'_>> =
        serde_json::from_slice(body).map_err(|source| json("myTrades", source))?;
    trades
        .iter()
        .map(|t| {
            let trade_id = match &t.id {
                IdText::Text(text) => TradeId::new(text),
                IdText::Number(number) => Ok(TradeId::from_u64(*number)),
            }
            .map_err(|source| Error::InvalidIdentifier {
                context: "myTrades id",
                source,
            })?;
            Ok(Fill {
                venue: Venue::MexcSpot,
                symbol: t.symbol,
                trade_id,
                order_id: t.order_id.to_order_id("myTrades orderId")?,
                client_order_id: client_order_id(
                    t.client_order_id.as_deref(),
                    "myTrades clientOrderId",
                )?,
                side: if t.is_buyer { Side::Buy } else { Side::Sell },
                price: Price::new(amount(&t.price, "myTrades price")?),
                quantity: Quantity::new(amount(&t.qty, "myTrades qty")?),
                fee: match t.commission.as_deref() {
                    None | Some("") => Decimal::ZERO,
                    Some(text) => amount(text, "myTrades commission")?,
                },
                fee_asset: t
                    .commission_asset
                    .as_deref()
                    .filter(|a| !a.is_empty())
                    .and_then(|a| Asset::new(a).ok()),
                role: t.is_maker.map(|maker| {
                    if maker {
                        LiquidityRole::Maker
                    } else {
                        LiquidityRole::Taker
                    }
                }),
                time_ms: t.time,
            })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestOrder<'a> {
    symbol: Symbol,
    #[serde(borrow)]
    order_id: IdText<'a>,
    #[serde(borrow, default)]
    client_order_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    price: Option<Cow<'a, str>>,
    #[serde(borrow)]
    orig_qty: Cow<'a, str>,
    #[serde(borrow)]
    executed_qty: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow, rename = "type", default)]
    order_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    side: Cow<'a, str>,
    #[serde(default)]
    time: Option<u64>,
    #[serde(default)]
    update_time: Option<u64>,
}

/// An id sent as a JSON string or number.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdText<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Number(u64),
}

impl IdText<'_> {
    fn to_order_id(&self, context: &'static str) -> Result<OrderId, Error> {
        match self {
            IdText::Text(text) => OrderId::new(text),
            IdText::Number(number) => Ok(OrderId::from_u64(*number)),
        }
        .map_err(|source| Error::InvalidIdentifier { context, source })
    }
}

/// A client order id; `None` when absent or empty.
fn client_order_id(
    text: Option<&str>,
    context: &'static str,
) -> Result<Option<ClientOrderId>, Error> {
    match text {
        None | Some("") => Ok(None),
        Some(id) => ClientOrderId::new(id)
            .map(Some)
            .map_err(|source| Error::InvalidIdentifier { context, source }),
    }
}

impl RestOrder<'_> {
    fn to_order(&self) -> Result<Order, Error> {
        let order_id = self.order_id.to_order_id("openOrders orderId")?;
        let client_order_id =
            client_order_id(self.client_order_id.as_deref(), "openOrders clientOrderId")?;
        let order_type = match self.order_type.as_deref() {
            Some("LIMIT") => OrderType::Limit,
            Some("MARKET") => OrderType::Market,
            Some("LIMIT_MAKER") => OrderType::PostOnly,
            Some("IMMEDIATE_OR_CANCEL") => OrderType::ImmediateOrCancel,
            Some("FILL_OR_KILL") => OrderType::FillOrKill,
            _ => OrderType::Other,
        };
        let price = match self.price.as_deref() {
            None | Some("") => None,
            Some(text) => Some(amount(text, "openOrders price")?).filter(|p| p.is_positive()),
        };
        Ok(Order {
            venue: Venue::MexcSpot,
            symbol: self.symbol,
            order_id,
            client_order_id,
            side: match &*self.side {
                "BUY" => Side::Buy,
                "SELL" => Side::Sell,
                _ => return Err(unknown("openOrders side")),
            },
            order_type,
            price: price.map(Price::new),
            quantity: Quantity::new(amount(&self.orig_qty, "openOrders origQty")?),
            filled: Quantity::new(amount(&self.executed_qty, "openOrders executedQty")?),
            average_price: None,
            status: match &*self.status {
                "NEW" => OrderStatus::New,
                "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
                "FILLED" => OrderStatus::Filled,
                "CANCELED" => OrderStatus::Canceled,
                "PARTIALLY_CANCELED" => OrderStatus::PartiallyCanceled,
                _ => return Err(unknown("openOrders status")),
            },
            update_time_ms: self.update_time.or(self.time).unwrap_or(0),
        })
    }
}

/// A decimal rounded toward zero to 18 places (computed balances can carry more digits).
fn amount(text: &str, context: &'static str) -> Result<Decimal, Error> {
    let keep = match text.find('.') {
        Some(dot) => text
            .get(..dot + 1 + usize::from(Decimal::MAX_SCALE))
            .unwrap_or(text),
        None => text,
    };
    Decimal::parse(keep).map_err(|source| Error::InvalidDecimal { context, source })
}

fn unknown(context: &'static str) -> Error {
    Error::UnknownEnumValue { context, value: -1 }
}

fn json(context: &'static str, source: serde_json::Error) -> Error {
    Error::Json { context, source }
}
