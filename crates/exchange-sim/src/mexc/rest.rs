//! The REST endpoints (§1.8–§1.10). Time comes in as arguments.

use std::borrow::Cow;
use std::time::Instant;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use market_types::{Side, Symbol};
use serde::Serialize;
use serde_json::json;

use crate::mexc::account::{DealPush, OrderTruth};
use crate::mexc::auth::{self, Params};
use crate::mexc::venue::MexcVenue;
use crate::venue::{HttpRequest, json_response};

/// Answers one REST request below the mount prefix.
pub(crate) fn handle(
    venue: &MexcVenue,
    request: &HttpRequest,
    now_ms: i64,
    now: Instant,
) -> Response<Bytes> {
    let method = &request.method;
    match request.path.as_str() {
        "/api/v3/ping" if method == Method::GET => ok("{}".to_owned()),
        "/api/v3/time" if method == Method::GET => ok(json!({ "serverTime": now_ms }).to_string()),
        "/api/v3/depth" if method == Method::GET => depth(venue, request),
        "/api/v3/userDataStream" => signed(venue, request, now_ms, |params| {
            listen_key(venue, method, &params, now_ms, now)
        }),
        "/api/v3/openOrders" if method == Method::GET => signed(venue, request, now_ms, |params| {
            answer(open_orders(venue, &params))
        }),
        "/api/v3/account" if method == Method::GET => {
            signed(venue, request, now_ms, |_| account(venue))
        }
        "/api/v3/order" if method == Method::GET => signed(venue, request, now_ms, |params| {
            answer(query_order(venue, &params))
        }),
        "/api/v3/allOrders" if method == Method::GET => signed(venue, request, now_ms, |params| {
            answer(all_orders(venue, &params))
        }),
        "/api/v3/myTrades" if method == Method::GET => signed(venue, request, now_ms, |params| {
            answer(my_trades(venue, &params))
        }),
        "/api/v3/ping" | "/api/v3/time" | "/api/v3/depth" | "/api/v3/openOrders"
        | "/api/v3/account" | "/api/v3/order" | "/api/v3/allOrders" | "/api/v3/myTrades" => {
            error(StatusCode::METHOD_NOT_ALLOWED, -1, "Method not allowed")
        }
        _ => error(StatusCode::NOT_FOUND, 404, "Not Found"),
    }
}

/// `GET /api/v3/depth?symbol=S&limit=L` (limit default 100, at most 5000).
fn depth(venue: &MexcVenue, request: &HttpRequest) -> Response<Bytes> {
    let params = Params::of(request);
    let Some(symbol) = params.get("symbol").and_then(|s| Symbol::new(s).ok()) else {
        return invalid_symbol();
    };
    let limit = match params.get("limit").map(str::parse::<usize>) {
        None => DEFAULT_DEPTH,
        Some(Ok(limit)) if (1..=MAX_DEPTH).contains(&limit) => limit,
        Some(_) => return error(StatusCode::BAD_REQUEST, -1100, "Illegal parameter 'limit'."),
    };
    let mut state = venue.lock();
    let state = &mut *state;
    let Some(book) = state.books.get(&symbol) else {
        return invalid_symbol();
    };
    state.stats.snapshots_served += 1;
    let stale = state.stale.get_mut(&symbol).filter(|s| s.remaining > 0);
    let (version, bids, asks) = match stale {
        Some(snapshot) => {
            snapshot.remaining -= 1;
            state.stats.stale_snapshots_served += 1;
            (
                snapshot.version,
                snapshot.bids.clone(),
                snapshot.asks.clone(),
            )
        }
        None => {
            let (bids, asks) = book.top(usize::MAX);
            (book.version(), bids, asks)
        }
    };
    let levels = |levels: &[(i64, i64)]| -> Vec<[String; 2]> {
        levels
            .iter()
            .take(limit)
            .map(|&(price, size)| [book.price_text(price), book.quantity_text(size)])
            .collect()
    };
    encode(&DepthSnapshot {
        last_update_id: version,
        bids: levels(&bids),
        asks: levels(&asks),
    })
}

/// `POST`/`PUT`/`DELETE`/`GET /api/v3/userDataStream`.
fn listen_key(
    venue: &MexcVenue,
    method: &Method,
    params: &Params<'_>,
    now_ms: i64,
    now: Instant,
) -> Response<Bytes> {
    let lifetime = venue.config.listen_key_lifetime;
    let secret = &venue.config.api_secret;
    match *method {
        Method::POST => {
            let key = venue.lock().keys.create(secret, now_ms, now, lifetime);
            ok(json!({ "listenKey": key }).to_string())
        }
        Method::GET => {
            let keys = venue.lock().keys.live(now);
            ok(json!({ "listenKey": keys }).to_string())
        }
        Method::PUT | Method::DELETE => {
            let Some(key) = params.get("listenKey") else {
                return unknown_listen_key();
            };
            let done = if *method == Method::PUT {
                venue.lock().keys.keep_alive(key, now, lifetime)
            } else {
                let deleted = venue.lock().keys.delete(key, now);
                if deleted {
                    venue.revoke(key);
                }
                deleted
            };
            if done {
                ok(json!({ "listenKey": key }).to_string())
            } else {
                unknown_listen_key()
            }
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, -1, "Method not allowed"),
    }
}

