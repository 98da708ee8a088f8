//! Every book-sync rule (spec §3.5, §4.3), driven with scripted frames and invented
//! timestamps. Each scenario runs twice: through the single-pass [`BookSync::on_frame`]
//! and through [`parse_frame`] + [`BookSync::on_update`]; both must agree.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use exchange_gateio::{
    BookDepth, BookSink, BookSync, BookSyncConfig, Endpoints, Market, Message, UpdateOutcome,
    parse_frame,
};
use market_types::{
    BookStatus, BookStatusEvent, BookUpdate, BookUpdateKind, OrderBook, Price, Quantity,
    ResyncReason, Side, Symbol,
};
use ws_core::{Outbox, RestFailure, RestReply, RestRequest, RestResponse, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Fast,
    Parsed,
}

const PATHS: [Path; 2] = [Path::Fast, Path::Parsed];

#[derive(Default)]
struct Recorder {
    statuses: Vec<(Symbol, BookStatus)>,
    updates: Vec<BookUpdate>,
    /// Best bid and ask of the book after each update.
    tops: Vec<(Option<Price>, Option<Price>)>,
}

impl BookSink for Recorder {
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        assert_eq!(book.symbol(), update.symbol);
        assert_eq!(book.update_id(), update.last_update_id);
        assert!(!book.is_crossed());
        self.updates.push(*update);
        self.tops.push((
            book.best_bid().map(|l| l.price),
            book.best_ask().map(|l| l.price),
        ));
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.statuses.push((event.symbol, event.status));
    }
}

struct Harness {
    sync: BookSync,
    out: Outbox,
    sink: Recorder,
    t0: Instant,
    elapsed: Duration,
    path: Path,
    market: Market,
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

impl Harness {
    fn new(market: Market, path: Path) -> Harness {
        Harness::with(market, path, |_| {})
    }

    fn with(market: Market, path: Path, tweak: impl FnOnce(&mut BookSyncConfig)) -> Harness {
        let endpoints = Endpoints::custom("ws://127.0.0.1:1/ws", "http://127.0.0.1:2/api/v4");
        let mut config = BookSyncConfig::new(market, &endpoints, BookDepth::Levels20).unwrap();
        tweak(&mut config);
        Harness {
            sync: BookSync::new(config),
            out: Outbox::new(),
            sink: Recorder::default(),
            t0: Instant::now(),
            elapsed: Duration::ZERO,
            path,
            market,
        }
    }

    fn now(&self) -> Timestamp {
        let nanos = u64::try_from(self.elapsed.as_nanos()).unwrap();
        Timestamp::new(self.t0 + self.elapsed, 1_700_000_000_000_000_000 + nanos)
    }

    fn advance(&mut self, ms: u64) {
        self.elapsed += Duration::from_millis(ms);
        let now = self.now();
        self.sync.on_tick(now, &mut self.out);
    }

    fn track(&mut self, symbol: &str) {
        let sub = self.sync.track(sym(symbol), &mut self.sink);
        assert_eq!(sub.channel(), self.market.order_book_update());
    }

    fn ack(&mut self, symbol: &str) {
        let now = self.now();
        self.sync
            .on_subscribed(sym(symbol), now, &mut self.out, &mut self.sink);
    }

    fn requests(&mut self) -> Vec<RestRequest> {
        self.out.drain_rest().collect()
    }

    fn one_request(&mut self) -> RestRequest {
        let mut requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        requests.remove(0)
    }

    fn reply(
        &mut self,
        request: &RestRequest,
        status: u16,
        retry_after: Option<u64>,
        body: &str,
    ) -> bool {
        let response = RestResponse {
            id: request.id,
            result: Ok(RestReply {
                status,
                retry_after: retry_after.map(Duration::from_secs),
                body: body.as_bytes().to_vec().into(),
            }),
        };
        let now = self.now();
        self.sync
            .on_rest_response(&response, now, &mut self.out, &mut self.sink)
    }

    fn snapshot(
        &mut self,
        request: &RestRequest,
        id: u64,
        bids: &[(&str, &str)],
        asks: &[(&str, &str)],
    ) {
        let body = snapshot_body(self.market, id, bids, asks);
        assert!(self.reply(request, 200, None, &body));
    }

