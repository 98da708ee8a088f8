//! REST reconciliation of the private handlers: the signed APIv4 calls and typed decoding
//! of their answers into the normalized events (spec §3.5 REST signing; Gate REST v4
//! `GET /spot/open_orders`, `/spot/accounts`, `/spot/orders?status=finished`,
//! `/spot/orders/{id}`, `/spot/my_trades`, `/futures/usdt/orders`,
//! `/futures/usdt/orders/{id}`, `/futures/usdt/positions`, `/futures/usdt/accounts`,
//! `/futures/usdt/my_trades_timerange`).
//!
//! These run once per reconnect, so they decode with serde into borrowed structs rather
//! than with the hot-path scanner; values Gate sends as strings or numbers are both read
//! exactly.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use market_types::{
    Asset, Balance, ClientOrderId, Decimal, Fill, LiquidityRole, Order, OrderId, OrderStatus,
    OrderType, Position, Price, Quantity, Side, Symbol, TradeId,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use ws_session::{RestFailure, RestMethod, RestReply, RestRequest, RestRequestId, Timestamp};

use crate::auth::rest_signature;
use crate::channel::Market;
use crate::config::Credentials;

use super::config::GateioHandlerConfig;

/// Signs APIv4 GET requests: `KEY`, `Timestamp`, `SIGN` over the path from the signature
/// prefix on.
#[derive(Debug, Clone)]
pub(crate) struct RestSigner {
    credentials: Credentials,
    base: String,
    prefix: String,
}

impl RestSigner {
    pub(crate) fn new(config: &GateioHandlerConfig) -> Option<RestSigner> {
        Some(RestSigner {
            credentials: config.credentials.clone()?,
            base: config.endpoints.rest.clone(),
            prefix: config.signature_prefix().to_string(),
        })
    }

    /// `GET {base}{path}?{query}`, signed.
    pub(crate) fn get(
        &self,
        id: RestRequestId,
        path: &str,
        query: &str,
        now: Timestamp,
    ) -> RestRequest {
        let timestamp = now.unix_seconds();
        let signed_path = format!("{}{path}", self.prefix);
        let sign = rest_signature(
            &self.credentials,
            RestMethod::Get,
            &signed_path,
            query,
            b"",
            timestamp,
        );
        let mut url = format!("{}{path}", self.base);
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        RestRequest {
            id,
            method: RestMethod::Get,
            url,
            headers: vec![
                ("Accept".to_string(), "application/json".to_string()),
                ("KEY".to_string(), self.credentials.api_key().to_string()),
                ("Timestamp".to_string(), timestamp.to_string()),
                ("SIGN".to_string(), sign),
            ],
            body: Bytes::new(),
        }
    }
}

/// One reconciliation call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// Every open order.
    OpenOrders,
    /// Orders finished since the disconnect (one page, newest first), to learn the end of
    /// orders opened and closed while disconnected.
    FinishedOrders {
        /// The window, seconds since the Unix epoch (spot filters on the finish time;
        /// futures lists every finished order and the handler filters).
        window: Window,
        /// Page number from 0.
        page: u32,
    },
    /// One order that left the open orders while disconnected.
    Order {
        /// The order.
        id: OrderId,
        /// Its pair (spot wants it in the query).
        symbol: Symbol,
    },
    /// Balances.
    Balances,
    /// Positions (futures).
    Positions,
    /// Own trades of the window (one page, newest first), for fills made while
    /// disconnected.
    Fills {
        /// The window, seconds since the Unix epoch.
        window: Window,
        /// Page number from 0.
        page: u32,
    },
}

/// A time window of a history query, whole seconds, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) from_s: u64,
    pub(crate) to_s: u64,
}

