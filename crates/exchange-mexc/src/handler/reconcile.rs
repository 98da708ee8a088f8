//! The signed REST answers used to reconcile private state after a reconnect:
//! `GET /api/v3/account` and `GET /api/v3/openOrders`, parsed once into the normalized
//! model (MEXC spot v3 docs, "Account Information" and "Current Open Orders").

use std::borrow::Cow;

use market_types::{
    Asset, Balance, ClientOrderId, Decimal, Order, OrderId, OrderStatus, OrderType, Price,
    Quantity, Side, Symbol, Venue,
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

/// The orders of `GET /api/v3/openOrders?symbol=..`.
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
pub(crate) fn parse_open_orders(body: &[u8]) -> Result<Vec<Order>, Error> {
    let orders: Vec<RestOrder<'_>> =
        serde_json::from_slice(body).map_err(|source| json("open orders", source))?;
    orders.iter().map(RestOrder::to_order).collect()
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

impl RestOrder<'_> {
    fn to_order(&self) -> Result<Order, Error> {
        let order_id = match &self.order_id {
            IdText::Text(text) => OrderId::new(text),
            IdText::Number(number) => Ok(OrderId::from_u64(*number)),
        }
        .map_err(|source| Error::InvalidIdentifier {
            context: "openOrders orderId",
            source,
        })?;
        let client_order_id = match self.client_order_id.as_deref() {
            None | Some("") => None,
            Some(id) => {
                Some(
                    ClientOrderId::new(id).map_err(|source| Error::InvalidIdentifier {
                        context: "openOrders clientOrderId",
                        source,
                    })?,
                )
            }
        };
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

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn docs_samples() {
        let account = br#"{"makerCommission":null,"takerCommission":null,"buyerCommission":null,"sellerCommission":null,"canTrade":true,"canWithdraw":true,"canDeposit":true,"updateTime":null,"accountType":"SPOT","balances":[{"asset":"NBNTEST","free":"1111078","locked":"33"},{"asset":"MAIN","free":"1020000.0000000000000000001","locked":"0"}],"permissions":["SPOT"]}"#;
        let balances = parse_account(account, 7).unwrap();
        assert_eq!(balances.len(), 2);
        assert_eq!(balances[0].asset.as_str(), "NBNTEST");
        assert_eq!(balances[0].available, Decimal::from(1_111_078u32));
        assert_eq!(balances[0].locked, Decimal::from(33u32));
        assert_eq!(balances[1].available, Decimal::from(1_020_000u32));
        assert_eq!(balances[1].time_ms, 7);

        let orders = br#"[{"symbol":"LTCBTC","orderId":"C02__443776347957968896088","orderListId":-1,"clientOrderId":"","price":"0.1","origQty":"1.0","executedQty":"0.25","cummulativeQuoteQty":"0.025","status":"PARTIALLY_FILLED","timeInForce":"","type":"LIMIT","side":"BUY","stopPrice":"","icebergQty":"","time":1499827319559,"updateTime":1499827319999,"isWorking":true,"origQuoteOrderQty":"0.000000"},{"symbol":"LTCBTC","orderId":42,"price":"0.2","origQty":"2","executedQty":"0","status":"NEW","type":"LIMIT_MAKER","side":"SELL","time":5}]"#;
        let orders = parse_open_orders(orders).unwrap();
        assert_eq!(orders.len(), 2);
        let first = orders[0];
        assert_eq!(first.order_id.as_str(), "C02__443776347957968896088");
        assert_eq!(first.client_order_id, None);
        assert_eq!(first.status, OrderStatus::PartiallyFilled);
        assert_eq!(first.side, Side::Buy);
        assert_eq!(first.filled, Quantity::parse("0.25").unwrap());
        assert_eq!(first.price, Some(Price::parse("0.1").unwrap()));
        assert_eq!(first.update_time_ms, 1_499_827_319_999);
        assert_eq!(orders[1].order_id.as_str(), "42");
        assert_eq!(orders[1].order_type, OrderType::PostOnly);
        assert_eq!(orders[1].update_time_ms, 5);
    }

    #[test]
    fn bad_answers_are_errors() {
        assert!(parse_account(b"{}", 0).is_err());
        assert!(
            parse_account(
                br#"{"balances":[{"asset":"X","free":1.5,"locked":"0"}]}"#,
                0
            )
            .is_err()
        );
        assert!(parse_open_orders(br#"{"code":700002,"msg":"x"}"#).is_err());
        let bad_status = br#"[{"symbol":"A","orderId":"1","origQty":"1","executedQty":"0","status":"WEIRD","side":"BUY"}]"#;
        assert!(parse_open_orders(bad_status).is_err());
        assert_eq!(parse_open_orders(b"[]").unwrap(), Vec::new());
    }
}
