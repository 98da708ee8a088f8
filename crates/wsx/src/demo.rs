//! `wsx demo`: the embedded simulator and the whole client stack in one process, offline.
//!
//! The simulator serves every venue on 127.0.0.1 (MEXC spot at `/mexc`, MEXC futures at
//! `/mexc-futures`, Gate.io spot and USDT futures at `/gateio`), with a moving book per symbol and an account that trades by
//! itself. The demo streams all of them through the same sessions `wsx stream` uses, shows
//! a top-of-book row per symbol and a status line, injects a fault every few seconds
//! (dropped connections, closes without status, sequence gaps, crossed updates, malformed
//! frames), and at the end stops the generators, lets the books settle and checks every
//! local book against the simulator's truth.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use exchange_sim::gateio::{GateioFault, GateioSimConfig, GateioVenue, Market};
use exchange_sim::mexc::{MexcConfig, MexcFault, MexcVenue, PbDefect, PrivateFlow};
use exchange_sim::mexc_futures::{MexcFuturesConfig, MexcFuturesFault, MexcFuturesVenue};
use exchange_sim::{Fault, SimConfig, Simulator};
use market_types::{Decimal, Level, Symbol, Venue};
use ws_handlers::SimulatorMount;

use crate::event::BookLine;
use crate::group::build;
use crate::metrics::{MetricsServer, MetricsSnapshot};
use crate::nats::NatsPublisher;
use crate::output::{Format, Printer};
use crate::run::{Exit, LoopConfig, Run};
use crate::tap::RunControl;
use crate::venue::{ChannelName, StreamPlan};
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
    let mexc = Arc::new(
        MexcVenue::new(MexcConfig {
            private_flow: PrivateFlow::Automatic {
                every: Duration::from_millis(700),
            },
            ..MexcConfig::default()
        })
        .context("cannot configure the simulated MEXC venue")?,
    );
    let gate = GateioVenue::new(GateioSimConfig {
        auto_trading: Some(Duration::from_millis(700)),
        ..GateioSimConfig::default()
    });
    let futures_config = MexcFuturesConfig {
        auto_trading: Some(Duration::from_millis(700)),
        ..MexcFuturesConfig::default()
    };
    let futures_plan = FuturesPlan {
        contracts: futures_config
            .contracts
            .iter()
            .map(|c| c.book.symbol)
            .collect(),
        key: Credentials::new(&futures_config.api_key, &futures_config.api_secret),
    };
    let futures = Arc::new(
        MexcFuturesVenue::new(futures_config)
            .context("cannot configure the simulated MEXC futures venue")?,
    );
    let sim = Simulator::start(
        SimConfig::default()
            .mount(mount(Venue::MexcSpot).prefix, mexc.clone())
            .mount(mount(Venue::GateioSpot).prefix, gate.clone())
            .mount(mount(Venue::MexcFutures).prefix, futures.clone()),
    )
    .await
    .context("could not start the embedded simulator on 127.0.0.1")?;

    let plans = plans(&sim, &mexc, &gate, futures_plan);
    let mut built = Vec::new();
    let mut venues = Vec::new();
    let mut symbols = 0;
    for plan in &plans {
        match build(plan) {
            Ok(_) => {
                venues.push(plan.venue.as_str());
                symbols += plan.symbols.len();
                built.push(plan.clone());
            }
            Err(why) => eprintln!("wsx demo: skipping {}: {why}", plan.venue),
        }
    }
    if built.is_empty() {
        bail!("no venue could be started");
    }
    let intro = format!(
        "wsx demo: simulator on {} (loopback only), {} ({symbols} books), {:.0} s{}",
        sim.addr(),
        venues.join(", "),
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
    let faults = fault_schedule(venues.contains(&"gateio-spot"));
    let mut fault_index = 0usize;
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
                mexc.pause();
                gate.pause();
                futures.pause();
                return Some("generators paused; letting the books settle".into());
            }
            if args.no_faults || paused || elapsed < next_fault {
                return None;
            }
            next_fault = elapsed + fault_every;
            let fault = faults.get(fault_index % faults.len()).copied()?;
            fault_index += 1;
            Some(inject(fault, &sim, &mexc, &gate, &futures))
        })
        .await;
    if !paused {
        mexc.pause();
        gate.pause();
        futures.pause();
    }
    run.freeze();
    let books = run.final_books();
    let (matched, total, mismatches) = check_books(&books, &mexc, &gate, &futures);
    let (_, totals) = run.collect();
    let groups_snapshot = run.collect().0;
    let result = run.finish(&exit).await;
    sim.shutdown().await;
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

/// What the demo streams: every venue, every channel the venue has.
/// The simulated futures venue's contracts and key, taken before the venue owns its
/// configuration.
struct FuturesPlan {
    contracts: Vec<Symbol>,
    key: Credentials,
}

