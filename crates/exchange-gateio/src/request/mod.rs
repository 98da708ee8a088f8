//! The JSON requests of the WebSocket protocol: subscribe and unsubscribe (signed for
//! private channels), ping and login (spec §3.1, §3.3, §3.8).
//!
//! Requests are rendered with the `time` (seconds) and `id` passed in, so they are
//! deterministic and testable.

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use crate::config::Credentials;
use crate::error::Error;
use crate::sign;
use crate::subscription::{Payload, Subscription};
use crate::venue::{Channel, Market, RequestEvent};

impl Subscription {
    /// The subscribe request, signed when the channel is private.
    ///
    /// # Errors
    /// [`Error::MissingCredentials`] for a private channel without `credentials`.
    pub fn subscribe_request(
        &self,
        time_s: u64,
        id: Option<i64>,
        credentials: Option<&Credentials>,
    ) -> Result<String, Error> {
        self.request(RequestEvent::Subscribe, time_s, id, credentials)
    }

    /// The unsubscribe request (same payload as the subscription), signed when private.
    ///
    /// # Errors
    /// [`Error::MissingCredentials`] for a private channel without `credentials`.
    pub fn unsubscribe_request(
        &self,
        time_s: u64,
        id: Option<i64>,
        credentials: Option<&Credentials>,
    ) -> Result<String, Error> {
        self.request(RequestEvent::Unsubscribe, time_s, id, credentials)
    }

    fn request(
        &self,
        event: RequestEvent,
        time_s: u64,
        id: Option<i64>,
        credentials: Option<&Credentials>,
    ) -> Result<String, Error> {
        let channel = self.channel();
        let auth = if channel.is_private() {
            let credentials = credentials.ok_or(Error::MissingCredentials { channel })?;
            Some(AuthMember {
                method: "api_key",
                key: credentials.api_key(),
                sign: sign::subscription_signature(
                    credentials,
                    channel.as_str(),
                    event.as_str(),
                    time_s,
                ),
            })
        } else {
            None
        };
        let payload = match self.payload() {
            Payload::Empty => None,
            other => Some(PayloadRender {
                market: channel.market(),
                channel,
                payload: other,
            }),
        };
        Ok(render(&Request {
            time: time_s,
            id,
            channel: channel.as_str(),
            event: event.as_str(),
            payload,
            auth,
        }))
    }
}

/// The application-level ping: `{"time":…,"channel":"spot.ping"}` (spec §3.3).
pub fn ping_request(market: Market, time_s: u64, id: Option<i64>) -> String {
    render(&Request::<PayloadRender<'_>> {
        time: time_s,
        id,
        channel: market.ping().as_str(),
        event: "",
        payload: None,
        auth: None,
    })
}

/// The `spot.login` / `futures.login` request of the WebSocket API (spec §3.8).
/// `time_s` is both the envelope `time` and the signed `timestamp`.
pub fn login_request(
    market: Market,
    credentials: &Credentials,
    time_s: u64,
    req_id: &str,
    id: Option<i64>,
) -> String {
    let channel = market.login().as_str();
    let timestamp = time_s.to_string();
    render(&LoginRequest {
        time: time_s,
        id,
        channel,
        event: "api",
        payload: LoginPayload {
            api_key: credentials.api_key(),
            signature: sign::api_signature(credentials, channel, "", time_s),
            timestamp: &timestamp,
            req_id,
        },
    })
}

#[derive(Serialize)]
struct Request<'a, P: Serialize> {
    time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    channel: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<P>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth: Option<AuthMember<'a>>,
}

#[derive(Serialize)]
struct AuthMember<'a> {
    method: &'a str,
    #[serde(rename = "KEY")]
    key: &'a str,
    #[serde(rename = "SIGN")]
    sign: String,
}

struct PayloadRender<'a> {
    market: Market,
    channel: Channel,
    payload: &'a Payload,
}

impl Serialize for PayloadRender<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        match self.payload {
            Payload::Symbols(symbols) => {
                for symbol in symbols {
                    seq.serialize_element(symbol.as_str())?;
                }
            }
            Payload::All => seq.serialize_element(ALL_PAIRS)?,
            Payload::OrderBook { symbol, depth } => {
                seq.serialize_element(symbol.as_str())?;
                seq.serialize_element(depth.interval())?;
                if self.market == Market::Futures {
                    seq.serialize_element(depth.level_str())?;
                }
            }
            Payload::Empty => {}
            Payload::User { user_id, symbols } => {
                seq.serialize_element(&user_id.0.to_string())?;
                if self.channel != Channel::FuturesBalances {
                    if symbols.is_empty() {
                        seq.serialize_element(ALL_PAIRS)?;
                    }
                    for symbol in symbols {
                        seq.serialize_element(symbol.as_str())?;
                    }
                }
            }
        }
        seq.end()
    }
}

fn is_empty(s: &&str) -> bool {
    s.is_empty()
}

/// Serializes a request; these structs hold only strings and integers, so this cannot fail.
fn render<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

const ALL_PAIRS: &str = "!all";

#[derive(Serialize)]
struct LoginRequest<'a> {
    time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    channel: &'a str,
    event: &'a str,
    payload: LoginPayload<'a>,
}

#[derive(Serialize)]
struct LoginPayload<'a> {
    api_key: &'a str,
    signature: String,
    timestamp: &'a str,
    req_id: &'a str,
}

#[cfg(test)]
mod tests;
