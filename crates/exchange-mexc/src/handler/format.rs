//! What both MEXC handlers share: the subscription request format, cheap frame
//! classification, and the subscription lifecycle keyed by [`Channel`] (acks echo the
//! channel, refusals name it).

use std::fmt::Write as _;
use std::time::Duration;

use serde::Deserialize;
use ws_handlers::{HandlerError, Lifecycle, WebSocketMessageType};
use ws_mixins::{
    AuthMixin, ErrorCategory, StreamError, SubscriptionError, SubscriptionMixin,
    SubscriptionRegistry, SubscriptionState,
};
use ws_session::{FrameKind, OutFrame, Outbox, Timestamp};

use crate::channel::Channel;
use crate::control::{ControlReply, parse_control};
use crate::error::Error;
use crate::subscription::{subscribe, unsubscribe};
use crate::wire::{BodyKind, Reader};

/// MEXC's subscription requests (spec §1.3): `{"method":"SUBSCRIPTION","params":[ch],"id":N}`.
///
/// One channel per request: MEXC answers every request with the channels it accepted in
/// `msg`, and how several are joined in a *successful* ack is unconfirmed (spec §7), so
/// each ack names exactly one channel and is matched without guessing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MexcSubscriptionFormat;

impl SubscriptionMixin for MexcSubscriptionFormat {
    type Topic = Channel;

    fn subscribe_message(&self, topics: &[Channel], request_id: u64, _now: Timestamp) -> OutFrame {
        let id = wire_id(request_id);
        subscribe(topics, id).unwrap_or_else(|_| render("SUBSCRIPTION", topics, id))
    }

    fn unsubscribe_message(
        &self,
        topics: &[Channel],
        request_id: u64,
        _now: Timestamp,
    ) -> OutFrame {
        let id = wire_id(request_id);
        unsubscribe(topics, id).unwrap_or_else(|_| render("UNSUBSCRIPTION", topics, id))
    }

    fn max_topics_per_request(&self) -> usize {
        1
    }
}

/// The `id` a registry request id is sent as (MEXC ids are unsigned 32-bit).
pub(crate) fn wire_id(request_id: u64) -> u32 {
    (request_id & u64::from(u32::MAX)) as u32
}

/// The request without the crate's validation. Only reached if a channel the handlers
/// validated on entry were refused by [`subscribe`], which cannot happen; it keeps the
/// format infallible as the trait wants.
fn render(method: &str, topics: &[Channel], id: u32) -> OutFrame {
    let mut text = String::with_capacity(48 + 64 * topics.len());
    let _ = write!(text, r#"{{"method":"{method}","params":["#);
    for (i, topic) in topics.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "\"{topic}\"");
    }
    let _ = write!(text, r#"],"id":{id}}}"#);
    OutFrame::text(text)
}

/// What a frame is, from its opcode and the wrapper's keys; nothing is decoded and
/// nothing allocated. Text frames are control replies (acks, refusals, pongs).
pub(crate) fn message_type(kind: FrameKind, payload: &[u8]) -> WebSocketMessageType {
    match kind {
        FrameKind::Text if is_pong(payload) => WebSocketMessageType::Pong,
        FrameKind::Text => WebSocketMessageType::Subscribe,
        FrameKind::Binary => match body_kind(payload) {
            Ok(kind) => body_message_type(kind),
            Err(_) => WebSocketMessageType::Unknown,
        },
    }
}

/// The body field of a binary frame, by skipping over the wrapper's fields. As in
/// [`crate::decode_push`], the last body field wins.
///
/// # Errors
/// A decoding [`Error`] for a frame that is not a well-formed wrapper, or
/// [`Error::MissingBody`].
pub(crate) fn body_kind(payload: &[u8]) -> Result<BodyKind, Error> {
    let mut reader = Reader::new(payload);
    let mut found = None;
    while let Some(key) = reader.key()? {
        if let Some(kind) = BodyKind::from_field_number(key.field) {
            found = Some(kind);
        }
        reader.skip(key)?;
    }
    found.ok_or(Error::MissingBody)
}

