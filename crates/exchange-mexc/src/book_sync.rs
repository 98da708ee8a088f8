//! Local order books for `spot@public.aggre.depth.v3.api.pb@..@SYMBOL`, one per symbol
//! (spec §1.9): [`ws_handlers::BookSync`] over [`MexcBooks`], which supplies only what
//! MEXC does differently.
//!
//! - **Continuity by version.** Once aligned, every push must have
//!   `fromVersion == previous toVersion + 1` (anything else is a gap). Right after a
//!   snapshot with nothing buffered, pushes up to the snapshot are dropped and the first
//!   newer one must start at or before `lastUpdateId + 1`; one that starts later shows
//!   the snapshot was stale (`StaleSnapshot`, refetched after a backoff).
//! - **Snapshot.** `GET /api/v3/depth?symbol=X&limit=L`, requested as soon as a push is
//!   buffered, or [`BookSyncConfig::snapshot_after_quiet`] after tracking or the
//!   subscription ack for a symbol that stays quiet. (The venue text says
//!   `lastUpdateId < fromVersion` is stale; `lastUpdateId + 1 == fromVersion` is exactly
//!   aligned, which its own step 4 accepts, so it is not refetched.)
//! - **Buffer.** Decoded levels; buffered pushes stay contiguous (a push that does not
//!   continue the buffer replaces it).
//! - **Policy.** Bad data from the venue (crossed book, negative quantity, a level that
//!   does not decode, a stale snapshot) backs off before refetching; HTTP 429/418 waits
//!   for `Retry-After` for every symbol; loading a snapshot reports it, then each
//!   replayed push; a disconnect sends every book back to `Syncing`. Books are trimmed
//!   to [`BookSyncConfig::snapshot_depth`] levels per side.
//!
//! Everything else (phases, buffering bounds, retries, alignment, resync of one symbol
//! from an empty book, status events, stats) is the generic machine's; see
//! [`ws_handlers::BookSync`].

use market_types::{BookError, OrderBook, ResyncReason, Symbol, Venue};
use ws_handlers::{BookPush, BookVenue, Continuity, Rejection, SnapshotFailure};
use ws_session::{Outbox, RestRequest, RestRequestId, RestResponse, Timestamp};

pub use ws_handlers::{BookSink, BookSyncStats};

use crate::config::BookSyncConfig;
use crate::error::Error;
use crate::rest::{
    DEPTH, DepthSnapshot, check_reply, depth_snapshot_request, parse_depth_snapshot,
};
use crate::synced_books::{BookSyncError, SyncedBooks};
use crate::wire::{AggreDepths, DepthLevel, PushHeader};

/// The books of one connection.
pub type BookSync = SyncedBooks<MexcBooks>;

impl BookSync {
    /// Books whose snapshots are fetched from `rest_url` (e.g. `https://api.mexc.com`).
    pub fn new(config: BookSyncConfig, rest_url: impl Into<String>) -> BookSync {
        let venue = MexcBooks {
            rest_url: rest_url.into().trim_end_matches('/').to_string(),
            snapshot_depth: config.snapshot_depth,
        };
        SyncedBooks::with_venue(venue, config.settings())
    }

    /// One `publicAggreDepths` push, from [`crate::decode_push`]: see
    /// [`SyncedBooks::on_push`].
    ///
    /// # Errors
    /// As [`SyncedBooks::on_push`]: [`Error::BookResync`] for a gap, crossed book,
    /// negative quantity or buffer overflow; a decoding error for levels that do not
    /// decode; [`Error::UntrackedSymbol`] or [`Error::MissingSymbol`] when no book matches.
    #[inline]
    pub fn on_depth<S: BookSink>(
        &mut self,
        header: &PushHeader<'_>,
        depth: &AggreDepths<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> Result<(), Error> {
        let push = DepthPush {
            symbol: header.symbol()?,
            depth: *depth,
            time_ms: header.event_time_ms(),
        };
        self.on_push(&push, now, out, sink)
    }
}

impl BookSyncError for Error {
    fn untracked(symbol: Symbol) -> Error {
        Error::UntrackedSymbol { symbol }
    }

    fn resync(symbol: Symbol, reason: ResyncReason) -> Error {
        Error::BookResync { symbol, reason }
    }
}

/// MEXC's half of [`ws_handlers::BookSync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MexcBooks {
    rest_url: String,
    snapshot_depth: u16,
}

