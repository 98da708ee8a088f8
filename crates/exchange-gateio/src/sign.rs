//! HMAC-SHA512 signatures (ring), with time always passed in.
//!
//! Three schemes (spec §3.2, §3.8, Gate REST APIv4):
//!
//! - private channel subscriptions sign `channel=<channel>&event=<event>&time=<time>`;
//! - WebSocket API login (`spot.login`, `futures.login`) signs
//!   `api\n<channel>\n<req_param>\n<timestamp>`;
//! - REST requests sign `METHOD\nPATH\nQUERY\nHEX(SHA512(body))\nTIMESTAMP`.
//!
//! Every signature is lowercase hex.

use ring::{digest, hmac};
use ws_session::RestMethod;

use crate::config::Credentials;

/// `SIGN` of a private subscribe/unsubscribe request.
pub fn subscription_signature(
    credentials: &Credentials,
    channel: &str,
    event: &str,
    time_s: u64,
) -> String {
    let message = format!("channel={channel}&event={event}&time={time_s}");
    sign(credentials, message.as_bytes())
}

/// `signature` of a WebSocket API request; `req_param` is the request's parameter JSON
/// as sent (the empty string for login).
pub fn api_signature(
    credentials: &Credentials,
    channel: &str,
    req_param: &str,
    timestamp_s: u64,
) -> String {
    let message = format!("api\n{channel}\n{req_param}\n{timestamp_s}");
    sign(credentials, message.as_bytes())
}

/// `SIGN` header of a REST APIv4 request. `path` is the full path including the
/// `/api/v4` prefix; `query` is the raw query string without `?` (empty for none).
pub fn rest_signature(
    credentials: &Credentials,
    method: RestMethod,
    path: &str,
    query: &str,
    body: &[u8],
    timestamp_s: u64,
) -> String {
    let body_hash = hex(digest::digest(&digest::SHA512, body).as_ref());
    let message = format!(
        "{}\n{path}\n{query}\n{body_hash}\n{timestamp_s}",
        method_name(method)
    );
    sign(credentials, message.as_bytes())
}

fn sign(credentials: &Credentials, message: &[u8]) -> String {
    hex(hmac::sign(credentials.hmac_key(), message).as_ref())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn method_name(method: RestMethod) -> &'static str {
    match method {
        RestMethod::Get => "GET",
        RestMethod::Post => "POST",
        RestMethod::Put => "PUT",
        RestMethod::Delete => "DELETE",
    }
}
