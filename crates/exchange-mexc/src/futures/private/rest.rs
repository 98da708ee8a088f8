//! Signed REST calls of the futures private API and their answers.
//!
//! Signing (futures docs, "Authentication method"): headers `ApiKey`, `Request-Time`
//! (ms) and `Signature = hex(HMAC_SHA256(secret, accessKey + timestamp + paramString))`,
//! where for GET `paramString` is the business parameters sorted by name, URL-encoded,
//! joined `k=v&k=v` (path parameters are not signed). `Recv-Window` is optional.
//! Answers are `{"success":true,"code":0,"data":..}` or
//! `{"success":false,"code":..,"message":..}`.

use std::fmt;

use bytes::Bytes;
use market_types::{Balance, Fill, Order, OrderId, Symbol, Venue};
use serde::Deserialize;
use serde_json::value::RawValue;
use ws_session::{RestFailure, RestMethod, RestReply, RestRequest, RestRequestId, Timestamp};

use super::error::FuturesPrivateError;
use super::json::Raw;
use super::model::{WireAsset, WireDeal, WireOrder, WirePosition};
use super::position::PositionLeg;
use crate::config::Credentials;

/// `GET /api/v1/private/account/assets`: every currency's balance.
pub const ASSETS: &str = "/api/v1/private/account/assets";
/// `GET /api/v1/private/position/open_positions`: open position legs.
pub const OPEN_POSITIONS: &str = "/api/v1/private/position/open_positions";
/// `GET /api/v1/private/order/list/open_orders/{symbol}`: open orders, paged.
pub const OPEN_ORDERS: &str = "/api/v1/private/order/list/open_orders";
/// `GET /api/v1/private/order/get/{order_id}`: one order.
pub const ORDER: &str = "/api/v1/private/order/get";
/// `GET /api/v1/private/order/list/order_deals`: a contract's fills in a window, paged.
pub const ORDER_DEALS: &str = "/api/v1/private/order/list/order_deals";
/// `GET /api/v1/private/order/list/history_orders`: a contract's orders in a window, paged.
pub const HISTORY_ORDERS: &str = "/api/v1/private/order/list/history_orders";
/// The largest `page_size` the paged endpoints take.
pub const PAGE_SIZE: u32 = 100;

/// Builds signed futures REST requests for one account. `Debug` hides the credentials.
#[derive(Clone)]
pub struct FuturesRestSigner {
    rest_url: String,
    credentials: Credentials,
    recv_window_ms: Option<u32>,
}

impl fmt::Debug for FuturesRestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuturesRestSigner")
            .field("rest_url", &self.rest_url)
            .field("api_key", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("recv_window_ms", &self.recv_window_ms)
            .finish()
    }
}

impl FuturesRestSigner {
    /// Requests against `rest_url` (`https://contract.mexc.com` or `https://api.mexc.com`).
    pub fn new(rest_url: impl Into<String>, credentials: Credentials) -> FuturesRestSigner {
        FuturesRestSigner {
            rest_url: rest_url.into().trim_end_matches('/').to_string(),
            credentials,
            recv_window_ms: None,
        }
    }

    /// Sends `Recv-Window` (ms; the venue's default is 10 s, its maximum 60 s).
    pub fn with_recv_window(mut self, recv_window_ms: u32) -> FuturesRestSigner {
        self.recv_window_ms = Some(recv_window_ms.min(MAX_RECV_WINDOW_MS));
        self
    }

    /// `hex(HMAC_SHA256(secret, apiKey + timestamp + param_string))`.
    pub fn signature(&self, timestamp_ms: u64, param_string: &str) -> String {
        let mut target = String::with_capacity(64 + param_string.len());
        target.push_str(self.credentials.api_key());
        target.push_str(&timestamp_ms.to_string());
        target.push_str(param_string);
        self.credentials.sign(&target)
    }

    /// `GET {path}?{params}` signed at `now`; `params` are sorted by name here.
    pub fn get(
        &self,
        path: &str,
        params: &[(&str, &str)],
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        let mut sorted: Vec<(&str, &str)> = params.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let mut query = String::with_capacity(96);
        for (name, value) in sorted {
            if !query.is_empty() {
                query.push('&');
            }
            encode_into(&mut query, name);
            query.push('=');
            encode_into(&mut query, value);
        }
        let timestamp_ms = now.unix_millis();
        let signature = self.signature(timestamp_ms, &query);
        let mut headers = vec![
            ("ApiKey".to_string(), self.credentials.api_key().to_string()),
            ("Request-Time".to_string(), timestamp_ms.to_string()),
            ("Signature".to_string(), signature),
            ("Content-Type".to_string(), "application/json".to_string()),
        ];
        if let Some(window) = self.recv_window_ms {
            headers.push(("Recv-Window".to_string(), window.to_string()));
        }
        let separator = if query.is_empty() { "" } else { "?" };
        RestRequest {
            id,
            method: RestMethod::Get,
            url: format!("{}{path}{separator}{query}", self.rest_url),
            headers,
            body: Bytes::new(),
        }
    }

