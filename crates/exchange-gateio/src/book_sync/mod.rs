//! Local order books for `spot.order_book_update` / `futures.order_book_update`, one per
//! symbol, never silently wrong (spec §3.5, §4.3).
//!
//! # Rules
//!
//! Each symbol moves through these phases; its user-visible [`market_types::BookStatus`] is `Syncing`
//! until it is first live, `Live`, or `Resyncing(reason)` after it was thrown away.
//!
//! 1. **Awaiting ack.** [`BookSync::track`] (or a reconnect) starts here. Pushes are
//!    buffered already. [`BookSync::on_subscribed`] moves on.
//! 2. **Awaiting snapshot.** A [`ws_session::RestRequest`] for
//!    `GET {rest}/spot/order_book?currency_pair=X&limit=L&with_id=true` (futures:
//!    `/futures/usdt/order_book?contract=X&limit=L&with_id=true`, `L` = stream depth) is
//!    queued; pushes keep being buffered, at most [`BookSyncConfig::buffer_capacity`] of
//!    them (one more restarts the sync with [`market_types::ResyncReason::BufferOverflow`]).
//! 3. **Snapshot arrives** (`id`): buffered pushes with `u < id + 1` are dropped; if the
//!    first one left has `U > id + 1` the snapshot is stale and is fetched again after a
//!    backoff (the buffer is kept). Otherwise the book is loaded, the buffered pushes are
//!    replayed under the live rules, and the symbol is `Live`. HTTP 429 retries after
//!    `Retry-After` (or the backoff when absent); other failures retry after the backoff
//!    and report [`market_types::ResyncReason::SnapshotFailed`].
//! 4. **Live.** With `last` the book's update id:
//!    - `full: true` replaces the book and sets `last = u`, whatever the ids;
//!    - `u <= last`: an old push, skipped and counted as a duplicate;
//!    - `U > last + 1`: a gap, [`market_types::ResyncReason::Gap`] (the push starts the new
//!      buffer);
//!    - otherwise (`U <= last + 1 <= u`) the levels are applied as absolute amounts
//!      (zero deletes) and `last = u`. This admits pushes that overlap ids already
//!      applied, as the venue's own SDK does (G5): amounts are absolute, so re-applying
//!      the overlapping part is idempotent. Futures pushes with empty `a`/`b` still
//!      advance `last`.
//!
//!    After each push the sides are trimmed to the stream depth (levels pushed out of a
//!    fixed-depth stream are never deleted by the venue), and a crossed book, a negative
//!    size or an undecodable level restarts the sync (the last as
//!    [`market_types::ResyncReason::InvalidUpdate`]: part of the push may already be in the book).
//!
//! Every restart clears the book first (no ghost levels) and touches only that symbol.
//! A full push received while syncing counts as a snapshot (the REST answer then finds
//! the request abandoned and is ignored). [`BookSync::on_disconnected`] sends every book
//! back to phase 1; [`BookSync::resync`] restarts one on request.
//!
//! # Entry points
//!
//! [`BookSync::on_frame`] is the hot path: it takes the raw text frame and, for a push
//! that continues a live book, decodes it in one pass with the levels going straight
//! into the book. Everything else it hands to [`crate::parse_frame`] and
//! [`BookSync::on_update`], which a caller may also use directly with a decoded
//! [`OrderBookUpdate`]. Both give the same results (the tests run every rule through
//! both), except that a push whose trailing `l` names another depth is thrown away by
//! the single pass (its levels were already applied) and ignored by `on_update`.
//!
//! # Output
//!
//! The phases, buffering, retries, alignment, resync, status events, stats and trimming
//! are [`ws_handlers::BookSync`]'s, shared with every venue; this module supplies
//! [`GateioBooks`] (continuity, `full`, snapshot request and parser, level decoding) and
//! the single-pass decoder.
//!
//! Statically dispatched through a [`BookSink`]: [`BookSink::book_updated`] after each
//! applied push (and once with [`market_types::BookUpdateKind::Snapshot`] when a book goes live or is
//! replaced), [`BookSink::status_changed`] on every status change. REST requests go to
//! the [`Outbox`]. Time comes in as [`Timestamp`]; the backoff is jitterless.

mod stream;
mod venue;

use std::time::{Duration, Instant};

use market_types::{BookStatus, OrderBook, Symbol};
use ws_handlers::SyncSettings;
use ws_session::{Outbox, RestRequestId, RestResponse, Timestamp};

pub use venue::GateioBooks;
pub use ws_handlers::{BookSink, BookSyncStats, UpdateOutcome};

use crate::channel::{BookDepth, Channel, Market, Subscription};
use crate::config::Endpoints;
use crate::error::Error;
use crate::wire::{CompactHead, Message, OrderBookUpdate, parse_frame_with};
use stream::Fast;

