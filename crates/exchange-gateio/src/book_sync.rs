//! Local order books for `spot.order_book_update` / `futures.order_book_update`, one per
//! symbol, never silently wrong (spec §3.5, §4.3).
//!
//! # Rules
//!
//! Each symbol moves through these phases; its user-visible [`BookStatus`] is `Syncing`
//! until it is first live, `Live`, or `Resyncing(reason)` after it was thrown away.
//!
//! 1. **Awaiting ack.** [`BookSync::track`] (or a reconnect) starts here. Pushes are
//!    buffered already. [`BookSync::on_subscribed`] moves on.
//! 2. **Awaiting snapshot.** A [`RestRequest`] for
//!    `GET {rest}/spot/order_book?currency_pair=X&limit=L&with_id=true` (futures:
//!    `/futures/usdt/order_book?contract=X&limit=L&with_id=true`, `L` = stream depth) is
//!    queued; pushes keep being buffered, at most [`BookSyncConfig::buffer_capacity`] of
//!    them (one more restarts the sync with [`ResyncReason::BufferOverflow`]).
//! 3. **Snapshot arrives** (`id`): buffered pushes with `u < id + 1` are dropped; if the
//!    first one left has `U > id + 1` the snapshot is stale and is fetched again after a
//!    backoff (the buffer is kept). Otherwise the book is loaded, the buffered pushes are
//!    replayed under the live rules, and the symbol is `Live`. HTTP 429 retries after
//!    `Retry-After` (or the backoff when absent); other failures retry after the backoff
//!    and report [`ResyncReason::SnapshotFailed`].
//! 4. **Live.** With `last` the book's update id:
//!    - `full: true` replaces the book and sets `last = u`, whatever the ids;
//!    - `u <= last`: an old push, skipped and counted as a duplicate;
//!    - `U > last + 1`: a gap, [`ResyncReason::Gap`];
//!    - otherwise (`U <= last + 1 <= u`) the levels are applied as absolute amounts
//!      (zero deletes) and `last = u`. This admits pushes that overlap ids already
//!      applied, as the venue's own SDK does (G5): amounts are absolute, so re-applying
//!      the overlapping part is idempotent. Futures pushes with empty `a`/`b` still
//!      advance `last`.
//!
//!    After each push the sides are trimmed to the stream depth (levels pushed out of a
//!    fixed-depth stream are never deleted by the venue), and a crossed book, a negative
//!    size or an undecodable level restarts the sync (the last as
//!    [`ResyncReason::InvalidUpdate`]: part of the push may already be in the book).
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
//! into the book. Everything else it hands to [`parse_frame`] and
//! [`BookSync::on_update`], which a caller may also use directly with a decoded
//! [`OrderBookUpdate`]. Both give the same results (the tests run every rule through
//! both), except that a push whose trailing `l` names another depth is thrown away by
//! the single pass (its levels were already applied) and ignored by `on_update`.
//!
//! # Output
//!
//! Statically dispatched through a [`BookSink`]: [`BookSink::book_updated`] after each
//! applied push (and once with [`BookUpdateKind::Snapshot`] when a book goes live or is
//! replaced), [`BookSink::status_changed`] on every status change. REST requests go to
//! the [`Outbox`]. Time comes in as [`Timestamp`]; the backoff is jitterless.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

use market_types::{
    BookStatus, BookStatusEvent, BookUpdate, BookUpdateKind, OrderBook, Price, Quantity,
    ResyncReason, Side, Symbol, Venue,
};
use ws_session::{Outbox, RestMethod, RestRequest, RestRequestId, RestResponse, Timestamp};

use crate::channel::{BookDepth, Channel, Market, Subscription};
use crate::config::Endpoints;
use crate::error::Error;
use crate::json::{Fault, Scanner};
use crate::wire::book::{level, quick_level};
use crate::wire::read;
use crate::wire::{
    BookSnapshot, CompactHead, Event, Message, OrderBookUpdate, RawLevels, parse_frame_with,
    parse_snapshot,
};

/// Receives what the book sync produces. Implemented by the session that owns the sync;
/// generic, so the per-update call is inlined.
pub trait BookSink {
    /// A push (or snapshot) was applied; `book` is the result.
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate);

    /// A book's status changed.
    fn status_changed(&mut self, event: BookStatusEvent);
}

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
    /// sync with [`ResyncReason::BufferOverflow`].
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
        let shift = attempt.saturating_sub(1).min(30);
        self.backoff_initial
            .saturating_mul(1u32 << shift)
            .min(self.backoff_max)
    }
}

/// What [`BookSync::on_update`] did with a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Applied to a live book.
    Applied,
    /// A `full` push replaced the book (it may have made it live).
    Replaced,
    /// Kept until the snapshot arrives.
    Buffered,
    /// Older than the book (`u <= last`), skipped.
    Duplicate,
    /// The symbol was thrown away and is resyncing.
    Resync(ResyncReason),
    /// Not a tracked symbol, or another channel or depth.
    Untracked,
}

