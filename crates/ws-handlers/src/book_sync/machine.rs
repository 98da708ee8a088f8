//! [`BookSync`]: the per-symbol books of one connection and their public entry points.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

use market_types::{BookStatus, BookStatusEvent, OrderBook, ResyncReason, Symbol, Venue};
use ws_session::{Outbox, RestRequestId, RestResponse, Timestamp};

use super::buffer::PushBuffer;
use super::settings::SyncSettings;
use super::sink::BookSink;
use super::stats::BookSyncStats;
use super::venue::{BookPush, BookVenue, Continuity, Rejection, SnapshotFailure};

/// What [`BookSync::on_push`] did with a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Applied to a live book.
    Applied,
    /// A full push replaced the book (it may have made it live).
    Replaced,
    /// Kept until the snapshot arrives.
    Buffered,
    /// Older than the book, skipped.
    Duplicate,
    /// The symbol was thrown away and is resyncing.
    Resync(ResyncReason),
    /// Not a tracked symbol (or, as the venue decides, another channel or depth).
    Untracked,
}

/// A live book that a push continues, handed to a venue's single-pass decoder by
/// [`BookSync::continuing`]; finish with [`BookSync::commit`] or [`BookSync::reject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveSlot {
    pub(super) index: usize,
    pub(super) overlap: bool,
}

/// Per-symbol local books, never silently wrong: the one venue-independent book-sync
/// state machine (see the module docs), parameterised by a [`BookVenue`].
#[derive(Debug)]
pub struct BookSync<V: BookVenue> {
    pub(super) venue: V,
    pub(super) venue_id: Venue,
    pub(super) settings: SyncSettings,
    pub(super) books: Vec<Entry<V::Stored>>,
    index: HashMap<Symbol, usize, BuildHasherDefault<SymbolHasher>>,
    pub(super) next_request: u64,
    /// No snapshot request for any symbol before this (rate limits are per IP).
    pub(super) rate_limited_until: Option<Instant>,
    pub(super) stats: BookSyncStats,
}

#[derive(Debug)]
pub(super) struct Entry<T> {
    pub(super) book: OrderBook,
    pub(super) status: BookStatus,
    pub(super) phase: Phase,
    /// Recent failures; forgotten once the book has stayed live long enough.
    pub(super) attempts: u32,
    /// No snapshot request before this.
    pub(super) retry_at: Option<Instant>,
    /// When the book last went live.
    pub(super) live_since: Option<Instant>,
    pub(super) buffer: PushBuffer<T>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for a usable snapshot.
    Syncing {
        /// The snapshot request in flight.
        request: Option<RestRequestId>,
        /// From then on a snapshot is due with nothing buffered (`None`: not before the
        /// subscription ack).
        due_at: Option<Instant>,
    },
    /// A snapshot is loaded that nothing buffered could check: it may be older than the
    /// stream, so the book is not reported (nor its status `Live`) until a push continues it.
    Verifying {
        /// The snapshot's venue time, for the report once it is verified.
        time_ms: u64,
    },
    /// The book follows the stream.
    Live {
        /// False right after a snapshot that had nothing buffered to replay.
        aligned: bool,
    },
}

impl<V: BookVenue> BookSync<V> {
    /// An empty sync; add symbols with [`BookSync::track`].
    pub fn new(venue: V, settings: SyncSettings) -> BookSync<V> {
        BookSync {
            venue_id: venue.venue(),
            venue,
            next_request: settings.first_request_id,
            settings,
            books: Vec::new(),
            index: HashMap::default(),
            rate_limited_until: None,
            stats: BookSyncStats::default(),
        }
    }

    /// The venue half.
    pub fn venue(&self) -> &V {
        &self.venue
    }

    /// The settings.
    pub fn settings(&self) -> &SyncSettings {
        &self.settings
    }

