//! Signed REST requests: listen keys for the user data stream, and the calls used to
//! reconcile private state after a reconnect (spec §1.8). Time is passed in.
//!
//! `signature = lowercase_hex(HMAC_SHA256(secret, totalParams))`, where `totalParams` is
//! the query string followed by the body. Every request here carries its parameters in the
//! query and has an empty body, so `totalParams` is the query string without `signature`,
//! which is appended last.

use bytes::Bytes;
use market_types::Symbol;
use ws_handlers::ClockOffset;
use ws_session::{RestMethod, RestRequest, RestRequestId, Timestamp};

use crate::config::Credentials;

/// Builds signed REST requests for one account. Clones share the clock offset.
#[derive(Debug, Clone)]
pub struct RestSigner {
    rest_url: String,
    credentials: Credentials,
    recv_window_ms: Option<u32>,
    /// The venue's clock minus ours: `timestamp` is the venue's time.
    clock: ClockOffset,
}

impl RestSigner {
    /// Requests against `rest_url` (e.g. `https://api.mexc.com`) signed with `credentials`.
    pub fn new(rest_url: impl Into<String>, credentials: Credentials) -> RestSigner {
        RestSigner {
            rest_url: rest_url.into().trim_end_matches('/').to_string(),
            credentials,
            recv_window_ms: None,
            clock: ClockOffset::new(),
        }
    }

    /// Signs with the venue's time as `clock` tells it (a measured offset).
    pub fn with_clock(mut self, clock: ClockOffset) -> RestSigner {
        self.clock = clock;
        self
    }

    /// Sends `recvWindow` (ms; the venue caps it at 60 000) with every request.
    pub fn with_recv_window(mut self, recv_window_ms: u32) -> RestSigner {
        self.recv_window_ms = Some(recv_window_ms.min(MAX_RECV_WINDOW_MS));
        self
    }

    /// `POST /api/v3/userDataStream`: a new listen key, valid 60 minutes.
    pub fn create_listen_key(&self, id: RestRequestId, now: Timestamp) -> RestRequest {
        self.signed(RestMethod::Post, USER_DATA_STREAM, &[], id, now)
    }

    /// `PUT /api/v3/userDataStream`: extends `listen_key` to 60 minutes from now
    /// (recommended every 30 minutes).
    pub fn keep_alive_listen_key(
        &self,
        listen_key: &str,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        self.signed(
            RestMethod::Put,
            USER_DATA_STREAM,
            &[("listenKey", listen_key)],
            id,
            now,
        )
    }

    /// `DELETE /api/v3/userDataStream`: closes `listen_key`.
    pub fn delete_listen_key(
        &self,
        listen_key: &str,
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        self.signed(
            RestMethod::Delete,
            USER_DATA_STREAM,
            &[("listenKey", listen_key)],
            id,
            now,
        )
    }

    /// `GET /api/v3/userDataStream`: the account's valid listen keys.
    pub fn list_listen_keys(&self, id: RestRequestId, now: Timestamp) -> RestRequest {
        self.signed(RestMethod::Get, USER_DATA_STREAM, &[], id, now)
    }

    /// `GET /api/v3/openOrders?symbol=..`: open orders of one symbol, for reconciliation.
    pub fn open_orders(&self, symbol: Symbol, id: RestRequestId, now: Timestamp) -> RestRequest {
        self.signed(
            RestMethod::Get,
            OPEN_ORDERS,
            &[("symbol", symbol.as_str())],
            id,
            now,
        )
    }

    /// `GET /api/v3/account`: balances, for reconciliation.
    pub fn account(&self, id: RestRequestId, now: Timestamp) -> RestRequest {
        self.signed(RestMethod::Get, ACCOUNT, &[], id, now)
    }

    /// The signed query string for `params` at `timestamp_ms`: the parameters in order,
    /// then `recvWindow`, then `timestamp`, then `signature`.
    pub fn signed_query(&self, params: &[(&str, &str)], timestamp_ms: u64) -> String {
        let mut query = String::with_capacity(128);
        for (name, value) in params {
            push_param(&mut query, name, value);
        }
        if let Some(window) = self.recv_window_ms {
            push_param(&mut query, "recvWindow", &window.to_string());
        }
        push_param(&mut query, "timestamp", &timestamp_ms.to_string());
        let signature = self.credentials.sign(&query);
        push_param(&mut query, "signature", &signature);
        query
    }

    /// A signed `GET {path}?{params}` (the reconciliation history queries).
    pub(crate) fn get(
        &self,
        path: &str,
        params: &[(&str, &str)],
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        self.signed(RestMethod::Get, path, params, id, now)
    }

    fn signed(
        &self,
        method: RestMethod,
        path: &str,
        params: &[(&str, &str)],
        id: RestRequestId,
        now: Timestamp,
    ) -> RestRequest {
        let query = self.signed_query(params, self.clock.venue_millis(now));
        RestRequest {
            id,
            method,
            url: format!("{}{path}?{query}", self.rest_url),
            headers: vec![
                (
                    API_KEY_HEADER.to_string(),
                    self.credentials.api_key().to_string(),
                ),
                ("Content-Type".to_string(), "application/json".to_string()),
            ],
            body: Bytes::new(),
        }
    }
}

