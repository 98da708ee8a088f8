//! The signed APIv4 calls of a reconciliation round, and Gate's REST errors.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use market_types::{OrderId, Symbol};
use serde::Deserialize;
use ws_handlers::ClockOffset;
use ws_session::{RestFailure, RestMethod, RestReply, RestRequest, RestRequestId, Timestamp};

use crate::auth::rest_signature;
use crate::channel::Market;
use crate::config::Credentials;

use super::super::config::GateioHandlerConfig;

/// Signs APIv4 GET requests: `KEY`, `Timestamp`, `SIGN` over the path from the signature
/// prefix on. Debug does not show the credentials.
#[derive(Clone)]
pub(crate) struct RestSigner {
    credentials: Credentials,
    base: String,
    prefix: String,
    /// The venue's clock minus ours: requests carry the venue's time.
    clock: ClockOffset,
}

impl fmt::Debug for RestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestSigner")
            .field("credentials", &"<redacted>")
            .field("base", &self.base)
            .field("prefix", &self.prefix)
            .field("clock_offset_ms", &self.clock.millis())
            .finish()
    }
}

impl RestSigner {
    pub(crate) fn new(config: &GateioHandlerConfig) -> Option<RestSigner> {
        Some(RestSigner {
            credentials: config.credentials.clone()?,
            base: config.endpoints.rest.clone(),
            prefix: config.signature_prefix().to_string(),
            clock: ClockOffset::new(),
        })
    }

    /// Signs with the venue's time as `clock` tells it.
    pub(crate) fn set_clock(&mut self, clock: ClockOffset) {
        self.clock = clock;
    }

    /// `GET {base}{path}?{query}`, signed.
    pub(crate) fn get(
        &self,
        id: RestRequestId,
        path: &str,
        query: &str,
        now: Timestamp,
    ) -> RestRequest {
        let timestamp = self.clock.venue_seconds(now);
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
    /// One page of the open orders (spot: of each pair's), from 0.
    OpenOrders {
        /// Page number from 0.
        page: u32,
    },
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
            (Market::Spot, Call::OpenOrders { page }) => (
                "/spot/open_orders".into(),
                format!("limit={OPEN_ORDERS_PAGE}{}", page_param(page)),
            ),
            (Market::Futures, Call::OpenOrders { page }) => (
                "/futures/usdt/orders".into(),
                format!(
                    "status=open&limit={OPEN_ORDERS_PAGE}{}",
                    offset_param(page, OPEN_ORDERS_PAGE)
                ),
            ),
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
            Call::OpenOrders { page } => Some(Call::OpenOrders {
                page: page.checked_add(1)?,
            }),
            Call::FinishedOrders { window, page } => Some(Call::FinishedOrders {
                window,
                page: page.checked_add(1)?,
            }),
            Call::Fills { window, page } => Some(Call::Fills {
                window,
                page: page.checked_add(1)?,
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
    /// Rejected credentials: retrying cannot help. An expired request is not one (the
    /// clock is measured again and the call retried), nor a 403 without a credential
    /// label.
    pub(crate) fn is_fatal(&self) -> bool {
        match self {
            RestError::Status { status, label, .. } => {
                !self.is_expired()
                    && (*status == 401
                        || matches!(
                            label.as_str(),
                            "INVALID_KEY"
                                | "INVALID_SIGNATURE"
                                | "MISSING_REQUIRED_HEADER"
                                | "FORBIDDEN"
                                | "IP_FORBIDDEN"
                        ))
            }
            _ => false,
        }
    }

    /// A client error asking again cannot change (a refused parameter, an unknown pair):
    /// any 4xx but timeouts, rate limits and bans (408, 418, 425, 429) and an expired
    /// signature (a fresh timestamp may pass).
    pub(crate) fn is_refused(&self) -> bool {
        match self {
            RestError::Status { status, label, .. } => {
                (400..500).contains(status)
                    && !matches!(*status, 408 | 418 | 425 | 429)
                    && label != "REQUEST_EXPIRED"
                    && label != "TOO_MANY_REQUESTS"
            }
            _ => false,
        }
    }

    /// The request's `Timestamp` was outside the venue's window (`REQUEST_EXPIRED`).
    pub(crate) fn is_expired(&self) -> bool {
        matches!(self, RestError::Status { label, .. } if label == "REQUEST_EXPIRED")
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

/// Rows of one open-orders page (spot: of each pair; Gate's largest spot `limit`).
pub(crate) const OPEN_ORDERS_PAGE: usize = 100;
/// Open orders are listed over at most this many pages; beyond, the listing is reported
/// as incomplete rather than paged for ever.
pub(crate) const MAX_OPEN_ORDER_PAGES: u32 = 100;

/// Whether an answer says the request's time was outside the venue's window.
pub(crate) fn is_expired(result: &Result<RestReply, RestFailure>) -> bool {
    body(result).is_err_and(|error| error.is_expired())
}

/// Rows of one finished-orders page.
pub(crate) const ORDERS_PAGE: usize = 100;
/// Rows of one trade-history page (Gate's largest `limit`).
pub(crate) const FILLS_PAGE: usize = 1000;