    /// Starts keeping a book for `symbol` (status `Syncing`). Returns `false` (and
    /// changes nothing) when it was tracked already.
    pub fn track(&mut self, symbol: Symbol, sink: &mut impl BookSink) -> bool {
        if self.index.contains_key(&symbol) {
            return false;
        }
        self.index.insert(symbol, self.books.len());
        self.books.push(Entry {
            book: OrderBook::with_capacity(symbol, self.settings.book_capacity),
            status: BookStatus::Syncing,
            phase: Phase::Syncing {
                request: None,
                due_at: None,
            },
            attempts: 0,
            retry_at: None,
            live_since: None,
            buffer: PushBuffer::default(),
        });
        sink.status_changed(BookStatusEvent {
            venue: self.venue_id,
            symbol,
            status: BookStatus::Syncing,
        });
        true
    }

    /// Stops keeping `symbol`'s book; `false` when it was not tracked. A snapshot still
    /// in flight is ignored when it lands.
    pub fn untrack(&mut self, symbol: Symbol) -> bool {
        let Some(index) = self.index.remove(&symbol) else {
            return false;
        };
        self.books.swap_remove(index);
        if let Some(moved) = self.books.get(index) {
            self.index.insert(moved.book.symbol(), index);
        }
        true
    }

    /// The subscription for `symbol` was confirmed: its snapshot is due after
    /// [`SyncSettings::snapshot_after_quiet`] (sooner once a push is buffered, when the
    /// venue says so). Requests nothing itself; see [`BookSync::on_subscribed`].
    pub fn note_subscribed(&mut self, symbol: Symbol, now: Timestamp) {
        let quiet = self.settings.snapshot_after_quiet;
        if let Some(entry) = self.entry_mut(symbol)
            && let Phase::Syncing {
                due_at: due @ None, ..
            } = &mut entry.phase
        {
            *due = Some(now.monotonic + quiet);
        }
    }

    /// [`BookSync::note_subscribed`], then requests the snapshot if it is due already.
    pub fn on_subscribed(&mut self, symbol: Symbol, now: Timestamp, out: &mut Outbox) {
        self.note_subscribed(symbol, now);
        if let Some(&index) = self.index.get(&symbol) {
            self.maybe_request(index, now, out);
        }
    }