/// Appends `name=value`, percent-encoding everything outside RFC 3986's unreserved set.
fn push_param(query: &mut String, name: &str, value: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    encode_into(query, name);
    query.push('=');
    encode_into(query, value);
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

/// The header MEXC reads the API key from.
pub const API_KEY_HEADER: &str = "X-MEXC-APIKEY";

const USER_DATA_STREAM: &str = "/api/v3/userDataStream";
const OPEN_ORDERS: &str = "/api/v3/openOrders";
const ACCOUNT: &str = "/api/v3/account";
const MAX_RECV_WINDOW_MS: u32 = 60_000;
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    const SECRET: &str = "45d0b3c26f2644f19bfb98b07741b2f5";

    fn at(ms: u64) -> Timestamp {
        Timestamp::new(Instant::now(), ms * 1_000_000)
    }

    #[test]
    fn spec_signature_vectors() {
        let credentials = Credentials::new("key", SECRET);
        assert_eq!(
            credentials.sign(
                "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
            ),
            "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
        );
        assert_eq!(
            credentials.sign("timestamp=1644489390087"),
            "09b4b5a40aeec864d2caa60f2e6a740b61dc423d76c5615c00fd72681f52a094"
        );
    }

    #[test]
    fn signed_query_matches_the_spec_vector() {
        let signer = RestSigner::new("https://api.mexc.com", Credentials::new("key", SECRET))
            .with_recv_window(5000);
        let query = signer.signed_query(
            &[
                ("symbol", "BTCUSDT"),
                ("side", "BUY"),
                ("type", "LIMIT"),
                ("quantity", "1"),
                ("price", "11"),
            ],
            1_644_489_390_087,
        );
        assert_eq!(
            query,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087&signature=fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
        );
    }

    #[test]
    fn listen_key_requests() {
        let signer = RestSigner::new("https://api.mexc.com/", Credentials::new("my-key", SECRET));
        let post = signer.create_listen_key(RestRequestId(1), at(1_644_489_390_087));
        assert_eq!(post.method, RestMethod::Post);
        assert_eq!(
            post.url,
            "https://api.mexc.com/api/v3/userDataStream?timestamp=1644489390087&signature=09b4b5a40aeec864d2caa60f2e6a740b61dc423d76c5615c00fd72681f52a094"
        );
        assert_eq!(post.id, RestRequestId(1));
        assert!(post.body.is_empty());
        assert!(
            post.headers
                .contains(&("X-MEXC-APIKEY".to_string(), "my-key".to_string()))
        );
        assert!(
            !format!("{post:?}").contains("my-key"),
            "the driver's Debug hides header values"
        );

        let put = signer.keep_alive_listen_key("abc", RestRequestId(2), at(5));
        assert_eq!(put.method, RestMethod::Put);
        let query = "listenKey=abc&timestamp=5";
        let credentials = Credentials::new("my-key", SECRET);
        assert_eq!(
            put.url,
            format!(
                "https://api.mexc.com/api/v3/userDataStream?{query}&signature={}",
                credentials.sign(query)
            )
        );
        let delete = signer.delete_listen_key("abc", RestRequestId(3), at(5));
        assert_eq!(delete.method, RestMethod::Delete);
        assert_eq!(delete.url, put.url);
        let list = signer.list_listen_keys(RestRequestId(4), at(5));
        assert_eq!(list.method, RestMethod::Get);
        assert!(
            list.url
                .starts_with("https://api.mexc.com/api/v3/userDataStream?timestamp=5&signature=")
        );
    }

    #[test]
    fn reconciliation_requests() {
        let signer = RestSigner::new("http://127.0.0.1:1", Credentials::new("k", SECRET))
            .with_recv_window(90_000);
        let orders = signer.open_orders(
            Symbol::new("MXUSDT").unwrap_or_else(|_| unreachable!()),
            RestRequestId(9),
            at(7),
        );
        assert_eq!(orders.method, RestMethod::Get);
        let query = "symbol=MXUSDT&recvWindow=60000&timestamp=7";
        assert_eq!(
            orders.url,
            format!(
                "http://127.0.0.1:1/api/v3/openOrders?{query}&signature={}",
                Credentials::new("k", SECRET).sign(query)
            )
        );
        let account = signer.account(RestRequestId(10), at(7));
        assert!(account.url.starts_with(
            "http://127.0.0.1:1/api/v3/account?recvWindow=60000&timestamp=7&signature="
        ));
    }

    #[test]
    fn parameters_are_percent_encoded() {
        let mut query = String::new();
        push_param(&mut query, "a b", "x&y=z/ü");
        assert_eq!(query, "a%20b=x%26y%3Dz%2F%C3%BC");
    }
}
