//! State shared by the accept loop, the HTTP service and the connection tasks.
//!
//! One std `Mutex` guards it; it is never held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use http::HeaderMap;
use tokio::sync::mpsc;
use tracing::debug;

use crate::config::{Mount, SimConfig};
use crate::error::SimError;
use crate::event::{ConnId, SimEvent, SimStats};
use crate::fault::{AcceptFault, Fault, HttpFault};
use crate::venue::Venue;

pub(crate) struct Core {
    pub(crate) limits: Limits,
    /// Longest prefix first, so the most specific mount wins.
    routes: Vec<Mount>,
    state: Mutex<State>,
}

/// The sizes every connection uses, copied out of [`SimConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_frame_size: usize,
    pub(crate) max_connections: usize,
    pub(crate) event_capacity: usize,
    pub(crate) fault_capacity: usize,
    pub(crate) queue_capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    stats: SimStats,
    attempt_times: VecDeque<Instant>,
    events: Option<mpsc::Sender<SimEvent>>,
    conns: HashMap<ConnId, OpenConn>,
    accept_fault: Option<Pending<AcceptFault>>,
    http_fault: Option<Pending<HttpFault>>,
    next_conn: u64,
}

/// An open connection: where it was made (to aim faults at one venue) and its fault queue.
#[derive(Debug)]
struct OpenConn {
    path: String,
    faults: mpsc::Sender<Fault>,
}

/// A fault for the next `left` requests whose path starts with `scope` (any path if
/// `None`).
#[derive(Debug)]
struct Pending<F> {
    fault: F,
    left: u32,
    scope: Option<String>,
}

impl<F: Copy> Pending<F> {
    fn new(fault: F, count: u32, scope: Option<&str>) -> Option<Self> {
        (count > 0).then(|| Self {
            fault,
            left: count,
            scope: scope.map(str::to_owned),
        })
    }

    fn applies_to(&self, path: Option<&str>) -> bool {
        match (&self.scope, path) {
            (None, _) => true,
            (Some(scope), Some(path)) => path.starts_with(scope.as_str()),
            // A TCP connection refused before its request was read has no path.
            (Some(_), None) => true,
        }
    }
}

/// Takes one use of `slot`'s fault if it applies; clears the slot when used up.
fn take_pending<F: Copy>(
    slot: &mut Option<Pending<F>>,
    path: Option<&str>,
    applies: impl Fn(&F) -> bool,
) -> Option<F> {
    let pending = slot.as_mut()?;
    if !applies(&pending.fault) || !pending.applies_to(path) {
        return None;
    }
    let fault = pending.fault;
    pending.left -= 1;
    if pending.left == 0 {
        *slot = None;
    }
    Some(fault)
}

/// A routed request: which venue, and the path below its prefix.
pub(crate) struct Route {
    pub(crate) venue: Arc<dyn Venue>,
    pub(crate) rest: String,
}

impl Core {
    pub(crate) fn new(config: &SimConfig, mut routes: Vec<Mount>) -> Self {
        routes.sort_by_key(|mount| std::cmp::Reverse(mount.prefix.len()));
        Self {
            limits: Limits {
                max_frame_size: config.max_frame_size,
                max_connections: config.max_connections,
                event_capacity: config.event_capacity,
                fault_capacity: config.fault_capacity,
                queue_capacity: config.queue_capacity,
            },
            routes,
            state: Mutex::new(State::default()),
        }
    }

    pub(crate) fn route(&self, path: &str) -> Option<Route> {
        self.routes.iter().find_map(|mount| {
            let rest = path.strip_prefix(mount.prefix.as_str())?;
            (rest.is_empty() || rest.starts_with('/')).then(|| Route {
                venue: Arc::clone(&mount.venue),
                rest: rest.to_owned(),
            })
        })
    }

    pub(crate) fn stats(&self) -> SimStats {
        self.lock().stats
    }

    pub(crate) fn attempt_times(&self) -> Vec<Instant> {
        self.lock().attempt_times.iter().copied().collect()
    }

