//! The generic machine alone, with a toy venue: strict `first == last + 1` continuity once
//! aligned (right after a snapshot: older pushes skipped, the first newer one may overlap
//! it, one starting after it means the snapshot was stale), snapshots whose body is just
//! the update id (bid 100, ask 101).

#![allow(clippy::unwrap_used, reason = "a failing test should fail loudly")]

use std::time::{Duration, Instant};

use market_types::{
    BookStatus, BookStatusEvent, BookUpdate, BookUpdateKind, OrderBook, Price, Quantity,
    ResyncReason, Side, Symbol, Venue,
};
use ws_session::{Outbox, RestReply, RestRequest, RestRequestId, RestResponse, Timestamp};

use super::*;

type Level = (Side, Price, Quantity);

struct Toy;

struct Push<'a> {
    first: u64,
    last: u64,
    levels: &'a [Level],
}

impl BookPush for Push<'_> {
    fn symbol(&self) -> Symbol {
        Symbol::new("BTCUSDT").unwrap()
    }
    fn first_id(&self) -> u64 {
        self.first
    }
    fn last_id(&self) -> u64 {
        self.last
    }
    fn time_ms(&self) -> u64 {
        self.last
    }
}

fn apply(book: &mut OrderBook, levels: &[Level]) -> Result<(), ResyncReason> {
    for &(side, price, quantity) in levels {
        book.apply(side, price, quantity)
            .map_err(|e| e.resync_reason())?;
    }
    Ok(())
}

impl BookVenue for Toy {
    type Push<'a> = Push<'a>;
    type Snapshot<'a> = u64;
    type Stored = Level;
    type DecodeError = ();
    const BACK_OFF_ON_BAD_DATA: bool = false;
    const REQUEST_ON_PUSH: bool = true;
    const REPORT_REPLAYED: bool = false;
    const RECONNECT_RESYNCS: bool = true;

    fn venue(&self) -> Venue {
        Venue::MexcSpot
    }
    fn snapshot_request(&self, symbol: Symbol, id: RestRequestId) -> RestRequest {
        RestRequest {
            id,
            method: ws_session::RestMethod::Get,
            url: format!("toy://{symbol}"),
            headers: Vec::new(),
            body: Vec::new().into(),
        }
    }
    fn parse_snapshot(&self, response: &RestResponse) -> Result<u64, SnapshotFailure> {
        let reply = response
            .result
            .as_ref()
            .map_err(|_| SnapshotFailure::Failed)?;
        if reply.status == 429 {
            return Err(SnapshotFailure::RateLimited(reply.retry_after));
        }
        let text = core::str::from_utf8(&reply.body).map_err(|_| SnapshotFailure::Failed)?;
        text.parse().map_err(|_| SnapshotFailure::Failed)
    }
    fn snapshot_ids(snapshot: &u64) -> (u64, u64) {
        (*snapshot, 0)
    }
    fn load_snapshot(book: &mut OrderBook, snapshot: &u64) -> Result<(), ResyncReason> {
        let levels = |price: &str| [(p(price), q("1"))];
        book.load_snapshot(levels("100"), levels("101"), *snapshot)
            .map_err(|e| e.resync_reason())
    }
    fn continuity(current: u64, first: u64, last: u64, aligned: bool) -> Continuity {
        let expected = current + 1;
        if !aligned {
            return if last <= current {
                Continuity::Skip
            } else if first <= expected {
                Continuity::Apply {
                    overlap: first < expected,
                }
            } else {
                Continuity::Break {
                    reason: ResyncReason::StaleSnapshot,
                    back_off: true,
                }
            };
        }
        if first == expected {
            Continuity::Apply { overlap: false }
        } else {
            Continuity::Break {
                reason: ResyncReason::Gap {
                    expected,
                    received: first,
                },
                back_off: false,
            }
        }
    }
    fn apply_push(book: &mut OrderBook, push: &Push<'_>) -> Result<(), Rejection<()>> {
        apply(book, push.levels).map_err(Rejection::Book)
    }
    fn stored_len(push: &Push<'_>) -> usize {
        push.levels.len()
    }
    fn store(push: &Push<'_>, into: &mut Vec<Level>) -> Result<(), ()> {
        into.extend_from_slice(push.levels);
        Ok(())
    }
    fn apply_stored(book: &mut OrderBook, stored: &[Level]) -> Result<(), ResyncReason> {
        apply(book, stored)
    }
}

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

