//! `wsx stream` and `wsx record`.

use std::io::{BufWriter, IsTerminal};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use exchange_ws::Credentials;
use market_types::Venue;
use ws_core::{DriverConfig, TlsRoots};

use crate::group::build;
use crate::metrics::{MetricsServer, MetricsSnapshot};
use crate::nats::NatsPublisher;
use crate::output::{Format, Printer};
use crate::record::{FORMAT_VERSION, Header, RecordWriter, ShardInfo};
use crate::run::{Exit, LoopConfig, Run};
use crate::tap::RunControl;
use crate::venue::{
    ChannelName, StreamPlan, check_channels, default_urls, parse_symbol, parse_venue,
};

/// Options of `wsx stream` (and of `wsx record`).
#[derive(Debug, Clone, clap::Args)]
pub struct StreamArgs {
    /// gateio-spot, gateio-futures, mexc-spot or mexc-futures.
    #[arg(long, value_parser = parse_venue)]
    pub venue: Venue,
    /// Comma-separated symbols in the venue's spelling: BTC_USDT on Gate.io and MEXC
    /// futures, BTCUSDT on MEXC spot.
    #[arg(long, value_delimiter = ',', required = true)]
    pub symbols: Vec<String>,
    /// Comma-separated channels: book, trades, ticker, ticker24h (Gate.io); private:
    /// orders, fills, balances, positions (futures). Private channels need credentials.
    #[arg(long, value_delimiter = ',', default_value = "book,trades,ticker")]
    pub channels: Vec<ChannelName>,
    /// WebSocket URL (default: the venue's production URL); point it at a testnet or a
    /// local simulator.
    #[arg(long, value_name = "URL")]
    pub ws_url: Option<String>,
    /// REST base URL for snapshots and account calls (default: production).
    #[arg(long, value_name = "URL")]
    pub rest_url: Option<String>,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Book depth: Gate.io spot 20 or 100, futures 20, 50 or 100 (default 20); MEXC REST
    /// snapshot limit, spot up to 5000 (default 5000), futures up to 1000.
    #[arg(long, value_name = "N")]
    pub depth: Option<u32>,
    /// Levels per side included in each book_update line.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub levels: usize,
    /// jsonl: one event per line, then the full books on exit; table: top of book per symbol.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// A file with GATEIO_API_KEY=/GATEIO_API_SECRET= (and optionally GATEIO_UID=, the
    /// account's user id for futures account channels) or MEXC_API_KEY=/MEXC_API_SECRET=
    /// lines (default: those environment variables).
    #[arg(long, value_name = "FILE")]
    pub credentials_file: Option<PathBuf>,
    /// Trust this root certificate (PEM or DER) for wss:// and https:// instead of the
    /// public roots. Certificates are always verified.
    #[arg(long, value_name = "FILE")]
    pub tls_root: Option<PathBuf>,
    /// Serve Prometheus metrics at http://HOST:PORT/metrics.
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
    /// Publish every event to NATS (subjects md.<venue>.<symbol>.<kind>, acct.<venue>.<kind>).
    #[arg(long, value_name = "nats://HOST:PORT")]
    pub publish: Option<String>,
    /// Give up when the venue cannot be reached within this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 15.0)]
    pub connect_timeout: f64,
}

/// Options of `wsx record`.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    #[command(flatten)]
    stream: StreamArgs,
    /// The recording to write (replay it with `wsx replay FILE`).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// `wsx stream`.
pub async fn stream(args: StreamArgs) -> Result<()> {
    run_stream(args, None).await
}

/// `wsx record`: `stream`, plus every session input written to `--out`.
pub async fn record(args: RecordArgs) -> Result<()> {
    run_stream(args.stream, Some(args.out)).await
}

