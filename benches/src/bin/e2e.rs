//! End to end over loopback: simulator → ws-core → venue handler → the user's book.
//!
//! For each venue (`--venue gateio|mexc|all`, default all) two bounded phases:
//!
//! 1. **Throughput**: a venue mounted in the simulator sends book-ticker pushes as fast as
//!    it can (each a WebSocket frame written and flushed by the simulator core); the client
//!    (`GateioSpotPublicWebSocketHandler` or `MexcPublicWebSocketHandler` driven by
//!    `ws_core::Connection`, all on one current-thread tokio runtime, i.e. one core)
//!    decodes each one and updates the consumer's top of book. Reported: messages handled
//!    per second, the client thread's CPU use (from `/proc/thread-self/schedstat`) and so
//!    messages per client-CPU-second, heap allocations per message on the client thread.
//! 2. **Latency**: the same at a fixed offered rate (default 50 000 msg/s);
//!    receive-to-handled latency from ws-core's HDR histogram (`Connection::stats()`),
//!    warm-up excluded (histogram difference), p50/p90/p99/p99.9/p99.99/max.
//!
//! Both phases also measure **wire to callback**: the simulator core stamps each push as
//! it writes it to the socket (`ServerMessage::Stamped`: nanoseconds since
//! `exchange_sim::stamp_epoch()` in the book ticker's update id, Gate.io's `u` and MEXC's
//! `version`), and the consumer's `on_book_ticker` records `now - stamp` in its own HDR
//! histogram. Same process, same monotonic clock, so this includes the simulator's write
//! batch, the kernel's loopback, WebSocket framing, ws-core and the handler; receive to
//! handled starts only once ws-core has read the frame.
//!
//! The simulator runs on its own thread and current-thread runtime. Process RSS is sampled
//! every 250 ms and reported before connecting, after the warm-up and at the end of each
//! phase (it includes the simulator). Everything stays on 127.0.0.1 and every phase is
//! bounded in time.
//!
//! `e2e [--venue gateio|mexc|all] [--throughput-secs N] [--latency-secs N] [--rate R]
//! [--out PATH]` prints a summary and writes the JSON report (default
//! `e2e-report.json`), which `e2e-plot` draws.
#![allow(unsafe_code, reason = "counting global allocator")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use exchange_gateio::{
    Endpoints as GateEndpoints, GateioHandlerConfig, GateioPublicParts, GateioPublicTopic,
    GateioSpotPublicWebSocketHandler, SpotMarket,
};
use exchange_mexc::{
    AggInterval, Channel as MexcChannel, MexcConfig, MexcHandlerConfig, MexcPublicParts,
    MexcPublicWebSocketHandler, pb,
};
use exchange_sim::{
    ClientMessage, FrameFormat, ServerMessage, SimConfig, Simulator, Venue, VenueConn, VenueFuture,
    stamp_now_ns,
};
use market_types::{BookTicker, Level, Symbol};
use prost::Message as _;
use serde_json::{Value, json};
use ws_core::{Connection, ConnectionState, DriverConfig, LatencyHistogram, Session};
use ws_handlers::Driven;
use ws_mixins::{PublicWebSocketMixin, StreamError};

// ---------------------------------------------------------------------------------------
// Allocation counting: the client runs on the main thread only, so a thread-local counter
// sees exactly the client's allocations (ws-core, the handler, the consumer).

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_allocation() {
    // `try_with` fails only while the thread is being torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn thread_allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every method forwards to the system allocator with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------------------------------
// Options.

#[derive(Debug, Clone)]
struct Options {
    venues: Vec<VenueKind>,
    throughput_secs: f64,
    latency_secs: f64,
    warm_up_secs: f64,
    rate: f64,
    out: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VenueKind {
    Gateio,
    Mexc,
}

impl VenueKind {
    fn name(self) -> &'static str {
        match self {
            VenueKind::Gateio => "gateio",
            VenueKind::Mexc => "mexc",
        }
    }

    fn handler(self) -> &'static str {
        match self {
            VenueKind::Gateio => "GateioSpotPublicWebSocketHandler (spot.book_ticker, JSON)",
            VenueKind::Mexc => "MexcPublicWebSocketHandler (aggre.bookTicker, protobuf)",
        }
    }
}

