//! Gate.io hot paths (`exchange-gateio`), each next to its `serde_json::Value` baseline
//! (and, for a 20-level book, a trade and a book ticker, a simd-json one).
//!
//! Book pushes: "decode" is frame bytes → typed push with every level decoded to fixed
//! point (no book); "apply" is frame bytes → applied to a live local book through
//! [`BookSync::on_frame`], the one-pass path a session uses. The apply streams have
//! continuous ids (rewritten in place, see [`FrameCycle`]), so the book never resyncs.

use std::hint::black_box;
use std::time::Instant;

use exchange_gateio::{
    BookDepth, BookSink, BookSync, BookSyncConfig, Channel, Credentials, Endpoints, Market,
    Message, UpdateOutcome, parse_frame, peek_channel, subscription_signature,
};
use market_types::{BookStatus, BookStatusEvent, BookTicker, BookUpdate, OrderBook, Trade};
use serde_json::Value;
use ws_core::{Outbox, RestReply, RestResponse, Timestamp};

use crate::baseline::{self, BookClient};
use crate::baseline_simd::SimdClient;
use crate::data::{self, FIRST_ID, FrameCycle};
use crate::{Kind, Operation, Workload};

pub(crate) fn workloads() -> Vec<Workload> {
    vec![
        Workload::new(
            "gateio_detect",
            "peek_channel: the channel of a spot.book_ticker frame, nothing else decoded",
            Kind::Detection,
            detect,
        )
        .baseline("gateio_detect_value")
        .alloc_free(),
        Workload::new(
            "gateio_detect_value",
            "baseline: serde_json Value of the frame, then its channel",
            Kind::Baseline,
            detect_value,
        ),
        Workload::new(
            "gateio_spot_book20_decode",
            "spot.order_book_update, 20 levels/side (1.1 KB): parse_frame + every level to fixed point",
            Kind::OrderBook,
            || book_decode(Market::Spot, 20),
        )
        .baseline("gateio_spot_book20_decode_value")
        .alloc_free(),
        Workload::new(
            "gateio_spot_book20_decode_value",
            "baseline: Value, then a push with Vec<Level> per side",
            Kind::Baseline,
            || book_decode_value(Market::Spot, 20),
        ),
        Workload::new(
            "gateio_spot_book20_decode_simd",
            "baseline: simd-json BorrowedValue (buffers reused), then a push with Vec<Level> per side",
            Kind::Baseline,
            || book_decode_simd(Market::Spot, 20),
        ),
        Workload::new(
            "gateio_spot_book20_apply",
            "spot.order_book_update, 20 levels/side: BookSync::on_frame into a live 20-level book",
            Kind::OrderBook,
            || book_apply(Market::Spot, BookDepth::Levels20),
        )
        .baseline("gateio_spot_book20_apply_value")
        .target_ns(1_500.0)
        .alloc_free(),
        Workload::new(
            "gateio_spot_book20_apply_value",
            "baseline: Value, Vec<Level> push, then applied to the same OrderBook",
            Kind::Baseline,
            || book_apply_value(Market::Spot, 20),
        ),
        Workload::new(
            "gateio_spot_book100_decode",
            "spot.order_book_update, 100 levels/side (5.3 KB): parse_frame + every level",
            Kind::OrderBook,
            || book_decode(Market::Spot, 100),
        )
        .baseline("gateio_spot_book100_decode_value")
        .alloc_free(),
        Workload::new(
            "gateio_spot_book100_decode_value",
            "baseline: Value, then a push with Vec<Level> per side",
            Kind::Baseline,
            || book_decode_value(Market::Spot, 100),
        ),
        Workload::new(
            "gateio_spot_book100_apply",
            "spot.order_book_update, 100 levels/side: BookSync::on_frame into a live 100-level book",
            Kind::OrderBook,
            || book_apply(Market::Spot, BookDepth::Levels100),
        )
        .baseline("gateio_spot_book100_apply_value")
        .alloc_free(),
        Workload::new(
            "gateio_spot_book100_apply_value",
            "baseline: Value, Vec<Level> push, then applied to the same OrderBook",
            Kind::Baseline,
            || book_apply_value(Market::Spot, 100),
        ),
        Workload::new(
            "gateio_futures_book20_decode",
            "futures.order_book_update, 20 levels/side ({p,s} objects): parse_frame + every level",
            Kind::OrderBook,
            || book_decode(Market::Futures, 20),
        )
        .baseline("gateio_futures_book20_decode_value")
        .alloc_free(),
        Workload::new(
            "gateio_futures_book20_decode_value",
            "baseline: Value, then a push with Vec<Level> per side",
            Kind::Baseline,
            || book_decode_value(Market::Futures, 20),
        ),
        Workload::new(
            "gateio_futures_book20_apply",
            "futures.order_book_update, 20 levels/side: BookSync::on_frame into a live book",
            Kind::OrderBook,
            || book_apply(Market::Futures, BookDepth::Levels20),
        )
        .baseline("gateio_futures_book20_apply_value")
        .target_ns(1_500.0)
        .alloc_free(),
        Workload::new(
            "gateio_futures_book20_apply_value",
            "baseline: Value, Vec<Level> push, then applied to the same OrderBook",
            Kind::Baseline,
            || book_apply_value(Market::Futures, 20),
        ),
        Workload::new(
            "gateio_futures_book100_decode",
            "futures.order_book_update, 100 levels/side: parse_frame + every level",
            Kind::OrderBook,
            || book_decode(Market::Futures, 100),
        )
        .baseline("gateio_futures_book100_decode_value")
        .alloc_free(),
        Workload::new(
            "gateio_futures_book100_decode_value",
            "baseline: Value, then a push with Vec<Level> per side",
            Kind::Baseline,
            || book_decode_value(Market::Futures, 100),
        ),
        Workload::new(
            "gateio_futures_book100_apply",
            "futures.order_book_update, 100 levels/side: BookSync::on_frame into a live book",
            Kind::OrderBook,
            || book_apply(Market::Futures, BookDepth::Levels100),
        )
        .baseline("gateio_futures_book100_apply_value")
        .alloc_free(),
        Workload::new(
            "gateio_futures_book100_apply_value",
            "baseline: Value, Vec<Level> push, then applied to the same OrderBook",
            Kind::Baseline,
            || book_apply_value(Market::Futures, 100),
        ),
        Workload::new(
            "gateio_spot_trade",
            "spot.trades push (doc example) to a Trade",
            Kind::Trade,
            spot_trade,
        )
        .baseline("gateio_spot_trade_value")
        .target_ns(300.0)
        .alloc_free(),
        Workload::new(
            "gateio_spot_trade_value",
            "baseline: Value, then a Trade",
            Kind::Baseline,
            spot_trade_value,
        ),
        Workload::new(
            "gateio_futures_trades",
            "futures.trades push (doc example, one trade) to Trades",
            Kind::Trade,
            futures_trades,
        )
        .baseline("gateio_futures_trades_value")
        .target_ns(300.0)
        .alloc_free(),
        Workload::new(
            "gateio_futures_trades_value",
            "baseline: Value, then a Vec<Trade>",
            Kind::Baseline,
            futures_trades_value,
        ),
        Workload::new(
            "gateio_spot_book_ticker",
            "spot.book_ticker push (doc example) to a BookTicker",
            Kind::Ticker,
            || book_ticker(data::GATEIO_SPOT_BOOK_TICKER),
        )
        .baseline("gateio_spot_book_ticker_value")
        .target_ns(200.0)
        .alloc_free(),
        Workload::new(
            "gateio_spot_book_ticker_value",
            "baseline: Value, then a BookTicker",
            Kind::Baseline,
            || book_ticker_value(data::GATEIO_SPOT_BOOK_TICKER),
        ),
        Workload::new(
            "gateio_futures_book_ticker",
            "futures.book_ticker push (doc example, integer sizes) to a BookTicker",
            Kind::Ticker,
            || book_ticker(data::GATEIO_FUTURES_BOOK_TICKER),
        )
        .baseline("gateio_futures_book_ticker_value")
        .target_ns(200.0)
        .alloc_free(),
        Workload::new(
            "gateio_futures_book_ticker_value",
            "baseline: Value, then a BookTicker",
            Kind::Baseline,
            || book_ticker_value(data::GATEIO_FUTURES_BOOK_TICKER),
        ),
        Workload::new(
            "gateio_spot_trade_simd",
            "baseline: simd-json BorrowedValue of a spot.trades push, then a Trade",
            Kind::Baseline,
            spot_trade_simd,
        ),
        Workload::new(
            "gateio_spot_book_ticker_simd",
            "baseline: simd-json BorrowedValue of a spot.book_ticker push, then a BookTicker",
            Kind::Baseline,
            || book_ticker_simd(data::GATEIO_SPOT_BOOK_TICKER),
        ),
        Workload::new(
            "gateio_sign_subscription",
            "HMAC-SHA512 SIGN of a private subscription (channel=..&event=..&time=..), hex",
            Kind::Other,
            sign_subscription,
        ),
    ]
}