async fn run_stream(args: StreamArgs, out: Option<PathBuf>) -> Result<()> {
    let plan = plan(&args)?;
    // Builds the handlers once up front: a venue's refusal of the plan comes out here, in
    // its own words, and the recording header lists these sessions (the client builds the
    // same ones the same way; replay builds them again and checks the count).
    let groups = build(&plan).map_err(anyhow::Error::msg)?;
    let driver = driver_config(args.tls_root.as_deref())?;
    let control = match &out {
        None => RunControl::new(),
        Some(path) => {
            let file = crate::record::create_file(path).with_context(|| {
                format!(
                    "cannot create the recording {}; check the --out path",
                    path.display()
                )
            })?;
            let mut shards = Vec::new();
            for group in &groups {
                for index in 0..group.len() {
                    shards.push(ShardInfo {
                        role: group.role().as_str().into(),
                        index,
                    });
                }
            }
            let header = header(&plan, shards);
            let writer = RecordWriter::new(BufWriter::with_capacity(1 << 20, file), &header)
                .with_context(|| format!("cannot write {}", path.display()))?;
            RunControl::recording(writer)
        }
    };
    let tty = std::io::stdout().is_terminal();
    let printer =
        Printer::start(args.format, tty, EVENT_QUEUE).context("cannot start the printer")?;
    let nats = match &args.publish {
        Some(url) => Some(
            NatsPublisher::start(url, EVENT_QUEUE)
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
    let mut run = Run::start(
        std::slice::from_ref(&plan),
        &driver,
        control,
        printer,
        nats,
        metrics,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let config = LoopConfig {
        duration: args.duration.map(|s| Duration::from_secs_f64(s.max(0.0))),
        connect_timeout: Duration::from_secs_f64(args.connect_timeout.max(0.1)),
        refresh: Duration::from_millis(if tty { 250 } else { 1000 }),
        show_status: args.format == Format::Table,
    };
    let exit = run.run_loop(&config, |_| None).await;
    let recording = run.control.clone();
    let totals = run.finish(&exit).await.map_err(anyhow::Error::msg)?;
    if let (Some(path), Some(result)) = (&out, recording.finish_recording()) {
        match result {
            Ok((records, bytes)) => eprintln!(
                "wsx: recorded {records} inputs ({bytes} bytes) to {}; replay with `wsx replay {}`",
                path.display(),
                path.display()
            ),
            Err(e) => bail!("writing the recording {} failed: {e}", path.display()),
        }
    }
    if totals.drops > 0 {
        eprintln!(
            "wsx: {} events were dropped because stdout or NATS could not keep up",
            totals.drops
        );
    }
    match exit {
        Exit::Failed(message) => bail!(message),
        Exit::Duration | Exit::Interrupted | Exit::StdoutClosed => Ok(()),
    }
}

/// Checks the arguments and turns them into a plan.
pub fn plan(args: &StreamArgs) -> Result<StreamPlan> {
    let venue = args.venue;
    let mut channels = Vec::new();
    for channel in &args.channels {
        if !channels.contains(channel) {
            channels.push(*channel);
        }
    }
    if channels.is_empty() {
        bail!("--channels is empty; name at least one of book,trades,ticker");
    }
    check_channels(venue, &channels).map_err(anyhow::Error::msg)?;
    let mut symbols = Vec::new();
    for raw in &args.symbols {
        let symbol = parse_symbol(venue, raw).map_err(anyhow::Error::msg)?;
        if !symbols.contains(&symbol) {
            symbols.push(symbol);
        }
    }
    if symbols.is_empty() {
        bail!("--symbols is empty; name at least one, e.g. --symbols BTC_USDT");
    }
    crate::venue::check_depth(venue, args.depth).map_err(anyhow::Error::msg)?;
    if args.levels == 0 {
        bail!("--levels must be at least 1");
    }
    let (ws_default, rest_default) = default_urls(venue);
    let ws_url = args
        .ws_url
        .clone()
        .unwrap_or_else(|| ws_default.to_string());
    let rest_url = args
        .rest_url
        .clone()
        .unwrap_or_else(|| rest_default.to_string());
    check_url(&ws_url, &["ws://", "wss://"], "--ws-url")?;
    check_url(&rest_url, &["http://", "https://"], "--rest-url")?;
    let private: Vec<&str> = channels
        .iter()
        .filter(|c| c.is_private())
        .map(|c| c.as_str())
        .collect();
    let credentials = if private.is_empty() {
        None
    } else {
        let file = args.credentials_file.as_deref();
        let found = Credentials::load(venue, file).map_err(|e| match file {
            Some(_) => anyhow::anyhow!("in --credentials-file: {e}"),
            None => anyhow::anyhow!("{e}"),
        })?;
        match found {
            Some(key) => Some(key),
            None => bail!(missing_credentials(venue, &private.join(","))),
        }
    };
    Ok(StreamPlan {
        venue,
        symbols,
        channels,
        ws_url,
        rest_url,
        depth: args.depth,
        levels: args.levels,
        credentials,
        fast_timers: false,
    })
}

/// The message for private channels without credentials.
fn missing_credentials(venue: Venue, channels: &str) -> String {
    let (key, secret) = exchange_ws::variable_names(venue);
    format!(
        "the {channels} channel needs API credentials for {venue}: set {key} and {secret} \
         in the environment, or pass --credentials-file FILE with {key}=... and {secret}=... \
         lines (never on the command line)"
    )
}

/// The recording header for a plan.
pub fn header(plan: &StreamPlan, shards: Vec<ShardInfo>) -> Header {
    Header {
        format: FORMAT_VERSION,
        wsx_version: env!("CARGO_PKG_VERSION").into(),
        venue: plan.venue.as_str().into(),
        symbols: plan
            .symbols
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        channels: plan
            .channels
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        depth: plan.depth,
        levels: plan.levels,
        ws_url: ws_core::redact_query(&plan.ws_url),
        rest_url: plan.rest_url.clone(),
        shards,
        started_unix_ns: ws_core::Timestamp::now().unix_nanos,
        fast_timers: plan.fast_timers,
    }
}

/// Driver settings, with `--tls-root` when given.
pub fn driver_config(tls_root: Option<&std::path::Path>) -> Result<DriverConfig> {
    let mut config = DriverConfig::default();
    if let Some(path) = tls_root {
        config.tls_roots = TlsRoots::Custom(load_roots(path)?);
    }
    Ok(config)
}

fn load_roots(path: &std::path::Path) -> Result<Vec<Vec<u8>>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read --tls-root {}", path.display()))?;
    if bytes.starts_with(b"-----BEGIN") || bytes.windows(10).any(|w| w == b"-----BEGIN") {
        let roots: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&bytes)
            .map(|c| c.map(|c| c.as_ref().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|e| {
                anyhow::anyhow!("--tls-root {} is not valid PEM: {e:?}", path.display())
            })?;
        if roots.is_empty() {
            bail!(
                "--tls-root {} has no CERTIFICATE block; give a PEM or DER root certificate",
                path.display()
            );
        }
        Ok(roots)
    } else if bytes.first() == Some(&0x30) {
        Ok(vec![bytes])
    } else {
        bail!(
            "--tls-root {} is neither PEM nor DER; give the root certificate file",
            path.display()
        )
    }
}

fn check_url(url: &str, schemes: &[&str], flag: &str) -> Result<()> {
    if !schemes.iter().any(|s| url.starts_with(s)) {
        bail!("{flag} '{url}' must start with {}", schemes.join(" or "));
    }
    let rest = schemes
        .iter()
        .find_map(|s| url.strip_prefix(s))
        .unwrap_or_default();
    if rest.is_empty() || rest.starts_with('/') {
        bail!(
            "{flag} '{url}' has no host; use e.g. {}127.0.0.1:8080/ws",
            schemes[0]
        );
    }
    Ok(())
}

/// Events queued for the printer or the publisher before they are dropped.
pub const EVENT_QUEUE: usize = 1 << 16;
