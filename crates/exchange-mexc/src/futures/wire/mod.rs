//! Decoding futures frames (JSON text, or gzip binary): the envelope
//! `{"channel":…,"data":…,"symbol":…,"ts":…}` in any member order, then the body by
//! channel. Allocation-free, through the shared [`json_scan`] scanner; numbers are read
//! from their exact text into `Decimal`s, never through `f64`.

mod deal;
mod depth;
mod gzip;
mod levels;
mod ticker;

use self::deal::Deals;
pub use self::deal::{Deal, DealsPush};
pub use self::depth::{DepthData, DepthPush};
pub use self::gzip::{Inflater, MAX_INFLATED};
pub use self::levels::DepthLevel;
pub use self::ticker::{FuturesTicker, TickerPush};

pub(crate) use self::depth::depth_data;
pub(crate) use self::levels::Levels;

use json_scan::read;
use json_scan::{Fault, JsonStr, Scanner, Span, Value};
use market_types::Symbol;

use super::error::FuturesError;

/// One decoded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "lives on the stack for one message; boxing the ticker would allocate per message"
)]
pub enum Frame<'a> {
    /// `push.depth`: changed levels (absolute contracts, 0 removes).
    Depth(DepthPush<'a>),
    /// `push.depth.full`: the top-N book.
    DepthFull(DepthPush<'a>),
    /// `push.deal`: one deal or several.
    Deals(DealsPush<'a>),
    /// `push.ticker`.
    Ticker(TickerPush),
    /// `pong`, with the venue's time (ms).
    Pong(u64),
    /// `rs.sub.<name>` with `"success"`: `name` is e.g. `depth`, `deal`, `depth.full`.
    Subscribed(&'a str),
    /// `rs.unsub.<name>` with `"success"`.
    Unsubscribed(&'a str),
    /// `rs.login` with `"success"`.
    LoggedIn,
    /// `rs.error`, or an `rs.*` reply other than `"success"`.
    Refused(VenueRefusal<'a>),
    /// Any other channel (the private `push.personal.*` ones among them), undecoded.
    Other(RawPush<'a>),
}

/// A refusal from the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenueRefusal<'a> {
    /// The reply's channel (`rs.error`, `rs.sub.deal`, `rs.login`, ...).
    pub channel: &'a str,
    message: Option<JsonStr<'a>>,
}

impl VenueRefusal<'_> {
    /// The venue's text ("Contract doesn't exist!").
    pub fn message(&self) -> String {
        self.message.map(JsonStr::to_text).unwrap_or_default()
    }

    /// Whether the venue says the contract does not exist.
    pub fn is_unknown_contract(&self) -> bool {
        let text = self.message.map(|m| m.raw).unwrap_or_default();
        let lower = |b: &u8| b.to_ascii_lowercase();
        text.windows(8)
            .any(|w| w.iter().map(lower).eq(b"contract".iter().copied()))
            && (contains(text, b"exist") || contains(text, b"not found"))
    }

    /// The typed error; `contract` names the contract of the request it answers (the
    /// venue's text does not), when the caller knows it.
    pub fn to_error(&self, contract: Option<Symbol>) -> FuturesError {
        if self.is_unknown_contract() {
            FuturesError::UnknownContract { symbol: contract }
        } else {
            FuturesError::Refused {
                message: self.message(),
            }
        }
    }
}

fn contains(text: &[u8], needle: &[u8]) -> bool {
    text.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// A frame on a channel this module does not decode: the raw `data` for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPush<'a> {
    /// The channel.
    pub channel: &'a str,
    /// The envelope's `symbol`, when present.
    pub symbol: Option<Symbol>,
    /// The envelope's `ts`, ms (0 when absent).
    pub time_ms: u64,
    /// The exact text of `data` (empty when absent).
    pub data: &'a [u8],
}

/// What a channel name says the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Depth,
    DepthFull,
    Deal,
    Ticker,
    Pong,
    Other,
}

#[inline(always)]
fn kind(channel: &[u8]) -> Kind {
    match channel {
        b"push.depth" => Kind::Depth,
        b"push.deal" => Kind::Deal,
        b"push.ticker" => Kind::Ticker,
        b"push.depth.full" => Kind::DepthFull,
        b"pong" => Kind::Pong,
        _ => Kind::Other,
    }
}

/// A body decoded in place (the channel came first) or where it is (it came later).
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::large_enum_variant,
    reason = "lives on the stack for one message; boxing the ticker would allocate per message"
)]
enum Data<'a> {
    Absent,
    Depth(depth::DepthData<'a>),
    Deals(Deals<'a>),
    Ticker(FuturesTicker),
    Later(Span),
}

/// Decodes one text frame.
///
/// # Errors
/// Malformed JSON, a missing or bad member; never panics.
#[inline]
pub fn decode(frame: &[u8]) -> Result<Frame<'_>, FuturesError> {
    decode_envelope(frame).map_err(|fault| FuturesError::from_fault("frame", fault))
}

/// Decodes one binary frame: gunzips it into `inflater`'s buffer (bounded), then decodes.
///
/// # Errors
/// [`FuturesError::Gzip`] or what [`decode`] reports.
pub fn decode_binary<'b>(
    inflater: &'b mut Inflater,
    frame: &[u8],
) -> Result<Frame<'b>, FuturesError> {
    let text = inflater.inflate(frame)?;
    decode(text)
}

