//! Cheap classification of a futures frame by its `channel`, for the handler template's
//! statistics and routing. The full decode happens once, in the parser routed to.

use ws_handlers::WebSocketMessageType;

const CHANNEL_KEY: &[u8] = br#""channel":""#;

/// The message type of a text frame, from its `channel` member (usually the first, so
/// this reads a few dozen bytes). `Unknown` when there is none.
#[inline]
pub(super) fn message_type(payload: &[u8]) -> WebSocketMessageType {
    let Some(start) = payload
        .windows(CHANNEL_KEY.len())
        .position(|w| w == CHANNEL_KEY)
        .map(|at| at + CHANNEL_KEY.len())
    else {
        return WebSocketMessageType::Unknown;
    };
    let rest = payload.get(start..).unwrap_or_default();
    let end = rest.iter().position(|b| *b == b'"').unwrap_or(rest.len());
    of_channel(rest.get(..end).unwrap_or_default())
}

fn of_channel(channel: &[u8]) -> WebSocketMessageType {
    use WebSocketMessageType as T;
    match channel {
        b"push.depth" | b"push.depth.full" => T::OrderBook,
        b"push.deal" => T::Trade,
        b"push.ticker" => T::Ticker,
        b"pong" => T::Pong,
        b"rs.login" => T::Auth,
        b"rs.error" => T::Error,
        b"push.personal.order" => T::OrderUpdate,
        b"push.personal.order.deal" => T::ExecutionReport,
        b"push.personal.position" => T::PositionUpdate,
        b"push.personal.asset" => T::BalanceUpdate,
        other if other.starts_with(b"rs.sub.") => T::Subscribe,
        other if other.starts_with(b"rs.unsub.") || other.starts_with(b"rs.usub.") => {
            T::Unsubscribe
        }
        // `rs.personal.filter` and other answers to requests.
        other if other.starts_with(b"rs.") => T::Subscribe,
        _ => T::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_channel_wherever_it_stands() {
        use WebSocketMessageType as T;
        let cases: [(&[u8], T); 8] = [
            (br#"{"channel":"push.depth","data":{}}"#, T::OrderBook),
            (br#"{"data":{},"channel":"push.deal"}"#, T::Trade),
            (br#"{"channel":"push.ticker"}"#, T::Ticker),
            (
                br#"{"channel":"rs.sub.depth","data":"success"}"#,
                T::Subscribe,
            ),
            (
                br#"{"channel":"rs.error","data":"Contract doesn't exist!"}"#,
                T::Error,
            ),
            (
                br#"{"channel":"push.personal.order.deal"}"#,
                T::ExecutionReport,
            ),
            (br#"{"channel":"pong","data":1}"#, T::Pong),
            (br#"{"nothing":1}"#, T::Unknown),
        ];
        for (frame, expected) in cases {
            assert_eq!(
                message_type(frame),
                expected,
                "{}",
                String::from_utf8_lossy(frame)
            );
        }
    }
}
