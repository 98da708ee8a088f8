//! The handlers driven with scripted frames (fixtures from `tests/data`) and invented
//! timestamps, without sockets: routing, acks and refusals, book sync wiring, timers,
//! commands, authentication, exactly-once delivery and reconciliation requests.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use bytes::Bytes;
use market_types::{
    Balance, BookStatus, BookStatusEvent, BookTicker, BookUpdate, Fill, Order, OrderBook, Position,
    ResyncReason, Symbol, Ticker, Trade,
};
use ws_handlers::Driven;
use ws_handlers::WebSocketMessageType as T;
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin, PublicWebSocketMixin, StreamError};
use ws_session::{
    DisconnectCause, FrameKind, InboundFrame, OutFrame, Outbox, ReconnectDecision, RestReply,
    RestRequest, RestResponse, Session, SessionSignal, StreamKind, Timestamp,
};

use super::format::message_type;
use super::*;
use crate::channel::UserId;
use crate::config::{Credentials, Endpoints};

const SPOT_TRADES: &[u8] = include_bytes!("../../tests/data/gateio_spot_trades.json");
const SPOT_BOOK_TICKER: &[u8] = include_bytes!("../../tests/data/gateio_spot_book_ticker.json");
const SPOT_BOOK_UPDATE: &[u8] =
    include_bytes!("../../tests/data/gateio_spot_order_book_update.json");
const SPOT_PONG: &[u8] = include_bytes!("../../tests/data/gateio_spot_pong.json");
const SPOT_TICKERS: &[u8] = include_bytes!("../../tests/data/gateio_spot_tickers.json");
const SPOT_ORDERS: &[u8] = include_bytes!("../../tests/data/gateio_spot_orders.json");
const SPOT_USERTRADES: &[u8] = include_bytes!("../../tests/data/gateio_spot_usertrades.json");
const SPOT_BALANCES: &[u8] = include_bytes!("../../tests/data/gateio_spot_balances.json");
const SPOT_LOGIN_OK: &[u8] = include_bytes!("../../tests/data/gateio_spot_login_response.json");
const LOGIN_REFUSED: &[u8] = include_bytes!("../../tests/data/gateio_ws_api_error_auth.json");
const SUBSCRIBE_ACK: &[u8] = include_bytes!("../../tests/data/gateio_subscribe_ack.json");
const OBU_ERROR: &[u8] = include_bytes!("../../tests/data/gateio_error.json");
const FUTURES_TRADES: &[u8] = include_bytes!("../../tests/data/gateio_futures_trades.json");
const FUTURES_TICKERS: &[u8] = include_bytes!("../../tests/data/gateio_futures_tickers.json");
const FUTURES_BOOK_UPDATE: &[u8] =
    include_bytes!("../../tests/data/gateio_futures_order_book_update.json");
const FUTURES_ORDERS: &[u8] = include_bytes!("../../tests/data/gateio_futures_orders.json");
const FUTURES_USERTRADES: &[u8] = include_bytes!("../../tests/data/gateio_futures_usertrades.json");
const FUTURES_BALANCES: &[u8] = include_bytes!("../../tests/data/gateio_futures_balances.json");
const FUTURES_POSITIONS: &[u8] = include_bytes!("../../tests/data/gateio_futures_positions.json");
const FUTURES_PONG: &[u8] = include_bytes!("../../tests/data/gateio_futures_pong.json");

#[derive(Debug, Default)]
struct Recorder {
    books: Vec<(Symbol, u64)>,
    statuses: Vec<(Symbol, BookStatus)>,
    trades: Vec<Trade>,
    book_tickers: Vec<BookTicker>,
    tickers: Vec<Ticker>,
    errors: Vec<StreamError>,
    orders: Vec<Order>,
    fills: Vec<Fill>,
    balances: Vec<Balance>,
    positions: Vec<Position>,
    reconciled: u32,
}

