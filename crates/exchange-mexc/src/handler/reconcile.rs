//! The signed REST calls used to reconcile private state after a reconnect, and their
//! answers parsed once into the normalized model (MEXC spot v3 docs, "Account
//! Information", "Current Open Orders", "Query Order", "All Orders", "Account Trade
//! List"): `GET /api/v3/account`, `/api/v3/openOrders`, `/api/v3/order`,
//! `/api/v3/allOrders` and `/api/v3/myTrades`.

use std::borrow::Cow;

use bytes::Bytes;
use market_types::{
    Asset, Balance, ClientOrderId, Decimal, Fill, LiquidityRole, Order, OrderId, OrderStatus,
    OrderType, Price, Quantity, Side, Symbol, TradeId, Venue,
};
use serde::Deserialize;
use ws_session::{RestMethod, RestRequest, RestRequestId, Timestamp};

use crate::auth::{API_KEY_HEADER, RestSigner};
use crate::config::MexcConfig;
use crate::error::Error;

/// Builds the signed history queries (`order`, `allOrders`, `myTrades`): the
/// [`RestSigner`] signs the query; the URL and key header are put around it here.
#[derive(Debug, Clone)]
pub(crate) struct HistoryRequests {
    signer: RestSigner,
    rest_url: String,
    api_key: String,
}

impl HistoryRequests {
    /// `None` without credentials.
    pub(crate) fn new(config: &MexcConfig, signer: Option<&RestSigner>) -> Option<Self> {
        Some(HistoryRequests {
            signer: signer?.clone(),
            rest_url: config.endpoints.rest_url.trim_end_matches('/').to_string(),
            api_key: config.credentials.as_ref()?.api_key().to_string(),
        })
    }

    /// `GET /api/v3/order?symbol=..&orderId=..`: one order, open or not.
    pub(crate) fn order(
        &self,
        symbol: Symbol,
        order_id: OrderId,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        self.get(
            ORDER,
            &[("symbol", symbol.as_str()), ("orderId", order_id.as_str())],
            id,
            now,
        )
    }

    /// `GET /api/v3/allOrders?symbol=..&startTime=..&limit=..`: orders created from
    /// `start_ms` on, oldest first.
    pub(crate) fn all_orders(
        &self,
        symbol: Symbol,
        start_ms: u64,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        let start = start_ms.to_string();
        let limit = ORDERS_PAGE.to_string();
        self.get(
            ALL_ORDERS,
            &[
                ("symbol", symbol.as_str()),
                ("startTime", &start),
                ("limit", &limit),
            ],
            id,
            now,
        )
    }

    /// `GET /api/v3/myTrades?symbol=..&startTime=..&limit=..`: fills from `start_ms` on,
    /// oldest first.
    pub(crate) fn my_trades(
        &self,
        symbol: Symbol,
        start_ms: u64,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        let start = start_ms.to_string();
        let limit = TRADES_PAGE.to_string();
        self.get(
            MY_TRADES,
            &[
                ("symbol", symbol.as_str()),
                ("startTime", &start),
                ("limit", &limit),
            ],
            id,
            now,
        )
    }

    fn get(
        &self,
        path: &str,
        params: &[(&str, &str)],
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        let query = self.signer.signed_query(params, now.unix_millis());
        RestRequest {
            id,
            method: RestMethod::Get,
            url: format!("{}{path}?{query}", self.rest_url),
            headers: vec![
                (API_KEY_HEADER.to_string(), self.api_key.clone()),
                ("Content-Type".to_string(), "application/json".to_string()),
            ],
            body: Bytes::new(),
        }
    }
}

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

