//! The driver over real loopback sockets against the embedded simulator: reconnect and
//! resubscribe after each fault, the idle watchdog, fatal authentication failures,
//! rotation without a gap, queue overflow policies, close, TLS, malformed input.
//! Every wait is bounded; everything targets 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use exchange_sim::{
    AcceptFault, AuthPolicy, Fault, MalformedKind, SimConfig, SimEvent, Simulator, TestVenueConfig,
    Transport,
};
use support::{Setup, TestSession, eventually, init_tracing};
use ws_core::{
    Connection, ConnectionState, DisconnectCause, DisconnectKind, DriverConfig, OutFrame,
    Processing, QueueConfig, StreamKind, TlsRoots, WsError,
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

fn spawn(setup: Setup, config: DriverConfig) -> Connection<TestSession> {
    Connection::spawn(TestSession::new(setup), config).expect("driver starts")
}

async fn data_flows(conn: &Connection<TestSession>, more_than: u64) -> bool {
    eventually(WAIT, || {
        conn.with_session(|s| s.seen.data_frames > more_than)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_receives_and_measures() {
    init_tracing();
    let sim = sim().await;
    let mut conn = spawn(Setup::new(sim.ws_url("/test"), &["a", "b"]), config());
    assert!(data_flows(&conn, 20).await, "data arrives");
    assert_eq!(conn.state(), ConnectionState::Connected);
    let stats = conn.stats();
    assert!(stats.counters.messages_received > 20);
    assert!(stats.counters.bytes_received > 0);
    assert_eq!(stats.counters.connects, 1);
    assert_eq!(stats.counters.reconnects, 0);
    assert!(stats.latency.len() >= stats.counters.messages_received - 1);
    assert!(stats.latency.quantile_nanos(0.5) > 0);
    conn.with_session(|s| {
        assert_eq!(s.seen.acks, 2);
        assert_eq!(s.seen.gaps_within_connection, 0);
        assert!(s.seen.last_seq.contains_key("a") && s.seen.last_seq.contains_key("b"));
    });
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// Faults that end the socket: the driver reconnects with backoff and resubscribes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_and_resubscribes_after_each_fault() {
    init_tracing();
    let sim = sim().await;
    let mut events = sim.subscribe_events();
    let mut conn = spawn(Setup::new(sim.ws_url("/test"), &["t"]), config());
    assert!(data_flows(&conn, 5).await);
    let faults = [
        (Fault::Drop, DisconnectKind::Lost),
        (Fault::CloseNoStatus, DisconnectKind::NoStatus),
        (
            Fault::Close {
                code: 1011,
                reason: "going away".into(),
            },
            DisconnectKind::Closed,
        ),
        (
            Fault::Malformed(MalformedKind::InvalidUtf8),
            DisconnectKind::Protocol,
        ),
        (Fault::Oversize(128 * 1024), DisconnectKind::Protocol),
    ];
    for (round, (fault, kind)) in faults.into_iter().enumerate() {
        let before = conn.counters();
        let seq_before = conn.with_session(|s| s.seen.last_seq.get("t").copied().unwrap_or(0));
        assert!(
            sim.inject(fault.clone()) >= 1,
            "fault {fault:?} reached a connection"
        );
        assert!(
            eventually(WAIT, || conn.counters().connects > before.connects).await,
            "reconnected after {fault:?}"
        );
        assert!(
            eventually(WAIT, || conn.with_session(|s| s
                .seen
                .last_seq
                .get("t")
                .copied()
                .unwrap_or(0))
                > seq_before + 3)
            .await,
            "data resumed after {fault:?}"
        );
        let after = conn.counters();
        assert_eq!(
            after.disconnects(kind),
            before.disconnects(kind) + 1,
            "{fault:?} counted as {kind:?}"
        );
        assert_eq!(after.reconnects, round as u64 + 1);
    }
    // Every connection subscribed again: the simulator saw one subscribe per connection.
    let mut subscribes = 0;
    while let Ok(event) = events.try_recv() {
        if let SimEvent::Received { text, .. } = event
            && text.contains(r#""op":"subscribe""#)
        {
            subscribes += 1;
        }
    }
    assert_eq!(subscribes, 6);
    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// Malformed data that is still valid WebSocket never panics or disconnects: the session
/// counts it and the stream goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_payloads_are_counted_not_fatal() {
    init_tracing();
    let sim = sim().await;
    let mut conn = spawn(Setup::new(sim.ws_url("/test"), &["t"]), config());
    assert!(data_flows(&conn, 3).await);
    for kind in [
        MalformedKind::InvalidJson,
        MalformedKind::TruncatedJson,
        MalformedKind::BinaryGarbage,
        MalformedKind::Empty,
    ] {
        sim.inject(Fault::Malformed(kind));
    }
    assert!(eventually(WAIT, || conn.with_session(|s| s.seen.parse_errors >= 4)).await);
    let seen = conn.with_session(|s| s.seen.data_frames);
    assert!(data_flows(&conn, seen + 5).await, "stream continues");
    assert_eq!(conn.counters().connects, 1, "no reconnect for bad payloads");
    assert_eq!(conn.with_session(|s| s.seen.binary_frames), 1);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_watchdog_detects_a_stalled_socket() {
    init_tracing();
    let sim = sim().await;
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.ping.idle_timeout = Some(Duration::from_millis(300));
    let mut conn = spawn(setup, config());
    assert!(data_flows(&conn, 3).await);
    let stalled_at = Instant::now();
    sim.inject(Fault::Stall);
    assert!(
        eventually(WAIT, || conn.counters().disconnects(DisconnectKind::Idle)
            == 1)
        .await
    );
    assert!(stalled_at.elapsed() >= Duration::from_millis(250));
    assert!(
        eventually(WAIT, || conn.counters().connects == 2).await,
        "reconnected"
    );
    let seen = conn.with_session(|s| s.seen.data_frames);
    assert!(data_flows(&conn, seen + 3).await);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_pings_go_out_on_their_interval() {
    init_tracing();
    let sim = sim().await;
    let mut setup = Setup::new(sim.ws_url("/test"), &[]);
    setup.ping.app_ping_interval = Some(Duration::from_millis(50));
    let mut conn = spawn(setup, config());
    assert!(eventually(WAIT, || conn.with_session(|s| s.seen.pongs >= 3)).await);
    assert!(conn.counters().app_pings >= 3);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_failure_stops_reconnection() {
    init_tracing();
    let sim = Simulator::start(SimConfig {
        test_venue: TestVenueConfig {
            auth: AuthPolicy::Required,
            ..TestVenueConfig::default()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.token = Some("wrong".into());
    let mut conn = spawn(setup, config());
    let state = conn
        .wait_for_state(WAIT, |s| s == ConnectionState::Error)
        .await;
    assert_eq!(state, Some(ConnectionState::Error));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.connect_attempts(), 1, "no retry after an auth failure");
    assert_eq!(conn.counters().disconnects(DisconnectKind::Fatal), 1);
    let causes = conn.with_session(|s| s.seen.disconnects.clone());
    assert!(matches!(
        causes.as_slice(),
        [DisconnectCause::AuthenticationFailed(_)]
    ));
    assert_eq!(
        conn.send_message(OutFrame::text("x")).await,
        Err(WsError::Closed)
    );
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_token_authenticates_then_subscribes() {
    init_tracing();
    let sim = Simulator::start(SimConfig {
        test_venue: TestVenueConfig {
            auth: AuthPolicy::Required,
            ..TestVenueConfig::default()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.token = Some("test-token".into());
    let mut conn = spawn(setup, config());
    assert!(data_flows(&conn, 3).await);
    sim.inject(Fault::Drop);
    assert!(eventually(WAIT, || conn.counters().connects == 2).await);
    let seen = conn.with_session(|s| s.seen.data_frames);
    assert!(
        data_flows(&conn, seen + 3).await,
        "re-authenticated and resubscribed"
    );
    assert!(conn.with_session(|s| s.seen.rejected.is_empty()));
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// A 429 on the upgrade carries `Retry-After`; the next attempt waits at least that long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_429_honours_retry_after() {
    init_tracing();
    let sim = sim().await;
    sim.set_accept_fault(
        AcceptFault::HttpStatus {
            status: 429,
            retry_after_secs: Some(1),
        },
        1,
    );
    let mut conn = spawn(Setup::new(sim.ws_url("/test"), &["t"]), config());
    assert!(data_flows(&conn, 1).await);
    let times = sim.connect_attempt_times();
    assert_eq!(times.len(), 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(900),
        "{:?}",
        times[1] - times[0]
    );
    assert_eq!(conn.counters().disconnects(DisconnectKind::Connect), 1);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// Refused and slow accepts are retried; the connect timeout bounds a slow handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_slow_accepts_are_retried() {
    init_tracing();
    let sim = sim().await;
    sim.set_accept_fault(AcceptFault::Refuse, 3);
    let mut conn = spawn(Setup::new(sim.ws_url("/test"), &["t"]), config());
    assert!(data_flows(&conn, 1).await);
    assert_eq!(conn.counters().connect_attempts, 4);
    conn.close().await.unwrap();

    sim.set_accept_fault(AcceptFault::Slow(Duration::from_secs(3)), 1);
    let mut cfg = config();
    cfg.connect_timeout = Duration::from_millis(300);
    let mut conn = spawn(Setup::new(sim.ws_url("/test"), &["t"]), cfg);
    assert!(data_flows(&conn, 1).await);
    let causes = conn.with_session(|s| s.seen.disconnects.clone());
    assert!(
        causes.is_empty(),
        "a failed attempt is not a disconnect of the session"
    );
    assert_eq!(conn.counters().errors, 1, "one timed-out attempt");
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// A stream that keeps failing is retried with growing delays (the exact values are
/// checked on a fake clock in `policy.rs`; here only that backoff applies to real attempts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_spaces_out_failed_attempts() {
    init_tracing();
    let sim = sim().await;
    sim.set_accept_fault(AcceptFault::Refuse, 4);
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.policy.initial_delay = Duration::from_millis(50);
    setup.policy.max_delay = Duration::from_secs(1);
    let mut conn = spawn(setup, config());
    assert!(data_flows(&conn, 1).await);
    let times = sim.connect_attempt_times();
    assert_eq!(times.len(), 5);
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    // Policy: 50, 100, 200, 400 ms (no jitter). Scheduling only ever adds delay.
    for (gap, expected) in gaps.iter().zip([50u64, 100, 200, 400]) {
        assert!(*gap >= Duration::from_millis(expected - 5), "{gaps:?}");
    }
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_switches_without_a_gap() {
    init_tracing();
    let sim = sim().await;
    let mut setup = Setup::new(sim.ws_url("/test"), &["r"]);
    setup.max_lifetime = Some(Duration::from_millis(300));
    let mut conn = spawn(setup, config());
    assert!(eventually(WAIT, || conn.counters().rotations >= 3).await);
    let seen = conn.with_session(|s| s.seen.data_frames);
    assert!(data_flows(&conn, seen + 5).await);
    let counters = conn.counters();
    conn.with_session(|s| {
        assert_eq!(
            s.seen.gaps_within_connection, 0,
            "no sequence skipped across rotations"
        );
        assert!(
            s.seen.disconnects.is_empty(),
            "rotation is not a disconnect"
        );
    });
    assert_eq!(counters.reconnects, 0);
    assert!(counters.connects == 1);
    // Old sockets are closed after each switch.
    assert!(eventually(WAIT, || sim.open_connections() == 1).await);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// Queued mode, slow consumer: trades overflow by dropping (counted, no reconnect).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_overflow_drops_and_counts_trades() {
    init_tracing();
    let sim = sim().await;
    let mut setup = Setup::new(sim.ws_url("/test"), &["q"]);
    setup.data_kind = StreamKind::Trade;
    setup.slow_handler = Some(Duration::from_millis(2));
    let mut cfg = config();
    cfg.processing = Processing::Queued(QueueConfig::with_capacity(16));
    let mut conn = spawn(setup, cfg);
    assert!(data_flows(&conn, 1).await);
    sim.test_venue().publish_burst("q", 500);
    assert!(eventually(WAIT, || conn.counters().dropped(StreamKind::Trade) > 0).await);
    let counters = conn.counters();
    assert_eq!(counters.connects, 1, "trades never force a reconnect");
    assert!(counters.queue_high_water >= 16);
    assert_eq!(counters.overflow_resyncs, 0);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// Queued mode, slow consumer: a book stream never drops; overflow forces a reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_overflow_on_book_stream_reconnects() {
    init_tracing();
    let sim = sim().await;
    let mut setup = Setup::new(sim.ws_url("/test"), &["q"]);
    setup.data_kind = StreamKind::Book;
    setup.slow_handler = Some(Duration::from_millis(2));
    let mut cfg = config();
    cfg.processing = Processing::Queued(QueueConfig::with_capacity(16));
    let mut conn = spawn(setup, cfg);
    assert!(data_flows(&conn, 1).await);
    sim.test_venue().publish_burst("q", 500);
    assert!(eventually(WAIT, || conn.counters().overflow_resyncs >= 1).await);
    assert!(eventually(WAIT, || conn.counters().connects >= 2).await);
    assert_eq!(conn.counters().dropped(StreamKind::Trade), 0);
    assert!(conn.with_session(|s| {
        s.seen
            .disconnects
            .iter()
            .any(|c| matches!(c, DisconnectCause::QueueOverflow(StreamKind::Book)))
    }));
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ends_every_task_and_reports_states() {
    init_tracing();
    let sim = sim().await;
    let states = Arc::new(Mutex::new(Vec::new()));
    let recorded = states.clone();
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.ping.app_ping_interval = Some(Duration::from_millis(20));
    let mut conn =
        Connection::spawn_with_state_callback(TestSession::new(setup), config(), move |s| {
            recorded.lock().unwrap().push(s)
        })
        .unwrap();
    assert!(data_flows(&conn, 3).await);
    sim.inject(Fault::Drop);
    assert!(eventually(WAIT, || conn.counters().connects == 2).await);
    conn.send_message(OutFrame::text(r#"{"op":"ping"}"#))
        .await
        .unwrap();
    let started = Instant::now();
    conn.close().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(conn.state(), ConnectionState::Closed);
    assert!(eventually(WAIT, || sim.open_connections() == 0).await);
    // Nothing is left running: no more frames reach the simulator, and commands fail.
    let attempts = sim.connect_attempts();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.connect_attempts(), attempts);
    assert_eq!(conn.command("x".into()).await, Err(WsError::Closed));
    assert_eq!(
        *states.lock().unwrap(),
        vec![
            ConnectionState::Connecting,
            ConnectionState::Connected,
            ConnectionState::Reconnecting,
            ConnectionState::Connected,
            ConnectionState::Closing,
            ConnectionState::Closed,
        ]
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_message_without_a_socket_is_not_connected() {
    init_tracing();
    let sim = sim().await;
    sim.set_accept_fault(AcceptFault::Refuse, 1000);
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.policy.initial_delay = Duration::from_millis(200);
    let mut conn = spawn(setup, config());
    assert!(eventually(WAIT, || sim.connect_attempts() >= 1).await);
    assert_eq!(
        conn.send_message(OutFrame::text("hello")).await,
        Err(WsError::NotConnected)
    );
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_with_test_root_works_and_untrusted_is_refused() {
    init_tracing();
    let sim = Simulator::start(SimConfig {
        transport: Transport::Tls,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let url = sim.ws_url("/test");
    assert!(url.starts_with("wss://"));
    let root = sim.tls_root_der().expect("tls root");

    let mut trusted = config();
    trusted.tls_roots = TlsRoots::Custom(vec![root]);
    let mut conn = spawn(Setup::new(url.clone(), &["t"]), trusted);
    assert!(data_flows(&conn, 3).await);
    conn.close().await.unwrap();

    // The public roots do not include the simulator's test root: refused, and a
    // certificate failure is not retried.
    let mut conn = spawn(Setup::new(url, &["t"]), config());
    assert_eq!(
        conn.wait_for_state(WAIT, |s| s == ConnectionState::Error)
            .await,
        Some(ConnectionState::Error)
    );
    assert_eq!(conn.with_session(|s| s.seen.connects), 0);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_commands_and_manual_reconnect() {
    init_tracing();
    let sim = sim().await;
    let mut events = sim.subscribe_events();
    let mut conn = spawn(Setup::new(sim.ws_url("/test"), &["t"]), config());
    assert!(data_flows(&conn, 1).await);
    conn.command(r#"{"op":"subscribe","id":99,"topic":"extra"}"#.into())
        .await
        .unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|s| s.seen.last_seq.contains_key("extra")))
        .await
    );
    conn.reconnect().await.unwrap();
    assert!(eventually(WAIT, || conn.counters().connects == 2).await);
    assert_eq!(conn.counters().disconnects(DisconnectKind::User), 1);
    let mut saw_extra = false;
    while let Ok(event) = events.try_recv() {
        if let SimEvent::Received { text, .. } = event {
            saw_extra |= text.contains("extra");
        }
    }
    assert!(saw_extra);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// Several connections sharing one connect-rate limit cannot storm the venue together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_connect_limit_caps_a_pool() {
    init_tracing();
    let sim = sim().await;
    sim.set_accept_fault(AcceptFault::Refuse, 1000);
    let limiter = ws_core::ConnectLimiter::new(ws_core::ConnectRateLimit {
        max_attempts: 3,
        window: Duration::from_secs(5),
    });
    let mut pool = Vec::new();
    for _ in 0..4 {
        let mut cfg = config();
        cfg.shared_connect_limit = Some(limiter.clone());
        let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
        setup.policy.initial_delay = Duration::from_millis(10);
        pool.push(spawn(setup, cfg));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        sim.connect_attempts(),
        3,
        "four failing connections, three attempts allowed"
    );
    for conn in &mut pool {
        conn.close().await.unwrap();
    }
    sim.shutdown().await;
}

/// A pool runs one connection per session and sums their counters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_runs_every_shard() {
    init_tracing();
    let sim = sim().await;
    let sessions =
        (0..3).map(|i| TestSession::new(Setup::new(sim.ws_url("/test"), &[["p0", "p1", "p2"][i]])));
    let mut pool = ws_core::ConnectionPool::spawn(
        sessions,
        config(),
        ws_core::ConnectRateLimit {
            max_attempts: 10,
            window: Duration::from_secs(1),
        },
    )
    .unwrap();
    assert_eq!(pool.len(), 3);
    assert!(
        eventually(WAIT, || pool
            .connections()
            .iter()
            .all(|c| c.with_session(|s| s.seen.data_frames > 3)))
        .await
    );
    assert_eq!(pool.counters().connects, 3);
    assert!(pool.stats().latency.len() > 9);
    assert!(
        pool.states()
            .iter()
            .all(|s| *s == ConnectionState::Connected)
    );
    pool.close().await.unwrap();
    assert!(pool.states().iter().all(|s| *s == ConnectionState::Closed));
    sim.shutdown().await;
}

/// Protocol pings from the venue are answered with pongs carrying the same payload, and a
/// ping counts as inbound traffic for the idle watchdog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_pings_are_answered() {
    init_tracing();
    let sim = sim().await;
    let mut conn = spawn(Setup::new(sim.ws_url("/test"), &[]), config());
    assert!(eventually(WAIT, || conn.state() == ConnectionState::Connected).await);
    for i in 0..3u8 {
        assert_eq!(sim.inject(Fault::Ping(vec![b'p', i])), 1);
    }
    assert!(eventually(WAIT, || sim.stats().pongs_received == 3).await);
    assert_eq!(conn.counters().pongs_sent, 3);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// REST work before the first connect (a listen key): the connection waits for it, and a
/// rejection raised from the REST answer stops everything without a connect attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_before_connect_and_rejection_before_connect() {
    init_tracing();
    let sim = sim().await;
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.prepare_url = Some(sim.http_url("/test/snapshot?topic=t"));
    let mut conn = spawn(setup, config());
    assert!(data_flows(&conn, 1).await);
    assert_eq!(
        conn.with_session(|s| s.seen.rest_answers.clone()),
        vec![200]
    );
    conn.close().await.unwrap();

    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.prepare_url = Some(sim.http_url("/test/snapshot?topic=t"));
    setup.reject_prepare = true;
    let attempts = sim.connect_attempts();
    let mut conn = spawn(setup, config());
    assert_eq!(
        conn.wait_for_state(WAIT, |s| s == ConnectionState::Error)
            .await,
        Some(ConnectionState::Error)
    );
    assert_eq!(
        sim.connect_attempts(),
        attempts,
        "no connect attempt after a rejection"
    );
    assert_eq!(conn.counters().disconnects(DisconnectKind::Fatal), 1);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// `on_close` runs whether or not a socket is open, so clean-up REST calls are made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_runs_session_clean_up_even_while_disconnected() {
    init_tracing();
    let sim = sim().await;
    let mut setup = Setup::new(sim.ws_url("/test"), &["t"]);
    setup.close_url = Some(sim.http_url("/test/snapshot?topic=t"));
    let mut conn = spawn(setup.clone(), config());
    assert!(data_flows(&conn, 1).await);
    let before = sim.stats().http_requests;
    conn.close().await.unwrap();
    assert_eq!(
        sim.stats().http_requests,
        before + 1,
        "clean-up sent while connected"
    );

    // Upgrades fail (REST still works), so the connection is between attempts.
    sim.set_accept_fault(
        AcceptFault::HttpStatus {
            status: 503,
            retry_after_secs: None,
        },
        1000,
    );
    let mut conn = spawn(setup, config());
    assert!(eventually(WAIT, || sim.connect_attempts() >= 2).await);
    let before = sim.stats().http_requests;
    conn.close().await.unwrap();
    assert_eq!(
        sim.stats().http_requests,
        before + 1,
        "clean-up sent while disconnected"
    );
    assert_eq!(
        conn.with_session(|s| s.seen.rest_answers.clone()),
        vec![200]
    );
    sim.shutdown().await;
}
