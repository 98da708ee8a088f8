//! A downstream service written only against the old `WebSocketManager` API, as services
//! were written before the refactoring: build an `ExchangeConfig`, call the factory, handle
//! `ParsedMessage`s by `MessageType`, `initialize`, `subscribe`, read
//! `get_performance_metrics`, `close`. It never names a new-architecture type.
//!
//! To stay offline it starts the workspace's exchange simulator in-process and points the
//! `ExchangeConfig` at it. Which implementation runs underneath is not the service's
//! business: `WS_COMPAT_ARCHITECTURE=legacy|direct` (or `..._MEXC_SPOT`, `..._GATEIO_SPOT`,
//! `..._GATEIO_FUTURES`) picks it at start, and `--switch-after SECS` exercises the old V4
//! `switch_architecture` call at runtime.
//!
//! ```text
//! legacy-downstream [--venue mexc|gateio|gateio-futures] [--seconds N] [--switch-after SECS]
//! ```
//!
//! The last line of output is a JSON summary (counts and the old metrics dictionary).
#![allow(
    deprecated,
    reason = "this service is deliberately written against the deprecated old API"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use exchange_sim::gateio::{GateioSimConfig, GateioVenue};
use exchange_sim::mexc::{MexcConfig, MexcVenue};
use exchange_sim::{SimConfig, Simulator};
use ws_manager_compat::{
    Architecture, ConnectionState, ExchangeConfig, ExchangeCredentials, MessageData, MessageType,
    ParsedMessage, PublicWebsocketChannelType, Symbol, create_websocket_manager,
};

/// What the service keeps from the stream (the old `PublicWebsocketHandlers` bundle did
/// the same with callbacks per message type).
#[derive(Default)]
struct Book {
    by_type: BTreeMap<&'static str, u64>,
    symbols: BTreeMap<String, u64>,
    last_spread: Option<String>,
    states: Vec<&'static str>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse()?;

    // The "exchange": the simulator, in this process, on loopback.
    let (sim, config, symbols) = start_simulator(&args.venue).await?;

    let seen = Arc::new(Mutex::new(Book::default()));
    let on_message = {
        let seen = seen.clone();
        move |message: ParsedMessage| {
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            *seen.by_type.entry(message.message_type.name()).or_default() += 1;
            if let Some(symbol) = &message.symbol {
                *seen.symbols.entry(symbol.to_string()).or_default() += 1;
            }
            match (message.message_type, &message.data) {
                (MessageType::Orderbook, Some(MessageData::OrderBook { book, .. })) => {
                    seen.last_spread = book.spread().map(|s| s.to_string());
                }
                (MessageType::Error | MessageType::SubscriptionError, data) => {
                    eprintln!("stream error: {data:?}");
                }
                _ => {}
            }
        }
    };
    let on_state = {
        let seen = seen.clone();
        Box::new(move |state: ConnectionState| {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .states
                .push(state.as_str());
        }) as Box<dyn FnMut(ConnectionState) + Send>
    };

    let mut manager = create_websocket_manager(&config, false, on_message, Some(on_state))
        .context("create_websocket_manager")?;
    let started_on = manager.architecture();
    manager
        .initialize(
            Some(vec![symbols[0].clone()]),
            Some(vec![
                PublicWebsocketChannelType::Orderbook,
                PublicWebsocketChannelType::Trades,
                PublicWebsocketChannelType::BookTicker,
            ]),
        )
        .await
        .context("initialize")?;

    // The old code waited for is_connected() before subscribing more symbols.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !manager.is_connected() {
        if Instant::now() > deadline {
            bail!("not connected after 10 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    manager
        .subscribe(&symbols[1..])
        .await
        .context("subscribe")?;

    let started = Instant::now();
    let mut switched = false;
    while started.elapsed() < Duration::from_secs_f64(args.seconds) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(after) = args.switch_after
            && !switched
            && started.elapsed() >= Duration::from_secs_f64(after)
        {
            let target = match manager.architecture() {
                Architecture::Mixin => Architecture::LegacyStrategy,
                Architecture::LegacyStrategy => Architecture::Mixin,
            };
            manager
                .switch_architecture(target)
                .await
                .context("switch_architecture")?;
            switched = true;
        }
    }

    let metrics = manager.get_performance_metrics();
    manager.close().await;
    sim.shutdown().await;

    let seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    println!(
        "{} on {started_on}: {} messages, by type {:?}, last spread {:?}",
        args.venue, metrics.messages_processed, seen.by_type, seen.last_spread
    );
    let summary = serde_json::json!({
        "venue": args.venue,
        "started_on": started_on.as_str(),
        "by_type": seen.by_type,
        "symbols": seen.symbols,
        "states": seen.states,
        "metrics": metrics,
    });
    println!("{summary}");
    Ok(())
}

/// Starts the simulator with the venue and returns an old-style config pointing at it, and
/// the symbols to stream.
async fn start_simulator(venue: &str) -> anyhow::Result<(Simulator, ExchangeConfig, Vec<Symbol>)> {
    let none = ExchangeCredentials::default();
    Ok(match venue {
        "mexc" => {
            let venue = Arc::new(MexcVenue::new(MexcConfig::default())?);
            let sim = Simulator::start(SimConfig::default().mount("/mexc", venue)).await?;
            let config =
                ExchangeConfig::new("MEXC", none, sim.http_url("/mexc"), sim.ws_url("/mexc/ws"));
            (
                sim,
                config,
                vec![Symbol::new("BTC", "USDT"), Symbol::new("ETH", "USDT")],
            )
        }
        "gateio" | "gateio-futures" => {
            let futures = venue == "gateio-futures";
            let venue = GateioVenue::new(GateioSimConfig::default());
            let sim = Simulator::start(SimConfig::default().mount("/gateio", venue)).await?;
            let (name, path) = if futures {
                ("GATEIO_FUTURES", "/gateio/v4/ws/usdt")
            } else {
                ("GATEIO", "/gateio/ws/v4/")
            };
            let config =
                ExchangeConfig::new(name, none, sim.http_url("/gateio/api/v4"), sim.ws_url(path));
            let symbol = |base: &str| {
                if futures {
                    Symbol::futures(base, "USDT")
                } else {
                    Symbol::new(base, "USDT")
                }
            };
            (sim, config, vec![symbol("BTC"), symbol("ETH")])
        }
        other => bail!("unknown venue {other:?} (mexc, gateio, gateio-futures)"),
    })
}

struct Args {
    venue: String,
    seconds: f64,
    switch_after: Option<f64>,
}

impl Args {
    fn parse() -> anyhow::Result<Self> {
        let mut args = Args {
            venue: "mexc".into(),
            seconds: 3.0,
            switch_after: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--venue" => args.venue = value()?,
                "--seconds" => args.seconds = value()?.parse()?,
                "--switch-after" => args.switch_after = Some(value()?.parse()?),
                "-h" | "--help" => {
                    println!(
                        "legacy-downstream [--venue mexc|gateio|gateio-futures] [--seconds N] [--switch-after SECS]"
                    );
                    std::process::exit(0);
                }
                other => bail!("unknown argument {other:?}"),
            }
        }
        Ok(args)
    }
}