impl PublicWebSocketMixin for Recorder {
    fn on_order_book(&mut self, book: &OrderBook, update: &BookUpdate) {
        self.books.push((update.symbol, book.update_id()));
    }
    fn on_trade(&mut self, trade: &Trade) {
        self.trades.push(*trade);
    }
    fn on_book_ticker(&mut self, ticker: &BookTicker) {
        self.book_tickers.push(*ticker);
    }
    fn on_ticker(&mut self, ticker: &Ticker) {
        self.tickers.push(*ticker);
    }
    fn on_book_status(&mut self, event: &BookStatusEvent) {
        self.statuses.push((event.symbol, event.status));
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

impl PrivateWebSocketMixin for Recorder {
    fn on_order(&mut self, order: &Order) {
        self.orders.push(*order);
    }
    fn on_fill(&mut self, fill: &Fill) {
        self.fills.push(*fill);
    }
    fn on_balance(&mut self, balance: &Balance) {
        self.balances.push(*balance);
    }
    fn on_position(&mut self, position: &Position) {
        self.positions.push(*position);
    }
    fn on_reconciled(&mut self) {
        self.reconciled += 1;
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

/// A fixed start: the clocks only move when a test says so.
struct Clock {
    start: Instant,
}

impl Clock {
    fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }

    fn at(&self, ms: u64) -> Timestamp {
        Timestamp::new(self.start, 1_700_000_000_000_000_000).advanced(Duration::from_millis(ms))
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// Settings for `market`: a REST base below a mount that signs as the venue does.
fn config(market: crate::Market) -> GateioHandlerConfig {
    let websocket = match market {
        crate::Market::Spot => "ws://127.0.0.1:1/ws",
        crate::Market::Futures => "ws://127.0.0.1:1/fx",
    };
    GateioHandlerConfig {
        credentials: Some(Credentials::new("key", "secret")),
        rest_signature_prefix: Some("/api/v4".into()),
        ..GateioHandlerConfig::new(Endpoints::custom(
            websocket,
            "http://127.0.0.1:1/gateio/api/v4",
        ))
    }
}

fn feed<S: Session>(session: &mut S, text: &[u8], now: Timestamp, out: &mut Outbox) {
    let mut bytes = text.to_vec();
    session.on_frame(
        InboundFrame {
            kind: FrameKind::Text,
            payload: &mut bytes,
            received_at: now,
        },
        out,
    );
}

fn texts(out: &Outbox) -> Vec<String> {
    out.frames()
        .iter()
        .map(|f| match f {
            OutFrame::Text(b) | OutFrame::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        })
        .collect()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

fn reply(request: &RestRequest, status: u16, body: &str) -> RestResponse {
    RestResponse {
        id: request.id,
        result: Ok(RestReply {
            status,
            retry_after: None,
            body: Bytes::copy_from_slice(body.as_bytes()),
        }),
    }
}

fn ack(channel: &str, id: u64) -> String {
    format!(
        r#"{{"time":1,"time_ms":1000,"id":{id},"channel":"{channel}","event":"subscribe","result":{{"status":"success"}}}}"#
    )
}

fn refusal(channel: &str, id: u64, code: i64, message: &str) -> String {
    format!(
        r#"{{"time":1,"id":{id},"channel":"{channel}","event":"subscribe","error":{{"code":{code},"message":"{message}"}},"result":{{"status":"fail"}}}}"#
    )
}

#[test]
fn message_types_are_read_from_the_envelope() {
    for (frame, expected) in [
        (SPOT_TRADES, T::Trade),
        (SPOT_BOOK_TICKER, T::BookTicker),
        (SPOT_BOOK_UPDATE, T::OrderBook),
        (SPOT_PONG, T::Pong),
        (SPOT_TICKERS, T::Ticker),
        (SPOT_ORDERS, T::OrderUpdate),
        (SPOT_USERTRADES, T::ExecutionReport),
        (SPOT_BALANCES, T::BalanceUpdate),
        (SPOT_LOGIN_OK, T::Auth),
        (LOGIN_REFUSED, T::Auth),
        (SUBSCRIBE_ACK, T::Subscribe),
        (OBU_ERROR, T::Subscribe),
        (FUTURES_TRADES, T::Trade),
        (FUTURES_POSITIONS, T::PositionUpdate),
        (FUTURES_PONG, T::Pong),
        (FUTURES_BOOK_UPDATE, T::OrderBook),
        (
            br#"{"channel":"","event":"","error":{"code":1,"message":"bad"}}"#,
            T::Error,
        ),
        (b"not json", T::Unknown),
        (
            br#"{"channel":"futures.system","event":"update","result":{}}"#,
            T::Unknown,
        ),
    ] {
        assert_eq!(
            message_type(frame),
            expected,
            "{}",
            String::from_utf8_lossy(frame)
        );
    }
    assert_eq!(T::OrderBook.stream_kind(), StreamKind::Book);
}

type SpotPublic = GateioSpotPublicWebSocketHandler<Recorder>;

fn spot_public(topics: &[GateioPublicTopic]) -> SpotPublic {
    GateioPublicParts::<Recorder, SpotMarket>::new(
        config(crate::Market::Spot),
        topics.iter().copied(),
        Recorder::default(),
    )
    .map(Driven::new)
    .unwrap()
}

#[test]
fn public_handler_subscribes_per_channel_and_syncs_books() {
    let clock = Clock::new();
    let btc = sym("BTC_USDT");
    let mut h = spot_public(&[
        GateioPublicTopic::OrderBook(btc),
        GateioPublicTopic::Trades(btc),
        GateioPublicTopic::Trades(sym("GT_USDT")),
        GateioPublicTopic::BookTicker(btc),
    ]);
    assert_eq!(h.callbacks().statuses, vec![(btc, BookStatus::Syncing)]);
    let context = h.connection_context();
    assert_eq!(context.url, "ws://127.0.0.1:1/ws");
    assert_eq!(context.label, "gateio-spot-public");
    assert_eq!(context.ping, PING);
    assert_eq!(h.reconnection_policy(), RECONNECTION_POLICY);
    assert!(!h.reconnection_policy().reset_on_1005);

    let mut out = Outbox::new();
    h.on_connected(clock.at(0), &mut out);
    let sent: Vec<_> = texts(&out).iter().map(|t| json(t)).collect();
    assert_eq!(
        sent.len(),
        3,
        "one book request, one per other channel: {sent:?}"
    );
    assert_eq!(sent[0]["channel"], "spot.order_book_update");
    assert_eq!(sent[0]["payload"], serde_json::json!(["BTC_USDT", "20ms"]));
    assert_eq!(sent[0]["id"], 1);
    assert_eq!(sent[0]["time"], 1_700_000_000);
    assert_eq!(sent[1]["channel"], "spot.trades");
    assert_eq!(
        sent[1]["payload"],
        serde_json::json!(["BTC_USDT", "GT_USDT"])
    );
    assert_eq!(sent[2]["channel"], "spot.book_ticker");
    assert!(sent.iter().all(|r| r.get("auth").is_none()));

    // The book's ack starts its snapshot.
    out.clear();
    feed(
        &mut h,
        ack("spot.order_book_update", 1).as_bytes(),
        clock.at(5),
        &mut out,
    );
    let snapshot = out.rest_requests()[0].clone();
    assert_eq!(
        snapshot.url,
        "http://127.0.0.1:1/gateio/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=20&with_id=true"
    );
    // A push before the snapshot is buffered, then replayed.
    let push = |first: u64, last: u64, bid: &str| {
        format!(
            r#"{{"time":1,"time_ms":1000,"channel":"spot.order_book_update","event":"update","result":{{"t":7,"l":"20","s":"BTC_USDT","U":{first},"u":{last},"b":[["{bid}","3"]],"a":[]}}}}"#
        )
    };
    feed(
        &mut h,
        push(99, 101, "99.5").as_bytes(),
        clock.at(6),
        &mut out,
    );
    let body = r#"{"id":100,"current":1,"update":1,"asks":[["101","1"]],"bids":[["100","2"]]}"#;
    h.on_rest_response(reply(&snapshot, 200, body), clock.at(7), &mut out);
    assert_eq!(h.status(btc), Some(BookStatus::Live));
    assert_eq!(h.book(btc).unwrap().update_id(), 101);
    // Continuing pushes take the one-pass path.
    feed(
        &mut h,
        push(102, 103, "100.5").as_bytes(),
        clock.at(8),
        &mut out,
    );
    let book = h.book(btc).unwrap();
    assert_eq!(book.update_id(), 103);
    assert_eq!(book.best_bid().unwrap().price.to_string(), "100.5");
    assert_eq!(h.callbacks().books.last(), Some(&(btc, 103)));
    // The buffered push was replayed when the book went live; the next one applied.
    assert_eq!((h.book_stats().buffered, h.book_stats().applied), (1, 1));
    // Programs read the same book through the venue-independent accessors.
    assert_eq!(ws_handlers::VenueHandler::book_symbols(&h), [btc]);
    let (book, status) = ws_handlers::VenueHandler::book(&h, btc).unwrap();
    assert_eq!((book.update_id(), status), (103, BookStatus::Live));
    assert_eq!(
        ws_handlers::VenueHandler::book_sync(&h).snapshots_applied,
        1
    );
    assert_eq!(
        ws_handlers::VenueHandler::handler_stats(&h).messages,
        h.stats().messages
    );

    // The other channels' acks, then market data.
    feed(
        &mut h,
        ack("spot.trades", 2).as_bytes(),
        clock.at(9),
        &mut out,
    );
    out.clear();
    feed(
        &mut h,
        ack("spot.book_ticker", 3).as_bytes(),
        clock.at(9),
        &mut out,
    );
    assert_eq!(
        out.signals(),
        &[SessionSignal::Ready],
        "every topic confirmed"
    );
    feed(&mut h, SPOT_TRADES, clock.at(10), &mut out);
    feed(&mut h, SPOT_BOOK_TICKER, clock.at(10), &mut out);
    feed(&mut h, SPOT_PONG, clock.at(10), &mut out);
    let seen = h.callbacks();
    assert_eq!(seen.trades.len(), 1);
    assert_eq!(seen.trades[0].symbol, sym("GT_USDT"));
    assert_eq!(seen.book_tickers.len(), 1);
    assert_eq!(h.counters().acks, 4);
    assert_eq!(h.counters().pongs, 1);
    assert!(
        h.callbacks().errors.is_empty(),
        "{:?}",
        h.callbacks().errors
    );
    assert_eq!(h.stats().count(T::OrderBook), 2);
    assert_eq!(h.stats().count(T::Subscribe), 3);

    // Application ping, a user resync, a disconnect.
    out.clear();
    h.on_app_ping(clock.at(20), &mut out);
    assert_eq!(
        texts(&out),
        vec![r#"{"time":1700000000,"channel":"spot.ping"}"#]
    );
    out.clear();
    h.on_command(GateioPublicCommand::Resync(btc), clock.at(21), &mut out);
    assert_eq!(
        h.status(btc),
        Some(BookStatus::Resyncing(ResyncReason::UserRequested))
    );
    assert!(
        h.book(btc).unwrap().is_empty(),
        "a resync starts from an empty book"
    );
    assert_eq!(out.rest_requests().len(), 1);
    h.on_disconnected(&DisconnectCause::ConnectionLost("eof".into()), clock.at(22));
    assert_eq!(
        h.status(btc),
        Some(BookStatus::Resyncing(ResyncReason::Reconnected))
    );
    assert!(!h.is_connected());
    out.clear();
    h.on_connected(clock.at(30), &mut out);
    assert_eq!(out.frames().len(), 3, "everything is subscribed again");
}

#[test]
fn refusals_are_reported_by_channel_and_pair() {
    let clock = Clock::new();
    let (btc, nope) = (sym("BTC_USDT"), sym("NOPE_USDT"));
    let mut h = spot_public(&[
        GateioPublicTopic::Trades(btc),
        GateioPublicTopic::Trades(nope),
        GateioPublicTopic::OrderBook(nope),
    ]);
    let mut out = Outbox::new();
    h.on_connected(clock.at(0), &mut out);
    assert_eq!(out.frames().len(), 2);

    // The whole trades request fails: its pairs are retried one by one, silently.
    out.clear();
    let whole = refusal("spot.trades", 1, 2, "unknown currency pair NOPE_USDT");
    feed(&mut h, whole.as_bytes(), clock.at(1), &mut out);
    let retried: Vec<_> = texts(&out).iter().map(|t| json(t)).collect();
    assert_eq!(retried.len(), 2);
    assert_eq!(retried[0]["payload"], serde_json::json!(["BTC_USDT"]));
    assert_eq!(retried[1]["payload"], serde_json::json!(["NOPE_USDT"]));
    assert!(h.callbacks().errors.is_empty());
    assert_eq!(h.counters().split_requests, 1);

    let (btc_id, nope_id) = (
        retried[0]["id"].as_u64().unwrap(),
        retried[1]["id"].as_u64().unwrap(),
    );
    feed(
        &mut h,
        ack("spot.trades", btc_id).as_bytes(),
        clock.at(2),
        &mut out,
    );
    let single = refusal("spot.trades", nope_id, 2, "unknown currency pair NOPE_USDT");
    feed(&mut h, single.as_bytes(), clock.at(2), &mut out);
    out.clear();
    let book = refusal(
        "spot.order_book_update",
        2,
        2,
        "unknown currency pair NOPE_USDT",
    );
    feed(&mut h, book.as_bytes(), clock.at(3), &mut out);
    assert_eq!(
        out.signals(),
        &[SessionSignal::Ready],
        "refused topics are settled"
    );

    let errors = &h.callbacks().errors;
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e.category == ErrorCategory::SubscriptionRejected
                && e.message.contains("NOPE_USDT")
                && e.message.contains("code 2"))
    );
    assert!(errors[0].message.contains("spot.trades"));
    assert!(errors[1].message.contains("spot.order_book_update"));
    assert_eq!(h.status(nope), None, "the refused book is dropped");
    assert_eq!(h.counters().rejected_topics, 2);

    // Reconnecting does not ask for refused topics again; subscribing again does.
    h.on_disconnected(&DisconnectCause::ConnectionLost("eof".into()), clock.at(4));
    out.clear();
    h.on_connected(clock.at(5), &mut out);
    assert_eq!(out.frames().len(), 1);
    out.clear();
    h.on_command(
        GateioPublicCommand::Subscribe(GateioPublicTopic::OrderBook(nope)),
        clock.at(6),
        &mut out,
    );
    assert_eq!(out.frames().len(), 1);
    assert_eq!(h.status(nope), Some(BookStatus::Syncing));
}

#[test]
fn code_4_is_fatal_and_stops_reconnection() {
    let clock = Clock::new();
    let mut h = spot_public(&[GateioPublicTopic::Trades(sym("BTC_USDT"))]);
    let mut out = Outbox::new();
    h.on_connected(clock.at(0), &mut out);
    out.clear();
    let refused = refusal("spot.trades", 1, 4, "authentication fail");
    feed(&mut h, refused.as_bytes(), clock.at(1), &mut out);
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
    assert!(h.fatal_error().is_some());
    assert_eq!(
        h.classify_disconnect(&DisconnectCause::AuthenticationFailed("x".into())),
        ReconnectDecision::Stop
    );
    assert_eq!(
        h.callbacks().errors[0].category,
        ErrorCategory::Authentication
    );
}

#[test]
fn timers_resend_unacknowledged_topics() {
    let clock = Clock::new();
    let mut h = spot_public(&[GateioPublicTopic::Tickers(sym("BTC_USDT"))]);
    let mut out = Outbox::new();
    h.on_connected(clock.at(0), &mut out);
    out.clear();
    h.on_tick(clock.at(1_000), &mut out);
    assert!(out.frames().is_empty());
    h.on_tick(clock.at(10_000), &mut out);
    assert_eq!(
        out.frames().len(),
        1,
        "requested again after the ack timeout"
    );
    assert_eq!(h.counters().ack_timeouts, 1);
    assert_eq!(h.callbacks().errors.len(), 1);
    // A late ack for the first request is stale; the new one confirms.
    feed(
        &mut h,
        ack("spot.tickers", 1).as_bytes(),
        clock.at(10_001),
        &mut out,
    );
    assert_eq!(h.counters().stale_acks, 1);
    feed(
        &mut h,
        ack("spot.tickers", 2).as_bytes(),
        clock.at(10_002),
        &mut out,
    );
    assert_eq!(h.counters().acks, 1);
    feed(&mut h, SPOT_TICKERS, clock.at(10_003), &mut out);
    assert_eq!(h.callbacks().tickers.len(), 1);
}

#[test]
fn broken_frames_are_counted_and_reported_not_fatal() {
    let clock = Clock::new();
    let mut h = spot_public(&[GateioPublicTopic::OrderBook(sym("BTC_USDT"))]);
    let mut out = Outbox::new();
    h.on_connected(clock.at(0), &mut out);
    out.clear();
    for frame in [
        &br#"{"channel":"spot.trades","event":"update","result":{"id":1"#[..],
        br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":"x"}}"#,
        b"\xff\xfe",
        br#"{"channel":"","event":"","error":{"code":1,"message":"invalid request body format"}}"#,
    ] {
        feed(&mut h, frame, clock.at(1), &mut out);
    }
    assert!(out.signals().is_empty(), "nothing is fatal");
    let seen = &h.callbacks().errors;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].category, ErrorCategory::Parse);
    assert_eq!(seen[2].category, ErrorCategory::Venue);
    assert_eq!(h.counters().decode_errors, 2);
    assert_eq!(h.stats().unhandled, 1);
}

#[test]
fn futures_public_routes_trades_tickers_and_books() {
    let clock = Clock::new();
    let contract = sym("BTC_USD");
    let mut h = GateioPublicParts::<Recorder, FuturesMarket>::new(
        GateioHandlerConfig {
            depth: crate::BookDepth::Levels100,
            ..config(crate::Market::Futures)
        },
        [
            GateioPublicTopic::OrderBook(contract),
            GateioPublicTopic::Trades(contract),
        ],
        Recorder::default(),
    )
    .map(Driven::new)
    .unwrap();
    assert_eq!(h.connection_context().label, "gateio-futures-public");
    let mut out = Outbox::new();
    h.on_connected(clock.at(0), &mut out);
    let sent = json(&texts(&out)[0]);
    assert_eq!(
        sent["payload"],
        serde_json::json!(["BTC_USD", "100ms", "100"])
    );
    out.clear();
    h.on_app_ping(clock.at(1), &mut out);
    assert!(texts(&out)[0].contains("futures.ping"));
    // The fixture's trade is an internal transfer: not a market trade.
    feed(&mut h, FUTURES_TRADES, clock.at(2), &mut out);
    assert!(h.callbacks().trades.is_empty());
    assert_eq!(h.counters().internal_trades, 1);
    let external = String::from_utf8_lossy(FUTURES_TRADES)
        .replace(r#""is_internal": true"#, r#""is_internal": false"#);
    feed(&mut h, external.as_bytes(), clock.at(2), &mut out);
    assert_eq!(h.callbacks().trades.len(), 1);
    feed(&mut h, FUTURES_TICKERS, clock.at(3), &mut out);
    assert_eq!(h.callbacks().tickers.len(), 1);
    // A push before the ack is buffered (not applied, not an error).
    feed(&mut h, FUTURES_BOOK_UPDATE, clock.at(4), &mut out);
    assert_eq!(h.book_stats().buffered, 1);
    assert!(
        h.callbacks().errors.is_empty(),
        "{:?}",
        h.callbacks().errors
    );
    // Spot cannot have 50 levels.
    let refused = GateioPublicParts::<Recorder, SpotMarket>::new(
        GateioHandlerConfig {
            depth: crate::BookDepth::Levels50,
            ..config(crate::Market::Spot)
        },
        [],
        Recorder::default(),
    )
    .map(Driven::new);
    assert!(matches!(
        refused,
        Err(crate::Error::UnsupportedDepth { .. })
    ));
}

type FuturesPrivate = GateioFuturesPrivateWebSocketHandler<Recorder>;

/// Connects a private handler and answers its first measurement of the venue's clock
/// (the venue's time equal to ours), which comes before anything signed, and a futures
/// user id lookup with 404 (so the handler logs in to learn it).
fn connect_private<S: Session>(h: &mut S, now: Timestamp, out: &mut Outbox) {
    h.on_connected(now, out);
    let mut answered = true;
    while answered {
        answered = false;
        let rest: Vec<RestRequest> = out.drain_rest().collect();
        for request in rest {
            if request.url.ends_with("/spot/time") {
                let body = format!(r#"{{"server_time":{}}}"#, now.unix_millis());
                h.on_rest_response(reply(&request, 200, &body), now, out);
                answered = true;
            } else if request.url.ends_with("/futures/usdt/accounts") {
                h.on_rest_response(reply(&request, 404, ""), now, out);
                answered = true;
            } else {
                out.rest(request);
            }
        }
    }
}

/// Connects, confirms every channel, answers reconciliation with `bodies` per path.
fn confirm_all<S: Session>(h: &mut S, sent: &[String], now: Timestamp, out: &mut Outbox) {
    for text in sent {
        let request = json(text);
        let channel = request["channel"].as_str().unwrap().to_string();
        let id = request["id"].as_u64().unwrap();
        feed(h, ack(&channel, id).as_bytes(), now, out);
    }
}

#[test]
fn private_spot_signs_subscriptions_delivers_once_and_reconciles() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        config(crate::Market::Spot),
        Recorder::default(),
    ));
    assert_eq!(h.connection_context().label, "gateio-spot-private");
    let mut out = Outbox::new();
    connect_private(&mut h, clock.at(0), &mut out);
    let sent = texts(&out);
    assert_eq!(sent.len(), 3);
    let requests: Vec<_> = sent.iter().map(|t| json(t)).collect();
    assert_eq!(requests[0]["channel"], "spot.orders");
    assert_eq!(requests[0]["payload"], serde_json::json!(["!all"]));
    assert_eq!(requests[2]["channel"], "spot.balances");
    assert!(requests[2].get("payload").is_none());
    for request in &requests {
        let auth = &request["auth"];
        assert_eq!(auth["method"], "api_key");
        assert_eq!(auth["KEY"], "key");
        let expected = crate::subscription_signature(
            &Credentials::new("key", "secret"),
            request["channel"].as_str().unwrap(),
            "subscribe",
            1_700_000_000,
        );
        assert_eq!(auth["SIGN"], expected.as_str());
    }

    // The last ack starts reconciliation: signed REST, over the venue's path.
    out.clear();
    confirm_all(&mut h, &sent, clock.at(1), &mut out);
    assert_eq!(out.signals(), &[SessionSignal::Ready]);
    let rest: Vec<RestRequest> = out.rest_requests().to_vec();
    assert_eq!(rest.len(), 2);
    assert_eq!(
        rest[0].url,
        "http://127.0.0.1:1/gateio/api/v4/spot/open_orders?limit=100"
    );
    assert_eq!(
        rest[1].url,
        "http://127.0.0.1:1/gateio/api/v4/spot/accounts"
    );
    let header = |r: &RestRequest, name: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(header(&rest[0], "KEY"), "key");
    assert_eq!(
        header(&rest[0], "SIGN"),
        crate::rest_signature(
            &Credentials::new("key", "secret"),
            ws_session::RestMethod::Get,
            "/api/v4/spot/open_orders",
            "limit=100",
            b"",
            1_700_000_000,
        )
    );

    // Stream events, each once.
    feed(&mut h, SPOT_ORDERS, clock.at(2), &mut out);
    feed(&mut h, SPOT_ORDERS, clock.at(2), &mut out);
    feed(&mut h, SPOT_USERTRADES, clock.at(3), &mut out);
    feed(&mut h, SPOT_USERTRADES, clock.at(3), &mut out);
    feed(&mut h, SPOT_BALANCES, clock.at(4), &mut out);
    feed(&mut h, SPOT_BALANCES, clock.at(4), &mut out);
    let seen = h.callbacks();
    assert_eq!(
        (seen.orders.len(), seen.fills.len(), seen.balances.len()),
        (1, 1, 1)
    );
    assert_eq!(h.delivery_counts().duplicates, 3);
    assert_eq!(h.open_orders().count(), 1);

    // Reconciliation: the order is unchanged (not delivered again), the streamed
    // balance is newer than the answer (skipped), BTC is new.
    let open = r#"[{"currency_pair":"BTC_USDT","total":1,"orders":[{"id":"399123456",
        "text":"t-testtext","currency_pair":"BTC_USDT","type":"limit","side":"sell",
        "amount":"0.0001","price":"26253.3","time_in_force":"gtc","left":"0.0001",
        "update_time_ms":1694655225315,"status":"open","finish_as":"open"}]}]"#;
    let accounts = r#"[{"currency":"USDT","available":"1","locked":"0"},
        {"currency":"BTC","available":"2","locked":"0.5"}]"#;
    out.clear();
    h.on_rest_response(reply(&rest[0], 200, open), clock.at(5), &mut out);
    assert_eq!(h.callbacks().reconciled, 0);
    h.on_rest_response(reply(&rest[1], 200, accounts), clock.at(6), &mut out);
    let seen = h.callbacks();
    assert_eq!(seen.reconciled, 1);
    assert!(h.is_reconciled());
    assert_eq!(seen.orders.len(), 1);
    assert_eq!(seen.balances.len(), 2);
    assert_eq!(seen.balances[1].asset.as_str(), "BTC");
    assert!(out.rest_requests().is_empty());

    // A reconnect fetches the orders finished and the fills made in the gap (from the
    // last frame, 4 ms, less the slack, to past now).
    h.on_disconnected(&DisconnectCause::ConnectionLost("eof".into()), clock.at(10));
    out.clear();
    connect_private(&mut h, clock.at(2_000), &mut out);
    let sent = texts(&out);
    out.clear();
    confirm_all(&mut h, &sent, clock.at(2_001), &mut out);
    let rest: Vec<RestRequest> = out.rest_requests().to_vec();
    let urls: Vec<&str> = rest.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            "http://127.0.0.1:1/gateio/api/v4/spot/open_orders?limit=100",
            "http://127.0.0.1:1/gateio/api/v4/spot/accounts",
            "http://127.0.0.1:1/gateio/api/v4/spot/orders?status=finished&from=1699999998&to=1700000004&limit=100",
            "http://127.0.0.1:1/gateio/api/v4/spot/my_trades?limit=1000&from=1699999998&to=1700000004",
        ]
    );
    out.clear();
    // One order opened and cancelled while disconnected, one fill of it.
    let finished = r#"[{"id":"399123457","currency_pair":"BTC_USDT","side":"buy",
        "amount":"2","price":"26000","left":"1.5","update_time_ms":1700000001000,
        "status":"cancelled","finish_as":"cancelled"},
        {"id":"399000001","currency_pair":"BTC_USDT","side":"buy","amount":"1",
        "price":"26000","left":"0","update_time_ms":1690000000000,"status":"closed",
        "finish_as":"filled"}]"#;
    h.on_rest_response(reply(&rest[2], 200, finished), clock.at(2_002), &mut out);
    let trades = r#"[{"id":"5736714","create_time":"1700000000","create_time_ms":
        "1700000000500.000","currency_pair":"BTC_USDT","side":"buy","role":"maker",
        "amount":"0.5","price":"26000","order_id":"399123457","fee":"0",
        "fee_currency":"USDT","point_fee":"0","gt_fee":"0","text":"t-x"}]"#;
    h.on_rest_response(reply(&rest[3], 200, trades), clock.at(2_002), &mut out);
    assert_eq!(h.counters().recovered_fills, 1);
    assert_eq!(h.callbacks().fills.len(), 2);
    let seen = h.callbacks();
    let last = seen.orders.last().unwrap();
    assert_eq!(
        (last.order_id.as_str(), last.status),
        ("399123457", market_types::OrderStatus::PartiallyCanceled),
        "the order of the gap is delivered; the one finished long before is not"
    );
    assert_eq!(seen.orders.len(), 2);
    // The order is gone from the open orders: its own query is made.
    h.on_rest_response(reply(&rest[0], 200, "[]"), clock.at(2_003), &mut out);
    let lookup = out.rest_requests()[0].clone();
    assert_eq!(
        lookup.url,
        "http://127.0.0.1:1/gateio/api/v4/spot/orders/399123456?currency_pair=BTC_USDT"
    );
    let finished = r#"{"id":"399123456","currency_pair":"BTC_USDT","side":"sell",
        "amount":"0.0001","price":"26253.3","left":"0","update_time_ms":1694655229000,
        "status":"closed","finish_as":"filled"}"#;
    h.on_rest_response(reply(&lookup, 200, finished), clock.at(2_004), &mut out);
    assert_eq!(h.callbacks().reconciled, 1, "balances still missing");
    h.on_rest_response(reply(&rest[1], 200, accounts), clock.at(2_005), &mut out);
    let seen = h.callbacks();
    assert_eq!(seen.reconciled, 2);
    assert_eq!(seen.orders.len(), 3);
    assert_eq!(seen.orders[2].status, market_types::OrderStatus::Filled);
    assert_eq!(h.open_orders().count(), 0);
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    assert_eq!(
        (h.counters().fill_gaps, h.counters().unresolved_orders),
        (0, 0)
    );

    // The next gap: without the endpoints the loss is reported, and an order the venue
    // does not know is reported by id.
    let another = String::from_utf8_lossy(SPOT_ORDERS).replace("399123456", "399123999");
    feed(&mut h, another.as_bytes(), clock.at(3_000), &mut out);
    assert_eq!(h.open_orders().count(), 1);
    h.on_disconnected(
        &DisconnectCause::ConnectionLost("eof".into()),
        clock.at(3_010),
    );
    out.clear();
    connect_private(&mut h, clock.at(5_000), &mut out);
    let sent = texts(&out);
    out.clear();
    confirm_all(&mut h, &sent, clock.at(5_001), &mut out);
    let rest: Vec<RestRequest> = out.rest_requests().to_vec();
    assert_eq!(rest.len(), 4);
    out.clear();
    let not_found = r#"{"label":"NOT_FOUND","message":"no"}"#;
    h.on_rest_response(reply(&rest[2], 404, not_found), clock.at(5_002), &mut out);
    h.on_rest_response(reply(&rest[3], 404, not_found), clock.at(5_002), &mut out);
    assert_eq!((h.counters().fill_gaps, h.counters().order_gaps), (1, 1));
    h.on_rest_response(reply(&rest[0], 200, "[]"), clock.at(5_003), &mut out);
    let lookup = out.rest_requests()[0].clone();
    out.clear();
    h.on_rest_response(
        reply(
            &lookup,
            404,
            r#"{"label":"ORDER_NOT_FOUND","message":"Order not found"}"#,
        ),
        clock.at(5_004),
        &mut out,
    );
    h.on_rest_response(reply(&rest[1], 200, accounts), clock.at(5_005), &mut out);
    let seen = h.callbacks();
    assert_eq!(seen.reconciled, 3);
    assert_eq!(h.counters().unresolved_orders, 1);
    assert_eq!(h.open_orders().count(), 0);
    assert!(
        seen.errors
            .iter()
            .any(|e| e.message.contains("399123999") && e.message.contains("final state"))
    );
    assert!(seen.errors.iter().any(|e| e.category == ErrorCategory::Rest
        && e.message.contains("fills between")
        && e.message.contains("cannot be recovered")));
    assert!(seen.errors.iter().any(|e| e.category == ErrorCategory::Rest
        && e.message.contains("orders both opened and closed")));
}

