//! A venue clock 90 s ahead of the host against the simulator's MEXC venue: the listen
//! key is refused (700003), the handler measures the offset from `GET /api/v3/time`,
//! creates the key with the venue's time, and private events are delivered; a clock that
//! moves while connected is measured again after a refused keep-alive. Every wait is
//! bounded; nothing leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]

mod e2e_support;

use std::time::Duration;

use e2e_support::{WAIT, driver_config, eventually, handler_config, init_tracing, start, sym};
use exchange_mexc::{MexcPrivateParts, MexcPrivateWebSocketHandler};
use exchange_sim::mexc::{MexcConfig, MexcVenue};
use market_types::{Decimal, Fill, Order, Price, Quantity, Side};
use ws_core::{Connection, ConnectionState};
use ws_handlers::Driven;
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin, StreamError};

#[derive(Debug, Default)]
struct Journal {
    orders: Vec<Order>,
    fills: Vec<Fill>,
    reconciled: usize,
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
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

type Handler = MexcPrivateWebSocketHandler<Journal>;

const AHEAD_MS: i64 = 90_000;

fn p(text: &str) -> Price {
    Price::new(Decimal::parse(text).unwrap())
}

fn q(text: &str) -> Quantity {
    Quantity::new(Decimal::parse(text).unwrap())
}

/// Places and partly fills an order; waits until its fill is delivered.
async fn fill_is_delivered(conn: &Connection<Handler>, venue: &MexcVenue, what: &str) {
    let before = conn.with_session(|h| h.callbacks().fills.len());
    let order = venue
        .place_order("BTCUSDT", Side::Buy, p("60000"), q("0.5"))
        .unwrap();
    venue.fill(&order, q("0.2")).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().fills.len() > before))
        .await,
        "{what}: the fill is delivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_events_arrive_with_the_venue_clock_ninety_seconds_ahead() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    venue.set_clock_offset_ms(AHEAD_MS);
    let handler = Driven::new(MexcPrivateParts::new(
        handler_config(&sim),
        [sym("BTCUSDT")],
        Journal::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled >= 1))
        .await,
        "listen key created and reconciled with the venue clock ahead"
    );
    conn.with_session(|h| {
        assert!(h.has_listen_key());
        assert!(h.authentication_error().is_none());
        assert_eq!(h.counters().listen_keys_created, 1);
    });
    assert_eq!(venue.listen_keys().len(), 1);
    fill_is_delivered(&conn, &venue, "ahead").await;
    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.with_session(|h| {
        assert!(
            !h.callbacks()
                .errors
                .iter()
                .any(|e| e.category == ErrorCategory::Authentication),
            "{:?}",
            h.callbacks().errors
        );
    });
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_that_moves_while_connected_is_measured_after_a_refused_keep_alive() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    let mut config = handler_config(&sim);
    config.listen_key_keep_alive = Duration::from_millis(200);
    config.rest_retry = Duration::from_millis(100);
    let handler = Driven::new(MexcPrivateParts::new(
        config,
        [sym("BTCUSDT")],
        Journal::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled >= 1))
        .await,
        "connected"
    );
    venue.set_clock_offset_ms(AHEAD_MS);
    let kept = conn.with_session(|h| h.counters().keep_alives);
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.counters().keep_alives >= kept + 2))
        .await,
        "keep-alives succeed again with the venue's time"
    );
    conn.with_session(|h| {
        assert!(h.counters().keep_alive_failures >= 1, "{:?}", h.counters());
        assert!(h.authentication_error().is_none());
    });
    fill_is_delivered(&conn, &venue, "after the clock moved").await;
    assert_eq!(conn.counters().connects, 1, "never reconnected");
    conn.close().await.unwrap();
    sim.shutdown().await;
}