fn bid(price: &str) -> Level {
    (Side::Buy, p(price), q("1"))
}

/// What the user was told.
#[derive(Default)]
struct Recorder {
    statuses: Vec<BookStatus>,
    updates: Vec<BookUpdate>,
}

impl BookSink for Recorder {
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        assert_eq!(book.update_id(), update.last_update_id);
        self.updates.push(*update);
    }
    fn status_changed(&mut self, event: BookStatusEvent) {
        self.statuses.push(event.status);
    }
}

struct Harness {
    sync: BookSync<Toy>,
    out: Outbox,
    now: Timestamp,
    told: Recorder,
}

impl Harness {
    fn new(tweak: impl FnOnce(&mut SyncSettings)) -> Harness {
        let mut settings = SyncSettings {
            depth: 2,
            book_capacity: 8,
            max_buffered_pushes: 8,
            max_buffered_items: 64,
            snapshot_after_quiet: Duration::from_secs(2),
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            forget_failures_after: Duration::ZERO,
            first_request_id: 100,
        };
        tweak(&mut settings);
        let mut sync = BookSync::new(Toy, settings);
        assert!(sync.track(Symbol::new("BTCUSDT").unwrap(), &mut ()));
        Harness {
            sync,
            out: Outbox::new(),
            now: Timestamp::new(Instant::now(), 0),
            told: Recorder::default(),
        }
    }

    fn push(&mut self, first: u64, last: u64, levels: &[Level]) -> UpdateOutcome {
        let push = Push {
            first,
            last,
            levels,
        };
        self.sync
            .on_push(&push, self.now, &mut self.out, &mut self.told)
            .unwrap()
    }

    fn snapshot(&mut self, id: u64) {
        let requests: Vec<RestRequest> = self.out.drain_rest().collect();
        assert_eq!(requests.len(), 1);
        let response = RestResponse {
            id: requests[0].id,
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: id.to_string().into_bytes().into(),
            }),
        };
        assert!(
            self.sync
                .on_rest_response(&response, self.now, &mut self.out, &mut self.told)
        );
    }

    /// Subscribed, then the quiet period passes with nothing pushed: the snapshot is due.
    fn quiet_until_due(&mut self) {
        self.sync.note_subscribed(symbol(), self.now);
        self.wait(Duration::from_secs(2));
        self.sync.on_tick(self.now, &mut self.out);
    }

    fn wait(&mut self, by: Duration) {
        self.now = Timestamp::new(self.now.monotonic + by, 0);
    }

    fn status(&self) -> BookStatus {
        self.sync.status(symbol()).unwrap()
    }

    fn book(&self) -> &OrderBook {
        self.sync.book(Symbol::new("BTCUSDT").unwrap()).unwrap()
    }
}

#[test]
fn books_are_trimmed_to_the_configured_depth() {
    let mut h = Harness::new(|_| {});
    let deep = [bid("99"), bid("98"), bid("97")];
    assert_eq!(h.push(5, 5, &deep), UpdateOutcome::Buffered);
    h.snapshot(4);
    assert_eq!(h.book().update_id(), 5);
    assert_eq!(h.book().depth(Side::Buy), 2, "trimmed after the replay");
    assert_eq!(
        h.push(6, 6, &[bid("99.5"), bid("96")]),
        UpdateOutcome::Applied
    );
    let bids: Vec<Price> = h.book().bids().map(|l| l.price).collect();
    assert_eq!(bids, [p("100"), p("99.5")]);
    let stats = h.sync.stats();
    assert_eq!((stats.buffered, stats.replayed, stats.applied), (1, 1, 1));
}

