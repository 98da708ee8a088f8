//! The fast paths (the ticker's documented member order, compact `[p,c,n]` levels) and
//! their fallbacks: the same frame in another spelling decodes to the same values, and
//! what the fast path leaves to the general readers is still a typed error.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use market_types::{Decimal, Price, Side};

use super::*;

/// The documentation's ticker members, in its order.
const DOCUMENTED: [(&str, &str); 17] = [
    ("ask1", "6866.5"),
    ("bid1", "6865"),
    ("contractId", "1"),
    ("fairPrice", "6867.4"),
    ("fundingRate", "0.0008"),
    ("high24Price", "7223.5"),
    ("indexPrice", "6861.6"),
    ("lastPrice", "6865.5"),
    ("lower24Price", "6756"),
    ("maxBidPrice", "7073.42"),
    ("minAskPrice", "6661.37"),
    ("riseFallRate", "-0.0424"),
    ("riseFallValue", "-304.5"),
    ("symbol", "\"BTC_USDT\""),
    ("timestamp", "1587442022003"),
    ("holdVol", "2284742"),
    ("volume24", "164586129"),
];

fn ticker_frame(members: &[(&str, &str)]) -> Vec<u8> {
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    format!(
        r#"{{"channel":"push.ticker","data":{{{}}},"symbol":"BTC_USDT","ts":1}}"#,
        body.join(",")
    )
    .into_bytes()
}

fn ticker_of(frame: &[u8]) -> Result<FuturesTicker, FuturesError> {
    match decode(frame)? {
        Frame::Ticker(push) => Ok(push.ticker),
        other => panic!("not a ticker: {other:?}"),
    }
}

fn d(text: &str) -> Decimal {
    Decimal::parse(text).unwrap()
}

fn documented_ticker() -> FuturesTicker {
    FuturesTicker {
        last_price: Some(Price::new(d("6865.5"))),
        bid: Some(Price::new(d("6865"))),
        ask: Some(Price::new(d("6866.5"))),
        fair_price: Some(Price::new(d("6867.4"))),
        index_price: Some(Price::new(d("6861.6"))),
        funding_rate: Some(d("0.0008")),
        volume_24h: Some(d("164586129")),
        amount_24h: None,
        open_interest: Some(d("2284742")),
        high_24h: Some(Price::new(d("7223.5"))),
        low_24h: Some(Price::new(d("6756"))),
        rise_fall_rate: Some(d("-0.0424")),
        time_ms: 1_587_442_022_003,
    }
}

#[test]
fn ticker_in_the_documented_order_reads_every_member() {
    assert_eq!(
        ticker_of(&ticker_frame(&DOCUMENTED)).unwrap(),
        documented_ticker()
    );
    // amount24 after the documented members is read by the fast path as well.
    let mut members = DOCUMENTED.to_vec();
    members.push(("amount24", "1125000000.5"));
    let expected = FuturesTicker {
        amount_24h: Some(d("1125000000.5")),
        ..documented_ticker()
    };
    assert_eq!(ticker_of(&ticker_frame(&members)).unwrap(), expected);
}

#[test]
fn ticker_in_any_other_order_falls_back_to_the_same_values() {
    let expected = documented_ticker();
    let mut reversed = DOCUMENTED.to_vec();
    reversed.reverse();
    assert_eq!(ticker_of(&ticker_frame(&reversed)).unwrap(), expected);
    // Every single pair swapped: the fast path stops at a different member each time.
    for i in 0..DOCUMENTED.len() - 1 {
        let mut swapped = DOCUMENTED.to_vec();
        swapped.swap(i, i + 1);
        assert_eq!(
            ticker_of(&ticker_frame(&swapped)).unwrap(),
            expected,
            "swap {i}"
        );
    }
    // A member missing in the middle: the rest still read.
    let mut missing = DOCUMENTED.to_vec();
    missing.remove(4);
    let without_funding = FuturesTicker {
        funding_rate: None,
        ..expected
    };
    assert_eq!(ticker_of(&ticker_frame(&missing)).unwrap(), without_funding);
}