    /// [`ASSETS`].
    pub fn assets(&self, id: RestRequestId, now: Timestamp) -> RestRequest {
        self.get(ASSETS, &[], id, now)
    }

    /// [`OPEN_POSITIONS`] of `symbol`, or of every contract.
    pub fn open_positions(
        &self,
        symbol: Option<Symbol>,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        match symbol {
            Some(symbol) => self.get(OPEN_POSITIONS, &[("symbol", symbol.as_str())], id, now),
            None => self.get(OPEN_POSITIONS, &[], id, now),
        }
    }

    /// Page `page` (from 1) of [`OPEN_ORDERS`] of `symbol`, or of every contract (the
    /// path without a symbol: **unconfirmed** that the venue accepts it).
    pub fn open_orders(
        &self,
        symbol: Option<Symbol>,
        page: u32,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        let path = match symbol {
            Some(symbol) => format!("{OPEN_ORDERS}/{symbol}"),
            None => OPEN_ORDERS.to_string(),
        };
        let page = page.to_string();
        let size = PAGE_SIZE.to_string();
        self.get(&path, &[("page_num", &page), ("page_size", &size)], id, now)
    }

    /// [`ORDER`] `order_id`.
    pub fn order(&self, order_id: OrderId, id: RestRequestId, now: Timestamp) -> RestRequest {
        self.get(&format!("{ORDER}/{order_id}"), &[], id, now)
    }

    /// Page `page` (from 1) of [`ORDER_DEALS`] of `symbol` from `start_ms` to `end_ms`.
    pub fn order_deals(
        &self,
        symbol: Symbol,
        start_ms: u64,
        end_ms: u64,
        page: u32,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        self.window(ORDER_DEALS, symbol, (start_ms, end_ms), page, id, now)
    }

    /// Page `page` (from 1) of [`HISTORY_ORDERS`] of `symbol` from `start_ms` to `end_ms`
    /// (every state and category).
    pub fn history_orders(
        &self,
        symbol: Symbol,
        start_ms: u64,
        end_ms: u64,
        page: u32,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        self.window(HISTORY_ORDERS, symbol, (start_ms, end_ms), page, id, now)
    }

    fn window(
        &self,
        path: &str,
        symbol: Symbol,
        (start_ms, end_ms): (u64, u64),
        page: u32,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        let (start, end) = (start_ms.to_string(), end_ms.to_string());
        let (page, size) = (page.to_string(), PAGE_SIZE.to_string());
        self.get(
            path,
            &[
                ("symbol", symbol.as_str()),
                ("start_time", &start),
                ("end_time", &end),
                ("page_num", &page),
                ("page_size", &size),
            ],
            id,
            now,
        )
    }
}

/// The body of an answer, or the error it stands for: no answer, 429/418, a venue error
/// envelope (whatever the status), another non-2xx status.
///
/// # Errors
/// See [`FuturesPrivateError`].
pub fn check_reply<'a>(
    endpoint: &'static str,
    result: &'a Result<RestReply, RestFailure>,
) -> Result<&'a [u8], FuturesPrivateError> {
    let reply = match result {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(FuturesPrivateError::RestFailed {
                endpoint,
                failure: failure.clone(),
            });
        }
    };
    if matches!(reply.status, 418 | 429) {
        return Err(FuturesPrivateError::RateLimited {
            endpoint,
            status: reply.status,
            retry_after: reply.retry_after,
        });
    }
    if (200..300).contains(&reply.status) {
        return Ok(&reply.body);
    }
    match envelope(endpoint, reply.status, &reply.body) {
        Err(error @ FuturesPrivateError::Venue { .. }) => Err(error),
        _ => Err(FuturesPrivateError::Http {
            endpoint,
            status: reply.status,
        }),
    }
}

/// `data` of a `{"success":..,"code":..,"data":..}` answer.
///
/// # Errors
/// [`FuturesPrivateError::Venue`] for `success: false`; [`FuturesPrivateError::Json`].
pub fn envelope<'a>(
    endpoint: &'static str,
    status: u16,
    body: &'a [u8],
) -> Result<Option<&'a RawValue>, FuturesPrivateError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(default)]
        success: Option<bool>,
        #[serde(default)]
        code: Option<i64>,
        #[serde(default)]
        message: Option<String>,
        #[serde(borrow, default)]
        data: Raw<'a>,
    }
    let envelope: Envelope<'_> =
        serde_json::from_slice(body).map_err(|source| FuturesPrivateError::Json {
            context: endpoint,
            source,
        })?;
    let code = envelope.code.unwrap_or(0);
    if envelope.success == Some(false) || code != 0 {
        return Err(FuturesPrivateError::Venue {
            endpoint,
            status,
            code,
            message: envelope.message.unwrap_or_default(),
        });
    }
    Ok(envelope.data)
}

