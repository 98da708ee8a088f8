//! The MEXC spot v3 venue over real loopback sockets, driven by a raw fastwebsockets
//! client and a protobuf reader written here (independent of the venue's writer).
//!
//! Every wait is bounded by `tokio::time::timeout`; nothing leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail, ensure};
use bytes::Bytes;
use exchange_sim::mexc::pb::{
    AggreDeal, DepthItem, PrivateAccount, PrivateDeals, PrivateOrders, PublicAggreBookTicker,
    PublicAggreDeals, PublicAggreDepths, PublicBookTicker, PublicBookTickerBatch,
    PublicLimitDepths, PushBody, PushDataWrapper,
};
use exchange_sim::mexc::{
    BookTruth, Channel, DEFAULT_API_KEY, DEFAULT_API_SECRET, Generator, MexcConfig, MexcError,
    MexcFault, MexcVenue, OrderState, PbDefect, PrivateFlow, PrivatePush, SymbolSpec, sign,
};
use exchange_sim::{Fault, SimConfig, Simulator};
use fastwebsockets::{Frame, OpCode, Payload, WebSocket, handshake};
use http::header::{CONNECTION, UPGRADE};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use market_types::{Decimal, Price, Quantity, Side, Symbol};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::timeout;

type Ws = WebSocket<TokioIo<Upgraded>>;

/// Bound on any single expected event.
const WAIT: Duration = Duration::from_secs(3);
const BTC_DEPTH_10: &str = "spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT";
const BTC_DEPTH_100: &str = "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT";
const PRIVATE: [&str; 3] = [
    "spot@private.orders.v3.api.pb",
    "spot@private.deals.v3.api.pb",
    "spot@private.account.v3.api.pb",
];

// ---------------------------------------------------------------- encoder vectors

/// `wire_hex` of `fixtures/mexc_pb_wire_vectors.json` (google.protobuf 7.36.2 from the
/// venue's schema), for every vector whose body the venue encodes. The two others
/// (`kline_2025doc`, `increase_depth_batch_doc`) use bodies the venue never sends.
const VECTORS: [(&str, &str); 13] = [
    (
        "aggre_deals_2025doc",
        "0a2f73706f74407075626c69632e61676772652e6465616c732e76332e6170692e7062403130306d7340425443555344541a074254435553445430bca9d9d0c432d2134a0a1f0a0839333232302e3030120a302e3034343338323433180220bba9d9d0c432122773706f74407075626c69632e61676772652e6465616c732e76332e6170692e7062403130306d73",
    ),
    (
        "aggre_depth_2025doc",
        "0a2f73706f74407075626c69632e61676772652e64657074682e76332e6170692e7062403130306d7340425443555344541a074254435553445430bad2c3d1c432ca135b12160a0839323837372e3538120a302e30303030303030301a2773706f74407075626c69632e61676772652e64657074682e76332e6170692e7062403130306d73220b31303538393633323335392a0b3130353839363332333539",
    ),
    (
        "aggre_depth_2026doc",
        "0a2f73706f74407075626c69632e61676772652e64657074682e76332e6170692e7062403130306d7340425443555344541a074254435553445430b1d7b4ecdf33ca134812080a033130301201341a2773706f74407075626c69632e61676772652e64657074682e76332e6170692e7062403130306d73220531303032332a05313030323330dcd6b4ecdf33",
    ),
    (
        "limit_depth_2025doc",
        "0a2b73706f74407075626c69632e6c696d69742e64657074682e76332e6170692e7062404254435553445440351a0742544355534454308af2d7d1c432fa12600a160a0839333138302e3138120a302e323139373634323412160a0839333137392e3938120a322e38323635313030301a2173706f74407075626c69632e6c696d69742e64657074682e76332e6170692e7062220b3336393133353635343633",
    ),
    (
        "limit_depth_2026doc",
        "0a2b73706f74407075626c69632e6c696d69742e64657074682e76332e6170692e7062404254435553445440351a0742544355534454309ef4b4ecdf33fa124d121a0a0c3130302e3030303030303030120a342e30303030303030301a2173706f74407075626c69632e6c696d69742e64657074682e76332e6170692e70622205313030323328dcd6b4ecdf33",
    ),
    (
        "aggre_book_ticker_2025doc",
        "0a3473706f74407075626c69632e61676772652e626f6f6b5469636b65722e76332e6170692e7062403130306d7340425443555344541a07425443555344543091b0e7d1c432da13270a0839333338372e32381207332e37333438351a0839333338372e32392208372e363639383735",
    ),
    (
        "aggre_book_ticker_2026doc",
        "0a3473706f74407075626c69632e61676772652e626f6f6b5469636b65722e76332e6170692e7062403130306d7340425443555344541a074254435553445430c8f6b4ecdf33da13160a033130301201342a05313030323330dcd6b4ecdf33",
    ),
    (
        "book_ticker_batch_2025doc",
        "0a2e73706f74407075626c69632e626f6f6b5469636b65722e62617463682e76332e6170692e706240425443555344541a074254435553445430dacde493d032ba132a0a280a0839363536372e33371208332e3336323932351a0839363536372e33382208312e353435323535",
    ),
    (
        "book_ticker_batch_2026doc",
        "0a2e73706f74407075626c69632e626f6f6b5469636b65722e62617463682e76332e6170692e706240425443555344541a07425443555344543083d7b4ecdf33ba13180a080a033130301201341205313030323318dcd6b4ecdf33",
    ),
    (
        "private_account_doc",
        "0a1e73706f7440707269766174652e6163636f756e742e76332e6170692e706228c18095d4c43230c38095d4c4329a135f0a0455534454122031323866353839323731636234393531623033653731653633323365623762651a1132312e3934323130333536303034333834220231302a01303201303a11434f4e54524143545f5452414e5346455240b0b58dd4c432",
    ),
    (
        "private_deals_2026doc",
        "0a1c73706f7440707269766174652e6465616c732e76332e6170692e70621a064d585553445430dc8095d4c4329213690a06332e363936321201311a06332e3639363220023a1435303539373930313734333930303236323458314a1a4330325f5f3530353937393031373433393030323632343131355215302e303030333939383337373336393639383137315a024d5860a88095d4c432",
    ),
    (
        "private_orders_2025doc",
        "0a1d73706f7440707269766174652e6f72646572732e76332e6170692e70621a064d585553445430a98095d4c4328213540a1a4330325f5f3530353937393031373433393030323632343131351a06332e353132312201312a01303206332e36393632380540025201305a01306201316a01317206332e3639363278028001938095d4c432",
    ),
    (
        "private_orders_2026doc",
        "0a1d73706f7440707269766174652e6f72646572732e76332e6170692e70621a064d585553445430a98095d4c432821354121a4330325f5f3530353937393031373433393030323632343131351a06332e353132312201312a01303206332e36393632380540025201305a01306201316a01317206332e3639363278028001938095d4c432",
    ),
];

#[test]
fn encoder_matches_every_wire_vector_byte_for_byte() {
    for (name, hex) in VECTORS {
        let encoded = vector_value(name).encode();
        assert_eq!(to_hex(&encoded), hex, "vector {name}");
    }
}

/// The embedded hex is the shared fixture's, when the fixture is at hand.
#[test]
fn embedded_vectors_match_the_shared_fixture() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/mexc_pb_wire_vectors.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("{path} not found; the embedded copy is checked by the encoder test only");
        return;
    };
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let mut unused = Vec::new();
    for vector in fixture["vectors"].as_array().unwrap() {
        let name = vector["name"].as_str().unwrap();
        match VECTORS.iter().find(|(n, _)| *n == name) {
            Some((_, hex)) => assert_eq!(vector["wire_hex"].as_str(), Some(*hex), "{name}"),
            None => unused.push(name),
        }
    }
    assert_eq!(unused, ["kline_2025doc", "increase_depth_batch_doc"]);
}

