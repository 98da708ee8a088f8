//! The connection lifecycle as a sans-IO state machine (the role `quinn_proto::Connection`
//! plays for quinn).
//!
//! [`ConnectionMachine`] decides *when* to connect, reconnect, ping, rotate and stop; the
//! driver does the IO. It reads no clock and does no IO: every input carries `now`, and the
//! driver asks [`ConnectionMachine::poll_timeout`] when to call
//! [`ConnectionMachine::handle_timeout`] next and drains [`ConnectionMachine::poll_action`]
//! after every input. A driver loop looks like this:
//!
//! ```text
//! loop {
//!     while let Some(action) = machine.poll_action() { perform(action) }   // may feed inputs
//!     select! {
//!         sleep_until(machine.poll_timeout()) => machine.handle_timeout(now),
//!         event from a socket task             => machine.handle_socket_ended, handle_signal..,
//!         user command                         => machine.handle_reconnect / handle_close,
//!     }
//! }
//! ```
//!
//! What stays with the driver: sockets, tasks, timers, REST, the session calls, counters,
//! and the per-message path (the reader only records the last receive time, which the driver
//! hands over with [`ConnectionMachine::handle_frame_received`] before each timeout).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::context::ConnectionContext;
use crate::error::DisconnectCause;
use crate::policy::{
    Backoff, ConnectLimiter, FailureKind, JitterSource, ReconnectDecision, ReconnectionPolicy,
};
use crate::session::SessionSignal;
use crate::state::ConnectionState;
use live::{Live, Periodic, Rotation};

mod live;

/// Names one socket the machine asked the driver to open (the first connection, each
/// reconnect and each rotation get a new one), so late reports from a discarded socket are
/// recognised and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub u64);

impl std::fmt::Display for SocketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What the driver should do next, in the order returned by
/// [`ConnectionMachine::poll_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionAction {
    /// Report this state to the user (callback and watch). Never repeats a state.
    ReportState(ConnectionState),
    /// Let the session get ready (`ready_to_connect`) and open `socket`; report the result
    /// with [`ConnectionMachine::handle_connected`] or
    /// [`ConnectionMachine::handle_disconnected`].
    Connect {
        /// The id the new socket goes by.
        socket: SocketId,
    },
    /// `report_failed_after` consecutive attempts failed: count it and log it once. A
    /// [`ConnectionAction::ReportState`] of `Failed` accompanies it; attempts go on.
    ReportFailed {
        /// Consecutive failed attempts so far.
        consecutive_failures: u32,
    },
    /// Call `Session::on_tick`.
    Tick,
    /// Call `Session::on_app_ping` (a venue's JSON ping).
    AppPing,
    /// Send a protocol ping frame on the current socket.
    ProtocolPing,
    /// Lifetime reached: open a replacement socket (make-before-break) that buffers what it
    /// receives; report [`ConnectionMachine::handle_rotation_opened`], then
    /// [`ConnectionMachine::handle_rotation_delivering`] once it has data to deliver.
    OpenRotation {
        /// The id the replacement socket goes by.
        socket: SocketId,
    },
    /// Make the replacement socket current: stop the old reader, let the new one deliver
    /// its buffer, close the old socket with 1000.
    SwitchToRotation {
        /// The replacement, now current.
        socket: SocketId,
    },
    /// Give up on the replacement socket (connecting or open) and close it.
    AbandonRotation {
        /// The replacement being abandoned.
        socket: SocketId,
    },
    /// Tear down the current socket (with a close frame when `close_code` is set), tell the
    /// session, then report [`ConnectionMachine::handle_disconnected`] with the session's
    /// classification of `cause`.
    Disconnect {
        /// The socket to tear down.
        socket: SocketId,
        /// Why.
        cause: DisconnectCause,
        /// The close code to send, `None` when the socket is presumed dead (idle).
        close_code: Option<u16>,
    },
    /// The session stopped for good while no socket was open: count `cause` and tell the
    /// session; a [`ConnectionAction::Finish`] follows.
    Abort {
        /// Why.
        cause: DisconnectCause,
    },
    /// The user closes: let the session say its last words (`on_close`) and wait briefly for
    /// its REST clean-up, then close `socket` (if any) with 1000. A
    /// [`ConnectionAction::Finish`] follows.
    Close {
        /// The open socket, if there is one.
        socket: Option<SocketId>,
    },
    /// Stop every task and report this terminal state. Nothing follows.
    Finish(ConnectionState),
}

