#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

//! Every vector of `mexc_pb_wire_vectors.json` (spec §6.2) decodes to its concrete
//! values, with the zero-copy reader and with prost where both apply.

mod common;

use common::{p, q, sym, vector, vectors};
use exchange_mexc::pb::push_data_v3_api_wrapper::Body as PbBody;
use exchange_mexc::{
    AggInterval, Body, BodyKind, Channel, DepthLimit, KlineInterval, Push, decode_push,
    decode_wrapper, pb,
};
use market_types::{
    Asset, Decimal, Level, LiquidityRole, OrderStatus, OrderType, PrivateEvent, Side,
};
use prost::Message as _;

const EXPECTED: [(&str, BodyKind); 15] = [
    ("aggre_deals_2025doc", BodyKind::PublicAggreDeals),
    ("kline_2025doc", BodyKind::PublicSpotKline),
    ("aggre_depth_2025doc", BodyKind::PublicAggreDepths),
    ("aggre_depth_2026doc", BodyKind::PublicAggreDepths),
    (
        "increase_depth_batch_doc",
        BodyKind::PublicIncreaseDepthsBatch,
    ),
    ("limit_depth_2025doc", BodyKind::PublicLimitDepths),
    ("limit_depth_2026doc", BodyKind::PublicLimitDepths),
    ("aggre_book_ticker_2025doc", BodyKind::PublicAggreBookTicker),
    ("aggre_book_ticker_2026doc", BodyKind::PublicAggreBookTicker),
    ("book_ticker_batch_2025doc", BodyKind::PublicBookTickerBatch),
    ("book_ticker_batch_2026doc", BodyKind::PublicBookTickerBatch),
    ("private_account_doc", BodyKind::PrivateAccount),
    ("private_deals_2026doc", BodyKind::PrivateDeals),
    ("private_orders_2025doc", BodyKind::PrivateOrders),
    ("private_orders_2026doc", BodyKind::PrivateOrders),
];

fn decode(name: &str) -> (Vec<u8>, pb::PushDataV3ApiWrapper) {
    let v = vector(name);
    let prost = decode_wrapper(&v.wire).unwrap();
    (v.wire, prost)
}

fn levels(push: &Push<'_>) -> Vec<(Side, String, String)> {
    let Body::AggreDepths(depth) = push.body else {
        panic!("not a depth push")
    };
    depth
        .levels()
        .map(|l| {
            let l = l.unwrap();
            (l.side, l.price.to_string(), l.quantity.to_string())
        })
        .collect()
}

#[test]
fn the_vector_set_is_the_one_documented() {
    let all = vectors();
    let names: Vec<&str> = all.iter().map(|v| v.name.as_str()).collect();
    let expected: Vec<&str> = EXPECTED.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, expected);
    for (v, (_, kind)) in all.iter().zip(EXPECTED) {
        let push = decode_push(&v.wire).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(push.raw.kind, kind, "{}", v.name);
        assert_eq!(kind.name(), v.body_oneof, "{}", v.name);
        let hot = matches!(
            kind,
            BodyKind::PublicAggreDepths
                | BodyKind::PublicAggreDeals
                | BodyKind::PublicAggreBookTicker
        );
        assert_eq!(!hot, matches!(push.body, Body::Cold(_)), "{}", v.name);
    }
}

/// The wrapper fields agree between the zero-copy reader and prost for every vector,
/// and prost's body decodes the same bytes the reader hands out.
#[test]
fn both_decoders_agree_on_every_wrapper() {
    for v in vectors() {
        let push = decode_push(&v.wire).unwrap();
        let prost = decode_wrapper(&v.wire).unwrap();
        assert_eq!(push.header.channel, prost.channel, "{}", v.name);
        assert_eq!(push.header.symbol, prost.symbol.as_deref(), "{}", v.name);
        assert_eq!(
            push.header.symbol_id,
            prost.symbol_id.as_deref(),
            "{}",
            v.name
        );
        assert_eq!(push.header.create_time, prost.create_time, "{}", v.name);
        assert_eq!(push.header.send_time, prost.send_time, "{}", v.name);
        assert_eq!(Some(push.raw.decode().unwrap()), prost.body, "{}", v.name);
        assert_eq!(
            push.header.channel,
            v.proto3_json["channel"].as_str().unwrap()
        );
        // The channel strings of the vectors are all modelled, except the hidden batch depth.
        if v.name != "increase_depth_batch_doc" {
            Channel::parse(push.header.channel).unwrap();
        }
    }
}

