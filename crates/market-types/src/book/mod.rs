//! One symbol's local limit order book.

use core::iter::FusedIterator;

use crate::decimal::Decimal;
use crate::inline::Symbol;
use crate::market::ResyncReason;
use crate::trading::Side;
use crate::units::{Level, Price, Quantity};

/// A local order book for one symbol, kept in sync by an exchange crate.
///
/// [`Side::Buy`] is the bid side and [`Side::Sell`] the ask side.
///
/// Each side is a sorted `Vec<Level>` with the best level at the *end* (bids
/// ascending, asks descending), because most updates touch the top of the book
/// and inserting or removing near the end of a `Vec` moves few elements.
/// Lookups are binary searches, except that [`OrderBook::apply`] first looks next
/// to the level it touched last on that side: venues list a push's changes best
/// first, so the next change is usually the neighbouring level.
///
/// # Allocation
///
/// [`OrderBook::apply`], [`OrderBook::load_snapshot`], [`OrderBook::clear`] and
/// [`OrderBook::truncate`] never allocate while each side holds at most the
/// capacity reserved by [`OrderBook::with_capacity`]; a side that grows past it
/// reallocates once (amortized doubling) and keeps the larger capacity.
/// Nothing ever shrinks the capacity.
#[derive(Debug, Clone)]
pub struct OrderBook {
    symbol: Symbol,
    update_id: u64,
    /// Ascending by price: the best (highest) bid is last.
    bids: Vec<Level>,
    /// Descending by price: the best (lowest) ask is last.
    asks: Vec<Level>,
    /// Per side (bids, asks), where the last [`OrderBook::apply`] landed: the index of
    /// the level it set or inserted, or where it removed or did not find one. Only a
    /// search hint, so it is not part of the book's value (see `PartialEq`).
    cursor: [usize; 2],
}

/// Why a book update was refused. Every case means the book can no longer be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// A delta carried a negative quantity.
    #[error("negative quantity {quantity} at price {price} on the {side} side")]
    NegativeQuantity {
        /// Book side of the update.
        side: Side,
        /// Price of the update.
        price: Price,
        /// The offending quantity.
        quantity: Quantity,
    },
    /// A snapshot level was zero or negative; snapshots list only resting levels.
    #[error(
        "snapshot level at price {price} on the {side} side has non-positive quantity {quantity}"
    )]
    NonPositiveQuantity {
        /// Book side of the level.
        side: Side,
        /// Price of the level.
        price: Price,
        /// The offending quantity.
        quantity: Quantity,
    },
    /// A snapshot listed the same price twice on one side.
    #[error("snapshot repeats price {price} on the {side} side")]
    DuplicateLevel {
        /// Book side of the levels.
        side: Side,
        /// The repeated price.
        price: Price,
    },
}

impl BookError {
    /// The resync reason a book sync reports for this error.
    pub const fn resync_reason(&self) -> ResyncReason {
        match self {
            BookError::NegativeQuantity { .. } | BookError::NonPositiveQuantity { .. } => {
                ResyncReason::NonPositiveQuantity
            }
            BookError::DuplicateLevel { .. } => ResyncReason::SnapshotFailed,
        }
    }
}

impl Level {
    /// A level at `price` holding `quantity`.
    #[inline]
    pub const fn new(price: Price, quantity: Quantity) -> Level {
        Level { price, quantity }
    }
}

/// Books are equal when they hold the same symbol, update id and levels; the search
/// cursor is not part of the value.
impl PartialEq for OrderBook {
    fn eq(&self, other: &OrderBook) -> bool {
        self.symbol == other.symbol
            && self.update_id == other.update_id
            && self.bids == other.bids
            && self.asks == other.asks
    }
}

impl Eq for OrderBook {}

impl OrderBook {
    /// An empty book that allocates only when the first level arrives.
    pub fn new(symbol: Symbol) -> OrderBook {
        OrderBook::with_capacity(symbol, 0)
    }

    /// An empty book with room for `levels_per_side` levels on each side, so
    /// that updates within that depth never allocate.
    pub fn with_capacity(symbol: Symbol, levels_per_side: usize) -> OrderBook {
        OrderBook {
            symbol,
            update_id: 0,
            bids: Vec::with_capacity(levels_per_side),
            asks: Vec::with_capacity(levels_per_side),
            cursor: [0; 2],
        }
    }

    /// The book's symbol.
    #[inline]
    pub fn symbol(&self) -> Symbol {
        self.symbol
    }

    /// The venue update id of the last snapshot or delta applied (0 when empty).
    #[inline]
    pub fn update_id(&self) -> u64 {
        self.update_id
    }

    /// Records the venue update id the book now reflects.
    #[inline]
    pub fn set_update_id(&mut self, update_id: u64) {
        self.update_id = update_id;
    }

