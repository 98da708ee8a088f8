//! `publicAggreBookTicker` (315): best bid and ask, fully decoded.

use market_types::{BookTicker, Level, Price, Quantity, Symbol, Venue};

use super::numbers::{pair_error, parse_u64};
use super::reader::Reader;
use crate::error::Error;

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
    #[inline]
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

const BID_PRICE: &str = "PublicAggreBookTickerV3Api.bidPrice";
const BID_QUANTITY: &str = "PublicAggreBookTickerV3Api.bidQuantity";
const ASK_PRICE: &str = "PublicAggreBookTickerV3Api.askPrice";
const ASK_QUANTITY: &str = "PublicAggreBookTickerV3Api.askQuantity";
const TICKER_VERSION: &str = "PublicAggreBookTickerV3Api.version";
