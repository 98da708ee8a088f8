//! The general reader of a frame: the envelope's members in any order and spacing,
//! `result` decoded as soon as its channel and event are known.

use market_types::{BookTicker, Symbol};

use super::book::{self, once};
use super::compact::compact_envelope;
use super::items::{ItemsSpan, list_message};
use super::response::{
    ack, api_response, context, error_member, event, find, object_span, payload_pair,
};
use super::{BookSnapshot, CompactHead, Message, OrderBookUpdate, Pong, PublicTrade, market, read};
use crate::error::{Error, FieldError};
use crate::json::{Fault, JsonStr, Scanner, Span};
use crate::venue::{Channel, Decoder, Market, RequestEvent};

#[derive(Debug, Default)]
pub(super) struct ScanState {
    pub(super) channel: Option<Channel>,
    pub(super) pair: Option<Symbol>,
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

pub(super) enum Decoded<'a> {
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
pub(super) struct Envelope<'a> {
    pub(super) channel_raw: Option<&'a [u8]>,
    pub(super) channel: Option<Channel>,
    pub(super) event: Option<Event>,
    pub(super) time_s: Option<u64>,
    pub(super) time_ms: Option<u64>,
    pub(super) id: Option<i64>,
    pub(super) error: Option<(i64, JsonStr<'a>)>,
    pub(super) pair: Option<Symbol>,
    pub(super) result: Option<Decoded<'a>>,
    pub(super) deferred: Option<Span>,
    pub(super) request_id: Option<JsonStr<'a>>,
    pub(super) header: Option<Span>,
    pub(super) data: Option<Span>,
    pub(super) ack: bool,
}

impl Envelope<'_> {
    fn millis(&self) -> u64 {
        self.time_ms
            .or_else(|| self.time_s.and_then(|s| s.checked_mul(1000)))
            .unwrap_or(0)
    }
}

pub(super) fn scan<'a>(
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

pub(super) fn decode_result<'a>(
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

pub(super) fn raw<'a>(sc: &mut Scanner<'a>) -> Result<Decoded<'a>, Fault> {
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
pub(super) fn status<'a>(sc: &mut Scanner<'a>) -> Result<Decoded<'a>, Fault> {
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
