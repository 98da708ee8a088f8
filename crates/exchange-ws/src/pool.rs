//! The running connections of one venue and role. A venue is chosen once, at connect
//! ([`start`] builds the handlers through [`crate::sessions`]); the client then sees each pool
//! through [`RunningPool`], so the message path stays statically dispatched.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use market_types::{Symbol, Venue};
use ws_core::{
    ConnectRateLimit, ConnectionCounters, ConnectionPool, ConnectionState, DriverConfig,
};
use ws_handlers::{
    ApiCredentials, BookSyncSummary, Feed, PublicVenueHandler, Role, SubscriptionChange,
    VenueHandler,
};

use crate::event::{BookLine, EventKind, EventSink};
use crate::queue::EventQueue;
use crate::session::{Feeder, SinkHandler, feeder};
use crate::sessions::{SessionPlan, SessionTarget, build_sessions};
use crate::spec::VenueSpec;

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

/// One started pool, as the client sees it.
pub(crate) trait RunningPool: Send + Sync {
    fn role(&self) -> Role;
    fn book(&self, symbol: Symbol) -> Option<BookLine>;
    fn stats(&self) -> PoolStats;
    /// Sends a subscription change; `Err` says why it cannot be.
    fn change(&self, symbol: Symbol, feed: Feed, change: SubscriptionChange) -> Result<(), String>;
    /// Starts a resync; `Ok(false)` when no shard keeps a book for the symbol.
    fn resync(&self, symbol: Symbol) -> Result<bool, String>;
    fn wait_connected(&self, timeout: Duration) -> BoxFuture<'_, Result<(), String>>;
    fn close(&mut self) -> BoxFuture<'_, ()>;
}

struct Pool<S: SinkHandler> {
    venue: Venue,
    role: Role,
    pool: ConnectionPool<Feeder<S>>,
}

impl<S: SinkHandler> Pool<S> {
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

struct PublicPool<S: SinkHandler>(Pool<S>);
struct PrivatePool<S: SinkHandler>(Pool<S>);

impl<S: SinkHandler + PublicVenueHandler> RunningPool for PublicPool<S> {
    fn role(&self) -> Role {
        Role::Public
    }

    fn book(&self, symbol: Symbol) -> Option<BookLine> {
        self.0.book(symbol)
    }

    fn stats(&self) -> PoolStats {
        self.0.stats()
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

impl<S: SinkHandler> RunningPool for PrivatePool<S> {
    fn role(&self) -> Role {
        Role::Private
    }

    fn book(&self, _symbol: Symbol) -> Option<BookLine> {
        None
    }

    fn stats(&self) -> PoolStats {
        self.0.stats()
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

/// Builds and starts the pools of one venue section: market data first, then account data.
pub(crate) fn start(
    spec: &VenueSpec,
    queue: &Arc<EventQueue>,
    driver: &DriverConfig,
) -> Result<Vec<Box<dyn RunningPool>>, String> {
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
    let mut start = Start {
        venue: spec.venue,
        queue,
        driver,
        pools: Vec::new(),
    };
    build_sessions(&plan, &mut start)?;
    Ok(start.pools)
}

struct Start<'a> {
    venue: Venue,
    queue: &'a Arc<EventQueue>,
    driver: &'a DriverConfig,
    pools: Vec<Box<dyn RunningPool>>,
}

impl SessionTarget for Start<'_> {
    fn public<S>(&mut self, sessions: Vec<S>, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: PublicVenueHandler<Callbacks = EventSink> + VenueHandler<Callbacks = EventSink>,
    {
        let pool = spawn(
            self.venue,
            Role::Public,
            sessions,
            self.queue,
            self.driver,
            limit,
        )?;
        self.pools.push(Box::new(PublicPool(pool)));
        Ok(())
    }

    fn private<S>(&mut self, session: S, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: VenueHandler<Callbacks = EventSink>,
    {
        let pool = spawn(
            self.venue,
            Role::Private,
            vec![session],
            self.queue,
            self.driver,
            limit,
        )?;
        self.pools.push(Box::new(PrivatePool(pool)));
        Ok(())
    }
}

fn spawn<S: SinkHandler>(
    venue: Venue,
    role: Role,
    sessions: Vec<S>,
    queue: &Arc<EventQueue>,
    driver: &DriverConfig,
    limit: ConnectRateLimit,
) -> Result<Pool<S>, String> {
    let feeders = sessions.into_iter().enumerate().map(|(i, s)| {
        let shard = u16::try_from(i).unwrap_or(u16::MAX);
        feeder(s, role, shard, queue.clone())
    });
    let pool = ConnectionPool::spawn(feeders, driver.clone(), limit)
        .map_err(|e| format!("cannot start the {} connections: {e}", role.as_str()))?;
    Ok(Pool { venue, role, pool })
}