    fn push(&mut self, frame: &str) -> UpdateOutcome {
        let now = self.now();
        match self.path {
            Path::Fast => self
                .sync
                .on_frame(frame.as_bytes(), now, &mut self.out, &mut self.sink)
                .unwrap()
                .unwrap(),
            Path::Parsed => {
                let Message::OrderBookUpdate(update) = parse_frame(frame.as_bytes()).unwrap()
                else {
                    panic!("not a book update: {frame}");
                };
                self.sync
                    .on_update(&update, now, &mut self.out, &mut self.sink)
            }
        }
    }

    fn update(
        &mut self,
        symbol: &str,
        first: u64,
        last: u64,
        bids: &[(&str, &str)],
        asks: &[(&str, &str)],
    ) -> UpdateOutcome {
        let frame = update_frame(self.market, symbol, Some(first), last, false, bids, asks);
        self.push(&frame)
    }

    fn full(
        &mut self,
        symbol: &str,
        last: u64,
        bids: &[(&str, &str)],
        asks: &[(&str, &str)],
    ) -> UpdateOutcome {
        let frame = update_frame(self.market, symbol, Some(last), last, true, bids, asks);
        self.push(&frame)
    }

    fn status(&self, symbol: &str) -> BookStatus {
        self.sync.status(sym(symbol)).unwrap()
    }

    fn book(&self, symbol: &str) -> &OrderBook {
        self.sync.book(sym(symbol)).unwrap()
    }

    fn levels(&self, symbol: &str, side: Side) -> Vec<(Price, Quantity)> {
        self.book(symbol)
            .levels(side)
            .map(|l| (l.price, l.quantity))
            .collect()
    }

    /// Loads snapshot `id` with nothing buffered to check it: neither live nor handed out
    /// until the (empty) push `id + 1` continues it, live after it.
    fn checked_snapshot(
        &mut self,
        symbol: &str,
        request: &RestRequest,
        id: u64,
        bids: &[(&str, &str)],
        asks: &[(&str, &str)],
    ) {
        let status = self.status(symbol);
        let updates = self.sink.updates.len();
        self.snapshot(request, id, bids, asks);
        assert_ne!(status, BookStatus::Live);
        assert_eq!(
            self.status(symbol),
            status,
            "an unchecked snapshot is not live"
        );
        assert_eq!(self.sink.updates.len(), updates, "nor handed out");
        assert_eq!(
            self.update(symbol, id + 1, id + 1, &[], &[]),
            UpdateOutcome::Applied
        );
        assert_eq!(self.status(symbol), BookStatus::Live);
        assert_eq!(self.sink.updates.len(), updates + 1);
    }

    /// Tracks, acks and loads a snapshot `id - 1` with bid 100 / ask 101, made live by the
    /// empty push `id`.
    fn live(&mut self, symbol: &str, id: u64) {
        self.track(symbol);
        self.ack(symbol);
        let request = self.one_request();
        self.checked_snapshot(
            symbol,
            &request,
            id - 1,
            &[("100", "1"), ("99", "2")],
            &[("101", "1"), ("102", "2")],
        );
        assert_eq!(self.book(symbol).update_id(), id);
        let last = *self.sink.updates.last().unwrap();
        assert_eq!(last.kind, BookUpdateKind::Snapshot);
        assert_eq!(last.last_update_id, id);
    }

