#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use bytes::Bytes;
use market_types::{Asset, Decimal, LiquidityRole, OrderStatus, Price, Side};
use ws_handlers::RestOrder;
use ws_session::{RestFailure, RestReply};

use crate::channel::Market;

use super::calls::{Call, Window, body};
use super::parse::{
    parse_balances, parse_fills, parse_order, parse_order_list, parse_orders, parse_positions,
    upper_asset,
};

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

#[test]
fn spot_open_orders_are_grouped_per_pair() {
    let body = br#"[{"currency_pair":"BTC_USDT","total":1,"orders":[{"id":"700000001",
        "text":"t-sim700000001","create_time":"1700000000","update_time":"1700000001",
        "create_time_ms":1700000000123,"update_time_ms":1700000001456,"status":"open",
        "currency_pair":"BTC_USDT","type":"limit","account":"spot","side":"buy",
        "amount":"2","price":"100.5","time_in_force":"gtc","left":"1.5",
        "filled_amount":"0.5","avg_deal_price":"100.5","finish_as":"open"}]}]"#;
    let orders = parse_orders(Market::Spot, body).unwrap();
    assert_eq!(orders.len(), 1);
    let RestOrder { order, exact_time } = orders[0];
    assert!(exact_time);
    assert_eq!(order.order_id.as_str(), "700000001");
    assert_eq!(order.filled.value(), d("0.5"));
    assert_eq!(order.status, OrderStatus::PartiallyFilled);
    assert_eq!(order.update_time_ms, 1_700_000_001_456);
    assert_eq!(
        order.client_order_id.map(|c| c.to_string()),
        Some("t-sim700000001".into())
    );
}

#[test]
fn futures_orders_know_when_their_time_is_exact() {
    let body = br#"[{"id":700000002,"contract":"BTC_USDT","create_time":1700000000.123,
        "finish_time":null,"finish_as":null,"status":"open","size":-10,"price":"100.5",
        "left":-4,"fill_price":"100.5","text":"t-x","tif":"gtc"},
        {"id":700000003,"contract":"BTC_USDT","create_time":1700000000.5,
        "finish_time":1700000002.25,"finish_as":"cancelled","status":"finished","size":3,
        "price":"99","left":3,"fill_price":"0","tif":"gtc"}]"#;
    let orders = parse_orders(Market::Futures, body).unwrap();
    let open = orders[0];
    assert!(
        !open.exact_time,
        "partly filled and open: the last change is unknown"
    );
    assert_eq!(open.order.side, Side::Sell);
    assert_eq!(open.order.filled.value(), d("6"));
    assert_eq!(open.order.status, OrderStatus::PartiallyFilled);
    let done = orders[1];
    assert!(done.exact_time);
    assert_eq!(done.order.update_time_ms, 1_700_000_002_250);
    assert_eq!(done.order.status, OrderStatus::Canceled);
}

#[test]
fn balances_positions_and_fills() {
    let spot = br#"[{"currency":"USDT","available":"999800","locked":"200","update_id":1}]"#;
    let balances = parse_balances(Market::Spot, spot, 5).unwrap();
    assert_eq!(balances[0].asset.as_str(), "USDT");
    assert_eq!(balances[0].locked, d("200"));
    let futures = br#"{"user":1,"currency":"usdt","total":"999999.8","available":"1"}"#;
    let balances = parse_balances(Market::Futures, futures, 5).unwrap();
    assert_eq!(balances[0].asset.as_str(), "USDT");
    assert_eq!(balances[0].available, d("999999.8"));
    let positions = br#"[{"contract":"BTC_USDT","size":-10,"entry_price":"100.5",
        "leverage":"0","liq_price":"0","realised_pnl":"0","update_time":1700000000}]"#;
    let positions = parse_positions(positions, 5).unwrap();
    assert_eq!(positions[0].size, d("-10"));
    assert_eq!(positions[0].entry_price.map(Price::value), Some(d("100.5")));
    assert_eq!(positions[0].liquidation_price, None);
    assert_eq!(positions[0].time_ms, 1_700_000_000_000);
    let fills = br#"[{"id":"5736713","create_time":"1605176741","create_time_ms":
        "1605176741123.456","currency_pair":"BTC_USDT","side":"sell","role":"taker",
        "amount":"1.0","price":"10000","order_id":"30784428","fee":"0.002",
        "fee_currency":"BTC","text":"apiv4"}]"#;
    let fills = parse_fills(Market::Spot, fills).unwrap();
    assert_eq!(fills[0].trade_id.as_str(), "5736713");
    assert_eq!(fills[0].time_ms, 1_605_176_741_123);
    assert_eq!(fills[0].client_order_id, None);
    // `my_trades_timerange` names the fill `trade_id` (a string); `my_trades` `id`.
    let fills = br#"[{"trade_id":"3335259","create_time":1628736848.321,
        "contract":"BTC_USDT","order_id":"4872460","size":-1,"close_size":0,
        "price":"40000.4","role":"maker","text":"api","fee":"0.0009290592",
        "point_fee":"0"},{"id":3335260,"create_time":1628736849,"contract":"BTC_USDT",
        "order_id":"4872460","size":2,"price":"40000.4","role":"taker","fee":"0.1"}]"#;
    let fills = parse_fills(Market::Futures, fills).unwrap();
    assert_eq!(fills[0].trade_id.as_str(), "3335259");
    assert_eq!(fills[0].side, Side::Sell);
    assert_eq!(fills[0].time_ms, 1_628_736_848_321);
    assert_eq!(fills[1].trade_id.as_str(), "3335260");
    assert_eq!(fills[1].role, Some(LiquidityRole::Taker));
}