/// Rows of one `allOrders` page (the venue's largest `limit`).
pub(crate) const ORDERS_PAGE: usize = 1000;
/// Rows of one `myTrades` page (the venue's largest `limit`).
pub(crate) const TRADES_PAGE: usize = 100;
/// `GET /api/v3/order`.
pub(crate) const ORDER: &str = "/api/v3/order";
/// `GET /api/v3/allOrders`.
pub(crate) const ALL_ORDERS: &str = "/api/v3/allOrders";
/// `GET /api/v3/myTrades`.
pub(crate) const MY_TRADES: &str = "/api/v3/myTrades";

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
        let orders = parse_orders(orders).unwrap();
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
    fn history_samples() {
        // "Account Trade List", docs sample.
        let trades = br#"[{"symbol":"BNBBTC","id":"fad2af9e942049b6adbda1a271f990c6","orderId":"bb41e5663e124046bd9497a3f5692f39","orderListId":-1,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012","commission":"10.10000000","commissionAsset":"BNB","time":1499865549590,"isBuyer":true,"isMaker":false,"isBestMatch":true,"isSelfTrade":true,"clientOrderId":null},{"symbol":"BNBBTC","id":7,"orderId":8,"price":"4","qty":"1","commission":"0","commissionAsset":"","time":1,"isBuyer":false,"isMaker":true}]"#;
        let fills = parse_trades(trades).unwrap();
        assert_eq!(fills.len(), 2);
        let first = fills[0];
        assert_eq!(first.trade_id.as_str(), "fad2af9e942049b6adbda1a271f990c6");
        assert_eq!(first.order_id.as_str(), "bb41e5663e124046bd9497a3f5692f39");
        assert_eq!(first.side, Side::Buy);
        assert_eq!(first.quantity, Quantity::parse("12").unwrap());
        assert_eq!(first.fee, Decimal::parse("10.1").unwrap());
        assert_eq!(first.fee_asset.map(|a| a.to_string()), Some("BNB".into()));
        assert_eq!(first.role, Some(LiquidityRole::Taker));
        assert_eq!(first.time_ms, 1_499_865_549_590);
        assert_eq!(first.client_order_id, None);
        assert_eq!(fills[1].trade_id.as_str(), "7");
        assert_eq!(fills[1].side, Side::Sell);
        assert_eq!(fills[1].fee_asset, None);

        // "Query Order", docs sample, then finished.
        let order = br#"{"symbol":"LTCBTC","orderId":"C02__443776347957968896088","orderListId":-1,"clientOrderId":"","price":"0.1","origQty":"1.0","executedQty":"1.0","cummulativeQuoteQty":"0.1","status":"FILLED","timeInForce":"","type":"LIMIT","side":"BUY","stopPrice":"","icebergQty":"","time":1499827319559,"updateTime":1499827319999,"isWorking":true,"origQuoteOrderQty":"0.000000"}"#;
        let order = parse_order(order).unwrap();
        assert_eq!(order.status, OrderStatus::Filled);
        assert_eq!(order.filled, Quantity::parse("1").unwrap());
        assert_eq!(order.update_time_ms, 1_499_827_319_999);

        // "All Orders" pages by creation time.
        let all = br#"[{"symbol":"LTCBTC","orderId":"1","price":"1","origQty":"1","executedQty":"0","status":"CANCELED","side":"SELL","time":30,"updateTime":90},{"symbol":"LTCBTC","orderId":"2","price":"1","origQty":"1","executedQty":"0","status":"NEW","side":"SELL","time":40,"updateTime":40}]"#;
        let (orders, newest) = parse_order_page(all).unwrap();
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].status, OrderStatus::Canceled);
        assert_eq!(newest, Some(40));
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
        assert!(parse_orders(br#"{"code":700002,"msg":"x"}"#).is_err());
        assert!(parse_order(b"[]").is_err());
        assert!(parse_trades(br#"[{"symbol":"A","id":"1","orderId":"2","price":"x","qty":"1","time":1,"isBuyer":true}]"#).is_err());
        let bad_status = br#"[{"symbol":"A","orderId":"1","origQty":"1","executedQty":"0","status":"WEIRD","side":"BUY"}]"#;
        assert!(parse_orders(bad_status).is_err());
        assert_eq!(parse_orders(b"[]").unwrap(), Vec::new());
    }
}
