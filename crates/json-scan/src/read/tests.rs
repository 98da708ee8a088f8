#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use market_types::swar::{ASCII_ZEROS, eight_digits};

use super::number::{
    padded_eight_bytes, scalar_decimal, scalar_digits, swar_digits, tail_bytes, wide_decimal,
};
use super::*;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

#[test]
fn decimals_from_number_text_are_exact() {
    for (text, expect) in [
        ("40000.4", "40000.4"),
        ("-0.00025", "-0.00025"),
        ("0.0009290592", "0.0009290592"),
        ("-1.25e-8", "-0.0000000125"),
        ("1.5E3", "1500"),
        ("2e+2", "200"),
        ("0e99999", "0"),
        ("40000.36666661111", "40000.36666661111"),
        ("9.998739899488", "9.998739899488"),
    ] {
        assert_eq!(
            decimal_from_text(text.as_bytes()).unwrap(),
            d(expect),
            "{text}"
        );
    }
    assert_eq!(
        decimal_from_text(b"1e30"),
        Err(DecimalError::Overflow),
        "too large"
    );
    assert_eq!(
        decimal_from_text(b"1e-30"),
        Err(DecimalError::TooManyDecimals)
    );
    assert!(decimal_from_text(b"1e").is_err());
    assert!(decimal_from_text(b"1e99999999").is_err());
}

#[test]
fn quick_paths_agree_with_the_general_ones() {
    for text in [
        "\"19137.74\"",
        "\"0.0001\"",
        "\"0\"",
        "\"-0.5\"",
        "\"16.4700000000\"",
        "\"100\"",
        "\"5.\"",
        "\".5\"",
        "\"-.5\"",
        "58794",
        "0",
        "-108",
        "5116.8",
        "0.000000000000000001",
        "\"123456789012345678\"",
        "\"1234567890123456789\"",
        "\"1e5\"",
        "1e5",
        "01",
        "1.",
        "\"\"",
        "\"-\"",
        "\"1.2.3\"",
        "\"+1\"",
        "\"0.10000000000000000000001\"",
    ] {
        let bytes = text.as_bytes();
        let quoted = bytes.first() == Some(&b'"');
        let general = {
            let mut sc = Scanner::new(bytes);
            opt_decimal(&mut sc, "x").ok().flatten()
        };
        if let Some((value, end)) = quick_decimal(bytes, 0, quoted) {
            assert_eq!(Some(value), general, "{text}");
            assert_eq!(end, bytes.len(), "{text}");
        }
        let general = {
            let mut sc = Scanner::new(bytes);
            uint(&mut sc, "x").ok()
        };
        if let Some((value, end)) = quick_uint(bytes, 0, quoted, false) {
            assert_eq!(Some(value), general, "{text}");
            assert_eq!(end, bytes.len(), "{text}");
        }
    }
    assert_eq!(
        quick_uint(b"9999999999999999999", 0, false, false).map(|v| v.0),
        Some(9_999_999_999_999_999_999)
    );
    assert_eq!(
        quick_uint(b"18446744073709551615", 0, false, false),
        None,
        "general path"
    );
    assert_eq!(quick_uint(b"18446744073709551616", 0, false, false), None);
    assert_eq!(quick_uint(b"99999999999999999999", 0, false, false), None);
    assert_eq!(
        quick_uint(b"\"1606292218213.4578\"", 0, true, true).map(|v| v.0),
        Some(1606292218213)
    );
}

