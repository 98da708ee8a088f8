//! Unit tests of the decimal type, its parsers and its text forms.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]

use super::parse::load_le;
use super::*;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

#[test]
fn parses_and_displays_plain_values() {
    for (input, shown) in [
        ("0", "0"),
        ("-0", "0"),
        ("+0.000", "0"),
        ("0.1", "0.1"),
        ("-12.5", "-12.5"),
        ("100", "100"),
        ("100.00", "100"),
        ("+7", "7"),
        ("007.0700", "7.07"),
        (".5", "0.5"),
        ("5.", "5"),
        ("0.000000000000000001", "0.000000000000000001"),
        ("-0.000000000000000001", "-0.000000000000000001"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775807", "-9223372036854775807"),
        ("9.223372036854775807", "9.223372036854775807"),
        ("0.922337203685477580", "0.92233720368547758"),
        ("1.10", "1.1"),
        ("0.00000000", "0"),
        ("1.000000000000000000000000000000", "1"),
        ("0.1000000000000000000000000000", "0.1"),
    ] {
        let value = d(input);
        assert_eq!(value.to_string(), shown, "input {input}");
        assert_eq!(d(shown), value, "round trip of {input}");
    }
}

#[test]
fn normalization_makes_equal_values_equal() {
    assert_eq!(d("1.10"), d("1.1"));
    assert_eq!(d("0.00000000"), Decimal::ZERO);
    assert_eq!(d("-0.0"), Decimal::ZERO);
    assert_eq!(d("1.10").mantissa(), 11);
    assert_eq!(d("1.10").scale(), 1);
    assert_eq!(d("0.00000000").scale(), 0);
    assert_eq!(d("100").mantissa(), 100);
    assert_eq!(d("100").scale(), 0);
    assert_eq!(Decimal::from_parts(1_000, 3).unwrap(), Decimal::ONE);
    assert_eq!(Decimal::from_parts(0, 18).unwrap(), Decimal::ZERO);
    assert_eq!(
        Decimal::from_parts(1_000, 20).unwrap(),
        d("0.00000000000000001")
    );
    // Parts already normalized build the same value as `from_parts`.
    for (mantissa, scale) in [(0, 0), (100, 0), (-125, 1), (1, 18), (i64::MAX, 3)] {
        assert_eq!(
            Decimal::from_normalized_parts(mantissa, scale),
            Decimal::from_parts(mantissa, scale).unwrap()
        );
    }
    assert_eq!(Decimal::from_i64(42).unwrap(), d("42"));
    assert_eq!(Decimal::from(-3), d("-3"));
    assert_eq!(Decimal::from(3u32), d("3"));

    use std::hash::BuildHasher;
    let state = std::hash::RandomState::new();
    assert_eq!(
        state.hash_one(d("2.50")),
        state.hash_one(d("2.5")),
        "hash is by value"
    );
}

#[test]
fn every_error_case() {
    use DecimalError::*;
    for (input, error) in [
        ("", Empty),
        ("-", NoDigits),
        ("+", NoDigits),
        (".", NoDigits),
        ("-.", NoDigits),
        ("1.2.3", InvalidCharacter { position: 3 }),
        ("1..2", InvalidCharacter { position: 2 }),
        ("1e5", InvalidCharacter { position: 1 }),
        ("1.5E-3", InvalidCharacter { position: 3 }),
        (" 1", InvalidCharacter { position: 0 }),
        ("1 ", InvalidCharacter { position: 1 }),
        ("--1", InvalidCharacter { position: 1 }),
        ("+-1", InvalidCharacter { position: 1 }),
        ("1-", InvalidCharacter { position: 1 }),
        ("0x10", InvalidCharacter { position: 1 }),
        ("NaN", InvalidCharacter { position: 0 }),
        ("١", InvalidCharacter { position: 0 }),
        ("1,5", InvalidCharacter { position: 1 }),
        ("9223372036854775808", Overflow),
        ("-9223372036854775808", Overflow),
        ("10000000000000000000", Overflow),
        ("99999999999999999999999", Overflow),
        ("922337203685477580.8", Overflow),
        ("1.0000000000000000001", TooManyDecimals),
        ("0.0000000000000000001", TooManyDecimals),
        ("0.1234567890123456789", TooManyDecimals),
    ] {
        assert_eq!(Decimal::parse(input), Err(error), "input {input:?}");
    }
    assert_eq!(Decimal::from_i64(i64::MIN), Err(Overflow));
    assert_eq!(Decimal::from_parts(i64::MIN, 0), Err(Overflow));
    assert_eq!(Decimal::from_parts(1, 19), Err(TooManyDecimals));
    assert_eq!(Decimal::try_from(u64::MAX), Err(Overflow));
}

#[test]
fn overflow_boundaries() {
    assert_eq!(d("9223372036854775807"), Decimal::MAX);
    assert_eq!(d("-9223372036854775807"), Decimal::MIN);
    assert_eq!(d("922337203685477580.7").mantissa(), i64::MAX);
    assert_eq!(d("0.000000000000000000").scale(), 0);
    // 19 significant digits at the maximum scale still fit.
    assert_eq!(d("1.234567890123456789").scale(), 18);
    assert_eq!(Decimal::MAX.checked_add(Decimal::ONE), None);
    assert_eq!(Decimal::MIN.checked_sub(Decimal::ONE), None);
    assert_eq!(
        Decimal::MAX.checked_sub(Decimal::ONE),
        Some(d("9223372036854775806"))
    );
    assert_eq!(Decimal::MAX.checked_mul(d("2")), None);
    assert_eq!(d("0.000000001").checked_mul(d("0.0000000001")), None);
    assert_eq!(
        d("0.000000001").checked_mul(d("0.000000001")),
        Some(d("0.000000000000000001"))
    );
    assert_eq!(Decimal::MIN.neg(), Decimal::MAX);
    assert_eq!(Decimal::MIN.abs(), Decimal::MAX);
}

#[test]
fn arithmetic_is_exact_and_normalized() {
    assert_eq!(d("0.1").checked_add(d("0.2")), Some(d("0.3")));
    assert_eq!(d("1.15").checked_add(d("-0.05")), Some(d("1.1")));
    assert_eq!(d("1.15").checked_add(d("-0.05")).unwrap().scale(), 1);
    assert_eq!(d("5").checked_sub(d("5.000")), Some(Decimal::ZERO));
    assert_eq!(d("2.5").checked_mul(d("0.4")), Some(Decimal::ONE));
    assert_eq!(d("-1.5").checked_mul(d("3")), Some(d("-4.5")));
    assert_eq!(-d("1.5"), d("-1.5"));
    assert_eq!(d("-1.5").abs(), d("1.5"));
    assert!(d("-0.1").is_negative());
    assert!(d("0.1").is_positive());
    assert!(d("0.0").is_zero());
    assert!((d("0.1").to_f64() - 0.1).abs() < 1e-15);
    assert!((d("-12.5").to_f64() + 12.5).abs() < 1e-12);
}

#[test]
fn ordering_across_scales() {
    let mut values: Vec<Decimal> = [
        "1.5", "-2", "0.0001", "1.49999", "100", "-2.0001", "0", "1.5000",
    ]
    .iter()
    .map(|s| d(s))
    .collect();
    values.sort();
    let shown: Vec<String> = values.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "-2.0001", "-2", "0", "0.0001", "1.49999", "1.5", "1.5", "100"
        ]
    );
    assert!(d("0.000000000000000001") > Decimal::ZERO);
    assert!(Decimal::MAX > d("922337203685477580.7"));
    assert!(Decimal::MIN < d("-922337203685477580.7"));
    assert_eq!(d("2.50").cmp(&d("2.5")), Ordering::Equal);
}

