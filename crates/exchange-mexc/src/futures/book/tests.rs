#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use bytes::Bytes;
use market_types::{
    BookStatus, BookStatusEvent, BookUpdate, OrderBook, Price, Quantity, ResyncReason, Symbol,
    Venue,
};
use ws_session::{Outbox, RestReply, RestRequestId, RestResponse, Timestamp};

use super::*;
use crate::futures::{Frame, decode};

#[derive(Debug, Default)]
struct Recorder {
    updates: usize,
    statuses: Vec<(Symbol, BookStatus)>,
}

impl BookSink for Recorder {
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        assert_eq!(book.update_id(), update.last_update_id);
        assert!(!book.is_crossed());
        self.updates += 1;
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        assert_eq!(
            event.venue,
            Venue::GateioFutures,
            "the venue the caller gave"
        );
        self.statuses.push((event.symbol, event.status));
    }
}

struct Harness {
    sync: FuturesBookSync,
    out: Outbox,
    sink: Recorder,
    origin: Instant,
    now_ms: u64,
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn depth(symbol: &str, version: u64, bids: &str, asks: &str) -> String {
    format!(
        r#"{{"channel":"push.depth","data":{{"asks":[{asks}],"bids":[{bids}],"version":{version}}},"symbol":"{symbol}","ts":1}}"#
    )
}

impl Harness {
    fn new() -> Harness {
        let config = BookSyncConfig {
            book_capacity: 16,
            snapshot_depth: 20,
            ..BookSyncConfig::default()
        };
        // Any venue value will do: the caller supplies it.
        let mut harness = Harness {
            sync: FuturesBookSync::new(config, REST, Venue::GateioFutures),
            out: Outbox::new(),
            sink: Recorder::default(),
            origin: Instant::now(),
            now_ms: 0,
        };
        harness.track("BTC_USDT");
        harness
    }

    fn now(&self) -> Timestamp {
        Timestamp::new(self.origin, 1_778_000_000_000_000_000)
            .advanced(Duration::from_millis(self.now_ms))
    }

    fn track(&mut self, symbol: &str) {
        let now = self.now();
        self.sync.track(sym(symbol), now, &mut self.sink);
    }

    fn push(&mut self, text: &str) -> Result<(), FuturesError> {
        let Frame::Depth(push) = decode(text.as_bytes()).unwrap() else {
            panic!("not depth")
        };
        let now = self.now();
        self.sync
            .on_depth(&push, now, &mut self.out, &mut self.sink)
    }

    fn request(&mut self) -> (RestRequestId, String) {
        let requests: Vec<_> = self.out.drain_rest().collect();
        assert_eq!(requests.len(), 1, "{requests:?}");
        (requests[0].id, requests[0].url.clone())
    }

    fn answer(&mut self, id: RestRequestId, body: &str) {
        let response = RestResponse {
            id,
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: Bytes::from(body.to_string()),
            }),
        };
        let now = self.now();
        assert!(
            self.sync
                .on_rest_response(&response, now, &mut self.out, &mut self.sink)
        );
    }

    fn status(&self, symbol: &str) -> BookStatus {
        self.sync.status(sym(symbol)).unwrap()
    }

    fn best(&self, symbol: &str) -> (Option<String>, Option<String>) {
        let book = self.sync.book(sym(symbol)).unwrap();
        (
            book.bids()
                .next()
                .map(|l| format!("{}@{}", l.quantity, l.price)),
            book.asks()
                .next()
                .map(|l| format!("{}@{}", l.quantity, l.price)),
        )
    }
}

const REST: &str = "https://contract.mexc.com";

fn enveloped(version: u64, bids: &str, asks: &str) -> String {
    format!(
        r#"{{"success":true,"code":0,"data":{{"asks":[{asks}],"bids":[{bids}],"version":{version},"timestamp":1587442022003}}}}"#
    )
}

/// Buffered pushes, then a snapshot in the middle of them: live at the last push.
fn live_at_12() -> Harness {
    let mut h = Harness::new();
    h.push(&depth("BTC_USDT", 10, "[100,5,1]", "")).unwrap();
    let (id, url) = h.request();
    assert_eq!(
        url,
        "https://contract.mexc.com/api/v1/contract/depth/BTC_USDT?limit=20"
    );
    h.push(&depth("BTC_USDT", 11, "[100,6,1]", "[101,1,1]"))
        .unwrap();
    h.push(&depth("BTC_USDT", 12, "", "[102,2,1]")).unwrap();
    h.answer(id, &enveloped(10, "[100,5,1],[99,1,1]", "[101,3,2]"));
    assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
    h
}

#[test]
fn snapshot_then_buffered_pushes_aligned_by_version() {
    let h = live_at_12();
    let book = h.sync.book(sym("BTC_USDT")).unwrap();
    assert_eq!(book.update_id(), 12);
    assert_eq!(
        h.best("BTC_USDT"),
        (Some("6@100".into()), Some("1@101".into()))
    );
    assert_eq!(book.asks().count(), 2);
}