#[test]
fn aggre_deals_2025doc() {
    let (wire, prost) = decode("aggre_deals_2025doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(
        push.header.channel,
        "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"
    );
    assert_eq!(
        Channel::parse(push.header.channel).unwrap(),
        Channel::AggreDeals {
            symbol: sym("BTCUSDT"),
            interval: AggInterval::Ms100
        }
    );
    assert_eq!(push.header.symbol, Some("BTCUSDT"));
    assert_eq!(push.header.send_time, Some(1_736_409_765_052));
    assert_eq!(push.header.create_time, None);
    assert_eq!(push.header.symbol_id, None);
    let Body::AggreDeals(deals) = push.body else {
        panic!("not deals")
    };
    assert_eq!(
        deals.event_type(),
        "spot@public.aggre.deals.v3.api.pb@100ms"
    );
    assert_eq!(deals.len(), 1);
    let deal = deals.deals().next().unwrap().unwrap();
    assert_eq!(deal.price, p("93220.00"));
    assert_eq!(deal.quantity, q("0.04438243"));
    assert_eq!(deal.taker_side, Some(Side::Sell));
    assert_eq!(deal.time_ms, 1_736_409_765_051);
    assert_eq!(deal.trade_id, None);
    let trade = deal.to_trade(push.header.symbol().unwrap(), 0).unwrap();
    assert_eq!(trade.symbol, sym("BTCUSDT"));
    assert_eq!(trade.trade_id.as_str(), "1736409765051-0");
    assert_eq!(trade.exchange_time_ms, 1_736_409_765_051);
    assert_eq!(trade.taker_side, Some(Side::Sell));
    assert_eq!(deals.deals().count(), 1);

    let Some(PbBody::PublicAggreDeals(body)) = prost.body else {
        panic!("prost: not deals")
    };
    assert_eq!(body.event_type, deals.event_type());
    assert_eq!(body.deals.len(), 1);
    assert_eq!(p(&body.deals[0].price), deal.price);
    assert_eq!(q(&body.deals[0].quantity), deal.quantity);
    assert_eq!(body.deals[0].trade_type, 2);
    assert_eq!(body.deals[0].time, 1_736_409_765_051);
}

#[test]
fn kline_2025doc() {
    let (wire, _) = decode("kline_2025doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(
        push.header.channel,
        "spot@public.kline.v3.api.pb@BTCUSDT@Min15"
    );
    assert_eq!(
        Channel::parse(push.header.channel).unwrap(),
        Channel::Kline {
            symbol: sym("BTCUSDT"),
            interval: KlineInterval::Min15
        }
    );
    assert_eq!(
        push.header.symbol_id,
        Some("2fb942154ef44a4ab2ef98c8afb6a4a7")
    );
    assert_eq!(push.header.create_time, Some(1_736_410_707_571));
    assert_eq!(push.header.send_time, None);
    assert_eq!(push.header.event_time_ms(), 1_736_410_707_571);
    let Body::Cold(raw) = push.body else {
        panic!("kline is cold")
    };
    let PbBody::PublicSpotKline(k) = raw.decode().unwrap() else {
        panic!("not a kline")
    };
    assert_eq!(k.interval, "Min15");
    assert_eq!(k.window_start, 1_736_410_500);
    assert_eq!(k.window_end, 1_736_411_400);
    assert_eq!(p(&k.opening_price), p("92925"));
    assert_eq!(p(&k.closing_price), p("93158.47"));
    assert_eq!(p(&k.highest_price), p("93158.47"));
    assert_eq!(p(&k.lowest_price), p("92800"));
    assert_eq!(q(&k.volume), q("36.83803224"));
    assert_eq!(
        Decimal::parse(&k.amount).unwrap(),
        Decimal::parse("3424811.05").unwrap()
    );
}

