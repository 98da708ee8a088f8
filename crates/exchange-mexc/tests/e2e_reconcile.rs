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
use exchange_mexc::MexcPrivateWebSocketHandler;
use exchange_sim::mexc::MexcConfig;
use market_types::{Fill, Order};
use ws_core::Connection;
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
    let handler = Handler::new(
        handler_config(&sim),
        [sym("BTCUSDT"), sym("NOPEUSDT")],
        Journal::default(),
    );
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