#[test]
fn private_reconciliation_retries_and_refused_rest_is_fatal() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        config(crate::Market::Spot),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    connect_private(&mut h, clock.at(0), &mut out);
    let sent = texts(&out);
    out.clear();
    confirm_all(&mut h, &sent, clock.at(1), &mut out);
    let rest: Vec<RestRequest> = out.rest_requests().to_vec();
    out.clear();
    h.on_rest_response(reply(&rest[0], 503, ""), clock.at(2), &mut out);
    assert_eq!(h.counters().rest_errors, 1);
    h.on_tick(clock.at(3), &mut out);
    assert!(out.rest_requests().is_empty(), "retried after a delay");
    h.on_tick(clock.at(3_000), &mut out);
    assert_eq!(out.rest_requests().len(), 1);
    let retry = out.rest_requests()[0].clone();
    out.clear();
    h.on_rest_response(
        reply(
            &retry,
            401,
            r#"{"label":"INVALID_SIGNATURE","message":"bad"}"#,
        ),
        clock.at(3_001),
        &mut out,
    );
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
    assert!(
        h.authentication_error()
            .unwrap()
            .contains("INVALID_SIGNATURE")
    );
    assert_eq!(
        h.classify_disconnect(&DisconnectCause::ConnectionLost("x".into())),
        ReconnectDecision::Stop
    );
    // The next connection only repeats the reason.
    out.clear();
    connect_private(&mut h, clock.at(4_000), &mut out);
    assert!(out.frames().is_empty());
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
}

