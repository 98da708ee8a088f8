//! The straightforward clients the hot paths are compared with, doing the same job and
//! producing the same `market-types` values:
//!
//! - Gate.io: `serde_json::from_slice::<Value>` (a DOM with owned strings and maps), then
//!   mapping fields by name; levels become a `Vec<Level>` per side, as most Rust
//!   connectors hold them.
//! - MEXC: prost's generated decoder (`PushDataV3ApiWrapper::decode`, every string owned),
//!   then the same mapping.
//!
//! Book pushes are then applied by [`BookClient`] with the same rules as ours (continuity
//! by id, zero size removes, trimmed to the depth, crossed book refused). Errors are
//! `None`: a baseline only has to be correct on valid frames.

use exchange_mexc::pb;
use exchange_mexc::pb::push_data_v3_api_wrapper::Body as PbBody;
use market_types::{
    BookTicker, Decimal, Level, OrderBook, Price, Quantity, Side, Symbol, Trade, TradeId, Venue,
};
use prost::Message as _;
use serde_json::Value;

/// An order-book push as a typical connector holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookPush {
    /// Pair or contract.
    pub symbol: Symbol,
    /// First update id covered.
    pub first_id: u64,
    /// Last update id covered.
    pub last_id: u64,
    /// A full snapshot rather than a delta.
    pub full: bool,
    /// Venue time, ms.
    pub time_ms: u64,
    /// Changed bids.
    pub bids: Vec<Level>,
    /// Changed asks.
    pub asks: Vec<Level>,
}

/// A Gate.io `spot.order_book_update` / `futures.order_book_update` push.
pub fn gateio_book_push(frame: &[u8]) -> Option<BookPush> {
    let v: Value = serde_json::from_slice(frame).ok()?;
    let channel = v.get("channel")?.as_str()?;
    if !channel.ends_with(".order_book_update") || v.get("event")?.as_str()? != "update" {
        return None;
    }
    let r = v.get("result")?;
    let levels = |key: &str| -> Option<Vec<Level>> {
        r.get(key)?.as_array()?.iter().map(json_level).collect()
    };
    Some(BookPush {
        symbol: Symbol::new(r.get("s")?.as_str()?).ok()?,
        first_id: r.get("U")?.as_u64()?,
        last_id: r.get("u")?.as_u64()?,
        full: r.get("full").and_then(Value::as_bool).unwrap_or(false),
        time_ms: r.get("t").and_then(Value::as_u64).unwrap_or(0),
        bids: levels("b")?,
        asks: levels("a")?,
    })
}

/// A Gate.io `spot.book_ticker` / `futures.book_ticker` push.
pub fn gateio_book_ticker(frame: &[u8]) -> Option<BookTicker> {
    let v: Value = serde_json::from_slice(frame).ok()?;
    let channel = v.get("channel")?.as_str()?;
    if !channel.ends_with(".book_ticker") {
        return None;
    }
    let r = v.get("result")?;
    Some(BookTicker {
        venue: gateio_venue(channel),
        symbol: Symbol::new(r.get("s")?.as_str()?).ok()?,
        bid: ticker_side(r.get("b")?, r.get("B")?)?,
        ask: ticker_side(r.get("a")?, r.get("A")?)?,
        update_id: r.get("u").and_then(Value::as_u64),
        exchange_time_ms: r.get("t").and_then(Value::as_u64).unwrap_or(0),
    })
}

/// A Gate.io `spot.trades` push (one trade).
pub fn gateio_spot_trade(frame: &[u8]) -> Option<Trade> {
    let v: Value = serde_json::from_slice(frame).ok()?;
    if v.get("channel")?.as_str()? != "spot.trades" {
        return None;
    }
    let r = v.get("result")?;
    let time_ms = r.get("create_time_ms")?.as_str()?.split('.').next()?;
    Some(Trade {
        venue: Venue::GateioSpot,
        symbol: Symbol::new(r.get("currency_pair")?.as_str()?).ok()?,
        trade_id: TradeId::from_u64(r.get("id")?.as_u64()?),
        price: json_price(r.get("price")?)?,
        quantity: json_quantity(r.get("amount")?)?,
        taker_side: match r.get("side")?.as_str()? {
            "buy" => Some(Side::Buy),
            "sell" => Some(Side::Sell),
            _ => None,
        },
        exchange_time_ms: time_ms.parse().ok()?,
    })
}

