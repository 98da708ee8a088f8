//! The contract REST endpoints. Answers use the venue's envelope
//! `{"success":true,"code":0,"data":…}`; refusals are HTTP 200 with
//! `{"success":false,"code":C,"message":…}`, as the venue answers.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use market_types::Symbol;
use serde_json::{Value, json};

use crate::mexc_futures::account::{FuturesDeal, FuturesOrder, FuturesPosition};
use crate::mexc_futures::sign;
use crate::mexc_futures::venue::{MexcFuturesVenue, State};
use crate::mexc_futures::wire::{self, num};
use crate::venue::{HttpRequest, json_response};

/// `code` of an unknown contract.
pub const CODE_CONTRACT_MISSING: i64 = 1001;
/// `code` of a missing or unknown `ApiKey` header.
pub const CODE_API_KEY_INVALID: i64 = 401;
/// `code` of a wrong `Signature`.
pub const CODE_SIGNATURE: i64 = 602;
/// `code` of a `Request-Time` outside the window.
pub const CODE_REQUEST_TIME: i64 = 513;

const DEPTH_PREFIX: &str = "/api/v1/contract/depth/";
const COMMITS_PREFIX: &str = "/api/v1/contract/depth_commits/";
const OPEN_ORDERS: &str = "/api/v1/private/order/list/open_orders";