/// Distinct level sets per book stream (a power of two, see the crate docs).
const VARIANTS: usize = 16;

fn now() -> Timestamp {
    Timestamp::new(Instant::now(), 1_700_000_000_000_000_000)
}

fn detect() -> Operation {
    let frame = data::minify(data::GATEIO_SPOT_BOOK_TICKER);
    assert_eq!(peek_channel(&frame), Some(Channel::SpotBookTicker));
    Box::new(move || {
        black_box(peek_channel(black_box(&frame)));
    })
}

fn detect_value() -> Operation {
    let frame = data::minify(data::GATEIO_SPOT_BOOK_TICKER);
    let detect = |frame: &[u8]| {
        let v: Value = serde_json::from_slice(frame).ok()?;
        Channel::from_wire(v.get("channel")?.as_str()?.as_bytes())
    };
    assert_eq!(detect(&frame), Some(Channel::SpotBookTicker));
    Box::new(move || {
        black_box(detect(black_box(&frame)));
    })
}

/// The generated push of `market` with `levels` per side, level set `variant`.
pub fn book_frame(market: Market, levels: usize, variant: usize) -> Vec<u8> {
    match market {
        Market::Spot => data::gateio_spot_book_frame(levels, variant),
        Market::Futures => data::gateio_futures_book_frame(levels, variant),
    }
}

