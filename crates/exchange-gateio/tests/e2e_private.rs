//! The private handlers over real loopback sockets against the simulator's Gate venue:
//! every private event the venue produced reaches the callbacks exactly once, including
//! what happened while the client was disconnected (reconciled over signed REST), except
//! what the venue cannot tell over REST (fills of the disconnected window: the simulator
//! has no `my_trades` endpoint), which must be reported as a gap. Refused credentials
//! stop the connection without a retry loop.
//!
//! Every wait is bounded; everything stays on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

#[path = "e2e_support.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use exchange_gateio::{
    BookDepth, Credentials, FuturesMarket, GateioHandlerConfig, GateioMarket,
    GateioPrivateWebSocketHandler, LoginMode, Market, SpotMarket, UserId,
};
use exchange_sim::gateio::{
    FinishAs, GateioSimConfig, Market as SimMarket, PrivateRecord, SimOrderId,
};
use exchange_sim::{AcceptFault, Fault};
use market_types::{Decimal, Order, OrderStatus, Side};
use support::{Recorder, Venue, WAIT, driver_config, eventually, init_tracing};
use ws_core::{Connection, ConnectionState};
use ws_mixins::ErrorCategory;

type Private<M> = GateioPrivateWebSocketHandler<Recorder, M>;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn spawn<M: GateioMarket>(config: GateioHandlerConfig) -> Connection<Private<M>> {
    Connection::spawn(
        Private::<M>::new(config, Recorder::default()),
        driver_config(),
    )
    .expect("driver starts")
}

async fn reconciled<M: GateioMarket>(conn: &Connection<Private<M>>, times: u64, what: &str) {
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciled >= times))
        .await,
        "{what}: reconciliation {times} completes"
    );
}

/// Drops the connection and keeps the next handshake waiting, so that what `during`
/// does happens while the client is disconnected; then waits for the reconnect's
/// reconciliation.
async fn while_disconnected<M: GateioMarket>(
    conn: &Connection<Private<M>>,
    venue: &Venue,
    during: impl FnOnce(),
) {
    venue
        .sim
        .set_accept_fault(AcceptFault::Slow(Duration::from_millis(800)), 1);
    assert_eq!(venue.sim.inject(Fault::Drop), 1);
    assert!(
        eventually(WAIT, || conn.with_session(|h| !h.is_connected())).await,
        "the client noticed the drop"
    );
    during();
    reconciled(conn, 2, "after the reconnect").await;
}

/// What the callbacks must have seen, checked against the venue's ledger.
struct Phases {
    /// Ledger length at the drop and at the reconnect's reconciliation.
    disconnected: std::ops::Range<usize>,
    /// Trades made while disconnected.
    gap_trades: BTreeSet<u64>,
}

fn status_of(record: &PrivateRecord) -> Option<(SimOrderId, Decimal, bool)> {
    match record {
        PrivateRecord::Order {
            order_id,
            filled,
            finish_as,
            ..
        } => Some((*order_id, *filled, *finish_as != FinishAs::Open)),
        _ => None,
    }
}

fn order_key(order: &Order) -> (String, Decimal, bool) {
    (
        order.order_id.to_string(),
        order.filled.value(),
        order.status.is_terminal(),
    )
}

