use std::time::Instant;

use bytes::Bytes;
use market_types::{OrderStatus, Price, Side};
use ws_session::{RestFailure, RestMethod, RestReply, RestRequestId, Timestamp};

use super::{API_KEY, VENUE, credentials, d, sym};
use crate::futures::private::rest::{
    self, check_reply, parse_assets, parse_open_orders, parse_open_positions, parse_order,
    parse_order_deals,
};
use crate::futures::private::{FuturesPrivateError, FuturesRestSigner, PositionSide};

fn at(ms: u64) -> Timestamp {
    Timestamp::new(Instant::now(), ms * 1_000_000)
}

fn header<'a>(request: &'a ws_session::RestRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn reply(status: u16, body: &str) -> Result<RestReply, RestFailure> {
    Ok(RestReply {
        status,
        retry_after: None,
        body: Bytes::from(body.to_string()),
    })
}

#[test]
fn get_is_signed_over_sorted_parameters() {
    let signer = FuturesRestSigner::new("https://contract.mexc.com/", credentials());
    let request = signer.get(
        "/api/v1/private/x",
        &[
            ("symbol", "BTC_USDT"),
            ("page_size", "100"),
            ("page_num", "1"),
        ],
        RestRequestId(3),
        at(1_611_038_237_237),
    );
    assert_eq!(request.method, RestMethod::Get);
    assert_eq!(request.id, RestRequestId(3));
    assert_eq!(
        request.url,
        "https://contract.mexc.com/api/v1/private/x?page_num=1&page_size=100&symbol=BTC_USDT"
    );
    assert_eq!(header(&request, "ApiKey"), Some(API_KEY));
    assert_eq!(header(&request, "Request-Time"), Some("1611038237237"));
    // hex(HMAC_SHA256("secret", apiKey + "1611038237237" +
    // "page_num=1&page_size=100&symbol=BTC_USDT")), computed apart (Python `hmac`).
    assert_eq!(
        header(&request, "Signature"),
        Some("6c6ef623afc3ec91687a67ef063f39854be3c9587cfd265d3452aaf24e748984")
    );
    assert_eq!(header(&request, "Recv-Window"), None);
    assert!(
        !format!("{request:?}").contains(API_KEY),
        "the driver's Debug hides headers"
    );

    // No parameters: the empty string is signed and no `?` is added.
    let signer = signer.with_recv_window(90_000);
    let assets = signer.assets(RestRequestId(4), at(5));
    assert_eq!(
        assets.url,
        "https://contract.mexc.com/api/v1/private/account/assets"
    );
    assert_eq!(
        header(&assets, "Signature"),
        Some(signer.signature(5, "").as_str())
    );
    assert_eq!(header(&assets, "Recv-Window"), Some("60000"));
}

#[test]
fn request_paths() {
    let signer = FuturesRestSigner::new("http://127.0.0.1:1", credentials());
    let btc = sym("BTC_USDT");
    let url = |r: ws_session::RestRequest| r.url;
    assert_eq!(
        url(signer.open_orders(Some(btc), 2, RestRequestId(1), at(1))),
        "http://127.0.0.1:1/api/v1/private/order/list/open_orders/BTC_USDT?page_num=2&page_size=100"
    );
    assert_eq!(
        url(signer.open_positions(None, RestRequestId(1), at(1))),
        "http://127.0.0.1:1/api/v1/private/position/open_positions"
    );
    assert_eq!(
        url(signer.open_positions(Some(btc), RestRequestId(1), at(1))),
        "http://127.0.0.1:1/api/v1/private/position/open_positions?symbol=BTC_USDT"
    );
    let order_id = market_types::OrderId::new("102067003631907840").unwrap();
    assert_eq!(
        url(signer.order(order_id, RestRequestId(1), at(1))),
        "http://127.0.0.1:1/api/v1/private/order/get/102067003631907840"
    );
    assert_eq!(
        url(signer.order_deals(btc, 10, 20, 1, RestRequestId(1), at(1))),
        "http://127.0.0.1:1/api/v1/private/order/list/order_deals?end_time=20&page_num=1&page_size=100&start_time=10&symbol=BTC_USDT"
    );
    assert_eq!(
        url(signer.history_orders(btc, 10, 20, 3, RestRequestId(1), at(1))),
        "http://127.0.0.1:1/api/v1/private/order/list/history_orders?end_time=20&page_num=3&page_size=100&start_time=10&symbol=BTC_USDT"
    );
}

