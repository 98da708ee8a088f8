//! The Gate REST v4 endpoints the venue serves (spec §3.5, §4.3; private ones for
//! reconciliation: open and finished orders, one order by id, balances, positions, and
//! the trade history). Paths are below the mount prefix and start at `/api/v4/`.

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use serde_json::{Value, json};

use market_types::Side;

use super::account::{Account, OrderState, SimOrderId};
use super::config::{GateioSimConfig, Market};
use super::sign;
use super::venue::GateioVenue;
use super::wire::{self, Now, WireSize};
use crate::venue::{HttpRequest, json_response};

/// Routes one request.
pub(crate) fn handle(venue: &GateioVenue, request: &HttpRequest) -> Response<Bytes> {
    if request.method != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "only GET is simulated",
        );
    }
    let now = venue.venue_now(Now::read());
    match request.path.as_str() {
        "/api/v4/spot/time" => return ok(&json!({"server_time": now.ms})),
        "/api/v4/spot/order_book" => return order_book(venue, request, Market::Spot, now),
        "/api/v4/futures/usdt/order_book" => {
            return order_book(venue, request, Market::Futures, now);
        }
        _ => {}
    }
    let Some(endpoint) = Private::of(&request.path) else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such endpoint in the simulator",
        );
    };
    match authenticate(venue.config(), request, now) {
        Ok(()) => private(venue, request, endpoint).unwrap_or_else(Refusal::into_response),
        // Gate answers an expired request with 403, other refusals with 401.
        Err((label @ "REQUEST_EXPIRED", message)) => error(StatusCode::FORBIDDEN, label, message),
        Err((label, message)) => error(StatusCode::UNAUTHORIZED, label, message),
    }
}

/// The signed endpoints, each below `/api/v4/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Private<'a> {
    /// `GET /spot/open_orders`
    SpotOpenOrders,
    /// `GET /spot/orders?status=open|finished`
    SpotOrders,
    /// `GET /spot/orders/{order_id}`
    SpotOrder(&'a str),
    /// `GET /spot/my_trades`
    SpotMyTrades,
    /// `GET /spot/accounts`
    SpotAccounts,
    /// `GET /futures/usdt/orders?status=open|finished`
    FuturesOrders,
    /// `GET /futures/usdt/orders/{order_id}`
    FuturesOrder(&'a str),
    /// `GET /futures/usdt/my_trades_timerange`
    FuturesMyTrades,
    /// `GET /futures/usdt/positions`
    FuturesPositions,
    /// `GET /futures/usdt/accounts`
    FuturesAccounts,
}

impl<'a> Private<'a> {
    fn of(path: &'a str) -> Option<Private<'a>> {
        let endpoint = match path {
            "/api/v4/spot/open_orders" => Private::SpotOpenOrders,
            "/api/v4/spot/orders" => Private::SpotOrders,
            "/api/v4/spot/my_trades" => Private::SpotMyTrades,
            "/api/v4/spot/accounts" => Private::SpotAccounts,
            "/api/v4/futures/usdt/orders" => Private::FuturesOrders,
            "/api/v4/futures/usdt/my_trades_timerange" => Private::FuturesMyTrades,
            "/api/v4/futures/usdt/positions" => Private::FuturesPositions,
            "/api/v4/futures/usdt/accounts" => Private::FuturesAccounts,
            _ => {
                let one = |prefix: &str| {
                    path.strip_prefix(prefix)
                        .filter(|id| !id.is_empty() && !id.contains('/'))
                };
                if let Some(id) = one("/api/v4/spot/orders/") {
                    Private::SpotOrder(id)
                } else if let Some(id) = one("/api/v4/futures/usdt/orders/") {
                    Private::FuturesOrder(id)
                } else {
                    return None;
                }
            }
        };
        Some(endpoint)
    }
}

/// `GET /api/v4/spot/order_book?currency_pair=X&limit=L&with_id=true` →
/// `{"id","current","update","asks":[["p","a"]],"bids":[…]}` (ms), and
/// `GET /api/v4/futures/usdt/order_book?contract=X&limit=L&with_id=true` →
/// `{"id","current","update","asks":[{"p","s"}],"bids":[…]}` (float seconds).
/// `limit` defaults to 10 and is capped at the maintained depth; `id` only with `with_id=true`.
fn order_book(
    venue: &GateioVenue,
    request: &HttpRequest,
    market: Market,
    now: Now,
) -> Response<Bytes> {
    let (param, label) = match market {
        Market::Spot => ("currency_pair", "INVALID_CURRENCY_PAIR"),
        Market::Futures => ("contract", "CONTRACT_NOT_FOUND"),
    };
    let Some(symbol) = request.query_param(param) else {
        return error(
            StatusCode::BAD_REQUEST,
            "MISSING_REQUIRED_PARAM",
            &format!("missing {param}"),
        );
    };
    let limit = match request.query_param("limit").map(str::parse::<usize>) {
        None => DEFAULT_LIMIT,
        Some(Ok(limit)) if limit > 0 => limit,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_PARAM_VALUE",
                "invalid limit",
            );
        }
    };
    let Some((depth, grid)) = venue.snapshot(market, symbol, limit) else {
        return error(
            StatusCode::BAD_REQUEST,
            label,
            &format!("unknown {param} {symbol}"),
        );
    };
    let with_id = request.query_param("with_id") == Some("true");
    let mut body = match market {
        Market::Spot => {
            let pairs = |levels: &[(i64, i64)]| -> Vec<[String; 2]> {
                levels
                    .iter()
                    .map(|&(t, l)| [grid.price(t).to_string(), grid.size(l).to_string()])
                    .collect()
            };
            json!({
                "current": now.ms,
                "update": now.ms,
                "asks": pairs(&depth.asks),
                "bids": pairs(&depth.bids),
            })
        }
        Market::Futures => {
            let sizes = venue.config().futures_sizes;
            let seconds = now.ms as f64 / 1000.0;
            json!({
                "current": seconds,
                "update": seconds,
                "asks": wire::futures_levels(grid, sizes, &depth.asks),
                "bids": wire::futures_levels(grid, sizes, &depth.bids),
            })
        }
    };
    if with_id && let Some(map) = body.as_object_mut() {
        map.insert("id".to_owned(), json!(depth.update_id));
    }
    ok(&body)
}

