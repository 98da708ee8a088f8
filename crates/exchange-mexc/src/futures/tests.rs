#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

//! Requests and REST answers.

use bytes::Bytes;
use market_types::{Decimal, Symbol};
use ws_session::{OutFrame, RestFailure, RestReply, RestRequestId};

use super::*;

fn btc() -> Symbol {
    Symbol::new("BTC_USDT").unwrap()
}

fn text(frame: OutFrame) -> serde_json::Value {
    let OutFrame::Text(bytes) = frame else {
        panic!("not text")
    };
    serde_json::from_slice(&bytes).unwrap()
}

fn fixture(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/tests/data/mexc_futures_{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn requests_match_the_venue_shapes() {
    assert_eq!(text(ping()), fixture("ping_request"));
    let mut deal = fixture("sub_deal_request");
    deal["gzip"] = false.into();
    assert_eq!(text(subscribe(&FuturesChannel::Deal(btc()))), deal);
    let mut full = fixture("sub_depth_full_request");
    full["gzip"] = false.into();
    assert_eq!(
        text(subscribe(&FuturesChannel::DepthFull(
            btc(),
            DepthFullLimit::Five
        ))),
        full
    );
    assert_eq!(
        text(subscribe(&FuturesChannel::Depth(btc()))),
        serde_json::json!({"method":"sub.depth","param":{"symbol":"BTC_USDT","compress":false},"gzip":false})
    );
    assert_eq!(
        text(unsubscribe(&FuturesChannel::Depth(btc())))["method"],
        "unsub.depth"
    );
    assert_eq!(
        text(unsubscribe(&FuturesChannel::DepthFull(
            btc(),
            DepthFullLimit::Ten
        ))),
        serde_json::json!({"method":"unsub.depth.full","param":{"symbol":"BTC_USDT","limit":10},"gzip":false})
    );
    assert_eq!(
        text(subscribe(&FuturesChannel::Ticker(btc())))["method"],
        "sub.ticker"
    );
    // A symbol with a quote stays one JSON string.
    let odd = Symbol::new("A\"B").unwrap();
    assert_eq!(
        text(subscribe(&FuturesChannel::Deal(odd)))["param"]["symbol"],
        "A\"B"
    );
    assert_eq!(
        FuturesChannel::DepthFull(btc(), DepthFullLimit::Twenty).name(),
        "depth.full"
    );
}

#[test]
fn rest_requests() {
    let id = RestRequestId(7);
    assert_eq!(
        depth_commits_request("https://contract.mexc.com/", btc(), 100, id).url,
        "https://contract.mexc.com/api/v1/contract/depth_commits/BTC_USDT/100"
    );
    assert_eq!(
        contract_detail_request(REST_URL, Some(btc()), id).url,
        "https://contract.mexc.com/api/v1/contract/detail?symbol=BTC_USDT"
    );
    assert_eq!(
        depth_snapshot_request(REST_URL, Symbol::new("A/B").unwrap(), 5, id).url,
        "https://contract.mexc.com/api/v1/contract/depth/A%2FB?limit=5"
    );
}

#[test]
fn snapshot_fixture_bare_and_enveloped() {
    let bare = include_bytes!("../../tests/data/mexc_futures_rest_depth.json");
    let snapshot = parse_depth_snapshot(bare).unwrap();
    assert_eq!(
        (snapshot.version(), snapshot.time_ms()),
        (1, 1_587_442_022_003)
    );
    let levels: Vec<_> = snapshot.levels().map(Result::unwrap).collect();
    assert_eq!(levels.len(), 4);
    assert_eq!(
        levels[0].orders, 0,
        "a two-element level has no order count"
    );
    let wrapped = format!(
        r#"{{"success":true,"code":0,"data":{}}}"#,
        core::str::from_utf8(bare).unwrap()
    );
    assert_eq!(
        parse_depth_snapshot(wrapped.as_bytes()).unwrap().version(),
        1
    );
    let refused = parse_depth_snapshot(
        br#"{"success":false,"code":1001,"message":"Contract doesn't exist!"}"#,
    );
    assert!(matches!(
        refused,
        Err(FuturesError::Rest { code: 1001, .. })
    ));
}

#[test]
fn depth_commits_and_contract_details() {
    let body = br#"{"success":true,"code":0,"data":[{"asks":[[1,2,1]],"bids":[],"version":9},{"asks":[],"bids":[[0.5,3,1]],"version":10}]}"#;
    let commits = parse_depth_commits(body).unwrap();
    assert_eq!(
        commits.iter().map(DepthData::version).collect::<Vec<_>>(),
        [9, 10]
    );

    let body = br#"{"success":true,"code":0,"data":[{"symbol":"BTC_USDT","displayName":"BTC_USDT PERPETUAL","contractSize":0.0001,"priceUnit":0.1,"volUnit":1,"minVol":1,"maxVol":1250000},{"symbol":"ETH_USDT","contractSize":0.01}]}"#;
    let details = parse_contract_details(body).unwrap();
    assert_eq!(details.len(), 2);
    let btc_detail = details[0];
    assert_eq!(btc_detail.contract_size, Decimal::parse("0.0001").unwrap());
    assert_eq!(
        btc_detail.base_amount(Decimal::parse("2096").unwrap()),
        Some(Decimal::parse("0.2096").unwrap())
    );
    let one = br#"{"success":true,"code":0,"data":{"symbol":"BTC_USDT","contractSize":0.0001}}"#;
    assert_eq!(parse_contract_details(one).unwrap()[0].symbol, btc());
    assert!(
        parse_contract_details(br#"{"success":true,"code":0,"data":[{"symbol":"X"}]}"#).is_err()
    );
}

#[test]
fn reply_statuses() {
    let reply = |status, body: &str| {
        Ok(RestReply {
            status,
            retry_after: None,
            body: Bytes::from(body.to_string()),
        })
    };
    assert!(check_reply(DEPTH, &reply(200, "{}")).is_ok());
    assert!(matches!(
        check_reply(DEPTH, &reply(429, "")),
        Err(FuturesError::RateLimited { status: 429, .. })
    ));
    assert!(matches!(
        check_reply(
            DEPTH,
            &reply(500, r#"{"success":false,"code":9,"message":"busy"}"#)
        ),
        Err(FuturesError::Rest { code: 9, .. })
    ));
    assert!(matches!(
        check_reply(DEPTH, &Err(RestFailure::BodyTooLarge)),
        Err(FuturesError::RestFailed { .. })
    ));
}
