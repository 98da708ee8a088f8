//! The open socket's timers: idle watchdog, stable reset, rotation, tick and pings.

use std::time::{Duration, Instant};

use super::{MIN_PERIOD, SocketId};

/// Timers and facts of the open socket.
#[derive(Debug)]
pub(super) struct Live {
    pub(super) socket: SocketId,
    pub(super) opened_at: Instant,
    pub(super) last_inbound: Instant,
    /// Delivered (`Ready`) or stayed up `stable_after`: the backoff has been reset.
    pub(super) settled: bool,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) tick: Periodic,
    pub(super) app_ping: Periodic,
    pub(super) protocol_ping: Periodic,
    pub(super) max_lifetime: Option<Duration>,
    pub(super) rotation: Rotation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rotation {
    /// Start a rotation at this time (`None`: never).
    Scheduled(Option<Instant>),
    /// The replacement is connecting.
    Opening(SocketId),
    /// The replacement is open and buffering; it opened at this time.
    Opened(SocketId, Instant),
}

/// A timer that fires every `period` after the last firing (tokio's
/// `MissedTickBehavior::Delay`). `next == None` never fires.
#[derive(Debug, Clone, Copy)]
pub(super) struct Periodic {
    pub(super) next: Option<Instant>,
    pub(super) period: Duration,
}

impl Periodic {
    pub(super) fn never() -> Self {
        Self {
            next: None,
            period: Duration::ZERO,
        }
    }

    pub(super) fn first_at(first: Option<Instant>, period: Duration) -> Self {
        Self {
            next: first,
            period: period.max(MIN_PERIOD),
        }
    }

    pub(super) fn fire_if_due(&mut self, now: Instant) -> bool {
        match self.next {
            Some(next) if now >= next => {
                self.next = now.checked_add(self.period);
                true
            }
            _ => false,
        }
    }
}

impl Live {
    pub(super) fn rotation_socket(&self) -> Option<SocketId> {
        match self.rotation {
            Rotation::Opening(s) | Rotation::Opened(s, _) => Some(s),
            Rotation::Scheduled(_) => None,
        }
    }

    pub(super) fn next_deadline(&self, stable_after: Duration) -> Option<Instant> {
        let idle = self
            .idle_timeout
            .and_then(|idle| self.last_inbound.checked_add(idle));
        let stable = if self.settled {
            None
        } else {
            self.opened_at.checked_add(stable_after)
        };
        let rotation = match self.rotation {
            Rotation::Scheduled(at) => at,
            _ => None,
        };
        [
            idle,
            stable,
            rotation,
            self.tick.next,
            self.app_ping.next,
            self.protocol_ping.next,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
