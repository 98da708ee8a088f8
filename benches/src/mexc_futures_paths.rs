//! MEXC USDT-M futures hot paths (`exchange_mexc::futures`, JSON), each next to a
//! `serde_json::Value` baseline doing the same job the straightforward way.
//!
//! Depth: "apply" is [`decode`] + [`FuturesBookSync::on_depth`] into a live book, with
//! continuous versions rewritten in place (see [`FrameCycle`]) so the book never resyncs.

use std::hint::black_box;
use std::time::Instant;

use exchange_mexc::BookSyncConfig;
use exchange_mexc::futures::{Frame, FuturesBookSync, decode};
use market_types::{
    BookStatus, Decimal, Level, Price, Quantity, Side, Symbol, Ticker, Trade, TradeId, Venue,
};
use serde_json::Value;
use ws_core::{Outbox, RestReply, RestResponse, Timestamp};

use crate::baseline::{BookClient, BookPush};
use crate::data::{self, FIRST_ID, FrameCycle};
use crate::mexc_paths::MexcTally;
use crate::{Kind, Operation, Workload};

/// The workspace has no futures venue value yet; the books and events take one from the
/// caller, and any will do for a measurement.
const VENUE: Venue = Venue::MexcFutures;

pub(crate) fn workloads() -> Vec<Workload> {
    vec![
        Workload::new(
            "mexc_futures_depth20_apply",
            "push.depth, 20 levels/side (JSON numbers): decode + FuturesBookSync::on_depth into a live book",
            Kind::OrderBook,
            depth_apply,
        )
        .baseline("mexc_futures_depth20_apply_value")
        .target_ns(1_000.0)
        .alloc_free(),
        Workload::new(
            "mexc_futures_depth20_apply_value",
            "baseline: serde_json::Value, Vec<Level> per side, then applied to the same OrderBook",
            Kind::Baseline,
            depth_apply_value,
        ),
        Workload::new(
            "mexc_futures_deal",
            "push.deal (spec fixture, one deal object) to a Trade",
            Kind::Trade,
            deal,
        )
        .baseline("mexc_futures_deal_value")
        .target_ns(300.0)
        .alloc_free(),
        Workload::new(
            "mexc_futures_deal_value",
            "baseline: serde_json::Value, then a Vec<Trade>",
            Kind::Baseline,
            deal_value,
        ),
        Workload::new(
            "mexc_futures_ticker",
            "push.ticker (spec fixture) to a Ticker (last, bid/ask, fair, index, funding, volume)",
            Kind::Ticker,
            ticker,
        )
        .baseline("mexc_futures_ticker_value")
        .target_ns(250.0)
        .alloc_free(),
        Workload::new(
            "mexc_futures_ticker_value",
            "baseline: serde_json::Value, then a Ticker",
            Kind::Baseline,
            ticker_value,
        ),
    ]
}

/// Distinct level sets in the depth stream (a power of two).
const VARIANTS: usize = 16;
/// Levels per side of the depth pushes.
const LEVELS: usize = 20;

const DEAL: &str = r#"{"channel":"push.deal","data":{"M":1,"O":1,"T":1,"p":6866.5,"t":1587442049632,"v":2096},"symbol":"BTC_USDT","ts":1587442022003}"#;

const TICKER: &str = r#"{"channel":"push.ticker","data":{"ask1":6866.5,"bid1":6865,"contractId":1,"fairPrice":6867.4,"fundingRate":0.0008,"high24Price":7223.5,"indexPrice":6861.6,"lastPrice":6865.5,"lower24Price":6756,"maxBidPrice":7073.42,"minAskPrice":6661.37,"riseFallRate":-0.0424,"riseFallValue":-304.5,"symbol":"BTC_USDT","timestamp":1587442022003,"holdVol":2284742,"volume24":164586129},"symbol":"BTC_USDT","ts":1587442022003}"#;

fn now() -> Timestamp {
    Timestamp::new(Instant::now(), 1_778_000_000_000_000_000)
}

fn contracts(size: i64) -> i64 {
    size / 37 + size % 11
}

/// A `push.depth` of `LEVELS` per side as the venue sends it (compact, numbers), level
/// set `variant`, version [`FIRST_ID`].
fn depth_frame(variant: usize) -> Vec<u8> {
    let side = |bid| {
        data::book_side(LEVELS, variant, bid)
            .iter()
            .map(|&(p, s)| {
                let n = contracts(s);
                format!("[{},{n},{}]", data::price_text(p), u8::from(n > 0))
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"channel":"push.depth","data":{{"asks":[{}],"bids":[{}],"version":{FIRST_ID}}},"symbol":"BTC_USDT","ts":1587442022003}}"#,
        side(false),
        side(true)
    )
    .into_bytes()
}

