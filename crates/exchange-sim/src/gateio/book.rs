//! The deterministic moving order book behind every symbol, and the truth tests read.
//!
//! Prices live on a tick grid and sizes on a lot grid, both kept as integers here and
//! turned into exact [`Decimal`]s at the edge. Each [`BookSim::step`] makes one to four
//! elementary changes (an amount change, a level replaced, a trade against the best level,
//! a new best level inside the spread), then tops both sides up to exactly `levels` levels
//! by adding or trimming at the deep end. The book never crosses and no size is ever zero.

use std::collections::BTreeMap;

use market_types::{Decimal, Side};

/// One book's state at a consistent point, as tests compare it with a client's book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookTruth {
    /// The id of the last update applied (the `u` of the last push, the `id` of a fresh
    /// REST snapshot).
    pub update_id: u64,
    /// Bids, best (highest) first: `(price, size)`.
    pub bids: Vec<(Decimal, Decimal)>,
    /// Asks, best (lowest) first: `(price, size)`.
    pub asks: Vec<(Decimal, Decimal)>,
}

impl BookTruth {
    /// The same book cut to its best `n` levels per side.
    pub fn top(&self, n: usize) -> Self {
        Self {
            update_id: self.update_id,
            bids: self.bids.iter().take(n).copied().collect(),
            asks: self.asks.iter().take(n).copied().collect(),
        }
    }

    /// Whether the best bid is at or above the best ask (never true of the truth).
    pub fn is_crossed(&self) -> bool {
        match (self.bids.first(), self.asks.first()) {
            (Some((bid, _)), Some((ask, _))) => bid >= ask,
            _ => false,
        }
    }
}

/// A 64-bit xorshift generator: tiny, fast and the same on every platform.
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        // Zero is the one state xorshift cannot leave; splitmix the seed to spread it.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Self(if z == 0 { 0x2545_f491_4f6c_dd1d } else { z })
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform-ish in `low..=high` (modulo bias is irrelevant here).
    pub(crate) fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low) + 1;
        low.saturating_add_unsigned(self.next_u64() % span)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }
}

/// The grids a book lives on: `price = ticks × 10^-price_scale`, `size = lots × 10^-size_scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    pub(crate) price_scale: u8,
    pub(crate) size_scale: u8,
}

impl Grid {
    pub(crate) fn price(self, ticks: i64) -> Decimal {
        Decimal::from_parts(ticks, self.price_scale).unwrap_or(Decimal::ZERO)
    }

    pub(crate) fn size(self, lots: i64) -> Decimal {
        Decimal::from_parts(lots, self.size_scale).unwrap_or(Decimal::ZERO)
    }
}

/// A trade the generator made: a taker hit the best level of the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GenTrade {
    /// The taker's side.
    pub(crate) taker: Side,
    pub(crate) ticks: i64,
    pub(crate) lots: i64,
}

/// What one step did, for publishing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    /// `U`: the first update id of the step.
    pub(crate) first_id: u64,
    /// `u`: the last update id of the step (the book's id afterwards).
    pub(crate) last_id: u64,
    pub(crate) trades: Vec<GenTrade>,
}

/// The best `n` levels of both sides, as `(ticks, lots)`, best first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Depth {
    pub(crate) update_id: u64,
    pub(crate) bids: Vec<(i64, i64)>,
    pub(crate) asks: Vec<(i64, i64)>,
}

impl Depth {
    pub(crate) fn top(&self, n: usize) -> Self {
        Self {
            update_id: self.update_id,
            bids: self.bids.iter().take(n).copied().collect(),
            asks: self.asks.iter().take(n).copied().collect(),
        }
    }

    pub(crate) fn truth(&self, grid: Grid) -> BookTruth {
        let convert = |levels: &[(i64, i64)]| {
            levels
                .iter()
                .map(|&(ticks, lots)| (grid.price(ticks), grid.size(lots)))
                .collect()
        };
        BookTruth {
            update_id: self.update_id,
            bids: convert(&self.bids),
            asks: convert(&self.asks),
        }
    }

    pub(crate) fn best(&self, side: Side) -> Option<(i64, i64)> {
        match side {
            Side::Buy => self.bids.first().copied(),
            Side::Sell => self.asks.first().copied(),
        }
    }
}

/// The changes that turn the top `n` of `before` into the top `n` of `after`: every level
/// that left the view as size 0, every new or changed level with its new size. Bids and
/// asks, best first.
pub(crate) fn view_diff(before: &Depth, after: &Depth, n: usize) -> (LevelChanges, LevelChanges) {
    (
        side_diff(&before.bids, &after.bids, n, Side::Buy),
        side_diff(&before.asks, &after.asks, n, Side::Sell),
    )
}

/// `(ticks, lots)` changes of one side; lots 0 deletes.
pub(crate) type LevelChanges = Vec<(i64, i64)>;

