//! Running venue sessions live: connection pools, the status loop, failure detection with
//! messages that say what to do, and the orderly end (freeze, final books, close).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use market_types::Venue;
use ws_core::{ConnectRateLimit, ConnectionPool, ConnectionState, DriverConfig, LatencyHistogram};

use crate::event::{BookLine, Event, EventBody, SinkCounters};
use crate::metrics::{ConnSnapshot, GroupSnapshot, MetricsServer, MetricsSnapshot, SharedSnapshot};
use crate::nats::NatsPublisher;
use crate::output::{Out, Printer};
use crate::tap::{BookSyncSummary, Delivery, RunControl, SinkHandler, Tap, books, tap};
use crate::venue::Role;

/// A started group of connections of one handler type; the run loop sees only this.
pub trait RunningGroup: Send {
    /// Venue.
    fn venue(&self) -> Venue;
    /// Public or private.
    fn role(&self) -> Role;
    /// Counters for the status line and metrics.
    fn snapshot(&self) -> GroupSnapshot;
    /// Whether it is working, and if not, why.
    fn health(&self) -> Health;
    /// The full local books, with the receive time of the last input each session took.
    fn books(&self) -> Vec<(BookLine, u64)>;
    /// Closes every connection.
    fn close(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// What can go wrong with a group: the client library's pool health.
pub use exchange_ws::tap::PoolHealth as Health;

struct PoolGroup<S: SinkHandler> {
    venue: Venue,
    role: Role,
    pool: ConnectionPool<Tap<S>>,
}

impl<S: SinkHandler> RunningGroup for PoolGroup<S> {
    fn venue(&self) -> Venue {
        self.venue
    }

    fn role(&self) -> Role {
        self.role
    }

    fn snapshot(&self) -> GroupSnapshot {
        let mut group = GroupSnapshot {
            venue: self.venue,
            role: self.role,
            connections: Vec::new(),
            handler_messages: 0,
            handler_errors: 0,
            handler_unhandled: 0,
            book_sync: BookSyncSummary::default(),
            sink: SinkCounters::default(),
        };
        for (shard, connection) in self.pool.connections().iter().enumerate() {
            let stats = connection.stats();
            group.connections.push(ConnSnapshot {
                shard,
                state: connection.state(),
                counters: stats.counters,
                latency: stats.latency,
            });
            connection.with_session(|tap| {
                let inner = tap.inner();
                let h = inner.handler_stats();
                group.handler_messages += h.messages;
                group.handler_errors += h.errors;
                group.handler_unhandled += h.unhandled;
                let b = inner.book_sync();
                group.book_sync.snapshots_requested += b.snapshots_requested;
                group.book_sync.snapshots_applied += b.snapshots_applied;
                group.book_sync.snapshots_failed += b.snapshots_failed;
                group.book_sync.resyncs += b.resyncs;
                let s = inner.sink().counters();
                for (total, n) in group.sink.by_kind.iter_mut().zip(s.by_kind) {
                    *total += n;
                }
                group.sink.resyncs += s.resyncs;
                group.sink.gaps += s.gaps;
                group.sink.lives += s.lives;
            });
        }
        group
    }

    fn health(&self) -> Health {
        exchange_ws::tap::pool_health(&self.pool)
    }

    fn books(&self) -> Vec<(BookLine, u64)> {
        let mut books = Vec::new();
        for connection in self.pool.connections() {
            connection.with_session(|tap| {
                let ts = tap.inner().sink().receive_ts();
                books.extend(self::books(tap.inner()).into_iter().map(|b| (b, ts)));
            });
        }
        books
    }

    fn close(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let mut pool = self.pool;
        Box::pin(async move {
            if let Err(e) = pool.close().await {
                tracing::debug!(%e, "close");
            }
        })
    }
}

/// Starts a pool of one handler type (compiled once per type, so statically dispatched).
#[allow(
    clippy::too_many_arguments,
    reason = "the group's parts, passed through once"
)]
pub(crate) fn start_sessions<S: SinkHandler>(
    venue: Venue,
    role: Role,
    limit: ConnectRateLimit,
    sessions: Vec<S>,
    first_shard: u16,
    control: &Arc<RunControl>,
    delivery: &dyn Fn() -> Delivery,
    config: &DriverConfig,
) -> Result<Box<dyn RunningGroup>, String> {
    let taps = sessions
        .into_iter()
        .enumerate()
        .map(|(i, s)| tap(s, first_shard + i as u16, control.clone(), delivery()));
    let pool = ConnectionPool::spawn(taps, config.clone(), limit)
        .map_err(|e| format!("cannot start the {venue} connections: {e}"))?;
    Ok(Box::new(PoolGroup { venue, role, pool }))
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// `--duration` elapsed.
    Duration,
    /// Ctrl-C.
    Interrupted,
    /// Nobody reads stdout any more.
    StdoutClosed,
    /// Something needs the user's attention; the message says what to do.
    Failed(String),
}