/// Why a private request is refused: Gate's `{"label","message"}` and the status.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    label: &'static str,
    message: String,
}

impl Refusal {
    fn into_response(self) -> Response<Bytes> {
        error(self.status, self.label, &self.message)
    }
}

/// Answers the private endpoints from the current state.
fn private(
    venue: &GateioVenue,
    request: &HttpRequest,
    endpoint: Private<'_>,
) -> Result<Response<Bytes>, Refusal> {
    let config = venue.config();
    let sizes = config.futures_sizes;
    let state = venue.lock();
    let account = &state.account;
    let body = match endpoint {
        // A list of `{currency_pair, total, orders}`, one per pair with open orders on
        // the page: `page` (from 1) and `limit` (default and at most 100) page each
        // pair's list, as Gate does.
        Private::SpotOpenOrders => {
            let (skip, limit) = paging(request, Paging::Page, MAX_OPEN_ORDERS_LIMIT)?;
            let mut pairs: Vec<(String, Vec<&OrderState>)> = Vec::new();
            for order in account.orders.values() {
                if order.market != Market::Spot || !order.is_open() {
                    continue;
                }
                if request.query_param("currency_pair").is_some_and(|p| p != order.symbol) {
                    continue;
                }
                match pairs.iter_mut().find(|(pair, _)| *pair == order.symbol) {
                    Some((_, orders)) => orders.push(order),
                    None => pairs.push((order.symbol.clone(), vec![order])),
                }
            }
            Value::Array(
                pairs
                    .into_iter()
                    .filter_map(|(pair, orders)| {
                        let page: Vec<Value> = orders
                            .into_iter()
                            .skip(skip)
                            .take(limit)
                            .map(wire::spot_order_rest)
                            .collect();
                        (!page.is_empty()).then(|| {
                            json!({"currency_pair": pair, "total": page.len(), "orders": page})
                        })
                    })
                    .collect(),
            )
        }
        Private::SpotOrders => list_orders(account, request, Market::Spot, config)?,
        Private::FuturesOrders => list_orders(account, request, Market::Futures, config)?,
        Private::SpotOrder(id) => {
            let order = find_order(account, id, Market::Spot)?;
            // The pair may be left out only for finished orders.
            match request.query_param("currency_pair") {
                Some(pair) if pair != order.symbol => return Err(order_not_found()),
                None if order.is_open() => {
                    return Err(missing_param("currency_pair"));
                }
                _ => wire::spot_order_rest(order),
            }
        }
        Private::FuturesOrder(id) => {
            let order = find_order(account, id, Market::Futures)?;
            wire::futures_order_rest(order, config.user_id, sizes)
        }
        Private::SpotMyTrades => {
            let pair = known_symbol(request, config, Market::Spot)?;
            let window = Window::of(request)?;
            let order_id = request.query_param("order_id");
            let (skip, limit) = paging(request, Paging::Page, MAX_TRADES_LIMIT)?;
            Value::Array(
                account
                    .trades
                    .iter()
                    .rev()
                    .filter(|t| t.market == Market::Spot)
                    .filter(|t| pair.is_none_or(|p| p == t.symbol))
                    .filter(|t| order_id.is_none_or(|id| id == t.order_id.to_string()))
                    .filter(|t| window.contains(t.time_ms))
                    .skip(skip)
                    .take(limit)
                    .map(wire::spot_trade_rest)
                    .collect(),
            )
        }
        Private::FuturesMyTrades => {
            let contract = known_symbol(request, config, Market::Futures)?;
            let window = Window::of(request)?;
            let (skip, limit) = paging(request, Paging::Offset, MAX_TRADES_LIMIT)?;
            // Every simulated fill is a maker fill.
            let role = request.query_param("role");
            if role.is_some_and(|r| r != "maker" && r != "taker") {
                return Err(invalid_param("role"));
            }
            Value::Array(
                account
                    .trades
                    .iter()
                    .rev()
                    .filter(|t| t.market == Market::Futures)
                    .filter(|t| contract.is_none_or(|c| c == t.symbol))
                    .filter(|_| role.is_none_or(|r| r == "maker"))
                    .filter(|t| window.contains(t.time_ms))
                    .skip(skip)
                    .take(limit)
                    .map(|t| wire::futures_trade_rest(t, sizes))
                    .collect(),
            )
        }
        Private::SpotAccounts => Value::Array(
            account
                .spot
                .iter()
                .filter(|(currency, _)| request.query_param("currency").is_none_or(|c| c == *currency))
                .map(|(currency, balance)| {
                    json!({
                        "currency": currency,
                        "available": balance.available.to_string(),
                        "locked": balance.locked.to_string(),
                        "update_id": 1,
                    })
                })
                .collect(),
        ),
        Private::FuturesPositions => Value::Array(
            account
                .positions
                .iter()
                .map(|(contract, position)| {
                    json!({
                        "user": config.user_id,
                        "contract": contract,
                        "size": WireSize(position.size, sizes).json(),
                        "leverage": "0",
                        "risk_limit": "1000000",
                        "leverage_max": "100",
                        "maintenance_rate": "0.005",
                        "value": "0",
                        "margin": "0",
                        "entry_price": position.entry_price.to_string(),
                        "liq_price": "0",
                        "mark_price": position.entry_price.to_string(),
                        "unrealised_pnl": "0",
                        "realised_pnl": "0",
                        "history_pnl": "0",
                        "last_close_pnl": "0",
                        "realised_point": "0",
                        "history_point": "0",
                        "adl_ranking": 6,
                        "pending_orders": account
                            .orders
                            .values()
                            .filter(|o| o.market == Market::Futures && o.is_open() && o.symbol == *contract)
                            .count(),
                        "mode": "single",
                        "cross_leverage_limit": "0",
                        "update_time": position.time_ms / 1000,
                        "update_id": position.update_id,
                    })
                })
                .collect(),
        ),
        Private::FuturesAccounts => {
            let balance = account.futures_balance.to_string();
            json!({
                "user": config.user_id,
                "currency": "USDT",
                "total": balance,
                "available": balance,
                "unrealised_pnl": "0",
                "position_margin": "0",
                "order_margin": "0",
                "point": "0",
                "bonus": "0",
                "in_dual_mode": false,
                "enable_credit": false,
                "position_initial_margin": "0",
                "maintenance_margin": "0",
            })
        }
    };
    Ok(ok(&body))
}