    /// Sets one level: a positive quantity inserts or replaces it, zero removes
    /// it (removing an absent level is a no-op). Does not allocate within the
    /// reserved capacity.
    ///
    /// # Errors
    /// [`BookError::NegativeQuantity`]; the book is left unchanged.
    #[inline(always)]
    pub fn apply(&mut self, side: Side, price: Price, quantity: Quantity) -> Result<(), BookError> {
        if quantity.is_negative() {
            return Err(BookError::NegativeQuantity {
                side,
                price,
                quantity,
            });
        }
        let (levels, cursor) = match side {
            Side::Buy => (&mut self.bids, &mut self.cursor[0]),
            Side::Sell => (&mut self.asks, &mut self.cursor[1]),
        };
        let index = match search_near(levels, side, price, *cursor) {
            Ok(index) => {
                if quantity.is_zero() {
                    levels.remove(index);
                } else if let Some(level) = levels.get_mut(index) {
                    level.quantity = quantity;
                }
                index
            }
            Err(index) => {
                if !quantity.is_zero() {
                    levels.insert(index, Level { price, quantity });
                }
                index
            }
        };
        *cursor = index;
        Ok(())
    }

    /// Replaces the whole book with a snapshot. The book is cleared first, so
    /// nothing from before survives (no ghost levels after a resync). Levels may
    /// come in any order; venues' best-first order is sorted in linear time.
    ///
    /// # Errors
    /// [`BookError::NonPositiveQuantity`] or [`BookError::DuplicateLevel`]; the
    /// book is then left empty with update id 0.
    pub fn load_snapshot<B, A>(&mut self, bids: B, asks: A, update_id: u64) -> Result<(), BookError>
    where
        B: IntoIterator<Item = (Price, Quantity)>,
        A: IntoIterator<Item = (Price, Quantity)>,
    {
        self.clear();
        let loaded = load_side(&mut self.bids, Side::Buy, bids)
            .and_then(|()| load_side(&mut self.asks, Side::Sell, asks));
        match loaded {
            Ok(()) => {
                self.update_id = update_id;
                Ok(())
            }
            Err(error) => {
                self.clear();
                Err(error)
            }
        }
    }

    /// Empties both sides and resets the update id, keeping the capacity.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.update_id = 0;
    }

    /// Drops the worst levels of one side beyond `max_levels`, for venues that
    /// stream a fixed depth and expect levels pushed out of it to be forgotten.
    pub fn truncate(&mut self, side: Side, max_levels: usize) {
        let levels = self.side_mut(side);
        let excess = levels.len().saturating_sub(max_levels);
        if excess > 0 {
            levels.drain(..excess);
        }
    }

    /// Highest bid.
    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.last().copied()
    }

    /// Lowest ask.
    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.last().copied()
    }

    /// Best level of one side.
    #[inline]
    pub fn best(&self, side: Side) -> Option<Level> {
        self.side_ref(side).last().copied()
    }

    /// Best ask minus best bid, when both sides have a level and it fits.
    pub fn spread(&self) -> Option<Decimal> {
        let (bid, ask) = (self.best_bid()?, self.best_ask()?);
        ask.price.value().checked_sub(bid.price.value())
    }

    /// True when the best bid is at or above the best ask: the book is corrupt
    /// (venues never publish a crossed book) and must be resynced.
    #[inline]
    pub fn is_crossed(&self) -> bool {
        match (self.bids.last(), self.asks.last()) {
            (Some(bid), Some(ask)) => bid.price >= ask.price,
            _ => false,
        }
    }

    /// Bids, best (highest) first.
    #[inline]
    pub fn bids(&self) -> Levels<'_> {
        Levels::new(&self.bids)
    }

    /// Asks, best (lowest) first.
    #[inline]
    pub fn asks(&self) -> Levels<'_> {
        Levels::new(&self.asks)
    }

    /// One side, best first.
    #[inline]
    pub fn levels(&self, side: Side) -> Levels<'_> {
        Levels::new(self.side_ref(side))
    }

    /// The best `n` levels of one side, best first.
    #[inline]
    pub fn top(&self, side: Side, n: usize) -> Levels<'_> {
        let levels = self.side_ref(side);
        let start = levels.len().saturating_sub(n);
        Levels::new(levels.get(start..).unwrap_or_default())
    }

    /// Number of levels on one side.
    #[inline]
    pub fn depth(&self, side: Side) -> usize {
        self.side_ref(side).len()
    }

    /// Quantity resting at `price` on one side, if any.
    pub fn quantity_at(&self, side: Side, price: Price) -> Option<Quantity> {
        let levels = self.side_ref(side);
        let index = search(levels, side, price).ok()?;
        levels.get(index).map(|level| level.quantity)
    }

    /// True when both sides are empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Levels one side can hold without allocating.
    pub fn capacity(&self, side: Side) -> usize {
        self.side_ref(side).capacity()
    }

    #[inline]
    fn side_ref(&self, side: Side) -> &Vec<Level> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    fn side_mut(&mut self, side: Side) -> &mut Vec<Level> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }
}