    /// Applies, buffers or skips one decoded push, or restarts its symbol.
    ///
    /// # Errors
    /// A level that did not decode; the symbol has already been dealt with (restarted
    /// when live, its buffer emptied while syncing).
    #[inline]
    pub fn on_push(
        &mut self,
        push: &V::Push<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> Result<UpdateOutcome, V::DecodeError> {
        let Some(&index) = self.index.get(&push.symbol()) else {
            self.stats.untracked += 1;
            return Ok(UpdateOutcome::Untracked);
        };
        if push.is_full() {
            return Ok(self.load_full(index, push, now, out, sink));
        }
        let Some(entry) = self.books.get_mut(index) else {
            return Ok(UpdateOutcome::Untracked);
        };
        let aligned = match entry.phase {
            Phase::Live { aligned } => aligned,
            Phase::Syncing { .. } => return self.buffer(index, push, now, out, sink),
            Phase::Verifying { time_ms } => {
                return self.verify(index, push, time_ms, now, out, sink);
            }
        };
        let (first, last) = (push.first_id(), push.last_id());
        match V::continuity(entry.book.update_id(), first, last, aligned) {
            Continuity::Apply { overlap } => {
                let slot = LiveSlot { index, overlap };
                match V::apply_push(&mut entry.book, push) {
                    Ok(()) => Ok(self.commit(slot, first, last, push.time_ms(), now, out, sink)),
                    Err(Rejection::Book(reason)) => {
                        self.reject(slot, reason, now, out, sink);
                        Ok(UpdateOutcome::Resync(reason))
                    }
                    Err(Rejection::Decode(error)) => {
                        self.reject(slot, ResyncReason::InvalidUpdate, now, out, sink);
                        Err(error)
                    }
                }
            }
            Continuity::Skip => {
                self.stats.duplicates += 1;
                Ok(UpdateOutcome::Duplicate)
            }
            Continuity::Break { reason, back_off } => {
                self.restart(index, reason, back_off, now, sink);
                // The push that revealed the break starts the new buffer.
                self.buffer(index, push, now, out, sink)?;
                Ok(UpdateOutcome::Resync(reason))
            }
        }
    }

    /// For a venue's single-pass decoder: the live book of `symbol` when a push
    /// `first..=last` continues it (`None`: take the general path, nothing changed).
    #[inline]
    pub fn continuing(
        &mut self,
        symbol: Symbol,
        first: u64,
        last: u64,
    ) -> Option<(LiveSlot, &mut OrderBook)> {
        let index = *self.index.get(&symbol)?;
        let entry = self.books.get_mut(index)?;
        let Phase::Live { aligned } = entry.phase else {
            return None;
        };
        match V::continuity(entry.book.update_id(), first, last, aligned) {
            Continuity::Apply { overlap } => Some((LiveSlot { index, overlap }, &mut entry.book)),
            _ => None,
        }
    }

    /// A push's levels are in the slot's book: trim it, check it, move its update id to
    /// `last` and report it (or restart the symbol for a crossed book).
    #[inline]
    #[allow(clippy::too_many_arguments, reason = "the push's ids travel unpacked")]
    pub fn commit(
        &mut self,
        slot: LiveSlot,
        first: u64,
        last: u64,
        time_ms: u64,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> UpdateOutcome {
        let depth = self.settings.depth;
        let forget = self.settings.forget_failures_after;
        let Some(entry) = self.books.get_mut(slot.index) else {
            return UpdateOutcome::Untracked;
        };
        let book = &mut entry.book;
        trim(book, depth);
        if book.is_crossed() {
            self.reject(slot, ResyncReason::Crossed, now, out, sink);
            return UpdateOutcome::Resync(ResyncReason::Crossed);
        }
        book.set_update_id(last);
        if slot.overlap {
            self.stats.overlaps += 1;
        }
        self.stats.applied += 1;
        entry.phase = Phase::Live { aligned: true };
        if entry.attempts != 0
            && entry
                .live_since
                .is_some_and(|since| now.monotonic.saturating_duration_since(since) >= forget)
        {
            entry.attempts = 0;
            entry.retry_at = None;
        }
        sink.book_updated(
            book,
            &super::delta(self.venue_id, book.symbol(), first, last, time_ms),
        );
        UpdateOutcome::Applied
    }

    /// The slot's push turned out bad after (part of) it was applied: restart the symbol.
    pub fn reject(
        &mut self,
        slot: LiveSlot,
        reason: ResyncReason,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) {
        self.restart(slot.index, reason, V::BACK_OFF_ON_BAD_DATA, now, sink);
        self.maybe_request(slot.index, now, out);
    }

    /// Counts a push the venue found is not for this sync (another channel or depth).
    pub fn note_untracked(&mut self) {
        self.stats.untracked += 1;
    }

    /// Handles a REST answer. Returns `false` when the request id is not this sync's
    /// (answers to abandoned requests are consumed and ignored).
    pub fn on_rest_response(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> bool {
        if !self.owns(response.id) {
            return false;
        }
        let pending = self.books.iter_mut().position(|entry| {
            matches!(entry.phase, Phase::Syncing { request: Some(id), .. } if id == response.id)
        });
        let Some(index) = pending else {
            self.stats.stale_responses += 1;
            return true;
        };
        if let Some(Phase::Syncing { request, .. }) =
            self.books.get_mut(index).map(|e| &mut e.phase)
        {
            *request = None;
        }
        match self.venue.parse_snapshot(response) {
            Ok(snapshot) => self.apply_snapshot(index, &snapshot, now, sink),
            Err(SnapshotFailure::RateLimited(retry_after)) => {
                self.stats.rate_limited += 1;
                let attempts = self.books.get(index).map_or(0, |e| e.attempts);
                let wait = retry_after
                    .unwrap_or_else(|| self.settings.backoff(attempts.saturating_add(1)));
                let until = ws_session::deadline_after(now.monotonic, wait);
                self.rate_limited_until =
                    Some(self.rate_limited_until.map_or(until, |t| t.max(until)));
                self.fail(index, ResyncReason::SnapshotFailed, Some(wait), now, sink);
            }
            Err(SnapshotFailure::Failed) => {
                self.fail(index, ResyncReason::SnapshotFailed, None, now, sink);
            }
        }
        self.maybe_request(index, now, out);
        true
    }

    /// Timers: requests the snapshots that became due or whose backoff ran out.
    pub fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        for index in 0..self.books.len() {
            self.maybe_request(index, now, out);
        }
    }

    /// The earliest moment a waiting snapshot request may go out, for a driver that
    /// sleeps until then.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.books
            .iter()
            .filter_map(|entry| {
                let Phase::Syncing {
                    request: None,
                    due_at,
                } = entry.phase
                else {
                    return None;
                };
                let due = if V::REQUEST_ON_PUSH && !entry.buffer.is_empty() {
                    None
                } else {
                    Some(due_at?)
                };
                [due, entry.retry_at, self.rate_limited_until]
                    .into_iter()
                    .flatten()
                    .max()
            })
            .min()
    }

    /// Throws `symbol`'s book away and rebuilds it from a fresh snapshot
    /// (`Resyncing(UserRequested)`); other symbols are untouched. `false` when the symbol
    /// is not tracked.
    pub fn resync(
        &mut self,
        symbol: Symbol,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> bool {
        let Some(&index) = self.index.get(&symbol) else {
            return false;
        };
        self.restart(index, ResyncReason::UserRequested, false, now, sink);
        self.maybe_request(index, now, out);
        true
    }

    /// The connection is gone: every book is cleared and waits for its subscription
    /// again; answers to requests already sent are ignored.
    pub fn on_disconnected(&mut self, sink: &mut impl BookSink) {
        let venue = self.venue_id;
        for entry in &mut self.books {
            entry.book.clear();
            entry.buffer.clear();
            entry.phase = Phase::Syncing {
                request: None,
                due_at: None,
            };
            entry.attempts = 0;
            entry.retry_at = None;
            let status = if !V::RECONNECT_RESYNCS {
                BookStatus::Syncing
            } else if entry.status == BookStatus::Syncing {
                continue;
            } else {
                BookStatus::Resyncing(ResyncReason::Reconnected)
            };
            set_status(entry, venue, status, sink);
        }
    }

    /// The book of `symbol`; trust it only while its status is `Live`.
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        let index = *self.index.get(&symbol)?;
        self.books.get(index).map(|e| &e.book)
    }

    /// The status of `symbol`'s book.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        let index = *self.index.get(&symbol)?;
        self.books.get(index).map(|e| e.status)
    }

