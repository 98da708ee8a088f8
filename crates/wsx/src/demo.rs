//! `wsx demo`: the embedded simulator and the whole client stack in one process, offline.
//!
//! The simulator's [`Scenario`] serves every venue on 127.0.0.1, with a moving book per
//! symbol and an account that trades by itself; it also says where each venue is, which
//! key it accepts, how each fault kind looks on its wire and what each book holds, so
//! nothing here names a venue. The demo streams all of them through the same sessions
//! `wsx stream` uses, shows a top-of-book row per symbol and a status line, injects a fault
//! every few seconds (dropped connections, closes without status, sequence gaps, crossed
//! updates, duplicates, full pushes, malformed frames, stale snapshots), and at the end
//! stops the generators, lets the books settle and checks every local book against the
//! simulator's truth.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use exchange_sim::{FaultKind, Scenario, ScenarioConfig};
use market_types::Venue;

use crate::event::BookLine;
use crate::group::build;
use crate::metrics::{MetricsServer, MetricsSnapshot};
use crate::nats::NatsPublisher;
use crate::output::{Format, Printer};
use crate::run::{Exit, LoopConfig, Run};
use crate::tap::RunControl;
use crate::venue::{ChannelName, StreamPlan, check_channels};
use exchange_ws::Credentials;

/// Options of `wsx demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How long to run, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 20.0)]
    duration: f64,
    /// Seconds between injected faults.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    fault_every: f64,
    /// Do not inject faults.
    #[arg(long)]
    no_faults: bool,
    /// table (default): top of book per symbol and a status line; jsonl: every event.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Serve Prometheus metrics at http://HOST:PORT/metrics.
    #[arg(long, value_name = "HOST:PORT")]
    metrics_addr: Option<String>,
    /// Publish every event to NATS.
    #[arg(long, value_name = "nats://HOST:PORT")]
    publish: Option<String>,
}

