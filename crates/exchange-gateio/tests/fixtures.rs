//! Every Gate.io fixture of the spec (§6.1, copied verbatim into `tests/data`) decodes to
//! the values it shows.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]

use std::collections::BTreeSet;

use exchange_gateio::{
    BookDepth, Channel, Credentials, Error, ErrorCode, Market, Message, OrderEvent, Payload,
    RawLevels, RequestEvent, Subscription, UserId, login_request, parse_frame, parse_snapshot,
    peek_channel,
};
use market_types::{
    Asset, ClientOrderId, Decimal, Level, LiquidityRole, OrderId, OrderStatus, OrderType, Price,
    Quantity, Side, Symbol, TradeId, Venue,
};
use ws_core::StreamKind;

/// The fixture's bytes; leaked so that borrowed messages may outlive the statement.
fn fixture(name: &str) -> &'static [u8] {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Box::leak(bytes.into_boxed_slice())
}

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn levels(raw: RawLevels<'_>) -> Vec<(Price, Quantity)> {
    raw.iter().collect::<Result<_, _>>().unwrap()
}

fn lv(pairs: &[(&str, &str)]) -> Vec<(Price, Quantity)> {
    pairs.iter().map(|(a, b)| (p(a), q(b))).collect()
}

/// Names checked by the tests below; `every_fixture_is_covered` compares it with the folder.
const COVERED: &[&str] = &[
    "gateio_error.json",
    "gateio_futures_balances.json",
    "gateio_futures_book_ticker.json",
    "gateio_futures_liquidates.json",
    "gateio_futures_login_request.json",
    "gateio_futures_obu_full.json",
    "gateio_futures_obu_subscribe_ack.json",
    "gateio_futures_obu_update.json",
    "gateio_futures_order_book_all.json",
    "gateio_futures_order_book_update.json",
    "gateio_futures_order_place_request.json",
    "gateio_futures_orders.json",
    "gateio_futures_pong.json",
    "gateio_futures_positions.json",
    "gateio_futures_public_liquidates.json",
    "gateio_futures_subscribe_ack.json",
    "gateio_futures_tickers.json",
    "gateio_futures_trades.json",
    "gateio_futures_usertrades.json",
    "gateio_rest_futures_order_book.json",
    "gateio_rest_spot_order_book.json",
    "gateio_spot_balances.json",
    "gateio_spot_book_ticker.json",
    "gateio_spot_candlesticks.json",
    "gateio_spot_client_request_auth.json",
    "gateio_spot_login_request.json",
    "gateio_spot_login_response.json",
    "gateio_spot_obu_full.json",
    "gateio_spot_obu_subscribe_ack.json",
    "gateio_spot_obu_unsubscribe_ack.json",
    "gateio_spot_obu_update.json",
    "gateio_spot_order_book.json",
    "gateio_spot_order_book_update.json",
    "gateio_spot_order_cancel_request.json",
    "gateio_spot_order_place_request.json",
    "gateio_spot_orders.json",
    "gateio_spot_pong.json",
    "gateio_spot_tickers.json",
    "gateio_spot_trades.json",
    "gateio_spot_usertrades.json",
    "gateio_subscribe_ack.json",
    "gateio_ws_api_ack.json",
    "gateio_ws_api_error_auth.json",
    "gateio_ws_api_error_ratelimit.json",
    "gateio_ws_api_order_place_result.json",
];

#[test]
fn every_fixture_is_covered() {
    let dir = format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"));
    let found: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("gateio_"))
        .collect();
    let covered: BTreeSet<String> = COVERED.iter().map(|s| s.to_string()).collect();
    assert_eq!(found, covered);
}

#[test]
fn channel_is_read_without_decoding_for_queue_classification() {
    for (name, channel, kind) in [
        (
            "gateio_spot_order_book_update.json",
            Some(Channel::SpotOrderBookUpdate),
            StreamKind::Book,
        ),
        (
            "gateio_futures_trades.json",
            Some(Channel::FuturesTrades),
            StreamKind::Trade,
        ),
        (
            "gateio_spot_book_ticker.json",
            Some(Channel::SpotBookTicker),
            StreamKind::Ticker,
        ),
        (
            "gateio_spot_orders.json",
            Some(Channel::SpotOrders),
            StreamKind::Private,
        ),
        (
            "gateio_spot_pong.json",
            Some(Channel::SpotPong),
            StreamKind::Control,
        ),
        ("gateio_ws_api_ack.json", None, StreamKind::Control),
    ] {
        let found = peek_channel(fixture(name));
        assert_eq!(found, channel, "{name}");
        assert_eq!(
            found.map_or(StreamKind::Control, Channel::stream_kind),
            kind,
            "{name}"
        );
    }
}

