//! The state changes behind [`BookSync`]'s entry points: buffering, snapshot requests,
//! loading and replay, restarts.

use std::time::Duration;

use market_types::{BookStatus, BookUpdate, BookUpdateKind, ResyncReason};
use ws_session::{Outbox, RestRequestId, Timestamp};

use super::machine::{BookSync, Phase, set_status, trim};
use super::sink::BookSink;
use super::venue::{BookPush, BookVenue, Continuity};
use super::{UpdateOutcome, delta};

impl<V: BookVenue> BookSync<V> {
    /// Keeps a push of a syncing symbol (bounded; a full buffer restarts the symbol).
    pub(super) fn buffer(
        &mut self,
        index: usize,
        push: &V::Push<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> Result<UpdateOutcome, V::DecodeError> {
        let (max_pushes, max_items) = (
            self.settings.max_buffered_pushes,
            self.settings.max_buffered_items,
        );
        let Some(entry) = self.books.get_mut(index) else {
            return Ok(UpdateOutcome::Untracked);
        };
        // A push that does not continue the buffer: nothing before the hole is usable.
        if let Some(previous) = entry.buffer.last()
            && let Continuity::Break { .. } =
                V::continuity(previous.last, push.first_id(), push.last_id(), true)
        {
            self.stats.dropped += entry.buffer.len() as u64;
            entry.buffer.clear();
        }
        let needed = V::stored_len(push);
        let mut outcome = UpdateOutcome::Buffered;
        if entry.buffer.len() >= max_pushes
            || entry.buffer.items_len().saturating_add(needed) > max_items
        {
            self.stats.buffer_overflows += 1;
            self.restart(index, ResyncReason::BufferOverflow, true, now, sink);
            outcome = UpdateOutcome::Resync(ResyncReason::BufferOverflow);
        }
        // After an overflow the push starts the new buffer, if it fits on its own.
        if max_pushes > 0 && needed <= max_items {
            self.store(index, push)?;
        }
        self.maybe_request(index, now, out);
        Ok(outcome)
    }

    fn store(&mut self, index: usize, push: &V::Push<'_>) -> Result<(), V::DecodeError> {
        let Some(entry) = self.books.get_mut(index) else {
            return Ok(());
        };
        let stored = entry
            .buffer
            .push(push.first_id(), push.last_id(), push.time_ms(), |items| {
                V::store(push, items)
            });
        match stored {
            Ok(()) => self.stats.buffered += 1,
            Err(_) => {
                // The push is lost, so everything buffered before it is useless.
                self.stats.dropped += entry.buffer.len() as u64 + 1;
                entry.buffer.clear();
            }
        }
        stored
    }

    /// Queues the snapshot request of a syncing symbol if it is due and allowed.
    pub(super) fn maybe_request(&mut self, index: usize, now: Timestamp, out: &mut Outbox) {
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        let Phase::Syncing {
            request: request @ None,
            due_at,
        } = &mut entry.phase
        else {
            return;
        };
        let due = due_at.is_some_and(|at| now.monotonic >= at)
            || (V::REQUEST_ON_PUSH && !entry.buffer.is_empty());
        let allowed = entry.retry_at.is_none_or(|at| now.monotonic >= at)
            && self
                .rate_limited_until
                .is_none_or(|until| now.monotonic >= until);
        if !(due && allowed) {
            return;
        }
        let id = RestRequestId(self.next_request);
        self.next_request = self.next_request.saturating_add(1);
        out.rest(self.venue.snapshot_request(entry.book.symbol(), id));
        *request = Some(id);
        self.stats.snapshots_requested += 1;
    }

    /// Clears the book and the buffer and starts syncing again: at once for a first
    /// failure that need not wait, after a growing backoff otherwise (or while earlier
    /// failures are not yet forgotten). Any snapshot in flight is ignored.
    pub(super) fn restart(
        &mut self,
        index: usize,
        reason: ResyncReason,
        back_off: bool,
        now: Timestamp,
        sink: &mut impl BookSink,
    ) {
        self.stats.resyncs += 1;
        match reason {
            ResyncReason::Gap { .. } => self.stats.gaps += 1,
            ResyncReason::InvalidUpdate => self.stats.invalid_updates += 1,
            ResyncReason::Crossed => self.stats.crossed += 1,
            ResyncReason::NonPositiveQuantity => self.stats.non_positive += 1,
            _ => {}
        }
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        tracing::debug!(symbol = %entry.book.symbol(), %reason, "order book resync");
        entry.book.clear();
        entry.buffer.clear();
        let first = entry.attempts == 0;
        entry.attempts = entry.attempts.saturating_add(1);
        entry.retry_at =
            (back_off || !first).then(|| now.monotonic + self.settings.backoff(entry.attempts));
        // Before the subscription ack nothing is due yet. A venue whose snapshots are
        // checked against a buffered push waits for one (or for the quiet period): a
        // snapshot fetched with nothing to compare it with could be older than the stream
        // and would go live unchecked.
        let due_at = match entry.phase {
            Phase::Syncing { due_at: None, .. } => None,
            _ if V::REQUEST_ON_PUSH => Some(now.monotonic + self.settings.snapshot_after_quiet),
            _ => Some(now.monotonic),
        };
        entry.phase = Phase::Syncing {
            request: None,
            due_at,
        };
        set_status(entry, self.venue_id, BookStatus::Resyncing(reason), sink);
    }

    /// A snapshot was unusable: empty book, keep the buffer, retry after `wait` or the
    /// backoff.
    pub(super) fn fail(
        &mut self,
        index: usize,
        reason: ResyncReason,
        wait: Option<Duration>,
        now: Timestamp,
        sink: &mut impl BookSink,
    ) {
        match reason {
            ResyncReason::StaleSnapshot => self.stats.stale_snapshots += 1,
            ResyncReason::NonPositiveQuantity => {
                self.stats.non_positive += 1;
                self.stats.snapshot_failures += 1;
            }
            _ => self.stats.snapshot_failures += 1,
        }
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        entry.book.clear();
        entry.attempts = entry.attempts.saturating_add(1);
        let wait = wait.unwrap_or_else(|| self.settings.backoff(entry.attempts));
        entry.retry_at = Some(ws_session::deadline_after(now.monotonic, wait));
        entry.phase = Phase::Syncing {
            request: None,
            due_at: Some(now.monotonic),
        };
        set_status(entry, self.venue_id, BookStatus::Resyncing(reason), sink);
    }

    /// Aligns the buffer to a snapshot, loads it and replays what follows it.
    pub(super) fn apply_snapshot(
        &mut self,
        index: usize,
        snapshot: &V::Snapshot<'_>,
        now: Timestamp,
        sink: &mut impl BookSink,
    ) {
        let depth = self.settings.depth;
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        let (id, time_ms) = V::snapshot_ids(snapshot);
        // Pushes ending at or before `id` are dropped by the replay.
        if let Some(first) = entry.buffer.first_after(id)
            && first.first > id.saturating_add(1)
        {
            self.fail(index, ResyncReason::StaleSnapshot, None, now, sink);
            return;
        }
        let loaded = V::load_snapshot(&mut entry.book, snapshot).and_then(|()| {
            trim(&mut entry.book, depth);
            if entry.book.is_crossed() {
                Err(ResyncReason::Crossed)
            } else {
                Ok(())
            }
        });
        if let Err(reason) = loaded {
            self.fail(index, reason, None, now, sink);
            return;
        }
        self.stats.snapshots_applied += 1;
        if entry.buffer.is_empty() {
            // Nothing shows the snapshot is not older than the stream: the first push
            // decides (see `verify`), whichever event made the snapshot due.
            entry.phase = Phase::Verifying { time_ms };
            return;
        }
        self.go_live(index, id, time_ms, now, sink);
    }

    /// A push over a snapshot that nothing checked yet: one that continues it makes the
    /// book live (replayed as if it had been buffered), an older one is skipped, one
    /// after a hole proves the snapshot stale.
    pub(super) fn verify(
        &mut self,
        index: usize,
        push: &V::Push<'_>,
        time_ms: u64,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> Result<UpdateOutcome, V::DecodeError> {
        let Some(entry) = self.books.get(index) else {
            return Ok(UpdateOutcome::Untracked);
        };
        let loaded_id = entry.book.update_id();
        match V::continuity(loaded_id, push.first_id(), push.last_id(), false) {
            Continuity::Apply { .. } => {
                if let Err(error) = self.store(index, push) {
                    self.restart(
                        index,
                        ResyncReason::InvalidUpdate,
                        V::BACK_OFF_ON_BAD_DATA,
                        now,
                        sink,
                    );
                    self.maybe_request(index, now, out);
                    return Err(error);
                }
                self.go_live(index, loaded_id, time_ms, now, sink);
                match self.books.get(index).map(|e| e.status) {
                    Some(BookStatus::Resyncing(reason)) => {
                        // The push was bad (crossed the book, ...): refetch as `reject` does.
                        self.maybe_request(index, now, out);
                        Ok(UpdateOutcome::Resync(reason))
                    }
                    _ => Ok(UpdateOutcome::Applied),
                }
            }
            Continuity::Skip => {
                self.stats.duplicates += 1;
                Ok(UpdateOutcome::Duplicate)
            }
            Continuity::Break { reason, back_off } => {
                self.restart(index, reason, back_off, now, sink);
                // The push that revealed the stale snapshot starts the new buffer.
                self.buffer(index, push, now, out, sink)?;
                Ok(UpdateOutcome::Resync(reason))
            }
        }
    }

    /// A full push: replaces the book whatever its phase.
    pub(super) fn load_full(
        &mut self,
        index: usize,
        push: &V::Push<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> UpdateOutcome {
        let depth = self.settings.depth;
        let Some(entry) = self.books.get_mut(index) else {
            return UpdateOutcome::Untracked;
        };
        let id = push.last_id();
        let loaded = V::load_full(&mut entry.book, push).and_then(|()| {
            trim(&mut entry.book, depth);
            if entry.book.is_crossed() {
                Err(ResyncReason::Crossed)
            } else {
                Ok(())
            }
        });
        if let Err(reason) = loaded {
            self.restart(index, reason, V::BACK_OFF_ON_BAD_DATA, now, sink);
            self.maybe_request(index, now, out);
            return UpdateOutcome::Resync(reason);
        }
        self.stats.replaced += 1;
        if let Phase::Live { .. } = entry.phase {
            let update = BookUpdate {
                kind: BookUpdateKind::Snapshot,
                ..delta(
                    self.venue_id,
                    push.symbol(),
                    push.first_id(),
                    id,
                    push.time_ms(),
                )
            };
            sink.book_updated(&entry.book, &update);
            return UpdateOutcome::Replaced;
        }
        if let Some(first) = entry.buffer.first_after(id)
            && first.first > id.saturating_add(1)
        {
            // Pushes after the full one were lost while buffering: impossible on an
            // ordered stream, but never trust a book over a hole.
            let reason = ResyncReason::Gap {
                expected: id.saturating_add(1),
                received: first.first,
            };
            self.restart(index, reason, false, now, sink);
            self.maybe_request(index, now, out);
            return UpdateOutcome::Resync(reason);
        }
        self.go_live(index, id, push.time_ms(), now, sink);
        match self.books.get(index).map(|e| e.status) {
            Some(BookStatus::Resyncing(reason)) => UpdateOutcome::Resync(reason),
            _ => UpdateOutcome::Replaced,
        }
    }

    /// Replays the buffer over a freshly loaded book, then reports it live.
    fn go_live(
        &mut self,
        index: usize,
        loaded_id: u64,
        time_ms: u64,
        now: Timestamp,
        sink: &mut impl BookSink,
    ) {
        let (depth, venue) = (self.settings.depth, self.venue_id);
        let forget_at_once = self.settings.forget_failures_after.is_zero();
        let Self { books, stats, .. } = self;
        let Some(entry) = books.get_mut(index) else {
            return;
        };
        let symbol = entry.book.symbol();
        if V::REPORT_REPLAYED {
            let update = BookUpdate {
                kind: BookUpdateKind::Snapshot,
                ..delta(venue, symbol, loaded_id, loaded_id, time_ms)
            };
            sink.book_updated(&entry.book, &update);
        }
        let (mut aligned, mut last_time, mut failure) = (false, time_ms, None);
        let mut offset = 0;
        while let Some((push, items)) = entry.buffer.get(offset) {
            offset += 1;
            let book = &mut entry.book;
            let overlap = match V::continuity(book.update_id(), push.first, push.last, aligned) {
                Continuity::Apply { overlap } => overlap,
                Continuity::Skip => {
                    stats.dropped += 1;
                    continue;
                }
                Continuity::Break { reason, .. } => {
                    failure = Some(reason);
                    break;
                }
            };
            let applied = V::apply_stored(book, items).and_then(|()| {
                trim(book, depth);
                if book.is_crossed() {
                    Err(ResyncReason::Crossed)
                } else {
                    Ok(())
                }
            });
            if let Err(reason) = applied {
                failure = Some(reason);
                break;
            }
            book.set_update_id(push.last);
            stats.replayed += 1;
            if overlap {
                stats.overlaps += 1;
            }
            aligned = true;
            last_time = push.time_ms;
            if V::REPORT_REPLAYED {
                sink.book_updated(
                    book,
                    &delta(venue, symbol, push.first, push.last, push.time_ms),
                );
            }
        }
        entry.buffer.clear();
        if let Some(reason) = failure {
            // A hole or a bad push in the replay: the book cannot be trusted.
            self.restart(index, reason, true, now, sink);
            return;
        }
        entry.phase = Phase::Live { aligned };
        entry.live_since = Some(now.monotonic);
        if forget_at_once {
            entry.attempts = 0;
            entry.retry_at = None;
        }
        set_status(entry, venue, BookStatus::Live, sink);
        if !V::REPORT_REPLAYED {
            let update = BookUpdate {
                kind: BookUpdateKind::Snapshot,
                ..delta(venue, symbol, loaded_id, entry.book.update_id(), last_time)
            };
            sink.book_updated(&entry.book, &update);
        }
    }
}