#[inline(always)]
fn decode_envelope(bytes: &[u8]) -> Result<Frame<'_>, Fault> {
    let mut sc = Scanner::new(bytes);
    sc.begin_object()?;
    let mut channel: Option<&[u8]> = None;
    let mut channel_kind = Kind::Other;
    let mut data = Data::Absent;
    let mut symbol = None;
    let mut ts = 0;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"channel" => {
                let name = read::word(&mut sc, "channel")?;
                channel = Some(name);
                channel_kind = kind(name);
            }
            b"data" => data = body(&mut sc, channel.map(|_| channel_kind))?,
            b"symbol" => symbol = Some(read::symbol(&mut sc, "symbol")?),
            b"ts" => ts = read::uint(&mut sc, "ts")?,
            _ => sc.skip_value()?,
        }
    }
    sc.finish()?;
    let Some(channel) = channel else {
        return Err(Fault::missing("channel", 0));
    };
    if let Data::Later(span) = data {
        data = body(&mut Scanner::at(bytes, span.start), Some(channel_kind))?;
    }
    let push_symbol = || symbol.ok_or(Fault::missing("symbol", 0));
    Ok(match (channel_kind, data) {
        (Kind::Depth | Kind::DepthFull, Data::Depth(data)) => {
            let push = DepthPush {
                symbol: push_symbol()?,
                time_ms: ts,
                data,
                full: channel_kind == Kind::DepthFull,
            };
            if push.full {
                Frame::DepthFull(push)
            } else {
                Frame::Depth(push)
            }
        }
        (Kind::Deal, Data::Deals(deals)) => Frame::Deals(DealsPush::new(push_symbol()?, ts, deals)),
        (Kind::Ticker, Data::Ticker(ticker)) => Frame::Ticker(TickerPush {
            symbol: push_symbol()?,
            time_ms: ts,
            ticker,
        }),
        (Kind::Pong, Data::Later(span)) => {
            Frame::Pong(read::uint(&mut Scanner::at(bytes, span.start), "data")?)
        }
        (Kind::Pong, Data::Absent) => Frame::Pong(ts),
        (Kind::Other, data) => control(bytes, channel, symbol, ts, data)?,
        _ => return Err(Fault::missing("data", 0)),
    })
}

/// The `data` member: decoded now when the channel is known, else its extent.
#[inline(always)]
fn body<'a>(sc: &mut Scanner<'a>, kind: Option<Kind>) -> Result<Data<'a>, Fault> {
    match kind {
        Some(Kind::Depth | Kind::DepthFull) => depth::depth_data(sc).map(Data::Depth),
        Some(Kind::Ticker) => ticker::ticker(sc).map(Data::Ticker),
        Some(Kind::Deal) => match sc.peek()? {
            b'[' => {
                let span = sc.skip_items_lazy()?;
                Ok(Data::Deals(Deals::Many(sc.bytes(), span)))
            }
            _ => deal::deal(sc).map(|one| Data::Deals(Deals::One(one))),
        },
        _ => {
            sc.peek()?;
            let start = sc.pos();
            sc.skip_value()?;
            Ok(Data::Later(Span {
                start,
                end: sc.pos(),
            }))
        }
    }
}

/// `pong`, `rs.*` replies and channels passed through.
#[cold]
fn control<'a>(
    bytes: &'a [u8],
    channel: &'a [u8],
    symbol: Option<Symbol>,
    ts: u64,
    data: Data<'a>,
) -> Result<Frame<'a>, Fault> {
    let channel_text = core::str::from_utf8(channel)
        .map_err(|_| Fault::invalid("channel", json_scan::FieldError::ExpectedString, 0))?;
    let span = match data {
        Data::Later(span) => span,
        _ => Span::default(),
    };
    let raw = bytes.get(span.start..span.end).unwrap_or_default();
    let Some(reply) = channel_text.strip_prefix("rs.") else {
        return Ok(Frame::Other(RawPush {
            channel: channel_text,
            symbol,
            time_ms: ts,
            data: raw,
        }));
    };
    let message = match Scanner::at(bytes, span.start).value() {
        Ok(Value::Str(text)) if span.end > span.start => Some(text),
        _ => None,
    };
    let success = message.is_some_and(|m| m.raw == b"success");
    let refusal = Frame::Refused(VenueRefusal {
        channel: channel_text,
        message,
    });
    Ok(match reply {
        "error" => refusal,
        "login" if success => Frame::LoggedIn,
        _ if !success => refusal,
        _ => match (reply.strip_prefix("sub."), reply.strip_prefix("unsub.")) {
            (Some(name), _) => Frame::Subscribed(name),
            (_, Some(name)) => Frame::Unsubscribed(name),
            // rs.personal.filter and other acknowledgements.
            _ => Frame::Other(RawPush {
                channel: channel_text,
                symbol,
                time_ms: ts,
                data: raw,
            }),
        },
    })
}

#[cfg(test)]
mod fast_path_tests;
#[cfg(test)]
mod tests;