// ---- acknowledgements, pongs, errors ------------------------------------------------

#[test]
fn subscribe_acks() {
    let Message::Ack(ack) = parse_frame(fixture("gateio_subscribe_ack.json")).unwrap() else {
        panic!("not an ack");
    };
    assert_eq!(ack.channel, Channel::SpotOrders);
    assert_eq!(ack.event, RequestEvent::Subscribe);
    assert_eq!(ack.id, None);
    assert_eq!(ack.time_ms, Some(1611541000001));

    let Message::Ack(ack) = parse_frame(fixture("gateio_futures_subscribe_ack.json")).unwrap()
    else {
        panic!("not an ack");
    };
    assert_eq!(ack.channel, Channel::FuturesTickers);
    assert_eq!(ack.pair, None);
    assert_eq!(ack.time_ms, Some(1545404023123));

    for (name, channel, event, id, time_ms) in [
        (
            "gateio_spot_obu_subscribe_ack.json",
            Channel::SpotObu,
            RequestEvent::Subscribe,
            None,
            1747054611614,
        ),
        (
            "gateio_spot_obu_unsubscribe_ack.json",
            Channel::SpotObu,
            RequestEvent::Unsubscribe,
            Some(1),
            1743673617242,
        ),
        (
            "gateio_futures_obu_subscribe_ack.json",
            Channel::FuturesObu,
            RequestEvent::Subscribe,
            Some(1),
            1747391482384,
        ),
    ] {
        let Message::Ack(ack) = parse_frame(fixture(name)).unwrap() else {
            panic!("{name}: not an ack");
        };
        assert_eq!(ack.channel, channel, "{name}");
        assert_eq!(ack.event, event, "{name}");
        assert_eq!(ack.id, id, "{name}");
        assert_eq!(ack.pair, Some(sym("BTC_USDT")), "{name}");
        assert_eq!(ack.time_ms, Some(time_ms), "{name}");
    }
}

#[test]
fn rejected_subscription_names_channel_and_pair() {
    let error = parse_frame(fixture("gateio_error.json")).unwrap_err();
    let Error::Rejected {
        channel,
        event,
        pair,
        id,
        code,
        ref message,
    } = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(channel, Channel::SpotObu);
    assert_eq!(event, RequestEvent::Subscribe);
    assert_eq!(pair, Some(sym("BTC_USDT")));
    assert_eq!(id, Some(1));
    assert_eq!(code, ErrorCode::InvalidArgument);
    assert_eq!(message, "Alert sub ob.BTC_USDT.400");
    assert!(!error.is_fatal());
    assert!(!error.is_decode());
    assert!(error.to_string().contains("spot.obu"));
}

#[test]
fn authentication_failure_is_fatal() {
    let frame = br#"{"time":1,"channel":"spot.orders","event":"subscribe","payload":["BTC_USDT"],"error":{"code":4,"message":"invalid key"},"result":{"status":"fail"}}"#;
    let error = parse_frame(frame).unwrap_err();
    assert!(error.is_fatal(), "{error}");
    assert!(matches!(
        error,
        Error::Rejected {
            code: ErrorCode::AuthenticationFailed,
            channel: Channel::SpotOrders,
            ..
        }
    ));
}

#[test]
fn pongs() {
    let Message::Pong(pong) = parse_frame(fixture("gateio_spot_pong.json")).unwrap() else {
        panic!();
    };
    assert_eq!(pong.market, Market::Spot);
    assert_eq!(pong.time_s, Some(1545404023));
    assert_eq!(pong.time_ms, None);
    let Message::Pong(pong) = parse_frame(fixture("gateio_futures_pong.json")).unwrap() else {
        panic!();
    };
    assert_eq!(pong.market, Market::Futures);
    assert_eq!(pong.time_ms, Some(1545404023123));
}

