//! Local order books for `spot@public.aggre.depth.v3.api.pb@..@SYMBOL`, one per symbol
//! (spec §1.9), as a sans-IO state machine.
//!
//! Per symbol:
//!
//! 1. **Syncing.** Pushes are buffered (bounded; overflow restarts with
//!    [`ResyncReason::BufferOverflow`]). Buffered pushes are kept contiguous
//!    (`fromVersion == previous toVersion + 1`); a push that does not continue the buffer
//!    replaces it, since nothing before a hole can be used. The snapshot
//!    `GET /api/v3/depth?symbol=X&limit=L` is requested as soon as a push is buffered, or
//!    after [`BookSyncConfig::snapshot_after_quiet`] for a symbol that stays quiet.
//! 2. **Snapshot.** If `lastUpdateId + 1 < ` the first buffered `fromVersion`, the
//!    snapshot is stale and fetched again with backoff. (The venue text says
//!    `lastUpdateId < fromVersion`; `lastUpdateId + 1 == fromVersion` is exactly aligned,
//!    which its own step 4 accepts, so it is not refetched.) Otherwise the book is loaded
//!    from an empty state, buffered pushes with `toVersion <= lastUpdateId` are dropped,
//!    the first remaining one must have `fromVersion <= lastUpdateId + 1`, and the rest
//!    are replayed.
//! 3. **Live.** Every push must have `fromVersion == previous toVersion + 1`; right after a
//!    snapshot with nothing buffered, pushes up to the snapshot are dropped and the first
//!    newer one must start at or before `lastUpdateId + 1`.
//!
//! A gap, a crossed book, a negative quantity, a snapshot level that is not positive or a
//! push that fails to decode throws that symbol's book away: it restarts from an **empty**
//! book and the other symbols are untouched. A first gap refetches at once; failed, stale
//! or invalid snapshots, bad pushes and repeated failures back off exponentially (until
//! the book has stayed live for [`BookSyncConfig::forget_failures_after`]); HTTP 429/418
//! waits for `Retry-After` for every symbol, since the limit is per IP. Status changes
//! (`Syncing`, `Live`, `Resyncing(reason)`) and every applied update go to a statically
//! dispatched [`BookSink`].

use std::time::{Duration, Instant};

use market_types::{
    BookError, BookStatus, BookStatusEvent, BookUpdate, BookUpdateKind, OrderBook, ResyncReason,
    Symbol, Venue,
};
use ws_session::{Outbox, RestRequestId, RestResponse, Timestamp};

use crate::config::BookSyncConfig;
use crate::error::Error;
use crate::rest::{
    DEPTH, DepthSnapshot, check_reply, depth_snapshot_request, parse_depth_snapshot,
};
use crate::wire::{AggreDepths, DepthLevel, PushHeader};

/// Receives what book sync produces. Generic parameters, not trait objects, so the calls
/// are statically dispatched and can be inlined into the decode loop.
pub trait BookSink {
    /// `book` is the local book right after `update` was applied.
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate);
    /// A book became `Syncing`, `Live` or `Resyncing`.
    fn status_changed(&mut self, event: BookStatusEvent);
}

/// Discards everything (for callers that only read the books).
impl BookSink for () {
    fn book_updated(&mut self, _book: &OrderBook, _update: &BookUpdate) {}
    fn status_changed(&mut self, _event: BookStatusEvent) {}
}

/// The books of one connection.
#[derive(Debug)]
pub struct BookSync {
    shared: Shared,
    books: Vec<SymbolBook>,
}

/// Counters, read with [`BookSync::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookSyncStats {
    /// Snapshot requests queued.
    pub snapshots_requested: u64,
    /// Snapshots loaded into a book.
    pub snapshots_applied: u64,
    /// Snapshots that failed, were stale or invalid.
    pub snapshots_failed: u64,
    /// Books thrown away after being live or while syncing (gap, crossed, overflow, ...).
    pub resyncs: u64,
    /// Pushes applied to a book (live or replayed).
    pub pushes_applied: u64,
    /// Pushes buffered while syncing.
    pub pushes_buffered: u64,
    /// Pushes discarded: older than the snapshot, or before a hole in the buffer.
    pub pushes_dropped: u64,
    /// Answers to snapshot requests that had been superseded.
    pub stale_responses: u64,
}