/// A depth push with what its envelope says.
#[derive(Debug, Clone, Copy)]
pub struct DepthPush<'a> {
    symbol: Symbol,
    depth: AggreDepths<'a>,
    time_ms: u64,
}

impl BookPush for DepthPush<'_> {
    #[inline]
    fn symbol(&self) -> Symbol {
        self.symbol
    }

    #[inline]
    fn first_id(&self) -> u64 {
        self.depth.from_version()
    }

    #[inline]
    fn last_id(&self) -> u64 {
        self.depth.to_version()
    }

    #[inline]
    fn time_ms(&self) -> u64 {
        self.time_ms
    }
}

/// Why a push's levels could not go into the book.
enum ApplyError {
    Decode(Error),
    Book(BookError),
}

impl From<Error> for ApplyError {
    fn from(error: Error) -> ApplyError {
        ApplyError::Decode(error)
    }
}

impl BookVenue for MexcBooks {
    type Push<'a> = DepthPush<'a>;
    type Snapshot<'a> = DepthSnapshot;
    type Stored = DepthLevel;
    type DecodeError = Error;

    const BACK_OFF_ON_BAD_DATA: bool = true;
    const REQUEST_ON_PUSH: bool = true;
    const REPORT_REPLAYED: bool = true;
    const RECONNECT_RESYNCS: bool = false;

    fn venue(&self) -> Venue {
        Venue::MexcSpot
    }

    fn snapshot_request(&self, symbol: Symbol, id: RestRequestId) -> RestRequest {
        depth_snapshot_request(&self.rest_url, symbol, self.snapshot_depth, id)
    }

    fn parse_snapshot(&self, response: &RestResponse) -> Result<DepthSnapshot, SnapshotFailure> {
        check_reply(DEPTH, &response.result)
            .and_then(parse_depth_snapshot)
            .map_err(|error| {
                tracing::debug!(%error, "depth snapshot failed");
                match error {
                    Error::RateLimited { retry_after, .. } => {
                        SnapshotFailure::RateLimited(retry_after)
                    }
                    _ => SnapshotFailure::Failed,
                }
            })
    }

    fn snapshot_ids(snapshot: &DepthSnapshot) -> (u64, u64) {
        // The REST snapshot carries no venue time.
        (snapshot.last_update_id, 0)
    }

    fn load_snapshot(book: &mut OrderBook, snapshot: &DepthSnapshot) -> Result<(), ResyncReason> {
        book.load_snapshot(
            snapshot.bids.iter().copied(),
            snapshot.asks.iter().copied(),
            snapshot.last_update_id,
        )
        .map_err(|error| error.resync_reason())
    }

    /// Aligned: exactly `fromVersion == last + 1`. Right after a snapshot with nothing
    /// buffered: old pushes are dropped, the first newer one may overlap the snapshot.
    #[inline]
    fn continuity(current: u64, first: u64, last: u64, aligned: bool) -> Continuity {
        let expected = current.saturating_add(1);
        if aligned {
            if first == expected {
                return Continuity::Apply { overlap: false };
            }
            return Continuity::Break {
                reason: ResyncReason::Gap {
                    expected,
                    received: first,
                },
                back_off: false,
            };
        }
        if last <= current {
            Continuity::Skip
        } else if first <= expected {
            Continuity::Apply {
                overlap: first < expected,
            }
        } else {
            // The snapshot was too old: back off before the next one.
            Continuity::Break {
                reason: ResyncReason::StaleSnapshot,
                back_off: true,
            }
        }
    }

    /// Every level straight from the frame into the book.
    #[inline]
    fn apply_push(book: &mut OrderBook, push: &DepthPush<'_>) -> Result<(), Rejection<Error>> {
        push.depth
            .for_each_level(|level| {
                book.apply(level.side, level.price, level.quantity)
                    .map_err(ApplyError::Book)
            })
            .map_err(|error| match error {
                ApplyError::Decode(error) => Rejection::Decode(error),
                ApplyError::Book(error) => Rejection::Book(error.resync_reason()),
            })
    }

    fn stored_len(push: &DepthPush<'_>) -> usize {
        push.depth
            .ask_count()
            .saturating_add(push.depth.bid_count())
    }

    fn store(push: &DepthPush<'_>, into: &mut Vec<DepthLevel>) -> Result<(), Error> {
        for level in push.depth.levels() {
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
