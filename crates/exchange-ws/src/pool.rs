//! The running connections of one venue and role. A venue is chosen once, at connect
//! ([`start`] builds the handlers through [`crate::sessions`]); the client then sees each pool
//! through [`RunningPool`], so the message path stays statically dispatched.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use market_types::{Symbol, Venue};
use ws_core::{
    ConnectRateLimit, ConnectionCounters, ConnectionPool, ConnectionState, DriverConfig,
    LatencyHistogram,
};
use ws_handlers::{
    ApiCredentials, BookSyncSummary, Feed, HandlerStats, PublicVenueHandler, Role,
    SubscriptionChange, VenueHandler,
};

use crate::event::{BookLine, EventKind, EventSink, LocalBook, SinkCounters};
use crate::session::{ClientShared, Feeder, SinkHandler, feeder};
use crate::sessions::{SessionPlan, SessionTarget, build_sessions};
use crate::spec::VenueSpec;
use crate::tap::{InputTap, PoolHealth, SessionId, TapFactory, pool_health};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Counters of one venue's connections of one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// The venue.
    pub venue: Venue,
    /// Market data or account data.
    pub role: Role,
    /// How many connections.
    pub connections: usize,
    /// How many are connected now.
    pub connected: usize,
    /// Socket counters summed over the connections.
    pub counters: ConnectionCounters,
    /// Messages the venue handlers took.
    pub handler_messages: u64,
    /// Messages they could not use.
    pub handler_errors: u64,
    /// Snapshots and resyncs of the local books.
    pub book_sync: BookSyncSummary,
}

/// One venue's connections of one role in detail: whether they work, and what each has
/// done. [`crate::Client::pools`] gives one per pool.
#[derive(Debug, Clone)]
pub struct PoolReport {
    /// The venue.
    pub venue: Venue,
    /// Market data or account data.
    pub role: Role,
    /// Whether the connections work, and if not, why.
    pub health: PoolHealth,
    /// Each connection, by shard.
    pub connections: Vec<ConnectionReport>,
}

/// What one connection and its venue handler have done.
#[derive(Debug, Clone)]
pub struct ConnectionReport {
    /// The connection's index among the pool's connections.
    pub shard: u16,
    /// Its state now.
    pub state: ConnectionState,
    /// Socket counters (messages, bytes, reconnects, disconnects by cause, ...).
    pub counters: ConnectionCounters,
    /// Time from reading a message off the socket to its handler being done.
    pub latency: LatencyHistogram,
    /// The venue handler's counters (messages, errors, unrouted, processing time).
    pub handler: HandlerStats,
    /// Snapshots and resyncs of its local books.
    pub book_sync: BookSyncSummary,
    /// Events it produced by kind, resyncs and gaps.
    pub events: SinkCounters,
}

/// One started pool, as the client sees it.
pub(crate) trait RunningPool: Send + Sync {
    fn role(&self) -> Role;
    fn book(&self, symbol: Symbol) -> Option<BookLine>;
    fn stats(&self) -> PoolStats;
    fn report(&self) -> PoolReport;
    /// Appends every local book, with the receive time of its session's last input.
    fn books(&self, out: &mut Vec<LocalBook>);
    /// Sends a subscription change; `Err` says why it cannot be.
    fn change(&self, symbol: Symbol, feed: Feed, change: SubscriptionChange) -> Result<(), String>;
    /// Starts a resync; `Ok(false)` when no shard keeps a book for the symbol.
    fn resync(&self, symbol: Symbol) -> Result<bool, String>;
    fn wait_connected(&self, timeout: Duration) -> BoxFuture<'_, Result<(), String>>;
    fn close(&mut self) -> BoxFuture<'_, ()>;
}

struct Pool<S: SinkHandler, T: InputTap> {
    venue: Venue,
    role: Role,
    pool: ConnectionPool<Feeder<S, T>>,
}

impl<S: SinkHandler, T: InputTap> Pool<S, T> {
    fn book(&self, symbol: Symbol) -> Option<BookLine> {
        self.pool.connections().iter().find_map(|c| {
            c.with_session(|f| {
                f.inner()
                    .book(symbol)
                    .map(|(book, status)| BookLine::from_book(book, status))
            })
        })
    }

    fn stats(&self) -> PoolStats {
        let mut stats = PoolStats {
            venue: self.venue,
            role: self.role,
            connections: self.pool.len(),
            connected: 0,
            counters: self.pool.counters(),
            handler_messages: 0,
            handler_errors: 0,
            book_sync: BookSyncSummary::default(),
        };
        for connection in self.pool.connections() {
            if connection.state() == ConnectionState::Connected {
                stats.connected += 1;
            }
            connection.with_session(|f| {
                let h = f.inner().handler_stats();
                stats.handler_messages = stats.handler_messages.saturating_add(h.messages);
                stats.handler_errors = stats.handler_errors.saturating_add(h.errors);
                let b = f.inner().book_sync();
                let s = &mut stats.book_sync;
                s.snapshots_requested += b.snapshots_requested;
                s.snapshots_applied += b.snapshots_applied;
                s.snapshots_failed += b.snapshots_failed;
                s.resyncs += b.resyncs;
            });
        }
        stats
    }

