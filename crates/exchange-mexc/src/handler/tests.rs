//! The handlers driven with scripted frames, REST answers and a fake clock: routing, the
//! session hooks, acks and refusals, book sync through the sink, sharding, the listen-key
//! lifecycle and reconciliation. No sockets.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use market_types::{
    Balance, BookStatus, BookStatusEvent, BookTicker, BookUpdate, BookUpdateKind, Decimal, Fill,
    LiquidityRole, Order, OrderBook, OrderStatus, Price, Quantity, ResyncReason, Side, Symbol,
    Trade,
};
use prost::Message as _;
use ws_handlers::{Driven, WebSocketMessageType};
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin, PublicWebSocketMixin, StreamError};
use ws_session::{
    DisconnectCause, FrameKind, InboundFrame, OutFrame, Outbox, ReconnectDecision, RestMethod,
    RestReply, RestRequest, RestResponse, Session, SessionSignal, StreamKind, Timestamp,
};

use super::public::shard_channels;
use super::*;
use crate::channel::{AggInterval, Channel, DepthLimit, KlineInterval};
use crate::config::{Credentials, Endpoints, MexcConfig};
use crate::pb;

// ------------------------------------------------------------------ helpers

fn at(ms: u64) -> Timestamp {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    Timestamp::new(origin, 1_778_000_000_000_000_000).advanced(Duration::from_millis(ms))
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn depth(symbol: &str) -> Channel {
    Channel::AggreDepth {
        symbol: sym(symbol),
        interval: AggInterval::Ms100,
    }
}

fn deals(symbol: &str) -> Channel {
    Channel::AggreDeals {
        symbol: sym(symbol),
        interval: AggInterval::Ms100,
    }
}

fn ticker(symbol: &str) -> Channel {
    Channel::AggreBookTicker {
        symbol: sym(symbol),
        interval: AggInterval::Ms100,
    }
}

fn config() -> MexcHandlerConfig {
    MexcHandlerConfig::new(MexcConfig {
        endpoints: Endpoints::new("ws://127.0.0.1:1/ws", "http://127.0.0.1:1"),
        credentials: Some(Credentials::new("key", "secret")),
        ..MexcConfig::default()
    })
}

fn feed<S: Session>(session: &mut S, kind: FrameKind, bytes: &[u8], now: Timestamp) -> Outbox {
    let mut payload = bytes.to_vec();
    let mut out = Outbox::new();
    session.on_frame(
        InboundFrame {
            kind,
            payload: &mut payload,
            received_at: now,
        },
        &mut out,
    );
    out
}

fn feed_text<S: Session>(session: &mut S, text: &str, now: Timestamp) -> Outbox {
    feed(session, FrameKind::Text, text.as_bytes(), now)
}

fn ack(channel: Channel) -> String {
    format!(r#"{{"id":0,"code":0,"msg":"{channel}"}}"#)
}

fn ok(request: &RestRequest, body: &str) -> RestResponse {
    RestResponse {
        id: request.id,
        result: Ok(RestReply {
            status: 200,
            retry_after: None,
            body: Bytes::from(body.to_owned()),
        }),
    }
}

fn refused(request: &RestRequest, code: i64, msg: &str) -> RestResponse {
    RestResponse {
        id: request.id,
        result: Ok(RestReply {
            status: 400,
            retry_after: None,
            body: Bytes::from(format!(r#"{{"code":{code},"msg":"{msg}"}}"#)),
        }),
    }
}

fn texts(out: &Outbox) -> Vec<String> {
    out.frames()
        .iter()
        .map(|f| match f {
            OutFrame::Text(b) => String::from_utf8_lossy(b).into_owned(),
            OutFrame::Binary(_) => "<binary>".into(),
        })
        .collect()
}

fn items(levels: &[(&str, &str)]) -> Vec<pb::PublicAggreDepthV3ApiItem> {
    levels
        .iter()
        .map(|(price, quantity)| pb::PublicAggreDepthV3ApiItem {
            price: (*price).into(),
            quantity: (*quantity).into(),
        })
        .collect()
}

fn wrapper(channel: String, symbol: &str, body: pb::push_data_v3_api_wrapper::Body) -> Vec<u8> {
    pb::PushDataV3ApiWrapper {
        channel,
        symbol: (!symbol.is_empty()).then(|| symbol.to_owned()),
        symbol_id: None,
        create_time: None,
        send_time: Some(1_778_075_380_000),
        body: Some(body),
    }
    .encode_to_vec()
}

fn depth_frame(
    symbol: &str,
    from: u64,
    to: u64,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> Vec<u8> {
    wrapper(
        depth(symbol).to_string(),
        symbol,
        pb::push_data_v3_api_wrapper::Body::PublicAggreDepths(pb::PublicAggreDepthsV3Api {
            asks: items(asks),
            bids: items(bids),
            event_type: "spot@public.aggre.depth.v3.api.pb@100ms".into(),
            from_version: from.to_string(),
            to_version: to.to_string(),
            last_order_create_time: 0,
        }),
    )
}

fn deals_frame(symbol: &str, n: usize) -> Vec<u8> {
    wrapper(
        deals(symbol).to_string(),
        symbol,
        pb::push_data_v3_api_wrapper::Body::PublicAggreDeals(pb::PublicAggreDealsV3Api {
            deals: (0..n)
                .map(|i| pb::PublicAggreDealsV3ApiItem {
                    price: "100.5".into(),
                    quantity: "0.1".into(),
                    trade_type: 1,
                    time: 1_778_075_380_000,
                    trade_id: format!("t{i}"),
                })
                .collect(),
            event_type: "spot@public.aggre.deals.v3.api.pb@100ms".into(),
        }),
    )
}

fn ticker_frame(symbol: &str) -> Vec<u8> {
    wrapper(
        ticker(symbol).to_string(),
        symbol,
        pb::push_data_v3_api_wrapper::Body::PublicAggreBookTicker(pb::PublicAggreBookTickerV3Api {
            bid_price: "100".into(),
            bid_quantity: "4".into(),
            ask_price: "101".into(),
            ask_quantity: "2".into(),
            version: "10023".into(),
            last_order_create_time: 0,
        }),
    )
}

fn limit_depth_frame(symbol: &str) -> Vec<u8> {
    wrapper(
        format!("spot@public.limit.depth.v3.api.pb@{symbol}@5"),
        symbol,
        pb::push_data_v3_api_wrapper::Body::PublicLimitDepths(pb::PublicLimitDepthsV3Api {
            asks: vec![pb::PublicLimitDepthV3ApiItem {
                price: "101".into(),
                quantity: "1".into(),
            }],
            bids: vec![pb::PublicLimitDepthV3ApiItem {
                price: "100".into(),
                quantity: "2".into(),
            }],
            event_type: "spot@public.limit.depth.v3.api.pb".into(),
            version: "77".into(),
            last_order_create_time: 0,
        }),
    )
}

/// Everything the callbacks saw.
#[derive(Debug, Default)]
struct Seen {
    books: Vec<(Symbol, BookUpdateKind, u64, usize)>,
    statuses: Vec<(Symbol, BookStatus)>,
    trades: Vec<Trade>,
    tickers: Vec<BookTicker>,
    errors: Vec<StreamError>,
    orders: Vec<Order>,
    fills: Vec<Fill>,
    balances: Vec<Balance>,
    reconciled: u32,
}

impl PublicWebSocketMixin for Seen {
    fn on_order_book(&mut self, book: &OrderBook, update: &BookUpdate) {
        self.books.push((
            update.symbol,
            update.kind,
            update.last_update_id,
            book.bids().count() + book.asks().count(),
        ));
    }
    fn on_trade(&mut self, trade: &Trade) {
        self.trades.push(*trade);
    }
    fn on_book_ticker(&mut self, ticker: &BookTicker) {
        self.tickers.push(*ticker);
    }
    fn on_book_status(&mut self, event: &BookStatusEvent) {
        self.statuses.push((event.symbol, event.status));
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

impl PrivateWebSocketMixin for Seen {
    fn on_order(&mut self, order: &Order) {
        self.orders.push(*order);
    }
    fn on_fill(&mut self, fill: &Fill) {
        self.fills.push(*fill);
    }
    fn on_balance(&mut self, balance: &Balance) {
        self.balances.push(*balance);
    }
    fn on_reconciled(&mut self) {
        self.reconciled += 1;
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

type Public = MexcPublicWebSocketHandler<Seen>;
type Private = MexcPrivateWebSocketHandler<Seen>;

/// A public handler on BTCUSDT depth, deals and ticker, connected and acknowledged.
fn live_public() -> (Public, Outbox) {
    let mut h = Driven::new(MexcPublicParts::new(
        config(),
        [depth("BTCUSDT"), deals("BTCUSDT"), ticker("BTCUSDT")],
        Seen::default(),
    ));
    let mut out = Outbox::new();
    h.on_connected(at(0), &mut out);
    assert_eq!(
        texts(&out),
        vec![
            r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"],"id":1}"#,
            r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"],"id":2}"#,
            r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"],"id":3}"#,
        ],
        "one channel per request"
    );
    let mut signals = Vec::new();
    for channel in [depth("BTCUSDT"), deals("BTCUSDT"), ticker("BTCUSDT")] {
        let o = feed_text(&mut h, &ack(channel), at(1));
        signals.extend(o.signals().iter().cloned());
    }
    assert_eq!(
        signals,
        vec![SessionSignal::Ready],
        "ready after the last ack"
    );
    (h, out)
}

/// Feeds one push, answers the snapshot request it causes, and returns the outbox.
fn sync_book(h: &mut Public, snapshot_id: u64) {
    let out = feed(
        h,
        FrameKind::Binary,
        &depth_frame(
            "BTCUSDT",
            snapshot_id + 1,
            snapshot_id + 1,
            &[("99", "1")],
            &[],
        ),
        at(10),
    );
    let request = out
        .rest_requests()
        .first()
        .expect("snapshot requested")
        .clone();
    assert_eq!(request.method, RestMethod::Get);
    assert_eq!(
        request.url,
        "http://127.0.0.1:1/api/v3/depth?symbol=BTCUSDT&limit=5000"
    );
    let body = format!(
        r#"{{"lastUpdateId":{snapshot_id},"bids":[["100","1"],["99","3"]],"asks":[["101","2"]]}}"#
    );
    let mut out = Outbox::new();
    h.on_rest_response(ok(&request, &body), at(20), &mut out);
    assert_eq!(h.status(sym("BTCUSDT")), Some(BookStatus::Live));
    // Programs read the same book through the venue-independent accessors.
    let btc = sym("BTCUSDT");
    assert_eq!(ws_handlers::VenueHandler::book_symbols(h), [btc]);
    let (book, status) = ws_handlers::VenueHandler::book(h, btc).unwrap();
    assert_eq!(status, BookStatus::Live);
    assert_eq!(book.update_id(), h.book(btc).unwrap().update_id());
    assert_eq!(
        ws_handlers::VenueHandler::book_sync(h),
        (&h.book_stats()).into()
    );
}

// ------------------------------------------------------------------ public

#[test]
fn public_context_policy_and_stream_kinds() {
    let h = Driven::new(MexcPublicParts::new(
        config(),
        [depth("BTCUSDT")],
        Seen::default(),
    ));
    let ctx = h.connection_context();
    assert_eq!(ctx.url, "ws://127.0.0.1:1/ws");
    assert!(ctx.headers.is_empty());
    assert_eq!(ctx.ping.app_ping_interval, Some(Duration::from_secs(20)));
    assert!(ctx.ping.idle_timeout.is_some());
    assert!(
        ctx.max_lifetime
            .is_some_and(|l| l < Duration::from_secs(86_400))
    );
    assert_eq!(Session::reconnection_policy(&h), RECONNECTION_POLICY);
    assert_eq!(
        h.classify_disconnect(&DisconnectCause::ClosedByPeer {
            code: None,
            reason: String::new()
        }),
        ReconnectDecision::Retry
    );
    assert_eq!(
        h.classify_disconnect(&DisconnectCause::HandshakeRejected {
            status: 403,
            retry_after: None
        }),
        ReconnectDecision::Retry
    );
    let mut frame = depth_frame("BTCUSDT", 1, 1, &[], &[]);
    let kind = h.stream_kind(&InboundFrame {
        kind: FrameKind::Binary,
        payload: &mut frame,
        received_at: at(0),
    });
    assert_eq!(kind, StreamKind::Book);
    let mut pong = br#"{"id":0,"code":0,"msg":"PONG"}"#.to_vec();
    let kind = h.stream_kind(&InboundFrame {
        kind: FrameKind::Text,
        payload: &mut pong,
        received_at: at(0),
    });
    assert_eq!(kind, StreamKind::Control);
}

#[test]
fn depth_syncs_through_the_sink_and_gaps_resync_one_symbol() {
    let (mut h, _) = live_public();
    assert_eq!(h.status(sym("BTCUSDT")), Some(BookStatus::Syncing));
    sync_book(&mut h, 100);
    let book = h.book(sym("BTCUSDT")).unwrap();
    assert_eq!(book.update_id(), 101);
    assert_eq!(book.best_bid().unwrap().price, Price::parse("100").unwrap());
    assert_eq!(
        book.quantity_at(market_types::Side::Buy, Price::parse("99").unwrap()),
        Some(Quantity::parse("1").unwrap())
    );
    // Live: an in-order push is applied and reported.
    feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 102, 104, &[("100", "0")], &[("102", "5")]),
        at(30),
    );
    let seen = h.callbacks();
    let last = seen.books.last().unwrap();
    assert_eq!((last.1, last.2), (BookUpdateKind::Delta, 104));
    assert_eq!(
        seen.statuses,
        vec![
            (sym("BTCUSDT"), BookStatus::Syncing),
            (sym("BTCUSDT"), BookStatus::Live)
        ]
    );
    // A gap: the book is thrown away, resyncs, and the error is reported once.
    let out = feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 106, 106, &[], &[]),
        at(40),
    );
    assert_eq!(out.rest_requests().len(), 1, "snapshot requested at once");
    assert_eq!(
        h.status(sym("BTCUSDT")),
        Some(BookStatus::Resyncing(ResyncReason::Gap {
            expected: 105,
            received: 106
        }))
    );
    assert!(
        h.book(sym("BTCUSDT")).unwrap().is_empty(),
        "resync starts empty"
    );
    assert_eq!(h.stats().errors, 1);
    let error = h.callbacks().errors.last().unwrap();
    assert_eq!(error.category, ErrorCategory::BookSync);
    assert!(error.message.contains("BTCUSDT"));
    assert_eq!(h.book_stats().resyncs, 1);
}

#[test]
fn trades_tickers_partial_books_and_pongs_are_routed() {
    let mut h = Driven::new(MexcPublicParts::new(
        config(),
        [
            deals("BTCUSDT"),
            ticker("BTCUSDT"),
            Channel::LimitDepth {
                symbol: sym("BTCUSDT"),
                depth: DepthLimit::Five,
            },
        ],
        Seen::default(),
    ));
    let mut out = Outbox::new();
    h.on_connected(at(0), &mut out);
    feed(&mut h, FrameKind::Binary, &deals_frame("BTCUSDT", 3), at(1));
    feed(&mut h, FrameKind::Binary, &ticker_frame("BTCUSDT"), at(2));
    feed(
        &mut h,
        FrameKind::Binary,
        &limit_depth_frame("BTCUSDT"),
        at(3),
    );
    feed_text(&mut h, r#"{"id":0,"code":0,"msg":"PONG"}"#, at(4));
    let seen = h.callbacks();
    assert_eq!(seen.trades.len(), 3);
    assert_eq!(seen.trades[2].trade_id.as_str(), "t2");
    assert_eq!(seen.tickers.len(), 1);
    assert_eq!(seen.tickers[0].update_id, Some(10023));
    assert_eq!(
        seen.books,
        vec![(sym("BTCUSDT"), BookUpdateKind::Snapshot, 77, 2)]
    );
    let partial = h.partial_book(sym("BTCUSDT")).unwrap();
    assert_eq!(partial.update_id(), 77);
    assert_eq!(h.counters().pongs, 1);
    assert_eq!(h.counters().trades, 3);
    assert_eq!(h.stats().count(WebSocketMessageType::Trade), 1);
    assert_eq!(h.stats().count(WebSocketMessageType::BookTicker), 1);
    assert_eq!(h.stats().count(WebSocketMessageType::OrderBook), 1);
    assert_eq!(h.stats().count(WebSocketMessageType::Pong), 1);
    assert_eq!(h.stats().errors, 0);
    let mut out = Outbox::new();
    h.on_app_ping(at(5), &mut out);
    assert_eq!(texts(&out), vec![r#"{"method":"PING"}"#]);
}

#[test]
fn malformed_frames_are_counted_and_skipped() {
    let (mut h, _) = live_public();
    sync_book(&mut h, 100);
    let overlong: &[u8] = &[
        0x0a, 0x03, b's', b'i', b'm', 0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x01,
    ];
    let past_end: &[u8] = &[0x0a, 0x7f, b's', b'p', b'o', b't', b'@'];
    let good = depth_frame("BTCUSDT", 102, 102, &[("98", "1")], &[]);
    let truncated = &good[..good.len() - 5];
    for bad in [overlong, past_end, truncated, &[][..], b"\x00\xff\xfe"] {
        feed(&mut h, FrameKind::Binary, bad, at(50));
    }
    feed_text(&mut h, "this is {not json]", at(51));
    assert_eq!(h.stats().errors, 6);
    assert_eq!(h.counters().decode_errors, 6);
    assert!(
        h.callbacks()
            .errors
            .iter()
            .all(|e| e.category == ErrorCategory::Parse)
    );
    // The stream itself is intact: the next push applies.
    feed(&mut h, FrameKind::Binary, &good, at(52));
    assert_eq!(h.status(sym("BTCUSDT")), Some(BookStatus::Live));
    assert_eq!(h.book(sym("BTCUSDT")).unwrap().update_id(), 102);
}

#[test]
fn blocked_and_coded_refusals_reach_on_error_and_drop_the_book() {
    let kline = Channel::Kline {
        symbol: sym("BTCUSDT"),
        interval: KlineInterval::Min1,
    };
    let mut h = Driven::new(MexcPublicParts::new(
        config(),
        [depth("NOPEUSDT"), kline],
        Seen::default(),
    ));
    let mut out = Outbox::new();
    h.on_connected(at(0), &mut out);
    assert_eq!(h.status(sym("NOPEUSDT")), Some(BookStatus::Syncing));
    let blocked = format!(
        "{{\"id\":0,\"code\":0,\"msg\":\"Not Subscribed successfully! [{kline}].  Reason\u{ff1a} Blocked! \"}}"
    );
    let out = feed_text(&mut h, &blocked, at(1));
    assert!(out.signals().is_empty());
    let coded = format!(
        "{{\"id\":1,\"code\":2,\"msg\":\"Not Subscribed successfully! [{}].  Reason\u{ff1a} Invalid symbol! \"}}",
        depth("NOPEUSDT")
    );
    let out = feed_text(&mut h, &coded, at(2));
    assert_eq!(
        out.signals(),
        &[SessionSignal::Ready],
        "nothing left pending"
    );
    let errors = &h.callbacks().errors;
    assert_eq!(errors.len(), 2);
    assert!(
        errors
            .iter()
            .all(|e| e.category == ErrorCategory::SubscriptionRejected)
    );
    assert!(errors[0].message.contains(&kline.to_string()));
    assert!(errors[0].message.contains("Blocked!"));
    assert!(errors[1].message.contains("NOPEUSDT"));
    assert_eq!(
        h.status(sym("NOPEUSDT")),
        None,
        "a refused depth keeps no book"
    );
    assert_eq!(h.counters().rejected_channels, 2);
    // Not resent after a reconnect.
    h.on_disconnected(&DisconnectCause::ConnectionLost("eof".into()), at(3));
    let mut out = Outbox::new();
    h.on_connected(at(4), &mut out);
    assert!(out.frames().is_empty());
}

#[test]
fn commands_subscribe_unsubscribe_resync_and_the_limit() {
    let (mut h, _) = live_public();
    sync_book(&mut h, 100);
    let mut out = Outbox::new();
    h.on_command(MexcPublicCommand::Resync(sym("BTCUSDT")), at(30), &mut out);
    assert_eq!(
        h.status(sym("BTCUSDT")),
        Some(BookStatus::Resyncing(ResyncReason::UserRequested))
    );
    // The snapshot waits for a push to check it against, or for the quiet period.
    assert!(out.rest_requests().is_empty());
    let out = feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 120, 120, &[("99", "2")], &[]),
        at(30),
    );
    assert_eq!(out.rest_requests().len(), 1);
    let mut out = Outbox::new();
    h.on_command(
        MexcPublicCommand::Subscribe(depth("ETHUSDT")),
        at(31),
        &mut out,
    );
    assert_eq!(texts(&out).len(), 1);
    assert_eq!(h.status(sym("ETHUSDT")), Some(BookStatus::Syncing));
    out.clear();
    h.on_command(
        MexcPublicCommand::Unsubscribe(depth("ETHUSDT")),
        at(32),
        &mut out,
    );
    assert!(texts(&out)[0].contains("UNSUBSCRIPTION"));
    assert_eq!(h.status(sym("ETHUSDT")), None);
    // The unsubscribe ack is not a confirmation of anything.
    feed_text(&mut h, &ack(depth("ETHUSDT")), at(33));
    assert_eq!(h.counters().stale_acks, 1);
    // Beyond 30, a private channel, a lower-case symbol: refused locally.
    for i in 0..27 {
        h.on_command(
            MexcPublicCommand::Subscribe(deals(&format!("S{i}USDT"))),
            at(34),
            &mut out,
        );
    }
    let errors_before = h.callbacks().errors.len();
    h.on_command(
        MexcPublicCommand::Subscribe(deals("XUSDT")),
        at(35),
        &mut out,
    );
    h.on_command(
        MexcPublicCommand::Subscribe(Channel::PrivateOrders),
        at(35),
        &mut out,
    );
    h.on_command(
        MexcPublicCommand::Subscribe(Channel::AggreDeals {
            symbol: sym("btcusdt"),
            interval: AggInterval::Ms10,
        }),
        at(35),
        &mut out,
    );
    h.on_command(
        MexcPublicCommand::Subscribe(Channel::AggreDepth {
            symbol: sym("BTCUSDT"),
            interval: AggInterval::Ms10,
        }),
        at(35),
        &mut out,
    );
    assert_eq!(h.subscriptions().active().count(), 30);
    let errors = &h.callbacks().errors[errors_before..];
    assert_eq!(errors.len(), 4);
    assert!(
        errors[3].message.contains("one per symbol"),
        "{}",
        errors[3].message
    );
    let errors = &errors[..3];
    assert_eq!(errors.len(), 3);
    assert!(errors[0].message.contains("at most 30"));
    assert!(errors[1].message.contains("listen-key"));
    assert!(errors[2].message.contains("upper case"));
}

#[test]
fn disconnect_resets_books_and_reconnect_resubscribes() {
    let (mut h, _) = live_public();
    sync_book(&mut h, 100);
    h.on_disconnected(
        &DisconnectCause::ClosedByPeer {
            code: None,
            reason: String::new(),
        },
        at(40),
    );
    assert_eq!(h.status(sym("BTCUSDT")), Some(BookStatus::Syncing));
    assert!(h.book(sym("BTCUSDT")).unwrap().is_empty());
    let mut out = Outbox::new();
    h.on_connected(at(41), &mut out);
    assert_eq!(out.frames().len(), 3, "everything subscribed again");
    feed_text(&mut h, &ack(depth("BTCUSDT")), at(42));
    sync_book(&mut h, 500);
    assert_eq!(h.book(sym("BTCUSDT")).unwrap().update_id(), 501);
}

#[test]
fn rotation_skips_pushes_the_old_socket_delivered() {
    let (mut h, _) = live_public();
    sync_book(&mut h, 100);
    feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 102, 103, &[], &[("105", "1")]),
        at(50),
    );
    // The new socket connects while the old one still delivers.
    let mut out = Outbox::new();
    h.on_connected(at(51), &mut out);
    assert_eq!(
        out.frames().len(),
        3,
        "the new socket subscribes everything"
    );
    assert_eq!(h.counters().rotations, 1);
    // The old socket still delivers; then the new one acks and replays 102..=103.
    feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 104, 105, &[], &[("107", "1")]),
        at(51),
    );
    feed_text(&mut h, &ack(depth("BTCUSDT")), at(52));
    feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 102, 103, &[], &[("105", "1")]),
        at(52),
    );
    feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 104, 105, &[], &[("107", "1")]),
        at(52),
    );
    feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 106, 106, &[], &[("106", "1")]),
        at(53),
    );
    assert_eq!(h.status(sym("BTCUSDT")), Some(BookStatus::Live));
    assert_eq!(h.book(sym("BTCUSDT")).unwrap().update_id(), 106);
    assert_eq!(h.counters().overlap_pushes_skipped, 2);
    assert_eq!(h.book_stats().resyncs, 0);
    // Outside a rotation the same replay would be a gap.
    feed(
        &mut h,
        FrameKind::Binary,
        &depth_frame("BTCUSDT", 106, 106, &[], &[]),
        at(54),
    );
    assert!(matches!(
        h.status(sym("BTCUSDT")),
        Some(BookStatus::Resyncing(_))
    ));
}