#[test]
fn websocket_api_responses() {
    let Message::Login(login) = parse_frame(fixture("gateio_spot_login_response.json")).unwrap()
    else {
        panic!();
    };
    assert_eq!(login.market, Market::Spot);
    assert_eq!(login.request_id, "request-1");
    assert_eq!(login.uid, Some(110284739));
    assert_eq!(login.response_time_ms, Some(1681985856666));

    let Message::Api(ack) = parse_frame(fixture("gateio_ws_api_ack.json")).unwrap() else {
        panic!();
    };
    assert_eq!(ack.channel, "spot.order_place");
    assert_eq!(ack.request_id, "request-2");
    assert!(ack.ack);
    assert_eq!(ack.status, 200);
    let rate = ack.rate_limit.unwrap();
    assert_eq!(
        (rate.remaining, rate.limit, rate.reset_ms),
        (Some(9), Some(10), Some(1681985856667))
    );
    let echoed: serde_json::Value = serde_json::from_slice(ack.result.unwrap()).unwrap();
    assert_eq!(echoed["req_param"]["currency_pair"], "GT_USDT");

    let Message::Api(result) =
        parse_frame(fixture("gateio_ws_api_order_place_result.json")).unwrap()
    else {
        panic!();
    };
    assert!(!result.ack);
    assert_eq!(result.response_time_ms, Some(1681986204784));
    let order: serde_json::Value = serde_json::from_slice(result.result.unwrap()).unwrap();
    assert_eq!(order["id"], "1700664330");

    let error = parse_frame(fixture("gateio_ws_api_error_auth.json")).unwrap_err();
    assert_eq!(
        error,
        Error::Api {
            channel: Some(Channel::SpotLogin),
            request_id: "xxxx".into(),
            status: 401,
            label: "INVALID_KEY".into(),
            message: "Invalid key provided".into(),
        }
    );
    assert!(error.is_fatal());

    let error = parse_frame(fixture("gateio_ws_api_error_ratelimit.json")).unwrap_err();
    let Error::Api {
        status, ref label, ..
    } = error
    else {
        panic!("{error:?}");
    };
    assert_eq!((status, label.as_str()), (429, "TOO_MANY_REQUESTS"));
    assert!(!error.is_fatal());
    assert!(error.is_retryable());
}

// ---- order books ----------------------------------------------------------------------

#[test]
fn spot_order_book_update() {
    let frame = fixture("gateio_spot_order_book_update.json");
    let Message::OrderBookUpdate(update) = parse_frame(frame).unwrap() else {
        panic!();
    };
    assert_eq!(update.channel, Channel::SpotOrderBookUpdate);
    assert_eq!(update.symbol, sym("BTC_USDT"));
    assert!(update.full);
    assert_eq!(update.first_update_id, Some(48776301));
    assert_eq!(update.last_update_id, 48776306);
    assert_eq!(update.time_ms, 1606294781123);
    assert_eq!(update.depth, Some(100));
    assert_eq!(
        levels(update.bids),
        lv(&[("19137.74", "0.0001"), ("19088.37", "0")])
    );
    assert_eq!(levels(update.asks), lv(&[("19137.75", "0.6135")]));
}

#[test]
fn futures_order_book_update_with_integer_sizes() {
    let Message::OrderBookUpdate(update) =
        parse_frame(fixture("gateio_futures_order_book_update.json")).unwrap()
    else {
        panic!();
    };
    assert_eq!(update.channel, Channel::FuturesOrderBookUpdate);
    assert_eq!(update.symbol, sym("BTC_USD"));
    assert!(!update.full);
    assert_eq!(update.first_update_id, Some(2517661101));
    assert_eq!(update.last_update_id, 2517661113);
    assert_eq!(update.time_ms, 1615366381417);
    assert_eq!(update.depth, Some(100));
    assert_eq!(
        levels(update.bids),
        lv(&[("54672.1", "0"), ("54664.5", "58794")])
    );
    assert_eq!(
        levels(update.asks),
        lv(&[("54743.6", "0"), ("54742", "95")])
    );
}

