#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

//! Every rule of the local order book (spec §1.9), driven with scripted pushes, scripted
//! REST answers and an invented clock.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{at, data, depth_frame, p, q, snapshot_body, sym};
use exchange_mexc::{Body, BookSink, BookSync, BookSyncConfig, Error, decode_push};
use market_types::{
    BookStatus, BookStatusEvent, BookUpdate, BookUpdateKind, Level, OrderBook, ResyncReason, Side,
    Symbol, Venue,
};
use ws_core::{
    Outbox, RestFailure, RestReply, RestRequest, RestRequestId, RestResponse, Timestamp,
};

#[derive(Debug, Default)]
struct Recorder {
    updates: Vec<(BookUpdate, Vec<Level>, Vec<Level>)>,
    statuses: Vec<(Symbol, BookStatus)>,
}

impl BookSink for Recorder {
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        assert_eq!(book.symbol(), update.symbol);
        assert_eq!(book.update_id(), update.last_update_id);
        assert!(!book.is_crossed(), "a crossed book is never handed out");
        self.updates
            .push((*update, book.bids().collect(), book.asks().collect()));
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        assert_eq!(event.venue, Venue::MexcSpot);
        self.statuses.push((event.symbol, event.status));
    }
}

struct Harness {
    sync: BookSync,
    out: Outbox,
    sink: Recorder,
    now_ms: u64,
}

const BTC: &str = "BTCUSDT";
const ETH: &str = "ETHUSDT";

impl Harness {
    fn new() -> Harness {
        Harness::with(BookSyncConfig {
            book_capacity: 64,
            ..BookSyncConfig::default()
        })
    }

    fn with(config: BookSyncConfig) -> Harness {
        let mut harness = Harness {
            sync: BookSync::new(config, "https://api.mexc.com"),
            out: Outbox::new(),
            sink: Recorder::default(),
            now_ms: 0,
        };
        harness.track(BTC);
        harness
    }

    fn now(&self) -> Timestamp {
        at(self.now_ms)
    }

    fn track(&mut self, symbol: &str) {
        let now = self.now();
        self.sync.track(sym(symbol), now, &mut self.sink);
    }

    fn advance(&mut self, ms: u64) {
        self.now_ms += ms;
        let now = self.now();
        self.sync.on_tick(now, &mut self.out);
    }

    fn push_to(
        &mut self,
        symbol: &str,
        from: u64,
        to: u64,
        bids: &[(&str, &str)],
        asks: &[(&str, &str)],
    ) -> Result<(), Error> {
        let frame = depth_frame(symbol, from, to, bids, asks);
        let push = decode_push(&frame).unwrap();
        let Body::AggreDepths(depth) = push.body else {
            panic!("not depth")
        };
        let now = self.now();
        self.sync
            .on_depth(&push.header, &depth, now, &mut self.out, &mut self.sink)
    }

    fn push(&mut self, from: u64, to: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) {
        self.push_to(BTC, from, to, bids, asks)
            .unwrap_or_else(|e| panic!("push {from}..{to}: {e}"));
    }

    fn requests(&mut self) -> Vec<RestRequest> {
        self.out.drain_rest().collect()
    }

    /// The single snapshot request queued since the last call.
    fn request(&mut self) -> RestRequestId {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        requests[0].id
    }

    fn reply(&mut self, id: RestRequestId, status: u16, retry_after: Option<u64>, body: &str) {
        let response = RestResponse {
            id,
            result: Ok(RestReply {
                status,
                retry_after: retry_after.map(Duration::from_secs),
                body: Bytes::from(body.to_string()),
            }),
        };
        let now = self.now();
        assert!(
            self.sync
                .on_rest_response(&response, now, &mut self.out, &mut self.sink)
        );
    }

    fn snapshot(
        &mut self,
        id: RestRequestId,
        last: u64,
        bids: &[(&str, &str)],
        asks: &[(&str, &str)],
    ) {
        self.reply(id, 200, None, &snapshot_body(last, bids, asks));
    }

