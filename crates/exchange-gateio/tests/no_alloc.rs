//! The hot paths allocate nothing in steady state: parse + apply of an
//! `order_book_update`, a book ticker, a trade.
#![allow(unsafe_code, reason = "counting global allocator")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use exchange_gateio::{
    BookDepth, BookSink, BookSync, BookSyncConfig, Endpoints, Market, Message, UpdateOutcome,
    parse_frame,
};
use market_types::{BookStatus, BookStatusEvent, BookUpdate, OrderBook, Side, Symbol};
use ws_core::{Outbox, RestReply, RestResponse, Timestamp};

/// Counts allocations of the current thread only, so tests running in parallel do not
/// disturb each other.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with` fails only while the thread is being torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every method forwards to the system allocator with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Sink {
    updates: u64,
    best_bid_sum: i64,
}

impl BookSink for Sink {
    fn book_updated(&mut self, book: &OrderBook, _update: &BookUpdate) {
        self.updates += 1;
        self.best_bid_sum += book.best_bid().map_or(0, |l| l.price.value().mantissa());
    }

    fn status_changed(&mut self, _event: BookStatusEvent) {}
}

/// A 20-level-per-side push with ids `first..=first`, prices moving with `k`.
fn book_frame(first: u64, k: u64) -> String {
    let mut bids = Vec::new();
    let mut asks = Vec::new();
    for i in 0..20u64 {
        let j = (i + k) % 20;
        let size = |salt: u64| format!("{}.{:04}", j % 3, (j * salt + k) % 10_000 + 1);
        bids.push(format!(
            r#"["{}.{:02}","{}"]"#,
            19137 - j,
            (j * 7) % 100,
            size(131)
        ));
        asks.push(format!(
            r#"["{}.{:02}","{}"]"#,
            19140 + j,
            (j * 7) % 100,
            size(171)
        ));
    }
    format!(
        r#"{{"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{{"t":1606294781123,"l":"20","e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":{first},"u":{first},"b":[{}],"a":[{}]}}}}"#,
        bids.join(","),
        asks.join(",")
    )
}

#[test]
fn order_book_update_parse_and_apply_does_not_allocate() {
    let now = Timestamp::new(Instant::now(), 1_700_000_000_000_000_000);
    let btc = Symbol::new("BTC_USDT").unwrap();
    let config = BookSyncConfig::new(
        Market::Spot,
        &Endpoints::live(Market::Spot),
        BookDepth::Levels20,
    )
    .unwrap();
    let mut sync = BookSync::new(config);
    let mut out = Outbox::new();
    let mut sink = Sink {
        updates: 0,
        best_bid_sum: 0,
    };
    sync.track(btc, &mut sink);
    sync.on_subscribed(btc, now, &mut out, &mut sink);
    let request = out.drain_rest().next().unwrap();
    let body = br#"{"id":1000,"asks":[["19200","1"]],"bids":[["19000","1"]]}"#;
    let reply = RestReply {
        status: 200,
        retry_after: None,
        body: body.to_vec().into(),
    };
    let response = RestResponse {
        id: request.id,
        result: Ok(reply),
    };
    sync.on_rest_response(&response, now, &mut out, &mut sink);
    // Nothing buffered checked the snapshot: the first push, continuing it, does.
    assert_eq!(sync.status(btc), Some(BookStatus::Syncing));
    assert_eq!(sink.updates, 0);

    let frames: Vec<String> = (0..600).map(|i| book_frame(1001 + i, i)).collect();
    let (warm_up, measured) = frames.split_at(100);
    for frame in warm_up {
        let outcome = sync.on_frame(frame.as_bytes(), now, &mut out, &mut sink);
        assert_eq!(outcome.unwrap(), Some(UpdateOutcome::Applied));
    }
    assert_eq!(sync.status(btc), Some(BookStatus::Live));
    let (fast, parsed) = measured.split_at(250);

    let before = allocations();
    for frame in fast {
        let outcome = sync.on_frame(frame.as_bytes(), now, &mut out, &mut sink);
        assert!(matches!(outcome, Ok(Some(UpdateOutcome::Applied))));
    }
    assert_eq!(allocations() - before, 0, "single-pass path allocated");

    let before = allocations();
    for frame in parsed {
        let Ok(Message::OrderBookUpdate(update)) = parse_frame(frame.as_bytes()) else {
            panic!("not a book update");
        };
        let outcome = sync.on_update(&update, now, &mut out, &mut sink);
        assert!(outcome == UpdateOutcome::Applied);
    }
    assert_eq!(
        allocations() - before,
        0,
        "parse_frame + on_update allocated"
    );

    // The first push is reported with the snapshot it verified.
    assert_eq!(sink.updates, 600, "snapshot and first push + 599 pushes");
    assert_eq!(sync.book(btc).unwrap().depth(Side::Buy), 20);
    assert!(out.is_empty());
}

#[test]
fn book_ticker_and_trades_do_not_allocate() {
    let spot_ticker = br#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#;
    let futures_ticker = br#"{"time":1615366379,"time_ms":1615366379123,"channel":"futures.book_ticker","event":"update","result":{"t":1615366379123,"u":2517661076,"s":"BTC_USD","b":"54696.6","B":37000,"a":"54696.7","A":47061}}"#;
    let spot_trade = br#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"id_market":2390902,"create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT","amount":"16.4700000000","price":"0.4705000000","range":"2390902-2390902","id_market":5736713}}"#;
    let futures_trades = br#"{"channel":"futures.trades","event":"update","time":1541503698,"time_ms":1541503698123,"result":[{"size":-108,"id":27753479,"create_time":1545136464,"create_time_ms":1545136464123,"price":"96.4","contract":"BTC_USD","is_internal":true}]}"#;

    // The counter works: a heap allocation on this thread is seen.
    let before = allocations();
    let boxed = std::hint::black_box(Box::new(7u64));
    assert_eq!(allocations() - before, 1);
    drop(boxed);

    let mut checksum = 0u64;
    let before = allocations();
    for _ in 0..500 {
        for frame in [&spot_ticker[..], futures_ticker] {
            let Ok(Message::BookTicker(ticker)) = parse_frame(frame) else {
                panic!("not a book ticker");
            };
            checksum += ticker.update_id.unwrap_or(0);
        }
        let Ok(Message::Trade(trade)) = parse_frame(spot_trade) else {
            panic!("not a trade");
        };
        checksum += trade.trade.exchange_time_ms;
        let Ok(Message::Trades(trades)) = parse_frame(futures_trades) else {
            panic!("not trades");
        };
        for trade in trades {
            checksum += trade.unwrap().trade.exchange_time_ms;
        }
    }
    assert_eq!(allocations() - before, 0);
    assert!(checksum > 0);
}
