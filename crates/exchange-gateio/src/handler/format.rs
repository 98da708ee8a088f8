//! Subscription topics and how they are rendered (the handlers' `SubscriptionMixin`s), and
//! the cheap message-type detection both handlers route with.

use std::cell::Cell;

use market_types::Symbol;
use ws_handlers::{ClockOffset, Lifecycle, WebSocketMessageType};
use ws_mixins::{SubscriptionMixin, Topic};
use ws_session::{OutFrame, Outbox, Timestamp};

use crate::channel::{
    BookDepth, Channel, Market, Payload, RequestEvent, Subscription, UserId, ping_request,
};
use crate::config::Credentials;
use crate::error::{Error, ErrorCode};
use crate::json::Scanner;
use crate::wire::{self, CompactHead, Event, Message, read};

/// One public subscription of one pair or contract. Requests are per channel: topics of
/// one channel share a request (`["BTC_USDT","ETH_USDT"]`); each book has its own
/// (`[pair, interval]` on spot, `[contract, interval, level]` on futures, at the handler's
/// depth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GateioPublicTopic {
    /// `*.order_book_update`: the local book of this symbol.
    OrderBook(Symbol),
    /// `*.book_ticker`: best bid and ask.
    BookTicker(Symbol),
    /// `*.trades`: public trades.
    Trades(Symbol),
    /// `*.tickers`: 24 h tickers.
    Tickers(Symbol),
}

impl GateioPublicTopic {
    /// The pair or contract.
    pub fn symbol(self) -> Symbol {
        match self {
            GateioPublicTopic::OrderBook(s)
            | GateioPublicTopic::BookTicker(s)
            | GateioPublicTopic::Trades(s)
            | GateioPublicTopic::Tickers(s) => s,
        }
    }

    /// The channel on `market`.
    pub fn channel(self, market: Market) -> Channel {
        match (self, market) {
            (GateioPublicTopic::OrderBook(_), market) => market.order_book_update(),
            (GateioPublicTopic::BookTicker(_), Market::Spot) => Channel::SpotBookTicker,
            (GateioPublicTopic::BookTicker(_), Market::Futures) => Channel::FuturesBookTicker,
            (GateioPublicTopic::Trades(_), Market::Spot) => Channel::SpotTrades,
            (GateioPublicTopic::Trades(_), Market::Futures) => Channel::FuturesTrades,
            (GateioPublicTopic::Tickers(_), Market::Spot) => Channel::SpotTickers,
            (GateioPublicTopic::Tickers(_), Market::Futures) => Channel::FuturesTickers,
        }
    }

    /// The topic of `channel` for `symbol`, when it is one of these.
    pub(crate) fn of(channel: Channel, symbol: Symbol) -> Option<GateioPublicTopic> {
        Some(match channel {
            Channel::SpotOrderBookUpdate | Channel::FuturesOrderBookUpdate => {
                GateioPublicTopic::OrderBook(symbol)
            }
            Channel::SpotBookTicker | Channel::FuturesBookTicker => {
                GateioPublicTopic::BookTicker(symbol)
            }
            Channel::SpotTrades | Channel::FuturesTrades => GateioPublicTopic::Trades(symbol),
            Channel::SpotTickers | Channel::FuturesTickers => GateioPublicTopic::Tickers(symbol),
            _ => return None,
        })
    }

    fn same_channel(self, other: GateioPublicTopic) -> bool {
        core::mem::discriminant(&self) == core::mem::discriminant(&other)
    }
}

/// Renders public subscribe and unsubscribe requests.
#[derive(Debug, Clone)]
pub struct PublicFormat {
    market: Market,
    depth: BookDepth,
    /// Topics sent on their own: a multi-pair request fails as a whole when one pair is
    /// refused, so the topics of a refused request are retried one by one.
    solo: Vec<GateioPublicTopic>,
}

impl PublicFormat {
    pub(crate) fn new(market: Market, depth: BookDepth) -> Self {
        Self {
            market,
            depth,
            solo: Vec::new(),
        }
    }

    /// Sends `topic` in a request of its own from now on.
    pub(crate) fn isolate(&mut self, topic: GateioPublicTopic) {
        if !self.solo.contains(&topic) {
            self.solo.push(topic);
        }
    }