impl Call {
    /// Path after the REST base, and the query.
    pub(crate) fn target(self, market: Market) -> (String, String) {
        match (market, self) {
            (Market::Spot, Call::OpenOrders) => ("/spot/open_orders".into(), "limit=100".into()),
            (Market::Futures, Call::OpenOrders) => {
                ("/futures/usdt/orders".into(), "status=open".into())
            }
            (Market::Spot, Call::FinishedOrders { window, page }) => (
                "/spot/orders".into(),
                format!(
                    "status=finished&from={}&to={}&limit={ORDERS_PAGE}{}",
                    window.from_s,
                    window.to_s,
                    page_param(page)
                ),
            ),
            (Market::Futures, Call::FinishedOrders { page, .. }) => (
                "/futures/usdt/orders".into(),
                format!(
                    "status=finished&limit={ORDERS_PAGE}{}",
                    offset_param(page, ORDERS_PAGE)
                ),
            ),
            (Market::Spot, Call::Order { id, symbol }) => (
                format!("/spot/orders/{id}"),
                format!("currency_pair={symbol}"),
            ),
            (Market::Futures, Call::Order { id, .. }) => {
                (format!("/futures/usdt/orders/{id}"), String::new())
            }
            (Market::Spot, Call::Balances | Call::Positions) => {
                ("/spot/accounts".into(), String::new())
            }
            (Market::Futures, Call::Balances) => ("/futures/usdt/accounts".into(), String::new()),
            (Market::Futures, Call::Positions) => ("/futures/usdt/positions".into(), String::new()),
            (Market::Spot, Call::Fills { window, page }) => (
                "/spot/my_trades".into(),
                format!(
                    "limit={FILLS_PAGE}&from={}&to={}{}",
                    window.from_s,
                    window.to_s,
                    page_param(page)
                ),
            ),
            (Market::Futures, Call::Fills { window, page }) => (
                "/futures/usdt/my_trades_timerange".into(),
                format!(
                    "limit={FILLS_PAGE}&from={}&to={}{}",
                    window.from_s,
                    window.to_s,
                    offset_param(page, FILLS_PAGE)
                ),
            ),
        }
    }

    /// The next page of a paged call.
    pub(crate) fn next_page(self) -> Option<Call> {
        match self {
            Call::FinishedOrders { window, page } => Some(Call::FinishedOrders {
                window,
                page: page + 1,
            }),
            Call::Fills { window, page } => Some(Call::Fills {
                window,
                page: page + 1,
            }),
            _ => None,
        }
    }
}

/// Spot pages from 1; the first page needs no parameter.
fn page_param(page: u32) -> String {
    if page == 0 {
        String::new()
    } else {
        format!("&page={}", u64::from(page) + 1)
    }
}

/// Futures pages by offset.
fn offset_param(page: u32, size: usize) -> String {
    if page == 0 {
        String::new()
    } else {
        format!("&offset={}", u64::from(page).saturating_mul(size as u64))
    }
}

/// An order as REST shows it, and whether its `update_time_ms` is the venue's exact time
/// of the change (futures REST does not say when an open order last changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RestOrder {
    pub(crate) order: Order,
    pub(crate) exact_time: bool,
}

/// Why a REST answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RestError {
    /// No HTTP answer (connect, transport, overload).
    Transport(String),
    /// An HTTP error with Gate's `label` and `message` when given.
    Status {
        status: u16,
        label: String,
        message: String,
    },
    /// A 200 whose body did not decode.
    Decode(String),
}

impl RestError {
    /// Rejected credentials: retrying cannot help.
    pub(crate) fn is_fatal(&self) -> bool {
        match self {
            RestError::Status { status, label, .. } => {
                matches!(*status, 401 | 403)
                    || matches!(
                        label.as_str(),
                        "INVALID_KEY" | "INVALID_SIGNATURE" | "FORBIDDEN" | "REQUEST_EXPIRED"
                    )
            }
            _ => false,
        }
    }

    /// The venue does not serve this endpoint, or the object is unknown
    /// (`404`, or Gate's `ORDER_NOT_FOUND` label whatever the status).
    pub(crate) fn is_not_found(&self) -> bool {
        match self {
            RestError::Status { status, label, .. } => {
                *status == 404 || matches!(label.as_str(), "ORDER_NOT_FOUND" | "NOT_FOUND")
            }
            _ => false,
        }
    }
}

impl fmt::Display for RestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestError::Transport(detail) => write!(f, "no answer: {detail}"),
            RestError::Status {
                status,
                label,
                message,
            } => write!(f, "HTTP {status} {label} ({message})"),
            RestError::Decode(detail) => write!(f, "undecodable answer: {detail}"),
        }
    }
}