    fn statuses_of(&self, symbol: &str) -> Vec<BookStatus> {
        self.sink
            .statuses
            .iter()
            .filter(|(s, _)| *s == sym(symbol))
            .map(|(_, status)| *status)
            .collect()
    }
}

fn levels_json(market: Market, levels: &[(&str, &str)]) -> String {
    let items: Vec<String> = levels
        .iter()
        .map(|(price, size)| match market {
            Market::Spot => format!(r#"["{price}","{size}"]"#),
            // Futures sizes as JSON integers, as documented (decimals become strings).
            Market::Futures
                if size.contains('.') || size.starts_with('-') && size.contains('.') =>
            {
                format!(r#"{{"p":"{price}","s":"{size}"}}"#)
            }
            Market::Futures => format!(r#"{{"p":"{price}","s":{size}}}"#),
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn update_frame(
    market: Market,
    symbol: &str,
    first: Option<u64>,
    last: u64,
    full: bool,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> String {
    let channel = market.order_book_update();
    let full = if full { r#""full":true,"# } else { "" };
    let first = first.map(|u| format!(r#""U":{u},"#)).unwrap_or_default();
    format!(
        r#"{{"time":1606294781,"time_ms":1606294781236,"channel":"{channel}","event":"update","result":{{"t":{last},{full}"s":"{symbol}",{first}"u":{last},"b":{},"a":{},"l":"20"}}}}"#,
        levels_json(market, bids),
        levels_json(market, asks)
    )
}

fn snapshot_body(market: Market, id: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> String {
    format!(
        r#"{{"id":{id},"current":1623898993123,"update":1623898993121,"asks":{},"bids":{}}}"#,
        levels_json(market, asks),
        levels_json(market, bids)
    )
}

#[test]
fn clean_sync_buffers_from_the_ack_and_aligns_by_id() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.track("BTC_USDT");
        assert_eq!(h.status("BTC_USDT"), BookStatus::Syncing);
        assert!(h.requests().is_empty(), "nothing before the ack");
        h.ack("BTC_USDT");
        let request = h.one_request();
        assert_eq!(
            request.url,
            "http://127.0.0.1:2/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=20&with_id=true"
        );
        assert_eq!(request.method, ws_core::RestMethod::Get);
        // Buffered while the snapshot is in flight: one too old, one straddling, one after.
        assert_eq!(
            h.update("BTC_USDT", 8, 9, &[("1", "1")], &[]),
            UpdateOutcome::Buffered
        );
        assert_eq!(
            h.update("BTC_USDT", 10, 11, &[("100", "5")], &[]),
            UpdateOutcome::Buffered
        );
        assert_eq!(
            h.update("BTC_USDT", 12, 13, &[], &[("101", "0"), ("101.5", "3")]),
            UpdateOutcome::Buffered
        );
        h.snapshot(
            &request,
            10,
            &[("100", "1"), ("99", "2")],
            &[("101", "1"), ("102", "2")],
        );
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
        assert_eq!(h.book("BTC_USDT").update_id(), 13);
        assert_eq!(
            h.levels("BTC_USDT", Side::Buy),
            [(p("100"), q("5")), (p("99"), q("2"))]
        );
        assert_eq!(
            h.levels("BTC_USDT", Side::Sell),
            [(p("101.5"), q("3")), (p("102"), q("2"))]
        );
        assert_eq!(
            h.statuses_of("BTC_USDT"),
            [BookStatus::Syncing, BookStatus::Live]
        );
        let first = h.sink.updates[0];
        assert_eq!(first.kind, BookUpdateKind::Snapshot);
        assert_eq!((first.first_update_id, first.last_update_id), (10, 13));

        assert_eq!(
            h.update("BTC_USDT", 14, 15, &[("100.5", "1")], &[]),
            UpdateOutcome::Applied
        );
        let last = *h.sink.updates.last().unwrap();
        assert_eq!(last.kind, BookUpdateKind::Delta);
        assert_eq!((last.first_update_id, last.last_update_id), (14, 15));
        assert_eq!(last.exchange_time_ms, 15);
        assert_eq!(
            h.sink.tops.last().unwrap(),
            &(Some(p("100.5")), Some(p("101.5")))
        );
        let stats = h.sync.stats();
        assert_eq!(
            (stats.buffered, stats.applied, stats.snapshots_applied),
            (3, 1, 1),
            "{path:?}"
        );
    }
}

#[test]
fn stale_snapshot_is_fetched_again_after_a_backoff() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.track("BTC_USDT");
        h.ack("BTC_USDT");
        let request = h.one_request();
        h.update("BTC_USDT", 20, 21, &[("100", "4")], &[]);
        h.update("BTC_USDT", 22, 23, &[("100", "6")], &[]);
        h.snapshot(&request, 10, &[("100", "1")], &[("101", "1")]);
        assert_eq!(
            h.status("BTC_USDT"),
            BookStatus::Resyncing(ResyncReason::StaleSnapshot)
        );
        assert!(h.book("BTC_USDT").is_empty());
        assert_eq!(h.sync.stats().stale_snapshots, 1);
        h.advance(249);
        assert!(h.requests().is_empty(), "backoff not over");
        assert_eq!(
            h.sync.next_deadline(),
            Some(h.t0 + Duration::from_millis(250))
        );
        h.advance(1);
        let retry = h.one_request();
        // The buffer was kept: the newer snapshot lines up with it.
        h.snapshot(&retry, 21, &[("100", "9")], &[("101", "1")]);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
        assert_eq!(h.book("BTC_USDT").update_id(), 23);
        assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("100"), q("6"))]);
        assert_eq!(
            h.statuses_of("BTC_USDT"),
            [
                BookStatus::Syncing,
                BookStatus::Resyncing(ResyncReason::StaleSnapshot),
                BookStatus::Live
            ]
        );
    }
}

#[test]
fn gap_resyncs_only_that_symbol_from_an_empty_book() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.live("BTC_USDT", 10);
        h.live("ETH_USDT", 50);
        h.update("ETH_USDT", 51, 52, &[("99.5", "1")], &[]);
        let eth_before = h.book("ETH_USDT").clone();
        let outcome = h.update("BTC_USDT", 13, 14, &[("100", "1")], &[]);
        let gap = ResyncReason::Gap {
            expected: 11,
            received: 13,
        };
        assert_eq!(outcome, UpdateOutcome::Resync(gap));
        assert_eq!(h.status("BTC_USDT"), BookStatus::Resyncing(gap));
        assert!(h.book("BTC_USDT").is_empty(), "no ghost levels");
        let request = h.one_request();
        assert!(request.url.contains("currency_pair=BTC_USDT"));
        // The other book is untouched and still live.
        assert_eq!(h.status("ETH_USDT"), BookStatus::Live);
        assert_eq!(h.book("ETH_USDT"), &eth_before);
        assert_eq!(
            h.update("ETH_USDT", 53, 53, &[], &[]),
            UpdateOutcome::Applied
        );
        // Pushes for the resyncing symbol are buffered again, and it recovers.
        assert_eq!(
            h.update("BTC_USDT", 15, 16, &[("98", "1")], &[]),
            UpdateOutcome::Buffered
        );
        h.snapshot(&request, 15, &[("97", "1")], &[("103", "1")]);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
        assert_eq!(
            h.levels("BTC_USDT", Side::Buy),
            [(p("98"), q("1")), (p("97"), q("1"))]
        );
        assert_eq!(h.sync.stats().gaps, 1);
    }
}

#[test]
fn old_pushes_are_skipped_and_overlaps_applied() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.live("BTC_USDT", 10);
        assert_eq!(
            h.update("BTC_USDT", 11, 13, &[("100", "3")], &[]),
            UpdateOutcome::Applied
        );
        let before = h.book("BTC_USDT").clone();
        assert_eq!(
            h.update("BTC_USDT", 12, 13, &[("100", "7")], &[]),
            UpdateOutcome::Duplicate
        );
        assert_eq!(
            h.update("BTC_USDT", 5, 6, &[("100", "8")], &[]),
            UpdateOutcome::Duplicate
        );
        assert_eq!(h.book("BTC_USDT"), &before);
        assert_eq!(h.sync.stats().duplicates, 2);
        // U <= last < u: the venue's SDK applies it (absolute amounts), so do we.
        assert_eq!(
            h.update("BTC_USDT", 12, 15, &[("100", "4")], &[]),
            UpdateOutcome::Applied
        );
        assert_eq!(h.book("BTC_USDT").update_id(), 15);
        assert_eq!(h.levels("BTC_USDT", Side::Buy)[0], (p("100"), q("4")));
        assert_eq!(h.sync.stats().overlaps, 1);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
    }
}

#[test]
fn crossed_book_resyncs_from_empty_without_ghost_levels() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.live("BTC_USDT", 10);
        h.update("BTC_USDT", 11, 11, &[("98", "5")], &[("150", "1")]);
        let outcome = h.update("BTC_USDT", 12, 12, &[("101.5", "1")], &[]);
        assert_eq!(outcome, UpdateOutcome::Resync(ResyncReason::Crossed));
        assert_eq!(
            h.status("BTC_USDT"),
            BookStatus::Resyncing(ResyncReason::Crossed)
        );
        assert!(h.book("BTC_USDT").is_empty());
        assert_eq!(h.book("BTC_USDT").update_id(), 0);
        let request = h.one_request();
        h.snapshot(&request, 20, &[("100", "1")], &[("101", "1")]);
        // Exactly the new snapshot: nothing from before (98, 150, 99, 102) survives.
        assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("100"), q("1"))]);
        assert_eq!(h.levels("BTC_USDT", Side::Sell), [(p("101"), q("1"))]);
        assert_eq!(h.sync.stats().crossed, 1);
    }
}

