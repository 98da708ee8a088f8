//! Wire types and the one entry point that classifies and decodes a text frame.
//!
//! [`parse_frame`] reads the envelope (`channel`, `event`, `time`, `result`, `error`, …)
//! in one pass and decodes `result` in place as soon as the channel and event are known
//! (Gate sends them first), so the hot pushes are read once, without a DOM and without
//! allocating. Level arrays of book pushes are kept as raw text and decoded straight into
//! the book by whoever iterates them. Arrays of private items are decoded lazily by
//! [`Items`]; trade arrays are only delimited when the frame is read (brackets counted
//! outside strings), their items checked in full as they are iterated, so a malformed
//! trade array ends its iteration with an error. Unknown members are skipped everywhere.
//!
//! Refusals by the venue (a rejected subscription, a failed WebSocket API call) come back
//! as [`Error::Rejected`] / [`Error::Api`]; broken frames as the decode variants of
//! [`Error`]. Nothing here panics on any input.

pub(crate) mod book;
mod market;
mod private;
pub(crate) mod read;

use core::fmt;
use core::marker::PhantomData;

use market_types::{BookTicker, Fill, Position, Symbol, Ticker};

pub use self::book::{BookSnapshot, LevelIter, OrderBookUpdate, RawLevels, parse_snapshot};
pub use self::market::PublicTrade;
pub use self::private::{BalanceUpdate, OrderEvent, OrderUpdate};

use self::book::once;
use crate::error::{Context, Error, ErrorCode, FieldError, Malformation, Snippet};
use crate::json::{Fault, JsonStr, Scanner, Span, Value};
use crate::venue::{Channel, Decoder, Market, RequestEvent};

/// One decoded server frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message<'a> {
    /// A subscribe or unsubscribe request succeeded.
    Ack(Ack),
    /// Answer to an application ping.
    Pong(Pong),
    /// `spot.login` / `futures.login` succeeded.
    Login(LoginResponse<'a>),
    /// Another WebSocket API response (order placement ack or result, …).
    Api(ApiResponse<'a>),
    /// An incremental (or `full`) book push: `order_book_update` or `obu`.
    OrderBookUpdate(OrderBookUpdate<'a>),
    /// A snapshot push: `spot.order_book` or the legacy `futures.order_book`.
    BookSnapshot(BookSnapshot<'a>),
    /// Best bid and ask.
    BookTicker(BookTicker),
    /// One spot trade (spot pushes one object per trade).
    Trade(PublicTrade),
    /// Futures trades (an array per push).
    Trades(Items<'a, PublicTrade>),
    /// Tickers: one object per push on spot, an array on futures; decoded on
    /// iteration (they come once a second, so nothing is decoded eagerly).
    Tickers(Items<'a, Ticker>),
    /// Private order updates.
    Orders(Items<'a, OrderUpdate>),
    /// Private fills.
    UserTrades(Items<'a, Fill>),
    /// Private balance changes.
    Balances(Items<'a, BalanceUpdate>),
    /// Private position changes.
    Positions(Items<'a, Position>),
    /// A push on a channel this crate recognises but does not decode (candlesticks,
    /// liquidations); `result` is its raw JSON.
    Other {
        /// The channel.
        channel: Channel,
        /// The raw `result` value.
        result: &'a [u8],
    },
}

/// Acknowledgement of a subscribe/unsubscribe request (spec §3.1):
/// `{"time":1611541000,"time_ms":1611541000001,"channel":"spot.orders",
/// "event":"subscribe","error":null,"result":{"status":"success"}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// The channel.
    pub channel: Channel,
    /// Subscribe or unsubscribe.
    pub event: RequestEvent,
    /// The request id, when echoed.
    pub id: Option<i64>,
    /// The first pair of the echoed payload, when the venue echoes it.
    pub pair: Option<Symbol>,
    /// Server time in milliseconds (`time_ms`, else `time` × 1000).
    pub time_ms: Option<u64>,
}

/// `{"time":1545404023,"channel":"spot.pong","event":"","error":null,"result":null}`
/// (spec §3.3, §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pong {
    /// Spot or futures.
    pub market: Market,
    /// Server time in seconds, when sent.
    pub time_s: Option<u64>,
    /// Server time in milliseconds, when sent.
    pub time_ms: Option<u64>,
}

/// A successful login (spec §3.8, G1 "Login"):
/// `{"request_id":"request-1","header":{"status":"200","channel":"spot.login",…},
/// "data":{"result":{"api_key":"ea83…","uid":"110284739"}}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginResponse<'a> {
    /// Spot or futures.
    pub market: Market,
    /// The `req_id` of the login request.
    pub request_id: &'a str,
    /// The account's user id.
    pub uid: Option<u64>,
    /// Server time of the response in milliseconds.
    pub response_time_ms: Option<u64>,
}

/// A successful WebSocket API response other than login (spec §3.8): the ack
/// (`"ack": true`, result echoes the request) or the result of an order request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiResponse<'a> {
    /// The API channel name (`spot.order_place`, …).
    pub channel: &'a str,
    /// The `req_id` of the request.
    pub request_id: &'a str,
    /// True for the first, acknowledging response of an order request.
    pub ack: bool,
    /// The status in the header (200).
    pub status: u16,
    /// Server time of the response in milliseconds.
    pub response_time_ms: Option<u64>,
    /// Rate-limit counters, when sent.
    pub rate_limit: Option<RateLimit>,
    /// The raw JSON of `data.result`.
    pub result: Option<&'a [u8]>,
}

/// `x_gate_ratelimit_*` header members of WebSocket API responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// Requests allowed per window.
    pub limit: Option<u64>,
    /// When the window resets, milliseconds since the Unix epoch.
    pub reset_ms: Option<u64>,
}

/// The elements of an array push (or the single object some channels send), decoded one
/// at a time on iteration: no `Vec`, nothing decoded that is not read.
pub struct Items<'a, T> {
    frame: &'a [u8],
    span: Span,
    channel: Channel,
    time_ms: u64,
    decode: DecodeFn<T>,
    marker: PhantomData<fn() -> T>,
}

type DecodeFn<T> =
    for<'s> fn(&mut Scanner<'s>, Market, u64, &mut Option<Symbol>) -> Result<T, Fault>;

impl<'a, T> Items<'a, T> {
    /// The channel the items came on.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The raw JSON of the array.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.frame
            .get(self.span.start..self.span.end)
            .unwrap_or_default()
    }

    /// Iterates the items; each is the decoded value or its decode error.
    pub fn iter(&self) -> ItemIter<'a, T> {
        ItemIter {
            sc: Scanner::at(self.frame, self.span.start),
            end: self.span.end,
            channel: self.channel,
            time_ms: self.time_ms,
            decode: self.decode,
            state: ItemState::Start,
        }
    }
}

