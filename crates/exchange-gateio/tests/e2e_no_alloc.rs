//! The composed handlers' whole per-message path — `Session::on_frame` through the
//! `BaseMessageHandler` template, routing, the one-pass book sync and the user's
//! callbacks — allocates nothing in steady state. Driven with scripted frames built
//! before measuring (no socket: the driver's own buffers are not what is measured).
#![allow(unsafe_code, reason = "counting global allocator")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use exchange_gateio::{
    BookDepth, Credentials, Endpoints, GateioHandlerConfig, GateioPrivateParts, GateioPublicParts,
    GateioPublicTopic, SpotMarket,
};
use market_types::{BookStatus, BookTicker, BookUpdate, Order, OrderBook, Symbol, Trade};
use ws_core::{
    FrameKind, InboundFrame, OutFrame, Outbox, RestReply, RestResponse, Session, Timestamp,
};
use ws_handlers::Driven;
use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin};

/// Counts allocations of the current thread only.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
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

#[derive(Default)]
struct Tally {
    books: u64,
    trades: u64,
    tickers: u64,
    orders: u64,
    bid_sum: i64,
}

impl PublicWebSocketMixin for Tally {
    fn on_order_book(&mut self, book: &OrderBook, _update: &BookUpdate) {
        self.books += 1;
        self.bid_sum += book.best_bid().map_or(0, |l| l.price.value().mantissa());
    }
    fn on_trade(&mut self, _trade: &Trade) {
        self.trades += 1;
    }
    fn on_book_ticker(&mut self, _ticker: &BookTicker) {
        self.tickers += 1;
    }
}

impl PrivateWebSocketMixin for Tally {
    fn on_order(&mut self, _order: &Order) {
        self.orders += 1;
    }
}

fn now() -> Timestamp {
    Timestamp::new(Instant::now(), 1_700_000_000_000_000_000)
}

fn config() -> GateioHandlerConfig {
    GateioHandlerConfig {
        credentials: Some(Credentials::new("key", "secret")),
        ..GateioHandlerConfig::new(Endpoints::custom(
            "ws://127.0.0.1:1/ws/v4/",
            "http://127.0.0.1:1/api/v4",
        ))
    }
}

fn feed<S: Session>(session: &mut S, frame: &mut [u8], out: &mut Outbox) {
    session.on_frame(
        InboundFrame {
            kind: FrameKind::Text,
            payload: frame,
            received_at: now(),
        },
        out,
    );
}

fn ack(channel: &str, id: u64) -> Vec<u8> {
    format!(
        r#"{{"time":1,"time_ms":1000,"id":{id},"channel":"{channel}","event":"subscribe","result":{{"status":"success"}}}}"#
    )
    .into_bytes()
}

/// A 20-level-per-side push continuing id `id`.
fn book_push(id: u64, k: u64) -> Vec<u8> {
    let mut bids = String::new();
    let mut asks = String::new();
    for level in 0..20u64 {
        let sep = if level == 0 { "" } else { "," };
        let amount = (k + level) % 7 + 1;
        bids.push_str(&format!(
            r#"{sep}["{}.{}","{amount}.5"]"#,
            1000 - level,
            k % 10
        ));
        asks.push_str(&format!(
            r#"{sep}["{}.{}","{amount}"]"#,
            1001 + level,
            k % 10
        ));
    }
    format!(
        r#"{{"time":1,"time_ms":1000,"channel":"spot.order_book_update","event":"update","result":{{"t":{k},"l":"20","e":"depthUpdate","E":1,"s":"BTC_USDT","U":{id},"u":{id},"b":[{bids}],"a":[{asks}]}}}}"#
    )
    .into_bytes()
}

fn trade(k: u64) -> Vec<u8> {
    format!(
        r#"{{"time":1,"time_ms":1000,"channel":"spot.trades","event":"update","result":{{"id":{k},"id_market":{k},"create_time":1,"create_time_ms":"1000.5","side":"buy","currency_pair":"BTC_USDT","amount":"0.5","price":"1000.1","range":"1-1"}}}}"#
    )
    .into_bytes()
}

fn book_ticker(k: u64) -> Vec<u8> {
    format!(
        r#"{{"time":1,"time_ms":1000,"channel":"spot.book_ticker","event":"update","result":{{"t":{k},"u":{k},"s":"BTC_USDT","b":"1000.1","B":"1","a":"1001.1","A":"2"}}}}"#
    )
    .into_bytes()
}

