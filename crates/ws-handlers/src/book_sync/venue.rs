//! What a venue supplies to the generic book synchroniser: its decoded push, its snapshot
//! request and parser, its continuity rule and how levels reach the book.

use market_types::{OrderBook, ResyncReason, Symbol, Venue};
use std::time::Duration;
use ws_session::{RestRequest, RestRequestId, RestResponse};

/// The ids and identity of one decoded depth push.
pub trait BookPush {
    /// The symbol the push is for.
    fn symbol(&self) -> Symbol;
    /// The first update id (version) the push covers.
    fn first_id(&self) -> u64;
    /// The last update id (version) the push covers; the book's id after it.
    fn last_id(&self) -> u64;
    /// The venue's event time, milliseconds since the epoch (0 when unknown).
    fn time_ms(&self) -> u64;
    /// Whether the push is a whole book that replaces the local one.
    #[inline]
    fn is_full(&self) -> bool {
        false
    }
}

/// How a push relates to a book whose update id is `current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// Apply it; `overlap` when it also covers ids already applied.
    Apply {
        /// The push starts at or before `current` (amounts are absolute, so re-applying
        /// the overlap is harmless).
        overlap: bool,
    },
    /// Older than the book: skip it.
    Skip,
    /// Something is missing: throw the book away.
    Break {
        /// Reported as the book's status.
        reason: ResyncReason,
        /// Wait a backoff before the next snapshot instead of fetching at once.
        back_off: bool,
    },
}

/// Why a snapshot answer could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotFailure {
    /// HTTP 429 (or the venue's equivalent); wait `Retry-After` when given.
    RateLimited(Option<Duration>),
    /// Any other error: HTTP status, transport, undecodable body.
    Failed,
}

/// Why a live push could not be applied.
#[derive(Debug)]
pub enum Rejection<E> {
    /// The book refused it (crossed, non-positive size, ...).
    Book(ResyncReason),
    /// A level did not decode; part of the push may already be in the book.
    Decode(E),
}

/// One venue's side of book sync. Everything venue-independent (phases, buffering,
/// snapshot retries, alignment, resync, status events, stats, trimming) is in
/// [`crate::BookSync`]; an implementation only says what differs.
pub trait BookVenue {
    /// A decoded push.
    type Push<'a>: BookPush;
    /// A parsed REST snapshot (may borrow the answer's body).
    type Snapshot<'a>;
    /// What a buffered push is kept as (raw text bytes, decoded levels, ...).
    type Stored: Copy + core::fmt::Debug;
    /// The error of a level that does not decode.
    type DecodeError;

    /// Whether a restart for the venue's own bad data (crossed book, non-positive size,
    /// undecodable push) waits a backoff before refetching.
    const BACK_OFF_ON_BAD_DATA: bool;
    /// Whether a buffered push makes the snapshot due (otherwise only the subscription
    /// ack or the quiet period does). On every venue a snapshot loaded with nothing
    /// buffered is verified by the next push before the book is live.
    const REQUEST_ON_PUSH: bool;
    /// Whether loading a snapshot reports the snapshot and then each replayed push
    /// (otherwise one snapshot update covering the replay, after the status change).
    const REPORT_REPLAYED: bool;
    /// Whether a disconnect reports books that had been live as
    /// `Resyncing(Reconnected)` (otherwise every book goes back to `Syncing`).
    const RECONNECT_RESYNCS: bool;

    /// The venue reported in events.
    fn venue(&self) -> Venue;

    /// The REST request for `symbol`'s snapshot.
    fn snapshot_request(&self, symbol: Symbol, id: RestRequestId) -> RestRequest;

    /// Reads a snapshot answer.
    ///
    /// # Errors
    /// What went wrong, for the retry policy.
    fn parse_snapshot<'a>(
        &self,
        response: &'a RestResponse,
    ) -> Result<Self::Snapshot<'a>, SnapshotFailure>;

    /// The snapshot's update id and venue time (0 when it has none).
    fn snapshot_ids(snapshot: &Self::Snapshot<'_>) -> (u64, u64);

    /// Loads a snapshot into `book` (replacing everything) with its update id.
    ///
    /// # Errors
    /// The reason to refuse it; the book may be left partly loaded (it is cleared).
    fn load_snapshot(
        book: &mut OrderBook,
        snapshot: &Self::Snapshot<'_>,
    ) -> Result<(), ResyncReason>;

    /// Loads a push that [`BookPush::is_full`] says is a whole book.
    ///
    /// # Errors
    /// The reason to refuse it.
    #[inline]
    fn load_full(book: &mut OrderBook, push: &Self::Push<'_>) -> Result<(), ResyncReason> {
        let _ = (book, push);
        Err(ResyncReason::InvalidUpdate)
    }

    /// The continuity rule. `aligned` is false only for the first push after a snapshot
    /// that had nothing buffered to replay.
    fn continuity(current: u64, first: u64, last: u64, aligned: bool) -> Continuity;

    /// Applies a push's levels to `book` (absolute amounts, zero deletes). The generic
    /// code trims, checks for a crossed book and sets the update id afterwards.
    ///
    /// # Errors
    /// See [`Rejection`].
    fn apply_push(
        book: &mut OrderBook,
        push: &Self::Push<'_>,
    ) -> Result<(), Rejection<Self::DecodeError>>;

    /// How many [`Self::Stored`] items buffering `push` takes (for the buffer bound).
    fn stored_len(push: &Self::Push<'_>) -> usize;

    /// Appends what replaying `push` later needs to `into`.
    ///
    /// # Errors
    /// A level that does not decode (the caller drops what was appended).
    fn store(push: &Self::Push<'_>, into: &mut Vec<Self::Stored>) -> Result<(), Self::DecodeError>;

    /// Applies buffered levels (as [`Self::store`] kept them) to `book`.
    ///
    /// # Errors
    /// The reason to throw the book away.
    fn apply_stored(book: &mut OrderBook, stored: &[Self::Stored]) -> Result<(), ResyncReason>;
}