impl BookSync {
    /// Books whose snapshots are fetched from `rest_url` (e.g. `https://api.mexc.com`).
    pub fn new(config: BookSyncConfig, rest_url: impl Into<String>) -> BookSync {
        BookSync {
            shared: Shared {
                next_request_id: config.first_request_id,
                config,
                rest_url: rest_url.into().trim_end_matches('/').to_string(),
                rate_limited_until: None,
                stats: BookSyncStats::default(),
            },
            books: Vec::new(),
        }
    }

    /// Starts keeping a book for `symbol` (status `Syncing`). Call it when the depth
    /// subscription is sent; doing so again is a no-op.
    pub fn track<S: BookSink>(&mut self, symbol: Symbol, now: Timestamp, sink: &mut S) {
        if self.index(symbol).is_some() {
            return;
        }
        let book = SymbolBook {
            symbol,
            book: OrderBook::with_capacity(symbol, self.shared.config.book_capacity),
            status: BookStatus::Syncing,
            phase: Phase::Syncing {
                request: None,
                quiet_deadline: Some(now.monotonic + self.shared.config.snapshot_after_quiet),
            },
            buffer: PushBuffer::default(),
            attempts: 0,
            retry_at: None,
            live_since: now.monotonic,
        };
        sink.status_changed(book.status_event());
        self.books.push(book);
    }

    /// Stops keeping the book of `symbol`. Returns whether it was tracked.
    pub fn untrack(&mut self, symbol: Symbol) -> bool {
        let before = self.books.len();
        self.books.retain(|book| book.symbol != symbol);
        self.books.len() != before
    }

    /// The depth subscription of `symbol` was confirmed (again, after a reconnect): a
    /// quiet symbol gets its snapshot after [`BookSyncConfig::snapshot_after_quiet`].
    pub fn on_subscribed(&mut self, symbol: Symbol, now: Timestamp) {
        let quiet = self.shared.config.snapshot_after_quiet;
        if let Some(book) = self.book_mut(symbol)
            && let Phase::Syncing {
                quiet_deadline: deadline @ None,
                ..
            } = &mut book.phase
        {
            *deadline = Some(now.monotonic + quiet);
        }
    }

    /// One `publicAggreDepths` push, from [`crate::decode_push`]. Live books are updated in
    /// place without allocating; syncing books buffer it.
    ///
    /// # Errors
    /// The push was not applied in sequence, and book sync has already reacted (the book
    /// restarts from empty): [`Error::BookResync`] for a gap, crossed book, negative
    /// quantity or buffer overflow; a decoding error for levels that do not decode.
    /// [`Error::UntrackedSymbol`] or [`Error::MissingSymbol`] when no book matches.
    pub fn on_depth<S: BookSink>(
        &mut self,
        header: &PushHeader<'_>,
        depth: &AggreDepths<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> Result<(), Error> {
        let symbol = header.symbol()?;
        let Some(index) = self.index(symbol) else {
            return Err(Error::UntrackedSymbol { symbol });
        };
        let Some(book) = self.books.get_mut(index) else {
            return Err(Error::UntrackedSymbol { symbol });
        };
        book.on_depth(
            &mut self.shared,
            depth,
            header.event_time_ms(),
            now,
            out,
            sink,
        )
    }

    /// An answer to a REST request. Returns `false` if the request was not book sync's
    /// (see [`BookSync::owns`]).
    pub fn on_rest_response<S: BookSink>(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> bool {
        if !self.owns(response.id) {
            return false;
        }
        let pending = self.books.iter_mut().find(|book| {
            matches!(book.phase, Phase::Syncing { request: Some(id), .. } if id == response.id)
        });
        match pending {
            Some(book) => book.on_snapshot(&mut self.shared, response, now, out, sink),
            None => self.shared.stats.stale_responses += 1,
        }
        true
    }

    /// Timers: requests snapshots whose backoff or quiet period has passed.
    pub fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        for book in &mut self.books {
            book.maybe_request(&mut self.shared, now, out);
        }
    }

    /// The connection is gone: every book is emptied and back to `Syncing`; answers to
    /// snapshot requests already sent will be ignored.
    pub fn on_disconnected<S: BookSink>(&mut self, sink: &mut S) {
        for book in &mut self.books {
            book.book.clear();
            book.buffer.clear();
            book.phase = Phase::Syncing {
                request: None,
                quiet_deadline: None,
            };
            book.attempts = 0;
            book.retry_at = None;
            book.set_status(BookStatus::Syncing, sink);
        }
    }

    /// Throws the book of `symbol` away and rebuilds it from a fresh snapshot
    /// (`Resyncing(UserRequested)`). Other symbols are untouched.
    ///
    /// # Errors
    /// [`Error::UntrackedSymbol`].
    pub fn resync<S: BookSink>(
        &mut self,
        symbol: Symbol,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> Result<(), Error> {
        let Some(index) = self.index(symbol) else {
            return Err(Error::UntrackedSymbol { symbol });
        };
        if let Some(book) = self.books.get_mut(index) {
            book.restart(
                &mut self.shared,
                ResyncReason::UserRequested,
                false,
                now,
                sink,
            );
            book.maybe_request(&mut self.shared, now, out);
        }
        Ok(())
    }

    /// Whether a REST request id belongs to book sync (ids from
    /// [`BookSyncConfig::first_request_id`] up).
    pub fn owns(&self, id: RestRequestId) -> bool {
        id.0 >= self.shared.config.first_request_id
    }

    /// The local book of `symbol`; only trustworthy while its status is `Live`.
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.books
            .iter()
            .find(|book| book.symbol == symbol)
            .map(|book| &book.book)
    }

    /// The status of `symbol`'s book.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        self.books
            .iter()
            .find(|book| book.symbol == symbol)
            .map(|book| book.status)
    }

