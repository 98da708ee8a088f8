//! `wsx demo`: the simulator and the client stack in one process, offline.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use exchange_sim::{Fault, MalformedKind, SimConfig, Simulator};
use serde::Deserialize;
use ws_core::{
    Connection, ConnectionContext, DriverConfig, InboundFrame, Outbox, PingSettings,
    ReconnectionPolicy, Session, SessionSignal, Timestamp,
};

/// Options of `wsx demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// How many topics to subscribe.
    #[arg(long, default_value_t = 4)]
    topics: usize,
    /// Do not inject faults.
    #[arg(long)]
    no_faults: bool,
}

pub async fn run(args: DemoArgs) -> Result<()> {
    let sim = Simulator::start(SimConfig::default())
        .await
        .context("could not start the embedded simulator on 127.0.0.1")?;
    let topics: Vec<String> = (1..=args.topics.max(1))
        .map(|i| format!("feed-{i}"))
        .collect();
    let session = FeedSession::new(sim.ws_url("/test"), topics.clone());
    let mut connection = Connection::spawn(session, DriverConfig::default())
        .context("could not start the connection")?;
    let faults = [
        Fault::Drop,
        Fault::CloseNoStatus,
        Fault::Malformed(MalformedKind::TruncatedJson),
        Fault::Stall,
    ];
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let tty = std::io::stdout().is_terminal();
    let mut last_messages = 0u64;
    let mut last_tick = Instant::now();
    let mut next_fault = started + Duration::from_secs(3);
    let mut fault_index = 0;
    let mut ticker = tokio::time::interval(Duration::from_millis(if tty { 250 } else { 1000 }));
    println!(
        "wsx demo: simulator on {} (loopback only), {} topics, {} s{}",
        sim.addr(),
        topics.len(),
        args.duration,
        if args.no_faults {
            ""
        } else {
            ", a fault every 3 s"
        }
    );
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if !args.no_faults && now >= next_fault {
            let fault = faults[fault_index % faults.len()].clone();
            fault_index += 1;
            sim.inject(fault.clone());
            if !tty {
                println!("injected {fault:?}");
            }
            next_fault = now + Duration::from_secs(3);
        }
        let stats = connection.stats();
        let c = stats.counters;
        let rate = (c.messages_received - last_messages) as f64
            / now.duration_since(last_tick).as_secs_f64().max(1e-3);
        last_messages = c.messages_received;
        last_tick = now;
        let (latest, gaps, parse_errors) = connection.with_session(|s| {
            let latest: Vec<String> = topics
                .iter()
                .map(|t| format!("{t}#{}", s.last_seq.get(t).copied().unwrap_or(0)))
                .collect();
            (latest.join(" "), s.gaps, s.parse_errors)
        });
        let line = format!(
            "{:<12} {:>8.0} msg/s  p99 {:>6.1} µs  reconnects {:>2}  gaps {:>3}  bad {:>2}  | {}",
            connection.state().as_str(),
            rate,
            stats.latency.quantile_nanos(0.99) as f64 / 1000.0,
            c.reconnects,
            gaps,
            parse_errors,
            latest
        );
        if tty {
            print!("\r\x1b[2K{line}");
            let _ = std::io::stdout().flush();
        } else {
            println!("{line}");
        }
    }
    if tty {
        println!();
    }
    let stats = connection.stats();
    connection.close().await.context("closing the connection")?;
    sim.shutdown().await;
    let c = stats.counters;
    let latency = stats.latency.summary();
    println!(
        "done: {} messages, {} reconnects ({} lost, {} 1005, {} idle), receive→handled p50 {:.1} µs p99 {:.1} µs p99.9 {:.1} µs",
        c.messages_received,
        c.reconnects,
        c.disconnects(ws_core::DisconnectKind::Lost),
        c.disconnects(ws_core::DisconnectKind::NoStatus),
        c.disconnects(ws_core::DisconnectKind::Idle),
        latency.p50_ns as f64 / 1000.0,
        latency.p99_ns as f64 / 1000.0,
        latency.p999_ns as f64 / 1000.0,
    );
    Ok(())
}

/// Subscribes the simulator's generic topics and tracks their sequence numbers.
struct FeedSession {
    url: String,
    topics: Vec<String>,
    last_seq: HashMap<String, u64>,
    gaps: u64,
    parse_errors: u64,
    pending: usize,
}

impl FeedSession {
    fn new(url: String, topics: Vec<String>) -> Self {
        Self {
            url,
            topics,
            last_seq: HashMap::new(),
            gaps: 0,
            parse_errors: 0,
            pending: 0,
        }
    }
}

#[derive(Deserialize)]
struct Frame<'a> {
    op: Option<&'a str>,
    topic: Option<&'a str>,
    seq: Option<u64>,
}

impl Session for FeedSession {
    type Command = ();

    fn connection_context(&self) -> ConnectionContext {
        let mut ctx = ConnectionContext::new("demo", self.url.clone());
        ctx.ping = PingSettings {
            app_ping_interval: Some(Duration::from_secs(1)),
            protocol_ping_interval: None,
            idle_timeout: Some(Duration::from_millis(800)),
        };
        ctx
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        ReconnectionPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            ..ReconnectionPolicy::default()
        }
    }

    fn on_connected(&mut self, _now: Timestamp, out: &mut Outbox) {
        self.pending = self.topics.len();
        for (i, topic) in self.topics.iter().enumerate() {
            out.send_text(format!(
                r#"{{"op":"subscribe","id":{i},"topic":"{topic}"}}"#
            ));
        }
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        let Ok(message) = serde_json::from_slice::<Frame<'_>>(frame.payload) else {
            self.parse_errors += 1;
            return;
        };
        match (message.op, message.topic, message.seq) {
            (Some("subscribed"), _, _) => {
                self.pending = self.pending.saturating_sub(1);
                if self.pending == 0 {
                    out.signal(SessionSignal::Ready);
                }
            }
            (None, Some(topic), Some(seq)) => {
                let last = self.last_seq.insert(topic.to_string(), seq).unwrap_or(0);
                if last != 0 && seq > last + 1 {
                    // Frames published while disconnected; a venue book would resync here.
                    self.gaps += 1;
                }
            }
            _ => {}
        }
    }

    fn on_app_ping(&mut self, _now: Timestamp, out: &mut Outbox) {
        out.send_text(r#"{"op":"ping"}"#);
    }
}
