//! Shared setup of the end-to-end tests: the simulator's MEXC venue on loopback, handler
//! and driver settings with short timers, bounded waits, and the book comparison.

#![allow(dead_code, reason = "each e2e test file uses a different part")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

use std::sync::Arc;
use std::time::Duration;

use exchange_mexc::{
    BookSyncConfig, ContextOverrides, Credentials, Endpoints, MexcConfig, MexcHandlerConfig,
    MexcPublicWebSocketHandler,
};
use exchange_sim::mexc::{self as sim_mexc, MexcVenue};
use exchange_sim::{SimConfig, Simulator};
use market_types::{BookStatus, Symbol};
use ws_core::{
    ConnectRateLimit, Connection, DriverConfig, MaxAttempts, PingSettings, ReconnectionPolicy,
};
use ws_mixins::PublicWebSocketMixin;

/// Bound on any single wait.
pub const WAIT: Duration = Duration::from_secs(15);

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A simulator with the MEXC venue mounted at `/mexc`.
pub async fn start(config: sim_mexc::MexcConfig) -> (Simulator, Arc<MexcVenue>) {
    let venue = Arc::new(MexcVenue::new(config).expect("valid venue config"));
    let sim = tokio::time::timeout(
        WAIT,
        Simulator::start(SimConfig::default().mount("/mexc", venue.clone())),
    )
    .await
    .expect("simulator starts in time")
    .expect("simulator starts");
    (sim, venue)
}

/// Handler settings pointing at the simulator, with short timers: `PING` every 200 ms,
/// a 1 s idle watchdog, fast reconnects and snapshot retries, and the venue's own
/// credentials.
pub fn handler_config(sim: &Simulator) -> MexcHandlerConfig {
    let mut config = MexcHandlerConfig::new(MexcConfig {
        endpoints: Endpoints::new(sim.ws_url("/mexc/ws"), sim.http_url("/mexc")),
        credentials: Some(Credentials::new(
            sim_mexc::DEFAULT_API_KEY,
            sim_mexc::DEFAULT_API_SECRET,
        )),
        recv_window_ms: None,
        book: BookSyncConfig {
            snapshot_after_quiet: Duration::from_millis(200),
            retry_initial: Duration::from_millis(50),
            retry_max: Duration::from_millis(400),
            forget_failures_after: Duration::from_millis(500),
            book_capacity: 512,
            ..BookSyncConfig::default()
        },
    });
    config.context = ContextOverrides {
        ping: Some(PingSettings {
            app_ping_interval: Some(Duration::from_millis(200)),
            protocol_ping_interval: None,
            idle_timeout: Some(Duration::from_secs(1)),
        }),
        max_lifetime: None,
        tick_interval: Some(Duration::from_millis(20)),
    };
    config.reconnection = ReconnectionPolicy {
        initial_delay: Duration::from_millis(20),
        backoff_factor: 1.5,
        max_delay: Duration::from_millis(300),
        max_attempts: MaxAttempts::Limited(100),
        report_failed_after: None,
        jitter: 0.0,
        reset_on_1005: true,
        connect_rate: ConnectRateLimit {
            max_attempts: 100,
            window: Duration::from_secs(1),
        },
        stable_after: Duration::from_secs(30),
    };
    config.ack_timeout = Duration::from_secs(3);
    config.rest_retry = Duration::from_millis(100);
    config
}

pub fn driver_config() -> DriverConfig {
    DriverConfig {
        connect_timeout: Duration::from_secs(2),
        close_timeout: Duration::from_secs(2),
        rest_timeout: Duration::from_secs(2),
        max_message_size: 1 << 20,
        ..DriverConfig::default()
    }
}

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
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

/// Whether every listed book is live.
pub fn all_live<H: PublicWebSocketMixin + Send + 'static>(
    conn: &Connection<MexcPublicWebSocketHandler<H>>,
    symbols: &[Symbol],
) -> bool {
    conn.with_session(|h| {
        symbols
            .iter()
            .all(|s| h.status(*s) == Some(BookStatus::Live))
    })
}

/// Pauses the venue (which pushes every pending window), waits until each client book is
/// live at the truth's version, and compares every level of both sides. Resumes after.
pub async fn assert_books_match<H: PublicWebSocketMixin + Send + 'static>(
    venue: &MexcVenue,
    conns: &[&Connection<MexcPublicWebSocketHandler<H>>],
    symbols: &[Symbol],
    context: &str,
) {
    venue.pause();
    let caught_up = eventually(WAIT, || {
        symbols.iter().all(|symbol| {
            let truth = venue.book(symbol.as_str()).expect("symbol listed");
            conns.iter().any(|conn| {
                conn.with_session(|h| {
                    h.status(*symbol) == Some(BookStatus::Live)
                        && h.book(*symbol)
                            .is_some_and(|b| b.update_id() == truth.version)
                })
            })
        })
    })
    .await;
    for symbol in symbols {
        let truth = venue.book(symbol.as_str()).expect("symbol listed");
        let local = conns.iter().find_map(|conn| {
            conn.with_session(|h| {
                h.book(*symbol).filter(|b| !b.is_empty()).map(|b| {
                    (
                        h.status(*symbol),
                        b.update_id(),
                        b.bids().collect::<Vec<_>>(),
                        b.asks().collect::<Vec<_>>(),
                    )
                })
            })
        });
        let Some((status, version, bids, asks)) = local else {
            panic!("{context}: no book for {symbol}");
        };
        assert!(
            caught_up,
            "{context}: {symbol} did not catch up: {status:?} at {version}, truth at {}",
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