    fn status(&self, symbol: &str) -> BookStatus {
        self.sync.status(sym(symbol)).unwrap()
    }

    fn book(&self, symbol: &str) -> &OrderBook {
        self.sync.book(sym(symbol)).unwrap()
    }

    fn last_status(&self) -> BookStatus {
        self.sink.statuses.last().unwrap().1
    }

    /// Brings BTC live and aligned at version `version`: bids 100 and 99, ask 101.
    fn live_at(&mut self, version: u64) {
        self.push(version, version, &[("99", "1")], &[]);
        let id = self.request();
        self.snapshot(id, version - 1, &[("100", "1")], &[("101", "1")]);
        assert_eq!(self.status(BTC), BookStatus::Live);
        assert_eq!(self.book(BTC).update_id(), version);
        self.sink.updates.clear();
    }
}

#[test]
fn happy_path_buffers_loads_replays_and_goes_live() {
    let mut h = Harness::new();
    assert_eq!(h.sink.statuses, [(sym(BTC), BookStatus::Syncing)]);

    // Pushes are buffered; the first one triggers the snapshot request.
    h.push(101, 102, &[("100", "5")], &[]);
    let requests = h.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].url,
        "https://api.mexc.com/api/v3/depth?symbol=BTCUSDT&limit=5000"
    );
    assert_eq!(requests[0].method, ws_core::RestMethod::Get);
    assert!(h.sync.owns(requests[0].id));
    h.push(103, 105, &[("99.5", "2")], &[("101", "0")]);
    assert!(h.requests().is_empty(), "one snapshot request at a time");
    assert!(h.book(BTC).is_empty());
    assert_eq!(h.status(BTC), BookStatus::Syncing);

    // Snapshot at 102: the first push is dropped (toVersion <= 102), the second replayed.
    h.snapshot(
        requests[0].id,
        102,
        &[("100", "1"), ("99", "1")],
        &[("101", "3"), ("102", "4")],
    );
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert_eq!(h.last_status(), BookStatus::Live);
    let kinds: Vec<(BookUpdateKind, u64, u64)> = h
        .sink
        .updates
        .iter()
        .map(|(u, _, _)| (u.kind, u.first_update_id, u.last_update_id))
        .collect();
    assert_eq!(
        kinds,
        [
            (BookUpdateKind::Snapshot, 102, 102),
            (BookUpdateKind::Delta, 103, 105)
        ]
    );
    let book = h.book(BTC);
    assert_eq!(book.update_id(), 105);
    assert_eq!(book.quantity_at(Side::Buy, p("99.5")), Some(q("2")));
    assert_eq!(
        book.quantity_at(Side::Buy, p("100")),
        Some(q("1")),
        "push 101..102 not applied"
    );
    assert_eq!(
        book.quantity_at(Side::Sell, p("101")),
        None,
        "removed by the replay"
    );
    assert_eq!(book.best_ask(), Some(Level::new(p("102"), q("4"))));

    // Live: the next push must start at 106.
    h.sink.updates.clear();
    h.push(106, 110, &[("100", "0")], &[("101.5", "1")]);
    let (update, bids, asks) = &h.sink.updates[0];
    assert_eq!(update.kind, BookUpdateKind::Delta);
    assert_eq!((update.first_update_id, update.last_update_id), (106, 110));
    assert_eq!(
        update.exchange_time_ms, 1_778_075_380_110,
        "the push's sendTime"
    );
    assert_eq!(update.venue, Venue::MexcSpot);
    assert_eq!(bids[0].price, p("99.5"));
    assert_eq!(asks[0], Level::new(p("101.5"), q("1")));
    let stats = h.sync.stats();
    assert_eq!(stats.snapshots_requested, 1);
    assert_eq!(stats.snapshots_applied, 1);
    assert_eq!(stats.buffered, 2);
    assert_eq!(stats.dropped, 1);
    // One replayed over the snapshot, one applied live.
    assert_eq!((stats.replayed, stats.applied), (1, 1));
    assert_eq!(stats.resyncs, 0);
}