/// `GET /api/v3/openOrders?symbol=S`, oldest first.
fn open_orders(venue: &MexcVenue, params: &Params<'_>) -> Result<Response<Bytes>, Refusal> {
    let state = venue.lock();
    let symbol = listed_symbol(&state, params)?;
    let orders: Vec<RestOrder> = state
        .account
        .open_orders(Some(symbol))
        .iter()
        .map(rest_order)
        .collect();
    Ok(encode(&orders))
}

/// `GET /api/v3/order?symbol=S&orderId=ID` (or `origClientOrderId`): one order, open or
/// not, in the `openOrders` shape; `-2013 Order does not exist.` otherwise.
fn query_order(venue: &MexcVenue, params: &Params<'_>) -> Result<Response<Bytes>, Refusal> {
    let state = venue.lock();
    let symbol = listed_symbol(&state, params)?;
    // The venue gives out no client ids of its own, so `origClientOrderId` is the order id.
    let Some(order_id) = params
        .get("orderId")
        .or_else(|| params.get("origClientOrderId"))
    else {
        return Err(Refusal {
            code: -1102,
            msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
                .into(),
        });
    };
    match state.account.order(order_id) {
        Some(order) if order.symbol == symbol => Ok(encode(&rest_order(order))),
        _ => Err(Refusal {
            code: -2013,
            msg: "Order does not exist.".into(),
        }),
    }
}

/// `GET /api/v3/allOrders?symbol=S&startTime=T&endTime=T&limit=L`: the symbol's orders,
/// open or not, oldest first by creation time. With `startTime` the first `limit` from
/// there, otherwise the latest `limit` (default 500, at most 1000).
fn all_orders(venue: &MexcVenue, params: &Params<'_>) -> Result<Response<Bytes>, Refusal> {
    let state = venue.lock();
    let symbol = listed_symbol(&state, params)?;
    let window = Window::of(params, DEFAULT_ORDERS_LIMIT, MAX_ORDERS_LIMIT)?;
    let orders = state.account.all_orders(symbol);
    let chosen = window.select(&orders, |o| o.create_time);
    Ok(encode(
        &chosen.iter().map(|o| rest_order(o)).collect::<Vec<_>>(),
    ))
}

/// `GET /api/v3/myTrades?symbol=S&orderId=ID&startTime=T&endTime=T&limit=L`: the user's
/// fills of one symbol, oldest first, with the ids and times of their `privateDeals`
/// pushes. With `startTime` the first `limit` from there, otherwise the latest `limit`
/// (default 100, at most 100).
fn my_trades(venue: &MexcVenue, params: &Params<'_>) -> Result<Response<Bytes>, Refusal> {
    let state = venue.lock();
    let symbol = listed_symbol(&state, params)?;
    let window = Window::of(params, DEFAULT_TRADES_LIMIT, MAX_TRADES_LIMIT)?;
    let order_id = params.get("orderId");
    let deals: Vec<&DealPush> = state
        .account
        .deals()
        .iter()
        .filter(|d| d.symbol == symbol && order_id.is_none_or(|id| id == d.order_id))
        .collect();
    let Some(spec) = state.books.get(&symbol).map(|book| &book.spec) else {
        return Err(Refusal::invalid_symbol());
    };
    let trades: Vec<RestTrade> = window
        .select(&deals, |d| d.time)
        .iter()
        .map(|deal| {
            let price = deal.price.value();
            let quantity = deal.quantity.value();
            RestTrade {
                symbol: deal.symbol.to_string(),
                id: deal.trade_id.clone(),
                order_id: deal.order_id.clone(),
                order_list_id: -1,
                price: price.to_string(),
                qty: quantity.to_string(),
                quote_qty: price.checked_mul(quantity).unwrap_or_default().to_string(),
                commission: "0".to_owned(),
                commission_asset: spec.quote.to_string(),
                time: deal.time,
                is_buyer: deal.side == Side::Buy,
                is_maker: true,
                is_best_match: true,
                is_self_trade: false,
                client_order_id: None,
            }
        })
        .collect();
    Ok(encode(&trades))
}