#[test]
fn aggre_depth_2025doc() {
    let (wire, prost) = decode("aggre_depth_2025doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(
        push.header.channel,
        "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"
    );
    assert_eq!(push.header.symbol().unwrap(), sym("BTCUSDT"));
    assert_eq!(push.header.send_time, Some(1_736_411_507_002));
    let Body::AggreDepths(depth) = push.body else {
        panic!("not depth")
    };
    assert_eq!(
        depth.event_type(),
        "spot@public.aggre.depth.v3.api.pb@100ms"
    );
    assert_eq!(depth.from_version(), 10_589_632_359);
    assert_eq!(depth.to_version(), 10_589_632_359);
    assert_eq!(depth.last_order_create_time(), 0);
    assert_eq!((depth.ask_count(), depth.bid_count()), (0, 1));
    let level = depth.levels().next().unwrap().unwrap();
    assert_eq!(level.side, Side::Buy);
    assert_eq!(level.price, p("92877.58"));
    assert!(level.quantity.is_zero(), "0.00000000 removes the level");
    assert_eq!(levels(&push), [(Side::Buy, "92877.58".into(), "0".into())]);

    let Some(PbBody::PublicAggreDepths(body)) = prost.body else {
        panic!("prost: not depth")
    };
    assert_eq!(body.bids[0].quantity, "0.00000000");
    assert_eq!(body.from_version, "10589632359");
    assert!(body.asks.is_empty());
}

#[test]
fn aggre_depth_2026doc() {
    let (wire, prost) = decode("aggre_depth_2026doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(push.header.send_time, Some(1_778_075_380_657));
    let Body::AggreDepths(depth) = push.body else {
        panic!("not depth")
    };
    assert_eq!(depth.from_version(), 10_023);
    assert_eq!(depth.to_version(), 10_023);
    assert_eq!(depth.last_order_create_time(), 1_778_075_380_572);
    assert_eq!(levels(&push), [(Side::Buy, "100".into(), "4".into())]);
    // The sink form streams the same levels.
    let mut seen = Vec::new();
    depth
        .for_each_level(|level| {
            seen.push(level);
            Ok::<(), exchange_mexc::Error>(())
        })
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].price, seen[0].quantity), (p("100"), q("4")));

    let Some(PbBody::PublicAggreDepths(body)) = prost.body else {
        panic!("prost: not depth")
    };
    assert_eq!(body.last_order_create_time, 1_778_075_380_572);
    assert_eq!(
        (p(&body.bids[0].price), q(&body.bids[0].quantity)),
        (p("100"), q("4"))
    );
}

#[test]
fn increase_depth_batch_doc() {
    let (wire, _) = decode("increase_depth_batch_doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(
        push.header.channel,
        "spot@public.increase.depth.batch.v3.api.pb@BTCUSDT"
    );
    assert_eq!(push.header.send_time, Some(1_739_502_064_578));
    let PbBody::PublicIncreaseDepthsBatch(batch) = push.raw.decode().unwrap() else {
        panic!("not a batch")
    };
    assert_eq!(
        batch.event_type,
        "spot@public.increase.depth.batch.v3.api.pb"
    );
    let versions: Vec<&str> = batch.items.iter().map(|i| i.version.as_str()).collect();
    assert_eq!(
        versions,
        [
            "39003145507",
            "39003145508",
            "39003145509",
            "39003145510",
            "39003145511"
        ]
    );
    let bids: Vec<(String, String)> = batch
        .items
        .iter()
        .map(|i| {
            (
                p(&i.bids[0].price).to_string(),
                q(&i.bids[0].quantity).to_string(),
            )
        })
        .collect();
    assert_eq!(
        bids,
        [
            ("96578.48".to_string(), "0".to_string()),
            ("96578.9".into(), "0".into()),
            ("96579.31".into(), "0".into()),
            ("96579.84".into(), "0".into()),
            ("96576.69".into(), "4.88725694".into()),
        ]
    );
    assert!(
        batch
            .items
            .iter()
            .all(|i| i.asks.is_empty() && i.event_type.is_empty())
    );
}

#[test]
fn limit_depth_2025doc() {
    let (wire, _) = decode("limit_depth_2025doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(
        push.header.channel,
        "spot@public.limit.depth.v3.api.pb@BTCUSDT@5"
    );
    assert_eq!(
        Channel::parse(push.header.channel).unwrap(),
        Channel::LimitDepth {
            symbol: sym("BTCUSDT"),
            depth: DepthLimit::Five
        }
    );
    assert_eq!(push.header.send_time, Some(1_736_411_838_730));
    let PbBody::PublicLimitDepths(body) = push.raw.decode().unwrap() else {
        panic!("not limit depth")
    };
    assert_eq!(body.event_type, "spot@public.limit.depth.v3.api.pb");
    let book = exchange_mexc::limit_depth(&body).unwrap();
    assert_eq!(book.version, 36_913_565_463);
    assert_eq!(book.asks, [Level::new(p("93180.18"), q("0.21976424"))]);
    assert_eq!(book.bids, [Level::new(p("93179.98"), q("2.82651"))]);
}

