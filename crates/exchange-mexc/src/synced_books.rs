//! The books of one connection, for either MEXC market: [`ws_handlers::BookSync`] with
//! its outcomes turned into the market's errors. Spot ([`crate::BookSync`]) and futures
//! ([`crate::futures::FuturesBookSync`]) differ only in their [`BookVenue`] and in how a
//! push reaches [`SyncedBooks::on_push`].

use market_types::{BookStatus, OrderBook, ResyncReason, Symbol};
use ws_handlers::{BookSink, BookSyncStats, BookVenue, SyncSettings, UpdateOutcome};
use ws_session::{Outbox, RestRequestId, RestResponse, Timestamp};

/// The errors of a market's book sync: its decode error also says that no book matches
/// a push, or that a book restarted.
pub trait BookSyncError {
    /// No book is kept for `symbol`.
    fn untracked(symbol: Symbol) -> Self;
    /// The book of `symbol` restarted from empty for `reason`.
    fn resync(symbol: Symbol, reason: ResyncReason) -> Self;
}

/// The books of one connection over a MEXC market's [`BookVenue`].
#[derive(Debug)]
pub struct SyncedBooks<V: BookVenue> {
    inner: ws_handlers::BookSync<V>,
}

impl<V: BookVenue> SyncedBooks<V>
where
    V::DecodeError: BookSyncError,
{
    pub(crate) fn with_venue(venue: V, settings: SyncSettings) -> Self {
        SyncedBooks {
            inner: ws_handlers::BookSync::new(venue, settings),
        }
    }

    /// Starts keeping a book for `symbol` (status `Syncing`). Call it when the depth
    /// subscription is sent; doing so again is a no-op.
    pub fn track<S: BookSink>(&mut self, symbol: Symbol, now: Timestamp, sink: &mut S) {
        if self.inner.track(symbol, sink) {
            self.inner.note_subscribed(symbol, now);
        }
    }

    /// Stops keeping the book of `symbol`. Returns whether it was tracked.
    pub fn untrack(&mut self, symbol: Symbol) -> bool {
        self.inner.untrack(symbol)
    }

    /// The depth subscription of `symbol` was confirmed (again, after a reconnect): a
    /// quiet symbol gets its snapshot after the configured quiet period.
    pub fn on_subscribed(&mut self, symbol: Symbol, now: Timestamp) {
        self.inner.note_subscribed(symbol, now);
    }

    /// One depth push. Live books are updated in place without allocating; syncing
    /// books buffer it.
    ///
    /// # Errors
    /// The push was not applied in sequence and book sync has already reacted (the book
    /// restarts from empty): [`BookSyncError::resync`]; a level that does not decode;
    /// [`BookSyncError::untracked`] when no book matches.
    #[inline]
    pub fn on_push<S: BookSink>(
        &mut self,
        push: &V::Push<'_>,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> Result<(), V::DecodeError> {
        use ws_handlers::BookPush as _;
        match self.inner.on_push(push, now, out, sink)? {
            UpdateOutcome::Untracked => Err(BookSyncError::untracked(push.symbol())),
            UpdateOutcome::Resync(reason) => Err(BookSyncError::resync(push.symbol(), reason)),
            _ => Ok(()),
        }
    }

    /// An answer to a REST request. Returns `false` if the request was not book sync's
    /// (see [`SyncedBooks::owns`]).
    pub fn on_rest_response<S: BookSink>(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> bool {
        self.inner.on_rest_response(response, now, out, sink)
    }

    /// Timers: requests snapshots whose backoff or quiet period has passed.
    pub fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.inner.on_tick(now, out);
    }

    /// The connection is gone: every book is emptied and back to `Syncing`; answers to
    /// snapshot requests already sent will be ignored.
    pub fn on_disconnected<S: BookSink>(&mut self, sink: &mut S) {
        self.inner.on_disconnected(sink);
    }

    /// Throws the book of `symbol` away and rebuilds it from a fresh snapshot
    /// (`Resyncing(UserRequested)`). Other symbols are untouched.
    ///
    /// # Errors
    /// [`BookSyncError::untracked`].
    pub fn resync<S: BookSink>(
        &mut self,
        symbol: Symbol,
        now: Timestamp,
        out: &mut Outbox,
        sink: &mut S,
    ) -> Result<(), V::DecodeError> {
        if self.inner.resync(symbol, now, out, sink) {
            Ok(())
        } else {
            Err(BookSyncError::untracked(symbol))
        }
    }

    /// Whether a REST request id belongs to book sync (ids from the configured first
    /// request id up to the last one used).
    pub fn owns(&self, id: RestRequestId) -> bool {
        self.inner.owns(id)
    }

    /// The local book of `symbol`; only trustworthy while its status is `Live`.
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.inner.book(symbol)
    }

    /// The status of `symbol`'s book.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        self.inner.status(symbol)
    }

    /// The tracked symbols.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.inner.symbols()
    }

    /// Counters since creation.
    pub fn stats(&self) -> BookSyncStats {
        self.inner.stats()
    }
}

/// Handlers read the books through the shared machine.
impl<V: BookVenue> ws_handlers::WrapsBookSync for SyncedBooks<V> {
    type Venue = V;

    fn machine(&self) -> &ws_handlers::BookSync<V> {
        &self.inner
    }
}