/// Settings of the run loop.
#[derive(Debug, Clone)]
pub struct LoopConfig {
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Give up when a group has not connected within this long.
    pub connect_timeout: Duration,
    /// Status refresh period.
    pub refresh: Duration,
    /// Send status lines to the printer (table format).
    pub show_status: bool,
}

/// Everything a live run owns.
#[derive(Debug)]
pub struct Run {
    /// The groups.
    pub groups: Vec<Box<dyn RunningGroup>>,
    /// Recording and freeze switch.
    pub control: Arc<RunControl>,
    /// Stdout.
    pub printer: Printer,
    /// `--publish`.
    pub nats: Option<NatsPublisher>,
    /// `--metrics-addr`.
    pub metrics: Option<(MetricsServer, SharedSnapshot)>,
}

impl std::fmt::Debug for dyn RunningGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunningGroup({} {})", self.venue(), self.role().as_str())
    }
}

/// Totals over the run, for the status line and the summary.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Messages received.
    pub messages: u64,
    /// Reconnects.
    pub reconnects: u64,
    /// Book resyncs.
    pub resyncs: u64,
    /// Of those, gaps.
    pub gaps: u64,
    /// Connected / total connections.
    pub connected: usize,
    /// Total connections.
    pub connections: usize,
    /// Latency over all connections.
    pub latency: LatencyHistogram,
    /// Events produced.
    pub events: u64,
    /// Events dropped (printer + NATS).
    pub drops: u64,
    /// Events dropped for NATS.
    pub nats_drops: u64,
}

impl Run {
    /// Copies every group's counters (and refreshes the metrics snapshot).
    pub fn collect(&self) -> (Vec<GroupSnapshot>, Totals) {
        let groups: Vec<GroupSnapshot> = self.groups.iter().map(|g| g.snapshot()).collect();
        let mut totals = Totals::default();
        for g in &groups {
            for c in &g.connections {
                totals.messages += c.counters.messages_received;
                totals.reconnects += c.counters.reconnects;
                totals.connections += 1;
                if c.state == ConnectionState::Connected {
                    totals.connected += 1;
                }
                totals.latency.merge(&c.latency);
            }
            totals.resyncs += g.sink.resyncs;
            totals.gaps += g.sink.gaps;
            totals.events += g.sink.by_kind.iter().sum::<u64>();
        }
        let delivery = self.control.delivery();
        let printer_dropped = delivery.printer_dropped.load(Ordering::Relaxed);
        totals.nats_drops = delivery.nats_dropped.load(Ordering::Relaxed);
        totals.drops = printer_dropped + totals.nats_drops;
        if let Some((_, shared)) = &self.metrics {
            let snapshot = MetricsSnapshot {
                groups: groups.clone(),
                printer_dropped,
                nats_published: delivery.published.load(Ordering::Relaxed),
                nats_dropped: totals.nats_drops,
                nats_queue: self.nats.as_ref().map_or(0, |n| n.queue_depth() as u64),
            };
            *shared
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = snapshot;
        }
        (groups, totals)
    }

