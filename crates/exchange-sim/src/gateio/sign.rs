//! Gate APIv4 signatures, computed the way the venue checks them (spec §3.2, §3.8).
//!
//! Pure functions: the caller passes the time, so every rule has a unit test with the
//! spec's vectors.

use ring::{digest, hmac};

/// `hex(HMAC-SHA512(secret, "channel=<channel>&event=<event>&time=<time>"))`, the `SIGN` of a
/// private WebSocket subscription (spec §3.2).
pub fn channel_signature(secret: &str, channel: &str, event: &str, time: i64) -> String {
    hmac_hex(
        secret,
        format!("channel={channel}&event={event}&time={time}").as_bytes(),
    )
}

/// `hex(HMAC-SHA512(secret, "api\n<channel>\n<req_param>\n<timestamp>"))`, the signature of
/// a WebSocket `*.login` request (`req_param` is empty for login) (spec §3.8).
pub fn login_signature(secret: &str, channel: &str, req_param: &str, timestamp: &str) -> String {
    hmac_hex(
        secret,
        format!("api\n{channel}\n{req_param}\n{timestamp}").as_bytes(),
    )
}

/// `hex(HMAC-SHA512(secret, "METHOD\nPATH\nQUERY\nhex(SHA512(body))\nTIMESTAMP"))`, the `SIGN`
/// header of a private REST call. `path` is the full path starting at `/api/v4/`; `query` is
/// the raw query string without `?` (empty when there is none).
pub fn rest_signature(
    secret: &str,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    timestamp: &str,
) -> String {
    let body_hash = hex(digest::digest(&digest::SHA512, body).as_ref());
    hmac_hex(
        secret,
        format!("{method}\n{path}\n{query}\n{body_hash}\n{timestamp}").as_bytes(),
    )
}

/// Compares two signatures without leaking where they differ.
pub(crate) fn signatures_match(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA512, secret.as_bytes());
    hex(hmac::sign(&key, message).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_signature_matches_the_spec_vector() {
        assert_eq!(
            channel_signature("YOUR_API_SECRET", "spot.orders", "subscribe", 1_611_541_000),
            "4cec593ad7b7ea6592e2be81f3646a727f5a9ca3a1b90bef3bf9242f62f10e8a\
             b0e3967ba96d1df4ece3a656a77d92b0fb4351321fd3564a125f4652a22deed1"
        );
    }

    #[test]
    fn login_signature_matches_the_spec_vector() {
        assert_eq!(
            login_signature("YOUR_API_SECRET", "spot.login", "", "1681984544"),
            "e6870747f5675b65ba82950f1772c382348fb9d7d532ebfcbb0ef541ed6db8a5\
             20c1910a92feedad6f28f0c9d2d2e4cddc7125f81c99f488c8734d2407da4552"
        );
    }

    #[test]
    fn rest_signature_hashes_the_body() {
        // SHA512("") is a well-known constant; the signature must change with any part.
        let empty = hex(digest::digest(&digest::SHA512, b"").as_ref());
        assert!(empty.starts_with("cf83e1357eefb8bdf1542850d66d8007"));
        let base = rest_signature("s", "GET", "/api/v4/spot/accounts", "", b"", "1");
        assert_eq!(base.len(), 128);
        assert_ne!(
            base,
            rest_signature("s", "GET", "/api/v4/spot/accounts", "a=1", b"", "1")
        );
        assert_ne!(
            base,
            rest_signature("s", "GET", "/api/v4/spot/accounts", "", b"{}", "1")
        );
        assert!(signatures_match(&base, &base.clone()));
        assert!(!signatures_match(&base, &base[1..]));
    }
}
