#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::io::Write;

use market_types::{Decimal, Price, Quantity, Side, Symbol, Venue};

use super::*;
use crate::futures::FuturesError;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/data/mexc_futures_", $name, ".json"))
    };
}

fn btc() -> Symbol {
    Symbol::new("BTC_USDT").unwrap()
}

fn levels(push: &DepthPush<'_>) -> Vec<(Side, String, String, u64)> {
    push.data
        .levels()
        .map(|l| {
            let l = l.unwrap();
            (
                l.side,
                l.price.to_string(),
                l.quantity.to_string(),
                l.orders,
            )
        })
        .collect()
}

#[test]
fn depth_fixture_decodes_exactly() {
    let Frame::Depth(push) = decode(fixture!("push_depth")).unwrap() else {
        panic!("not depth")
    };
    assert_eq!(push.symbol, btc());
    assert_eq!(push.time_ms, 1_587_442_022_003);
    assert_eq!(push.data.version(), 96_801_927);
    assert_eq!(push.data.first_version(), 96_801_927);
    assert!(!push.full);
    assert_eq!(
        levels(&push),
        [(Side::Sell, "6859.5".into(), "3251".into(), 1)]
    );
}

#[test]
fn compact_depth_with_merged_versions_and_any_member_order() {
    let text = br#"{"symbol":"BTC_USDT","data":{"asks":[[109419.6,1546632,1],[109464.6,0,0]],"bids":[[108182.7,950165,1]],"begin":26012861157,"end":26012861281,"version":26012861281},"channel":"push.depth","ts":"1751820030820"}"#;
    let Frame::Depth(push) = decode(text).unwrap() else {
        panic!("not depth")
    };
    assert_eq!(push.data.first_version(), 26_012_861_157);
    assert_eq!(push.data.version(), 26_012_861_281);
    assert_eq!(push.time_ms, 1_751_820_030_820);
    let got = levels(&push);
    assert_eq!(got.len(), 3);
    assert_eq!(got[1], (Side::Sell, "109464.6".into(), "0".into(), 0));
    assert_eq!(got[2].0, Side::Buy);
}

#[test]
fn depth_full_is_flagged() {
    let text = br#"{"symbol":"BTC_USDT","data":{"cts":1789897581009,"asks":[[80468.7,3446,2],[80469.1,1239,1]],"bids":[[80468.6,31288,7]],"version":41925002140},"channel":"push.depth.full","ts":1789897581013}"#;
    let Frame::DepthFull(push) = decode(text).unwrap() else {
        panic!("not depth.full")
    };
    assert!(push.full);
    assert_eq!(levels(&push).len(), 3);
}

