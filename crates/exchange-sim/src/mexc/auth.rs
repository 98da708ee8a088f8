//! SIGNED REST requests and listen keys (`shared/spec/protocols.md` §1.8, §1.10).
//!
//! No clock reads here: the current time comes in as an argument.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ring::hmac;

use crate::venue::HttpRequest;

/// `lowercase_hex(HMAC_SHA256(secret, total_params))`, where `total_params` is the query
/// string followed directly by the body, without the `signature` parameter.
///
/// ```
/// use exchange_sim::mexc::sign;
/// assert_eq!(
///     sign("45d0b3c26f2644f19bfb98b07741b2f5", "timestamp=1644489390087"),
///     "09b4b5a40aeec864d2caa60f2e6a740b61dc423d76c5615c00fd72681f52a094",
/// );
/// ```
pub fn sign(secret: &str, total_params: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hex(hmac::sign(&key, total_params.as_bytes()).as_ref())
}

/// Why a SIGNED request was refused; each maps to the venue's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No `X-MEXC-APIKEY` header: 700001.
    MissingKey,
    /// Not the configured key: 10072.
    UnknownKey,
    /// Missing, malformed or wrong `signature`: 700002.
    BadSignature,
    /// `recvWindow` above 60000: 700005.
    RecvWindowTooLarge,
    /// `timestamp` missing or outside the window: 700003.
    OutsideRecvWindow,
}

impl AuthError {
    /// `(code, msg)` of the error body.
    pub(crate) fn code_and_msg(self) -> (i64, &'static str) {
        match self {
            AuthError::MissingKey => (700001, "API-key format invalid."),
            AuthError::UnknownKey => (10072, "Api key info invalid"),
            AuthError::BadSignature => (700002, "Signature for this request is not valid."),
            AuthError::RecvWindowTooLarge => (700005, "recvWindow must less than 60000"),
            AuthError::OutsideRecvWindow => (
                700003,
                "Timestamp for this request is outside of the recvWindow.",
            ),
        }
    }
}

/// The parameters of a request, from its query string and (form-encoded) body.
#[derive(Debug)]
pub(crate) struct Params<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Params<'a> {
    pub(crate) fn of(request: &'a HttpRequest) -> Self {
        let body = std::str::from_utf8(&request.body).unwrap_or("");
        let body = if body.trim_start().starts_with('{') {
            ""
        } else {
            body
        };
        let pairs = request
            .query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .chain(body.split('&'))
            .filter_map(|pair| pair.split_once('='))
            .collect();
        Self { pairs }
    }

    /// The first value of `name`, not percent-decoded.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find_map(|(key, value)| (*key == name).then_some(*value))
    }
}

/// Checks the API key, signature and timestamp of a SIGNED request.
pub(crate) fn verify<'a>(
    request: &'a HttpRequest,
    api_key: &str,
    secret: &str,
    now_ms: i64,
) -> Result<Params<'a>, AuthError> {
    let key = request
        .headers
        .get(API_KEY_HEADER)
        .ok_or(AuthError::MissingKey)?;
    if key.as_bytes() != api_key.as_bytes() {
        return Err(AuthError::UnknownKey);
    }
    let query = request.query.as_deref().unwrap_or("");
    let body = std::str::from_utf8(&request.body).map_err(|_| AuthError::BadSignature)?;
    let (query_rest, query_sig) = without_signature(query);
    let (body_rest, body_sig) = without_signature(body);
    let signature = query_sig.or(body_sig).ok_or(AuthError::BadSignature)?;
    let tag = unhex(signature).ok_or(AuthError::BadSignature)?;
    let total = format!("{query_rest}{body_rest}");
    let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hmac::verify(&hmac_key, total.as_bytes(), &tag).map_err(|_| AuthError::BadSignature)?;

    let params = Params::of(request);
    let window = match params.get("recvWindow") {
        Some(text) => text
            .parse::<i64>()
            .map_err(|_| AuthError::OutsideRecvWindow)?,
        None => DEFAULT_RECV_WINDOW,
    };
    if window > MAX_RECV_WINDOW {
        return Err(AuthError::RecvWindowTooLarge);
    }
    let timestamp = params
        .get("timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or(AuthError::OutsideRecvWindow)?;
    if timestamp >= now_ms + FUTURE_TOLERANCE_MS || now_ms - timestamp > window {
        return Err(AuthError::OutsideRecvWindow);
    }
    Ok(params)
}

/// The user's listen keys and when each expires.
#[derive(Debug, Default)]
pub(crate) struct ListenKeys {
    keys: HashMap<String, Instant>,
    created: u64,
}

impl ListenKeys {
    /// A new 64-character key valid for `lifetime`. `salt` makes keys differ between runs.
    pub(crate) fn create(
        &mut self,
        secret: &str,
        salt: i64,
        now: Instant,
        lifetime: Duration,
    ) -> String {
        self.created += 1;
        let key = sign(secret, &format!("listenKey:{}:{salt}", self.created));
        self.keys.insert(key.clone(), now + lifetime);
        key
    }