/// The exactly-once checks shared by spot and futures.
fn check_exactly_once(seen: &Recorder, ledger: &[PrivateRecord], phases: &Phases) {
    // Fills: every trade outside the disconnected window exactly once; the window's
    // trades are not invented, and their loss is reported.
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for fill in &seen.fills {
        *delivered.entry(fill.trade_id.to_string()).or_default() += 1;
    }
    assert!(
        delivered.values().all(|n| *n == 1),
        "a fill repeated: {delivered:?}"
    );
    for record in ledger {
        if let PrivateRecord::Trade { trade_id, .. } = record {
            let count = delivered.get(&trade_id.to_string()).copied().unwrap_or(0);
            let expected = usize::from(!phases.gap_trades.contains(trade_id));
            assert_eq!(count, expected, "trade {trade_id}");
        }
    }
    assert!(
        seen.errors.iter().any(|e| e.category == ErrorCategory::Rest
            && e.message.contains("cannot be recovered")),
        "the fill gap is reported: {:?}",
        seen.errors
    );

    // Orders: each streamed order event exactly once; no state twice in a row.
    for (index, record) in ledger.iter().enumerate() {
        let Some((id, filled, finished)) = status_of(record) else {
            continue;
        };
        if phases.disconnected.contains(&index) {
            continue;
        }
        let key = (id.to_string(), filled, finished);
        let count = seen.orders.iter().filter(|o| order_key(o) == key).count();
        assert_eq!(count, 1, "order event {key:?} delivered {count} times");
    }
    let mut last: BTreeMap<String, (OrderStatus, Decimal)> = BTreeMap::new();
    for order in &seen.orders {
        let state = (order.status, order.filled.value());
        let previous = last.insert(order.order_id.to_string(), state);
        assert_ne!(previous, Some(state), "order {} repeated", order.order_id);
    }

    // Balances: no value twice in a row per asset, and every streamed value delivered.
    let mut last: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for balance in &seen.balances {
        let value = (balance.available, balance.locked);
        let previous = last.insert(balance.asset.to_string(), value);
        assert_ne!(previous, Some(value), "balance {} repeated", balance.asset);
    }
    for (index, record) in ledger.iter().enumerate() {
        if let PrivateRecord::Balance {
            currency,
            available,
            locked,
            ..
        } = record
            && !phases.disconnected.contains(&index)
        {
            let asset = currency.to_ascii_uppercase();
            assert!(
                seen.balances.iter().any(|b| b.asset.as_str() == asset
                    && b.available == *available
                    && b.locked == *locked),
                "balance {asset} {available}/{locked} delivered"
            );
        }
    }
}

/// The last delivered state of `id`.
fn last_order(seen: &Recorder, id: SimOrderId) -> Option<Order> {
    let id = id.to_string();
    seen.orders
        .iter()
        .rev()
        .find(|o| o.order_id.as_str() == id)
        .copied()
}