fn depth_frames() -> Vec<Vec<u8>> {
    (0..VARIANTS).map(depth_frame).collect()
}

/// The enveloped REST snapshot at `version`, holding every price the pushes use.
fn snapshot_body(version: u64) -> Vec<u8> {
    let side = |bid| {
        data::book_side(LEVELS, 1, bid)
            .iter()
            .map(|&(p, _)| format!("[{},5,1]", data::price_text(p)))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"success":true,"code":0,"data":{{"asks":[{}],"bids":[{}],"version":{version},"timestamp":1587442022003}}}}"#,
        side(false),
        side(true)
    )
    .into_bytes()
}

/// A live futures book fed by a continuous stream of generated pushes.
struct LiveFuturesBook {
    sync: FuturesBookSync,
    sink: MexcTally,
    out: Outbox,
    cycle: FrameCycle,
    now: Timestamp,
}

impl LiveFuturesBook {
    fn new() -> LiveFuturesBook {
        let now = now();
        let symbol = data::symbol("BTC_USDT");
        let config = BookSyncConfig {
            book_capacity: 4 * LEVELS,
            snapshot_depth: 100,
            ..BookSyncConfig::default()
        };
        let mut sync = FuturesBookSync::new(config, "https://contract.mexc.com", VENUE);
        let (mut out, mut sink) = (Outbox::new(), MexcTally::default());
        sync.track(symbol, now, &mut sink);
        let mut cycle = FrameCycle::new(depth_frames(), FIRST_ID);
        if let Ok(Frame::Depth(push)) = decode(cycle.next_frame()) {
            let _ = sync.on_depth(&push, now, &mut out, &mut sink);
        }
        let request = out.drain_rest().next().unwrap_or_else(|| panic!("no REST"));
        let response = RestResponse {
            id: request.id,
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: snapshot_body(cycle.last_id()).into(),
            }),
        };
        sync.on_rest_response(&response, now, &mut out, &mut sink);
        assert_eq!(sync.status(symbol), Some(BookStatus::Live));
        LiveFuturesBook {
            sync,
            sink,
            out,
            cycle,
            now,
        }
    }

    #[inline]
    fn step(&mut self) -> Option<()> {
        let Ok(Frame::Depth(push)) = decode(self.cycle.next_frame()) else {
            return None;
        };
        self.sync
            .on_depth(&push, self.now, &mut self.out, &mut self.sink)
            .ok()
    }
}

fn depth_apply() -> Operation {
    let mut live = LiveFuturesBook::new();
    for _ in 0..4 * VARIANTS {
        assert_eq!(live.step(), Some(()));
    }
    assert_eq!(live.sync.stats().resyncs, 0);
    assert!(live.sink.updates > 0);
    Box::new(move || {
        black_box(live.step());
    })
}

fn json_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Decimal::from_i64(i).ok(),
            None => Decimal::parse(&n.to_string()).ok(),
        },
        Value::String(s) => Decimal::parse(s).ok(),
        _ => None,
    }
}

fn value_levels(v: &Value) -> Option<Vec<Level>> {
    v.as_array()?
        .iter()
        .map(|l| {
            let l = l.as_array()?;
            Some(Level::new(
                Price::new(json_decimal(l.first()?)?),
                Quantity::new(json_decimal(l.get(1)?)?),
            ))
        })
        .collect()
}

/// A `push.depth` the straightforward way.
fn depth_push_value(frame: &[u8]) -> Option<BookPush> {
    let v: Value = serde_json::from_slice(frame).ok()?;
    if v.get("channel")?.as_str()? != "push.depth" {
        return None;
    }
    let d = v.get("data")?;
    let version = d.get("version")?.as_u64()?;
    Some(BookPush {
        symbol: Symbol::new(v.get("symbol")?.as_str()?).ok()?,
        first_id: d.get("begin").and_then(Value::as_u64).unwrap_or(version),
        last_id: version,
        full: false,
        time_ms: v.get("ts").and_then(Value::as_u64).unwrap_or(0),
        bids: value_levels(d.get("bids")?)?,
        asks: value_levels(d.get("asks")?)?,
    })
}

