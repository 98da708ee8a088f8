//! Local order books for `push.depth`, one per contract: [`ws_handlers::BookSync`] over
//! [`FuturesBooks`], which supplies only what MEXC futures does differently.
//!
//! - **Continuity by version.** Once aligned, a push must start at `previous + 1` (a
//!   merged push covers `begin..=end`, one plain push `version..=version`). A push the
//!   book already has (a duplicate, or an old one) is skipped; one that starts later is
//!   a gap, and the contract restarts from an empty book with a fresh snapshot (only
//!   that contract). Right after a snapshot with nothing buffered, pushes up to the
//!   snapshot are dropped and the first newer one must start at or before
//!   `version + 1`; one that starts later shows the snapshot was stale
//!   (`StaleSnapshot`, refetched after a backoff).
//! - **Snapshot.** `GET /api/v1/contract/depth/{symbol}?limit=L` (enveloped or bare),
//!   requested as soon as a push is buffered or after the quiet period. Recovery always
//!   takes a fresh snapshot; [`crate::futures::parse_depth_commits`] is there for callers
//!   who bridge with the venue's increments instead.
//! - **Buffer.** Decoded levels; the generic machine keeps buffered pushes contiguous.
//! - **`push.depth.full`** replaces the book with its top-N levels at its version.
//! - Books are trimmed to [`BookSyncConfig::snapshot_depth`] levels per side.

use std::cell::Cell;

use market_types::{OrderBook, ResyncReason, Side, Symbol, Venue};
use ws_handlers::{BookPush, BookVenue, Continuity, Rejection, SnapshotFailure};
use ws_session::{Outbox, RestRequest, RestRequestId, RestResponse, Timestamp};

pub use ws_handlers::{BookSink, BookSyncStats};

use super::error::FuturesError;
use super::rest::{
    DEPTH, DepthSnapshot, check_reply, depth_snapshot_request, parse_depth_snapshot,
};
use super::wire::{DepthData, DepthLevel, DepthPush, Levels};
use crate::config::BookSyncConfig;
use crate::synced_books::{BookSyncError, SyncedBooks};

/// The futures books of one connection.
pub type FuturesBookSync = SyncedBooks<FuturesBooks>;

impl FuturesBookSync {
    /// Books whose snapshots come from `rest_url` (e.g. [`crate::futures::REST_URL`]),
    /// reported as `venue` (the futures market's [`Venue`]).
    pub fn new(config: BookSyncConfig, rest_url: impl Into<String>, venue: Venue) -> Self {
        let books = FuturesBooks {
            rest_url: rest_url.into().trim_end_matches('/').to_string(),
            snapshot_depth: config.snapshot_depth,
            venue,
        };
        SyncedBooks::with_venue(books, config.settings())
    }

    /// One `push.depth` (or `push.depth.full`) from [`crate::futures::decode`]: see
    /// [`SyncedBooks::on_push`].
    ///
    /// # Errors
    /// As [`SyncedBooks::on_push`]: [`FuturesError::BookResync`]; a level that does not
    /// decode; [`FuturesError::UntrackedSymbol`].
    #[inline]
    pub fn on_depth<S: BookSink>(
        &mut self,
        push: &DepthPush<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> Result<(), FuturesError> {
        self.on_push(push, now, out, sink)
    }
}

impl BookSyncError for FuturesError {
    fn untracked(symbol: Symbol) -> FuturesError {
        FuturesError::UntrackedSymbol { symbol }
    }

    fn resync(symbol: Symbol, reason: ResyncReason) -> FuturesError {
        FuturesError::BookResync { symbol, reason }
    }
}

/// MEXC futures' half of [`ws_handlers::BookSync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuturesBooks {
    rest_url: String,
    snapshot_depth: u16,
    venue: Venue,
}

impl BookPush for DepthPush<'_> {
    #[inline]
    fn symbol(&self) -> Symbol {
        self.symbol
    }

    #[inline]
    fn first_id(&self) -> u64 {
        self.data.first_version()
    }

    #[inline]
    fn last_id(&self) -> u64 {
        self.data.version()
    }

    #[inline]
    fn time_ms(&self) -> u64 {
        self.time_ms
    }

    #[inline]
    fn is_full(&self) -> bool {
        self.full
    }
}

/// Why a push's levels could not go into the book.
enum ApplyError {
    Decode(FuturesError),
    Book(ResyncReason),
}

impl From<FuturesError> for ApplyError {
    #[cold]
    fn from(error: FuturesError) -> ApplyError {
        ApplyError::Decode(error)
    }
}