#[test]
fn a_gap_restarts_from_an_empty_book_and_the_push_starts_the_new_buffer() {
    let mut h = Harness::new(|_| {});
    h.push(5, 5, &[]);
    h.snapshot(4);
    let gap = ResyncReason::Gap {
        expected: 6,
        received: 8,
    };
    assert_eq!(h.push(8, 8, &[bid("99")]), UpdateOutcome::Resync(gap));
    assert!(h.book().is_empty());
    let symbol = Symbol::new("BTCUSDT").unwrap();
    assert_eq!(h.sync.status(symbol), Some(BookStatus::Resyncing(gap)));
    h.snapshot(7);
    assert_eq!(h.sync.status(symbol), Some(BookStatus::Live));
    assert_eq!(h.book().update_id(), 8);
    assert_eq!(h.sync.stats().gaps, 1);
}

#[test]
fn a_full_buffer_restarts_after_a_backoff() {
    let mut h = Harness::new(|s| s.max_buffered_pushes = 1);
    h.push(5, 5, &[]);
    let first: Vec<RestRequest> = h.out.drain_rest().collect();
    assert_eq!(first.len(), 1);
    let overflow = ResyncReason::BufferOverflow;
    assert_eq!(h.push(6, 6, &[]), UpdateOutcome::Resync(overflow));
    h.sync.on_tick(h.now, &mut h.out);
    assert_eq!(h.out.drain_rest().count(), 0, "backing off");
    h.now = Timestamp::new(h.now.monotonic + Duration::from_millis(250), 0);
    h.sync.on_tick(h.now, &mut h.out);
    h.snapshot(5);
    assert_eq!(h.book().update_id(), 6);
    assert_eq!(h.sync.stats().buffer_overflows, 1);
}

#[test]
fn a_huge_retry_after_is_capped_instead_of_overflowing_the_clock() {
    let mut h = Harness::new(|_| {});
    h.push(5, 5, &[]);
    let requests: Vec<RestRequest> = h.out.drain_rest().collect();
    assert_eq!(requests.len(), 1);
    let limited = RestResponse {
        id: requests[0].id,
        result: Ok(RestReply {
            status: 429,
            retry_after: Some(Duration::from_secs(u64::MAX)),
            body: Vec::new().into(),
        }),
    };
    assert!(
        h.sync
            .on_rest_response(&limited, h.now, &mut h.out, &mut ())
    );
    assert_eq!(h.sync.stats().rate_limited, 1);
    h.sync.on_tick(h.now, &mut h.out);
    assert_eq!(h.out.drain_rest().count(), 0, "waiting out the Retry-After");
    // The wait is capped: a day later the snapshot is asked for again.
    h.now = Timestamp::new(
        h.now.monotonic + ws_session::MAX_RECONNECT_WAIT + Duration::from_secs(1),
        0,
    );
    h.sync.on_tick(h.now, &mut h.out);
    h.snapshot(4);
    assert_eq!(
        h.sync.status(Symbol::new("BTCUSDT").unwrap()),
        Some(BookStatus::Live)
    );
}

fn symbol() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

#[test]
fn a_snapshot_with_nothing_to_check_it_against_is_not_live_until_a_push_continues_it() {
    let mut h = Harness::new(|_| {});
    h.quiet_until_due();
    h.snapshot(10);
    assert_eq!(h.status(), BookStatus::Syncing, "unverified: not live");
    assert!(
        h.told.updates.is_empty(),
        "an unverified book is not handed out"
    );
    assert_eq!(h.book().update_id(), 10, "the snapshot is loaded meanwhile");
    assert_eq!(h.push(11, 12, &[bid("99")]), UpdateOutcome::Applied);
    assert_eq!(h.status(), BookStatus::Live);
    assert_eq!(h.book().update_id(), 12);
    assert_eq!(h.book().bids().count(), 2, "the push is in the book");
    // Reported as a snapshot that was loaded with one push replayed over it.
    let update = h.told.updates.last().unwrap();
    assert_eq!(update.kind, BookUpdateKind::Snapshot);
    assert_eq!((update.first_update_id, update.last_update_id), (10, 12));
    assert_eq!(h.told.statuses, [BookStatus::Live]);
    assert_eq!(
        h.push(13, 13, &[]),
        UpdateOutcome::Applied,
        "aligned from now on"
    );
}

#[test]
fn a_push_overlapping_the_unverified_snapshot_verifies_it() {
    let mut h = Harness::new(|_| {});
    h.quiet_until_due();
    h.snapshot(10);
    assert_eq!(h.push(9, 11, &[]), UpdateOutcome::Applied);
    assert_eq!(h.status(), BookStatus::Live);
    assert_eq!(h.book().update_id(), 11);
    assert_eq!(h.sync.stats().overlaps, 1);
}

