//! Binary frames: a zero-copy protobuf reader for `PushDataV3ApiWrapper` and the hot bodies.
//!
//! Every binary frame is one serialized `PushDataV3ApiWrapper` (spec §1.7.1). The wrapper
//! and the three hot bodies — `publicAggreDepths` (313), `publicAggreDeals` (314) and
//! `publicAggreBookTicker` (315) — are read here without allocating: strings are borrowed
//! from the frame, decimals are parsed straight from the bytes and depth levels are streamed
//! to the caller one by one. Every other body is handed out as a [`RawBody`] for prost
//! ([`RawBody::decode`]).
//!
//! Unknown fields of wire types 0, 1, 2 and 5 are skipped (MEXC adds fields over time).
//! Truncated or overlong varints, lengths past the end, groups, field number 0, invalid
//! UTF-8 and known fields with the wrong wire type are typed [`Error`]s; nothing here
//! panics on any input.
//!
//! The common shapes take straight-line fast paths: one-byte keys, lengths and varints,
//! multi-byte varints eight bytes at a time, and a depth level written as
//! `0a|12 len 0a plen price 12 qlen quantity`. Each falls back to the general reader for
//! anything else, so the errors are always the general reader's.
//!
//! Raw sample (`aggre_book_ticker_2026doc`, spec §1.7.4, 95 bytes):
//! `0a 34 "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"` · `1a 07 "BTCUSDT"` ·
//! `30 c8f6b4ecdf33` · `da 13 16` → `0a 03 "100"` · `12 01 "4"` · `2a 05 "10023"` ·
//! `30 dcd6b4ecdf33`.

use market_types::{BookTicker, Level, Price, Quantity, Side, Symbol, Trade, TradeId, Venue};
use prost::Message as _;
use ws_session::{FrameKind, StreamKind};

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

/// Which member of the wrapper's `body` oneof a frame carries (field numbers 301–315).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyKind {
    /// 301, pre-2025 trades.
    PublicDeals,
    /// 302, pre-2025 diff depth.
    PublicIncreaseDepths,
    /// 303, partial book snapshot.
    PublicLimitDepths,
    /// 304, order updates.
    PrivateOrders,
    /// 305, pre-2025 book ticker.
    PublicBookTicker,
    /// 306, own fills.
    PrivateDeals,
    /// 307, balance changes.
    PrivateAccount,
    /// 308, candles.
    PublicSpotKline,
    /// 309, mini ticker (blocked since 2025-08).
    PublicMiniTicker,
    /// 310, mini tickers (blocked since 2025-08).
    PublicMiniTickers,
    /// 311, book ticker batch.
    PublicBookTickerBatch,
    /// 312, diff depth batch.
    PublicIncreaseDepthsBatch,
    /// 313, aggregated diff depth.
    PublicAggreDepths,
    /// 314, aggregated trades.
    PublicAggreDeals,
    /// 315, aggregated book ticker.
    PublicAggreBookTicker,
}

impl BodyKind {
    /// Every kind, by field number.
    pub const ALL: [BodyKind; 15] = [
        BodyKind::PublicDeals,
        BodyKind::PublicIncreaseDepths,
        BodyKind::PublicLimitDepths,
        BodyKind::PrivateOrders,
        BodyKind::PublicBookTicker,
        BodyKind::PrivateDeals,
        BodyKind::PrivateAccount,
        BodyKind::PublicSpotKline,
        BodyKind::PublicMiniTicker,
        BodyKind::PublicMiniTickers,
        BodyKind::PublicBookTickerBatch,
        BodyKind::PublicIncreaseDepthsBatch,
        BodyKind::PublicAggreDepths,
        BodyKind::PublicAggreDeals,
        BodyKind::PublicAggreBookTicker,
    ];

    /// The wrapper field number (301–315).
    pub const fn field_number(self) -> u32 {
        match self {
            BodyKind::PublicDeals => 301,
            BodyKind::PublicIncreaseDepths => 302,
            BodyKind::PublicLimitDepths => 303,
            BodyKind::PrivateOrders => 304,
            BodyKind::PublicBookTicker => 305,
            BodyKind::PrivateDeals => 306,
            BodyKind::PrivateAccount => 307,
            BodyKind::PublicSpotKline => 308,
            BodyKind::PublicMiniTicker => 309,
            BodyKind::PublicMiniTickers => 310,
            BodyKind::PublicBookTickerBatch => 311,
            BodyKind::PublicIncreaseDepthsBatch => 312,
            BodyKind::PublicAggreDepths => 313,
            BodyKind::PublicAggreDeals => 314,
            BodyKind::PublicAggreBookTicker => 315,
        }
    }

    /// The kind for a wrapper field number, if it is a body field.
    pub const fn from_field_number(field: u32) -> Option<BodyKind> {
        match field {
            301..=315 => Some(BodyKind::ALL[(field - 301) as usize]),
            _ => None,
        }
    }

