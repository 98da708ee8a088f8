//! A deterministic moving order book per symbol, the truth tests compare against, and
//! the aggregation windows the depth pushes are cut from.
//!
//! Every version is one small change set (a size change, a new level, a removed level
//! or a trade against the touch), applied to the truth and recorded in both windows.
//! A window flush covers `fromVersion..=toVersion` with the latest absolute quantity of
//! every level touched, `0` for removed ones: exactly what an aggregated diff must say.
//! The book is never crossed: new bids stay below the best ask and new asks above the
//! best bid.

use std::collections::BTreeMap;

use market_types::{Decimal, Level, Price, Quantity, Side, Symbol};

use crate::mexc::channel::Interval;
use crate::mexc::config::SymbolSpec;

/// A symbol's book as the venue holds it, best level first on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookTruth {
    /// The pair.
    pub symbol: Symbol,
    /// The version of the last change applied (the `toVersion` of the last push that
    /// covers it, once it has been pushed).
    pub version: u64,
    /// Bids, highest first.
    pub bids: Vec<Level>,
    /// Asks, lowest first.
    pub asks: Vec<Level>,
}

impl BookTruth {
    /// The best bid and ask, if both sides have levels.
    pub fn touch(&self) -> Option<(Level, Level)> {
        Some((*self.bids.first()?, *self.asks.first()?))
    }
}

/// A level in wire units: (price units, quantity units).
pub(crate) type UnitLevel = (i64, i64);

/// One public trade generated against the touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicTrade {
    pub(crate) price: i64,
    pub(crate) quantity: i64,
    /// The taker's side.
    pub(crate) taker: Side,
    pub(crate) trade_id: u64,
}

/// What a window flush pushes on the depth and deals channels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Flush {
    pub(crate) from: u64,
    pub(crate) to: u64,
    /// Ascending by price.
    pub(crate) asks: Vec<(i64, i64)>,
    /// Descending by price.
    pub(crate) bids: Vec<(i64, i64)>,
    pub(crate) trades: Vec<PublicTrade>,
}

/// One symbol's generator and truth.
#[derive(Debug)]
pub(crate) struct SymbolBook {
    pub(crate) spec: SymbolSpec,
    rng: XorShift,
    /// Price units to quantity units.
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    version: u64,
    next_trade_id: u64,
    windows: [Window; 2],
}

impl SymbolBook {
    pub(crate) fn new(spec: SymbolSpec) -> Self {
        let mut book = Self {
            rng: XorShift::new(spec.seed),
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            version: spec.start_version,
            next_trade_id: spec.start_version.wrapping_mul(3) / 2,
            windows: [Window::default(), Window::default()],
            spec,
        };
        let tick = book.spec.tick;
        let best_bid = book.spec.start_price - book.spec.start_price % tick;
        let (mut bid, mut ask) = (best_bid, best_bid + tick);
        for _ in 0..book.spec.levels {
            let size = book.random_size();
            book.bids.insert(bid, size);
            let size = book.random_size();
            book.asks.insert(ask, size);
            bid -= tick * book.rng.range(1, 3);
            ask += tick * book.rng.range(1, 3);
        }
        book
    }

    pub(crate) fn symbol(&self) -> Symbol {
        self.spec.symbol
    }

    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// How many versions to make in the next tick: 1 to `max`.
    pub(crate) fn versions_this_tick(&mut self, max: u32) -> u32 {
        1 + (self.rng.below(u64::from(max)) as u32)
    }

    /// Makes one version: applies it to the truth and records it in both windows.
    pub(crate) fn step(&mut self) {
        let (changes, trade) = self.next_change();
        self.version += 1;
        for window in &mut self.windows {
            window.record(self.version, &changes, trade.as_ref());
        }
    }

    /// Makes one version applied to the truth only: its changes are never pushed.
    /// Windows are flushed by the caller first, so the next push starts a version later.
    pub(crate) fn step_hidden(&mut self) {
        let _ = self.next_change();
        self.version += 1;
    }

    /// Consumes one version without changing the truth and returns a bogus flush for it
    /// that crosses the book: a bid one tick above the best ask.
    pub(crate) fn crossed_version(&mut self) -> Flush {
        self.version += 1;
        let best_ask = self
            .asks
            .keys()
            .next()
            .copied()
            .unwrap_or(self.spec.start_price);
        Flush {
            from: self.version,
            to: self.version,
            asks: Vec::new(),
            bids: vec![(best_ask + self.spec.tick, self.spec.lot * 7)],
            trades: Vec::new(),
        }
    }

