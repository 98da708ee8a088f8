//! The futures reconciliation driven through the shared `Reconciler`, with canned answers.

use std::time::{Duration, Instant};

use bytes::Bytes;
use market_types::{Balance, Fill, Order, OrderStatus, Position};
use ws_handlers::{PrivateDelivery, Reconciler, RetrySchedule};
use ws_mixins::{PrivateWebSocketMixin, StreamError};
use ws_session::{Outbox, RestReply, RestRequest, RestResponse, Timestamp};

use super::{VENUE, credentials, d, legs, sym};
use crate::futures::private::{FuturesReconcile, FuturesRestSigner, PrivateFrame, decode_private};

#[derive(Debug, Default)]
struct Seen {
    orders: Vec<Order>,
    fills: Vec<Fill>,
    balances: Vec<Balance>,
    positions: Vec<Position>,
    errors: Vec<String>,
    reconciled: usize,
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
    fn on_position(&mut self, position: &Position) {
        self.positions.push(*position);
    }
    fn on_reconciled(&mut self) {
        self.reconciled += 1;
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.message.clone());
    }
}

struct Rig {
    reconciler: Reconciler<FuturesReconcile>,
    delivery: PrivateDelivery,
    seen: Seen,
    out: Outbox,
    base: Instant,
}

impl Rig {
    fn new() -> Rig {
        let signer = FuturesRestSigner::new("http://venue", credentials());
        let venue = FuturesReconcile::new(Some(signer), vec![sym("BTC_USDT")], legs());
        Rig {
            reconciler: Reconciler::new(
                venue,
                RetrySchedule {
                    delay: Duration::from_secs(1),
                },
            ),
            delivery: PrivateDelivery::new(),
            seen: Seen::default(),
            out: Outbox::default(),
            base: Instant::now(),
        }
    }

    fn at(&self, ms: u64) -> Timestamp {
        Timestamp::new(self.base + Duration::from_millis(ms), ms * 1_000_000)
    }

    fn connect(&mut self, ms: u64) -> Vec<RestRequest> {
        let now = self.at(ms);
        self.reconciler.on_connected(now);
        self.reconciler
            .start(now, &self.delivery, &mut self.seen, &mut self.out);
        self.out.drain_rest().collect()
    }

    /// Answers `request` with `body` (HTTP 200) and returns the follow-up requests.
    fn answer(&mut self, request: &RestRequest, body: &str, ms: u64) -> Vec<RestRequest> {
        let response = RestResponse {
            id: request.id,
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: Bytes::from(body.to_string()),
            }),
        };
        let now = self.at(ms);
        let outcome = self.reconciler.on_rest_response(
            &response,
            now,
            &mut self.delivery,
            &mut self.seen,
            &mut self.out,
        );
        assert!(outcome.is_ok(), "{outcome:?}");
        self.out.drain_rest().collect()
    }

    /// A stream frame, delivered as the handler would.
    fn stream(&mut self, frame: &str) {
        let decoded = decode_private(frame.as_bytes(), self.reconciler.venue_mut().legs_mut());
        match decoded.unwrap() {
            PrivateFrame::Order(o) => {
                self.delivery.order(&o, &mut self.seen);
            }
            PrivateFrame::Fill(f) => {
                if self.delivery.fill(&f, &mut self.seen) {
                    self.reconciler.venue_mut().note_fill(f.time_ms);
                }
            }
            PrivateFrame::Position(p) => {
                self.delivery.streamed_position(&p, &mut self.seen);
            }
            PrivateFrame::Balance(b) => {
                self.delivery.streamed_balance(&b, &mut self.seen);
            }
            other => panic!("{other:?}"),
        }
    }
}

fn find<'a>(requests: &'a [RestRequest], path: &str) -> &'a RestRequest {
    requests
        .iter()
        .find(|r| r.url.contains(path))
        .unwrap_or_else(|| panic!("no {path} in {requests:?}"))
}

