//! Reconnection policy and the backoff state machine that applies it.
//!
//! [`Backoff`] reads no clock and draws no random numbers: the driver passes the current
//! `Instant` and a jitter sample in `[0, 1)`, so tests run it on a fake clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How many attempts a policy allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxAttempts {
    /// Retry forever (with backoff).
    Unlimited,
    /// Give up after this many consecutive failed attempts.
    Limited(u32),
}

/// What a session decided about a lost connection (`should_reconnect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconnectDecision {
    /// Retry with the policy's backoff.
    Retry,
    /// Retry, but not before this long (the server's `Retry-After`).
    RetryAfter(Duration),
    /// Do not retry; the connection ends in `ERROR`.
    Stop,
}

/// Limits how many connection attempts may start within a window, whatever the backoff
/// says, so that many failing connections cannot storm a venue's per-IP limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectRateLimit {
    /// Attempts allowed per window.
    pub max_attempts: u32,
    /// The window.
    pub window: Duration,
}

/// The plan's `ReconnectionPolicy`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReconnectionPolicy {
    /// Delay before the first retry.
    pub initial_delay: Duration,
    /// Growth per consecutive failure (1.0 = constant).
    pub backoff_factor: f64,
    /// Cap on the delay.
    pub max_delay: Duration,
    /// Consecutive failures allowed before the connection stops for good (`ERROR`).
    pub max_attempts: MaxAttempts,
    /// At this many consecutive failures the connection reports itself failed
    /// ([`crate::ConnectionState::Failed`], a counter, one log line) and goes on retrying
    /// at its capped delay until it connects, the user closes it or `max_attempts` is
    /// spent. `None` never reports.
    pub report_failed_after: Option<u32>,
    /// Spread as a fraction of the delay: 0.2 means ±20 %.
    pub jitter: f64,
    /// A close without status (1005) after a healthy session retries after `initial_delay`
    /// without growing the delay and without spending an attempt (some venues send these
    /// routinely). A run of [`NO_STATUS_RUN_COUNTED`] such closes with no healthy session
    /// between them counts as failed attempts, so a venue that closes every new
    /// connection this way is backed off and reported like any other failure.
    pub reset_on_1005: bool,
    /// Storm protection.
    pub connect_rate: ConnectRateLimit,
    /// A connection that stayed up this long counts as healthy and resets the backoff even
    /// if the session never signalled `Ready`.
    pub stable_after: Duration,
}

impl ReconnectionPolicy {
    /// The defaults every venue starts from: 0.5 s doubling to a 30 s cap, ±20 % jitter,
    /// retried without limit (authentication failures stop regardless) and reported failed
    /// after 15 consecutive failures (a venue's maintenance must not need a restart), at most 10 attempts
    /// per 10 s, the backoff forgotten after 30 s connected. Venues override fields with
    /// `..ReconnectionPolicy::DEFAULT`, so each value is written once.
    pub const DEFAULT: ReconnectionPolicy = ReconnectionPolicy {
        initial_delay: Duration::from_millis(500),
        backoff_factor: 2.0,
        max_delay: Duration::from_secs(30),
        max_attempts: MaxAttempts::Unlimited,
        report_failed_after: Some(15),
        jitter: 0.2,
        reset_on_1005: false,
        connect_rate: ConnectRateLimit {
            max_attempts: 10,
            window: Duration::from_secs(10),
        },
        stable_after: Duration::from_secs(30),
    };
}

impl Default for ReconnectionPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// With `reset_on_1005`, this many 1005 closes in a row without a healthy session between
/// them count as failed attempts (the whole run at once, then one per close).
pub const NO_STATUS_RUN_COUNTED: u32 = 3;

/// Why a failure was recorded, as far as the backoff cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A close without status (1005).
    NoStatus,
    /// Anything else.
    Other,
}

/// The backoff state of one connection.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: ReconnectionPolicy,
    consecutive_failures: u32,
    /// 1005 closes since the last healthy session (`reset`).
    no_status_run: u32,
    // Bounded by the rate limit's `max_attempts`: starts older than its window are popped.
    attempt_starts: VecDeque<Instant>,
}

