//! A venue clock 90 s ahead of the host (beyond Gate's 60 s window) against the
//! simulator's Gate venue over loopback: the private handlers measure the offset from
//! `GET /spot/time`, sign with the venue's time, and deliver private events; an offset
//! that changes while running is measured again after the venue answers
//! `REQUEST_EXPIRED`, and the stream goes on.
//!
//! Every wait is bounded; everything stays on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

#[path = "e2e_support.rs"]
mod support;

use std::time::Duration;

use exchange_gateio::{
    BookDepth, FuturesMarket, GateioHandlerConfig, GateioMarket, GateioPrivateParts,
    GateioPrivateWebSocketHandler, LoginMode, Market, SpotMarket, UserId,
};
use exchange_sim::gateio::{GateioSimConfig, Market as SimMarket};
use market_types::{Decimal, Side};
use support::{Recorder, Venue, WAIT, driver_config, eventually, init_tracing};
use ws_core::{Connection, ConnectionState};
use ws_handlers::Driven;
use ws_mixins::ErrorCategory;

type Private<M> = GateioPrivateWebSocketHandler<Recorder, M>;

const AHEAD_MS: i64 = 90_000;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn spawn<M: GateioMarket>(config: GateioHandlerConfig) -> Connection<Private<M>> {
    Connection::spawn(
        Driven::new(GateioPrivateParts::<Recorder, M>::new(
            config,
            Recorder::default(),
        )),
        driver_config(),
    )
    .expect("driver starts")
}

/// Connects with the venue `AHEAD_MS` ahead, then checks a streamed order and fill arrive
/// and the first reconciliation completed.
async fn streams_while_ahead<M: GateioMarket>(venue: &Venue, config: GateioHandlerConfig) {
    let mut conn = spawn::<M>(config);
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled >= 1))
        .await,
        "{}: reconciled with the venue clock ahead",
        M::PRIVATE_NAME
    );
    let market = match M::MARKET {
        Market::Spot => SimMarket::Spot,
        Market::Futures => SimMarket::Futures,
    };
    let order = venue
        .venue
        .place_order(market, "BTC_USDT", Side::Buy, d("100"), d("2"))
        .unwrap();
    let trade = venue.venue.fill(order, d("1")).unwrap().to_string();
    assert!(
        eventually(WAIT, || conn.with_session(|h| {
            let seen = h.callbacks();
            seen.fills.iter().any(|f| f.trade_id.as_str() == trade)
                && seen
                    .orders
                    .iter()
                    .any(|o| o.order_id.as_str() == order.to_string())
        }))
        .await,
        "{}: private events delivered",
        M::PRIVATE_NAME
    );
    conn.with_session(|h| {
        assert!(h.authentication_error().is_none());
        assert!(
            !h.callbacks()
                .errors
                .iter()
                .any(|e| e.category == ErrorCategory::Authentication),
            "{:?}",
            h.callbacks().errors
        );
    });
    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_private_events_arrive_with_the_venue_clock_ninety_seconds_ahead() {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    venue.venue.set_clock_offset_ms(AHEAD_MS);
    let config = venue.config(Market::Spot, BookDepth::Levels20);
    streams_while_ahead::<SpotMarket>(&venue, config.clone()).await;
    // Logging in first signs the login with the venue's time too.
    let login_first = GateioHandlerConfig {
        login: LoginMode::LoginFirst,
        ..config
    };
    streams_while_ahead::<SpotMarket>(&venue, login_first).await;
    venue.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_private_events_arrive_with_the_venue_clock_ninety_seconds_ahead() {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    venue.venue.set_clock_offset_ms(AHEAD_MS);
    let config = venue.config(Market::Futures, BookDepth::Levels20);
    // The user id learnt over signed REST, signed with the venue's time.
    streams_while_ahead::<FuturesMarket>(&venue, config.clone()).await;
    let configured = GateioHandlerConfig {
        user_id: Some(UserId(venue.venue.config().user_id)),
        ..config
    };
    streams_while_ahead::<FuturesMarket>(&venue, configured).await;
    venue.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_that_moves_while_running_is_measured_again_after_request_expired() {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    let mut conn = spawn::<SpotMarket>(venue.config(Market::Spot, BookDepth::Levels20));
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled >= 1))
        .await,
        "first reconciliation"
    );
    // The venue's clock steps 90 s ahead; the next reconciliation's REST calls are
    // refused as expired, the clock measured again and the calls retried.
    venue.venue.set_clock_offset_ms(AHEAD_MS);
    assert_eq!(venue.sim.inject(exchange_sim::Fault::Drop), 1);
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled >= 2))
        .await,
        "reconciled again after the clock moved"
    );
    let order = venue
        .venue
        .place_order(SimMarket::Spot, "ETH_USDT", Side::Sell, d("50"), d("1"))
        .unwrap();
    let trade = venue.venue.fill(order, d("1")).unwrap().to_string();
    assert!(
        eventually(WAIT, || conn.with_session(|h| h
            .callbacks()
            .fills
            .iter()
            .any(|f| f.trade_id.as_str() == trade)))
        .await,
        "fills still delivered"
    );
    conn.with_session(|h| assert!(h.authentication_error().is_none()));
    conn.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    venue.shutdown().await;
}