/// Answers one REST request below the mount prefix.
pub(crate) fn handle(
    venue: &MexcFuturesVenue,
    request: &HttpRequest,
    now_ms: i64,
) -> Response<Bytes> {
    let path = request.path.as_str();
    if request.method != Method::GET {
        return refusal(StatusCode::METHOD_NOT_ALLOWED, 405, "Method not allowed");
    }
    if path == "/api/v1/contract/ping" {
        return data(json!(now_ms));
    }
    if path == "/api/v1/contract/detail" {
        return detail(venue, request);
    }
    if let Some(symbol) = path.strip_prefix(DEPTH_PREFIX) {
        return depth(venue, request, symbol, now_ms);
    }
    if let Some(rest) = path.strip_prefix(COMMITS_PREFIX) {
        return commits(venue, rest);
    }
    if !path.starts_with("/api/v1/private/") {
        return refusal(StatusCode::NOT_FOUND, 404, "Not Found");
    }
    if let Err((code, message)) = authorize(venue, request, now_ms) {
        return refusal(StatusCode::OK, code, message);
    }
    let state = venue.lock();
    let symbol_param = request.query_param("symbol");
    let symbol = match symbol_param.map(|s| listed(&state, s)) {
        Some(None) => return contract_missing(),
        Some(Some(symbol)) => Some(symbol),
        None => None,
    };
    match path {
        "/api/v1/private/account/assets" => data(json!([wire::asset(&state.account.asset)])),
        "/api/v1/private/position/open_positions" => data(
            state
                .account
                .open_positions(symbol)
                .into_iter()
                .map(position)
                .collect(),
        ),
        "/api/v1/private/order/list/order_deals" => {
            let window = TimeWindow::of(request);
            let deals = state
                .account
                .deals
                .iter()
                .filter(|d| symbol.is_none_or(|s| s == d.symbol))
                .filter(|d| window.contains(d.timestamp));
            data(deals.rev().take(page_size(request)).map(deal).collect())
        }
        "/api/v1/private/order/list/history_orders" => {
            let window = TimeWindow::of(request);
            let states: Vec<u8> = request
                .query_param("states")
                .map(|list| {
                    list.split([',', '%'])
                        .filter_map(|s| s.parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            let orders = state
                .account
                .orders
                .values()
                .filter(|o| symbol.is_none_or(|s| s == o.symbol))
                .filter(|o| states.is_empty() || states.contains(&o.state.code()))
                .filter(|o| window.contains(o.create_time));
            let mut orders: Vec<&FuturesOrder> = orders.collect();
            orders.sort_by_key(|o| std::cmp::Reverse((o.create_time, o.order_id.clone())));
            data(
                orders
                    .into_iter()
                    .take(page_size(request))
                    .map(order)
                    .collect(),
            )
        }
        _ => {
            if path == OPEN_ORDERS || path.starts_with(&format!("{OPEN_ORDERS}/")) {
                let in_path = path
                    .strip_prefix(OPEN_ORDERS)
                    .and_then(|p| p.strip_prefix('/'));
                let symbol = match in_path.map(|s| listed(&state, s)) {
                    Some(None) => return contract_missing(),
                    Some(Some(s)) => Some(s),
                    None => symbol,
                };
                let orders = state.account.open_orders(symbol);
                return data(
                    orders
                        .into_iter()
                        .take(page_size(request))
                        .map(order)
                        .collect(),
                );
            }
            if let Some(id) = path.strip_prefix("/api/v1/private/order/get/") {
                return match state.account.orders.get(id) {
                    Some(found) => data(order(found)),
                    None => refusal(StatusCode::OK, 2005, "Order does not exist!"),
                };
            }
            refusal(StatusCode::NOT_FOUND, 404, "Not Found")
        }
    }
}

/// `GET /api/v1/contract/depth/{symbol}?limit=N`: the whole book, or the top N levels.
fn depth(
    venue: &MexcFuturesVenue,
    request: &HttpRequest,
    symbol: &str,
    now_ms: i64,
) -> Response<Bytes> {
    let limit = request
        .query_param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    let mut guard = venue.lock();
    let state = &mut *guard;
    let Some(symbol) = listed(state, symbol) else {
        return contract_missing();
    };
    let Some(contract) = state.books.get(&symbol) else {
        return contract_missing();
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
            let (bids, asks) = contract.book.top(usize::MAX);
            (contract.book.version(), bids, asks)
        }
    };
    let take = |levels: &[(i64, i64)]| levels.iter().take(limit).copied().collect::<Vec<_>>();
    let body = wire::depth_data(
        &take(&asks),
        &take(&bids),
        version,
        contract.spec.book.price_scale,
    );
    // Insert the snapshot's timestamp before the closing brace.
    let body = format!("{},\"timestamp\":{now_ms}}}", &body[..body.len() - 1]);
    raw_data(&body)
}

/// `GET /api/v1/contract/depth_commits/{symbol}/{limit}`: the latest changes, newest first.
fn commits(venue: &MexcFuturesVenue, rest: &str) -> Response<Bytes> {
    let Some((symbol, limit)) = rest.split_once('/') else {
        return refusal(StatusCode::OK, 1002, "Parameter error");
    };
    let Ok(limit) = limit.parse::<usize>() else {
        return refusal(StatusCode::OK, 1002, "Parameter error");
    };
    let state = venue.lock();
    let Some(contract) = listed(&state, symbol).and_then(|s| state.books.get(&s)) else {
        return contract_missing();
    };
    let scale = contract.spec.book.price_scale;
    let items: Vec<String> = contract
        .commits
        .iter()
        .rev()
        .take(limit)
        .map(|c| wire::depth_data(&c.asks, &c.bids, c.to, scale))
        .collect();
    raw_data(&format!("[{}]", items.join(",")))
}

/// `GET /api/v1/contract/detail[?symbol=S]`: one object for a symbol, else an array.
fn detail(venue: &MexcFuturesVenue, request: &HttpRequest) -> Response<Bytes> {
    let state = venue.lock();
    let item = |c: &crate::mexc_futures::venue::ContractBook| {
        let spec = &c.spec;
        json!({
            "symbol": spec.book.symbol.as_str(), "displayNameEn": format!("{} PERPETUAL", spec.book.symbol),
            "baseCoin": spec.book.base.as_str(), "quoteCoin": "USDT", "settleCoin": "USDT",
            "contractSize": num(spec.contract_size), "minLeverage": 1, "maxLeverage": 125,
            "priceScale": spec.book.price_scale, "volScale": 0,
            "priceUnit": num(market_types::Decimal::from_parts(spec.book.tick, spec.book.price_scale).unwrap_or_default()),
            "volUnit": 1, "minVol": 1, "maxVol": 1_000_000, "state": 0, "apiAllowed": false,
            "id": spec.contract_id,
        })
    };
    match request.query_param("symbol") {
        Some(symbol) => match listed(&state, symbol).and_then(|s| state.books.get(&s)) {
            Some(contract) => data(item(contract)),
            None => contract_missing(),
        },
        None => data(state.books.values().map(item).collect()),
    }
}

/// Checks `ApiKey`, `Request-Time` and `Signature` of a private call.
fn authorize(
    venue: &MexcFuturesVenue,
    request: &HttpRequest,
    now_ms: i64,
) -> Result<(), (i64, &'static str)> {
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    let config = &venue.config;
    let key = header("ApiKey").filter(|k| *k == config.api_key);
    let Some(key) = key else {
        return Err((CODE_API_KEY_INVALID, "Api key info invalid!"));
    };
    let time = header("Request-Time").unwrap_or("");
    let window = header("Recv-Window")
        .and_then(|w| w.parse::<i64>().ok())
        .map_or(config.recv_window_ms, |w| {
            w.saturating_mul(1000).min(60_000)
        });
    let fresh = time
        .parse::<i64>()
        .is_ok_and(|t| t.checked_sub(now_ms).is_some_and(|d| d.abs() <= window));
    if !fresh {
        return Err((CODE_REQUEST_TIME, "Request time expired!"));
    }
    let params = sign::param_string(request.query.as_deref());
    let signature = header("Signature").unwrap_or("");
    if !sign::verify(&config.api_secret, [key, time, &params], signature) {
        return Err((CODE_SIGNATURE, "Signature verification failed!"));
    }
    Ok(())
}

fn order(o: &FuturesOrder) -> Value {
    let avg = if o.deal_vol > 0 {
        o.price()
    } else {
        market_types::Decimal::ZERO
    };
    json!({
        "orderId": o.order_id, "symbol": o.symbol.as_str(), "positionId": 0, "price": num(o.price()),
        "vol": o.vol, "leverage": 1, "side": o.side.code(), "category": 1, "orderType": 1,
        "dealAvgPrice": num(avg), "dealVol": o.deal_vol, "orderMargin": 0, "takerFee": 0,
        "makerFee": 0, "profit": 0, "feeCurrency": "USDT", "openType": 1, "state": o.state.code(),
        "externalOid": format!("_m_{}", o.order_id), "errorCode": 0, "usedMargin": 0,
        "createTime": o.create_time, "updateTime": o.update_time, "remainVol": o.remain_vol(),
        "version": o.version,
    })
}

fn deal(d: &FuturesDeal) -> Value {
    json!({
        "id": d.id.to_string(), "symbol": d.symbol.as_str(), "side": d.side.code(), "vol": d.vol,
        "price": num(d.price()), "fee": 0, "feeCurrency": "USDT", "profit": 0, "isTaker": true,
        "category": 1, "orderId": d.order_id, "timestamp": d.timestamp,
    })
}

fn position(p: &FuturesPosition) -> Value {
    json!({
        "positionId": p.position_id, "symbol": p.symbol.as_str(), "positionType": p.position_type.code(),
        "openType": 1, "state": p.state(), "holdVol": p.hold_vol, "frozenVol": 0, "closeVol": 0,
        "holdAvgPrice": num(p.open_avg_price()), "openAvgPrice": num(p.open_avg_price()),
        "closeAvgPrice": 0, "liquidatePrice": 0, "oim": num(p.margin), "im": num(p.margin),
        "holdFee": 0, "realised": num(p.realised), "leverage": 1, "autoAddIm": false,
        "createTime": p.update_time, "updateTime": p.update_time,
    })
}

/// `start_time`/`end_time` (ms, inclusive) of a history query.
struct TimeWindow {
    start: i64,
    end: i64,
}

impl TimeWindow {
    fn of(request: &HttpRequest) -> Self {
        let bound = |name| {
            request
                .query_param(name)
                .and_then(|t| t.parse::<i64>().ok())
        };
        Self {
            start: bound("start_time").unwrap_or(i64::MIN),
            end: bound("end_time").unwrap_or(i64::MAX),
        }
    }

    fn contains(&self, time: i64) -> bool {
        (self.start..=self.end).contains(&time)
    }
}

/// `page_size` (default 20, at most 100).
fn page_size(request: &HttpRequest) -> usize {
    request
        .query_param("page_size")
        .and_then(|p| p.parse::<usize>().ok())
        .map_or(20, |p| p.clamp(1, 100))
}

fn listed(state: &State, symbol: &str) -> Option<Symbol> {
    Symbol::new(symbol)
        .ok()
        .filter(|s| state.books.contains_key(s))
}

fn data(data: Value) -> Response<Bytes> {
    json_response(
        StatusCode::OK,
        json!({ "success": true, "code": 0, "data": data }).to_string(),
    )
}

fn raw_data(data: &str) -> Response<Bytes> {
    json_response(
        StatusCode::OK,
        format!("{{\"success\":true,\"code\":0,\"data\":{data}}}"),
    )
}

fn refusal(status: StatusCode, code: i64, message: &str) -> Response<Bytes> {
    json_response(
        status,
        json!({ "success": false, "code": code, "message": message }).to_string(),
    )
}

fn contract_missing() -> Response<Bytes> {
    refusal(
        StatusCode::OK,
        CODE_CONTRACT_MISSING,
        "Contract doesn't exist!",
    )
}
