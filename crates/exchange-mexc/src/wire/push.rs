//! The wrapper: `PushDataV3ApiWrapper` read without allocating, its header fields, and the
//! cheap look at which stream a frame belongs to.

use market_types::Symbol;
use prost::Message as _;
use ws_session::{FrameKind, StreamKind};

use super::book_ticker::AggreBookTicker;
use super::deals::AggreDeals;
use super::depth::AggreDepths;
use super::reader::Reader;
use crate::body::{BodyKind, RawBody};
use crate::channel::Channel;
use crate::error::Error;
use crate::pb;

/// Decodes the wrapper of one binary frame and the scalars of a hot body.
///
/// For `publicAggreDepths` and `publicAggreDeals` the levels and deals are not decoded yet:
/// iterate them with [`AggreDepths::levels`] and [`AggreDeals::deals`].
///
/// # Errors
/// A decoding [`Error`] (see [`Error::is_decode`]) for a malformed frame, or
/// [`Error::MissingBody`].
pub fn decode_push(frame: &[u8]) -> Result<Push<'_>, Error> {
    let mut reader = Reader::new(frame);
    let mut header = PushHeader::default();
    let mut body: Option<RawBody<'_>> = None;
    while let Some(key) = reader.key()? {
        match key.field {
            1 => header.channel = reader.string(key, "PushDataV3ApiWrapper.channel")?,
            3 => header.symbol = Some(reader.string(key, "PushDataV3ApiWrapper.symbol")?),
            4 => header.symbol_id = Some(reader.string(key, "PushDataV3ApiWrapper.symbolId")?),
            5 => header.create_time = Some(reader.int64(key, "PushDataV3ApiWrapper.createTime")?),
            6 => header.send_time = Some(reader.int64(key, "PushDataV3ApiWrapper.sendTime")?),
            field => match BodyKind::from_field_number(field) {
                // proto3: the last body field on the wire wins.
                Some(kind) => {
                    let bytes = reader.bytes(key, kind.context())?;
                    body = Some(RawBody { kind, bytes });
                }
                None => reader.skip(key)?,
            },
        }
    }
    let Some(raw) = body else {
        return Err(Error::MissingBody);
    };
    let body = match raw.kind {
        BodyKind::PublicAggreDepths => Body::AggreDepths(AggreDepths::decode(raw.bytes)?),
        BodyKind::PublicAggreDeals => Body::AggreDeals(AggreDeals::decode(raw.bytes)?),
        BodyKind::PublicAggreBookTicker => {
            Body::AggreBookTicker(AggreBookTicker::decode(raw.bytes)?)
        }
        _ => Body::Cold(raw),
    };
    Ok(Push { header, body, raw })
}

/// What a frame carries, for the driver's queued mode; reads only the wrapper's keys and
/// never allocates. Text frames and anything undecodable count as control (never dropped).
pub fn stream_kind(kind: FrameKind, payload: &[u8]) -> StreamKind {
    if kind == FrameKind::Text {
        return StreamKind::Control;
    }
    let mut reader = Reader::new(payload);
    let mut found = StreamKind::Control;
    loop {
        match reader.key() {
            Ok(Some(key)) => {
                if let Some(body) = BodyKind::from_field_number(key.field) {
                    found = body.stream_kind();
                }
                if reader.skip(key).is_err() {
                    return StreamKind::Control;
                }
            }
            Ok(None) => return found,
            Err(_) => return StreamKind::Control,
        }
    }
}

/// One decoded binary frame, borrowing from it.
#[derive(Debug, Clone, Copy)]
pub struct Push<'a> {
    /// The wrapper's own fields.
    pub header: PushHeader<'a>,
    /// The body, decoded for the hot kinds.
    pub body: Body<'a>,
    /// The body's undecoded bytes (any kind), for prost.
    pub raw: RawBody<'a>,
}

/// The wrapper fields of `PushDataV3ApiWrapper` other than the body (spec §1.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushHeader<'a> {
    /// Field 1: the full channel string including the symbol.
    pub channel: &'a str,
    /// Field 3 (optional): the symbol, e.g. `BTCUSDT`.
    pub symbol: Option<&'a str>,
    /// Field 4 (optional): MEXC's internal pair id.
    pub symbol_id: Option<&'a str>,
    /// Field 5 (optional): creation time, ms.
    pub create_time: Option<i64>,
    /// Field 6 (optional): push time, ms (the docs' "event time").
    pub send_time: Option<i64>,
}

impl PushHeader<'_> {
    /// The wrapper's `symbol`, or else the symbol in its channel string.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`], or [`Error::MissingSymbol`] when neither
    /// names one (private channels carry it in `symbol` only).
    pub fn symbol(&self) -> Result<Symbol, Error> {
        match self.symbol {
            Some(symbol) => Symbol::new(symbol).map_err(|source| Error::InvalidIdentifier {
                context: "PushDataV3ApiWrapper.symbol",
                source,
            }),
            None => Channel::parse_known(self.channel)
                .and_then(|channel| channel.symbol())
                .ok_or(Error::MissingSymbol),
        }
    }

    /// `sendTime`, else `createTime`, else 0, in ms since the Unix epoch.
    pub fn event_time_ms(&self) -> u64 {
        self.send_time
            .or(self.create_time)
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(0)
    }
}

/// The body of a push.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// `publicAggreDepths` (313): diff depth.
    AggreDepths(AggreDepths<'a>),
    /// `publicAggreDeals` (314): trades.
    AggreDeals(AggreDeals<'a>),
    /// `publicAggreBookTicker` (315): best bid and ask.
    AggreBookTicker(AggreBookTicker),
    /// Any other body, left for [`RawBody::decode`].
    Cold(RawBody<'a>),
}

/// Decodes a whole frame with prost (allocates; the simulator's and the tests' reference).
///
/// # Errors
/// [`Error::Protobuf`].
pub fn decode_wrapper(frame: &[u8]) -> Result<pb::PushDataV3ApiWrapper, Error> {
    pb::PushDataV3ApiWrapper::decode(frame).map_err(|source| Error::Protobuf {
        context: "PushDataV3ApiWrapper",
        source,
    })
}