impl<T> Clone for Items<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Items<'_, T> {}

impl<T> PartialEq for Items<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.channel == other.channel && self.as_bytes() == other.as_bytes()
    }
}

impl<T> Eq for Items<'_, T> {}

impl<T> fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("channel", &self.channel)
            .field("json", &String::from_utf8_lossy(self.as_bytes()))
            .finish()
    }
}

impl<'a, T> IntoIterator for Items<'a, T> {
    type Item = Result<T, Error>;
    type IntoIter = ItemIter<'a, T>;

    fn into_iter(self) -> ItemIter<'a, T> {
        self.iter()
    }
}

/// Iterator over [`Items`]; stops after the first error.
pub struct ItemIter<'a, T> {
    sc: Scanner<'a>,
    /// Where the array (or object) ends: a walk that succeeds ends exactly here.
    end: usize,
    channel: Channel,
    time_ms: u64,
    decode: DecodeFn<T>,
    state: ItemState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemState {
    Start,
    Array { first: bool },
    Done,
}

impl<T> fmt::Debug for ItemIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemIter")
            .field("channel", &self.channel)
            .field("pos", &self.sc.pos())
            .finish()
    }
}

impl<T> Iterator for ItemIter<'_, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        let mut pair = None;
        let step = self.step(&mut pair);
        match step {
            Ok(item) => item.map(Ok),
            Err(fault) => {
                self.state = ItemState::Done;
                Some(Err(Error::from_fault(
                    fault,
                    self.sc.bytes(),
                    Some(self.channel),
                    pair,
                )))
            }
        }
    }
}

impl<T> ItemIter<'_, T> {
    fn step(&mut self, pair: &mut Option<Symbol>) -> Result<Option<T>, Fault> {
        let market = self.channel.market();
        let mut first = match self.state {
            ItemState::Done => return Ok(None),
            ItemState::Start => {
                if self.sc.peek()? == b'{' {
                    // A single object stands for a one-element array.
                    self.state = ItemState::Done;
                    let item = (self.decode)(&mut self.sc, market, self.time_ms, pair)?;
                    self.at_end()?;
                    return Ok(Some(item));
                }
                self.sc.begin_array()?;
                true
            }
            ItemState::Array { first } => first,
        };
        self.state = ItemState::Done;
        if !self.sc.next_item(&mut first)? {
            self.at_end()?;
            return Ok(None);
        }
        let item = (self.decode)(&mut self.sc, market, self.time_ms, pair)?;
        self.state = ItemState::Array { first };
        Ok(Some(item))
    }

    /// The walk ended where the span does. The trade arrays' spans are found without
    /// grammar checks ([`Scanner::skip_items_lazy`]); a walk of well-formed JSON
    /// always ends at the same place, so this only guards against input that is not.
    #[inline]
    fn at_end(&self) -> Result<(), Fault> {
        let pos = self.sc.pos();
        if pos == self.end {
            Ok(())
        } else {
            Err(Fault::json(
                match self.sc.bytes().get(pos) {
                    Some(&b) => Malformation::UnexpectedByte(b),
                    None => Malformation::UnexpectedEnd,
                },
                pos,
            ))
        }
    }
}

/// Classifies and decodes one text frame.
///
/// # Errors
/// [`Error::Rejected`] for a refused subscription (code 4 is fatal, see
/// [`Error::is_fatal`]), [`Error::Api`] for a failed WebSocket API request, and the
/// decode variants ([`Error::is_decode`]) for anything malformed or cut short.
pub fn parse_frame(frame: &[u8]) -> Result<Message<'_>, Error> {
    parse_frame_with(frame, None)
}

/// [`parse_frame`] of a frame whose envelope [`compact_head`] has already read: decoding
/// starts at the `result`. With `None` it is [`parse_frame`].
pub(crate) fn parse_frame_with(
    frame: &[u8],
    head: Option<CompactHead>,
) -> Result<Message<'_>, Error> {
    let mut state = ScanState::default();
    match scan(frame, head, &mut state) {
        Ok(result) => result,
        Err(fault) => Err(Error::from_fault(fault, frame, state.channel, state.pair)),
    }
}

/// The channel of a frame, read without decoding the rest (for queue classification).
/// `None` when the frame has no known channel before its `result`.
pub fn peek_channel(frame: &[u8]) -> Option<Channel> {
    let mut sc = Scanner::new(frame);
    sc.begin_object().ok()?;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first).ok()? {
        if key.raw == b"channel" {
            return Channel::from_wire(read::word(&mut sc, "channel").ok()?);
        }
        sc.skip_value().ok()?;
    }
    None
}

#[derive(Debug, Default)]
struct ScanState {
    channel: Option<Channel>,
    pair: Option<Symbol>,
}

/// The envelope's `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Subscribe,
    Unsubscribe,
    Update,
    All,
    Empty,
    Api,
    Other,
}

impl Event {
    /// The event named by `raw` (the string's raw text).
    #[inline]
    pub(crate) fn from_raw(raw: &[u8]) -> Event {
        match raw {
            b"update" => Event::Update,
            b"all" => Event::All,
            b"subscribe" => Event::Subscribe,
            b"unsubscribe" => Event::Unsubscribe,
            b"" => Event::Empty,
            b"api" => Event::Api,
            _ => Event::Other,
        }
    }
}

enum Decoded<'a> {
    Book(OrderBookUpdate<'a>),
    Snapshot(BookSnapshot<'a>),
    BookTicker(BookTicker),
    Trade(PublicTrade),
    List(Span),
    Status(Option<bool>),
    Raw(Span),
    Null,
}

#[derive(Default)]
struct Envelope<'a> {
    channel_raw: Option<&'a [u8]>,
    channel: Option<Channel>,
    event: Option<Event>,
    time_s: Option<u64>,
    time_ms: Option<u64>,
    id: Option<i64>,
    error: Option<(i64, JsonStr<'a>)>,
    pair: Option<Symbol>,
    result: Option<Decoded<'a>>,
    deferred: Option<Span>,
    request_id: Option<JsonStr<'a>>,
    header: Option<Span>,
    data: Option<Span>,
    ack: bool,
}

impl Envelope<'_> {
    fn millis(&self) -> u64 {
        self.time_ms
            .or_else(|| self.time_s.and_then(|s| s.checked_mul(1000)))
            .unwrap_or(0)
    }
}