fn plans(
    sim: &Simulator,
    mexc: &MexcVenue,
    gate: &GateioVenue,
    futures: FuturesPlan,
) -> Vec<StreamPlan> {
    let symbols = |names: &[String]| -> Vec<Symbol> {
        names.iter().filter_map(|s| Symbol::new(s).ok()).collect()
    };
    let gate_key = Credentials::new(&gate.config().api_key, &gate.config().api_secret);
    let (gate_spot_ws, gate_rest) = simulated(sim, Venue::GateioSpot);
    let (gate_futures_ws, _) = simulated(sim, Venue::GateioFutures);
    let (mexc_ws, mexc_rest) = simulated(sim, Venue::MexcSpot);
    let (futures_ws, futures_rest) = simulated(sim, Venue::MexcFutures);
    vec![
        StreamPlan {
            venue: Venue::GateioSpot,
            symbols: symbols(&gate.config().spot_symbols),
            channels: vec![
                ChannelName::Book,
                ChannelName::Trades,
                ChannelName::Ticker,
                ChannelName::Orders,
                ChannelName::Fills,
                ChannelName::Balances,
            ],
            ws_url: gate_spot_ws,
            rest_url: gate_rest.clone(),
            depth: None,
            levels: 5,
            credentials: Some(gate_key.clone()),
            fast_timers: true,
        },
        StreamPlan {
            venue: Venue::GateioFutures,
            symbols: symbols(&gate.config().futures_contracts),
            channels: vec![
                ChannelName::Book,
                ChannelName::Trades,
                ChannelName::Ticker,
                ChannelName::Orders,
                ChannelName::Fills,
                ChannelName::Balances,
                ChannelName::Positions,
            ],
            ws_url: gate_futures_ws,
            rest_url: gate_rest,
            depth: None,
            levels: 5,
            credentials: Some(gate_key),
            fast_timers: true,
        },
        StreamPlan {
            venue: Venue::MexcSpot,
            symbols: mexc.config().symbols.iter().map(|s| s.symbol).collect(),
            channels: vec![
                ChannelName::Book,
                ChannelName::Trades,
                ChannelName::Ticker,
                ChannelName::Orders,
                ChannelName::Fills,
                ChannelName::Balances,
            ],
            ws_url: mexc_ws,
            rest_url: mexc_rest,
            depth: None,
            levels: 5,
            credentials: Some(Credentials::new(
                &mexc.config().api_key,
                &mexc.config().api_secret,
            )),
            fast_timers: true,
        },
        StreamPlan {
            venue: Venue::MexcFutures,
            symbols: futures.contracts,
            channels: vec![
                ChannelName::Book,
                ChannelName::Trades,
                ChannelName::Ticker,
                ChannelName::Orders,
                ChannelName::Fills,
                ChannelName::Balances,
                ChannelName::Positions,
            ],
            ws_url: futures_ws,
            rest_url: futures_rest,
            depth: None,
            levels: 5,
            credentials: Some(futures.key),
            fast_timers: true,
        },
    ]
}

/// Where the simulator serves `venue` (its connector's mount).
fn mount(venue: Venue) -> SimulatorMount {
    venue_registry::profile(venue).simulator
}

/// The simulated WebSocket URL and REST base of `venue`.
fn simulated(sim: &Simulator, venue: Venue) -> (String, String) {
    let m = mount(venue);
    (
        sim.ws_url(&format!("{}{}", m.prefix, m.ws_path)),
        sim.http_url(&format!("{}{}", m.prefix, m.rest_path)),
    )
}

#[derive(Debug, Clone, Copy)]
enum DemoFault {
    DropAll,
    CloseNoStatusAll,
    MexcGap,
    MexcCrossed,
    MexcMalformed,
    GateSpotGap,
    GateFuturesCrossed,
    GateSpotFull,
    MexcFuturesGap,
}

fn fault_schedule(with_gate: bool) -> Vec<DemoFault> {
    let mut faults = vec![DemoFault::DropAll, DemoFault::MexcGap];
    if with_gate {
        faults.push(DemoFault::GateSpotGap);
    }
    faults.push(DemoFault::CloseNoStatusAll);
    faults.push(DemoFault::MexcCrossed);
    if with_gate {
        faults.push(DemoFault::GateFuturesCrossed);
        faults.push(DemoFault::GateSpotFull);
    }
    faults.push(DemoFault::MexcMalformed);
    faults.push(DemoFault::MexcFuturesGap);
    faults
}

