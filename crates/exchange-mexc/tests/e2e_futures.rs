//! MEXC USDT-M futures end to end: `ws-core` driving the futures sessions over loopback
//! against the simulator's futures venue. After every fault the local books equal the
//! venue's truth level for level; account events arrive exactly once. Every wait is
//! bounded; nothing leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]

mod e2e_support;

use std::sync::Arc;
use std::time::Duration;

use e2e_support::{WAIT, driver_config, eventually, init_tracing, sym};
use exchange_mexc::futures::{
    FuturesChannel, FuturesHandlerConfig, FuturesPublicCommand, MexcFuturesPrivateParts,
    MexcFuturesPublicHandler, MexcFuturesPublicParts,
};
use exchange_mexc::{BookSyncConfig, ContextOverrides, Credentials};
use exchange_sim::mexc_futures::{
    DEFAULT_API_KEY, DEFAULT_API_SECRET, MOUNT, MexcFuturesConfig, MexcFuturesFault,
    MexcFuturesVenue,
};
use exchange_sim::{Fault, SimConfig, Simulator};
use market_types::{
    Balance, BookStatus, BookStatusEvent, BookUpdate, Fill, Order, OrderBook, Position, Symbol,
    Ticker, Trade,
};
use ws_core::{
    ConnectRateLimit, Connection, ConnectionState, MaxAttempts, PingSettings, ReconnectionPolicy,
};
use ws_handlers::Driven;
use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin, StreamError};

#[derive(Debug, Default)]
struct Tally {
    book_updates: u64,
    trades: u64,
    tickers: u64,
    statuses: Vec<(Symbol, BookStatus)>,
    errors: Vec<StreamError>,
}

