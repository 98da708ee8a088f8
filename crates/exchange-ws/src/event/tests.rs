use market_types::{Price, Quantity, Side, TradeId};
use ws_mixins::PublicWebSocketMixin;

use super::*;

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

#[test]
fn trade_line_has_exact_decimals_and_documented_key_order() {
    let mut sink = EventSink::new(Venue::GateioSpot, 5);
    sink.set_receive_ts(1_700_000_000_000_000_123);
    sink.on_trade(&Trade {
        venue: Venue::GateioSpot,
        symbol: sym("BTC_USDT"),
        trade_id: TradeId::new("42").unwrap(),
        price: Price::parse("64250.10").unwrap(),
        quantity: Quantity::parse("0.00012").unwrap(),
        taker_side: Some(Side::Buy),
        exchange_time_ms: 1_700_000_000_000,
    });
    let events: Vec<Event> = sink.drain().collect();
    assert_eq!(
        events[0].to_json(),
        r#"{"kind":"trade","venue":"gateio-spot","symbol":"BTC_USDT","trade_id":"42","price":"64250.1","quantity":"0.00012","side":"buy","exchange_ts_ms":1700000000000,"receive_ts_ns":1700000000000000123}"#
    );
    assert_eq!(events[0].subject(), "md.gateio-spot.BTC_USDT.trade");
}

#[test]
fn book_line_lists_levels_best_first() {
    let mut book = OrderBook::with_capacity(sym("BTCUSDT"), 4);
    book.apply(
        Side::Buy,
        Price::parse("1").unwrap(),
        Quantity::parse("2").unwrap(),
    )
    .unwrap();
    book.apply(
        Side::Buy,
        Price::parse("1.5").unwrap(),
        Quantity::parse("1").unwrap(),
    )
    .unwrap();
    book.apply(
        Side::Sell,
        Price::parse("3").unwrap(),
        Quantity::parse("4").unwrap(),
    )
    .unwrap();
    book.set_update_id(9);
    let event = Event {
        venue: Venue::MexcSpot,
        receive_ts_ns: 5,
        body: EventBody::Book(BookLine::from_book(&book, BookStatus::Live)),
    };
    assert_eq!(
        event.to_json(),
        r#"{"kind":"book","venue":"mexc-spot","symbol":"BTCUSDT","status":"live","update_id":9,"bids":[["1.5","1"],["1","2"]],"asks":[["3","4"]],"receive_ts_ns":5}"#
    );
}

#[test]
fn subjects() {
    let balance = Event {
        venue: Venue::GateioFutures,
        receive_ts_ns: 0,
        body: EventBody::Balance(Balance {
            venue: Venue::GateioFutures,
            asset: market_types::Asset::new("USDT").unwrap(),
            available: market_types::Decimal::parse("1").unwrap(),
            locked: market_types::Decimal::ZERO,
            time_ms: 0,
        }),
    };
    assert_eq!(balance.subject(), "acct.gateio-futures.balance");
    let error = Event {
        venue: Venue::MexcSpot,
        receive_ts_ns: 0,
        body: EventBody::Error {
            category: ErrorCategory::Rest,
            message: "x".into(),
        },
    };
    assert_eq!(error.subject(), "wsx.mexc-spot.error");
    assert_eq!(subject_token("A.B C"), "A_B_C");
}