#[test]
fn finished_lists_and_single_orders() {
    let spot = br#"[{"id":"700000004","text":"t-sim700000004","currency_pair":"BTC_USDT",
        "side":"buy","amount":"1","price":"90","left":"0.75","filled_amount":"0.25",
        "update_time_ms":1700000002000,"status":"cancelled","finish_as":"cancelled"}]"#;
    let orders = parse_order_list(Market::Spot, spot).unwrap();
    assert_eq!(orders[0].order.status, OrderStatus::PartiallyCanceled);
    assert_eq!(orders[0].order.filled.value(), d("0.25"));
    let one = br#"{"id":"700000005","currency_pair":"ETH_USDT","side":"sell","amount":"1",
        "price":"50","left":"0","update_time_ms":1700000003000,"status":"closed",
        "finish_as":"filled"}"#;
    let order = parse_order(Market::Spot, one).unwrap();
    assert_eq!(order.order.status, OrderStatus::Filled);
    assert_eq!(order.order.update_time_ms, 1_700_000_003_000);
    let futures = br#"{"id":700000006,"contract":"BTC_USDT","create_time":1700000000.5,
        "finish_time":1700000004.25,"finish_as":"filled","status":"finished","size":-4,
        "price":"120","left":0,"fill_price":"120","tif":"gtc"}"#;
    let order = parse_order(Market::Futures, futures).unwrap();
    assert!(order.exact_time);
    assert_eq!(order.order.status, OrderStatus::Filled);
    assert_eq!(order.order.filled.value(), d("4"));
    assert_eq!(order.order.update_time_ms, 1_700_000_004_250);
}

#[test]
fn history_calls_page_through_their_windows() {
    let window = Window {
        from_s: 1_700_000_000,
        to_s: 1_700_000_060,
    };
    let fills = Call::Fills { window, page: 0 };
    assert_eq!(
        fills.target(Market::Spot),
        (
            "/spot/my_trades".into(),
            "limit=1000&from=1700000000&to=1700000060".into()
        )
    );
    let next = fills.next_page().unwrap();
    assert_eq!(
        next.target(Market::Spot).1,
        "limit=1000&from=1700000000&to=1700000060&page=2"
    );
    assert_eq!(
        next.target(Market::Futures),
        (
            "/futures/usdt/my_trades_timerange".into(),
            "limit=1000&from=1700000000&to=1700000060&offset=1000".into()
        )
    );
    let finished = Call::FinishedOrders { window, page: 1 };
    assert_eq!(
        finished.target(Market::Spot).1,
        "status=finished&from=1700000000&to=1700000060&limit=100&page=2"
    );
    assert_eq!(
        finished.target(Market::Futures).1,
        "status=finished&limit=100&offset=100"
    );
    let open = Call::OpenOrders { page: 0 };
    assert_eq!(
        open.target(Market::Spot),
        ("/spot/open_orders".into(), "limit=100".into())
    );
    assert_eq!(
        open.target(Market::Futures),
        (
            "/futures/usdt/orders".into(),
            "status=open&limit=100".into()
        )
    );
    let open = open.next_page().unwrap();
    assert_eq!(open.target(Market::Spot).1, "limit=100&page=2");
    assert_eq!(
        open.target(Market::Futures).1,
        "status=open&limit=100&offset=100"
    );
    assert_eq!(Call::Balances.next_page(), None);
}

