//! Several connections to one venue, for venues that cap subscriptions per connection
//! (30 per connection on some venues). The sessions are built by the exchange crate, one per shard of topics; the
//! pool runs one [`Connection`] for each and shares a connect-rate limit between them.

use crate::config::DriverConfig;
use crate::driver::Connection;
use crate::error::WsError;
use ws_session::ConnectionState;
use ws_session::Session;
use ws_session::{ConnectLimiter, ConnectRateLimit};
use ws_session::{ConnectionCounters, ConnectionStats, LatencyHistogram};

/// A set of connections driven together.
pub struct ConnectionPool<S: Session> {
    connections: Vec<Connection<S>>,
}

impl<S: Session> std::fmt::Debug for ConnectionPool<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool")
            .field("connections", &self.connections.len())
            .finish()
    }
}

impl<S: Session> ConnectionPool<S> {
    /// Starts one connection per session. Unless `config` already carries a shared limit,
    /// all of them share `default_limit` so that together they cannot storm the venue.
    pub fn spawn(
        sessions: impl IntoIterator<Item = S>,
        mut config: DriverConfig,
        default_limit: ConnectRateLimit,
    ) -> Result<Self, WsError> {
        if config.shared_connect_limit.is_none() {
            config.shared_connect_limit = Some(ConnectLimiter::new(default_limit));
        }
        let connections = sessions
            .into_iter()
            .enumerate()
            .map(|(i, session)| {
                let mut config = config.clone();
                // A fixed seed still differs per member; without one each draws its own.
                config.jitter_seed = config
                    .jitter_seed
                    .map(|seed| seed.wrapping_add(i as u64 + 1));
                Connection::spawn(session, config)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { connections })
    }

    /// Number of connections.
    pub fn len(&self) -> usize {
        self.connections.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.connections.is_empty()
    }

    /// The connections, in shard order.
    pub fn connections(&self) -> &[Connection<S>] {
        &self.connections
    }

    /// Every connection's state.
    pub fn states(&self) -> Vec<ConnectionState> {
        self.connections.iter().map(Connection::state).collect()
    }

    /// Counters summed over the pool.
    pub fn counters(&self) -> ConnectionCounters {
        self.connections
            .iter()
            .map(Connection::counters)
            .fold(ConnectionCounters::default(), add_counters)
    }

    /// Counters summed and latency histograms merged over the pool.
    pub fn stats(&self) -> ConnectionStats {
        let mut latency = LatencyHistogram::new();
        let mut counters = ConnectionCounters::default();
        for connection in &self.connections {
            let stats = connection.stats();
            latency.merge(&stats.latency);
            counters = add_counters(counters, stats.counters);
        }
        ConnectionStats { counters, latency }
    }

    /// Closes every connection; the first error is returned after all were tried.
    pub async fn close(&mut self) -> Result<(), WsError> {
        let mut first_error = None;
        for connection in &mut self.connections {
            if let Err(e) = connection.close().await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn add_counters(mut a: ConnectionCounters, b: ConnectionCounters) -> ConnectionCounters {
    a.messages_received += b.messages_received;
    a.bytes_received += b.bytes_received;
    a.messages_sent += b.messages_sent;
    a.bytes_sent += b.bytes_sent;
    a.connect_attempts += b.connect_attempts;
    a.connects += b.connects;
    a.reconnects += b.reconnects;
    for (x, y) in a
        .disconnects_by_cause
        .iter_mut()
        .zip(b.disconnects_by_cause)
    {
        *x += y;
    }
    a.errors += b.errors;
    a.pongs_sent += b.pongs_sent;
    a.app_pings += b.app_pings;
    a.queue_depth += b.queue_depth;
    a.queue_high_water = a.queue_high_water.max(b.queue_high_water);
    for (x, y) in a.dropped_by_kind.iter_mut().zip(b.dropped_by_kind) {
        *x += y;
    }
    a.overflow_resyncs += b.overflow_resyncs;
    a.rotations += b.rotations;
    a.rest_requests += b.rest_requests;
    a.rest_failures += b.rest_failures;
    a.failed_reports += b.failed_reports;
    a.task_panics += b.task_panics;
    a
}