/// Levels of one book side, best first. Yields copies; `Level` is 32 bytes.
#[derive(Debug, Clone)]
pub struct Levels<'a> {
    /// The levels not yielded yet, best last (the side's storage order).
    best_last: core::slice::Iter<'a, Level>,
}

impl<'a> Levels<'a> {
    #[inline]
    fn new(best_last: &'a [Level]) -> Levels<'a> {
        Levels {
            best_last: best_last.iter(),
        }
    }

    /// The levels not yielded yet, best first, in one allocation: a block copy and an
    /// in-place reversal, where `collect` moves them one at a time.
    #[inline]
    pub fn to_vec(&self) -> Vec<Level> {
        let mut levels = self.best_last.as_slice().to_vec();
        levels.reverse();
        levels
    }
}

impl Iterator for Levels<'_> {
    type Item = Level;

    #[inline]
    fn next(&mut self) -> Option<Level> {
        self.best_last.next_back().copied()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.best_last.size_hint()
    }

    #[inline]
    fn nth(&mut self, n: usize) -> Option<Level> {
        self.best_last.nth_back(n).copied()
    }
}

impl DoubleEndedIterator for Levels<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Level> {
        self.best_last.next().copied()
    }
}

impl ExactSizeIterator for Levels<'_> {}

impl FusedIterator for Levels<'_> {}

/// [`search`], trying first the slot just below `cursor` (one level further from the
/// touch), where the next change of a best-first push usually is, then the top of the
/// book, where a push's first change usually is. A match or a gap that `price` falls
/// into settles it there with one or two comparisons.
#[inline(always)]
fn search_near(levels: &[Level], side: Side, price: Price, cursor: usize) -> Result<usize, usize> {
    if let Some(below) = cursor.checked_sub(1)
        && let Some(level) = levels.get(below)
    {
        // Prices are normalized, so equal prices have equal fields.
        if level.price == price {
            return Ok(below);
        }
        if sorts_before(side, level.price, price)
            && levels
                .get(cursor)
                .is_none_or(|above| sorts_before(side, price, above.price))
        {
            return Err(cursor);
        }
    }
    if let Some(top) = levels.len().checked_sub(1)
        && let Some(level) = levels.get(top)
    {
        if level.price == price {
            return Ok(top);
        }
        if sorts_before(side, level.price, price) {
            return Err(levels.len());
        }
    }
    search(levels, side, price)
}

/// Whether a level at `a` sits before (further from the touch than) one at `b`.
#[inline(always)]
fn sorts_before(side: Side, a: Price, b: Price) -> bool {
    match side {
        Side::Buy => a < b,
        Side::Sell => a > b,
    }
}

/// Binary search in a side's best-last order: `Ok` is the level's index, `Err` the insertion point.
///
/// Prices are compared as [`Decimal::at_max_scale`] integers: one multiply per probe and
/// no branch, where `Decimal`'s `Ord` branches on the scales (a book's prices differ in
/// scale whenever normalization drops a trailing zero, "100.1" next to "100.15", so that
/// branch mispredicts inside the search).
#[inline]
fn search(levels: &[Level], side: Side, price: Price) -> Result<usize, usize> {
    let target = price.value().at_max_scale();
    match side {
        Side::Buy => {
            levels.binary_search_by(|level| level.price.value().at_max_scale().cmp(&target))
        }
        Side::Sell => {
            levels.binary_search_by(|level| target.cmp(&level.price.value().at_max_scale()))
        }
    }
}

fn load_side<I>(levels: &mut Vec<Level>, side: Side, input: I) -> Result<(), BookError>
where
    I: IntoIterator<Item = (Price, Quantity)>,
{
    for (price, quantity) in input {
        if !quantity.is_positive() {
            return Err(BookError::NonPositiveQuantity {
                side,
                price,
                quantity,
            });
        }
        levels.push(Level { price, quantity });
    }
    // The unstable sort never allocates and runs in linear time on input that is
    // already sorted either way, which is how venues send snapshots.
    match side {
        Side::Buy => levels.sort_unstable_by_key(|level| level.price),
        Side::Sell => levels.sort_unstable_by_key(|level| core::cmp::Reverse(level.price)),
    }
    if let Some(pair) = levels
        .windows(2)
        .find(|pair| pair[0].price == pair[1].price)
    {
        return Err(BookError::DuplicateLevel {
            side,
            price: pair[0].price,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