fn scan<'a>(
    frame: &'a [u8],
    head: Option<CompactHead>,
    state: &mut ScanState,
) -> Result<Result<Message<'a>, Error>, Fault> {
    let mut sc = Scanner::new(frame);
    let mut first = true;
    let mut env = Envelope::default();
    let compact = match head {
        Some(head) => {
            env.channel_raw = frame.get(head.channel_raw.start..head.channel_raw.end);
            env.channel = Some(head.channel);
            env.event = Some(head.event);
            env.time_s = head.time_s;
            env.time_ms = head.time_ms;
            sc.set_pos(head.result_at);
            Some((head.channel, head.event))
        }
        None => compact_envelope::<true>(&mut sc, &mut env),
    };
    match compact {
        Some((channel, event)) => {
            // A compact book ticker closing the frame: what `decode_result` and the check
            // below make of it, without the intermediate results. Anything else is read
            // again from the result's start by the path below.
            if matches!(channel.spec().decoder, Decoder::BookTicker)
                && matches!(event, Event::Update | Event::All)
            {
                let start = sc.pos();
                if let Some(ticker) = market::compact_book_ticker(&mut sc, channel.market())
                    && sc.pos() + 1 == frame.len()
                    && frame.last() == Some(&b'}')
                {
                    return Ok(Ok(Message::BookTicker(ticker)));
                }
                sc.set_pos(start);
            }
            // As the `result` arm below, with everything before it read.
            first = false;
            state.channel = Some(channel);
            let decoded = decode_result(&mut sc, channel, event, &mut state.pair)?;
            // Nothing after the result but the closing brace: no `error`, `id` or second
            // `result` can follow, so the message is what the checks below would make.
            if sc.pos() + 1 == frame.len() && frame.last() == Some(&b'}') {
                match decoded {
                    Decoded::BookTicker(ticker) => return Ok(Ok(Message::BookTicker(ticker))),
                    Decoded::Trade(trade) => return Ok(Ok(Message::Trade(trade))),
                    Decoded::List(span) => {
                        let items = ItemsSpan {
                            frame,
                            span,
                            channel,
                            time_ms: env.millis(),
                        };
                        return Ok(Ok(list_message(items).unwrap_or(Message::Other {
                            channel,
                            result: frame.get(span.start..span.end).unwrap_or_default(),
                        })));
                    }
                    _ => {}
                }
            }
            env.result = Some(decoded);
        }
        None => {
            env = Envelope::default();
            sc = Scanner::new(frame);
            sc.begin_object()?;
        }
    }
    while let Some(key) = sc.next_key(&mut first)? {
        let at = key.at;
        match key.raw {
            b"channel" => {
                once(&env.channel_raw, "channel", at)?;
                let raw = read::word(&mut sc, "channel")?;
                env.channel_raw = Some(raw);
                env.channel = Channel::from_wire(raw);
                state.channel = env.channel;
            }
            b"event" => {
                once(&env.event, "event", at)?;
                env.event = Some(event(&mut sc)?);
            }
            b"result" => {
                if env.result.is_some() || env.deferred.is_some() {
                    return Err(Fault::duplicate("result", at));
                }
                match (env.channel, env.event) {
                    (Some(channel), Some(event)) => {
                        let decoded = decode_result(&mut sc, channel, event, &mut state.pair)?;
                        env.result = Some(decoded);
                    }
                    _ => {
                        let start = sc.pos();
                        sc.skip_value()?;
                        env.deferred = Some(Span {
                            start,
                            end: sc.pos(),
                        });
                    }
                }
            }
            b"time" => env.time_s = Some(read::uint(&mut sc, "time")?),
            b"time_ms" => env.time_ms = Some(read::uint(&mut sc, "time_ms")?),
            b"id" => {
                env.id = if sc.null()? {
                    None
                } else {
                    Some(read::int(&mut sc, "id")?)
                };
            }
            b"error" => env.error = error_member(&mut sc)?,
            b"payload" => env.pair = payload_pair(&mut sc)?,
            b"request_id" => env.request_id = Some(read::text(&mut sc, "request_id")?),
            b"header" => env.header = Some(object_span(&mut sc, "header")?),
            b"data" => env.data = Some(object_span(&mut sc, "data")?),
            b"ack" => env.ack = read::boolean(&mut sc, "ack")?,
            _ => sc.skip_value()?,
        }
    }
    sc.finish()?;

    if env.request_id.is_some() || env.header.is_some() {
        return api_response(frame, &env);
    }
    let Some(raw_channel) = env.channel_raw else {
        return Ok(Err(Error::UnexpectedMessage {
            context: context(frame, 0, None),
        }));
    };
    let Some(channel) = env.channel else {
        let at = find(frame, raw_channel);
        return Ok(Err(Error::UnknownChannel {
            context: context(frame, at, None),
        }));
    };
    if let Some(span) = env.deferred {
        let event = env.event.unwrap_or(Event::Update);
        let mut sub = Scanner::at(frame, span.start);
        env.result = Some(decode_result(&mut sub, channel, event, &mut state.pair)?);
    }
    if matches!(channel, Channel::SpotPong | Channel::FuturesPong) {
        return Ok(Ok(Message::Pong(Pong {
            market: channel.market(),
            time_s: env.time_s,
            time_ms: env.time_ms,
        })));
    }
    let request_event = match env.event {
        Some(Event::Subscribe) => Some(RequestEvent::Subscribe),
        Some(Event::Unsubscribe) => Some(RequestEvent::Unsubscribe),
        _ => None,
    };
    if let Some(event) = request_event {
        return Ok(ack(channel, event, &env));
    }
    if env.error.is_some() {
        // Only acknowledgements carry errors; anything else with one is not understood.
        return Ok(Err(Error::UnexpectedMessage {
            context: context(frame, 0, Some(channel)),
        }));
    }
    let time_ms = env.millis();
    let items = |span: Span| ItemsSpan {
        frame,
        span,
        channel,
        time_ms,
    };
    let message = match env.result {
        Some(Decoded::Book(update)) => Message::OrderBookUpdate(update),
        Some(Decoded::Snapshot(snapshot)) => Message::BookSnapshot(snapshot),
        Some(Decoded::BookTicker(ticker)) => Message::BookTicker(ticker),
        Some(Decoded::Trade(trade)) => Message::Trade(trade),
        Some(Decoded::List(span)) => match list_message(items(span)) {
            Some(message) => message,
            None => Message::Other {
                channel,
                result: frame.get(span.start..span.end).unwrap_or_default(),
            },
        },
        Some(Decoded::Raw(span)) => Message::Other {
            channel,
            result: frame.get(span.start..span.end).unwrap_or_default(),
        },
        Some(Decoded::Status(_) | Decoded::Null) => {
            return Ok(Err(Error::UnexpectedMessage {
                context: context(frame, 0, Some(channel)),
            }));
        }
        None => return Err(Fault::missing("result", frame.len())),
    };
    Ok(Ok(message))
}