/// Settings of one [`BookSync`] (one market, one stream depth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookSyncConfig {
    /// Spot or futures.
    pub market: Market,
    /// REST base up to `/api/v4` (a simulator's URL works as well).
    pub rest_base: String,
    /// Stream depth; also the snapshot's `limit` and the depth books are trimmed to.
    pub depth: BookDepth,
    /// Pushes buffered per symbol while waiting for a snapshot; one more restarts the
    /// sync with [`market_types::ResyncReason::BufferOverflow`].
    pub buffer_capacity: usize,
    /// First snapshot retry delay; doubles per failed attempt.
    pub backoff_initial: Duration,
    /// Longest snapshot retry delay.
    pub backoff_max: Duration,
    /// The first [`RestRequestId`] this sync uses; it counts up from there. Give each
    /// component that queues REST requests its own range.
    pub first_request_id: u64,
}

impl BookSyncConfig {
    /// Defaults: 1024 buffered pushes, backoff 250 ms doubling to 30 s, request ids from
    /// `1 << 32`.
    ///
    /// # Errors
    /// [`Error::UnsupportedDepth`] when `market` has no stream of that depth.
    pub fn new(
        market: Market,
        endpoints: &Endpoints,
        depth: BookDepth,
    ) -> Result<BookSyncConfig, Error> {
        if !depth.is_supported(market) {
            return Err(Error::UnsupportedDepth {
                market,
                levels: depth.levels(),
            });
        }
        Ok(BookSyncConfig {
            market,
            rest_base: endpoints.rest.clone(),
            depth,
            buffer_capacity: 1024,
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            first_request_id: 1 << 32,
        })
    }

    /// The retry delay after `attempt` failed attempts (1 = first failure).
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.settings().backoff(attempt)
    }

    /// The venue-independent part, for [`ws_handlers::BookSync`].
    pub fn settings(&self) -> SyncSettings {
        let depth = usize::try_from(self.depth.levels()).unwrap_or(usize::MAX);
        SyncSettings {
            depth,
            // Room for the depth plus a push's worth of new levels before trimming, so
            // steady-state updates never allocate.
            book_capacity: depth.saturating_mul(2),
            max_buffered_pushes: self.buffer_capacity,
            // Each push's text is bounded by the frame size.
            max_buffered_items: usize::MAX,
            // The snapshot is fetched as soon as the subscription is acknowledged.
            snapshot_after_quiet: Duration::ZERO,
            backoff_initial: self.backoff_initial,
            backoff_max: self.backoff_max,
            forget_failures_after: Duration::ZERO,
            first_request_id: self.first_request_id,
        }
    }
}

/// Per-symbol local books for one market: [`ws_handlers::BookSync`] over `GateioBooks`,
/// plus the single-pass decoder.
#[derive(Debug)]
pub struct BookSync {
    config: BookSyncConfig,
    channel: Channel,
    inner: ws_handlers::BookSync<GateioBooks>,
}

