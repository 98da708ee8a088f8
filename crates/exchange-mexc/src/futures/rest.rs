//! REST: the depth snapshot (`GET /api/v1/contract/depth/{symbol}`), the latest depth
//! increments (`GET /api/v1/contract/depth_commits/{symbol}/{limit}`) and contract
//! details (`GET /api/v1/contract/detail`, for the contract size). Answers come in the
//! envelope `{"success":true,"code":0,"data":…}`; a bare body (as one documentation
//! example shows) is accepted too.

use bytes::Bytes;
use json_scan::read;
use json_scan::{Fault, Scanner, Span};
use market_types::{Decimal, Symbol};
use ws_session::{RestFailure, RestMethod, RestReply, RestRequest, RestRequestId};

use super::error::FuturesError;
use super::wire::{DepthData, depth_data};

/// The futures REST base.
pub const REST_URL: &str = "https://contract.mexc.com";
/// The snapshot path, before the contract.
pub const DEPTH: &str = "/api/v1/contract/depth/";
/// The increments path, before the contract.
pub const DEPTH_COMMITS: &str = "/api/v1/contract/depth_commits/";
/// Contract details.
pub const CONTRACT_DETAIL: &str = "/api/v1/contract/detail";

fn get(id: RestRequestId, url: String) -> RestRequest {
    RestRequest {
        id,
        method: RestMethod::Get,
        url,
        headers: Vec::new(),
        body: Bytes::new(),
    }
}