#[test]
fn display_honours_width_and_sign_flag() {
    assert_eq!(format!("{:>6}", d("1.5")), "   1.5");
    assert_eq!(format!("{:+}", d("1.5")), "+1.5");
    assert_eq!(format!("{:06}", d("-1.5")), "-001.5");
    assert_eq!(format!("{:?}", d("-0.25")), "-0.25");
}

#[test]
fn fast_path_agrees_with_the_general_parser() {
    // Every shape the fast path takes, and its edges.
    let ints = [
        "",
        "0",
        "00",
        "7",
        "19137",
        "0000000",
        "1234567",
        "12345678",
        "123456789",
    ];
    let fractions = [
        "",
        ".",
        ".0",
        ".5",
        ".74",
        ".0001",
        ".6135",
        ".470000",
        ".00000000",
        ".10",
        ".1234567",
        ".12345678",
        ".123456789",
        ".00000001",
        ".9999",
    ];
    let mut engaged = 0;
    for sign in ["", "-", "+"] {
        for int in ints {
            for fraction in fractions {
                let text = format!("{sign}{int}{fraction}");
                let general = Decimal::parse_general(text.as_bytes());
                assert_eq!(Decimal::parse(&text), general, "{text:?}");
                if let Some(value) = parse_short(text.as_bytes()) {
                    engaged += 1;
                    assert_eq!(Ok(value), general, "{text:?}");
                }
                let plain = sign.is_empty() && int.len() <= 8 && fraction.len() <= 9;
                if plain && general.is_ok() {
                    assert!(parse_short(text.as_bytes()).is_some(), "{text:?}");
                }
            }
        }
    }
    assert!(engaged > 100, "{engaged}");
    // Pseudo-random bytes over the characters that matter, mostly digits.
    let alphabet = b"0123456789.-+e \x00\xff";
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300_000 {
        let r = next();
        let len = (r % 20) as usize;
        let mut bytes = Vec::with_capacity(len);
        for i in 0..len {
            let pick = next();
            let b = if pick.is_multiple_of(4) {
                alphabet[(pick >> 8) as usize % alphabet.len()]
            } else if (r >> (i + 8)) & 1 == 0 {
                b'0'
            } else {
                b'0' + (pick >> 16) as u8 % 10
            };
            bytes.push(b);
        }
        let general = Decimal::parse_general(&bytes);
        assert_eq!(
            Decimal::parse_bytes(&bytes),
            general,
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
    for n in 0..=8 {
        let text = b"12345678";
        let word = load_le(text, n);
        assert_eq!(word.to_le_bytes()[..n], text[..n]);
        assert_eq!(word.checked_shr(8 * n as u32).unwrap_or(0), 0, "{n}");
    }
}

#[test]
fn parse_matches_from_str_and_bytes() {
    assert_eq!("12.34".parse::<Decimal>(), Ok(d("12.34")));
    assert_eq!(Decimal::parse_bytes(b"12.34"), Ok(d("12.34")));
    const TICK: Decimal = match Decimal::parse("0.01") {
        Ok(v) => v,
        Err(_) => Decimal::ZERO,
    };
    assert_eq!(TICK, d("0.01"));
}

/// A caller handing over parts that are not normalized is a bug debug builds catch.
#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "parts not normalized")]
fn unnormalized_parts_are_caught_in_debug_builds() {
    let _ = Decimal::from_normalized_parts(1_250, 3);
}

#[test]
fn optional_decimals_take_no_more_room_than_decimals() {
    // The scale's niche carries `Option`'s tag: tickers of a dozen optional fields are
    // moved out of their decoders, and a third more bytes per field showed in the copies.
    assert_eq!(core::mem::size_of::<Decimal>(), 16);
    assert_eq!(core::mem::size_of::<Option<Decimal>>(), 16);
    assert_eq!(core::mem::size_of::<Option<crate::Price>>(), 16);
}

#[test]
fn every_scale_round_trips_through_its_parts() {
    for scale in 0..=Decimal::MAX_SCALE {
        let value = Decimal::from_parts(7, scale).unwrap();
        assert_eq!((value.mantissa(), value.scale()), (7, scale));
    }
    assert_eq!(
        Decimal::from_parts(7, 19),
        Err(DecimalError::TooManyDecimals)
    );
}

#[test]
fn values_at_the_largest_scale_order_and_compare_as_the_decimals_do() {
    let texts = [
        "0",
        "1",
        "-1",
        "100.1",
        "100.15",
        "100.10",
        "99.999999999999999999",
        "0.000000000000000001",
        "-0.000000000000000001",
        "9223372036854775807",
        "-9223372036854775807",
        "922337203.6854775807",
        "-922337203.6854775807",
        "0.5",
        "0.50",
        "5",
        "-5.5",
        "60000",
        "59999.9",
        "59999.99",
    ];
    let values: Vec<Decimal> = texts
        .iter()
        .filter_map(|t| Decimal::parse(t).ok())
        .collect();
    assert_eq!(
        values.len(),
        texts.len() - 1,
        "one text is out of range on purpose"
    );
    for a in &values {
        for b in &values {
            assert_eq!(
                a.at_max_scale().cmp(&b.at_max_scale()),
                a.cmp(b),
                "{a} vs {b}"
            );
        }
    }
    assert_eq!(d("1.5").at_max_scale(), 1_500_000_000_000_000_000);
    assert_eq!(
        Decimal::MIN.at_max_scale(),
        -(i64::MAX as i128) * 1_000_000_000_000_000_000
    );
}