    /// The subscription carrying `topics` (all of one channel).
    pub(crate) fn subscription(&self, topics: &[GateioPublicTopic]) -> Result<Subscription, Error> {
        match topics.first() {
            Some(GateioPublicTopic::OrderBook(symbol)) => {
                Subscription::order_book(self.market, *symbol, self.depth)
            }
            Some(topic) => Subscription::symbols(
                topic.channel(self.market),
                topics.iter().map(|t| t.symbol()),
            ),
            None => Err(Error::InvalidSubscription {
                channel: self.market.order_book_update(),
                reason: "no topics",
            }),
        }
    }

    fn render(
        &self,
        event: RequestEvent,
        topics: &[GateioPublicTopic],
        id: u64,
        now: Timestamp,
    ) -> OutFrame {
        let time = now.unix_seconds();
        let id = i64::try_from(id).ok();
        let text = self.subscription(topics).and_then(|s| match event {
            RequestEvent::Subscribe => s.subscribe_request(time, id, None),
            RequestEvent::Unsubscribe => s.unsubscribe_request(time, id, None),
        });
        OutFrame::text(text.unwrap_or_else(|error| {
            // Topics are checked when they are added, so this cannot happen; a ping keeps
            // the request slot harmless and the ack timeout reports the topic.
            tracing::error!(%error, ?topics, "cannot render a public request");
            ping_request(self.market, time, id)
        }))
    }
}

impl SubscriptionMixin for PublicFormat {
    type Topic = GateioPublicTopic;

    fn subscribe_message(&self, topics: &[GateioPublicTopic], id: u64, now: Timestamp) -> OutFrame {
        self.render(RequestEvent::Subscribe, topics, id, now)
    }

    fn unsubscribe_message(
        &self,
        topics: &[GateioPublicTopic],
        id: u64,
        now: Timestamp,
    ) -> OutFrame {
        self.render(RequestEvent::Unsubscribe, topics, id, now)
    }

    fn max_topics_per_request(&self) -> usize {
        MAX_PAIRS_PER_REQUEST
    }

    /// Requests are per channel; each book has its own (its payload names one pair), and
    /// isolated topics go alone.
    fn can_batch(&self, a: &GateioPublicTopic, b: &GateioPublicTopic) -> bool {
        a.same_channel(*b)
            && !matches!(a, GateioPublicTopic::OrderBook(_))
            && !self.solo.contains(a)
            && !self.solo.contains(b)
    }
}

/// Renders private subscriptions, each signed with its own `auth` member.
#[derive(Debug, Clone)]
pub struct PrivateFormat {
    market: Market,
    credentials: Option<Credentials>,
    symbols: Vec<Symbol>,
    user_id: Option<UserId>,
    /// The venue's clock minus ours: subscriptions are signed with the venue's time.
    clock: ClockOffset,
}

impl PrivateFormat {
    pub(crate) fn new(
        market: Market,
        credentials: Option<Credentials>,
        symbols: Vec<Symbol>,
        user_id: Option<UserId>,
    ) -> Self {
        Self {
            market,
            credentials,
            symbols,
            user_id,
            clock: ClockOffset::new(),
        }
    }

    /// Signs with the venue's time as `clock` tells it.
    pub(crate) fn with_clock(self, clock: ClockOffset) -> Self {
        Self { clock, ..self }
    }

    pub(crate) fn user_id(&self) -> Option<UserId> {
        self.user_id
    }

    pub(crate) fn set_user_id(&mut self, user_id: UserId) {
        self.user_id = Some(user_id);
    }

    /// The subscription of `channel` with this account's payload.
    pub(crate) fn subscription(&self, channel: Channel) -> Result<Subscription, Error> {
        let payload = match (self.market, channel) {
            (Market::Spot, Channel::SpotBalances) => Payload::Empty,
            (Market::Spot, _) if self.symbols.is_empty() => Payload::All,
            (Market::Spot, _) => Payload::Symbols(self.symbols.clone()),
            (Market::Futures, _) => Payload::User {
                user_id: self.user_id.ok_or(Error::InvalidSubscription {
                    channel,
                    reason: "futures private channels need the user id",
                })?,
                symbols: self.symbols.clone(),
            },
        };
        Subscription::new(channel, payload)
    }

    fn render(&self, event: RequestEvent, channel: Channel, id: u64, now: Timestamp) -> OutFrame {
        let time = self.clock.venue_seconds(now);
        let id = i64::try_from(id).ok();
        let credentials = self.credentials.as_ref();
        let text = self.subscription(channel).and_then(|s| match event {
            RequestEvent::Subscribe => s.subscribe_request(time, id, credentials),
            RequestEvent::Unsubscribe => s.unsubscribe_request(time, id, credentials),
        });
        OutFrame::text(text.unwrap_or_else(|error| {
            // The handler checks credentials and the user id before it subscribes.
            tracing::error!(%error, %channel, "cannot render a private request");
            ping_request(self.market, time, id)
        }))
    }
}