/// A symbol as a URL path segment or query value (letters, digits and `_-.~` as they
/// are, anything else percent-encoded).
fn url_escaped(symbol: Symbol) -> String {
    let mut out = String::with_capacity(symbol.as_str().len());
    for &b in symbol.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET {rest_url}/api/v1/contract/depth/{symbol}?limit={limit}`.
pub fn depth_snapshot_request(
    rest_url: &str,
    symbol: Symbol,
    limit: u16,
    id: RestRequestId,
) -> RestRequest {
    let base = rest_url.trim_end_matches('/');
    get(
        id,
        format!("{base}{DEPTH}{}?limit={limit}", url_escaped(symbol)),
    )
}

/// `GET {rest_url}/api/v1/contract/depth_commits/{symbol}/{limit}`.
pub fn depth_commits_request(
    rest_url: &str,
    symbol: Symbol,
    limit: u16,
    id: RestRequestId,
) -> RestRequest {
    let base = rest_url.trim_end_matches('/');
    get(
        id,
        format!("{base}{DEPTH_COMMITS}{}/{limit}", url_escaped(symbol)),
    )
}

/// `GET {rest_url}/api/v1/contract/detail` (every contract) or `?symbol=X` (one).
pub fn contract_detail_request(
    rest_url: &str,
    symbol: Option<Symbol>,
    id: RestRequestId,
) -> RestRequest {
    let base = rest_url.trim_end_matches('/');
    let url = match symbol {
        Some(symbol) => format!("{base}{CONTRACT_DETAIL}?symbol={}", url_escaped(symbol)),
        None => format!("{base}{CONTRACT_DETAIL}"),
    };
    get(id, url)
}

/// The body of a 2xx answer; everything else as an error.
///
/// # Errors
/// [`FuturesError::RestFailed`], [`FuturesError::RateLimited`] (HTTP 418/429) or
/// [`FuturesError::Rest`].
pub fn check_reply<'a>(
    endpoint: &'static str,
    result: &'a Result<RestReply, RestFailure>,
) -> Result<&'a [u8], FuturesError> {
    let reply = result
        .as_ref()
        .map_err(|failure| FuturesError::RestFailed {
            endpoint,
            failure: failure.clone(),
        })?;
    if (200..300).contains(&reply.status) {
        return Ok(&reply.body);
    }
    if matches!(reply.status, 418 | 429) {
        return Err(FuturesError::RateLimited {
            endpoint,
            status: reply.status,
            retry_after: reply.retry_after,
        });
    }
    let (code, message) = envelope(&reply.body)
        .ok()
        .and_then(|e| e.refusal)
        .unwrap_or((
            0,
            String::from_utf8_lossy(reply.body.get(..200).unwrap_or(&reply.body)).into_owned(),
        ));
    Err(FuturesError::Rest {
        endpoint,
        status: reply.status,
        code,
        message,
    })
}

/// What the envelope says.
struct Envelope {
    /// `data`'s extent, or the whole body when it is bare.
    data: Span,
    /// `(code, message)` when `success` is false or `code` is not 0.
    refusal: Option<(i64, String)>,
}

fn envelope(body: &[u8]) -> Result<Envelope, Fault> {
    let mut sc = Scanner::new(body);
    sc.begin_object()?;
    let mut success = None;
    let mut code = 0;
    let mut message = None;
    let mut data = None;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"success" => success = Some(read::boolean(&mut sc, "success")?),
            b"code" => code = read::int(&mut sc, "code")?,
            b"message" | b"msg" => message = Some(read::text(&mut sc, "message")?.to_text()),
            b"data" => {
                sc.peek()?;
                let start = sc.pos();
                sc.skip_value()?;
                data = Some(Span {
                    start,
                    end: sc.pos(),
                });
            }
            _ => sc.skip_value()?,
        }
    }
    sc.finish()?;
    if success.is_none() && data.is_none() {
        return Ok(Envelope {
            data: Span {
                start: 0,
                end: body.len(),
            },
            refusal: None,
        });
    }
    let refused = success == Some(false) || code != 0;
    Ok(Envelope {
        data: data.unwrap_or_default(),
        refusal: refused.then(|| (code, message.unwrap_or_default())),
    })
}

/// The `data` of a 2xx body: its extent, or the venue's refusal.
fn data_of(endpoint: &'static str, body: &[u8]) -> Result<Span, FuturesError> {
    let found = envelope(body).map_err(|fault| FuturesError::from_fault(endpoint, fault))?;
    match found.refusal {
        Some((code, message)) => Err(FuturesError::Rest {
            endpoint,
            status: 200,
            code,
            message,
        }),
        None => Ok(found.data),
    }
}

/// A depth snapshot: levels `[price, contracts, orderCount]`, `version`, `timestamp`.
pub type DepthSnapshot<'a> = DepthData<'a>;

/// Parses a snapshot body (enveloped or bare); the levels are read when loaded.
///
/// # Errors
/// A refusal in the envelope or a malformed body.
pub fn parse_depth_snapshot(body: &[u8]) -> Result<DepthSnapshot<'_>, FuturesError> {
    let span = data_of("depth snapshot", body)?;
    depth_data(&mut Scanner::at(body, span.start))
        .map_err(|fault| FuturesError::from_fault("depth snapshot", fault))
}

/// Parses a `depth_commits` body: a list of increments, each like a `push.depth` body,
/// in the venue's order.
///
/// # Errors
/// A refusal in the envelope or a malformed body.
pub fn parse_depth_commits(body: &[u8]) -> Result<Vec<DepthData<'_>>, FuturesError> {
    let span = data_of("depth commits", body)?;
    let walk = || {
        let mut sc = Scanner::at(body, span.start);
        let mut commits = Vec::new();
        sc.begin_array()?;
        let mut first = true;
        while sc.next_item(&mut first)? {
            commits.push(depth_data(&mut sc)?);
        }
        Ok(commits)
    };
    walk().map_err(|fault| FuturesError::from_fault("depth commits", fault))
}

/// What `/api/v1/contract/detail` says about one contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractDetail {
    /// The contract (`BTC_USDT`).
    pub symbol: Symbol,
    /// Base amount of one contract (`0.0001` BTC): `contracts × contract_size` is the
    /// base amount.
    pub contract_size: Decimal,
    /// Price tick (`priceUnit`).
    pub price_unit: Option<Decimal>,
    /// Contract step (`volUnit`).
    pub vol_unit: Option<Decimal>,
    /// Smallest order in contracts (`minVol`).
    pub min_vol: Option<Decimal>,
    /// Largest order in contracts (`maxVol`).
    pub max_vol: Option<Decimal>,
}

impl ContractDetail {
    /// `contracts` in the base asset, `None` on overflow.
    pub fn base_amount(&self, contracts: Decimal) -> Option<Decimal> {
        contracts.checked_mul(self.contract_size)
    }
}

/// Parses a contract detail body: `data` is one contract (asked with `?symbol=`) or a
/// list of them.
///
/// # Errors
/// A refusal in the envelope or a malformed body.
pub fn parse_contract_details(body: &[u8]) -> Result<Vec<ContractDetail>, FuturesError> {
    let span = data_of("contract detail", body)?;
    let walk = || {
        let mut sc = Scanner::at(body, span.start);
        let mut details = Vec::new();
        if sc.peek()? == b'{' {
            details.push(contract_detail(&mut sc)?);
            return Ok(details);
        }
        sc.begin_array()?;
        let mut first = true;
        while sc.next_item(&mut first)? {
            details.push(contract_detail(&mut sc)?);
        }
        Ok(details)
    };
    walk().map_err(|fault| FuturesError::from_fault("contract detail", fault))
}

fn contract_detail(sc: &mut Scanner<'_>) -> Result<ContractDetail, Fault> {
    let at = sc.pos();
    sc.begin_object()?;
    let mut symbol = None;
    let mut contract_size = None;
    let (mut price_unit, mut vol_unit, mut min_vol, mut max_vol) = (None, None, None, None);
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"symbol" => symbol = Some(read::symbol(sc, "symbol")?),
            b"contractSize" => contract_size = read::opt_decimal(sc, "contractSize")?,
            b"priceUnit" => price_unit = read::opt_decimal(sc, "priceUnit")?,
            b"volUnit" => vol_unit = read::opt_decimal(sc, "volUnit")?,
            b"minVol" => min_vol = read::opt_decimal(sc, "minVol")?,
            b"maxVol" => max_vol = read::opt_decimal(sc, "maxVol")?,
            _ => sc.skip_value()?,
        }
    }
    Ok(ContractDetail {
        symbol: symbol.ok_or(Fault::missing("symbol", at))?,
        contract_size: contract_size.ok_or(Fault::missing("contractSize", at))?,
        price_unit,
        vol_unit,
        min_vol,
        max_vol,
    })
}