#[test]
fn ack_timeout_requests_again_and_reports() {
    let mut h = Driven::new(MexcPublicParts::new(
        config(),
        [deals("BTCUSDT")],
        Seen::default(),
    ));
    let mut out = Outbox::new();
    h.on_connected(at(0), &mut out);
    out.clear();
    h.on_tick(at(11_000), &mut out);
    assert_eq!(texts(&out).len(), 1, "requested again");
    assert_eq!(h.counters().ack_timeouts, 1);
    assert!(
        h.callbacks().errors[0]
            .message
            .contains("no acknowledgement")
    );
}

#[test]
fn shards_keep_symbols_together_and_respect_the_limit() {
    let mut channels = Vec::new();
    for i in 0..35 {
        channels.push(depth(&format!("S{i:02}USDT")));
    }
    // Three channels of one symbol, listed apart, plus a duplicate.
    channels.push(deals("S00USDT"));
    channels.push(ticker("S00USDT"));
    channels.push(depth("S00USDT"));
    let shards = shard_channels(channels.clone(), 30);
    assert_eq!(shards.len(), 2);
    assert!(shards.iter().all(|s| s.len() <= 30));
    assert_eq!(shards.iter().map(Vec::len).sum::<usize>(), 37);
    let holder: Vec<usize> = [depth("S00USDT"), deals("S00USDT"), ticker("S00USDT")]
        .iter()
        .map(|c| shards.iter().position(|s| s.contains(c)).unwrap())
        .collect();
    assert!(
        holder.iter().all(|h| *h == holder[0]),
        "one symbol, one connection"
    );

    let handlers = MexcPublicParts::shards(config(), channels, |_| Seen::default());
    assert_eq!(handlers.len(), 2);
    assert!(handlers.iter().all(|h| h.subscriptions().len() <= 30));
    assert!(MexcPublicParts::shards(config(), [], |_| Seen::default()).is_empty());
    // Groups larger than a shard are split.
    let many: Vec<Channel> = (0..5).map(|i| depth(&format!("A{i}USDT"))).collect();
    let small = shard_channels(many, 2);
    assert_eq!(
        small.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![2, 2, 1]
    );
}