#[test]
fn non_positive_sizes_resync() {
    for path in PATHS {
        // A zero (or negative) level in a snapshot: the snapshot is refused, retried later.
        let mut h = Harness::new(Market::Spot, path);
        h.track("BTC_USDT");
        h.ack("BTC_USDT");
        let request = h.one_request();
        h.snapshot(&request, 10, &[("100", "0")], &[("101", "1")]);
        assert_eq!(
            h.status("BTC_USDT"),
            BookStatus::Resyncing(ResyncReason::NonPositiveQuantity)
        );
        assert!(h.book("BTC_USDT").is_empty());
        h.advance(250);
        let retry = h.one_request();
        h.checked_snapshot("BTC_USDT", &retry, 10, &[("100", "1")], &[("101", "1")]);

        // A negative size in a push.
        let outcome = h.update("BTC_USDT", 12, 12, &[("99.5", "-1")], &[]);
        assert_eq!(
            outcome,
            UpdateOutcome::Resync(ResyncReason::NonPositiveQuantity)
        );
        assert!(h.book("BTC_USDT").is_empty());
        assert_eq!(h.requests().len(), 1);
    }
}

#[test]
fn full_pushes_replace_the_book_whatever_the_ids() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.live("BTC_USDT", 10);
        h.update("BTC_USDT", 11, 11, &[("98", "5")], &[("103", "1")]);
        let outcome = h.full("BTC_USDT", 5_000, &[("200", "1")], &[("201", "2")]);
        assert_eq!(outcome, UpdateOutcome::Replaced);
        assert_eq!(h.book("BTC_USDT").update_id(), 5_000);
        assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("200"), q("1"))]);
        assert_eq!(h.levels("BTC_USDT", Side::Sell), [(p("201"), q("2"))]);
        let last = *h.sink.updates.last().unwrap();
        assert_eq!(last.kind, BookUpdateKind::Snapshot);
        assert_eq!(
            h.update("BTC_USDT", 5_001, 5_001, &[("199", "1")], &[]),
            UpdateOutcome::Applied
        );
        // A full push with an older id still replaces and resets the id.
        assert_eq!(
            h.full("BTC_USDT", 7, &[("50", "1")], &[("51", "1")]),
            UpdateOutcome::Replaced
        );
        assert_eq!(h.book("BTC_USDT").update_id(), 7);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
    }
}