impl Options {
    fn parse() -> Result<Options> {
        let mut o = Options {
            venues: vec![VenueKind::Gateio, VenueKind::Mexc],
            throughput_secs: 8.0,
            latency_secs: 15.0,
            warm_up_secs: 2.0,
            rate: 50_000.0,
            out: "e2e-report.json".into(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().with_context(|| format!("{arg} takes a value"));
            match arg.as_str() {
                "--venue" => {
                    o.venues = match value()?.as_str() {
                        "gateio" => vec![VenueKind::Gateio],
                        "mexc" => vec![VenueKind::Mexc],
                        "all" => vec![VenueKind::Gateio, VenueKind::Mexc],
                        other => bail!("unknown venue {other}"),
                    }
                }
                "--throughput-secs" => o.throughput_secs = value()?.parse()?,
                "--latency-secs" => o.latency_secs = value()?.parse()?,
                "--warm-up-secs" => o.warm_up_secs = value()?.parse()?,
                "--rate" => o.rate = value()?.parse()?,
                "--out" => o.out = value()?,
                other => bail!(
                    "unknown option {other}; e2e [--venue gateio|mexc|all] [--throughput-secs N] [--latency-secs N] [--warm-up-secs N] [--rate R] [--out PATH]"
                ),
            }
        }
        if o.throughput_secs + o.latency_secs + 2.0 * o.warm_up_secs > 600.0 {
            bail!("keep each venue's run under ten minutes");
        }
        Ok(o)
    }
}

// ---------------------------------------------------------------------------------------
// The feed venue mounted in the simulator.

/// How the feed sends once a client subscribed.
#[derive(Debug, Clone, Copy)]
enum Pace {
    /// As fast as the simulator can write.
    Flood,
    /// This many messages per second, spread evenly (sent as soon as due).
    Rate(f64),
}

/// A venue that acknowledges subscriptions (and answers pings) in the venue's format,
/// then streams pre-rendered book-ticker pushes at the configured pace until the client
/// leaves or `stop` is set.
struct Feed {
    kind: VenueKind,
    /// Pushes with the slot for the simulator's write stamp.
    frames: Vec<(Bytes, std::ops::Range<usize>)>,
    pace: Pace,
    stop: AtomicBool,
    sent: AtomicU64,
}

impl Feed {
    fn new(kind: VenueKind, pace: Pace) -> Result<Arc<Feed>> {
        let frames = (0..FRAMES)
            .map(|i| {
                let frame = match kind {
                    VenueKind::Gateio => gateio_ticker_frame(i),
                    VenueKind::Mexc => mexc_ticker_frame(i),
                };
                let slot = stamp_slot(&frame).context("no stamp placeholder in a push")?;
                Ok((frame, slot))
            })
            .collect::<Result<_>>()?;
        Ok(Arc::new(Feed {
            kind,
            frames,
            pace,
            stop: AtomicBool::new(false),
            sent: AtomicU64::new(0),
        }))
    }

    fn data(&self, i: usize) -> ServerMessage {
        let (payload, slot) = &self.frames[i % self.frames.len()];
        ServerMessage::Stamped {
            format: match self.kind {
                VenueKind::Gateio => FrameFormat::Text,
                VenueKind::Mexc => FrameFormat::Binary,
            },
            payload: payload.clone(),
            slot: slot.clone(),
        }
    }

    /// The answer to a client request, and whether it was a subscription.
    fn answer(&self, text: &str) -> Option<(ServerMessage, bool)> {
        let (reply, subscribed) = match self.kind {
            VenueKind::Gateio => benches::replies::gateio(text)?,
            VenueKind::Mexc => benches::replies::mexc(text)?,
        };
        Some((ServerMessage::Text(reply.into()), subscribed))
    }

