#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use market_types::{Balance, Fill, Order, OrderStatus, Position};
use ws_mixins::{
    PrivateWebSocketMixin, ReconcileFailure, ReconcileFailureReason, ReconcileScope, StreamError,
};
use ws_session::{
    Outbox, RestFailure, RestReply, RestRequest, RestRequestId, RestResponse, Timestamp,
};

use super::*;
use crate::PrivateDelivery;
use crate::test_support::{btc_usdt, fill, id, order, usdt};

/// A venue with a balance call, an open-orders call, order lookups and a two-page
/// fill history. Bodies: `bad` does not decode; status 401 refuses the credentials.
#[derive(Debug, Default)]
struct Venue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Balances,
    OpenOrders,
    Lookup(market_types::OrderId),
    Fills(u32),
}

impl ReconcileVenue for Venue {
    type Call = Call;
    type Reply = String;
    type Error = String;
    const NAME: &'static str = "test";

    fn first_calls(&self, start: &mut RoundStart<'_, Call>) {
        start.calls([Call::Balances, Call::OpenOrders]);
        if start.gap_from_ms().is_some() {
            start.call(Call::Fills(0));
        }
    }

    fn request(&self, call: Call, id: RestRequestId, _now: Timestamp) -> Option<RestRequest> {
        Some(RestRequest {
            id,
            method: ws_session::RestMethod::Get,
            url: format!("{call:?}"),
            headers: Vec::new(),
            body: Default::default(),
        })
    }

    fn parse(
        &self,
        _call: Call,
        result: &Result<RestReply, RestFailure>,
        _now: Timestamp,
    ) -> Result<String, String> {
        let reply = result.as_ref().map_err(|f| format!("{f:?}"))?;
        match (reply.status, std::str::from_utf8(&reply.body)) {
            (200, Ok(text)) if text != "bad" => Ok(text.to_string()),
            (status, _) => Err(format!("HTTP {status}")),
        }
    }

    fn apply<H: PrivateWebSocketMixin>(
        &mut self,
        call: Call,
        reply: String,
        answer: &mut Answer<'_, Call, H>,
    ) {
        match call {
            Call::Balances => {
                answer.balance(&usdt(&reply, 5));
            }
            Call::OpenOrders => {
                let missing: Vec<_> = answer
                    .open_at_send()
                    .filter(|(o, _)| reply != o.as_str())
                    .map(|(o, _)| o)
                    .collect();
                for o in missing {
                    answer.request(Call::Lookup(o));
                }
            }
            Call::Lookup(o) => {
                answer.order(RestOrder::exact(order(
                    o.as_str(),
                    OrderStatus::Filled,
                    "2",
                    9,
                )));
            }
            Call::Fills(page) => {
                answer.fill(&fill(&format!("t{page}")));
                if page == 0 {
                    answer.request(Call::Fills(1));
                }
            }
        }
    }

    fn failure(&self, call: Call, error: &String, sent: Sent) -> Failure {
        match call {
            _ if error == "HTTP 401" => Failure::CredentialsRejected(error.clone()),
            Call::Lookup(order_id) if error == "HTTP 404" => Failure::Unresolved {
                order_id,
                message: format!("order {order_id} unknown"),
            },
            _ if error == "HTTP 400" => Failure::Refused {
                message: format!("{call:?} refused"),
            },
            Call::Fills(_) if error == "HTTP 404" => Failure::Lost {
                what: Lost::Fills,
                message: format!("fills from {} lost", sent.gap_start_ms),
            },
            _ => Failure::Retry,
        }
    }

    fn endpoint(&self, call: Call) -> String {
        format!("{call:?}")
    }

    fn scope(&self, call: Call) -> ReconcileScope {
        match call {
            Call::Lookup(order_id) => ReconcileScope::Order {
                symbol: btc_usdt(),
                order_id,
            },
            _ => ReconcileScope::Account,
        }
    }
}

#[derive(Default)]
struct Seen {
    orders: Vec<Order>,
    fills: usize,
    balances: Vec<Balance>,
    reconciled: usize,
    errors: Vec<String>,
    failures: Vec<ReconcileFailure>,
}

impl PrivateWebSocketMixin for Seen {
    fn on_order(&mut self, order: &Order) {
        self.orders.push(*order);
    }
    fn on_fill(&mut self, _fill: &Fill) {
        self.fills += 1;
    }
    fn on_balance(&mut self, balance: &Balance) {
        self.balances.push(*balance);
    }
    fn on_position(&mut self, _position: &Position) {}
    fn on_reconciled(&mut self) {
        self.reconciled += 1;
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.message.clone());
    }
    fn on_reconcile_failure(&mut self, failure: &ReconcileFailure) {
        self.errors.push(failure.message.clone());
        self.failures.push(failure.clone());
    }
}

