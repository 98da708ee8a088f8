//! The private handler end to end against the simulator's MEXC venue: listen-key
//! lifecycle, and every private push the venue produced (its ledger) delivered exactly
//! once, including what happened entirely while the socket was down: fills (`myTrades`)
//! and the final state of orders that closed, or opened and closed, meanwhile
//! (`order`, `allOrders`), recovered over signed REST before `on_reconciled`. Every
//! wait is bounded; nothing leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]

mod e2e_support;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::time::Duration;

use e2e_support::{WAIT, driver_config, eventually, handler_config, init_tracing, start, sym};
use exchange_mexc::{Credentials, MexcPrivateParts};
use exchange_sim::mexc::{
    DEFAULT_API_KEY, LedgerEntry, MexcConfig, MexcVenue, OrderState, PrivatePush,
};
use exchange_sim::{AcceptFault, Fault};
use market_types::{Asset, Balance, Decimal, Fill, Order, OrderStatus, Price, Quantity, Side};
use ws_core::{Connection, ConnectionState};
use ws_handlers::Driven;
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin, StreamError};

/// Everything delivered, in order.
#[derive(Debug, Clone, PartialEq)]
enum Delivered {
    Order(Order),
    Fill(Fill),
    Balance(Balance),
    Reconciled,
}

#[derive(Debug, Default)]
struct Journal {
    events: Vec<Delivered>,
    errors: Vec<StreamError>,
}

impl Journal {
    fn reconciliations(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Delivered::Reconciled))
            .count()
    }
    fn orders(&self) -> impl Iterator<Item = &Order> {
        orders(&self.events)
    }
    fn fills(&self) -> impl Iterator<Item = &Fill> {
        fills(&self.events)
    }
    fn balances(&self) -> impl Iterator<Item = &Balance> {
        balances(&self.events)
    }
    /// What was delivered before the `n`th `on_reconciled` (from 1).
    fn before_reconciliation(&self, n: usize) -> &[Delivered] {
        let end = self
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e, Delivered::Reconciled))
            .nth(n - 1)
            .map_or(self.events.len(), |(index, _)| index);
        &self.events[..end]
    }
}

fn orders(events: &[Delivered]) -> impl Iterator<Item = &Order> {
    events.iter().filter_map(|e| match e {
        Delivered::Order(o) => Some(o),
        _ => None,
    })
}

fn fills(events: &[Delivered]) -> impl Iterator<Item = &Fill> {
    events.iter().filter_map(|e| match e {
        Delivered::Fill(f) => Some(f),
        _ => None,
    })
}

fn balances(events: &[Delivered]) -> impl Iterator<Item = &Balance> {
    events.iter().filter_map(|e| match e {
        Delivered::Balance(b) => Some(b),
        _ => None,
    })
}