/// The routing class of each body. Candles have no normalized type here and stay
/// `Unknown` (counted as unhandled).
pub(crate) fn body_message_type(kind: BodyKind) -> WebSocketMessageType {
    match kind {
        BodyKind::PublicAggreDepths
        | BodyKind::PublicIncreaseDepths
        | BodyKind::PublicIncreaseDepthsBatch
        | BodyKind::PublicLimitDepths => WebSocketMessageType::OrderBook,
        BodyKind::PublicAggreDeals | BodyKind::PublicDeals => WebSocketMessageType::Trade,
        BodyKind::PublicAggreBookTicker
        | BodyKind::PublicBookTicker
        | BodyKind::PublicBookTickerBatch => WebSocketMessageType::BookTicker,
        BodyKind::PublicMiniTicker | BodyKind::PublicMiniTickers => WebSocketMessageType::Ticker,
        BodyKind::PublicSpotKline => WebSocketMessageType::Unknown,
        BodyKind::PrivateOrders => WebSocketMessageType::OrderUpdate,
        BodyKind::PrivateDeals => WebSocketMessageType::ExecutionReport,
        BodyKind::PrivateAccount => WebSocketMessageType::BalanceUpdate,
    }
}

/// `{"id":0,"code":0,"msg":"PONG"}`, recognized without parsing.
fn is_pong(payload: &[u8]) -> bool {
    payload.len() < 64 && payload.windows(PONG.len()).any(|w| w == PONG)
}

/// A decoding failure as the handler template reports it.
pub(crate) fn decode_error(message_type: WebSocketMessageType, error: &Error) -> HandlerError {
    HandlerError::Decode {
        message_type,
        detail: error.to_string(),
    }
}

/// What a control reply meant for the subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ControlOutcome {
    /// The answer to an application `PING`.
    Pong,
    /// These channels are now confirmed.
    Confirmed(Vec<Channel>),
    /// An ack for nothing pending: late, duplicate, or the answer to an unsubscribe.
    Stale,
    /// The venue refused these channels; they are marked rejected and not retried.
    Rejected {
        /// The refused channels this connection had asked for.
        channels: Vec<Channel>,
        /// For the user's `on_error`: names every refused channel and the reason.
        error: StreamError,
    },
    /// An error reply that names no subscription of ours.
    VenueError(StreamError),
}

/// The per-connection subscription lifecycle of a MEXC handler: `Lifecycle` keyed by
/// [`Channel`], with MEXC's ack and refusal replies interpreted.
#[derive(Debug, Clone)]
pub(crate) struct Subscriptions {
    lifecycle: Lifecycle<Channel>,
    format: MexcSubscriptionFormat,
}

impl Subscriptions {
    pub(crate) fn new(ack_timeout: Duration) -> Self {
        Self {
            lifecycle: Lifecycle::new(ack_timeout),
            format: MexcSubscriptionFormat,
        }
    }

    pub(crate) fn registry(&self) -> &SubscriptionRegistry<Channel> {
        self.lifecycle.subscriptions()
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.lifecycle.is_connected()
    }

