#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

//! The JSON fixtures (spec §6.2): control replies, requests, REST answers, and the two
//! signature vectors of spec §1.8.

mod common;

use common::{at, data, json, p, q, sym};
use exchange_mexc::{
    AggInterval, Channel, ControlReply, Credentials, Error, RestSigner, check_ack, parse_control,
    parse_depth_snapshot, parse_listen_key, parse_listen_keys, ping, subscribe, unsubscribe,
};
use ws_core::{OutFrame, RestMethod, RestRequestId};

fn btc_deals() -> Channel {
    Channel::AggreDeals {
        symbol: sym("BTCUSDT"),
        interval: AggInterval::Ms100,
    }
}

fn frame_json(frame: &OutFrame) -> serde_json::Value {
    match frame {
        OutFrame::Text(bytes) => serde_json::from_slice(bytes).unwrap(),
        OutFrame::Binary(_) => panic!("requests are text"),
    }
}

#[test]
fn subscribe_ack_confirms_the_request() {
    let body = data("mexc_subscribe_ack.json");
    let reply = parse_control(&body).unwrap();
    assert_eq!(
        reply,
        ControlReply::Ack {
            id: 0,
            msg: "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT".into()
        }
    );
    reply.confirms(&[btc_deals()]).unwrap();
    let other = Channel::AggreDeals {
        symbol: sym("BTCUSDT"),
        interval: AggInterval::Ms10,
    };
    assert!(matches!(
        reply.confirms(&[other]),
        Err(Error::AckMismatch { .. })
    ));
}

#[test]
fn unsubscribe_ack_of_the_docs_names_another_channel() {
    // The documented unsubscribe ack echoes a different channel than the documented
    // request (a doc slip); checking it against the request catches exactly that.
    let body = data("mexc_unsubscribe_ack.json");
    let reply = parse_control(&body).unwrap();
    let ControlReply::Ack { msg, .. } = &reply else {
        panic!("not an ack")
    };
    assert_eq!(msg, "spot@public.increase.depth.v3.api.pb@BTCUSDT");
    let error = reply.confirms(&[btc_deals()]).unwrap_err();
    assert!(matches!(error, Error::AckMismatch { .. }));
}

#[test]
fn pong() {
    assert_eq!(
        parse_control(&data("mexc_pong.json")).unwrap(),
        ControlReply::Pong
    );
}

#[test]
fn blocked_subscription_is_a_typed_error_naming_the_channels() {
    let body = data("mexc_subscribe_blocked_thirdparty.json");
    // Still code 0, with the full-width colon and the trailing space.
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.contains("\"code\": 0"));
    assert!(text.contains(".  Reason\u{ff1a} Blocked! \""));
    match parse_control(&body) {
        Err(Error::SubscriptionRejected { channels, reason }) => {
            assert_eq!(
                channels,
                [
                    "spot@public.increase.depth.v3.api@BTCUSDT",
                    "spot@public.aggre.deals.v3.api.pb@BTCUSDT",
                    "spot@public.aggre.bookTicker.v3.api.pb@BTCUSDT",
                ]
            );
            assert_eq!(reason, "Blocked!");
        }
        other => panic!("{other:?}"),
    }
    // None of the refused channels is one this crate would send.
    for channel in [
        "spot@public.increase.depth.v3.api@BTCUSDT",
        "spot@public.aggre.deals.v3.api.pb@BTCUSDT",
    ] {
        assert!(Channel::parse(channel).is_err());
    }
}

#[test]
fn non_zero_codes_are_venue_errors() {
    match parse_control(br#"{"id":0,"code":30001,"msg":"subscription limit"}"#) {
        Err(Error::VenueError { code, msg }) => {
            assert_eq!(code, 30001);
            assert_eq!(msg, "subscription limit");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn requests_match_the_documented_ones() {
    // Ours carry an `id` the docs leave out (spec §1.3 recommends sending one).
    let mut ours = frame_json(&subscribe(&[btc_deals()], 5).unwrap());
    assert_eq!(ours["id"], 5);
    ours.as_object_mut().unwrap().remove("id");
    assert_eq!(ours, json("mexc_subscribe_request.json"));

    let mut ours = frame_json(&unsubscribe(&[btc_deals()], 6).unwrap());
    ours.as_object_mut().unwrap().remove("id");
    assert_eq!(ours, json("mexc_unsubscribe_request.json"));

    assert_eq!(frame_json(&ping()), json("mexc_ping_request.json"));
    check_ack(
        "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
        &[btc_deals()],
    )
    .unwrap();
}

#[test]
fn rest_depth_snapshot() {
    let snapshot = parse_depth_snapshot(&data("mexc_rest_depth_snapshot.json")).unwrap();
    assert_eq!(snapshot.last_update_id, 1_112_416);
    assert_eq!(snapshot.bids, [(p("15.00000"), q("49999.00000"))]);
    assert_eq!(snapshot.asks, [(p("14.0000"), q("1.0000"))]);
}

#[test]
fn listen_key_replies() {
    assert_eq!(
        parse_listen_key(&data("mexc_listen_key_response.json")).unwrap(),
        "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
    );
    let keys = parse_listen_keys(&data("mexc_listen_keys_list_response.json")).unwrap();
    assert_eq!(keys.len(), 3);
    assert_eq!(
        keys[0],
        "c285bc363cfeac6646576b801a2ed1f9523310fcda9e927e509aaaaaaaaaaaaaa"
    );
    assert!(matches!(
        parse_listen_key(b"{\"code\":700002}"),
        Err(Error::Json { .. })
    ));
}

#[test]
fn signature_vectors() {
    let credentials = Credentials::new("api-key", "45d0b3c26f2644f19bfb98b07741b2f5");
    assert_eq!(
        credentials.sign(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
        ),
        "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
    );
    assert_eq!(
        credentials.sign("timestamp=1644489390087"),
        "09b4b5a40aeec864d2caa60f2e6a740b61dc423d76c5615c00fd72681f52a094"
    );

    // The listen-key POST signs exactly `timestamp=<ms>`, with the time passed in.
    let signer = RestSigner::new("https://api.mexc.com", credentials);
    let mut now = at(0);
    now.unix_nanos = 1_644_489_390_087_000_000;
    let request = signer.create_listen_key(RestRequestId(1), now);
    assert_eq!(request.method, RestMethod::Post);
    assert_eq!(
        request.url,
        "https://api.mexc.com/api/v3/userDataStream?timestamp=1644489390087&signature=09b4b5a40aeec864d2caa60f2e6a740b61dc423d76c5615c00fd72681f52a094"
    );
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        headers,
        [
            ("X-MEXC-APIKEY", "api-key"),
            ("Content-Type", "application/json")
        ]
    );
}