/// The same values as each vector's `proto3_json`.
fn vector_value(name: &str) -> PushDataWrapper {
    let s = |text: &str| text.to_owned();
    let item = |price: &str, quantity: &str| DepthItem {
        price: s(price),
        quantity: s(quantity),
    };
    let public = |channel: &str, send_time: i64, body: PushBody| PushDataWrapper {
        channel: s(channel),
        symbol: Some(s("BTCUSDT")),
        symbol_id: None,
        create_time: None,
        send_time: Some(send_time),
        body,
    };
    let depth_channel = "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT";
    let depth_event = "spot@public.aggre.depth.v3.api.pb@100ms";
    let limit_channel = "spot@public.limit.depth.v3.api.pb@BTCUSDT@5";
    let limit_event = "spot@public.limit.depth.v3.api.pb";
    let ticker_channel = "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT";
    let batch_channel = "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT";
    let order = |id: &str, client_id: &str| PushDataWrapper {
        channel: s("spot@private.orders.v3.api.pb"),
        symbol: Some(s("MXUSDT")),
        symbol_id: None,
        create_time: None,
        send_time: Some(1_736_417_034_281),
        body: PushBody::PrivateOrders(PrivateOrders {
            id: s(id),
            client_id: s(client_id),
            price: s("3.5121"),
            quantity: s("1"),
            amount: s("0"),
            avg_price: s("3.6962"),
            order_type: 5,
            trade_type: 2,
            remain_amount: s("0"),
            remain_quantity: s("0"),
            last_deal_quantity: Some(s("1")),
            cumulative_quantity: s("1"),
            cumulative_amount: s("3.6962"),
            status: 2,
            create_time: 1_736_417_034_259,
            ..PrivateOrders::default()
        }),
    };
    match name {
        "aggre_deals_2025doc" => public(
            "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
            1_736_409_765_052,
            PushBody::AggreDeals(PublicAggreDeals {
                deals: vec![AggreDeal {
                    price: s("93220.00"),
                    quantity: s("0.04438243"),
                    trade_type: 2,
                    time: 1_736_409_765_051,
                    trade_id: String::new(),
                }],
                event_type: s("spot@public.aggre.deals.v3.api.pb@100ms"),
            }),
        ),
        "aggre_depth_2025doc" => public(
            depth_channel,
            1_736_411_507_002,
            PushBody::AggreDepths(PublicAggreDepths {
                asks: vec![],
                bids: vec![item("92877.58", "0.00000000")],
                event_type: s(depth_event),
                from_version: s("10589632359"),
                to_version: s("10589632359"),
                last_order_create_time: 0,
            }),
        ),
        "aggre_depth_2026doc" => public(
            depth_channel,
            1_778_075_380_657,
            PushBody::AggreDepths(PublicAggreDepths {
                asks: vec![],
                bids: vec![item("100", "4")],
                event_type: s(depth_event),
                from_version: s("10023"),
                to_version: s("10023"),
                last_order_create_time: 1_778_075_380_572,
            }),
        ),
        "limit_depth_2025doc" => public(
            limit_channel,
            1_736_411_838_730,
            PushBody::LimitDepths(PublicLimitDepths {
                asks: vec![item("93180.18", "0.21976424")],
                bids: vec![item("93179.98", "2.82651000")],
                event_type: s(limit_event),
                version: s("36913565463"),
                last_order_create_time: 0,
            }),
        ),
        "limit_depth_2026doc" => public(
            limit_channel,
            1_778_075_384_350,
            PushBody::LimitDepths(PublicLimitDepths {
                asks: vec![],
                bids: vec![item("100.00000000", "4.00000000")],
                event_type: s(limit_event),
                version: s("10023"),
                last_order_create_time: 1_778_075_380_572,
            }),
        ),
        "aggre_book_ticker_2025doc" => public(
            ticker_channel,
            1_736_412_092_433,
            PushBody::AggreBookTicker(PublicAggreBookTicker {
                bid_price: s("93387.28"),
                bid_quantity: s("3.73485"),
                ask_price: s("93387.29"),
                ask_quantity: s("7.669875"),
                ..PublicAggreBookTicker::default()
            }),
        ),
        "aggre_book_ticker_2026doc" => public(
            ticker_channel,
            1_778_075_384_648,
            PushBody::AggreBookTicker(PublicAggreBookTicker {
                bid_price: s("100"),
                bid_quantity: s("4"),
                version: s("10023"),
                last_order_create_time: 1_778_075_380_572,
                ..PublicAggreBookTicker::default()
            }),
        ),
        "book_ticker_batch_2025doc" => public(
            batch_channel,
            1_739_503_249_114,
            PushBody::BookTickerBatch(PublicBookTickerBatch {
                items: vec![PublicBookTicker {
                    bid_price: s("96567.37"),
                    bid_quantity: s("3.362925"),
                    ask_price: s("96567.38"),
                    ask_quantity: s("1.545255"),
                }],
                ..PublicBookTickerBatch::default()
            }),
        ),
        "book_ticker_batch_2026doc" => public(
            batch_channel,
            1_778_075_380_611,
            PushBody::BookTickerBatch(PublicBookTickerBatch {
                items: vec![PublicBookTicker {
                    bid_price: s("100"),
                    bid_quantity: s("4"),
                    ..PublicBookTicker::default()
                }],
                version: s("10023"),
                last_order_create_time: 1_778_075_380_572,
            }),
        ),
        "private_account_doc" => PushDataWrapper {
            channel: s("spot@private.account.v3.api.pb"),
            symbol: None,
            symbol_id: None,
            create_time: Some(1_736_417_034_305),
            send_time: Some(1_736_417_034_307),
            body: PushBody::PrivateAccount(PrivateAccount {
                vcoin_name: s("USDT"),
                coin_id: s("128f589271cb4951b03e71e6323eb7be"),
                balance_amount: s("21.94210356004384"),
                balance_amount_change: s("10"),
                frozen_amount: s("0"),
                frozen_amount_change: s("0"),
                change_type: s("CONTRACT_TRANSFER"),
                time: 1_736_416_910_000,
            }),
        },
        "private_deals_2026doc" => PushDataWrapper {
            channel: s("spot@private.deals.v3.api.pb"),
            symbol: Some(s("MXUSDT")),
            symbol_id: None,
            create_time: None,
            send_time: Some(1_736_417_034_332),
            body: PushBody::PrivateDeals(PrivateDeals {
                price: s("3.6962"),
                quantity: s("1"),
                amount: s("3.6962"),
                trade_type: 2,
                is_maker: false,
                is_self_trade: false,
                trade_id: s("505979017439002624X1"),
                client_order_id: String::new(),
                order_id: s("C02__505979017439002624115"),
                fee_amount: s("0.0003998377369698171"),
                fee_currency: s("MX"),
                time: 1_736_417_034_280,
            }),
        },
        "private_orders_2025doc" => order("C02__505979017439002624115", ""),
        "private_orders_2026doc" => order("", "C02__505979017439002624115"),
        other => panic!("no value for vector {other}"),
    }
}

// ---------------------------------------------------------------- control frames