#[test]
fn ticker_with_extra_members_spaces_and_duplicates_falls_back() {
    let expected = documented_ticker();
    for at in [0, 1, 7, 16, 17] {
        let mut extra = DOCUMENTED.to_vec();
        extra.insert(at, ("riseFallRates", r#"{"r":[1,2,{"x":null}],"s":"y"}"#));
        assert_eq!(
            ticker_of(&ticker_frame(&extra)).unwrap(),
            expected,
            "at {at}"
        );
    }
    // Whitespace between members: the comparison fails, the general reader decides.
    let spaced = String::from_utf8(ticker_frame(&DOCUMENTED))
        .unwrap()
        .replace(",\"fairPrice\"", " , \"fairPrice\" ")
        .replace("{\"ask1\"", "{ \"ask1\"");
    assert_eq!(ticker_of(spaced.as_bytes()).unwrap(), expected);
    // A key that merely starts like an expected one is not it.
    let mut lookalike = DOCUMENTED.to_vec();
    lookalike.insert(0, ("ask1x", "1"));
    lookalike.insert(2, ("bid", "2"));
    assert_eq!(ticker_of(&ticker_frame(&lookalike)).unwrap(), expected);
    // A repeated member: the last one wins, as in the any-order loop.
    let mut repeated = DOCUMENTED.to_vec();
    repeated.push(("ask1", "1.5"));
    let last_wins = FuturesTicker {
        ask: Some(Price::new(d("1.5"))),
        ..expected
    };
    assert_eq!(ticker_of(&ticker_frame(&repeated)).unwrap(), last_wins);
    // An escaped key is not the plain one in either path.
    let escaped = String::from_utf8(ticker_frame(&DOCUMENTED))
        .unwrap()
        .replace("\"bid1\"", "\"bid\\u0031\"");
    let no_bid = FuturesTicker {
        bid: None,
        ..expected
    };
    assert_eq!(ticker_of(escaped.as_bytes()).unwrap(), no_bid);
}

#[test]
fn ticker_values_in_other_spellings_are_exact() {
    // Strings, exponents, null, long fractions: the general number reader, in order.
    let spelled = [
        ("ask1", "\"6866.5\""),
        ("bid1", "6.865e3"),
        ("contractId", "1"),
        ("fairPrice", "68674E-1"),
        ("fundingRate", "8e-4"),
        ("high24Price", "null"),
        ("indexPrice", "\"\""),
        ("lastPrice", "6865.50000000000000"),
        ("lower24Price", "-0"),
        ("riseFallRate", "-0.04240"),
        ("timestamp", "1587442022003"),
        ("volume24", "\"164586129\""),
    ];
    let t = ticker_of(&ticker_frame(&spelled)).unwrap();
    assert_eq!(t.ask, Some(Price::new(d("6866.5"))));
    assert_eq!(t.bid, Some(Price::new(d("6865"))));
    assert_eq!(t.fair_price, Some(Price::new(d("6867.4"))));
    assert_eq!(t.funding_rate, Some(d("0.0008")));
    assert_eq!(t.high_24h, None);
    assert_eq!(t.index_price, None);
    assert_eq!(t.last_price, Some(Price::new(d("6865.5"))));
    assert_eq!(t.low_24h, Some(Price::new(Decimal::ZERO)));
    assert_eq!(t.rise_fall_rate, Some(d("-0.0424")));
    assert_eq!(t.volume_24h, Some(d("164586129")));
}

/// Members the ticker does not read are skipped in one pass when they are short bare
/// numbers; any other value (or a malformed one) gets the full grammar check, in and
/// out of the documented order.
#[test]
fn unread_ticker_members_in_any_spelling_are_skipped_or_refused() {
    let expected = documented_ticker();
    for value in [
        "1",
        "-7",
        "0",
        "7073.42",
        "-304.5",
        "1.5e3",
        "-0.5E-2",
        "1234567890123456789012",
        "null",
        "true",
        "false",
        "\"1\"",
        "[1,[2]]",
        "{\"a\":{}}",
    ] {
        for key in ["contractId", "maxBidPrice", "riseFallValue", "symbol"] {
            let mut members = DOCUMENTED.to_vec();
            for member in &mut members {
                if member.0 == key {
                    member.1 = value;
                }
            }
            let mut reversed = members.clone();
            reversed.reverse();
            for frame in [ticker_frame(&members), ticker_frame(&reversed)] {
                assert_eq!(ticker_of(&frame).unwrap(), expected, "{key}: {value}");
            }
        }
    }
    for bad in ["01", "1.", "-", "1e", "tru", "\"x", "1x"] {
        let mut members = DOCUMENTED.to_vec();
        members[2].1 = bad;
        let mut reversed = members.clone();
        reversed.reverse();
        for frame in [ticker_frame(&members), ticker_frame(&reversed)] {
            assert!(ticker_of(&frame).is_err(), "contractId: {bad}");
        }
    }
}

#[test]
fn bad_ticker_values_are_typed_errors_in_and_out_of_order() {
    for (key, bad) in [
        ("ask1", "\"x\""),
        ("bid1", "true"),
        ("fairPrice", "1."),
        ("fundingRate", "01"),
        ("lastPrice", "[1]"),
        ("timestamp", "-1"),
        ("volume24", "1e999"),
        ("holdVol", "\"1\\u0030\""),
    ] {
        let mut in_order = DOCUMENTED.to_vec();
        for member in &mut in_order {
            if member.0 == key {
                member.1 = bad;
            }
        }
        let mut reversed = in_order.clone();
        reversed.reverse();
        for frame in [ticker_frame(&in_order), ticker_frame(&reversed)] {
            let error = ticker_of(&frame).unwrap_err();
            assert!(
                error.to_string().contains(key) || key == "fairPrice" || key == "fundingRate",
                "{key}: {error}"
            );
        }
    }
    // Cut short anywhere in the fast path: an error, never a partial ticker.
    let whole = ticker_frame(&DOCUMENTED);
    for len in 0..whole.len() {
        assert!(decode(&whole[..len]).is_err(), "cut at {len}");
    }
}

fn depth_frame(asks: &str, bids: &str) -> Vec<u8> {
    format!(
        r#"{{"channel":"push.depth","data":{{"asks":{asks},"bids":{bids},"version":7}},"symbol":"BTC_USDT","ts":1}}"#
    )
    .into_bytes()
}

/// Every level through both readers (the iterator and `for_each_level`), which agree.
fn read_levels(frame: &[u8]) -> Result<Vec<(Side, Decimal, Decimal, u64)>, FuturesError> {
    let Frame::Depth(push) = decode(frame)? else {
        panic!("not depth")
    };
    let mut each = Vec::new();
    let walked = push.data.for_each_level(|l| {
        each.push((l.side, l.price.value(), l.quantity.value(), l.orders));
        Ok::<(), FuturesError>(())
    });
    let iterated: Result<Vec<_>, _> = push
        .data
        .levels()
        .map(|l| l.map(|l| (l.side, l.price.value(), l.quantity.value(), l.orders)))
        .collect();
    assert_eq!(walked.is_ok(), iterated.is_ok());
    walked.map(|()| each)
}

#[test]
fn compact_triples_read_exactly() {
    let frame = depth_frame(
        "[[19137.75,1234,1],[19137.8,0,0],[5,7,9],[0.5,12,10],[123456.125,99999999,123]]",
        "[[19137.7,3,2],[1.23456789012,4]]",
    );
    let got = read_levels(&frame).unwrap();
    let want = [
        (Side::Sell, "19137.75", "1234", 1),
        (Side::Sell, "19137.8", "0", 0),
        (Side::Sell, "5", "7", 9),
        (Side::Sell, "0.5", "12", 10),
        (Side::Sell, "123456.125", "99999999", 123),
        (Side::Buy, "19137.7", "3", 2),
        (Side::Buy, "1.23456789012", "4", 0),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|&(s, p, q, n)| (s, d(p), d(q), n))
        .collect();
    assert_eq!(got, want);
    // Trailing fractional zeros are dropped exactly as the parser drops them.
    let frame = depth_frame("[[19137.50,10.0,1]]", "[]");
    assert_eq!(
        read_levels(&frame).unwrap(),
        [(Side::Sell, d("19137.5"), d("10"), 1)]
    );
}

#[test]
fn other_level_spellings_fall_back_to_the_same_values() {
    let compact = read_levels(&depth_frame("[[19137.75,1234,1]]", "[[19137.7,3,2]]")).unwrap();
    for (asks, bids) in [
        // Spaces and newlines.
        ("[ [19137.75, 1234, 1] ]", "[[19137.7,3,2]]"),
        ("[[19137.75,1234,1]]", "[\n[ 19137.7 ,3 , 2 ]\n]"),
        // Strings instead of numbers.
        (r#"[["19137.75","1234",1]]"#, r#"[["19137.7",3,"2"]]"#),
        // Exponents.
        ("[[1.913775e4,1.234E3,1]]", "[[191377e-1,3e0,2]]"),
        // Extra elements after the order count are ignored.
        ("[[19137.75,1234,1,\"x\",null]]", "[[19137.7,3,2,0]]"),
        // Long fractions that the word reader leaves to the general one.
        (
            "[[19137.7500000000000,1234,1]]",
            "[[19137.70,3.000000000000,2]]",
        ),
    ] {
        assert_eq!(
            read_levels(&depth_frame(asks, bids)).unwrap(),
            compact,
            "{asks} {bids}"
        );
    }
    // Two-element levels: the order count is 0.
    assert_eq!(
        read_levels(&depth_frame("[[19137.75,1234]]", "[]")).unwrap(),
        [(Side::Sell, d("19137.75"), d("1234"), 0)]
    );
}

#[test]
fn malformed_levels_are_typed_errors_on_both_paths() {
    for asks in [
        "[[01,1,1]]",
        "[[1,01,1]]",
        "[[1,1,01]]",
        "[[1,1,-1]]",
        "[[1,1,1.5]]",
        "[[1,1,1e2]]",
        "[[1.,1,1]]",
        "[[1,1,]]",
        "[[1,1,1,]]",
        "[[1,,1]]",
        "[[1]]",
        "[[]]",
        "[[1,1,1],]",
        r#"[["x",1,1]]"#,
        "[[1,1,1]",
        "[[1,1,1]}",
        "[[1,1,1] x]",
        "[[1,1,99999999999999999999]]",
        "[[1e999,1,1]]",
    ] {
        let frame = depth_frame(asks, "[]");
        assert!(read_levels(&frame).is_err(), "{asks}");
    }
    // A level cut short by the end of the frame, at every length.
    let whole = depth_frame("[[19137.75,1234,1],[19137.8,5,12]]", "[]");
    for len in 0..whole.len() {
        if let Ok(Frame::Depth(push)) = decode(&whole[..len]) {
            panic!("cut at {len} decoded: {push:?}");
        }
    }
}

#[test]
fn negative_quantities_read_exactly_and_the_book_decides() {
    // The decoder reads what is there; refusing a negative size is the book's job.
    let got = read_levels(&depth_frame("[[1,-2,1]]", "[]")).unwrap();
    assert_eq!(got, [(Side::Sell, d("1"), d("-2"), 1)]);
}

/// The word-at-a-time search for the end of compact levels against a byte-by-byte
/// reference: the first `]` not followed by `,` must be the end `]]`, else no answer.
#[test]
fn compact_level_ends_agree_with_a_byte_reference() {
    fn reference(bytes: &[u8], from: usize) -> Option<usize> {
        let mut i = from;
        while i < bytes.len() {
            if bytes[i] == b']' {
                match bytes.get(i + 1) {
                    Some(b',') => i += 1,
                    Some(b']') => return Some(i + 2),
                    _ => return None,
                }
            }
            i += 1;
        }
        None
    }
    let alphabet = b"],,]]]\\-[0123456789. \"";
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut found = 0;
    for round in 0..200_000usize {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 40) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|i| {
                let pick = (state >> (i % 8 * 8)) as usize ^ (i * 31) ^ round;
                alphabet[pick % alphabet.len()]
            })
            .collect();
        for from in [0, 1, 3] {
            let want = reference(&bytes, from);
            found += usize::from(want.is_some());
            assert_eq!(
                super::levels::compact_levels_end(&bytes, from),
                want,
                "{} from {from}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
    assert!(found > 10_000, "{found}");
    let levels = b"[[6865.5,12,1],[6866,3,2]],\"bids\":[]";
    assert_eq!(super::levels::compact_levels_end(levels, 2), Some(26));
    // The end across two words (the `]` in a word's top byte), and in the last bytes.
    let across = b"[[1234567]],\"bids\":[]";
    assert_eq!(super::levels::compact_levels_end(across, 2), Some(11));
    let across = b"[[1234567],[1]],\"bids\":[]";
    assert_eq!(super::levels::compact_levels_end(across, 2), Some(15));
    assert_eq!(super::levels::compact_levels_end(b"[[1,2]]", 2), Some(7));
    assert_eq!(
        super::levels::compact_levels_end(b"[[1,2] ],[[3]]", 2),
        None
    );
}
