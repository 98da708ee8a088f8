//! Subscription requests, the application ping, and checking an ack against its request
//! (spec §1.3, §1.4).
//!
//! Requests are JSON text frames:
//! `{"method":"SUBSCRIPTION","params":["spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"],"id":1}`.
//! MEXC answers every request with `"id":0`, so an ack is matched by content: its `msg`
//! must name exactly the channels asked for (comma-joined when there are several).

use serde::Serialize;
use ws_session::OutFrame;

use crate::channel::Channel;
use crate::error::Error;

/// Subscriptions one connection may hold; the venue ignores the rest.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 30;

/// `{"method":"SUBSCRIPTION","params":[...],"id":N}`.
///
/// # Errors
/// [`Error::NoChannels`], [`Error::TooManyChannels`] (more than
/// [`MAX_SUBSCRIPTIONS_PER_CONNECTION`]) or [`Error::LowercaseSymbol`].
pub fn subscribe(channels: &[Channel], id: u32) -> Result<OutFrame, Error> {
    request("SUBSCRIPTION", channels, id)
}

/// `{"method":"UNSUBSCRIPTION","params":[...],"id":N}`.
///
/// # Errors
/// As [`subscribe`].
pub fn unsubscribe(channels: &[Channel], id: u32) -> Result<OutFrame, Error> {
    request("UNSUBSCRIPTION", channels, id)
}

/// `{"method":"PING"}`, answered by `{"id":0,"code":0,"msg":"PONG"}`. Needed whenever no
/// data flowed for a while: MEXC drops a connection after 60 s without traffic.
pub fn ping() -> OutFrame {
    OutFrame::text(PING)
}

/// Checks that an ack's `msg` echoes exactly the channels requested: the same set, each
/// once, comma-joined in any order.
///
/// # Errors
/// [`Error::AckMismatch`] naming both sides.
pub fn check_ack(msg: &str, requested: &[Channel]) -> Result<(), Error> {
    let mut parts = 0usize;
    let mut matches = true;
    for part in msg.split(',') {
        parts += 1;
        let found = Channel::parse(part.trim()).ok().is_some_and(|channel| {
            requested.contains(&channel)
                && msg
                    .split(',')
                    .filter(|other| Channel::parse(other.trim()).ok() == Some(channel))
                    .count()
                    == 1
        });
        matches &= found;
    }
    if matches && parts == requested.len() {
        return Ok(());
    }
    Err(Error::AckMismatch {
        expected: join(requested),
        received: msg.to_string(),
    })
}

fn request(method: &'static str, channels: &[Channel], id: u32) -> Result<OutFrame, Error> {
    if channels.is_empty() {
        return Err(Error::NoChannels);
    }
    if channels.len() > MAX_SUBSCRIPTIONS_PER_CONNECTION {
        return Err(Error::TooManyChannels {
            count: channels.len(),
            max: MAX_SUBSCRIPTIONS_PER_CONNECTION,
        });
    }
    for channel in channels {
        channel.validate()?;
    }
    let text = serde_json::to_string(&Request {
        method,
        params: channels,
        id,
    })
    .map_err(|source| Error::Json {
        context: "subscription request",
        source,
    })?;
    Ok(OutFrame::text(text))
}

fn join(channels: &[Channel]) -> String {
    let mut joined = String::new();
    for (i, channel) in channels.iter().enumerate() {
        if i > 0 {
            joined.push(',');
        }
        joined.push_str(&channel.to_string());
    }
    joined
}

#[derive(Serialize)]
struct Request<'a> {
    method: &'static str,
    params: &'a [Channel],
    id: u32,
}

const PING: &str = r#"{"method":"PING"}"#;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use market_types::Symbol;

    use super::*;
    use crate::channel::AggInterval;

    fn deals(symbol: &str) -> Channel {
        Channel::AggreDeals {
            symbol: Symbol::new(symbol).unwrap(),
            interval: AggInterval::Ms100,
        }
    }

    fn text(frame: &OutFrame) -> &str {
        match frame {
            OutFrame::Text(bytes) => std::str::from_utf8(bytes).unwrap(),
            OutFrame::Binary(_) => panic!("binary frame"),
        }
    }

    #[test]
    fn request_shapes() {
        let frame = subscribe(&[deals("BTCUSDT")], 7).unwrap();
        assert_eq!(
            text(&frame),
            r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"],"id":7}"#
        );
        let frame = unsubscribe(&[deals("BTCUSDT"), deals("ETHUSDT")], 8).unwrap();
        assert_eq!(
            text(&frame),
            r#"{"method":"UNSUBSCRIPTION","params":["spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT","spot@public.aggre.deals.v3.api.pb@100ms@ETHUSDT"],"id":8}"#
        );
        assert_eq!(text(&ping()), r#"{"method":"PING"}"#);
    }

    #[test]
    fn request_limits() {
        assert!(matches!(subscribe(&[], 1), Err(Error::NoChannels)));
        let many = vec![deals("BTCUSDT"); 31];
        assert!(matches!(
            subscribe(&many, 1),
            Err(Error::TooManyChannels { count: 31, max: 30 })
        ));
        assert!(subscribe(&many[..30], 1).is_ok());
        assert!(matches!(
            subscribe(&[deals("btcusdt")], 1),
            Err(Error::LowercaseSymbol { .. })
        ));
    }

    #[test]
    fn acks_must_echo_the_request() {
        let btc = deals("BTCUSDT");
        let eth = deals("ETHUSDT");
        let one = "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT";
        let two = "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT,spot@public.aggre.deals.v3.api.pb@100ms@ETHUSDT";
        let swapped = "spot@public.aggre.deals.v3.api.pb@100ms@ETHUSDT,spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT";
        check_ack(one, &[btc]).unwrap();
        check_ack(two, &[btc, eth]).unwrap();
        check_ack(swapped, &[btc, eth]).unwrap();

        for (msg, requested) in [
            (one, &[btc, eth][..]),
            (two, &[btc][..]),
            ("", &[btc][..]),
            ("PONG", &[btc][..]),
            (
                "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT,spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
                &[btc, eth][..],
            ),
            ("spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT", &[btc][..]),
        ] {
            let error = check_ack(msg, requested).unwrap_err();
            match error {
                Error::AckMismatch { received, .. } => assert_eq!(received, msg),
                other => panic!("{other}"),
            }
        }
        let error = check_ack(one, &[btc, eth]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("ack \"{one}\" does not echo the request \"{two}\"")
        );
    }
}
