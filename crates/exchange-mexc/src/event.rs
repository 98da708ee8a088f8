//! Cold-path bodies into the normalized model: private orders, fills and balances, the
//! partial book (`limit.depth`) and the book-ticker batch. These bodies are decoded with
//! prost ([`crate::RawBody::decode`]); the hot bodies are normalized in [`crate::wire`].

use market_types::{
    Asset, Balance, BookTicker, ClientOrderId, Decimal, Fill, Level, LiquidityRole, Order, OrderId,
    OrderStatus, OrderType, PrivateEvent, Side, TradeId, Venue,
};

use crate::error::Error;
use crate::pb;
use crate::wire::{PushHeader, RawBody, parse_price, parse_quantity, parse_u64, trade_side};

/// The private event a user-data push carries (bodies 304, 306 and 307, decoded with
/// prost).
///
/// # Errors
/// A decoding [`Error`]; a body that is not private is
/// [`Error::UnknownEnumValue`] naming its wrapper field number.
pub fn private_event(header: &PushHeader<'_>, raw: RawBody<'_>) -> Result<PrivateEvent, Error> {
    use pb::push_data_v3_api_wrapper::Body as B;
    match raw.decode()? {
        B::PrivateOrders(order) => self::order(header, &order).map(PrivateEvent::Order),
        B::PrivateDeals(deal) => fill(header, &deal).map(PrivateEvent::Fill),
        B::PrivateAccount(account) => balance(&account).map(PrivateEvent::Balance),
        _ => Err(Error::UnknownEnumValue {
            context: "PushDataV3ApiWrapper private body field",
            value: i64::from(raw.kind.field_number()),
        }),
    }
}

/// `PrivateOrdersV3Api` (304) as an [`Order`].
///
/// Proto3 JSON of a sample (`mexc_pb_private_orders_example.json`):
/// `{"id":"C02__505979017439002624115","price":"3.5121","quantity":"1","amount":"0",
/// "avgPrice":"3.6962","orderType":5,"tradeType":2,"remainAmount":"0","remainQuantity":"0",
/// "lastDealQuantity":"1","cumulativeQuantity":"1","cumulativeAmount":"3.6962","status":2,
/// "createTime":"1736417034259"}`
///
/// The 2025 docs put the order id in `id`, the 2026 docs in `clientId` (spec §1.7.3):
/// the order id is `id` when set, else `clientId`; `clientId` is reported as the client
/// order id only when both are set and differ. Market orders have no price. The update
/// time is the wrapper's `sendTime`, else the order's `createTime`.
///
/// # Errors
/// A decoding [`Error`] for a missing id, an unknown side, type or status, or a bad
/// decimal.
pub fn order(header: &PushHeader<'_>, body: &pb::PrivateOrdersV3Api) -> Result<Order, Error> {
    let symbol = header.symbol()?;
    let (order_id, client_order_id) = match (body.id.is_empty(), body.client_id.is_empty()) {
        (false, true) => (body.id.as_str(), None),
        (false, false) if body.id == body.client_id => (body.id.as_str(), None),
        (false, false) => (body.id.as_str(), Some(body.client_id.as_str())),
        (true, false) => (body.client_id.as_str(), None),
        (true, true) => {
            return Err(Error::InvalidIdentifier {
                context: "PrivateOrdersV3Api.id",
                source: market_types::SymbolError::Empty,
            });
        }
    };
    let order_type = order_type(body.order_type)?;
    let average_price = optional_decimal(&body.avg_price, "PrivateOrdersV3Api.avgPrice")?
        .filter(|price| price.is_positive())
        .map(market_types::Price::new);
    let price = match order_type {
        OrderType::Market => None,
        _ => {
            optional_decimal(&body.price, "PrivateOrdersV3Api.price")?.map(market_types::Price::new)
        }
    };
    Ok(Order {
        venue: Venue::MexcSpot,
        symbol,
        order_id: order_id_from(order_id, "PrivateOrdersV3Api.id")?,
        client_order_id: client_order_id
            .map(|id| client_order_id_from(id, "PrivateOrdersV3Api.clientId"))
            .transpose()?,
        side: required_side(body.trade_type, "PrivateOrdersV3Api.tradeType")?,
        order_type,
        price,
        quantity: optional_decimal(&body.quantity, "PrivateOrdersV3Api.quantity")?
            .unwrap_or(Decimal::ZERO)
            .into(),
        filled: optional_decimal(
            &body.cumulative_quantity,
            "PrivateOrdersV3Api.cumulativeQuantity",
        )?
        .unwrap_or(Decimal::ZERO)
        .into(),
        average_price,
        status: order_status(body.status)?,
        update_time_ms: header
            .send_time
            .or(header.create_time)
            .unwrap_or(body.create_time)
            .try_into()
            .map_err(|_| Error::InvalidNumber {
                context: "PrivateOrdersV3Api.createTime",
            })?,
    })
}