#[test]
fn full_push_while_syncing_makes_the_book_live() {
    for market in [Market::Spot, Market::Futures] {
        for path in PATHS {
            let mut h = Harness::new(market, path);
            h.track("BTC_USDT");
            h.ack("BTC_USDT");
            let request = h.one_request();
            h.update("BTC_USDT", 3, 4, &[("1", "1")], &[]);
            assert_eq!(
                h.full("BTC_USDT", 10, &[("100", "1")], &[("101", "1")]),
                UpdateOutcome::Replaced
            );
            assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
            assert_eq!(h.book("BTC_USDT").update_id(), 10);
            assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("100"), q("1"))]);
            // The snapshot that was in flight lands later and is ignored.
            h.snapshot(&request, 2, &[("5", "5")], &[("6", "6")]);
            assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("100"), q("1"))]);
            assert_eq!(h.book("BTC_USDT").update_id(), 10);
            assert_eq!(
                h.update("BTC_USDT", 11, 12, &[], &[("101", "3")]),
                UpdateOutcome::Applied
            );
        }
    }
}

#[test]
fn futures_empty_update_advances_the_id() {
    for path in PATHS {
        let mut h = Harness::new(Market::Futures, path);
        h.track("BTC_USDT");
        h.ack("BTC_USDT");
        let request = h.one_request();
        assert_eq!(
            request.url,
            "http://127.0.0.1:2/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=20&with_id=true"
        );
        h.snapshot(&request, 10, &[("100", "150")], &[("101", "40")]);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Syncing, "unchecked");
        assert!(h.sink.updates.is_empty());
        // The empty push continuing the snapshot makes it live.
        assert_eq!(
            h.update("BTC_USDT", 11, 12, &[], &[]),
            UpdateOutcome::Applied
        );
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
        assert_eq!(h.book("BTC_USDT").update_id(), 12);
        // Integer and decimal-string sizes both apply.
        assert_eq!(
            h.update("BTC_USDT", 13, 13, &[("100", "5116.8")], &[("101", "0")]),
            UpdateOutcome::Applied
        );
        assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("100"), q("5116.8"))]);
        assert!(h.levels("BTC_USDT", Side::Sell).is_empty());
    }
}