    /// The tracked symbols.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.books.iter().map(|book| book.symbol)
    }

    /// Counters since creation.
    pub fn stats(&self) -> BookSyncStats {
        self.shared.stats
    }

    fn index(&self, symbol: Symbol) -> Option<usize> {
        self.books.iter().position(|book| book.symbol == symbol)
    }

    fn book_mut(&mut self, symbol: Symbol) -> Option<&mut SymbolBook> {
        self.books.iter_mut().find(|book| book.symbol == symbol)
    }
}

/// What every book shares: settings, the request-id counter, the per-IP rate limit.
#[derive(Debug)]
struct Shared {
    config: BookSyncConfig,
    rest_url: String,
    next_request_id: u64,
    rate_limited_until: Option<Instant>,
    stats: BookSyncStats,
}

impl Shared {
    fn backoff(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(20);
        self.config
            .retry_initial
            .saturating_mul(1 << exponent)
            .min(self.config.retry_max)
    }
}

#[derive(Debug)]
struct SymbolBook {
    symbol: Symbol,
    book: OrderBook,
    status: BookStatus,
    phase: Phase,
    buffer: PushBuffer,
    /// Recent failures (snapshots, resyncs); forgotten once the book has stayed live for
    /// [`BookSyncConfig::forget_failures_after`].
    attempts: u32,
    /// When the book last went live.
    live_since: Instant,
    /// No snapshot request before this.
    retry_at: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a usable snapshot.
    Syncing {
        /// The snapshot request in flight.
        request: Option<RestRequestId>,
        /// From then on a snapshot may be requested with nothing buffered.
        quiet_deadline: Option<Instant>,
    },
    /// The book follows the stream.
    Live {
        /// False right after a snapshot loaded with nothing buffered: the next push may
        /// overlap the snapshot instead of following it exactly.
        aligned: bool,
    },
}

/// Why a push could not be applied.
enum ApplyError {
    Decode(Error),
    Book(BookError),
    Crossed,
}

impl From<Error> for ApplyError {
    fn from(error: Error) -> ApplyError {
        ApplyError::Decode(error)
    }
}