#[test]
fn bad_levels_are_reported_when_read() {
    for text in [
        &br#"{"channel":"push.depth","data":{"asks":[[1,2],[3]],"bids":[],"version":5},"symbol":"A_B"}"#[..],
        br#"{"channel":"push.depth","data":{"asks":[[1,"x"]],"bids":[],"version":5},"symbol":"A_B"}"#,
        br#"{"channel":"push.depth","data":{"asks":[[1,2]] ],"bids":[],"version":5},"symbol":"A_B"}"#,
    ] {
        match decode(text) {
            Ok(Frame::Depth(push)) => {
                assert!(push.data.levels().any(|l| l.is_err()), "{:?}", core::str::from_utf8(text));
            }
            Ok(other) => panic!("{other:?}"),
            Err(_) => {}
        }
    }
    // A misplaced `]]` is never trusted: the span must be exactly one array.
    let text = br#"{"channel":"push.depth","data":{"asks":[[1,2],3],"x":[[4]],"bids":[],"version":5},"symbol":"A_B"}"#;
    let Frame::Depth(push) = decode(text).unwrap() else {
        panic!("not depth")
    };
    assert!(push.data.levels().any(|l| l.is_err()));
    // Spaces are bracket-counted instead.
    let text = br#"{"channel":"push.depth","data":{"asks":[[1,2] ],"x":[[3,4]],"bids":[],"version":5},"symbol":"A_B"}"#;
    let Frame::Depth(push) = decode(text).unwrap() else {
        panic!("not depth")
    };
    assert_eq!(levels(&push).len(), 1);
    assert!(matches!(
        decode(br#"{"channel":"push.depth","data":{"asks":[],"bids":[]},"symbol":"A_B"}"#),
        Err(FuturesError::Missing {
            field: "version",
            ..
        })
    ));
}

#[test]
fn deal_object_and_array() {
    let Frame::Deals(push) = decode(fixture!("push_deal")).unwrap() else {
        panic!("not deal")
    };
    let deals: Vec<Deal> = push.iter().map(Result::unwrap).collect();
    assert_eq!(deals.len(), 1);
    let deal = deals[0];
    assert_eq!(deal.price, Price::parse("6866.5").unwrap());
    assert_eq!(deal.contracts, Quantity::parse("2096").unwrap());
    assert_eq!(deal.taker_side, Some(Side::Buy));
    assert_eq!(
        (deal.open_flag, deal.match_flag, deal.time_ms),
        (1, 1, 1_587_442_049_632)
    );
    let trade = deal.to_trade(Venue::MexcFutures, push.symbol);
    assert_eq!(trade.quantity, deal.contracts);

    let text = br#"{"symbol":"BTC_USDT","data":[{"p":80489,"v":11,"T":1,"O":3,"M":1,"t":1789897547210,"i":"16270106116","cts":"1789897547210"},{"p":80488.5,"v":2,"T":2,"O":3,"M":2,"t":1789897547211,"i":"16270106117"}],"channel":"push.deal","ts":1789897547215}"#;
    let Frame::Deals(push) = decode(text).unwrap() else {
        panic!("not deal")
    };
    let mut seen = Vec::new();
    push.for_each(|d| seen.push((d.taker_side, d.id))).unwrap();
    assert_eq!(
        seen,
        [
            (Some(Side::Buy), Some(16_270_106_116)),
            (Some(Side::Sell), Some(16_270_106_117))
        ]
    );
    assert_eq!(push.iter().count(), 2);
    let broken =
        br#"{"channel":"push.deal","data":[{"p":1,"v":1,"T":1,"t":1},{"p":1}],"symbol":"A_B"}"#;
    let Frame::Deals(push) = decode(broken).unwrap() else {
        panic!("not deal")
    };
    assert!(push.for_each(|_| ()).is_err());
    assert!(push.iter().last().unwrap().is_err());
}

#[test]
fn ticker_fixture() {
    let Frame::Ticker(push) = decode(fixture!("push_ticker")).unwrap() else {
        panic!("not ticker")
    };
    let t = push.ticker;
    let d = |s: &str| Decimal::parse(s).unwrap();
    assert_eq!(t.last_price, Some(Price::new(d("6865.5"))));
    assert_eq!(t.bid, Some(Price::new(d("6865"))));
    assert_eq!(t.ask, Some(Price::new(d("6866.5"))));
    assert_eq!(t.fair_price, Some(Price::new(d("6867.4"))));
    assert_eq!(t.index_price, Some(Price::new(d("6861.6"))));
    assert_eq!(t.funding_rate, Some(d("0.0008")));
    assert_eq!(t.volume_24h, Some(d("164586129")));
    assert_eq!(t.open_interest, Some(d("2284742")));
    assert_eq!(t.time_ms, 1_587_442_022_003);
    let normalized = t.to_ticker(Venue::MexcFutures, push.symbol);
    assert_eq!(normalized.change_percentage, Some(d("-4.24")));
    assert_eq!(normalized.mark_price, t.fair_price);
}

#[test]
fn controls() {
    assert_eq!(
        decode(fixture!("pong")).unwrap(),
        Frame::Pong(1_587_453_241_453)
    );
    assert_eq!(
        decode(fixture!("rs_sub_deal")).unwrap(),
        Frame::Subscribed("deal")
    );
    assert_eq!(decode(fixture!("rs_login")).unwrap(), Frame::LoggedIn);
    assert_eq!(
        decode(br#"{"channel":"rs.sub.depth.full","data":"success","ts":1}"#).unwrap(),
        Frame::Subscribed("depth.full")
    );
    assert_eq!(
        decode(br#"{"channel":"rs.unsub.deal","data":"success","ts":1}"#).unwrap(),
        Frame::Unsubscribed("deal")
    );
    let Frame::Refused(refusal) = decode(fixture!("rs_error")).unwrap() else {
        panic!("not an error")
    };
    assert!(refusal.is_unknown_contract());
    assert_eq!(refusal.message(), "Contract doesn't exist!");
    assert_eq!(
        refusal.to_error(Some(btc())),
        FuturesError::UnknownContract {
            symbol: Some(btc())
        }
    );
    assert_eq!(
        refusal.to_error(Some(btc())).to_string(),
        "unknown contract BTC_USDT"
    );
    let Frame::Refused(other) =
        decode(br#"{"channel":"rs.error","data":"signature invalid","ts":"1"}"#).unwrap()
    else {
        panic!("not an error")
    };
    assert!(!other.is_unknown_contract());
    let Frame::Other(raw) =
        decode(br#"{"channel":"push.personal.asset","data":{"currency":"USDT"},"ts":2}"#).unwrap()
    else {
        panic!("not passed through")
    };
    assert_eq!(
        (raw.channel, raw.data, raw.time_ms),
        ("push.personal.asset", &br#"{"currency":"USDT"}"#[..], 2)
    );
}

#[test]
fn malformed_frames_are_errors() {
    for text in [
        &b""[..],
        b"{",
        b"[]",
        br#"{"data":{}}"#,
        br#"{"channel":"push.depth","data":{"asks":[],"bids":[],"version":1}}"#,
        br#"{"channel":"push.ticker","data":5,"symbol":"A_B"}"#,
        br#"{"channel":"push.deal","data":{"p":1},"symbol":"A_B"}"#,
        br#"{"channel":"pong","data":1} x"#,
    ] {
        assert!(decode(text).is_err(), "{:?}", core::str::from_utf8(text));
    }
}

#[test]
fn gzip_frames_inflate_within_the_bound() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(fixture!("push_deal")).unwrap();
    let compressed = gz.finish().unwrap();
    let mut inflater = Inflater::default();
    assert!(matches!(
        decode_binary(&mut inflater, &compressed).unwrap(),
        Frame::Deals(_)
    ));

    let mut small = Inflater::new(64);
    assert_eq!(
        decode_binary(&mut small, &compressed).unwrap_err(),
        FuturesError::Gzip("inflated frame exceeds the bound")
    );
    assert!(decode_binary(&mut inflater, b"not gzip").is_err());
    assert!(decode_binary(&mut inflater, &compressed[..compressed.len() / 2]).is_err());
}

#[test]
fn percent_agrees_with_the_product() {
    let hundred = Decimal::from_i64(100).unwrap();
    for text in [
        "-0.0424",
        "0.0424",
        "0.5",
        "0.05",
        "-0.01",
        "0",
        "1",
        "12.34",
        "-7",
        "0.1",
        "0.123456789",
        "-0.000000000000001",
        "9223372036854775.807",
    ] {
        let rate: Decimal = text.parse().unwrap();
        assert_eq!(ticker::percent(rate), rate.checked_mul(hundred), "{text}");
    }
    for mantissa in [
        -1_000_001_i64,
        -300,
        -1,
        0,
        1,
        7,
        10,
        99,
        101,
        123_456_789,
        i64::MAX,
    ] {
        for scale in 0..=Decimal::MAX_SCALE {
            let Ok(rate) = Decimal::from_parts(mantissa, scale) else {
                continue;
            };
            assert_eq!(
                ticker::percent(rate),
                rate.checked_mul(hundred),
                "{mantissa}e-{scale}"
            );
        }
    }
}
