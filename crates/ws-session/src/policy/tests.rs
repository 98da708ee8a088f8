//! The backoff, the rate limits and the jitter source on a fake clock.

use super::*;

fn policy() -> ReconnectionPolicy {
    ReconnectionPolicy {
        initial_delay: Duration::from_millis(100),
        backoff_factor: 2.0,
        max_delay: Duration::from_millis(1000),
        max_attempts: MaxAttempts::Limited(5),
        jitter: 0.0,
        reset_on_1005: false,
        report_failed_after: None,
        connect_rate: ConnectRateLimit {
            max_attempts: 3,
            window: Duration::from_secs(10),
        },
        stable_after: Duration::from_secs(30),
    }
}

#[test]
fn delays_grow_by_factor_up_to_cap_then_budget_ends() {
    let mut b = Backoff::new(policy());
    let delays: Vec<_> = (0..6)
        .map(|_| b.on_failure(ReconnectDecision::Retry, FailureKind::Other, 0.5))
        .collect();
    let ms = |d: u64| Some(Duration::from_millis(d));
    assert_eq!(
        delays,
        vec![ms(100), ms(200), ms(400), ms(800), ms(1000), None]
    );
}

#[test]
fn reset_starts_over() {
    let mut b = Backoff::new(policy());
    for _ in 0..3 {
        b.on_failure(ReconnectDecision::Retry, FailureKind::Other, 0.5);
    }
    b.reset();
    assert_eq!(
        b.on_failure(ReconnectDecision::Retry, FailureKind::Other, 0.5),
        Some(Duration::from_millis(100))
    );
}

#[test]
fn unlimited_never_gives_up() {
    let mut p = policy();
    p.max_attempts = MaxAttempts::Unlimited;
    let mut b = Backoff::new(p);
    for _ in 0..10_000 {
        let d = b.on_failure(ReconnectDecision::Retry, FailureKind::Other, 0.3);
        assert!(d.is_some_and(|d| d <= Duration::from_millis(1000)));
    }
}

#[test]
fn reset_on_1005_keeps_initial_delay_and_spends_no_attempt() {
    let mut p = policy();
    p.reset_on_1005 = true;
    let mut b = Backoff::new(p);
    // Each 1005 ends a healthy session (reset), so none of them counts.
    for _ in 0..100 {
        assert_eq!(
            b.on_failure(ReconnectDecision::Retry, FailureKind::NoStatus, 0.5),
            Some(Duration::from_millis(100))
        );
        b.reset();
    }
    assert_eq!(b.consecutive_failures(), 0);
    // Without the flag a 1005 is an ordinary failure.
    let mut plain = Backoff::new(policy());
    plain.on_failure(ReconnectDecision::Retry, FailureKind::NoStatus, 0.5);
    assert_eq!(
        plain.on_failure(ReconnectDecision::Retry, FailureKind::NoStatus, 0.5),
        Some(Duration::from_millis(200))
    );
}

#[test]
fn jitter_stays_within_band_and_cap() {
    let mut p = policy();
    p.jitter = 0.2;
    p.max_attempts = MaxAttempts::Unlimited;
    let mut b = Backoff::new(p);
    let low = b.on_failure(ReconnectDecision::Retry, FailureKind::Other, 0.0);
    assert_eq!(low, Some(Duration::from_millis(80)));
    b.reset();
    let high = b.on_failure(ReconnectDecision::Retry, FailureKind::Other, 0.999_999);
    assert!(
        high.is_some_and(|d| d > Duration::from_millis(119) && d <= Duration::from_millis(120))
    );
    for _ in 0..20 {
        let d = b.on_failure(ReconnectDecision::Retry, FailureKind::Other, 0.999_999);
        assert!(d.is_some_and(|d| d <= Duration::from_millis(1000)));
    }
}

#[test]
fn retry_after_is_a_floor() {
    let mut b = Backoff::new(policy());
    assert_eq!(
        b.on_failure(
            ReconnectDecision::RetryAfter(Duration::from_secs(3)),
            FailureKind::Other,
            0.5
        ),
        Some(Duration::from_secs(3))
    );
}

#[test]
fn stop_returns_none() {
    let mut b = Backoff::new(policy());
    assert_eq!(
        b.on_failure(ReconnectDecision::Stop, FailureKind::Other, 0.5),
        None
    );
}

#[test]
fn connect_rate_limit_on_fake_clock() {
    let mut b = Backoff::new(policy());
    let t0 = Instant::now();
    assert_eq!(b.rate_limit_wait(t0), Duration::ZERO);
    assert_eq!(
        b.rate_limit_wait(t0 + Duration::from_secs(1)),
        Duration::ZERO
    );
    assert_eq!(
        b.rate_limit_wait(t0 + Duration::from_secs(2)),
        Duration::ZERO
    );
    // Fourth attempt within the 10 s window must wait until the first one ages out.
    assert_eq!(
        b.rate_limit_wait(t0 + Duration::from_secs(3)),
        Duration::from_secs(7)
    );
    assert_eq!(
        b.rate_limit_wait(t0 + Duration::from_secs(10)),
        Duration::ZERO
    );
}

#[test]
fn shared_limiter_counts_every_clone() {
    let a = ConnectLimiter::new(ConnectRateLimit {
        max_attempts: 2,
        window: Duration::from_secs(1),
    });
    let b = a.clone();
    assert_eq!(a, b);
    let t0 = Instant::now();
    assert_eq!(a.wait(t0), Duration::ZERO);
    assert_eq!(b.wait(t0), Duration::ZERO);
    assert_eq!(
        a.wait(t0 + Duration::from_millis(100)),
        Duration::from_millis(900)
    );
    assert_eq!(b.wait(t0 + Duration::from_secs(1)), Duration::ZERO);
}

#[test]
fn jitter_source_is_deterministic_and_in_range() {
    let mut a = JitterSource::new(42);
    let mut b = JitterSource::new(42);
    for _ in 0..1000 {
        let x = a.sample();
        assert_eq!(x, b.sample());
        assert!((0.0..1.0).contains(&x));
    }
}

#[test]
fn os_seeded_jitter_sources_differ() {
    let draw = |mut j: JitterSource| (0..4).map(|_| j.sample()).collect::<Vec<_>>();
    assert_ne!(draw(JitterSource::from_os()), draw(JitterSource::from_os()));
}

#[test]
fn a_run_of_1005_without_a_reset_spends_attempts() {
    let mut p = policy();
    p.reset_on_1005 = true;
    let mut b = Backoff::new(p);
    let ms = |d: u64| Some(Duration::from_millis(d));
    let delays: Vec<_> = (0..5)
        .map(|_| b.on_failure(ReconnectDecision::Retry, FailureKind::NoStatus, 0.5))
        .collect();
    // Two free retries, then the whole run of three counts, then one per close.
    assert_eq!(delays, vec![ms(100), ms(100), ms(400), ms(800), ms(1000)]);
    assert_eq!(b.consecutive_failures(), 5);
}