/// `GET /spot/orders?status=open|finished` (a flat list; open needs `currency_pair`,
/// `limit` ≤ 100) and `GET /futures/usdt/orders?status=open|finished`. Finished orders
/// come newest first; spot takes `page`, `from`/`to` (seconds, the finish time) and
/// `side`, futures `offset`.
fn list_orders(
    account: &Account,
    request: &HttpRequest,
    market: Market,
    config: &GateioSimConfig,
) -> Result<Value, Refusal> {
    let want_open = match request.query_param("status") {
        None => return Err(missing_param("status")),
        Some("open") => true,
        Some("finished") => false,
        Some(_) => return Err(invalid_param("status")),
    };
    let symbol = known_symbol(request, config, market)?;
    let (pages, window, side) = match market {
        Market::Spot => {
            if want_open && symbol.is_none() {
                return Err(missing_param("currency_pair"));
            }
            let side = match request.query_param("side") {
                None => None,
                Some("buy") => Some(Side::Buy),
                Some("sell") => Some(Side::Sell),
                Some(_) => return Err(invalid_param("side")),
            };
            (Paging::Page, Window::of(request)?, side)
        }
        Market::Futures => (Paging::Offset, Window::default(), None),
    };
    let max = if want_open && market == Market::Spot {
        MAX_OPEN_ORDERS_LIMIT
    } else {
        MAX_ORDERS_LIMIT
    };
    let (skip, limit) = paging(request, pages, max)?;
    let mut orders: Vec<&OrderState> = account
        .orders
        .values()
        .filter(|o| o.market == market && o.is_open() == want_open)
        .filter(|o| symbol.is_none_or(|s| s == o.symbol))
        .filter(|o| side.is_none_or(|s| s == o.side))
        .filter(|o| want_open || window.contains(o.update_time_ms))
        .collect();
    if !want_open {
        orders.sort_by_key(|o| std::cmp::Reverse((o.update_time_ms, o.id)));
    }
    let render = |o: &OrderState| match market {
        Market::Spot => wire::spot_order_rest(o),
        Market::Futures => wire::futures_order_rest(o, config.user_id, config.futures_sizes),
    };
    Ok(Value::Array(
        orders
            .into_iter()
            .skip(skip)
            .take(limit)
            .map(render)
            .collect(),
    ))
}