impl SubscriptionMixin for PrivateFormat {
    type Topic = Channel;

    fn subscribe_message(&self, topics: &[Channel], id: u64, now: Timestamp) -> OutFrame {
        let channel = topics.first().copied().unwrap_or(self.market.ping());
        self.render(RequestEvent::Subscribe, channel, id, now)
    }

    fn unsubscribe_message(&self, topics: &[Channel], id: u64, now: Timestamp) -> OutFrame {
        let channel = topics.first().copied().unwrap_or(self.market.ping());
        self.render(RequestEvent::Unsubscribe, channel, id, now)
    }

    /// One channel per request: each carries its own signature.
    fn can_batch(&self, _a: &Channel, _b: &Channel) -> bool {
        false
    }
}

/// A refused subscribe or unsubscribe request, as [`Error::Rejected`] carries it.
pub(crate) struct Refusal<'a> {
    pub(crate) channel: Channel,
    pub(crate) event: RequestEvent,
    pub(crate) pair: Option<Symbol>,
    pub(crate) id: Option<i64>,
    pub(crate) code: ErrorCode,
    pub(crate) message: &'a str,
}

impl<'a> Refusal<'a> {
    /// The refusal `error` carries, if it is an [`Error::Rejected`].
    pub(crate) fn of(error: &'a Error) -> Option<Self> {
        match error {
            Error::Rejected {
                channel,
                event,
                pair,
                id,
                code,
                message,
            } => Some(Refusal {
                channel: *channel,
                event: *event,
                pair: *pair,
                id: *id,
                code: *code,
                message,
            }),
            _ => None,
        }
    }
}

/// How much of a frame goes into a log line or an error report.
pub(crate) const LOGGED_BYTES: usize = 256;

/// The first [`LOGGED_BYTES`] of a frame, as text, for a log line or an error report.
pub(crate) fn shown(payload: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&payload[..payload.len().min(LOGGED_BYTES)])
}

/// A private frame for a log line or an error report: its length only, as its bytes are
/// account data.
pub(crate) fn withheld(payload: &[u8]) -> String {
    format!("{} bytes, content withheld", payload.len())
}

/// `Lifecycle` signals `Ready` only from acks; after the last pending topic was refused,
/// an ack for no request makes it look again (request ids start at 1, so none is
/// `u64::MAX`).
pub(crate) fn recheck_ready<T: Topic>(lifecycle: &mut Lifecycle<T>, out: &mut Outbox) {
    let _ = lifecycle.ack_request(u64::MAX, out);
}

/// The message type of a Gate frame, read from the envelope's `channel` and `event`
/// without decoding `result` (Gate sends both first). Never allocates.
///
/// Frames as the venue sends them (`{"time":…,"time_ms":…,"channel":"…","event":"…",
/// "result":…`, see [`wire::compact_channel_event`]) are recognised by one word compare
/// per key; anything else is read by [`scanned_message_type`], with the same results.
#[inline]
pub(crate) fn message_type(frame: &[u8]) -> WebSocketMessageType {
    match wire::compact_channel_event(frame) {
        // Only `time`, `time_ms`, `channel` and `event` (valid, each once) come before the
        // `result`: the general scan stops at the same channel and event, with no `error`,
        // `request_id` or `header` before them.
        Some((channel, event)) => classify(Some(channel), Some(event), false),
        None => scanned_message_type(frame),
    }
}

/// The envelope [`HandlerHead::detect`] read, handed to the parser of the same frame so
/// that it starts at the `result` instead of reading the envelope again.
///
/// The template calls `detect_message_type` and `route_message` back to back; the
/// handlers' `route_message` calls [`HandlerHead::clear`] when routing returns. The head is
/// kept with the frame's address and length and used only for that frame: any other is
/// parsed from its start.
#[derive(Debug, Default)]
pub(crate) struct HandlerHead(Cell<Option<(usize, usize, CompactHead)>>);

impl HandlerHead {
    /// [`message_type`] of `frame`, remembering its envelope when it is compact.
    #[inline]
    pub(crate) fn detect(&self, frame: &[u8]) -> WebSocketMessageType {
        match wire::compact_head(frame) {
            Some(head) => {
                self.0
                    .set(Some((frame.as_ptr() as usize, frame.len(), head)));
                classify(Some(head.channel), Some(head.event), false)
            }
            None => {
                self.0.set(None);
                scanned_message_type(frame)
            }
        }
    }