#[test]
fn answers_are_classified() {
    let ok = reply(200, r#"{"success":true,"code":0,"data":[]}"#);
    assert!(check_reply(rest::ASSETS, &ok).is_ok());
    let refused = reply(
        200,
        r#"{"success":false,"code":602,"message":"Signature verification failed!"}"#,
    );
    let body = check_reply(rest::ASSETS, &refused).unwrap();
    let error = parse_assets(body, VENUE, 1).unwrap_err();
    assert!(error.is_fatal(), "{error}");
    assert!(error.to_string().contains("602"));
    let throttled = reply(
        200,
        r#"{"success":false,"code":510,"message":"too frequent"}"#,
    );
    let error = parse_assets(check_reply(rest::ASSETS, &throttled).unwrap(), VENUE, 1).unwrap_err();
    assert!(error.is_retryable() && !error.is_fatal());

    let unauthorized = reply(
        401,
        r#"{"success":false,"code":401,"message":"Not logged in"}"#,
    );
    let error = check_reply(rest::ASSETS, &unauthorized).unwrap_err();
    assert!(matches!(
        error,
        FuturesPrivateError::Venue {
            code: 401,
            status: 401,
            ..
        }
    ));
    assert!(error.is_fatal());
    let error = check_reply(rest::ASSETS, &reply(503, "<html>")).unwrap_err();
    assert!(matches!(
        error,
        FuturesPrivateError::Http { status: 503, .. }
    ));
    assert!(error.is_retryable());
    let error = check_reply(rest::ASSETS, &reply(429, "")).unwrap_err();
    assert!(matches!(error, FuturesPrivateError::RateLimited { .. }) && error.is_retryable());
    let error = check_reply(rest::ASSETS, &Err(RestFailure::Overloaded)).unwrap_err();
    assert!(error.is_retryable());
    assert!(parse_assets(b"not json", VENUE, 1).is_err());
    assert_eq!(
        parse_assets(br#"{"success":true,"code":0,"data":null}"#, VENUE, 1).unwrap(),
        Vec::new()
    );
}

#[test]
fn docs_samples() {
    let assets = br#"{"success":true,"code":0,"data":[{"currency":"BTC","positionMargin":0,"availableBalance":0,"cashBalance":0,"frozenBalance":0,"equity":0,"unrealized":0,"bonus":0},{"currency":"USDT","positionMargin":1.5,"availableBalance":0.03176562,"cashBalance":0.03176562,"frozenBalance":0.5,"equity":0.03176562,"unrealized":0,"bonus":0}]}"#;
    let balances = parse_assets(assets, VENUE, 9).unwrap();
    assert_eq!(balances.len(), 2);
    assert_eq!(balances[1].asset.as_str(), "USDT");
    assert_eq!(balances[1].available, d("0.03176562"));
    assert_eq!(balances[1].locked, d("2"));
    assert_eq!(balances[1].time_ms, 9);

    let positions = br#"{"success":true,"code":0,"data":[{"positionId":1394650,"symbol":"ETH_USDT","positionType":2,"openType":1,"state":1,"holdVol":3,"frozenVol":0,"closeVol":0,"holdAvgPrice":1217.45,"openAvgPrice":1217.45,"closeAvgPrice":0,"liquidatePrice":1267.6,"oim":0.18,"im":0.18,"holdFee":0,"realised":-0.0073,"leverage":20,"createTime":1609991676000,"updateTime":1609991676000,"autoAddIm":false}]}"#;
    let legs = parse_open_positions(positions, 1).unwrap();
    assert_eq!(legs.len(), 1);
    assert_eq!(legs[0].side, PositionSide::Short);
    assert_eq!(legs[0].volume, d("3"));
    assert_eq!(
        legs[0].liquidation_price,
        Some(Price::parse("1267.6").unwrap())
    );
    assert_eq!(legs[0].time_ms, 1_609_991_676_000);

    let orders = br#"{"success":true,"code":0,"data":[{"orderId":"102015012431820288","symbol":"ETH_USDT","positionId":0,"price":1209.05,"vol":1,"leverage":20,"side":1,"category":1,"orderType":1,"dealAvgPrice":0,"dealVol":0,"orderMargin":0.060555,"takerFee":0,"makerFee":0,"profit":0,"feeCurrency":"USDT","openType":1,"state":2,"externalOid":"_m_7e42f8df6b324c869e4e200397e2b00f","errorCode":0,"usedMargin":0,"createTime":1609992674000,"updateTime":1609992674000}]}"#;
    let orders = parse_open_orders(orders, VENUE, 1).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].status, OrderStatus::New);
    assert_eq!(orders[0].average_price, None);
    assert_eq!(orders[0].side, Side::Buy);

    let one = br#"{"success":true,"code":0,"data":{"orderId":"7","symbol":"ETH_USDT","price":1,"vol":2,"side":3,"orderType":1,"dealAvgPrice":1,"dealVol":2,"state":3,"updateTime":5}}"#;
    let order = parse_order(one, VENUE, 1).unwrap();
    let history = rest::parse_history_orders(
        br#"{"success":true,"code":0,"data":{"resultList":[{"orderId":"7","symbol":"ETH_USDT","price":1,"vol":2,"side":3,"orderType":1,"dealVol":0,"state":4}]}}"#,
        VENUE,
        1,
    )
    .unwrap();
    assert_eq!(history[0].status, OrderStatus::Canceled);
    assert_eq!(order.status, OrderStatus::Filled);
    assert!(matches!(
        parse_order(br#"{"success":true,"code":0,"data":null}"#, VENUE, 1),
        Err(FuturesPrivateError::Missing { .. })
    ));

    let deals = br#"{"success":true,"code":0,"data":[{"id":"1","symbol":"ETH_USDT","side":1,"vol":1,"price":1209.05,"feeCurrency":"USDT","fee":0.00024181,"timestamp":1609992674000,"profit":0,"category":1,"orderId":"102015012431820288","taker":true}]}"#;
    let fills = parse_order_deals(deals, VENUE, 1).unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].fee, d("0.00024181"));
    // The paged shape of before 2021-03-30.
    let paged = br#"{"success":true,"code":0,"data":{"pageSize":20,"totalCount":1,"totalPage":1,"currentPage":1,"resultList":[{"id":"1","symbol":"ETH_USDT","side":4,"vol":1,"price":1,"orderId":"2","timestamp":3}]}}"#;
    let fills = parse_order_deals(paged, VENUE, 1).unwrap();
    assert_eq!(fills[0].side, Side::Sell);
}
