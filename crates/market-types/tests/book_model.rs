//! Property-style test: the `Vec` book against a plain `BTreeMap` model, over
//! deterministic pseudo-random operation sequences.

#![allow(clippy::unwrap_used, reason = "test assertions")]

use std::collections::BTreeMap;

use market_types::{BookError, Decimal, Level, OrderBook, Price, Quantity, Side, Symbol};

const CASES: usize = 10_000;
const MAX_OPS_PER_CASE: u64 = 48;

/// The obvious model: one ordered map per side, zero removes.
#[derive(Default)]
struct Model {
    bids: BTreeMap<Price, Quantity>,
    asks: BTreeMap<Price, Quantity>,
}

impl Model {
    fn side(&mut self, side: Side) -> &mut BTreeMap<Price, Quantity> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn bids_best_first(&self) -> Vec<Level> {
        self.bids
            .iter()
            .rev()
            .map(|(p, q)| Level::new(*p, *q))
            .collect()
    }

    fn asks_best_first(&self) -> Vec<Level> {
        self.asks.iter().map(|(p, q)| Level::new(*p, *q)).collect()
    }
}

#[test]
fn vec_book_matches_btreemap_model() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let symbol = Symbol::new("BTC_USDT").unwrap();
    let mut book = OrderBook::with_capacity(symbol, 8);
    let mut model = Model::default();
    let mut errors_seen = 0usize;

    for case in 0..CASES {
        // Start over now and then, so both fresh and long-lived books are covered.
        if rng.below(8) == 0 {
            book.clear();
            model = Model::default();
        }
        let ops = 1 + rng.below(MAX_OPS_PER_CASE);
        for _ in 0..ops {
            match rng.below(100) {
                0..=1 => {
                    load_random_snapshot(&mut rng, &mut book, &mut model);
                }
                _ => {
                    let side = if rng.below(2) == 0 {
                        Side::Buy
                    } else {
                        Side::Sell
                    };
                    let price = random_price(&mut rng);
                    let quantity = random_quantity(&mut rng);
                    let result = book.apply(side, price, quantity);
                    if quantity.is_negative() {
                        assert_eq!(
                            result,
                            Err(BookError::NegativeQuantity {
                                side,
                                price,
                                quantity
                            })
                        );
                        errors_seen += 1;
                    } else {
                        result.unwrap();
                        if quantity.is_zero() {
                            model.side(side).remove(&price);
                        } else {
                            model.side(side).insert(price, quantity);
                        }
                    }
                }
            }
        }
        check(&book, &model, case);
    }
    assert!(
        errors_seen > 0,
        "the generator must exercise the error path"
    );
}

fn load_random_snapshot(rng: &mut XorShift, book: &mut OrderBook, model: &mut Model) {
    let mut bids = Vec::new();
    let mut asks = Vec::new();
    for _ in 0..rng.below(20) {
        bids.push((random_price(rng), positive_quantity(rng)));
    }
    for _ in 0..rng.below(20) {
        asks.push((random_price(rng), positive_quantity(rng)));
    }
    // Mostly venue order (best first), sometimes shuffled by the generator's own order.
    if rng.below(2) == 0 {
        bids.sort_by_key(|level| std::cmp::Reverse(level.0));
        bids.dedup_by(|a, b| a.0 == b.0);
        asks.sort_by_key(|level| level.0);
        asks.dedup_by(|a, b| a.0 == b.0);
    }
    let has_duplicate = |levels: &[(Price, Quantity)]| {
        let mut prices: Vec<Price> = levels.iter().map(|l| l.0).collect();
        prices.sort();
        prices.windows(2).any(|w| w[0] == w[1])
    };
    let duplicate = has_duplicate(&bids) || has_duplicate(&asks);
    let update_id = rng.next();
    let result = book.load_snapshot(bids.iter().copied(), asks.iter().copied(), update_id);

    *model = Model::default();
    if duplicate {
        assert!(
            matches!(result, Err(BookError::DuplicateLevel { .. })),
            "{result:?}"
        );
        assert_eq!(book.update_id(), 0);
    } else {
        result.unwrap();
        model.bids.extend(bids);
        model.asks.extend(asks);
        assert_eq!(book.update_id(), update_id);
    }
}

fn check(book: &OrderBook, model: &Model, case: usize) {
    let bids: Vec<Level> = book.bids().collect();
    let asks: Vec<Level> = book.asks().collect();
    assert_eq!(bids, model.bids_best_first(), "bids differ in case {case}");
    assert_eq!(asks, model.asks_best_first(), "asks differ in case {case}");

    // Best-first means strictly decreasing bids and strictly increasing asks.
    assert!(
        bids.windows(2).all(|w| w[0].price > w[1].price),
        "case {case}"
    );
    assert!(
        asks.windows(2).all(|w| w[0].price < w[1].price),
        "case {case}"
    );
    assert!(bids.iter().chain(&asks).all(|l| l.quantity.is_positive()));

    assert_eq!(book.best_bid(), bids.first().copied());
    assert_eq!(book.best_ask(), asks.first().copied());
    assert_eq!(book.depth(Side::Buy), model.bids.len());
    assert_eq!(book.depth(Side::Sell), model.asks.len());
    assert_eq!(
        book.is_empty(),
        model.bids.is_empty() && model.asks.is_empty()
    );
    let crossed = match (model.bids.keys().next_back(), model.asks.keys().next()) {
        (Some(bid), Some(ask)) => bid >= ask,
        _ => false,
    };
    assert_eq!(book.is_crossed(), crossed, "case {case}");

    let n = case % 7;
    let top: Vec<Level> = book.top(Side::Buy, n).collect();
    assert_eq!(top, bids.iter().take(n).copied().collect::<Vec<_>>());
    let top: Vec<Level> = book.top(Side::Sell, n).collect();
    assert_eq!(top, asks.iter().take(n).copied().collect::<Vec<_>>());

    for (price, quantity) in &model.bids {
        assert_eq!(book.quantity_at(Side::Buy, *price), Some(*quantity));
    }
}

/// Prices on a 0.25 grid between 0.25 and 16, built with varying scales so the
/// book's comparisons cross scales ("1.5" vs "1.25" vs "2").
fn random_price(rng: &mut XorShift) -> Price {
    let quarter_ticks = 1 + rng.below(64) as i64;
    let extra_zeros = rng.below(3) as u32;
    let mantissa = quarter_ticks * 25 * 10i64.pow(extra_zeros);
    Price::new(Decimal::from_parts(mantissa, 2 + extra_zeros as u8).unwrap())
}

/// About a third zeros (removals), a few negatives (errors), the rest positive.
fn random_quantity(rng: &mut XorShift) -> Quantity {
    match rng.below(100) {
        0..=29 => Quantity::ZERO,
        30..=32 => Quantity::new(positive_quantity(rng).value().neg()),
        _ => positive_quantity(rng),
    }
}

fn positive_quantity(rng: &mut XorShift) -> Quantity {
    let mantissa = 1 + rng.below(1_000_000) as i64;
    Quantity::new(Decimal::from_parts(mantissa, rng.below(7) as u8).unwrap())
}

/// Marsaglia's xorshift64: deterministic, dependency-free.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}