impl SymbolBook {
    fn on_depth<S: BookSink>(
        &mut self,
        shared: &mut Shared,
        depth: &AggreDepths<'_>,
        time_ms: u64,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> Result<(), Error> {
        let (from, to) = (depth.from_version(), depth.to_version());
        let aligned = match self.phase {
            Phase::Syncing { .. } => {
                let buffered = self.enqueue(shared, depth, time_ms, now, sink);
                self.maybe_request(shared, now, out);
                return buffered;
            }
            Phase::Live { aligned } => aligned,
        };
        let version = self.book.update_id();
        if !aligned && to <= version {
            shared.stats.pushes_dropped += 1;
            return Ok(());
        }
        let continues = if aligned {
            from == version.saturating_add(1)
        } else {
            from <= version.saturating_add(1)
        };
        if !continues {
            let reason = if aligned {
                ResyncReason::Gap {
                    expected: version.saturating_add(1),
                    received: from,
                }
            } else {
                ResyncReason::StaleSnapshot
            };
            // An unaligned snapshot was too old: back off before the next one.
            self.restart(shared, reason, !aligned, now, sink);
            // The push that revealed the gap starts the new buffer.
            let buffered = self.enqueue(shared, depth, time_ms, now, sink);
            self.maybe_request(shared, now, out);
            buffered?;
            return Err(Error::BookResync {
                symbol: self.symbol,
                reason,
            });
        }
        match apply_push(&mut self.book, depth) {
            Ok(()) => {
                self.book.set_update_id(to);
                shared.stats.pushes_applied += 1;
                if !aligned {
                    self.phase = Phase::Live { aligned: true };
                }
                if self.attempts != 0
                    && now.monotonic.saturating_duration_since(self.live_since)
                        >= shared.config.forget_failures_after
                {
                    self.attempts = 0;
                    self.retry_at = None;
                }
                sink.book_updated(&self.book, &delta(self.symbol, from, to, time_ms));
                Ok(())
            }
            Err(error) => {
                let (reason, error) = self.apply_failure(error);
                // Bad data from the venue: do not hammer the snapshot endpoint.
                self.restart(shared, reason, true, now, sink);
                self.maybe_request(shared, now, out);
                Err(error)
            }
        }
    }

    /// Adds a push to the buffer while syncing.
    fn enqueue<S: BookSink>(
        &mut self,
        shared: &mut Shared,
        depth: &AggreDepths<'_>,
        time_ms: u64,
        now: Timestamp,
        sink: &mut S,
    ) -> Result<(), Error> {
        if let Some(last) = self.buffer.pushes.last()
            && depth.from_version() != last.to.saturating_add(1)
        {
            shared.stats.pushes_dropped += self.buffer.pushes.len() as u64;
            self.buffer.clear();
        }
        let levels = depth.ask_count() + depth.bid_count();
        if self.buffer.pushes.len() >= shared.config.max_buffered_pushes
            || self.buffer.levels.len() + levels > shared.config.max_buffered_levels
        {
            let reason = ResyncReason::BufferOverflow;
            self.restart(shared, reason, true, now, sink);
            return Err(Error::BookResync {
                symbol: self.symbol,
                reason,
            });
        }
        let start = self.buffer.levels.len();
        for level in depth.levels() {
            match level {
                Ok(level) => self.buffer.levels.push(level),
                Err(error) => {
                    // The push is lost, so everything buffered before it is useless.
                    self.buffer.levels.truncate(start);
                    shared.stats.pushes_dropped += self.buffer.pushes.len() as u64 + 1;
                    self.buffer.clear();
                    return Err(error);
                }
            }
        }
        self.buffer.pushes.push(BufferedPush {
            from: depth.from_version(),
            to: depth.to_version(),
            time_ms,
            start,
            end: self.buffer.levels.len(),
        });
        shared.stats.pushes_buffered += 1;
        Ok(())
    }

    fn on_snapshot<S: BookSink>(
        &mut self,
        shared: &mut Shared,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) {
        if let Phase::Syncing { request, .. } = &mut self.phase {
            *request = None;
        }
        let snapshot = match check_reply(DEPTH, &response.result).and_then(parse_depth_snapshot) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                let wait = match &error {
                    Error::RateLimited { retry_after, .. } => {
                        let wait = retry_after
                            .unwrap_or_else(|| shared.backoff(self.attempts.saturating_add(1)));
                        let until = now.monotonic + wait;
                        shared.rate_limited_until =
                            Some(shared.rate_limited_until.map_or(until, |t| t.max(until)));
                        Some(wait)
                    }
                    _ => None,
                };
                tracing::debug!(symbol = %self.symbol, %error, "depth snapshot failed");
                self.fail(shared, ResyncReason::SnapshotFailed, wait, now, sink);
                return;
            }
        };
        self.load(shared, &snapshot, now, sink);
        self.maybe_request(shared, now, out);
    }

    /// Loads a snapshot and replays the buffer on top of it.
    fn load<S: BookSink>(
        &mut self,
        shared: &mut Shared,
        snapshot: &DepthSnapshot,
        now: Timestamp,
        sink: &mut S,
    ) {
        let last_update_id = snapshot.last_update_id;
        if let Some(first) = self.buffer.pushes.first()
            && last_update_id.saturating_add(1) < first.from
        {
            self.fail(shared, ResyncReason::StaleSnapshot, None, now, sink);
            return;
        }
        if let Err(error) = self.book.load_snapshot(
            snapshot.bids.iter().copied(),
            snapshot.asks.iter().copied(),
            last_update_id,
        ) {
            self.fail(shared, error.resync_reason(), None, now, sink);
            return;
        }
        if self.book.is_crossed() {
            self.fail(shared, ResyncReason::Crossed, None, now, sink);
            return;
        }
        shared.stats.snapshots_applied += 1;
        sink.book_updated(
            &self.book,
            &BookUpdate {
                venue: Venue::MexcSpot,
                symbol: self.symbol,
                kind: BookUpdateKind::Snapshot,
                first_update_id: last_update_id,
                last_update_id,
                // The REST snapshot carries no venue time.
                exchange_time_ms: 0,
            },
        );
        let mut replayed = false;
        for index in 0..self.buffer.pushes.len() {
            let Some(push) = self.buffer.pushes.get(index).copied() else {
                break;
            };
            let version = self.book.update_id();
            if push.to <= version {
                shared.stats.pushes_dropped += 1;
                continue;
            }
            let continues = if replayed {
                push.from == version.saturating_add(1)
            } else {
                push.from <= version.saturating_add(1)
            };
            if !continues {
                // Unreachable while the buffer is kept contiguous; checked all the same.
                let reason = ResyncReason::Gap {
                    expected: version.saturating_add(1),
                    received: push.from,
                };
                self.restart(shared, reason, true, now, sink);
                return;
            }
            let levels = self
                .buffer
                .levels
                .get(push.start..push.end)
                .unwrap_or_default();
            if let Err(error) = apply_levels(&mut self.book, levels) {
                let (reason, _) = self.apply_failure(error);
                self.restart(shared, reason, true, now, sink);
                return;
            }
            self.book.set_update_id(push.to);
            shared.stats.pushes_applied += 1;
            replayed = true;
            sink.book_updated(
                &self.book,
                &delta(self.symbol, push.from, push.to, push.time_ms),
            );
        }
        self.buffer.clear();
        self.phase = Phase::Live { aligned: replayed };
        self.live_since = now.monotonic;
        self.set_status(BookStatus::Live, sink);
    }

    /// Queues the snapshot request if one is due and allowed.
    fn maybe_request(&mut self, shared: &mut Shared, now: Timestamp, out: &mut Outbox) {
        let Phase::Syncing {
            request: request @ None,
            quiet_deadline,
        } = &mut self.phase
        else {
            return;
        };
        let due = !self.buffer.pushes.is_empty()
            || quiet_deadline.is_some_and(|deadline| now.monotonic >= deadline);
        let allowed = self.retry_at.is_none_or(|at| now.monotonic >= at)
            && shared
                .rate_limited_until
                .is_none_or(|until| now.monotonic >= until);
        if !(due && allowed) {
            return;
        }
        let id = RestRequestId(shared.next_request_id);
        shared.next_request_id = shared
            .next_request_id
            .wrapping_add(1)
            .max(shared.config.first_request_id);
        out.rest(depth_snapshot_request(
            &shared.rest_url,
            self.symbol,
            shared.config.snapshot_depth,
            id,
        ));
        *request = Some(id);
        shared.stats.snapshots_requested += 1;
    }

    /// A snapshot was unusable: empty book, keep the buffer, retry after a backoff.
    fn fail<S: BookSink>(
        &mut self,
        shared: &mut Shared,
        reason: ResyncReason,
        wait: Option<Duration>,
        now: Timestamp,
        sink: &mut S,
    ) {
        shared.stats.snapshots_failed += 1;
        self.book.clear();
        self.attempts = self.attempts.saturating_add(1);
        let wait = wait.unwrap_or_else(|| shared.backoff(self.attempts));
        self.retry_at = Some(now.monotonic + wait);
        self.phase = Phase::Syncing {
            request: None,
            quiet_deadline: Some(now.monotonic),
        };
        self.set_status(BookStatus::Resyncing(reason), sink);
    }

    /// Throws the book and the buffer away and starts syncing again: at once for a first
    /// failure that is not the venue's data, after a growing backoff otherwise (or while
    /// earlier failures are not yet forgotten). Any snapshot in flight is ignored.
    fn restart<S: BookSink>(
        &mut self,
        shared: &mut Shared,
        reason: ResyncReason,
        back_off: bool,
        now: Timestamp,
        sink: &mut S,
    ) {
        tracing::debug!(symbol = %self.symbol, %reason, "book resync");
        shared.stats.resyncs += 1;
        self.book.clear();
        self.buffer.clear();
        let first = self.attempts == 0;
        self.attempts = self.attempts.saturating_add(1);
        self.retry_at = if back_off || !first {
            Some(now.monotonic + shared.backoff(self.attempts))
        } else {
            None
        };
        self.phase = Phase::Syncing {
            request: None,
            quiet_deadline: Some(now.monotonic),
        };
        self.set_status(BookStatus::Resyncing(reason), sink);
    }

    fn apply_failure(&self, error: ApplyError) -> (ResyncReason, Error) {
        match error {
            // Part of the push may already be in the book.
            ApplyError::Decode(error) => (ResyncReason::InvalidUpdate, error),
            ApplyError::Book(error) => {
                let reason = error.resync_reason();
                (reason, self.resync_error(reason))
            }
            ApplyError::Crossed => (
                ResyncReason::Crossed,
                self.resync_error(ResyncReason::Crossed),
            ),
        }
    }

    fn resync_error(&self, reason: ResyncReason) -> Error {
        Error::BookResync {
            symbol: self.symbol,
            reason,
        }
    }

    fn set_status<S: BookSink>(&mut self, status: BookStatus, sink: &mut S) {
        if self.status != status {
            self.status = status;
            sink.status_changed(self.status_event());
        }
    }

    fn status_event(&self) -> BookStatusEvent {
        BookStatusEvent {
            venue: Venue::MexcSpot,
            symbol: self.symbol,
            status: self.status,
        }
    }
}