struct Bench {
    reconciler: Reconciler<Venue>,
    delivery: PrivateDelivery,
    seen: Seen,
    out: Outbox,
    t0: Instant,
}

impl Bench {
    fn new() -> Self {
        Bench {
            reconciler: Reconciler::new(
                Venue,
                RetrySchedule {
                    delay: Duration::from_secs(1),
                },
            ),
            delivery: PrivateDelivery::new(),
            seen: Seen::default(),
            out: Outbox::new(),
            t0: Instant::now(),
        }
    }

    fn at(&self, ms: u64) -> Timestamp {
        Timestamp::new(
            self.t0 + Duration::from_millis(ms),
            1_700_000_000_000_000_000 + ms * 1_000_000,
        )
    }

    fn start(&mut self, ms: u64) {
        let now = self.at(ms);
        self.reconciler.on_connected(now);
        self.reconciler
            .start(now, &self.delivery, &mut self.seen, &mut self.out);
    }

    /// The calls sent since the last look, with their ids.
    fn sent(&mut self) -> Vec<(RestRequestId, String)> {
        self.out
            .drain_rest()
            .map(|request| (request.id, request.url))
            .collect()
    }

    fn answer(&mut self, id: RestRequestId, status: u16, body: &'static str, ms: u64) -> bool {
        self.answer_after(id, status, body, None, ms)
    }

    /// An answer carrying `Retry-After`.
    fn answer_after(
        &mut self,
        id: RestRequestId,
        status: u16,
        body: &'static str,
        retry_after: Option<Duration>,
        ms: u64,
    ) -> bool {
        let response = RestResponse {
            id,
            result: Ok(RestReply {
                status,
                retry_after,
                body: body.as_bytes().to_vec().into(),
            }),
        };
        let now = self.at(ms);
        self.reconciler
            .on_rest_response(
                &response,
                now,
                &mut self.delivery,
                &mut self.seen,
                &mut self.out,
            )
            .is_ok()
    }
}

#[test]
fn a_round_delivers_once_looks_up_missing_orders_and_completes() {
    let mut b = Bench::new();
    let open = order("1", OrderStatus::New, "0", 1);
    b.delivery.order(&open, &mut b.seen);
    b.start(0);
    b.reconciler
        .start(b.at(0), &b.delivery, &mut b.seen, &mut b.out);
    let sent = b.sent();
    assert_eq!(
        sent.iter().map(|(_, u)| u.as_str()).collect::<Vec<_>>(),
        ["Balances", "OpenOrders"],
        "one round per connection"
    );
    assert!(b.answer(sent[0].0, 200, "7", 1));
    assert!(!b.reconciler.is_reconciled());
    // Order 1 is not listed: looked up, and its end delivered.
    assert!(b.answer(sent[1].0, 200, "", 2));
    let lookup = b.sent();
    assert_eq!(lookup[0].1, format!("{:?}", Call::Lookup(id("1"))));
    assert!(b.answer(lookup[0].0, 200, "", 3));
    assert!(b.reconciler.is_reconciled());
    assert_eq!(b.seen.reconciled, 1);
    assert_eq!(
        b.seen.orders.last().map(|o| o.status),
        Some(OrderStatus::Filled)
    );
    let counters = b.reconciler.counters();
    assert_eq!(
        (
            counters.reconciliations,
            counters.reconciled_orders,
            counters.reconciled_balances
        ),
        (1, 1, 1)
    );
    // A repeated answer is no one's.
    assert!(b.answer(lookup[0].0, 200, "", 4));
    assert_eq!(b.seen.orders.len(), 2);
}

#[test]
fn failed_calls_are_retried_after_the_delay_and_bad_bodies_do_not_panic() {
    let mut b = Bench::new();
    b.start(0);
    let sent = b.sent();
    assert!(b.answer(sent[0].0, 200, "bad", 1));
    assert!(b.answer(sent[1].0, 500, "", 1));
    assert_eq!(b.reconciler.counters().rest_errors, 2);
    assert!(b.seen.errors.iter().all(|e| e.ends_with("; retrying")));
    assert!(!b.reconciler.is_reconciled(), "retries are pending");
    b.reconciler.on_tick(b.at(999), &b.delivery, &mut b.out);
    assert!(b.sent().is_empty());
    // The delay, plus at most a fifth of it at random.
    b.reconciler.on_tick(b.at(1_200), &b.delivery, &mut b.out);
    let again = b.sent();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|(id, _)| id.0 > 2), "new ids");
    assert!(b.answer(again[0].0, 200, "7", 1_202));
    assert!(b.answer(again[1].0, 200, "", 1_202));
    assert!(b.reconciler.is_reconciled());
}

