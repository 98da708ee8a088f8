//! The same Gate.io baseline client as [`crate::baseline`], with `simd-json` (the parser
//! the design started from) instead of `serde_json`: the frame is copied into a reused
//! buffer (simd-json parses in place and needs `&mut [u8]`), parsed into a
//! `BorrowedValue` with reused scratch buffers, then mapped field by field to the same
//! `market-types` values. It answers "would simd-json make the small Gate.io frames
//! cheaper?" with figures from the same run as ours and serde_json's.

use market_types::Venue;
use market_types::{BookTicker, Decimal, Level, Price, Quantity, Side, Symbol, Trade, TradeId};
use simd_json::BorrowedValue;
use simd_json::prelude::*;

use crate::baseline::BookPush;

/// A simd-json parser with its buffers, reused from frame to frame.
pub struct SimdClient {
    frame: Vec<u8>,
    buffers: simd_json::Buffers,
}

impl std::fmt::Debug for SimdClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimdClient").finish_non_exhaustive()
    }
}

impl Default for SimdClient {
    fn default() -> Self {
        SimdClient {
            frame: Vec::with_capacity(4096),
            buffers: simd_json::Buffers::new(4096),
        }
    }
}

impl SimdClient {
    /// Parses a copy of `frame` and hands the DOM to `map`.
    fn with_value<T>(
        &mut self,
        frame: &[u8],
        map: impl FnOnce(&BorrowedValue<'_>) -> Option<T>,
    ) -> Option<T> {
        self.frame.clear();
        self.frame.extend_from_slice(frame);
        let value =
            simd_json::to_borrowed_value_with_buffers(&mut self.frame, &mut self.buffers).ok()?;
        map(&value)
    }

    /// A Gate.io `spot.order_book_update` / `futures.order_book_update` push.
    pub fn gateio_book_push(&mut self, frame: &[u8]) -> Option<BookPush> {
        self.with_value(frame, |v| {
            let channel = v.get_str("channel")?;
            if !channel.ends_with(".order_book_update") || v.get_str("event")? != "update" {
                return None;
            }
            let r = v.get("result")?;
            let levels =
                |key: &str| -> Option<Vec<Level>> { r.get_array(key)?.iter().map(level).collect() };
            Some(BookPush {
                symbol: Symbol::new(r.get_str("s")?).ok()?,
                first_id: r.get_u64("U")?,
                last_id: r.get_u64("u")?,
                full: r.get_bool("full").unwrap_or(false),
                time_ms: r.get_u64("t").unwrap_or(0),
                bids: levels("b")?,
                asks: levels("a")?,
            })
        })
    }

    /// A Gate.io `spot.book_ticker` / `futures.book_ticker` push.
    pub fn gateio_book_ticker(&mut self, frame: &[u8]) -> Option<BookTicker> {
        self.with_value(frame, |v| {
            let channel = v.get_str("channel")?;
            if !channel.ends_with(".book_ticker") {
                return None;
            }
            let r = v.get("result")?;
            Some(BookTicker {
                venue: if channel.starts_with("spot.") {
                    Venue::GateioSpot
                } else {
                    Venue::GateioFutures
                },
                symbol: Symbol::new(r.get_str("s")?).ok()?,
                bid: ticker_side(r.get("b")?, r.get("B")?)?,
                ask: ticker_side(r.get("a")?, r.get("A")?)?,
                update_id: r.get_u64("u"),
                exchange_time_ms: r.get_u64("t").unwrap_or(0),
            })
        })
    }

    /// A Gate.io `spot.trades` push (one trade).
    pub fn gateio_spot_trade(&mut self, frame: &[u8]) -> Option<Trade> {
        self.with_value(frame, |v| {
            if v.get_str("channel")? != "spot.trades" {
                return None;
            }
            let r = v.get("result")?;
            let time_ms = r.get_str("create_time_ms")?.split('.').next()?;
            Some(Trade {
                venue: Venue::GateioSpot,
                symbol: Symbol::new(r.get_str("currency_pair")?).ok()?,
                trade_id: TradeId::from_u64(r.get_u64("id")?),
                price: price(r.get("price")?)?,
                quantity: quantity(r.get("amount")?)?,
                taker_side: match r.get_str("side")? {
                    "buy" => Some(Side::Buy),
                    "sell" => Some(Side::Sell),
                    _ => None,
                },
                exchange_time_ms: time_ms.parse().ok()?,
            })
        })
    }
}

fn level(v: &BorrowedValue<'_>) -> Option<Level> {
    if let Some(pair) = v.as_array() {
        return Some(Level::new(price(pair.first()?)?, quantity(pair.get(1)?)?));
    }
    Some(Level::new(price(v.get("p")?)?, quantity(v.get("s")?)?))
}

fn price(v: &BorrowedValue<'_>) -> Option<Price> {
    Price::parse(v.as_str()?).ok()
}

fn quantity(v: &BorrowedValue<'_>) -> Option<Quantity> {
    if let Some(s) = v.as_str() {
        return Quantity::parse(s).ok();
    }
    Decimal::from_i64(v.as_i64()?).ok().map(Quantity::new)
}

/// An empty price or a zero size means an empty side.
fn ticker_side(price_v: &BorrowedValue<'_>, size: &BorrowedValue<'_>) -> Option<Option<Level>> {
    if price_v.as_str() == Some("") {
        return Some(None);
    }
    let quantity = quantity(size)?;
    if quantity.is_zero() {
        return Some(None);
    }
    Some(Some(Level::new(price(price_v)?, quantity)))
}