    /// Takes what the window gathered since its last flush, if any version.
    pub(crate) fn take_window(&mut self, interval: Interval) -> Option<Flush> {
        self.windows[interval as usize].take()
    }

    /// The whole book (or the top `depth` levels per side).
    pub(crate) fn truth(&self, depth: Option<usize>) -> BookTruth {
        let depth = depth.unwrap_or(usize::MAX);
        let level = |(&price, &quantity): (&i64, &i64)| Level {
            price: Price::new(self.price_decimal(price)),
            quantity: Quantity::new(self.quantity_decimal(quantity)),
        };
        BookTruth {
            symbol: self.spec.symbol,
            version: self.version,
            bids: self.bids.iter().rev().take(depth).map(level).collect(),
            asks: self.asks.iter().take(depth).map(level).collect(),
        }
    }

    /// The top `depth` levels per side in wire units: (bids descending, asks ascending).
    pub(crate) fn top(&self, depth: usize) -> (Vec<UnitLevel>, Vec<UnitLevel>) {
        let bids = self.bids.iter().rev().take(depth).map(|(p, q)| (*p, *q));
        let asks = self.asks.iter().take(depth).map(|(p, q)| (*p, *q));
        (bids.collect(), asks.collect())
    }

    /// Best bid and ask in wire units.
    pub(crate) fn touch(&self) -> (Option<UnitLevel>, Option<UnitLevel>) {
        let bid = self.bids.iter().next_back().map(|(p, q)| (*p, *q));
        let ask = self.asks.iter().next().map(|(p, q)| (*p, *q));
        (bid, ask)
    }

    /// A price in units as its wire string, fixed decimals (`"65000.00"`).
    pub(crate) fn price_text(&self, units: i64) -> String {
        fixed(units, self.spec.price_scale)
    }

    /// A quantity in units as its wire string, fixed decimals (`"0.00000000"`).
    pub(crate) fn quantity_text(&self, units: i64) -> String {
        fixed(units, self.spec.quantity_scale)
    }

    fn price_decimal(&self, units: i64) -> Decimal {
        Decimal::from_parts(units, self.spec.price_scale).unwrap_or_default()
    }

    fn quantity_decimal(&self, units: i64) -> Decimal {
        Decimal::from_parts(units, self.spec.quantity_scale).unwrap_or_default()
    }

    /// Chooses and applies the next change set to the truth; returns the absolute
    /// quantities it set (zero for removed levels) and the trade, if it was one.
    fn next_change(&mut self) -> (Vec<(Side, i64, i64)>, Option<PublicTrade>) {
        let mut changes = Vec::with_capacity(3);
        let mut trade = None;
        let side = if self.rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        match self.rng.below(100) {
            0..45 => self.resize(side, &mut changes),
            45..65 => self.insert(side, &mut changes),
            65..80 => self.remove(side, &mut changes),
            _ => trade = Some(self.trade(side, &mut changes)),
        }
        self.keep_depth(&mut changes);
        if changes.is_empty() {
            // Every version changes something: fall back to a size change.
            self.resize(side, &mut changes);
        }
        (changes, trade)
    }

    fn resize(&mut self, side: Side, changes: &mut Vec<(Side, i64, i64)>) {
        let index = self.near_touch_index(side);
        let Some((price, old)) = self.nth(side, index) else {
            return;
        };
        let mut size = self.random_size();
        if size == old {
            size += self.spec.lot;
        }
        self.set(side, price, size, changes);
    }

    fn insert(&mut self, side: Side, changes: &mut Vec<(Side, i64, i64)>) {
        let tick = self.spec.tick;
        let (Some((bid, _)), Some((ask, _))) = self.touch() else {
            return;
        };
        let spread_ticks = ((ask - bid) / tick) as u64;
        let inside = spread_ticks > 1 && self.rng.below(spread_ticks) >= 1;
        let price = if inside {
            let step = tick * self.rng.range(1, spread_ticks as i64 - 1);
            match side {
                Side::Buy => bid + step,
                Side::Sell => ask - step,
            }
        } else {
            let step = tick * self.rng.range(1, 2 * self.spec.levels as i64);
            match side {
                Side::Buy => bid - step,
                Side::Sell => ask + step,
            }
        };
        if price <= 0 {
            return;
        }
        let size = self.random_size();
        self.set(side, price, size, changes);
    }