fn side_diff(before: &[(i64, i64)], after: &[(i64, i64)], n: usize, side: Side) -> LevelChanges {
    let old: BTreeMap<i64, i64> = before.iter().take(n).copied().collect();
    let new: BTreeMap<i64, i64> = after.iter().take(n).copied().collect();
    let mut changes: LevelChanges = old
        .keys()
        .filter(|ticks| !new.contains_key(ticks))
        .map(|&ticks| (ticks, 0))
        .collect();
    changes.extend(
        new.iter()
            .filter(|(ticks, lots)| old.get(ticks) != Some(lots))
            .map(|(&ticks, &lots)| (ticks, lots)),
    );
    match side {
        Side::Buy => changes.sort_by_key(|&(ticks, _)| std::cmp::Reverse(ticks)),
        Side::Sell => changes.sort_by_key(|&(ticks, _)| ticks),
    }
    changes
}

/// One symbol's generated book.
#[derive(Debug, Clone)]
pub(crate) struct BookSim {
    pub(crate) grid: Grid,
    levels: usize,
    max_lots: i64,
    rng: XorShift,
    update_id: u64,
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
}

impl BookSim {
    /// A full book of `levels` per side around `mid_ticks`, at update id `first_id`.
    pub(crate) fn new(
        grid: Grid,
        levels: usize,
        max_lots: i64,
        mid_ticks: i64,
        first_id: u64,
        seed: u64,
    ) -> Self {
        let mut book = Self {
            grid,
            levels: levels.max(1),
            max_lots: max_lots.max(1),
            rng: XorShift::new(seed),
            update_id: first_id,
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
        };
        let mut bid = mid_ticks - 1;
        let mut ask = mid_ticks + 1;
        for _ in 0..book.levels {
            let (bid_lots, ask_lots) = (book.lots(), book.lots());
            book.bids.insert(bid, bid_lots);
            book.asks.insert(ask, ask_lots);
            bid -= book.rng.range(1, 3);
            ask += book.rng.range(1, 3);
        }
        book
    }

    #[cfg(test)]
    fn update_id(&self) -> u64 {
        self.update_id
    }

    /// Every level (the whole maintained depth), best first.
    pub(crate) fn depth(&self) -> Depth {
        Depth {
            update_id: self.update_id,
            bids: self.bids.iter().rev().map(|(&t, &l)| (t, l)).collect(),
            asks: self.asks.iter().map(|(&t, &l)| (t, l)).collect(),
        }
    }

    /// One step of one to four changes. `skip` extra ids are left out before it (a gap).
    pub(crate) fn step(&mut self, skip: u64) -> Step {
        let actions = self.rng.range(1, 4);
        let mut trades = Vec::new();
        for _ in 0..actions {
            let side = if self.rng.next_u64() & 1 == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            match self.rng.range(0, 99) {
                0..=49 => self.modify(side),
                50..=74 => self.replace(side),
                75..=89 => trades.extend(self.trade(side)),
                _ => self.improve(side),
            }
            self.normalize(Side::Buy);
            self.normalize(Side::Sell);
        }
        let first_id = self.update_id + 1 + skip;
        let last_id = first_id + actions.unsigned_abs() - 1;
        self.update_id = last_id;
        Step {
            first_id,
            last_id,
            trades,
        }
    }

    /// Takes one update id without changing the book (the id a bogus push used).
    pub(crate) fn burn_id(&mut self) -> u64 {
        self.update_id += 1;
        self.update_id
    }

    fn side(&mut self, side: Side) -> &mut BTreeMap<i64, i64> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn lots(&mut self) -> i64 {
        self.rng.range(1, self.max_lots)
    }

    fn pick(&mut self, side: Side) -> Option<i64> {
        let len = self.side(side).len();
        let index = self.rng.below(len);
        self.side(side).keys().nth(index).copied()
    }

    fn modify(&mut self, side: Side) {
        let lots = self.lots();
        if let Some(ticks) = self.pick(side) {
            self.side(side).insert(ticks, lots);
        }
    }

    /// Removes a random level and adds one at a free tick behind the best.
    fn replace(&mut self, side: Side) {
        if let Some(ticks) = self.pick(side) {
            self.side(side).remove(&ticks);
        }
        let span = i64::try_from(self.levels * 2).unwrap_or(i64::MAX);
        let Some(anchor) = self.best(side) else {
            return;
        };
        let offset = self.rng.range(1, span);
        let ticks = match side {
            Side::Buy => anchor - offset,
            Side::Sell => anchor + offset,
        };
        let lots = self.lots();
        if ticks > 0 {
            self.side(side).entry(ticks).or_insert(lots);
        }
    }

    /// A taker on the other side takes part or all of the best level.
    fn trade(&mut self, side: Side) -> Option<GenTrade> {
        let (ticks, lots) = match side {
            Side::Buy => self.bids.last_key_value(),
            Side::Sell => self.asks.first_key_value(),
        }
        .map(|(&t, &l)| (t, l))?;
        let taken = self.rng.range(1, lots);
        if taken == lots {
            self.side(side).remove(&ticks);
        } else {
            self.side(side).insert(ticks, lots - taken);
        }
        Some(GenTrade {
            taker: side.opposite(),
            ticks,
            lots: taken,
        })
    }

