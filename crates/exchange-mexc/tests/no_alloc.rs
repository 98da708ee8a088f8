#![allow(unsafe_code, reason = "counting global allocator")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

//! The hot paths touch no heap: decoding an `aggre.depth` push and applying its 40 levels
//! (20 per side) to a live book, decoding and normalizing `aggre.deals` and
//! `aggre.bookTicker`, all allocate nothing once the book has its capacity.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::{at, depth_frame, snapshot_body, sym};
use exchange_mexc::{Body, BookSink, BookSync, BookSyncConfig, decode_push, pb, stream_kind};
use market_types::{BookStatus, BookStatusEvent, BookUpdate, OrderBook};
use prost::Message as _;
use ws_core::{FrameKind, Outbox, RestReply, RestResponse};

/// Counts allocations per thread, so the harness's other threads do not interfere.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the allocator can run while thread-locals are being torn down.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`; `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations_during(work: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    work();
    ALLOCATIONS.with(Cell::get) - before
}

/// Sums what it sees so the work cannot be optimized away; allocates nothing.
#[derive(Default)]
struct Tally {
    updates: u64,
    levels: u64,
    live: bool,
}

impl BookSink for Tally {
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        self.updates += 1;
        self.levels +=
            (book.depth(market_types::Side::Buy) + book.depth(market_types::Side::Sell)) as u64;
        self.levels += update.last_update_id & 1;
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.live = event.status == BookStatus::Live;
    }
}

/// Push `k`: all 20 bid and 20 ask prices, with quantities cycling through 0 (remove),
/// 1 and 2, so levels are removed, re-inserted and updated.
fn live_frame(k: u64) -> Vec<u8> {
    let quantity = ["0", "1.5", "2.25"][(k % 3) as usize];
    let bids: Vec<(String, &str)> = (0..20)
        .map(|i| (format!("{}.{:02}", 100 - i / 10, i), quantity))
        .collect();
    let asks: Vec<(String, &str)> = (0..20)
        .map(|i| (format!("{}.{:02}", 101 + i / 10, i), quantity))
        .collect();
    let bids: Vec<(&str, &str)> = bids.iter().map(|(p, q)| (p.as_str(), *q)).collect();
    let asks: Vec<(&str, &str)> = asks.iter().map(|(p, q)| (p.as_str(), *q)).collect();
    depth_frame("BTCUSDT", 1_000 + k, 1_000 + k, &bids, &asks)
}

#[test]
fn the_allocator_counts() {
    let n = allocations_during(|| {
        let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(16));
        std::hint::black_box(v);
    });
    assert!(n >= 1, "the counting allocator is not installed");
}

#[test]
fn depth_decode_and_apply_do_not_allocate() {
    let mut sync = BookSync::new(
        BookSyncConfig {
            book_capacity: 64,
            ..BookSyncConfig::default()
        },
        "https://api.mexc.com",
    );
    let mut sink = Tally::default();
    let mut out = Outbox::new();
    let now = at(0);
    sync.track(sym("BTCUSDT"), now, &mut sink);

    // Sync: one buffered push, then the snapshot (allocation is fine here).
    let first = live_frame(1);
    let push = decode_push(&first).unwrap();
    let Body::AggreDepths(depth) = push.body else {
        panic!("not depth")
    };
    sync.on_depth(&push.header, &depth, now, &mut out, &mut sink)
        .unwrap();
    let request = out.drain_rest().next().unwrap();
    let bids: Vec<(String, String)> = (0..20)
        .map(|i| (format!("{}.{:02}", 100 - i / 10, i), "1".to_string()))
        .collect();
    let asks: Vec<(String, String)> = (0..20)
        .map(|i| (format!("{}.{:02}", 101 + i / 10, i), "1".to_string()))
        .collect();
    let bid_refs: Vec<(&str, &str)> = bids.iter().map(|(p, q)| (p.as_str(), q.as_str())).collect();
    let ask_refs: Vec<(&str, &str)> = asks.iter().map(|(p, q)| (p.as_str(), q.as_str())).collect();
    let response = RestResponse {
        id: request.id,
        result: Ok(RestReply {
            status: 200,
            retry_after: None,
            body: snapshot_body(1_000, &bid_refs, &ask_refs).into(),
        }),
    };
    assert!(sync.on_rest_response(&response, now, &mut out, &mut sink));
    assert!(sink.live);

    // Frames are encoded before measuring; warm up with a few of them.
    let frames: Vec<Vec<u8>> = (2..200).map(live_frame).collect();
    let (warm, measured) = frames.split_at(6);
    let mut apply = |frame: &[u8], sink: &mut Tally| {
        let push = decode_push(frame).unwrap();
        let Body::AggreDepths(depth) = push.body else {
            panic!("not depth")
        };
        assert_eq!(depth.ask_count() + depth.bid_count(), 40);
        sync.on_depth(&push.header, &depth, now, &mut out, sink)
            .unwrap();
    };
    for frame in warm {
        apply(frame, &mut sink);
    }
    let before = sink.updates;
    let n = allocations_during(|| {
        for frame in measured {
            apply(frame, &mut sink);
            std::hint::black_box(stream_kind(FrameKind::Binary, frame));
        }
    });
    assert_eq!(n, 0, "decode + apply of aggre.depth allocated {n} times");
    assert_eq!(sink.updates - before, measured.len() as u64);
    assert!(sink.levels > 0);
    assert!(out.is_empty(), "a live book queues nothing");
    assert_eq!(sync.book(sym("BTCUSDT")).unwrap().update_id(), 1_199);
}