#[test]
fn rate_limited_snapshot_honours_retry_after() {
    let mut h = Harness::new(Market::Spot, Path::Fast);
    h.track("BTC_USDT");
    h.ack("BTC_USDT");
    let request = h.one_request();
    assert!(h.reply(&request, 429, Some(5), "{}"));
    assert_eq!(
        h.status("BTC_USDT"),
        BookStatus::Resyncing(ResyncReason::SnapshotFailed)
    );
    assert_eq!(h.sync.stats().rate_limited, 1);
    h.advance(4_999);
    assert!(h.requests().is_empty(), "Retry-After is 5 s");
    h.advance(1);
    let retry = h.one_request();
    // Without Retry-After the backoff doubles: 500 ms after the second failure.
    assert!(h.reply(&retry, 429, None, ""));
    h.advance(499);
    assert!(h.requests().is_empty());
    h.advance(1);
    let retry = h.one_request();
    h.checked_snapshot("BTC_USDT", &retry, 1, &[("100", "1")], &[("101", "1")]);
}

#[test]
fn other_snapshot_failures_back_off_and_report() {
    let mut h = Harness::new(Market::Spot, Path::Fast);
    h.track("BTC_USDT");
    h.ack("BTC_USDT");
    let request = h.one_request();
    assert!(h.reply(&request, 503, None, "busy"));
    assert_eq!(
        h.status("BTC_USDT"),
        BookStatus::Resyncing(ResyncReason::SnapshotFailed)
    );
    h.advance(250);
    let request = h.one_request();
    // A transport failure counts the same.
    let now = h.now();
    let failure = RestResponse {
        id: request.id,
        result: Err(RestFailure::Transport("reset".into())),
    };
    assert!(
        h.sync
            .on_rest_response(&failure, now, &mut h.out, &mut h.sink)
    );
    h.advance(499);
    assert!(h.requests().is_empty());
    h.advance(1);
    let request = h.one_request();
    // An undecodable body too.
    assert!(h.reply(&request, 200, None, "<html>"));
    h.advance(1_000);
    let request = h.one_request();
    h.checked_snapshot("BTC_USDT", &request, 1, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.sync.stats().snapshot_failures, 3);
    // Answers to requests that are not ours are left alone.
    let foreign = RestResponse {
        id: ws_core::RestRequestId(7),
        result: Err(RestFailure::Overloaded),
    };
    let now = h.now();
    assert!(
        !h.sync
            .on_rest_response(&foreign, now, &mut h.out, &mut h.sink)
    );
}

#[test]
fn buffer_overflow_restarts_the_sync() {
    let mut h = Harness::with(Market::Spot, Path::Fast, |c| c.buffer_capacity = 3);
    h.track("BTC_USDT");
    h.ack("BTC_USDT");
    let request = h.one_request();
    for i in 0..3 {
        assert_eq!(
            h.update("BTC_USDT", 20 + i, 20 + i, &[], &[]),
            UpdateOutcome::Buffered
        );
    }
    let outcome = h.update("BTC_USDT", 23, 23, &[("100", "2")], &[]);
    assert_eq!(outcome, UpdateOutcome::Resync(ResyncReason::BufferOverflow));
    assert_eq!(
        h.status("BTC_USDT"),
        BookStatus::Resyncing(ResyncReason::BufferOverflow)
    );
    assert_eq!(h.sync.stats().buffer_overflows, 1);
    // The old request is abandoned: its answer changes nothing.
    h.snapshot(&request, 22, &[("1", "1")], &[("2", "1")]);
    assert_eq!(
        h.status("BTC_USDT"),
        BookStatus::Resyncing(ResyncReason::BufferOverflow)
    );
    assert!(h.book("BTC_USDT").is_empty());
    // A fresh request after the backoff; the overflowing push is the first buffered one.
    h.advance(250);
    let request = h.one_request();
    h.snapshot(&request, 22, &[("100", "1")], &[("101", "1")]);
    assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
    assert_eq!(h.book("BTC_USDT").update_id(), 23);
    assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("100"), q("2"))]);
}

#[test]
fn user_requested_resync() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.live("BTC_USDT", 10);
        h.live("ETH_USDT", 10);
        let now = h.now();
        assert!(h.sync.resync(sym("BTC_USDT"), now, &mut h.out, &mut h.sink));
        assert!(!h.sync.resync(sym("XRP_USDT"), now, &mut h.out, &mut h.sink));
        assert_eq!(
            h.status("BTC_USDT"),
            BookStatus::Resyncing(ResyncReason::UserRequested)
        );
        assert!(h.book("BTC_USDT").is_empty());
        assert_eq!(h.status("ETH_USDT"), BookStatus::Live);
        let request = h.one_request();
        h.update("BTC_USDT", 11, 12, &[("100", "9")], &[]);
        h.snapshot(&request, 11, &[("100", "1")], &[("101", "1")]);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
        assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("100"), q("9"))]);
    }
}

