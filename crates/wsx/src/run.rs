//! Running venue sessions live on the client library's [`Client`]: the status loop,
//! failure detection with messages that say what to do, delivery of the client's events to
//! the printer and the NATS publisher, and the orderly end (freeze, final books, close).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use exchange_ws::tap::SessionId;
use exchange_ws::{Client, Endpoints, EventKind, Events, Timers, VenueStreams};
use market_types::Venue;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use ws_core::{ConnectionState, DriverConfig, LatencyHistogram};

use crate::event::{BookLine, SinkCounters};
use crate::metrics::{ConnSnapshot, GroupSnapshot, MetricsServer, MetricsSnapshot, SharedSnapshot};
use crate::nats::NatsPublisher;
use crate::output::{Out, Printer};
use crate::tap::{BookSyncSummary, RecordTap, RunControl};
use crate::venue::StreamPlan;

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
    /// The sessions of every venue.
    pub client: Client,
    /// Recording and delivery counters.
    pub control: Arc<RunControl>,
    /// Stdout.
    pub printer: Printer,
    /// `--publish`.
    pub nats: Option<NatsPublisher>,
    /// `--metrics-addr`.
    pub metrics: Option<(MetricsServer, SharedSnapshot)>,
    /// Hands the client's events to the printer and the publisher.
    forwarder: JoinHandle<()>,
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
    /// Starts a client for `plans` (one venue each) whose sessions record into `control`'s
    /// recording, and the task that hands its events to the printer and the publisher.
    pub async fn start(
        plans: &[StreamPlan],
        driver: &DriverConfig,
        control: Arc<RunControl>,
        printer: Printer,
        nats: Option<NatsPublisher>,
        metrics: Option<(MetricsServer, SharedSnapshot)>,
    ) -> Result<Self, String> {
        let mut builder = Client::builder()
            .driver(driver.clone())
            .queue_capacity(crate::stream::EVENT_QUEUE);
        for plan in plans {
            builder = builder.add_venue(streams(plan));
        }
        // Shards are numbered across the run, market data first per venue: the order the
        // client makes the taps in, and the order of the recording header.
        let mut next_shard = 0u16;
        let tapped = control.clone();
        let client = builder
            .tap(move |_: SessionId| {
                let shard = next_shard;
                next_shard = next_shard.saturating_add(1);
                RecordTap::new(shard, tapped.clone())
            })
            .start()
            .await
            .map_err(|e| e.to_string())?;
        let forwarder = tokio::spawn(forward(
            client.events(),
            printer.sender(),
            nats.as_ref().map(NatsPublisher::sender),
            control.clone(),
        ));
        Ok(Self {
            client,
            control,
            printer,
            nats,
            metrics,
            forwarder,
        })
    }

    /// Stops applying input: the books, counters and recording stay as they are while the
    /// run reads them and closes.
    pub fn freeze(&self) {
        self.client.freeze();
    }

    /// Copies every pool's counters (and refreshes the metrics snapshot).
    pub fn collect(&self) -> (Vec<GroupSnapshot>, Totals) {
        let groups: Vec<GroupSnapshot> = self.client.pools().into_iter().map(snapshot).collect();
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
        // Events the client's own queue could not hold count as the printer's.
        let queue_dropped: u64 = self.client.stats().delivery.dropped.iter().sum();
        let printer_dropped = delivery.printer_dropped.load(Ordering::Relaxed) + queue_dropped;
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
        for pool in self.client.pools() {
            let venue = pool.venue;
            let health = pool.health;
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
                    format!("{venue} {} connection stopped: {why}", pool.role.as_str())
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

    /// Every venue's full books, with the receive time of the last input of their
    /// session. Call after [`Run::freeze`] so they do not move.
    pub fn final_books(&self) -> Vec<(Venue, BookLine, u64)> {
        self.client
            .books()
            .into_iter()
            .map(|b| (b.venue, b.book, b.receive_ts_ns))
            .collect()
    }

    /// Freezes the sessions, closes the client, prints (and publishes) the final books
    /// after every event unless the run failed, and returns the totals.
    pub async fn finish(self, exit: &Exit) -> Result<Totals, String> {
        self.freeze();
        let (_, totals) = self.collect();
        let books = if matches!(exit, Exit::Failed(_) | Exit::StdoutClosed) {
            Vec::new()
        } else {
            self.client.books()
        };
        let Run {
            client,
            printer,
            nats,
            forwarder,
            ..
        } = self;
        // Closing ends the event stream once the forwarder has taken every queued event.
        client.close().await;
        if let Err(e) = forwarder.await {
            tracing::debug!(%e, "the event forwarder ended early");
        }
        let printer_tx = printer.sender();
        let nats_tx = nats.as_ref().map(NatsPublisher::sender);
        for book in books {
            let event = Arc::new(book.into_event());
            if let Some(nats) = &nats_tx {
                let _ = nats.send(Out::Event(event.clone())).await;
            }
            let _ = printer_tx.send(Out::Event(event)).await;
        }
        drop(printer_tx);
        drop(nats_tx);
        let printed = printer.finish().await;
        if let Some(nats) = nats {
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

/// Hands every event of the client to the publisher and the printer without ever waiting
/// (bounded queues; a full queue drops and counts). Connection events are not printed.
async fn forward(
    mut events: Events,
    printer: mpsc::Sender<Out>,
    nats: Option<mpsc::Sender<Out>>,
    control: Arc<RunControl>,
) {
    let counters = control.delivery();
    while let Some(event) = events.next().await {
        if event.kind() == EventKind::Connection {
            continue;
        }
        let event = Arc::new(event);
        if let Some(nats) = &nats {
            match nats.try_send(Out::Event(event.clone())) {
                Ok(()) => counters.published.fetch_add(1, Ordering::Relaxed),
                Err(_) => counters.nats_dropped.fetch_add(1, Ordering::Relaxed),
            };
        }
        match printer.try_send(Out::Event(event)) {
            Ok(()) => counters.printed.fetch_add(1, Ordering::Relaxed),
            Err(_) => counters.printer_dropped.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// What the client is asked for one plan.
fn streams(plan: &StreamPlan) -> VenueStreams {
    VenueStreams {
        symbols: plan
            .symbols
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        channels: plan.channels.clone(),
        depth: plan.depth,
        levels: plan.levels,
        credentials: plan.credentials.clone(),
        endpoints: Endpoints::Custom {
            ws: plan.ws_url.clone(),
            rest: plan.rest_url.clone(),
        },
        timers: Some(if plan.fast_timers {
            Timers::Fast
        } else {
            Timers::Venue
        }),
        ..VenueStreams::new(plan.venue)
    }
}

/// One pool's report as the status line and the metrics see it.
fn snapshot(pool: exchange_ws::PoolReport) -> GroupSnapshot {
    let mut group = GroupSnapshot {
        venue: pool.venue,
        role: pool.role,
        connections: Vec::with_capacity(pool.connections.len()),
        handler_messages: 0,
        handler_errors: 0,
        handler_unhandled: 0,
        book_sync: BookSyncSummary::default(),
        sink: SinkCounters::default(),
    };
    for connection in pool.connections {
        let h = &connection.handler;
        group.handler_messages += h.messages;
        group.handler_errors += h.errors;
        group.handler_unhandled += h.unhandled;
        let b = connection.book_sync;
        group.book_sync.snapshots_requested += b.snapshots_requested;
        group.book_sync.snapshots_applied += b.snapshots_applied;
        group.book_sync.snapshots_failed += b.snapshots_failed;
        group.book_sync.resyncs += b.resyncs;
        let s = connection.events;
        for (total, n) in group.sink.by_kind.iter_mut().zip(s.by_kind) {
            *total += n;
        }
        group.sink.resyncs += s.resyncs;
        group.sink.gaps += s.gaps;
        group.sink.lives += s.lives;
        group.connections.push(ConnSnapshot {
            shard: usize::from(connection.shard),
            state: connection.state,
            counters: connection.counters,
            latency: connection.latency,
        });
    }
    group
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