#[test]
fn futures_sizes_as_decimal_strings() {
    let frame = br#"{"time":1,"channel":"futures.order_book_update","event":"update","result":{"t":5,"s":"BTC_USDT","U":3,"u":4,"b":[{"p":"100.5","s":"5116.8"}],"a":[{"p":"101","s":"0"}],"l":"20"}}"#;
    let Message::OrderBookUpdate(update) = parse_frame(frame).unwrap() else {
        panic!();
    };
    assert_eq!(levels(update.bids), lv(&[("100.5", "5116.8")]));
    assert_eq!(levels(update.asks), lv(&[("101", "0")]));
    let frame = br#"{"time":1,"time_ms":2,"channel":"futures.book_ticker","event":"update","result":{"t":1,"u":2,"s":"BTC_USDT","b":"1","B":"2.5","a":"","A":0}}"#;
    let Message::BookTicker(ticker) = parse_frame(frame).unwrap() else {
        panic!();
    };
    assert_eq!(ticker.bid, Some(Level::new(p("1"), q("2.5"))));
    assert_eq!(ticker.ask, None);
}

#[test]
fn order_book_v2_pushes() {
    for (name, channel, full, first, last, bids, asks, depth) in [
        (
            "gateio_spot_obu_full.json",
            Channel::SpotObu,
            true,
            None,
            73777715168,
            lv(&[("104027.1", "509392"), ("104027", "477932")]),
            lv(&[("104027.2", "44617"), ("104027.4", "39322")]),
            50,
        ),
        (
            "gateio_spot_obu_update.json",
            Channel::SpotObu,
            false,
            Some(73777715169),
            73777715212,
            lv(&[("104024.5", "10343"), ("104014.5", "509392")]),
            lv(&[("104027.2", "0"), ("104027.4", "0")]),
            50,
        ),
        (
            "gateio_futures_obu_full.json",
            Channel::FuturesObu,
            true,
            None,
            79072179673,
            lv(&[("83705.9", "30166")]),
            lv(&[("83706", "4208")]),
            400,
        ),
        (
            "gateio_futures_obu_update.json",
            Channel::FuturesObu,
            false,
            Some(79072179674),
            79072179694,
            lv(&[
                ("83702.2", "62"),
                ("83702.1", "0"),
                ("83702", "0"),
                ("83685.6", "120"),
                ("83685", "239"),
            ]),
            vec![],
            400,
        ),
    ] {
        let Message::OrderBookUpdate(update) = parse_frame(fixture(name)).unwrap() else {
            panic!("{name}");
        };
        assert_eq!(update.channel, channel, "{name}");
        assert_eq!(update.symbol, sym("BTC_USDT"), "{name}");
        assert_eq!(update.full, full, "{name}");
        assert_eq!(update.first_update_id, first, "{name}");
        assert_eq!(update.last_update_id, last, "{name}");
        assert_eq!(update.depth, Some(depth), "{name}");
        assert_eq!(levels(update.bids), bids, "{name}");
        assert_eq!(levels(update.asks), asks, "{name}");
    }
}

#[test]
fn snapshot_pushes_and_rest_snapshots() {
    let Message::BookSnapshot(snapshot) =
        parse_frame(fixture("gateio_spot_order_book.json")).unwrap()
    else {
        panic!();
    };
    assert_eq!(snapshot.symbol, Some(sym("BTC_USDT")));
    assert_eq!(snapshot.update_id, 48791820);
    assert_eq!(snapshot.time_ms, Some(1606295412123));
    let bids = levels(snapshot.bids);
    assert_eq!(bids.len(), 5);
    assert_eq!(bids[0], (p("19079.55"), q("0.0195")));
    assert_eq!(bids[2], (p("19076.23"), q("0.00011808")));
    assert_eq!(levels(snapshot.asks)[4], (p("19083.8"), q("0.097")));

    let Message::BookSnapshot(snapshot) =
        parse_frame(fixture("gateio_futures_order_book_all.json")).unwrap()
    else {
        panic!();
    };
    assert_eq!(snapshot.symbol, Some(sym("BTC_USD")));
    assert_eq!(snapshot.update_id, 93973511);
    assert_eq!(snapshot.time_ms, Some(1541500161123));
    assert_eq!(
        levels(snapshot.asks),
        lv(&[("97.1", "2245"), ("97.1", "2245")])
    );

    let spot = fixture("gateio_rest_spot_order_book.json");
    let snapshot = parse_snapshot(spot).unwrap();
    assert_eq!(snapshot.symbol, None);
    assert_eq!(snapshot.update_id, 123456);
    assert_eq!(snapshot.time_ms, Some(1623898993121));
    assert_eq!(
        levels(snapshot.asks),
        lv(&[("1.52", "1.151"), ("1.53", "1.218")])
    );
    assert_eq!(
        levels(snapshot.bids),
        lv(&[("1.17", "201.863"), ("1.16", "725.464")])
    );

    let futures = fixture("gateio_rest_futures_order_book.json");
    let snapshot = parse_snapshot(futures).unwrap();
    assert_eq!(snapshot.update_id, 123456);
    assert_eq!(snapshot.time_ms, Some(1623898993121));
    assert_eq!(
        levels(snapshot.asks),
        lv(&[("1.52", "100"), ("1.53", "40")])
    );
    assert_eq!(
        levels(snapshot.bids),
        lv(&[("1.17", "150"), ("1.16", "203")])
    );
}