/// `wsx demo`.
pub async fn run(args: DemoArgs) -> Result<()> {
    if args.duration.is_nan() || args.duration <= 0.0 {
        bail!("--duration must be positive");
    }
    if args.fault_every.is_nan() || args.fault_every <= 0.0 {
        bail!("--fault-every must be positive");
    }
    let scenario = Scenario::start(ScenarioConfig {
        auto_trading: Some(Duration::from_millis(700)),
        ..ScenarioConfig::default()
    })
    .await
    .context("could not start the embedded simulator on 127.0.0.1")?;

    let plans = plans(&scenario);
    let mut built = Vec::new();
    let mut venues = Vec::new();
    let mut symbols = 0;
    for plan in &plans {
        match build(plan) {
            Ok(_) => {
                venues.push(plan.venue);
                symbols += plan.symbols.len();
                built.push(plan.clone());
            }
            Err(why) => eprintln!("wsx demo: skipping {}: {why}", plan.venue),
        }
    }
    if built.is_empty() {
        bail!("no venue could be started");
    }
    let names: Vec<&str> = venues.iter().map(|v| v.as_str()).collect();
    let intro = format!(
        "wsx demo: simulator on {} (loopback only), {} ({symbols} books), {:.0} s{}",
        scenario.addr(),
        names.join(", "),
        args.duration,
        if args.no_faults {
            String::new()
        } else {
            format!(", a fault every {:.0} s", args.fault_every)
        }
    );
    if args.format == Format::Table {
        println!("{intro}");
    } else {
        eprintln!("{intro}");
    }
    let tty = std::io::stdout().is_terminal();
    let printer = Printer::start(args.format, tty, crate::stream::EVENT_QUEUE)
        .context("cannot start the printer")?;
    let nats = match &args.publish {
        Some(url) => Some(
            NatsPublisher::start(url, crate::stream::EVENT_QUEUE)
                .await
                .map_err(anyhow::Error::msg)?,
        ),
        None => None,
    };
    let metrics = match &args.metrics_addr {
        Some(addr) => {
            let shared = Arc::new(Mutex::new(MetricsSnapshot::default()));
            let server = MetricsServer::start(addr, shared.clone())
                .await
                .map_err(anyhow::Error::msg)?;
            eprintln!("wsx: metrics at http://{}/metrics", server.addr());
            Some((server, shared))
        }
        None => None,
    };
    let driver = ws_core::DriverConfig::default();
    let mut run = Run::start(&built, &driver, RunControl::new(), printer, nats, metrics)
        .await
        .map_err(anyhow::Error::msg)?;
    let duration = Duration::from_secs_f64(args.duration);
    // The generators stop a little before the end so the books can settle for the check.
    let settle = Duration::from_millis(1500).min(duration / 3);
    let pause_at = duration - settle;
    let fault_every = Duration::from_secs_f64(args.fault_every);
    let mut next_fault = fault_every;
    let mut paused = false;
    let mut faults = FaultCycle::new(&venues);
    let config = LoopConfig {
        duration: Some(duration),
        connect_timeout: Duration::from_secs(10),
        refresh: Duration::from_millis(if tty { 250 } else { 1000 }),
        show_status: true,
    };
    let exit = run
        .run_loop(&config, |elapsed| {
            if !paused && elapsed >= pause_at {
                paused = true;
                scenario.pause();
                return Some("generators paused; letting the books settle".into());
            }
            if args.no_faults || paused || elapsed < next_fault {
                return None;
            }
            next_fault = elapsed + fault_every;
            Some(faults.inject_next(&scenario))
        })
        .await;
    if !paused {
        scenario.pause();
    }
    run.freeze();
    let books = run.final_books();
    let (matched, total, mismatches) = check_books(&books, &scenario);
    let (_, totals) = run.collect();
    let groups_snapshot = run.collect().0;
    let result = run.finish(&exit).await;
    scenario.shutdown().await;
    let totals = result.map_err(anyhow::Error::msg).unwrap_or(totals);
    let mut by_cause = [0u64; 4];
    for group in &groups_snapshot {
        for conn in &group.connections {
            let c = &conn.counters;
            by_cause[0] += c.disconnects(ws_core::DisconnectKind::Lost);
            by_cause[1] += c.disconnects(ws_core::DisconnectKind::NoStatus);
            by_cause[2] += c.disconnects(ws_core::DisconnectKind::Idle);
            by_cause[3] += c.disconnects(ws_core::DisconnectKind::Protocol)
                + c.disconnects(ws_core::DisconnectKind::Session);
        }
    }
    let latency = totals.latency.summary();
    let summary = format!(
        "done: {} messages, {} events, {} reconnects ({} lost, {} 1005, {} idle, {} other), \
         {} resyncs ({} gaps), receive→handled p50 {:.1} µs p99 {:.1} µs p99.9 {:.1} µs; \
         books match the simulator's truth: {matched} of {total}",
        totals.messages,
        totals.events,
        totals.reconnects,
        by_cause[0],
        by_cause[1],
        by_cause[2],
        by_cause[3],
        totals.resyncs,
        totals.gaps,
        latency.p50_ns as f64 / 1000.0,
        latency.p99_ns as f64 / 1000.0,
        latency.p999_ns as f64 / 1000.0,
    );
    if args.format == Format::Table {
        println!("{summary}");
    } else {
        eprintln!("{summary}");
    }
    for mismatch in &mismatches {
        eprintln!("wsx demo: {mismatch}");
    }
    match exit {
        Exit::Failed(message) => bail!(message),
        _ if matched < total => bail!(
            "{} of {total} books differ from the simulator's truth",
            total - matched
        ),
        _ => Ok(()),
    }
}

/// Every channel the demo streams where the venue offers it (all but the 24 h ticker, which
/// repeats the ticker).
const DEMO_CHANNELS: [ChannelName; 7] = [
    ChannelName::Book,
    ChannelName::Trades,
    ChannelName::Ticker,
    ChannelName::Orders,
    ChannelName::Fills,
    ChannelName::Balances,
    ChannelName::Positions,
];

/// What the demo streams: every simulated venue, every demo channel the venue has, with
/// the simulated account's key.
fn plans(scenario: &Scenario) -> Vec<StreamPlan> {
    scenario
        .venues()
        .iter()
        .filter_map(|&venue| {
            let endpoints = scenario.endpoints(venue)?;
            let channels = DEMO_CHANNELS
                .into_iter()
                .filter(|c| check_channels(venue, &[*c]).is_ok())
                .collect();
            Some(StreamPlan {
                venue,
                symbols: scenario.symbols(venue),
                channels,
                ws_url: endpoints.ws_url,
                rest_url: endpoints.rest_url,
                depth: None,
                levels: 5,
                credentials: scenario
                    .credentials(venue)
                    .map(|key| Credentials::new(key.api_key, key.api_secret)),
                fast_timers: true,
            })
        })
        .collect()
}