#[test]
fn deals_decode_and_normalize_without_allocating() {
    let deals: Vec<pb::PublicAggreDealsV3ApiItem> = (0..20)
        .map(|i| pb::PublicAggreDealsV3ApiItem {
            price: format!("9322{i}.05"),
            quantity: format!("0.0{i}1"),
            trade_type: 1 + (i % 2),
            time: 1_736_409_765_051 + i64::from(i),
            // Half carry the 2026 trade id, half get a synthesized one.
            trade_id: if i % 2 == 0 {
                format!("T{i}")
            } else {
                String::new()
            },
        })
        .collect();
    let frame = pb::PushDataV3ApiWrapper {
        channel: "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT".into(),
        symbol: Some("BTCUSDT".into()),
        send_time: Some(1_736_409_765_100),
        body: Some(pb::push_data_v3_api_wrapper::Body::PublicAggreDeals(
            pb::PublicAggreDealsV3Api {
                deals,
                event_type: "spot@public.aggre.deals.v3.api.pb@100ms".into(),
            },
        )),
        ..Default::default()
    }
    .encode_to_vec();

    let mut volume = market_types::Decimal::ZERO;
    let mut count = 0;
    let n = allocations_during(|| {
        for _ in 0..50 {
            let push = decode_push(&frame).unwrap();
            let symbol = push.header.symbol().unwrap();
            let Body::AggreDeals(deals) = push.body else {
                panic!("not deals")
            };
            for (index, deal) in deals.deals().enumerate() {
                let trade = deal.unwrap().to_trade(symbol, index).unwrap();
                volume = volume.checked_add(trade.quantity.value()).unwrap();
                count += 1;
                std::hint::black_box(trade);
            }
        }
    });
    assert_eq!(n, 0, "aggre.deals allocated {n} times");
    assert_eq!(count, 1_000);
    assert!(volume.is_positive());
}

#[test]
fn book_ticker_decodes_without_allocating() {
    let frame = common::vector("aggre_book_ticker_2025doc").wire;
    let mut bids = market_types::Decimal::ZERO;
    let n = allocations_during(|| {
        for _ in 0..100 {
            let push = decode_push(&frame).unwrap();
            let Body::AggreBookTicker(body) = push.body else {
                panic!("not a ticker")
            };
            let ticker =
                body.to_book_ticker(push.header.symbol().unwrap(), push.header.event_time_ms());
            bids = bids
                .checked_add(ticker.bid.unwrap().quantity.value())
                .unwrap();
            std::hint::black_box(ticker);
        }
    });
    assert_eq!(n, 0, "aggre.bookTicker allocated {n} times");
    assert!(bids.is_positive());
}