#[test]
fn swar_decimals_agree_with_the_general_parser() {
    let pads: [&[u8]; 3] = [b"", b"]]}", br#"],["19137.74","0.0001"]],"a":[]}}"#];
    let ints = [
        "0",
        "00",
        "1",
        "7",
        "19137",
        "007",
        "123456789",
        "12345678901234",
    ];
    let fractions = [
        "",
        ".",
        ".0",
        ".5",
        ".74",
        ".0001",
        ".6135",
        ".4700000000",
        ".000",
        ".10",
        ".0000000001",
        ".1234567",
        ".12345678",
        ".123456789",
        ".9999",
    ];
    let mut engaged = 0;
    for sign in ["", "-", "+"] {
        for int in ints {
            for fraction in fractions {
                let text = format!("{sign}{int}{fraction}");
                for pad in pads {
                    let mut bytes = format!("\"{text}\"").into_bytes();
                    bytes.extend_from_slice(pad);
                    let general = Decimal::parse(&text).ok();
                    if let Some((mantissa, scale, end)) = swar_decimal(&bytes, 1) {
                        engaged += 1;
                        let value = Decimal::from_parts(mantissa, scale).unwrap();
                        // Already normalized: the readers build it without re-normalizing.
                        assert_eq!((value.mantissa(), value.scale()), (mantissa, scale));
                        assert_eq!(Some(value), general, "{text}");
                        assert_eq!(end, text.len() + 2, "{text}");
                    }
                    if let Some((value, end)) = quick_decimal(&bytes, 0, true) {
                        assert_eq!(Some(value), general, "{text}");
                        assert_eq!(end, text.len() + 2, "{text}");
                    }
                    // Short, plain, padded: the SWAR reader must take it.
                    let plain = sign.is_empty() && fraction != ".";
                    if plain && pad.len() > 16 && int.len() < 8 && fraction.len() < 9 {
                        assert!(swar_decimal(&bytes, 1).is_some(), "{text}");
                    }
                }
            }
        }
    }
    assert!(engaged > 80, "{engaged}");
    // Pseudo-random text over the characters that matter: whatever SWAR accepts, the
    // scalar reader accepts with the same value and end.
    let alphabet = b"0123456789.-\"e ";
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..200_000 {
        let mut bytes = vec![b'"'];
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 20) as usize;
        for i in 0..len {
            let pick = (state >> (i % 8 * 8)) as usize ^ (i * 7);
            // Mostly digits, so that long valid numbers show up.
            let b = if pick.is_multiple_of(3) {
                alphabet[pick / 3 % alphabet.len()]
            } else {
                b'0' + (pick % 10) as u8
            };
            bytes.push(b);
        }
        bytes.extend_from_slice(b"\"]]}}}}}}}}}}}}}}}}");
        if let Some((mantissa, scale, end)) = swar_decimal(&bytes, 1) {
            let found = (Decimal::from_parts(mantissa, scale).unwrap(), end);
            assert_eq!((found.0.mantissa(), found.0.scale()), (mantissa, scale));
            assert_eq!(
                Some(found),
                scalar_decimal(&bytes, 0, true),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
    assert_eq!(
        eight_digits(u64::from_le_bytes(*b"12345678") ^ ASCII_ZEROS),
        12_345_678
    );
}

/// The SWAR reader near the end of the input (reads padded with zero bytes) and with
/// eight to fifteen fractional digits agrees with the scalar reader on every prefix.
#[test]
fn swar_decimals_at_the_end_and_with_long_fractions() {
    let texts = [
        "0.09",
        "0.0003341504",
        "0.00033415",
        "0.000334150",
        "0.000334150400000",
        "0.0003341504000000",
        "1234567.12345678901",
        "1234567.1234567890",
        "12.1234567890123456",
        "123.000000000000000",
        "0.0000000000",
        "7.100000000",
        "19177.79",
        "9",
        "1234567",
    ];
    let mut engaged = 0;
    for text in texts {
        let full = format!("\"{text}\"}}}}");
        for cut in 1..=full.len() {
            let bytes = &full.as_bytes()[..cut];
            if let Some((mantissa, scale, end)) = swar_decimal(bytes, 1) {
                engaged += 1;
                let found = (Decimal::from_parts(mantissa, scale).unwrap(), end);
                assert_eq!((found.0.mantissa(), found.0.scale()), (mantissa, scale));
                assert_eq!(Some(found), scalar_decimal(bytes, 0, true), "{text} {cut}");
                assert_eq!(found.0, Decimal::parse(text).unwrap(), "{text} {cut}");
            }
        }
    }
    assert!(engaged > 30, "{engaged}");
    // Taken at the very end of the input and with long fractions.
    assert!(swar_decimal(b"\"0.09\"", 1).is_some());
    assert!(swar_decimal(b"\"0.0003341504\"", 1).is_some());
    assert!(swar_decimal(b"\"1234567.12345678901\"", 1).is_some());
    // Past eighteen digits or fifteen fractional digits: left to the wider readers.
    assert!(swar_decimal(b"\"1234567.123456789012\"}", 1).is_none());
    assert!(swar_decimal(b"\"1.1234567812345678\"}", 1).is_none());
}

#[test]
fn padded_reads_near_the_end() {
    let text = b"0123456789abcdefghij";
    for len in 0..=text.len() {
        let bytes = &text[..len];
        for at in 0..len + 10 {
            let mut word = [0u8; 8];
            for (i, slot) in word.iter_mut().enumerate() {
                *slot = bytes.get(at + i).copied().unwrap_or(0);
            }
            assert_eq!(
                padded_eight_bytes(bytes, at),
                u64::from_le_bytes(word),
                "{len} {at}"
            );
        }
    }
    assert_eq!(tail_bytes(b"", usize::MAX), 0);
}

#[test]
fn wide_readers_agree_with_the_scalar_ones() {
    // Pseudo-random numbers, quoted and bare, padded so the eight-byte reads engage:
    // whatever the wide readers accept, the scalar ones accept with the same result.
    let alphabet = b"0123456789.-\"e ";
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut engaged = [0usize; 2];
    for round in 0..400_000usize {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let quoted = round.is_multiple_of(2);
        let mut bytes = Vec::new();
        if quoted {
            bytes.push(b'"');
        }
        let len = (state % 34) as usize;
        for i in 0..len {
            let pick = (state >> (i % 8 * 8)) as usize ^ (i * 7) ^ (round >> 3);
            let b = if pick.is_multiple_of(5) {
                alphabet[pick / 5 % alphabet.len()]
            } else if pick % 5 == 1 {
                b'0'
            } else {
                b'0' + (pick % 10) as u8
            };
            bytes.push(b);
        }
        if quoted {
            bytes.push(b'"');
        }
        bytes.extend_from_slice(b",\"x\":[1,2,3,4,5,6,7,8,9,0]}");
        if let Some(found) = wide_decimal(&bytes, 0, quoted) {
            engaged[0] += 1;
            assert_eq!(
                Some(found),
                scalar_decimal(&bytes, 0, quoted),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        for fraction in [false, true] {
            let digits_start = usize::from(quoted);
            if let Some(found) = swar_digits(&bytes, digits_start) {
                engaged[1] += 1;
                assert_eq!(Some(found), scalar_digits(&bytes, digits_start));
            }
            // The SWAR integer reader against a digit-by-digit reference.
            let reference = {
                let mut sc = Scanner::new(&bytes);
                let text = if quoted {
                    sc.string().ok().map(|s| s.raw)
                } else {
                    sc.number().ok()
                };
                text.and_then(|t| {
                    let (whole, rest) = match t.iter().position(|&b| b == b'.') {
                        Some(dot) if fraction => (&t[..dot], &t[dot + 1..]),
                        _ => (t, &b""[..]),
                    };
                    let ok = rest.iter().all(u8::is_ascii_digit)
                        && (rest.is_empty() || whole.len() < t.len() - 1);
                    let leading = !quoted && whole.len() > 1 && whole[0] == b'0';
                    (ok && !leading && whole.len() <= 19)
                        .then(|| parse_u64(whole).ok())
                        .flatten()
                        .map(|v| (v, sc.pos()))
                })
            };
            if let Some(found) = quick_uint(&bytes, 0, quoted, fraction) {
                assert_eq!(
                    Some(found),
                    reference,
                    "{} {fraction}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }
    assert!(engaged[0] > 1_000 && engaged[1] > 1_000, "{engaged:?}");
    for (text, expect) in [
        ("\"0.0003341504\",", "0.0003341504"),
        ("\"16.4700000000\",", "16.47"),
        ("\"0.4705000000\",", "0.4705"),
        ("\"123456789.123456789\",", "123456789.123456789"),
        ("\"0.000000000000\",", "0"),
        ("\"-1234567.0000000010\",", "-1234567.000000001"),
        ("37000,\"a\":\"54696.7\"", "37000"),
        ("-108,\"id\":27753479", "-108"),
    ] {
        let bytes = format!("{text}{}", " ".repeat(20));
        let quoted = text.starts_with('"');
        let (value, end) = wide_decimal(bytes.as_bytes(), 0, quoted).unwrap();
        assert_eq!(value, d(expect), "{text}");
        assert_eq!(
            Some((value, end)),
            scalar_decimal(bytes.as_bytes(), 0, quoted)
        );
    }
}

#[test]
fn values_in_both_shapes() {
    let mut sc = Scanner::new(br#"["37000", 37000, "5116.8", "", null]"#);
    sc.begin_array().unwrap();
    let mut first = true;
    let mut got = Vec::new();
    while sc.next_item(&mut first).unwrap() {
        got.push(opt_decimal(&mut sc, "s").unwrap());
    }
    assert_eq!(
        got,
        [
            Some(d("37000")),
            Some(d("37000")),
            Some(d("5116.8")),
            None,
            None
        ]
    );
    let mut sc = Scanner::new(br#""1606292218213.4578""#);
    assert_eq!(millis(&mut sc, "t").unwrap(), 1606292218213);
    let mut sc = Scanner::new(b"1545136464123");
    assert_eq!(millis(&mut sc, "t").unwrap(), 1545136464123);
    let mut sc = Scanner::new(br#""12x""#);
    assert!(uint(&mut sc, "id").is_err());
    let mut sc = Scanner::new(b"-108");
    assert_eq!(int(&mut sc, "size").unwrap(), -108);
    assert_eq!(
        parse_u64(b"18446744073709551616"),
        Err(FieldError::OutOfRange)
    );
}

#[test]
fn bare_decimals_agree_with_the_general_reader() {
    for text in [
        "6859.5,",
        "3251]",
        "0}",
        "0.0008,",
        "7,",
        "19137.74]",
        "1234567.1,",
        "12.3456789012,",
        "0.000334150412]",
        "164586129,",
        "05,",
        "1.,",
        "1.5e3,",
        "-2.5,",
        "12345678,",
        "1.50,",
        "100.000,",
        "0.0,",
        "9999999.99999999]",
    ] {
        let bytes = text.as_bytes();
        let quick = quick_bare_decimal(bytes, 0);
        let general = decimal_from_text(bytes.get(..bytes.len() - 1).unwrap())
            .ok()
            .filter(|_| {
                Scanner::new(bytes)
                    .number()
                    .is_ok_and(|n| n.len() == bytes.len() - 1)
            });
        if let Some((value, end)) = quick {
            assert_eq!(Some(value), general, "{text}");
            assert_eq!(end, bytes.len() - 1, "{text}");
        }
    }
    assert_eq!(quick_bare_decimal(b"6859.5,", 0).unwrap().0, d("6859.5"));
    assert_eq!(quick_bare_decimal(b"100.000,", 0).unwrap().0, d("100"));
    assert!(quick_bare_decimal(b"05,", 0).is_none());
}