impl BookSync {
    /// An empty sync; add symbols with [`BookSync::track`].
    pub fn new(config: BookSyncConfig) -> BookSync {
        let venue = GateioBooks {
            market: config.market,
            rest_base: config.rest_base.clone(),
            depth: config.depth,
        };
        BookSync {
            channel: config.market.order_book_update(),
            inner: ws_handlers::BookSync::new(venue, config.settings()),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &BookSyncConfig {
        &self.config
    }

    /// Starts keeping a book for `symbol` (status `Syncing`) and returns the subscription
    /// to send; call [`BookSync::on_subscribed`] when its ack arrives. Tracking a symbol
    /// twice changes nothing.
    pub fn track(&mut self, symbol: Symbol, sink: &mut impl BookSink) -> Subscription {
        self.inner.track(symbol, sink);
        self.subscription(symbol)
    }

    /// Stops keeping `symbol`'s book; returns the subscription to unsubscribe, or `None`
    /// when it was not tracked. A snapshot still in flight is ignored when it lands.
    pub fn untrack(&mut self, symbol: Symbol) -> Option<Subscription> {
        self.inner
            .untrack(symbol)
            .then(|| self.subscription(symbol))
    }

    /// The `order_book_update` subscription of `symbol` at this sync's depth.
    pub fn subscription(&self, symbol: Symbol) -> Subscription {
        Subscription::book_unchecked(self.config.market, symbol, self.config.depth)
    }

    /// The subscription ack for `symbol` arrived: fetch the snapshot.
    pub fn on_subscribed(
        &mut self,
        symbol: Symbol,
        now: Timestamp,
        out: &mut Outbox,
        _sink: &mut impl BookSink,
    ) {
        self.inner.on_subscribed(symbol, now, out);
    }

    /// The hot path: handles `frame` when it is a push of this sync's channel, in one
    /// pass that streams the levels straight into the book (no intermediate buffer, no
    /// allocation). Returns `Ok(None)` for any other frame: decode those with
    /// [`crate::parse_frame`]. Frames it cannot take the fast way (a book that is not
    /// live, a gap, a duplicate, a `full` push, unusual member order) go through
    /// [`crate::parse_frame`] and [`BookSync::on_update`] internally, with the same result.
    ///
    /// # Errors
    /// The frame's decode error, whatever its channel (do not decode it again). When
    /// the frame broke after levels had been applied, the symbol has been restarted
    /// ([`market_types::ResyncReason::InvalidUpdate`]).
    #[inline]
    pub fn on_frame(
        &mut self,
        frame: &[u8],
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> Result<Option<UpdateOutcome>, Error> {
        self.on_frame_with(frame, None, now, out, sink)
    }

    /// [`Self::on_frame`] of a frame whose envelope [`crate::wire::compact_head`] has
    /// already read: the push is read from its `result`.
    #[inline]
    pub(crate) fn on_frame_with(
        &mut self,
        frame: &[u8],
        head: Option<CompactHead>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> Result<Option<UpdateOutcome>, Error> {
        match self.stream(frame, head) {
            Fast::NotOurs => Ok(None),
            Fast::Commit {
                slot,
                first,
                last,
                time_ms,
            } => Ok(Some(
                self.inner
                    .commit(slot, first, last, time_ms, now, out, sink),
            )),
            Fast::Fallback => match parse_frame_with(frame, head)? {
                Message::OrderBookUpdate(update) => {
                    Ok(Some(self.on_update(&update, now, out, sink)))
                }
                _ => Ok(None),
            },
            Fast::Broken {
                slot,
                symbol,
                fault,
            } => {
                let reason = market_types::ResyncReason::InvalidUpdate;
                self.inner.reject(slot, reason, now, out, sink);
                Err(Error::from_fault(
                    fault,
                    frame,
                    Some(self.channel),
                    Some(symbol),
                ))
            }
            Fast::Rejected { slot, reason } => {
                self.inner.reject(slot, reason, now, out, sink);
                Ok(Some(UpdateOutcome::Resync(reason)))
            }
        }
    }

    /// Applies, buffers or skips one push, or restarts its symbol (see the module docs).
    pub fn on_update(
        &mut self,
        update: &OrderBookUpdate<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> UpdateOutcome {
        let depth_ok = update
            .depth
            .is_none_or(|levels| levels == self.config.depth.levels());
        if update.channel != self.channel || !depth_ok {
            self.inner.note_untracked();
            return UpdateOutcome::Untracked;
        }
        match self.inner.on_push(update, now, out, sink) {
            Ok(outcome) => outcome,
            Err(never) => match never {},
        }
    }

    /// Handles a REST answer. Returns `false` when the request id is not one of this
    /// sync's (answers to abandoned requests are consumed and ignored).
    pub fn on_rest_response(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> bool {
        self.inner.on_rest_response(response, now, out, sink)
    }

    /// Sends the snapshot requests whose backoff has run out. Call on every driver tick.
    pub fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.inner.on_tick(now, out);
    }

    /// The earliest pending snapshot retry, for a driver that sleeps until then.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.inner.next_deadline()
    }

    /// Throws `symbol`'s book away and rebuilds it
    /// ([`market_types::ResyncReason::UserRequested`]). Returns `false` when the symbol
    /// is not tracked.
    pub fn resync(
        &mut self,
        symbol: Symbol,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> bool {
        self.inner.resync(symbol, now, out, sink)
    }

    /// The connection is gone: every book is cleared and waits for its new subscription
    /// ack. Books that had been live (or were resyncing) report
    /// `Resyncing(Reconnected)`; books still in their first sync stay `Syncing`.
    pub fn on_disconnected(&mut self, sink: &mut impl BookSink) {
        self.inner.on_disconnected(sink);
    }

    /// The book of `symbol`; trust it only while [`BookSync::status`] is `Live`.
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.inner.book(symbol)
    }

    /// The status of `symbol`'s book.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        self.inner.status(symbol)
    }

    /// Tracked symbols.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.inner.symbols()
    }

    /// Counters.
    pub fn stats(&self) -> BookSyncStats {
        self.inner.stats()
    }

    /// Whether `id` is in this sync's request id range.
    pub fn owns(&self, id: RestRequestId) -> bool {
        self.inner.owns(id)
    }
}

/// Handlers read the books through the shared machine.
impl ws_handlers::WrapsBookSync for BookSync {
    type Venue = GateioBooks;

    fn machine(&self) -> &ws_handlers::BookSync<GateioBooks> {
        &self.inner
    }
}