    fn remove(&mut self, side: Side, changes: &mut Vec<(Side, i64, i64)>) {
        if self.levels(side).len() <= self.min_levels() {
            return;
        }
        let index = self.near_touch_index(side);
        if let Some((price, _)) = self.nth(side, index) {
            self.set(side, price, 0, changes);
        }
    }

    /// A taker on `taker` side takes from the opposite touch.
    fn trade(&mut self, taker: Side, changes: &mut Vec<(Side, i64, i64)>) -> PublicTrade {
        let resting = taker.opposite();
        let (price, available) = self.nth(resting, 0).unwrap_or((self.spec.start_price, 0));
        let wanted = self.random_size();
        let quantity = wanted.min(available).max(self.spec.lot.min(available));
        self.set(resting, price, available - quantity, changes);
        self.next_trade_id += 1;
        PublicTrade {
            price,
            quantity,
            taker,
            trade_id: self.next_trade_id,
        }
    }

    /// Keeps each side between `min_levels` and `max_levels`, adding or dropping far levels.
    fn keep_depth(&mut self, changes: &mut Vec<(Side, i64, i64)>) {
        let tick = self.spec.tick;
        for side in [Side::Buy, Side::Sell] {
            while self.levels(side).len() > self.max_levels() {
                let Some(worst) = self.worst(side) else { break };
                self.set(side, worst, 0, changes);
            }
            while self.levels(side).len() < self.min_levels() {
                let Some(worst) = self.worst(side) else { break };
                let price = match side {
                    Side::Buy => worst - tick,
                    Side::Sell => worst + tick,
                };
                if price <= 0 {
                    break;
                }
                let size = self.random_size();
                self.set(side, price, size, changes);
            }
        }
    }

    fn set(&mut self, side: Side, price: i64, size: i64, changes: &mut Vec<(Side, i64, i64)>) {
        let levels = self.levels_mut(side);
        if size == 0 {
            levels.remove(&price);
        } else {
            levels.insert(price, size);
        }
        changes.push((side, price, size));
    }

    fn levels(&self, side: Side) -> &BTreeMap<i64, i64> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn levels_mut(&mut self, side: Side) -> &mut BTreeMap<i64, i64> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// The `index`-th level from the touch.
    fn nth(&self, side: Side, index: usize) -> Option<(i64, i64)> {
        let levels = self.levels(side);
        let found = match side {
            Side::Buy => levels.iter().rev().nth(index),
            Side::Sell => levels.iter().nth(index),
        };
        found.map(|(p, q)| (*p, *q))
    }

    fn worst(&self, side: Side) -> Option<i64> {
        let levels = self.levels(side);
        match side {
            Side::Buy => levels.keys().next().copied(),
            Side::Sell => levels.keys().next_back().copied(),
        }
    }

    /// Mostly the top ten levels, as on a real book.
    fn near_touch_index(&mut self, side: Side) -> usize {
        let len = self.levels(side).len().max(1);
        let reach = if self.rng.below(4) == 0 {
            len
        } else {
            len.min(10)
        };
        self.rng.below(reach as u64) as usize
    }

    fn random_size(&mut self) -> i64 {
        self.spec.lot * self.rng.range(1, i64::from(self.spec.max_lots))
    }

    fn min_levels(&self) -> usize {
        (self.spec.levels / 2).max(2)
    }

    fn max_levels(&self) -> usize {
        self.spec.levels * 2
    }
}

/// What happened since the last flush of one interval.
#[derive(Debug, Default)]
struct Window {
    from: Option<u64>,
    to: u64,
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    trades: Vec<PublicTrade>,
}

impl Window {
    fn record(&mut self, version: u64, changes: &[(Side, i64, i64)], trade: Option<&PublicTrade>) {
        self.from.get_or_insert(version);
        self.to = version;
        for &(side, price, size) in changes {
            match side {
                Side::Buy => self.bids.insert(price, size),
                Side::Sell => self.asks.insert(price, size),
            };
        }
        self.trades.extend(trade.cloned());
    }

