//! The private handlers over real loopback sockets against the simulator's Gate venue:
//! every private event the venue produced (its ledger) reaches the callbacks exactly
//! once, including what happened entirely while the client was disconnected: fills, and
//! the final state of orders that closed, or opened and closed, in the gap, recovered
//! over signed REST (`my_trades`, finished orders, one order by id) before
//! `on_reconciled`. Refused credentials stop the connection without a retry loop.
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
use std::ops::Range;
use std::time::Duration;

use exchange_gateio::{
    BookDepth, Credentials, FuturesMarket, GateioHandlerConfig, GateioMarket, GateioPrivateParts,
    GateioPrivateWebSocketHandler, LoginMode, Market, SpotMarket, UserId,
};
use exchange_sim::gateio::{
    FinishAs, GateioSimConfig, Market as SimMarket, PrivateRecord, SimOrderId,
};
use exchange_sim::{AcceptFault, Fault};
use market_types::{Decimal, Order, OrderStatus, Side};
use support::{Recorder, Venue, WAIT, driver_config, eventually, init_tracing};
use ws_core::{Connection, ConnectionState};
use ws_handlers::Driven;
use ws_mixins::ErrorCategory;

type Private<M> = GateioPrivateWebSocketHandler<Recorder, M>;

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
/// reconciliation. Returns the ledger range of the disconnected window.
async fn while_disconnected<M: GateioMarket>(
    conn: &Connection<Private<M>>,
    venue: &Venue,
    during: impl FnOnce(),
) -> Range<usize> {
    venue
        .sim
        .set_accept_fault(AcceptFault::Slow(Duration::from_millis(800)), 1);
    assert_eq!(venue.sim.inject(Fault::Drop), 1);
    assert!(
        eventually(WAIT, || conn.with_session(|h| !h.is_connected())).await,
        "the client noticed the drop"
    );
    let dropped_at = venue.venue.private_events().len();
    during();
    let reconnected_at = venue.venue.private_events().len();
    assert!(
        conn.with_session(|h| !h.is_connected()),
        "the window's events happened while the client was out"
    );
    reconciled(conn, 2, "after the reconnect").await;
    dropped_at..reconnected_at
}

/// `(order, filled, finished)`: what distinguishes one order event from another.
type OrderKey = (String, Decimal, bool);

fn record_key(record: &PrivateRecord) -> Option<OrderKey> {
    match record {
        PrivateRecord::Order {
            order_id,
            filled,
            finish_as,
            ..
        } => Some((order_id.to_string(), *filled, *finish_as != FinishAs::Open)),
        _ => None,
    }
}

fn order_key(order: &Order) -> OrderKey {
    (
        order.order_id.to_string(),
        order.filled.value(),
        order.status.is_terminal(),
    )
}

/// A balance as compared: `(currency, available, locked)`, currencies upper-cased.
fn record_balance(record: &PrivateRecord) -> Option<(String, Decimal, Decimal)> {
    match record {
        PrivateRecord::Balance {
            currency,
            available,
            locked,
            ..
        } => Some((currency.to_ascii_uppercase(), *available, *locked)),
        _ => None,
    }
}