/// A Gate.io `futures.trades` push (an array; signed `size`, positive = taker bought).
pub fn gateio_futures_trades(frame: &[u8]) -> Option<Vec<Trade>> {
    let v: Value = serde_json::from_slice(frame).ok()?;
    if v.get("channel")?.as_str()? != "futures.trades" {
        return None;
    }
    v.get("result")?
        .as_array()?
        .iter()
        .map(|t| {
            let size = t.get("size")?.as_i64()?;
            Some(Trade {
                venue: Venue::GateioFutures,
                symbol: Symbol::new(t.get("contract")?.as_str()?).ok()?,
                trade_id: TradeId::from_u64(t.get("id")?.as_u64()?),
                price: json_price(t.get("price")?)?,
                quantity: Quantity::new(Decimal::from_i64(size.abs()).ok()?),
                taker_side: Some(if size > 0 { Side::Buy } else { Side::Sell }),
                exchange_time_ms: t.get("create_time_ms")?.as_u64()?,
            })
        })
        .collect()
}

/// A MEXC `publicAggreDepths` push decoded with prost.
pub fn mexc_depth_push(frame: &[u8]) -> Option<BookPush> {
    let wrapper = pb::PushDataV3ApiWrapper::decode(frame).ok()?;
    let symbol = Symbol::new(wrapper.symbol.as_deref()?).ok()?;
    let time_ms = u64::try_from(wrapper.send_time?).ok()?;
    let PbBody::PublicAggreDepths(depth) = wrapper.body? else {
        return None;
    };
    let levels = |items: &[pb::PublicAggreDepthV3ApiItem]| -> Option<Vec<Level>> {
        items
            .iter()
            .map(|l| {
                Some(Level::new(
                    Price::parse(&l.price).ok()?,
                    Quantity::parse(&l.quantity).ok()?,
                ))
            })
            .collect()
    };
    Some(BookPush {
        symbol,
        first_id: depth.from_version.parse().ok()?,
        last_id: depth.to_version.parse().ok()?,
        full: false,
        time_ms,
        bids: levels(&depth.bids)?,
        asks: levels(&depth.asks)?,
    })
}

/// A MEXC `publicAggreDeals` push decoded with prost; a deal without a `tradeId` gets
/// `<time>-<index>`, as ours does.
pub fn mexc_deals(frame: &[u8]) -> Option<Vec<Trade>> {
    let wrapper = pb::PushDataV3ApiWrapper::decode(frame).ok()?;
    let symbol = Symbol::new(wrapper.symbol.as_deref()?).ok()?;
    let PbBody::PublicAggreDeals(deals) = wrapper.body? else {
        return None;
    };
    deals
        .deals
        .iter()
        .enumerate()
        .map(|(index, d)| {
            let trade_id = if d.trade_id.is_empty() {
                TradeId::new(&format!("{}-{index}", d.time)).ok()?
            } else {
                TradeId::new(&d.trade_id).ok()?
            };
            Some(Trade {
                venue: Venue::MexcSpot,
                symbol,
                trade_id,
                price: Price::parse(&d.price).ok()?,
                quantity: Quantity::parse(&d.quantity).ok()?,
                taker_side: match d.trade_type {
                    1 => Some(Side::Buy),
                    2 => Some(Side::Sell),
                    _ => None,
                },
                exchange_time_ms: u64::try_from(d.time).ok()?,
            })
        })
        .collect()
}