#[test]
fn public_steady_state_allocates_nothing() {
    let btc = Symbol::new("BTC_USDT").unwrap();
    let mut h = GateioPublicParts::<_, SpotMarket>::new(
        GateioHandlerConfig {
            depth: BookDepth::Levels20,
            ..config()
        },
        [
            GateioPublicTopic::OrderBook(btc),
            GateioPublicTopic::Trades(btc),
            GateioPublicTopic::BookTicker(btc),
        ],
        Tally::default(),
    )
    .map(Driven::new)
    .unwrap();
    let mut out = Outbox::new();
    h.on_connected(now(), &mut out);
    for (channel, id) in [
        ("spot.order_book_update", 1),
        ("spot.trades", 2),
        ("spot.book_ticker", 3),
    ] {
        feed(&mut h, &mut ack(channel, id), &mut out);
    }
    let request = out.drain_rest().next().unwrap();
    let body = br#"{"id":1000,"current":1,"update":1,"asks":[["1001","1"]],"bids":[["1000","1"]]}"#;
    h.on_rest_response(
        RestResponse {
            id: request.id,
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: body.to_vec().into(),
            }),
        },
        now(),
        &mut out,
    );
    // Nothing buffered checked the snapshot: the first push, continuing it, does.
    assert_eq!(h.status(btc), Some(BookStatus::Syncing));
    assert_eq!(h.callbacks().books, 0);
    out.clear();

    const N: u64 = 500;
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for k in 0..N {
        frames.push(book_push(1001 + k, k));
        frames.push(trade(k));
        frames.push(book_ticker(k));
    }
    // Warm up (books and histogram reach their steady size).
    let (warm, measured) = frames.split_at_mut(60);
    for frame in warm.iter_mut() {
        feed(&mut h, frame, &mut out);
    }
    assert_eq!(h.status(btc), Some(BookStatus::Live));
    let before = allocations();
    for frame in measured.iter_mut() {
        feed(&mut h, frame, &mut out);
    }
    let allocated = allocations() - before;
    assert_eq!(allocated, 0, "allocations on the public message path");
    assert!(out.is_empty());
    let tally = h.callbacks();
    // Every push; the first one is reported with the snapshot it verified.
    assert_eq!((tally.books, tally.trades, tally.tickers), (N, N, N));
    assert!(tally.bid_sum > 0);
    assert_eq!(h.stats().errors, 0);
}

#[test]
fn private_order_updates_of_known_orders_allocate_nothing() {
    let mut h = Driven::new(GateioPrivateParts::<_, SpotMarket>::new(
        config(),
        Tally::default(),
    ));
    let mut out = Outbox::new();
    h.on_connected(now(), &mut out);
    let sent: Vec<String> = out
        .drain_frames()
        .map(|f| match f {
            OutFrame::Text(b) | OutFrame::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
        })
        .collect();
    for (id, text) in sent.iter().enumerate() {
        let channel = if text.contains("spot.orders") {
            "spot.orders"
        } else if text.contains("spot.usertrades") {
            "spot.usertrades"
        } else {
            "spot.balances"
        };
        feed(&mut h, &mut ack(channel, id as u64 + 1), &mut out);
    }
    out.clear();
    // One order filling step by step (ids reused: a known order's updates).
    let order = |filled_tenths: u64, t: u64| -> Vec<u8> {
        let left = 1000 - filled_tenths;
        format!(
            r#"{{"time":1,"time_ms":1000,"channel":"spot.orders","event":"update","result":[{{"id":"700000001","text":"t-a","create_time":"1","update_time":"1","currency_pair":"BTC_USDT","type":"limit","account":"spot","side":"buy","amount":"100","price":"10","time_in_force":"gtc","left":"{}.{}","filled_total":"0","avg_deal_price":"10","fee":"0","fee_currency":"BTC","create_time_ms":"1000","update_time_ms":"{t}","user":1,"event":"update","finish_as":"open"}}]}}"#,
            left / 10,
            left % 10
        )
        .into_bytes()
    };
    let mut frames: Vec<Vec<u8>> = (1..=600).map(|k| order(k, 2000 + k)).collect();
    let (warm, measured) = frames.split_at_mut(20);
    for frame in warm.iter_mut() {
        feed(&mut h, frame, &mut out);
    }
    let before = allocations();
    for frame in measured.iter_mut() {
        feed(&mut h, frame, &mut out);
    }
    assert_eq!(
        allocations() - before,
        0,
        "allocations on the private order path"
    );
    assert_eq!(h.callbacks().orders, 600);
}