/// Counters, read with [`BookSync::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookSyncStats {
    /// Pushes applied to live books.
    pub applied: u64,
    /// `full` pushes that replaced a book.
    pub replaced: u64,
    /// Pushes buffered while syncing.
    pub buffered: u64,
    /// Pushes skipped as older than the book.
    pub duplicates: u64,
    /// Pushes applied that overlapped ids already applied (`U <= last`).
    pub overlaps: u64,
    /// Restarts of any cause.
    pub resyncs: u64,
    /// Restarts for a gap.
    pub gaps: u64,
    /// Restarts for a push that was malformed, or of another depth, after part of it was
    /// applied.
    pub invalid_updates: u64,
    /// Restarts for a crossed book.
    pub crossed: u64,
    /// Restarts for a non-positive size.
    pub non_positive: u64,
    /// Restarts for a full buffer.
    pub buffer_overflows: u64,
    /// Snapshot requests queued.
    pub snapshots_requested: u64,
    /// Snapshots that made a book live.
    pub snapshots_applied: u64,
    /// Snapshots older than the buffered pushes.
    pub stale_snapshots: u64,
    /// Snapshot answers with an error (HTTP, transport, undecodable, invalid book).
    pub snapshot_failures: u64,
    /// Snapshot answers with HTTP 429.
    pub rate_limited: u64,
    /// Pushes for symbols, channels or depths not tracked here.
    pub untracked: u64,
}

/// Per-symbol local books for one market.
#[derive(Debug)]
pub struct BookSync {
    config: BookSyncConfig,
    channel: Channel,
    venue: Venue,
    books: Vec<Entry>,
    index: HashMap<Symbol, usize, BuildHasherDefault<SymbolHasher>>,
    next_request: u64,
    stats: BookSyncStats,
}

#[derive(Debug)]
struct Entry {
    book: OrderBook,
    status: BookStatus,
    phase: Phase,
    /// Failed snapshot attempts since the book was last live.
    attempts: u32,
    buffer: UpdateBuffer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingAck,
    AwaitingSnapshot(RestRequestId),
    Backoff(Instant),
    Live,
}

