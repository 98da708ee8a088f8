//! What every venue session keeps for the user: the user's callbacks, the message
//! template's counters and, for market data, the local books. Each venue's parts hold
//! one [`SharedParts`] and hand it out through [`WithSharedParts`]; the accessors a
//! program reads ([`crate::VenueHandler`]) are written once, over it.

use market_types::{BookStatus, OrderBook, Symbol};

use crate::book_sync::{BookSync, BookVenue};
use crate::stats::HandlerStats;
use crate::venue::BookSyncSummary;

/// The user's callbacks, the template's counters and the local books of one session.
/// Plain data: venue code borrows the fields apart (a book update reaches the callbacks
/// while the books are borrowed).
#[derive(Debug)]
pub struct SharedParts<H, B = NoBooks> {
    /// The user's callbacks.
    pub callbacks: H,
    /// The message template's counters.
    pub stats: HandlerStats,
    /// The local books ([`NoBooks`] for account data).
    pub books: B,
}

impl<H, B> SharedParts<H, B> {
    /// `callbacks` and `books`, with no messages counted yet.
    pub fn new(callbacks: H, books: B) -> Self {
        SharedParts {
            callbacks,
            stats: HandlerStats::default(),
            books,
        }
    }
}

/// A venue's parts that hold a [`SharedParts`]: the one accessor pair every venue writes.
pub trait WithSharedParts {
    /// The user's callbacks.
    type Callbacks;
    /// The local books ([`NoBooks`] for account data).
    type Books: LocalBooks;

    /// The callbacks, counters and books.
    fn shared(&self) -> &SharedParts<Self::Callbacks, Self::Books>;

    /// The callbacks, counters and books, mutably.
    fn shared_mut(&mut self) -> &mut SharedParts<Self::Callbacks, Self::Books>;
}

/// Local books as a program reads them, venue-independently.
pub trait LocalBooks {
    /// Symbols with a local book.
    fn symbols_with_books(&self) -> Vec<Symbol>;

    /// One local book and its status.
    fn book_with_status(&self, symbol: Symbol) -> Option<(&OrderBook, BookStatus)>;

    /// Book-sync counters in a venue-independent shape.
    fn summary(&self) -> BookSyncSummary;
}

/// The books of a session that keeps none (account data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoBooks;

impl LocalBooks for NoBooks {
    fn symbols_with_books(&self) -> Vec<Symbol> {
        Vec::new()
    }

    fn book_with_status(&self, _symbol: Symbol) -> Option<(&OrderBook, BookStatus)> {
        None
    }

    fn summary(&self) -> BookSyncSummary {
        BookSyncSummary::default()
    }
}

/// A venue's book type built around the shared [`BookSync`]: it reads as [`LocalBooks`]
/// through the machine.
pub trait WrapsBookSync {
    /// The venue the machine syncs.
    type Venue: BookVenue;

    /// The shared machine inside.
    fn machine(&self) -> &BookSync<Self::Venue>;
}

impl<V: BookVenue> WrapsBookSync for BookSync<V> {
    type Venue = V;

    fn machine(&self) -> &BookSync<V> {
        self
    }
}

impl<W: WrapsBookSync> LocalBooks for W {
    fn symbols_with_books(&self) -> Vec<Symbol> {
        self.machine().symbols().collect()
    }

    fn book_with_status(&self, symbol: Symbol) -> Option<(&OrderBook, BookStatus)> {
        let machine = self.machine();
        machine.book(symbol).zip(machine.status(symbol))
    }

    fn summary(&self) -> BookSyncSummary {
        (&self.machine().stats()).into()
    }
}
