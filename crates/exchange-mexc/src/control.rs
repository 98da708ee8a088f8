//! Text frames: the JSON control replies MEXC sends on the market socket (spec §1.4).
//!
//! | Reply | Sample |
//! |---|---|
//! | subscription ack | `{"id":0,"code":0,"msg":"spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"}` |
//! | pong | `{"id":0,"code":0,"msg":"PONG"}` |
//! | refusal (still `code: 0`) | `{"id":0,"code":0,"msg":"Not Subscribed successfully! [ch1,ch2].  Reason： Blocked! "}` |
//! | error | `{"id":0,"code":<non-zero>,"msg":"..."}` |
//!
//! A refusal leaves the socket open and silent, so it must never pass for an ack: it
//! becomes [`Error::SubscriptionRejected`] naming the channels.

use std::borrow::Cow;

use serde::Deserialize;

use crate::channel::Channel;
use crate::error::Error;
use crate::subscription::check_ack;

/// A successfully parsed control reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlReply<'a> {
    /// The answer to `{"method":"PING"}`.
    Pong,
    /// A (un)subscription acknowledgement; `msg` should name the channels requested.
    Ack {
        /// The reply's `id` (MEXC sends 0).
        id: u64,
        /// The channels, comma-joined when several.
        msg: Cow<'a, str>,
    },
}

impl ControlReply<'_> {
    /// For an [`ControlReply::Ack`], checks that it echoes exactly `requested`
    /// (see [`check_ack`]).
    ///
    /// # Errors
    /// [`Error::AckMismatch`], also when the reply is a pong.
    pub fn confirms(&self, requested: &[Channel]) -> Result<(), Error> {
        match self {
            ControlReply::Ack { msg, .. } => check_ack(msg, requested),
            ControlReply::Pong => check_ack(PONG, requested),
        }
    }
}

/// Parses one text frame.
///
/// # Errors
/// [`Error::SubscriptionRejected`] for the `Not Subscribed successfully!` reply,
/// [`Error::VenueError`] for a non-zero `code`, [`Error::Json`] for anything that
/// is not a control reply.
pub fn parse_control(payload: &[u8]) -> Result<ControlReply<'_>, Error> {
    let reply: RawReply<'_> = serde_json::from_slice(payload).map_err(|source| Error::Json {
        context: "control reply",
        source,
    })?;
    if reply.code != 0 {
        return Err(Error::VenueError {
            code: reply.code,
            msg: reply.msg.into_owned(),
        });
    }
    if let Some(rejection) = parse_rejection(&reply.msg) {
        return Err(rejection);
    }
    if reply.msg == PONG {
        return Ok(ControlReply::Pong);
    }
    Ok(ControlReply::Ack {
        id: reply.id.unwrap_or(0),
        msg: reply.msg,
    })
}

/// A refusal as the venue words it, `Not Subscribed successfully! [a,b].  Reason： Blocked! `:
/// the refused channels and the reason, borrowed from the message; `None` for any other
/// text. The colon may be full-width (U+FF1A, as observed) or ASCII. This is the one parser
/// of that text: the handlers and the compatibility layer call it.
pub(crate) fn parse_refusal(msg: &str) -> Option<(Vec<&str>, Option<&str>)> {
    let rest = msg.strip_prefix(NOT_SUBSCRIBED)?;
    let (listed, after) = match (rest.find('['), rest.find(']')) {
        (Some(open), Some(close)) if open < close => (
            rest.get(open + 1..close).unwrap_or_default(),
            rest.get(close + 1..).unwrap_or_default(),
        ),
        _ => ("", rest),
    };
    let reason = after
        .split_once("Reason")
        .map_or(after, |(_, reason)| reason)
        .trim_start_matches([':', '\u{ff1a}', ' ', '.'])
        .trim();
    let channels = listed
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    Some((channels, (!reason.is_empty()).then_some(reason)))
}

/// The channels a refusal names (empty for any other text), for callers that only need
/// the names.
pub fn refused_channels(msg: &str) -> Vec<String> {
    parse_refusal(msg)
        .map(|(channels, _)| channels.into_iter().map(str::to_string).collect())
        .unwrap_or_default()
}

fn parse_rejection(msg: &str) -> Option<Error> {
    let (channels, reason) = parse_refusal(msg)?;
    Some(Error::SubscriptionRejected {
        channels: channels.into_iter().map(str::to_string).collect(),
        reason: reason.unwrap_or(msg.trim()).to_string(),
    })
}

#[derive(Deserialize)]
struct RawReply<'a> {
    #[serde(default)]
    id: Option<u64>,
    code: i64,
    #[serde(borrow, default)]
    msg: Cow<'a, str>,
}

const PONG: &str = "PONG";
const NOT_SUBSCRIBED: &str = "Not Subscribed successfully!";

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn pong_ack_and_error() {
        assert_eq!(
            parse_control(br#"{"id":0,"code":0,"msg":"PONG"}"#).unwrap(),
            ControlReply::Pong
        );
        let ack =
            parse_control(br#"{"id":0,"code":0,"msg":"spot@private.deals.v3.api.pb"}"#).unwrap();
        assert_eq!(
            ack,
            ControlReply::Ack {
                id: 0,
                msg: Cow::Borrowed("spot@private.deals.v3.api.pb")
            }
        );
        ack.confirms(&[Channel::PrivateDeals]).unwrap();
        assert!(ack.confirms(&[Channel::PrivateOrders]).is_err());
        assert!(
            ControlReply::Pong
                .confirms(&[Channel::PrivateOrders])
                .is_err()
        );
        match parse_control(br#"{"id":3,"code":1001,"msg":"wrong params"}"#) {
            Err(Error::VenueError { code, msg }) => {
                assert_eq!((code, msg.as_str()), (1001, "wrong params"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_control(b"not json"),
            Err(Error::Json { .. })
        ));
        assert!(matches!(
            parse_control(br#"{"id":0,"msg":"x"}"#),
            Err(Error::Json { .. })
        ));
    }

    #[test]
    fn escaped_text_is_unescaped() {
        let reply = parse_control(
            "{\"id\":0,\"code\":0,\"msg\":\"Not Subscribed successfully! [a].  Reason\\uff1a Blocked! \"}"
                .as_bytes(),
        );
        match reply {
            Err(Error::SubscriptionRejected { channels, reason }) => {
                assert_eq!(channels, ["a"]);
                assert_eq!(reason, "Blocked!");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejection_variants() {
        let Some(Error::SubscriptionRejected { channels, reason }) =
            parse_rejection("Not Subscribed successfully! [x,y]. Reason: Blocked!")
        else {
            panic!("not a rejection");
        };
        assert_eq!(channels, ["x", "y"]);
        assert_eq!(reason, "Blocked!");
        let Some(Error::SubscriptionRejected { channels, reason }) =
            parse_rejection("Not Subscribed successfully!")
        else {
            panic!("not a rejection");
        };
        assert!(channels.is_empty());
        assert_eq!(reason, "Not Subscribed successfully!");
        assert!(parse_rejection("spot@private.deals.v3.api.pb").is_none());
    }
}
