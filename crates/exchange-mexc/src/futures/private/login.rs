//! The private stream's login and push filter (futures WebSocket docs, "Private
//! channels", "Subscription filtering").
//!
//! `{"subscribe":false,"method":"login","param":{"apiKey":..,"reqTime":"<ms>",
//! "signature":hex(HMAC_SHA256(secret, apiKey + reqTime))}}`, then
//! `{"method":"personal.filter","param":{"filters":[..]}}` naming the channels and
//! contracts wanted. `"subscribe": false` turns off the default push of every private
//! channel, so only the filtered ones arrive. The docs put `subscribe` at the top level
//! (sent there); whether the venue also honours it inside `param` is **unconfirmed**.

use std::fmt;

use market_types::Symbol;
use serde::Serialize;
use ws_session::OutFrame;

use crate::config::Credentials;

/// `hex(HMAC_SHA256(secret, apiKey + reqTime))`, the login signature.
pub fn login_signature(credentials: &Credentials, req_time_ms: u64) -> String {
    let mut target = String::with_capacity(credentials.api_key().len() + 20);
    target.push_str(credentials.api_key());
    target.push_str(&req_time_ms.to_string());
    credentials.sign(&target)
}

/// A signed login message. Its `Debug` shows neither the key nor the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginRequest {
    text: String,
    req_time_ms: u64,
}

impl LoginRequest {
    /// The login for `credentials` at wall-clock `req_time_ms` (the venue checks it
    /// against its clock), with the default pushes off.
    pub fn new(credentials: &Credentials, req_time_ms: u64) -> LoginRequest {
        #[derive(Serialize)]
        struct Param<'a> {
            #[serde(rename = "apiKey")]
            api_key: &'a str,
            #[serde(rename = "reqTime")]
            req_time: &'a str,
            signature: &'a str,
        }
        #[derive(Serialize)]
        struct Login<'a> {
            subscribe: bool,
            method: &'static str,
            param: Param<'a>,
        }
        let req_time = req_time_ms.to_string();
        let signature = login_signature(credentials, req_time_ms);
        let login = Login {
            subscribe: false,
            method: "login",
            param: Param {
                api_key: credentials.api_key(),
                req_time: &req_time,
                signature: &signature,
            },
        };
        // Serializing plain strings and a bool cannot fail; an empty message would be
        // refused by the venue, never sent silently wrong.
        let text = serde_json::to_string(&login).unwrap_or_default();
        LoginRequest { text, req_time_ms }
    }

    /// The JSON text to send.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text frame to send.
    pub fn frame(&self) -> OutFrame {
        OutFrame::text(self.text.clone())
    }

    /// The `reqTime` it carries.
    pub fn req_time_ms(&self) -> u64 {
        self.req_time_ms
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("api_key", &"<redacted>")
            .field("signature", &"<redacted>")
            .field("req_time_ms", &self.req_time_ms)
            .finish()
    }
}

/// One `personal.filter` entry: a private channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonalFilter {
    /// `order` → `push.personal.order`.
    Order,
    /// `order.deal` → `push.personal.order.deal`.
    OrderDeal,
    /// `position` → `push.personal.position`.
    Position,
    /// `asset` → `push.personal.asset` (not per contract).
    Asset,
}

impl PersonalFilter {
    /// The four channels this layer decodes.
    pub const ALL: [PersonalFilter; 4] = [
        PersonalFilter::Order,
        PersonalFilter::OrderDeal,
        PersonalFilter::Position,
        PersonalFilter::Asset,
    ];

    /// The filter key.
    pub const fn as_str(self) -> &'static str {
        match self {
            PersonalFilter::Order => "order",
            PersonalFilter::OrderDeal => "order.deal",
            PersonalFilter::Position => "position",
            PersonalFilter::Asset => "asset",
        }
    }

    /// Whether the filter takes contract rules (`asset` does not).
    pub const fn per_contract(self) -> bool {
        !matches!(self, PersonalFilter::Asset)
    }
}

/// `{"method":"personal.filter","param":{"filters":[..]}}` for `filters`, each limited
/// to `contracts` (all contracts when empty). The venue replaces earlier filters with it.
pub fn personal_filter(filters: &[PersonalFilter], contracts: &[Symbol]) -> OutFrame {
    #[derive(Serialize)]
    struct Filter<'a> {
        filter: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        rules: Option<Vec<&'a str>>,
    }
    #[derive(Serialize)]
    struct Param<'a> {
        filters: Vec<Filter<'a>>,
    }
    #[derive(Serialize)]
    struct Request<'a> {
        method: &'static str,
        param: Param<'a>,
    }
    let rules = || Some(contracts.iter().map(Symbol::as_str).collect::<Vec<_>>());
    let request = Request {
        method: "personal.filter",
        param: Param {
            filters: filters
                .iter()
                .map(|f| Filter {
                    filter: f.as_str(),
                    rules: if f.per_contract() { rules() } else { None },
                })
                .collect(),
        },
    };
    OutFrame::text(serde_json::to_string(&request).unwrap_or_default())
}
