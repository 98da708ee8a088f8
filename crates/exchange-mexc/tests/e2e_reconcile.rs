//! Reconciliation rounds that cannot reconcile everything, end to end against the
//! simulator's MEXC venue: a call that cannot succeed is given up and reported as a typed
//! `ReconcileFailure`, and the round still completes. Every wait is bounded; nothing
//! leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]

mod e2e_support;

use e2e_support::{WAIT, driver_config, eventually, handler_config, init_tracing, start, sym};
use exchange_mexc::{MexcPrivateParts, MexcPrivateWebSocketHandler};
use exchange_sim::mexc::MexcConfig;
use exchange_sim::{AcceptFault, Fault};
use market_types::{Fill, Order, OrderStatus, Price, Quantity, Side};
use ws_core::{Connection, ConnectionState};
use ws_handlers::Driven;
use ws_mixins::{
    PrivateWebSocketMixin, ReconcileFailure, ReconcileFailureReason, ReconcileScope, StreamError,
};

/// What the user was told.
#[derive(Debug, Default)]
struct Journal {
    orders: Vec<Order>,
    fills: Vec<Fill>,
    reconciled: usize,
    failures: Vec<ReconcileFailure>,
    errors: Vec<StreamError>,
}

impl PrivateWebSocketMixin for Journal {
    fn on_order(&mut self, order: &Order) {
        self.orders.push(*order);
    }
    fn on_fill(&mut self, fill: &Fill) {
        self.fills.push(*fill);
    }
    fn on_reconciled(&mut self) {
        self.reconciled += 1;
    }
    fn on_reconcile_failure(&mut self, failure: &ReconcileFailure) {
        self.failures.push(failure.clone());
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

type Handler = MexcPrivateWebSocketHandler<Journal>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_symbol_is_reported_and_the_round_completes() {
    init_tracing();
    let (sim, _venue) = start(MexcConfig::default()).await;
    let handler = Driven::new(MexcPrivateParts::new(
        handler_config(&sim),
        [sym("BTCUSDT"), sym("NOPEUSDT")],
        Journal::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    // Before: `openOrders?symbol=NOPEUSDT` was asked again every retry delay for ever
    // and the round never completed.
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled == 1))
        .await,
        "the round completes"
    );
    conn.with_session(|h| {
        let journal = h.callbacks();
        assert_eq!(journal.failures.len(), 1, "{:?}", journal.failures);
        let failure = &journal.failures[0];
        assert_eq!(failure.scope, ReconcileScope::Symbol(sym("NOPEUSDT")));
        assert_eq!(failure.call, "/api/v3/openOrders");
        assert_eq!(failure.reason, ReconcileFailureReason::Refused);
        assert_eq!(h.counters().reconcile_failures, 1);
    });
    conn.close().await.unwrap();
    sim.shutdown().await;
}

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn q(text: &str) -> Quantity {
    Quantity::parse(text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symbols_outside_the_configuration_are_reconciled_after_a_disconnect() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    // Only BTCUSDT is configured; the stream delivers every symbol.
    let handler = Driven::new(MexcPrivateParts::new(
        handler_config(&sim),
        [sym("BTCUSDT")],
        Journal::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled == 1))
        .await
    );
    let e = venue
        .place_order("ETHUSDT", Side::Buy, p("3000"), q("1"))
        .unwrap();
    venue.fill(&e, q("0.25")).unwrap();
    let delivered = |h: &Handler, id: &str, status: OrderStatus| {
        h.callbacks()
            .orders
            .iter()
            .any(|o| o.order_id.as_str() == id && o.status == status)
    };
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().fills.len() == 1
                && delivered(h, &e, OrderStatus::PartiallyFilled)))
        .await,
        "streamed"
    );

    // Disconnected: E finishes, D opens and is cancelled, both on ETHUSDT.
    let refuse = AcceptFault::HttpStatus {
        status: 503,
        retry_after_secs: None,
    };
    sim.set_accept_fault(refuse, 10_000);
    assert!(sim.inject(Fault::Drop) >= 1);
    assert!(eventually(WAIT, || conn.state() != ConnectionState::Connected).await);
    venue.fill(&e, q("0.75")).unwrap();
    let d = venue
        .place_order("ETHUSDT", Side::Sell, p("4000"), q("1"))
        .unwrap();
    venue.cancel(&d).unwrap();
    assert_ne!(conn.state(), ConnectionState::Connected);
    sim.set_accept_fault(refuse, 0);
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled == 2))
        .await,
        "reconnected and reconciled"
    );

    conn.with_session(|h| {
        // Before: E stayed open for ever, its second fill and D were never delivered.
        assert!(delivered(h, &e, OrderStatus::Filled), "E's end");
        assert_eq!(h.callbacks().fills.len(), 2, "E's fill of the gap");
        assert!(
            delivered(h, &d, OrderStatus::Canceled),
            "D, opened and closed unseen"
        );
        assert_eq!(h.open_orders().count(), 0);
        assert!(
            h.callbacks().failures.is_empty(),
            "{:?}",
            h.callbacks().failures
        );
    });
    conn.close().await.unwrap();
    sim.shutdown().await;
}
