//! Reconciliation of more open orders than one page holds, over loopback against the
//! simulator's Gate venue: the open-order listing is paged until the venue's list ends,
//! so orders opened while disconnected beyond the first hundred are delivered, and an
//! order that ended meanwhile is still found. Every wait is bounded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

#[path = "e2e_support.rs"]
mod support;

use std::time::Duration;

use exchange_gateio::{
    BookDepth, FuturesMarket, GateioMarket, GateioPrivateParts, GateioPrivateWebSocketHandler,
    Market, SpotMarket,
};
use exchange_sim::gateio::{GateioSimConfig, Market as SimMarket, SimOrderId};
use exchange_sim::{AcceptFault, Fault};
use market_types::{Decimal, OrderStatus, Side};
use support::{Recorder, Venue, WAIT, driver_config, eventually, init_tracing};
use ws_core::Connection;
use ws_handlers::Driven;

type Private<M> = GateioPrivateWebSocketHandler<Recorder, M>;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

/// Opens `count` orders while the client is disconnected (and cancels one it saw open),
/// and checks that the reconnect's reconciliation delivers every one.
async fn orders_beyond_one_page<M: GateioMarket>(market: Market, sim_market: SimMarket) {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    let v = &venue.venue;
    let mut conn = Connection::spawn(
        Driven::new(GateioPrivateParts::<Recorder, M>::new(
            venue.config(market, BookDepth::Levels20),
            Recorder::default(),
        )),
        driver_config(),
    )
    .unwrap();
    let reconciled = |times: u64| {
        let conn = &conn;
        async move {
            eventually(WAIT, || {
                conn.with_session(|h| h.callbacks().reconciled >= times)
            })
            .await
        }
    };
    assert!(reconciled(1).await, "first round");
    let seen_open = v
        .place_order(sim_market, "BTC_USDT", Side::Buy, d("1"), d("1"))
        .unwrap();
    let is_delivered = |h: &Private<M>, id: SimOrderId, status: OrderStatus| {
        let id = id.to_string();
        h.callbacks()
            .orders
            .iter()
            .any(|o| o.order_id.as_str() == id && o.status == status)
    };
    assert!(
        eventually(WAIT, || conn.with_session(|h| is_delivered(
            h,
            seen_open,
            OrderStatus::New
        )))
        .await
    );

    // The next handshake waits, so what follows the drop happens while disconnected.
    venue
        .sim
        .set_accept_fault(AcceptFault::Slow(Duration::from_millis(800)), 1);
    assert_eq!(venue.sim.inject(Fault::Drop), 1);
    assert!(eventually(WAIT, || conn.with_session(|h| !h.is_connected())).await);
    let unseen: Vec<SimOrderId> = (0..130)
        .map(|_| {
            v.place_order(sim_market, "BTC_USDT", Side::Buy, d("1"), d("1"))
                .unwrap()
        })
        .collect();
    v.cancel(seen_open).unwrap();
    assert!(conn.with_session(|h| !h.is_connected()));
    assert!(reconciled(2).await, "the reconnect's round completes");

    conn.with_session(|h| {
        let missing: Vec<&SimOrderId> = unseen
            .iter()
            .filter(|id| !is_delivered(h, **id, OrderStatus::New))
            .collect();
        assert!(
            missing.is_empty(),
            "{} of 130 orders opened while disconnected not delivered",
            missing.len()
        );
        assert!(is_delivered(h, seen_open, OrderStatus::Canceled));
        assert_eq!(h.open_orders().count(), 130);
    });
    conn.close().await.unwrap();
    venue.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_open_orders_are_paged_until_the_list_ends() {
    orders_beyond_one_page::<SpotMarket>(Market::Spot, SimMarket::Spot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_open_orders_are_paged_until_the_list_ends() {
    orders_beyond_one_page::<FuturesMarket>(Market::Futures, SimMarket::Futures).await;
}