fn depth_apply_value() -> Operation {
    let side = |bid| {
        data::typed_side(LEVELS, 1, bid)
            .into_iter()
            .map(|(p, _)| Level::new(p, Quantity::parse("5").unwrap_or(Quantity::ZERO)))
            .collect::<Vec<_>>()
    };
    let symbol = data::symbol("BTC_USDT");
    let mut client = BookClient::new(symbol, 100, &side(true), &side(false), FIRST_ID);
    let mut cycle = FrameCycle::new(depth_frames(), FIRST_ID);
    Box::new(move || {
        let push = depth_push_value(cycle.next_frame());
        black_box(push.and_then(|p| client.apply(&p)));
    })
}

fn deal_ours(frame: &[u8]) -> Option<Trade> {
    let Frame::Deals(push) = decode(frame).ok()? else {
        return None;
    };
    let mut last = None;
    push.for_each(|d| last = Some(d.to_trade(VENUE, push.symbol)))
        .ok()?;
    last
}

/// A `push.deal` (object or array) the straightforward way.
fn deal_value_trades(frame: &[u8]) -> Option<Vec<Trade>> {
    let v: Value = serde_json::from_slice(frame).ok()?;
    if v.get("channel")?.as_str()? != "push.deal" {
        return None;
    }
    let symbol = Symbol::new(v.get("symbol")?.as_str()?).ok()?;
    let one = |d: &Value| {
        Some(Trade {
            venue: VENUE,
            symbol,
            trade_id: TradeId::from_u64(d.get("i").and_then(Value::as_u64).unwrap_or(0)),
            price: Price::new(json_decimal(d.get("p")?)?),
            quantity: Quantity::new(json_decimal(d.get("v")?)?),
            taker_side: match d.get("T")?.as_u64()? {
                1 => Some(Side::Buy),
                2 => Some(Side::Sell),
                _ => None,
            },
            exchange_time_ms: d.get("t")?.as_u64()?,
        })
    };
    match v.get("data")? {
        Value::Array(deals) => deals.iter().map(one).collect(),
        d => Some(vec![one(d)?]),
    }
}

fn deal() -> Operation {
    let frame = DEAL.as_bytes().to_vec();
    let ours = deal_ours(&frame);
    assert!(ours.is_some());
    assert_eq!(
        ours,
        deal_value_trades(&frame).and_then(|v| v.last().copied()),
        "ours and the baseline disagree"
    );
    Box::new(move || {
        black_box(deal_ours(black_box(&frame)));
    })
}

fn deal_value() -> Operation {
    let frame = DEAL.as_bytes().to_vec();
    Box::new(move || {
        black_box(deal_value_trades(black_box(&frame)));
    })
}

fn ticker_ours(frame: &[u8]) -> Option<Ticker> {
    let Frame::Ticker(push) = decode(frame).ok()? else {
        return None;
    };
    Some(push.ticker.to_ticker(VENUE, push.symbol))
}

/// A `push.ticker` the straightforward way.
fn ticker_value_parse(frame: &[u8]) -> Option<Ticker> {
    let v: Value = serde_json::from_slice(frame).ok()?;
    if v.get("channel")?.as_str()? != "push.ticker" {
        return None;
    }
    let d = v.get("data")?;
    let decimal = |key: &str| d.get(key).and_then(json_decimal);
    let price = |key: &str| decimal(key).map(Price::new);
    Some(Ticker {
        venue: VENUE,
        symbol: Symbol::new(v.get("symbol")?.as_str()?).ok()?,
        last: price("lastPrice"),
        best_bid: price("bid1"),
        best_ask: price("ask1"),
        high_24h: price("high24Price"),
        low_24h: price("lower24Price"),
        base_volume: decimal("volume24"),
        quote_volume: decimal("amount24"),
        change_percentage: decimal("riseFallRate")
            .and_then(|r| r.checked_mul(Decimal::from_i64(100).ok()?)),
        mark_price: price("fairPrice"),
        index_price: price("indexPrice"),
        funding_rate: decimal("fundingRate"),
        exchange_time_ms: d.get("timestamp").and_then(Value::as_u64).unwrap_or(0),
    })
}

fn ticker() -> Operation {
    let frame = TICKER.as_bytes().to_vec();
    let ours = ticker_ours(&frame);
    assert!(ours.is_some());
    assert_eq!(
        ours,
        ticker_value_parse(&frame),
        "ours and the baseline disagree"
    );
    Box::new(move || {
        black_box(ticker_ours(black_box(&frame)));
    })
}

fn ticker_value() -> Operation {
    let frame = TICKER.as_bytes().to_vec();
    Box::new(move || {
        black_box(ticker_value_parse(black_box(&frame)));
    })
}