#[test]
fn login_first_then_subscribe_and_refused_login_is_fatal() {
    let clock = Clock::new();
    let login_config = || GateioHandlerConfig {
        login: LoginMode::LoginFirst,
        ..config(crate::Market::Spot)
    };
    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        login_config(),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    connect_private(&mut h, clock.at(0), &mut out);
    let sent = texts(&out);
    assert_eq!(sent.len(), 1, "only the login goes first");
    let login = json(&sent[0]);
    assert_eq!(login["channel"], "spot.login");
    assert_eq!(login["event"], "api");
    assert_eq!(login["payload"]["api_key"], "key");
    assert_eq!(
        login["payload"]["signature"],
        crate::api_signature(
            &Credentials::new("key", "secret"),
            "spot.login",
            "",
            1_700_000_000
        )
        .as_str()
    );
    out.clear();
    feed(&mut h, SPOT_LOGIN_OK, clock.at(1), &mut out);
    assert_eq!(out.frames().len(), 3, "subscribed after the login");
    assert_eq!(h.counters().logins, 1);
    // The login timeout does not fire any more.
    out.clear();
    h.on_tick(clock.at(60_000), &mut out);
    assert!(
        !out.signals()
            .iter()
            .any(|s| matches!(s, SessionSignal::Reconnect(_)))
    );

    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        login_config(),
        Recorder::default(),
    ));
    out.clear();
    connect_private(&mut h, clock.at(0), &mut out);
    out.clear();
    feed(&mut h, LOGIN_REFUSED, clock.at(1), &mut out);
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
    assert!(h.authentication_error().unwrap().contains("INVALID_KEY"));
    assert!(out.frames().is_empty(), "nothing is subscribed");

    // An unanswered login is retried on a new connection, not fatal.
    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        login_config(),
        Recorder::default(),
    ));
    out.clear();
    connect_private(&mut h, clock.at(0), &mut out);
    out.clear();
    h.on_tick(clock.at(11_000), &mut out);
    assert!(matches!(out.signals(), [SessionSignal::Reconnect(_)]));
}

