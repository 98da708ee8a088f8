//! Authentication: signed REST requests (`KEY`, `Timestamp` and `SIGN` headers) for
//! reconciliation, and the public path of the signatures and the login request.

use bytes::Bytes;
use ws_session::{RestMethod, RestRequest, RestRequestId};

use crate::config::{Credentials, Endpoints};
pub use crate::request::login_request;
pub use crate::sign::{api_signature, rest_signature, subscription_signature};

/// A signed REST request for reconciliation (open orders, balances, positions).
///
/// `path` follows the REST base (`/spot/open_orders`); `query` has no `?`.
pub fn signed_rest_request(
    credentials: &Credentials,
    endpoints: &Endpoints,
    request: SignedRest<'_>,
) -> RestRequest {
    let full_path = format!("{}{}", endpoints.rest_path_prefix(), request.path);
    let signature = rest_signature(
        credentials,
        request.method,
        &full_path,
        request.query,
        &request.body,
        request.timestamp_s,
    );
    let mut url = format!("{}{}", endpoints.rest, request.path);
    if !request.query.is_empty() {
        url.push('?');
        url.push_str(request.query);
    }
    let mut headers = vec![
        ("KEY".to_string(), credentials.api_key().to_string()),
        ("Timestamp".to_string(), request.timestamp_s.to_string()),
        ("SIGN".to_string(), signature),
    ];
    if !request.body.is_empty() {
        headers.push(("Content-Type".to_string(), "application/json".to_string()));
    }
    RestRequest {
        id: request.id,
        method: request.method,
        url,
        headers,
        body: request.body,
    }
}

/// The parts of a signed REST request.
#[derive(Debug, Clone)]
pub struct SignedRest<'a> {
    /// Id echoed in the response.
    pub id: RestRequestId,
    /// HTTP method.
    pub method: RestMethod,
    /// Path after the REST base, starting with `/`.
    pub path: &'a str,
    /// Raw query string without `?`.
    pub query: &'a str,
    /// JSON body (empty for none).
    pub body: Bytes,
    /// Request time, seconds since the Unix epoch.
    pub timestamp_s: u64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use crate::sign::hex;
    use crate::venue::Market;
    use ring::digest;

    fn creds() -> Credentials {
        Credentials::new("ea83fad2604399da16bf97e6eea772a6", "YOUR_API_SECRET")
    }

    #[test]
    fn subscription_vector_from_spec_3_2() {
        assert_eq!(
            subscription_signature(&creds(), "spot.orders", "subscribe", 1611541000),
            "4cec593ad7b7ea6592e2be81f3646a727f5a9ca3a1b90bef3bf9242f62f10e8ab0e3967ba96d1df4ece3a656a77d92b0fb4351321fd3564a125f4652a22deed1"
        );
    }

    #[test]
    fn login_vector_from_spec_3_8() {
        assert_eq!(
            api_signature(&creds(), "spot.login", "", 1681984544),
            "e6870747f5675b65ba82950f1772c382348fb9d7d532ebfcbb0ef541ed6db8a520c1910a92feedad6f28f0c9d2d2e4cddc7125f81c99f488c8734d2407da4552"
        );
    }

    #[test]
    fn login_request_has_the_fixture_shape() {
        let text = login_request(Market::Spot, &creds(), 1681984544, "request-1", None);
        assert_eq!(
            text,
            concat!(
                r#"{"time":1681984544,"channel":"spot.login","event":"api","payload":{"#,
                r#""api_key":"ea83fad2604399da16bf97e6eea772a6","#,
                r#""signature":"e6870747f5675b65ba82950f1772c382348fb9d7d532ebfcbb0ef541ed6db8a520c1910a92feedad6f28f0c9d2d2e4cddc7125f81c99f488c8734d2407da4552","#,
                r#""timestamp":"1681984544","req_id":"request-1"}}"#
            )
        );
        let futures = login_request(Market::Futures, &creds(), 1681984544, "request-1", Some(3));
        assert!(futures.contains(r#""channel":"futures.login""#));
        assert!(futures.contains(r#""id":3"#));
    }

    // Computed with `openssl dgst -sha512 -hmac YOUR_API_SECRET` (not a doc vector).
    #[test]
    fn rest_vectors_computed_with_openssl() {
        assert_eq!(
            hex(digest::digest(&digest::SHA512, b"").as_ref()),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        );
        assert_eq!(
            rest_signature(
                &creds(),
                RestMethod::Get,
                "/api/v4/futures/usdt/orders",
                "contract=BTC_USDT&status=finished&limit=50",
                b"",
                1541993715
            ),
            "8fa7e9f981ef006d3a734d4014a0deda7aac418e5e700c2f1a14e2761e524ffd42290d405c6737b1b2a39b0a89a7c15e86f3f1df4dd088ca3066f7fe49eb86d6"
        );
        assert_eq!(
            rest_signature(
                &creds(),
                RestMethod::Post,
                "/api/v4/futures/usdt/orders",
                "",
                br#"{"contract":"BTC_USDT","size":10,"price":"31503.28","tif":"gtc"}"#,
                1541993715
            ),
            "35c6c645ae6b47891a88f9323f69f26148d4fe968900c53805c68ed865d9640c41780e7b8af0799c746299442b054a5f32f7d59c50d11b5a9097b0b0697044e4"
        );
    }

    #[test]
    fn signed_rest_request_carries_headers() {
        let request = signed_rest_request(
            &creds(),
            &Endpoints::live(Market::Futures),
            SignedRest {
                id: RestRequestId(9),
                method: RestMethod::Get,
                path: "/futures/usdt/orders",
                query: "contract=BTC_USDT&status=finished&limit=50",
                body: Bytes::new(),
                timestamp_s: 1541993715,
            },
        );
        assert_eq!(
            request.url,
            "https://api.gateio.ws/api/v4/futures/usdt/orders?contract=BTC_USDT&status=finished&limit=50"
        );
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap()
        };
        assert_eq!(header("KEY"), "ea83fad2604399da16bf97e6eea772a6");
        assert_eq!(header("Timestamp"), "1541993715");
        assert!(header("SIGN").starts_with("8fa7e9f981ef006d"));
        assert!(!format!("{request:?}").contains("8fa7e9f9"));
    }
}