/// The channel and event of a compact frame (what [`compact_envelope`] accepts: `time`,
/// `time_ms`, `channel` and `event`, each at most once and in any order, then `result`,
/// no spaces, a known channel), read without decoding anything else; `None` for any
/// other frame.
#[inline]
pub(crate) fn compact_channel_event(frame: &[u8]) -> Option<(Channel, Event)> {
    let mut sc = Scanner::new(frame);
    let mut env = Envelope::default();
    compact_envelope::<false>(&mut sc, &mut env)
}

/// What [`compact_envelope`] read of a compact frame's envelope, so that a parser of the
/// same frame can start at its `result` ([`parse_frame_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompactHead {
    pub(crate) channel: Channel,
    pub(crate) event: Event,
    channel_raw: Span,
    time_s: Option<u64>,
    time_ms: Option<u64>,
    /// Where the `result` value starts.
    pub(crate) result_at: usize,
}

/// The envelope of a compact frame (see [`compact_channel_event`]); `None` for any other.
#[inline]
pub(crate) fn compact_head(frame: &[u8]) -> Option<CompactHead> {
    let mut sc = Scanner::new(frame);
    let mut env = Envelope::default();
    let (channel, event) = compact_envelope::<true>(&mut sc, &mut env)?;
    let raw = env.channel_raw?;
    let start = (raw.as_ptr() as usize).checked_sub(frame.as_ptr() as usize)?;
    Some(CompactHead {
        channel,
        event,
        channel_raw: Span {
            start,
            end: start + raw.len(),
        },
        time_s: env.time_s,
        time_ms: env.time_ms,
        result_at: sc.pos(),
    })
}

/// The members before `result` of a compact frame, `{"time":…,"time_ms":…,"channel":"…",
/// "event":"…","result":` (those four in any order, each once, no spaces), recognised by
/// comparing the eight bytes after each key's quote instead of reading the key. On
/// success the scanner is at the result's value and `env` holds what the general loop
/// would hold at that point; `None` (with `env` and the scanner anywhere) for anything
/// else, which the general loop then reads from the start. Without `TIMES` the times are
/// stepped over when they are plain integers (`env` then holds `Some(0)` for them), for callers that only want
/// the channel and event.
#[inline(always)]
fn compact_envelope<'a, const TIMES: bool>(
    sc: &mut Scanner<'a>,
    env: &mut Envelope<'a>,
) -> Option<(Channel, Event)> {
    const TIME: u64 = u64::from_le_bytes(*b"time\":\0\0");
    const EVENT: u64 = u64::from_le_bytes(*b"event\":\0");
    const TIME_MS: u64 = u64::from_le_bytes(*b"time_ms\"");
    const CHANNEL: u64 = u64::from_le_bytes(*b"channel\"");
    const RESULT: u64 = u64::from_le_bytes(*b"result\":");
    const SIX: u64 = (1 << 48) - 1;
    const SEVEN: u64 = (1 << 56) - 1;
    let frame = sc.bytes();
    if frame.first() != Some(&b'{') {
        return None;
    }
    let mut quote = 1;
    loop {
        if frame.get(quote) != Some(&b'"') {
            return None;
        }
        let chunk: [u8; 8] = frame.get(quote + 1..quote + 9)?.try_into().ok()?;
        let word = u64::from_le_bytes(chunk);
        let colon = frame.get(quote + 9) == Some(&b':');
        if word == RESULT {
            sc.set_pos(quote + 9);
            return Some((env.channel?, env.event?));
        } else if word & SIX == TIME && env.time_s.is_none() {
            sc.set_pos(quote + 7);
            env.time_s = Some(if TIMES {
                read::uint(sc, "time").ok()?
            } else {
                skip_plain_uint(sc)?;
                0
            });
        } else if word == TIME_MS && colon && env.time_ms.is_none() {
            sc.set_pos(quote + 10);
            env.time_ms = Some(if TIMES {
                read::uint(sc, "time_ms").ok()?
            } else {
                skip_plain_uint(sc)?;
                0
            });
        } else if word == CHANNEL && colon && env.channel_raw.is_none() {
            sc.set_pos(quote + 10);
            let raw = read::word(sc, "channel").ok()?;
            env.channel_raw = Some(raw);
            env.channel = Some(Channel::from_wire(raw)?);
        } else if word & SEVEN == EVENT && env.event.is_none() {
            let at = quote + 8;
            env.event = Some(if frame.get(at..at + 8) == Some(b"\"update\"") {
                sc.set_pos(at + 8);
                Event::Update
            } else {
                sc.set_pos(at);
                event(sc).ok()?
            });
        } else {
            return None;
        }
        let comma = sc.pos();
        if frame.get(comma) != Some(&b',') {
            return None;
        }
        quote = comma + 1;
    }
}

/// Steps over a plain non-negative integer (`0` or digits without a leading zero), where
/// [`Scanner::skip_value`] ends when a `,` follows; `None` for anything else.
#[inline(always)]
fn skip_plain_uint(sc: &mut Scanner<'_>) -> Option<()> {
    let at = sc.pos();
    let end = crate::json::digit_run(sc.bytes(), at);
    match sc.bytes().get(at) {
        Some(b'0') if end == at + 1 => {}
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    sc.set_pos(end);
    Some(())
}

struct ItemsSpan<'a> {
    frame: &'a [u8],
    span: Span,
    channel: Channel,
    time_ms: u64,
}

impl<'a> ItemsSpan<'a> {
    fn with<T>(self, decode: DecodeFn<T>) -> Items<'a, T> {
        Items {
            frame: self.frame,
            span: self.span,
            channel: self.channel,
            time_ms: self.time_ms,
            decode,
            marker: PhantomData,
        }
    }
}

