use market_types::{LiquidityRole, OrderStatus, OrderType, Price, Quantity, Side};

use super::{VENUE, d, legs, sym};
use crate::futures::private::{
    FuturesPrivateError, PositionLeg, PositionSide, PrivateFrame, decode_private,
};

fn decode(frame: &str) -> Result<PrivateFrame, FuturesPrivateError> {
    decode_private(frame.as_bytes(), &mut legs())
}

#[test]
fn order_fixture() {
    let frame = decode(include_str!("data/mexc_futures_push_personal_order.json")).unwrap();
    let PrivateFrame::Order(order) = frame else {
        panic!("not an order: {frame:?}");
    };
    assert_eq!(order.venue, VENUE);
    assert_eq!(order.symbol, sym("CRV_USDT"));
    assert_eq!(order.order_id.as_str(), "102067003631907840");
    assert_eq!(
        order.client_order_id.map(|c| c.to_string()),
        Some("_m_95bc2b72d3784bce8f9efecbdef9fe35".into())
    );
    assert_eq!(order.side, Side::Sell, "side 4 closes a long");
    assert_eq!(order.order_type, OrderType::Market);
    assert_eq!(order.price, None, "a market order has no limit price");
    assert_eq!(order.quantity, Quantity::parse("1").unwrap());
    assert_eq!(order.filled, Quantity::parse("1").unwrap());
    assert_eq!(order.average_price, Some(Price::parse("0.731").unwrap()));
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.update_time_ms, 1_610_005_069_983);
}

#[test]
fn order_states_and_current_docs_sample() {
    // Current docs sample: numeric orderId, state 2 with 5 of 10 filled.
    let frame = r#"{"channel":"push.personal.order","data":{"orderId":123456789,"symbol":"BTC_USDT","positionId":987654321,"price":45000.5,"vol":10,"leverage":20,"side":1,"category":1,"orderType":1,"dealAvgPrice":45000.0,"dealVol":5,"orderMargin":2250.0,"usedMargin":1125.0,"takerFee":0.1125,"makerFee":0.09,"profit":0,"feeCurrency":"USDT","openType":1,"state":2,"errorCode":0,"externalOid":"ext_001","createTime":1760942212000,"updateTime":1760942212001,"remainVol":5,"positionMode":1,"reduceOnly":false,"bboTypeNum":0,"makerFeeRate":0.0002,"takerFeeRate":0.0004},"ts":1760942212000}"#;
    let PrivateFrame::Order(order) = decode(frame).unwrap() else {
        panic!("not an order");
    };
    assert_eq!(order.order_id.as_str(), "123456789");
    assert_eq!(order.side, Side::Buy);
    assert_eq!(order.order_type, OrderType::Limit);
    assert_eq!(order.price, Some(Price::parse("45000.5").unwrap()));
    assert_eq!(order.status, OrderStatus::PartiallyFilled);
    assert_eq!(order.update_time_ms, 1_760_942_212_001);

    let with = |state: &str, deal: &str, order_type: &str| {
        let frame = format!(
            r#"{{"channel":"push.personal.order","data":{{"orderId":"1","symbol":"BTC_USDT","price":1,"vol":10,"side":3,"orderType":{order_type},"dealVol":{deal},"state":{state}}},"ts":7}}"#
        );
        match decode(&frame) {
            Ok(PrivateFrame::Order(order)) => Ok(order),
            Ok(other) => panic!("{other:?}"),
            Err(error) => Err(error),
        }
    };
    let status = |state, deal| with(state, deal, "1").map(|o| o.status);
    assert_eq!(status("1", "0").unwrap(), OrderStatus::New);
    assert_eq!(status("2", "0").unwrap(), OrderStatus::New);
    assert_eq!(status("3", "10").unwrap(), OrderStatus::Filled);
    assert_eq!(status("3", "4").unwrap(), OrderStatus::PartiallyCanceled);
    assert_eq!(status("4", "0").unwrap(), OrderStatus::Canceled);
    assert_eq!(status("4", "4").unwrap(), OrderStatus::PartiallyCanceled);
    assert_eq!(status("5", "0").unwrap(), OrderStatus::Rejected);
    assert!(matches!(
        status("9", "0"),
        Err(FuturesPrivateError::UnknownCode { value: 9, .. })
    ));
    let order = with("2", "0", "2").unwrap();
    assert_eq!(
        (order.side, order.order_type),
        (Side::Sell, OrderType::PostOnly)
    );
    assert_eq!(order.update_time_ms, 7, "no time in the object: the push's");
    assert_eq!(
        with("2", "0", "3").unwrap().order_type,
        OrderType::ImmediateOrCancel
    );
    assert_eq!(
        with("2", "0", "4").unwrap().order_type,
        OrderType::FillOrKill
    );
    assert_eq!(with("2", "0", "6").unwrap().order_type, OrderType::Other);
}

