//! The private handler end to end against the simulator's MEXC venue: listen-key
//! lifecycle, private pushes delivered exactly once, and reconciliation of what happened
//! while the socket was down. Every wait is bounded; nothing leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]

mod e2e_support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use e2e_support::{WAIT, driver_config, eventually, handler_config, init_tracing, start, sym};
use exchange_mexc::{Credentials, MexcPrivateWebSocketHandler};
use exchange_sim::mexc::{DEFAULT_API_KEY, LedgerEntry, MexcConfig, OrderState, PrivatePush};
use exchange_sim::{AcceptFault, Fault};
use market_types::{Asset, Balance, Decimal, Fill, Order, OrderStatus, Price, Quantity, Side};
use ws_core::{Connection, ConnectionState};
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
        self.events.iter().filter_map(|e| match e {
            Delivered::Order(o) => Some(o),
            _ => None,
        })
    }
    fn fills(&self) -> impl Iterator<Item = &Fill> {
        self.events.iter().filter_map(|e| match e {
            Delivered::Fill(f) => Some(f),
            _ => None,
        })
    }
    fn balances(&self) -> impl Iterator<Item = &Balance> {
        self.events.iter().filter_map(|e| match e {
            Delivered::Balance(b) => Some(b),
            _ => None,
        })
    }
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

type Handler = MexcPrivateWebSocketHandler<Journal>;

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

/// (order id, status, filled) of the ledger's order pushes, and its fills' trade ids.
fn ledger_orders_and_fills(
    entries: &[LedgerEntry],
) -> (Vec<(String, OrderStatus, Quantity)>, Vec<String>) {
    let mut orders = Vec::new();
    let mut fills = Vec::new();
    for entry in entries {
        match &entry.push {
            PrivatePush::Order(o) => {
                orders.push((o.order_id.clone(), status(o.status), o.cumulative_quantity));
            }
            PrivatePush::Deal(d) => fills.push(d.trade_id.clone()),
            PrivatePush::Account(_) => {}
        }
    }
    (orders, fills)
}

fn delivered_key(order: &Order) -> (String, OrderStatus, Quantity) {
    (
        order.order_id.as_str().to_owned(),
        order.status,
        order.filled,
    )
}

/// Every connected-time ledger entry was delivered exactly once, in order; nothing was
/// delivered twice.
fn assert_exactly_once(journal: &Journal, connected: &[LedgerEntry]) {
    let (orders, fills) = ledger_orders_and_fills(connected);
    let delivered_fills: Vec<String> = journal
        .fills()
        .map(|f| f.trade_id.as_str().to_owned())
        .collect();
    assert_eq!(
        delivered_fills, fills,
        "fills: every pushed fill once, in order"
    );
    let delivered: Vec<(String, OrderStatus, Quantity)> =
        journal.orders().map(delivered_key).collect();
    let unique: HashSet<_> = delivered.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        delivered.len(),
        "no order state twice: {delivered:?}"
    );
    // The pushed order states appear in the delivered sequence in the same order.
    let mut rest = delivered.iter();
    for expected in &orders {
        assert!(
            rest.any(|d| d == expected),
            "pushed {expected:?} delivered in order; delivered {delivered:?}"
        );
    }
    // Balances: never the same value twice in a row for an asset.
    let mut last: HashMap<Asset, (Decimal, Decimal)> = HashMap::new();
    for balance in journal.balances() {
        let value = (balance.available, balance.locked);
        assert_ne!(
            last.insert(balance.asset, value),
            Some(value),
            "{balance:?} twice"
        );
    }
}

/// The last balance delivered for each asset equals the venue's.
fn assert_balances_match(journal: &Journal, venue: &exchange_sim::mexc::MexcVenue) {
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
    let handler = Handler::new(
        handler_config(&sim),
        [sym("BTCUSDT"), sym("ETHUSDT")],
        Journal::default(),
    );
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
    let phase_one = venue.private_events();
    let (orders, fills) = ledger_orders_and_fills(&phase_one);
    assert!(
        eventually(WAIT, || conn.with_session(|h| {
            let j = h.callbacks();
            j.fills().count() == fills.len() && j.orders().count() >= orders.len()
        }))
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
    venue.fill(&a, q("0.3")).unwrap(); // A finishes while nobody listens.
    let c = venue
        .place_order("BTCUSDT", Side::Buy, p("59000"), q("1"))
        .unwrap();
    venue.fill(&c, q("0.25")).unwrap(); // C is open, partly filled.
    let d = venue
        .place_order("ETHUSDT", Side::Buy, p("3000"), q("1"))
        .unwrap();
    venue.cancel(&d).unwrap(); // D lives and dies unseen.
    let offline = venue.private_events().len();
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
    let all = venue.private_events();
    let connected: Vec<LedgerEntry> = all[..phase_one.len()]
        .iter()
        .chain(&all[offline..])
        .cloned()
        .collect();
    let (_, fills) = ledger_orders_and_fills(&connected);
    assert!(
        eventually(WAIT, || conn.with_session(|h| h
            .callbacks()
            .fills()
            .count()
            == fills.len()))
        .await
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    conn.with_session(|h| {
        let journal = h.callbacks();
        assert_exactly_once(journal, &connected);
        assert_balances_match(journal, &venue);
        // C: reconciled from openOrders with the fill made while disconnected.
        let last_c = journal
            .orders()
            .filter(|o| o.order_id.as_str() == c)
            .last()
            .expect("C reconciled");
        let truth_c = venue.order(&c).unwrap();
        assert_eq!(last_c.status, status(truth_c.status));
        assert_eq!(last_c.filled, truth_c.filled);
        // A finished while disconnected: reported by name, not invented.
        assert!(
            journal
                .errors
                .iter()
                .any(|e| e.category == ErrorCategory::Rest && e.message.contains(&a)),
            "{:?}",
            journal.errors
        );
        assert!(
            journal
                .orders()
                .all(|o| o.order_id.as_str() != a || o.status != OrderStatus::Filled)
        );
        // D was never seen by the client.
        assert!(journal.orders().all(|o| o.order_id.as_str() != d));
        // E, after the reconnect, arrived through the stream.
        let last_e = journal
            .orders()
            .filter(|o| o.order_id.as_str() == e)
            .last()
            .unwrap();
        assert_eq!(last_e.status, OrderStatus::Filled);
        assert_eq!(h.counters().unresolved_orders, 1);
        assert_eq!(h.counters().reconciliations, 2);
        assert_eq!(
            h.counters().listen_keys_created,
            1,
            "the key survived the drop"
        );
        assert!(h.counters().listen_keys_verified >= 1);
        let open: Vec<String> = h
            .open_orders()
            .map(|(id, _)| id.as_str().to_owned())
            .collect();
        assert_eq!(open, vec![c.clone()]);
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
    let handler = Handler::new(config, [sym("BTCUSDT")], Journal::default());
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
    let handler = Handler::new(config, [sym("BTCUSDT")], Journal::default());
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
    let handler = Handler::new(config, [sym("BTCUSDT")], Journal::default());
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