// ------------------------------------------------------------------ private

fn private_handler() -> Private {
    let mut config = config();
    config.listen_key_keep_alive = Duration::from_secs(60);
    Driven::new(MexcPrivateParts::new(
        config,
        [sym("BTCUSDT")],
        Seen::default(),
    ))
}

/// Creates the key, connects, acknowledges, and returns the reconciliation requests.
fn connected_private(h: &mut Private) -> Vec<RestRequest> {
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(0), &mut out));
    let create = out.rest_requests()[0].clone();
    assert_eq!(create.method, RestMethod::Post);
    assert!(
        create
            .url
            .starts_with("http://127.0.0.1:1/api/v3/userDataStream?timestamp=")
    );
    let mut out = Outbox::new();
    h.on_rest_response(ok(&create, r#"{"listenKey":"K1"}"#), at(1), &mut out);
    assert!(h.ready_to_connect(at(2), &mut out));
    assert_eq!(
        h.connection_context().url,
        "ws://127.0.0.1:1/ws?listenKey=K1"
    );
    let mut out = Outbox::new();
    h.on_connected(at(3), &mut out);
    assert_eq!(texts(&out).len(), 3);
    let mut requests = Vec::new();
    for channel in [
        Channel::PrivateOrders,
        Channel::PrivateDeals,
        Channel::PrivateAccount,
    ] {
        let out = feed_text(h, &ack(channel), at(4));
        requests.extend(out.rest_requests().iter().cloned());
    }
    requests
}

fn order_frame(id: &str, status: i32, filled: &str, time: i64) -> Vec<u8> {
    pb::PushDataV3ApiWrapper {
        channel: "spot@private.orders.v3.api.pb".into(),
        symbol: Some("BTCUSDT".into()),
        symbol_id: None,
        create_time: None,
        send_time: Some(time),
        body: Some(pb::push_data_v3_api_wrapper::Body::PrivateOrders(
            pb::PrivateOrdersV3Api {
                id: id.into(),
                price: "100".into(),
                quantity: "2".into(),
                order_type: 1,
                trade_type: 1,
                cumulative_quantity: filled.into(),
                status,
                create_time: 1,
                ..Default::default()
            },
        )),
    }
    .encode_to_vec()
}

fn deal_frame(trade_id: &str, order_id: &str) -> Vec<u8> {
    pb::PushDataV3ApiWrapper {
        channel: "spot@private.deals.v3.api.pb".into(),
        symbol: Some("BTCUSDT".into()),
        symbol_id: None,
        create_time: None,
        send_time: Some(5),
        body: Some(pb::push_data_v3_api_wrapper::Body::PrivateDeals(
            pb::PrivateDealsV3Api {
                price: "100".into(),
                quantity: "1".into(),
                amount: "100".into(),
                trade_type: 1,
                trade_id: trade_id.into(),
                order_id: order_id.into(),
                fee_amount: "0".into(),
                time: 5,
                ..Default::default()
            },
        )),
    }
    .encode_to_vec()
}

fn account_frame(asset: &str, free: &str) -> Vec<u8> {
    pb::PushDataV3ApiWrapper {
        channel: "spot@private.account.v3.api.pb".into(),
        symbol: None,
        symbol_id: None,
        create_time: Some(5),
        send_time: Some(5),
        body: Some(pb::push_data_v3_api_wrapper::Body::PrivateAccount(
            pb::PrivateAccountV3Api {
                vcoin_name: asset.into(),
                balance_amount: free.into(),
                frozen_amount: "0".into(),
                time: 5,
                ..Default::default()
            },
        )),
    }
    .encode_to_vec()
}

#[test]
fn listen_key_subscriptions_and_reconciliation() {
    let mut h = private_handler();
    let requests = connected_private(&mut h);
    let paths: Vec<&str> = requests
        .iter()
        .map(|r| r.url.split('?').next().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "http://127.0.0.1:1/api/v3/account",
            "http://127.0.0.1:1/api/v3/openOrders"
        ],
        "reconciliation starts once every channel is acknowledged"
    );
    assert!(requests[1].url.contains("symbol=BTCUSDT"));
    assert!(
        requests
            .iter()
            .all(|r| r.headers.iter().any(|(k, _)| k == "X-MEXC-APIKEY"))
    );

    // A stream update arrives while the REST answers are under way.
    feed(
        &mut h,
        FrameKind::Binary,
        &order_frame("O1", 1, "0", 10),
        at(5),
    );
    feed(
        &mut h,
        FrameKind::Binary,
        &account_frame("USDT", "800"),
        at(5),
    );
    let mut out = Outbox::new();
    h.on_rest_response(
        ok(
            &requests[0],
            r#"{"balances":[{"asset":"USDT","free":"1000","locked":"0"},{"asset":"BTC","free":"1","locked":"0"}]}"#,
        ),
        at(6),
        &mut out,
    );
    assert_eq!(h.callbacks().reconciled, 0, "open orders still missing");
    h.on_rest_response(
        ok(
            &requests[1],
            r#"[{"symbol":"BTCUSDT","orderId":"O1","price":"100","origQty":"2","executedQty":"0","status":"NEW","type":"LIMIT","side":"BUY","time":10,"updateTime":10},{"symbol":"BTCUSDT","orderId":"O2","price":"100","origQty":"2","executedQty":"1","status":"PARTIALLY_FILLED","type":"LIMIT","side":"BUY","time":7,"updateTime":8}]"#,
        ),
        at(7),
        &mut out,
    );
    let seen = h.callbacks();
    assert_eq!(seen.reconciled, 1);
    assert!(h.is_reconciled());
    // O1 once (stream), O2 from REST; USDT from the stream only (REST was older), BTC from REST.
    let orders: Vec<&str> = seen.orders.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(orders, vec!["O1", "O2"]);
    let balances: Vec<(&str, Decimal)> = seen
        .balances
        .iter()
        .map(|b| (b.asset.as_str(), b.available))
        .collect();
    assert_eq!(
        balances,
        vec![
            ("USDT", Decimal::from(800u32)),
            ("BTC", Decimal::from(1u32))
        ]
    );
    assert_eq!(h.counters().reconciled_orders, 1);
    // Not delivered again: REST's O1 (the stream had it) and REST's older USDT.
    assert_eq!(h.delivery_counts().duplicates, 2);

    // Stream: fills are delivered once, however often they arrive.
    feed(&mut h, FrameKind::Binary, &deal_frame("T1", "O1"), at(8));
    feed(&mut h, FrameKind::Binary, &deal_frame("T1", "O1"), at(8));
    feed(
        &mut h,
        FrameKind::Binary,
        &order_frame("O1", 3, "1", 11),
        at(8),
    );
    feed(
        &mut h,
        FrameKind::Binary,
        &order_frame("O1", 1, "0", 10),
        at(8),
    );
    let seen = h.callbacks();
    assert_eq!(seen.fills.len(), 1);
    assert_eq!(
        seen.orders.last().unwrap().status,
        OrderStatus::PartiallyFilled
    );
    assert_eq!(seen.orders.len(), 3);
}