    /// Refreshes the status until the duration passes, Ctrl-C, or a failure. `tick` runs
    /// every refresh with the elapsed time (the demo injects faults there) and may return
    /// a notice to print.
    pub async fn run_loop(
        &mut self,
        config: &LoopConfig,
        mut tick: impl FnMut(Duration) -> Option<String>,
    ) -> Exit {
        let started = Instant::now();
        let mut interval = tokio::time::interval(config.refresh);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_messages = 0u64;
        let mut last_at = Instant::now();
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            let sleep = async {
                match config.duration {
                    Some(d) => tokio::time::sleep_until((started + d).into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = interval.tick() => {}
                _ = &mut ctrl_c => return Exit::Interrupted,
                _ = sleep => return Exit::Duration,
            }
            let elapsed = started.elapsed();
            if self.printer.is_closed() {
                return Exit::StdoutClosed;
            }
            if let Some(error) = self.control.recording_error() {
                return Exit::Failed(format!(
                    "writing the recording failed: {error}; check the disk and the --out path"
                ));
            }
            if let Some(failure) = self.check(elapsed, config.connect_timeout) {
                return Exit::Failed(failure);
            }
            let (_, totals) = self.collect();
            if let Some(line) = tick(elapsed) {
                let _ = self.printer.sender().try_send(Out::Line(line));
            }
            if config.show_status {
                let now = Instant::now();
                let rate = (totals.messages.saturating_sub(last_messages)) as f64
                    / now.duration_since(last_at).as_secs_f64().max(1e-3);
                last_messages = totals.messages;
                last_at = now;
                let _ = self.printer.sender().try_send(Out::Status(status_line(
                    &totals,
                    rate,
                    self.nats.is_some(),
                )));
            }
        }
    }

    /// A failure that should stop the run, with what to do about it.
    fn check(&self, elapsed: Duration, connect_timeout: Duration) -> Option<String> {
        for group in &self.groups {
            let venue = group.venue();
            let health = group.health();
            if let Some(rejection) = health.rejections.first() {
                return Some(format!(
                    "{venue} refused a subscription: {rejection}; check --symbols ({}) and --channels",
                    symbol_hint(venue)
                ));
            }
            if let Some(failure) = health.auth_failures.first() {
                let (key, secret) = exchange_ws::variable_names(venue);
                return Some(format!(
                    "{venue} rejected the API credentials: {failure}; check {key} and {secret}"
                ));
            }
            if health.stopped > 0 {
                let why = health.last_failure.unwrap_or_else(|| "stopped".into());
                return Some(if health.ever_connected == 0 {
                    format!(
                        "cannot connect to {}: {why}; check --ws-url (and --tls-root for a private CA)",
                        health.url
                    )
                } else {
                    format!(
                        "{venue} {} connection stopped: {why}",
                        group.role().as_str()
                    )
                });
            }
            if health.ever_connected < health.total && elapsed >= connect_timeout {
                let why = health.last_failure.unwrap_or_else(|| "no answer".into());
                return Some(format!(
                    "cannot connect to {} within {:.0} s: {why}; check --ws-url and the network \
                     (or raise --connect-timeout)",
                    health.url,
                    connect_timeout.as_secs_f64()
                ));
            }
        }
        None
    }

    /// Every group's full books, with the receive time of the last input of its session.
    /// Call after [`RunControl::freeze`] so they do not move.
    pub fn final_books(&self) -> Vec<(Venue, BookLine, u64)> {
        self.groups
            .iter()
            .flat_map(|g| {
                let venue = g.venue();
                g.books().into_iter().map(move |(b, ts)| (venue, b, ts))
            })
            .collect()
    }

    /// Freezes the sessions, prints (and publishes) the final books unless the run
    /// failed, closes everything and returns the totals.
    pub async fn finish(mut self, exit: &Exit) -> Result<Totals, String> {
        self.control.freeze();
        let (_, totals) = self.collect();
        if !matches!(exit, Exit::Failed(_) | Exit::StdoutClosed) {
            let printer = self.printer.sender();
            let nats = self.nats.as_ref().map(NatsPublisher::sender);
            {
                for (venue, book, ts) in self.final_books() {
                    let event = Arc::new(Event {
                        venue,
                        receive_ts_ns: ts,
                        body: EventBody::Book(book),
                    });
                    if let Some(nats) = &nats {
                        let _ = nats.send(Out::Event(event.clone())).await;
                    }
                    let _ = printer.send(Out::Event(event)).await;
                }
            }
        }
        for group in std::mem::take(&mut self.groups) {
            group.close().await;
        }
        let printed = self.printer.finish().await;
        if let Some(nats) = self.nats.take() {
            let stats = nats.finish().await;
            if stats.failed > 0 {
                eprintln!(
                    "wsx: {} events could not be published to NATS",
                    stats.failed
                );
            }
            if let Some(why) = stats.unconfirmed {
                eprintln!("wsx: the NATS server did not confirm the last events: {why}");
            }
        }
        if let Err(e) = printed {
            return Err(format!("writing to stdout failed: {e}"));
        }
        Ok(totals)
    }
}

/// The status line: state, rate, latency, reconnects, resyncs, drops (of which NATS, when
/// publishing).
pub fn status_line(t: &Totals, rate: f64, publishing: bool) -> String {
    let state = if t.connected == t.connections {
        "CONNECTED"
    } else {
        "CONNECTING"
    };
    format!(
        "{state:<10} {}/{}  {rate:>7.0} msg/s  p99 {:>7.1} µs  reconnects {:>2}  resyncs {:>2}  gaps {:>2}  drops {}{}",
        t.connected,
        t.connections,
        t.latency.quantile_nanos(0.99) as f64 / 1000.0,
        t.reconnects,
        t.resyncs,
        t.gaps,
        t.drops,
        if publishing {
            format!(" (nats {})", t.nats_drops)
        } else {
            String::new()
        },
    )
}

fn symbol_hint(venue: Venue) -> &'static str {
    venue_registry::profile(venue).symbol_hint
}