/// An order by the id Gate gave out or by its `text` (`t-…`), as the path allows.
fn find_order<'a>(
    account: &'a Account,
    id: &str,
    market: Market,
) -> Result<&'a OrderState, Refusal> {
    let found = if id.starts_with("t-") {
        account.orders.values().find(|o| o.text == id)
    } else {
        id.parse::<u64>()
            .ok()
            .and_then(|id| account.orders.get(&SimOrderId(id)))
    };
    found
        .filter(|o| o.market == market)
        .ok_or_else(order_not_found)
}

/// The pair or contract asked for, if any; refused when the market does not serve it.
fn known_symbol<'a>(
    request: &'a HttpRequest,
    config: &GateioSimConfig,
    market: Market,
) -> Result<Option<&'a str>, Refusal> {
    let (param, label) = match market {
        Market::Spot => ("currency_pair", "INVALID_CURRENCY_PAIR"),
        Market::Futures => ("contract", "CONTRACT_NOT_FOUND"),
    };
    match request.query_param(param) {
        Some(symbol) if !config.serves(market, symbol) => Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            label,
            message: format!("unknown {param} {symbol}"),
        }),
        symbol => Ok(symbol),
    }
}

/// `from`/`to` in seconds, both inclusive (Gate's trade and finished-order filters).
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    from_s: Option<i64>,
    to_s: Option<i64>,
}

impl Window {
    fn of(request: &HttpRequest) -> Result<Window, Refusal> {
        let seconds = |name: &str| {
            request
                .query_param(name)
                .map(|v| v.parse::<i64>().map_err(|_| invalid_param(name)))
                .transpose()
        };
        Ok(Window {
            from_s: seconds("from")?,
            to_s: seconds("to")?,
        })
    }

    fn contains(self, time_ms: i64) -> bool {
        let secs = time_ms.div_euclid(1000);
        self.from_s.is_none_or(|from| secs >= from) && self.to_s.is_none_or(|to| secs <= to)
    }
}

/// How a list endpoint pages: spot by `page` (from 1), futures by `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paging {
    Page,
    Offset,
}

/// `(skip, limit)` from `limit` (default 100, at most `max`) and `page` or `offset`.
fn paging(request: &HttpRequest, paging: Paging, max: usize) -> Result<(usize, usize), Refusal> {
    let number = |name: &str| {
        request
            .query_param(name)
            .map(|v| v.parse::<usize>().map_err(|_| invalid_param(name)))
            .transpose()
    };
    let limit = number("limit")?.unwrap_or(DEFAULT_LIST_LIMIT);
    if limit == 0 || limit > max {
        return Err(invalid_param("limit"));
    }
    let skip = match paging {
        Paging::Page => match number("page")?.unwrap_or(1) {
            0 => return Err(invalid_param("page")),
            page => (page - 1).saturating_mul(limit),
        },
        Paging::Offset => number("offset")?.unwrap_or(0),
    };
    Ok((skip, limit))
}

fn order_not_found() -> Refusal {
    Refusal {
        status: StatusCode::NOT_FOUND,
        label: "ORDER_NOT_FOUND",
        message: "Order not found".to_owned(),
    }
}

fn missing_param(name: &str) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        label: "MISSING_REQUIRED_PARAM",
        message: format!("missing {name}"),
    }
}

fn invalid_param(name: &str) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        label: "INVALID_PARAM_VALUE",
        message: format!("invalid {name}"),
    }
}

