#![allow(unsafe_code, reason = "counting global allocator")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

//! The futures hot paths touch no heap: decoding a `push.depth` of 20 levels per side and
//! applying it to a live book, decoding a `push.deal` (object and array) into trades and a
//! `push.ticker` into a ticker, all allocate nothing once the book has its capacity.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use exchange_mexc::BookSyncConfig;
use exchange_mexc::futures::{BookSink, Frame, FuturesBookSync, decode};
use market_types::{BookStatus, BookStatusEvent, BookUpdate, OrderBook, Symbol, Venue};
use ws_core::{Outbox, RestReply, RestResponse, Timestamp};

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
    live: bool,
}

impl BookSink for Tally {
    fn book_updated(&mut self, book: &OrderBook, _update: &BookUpdate) {
        self.updates += book.bids().count() as u64;
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.live = event.status == BookStatus::Live;
    }
}

fn side(variant: u64, bid: bool) -> String {
    (0..20u64)
        .map(|i| {
            let price = if bid { 190_000 - i } else { 190_001 + i };
            let size = if (i + variant) % 7 == 3 {
                0
            } else {
                i * 13 + variant + 1
            };
            format!(
                "[{}.{},{size},{}]",
                price / 10,
                price % 10,
                u8::from(size > 0)
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Every price the pushes use, five contracts each.
fn snapshot_side(bid: bool) -> String {
    (0..20u64)
        .map(|i| {
            let price = if bid { 190_000 - i } else { 190_001 + i };
            format!("[{}.{},5,1]", price / 10, price % 10)
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn depth(version: u64) -> String {
    format!(
        r#"{{"channel":"push.depth","data":{{"asks":[{}],"bids":[{}],"version":{version}}},"symbol":"BTC_USDT","ts":1587442022003}}"#,
        side(version, false),
        side(version, true)
    )
}

#[test]
fn depth_decode_and_apply_allocate_nothing() {
    let now = Timestamp::new(Instant::now(), 1_778_000_000_000_000_000);
    let btc = Symbol::new("BTC_USDT").unwrap();
    let config = BookSyncConfig {
        book_capacity: 128,
        snapshot_depth: 100,
        ..BookSyncConfig::default()
    };
    let mut sync = FuturesBookSync::new(config, "https://contract.mexc.com", Venue::MexcFutures);
    let (mut out, mut sink) = (Outbox::new(), Tally::default());
    sync.track(btc, now, &mut sink);
    let first = depth(100);
    let Frame::Depth(push) = decode(first.as_bytes()).unwrap() else {
        panic!("not depth")
    };
    sync.on_depth(&push, now, &mut out, &mut sink).unwrap();
    let request = out.drain_rest().next().unwrap();
    let body = format!(
        r#"{{"success":true,"code":0,"data":{{"asks":[{}],"bids":[{}],"version":100,"timestamp":1}}}}"#,
        snapshot_side(false),
        snapshot_side(true)
    );
    let response = RestResponse {
        id: request.id,
        result: Ok(RestReply {
            status: 200,
            retry_after: None,
            body: body.into(),
        }),
    };
    sync.on_rest_response(&response, now, &mut out, &mut sink);
    assert!(sink.live);
    let frames: Vec<String> = (101..165).map(depth).collect();
    // Warm-up: the book grows to its working size.
    let mut next = frames.iter();
    for frame in next.by_ref().take(32) {
        let Frame::Depth(push) = decode(frame.as_bytes()).unwrap() else {
            panic!("not depth")
        };
        sync.on_depth(&push, now, &mut out, &mut sink).unwrap();
    }
    let allocations = allocations_during(|| {
        for frame in next {
            let Ok(Frame::Depth(push)) = decode(frame.as_bytes()) else {
                panic!("not depth")
            };
            sync.on_depth(&push, now, &mut out, &mut sink).unwrap();
        }
    });
    assert_eq!(allocations, 0);
    assert!(sink.updates > 0);
    assert_eq!(sync.book(btc).unwrap().update_id(), 164);
}

#[test]
fn deals_and_ticker_allocate_nothing() {
    let deal = br#"{"channel":"push.deal","data":{"M":1,"O":1,"T":1,"p":6866.5,"t":1587442049632,"v":2096},"symbol":"BTC_USDT","ts":1587442022003}"#;
    let deals = br#"{"symbol":"BTC_USDT","data":[{"p":80489,"v":11,"T":1,"O":3,"M":1,"t":1789897547210,"i":"16270106116"},{"p":80488.5,"v":2,"T":2,"O":3,"M":2,"t":1789897547211}],"channel":"push.deal","ts":1789897547215}"#;
    let ticker = br#"{"channel":"push.ticker","data":{"ask1":6866.5,"bid1":6865,"contractId":1,"fairPrice":6867.4,"fundingRate":0.0008,"high24Price":7223.5,"indexPrice":6861.6,"lastPrice":6865.5,"lower24Price":6756,"riseFallRate":-0.0424,"symbol":"BTC_USDT","timestamp":1587442022003,"holdVol":2284742,"volume24":164586129},"symbol":"BTC_USDT","ts":1587442022003}"#;
    let mut seen = 0u64;
    let allocations = allocations_during(|| {
        for frame in [&deal[..], &deals[..]] {
            let Ok(Frame::Deals(push)) = decode(frame) else {
                panic!("not deal")
            };
            push.for_each(|d| {
                let trade = d.to_trade(Venue::MexcFutures, push.symbol);
                seen += trade.exchange_time_ms % 7;
            })
            .unwrap();
        }
        let Ok(Frame::Ticker(push)) = decode(ticker) else {
            panic!("not ticker")
        };
        let ticker = push.ticker.to_ticker(Venue::MexcFutures, push.symbol);
        seen += u64::from(ticker.funding_rate.is_some());
    });
    assert_eq!(allocations, 0);
    assert!(seen > 0);
}