    /// The tracked symbols.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.books.iter().map(|e| e.book.symbol())
    }

    /// Counters since creation.
    pub fn stats(&self) -> BookSyncStats {
        self.stats
    }

    /// Whether `id` is one this sync has used.
    pub fn owns(&self, id: RestRequestId) -> bool {
        (self.settings.first_request_id..self.next_request).contains(&id.0)
    }

    fn entry_mut(&mut self, symbol: Symbol) -> Option<&mut Entry<V::Stored>> {
        let index = *self.index.get(&symbol)?;
        self.books.get_mut(index)
    }
}

/// Trims both sides to `depth` levels.
#[inline]
pub(super) fn trim(book: &mut OrderBook, depth: usize) {
    book.truncate(market_types::Side::Buy, depth);
    book.truncate(market_types::Side::Sell, depth);
}

pub(super) fn set_status<T>(
    entry: &mut Entry<T>,
    venue: Venue,
    status: BookStatus,
    sink: &mut impl BookSink,
) {
    if entry.status != status {
        entry.status = status;
        sink.status_changed(BookStatusEvent {
            venue,
            symbol: entry.book.symbol(),
            status,
        });
    }
}

/// FxHash-style hasher for the symbol index: symbols are short and not attacker-chosen
/// (they come from the user's own configuration).
#[derive(Debug, Default, Clone, Copy)]
struct SymbolHasher(u64);

impl Hasher for SymbolHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write(&i.to_le_bytes());
    }
}