#[test]
fn a_push_after_a_gap_proves_the_unverified_snapshot_stale() {
    let mut h = Harness::new(|_| {});
    h.quiet_until_due();
    h.snapshot(10);
    let stale = ResyncReason::StaleSnapshot;
    assert_eq!(h.push(15, 15, &[bid("99")]), UpdateOutcome::Resync(stale));
    assert_eq!(h.status(), BookStatus::Resyncing(stale));
    assert!(h.book().is_empty(), "no ghost of the stale snapshot");
    assert!(
        h.told.updates.is_empty(),
        "the stale book was never handed out"
    );
    // The push starts the new buffer; the next snapshot (after the backoff) is checked
    // against it.
    h.sync.on_tick(h.now, &mut h.out);
    assert_eq!(h.out.drain_rest().count(), 0, "backing off");
    h.wait(Duration::from_millis(250));
    h.sync.on_tick(h.now, &mut h.out);
    h.snapshot(14);
    assert_eq!(h.status(), BookStatus::Live);
    assert_eq!(h.book().update_id(), 15);
}

#[test]
fn pushes_older_than_the_unverified_snapshot_are_skipped_while_verifying() {
    let mut h = Harness::new(|_| {});
    h.quiet_until_due();
    h.snapshot(10);
    assert_eq!(h.push(8, 9, &[bid("99")]), UpdateOutcome::Duplicate);
    assert_eq!(h.push(10, 10, &[bid("99")]), UpdateOutcome::Duplicate);
    assert_eq!(h.status(), BookStatus::Syncing, "still unverified");
    assert_eq!(h.book().bids().count(), 1, "old levels not applied");
    assert_eq!(h.push(11, 11, &[]), UpdateOutcome::Applied);
    assert_eq!(h.status(), BookStatus::Live);
}

#[test]
fn a_resync_whose_snapshot_is_unverified_stays_resyncing_until_a_push_continues_it() {
    let mut h = Harness::new(|_| {});
    h.push(5, 5, &[]);
    h.snapshot(4);
    assert_eq!(h.status(), BookStatus::Live);
    assert!(h.sync.resync(symbol(), h.now, &mut h.out, &mut h.told));
    let requested = ResyncReason::UserRequested;
    h.wait(Duration::from_secs(2));
    h.sync.on_tick(h.now, &mut h.out);
    let updates = h.told.updates.len();
    h.snapshot(20);
    assert_eq!(h.status(), BookStatus::Resyncing(requested));
    assert_eq!(h.told.updates.len(), updates, "nothing handed out");
    assert_eq!(h.push(21, 21, &[]), UpdateOutcome::Applied);
    assert_eq!(h.status(), BookStatus::Live);
}

#[test]
fn a_snapshot_newer_than_every_buffered_push_is_live_at_once() {
    // The buffered push proves the snapshot is not older than the stream.
    let mut h = Harness::new(|_| {});
    h.push(5, 5, &[]);
    h.snapshot(7);
    assert_eq!(h.status(), BookStatus::Live);
    assert_eq!(h.book().update_id(), 7);
    assert_eq!(h.push(8, 8, &[]), UpdateOutcome::Applied);
}

#[test]
fn a_bad_push_over_the_unverified_snapshot_restarts_from_an_empty_book() {
    let mut h = Harness::new(|_| {});
    h.quiet_until_due();
    h.snapshot(10);
    let crossed = ResyncReason::Crossed;
    assert_eq!(
        h.push(11, 11, &[bid("102")]),
        UpdateOutcome::Resync(crossed)
    );
    assert_eq!(h.status(), BookStatus::Resyncing(crossed));
    assert!(h.book().is_empty());
    assert!(h.told.updates.is_empty(), "never handed out");
    // Waits for a push to check the next snapshot against, or the quiet period.
    assert_eq!(h.out.drain_rest().count(), 0);
    h.wait(Duration::from_secs(2));
    h.sync.on_tick(h.now, &mut h.out);
    assert_eq!(h.out.drain_rest().count(), 1);
}
