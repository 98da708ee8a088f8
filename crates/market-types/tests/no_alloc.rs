#![allow(unsafe_code, reason = "counting allocator for the allocation test")]
#![allow(clippy::unwrap_used, reason = "test assertions")]

//! Hot paths must not touch the heap: a counting global allocator proves that
//! `OrderBook::apply`, `OrderBook::load_snapshot`, `Decimal::parse_bytes`,
//! decimal formatting and identifier construction allocate nothing once warm.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write as _;

use market_types::{Decimal, OrderBook, OrderId, Price, Quantity, Side, Symbol, TradeId};

/// Counts allocations per thread, so the test harness's own threads do not interfere.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with` because the allocator can run while thread-locals are torn down.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`; `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations_during(work: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    work();
    ALLOCATIONS.with(Cell::get) - before
}

const LEVELS: u64 = 400;

#[test]
fn the_allocator_counts() {
    let n = allocations_during(|| {
        let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(16));
        std::hint::black_box(v);
    });
    assert!(n >= 1, "the counting allocator is not installed");
}

#[test]
fn book_apply_does_not_allocate_within_capacity() {
    let mut book = OrderBook::with_capacity(Symbol::new("BTC_USDT").unwrap(), LEVELS as usize);
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;

    let n = allocations_during(|| {
        // Fill both sides up to the reserved depth, then churn: insert, update, remove.
        for tick in 0..LEVELS {
            let bid = Price::new(Decimal::from_parts(1_000_000 + tick as i64, 2).unwrap());
            let ask = Price::new(Decimal::from_parts(2_000_000 + tick as i64, 2).unwrap());
            book.apply(Side::Buy, bid, Quantity::new(Decimal::ONE))
                .unwrap();
            book.apply(Side::Sell, ask, Quantity::new(Decimal::ONE))
                .unwrap();
        }
        for _ in 0..100_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let side = if rng & 1 == 0 { Side::Buy } else { Side::Sell };
            let base = if side == Side::Buy {
                1_000_000
            } else {
                2_000_000
            };
            let tick = ((rng >> 8) % LEVELS) as i64;
            let price = Price::new(Decimal::from_parts(base + tick, 2).unwrap());
            let quantity = match (rng >> 32) % 3 {
                0 => Quantity::ZERO,
                _ => Quantity::new(
                    Decimal::from_parts(((rng >> 40) % 10_000) as i64 + 1, 4).unwrap(),
                ),
            };
            book.apply(side, price, quantity).unwrap();
            std::hint::black_box(book.best_bid());
            std::hint::black_box(book.is_crossed());
        }
        // Errors are values and cost nothing either.
        let error = book.apply(
            Side::Buy,
            Price::new(Decimal::ONE),
            Quantity::new(Decimal::ONE.neg()),
        );
        assert!(error.is_err());
    });
    assert_eq!(n, 0, "OrderBook::apply allocated");
    assert!(book.depth(Side::Buy) <= LEVELS as usize);
}

#[test]
fn snapshot_clear_and_reads_do_not_allocate_within_capacity() {
    let mut book = OrderBook::with_capacity(Symbol::new("ETH_USDT").unwrap(), LEVELS as usize);
    let level = |tick: u64| {
        (
            Price::new(Decimal::from_parts(tick as i64 + 1, 1).unwrap()),
            Quantity::new(Decimal::ONE),
        )
    };
    let n = allocations_during(|| {
        for round in 0..20u64 {
            // Venue order: bids best (highest) first, asks best (lowest) first.
            let bids = (0..LEVELS).rev().map(level);
            let asks = (LEVELS..2 * LEVELS).map(level);
            book.load_snapshot(bids, asks, round).unwrap();
            let depth: usize = book.top(Side::Buy, 20).count() + book.asks().count();
            std::hint::black_box(depth);
            std::hint::black_box(book.spread());
            book.truncate(Side::Sell, 50);
            book.clear();
        }
    });
    assert_eq!(n, 0, "snapshot loading allocated");
}

#[test]
fn decimal_and_identifier_parsing_do_not_allocate() {
    let inputs: [&[u8]; 8] = [
        b"64250.10",
        b"-0.00000123",
        b"0.00000000",
        b"9223372036854775807",
        b"1e5",
        b"",
        b"12345678901234567890",
        b"+3.141592653589793238",
    ];
    let mut text = StackText::default();
    let n = allocations_during(|| {
        for round in 0..10_000u64 {
            for input in inputs {
                let parsed = Decimal::parse_bytes(std::hint::black_box(input));
                if let Ok(value) = parsed {
                    text.clear();
                    write!(text, "{value}").unwrap();
                    std::hint::black_box(&text);
                }
                std::hint::black_box(parsed.err());
            }
            std::hint::black_box(Symbol::new("BTC_USDT").unwrap());
            std::hint::black_box(Symbol::new("has space").err());
            std::hint::black_box(TradeId::from_u64(round));
            std::hint::black_box(OrderId::new("C02__443776347957968896088").unwrap());
        }
    });
    assert_eq!(n, 0, "parsing or formatting allocated");
}

/// A fixed buffer to format into without a `String`.
struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> StackText {
        StackText {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn clear(&mut self) {
        self.len = 0;
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
