//! [`Client`] and its builder.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use market_types::{Symbol, Venue};
use ws_core::DriverConfig;
use ws_handlers::{Role, SubscriptionChange, Timers};

use crate::credentials::Credentials;
use crate::error::ClientError;
use crate::event::{BookLine, LocalBook};
use crate::pool::{PendingPool, PoolReport, PoolStats, RunningPool, prepare};
use crate::queue::{DeliveryStats, EventQueue, Events};
use crate::session::ClientShared;
use crate::spec::{Endpoints, VenueStreams};
use crate::tap::{NoTaps, TapFactory};
use crate::venue::{ChannelName, parse_symbol};

/// Events the queue holds before the overflow policies apply.
pub const DEFAULT_QUEUE_CAPACITY: usize = 4096;

/// How long [`ClientBuilder::connect`] waits for every connection to open.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a [`Client`]. `.venue(..)` starts a venue section; the calls after it
/// (`symbols`, `channels`, `depth`, `levels`, `credentials`, `endpoints`, `timers`)
/// describe that venue. Arguments are checked by [`ClientBuilder::connect`], before
/// anything connects. `F` makes the sessions' input taps ([`ClientBuilder::tap`]).
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until .connect()"]
pub struct ClientBuilder<F = NoTaps> {
    sections: Vec<VenueStreams>,
    driver: DriverConfig,
    queue_capacity: Option<usize>,
    connect_timeout: Option<Duration>,
    misuse: Option<ClientError>,
    taps: F,
}

impl<F: TapFactory> ClientBuilder<F> {
    /// Starts a section for `venue`.
    pub fn venue(mut self, venue: Venue) -> Self {
        self.sections.push(VenueStreams::new(venue));
        self
    }

    /// Adds a whole venue section.
    pub fn add_venue(mut self, streams: VenueStreams) -> Self {
        self.sections.push(streams);
        self
    }

    /// Symbols of the current venue, spelled its way.
    pub fn symbols<I, S>(self, symbols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.section(|s| s.symbols.extend(symbols.into_iter().map(Into::into)))
    }

    /// Channels of the current venue.
    pub fn channels(self, channels: impl IntoIterator<Item = ChannelName>) -> Self {
        self.section(|s| s.channels.extend(channels))
    }

    /// The current venue's book depth (its stream depth or snapshot limit).
    pub fn depth(self, depth: u32) -> Self {
        self.section(|s| s.depth = Some(depth))
    }

    /// Levels per side in the current venue's book views (default
    /// [`crate::DEFAULT_LEVELS`]).
    pub fn levels(self, levels: usize) -> Self {
        self.section(|s| s.levels = levels)
    }

    /// The current venue's API key, for account channels.
    pub fn credentials(self, credentials: Credentials) -> Self {
        self.section(|s| s.credentials = Some(credentials))
    }

    /// Where the current venue's connections go.
    pub fn endpoints(self, endpoints: Endpoints) -> Self {
        self.section(|s| s.endpoints = endpoints)
    }

    /// The current venue's heartbeat and timer lengths (see [`VenueStreams::timers`]).
    pub fn timers(self, timers: Timers) -> Self {
        self.section(|s| s.timers = Some(timers))
    }

    /// Runs an [`InputTap`](crate::tap::InputTap) around every input of every session: the
    /// factory makes one per session ([`SessionId`](crate::tap::SessionId): venue, role,
    /// shard), market data before account data, before any connection starts. A recorder
    /// writes the inputs down this way; the events still come out of [`Client::events`].
    pub fn tap<G: TapFactory>(self, taps: G) -> ClientBuilder<G> {
        ClientBuilder {
            sections: self.sections,
            driver: self.driver,
            queue_capacity: self.queue_capacity,
            connect_timeout: self.connect_timeout,
            misuse: self.misuse,
            taps,
        }
    }

    /// Connection tuning for every connection (timeouts, queue sizes, TLS roots).
    pub fn driver(mut self, config: DriverConfig) -> Self {
        self.driver = config;
        self
    }

    /// Events the queue holds before the overflow policies apply (default
    /// [`DEFAULT_QUEUE_CAPACITY`]).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }

    /// How long `connect` waits for every connection to open (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    fn section(mut self, change: impl FnOnce(&mut VenueStreams)) -> Self {
        match self.sections.last_mut() {
            Some(section) => change(section),
            None => {
                self.misuse.get_or_insert(ClientError::NoVenue);
            }
        }
        self
    }

    /// Checks every argument, starts every connection and waits until they are open.
    pub async fn connect(self) -> Result<Client, ClientError> {
        let timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let client = self.start().await?;
        let mut failure = None;
        'wait: for run in &client.venues {
            for pool in &run.pools {
                if let Err(message) = pool.wait_connected(timeout).await {
                    failure = Some(ClientError::Connect {
                        venue: run.venue,
                        message,
                    });
                    break 'wait;
                }
            }
        }
        match failure {
            Some(error) => {
                client.close().await;
                Err(error)
            }
            None => Ok(client),
        }
    }

    /// Checks every argument and starts every connection without waiting for them to open:
    /// for programs that watch the connections themselves ([`Client::pools`] says whether
    /// each opened, and why not) and report failures their own way.
    pub async fn start(mut self) -> Result<Client, ClientError> {
        if let Some(error) = self.misuse {
            return Err(error);
        }
        if self.sections.is_empty() {
            return Err(ClientError::NoVenue);
        }
        if self.queue_capacity == Some(0) {
            return Err(ClientError::InvalidArgument(
                "queue_capacity must be at least 1".into(),
            ));
        }
        let mut specs = Vec::with_capacity(self.sections.len());
        for section in &self.sections {
            if specs
                .iter()
                .any(|s: &crate::spec::VenueSpec| s.venue == section.venue)
            {
                return Err(ClientError::DuplicateVenue(section.venue));
            }
            specs.push(section.check()?);
        }
        let shared = ClientShared {
            queue: EventQueue::new(self.queue_capacity.unwrap_or(DEFAULT_QUEUE_CAPACITY)),
            frozen: Arc::new(AtomicBool::new(false)),
        };
        // Every session and tap is built before the first connection starts.
        let mut pending: Vec<(Venue, Vec<PendingPool>)> = Vec::with_capacity(specs.len());
        for spec in &specs {
            let pools =
                prepare(spec, &shared, &self.driver, &mut self.taps).map_err(|message| {
                    ClientError::Connect {
                        venue: spec.venue,
                        message,
                    }
                })?;
            pending.push((spec.venue, pools));
        }
        let mut client = Client {
            shared,
            venues: Vec::new(),
        };
        for (venue, pools) in pending {
            let mut run = VenueRun {
                venue,
                pools: Vec::with_capacity(pools.len()),
            };
            for pool in pools {
                match pool() {
                    Ok(pool) => run.pools.push(pool),
                    Err(message) => {
                        client.venues.push(run);
                        client.shutdown().await;
                        return Err(ClientError::Connect { venue, message });
                    }
                }
            }
            client.venues.push(run);
        }
        Ok(client)
    }
}

struct VenueRun {
    venue: Venue,
    pools: Vec<Box<dyn RunningPool>>,
}

/// Connections to one or more venues, their local books, and one bounded stream of their
/// normalized events. Build one with [`Client::builder`]; end it with [`Client::close`].
pub struct Client {
    shared: ClientShared,
    venues: Vec<VenueRun>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("venues", &self.venues())
            .finish_non_exhaustive()
    }
}