#[tokio::test]
async fn ping_subscribe_unsubscribe_and_error_replies() {
    let (sim, _venue) = start(MexcConfig::default()).await;
    let mut ws = connect(&sim, "/mexc/ws").await.unwrap();
    request(
        &mut ws,
        r#"{"method":"PING"}"#,
        r#"{"id":0,"code":0,"msg":"PONG"}"#,
    )
    .await;
    request(
        &mut ws,
        r#"{"method":"ping"}"#,
        r#"{"id":0,"code":0,"msg":"PONG"}"#,
    )
    .await;

    let channels = [
        BTC_DEPTH_10,
        "spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT",
    ];
    let subscribe = json_request("SUBSCRIPTION", &channels, Some(7));
    let ack = format!(r#"{{"id":7,"code":0,"msg":"{}"}}"#, channels.join(","));
    request(&mut ws, &subscribe, &ack).await;
    let mut seen = HashSet::new();
    for _ in 0..10 {
        let push = decode_push(&next_binary(&mut ws).await.unwrap()).unwrap();
        assert_eq!(push.symbol.as_deref(), Some("BTCUSDT"));
        assert!(
            channels.contains(&push.channel.as_str()),
            "{}",
            push.channel
        );
        seen.insert(push.body_field);
    }
    assert_eq!(seen, HashSet::from([313, 315]));

    send(&mut ws, &json_request("UNSUBSCRIPTION", &channels, Some(8))).await;
    let ack = format!(r#"{{"id":8,"code":0,"msg":"{}"}}"#, channels.join(","));
    // Pushes sent before the unsubscription may precede its ack, never follow it.
    assert_eq!(next_text_skipping_binary(&mut ws).await.unwrap(), ack);
    assert_silent(&mut ws, Duration::from_millis(150)).await;

    let unknown = "spot@public.aggre.depth.v3.api.pb@100ms@FOOUSDT";
    request(
        &mut ws,
        &json_request("SUBSCRIPTION", &[unknown], Some(9)),
        &format!(
            "{{\"id\":9,\"code\":2,\"msg\":\"Not Subscribed successfully! [{unknown}].  Reason\u{ff1a} Invalid symbol! \"}}"
        ),
    )
    .await;
    request(
        &mut ws,
        &json_request("SUBSCRIPTION", &PRIVATE[..1], Some(10)),
        r#"{"id":10,"code":4,"msg":"Not Subscribed successfully! [spot@private.orders.v3.api.pb].  Reason： Listen key required! "}"#,
    )
    .await;
    request(
        &mut ws,
        "not json",
        r#"{"id":0,"code":1,"msg":"Invalid request"}"#,
    )
    .await;
    request(
        &mut ws,
        r#"{"method":"DANCE","id":11}"#,
        r#"{"id":11,"code":1,"msg":"Invalid request"}"#,
    )
    .await;
    assert_silent(&mut ws, Duration::from_millis(100)).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn blocked_channels_get_the_exact_reply_and_stay_quiet() {
    let (sim, _venue) = start(MexcConfig::default()).await;
    let mut ws = connect(&sim, "/mexc/ws").await.unwrap();
    let blocked = [
        "spot@public.increase.depth.v3.api@BTCUSDT",
        "spot@public.aggre.deals.v3.api.pb@BTCUSDT",
        "spot@public.aggre.bookTicker.v3.api.pb@BTCUSDT",
    ];
    // The fixture's reply, compacted as the venue sends it.
    let msg = "Not Subscribed successfully! [spot@public.increase.depth.v3.api@BTCUSDT,spot@public.aggre.deals.v3.api.pb@BTCUSDT,spot@public.aggre.bookTicker.v3.api.pb@BTCUSDT].  Reason\u{ff1a} Blocked! ";
    let expected = format!(r#"{{"id":0,"code":0,"msg":"{msg}"}}"#);
    request(
        &mut ws,
        &json_request("SUBSCRIPTION", &blocked, None),
        &expected,
    )
    .await;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/mexc_subscribe_blocked_thirdparty.json"
    );
    if let Ok(text) = std::fs::read_to_string(fixture) {
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["msg"].as_str(), Some(msg));
        assert_eq!(
            (value["id"].as_u64(), value["code"].as_u64()),
            (Some(0), Some(0))
        );
    }

    let deals = "spot@public.deals.v3.api@BTCUSDT";
    let mini = "spot@public.miniTicker.v3.api.pb@BTCUSDT@UTC+8";
    request(
        &mut ws,
        &json_request("SUBSCRIPTION", &[deals, mini], Some(3)),
        &format!(
            "{{\"id\":0,\"code\":0,\"msg\":\"Not Subscribed successfully! [{deals},{mini}].  Reason\u{ff1a} Blocked! \"}}"
        ),
    )
    .await;
    // A mixed request: the served channel is acknowledged, then the blocked one refused.
    send(
        &mut ws,
        &json_request("SUBSCRIPTION", &[BTC_DEPTH_100, deals], Some(4)),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await.unwrap(),
        format!(r#"{{"id":4,"code":0,"msg":"{BTC_DEPTH_100}"}}"#)
    );
    assert!(
        next_text(&mut ws)
            .await
            .unwrap()
            .contains(&format!("[{deals}].  Reason"))
    );
    send(
        &mut ws,
        &json_request("UNSUBSCRIPTION", &[BTC_DEPTH_100], Some(5)),
    )
    .await;
    next_text_skipping_binary(&mut ws).await.unwrap();
    // Blocked channels leave the socket open and quiet.
    assert_silent(&mut ws, Duration::from_millis(300)).await;
    request(
        &mut ws,
        r#"{"method":"PING"}"#,
        r#"{"id":0,"code":0,"msg":"PONG"}"#,
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn thirty_subscriptions_per_connection() {
    let mut config = paused_config();
    config
        .symbols
        .push(SymbolSpec::new("SOLUSDT", "SOL", "USDT").unwrap());
    let (sim, venue) = start(config).await;
    let channels: Vec<String> = ["BTCUSDT", "ETHUSDT", "MXUSDT", "SOLUSDT"]
        .iter()
        .flat_map(|symbol| public_channels(symbol))
        .collect();
    assert_eq!(channels.len(), 40);
    let refused = |id: u64, channel: &str| {
        format!(
            "{{\"id\":{id},\"code\":3,\"msg\":\"Not Subscribed successfully! [{channel}].  Reason\u{ff1a} Subscriptions beyond 30 are invalid! \"}}"
        )
    };

    let mut a = connect(&sim, "/mexc/ws").await.unwrap();
    let first: Vec<&str> = channels[..31].iter().map(String::as_str).collect();
    send(&mut a, &json_request("SUBSCRIPTION", &first, Some(1))).await;
    assert_eq!(
        next_text(&mut a).await.unwrap(),
        format!(r#"{{"id":1,"code":0,"msg":"{}"}}"#, first[..30].join(","))
    );
    assert_eq!(next_text(&mut a).await.unwrap(), refused(1, first[30]));
    let ids = sim.connections();
    assert_eq!(venue.subscription_count(ids[0]), Some(30));
    request(
        &mut a,
        &json_request("SUBSCRIPTION", &[channels[35].as_str()], Some(2)),
        &refused(2, &channels[35]),
    )
    .await;
    // A channel already held is acknowledged again and still counts once.
    request(
        &mut a,
        &json_request("SUBSCRIPTION", &[channels[0].as_str()], Some(3)),
        &format!(r#"{{"id":3,"code":0,"msg":"{}"}}"#, channels[0]),
    )
    .await;
    assert_eq!(venue.subscription_count(ids[0]), Some(30));
    request(
        &mut a,
        &json_request("UNSUBSCRIPTION", &[channels[0].as_str()], Some(4)),
        &format!(r#"{{"id":4,"code":0,"msg":"{}"}}"#, channels[0]),
    )
    .await;
    request(
        &mut a,
        &json_request("SUBSCRIPTION", &[channels[30].as_str()], Some(5)),
        &format!(r#"{{"id":5,"code":0,"msg":"{}"}}"#, channels[30]),
    )
    .await;

    // The rest spread onto a second connection.
    let mut b = connect(&sim, "/mexc/ws").await.unwrap();
    let rest: Vec<&str> = channels[31..].iter().map(String::as_str).collect();
    let ack = format!(r#"{{"id":1,"code":0,"msg":"{}"}}"#, rest.join(","));
    request(&mut b, &json_request("SUBSCRIPTION", &rest, Some(1)), &ack).await;
    let spread: Vec<usize> = venue
        .connections()
        .iter()
        .map(|c| c.channels.len())
        .collect();
    assert_eq!(spread, [30, 9]);
    let held: BTreeSet<String> = venue
        .connections()
        .iter()
        .flat_map(|c| c.channels.iter().map(Channel::to_string))
        .collect();
    assert_eq!(held.len(), 39);
    assert!(!held.contains(&channels[0]));
    sim.shutdown().await;
}

#[tokio::test]
async fn idle_connections_are_closed_and_rate_is_limited() {
    let config = MexcConfig {
        idle_timeout: Duration::from_millis(300),
        ..paused_config()
    };
    let (sim, _venue) = start(config).await;
    let started = Instant::now();
    let mut idle = connect(&sim, "/mexc/ws").await.unwrap();
    let mut busy = connect(&sim, "/mexc/ws").await.unwrap();
    request(
        &mut busy,
        &json_request("SUBSCRIPTION", &[BTC_DEPTH_10], Some(1)),
        &format!(r#"{{"id":1,"code":0,"msg":"{BTC_DEPTH_10}"}}"#),
    )
    .await;
    assert_eq!(read_until_close(&mut idle).await.unwrap(), Some(1000));
    assert!(started.elapsed() >= Duration::from_millis(300));
    // A subscribed connection outlives the idle limit, until it unsubscribes.
    assert_silent(&mut busy, Duration::from_millis(500)).await;
    request(
        &mut busy,
        &json_request("UNSUBSCRIPTION", &[BTC_DEPTH_10], Some(2)),
        &format!(r#"{{"id":2,"code":0,"msg":"{BTC_DEPTH_10}"}}"#),
    )
    .await;
    assert_eq!(read_until_close(&mut busy).await.unwrap(), Some(1000));

    // More than 100 messages in a second close the connection after 100 replies.
    let mut chatty = connect(&sim, "/mexc/ws").await.unwrap();
    for _ in 0..101 {
        send(&mut chatty, r#"{"method":"PING"}"#).await;
    }
    let mut pongs = 0;
    loop {
        let (opcode, payload) = next_frame(&mut chatty).await.unwrap();
        match opcode {
            OpCode::Text => pongs += 1,
            OpCode::Close => {
                assert_eq!(payload[..2], 1008u16.to_be_bytes());
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(pongs, 100);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- the book

#[tokio::test]
async fn depth_pushes_on_a_rest_snapshot_rebuild_the_truth() {
    let (sim, venue) = start(MexcConfig::default()).await;
    let mut fast = subscribed(&sim, BTC_DEPTH_10).await;
    let mut slow = subscribed(&sim, BTC_DEPTH_100).await;

    let mut books = Vec::new();
    for ws in [&mut fast, &mut slow] {
        let mut book = sync_book(&sim, ws, "BTCUSDT").await.unwrap();
        run_book(ws, &mut book, Duration::from_millis(300))
            .await
            .unwrap();
        books.push(book);
    }
    venue.pause();
    let truth = venue.book("BTCUSDT").unwrap();
    for (ws, book) in [&mut fast, &mut slow].into_iter().zip(&mut books) {
        catch_up(ws, book, truth.version).await.unwrap();
        book.assert_matches(&truth);
    }
    assert!(books[0].pushes > 5, "{} fast pushes", books[0].pushes);
    assert!(
        books[0].multi_version_pushes > 0,
        "aggregation never covered two versions"
    );
    assert!(books[1].multi_version_pushes > 0, "100ms pushes aggregate");
    // Paused means paused.
    assert_silent(&mut fast, Duration::from_millis(100)).await;
    assert_eq!(venue.book("BTCUSDT").unwrap(), truth);

    // The REST snapshot is the truth too, levels on the tick grid with fixed decimals.
    let snapshot = rest_depth(&sim, "BTCUSDT", 5000).await.unwrap();
    assert_eq!(snapshot.last_update_id, truth.version);
    assert_eq!(snapshot.bids, levels(&truth.bids));
    assert_eq!(snapshot.asks, levels(&truth.asks));
    let raw: Value = serde_json::from_str(&snapshot.raw).unwrap();
    for level in raw["bids"]
        .as_array()
        .unwrap()
        .iter()
        .chain(raw["asks"].as_array().unwrap())
    {
        let decimals = |i: usize| level[i].as_str().unwrap().split_once('.').unwrap().1.len();
        assert_eq!(
            (decimals(0), decimals(1)),
            (2, 8),
            "fixed decimals: {level}"
        );
    }
    let top = rest_depth(&sim, "BTCUSDT", 5).await.unwrap();
    assert_eq!((top.bids.len(), top.asks.len()), (5, 5));
    let (status, body) = http(&sim, Method::GET, "/mexc/api/v3/depth?symbol=NOPE", None)
        .await
        .unwrap();
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"code":-1121,"msg":"Invalid symbol."}"#
        )
    );

    // Resumed, the same connections keep up.
    venue.resume();
    for (ws, book) in [&mut fast, &mut slow].into_iter().zip(&mut books) {
        run_book(ws, book, Duration::from_millis(250))
            .await
            .unwrap();
    }
    venue.pause();
    let truth = venue.book("BTCUSDT").unwrap();
    for (ws, book) in [&mut fast, &mut slow].into_iter().zip(&mut books) {
        catch_up(ws, book, truth.version).await.unwrap();
        book.assert_matches(&truth);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn snapshot_channels_and_deals_follow_the_truth() {
    let (sim, venue) = start(MexcConfig::default()).await;
    let channels = [
        "spot@public.limit.depth.v3.api.pb@BTCUSDT@5",
        "spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT",
        "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT",
        "spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT",
    ];
    let mut ws = connect(&sim, "/mexc/ws").await.unwrap();
    let ack = format!(r#"{{"id":1,"code":0,"msg":"{}"}}"#, channels.join(","));
    request(
        &mut ws,
        &json_request("SUBSCRIPTION", &channels, Some(1)),
        &ack,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    venue.pause();
    let truth = venue.book("BTCUSDT").unwrap();

    let mut last: BTreeMap<u32, Push> = BTreeMap::new();
    let mut trade_ids = Vec::new();
    while let Ok(Ok(frame)) = timeout(Duration::from_millis(200), ws.read_frame()).await {
        assert_eq!(frame.opcode, OpCode::Binary);
        let push = decode_push(&frame.payload).unwrap();
        if push.body_field == 314 {
            for deal in push.body.messages(1) {
                assert!(matches!(deal.int(3), Some(1 | 2)), "tradeType");
                trade_ids.push(deal.string(5).parse::<u64>().unwrap());
            }
        }
        last.insert(push.body_field, push);
    }
    assert_eq!(
        last.keys().copied().collect::<Vec<_>>(),
        [303, 311, 314, 315]
    );
    assert!(!trade_ids.is_empty());
    assert!(
        trade_ids.windows(2).all(|w| w[0] < w[1]),
        "trade ids increase"
    );

    let (bid, ask) = truth.touch().unwrap();
    let limit = &last[&303].body;
    assert_eq!(limit.string(3), "spot@public.limit.depth.v3.api.pb");
    assert_eq!(limit.string(4), truth.version.to_string());
    assert_eq!(items(limit, 2), levels(&truth.bids[..5]));
    assert_eq!(items(limit, 1), levels(&truth.asks[..5]));
    let ticker = &last[&315].body;
    assert_eq!(ticker.string(5), truth.version.to_string());
    assert_eq!(dec(&ticker.string(1)), bid.price.value());
    assert_eq!(dec(&ticker.string(2)), bid.quantity.value());
    assert_eq!(dec(&ticker.string(3)), ask.price.value());
    assert_eq!(dec(&ticker.string(4)), ask.quantity.value());
    let batch = &last[&311].body;
    assert_eq!(batch.string(2), truth.version.to_string());
    let item = &batch.messages(1)[0];
    assert_eq!(dec(&item.string(1)), bid.price.value());
    assert_eq!(dec(&item.string(3)), ask.price.value());
    sim.shutdown().await;
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn version_gap_skips_exactly_one_version() {
    let (sim, venue) = start(paused_config()).await;
    let mut ws = subscribed(&sim, BTC_DEPTH_10).await;
    venue.advance(2);
    let before = depth_push(&next_binary(&mut ws).await.unwrap()).unwrap();
    venue
        .inject(MexcFault::VersionGap { symbol: btc() })
        .unwrap();
    venue.advance(1);
    let after = depth_push(&next_binary(&mut ws).await.unwrap()).unwrap();
    assert_eq!(after.from, before.to + 2, "one version is never pushed");
    assert_eq!(after.to, after.from);
    // The snapshot includes the hidden version.
    let truth = venue.book("BTCUSDT").unwrap();
    assert_eq!(truth.version, after.to);
    let snapshot = rest_depth(&sim, "BTCUSDT", 5000).await.unwrap();
    assert_eq!(snapshot.last_update_id, truth.version);
    assert!(matches!(
        venue.inject(MexcFault::VersionGap {
            symbol: Symbol::new("NOPE").unwrap()
        }),
        Err(MexcError::UnknownSymbol(_))
    ));
    sim.shutdown().await;
}

#[tokio::test]
async fn stale_snapshot_is_older_than_the_stream() {
    let (sim, venue) = start(paused_config()).await;
    let old = venue.book("BTCUSDT").unwrap();
    venue
        .inject(MexcFault::StaleSnapshot {
            symbol: btc(),
            count: 2,
        })
        .unwrap();
    let mut ws = subscribed(&sim, BTC_DEPTH_10).await;
    venue.advance(3);
    let push = depth_push(&next_binary(&mut ws).await.unwrap()).unwrap();
    assert_eq!(push.from, old.version + 1);
    for _ in 0..2 {
        let snapshot = rest_depth(&sim, "BTCUSDT", 5000).await.unwrap();
        assert_eq!(snapshot.last_update_id, old.version);
        assert!(snapshot.last_update_id < push.from);
        assert_eq!(snapshot.bids, levels(&old.bids), "the real old book");
    }
    let fresh = rest_depth(&sim, "BTCUSDT", 5000).await.unwrap();
    assert_eq!(fresh.last_update_id, push.to);
    assert_eq!(venue.stats().stale_snapshots_served, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_and_truncated_frames_precede_the_next_depth_push() {
    let (sim, venue) = start(paused_config()).await;
    let mut ws = subscribed(&sim, BTC_DEPTH_10).await;
    venue
        .inject(MexcFault::MalformedProtobuf(PbDefect::OverlongVarint))
        .unwrap();
    venue.inject(MexcFault::TruncatedProtobuf).unwrap();
    venue
        .inject(MexcFault::MalformedProtobuf(PbDefect::LengthPastEnd))
        .unwrap();
    venue.advance(1);

    let malformed = next_binary(&mut ws).await.unwrap();
    assert_eq!(malformed, PbDefect::OverlongVarint.payload());
    assert!(
        decode(&malformed)
            .unwrap_err()
            .to_string()
            .contains("varint")
    );
    let truncated = next_binary(&mut ws).await.unwrap();
    let full = next_binary(&mut ws).await.unwrap();
    assert!(full.starts_with(&truncated) && truncated.len() < full.len());
    assert!(
        decode(&truncated)
            .unwrap_err()
            .to_string()
            .contains("past the end")
    );
    let first = depth_push(&full).unwrap();

    venue.advance(1);
    let malformed = next_binary(&mut ws).await.unwrap();
    assert_eq!(malformed, PbDefect::LengthPastEnd.payload());
    assert!(
        decode(&malformed)
            .unwrap_err()
            .to_string()
            .contains("past the end")
    );
    let second = depth_push(&next_binary(&mut ws).await.unwrap()).unwrap();
    assert_eq!(
        second.from,
        first.to + 1,
        "the stream itself stays continuous"
    );
    venue.advance(1);
    let third = next_binary(&mut ws).await.unwrap();
    assert_eq!(
        depth_push(&third).unwrap().from,
        second.to + 1,
        "each fault once"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn crossed_update_is_pushed_but_not_in_the_truth() {
    let (sim, venue) = start(paused_config()).await;
    let mut ws = subscribed(&sim, BTC_DEPTH_10).await;
    let snapshot = rest_depth(&sim, "BTCUSDT", 5000).await.unwrap();
    let mut book = LocalBook::from_snapshot(&snapshot);
    venue.advance(1);
    book.apply(&depth_push(&next_binary(&mut ws).await.unwrap()).unwrap())
        .unwrap();
    assert!(!book.is_crossed());

    venue
        .inject(MexcFault::CrossedUpdate { symbol: btc() })
        .unwrap();
    venue.advance(1);
    let bogus = depth_push(&next_binary(&mut ws).await.unwrap()).unwrap();
    assert_eq!((bogus.from, bogus.to), (book.version + 1, book.version + 1));
    let (bogus_price, _) = bogus.bids[0];
    book.apply(&bogus).unwrap();
    assert!(book.is_crossed(), "a client applying it blindly is crossed");
    let next = depth_push(&next_binary(&mut ws).await.unwrap()).unwrap();
    assert_eq!(next.from, bogus.to + 1, "versions stay continuous");

    let truth = venue.book("BTCUSDT").unwrap();
    assert_eq!(truth.version, next.to);
    let (bid, ask) = truth.touch().unwrap();
    assert!(bid.price < ask.price, "the truth is never crossed");
    assert!(truth.bids.iter().all(|l| l.price.value() != bogus_price));
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_fields_push_is_valid_and_applies() {
    let (sim, venue) = start(paused_config()).await;
    let mut ws = subscribed(&sim, BTC_DEPTH_10).await;
    let snapshot = rest_depth(&sim, "BTCUSDT", 5000).await.unwrap();
    let mut book = LocalBook::from_snapshot(&snapshot);
    venue.inject(MexcFault::UnknownFields).unwrap();
    venue.advance(2);
    let frame = next_binary(&mut ws).await.unwrap();
    let wrapper = decode(&frame).unwrap();
    let unknown: Vec<(u32, u8)> = wrapper
        .fields
        .iter()
        .filter(|(n, _)| ![1, 3, 4, 5, 6, 313].contains(n))
        .map(|(n, v)| (*n, v.wire_type()))
        .collect();
    assert_eq!(unknown, [(2, 0), (7, 1), (8, 5), (1000, 2)]);
    assert!(matches!(wrapper.field(2), Some(Val::Varint(150))));
    assert!(matches!(wrapper.field(7), Some(Val::Fixed64(1))));
    assert!(matches!(wrapper.field(8), Some(Val::Fixed32(2))));
    assert_eq!(wrapper.string(1000), "sim");
    let push = decode_push(&frame).unwrap();
    let body_unknown: Vec<(u32, u8)> = push
        .body
        .fields
        .iter()
        .filter(|(n, _)| *n > 6)
        .map(|(n, v)| (*n, v.wire_type()))
        .collect();
    assert_eq!(body_unknown, [(50, 0), (51, 1), (52, 2), (53, 5)]);
    book.apply(&depth_push(&frame).unwrap()).unwrap();
    book.assert_matches(&venue.book("BTCUSDT").unwrap());
    // The next push is plain again.
    venue.advance(1);
    let plain = decode(&next_binary(&mut ws).await.unwrap()).unwrap();
    assert!(plain.fields.iter().all(|(n, _)| [1, 3, 6, 313].contains(n)));
    sim.shutdown().await;
}

#[tokio::test]
async fn core_close_without_status_reaches_mexc_connections() {
    let (sim, _venue) = start(paused_config()).await;
    let mut ws = subscribed(&sim, BTC_DEPTH_10).await;
    assert_eq!(sim.inject(Fault::CloseNoStatus), 1);
    assert_eq!(read_until_close(&mut ws).await.unwrap(), None, "1005");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- listen keys and REST

#[tokio::test]
async fn listen_keys_and_signature_checks() {
    let (sim, venue) = start(paused_config()).await;
    let path = "/mexc/api/v3/userDataStream";
    let (status, body) = signed(&sim, Method::POST, path, "").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let key = json(&body)["listenKey"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 64);
    let (_, body) = signed(&sim, Method::GET, path, "").await.unwrap();
    assert_eq!(json(&body)["listenKey"], serde_json::json!([key.clone()]));
    let (status, body) = signed(&sim, Method::PUT, path, &format!("listenKey={key}"))
        .await
        .unwrap();
    assert_eq!(
        (status, json(&body)["listenKey"].as_str()),
        (StatusCode::OK, Some(key.as_str()))
    );
    let (status, body) = signed(&sim, Method::PUT, path, "listenKey=nope")
        .await
        .unwrap();
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"code":-1125,"msg":"This listenKey does not exist."}"#
        )
    );

    // Refusals, each with the venue's code.
    let query = format!("timestamp={}", now_ms());
    let bad = format!("{path}?{query}&signature={}", "0".repeat(64));
    let cases = [
        (
            bad,
            Some(DEFAULT_API_KEY),
            r#"{"code":700002,"msg":"Signature for this request is not valid."}"#,
        ),
        (
            signed_path(path, &query),
            Some("someone-else"),
            r#"{"code":10072,"msg":"Api key info invalid"}"#,
        ),
        (
            signed_path(path, &query),
            None,
            r#"{"code":700001,"msg":"API-key format invalid."}"#,
        ),
        (
            signed_path(path, &format!("timestamp={}", now_ms() - 10_000)),
            Some(DEFAULT_API_KEY),
            r#"{"code":700003,"msg":"Timestamp for this request is outside of the recvWindow."}"#,
        ),
        (
            signed_path(path, &format!("recvWindow=70000&timestamp={}", now_ms())),
            Some(DEFAULT_API_KEY),
            r#"{"code":700005,"msg":"recvWindow must less than 60000"}"#,
        ),
    ];
    for (target, api_key, expected) in cases {
        let (status, body) = http(&sim, Method::POST, &target, api_key).await.unwrap();
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::BAD_REQUEST, expected),
            "{target}"
        );
    }
    assert_eq!(
        venue.listen_keys(),
        vec![key.clone()],
        "refused calls made no key"
    );

    // Private subscriptions with the key; five connections per key at most.
    let mut conns = Vec::new();
    for _ in 0..5 {
        let mut ws = connect(&sim, &format!("/mexc/ws?listenKey={key}"))
            .await
            .unwrap();
        let ack = format!(r#"{{"id":1,"code":0,"msg":"{}"}}"#, PRIVATE.join(","));
        request(
            &mut ws,
            &json_request("SUBSCRIPTION", &PRIVATE, Some(1)),
            &ack,
        )
        .await;
        conns.push(ws);
    }
    let mut sixth = connect(&sim, &format!("/mexc/ws?listenKey={key}"))
        .await
        .unwrap();
    assert_eq!(read_until_close(&mut sixth).await.unwrap(), Some(1008));
    let mut stranger = connect(&sim, "/mexc/ws?listenKey=0123").await.unwrap();
    assert_eq!(read_until_close(&mut stranger).await.unwrap(), Some(1008));

    // Deleting the key closes its connections.
    let (status, _) = signed(&sim, Method::DELETE, path, &format!("listenKey={key}"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    for ws in &mut conns {
        assert_eq!(read_until_close(ws).await.unwrap(), Some(1008));
    }
    let (_, body) = signed(&sim, Method::GET, path, "").await.unwrap();
    assert_eq!(body, r#"{"listenKey":[]}"#);
    let mut late = connect(&sim, &format!("/mexc/ws?listenKey={key}"))
        .await
        .unwrap();
    assert_eq!(read_until_close(&mut late).await.unwrap(), Some(1008));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_venue_clock_ahead_refuses_host_time_and_tells_its_own() {
    let (sim, venue) = start(paused_config()).await;
    venue.set_clock_offset_ms(90_000);
    let (status, body) = http(&sim, Method::GET, "/mexc/api/v3/time", None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let venue_ms = json(&body)["serverTime"].as_i64().unwrap();
    assert!((venue_ms - now_ms() - 90_000).abs() <= 2_000, "{body}");
    let path = "/mexc/api/v3/userDataStream";
    let (status, body) = signed(&sim, Method::POST, path, "").await.unwrap();
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"code":700003,"msg":"Timestamp for this request is outside of the recvWindow."}"#
        )
    );
    let query = format!("timestamp={venue_ms}");
    let (status, _) = http(
        &sim,
        Method::POST,
        &signed_path(path, &query),
        Some(DEFAULT_API_KEY),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn listen_keys_expire_unless_kept_alive() {
    let config = MexcConfig {
        listen_key_lifetime: Duration::from_millis(1000),
        ..paused_config()
    };
    let (sim, venue) = start(config).await;
    let started = Instant::now();
    let expiring = venue.create_listen_key();
    let kept = venue.create_listen_key();
    let mut ws = connect(&sim, &format!("/mexc/ws?listenKey={expiring}"))
        .await
        .unwrap();
    let ack = format!(r#"{{"id":1,"code":0,"msg":"{}"}}"#, PRIVATE[0]);
    request(
        &mut ws,
        &json_request("SUBSCRIPTION", &PRIVATE[..1], Some(1)),
        &ack,
    )
    .await;
    let mut kept_ws = connect(&sim, &format!("/mexc/ws?listenKey={kept}"))
        .await
        .unwrap();
    request(
        &mut kept_ws,
        &json_request("SUBSCRIPTION", &PRIVATE[..1], Some(1)),
        &ack,
    )
    .await;

    tokio::time::sleep(Duration::from_millis(500).saturating_sub(started.elapsed())).await;
    let path = "/mexc/api/v3/userDataStream";
    let (status, _) = signed(&sim, Method::PUT, path, &format!("listenKey={kept}"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);

    assert_eq!(read_until_close(&mut ws).await.unwrap(), Some(1008));
    assert!(started.elapsed() >= Duration::from_millis(1000));
    assert_eq!(venue.listen_keys(), vec![kept.clone()]);
    let (status, _) = signed(&sim, Method::PUT, path, &format!("listenKey={expiring}"))
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an expired key cannot be kept alive"
    );
    // The kept key's connection lives on past the first expiry, then goes too.
    assert_eq!(read_until_close(&mut kept_ws).await.unwrap(), Some(1008));
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert!(venue.listen_keys().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn private_lifecycle_pushes_arrive_once_and_match_the_ledger() {
    let (sim, venue) = start(paused_config()).await;
    let (_, body) = signed(&sim, Method::POST, "/mexc/api/v3/userDataStream", "")
        .await
        .unwrap();
    let key = json(&body)["listenKey"].as_str().unwrap().to_owned();
    let mut all = connect(&sim, &format!("/mexc/ws?listenKey={key}"))
        .await
        .unwrap();
    let ack = format!(r#"{{"id":1,"code":0,"msg":"{}"}}"#, PRIVATE.join(","));
    request(
        &mut all,
        &json_request("SUBSCRIPTION", &PRIVATE, Some(1)),
        &ack,
    )
    .await;
    let mut orders_only = connect(&sim, &format!("/mexc/ws?listenKey={key}"))
        .await
        .unwrap();
    let ack = format!(r#"{{"id":2,"code":0,"msg":"{}"}}"#, PRIVATE[0]);
    request(
        &mut orders_only,
        &json_request("SUBSCRIPTION", &PRIVATE[..1], Some(2)),
        &ack,
    )
    .await;
    let mut public = subscribed(&sim, BTC_DEPTH_10).await;

    let before = venue.balances();
    let p = |text: &str| Price::parse(text).unwrap();
    let q = |text: &str| Quantity::parse(text).unwrap();
    let first = venue
        .place_order("BTCUSDT", Side::Buy, p("60000.00"), q("0.5"))
        .unwrap();
    venue.fill(&first, q("0.2")).unwrap();
    venue.fill(&first, q("0.3")).unwrap();
    let second = venue
        .place_order("BTCUSDT", Side::Sell, p("70000"), q("1"))
        .unwrap();
    venue.fill(&second, q("0.4")).unwrap();
    venue.cancel(&second).unwrap();
    let third = venue
        .place_order("BTCUSDT", Side::Buy, p("50000"), q("0.1"))
        .unwrap();
    assert!(matches!(
        venue.fill(&first, q("0.1")),
        Err(MexcError::OrderClosed(_))
    ));
    assert!(matches!(
        venue.fill(&third, q("1")),
        Err(MexcError::Overfill { .. })
    ));
    assert!(matches!(
        venue.cancel("C02__nope"),
        Err(MexcError::UnknownOrder(_))
    ));

    let ledger = venue.private_events();
    assert_eq!(ledger.len(), 2 + 4 + 4 + 2 + 4 + 2 + 2);
    for entry in &ledger {
        assert_eq!(
            next_binary(&mut all).await.unwrap(),
            entry.frame,
            "entry {}",
            entry.seq
        );
    }
    let orders: Vec<_> = ledger
        .iter()
        .filter(|e| e.push.channel() == Channel::PrivateOrders)
        .collect();
    for entry in &orders {
        assert_eq!(next_binary(&mut orders_only).await.unwrap(), entry.frame);
    }
    // Exactly once: nothing more on either connection, nothing private on the public one.
    assert_silent(&mut all, Duration::from_millis(150)).await;
    assert_silent(&mut orders_only, Duration::from_millis(50)).await;
    assert_silent(&mut public, Duration::from_millis(50)).await;

    // The frames say what the ledger says.
    let statuses = |id: &str| -> Vec<i32> {
        ledger
            .iter()
            .filter_map(|e| match &e.push {
                PrivatePush::Order(o) if o.order_id == id => Some(o.status.code()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(statuses(&first), [1, 3, 2]);
    assert_eq!(statuses(&second), [1, 3, 5]);
    assert_eq!(statuses(&third), [1]);
    let mut trade_ids = HashSet::new();
    for entry in &ledger {
        let push = decode_push(&entry.frame).unwrap();
        assert_eq!(push.channel, entry.push.channel().to_string());
        match &entry.push {
            PrivatePush::Order(order) => {
                assert_eq!(push.body_field, 304);
                assert_eq!(push.body.string(1), order.order_id, "order id in field 1");
                assert_eq!(
                    push.body.int(15),
                    Some(u64::from(order.status.code().unsigned_abs()))
                );
                assert_eq!(push.symbol.as_deref(), Some("BTCUSDT"));
                let last_deal = push.body.field(12).map(|_| dec(&push.body.string(12)));
                assert_eq!(last_deal, order.last_deal_quantity.map(Quantity::value));
            }
            PrivatePush::Deal(deal) => {
                assert_eq!(push.body_field, 306);
                assert!(trade_ids.insert(push.body.string(7)), "unique tradeId");
                assert_eq!(push.body.string(9), deal.order_id);
                assert_eq!(dec(&push.body.string(2)), deal.quantity.value());
            }
            PrivatePush::Account(change) => {
                assert_eq!(push.body_field, 307);
                assert_eq!(push.body.string(1), change.asset.as_str());
                assert_eq!(dec(&push.body.string(3)), change.free);
                assert_eq!(dec(&push.body.string(5)), change.locked);
            }
        }
    }
    assert_eq!(trade_ids.len(), 3);

    // Balances: the last account push of each asset is the venue's balance.
    let after = venue.balances();
    for balance in &after {
        let last = ledger.iter().rev().find_map(|e| match &e.push {
            PrivatePush::Account(a) if a.asset == balance.asset => Some(a),
            _ => None,
        });
        if let Some(last) = last {
            assert_eq!((last.free, last.locked), (balance.free, balance.locked));
        }
    }
    let usdt = |balances: &[exchange_sim::mexc::BalanceTruth]| {
        balances
            .iter()
            .find(|b| b.asset.as_str() == "USDT")
            .map(|b| (b.free, b.locked))
            .unwrap()
    };
    // Spent 30000 on the first buy, received 28000 for 0.4 sold, 5000 locked by the third.
    let (free_before, _) = usdt(&before);
    let expected_free = free_before
        .checked_sub(Decimal::from(30_000u32))
        .and_then(|v| v.checked_add(Decimal::from(28_000u32)))
        .and_then(|v| v.checked_sub(Decimal::from(5_000u32)))
        .unwrap();
    assert_eq!(usdt(&after), (expected_free, Decimal::from(5_000u32)));

    // Reconciliation over REST reflects the same state.
    let (status, body) = signed(
        &sim,
        Method::GET,
        "/mexc/api/v3/openOrders",
        "symbol=BTCUSDT",
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    let open = json(&body);
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["orderId"], third.as_str());
    assert_eq!(open[0]["status"], "NEW");
    assert_eq!(open[0]["side"], "BUY");
    assert_eq!(
        dec(open[0]["price"].as_str().unwrap()),
        Decimal::from(50_000u32)
    );
    assert_eq!(dec(open[0]["origQty"].as_str().unwrap()), q("0.1").value());
    assert_eq!(venue.open_orders(Some("BTCUSDT")).len(), 1);
    assert_eq!(
        venue.order(&second).unwrap().status,
        OrderState::PartiallyCanceled
    );

    let (status, body) = signed(&sim, Method::GET, "/mexc/api/v3/account", "")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let rest: Vec<(String, Decimal, Decimal)> = json(&body)["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["asset"].as_str().unwrap().to_owned(),
                dec(b["free"].as_str().unwrap()),
                dec(b["locked"].as_str().unwrap()),
            )
        })
        .collect();
    let truth: Vec<(String, Decimal, Decimal)> = after
        .iter()
        .map(|b| (b.asset.to_string(), b.free, b.locked))
        .collect();
    assert_eq!(rest, truth);
    sim.shutdown().await;
}

#[tokio::test]
async fn order_and_trade_history_match_the_ledger() {
    let (sim, venue) = start(paused_config()).await;
    let p = |text: &str| Price::parse(text).unwrap();
    let q = |text: &str| Quantity::parse(text).unwrap();
    let first = venue
        .place_order("BTCUSDT", Side::Buy, p("60000"), q("0.5"))
        .unwrap();
    venue.fill(&first, q("0.2")).unwrap();
    venue.fill(&first, q("0.3")).unwrap();
    let second = venue
        .place_order("BTCUSDT", Side::Sell, p("70000"), q("1"))
        .unwrap();
    venue.fill(&second, q("0.4")).unwrap();
    venue.cancel(&second).unwrap();
    let other = venue
        .place_order("ETHUSDT", Side::Sell, p("4000"), q("1"))
        .unwrap();
    let deals: Vec<_> = venue
        .private_events()
        .into_iter()
        .filter_map(|e| match e.push {
            PrivatePush::Deal(deal) => Some(deal),
            _ => None,
        })
        .collect();
    assert_eq!(deals.len(), 3);

    // myTrades: oldest first, the pushes' trade ids, orders and times.
    let (status, body) = signed(&sim, Method::GET, "/mexc/api/v3/myTrades", "symbol=BTCUSDT")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let trades = json(&body);
    let trades = trades.as_array().unwrap();
    assert_eq!(trades.len(), 3);
    for (rest, deal) in trades.iter().zip(&deals) {
        assert_eq!(rest["id"], deal.trade_id.as_str());
        assert_eq!(rest["orderId"], deal.order_id.as_str());
        assert_eq!(rest["time"], deal.time);
        assert_eq!(rest["symbol"], "BTCUSDT");
        assert_eq!(dec(rest["qty"].as_str().unwrap()), deal.quantity.value());
        assert_eq!(dec(rest["price"].as_str().unwrap()), deal.price.value());
        assert_eq!(rest["isBuyer"], deal.side == Side::Buy);
        assert_eq!(rest["orderListId"], -1);
        assert_eq!(rest["isMaker"], true);
        assert_eq!(rest["commissionAsset"], "USDT");
    }
    // Members in the documented order.
    let names = [
        "symbol",
        "id",
        "orderId",
        "orderListId",
        "price",
        "qty",
        "quoteQty",
        "commission",
        "commissionAsset",
        "time",
        "isBuyer",
        "isMaker",
        "isBestMatch",
        "isSelfTrade",
        "clientOrderId",
    ];
    assert_eq!(trades[0].as_object().unwrap().len(), names.len());
    let first_trade = &body[..body.find('}').unwrap()];
    let positions: Vec<usize> = names
        .iter()
        .map(|name| first_trade.find(&format!("\"{name}\":")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "{first_trade}");
    assert!(trades[0]["clientOrderId"].is_null());
    assert_eq!(
        dec(trades[2]["quoteQty"].as_str().unwrap()),
        Decimal::from(28_000u32)
    );
    // Filters: order, time window, limit (the first ones from a start, else the latest).
    let query = format!("symbol=BTCUSDT&orderId={second}");
    let (_, body) = signed(&sim, Method::GET, "/mexc/api/v3/myTrades", &query)
        .await
        .unwrap();
    assert_eq!(json(&body).as_array().map(Vec::len), Some(1));
    let query = format!("symbol=BTCUSDT&startTime={}&limit=2", deals[0].time);
    let (_, body) = signed(&sim, Method::GET, "/mexc/api/v3/myTrades", &query)
        .await
        .unwrap();
    let from_start = json(&body);
    assert_eq!(from_start[0]["id"], deals[0].trade_id.as_str());
    assert_eq!(from_start.as_array().map(Vec::len), Some(2));
    let (_, body) = signed(
        &sim,
        Method::GET,
        "/mexc/api/v3/myTrades",
        "symbol=BTCUSDT&limit=1",
    )
    .await
    .unwrap();
    assert_eq!(json(&body)[0]["id"], deals[2].trade_id.as_str());
    let query = format!("symbol=BTCUSDT&endTime={}", deals[0].time - 1);
    let (_, body) = signed(&sim, Method::GET, "/mexc/api/v3/myTrades", &query)
        .await
        .unwrap();
    assert_eq!(json(&body), serde_json::json!([]));
    for (query, code) in [
        ("", -1102),
        ("symbol=NOPEUSDT", -1121),
        ("symbol=BTCUSDT&limit=101", -1100),
        ("symbol=BTCUSDT&startTime=x", -1100),
    ] {
        let (status, body) = signed(&sim, Method::GET, "/mexc/api/v3/myTrades", query)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(json(&body)["code"], code, "{query}");
    }

    // order: one order, open or not, in the openOrders shape.
    let query = format!("symbol=BTCUSDT&orderId={second}");
    let (status, body) = signed(&sim, Method::GET, "/mexc/api/v3/order", &query)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let order = json(&body);
    let truth = venue.order(&second).unwrap();
    assert_eq!(order["orderId"], second.as_str());
    assert_eq!(order["status"], "PARTIALLY_CANCELED");
    assert_eq!(order["side"], "SELL");
    assert_eq!(
        dec(order["executedQty"].as_str().unwrap()),
        q("0.4").value()
    );
    assert_eq!(order["updateTime"], truth.update_time);
    assert_eq!(order["time"], truth.create_time);
    let query = format!("symbol=BTCUSDT&orderId={first}");
    let (_, body) = signed(&sim, Method::GET, "/mexc/api/v3/order", &query)
        .await
        .unwrap();
    assert_eq!(json(&body)["status"], "FILLED");
    let query = format!("symbol=ETHUSDT&origClientOrderId={other}");
    let (_, body) = signed(&sim, Method::GET, "/mexc/api/v3/order", &query)
        .await
        .unwrap();
    assert_eq!(json(&body)["status"], "NEW");
    for query in [
        format!("symbol=ETHUSDT&orderId={first}"),
        "symbol=BTCUSDT&orderId=C02__1".to_owned(),
    ] {
        let (status, body) = signed(&sim, Method::GET, "/mexc/api/v3/order", &query)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(json(&body)["code"], -2013);
        assert_eq!(json(&body)["msg"], "Order does not exist.");
    }
    let (_, body) = signed(&sim, Method::GET, "/mexc/api/v3/order", "symbol=BTCUSDT")
        .await
        .unwrap();
    assert_eq!(json(&body)["code"], -1102);

    // allOrders: every order of the symbol, by creation time.
    let (status, body) = signed(
        &sim,
        Method::GET,
        "/mexc/api/v3/allOrders",
        "symbol=BTCUSDT",
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    let all = json(&body);
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
    let query = format!("symbol=BTCUSDT&startTime={}", truth.create_time + 1);
    let (_, body) = signed(&sim, Method::GET, "/mexc/api/v3/allOrders", &query)
        .await
        .unwrap();
    assert_eq!(json(&body), serde_json::json!([]));
    let (status, _) = http(
        &sim,
        Method::GET,
        "/mexc/api/v3/myTrades?symbol=BTCUSDT",
        Some(DEFAULT_API_KEY),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "unsigned");
    let (status, _) = signed(
        &sim,
        Method::DELETE,
        "/mexc/api/v3/allOrders",
        "symbol=BTCUSDT",
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    sim.shutdown().await;
}

#[tokio::test]
async fn automatic_private_flow_produces_a_lifecycle() {
    let config = MexcConfig {
        private_flow: PrivateFlow::Automatic {
            every: Duration::from_millis(10),
        },
        ..paused_config()
    };
    let (sim, venue) = start(config).await;
    timeout(WAIT, async {
        while venue.private_events().len() < 14 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let statuses: Vec<OrderState> = venue
        .private_events()
        .iter()
        .filter_map(|e| match &e.push {
            PrivatePush::Order(o) => Some(o.status),
            _ => None,
        })
        .take(5)
        .collect();
    assert_eq!(
        statuses,
        [
            OrderState::New,
            OrderState::PartiallyFilled,
            OrderState::Filled,
            OrderState::New,
            OrderState::Canceled
        ]
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------- book sync (test side)

/// A local book built as the docs say (§1.9), from a REST snapshot and depth pushes.
#[derive(Debug)]
struct LocalBook {
    version: u64,
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    pushes: usize,
    multi_version_pushes: usize,
}

impl LocalBook {
    fn from_snapshot(snapshot: &RestDepth) -> Self {
        Self {
            version: snapshot.last_update_id,
            bids: snapshot.bids.iter().copied().collect(),
            asks: snapshot.asks.iter().copied().collect(),
            pushes: 0,
            multi_version_pushes: 0,
        }
    }

    /// Applies a push that must follow on directly.
    fn apply(&mut self, push: &DepthPush) -> anyhow::Result<()> {
        ensure!(
            push.from == self.version + 1,
            "gap: book at {}, push {}..={}",
            self.version,
            push.from,
            push.to
        );
        self.apply_levels(push);
        Ok(())
    }

    fn apply_levels(&mut self, push: &DepthPush) {
        for (side, levels) in [(&mut self.bids, &push.bids), (&mut self.asks, &push.asks)] {
            for &(price, quantity) in levels {
                if quantity.is_zero() {
                    side.remove(&price);
                } else {
                    side.insert(price, quantity);
                }
            }
        }
        self.version = push.to;
        self.pushes += 1;
        if push.to > push.from {
            self.multi_version_pushes += 1;
        }
    }

    fn is_crossed(&self) -> bool {
        match (self.bids.keys().next_back(), self.asks.keys().next()) {
            (Some(bid), Some(ask)) => bid >= ask,
            _ => false,
        }
    }

    fn assert_matches(&self, truth: &BookTruth) {
        assert_eq!(self.version, truth.version);
        let bids: Vec<(Decimal, Decimal)> = self.bids.iter().rev().map(|(p, q)| (*p, *q)).collect();
        let asks: Vec<(Decimal, Decimal)> = self.asks.iter().map(|(p, q)| (*p, *q)).collect();
        assert_eq!(bids, levels(&truth.bids), "bids at {}", truth.version);
        assert_eq!(asks, levels(&truth.asks), "asks at {}", truth.version);
    }
}

/// Steps 1–5 of §1.9: buffer, snapshot (again while too old), drop, check, apply.
async fn sync_book(sim: &Simulator, ws: &mut Ws, symbol: &str) -> anyhow::Result<LocalBook> {
    let mut buffered = VecDeque::new();
    buffered.push_back(depth_push(&next_binary(ws).await?)?);
    let snapshot = loop {
        let snapshot = rest_depth(sim, symbol, 5000).await?;
        if snapshot.last_update_id >= buffered[0].from {
            break snapshot;
        }
        buffered.push_back(depth_push(&next_binary(ws).await?)?);
    };
    buffered.retain(|push| push.to > snapshot.last_update_id);
    while buffered.is_empty() {
        let push = depth_push(&next_binary(ws).await?)?;
        if push.to > snapshot.last_update_id {
            buffered.push_back(push);
        }
    }
    let mut book = LocalBook::from_snapshot(&snapshot);
    let first = buffered.pop_front().context("nothing buffered")?;
    ensure!(
        first.from <= snapshot.last_update_id + 1,
        "snapshot too old for the stream"
    );
    book.apply_levels(&first);
    for push in &buffered {
        book.apply(push)?;
    }
    Ok(book)
}

/// Applies pushes for `duration`, checking continuity and that the book never crosses.
async fn run_book(ws: &mut Ws, book: &mut LocalBook, duration: Duration) -> anyhow::Result<()> {
    let end = tokio::time::Instant::now() + duration;
    while let Ok(frame) = tokio::time::timeout_at(end, ws.read_frame()).await {
        let frame = frame?;
        ensure!(frame.opcode == OpCode::Binary, "{:?}", frame.opcode);
        book.apply(&depth_push(&frame.payload)?)?;
        ensure!(!book.is_crossed(), "crossed at {}", book.version);
    }
    Ok(())
}

async fn catch_up(ws: &mut Ws, book: &mut LocalBook, version: u64) -> anyhow::Result<()> {
    while book.version < version {
        book.apply(&depth_push(&next_binary(ws).await?)?)?;
    }
    ensure!(
        book.version == version,
        "overshot: {} > {version}",
        book.version
    );
    Ok(())
}

// ---------------------------------------------------------------- protobuf reader (test side)

#[derive(Debug, Clone)]
enum Val {
    Varint(u64),
    Fixed64(u64),
    Bytes(Vec<u8>),
    Fixed32(u32),
}

impl Val {
    fn wire_type(&self) -> u8 {
        match self {
            Val::Varint(_) => 0,
            Val::Fixed64(_) => 1,
            Val::Bytes(_) => 2,
            Val::Fixed32(_) => 5,
        }
    }
}

/// A decoded message: every field in wire order, unknown ones included.
#[derive(Debug, Clone)]
struct Msg {
    fields: Vec<(u32, Val)>,
}

impl Msg {
    /// The last occurrence of a field (proto3: last one wins).
    fn field(&self, number: u32) -> Option<&Val> {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| *n == number)
            .map(|(_, v)| v)
    }

    fn string(&self, number: u32) -> String {
        match self.field(number) {
            Some(Val::Bytes(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        }
    }

    fn int(&self, number: u32) -> Option<u64> {
        match self.field(number) {
            Some(Val::Varint(value)) => Some(*value),
            _ => None,
        }
    }

    fn messages(&self, number: u32) -> Vec<Msg> {
        self.fields
            .iter()
            .filter(|(n, _)| *n == number)
            .filter_map(|(_, v)| match v {
                Val::Bytes(bytes) => decode(bytes).ok(),
                _ => None,
            })
            .collect()
    }
}

fn decode(bytes: &[u8]) -> anyhow::Result<Msg> {
    let mut pos = 0;
    let mut fields = Vec::new();
    while pos < bytes.len() {
        let tag = varint(bytes, &mut pos)?;
        let number = u32::try_from(tag >> 3)?;
        ensure!(number > 0, "field number 0");
        let value = match tag & 7 {
            0 => Val::Varint(varint(bytes, &mut pos)?),
            1 => Val::Fixed64(u64::from_le_bytes(take(bytes, &mut pos, 8)?.try_into()?)),
            2 => {
                let len = usize::try_from(varint(bytes, &mut pos)?)?;
                Val::Bytes(take(bytes, &mut pos, len)?.to_vec())
            }
            5 => Val::Fixed32(u32::from_le_bytes(take(bytes, &mut pos, 4)?.try_into()?)),
            other => bail!("wire type {other}"),
        };
        fields.push((number, value));
    }
    Ok(Msg { fields })
}

fn varint(bytes: &[u8], pos: &mut usize) -> anyhow::Result<u64> {
    let mut value = 0u64;
    for shift in 0..10 {
        let byte = *bytes.get(*pos).context("varint past the end")?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << (7 * shift);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    bail!("varint longer than ten bytes")
}

fn take<'a>(bytes: &'a [u8], pos: &mut usize, len: usize) -> anyhow::Result<&'a [u8]> {
    let end = pos.checked_add(len).context("length overflow")?;
    let slice = bytes.get(*pos..end).context("length past the end")?;
    *pos = end;
    Ok(slice)
}

#[derive(Debug)]
struct Push {
    channel: String,
    symbol: Option<String>,
    body_field: u32,
    body: Msg,
}

fn decode_push(bytes: &[u8]) -> anyhow::Result<Push> {
    let wrapper = decode(bytes)?;
    let (body_field, body) = wrapper
        .fields
        .iter()
        .find_map(|(n, v)| match v {
            Val::Bytes(b) if (301..=315).contains(n) => Some((*n, b)),
            _ => None,
        })
        .context("no body")?;
    ensure!(wrapper.int(6).is_some(), "sendTime missing");
    Ok(Push {
        channel: wrapper.string(1),
        symbol: wrapper.field(3).map(|_| wrapper.string(3)),
        body_field,
        body: decode(body)?,
    })
}

#[derive(Debug)]
struct DepthPush {
    from: u64,
    to: u64,
    bids: Vec<(Decimal, Decimal)>,
    asks: Vec<(Decimal, Decimal)>,
}

fn depth_push(bytes: &[u8]) -> anyhow::Result<DepthPush> {
    let push = decode_push(bytes)?;
    ensure!(push.body_field == 313, "body {}", push.body_field);
    ensure!(
        push.channel
            .starts_with("spot@public.aggre.depth.v3.api.pb@")
    );
    ensure!(push.channel.starts_with(&push.body.string(3)), "eventType");
    Ok(DepthPush {
        from: push.body.string(4).parse()?,
        to: push.body.string(5).parse()?,
        bids: items(&push.body, 2),
        asks: items(&push.body, 1),
    })
}

fn items(body: &Msg, number: u32) -> Vec<(Decimal, Decimal)> {
    body.messages(number)
        .iter()
        .map(|item| (dec(&item.string(1)), dec(&item.string(2))))
        .collect()
}

// ---------------------------------------------------------------- REST helpers

struct RestDepth {
    last_update_id: u64,
    bids: Vec<(Decimal, Decimal)>,
    asks: Vec<(Decimal, Decimal)>,
    raw: String,
}

async fn rest_depth(sim: &Simulator, symbol: &str, limit: usize) -> anyhow::Result<RestDepth> {
    let path = format!("/mexc/api/v3/depth?symbol={symbol}&limit={limit}");
    let (status, body) = http(sim, Method::GET, &path, None).await?;
    ensure!(status == StatusCode::OK, "{status}: {body}");
    ensure!(
        body.starts_with(r#"{"lastUpdateId":"#),
        "member order: {body}"
    );
    let value: Value = serde_json::from_str(&body)?;
    let side = |name: &str| -> anyhow::Result<Vec<(Decimal, Decimal)>> {
        value[name]
            .as_array()
            .context("side")?
            .iter()
            .map(|level| {
                Ok((
                    Decimal::parse(level[0].as_str().context("price")?)?,
                    Decimal::parse(level[1].as_str().context("quantity")?)?,
                ))
            })
            .collect()
    };
    Ok(RestDepth {
        last_update_id: value["lastUpdateId"].as_u64().context("lastUpdateId")?,
        bids: side("bids")?,
        asks: side("asks")?,
        raw: body.clone(),
    })
}

/// A SIGNED call: `params` plus `timestamp`, signed with the default secret.
async fn signed(
    sim: &Simulator,
    method: Method,
    path: &str,
    params: &str,
) -> anyhow::Result<(StatusCode, String)> {
    let sep = if params.is_empty() { "" } else { "&" };
    let query = format!("{params}{sep}timestamp={}", now_ms());
    http(
        sim,
        method,
        &signed_path(path, &query),
        Some(DEFAULT_API_KEY),
    )
    .await
}

fn signed_path(path: &str, query: &str) -> String {
    format!(
        "{path}?{query}&signature={}",
        sign(DEFAULT_API_SECRET, query)
    )
}

async fn http(
    sim: &Simulator,
    method: Method,
    target: &str,
    api_key: Option<&str>,
) -> anyhow::Result<(StatusCode, String)> {
    let io = TcpStream::connect(sim.addr()).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(target)
        .header("Host", format!("127.0.0.1:{}", sim.addr().port()))
        .header("Content-Type", "application/json");
    if let Some(key) = api_key {
        request = request.header("X-MEXC-APIKEY", key);
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
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

// ---------------------------------------------------------------- WebSocket helpers

async fn start(config: MexcConfig) -> (Simulator, Arc<MexcVenue>) {
    let venue = Arc::new(MexcVenue::new(config).unwrap());
    let sim = timeout(
        WAIT,
        Simulator::start(SimConfig::default().mount("/mexc", venue.clone())),
    )
    .await
    .unwrap()
    .unwrap();
    (sim, venue)
}

fn paused_config() -> MexcConfig {
    MexcConfig {
        generator: Generator::Paused,
        ..MexcConfig::default()
    }
}

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

/// The ten public channels of a symbol.
fn public_channels(symbol: &str) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["depth", "deals", "bookTicker"] {
        for interval in ["10ms", "100ms"] {
            out.push(format!(
                "spot@public.aggre.{kind}.v3.api.pb@{interval}@{symbol}"
            ));
        }
    }
    for levels in [5, 10, 20] {
        out.push(format!(
            "spot@public.limit.depth.v3.api.pb@{symbol}@{levels}"
        ));
    }
    out.push(format!("spot@public.bookTicker.batch.v3.api.pb@{symbol}"));
    out
}

fn json_request(method: &str, params: &[&str], id: Option<u64>) -> String {
    let mut value = serde_json::json!({ "method": method, "params": params });
    if let Some(id) = id {
        value["id"] = id.into();
    }
    value.to_string()
}

/// A public connection subscribed to one channel (ack checked).
async fn subscribed(sim: &Simulator, channel: &str) -> Ws {
    let mut ws = connect(sim, "/mexc/ws").await.unwrap();
    let ack = format!(r#"{{"id":1,"code":0,"msg":"{channel}"}}"#);
    request(
        &mut ws,
        &json_request("SUBSCRIPTION", &[channel], Some(1)),
        &ack,
    )
    .await;
    ws
}

async fn connect(sim: &Simulator, path: &str) -> anyhow::Result<Ws> {
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
        Ok(ws)
    })
    .await?
}

async fn send(ws: &mut Ws, text: &str) {
    ws.write_frame(Frame::text(Payload::Borrowed(text.as_bytes())))
        .await
        .unwrap();
}

/// Sends `text` and expects exactly `reply` as the next frame.
async fn request(ws: &mut Ws, text: &str, reply: &str) {
    send(ws, text).await;
    assert_eq!(next_text(ws).await.unwrap(), reply, "reply to {text}");
}

async fn next_frame(ws: &mut Ws) -> anyhow::Result<(OpCode, Vec<u8>)> {
    let frame = timeout(WAIT, ws.read_frame()).await??;
    Ok((frame.opcode, frame.payload.to_vec()))
}

async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    match next_frame(ws).await? {
        (OpCode::Text, payload) => Ok(String::from_utf8(payload)?),
        (opcode, payload) => bail!("expected text, got {opcode:?} {payload:?}"),
    }
}

async fn next_text_skipping_binary(ws: &mut Ws) -> anyhow::Result<String> {
    for _ in 0..10_000 {
        match next_frame(ws).await? {
            (OpCode::Text, payload) => return Ok(String::from_utf8(payload)?),
            (OpCode::Binary, _) => {}
            (opcode, _) => bail!("expected text, got {opcode:?}"),
        }
    }
    bail!("no text frame")
}

async fn next_binary(ws: &mut Ws) -> anyhow::Result<Vec<u8>> {
    match next_frame(ws).await? {
        (OpCode::Binary, payload) => Ok(payload),
        (opcode, payload) => bail!(
            "expected binary, got {opcode:?} {:?}",
            String::from_utf8_lossy(&payload)
        ),
    }
}

/// Reads until a close frame; returns its code (`None` for an empty payload).
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

/// Nothing arrives for `quiet`, and the connection is not closed either.
async fn assert_silent(ws: &mut Ws, quiet: Duration) {
    if let Ok(read) = timeout(quiet, ws.read_frame()).await {
        panic!("expected silence, got {:?}", read.map(|f| f.opcode));
    }
}

fn levels(levels: &[market_types::Level]) -> Vec<(Decimal, Decimal)> {
    levels
        .iter()
        .map(|l| (l.price.value(), l.quantity.value()))
        .collect()
}

fn dec(text: &str) -> Decimal {
    Decimal::parse(text).unwrap_or_else(|err| panic!("{text:?}: {err}"))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    let (sim, venue) = start(paused_config()).await;
    let p = |text: &str| Price::parse(text).unwrap();
    let q = |text: &str| Quantity::parse(text).unwrap();
    let done = venue
        .place_order("BTCUSDT", Side::Buy, p("60000"), q("0.5"))
        .unwrap();
    venue.fill(&done, q("0.5")).unwrap();
    let open = venue
        .place_order("BTCUSDT", Side::Buy, p("50000"), q("0.1"))
        .unwrap();
    let all = venue.private_events();
    let taken = venue.take_private_events();
    assert_eq!(taken, all);
    assert!(venue.private_events().is_empty());
    assert!(venue.take_private_events().is_empty());
    assert!(venue.order(&done).is_none(), "a closed order is forgotten");
    assert!(venue.order(&open).is_some(), "an open order stays");
    venue.cancel(&open).unwrap();
    let next = venue.take_private_events();
    let last_seq = all.last().unwrap().seq;
    assert_eq!(
        next.first().unwrap().seq,
        last_seq + 1,
        "positions keep counting"
    );
    sim.shutdown().await;
}
