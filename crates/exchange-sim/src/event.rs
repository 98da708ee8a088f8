//! What tests observe: connection ids, the event stream and the counters.

use std::fmt;
use std::time::Instant;

use http::HeaderMap;

/// Identifies one accepted WebSocket connection for the lifetime of a [`Simulator`](crate::Simulator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(u64);

impl ConnId {
    pub(crate) fn new(raw: u64) -> Self {
        Self(raw)
    }

    /// The raw number, starting at 1 and increasing per accepted connection.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// One thing that happened inside the simulator, in the order it happened.
///
/// Delivered on the bounded channel from
/// [`Simulator::subscribe_events`](crate::Simulator::subscribe_events). When the test does not
/// drain it, new events are dropped (never blocking the server) and counted in
/// [`SimStats::events_dropped`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SimEvent {
    /// A WebSocket upgrade request arrived, or a TCP connection was refused by
    /// [`AcceptFault::Refuse`](crate::AcceptFault::Refuse).
    ConnectAttempt {
        /// When the simulator saw it.
        at: Instant,
    },
    /// A WebSocket upgrade was accepted (sent just before the `101` response).
    Connected {
        /// The new connection.
        conn: ConnId,
        /// The request path, without the query.
        path: String,
        /// The upgrade request's headers.
        headers: HeaderMap,
    },
    /// A text frame arrived from the client.
    Received {
        /// The connection it arrived on.
        conn: ConnId,
        /// The frame's text.
        text: String,
    },
    /// A connection ended, for whatever reason.
    Disconnected {
        /// The connection that ended.
        conn: ConnId,
    },
}

/// Counters, read with [`Simulator::stats`](crate::Simulator::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimStats {
    /// WebSocket upgrade requests plus TCP connections refused by an accept fault.
    pub connect_attempts: u64,
    /// WebSocket upgrades answered with `101`.
    pub connections_accepted: u64,
    /// WebSocket connections open right now.
    pub open_connections: u64,
    /// Plain (non-upgrade) HTTP requests.
    pub http_requests: u64,
    /// Faults queued to connections by `inject`/`inject_to`.
    pub faults_queued: u64,
    /// Events lost because the subscriber's channel was full.
    pub events_dropped: u64,
    /// Protocol pong frames received from clients.
    pub pongs_received: u64,
}