const ASSETS: &str = r#"{"success":true,"code":0,"data":[{"currency":"USDT","positionMargin":0,"availableBalance":10,"frozenBalance":0}]}"#;
const LONG_5: &str = r#"{"success":true,"code":0,"data":[{"symbol":"BTC_USDT","positionType":1,"state":1,"holdVol":5,"holdAvgPrice":100,"leverage":10,"realised":0,"updateTime":1000}]}"#;
const NO_POSITIONS: &str = r#"{"success":true,"code":0,"data":[]}"#;
const OPEN_ORDER_7: &str = r#"{"success":true,"code":0,"data":[{"orderId":"7","symbol":"BTC_USDT","price":99,"vol":2,"side":1,"orderType":1,"dealVol":0,"state":2,"updateTime":1000}]}"#;
const NO_ORDERS: &str = r#"{"success":true,"code":0,"data":[]}"#;

#[test]
fn first_round_delivers_the_account_once() {
    let mut rig = Rig::new();
    let requests = rig.connect(2_000);
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(
        requests
            .iter()
            .all(|r| r.headers.iter().any(|(k, _)| k == "Signature"))
    );
    rig.answer(find(&requests, "/account/assets"), ASSETS, 2_010);
    rig.answer(find(&requests, "/position/open_positions"), LONG_5, 2_010);
    let more = rig.answer(
        find(&requests, "/open_orders/BTC_USDT"),
        OPEN_ORDER_7,
        2_010,
    );
    assert!(more.is_empty(), "nothing was open before: no lookups");
    assert_eq!(rig.seen.reconciled, 1);
    assert_eq!(rig.seen.balances.len(), 1);
    assert_eq!(rig.seen.balances[0].available, d("10"));
    assert_eq!(rig.seen.balances[0].venue, VENUE);
    assert_eq!(rig.seen.positions.len(), 1);
    assert_eq!(rig.seen.positions[0].size, d("5"));
    assert_eq!(rig.seen.orders.len(), 1);
    assert_eq!(rig.seen.orders[0].status, OrderStatus::New);

    // The stream repeats what REST said: nothing new reaches the user.
    rig.stream(r#"{"channel":"push.personal.order","data":{"orderId":"7","symbol":"BTC_USDT","price":99,"vol":2,"side":1,"orderType":1,"dealVol":0,"state":2,"updateTime":1000},"ts":1}"#);
    rig.stream(r#"{"channel":"push.personal.asset","data":{"currency":"USDT","positionMargin":0,"availableBalance":10,"frozenBalance":0},"ts":2}"#);
    rig.stream(r#"{"channel":"push.personal.position","data":{"symbol":"BTC_USDT","positionType":1,"state":1,"holdVol":5,"holdAvgPrice":100,"leverage":10,"updateTime":1000},"ts":2}"#);
    assert_eq!(
        (
            rig.seen.orders.len(),
            rig.seen.balances.len(),
            rig.seen.positions.len()
        ),
        (1, 1, 1)
    );
}

#[test]
fn a_reconnect_recovers_finished_orders_closed_positions_and_missed_fills_once() {
    let mut rig = Rig::new();
    let requests = rig.connect(1_000);
    rig.answer(find(&requests, "/account/assets"), ASSETS, 1_010);
    rig.answer(find(&requests, "/position/open_positions"), LONG_5, 1_010);
    rig.answer(
        find(&requests, "/open_orders/BTC_USDT"),
        OPEN_ORDER_7,
        1_010,
    );
    // One fill arrives on the stream before the disconnect.
    rig.stream(r#"{"channel":"push.personal.order.deal","data":{"id":"f1","symbol":"BTC_USDT","side":1,"vol":1,"price":99,"fee":0.01,"feeCurrency":"USDT","timestamp":5000,"isTaker":false,"orderId":"7"},"ts":5000}"#);
    rig.reconciler.saw_frame(5_000);
    rig.reconciler.on_disconnected();

    let requests = rig.connect(60_000);
    assert_eq!(requests.len(), 5, "{requests:?}");
    let deals = find(&requests, "/order_deals");
    assert!(deals.url.contains("start_time=3000"), "{}", deals.url);
    assert!(deals.url.contains("end_time=60000"), "{}", deals.url);
    let history = find(&requests, "/history_orders");
    assert!(history.url.contains("start_time=3000"), "{}", history.url);
    // An order opened and filled while disconnected, and order 7 in an older state.
    rig.answer(
        history,
        r#"{"success":true,"code":0,"data":[{"orderId":"8","symbol":"BTC_USDT","price":98,"vol":1,"side":3,"orderType":1,"dealAvgPrice":98,"dealVol":1,"state":3,"updateTime":20000},{"orderId":"7","symbol":"BTC_USDT","price":99,"vol":2,"side":1,"orderType":1,"dealVol":0,"state":2,"updateTime":1000}]}"#,
        60_005,
    );

    rig.answer(find(&requests, "/account/assets"), ASSETS, 60_010);
    rig.answer(
        find(&requests, "/position/open_positions"),
        NO_POSITIONS,
        60_010,
    );
    let position = rig.seen.positions.last().copied().unwrap();
    assert_eq!(position.size, d("0"), "closed while disconnected");
    let lookups = rig.answer(find(&requests, "/open_orders/BTC_USDT"), NO_ORDERS, 60_010);
    assert_eq!(lookups.len(), 1);
    assert!(
        lookups[0].url.ends_with("/api/v1/private/order/get/7"),
        "{}",
        lookups[0].url
    );
    rig.answer(
        &lookups[0],
        r#"{"success":true,"code":0,"data":{"orderId":"7","symbol":"BTC_USDT","price":99,"vol":2,"side":1,"orderType":1,"dealAvgPrice":99,"dealVol":2,"state":3,"updateTime":30000}}"#,
        60_020,
    );
    // The history repeats the streamed fill and adds the missed one.
    rig.answer(
        deals,
        r#"{"success":true,"code":0,"data":[{"id":"f2","symbol":"BTC_USDT","side":1,"vol":1,"price":99,"fee":0.01,"feeCurrency":"USDT","timestamp":30000,"taker":false,"orderId":"7"},{"id":"f1","symbol":"BTC_USDT","side":1,"vol":1,"price":99,"fee":0.01,"feeCurrency":"USDT","timestamp":5000,"taker":false,"orderId":"7"}]}"#,
        60_030,
    );
    assert_eq!(rig.seen.reconciled, 2);
    let fills: Vec<&str> = rig.seen.fills.iter().map(|f| f.trade_id.as_str()).collect();
    assert_eq!(fills, ["f1", "f2"]);
    let last = rig.seen.orders.last().unwrap();
    assert_eq!(
        (last.order_id.as_str(), last.status),
        ("7", OrderStatus::Filled)
    );
    let orders: Vec<(&str, OrderStatus)> = rig
        .seen
        .orders
        .iter()
        .map(|o| (o.order_id.as_str(), o.status))
        .collect();
    assert_eq!(
        orders,
        [
            ("7", OrderStatus::New),
            ("8", OrderStatus::Filled),
            ("7", OrderStatus::Filled)
        ]
    );
    assert_eq!(rig.seen.balances.len(), 1, "the balance did not change");
    assert!(rig.seen.errors.is_empty(), "{:?}", rig.seen.errors);
    // The fill again from a late stream push: still once.
    rig.stream(r#"{"channel":"push.personal.order.deal","data":{"id":"f2","symbol":"BTC_USDT","side":1,"vol":1,"price":99,"timestamp":30000,"orderId":"7"},"ts":1}"#);
    assert_eq!(rig.seen.fills.len(), 2);
}

#[test]
fn refused_credentials_stop_the_round() {
    let mut rig = Rig::new();
    let requests = rig.connect(1_000);
    let response = RestResponse {
        id: find(&requests, "/account/assets").id,
        result: Ok(RestReply {
            status: 200,
            retry_after: None,
            body: Bytes::from_static(
                br#"{"success":false,"code":602,"message":"Signature verification failed!"}"#,
            ),
        }),
    };
    let now = rig.at(1_010);
    let outcome = rig.reconciler.on_rest_response(
        &response,
        now,
        &mut rig.delivery,
        &mut rig.seen,
        &mut rig.out,
    );
    let rejected = outcome.unwrap_err();
    assert!(rejected.0.contains("602"), "{}", rejected.0);
}

#[test]
fn a_lookup_the_venue_cannot_answer_is_unresolved_and_a_lost_history_reported() {
    let mut rig = Rig::new();
    let requests = rig.connect(1_000);
    rig.answer(
        find(&requests, "/open_orders/BTC_USDT"),
        OPEN_ORDER_7,
        1_010,
    );
    rig.reconciler.on_disconnected();
    let requests = rig.connect(9_000);
    let lookups = rig.answer(find(&requests, "/open_orders/BTC_USDT"), NO_ORDERS, 9_010);
    rig.answer(
        &lookups[0],
        r#"{"success":false,"code":2040,"message":"order not exist"}"#,
        9_020,
    );
    rig.answer(
        find(&requests, "/order_deals"),
        r#"{"success":false,"code":1001,"message":"Contract doesn't exist!"}"#,
        9_020,
    );
    rig.answer(
        find(&requests, "/history_orders"),
        r#"{"success":false,"code":1001,"message":"Contract doesn't exist!"}"#,
        9_020,
    );
    let counters = rig.reconciler.counters();
    assert_eq!(counters.unresolved_orders, 1);
    assert_eq!(counters.fill_gaps, 1);
    assert_eq!(counters.order_gaps, 1);
    assert_eq!(rig.seen.errors.len(), 3, "{:?}", rig.seen.errors);
    assert!(
        rig.seen
            .errors
            .iter()
            .any(|e| e.contains("fills of BTC_USDT")),
        "{:?}",
        rig.seen.errors
    );
    // A throttled call is asked again after the retry delay (1 s, plus up to 20 % jitter).
    rig.answer(
        find(&requests, "/account/assets"),
        r#"{"success":false,"code":510,"message":"too frequent"}"#,
        9_030,
    );
    let now = rig.at(10_300);
    rig.reconciler.on_tick(now, &rig.delivery, &mut rig.out);
    let retried: Vec<RestRequest> = rig.out.drain_rest().collect();
    assert_eq!(retried.len(), 1);
    assert!(retried[0].url.contains("/account/assets"));
}

#[test]
fn full_history_pages_ask_for_the_next_page() {
    let mut rig = Rig::new();
    rig.connect(1_000);
    rig.reconciler.on_disconnected();
    let requests = rig.connect(9_000);
    let rows: Vec<String> = (0..100)
        .map(|i| {
            format!(
                r#"{{"id":"t{i}","symbol":"BTC_USDT","side":1,"vol":1,"price":1,"orderId":"o","timestamp":{i}}}"#
            )
        })
        .collect();
    let page = format!(r#"{{"success":true,"code":0,"data":[{}]}}"#, rows.join(","));
    let next = rig.answer(find(&requests, "/order_deals"), &page, 9_010);
    assert_eq!(next.len(), 1);
    assert!(next[0].url.contains("page_num=2"), "{}", next[0].url);
    assert!(
        next[0].url.contains("end_time=9000"),
        "the window stays fixed: {}",
        next[0].url
    );
    assert_eq!(rig.seen.fills.len(), 100);
    let last = rig.answer(&next[0], NO_ORDERS, 9_020);
    assert!(last.is_empty());
}