#[test]
fn deals_of_both_documented_shapes() {
    // Current docs sample.
    let frame = r#"{"channel":"push.personal.order.deal","data":{"id":987654321,"symbol":"BTC_USDT","side":1,"vol":10,"price":45000.5,"feeCurrency":"USDT","fee":0.225,"timestamp":1760942212000,"profit":0,"isTaker":true,"category":1,"orderId":123456789,"isSelf":false,"externalOid":"ext_001","positionMode":1,"reduceOnly":false,"opponentUid":987654321},"ts":1760942212000}"#;
    let PrivateFrame::Fill(fill) = decode(frame).unwrap() else {
        panic!("not a fill");
    };
    assert_eq!(fill.trade_id.as_str(), "987654321");
    assert_eq!(fill.order_id.as_str(), "123456789");
    assert_eq!(
        fill.client_order_id.map(|c| c.to_string()),
        Some("ext_001".into())
    );
    assert_eq!(fill.side, Side::Buy);
    assert_eq!(fill.price, Price::parse("45000.5").unwrap());
    assert_eq!(fill.quantity, Quantity::parse("10").unwrap());
    assert_eq!(fill.fee, d("0.225"));
    assert_eq!(fill.fee_asset.map(|a| a.to_string()), Some("USDT".into()));
    assert_eq!(fill.role, Some(LiquidityRole::Taker));
    assert_eq!(fill.time_ms, 1_760_942_212_000);

    // The shape ccxt recorded: string id, `taker`, no externalOid.
    let frame = r#"{"channel":"push.personal.order.deal","data":{"category":1,"fee":0.00060288,"feeCurrency":"USDT","id":"311655369","isSelf":false,"orderId":"276461245253669888","positionMode":1,"price":100.48,"profit":0.0003,"side":4,"symbol":"LTC_USDT","taker":false,"timestamp":1651583897276,"vol":1},"ts":1651583897291}"#;
    let PrivateFrame::Fill(fill) = decode(frame).unwrap() else {
        panic!("not a fill");
    };
    assert_eq!(fill.trade_id.as_str(), "311655369");
    assert_eq!(fill.side, Side::Sell);
    assert_eq!(fill.fee, d("0.00060288"));
    assert_eq!(fill.role, Some(LiquidityRole::Maker));
    assert_eq!(fill.client_order_id, None);
}

#[test]
fn asset_fixture() {
    let frame = decode(include_str!("data/mexc_futures_push_personal_asset.json")).unwrap();
    let PrivateFrame::Balance(balance) = frame else {
        panic!("not a balance: {frame:?}");
    };
    assert_eq!(balance.asset.as_str(), "USDT");
    assert_eq!(balance.available, d("0.7514236"));
    assert_eq!(balance.locked, d("0"));
    assert_eq!(balance.time_ms, 1_610_005_070_083);

    let frame = r#"{"channel":"push.personal.asset","data":{"currency":"USDT","positionMargin":5000.0,"frozenBalance":1000.0,"availableBalance":9000.0,"bonus":100.0},"ts":1760942212000}"#;
    let PrivateFrame::Balance(balance) = decode(frame).unwrap() else {
        panic!("not a balance");
    };
    assert_eq!(balance.available, d("9000"));
    assert_eq!(balance.locked, d("6000"), "frozen plus position margin");
}

#[test]
fn position_fixture_is_a_closed_leg() {
    let frame = decode(include_str!(
        "data/mexc_futures_push_personal_position.json"
    ))
    .unwrap();
    let PrivateFrame::Position(position) = frame else {
        panic!("not a position: {frame:?}");
    };
    assert_eq!(position.symbol, sym("CRV_USDT"));
    assert_eq!(position.size, d("0"), "state 3 is closed");
    assert_eq!(position.entry_price, None);
    assert_eq!(position.realised_pnl, Some(d("-0.0005")));
    assert_eq!(position.time_ms, 1_610_005_070_157);
}

fn leg_frame(side: u8, vol: &str, state: u8, price: &str, time: u64) -> String {
    format!(
        r#"{{"channel":"push.personal.position","data":{{"positionId":1,"symbol":"BTC_USDT","holdVol":{vol},"positionType":{side},"openType":1,"state":{state},"holdAvgPrice":{price},"liquidatePrice":0,"leverage":20,"realised":0.5,"updateTime":{time}}},"ts":1}}"#
    )
}

#[test]
fn hedge_legs_are_netted() {
    let mut legs = legs();
    let mut position = |frame: String| match decode_private(frame.as_bytes(), &mut legs) {
        Ok(PrivateFrame::Position(p)) => p,
        other => panic!("{other:?}"),
    };
    let long = position(leg_frame(1, "10", 1, "100", 5));
    assert_eq!(long.size, d("10"));
    assert_eq!(long.entry_price, Some(Price::parse("100").unwrap()));
    assert_eq!(long.leverage, Some(d("20")));
    assert_eq!(long.liquidation_price, None, "0 is no price");
    assert_eq!(long.time_ms, 5);
    let both = position(leg_frame(2, "4", 1, "110", 6));
    assert_eq!(both.size, d("6"));
    assert_eq!(both.entry_price, None, "two open legs have no single entry");
    assert_eq!(both.realised_pnl, Some(d("1")), "realised of both legs");
    let short_only = position(leg_frame(1, "10", 3, "100", 7));
    assert_eq!(short_only.size, d("-4"));
    assert_eq!(short_only.entry_price, Some(Price::parse("110").unwrap()));
    assert_eq!(short_only.time_ms, 7);
    assert_eq!(
        legs.leg(sym("BTC_USDT"), PositionSide::Long)
            .map(|l| l.volume),
        Some(d("0"))
    );
}

