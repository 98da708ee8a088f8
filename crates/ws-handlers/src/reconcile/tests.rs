#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use market_types::{Balance, Fill, Order, OrderStatus, Position};
use ws_mixins::{PrivateWebSocketMixin, StreamError};
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

    fn first_calls(&self, gap_from_ms: Option<u64>, _now: Timestamp, calls: &mut Vec<Call>) {
        calls.extend([Call::Balances, Call::OpenOrders]);
        if gap_from_ms.is_some() {
            calls.push(Call::Fills(0));
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
}

#[derive(Default)]
struct Seen {
    orders: Vec<Order>,
    fills: usize,
    balances: Vec<Balance>,
    reconciled: usize,
    errors: Vec<String>,
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
        let response = RestResponse {
            id,
            result: Ok(RestReply {
                status,
                retry_after: None,
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
    b.reconciler.on_tick(b.at(1_001), &b.delivery, &mut b.out);
    let again = b.sent();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|(id, _)| id.0 > 2), "new ids");
    assert!(b.answer(again[0].0, 200, "7", 1_002));
    assert!(b.answer(again[1].0, 200, "", 1_002));
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