    fn take(&mut self) -> Option<Flush> {
        let from = self.from.take()?;
        let flush = Flush {
            from,
            to: self.to,
            asks: std::mem::take(&mut self.asks).into_iter().collect(),
            bids: std::mem::take(&mut self.bids).into_iter().rev().collect(),
            trades: std::mem::take(&mut self.trades),
        };
        Some(flush)
    }
}

/// xorshift64: small, fast and the same on every platform.
#[derive(Debug, Clone)]
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform-enough in `0..n` (`n > 0`; 0 gives 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// In `lo..=hi` (`lo <= hi`).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo).max(0) as u64 + 1;
        lo + self.below(span) as i64
    }
}

/// `units × 10^-scale` with exactly `scale` decimals.
pub(crate) fn fixed(units: i64, scale: u8) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let digits = units.unsigned_abs().to_string();
    let scale = usize::from(scale);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]
mod tests {
    use super::*;

    fn book() -> SymbolBook {
        SymbolBook::new(SymbolSpec::btcusdt())
    }

    #[test]
    fn fixed_decimals() {
        assert_eq!(fixed(6_500_000, 2), "65000.00");
        assert_eq!(fixed(0, 8), "0.00000000");
        assert_eq!(fixed(5, 3), "0.005");
        assert_eq!(fixed(-1234, 2), "-12.34");
        assert_eq!(fixed(42, 0), "42");
    }

    #[test]
    fn same_seed_same_book() {
        let (mut a, mut b) = (book(), book());
        for _ in 0..500 {
            a.step();
            b.step();
        }
        assert_eq!(a.truth(None), b.truth(None));
    }

    #[test]
    fn never_crossed_and_depth_kept() {
        let mut book = book();
        for _ in 0..20_000 {
            book.step();
            let (Some((bid, _)), Some((ask, _))) = book.touch() else {
                panic!("empty side at {}", book.version());
            };
            assert!(bid < ask, "crossed at {}", book.version());
            assert!(book.bids.len() >= book.min_levels() && book.bids.len() <= book.max_levels());
            assert!(book.asks.len() >= book.min_levels() && book.asks.len() <= book.max_levels());
            assert!(book.bids.values().chain(book.asks.values()).all(|q| *q > 0));
            assert!(
                book.bids
                    .keys()
                    .chain(book.asks.keys())
                    .all(|p| p % book.spec.tick == 0)
            );
        }
    }

    #[test]
    fn windows_replay_to_the_truth() {
        let mut book = book();
        let mut local_bids: BTreeMap<i64, i64> = book.bids.clone();
        let mut local_asks: BTreeMap<i64, i64> = book.asks.clone();
        let mut version = book.version();
        for round in 0..300 {
            for _ in 0..=(round % 4) {
                book.step();
            }
            let flush = book
                .take_window(Interval::Ms10)
                .expect("versions were made");
            assert_eq!(flush.from, version + 1);
            version = flush.to;
            for (levels, items) in [
                (&mut local_bids, &flush.bids),
                (&mut local_asks, &flush.asks),
            ] {
                for &(price, size) in items {
                    if size == 0 {
                        levels.remove(&price);
                    } else {
                        levels.insert(price, size);
                    }
                }
            }
            assert_eq!(local_bids, book.bids);
            assert_eq!(local_asks, book.asks);
        }
        // The slow window saw every version at once.
        let slow = book
            .take_window(Interval::Ms100)
            .expect("versions were made");
        assert_eq!(slow.to, book.version());
        assert!(book.take_window(Interval::Ms100).is_none());
    }

    #[test]
    fn hidden_and_crossed_versions() {
        let mut book = book();
        book.step();
        let _ = book.take_window(Interval::Ms10);
        let before = book.version();
        book.step_hidden();
        assert_eq!(book.version(), before + 1);
        assert!(book.take_window(Interval::Ms10).is_none());
        let truth = book.truth(None);
        let bogus = book.crossed_version();
        assert_eq!((bogus.from, bogus.to), (before + 2, before + 2));
        let (_, Some((ask, _))) = book.touch() else {
            panic!("no ask");
        };
        assert!(bogus.bids[0].0 > ask);
        let after = book.truth(None);
        assert_eq!((after.bids, after.asks), (truth.bids, truth.asks));
    }
}
