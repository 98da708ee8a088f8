//! `soak --minutes N`: every venue (MEXC spot and futures, Gate.io spot and futures) on the
//! embedded simulator (127.0.0.1 only), streamed through the client library as a user
//! builds it, with faults injected on a schedule and the simulated account trading, for
//! N minutes. At checkpoints and at the end it lets the books settle and checks that every
//! local book equals the simulator's truth and that every account event arrived exactly
//! once; over the whole run it samples this process's resident memory and fails if it
//! keeps growing after the warm-up. Run through `cargo xtask soak` (docs/TESTING.md).

mod faults;
mod private;
mod rss;
mod venues;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use exchange_ws::{Client, Venue};

use crate::faults::{CYCLE, SoakFault};
use crate::private::Delivered;
use crate::rss::MemoryReport;
use crate::venues::{Placed, Sim, VENUES};

const USAGE: &str = "soak --minutes N [--fault-every SECS] [--trade-every SECS] \
    [--checkpoint-every MINUTES (default 0.5)]: every \
    venue on the embedded simulator through the client library, faults on a schedule, for N \
    minutes (fractions allowed); checks books, account events and memory";

/// What the run is asked for.
#[derive(Debug, Clone, Copy)]
struct Plan {
    run: Duration,
    fault_every: Duration,
    trade_every: Duration,
    checkpoint_every: Duration,
}

impl Plan {
    fn parse(args: &[String]) -> Result<Option<Plan>> {
        let mut minutes = None;
        let mut fault_every = 3.0;
        let mut trade_every = TRADE_EVERY_SECS;
        let mut checkpoint_minutes = CHECKPOINT_EVERY_MINUTES;
        let mut it = args.iter();
        let positive = |flag: &str, value: Option<&String>| -> Result<f64> {
            let value = value.with_context(|| format!("{flag} needs a number"))?;
            match value.parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 && n <= 10_000.0 => Ok(n),
                _ => bail!("{flag} wants a number above 0, not '{value}'"),
            }
        };
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--minutes" => minutes = Some(positive("--minutes", it.next())?),
                "--fault-every" => fault_every = positive("--fault-every", it.next())?,
                "--trade-every" => trade_every = positive("--trade-every", it.next())?,
                "--checkpoint-every" => {
                    checkpoint_minutes = positive("--checkpoint-every", it.next())?;
                }
                other => bail!("unknown argument '{other}' (try --help)"),
            }
        }
        let minutes = minutes.context("--minutes N is required (try --help)")?;
        let run = Duration::from_secs_f64(minutes * 60.0);
        // At least one checkpoint before the end, whatever the length.
        let checkpoint_every = Duration::from_secs_f64(checkpoint_minutes * 60.0).min(run / 2);
        Ok(Some(Plan {
            run,
            fault_every: Duration::from_secs_f64(fault_every),
            trade_every: Duration::from_secs_f64(trade_every),
            checkpoint_every,
        }))
    }
}

