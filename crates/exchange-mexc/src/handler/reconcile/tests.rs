#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use market_types::{Decimal, LiquidityRole, OrderStatus, OrderType, Price, Quantity, Side};

use super::parse::{parse_account, parse_order, parse_order_page, parse_orders, parse_trades};

#[test]
fn docs_samples() {
    let account = br#"{"makerCommission":null,"takerCommission":null,"buyerCommission":null,"sellerCommission":null,"canTrade":true,"canWithdraw":true,"canDeposit":true,"updateTime":null,"accountType":"SPOT","balances":[{"asset":"NBNTEST","free":"1111078","locked":"33"},{"asset":"MAIN","free":"1020000.0000000000000000001","locked":"0"}],"permissions":["SPOT"]}"#;
    let balances = parse_account(account, 7).unwrap();
    assert_eq!(balances.len(), 2);
    assert_eq!(balances[0].asset.as_str(), "NBNTEST");
    assert_eq!(balances[0].available, Decimal::from(1_111_078u32));
    assert_eq!(balances[0].locked, Decimal::from(33u32));
    assert_eq!(balances[1].available, Decimal::from(1_020_000u32));
    assert_eq!(balances[1].time_ms, 7);

    let orders = br#"[{"symbol":"LTCBTC","orderId":"C02__443776347957968896088","orderListId":-1,"clientOrderId":"","price":"0.1","origQty":"1.0","executedQty":"0.25","cummulativeQuoteQty":"0.025","status":"PARTIALLY_FILLED","timeInForce":"","type":"LIMIT","side":"BUY","stopPrice":"","icebergQty":"","time":1499827319559,"updateTime":1499827319999,"isWorking":true,"origQuoteOrderQty":"0.000000"},{"symbol":"LTCBTC","orderId":42,"price":"0.2","origQty":"2","executedQty":"0","status":"NEW","type":"LIMIT_MAKER","side":"SELL","time":5}]"#;
    let orders = parse_orders(orders).unwrap();
    assert_eq!(orders.len(), 2);
    let first = orders[0];
    assert_eq!(first.order_id.as_str(), "C02__443776347957968896088");
    assert_eq!(first.client_order_id, None);
    assert_eq!(first.status, OrderStatus::PartiallyFilled);
    assert_eq!(first.side, Side::Buy);
    assert_eq!(first.filled, Quantity::parse("0.25").unwrap());
    assert_eq!(first.price, Some(Price::parse("0.1").unwrap()));
    assert_eq!(first.update_time_ms, 1_499_827_319_999);
    assert_eq!(orders[1].order_id.as_str(), "42");
    assert_eq!(orders[1].order_type, OrderType::PostOnly);
    assert_eq!(orders[1].update_time_ms, 5);
}

#[test]
fn history_samples() {
    // "Account Trade List", docs sample.
    let trades = br#"[{"symbol":"BNBBTC","id":"fad2af9e942049b6adbda1a271f990c6","orderId":"bb41e5663e124046bd9497a3f5692f39","orderListId":-1,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012","commission":"10.10000000","commissionAsset":"BNB","time":1499865549590,"isBuyer":true,"isMaker":false,"isBestMatch":true,"isSelfTrade":true,"clientOrderId":null},{"symbol":"BNBBTC","id":7,"orderId":8,"price":"4","qty":"1","commission":"0","commissionAsset":"","time":1,"isBuyer":false,"isMaker":true}]"#;
    let fills = parse_trades(trades).unwrap();
    assert_eq!(fills.len(), 2);
    let first = fills[0];
    assert_eq!(first.trade_id.as_str(), "fad2af9e942049b6adbda1a271f990c6");
    assert_eq!(first.order_id.as_str(), "bb41e5663e124046bd9497a3f5692f39");
    assert_eq!(first.side, Side::Buy);
    assert_eq!(first.quantity, Quantity::parse("12").unwrap());
    assert_eq!(first.fee, Decimal::parse("10.1").unwrap());
    assert_eq!(first.fee_asset.map(|a| a.to_string()), Some("BNB".into()));
    assert_eq!(first.role, Some(LiquidityRole::Taker));
    assert_eq!(first.time_ms, 1_499_865_549_590);
    assert_eq!(first.client_order_id, None);
    assert_eq!(fills[1].trade_id.as_str(), "7");
    assert_eq!(fills[1].side, Side::Sell);
    assert_eq!(fills[1].fee_asset, None);

    // "Query Order", docs sample, then finished.
    let order = br#"{"symbol":"LTCBTC","orderId":"C02__443776347957968896088","orderListId":-1,"clientOrderId":"","price":"0.1","origQty":"1.0","executedQty":"1.0","cummulativeQuoteQty":"0.1","status":"FILLED","timeInForce":"","type":"LIMIT","side":"BUY","stopPrice":"","icebergQty":"","time":1499827319559,"updateTime":1499827319999,"isWorking":true,"origQuoteOrderQty":"0.000000"}"#;
    let order = parse_order(order).unwrap();
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.filled, Quantity::parse("1").unwrap());
    assert_eq!(order.update_time_ms, 1_499_827_319_999);

    // "All Orders" pages by creation time.
    let all = br#"[{"symbol":"LTCBTC","orderId":"1","price":"1","origQty":"1","executedQty":"0","status":"CANCELED","side":"SELL","time":30,"updateTime":90},{"symbol":"LTCBTC","orderId":"2","price":"1","origQty":"1","executedQty":"0","status":"NEW","side":"SELL","time":40,"updateTime":40}]"#;
    let (orders, newest) = parse_order_page(all).unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].status, OrderStatus::Canceled);
    assert_eq!(newest, Some(40));
}