/// `PrivateDealsV3Api` (306) as a [`Fill`].
///
/// Proto3 JSON of a sample (`mexc_pb_private_deals_example_2026.json`):
/// `{"price":"3.6962","quantity":"1","amount":"3.6962","tradeType":2,
/// "tradeId":"505979017439002624X1","orderId":"C02__505979017439002624115",
/// "feeAmount":"0.0003998377369698171","feeCurrency":"MX","time":"1736417034280"}`
///
/// Fees can carry more than the 18 decimals [`Decimal`] holds (the sample has 19); they
/// are rounded toward zero to 18 decimals, never refused.
///
/// # Errors
/// A decoding [`Error`].
pub fn fill(header: &PushHeader<'_>, body: &pb::PrivateDealsV3Api) -> Result<Fill, Error> {
    Ok(Fill {
        venue: Venue::MexcSpot,
        symbol: header.symbol()?,
        trade_id: TradeId::new(&body.trade_id).map_err(|source| Error::InvalidIdentifier {
            context: "PrivateDealsV3Api.tradeId",
            source,
        })?,
        order_id: order_id_from(&body.order_id, "PrivateDealsV3Api.orderId")?,
        client_order_id: (!body.client_order_id.is_empty())
            .then(|| client_order_id_from(&body.client_order_id, "PrivateDealsV3Api.clientOrderId"))
            .transpose()?,
        side: required_side(body.trade_type, "PrivateDealsV3Api.tradeType")?,
        price: parse_price(body.price.as_bytes(), "PrivateDealsV3Api.price")?,
        quantity: parse_quantity(body.quantity.as_bytes(), "PrivateDealsV3Api.quantity")?,
        fee: truncated_decimal(&body.fee_amount, "PrivateDealsV3Api.feeAmount")?
            .unwrap_or(Decimal::ZERO),
        fee_asset: (!body.fee_currency.is_empty())
            .then(|| asset(&body.fee_currency, "PrivateDealsV3Api.feeCurrency"))
            .transpose()?,
        role: Some(if body.is_maker {
            LiquidityRole::Maker
        } else {
            LiquidityRole::Taker
        }),
        time_ms: non_negative(body.time, "PrivateDealsV3Api.time")?,
    })
}

/// `PrivateAccountV3Api` (307) as a [`Balance`]: `balanceAmount` is available,
/// `frozenAmount` locked, both after the change.
///
/// Proto3 JSON of a sample (`mexc_pb_private_account_example.json`):
/// `{"vcoinName":"USDT","coinId":"128f589271cb4951b03e71e6323eb7be",
/// "balanceAmount":"21.94210356004384","balanceAmountChange":"10","frozenAmount":"0",
/// "frozenAmountChange":"0","type":"CONTRACT_TRANSFER","time":"1736416910000"}`
///
/// # Errors
/// A decoding [`Error`].
pub fn balance(body: &pb::PrivateAccountV3Api) -> Result<Balance, Error> {
    Ok(Balance {
        venue: Venue::MexcSpot,
        asset: asset(&body.vcoin_name, "PrivateAccountV3Api.vcoinName")?,
        available: truncated_decimal(&body.balance_amount, "PrivateAccountV3Api.balanceAmount")?
            .unwrap_or(Decimal::ZERO),
        locked: truncated_decimal(&body.frozen_amount, "PrivateAccountV3Api.frozenAmount")?
            .unwrap_or(Decimal::ZERO),
        time_ms: non_negative(body.time, "PrivateAccountV3Api.time")?,
    })
}

/// A top-N book from `PublicLimitDepthsV3Api` (303): load it with
/// [`market_types::OrderBook::load_snapshot`]; no sync is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitDepth {
    /// `version` of the book.
    pub version: u64,
    /// Bids, best first.
    pub bids: Vec<Level>,
    /// Asks, best first.
    pub asks: Vec<Level>,
}