fn assert_final(seen: &Recorder, venue: &Venue, id: SimOrderId) {
    let truth = venue.venue.order(id).expect("order exists");
    let order = last_order(seen, id).unwrap_or_else(|| panic!("order {id} never delivered"));
    assert_eq!(order.filled.value(), truth.filled, "order {id} filled");
    assert_eq!(order.quantity.value(), truth.amount, "order {id} amount");
    let finished = truth.finish_as != FinishAs::Open;
    assert_eq!(
        order.status.is_terminal(),
        finished,
        "order {id} state {:?}",
        order.status
    );
    if truth.finish_as == FinishAs::Filled {
        assert_eq!(order.status, OrderStatus::Filled);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_private_events_are_delivered_exactly_once_across_a_reconnect() {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    let v = &venue.venue;
    let mut conn = spawn::<SpotMarket>(venue.config(Market::Spot, BookDepth::Levels20));
    reconciled(&conn, 1, "first connect").await;
    conn.with_session(|h| {
        assert!(
            h.callbacks().balances.len() >= 3,
            "the first reconciliation reports the starting balances"
        );
    });

    // Streamed.
    let spot = SimMarket::Spot;
    let a = v
        .place_order(spot, "BTC_USDT", Side::Buy, d("100"), d("2"))
        .unwrap();
    let c = v
        .place_order(spot, "ETH_USDT", Side::Sell, d("50"), d("1"))
        .unwrap();
    let dd = v
        .place_order(spot, "BTC_USDT", Side::Sell, d("120"), d("1"))
        .unwrap();
    let t1 = v.fill(a, d("0.5")).unwrap();
    let t1_text = t1.to_string();
    assert!(
        eventually(WAIT, || conn.with_session(|h| {
            let seen = h.callbacks();
            seen.fills.iter().any(|f| f.trade_id.as_str() == t1_text)
                && last_order(seen, dd).is_some()
                && last_order(seen, c).is_some()
        }))
        .await,
        "streamed events arrive"
    );

    // While disconnected.
    let dropped_at = v.private_events().len();
    let mut gap_trades = BTreeSet::new();
    let mut b = None;
    while_disconnected(&conn, &venue, || {
        gap_trades.insert(v.fill(a, d("0.5")).unwrap());
        let placed = v
            .place_order(spot, "BTC_USDT", Side::Buy, d("90"), d("1"))
            .unwrap();
        gap_trades.insert(v.fill(placed, d("0.25")).unwrap());
        v.cancel(c).unwrap();
        gap_trades.insert(v.fill(dd, d("1")).unwrap());
        b = Some(placed);
    })
    .await;
    let reconnected_at = v.private_events().len();
    let b = b.unwrap();

    // Streamed again.
    let t5 = v.fill(a, d("1")).unwrap();
    let e = v
        .place_order(spot, "ETH_USDT", Side::Buy, d("40"), d("2"))
        .unwrap();
    v.cancel(e).unwrap();
    let t5_text = t5.to_string();
    assert!(
        eventually(WAIT, || conn.with_session(|h| {
            let seen = h.callbacks();
            seen.fills.iter().any(|f| f.trade_id.as_str() == t5_text)
                && last_order(seen, e).is_some_and(|o| o.status.is_terminal())
        }))
        .await,
        "events after the reconnect arrive"
    );
    // Let stragglers (balances after the last order event) land.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let ledger = v.private_events();
    conn.with_session(|h| {
        let seen = h.callbacks();
        check_exactly_once(
            seen,
            &ledger,
            &Phases {
                disconnected: dropped_at..reconnected_at,
                gap_trades,
            },
        );
        assert_final(seen, &venue, a);
        assert_final(seen, &venue, b);
        assert_final(seen, &venue, e);
        // C (cancelled) and D (filled) left the open orders while disconnected; the
        // simulator has no order query, so both are reported by id.
        for id in [c, dd] {
            assert!(
                seen.errors
                    .iter()
                    .any(|err| err.message.contains(&id.to_string())
                        && err.message.contains("final state")),
                "order {id} reported as unresolved: {:?}",
                seen.errors
            );
        }
        assert_eq!(h.counters().unresolved_orders, 2);
        assert_eq!(h.counters().fill_gaps, 1);
        // Final balances equal the venue's.
        for currency in ["BTC", "ETH", "USDT"] {
            let truth = v.spot_balance(currency).unwrap();
            let last = seen
                .balances
                .iter()
                .rev()
                .find(|b| b.asset.as_str() == currency)
                .unwrap();
            assert_eq!(
                (last.available, last.locked),
                (truth.available, truth.locked)
            );
        }
        assert_eq!(h.counters().decode_errors, 0);
    });
    assert_eq!(conn.counters().reconnects, 1);
    conn.close().await.unwrap();
    venue.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_private_events_are_delivered_exactly_once_across_a_reconnect() {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    let v = &venue.venue;
    // No user id configured: the handler logs in to learn it.
    let config = venue.config(Market::Futures, BookDepth::Levels20);
    assert!(config.user_id.is_none());
    let mut conn = spawn::<FuturesMarket>(config);
    reconciled(&conn, 1, "first connect").await;
    conn.with_session(|h| {
        assert_eq!(h.user_id(), Some(UserId(v.config().user_id)));
        assert_eq!(h.counters().logins, 1);
        let seen = h.callbacks();
        assert_eq!(seen.balances.len(), 1, "one USDT account");
        assert_eq!(seen.balances[0].asset.as_str(), "USDT");
        assert_eq!(seen.positions.len(), 2, "flat positions of both contracts");
    });

    let futures = SimMarket::Futures;
    let a = v
        .place_order(futures, "BTC_USDT", Side::Buy, d("100"), d("10"))
        .unwrap();
    let c = v
        .place_order(futures, "ETH_USDT", Side::Sell, d("50"), d("5"))
        .unwrap();
    let dd = v
        .place_order(futures, "BTC_USDT", Side::Sell, d("120"), d("4"))
        .unwrap();
    let t1 = v.fill(a, d("3")).unwrap().to_string();
    assert!(
        eventually(WAIT, || conn.with_session(|h| {
            let seen = h.callbacks();
            seen.fills.iter().any(|f| f.trade_id.as_str() == t1)
                && last_order(seen, dd).is_some()
                && last_order(seen, c).is_some()
                && seen.positions.len() >= 3
        }))
        .await,
        "streamed events arrive"
    );

    let dropped_at = v.private_events().len();
    let mut gap_trades = BTreeSet::new();
    let mut b = None;
    while_disconnected(&conn, &venue, || {
        gap_trades.insert(v.fill(a, d("2")).unwrap());
        let placed = v
            .place_order(futures, "BTC_USDT", Side::Buy, d("90"), d("6"))
            .unwrap();
        gap_trades.insert(v.fill(placed, d("6")).unwrap());
        v.cancel(c).unwrap();
        gap_trades.insert(v.fill(dd, d("4")).unwrap());
        b = Some(placed);
    })
    .await;
    let reconnected_at = v.private_events().len();
    let b = b.unwrap();

    let t5 = v.fill(a, d("5")).unwrap().to_string();
    let e = v
        .place_order(futures, "ETH_USDT", Side::Buy, d("40"), d("2"))
        .unwrap();
    v.cancel(e).unwrap();
    assert!(
        eventually(WAIT, || conn.with_session(|h| {
            let seen = h.callbacks();
            seen.fills.iter().any(|f| f.trade_id.as_str() == t5)
                && last_order(seen, e).is_some_and(|o| o.status.is_terminal())
        }))
        .await,
        "events after the reconnect arrive"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;

    let ledger = v.private_events();
    conn.with_session(|h| {
        let seen = h.callbacks();
        check_exactly_once(
            seen,
            &ledger,
            &Phases {
                disconnected: dropped_at..reconnected_at,
                gap_trades,
            },
        );
        // Futures REST lists finished orders: every order's end is known, including B,
        // opened and filled while disconnected.
        for id in [a, b, c, dd, e] {
            assert_final(seen, &venue, id);
        }
        assert_eq!(h.counters().unresolved_orders, 0);
        assert_eq!(h.counters().fill_gaps, 1);
        for contract in ["BTC_USDT", "ETH_USDT"] {
            let truth = v.position(contract).unwrap();
            let last = seen
                .positions
                .iter()
                .rev()
                .find(|p| p.symbol.as_str() == contract)
                .unwrap();
            assert_eq!(last.size, truth.size, "{contract} size");
            let entry = last.entry_price.map_or(0.0, |p| p.value().to_f64());
            assert!((entry - truth.entry_price).abs() < 1e-6, "{contract} entry");
        }
        let balance = seen.balances.last().unwrap();
        assert_eq!(balance.available, v.futures_balance());
        assert_eq!(h.counters().decode_errors, 0);
    });
    assert_eq!(conn.counters().reconnects, 1);
    conn.close().await.unwrap();
    venue.shutdown().await;
}

/// A refused key stops the connection for good: no second attempt.
async fn refused<M: GateioMarket>(venue: &Venue, login: LoginMode, expected: &str) {
    let config = GateioHandlerConfig {
        credentials: Some(Credentials::new("not-the-key", support::SECRET)),
        login,
        user_id: Some(UserId(1)),
        ..venue.config(M::MARKET, BookDepth::Levels20)
    };
    let attempts = venue.sim.connect_attempts();
    let mut conn = spawn::<M>(config);
    let state = conn
        .wait_for_state(WAIT, ConnectionState::is_terminal)
        .await;
    assert_eq!(state, Some(ConnectionState::Error), "{expected}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(venue.sim.connect_attempts(), attempts + 1, "no retry loop");
    conn.with_session(|h| {
        let reason = h.authentication_error().expect("reason kept");
        assert!(reason.contains(expected), "{reason}");
        assert!(
            h.callbacks()
                .errors
                .iter()
                .any(|e| e.category == ErrorCategory::Authentication),
            "reported to on_error"
        );
        assert_eq!(h.callbacks().reconciled, 0);
    });
    assert_eq!(
        conn.counters().disconnects(ws_core::DisconnectKind::Fatal),
        1
    );
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_api_key_stops_reconnection() {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    // Per-subscription auth: error code 4 on the first private subscription.
    refused::<SpotMarket>(&venue, LoginMode::PerSubscription, "code 4").await;
    refused::<FuturesMarket>(&venue, LoginMode::PerSubscription, "code 4").await;
    // Login first: the login is refused.
    refused::<SpotMarket>(&venue, LoginMode::LoginFirst, "INVALID_KEY").await;
    refused::<FuturesMarket>(&venue, LoginMode::LoginFirst, "INVALID_KEY").await;
    venue.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_stop_at_once() {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    let config = GateioHandlerConfig {
        credentials: None,
        ..venue.config(Market::Spot, BookDepth::Levels20)
    };
    let mut conn = spawn::<SpotMarket>(config);
    let state = conn
        .wait_for_state(WAIT, ConnectionState::is_terminal)
        .await;
    assert_eq!(state, Some(ConnectionState::Error));
    conn.with_session(|h| {
        assert!(
            h.authentication_error()
                .is_some_and(|r| r.contains("credentials"))
        );
    });
    conn.close().await.unwrap();
    venue.shutdown().await;
}
