//! Shared pieces of the end-to-end tests: the simulator with its Gate venue on loopback,
//! handler settings with short timers, a recording callback type, bounded waits and the
//! book comparison. Included by the `e2e_*` test files with `#[path]`; on its own it
//! holds no tests.

#![allow(dead_code, reason = "each e2e file uses a different part")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

use std::sync::Arc;
use std::time::Duration;

use exchange_gateio::{BookDepth, Credentials, Endpoints, GateioHandlerConfig, Market};
use exchange_sim::gateio::{BookTruth, GateioSimConfig, GateioVenue};
use exchange_sim::{SimConfig, Simulator};
use market_types::{
    Balance, BookStatus, BookStatusEvent, BookTicker, BookUpdate, Fill, Order, OrderBook, Position,
    Symbol, Ticker, Trade,
};
use ws_core::{DriverConfig, PingSettings, ReconnectionPolicy};
use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin, StreamError};

/// Bound on every wait for one expected outcome.
pub const WAIT: Duration = Duration::from_secs(10);
pub const KEY: &str = "e2e-key";
pub const SECRET: &str = "e2e-secret";
pub const MOUNT: &str = "/gateio";

/// A running simulator with the Gate venue mounted at [`MOUNT`].
#[derive(Debug)]
pub struct Venue {
    pub sim: Simulator,
    pub venue: Arc<GateioVenue>,
}

impl Venue {
    pub async fn start(config: GateioSimConfig) -> Venue {
        let venue = GateioVenue::new(GateioSimConfig {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            ..config
        });
        let sim = Simulator::start(SimConfig::default().mount(MOUNT, venue.clone()))
            .await
            .expect("simulator starts");
        Venue { sim, venue }
    }

    /// The venue's endpoints of `market` (REST base below the mount).
    pub fn endpoints(&self, market: Market) -> Endpoints {
        let path = match market {
            Market::Spot => "/gateio/ws/v4/",
            Market::Futures => "/gateio/v4/ws/usdt",
        };
        Endpoints::custom(self.sim.ws_url(path), self.sim.http_url("/gateio/api/v4"))
    }

    /// Handler settings with short timers and the right signature prefix.
    pub fn config(&self, market: Market, depth: BookDepth) -> GateioHandlerConfig {
        GateioHandlerConfig {
            credentials: Some(Credentials::new(KEY, SECRET)),
            depth,
            ping: PingSettings {
                app_ping_interval: Some(Duration::from_millis(100)),
                protocol_ping_interval: None,
                idle_timeout: Some(Duration::from_millis(700)),
            },
            tick_interval: Duration::from_millis(20),
            reconnection: fast_policy(),
            ack_timeout: Duration::from_secs(2),
            auth_timeout: Duration::from_secs(2),
            // The simulator checks signatures over `/api/v4/...`, as Gate does.
            rest_signature_prefix: Some("/api/v4".into()),
            rest_retry: Duration::from_millis(200),
            snapshot_backoff_initial: Duration::from_millis(50),
            snapshot_backoff_max: Duration::from_millis(500),
            ..GateioHandlerConfig::new(self.endpoints(market))
        }
    }

    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

/// Short delays, no jitter, so fault tests finish quickly.
pub fn fast_policy() -> ReconnectionPolicy {
    ReconnectionPolicy {
        initial_delay: Duration::from_millis(20),
        backoff_factor: 2.0,
        max_delay: Duration::from_millis(200),
        jitter: 0.0,
        ..exchange_gateio::RECONNECTION_POLICY
    }
}

pub fn driver_config() -> DriverConfig {
    DriverConfig {
        connect_timeout: Duration::from_secs(3),
        close_timeout: Duration::from_secs(2),
        rest_timeout: Duration::from_secs(3),
        ..DriverConfig::default()
    }
}

/// Everything the callbacks saw.
#[derive(Debug, Default)]
pub struct Recorder {
    pub book_updates: u64,
    pub statuses: Vec<BookStatusEvent>,
    pub trades: Vec<Trade>,
    pub book_tickers: u64,
    pub tickers: u64,
    pub errors: Vec<StreamError>,
    pub orders: Vec<Order>,
    pub fills: Vec<Fill>,
    pub balances: Vec<Balance>,
    pub positions: Vec<Position>,
    pub reconciled: u64,
    /// How many orders, fills, balances and positions had been delivered at each
    /// `on_reconciled`.
    pub reconciled_at: Vec<Delivered>,
}

/// Counts of what a [`Recorder`] had seen at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub orders: usize,
    pub fills: usize,
    pub balances: usize,
    pub positions: usize,
}

impl PublicWebSocketMixin for Recorder {
    fn on_order_book(&mut self, book: &OrderBook, update: &BookUpdate) {
        assert_eq!(book.symbol(), update.symbol);
        assert!(!book.is_crossed(), "a crossed book reached the user");
        self.book_updates += 1;
    }

    fn on_trade(&mut self, trade: &Trade) {
        self.trades.push(*trade);
    }

    fn on_book_ticker(&mut self, _ticker: &BookTicker) {
        self.book_tickers += 1;
    }

    fn on_ticker(&mut self, _ticker: &Ticker) {
        self.tickers += 1;
    }

    fn on_book_status(&mut self, event: &BookStatusEvent) {
        self.statuses.push(*event);
    }

    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

impl PrivateWebSocketMixin for Recorder {
    fn on_order(&mut self, order: &Order) {
        self.orders.push(*order);
    }

    fn on_fill(&mut self, fill: &Fill) {
        self.fills.push(*fill);
    }

    fn on_balance(&mut self, balance: &Balance) {
        self.balances.push(*balance);
    }

    fn on_position(&mut self, position: &Position) {
        self.positions.push(*position);
    }

    fn on_reconciled(&mut self) {
        self.reconciled += 1;
        self.reconciled_at.push(Delivered {
            orders: self.orders.len(),
            fills: self.fills.len(),
            balances: self.balances.len(),
            positions: self.positions.len(),
        });
    }

    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

/// Polls `cond` every 10 ms until it holds or `timeout` passes.
pub async fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether `book` holds exactly the truth's best `depth` levels at the truth's id.
pub fn book_equals(book: &OrderBook, truth: &BookTruth, depth: usize) -> Result<(), String> {
    let truth = truth.top(depth);
    if book.update_id() != truth.update_id {
        return Err(format!(
            "{}: update id {} but the venue is at {}",
            book.symbol(),
            book.update_id(),
            truth.update_id
        ));
    }
    let side = |levels: market_types::Levels<'_>| -> Vec<(String, String)> {
        levels
            .map(|l| (l.price.to_string(), l.quantity.to_string()))
            .collect()
    };
    let want =
        |levels: &[(market_types::Decimal, market_types::Decimal)]| -> Vec<(String, String)> {
            levels
                .iter()
                .map(|(p, q)| (p.to_string(), q.to_string()))
                .collect()
        };
    let (bids, asks) = (side(book.bids()), side(book.asks()));
    if bids != want(&truth.bids) || asks != want(&truth.asks) {
        return Err(format!(
            "{}: levels differ at id {}: bids {} vs {}, asks {} vs {}; first bid {:?} vs {:?}",
            book.symbol(),
            truth.update_id,
            bids.len(),
            truth.bids.len(),
            asks.len(),
            truth.asks.len(),
            bids.first(),
            want(&truth.bids).first(),
        ));
    }
    Ok(())
}

pub fn sym(name: &str) -> Symbol {
    Symbol::new(name).unwrap()
}

pub fn is_live(status: Option<BookStatus>) -> bool {
    status == Some(BookStatus::Live)
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
