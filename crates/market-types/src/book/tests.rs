//! Unit tests of the order book and its level iterator.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]

use super::*;

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

fn book() -> OrderBook {
    OrderBook::with_capacity(Symbol::new("BTC_USDT").unwrap(), 16)
}

fn prices(levels: Levels<'_>) -> Vec<String> {
    levels.map(|level| level.price.to_string()).collect()
}

#[test]
fn apply_inserts_updates_and_removes() {
    let mut book = book();
    assert!(book.is_empty());
    book.apply(Side::Buy, p("100"), q("1")).unwrap();
    book.apply(Side::Buy, p("101.5"), q("2")).unwrap();
    book.apply(Side::Buy, p("99"), q("3")).unwrap();
    book.apply(Side::Sell, p("103"), q("1")).unwrap();
    book.apply(Side::Sell, p("102"), q("4")).unwrap();
    assert_eq!(book.best_bid(), Some(Level::new(p("101.5"), q("2"))));
    assert_eq!(book.best_ask(), Some(Level::new(p("102"), q("4"))));
    assert_eq!(prices(book.bids()), ["101.5", "100", "99"]);
    assert_eq!(prices(book.asks()), ["102", "103"]);
    assert_eq!(book.spread(), Some(Decimal::parse("0.5").unwrap()));

    book.apply(Side::Buy, p("100.0"), q("7")).unwrap();
    assert_eq!(book.quantity_at(Side::Buy, p("100")), Some(q("7")));
    assert_eq!(book.depth(Side::Buy), 3);

    book.apply(Side::Buy, p("101.50"), q("0")).unwrap();
    assert_eq!(book.best_bid().unwrap().price, p("100"));
    book.apply(Side::Buy, p("55"), q("0")).unwrap();
    assert_eq!(book.depth(Side::Buy), 2);
    assert_eq!(prices(book.top(Side::Buy, 1)), ["100"]);
    assert_eq!(prices(book.top(Side::Sell, 10)), ["102", "103"]);
    assert_eq!(book.top(Side::Sell, 0).len(), 0);
}

#[test]
fn negative_quantity_is_refused_and_changes_nothing() {
    let mut book = book();
    book.apply(Side::Sell, p("10"), q("1")).unwrap();
    let before = book.clone();
    let error = book.apply(Side::Sell, p("10"), q("-1")).unwrap_err();
    assert_eq!(
        error,
        BookError::NegativeQuantity {
            side: Side::Sell,
            price: p("10"),
            quantity: q("-1")
        }
    );
    assert_eq!(error.resync_reason(), ResyncReason::NonPositiveQuantity);
    assert_eq!(
        error.to_string(),
        "negative quantity -1 at price 10 on the sell side"
    );
    assert_eq!(book, before);
}

#[test]
fn snapshot_replaces_everything() {
    let mut book = book();
    book.apply(Side::Buy, p("1"), q("1")).unwrap();
    book.apply(Side::Sell, p("500"), q("1")).unwrap();
    book.set_update_id(3);
    // Best first, as venues send them.
    book.load_snapshot(
        [(p("100"), q("1")), (p("99"), q("2")), (p("98"), q("3"))],
        [(p("101"), q("1")), (p("102"), q("2"))],
        42,
    )
    .unwrap();
    assert_eq!(prices(book.bids()), ["100", "99", "98"]);
    assert_eq!(prices(book.asks()), ["101", "102"]);
    assert_eq!(book.update_id(), 42);
    assert_eq!(book.quantity_at(Side::Buy, p("1")), None);
    assert!(!book.is_crossed());

    // Unordered input is sorted too.
    book.load_snapshot(
        [(p("1"), q("1")), (p("3"), q("1")), (p("2"), q("1"))],
        [],
        7,
    )
    .unwrap();
    assert_eq!(prices(book.bids()), ["3", "2", "1"]);
    assert_eq!(book.depth(Side::Sell), 0);
}