    /// Channels that should be live (requested or confirmed, not refused).
    pub(crate) fn active(&self) -> impl Iterator<Item = Channel> + '_ {
        self.registry().active().copied()
    }

    /// Whether every wanted channel is confirmed (or refused).
    pub(crate) fn all_answered(&self) -> bool {
        self.registry().all_confirmed()
    }

    /// Adds a channel without sending anything (before the first connection).
    pub(crate) fn add(&mut self, channel: Channel) {
        self.lifecycle.subscriptions_mut().add(channel);
    }

    /// Refuses a channel locally (never sent), with `reason`.
    pub(crate) fn refuse_locally(&mut self, channel: Channel, reason: &str) {
        let registry = self.lifecycle.subscriptions_mut();
        registry.add(channel);
        registry.reject_topics(&[channel], reason);
    }

    /// Socket open: authenticate as `auth` says (captured from the handler's `AuthMixin`),
    /// then (re)subscribe everything wanted, one request per channel.
    pub(crate) fn on_connected(&mut self, mut auth: AuthView, now: Timestamp, out: &mut Outbox) {
        self.lifecycle
            .on_connected(&mut auth, &self.format, now, out);
    }

    pub(crate) fn subscribe(&mut self, channel: Channel, now: Timestamp, out: &mut Outbox) {
        self.lifecycle.subscribe(channel, &self.format, now, out);
    }

    pub(crate) fn unsubscribe(&mut self, channel: Channel, now: Timestamp, out: &mut Outbox) {
        self.lifecycle
            .unsubscribe(&[channel], &self.format, now, out);
    }

    /// The lifecycle and its format, for the shared `Session` glue (which runs the ack
    /// timeouts and resets the lifecycle on a disconnect).
    pub(crate) fn parts(&mut self) -> (&mut Lifecycle<Channel>, &MexcSubscriptionFormat) {
        (&mut self.lifecycle, &self.format)
    }

    pub(crate) fn on_disconnected(&mut self) {
        self.lifecycle.on_disconnected();
    }

    /// One text frame: a pong, an ack (matched by the channel it echoes) or a refusal
    /// (`Not Subscribed successfully! [..]`, with `code` 0 for "Blocked!" or an error code),
    /// which marks the channels rejected, so the registry is never left waiting on a
    /// channel the venue will not serve.
    ///
    /// # Errors
    /// [`Error::Json`] for a text frame that is not a control reply.
    pub(crate) fn on_control(
        &mut self,
        payload: &[u8],
        out: &mut Outbox,
    ) -> Result<ControlOutcome, Error> {
        match parse_control(payload) {
            Ok(ControlReply::Pong) => Ok(ControlOutcome::Pong),
            Ok(ControlReply::Ack { msg, .. }) => Ok(self.on_ack(&msg, out)),
            Err(Error::SubscriptionRejected { channels, reason }) => {
                Ok(self.on_refusal(None, 0, &channels, &reason, out))
            }
            Err(Error::VenueError { code, msg }) => {
                let id = serde_json::from_slice::<ReplyId>(payload)
                    .ok()
                    .and_then(|reply| reply.id);
                let (channels, reason) = refused_channels(&msg);
                Ok(self.on_refusal(id, code, &channels, reason.unwrap_or(&msg), out))
            }
            Err(other) => Err(other),
        }
    }

    fn on_ack(&mut self, msg: &str, out: &mut Outbox) -> ControlOutcome {
        let mut confirmed = Vec::new();
        for part in msg.split(',') {
            if let Some(channel) = Channel::parse_known(part.trim())
                && self.lifecycle.ack_topic(&channel, out)
            {
                confirmed.push(channel);
            }
        }
        if confirmed.is_empty() {
            ControlOutcome::Stale
        } else {
            ControlOutcome::Confirmed(confirmed)
        }
    }

    fn on_refusal(
        &mut self,
        id: Option<u64>,
        code: i64,
        named: &[impl AsRef<str>],
        reason: &str,
        out: &mut Outbox,
    ) -> ControlOutcome {
        let mut channels: Vec<Channel> = named
            .iter()
            .filter_map(|name| Channel::parse_known(name.as_ref().trim()))
            .filter(|channel| self.registry().state(channel).is_some())
            .collect();
        if channels.is_empty()
            && let Some(id) = id.filter(|id| *id != 0)
        {
            // The refusal names nothing we know: fall back to the request it answers.
            channels = self
                .registry()
                .iter()
                .filter(|(_, state)| {
                    matches!(state, SubscriptionState::Pending { request_id, .. }
                        if wire_id(*request_id) == u32::try_from(id).unwrap_or(u32::MAX))
                })
                .map(|(channel, _)| *channel)
                .collect();
        }
        let shown = if named.is_empty() {
            names(&channels)
        } else {
            named
                .iter()
                .map(|n| n.as_ref().trim())
                .collect::<Vec<_>>()
                .join(",")
        };
        if channels.is_empty() {
            return ControlOutcome::VenueError(StreamError {
                category: ErrorCategory::Venue,
                message: format!("venue error code {code}: {reason} [{shown}]"),
            });
        }
        self.lifecycle
            .subscriptions_mut()
            .reject_topics(&channels, reason);
        // A refusal completes the wait as an ack would: `Ready` once nothing is pending.
        // (`Lifecycle` has no public "check ready" hook; an ack for a topic that is no
        // longer pending changes nothing else.)
        if let Some(first) = channels.first() {
            self.lifecycle.ack_topic(first, out);
        }
        ControlOutcome::Rejected {
            error: StreamError {
                category: ErrorCategory::SubscriptionRejected,
                message: format!("MEXC refused [{shown}] (code {code}): {reason}"),
            },
            channels,
        }
    }
}