    /// A new best level strictly inside the spread, if there is room.
    fn improve(&mut self, side: Side) {
        let (Some(bid), Some(ask)) = (self.best(Side::Buy), self.best(Side::Sell)) else {
            return;
        };
        if ask - bid < 2 {
            return;
        }
        let ticks = self.rng.range(bid + 1, ask - 1);
        let lots = self.lots();
        self.side(side).insert(ticks, lots);
    }

    /// Exactly `levels` on the side: trims or extends at the deep end.
    fn normalize(&mut self, side: Side) {
        while self.side(side).len() > self.levels {
            match side {
                Side::Buy => self.bids.pop_first(),
                Side::Sell => self.asks.pop_last(),
            };
        }
        while self.side(side).len() < self.levels {
            let step = self.rng.range(1, 3);
            let lots = self.lots();
            let deepest = match side {
                Side::Buy => self.bids.first_key_value().map(|(&t, _)| t - step),
                Side::Sell => self.asks.last_key_value().map(|(&t, _)| t + step),
            };
            let ticks = match (deepest, side) {
                (Some(ticks), _) => ticks,
                // An emptied side restarts next to the other one.
                (None, Side::Buy) => self.best(Side::Sell).map_or(1, |ask| ask - step),
                (None, Side::Sell) => self.best(Side::Buy).map_or(2, |bid| bid + step),
            };
            if ticks <= 0 {
                break;
            }
            self.side(side).insert(ticks, lots);
        }
    }

    fn best(&self, side: Side) -> Option<i64> {
        match side {
            Side::Buy => self.bids.last_key_value().map(|(&t, _)| t),
            Side::Sell => self.asks.first_key_value().map(|(&t, _)| t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: Grid = Grid {
        price_scale: 2,
        size_scale: 4,
    };

    fn book(seed: u64) -> BookSim {
        BookSim::new(GRID, 20, 1000, 1_000_000, 500, seed)
    }

    #[test]
    fn never_crosses_keeps_depth_and_positive_sizes() {
        let mut sim = book(7);
        let mut last = sim.update_id();
        for _ in 0..5000 {
            let step = sim.step(0);
            assert_eq!(step.first_id, last + 1, "ids are continuous");
            assert!(step.last_id >= step.first_id);
            last = step.last_id;
            let depth = sim.depth();
            assert_eq!(depth.bids.len(), 20);
            assert_eq!(depth.asks.len(), 20);
            assert!(depth.bids[0].0 < depth.asks[0].0, "crossed");
            assert!(depth.bids.windows(2).all(|w| w[0].0 > w[1].0));
            assert!(depth.asks.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(
                depth
                    .bids
                    .iter()
                    .chain(&depth.asks)
                    .all(|&(t, l)| t > 0 && l > 0)
            );
        }
    }

    #[test]
    fn same_seed_same_book() {
        let (mut a, mut b) = (book(3), book(3));
        for _ in 0..200 {
            assert_eq!(a.step(0), b.step(0));
        }
        assert_eq!(a.depth(), b.depth());
        let mut c = book(4);
        c.step(0);
        assert_ne!(a.depth(), c.depth());
    }

    #[test]
    fn view_diffs_rebuild_every_view() {
        let mut sim = book(11);
        for n in [5, 20] {
            let mut local = sim.depth().top(n);
            for _ in 0..500 {
                let before = sim.depth();
                sim.step(0);
                let after = sim.depth();
                let (bids, asks) = view_diff(&before, &after, n);
                apply(&mut local.bids, &bids, true);
                apply(&mut local.asks, &asks, false);
                assert_eq!(local.bids, after.top(n).bids);
                assert_eq!(local.asks, after.top(n).asks);
            }
        }
    }

    #[test]
    fn gaps_skip_ids() {
        let mut sim = book(1);
        let before = sim.update_id();
        let step = sim.step(5);
        assert_eq!(step.first_id, before + 6);
        assert_eq!(sim.burn_id(), step.last_id + 1);
    }

    #[test]
    fn grid_converts_exactly() {
        assert_eq!(GRID.price(1_234_567).to_string(), "12345.67");
        assert_eq!(GRID.size(5).to_string(), "0.0005");
    }

    fn apply(levels: &mut Vec<(i64, i64)>, changes: &[(i64, i64)], bids: bool) {
        let mut map: BTreeMap<i64, i64> = levels.iter().copied().collect();
        for &(ticks, lots) in changes {
            if lots == 0 {
                map.remove(&ticks);
            } else {
                map.insert(ticks, lots);
            }
        }
        *levels = if bids {
            map.into_iter().rev().collect()
        } else {
            map.into_iter().collect()
        };
    }
}