#[test]
fn position_legs_are_bounded_and_rest_respects_newer_stream_state() {
    let mut legs = crate::futures::private::PositionLegs::new(VENUE, 1);
    let leg = |symbol: &str, volume: &str, time_ms| PositionLeg {
        symbol: sym(symbol),
        side: PositionSide::Long,
        volume: d(volume),
        entry_price: None,
        leverage: None,
        liquidation_price: None,
        realised_pnl: None,
        time_ms,
    };
    legs.apply(leg("A_USDT", "1", 10)).unwrap();
    assert!(matches!(
        legs.apply(leg("B_USDT", "1", 10)),
        Err(FuturesPrivateError::TooManyContracts { limit: 1 })
    ));
    assert!(
        !legs.apply_if_newer(leg("A_USDT", "3", 9)).unwrap(),
        "older REST view"
    );
    assert!(legs.apply_if_newer(leg("A_USDT", "0", 11)).unwrap());
    // A is flat now: it is forgotten to make room.
    assert_eq!(legs.apply(leg("B_USDT", "2", 12)).unwrap().size, d("2"));
    assert!(legs.net(sym("A_USDT")).is_none());
    assert!(
        legs.close_unlisted(&[], 11).is_empty(),
        "streamed after the request"
    );
    assert_eq!(legs.close_unlisted(&[], 12), vec![sym("B_USDT")]);
    assert_eq!(legs.net(sym("B_USDT")).unwrap().unwrap().size, d("0"));
}

#[test]
fn login_answers_and_control_frames() {
    let ok = decode(include_str!("data/mexc_futures_rs_login.json")).unwrap();
    assert_eq!(ok, PrivateFrame::LoginOk);
    assert!(matches!(ok.login_outcome(), Some(Ok(()))));

    let refused = decode(
        r#"{"channel":"rs.error","data":"Signature verification failed!","ts":"1587442022003"}"#,
    )
    .unwrap();
    let Some(Err(error)) = refused.login_outcome() else {
        panic!("not a refusal");
    };
    assert!(error.is_fatal());
    assert!(error.to_string().contains("Signature verification failed!"));
    let fixture = decode(include_str!("data/mexc_futures_rs_error.json")).unwrap();
    assert_eq!(
        fixture,
        PrivateFrame::Error("Contract doesn't exist!".into())
    );
    assert!(matches!(
        decode(r#"{"channel":"rs.login","data":"failed"}"#)
            .unwrap()
            .login_outcome(),
        Some(Err(FuturesPrivateError::LoginRejected { .. }))
    ));

    assert_eq!(
        decode(r#"{"channel":"pong","data":1587453241453}"#).unwrap(),
        PrivateFrame::Pong(Some(1_587_453_241_453))
    );
    assert_eq!(
        decode(r#"{"channel":"rs.personal.filter","data":"success","ts":1}"#).unwrap(),
        PrivateFrame::Ack {
            channel: "rs.personal.filter".into(),
            data: "success".into()
        }
    );
    let other = decode(r#"{"channel":"push.personal.adl.level","data":{"adlLevel":1}}"#).unwrap();
    assert_eq!(other, PrivateFrame::Other("push.personal.adl.level".into()));
    assert!(other.login_outcome().is_none());
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let bad = [
        "",
        "not json",
        "[]",
        r#"{"data":{}}"#,
        r#"{"channel":"push.personal.order"}"#,
        r#"{"channel":"push.personal.order","data":{"orderId":"1","symbol":"BTC_USDT","vol":1,"side":7,"state":2}}"#,
        r#"{"channel":"push.personal.order","data":{"orderId":"1","symbol":"BTC_USDT","vol":"x","side":1,"state":2}}"#,
        r#"{"channel":"push.personal.order.deal","data":{"id":1,"symbol":"BTC_USDT","side":1,"vol":1,"orderId":2}}"#,
        r#"{"channel":"push.personal.position","data":{"symbol":"BTC_USDT","positionType":3,"holdVol":1,"state":1}}"#,
        r#"{"channel":"push.personal.asset","data":{"availableBalance":1}}"#,
        r#"{"channel":"push.personal.asset","data":{"currency":"USDT","availableBalance":1e999}}"#,
        r#"{"channel":"push.personal.order.deal","data":{"id":1,"symbol":"THIS_SYMBOL_IS_FAR_TOO_LONG_FOR_THE_MODEL","side":1,"vol":1,"price":1,"orderId":2}}"#,
    ];
    for frame in bad {
        assert!(decode(frame).is_err(), "{frame}");
    }
    // Every prefix of a valid frame is refused cleanly.
    let full = include_str!("data/mexc_futures_push_personal_order.json");
    for end in 0..full.len() {
        if let Some(prefix) = full.get(..end) {
            let _ = decode(prefix);
        }
    }
}
