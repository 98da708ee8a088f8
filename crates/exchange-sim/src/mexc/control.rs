//! JSON control frames: requests from the client, replies from the venue (§1.3, §1.4).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A client request, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// `{"method":"SUBSCRIPTION","params":[…],"id":N}`.
    Subscribe { id: u64, params: Vec<String> },
    /// `{"method":"UNSUBSCRIPTION","params":[…],"id":N}`.
    Unsubscribe { id: u64, params: Vec<String> },
    /// `{"method":"PING"}` (or `"ping"`, as the official demo sends).
    Ping { id: u64 },
    /// Anything else.
    Invalid { id: u64 },
}

impl Request {
    pub(crate) fn parse(text: &str) -> Request {
        let Ok(raw) = serde_json::from_str::<Raw>(text) else {
            return Request::Invalid { id: 0 };
        };
        // A request id is echoed when it is an unsigned integer, else 0 (§1.3).
        let id = raw
            .id
            .as_ref()
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        match (raw.method.as_deref(), raw.params) {
            (Some("SUBSCRIPTION"), Some(params)) => Request::Subscribe { id, params },
            (Some("UNSUBSCRIPTION"), Some(params)) => Request::Unsubscribe { id, params },
            (Some("PING" | "ping"), _) => Request::Ping { id },
            _ => Request::Invalid { id },
        }
    }
}

#[derive(Debug, Deserialize)]
struct Raw {
    method: Option<String>,
    params: Option<Vec<String>>,
    id: Option<serde_json::Value>,
}

/// `{"id":N,"code":C,"msg":"…"}`, members in that order as the venue sends them.
pub(crate) fn reply(id: u64, code: i64, msg: &str) -> Bytes {
    #[derive(Serialize)]
    struct Reply<'a> {
        id: u64,
        code: i64,
        msg: &'a str,
    }
    match serde_json::to_vec(&Reply { id, code, msg }) {
        Ok(bytes) => Bytes::from(bytes),
        Err(_) => Bytes::from_static(br#"{"id":0,"code":1,"msg":"encode"}"#),
    }
}

/// `Not Subscribed successfully! [a,b].  Reason： <reason> ` — two spaces before
/// `Reason`, a full-width colon (U+FF1A) and a trailing space, as observed (§1.4).
pub(crate) fn not_subscribed(channels: &[String], reason: &str) -> String {
    format!(
        "Not Subscribed successfully! [{}].  Reason\u{ff1a} {reason} ",
        channels.join(",")
    )
}

/// Why a subscription was refused; the Blocked reply keeps `code` 0, as the venue does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a served `.pb` channel (JSON channels, miniTicker, …).
    Blocked,
    /// A served channel for a symbol the venue does not list.
    UnknownSymbol,
    /// The connection already holds `max_subscriptions` channels.
    Limit,
    /// A private channel on a connection without a listen key.
    ListenKeyRequired,
}

impl Refusal {
    /// In the order the replies are sent.
    pub(crate) const ALL: [Refusal; 4] = [
        Refusal::Blocked,
        Refusal::UnknownSymbol,
        Refusal::Limit,
        Refusal::ListenKeyRequired,
    ];

    /// The reply's `code`.
    pub(crate) fn code(self) -> i64 {
        match self {
            Refusal::Blocked => 0,
            Refusal::UnknownSymbol => CODE_UNKNOWN_SYMBOL,
            Refusal::Limit => CODE_LIMIT,
            Refusal::ListenKeyRequired => CODE_LISTEN_KEY_REQUIRED,
        }
    }

    /// The reason text after `Reason：`.
    pub(crate) fn reason(self, limit: usize) -> String {
        match self {
            Refusal::Blocked => "Blocked!".to_owned(),
            Refusal::UnknownSymbol => "Invalid symbol!".to_owned(),
            Refusal::Limit => format!("Subscriptions beyond {limit} are invalid!"),
            Refusal::ListenKeyRequired => "Listen key required!".to_owned(),
        }
    }

    /// The reply's `id`: echoed, except for Blocked, which the venue sends with 0.
    pub(crate) fn reply_id(self, request_id: u64) -> u64 {
        match self {
            Refusal::Blocked => 0,
            _ => request_id,
        }
    }
}

/// `code` of an unparseable request (the simulator's choice; the venue's is undocumented).
pub const CODE_INVALID_REQUEST: i64 = 1;
/// `code` of a subscription to an unknown symbol (simulator's choice).
pub const CODE_UNKNOWN_SYMBOL: i64 = 2;
/// `code` of a subscription beyond the per-connection limit (simulator's choice).
pub const CODE_LIMIT: i64 = 3;
/// `code` of a private subscription without a listen key (simulator's choice).
pub const CODE_LISTEN_KEY_REQUIRED: i64 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests() {
        let sub = r#"{"method":"SUBSCRIPTION","params":["a","b"],"id":7}"#;
        assert_eq!(
            Request::parse(sub),
            Request::Subscribe {
                id: 7,
                params: vec!["a".to_owned(), "b".to_owned()]
            }
        );
        assert_eq!(
            Request::parse(r#"{"method": "UNSUBSCRIPTION", "params": ["a"]}"#),
            Request::Unsubscribe {
                id: 0,
                params: vec!["a".to_owned()]
            }
        );
        assert_eq!(
            Request::parse(r#"{"method": "PING"}"#),
            Request::Ping { id: 0 }
        );
        assert_eq!(
            Request::parse(r#"{"method":"ping","id":3}"#),
            Request::Ping { id: 3 }
        );
        assert_eq!(
            Request::parse(r#"{"method":"SUBSCRIPTION"}"#),
            Request::Invalid { id: 0 }
        );
        assert_eq!(
            Request::parse(r#"{"method":"DANCE","id":4}"#),
            Request::Invalid { id: 4 }
        );
        assert_eq!(Request::parse("nope"), Request::Invalid { id: 0 });
        assert_eq!(
            Request::parse(r#"{"method":"SUBSCRIPTION","params":[1]}"#),
            Request::Invalid { id: 0 }
        );
    }

    #[test]
    fn replies_are_byte_exact() {
        assert_eq!(
            &reply(0, 0, "PONG")[..],
            br#"{"id":0,"code":0,"msg":"PONG"}"#
        );
        let blocked = not_subscribed(
            &[
                "spot@public.increase.depth.v3.api@BTCUSDT".to_owned(),
                "spot@public.aggre.deals.v3.api.pb@BTCUSDT".to_owned(),
                "spot@public.aggre.bookTicker.v3.api.pb@BTCUSDT".to_owned(),
            ],
            "Blocked!",
        );
        assert_eq!(
            blocked,
            "Not Subscribed successfully! [spot@public.increase.depth.v3.api@BTCUSDT,spot@public.aggre.deals.v3.api.pb@BTCUSDT,spot@public.aggre.bookTicker.v3.api.pb@BTCUSDT].  Reason\u{ff1a} Blocked! "
        );
        let text = reply(0, 0, &blocked);
        assert!(std::str::from_utf8(&text).is_ok_and(|t| t.contains('\u{ff1a}')));
    }
}