#[test]
fn bad_snapshot_leaves_an_empty_book() {
    let mut book = book();
    book.apply(Side::Buy, p("1"), q("1")).unwrap();
    let error = book
        .load_snapshot([(p("100"), q("1"))], [(p("101"), q("0"))], 9)
        .unwrap_err();
    assert_eq!(
        error,
        BookError::NonPositiveQuantity {
            side: Side::Sell,
            price: p("101"),
            quantity: q("0")
        }
    );
    assert!(book.is_empty());
    assert_eq!(book.update_id(), 0);

    let error = book
        .load_snapshot([(p("100"), q("1")), (p("100.0"), q("2"))], [], 9)
        .unwrap_err();
    assert_eq!(
        error,
        BookError::DuplicateLevel {
            side: Side::Buy,
            price: p("100")
        }
    );
    assert_eq!(error.resync_reason(), ResyncReason::SnapshotFailed);
    assert!(book.is_empty());
}

#[test]
fn crossed_and_locked_books_are_detected() {
    let mut book = book();
    assert!(!book.is_crossed());
    book.apply(Side::Buy, p("100"), q("1")).unwrap();
    assert!(!book.is_crossed());
    book.apply(Side::Sell, p("100"), q("1")).unwrap();
    assert!(book.is_crossed(), "a locked book counts as crossed");
    book.apply(Side::Sell, p("100"), q("0")).unwrap();
    book.apply(Side::Sell, p("99.99"), q("1")).unwrap();
    assert!(book.is_crossed());
}

#[test]
fn clear_keeps_capacity_and_truncate_drops_the_worst() {
    let mut book = book();
    for i in 1..=10 {
        book.apply(Side::Buy, Price::new(Decimal::from(i)), q("1"))
            .unwrap();
        book.apply(Side::Sell, Price::new(Decimal::from(100 + i)), q("1"))
            .unwrap();
    }
    book.truncate(Side::Buy, 3);
    assert_eq!(prices(book.bids()), ["10", "9", "8"]);
    book.truncate(Side::Sell, 2);
    assert_eq!(prices(book.asks()), ["101", "102"]);
    book.truncate(Side::Sell, 5);
    assert_eq!(book.depth(Side::Sell), 2);

    book.set_update_id(5);
    book.clear();
    assert!(book.is_empty());
    assert_eq!(book.update_id(), 0);
    assert!(book.capacity(Side::Buy) >= 16);
    assert!(book.capacity(Side::Sell) >= 16);
    assert_eq!(book.best_bid(), None);
    assert_eq!(book.spread(), None);
}

#[test]
fn levels_copy_best_first_from_where_iteration_stands() {
    let mut book = book();
    for (side, price) in [(Side::Sell, "3"), (Side::Sell, "1"), (Side::Sell, "2")] {
        book.apply(side, p(price), q("1")).unwrap();
    }
    for price in ["0.5", "0.7", "0.6"] {
        book.apply(Side::Buy, p(price), q(price)).unwrap();
    }
    for side in [Side::Buy, Side::Sell] {
        let collected: Vec<Level> = book.levels(side).collect();
        assert_eq!(book.levels(side).to_vec(), collected);
        for n in 0..=4 {
            let top: Vec<Level> = book.levels(side).take(n).collect();
            assert_eq!(book.top(side, n).to_vec(), top, "{side:?} top {n}");
        }
        let mut rest = book.levels(side);
        rest.next();
        assert_eq!(rest.to_vec(), collected.get(1..).unwrap());
        rest.next_back();
        assert_eq!(rest.to_vec(), collected.get(1..2).unwrap());
    }
    assert_eq!(book.asks().to_vec().first().map(|l| l.price), Some(p("1")));
}

#[test]
fn levels_iterate_both_ways() {
    let mut book = book();
    for price in ["1", "2", "3"] {
        book.apply(Side::Sell, p(price), q("1")).unwrap();
    }
    assert_eq!(prices(book.levels(Side::Sell)), ["1", "2", "3"]);
    assert_eq!(
        book.asks().rev().map(|l| l.price).collect::<Vec<_>>(),
        [p("3"), p("2"), p("1")]
    );
    assert_eq!(book.asks().nth(1).unwrap().price, p("2"));
    let mut asks = book.asks();
    assert_eq!(asks.nth(1).unwrap().price, p("2"));
    assert_eq!(asks.next().unwrap().price, p("3"));
    assert_eq!(asks.next(), None);
    assert_eq!(book.asks().len(), 3);
    assert_eq!(book.best(Side::Sell), book.best_ask());
    assert_eq!(book.symbol().as_str(), "BTC_USDT");
}