#[test]
fn limit_depth_2026doc() {
    let (wire, _) = decode("limit_depth_2026doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(push.header.send_time, Some(1_778_075_384_350));
    let PbBody::PublicLimitDepths(body) = push.raw.decode().unwrap() else {
        panic!("not limit depth")
    };
    assert_eq!(body.last_order_create_time, 1_778_075_380_572);
    let book = exchange_mexc::limit_depth(&body).unwrap();
    assert_eq!(book.version, 10_023);
    assert!(book.asks.is_empty());
    assert_eq!(book.bids, [Level::new(p("100.00000000"), q("4.00000000"))]);
    assert_eq!(book.bids[0].price.to_string(), "100");
}

#[test]
fn aggre_book_ticker_2025doc() {
    let (wire, prost) = decode("aggre_book_ticker_2025doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(
        push.header.channel,
        "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"
    );
    assert_eq!(push.header.send_time, Some(1_736_412_092_433));
    let Body::AggreBookTicker(body) = push.body else {
        panic!("not a ticker")
    };
    assert_eq!(body.bid, Some(Level::new(p("93387.28"), q("3.73485"))));
    assert_eq!(body.ask, Some(Level::new(p("93387.29"), q("7.669875"))));
    assert_eq!(body.version, None);
    assert_eq!(body.last_order_create_time, 0);
    let ticker = body.to_book_ticker(push.header.symbol().unwrap(), push.header.event_time_ms());
    assert_eq!(ticker.exchange_time_ms, 1_736_412_092_433);
    assert_eq!(ticker.update_id, None);
    assert_eq!(ticker.venue, market_types::Venue::MexcSpot);

    let Some(PbBody::PublicAggreBookTicker(pb)) = prost.body else {
        panic!("prost: not a ticker")
    };
    assert_eq!(p(&pb.bid_price), p("93387.28"));
    assert_eq!(q(&pb.ask_quantity), q("7.669875"));
}

#[test]
fn aggre_book_ticker_2026doc() {
    let (wire, prost) = decode("aggre_book_ticker_2026doc");
    assert_eq!(wire.len(), 95);
    let push = decode_push(&wire).unwrap();
    assert_eq!(push.header.send_time, Some(1_778_075_384_648));
    let Body::AggreBookTicker(body) = push.body else {
        panic!("not a ticker")
    };
    assert_eq!(body.bid, Some(Level::new(p("100"), q("4"))));
    assert_eq!(body.ask, None, "the empty ask side is absent on the wire");
    assert_eq!(body.version, Some(10_023));
    assert_eq!(body.last_order_create_time, 1_778_075_380_572);
    let Some(PbBody::PublicAggreBookTicker(pb)) = prost.body else {
        panic!("prost: not a ticker")
    };
    assert_eq!(pb.ask_price, "");
    assert_eq!(pb.version, "10023");
}

#[test]
fn book_ticker_batch_2025doc() {
    let (wire, _) = decode("book_ticker_batch_2025doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(
        push.header.channel,
        "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT"
    );
    assert_eq!(
        Channel::parse(push.header.channel).unwrap(),
        Channel::BookTickerBatch {
            symbol: sym("BTCUSDT")
        }
    );
    let PbBody::PublicBookTickerBatch(body) = push.raw.decode().unwrap() else {
        panic!("not a batch")
    };
    let tickers = exchange_mexc::book_ticker_batch(&push.header, &body).unwrap();
    assert_eq!(tickers.len(), 1);
    assert_eq!(
        tickers[0].bid,
        Some(Level::new(p("96567.37"), q("3.362925")))
    );
    assert_eq!(
        tickers[0].ask,
        Some(Level::new(p("96567.38"), q("1.545255")))
    );
    assert_eq!(tickers[0].update_id, None);
    assert_eq!(tickers[0].exchange_time_ms, 1_739_503_249_114);
    assert_eq!(tickers[0].symbol, sym("BTCUSDT"));
}

#[test]
fn book_ticker_batch_2026doc() {
    let (wire, _) = decode("book_ticker_batch_2026doc");
    let push = decode_push(&wire).unwrap();
    let PbBody::PublicBookTickerBatch(body) = push.raw.decode().unwrap() else {
        panic!("not a batch")
    };
    assert_eq!(body.last_order_create_time, 1_778_075_380_572);
    let tickers = exchange_mexc::book_ticker_batch(&push.header, &body).unwrap();
    assert_eq!(tickers.len(), 1);
    assert_eq!(tickers[0].bid, Some(Level::new(p("100"), q("4"))));
    assert_eq!(tickers[0].ask, None);
    assert_eq!(tickers[0].update_id, Some(10_023));
    assert_eq!(tickers[0].exchange_time_ms, 1_778_075_380_611);
}

#[test]
fn private_account_doc() {
    let (wire, _) = decode("private_account_doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(push.header.channel, "spot@private.account.v3.api.pb");
    assert_eq!(
        Channel::parse(push.header.channel).unwrap(),
        Channel::PrivateAccount
    );
    assert_eq!(push.header.symbol, None);
    assert_eq!(push.header.create_time, Some(1_736_417_034_305));
    assert_eq!(push.header.send_time, Some(1_736_417_034_307));
    let PrivateEvent::Balance(balance) =
        exchange_mexc::private_event(&push.header, push.raw).unwrap()
    else {
        panic!("not a balance")
    };
    assert_eq!(balance.asset, Asset::new("USDT").unwrap());
    assert_eq!(
        balance.available,
        Decimal::parse("21.94210356004384").unwrap()
    );
    assert_eq!(balance.locked, Decimal::ZERO);
    assert_eq!(balance.time_ms, 1_736_416_910_000);
    let PbBody::PrivateAccount(raw) = push.raw.decode().unwrap() else {
        panic!("not an account body")
    };
    assert_eq!(raw.coin_id, "128f589271cb4951b03e71e6323eb7be");
    assert_eq!(raw.balance_amount_change, "10");
    assert_eq!(raw.r#type, "CONTRACT_TRANSFER");
}

#[test]
fn private_deals_2026doc() {
    let (wire, _) = decode("private_deals_2026doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(push.header.channel, "spot@private.deals.v3.api.pb");
    assert_eq!(push.header.symbol, Some("MXUSDT"));
    assert_eq!(push.header.send_time, Some(1_736_417_034_332));
    let PrivateEvent::Fill(fill) = exchange_mexc::private_event(&push.header, push.raw).unwrap()
    else {
        panic!("not a fill")
    };
    assert_eq!(fill.symbol, sym("MXUSDT"));
    assert_eq!(fill.price, p("3.6962"));
    assert_eq!(fill.quantity, q("1"));
    assert_eq!(fill.side, Side::Sell);
    assert_eq!(fill.trade_id.as_str(), "505979017439002624X1");
    assert_eq!(fill.order_id.as_str(), "C02__505979017439002624115");
    assert_eq!(fill.client_order_id, None);
    // 19 decimals on the wire, rounded toward zero to the 18 a Decimal holds.
    assert_eq!(fill.fee, Decimal::parse("0.000399837736969817").unwrap());
    assert_eq!(fill.fee_asset, Some(Asset::new("MX").unwrap()));
    assert_eq!(
        fill.role,
        Some(LiquidityRole::Taker),
        "isMaker=false is not on the wire"
    );
    assert_eq!(fill.time_ms, 1_736_417_034_280);
}

#[test]
fn private_orders_2025doc() {
    let (wire, _) = decode("private_orders_2025doc");
    let push = decode_push(&wire).unwrap();
    assert_eq!(push.header.channel, "spot@private.orders.v3.api.pb");
    let PrivateEvent::Order(order) = exchange_mexc::private_event(&push.header, push.raw).unwrap()
    else {
        panic!("not an order")
    };
    assert_eq!(order.symbol, sym("MXUSDT"));
    assert_eq!(order.order_id.as_str(), "C02__505979017439002624115");
    assert_eq!(order.client_order_id, None);
    assert_eq!(order.side, Side::Sell);
    assert_eq!(order.order_type, OrderType::Market);
    assert_eq!(order.price, None, "market orders have no limit price");
    assert_eq!(order.quantity, q("1"));
    assert_eq!(order.filled, q("1"));
    assert_eq!(order.average_price, Some(p("3.6962")));
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.update_time_ms, 1_736_417_034_281);
    let PbBody::PrivateOrders(raw) = push.raw.decode().unwrap() else {
        panic!("not an order body")
    };
    assert_eq!(raw.id, "C02__505979017439002624115");
    assert_eq!(raw.client_id, "");
    assert_eq!(raw.last_deal_quantity.as_deref(), Some("1"));
    assert_eq!(raw.create_time, 1_736_417_034_259);
    assert_eq!(p(&raw.price), p("3.5121"));
}

#[test]
fn private_orders_2026doc() {
    let (wire, _) = decode("private_orders_2026doc");
    let push = decode_push(&wire).unwrap();
    let PrivateEvent::Order(order) = exchange_mexc::private_event(&push.header, push.raw).unwrap()
    else {
        panic!("not an order")
    };
    // The 2026 docs carry the same id in clientId; it becomes the order id.
    assert_eq!(order.order_id.as_str(), "C02__505979017439002624115");
    assert_eq!(order.client_order_id, None);
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.update_time_ms, 1_736_417_034_281);
    let PbBody::PrivateOrders(raw) = push.raw.decode().unwrap() else {
        panic!("not an order body")
    };
    assert_eq!(raw.id, "");
    assert_eq!(raw.client_id, "C02__505979017439002624115");
}

#[test]
fn private_event_refuses_public_bodies() {
    let v = vector("aggre_depth_2026doc");
    let push = decode_push(&v.wire).unwrap();
    assert!(matches!(
        exchange_mexc::private_event(&push.header, push.raw),
        Err(exchange_mexc::Error::UnknownEnumValue { value: 313, .. })
    ));
}

/// What the simulator encodes with prost, the zero-copy reader decodes: 20 levels per
/// side, every header field, unknown fields of every wire type, any field order.
#[test]
fn prost_encoded_frames_decode_with_the_zero_copy_reader() {
    let level = |i: usize| pb::PublicAggreDepthV3ApiItem {
        price: format!("{}.{:02}", 64_000 + i, i),
        quantity: if i.is_multiple_of(5) {
            "0".into()
        } else {
            format!("0.{i:03}")
        },
    };
    let wrapper = pb::PushDataV3ApiWrapper {
        channel: "spot@public.aggre.depth.v3.api.pb@10ms@ETHUSDT".into(),
        symbol: Some("ETHUSDT".into()),
        symbol_id: Some("abc123".into()),
        create_time: Some(1_700_000_000_001),
        send_time: Some(1_700_000_000_002),
        body: Some(PbBody::PublicAggreDepths(pb::PublicAggreDepthsV3Api {
            asks: (0..20).map(|i| level(100 + i)).collect(),
            bids: (0..20).map(level).collect(),
            event_type: "spot@public.aggre.depth.v3.api.pb@10ms".into(),
            from_version: "18446744073709551614".into(),
            to_version: "18446744073709551615".into(),
            last_order_create_time: -5,
        })),
    };
    let frame = wrapper.encode_to_vec();
    let check = |frame: &[u8]| {
        let push = decode_push(frame).unwrap();
        assert_eq!(
            push.header.channel,
            "spot@public.aggre.depth.v3.api.pb@10ms@ETHUSDT"
        );
        assert_eq!(push.header.symbol, Some("ETHUSDT"));
        assert_eq!(push.header.symbol_id, Some("abc123"));
        assert_eq!(push.header.create_time, Some(1_700_000_000_001));
        assert_eq!(push.header.send_time, Some(1_700_000_000_002));
        let Body::AggreDepths(depth) = push.body else {
            panic!("not depth")
        };
        assert_eq!(depth.from_version(), u64::MAX - 1);
        assert_eq!(depth.to_version(), u64::MAX);
        assert_eq!(depth.last_order_create_time(), -5);
        assert_eq!((depth.ask_count(), depth.bid_count()), (20, 20));
        let got: Vec<_> = depth.levels().map(Result::unwrap).collect();
        assert_eq!(got.len(), 40);
        let asks: Vec<_> = got.iter().filter(|l| l.side == Side::Sell).collect();
        let bids: Vec<_> = got.iter().filter(|l| l.side == Side::Buy).collect();
        for (i, l) in bids.iter().enumerate() {
            let expected = level(i);
            assert_eq!(l.price, p(&expected.price));
            assert_eq!(l.quantity, q(&expected.quantity));
        }
        for (i, l) in asks.iter().enumerate() {
            assert_eq!(l.price, p(&level(100 + i).price));
        }
    };
    check(&frame);

    // Unknown fields of wire types 0, 1, 2 and 5 at the wrapper level (field 2 is unused,
    // 7..=9 and 400 are free) are skipped wherever they appear.
    let mut extended = vec![0x10, 0x96, 0x01]; // field 2, varint 150
    extended.extend_from_slice(&[0x39, 1, 2, 3, 4, 5, 6, 7, 8]); // field 7, fixed64
    extended.extend_from_slice(&[0x42, 0x03, b'x', b'y', b'z']); // field 8, len 3
    extended.extend_from_slice(&frame);
    extended.extend_from_slice(&[0x4d, 9, 9, 9, 9]); // field 9, fixed32
    extended.extend_from_slice(&[0x80, 0x19, 0x01]); // field 400, varint
    check(&extended);

    // The body before the header fields: protobuf concatenation merges messages.
    let body_only = pb::PushDataV3ApiWrapper {
        body: wrapper.body.clone(),
        ..Default::default()
    }
    .encode_to_vec();
    let header_only = pb::PushDataV3ApiWrapper {
        body: None,
        ..wrapper.clone()
    }
    .encode_to_vec();
    let reordered = [body_only, header_only].concat();
    check(&reordered);
    assert_eq!(decode_wrapper(&reordered).unwrap(), wrapper);
}

#[test]
fn unknown_fields_inside_hot_bodies_are_skipped() {
    // A deal item with the 2026 tradeId and an unknown fixed32 field 9 and varint field 6.
    let item = {
        let mut bytes = pb::PublicAggreDealsV3ApiItem {
            price: "1.5".into(),
            quantity: "2".into(),
            trade_type: 1,
            time: 1_700_000_000_000,
            trade_id: "T-42".into(),
        }
        .encode_to_vec();
        bytes.extend_from_slice(&[0x4d, 1, 2, 3, 4, 0x30, 0x01]);
        bytes
    };
    let mut body = vec![0x0a, item.len() as u8];
    body.extend_from_slice(&item);
    body.extend_from_slice(&[0x19, 0, 0, 0, 0, 0, 0, 0, 0]); // field 3, fixed64
    let mut frame = pb::PushDataV3ApiWrapper {
        channel: "spot@public.aggre.deals.v3.api.pb@10ms@SOLUSDT".into(),
        ..Default::default()
    }
    .encode_to_vec();
    frame.extend_from_slice(&[0xd2, 0x13, body.len() as u8]);
    frame.extend_from_slice(&body);

    let push = decode_push(&frame).unwrap();
    assert_eq!(push.header.symbol, None);
    assert_eq!(
        push.header.symbol().unwrap(),
        sym("SOLUSDT"),
        "symbol from the channel"
    );
    let Body::AggreDeals(deals) = push.body else {
        panic!("not deals")
    };
    let deal = deals.deals().next().unwrap().unwrap();
    assert_eq!(deal.trade_id, Some("T-42"));
    assert_eq!(deal.taker_side, Some(Side::Buy));
    let trade = deal.to_trade(sym("SOLUSDT"), 0).unwrap();
    assert_eq!(trade.trade_id.as_str(), "T-42");
    assert_eq!(trade.price, p("1.5"));
    // prost agrees.
    let PbBody::PublicAggreDeals(pb) = push.raw.decode().unwrap() else {
        panic!("prost: not deals")
    };
    assert_eq!(pb.deals[0].trade_id, "T-42");
}

/// When the shared fixtures are beside the workspace, the copies in `tests/data` match.
#[test]
fn fixture_copies_match_the_shared_ones() {
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures");
    let Ok(entries) = std::fs::read_dir(common::DATA) else {
        panic!("tests/data is missing")
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Ok(original) = std::fs::read(format!("{shared}/{name}")) {
            assert_eq!(
                std::fs::read(&path).unwrap(),
                original,
                "{name} differs from shared/"
            );
        }
    }
}
