//! The Gate.io venue over real loopback sockets, driven by a raw fastwebsockets client and
//! raw hyper REST calls; the client side here is written from the spec (§3.5) on purpose.
//!
//! Every wait is bounded by `tokio::time::timeout`; nothing leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use exchange_sim::gateio::{
    BookTruth, FirstPush, GAP_SKIP, GateioFault, GateioSimConfig, GateioVenue, Market, OrderEvent,
    PrivateRecord, SizeFormat, channel_signature, login_signature, rest_signature,
};
use exchange_sim::{SimConfig, Simulator};
use fastwebsockets::{Frame, OpCode, Payload, WebSocket, handshake};
use http::header::{CONNECTION, UPGRADE};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use market_types::{Decimal, Side};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

type Ws = WebSocket<TokioIo<Upgraded>>;

/// Bound on any single expected event.
const WAIT: Duration = Duration::from_secs(5);
const SPOT: &str = "/gateio/ws/v4/";
const FUTURES: &str = "/gateio/v4/ws/usdt";
const KEY: &str = "test-key";
const SECRET: &str = "test-secret";

// ---------------------------------------------------------------- acks, errors, ping

#[tokio::test]
async fn book_subscriptions_are_acknowledged_in_the_documented_shape() {
    let (sim, venue) = start(config()).await;
    for (path, channel, payload) in [
        (SPOT, "spot.order_book_update", json!(["BTC_USDT", "100ms"])),
        (
            FUTURES,
            "futures.order_book_update",
            json!(["BTC_USDT", "100ms", "100"]),
        ),
    ] {
        let mut ws = connect(&sim, path).await.unwrap();
        let request = json!({"time": now_secs(), "id": 7_123_456_789_i64, "channel": channel,
                             "event": "subscribe", "payload": payload});
        send(&mut ws, &request).await;
        let ack = next_control(&mut ws).await.unwrap();
        let keys: HashSet<&str> = ack
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let expected: HashSet<&str> = [
            "time", "time_ms", "id", "conn_id", "trace_id", "channel", "event", "payload", "result",
        ]
        .into();
        assert_eq!(keys, expected, "{ack}");
        assert!(ack["time"].is_i64() && ack["time_ms"].is_i64());
        assert_eq!(ack["id"], json!(7_123_456_789_i64));
        assert!(ack["conn_id"].is_string() && ack["trace_id"].is_string());
        assert_eq!(ack["channel"], channel);
        assert_eq!(ack["event"], "subscribe");
        assert_eq!(ack["payload"], payload);
        assert_eq!(ack["result"], json!({"status": "success"}));
        // The first push follows the ack.
        let push = next_push(&mut ws, channel).await.unwrap();
        assert_eq!(push["event"], "update");
        assert_eq!(push["result"]["s"], "BTC_USDT");
        assert_eq!(push["result"]["l"], "100");
        assert_eq!(venue.subscribers(market_of(path), channel, "BTC_USDT"), 1);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_pairs_fail_the_whole_request_and_ping_is_answered() {
    let (sim, venue) = start(config()).await;
    let mut ws = connect(&sim, SPOT).await.unwrap();
    send(
        &mut ws,
        &json!({"time": now_secs(), "id": 1, "channel": "spot.trades",
                         "event": "subscribe", "payload": ["BTC_USDT", "NOPE_USDT"]}),
    )
    .await;
    let error = next_control(&mut ws).await.unwrap();
    assert_eq!(
        error["error"],
        json!({"code": 2, "message": "unknown currency pair NOPE_USDT"})
    );
    assert_eq!(error["result"], json!({"status": "fail"}));
    assert_eq!(error["id"], 1);
    assert_eq!(
        venue.subscribers(Market::Spot, "spot.trades", "BTC_USDT"),
        0
    );

    send(
        &mut ws,
        &json!({"time": now_secs(), "channel": "spot.ping"}),
    )
    .await;
    let pong = next_control(&mut ws).await.unwrap();
    assert_eq!(pong["channel"], "spot.pong");
    assert_eq!(pong["event"], "");
    assert!(pong["error"].is_null() && pong["result"].is_null() && pong["time"].is_i64());

    send(
        &mut ws,
        &json!({"time": now_secs(), "channel": "futures.ping"}),
    )
    .await;
    assert_eq!(next_control(&mut ws).await.unwrap()["error"]["code"], 2);

    let mut fut = connect(&sim, FUTURES).await.unwrap();
    send(
        &mut fut,
        &json!({"time": now_secs(), "channel": "futures.order_book_update",
                          "event": "subscribe", "payload": ["NOPE", "100ms", "100"]}),
    )
    .await;
    assert_eq!(
        next_control(&mut fut).await.unwrap()["error"],
        json!({"code": 2, "message": "unknown contract NOPE"})
    );
    send(
        &mut fut,
        &json!({"time": now_secs(), "channel": "futures.ping"}),
    )
    .await;
    let pong = next_control(&mut fut).await.unwrap();
    assert_eq!(pong["channel"], "futures.pong");
    assert!(pong["time_ms"].is_i64() && pong["result"].is_null());

    // An unknown path is closed with 1008.
    let mut bad = connect(&sim, "/gateio/v4/ws/btc").await.unwrap();
    let frame = timeout(WAIT, bad.read_frame()).await.unwrap().unwrap();
    assert_eq!(frame.opcode, OpCode::Close);
    assert_eq!(&frame.payload[..2], &1008_u16.to_be_bytes());
    sim.shutdown().await;
}

// ---------------------------------------------------------------- local book vs truth

#[tokio::test]
async fn spot_local_books_match_the_truth_at_100_and_20_levels() {
    let (sim, venue) = start(config()).await;
    for interval in ["100ms", "20ms"] {
        let mut client =
            BookClient::subscribe(&sim, Market::Spot, "BTC_USDT", interval, None).await;
        client.run_updates(&sim, 40).await;
        venue.pause();
        client.catch_up(&sim, &venue).await;
        client.assert_matches(&venue);
        venue.resume();
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn futures_local_books_match_the_truth_at_every_level() {
    let (sim, venue) = start(config()).await;
    for level in ["100", "50"] {
        let mut client =
            BookClient::subscribe(&sim, Market::Futures, "ETH_USDT", "100ms", Some(level)).await;
        client.run_updates(&sim, 40).await;
        venue.pause();
        client.catch_up(&sim, &venue).await;
        client.assert_matches(&venue);
        venue.resume();
    }
    let mut client =
        BookClient::subscribe(&sim, Market::Futures, "BTC_USDT", "20ms", Some("20")).await;
    client.run_updates(&sim, 40).await;
    venue.pause();
    client.catch_up(&sim, &venue).await;
    client.assert_matches(&venue);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_spec_client_survives_every_fault_and_matches_the_truth() {
    let (sim, venue) = start(config()).await;
    for (market, level) in [(Market::Spot, None), (Market::Futures, Some("50"))] {
        let symbol = "BTC_USDT";
        let mut client = BookClient::subscribe(&sim, market, symbol, "100ms", level).await;
        client.run_updates(&sim, 10).await;
        let faults = [
            GateioFault::Duplicate {
                market,
                symbol: symbol.into(),
            },
            GateioFault::FullPush {
                market,
                symbol: symbol.into(),
            },
            GateioFault::StaleSnapshot {
                market,
                symbol: symbol.into(),
                count: 1,
            },
            GateioFault::SequenceGap {
                market,
                symbol: symbol.into(),
            },
            GateioFault::OutOfOrder {
                market,
                symbol: symbol.into(),
            },
            GateioFault::CrossedUpdate {
                market,
                symbol: symbol.into(),
            },
        ];
        for fault in faults {
            venue.inject(fault).unwrap();
            client.run_updates(&sim, 10).await;
        }
        venue.pause();
        client.catch_up(&sim, &venue).await;
        client.assert_matches(&venue);
        // Gap, out-of-order and crossed each forced a resync; the stale snapshot a refetch.
        assert!(client.resyncs >= 3, "resyncs {}", client.resyncs);
        assert!(client.stale_snapshots >= 1);
        assert!(client.duplicates >= 1 && client.full_pushes >= 1);
        venue.resume();
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn book_subscriptions_can_start_with_a_full_push() {
    let (sim, venue) = start(GateioSimConfig {
        first_push: FirstPush::Full,
        ..config()
    })
    .await;
    venue.pause();
    let mut ws = connect(&sim, FUTURES).await.unwrap();
    let channel = "futures.order_book_update";
    subscribe(&mut ws, channel, json!(["BTC_USDT", "100ms", "20"])).await;
    let full = next_push(&mut ws, channel).await.unwrap()["result"].clone();
    let truth = venue.book(Market::Futures, "BTC_USDT").unwrap().top(20);
    assert_eq!(full["full"], true);
    assert_eq!(
        (&full["U"], &full["u"]),
        (&json!(truth.update_id), &json!(truth.update_id))
    );
    assert_eq!(parse_levels(Market::Futures, &full["b"]), truth.bids);
    assert_eq!(parse_levels(Market::Futures, &full["a"]), truth.asks);
    venue.advance(1);
    let next = next_push(&mut ws, channel).await.unwrap()["result"].clone();
    assert_eq!(next["U"], truth.update_id + 1);
    assert!(next.get("full").is_none());
    sim.shutdown().await;
}

// ---------------------------------------------------------------- each fault on the wire

#[tokio::test]
async fn each_fault_is_visible_on_the_wire() {
    let (sim, venue) = start(config()).await;
    venue.pause();
    let market = Market::Spot;
    let symbol = || "ETH_USDT".to_owned();
    let mut ws = connect(&sim, SPOT).await.unwrap();
    subscribe(
        &mut ws,
        "spot.order_book_update",
        json!(["ETH_USDT", "20ms"]),
    )
    .await;
    let book = |venue: &GateioVenue| venue.book(market, "ETH_USDT").unwrap();

    // Sequence gap: U jumps GAP_SKIP ids past the previous u.
    let before = book(&venue).update_id;
    venue
        .inject(GateioFault::SequenceGap {
            market,
            symbol: symbol(),
        })
        .unwrap();
    venue.advance(1);
    let gap = next_book(&mut ws).await;
    assert_eq!(gap["U"], before + 1 + GAP_SKIP);
    assert_eq!(gap["u"], book(&venue).update_id);

    // Duplicate: the last update again, byte for byte, then the next one.
    venue.advance(1);
    let first = next_push_raw(&mut ws).await.unwrap();
    venue
        .inject(GateioFault::Duplicate {
            market,
            symbol: symbol(),
        })
        .unwrap();
    venue.advance(1);
    assert_eq!(next_push_raw(&mut ws).await.unwrap(), first);
    let after = next_book(&mut ws).await;
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(after["U"], first["result"]["u"].as_u64().unwrap() + 1);

    // Out of order: two updates, the second first.
    let before = book(&venue).update_id;
    venue
        .inject(GateioFault::OutOfOrder {
            market,
            symbol: symbol(),
        })
        .unwrap();
    venue.advance(1);
    let (x, y) = (next_book(&mut ws).await, next_book(&mut ws).await);
    assert_eq!(y["U"], before + 1);
    assert_eq!(x["U"], y["u"].as_u64().unwrap() + 1);
    assert_eq!(x["u"], book(&venue).update_id);

    // Full push: "full": true and the whole view of the stream's level.
    venue
        .inject(GateioFault::FullPush {
            market,
            symbol: symbol(),
        })
        .unwrap();
    venue.advance(1);
    let full = next_book(&mut ws).await;
    assert_eq!(full["full"], true);
    let truth = book(&venue).top(20);
    assert_eq!(full["u"], truth.update_id);
    assert_eq!(parse_levels(market, &full["b"]), truth.bids);
    assert_eq!(parse_levels(market, &full["a"]), truth.asks);

    // Crossed: U = u = previous u + 1, a bid at the best ask; the truth keeps its levels.
    let before = book(&venue);
    venue
        .inject(GateioFault::CrossedUpdate {
            market,
            symbol: symbol(),
        })
        .unwrap();
    venue.advance(1);
    let crossed = next_book(&mut ws).await;
    assert_eq!(crossed["U"], before.update_id + 1);
    assert_eq!(crossed["u"], before.update_id + 1);
    let bogus = parse_levels(market, &crossed["b"]);
    assert_eq!(bogus.len(), 1);
    assert_eq!(bogus[0].0, before.asks[0].0);
    assert_eq!(crossed["a"], json!([]));
    let after = book(&venue);
    assert_eq!(after.update_id, before.update_id + 1);
    assert_eq!((after.bids, after.asks), (before.bids, before.asks));
    assert!(!book(&venue).is_crossed());

    // Stale snapshot: older than the subscription's first update; the next one is fresh.
    let mut fresh = connect(&sim, SPOT).await.unwrap();
    subscribe(
        &mut fresh,
        "spot.order_book_update",
        json!(["ETH_USDT", "100ms"]),
    )
    .await;
    venue.advance(1);
    let first_buffered = next_push(&mut fresh, "spot.order_book_update")
        .await
        .unwrap();
    let first_u = first_buffered["result"]["U"].as_u64().unwrap();
    venue
        .inject(GateioFault::StaleSnapshot {
            market,
            symbol: symbol(),
            count: 1,
        })
        .unwrap();
    let stale = rest_book(&sim, market, "ETH_USDT", 100).await.unwrap();
    assert!(
        first_u > stale["id"].as_u64().unwrap() + 1,
        "{first_u} vs {}",
        stale["id"]
    );
    let current = rest_book(&sim, market, "ETH_USDT", 100).await.unwrap();
    assert_eq!(current["id"], book(&venue).update_id);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- public side channels

#[tokio::test]
async fn trades_book_ticker_and_tickers_have_the_fixture_shapes() {
    let (sim, _venue) = start(config()).await;
    let mut spot = connect(&sim, SPOT).await.unwrap();
    let mut fut = connect(&sim, FUTURES).await.unwrap();
    for channel in ["spot.trades", "spot.book_ticker", "spot.tickers"] {
        subscribe(&mut spot, channel, json!(["BTC_USDT"])).await;
    }
    for channel in ["futures.trades", "futures.book_ticker", "futures.tickers"] {
        subscribe(&mut fut, channel, json!(["BTC_USDT"])).await;
    }
    let trade = next_push(&mut spot, "spot.trades").await.unwrap()["result"].clone();
    assert!(trade["id"].is_u64() && trade["id_market"].is_u64() && trade["create_time"].is_i64());
    assert!(trade["create_time_ms"].as_str().unwrap().contains('.'));
    assert!(["buy", "sell"].contains(&trade["side"].as_str().unwrap()));
    assert_eq!(trade["currency_pair"], "BTC_USDT");
    for field in ["amount", "price", "range"] {
        assert!(trade[field].is_string(), "{field}");
    }
    let ticker = next_push(&mut spot, "spot.book_ticker").await.unwrap()["result"].clone();
    assert!(ticker["t"].is_i64() && ticker["u"].is_u64());
    for field in ["b", "B", "a", "A"] {
        assert!(ticker[field].is_string(), "{field}");
    }
    let tickers = next_push(&mut spot, "spot.tickers").await.unwrap()["result"].clone();
    assert_eq!(tickers["currency_pair"], "BTC_USDT");
    assert!(tickers["last"].is_string() && tickers["high_24h"].is_string());

    let trades = next_push(&mut fut, "futures.trades").await.unwrap()["result"].clone();
    let trade = &trades[0];
    assert!(trade["size"].is_i64() && trade["id"].is_u64());
    assert!(trade["create_time_ms"].is_i64() && trade["price"].is_string());
    assert_eq!(trade["contract"], "BTC_USDT");
    let ticker = next_push(&mut fut, "futures.book_ticker").await.unwrap()["result"].clone();
    assert!(ticker["B"].is_i64() && ticker["A"].is_i64() && ticker["b"].is_string());
    let tickers = next_push(&mut fut, "futures.tickers").await.unwrap()["result"].clone();
    assert_eq!(tickers[0]["contract"], "BTC_USDT");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- authentication

#[tokio::test]
async fn signatures_follow_the_spec_vectors() {
    assert_eq!(
        channel_signature("YOUR_API_SECRET", "spot.orders", "subscribe", 1_611_541_000),
        "4cec593ad7b7ea6592e2be81f3646a727f5a9ca3a1b90bef3bf9242f62f10e8a\
         b0e3967ba96d1df4ece3a656a77d92b0fb4351321fd3564a125f4652a22deed1"
    );
    assert_eq!(
        login_signature("YOUR_API_SECRET", "spot.login", "", "1681984544"),
        "e6870747f5675b65ba82950f1772c382348fb9d7d532ebfcbb0ef541ed6db8a5\
         20c1910a92feedad6f28f0c9d2d2e4cddc7125f81c99f488c8734d2407da4552"
    );
}

#[tokio::test]
async fn private_subscriptions_check_key_signature_and_time() {
    let (sim, venue) = start(config()).await;
    let mut ws = connect(&sim, SPOT).await.unwrap();
    let time = now_secs();
    let good = channel_signature(SECRET, "spot.orders", "subscribe", time);
    let cases = [
        ("wrong-key", good.clone(), time),
        (
            KEY,
            channel_signature("wrong", "spot.orders", "subscribe", time),
            time,
        ),
        (
            KEY,
            channel_signature(SECRET, "spot.orders", "subscribe", time - 120),
            time - 120,
        ),
    ];
    for (key, sign, time) in cases {
        send(
            &mut ws,
            &private_request("spot.orders", json!(["BTC_USDT"]), key, &sign, time),
        )
        .await;
        let reply = next_control(&mut ws).await.unwrap();
        assert_eq!(reply["error"]["code"], 4, "{reply}");
        assert_eq!(reply["result"]["status"], "fail");
    }
    assert_eq!(venue.subscribers(Market::Spot, "spot.orders", ""), 0);
    send(
        &mut ws,
        &json!({"time": time, "channel": "spot.orders", "event": "subscribe",
                         "payload": ["BTC_USDT"]}),
    )
    .await;
    assert_eq!(next_control(&mut ws).await.unwrap()["error"]["code"], 4);
    send(
        &mut ws,
        &private_request("spot.orders", json!(["BTC_USDT"]), KEY, &good, time),
    )
    .await;
    let ack = next_control(&mut ws).await.unwrap();
    assert_eq!(ack["result"]["status"], "success", "{ack}");
    assert!(ack.get("error").is_none());
    assert_eq!(venue.subscribers(Market::Spot, "spot.orders", ""), 1);

    // Login, in the WebSocket API shape.
    let ts = now_secs().to_string();
    for (signature, status) in [
        (login_signature(SECRET, "spot.login", "", &ts), "200"),
        ("bad".to_owned(), "401"),
    ] {
        send(
            &mut ws,
            &json!({"time": now_secs(), "channel": "spot.login", "event": "api",
            "payload": {"api_key": KEY, "signature": signature, "timestamp": ts, "req_id": "r-1"}}),
        )
        .await;
        let reply = next_control(&mut ws).await.unwrap();
        assert_eq!(reply["request_id"], "r-1");
        assert_eq!(reply["header"]["status"], status);
        assert_eq!(reply["header"]["channel"], "spot.login");
        if status == "200" {
            assert_eq!(
                reply["data"]["result"],
                json!({"api_key": KEY, "uid": "10001"})
            );
        } else {
            assert_eq!(reply["data"]["errs"]["label"], "INVALID_SIGNATURE");
        }
    }
    sim.shutdown().await;
}

// ---------------------------------------------------------------- private lifecycle

#[tokio::test]
async fn spot_order_lifecycle_arrives_once_per_connection_and_matches_the_ledger() {
    let (sim, venue) = start(config()).await;
    venue.pause();
    let mut all = connect(&sim, SPOT).await.unwrap();
    for (channel, payload) in [
        ("spot.orders", json!(["!all"])),
        ("spot.usertrades", json!(["BTC_USDT"])),
        ("spot.balances", json!([])),
    ] {
        subscribe_private(&mut all, channel, payload).await;
    }
    let mut orders_only = connect(&sim, SPOT).await.unwrap();
    subscribe_private(&mut orders_only, "spot.orders", json!(["BTC_USDT"])).await;

    let id = venue
        .place_order(Market::Spot, "BTC_USDT", Side::Buy, dec("100.5"), dec("2"))
        .unwrap();
    let first = venue.fill(id, dec("0.5")).unwrap();
    let second = venue.fill(id, dec("1.5")).unwrap();
    assert_ne!(first, second);
    let other = venue
        .place_order(Market::Spot, "ETH_USDT", Side::Sell, dec("3000"), dec("1"))
        .unwrap();
    venue.cancel(other).unwrap();

    let ledger = venue.private_events();
    // put+lock, 2 × (update/finish, trade, 2 balances), cancel+unlock, put+lock.
    assert_eq!(ledger.len(), 2 + 8 + 2 + 2);
    let expected: Vec<&PrivateRecord> = ledger
        .iter()
        .filter(|r| r.channel() != "spot.usertrades" || r.symbol() == Some("BTC_USDT"))
        .collect();
    let pushes = collect_private(&mut all, expected.len()).await;
    for (push, record) in pushes.iter().zip(&expected) {
        assert_eq!(push["channel"], record.channel());
        check_record(&push["result"][0], record);
    }
    assert_silent(&mut all).await;

    let orders: Vec<Value> = collect_private(&mut orders_only, 3).await;
    let ids: Vec<&str> = orders
        .iter()
        .map(|p| p["result"][0]["event"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["put", "update", "finish"], "only BTC_USDT orders");
    assert_silent(&mut orders_only).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn futures_order_lifecycle_moves_the_position() {
    let (sim, venue) = start(config()).await;
    let mut ws = connect(&sim, FUTURES).await.unwrap();
    for (channel, payload) in [
        ("futures.orders", json!(["10001", "!all"])),
        ("futures.usertrades", json!(["10001", "BTC_USDT"])),
        ("futures.positions", json!(["10001", "BTC_USDT"])),
        ("futures.balances", json!(["10001"])),
    ] {
        subscribe_private(&mut ws, channel, payload).await;
    }
    let id = venue
        .place_order(
            Market::Futures,
            "BTC_USDT",
            Side::Sell,
            dec("20000.5"),
            dec("10"),
        )
        .unwrap();
    venue.fill(id, dec("4")).unwrap();
    venue.fill(id, dec("6")).unwrap();
    let ledger = venue.private_events();
    assert_eq!(ledger.len(), 1 + 2 * 4);
    let pushes = collect_private(&mut ws, ledger.len()).await;
    for (push, record) in pushes.iter().zip(&ledger) {
        assert_eq!(push["channel"], record.channel());
        check_record(&push["result"][0], record);
    }
    let positions: Vec<i64> = pushes
        .iter()
        .filter(|p| p["channel"] == "futures.positions")
        .map(|p| p["result"][0]["size"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [-4, -10]);
    let last_order = pushes
        .iter()
        .rev()
        .find(|p| p["channel"] == "futures.orders")
        .unwrap();
    assert_eq!(last_order["result"][0]["status"], "finished");
    assert_eq!(last_order["result"][0]["finish_as"], "filled");
    assert_eq!(last_order["result"][0]["size"], -10);
    assert_eq!(last_order["result"][0]["left"], 0);
    assert_silent(&mut ws).await;
    sim.shutdown().await;
}

// ---------------------------------------------------------------- REST

#[tokio::test]
async fn private_rest_reflects_state_and_rejects_bad_signatures() {
    let (sim, venue) = start(config()).await;
    // Nothing is subscribed: a client that was away reconciles from REST alone.
    let spot = venue
        .place_order(Market::Spot, "BTC_USDT", Side::Buy, dec("10"), dec("3"))
        .unwrap();
    venue.fill(spot, dec("1")).unwrap();
    let fut = venue
        .place_order(
            Market::Futures,
            "ETH_USDT",
            Side::Buy,
            dec("1500"),
            dec("7"),
        )
        .unwrap();
    venue.fill(fut, dec("2")).unwrap();

    let open = signed_get(&sim, "/api/v4/spot/open_orders", "", KEY, SECRET)
        .await
        .unwrap();
    assert_eq!(open.0, StatusCode::OK);
    assert_eq!(open.1[0]["currency_pair"], "BTC_USDT");
    assert_eq!(open.1[0]["total"], 1);
    let order = &open.1[0]["orders"][0];
    assert_eq!(order["id"], spot.to_string());
    assert_eq!(
        (order["left"].as_str(), order["filled_amount"].as_str()),
        (Some("2"), Some("1"))
    );

    let accounts = signed_get(&sim, "/api/v4/spot/accounts", "currency=USDT", KEY, SECRET)
        .await
        .unwrap();
    let usdt = venue.spot_balance("USDT").unwrap();
    assert_eq!(
        accounts.1,
        json!([{"currency": "USDT", "available": usdt.available.to_string(),
                                   "locked": "20", "update_id": 1}])
    );

    let orders = signed_get(
        &sim,
        "/api/v4/futures/usdt/orders",
        "status=open&contract=ETH_USDT",
        KEY,
        SECRET,
    )
    .await
    .unwrap();
    assert_eq!(orders.1[0]["id"], fut.0);
    assert_eq!(
        (orders.1[0]["size"].as_i64(), orders.1[0]["left"].as_i64()),
        (Some(7), Some(5))
    );
    let positions = signed_get(&sim, "/api/v4/futures/usdt/positions", "", KEY, SECRET)
        .await
        .unwrap();
    let eth = positions
        .1
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["contract"] == "ETH_USDT")
        .unwrap();
    assert_eq!(eth["size"], 2);
    let account = signed_get(&sim, "/api/v4/futures/usdt/accounts", "", KEY, SECRET)
        .await
        .unwrap();
    assert_eq!(account.1["total"], venue.futures_balance().to_string());

    let bad_sign = signed_get(&sim, "/api/v4/spot/accounts", "", KEY, "wrong")
        .await
        .unwrap();
    assert_eq!(bad_sign.0, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_sign.1["label"], "INVALID_SIGNATURE");
    let bad_key = signed_get(&sim, "/api/v4/futures/usdt/positions", "", "nope", SECRET)
        .await
        .unwrap();
    assert_eq!(bad_key.0, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_key.1["label"], "INVALID_KEY");
    sim.shutdown().await;
}

#[tokio::test]
async fn spot_open_orders_are_paged_per_pair() {
    let (sim, venue) = start(config()).await;
    for _ in 0..105 {
        venue
            .place_order(Market::Spot, "BTC_USDT", Side::Buy, dec("1"), dec("0.01"))
            .unwrap();
    }
    venue
        .place_order(Market::Spot, "ETH_USDT", Side::Buy, dec("1"), dec("0.01"))
        .unwrap();
    let page =
        |query: &'static str| signed_get(&sim, "/api/v4/spot/open_orders", query, KEY, SECRET);
    let first = page("limit=100").await.unwrap().1;
    let sizes = |body: &Value| -> Vec<(String, usize)> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let orders = g["orders"].as_array().unwrap().len();
                assert_eq!(g["total"], orders);
                (g["currency_pair"].as_str().unwrap().to_owned(), orders)
            })
            .collect()
    };
    assert_eq!(
        sizes(&first),
        [("BTC_USDT".to_owned(), 100), ("ETH_USDT".to_owned(), 1)]
    );
    let second = page("limit=100&page=2").await.unwrap().1;
    assert_eq!(sizes(&second), [("BTC_USDT".to_owned(), 5)]);
    let third = page("limit=100&page=3").await.unwrap().1;
    assert_eq!(third, json!([]));
    let refused = page("limit=101").await.unwrap();
    assert_eq!(refused.0, StatusCode::BAD_REQUEST);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_venue_clock_ahead_refuses_host_time_and_tells_its_own() {
    let (sim, venue) = start(config()).await;
    venue.set_clock_offset_ms(90_000);
    let (status, time) = http_get(&sim, "/gateio/api/v4/spot/time", &[])
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let venue_ms = time["server_time"].as_i64().unwrap();
    assert!((venue_ms / 1000 - now_secs() - 90).abs() <= 2, "{time}");
    // Signed with the host clock: 90 s behind the venue, outside its 60 s.
    let expired = signed_get(&sim, "/api/v4/spot/accounts", "", KEY, SECRET)
        .await
        .unwrap();
    assert_eq!(expired.0, StatusCode::FORBIDDEN);
    assert_eq!(expired.1["label"], "REQUEST_EXPIRED");
    // Signed with the venue's time: accepted.
    let timestamp = (venue_ms / 1000).to_string();
    let sign = rest_signature(SECRET, "GET", "/api/v4/spot/accounts", "", b"", &timestamp);
    let accepted = http_get(
        &sim,
        "/gateio/api/v4/spot/accounts",
        &[("KEY", KEY), ("Timestamp", &timestamp), ("SIGN", &sign)],
    )
    .await
    .unwrap();
    assert_eq!(accepted.0, StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn trade_history_and_order_queries_match_the_pushes() {
    let (sim, venue) = start(config()).await;
    venue.pause();
    let mut spot_ws = connect(&sim, SPOT).await.unwrap();
    subscribe_private(&mut spot_ws, "spot.usertrades", json!(["!all"])).await;
    let mut futures_ws = connect(&sim, FUTURES).await.unwrap();
    subscribe_private(
        &mut futures_ws,
        "futures.usertrades",
        json!(["10001", "!all"]),
    )
    .await;

    // Spot: A fills twice and finishes, B is cancelled after a fill, C stays open.
    let a = venue
        .place_order(Market::Spot, "BTC_USDT", Side::Buy, dec("100"), dec("2"))
        .unwrap();
    venue.fill(a, dec("0.5")).unwrap();
    venue.fill(a, dec("1.5")).unwrap();
    let b = venue
        .place_order(Market::Spot, "ETH_USDT", Side::Sell, dec("50"), dec("3"))
        .unwrap();
    venue.fill(b, dec("1")).unwrap();
    venue.cancel(b).unwrap();
    let c = venue
        .place_order(Market::Spot, "BTC_USDT", Side::Sell, dec("120"), dec("1"))
        .unwrap();
    // Futures: long 6, then a sell of 10 closes 6 and opens 4 short.
    let long = venue
        .place_order(Market::Futures, "BTC_USDT", Side::Buy, dec("100"), dec("6"))
        .unwrap();
    venue.fill(long, dec("6")).unwrap();
    let short = venue
        .place_order(
            Market::Futures,
            "BTC_USDT",
            Side::Sell,
            dec("110"),
            dec("10"),
        )
        .unwrap();
    venue.fill(short, dec("10")).unwrap();

    // my_trades: newest first, the pushes' ids, times and fields.
    let pushed = collect_private(&mut spot_ws, 3).await;
    let (status, trades) = signed_get(&sim, "/api/v4/spot/my_trades", "limit=1000", KEY, SECRET)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let trades = trades.as_array().unwrap().clone();
    assert_eq!(trades.len(), 3);
    for (rest, push) in trades.iter().zip(pushed.iter().rev()) {
        let push = &push["result"][0];
        assert_eq!(rest["id"], push["id"].to_string(), "id as a string");
        for field in [
            "create_time_ms",
            "currency_pair",
            "side",
            "role",
            "amount",
            "price",
            "order_id",
            "fee",
            "fee_currency",
            "point_fee",
            "gt_fee",
            "text",
        ] {
            assert_eq!(rest[field], push[field], "{field}");
        }
        assert_eq!(rest["create_time"], push["create_time"].to_string());
        let keys: Vec<&String> = rest.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 14, "{keys:?}");
    }
    assert_eq!(trades[2]["order_id"], a.to_string());
    assert_eq!(trades[2]["amount"], "0.5");
    // Filters: pair, order, time window and pages.
    let eth = signed_get(
        &sim,
        "/api/v4/spot/my_trades",
        "currency_pair=ETH_USDT",
        KEY,
        SECRET,
    )
    .await
    .unwrap()
    .1;
    assert_eq!(eth.as_array().map(Vec::len), Some(1));
    assert_eq!(eth[0]["order_id"], b.to_string());
    let of_a = signed_get(
        &sim,
        "/api/v4/spot/my_trades",
        &format!("order_id={a}"),
        KEY,
        SECRET,
    )
    .await
    .unwrap()
    .1;
    assert_eq!(of_a.as_array().map(Vec::len), Some(2));
    let now = now_secs();
    let window = |from: i64, to: i64| format!("from={from}&to={to}");
    let inside = signed_get(
        &sim,
        "/api/v4/spot/my_trades",
        &window(now - 60, now + 60),
        KEY,
        SECRET,
    )
    .await
    .unwrap()
    .1;
    assert_eq!(inside.as_array().map(Vec::len), Some(3));
    let later = signed_get(
        &sim,
        "/api/v4/spot/my_trades",
        &window(now + 60, now + 120),
        KEY,
        SECRET,
    )
    .await
    .unwrap()
    .1;
    assert_eq!(later, json!([]));
    let page2 = signed_get(
        &sim,
        "/api/v4/spot/my_trades",
        "limit=2&page=2",
        KEY,
        SECRET,
    )
    .await
    .unwrap()
    .1;
    assert_eq!(page2.as_array().map(Vec::len), Some(1));
    assert_eq!(page2[0]["id"], trades[2]["id"]);
    let too_many = signed_get(&sim, "/api/v4/spot/my_trades", "limit=1001", KEY, SECRET)
        .await
        .unwrap();
    assert_eq!(too_many.0, StatusCode::BAD_REQUEST);

    // One order by id, open or not.
    let one = |id: String, query: &'static str| {
        let sim = &sim;
        async move {
            signed_get(
                sim,
                &format!("/api/v4/spot/orders/{id}"),
                query,
                KEY,
                SECRET,
            )
            .await
            .unwrap()
        }
    };
    let (status, order) = one(a.to_string(), "currency_pair=BTC_USDT").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            &order["status"],
            &order["finish_as"],
            &order["left"],
            &order["filled_amount"]
        ),
        (&json!("closed"), &json!("filled"), &json!("0"), &json!("2"))
    );
    let (_, order) = one(b.to_string(), "currency_pair=ETH_USDT").await;
    assert_eq!(
        (&order["status"], &order["finish_as"], &order["left"]),
        (&json!("cancelled"), &json!("cancelled"), &json!("2"))
    );
    let truth = venue.order(b).unwrap();
    assert_eq!(order["update_time_ms"], truth.update_time_ms);
    let (_, by_text) = one(truth.text.clone(), "").await;
    assert_eq!(
        by_text["id"],
        b.to_string(),
        "by text; no pair needed once finished"
    );
    let (status, order) = one(c.to_string(), "currency_pair=BTC_USDT").await;
    assert_eq!((status, &order["status"]), (StatusCode::OK, &json!("open")));
    let (status, refused) = one(c.to_string(), "").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an open order needs its pair"
    );
    assert_eq!(refused["label"], "MISSING_REQUIRED_PARAM");
    for (id, query) in [
        (c.to_string(), "currency_pair=ETH_USDT"),
        ("1".to_owned(), "currency_pair=BTC_USDT"),
        (long.to_string(), "currency_pair=BTC_USDT"),
    ] {
        let (status, refused) = one(id, query).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(refused["label"], "ORDER_NOT_FOUND");
    }

    // Finished orders: a flat list, newest first, by finish time.
    let (status, finished) = signed_get(
        &sim,
        "/api/v4/spot/orders",
        &format!("status=finished&{}", window(now - 60, now + 60)),
        KEY,
        SECRET,
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = finished
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b.to_string(), a.to_string()]);
    let open = signed_get(&sim, "/api/v4/spot/orders", "status=open", KEY, SECRET)
        .await
        .unwrap();
    assert_eq!(open.0, StatusCode::BAD_REQUEST, "open needs a pair");
    let open = signed_get(
        &sim,
        "/api/v4/spot/orders",
        "status=open&currency_pair=BTC_USDT",
        KEY,
        SECRET,
    )
    .await
    .unwrap()
    .1;
    assert_eq!(open[0]["id"], c.to_string());

    // Futures: `trade_id`, float seconds, signed size and the closed part.
    let pushed = collect_private(&mut futures_ws, 2).await;
    let (status, trades) = signed_get(
        &sim,
        "/api/v4/futures/usdt/my_trades_timerange",
        &format!("contract=BTC_USDT&{}", window(now - 60, now + 60)),
        KEY,
        SECRET,
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    let trades = trades.as_array().unwrap().clone();
    assert_eq!(trades.len(), 2);
    let keys: BTreeMap<&String, ()> = trades[0]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (k, ()))
        .collect();
    assert_eq!(
        keys.into_keys().collect::<Vec<_>>(),
        [
            "close_size",
            "contract",
            "create_time",
            "fee",
            "order_id",
            "point_fee",
            "price",
            "role",
            "size",
            "text",
            "trade_id"
        ]
    );
    for (rest, push) in trades.iter().zip(pushed.iter().rev()) {
        let push = &push["result"][0];
        assert_eq!(rest["trade_id"], push["id"]);
        assert_eq!(rest["order_id"], push["order_id"]);
        assert_eq!(rest["size"], push["size"]);
        let ms = (rest["create_time"].as_f64().unwrap() * 1000.0).round();
        assert_eq!(ms, push["create_time_ms"].as_f64().unwrap());
    }
    assert_eq!(
        (&trades[0]["size"], &trades[0]["close_size"]),
        (&json!(-10), &json!(-6))
    );
    assert_eq!(
        (&trades[1]["size"], &trades[1]["close_size"]),
        (&json!(6), &json!(0))
    );
    assert_eq!(trades[0]["fee"], "0.22");
    let offset = signed_get(
        &sim,
        "/api/v4/futures/usdt/my_trades_timerange",
        "limit=1&offset=1",
        KEY,
        SECRET,
    )
    .await
    .unwrap()
    .1;
    assert_eq!(offset[0]["trade_id"], trades[1]["trade_id"]);
    let (status, order) = signed_get(
        &sim,
        &format!("/api/v4/futures/usdt/orders/{short}"),
        "",
        KEY,
        SECRET,
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            &order["status"],
            &order["finish_as"],
            &order["size"],
            &order["left"]
        ),
        (&json!("finished"), &json!("filled"), &json!(-10), &json!(0))
    );
    let finished = signed_get(
        &sim,
        "/api/v4/futures/usdt/orders",
        "status=finished&limit=1",
        KEY,
        SECRET,
    )
    .await
    .unwrap()
    .1;
    assert_eq!(finished.as_array().map(Vec::len), Some(1));
    assert_eq!(finished[0]["id"], short.0, "newest first");
    let spot_id = signed_get(
        &sim,
        &format!("/api/v4/futures/usdt/orders/{a}"),
        "",
        KEY,
        SECRET,
    )
    .await
    .unwrap();
    assert_eq!(spot_id.0, StatusCode::NOT_FOUND);
    let unsigned = http_get(&sim, "/gateio/api/v4/spot/my_trades", &[])
        .await
        .unwrap();
    assert_eq!(unsigned.0, StatusCode::UNAUTHORIZED);
    sim.shutdown().await;
}

#[tokio::test]
async fn decimal_futures_sizes_are_strings_everywhere() {
    let (sim, venue) = start(GateioSimConfig {
        futures_sizes: SizeFormat::DecimalString,
        ..config()
    })
    .await;
    let snapshot = rest_book(&sim, Market::Futures, "BTC_USDT", 5)
        .await
        .unwrap();
    assert!(snapshot["asks"][0]["s"].is_string());
    let mut client =
        BookClient::subscribe(&sim, Market::Futures, "BTC_USDT", "100ms", Some("100")).await;
    client.run_updates(&sim, 30).await;
    venue.pause();
    client.catch_up(&sim, &venue).await;
    client.assert_matches(&venue);
    assert!(client.size_strings > 0 && client.size_integers == 0);

    let mut ws = connect(&sim, FUTURES).await.unwrap();
    subscribe_private(&mut ws, "futures.usertrades", json!(["10001", "!all"])).await;
    let id = venue
        .place_order(
            Market::Futures,
            "BTC_USDT",
            Side::Buy,
            dec("100"),
            dec("1.5"),
        )
        .unwrap();
    venue.fill(id, dec("0.5")).unwrap();
    let trade = next_push(&mut ws, "futures.usertrades").await.unwrap();
    assert_eq!(trade["result"][0]["size"], "0.5");
    assert!(
        venue
            .place_order(
                Market::Futures,
                "BTC_USDT",
                Side::Buy,
                dec("100"),
                dec("1.25")
            )
            .is_err()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn automatic_trading_places_and_fills_orders_by_itself() {
    let (sim, venue) = start(GateioSimConfig {
        auto_trading: Some(Duration::from_millis(5)),
        ..config()
    })
    .await;
    let mut ws = connect(&sim, SPOT).await.unwrap();
    subscribe_private(&mut ws, "spot.usertrades", json!(["!all"])).await;
    let trade = next_push(&mut ws, "spot.usertrades").await.unwrap();
    assert!(trade["result"][0]["id"].is_u64());
    let ledger = venue.private_events();
    assert!(
        ledger
            .iter()
            .any(|r| matches!(r, PrivateRecord::Trade { .. }))
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------- the spec client

/// A local book kept by the rules of spec §3.5: snapshot with `limit` = level, skip
/// `u < id + 1`, resync on `U > id + 1` (or a crossed book), `full` replaces.
struct BookClient {
    ws: Ws,
    market: Market,
    symbol: String,
    level: usize,
    synced: bool,
    id: u64,
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    buffer: Vec<Value>,
    resyncs: usize,
    stale_snapshots: usize,
    duplicates: usize,
    full_pushes: usize,
    size_strings: usize,
    size_integers: usize,
}

impl BookClient {
    async fn subscribe(
        sim: &Simulator,
        market: Market,
        symbol: &str,
        interval: &str,
        level: Option<&str>,
    ) -> Self {
        let (path, channel) = match market {
            Market::Spot => (SPOT, "spot.order_book_update"),
            Market::Futures => (FUTURES, "futures.order_book_update"),
        };
        let mut ws = connect(sim, path).await.unwrap();
        let mut payload = vec![json!(symbol), json!(interval)];
        payload.extend(level.map(|l| json!(l)));
        subscribe(&mut ws, channel, Value::Array(payload)).await;
        let level = match (level, interval) {
            (Some(level), _) => level.parse().unwrap(),
            (None, "20ms") => 20,
            (None, _) => 100,
        };
        let mut client = Self {
            ws,
            market,
            symbol: symbol.to_owned(),
            level,
            synced: false,
            id: 0,
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            buffer: Vec::new(),
            resyncs: 0,
            stale_snapshots: 0,
            duplicates: 0,
            full_pushes: 0,
            size_strings: 0,
            size_integers: 0,
        };
        client.resync(sim).await;
        client
    }

    /// Reads and handles `count` book pushes.
    async fn run_updates(&mut self, sim: &Simulator, count: usize) {
        for _ in 0..count {
            let update = self.next_update().await;
            self.handle(sim, update).await;
        }
    }

    /// Reads until the local id reaches the (paused) truth's.
    async fn catch_up(&mut self, sim: &Simulator, venue: &GateioVenue) {
        let target = venue.book(self.market, &self.symbol).unwrap().update_id;
        let deadline = Instant::now() + WAIT;
        while !(self.synced && self.id == target) {
            assert!(
                Instant::now() < deadline,
                "no catch-up: {} vs {target}",
                self.id
            );
            let update = self.next_update().await;
            self.handle(sim, update).await;
        }
    }

    fn assert_matches(&self, venue: &GateioVenue) {
        let truth: BookTruth = venue
            .book(self.market, &self.symbol)
            .unwrap()
            .top(self.level);
        assert_eq!(self.id, truth.update_id);
        let bids: Vec<(Decimal, Decimal)> = self
            .bids
            .iter()
            .rev()
            .take(self.level)
            .map(|(p, s)| (*p, *s))
            .collect();
        let asks: Vec<(Decimal, Decimal)> = self
            .asks
            .iter()
            .take(self.level)
            .map(|(p, s)| (*p, *s))
            .collect();
        assert_eq!(
            bids, truth.bids,
            "bids of {:?} {} at {}",
            self.market, self.symbol, self.level
        );
        assert_eq!(
            asks, truth.asks,
            "asks of {:?} {} at {}",
            self.market, self.symbol, self.level
        );
        assert_eq!(bids.len(), self.level.min(venue.config().levels));
    }

    async fn next_update(&mut self) -> Value {
        let channel = match self.market {
            Market::Spot => "spot.order_book_update",
            Market::Futures => "futures.order_book_update",
        };
        next_push(&mut self.ws, channel).await.unwrap()["result"].clone()
    }

    async fn handle(&mut self, sim: &Simulator, update: Value) {
        self.count_sizes(&update);
        if update["full"] == true {
            self.full_pushes += 1;
            self.bids = parse_levels(self.market, &update["b"])
                .into_iter()
                .collect();
            self.asks = parse_levels(self.market, &update["a"])
                .into_iter()
                .collect();
            self.id = update["u"].as_u64().unwrap();
            self.synced = true;
            return;
        }
        if !self.synced {
            self.buffer.push(update);
            return;
        }
        if !self.apply(&update) {
            self.resyncs += 1;
            self.synced = false;
            self.buffer = vec![update];
            self.resync(sim).await;
        }
    }

    /// Applies one incremental update; `false` means a gap or a crossed book.
    fn apply(&mut self, update: &Value) -> bool {
        let (first, last) = (update["U"].as_u64().unwrap(), update["u"].as_u64().unwrap());
        if last < self.id + 1 {
            self.duplicates += 1;
            return true;
        }
        if first > self.id + 1 {
            return false;
        }
        for (side, key) in [(&mut self.bids, "b"), (&mut self.asks, "a")] {
            for (price, size) in parse_levels(self.market, &update[key]) {
                if size.is_zero() {
                    side.remove(&price);
                } else {
                    side.insert(price, size);
                }
            }
        }
        self.id = last;
        match (self.bids.last_key_value(), self.asks.first_key_value()) {
            (Some((bid, _)), Some((ask, _))) => bid < ask,
            _ => true,
        }
    }

    /// Fetches snapshots until one joins the buffered updates, then replays them.
    async fn resync(&mut self, sim: &Simulator) {
        for _ in 0..10 {
            let snapshot = rest_book(sim, self.market, &self.symbol, self.level)
                .await
                .unwrap();
            let base = snapshot["id"].as_u64().unwrap();
            // Updates that arrive meanwhile stay in the socket and are handled in order later.
            // Drop what the snapshot already holds: keep `u >= base + 1`.
            self.buffer.retain(|u| u["u"].as_u64().unwrap() > base);
            if self
                .buffer
                .first()
                .is_some_and(|u| u["U"].as_u64().unwrap() > base + 1)
            {
                self.stale_snapshots += 1;
                continue;
            }
            self.bids = parse_levels(self.market, &snapshot["bids"])
                .into_iter()
                .collect();
            self.asks = parse_levels(self.market, &snapshot["asks"])
                .into_iter()
                .collect();
            self.id = base;
            self.synced = true;
            for update in std::mem::take(&mut self.buffer) {
                if !self.apply(&update) {
                    self.synced = false;
                    break;
                }
            }
            if self.synced {
                return;
            }
        }
        panic!("no usable snapshot");
    }

    fn count_sizes(&mut self, update: &Value) {
        if self.market == Market::Futures {
            for level in ["a", "b"]
                .iter()
                .flat_map(|k| update[*k].as_array().cloned().unwrap_or_default())
            {
                if level["s"].is_string() {
                    self.size_strings += 1;
                } else {
                    self.size_integers += 1;
                }
            }
        }
    }
}

/// `[["p","a"]]` (spot) or `[{"p","s"}]` (futures, size an integer or a string).
fn parse_levels(market: Market, levels: &Value) -> Vec<(Decimal, Decimal)> {
    levels
        .as_array()
        .unwrap()
        .iter()
        .map(|level| match market {
            Market::Spot => (
                dec(level[0].as_str().unwrap()),
                dec(level[1].as_str().unwrap()),
            ),
            Market::Futures => {
                let size = match &level["s"] {
                    Value::String(text) => dec(text),
                    number => Decimal::from_i64(number.as_i64().unwrap()).unwrap(),
                };
                (dec(level["p"].as_str().unwrap()), size)
            }
        })
        .collect()
}

/// Compares one pushed private element with its ledger record.
fn check_record(element: &Value, record: &PrivateRecord) {
    match record {
        PrivateRecord::Order {
            market: Market::Spot,
            order_id,
            event,
            left,
            amount,
            ..
        } => {
            assert_eq!(element["id"], order_id.to_string());
            let event = match event {
                OrderEvent::Put => "put",
                OrderEvent::Update => "update",
                OrderEvent::Finish => "finish",
            };
            assert_eq!(element["event"], event);
            assert_eq!(element["left"], left.to_string());
            assert_eq!(element["amount"], amount.to_string());
        }
        PrivateRecord::Order {
            order_id,
            left,
            side,
            ..
        } => {
            assert_eq!(element["id"], order_id.0);
            let sign = if *side == Side::Buy { 1 } else { -1 };
            assert_eq!(element["left"], sign * left.mantissa());
        }
        PrivateRecord::Trade {
            market,
            trade_id,
            order_id,
            amount,
            price,
            ..
        } => {
            assert_eq!(element["order_id"], order_id.to_string());
            assert_eq!(element["price"], price.to_string());
            if *market == Market::Spot {
                assert_eq!(element["id"], *trade_id);
                assert_eq!(element["amount"], amount.to_string());
            } else {
                assert_eq!(element["id"], trade_id.to_string());
            }
        }
        PrivateRecord::Balance {
            market: Market::Spot,
            currency,
            total,
            available,
            locked,
            change,
            ..
        } => {
            assert_eq!(element["currency"], currency.as_str());
            assert_eq!(element["total"], total.to_string());
            assert_eq!(element["available"], available.to_string());
            assert_eq!(element["freeze"], locked.to_string());
            assert_eq!(element["change"], change.to_string());
        }
        PrivateRecord::Balance { total, change, .. } => {
            assert_eq!(element["balance"].as_f64(), Some(total.to_f64()));
            assert_eq!(element["change"].as_f64(), Some(change.to_f64()));
        }
        PrivateRecord::Position {
            contract,
            size,
            update_id,
            ..
        } => {
            assert_eq!(element["contract"], contract.as_str());
            assert_eq!(element["size"], size.mantissa());
            assert_eq!(element["update_id"], *update_id);
        }
        _ => unreachable!("unexpected record {record:?}"),
    }
}

// ---------------------------------------------------------------- helpers

fn config() -> GateioSimConfig {
    GateioSimConfig {
        api_key: KEY.to_owned(),
        api_secret: SECRET.to_owned(),
        seed: 42,
        ..GateioSimConfig::default()
    }
}

async fn start(config: GateioSimConfig) -> (Simulator, Arc<GateioVenue>) {
    let venue = GateioVenue::new(config);
    let sim = timeout(
        WAIT,
        Simulator::start(SimConfig::default().mount("/gateio", venue.clone())),
    )
    .await
    .unwrap()
    .unwrap();
    (sim, venue)
}

fn market_of(path: &str) -> Market {
    if path == SPOT {
        Market::Spot
    } else {
        Market::Futures
    }
}

fn dec(text: &str) -> Decimal {
    Decimal::parse(text).unwrap()
}

fn now_secs() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

async fn connect(sim: &Simulator, path: &str) -> anyhow::Result<Ws> {
    timeout(WAIT, async {
        let tcp = TcpStream::connect(sim.addr()).await?;
        let request = Request::builder()
            .method("GET")
            .uri(path)
            .header("Host", format!("127.0.0.1:{}", sim.addr().port()))
            .header(UPGRADE, "websocket")
            .header(CONNECTION, "upgrade")
            .header("Sec-WebSocket-Key", handshake::generate_key())
            .header("Sec-WebSocket-Version", "13")
            .body(Empty::<Bytes>::new())?;
        let (mut ws, _) = handshake::client(&SpawnExecutor, request, tcp).await?;
        ws.set_max_message_size(1 << 22);
        Ok(ws)
    })
    .await?
}

async fn send(ws: &mut Ws, message: &Value) {
    let text = message.to_string();
    ws.write_frame(Frame::text(Payload::Borrowed(text.as_bytes())))
        .await
        .unwrap();
}

async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    let frame = timeout(WAIT, ws.read_frame()).await??;
    match frame.opcode {
        OpCode::Text => Ok(String::from_utf8(frame.payload.to_vec())?),
        opcode => bail!("expected text, got {opcode:?}"),
    }
}

/// The next message that is not a data push (`event` other than `update`).
async fn next_control(ws: &mut Ws) -> anyhow::Result<Value> {
    for _ in 0..100_000 {
        let value: Value = serde_json::from_str(&next_text(ws).await?)?;
        if value["event"] != "update" {
            return Ok(value);
        }
    }
    bail!("no control message")
}

/// The next push of `channel`, skipping others.
async fn next_push(ws: &mut Ws, channel: &str) -> anyhow::Result<Value> {
    for _ in 0..100_000 {
        let value: Value = serde_json::from_str(&next_text(ws).await?)?;
        if value["channel"] == channel && value["event"] == "update" {
            return Ok(value);
        }
    }
    bail!("no {channel} push")
}

/// The `result` of the next spot book push.
async fn next_book(ws: &mut Ws) -> Value {
    next_push(ws, "spot.order_book_update").await.unwrap()["result"].clone()
}

/// The next frame's raw text, which must be a push.
async fn next_push_raw(ws: &mut Ws) -> anyhow::Result<String> {
    let text = next_text(ws).await?;
    let value: Value = serde_json::from_str(&text)?;
    if value["event"] != "update" {
        bail!("not a push: {text}");
    }
    Ok(text)
}

async fn subscribe(ws: &mut Ws, channel: &str, payload: Value) {
    send(
        ws,
        &json!({"time": now_secs(), "channel": channel, "event": "subscribe", "payload": payload}),
    )
    .await;
    let ack = next_control(ws).await.unwrap();
    assert_eq!(ack["result"]["status"], "success", "{ack}");
}

fn private_request(channel: &str, payload: Value, key: &str, sign: &str, time: i64) -> Value {
    json!({"time": time, "id": 5, "channel": channel, "event": "subscribe", "payload": payload,
           "auth": {"method": "api_key", "KEY": key, "SIGN": sign}})
}

async fn subscribe_private(ws: &mut Ws, channel: &str, payload: Value) {
    let time = now_secs();
    let sign = channel_signature(SECRET, channel, "subscribe", time);
    send(ws, &private_request(channel, payload, KEY, &sign, time)).await;
    let ack = next_control(ws).await.unwrap();
    assert_eq!(ack["result"]["status"], "success", "{ack}");
}

/// `count` private pushes (every push on these connections is private).
async fn collect_private(ws: &mut Ws, count: usize) -> Vec<Value> {
    let mut pushes = Vec::new();
    while pushes.len() < count {
        let value: Value = serde_json::from_str(&next_text(ws).await.unwrap()).unwrap();
        assert_eq!(value["event"], "update");
        assert_eq!(value["result"].as_array().map(Vec::len), Some(1), "{value}");
        pushes.push(value);
    }
    pushes
}

/// Nothing more arrives for a while: every record was delivered exactly once.
async fn assert_silent(ws: &mut Ws) {
    if let Ok(frame) = timeout(Duration::from_millis(150), ws.read_frame()).await {
        let frame = frame.unwrap();
        panic!(
            "unexpected frame {:?}",
            String::from_utf8_lossy(&frame.payload)
        );
    }
}

async fn rest_book(
    sim: &Simulator,
    market: Market,
    symbol: &str,
    limit: usize,
) -> anyhow::Result<Value> {
    let path = match market {
        Market::Spot => format!(
            "/gateio/api/v4/spot/order_book?currency_pair={symbol}&limit={limit}&with_id=true"
        ),
        Market::Futures => format!(
            "/gateio/api/v4/futures/usdt/order_book?contract={symbol}&limit={limit}&with_id=true"
        ),
    };
    let (status, body) = http_get(sim, &path, &[]).await?;
    if status != StatusCode::OK {
        bail!("{status}: {body}");
    }
    Ok(body)
}

async fn signed_get(
    sim: &Simulator,
    path: &str,
    query: &str,
    key: &str,
    secret: &str,
) -> anyhow::Result<(StatusCode, Value)> {
    let timestamp = now_secs().to_string();
    let sign = rest_signature(secret, "GET", path, query, b"", &timestamp);
    let url = if query.is_empty() {
        format!("/gateio{path}")
    } else {
        format!("/gateio{path}?{query}")
    };
    http_get(
        sim,
        &url,
        &[("KEY", key), ("Timestamp", &timestamp), ("SIGN", &sign)],
    )
    .await
}

async fn http_get(
    sim: &Simulator,
    url: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<(StatusCode, Value)> {
    let tcp = TcpStream::connect(sim.addr()).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(connection);
    let mut request = Request::get(url).header("Host", format!("127.0.0.1:{}", sim.addr().port()));
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
    Ok((
        status,
        serde_json::from_slice(&body).context("body is not JSON")?,
    ))
}

/// Runs hyper's connection futures on the test runtime.
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
    let (sim, venue) = start(config()).await;
    let done = venue
        .place_order(Market::Spot, "BTC_USDT", Side::Buy, dec("100.5"), dec("2"))
        .unwrap();
    venue.fill(done, dec("2")).unwrap();
    let open = venue
        .place_order(Market::Spot, "ETH_USDT", Side::Sell, dec("3000"), dec("1"))
        .unwrap();
    let all = venue.private_events();
    assert!(!all.is_empty());
    assert_eq!(venue.take_private_events(), all);
    assert!(venue.private_events().is_empty());
    assert!(venue.order(done).is_none(), "a closed order is forgotten");
    assert!(venue.order(open).is_some(), "an open order stays");
    sim.shutdown().await;
}