/// The body of a 200 answer, or what went wrong.
pub(crate) fn body(result: &Result<RestReply, RestFailure>) -> Result<&[u8], RestError> {
    let reply = result
        .as_ref()
        .map_err(|failure| RestError::Transport(format!("{failure:?}")))?;
    if reply.status == 200 {
        return Ok(&reply.body);
    }
    #[derive(Deserialize)]
    struct GateError<'a> {
        #[serde(borrow, default)]
        label: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        message: Option<Cow<'a, str>>,
    }
    let parsed: Option<GateError<'_>> = serde_json::from_slice(&reply.body).ok();
    let (label, message) = parsed.map_or((None, None), |e| (e.label, e.message));
    Err(RestError::Status {
        status: reply.status,
        label: label.map(Cow::into_owned).unwrap_or_default(),
        message: message.map(Cow::into_owned).unwrap_or_default(),
    })
}

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

/// A decimal Gate sends as a string, an integer or a float (floats are read from their
/// shortest text, which is what the venue printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Num(Decimal);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Num, D::Error> {
        deserializer.deserialize_any(NumVisitor)
    }
}

struct NumVisitor;

impl Visitor<'_> for NumVisitor {
    type Value = Num;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal as a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
        if v.is_empty() {
            return Ok(Num(Decimal::ZERO));
        }
        Decimal::parse(v).map(Num).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Decimal::from_i64(v).map(Num).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        let v = i64::try_from(v).map_err(E::custom)?;
        Decimal::from_i64(v).map(Num).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        Decimal::parse(&format!("{v}")).map(Num).map_err(E::custom)
    }
}

/// Seconds (integer, float or text) as milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seconds(u64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Seconds, D::Error> {
        deserializer
            .deserialize_any(TimeVisitor { scale: 1000.0 })
            .map(Seconds)
    }
}

/// Milliseconds (integer, or text that may carry a fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Millis(u64);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Millis, D::Error> {
        deserializer
            .deserialize_any(TimeVisitor { scale: 1.0 })
            .map(Millis)
    }
}

struct TimeVisitor {
    /// Milliseconds per unit of the value.
    scale: f64,
}

impl Visitor<'_> for TimeVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time as a number or a numeric string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(if self.scale > 1.0 {
            v.saturating_mul(1000)
        } else {
            v
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        self.visit_u64(u64::try_from(v).map_err(E::custom)?)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        let ms = (v * self.scale).round();
        if ms.is_finite() && ms >= 0.0 && ms < u64::MAX as f64 {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "range checked just above"
            )]
            Ok(ms as u64)
        } else {
            Err(E::custom("time out of range"))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        match v.parse::<u64>() {
            Ok(whole) => self.visit_u64(whole),
            Err(_) => self.visit_f64(v.parse::<f64>().map_err(E::custom)?),
        }
    }
}