#[test]
fn a_snapshot_right_before_the_first_push_is_aligned() {
    let mut h = Harness::new();
    h.push(50, 52, &[("100", "2")], &[]);
    let id = h.request();
    // lastUpdateId + 1 == first fromVersion: nothing is missing.
    h.snapshot(id, 49, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert_eq!(h.book(BTC).update_id(), 52);
    assert_eq!(h.book(BTC).quantity_at(Side::Buy, p("100")), Some(q("2")));
}

#[test]
fn a_stale_snapshot_is_fetched_again_with_backoff() {
    let mut h = Harness::new();
    h.push(200, 201, &[("100", "2")], &[]);
    let id = h.request();
    h.snapshot(id, 150, &[("100", "1")], &[("101", "1")]);
    assert_eq!(
        h.last_status(),
        BookStatus::Resyncing(ResyncReason::StaleSnapshot)
    );
    assert!(h.book(BTC).is_empty());
    assert!(h.requests().is_empty(), "no refetch before the backoff");

    // Pushes keep buffering meanwhile, still contiguous.
    h.push(202, 203, &[("100", "3")], &[]);
    assert!(h.requests().is_empty());
    h.advance(249);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();

    // The second snapshot is still stale: the backoff doubles.
    h.snapshot(id, 180, &[], &[]);
    h.advance(499);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();
    h.snapshot(id, 201, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert_eq!(h.book(BTC).update_id(), 203);
    assert_eq!(h.book(BTC).quantity_at(Side::Buy, p("100")), Some(q("3")));
    assert_eq!(h.sync.stats().stale_snapshots, 2);
}

#[test]
fn a_snapshot_newer_than_the_buffer_drops_it_and_the_next_push_may_overlap() {
    let mut h = Harness::new();
    h.push(10, 11, &[("100", "9")], &[]);
    let id = h.request();
    h.snapshot(id, 20, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert_eq!(h.book(BTC).update_id(), 20);
    assert_eq!(h.book(BTC).quantity_at(Side::Buy, p("100")), Some(q("1")));

    // Pushes already covered by the snapshot are dropped.
    h.push(15, 20, &[("100", "7")], &[]);
    assert_eq!(h.book(BTC).quantity_at(Side::Buy, p("100")), Some(q("1")));
    // The first newer push may overlap the snapshot...
    h.push(18, 22, &[("100", "2")], &[]);
    assert_eq!(h.book(BTC).update_id(), 22);
    // ...but from then on the stream must be exact.
    h.push(23, 23, &[("100", "3")], &[]);
    let error = h.push_to(BTC, 23, 24, &[], &[]).unwrap_err();
    assert!(matches!(
        error,
        Error::BookResync {
            reason: ResyncReason::Gap {
                expected: 24,
                received: 23
            },
            ..
        }
    ));
}

#[test]
fn a_snapshot_behind_the_stream_with_nothing_buffered_is_stale() {
    let mut h = Harness::new();
    // A quiet symbol: no push, the snapshot is requested after the quiet period.
    h.advance(1_999);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();
    h.snapshot(id, 300, &[("100", "1")], &[("101", "1")]);
    // Nothing checked the snapshot: not live, not handed out, until a push continues it.
    assert_eq!(h.status(BTC), BookStatus::Syncing);
    assert!(h.sink.updates.is_empty(), "{:?}", h.sink.updates);

    // The first push starts after 301: updates were missed.
    let error = h.push_to(BTC, 305, 306, &[("100", "2")], &[]).unwrap_err();
    assert!(matches!(
        error,
        Error::BookResync {
            reason: ResyncReason::StaleSnapshot,
            ..
        }
    ));
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::StaleSnapshot)
    );
    assert!(h.book(BTC).is_empty());
    // The revealing push is buffered; the refetch waits for the backoff.
    assert!(h.requests().is_empty());
    h.advance(250);
    let id = h.request();
    h.snapshot(id, 305, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert_eq!(h.book(BTC).update_id(), 306);
    assert_eq!(h.book(BTC).quantity_at(Side::Buy, p("100")), Some(q("2")));
}

#[test]
fn a_gap_resyncs_only_that_symbol_from_an_empty_book() {
    let mut h = Harness::new();
    h.track(ETH);
    h.live_at(100);
    h.push_to(ETH, 5, 5, &[("10", "1")], &[]).unwrap();
    let id = h.request();
    h.snapshot(id, 4, &[("9", "1")], &[("11", "1")]);
    assert_eq!(h.status(ETH), BookStatus::Live);

    h.push(101, 101, &[("100", "2")], &[]);
    let error = h.push_to(BTC, 103, 104, &[("100", "3")], &[]).unwrap_err();
    assert!(matches!(
        error,
        Error::BookResync {
            reason: ResyncReason::Gap {
                expected: 102,
                received: 103
            },
            ..
        }
    ));
    assert_eq!(
        h.sink.statuses.last().unwrap(),
        &(
            sym(BTC),
            BookStatus::Resyncing(ResyncReason::Gap {
                expected: 102,
                received: 103
            })
        )
    );
    assert!(h.book(BTC).is_empty(), "a resync starts from an empty book");
    // The gap push starts the new buffer and the snapshot is requested at once.
    let id = h.request();
    // ETH is untouched.
    assert_eq!(h.status(ETH), BookStatus::Live);
    assert_eq!(h.book(ETH).quantity_at(Side::Buy, p("10")), Some(q("1")));

    // The new snapshot has no ghost levels from before.
    h.snapshot(id, 103, &[("98", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    let book = h.book(BTC);
    assert_eq!(book.update_id(), 104);
    assert_eq!(book.quantity_at(Side::Buy, p("99")), None);
    assert_eq!(book.quantity_at(Side::Buy, p("100")), Some(q("3")));
    assert_eq!(h.sync.stats().resyncs, 1);
}

#[test]
fn a_crossed_book_resyncs() {
    let mut h = Harness::new();
    h.live_at(100);
    let error = h.push_to(BTC, 101, 101, &[("101", "1")], &[]).unwrap_err();
    assert!(matches!(
        error,
        Error::BookResync {
            reason: ResyncReason::Crossed,
            ..
        }
    ));
    assert_eq!(h.status(BTC), BookStatus::Resyncing(ResyncReason::Crossed));
    assert!(h.book(BTC).is_empty());
    assert!(
        h.sink.updates.is_empty(),
        "the crossed book was never handed out"
    );
    // Bad data from the venue: the refetch backs off, then waits for a push to check the
    // snapshot against.
    assert!(h.requests().is_empty());
    h.advance(250);
    assert!(h.requests().is_empty());
    h.push(102, 102, &[], &[]);
    let _ = h.request();
}

#[test]
fn repeated_failures_back_off_until_the_book_is_stable() {
    let mut h = Harness::new();
    h.live_at(100);
    // A first gap refetches at once.
    assert!(h.push_to(BTC, 102, 102, &[], &[]).is_err());
    let id = h.request();
    h.snapshot(id, 101, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    // A second gap right after it waits: failures are not yet forgotten.
    h.push(103, 103, &[], &[]);
    assert!(h.push_to(BTC, 105, 105, &[], &[]).is_err());
    assert!(h.requests().is_empty());
    h.advance(499);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();
    h.snapshot(id, 104, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    // Live for 10 s: the next gap refetches at once again.
    h.advance(10_000);
    h.push(106, 106, &[], &[]);
    assert!(h.push_to(BTC, 108, 108, &[], &[]).is_err());
    let _ = h.request();
}

#[test]
fn a_negative_quantity_resyncs() {
    let mut h = Harness::new();
    h.live_at(100);
    let error = h.push_to(BTC, 101, 101, &[("99", "-1")], &[]).unwrap_err();
    assert!(matches!(
        error,
        Error::BookResync {
            reason: ResyncReason::NonPositiveQuantity,
            ..
        }
    ));
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::NonPositiveQuantity)
    );
    assert!(h.book(BTC).is_empty());
}

#[test]
fn a_level_that_does_not_decode_resyncs_as_an_invalid_update() {
    let mut h = Harness::new();
    h.live_at(100);
    let error = h.push_to(BTC, 101, 103, &[("1e5", "1")], &[]).unwrap_err();
    assert!(matches!(error, Error::InvalidDecimal { .. }), "{error}");
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::InvalidUpdate)
    );
    assert!(h.book(BTC).is_empty());
}

#[test]
fn snapshots_with_bad_levels_fail_with_backoff() {
    let mut h = Harness::new();
    h.push(10, 10, &[], &[]);
    let id = h.request();
    h.snapshot(id, 9, &[("100", "0")], &[("101", "1")]);
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::NonPositiveQuantity)
    );
    assert!(h.book(BTC).is_empty());
    h.advance(250);
    let id = h.request();
    // The documented sample snapshot is crossed (bid 15 above ask 14).
    let body = String::from_utf8(data("mexc_rest_depth_snapshot.json")).unwrap();
    h.reply(id, 200, None, &body);
    assert_eq!(h.status(BTC), BookStatus::Resyncing(ResyncReason::Crossed));
    assert!(h.book(BTC).is_empty());
    h.advance(499);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();
    h.snapshot(id, 9, &[("100", "1"), ("100.0", "2")], &[]);
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::SnapshotFailed)
    );
    h.advance(1_000);
    let id = h.request();
    h.snapshot(id, 9, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert_eq!(h.book(BTC).update_id(), 10);
}