fn inject(
    fault: DemoFault,
    sim: &Simulator,
    mexc: &MexcVenue,
    gate: &GateioVenue,
    futures: &MexcFuturesVenue,
) -> String {
    let symbol = |s: &str| Symbol::new(s).unwrap_or_else(|_| unreachable!("static symbol"));
    let result = match fault {
        DemoFault::DropAll => {
            let n = sim.inject(Fault::Drop);
            return format!("injected: dropped all {n} connections (as a network loss would)");
        }
        DemoFault::CloseNoStatusAll => {
            let n = sim.inject(Fault::CloseNoStatus);
            return format!("injected: closed all {n} connections without a status (1005)");
        }
        DemoFault::MexcGap => mexc
            .inject(MexcFault::VersionGap {
                symbol: symbol("BTCUSDT"),
            })
            .map(|()| "injected: mexc-spot BTCUSDT skips versions (gap → resync)".to_string())
            .map_err(|e| e.to_string()),
        DemoFault::MexcCrossed => mexc
            .inject(MexcFault::CrossedUpdate {
                symbol: symbol("ETHUSDT"),
            })
            .map(|()| "injected: mexc-spot ETHUSDT crossed update (→ resync)".to_string())
            .map_err(|e| e.to_string()),
        DemoFault::MexcMalformed => mexc
            .inject(MexcFault::MalformedProtobuf(PbDefect::OverlongVarint))
            .map(|()| "injected: mexc-spot malformed protobuf frame (skipped, counted)".to_string())
            .map_err(|e| e.to_string()),
        DemoFault::GateSpotGap => gate
            .inject(GateioFault::SequenceGap {
                market: Market::Spot,
                symbol: "BTC_USDT".into(),
            })
            .map(|()| "injected: gateio-spot BTC_USDT sequence gap (→ resync)".to_string())
            .map_err(|e| e.to_string()),
        DemoFault::GateFuturesCrossed => gate
            .inject(GateioFault::CrossedUpdate {
                market: Market::Futures,
                symbol: "ETH_USDT".into(),
            })
            .map(|()| "injected: gateio-futures ETH_USDT crossed update (→ resync)".to_string())
            .map_err(|e| e.to_string()),
        DemoFault::GateSpotFull => gate
            .inject(GateioFault::FullPush {
                market: Market::Spot,
                symbol: "ETH_USDT".into(),
            })
            .map(|()| {
                "injected: gateio-spot ETH_USDT full snapshot push (replaces the book)".to_string()
            })
            .map_err(|e| e.to_string()),
        DemoFault::MexcFuturesGap => futures
            .inject(MexcFuturesFault::VersionGap {
                symbol: symbol("BTC_USDT"),
            })
            .map(|()| "injected: mexc-futures BTC_USDT skips a version (gap → resync)".to_string())
            .map_err(|e| e.to_string()),
    };
    result.unwrap_or_else(|e| format!("fault not injected: {e}"))
}

/// Compares each final book with the simulator's: `(matching, total, what differs)`.
fn check_books(
    books: &[(Venue, BookLine, u64)],
    mexc: &MexcVenue,
    gate: &GateioVenue,
    futures: &MexcFuturesVenue,
) -> (usize, usize, Vec<String>) {
    let mut matched = 0;
    let mut mismatches = Vec::new();
    for (venue, book, _) in books {
        // Venues the demo does not simulate have no truth (and are not in its plans).
        let gate_market = if *venue == Venue::GateioSpot {
            Some(Market::Spot)
        } else if *venue == Venue::GateioFutures {
            Some(Market::Futures)
        } else {
            None
        };
        let truth: Option<(u64, Vec<Level>, Vec<Level>)> = if *venue == Venue::MexcSpot {
            mexc.book(book.symbol.as_str())
                .map(|t| (t.version, t.bids, t.asks))
        } else if *venue == Venue::MexcFutures {
            futures
                .book(book.symbol.as_str())
                .map(|t| (t.version, t.bids, t.asks))
        } else if let Some(market) = gate_market {
            let depth = book.bids.len().max(book.asks.len()).max(20);
            gate.book(market, book.symbol.as_str()).map(|t| {
                let t = t.top(depth);
                (t.update_id, levels(&t.bids), levels(&t.asks))
            })
        } else {
            None
        };
        match truth {
            Some((id, bids, asks))
                if book.status.is_live() && bids == book.bids && asks == book.asks =>
            {
                let _ = id;
                matched += 1;
            }
            Some((id, bids, asks)) => mismatches.push(format!(
                "{venue} {}: local book ({}, update {}, {}x{} levels) differs from the truth \
                 (update {id}, {}x{} levels)",
                book.symbol,
                book.status,
                book.update_id,
                book.bids.len(),
                book.asks.len(),
                bids.len(),
                asks.len()
            )),
            None => mismatches.push(format!("{venue} {}: no truth", book.symbol)),
        }
    }
    (matched, books.len(), mismatches)
}

fn levels(side: &[(Decimal, Decimal)]) -> Vec<Level> {
    side.iter()
        .map(|(p, q)| Level {
            price: market_types::Price::new(*p),
            quantity: market_types::Quantity::new(*q),
        })
        .collect()
}