#[test]
fn private_futures_learns_the_user_id_and_reconciles_positions() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, FuturesMarket>::new(
        config(crate::Market::Futures),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    connect_private(&mut h, clock.at(0), &mut out);
    assert!(
        texts(&out)[0].contains("futures.login"),
        "logs in for the user id"
    );
    out.clear();
    let login_ok = String::from_utf8_lossy(SPOT_LOGIN_OK).replace("spot.login", "futures.login");
    feed(&mut h, login_ok.as_bytes(), clock.at(1), &mut out);
    assert_eq!(h.user_id(), Some(UserId(110_284_739)));
    let sent = texts(&out);
    let requests: Vec<_> = sent.iter().map(|t| json(t)).collect();
    assert_eq!(requests.len(), 4);
    assert_eq!(
        requests[0]["payload"],
        serde_json::json!(["110284739", "!all"])
    );
    assert_eq!(requests[3]["channel"], "futures.balances");
    assert_eq!(requests[3]["payload"], serde_json::json!(["110284739"]));

    out.clear();
    confirm_all(&mut h, &sent, clock.at(2), &mut out);
    let rest: Vec<RestRequest> = out.rest_requests().to_vec();
    let urls: Vec<&str> = rest.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            "http://127.0.0.1:1/gateio/api/v4/futures/usdt/orders?status=open&limit=100",
            "http://127.0.0.1:1/gateio/api/v4/futures/usdt/accounts",
            "http://127.0.0.1:1/gateio/api/v4/futures/usdt/positions",
        ]
    );

    for frame in [
        FUTURES_ORDERS,
        FUTURES_USERTRADES,
        FUTURES_BALANCES,
        FUTURES_POSITIONS,
        FUTURES_POSITIONS,
    ] {
        feed(&mut h, frame, clock.at(3), &mut out);
    }
    let seen = h.callbacks();
    assert_eq!(seen.orders.len(), 1);
    assert_eq!(seen.fills.len(), 1);
    assert_eq!(
        seen.balances[0].asset.as_str(),
        "BTC",
        "futures currencies upper-cased"
    );
    assert_eq!(seen.positions.len(), 1);
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);

    out.clear();
    h.on_rest_response(reply(&rest[0], 200, "[]"), clock.at(4), &mut out);
    h.on_rest_response(
        reply(
            &rest[1],
            200,
            r#"{"currency":"BTC","total":"9.998739899488"}"#,
        ),
        clock.at(5),
        &mut out,
    );
    h.on_rest_response(
        reply(
            &rest[2],
            200,
            r#"[{"contract":"ETH_USDT","size":2,"entry_price":"10","update_time":1}]"#,
        ),
        clock.at(6),
        &mut out,
    );
    let seen = h.callbacks();
    assert_eq!(seen.reconciled, 1);
    assert_eq!(
        seen.balances.len(),
        1,
        "the REST balance equals the streamed one"
    );
    assert_eq!(seen.positions.len(), 2);
    assert_eq!(h.counters().reconciled_positions, 1);
}

