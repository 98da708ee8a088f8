//! The Gate REST v4 endpoints the venue serves (spec §3.5, §4.3; private ones for
//! reconciliation). Paths are below the mount prefix and start at `/api/v4/`.

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use serde_json::{Value, json};

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
    let now = Now::read();
    match request.path.as_str() {
        "/api/v4/spot/order_book" => order_book(venue, request, Market::Spot, now),
        "/api/v4/futures/usdt/order_book" => order_book(venue, request, Market::Futures, now),
        "/api/v4/spot/open_orders"
        | "/api/v4/spot/accounts"
        | "/api/v4/futures/usdt/orders"
        | "/api/v4/futures/usdt/positions"
        | "/api/v4/futures/usdt/accounts" => match authenticate(venue.config(), request, now) {
            Ok(()) => private(venue, request),
            Err((label, message)) => error(StatusCode::UNAUTHORIZED, label, message),
        },
        _ => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such endpoint in the simulator",
        ),
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

/// Answers the private endpoints from the current state.
fn private(venue: &GateioVenue, request: &HttpRequest) -> Response<Bytes> {
    let config = venue.config();
    let sizes = config.futures_sizes;
    let state = venue.lock();
    let account = &state.account;
    let body = match request.path.as_str() {
        // A list of `{currency_pair, total, orders}`, one per pair with open orders.
        "/api/v4/spot/open_orders" => {
            let mut pairs: Vec<(String, Vec<Value>)> = Vec::new();
            for order in account.orders.values() {
                if order.market != Market::Spot || !order.is_open() {
                    continue;
                }
                if request.query_param("currency_pair").is_some_and(|p| p != order.symbol) {
                    continue;
                }
                let rendered = wire::spot_order_rest(order);
                match pairs.iter_mut().find(|(pair, _)| *pair == order.symbol) {
                    Some((_, orders)) => orders.push(rendered),
                    None => pairs.push((order.symbol.clone(), vec![rendered])),
                }
            }
            Value::Array(
                pairs
                    .into_iter()
                    .map(|(pair, orders)| json!({"currency_pair": pair, "total": orders.len(), "orders": orders}))
                    .collect(),
            )
        }
        "/api/v4/spot/accounts" => Value::Array(
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
        "/api/v4/futures/usdt/orders" => {
            let Some(status) = request.query_param("status") else {
                return error(StatusCode::BAD_REQUEST, "MISSING_REQUIRED_PARAM", "missing status");
            };
            let want_open = match status {
                "open" => true,
                "finished" => false,
                _ => return error(StatusCode::BAD_REQUEST, "INVALID_PARAM_VALUE", "invalid status"),
            };
            let contract = request.query_param("contract");
            Value::Array(
                account
                    .orders
                    .values()
                    .filter(|o| o.market == Market::Futures && o.is_open() == want_open)
                    .filter(|o| contract.is_none_or(|c| c == o.symbol))
                    .map(|o| wire::futures_order_rest(o, config.user_id, sizes))
                    .collect(),
            )
        }
        "/api/v4/futures/usdt/positions" => Value::Array(
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
        "/api/v4/futures/usdt/accounts" => {
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
        _ => return error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such endpoint in the simulator"),
    };
    ok(&body)
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
        .is_some_and(|secs| (now.secs - secs).abs() <= config.max_clock_skew_secs);
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