/// Checks what the callbacks saw against the venue's ledger, `gap` being the ledger
/// range produced while the client was disconnected:
///
/// - fills: every trade of the ledger exactly once, nothing else; the gap's before the
///   reconnect's `on_reconciled`;
/// - orders: every streamed order event exactly once; for every order the gap touched,
///   its state at the end of the gap exactly once, before that `on_reconciled` (the
///   states it passed through meanwhile are not replayed: REST only knows the last);
///   no state twice, no state the ledger does not have;
/// - balances: every streamed value and every currency's value at the end of the gap
///   delivered; never the same value twice in a row.
fn check_exactly_once(seen: &Recorder, ledger: &[PrivateRecord], gap: &Range<usize>) {
    let at_reconcile = seen.reconciled_at[1];

    // Fills.
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for fill in &seen.fills {
        *delivered.entry(fill.trade_id.to_string()).or_default() += 1;
    }
    let mut trades = BTreeSet::new();
    for (index, record) in ledger.iter().enumerate() {
        if let PrivateRecord::Trade { trade_id, .. } = record {
            let id = trade_id.to_string();
            assert_eq!(delivered.get(&id).copied(), Some(1), "trade {id}");
            if gap.contains(&index) {
                assert!(
                    seen.fills[..at_reconcile.fills]
                        .iter()
                        .any(|f| f.trade_id.as_str() == id),
                    "gap trade {id} delivered before on_reconciled"
                );
            }
            trades.insert(id);
        }
    }
    assert_eq!(
        delivered.keys().cloned().collect::<BTreeSet<_>>(),
        trades,
        "no fill the venue did not make"
    );

    // Orders.
    let keys: Vec<OrderKey> = seen.orders.iter().map(order_key).collect();
    let unique: BTreeSet<&OrderKey> = keys.iter().collect();
    assert_eq!(
        unique.len(),
        keys.len(),
        "an order state repeated: {keys:?}"
    );
    let known: BTreeSet<OrderKey> = ledger.iter().filter_map(record_key).collect();
    for key in &keys {
        assert!(
            known.contains(key),
            "order state {key:?} is not in the ledger"
        );
    }
    let mut end_of_gap: BTreeMap<String, OrderKey> = BTreeMap::new();
    for (index, record) in ledger.iter().enumerate() {
        let Some(key) = record_key(record) else {
            continue;
        };
        if gap.contains(&index) {
            end_of_gap.insert(key.0.clone(), key);
        } else {
            assert!(
                keys.contains(&key),
                "streamed order event {key:?} delivered"
            );
        }
    }
    let before_reconciled = &keys[..at_reconcile.orders];
    for key in end_of_gap.values() {
        assert!(
            before_reconciled.contains(key),
            "order state at the end of the gap {key:?} delivered before on_reconciled"
        );
    }

    // Balances.
    let mut last: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for balance in &seen.balances {
        let value = (balance.available, balance.locked);
        let previous = last.insert(balance.asset.to_string(), value);
        assert_ne!(previous, Some(value), "balance {} repeated", balance.asset);
    }
    let delivered_balance = |(currency, available, locked): &(String, Decimal, Decimal)| {
        seen.balances.iter().any(|b| {
            b.asset.as_str() == currency && b.available == *available && b.locked == *locked
        })
    };
    let mut gap_end: BTreeMap<String, (String, Decimal, Decimal)> = BTreeMap::new();
    for (index, record) in ledger.iter().enumerate() {
        let Some(balance) = record_balance(record) else {
            continue;
        };
        if gap.contains(&index) {
            gap_end.insert(balance.0.clone(), balance);
        } else {
            assert!(delivered_balance(&balance), "streamed balance {balance:?}");
        }
    }
    for balance in gap_end.values() {
        assert!(
            delivered_balance(balance),
            "balance at the end of the gap {balance:?}"
        );
    }

    // Nothing was reported lost (a retried call would be reported, but is no loss).
    assert!(
        seen.errors
            .iter()
            .all(|e| e.category != ErrorCategory::Rest || e.message.ends_with("; retrying")),
        "{:?}",
        seen.errors
    );
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

/// Every order of the ledger ends, for the client, as it ends on the venue.
fn assert_every_order_final(seen: &Recorder, venue: &Venue, ledger: &[PrivateRecord]) {
    let ids: BTreeSet<SimOrderId> = ledger
        .iter()
        .filter_map(|r| match r {
            PrivateRecord::Order { order_id, .. } => Some(*order_id),
            _ => None,
        })
        .collect();
    for id in ids {
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
        let expected = match (truth.finish_as, truth.filled.is_zero()) {
            (FinishAs::Open, true) => OrderStatus::New,
            (FinishAs::Open, false) => OrderStatus::PartiallyFilled,
            (FinishAs::Filled, _) => OrderStatus::Filled,
            (FinishAs::Cancelled, true) => OrderStatus::Canceled,
            (FinishAs::Cancelled, false) => OrderStatus::PartiallyCanceled,
        };
        assert_eq!(order.status, expected, "order {id}");
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

    // While disconnected: A fills more, B opens and fills partly, C is cancelled, D
    // fills, G opens and is cancelled unseen, H opens and fills completely unseen.
    let gap = while_disconnected(&conn, &venue, || {
        v.fill(a, d("0.5")).unwrap();
        let b = v
            .place_order(spot, "BTC_USDT", Side::Buy, d("90"), d("1"))
            .unwrap();
        v.fill(b, d("0.25")).unwrap();
        v.cancel(c).unwrap();
        v.fill(dd, d("1")).unwrap();
        let g = v
            .place_order(spot, "ETH_USDT", Side::Buy, d("45"), d("3"))
            .unwrap();
        v.cancel(g).unwrap();
        let h = v
            .place_order(spot, "ETH_USDT", Side::Sell, d("55"), d("2"))
            .unwrap();
        v.fill(h, d("1.5")).unwrap();
        v.fill(h, d("0.5")).unwrap();
    })
    .await;

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
        check_exactly_once(seen, &ledger, &gap);
        assert_every_order_final(seen, &venue, &ledger);
        let counters = h.counters();
        assert_eq!(
            (
                counters.unresolved_orders,
                counters.fill_gaps,
                counters.order_gaps
            ),
            (0, 0, 0)
        );
        assert_eq!(counters.recovered_fills, 5, "the gap's fills, from REST");
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
        assert_eq!(counters.decode_errors, 0);
        assert!(h.open_orders().all(|(id, _)| {
            v.order(SimOrderId(id.as_str().parse().unwrap()))
                .is_some_and(|o| o.finish_as == FinishAs::Open)
        }));
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
    // No user id configured: the handler learns it over REST (no login).
    let config = venue.config(Market::Futures, BookDepth::Levels20);
    assert!(config.user_id.is_none());
    let mut conn = spawn::<FuturesMarket>(config);
    reconciled(&conn, 1, "first connect").await;
    conn.with_session(|h| {
        assert_eq!(h.user_id(), Some(UserId(v.config().user_id)));
        assert_eq!(h.counters().logins, 0);
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

    // While disconnected: A fills more, B opens and fills completely, C is cancelled,
    // D fills (closing part of the long position), G opens and is cancelled unseen.
    let gap = while_disconnected(&conn, &venue, || {
        v.fill(a, d("2")).unwrap();
        let b = v
            .place_order(futures, "BTC_USDT", Side::Buy, d("90"), d("6"))
            .unwrap();
        v.fill(b, d("6")).unwrap();
        v.cancel(c).unwrap();
        v.fill(dd, d("4")).unwrap();
        let g = v
            .place_order(futures, "ETH_USDT", Side::Buy, d("45"), d("7"))
            .unwrap();
        v.cancel(g).unwrap();
    })
    .await;

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
        check_exactly_once(seen, &ledger, &gap);
        assert_every_order_final(seen, &venue, &ledger);
        let counters = h.counters();
        assert_eq!(
            (
                counters.unresolved_orders,
                counters.fill_gaps,
                counters.order_gaps
            ),
            (0, 0, 0)
        );
        assert_eq!(counters.recovered_fills, 3, "the gap's fills, from REST");
        // Each contract's position at the end of the gap, then at the end, as the venue
        // has it.
        let mut gap_end: BTreeMap<String, Decimal> = BTreeMap::new();
        for record in &ledger[gap.clone()] {
            if let PrivateRecord::Position { contract, size, .. } = record {
                gap_end.insert(contract.clone(), *size);
            }
        }
        let at_reconcile = seen.reconciled_at[1].positions;
        for (contract, size) in &gap_end {
            assert!(
                seen.positions[..at_reconcile]
                    .iter()
                    .any(|p| p.symbol.as_str() == contract && p.size == *size),
                "{contract} at the end of the gap"
            );
        }
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
        assert_eq!(counters.decode_errors, 0);
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