/// Decodes a push with our parser: `(last id, level count, sum of price and size
/// mantissas)`, so ours and the baseline can be checked against each other.
pub fn decode_ours(frame: &[u8]) -> Option<(u64, usize, i64)> {
    let Ok(Message::OrderBookUpdate(update)) = parse_frame(frame) else {
        return None;
    };
    let (mut count, mut sum) = (0usize, 0i64);
    for level in update.bids.iter().chain(update.asks.iter()) {
        let (price, size) = level.ok()?;
        count += 1;
        sum = sum
            .wrapping_add(price.value().mantissa())
            .wrapping_add(size.value().mantissa());
    }
    Some((update.last_update_id, count, sum))
}

/// The same summary from the baseline's push.
pub fn decode_value(frame: &[u8]) -> Option<(u64, usize, i64)> {
    let push = baseline::gateio_book_push(frame)?;
    let sum = push.bids.iter().chain(&push.asks).fold(0i64, |s, l| {
        s.wrapping_add(l.price.value().mantissa())
            .wrapping_add(l.quantity.value().mantissa())
    });
    Some((push.last_id, push.bids.len() + push.asks.len(), sum))
}

fn frames(market: Market, levels: usize) -> Vec<Vec<u8>> {
    (0..VARIANTS)
        .map(|v| book_frame(market, levels, v))
        .collect()
}

fn book_decode(market: Market, levels: usize) -> Operation {
    let frames = frames(market, levels);
    for frame in &frames {
        let ours = decode_ours(frame);
        assert!(ours.is_some_and(|(_, n, _)| n == 2 * levels));
        assert_eq!(ours, decode_value(frame), "ours and the baseline disagree");
    }
    let mut i = 0;
    Box::new(move || {
        i = (i + 1) & (VARIANTS - 1);
        black_box(decode_ours(black_box(&frames[i])));
    })
}

fn book_decode_value(market: Market, levels: usize) -> Operation {
    let frames = frames(market, levels);
    let mut i = 0;
    Box::new(move || {
        i = (i + 1) & (VARIANTS - 1);
        black_box(baseline::gateio_book_push(black_box(&frames[i])));
    })
}

fn book_decode_simd(market: Market, levels: usize) -> Operation {
    let frames = frames(market, levels);
    let mut client = SimdClient::default();
    for frame in &frames {
        assert_eq!(
            client.gateio_book_push(frame),
            baseline::gateio_book_push(frame),
            "simd-json and serde_json baselines disagree"
        );
    }
    let mut i = 0;
    Box::new(move || {
        i = (i + 1) & (VARIANTS - 1);
        black_box(client.gateio_book_push(black_box(&frames[i])));
    })
}

/// Counts what book sync reports; allocates nothing.
#[derive(Debug, Default)]
pub struct Tally {
    /// Applied updates.
    pub updates: u64,
    /// Sum of best-bid mantissas seen, so nothing is optimised away.
    pub best_bid_sum: i64,
    /// The last status reported.
    pub status: Option<BookStatus>,
}

impl BookSink for Tally {
    fn book_updated(&mut self, book: &OrderBook, _update: &BookUpdate) {
        self.updates += 1;
        self.best_bid_sum = self
            .best_bid_sum
            .wrapping_add(book.best_bid().map_or(0, |l| l.price.value().mantissa()));
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.status = Some(event.status);
    }
}