fn list_message(items: ItemsSpan<'_>) -> Option<Message<'_>> {
    let message = match items.channel.spec().decoder {
        Decoder::Trades => Message::Trades(
            items.with(|sc, market, _, pair| market::decode_trade(sc, market, pair)),
        ),
        Decoder::Tickers => Message::Tickers(items.with(market::decode_ticker)),
        Decoder::Orders => Message::Orders(
            items.with(|sc, market, _, pair| private::decode_order(sc, market, pair)),
        ),
        Decoder::UserTrades => Message::UserTrades(
            items.with(|sc, market, _, pair| private::decode_fill(sc, market, pair)),
        ),
        Decoder::Balances => Message::Balances(
            items.with(|sc, market, time, _| private::decode_balance(sc, market, time)),
        ),
        Decoder::Positions => Message::Positions(
            items.with(|sc, market, _, pair| private::decode_position(sc, market, pair)),
        ),
        Decoder::BookUpdate | Decoder::Snapshot | Decoder::BookTicker | Decoder::Raw => {
            return None;
        }
    };
    Some(message)
}

fn decode_result<'a>(
    sc: &mut Scanner<'a>,
    channel: Channel,
    event: Event,
    pair: &mut Option<Symbol>,
) -> Result<Decoded<'a>, Fault> {
    let market = channel.market();
    match event {
        Event::Subscribe | Event::Unsubscribe => return status(sc),
        Event::Update | Event::All => {}
        Event::Empty | Event::Api | Event::Other => {
            if sc.null()? {
                return Ok(Decoded::Null);
            }
            return raw(sc);
        }
    }
    let object = sc.peek()? == b'{';
    let decoded = match channel.spec().decoder {
        Decoder::BookUpdate => Decoded::Book(book::decode_update(sc, channel, pair)?),
        Decoder::Snapshot => Decoded::Snapshot(book::decode_snapshot(sc, pair)?),
        Decoder::BookTicker => Decoded::BookTicker(market::decode_book_ticker(sc, market, pair)?),
        Decoder::Trades if object && market == Market::Spot => {
            Decoded::Trade(market::decode_trade(sc, market, pair)?)
        }
        // Trade arrays are only delimited here: their items are checked with the full
        // grammar when they are decoded, on iteration (see `ItemIter`), which reports a
        // malformed array as an error item instead of ending quietly.
        Decoder::Trades => {
            let at = sc.pos();
            if !matches!(sc.peek()?, b'[' | b'{') {
                sc.skip_value()?;
                return Err(Fault::invalid("result", FieldError::ExpectedArray, at));
            }
            Decoded::List(sc.skip_items_lazy()?)
        }
        Decoder::Tickers
        | Decoder::Orders
        | Decoder::UserTrades
        | Decoder::Balances
        | Decoder::Positions => {
            let at = sc.pos();
            if !matches!(sc.peek()?, b'[' | b'{') {
                sc.skip_value()?;
                return Err(Fault::invalid("result", FieldError::ExpectedArray, at));
            }
            let start = sc.pos();
            sc.skip_value()?;
            Decoded::List(Span {
                start,
                end: sc.pos(),
            })
        }
        Decoder::Raw => return raw(sc),
    };
    Ok(decoded)
}

fn raw<'a>(sc: &mut Scanner<'a>) -> Result<Decoded<'a>, Fault> {
    let start = sc.pos();
    sc.skip_value()?;
    // `start` may sit on whitespace before the value; trim it off the span.
    let bytes = sc.bytes();
    let mut start = start;
    while matches!(bytes.get(start), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        start += 1;
    }
    Ok(Decoded::Raw(Span {
        start,
        end: sc.pos(),
    }))
}

/// `{"status":"success"}` / `{"status":"fail"}` / `null` of an ack.
fn status<'a>(sc: &mut Scanner<'a>) -> Result<Decoded<'a>, Fault> {
    if sc.null()? {
        return Ok(Decoded::Status(None));
    }
    if sc.peek()? != b'{' {
        sc.skip_value()?;
        return Ok(Decoded::Status(None));
    }
    sc.begin_object()?;
    let mut first = true;
    let mut ok = None;
    while let Some(key) = sc.next_key(&mut first)? {
        if key.raw == b"status" {
            ok = Some(read::word(sc, "status")? == b"success");
        } else {
            sc.skip_value()?;
        }
    }
    Ok(Decoded::Status(ok))
}

fn ack(
    channel: Channel,
    event: RequestEvent,
    env: &Envelope<'_>,
) -> Result<Message<'static>, Error> {
    let failed = matches!(env.result, Some(Decoded::Status(Some(false))));
    if env.error.is_some() || failed {
        let (code, message) = match env.error {
            Some((code, message)) => (ErrorCode::from_code(code), message.to_text()),
            None => (ErrorCode::Other(0), "result status fail".to_string()),
        };
        return Err(Error::Rejected {
            channel,
            event,
            pair: env.pair,
            id: env.id,
            code,
            message,
        });
    }
    Ok(Message::Ack(Ack {
        channel,
        event,
        id: env.id,
        pair: env.pair,
        time_ms: env
            .time_ms
            .or_else(|| env.time_s.and_then(|s| s.checked_mul(1000))),
    }))
}

fn event(sc: &mut Scanner<'_>) -> Result<Event, Fault> {
    read::word(sc, "event").map(Event::from_raw)
}

/// `error`: `null` or `{"code":2,"message":"…"}`.
fn error_member<'a>(sc: &mut Scanner<'a>) -> Result<Option<(i64, JsonStr<'a>)>, Fault> {
    let at = sc.pos();
    if sc.null()? {
        return Ok(None);
    }
    if sc.peek()? != b'{' {
        sc.skip_value()?;
        return Err(Fault::invalid("error", FieldError::ExpectedObject, at));
    }
    sc.begin_object()?;
    let mut first = true;
    let mut code = None;
    let mut message = None;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"code" => code = Some(read::int(sc, "code")?),
            b"message" => message = Some(read::text(sc, "message")?),
            _ => sc.skip_value()?,
        }
    }
    let empty = JsonStr {
        raw: b"",
        escaped: false,
        at,
    };
    Ok(Some((code.unwrap_or(0), message.unwrap_or(empty))))
}