    fn report(&self) -> PoolReport {
        let connections = self
            .pool
            .connections()
            .iter()
            .enumerate()
            .map(|(shard, connection)| {
                let stats = connection.stats();
                connection.with_session(|f| {
                    let inner = f.inner();
                    ConnectionReport {
                        shard: u16::try_from(shard).unwrap_or(u16::MAX),
                        state: connection.state(),
                        counters: stats.counters,
                        latency: stats.latency,
                        handler: inner.handler_stats().clone(),
                        book_sync: inner.book_sync(),
                        events: inner.sink().counters(),
                    }
                })
            })
            .collect();
        PoolReport {
            venue: self.venue,
            role: self.role,
            health: pool_health(&self.pool),
            connections,
        }
    }

    fn books(&self, out: &mut Vec<LocalBook>) {
        for connection in self.pool.connections() {
            connection.with_session(|f| {
                let inner = f.inner();
                let receive_ts_ns = inner.sink().receive_ts();
                let mut symbols = inner.book_symbols();
                symbols.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                out.extend(symbols.into_iter().filter_map(|symbol| {
                    inner.book(symbol).map(|(book, status)| LocalBook {
                        venue: self.venue,
                        receive_ts_ns,
                        book: BookLine::from_book(book, status),
                    })
                }));
            });
        }
    }

    fn wait_connected(&self, timeout: Duration) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            for connection in self.pool.connections() {
                let state = connection
                    .wait_for_state(timeout, |s| {
                        matches!(s, ConnectionState::Connected | ConnectionState::Error)
                    })
                    .await;
                if state != Some(ConnectionState::Connected) {
                    let url = connection.with_session(|f| {
                        ws_core::redact_query(&f.inner().connection_context().url)
                    });
                    return Err(format!(
                        "the {} connection to {url} did not open within {timeout:?}; check \
                         the endpoint and the network",
                        self.role.as_str()
                    ));
                }
            }
            Ok(())
        })
    }

    fn close(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.pool.close().await {
                tracing::debug!(%e, venue = %self.venue, "close");
            }
        })
    }
}

struct PublicPool<S: SinkHandler, T: InputTap>(Pool<S, T>);
struct PrivatePool<S: SinkHandler, T: InputTap>(Pool<S, T>);

impl<S: SinkHandler + PublicVenueHandler, T: InputTap> RunningPool for PublicPool<S, T> {
    fn role(&self) -> Role {
        Role::Public
    }

    fn book(&self, symbol: Symbol) -> Option<BookLine> {
        self.0.book(symbol)
    }

    fn stats(&self) -> PoolStats {
        self.0.stats()
    }

    fn report(&self) -> PoolReport {
        self.0.report()
    }

    fn books(&self, out: &mut Vec<LocalBook>) {
        self.0.books(out);
    }

    fn change(&self, symbol: Symbol, feed: Feed, change: SubscriptionChange) -> Result<(), String> {
        let connections = self.0.pool.connections();
        // New subscriptions go to the last shard; removals to every shard (only the one
        // that has the subscription acts on it).
        let targets = match change {
            SubscriptionChange::Subscribe => connections.len().saturating_sub(1)..connections.len(),
            SubscriptionChange::Unsubscribe => 0..connections.len(),
        };
        for connection in &connections[targets] {
            let command = S::subscription_command(symbol, feed, change)
                .ok_or_else(|| format!("{} has no {feed:?} feed", self.0.venue))?;
            if change == SubscriptionChange::Subscribe {
                let kinds = kinds_of(feed);
                connection.with_session_mut(|f| f.inner_mut().callbacks_mut().allow(kinds));
            }
            connection
                .try_command(command)
                .map_err(|e| format!("cannot send the subscription change: {e}"))?;
        }
        Ok(())
    }

    fn resync(&self, symbol: Symbol) -> Result<bool, String> {
        let Some(command) = S::resync_command(symbol) else {
            return Ok(false);
        };
        let owner = self
            .0
            .pool
            .connections()
            .iter()
            .find(|c| c.with_session(|f| f.inner().book_symbols().contains(&symbol)));
        match owner {
            Some(connection) => connection
                .try_command(command)
                .map(|()| true)
                .map_err(|e| format!("cannot send the resync: {e}")),
            None => Ok(false),
        }
    }