    /// The detected envelope, if it is `frame`'s.
    #[inline]
    pub(crate) fn take(&self, frame: &[u8]) -> Option<CompactHead> {
        match self.0.take() {
            Some((at, len, head)) if at == frame.as_ptr() as usize && len == frame.len() => {
                Some(head)
            }
            _ => None,
        }
    }

    /// [`wire::parse_frame`] of `frame`, from its `result` when its envelope was detected.
    #[inline]
    pub(crate) fn parse<'f>(&self, frame: &'f [u8]) -> Result<Message<'f>, Error> {
        wire::parse_frame_with(frame, self.take(frame))
    }

    /// Forgets the detected envelope (routing of its frame is over).
    #[inline]
    pub(crate) fn clear(&self) {
        self.0.set(None);
    }
}

/// [`message_type`] of any frame: the envelope's members read one by one.
pub(crate) fn scanned_message_type(frame: &[u8]) -> WebSocketMessageType {
    let mut sc = Scanner::new(frame);
    if sc.begin_object().is_err() {
        return WebSocketMessageType::Unknown;
    }
    let mut first = true;
    let mut channel: Option<Option<Channel>> = None;
    let mut event: Option<Event> = None;
    let mut error = false;
    while let Ok(Some(key)) = sc.next_key(&mut first) {
        let step = match key.raw {
            b"channel" => read::word(&mut sc, "channel").map(|raw| {
                channel = Some(Channel::from_wire(raw));
            }),
            b"event" => read::word(&mut sc, "event").map(|raw| event = Some(Event::from_raw(raw))),
            // The WebSocket API (login) answers with `request_id` and `header`.
            b"request_id" | b"header" => return WebSocketMessageType::Auth,
            b"error" => match sc.null() {
                Ok(true) => Ok(()),
                Ok(false) => {
                    error = true;
                    sc.skip_value()
                }
                Err(fault) => Err(fault),
            },
            _ => sc.skip_value(),
        };
        // An unknown or empty channel may still carry an `error` further on.
        if step.is_err() || (matches!(channel, Some(Some(_))) && event.is_some()) {
            break;
        }
    }
    classify(channel.flatten(), event, error)
}

fn classify(channel: Option<Channel>, event: Option<Event>, error: bool) -> WebSocketMessageType {
    use WebSocketMessageType as T;
    match (event, channel) {
        (Some(Event::Subscribe), _) => T::Subscribe,
        (Some(Event::Unsubscribe), _) => T::Unsubscribe,
        (Some(Event::Api), _) => T::Auth,
        (_, Some(Channel::SpotPong | Channel::FuturesPong)) => T::Pong,
        (_, Some(Channel::SpotPing | Channel::FuturesPing)) => T::Ping,
        (Some(Event::Update | Event::All), Some(channel)) => match channel {
            Channel::SpotOrderBookUpdate
            | Channel::FuturesOrderBookUpdate
            | Channel::SpotObu
            | Channel::FuturesObu
            | Channel::SpotOrderBook
            | Channel::FuturesOrderBook => T::OrderBook,
            Channel::SpotBookTicker | Channel::FuturesBookTicker => T::BookTicker,
            Channel::SpotTrades | Channel::FuturesTrades => T::Trade,
            Channel::SpotTickers | Channel::FuturesTickers => T::Ticker,
            Channel::SpotOrders | Channel::FuturesOrders => T::OrderUpdate,
            Channel::SpotUserTrades | Channel::FuturesUserTrades => T::ExecutionReport,
            Channel::SpotBalances | Channel::FuturesBalances => T::BalanceUpdate,
            Channel::FuturesPositions => T::PositionUpdate,
            _ => T::Unknown,
        },
        _ if error => T::Error,
        _ => T::Unknown,
    }
}

