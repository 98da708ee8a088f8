//! `publicAggreDeals` (314): trades decoded one at a time, ids borrowed or synthesized
//! without allocating.

use market_types::{Price, Quantity, Side, Symbol, Trade, TradeId, Venue};

use super::numbers::{pair_error, trade_side};
use super::reader::Reader;
use crate::error::Error;

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
    #[inline]
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

/// `<time_ms>-<index>` without allocating.
pub(super) fn synthesized_trade_id(
    time_ms: u64,
    index: usize,
) -> Result<TradeId, market_types::SymbolError> {
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

const DEALS: &str = "PublicAggreDealsV3Api.deals";
const DEAL_PRICE: &str = "PublicAggreDealsV3ApiItem.price";
const DEAL_QUANTITY: &str = "PublicAggreDealsV3ApiItem.quantity";
const DEAL_TRADE_TYPE: &str = "PublicAggreDealsV3ApiItem.tradeType";
const DEAL_TIME: &str = "PublicAggreDealsV3ApiItem.time";
