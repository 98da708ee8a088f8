//! The processing queue is bounded in bytes as well as in messages: a slow consumer with
//! room for many messages but few bytes meets the same overflow policies.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use std::time::Duration;

use exchange_sim::{SimConfig, Simulator};
use support::{Setup, TestSession, eventually, init_tracing};
use ws_core::{Connection, DriverConfig, Processing, QueueConfig, StreamKind};

const WAIT: Duration = Duration::from_secs(10);

async fn run(kind: StreamKind) -> ws_core::ConnectionCounters {
    init_tracing();
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator starts");
    let mut setup = Setup::new(sim.ws_url("/test"), &["q"]);
    setup.data_kind = kind;
    setup.slow_handler = Some(Duration::from_millis(2));
    // Room for 65,536 messages, but only about four of the test venue's.
    let mut queue = QueueConfig::with_capacity(65_536);
    queue.max_bytes = 200;
    let config = DriverConfig {
        processing: Processing::Queued(queue),
        ..DriverConfig::default()
    };
    let mut conn = Connection::spawn(TestSession::new(setup), config).expect("driver starts");
    assert!(eventually(WAIT, || conn.with_session(|s| s.seen.data_frames > 1)).await);
    sim.test_venue().publish_burst("q", 500);
    let dropped_or_resynced = eventually(WAIT, || {
        let c = conn.counters();
        c.dropped(StreamKind::Trade) > 0 || c.overflow_resyncs > 0
    })
    .await;
    assert!(dropped_or_resynced);
    let counters = conn.counters();
    assert!(
        counters.queue_high_water < 64,
        "bytes bound the queue: {counters:?}"
    );
    conn.close().await.unwrap();
    sim.shutdown().await;
    counters
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byte_budget_drops_trades() {
    let counters = run(StreamKind::Trade).await;
    assert_eq!(counters.overflow_resyncs, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byte_budget_resyncs_books() {
    let counters = run(StreamKind::Book).await;
    assert!(counters.overflow_resyncs >= 1);
    assert_eq!(counters.dropped(StreamKind::Trade), 0);
}