/// The pair an ack's echoed payload names: `["BTC_USDT","100ms"]`, `["ob.BTC_USDT.400"]`,
/// `["20011","BTC_USD"]` (a futures user id comes first).
fn payload_pair(sc: &mut Scanner<'_>) -> Result<Option<Symbol>, Fault> {
    if sc.peek()? != b'[' {
        sc.skip_value()?;
        return Ok(None);
    }
    sc.begin_array()?;
    let mut first = true;
    let mut found = None;
    while sc.next_item(&mut first)? {
        match sc.value()? {
            Value::Str(s) if found.is_none() => {
                let raw = s.plain().unwrap_or_default();
                let name = match raw.strip_prefix(b"ob.") {
                    Some(rest) => rest
                        .iter()
                        .rposition(|&b| b == b'.')
                        .and_then(|dot| rest.get(..dot))
                        .unwrap_or(rest),
                    None => raw,
                };
                let is_word = name.first().is_some_and(u8::is_ascii_alphabetic);
                if is_word && !name.ends_with(b"ms") {
                    found = Symbol::from_bytes(name).ok();
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

fn object_span(sc: &mut Scanner<'_>, field: &'static str) -> Result<Span, Fault> {
    let at = sc.pos();
    if sc.peek()? != b'{' {
        sc.skip_value()?;
        return Err(Fault::invalid(field, FieldError::ExpectedObject, at));
    }
    let start = sc.pos();
    sc.skip_value()?;
    Ok(Span {
        start,
        end: sc.pos(),
    })
}

/// A WebSocket API response (spec §3.8).
fn api_response<'a>(
    frame: &'a [u8],
    env: &Envelope<'a>,
) -> Result<Result<Message<'a>, Error>, Fault> {
    let request_id = env
        .request_id
        .and_then(|s| core::str::from_utf8(s.raw).ok())
        .unwrap_or("");
    let mut status = 0u16;
    let mut channel_name: &'a [u8] = b"";
    let mut response_time_ms = None;
    let mut rate = RateLimit {
        remaining: None,
        limit: None,
        reset_ms: None,
    };
    if let Some(span) = env.header {
        let mut sc = Scanner::at(frame, span.start);
        sc.begin_object()?;
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match key.raw {
                b"status" => {
                    let at = sc.pos();
                    status = u16::try_from(read::uint(&mut sc, "status")?)
                        .map_err(|_| Fault::invalid("status", FieldError::OutOfRange, at))?;
                }
                b"channel" => channel_name = read::word(&mut sc, "channel")?,
                b"response_time" => {
                    response_time_ms = Some(read::millis(&mut sc, "response_time")?);
                }
                b"x_gate_ratelimit_requests_remain" => {
                    rate.remaining = Some(read::uint(&mut sc, "x_gate_ratelimit_requests_remain")?);
                }
                b"x_gate_ratelimit_limit" => {
                    rate.limit = Some(read::uint(&mut sc, "x_gate_ratelimit_limit")?);
                }
                // The docs' table spells it `x_gat_…`, the examples `x_gate_…`.
                b"x_gate_ratelimit_reset_timestamp" | b"x_gat_ratelimit_reset_timestamp" => {
                    rate.reset_ms =
                        Some(read::millis(&mut sc, "x_gate_ratelimit_reset_timestamp")?);
                }
                _ => sc.skip_value()?,
            }
        }
    }
    let channel = Channel::from_wire(channel_name);
    let mut result = None;
    let mut errs = None;
    if let Some(span) = env.data {
        let mut sc = Scanner::at(frame, span.start);
        sc.begin_object()?;
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match key.raw {
                b"result" => {
                    let start = sc.pos();
                    sc.skip_value()?;
                    let mut start = start;
                    while matches!(frame.get(start), Some(b' ' | b'\n' | b'\r' | b'\t')) {
                        start += 1;
                    }
                    result = frame.get(start..sc.pos());
                }
                b"errs" => errs = Some(api_errs(&mut sc)?),
                _ => sc.skip_value()?,
            }
        }
    }
    if errs.is_some() || (status != 0 && status != 200) {
        let (label, message) = errs.unwrap_or_default();
        return Ok(Err(Error::Api {
            channel,
            request_id: request_id.to_string(),
            status,
            label,
            message,
        }));
    }
    let channel_str = core::str::from_utf8(channel_name).unwrap_or("");
    if let Some(login @ (Channel::SpotLogin | Channel::FuturesLogin)) = channel {
        let uid = match result {
            Some(bytes) => login_uid(bytes)?,
            None => None,
        };
        return Ok(Ok(Message::Login(LoginResponse {
            market: login.market(),
            request_id,
            uid,
            response_time_ms,
        })));
    }
    let has_rate = rate.remaining.is_some() || rate.limit.is_some() || rate.reset_ms.is_some();
    Ok(Ok(Message::Api(ApiResponse {
        channel: channel_str,
        request_id,
        ack: env.ack,
        status,
        response_time_ms,
        rate_limit: has_rate.then_some(rate),
        result,
    })))
}

fn api_errs(sc: &mut Scanner<'_>) -> Result<(String, String), Fault> {
    let at = sc.pos();
    if sc.peek()? != b'{' {
        sc.skip_value()?;
        return Err(Fault::invalid("errs", FieldError::ExpectedObject, at));
    }
    sc.begin_object()?;
    let mut first = true;
    let (mut label, mut message) = (String::new(), String::new());
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"label" => label = read::text(sc, "label")?.to_text(),
            b"message" => message = read::text(sc, "message")?.to_text(),
            _ => sc.skip_value()?,
        }
    }
    Ok((label, message))
}

/// `uid` of a login result (`{"api_key":"…","uid":"110284739"}`); `bytes` is a slice of
/// the frame, so offsets in faults are relative to it.
fn login_uid(bytes: &[u8]) -> Result<Option<u64>, Fault> {
    let mut sc = Scanner::new(bytes);
    if sc.peek()? != b'{' {
        return Ok(None);
    }
    sc.begin_object()?;
    let mut first = true;
    let mut uid = None;
    while let Some(key) = sc.next_key(&mut first)? {
        if key.raw == b"uid" {
            uid = Some(read::uint(&mut sc, "uid")?);
        } else {
            sc.skip_value()?;
        }
    }
    Ok(uid)
}

fn context(frame: &[u8], at: usize, channel: Option<Channel>) -> Context {
    Context {
        channel,
        pair: None,
        snippet: Snippet::around(frame, at),
    }
}