    /// The field's name in the schema (and in proto3 JSON), e.g. `publicAggreDepths`.
    pub const fn name(self) -> &'static str {
        match self {
            BodyKind::PublicDeals => "publicDeals",
            BodyKind::PublicIncreaseDepths => "publicIncreaseDepths",
            BodyKind::PublicLimitDepths => "publicLimitDepths",
            BodyKind::PrivateOrders => "privateOrders",
            BodyKind::PublicBookTicker => "publicBookTicker",
            BodyKind::PrivateDeals => "privateDeals",
            BodyKind::PrivateAccount => "privateAccount",
            BodyKind::PublicSpotKline => "publicSpotKline",
            BodyKind::PublicMiniTicker => "publicMiniTicker",
            BodyKind::PublicMiniTickers => "publicMiniTickers",
            BodyKind::PublicBookTickerBatch => "publicBookTickerBatch",
            BodyKind::PublicIncreaseDepthsBatch => "publicIncreaseDepthsBatch",
            BodyKind::PublicAggreDepths => "publicAggreDepths",
            BodyKind::PublicAggreDeals => "publicAggreDeals",
            BodyKind::PublicAggreBookTicker => "publicAggreBookTicker",
        }
    }

    /// How the driver's queued mode treats frames of this kind.
    pub const fn stream_kind(self) -> StreamKind {
        match self {
            BodyKind::PublicIncreaseDepths
            | BodyKind::PublicIncreaseDepthsBatch
            | BodyKind::PublicAggreDepths => StreamKind::Book,
            BodyKind::PublicDeals | BodyKind::PublicAggreDeals => StreamKind::Trade,
            BodyKind::PrivateOrders | BodyKind::PrivateDeals | BodyKind::PrivateAccount => {
                StreamKind::Private
            }
            // Each of these replaces the previous value, so they may be conflated.
            BodyKind::PublicLimitDepths
            | BodyKind::PublicBookTicker
            | BodyKind::PublicSpotKline
            | BodyKind::PublicMiniTicker
            | BodyKind::PublicMiniTickers
            | BodyKind::PublicBookTickerBatch
            | BodyKind::PublicAggreBookTicker => StreamKind::Ticker,
        }
    }

    const fn context(self) -> &'static str {
        match self {
            BodyKind::PublicDeals => "PushDataV3ApiWrapper.publicDeals",
            BodyKind::PublicIncreaseDepths => "PushDataV3ApiWrapper.publicIncreaseDepths",
            BodyKind::PublicLimitDepths => "PushDataV3ApiWrapper.publicLimitDepths",
            BodyKind::PrivateOrders => "PushDataV3ApiWrapper.privateOrders",
            BodyKind::PublicBookTicker => "PushDataV3ApiWrapper.publicBookTicker",
            BodyKind::PrivateDeals => "PushDataV3ApiWrapper.privateDeals",
            BodyKind::PrivateAccount => "PushDataV3ApiWrapper.privateAccount",
            BodyKind::PublicSpotKline => "PushDataV3ApiWrapper.publicSpotKline",
            BodyKind::PublicMiniTicker => "PushDataV3ApiWrapper.publicMiniTicker",
            BodyKind::PublicMiniTickers => "PushDataV3ApiWrapper.publicMiniTickers",
            BodyKind::PublicBookTickerBatch => "PushDataV3ApiWrapper.publicBookTickerBatch",
            BodyKind::PublicIncreaseDepthsBatch => "PushDataV3ApiWrapper.publicIncreaseDepthsBatch",
            BodyKind::PublicAggreDepths => "PushDataV3ApiWrapper.publicAggreDepths",
            BodyKind::PublicAggreDeals => "PushDataV3ApiWrapper.publicAggreDeals",
            BodyKind::PublicAggreBookTicker => "PushDataV3ApiWrapper.publicAggreBookTicker",
        }
    }
}

/// A body's undecoded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawBody<'a> {
    /// Which body.
    pub kind: BodyKind,
    /// The serialized body message.
    pub bytes: &'a [u8],
}