// ---- public market data ---------------------------------------------------------------

#[test]
fn book_tickers() {
    let Message::BookTicker(ticker) = parse_frame(fixture("gateio_spot_book_ticker.json")).unwrap()
    else {
        panic!();
    };
    assert_eq!(ticker.venue, Venue::GateioSpot);
    assert_eq!(ticker.symbol, sym("BTC_USDT"));
    assert_eq!(
        ticker.bid,
        Some(Level::new(p("19177.79"), q("0.0003341504")))
    );
    assert_eq!(ticker.ask, Some(Level::new(p("19179.38"), q("0.09"))));
    assert_eq!(ticker.update_id, Some(48733182));
    assert_eq!(ticker.exchange_time_ms, 1606293275123);

    let Message::BookTicker(ticker) =
        parse_frame(fixture("gateio_futures_book_ticker.json")).unwrap()
    else {
        panic!();
    };
    assert_eq!(ticker.venue, Venue::GateioFutures);
    assert_eq!(ticker.symbol, sym("BTC_USD"));
    assert_eq!(ticker.bid, Some(Level::new(p("54696.6"), q("37000"))));
    assert_eq!(ticker.ask, Some(Level::new(p("54696.7"), q("47061"))));
    assert_eq!(ticker.update_id, Some(2517661076));
    assert_eq!(ticker.exchange_time_ms, 1615366379123);
}

#[test]
fn spot_trade_with_repeated_id_market() {
    let Message::Trade(trade) = parse_frame(fixture("gateio_spot_trades.json")).unwrap() else {
        panic!();
    };
    assert_eq!(trade.trade.venue, Venue::GateioSpot);
    assert_eq!(trade.trade.symbol, sym("GT_USDT"));
    assert_eq!(trade.trade.trade_id, TradeId::from_u64(309143071));
    assert_eq!(trade.trade.price, p("0.4705"));
    assert_eq!(trade.trade.quantity, q("16.47"));
    assert_eq!(trade.trade.taker_side, Some(Side::Sell));
    // `create_time_ms` is "1606292218213.4578": whole milliseconds.
    assert_eq!(trade.trade.exchange_time_ms, 1606292218213);
    // The key repeats in the venue's example; the last value wins.
    assert_eq!(trade.market_trade_id, Some(5736713));
    assert!(!trade.internal);
}

#[test]
fn futures_trades_signed_size_gives_side() {
    let Message::Trades(trades) = parse_frame(fixture("gateio_futures_trades.json")).unwrap()
    else {
        panic!();
    };
    let trades: Vec<_> = trades.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(trades.len(), 1);
    let trade = trades[0];
    assert_eq!(trade.trade.venue, Venue::GateioFutures);
    assert_eq!(trade.trade.symbol, sym("BTC_USD"));
    assert_eq!(trade.trade.trade_id, TradeId::from_u64(27753479));
    assert_eq!(trade.trade.price, p("96.4"));
    assert_eq!(trade.trade.quantity, q("108"));
    assert_eq!(trade.trade.taker_side, Some(Side::Sell));
    assert_eq!(trade.trade.exchange_time_ms, 1545136464123);
    assert!(trade.internal);
}