/// The lifecycle of one logical connection: backoff, connect-rate limits, the reconnect
/// decision, heartbeat and idle timers, rotation and session signals. Pure and
/// deterministic: time and the session's decisions arrive as arguments.
#[derive(Debug)]
pub struct ConnectionMachine {
    state: ConnectionState,
    phase: Phase,
    backoff: Backoff,
    jitter: JitterSource,
    shared_limit: Option<ConnectLimiter>,
    last_socket: u64,
    ever_connected: bool,
    /// The current run of failures has been reported (cleared when the backoff resets).
    reported_failed: bool,
    /// Bounded by construction: each input queues at most a few actions and the driver
    /// drains them after every input.
    actions: VecDeque<ConnectionAction>,
}

#[derive(Debug)]
enum Phase {
    /// Before the next attempt (backoff or connect-rate limit).
    Waiting { until: Instant },
    /// An attempt is under way.
    Connecting { socket: SocketId },
    /// A socket is open.
    Connected(Box<Live>),
    /// The current socket is being torn down; waiting for `handle_disconnected`.
    Disconnecting,
    /// Closing or stopped; no further input changes anything.
    Finished,
}

impl ConnectionMachine {
    /// A machine that will ask to connect at `now`. `shared_limit` is a connect-rate limit
    /// shared with other connections to the same venue; `jitter_seed` seeds the backoff
    /// jitter (fixed in tests; `None` draws a seed from the operating system, so that
    /// processes restarted together do not reconnect in lock-step).
    pub fn new(
        policy: ReconnectionPolicy,
        jitter_seed: Option<u64>,
        shared_limit: Option<ConnectLimiter>,
        now: Instant,
    ) -> Self {
        Self {
            state: ConnectionState::Disconnected,
            phase: Phase::Waiting { until: now },
            backoff: Backoff::new(policy),
            jitter: jitter_seed.map_or_else(JitterSource::from_os, JitterSource::new),
            shared_limit,
            last_socket: 0,
            ever_connected: false,
            reported_failed: false,
            actions: VecDeque::with_capacity(8),
        }
    }

    /// The state last reported.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// The open socket, if any.
    pub fn current_socket(&self) -> Option<SocketId> {
        match &self.phase {
            Phase::Connected(live) => Some(live.socket),
            _ => None,
        }
    }