#[test]
fn private_code_4_and_missing_credentials_are_fatal() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        config(crate::Market::Spot),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    connect_private(&mut h, clock.at(0), &mut out);
    out.clear();
    let refused = refusal("spot.orders", 1, 4, "authentication fail: invalid key");
    feed(&mut h, refused.as_bytes(), clock.at(1), &mut out);
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
    assert!(h.authentication_error().unwrap().contains("code 4"));

    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        GateioHandlerConfig {
            credentials: None,
            ..config(crate::Market::Spot)
        },
        Recorder::default(),
    ));
    assert_eq!(
        h.callbacks().errors[0].category,
        ErrorCategory::Authentication
    );
    out.clear();
    connect_private(&mut h, clock.at(0), &mut out);
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
    assert!(out.frames().is_empty());
}

/// The `Timestamp` header of a signed REST request.
fn timestamp_header(request: &RestRequest) -> u64 {
    request
        .headers
        .iter()
        .find(|(name, _)| name == "Timestamp")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap()
}

#[test]
fn subscriptions_wait_for_the_venue_clock_and_are_signed_with_its_time() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        config(crate::Market::Spot),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    h.on_connected(clock.at(0), &mut out);
    assert!(out.frames().is_empty(), "nothing signed before the clock");
    let time = out.rest_requests().to_vec();
    assert_eq!(time.len(), 1);
    assert_eq!(time[0].url, "http://127.0.0.1:1/gateio/api/v4/spot/time");
    out.clear();
    let venue_ms = clock.at(0).unix_millis() + 90_000;
    let body = format!(r#"{{"server_time":{venue_ms}}}"#);
    h.on_rest_response(reply(&time[0], 200, &body), clock.at(0), &mut out);
    let sent = texts(&out);
    assert_eq!(sent.len(), 3);
    for text in &sent {
        assert_eq!(json(text)["time"].as_u64(), Some(venue_ms / 1000));
    }
    out.clear();
    confirm_all(&mut h, &sent, clock.at(1), &mut out);
    for request in out.rest_requests() {
        assert_eq!(timestamp_header(request), (venue_ms + 1) / 1000);
    }
}