#[test]
fn reconnect_sends_every_book_back_to_syncing() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.live("BTC_USDT", 10);
        h.track("ETH_USDT");
        h.ack("ETH_USDT");
        let pending = h.one_request();
        h.sync.on_disconnected(&mut h.sink);
        assert!(h.book("BTC_USDT").is_empty());
        assert_eq!(
            h.status("BTC_USDT"),
            BookStatus::Resyncing(ResyncReason::Reconnected)
        );
        // A book that never went live stays `Syncing`.
        assert_eq!(h.status("ETH_USDT"), BookStatus::Syncing);
        // The snapshot requested on the old connection is ignored.
        h.snapshot(&pending, 10, &[("100", "1")], &[("101", "1")]);
        assert_eq!(h.status("ETH_USDT"), BookStatus::Syncing);
        // Nothing is requested before the new subscription is acknowledged.
        assert_eq!(
            h.update("BTC_USDT", 100, 101, &[("100", "1")], &[]),
            UpdateOutcome::Buffered
        );
        assert!(h.requests().is_empty());
        h.ack("BTC_USDT");
        h.ack("ETH_USDT");
        let requests = h.requests();
        assert_eq!(requests.len(), 2);
        h.snapshot(&requests[0], 100, &[("100", "4")], &[("101", "1")]);
        assert_eq!(
            h.status("BTC_USDT"),
            BookStatus::Live,
            "checked by the buffer"
        );
        // Nothing buffered for ETH: live only once a push continues its snapshot.
        h.checked_snapshot("ETH_USDT", &requests[1], 7, &[("10", "4")], &[("11", "1")]);
        assert_eq!(h.book("BTC_USDT").update_id(), 101);
    }
}

#[test]
fn books_are_trimmed_to_the_stream_depth() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.live("BTC_USDT", 10);
        let prices: Vec<String> = (0..30).map(|i| format!("{}", 90 - i)).collect();
        let bids: Vec<(&str, &str)> = prices.iter().map(|p| (p.as_str(), "1")).collect();
        assert_eq!(
            h.update("BTC_USDT", 11, 11, &bids, &[]),
            UpdateOutcome::Applied
        );
        assert_eq!(h.book("BTC_USDT").depth(Side::Buy), 20);
        assert_eq!(h.book("BTC_USDT").best_bid().unwrap().price, p("100"));
    }
}