    fn wait_connected(&self, timeout: Duration) -> BoxFuture<'_, Result<(), String>> {
        self.0.wait_connected(timeout)
    }

    fn close(&mut self) -> BoxFuture<'_, ()> {
        self.0.close()
    }
}

impl<S: SinkHandler, T: InputTap> RunningPool for PrivatePool<S, T> {
    fn role(&self) -> Role {
        Role::Private
    }

    fn book(&self, _symbol: Symbol) -> Option<BookLine> {
        None
    }

    fn stats(&self) -> PoolStats {
        self.0.stats()
    }

    fn report(&self) -> PoolReport {
        self.0.report()
    }

    fn books(&self, out: &mut Vec<LocalBook>) {
        self.0.books(out);
    }

    fn change(&self, _: Symbol, feed: Feed, _: SubscriptionChange) -> Result<(), String> {
        Err(format!(
            "{feed:?} is an account channel: choose account channels in the builder; only \
             market-data channels change while the client runs"
        ))
    }

    fn resync(&self, _symbol: Symbol) -> Result<bool, String> {
        Ok(false)
    }

    fn wait_connected(&self, timeout: Duration) -> BoxFuture<'_, Result<(), String>> {
        self.0.wait_connected(timeout)
    }

    fn close(&mut self) -> BoxFuture<'_, ()> {
        self.0.close()
    }
}

fn kinds_of(feed: Feed) -> &'static [EventKind] {
    crate::venue::ChannelName::ALL
        .into_iter()
        .find(|c| c.feed() == feed)
        .map_or(&[], |c| c.kinds())
}

/// A pool whose sessions and taps are built, not started yet.
pub(crate) type PendingPool = Box<dyn FnOnce() -> Result<Box<dyn RunningPool>, String> + Send>;

/// Builds the sessions of one venue section (market data first, then account data) and
/// their taps; the pools start when the returned closures are called, so a program's tap
/// factory sees every session before any connection starts.
pub(crate) fn prepare<F: TapFactory>(
    spec: &VenueSpec,
    shared: &ClientShared,
    driver: &DriverConfig,
    taps: &mut F,
) -> Result<Vec<PendingPool>, String> {
    let plan = SessionPlan {
        venue: spec.venue,
        symbols: &spec.symbols,
        channels: &spec.channels,
        depth: spec.depth,
        levels: spec.levels,
        credentials: spec.credentials.as_ref().map(|c| ApiCredentials {
            key: c.key(),
            secret: c.secret(),
            user_id: c.user_id(),
        }),
        endpoints: spec.endpoints.clone(),
        fast_timers: spec.fast_timers,
    };
    let mut prepare = Prepare {
        venue: spec.venue,
        shared,
        driver,
        taps,
        pools: Vec::new(),
    };
    build_sessions(&plan, &mut prepare)?;
    Ok(prepare.pools)
}

struct Prepare<'a, F> {
    venue: Venue,
    shared: &'a ClientShared,
    driver: &'a DriverConfig,
    taps: &'a mut F,
    pools: Vec<PendingPool>,
}

impl<F: TapFactory> Prepare<'_, F> {
    /// Wraps each session in its feeder (the factory makes its tap now) and defers the start.
    fn pending<S: SinkHandler>(
        &mut self,
        role: Role,
        sessions: Vec<S>,
        limit: ConnectRateLimit,
        wrap: fn(Pool<S, F::Tap>) -> Box<dyn RunningPool>,
    ) {
        let venue = self.venue;
        let feeders: Vec<Feeder<S, F::Tap>> = sessions
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let shard = u16::try_from(i).unwrap_or(u16::MAX);
                let tap = self.taps.tap(SessionId { venue, role, shard });
                feeder(s, role, shard, self.shared, tap)
            })
            .collect();
        let driver = self.driver.clone();
        self.pools.push(Box::new(move || {
            let pool = ConnectionPool::spawn(feeders, driver, limit)
                .map_err(|e| format!("cannot start the {} connections: {e}", role.as_str()))?;
            Ok(wrap(Pool { venue, role, pool }))
        }));
    }
}

impl<F: TapFactory> SessionTarget for Prepare<'_, F> {
    fn public<S>(&mut self, sessions: Vec<S>, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: PublicVenueHandler<Callbacks = EventSink> + VenueHandler<Callbacks = EventSink>,
    {
        self.pending(Role::Public, sessions, limit, |p| Box::new(PublicPool(p)));
        Ok(())
    }

    fn private<S>(&mut self, session: S, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: VenueHandler<Callbacks = EventSink>,
    {
        self.pending(Role::Private, vec![session], limit, |p| {
            Box::new(PrivatePool(p))
        });
        Ok(())
    }
}