impl PrivateWebSocketMixin for Journal {
    fn on_order(&mut self, order: &Order) {
        self.events.push(Delivered::Order(*order));
    }
    fn on_fill(&mut self, fill: &Fill) {
        self.events.push(Delivered::Fill(*fill));
    }
    fn on_balance(&mut self, balance: &Balance) {
        self.events.push(Delivered::Balance(*balance));
    }
    fn on_reconciled(&mut self) {
        self.events.push(Delivered::Reconciled);
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn q(text: &str) -> Quantity {
    Quantity::parse(text).unwrap()
}

fn status(state: OrderState) -> OrderStatus {
    match state {
        OrderState::New => OrderStatus::New,
        OrderState::Filled => OrderStatus::Filled,
        OrderState::PartiallyFilled => OrderStatus::PartiallyFilled,
        OrderState::Canceled => OrderStatus::Canceled,
        OrderState::PartiallyCanceled => OrderStatus::PartiallyCanceled,
    }
}

/// `(order, status, filled)`: what distinguishes one order event from another.
type OrderKey = (String, OrderStatus, Quantity);

fn entry_key(entry: &LedgerEntry) -> Option<OrderKey> {
    match &entry.push {
        PrivatePush::Order(o) => {
            Some((o.order_id.clone(), status(o.status), o.cumulative_quantity))
        }
        _ => None,
    }
}

fn delivered_key(order: &Order) -> OrderKey {
    (
        order.order_id.as_str().to_owned(),
        order.status,
        order.filled,
    )
}

/// Checks the journal against the venue's ledger, `gap` being the ledger range produced
/// while the client was disconnected:
///
/// - fills: every deal of the ledger exactly once and nothing else; the streamed ones in
///   push order; the gap's before the reconnect's `on_reconciled`;
/// - orders: every pushed order state exactly once, in push order; for every order the
///   gap touched, its state at the end of the gap exactly once, before that
///   `on_reconciled` (the states it passed through meanwhile are not replayed: REST only
///   knows the last); no state twice, none the ledger does not have;
/// - balances: every pushed value and each asset's value at the end of the gap
///   delivered; never the same value twice in a row.
fn assert_exactly_once(journal: &Journal, ledger: &[LedgerEntry], gap: &Range<usize>) {
    let reconciled = journal.before_reconciliation(2);

    // Fills.
    let delivered: Vec<String> = journal
        .fills()
        .map(|f| f.trade_id.as_str().to_owned())
        .collect();
    let unique: HashSet<&String> = delivered.iter().collect();
    assert_eq!(
        unique.len(),
        delivered.len(),
        "a fill repeated: {delivered:?}"
    );
    let mut all_deals = HashSet::new();
    let mut streamed = Vec::new();
    for (index, entry) in ledger.iter().enumerate() {
        if let PrivatePush::Deal(deal) = &entry.push {
            all_deals.insert(&deal.trade_id);
            if gap.contains(&index) {
                assert!(
                    fills(reconciled).any(|f| f.trade_id.as_str() == deal.trade_id),
                    "gap fill {} delivered before on_reconciled",
                    deal.trade_id
                );
            } else {
                streamed.push(deal.trade_id.clone());
            }
        }
    }
    assert_eq!(unique, all_deals, "every fill of the venue, nothing else");
    let in_push_order: Vec<&String> = delivered
        .iter()
        .filter(|id| streamed.contains(id))
        .collect();
    assert_eq!(
        in_push_order,
        streamed.iter().collect::<Vec<_>>(),
        "pushed fills in order"
    );

    // Orders.
    let keys: Vec<OrderKey> = journal.orders().map(delivered_key).collect();
    let unique: HashSet<&OrderKey> = keys.iter().collect();
    assert_eq!(
        unique.len(),
        keys.len(),
        "an order state repeated: {keys:?}"
    );
    let known: HashSet<OrderKey> = ledger.iter().filter_map(entry_key).collect();
    for key in &keys {
        assert!(
            known.contains(key),
            "order state {key:?} is not in the ledger"
        );
    }
    let mut rest = keys.iter();
    let mut end_of_gap: HashMap<String, OrderKey> = HashMap::new();
    for (index, entry) in ledger.iter().enumerate() {
        let Some(key) = entry_key(entry) else {
            continue;
        };
        if gap.contains(&index) {
            end_of_gap.insert(key.0.clone(), key);
        } else {
            assert!(
                rest.any(|d| *d == key),
                "pushed {key:?} delivered in order; delivered {keys:?}"
            );
        }
    }
    let before: Vec<OrderKey> = orders(reconciled).map(delivered_key).collect();
    for key in end_of_gap.values() {
        assert!(
            before.contains(key),
            "order state at the end of the gap {key:?} delivered before on_reconciled"
        );
    }

    // Balances.
    let mut last: HashMap<Asset, (Decimal, Decimal)> = HashMap::new();
    for balance in journal.balances() {
        let value = (balance.available, balance.locked);
        assert_ne!(
            last.insert(balance.asset, value),
            Some(value),
            "{balance:?} twice"
        );
    }
    let delivered_balance = |asset: Asset, free: Decimal, locked: Decimal| {
        journal
            .balances()
            .any(|b| b.asset == asset && b.available == free && b.locked == locked)
    };
    let mut gap_end: HashMap<Asset, (Decimal, Decimal)> = HashMap::new();
    for (index, entry) in ledger.iter().enumerate() {
        let PrivatePush::Account(change) = &entry.push else {
            continue;
        };
        if gap.contains(&index) {
            gap_end.insert(change.asset, (change.free, change.locked));
        } else {
            assert!(
                delivered_balance(change.asset, change.free, change.locked),
                "pushed balance {change:?}"
            );
        }
    }
    for (asset, (free, locked)) in gap_end {
        assert!(
            delivered_balance(asset, free, locked),
            "balance of {asset} at the end of the gap"
        );
    }

    // Nothing was reported lost (a retried call would be reported, but is no loss).
    assert!(
        journal
            .errors
            .iter()
            .all(|e| e.category != ErrorCategory::Rest || e.message.ends_with("; retrying")),
        "{:?}",
        journal.errors
    );
}

/// Every order of the ledger ends, for the client, as it ends on the venue.
fn assert_every_order_final(journal: &Journal, ledger: &[LedgerEntry], venue: &MexcVenue) {
    let ids: HashSet<&String> = ledger
        .iter()
        .filter_map(|e| match &e.push {
            PrivatePush::Order(o) => Some(&o.order_id),
            _ => None,
        })
        .collect();
    for id in ids {
        let truth = venue.order(id).unwrap();
        let last = journal
            .orders()
            .filter(|o| o.order_id.as_str() == id)
            .last()
            .unwrap_or_else(|| panic!("order {id} never delivered"));
        assert_eq!(last.status, status(truth.status), "order {id}");
        assert_eq!(last.filled, truth.filled, "order {id}");
        assert_eq!(last.quantity, truth.quantity, "order {id}");
    }
}

/// The last balance delivered for each asset equals the venue's.
fn assert_balances_match(journal: &Journal, venue: &MexcVenue) {
    let mut last: HashMap<Asset, (Decimal, Decimal)> = HashMap::new();
    for balance in journal.balances() {
        last.insert(balance.asset, (balance.available, balance.locked));
    }
    for truth in venue.balances() {
        assert_eq!(
            last.get(&truth.asset),
            Some(&(truth.free, truth.locked)),
            "balance of {}",
            truth.asset
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_events_exactly_once_across_a_disconnect() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    let handler = Driven::new(MexcPrivateParts::new(
        handler_config(&sim),
        [sym("BTCUSDT"), sym("ETHUSDT")],
        Journal::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciliations() == 1))
        .await,
        "connected and reconciled"
    );
    conn.with_session(|h| assert!(h.has_listen_key()));
    assert_eq!(venue.listen_keys().len(), 1);

    // Connected: every push arrives once.
    let a = venue
        .place_order("BTCUSDT", Side::Buy, p("60000"), q("0.5"))
        .unwrap();
    venue.fill(&a, q("0.2")).unwrap();
    let b = venue
        .place_order("ETHUSDT", Side::Sell, p("4000"), q("2"))
        .unwrap();
    venue.fill(&b, q("0.5")).unwrap();
    venue.cancel(&b).unwrap();
    let pushed = venue.private_events().len();
    assert!(
        eventually(WAIT, || conn.with_session(|h| h
            .callbacks()
            .fills()
            .count()
            == 2
            && h.callbacks().orders().count() >= 5))
        .await,
        "pushes delivered"
    );

    // Disconnected: the venue refuses upgrades while the account changes.
    let attempts = sim.connect_attempts();
    sim.set_accept_fault(
        AcceptFault::HttpStatus {
            status: 503,
            retry_after_secs: None,
        },
        10_000,
    );
    assert!(sim.inject(Fault::Drop) >= 1);
    assert!(
        eventually(WAIT, || conn.state() != ConnectionState::Connected
            && sim.connect_attempts() > attempts)
        .await,
        "the client is out and retrying"
    );
    let dropped_at = venue.private_events().len();
    assert_eq!(dropped_at, pushed);
    venue.fill(&a, q("0.3")).unwrap(); // A finishes while nobody listens.
    let c = venue
        .place_order("BTCUSDT", Side::Buy, p("59000"), q("1"))
        .unwrap();
    venue.fill(&c, q("0.25")).unwrap(); // C opens, fills partly.
    let d = venue
        .place_order("ETHUSDT", Side::Buy, p("3000"), q("1"))
        .unwrap();
    venue.cancel(&d).unwrap(); // D lives and dies unseen.
    let f = venue
        .place_order("BTCUSDT", Side::Sell, p("71000"), q("0.2"))
        .unwrap();
    venue.fill(&f, q("0.2")).unwrap(); // F opens and fills unseen.
    let g = venue
        .place_order("ETHUSDT", Side::Sell, p("4100"), q("1"))
        .unwrap();
    venue.fill(&g, q("0.4")).unwrap();
    venue.cancel(&g).unwrap(); // G opens, fills partly and is cancelled unseen.
    let gap = dropped_at..venue.private_events().len();
    assert_ne!(conn.state(), ConnectionState::Connected);
    sim.set_accept_fault(
        AcceptFault::HttpStatus {
            status: 503,
            retry_after_secs: None,
        },
        0,
    );
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().reconciliations() == 2))
        .await,
        "reconnected and reconciled"
    );