#[test]
fn errors_carry_gate_labels() {
    let reply = Ok(RestReply {
        status: 401,
        retry_after: None,
        body: Bytes::from_static(br#"{"label":"INVALID_KEY","message":"Invalid key"}"#),
    });
    let error = body(&reply).unwrap_err();
    assert!(error.is_fatal());
    assert_eq!(error.to_string(), "HTTP 401 INVALID_KEY (Invalid key)");
    let missing = Ok(RestReply {
        status: 404,
        retry_after: None,
        body: Bytes::from_static(br#"{"label":"NOT_FOUND","message":"no"}"#),
    });
    let error = body(&missing).unwrap_err();
    assert!(error.is_not_found() && !error.is_fatal());
    let unknown_order = Ok(RestReply {
        status: 400,
        retry_after: None,
        body: Bytes::from_static(br#"{"label":"ORDER_NOT_FOUND","message":"no"}"#),
    });
    assert!(body(&unknown_order).unwrap_err().is_not_found());
    assert!(!body(&Err(RestFailure::Overloaded)).unwrap_err().is_fatal());
    assert_eq!(upper_asset(Asset::new("usdt").unwrap()).as_str(), "USDT");
}

#[test]
fn the_signer_does_not_show_credentials() {
    let mut config = super::super::config::GateioHandlerConfig::new(
        crate::config::Endpoints::live(Market::Spot),
    );
    config.credentials = Some(crate::config::Credentials::new("key-visible", "secret"));
    let signer = super::calls::RestSigner::new(&config).unwrap();
    let shown = format!("{signer:?}");
    assert!(
        !shown.contains("key-visible") && !shown.contains("secret"),
        "{shown}"
    );
}

fn status(status: u16, label: &str) -> Result<RestReply, RestFailure> {
    Ok(RestReply {
        status,
        retry_after: None,
        body: Bytes::from(format!(r#"{{"label":"{label}","message":"m"}}"#)),
    })
}

#[test]
fn client_errors_that_cannot_change_are_given_up_and_the_rest_retried() {
    use ws_handlers::{Failure, ReconcileVenue, Sent};
    use ws_mixins::ReconcileScope;

    use super::super::market::SpotMarket;
    use super::venue::GateioReconcile;

    let config = super::super::config::GateioHandlerConfig::new(crate::config::Endpoints::live(
        Market::Spot,
    ));
    let venue = GateioReconcile::<SpotMarket>::new(&config);
    let sent = Sent {
        sent_ms: 0,
        gap_start_ms: 0,
    };
    let failure = |call: Call, reply: Result<RestReply, RestFailure>| {
        venue.failure(call, &body(&reply).unwrap_err(), sent)
    };
    let refused = failure(Call::Balances, status(400, "INVALID_PARAM_VALUE"));
    let Failure::Refused { message } = refused else {
        panic!("{refused:?}");
    };
    assert!(message.contains("/spot/accounts"), "{message}");
    for (code, label) in [
        (429, "TOO_MANY_REQUESTS"),
        (418, ""),
        (503, "SERVER_ERROR"),
        (408, ""),
    ] {
        assert_eq!(
            failure(Call::OpenOrders { page: 0 }, status(code, label)),
            Failure::Retry,
            "{code} {label}"
        );
    }
    assert_eq!(
        failure(Call::OpenOrders { page: 0 }, Err(RestFailure::Overloaded)),
        Failure::Retry
    );
    let order = Call::Order {
        id: market_types::OrderId::new("7").unwrap(),
        symbol: market_types::Symbol::new("BTC_USDT").unwrap(),
    };
    assert!(matches!(
        venue.scope(order),
        ReconcileScope::Order { order_id, .. } if order_id.as_str() == "7"
    ));
    assert_eq!(
        venue.scope(Call::OpenOrders { page: 0 }),
        ReconcileScope::Account
    );
}