#[test]
fn live_pushes_continue_by_one_and_zero_removes() {
    let mut h = live_at_12();
    h.push(&depth("BTC_USDT", 13, "[100,0,0]", "")).unwrap();
    assert_eq!(h.best("BTC_USDT").0, Some("1@99".into()));
    assert_eq!(h.sync.book(sym("BTC_USDT")).unwrap().update_id(), 13);
}

#[test]
fn duplicate_push_is_skipped() {
    let mut h = live_at_12();
    h.push(&depth("BTC_USDT", 12, "[100,77,1]", "")).unwrap();
    assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
    assert_eq!(h.best("BTC_USDT").0, Some("6@100".into()), "not re-applied");
}

#[test]
fn gap_resyncs_only_that_contract_from_a_fresh_snapshot() {
    let mut h = live_at_12();
    h.track("ETH_USDT");
    h.push(&depth("ETH_USDT", 5, "[10,1,1]", "")).unwrap();
    let (eth_id, _) = h.request();
    h.answer(eth_id, &enveloped(5, "[10,1,1]", "[11,1,1]"));
    assert_eq!(h.status("ETH_USDT"), BookStatus::Live);

    let error = h.push(&depth("BTC_USDT", 14, "[100,1,1]", "")).unwrap_err();
    assert_eq!(
        error,
        FuturesError::BookResync {
            symbol: sym("BTC_USDT"),
            reason: ResyncReason::Gap {
                expected: 13,
                received: 14
            }
        }
    );
    assert!(matches!(h.status("BTC_USDT"), BookStatus::Resyncing(_)));
    assert_eq!(h.status("ETH_USDT"), BookStatus::Live, "only that contract");
    assert_eq!(
        h.sync.book(sym("BTC_USDT")).unwrap().bids().count(),
        0,
        "from empty"
    );
    // Recovery: buffered pushes and a fresh (bare) snapshot.
    h.push(&depth("BTC_USDT", 15, "[100,2,1]", "")).unwrap();
    let (id, _) = h.request();
    h.answer(
        id,
        r#"{"asks":[[3968.5,121],[3968.6,160,4]],"bids":[[100,9,4]],"version":15,"timestamp":1}"#,
    );
    assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
    assert_eq!(h.best("BTC_USDT").0, Some("9@100".into()));
}

#[test]
fn stale_snapshot_is_refetched() {
    let mut h = Harness::new();
    h.push(&depth("BTC_USDT", 20, "[100,5,1]", "")).unwrap();
    let (id, _) = h.request();
    // Older than every buffered push: the first push does not continue it.
    h.answer(id, &enveloped(10, "[100,5,1]", "[101,3,2]"));
    assert_eq!(
        h.status("BTC_USDT"),
        BookStatus::Resyncing(ResyncReason::StaleSnapshot)
    );
    assert_eq!(h.out.drain_rest().count(), 0, "backs off first");
    h.now_ms += 120_000;
    let now = h.now();
    h.sync.on_tick(now, &mut h.out);
    h.push(&depth("BTC_USDT", 21, "[100,6,1]", "")).unwrap();
    let (id, _) = h.request();
    h.answer(id, &enveloped(20, "[100,5,1]", "[101,3,2]"));
    assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
    assert_eq!(h.best("BTC_USDT").0, Some("6@100".into()));
}

#[test]
fn merged_push_overlapping_the_book_applies() {
    let mut h = live_at_12();
    let text = r#"{"channel":"push.depth","data":{"asks":[[101,4,1]],"bids":[],"begin":12,"end":14,"version":14},"symbol":"BTC_USDT","ts":1}"#;
    h.push(text).unwrap();
    assert_eq!(h.sync.book(sym("BTC_USDT")).unwrap().update_id(), 14);
    assert_eq!(h.best("BTC_USDT").1, Some("4@101".into()));
}

#[test]
fn refused_snapshot_envelope_and_bad_levels_do_not_go_live() {
    let mut h = Harness::new();
    h.push(&depth("BTC_USDT", 10, "[100,5,1]", "")).unwrap();
    let (id, _) = h.request();
    h.answer(
        id,
        r#"{"success":false,"code":1001,"message":"contract not exists"}"#,
    );
    assert_ne!(h.status("BTC_USDT"), BookStatus::Live);

    let mut h = Harness::new();
    h.push(&depth("BTC_USDT", 10, "[100,5,1]", "")).unwrap();
    let (id, _) = h.request();
    h.answer(id, &enveloped(10, "[100,5,1],[99,\"x\",1]", ""));
    assert_ne!(h.status("BTC_USDT"), BookStatus::Live);
}

#[test]
fn full_depth_replaces_the_book() {
    let mut h = live_at_12();
    let text = r#"{"channel":"push.depth.full","data":{"asks":[[105,1,1]],"bids":[[95,2,1]],"version":30},"symbol":"BTC_USDT","ts":1}"#;
    let Frame::DepthFull(push) = decode(text.as_bytes()).unwrap() else {
        panic!("not full")
    };
    let now = h.now();
    h.sync
        .on_depth(&push, now, &mut h.out, &mut h.sink)
        .unwrap();
    assert_eq!(
        h.best("BTC_USDT"),
        (Some("2@95".into()), Some("1@105".into()))
    );
    let _ = (Price::parse("1"), Quantity::parse("1"));
}
