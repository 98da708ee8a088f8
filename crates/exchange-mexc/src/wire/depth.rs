//! `publicAggreDepths` (313): versions on decode, levels streamed one at a time, with a
//! straight-line path for the level shape every encoder writes.

use market_types::{Price, Quantity, Side};

use super::numbers::{pair_error, parse_u64};
use super::reader::Reader;
use crate::error::Error;

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
    #[inline]
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
pub(super) fn next_level_general(reader: &mut Reader<'_>) -> Result<Option<DepthLevel>, Error> {
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

/// The depth-shaped fast paths of the reader.
impl<'a> Reader<'a> {
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
}

const ASKS: &str = "PublicAggreDepthsV3Api.asks";
const BIDS: &str = "PublicAggreDepthsV3Api.bids";
const FROM_VERSION: &str = "PublicAggreDepthsV3Api.fromVersion";
const TO_VERSION: &str = "PublicAggreDepthsV3Api.toVersion";
const LEVEL_PRICE: &str = "PublicAggreDepthV3ApiItem.price";
const LEVEL_QUANTITY: &str = "PublicAggreDepthV3ApiItem.quantity";
