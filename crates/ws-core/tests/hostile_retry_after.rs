//! A `Retry-After` of `u64::MAX` seconds over a real socket: the driver neither panics nor
//! spins; it waits (capped) and still closes promptly.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use std::time::{Duration, Instant};

use exchange_sim::{AcceptFault, SimConfig, Simulator};
use support::{Setup, TestSession, eventually, init_tracing};
use ws_core::{Connection, ConnectionState, DisconnectKind, DriverConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_u64_max_seconds_waits_without_panicking() {
    init_tracing();
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_accept_fault(
        AcceptFault::HttpStatus {
            status: 429,
            retry_after_secs: Some(u64::MAX),
        },
        1,
    );
    let config = DriverConfig {
        connect_timeout: Duration::from_secs(2),
        close_timeout: Duration::from_secs(2),
        ..DriverConfig::default()
    };
    let mut conn = Connection::spawn(
        TestSession::new(Setup::new(sim.ws_url("/test"), &["t"])),
        config,
    )
    .unwrap();
    let rejected = eventually(Duration::from_secs(10), || {
        conn.counters().disconnects(DisconnectKind::Connect) == 1
    })
    .await;
    assert!(rejected);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sim.connect_attempts(),
        1,
        "no retry before the (capped) wait"
    );
    assert_eq!(conn.state(), ConnectionState::Connecting);
    let started = Instant::now();
    conn.close().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(conn.state(), ConnectionState::Closed);
    sim.shutdown().await;
}