#[test]
fn rate_limits_wait_for_retry_after_for_every_symbol() {
    let mut h = Harness::new();
    h.track(ETH);
    h.push(10, 10, &[], &[]);
    let id = h.request();
    h.reply(id, 429, Some(5), "");
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::SnapshotFailed)
    );

    // ETH may not fetch either until Retry-After has passed.
    h.push_to(ETH, 1, 1, &[], &[]).unwrap();
    assert!(h.requests().is_empty());
    h.advance(4_999);
    assert!(h.requests().is_empty());
    h.advance(1);
    let requests = h.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().any(|r| r.url.contains("symbol=BTCUSDT")));
    assert!(requests.iter().any(|r| r.url.contains("symbol=ETHUSDT")));
}

#[test]
fn rate_limit_without_retry_after_and_other_failures_back_off() {
    let mut h = Harness::new();
    h.push(10, 10, &[], &[]);
    let id = h.request();
    h.reply(id, 418, None, "");
    h.advance(249);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();

    // Transport failure: attempt 2, 500 ms.
    let response = RestResponse {
        id,
        result: Err(RestFailure::Transport("reset".into())),
    };
    let now = h.now();
    assert!(
        h.sync
            .on_rest_response(&response, now, &mut h.out, &mut h.sink)
    );
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::SnapshotFailed)
    );
    h.advance(499);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();

    // An HTTP error and a body that is not a snapshot: 1 s, then 2 s.
    h.reply(id, 503, None, "busy");
    h.advance(999);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();
    h.reply(id, 200, None, "{\"oops\":1}");
    h.advance(1_999);
    assert!(h.requests().is_empty());
    h.advance(1);
    let id = h.request();
    h.snapshot(id, 9, &[("1", "1")], &[("2", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    // Live and aligned: the backoff is reset.
    assert_eq!(h.sync.stats().snapshot_failures, 4);
}

#[test]
fn buffer_overflow_restarts_and_ignores_the_old_snapshot() {
    let mut h = Harness::with(BookSyncConfig {
        max_buffered_pushes: 3,
        ..BookSyncConfig::default()
    });
    h.push(1, 1, &[], &[]);
    let old = h.request();
    h.push(2, 2, &[], &[]);
    h.push(3, 3, &[], &[]);
    let error = h.push_to(BTC, 4, 4, &[], &[]).unwrap_err();
    assert!(matches!(
        error,
        Error::BookResync {
            reason: ResyncReason::BufferOverflow,
            ..
        }
    ));
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::BufferOverflow)
    );

    // The answer to the superseded request is ignored.
    h.snapshot(old, 0, &[("1", "1")], &[("2", "1")]);
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::BufferOverflow)
    );
    assert_eq!(h.sync.stats().stale_responses, 1);

    // After the backoff the sync starts over from the next push.
    h.push(5, 5, &[("1", "1")], &[]);
    assert!(h.requests().is_empty());
    h.advance(250);
    let id = h.request();
    h.snapshot(id, 4, &[], &[("2", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert_eq!(h.book(BTC).update_id(), 5);
}

#[test]
fn buffered_levels_are_bounded_too() {
    let mut h = Harness::with(BookSyncConfig {
        max_buffered_levels: 4,
        ..BookSyncConfig::default()
    });
    h.push(1, 1, &[("1", "1"), ("2", "1")], &[("3", "1")]);
    let _ = h.request();
    let error = h
        .push_to(BTC, 2, 2, &[("1", "1")], &[("3", "1")])
        .unwrap_err();
    assert!(matches!(
        error,
        Error::BookResync {
            reason: ResyncReason::BufferOverflow,
            ..
        }
    ));
}

#[test]
fn a_hole_in_the_buffer_discards_what_came_before_it() {
    let mut h = Harness::new();
    h.push(10, 11, &[("100", "1")], &[]);
    let id = h.request();
    h.push(15, 16, &[("100", "2")], &[]);
    // Against the new first push (15), a snapshot at 12 is stale.
    h.snapshot(id, 12, &[("100", "9")], &[("101", "1")]);
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::StaleSnapshot)
    );
    h.advance(250);
    let id = h.request();
    h.snapshot(id, 14, &[("100", "9")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert_eq!(h.book(BTC).update_id(), 16);
    assert_eq!(h.book(BTC).quantity_at(Side::Buy, p("100")), Some(q("2")));
    assert_eq!(h.sync.stats().dropped, 1);
}

#[test]
fn a_malformed_push_while_syncing_empties_the_buffer() {
    let mut h = Harness::new();
    h.push(10, 10, &[("100", "1")], &[]);
    let id = h.request();
    assert!(matches!(
        h.push_to(BTC, 11, 11, &[("x", "1")], &[]),
        Err(Error::InvalidDecimal { .. })
    ));
    h.push(12, 12, &[("100", "2")], &[]);
    // A snapshot at 9 would need push 11, which was lost.
    h.snapshot(id, 9, &[("100", "9")], &[("101", "1")]);
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::StaleSnapshot)
    );
}

