//! A connect-rate limit shared by several connections.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{ConnectRateLimit, window_end};

/// A connect-rate limit shared by several connections to one venue (a pool of
/// connections to a venue that caps subscriptions per connection, say), so that together they cannot exceed the venue's per-IP limits.
/// Cloning shares the same window.
#[derive(Clone)]
pub struct ConnectLimiter {
    limit: ConnectRateLimit,
    // Bounded by `limit.max_attempts`: starts older than the window are popped first.
    starts: std::sync::Arc<std::sync::Mutex<VecDeque<Instant>>>,
}

impl std::fmt::Debug for ConnectLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectLimiter")
            .field("limit", &self.limit)
            .finish()
    }
}

impl PartialEq for ConnectLimiter {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.starts, &other.starts)
    }
}

impl Eq for ConnectLimiter {}

impl ConnectLimiter {
    /// A limiter allowing `limit.max_attempts` attempts per `limit.window` in total.
    pub fn new(limit: ConnectRateLimit) -> Self {
        Self {
            limit,
            starts: std::sync::Arc::default(),
        }
    }

    /// How long to wait from `now` before an attempt is allowed; when zero, the attempt is
    /// recorded.
    pub fn wait(&self, now: Instant) -> Duration {
        let mut starts = self.starts.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(&oldest) = starts.front() {
            if now.saturating_duration_since(oldest) >= self.limit.window {
                starts.pop_front();
            } else {
                break;
            }
        }
        let max = usize::try_from(self.limit.max_attempts.max(1)).unwrap_or(usize::MAX);
        if starts.len() >= max
            && let Some(&oldest) = starts.front()
        {
            return window_end(oldest, self.limit.window, now);
        }
        starts.push_back(now);
        Duration::ZERO
    }
}