#[test]
fn the_disconnected_window_is_recovered_once_and_old_answers_are_ignored() {
    let mut b = Bench::new();
    b.start(0);
    let first = b.sent();
    b.reconciler.saw_frame(b.at(500).unix_millis());
    b.reconciler.on_disconnected();
    b.start(1_000);
    let sent = b.sent();
    assert_eq!(sent.len(), 3, "balances, open orders, fills of the window");
    // The old connection's answer is not applied.
    assert!(b.answer(first[0].0, 200, "9", 1_001));
    assert!(b.seen.balances.is_empty());
    assert!(b.answer(sent[0].0, 200, "9", 1_001));
    assert!(b.answer(sent[1].0, 200, "", 1_001));
    assert!(b.answer(sent[2].0, 200, "", 1_001));
    let page = b.sent();
    assert_eq!(page[0].1, "Fills(1)");
    assert!(b.answer(page[0].0, 404, "", 1_002));
    assert!(b.reconciler.is_reconciled());
    assert_eq!(b.seen.fills, 1);
    let counters = b.reconciler.counters();
    assert_eq!((counters.recovered_fills, counters.fill_gaps), (1, 1));
    assert!(b.seen.errors.iter().any(|e| e.contains("fills from")));
    // The window is closed: the next connection after no disconnect fetches none.
    b.start(2_000);
    assert_eq!(b.sent().len(), 2);
}

#[test]
fn unknown_orders_are_forgotten_and_refused_credentials_end_the_round() {
    let mut b = Bench::new();
    b.delivery
        .order(&order("1", OrderStatus::New, "0", 1), &mut b.seen);
    b.start(0);
    let sent = b.sent();
    assert!(b.answer(sent[1].0, 200, "", 1));
    let lookup = b.sent();
    assert!(b.answer(lookup[0].0, 404, "", 2));
    assert!(b.delivery.open_orders().is_empty());
    assert_eq!(b.reconciler.counters().unresolved_orders, 1);
    assert!(b.seen.errors.iter().any(|e| e == "order 1 unknown"));
    assert!(!b.answer(sent[0].0, 401, "", 3));
    assert!(!b.reconciler.is_reconciled());
    assert_eq!(b.seen.reconciled, 0);
    assert_eq!(b.delivery.open_orders().get(&id("1")), None);
    let _ = btc_usdt();
}

/// Fails the one call in `sent` with `status` (and `Retry-After`) at `ms`, then ticks
/// until it is asked again; returns when it was asked again and its new id.
fn fail_and_wait(
    b: &mut Bench,
    id: RestRequestId,
    status: u16,
    retry_after: Option<Duration>,
    ms: u64,
) -> Option<(u64, RestRequestId)> {
    assert!(b.answer_after(id, status, "", retry_after, ms));
    let mut t = ms;
    // Ten-millisecond ticks for up to two hours.
    while t < ms + 2 * 60 * 60 * 1000 {
        t += 10;
        b.reconciler.on_tick(b.at(t), &b.delivery, &mut b.out);
        if let Some((again, _)) = b.sent().into_iter().next() {
            return Some((t, again));
        }
        if b.reconciler.is_reconciled() {
            return None;
        }
    }
    None
}

/// Answers the balances call, leaving the open-orders one (sent second) in `sent`.
fn only_open_orders_left(b: &mut Bench) -> RestRequestId {
    let sent = b.sent();
    assert!(b.answer(sent[0].0, 200, "7", 0));
    sent[1].0
}