/// Drops the connection at `t`, checks the key, reconnects, acknowledges; returns the
/// reconciliation requests.
fn reconnect(h: &mut Private, t: u64) -> Vec<RestRequest> {
    h.on_disconnected(&DisconnectCause::ConnectionLost("eof".into()), at(t));
    // The key held is checked (extended) before it is used again.
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(t + 1), &mut out));
    let verify = out.rest_requests()[0].clone();
    assert_eq!(verify.method, RestMethod::Put);
    assert!(verify.url.contains("listenKey=K1"));
    let mut out = Outbox::new();
    h.on_rest_response(ok(&verify, r#"{"listenKey":"K1"}"#), at(t + 2), &mut out);
    assert!(h.ready_to_connect(at(t + 2), &mut out));
    let mut out = Outbox::new();
    h.on_connected(at(t + 3), &mut out);
    let mut requests = Vec::new();
    for channel in [
        Channel::PrivateOrders,
        Channel::PrivateDeals,
        Channel::PrivateAccount,
    ] {
        requests.extend(
            feed_text(h, &ack(channel), at(t + 4))
                .rest_requests()
                .iter()
                .cloned(),
        );
    }
    requests
}

fn rest_order(id: &str, status: &str, filled: &str, time: u64, update: u64) -> String {
    format!(
        r#"{{"symbol":"BTCUSDT","orderId":"{id}","orderListId":-1,"clientOrderId":"","price":"100","origQty":"2","executedQty":"{filled}","cummulativeQuoteQty":"0","status":"{status}","type":"LIMIT","side":"BUY","time":{time},"updateTime":{update},"isWorking":true}}"#
    )
}

fn rest_trade(id: &str, order_id: &str, time: u64) -> String {
    format!(
        r#"{{"symbol":"BTCUSDT","id":"{id}","orderId":"{order_id}","orderListId":-1,"price":"100","qty":"1","quoteQty":"100","commission":"0","commissionAsset":"USDT","time":{time},"isBuyer":true,"isMaker":true,"isBestMatch":true,"isSelfTrade":false,"clientOrderId":null}}"#
    )
}

#[test]
fn reconnect_reconciles_what_happened_while_disconnected() {
    let mut h = private_handler();
    let requests = connected_private(&mut h);
    let mut out = Outbox::new();
    h.on_rest_response(ok(&requests[0], r#"{"balances":[]}"#), at(5), &mut out);
    h.on_rest_response(ok(&requests[1], "[]"), at(5), &mut out);
    feed(
        &mut h,
        FrameKind::Binary,
        &order_frame("O1", 1, "0", 10),
        at(6),
    );
    feed(
        &mut h,
        FrameKind::Binary,
        &order_frame("O2", 1, "0", 10),
        at(6),
    );
    let requests = reconnect(&mut h, 7);
    // Besides balances and open orders: the orders opened and the fills made from the
    // last frame (6 ms) less the slack on.
    let paths: Vec<&str> = requests
        .iter()
        .map(|r| r.url.split('?').next().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "http://127.0.0.1:1/api/v3/account",
            "http://127.0.0.1:1/api/v3/openOrders",
            "http://127.0.0.1:1/api/v3/allOrders",
            "http://127.0.0.1:1/api/v3/myTrades",
        ]
    );
    assert!(
        requests[2]
            .url
            .contains("?symbol=BTCUSDT&startTime=1777999998006&limit=1000&timestamp=")
    );
    assert!(
        requests[3]
            .url
            .contains("?symbol=BTCUSDT&startTime=1777999998006&limit=100&timestamp=")
    );
    assert!(requests.iter().all(|r| {
        r.url.contains("&signature=")
            && r.headers
                .iter()
                .any(|(k, v)| k == "X-MEXC-APIKEY" && v == "key")
    }));

    // O1 filled partly while disconnected; O2 is gone: it is looked up.
    let mut out = Outbox::new();
    h.on_rest_response(ok(&requests[0], r#"{"balances":[]}"#), at(12), &mut out);
    let open = format!("[{}]", rest_order("O1", "PARTIALLY_FILLED", "1", 10, 20));
    h.on_rest_response(ok(&requests[1], &open), at(12), &mut out);
    let lookup = out.rest_requests()[0].clone();
    assert!(
        lookup
            .url
            .starts_with("http://127.0.0.1:1/api/v3/order?symbol=BTCUSDT&orderId=O2&timestamp=")
    );
    // O3 lived and died unseen; O1 is listed again (not delivered twice).
    let all = format!(
        "[{},{}]",
        rest_order("O1", "PARTIALLY_FILLED", "1", 10, 20),
        rest_order("O3", "CANCELED", "0", 15, 16)
    );
    h.on_rest_response(ok(&requests[2], &all), at(13), &mut out);
    let trades = format!(
        "[{},{}]",
        rest_trade("T1", "O1", 20),
        rest_trade("T2", "O2", 21)
    );
    h.on_rest_response(ok(&requests[3], &trades), at(13), &mut out);
    assert_eq!(h.callbacks().reconciled, 1, "O2 still unknown");
    h.on_rest_response(
        ok(&lookup, &rest_order("O2", "FILLED", "2", 10, 21)),
        at(14),
        &mut out,
    );
    let seen = h.callbacks();
    assert_eq!(seen.reconciled, 2);
    let orders: Vec<(&str, OrderStatus)> = seen
        .orders
        .iter()
        .skip(2)
        .map(|o| (o.order_id.as_str(), o.status))
        .collect();
    assert_eq!(
        orders,
        vec![
            ("O1", OrderStatus::PartiallyFilled),
            ("O3", OrderStatus::Canceled),
            ("O2", OrderStatus::Filled),
        ]
    );
    let fills: Vec<&str> = seen.fills.iter().map(|f| f.trade_id.as_str()).collect();
    assert_eq!(fills, vec!["T1", "T2"]);
    assert_eq!(seen.fills[0].role, Some(LiquidityRole::Maker));
    assert_eq!(seen.fills[1].side, Side::Buy);
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    assert_eq!(h.counters().recovered_fills, 2);
    assert_eq!(h.counters().unresolved_orders, 0);
    let open: Vec<String> = h.open_orders().map(|(id, _)| id.to_string()).collect();
    assert_eq!(open, vec!["O1".to_string()]);

    // That window is closed: the next one starts at the last frame of the new connection
    // (its acks, at 11 ms).
    let requests = reconnect(&mut h, 100);
    assert!(requests[2].url.contains("startTime=1777999998011&"));
}

#[test]
fn history_is_paged_and_refusals_are_reported() {
    let mut h = private_handler();
    let requests = connected_private(&mut h);
    let mut out = Outbox::new();
    h.on_rest_response(ok(&requests[0], r#"{"balances":[]}"#), at(5), &mut out);
    h.on_rest_response(ok(&requests[1], "[]"), at(5), &mut out);
    feed(
        &mut h,
        FrameKind::Binary,
        &order_frame("O1", 1, "0", 10),
        at(6),
    );
    // A fill seen at venue time 5: fills are fetched from there, but not from further
    // back than a day before the disconnect.
    feed(&mut h, FrameKind::Binary, &deal_frame("T0", "O1"), at(6));
    let requests = reconnect(&mut h, 7);
    let day_before: u64 = 1_777_999_998_006 - 86_400_000;
    assert!(
        requests[3]
            .url
            .contains(&format!("startTime={day_before}&limit=100&"))
    );
    let mut out = Outbox::new();
    h.on_rest_response(ok(&requests[0], r#"{"balances":[]}"#), at(12), &mut out);
    h.on_rest_response(ok(&requests[1], "[]"), at(12), &mut out);
    let lookup = out.rest_requests()[0].clone();
    // A full page of fills: the next page starts at its newest fill.
    let page: Vec<String> = (0..100)
        .map(|i| rest_trade(&format!("P{i}"), "O9", 1_777_999_999_000 + i))
        .collect();
    let mut out = Outbox::new();
    h.on_rest_response(
        ok(&requests[3], &format!("[{}]", page.join(","))),
        at(13),
        &mut out,
    );
    let next = out.rest_requests()[0].clone();
    assert!(
        next.url
            .contains("myTrades?symbol=BTCUSDT&startTime=1777999999099&limit=100&")
    );
    h.on_rest_response(
        ok(
            &next,
            &format!("[{}]", rest_trade("P99", "O9", 1_777_999_999_099)),
        ),
        at(14),
        &mut out,
    );
    assert_eq!(h.callbacks().fills.len(), 101, "T0 and P0..P99, each once");
    // A refusal that will not change: the loss is reported, not retried.
    h.on_rest_response(
        refused(&requests[2], -1121, "Invalid symbol."),
        at(15),
        &mut out,
    );
    assert_eq!(h.counters().order_gaps, 1);
    // The venue no longer knows O1.
    h.on_rest_response(
        refused(&lookup, -2013, "Order does not exist."),
        at(16),
        &mut out,
    );
    let seen = h.callbacks();
    assert_eq!(seen.reconciled, 2);
    assert_eq!(h.counters().unresolved_orders, 1);
    assert_eq!(h.open_orders().count(), 0);
    assert!(seen.errors.iter().any(|e| e.category == ErrorCategory::Rest
        && e.message.contains("O1")
        && e.message.contains("-2013")));
    assert!(
        seen.errors
            .iter()
            .any(|e| e.message.contains("orders opened of BTCUSDT")
                && e.message.contains("cannot be recovered"))
    );
}

#[test]
fn keep_alive_on_schedule_and_a_gone_key_reconnects() {
    let mut h = private_handler();
    let requests = connected_private(&mut h);
    let mut out = Outbox::new();
    for r in &requests {
        h.on_rest_response(
            ok(
                r,
                if r.url.contains("account") {
                    r#"{"balances":[]}"#
                } else {
                    "[]"
                },
            ),
            at(5),
            &mut out,
        );
    }
    h.on_tick(at(30_000), &mut out);
    assert!(out.rest_requests().is_empty(), "not due yet");
    h.on_tick(at(61_000), &mut out);
    let put = out.rest_requests()[0].clone();
    assert_eq!(put.method, RestMethod::Put);
    let mut out = Outbox::new();
    h.on_tick(at(61_500), &mut out);
    assert!(out.rest_requests().is_empty(), "one keep-alive in flight");
    h.on_rest_response(ok(&put, r#"{"listenKey":"K1"}"#), at(62_000), &mut out);
    assert_eq!(h.counters().keep_alives, 1);
    // The next one finds the key gone: drop it and reconnect for a new one.
    let mut out = Outbox::new();
    h.on_tick(at(123_000), &mut out);
    let put = out.rest_requests()[0].clone();
    let mut out = Outbox::new();
    h.on_rest_response(
        refused(&put, -1125, "This listenKey does not exist."),
        at(123_100),
        &mut out,
    );
    assert!(matches!(out.signals(), [SessionSignal::Reconnect(_)]));
    assert!(!h.has_listen_key());
    h.on_disconnected(
        &DisconnectCause::SessionRequested("key".into()),
        at(123_200),
    );
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(123_300), &mut out));
    assert_eq!(out.rest_requests()[0].method, RestMethod::Post, "a new key");
}

#[test]
fn rejected_credentials_stop_without_a_retry_loop() {
    let mut h = private_handler();
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(0), &mut out));
    let create = out.rest_requests()[0].clone();
    let mut out = Outbox::new();
    h.on_rest_response(
        refused(&create, 700_002, "Signature for this request is not valid."),
        at(1),
        &mut out,
    );
    assert!(
        out.signals().is_empty(),
        "not connected: the signal waits for on_connected"
    );
    assert!(h.authentication_error().is_some());
    assert_eq!(
        h.callbacks().errors[0].category,
        ErrorCategory::Authentication
    );
    let mut out = Outbox::new();
    assert!(h.ready_to_connect(at(2), &mut out), "connect once to stop");
    assert!(out.rest_requests().is_empty());
    h.on_connected(at(3), &mut out);
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
    assert!(out.frames().is_empty());
    assert_eq!(
        h.classify_disconnect(&DisconnectCause::ConnectionLost("x".into())),
        ReconnectDecision::Stop
    );
    // No credentials at all: the same, without a request.
    let mut config = config();
    config.mexc.credentials = None;
    let mut h = Driven::new(MexcPrivateParts::new(config, [], Seen::default()));
    let mut out = Outbox::new();
    assert!(h.ready_to_connect(at(0), &mut out));
    h.on_connected(at(1), &mut out);
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
}

#[test]
fn transient_key_failure_backs_off_through_the_driver() {
    let mut h = private_handler();
    let mut out = Outbox::new();
    h.ready_to_connect(at(0), &mut out);
    let create = out.rest_requests()[0].clone();
    let mut out = Outbox::new();
    h.on_rest_response(
        RestResponse {
            id: create.id,
            result: Err(ws_session::RestFailure::Connect("refused".into())),
        },
        at(1),
        &mut out,
    );
    assert!(h.ready_to_connect(at(2), &mut out));
    h.on_connected(at(3), &mut out);
    assert!(matches!(out.signals(), [SessionSignal::Reconnect(_)]));
    assert_eq!(
        h.classify_disconnect(&DisconnectCause::SessionRequested("x".into())),
        ReconnectDecision::Retry
    );
    h.on_disconnected(&DisconnectCause::SessionRequested("x".into()), at(4));
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(5), &mut out));
    assert_eq!(
        out.rest_requests()[0].method,
        RestMethod::Post,
        "tries again"
    );
}

#[test]
fn a_refused_attempt_checks_the_key_first() {
    let mut h = private_handler();
    connected_private(&mut h);
    h.on_disconnected(&DisconnectCause::ConnectionLost("eof".into()), at(5));
    let mut out = Outbox::new();
    h.ready_to_connect(at(6), &mut out);
    let verify = out.rest_requests()[0].clone();
    h.on_rest_response(ok(&verify, r#"{"listenKey":"K1"}"#), at(7), &mut out);
    // The handshake is refused: retried, and the key is checked before the next attempt.
    let refused_handshake = DisconnectCause::HandshakeRejected {
        status: 403,
        retry_after: None,
    };
    assert_eq!(
        h.classify_disconnect(&refused_handshake),
        ReconnectDecision::Retry
    );
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(8), &mut out));
    let check = out.rest_requests()[0].clone();
    assert_eq!(check.method, RestMethod::Put);
    // The venue no longer knows it: a new key is created.
    let mut out = Outbox::new();
    h.on_rest_response(
        refused(&check, -1125, "This listenKey does not exist."),
        at(9),
        &mut out,
    );
    assert!(!h.has_listen_key());
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(10), &mut out));
    assert_eq!(out.rest_requests()[0].method, RestMethod::Post);
    assert_eq!(h.counters().listen_keys_replaced, 1);
}

#[test]
fn close_deletes_the_key() {
    let mut h = private_handler();
    connected_private(&mut h);
    let mut out = Outbox::new();
    h.on_close(at(9), &mut out);
    let delete = out.rest_requests()[0].clone();
    assert_eq!(delete.method, RestMethod::Delete);
    assert!(delete.url.contains("listenKey=K1"));
    assert!(!h.has_listen_key());
    h.on_rest_response(ok(&delete, r#"{"listenKey":"K1"}"#), at(10), &mut out);
    assert_eq!(h.counters().listen_keys_deleted, 1);
}

#[test]
fn private_malformed_frames_are_counted() {
    let mut h = private_handler();
    connected_private(&mut h);
    feed(&mut h, FrameKind::Binary, &[0x0a, 0x7f, b'x'], at(5));
    let mut bad = order_frame("O1", 9, "0", 1);
    feed(&mut h, FrameKind::Binary, &bad, at(5));
    bad.truncate(bad.len() - 3);
    feed(&mut h, FrameKind::Binary, &bad, at(5));
    assert_eq!(h.counters().decode_errors, 3);
    assert_eq!(h.stats().errors, 3);
    assert!(h.callbacks().orders.is_empty());
}

// ------------------------------------------------------------------ allocations

/// Counts allocations per thread, so other tests running in parallel do not interfere.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[allow(
    unsafe_code,
    reason = "a counting global allocator for the allocation test"
)]
// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on unchanged.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: as for `alloc`.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: as for `alloc`; `ptr` came from this allocator, i.e. from `System`.
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(std::cell::Cell::get);
    f();
    ALLOCATIONS.with(std::cell::Cell::get) - before
}

/// The whole message path of the public handler — detect, route, decode once, apply to
/// the live book, deliver to the callbacks, count — allocates nothing for the
/// hot pushes (depth with 40 levels, deals, book ticker) and pongs.
#[test]
fn hot_message_path_allocates_nothing() {
    /// Callbacks that only count.
    #[derive(Default)]
    struct Count(u64);
    impl PublicWebSocketMixin for Count {
        fn on_order_book(&mut self, _book: &OrderBook, _update: &BookUpdate) {
            self.0 += 1;
        }
        fn on_trade(&mut self, _trade: &Trade) {
            self.0 += 1;
        }
        fn on_book_ticker(&mut self, _ticker: &BookTicker) {
            self.0 += 1;
        }
    }
    let mut h = Driven::new(MexcPublicParts::new(
        config(),
        [depth("BTCUSDT"), deals("BTCUSDT"), ticker("BTCUSDT")],
        Count::default(),
    ));
    let mut out = Outbox::new();
    h.on_connected(at(0), &mut out);
    for channel in [depth("BTCUSDT"), deals("BTCUSDT"), ticker("BTCUSDT")] {
        feed_text(&mut h, &ack(channel), at(1));
    }
    let prices: Vec<(String, String)> = (0..20)
        .map(|i| (format!("{}", 1000 - i), format!("{}.5", i + 1)))
        .collect();
    let bids: Vec<(&str, &str)> = prices
        .iter()
        .map(|(p, q)| (p.as_str(), q.as_str()))
        .collect();
    let asks_owned: Vec<(String, String)> = (0..20)
        .map(|i| (format!("{}", 1001 + i), format!("{}.25", i + 1)))
        .collect();
    let asks: Vec<(&str, &str)> = asks_owned
        .iter()
        .map(|(p, q)| (p.as_str(), q.as_str()))
        .collect();
    // Live at version 1 with the same 40 levels.
    let mut first = depth_frame("BTCUSDT", 1, 1, &bids, &asks);
    let mut out = Outbox::new();
    h.on_frame(
        InboundFrame {
            kind: FrameKind::Binary,
            payload: &mut first,
            received_at: at(2),
        },
        &mut out,
    );
    let request = out.rest_requests()[0].clone();
    h.on_rest_response(
        ok(&request, r#"{"lastUpdateId":0,"bids":[],"asks":[]}"#),
        at(3),
        &mut Outbox::new(),
    );
    assert_eq!(h.status(sym("BTCUSDT")), Some(BookStatus::Live));

    let mut frames: Vec<(FrameKind, Vec<u8>)> = (2..50)
        .map(|v| {
            (
                FrameKind::Binary,
                depth_frame("BTCUSDT", v, v, &bids, &asks),
            )
        })
        .collect();
    frames.push((FrameKind::Binary, deals_frame("BTCUSDT", 3)));
    frames.push((FrameKind::Binary, ticker_frame("BTCUSDT")));
    frames.push((
        FrameKind::Text,
        br#"{"id":0,"code":0,"msg":"PONG"}"#.to_vec(),
    ));
    let mut out = Outbox::new();
    let allocated = allocations_during(|| {
        for (kind, payload) in &mut frames {
            h.on_frame(
                InboundFrame {
                    kind: *kind,
                    payload,
                    received_at: at(4),
                },
                &mut out,
            );
        }
    });
    assert_eq!(allocated, 0);
    assert!(out.is_empty());
    assert_eq!(h.stats().errors, 0);
    assert_eq!(h.book(sym("BTCUSDT")).unwrap().update_id(), 49);
    // Snapshot and replayed push, 48 deltas, 3 trades, 1 ticker.
    assert_eq!(h.callbacks().0, 2 + 48 + 3 + 1);
}

/// The `timestamp` parameter of a signed request.
fn timestamp_param(request: &RestRequest) -> u64 {
    request
        .url
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("timestamp="))
        .and_then(|value| value.parse().ok())
        .unwrap()
}

#[test]
fn a_listen_key_refused_for_its_timestamp_is_created_again_with_the_venue_time() {
    let mut h = private_handler();
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(0), &mut out));
    let create = out.rest_requests()[0].clone();
    assert_eq!(timestamp_param(&create), at(0).unix_millis());
    let mut out = Outbox::new();
    let outside = "Timestamp for this request is outside of the recvWindow.";
    h.on_rest_response(refused(&create, 700_003, outside), at(1), &mut out);
    assert!(h.authentication_error().is_none(), "a clock is not a key");
    // The clock is measured before the key is asked for again.
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(2), &mut out));
    let time = out.rest_requests().to_vec();
    assert_eq!(time.len(), 1);
    assert_eq!(time[0].url, "http://127.0.0.1:1/api/v3/time");
    assert!(
        !h.ready_to_connect(at(2), &mut Outbox::new()),
        "awaiting it"
    );
    let venue_ms = at(2).unix_millis() + 90_000;
    let body = format!(r#"{{"serverTime":{venue_ms}}}"#);
    h.on_rest_response(ok(&time[0], &body), at(2), &mut out);
    let mut out = Outbox::new();
    assert!(!h.ready_to_connect(at(3), &mut out));
    let again = out.rest_requests()[0].clone();
    assert_eq!(again.method, RestMethod::Post);
    assert_eq!(timestamp_param(&again), venue_ms + 1);
    // Refused again right after a measurement: not retried in a loop; the connection
    // goes on as for any key that cannot be had.
    h.on_rest_response(refused(&again, 700_003, outside), at(4), &mut out);
    let mut out = Outbox::new();
    assert!(h.ready_to_connect(at(5), &mut out));
    assert!(out.rest_requests().is_empty());
}