impl RawBody<'_> {
    /// Decodes the body with prost into the generated oneof (allocates; for cold bodies).
    ///
    /// # Errors
    /// [`Error::Protobuf`].
    pub fn decode(&self) -> Result<pb::push_data_v3_api_wrapper::Body, Error> {
        use pb::push_data_v3_api_wrapper::Body as B;
        let bytes = self.bytes;
        let context = self.kind.context();
        let wrap = |source| Error::Protobuf { context, source };
        Ok(match self.kind {
            BodyKind::PublicDeals => {
                B::PublicDeals(pb::PublicDealsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicIncreaseDepths => {
                B::PublicIncreaseDepths(pb::PublicIncreaseDepthsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicLimitDepths => {
                B::PublicLimitDepths(pb::PublicLimitDepthsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PrivateOrders => {
                B::PrivateOrders(pb::PrivateOrdersV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicBookTicker => {
                B::PublicBookTicker(pb::PublicBookTickerV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PrivateDeals => {
                B::PrivateDeals(pb::PrivateDealsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PrivateAccount => {
                B::PrivateAccount(pb::PrivateAccountV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicSpotKline => {
                B::PublicSpotKline(pb::PublicSpotKlineV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicMiniTicker => {
                B::PublicMiniTicker(pb::PublicMiniTickerV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicMiniTickers => {
                B::PublicMiniTickers(pb::PublicMiniTickersV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicBookTickerBatch => B::PublicBookTickerBatch(
                pb::PublicBookTickerBatchV3Api::decode(bytes).map_err(wrap)?,
            ),
            BodyKind::PublicIncreaseDepthsBatch => B::PublicIncreaseDepthsBatch(
                pb::PublicIncreaseDepthsBatchV3Api::decode(bytes).map_err(wrap)?,
            ),
            BodyKind::PublicAggreDepths => {
                B::PublicAggreDepths(pb::PublicAggreDepthsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicAggreDeals => {
                B::PublicAggreDeals(pb::PublicAggreDealsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicAggreBookTicker => B::PublicAggreBookTicker(
                pb::PublicAggreBookTickerV3Api::decode(bytes).map_err(wrap)?,
            ),
        })
    }
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

/// `PublicAggreDepthsV3Api` (313), spec §1.7.2: one diff-depth push.
///
/// Versions are checked when the push is decoded; the levels are decoded as they are
/// iterated, so a book can be updated in one pass over the frame.
///
/// Proto3 JSON rendering of a sample (`mexc_pb_depth_example_2026.json`):
/// `{"asks":[],"bids":[{"price":"100","quantity":"4"}],"eventType":
/// "spot@public.aggre.depth.v3.api.pb@100ms","fromVersion":"10023","toVersion":"10023",
/// "lastOrderCreateTime":"1778075380572"}`
#[derive(Debug, Clone, Copy)]
pub struct AggreDepths<'a> {
    bytes: &'a [u8],
    event_type: &'a str,
    from_version: u64,
    to_version: u64,
    last_order_create_time: i64,
    asks: u32,
    bids: u32,
}

impl<'a> AggreDepths<'a> {
    /// Reads the scalar fields and checks the structure of the level list.
    ///
    /// # Errors
    /// A decoding [`Error`]; missing, non-numeric or inverted versions are
    /// [`Error::InvalidNumber`].
    pub fn decode(bytes: &'a [u8]) -> Result<AggreDepths<'a>, Error> {
        let mut reader = Reader::new(bytes);
        let mut event_type = "";
        let mut from: &[u8] = b"";
        let mut to: &[u8] = b"";
        let mut last_order_create_time = 0;
        let (mut asks, mut bids) = (0u32, 0u32);
        // Where the last level ends: iterating the levels stops there.
        let mut levels_end = 0;
        loop {
            // The level list, item after item, in the common one-byte shape.
            let (more_asks, more_bids) = reader.skip_short_levels();
            if more_asks | more_bids != 0 {
                asks = asks.saturating_add(more_asks);
                bids = bids.saturating_add(more_bids);
                levels_end = reader.pos;
            }
            let Some(key) = reader.key()? else {
                break;
            };
            match key.field {
                1 => {
                    reader.bytes(key, ASKS)?;
                    asks = asks.saturating_add(1);
                    levels_end = reader.pos;
                }
                2 => {
                    reader.bytes(key, BIDS)?;
                    bids = bids.saturating_add(1);
                    levels_end = reader.pos;
                }
                3 => event_type = reader.string(key, "PublicAggreDepthsV3Api.eventType")?,
                4 => from = reader.bytes(key, FROM_VERSION)?,
                5 => to = reader.bytes(key, TO_VERSION)?,
                6 => {
                    last_order_create_time =
                        reader.int64(key, "PublicAggreDepthsV3Api.lastOrderCreateTime")?;
                }
                _ => reader.skip(key)?,
            }
        }
        let from_version = parse_u64(from, FROM_VERSION)?;
        let to_version = parse_u64(to, TO_VERSION)?;
        if from_version > to_version {
            return Err(Error::InvalidNumber {
                context: "PublicAggreDepthsV3Api.fromVersion (above toVersion)",
            });
        }
        Ok(AggreDepths {
            // Past the last level there is nothing more to iterate, and what is there
            // was checked above.
            bytes: bytes.get(..levels_end).unwrap_or(bytes),
            event_type,
            from_version,
            to_version,
            last_order_create_time,
            asks,
            bids,
        })
    }

    /// Field 3, e.g. `spot@public.aggre.depth.v3.api.pb@100ms`.
    pub fn event_type(&self) -> &'a str {
        self.event_type
    }

    /// Field 4: the first version this push covers.
    pub fn from_version(&self) -> u64 {
        self.from_version
    }

    /// Field 5: the last version this push covers.
    pub fn to_version(&self) -> u64 {
        self.to_version
    }

    /// Field 6 (2026-06), ms; 0 when not sent.
    pub fn last_order_create_time(&self) -> i64 {
        self.last_order_create_time
    }

    /// Number of ask levels in the push.
    pub fn ask_count(&self) -> usize {
        self.asks as usize
    }

    /// Number of bid levels in the push.
    pub fn bid_count(&self) -> usize {
        self.bids as usize
    }

    /// The levels in wire order, decoded one at a time. Stops after the first error.
    pub fn levels(&self) -> DepthLevels<'a> {
        DepthLevels {
            reader: Reader::new(self.bytes),
            done: false,
        }
    }

    /// Streams every level into `sink`, stopping at the first error (the sink's or a
    /// decoding one). Nothing is buffered.
    ///
    /// # Errors
    /// The first error.
    pub fn for_each_level<E, F>(&self, mut sink: F) -> Result<(), E>
    where
        F: FnMut(DepthLevel) -> Result<(), E>,
        E: From<Error>,
    {
        let mut reader = Reader::new(self.bytes);
        loop {
            // One call site, so that the sink is inlined into the loop.
            let level = match plain_level(&mut reader) {
                Some(level) => level,
                None => match next_level_general(&mut reader)? {
                    Some(level) => level,
                    None => return Ok(()),
                },
            };
            sink(level)?;
        }
    }
}

/// One price level of a depth push: the absolute quantity now resting at `price`
/// (zero removes the level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthLevel {
    /// [`Side::Buy`] for bids, [`Side::Sell`] for asks.
    pub side: Side,
    /// Level price.
    pub price: Price,
    /// New quantity at the price.
    pub quantity: Quantity,
}

/// Iterator over the levels of an [`AggreDepths`], in wire order.
#[derive(Debug, Clone)]
pub struct DepthLevels<'a> {
    reader: Reader<'a>,
    done: bool,
}

impl Iterator for DepthLevels<'_> {
    type Item = Result<DepthLevel, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = next_level(&mut self.reader);
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result.transpose()
    }
}

impl core::iter::FusedIterator for DepthLevels<'_> {}

#[inline(always)]
fn next_level(reader: &mut Reader<'_>) -> Result<Option<DepthLevel>, Error> {
    if let Some(level) = plain_level(reader) {
        return Ok(Some(level));
    }
    next_level_general(reader)
}

/// A level in the plain shape (see [`Reader::plain_level`]) whose price and quantity both
/// parse; `None` (the cursor untouched) otherwise, for [`next_level_general`] to read the
/// same bytes again and report what is wrong.
#[inline(always)]
fn plain_level(reader: &mut Reader<'_>) -> Option<DepthLevel> {
    let (side, price, quantity, next) = reader.plain_level()?;
    let (Ok(price), Ok(quantity)) = (Price::parse_bytes(price), Quantity::parse_bytes(quantity))
    else {
        return None;
    };
    reader.pos = next;
    Some(DepthLevel {
        side,
        price,
        quantity,
    })
}

/// A level from its two texts; the error (which text, why) is worked out off the hot path.
#[inline(always)]
fn level(side: Side, price: &[u8], quantity: &[u8]) -> Result<DepthLevel, Error> {
    match (Price::parse_bytes(price), Quantity::parse_bytes(quantity)) {
        (Ok(price), Ok(quantity)) => Ok(DepthLevel {
            side,
            price,
            quantity,
        }),
        _ => Err(pair_error(price, quantity, LEVEL_PRICE, LEVEL_QUANTITY)),
    }
}

#[inline(never)]
fn next_level_general(reader: &mut Reader<'_>) -> Result<Option<DepthLevel>, Error> {
    while let Some(key) = reader.key()? {
        let side = match key.field {
            1 => Side::Sell,
            2 => Side::Buy,
            _ => {
                reader.skip(key)?;
                continue;
            }
        };
        let item = reader.bytes(key, if side == Side::Sell { ASKS } else { BIDS })?;
        return decode_level(item, side).map(Some);
    }
    Ok(None)
}

#[inline]
fn decode_level(bytes: &[u8], side: Side) -> Result<DepthLevel, Error> {
    let mut reader = Reader::new(bytes);
    let mut price: &[u8] = b"";
    let mut quantity: &[u8] = b"";
    while let Some(key) = reader.key()? {
        match key.field {
            1 => price = reader.bytes(key, LEVEL_PRICE)?,
            2 => quantity = reader.bytes(key, LEVEL_QUANTITY)?,
            _ => reader.skip(key)?,
        }
    }
    level(side, price, quantity)
}

/// `PublicAggreDealsV3Api` (314), spec §1.7.2: trades aggregated over 10 or 100 ms.
///
/// Proto3 JSON rendering of a sample (`mexc_pb_deals_example.json`, mapped to 314):
/// `{"deals":[{"price":"93220.00","quantity":"0.04438243","tradeType":2,
/// "time":"1736409765051"}],"eventType":"spot@public.aggre.deals.v3.api.pb@100ms"}`
#[derive(Debug, Clone, Copy)]
pub struct AggreDeals<'a> {
    bytes: &'a [u8],
    event_type: &'a str,
    count: u32,
}

impl<'a> AggreDeals<'a> {
    /// Reads the event type and checks the structure of the deal list.
    ///
    /// # Errors
    /// A decoding [`Error`].
    pub fn decode(bytes: &'a [u8]) -> Result<AggreDeals<'a>, Error> {
        let mut reader = Reader::new(bytes);
        let mut event_type = "";
        let mut count = 0u32;
        while let Some(key) = reader.key()? {
            match key.field {
                1 => {
                    reader.bytes(key, DEALS)?;
                    count = count.saturating_add(1);
                }
                2 => event_type = reader.string(key, "PublicAggreDealsV3Api.eventType")?,
                _ => reader.skip(key)?,
            }
        }
        Ok(AggreDeals {
            bytes,
            event_type,
            count,
        })
    }

    /// Field 2, e.g. `spot@public.aggre.deals.v3.api.pb@100ms`.
    pub fn event_type(&self) -> &'a str {
        self.event_type
    }

    /// Number of deals in the push.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// True when the push holds no deal.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The deals in wire order, decoded one at a time. Stops after the first error.
    pub fn deals(&self) -> Deals<'a> {
        Deals {
            reader: Reader::new(self.bytes),
            done: false,
        }
    }
}

/// One aggregated trade, borrowing its id from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggreDeal<'a> {
    /// Execution price.
    pub price: Price,
    /// Executed quantity.
    pub quantity: Quantity,
    /// Taker side (`tradeType` 1 buy, 2 sell); `None` when not sent.
    pub taker_side: Option<Side>,
    /// Trade time, ms since the Unix epoch.
    pub time_ms: u64,
    /// `tradeId` (added 2026-06); `None` when not sent.
    pub trade_id: Option<&'a str>,
}

impl AggreDeal<'_> {
    /// The normalized trade. Pushes from before 2026-06 carry no `tradeId`: the id is
    /// then synthesized as `<time_ms>-<index>`, where `index` is the deal's position in its
    /// push — stable for a given push, but not a venue id.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`] for a trade id longer than 48 bytes.
    pub fn to_trade(&self, symbol: Symbol, index: usize) -> Result<Trade, Error> {
        let trade_id = match self.trade_id {
            Some(id) => TradeId::new(id),
            None => synthesized_trade_id(self.time_ms, index),
        }
        .map_err(|source| Error::InvalidIdentifier {
            context: "PublicAggreDealsV3ApiItem.tradeId",
            source,
        })?;
        Ok(Trade {
            venue: Venue::MexcSpot,
            symbol,
            trade_id,
            price: self.price,
            quantity: self.quantity,
            taker_side: self.taker_side,
            exchange_time_ms: self.time_ms,
        })
    }
}

/// Iterator over the deals of an [`AggreDeals`].
#[derive(Debug, Clone)]
pub struct Deals<'a> {
    reader: Reader<'a>,
    done: bool,
}

impl<'a> Iterator for Deals<'a> {
    type Item = Result<AggreDeal<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = next_deal(&mut self.reader);
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result.transpose()
    }
}

impl core::iter::FusedIterator for Deals<'_> {}

fn next_deal<'a>(reader: &mut Reader<'a>) -> Result<Option<AggreDeal<'a>>, Error> {
    while let Some(key) = reader.key()? {
        if key.field != 1 {
            reader.skip(key)?;
            continue;
        }
        let mut item = Reader::new(reader.bytes(key, DEALS)?);
        let mut price: &[u8] = b"";
        let mut quantity: &[u8] = b"";
        let mut trade_type = 0i32;
        let mut time = 0i64;
        let mut trade_id = None;
        while let Some(key) = item.key()? {
            match key.field {
                1 => price = item.bytes(key, DEAL_PRICE)?,
                2 => quantity = item.bytes(key, DEAL_QUANTITY)?,
                3 => trade_type = item.int32(key, DEAL_TRADE_TYPE)?,
                4 => time = item.int64(key, DEAL_TIME)?,
                5 => {
                    let id = item.string(key, "PublicAggreDealsV3ApiItem.tradeId")?;
                    trade_id = (!id.is_empty()).then_some(id);
                }
                _ => item.skip(key)?,
            }
        }
        let (Ok(price), Ok(quantity)) =
            (Price::parse_bytes(price), Quantity::parse_bytes(quantity))
        else {
            return Err(pair_error(price, quantity, DEAL_PRICE, DEAL_QUANTITY));
        };
        return Ok(Some(AggreDeal {
            price,
            quantity,
            taker_side: trade_side(trade_type, DEAL_TRADE_TYPE)?,
            time_ms: u64::try_from(time)
                .map_err(|_| Error::InvalidNumber { context: DEAL_TIME })?,
            trade_id,
        }));
    }
    Ok(None)
}

/// `PublicAggreBookTickerV3Api` (315), spec §1.7.2: best bid and ask, fully decoded.
///
/// Proto3 JSON rendering of a sample (`mexc_pb_book_ticker_example_2026.json`):
/// `{"bidPrice":"100","bidQuantity":"4","askPrice":"","askQuantity":"",
/// "version":"10023","lastOrderCreateTime":"1778075380572"}` — the empty ask side is
/// absent on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggreBookTicker {
    /// Best bid; `None` when the side is empty.
    pub bid: Option<Level>,
    /// Best ask; `None` when the side is empty.
    pub ask: Option<Level>,
    /// Field 5 (2026-06): the book version; `None` when not sent.
    pub version: Option<u64>,
    /// Field 6 (2026-06), ms; 0 when not sent.
    pub last_order_create_time: i64,
}

impl AggreBookTicker {
    /// Decodes the body.
    ///
    /// # Errors
    /// A decoding [`Error`]; a side with a price but no quantity (or the reverse) is
    /// [`Error::InvalidDecimal`].
    pub fn decode(bytes: &[u8]) -> Result<AggreBookTicker, Error> {
        let mut reader = Reader::new(bytes);
        let (mut bid_price, mut bid_quantity): (&[u8], &[u8]) = (b"", b"");
        let (mut ask_price, mut ask_quantity): (&[u8], &[u8]) = (b"", b"");
        let mut version: &[u8] = b"";
        let mut last_order_create_time = 0;
        while let Some(key) = reader.key()? {
            match key.field {
                1 => bid_price = reader.bytes(key, BID_PRICE)?,
                2 => bid_quantity = reader.bytes(key, BID_QUANTITY)?,
                3 => ask_price = reader.bytes(key, ASK_PRICE)?,
                4 => ask_quantity = reader.bytes(key, ASK_QUANTITY)?,
                5 => version = reader.bytes(key, TICKER_VERSION)?,
                6 => {
                    last_order_create_time =
                        reader.int64(key, "PublicAggreBookTickerV3Api.lastOrderCreateTime")?;
                }
                _ => reader.skip(key)?,
            }
        }
        Ok(AggreBookTicker {
            bid: ticker_side(bid_price, bid_quantity, BID_PRICE, BID_QUANTITY)?,
            ask: ticker_side(ask_price, ask_quantity, ASK_PRICE, ASK_QUANTITY)?,
            version: if version.is_empty() {
                None
            } else {
                Some(parse_u64(version, TICKER_VERSION)?)
            },
            last_order_create_time,
        })
    }

    /// The normalized book ticker.
    pub fn to_book_ticker(&self, symbol: Symbol, exchange_time_ms: u64) -> BookTicker {
        BookTicker {
            venue: Venue::MexcSpot,
            symbol,
            bid: self.bid,
            ask: self.ask,
            update_id: self.version,
            exchange_time_ms,
        }
    }
}

fn ticker_side(
    price: &[u8],
    quantity: &[u8],
    price_context: &'static str,
    quantity_context: &'static str,
) -> Result<Option<Level>, Error> {
    if price.is_empty() && quantity.is_empty() {
        return Ok(None);
    }
    if let (Ok(price), Ok(quantity)) = (Price::parse_bytes(price), Quantity::parse_bytes(quantity))
    {
        return Ok(Some(Level::new(price, quantity)));
    }
    Err(pair_error(price, quantity, price_context, quantity_context))
}

/// Why a price and quantity pair did not parse (the price first), off the hot path.
#[cold]
#[inline(never)]
fn pair_error(
    price: &[u8],
    quantity: &[u8],
    price_context: &'static str,
    quantity_context: &'static str,
) -> Error {
    match parse_price(price, price_context) {
        Err(error) => error,
        Ok(_) => match parse_quantity(quantity, quantity_context) {
            Err(error) => error,
            // Both parse after all: nothing to report but the pair.
            Ok(_) => Error::InvalidNumber {
                context: quantity_context,
            },
        },
    }
}

/// `tradeType`: 1 buy, 2 sell, 0 (absent) unknown.
pub(crate) fn trade_side(value: i32, context: &'static str) -> Result<Option<Side>, Error> {
    match value {
        0 => Ok(None),
        1 => Ok(Some(Side::Buy)),
        2 => Ok(Some(Side::Sell)),
        other => Err(Error::UnknownEnumValue {
            context,
            value: i64::from(other),
        }),
    }
}

#[inline]
pub(crate) fn parse_price(bytes: &[u8], context: &'static str) -> Result<Price, Error> {
    Price::parse_bytes(bytes).map_err(|source| Error::InvalidDecimal { context, source })
}

#[inline]
pub(crate) fn parse_quantity(bytes: &[u8], context: &'static str) -> Result<Quantity, Error> {
    Quantity::parse_bytes(bytes).map_err(|source| Error::InvalidDecimal { context, source })
}

/// A version string: 1 to 20 ASCII digits that fit a `u64`.
pub(crate) fn parse_u64(bytes: &[u8], context: &'static str) -> Result<u64, Error> {
    if bytes.is_empty() || bytes.len() > 20 {
        return Err(Error::InvalidNumber { context });
    }
    let mut value: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(Error::InvalidNumber { context });
        }
        value = match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(value) => value,
            None => return Err(Error::InvalidNumber { context }),
        };
    }
    Ok(value)
}

/// `<time_ms>-<index>` without allocating.
fn synthesized_trade_id(time_ms: u64, index: usize) -> Result<TradeId, market_types::SymbolError> {
    let mut buf = [0u8; 48];
    let mut len = write_u64(&mut buf, 0, time_ms);
    if let Some(slot) = buf.get_mut(len) {
        *slot = b'-';
        len += 1;
    }
    len = write_u64(&mut buf, len, index as u64);
    TradeId::from_bytes(buf.get(..len).unwrap_or_default())
}

/// Writes the decimal digits of `value` at `at`, returns the new length.
fn write_u64(buf: &mut [u8; 48], at: usize, value: u64) -> usize {
    let mut digits = [0u8; 20];
    let mut n = value;
    let mut count = 0;
    loop {
        digits[count] = b'0' + (n % 10) as u8;
        n /= 10;
        count += 1;
        if n == 0 {
            break;
        }
    }
    let mut len = at;
    for &digit in digits[..count].iter().rev() {
        if let Some(slot) = buf.get_mut(len) {
            *slot = digit;
            len += 1;
        }
    }
    len
}

/// Protobuf wire types this reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireType {
    Varint = 0,
    Fixed64 = 1,
    Len = 2,
    Fixed32 = 5,
}

/// A field key: number, wire type and where it started (for error context).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) field: u32,
    pub(crate) wire_type: WireType,
    pub(crate) offset: usize,
}

/// A cursor over one protobuf message. Offsets in errors are relative to its buffer.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Skips depth levels (fields 1 and 2, length-delimited) while their key and length
    /// are one byte each and they fit, and counts them: `(asks, bids)`. Stops, the cursor
    /// on it, at anything else.
    #[inline(always)]
    fn skip_short_levels(&mut self) -> (u32, u32) {
        let (mut asks, mut bids) = (0u32, 0u32);
        let buf = self.buf;
        let mut pos = self.pos;
        while let Some(&[key, len]) = buf.get(pos..).and_then(<[u8]>::first_chunk) {
            let end = pos + 2 + usize::from(len);
            if len >= 0x80 || end > buf.len() {
                break;
            }
            match key {
                0x0a => asks += 1,
                0x12 => bids += 1,
                _ => break,
            }
            pos = end;
        }
        self.pos = pos;
        (asks, bids)
    }

    /// A depth level in the shape every encoder writes, read straight through:
    /// `0a|12 len` (ask or bid) then `0a plen price 12 qlen quantity` filling the item
    /// exactly, every length one byte. Returns the side, the two texts and where the item
    /// ends, without moving (the caller moves once the texts parse); `None` for anything
    /// else, which the general path then reads — with the same result for these bytes, so
    /// nothing is decided here.
    #[inline(always)]
    fn plain_level(&self) -> Option<(Side, &'a [u8], &'a [u8], usize)> {
        let pos = self.pos;
        let (head, rest) = self.buf.get(pos..)?.split_first_chunk::<4>()?;
        // `tag len 0a plen` little-endian: the tag and the price key whole, the high bits of
        // both lengths (one byte each), checked with one mask and compare per side.
        let side = match u32::from_le_bytes(*head) & 0x80FF_80FF {
            0x000A_000A => Side::Sell,
            0x000A_0012 => Side::Buy,
            _ => return None,
        };
        let len = usize::from(head[1]);
        let (price, rest) = rest.split_at_checked(usize::from(head[3]))?;
        let (&[quantity_key, quantity_len], rest) = rest.split_first_chunk::<2>()?;
        let quantity_len = usize::from(quantity_len);
        if quantity_key != 0x12 || price.len() + 4 + quantity_len != len {
            return None;
        }
        // `quantity_len < 0x80` follows from the sum (`len < 0x80`).
        let quantity = rest.get(..quantity_len)?;
        Some((side, price, quantity, pos + 2 + len))
    }

    /// The next key, or `None` at the end of the message.
    #[inline(always)]
    pub(crate) fn key(&mut self) -> Result<Option<Key>, Error> {
        let Some(&byte) = self.buf.get(self.pos) else {
            return Ok(None);
        };
        // One byte: fields 1 to 15, what every hot message uses.
        if (8..0x80).contains(&byte) {
            let wire_type = match byte & 7 {
                0 => Some(WireType::Varint),
                1 => Some(WireType::Fixed64),
                2 => Some(WireType::Len),
                5 => Some(WireType::Fixed32),
                _ => None,
            };
            if let Some(wire_type) = wire_type {
                let offset = self.pos;
                self.pos += 1;
                return Ok(Some(Key {
                    field: u32::from(byte >> 3),
                    wire_type,
                    offset,
                }));
            }
        }
        self.key_general()
    }

    /// [`Reader::key`] for every other key, errors included.
    #[inline(never)]
    fn key_general(&mut self) -> Result<Option<Key>, Error> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let offset = self.pos;
        let key = self.varint("field key")?;
        let field = key >> 3;
        if field == 0 || field > MAX_FIELD_NUMBER {
            return Err(Error::InvalidFieldNumber { field, offset });
        }
        let wire_type = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            other => {
                return Err(Error::UnsupportedWireType {
                    field,
                    wire_type: other as u8,
                    offset,
                });
            }
        };
        Ok(Some(Key {
            field: field as u32,
            wire_type,
            offset,
        }))
    }

    /// Skips the value of a field this reader does not want.
    pub(crate) fn skip(&mut self, key: Key) -> Result<(), Error> {
        match key.wire_type {
            WireType::Varint => self.varint("varint field").map(drop),
            WireType::Fixed64 => self.take(8, "fixed64 field").map(drop),
            WireType::Fixed32 => self.take(4, "fixed32 field").map(drop),
            WireType::Len => self.len_delimited("length-delimited field").map(drop),
        }
    }

    /// A length-delimited field's bytes.
    #[inline]
    pub(crate) fn bytes(&mut self, key: Key, context: &'static str) -> Result<&'a [u8], Error> {
        expect(key, WireType::Len, context)?;
        self.len_delimited(context)
    }

    /// A string field, borrowed.
    pub(crate) fn string(&mut self, key: Key, context: &'static str) -> Result<&'a str, Error> {
        expect(key, WireType::Len, context)?;
        let bytes = self.len_delimited(context)?;
        core::str::from_utf8(bytes).map_err(|_| Error::InvalidUtf8 {
            context,
            offset: self.pos - bytes.len(),
        })
    }

    /// An `int64` field (two's complement varint, not zig-zag).
    pub(crate) fn int64(&mut self, key: Key, context: &'static str) -> Result<i64, Error> {
        expect(key, WireType::Varint, context)?;
        // Reinterpreting the 64 bits is the protobuf rule for int64.
        Ok(self.varint(context)? as i64)
    }

    /// An `int32` field: the low 32 bits of the varint, as protobuf decoders do.
    pub(crate) fn int32(&mut self, key: Key, context: &'static str) -> Result<i32, Error> {
        expect(key, WireType::Varint, context)?;
        Ok(self.varint(context)? as i32)
    }

    /// A `bool` field.
    #[cfg(test)]
    pub(crate) fn boolean(&mut self, key: Key, context: &'static str) -> Result<bool, Error> {
        expect(key, WireType::Varint, context)?;
        Ok(self.varint(context)? != 0)
    }

    #[inline(always)]
    fn varint(&mut self, context: &'static str) -> Result<u64, Error> {
        if let Some(&byte) = self.buf.get(self.pos)
            && byte < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(byte));
        }
        self.varint_general(context)
    }

    /// [`Reader::varint`] past one byte: up to eight bytes at once when eight are there
    /// (timestamps take six), else byte by byte.
    #[inline(never)]
    fn varint_general(&mut self, context: &'static str) -> Result<u64, Error> {
        if let Some(chunk) = self.buf.get(self.pos..).and_then(<[u8]>::first_chunk::<8>) {
            let word = u64::from_le_bytes(*chunk);
            let stops = !word & 0x8080_8080_8080_8080;
            if stops != 0 {
                // The varint ends in the byte of the lowest stop bit.
                let len = stops.trailing_zeros() as usize / 8 + 1;
                let bits = word & 0x7f7f_7f7f_7f7f_7f7f & (u64::MAX >> (64 - 8 * len));
                // Squeeze the 7-bit groups together: pairs, then quads, then all eight.
                let pairs = (bits & 0x007f_007f_007f_007f) | ((bits & 0x7f00_7f00_7f00_7f00) >> 1);
                let quads =
                    (pairs & 0x0000_3fff_0000_3fff) | ((pairs & 0x3fff_0000_3fff_0000) >> 2);
                let value = (quads & 0x0fff_ffff) | ((quads & 0x0fff_ffff_0000_0000) >> 4);
                self.pos += len;
                return Ok(value);
            }
        }
        self.varint_bytes(context)
    }

    /// [`Reader::varint`] byte by byte: every length, every error.
    fn varint_bytes(&mut self, context: &'static str) -> Result<u64, Error> {
        let start = self.pos;
        let mut value: u64 = 0;
        for i in 0..MAX_VARINT_LEN {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(Error::Truncated {
                    context,
                    offset: start,
                });
            };
            self.pos += 1;
            // The tenth byte may only hold the 64th bit.
            if i == MAX_VARINT_LEN - 1 && byte > 1 {
                return Err(Error::MalformedVarint { offset: start });
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(Error::MalformedVarint { offset: start })
    }

    fn take(&mut self, len: usize, context: &'static str) -> Result<&'a [u8], Error> {
        let start = self.pos;
        let end = start.checked_add(len).filter(|&end| end <= self.buf.len());
        match end.and_then(|end| self.buf.get(start..end)) {
            Some(bytes) => {
                self.pos = start + len;
                Ok(bytes)
            }
            None => Err(Error::Truncated {
                context,
                offset: start,
            }),
        }
    }

    #[inline(always)]
    fn len_delimited(&mut self, context: &'static str) -> Result<&'a [u8], Error> {
        // A one-byte length that fits: the common case for the small hot messages.
        if let Some(&len) = self.buf.get(self.pos)
            && len < 0x80
        {
            let start = self.pos + 1;
            if let Some(bytes) = self.buf.get(start..start + usize::from(len)) {
                self.pos = start + usize::from(len);
                return Ok(bytes);
            }
        }
        self.len_delimited_general(context)
    }

    /// [`Reader::len_delimited`] for longer lengths, errors included.
    #[inline(never)]
    fn len_delimited_general(&mut self, context: &'static str) -> Result<&'a [u8], Error> {
        let offset = self.pos;
        let len = self.varint(context)?;
        let remaining = self.buf.len() - self.pos;
        match usize::try_from(len) {
            Ok(n) if n <= remaining => self.take(n, context),
            _ => Err(Error::LengthOutOfBounds {
                context,
                offset,
                len,
                remaining,
            }),
        }
    }
}

fn expect(key: Key, expected: WireType, context: &'static str) -> Result<(), Error> {
    if key.wire_type == expected {
        Ok(())
    } else {
        Err(Error::WrongWireType {
            context,
            expected: expected as u8,
            found: key.wire_type as u8,
            offset: key.offset,
        })
    }
}

const MAX_VARINT_LEN: usize = 10;
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;

const ASKS: &str = "PublicAggreDepthsV3Api.asks";
const BIDS: &str = "PublicAggreDepthsV3Api.bids";
const FROM_VERSION: &str = "PublicAggreDepthsV3Api.fromVersion";
const TO_VERSION: &str = "PublicAggreDepthsV3Api.toVersion";
const LEVEL_PRICE: &str = "PublicAggreDepthV3ApiItem.price";
const LEVEL_QUANTITY: &str = "PublicAggreDepthV3ApiItem.quantity";
const DEALS: &str = "PublicAggreDealsV3Api.deals";
const DEAL_PRICE: &str = "PublicAggreDealsV3ApiItem.price";
const DEAL_QUANTITY: &str = "PublicAggreDealsV3ApiItem.quantity";
const DEAL_TRADE_TYPE: &str = "PublicAggreDealsV3ApiItem.tradeType";
const DEAL_TIME: &str = "PublicAggreDealsV3ApiItem.time";
const BID_PRICE: &str = "PublicAggreBookTickerV3Api.bidPrice";
const BID_QUANTITY: &str = "PublicAggreBookTickerV3Api.bidQuantity";
const ASK_PRICE: &str = "PublicAggreBookTickerV3Api.askPrice";
const ASK_QUANTITY: &str = "PublicAggreBookTickerV3Api.askQuantity";
const TICKER_VERSION: &str = "PublicAggreBookTickerV3Api.version";

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn key(reader: &mut Reader<'_>) -> Key {
        reader.key().unwrap().unwrap()
    }

    #[test]
    fn varints_of_every_length() {
        for (bytes, value) in [
            (&[0x00][..], 0u64),
            (&[0x01], 1),
            (&[0x7f], 127),
            (&[0x80, 0x01], 128),
            (&[0xac, 0x02], 300),
            (&[0xc8, 0xf6, 0xb4, 0xec, 0xdf, 0x33], 1_778_075_384_648),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                u64::MAX,
            ),
        ] {
            assert_eq!(
                Reader::new(bytes).varint("v").unwrap(),
                value,
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn word_varints_agree_with_the_byte_loop() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for round in 0..20_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = state >> (round % 64);
            let mut bytes = Vec::new();
            let mut v = value;
            while v >= 0x80 {
                bytes.push((v as u8) | 0x80);
                v >>= 7;
            }
            bytes.push(v as u8);
            let len = bytes.len();
            // With and without eight readable bytes, and with junk after.
            for pad in [0usize, 3, 8] {
                let mut padded = bytes.clone();
                padded.extend((0..pad).map(|i| (state >> (8 * i)) as u8));
                let mut reader = Reader::new(&padded);
                assert_eq!(reader.varint("v").unwrap(), value, "{padded:02x?}");
                assert_eq!(reader.pos, len);
                let mut reader = Reader::new(&padded);
                assert_eq!(reader.varint_bytes("v").unwrap(), value);
            }
        }
    }

    #[test]
    fn bad_varints_are_typed_errors() {
        assert!(matches!(
            Reader::new(&[0x80, 0x80]).varint("v"),
            Err(Error::Truncated { offset: 0, .. })
        ));
        assert!(matches!(
            Reader::new(&[0xff; 11]).varint("v"),
            Err(Error::MalformedVarint { offset: 0 })
        ));
        // Ten bytes whose last one carries more than the 64th bit.
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(matches!(
            Reader::new(&overflow).varint("v"),
            Err(Error::MalformedVarint { offset: 0 })
        ));
    }

    #[test]
    fn keys_reject_groups_and_field_zero() {
        assert!(matches!(
            Reader::new(&[0x0b]).key(),
            Err(Error::UnsupportedWireType {
                field: 1,
                wire_type: 3,
                offset: 0
            })
        ));
        assert!(matches!(
            Reader::new(&[0x0c]).key(),
            Err(Error::UnsupportedWireType { wire_type: 4, .. })
        ));
        assert!(matches!(
            Reader::new(&[0x0e]).key(),
            Err(Error::UnsupportedWireType { wire_type: 6, .. })
        ));
        assert!(matches!(
            Reader::new(&[0x02, 0x00]).key(),
            Err(Error::InvalidFieldNumber { field: 0, .. })
        ));
        assert!(Reader::new(&[]).key().unwrap().is_none());
    }

    #[test]
    fn skips_every_wire_type() {
        // field 7 varint 300, field 8 fixed64, field 9 len 2, field 10 fixed32, then field 1 "A".
        let bytes = [
            0x38, 0xac, 0x02, 0x41, 1, 2, 3, 4, 5, 6, 7, 8, 0x4a, 0x02, 0xaa, 0xbb, 0x55, 1, 2, 3,
            4, 0x0a, 0x01, b'A',
        ];
        let mut reader = Reader::new(&bytes);
        for _ in 0..4 {
            let k = key(&mut reader);
            reader.skip(k).unwrap();
        }
        let k = key(&mut reader);
        assert_eq!(k.field, 1);
        assert_eq!(reader.string(k, "s").unwrap(), "A");
        assert!(reader.key().unwrap().is_none());
    }

    #[test]
    fn lengths_past_the_end_and_bad_utf8() {
        let mut reader = Reader::new(&[0x0a, 0x05, b'a']);
        let k = key(&mut reader);
        assert!(matches!(
            reader.string(k, "s"),
            Err(Error::LengthOutOfBounds {
                len: 5,
                remaining: 1,
                offset: 1,
                ..
            })
        ));
        let mut reader = Reader::new(&[0x0a, 0x02, 0xc3, 0x28]);
        let k = key(&mut reader);
        assert!(matches!(
            reader.string(k, "s"),
            Err(Error::InvalidUtf8 { offset: 2, .. })
        ));
        // A huge length must not overflow the bounds arithmetic.
        let mut reader = Reader::new(&[
            0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ]);
        let k = key(&mut reader);
        assert!(matches!(
            reader.bytes(k, "s"),
            Err(Error::LengthOutOfBounds { .. })
        ));
        assert!(matches!(
            Reader::new(&[1, 2, 3]).take(8, "fixed64 field"),
            Err(Error::Truncated { .. })
        ));
    }

    #[test]
    fn wrong_wire_types_are_refused() {
        let mut reader = Reader::new(&[0x08, 0x01]);
        let k = key(&mut reader);
        assert!(matches!(
            reader.string(k, "PushDataV3ApiWrapper.channel"),
            Err(Error::WrongWireType {
                expected: 2,
                found: 0,
                ..
            })
        ));
        let mut reader = Reader::new(&[0x0a, 0x00]);
        let k = key(&mut reader);
        assert!(matches!(
            reader.int64(k, "t"),
            Err(Error::WrongWireType {
                expected: 0,
                found: 2,
                ..
            })
        ));
        let mut reader = Reader::new(&[0x08, 0x02]);
        let k = key(&mut reader);
        assert!(reader.boolean(k, "b").unwrap());
    }

    #[test]
    fn negative_int64_and_int32_follow_protobuf() {
        // -1 as int64: ten bytes.
        let bytes = [
            0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        let mut reader = Reader::new(&bytes);
        let k = key(&mut reader);
        assert_eq!(reader.int64(k, "t").unwrap(), -1);
        let mut reader = Reader::new(&bytes);
        let k = key(&mut reader);
        assert_eq!(reader.int32(k, "t").unwrap(), -1);
    }

    /// Levels read by the general path alone, over the whole body.
    fn general_levels(bytes: &[u8]) -> Vec<Result<DepthLevel, Error>> {
        let mut reader = Reader::new(bytes);
        let mut out = Vec::new();
        loop {
            match next_level_general(&mut reader) {
                Ok(Some(level)) => out.push(Ok(level)),
                Ok(None) => return out,
                Err(error) => {
                    out.push(Err(error));
                    return out;
                }
            }
        }
    }

    #[test]
    fn fast_level_paths_agree_with_the_general_reader() {
        let item = |price: &str, quantity: &str| pb::PublicAggreDepthV3ApiItem {
            price: price.into(),
            quantity: quantity.into(),
        };
        let body = pb::PublicAggreDepthsV3Api {
            asks: vec![
                item("19137.75", "0.6135"),
                item("19137.82", "0"),
                item("", "1"),
            ],
            bids: vec![
                item("19137.74", "12.5"),
                item("1.0000000001", "100000000000"),
            ],
            event_type: "spot@public.aggre.depth.v3.api.pb@10ms".into(),
            from_version: "10589632359".into(),
            to_version: "10589632360".into(),
            last_order_create_time: 1_778_075_380_572,
        }
        .encode_to_vec();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut agreed = 0;
        for round in 0..50_000 {
            let mut bytes = body.clone();
            // Up to three byte changes, biased to the characters and tags that matter.
            for _ in 0..(round % 4) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = (state >> 8) as usize % bytes.len();
                let picks = [b'.', b'0', b'9', b'-', 0x0a, 0x12, 0x1a, 0x80, 0x00, 0x05];
                bytes[at] = if state.is_multiple_of(3) {
                    picks[(state >> 40) as usize % picks.len()]
                } else {
                    (state >> 32) as u8
                };
            }
            let Ok(depth) = AggreDepths::decode(&bytes) else {
                continue;
            };
            agreed += 1;
            let general = general_levels(&bytes);
            let fast: Vec<_> = depth.levels().collect();
            assert_eq!(format!("{fast:?}"), format!("{general:?}"), "{bytes:02x?}");
            let mut streamed = Vec::new();
            let result = depth.for_each_level(|level| {
                streamed.push(level);
                Ok::<(), Error>(())
            });
            let oks: Vec<_> = general.iter().filter_map(|l| l.as_ref().ok()).collect();
            assert_eq!(streamed.iter().collect::<Vec<_>>(), oks);
            assert_eq!(
                result.err().map(|e| format!("{e:?}")),
                general
                    .iter()
                    .find_map(|l| l.as_ref().err())
                    .map(|e| format!("{e:?}"))
            );
            let counted = general.len() - usize::from(general.last().is_some_and(Result::is_err));
            assert!(depth.ask_count() + depth.bid_count() >= counted);
        }
        assert!(agreed > 10_000, "{agreed}");
    }

    #[test]
    fn version_numbers() {
        assert_eq!(parse_u64(b"10589632359", "v").unwrap(), 10_589_632_359);
        assert_eq!(parse_u64(b"18446744073709551615", "v").unwrap(), u64::MAX);
        for bad in [
            &b""[..],
            b"18446744073709551616",
            b"-1",
            b"1.0",
            b" 1",
            b"123456789012345678901",
        ] {
            assert!(matches!(
                parse_u64(bad, "v"),
                Err(Error::InvalidNumber { context: "v" })
            ));
        }
    }

    #[test]
    fn synthesized_trade_ids() {
        assert_eq!(
            synthesized_trade_id(1_736_409_765_051, 3).unwrap().as_str(),
            "1736409765051-3"
        );
        assert_eq!(synthesized_trade_id(0, 0).unwrap().as_str(), "0-0");
        assert_eq!(
            synthesized_trade_id(u64::MAX, usize::MAX).unwrap().as_str(),
            format!("{}-{}", u64::MAX, usize::MAX)
        );
    }

    #[test]
    fn body_kinds_round_trip() {
        for (i, kind) in BodyKind::ALL.iter().enumerate() {
            assert_eq!(kind.field_number(), 301 + i as u32);
            assert_eq!(
                BodyKind::from_field_number(kind.field_number()),
                Some(*kind)
            );
        }
        assert_eq!(BodyKind::from_field_number(300), None);
        assert_eq!(BodyKind::from_field_number(316), None);
        assert_eq!(BodyKind::PublicAggreDepths.name(), "publicAggreDepths");
        assert_eq!(BodyKind::PublicAggreDepths.stream_kind(), StreamKind::Book);
        assert_eq!(BodyKind::PrivateDeals.stream_kind(), StreamKind::Private);
    }
}