    async fn serve_conn(self: Arc<Self>, mut conn: VenueConn) {
        // Control messages until the first subscription.
        loop {
            match conn.recv().await {
                Some(ClientMessage::Text(text)) => {
                    let Some((reply, subscribed)) = self.answer(&text) else {
                        continue;
                    };
                    if conn.send(reply).await.is_err() {
                        return;
                    }
                    if subscribed {
                        break;
                    }
                }
                Some(_) => {}
                None => return,
            }
        }
        let start = Instant::now();
        let mut sent = 0u64;
        while !self.stop.load(Ordering::Relaxed) {
            if let Pace::Rate(rate) = self.pace
                && sent as f64 >= start.elapsed().as_secs_f64() * rate
            {
                // Ahead of schedule: let the writer run, and answer pings.
                match tokio::time::timeout(Duration::ZERO, conn.recv()).await {
                    Ok(Some(ClientMessage::Text(text))) => {
                        if let Some((reply, _)) = self.answer(&text)
                            && conn.send(reply).await.is_err()
                        {
                            return;
                        }
                    }
                    Ok(None) => return,
                    _ => tokio::task::yield_now().await,
                }
                continue;
            }
            if conn.send(self.data(sent as usize)).await.is_err() {
                return;
            }
            sent += 1;
            self.sent.store(sent, Ordering::Relaxed);
        }
    }
}

impl Venue for Feed {
    fn serve(self: Arc<Self>, conn: VenueConn) -> VenueFuture {
        Box::pin(self.serve_conn(conn))
    }
}

/// Distinct pre-rendered pushes (prices and sizes move with the index).
const FRAMES: usize = 4096;

/// Update ids carry `STAMP_BASE + stamp`: a leading `1` and [`STAMP_DIGITS`] digits that
/// the simulator fills with the nanoseconds since the stamp epoch as it writes the push
/// (room for 11 days of process lifetime).
const STAMP_DIGITS: usize = 15;
const STAMP_BASE: u64 = 10u64.pow(STAMP_DIGITS as u32);

/// Where the simulator writes the stamp: the digits after the leading `1` of the first
/// `STAMP_BASE` in the push.
fn stamp_slot(frame: &[u8]) -> Option<std::ops::Range<usize>> {
    let placeholder = STAMP_BASE.to_string();
    let at = frame
        .windows(placeholder.len())
        .position(|w| w == placeholder.as_bytes())?;
    Some(at + 1..at + placeholder.len())
}

/// A `spot.book_ticker` push in the documented shape (spec §3.4).
fn gateio_ticker_frame(i: usize) -> Bytes {
    let bid = 1_917_779 + (i % 97) as i64;
    let ask = bid + 159;
    format!(
        r#"{{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{{"t":{},"u":{},"s":"BTC_USDT","b":"{}.{:02}","B":"0.{:010}","a":"{}.{:02}","A":"0.{:02}"}}}}"#,
        1_606_293_275_123u64 + i as u64,
        STAMP_BASE,
        bid / 100,
        bid % 100,
        3_341_504 + i * 7,
        ask / 100,
        ask % 100,
        9 + i % 90
    )
    .into()
}

/// An `aggre.bookTicker` push (spec §1.7.4), encoded with prost.
fn mexc_ticker_frame(i: usize) -> Bytes {
    let bid = 9_322_005 + (i % 97) as i64;
    pb::PushDataV3ApiWrapper {
        channel: mexc_channel().to_string(),
        symbol: Some("BTCUSDT".into()),
        symbol_id: None,
        create_time: None,
        send_time: Some(1_778_075_384_648 + i as i64),
        body: Some(pb::push_data_v3_api_wrapper::Body::PublicAggreBookTicker(
            pb::PublicAggreBookTickerV3Api {
                bid_price: format!("{}.{:02}", bid / 100, bid % 100),
                bid_quantity: format!("0.{:08}", 4_438_243 + i),
                ask_price: format!("{}.{:02}", (bid + 1) / 100, (bid + 1) % 100),
                ask_quantity: format!("0.{:08}", 1_000_000 + 3 * i),
                version: STAMP_BASE.to_string(),
                last_order_create_time: 1_778_075_380_572,
            },
        )),
    }
    .encode_to_vec()
    .into()
}

fn mexc_channel() -> MexcChannel {
    MexcChannel::AggreBookTicker {
        symbol: Symbol::new("BTCUSDT").unwrap_or_else(|_| unreachable!("valid symbol")),
        interval: AggInterval::Ms10,
    }
}

// ---------------------------------------------------------------------------------------
// The consumer: the user's callbacks, keeping the top of book.

#[derive(Debug, Default)]
struct TopOfBook {
    bid: Option<Level>,
    ask: Option<Level>,
    update_id: u64,
    updates: u64,
    errors: u64,
    /// Simulator write stamp to this callback, per push.
    wire_to_callback: LatencyHistogram,
    /// Pushes whose update id held no stamp.
    unstamped: u64,
}

impl PublicWebSocketMixin for TopOfBook {
    fn on_book_ticker(&mut self, ticker: &BookTicker) {
        match ticker.update_id.and_then(|id| id.checked_sub(STAMP_BASE)) {
            Some(stamp) => self
                .wire_to_callback
                .record_nanos(stamp_now_ns().saturating_sub(stamp)),
            None => self.unstamped += 1,
        }
        self.bid = ticker.bid;
        self.ask = ticker.ask;
        self.update_id = ticker.update_id.unwrap_or(self.update_id);
        self.updates += 1;
    }

