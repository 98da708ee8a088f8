//! `wsx replay`: a recording fed through the same sessions, without sockets.
//!
//! The header says how the sessions were built; they are built again the same way (the
//! same handler types, settings, symbols and channels) and wrapped in the same
//! [`Tap`](crate::tap::Tap) as live ([`crate::replayer`]). Each record becomes the same `Session` call it was live, with the recorded
//! timestamps (monotonic time re-based on the replay's start), in the recorded order. What
//! a session asks for in return (frames to send, REST calls) is discarded: the answers it
//! got live are in the recording. So the events, their receive timestamps and the final
//! books come out as they did live.

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::event::{Event, EventBody};
use crate::group::build;
use crate::nats::NatsPublisher;
use crate::output::{Format, Out, Printer};
use crate::record::RecordReader;
use crate::replayer::ReplayGroup;
use crate::tap::RunControl;
use crate::venue::{ChannelName, StreamPlan, parse_symbol, parse_venue};

/// Options of `wsx replay`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// A recording made by `wsx record`.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// max: as fast as possible; recorded: keep the recorded pace.
    #[arg(long, value_enum, default_value = "max")]
    speed: Speed,
    /// jsonl or table.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Publish every event to NATS (waits for the publisher: nothing is dropped).
    #[arg(long, value_name = "nats://HOST:PORT")]
    publish: Option<String>,
}

/// `--speed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Speed {
    /// No waiting.
    Max,
    /// The recorded gaps between inputs.
    Recorded,
}

/// `wsx replay`.
pub async fn replay(args: ReplayArgs) -> Result<()> {
    let file = File::open(&args.file)
        .with_context(|| format!("cannot open the recording {}", args.file.display()))?;
    let mut reader = RecordReader::new(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let header = reader.header().clone();
    let plan = plan_from_header(&header)?;
    let control = RunControl::new();
    let mut groups: Vec<Box<dyn ReplayGroup>> = Vec::new();
    let mut routes: Vec<(usize, usize)> = Vec::new();
    let mut shard = 0u16;
    for group in build(&plan).map_err(anyhow::Error::msg)? {
        let g = groups.len();
        let replayer = group.into_replay(&mut shard, &control);
        routes.extend((0..replayer.len()).map(|i| (g, i)));
        groups.push(replayer);
    }
    if routes.len() != header.shards.len() {
        bail!(
            "the recording has {} sessions but this wsx builds {} for it; replay it with the wsx \
             version that wrote it ({})",
            header.shards.len(),
            routes.len(),
            header.wsx_version
        );
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
    let printer_tx = printer.sender();
    let nats_tx = nats.as_ref().map(NatsPublisher::sender);
    let emit = |event: Event| {
        let event = Arc::new(event);
        let printer_tx = printer_tx.clone();
        let nats_tx = nats_tx.clone();
        async move {
            if let Some(nats) = &nats_tx {
                let _ = nats.send(Out::Event(event.clone())).await;
            }
            let _ = printer_tx.send(Out::Event(event)).await;
        }
    };
    let base = Instant::now();
    let started = tokio::time::Instant::now();
    let mut first_mono: Option<Duration> = None;
    let mut records = 0u64;
    loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(e) => bail!("{}: {e}", args.file.display()),
        };
        records += 1;
        if args.speed == Speed::Recorded {
            let first = *first_mono.get_or_insert(record.mono);
            tokio::time::sleep_until(started + record.mono.saturating_sub(first)).await;
        }
        let Some(&(g, i)) = routes.get(usize::from(record.shard)) else {
            bail!(
                "record for session {} but the header lists {}; the file is damaged",
                record.shard,
                routes.len()
            );
        };
        let events = groups
            .get_mut(g)
            .map(|group| group.feed(i, &record, base))
            .unwrap_or_default();
        for event in events {
            emit(event).await;
        }
    }
    if reader.truncated() {
        eprintln!(
            "wsx: {} ends inside a record (the recording was cut short); replayed the {records} complete ones",
            args.file.display()
        );
    }
    for group in &groups {
        for (book, ts) in group.books() {
            emit(Event {
                venue: plan.venue,
                receive_ts_ns: ts,
                body: EventBody::Book(book),
            })
            .await;
        }
    }
    drop(printer_tx);
    drop(nats_tx);
    let printed = printer.finish().await;
    if let Some(nats) = nats {
        let stats = nats.finish().await;
        if stats.failed > 0 {
            bail!("{} events could not be published to NATS", stats.failed);
        }
        if let Some(why) = stats.unconfirmed {
            bail!("the NATS server did not confirm it received every event: {why}");
        }
    }
    printed.context("writing to stdout failed")?;
    Ok(())
}

fn plan_from_header(header: &crate::record::Header) -> Result<StreamPlan> {
    let venue = parse_venue(&header.venue).map_err(anyhow::Error::msg)?;
    let symbols = header
        .symbols
        .iter()
        .map(|s| parse_symbol(venue, s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let channels = header
        .channels
        .iter()
        .map(|c| c.parse::<ChannelName>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    // A private session is rebuilt with a placeholder key: it signs requests that are
    // never sent; the recorded answers stand in for the venue's.
    let credentials = channels
        .iter()
        .any(|c| c.is_private())
        .then(|| exchange_ws::Credentials::new("replay", "replay"));
    Ok(StreamPlan {
        venue,
        symbols,
        channels,
        ws_url: header.ws_url.clone(),
        rest_url: header.rest_url.clone(),
        depth: header.depth,
        levels: header.levels.max(1),
        credentials,
        fast_timers: header.fast_timers,
    })
}