/// Rows of one finished-orders page.
pub(crate) const ORDERS_PAGE: usize = 100;
/// Rows of one trade-history page (Gate's largest `limit`).
pub(crate) const FILLS_PAGE: usize = 1000;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn spot_open_orders_are_grouped_per_pair() {
        let body = br#"[{"currency_pair":"BTC_USDT","total":1,"orders":[{"id":"700000001",
            "text":"t-sim700000001","create_time":"1700000000","update_time":"1700000001",
            "create_time_ms":1700000000123,"update_time_ms":1700000001456,"status":"open",
            "currency_pair":"BTC_USDT","type":"limit","account":"spot","side":"buy",
            "amount":"2","price":"100.5","time_in_force":"gtc","left":"1.5",
            "filled_amount":"0.5","avg_deal_price":"100.5","finish_as":"open"}]}]"#;
        let orders = parse_orders(Market::Spot, body).unwrap();
        assert_eq!(orders.len(), 1);
        let RestOrder { order, exact_time } = orders[0];
        assert!(exact_time);
        assert_eq!(order.order_id.as_str(), "700000001");
        assert_eq!(order.filled.value(), d("0.5"));
        assert_eq!(order.status, OrderStatus::PartiallyFilled);
        assert_eq!(order.update_time_ms, 1_700_000_001_456);
        assert_eq!(
            order.client_order_id.map(|c| c.to_string()),
            Some("t-sim700000001".into())
        );
    }

    #[test]
    fn futures_orders_know_when_their_time_is_exact() {
        let body = br#"[{"id":700000002,"contract":"BTC_USDT","create_time":1700000000.123,
            "finish_time":null,"finish_as":null,"status":"open","size":-10,"price":"100.5",
            "left":-4,"fill_price":"100.5","text":"t-x","tif":"gtc"},
            {"id":700000003,"contract":"BTC_USDT","create_time":1700000000.5,
            "finish_time":1700000002.25,"finish_as":"cancelled","status":"finished","size":3,
            "price":"99","left":3,"fill_price":"0","tif":"gtc"}]"#;
        let orders = parse_orders(Market::Futures, body).unwrap();
        let open = orders[0];
        assert!(
            !open.exact_time,
            "partly filled and open: the last change is unknown"
        );
        assert_eq!(open.order.side, Side::Sell);
        assert_eq!(open.order.filled.value(), d("6"));
        assert_eq!(open.order.status, OrderStatus::PartiallyFilled);
        let done = orders[1];
        assert!(done.exact_time);
        assert_eq!(done.order.update_time_ms, 1_700_000_002_250);
        assert_eq!(done.order.status, OrderStatus::Canceled);
    }

    #[test]
    fn balances_positions_and_fills() {
        let spot = br#"[{"currency":"USDT","available":"999800","locked":"200","update_id":1}]"#;
        let balances = parse_balances(Market::Spot, spot, 5).unwrap();
        assert_eq!(balances[0].asset.as_str(), "USDT");
        assert_eq!(balances[0].locked, d("200"));
        let futures = br#"{"user":1,"currency":"usdt","total":"999999.8","available":"1"}"#;
        let balances = parse_balances(Market::Futures, futures, 5).unwrap();
        assert_eq!(balances[0].asset.as_str(), "USDT");
        assert_eq!(balances[0].available, d("999999.8"));
        let positions = br#"[{"contract":"BTC_USDT","size":-10,"entry_price":"100.5",
            "leverage":"0","liq_price":"0","realised_pnl":"0","update_time":1700000000}]"#;
        let positions = parse_positions(positions, 5).unwrap();
        assert_eq!(positions[0].size, d("-10"));
        assert_eq!(positions[0].entry_price.map(Price::value), Some(d("100.5")));
        assert_eq!(positions[0].liquidation_price, None);
        assert_eq!(positions[0].time_ms, 1_700_000_000_000);
        let fills = br#"[{"id":"5736713","create_time":"1605176741","create_time_ms":
            "1605176741123.456","currency_pair":"BTC_USDT","side":"sell","role":"taker",
            "amount":"1.0","price":"10000","order_id":"30784428","fee":"0.002",
            "fee_currency":"BTC","text":"apiv4"}]"#;
        let fills = parse_fills(Market::Spot, fills).unwrap();
        assert_eq!(fills[0].trade_id.as_str(), "5736713");
        assert_eq!(fills[0].time_ms, 1_605_176_741_123);
        assert_eq!(fills[0].client_order_id, None);
        // `my_trades_timerange` names the fill `trade_id` (a string); `my_trades` `id`.
        let fills = br#"[{"trade_id":"3335259","create_time":1628736848.321,
            "contract":"BTC_USDT","order_id":"4872460","size":-1,"close_size":0,
            "price":"40000.4","role":"maker","text":"api","fee":"0.0009290592",
            "point_fee":"0"},{"id":3335260,"create_time":1628736849,"contract":"BTC_USDT",
            "order_id":"4872460","size":2,"price":"40000.4","role":"taker","fee":"0.1"}]"#;
        let fills = parse_fills(Market::Futures, fills).unwrap();
        assert_eq!(fills[0].trade_id.as_str(), "3335259");
        assert_eq!(fills[0].side, Side::Sell);
        assert_eq!(fills[0].time_ms, 1_628_736_848_321);
        assert_eq!(fills[1].trade_id.as_str(), "3335260");
        assert_eq!(fills[1].role, Some(LiquidityRole::Taker));
    }

    #[test]
    fn finished_lists_and_single_orders() {
        let spot = br#"[{"id":"700000004","text":"t-sim700000004","currency_pair":"BTC_USDT",
            "side":"buy","amount":"1","price":"90","left":"0.75","filled_amount":"0.25",
            "update_time_ms":1700000002000,"status":"cancelled","finish_as":"cancelled"}]"#;
        let orders = parse_order_list(Market::Spot, spot).unwrap();
        assert_eq!(orders[0].order.status, OrderStatus::PartiallyCanceled);
        assert_eq!(orders[0].order.filled.value(), d("0.25"));
        let one = br#"{"id":"700000005","currency_pair":"ETH_USDT","side":"sell","amount":"1",
            "price":"50","left":"0","update_time_ms":1700000003000,"status":"closed",
            "finish_as":"filled"}"#;
        let order = parse_order(Market::Spot, one).unwrap();
        assert_eq!(order.order.status, OrderStatus::Filled);
        assert_eq!(order.order.update_time_ms, 1_700_000_003_000);
        let futures = br#"{"id":700000006,"contract":"BTC_USDT","create_time":1700000000.5,
            "finish_time":1700000004.25,"finish_as":"filled","status":"finished","size":-4,
            "price":"120","left":0,"fill_price":"120","tif":"gtc"}"#;
        let order = parse_order(Market::Futures, futures).unwrap();
        assert!(order.exact_time);
        assert_eq!(order.order.status, OrderStatus::Filled);
        assert_eq!(order.order.filled.value(), d("4"));
        assert_eq!(order.order.update_time_ms, 1_700_000_004_250);
    }

    #[test]
    fn history_calls_page_through_their_windows() {
        let window = Window {
            from_s: 1_700_000_000,
            to_s: 1_700_000_060,
        };
        let fills = Call::Fills { window, page: 0 };
        assert_eq!(
            fills.target(Market::Spot),
            (
                "/spot/my_trades".into(),
                "limit=1000&from=1700000000&to=1700000060".into()
            )
        );
        let next = fills.next_page().unwrap();
        assert_eq!(
            next.target(Market::Spot).1,
            "limit=1000&from=1700000000&to=1700000060&page=2"
        );
        assert_eq!(
            next.target(Market::Futures),
            (
                "/futures/usdt/my_trades_timerange".into(),
                "limit=1000&from=1700000000&to=1700000060&offset=1000".into()
            )
        );
        let finished = Call::FinishedOrders { window, page: 1 };
        assert_eq!(
            finished.target(Market::Spot).1,
            "status=finished&from=1700000000&to=1700000060&limit=100&page=2"
        );
        assert_eq!(
            finished.target(Market::Futures).1,
            "status=finished&limit=100&offset=100"
        );
        assert_eq!(Call::OpenOrders.next_page(), None);
    }

    #[test]
    fn errors_carry_gate_labels() {
        let reply = Ok(RestReply {
            status: 401,
            retry_after: None,
            body: Bytes::from_static(br#"{"label":"INVALID_KEY","message":"Invalid key"}"#),
        });
        let error = body(&reply).unwrap_err();
        assert!(error.is_fatal());
        assert_eq!(error.to_string(), "HTTP 401 INVALID_KEY (Invalid key)");
        let missing = Ok(RestReply {
            status: 404,
            retry_after: None,
            body: Bytes::from_static(br#"{"label":"NOT_FOUND","message":"no"}"#),
        });
        let error = body(&missing).unwrap_err();
        assert!(error.is_not_found() && !error.is_fatal());
        let unknown_order = Ok(RestReply {
            status: 400,
            retry_after: None,
            body: Bytes::from_static(br#"{"label":"ORDER_NOT_FOUND","message":"no"}"#),
        });
        assert!(body(&unknown_order).unwrap_err().is_not_found());
        assert!(!body(&Err(RestFailure::Overloaded)).unwrap_err().is_fatal());
        assert_eq!(upper_asset(Asset::new("usdt").unwrap()).as_str(), "USDT");
    }
}