    fn on_error(&mut self, _error: &StreamError) {
        self.errors += 1;
    }
}

/// What both handlers let the bench read.
trait Handled: Session {
    fn consumer(&self) -> &TopOfBook;
}

impl Handled for GateioSpotPublicWebSocketHandler<TopOfBook> {
    fn consumer(&self) -> &TopOfBook {
        self.callbacks()
    }
}

impl Handled for MexcPublicWebSocketHandler<TopOfBook> {
    fn consumer(&self) -> &TopOfBook {
        self.callbacks()
    }
}

// ---------------------------------------------------------------------------------------
// Measurements.

/// Nanoseconds the calling thread has run on a CPU.
fn thread_cpu_ns() -> u64 {
    u64::try_from(cpu_time::ThreadTime::now().as_duration().as_nanos()).unwrap_or(u64::MAX)
}

/// Nanoseconds the thread at `/proc/<pid>/task/<tid>` has run on a CPU (to within a
/// scheduler tick, plenty for a phase of seconds).
fn cpu_ns_of(task: &str) -> u64 {
    std::fs::read_to_string(format!("{task}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `/proc/<pid>/task/<tid>` of the calling thread, to read its CPU time from elsewhere.
fn this_task() -> String {
    std::fs::read_link("/proc/thread-self")
        .map(|p| format!("/proc/{}", p.display()))
        .unwrap_or_default()
}

/// Resident set size of the process, KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy)]
struct Mark {
    at: Instant,
    received: u64,
    handled: u64,
    errors: u64,
    cpu_ns: u64,
    allocations: u64,
}

fn mark<S: Handled>(connection: &Connection<S>) -> Mark {
    let (handled, errors) =
        connection.with_session(|s| (s.consumer().updates, s.consumer().errors));
    Mark {
        at: Instant::now(),
        received: connection.counters().messages_received,
        handled,
        errors,
        cpu_ns: thread_cpu_ns(),
        allocations: thread_allocations(),
    }
}

/// Sleeps `secs`, sampling RSS every 250 ms.
async fn run_for(secs: f64, rss: &mut Vec<(f64, u64)>, origin: Instant) {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < end {
        rss.push((origin.elapsed().as_secs_f64(), rss_kib()));
        tokio::time::sleep(Duration::from_millis(250).min(end - Instant::now())).await;
    }
    rss.push((origin.elapsed().as_secs_f64(), rss_kib()));
}

fn latency_json(histogram: &hdrhistogram::Histogram<u64>) -> Value {
    let q = |q: f64| histogram.value_at_quantile(q);
    // The percentile curve for the plot: HDR's log-spaced quantile iteration.
    let curve: Vec<Value> = histogram
        .iter_quantiles(4)
        .map(|v| json!([v.quantile_iterated_to(), v.value_iterated_to()]))
        .collect();
    json!({
        "count": histogram.len(),
        "p50_ns": q(0.50),
        "p90_ns": q(0.90),
        "p99_ns": q(0.99),
        "p999_ns": q(0.999),
        "p9999_ns": q(0.9999),
        "max_ns": histogram.max(),
        "mean_ns": histogram.mean(),
        "curve": curve,
    })
}

/// Runs one phase against a fresh simulator: connect, wait for data, warm up, measure.
async fn phase<S, F>(
    kind: VenueKind,
    pace: Pace,
    warm_up_secs: f64,
    measure_secs: f64,
    make_session: F,
    origin: Instant,
) -> Result<Value>
where
    S: Handled,
    F: FnOnce(&str, &str) -> Result<S>,
{
    let feed = Feed::new(kind, pace)?;
    let (urls_tx, urls_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let venue = Arc::clone(&feed);
    // The simulator on its own thread and runtime: the other core.
    let sim_thread = std::thread::spawn(move || -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let config = SimConfig {
                queue_capacity: 1024,
                ..SimConfig::default()
            }
            .mount("/feed", venue);
            let sim = Simulator::start(config).await?;
            let _ = urls_tx.send((sim.ws_url("/feed"), sim.http_url("/feed"), this_task()));
            let _ = stop_rx.await;
            sim.shutdown().await;
            Ok(())
        })
    });
    let (ws_url, http_url, sim_task) = urls_rx
        .recv_timeout(Duration::from_secs(10))
        .context("the simulator did not start")?;

    let mut rss = Vec::new();
    let rss_start = rss_kib();
    let mut connection =
        Connection::spawn(make_session(&ws_url, &http_url)?, DriverConfig::default())?;
    let connected = connection
        .wait_for_state(Duration::from_secs(10), |s| s == ConnectionState::Connected)
        .await;
    if connected.is_none() {
        bail!("{}: the client did not connect", kind.name());
    }
    // Wait for the first pushes (the subscription was acknowledged).
    let deadline = Instant::now() + Duration::from_secs(10);
    while connection.with_session(|s| s.consumer().updates) == 0 {
        if Instant::now() > deadline {
            bail!("{}: no data within 10 s", kind.name());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    run_for(warm_up_secs, &mut rss, origin).await;
    let rss_steady = rss_kib();
    let before = mark(&connection);
    let sim_cpu_before = cpu_ns_of(&sim_task);
    let histogram_before = connection.stats().latency;
    let (wire_before, unstamped_before) = connection.with_session(|s| {
        let consumer = s.consumer();
        (consumer.wire_to_callback.clone(), consumer.unstamped)
    });
    run_for(measure_secs, &mut rss, origin).await;
    let after = mark(&connection);
    let sim_cpu = (cpu_ns_of(&sim_task) - sim_cpu_before) as f64 / 1e9;
    let histogram_after = connection.stats().latency;
    let (wire_after, unstamped_after) = connection.with_session(|s| {
        let consumer = s.consumer();
        (consumer.wire_to_callback.clone(), consumer.unstamped)
    });
    let rss_end = rss_kib();

    feed.stop.store(true, Ordering::Relaxed);
    let _ = connection.close().await;
    let _ = stop_tx.send(());
    sim_thread
        .join()
        .map_err(|_| anyhow!("the simulator thread panicked"))??;

    let seconds = (after.at - before.at).as_secs_f64();
    let handled = after.handled - before.handled;
    let cpu = (after.cpu_ns - before.cpu_ns) as f64 / 1e9;
    let latency = difference(&histogram_after, &histogram_before)?;
    let wire_to_callback = difference(&wire_after, &wire_before)?;
    let rss_max = rss.iter().map(|&(_, r)| r).max().unwrap_or(rss_end);
    Ok(json!({
        "pace": match pace { Pace::Flood => json!("flood"), Pace::Rate(r) => json!(r) },
        "seconds": seconds,
        "messages_received": after.received - before.received,
        "messages_handled": handled,
        "handler_errors": after.errors - before.errors,
        "messages_per_second": handled as f64 / seconds,
        "client_cpu_fraction": cpu / seconds,
        "messages_per_client_cpu_second": if cpu > 0.0 { handled as f64 / cpu } else { 0.0 },
        "client_cpu_ns_per_message": if handled > 0 { cpu * 1e9 / handled as f64 } else { 0.0 },
        "client_allocations_per_message": if handled > 0 {
            (after.allocations - before.allocations) as f64 / handled as f64
        } else { 0.0 },
        "simulator_sent": feed.sent.load(Ordering::Relaxed),
        "simulator_cpu_fraction": sim_cpu / seconds,
        "latency": latency_json(&latency),
        "wire_to_callback": latency_json(&wire_to_callback),
        "unstamped_pushes": unstamped_after - unstamped_before,
        "rss_kib": {
            "before_connect": rss_start,
            "after_warm_up": rss_steady,
            "end": rss_end,
            "max": rss_max,
            "growth_during_measurement": rss_end as i64 - rss_steady as i64,
            "samples": rss,
        },
    }))
}

fn difference(
    after: &LatencyHistogram,
    before: &LatencyHistogram,
) -> Result<hdrhistogram::Histogram<u64>> {
    let mut h = after.histogram().clone();
    h.subtract(before.histogram())
        .map_err(|e| anyhow!("histogram difference: {e:?}"))?;
    Ok(h)
}

fn gateio_session(ws: &str, http: &str) -> Result<GateioSpotPublicWebSocketHandler<TopOfBook>> {
    let config = GateioHandlerConfig::new(GateEndpoints::custom(ws, format!("{http}/api/v4")));
    let btc = Symbol::new("BTC_USDT").map_err(|e| anyhow!("{e}"))?;
    Ok(GateioPublicParts::<_, SpotMarket>::new(
        config,
        [GateioPublicTopic::BookTicker(btc)],
        TopOfBook::default(),
    )
    .map(Driven::new)?)
}

fn mexc_session(ws: &str, http: &str) -> Result<MexcPublicWebSocketHandler<TopOfBook>> {
    let mexc = MexcConfig {
        endpoints: exchange_mexc::Endpoints::new(ws, http),
        ..MexcConfig::default()
    };
    Ok(Driven::new(MexcPublicParts::new(
        MexcHandlerConfig::new(mexc),
        [mexc_channel()],
        TopOfBook::default(),
    )))
}

async fn run_venue(kind: VenueKind, o: &Options, origin: Instant) -> Result<Value> {
    let (throughput, latency) = match kind {
        VenueKind::Gateio => (
            phase(
                kind,
                Pace::Flood,
                o.warm_up_secs,
                o.throughput_secs,
                gateio_session,
                origin,
            )
            .await?,
            phase(
                kind,
                Pace::Rate(o.rate),
                o.warm_up_secs,
                o.latency_secs,
                gateio_session,
                origin,
            )
            .await?,
        ),
        VenueKind::Mexc => (
            phase(
                kind,
                Pace::Flood,
                o.warm_up_secs,
                o.throughput_secs,
                mexc_session,
                origin,
            )
            .await?,
            phase(
                kind,
                Pace::Rate(o.rate),
                o.warm_up_secs,
                o.latency_secs,
                mexc_session,
                origin,
            )
            .await?,
        ),
    };
    Ok(json!({
        "venue": kind.name(),
        "handler": kind.handler(),
        "throughput": throughput,
        "latency": latency,
    }))
}

fn main() -> Result<()> {
    let o = Options::parse()?;
    // The client: one current-thread runtime on this thread, i.e. one core.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let origin = Instant::now();
    let mut venues = Vec::new();
    for &kind in &o.venues {
        eprintln!(
            "e2e {}: throughput {} s, then {} msg/s for {} s (each after {} s warm-up)",
            kind.name(),
            o.throughput_secs,
            o.rate,
            o.latency_secs,
            o.warm_up_secs
        );
        let result = runtime.block_on(run_venue(kind, &o, origin))?;
        print_summary(&result);
        venues.push(result);
    }
    let report = json!({
        "what": "loopback end to end: exchange-sim feed venue -> ws-core Connection (inline processing, current-thread runtime) -> venue handler -> consumer top of book",
        "latency_is": "receive (ws-core read the frame) to handled, from ws-core's histogram",
        "wire_to_callback_is": "simulator write stamp (as the core writes the frame to its socket buffer) to the consumer's on_book_ticker, same process and clock",
        "offered_rate": o.rate,
        "warm_up_secs": o.warm_up_secs,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "venues": venues,
    });
    std::fs::write(&o.out, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", o.out))?;
    eprintln!("e2e report written to {}", o.out);
    Ok(())
}

fn print_summary(v: &Value) {
    let f = |p: &str| v.pointer(p).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let us = |p: &str| f(p) / 1e3;
    println!(
        "{:<7} throughput {:>9.0} msg/s (client CPU {:>4.0} %, simulator CPU {:>4.0} %, {:>9.0} msg per client-CPU-second, {:.2} allocs/msg); \
         at {:.0} msg/s: p50 {:.1} us, p99 {:.1} us, p99.9 {:.1} us, max {:.1} us; RSS after warm-up {:.0} -> end {:.0} KiB",
        v.get("venue").and_then(Value::as_str).unwrap_or("?"),
        f("/throughput/messages_per_second"),
        f("/throughput/client_cpu_fraction") * 100.0,
        f("/throughput/simulator_cpu_fraction") * 100.0,
        f("/throughput/messages_per_client_cpu_second"),
        f("/throughput/client_allocations_per_message"),
        f("/latency/messages_per_second"),
        us("/latency/latency/p50_ns"),
        us("/latency/latency/p99_ns"),
        us("/latency/latency/p999_ns"),
        us("/latency/latency/max_ns"),
        f("/latency/rss_kib/after_warm_up"),
        f("/latency/rss_kib/end"),
    );
    for (phase, label) in [("latency", "at rate"), ("throughput", "flooded")] {
        println!(
            "{:<7} {label:<7} wire to callback p50 {:.1} us, p99 {:.1} us, p99.9 {:.1} us; receive to handled p50 {:.1} us, p99 {:.1} us",
            "",
            us(&format!("/{phase}/wire_to_callback/p50_ns")),
            us(&format!("/{phase}/wire_to_callback/p99_ns")),
            us(&format!("/{phase}/wire_to_callback/p999_ns")),
            us(&format!("/{phase}/latency/p50_ns")),
            us(&format!("/{phase}/latency/p99_ns")),
        );
    }
}