#[test]
fn disconnect_puts_every_book_back_to_syncing() {
    let mut h = Harness::new();
    h.track(ETH);
    h.live_at(100);
    h.push_to(ETH, 1, 1, &[], &[]).unwrap();
    let eth_request = h.request();

    h.sync.on_disconnected(&mut h.sink);
    assert_eq!(h.status(BTC), BookStatus::Syncing);
    assert_eq!(h.status(ETH), BookStatus::Syncing);
    assert!(h.book(BTC).is_empty());
    assert!(
        h.sink
            .statuses
            .ends_with(&[(sym(BTC), BookStatus::Syncing)]),
        "{:?}",
        h.sink.statuses
    );
    // The snapshot requested before the disconnect is ignored.
    h.snapshot(eth_request, 0, &[("1", "1")], &[("2", "1")]);
    assert_eq!(h.status(ETH), BookStatus::Syncing);

    // Nothing is fetched while disconnected...
    h.advance(10_000);
    assert!(h.requests().is_empty());
    // ...until the subscription is confirmed again and the quiet period passes, or a push
    // arrives.
    let now = h.now();
    h.sync.on_subscribed(sym(ETH), now);
    h.push(500, 500, &[("100", "1")], &[]);
    let btc = h.request();
    h.advance(2_000);
    let eth = h.request();
    h.snapshot(btc, 499, &[("99", "1")], &[("101", "1")]);
    h.snapshot(eth, 7, &[("9", "1")], &[("11", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    // ETH's snapshot had nothing buffered to check it: live once a push continues it.
    assert_eq!(h.status(ETH), BookStatus::Syncing);
    h.push_to(ETH, 8, 8, &[], &[]).unwrap();
    assert_eq!(h.status(ETH), BookStatus::Live);
}

#[test]
fn user_requested_resync() {
    let mut h = Harness::new();
    h.live_at(100);
    let now = h.now();
    h.sync
        .resync(sym(BTC), now, &mut h.out, &mut h.sink)
        .unwrap();
    assert_eq!(
        h.status(BTC),
        BookStatus::Resyncing(ResyncReason::UserRequested)
    );
    assert!(h.book(BTC).is_empty());
    // The snapshot waits for a push it can be checked against.
    assert!(h.requests().is_empty());
    h.push(201, 201, &[], &[]);
    let id = h.request();
    h.snapshot(id, 200, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status(BTC), BookStatus::Live);
    assert!(matches!(
        h.sync.resync(sym("XRPUSDT"), now, &mut h.out, &mut h.sink),
        Err(Error::UntrackedSymbol { .. })
    ));
}

#[test]
fn foreign_responses_and_untracked_symbols() {
    let mut h = Harness::new();
    let response = RestResponse {
        id: RestRequestId(7),
        result: Err(RestFailure::Overloaded),
    };
    let now = h.now();
    assert!(
        !h.sync
            .on_rest_response(&response, now, &mut h.out, &mut h.sink)
    );
    assert!(matches!(
        h.push_to("XRPUSDT", 1, 1, &[], &[]),
        Err(Error::UntrackedSymbol { .. })
    ));
    assert!(h.sync.untrack(sym(BTC)));
    assert!(!h.sync.untrack(sym(BTC)));
    assert_eq!(h.sync.symbols().count(), 0);
}

#[test]
fn tracking_twice_is_a_no_op() {
    let mut h = Harness::new();
    h.track(BTC);
    assert_eq!(h.sink.statuses.len(), 1);
    assert_eq!(h.sync.symbols().collect::<Vec<_>>(), [sym(BTC)]);
}

#[test]
fn books_never_exceed_the_configured_depth() {
    let mut h = Harness::with(BookSyncConfig {
        snapshot_depth: 3,
        book_capacity: 8,
        ..BookSyncConfig::default()
    });
    // A snapshot deeper than the limit, then a replayed and a live push adding levels.
    h.push(10, 10, &[("95", "1"), ("94", "1")], &[("106", "1")]);
    let id = h.request();
    h.snapshot(
        id,
        9,
        &[("100", "1"), ("99", "1"), ("98", "1"), ("97", "1")],
        &[("101", "1"), ("102", "1"), ("103", "1"), ("104", "1")],
    );
    assert_eq!(h.status(BTC), BookStatus::Live);
    for side in [Side::Buy, Side::Sell] {
        assert_eq!(h.book(BTC).depth(side), 3, "{side:?} after the snapshot");
    }
    h.push(
        11,
        11,
        &[("99.5", "1"), ("99.2", "1"), ("96", "1")],
        &[("100.5", "1"), ("100.7", "1")],
    );
    let book = h.book(BTC);
    assert_eq!(book.depth(Side::Buy), 3);
    assert_eq!(book.depth(Side::Sell), 3);
    // The best levels are kept, the deepest ones go.
    let bids: Vec<market_types::Price> = book.bids().map(|l| l.price).collect();
    let asks: Vec<market_types::Price> = book.asks().map(|l| l.price).collect();
    assert_eq!(bids, [p("100"), p("99.5"), p("99.2")]);
    assert_eq!(asks, [p("100.5"), p("100.7"), p("101")]);
    // Every update handed out was trimmed too.
    assert!(
        h.sink
            .updates
            .iter()
            .all(|(_, bids, asks)| bids.len() <= 3 && asks.len() <= 3)
    );
}