    /// Whether a socket is open.
    pub fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Connected(_))
    }

    /// Whether the attempt asked for by [`ConnectionAction::Connect`] is still wanted.
    pub fn is_connecting(&self) -> bool {
        matches!(self.phase, Phase::Connecting { .. })
    }

    /// The backoff in force (its policy and consecutive failures).
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// Replaces the reconnection policy (a session may change it between attempts; the
    /// driver passes `Session::reconnection_policy` before each timeout while offline).
    pub fn set_policy(&mut self, policy: ReconnectionPolicy) {
        self.backoff.set_policy(policy);
    }

    /// When [`ConnectionMachine::handle_timeout`] should be called next; `None` means no
    /// timer is running (wait for another input).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Waiting { until } => Some(*until),
            Phase::Connected(live) => live.next_deadline(self.backoff.policy().stable_after),
            _ => None,
        }
    }

    /// The next thing to do, oldest first. Drain after every input.
    pub fn poll_action(&mut self) -> Option<ConnectionAction> {
        self.actions.pop_front()
    }

    /// Time passed: start an attempt when the wait is over, or run the connected timers
    /// (idle watchdog, stable reset, rotation, tick, pings). Early calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &mut self.phase {
            Phase::Waiting { until } if now >= *until => self.try_attempt(now),
            Phase::Connected(live) => {
                if let Some(idle) = live.idle_timeout
                    && now.saturating_duration_since(live.last_inbound) >= idle
                {
                    let socket = live.socket;
                    self.lose(socket, DisconnectCause::IdleTimeout(idle));
                    return;
                }
                let stable_after = self.backoff.policy().stable_after;
                if !live.settled && now.saturating_duration_since(live.opened_at) >= stable_after {
                    live.settled = true;
                    self.backoff.reset();
                    self.reported_failed = false;
                }
                if let Rotation::Scheduled(Some(at)) = live.rotation
                    && now >= at
                {
                    self.last_socket += 1;
                    let socket = SocketId(self.last_socket);
                    live.rotation = Rotation::Opening(socket);
                    self.actions
                        .push_back(ConnectionAction::OpenRotation { socket });
                }
                if live.tick.fire_if_due(now) {
                    self.actions.push_back(ConnectionAction::Tick);
                }
                if live.app_ping.fire_if_due(now) {
                    self.actions.push_back(ConnectionAction::AppPing);
                }
                if live.protocol_ping.fire_if_due(now) {
                    self.actions.push_back(ConnectionAction::ProtocolPing);
                }
            }
            _ => {}
        }
    }

    /// The socket asked for by [`ConnectionAction::Connect`] is open; `context` is the session's
    /// (heartbeat settings, lifetime, tick interval).
    pub fn handle_connected(
        &mut self,
        now: Instant,
        socket: SocketId,
        context: &ConnectionContext,
    ) {
        if !matches!(self.phase, Phase::Connecting { socket: s } if s == socket) {
            return;
        }
        self.ever_connected = true;
        let ping = &context.ping;
        let after = |period: Duration| now.checked_add(period.max(MIN_PERIOD));
        self.phase = Phase::Connected(Box::new(Live {
            socket,
            opened_at: now,
            last_inbound: now,
            settled: false,
            idle_timeout: ping.idle_timeout,
            tick: Periodic::first_at(Some(now), context.tick_interval),
            app_ping: ping
                .app_ping_interval
                .map_or_else(Periodic::never, |p| Periodic::first_at(after(p), p)),
            protocol_ping: ping
                .protocol_ping_interval
                .map_or_else(Periodic::never, |p| Periodic::first_at(after(p), p)),
            max_lifetime: context.max_lifetime,
            rotation: Rotation::Scheduled(context.max_lifetime.and_then(|l| now.checked_add(l))),
        }));
        self.report(ConnectionState::Connected);
    }

    /// Inbound traffic arrived at `at` (the latest receive time the reader recorded; cheap,
    /// so the driver passes it before each timeout rather than per message).
    pub fn handle_frame_received(&mut self, at: Instant) {
        if let Phase::Connected(live) = &mut self.phase
            && at > live.last_inbound
        {
            live.last_inbound = at;
        }
    }

    /// A socket's reader or writer ended, or a replacement failed to connect. Reports about
    /// sockets already discarded are ignored.
    pub fn handle_socket_ended(&mut self, now: Instant, socket: SocketId, cause: DisconnectCause) {
        let Phase::Connected(live) = &mut self.phase else {
            return;
        };
        if live.socket == socket {
            self.lose(socket, cause);
            return;
        }
        let rotating = match live.rotation {
            Rotation::Opening(s) | Rotation::Opened(s, _) => s == socket,
            Rotation::Scheduled(_) => false,
        };
        if rotating {
            // Keep the current socket and try again later.
            live.rotation = Rotation::Scheduled(now.checked_add(ROTATION_RETRY));
            self.actions
                .push_back(ConnectionAction::AbandonRotation { socket });
        }
    }

    /// The replacement asked for by [`ConnectionAction::OpenRotation`] is open and buffering.
    pub fn handle_rotation_opened(&mut self, now: Instant, socket: SocketId) {
        if let Phase::Connected(live) = &mut self.phase
            && live.rotation == Rotation::Opening(socket)
        {
            live.rotation = Rotation::Opened(socket, now);
        }
    }

    /// The replacement received its first message to deliver: switch to it.
    pub fn handle_rotation_delivering(&mut self, _now: Instant, socket: SocketId) {
        let Phase::Connected(live) = &mut self.phase else {
            return;
        };
        let Rotation::Opened(s, opened_at) = live.rotation else {
            return;
        };
        if s != socket {
            return;
        }
        live.socket = socket;
        live.opened_at = opened_at;
        live.settled = false;
        live.rotation =
            Rotation::Scheduled(live.max_lifetime.and_then(|l| opened_at.checked_add(l)));
        self.actions
            .push_back(ConnectionAction::SwitchToRotation { socket });
    }

    /// A session signal. `from` is the socket whose processing raised it (`None` for REST
    /// answers and queued processing); only the current socket's `Ready` resets the backoff.
    pub fn handle_signal(&mut self, _now: Instant, from: Option<SocketId>, signal: &SessionSignal) {
        let cause = match signal {
            SessionSignal::Ready => {
                if let Phase::Connected(live) = &mut self.phase
                    && Some(live.socket) == from
                    && !live.settled
                {
                    live.settled = true;
                    self.reset_backoff();
                }
                return;
            }
            SessionSignal::Reconnect(reason) => DisconnectCause::SessionRequested(reason.clone()),
            SessionSignal::AuthenticationFailed(reason) => {
                DisconnectCause::AuthenticationFailed(reason.clone())
            }
            SessionSignal::Fatal(reason) => DisconnectCause::Fatal(reason.clone()),
        };
        match &self.phase {
            Phase::Connected(live) => {
                let socket = live.socket;
                self.lose(socket, cause);
            }
            Phase::Waiting { .. } | Phase::Connecting { .. } => {
                // Without a socket only a stop means anything (credentials rejected while
                // creating a listen key, say); a reconnect request is already under way.
                if !matches!(cause, DisconnectCause::SessionRequested(_)) {
                    self.phase = Phase::Finished;
                    self.actions.push_back(ConnectionAction::Abort { cause });
                    self.actions
                        .push_back(ConnectionAction::Finish(ConnectionState::Error));
                }
            }
            Phase::Disconnecting | Phase::Finished => {}
        }
    }

    /// A task of the connection panicked (a handler bug): its state can no longer be
    /// trusted, so the connection stops in `ERROR` whatever the phase; the driver tears
    /// down every socket.
    pub fn handle_task_panicked(&mut self, _now: Instant) {
        if matches!(self.phase, Phase::Finished) {
            return;
        }
        self.phase = Phase::Finished;
        self.actions
            .push_back(ConnectionAction::Finish(ConnectionState::Error));
    }

    /// The user asked for a fresh connection. Ignored while not connected (an attempt is
    /// already pending).
    pub fn handle_reconnect(&mut self, _now: Instant) {
        if let Some(socket) = self.current_socket() {
            self.lose(socket, DisconnectCause::UserRequested);
        }
    }

    /// The user closes the connection.
    pub fn handle_close(&mut self, _now: Instant) {
        let socket = match &self.phase {
            Phase::Finished => return,
            Phase::Connected(live) => {
                if let Some(rotating) = live.rotation_socket() {
                    self.actions
                        .push_back(ConnectionAction::AbandonRotation { socket: rotating });
                }
                Some(live.socket)
            }
            _ => None,
        };
        self.phase = Phase::Finished;
        self.report(ConnectionState::Closing);
        self.actions.push_back(ConnectionAction::Close { socket });
        self.actions
            .push_back(ConnectionAction::Finish(ConnectionState::Closed));
    }

    /// The attempt failed or the socket is gone and the session was told. `decision` is the
    /// session's `classify_disconnect(cause)`. Schedules the next attempt or stops.
    pub fn handle_disconnected(
        &mut self,
        now: Instant,
        cause: &DisconnectCause,
        decision: ReconnectDecision,
    ) {
        if !matches!(self.phase, Phase::Connecting { .. } | Phase::Disconnecting) {
            return;
        }
        let delay = if matches!(cause, DisconnectCause::UserRequested)
            && decision != ReconnectDecision::Stop
        {
            Some(Duration::ZERO)
        } else {
            let kind = if cause.is_no_status() {
                FailureKind::NoStatus
            } else {
                FailureKind::Other
            };
            self.backoff
                .on_failure(decision, kind, self.jitter.sample())
        };
        match delay {
            Some(delay) => {
                self.phase = Phase::Waiting {
                    until: deadline_after(now, delay),
                };
                let failures = self.backoff.consecutive_failures();
                if !self.reported_failed
                    && self
                        .backoff
                        .policy()
                        .report_failed_after
                        .is_some_and(|limit| failures >= limit)
                {
                    self.reported_failed = true;
                    self.actions.push_back(ConnectionAction::ReportFailed {
                        consecutive_failures: failures,
                    });
                }
                if self.reported_failed {
                    self.report(ConnectionState::Failed);
                } else if self.ever_connected {
                    self.report(ConnectionState::Reconnecting);
                }
            }
            None => {
                self.phase = Phase::Finished;
                self.actions
                    .push_back(ConnectionAction::Finish(ConnectionState::Error));
            }
        }
    }

    /// The wait is over: check the connect-rate limits, then ask for an attempt.
    fn try_attempt(&mut self, now: Instant) {
        // A connection reported failed stays `Failed` until it connects.
        self.report(if self.reported_failed {
            ConnectionState::Failed
        } else if self.ever_connected {
            ConnectionState::Reconnecting
        } else {
            ConnectionState::Connecting
        });
        let mut wait = self.backoff.rate_limit_wait(now);
        if wait.is_zero()
            && let Some(shared) = &self.shared_limit
        {
            wait = shared.wait(now);
        }
        if !wait.is_zero() {
            self.phase = Phase::Waiting {
                until: deadline_after(now, wait),
            };
            return;
        }
        self.last_socket += 1;
        let socket = SocketId(self.last_socket);
        self.phase = Phase::Connecting { socket };
        self.actions.push_back(ConnectionAction::Connect { socket });
    }

    /// The current socket is lost for `cause`: tear it down (and any replacement).
    fn lose(&mut self, socket: SocketId, cause: DisconnectCause) {
        if let Phase::Connected(live) = &self.phase
            && let Some(rotating) = live.rotation_socket()
        {
            self.actions
                .push_back(ConnectionAction::AbandonRotation { socket: rotating });
        }
        // A silent socket is presumed dead: no close handshake on it.
        let close_code = match cause {
            DisconnectCause::IdleTimeout(_) => None,
            _ => Some(NORMAL_CLOSURE),
        };
        self.phase = Phase::Disconnecting;
        self.actions.push_back(ConnectionAction::Disconnect {
            socket,
            cause,
            close_code,
        });
    }

    fn reset_backoff(&mut self) {
        self.backoff.reset();
        self.reported_failed = false;
    }

    fn report(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state;
            self.actions.push_back(ConnectionAction::ReportState(state));
        }
    }
}

/// `now + delay`, with the delay capped at [`MAX_RECONNECT_WAIT`] so that a huge value from
/// the network (a `Retry-After` of `u64::MAX` seconds) can neither overflow the clock nor park
/// a connection or a book forever. Every network-derived wait becomes a deadline through this.
pub fn deadline_after(now: Instant, delay: Duration) -> Instant {
    let delay = delay.min(MAX_RECONNECT_WAIT);
    now.checked_add(delay).unwrap_or(now)
}

/// The longest wait before an attempt: one day.
pub const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(24 * 60 * 60);
/// After a failed rotation, try again this much later.
const ROTATION_RETRY: Duration = Duration::from_secs(10);
/// Timers never fire more often than this.
const MIN_PERIOD: Duration = Duration::from_millis(10);
const NORMAL_CLOSURE: u16 = 1000;

#[cfg(test)]
mod tests;
