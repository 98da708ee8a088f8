//! The contract API's signatures: WebSocket login and signed REST.

use ring::hmac;

/// `hex(HMAC_SHA256(secret, api_key + req_time))`, the `signature` of `login`.
pub fn login_signature(secret: &str, api_key: &str, req_time: &str) -> String {
    rest_signature(secret, api_key, req_time, "")
}

/// `hex(HMAC_SHA256(secret, api_key + request_time + param_string))`, the `Signature`
/// header of a private REST call. `param_string` is the query's `key=value` pairs sorted
/// by key and joined with `&` (GET/DELETE), or the JSON body (POST).
pub fn rest_signature(
    secret: &str,
    api_key: &str,
    request_time: &str,
    param_string: &str,
) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(api_key.as_bytes());
    ctx.update(request_time.as_bytes());
    ctx.update(param_string.as_bytes());
    hex(ctx.sign().as_ref())
}

/// Whether `signature` (hex, either case) is the right one, compared in constant time.
pub(crate) fn verify(secret: &str, parts: [&str; 3], signature: &str) -> bool {
    let Some(tag) = unhex(signature) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hmac::verify(&key, parts.concat().as_bytes(), &tag).is_ok()
}

/// Sorted `key=value` pairs of a query string, joined with `&` (values as sent).
pub(crate) fn param_string(query: Option<&str>) -> String {
    let mut pairs: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .collect();
    pairs.sort_by_key(|pair| pair.split_once('=').map_or(*pair, |(k, _)| k));
    pairs.join("&")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_signature_verifies_and_sorts_params() {
        let sig = login_signature("s", "k", "1611038237237");
        assert_eq!(sig.len(), 64);
        assert!(verify("s", ["k", "1611038237237", ""], &sig));
        assert!(verify("s", ["k", "1611038237237", ""], &sig.to_uppercase()));
        assert!(!verify("s", ["k", "1611038237238", ""], &sig));
        assert!(!verify("s", ["k", "1", ""], "zz"));
        assert_eq!(
            param_string(Some("symbol=BTC_USDT&page_num=1")),
            "page_num=1&symbol=BTC_USDT"
        );
        assert_eq!(param_string(None), "");
    }
}