/// Checks the APIv4 headers `KEY`, `Timestamp` and `SIGN`: the signature is over
/// `"METHOD\n/api/v4/...\nQUERY\nhex(SHA512(body))\nTIMESTAMP"`. A refusal is the 401's
/// label and message.
fn authenticate(
    config: &GateioSimConfig,
    request: &HttpRequest,
    now: Now,
) -> Result<(), (&'static str, &'static str)> {
    let unauthorized = |label, message| Err((label, message));
    let (Some(key), Some(timestamp), Some(given)) = (
        header(&request.headers, "KEY"),
        header(&request.headers, "Timestamp"),
        header(&request.headers, "SIGN"),
    ) else {
        return unauthorized(
            "MISSING_REQUIRED_HEADER",
            "KEY, Timestamp and SIGN are required",
        );
    };
    if key != config.api_key {
        return unauthorized("INVALID_KEY", "Invalid key provided");
    }
    // Gate accepts a fractional timestamp; whole seconds are compared.
    let fresh = timestamp
        .split('.')
        .next()
        .and_then(|secs| secs.parse::<i64>().ok())
        .is_some_and(|secs| {
            now.secs.saturating_sub(secs).saturating_abs() <= config.max_clock_skew_secs
        });
    if !fresh {
        return unauthorized(
            "REQUEST_EXPIRED",
            "gap between request Timestamp and server time exceeds 60",
        );
    }
    let expected = sign::rest_signature(
        &config.api_secret,
        request.method.as_str(),
        &request.path,
        request.query.as_deref().unwrap_or_default(),
        &request.body,
        timestamp,
    );
    if !sign::signatures_match(&expected, given) {
        return unauthorized("INVALID_SIGNATURE", "Signature mismatch");
    }
    Ok(())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn ok(body: &Value) -> Response<Bytes> {
    json_response(StatusCode::OK, wire::to_bytes(body))
}

/// Gate's REST error body: `{"label","message"}`.
fn error(status: StatusCode, label: &str, message: &str) -> Response<Bytes> {
    json_response(
        status,
        wire::to_bytes(&json!({"label": label, "message": message})),
    )
}

/// Gate's default `limit` for order books.
const DEFAULT_LIMIT: usize = 10;
/// Gate's default `limit` of the order and trade lists.
const DEFAULT_LIST_LIMIT: usize = 100;
/// The largest `limit` of `my_trades` and `my_trades_timerange`.
const MAX_TRADES_LIMIT: usize = 1000;
/// The largest `limit` of finished-order lists.
const MAX_ORDERS_LIMIT: usize = 1000;
/// The largest `limit` when listing open spot orders.
const MAX_OPEN_ORDERS_LIMIT: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    fn venue() -> std::sync::Arc<GateioVenue> {
        GateioVenue::new(GateioSimConfig::default())
    }

    fn get(path: &str, query: &str) -> HttpRequest {
        HttpRequest {
            method: Method::GET,
            path: path.to_owned(),
            query: Some(query.to_owned()),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    fn json_body(response: Response<Bytes>) -> Value {
        serde_json::from_slice(response.body()).unwrap_or_default()
    }

    #[test]
    fn spot_snapshot_matches_the_truth() {
        let venue = venue();
        let response = handle(
            &venue,
            &get(
                "/api/v4/spot/order_book",
                "currency_pair=BTC_USDT&limit=5&with_id=true",
            ),
        );
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response);
        let truth = venue.book(Market::Spot, "BTC_USDT").map(|t| t.top(5));
        let truth = truth.unwrap_or_else(|| panic!("no book"));
        assert_eq!(body["id"], json!(truth.update_id));
        assert!(body["current"].is_u64());
        assert_eq!(body["bids"][0][0], json!(truth.bids[0].0.to_string()));
        assert_eq!(body["asks"].as_array().map(Vec::len), Some(5));
    }

    #[test]
    fn futures_snapshot_uses_objects_and_seconds() {
        let venue = venue();
        let body = json_body(handle(
            &venue,
            &get(
                "/api/v4/futures/usdt/order_book",
                "contract=ETH_USDT&limit=3",
            ),
        ));
        assert!(body.get("id").is_none());
        assert!(body["current"].is_f64());
        assert!(body["asks"][0]["s"].is_i64());
        assert!(body["asks"][0]["p"].is_string());
        let unknown = handle(
            &venue,
            &get("/api/v4/futures/usdt/order_book", "contract=NOPE"),
        );
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn private_endpoints_need_a_signature() {
        let venue = venue();
        let response = handle(&venue, &get("/api/v4/spot/accounts", ""));
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json_body(response)["label"], "MISSING_REQUIRED_HEADER");
    }
}
