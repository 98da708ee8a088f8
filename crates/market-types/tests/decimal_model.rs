//! Property-style tests for `Decimal` against an `i128` model, with a
//! deterministic generator and a bounded number of cases.

#![allow(clippy::unwrap_used, reason = "test assertions")]

use std::cmp::Ordering;

use market_types::Decimal;

const CASES: usize = 10_000;

/// Exact value in units of 10^-18, the finest scale; |value| < 2^63 · 10^18 < 2^124.
fn model(value: Decimal) -> i128 {
    i128::from(value.mantissa()) * 10i128.pow(18 - u32::from(value.scale()))
}

#[test]
fn display_parse_round_trip_and_normalization() {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for _ in 0..CASES {
        let value = random_decimal(&mut rng);
        let text = value.to_string();
        assert!(!text.contains('e') && !text.contains('E'), "{text}");
        if text.contains('.') {
            assert!(!text.ends_with('0'), "trailing zero in {text}");
        }
        assert_eq!(Decimal::parse(&text), Ok(value), "{text}");

        // Padding the text with zeros never changes the value.
        let padded = if text.contains('.') {
            format!("{text}000")
        } else {
            format!("{text}.000")
        };
        let padded = match padded.strip_prefix('-') {
            Some(rest) => format!("-00{rest}"),
            None => format!("+00{padded}"),
        };
        assert_eq!(Decimal::parse(&padded), Ok(value), "{padded}");
        assert!(
            value.scale() == 0 || value.mantissa() % 10 != 0,
            "not normalized: {value:?}"
        );
    }
}

#[test]
fn ordering_and_arithmetic_match_the_model() {
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    for _ in 0..CASES {
        let a = random_decimal(&mut rng);
        let b = random_decimal(&mut rng);
        let (ma, mb) = (model(a), model(b));
        assert_eq!(a.cmp(&b), ma.cmp(&mb), "{a} vs {b}");
        assert_eq!(a == b, ma == mb);

        check_result(a.checked_add(b), ma + mb);
        check_result(a.checked_sub(b), ma - mb);

        // Products can need 36 decimals, finer than the model's unit; compare mantissas instead.
        let product = i128::from(a.mantissa()) * i128::from(b.mantissa());
        let scale = u32::from(a.scale()) + u32::from(b.scale());
        match a.checked_mul(b) {
            Some(p) => {
                let lhs = i128::from(p.mantissa()) * 10i128.pow(scale - u32::from(p.scale()));
                assert_eq!(lhs, product, "{a} * {b}");
            }
            None => assert!(!fits(product, scale), "{a} * {b} should fit"),
        }
    }
}

/// `result` must equal `exact` (in 10^-18 units), or be `None` exactly when that cannot fit.
fn check_result(result: Option<Decimal>, exact: i128) {
    match result {
        Some(value) => assert_eq!(model(value), exact),
        None => assert!(!fits(exact, 18)),
    }
}

/// Whether `mantissa × 10^-scale` is representable as a `Decimal`.
fn fits(mut mantissa: i128, mut scale: u32) -> bool {
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    scale <= 18 && mantissa.abs() <= i128::from(i64::MAX)
}

/// Mantissas of every magnitude (so overflow happens), at every scale.
fn random_decimal(rng: &mut XorShift) -> Decimal {
    let digits = 1 + rng.below(19) as u32;
    let limit = if digits == 19 {
        i64::MAX as u64
    } else {
        10u64.pow(digits)
    };
    let magnitude = rng.below(limit) as i64;
    let mantissa = if rng.below(2) == 0 {
        magnitude
    } else {
        -magnitude
    };
    let scale = rng.below(19) as u8;
    Decimal::from_parts(mantissa, scale).unwrap()
}

#[test]
fn ordering_is_total_and_consistent_with_equality() {
    let mut rng = XorShift(0x0123_4567_89AB_CDEF);
    let mut values: Vec<Decimal> = (0..2_000).map(|_| random_decimal(&mut rng)).collect();
    values.sort();
    for pair in values.windows(2) {
        assert_ne!(pair[0].cmp(&pair[1]), Ordering::Greater);
        assert!(model(pair[0]) <= model(pair[1]));
    }
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
