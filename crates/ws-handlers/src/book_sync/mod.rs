//! One book synchroniser for every venue: per-symbol local order books, never silently
//! wrong, as a sans-IO state machine generic over a [`BookVenue`].
//!
//! # Rules
//!
//! Each symbol is `Syncing` until it is first live, `Live`, or `Resyncing(reason)` after
//! it was thrown away.
//!
//! 1. **Syncing.** Pushes are buffered from the moment a symbol is tracked (bounded by
//!    [`SyncSettings::max_buffered_pushes`] and [`SyncSettings::max_buffered_items`]; one
//!    more restarts with [`market_types::ResyncReason::BufferOverflow`], the overflowing push starting
//!    the new buffer). A push that does not continue the buffer (the venue's continuity
//!    rule says "break") replaces it, since nothing before a hole can be used.
//!    The REST snapshot ([`BookVenue::snapshot_request`]) is requested once the
//!    subscription ack plus [`SyncSettings::snapshot_after_quiet`] has passed, or as soon
//!    as a push is buffered when [`BookVenue::REQUEST_ON_PUSH`], one request at a time.
//! 2. **Snapshot** (`id`). Buffered pushes ending at or before `id` are dropped; if the
//!    first one left starts after `id + 1` the snapshot is stale and fetched again after
//!    a backoff (the buffer is kept). Otherwise the book is loaded, trimmed, checked, the
//!    buffered pushes are replayed under the continuity rule, and the symbol is `Live`.
//!    A rate-limited answer waits `Retry-After` (or the backoff) for every symbol, since
//!    the limit is per IP; other failures back off and report
//!    [`market_types::ResyncReason::SnapshotFailed`].
//!    **Verifying.** A snapshot loaded with nothing buffered (fetched at the ack before
//!    any push, or after the quiet period) proves nothing: it may be older than the
//!    stream. It is kept but not
//!    reported (status stays `Syncing`/`Resyncing`, no [`BookSink::book_updated`]) until
//!    the first push: one the continuity rule applies over it (`aligned` false) makes it
//!    `Live`, reported as if that push had been buffered and replayed; an older one is
//!    skipped; one after a hole restarts the symbol (the venue's reason, such as
//!    [`market_types::ResyncReason::StaleSnapshot`]), the push starting the new buffer.
//!    A quiet symbol therefore stays unreported until its book changes, on every venue.
//! 3. **Live.** [`BookVenue::continuity`] decides: apply, skip (older than the book), or
//!    break (a gap: resync, the push starting the new buffer). Applied levels go into the
//!    book through [`BookVenue::apply_push`] (or a venue's single-pass decoder through
//!    [`BookSync::continuing`] and [`BookSync::commit`]); then the book is trimmed to
//!    [`SyncSettings::depth`] (levels pushed out of a fixed-depth stream are never
//!    deleted by the venue), and a crossed book, a non-positive size or an undecodable
//!    level ([`market_types::ResyncReason::InvalidUpdate`]: part of the push may be in the book)
//!    restarts the symbol. A full push ([`BookPush::is_full`]) replaces the book.
//!
//! Every restart clears the book first (no ghost levels) and touches only that symbol.
//! A first failure refetches at once; repeated failures (until the book has been live
//! for [`SyncSettings::forget_failures_after`]), overflows and, where the venue says so,
//! its own bad data back off exponentially. [`BookSync::on_disconnected`] sends every
//! book back to phase 1; [`BookSync::resync`] restarts one on request.
//!
//! # Output
//!
//! Statically dispatched through a [`BookSink`]: [`BookSink::book_updated`] after each
//! applied push and when a book is loaded or replaced, [`BookSink::status_changed`] on
//! every status change ([`market_types::BookStatusEvent`]). REST requests go to the
//! [`ws_session::Outbox`]. Time comes in as [`ws_session::Timestamp`]; the backoff is
//! jitterless.

mod buffer;
mod machine;
mod settings;
mod sink;
mod stats;
mod transitions;
mod venue;

use market_types::{BookUpdate, BookUpdateKind, Symbol, Venue};

pub use machine::{BookSync, LiveSlot, UpdateOutcome};
pub use settings::SyncSettings;
pub use sink::{BookSink, CallbackSink};
pub use stats::BookSyncStats;
pub use venue::{BookPush, BookVenue, Continuity, Rejection, SnapshotFailure};

/// An incremental update's report.
#[inline]
fn delta(venue: Venue, symbol: Symbol, first: u64, last: u64, time_ms: u64) -> BookUpdate {
    BookUpdate {
        venue,
        symbol,
        kind: BookUpdateKind::Delta,
        first_update_id: first,
        last_update_id: last,
        exchange_time_ms: time_ms,
    }
}

#[cfg(test)]
mod tests;
