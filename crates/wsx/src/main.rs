//! `wsx`: exchange WebSocket connectivity from the command line.
//!
//! `wsx demo` runs everything offline against the embedded exchange simulator.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use wsx::{demo, nats, replay, stream};

#[derive(Debug, Parser)]
#[command(
    name = "wsx",
    version,
    about = "Exchange WebSocket connectivity for MEXC spot/USDT-M futures and Gate.io spot/USDT futures",
    long_about = "wsx streams normalized market and account data from MEXC spot and USDT-M \
                  futures and Gate.io spot and USDT futures through the exchange-ws stack: local order books kept \
                  in sync, exact decimals, reconnection, metrics, recording and replay, NATS.\n\n\
                  Start with `wsx demo`: it needs no network and no credentials.",
    after_help = "Examples:\n  \
                  wsx demo --duration 20\n  \
                  wsx stream --venue gateio-spot --symbols BTC_USDT,ETH_USDT --channels book,trades\n  \
                  wsx stream --venue mexc-spot --symbols BTCUSDT --format table\n  \
                  wsx record --venue mexc-spot --symbols BTCUSDT --duration 60 --out btc.wsxrec\n  \
                  wsx replay btc.wsxrec\n  \
                  wsx subscribe nats://127.0.0.1:4222 --subject 'md.>'"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the embedded exchange simulator and stream every venue through the real
    /// stack, offline, injecting faults to show recovery.
    Demo(demo::DemoArgs),
    /// Stream normalized events from a venue (live by default; --ws-url/--rest-url for a
    /// testnet or a simulator).
    Stream(stream::StreamArgs),
    /// Like stream, and write every frame and REST answer the sessions consumed to --out.
    Record(stream::RecordArgs),
    /// Feed a recording through the same decoders and books, deterministically.
    Replay(replay::ReplayArgs),
    /// Print events published by `--publish` from a NATS server.
    Subscribe(nats::SubscribeArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => demo::run(args).await,
            Command::Stream(args) => stream::stream(args).await,
            Command::Record(args) => stream::record(args).await,
            Command::Replay(args) => replay::replay(args).await,
            Command::Subscribe(args) => nats::subscribe(args).await,
        }
    });
    // Connections still closing in the background must not hold the exit up.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

/// Clap's errors, on one line with a pointer to the right `--help`.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let rendered = e.render().to_string();
    let mut parts: Vec<&str> = Vec::new();
    let mut skipping_usage = false;
    for line in rendered.lines() {
        let line = line.trim();
        if line.starts_with("Usage:") {
            skipping_usage = true;
            continue;
        }
        if line.is_empty() || line.starts_with("For more information") {
            skipping_usage = false;
            continue;
        }
        if !skipping_usage {
            parts.push(line);
        }
    }
    let message = parts.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    let command = std::env::args()
        .nth(1)
        .filter(|c| {
            Cli::command()
                .get_subcommands()
                .any(|s| s.get_name() == c.as_str())
        })
        .map_or("wsx --help".to_string(), |c| format!("wsx {c} --help"));
    eprintln!("error: {message}; see `{command}`");
    ExitCode::from(2)
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
