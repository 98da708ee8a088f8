//! Giving up, or retrying wrongly, over loopback against the embedded simulator: a venue
//! down for longer than the old attempt limit, a venue that closes every new connection with
//! 1005, and connection tasks that panic.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use exchange_sim::{AcceptFault, SimConfig, Simulator};
use support::{PanicAt, Setup, TestSession, eventually, init_tracing};
use ws_core::{
    Connection, ConnectionState, DriverConfig, Processing, QueueConfig, ReconnectionPolicy,
};

const WAIT: Duration = Duration::from_secs(10);

async fn sim() -> Simulator {
    Simulator::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

fn config() -> DriverConfig {
    DriverConfig {
        connect_timeout: Duration::from_secs(2),
        close_timeout: Duration::from_secs(2),
        max_message_size: 64 * 1024,
        ..DriverConfig::default()
    }
}

/// Short delays and no storm limit, so that many attempts fit in a test.
fn quick_policy() -> ReconnectionPolicy {
    ReconnectionPolicy {
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        jitter: 0.0,
        connect_rate: ws_core::ConnectRateLimit {
            max_attempts: 10_000,
            window: Duration::from_secs(1),
        },
        ..ReconnectionPolicy::DEFAULT
    }
}

type States = Arc<Mutex<Vec<ConnectionState>>>;

fn spawn_recording(setup: Setup) -> (Connection<TestSession>, States) {
    spawn_recording_with(setup, config())
}

fn spawn_recording_with(setup: Setup, config: DriverConfig) -> (Connection<TestSession>, States) {
    let states = States::default();
    let seen = states.clone();
    let conn = Connection::spawn_with_state_callback(TestSession::new(setup), config, move |s| {
        seen.lock().unwrap().push(s)
    })
    .expect("driver starts");
    (conn, states)
}

/// A venue down for longer than 15 attempts (MEXC's old limit, after which the process
/// ended): the connection reports itself failed once, keeps retrying at its capped delay,
/// and delivers again when the venue is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_outage_is_reported_failed_and_outlived() {
    init_tracing();
    let sim = sim().await;
    sim.set_accept_fault(AcceptFault::Refuse, 25);
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.policy = quick_policy();
    assert_eq!(setup.policy.report_failed_after, Some(15));
    let (mut conn, states) = spawn_recording(setup);
    assert!(eventually(WAIT, || conn.with_session(|s| s.seen.data_frames > 1)).await);
    let states = states.lock().unwrap().clone();
    let failed = states.iter().position(|s| *s == ConnectionState::Failed);
    let connected = states.iter().position(|s| *s == ConnectionState::Connected);
    assert!(failed.is_some() && failed < connected, "{states:?}");
    assert!(!states.contains(&ConnectionState::Error), "{states:?}");
    let counters = conn.counters();
    assert_eq!(counters.failed_reports, 1);
    assert_eq!(counters.connect_attempts, 26);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// A handler that panics must not leave a half-alive connection: it ends in `ERROR`, the
/// state callback hears it, the panic is counted, and closing still works.
async fn a_panic_ends_the_connection_in_error(panic_at: PanicAt, config: DriverConfig) {
    init_tracing();
    let sim = sim().await;
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.policy = quick_policy();
    setup.panic_at = Some(panic_at);
    let (mut conn, states) = spawn_recording_with(setup, config);
    let end = conn
        .wait_for_state(WAIT, ConnectionState::is_terminal)
        .await;
    assert_eq!(end, Some(ConnectionState::Error), "{panic_at:?}");
    // The callback runs right after the watch is updated.
    assert!(
        eventually(WAIT, || states.lock().unwrap().last()
            == Some(&ConnectionState::Error))
        .await
    );
    assert_eq!(conn.counters().task_panics, 1);
    assert!(
        eventually(WAIT, || sim.connections().is_empty()).await,
        "socket left open"
    );
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_reader_ends_the_connection_in_error() {
    a_panic_ends_the_connection_in_error(PanicAt::DataFrame(3), config()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_processor_ends_the_connection_in_error() {
    let mut queued = config();
    queued.processing = Processing::Queued(QueueConfig::with_capacity(64));
    a_panic_ends_the_connection_in_error(PanicAt::DataFrame(3), queued).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_supervisor_ends_the_connection_in_error() {
    a_panic_ends_the_connection_in_error(PanicAt::Tick, config()).await;
}

/// A venue that closes every new connection with 1005 (no status) was retried at the
/// initial delay for ever without counting an attempt. A run of 1005 closes without a
/// healthy session now counts: the delay grows, the failure is reported, and an attempt
/// limit set by the user is reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_closing_every_connection_with_1005_is_counted_and_reported() {
    init_tracing();
    let sim = sim().await;
    sim.set_accept_fault(AcceptFault::CloseNoStatus, 1000);
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.policy = ReconnectionPolicy {
        reset_on_1005: true,
        report_failed_after: Some(5),
        max_attempts: ws_core::MaxAttempts::Limited(8),
        ..quick_policy()
    };
    let (mut conn, states) = spawn_recording(setup);
    let end = conn
        .wait_for_state(WAIT, ConnectionState::is_terminal)
        .await;
    assert_eq!(end, Some(ConnectionState::Error));
    let counters = conn.counters();
    assert_eq!(counters.failed_reports, 1);
    assert_eq!(counters.disconnects(ws_core::DisconnectKind::NoStatus), 9);
    assert!(states.lock().unwrap().contains(&ConnectionState::Failed));
    conn.close().await.unwrap();
    sim.shutdown().await;
}