/// A live book fed by a continuous stream of generated pushes through the hot path.
#[derive(Debug)]
pub struct LiveGateBook {
    /// The sync holding the book.
    pub sync: BookSync,
    /// What it reported.
    pub sink: Tally,
    out: Outbox,
    cycle: FrameCycle,
    now: Timestamp,
}

impl LiveGateBook {
    /// A book of `depth` levels, live from a snapshot at [`FIRST_ID`].
    pub fn new(market: Market, depth: BookDepth) -> LiveGateBook {
        let levels = depth.levels() as usize;
        let symbol = data::symbol("BTC_USDT");
        let now = now();
        let config = BookSyncConfig::new(market, &Endpoints::live(market), depth)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut sync = BookSync::new(config);
        let (mut out, mut sink) = (Outbox::new(), Tally::default());
        sync.track(symbol, &mut sink);
        sync.on_subscribed(symbol, now, &mut out, &mut sink);
        let request = out.drain_rest().next().unwrap_or_else(|| panic!("no REST"));
        let body = data::gateio_snapshot_body(levels, FIRST_ID, market == Market::Futures);
        let response = RestResponse {
            id: request.id,
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: body.into(),
            }),
        };
        sync.on_rest_response(&response, now, &mut out, &mut sink);
        // Nothing buffered checked the snapshot: the first push, continuing it, does.
        assert_eq!(sync.status(symbol), Some(BookStatus::Syncing));
        let mut live = LiveGateBook {
            sync,
            sink,
            out,
            cycle: FrameCycle::new(frames(market, levels), FIRST_ID),
            now,
        };
        assert_eq!(live.step(), Some(UpdateOutcome::Applied));
        assert_eq!(live.sync.status(symbol), Some(BookStatus::Live));
        live
    }

    /// Applies the next push.
    #[inline]
    pub fn step(&mut self) -> Option<UpdateOutcome> {
        let frame = self.cycle.next_frame();
        self.sync
            .on_frame(frame, self.now, &mut self.out, &mut self.sink)
            .ok()
            .flatten()
    }
}

fn book_apply(market: Market, depth: BookDepth) -> Operation {
    let mut live = LiveGateBook::new(market, depth);
    for _ in 0..4 * VARIANTS {
        assert_eq!(live.step(), Some(UpdateOutcome::Applied));
    }
    assert_eq!(live.sync.stats().resyncs, 0);
    Box::new(move || {
        black_box(live.step());
    })
}

/// The baseline client's book fed by the same stream.
#[derive(Debug)]
pub struct LiveValueBook {
    /// The book.
    pub client: BookClient,
    cycle: FrameCycle,
}

impl LiveValueBook {
    /// Loaded from the same snapshot as [`LiveGateBook`].
    pub fn new(market: Market, levels: usize) -> LiveValueBook {
        let side = |bid| {
            data::typed_side(levels, 1, bid)
                .into_iter()
                .map(|(p, _)| {
                    let q = if market == Market::Futures { "5" } else { "1" };
                    market_types::Level::new(
                        p,
                        market_types::Quantity::parse(q).unwrap_or(market_types::Quantity::ZERO),
                    )
                })
                .collect::<Vec<_>>()
        };
        LiveValueBook {
            client: BookClient::new(
                data::symbol("BTC_USDT"),
                levels,
                &side(true),
                &side(false),
                FIRST_ID,
            ),
            cycle: FrameCycle::new(frames(market, levels), FIRST_ID),
        }
    }

    /// Decodes and applies the next push.
    #[inline]
    pub fn step(&mut self) -> Option<()> {
        let frame = self.cycle.next_frame();
        let push = baseline::gateio_book_push(frame)?;
        self.client.apply(&push)
    }
}

fn book_apply_value(market: Market, levels: usize) -> Operation {
    let mut live = LiveValueBook::new(market, levels);
    for _ in 0..4 * VARIANTS {
        assert_eq!(live.step(), Some(()));
    }
    Box::new(move || {
        black_box(live.step());
    })
}

fn trade_ours(frame: &[u8]) -> Option<Trade> {
    match parse_frame(frame) {
        Ok(Message::Trade(t)) => Some(t.trade),
        _ => None,
    }
}

fn spot_trade() -> Operation {
    let frame = data::minify(data::GATEIO_SPOT_TRADE);
    let ours = trade_ours(&frame);
    assert!(ours.is_some());
    assert_eq!(ours, baseline::gateio_spot_trade(&frame));
    Box::new(move || {
        black_box(trade_ours(black_box(&frame)));
    })
}

fn spot_trade_value() -> Operation {
    let frame = data::minify(data::GATEIO_SPOT_TRADE);
    Box::new(move || {
        black_box(baseline::gateio_spot_trade(black_box(&frame)));
    })
}