/// Pairs one request may carry. Gate documents no limit; this keeps requests small.
const MAX_PAIRS_PER_REQUEST: usize = 50;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    /// `text` without whitespace outside strings (the venue's compact layout).
    fn minified(text: &[u8]) -> Vec<u8> {
        let (mut out, mut quoted, mut escaped) = (Vec::new(), false, false);
        for &b in text {
            if quoted {
                quoted = escaped || b != b'"';
                escaped = !escaped && b == b'\\';
            } else if b.is_ascii_whitespace() {
                continue;
            } else {
                quoted = b == b'"';
            }
            out.push(b);
        }
        out
    }

    fn frames_in(dir: &str) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("gateio_")
            })
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    }

    /// The compact fast path and the general scan agree on every fixture (as stored and
    /// minified), on near misses of the compact layout and on every prefix of each.
    /// The envelope detected for one frame is used for that frame only, once.
    #[test]
    fn a_detected_envelope_serves_only_its_own_frame() {
        let ticker = br#"{"time":1,"time_ms":1000,"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":2,"s":"BTC_USDT","b":"1","B":"1","a":"2","A":"1"}}"#;
        let trade = br#"{"time":1,"time_ms":1000,"channel":"spot.trades","event":"update","result":{"id":1,"create_time":1,"create_time_ms":"1000.5","side":"sell","currency_pair":"BTC_USDT","amount":"1","price":"2"}}"#;
        let head = HandlerHead::default();
        assert_eq!(head.detect(ticker), WebSocketMessageType::BookTicker);
        // Another frame is parsed from its start.
        assert!(matches!(head.parse(trade), Ok(Message::Trade(_))));
        // Taken once: the detected head was dropped by the parse above.
        assert!(head.take(ticker).is_none());
        assert_eq!(head.detect(ticker), WebSocketMessageType::BookTicker);
        assert!(head.take(ticker).is_some());
        assert_eq!(head.detect(trade), WebSocketMessageType::Trade);
        head.clear();
        assert!(head.take(trade).is_none());
        assert!(matches!(head.parse(trade), Ok(Message::Trade(_))));
        // A frame the compact reader does not take leaves nothing behind.
        let spaced = br#"{ "channel":"spot.trades","event":"update","result":{}}"#;
        assert_eq!(head.detect(spaced), WebSocketMessageType::Trade);
        assert!(head.take(spaced).is_none());
    }

    #[test]
    fn compact_detection_agrees_with_the_general_scan() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut fixtures = frames_in(&format!("{root}/tests/data"));
        assert!(fixtures.len() >= 40);
        fixtures.extend(frames_in(&format!("{root}/../../benches/data")));
        let mut frames: Vec<Vec<u8>> = Vec::new();
        let mut fast = 0;
        for fixture in &fixtures {
            let compact = minified(fixture);
            fast += usize::from(wire::compact_channel_event(&compact).is_some());
            let text = String::from_utf8(compact.clone()).unwrap();
            frames.push(fixture.clone());
            frames.push(compact);
            for (from, to) in [
                (",\"", ", \""),
                ("{\"time\"", "{ \"time\""),
                ("\"event\"", "\"error\":{\"code\":1},\"event\""),
                ("\"channel\"", "\"error\":null,\"channel\""),
                ("\"channel\"", "\"request_id\":\"1\",\"channel\""),
                ("\"time\"", "\"header\":{},\"time\""),
                (
                    "\"result\"",
                    "\"error\":{\"code\":2,\"message\":\"x\"},\"result\"",
                ),
                (
                    "\"channel\":\"spot.",
                    "\"channel\":\"spot.nothing\",\"x\":\"spot.",
                ),
                ("\"channel\":\"futures.", "\"channel\":\"futures.x"),
                ("\"event\":\"update\"", "\"event\":\"all\""),
                ("\"event\":\"update\"", "\"event\":\"\""),
                ("\"event\":\"update\"", "\"event\":\"updat\""),
                ("\"time\":", "\"time\":0"),
                ("\"time\":", "\"time\":-"),
                ("\"time\":", "\"time\":\"1\","),
                ("\"time_ms\":", "\"time_ms\":1.5,\"y\":"),
                ("\"time_ms\":", "\"time_ms\":1e3,\"y\":"),
                ("\"time\":", "\"time\":1,\"time\":"),
                ("\"result\"", "\"time\":1,\"result\""),
            ] {
                frames.push(text.replacen(from, to, 1).into_bytes());
            }
            // The envelope's members in another order.
            if let Some(rest) = text.strip_prefix('{')
                && let Some((first, rest)) = rest.split_once(',')
                && let Some((second, rest)) = rest.split_once(',')
            {
                frames.push(format!("{{{second},{first},{rest}").into_bytes());
            }
        }
        assert!(fast >= 20, "{fast}");
        let head = HandlerHead::default();
        for frame in &frames {
            for cut in 0..=frame.len() {
                let prefix = &frame[..cut];
                let general = scanned_message_type(prefix);
                let text = String::from_utf8_lossy(prefix);
                assert_eq!(message_type(prefix), general, "{text}");
                // The handlers' detection (which also keeps the envelope) agrees too.
                assert_eq!(head.detect(prefix), general, "{text}");
            }
        }
    }
}