/// Loads both sides of `data` into `book` at `data`'s version; a level that does not
/// decode refuses the whole load.
fn load(book: &mut OrderBook, data: &DepthData<'_>) -> Result<(), ResyncReason> {
    let bad = Cell::new(false);
    book.load_snapshot(
        pairs(data.side(Side::Buy), &bad),
        pairs(data.side(Side::Sell), &bad),
        data.version(),
    )
    .map_err(|error| error.resync_reason())?;
    if bad.get() {
        book.clear();
        return Err(ResyncReason::InvalidUpdate);
    }
    Ok(())
}

/// The levels as `(price, contracts)`, stopping (and setting `bad`) at one that does
/// not decode.
fn pairs<'a>(
    mut levels: Levels<'a>,
    bad: &'a Cell<bool>,
) -> impl Iterator<Item = (market_types::Price, market_types::Quantity)> + 'a {
    core::iter::from_fn(move || match levels.next_level() {
        Ok(Some(level)) => Some((level.price, level.quantity)),
        Ok(None) => None,
        Err(_) => {
            bad.set(true);
            None
        }
    })
}

impl BookVenue for FuturesBooks {
    type Push<'a> = DepthPush<'a>;
    type Snapshot<'a> = DepthSnapshot<'a>;
    type Stored = DepthLevel;
    type DecodeError = FuturesError;

    const BACK_OFF_ON_BAD_DATA: bool = true;
    const REQUEST_ON_PUSH: bool = true;
    const REPORT_REPLAYED: bool = true;
    const RECONNECT_RESYNCS: bool = false;

    fn venue(&self) -> Venue {
        self.venue
    }

    fn snapshot_request(&self, symbol: Symbol, id: RestRequestId) -> RestRequest {
        depth_snapshot_request(&self.rest_url, symbol, self.snapshot_depth, id)
    }

    fn parse_snapshot<'a>(
        &self,
        response: &'a RestResponse,
    ) -> Result<DepthSnapshot<'a>, SnapshotFailure> {
        check_reply(DEPTH, &response.result)
            .and_then(parse_depth_snapshot)
            .map_err(|error| {
                tracing::debug!(%error, "futures depth snapshot failed");
                match error {
                    FuturesError::RateLimited { retry_after, .. } => {
                        SnapshotFailure::RateLimited(retry_after)
                    }
                    _ => SnapshotFailure::Failed,
                }
            })
    }

    fn snapshot_ids(snapshot: &DepthSnapshot<'_>) -> (u64, u64) {
        (snapshot.version(), snapshot.time_ms())
    }

    fn load_snapshot(
        book: &mut OrderBook,
        snapshot: &DepthSnapshot<'_>,
    ) -> Result<(), ResyncReason> {
        load(book, snapshot)
    }

    fn load_full(book: &mut OrderBook, push: &DepthPush<'_>) -> Result<(), ResyncReason> {
        load(book, &push.data)
    }

    #[inline]
    fn continuity(current: u64, first: u64, last: u64, aligned: bool) -> Continuity {
        let expected = current.saturating_add(1);
        if last <= current {
            // Already in the book (a duplicate or an old push): amounts are absolute.
            return Continuity::Skip;
        }
        if first == expected {
            return Continuity::Apply { overlap: false };
        }
        if first < expected {
            return Continuity::Apply { overlap: true };
        }
        if aligned {
            Continuity::Break {
                reason: ResyncReason::Gap {
                    expected,
                    received: first,
                },
                back_off: false,
            }
        } else {
            // The snapshot was too old for the first push after it: back off first.
            Continuity::Break {
                reason: ResyncReason::StaleSnapshot,
                back_off: true,
            }
        }
    }

    /// Every level straight from the frame into the book.
    #[inline]
    fn apply_push(
        book: &mut OrderBook,
        push: &DepthPush<'_>,
    ) -> Result<(), Rejection<FuturesError>> {
        push.data
            .for_each_level(|level| {
                book.apply(level.side, level.price, level.quantity)
                    .map_err(|error| ApplyError::Book(error.resync_reason()))
            })
            .map_err(|error| match error {
                ApplyError::Decode(error) => Rejection::Decode(error),
                ApplyError::Book(reason) => Rejection::Book(reason),
            })
    }

    fn stored_len(push: &DepthPush<'_>) -> usize {
        // Only while syncing: counting reads the levels once more.
        push.data.levels().take_while(Result::is_ok).count()
    }

    fn store(push: &DepthPush<'_>, into: &mut Vec<DepthLevel>) -> Result<(), FuturesError> {
        for level in push.data.levels() {
            into.push(level?);
        }
        Ok(())
    }

    fn apply_stored(book: &mut OrderBook, stored: &[DepthLevel]) -> Result<(), ResyncReason> {
        for level in stored {
            book.apply(level.side, level.price, level.quantity)
                .map_err(|error| error.resync_reason())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