/// Every trade of a `futures.trades` push, folded so nothing is collected.
fn futures_trades_ours(frame: &[u8]) -> Option<(usize, Trade)> {
    let Ok(Message::Trades(items)) = parse_frame(frame) else {
        return None;
    };
    let mut last = None;
    let mut count = 0;
    for item in items {
        last = Some(item.ok()?.trade);
        count += 1;
    }
    Some((count, last?))
}

fn futures_trades() -> Operation {
    let frame = data::minify(data::GATEIO_FUTURES_TRADES);
    let ours = futures_trades_ours(&frame);
    let value = baseline::gateio_futures_trades(&frame);
    assert_eq!(
        ours,
        value.and_then(|v| Some((v.len(), *v.last()?))),
        "ours and the baseline disagree"
    );
    Box::new(move || {
        black_box(futures_trades_ours(black_box(&frame)));
    })
}

fn futures_trades_value() -> Operation {
    let frame = data::minify(data::GATEIO_FUTURES_TRADES);
    Box::new(move || {
        black_box(baseline::gateio_futures_trades(black_box(&frame)));
    })
}

fn ticker_ours(frame: &[u8]) -> Option<BookTicker> {
    match parse_frame(frame) {
        Ok(Message::BookTicker(t)) => Some(t),
        _ => None,
    }
}

fn book_ticker(doc: &'static str) -> Operation {
    let frame = data::minify(doc);
    let ours = ticker_ours(&frame);
    assert!(ours.is_some());
    assert_eq!(ours, baseline::gateio_book_ticker(&frame));
    Box::new(move || {
        black_box(ticker_ours(black_box(&frame)));
    })
}

fn book_ticker_value(doc: &'static str) -> Operation {
    let frame = data::minify(doc);
    Box::new(move || {
        black_box(baseline::gateio_book_ticker(black_box(&frame)));
    })
}

fn spot_trade_simd() -> Operation {
    let frame = data::minify(data::GATEIO_SPOT_TRADE);
    let mut client = SimdClient::default();
    let expected = baseline::gateio_spot_trade(&frame);
    assert!(expected.is_some());
    assert_eq!(client.gateio_spot_trade(&frame), expected);
    Box::new(move || {
        black_box(client.gateio_spot_trade(black_box(&frame)));
    })
}

fn book_ticker_simd(doc: &'static str) -> Operation {
    let frame = data::minify(doc);
    let mut client = SimdClient::default();
    let expected = baseline::gateio_book_ticker(&frame);
    assert!(expected.is_some());
    assert_eq!(client.gateio_book_ticker(&frame), expected);
    Box::new(move || {
        black_box(client.gateio_book_ticker(black_box(&frame)));
    })
}

fn sign_subscription() -> Operation {
    // A made-up key pair: signing cost does not depend on the secret's value.
    let credentials = Credentials::new("bench-key", "bench-secret-0123456789abcdef0123456789");
    Box::new(move || {
        black_box(subscription_signature(
            &credentials,
            black_box("spot.orders"),
            "subscribe",
            black_box(1_700_000_000),
        ));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_book_frames_are_the_documented_size() {
        // The field lessons quote 1.1 KB for a 20-level spot push.
        let len = book_frame(Market::Spot, 20, 0).len();
        assert!((1_000..1_250).contains(&len), "{len} bytes");
    }

    #[test]
    fn ours_and_the_baseline_keep_the_same_book() {
        for (market, depth) in [
            (Market::Spot, BookDepth::Levels20),
            (Market::Spot, BookDepth::Levels100),
            (Market::Futures, BookDepth::Levels20),
            (Market::Futures, BookDepth::Levels100),
        ] {
            let mut ours = LiveGateBook::new(market, depth);
            let mut value = LiveValueBook::new(market, depth.levels() as usize);
            // Ours applied the first push already: it verified the snapshot.
            assert_eq!(value.step(), Some(()));
            for _ in 0..100 {
                assert_eq!(ours.step(), Some(UpdateOutcome::Applied));
                assert_eq!(value.step(), Some(()));
            }
            let symbol = data::symbol("BTC_USDT");
            let book = ours.sync.book(symbol).unwrap_or_else(|| panic!("no book"));
            let theirs = value.client.book();
            assert_eq!(book.update_id(), theirs.update_id());
            assert!(book.bids().eq(theirs.bids()), "{market:?} bids differ");
            assert!(book.asks().eq(theirs.asks()), "{market:?} asks differ");
            assert!(book.depth(market_types::Side::Buy) > 0);
        }
    }
}