#[test]
fn an_expired_rest_call_measures_the_clock_again_and_is_retried_not_fatal() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        config(crate::Market::Spot),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    connect_private(&mut h, clock.at(0), &mut out);
    let sent = texts(&out);
    out.clear();
    confirm_all(&mut h, &sent, clock.at(1), &mut out);
    let rest: Vec<RestRequest> = out.rest_requests().to_vec();
    out.clear();
    let expired = r#"{"label":"REQUEST_EXPIRED","message":"gap exceeds 60"}"#;
    h.on_rest_response(reply(&rest[0], 403, expired), clock.at(2), &mut out);
    assert!(h.authentication_error().is_none(), "a clock is not a key");
    assert!(out.signals().is_empty());
    let time = out.rest_requests().to_vec();
    assert_eq!(time.len(), 1, "the clock is measured again at once");
    assert!(time[0].url.ends_with("/spot/time"));
    out.clear();
    let venue_ms = clock.at(2).unix_millis() + 90_000;
    let body = format!(r#"{{"server_time":{venue_ms}}}"#);
    h.on_rest_response(reply(&time[0], 200, &body), clock.at(2), &mut out);
    assert!(
        out.frames().is_empty(),
        "connected: nothing is subscribed again"
    );
    h.on_tick(clock.at(3_000), &mut out);
    let retry = out.rest_requests().to_vec();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].url, rest[0].url);
    assert_eq!(timestamp_header(&retry[0]), (venue_ms + 2_998) / 1000);
    // A plain 403 without a credential label is retried too.
    out.clear();
    h.on_rest_response(reply(&retry[0], 403, ""), clock.at(3_001), &mut out);
    assert!(h.authentication_error().is_none());
}