/// Offset of `needle` (a sub-slice of `frame`) in `frame`, for error snippets.
fn find(frame: &[u8], needle: &[u8]) -> usize {
    let base = frame.as_ptr() as usize;
    let at = needle.as_ptr() as usize;
    at.checked_sub(base)
        .filter(|&o| o <= frame.len())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same frame with a space after every member separator, which the compact fast
    /// paths (envelope, book ticker) leave to the general loops.
    fn spaced(frame: &str) -> String {
        frame.replace(",\"", ", \"").replace("{\"", "{ \"")
    }

    fn summary(result: &Result<Message<'_>, Error>) -> String {
        match result {
            // The raw text of an array differs with the spacing; its items must not.
            Ok(Message::Trades(items)) => format!("{:?}", items.iter().collect::<Vec<_>>()),
            Ok(message) => format!("{message:?}"),
            // Offsets differ with the spacing; the kind of error must not.
            Err(error) => format!("{:?}", core::mem::discriminant(error)),
        }
    }

    /// `parse_frame` of `frame`, checked to be exactly what the handlers' path gives: the
    /// envelope read once by `compact_head`, then `parse_frame_with` from the `result`.
    fn parse_both_ways(frame: &[u8]) -> Result<Message<'_>, Error> {
        let exact = |result: &Result<Message<'_>, Error>| match result {
            Ok(Message::Trades(items)) => format!("{:?}", items.iter().collect::<Vec<_>>()),
            other => format!("{other:?}"),
        };
        let plain = parse_frame(frame);
        let headed = parse_frame_with(frame, compact_head(frame));
        assert_eq!(
            exact(&headed),
            exact(&plain),
            "{}",
            String::from_utf8_lossy(frame)
        );
        plain
    }

    #[test]
    fn compact_paths_agree_with_the_general_ones() {
        let frames = [
            r#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#,
            r#"{"time":1615366379,"time_ms":1615366379123,"channel":"futures.book_ticker","event":"update","result":{"t":1615366379123,"u":2517661076,"s":"BTC_USD","b":"54696.6","B":37000,"a":"54696.7","A":0}}"#,
            r#"{"time":1615366379,"channel":"futures.book_ticker","event":"update","result":{"u":2517661076,"t":1615366379123,"s":"BTC_USD","b":"","B":37000,"a":"54696.7","A":47061,"x":[1]}}"#,
            r#"{"channel":"spot.book_ticker","event":"update","time":1,"time":2,"result":{"t":"1606293275123.5","u":"48733182","s":"BTC_USDT","b":null,"B":"0","a":"1e3","A":"-0.5"}}"#,
            r#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"id_market":2390902,"create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT","amount":"16.4700000000","price":"0.4705000000","range":"2390902-2390902","id_market":5736713}}"#,
            r#"{"channel":"futures.trades","event":"update","time":1541503698,"time_ms":1541503698123,"result":[{"size":-108,"id":27753479,"create_time":1545136464,"create_time_ms":1545136464123,"price":"96.4","contract":"BTC_USD","is_internal":true},{"size":5.5e1,"id":"0012","create_time":1545136464,"price":96.5,"contract":"BTC_USD","is_internal":false}]}"#,
            r#"{"time":1611541000,"time_ms":1611541000001,"channel":"spot.orders","event":"subscribe","error":null,"result":{"status":"success"}}"#,
            r#"{"time":1611541000,"channel":"spot.book_ticker","channel":"spot.trades","event":"update","result":{}}"#,
            r#"{"time":1611541000,"channel":"spot.nothing","event":"update","result":{}}"#,
            r#"{"time":"x","channel":"spot.book_ticker","event":"update","result":{}}"#,
            r#"{"result":{"t":1,"u":2,"s":"A_B","b":"1","B":"1","a":"2","A":"1"},"channel":"spot.book_ticker","event":"update"}"#,
            r#"{"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":2,"s":"A_B","b":"1","B":"1","a":"2","A":"1"},"result":1}"#,
            r#"{"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":2,"s":"A_B","b":"1","B":"1","a":"2","A":"1","A":"3"}}"#,
            r#"{"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":-2,"s":"A_B","b":"1","B":"1","a":"2","A":"1"}}"#,
        ];
        for frame in frames {
            for cut in 0..=frame.len() {
                let Some(compact) = frame.get(..cut) else {
                    continue;
                };
                let general = spaced(compact);
                let fast = parse_both_ways(compact.as_bytes());
                let slow = parse_frame(general.as_bytes());
                assert_eq!(summary(&fast), summary(&slow), "{compact}");
            }
        }
    }

    /// The book ticker read straight from `scan` (a compact result closing the frame) and
    /// its near misses give what the general loop gives, values and errors alike, for
    /// every prefix.
    #[test]
    fn compact_book_tickers_from_scan_agree_with_the_general_path() {
        const HEAD: &str = r#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":"#;
        const RESULT: &str = r#"{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}"#;
        let results = [
            RESULT.to_string(),
            RESULT.replace("0.0003341504", "0.00033415"),
            RESULT.replace("0.0003341504", "0.000334150"),
            RESULT.replace("0.0003341504", "0.000334150400000"),
            RESULT.replace("0.0003341504", "0.0003341504000000"),
            RESULT.replace("0.0003341504", "1234567.12345678901"),
            RESULT.replace("0.0003341504", "123.000000000000000"),
            RESULT.replace("0.0003341504", "0.0000000000"),
            RESULT.replace("0.0003341504", "0.00033415x4"),
            RESULT.replace("0.0003341504", "0.0003341504 "),
            RESULT.replace("\"0.09\"", "\"0.0900000001\""),
            RESULT.replace("\"0.09\"", "\"0.\""),
            RESULT.replace("\"0.09\"", "\"\""),
            RESULT.replace("\"0.09\"", "9"),
            RESULT.replace("\"0.09\"", "null"),
            RESULT.replace("BTC_USDT", ""),
            RESULT.replace("}", ",\"x\":1}"),
            RESULT.replace("}", "} "),
        ];
        let mut frames = Vec::new();
        for result in &results {
            frames.push(format!("{HEAD}{result}}}"));
            frames.push(format!("{HEAD}{result},\"x\":1}}"));
            frames.push(format!("{HEAD}{result}}} "));
            frames.push(format!("{HEAD}{result}"));
            frames.push(format!("{HEAD}{result}}}").replace("update", "all"));
            frames.push(format!("{HEAD}{result}}}").replace("update", "subscribe"));
            frames.push(
                format!("{HEAD}{result}}}").replace("spot.book_ticker", "futures.book_ticker"),
            );
            frames.push(format!("{HEAD}{result}}}").replace("spot.book_ticker", "spot.trades"));
        }
        for frame in &frames {
            for cut in 0..=frame.len() {
                let Some(compact) = frame.get(..cut) else {
                    continue;
                };
                let general = spaced(compact);
                let fast = parse_both_ways(compact.as_bytes());
                let slow = parse_frame(general.as_bytes());
                assert_eq!(summary(&fast), summary(&slow), "{compact}");
            }
        }
        let frame = format!("{HEAD}{RESULT}}}");
        let Ok(Message::BookTicker(ticker)) = parse_frame(frame.as_bytes()) else {
            panic!("{frame}");
        };
        let (Some(bid), Some(ask)) = (ticker.bid, ticker.ask) else {
            panic!("{ticker:?}");
        };
        let decimal = market_types::Decimal::parse;
        assert_eq!(Ok(bid.quantity.value()), decimal("0.0003341504"));
        assert_eq!(Ok(ask.quantity.value()), decimal("0.09"));
        assert_eq!(ticker.update_id, Some(48_733_182));
    }

    const TRADES_HEAD: &str = r#"{"channel":"futures.trades","event":"update","time":1541503698,"time_ms":1541503698123,"result":"#;
    const TRADE: &str = r#"{"size":-108,"id":27753479,"create_time":1545136464,"create_time_ms":1545136464123,"price":"96.4","contract":"BTC_USD","is_internal":true}"#;

    fn trades_frame(result: &str) -> String {
        format!("{TRADES_HEAD}{result}}}")
    }

    /// The venue's futures trade layout (read in order without key lookups) and its
    /// near misses give what the general loop gives, values and errors alike.
    #[test]
    fn compact_futures_trades_agree_with_the_general_path() {
        let items = [
            TRADE.to_string(),
            TRADE.replace("-108", "\"5.25\""),
            TRADE.replace("true", "false"),
            TRADE.replace("true", "1"),
            TRADE.replace("\"96.4\"", "96.4"),
            TRADE.replace("\"96.4\"", "\"x\""),
            TRADE.replace("\"96.4\"", "\"\""),
            TRADE.replace("27753479", "\"0012\""),
            TRADE.replace("27753479", "-1"),
            TRADE.replace("1545136464123", "\"1545136464123.5\""),
            TRADE.replace("BTC_USD", ""),
            TRADE.replace(",\"is_internal\":true", ""),
            TRADE.replace("}", ",\"x\":1}"),
            TRADE.replace("\"contract\"", "\"contracts\""),
            TRADE.replace("\"size\":-108,", "") + ",",
            TRADE.replace("\"size\"", "\"amount\""),
            TRADE.replace("\"create_time_ms\"", "\"create_time\""),
        ];
        for item in &items {
            for result in [
                item.clone(),
                format!("[{item}]"),
                format!("[{TRADE},{item}]"),
                format!("[{item},{TRADE}]"),
            ] {
                let frame = trades_frame(&result);
                for cut in 0..=frame.len() {
                    let Some(compact) = frame.get(..cut) else {
                        continue;
                    };
                    let general = spaced(compact);
                    let fast = parse_both_ways(compact.as_bytes());
                    let slow = parse_frame(general.as_bytes());
                    assert_eq!(items_summary(&fast), items_summary(&slow), "{compact}");
                }
            }
        }
    }

    /// [`summary`] with the items' errors by kind (their offsets differ with spacing).
    fn items_summary(result: &Result<Message<'_>, Error>) -> String {
        match result {
            Ok(Message::Trades(items)) => {
                let items: Vec<String> = items
                    .iter()
                    .map(|item| match item {
                        Ok(trade) => format!("{trade:?}"),
                        Err(Error::InvalidField { field, reason, .. }) => {
                            format!("invalid {field}: {reason:?}")
                        }
                        Err(Error::MissingField { field, .. }) => format!("missing {field}"),
                        Err(error) => format!("{:?}", core::mem::discriminant(&error)),
                    })
                    .collect();
                format!("{items:?}")
            }
            other => summary(other),
        }
    }

    /// Trade arrays are only delimited when the frame is parsed; whatever is wrong inside
    /// them comes out of the iterator as an error, never as an array cut short.
    #[test]
    fn malformed_trade_arrays_end_in_an_error_item() {
        let results = [
            format!("[{TRADE}}}"),
            format!("[{TRADE},]"),
            format!("[{TRADE} {TRADE}]"),
            format!("[{TRADE}{TRADE}]"),
            format!("[{TRADE},{}]", TRADE.replace("-108", "01")),
            format!("[{TRADE},{}]", TRADE.replace("-108", "-")),
            format!("[{TRADE},{}]", TRADE.replace("true", "tru")),
            format!("[{TRADE},{}]", TRADE.replace(":true", ":[}")),
            format!("[{TRADE},{}]", TRADE.replace("BTC_USD", "BTC\\qUSD")),
            format!("[{TRADE},{}]", TRADE.replace(",\"id\"", "\"id\"")),
            format!("[{TRADE},{}]", TRADE.replace("\"price\":", "\"price\"")),
            format!("[{TRADE},{}]", TRADE.replace("}", ",\"x\":[1 2]}")),
            format!("[{TRADE},{}]", TRADE.replace("}", ",\"x\":{\"a\":]}")),
            format!("[{TRADE}, 7]"),
            format!("[{TRADE},[]]"),
            TRADE.replace("}", "]"),
        ];
        let mut lazily = 0;
        for result in &results {
            for frame in [trades_frame(result), spaced(&trades_frame(result))] {
                match parse_frame(frame.as_bytes()) {
                    Ok(Message::Trades(items)) => {
                        lazily += 1;
                        let all: Vec<_> = items.iter().collect();
                        let last = all.last().unwrap_or_else(|| panic!("no items: {frame}"));
                        match last {
                            Err(error) => assert!(error.is_decode(), "{frame}: {error}"),
                            Ok(_) => panic!("malformed array read as valid: {frame}"),
                        }
                        assert!(all.iter().rev().skip(1).all(Result::is_ok), "{frame}");
                    }
                    Ok(other) => panic!("{frame}: {other:?}"),
                    Err(error) => assert!(error.is_decode(), "{frame}: {error}"),
                }
            }
        }
        // Most are only found on iteration; none is read as a shorter valid array.
        assert!(lazily >= 20, "{lazily}");
    }

    /// Whatever a trades push's iterator reads without an error is valid JSON ending
    /// exactly where the array does (random structural damage to a two-trade push).
    #[test]
    fn trade_items_read_cleanly_only_from_valid_arrays() {
        let frame = trades_frame(&format!("[{TRADE},{}]", TRADE.replace("-108", "5")));
        let structural = b"{}[]\",:\\-.0e t";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut clean = 0;
        for _ in 0..30_000 {
            let mut bytes = frame.as_bytes().to_vec();
            for _ in 0..1 + next() % 2 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = structural[(next() % structural.len() as u64) as usize];
            }
            let Ok(Message::Trades(items)) = parse_frame(&bytes) else {
                continue;
            };
            if items.iter().all(|item| item.is_ok()) {
                let array = items.as_bytes();
                let mut sc = Scanner::new(array);
                assert!(
                    sc.skip_value().and_then(|()| sc.finish()).is_ok(),
                    "{}",
                    String::from_utf8_lossy(&bytes)
                );
                clean += 1;
            }
        }
        assert!(clean > 100, "{clean}");
    }
}