#[test]
fn tickers() {
    let Message::Tickers(tickers) = parse_frame(fixture("gateio_spot_tickers.json")).unwrap()
    else {
        panic!();
    };
    let tickers: Vec<_> = tickers.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(tickers.len(), 1);
    let t = tickers[0];
    assert_eq!(t.venue, Venue::GateioSpot);
    assert_eq!(t.symbol, sym("BTC_USDT"));
    assert_eq!(t.last, Some(p("15743.4")));
    assert_eq!(t.best_ask, Some(p("15744.4")));
    assert_eq!(t.best_bid, Some(p("15743.5")));
    assert_eq!(t.change_percentage, Some(d("-1.8254")));
    assert_eq!(t.base_volume, Some(d("9110.473081735")));
    assert_eq!(t.quote_volume, Some(d("145082083.2535")));
    assert_eq!(t.high_24h, Some(p("16280.9")));
    assert_eq!(t.low_24h, Some(p("15468.5")));
    assert_eq!(t.exchange_time_ms, 1669107766406);

    let Message::Tickers(tickers) = parse_frame(fixture("gateio_futures_tickers.json")).unwrap()
    else {
        panic!();
    };
    let tickers: Vec<_> = tickers.iter().collect::<Result<_, _>>().unwrap();
    let t = tickers[0];
    assert_eq!(t.venue, Venue::GateioFutures);
    assert_eq!(t.symbol, sym("BTC_USD"));
    assert_eq!(t.last, Some(p("118.4")));
    assert_eq!(t.change_percentage, Some(d("0.77")));
    assert_eq!(t.funding_rate, Some(d("-0.000114")));
    assert_eq!(t.mark_price, Some(p("118.35")));
    assert_eq!(t.index_price, Some(p("118.36")));
    assert_eq!(t.base_volume, Some(d("5526")));
    assert_eq!(t.quote_volume, Some(d("1665006")));
    assert_eq!(t.high_24h, Some(p("132.5")));
    assert_eq!(t.low_24h, Some(p("99.2")));
    assert_eq!(t.best_bid, None);
    assert_eq!(t.exchange_time_ms, 1541659086123);
}

#[test]
fn recognised_channels_not_decoded() {
    for (name, channel, first) in [
        (
            "gateio_spot_candlesticks.json",
            Channel::SpotCandlesticks,
            b'{',
        ),
        (
            "gateio_futures_liquidates.json",
            Channel::FuturesLiquidates,
            b'[',
        ),
        (
            "gateio_futures_public_liquidates.json",
            Channel::FuturesPublicLiquidates,
            b'[',
        ),
    ] {
        let frame = fixture(name);
        let Message::Other { channel: c, result } = parse_frame(frame).unwrap() else {
            panic!("{name}");
        };
        assert_eq!(c, channel, "{name}");
        assert_eq!(result.first(), Some(&first), "{name}");
        let value: serde_json::Value = serde_json::from_slice(result).unwrap();
        assert!(!value.is_null(), "{name}");
    }
}

// ---- private channels -----------------------------------------------------------------

#[test]
fn spot_orders() {
    let Message::Orders(orders) = parse_frame(fixture("gateio_spot_orders.json")).unwrap() else {
        panic!();
    };
    assert_eq!(orders.channel(), Channel::SpotOrders);
    let orders: Vec<_> = orders.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(orders.len(), 1);
    let o = orders[0];
    assert_eq!(o.order.venue, Venue::GateioSpot);
    assert_eq!(o.order.symbol, sym("BTC_USDT"));
    assert_eq!(o.order.order_id, OrderId::new("399123456").unwrap());
    assert_eq!(
        o.order.client_order_id,
        Some(ClientOrderId::new("t-testtext").unwrap())
    );
    assert_eq!(o.order.side, Side::Sell);
    assert_eq!(o.order.order_type, OrderType::Limit);
    assert_eq!(o.order.price, Some(p("26253.3")));
    assert_eq!(o.order.quantity, q("0.0001"));
    // `left` equals `amount`: nothing filled (the example's `filled_amount` is not
    // consistent with the order and is not trusted over `left`).
    assert_eq!(o.order.filled, Quantity::ZERO);
    assert_eq!(o.order.average_price, None);
    assert_eq!(o.order.status, OrderStatus::New);
    assert_eq!(o.order.update_time_ms, 1694655225315);
    assert_eq!(o.left, q("0.0001"));
    assert_eq!(o.fee, Some(Decimal::ZERO));
    assert_eq!(o.fee_asset, Some(Asset::new("USDT").unwrap()));
    assert_eq!(o.event, Some(OrderEvent::Put));
}

