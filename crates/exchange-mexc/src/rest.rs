//! REST answers: the depth snapshot, listen keys and MEXC error bodies (spec §1.8–§1.10).

use bytes::Bytes;
use market_types::{Price, Quantity, Symbol};
use serde::Deserialize;
use ws_session::{RestFailure, RestMethod, RestReply, RestRequest, RestRequestId};

use crate::error::Error;

/// `GET {rest_url}/api/v3/depth?symbol=X&limit=L` (public, weight 1).
pub fn depth_snapshot_request(
    rest_url: &str,
    symbol: Symbol,
    limit: u16,
    id: RestRequestId,
) -> RestRequest {
    RestRequest {
        id,
        method: RestMethod::Get,
        url: format!(
            "{}{DEPTH}?symbol={symbol}&limit={limit}",
            rest_url.trim_end_matches('/')
        ),
        headers: Vec::new(),
        body: Bytes::new(),
    }
}

/// The order-book snapshot `{"lastUpdateId":..,"bids":[["p","q"],..],"asks":[..]}`.
///
/// Sample (M1 [Order Book]): `{"lastUpdateId":1112416,"bids":[["15.00000","49999.00000"]],
/// "asks":[["14.0000","1.0000"]]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DepthSnapshot {
    /// The last version the snapshot includes.
    #[serde(rename = "lastUpdateId")]
    pub last_update_id: u64,
    /// Bids, best first.
    pub bids: Vec<(Price, Quantity)>,
    /// Asks, best first.
    pub asks: Vec<(Price, Quantity)>,
}

/// Parses a snapshot body.
///
/// # Errors
/// [`Error::Json`].
pub fn parse_depth_snapshot(body: &[u8]) -> Result<DepthSnapshot, Error> {
    serde_json::from_slice(body).map_err(|source| Error::Json {
        context: "depth snapshot",
        source,
    })
}

/// `{"listenKey":"<key>"}`, the answer to creating, extending or deleting a listen key.
///
/// # Errors
/// [`Error::Json`].
pub fn parse_listen_key(body: &[u8]) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Reply {
        #[serde(rename = "listenKey")]
        listen_key: String,
    }
    serde_json::from_slice::<Reply>(body)
        .map(|reply| reply.listen_key)
        .map_err(|source| Error::Json {
            context: "listen key reply",
            source,
        })
}

/// `{"listenKey":["<key>",..]}`, the answer to listing listen keys.
///
/// # Errors
/// [`Error::Json`].
pub fn parse_listen_keys(body: &[u8]) -> Result<Vec<String>, Error> {
    #[derive(Deserialize)]
    struct Reply {
        #[serde(rename = "listenKey")]
        listen_keys: Vec<String>,
    }
    serde_json::from_slice::<Reply>(body)
        .map(|reply| reply.listen_keys)
        .map_err(|source| Error::Json {
            context: "listen key list",
            source,
        })
}

/// The body of a successful (2xx) answer, or the error it stands for.
///
/// # Errors
/// [`Error::RestFailed`] (no answer), [`Error::RateLimited`] (429, 418),
/// [`Error::Rest`] (a `{"code":..,"msg":..}` body; see [`Error::is_fatal`]) or
/// [`Error::Http`].
pub fn check_reply<'a>(
    endpoint: &'static str,
    result: &'a Result<RestReply, RestFailure>,
) -> Result<&'a [u8], Error> {
    let reply = match result {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(Error::RestFailed {
                endpoint,
                failure: failure.clone(),
            });
        }
    };
    if (200..300).contains(&reply.status) {
        return Ok(&reply.body);
    }
    if matches!(reply.status, 418 | 429) {
        return Err(Error::RateLimited {
            endpoint,
            status: reply.status,
            retry_after: reply.retry_after,
        });
    }
    #[derive(Deserialize)]
    struct ErrorBody {
        code: i64,
        #[serde(default)]
        msg: String,
    }
    match serde_json::from_slice::<ErrorBody>(&reply.body) {
        Ok(body) => Err(Error::Rest {
            endpoint,
            status: reply.status,
            code: body.code,
            msg: body.msg,
        }),
        Err(_) => Err(Error::Http {
            endpoint,
            status: reply.status,
        }),
    }
}

/// The depth endpoint's path, as named in errors.
pub const DEPTH: &str = "/api/v3/depth";

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use std::time::Duration;

    use super::*;

    fn reply(status: u16, body: &'static str) -> Result<RestReply, RestFailure> {
        Ok(RestReply {
            status,
            retry_after: None,
            body: Bytes::from_static(body.as_bytes()),
        })
    }

    #[test]
    fn snapshot_request_url() {
        let request = depth_snapshot_request(
            "https://api.mexc.com/",
            Symbol::new("BTCUSDT").unwrap(),
            5000,
            RestRequestId(3),
        );
        assert_eq!(
            request.url,
            "https://api.mexc.com/api/v3/depth?symbol=BTCUSDT&limit=5000"
        );
        assert_eq!(request.method, RestMethod::Get);
        assert!(request.headers.is_empty());
    }

    #[test]
    fn replies_are_classified() {
        assert_eq!(check_reply(DEPTH, &reply(200, "{}")).unwrap(), b"{}");
        let limited = Ok(RestReply {
            status: 429,
            retry_after: Some(Duration::from_secs(7)),
            body: Bytes::new(),
        });
        let error = check_reply(DEPTH, &limited).unwrap_err();
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        assert!(error.is_retryable());
        let error = check_reply(
            "/api/v3/userDataStream",
            &reply(
                400,
                r#"{"code":700002,"msg":"Signature for this request is not valid."}"#,
            ),
        )
        .unwrap_err();
        assert!(error.is_fatal());
        assert_eq!(
            error.to_string(),
            "REST /api/v3/userDataStream answered HTTP 400, code 700002: Signature for this request is not valid."
        );
        let error = check_reply(DEPTH, &reply(502, "<html>")).unwrap_err();
        assert!(matches!(error, Error::Http { status: 502, .. }));
        assert!(error.is_retryable());
        let error = check_reply(DEPTH, &Err(RestFailure::Connect("refused".into()))).unwrap_err();
        assert!(error.is_retryable());
    }

    #[test]
    fn malformed_snapshots_are_json_errors() {
        for body in [
            &b""[..],
            br#"{"lastUpdateId":-1,"bids":[],"asks":[]}"#,
            br#"{"lastUpdateId":1,"bids":[["1.0"]],"asks":[]}"#,
            br#"{"lastUpdateId":1,"bids":[[1.5,"2"]],"asks":[]}"#,
            br#"{"lastUpdateId":1,"bids":[["x","2"]],"asks":[]}"#,
            br#"{"bids":[],"asks":[]}"#,
        ] {
            assert!(
                matches!(parse_depth_snapshot(body), Err(Error::Json { .. })),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
