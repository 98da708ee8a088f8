//! The MEXC USDT-M futures venue over real loopback sockets, driven by a raw
//! fastwebsockets client and hand-written JSON checks (independent of the venue's writer).
//!
//! Every wait is bounded by `tokio::time::timeout`; nothing leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use exchange_sim::mexc::{BookTruth, Generator};
use exchange_sim::mexc_futures::{
    CODE_API_KEY_INVALID, CODE_SIGNATURE, DEFAULT_API_KEY, DEFAULT_API_SECRET, FuturesPrivate,
    MOUNT, MexcFuturesConfig, MexcFuturesFault, MexcFuturesVenue, OrderSide, WS_PATH,
    login_signature, rest_signature,
};
use exchange_sim::{Fault, HttpFault, SimConfig, Simulator};
use fastwebsockets::{Frame, OpCode, Payload, WebSocket, handshake};
use http::header::{CONNECTION, UPGRADE};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use market_types::{Decimal, Price, Symbol};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;

type Ws = WebSocket<TokioIo<Upgraded>>;

const WAIT: Duration = Duration::from_secs(3);
const BTC: &str = "BTC_USDT";

// ---------------------------------------------------------------- public channels

#[tokio::test]
async fn ping_acks_errors_and_unsubscribe() {
    let (sim, _venue) = start(paused()).await;
    let mut ws = connect(&sim).await;
    send(&mut ws, r#"{"method":"ping"}"#).await;
    let pong = next_json(&mut ws).await.unwrap();
    assert_eq!(pong["channel"], "pong");
    assert!(
        pong["data"]
            .as_i64()
            .is_some_and(|ms| ms > 1_600_000_000_000),
        "{pong}"
    );

    for (method, param) in [
        ("sub.deal", json!({"symbol": BTC})),
        ("sub.ticker", json!({"symbol": BTC})),
        ("sub.depth", json!({"symbol": BTC, "compress": false})),
        ("sub.depth.full", json!({"symbol": BTC, "limit": 5})),
        ("unsub.deal", json!({"symbol": BTC})),
        ("usub.depth.full", json!({"symbol": BTC})),
    ] {
        send(
            &mut ws,
            &json!({"method": method, "param": param}).to_string(),
        )
        .await;
        let ack = next_json(&mut ws).await.unwrap();
        assert_eq!(ack["channel"], format!("rs.{method}"), "{ack}");
        assert_eq!(ack["data"], "success");
        assert!(
            ack["ts"]
                .as_str()
                .is_some_and(|ts| ts.parse::<i64>().is_ok()),
            "ts is a string: {ack}"
        );
    }
    send(
        &mut ws,
        r#"{"method":"sub.depth","param":{"symbol":"NOPE_USDT"}}"#,
    )
    .await;
    let error = next_json(&mut ws).await.unwrap();
    assert_eq!(error["channel"], "rs.error");
    assert_eq!(error["data"], "Contract doesn't exist!");
    sim.shutdown().await;
}

#[tokio::test]
async fn gzip_by_default_unless_opted_out_and_unsubscribe_stops_pushes() {
    let config = MexcFuturesConfig {
        gzip_by_default: true,
        ..paused()
    };
    let (sim, venue) = start(config).await;
    let mut zipped = connect(&sim).await;
    send(
        &mut zipped,
        &json!({"method":"sub.depth","param":{"symbol":BTC,"compress":false}}).to_string(),
    )
    .await;
    assert_eq!(
        next_json(&mut zipped).await.unwrap()["channel"],
        "rs.sub.depth",
        "acks stay text"
    );
    let mut plain = connect(&sim).await;
    subscribe(
        &mut plain,
        "sub.depth",
        json!({"symbol": BTC, "compress": false}),
    )
    .await;
    venue.advance(1);
    let (opcode, payload) = next_frame(&mut zipped).await.unwrap();
    assert_eq!(opcode, OpCode::Binary);
    let mut text = String::new();
    flate2::read::GzDecoder::new(&payload[..])
        .read_to_string(&mut text)
        .unwrap();
    let plain_push = next_json(&mut plain).await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        plain_push,
        "same push either way"
    );

    subscribe(&mut plain, "unsub.depth", json!({"symbol": BTC})).await;
    venue.advance(2);
    assert_silent(&mut plain).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn per_version_pushes_are_contiguous_and_rebuild_the_truth() {
    let (sim, venue) = start(paused()).await;
    let mut ws = connect(&sim).await;
    subscribe(
        &mut ws,
        "sub.depth",
        json!({"symbol": BTC, "compress": false}),
    )
    .await;
    venue.advance(5);
    let snapshot = rest_json(&sim, &format!("{MOUNT}/api/v1/contract/depth/{BTC}"), None).await;
    assert_eq!(snapshot["success"], true);
    assert!(snapshot["data"]["timestamp"].as_i64().is_some());
    let mut book = LocalBook::from_levels(&snapshot["data"]);
    venue.advance(40);
    let target = venue.book(BTC).unwrap().version;
    let mut last: Option<u64> = None;
    while book.version < target {
        let push = next_json(&mut ws).await.unwrap();
        assert_eq!(push["channel"], "push.depth");
        assert_eq!(push["symbol"], BTC);
        let version = push["data"]["version"].as_u64().unwrap();
        if let Some(last) = last {
            assert_eq!(version, last + 1, "versions are contiguous");
        }
        last = Some(version);
        if version > book.version {
            assert_eq!(version, book.version + 1, "no gap after the snapshot");
            book.apply(&push["data"]);
        }
    }
    book.assert_matches(&venue.book(BTC).unwrap());

    // depth_commits: the latest changes, newest first, contiguous.
    let commits = rest_json(
        &sim,
        &format!("{MOUNT}/api/v1/contract/depth_commits/{BTC}/10"),
        None,
    )
    .await;
    let versions: Vec<u64> = commits["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, (target - 9..=target).rev().collect::<Vec<_>>());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_live_book_synced_from_snapshot_and_buffered_pushes_equals_the_truth() {
    let (sim, venue) = start(MexcFuturesConfig::default()).await;
    let mut ws = connect(&sim).await;
    subscribe(
        &mut ws,
        "sub.depth",
        json!({"symbol": BTC, "compress": false}),
    )
    .await;
    // Buffer pushes while the snapshot is fetched, as a client does.
    let mut buffered = Vec::new();
    for _ in 0..5 {
        buffered.push(next_json(&mut ws).await.unwrap());
    }
    let snapshot = rest_json(
        &sim,
        &format!("{MOUNT}/api/v1/contract/depth/{BTC}?limit=1000"),
        None,
    )
    .await;
    let mut book = LocalBook::from_levels(&snapshot["data"]);
    assert!(
        version_of(&buffered[0]) <= book.version + 1,
        "the buffer reaches back to the snapshot"
    );
    let apply = |push: &Value, book: &mut LocalBook| {
        let version = version_of(push);
        if version > book.version {
            assert_eq!(version, book.version + 1, "contiguous");
            book.apply(&push["data"]);
        }
    };
    for push in &buffered {
        apply(push, &mut book);
    }
    let until = tokio::time::Instant::now() + Duration::from_millis(300);
    while tokio::time::Instant::now() < until {
        let push = next_json(&mut ws).await.unwrap();
        apply(&push, &mut book);
    }
    venue.pause();
    let truth = venue.book(BTC).unwrap();
    while book.version < truth.version {
        let push = next_json(&mut ws).await.unwrap();
        apply(&push, &mut book);
    }
    book.assert_matches(&truth);
    sim.shutdown().await;
}

#[tokio::test]
async fn merged_pushes_full_depth_deals_ticker_and_gzip() {
    let (sim, venue) = start(paused()).await;
    let mut ws = connect(&sim).await;
    // No "compress": merged, the venue's default; "gzip": true gets binary frames.
    send(
        &mut ws,
        &json!({"method":"sub.depth","param":{"symbol":BTC},"gzip":true}).to_string(),
    )
    .await;
    assert_eq!(next_json(&mut ws).await.unwrap()["channel"], "rs.sub.depth");
    let before = venue.book(BTC).unwrap().version;
    venue.advance(7);
    let (opcode, payload) = next_frame(&mut ws).await.unwrap();
    assert_eq!(opcode, OpCode::Binary);
    let mut text = String::new();
    flate2::read::GzDecoder::new(&payload[..])
        .read_to_string(&mut text)
        .unwrap();
    let push: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(push["channel"], "push.depth");
    assert_eq!(
        push["data"]["version"].as_u64(),
        Some(before + 7),
        "one push covers the tick"
    );

    let detail = rest_json(
        &sim,
        &format!("{MOUNT}/api/v1/contract/detail?symbol={BTC}"),
        None,
    )
    .await;
    assert_eq!(detail["data"]["contractSize"], json!(0.0001));
    let all = rest_json(&sim, &format!("{MOUNT}/api/v1/contract/detail"), None).await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(2));
    sim.shutdown().await;

    // A running generator: depth.full, deals (as arrays) and the ticker all arrive.
    let config = MexcFuturesConfig {
        deal_shape: exchange_sim::mexc_futures::DealShape::Array,
        slow_every: 2,
        ..MexcFuturesConfig::default()
    };
    let (sim, _venue) = start(config).await;
    let mut ws = connect(&sim).await;
    // Pushes of one subscription may come before the next one's ack: send all, then read.
    for (method, param) in [
        ("sub.depth.full", json!({"symbol": BTC, "limit": 5})),
        ("sub.deal", json!({"symbol": BTC})),
        ("sub.ticker", json!({"symbol": BTC})),
    ] {
        send(
            &mut ws,
            &json!({"method": method, "param": param}).to_string(),
        )
        .await;
    }
    let mut seen = BTreeMap::new();
    for _ in 0..2_000 {
        let push = next_json(&mut ws).await.unwrap();
        let channel = push["channel"].as_str().unwrap().to_owned();
        match channel.as_str() {
            "rs.sub.depth.full" | "rs.sub.deal" | "rs.sub.ticker" => continue,
            "push.depth.full" => {
                assert_eq!(push["data"]["bids"].as_array().map(Vec::len), Some(5));
                assert_eq!(push["data"]["asks"].as_array().map(Vec::len), Some(5));
            }
            "push.deal" => {
                let deal = &push["data"][0];
                assert!(deal["p"].is_number() && deal["v"].as_u64().is_some());
                assert!(matches!(deal["T"].as_u64(), Some(1 | 2)));
            }
            "push.ticker" => {
                let data = &push["data"];
                assert!(data["bid1"].as_f64() < data["ask1"].as_f64(), "{data}");
                for field in [
                    "lastPrice",
                    "fairPrice",
                    "indexPrice",
                    "fundingRate",
                    "volume24",
                ] {
                    assert!(data[field].is_number(), "{field}");
                }
            }
            other => panic!("unexpected {other}"),
        }
        *seen.entry(channel).or_insert(0) += 1;
        if seen.len() == 3 {
            break;
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn version_gap_duplicate_stale_snapshot_and_core_faults() {
    let (sim, venue) = start(paused()).await;
    let mut ws = connect(&sim).await;
    subscribe(
        &mut ws,
        "sub.depth",
        json!({"symbol": BTC, "compress": false}),
    )
    .await;
    let btc = Symbol::new(BTC).unwrap();
    venue.advance(1);
    let first = version_of(&next_json(&mut ws).await.unwrap());

    venue
        .inject(MexcFuturesFault::VersionGap { symbol: btc })
        .unwrap();
    venue.advance(1);
    let after_gap = version_of(&next_json(&mut ws).await.unwrap());
    assert_eq!(after_gap, first + 2, "one version skipped");
    let commits = rest_json(
        &sim,
        &format!("{MOUNT}/api/v1/contract/depth_commits/{BTC}/5"),
        None,
    )
    .await;
    let versions: Vec<u64> = commits["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_u64().unwrap())
        .collect();
    assert!(
        versions.contains(&(first + 1)),
        "the hidden version is recoverable: {versions:?}"
    );

    venue
        .inject(MexcFuturesFault::DuplicateDepth { symbol: btc })
        .unwrap();
    venue.advance(1);
    let a = version_of(&next_json(&mut ws).await.unwrap());
    let b = version_of(&next_json(&mut ws).await.unwrap());
    assert_eq!((a, b), (after_gap + 1, after_gap + 1));

    let stale_version = venue.book(BTC).unwrap().version;
    venue
        .inject(MexcFuturesFault::StaleSnapshot {
            symbol: btc,
            count: 1,
        })
        .unwrap();
    venue.advance(3);
    let depth = format!("{MOUNT}/api/v1/contract/depth/{BTC}");
    assert_eq!(
        rest_json(&sim, &depth, None).await["data"]["version"].as_u64(),
        Some(stale_version)
    );
    assert_eq!(
        rest_json(&sim, &depth, None).await["data"]["version"].as_u64(),
        Some(stale_version + 3)
    );

    sim.set_http_fault(
        HttpFault::HttpStatus {
            status: 429,
            retry_after_secs: Some(1),
        },
        1,
    );
    let (status, _) = http(&sim, &depth, &[]).await.unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    sim.inject(Fault::CloseNoStatus);
    assert_eq!(
        read_until_close(&mut ws).await.unwrap(),
        None,
        "1005: no status"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn merged_push_on_the_per_version_stream_jumps_versions() {
    let (sim, venue) = start(paused()).await;
    let mut ws = connect(&sim).await;
    subscribe(
        &mut ws,
        "sub.depth",
        json!({"symbol": BTC, "compress": false}),
    )
    .await;
    venue.advance(1);
    let first = version_of(&next_json(&mut ws).await.unwrap());
    venue
        .inject(MexcFuturesFault::MergedDepth {
            symbol: Symbol::new(BTC).unwrap(),
        })
        .unwrap();
    venue.advance(1);
    let merged = next_json(&mut ws).await.unwrap();
    assert_eq!(version_of(&merged), first + 3, "three versions in one push");
    assert_silent(&mut ws).await;
    // Replaying depth_commits from `first` gives the same book as the merged push.
    let commits = rest_json(
        &sim,
        &format!("{MOUNT}/api/v1/contract/depth_commits/{BTC}/3"),
        None,
    )
    .await;
    let versions: Vec<u64> = commits["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [first + 3, first + 2, first + 1]);
    venue.advance(1);
    assert_eq!(
        version_of(&next_json(&mut ws).await.unwrap()),
        first + 4,
        "then contiguous again"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn automatic_trading_produces_a_lifecycle() {
    let config = MexcFuturesConfig {
        auto_trading: Some(Duration::from_millis(20)),
        ..paused()
    };
    assert!(
        !format!("{config:?}").contains(DEFAULT_API_SECRET),
        "the secret stays out of Debug"
    );
    let (sim, venue) = start(config).await;
    let mut ws = connect(&sim).await;
    login(&mut ws, true).await;
    let mut channels = Vec::new();
    while channels.len() < 12 {
        let push = next_json(&mut ws).await.unwrap();
        channels.push(push["channel"].as_str().unwrap().to_owned());
    }
    for channel in [
        "push.personal.order",
        "push.personal.order.deal",
        "push.personal.position",
        "push.personal.asset",
    ] {
        assert!(
            channels.iter().any(|c| c == channel),
            "{channel} in {channels:?}"
        );
    }
    assert!(venue.private_events().len() >= 12);
    sim.shutdown().await;
}

#[tokio::test]
async fn no_ping_closes_the_connection() {
    let config = MexcFuturesConfig {
        ping_timeout: Duration::from_millis(300),
        ..paused()
    };
    let (sim, venue) = start(config).await;
    let mut ws = connect(&sim).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    send(&mut ws, r#"{"method":"ping"}"#).await;
    assert_eq!(next_json(&mut ws).await.unwrap()["channel"], "pong");
    assert_eq!(read_until_close(&mut ws).await.unwrap(), Some(1000));
    assert_eq!(venue.stats().ping_timeouts, 1);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- private

#[tokio::test]
async fn login_checks_the_signature_and_private_pushes_follow_a_trade() {
    let (sim, venue) = start(paused()).await;
    let mut ws = connect(&sim).await;
    let req_time = now_ms().to_string();
    let bad = json!({"method":"login","param":{"apiKey":DEFAULT_API_KEY,"reqTime":req_time,"signature":"00ff"}});
    send(&mut ws, &bad.to_string()).await;
    let refused = next_json(&mut ws).await.unwrap();
    assert_eq!(refused["channel"], "rs.error");
    assert_eq!(refused["data"], "Signature verification failed!");
    // Not logged in: a trade pushes nothing here.
    let order = venue
        .place_order(BTC, OrderSide::OpenLong, price("65000.0"), 10)
        .unwrap();
    assert_silent(&mut ws).await;

    login(&mut ws, true).await;
    venue.fill(&order, 4).unwrap();
    venue.fill(&order, 6).unwrap();
    let close = venue
        .place_order(BTC, OrderSide::CloseLong, price("65100.0"), 10)
        .unwrap();
    venue.fill(&close, 10).unwrap();
    let ledger = venue.private_events();
    // The two placed-order pushes (order, asset) before login are not sent here.
    for entry in &ledger[2..] {
        let (opcode, payload) = next_frame(&mut ws).await.unwrap();
        assert_eq!(opcode, OpCode::Text);
        assert_eq!(Bytes::from(payload), entry.frame, "seq {}", entry.seq);
    }
    assert_silent(&mut ws).await;
    let channels: Vec<&str> = ledger[2..6].iter().map(|e| kind_channel(&e.push)).collect();
    assert_eq!(
        channels,
        [
            "push.personal.order.deal",
            "push.personal.order",
            "push.personal.position",
            "push.personal.asset"
        ]
    );
    let last_asset: Value = serde_json::from_slice(&ledger.last().unwrap().frame).unwrap();
    // 100000 + (65100 - 65000) × 10 × 0.0001 = 100000.1
    assert_eq!(last_asset["data"]["availableBalance"], json!(100_000.1));
    assert_eq!(venue.asset().available, Decimal::parse("100000.1").unwrap());
    sim.shutdown().await;
}

#[tokio::test]
async fn personal_filter_limits_the_pushes() {
    let (sim, venue) = start(paused()).await;
    let mut ws = connect(&sim).await;
    send(
        &mut ws,
        r#"{"method":"personal.filter","param":{"filters":[]}}"#,
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await.unwrap()["channel"],
        "rs.error",
        "needs a login"
    );
    // "subscribe": false: nothing until a filter says what.
    login(&mut ws, false).await;
    let order = venue
        .place_order(BTC, OrderSide::OpenShort, price("65000.0"), 2)
        .unwrap();
    assert_silent(&mut ws).await;
    let filter = json!({"method":"personal.filter","param":{"filters":[{"filter":"asset"},{"filter":"order","rules":["ETH_USDT"]}]}});
    send(&mut ws, &filter.to_string()).await;
    assert_eq!(
        next_json(&mut ws).await.unwrap()["channel"],
        "rs.personal.filter"
    );
    venue.fill(&order, 2).unwrap();
    let push = next_json(&mut ws).await.unwrap();
    assert_eq!(
        push["channel"], "push.personal.asset",
        "only the asset passes: {push}"
    );
    assert_silent(&mut ws).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn signed_rest_checks_and_answers_the_account() {
    let (sim, venue) = start(paused()).await;
    let order = venue
        .place_order(BTC, OrderSide::OpenLong, price("65000.0"), 10)
        .unwrap();
    venue.fill(&order, 4).unwrap();

    let assets = signed(&sim, "/api/v1/private/account/assets", "").await;
    assert_eq!(assets["success"], true);
    assert_eq!(assets["data"][0]["currency"], "USDT");
    assert_eq!(assets["data"][0]["frozenBalance"], json!(39.0));
    assert_eq!(assets["data"][0]["positionMargin"], json!(26.0));

    let orders = signed(
        &sim,
        &format!("/api/v1/private/order/list/open_orders/{BTC}"),
        "page_size=10",
    )
    .await;
    assert_eq!(orders["data"][0]["orderId"], order.as_str());
    assert_eq!(orders["data"][0]["dealVol"], 4);
    let positions = signed(
        &sim,
        "/api/v1/private/position/open_positions",
        &format!("symbol={BTC}"),
    )
    .await;
    assert_eq!(positions["data"][0]["holdVol"], 4);
    assert_eq!(positions["data"][0]["positionType"], 1);
    let deals = signed(
        &sim,
        "/api/v1/private/order/list/order_deals",
        &format!("symbol={BTC}&page_size=5"),
    )
    .await;
    assert_eq!(deals["data"].as_array().map(Vec::len), Some(1));
    let FuturesPrivate::Deal(deal) = &venue.private_events()[2].push else {
        panic!("a deal third")
    };
    assert_eq!(deals["data"][0]["id"], deal.id.to_string());

    let history = signed(
        &sim,
        "/api/v1/private/order/list/history_orders",
        &format!("symbol={BTC}&states=2"),
    )
    .await;
    assert_eq!(history["data"].as_array().map(Vec::len), Some(1));
    let later = format!("symbol={BTC}&start_time={}", now_ms() + 60_000);
    let none = signed(&sim, "/api/v1/private/order/list/order_deals", &later).await;
    assert_eq!(
        none["data"].as_array().map(Vec::len),
        Some(0),
        "start_time filters"
    );

    // Refusals: wrong signature, missing key.
    let time = now_ms().to_string();
    let path = format!("{MOUNT}/api/v1/private/account/assets");
    let wrong = rest_signature("not the secret", DEFAULT_API_KEY, &time, "");
    let (status, body) = http(
        &sim,
        &path,
        &[
            ("ApiKey", DEFAULT_API_KEY),
            ("Request-Time", &time),
            ("Signature", &wrong),
        ],
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (body["success"].clone(), body["code"].as_i64()),
        (json!(false), Some(CODE_SIGNATURE))
    );
    let (_, body) = http(&sim, &path, &[]).await.unwrap();
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"].as_i64(), Some(CODE_API_KEY_INVALID));
    // The query is signed sorted by key, whatever order it is sent in.
    let query = "symbol=BTC_USDT&page_size=5";
    let sig = rest_signature(
        DEFAULT_API_SECRET,
        DEFAULT_API_KEY,
        &time,
        "page_size=5&symbol=BTC_USDT",
    );
    let target = format!("{MOUNT}/api/v1/private/order/list/order_deals?{query}");
    let (_, body) = http(
        &sim,
        &target,
        &[
            ("ApiKey", DEFAULT_API_KEY),
            ("Request-Time", &time),
            ("Signature", &sig),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["success"],
        true,
        "{body}"
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------- helpers

struct LocalBook {
    version: u64,
    bids: BTreeMap<Decimal, u64>,
    asks: BTreeMap<Decimal, u64>,
}

impl LocalBook {
    fn from_levels(data: &Value) -> Self {
        let mut book = LocalBook {
            version: data["version"].as_u64().unwrap(),
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
        };
        book.apply_levels(data);
        book
    }

    fn apply(&mut self, data: &Value) {
        self.version = data["version"].as_u64().unwrap();
        self.apply_levels(data);
    }

    fn apply_levels(&mut self, data: &Value) {
        for (side, levels) in [("bids", &mut self.bids), ("asks", &mut self.asks)] {
            for level in data[side].as_array().unwrap() {
                let price = Decimal::parse(&level[0].to_string()).unwrap();
                let vol = level[1].as_u64().unwrap();
                if vol == 0 {
                    levels.remove(&price);
                } else {
                    levels.insert(price, vol);
                }
            }
        }
    }

    fn assert_matches(&self, truth: &BookTruth) {
        let side = |levels: &[market_types::Level]| -> Vec<(String, u64)> {
            levels
                .iter()
                .map(|l| {
                    (
                        canon(l.price.value()),
                        l.quantity.value().to_string().parse().unwrap(),
                    )
                })
                .collect()
        };
        let bids: Vec<(String, u64)> = self
            .bids
            .iter()
            .rev()
            .map(|(p, v)| (canon(*p), *v))
            .collect();
        let asks: Vec<(String, u64)> = self.asks.iter().map(|(p, v)| (canon(*p), *v)).collect();
        assert_eq!(self.version, truth.version);
        assert_eq!(bids, side(&truth.bids));
        assert_eq!(asks, side(&truth.asks));
    }
}

/// A decimal without trailing zeros, so `6866.50` and `6866.5` compare equal.
fn canon(value: Decimal) -> String {
    let text = value.to_string();
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn version_of(push: &Value) -> u64 {
    push["data"]["version"].as_u64().unwrap()
}

fn kind_channel(push: &FuturesPrivate) -> &'static str {
    push.kind().channel()
}

fn price(text: &str) -> Price {
    Price::new(Decimal::parse(text).unwrap())
}

fn paused() -> MexcFuturesConfig {
    MexcFuturesConfig {
        generator: Generator::Paused,
        ..MexcFuturesConfig::default()
    }
}

async fn start(config: MexcFuturesConfig) -> (Simulator, Arc<MexcFuturesVenue>) {
    let venue = Arc::new(MexcFuturesVenue::new(config).unwrap());
    let sim = timeout(
        WAIT,
        Simulator::start(SimConfig::default().mount(MOUNT, venue.clone())),
    )
    .await
    .unwrap()
    .unwrap();
    (sim, venue)
}

async fn login(ws: &mut Ws, defaults: bool) {
    let req_time = now_ms().to_string();
    let signature = login_signature(DEFAULT_API_SECRET, DEFAULT_API_KEY, &req_time);
    let mut request = json!({"method":"login","param":{"apiKey":DEFAULT_API_KEY,"reqTime":req_time,"signature":signature}});
    if !defaults {
        request["subscribe"] = json!(false);
    }
    send(ws, &request.to_string()).await;
    let ack = next_json(ws).await.unwrap();
    assert_eq!(
        (ack["channel"].as_str(), ack["data"].as_str()),
        (Some("rs.login"), Some("success"))
    );
}

async fn subscribe(ws: &mut Ws, method: &str, param: Value) {
    send(
        ws,
        &json!({"method": method, "param": param, "gzip": false}).to_string(),
    )
    .await;
    let ack = next_json(ws).await.unwrap();
    assert_eq!(ack["channel"], format!("rs.{method}"), "{ack}");
}

async fn signed(sim: &Simulator, path: &str, query: &str) -> Value {
    let time = now_ms().to_string();
    // The signature covers the pairs sorted by key.
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    let signature = rest_signature(DEFAULT_API_SECRET, DEFAULT_API_KEY, &time, &pairs.join("&"));
    let sep = if query.is_empty() { "" } else { "?" };
    let target = format!("{MOUNT}{path}{sep}{query}");
    let headers = [
        ("ApiKey", DEFAULT_API_KEY),
        ("Request-Time", time.as_str()),
        ("Signature", signature.as_str()),
    ];
    let (status, body) = http(sim, &target, &headers).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    serde_json::from_str(&body).unwrap()
}

async fn rest_json(sim: &Simulator, target: &str, _unused: Option<()>) -> Value {
    let (status, body) = http(sim, target, &[]).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn http(
    sim: &Simulator,
    target: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<(StatusCode, String)> {
    let io = TcpStream::connect(sim.addr()).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method("GET")
        .uri(target)
        .header("Host", format!("127.0.0.1:{}", sim.addr().port()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = timeout(
        WAIT,
        sender.send_request(request.body(Empty::<Bytes>::new())?),
    )
    .await??;
    let status = response.status();
    let body = timeout(WAIT, response.into_body().collect())
        .await??
        .to_bytes();
    Ok((status, String::from_utf8(body.to_vec())?))
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

async fn connect(sim: &Simulator) -> Ws {
    let path = format!("{MOUNT}{WS_PATH}");
    timeout(WAIT, async {
        let io = TcpStream::connect(sim.addr()).await?;
        let request = Request::builder()
            .method("GET")
            .uri(path)
            .header("Host", format!("127.0.0.1:{}", sim.addr().port()))
            .header(UPGRADE, "websocket")
            .header(CONNECTION, "upgrade")
            .header("Sec-WebSocket-Key", handshake::generate_key())
            .header("Sec-WebSocket-Version", "13")
            .body(Empty::<Bytes>::new())?;
        let (mut ws, _) = handshake::client(&SpawnExecutor, request, io).await?;
        ws.set_max_message_size(1 << 20);
        anyhow::Ok(ws)
    })
    .await
    .unwrap()
    .unwrap()
}

async fn send(ws: &mut Ws, text: &str) {
    ws.write_frame(Frame::text(Payload::Borrowed(text.as_bytes())))
        .await
        .unwrap();
}

async fn next_frame(ws: &mut Ws) -> anyhow::Result<(OpCode, Vec<u8>)> {
    let frame = timeout(WAIT, ws.read_frame()).await??;
    Ok((frame.opcode, frame.payload.to_vec()))
}

async fn next_json(ws: &mut Ws) -> anyhow::Result<Value> {
    match next_frame(ws).await? {
        (OpCode::Text, payload) => serde_json::from_slice(&payload).context("json"),
        (opcode, payload) => bail!("expected text, got {opcode:?} {payload:?}"),
    }
}

async fn read_until_close(ws: &mut Ws) -> anyhow::Result<Option<u16>> {
    for _ in 0..100_000 {
        let (opcode, payload) = next_frame(ws).await?;
        if opcode == OpCode::Close {
            return Ok(payload
                .get(..2)
                .map(|code| u16::from_be_bytes([code[0], code[1]])));
        }
    }
    bail!("no close frame")
}

async fn assert_silent(ws: &mut Ws) {
    if let Ok(read) = timeout(Duration::from_millis(150), ws.read_frame()).await {
        panic!(
            "expected silence, got {:?}",
            read.map(|f| (f.opcode, String::from_utf8_lossy(&f.payload).into_owned()))
        );
    }
}

struct SpawnExecutor;

impl<Fut> hyper::rt::Executor<Fut> for SpawnExecutor
where
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    fn execute(&self, fut: Fut) {
        tokio::spawn(fut);
    }
}

#[tokio::test]
async fn taking_the_private_events_forgets_them_and_the_closed_orders() {
    let (sim, venue) = start(paused()).await;
    let done = venue
        .place_order(BTC, OrderSide::OpenLong, price("65000.0"), 10)
        .unwrap();
    venue.fill(&done, 10).unwrap();
    let open = venue
        .place_order(BTC, OrderSide::OpenLong, price("64000.0"), 5)
        .unwrap();
    let all = venue.private_events();
    let taken = venue.take_private_events();
    assert_eq!(taken, all);
    assert!(venue.private_events().is_empty());
    let orders: Vec<String> = venue.orders().into_iter().map(|o| o.order_id).collect();
    assert_eq!(orders, vec![open.clone()], "only the open order stays");
    venue.cancel(&open).unwrap();
    let next = venue.take_private_events();
    assert_eq!(
        next.first().unwrap().seq,
        all.last().unwrap().seq + 1,
        "positions keep counting"
    );
    sim.shutdown().await;
}