/// The mandatory `symbol`, which the venue must list.
fn listed_symbol(
    state: &crate::mexc::venue::State,
    params: &Params<'_>,
) -> Result<Symbol, Refusal> {
    let Some(symbol) = params.get("symbol").and_then(|s| Symbol::new(s).ok()) else {
        return Err(Refusal {
            code: -1102,
            msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.".into(),
        });
    };
    if state.books.contains_key(&symbol) {
        Ok(symbol)
    } else {
        Err(Refusal::invalid_symbol())
    }
}

/// Why a signed query is refused: HTTP 400 with MEXC's `{"code","msg"}`.
#[derive(Debug)]
struct Refusal {
    code: i64,
    msg: Cow<'static, str>,
}

impl Refusal {
    fn invalid_symbol() -> Refusal {
        Refusal {
            code: -1121,
            msg: "Invalid symbol.".into(),
        }
    }

    fn illegal_parameter(name: &str) -> Refusal {
        Refusal {
            code: -1100,
            msg: format!("Illegal characters found in parameter '{name}'.").into(),
        }
    }
}

fn answer(result: Result<Response<Bytes>, Refusal>) -> Response<Bytes> {
    result.unwrap_or_else(|refusal| error(StatusCode::BAD_REQUEST, refusal.code, &refusal.msg))
}

/// `startTime`/`endTime` (ms, inclusive) and `limit` of a history query.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Option<i64>,
    end: Option<i64>,
    limit: usize,
}

impl Window {
    fn of(params: &Params<'_>, default_limit: usize, max_limit: usize) -> Result<Window, Refusal> {
        let time = |name: &'static str| {
            params
                .get(name)
                .map(|text| {
                    text.parse::<i64>()
                        .map_err(|_| Refusal::illegal_parameter(name))
                })
                .transpose()
        };
        let limit = match params.get("limit").map(str::parse::<usize>) {
            None => default_limit,
            Some(Ok(limit)) if (1..=max_limit).contains(&limit) => limit,
            Some(_) => return Err(Refusal::illegal_parameter("limit")),
        };
        Ok(Window {
            start: time("startTime")?,
            end: time("endTime")?,
            limit,
        })
    }

    /// Of `items` (oldest first), those within the window: the first `limit` when a
    /// start is given, else the last `limit`.
    fn select<'a, T>(&self, items: &[&'a T], time: impl Fn(&T) -> i64) -> Vec<&'a T> {
        let inside: Vec<&'a T> = items
            .iter()
            .copied()
            .filter(|item| {
                let t = time(item);
                self.start.is_none_or(|start| t >= start) && self.end.is_none_or(|end| t <= end)
            })
            .collect();
        let skip = match self.start {
            Some(_) => 0,
            None => inside.len().saturating_sub(self.limit),
        };
        inside.into_iter().skip(skip).take(self.limit).collect()
    }
}

/// An order in the shape of `openOrders`, `order` and `allOrders`.
fn rest_order(order: &OrderTruth) -> RestOrder {
    let price = order.price.value();
    let executed = order.filled.value();
    RestOrder {
        symbol: order.symbol.to_string(),
        order_id: order.order_id.clone(),
        order_list_id: -1,
        client_order_id: String::new(),
        price: price.to_string(),
        orig_qty: order.quantity.to_string(),
        executed_qty: executed.to_string(),
        cummulative_quote_qty: price.checked_mul(executed).unwrap_or_default().to_string(),
        status: order.status.rest_name(),
        time_in_force: "",
        r#type: "LIMIT",
        side: match order.side {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        },
        stop_price: "",
        iceberg_qty: "",
        time: order.create_time,
        update_time: order.update_time,
        is_working: true,
        orig_quote_order_qty: price
            .checked_mul(order.quantity.value())
            .unwrap_or_default()
            .to_string(),
    }
}

/// `GET /api/v3/account`.
fn account(venue: &MexcVenue) -> Response<Bytes> {
    let balances = venue
        .lock()
        .account
        .balances()
        .into_iter()
        .map(|b| RestBalance {
            asset: b.asset.to_string(),
            free: b.free.to_string(),
            locked: b.locked.to_string(),
        })
        .collect();
    encode(&RestAccount {
        maker_commission: None,
        taker_commission: None,
        buyer_commission: None,
        seller_commission: None,
        can_trade: true,
        can_withdraw: true,
        can_deposit: true,
        update_time: None,
        account_type: "SPOT",
        balances,
        permissions: ["SPOT"],
    })
}

/// Runs `handler` if the request is properly SIGNED, else answers 400 with the code.
fn signed<'a>(
    venue: &MexcVenue,
    request: &'a HttpRequest,
    now_ms: i64,
    handler: impl FnOnce(Params<'a>) -> Response<Bytes>,
) -> Response<Bytes> {
    match auth::verify(
        request,
        &venue.config.api_key,
        &venue.config.api_secret,
        now_ms,
    ) {
        Ok(params) => handler(params),
        Err(refused) => {
            let (code, msg) = refused.code_and_msg();
            error(StatusCode::BAD_REQUEST, code, msg)
        }
    }
}