impl PublicWebSocketMixin for Tally {
    fn on_order_book(&mut self, book: &OrderBook, _update: &BookUpdate) {
        assert!(!book.is_crossed(), "a crossed book reached the user");
        self.book_updates += 1;
    }
    fn on_trade(&mut self, _trade: &Trade) {
        self.trades += 1;
    }
    fn on_ticker(&mut self, _ticker: &Ticker) {
        self.tickers += 1;
    }
    fn on_book_status(&mut self, event: &BookStatusEvent) {
        self.statuses.push((event.symbol, event.status));
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

#[derive(Debug, Default)]
struct Account {
    orders: Vec<Order>,
    fills: Vec<Fill>,
    balances: Vec<Balance>,
    positions: Vec<Position>,
    errors: Vec<StreamError>,
}

impl PrivateWebSocketMixin for Account {
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
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

async fn start(config: MexcFuturesConfig) -> (Simulator, Arc<MexcFuturesVenue>) {
    let venue = Arc::new(MexcFuturesVenue::new(config).expect("valid venue config"));
    let sim = tokio::time::timeout(
        WAIT,
        Simulator::start(SimConfig::default().mount(MOUNT, venue.clone())),
    )
    .await
    .expect("simulator starts in time")
    .expect("simulator starts");
    (sim, venue)
}

/// Session settings pointing at the simulator, with short timers.
fn config(sim: &Simulator, secret: &str) -> FuturesHandlerConfig {
    FuturesHandlerConfig {
        ws_url: sim.ws_url(&format!("{MOUNT}/edge")),
        rest_url: sim.http_url(MOUNT),
        book: BookSyncConfig {
            snapshot_after_quiet: Duration::from_millis(200),
            retry_initial: Duration::from_millis(50),
            retry_max: Duration::from_millis(400),
            forget_failures_after: Duration::from_millis(500),
            book_capacity: 512,
            ..BookSyncConfig::default()
        },
        credentials: Some(Credentials::new(DEFAULT_API_KEY, secret)),
        context: ContextOverrides {
            ping: Some(PingSettings {
                app_ping_interval: Some(Duration::from_millis(200)),
                protocol_ping_interval: None,
                idle_timeout: Some(Duration::from_secs(1)),
            }),
            max_lifetime: None,
            tick_interval: Some(Duration::from_millis(20)),
        },
        reconnection: ReconnectionPolicy {
            initial_delay: Duration::from_millis(20),
            backoff_factor: 1.5,
            max_delay: Duration::from_millis(300),
            max_attempts: MaxAttempts::Limited(100),
            jitter: 0.0,
            reset_on_1005: true,
            connect_rate: ConnectRateLimit {
                max_attempts: 100,
                window: Duration::from_secs(1),
            },
            stable_after: Duration::from_secs(30),
            report_failed_after: None,
        },
        ack_timeout: Duration::from_secs(3),
        recv_window_ms: None,
    }
}

type Public = MexcFuturesPublicHandler<Tally>;

fn all_live(conn: &Connection<Public>, symbols: &[Symbol]) -> bool {
    conn.with_session(|h| {
        symbols
            .iter()
            .all(|s| h.status(*s) == Some(BookStatus::Live))
    })
}

/// Pauses the venue, waits until each book is live at the truth's version, compares both
/// sides level for level, resumes.
async fn assert_books_match(
    venue: &MexcFuturesVenue,
    conn: &Connection<Public>,
    symbols: &[Symbol],
    context: &str,
) {
    venue.pause();
    let caught_up = eventually(WAIT, || {
        symbols.iter().all(|symbol| {
            let truth = venue.book(symbol.as_str()).expect("contract listed");
            conn.with_session(|h| {
                h.status(*symbol) == Some(BookStatus::Live)
                    && h.book(*symbol)
                        .is_some_and(|b| b.update_id() == truth.version)
            })
        })
    })
    .await;
    if !caught_up {
        let states: Vec<String> = symbols
            .iter()
            .map(|symbol| {
                let truth = venue.book(symbol.as_str()).expect("contract listed");
                conn.with_session(|h| {
                    format!(
                        "{symbol}: {:?} at {:?}, truth at {}; {:?}",
                        h.status(*symbol),
                        h.book(*symbol).map(|b| b.update_id()),
                        truth.version,
                        h.book_stats()
                    )
                })
            })
            .collect();
        panic!("{context}: the books did not catch up: {states:#?}");
    }
    for symbol in symbols {
        let truth = venue.book(symbol.as_str()).expect("contract listed");
        let (status, version, bids, asks) = conn.with_session(|h| {
            let book = h.book(*symbol).expect("a book is kept");
            (
                h.status(*symbol),
                book.update_id(),
                book.bids().collect::<Vec<_>>(),
                book.asks().collect::<Vec<_>>(),
            )
        });
        assert!(
            caught_up,
            "{context}: {symbol} at {version}, truth at {}",
            truth.version
        );
        assert_eq!(status, Some(BookStatus::Live), "{context}: {symbol}");
        assert_eq!(version, truth.version, "{context}: {symbol} version");
        assert_eq!(bids, truth.bids, "{context}: {symbol} bids");
        assert_eq!(asks, truth.asks, "{context}: {symbol} asks");
        assert!(
            !bids.is_empty() && !asks.is_empty(),
            "{context}: {symbol} empty"
        );
    }
    venue.resume();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_deals_and_tickers_match_the_venue_through_every_fault() {
    init_tracing();
    let (sim, venue) = start(MexcFuturesConfig::default()).await;
    let (btc, eth) = (sym("BTC_USDT"), sym("ETH_USDT"));
    let symbols = [btc, eth];
    let channels = [
        FuturesChannel::Depth(btc),
        FuturesChannel::Depth(eth),
        FuturesChannel::Deal(btc),
        FuturesChannel::Ticker(btc),
    ];
    let handler = Driven::new(MexcFuturesPublicParts::new(
        config(&sim, DEFAULT_API_SECRET),
        channels,
        Tally::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || all_live(&conn, &symbols)).await,
        "books go live"
    );
    assert_books_match(&venue, &conn, &symbols, "clean run").await;
    assert!(
        eventually(WAIT, || conn.with_session(
            |h| h.callbacks().trades > 0 && h.callbacks().tickers > 0
        ))
        .await,
        "deals and tickers arrive"
    );
    conn.with_session(|h| {
        for symbol in symbols {
            let size = h.contract(symbol).map(|c| c.contract_size);
            assert_eq!(size, venue.contract_size(symbol.as_str()), "{symbol}");
        }
    });

    // Venue faults on the per-version stream: only the contract hit resyncs.
    for (fault, name) in [
        (MexcFuturesFault::VersionGap { symbol: btc }, "version gap"),
        (
            MexcFuturesFault::DuplicateDepth { symbol: btc },
            "duplicate",
        ),
        (MexcFuturesFault::MergedDepth { symbol: btc }, "merged push"),
    ] {
        venue.inject(fault).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            eventually(WAIT, || all_live(&conn, &symbols)).await,
            "{name}"
        );
        assert_books_match(&venue, &conn, &symbols, name).await;
    }
    conn.with_session(|h| {
        assert!(
            h.book_stats().resyncs >= 1,
            "the gap and the merge are noticed"
        );
        assert!(
            !h.callbacks()
                .statuses
                .iter()
                .any(|(s, status)| *s == eth && matches!(status, BookStatus::Resyncing(_))),
            "the other contract is untouched"
        );
    });

    // A stale snapshot is recognised and asked again.
    venue
        .inject(MexcFuturesFault::StaleSnapshot {
            symbol: eth,
            count: 2,
        })
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    conn.command(FuturesPublicCommand::Resync(eth))
        .await
        .unwrap();
    // The command is queued: wait for the snapshots it causes, not for a book that is
    // still live from before it.
    assert!(
        eventually(WAIT, || venue.stats().stale_snapshots_served >= 2).await,
        "both stale snapshots are asked for"
    );
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    // A snapshot fetched in a quiet moment has no push to be checked against; the pushes
    // that follow it are (a stale one is a gap, and the book resyncs).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    assert_books_match(&venue, &conn, &symbols, "stale snapshot").await;

    // Connection faults: drop, close without status, stall, malformed frame.
    for fault in [Fault::Drop, Fault::CloseNoStatus, Fault::Stall] {
        let before = conn.counters();
        assert!(
            sim.inject(fault.clone()) >= 1,
            "{fault:?} reached the client"
        );
        assert!(
            eventually(WAIT, || conn.counters().connects > before.connects).await,
            "reconnected after {fault:?}"
        );
        assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
        assert_books_match(&venue, &conn, &symbols, &format!("{fault:?}")).await;
    }
    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_contract_is_refused_by_name_and_the_rest_goes_on() {
    init_tracing();
    let (sim, _venue) = start(MexcFuturesConfig::default()).await;
    let (btc, nope) = (sym("BTC_USDT"), sym("NOPE_USDT"));
    let channels = [FuturesChannel::Deal(nope), FuturesChannel::Depth(btc)];
    let handler = Driven::new(MexcFuturesPublicParts::new(
        config(&sim, DEFAULT_API_SECRET),
        channels,
        Tally::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(eventually(WAIT, || all_live(&conn, &[btc])).await);
    conn.with_session(|h| {
        let refused: Vec<_> = h
            .callbacks()
            .errors
            .iter()
            .filter(|e| e.message.contains("NOPE_USDT"))
            .collect();
        assert_eq!(refused.len(), 1, "{:?}", h.callbacks().errors);
        assert_eq!(h.counters().rejected_channels, 1);
    });
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_events_arrive_once_across_a_reconnect() {
    init_tracing();
    let (sim, venue) = start(MexcFuturesConfig::default()).await;
    let btc = sym("BTC_USDT");
    let handler = Driven::new(MexcFuturesPrivateParts::new(
        config(&sim, DEFAULT_API_SECRET),
        [btc],
        Account::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn.with_session(|h| h.is_reconciled())).await,
        "logged in, filtered and reconciled"
    );
    let truth = venue.book("BTC_USDT").unwrap();
    let bid = truth.bids.first().unwrap().price;
    let id = venue
        .place_order(
            "BTC_USDT",
            exchange_sim::mexc_futures::OrderSide::OpenLong,
            bid,
            10,
        )
        .unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| !h.callbacks().orders.is_empty()))
        .await,
        "the order arrives"
    );
    // A fill while disconnected is recovered by the reconciliation.
    assert!(sim.inject(Fault::Drop) >= 1);
    venue.fill(&id, 4).unwrap();
    assert!(
        eventually(WAIT, || conn.with_session(|h| h.callbacks().fills.len()
            == 1
            && h.is_reconciled()))
        .await,
        "the fill of the disconnected window arrives"
    );
    venue.fill(&id, 6).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().fills.len() == 2))
        .await,
        "the second fill arrives"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    conn.with_session(|h| {
        let seen = h.callbacks();
        assert_eq!(
            seen.fills.len(),
            2,
            "each fill exactly once: {:?}",
            seen.fills
        );
        assert!(
            seen.positions.iter().any(|p| p.symbol == btc),
            "a position is reported"
        );
        assert!(!seen.balances.is_empty(), "balances are reported");
        assert!(
            seen.errors.iter().all(|e| !e.message.contains("refused")),
            "{:?}",
            seen.errors
        );
    });
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_stops_the_account_session_with_a_clear_error() {
    init_tracing();
    let (sim, _venue) = start(MexcFuturesConfig::default()).await;
    let handler = Driven::new(MexcFuturesPrivateParts::new(
        config(&sim, "not-the-secret"),
        [sym("BTC_USDT")],
        Account::default(),
    ));
    let conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| !h.callbacks().errors.is_empty()))
        .await,
        "the refusal is reported"
    );
    assert!(
        eventually(WAIT, || matches!(
            conn.state(),
            ConnectionState::Error | ConnectionState::Closed
        ))
        .await,
        "the session stops: {:?}",
        conn.state()
    );
    conn.with_session(|h| {
        let message = &h.callbacks().errors[0].message;
        assert!(message.contains("login refused"), "{message}");
    });
    sim.shutdown().await;
}