/// The faults the demo cycles through. Connection faults hit every venue at once; each
/// book fault goes to the next venue (in turn) whose simulator can make it.
const FAULT_CYCLE: [FaultKind; 8] = [
    FaultKind::Drop,
    FaultKind::Gap,
    FaultKind::CloseNoStatus,
    FaultKind::Crossed,
    FaultKind::Duplicate,
    FaultKind::FullBookPush,
    FaultKind::Malformed,
    FaultKind::StaleSnapshot,
];

/// Where the demo is in [`FAULT_CYCLE`], and whose turn it is among the venues.
struct FaultCycle {
    venues: Vec<Venue>,
    step: usize,
    turn: usize,
}

impl FaultCycle {
    fn new(venues: &[Venue]) -> Self {
        Self {
            venues: venues.to_vec(),
            step: 0,
            turn: 0,
        }
    }

    /// Injects the next fault; returns what happened, for the status line.
    fn inject_next(&mut self, scenario: &Scenario) -> String {
        let kind = FAULT_CYCLE[self.step % FAULT_CYCLE.len()];
        self.step += 1;
        if matches!(kind, FaultKind::Drop | FaultKind::CloseNoStatus) {
            let reached: usize = self
                .venues
                .iter()
                .filter_map(|venue| scenario.inject(*venue, "", kind).ok())
                .sum();
            return if kind == FaultKind::Drop {
                format!("injected: dropped all {reached} connections (as a network loss would)")
            } else {
                format!("injected: closed all {reached} connections without a status (1005)")
            };
        }
        let count = self.venues.len();
        let Some(venue) = (0..count)
            .map(|k| self.venues[(self.turn + k) % count])
            .find(|venue| kind.supported_on(*venue))
        else {
            return format!("fault not injected: no venue makes '{kind}'");
        };
        let symbols = scenario.symbols(venue);
        let Some(symbol) = symbols.get(self.turn % symbols.len().max(1)) else {
            return format!("fault not injected: {venue} has no symbols");
        };
        self.turn += 1;
        match scenario.inject(venue, symbol.as_str(), kind) {
            Ok(_) => format!("injected: {venue} {symbol} {}", effect(kind)),
            Err(e) => format!("fault not injected: {e}"),
        }
    }
}

/// What a book fault does and what the client does about it.
fn effect(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Gap => "skips an update (gap → resync)",
        FaultKind::Crossed => "crossed update (→ resync)",
        FaultKind::Duplicate => "repeats its last update (skipped)",
        FaultKind::FullBookPush => "full snapshot push (replaces the book)",
        FaultKind::OutOfOrder => "two updates out of order (gap → resync)",
        FaultKind::Malformed => "malformed frame (skipped, counted)",
        FaultKind::StaleSnapshot => "gap, then a stale snapshot (→ resync, asked again)",
        _ => "fault",
    }
}

/// Compares each final book with the simulator's: `(matching, total, what differs)`.
fn check_books(
    books: &[(Venue, BookLine, u64)],
    scenario: &Scenario,
) -> (usize, usize, Vec<String>) {
    let mut matched = 0;
    let mut mismatches = Vec::new();
    for (venue, book, _) in books {
        // The local book holds the subscribed depth; compare that many levels.
        let depth = book.bids.len().max(book.asks.len()).max(20);
        match scenario.truth(*venue, book.symbol.as_str(), depth) {
            Some(truth) if book.status.is_live() && truth.matches(&book.bids, &book.asks) => {
                matched += 1;
            }
            Some(truth) => mismatches.push(format!(
                "{venue} {}: local book ({}, update {}, {}x{} levels) differs from the truth \
                 (update {}, {}x{} levels)",
                book.symbol,
                book.status,
                book.update_id,
                book.bids.len(),
                book.asks.len(),
                truth.update_id,
                truth.bids.len(),
                truth.asks.len()
            )),
            None => mismatches.push(format!("{venue} {}: no truth", book.symbol)),
        }
    }
    (matched, books.len(), mismatches)
}