/// What a client has done so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientStats {
    /// The event queue: delivered, dropped, conflated, waiting.
    pub delivery: DeliveryStats,
    /// Per venue and role.
    pub pools: Vec<PoolStats>,
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The venues, in the order they were added.
    pub fn venues(&self) -> Vec<Venue> {
        self.venues.iter().map(|v| v.venue).collect()
    }

    /// The event stream. Every call returns a handle on the same queue.
    pub fn events(&self) -> Events {
        Events::new(self.shared.queue.clone())
    }

    /// A copy of the local book of `symbol` on `venue` (all levels, best first) with its
    /// status, taken under the session's lock: consistent at one point.
    pub fn book(&self, venue: Venue, symbol: &str) -> Result<BookLine, ClientError> {
        let (run, symbol) = self.find(venue, symbol)?;
        run.pools
            .iter()
            .find_map(|p| p.book(symbol))
            .ok_or(ClientError::NoBook { venue, symbol })
    }

    /// Every local book (all levels, best first), each with the receive time of the last
    /// input its session took: venues in the order they were added, symbols in name order.
    /// After [`Client::freeze`] they no longer move.
    pub fn books(&self) -> Vec<LocalBook> {
        let mut books = Vec::new();
        for run in &self.venues {
            for pool in &run.pools {
                pool.books(&mut books);
            }
        }
        books
    }

    /// Every pool in detail: whether its connections work (and if not, why: refused
    /// subscriptions, rejected credentials, the last failure), and per connection its
    /// state, counters, receive-to-handled latency histogram and handler counters.
    pub fn pools(&self) -> Vec<PoolReport> {
        self.venues
            .iter()
            .flat_map(|v| v.pools.iter().map(|p| p.report()))
            .collect()
    }

    /// Stops applying input: from now on every session ignores what it receives, so the
    /// books, counters and receive times stay as they are (read them with
    /// [`Client::books`] and [`Client::pools`], consistent with each other) and no more
    /// events are queued. An input being applied finishes first. The connections stay
    /// open until [`Client::close`], which still logs account sessions out (their events
    /// are discarded). There is no thaw: a frozen book may have missed updates.
    pub fn freeze(&self) {
        self.shared.frozen.store(true, Ordering::Release);
    }

    /// Whether [`Client::freeze`] was called.
    pub fn is_frozen(&self) -> bool {
        self.shared.frozen.load(Ordering::Acquire)
    }

    /// Counters of the queue and of every connection.
    pub fn stats(&self) -> ClientStats {
        ClientStats {
            delivery: self.shared.queue.stats(),
            pools: self
                .venues
                .iter()
                .flat_map(|v| v.pools.iter().map(|p| p.stats()))
                .collect(),
        }
    }

    /// Throws the local book of `symbol` away and rebuilds it from a fresh snapshot (book
    /// status events follow).
    pub fn resync(&self, venue: Venue, symbol: &str) -> Result<(), ClientError> {
        let (run, symbol) = self.find(venue, symbol)?;
        for pool in &run.pools {
            if pool.resync(symbol).map_err(ClientError::Unsupported)? {
                return Ok(());
            }
        }
        Err(ClientError::NoBook { venue, symbol })
    }

    /// Subscribes a market-data channel of `symbol` while the client runs.
    pub fn subscribe(
        &self,
        venue: Venue,
        symbol: &str,
        channel: ChannelName,
    ) -> Result<(), ClientError> {
        self.change(venue, symbol, channel, SubscriptionChange::Subscribe)
    }

    /// Unsubscribes a market-data channel of `symbol` while the client runs.
    pub fn unsubscribe(
        &self,
        venue: Venue,
        symbol: &str,
        channel: ChannelName,
    ) -> Result<(), ClientError> {
        self.change(venue, symbol, channel, SubscriptionChange::Unsubscribe)
    }

    fn change(
        &self,
        venue: Venue,
        symbol: &str,
        channel: ChannelName,
        change: SubscriptionChange,
    ) -> Result<(), ClientError> {
        let (run, symbol) = self.find(venue, symbol)?;
        crate::venue::check_channels(venue, &[channel]).map_err(ClientError::InvalidArgument)?;
        let role = channel.feed().role();
        let pool = run.pools.iter().find(|p| p.role() == role).ok_or_else(|| {
            ClientError::Unsupported(match role {
                Role::Public => format!(
                    "{venue} has no market-data connection in this client: add a market-data \
                     channel in the builder"
                ),
                Role::Private => format!(
                    "the {channel} channel is an account channel: choose account channels in \
                     the builder"
                ),
            })
        })?;
        pool.change(symbol, channel.feed(), change)
            .map_err(ClientError::Unsupported)
    }

    fn find(&self, venue: Venue, symbol: &str) -> Result<(&VenueRun, Symbol), ClientError> {
        let run = self
            .venues
            .iter()
            .find(|v| v.venue == venue)
            .ok_or(ClientError::UnknownVenue(venue))?;
        let symbol = parse_symbol(venue, symbol).map_err(ClientError::InvalidArgument)?;
        Ok((run, symbol))
    }

    /// Closes every connection (account handlers log out first) and ends the event stream
    /// once the queued events are read.
    pub async fn close(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        for run in &mut self.venues {
            for pool in &mut run.pools {
                pool.close().await;
            }
        }
        self.shared.queue.close();
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Without `close` the connections end when their handles drop; the stream ends too.
        self.shared.queue.close();
    }
}