/// The balances of [`ASSETS`], stamped `time_ms`.
///
/// # Errors
/// As [`envelope`]; a bad element.
pub fn parse_assets(
    body: &[u8],
    venue: Venue,
    time_ms: u64,
) -> Result<Vec<Balance>, FuturesPrivateError> {
    let assets: Vec<WireAsset<'_>> = list(ASSETS, body)?;
    assets
        .iter()
        .map(|a| a.to_balance(venue, time_ms))
        .collect()
}

/// The legs of [`OPEN_POSITIONS`] (`time_ms` for those without `updateTime`).
///
/// # Errors
/// As [`envelope`]; a bad element.
pub fn parse_open_positions(
    body: &[u8],
    time_ms: u64,
) -> Result<Vec<PositionLeg>, FuturesPrivateError> {
    let positions: Vec<WirePosition<'_>> = list(OPEN_POSITIONS, body)?;
    positions.iter().map(|p| p.to_leg(time_ms)).collect()
}

/// The orders of one [`OPEN_ORDERS`] page.
///
/// # Errors
/// As [`envelope`]; a bad element.
pub fn parse_open_orders(
    body: &[u8],
    venue: Venue,
    time_ms: u64,
) -> Result<Vec<Order>, FuturesPrivateError> {
    parse_orders(OPEN_ORDERS, body, venue, time_ms)
}

/// The orders of one [`HISTORY_ORDERS`] page (the shape of [`OPEN_ORDERS`]).
///
/// # Errors
/// As [`envelope`]; a bad element.
pub fn parse_history_orders(
    body: &[u8],
    venue: Venue,
    time_ms: u64,
) -> Result<Vec<Order>, FuturesPrivateError> {
    parse_orders(HISTORY_ORDERS, body, venue, time_ms)
}

fn parse_orders(
    endpoint: &'static str,
    body: &[u8],
    venue: Venue,
    time_ms: u64,
) -> Result<Vec<Order>, FuturesPrivateError> {
    let orders: Vec<WireOrder<'_>> = list(endpoint, body)?;
    orders.iter().map(|o| o.to_order(venue, time_ms)).collect()
}

/// The order of [`ORDER`].
///
/// # Errors
/// As [`envelope`]; [`FuturesPrivateError::Missing`] for `data: null`.
pub fn parse_order(body: &[u8], venue: Venue, time_ms: u64) -> Result<Order, FuturesPrivateError> {
    let data =
        envelope(ORDER, 200, body)?.ok_or(FuturesPrivateError::Missing { context: ORDER })?;
    let order: WireOrder<'_> =
        serde_json::from_str(data.get()).map_err(|source| FuturesPrivateError::Json {
            context: ORDER,
            source,
        })?;
    order.to_order(venue, time_ms)
}

/// The fills of one [`ORDER_DEALS`] page.
///
/// # Errors
/// As [`envelope`]; a bad element.
pub fn parse_order_deals(
    body: &[u8],
    venue: Venue,
    time_ms: u64,
) -> Result<Vec<Fill>, FuturesPrivateError> {
    let deals: Vec<WireDeal<'_>> = list(ORDER_DEALS, body)?;
    deals.iter().map(|d| d.to_fill(venue, time_ms)).collect()
}

/// `data` as a list: an array, or (the paged shape before the 2021-03-30 change) an
/// object whose `resultList` is one; `null` is empty.
fn list<'a, T: Deserialize<'a>>(
    endpoint: &'static str,
    body: &'a [u8],
) -> Result<Vec<T>, FuturesPrivateError> {
    #[derive(Deserialize)]
    struct Page<T> {
        #[serde(rename = "resultList", default = "Vec::new")]
        result_list: Vec<T>,
    }
    let Some(data) = envelope(endpoint, 200, body)? else {
        return Ok(Vec::new());
    };
    let json = |source| FuturesPrivateError::Json {
        context: endpoint,
        source,
    };
    if data.get().trim_start().starts_with('[') {
        serde_json::from_str(data.get()).map_err(json)
    } else {
        serde_json::from_str::<Page<T>>(data.get())
            .map(|page| page.result_list)
            .map_err(json)
    }
}

fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(byte >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(byte & 0x0f)]));
        }
    }
}

const MAX_RECV_WINDOW_MS: u32 = 60_000;
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