impl BookSync {
    /// An empty sync; add symbols with [`BookSync::track`].
    pub fn new(config: BookSyncConfig) -> BookSync {
        let channel = config.market.order_book_update();
        let venue = config.market.venue();
        let next_request = config.first_request_id;
        BookSync {
            config,
            channel,
            venue,
            books: Vec::new(),
            index: HashMap::default(),
            next_request,
            stats: BookSyncStats::default(),
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
        if !self.index.contains_key(&symbol) {
            let capacity = self.capacity();
            self.index.insert(symbol, self.books.len());
            self.books.push(Entry {
                book: OrderBook::with_capacity(symbol, capacity),
                status: BookStatus::Syncing,
                phase: Phase::AwaitingAck,
                attempts: 0,
                buffer: UpdateBuffer::default(),
            });
            sink.status_changed(BookStatusEvent {
                venue: self.venue,
                symbol,
                status: BookStatus::Syncing,
            });
        }
        self.subscription(symbol)
    }

    /// Stops keeping `symbol`'s book; returns the subscription to unsubscribe, or `None`
    /// when it was not tracked. A snapshot still in flight is ignored when it lands.
    pub fn untrack(&mut self, symbol: Symbol) -> Option<Subscription> {
        let index = self.index.remove(&symbol)?;
        self.books.swap_remove(index);
        if let Some(moved) = self.books.get(index) {
            self.index.insert(moved.book.symbol(), index);
        }
        Some(self.subscription(symbol))
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
        let Some(&index) = self.index.get(&symbol) else {
            return;
        };
        if self.books.get(index).map(|e| e.phase) == Some(Phase::AwaitingAck) {
            self.fetch_snapshot(index, now, out);
        }
    }

    /// The hot path: handles `frame` when it is a push of this sync's channel, in one
    /// pass that streams the levels straight into the book (no intermediate buffer, no
    /// allocation). Returns `Ok(None)` for any other frame: decode those with
    /// [`parse_frame`]. Frames it cannot take the fast way (a book that is not live, a
    /// gap, a duplicate, a `full` push, unusual member order) go through [`parse_frame`]
    /// and [`BookSync::on_update`] internally, with the same result.
    ///
    /// # Errors
    /// The frame's decode error, whatever its channel (do not decode it again). When
    /// the frame broke after levels had been applied, the symbol has been restarted
    /// (reported as a gap over the push's ids).
    pub fn on_frame(
        &mut self,
        frame: &[u8],
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> Result<Option<UpdateOutcome>, Error> {
        self.on_frame_with(frame, None, now, out, sink)
    }

    /// [`Self::on_frame`] of a frame whose envelope [`crate::wire::compact_head`] has already
    /// read: the push is read from its `result`.
    pub(crate) fn on_frame_with(
        &mut self,
        frame: &[u8],
        head: Option<CompactHead>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> Result<Option<UpdateOutcome>, Error> {
        match self.stream(frame, head, sink) {
            Fast::NotOurs => Ok(None),
            Fast::Done(outcome) => Ok(Some(outcome)),
            Fast::Fallback => match parse_frame_with(frame, head)? {
                Message::OrderBookUpdate(update) => {
                    Ok(Some(self.on_update(&update, now, out, sink)))
                }
                _ => Ok(None),
            },
            Fast::Broken {
                index,
                symbol,
                fault,
                reason,
            } => {
                self.restart(index, reason, now, out, sink);
                Err(Error::from_fault(
                    fault,
                    frame,
                    Some(self.channel),
                    Some(symbol),
                ))
            }
            Fast::Rejected { index, reason } => {
                self.restart(index, reason, now, out, sink);
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
        let index = match self.index.get(&update.symbol) {
            Some(&index) if update.channel == self.channel && depth_ok => index,
            _ => {
                self.stats.untracked += 1;
                return UpdateOutcome::Untracked;
            }
        };
        let Some(entry) = self.books.get_mut(index) else {
            return UpdateOutcome::Untracked;
        };
        if entry.phase != Phase::Live {
            if update.full {
                return self.load_full(index, update, now, out, sink);
            }
            if entry.buffer.len() >= self.config.buffer_capacity {
                self.stats.buffer_overflows += 1;
                self.restart(index, ResyncReason::BufferOverflow, now, out, sink);
                if let Some(entry) = self.books.get_mut(index) {
                    entry.buffer.push(update);
                    self.stats.buffered += 1;
                }
                return UpdateOutcome::Resync(ResyncReason::BufferOverflow);
            }
            entry.buffer.push(update);
            self.stats.buffered += 1;
            return UpdateOutcome::Buffered;
        }
        if update.full {
            return self.load_full(index, update, now, out, sink);
        }
        let first = update.first_update_id.unwrap_or(update.last_update_id);
        match self.apply_delta(
            index,
            first,
            update.last_update_id,
            update.bids,
            update.asks,
        ) {
            Ok(Applied::Applied) => {
                self.stats.applied += 1;
                if let Some(entry) = self.books.get(index) {
                    sink.book_updated(
                        &entry.book,
                        &BookUpdate {
                            venue: self.venue,
                            symbol: update.symbol,
                            kind: BookUpdateKind::Delta,
                            first_update_id: first,
                            last_update_id: update.last_update_id,
                            exchange_time_ms: update.time_ms,
                        },
                    );
                }
                UpdateOutcome::Applied
            }
            Ok(Applied::Duplicate) => UpdateOutcome::Duplicate,
            Err(reason) => {
                self.restart(index, reason, now, out, sink);
                UpdateOutcome::Resync(reason)
            }
        }
    }

    /// Handles a REST answer. Returns `false` when the request id is not one of this
    /// sync's (answers to abandoned requests are consumed and ignored).
    pub fn on_rest_response(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        _out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> bool {
        if !self.owns(response.id) {
            return false;
        }
        let Some(index) = self
            .books
            .iter()
            .position(|e| e.phase == Phase::AwaitingSnapshot(response.id))
        else {
            return true;
        };
        let reply = match &response.result {
            Ok(reply) => reply,
            Err(failure) => {
                tracing::debug!(?failure, "order book snapshot request failed");
                self.snapshot_failed(index, None, now, sink);
                return true;
            }
        };
        if reply.status == 429 {
            self.stats.rate_limited += 1;
            self.snapshot_failed(index, reply.retry_after, now, sink);
            return true;
        }
        if reply.status != 200 {
            tracing::debug!(status = reply.status, "order book snapshot HTTP error");
            self.snapshot_failed(index, None, now, sink);
            return true;
        }
        match parse_snapshot(&reply.body) {
            Ok(snapshot) => self.apply_snapshot(index, &snapshot, now, sink),
            Err(error) => {
                tracing::debug!(%error, "undecodable order book snapshot");
                self.snapshot_failed(index, None, now, sink);
            }
        }
        true
    }

    /// Sends the snapshot requests whose backoff has run out. Call on every driver tick.
    pub fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        for index in 0..self.books.len() {
            if let Some(Phase::Backoff(until)) = self.books.get(index).map(|e| e.phase)
                && until <= now.monotonic
            {
                self.fetch_snapshot(index, now, out);
            }
        }
    }

    /// The earliest pending snapshot retry, for a driver that sleeps until then.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.books
            .iter()
            .filter_map(|e| match e.phase {
                Phase::Backoff(until) => Some(until),
                _ => None,
            })
            .min()
    }

    /// Throws `symbol`'s book away and rebuilds it ([`ResyncReason::UserRequested`]).
    /// Returns `false` when the symbol is not tracked.
    pub fn resync(
        &mut self,
        symbol: Symbol,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> bool {
        match self.index.get(&symbol) {
            Some(&index) => {
                self.restart(index, ResyncReason::UserRequested, now, out, sink);
                true
            }
            None => false,
        }
    }

    /// The connection is gone: every book is cleared and waits for its new subscription
    /// ack. Books that had been live (or were resyncing) report
    /// `Resyncing(Reconnected)`; books still in their first sync stay `Syncing`.
    pub fn on_disconnected(&mut self, sink: &mut impl BookSink) {
        for entry in &mut self.books {
            entry.book.clear();
            entry.buffer.clear();
            entry.phase = Phase::AwaitingAck;
            entry.attempts = 0;
            if entry.status != BookStatus::Syncing {
                set_status(
                    entry,
                    self.venue,
                    BookStatus::Resyncing(ResyncReason::Reconnected),
                    sink,
                );
            }
        }
    }

    /// The book of `symbol`; trust it only while [`BookSync::status`] is `Live`.
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        let index = *self.index.get(&symbol)?;
        self.books.get(index).map(|e| &e.book)
    }

    /// The status of `symbol`'s book.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        let index = *self.index.get(&symbol)?;
        self.books.get(index).map(|e| e.status)
    }

    /// Tracked symbols.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.books.iter().map(|e| e.book.symbol())
    }

    /// Counters.
    pub fn stats(&self) -> BookSyncStats {
        self.stats
    }

    /// Whether `id` is in this sync's request id range.
    pub fn owns(&self, id: RestRequestId) -> bool {
        (self.config.first_request_id..self.next_request).contains(&id.0)
    }

    /// Reads the envelope up to the `result` of an `update` push of this sync's channel;
    /// what to answer instead for any other frame.
    fn read_envelope(&self, sc: &mut Scanner<'_>) -> Option<Fast> {
        let mut first = true;
        if sc.begin_object().is_err() {
            return Some(Fast::Fallback);
        }
        let (mut ours, mut update) = (false, false);
        loop {
            let Ok(Some(key)) = sc.next_key(&mut first) else {
                return Some(Fast::Fallback);
            };
            match key.raw {
                b"channel" => match read::word(sc, "channel") {
                    Ok(name) if name == self.channel.as_str().as_bytes() => ours = true,
                    Ok(_) => return Some(Fast::NotOurs),
                    Err(_) => return Some(Fast::Fallback),
                },
                b"event" => match read::word(sc, "event") {
                    Ok(b"update" | b"all") => update = true,
                    Ok(_) => return Some(Fast::NotOurs),
                    Err(_) => return Some(Fast::Fallback),
                },
                b"result" if ours && update => return None,
                b"result" => return Some(Fast::Fallback),
                _ => {
                    if sc.skip_value().is_err() {
                        return Some(Fast::Fallback);
                    }
                }
            }
        }
    }

    /// The single-pass decoder behind [`BookSync::on_frame`]. It commits to applying only
    /// once the header has been read and says the push continues a live book; until then
    /// nothing is changed and any surprise means [`Fast::Fallback`].
    #[inline]
    fn stream(
        &mut self,
        frame: &[u8],
        head: Option<CompactHead>,
        sink: &mut impl BookSink,
    ) -> Fast {
        let mut sc = Scanner::new(frame);
        // Envelope up to `result`: only `update` pushes of our channel are taken.
        match head {
            Some(head) => {
                if head.channel != self.channel || !matches!(head.event, Event::Update | Event::All)
                {
                    return Fast::NotOurs;
                }
                sc.set_pos(head.result_at);
            }
            None => {
                if let Some(fast) = self.read_envelope(&mut sc) {
                    return fast;
                }
            }
        }
        // Header, up to the first level array.
        let mut first = true;
        if sc.begin_object().is_err() {
            return Fast::Fallback;
        }
        let mut header = Header::default();
        let side = loop {
            let Ok(Some(key)) = sc.next_key(&mut first) else {
                return Fast::Fallback;
            };
            let fresh = match key.raw {
                b"b" => break Side::Buy,
                b"a" => break Side::Sell,
                b"s" => {
                    header.symbol.is_none() && {
                        header.symbol = read::symbol(&mut sc, "s").ok();
                        header.symbol.is_some()
                    }
                }
                b"U" => {
                    header.first.is_none() && {
                        header.first = read::uint(&mut sc, "U").ok();
                        header.first.is_some()
                    }
                }
                b"u" => {
                    header.last.is_none() && {
                        header.last = read::uint(&mut sc, "u").ok();
                        header.last.is_some()
                    }
                }
                b"full" => {
                    header.full.is_none() && {
                        header.full = read::boolean(&mut sc, "full").ok();
                        header.full == Some(false)
                    }
                }
                b"t" => read::millis(&mut sc, "t")
                    .map(|t| header.time_ms = t)
                    .is_ok(),
                b"l" => read::uint(&mut sc, "l")
                    .map(|l| header.depth = Some(l))
                    .is_ok(),
                _ => sc.skip_value().is_ok(),
            };
            if !fresh {
                return Fast::Fallback;
            }
        };
        let (Some(symbol), Some(first_id), Some(last_id)) =
            (header.symbol, header.first, header.last)
        else {
            return Fast::Fallback;
        };
        let depth = u64::from(self.config.depth.levels());
        if header.depth.is_some_and(|l| l != depth) || first_id > last_id {
            return Fast::Fallback;
        }
        let Some(&index) = self.index.get(&symbol) else {
            return Fast::Fallback;
        };
        let Some(entry) = self.books.get_mut(index) else {
            return Fast::Fallback;
        };
        let current = entry.book.update_id();
        let expected = current.saturating_add(1);
        if entry.phase != Phase::Live || last_id <= current || first_id > expected {
            return Fast::Fallback;
        }
        // Committed: from here on the book changes, and a broken frame restarts it.
        let broken = |fault| Fast::Broken {
            index,
            symbol,
            fault,
            reason: ResyncReason::InvalidUpdate,
        };
        let book = &mut entry.book;
        let (mut seen_bids, mut seen_asks) = (false, false);
        let mut side = Some(side);
        loop {
            if let Some(side) = side.take() {
                let seen = match side {
                    Side::Buy => &mut seen_bids,
                    Side::Sell => &mut seen_asks,
                };
                if *seen {
                    return broken(Fault::duplicate(
                        if side == Side::Buy { "b" } else { "a" },
                        sc.pos(),
                    ));
                }
                *seen = true;
                match stream_side(&mut sc, book, side) {
                    Ok(()) => {}
                    Err(Stop::Fault(fault)) => return broken(fault),
                    Err(Stop::Book(reason)) => return Fast::Rejected { index, reason },
                }
            }
            let key = match sc.next_key(&mut first) {
                Ok(Some(key)) => key,
                Ok(None) => break,
                Err(fault) => return broken(fault),
            };
            let at = key.at;
            let checked = match key.raw {
                b"b" => {
                    side = Some(Side::Buy);
                    Ok(())
                }
                b"a" => {
                    side = Some(Side::Sell);
                    Ok(())
                }
                // A late `full: true` would have meant "replace", not "amend".
                b"full" => match read::boolean(&mut sc, "full") {
                    Ok(false) if header.full.is_none() => Ok(()),
                    Ok(_) => Err(Fault::duplicate("full", at)),
                    Err(fault) => Err(fault),
                },
                b"s" | b"U" | b"u" => Err(Fault::duplicate("u", at)),
                // Futures send `l` last. A push of another depth (a second subscription
                // to the same pair) has just been applied to the wrong book.
                b"l" => match read::uint(&mut sc, "l") {
                    Ok(l) if header.depth.is_none() => {
                        if l != depth {
                            return Fast::Rejected {
                                index,
                                reason: ResyncReason::InvalidUpdate,
                            };
                        }
                        Ok(())
                    }
                    Ok(_) => Err(Fault::duplicate("l", at)),
                    Err(fault) => Err(fault),
                },
                b"t" => read::millis(&mut sc, "t").map(|t| header.time_ms = t),
                _ => sc.skip_value(),
            };
            if let Err(fault) = checked {
                return broken(fault);
            }
        }
        // The rest of the envelope must be well formed too.
        let mut first = false;
        loop {
            match sc.next_key(&mut first) {
                Ok(Some(key)) => {
                    if matches!(key.raw, b"channel" | b"event" | b"result") {
                        return broken(Fault::duplicate("result", key.at));
                    }
                    if let Err(fault) = sc.skip_value() {
                        return broken(fault);
                    }
                }
                Ok(None) => break,
                Err(fault) => return broken(fault),
            }
        }
        if let Err(fault) = sc.finish() {
            return broken(fault);
        }
        let depth = usize::try_from(depth).unwrap_or(usize::MAX);
        book.truncate(Side::Buy, depth);
        book.truncate(Side::Sell, depth);
        if book.is_crossed() {
            return Fast::Rejected {
                index,
                reason: ResyncReason::Crossed,
            };
        }
        book.set_update_id(last_id);
        if first_id < expected {
            self.stats.overlaps += 1;
        }
        self.stats.applied += 1;
        sink.book_updated(
            book,
            &BookUpdate {
                venue: self.venue,
                symbol,
                kind: BookUpdateKind::Delta,
                first_update_id: first_id,
                last_update_id: last_id,
                exchange_time_ms: header.time_ms,
            },
        );
        Fast::Done(UpdateOutcome::Applied)
    }

    /// Capacity reserved per side: room for the depth plus a push's worth of new levels
    /// before trimming, so steady-state updates never allocate.
    fn capacity(&self) -> usize {
        usize::try_from(self.config.depth.levels())
            .unwrap_or(100)
            .saturating_mul(2)
    }

    fn fetch_snapshot(&mut self, index: usize, _now: Timestamp, out: &mut Outbox) {
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        let id = RestRequestId(self.next_request);
        self.next_request += 1;
        let symbol = entry.book.symbol();
        let (path, key) = match self.config.market {
            Market::Spot => ("/spot/order_book", "currency_pair"),
            Market::Futures => ("/futures/usdt/order_book", "contract"),
        };
        let url = format!(
            "{}{path}?{key}={}&limit={}&with_id=true",
            self.config.rest_base,
            encode_query(symbol.as_str()),
            self.config.depth.levels()
        );
        entry.phase = Phase::AwaitingSnapshot(id);
        self.stats.snapshots_requested += 1;
        out.rest(RestRequest {
            id,
            method: RestMethod::Get,
            url,
            headers: Vec::new(),
            body: bytes::Bytes::new(),
        });
    }

    /// Clears the book and starts over; the first attempt of an episode fetches at once,
    /// later ones (and overflows) after the backoff.
    fn restart(
        &mut self,
        index: usize,
        reason: ResyncReason,
        now: Timestamp,
        out: &mut Outbox,
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
        let venue = self.venue;
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        tracing::debug!(symbol = %entry.book.symbol(), %reason, "order book resync");
        entry.book.clear();
        entry.buffer.clear();
        set_status(entry, venue, BookStatus::Resyncing(reason), sink);
        if entry.phase == Phase::AwaitingAck {
            return;
        }
        if reason == ResyncReason::BufferOverflow {
            entry.attempts += 1;
        }
        if entry.attempts == 0 {
            self.fetch_snapshot(index, now, out);
        } else {
            let delay = self.config.backoff(entry.attempts);
            entry.phase = Phase::Backoff(now.monotonic + delay);
        }
    }

    /// A snapshot attempt failed: back off (at least `retry_after`), report it.
    fn snapshot_failed(
        &mut self,
        index: usize,
        retry_after: Option<Duration>,
        now: Timestamp,
        sink: &mut impl BookSink,
    ) {
        self.stats.snapshot_failures += 1;
        self.back_off(index, ResyncReason::SnapshotFailed, retry_after, now, sink);
    }

    fn back_off(
        &mut self,
        index: usize,
        reason: ResyncReason,
        retry_after: Option<Duration>,
        now: Timestamp,
        sink: &mut impl BookSink,
    ) {
        let venue = self.venue;
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        entry.attempts = entry.attempts.saturating_add(1);
        let delay = retry_after.unwrap_or_else(|| self.config.backoff(entry.attempts));
        entry.book.clear();
        entry.phase = Phase::Backoff(now.monotonic + delay);
        set_status(entry, venue, BookStatus::Resyncing(reason), sink);
    }

    fn apply_snapshot(
        &mut self,
        index: usize,
        snapshot: &BookSnapshot<'_>,
        now: Timestamp,
        sink: &mut impl BookSink,
    ) {
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        let id = snapshot.update_id;
        entry.buffer.drop_through(id);
        if let Some(first) = entry.buffer.first_pending()
            && first > id.saturating_add(1)
        {
            self.stats.stale_snapshots += 1;
            self.back_off(index, ResyncReason::StaleSnapshot, None, now, sink);
            return;
        }
        if let Err(reason) = load(&mut entry.book, snapshot.bids, snapshot.asks, id) {
            if reason == ResyncReason::NonPositiveQuantity {
                self.stats.non_positive += 1;
            }
            self.stats.snapshot_failures += 1;
            self.back_off(index, reason, None, now, sink);
            return;
        }
        self.stats.snapshots_applied += 1;
        self.go_live(index, id, snapshot.time_ms.unwrap_or(0), now, sink);
    }

    /// A `full` push: replaces the book whatever its phase.
    fn load_full(
        &mut self,
        index: usize,
        update: &OrderBookUpdate<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut impl BookSink,
    ) -> UpdateOutcome {
        let Some(entry) = self.books.get_mut(index) else {
            return UpdateOutcome::Untracked;
        };
        let id = update.last_update_id;
        if let Err(reason) = load(&mut entry.book, update.bids, update.asks, id) {
            self.restart(index, reason, now, out, sink);
            return UpdateOutcome::Resync(reason);
        }
        self.stats.replaced += 1;
        if entry.phase == Phase::Live {
            let book_update = BookUpdate {
                venue: self.venue,
                symbol: update.symbol,
                kind: BookUpdateKind::Snapshot,
                first_update_id: update.first_update_id.unwrap_or(id),
                last_update_id: id,
                exchange_time_ms: update.time_ms,
            };
            sink.book_updated(&entry.book, &book_update);
            return UpdateOutcome::Replaced;
        }
        entry.buffer.drop_through(id);
        if let Some(first) = entry.buffer.first_pending()
            && first > id.saturating_add(1)
        {
            // Pushes after the full one were lost while buffering: impossible on an
            // ordered stream, but never trust a book over a hole.
            let reason = ResyncReason::Gap {
                expected: id.saturating_add(1),
                received: first,
            };
            self.restart(index, reason, now, out, sink);
            return UpdateOutcome::Resync(reason);
        }
        self.go_live(index, id, update.time_ms, now, sink);
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
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        let buffer = core::mem::take(&mut entry.buffer);
        let mut failure = None;
        let mut last_time = time_ms;
        for item in buffer.iter() {
            match self.apply_delta(index, item.first, item.last, item.bids, item.asks) {
                Ok(_) => last_time = item.time_ms,
                Err(reason) => {
                    failure = Some(reason);
                    break;
                }
            }
        }
        let Some(entry) = self.books.get_mut(index) else {
            return;
        };
        entry.buffer = buffer;
        entry.buffer.clear();
        if let Some(reason) = failure {
            // Replay found a hole or a bad push: the book cannot be trusted.
            match reason {
                ResyncReason::Gap { .. } => self.stats.gaps += 1,
                ResyncReason::InvalidUpdate => self.stats.invalid_updates += 1,
                ResyncReason::Crossed => self.stats.crossed += 1,
                ResyncReason::NonPositiveQuantity => self.stats.non_positive += 1,
                _ => {}
            }
            self.stats.resyncs += 1;
            self.back_off(index, reason, None, now, sink);
            return;
        }
        entry.phase = Phase::Live;
        entry.attempts = 0;
        let venue = self.venue;
        set_status(entry, venue, BookStatus::Live, sink);
        let update = BookUpdate {
            venue,
            symbol: entry.book.symbol(),
            kind: BookUpdateKind::Snapshot,
            first_update_id: loaded_id,
            last_update_id: entry.book.update_id(),
            exchange_time_ms: last_time,
        };
        sink.book_updated(&entry.book, &update);
    }

    /// The live rules for one incremental push.
    #[inline]
    fn apply_delta(
        &mut self,
        index: usize,
        first: u64,
        last: u64,
        bids: RawLevels<'_>,
        asks: RawLevels<'_>,
    ) -> Result<Applied, ResyncReason> {
        let depth = usize::try_from(self.config.depth.levels()).unwrap_or(usize::MAX);
        let Some(entry) = self.books.get_mut(index) else {
            return Ok(Applied::Duplicate);
        };
        let book = &mut entry.book;
        let current = book.update_id();
        if last <= current {
            self.stats.duplicates += 1;
            return Ok(Applied::Duplicate);
        }
        let expected = current.saturating_add(1);
        if first > expected {
            return Err(ResyncReason::Gap {
                expected,
                received: first,
            });
        }
        if first < expected {
            self.stats.overlaps += 1;
        }
        apply_side(book, Side::Buy, bids)?;
        apply_side(book, Side::Sell, asks)?;
        book.truncate(Side::Buy, depth);
        book.truncate(Side::Sell, depth);
        if book.is_crossed() {
            return Err(ResyncReason::Crossed);
        }
        book.set_update_id(last);
        Ok(Applied::Applied)
    }
}

/// What the single-pass decoder did.
enum Fast {
    /// Not an update push of this sync's channel.
    NotOurs,
    /// Handled completely.
    Done(UpdateOutcome),
    /// Nothing changed; take the general path.
    Fallback,
    /// Levels were applied, then the frame turned out broken.
    Broken {
        index: usize,
        symbol: Symbol,
        fault: Fault,
        reason: ResyncReason,
    },
    /// The update is well formed but makes the book invalid.
    Rejected { index: usize, reason: ResyncReason },
}

/// Header members read before the first level array.
#[derive(Debug, Default)]
struct Header {
    symbol: Option<Symbol>,
    first: Option<u64>,
    last: Option<u64>,
    full: Option<bool>,
    time_ms: u64,
    depth: Option<u64>,
}

enum Stop {
    Fault(Fault),
    Book(ResyncReason),
}

/// Decodes one level array straight into the book.
#[inline]
fn stream_side(sc: &mut Scanner<'_>, book: &mut OrderBook, side: Side) -> Result<(), Stop> {
    let at = sc.pos();
    if sc.peek().map_err(Stop::Fault)? != b'[' {
        return Err(Stop::Fault(Fault::invalid(
            "b",
            crate::error::FieldError::ExpectedArray,
            at,
        )));
    }
    sc.begin_array().map_err(Stop::Fault)?;
    if sc.peek().map_err(Stop::Fault)? == b']' {
        sc.set_pos(sc.pos() + 1);
        return Ok(());
    }
    loop {
        let (price, size) = match quick_level(sc.bytes(), sc.pos()) {
            Some((price, size, end)) => {
                sc.set_pos(end);
                (price, size)
            }
            None => level(sc).map_err(Stop::Fault)?,
        };
        book.apply(side, price, size)
            .map_err(|e| Stop::Book(e.resync_reason()))?;
        match sc.peek().map_err(Stop::Fault)? {
            b',' => sc.set_pos(sc.pos() + 1),
            b']' => {
                sc.set_pos(sc.pos() + 1);
                return Ok(());
            }
            other => {
                return Err(Stop::Fault(Fault::json(
                    crate::error::Malformation::UnexpectedByte(other),
                    sc.pos(),
                )));
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Applied,
    Duplicate,
}

#[inline]
fn apply_side(book: &mut OrderBook, side: Side, levels: RawLevels<'_>) -> Result<(), ResyncReason> {
    let mut iter = levels.iter();
    loop {
        match iter.next_level() {
            Ok(Some((price, size))) => {
                book.apply(side, price, size)
                    .map_err(|e| e.resync_reason())?;
            }
            Ok(None) => return Ok(()),
            Err(fault) => {
                tracing::debug!(error = %iter.error(fault), "undecodable book level");
                return Err(ResyncReason::InvalidUpdate);
            }
        }
    }
}

/// Loads a snapshot (or full push); on any problem the book is left empty.
fn load(
    book: &mut OrderBook,
    bids: RawLevels<'_>,
    asks: RawLevels<'_>,
    id: u64,
) -> Result<(), ResyncReason> {
    let mut bid_fault = None;
    let mut ask_fault = None;
    let loaded = book.load_snapshot(
        Decoded {
            iter: bids.iter(),
            fault: &mut bid_fault,
        },
        Decoded {
            iter: asks.iter(),
            fault: &mut ask_fault,
        },
        id,
    );
    if let Err(error) = loaded {
        return Err(error.resync_reason());
    }
    if bid_fault.is_some() || ask_fault.is_some() {
        book.clear();
        return Err(ResyncReason::SnapshotFailed);
    }
    if book.is_crossed() {
        book.clear();
        return Err(ResyncReason::Crossed);
    }
    Ok(())
}

/// Levels for `load_snapshot`, stopping at the first undecodable one (recorded).
struct Decoded<'a, 'f> {
    iter: crate::wire::LevelIter<'a>,
    fault: &'f mut Option<Fault>,
}

impl Iterator for Decoded<'_, '_> {
    type Item = (Price, Quantity);

    fn next(&mut self) -> Option<(Price, Quantity)> {
        if self.fault.is_some() {
            return None;
        }
        match self.iter.next_level() {
            Ok(level) => level,
            Err(fault) => {
                *self.fault = Some(fault);
                None
            }
        }
    }
}

fn set_status(entry: &mut Entry, venue: Venue, status: BookStatus, sink: &mut impl BookSink) {
    if entry.status != status {
        entry.status = status;
        sink.status_changed(BookStatusEvent {
            venue,
            symbol: entry.book.symbol(),
            status,
        });
    }
}

/// Pushes kept while a symbol syncs: their ids and level text, copied into one arena
/// (cleared, not freed, between syncs).
#[derive(Debug, Default)]
struct UpdateBuffer {
    items: Vec<BufferedItem>,
    text: Vec<u8>,
    /// Items before this index were dropped as older than the snapshot.
    start: usize,
}

#[derive(Debug, Clone, Copy)]
struct BufferedItem {
    first: u64,
    last: u64,
    time_ms: u64,
    bids: (usize, usize),
    asks: (usize, usize),
}

struct BufferedView<'a> {
    first: u64,
    last: u64,
    time_ms: u64,
    bids: RawLevels<'a>,
    asks: RawLevels<'a>,
}

impl UpdateBuffer {
    fn len(&self) -> usize {
        self.items.len().saturating_sub(self.start)
    }

    fn clear(&mut self) {
        self.items.clear();
        self.text.clear();
        self.start = 0;
    }

    fn push(&mut self, update: &OrderBookUpdate<'_>) {
        let bids = self.copy(update.bids.as_bytes());
        let asks = self.copy(update.asks.as_bytes());
        self.items.push(BufferedItem {
            first: update.first_update_id.unwrap_or(update.last_update_id),
            last: update.last_update_id,
            time_ms: update.time_ms,
            bids,
            asks,
        });
    }

    fn copy(&mut self, bytes: &[u8]) -> (usize, usize) {
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        (start, self.text.len())
    }

    /// Drops items with `u <= id` (older than a snapshot of `id`).
    fn drop_through(&mut self, id: u64) {
        while self
            .items
            .get(self.start)
            .is_some_and(|item| item.last <= id)
        {
            self.start += 1;
        }
    }

    /// `U` of the first item kept.
    fn first_pending(&self) -> Option<u64> {
        self.items.get(self.start).map(|item| item.first)
    }

    fn iter(&self) -> impl Iterator<Item = BufferedView<'_>> + '_ {
        let text = &self.text;
        self.items
            .get(self.start..)
            .unwrap_or_default()
            .iter()
            .map(move |item| BufferedView {
                first: item.first,
                last: item.last,
                time_ms: item.time_ms,
                bids: RawLevels::from_json(text.get(item.bids.0..item.bids.1).unwrap_or(b"[]")),
                asks: RawLevels::from_json(text.get(item.asks.0..item.asks.1).unwrap_or(b"[]")),
            })
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