    // Connected again.
    let e = venue
        .place_order("BTCUSDT", Side::Sell, p("70000"), q("0.1"))
        .unwrap();
    venue.fill(&e, q("0.1")).unwrap();
    let deals = venue
        .private_events()
        .iter()
        .filter(|e| matches!(e.push, PrivatePush::Deal(_)))
        .count();
    assert!(
        eventually(WAIT, || conn.with_session(|h| h
            .callbacks()
            .fills()
            .count()
            == deals))
        .await
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    let ledger = venue.private_events();
    conn.with_session(|h| {
        let journal = h.callbacks();
        assert_exactly_once(journal, &ledger, &gap);
        assert_every_order_final(journal, &ledger, &venue);
        assert_balances_match(journal, &venue);
        let counters = h.counters();
        assert_eq!(
            (
                counters.unresolved_orders,
                counters.fill_gaps,
                counters.order_gaps
            ),
            (0, 0, 0)
        );
        assert_eq!(
            counters.recovered_fills, 4,
            "A, C, F and G's fills of the gap"
        );
        assert_eq!(counters.reconciliations, 2);
        assert_eq!(counters.listen_keys_created, 1, "the key survived the drop");
        assert!(counters.listen_keys_verified >= 1);
        let open: Vec<String> = h
            .open_orders()
            .map(|(id, _)| id.as_str().to_owned())
            .collect();
        assert_eq!(open, vec![c.clone()]);
        // D and F, never pushed to the client, ended as the venue has them.
        for id in [&d, &f, &g] {
            assert!(journal.orders().any(|o| o.order_id.as_str() == id.as_str()));
        }
    });
    conn.close().await.unwrap();
    assert!(venue.listen_keys().is_empty(), "deleted on close");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_key_is_created_kept_alive_and_deleted() {
    init_tracing();
    let (sim, venue) = start(MexcConfig {
        listen_key_lifetime: Duration::from_millis(900),
        ..MexcConfig::default()
    })
    .await;
    let mut config = handler_config(&sim);
    config.listen_key_keep_alive = Duration::from_millis(250);
    let handler = Driven::new(MexcPrivateParts::new(
        config,
        [sym("BTCUSDT")],
        Journal::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn.with_session(|h| h.is_reconciled())).await,
        "connected"
    );
    assert_eq!(venue.listen_keys().len(), 1);
    // Well past the key's own lifetime: alive only because it is extended.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(conn.state(), ConnectionState::Connected);
    assert_eq!(
        conn.counters().connects,
        1,
        "never dropped for an expired key"
    );
    assert_eq!(venue.listen_keys().len(), 1);
    conn.with_session(|h| {
        assert!(h.counters().keep_alives >= 5, "{:?}", h.counters());
        assert_eq!(h.counters().listen_keys_created, 1);
    });
    conn.close().await.unwrap();
    assert!(venue.listen_keys().is_empty(), "deleted on close");
    conn.with_session(|h| {
        assert_eq!(h.counters().listen_keys_deleted, 1);
        assert!(!h.has_listen_key());
    });
    sim.shutdown().await;
}

/// A key that expires (no keep-alive in time) is found gone and replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_listen_key_is_replaced() {
    init_tracing();
    let (sim, venue) = start(MexcConfig {
        listen_key_lifetime: Duration::from_millis(700),
        ..MexcConfig::default()
    })
    .await;
    let mut config = handler_config(&sim);
    config.listen_key_keep_alive = Duration::from_secs(60);
    let handler = Driven::new(MexcPrivateParts::new(
        config,
        [sym("BTCUSDT")],
        Journal::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn.with_session(|h| h
            .counters()
            .listen_keys_created
            >= 2
            && h.counters().reconciliations >= 2))
        .await,
        "a new key after the first expired"
    );
    conn.with_session(|h| {
        assert!(h.counters().listen_keys_replaced >= 1, "{:?}", h.counters());
    });
    assert!(venue.listen_keys().len() <= 1);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// Wrong credentials: `AuthenticationFailed`, the connection ends in `Error`, no loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_stop_the_connection() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    let mut config = handler_config(&sim);
    config.mexc.credentials = Some(Credentials::new(DEFAULT_API_KEY, "not-the-secret"));
    let handler = Driven::new(MexcPrivateParts::new(
        config,
        [sym("BTCUSDT")],
        Journal::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert_eq!(
        conn.wait_for_state(WAIT, ConnectionState::is_terminal)
            .await,
        Some(ConnectionState::Error)
    );
    conn.with_session(|h| {
        let error = h.authentication_error().expect("reason kept");
        assert!(error.contains("700002"), "{error}");
        assert!(
            h.callbacks()
                .errors
                .iter()
                .any(|e| e.category == ErrorCategory::Authentication)
        );
    });
    let attempts = sim.connect_attempts();
    assert!(attempts <= 1, "{attempts} connection attempts");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sim.connect_attempts(), attempts, "no retry loop");
    assert!(venue.listen_keys().is_empty());
    assert_eq!(
        conn.counters().disconnects(ws_core::DisconnectKind::Fatal),
        1
    );
    conn.close().await.unwrap();
    sim.shutdown().await;
}
