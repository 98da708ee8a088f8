//! Gate.io futures private channels carry the account's user id. Against the simulator
//! with `futures.login` answering `NOT_SUPPORTED` (as for some accounts): a configured
//! user id (`GATEIO_UID`) or one learnt over signed REST (`GET /futures/usdt/accounts`)
//! gets private events delivered without logging in; when logging in is the only way
//! left and it is refused, the handler stops and says what to configure.
//!
//! Every wait is bounded; everything stays on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

#[path = "e2e_support.rs"]
mod support;

use exchange_gateio::{
    BookDepth, FuturesMarket, GateioHandlerConfig, GateioPrivateParts, LoginMode, Market, UserId,
};
use exchange_sim::gateio::{GateioSimConfig, Market as SimMarket};
use market_types::{Decimal, Side};
use support::{Recorder, Venue, WAIT, driver_config, eventually, init_tracing};
use ws_core::{Connection, ConnectionState};
use ws_handlers::Driven;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

async fn delivers_without_logging_in(venue: &Venue, config: GateioHandlerConfig, what: &str) {
    let mut conn = Connection::spawn(
        Driven::new(GateioPrivateParts::<Recorder, FuturesMarket>::new(
            config,
            Recorder::default(),
        )),
        driver_config(),
    )
    .expect("driver starts");
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled >= 1))
        .await,
        "{what}: reconciled"
    );
    let order = venue
        .venue
        .place_order(SimMarket::Futures, "BTC_USDT", Side::Buy, d("100"), d("5"))
        .unwrap();
    let trade = venue.venue.fill(order, d("2")).unwrap().to_string();
    assert!(
        eventually(WAIT, || conn.with_session(|h| {
            let seen = h.callbacks();
            seen.fills.iter().any(|f| f.trade_id.as_str() == trade) && !seen.positions.is_empty()
        }))
        .await,
        "{what}: private events delivered"
    );
    conn.with_session(|h| {
        assert_eq!(h.user_id(), Some(UserId(venue.venue.config().user_id)));
        assert_eq!(h.counters().logins, 0, "{what}: never logged in");
        assert!(h.authentication_error().is_none());
    });
    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_private_works_with_a_configured_user_id_and_over_rest_when_login_is_not_supported()
{
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    venue.venue.set_futures_login_unsupported(true);
    let config = venue.config(Market::Futures, BookDepth::Levels20);
    let configured = GateioHandlerConfig {
        user_id: Some(UserId(venue.venue.config().user_id)),
        ..config.clone()
    };
    delivers_without_logging_in(&venue, configured, "GATEIO_UID configured").await;
    delivers_without_logging_in(&venue, config, "learnt over REST").await;
    venue.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_futures_login_is_reported_clearly_when_it_was_the_last_way() {
    init_tracing();
    // A REST base where `GET /futures/usdt/accounts` is not served: the lookup fails
    // and the handler logs in, which the venue answers NOT_SUPPORTED.
    let venue = Venue::start(GateioSimConfig::default()).await;
    venue.venue.set_futures_login_unsupported(true);
    let mut config = venue.config(Market::Futures, BookDepth::Levels20);
    config.endpoints.rest = venue.sim.http_url("/gateio/missing/api/v4");
    config.login = LoginMode::PerSubscription;
    let attempts = venue.sim.connect_attempts();
    let mut conn = Connection::spawn(
        Driven::new(GateioPrivateParts::<Recorder, FuturesMarket>::new(
            config,
            Recorder::default(),
        )),
        driver_config(),
    )
    .expect("driver starts");
    let state = conn
        .wait_for_state(WAIT, ConnectionState::is_terminal)
        .await;
    assert_eq!(state, Some(ConnectionState::Error));
    assert_eq!(venue.sim.connect_attempts(), attempts + 1, "no retry loop");
    conn.with_session(|h| {
        let reason = h.authentication_error().expect("reason kept");
        assert!(reason.contains("NOT_SUPPORTED"), "{reason}");
        assert!(reason.contains("GATEIO_UID"), "{reason}");
    });
    conn.close().await.unwrap();
    venue.shutdown().await;
}