/// An ack timeout (the channels were requested again) as the user's error.
pub(crate) fn ack_timeout_error(timed_out: SubscriptionError<Channel>) -> StreamError {
    StreamError {
        category: ErrorCategory::Venue,
        message: match timed_out {
            SubscriptionError::AckTimeout { topics, timeout } => format!(
                "no acknowledgement within {timeout:?} for {}; requested again",
                names(&topics)
            ),
            other => other.to_string(),
        },
    }
}

/// Comma-joined channel strings, for messages.
pub(crate) fn names(channels: &[Channel]) -> String {
    let mut text = String::new();
    for (i, channel) in channels.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{channel}");
    }
    text
}

/// `Not Subscribed successfully! [a,b].  Reason： R ` → (`[a, b]`, `Some("R")`); any
/// other text → no channels, no reason.
fn refused_channels(msg: &str) -> (Vec<&str>, Option<&str>) {
    crate::control::parse_refusal(msg).unwrap_or_default()
}

/// The reply's `id`, for refusals that carry an error code.
#[derive(Deserialize)]
struct ReplyId {
    #[serde(default)]
    id: Option<u64>,
}

/// What an [`AuthMixin`] answered at connect time, so `Lifecycle` (a field of the handler)
/// can run the handler's own `AuthMixin` without borrowing the handler twice.
pub(crate) struct AuthView {
    requires: bool,
    message: Option<OutFrame>,
    timeout: Duration,
}

impl AuthView {
    pub(crate) fn capture<A: AuthMixin>(auth: &mut A, now: Timestamp) -> Self {
        let requires = auth.requires_authentication();
        Self {
            requires,
            message: if requires {
                auth.create_auth_message(now)
            } else {
                None
            },
            timeout: auth.auth_timeout(),
        }
    }
}

impl AuthMixin for AuthView {
    fn requires_authentication(&self) -> bool {
        self.requires
    }

    fn create_auth_message(&mut self, _now: Timestamp) -> Option<OutFrame> {
        self.message.take()
    }

    fn auth_timeout(&self) -> Duration {
        self.timeout
    }
}

