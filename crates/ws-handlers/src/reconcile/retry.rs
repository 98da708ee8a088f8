//! [`RetrySchedule`]: when a failed reconciliation call is asked again, and when it is
//! given up. The one place that decides it.

use std::time::{Duration, Instant};

use ws_session::{RestFailure, RestReply, Timestamp};

/// When a failed call is asked again: capped exponential backoff from `delay`, with up
/// to [`Self::JITTER`] more at random so processes restarted together spread out, never
/// sooner than the venue's `Retry-After`, and at least [`Self::BANNED_WAIT`] after an IP
/// ban (HTTP 418). A call that failed [`Self::MAX_ATTEMPTS`] times is given up (and
/// reported), so a round always ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    /// Wait after the first failure; doubled after each further one up to
    /// [`Self::MAX_WAIT`] (or `delay`, if larger).
    pub delay: Duration,
}

/// What the failed answer said about waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryHint {
    /// The venue's `Retry-After`.
    pub retry_after: Option<Duration>,
    /// HTTP 418: the IP is banned for a while.
    pub banned: bool,
}

impl RetryHint {
    /// The hint of one answer (none for a request that got no HTTP answer).
    pub fn of(result: &Result<RestReply, RestFailure>) -> RetryHint {
        match result {
            Ok(reply) => RetryHint {
                retry_after: reply.retry_after,
                banned: reply.status == 418,
            },
            Err(_) => RetryHint::default(),
        }
    }
}

impl RetrySchedule {
    /// The backoff stops growing here.
    pub const MAX_WAIT: Duration = Duration::from_secs(60);
    /// The least wait after an IP ban (HTTP 418).
    pub const BANNED_WAIT: Duration = Duration::from_secs(5 * 60);
    /// Failures of one call after which it is given up.
    pub const MAX_ATTEMPTS: u32 = 8;
    /// Random extra wait, as a fraction of the backoff.
    pub const JITTER: f64 = 0.2;
    /// A call the venue asks to leave for longer than this is given up rather than
    /// holding the round open (a huge `Retry-After`).
    pub const MAX_PARK: Duration = Duration::from_secs(60 * 60);

    /// The wait after the `failures`-th failure (from 1) of a call; `jitter` in `[0, 1)`.
    pub fn wait(&self, failures: u32, hint: RetryHint, jitter: f64) -> Duration {
        let cap = Self::MAX_WAIT.max(self.delay);
        let doublings = failures.saturating_sub(1).min(31);
        let backoff = self
            .delay
            .checked_mul(1u32 << doublings)
            .map_or(cap, |wait| wait.min(cap));
        let extra = backoff.mul_f64(jitter.clamp(0.0, 1.0) * Self::JITTER);
        let mut wait = backoff.saturating_add(extra);
        if let Some(after) = hint.retry_after {
            wait = wait.max(after);
        }
        if hint.banned {
            wait = wait.max(Self::BANNED_WAIT);
        }
        wait
    }

    /// Whether a call that failed `failures` times, and would now wait `wait`, is given
    /// up.
    #[inline]
    pub fn exhausted(&self, failures: u32, wait: Duration) -> bool {
        failures >= Self::MAX_ATTEMPTS || wait > Self::MAX_PARK.max(self.delay)
    }

    /// The time of the next attempt, `wait` after `now`: checked and capped (a
    /// `Retry-After` of `u64::MAX` seconds neither overflows nor parks the round for ever
    /// beyond [`ws_session::MAX_RECONNECT_WAIT`]).
    #[inline]
    pub fn next_attempt(&self, now: Timestamp, wait: Duration) -> Instant {
        ws_session::deadline_after(now.monotonic, wait)
    }
}