/// Parses `PublicLimitDepthsV3Api` (303).
///
/// Proto3 JSON of a sample (`mexc_pb_limit_depth_example.json`):
/// `{"asks":[{"price":"93180.18","quantity":"0.21976424"}],"bids":[{"price":"93179.98",
/// "quantity":"2.82651000"}],"eventType":"spot@public.limit.depth.v3.api.pb",
/// "version":"36913565463"}`
///
/// # Errors
/// A decoding [`Error`].
pub fn limit_depth(body: &pb::PublicLimitDepthsV3Api) -> Result<LimitDepth, Error> {
    let levels = |items: &[pb::PublicLimitDepthV3ApiItem]| {
        items
            .iter()
            .map(|item| {
                Ok(Level::new(
                    parse_price(item.price.as_bytes(), "PublicLimitDepthV3ApiItem.price")?,
                    parse_quantity(
                        item.quantity.as_bytes(),
                        "PublicLimitDepthV3ApiItem.quantity",
                    )?,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()
    };
    Ok(LimitDepth {
        version: parse_u64(body.version.as_bytes(), "PublicLimitDepthsV3Api.version")?,
        bids: levels(&body.bids)?,
        asks: levels(&body.asks)?,
    })
}

/// The tickers of a `PublicBookTickerBatchV3Api` (311), each for the wrapper's symbol,
/// with the batch's `version` as update id when sent.
///
/// # Errors
/// A decoding [`Error`].
pub fn book_ticker_batch(
    header: &PushHeader<'_>,
    body: &pb::PublicBookTickerBatchV3Api,
) -> Result<Vec<BookTicker>, Error> {
    let symbol = header.symbol()?;
    let update_id = if body.version.is_empty() {
        None
    } else {
        Some(parse_u64(
            body.version.as_bytes(),
            "PublicBookTickerBatchV3Api.version",
        )?)
    };
    body.items
        .iter()
        .map(|item| {
            Ok(BookTicker {
                venue: Venue::MexcSpot,
                symbol,
                bid: side_level(
                    &item.bid_price,
                    &item.bid_quantity,
                    "PublicBookTickerV3Api.bid",
                )?,
                ask: side_level(
                    &item.ask_price,
                    &item.ask_quantity,
                    "PublicBookTickerV3Api.ask",
                )?,
                update_id,
                exchange_time_ms: header.event_time_ms(),
            })
        })
        .collect()
}

fn side_level(price: &str, quantity: &str, context: &'static str) -> Result<Option<Level>, Error> {
    if price.is_empty() && quantity.is_empty() {
        return Ok(None);
    }
    Ok(Some(Level::new(
        parse_price(price.as_bytes(), context)?,
        parse_quantity(quantity.as_bytes(), context)?,
    )))
}

fn required_side(value: i32, context: &'static str) -> Result<Side, Error> {
    trade_side(value, context)?.ok_or(Error::UnknownEnumValue { context, value: 0 })
}

fn order_type(value: i32) -> Result<OrderType, Error> {
    Ok(match value {
        1 => OrderType::Limit,
        2 => OrderType::PostOnly,
        3 => OrderType::ImmediateOrCancel,
        4 => OrderType::FillOrKill,
        5 => OrderType::Market,
        // 100 is stop-loss/take-profit; anything new is kept rather than refused.
        v if v > 0 => OrderType::Other,
        v => {
            return Err(Error::UnknownEnumValue {
                context: "PrivateOrdersV3Api.orderType",
                value: i64::from(v),
            });
        }
    })
}

fn order_status(value: i32) -> Result<OrderStatus, Error> {
    Ok(match value {
        1 => OrderStatus::New,
        2 => OrderStatus::Filled,
        3 => OrderStatus::PartiallyFilled,
        4 => OrderStatus::Canceled,
        5 => OrderStatus::PartiallyCanceled,
        v => {
            return Err(Error::UnknownEnumValue {
                context: "PrivateOrdersV3Api.status",
                value: i64::from(v),
            });
        }
    })
}

fn optional_decimal(text: &str, context: &'static str) -> Result<Option<Decimal>, Error> {
    if text.is_empty() {
        return Ok(None);
    }
    Decimal::parse(text)
        .map(Some)
        .map_err(|source| Error::InvalidDecimal { context, source })
}

/// A decimal rounded toward zero to [`Decimal::MAX_SCALE`] places: balances and fees are
/// computed values with more digits than prices or quantities ever have.
fn truncated_decimal(text: &str, context: &'static str) -> Result<Option<Decimal>, Error> {
    if text.is_empty() {
        return Ok(None);
    }
    let keep = match text.find('.') {
        Some(dot) => text
            .get(..dot + 1 + usize::from(Decimal::MAX_SCALE))
            .unwrap_or(text),
        None => text,
    };
    Decimal::parse(keep)
        .map(Some)
        .map_err(|source| Error::InvalidDecimal { context, source })
}

fn non_negative(value: i64, context: &'static str) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::InvalidNumber { context })
}

fn order_id_from(text: &str, context: &'static str) -> Result<OrderId, Error> {
    OrderId::new(text).map_err(|source| Error::InvalidIdentifier { context, source })
}

fn client_order_id_from(text: &str, context: &'static str) -> Result<ClientOrderId, Error> {
    ClientOrderId::new(text).map_err(|source| Error::InvalidIdentifier { context, source })
}

fn asset(text: &str, context: &'static str) -> Result<Asset, Error> {
    Asset::new(text).map_err(|source| Error::InvalidIdentifier { context, source })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_eighteen_decimals() {
        assert_eq!(
            truncated_decimal("0.0003998377369698171", "f").unwrap(),
            Some(Decimal::parse("0.000399837736969817").unwrap())
        );
        assert_eq!(
            truncated_decimal("21.94210356004384", "f").unwrap(),
            Some(Decimal::parse("21.94210356004384").unwrap())
        );
        assert_eq!(truncated_decimal("", "f").unwrap(), None);
        assert!(truncated_decimal("1.x", "f").is_err());
        assert_eq!(
            truncated_decimal("10", "f").unwrap(),
            Some(Decimal::from(10))
        );
    }

    #[test]
    fn enums() {
        assert_eq!(order_type(100).unwrap(), OrderType::Other);
        assert!(order_type(0).is_err());
        assert!(order_status(6).is_err());
        assert_eq!(order_status(5).unwrap(), OrderStatus::PartiallyCanceled);
        assert!(required_side(0, "s").is_err());
        assert!(required_side(3, "s").is_err());
    }
}