/// A MEXC `publicAggreBookTicker` push decoded with prost.
pub fn mexc_book_ticker(frame: &[u8]) -> Option<BookTicker> {
    let wrapper = pb::PushDataV3ApiWrapper::decode(frame).ok()?;
    let symbol = Symbol::new(wrapper.symbol.as_deref()?).ok()?;
    let time_ms = wrapper
        .send_time
        .or(wrapper.create_time)
        .and_then(|t| u64::try_from(t).ok())
        .unwrap_or(0);
    let PbBody::PublicAggreBookTicker(t) = wrapper.body? else {
        return None;
    };
    let side = |p: &str, q: &str| -> Option<Option<Level>> {
        if p.is_empty() && q.is_empty() {
            return Some(None);
        }
        Some(Some(Level::new(
            Price::parse(p).ok()?,
            Quantity::parse(q).ok()?,
        )))
    };
    Some(BookTicker {
        venue: Venue::MexcSpot,
        symbol,
        bid: side(&t.bid_price, &t.bid_quantity)?,
        ask: side(&t.ask_price, &t.ask_quantity)?,
        update_id: if t.version.is_empty() {
            None
        } else {
            Some(t.version.parse().ok()?)
        },
        exchange_time_ms: time_ms,
    })
}

/// A local book kept by the baseline client, with the same rules as ours.
#[derive(Debug)]
pub struct BookClient {
    book: OrderBook,
    depth: usize,
    /// Pushes applied.
    pub applied: u64,
}

impl BookClient {
    /// A book trimmed to `depth` levels per side (`usize::MAX`: never trimmed), loaded
    /// from a snapshot at `id`.
    pub fn new(symbol: Symbol, depth: usize, bids: &[Level], asks: &[Level], id: u64) -> Self {
        let mut book = OrderBook::with_capacity(symbol, depth.min(4096).saturating_mul(2));
        let _ = book.load_snapshot(
            bids.iter().map(|l| (l.price, l.quantity)),
            asks.iter().map(|l| (l.price, l.quantity)),
            id,
        );
        BookClient {
            book,
            depth,
            applied: 0,
        }
    }

    /// Applies one push; `None` when it breaks continuity or leaves a crossed book.
    pub fn apply(&mut self, push: &BookPush) -> Option<()> {
        let current = self.book.update_id();
        if push.last_id <= current {
            return Some(());
        }
        if push.first_id > current + 1 {
            return None;
        }
        for l in &push.bids {
            self.book.apply(Side::Buy, l.price, l.quantity).ok()?;
        }
        for l in &push.asks {
            self.book.apply(Side::Sell, l.price, l.quantity).ok()?;
        }
        self.book.truncate(Side::Buy, self.depth);
        self.book.truncate(Side::Sell, self.depth);
        if self.book.is_crossed() {
            return None;
        }
        self.book.set_update_id(push.last_id);
        self.applied += 1;
        Some(())
    }

    /// The book.
    pub fn book(&self) -> &OrderBook {
        &self.book
    }
}

fn gateio_venue(channel: &str) -> Venue {
    if channel.starts_with("spot.") {
        Venue::GateioSpot
    } else {
        Venue::GateioFutures
    }
}

fn json_level(v: &Value) -> Option<Level> {
    match v {
        Value::Array(pair) => Some(Level::new(
            json_price(pair.first()?)?,
            json_quantity(pair.get(1)?)?,
        )),
        Value::Object(m) => Some(Level::new(
            json_price(m.get("p")?)?,
            json_quantity(m.get("s")?)?,
        )),
        _ => None,
    }
}

fn json_price(v: &Value) -> Option<Price> {
    Price::parse(v.as_str()?).ok()
}

fn json_quantity(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Decimal::from_i64(i).ok().map(Quantity::new),
            None => Quantity::parse(&n.to_string()).ok(),
        },
        _ => None,
    }
}

/// An empty price or a zero size means an empty side.
fn ticker_side(price: &Value, size: &Value) -> Option<Option<Level>> {
    if price.as_str() == Some("") {
        return Some(None);
    }
    let quantity = json_quantity(size)?;
    if quantity.is_zero() {
        return Some(None);
    }
    Some(Some(Level::new(json_price(price)?, quantity)))
}