impl Backoff {
    /// A fresh backoff for `policy`.
    pub fn new(policy: ReconnectionPolicy) -> Self {
        let window_len = usize::try_from(policy.connect_rate.max_attempts).unwrap_or(usize::MAX);
        Self {
            policy,
            consecutive_failures: 0,
            no_status_run: 0,
            attempt_starts: VecDeque::with_capacity(window_len.min(1024)),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &ReconnectionPolicy {
        &self.policy
    }

    /// Replaces the policy (a session may change it between attempts).
    pub fn set_policy(&mut self, policy: ReconnectionPolicy) {
        self.policy = policy;
    }

    /// Consecutive failures counted toward `max_attempts`.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// The connection delivered (or stayed up long enough): start over.
    pub fn reset(&mut self) {
        self.consecutive_failures = 0;
        self.no_status_run = 0;
    }

    /// Records a failure and returns how long to wait before the next attempt, or `None`
    /// when the attempt budget is spent or the decision is to stop.
    /// `jitter_sample` must be in `[0, 1)`.
    pub fn on_failure(
        &mut self,
        decision: ReconnectDecision,
        kind: FailureKind,
        jitter_sample: f64,
    ) -> Option<Duration> {
        if decision == ReconnectDecision::Stop {
            return None;
        }
        let counted = if kind == FailureKind::NoStatus && self.policy.reset_on_1005 {
            self.no_status_run = self.no_status_run.saturating_add(1);
            match self.no_status_run.cmp(&NO_STATUS_RUN_COUNTED) {
                std::cmp::Ordering::Less => 0,
                // The whole run counts at once.
                std::cmp::Ordering::Equal => NO_STATUS_RUN_COUNTED,
                std::cmp::Ordering::Greater => 1,
            }
        } else {
            1
        };
        let base = if counted == 0 {
            self.policy.initial_delay
        } else {
            self.consecutive_failures = self.consecutive_failures.saturating_add(counted);
            if let MaxAttempts::Limited(max) = self.policy.max_attempts
                && self.consecutive_failures > max
            {
                return None;
            }
            self.grown_delay()
        };
        let jittered = self.apply_jitter(base, jitter_sample);
        Some(match decision {
            ReconnectDecision::RetryAfter(after) => jittered.max(after),
            _ => jittered,
        })
    }

    /// How long to wait, from `now`, before an attempt is allowed by the connect-rate limit.
    /// Call right before connecting; when it returns zero the attempt is recorded.
    pub fn rate_limit_wait(&mut self, now: Instant) -> Duration {
        let limit = self.policy.connect_rate;
        while let Some(&oldest) = self.attempt_starts.front() {
            if now.saturating_duration_since(oldest) >= limit.window {
                self.attempt_starts.pop_front();
            } else {
                break;
            }
        }
        let max = usize::try_from(limit.max_attempts.max(1)).unwrap_or(usize::MAX);
        if self.attempt_starts.len() >= max
            && let Some(&oldest) = self.attempt_starts.front()
        {
            return window_end(oldest, limit.window, now);
        }
        self.attempt_starts.push_back(now);
        Duration::ZERO
    }

    fn grown_delay(&self) -> Duration {
        let exponent = self.consecutive_failures.saturating_sub(1).min(64);
        let factor = self.policy.backoff_factor.max(1.0).powi(exponent as i32);
        let secs = self.policy.initial_delay.as_secs_f64() * factor;
        let capped = secs.min(self.policy.max_delay.as_secs_f64());
        Duration::try_from_secs_f64(capped).unwrap_or(self.policy.max_delay)
    }

    fn apply_jitter(&self, base: Duration, sample: f64) -> Duration {
        let jitter = self.policy.jitter.clamp(0.0, 1.0);
        let sample = if sample.is_finite() {
            sample.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let scale = 1.0 + jitter * (2.0 * sample - 1.0);
        let secs = (base.as_secs_f64() * scale).min(self.policy.max_delay.as_secs_f64());
        Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(base)
    }
}

/// How long from `now` until the window opened at `oldest` ends; a window too long for the
/// clock waits the whole window instead of overflowing.
fn window_end(oldest: Instant, window: Duration, now: Instant) -> Duration {
    oldest
        .checked_add(window)
        .map_or(window, |end| end.saturating_duration_since(now))
}

mod jitter;
mod limiter;
#[cfg(test)]
mod tests;

pub use jitter::JitterSource;
pub use limiter::ConnectLimiter;