#[test]
fn futures_orders() {
    let Message::Orders(orders) = parse_frame(fixture("gateio_futures_orders.json")).unwrap()
    else {
        panic!();
    };
    let orders: Vec<_> = orders.iter().collect::<Result<_, _>>().unwrap();
    let o = orders[0];
    assert_eq!(o.order.venue, Venue::GateioFutures);
    assert_eq!(o.order.symbol, sym("BTC_USD"));
    assert_eq!(o.order.order_id, OrderId::from_u64(4872460));
    assert_eq!(o.order.client_order_id, None);
    assert_eq!(o.order.side, Side::Buy);
    assert_eq!(o.order.order_type, OrderType::Limit);
    // `price` and `fill_price` arrive as JSON numbers: read from their text, exactly.
    assert_eq!(o.order.price, Some(p("40000.4")));
    assert_eq!(o.order.average_price, Some(p("40000.4")));
    assert_eq!(o.order.quantity, q("1"));
    assert_eq!(o.order.filled, q("1"));
    assert_eq!(o.order.status, OrderStatus::Filled);
    assert_eq!(o.order.update_time_ms, 1541505434123);
    assert_eq!(o.left, Quantity::ZERO);
    assert_eq!(o.event, None);
}

#[test]
fn user_trades() {
    let Message::UserTrades(fills) = parse_frame(fixture("gateio_spot_usertrades.json")).unwrap()
    else {
        panic!();
    };
    let fills: Vec<_> = fills.iter().collect::<Result<_, _>>().unwrap();
    let f = fills[0];
    assert_eq!(f.venue, Venue::GateioSpot);
    assert_eq!(f.symbol, sym("BTC_USDT"));
    assert_eq!(f.trade_id, TradeId::from_u64(5736713));
    assert_eq!(f.order_id, OrderId::new("30784428").unwrap());
    assert_eq!(f.client_order_id, None);
    assert_eq!(f.side, Side::Sell);
    assert_eq!(f.price, p("10000"));
    assert_eq!(f.quantity, q("1"));
    assert_eq!(f.fee, d("0.002"));
    assert_eq!(f.fee_asset, None);
    assert_eq!(f.role, Some(LiquidityRole::Taker));
    assert_eq!(f.time_ms, 1605176741123);

    let Message::UserTrades(fills) =
        parse_frame(fixture("gateio_futures_usertrades.json")).unwrap()
    else {
        panic!();
    };
    let fills: Vec<_> = fills.iter().collect::<Result<_, _>>().unwrap();
    let f = fills[0];
    assert_eq!(f.venue, Venue::GateioFutures);
    assert_eq!(f.symbol, sym("BTC_USD"));
    assert_eq!(f.trade_id, TradeId::new("3335259").unwrap());
    assert_eq!(f.order_id, OrderId::new("4872460").unwrap());
    assert_eq!(f.side, Side::Buy);
    assert_eq!(f.quantity, q("1"));
    assert_eq!(f.price, p("40000.4"));
    assert_eq!(f.fee, d("0.0009290592"));
    assert_eq!(f.role, Some(LiquidityRole::Maker));
    assert_eq!(f.time_ms, 1628736848321);
}

#[test]
fn balances() {
    let Message::Balances(items) = parse_frame(fixture("gateio_spot_balances.json")).unwrap()
    else {
        panic!();
    };
    let items: Vec<_> = items.iter().collect::<Result<_, _>>().unwrap();
    let b = items[0];
    assert_eq!(b.balance.venue, Venue::GateioSpot);
    assert_eq!(b.balance.asset, Asset::new("USDT").unwrap());
    assert_eq!(b.balance.available, d("222244.3827"));
    assert_eq!(b.balance.locked, d("5"));
    assert_eq!(b.balance.time_ms, 1667556323730);
    assert_eq!(b.total, Some(d("222244.3827652")));
    assert_eq!(b.change, Some(Decimal::ZERO));

    let Message::Balances(items) = parse_frame(fixture("gateio_futures_balances.json")).unwrap()
    else {
        panic!();
    };
    let items: Vec<_> = items.iter().collect::<Result<_, _>>().unwrap();
    let b = items[0];
    assert_eq!(b.balance.venue, Venue::GateioFutures);
    assert_eq!(b.balance.asset, Asset::new("btc").unwrap());
    assert_eq!(b.balance.available, d("9.998739899488"));
    assert_eq!(b.balance.locked, Decimal::ZERO);
    assert_eq!(b.balance.time_ms, 1547199246123);
    assert_eq!(b.change, Some(d("-0.000002074115")));
}