#[test]
fn bad_answers_are_errors() {
    assert!(parse_account(b"{}", 0).is_err());
    assert!(
        parse_account(
            br#"{"balances":[{"asset":"X","free":1.5,"locked":"0"}]}"#,
            0
        )
        .is_err()
    );
    assert!(parse_orders(br#"{"code":700002,"msg":"x"}"#).is_err());
    assert!(parse_order(b"[]").is_err());
    assert!(parse_trades(br#"[{"symbol":"A","id":"1","orderId":"2","price":"x","qty":"1","time":1,"isBuyer":true}]"#).is_err());
    let bad_status = br#"[{"symbol":"A","orderId":"1","origQty":"1","executedQty":"0","status":"WEIRD","side":"BUY"}]"#;
    assert!(parse_orders(bad_status).is_err());
    assert_eq!(parse_orders(b"[]").unwrap(), Vec::new());
}

#[test]
fn client_errors_that_cannot_change_are_given_up_and_the_rest_retried() {
    use std::time::Duration;

    use market_types::{OrderId, Symbol};
    use ws_handlers::{Failure, ReconcileVenue, Sent};
    use ws_mixins::ReconcileScope;

    use super::venue::{Call, MexcReconcile};
    use crate::error::Error;

    let symbol = Symbol::new("NOPEUSDT").unwrap();
    let venue = MexcReconcile::new(None, vec![symbol]);
    let sent = Sent {
        sent_ms: 0,
        gap_start_ms: 0,
    };
    let rest = |status: u16, code: i64| Error::Rest {
        endpoint: "/api/v3/openOrders",
        status,
        code,
        msg: "x".into(),
    };
    let refused = venue.failure(Call::OpenOrders(symbol), &rest(400, -1121), sent);
    let Failure::Refused { message } = refused else {
        panic!("{refused:?}");
    };
    assert!(message.starts_with("NOPEUSDT not reconciled"), "{message}");
    let limited = Error::RateLimited {
        endpoint: "/api/v3/openOrders",
        status: 429,
        retry_after: Some(Duration::from_secs(3)),
    };
    for error in [limited, rest(400, 700_003), rest(503, 1)] {
        assert_eq!(
            venue.failure(Call::OpenOrders(symbol), &error, sent),
            Failure::Retry,
            "{error}"
        );
    }
    assert_eq!(
        venue.scope(Call::OpenOrders(symbol)),
        ReconcileScope::Symbol(symbol)
    );
    let order_id = OrderId::new("1").unwrap();
    assert_eq!(
        venue.scope(Call::Order { symbol, order_id }),
        ReconcileScope::Order { symbol, order_id }
    );
}

#[test]
fn active_symbols_beyond_the_cap_are_reported_as_not_covered() {
    use std::time::{Duration, Instant};

    use market_types::{Fill, Symbol, TradeId, Venue};
    use ws_handlers::{PrivateDelivery, Reconciler, RetrySchedule};
    use ws_mixins::{PrivateWebSocketMixin, ReconcileFailure, ReconcileFailureReason};
    use ws_session::{Outbox, Timestamp};

    use super::venue::MexcReconcile;

    #[derive(Default)]
    struct Failures(Vec<ReconcileFailure>);
    impl PrivateWebSocketMixin for Failures {
        fn on_reconcile_failure(&mut self, failure: &ReconcileFailure) {
            self.0.push(failure.clone());
        }
    }

    let mut delivery = PrivateDelivery::new();
    let mut failures = Failures::default();
    // 70 symbols had fills; BTCUSDT is configured.
    for n in 0..70 {
        let fill = Fill {
            venue: Venue::MexcSpot,
            symbol: Symbol::new(&format!("S{n:02}USDT")).unwrap(),
            order_id: market_types::OrderId::new(&format!("o{n}")).unwrap(),
            client_order_id: None,
            trade_id: TradeId::new(&format!("t{n}")).unwrap(),
            side: Side::Buy,
            price: Price::parse("1").unwrap(),
            quantity: Quantity::parse("1").unwrap(),
            fee: Decimal::from(0u32),
            fee_asset: None,
            role: None,
            time_ms: 1,
        };
        assert!(delivery.fill(&fill, &mut failures));
    }
    let venue = MexcReconcile::new(None, vec![Symbol::new("BTCUSDT").unwrap()]);
    let mut reconciler = Reconciler::new(
        venue,
        RetrySchedule {
            delay: Duration::from_secs(1),
        },
    );
    let now = Timestamp::new(Instant::now(), 1_700_000_000_000_000_000);
    let mut out = Outbox::new();
    reconciler.on_connected(now);
    reconciler.on_disconnected();
    reconciler.on_connected(now);
    reconciler.start(now, &delivery, &mut failures, &mut out);
    // The 64 most recent are covered; the 6 oldest are reported, once each (most
    // recent first).
    let reported: Vec<String> = failures
        .0
        .iter()
        .map(|f| {
            assert_eq!(f.reason, ReconcileFailureReason::NotCovered);
            assert_eq!(f.call, "/api/v3/allOrders");
            f.scope.to_string()
        })
        .collect();
    assert_eq!(
        reported,
        [
            "S05USDT", "S04USDT", "S03USDT", "S02USDT", "S01USDT", "S00USDT"
        ]
    );
    assert_eq!(reconciler.counters().not_covered, 6);
}