    /// Extends a live key to `now + lifetime`; false if unknown or expired.
    pub(crate) fn keep_alive(&mut self, key: &str, now: Instant, lifetime: Duration) -> bool {
        match self.keys.get_mut(key) {
            Some(expiry) if *expiry > now => {
                *expiry = now + lifetime;
                true
            }
            _ => false,
        }
    }

    /// Forgets a key; false if it was unknown or expired.
    pub(crate) fn delete(&mut self, key: &str, now: Instant) -> bool {
        self.keys.remove(key).is_some_and(|expiry| expiry > now)
    }

    /// When a live key expires.
    pub(crate) fn expiry(&self, key: &str, now: Instant) -> Option<Instant> {
        self.keys.get(key).copied().filter(|expiry| *expiry > now)
    }

    /// The live keys, sorted; expired ones are forgotten.
    pub(crate) fn live(&mut self, now: Instant) -> Vec<String> {
        self.keys.retain(|_, expiry| *expiry > now);
        let mut keys: Vec<String> = self.keys.keys().cloned().collect();
        keys.sort();
        keys
    }
}

/// Splits off `signature=…` pairs; returns the rest re-joined and the signature.
fn without_signature(params: &str) -> (String, Option<&str>) {
    let mut signature = None;
    let rest: Vec<&str> = params
        .split('&')
        .filter(|pair| match pair.strip_prefix("signature=") {
            Some(value) => {
                signature = Some(value);
                false
            }
            None => true,
        })
        .collect();
    (rest.join("&"), signature)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// The API key header (HTTP header names are case-insensitive).
pub const API_KEY_HEADER: &str = "x-mexc-apikey";
const DEFAULT_RECV_WINDOW: i64 = 5_000;
const MAX_RECV_WINDOW: i64 = 60_000;
/// The venue accepts `timestamp < serverTime + 1000`.
const FUTURE_TOLERANCE_MS: i64 = 1_000;

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    use super::*;

    const SECRET: &str = "45d0b3c26f2644f19bfb98b07741b2f5";

    fn request(query: &str, key: Option<&str>) -> HttpRequest {
        let mut headers = HeaderMap::new();
        if let Some(key) = key {
            headers.insert("X-MEXC-APIKEY", HeaderValue::from_str(key).unwrap());
        }
        HttpRequest {
            method: Method::POST,
            path: "/api/v3/userDataStream".to_owned(),
            query: Some(query.to_owned()),
            headers,
            body: Bytes::new(),
        }
    }

    #[test]
    fn spec_vectors() {
        assert_eq!(
            sign(
                SECRET,
                "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
            ),
            "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
        );
        assert_eq!(
            sign(SECRET, "timestamp=1644489390087"),
            "09b4b5a40aeec864d2caa60f2e6a740b61dc423d76c5615c00fd72681f52a094"
        );
    }

    #[test]
    fn verifies_signature_key_and_window() {
        let now = 1_644_489_391_000;
        let good = "timestamp=1644489390087&signature=09b4b5a40aeec864d2caa60f2e6a740b61dc423d76c5615c00fd72681f52a094";
        assert!(verify(&request(good, Some("k")), "k", SECRET, now).is_ok());
        assert_eq!(
            verify(&request(good, None), "k", SECRET, now).err(),
            Some(AuthError::MissingKey)
        );
        assert_eq!(
            verify(&request(good, Some("other")), "k", SECRET, now).err(),
            Some(AuthError::UnknownKey)
        );
        let bad = good.replace("09b4", "19b4");
        assert_eq!(
            verify(&request(&bad, Some("k")), "k", SECRET, now).err(),
            Some(AuthError::BadSignature)
        );
        assert_eq!(
            verify(&request(good, Some("k")), "k", SECRET, now + 10_000).err(),
            Some(AuthError::OutsideRecvWindow)
        );
        assert_eq!(
            verify(&request(good, Some("k")), "k", SECRET, now - 5_000).err(),
            Some(AuthError::OutsideRecvWindow),
            "from the future"
        );
    }

    #[test]
    fn body_is_signed_after_the_query() {
        let mut req = request("symbol=BTCUSDT", Some("k"));
        let body = "timestamp=1000";
        let signature = sign(SECRET, &format!("symbol=BTCUSDT{body}"));
        req.body = Bytes::from(format!("{body}&signature={signature}"));
        // The body's form pairs are parameters too (the timestamp comes from it).
        assert!(verify(&req, "k", SECRET, 1_500).is_ok());
    }

    #[test]
    fn listen_keys_live_and_die() {
        let mut keys = ListenKeys::default();
        let t0 = Instant::now();
        let life = Duration::from_secs(10);
        let a = keys.create(SECRET, 1, t0, life);
        let b = keys.create(SECRET, 1, t0, life);
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(keys.keep_alive(&a, t0 + Duration::from_secs(9), life));
        assert_eq!(keys.expiry(&b, t0 + Duration::from_secs(11)), None);
        assert!(keys.expiry(&a, t0 + Duration::from_secs(11)).is_some());
        assert_eq!(keys.live(t0 + Duration::from_secs(11)), vec![a.clone()]);
        assert!(!keys.keep_alive(&b, t0 + Duration::from_secs(11), life));
        assert!(keys.delete(&a, t0 + Duration::from_secs(12)));
        assert!(!keys.delete(&a, t0 + Duration::from_secs(12)));
    }
}