#[test]
fn code_4_on_a_later_connection_measures_the_clock_before_it_is_fatal() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, SpotMarket>::new(
        config(crate::Market::Spot),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    connect_private(&mut h, clock.at(0), &mut out);
    h.on_disconnected(&DisconnectCause::ConnectionLost("x".into()), clock.at(1));
    // Measured on an earlier connection: subscriptions go out at once.
    out.clear();
    h.on_connected(clock.at(2), &mut out);
    assert_eq!(texts(&out).len(), 3);
    out.clear();
    let refused = refusal("spot.orders", 4, 4, "authentication fail");
    feed(&mut h, refused.as_bytes(), clock.at(3), &mut out);
    assert!(h.authentication_error().is_none());
    assert!(matches!(out.signals(), [SessionSignal::Reconnect(_)]));
    h.on_disconnected(&DisconnectCause::ConnectionLost("x".into()), clock.at(4));
    assert_ne!(
        h.classify_disconnect(&DisconnectCause::ConnectionLost("x".into())),
        ReconnectDecision::Stop
    );
    // The next connection measures first; refused again, the key is at fault.
    out.clear();
    connect_private(&mut h, clock.at(5), &mut out);
    out.clear();
    let refused = refusal("spot.orders", 7, 4, "authentication fail");
    feed(&mut h, refused.as_bytes(), clock.at(6), &mut out);
    assert!(matches!(
        out.signals(),
        [SessionSignal::AuthenticationFailed(_)]
    ));
}

/// Connects a futures handler, answers the clock, and returns the next REST request.
fn futures_lookup(h: &mut FuturesPrivate, now: Timestamp, out: &mut Outbox) -> RestRequest {
    h.on_connected(now, out);
    let time = out.drain_rest().next().unwrap();
    let body = format!(r#"{{"server_time":{}}}"#, now.unix_millis());
    h.on_rest_response(reply(&time, 200, &body), now, out);
    assert!(
        out.frames().is_empty(),
        "nothing subscribed without the user id"
    );
    let lookup: Vec<RestRequest> = out.drain_rest().collect();
    assert_eq!(lookup.len(), 1);
    assert_eq!(
        lookup[0].url,
        "http://127.0.0.1:1/gateio/api/v4/futures/usdt/accounts"
    );
    assert!(lookup[0].headers.iter().any(|(name, _)| name == "SIGN"));
    lookup[0].clone()
}

#[test]
fn futures_learn_the_user_id_over_rest_without_logging_in() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, FuturesMarket>::new(
        config(crate::Market::Futures),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    let lookup = futures_lookup(&mut h, clock.at(0), &mut out);
    let body = r#"{"user":10001,"currency":"USDT","total":"100","available":"100"}"#;
    h.on_rest_response(reply(&lookup, 200, body), clock.at(1), &mut out);
    assert_eq!(h.user_id(), Some(UserId(10_001)));
    let sent = texts(&out);
    assert_eq!(sent.len(), 4, "subscribed at once: {sent:?}");
    assert!(sent.iter().all(|t| !t.contains("futures.login")));
    assert_eq!(json(&sent[3])["payload"], serde_json::json!(["10001"]));
}

#[test]
fn futures_with_a_configured_user_id_neither_ask_nor_log_in() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, FuturesMarket>::new(
        GateioHandlerConfig {
            user_id: Some(UserId(7)),
            ..config(crate::Market::Futures)
        },
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    connect_private(&mut h, clock.at(0), &mut out);
    let sent = texts(&out);
    assert_eq!(sent.len(), 4);
    assert_eq!(json(&sent[0])["payload"], serde_json::json!(["7", "!all"]));
}

#[test]
fn a_login_not_supported_after_rest_failed_stops_and_says_what_to_configure() {
    let clock = Clock::new();
    let mut h = Driven::new(GateioPrivateParts::<Recorder, FuturesMarket>::new(
        config(crate::Market::Futures),
        Recorder::default(),
    ));
    let mut out = Outbox::new();
    let lookup = futures_lookup(&mut h, clock.at(0), &mut out);
    h.on_rest_response(
        reply(&lookup, 200, r#"{"total":"1"}"#),
        clock.at(1),
        &mut out,
    );
    let sent = texts(&out);
    assert!(sent[0].contains("futures.login"), "logs in as the last way");
    out.clear();
    let not_supported = r#"{"header":{"response_time":"1","status":"400","channel":"futures.login","event":"api","client_id":"c"},"data":{"errs":{"label":"NOT_SUPPORTED","message":"not supported"}},"request_id":"login-1"}"#;
    feed(&mut h, not_supported.as_bytes(), clock.at(2), &mut out);
    assert!(
        matches!(out.signals(), [SessionSignal::Fatal(_)]),
        "{:?}",
        out.signals()
    );
    let reason = h.authentication_error().unwrap();
    assert!(reason.contains("GATEIO_UID"), "{reason}");
    assert!(reason.contains("NOT_SUPPORTED"), "{reason}");
    assert!(reason.contains("/futures/usdt/accounts"), "{reason}");
    assert_eq!(
        h.classify_disconnect(&DisconnectCause::ConnectionLost("x".into())),
        ReconnectDecision::Stop
    );
}