#[test]
fn untracked_pushes_are_ignored() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.live("BTC_USDT", 10);
        assert_eq!(
            h.update("DOGE_USDT", 1, 2, &[("1", "1")], &[]),
            UpdateOutcome::Untracked
        );
        // A push of another depth (a second subscription) is not mixed in.
        let frame = update_frame(
            Market::Spot,
            "BTC_USDT",
            Some(11),
            11,
            false,
            &[("1", "1")],
            &[],
        )
        .replace(r#","l":"20""#, "")
        .replace(r#""t":11,"#, r#""t":11,"l":"100","#);
        assert_eq!(h.push(&frame), UpdateOutcome::Untracked);
        assert_eq!(h.book("BTC_USDT").update_id(), 10);
        assert_eq!(h.sync.stats().untracked, 2);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
        // When `l` comes last (as futures send it), the single pass has already applied
        // the levels by the time it reads it: that book is thrown away instead.
        let frame = update_frame(
            Market::Spot,
            "BTC_USDT",
            Some(11),
            11,
            false,
            &[("1", "1")],
            &[],
        )
        .replace(r#""l":"20""#, r#""l":"100""#);
        let outcome = h.push(&frame);
        match path {
            Path::Parsed => assert_eq!(outcome, UpdateOutcome::Untracked),
            Path::Fast => {
                assert_eq!(outcome, UpdateOutcome::Resync(ResyncReason::InvalidUpdate));
                assert!(h.book("BTC_USDT").is_empty());
                assert_eq!(h.sync.stats().invalid_updates, 1);
                assert_eq!(h.sync.stats().gaps, 0);
            }
        }
    }
    // Frames of other channels are left to `parse_frame`.
    let mut h = Harness::new(Market::Spot, Path::Fast);
    h.live("BTC_USDT", 10);
    let now = h.now();
    for frame in [
        &br#"{"time":1,"channel":"spot.trades","event":"update","result":{}}"#[..],
        br#"{"time":1,"channel":"spot.order_book_update","event":"subscribe","result":{"status":"success"}}"#,
        br#"{"time":1,"channel":"futures.order_book_update","event":"update","result":{}}"#,
    ] {
        assert_eq!(h.sync.on_frame(frame, now, &mut h.out, &mut h.sink).unwrap(), None);
    }
    // An untrack drops the book; later pushes are ignored.
    assert!(h.sync.untrack(sym("BTC_USDT")).is_some());
    assert!(h.sync.book(sym("BTC_USDT")).is_none());
    assert_eq!(
        h.update("BTC_USDT", 11, 11, &[], &[]),
        UpdateOutcome::Untracked
    );
}

#[test]
fn a_push_broken_after_its_levels_restarts_the_symbol() {
    let mut h = Harness::new(Market::Spot, Path::Fast);
    h.live("BTC_USDT", 10);
    let now = h.now();
    // Valid levels, then a bad one: the first were applied already, so the book goes.
    let frame = br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":11,"u":12,"b":[["100","3"],["x","1"]],"a":[]}}"#;
    let error = h
        .sync
        .on_frame(frame, now, &mut h.out, &mut h.sink)
        .unwrap_err();
    assert!(error.is_decode());
    // Not a gap: nothing was lost on the wire, the venue sent a bad push.
    assert_eq!(
        h.status("BTC_USDT"),
        BookStatus::Resyncing(ResyncReason::InvalidUpdate)
    );
    assert!(h.book("BTC_USDT").is_empty());
    assert_eq!(h.requests().len(), 1);
    assert_eq!(h.sync.stats().invalid_updates, 1);
    assert_eq!(h.sync.stats().gaps, 0);
    // On the parsed path the same push is refused the same way.
    let mut h = Harness::new(Market::Spot, Path::Parsed);
    h.live("BTC_USDT", 10);
    let outcome = h.push(std::str::from_utf8(frame).unwrap());
    assert_eq!(outcome, UpdateOutcome::Resync(ResyncReason::InvalidUpdate));
    assert!(h.book("BTC_USDT").is_empty());
    assert_eq!(h.sync.stats().invalid_updates, 1);
}

#[test]
fn a_stale_snapshot_with_nothing_buffered_is_never_shown_live_and_restarts() {
    for path in PATHS {
        let mut h = Harness::new(Market::Spot, path);
        h.track("BTC_USDT");
        h.ack("BTC_USDT");
        let request = h.one_request();
        // Fetched at the ack, before any push: nothing checks it.
        h.snapshot(&request, 10, &[("100", "1")], &[("101", "1")]);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Syncing);
        assert!(
            h.sink.updates.is_empty(),
            "an unchecked book is not handed out"
        );
        // An older push is skipped; the snapshot is still unchecked.
        assert_eq!(
            h.update("BTC_USDT", 9, 10, &[("1", "1")], &[]),
            UpdateOutcome::Duplicate
        );
        assert_eq!(h.status("BTC_USDT"), BookStatus::Syncing);
        // The first newer push starts beyond id + 1: the snapshot was stale.
        let gap = ResyncReason::Gap {
            expected: 11,
            received: 15,
        };
        assert_eq!(
            h.update("BTC_USDT", 15, 16, &[("100", "7")], &[]),
            UpdateOutcome::Resync(gap)
        );
        assert_eq!(h.status("BTC_USDT"), BookStatus::Resyncing(gap));
        assert!(h.book("BTC_USDT").is_empty());
        assert!(
            h.sink.updates.is_empty(),
            "the stale book was never handed out"
        );
        assert!(
            !h.statuses_of("BTC_USDT").contains(&BookStatus::Live),
            "never shown live"
        );
        // Refetched; the push that revealed the gap starts the new buffer and checks it.
        let retry = h.one_request();
        h.snapshot(&retry, 15, &[("100", "1")], &[("101", "1")]);
        assert_eq!(h.status("BTC_USDT"), BookStatus::Live);
        assert_eq!(h.book("BTC_USDT").update_id(), 16);
        assert_eq!(h.levels("BTC_USDT", Side::Buy), [(p("100"), q("7"))]);
    }
}
