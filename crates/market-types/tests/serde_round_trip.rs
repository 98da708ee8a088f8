//! Serde round trips through `serde_json`, and the wire forms decimals and ids accept.

#![allow(clippy::unwrap_used, reason = "test assertions")]

use market_types::{
    Asset, Balance, BookStatus, BookStatusEvent, BookTicker, BookUpdate, BookUpdateKind,
    ClientOrderId, Decimal, Fill, Level, LiquidityRole, MarketEvent, Order, OrderId, OrderStatus,
    OrderType, Position, Price, PrivateEvent, Quantity, ResyncReason, Side, Symbol, Ticker, Trade,
    TradeId, Venue,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn symbol() -> Symbol {
    Symbol::new("BTC_USDT").unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{json}");
    json
}

#[test]
fn decimal_is_a_string_and_reads_strings_and_integers() {
    assert_eq!(serde_json::to_string(&d("-12.50")).unwrap(), r#""-12.5""#);
    assert_eq!(
        serde_json::from_str::<Decimal>(r#""0.00000000""#).unwrap(),
        Decimal::ZERO
    );
    assert_eq!(serde_json::from_str::<Decimal>("5116").unwrap(), d("5116"));
    assert_eq!(serde_json::from_str::<Decimal>("-3").unwrap(), d("-3"));
    assert!(
        serde_json::from_str::<Decimal>("1.5").is_err(),
        "floats are refused"
    );
    assert!(serde_json::from_str::<Decimal>(r#""1e5""#).is_err());
    assert!(serde_json::from_str::<Decimal>("18446744073709551615").is_err());
    assert!(serde_json::from_str::<Decimal>("null").is_err());
    round_trip(&d("0.000000000000000001"));
    round_trip(&Price::new(d("64250.1")));
    assert_eq!(
        serde_json::to_string(&Quantity::new(d("2"))).unwrap(),
        r#""2""#
    );
}

#[test]
fn identifiers_are_strings_and_ids_read_integers() {
    assert_eq!(serde_json::to_string(&symbol()).unwrap(), r#""BTC_USDT""#);
    round_trip(&symbol());
    round_trip(&Asset::new("USDT").unwrap());
    assert_eq!(
        serde_json::from_str::<TradeId>("309143071").unwrap(),
        "309143071"
    );
    assert_eq!(
        serde_json::from_str::<OrderId>(r#""C02__4437""#).unwrap(),
        "C02__4437"
    );
    assert!(serde_json::from_str::<OrderId>("-1").is_err());
    assert!(
        serde_json::from_str::<Symbol>("12").is_err(),
        "symbols are strings only"
    );
    assert!(serde_json::from_str::<Symbol>(r#""BTC USDT""#).is_err());
    assert!(serde_json::from_str::<Asset>(r#""""#).is_err());
    let escaped: Symbol = serde_json::from_str(r#""BTC\u005fUSDT""#).unwrap();
    assert_eq!(escaped, symbol());
}

#[test]
fn enums_use_stable_names() {
    assert_eq!(
        serde_json::to_string(&Venue::GateioFutures).unwrap(),
        r#""gateio-futures""#
    );
    assert_eq!(serde_json::to_string(&Side::Buy).unwrap(), r#""buy""#);
    assert_eq!(
        serde_json::to_string(&OrderStatus::PartiallyFilled).unwrap(),
        r#""partially_filled""#
    );
    assert_eq!(
        round_trip(&BookStatus::Resyncing(ResyncReason::Gap {
            expected: 10,
            received: 12
        })),
        r#"{"resyncing":{"gap":{"expected":10,"received":12}}}"#
    );
    assert_eq!(round_trip(&BookStatus::Live), r#""live""#);
}

#[test]
fn market_events_round_trip() {
    let trade = Trade {
        venue: Venue::GateioSpot,
        symbol: symbol(),
        trade_id: TradeId::from_u64(309_143_071),
        price: Price::new(d("64250.1")),
        quantity: Quantity::new(d("0.001")),
        taker_side: Some(Side::Sell),
        exchange_time_ms: 1_700_000_000_123,
    };
    let json = round_trip(&MarketEvent::Trade(trade));
    assert!(
        json.starts_with(r#"{"type":"trade","venue":"gateio-spot","symbol":"BTC_USDT""#),
        "{json}"
    );
    assert!(json.contains(r#""price":"64250.1""#), "{json}");

    round_trip(&MarketEvent::BookTicker(BookTicker {
        venue: Venue::MexcSpot,
        symbol: Symbol::new("BTCUSDT").unwrap(),
        bid: Some(Level::new(Price::new(d("1")), Quantity::new(d("2")))),
        ask: None,
        update_id: Some(7),
        exchange_time_ms: 1,
    }));
    round_trip(&MarketEvent::Ticker(Ticker {
        venue: Venue::GateioFutures,
        symbol: symbol(),
        last: Some(Price::new(d("100"))),
        best_bid: None,
        best_ask: None,
        high_24h: Some(Price::new(d("110"))),
        low_24h: Some(Price::new(d("90"))),
        base_volume: Some(d("12345.6")),
        quote_volume: None,
        change_percentage: Some(d("-1.25")),
        mark_price: Some(Price::new(d("100.01"))),
        index_price: Some(Price::new(d("100.02"))),
        funding_rate: Some(d("0.0001")),
        exchange_time_ms: 2,
    }));
    round_trip(&MarketEvent::BookUpdate(BookUpdate {
        venue: Venue::GateioSpot,
        symbol: symbol(),
        kind: BookUpdateKind::Delta,
        first_update_id: 10,
        last_update_id: 12,
        exchange_time_ms: 3,
    }));
    let status = MarketEvent::BookStatus(BookStatusEvent {
        venue: Venue::GateioSpot,
        symbol: symbol(),
        status: BookStatus::Resyncing(ResyncReason::Crossed),
    });
    round_trip(&status);
    assert_eq!(status.venue(), Venue::GateioSpot);
    assert_eq!(status.symbol(), symbol());
}

#[test]
fn private_events_round_trip() {
    round_trip(&PrivateEvent::Order(Order {
        venue: Venue::GateioSpot,
        symbol: symbol(),
        order_id: OrderId::from_u64(12_345),
        client_order_id: Some(ClientOrderId::new("t-abc123").unwrap()),
        side: Side::Buy,
        order_type: OrderType::PostOnly,
        price: Some(Price::new(d("64000"))),
        quantity: Quantity::new(d("0.5")),
        filled: Quantity::new(d("0.1")),
        average_price: Some(Price::new(d("64000"))),
        status: OrderStatus::PartiallyFilled,
        update_time_ms: 4,
    }));
    round_trip(&PrivateEvent::Fill(Fill {
        venue: Venue::MexcSpot,
        symbol: Symbol::new("BTCUSDT").unwrap(),
        trade_id: TradeId::new("T1").unwrap(),
        order_id: OrderId::new("C02__1").unwrap(),
        client_order_id: None,
        side: Side::Sell,
        price: Price::new(d("64001")),
        quantity: Quantity::new(d("0.1")),
        fee: d("-0.00001"),
        fee_asset: Some(Asset::new("USDT").unwrap()),
        role: Some(LiquidityRole::Maker),
        time_ms: 5,
    }));
    round_trip(&PrivateEvent::Balance(Balance {
        venue: Venue::GateioFutures,
        asset: Asset::new("USDT").unwrap(),
        available: d("1000.5"),
        locked: Decimal::ZERO,
        time_ms: 6,
    }));
    round_trip(&PrivateEvent::Position(Position {
        venue: Venue::GateioFutures,
        symbol: symbol(),
        size: d("-12"),
        entry_price: Some(Price::new(d("64000"))),
        leverage: Some(d("10")),
        liquidation_price: None,
        realised_pnl: Some(d("-0.0000000125")),
        time_ms: 7,
    }));
}
