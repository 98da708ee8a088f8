//! The lifecycle on a fake clock: every test drives the machine with scripted inputs.

use super::*;
use crate::policy::{ConnectRateLimit, MaxAttempts};

fn policy() -> ReconnectionPolicy {
    ReconnectionPolicy {
        initial_delay: Duration::from_millis(100),
        backoff_factor: 2.0,
        max_delay: Duration::from_secs(10),
        max_attempts: MaxAttempts::Limited(3),
        jitter: 0.0,
        reset_on_1005: false,
        report_failed_after: None,
        connect_rate: ConnectRateLimit {
            max_attempts: 100,
            window: Duration::from_secs(10),
        },
        stable_after: Duration::from_secs(30),
    }
}

fn context() -> ConnectionContext {
    let mut ctx = ConnectionContext::new("test", "ws://127.0.0.1:1/");
    ctx.ping.idle_timeout = Some(Duration::from_secs(5));
    ctx.tick_interval = Duration::from_secs(1);
    ctx
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn drain(m: &mut ConnectionMachine) -> Vec<ConnectionAction> {
    std::iter::from_fn(|| m.poll_action()).collect()
}

/// A machine plus a fake clock.
struct Clock {
    m: ConnectionMachine,
    now: Instant,
}

impl Clock {
    fn new(policy: ReconnectionPolicy) -> Self {
        let now = Instant::now();
        Self {
            m: ConnectionMachine::new(policy, Some(7), None, now),
            now,
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    /// Moves the clock to the next deadline and fires it.
    fn fire(&mut self) -> Vec<ConnectionAction> {
        if let Some(at) = self.m.poll_timeout() {
            self.now = self.now.max(at);
        }
        self.m.handle_timeout(self.now);
        drain(&mut self.m)
    }

    /// Expects a connect request (after any rate-limit waits) and returns its socket.
    fn expect_connect(&mut self) -> SocketId {
        for _ in 0..3 {
            let actions = self.fire();
            if let Some(ConnectionAction::Connect { socket }) = actions.last() {
                return *socket;
            }
        }
        panic!("no Connect after three timeouts");
    }

    fn connect(&mut self, ctx: &ConnectionContext) -> SocketId {
        let socket = self.expect_connect();
        self.m.handle_connected(self.now, socket, ctx);
        drain(&mut self.m);
        socket
    }

    /// Fails the pending attempt with `cause` (default classification); returns the wait.
    fn fail(&mut self, cause: DisconnectCause) -> Option<Duration> {
        let decision = cause.default_decision();
        self.m.handle_disconnected(self.now, &cause, decision);
        let actions = drain(&mut self.m);
        if actions.contains(&ConnectionAction::Finish(ConnectionState::Error)) {
            return None;
        }
        self.m.poll_timeout().map(|at| at - self.now)
    }
}

fn refused() -> DisconnectCause {
    DisconnectCause::ConnectFailed("refused".into())
}

#[test]
fn first_attempt_is_immediate_and_reports_connecting_then_connected() {
    let mut c = Clock::new(policy());
    let start = c.now;
    let actions = c.fire();
    assert_eq!(c.now, start);
    assert_eq!(
        actions,
        vec![
            ConnectionAction::ReportState(ConnectionState::Connecting),
            ConnectionAction::Connect {
                socket: SocketId(1)
            }
        ]
    );
    c.m.handle_connected(c.now, SocketId(1), &context());
    assert_eq!(
        drain(&mut c.m),
        vec![ConnectionAction::ReportState(ConnectionState::Connected)]
    );
    // The first tick runs right away, as tokio's interval does.
    assert_eq!(c.fire(), vec![ConnectionAction::Tick]);
}

#[test]
fn idle_timeout_fires_without_traffic_and_not_with_it() {
    let mut c = Clock::new(policy());
    let ctx = context();
    let socket = c.connect(&ctx);
    c.fire();
    // Traffic keeps the socket alive past the idle timeout.
    for _ in 0..10 {
        c.advance(Duration::from_secs(1));
        c.m.handle_frame_received(c.now);
        c.m.handle_timeout(c.now);
        assert!(
            drain(&mut c.m)
                .iter()
                .all(|a| !matches!(a, ConnectionAction::Disconnect { .. }))
        );
    }
    // Silence: the deadline is exactly last receive + idle timeout.
    let last = c.now;
    let mut fired = Vec::new();
    while fired.is_empty() {
        fired = c
            .fire()
            .into_iter()
            .filter(|a| matches!(a, ConnectionAction::Disconnect { .. }))
            .collect();
    }
    assert_eq!(c.now, last + Duration::from_secs(5));
    assert_eq!(
        fired,
        vec![ConnectionAction::Disconnect {
            socket,
            cause: DisconnectCause::IdleTimeout(Duration::from_secs(5)),
            close_code: None,
        }]
    );
}

#[test]
fn backoff_grows_and_resets_after_a_stable_connection() {
    let mut c = Clock::new(policy());
    c.expect_connect();
    assert_eq!(c.fail(refused()), Some(ms(100)));
    c.expect_connect();
    assert_eq!(c.fail(refused()), Some(ms(200)));
    c.expect_connect();
    assert_eq!(c.fail(refused()), Some(ms(400)));
    // A fourth failure would spend the budget; connect and stay up instead.
    let ctx = context();
    let socket = c.connect(&ctx);
    assert_eq!(c.m.backoff().consecutive_failures(), 3);
    // Stay up (with traffic) for `stable_after`.
    let opened = c.now;
    while c.now < opened + Duration::from_secs(30) {
        c.advance(Duration::from_secs(1));
        c.m.handle_frame_received(c.now);
        c.m.handle_timeout(c.now);
        drain(&mut c.m);
    }
    assert_eq!(c.m.backoff().consecutive_failures(), 0);
    c.m.handle_socket_ended(c.now, socket, DisconnectCause::ConnectionLost("eof".into()));
    assert!(matches!(
        drain(&mut c.m).as_slice(),
        [ConnectionAction::Disconnect { .. }]
    ));
    assert_eq!(
        c.fail(DisconnectCause::ConnectionLost("eof".into())),
        Some(ms(100))
    );
    assert_eq!(c.m.state(), ConnectionState::Reconnecting);
}

#[test]
fn ready_from_the_current_socket_resets_the_backoff() {
    let mut c = Clock::new(policy());
    c.expect_connect();
    c.fail(refused());
    c.expect_connect();
    c.fail(refused());
    let socket = c.connect(&context());
    // A Ready raised outside the socket's processing (a REST answer) does not count.
    c.m.handle_signal(c.now, None, &SessionSignal::Ready);
    assert_eq!(c.m.backoff().consecutive_failures(), 2);
    c.m.handle_signal(c.now, Some(socket), &SessionSignal::Ready);
    assert_eq!(c.m.backoff().consecutive_failures(), 0);
}

#[test]
fn max_attempts_ends_in_error() {
    let mut c = Clock::new(policy());
    for expected in [100, 200, 400] {
        c.expect_connect();
        assert_eq!(c.fail(refused()), Some(ms(expected)));
    }
    c.expect_connect();
    assert_eq!(c.fail(refused()), None);
    assert_eq!(c.m.poll_timeout(), None);
}

#[test]
fn retry_after_is_honoured() {
    let mut c = Clock::new(policy());
    c.expect_connect();
    let limited = DisconnectCause::HandshakeRejected {
        status: 429,
        retry_after: Some(Duration::from_secs(7)),
    };
    assert_eq!(c.fail(limited), Some(Duration::from_secs(7)));
    // Nothing happens before the deadline.
    let early = c.now + Duration::from_secs(6);
    c.m.handle_timeout(early);
    assert!(drain(&mut c.m).is_empty());
    c.now += Duration::from_secs(7);
    assert!(matches!(
        c.fire().last(),
        Some(ConnectionAction::Connect { .. })
    ));
}

#[test]
fn retry_after_of_u64_max_seconds_neither_panics_nor_parks_forever() {
    let mut c = Clock::new(policy());
    c.expect_connect();
    let hostile = DisconnectCause::HandshakeRejected {
        status: 503,
        retry_after: Some(Duration::from_secs(u64::MAX)),
    };
    assert_eq!(c.fail(hostile), Some(MAX_RECONNECT_WAIT));
    assert!(matches!(
        c.fire().last(),
        Some(ConnectionAction::Connect { .. })
    ));
}

#[test]
fn authentication_failure_stops() {
    let mut c = Clock::new(policy());
    let socket = c.connect(&context());
    c.m.handle_signal(
        c.now,
        Some(socket),
        &SessionSignal::AuthenticationFailed("bad key".into()),
    );
    let cause = DisconnectCause::AuthenticationFailed("bad key".into());
    assert_eq!(
        drain(&mut c.m),
        vec![ConnectionAction::Disconnect {
            socket,
            cause: cause.clone(),
            close_code: Some(1000),
        }]
    );
    assert_eq!(c.fail(cause), None);
}

#[test]
fn fatal_signal_before_connecting_aborts() {
    let mut c = Clock::new(policy());
    c.expect_connect();
    c.m.handle_signal(
        c.now,
        None,
        &SessionSignal::Fatal("listen key refused".into()),
    );
    assert_eq!(
        drain(&mut c.m),
        vec![
            ConnectionAction::Abort {
                cause: DisconnectCause::Fatal("listen key refused".into())
            },
            ConnectionAction::Finish(ConnectionState::Error),
        ]
    );
    // Nothing afterwards.
    c.m.handle_close(c.now);
    assert!(drain(&mut c.m).is_empty());
}

#[test]
fn session_reconnect_and_fatal_while_connected() {
    let mut c = Clock::new(policy());
    let socket = c.connect(&context());
    c.m.handle_signal(c.now, Some(socket), &SessionSignal::Reconnect("gap".into()));
    let cause = DisconnectCause::SessionRequested("gap".into());
    assert!(matches!(
        drain(&mut c.m).as_slice(),
        [ConnectionAction::Disconnect { cause: c1, .. }] if *c1 == cause
    ));
    assert_eq!(c.fail(cause), Some(ms(100)));
    let socket = c.connect(&context());
    c.m.handle_signal(c.now, None, &SessionSignal::Fatal("broken".into()));
    let cause = DisconnectCause::Fatal("broken".into());
    assert!(matches!(
        drain(&mut c.m).as_slice(),
        [ConnectionAction::Disconnect { socket: s, cause: c1, .. }] if *s == socket && *c1 == cause
    ));
    assert_eq!(c.fail(cause), None);
}

#[test]
fn connect_rate_limit_delays_attempts() {
    let mut p = policy();
    p.max_attempts = MaxAttempts::Unlimited;
    p.initial_delay = ms(10);
    p.backoff_factor = 1.0;
    p.connect_rate = ConnectRateLimit {
        max_attempts: 2,
        window: Duration::from_secs(1),
    };
    let mut c = Clock::new(p);
    let start = c.now;
    c.expect_connect();
    c.fail(refused());
    c.expect_connect();
    c.fail(refused());
    // The third attempt waits for the window to pass the first one.
    c.expect_connect();
    assert_eq!(c.now, start + Duration::from_secs(1));
}

#[test]
fn shared_limit_is_applied_on_top() {
    let limiter = ConnectLimiter::new(ConnectRateLimit {
        max_attempts: 1,
        window: Duration::from_secs(2),
    });
    let now = Instant::now();
    assert_eq!(limiter.wait(now), Duration::ZERO);
    let mut m = ConnectionMachine::new(policy(), Some(1), Some(limiter), now);
    m.handle_timeout(now);
    assert_eq!(
        drain(&mut m),
        vec![ConnectionAction::ReportState(ConnectionState::Connecting)]
    );
    assert_eq!(m.poll_timeout(), Some(now + Duration::from_secs(2)));
    m.handle_timeout(now + Duration::from_secs(2));
    assert!(matches!(
        drain(&mut m).as_slice(),
        [ConnectionAction::Connect { .. }]
    ));
}

#[test]
fn rotation_is_scheduled_at_max_lifetime_and_switches() {
    let mut c = Clock::new(policy());
    let mut ctx = context();
    ctx.ping.idle_timeout = None;
    ctx.max_lifetime = Some(Duration::from_secs(60));
    let first = c.connect(&ctx);
    let opened = c.now;
    let rotation = loop {
        let actions = c.fire();
        if let Some(ConnectionAction::OpenRotation { socket }) = actions
            .iter()
            .find(|a| matches!(a, ConnectionAction::OpenRotation { .. }))
        {
            break *socket;
        }
    };
    assert_eq!(c.now, opened + Duration::from_secs(60));
    assert_ne!(rotation, first);
    c.m.handle_rotation_opened(c.now, rotation);
    // Only the replacement's first delivery switches.
    c.m.handle_rotation_delivering(c.now, first);
    assert!(drain(&mut c.m).is_empty());
    c.m.handle_rotation_delivering(c.now, rotation);
    assert_eq!(
        drain(&mut c.m),
        vec![ConnectionAction::SwitchToRotation { socket: rotation }]
    );
    assert_eq!(c.m.current_socket(), Some(rotation));
    // The old socket's late end is not a loss.
    c.m.handle_socket_ended(c.now, first, DisconnectCause::ConnectionLost("old".into()));
    assert!(drain(&mut c.m).is_empty());
    assert_eq!(c.m.state(), ConnectionState::Connected);
}

#[test]
fn failed_rotation_keeps_the_socket_and_retries_later() {
    let mut c = Clock::new(policy());
    let mut ctx = context();
    ctx.ping.idle_timeout = None;
    ctx.max_lifetime = Some(Duration::from_secs(60));
    let first = c.connect(&ctx);
    let rotation = loop {
        if let Some(ConnectionAction::OpenRotation { socket }) = c
            .fire()
            .into_iter()
            .find(|a| matches!(a, ConnectionAction::OpenRotation { .. }))
        {
            break socket;
        }
    };
    let failed_at = c.now;
    c.m.handle_socket_ended(c.now, rotation, DisconnectCause::ConnectTimeout);
    assert_eq!(
        drain(&mut c.m),
        vec![ConnectionAction::AbandonRotation { socket: rotation }]
    );
    assert_eq!(c.m.current_socket(), Some(first));
    let retry = loop {
        if let Some(ConnectionAction::OpenRotation { socket }) = c
            .fire()
            .into_iter()
            .find(|a| matches!(a, ConnectionAction::OpenRotation { .. }))
        {
            break socket;
        }
    };
    assert_eq!(c.now, failed_at + ROTATION_RETRY);
    assert_ne!(retry, rotation);
}

#[test]
fn pings_follow_their_intervals() {
    let mut c = Clock::new(policy());
    let mut ctx = context();
    ctx.ping.idle_timeout = None;
    ctx.tick_interval = Duration::from_secs(100);
    ctx.ping.app_ping_interval = Some(Duration::from_secs(3));
    ctx.ping.protocol_ping_interval = Some(Duration::from_secs(5));
    c.connect(&ctx);
    let start = c.now;
    let mut app = Vec::new();
    let mut protocol = Vec::new();
    while c.now < start + Duration::from_secs(15) {
        for action in c.fire() {
            match action {
                ConnectionAction::AppPing => app.push((c.now - start).as_secs()),
                ConnectionAction::ProtocolPing => protocol.push((c.now - start).as_secs()),
                _ => {}
            }
        }
    }
    assert_eq!(app, vec![3, 6, 9, 12, 15]);
    assert_eq!(protocol, vec![5, 10, 15]);
}

#[test]
fn user_reconnect_is_immediate_and_spends_no_attempt() {
    let mut c = Clock::new(policy());
    // Offline, a reconnect request changes nothing.
    c.m.handle_reconnect(c.now);
    assert!(drain(&mut c.m).is_empty());
    let socket = c.connect(&context());
    c.m.handle_reconnect(c.now);
    assert_eq!(
        drain(&mut c.m),
        vec![ConnectionAction::Disconnect {
            socket,
            cause: DisconnectCause::UserRequested,
            close_code: Some(1000),
        }]
    );
    assert_eq!(c.fail(DisconnectCause::UserRequested), Some(Duration::ZERO));
    assert_eq!(c.m.backoff().consecutive_failures(), 0);
    assert_eq!(c.m.state(), ConnectionState::Reconnecting);
}

#[test]
fn user_close_while_connected_and_while_waiting() {
    let mut c = Clock::new(policy());
    let mut ctx = context();
    ctx.max_lifetime = Some(Duration::from_secs(1));
    ctx.ping.idle_timeout = None;
    let socket = c.connect(&ctx);
    let rotation = loop {
        if let Some(ConnectionAction::OpenRotation { socket }) = c
            .fire()
            .into_iter()
            .find(|a| matches!(a, ConnectionAction::OpenRotation { .. }))
        {
            break socket;
        }
    };
    c.m.handle_close(c.now);
    assert_eq!(
        drain(&mut c.m),
        vec![
            ConnectionAction::AbandonRotation { socket: rotation },
            ConnectionAction::ReportState(ConnectionState::Closing),
            ConnectionAction::Close {
                socket: Some(socket)
            },
            ConnectionAction::Finish(ConnectionState::Closed),
        ]
    );
    assert_eq!(c.m.poll_timeout(), None);

    let mut c = Clock::new(policy());
    c.expect_connect();
    c.fail(refused());
    c.m.handle_close(c.now);
    assert_eq!(
        drain(&mut c.m),
        vec![
            ConnectionAction::ReportState(ConnectionState::Closing),
            ConnectionAction::Close { socket: None },
            ConnectionAction::Finish(ConnectionState::Closed),
        ]
    );
}

fn no_status() -> DisconnectCause {
    DisconnectCause::ClosedByPeer {
        code: None,
        reason: String::new(),
    }
}

#[test]
fn reset_on_1005_keeps_the_initial_delay_after_healthy_sessions() {
    // Replaces `reset_on_1005_keeps_the_initial_delay`: each session delivered first.
    let mut p = policy();
    p.reset_on_1005 = true;
    let mut c = Clock::new(p);
    for _ in 0..10 {
        let socket = c.connect(&context());
        c.m.handle_signal(c.now, Some(socket), &SessionSignal::Ready);
        c.m.handle_socket_ended(c.now, socket, no_status());
        drain(&mut c.m);
        assert_eq!(c.fail(no_status()), Some(ms(100)));
        assert_eq!(c.m.backoff().consecutive_failures(), 0);
    }
}

#[test]
fn a_run_of_1005_closes_without_data_counts_as_failed_attempts() {
    // A venue that answers every connect with a 1005 must not be retried at the initial
    // delay for ever: from the third close in a row the run counts and the delay grows.
    let mut p = policy();
    p.reset_on_1005 = true;
    // `policy()` allows three attempts.
    let mut c = Clock::new(p);
    let mut delays = Vec::new();
    for _ in 0..4 {
        let socket = c.connect(&context());
        c.m.handle_socket_ended(c.now, socket, no_status());
        drain(&mut c.m);
        delays.push(c.fail(no_status()));
    }
    assert_eq!(
        delays,
        vec![Some(ms(100)), Some(ms(100)), Some(ms(400)), None]
    );
}
#[test]
fn reports_from_stale_sockets_are_ignored() {
    let mut c = Clock::new(policy());
    let first = c.connect(&context());
    c.m.handle_socket_ended(c.now, first, refused());
    drain(&mut c.m);
    c.fail(refused());
    let second = c.connect(&context());
    c.m.handle_socket_ended(c.now, first, refused());
    c.m.handle_connected(c.now, first, &context());
    assert!(drain(&mut c.m).is_empty());
    assert_eq!(c.m.current_socket(), Some(second));
}

/// The delays of `n` refused attempts on a machine seeded with `seed`.
fn refused_delays(seed: Option<u64>, n: usize) -> Vec<Option<Duration>> {
    let mut p = policy();
    p.jitter = 0.5;
    p.max_attempts = MaxAttempts::Unlimited;
    let now = Instant::now();
    let mut c = Clock {
        m: ConnectionMachine::new(p, seed, None, now),
        now,
    };
    (0..n)
        .map(|_| {
            c.expect_connect();
            c.fail(refused())
        })
        .collect()
}

#[test]
fn default_seeded_machines_draw_different_jitter_and_fixed_seeds_repeat() {
    // A fleet restarted together must not reconnect in lock-step.
    assert_ne!(refused_delays(None, 8), refused_delays(None, 8));
    assert_eq!(refused_delays(Some(7), 8), refused_delays(Some(7), 8));
}

#[test]
fn reports_failed_after_the_limit_and_keeps_retrying_at_the_capped_delay() {
    // MEXC stopped for good after 15 attempts; a maintenance window must not need a restart.
    let mut p = policy();
    p.max_attempts = MaxAttempts::Unlimited;
    p.report_failed_after = Some(3);
    p.max_delay = ms(300);
    let mut c = Clock::new(p);
    let mut reports = 0;
    for attempt in 1..=20u32 {
        let actions = c.fire();
        assert!(
            matches!(actions.last(), Some(ConnectionAction::Connect { .. })),
            "{actions:?}"
        );
        let cause = refused();
        c.m.handle_disconnected(c.now, &cause, cause.default_decision());
        let actions = drain(&mut c.m);
        let reported = actions.iter().any(|a| {
            matches!(a, ConnectionAction::ReportFailed { consecutive_failures } if *consecutive_failures == attempt)
        });
        if reported {
            reports += 1;
            assert_eq!(attempt, 3);
            assert!(actions.contains(&ConnectionAction::ReportState(ConnectionState::Failed)));
        }
        assert!(
            !actions
                .iter()
                .any(|a| matches!(a, ConnectionAction::Finish(_)))
        );
        let wait = c.m.poll_timeout().map(|at| at - c.now);
        assert_eq!(
            wait,
            Some(ms([100, 200, 300][(attempt as usize - 1).min(2)]))
        );
        if attempt >= 3 {
            assert_eq!(c.m.state(), ConnectionState::Failed);
        }
    }
    assert_eq!(reports, 1);
    // The venue is back: connected, delivering, and a later run of failures reports again.
    let socket = c.connect(&context());
    assert_eq!(c.m.state(), ConnectionState::Connected);
    c.m.handle_signal(c.now, Some(socket), &SessionSignal::Ready);
    assert_eq!(c.m.backoff().consecutive_failures(), 0);
    c.m.handle_socket_ended(c.now, socket, refused());
    drain(&mut c.m);
    assert_eq!(c.fail(refused()), Some(ms(100)));
    assert_eq!(c.m.state(), ConnectionState::Reconnecting);
}

#[test]
fn no_failure_report_without_a_threshold_and_the_attempt_limit_still_stops() {
    let mut p = policy();
    p.report_failed_after = None;
    let mut c = Clock::new(p);
    let mut seen = Vec::new();
    for _ in 0..4 {
        c.expect_connect();
        let cause = refused();
        c.m.handle_disconnected(c.now, &cause, cause.default_decision());
        seen.extend(drain(&mut c.m));
    }
    assert!(
        !seen
            .iter()
            .any(|a| matches!(a, ConnectionAction::ReportFailed { .. }))
    );
    assert_eq!(
        seen.last(),
        Some(&ConnectionAction::Finish(ConnectionState::Error))
    );
}

#[test]
fn a_panicked_task_ends_the_connection_in_error_from_any_phase() {
    let mut c = Clock::new(policy());
    c.connect(&context());
    c.m.handle_task_panicked(c.now);
    assert_eq!(
        drain(&mut c.m),
        vec![ConnectionAction::Finish(ConnectionState::Error)]
    );
    assert_eq!(c.m.poll_timeout(), None);
    // Nothing follows a finish, not even a second panic report or a close.
    c.m.handle_task_panicked(c.now);
    c.m.handle_close(c.now);
    assert!(drain(&mut c.m).is_empty());
    // While waiting for an attempt too.
    let mut waiting = Clock::new(policy());
    waiting.m.handle_task_panicked(waiting.now);
    assert_eq!(
        drain(&mut waiting.m),
        vec![ConnectionAction::Finish(ConnectionState::Error)]
    );
}