const PONG: &[u8] = b"\"PONG\"";

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use std::time::Instant;

    use market_types::Symbol;
    use ws_session::SessionSignal;

    use super::*;
    use crate::channel::{AggInterval, KlineInterval};

    fn now() -> Timestamp {
        Timestamp::new(Instant::now(), 1_778_000_000_000_000_000)
    }

    fn depth(symbol: &str) -> Channel {
        Channel::AggreDepth {
            symbol: Symbol::new(symbol).unwrap(),
            interval: AggInterval::Ms100,
        }
    }

    struct Open;
    impl AuthMixin for Open {}

    #[test]
    fn one_channel_per_request() {
        let f = MexcSubscriptionFormat;
        assert_eq!(f.max_topics_per_request(), 1);
        assert_eq!(
            f.subscribe_message(&[depth("BTCUSDT")], 3, now()),
            OutFrame::text(
                r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"],"id":3}"#
            )
        );
        assert_eq!(
            f.unsubscribe_message(&[depth("BTCUSDT")], 4, now()),
            OutFrame::text(
                r#"{"method":"UNSUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"],"id":4}"#
            )
        );
        // The fallback renders the same bytes.
        assert_eq!(
            render("SUBSCRIPTION", &[depth("BTCUSDT")], 3),
            f.subscribe_message(&[depth("BTCUSDT")], 3, now())
        );
        assert_eq!(wire_id(u64::from(u32::MAX) + 2), 1);
    }

    #[test]
    fn classification_reads_only_keys() {
        assert_eq!(
            message_type(FrameKind::Text, br#"{"id":0,"code":0,"msg":"PONG"}"#),
            WebSocketMessageType::Pong
        );
        assert_eq!(
            message_type(FrameKind::Text, br#"{"id":0,"code":0,"msg":"x"}"#),
            WebSocketMessageType::Subscribe
        );
        assert_eq!(
            message_type(FrameKind::Binary, &[0x0a, 0x7f, b's']),
            WebSocketMessageType::Unknown
        );
        assert!(matches!(
            body_kind(&[0x0a, 0x01, b'x']),
            Err(Error::MissingBody)
        ));
        for kind in BodyKind::ALL {
            let t = body_message_type(kind);
            assert_eq!(
                t.is_private(),
                matches!(
                    kind,
                    BodyKind::PrivateOrders | BodyKind::PrivateDeals | BodyKind::PrivateAccount
                )
            );
        }
    }

    #[test]
    fn acks_confirm_by_echoed_channel_and_refusals_name_channels() {
        let mut subs = Subscriptions::new(Duration::from_secs(5));
        let mut out = Outbox::new();
        subs.add(depth("BTCUSDT"));
        let kline = Channel::Kline {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            interval: KlineInterval::Min1,
        };
        subs.add(kline);
        subs.add(depth("NOPEUSDT"));
        subs.on_connected(AuthView::capture(&mut Open, now()), now(), &mut out);
        assert_eq!(out.frames().len(), 3);
        out.clear();

        let ack = br#"{"id":1,"code":0,"msg":"spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"}"#;
        assert_eq!(
            subs.on_control(ack, &mut out).unwrap(),
            ControlOutcome::Confirmed(vec![depth("BTCUSDT")])
        );
        assert_eq!(
            subs.on_control(ack, &mut out).unwrap(),
            ControlOutcome::Stale
        );

        let blocked = "{\"id\":0,\"code\":0,\"msg\":\"Not Subscribed successfully! [spot@public.kline.v3.api.pb@BTCUSDT@Min1].  Reason\u{ff1a} Blocked! \"}";
        match subs.on_control(blocked.as_bytes(), &mut out).unwrap() {
            ControlOutcome::Rejected { channels, error } => {
                assert_eq!(channels, vec![kline]);
                assert_eq!(error.category, ErrorCategory::SubscriptionRejected);
                assert!(
                    error
                        .message
                        .contains("spot@public.kline.v3.api.pb@BTCUSDT@Min1")
                );
                assert!(error.message.contains("Blocked!"));
            }
            other => panic!("{other:?}"),
        }
        assert!(out.signals().is_empty(), "one channel still pending");

        // An error-coded refusal that names nothing parseable is matched by its id.
        let unknown = "{\"id\":3,\"code\":2,\"msg\":\"Not Subscribed successfully! [].  Reason\u{ff1a} Invalid symbol! \"}";
        match subs.on_control(unknown.as_bytes(), &mut out).unwrap() {
            ControlOutcome::Rejected { channels, error } => {
                assert_eq!(channels, vec![depth("NOPEUSDT")]);
                assert!(error.message.contains("NOPEUSDT"), "{}", error.message);
                assert!(error.message.contains("Invalid symbol!"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(out.signals(), &[SessionSignal::Ready]);
        assert!(matches!(
            subs.registry().state(&kline),
            Some(SubscriptionState::Rejected(_))
        ));
        assert_eq!(subs.active().count(), 1);

        assert_eq!(
            subs.on_control(br#"{"id":0,"code":0,"msg":"PONG"}"#, &mut out)
                .unwrap(),
            ControlOutcome::Pong
        );
        assert!(matches!(
            subs.on_control(br#"{"id":9,"code":1,"msg":"Invalid request"}"#, &mut out)
                .unwrap(),
            ControlOutcome::VenueError(_)
        ));
        assert!(subs.on_control(b"not json", &mut out).is_err());
    }

    #[test]
    fn refusal_text() {
        let (channels, reason) = refused_channels(
            "Not Subscribed successfully! [a,b].  Reason\u{ff1a} Subscriptions beyond 30 are invalid! ",
        );
        assert_eq!(channels, ["a", "b"]);
        assert_eq!(reason, Some("Subscriptions beyond 30 are invalid!"));
        assert_eq!(refused_channels("Invalid request"), (Vec::new(), None));
    }
}