/// Applies every level of a push straight from the frame, then checks the book.
#[inline]
fn apply_push(book: &mut OrderBook, depth: &AggreDepths<'_>) -> Result<(), ApplyError> {
    depth.for_each_level(|level| {
        book.apply(level.side, level.price, level.quantity)
            .map_err(ApplyError::Book)
    })?;
    if book.is_crossed() {
        return Err(ApplyError::Crossed);
    }
    Ok(())
}

fn apply_levels(book: &mut OrderBook, levels: &[DepthLevel]) -> Result<(), ApplyError> {
    for level in levels {
        book.apply(level.side, level.price, level.quantity)
            .map_err(ApplyError::Book)?;
    }
    if book.is_crossed() {
        return Err(ApplyError::Crossed);
    }
    Ok(())
}

#[inline]
fn delta(symbol: Symbol, from: u64, to: u64, time_ms: u64) -> BookUpdate {
    BookUpdate {
        venue: Venue::MexcSpot,
        symbol,
        kind: BookUpdateKind::Delta,
        first_update_id: from,
        last_update_id: to,
        exchange_time_ms: time_ms,
    }
}

/// Pushes buffered while syncing; levels of all pushes in one bounded `Vec`.
#[derive(Debug, Default)]
struct PushBuffer {
    pushes: Vec<BufferedPush>,
    levels: Vec<DepthLevel>,
}

impl PushBuffer {
    fn clear(&mut self) {
        self.pushes.clear();
        self.levels.clear();
    }
}

#[derive(Debug, Clone, Copy)]
struct BufferedPush {
    from: u64,
    to: u64,
    time_ms: u64,
    start: usize,
    end: usize,
}