fn ok(body: String) -> Response<Bytes> {
    json_response(StatusCode::OK, body)
}

fn encode(body: &impl Serialize) -> Response<Bytes> {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_response(StatusCode::OK, bytes),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, -1, "encode"),
    }
}

fn error(status: StatusCode, code: i64, msg: &str) -> Response<Bytes> {
    // Members in the venue's order; json! would sort them.
    #[derive(Serialize)]
    struct Error<'a> {
        code: i64,
        msg: &'a str,
    }
    match serde_json::to_vec(&Error { code, msg }) {
        Ok(bytes) => json_response(status, bytes),
        Err(_) => json_response(status, r#"{"code":-1,"msg":"encode"}"#),
    }
}

fn invalid_symbol() -> Response<Bytes> {
    error(StatusCode::BAD_REQUEST, -1121, "Invalid symbol.")
}

fn unknown_listen_key() -> Response<Bytes> {
    error(
        StatusCode::BAD_REQUEST,
        -1125,
        "This listenKey does not exist.",
    )
}

const DEFAULT_DEPTH: usize = 100;
const MAX_DEPTH: usize = 5000;
const DEFAULT_TRADES_LIMIT: usize = 100;
const MAX_TRADES_LIMIT: usize = 100;
const DEFAULT_ORDERS_LIMIT: usize = 500;
const MAX_ORDERS_LIMIT: usize = 1000;

/// `GET /api/v3/depth` (§1.9), members in the venue's order.
///
/// ```json
/// {"lastUpdateId":1112416,"bids":[["15.00000","49999.00000"]],"asks":[["14.0000","1.0000"]]}
/// ```
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DepthSnapshot {
    last_update_id: u64,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

/// One element of `GET /api/v3/openOrders` and `allOrders`, and the answer of
/// `GET /api/v3/order` (MEXC spot v3 docs, "Query Order"):
///
/// ```json
/// {"symbol":"LTCBTC","orderId":"C02__443776347957968896088","orderListId":-1,
///  "clientOrderId":"","price":"0.1","origQty":"1.0","executedQty":"0.0",
///  "cummulativeQuoteQty":"0.0","status":"NEW","timeInForce":"","type":"LIMIT",
///  "side":"BUY","stopPrice":"","icebergQty":"","time":1499827319559,
///  "updateTime":1499827319559,"isWorking":true,"origQuoteOrderQty":"0.000000"}
/// ```
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RestOrder {
    symbol: String,
    order_id: String,
    order_list_id: i64,
    client_order_id: String,
    price: String,
    orig_qty: String,
    executed_qty: String,
    cummulative_quote_qty: String,
    status: &'static str,
    time_in_force: &'static str,
    r#type: &'static str,
    side: &'static str,
    stop_price: &'static str,
    iceberg_qty: &'static str,
    time: i64,
    update_time: i64,
    is_working: bool,
    orig_quote_order_qty: String,
}

/// One element of `GET /api/v3/myTrades` (MEXC spot v3 docs, "Account Trade List"):
///
/// ```json
/// {"symbol":"BNBBTC","id":"fad2af9e942049b6adbda1a271f990c6",
///  "orderId":"bb41e5663e124046bd9497a3f5692f39","orderListId":-1,"price":"4.00000100",
///  "qty":"12.00000000","quoteQty":"48.000012","commission":"10.10000000",
///  "commissionAsset":"BNB","time":1499865549590,"isBuyer":true,"isMaker":false,
///  "isBestMatch":true,"isSelfTrade":true,"clientOrderId":null}
/// ```
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RestTrade {
    symbol: String,
    id: String,
    order_id: String,
    order_list_id: i64,
    price: String,
    qty: String,
    quote_qty: String,
    commission: String,
    commission_asset: String,
    time: i64,
    is_buyer: bool,
    is_maker: bool,
    is_best_match: bool,
    is_self_trade: bool,
    client_order_id: Option<String>,
}

/// `GET /api/v3/account`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RestAccount {
    maker_commission: Option<u32>,
    taker_commission: Option<u32>,
    buyer_commission: Option<u32>,
    seller_commission: Option<u32>,
    can_trade: bool,
    can_withdraw: bool,
    can_deposit: bool,
    update_time: Option<i64>,
    account_type: &'static str,
    balances: Vec<RestBalance>,
    permissions: [&'static str; 1],
}

#[derive(Serialize)]
struct RestBalance {
    asset: String,
    free: String,
    locked: String,
}