#[test]
fn positions() {
    let Message::Positions(items) = parse_frame(fixture("gateio_futures_positions.json")).unwrap()
    else {
        panic!();
    };
    let items: Vec<_> = items.iter().collect::<Result<_, _>>().unwrap();
    let pos = items[0];
    assert_eq!(pos.venue, Venue::GateioFutures);
    assert_eq!(pos.symbol, sym("BTC_USD"));
    assert_eq!(pos.size, d("3"));
    assert_eq!(pos.entry_price, Some(p("40000.36666661111")));
    assert_eq!(pos.leverage, Some(Decimal::ZERO));
    assert_eq!(pos.liquidation_price, Some(p("0.1")));
    // -1.25e-8 in the frame: exponent notation, still exact.
    assert_eq!(pos.realised_pnl, Some(d("-0.0000000125")));
    assert_eq!(pos.time_ms, 1628736848321);
}

// ---- client requests: the builders produce the documented shapes ----------------------

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn login_requests_match_the_fixtures() {
    for (name, market) in [
        ("gateio_spot_login_request.json", Market::Spot),
        ("gateio_futures_login_request.json", Market::Futures),
    ] {
        let mut expected = json(fixture(name));
        let creds = Credentials::new("ea83fad2604399da16bf97e6eea772a6", "unknown secret");
        let built = login_request(market, &creds, 1681984544, "request-1", None);
        let mut built = json(built.as_bytes());
        // The docs' secret is not published: compare everything but the signature.
        let signature = built["payload"]["signature"].take();
        assert_eq!(signature.as_str().map(str::len), Some(128));
        expected["payload"]["signature"].take();
        assert_eq!(built, expected, "{name}");
    }
}

#[test]
fn private_subscription_matches_the_fixture() {
    let mut expected = json(fixture("gateio_spot_client_request_auth.json"));
    let creds = Credentials::new("xxxx", "YOUR_API_SECRET");
    let sub =
        Subscription::symbols(Channel::SpotOrders, [sym("BTC_USDT"), sym("GT_USDT")]).unwrap();
    let built = sub
        .subscribe_request(1611541000, Some(123456789), Some(&creds))
        .unwrap();
    let mut built = json(built.as_bytes());
    // Spec §3.2 vector for this very request.
    assert_eq!(
        built["auth"]["SIGN"].take(),
        "4cec593ad7b7ea6592e2be81f3646a727f5a9ca3a1b90bef3bf9242f62f10e8ab0e3967ba96d1df4ece3a656a77d92b0fb4351321fd3564a125f4652a22deed1"
    );
    expected["auth"]["SIGN"].take();
    assert_eq!(built, expected);

    let futures = Subscription::new(
        Channel::FuturesOrders,
        Payload::User {
            user_id: UserId(20011),
            symbols: vec![sym("BTC_USD")],
        },
    )
    .unwrap();
    let built = json(
        futures
            .subscribe_request(1, None, Some(&creds))
            .unwrap()
            .as_bytes(),
    );
    assert_eq!(built["payload"], serde_json::json!(["20011", "BTC_USD"]));
    let book =
        Subscription::order_book(Market::Futures, sym("BTC_USDT"), BookDepth::Levels100).unwrap();
    let built = json(book.subscribe_request(1, None, None).unwrap().as_bytes());
    assert_eq!(
        built["payload"],
        serde_json::json!(["BTC_USDT", "100ms", "100"])
    );
}

#[test]
fn trading_requests_are_not_server_messages() {
    // Client → server messages of the WebSocket trading API: nothing here builds them
    // yet; decoding one as if it came from the server is a typed error, not a panic.
    for name in [
        "gateio_spot_order_place_request.json",
        "gateio_spot_order_cancel_request.json",
        "gateio_futures_order_place_request.json",
    ] {
        let frame = fixture(name);
        let value = json(frame);
        assert_eq!(value["event"], "api", "{name}");
        let error = parse_frame(frame).unwrap_err();
        assert!(error.is_decode(), "{name}: {error}");
        assert!(
            error
                .channel()
                .is_none_or(|c| c.market() == Market::Spot || c.market() == Market::Futures)
        );
    }
}