/// How long a checkpoint waits for the books and the account events to settle.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);
/// Minutes between checkpoints. The simulator keeps every private push, order and fill
/// until a checkpoint takes them, and the soak keeps the window's deliveries: short windows
/// keep the soak's own share of the memory small (6-minute runs: +491 KiB/min with a
/// checkpoint every 3 minutes, +208 KiB/min every 30 s; docs/TESTING.md, "Soak").
const CHECKPOINT_EVERY_MINUTES: f64 = 0.5;
/// Seconds between trading rounds (one order placed and filled on every venue).
const TRADE_EVERY_SECS: f64 = 2.0;
/// Seconds between resident memory samples.
const RSS_EVERY: Duration = Duration::from_secs(2);
/// How long the client may take to bring every book live at the start.
const START_LIMIT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plan = match Plan::parse(&args) {
        Ok(Some(plan)) => plan,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("soak: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("soak: FAILED: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(soak(plan)) {
        Ok(failures) if failures.is_empty() => {
            println!("soak: PASSED");
            ExitCode::SUCCESS
        }
        Ok(failures) => {
            for failure in &failures {
                println!("soak: FAILED: {failure}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            println!("soak: FAILED: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The run; returns every failure found.
async fn soak(plan: Plan) -> Result<Vec<String>> {
    let started = Instant::now();
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop_sampling.clone();
        let max = (plan.run.as_secs() / RSS_EVERY.as_secs().max(1)) as usize + 1_000;
        std::thread::spawn(move || rss::sample_until(RSS_EVERY, max, &stop))
    };
    let sim = Sim::start().await?;
    let client = sim.client().await?;
    let books: Vec<(Venue, String)> = VENUES
        .iter()
        .flat_map(|v| sim.symbols(*v).into_iter().map(move |s| (*v, s)))
        .collect();
    println!(
        "soak: {:.1} min, {} venues, {} books, account channels on, a fault every {:.0} s, \
         simulator on {} (loopback only)",
        plan.run.as_secs_f64() / 60.0,
        VENUES.len(),
        books.len(),
        plan.fault_every.as_secs_f64(),
        sim.sim.addr()
    );

    let delivered = Arc::new(Mutex::new(Delivered::default()));
    let events_read = Arc::new(AtomicU64::new(0));
    let reader = {
        let mut events = client.events();
        let delivered = delivered.clone();
        let count = events_read.clone();
        // Ends when the client closes and the queue is drained.
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                count.fetch_add(1, Ordering::Relaxed);
                delivered
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .record(event.venue, &event.body);
            }
        })
    };

    let mut failures = Vec::new();
    if let Err(why) = all_live(&client, &books).await {
        failures.push(why);
    }

    let mut next_fault = Instant::now() + plan.fault_every;
    let mut next_trade = Instant::now();
    let mut next_checkpoint = Instant::now() + plan.checkpoint_every;
    let end = started + plan.run;
    let mut injected = [0u64; CYCLE.len()];
    let mut refused = Vec::new();
    let mut fault_index = 0usize;
    let mut round = 0u64;
    let mut placed: Vec<Placed> = Vec::new();
    let mut checkpoint_no = 0u32;
    while Instant::now() < end {
        let now = Instant::now();
        if now >= next_checkpoint {
            checkpoint_no += 1;
            let found = checkpoint(
                checkpoint_no,
                started,
                &sim,
                &client,
                &books,
                &delivered,
                &mut placed,
            )
            .await;
            failures.extend(found);
            next_checkpoint = Instant::now() + plan.checkpoint_every;
            next_fault = Instant::now() + plan.fault_every;
            continue;
        }
        if now >= next_trade {
            for venue in VENUES {
                match sim.trade(venue, round) {
                    Ok(order) => placed.push(order),
                    Err(why) => failures.push(format!("{venue}: the soak could not trade: {why}")),
                }
            }
            round += 1;
            next_trade = now + plan.trade_every;
        }
        if now >= next_fault {
            let fault: SoakFault = CYCLE[fault_index % CYCLE.len()];
            match fault.inject(&sim) {
                Ok(()) => injected[fault_index % CYCLE.len()] += 1,
                Err(why) => refused.push(format!("{}: {why}", fault.name())),
            }
            fault_index += 1;
            next_fault = now + plan.fault_every;
        }
        let wake = next_fault.min(next_trade).min(next_checkpoint).min(end);
        tokio::time::sleep(wake.saturating_duration_since(Instant::now())).await;
    }
    checkpoint_no += 1;
    let found = checkpoint(
        checkpoint_no,
        started,
        &sim,
        &client,
        &books,
        &delivered,
        &mut placed,
    )
    .await;
    failures.extend(found);

    let stats = client.stats();
    client.close().await;
    // The stream ends once the client is closed and drained.
    if tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .is_err()
    {
        failures.push("the event stream did not end after close".into());
    }
    sim.sim.shutdown().await;
    stop_sampling.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap_or_default();

    let total: u64 = injected.iter().sum();
    let by_kind: Vec<String> = CYCLE
        .iter()
        .zip(injected)
        .map(|(f, n)| format!("{} {n}", f.name()))
        .collect();
    println!(
        "faults injected: {total} ({}); refused by the simulator: {}",
        by_kind.join(", "),
        refused.len()
    );
    for why in refused.iter().take(5) {
        println!("  refused: {why}");
    }
    let (mut reconnects, mut resyncs, mut snapshots) = (0, 0, 0);
    for pool in &stats.pools {
        reconnects += pool.counters.reconnects;
        resyncs += pool.book_sync.resyncs;
        snapshots += pool.book_sync.snapshots_applied;
    }
    println!(
        "client: {} events read, {} reconnects, {} resyncs, {} snapshots applied, {} \
         trading rounds",
        events_read.load(Ordering::Relaxed),
        reconnects,
        resyncs,
        snapshots,
        round
    );
    match MemoryReport::from_samples(&samples) {
        Some(memory) => {
            println!(
                "memory: {} samples; RSS first tenth {:.1} MiB, last tenth {:.1} MiB; after \
                 the warm-up slope {:+.1} KiB/min, growth {:+.0} KiB (fails above {:.0} \
                 KiB/min and {:.0} KiB together)",
                memory.samples,
                memory.first_tenth_kib / 1024.0,
                memory.last_tenth_kib / 1024.0,
                memory.slope_kib_per_min,
                memory.growth_kib,
                rss::MAX_SLOPE_KIB_PER_MIN,
                rss::MAX_GROWTH_KIB
            );
            if memory.grows() {
                failures.push(format!(
                    "resident memory grows: {:+.1} KiB/min after the warm-up, {:+.0} KiB",
                    memory.slope_kib_per_min, memory.growth_kib
                ));
            }
        }
        None => failures.push(format!(
            "too few memory samples ({}) to judge the resident memory",
            samples.len()
        )),
    }
    Ok(failures)
}

/// Waits until every book is live.
async fn all_live(client: &Client, books: &[(Venue, String)]) -> Result<(), String> {
    let deadline = Instant::now() + START_LIMIT;
    loop {
        let waiting: Vec<String> = books
            .iter()
            .filter(|(venue, symbol)| {
                client
                    .book(*venue, symbol)
                    .map_or(true, |b| !b.status.is_live())
            })
            .map(|(venue, symbol)| format!("{venue} {symbol}"))
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "books not live {} s after start: {}",
                START_LIMIT.as_secs(),
                waiting.join(", ")
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Pauses the venues, lets books and account events settle, checks both, resumes.
#[allow(
    clippy::too_many_arguments,
    reason = "the soak's state, passed once per checkpoint"
)]
async fn checkpoint(
    number: u32,
    started: Instant,
    sim: &Sim,
    client: &Client,
    books: &[(Venue, String)],
    delivered: &Mutex<Delivered>,
    placed: &mut Vec<Placed>,
) -> Vec<String> {
    faults::clear(sim);
    sim.pause();
    let began = Instant::now();
    let window = sim.take_fill_ids();
    let expected: usize = window.iter().map(|(_, ids)| ids.len()).sum();
    let mut failures = Vec::new();
    let mut last_nudge = Instant::now();
    let differing = loop {
        let differing: Vec<String> = books
            .iter()
            .filter_map(|(venue, symbol)| match client.book(*venue, symbol) {
                Ok(local) => sim.book_differs(*venue, &local),
                Err(e) => Some(format!("{venue} {symbol}: {e}")),
            })
            .collect();
        let fills_seen = delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .counts()
            .0;
        if (differing.is_empty() && fills_seen >= expected) || began.elapsed() >= SETTLE_LIMIT {
            break differing;
        }
        // A book restarting after a fault may wait for a push before it fetches its
        // snapshot: move the paused venues on a step now and then.
        if last_nudge.elapsed() >= Duration::from_secs(2) && !differing.is_empty() {
            sim.mexc.advance(1);
            sim.futures.advance(1);
            sim.gate.advance(1);
            last_nudge = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Late duplicates have a moment to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let settled = began.elapsed();
    let matching = books.len() - differing.len();
    let (fills, orders) = delivered
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .counts();
    let account = delivered
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .check_and_rotate(&window, placed);
    println!(
        "checkpoint {number} at {:.1} min: books {matching}/{} equal the truth; account: {} \
         orders, {fills} of {expected} fills and {orders} order updates delivered, {}; \
         settled in {:.1} s",
        started.elapsed().as_secs_f64() / 60.0,
        books.len(),
        placed.len(),
        if account.is_empty() {
            "each exactly once".to_string()
        } else {
            format!("{} problems", account.len())
        },
        settled.as_secs_f64()
    );
    for why in differing.iter().take(10) {
        failures.push(format!("checkpoint {number}: {why}"));
    }
    for why in account {
        failures.push(format!("checkpoint {number}: {why}"));
    }
    placed.clear();
    sim.resume();
    failures
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Option<Plan> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Plan::parse(&args).unwrap()
    }

    #[test]
    fn checkpoints_come_every_half_minute_unless_asked_otherwise() {
        let plan = parse(&["--minutes", "60"]).unwrap();
        assert_eq!(plan.checkpoint_every, Duration::from_secs(30));
        let plan = parse(&["--minutes", "60", "--checkpoint-every", "5"]).unwrap();
        assert_eq!(plan.checkpoint_every, Duration::from_secs(300));
    }

    #[test]
    fn a_short_run_still_has_a_checkpoint_before_the_end() {
        let plan = parse(&["--minutes", "0.5"]).unwrap();
        assert_eq!(plan.checkpoint_every, Duration::from_secs(15));
    }
}