#[test]
fn retries_back_off_exponentially_with_jitter_up_to_a_cap_then_give_up_with_a_typed_event() {
    let mut b = Bench::new();
    b.start(0);
    let mut id = only_open_orders_left(&mut b);
    let mut now = 0;
    let mut waits = Vec::new();
    while let Some((at, again)) = fail_and_wait(&mut b, id, 503, None, now) {
        waits.push(at - now);
        (now, id) = (at, again);
    }
    // 1, 2, 4, ... s (+ up to 20 %), capped at 60 s; given up after 8 failures.
    assert_eq!(waits.len(), 7, "{waits:?}");
    for (i, wait) in waits.iter().enumerate() {
        let backoff = (1_000u64 << i).min(60_000);
        assert!(
            (backoff..=backoff + backoff / 5 + 10).contains(wait),
            "wait {i}: {wait} ms for a backoff of {backoff} ms"
        );
    }
    assert!(b.reconciler.is_reconciled(), "the round completes");
    assert_eq!(b.seen.reconciled, 1);
    let counters = b.reconciler.counters();
    assert_eq!((counters.rest_errors, counters.given_up), (8, 1));
    assert_eq!(
        b.seen.failures,
        vec![ReconcileFailure {
            scope: ReconcileScope::Account,
            call: "OpenOrders".into(),
            reason: ReconcileFailureReason::Exhausted { attempts: 8 },
            message: b.seen.failures[0].message.clone(),
        }]
    );
    assert!(
        b.seen.failures[0].message.contains("HTTP 503"),
        "{}",
        b.seen.failures[0].message
    );
}

#[test]
fn retry_after_and_ip_bans_set_the_wait() {
    let mut b = Bench::new();
    b.start(0);
    let id = only_open_orders_left(&mut b);
    // 429 with Retry-After: 30 s waits 30 s, not the 1 s backoff.
    let (at, id) = fail_and_wait(&mut b, id, 429, Some(Duration::from_secs(30)), 0).unwrap();
    assert!((30_000..=30_010).contains(&at), "{at}");
    // 418 (IP ban) without Retry-After waits the ban's least wait.
    let (at2, _) = fail_and_wait(&mut b, id, 418, None, at).unwrap();
    let banned = u64::try_from(RetrySchedule::BANNED_WAIT.as_millis()).unwrap();
    assert!((banned..=banned + 10).contains(&(at2 - at)), "{}", at2 - at);
    assert!(!b.reconciler.is_reconciled());
}

#[test]
fn a_huge_retry_after_neither_panics_nor_holds_the_round_open() {
    let mut b = Bench::new();
    b.start(0);
    let id = only_open_orders_left(&mut b);
    let forever = Some(Duration::from_secs(u64::MAX));
    assert!(b.answer_after(id, 429, "", forever, 1));
    assert!(b.reconciler.is_reconciled(), "given up at once");
    assert_eq!(
        b.seen.failures.iter().map(|f| f.reason).collect::<Vec<_>>(),
        [ReconcileFailureReason::Exhausted { attempts: 1 }]
    );
    // The schedule's arithmetic is checked whatever the inputs.
    let schedule = RetrySchedule {
        delay: Duration::MAX,
    };
    let hint = RetryHint {
        retry_after: forever,
        banned: true,
    };
    let wait = schedule.wait(u32::MAX, hint, 0.999);
    assert!(schedule.next_attempt(b.at(0), wait) >= b.t0);
}

#[test]
fn a_call_that_cannot_succeed_is_given_up_at_once_and_the_round_completes() {
    let mut b = Bench::new();
    b.start(0);
    let id = only_open_orders_left(&mut b);
    assert!(b.answer(id, 400, "", 1));
    assert!(b.sent().is_empty(), "not asked again");
    assert!(b.reconciler.is_reconciled());
    assert_eq!(b.reconciler.counters().given_up, 1);
    assert_eq!(
        b.seen.failures,
        vec![ReconcileFailure {
            scope: ReconcileScope::Account,
            call: "OpenOrders".into(),
            reason: ReconcileFailureReason::Refused,
            message: "OpenOrders refused".into(),
        }]
    );
}

#[test]
fn lost_history_and_unresolved_orders_are_typed_events_too() {
    let mut b = Bench::new();
    b.delivery
        .order(&order("1", OrderStatus::New, "0", 1), &mut b.seen);
    b.start(0);
    let sent = b.sent();
    assert!(b.answer(sent[0].0, 200, "7", 1));
    assert!(b.answer(sent[1].0, 200, "", 1));
    let lookup = b.sent();
    assert!(b.answer(lookup[0].0, 404, "", 2));
    assert_eq!(
        b.seen
            .failures
            .iter()
            .map(|f| (f.scope, f.reason))
            .collect::<Vec<_>>(),
        [(
            ReconcileScope::Order {
                symbol: btc_usdt(),
                order_id: id("1")
            },
            ReconcileFailureReason::OrderUnresolved
        )]
    );
    assert!(b.reconciler.is_reconciled());
}