    pub(crate) fn open_ids(&self) -> Vec<ConnId> {
        let mut ids: Vec<ConnId> = self.lock().conns.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    pub(crate) fn subscribe_events(&self) -> mpsc::Receiver<SimEvent> {
        let (tx, rx) = mpsc::channel(self.limits.event_capacity);
        self.lock().events = Some(tx);
        rx
    }

    pub(crate) fn emit(&self, event: SimEvent) {
        self.lock().emit(event);
    }

    /// Counts a connection attempt; returns whether this TCP connection must be refused.
    pub(crate) fn on_tcp_accept(&self) -> bool {
        let mut state = self.lock();
        let refuse = take_pending(&mut state.accept_fault, None, |fault| {
            matches!(fault, AcceptFault::Refuse)
        })
        .is_some();
        if refuse {
            state.record_attempt();
        }
        refuse
    }

    /// Counts an upgrade request to `path`; returns the accept fault to apply to it, if any.
    pub(crate) fn on_upgrade_request(&self, path: &str) -> Option<AcceptFault> {
        let mut state = self.lock();
        state.record_attempt();
        take_pending(&mut state.accept_fault, Some(path), |fault| {
            !matches!(fault, AcceptFault::Refuse)
        })
    }

    /// Counts a pong frame from a client.
    pub(crate) fn on_pong(&self) {
        self.lock().stats.pongs_received += 1;
    }

    /// Counts a REST request to `path`; returns the HTTP fault to apply to it, if any.
    pub(crate) fn on_http_request(&self, path: &str) -> Option<HttpFault> {
        let mut state = self.lock();
        state.stats.http_requests += 1;
        take_pending(&mut state.http_fault, Some(path), |_| true)
    }

    pub(crate) fn set_accept_fault(&self, fault: AcceptFault, count: u32, scope: Option<&str>) {
        self.lock().accept_fault = Pending::new(fault, count, scope);
    }

    pub(crate) fn set_http_fault(&self, fault: HttpFault, count: u32, scope: Option<&str>) {
        self.lock().http_fault = Pending::new(fault, count, scope);
    }

    /// Registers an accepted upgrade. The guard unregisters it when the connection ends.
    pub(crate) fn register(
        self: &Arc<Self>,
        path: &str,
        headers: &HeaderMap,
    ) -> (ConnId, mpsc::Receiver<Fault>, ConnGuard) {
        let (tx, rx) = mpsc::channel(self.limits.fault_capacity);
        let mut state = self.lock();
        state.next_conn += 1;
        let id = ConnId::new(state.next_conn);
        state.conns.insert(
            id,
            OpenConn {
                path: path.to_owned(),
                faults: tx,
            },
        );
        state.stats.connections_accepted += 1;
        state.stats.open_connections += 1;
        state.emit(SimEvent::Connected {
            conn: id,
            path: path.to_owned(),
            headers: headers.clone(),
        });
        let guard = ConnGuard {
            core: Arc::clone(self),
            id,
        };
        (id, rx, guard)
    }

    /// Queues `fault` to every open connection whose path starts with `scope` (all if
    /// `None`); returns how many took it.
    pub(crate) fn inject(&self, fault: &Fault, scope: Option<&str>) -> usize {
        let mut state = self.lock();
        let queued = state
            .conns
            .iter()
            .filter(|(_, conn)| scope.is_none_or(|scope| conn.path.starts_with(scope)))
            .filter(|(id, conn)| match conn.faults.try_send(fault.clone()) {
                Ok(()) => true,
                Err(err) => {
                    debug!(conn = %id, %err, "fault not queued");
                    false
                }
            })
            .count();
        state.stats.faults_queued += queued as u64;
        queued
    }

    pub(crate) fn inject_to(&self, id: ConnId, fault: Fault) -> Result<(), SimError> {
        let mut state = self.lock();
        let conn = state
            .conns
            .get(&id)
            .ok_or(SimError::UnknownConnection(id))?;
        conn.faults.try_send(fault).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => SimError::FaultQueueFull(id),
            mpsc::error::TrySendError::Closed(_) => SimError::UnknownConnection(id),
        })?;
        state.stats.faults_queued += 1;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the counters in a state worth refusing to read.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("limits", &self.limits)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl State {
    fn record_attempt(&mut self) {
        let at = Instant::now();
        self.stats.connect_attempts += 1;
        if self.attempt_times.len() == ATTEMPT_HISTORY {
            self.attempt_times.pop_front();
        }
        self.attempt_times.push_back(at);
        self.emit(SimEvent::ConnectAttempt { at });
    }

    fn emit(&mut self, event: SimEvent) {
        let Some(tx) = &self.events else {
            return;
        };
        match tx.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.stats.events_dropped += 1,
            Err(mpsc::error::TrySendError::Closed(_)) => self.events = None,
        }
    }
}

/// Unregisters a connection when its task ends or is aborted.
pub(crate) struct ConnGuard {
    core: Arc<Core>,
    id: ConnId,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let mut state = self.core.lock();
        if state.conns.remove(&self.id).is_some() {
            state.stats.open_connections = state.stats.open_connections.saturating_sub(1);
        }
        state.emit(SimEvent::Disconnected { conn: self.id });
    }
}

impl fmt::Debug for ConnGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConnGuard").field(&self.id).finish()
    }
}

/// How many connect-attempt instants are kept for spacing checks.
const ATTEMPT_HISTORY: usize = 1024;
