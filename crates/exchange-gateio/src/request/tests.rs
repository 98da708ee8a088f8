#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use market_types::Symbol;

use super::*;
use crate::subscription::UserId;
use crate::venue::BookDepth;

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

#[test]
fn renders_public_requests() {
    let sub =
        Subscription::order_book(Market::Spot, sym("BTC_USDT"), BookDepth::Levels100).unwrap();
    assert_eq!(
        sub.subscribe_request(1606292218, Some(7), None).unwrap(),
        r#"{"time":1606292218,"id":7,"channel":"spot.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}"#
    );
    let sub =
        Subscription::order_book(Market::Futures, sym("BTC_USDT"), BookDepth::Levels20).unwrap();
    assert_eq!(
        sub.unsubscribe_request(5, None, None).unwrap(),
        r#"{"time":5,"channel":"futures.order_book_update","event":"unsubscribe","payload":["BTC_USDT","20ms","20"]}"#
    );
    let sub =
        Subscription::symbols(Channel::SpotTrades, [sym("BTC_USDT"), sym("GT_USDT")]).unwrap();
    assert_eq!(
        sub.subscribe_request(1, None, None).unwrap(),
        r#"{"time":1,"channel":"spot.trades","event":"subscribe","payload":["BTC_USDT","GT_USDT"]}"#
    );
    assert_eq!(
        ping_request(Market::Futures, 1545404023, None),
        r#"{"time":1545404023,"channel":"futures.ping"}"#
    );
}

#[test]
fn renders_signed_private_requests() {
    // The request of fixture gateio_spot_client_request_auth.json, signed with the
    // spec §3.2 vector's secret.
    let creds = Credentials::new("xxxx", "YOUR_API_SECRET");
    let sub =
        Subscription::symbols(Channel::SpotOrders, [sym("BTC_USDT"), sym("GT_USDT")]).unwrap();
    let text = sub
        .subscribe_request(1611541000, Some(123456789), Some(&creds))
        .unwrap();
    assert_eq!(
        text,
        concat!(
            r#"{"time":1611541000,"id":123456789,"channel":"spot.orders","event":"subscribe","#,
            r#""payload":["BTC_USDT","GT_USDT"],"auth":{"method":"api_key","KEY":"xxxx","SIGN":"#,
            r#""4cec593ad7b7ea6592e2be81f3646a727f5a9ca3a1b90bef3bf9242f62f10e8ab0e3967ba96d1df4ece3a656a77d92b0fb4351321fd3564a125f4652a22deed1"}}"#
        )
    );
    assert!(matches!(
        sub.subscribe_request(1, None, None),
        Err(Error::MissingCredentials {
            channel: Channel::SpotOrders
        })
    ));

    let sub = Subscription::new(
        Channel::FuturesOrders,
        Payload::User {
            user_id: UserId(20011),
            symbols: vec![],
        },
    )
    .unwrap();
    let text = sub.subscribe_request(1, None, Some(&creds)).unwrap();
    assert!(text.contains(r#""payload":["20011","!all"]"#), "{text}");
    let sub = Subscription::new(
        Channel::FuturesBalances,
        Payload::User {
            user_id: UserId(20011),
            symbols: vec![],
        },
    )
    .unwrap();
    let text = sub.subscribe_request(1, None, Some(&creds)).unwrap();
    assert!(text.contains(r#""payload":["20011"]"#), "{text}");
    let sub = Subscription::new(Channel::SpotBalances, Payload::Empty).unwrap();
    let text = sub.subscribe_request(1, None, Some(&creds)).unwrap();
    assert!(!text.contains("payload"), "{text}");
}

#[test]
fn refuses_mismatched_payloads() {
    assert!(matches!(
        Subscription::order_book(Market::Spot, sym("BTC_USDT"), BookDepth::Levels50),
        Err(Error::UnsupportedDepth { levels: 50, .. })
    ));
    for (channel, payload) in [
        (Channel::SpotPing, Payload::Empty),
        (
            Channel::SpotOrderBookUpdate,
            Payload::Symbols(vec![sym("A_B")]),
        ),
        (
            Channel::SpotTrades,
            Payload::OrderBook {
                symbol: sym("A_B"),
                depth: BookDepth::Levels20,
            },
        ),
        (Channel::SpotTrades, Payload::Empty),
        (Channel::SpotTrades, Payload::All),
        (Channel::SpotTrades, Payload::Symbols(vec![])),
        (Channel::FuturesOrders, Payload::All),
        (
            Channel::SpotOrders,
            Payload::User {
                user_id: UserId(1),
                symbols: vec![],
            },
        ),
    ] {
        let result = Subscription::new(channel, payload.clone());
        assert!(result.is_err(), "{channel} {payload:?}");
        assert!(result.unwrap_err().is_fatal());
    }
    assert!(Subscription::new(Channel::SpotOrders, Payload::All).is_ok());
}
