//! `--metrics-addr HOST:PORT`: Prometheus metrics at `http://HOST:PORT/metrics`.
//!
//! The stats stay plain data where they are kept (ws-core's `ConnectionStats`, the
//! handlers' `HandlerStats` and book-sync counters, the event sink's counters); the run
//! loop copies them into a [`MetricsSnapshot`] a few times a second and a
//! `prometheus_client` collector encodes the latest snapshot at scrape time.
//!
//! Labels: `venue` (`gateio-spot`, ...), `role` (`public`/`private`), `shard` (the
//! connection's index in its pool), plus `cause`, `stream`, `kind` or `outcome` where
//! named. Counters end in `_total`.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `wsx_connection_up` | gauge | 1 while the connection is `CONNECTED` |
//! | `wsx_messages_received_total` / `wsx_bytes_received_total` | counter | inbound data messages / payload bytes |
//! | `wsx_messages_sent_total` | counter | outbound messages |
//! | `wsx_connect_attempts_total` | counter | connection attempts started |
//! | `wsx_reconnects_total` | counter | connections re-established after a loss |
//! | `wsx_disconnects_total{cause}` | counter | losses and failed attempts by cause (`connect`, `no_status_1005`, `closed`, `lost_1006`, `idle`, `protocol`, `session`, `user`, `fatal`) |
//! | `wsx_transport_errors_total` | counter | failed attempts and protocol violations |
//! | `wsx_queue_depth` / `wsx_queue_high_water` | gauge | processing queue depth (queued mode) |
//! | `wsx_dropped_messages_total{stream}` | counter | messages dropped by overflow policy |
//! | `wsx_overflow_resyncs_total` | counter | book/private queue overflows (each forced a reconnect) |
//! | `wsx_rest_requests_total` / `wsx_rest_failures_total` | counter | REST calls made for the sessions / without an HTTP answer |
//! | `wsx_receive_to_handled_seconds` | histogram | socket read to handler done, per connection |
//! | `wsx_handler_messages_total` / `wsx_handler_errors_total` / `wsx_handler_unhandled_total` | counter | handler template counters |
//! | `wsx_book_snapshots_total{outcome}` | counter | REST snapshots `requested`, `applied`, `failed` |
//! | `wsx_book_resyncs_total` / `wsx_book_gaps_total` | counter | books rebuilt / of those for an update-id gap |
//! | `wsx_events_total{kind}` | counter | normalized events produced |
//! | `wsx_printer_dropped_events_total` | counter | events not printed because stdout could not keep up |
//! | `wsx_nats_published_events_total` / `wsx_nats_dropped_events_total` | counter | events queued for NATS / dropped because its queue was full |
//! | `wsx_nats_queue_depth` | gauge | events waiting for the NATS publisher |

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use market_types::Venue;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use ws_core::{ConnectionCounters, ConnectionState, DisconnectKind, LatencyHistogram, StreamKind};

use crate::event::{EventKind, SinkCounters};
use crate::tap::BookSyncSummary;
use crate::venue::Role;

/// Everything exported, as of the last refresh.
#[derive(Debug, Clone, Default)]
pub struct MetricsSnapshot {
    /// One entry per group of connections.
    pub groups: Vec<GroupSnapshot>,
    /// Events not printed.
    pub printer_dropped: u64,
    /// Events queued for NATS.
    pub nats_published: u64,
    /// Events dropped for NATS.
    pub nats_dropped: u64,
    /// NATS queue depth.
    pub nats_queue: u64,
}

/// One venue's sessions of one role.
#[derive(Debug, Clone)]
pub struct GroupSnapshot {
    /// Venue.
    pub venue: Venue,
    /// Public or private.
    pub role: Role,
    /// Per connection.
    pub connections: Vec<ConnSnapshot>,
    /// Handler template counters, summed.
    pub handler_messages: u64,
    /// Failed messages.
    pub handler_errors: u64,
    /// Unrouted messages.
    pub handler_unhandled: u64,
    /// Book sync, summed.
    pub book_sync: BookSyncSummary,
    /// Event sink counters, summed.
    pub sink: SinkCounters,
}

/// One connection.
#[derive(Debug, Clone)]
pub struct ConnSnapshot {
    /// Index in the group.
    pub shard: usize,
    /// State.
    pub state: ConnectionState,
    /// Driver counters.
    pub counters: ConnectionCounters,
    /// Receive-to-handled latency.
    pub latency: LatencyHistogram,
}

/// Where the run loop puts snapshots for the exporter.
pub type SharedSnapshot = Arc<Mutex<MetricsSnapshot>>;

/// The HTTP endpoint.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// Listens on `addr` and serves the snapshot at `/metrics`.
    pub async fn start(addr: &str, snapshot: SharedSnapshot) -> Result<Self, String> {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            format!("cannot serve metrics on {addr}: {e}; pick a free HOST:PORT for --metrics-addr")
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("metrics listener: {e}"))?;
        let mut registry = Registry::default();
        registry.register_collector(Box::new(SnapshotCollector(snapshot)));
        let registry = Arc::new(registry);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let registry = registry.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let registry = registry.clone();
                        async move { Ok::<_, Infallible>(respond(&request, &registry)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, task })
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn respond(request: &Request<hyper::body::Incoming>, registry: &Registry) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    if path != "/metrics" && path != "/" {
        let mut response = Response::new(Full::new(Bytes::from_static(
            b"not found; metrics are at /metrics\n",
        )));
        *response.status_mut() = hyper::StatusCode::NOT_FOUND;
        return response;
    }
    let mut body = String::new();
    if prometheus_client::encoding::prometheus_text::encode(&mut body, registry).is_err() {
        let mut response = Response::new(Full::new(Bytes::from_static(b"encoding failed\n")));
        *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        return response;
    }
    let mut response = Response::new(Full::new(Bytes::from(body)));
    if let Ok(value) =
        http::HeaderValue::from_str(prometheus_client::encoding::prometheus_text::CONTENT_TYPE)
    {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, value);
    }
    response
}

/// Renders the snapshot as Prometheus text (also used by tests without HTTP).
pub fn render(snapshot: &SharedSnapshot) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SnapshotCollector(snapshot.clone())));
    let mut body = String::new();
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut body, &registry);
    body
}

#[derive(Debug)]
struct SnapshotCollector(SharedSnapshot);

type Labels = Vec<(&'static str, String)>;

/// Gathers one metric family's samples before encoding it.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    samples: Vec<(Labels, Sample)>,
}

enum Sample {
    Counter(u64),
    Gauge(i64),
    Histogram(LatencyHistogram),
}

impl Family {
    fn new(name: &'static str, help: &'static str, kind: MetricType) -> Self {
        Self {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, labels: Labels, sample: Sample) {
        self.samples.push((labels, sample));
    }

    fn encode(&self, encoder: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        if self.samples.is_empty() {
            return Ok(());
        }
        let mut metric = encoder.encode_descriptor(self.name, self.help, None, self.kind)?;
        for (labels, sample) in &self.samples {
            let family = metric.encode_family(labels)?;
            match sample {
                Sample::Counter(v) => ConstCounter::new(*v).encode(family)?,
                Sample::Gauge(v) => ConstGauge::new(*v).encode(family)?,
                Sample::Histogram(h) => {
                    let (sum, count, buckets) = histogram_buckets(h);
                    let mut family = family;
                    family.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
                }
            }
        }
        Ok(())
    }
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let snapshot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        use MetricType::{Counter, Gauge, Histogram};
        let mut up = Family::new(
            "wsx_connection_up",
            "1 while the connection is CONNECTED",
            Gauge,
        );
        let mut received = Family::new("wsx_messages_received", "Inbound data messages", Counter);
        let mut bytes = Family::new("wsx_bytes_received", "Inbound payload bytes", Counter);
        let mut sent = Family::new("wsx_messages_sent", "Outbound messages", Counter);
        let mut attempts = Family::new(
            "wsx_connect_attempts",
            "Connection attempts started",
            Counter,
        );
        let mut reconnects = Family::new(
            "wsx_reconnects",
            "Connections re-established after a loss",
            Counter,
        );
        let mut disconnects = Family::new(
            "wsx_disconnects",
            "Connection losses and failed attempts by cause",
            Counter,
        );
        let mut errors = Family::new(
            "wsx_transport_errors",
            "Failed connection attempts and protocol violations",
            Counter,
        );
        let mut depth = Family::new("wsx_queue_depth", "Processing queue depth", Gauge);
        let mut high = Family::new(
            "wsx_queue_high_water",
            "Highest processing queue depth",
            Gauge,
        );
        let mut dropped = Family::new(
            "wsx_dropped_messages",
            "Messages dropped by overflow policy",
            Counter,
        );
        let mut overflow = Family::new(
            "wsx_overflow_resyncs",
            "Book or private queue overflows that forced a reconnect",
            Counter,
        );
        let mut rest = Family::new(
            "wsx_rest_requests",
            "REST requests made for the sessions",
            Counter,
        );
        let mut rest_failed = Family::new(
            "wsx_rest_failures",
            "REST requests without an HTTP answer",
            Counter,
        );
        let mut latency = Family::new(
            "wsx_receive_to_handled_seconds",
            "Time from reading a message off the socket to the handler returning",
            Histogram,
        );
        let mut handled = Family::new(
            "wsx_handler_messages",
            "Messages the handler processed",
            Counter,
        );
        let mut handler_errors = Family::new(
            "wsx_handler_errors",
            "Messages whose processing failed (skipped)",
            Counter,
        );
        let mut unhandled = Family::new(
            "wsx_handler_unhandled",
            "Messages of a type not routed",
            Counter,
        );
        let mut snapshots = Family::new(
            "wsx_book_snapshots",
            "REST book snapshots by outcome",
            Counter,
        );
        let mut resyncs = Family::new("wsx_book_resyncs", "Books thrown away and rebuilt", Counter);
        let mut gaps = Family::new(
            "wsx_book_gaps",
            "Book resyncs caused by an update-id gap",
            Counter,
        );
        let mut events = Family::new("wsx_events", "Normalized events produced, by kind", Counter);

        for group in &snapshot.groups {
            let base = || -> Labels {
                vec![
                    ("venue", group.venue.as_str().to_string()),
                    ("role", group.role.as_str().to_string()),
                ]
            };
            for conn in &group.connections {
                let labels = || {
                    let mut l = base();
                    l.push(("shard", conn.shard.to_string()));
                    l
                };
                let c = &conn.counters;
                up.add(
                    labels(),
                    Sample::Gauge(i64::from(conn.state == ConnectionState::Connected)),
                );
                received.add(labels(), Sample::Counter(c.messages_received));
                bytes.add(labels(), Sample::Counter(c.bytes_received));
                sent.add(labels(), Sample::Counter(c.messages_sent));
                attempts.add(labels(), Sample::Counter(c.connect_attempts));
                reconnects.add(labels(), Sample::Counter(c.reconnects));
                for kind in DisconnectKind::ALL {
                    let mut l = labels();
                    l.push(("cause", kind.as_str().to_string()));
                    disconnects.add(l, Sample::Counter(c.disconnects(kind)));
                }
                errors.add(labels(), Sample::Counter(c.errors));
                depth.add(labels(), Sample::Gauge(saturating_i64(c.queue_depth)));
                high.add(labels(), Sample::Gauge(saturating_i64(c.queue_high_water)));
                for kind in StreamKind::ALL {
                    let mut l = labels();
                    l.push(("stream", kind.as_str().to_string()));
                    dropped.add(l, Sample::Counter(c.dropped(kind)));
                }
                overflow.add(labels(), Sample::Counter(c.overflow_resyncs));
                rest.add(labels(), Sample::Counter(c.rest_requests));
                rest_failed.add(labels(), Sample::Counter(c.rest_failures));
                latency.add(labels(), Sample::Histogram(conn.latency.clone()));
            }
            handled.add(base(), Sample::Counter(group.handler_messages));
            handler_errors.add(base(), Sample::Counter(group.handler_errors));
            unhandled.add(base(), Sample::Counter(group.handler_unhandled));
            if group.role == Role::Public {
                for (outcome, value) in [
                    ("requested", group.book_sync.snapshots_requested),
                    ("applied", group.book_sync.snapshots_applied),
                    ("failed", group.book_sync.snapshots_failed),
                ] {
                    let mut l = base();
                    l.push(("outcome", outcome.to_string()));
                    snapshots.add(l, Sample::Counter(value));
                }
                resyncs.add(base(), Sample::Counter(group.sink.resyncs));
                gaps.add(base(), Sample::Counter(group.sink.gaps));
            }
            for kind in EventKind::ALL {
                let n = group.sink.by_kind[kind.index()];
                if n > 0 {
                    let mut l = base();
                    l.push(("kind", kind.as_str().to_string()));
                    events.add(l, Sample::Counter(n));
                }
            }
        }
        let mut printer = Family::new(
            "wsx_printer_dropped_events",
            "Events not printed because stdout could not keep up",
            Counter,
        );
        printer.add(Vec::new(), Sample::Counter(snapshot.printer_dropped));
        let mut published = Family::new(
            "wsx_nats_published_events",
            "Events queued for the NATS publisher",
            Counter,
        );
        published.add(Vec::new(), Sample::Counter(snapshot.nats_published));
        let mut nats_dropped = Family::new(
            "wsx_nats_dropped_events",
            "Events dropped because the NATS queue was full",
            Counter,
        );
        nats_dropped.add(Vec::new(), Sample::Counter(snapshot.nats_dropped));
        let mut nats_queue = Family::new(
            "wsx_nats_queue_depth",
            "Events waiting for the NATS publisher",
            Gauge,
        );
        nats_queue.add(
            Vec::new(),
            Sample::Gauge(saturating_i64(snapshot.nats_queue)),
        );

        for family in [
            up,
            received,
            bytes,
            sent,
            attempts,
            reconnects,
            disconnects,
            errors,
            depth,
            high,
            dropped,
            overflow,
            rest,
            rest_failed,
            latency,
            handled,
            handler_errors,
            unhandled,
            snapshots,
            resyncs,
            gaps,
            events,
            printer,
            published,
            nats_dropped,
            nats_queue,
        ] {
            family.encode(&mut encoder)?;
        }
        Ok(())
    }
}

/// Cumulative buckets in seconds from an HDR histogram in nanoseconds.
fn histogram_buckets(h: &LatencyHistogram) -> (f64, u64, Vec<(f64, u64)>) {
    let hist = h.histogram();
    let count = hist.len();
    let sum = hist.mean() * count as f64 / 1e9;
    let buckets = BUCKETS_NS
        .iter()
        .map(|&bound| {
            let n = if count == 0 {
                0
            } else {
                hist.count_between(0, bound)
            };
            (bound as f64 / 1e9, n)
        })
        .chain(std::iter::once((f64::INFINITY, count)))
        .collect();
    (sum, count, buckets)
}

fn saturating_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// 1 µs to 10 s.
const BUCKETS_NS: [u64; 20] = [
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
    10_000_000_000,
];

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let mut latency = LatencyHistogram::new();
        for v in [1_500u64, 3_000, 40_000] {
            latency.record_nanos(v);
        }
        let snapshot = MetricsSnapshot {
            groups: vec![GroupSnapshot {
                venue: Venue::MexcSpot,
                role: Role::Public,
                connections: vec![ConnSnapshot {
                    shard: 0,
                    state: ConnectionState::Connected,
                    counters: ConnectionCounters {
                        messages_received: 7,
                        reconnects: 1,
                        ..ConnectionCounters::default()
                    },
                    latency,
                }],
                handler_messages: 7,
                handler_errors: 0,
                handler_unhandled: 0,
                book_sync: BookSyncSummary::default(),
                sink: SinkCounters::default(),
            }],
            ..MetricsSnapshot::default()
        };
        let text = render(&Arc::new(Mutex::new(snapshot)));
        assert!(
            text.contains(
                r#"wsx_messages_received_total{venue="mexc-spot",role="public",shard="0"} 7"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"wsx_connection_up{venue="mexc-spot",role="public",shard="0"} 1"#));
        assert!(text.contains(
            r#"wsx_receive_to_handled_seconds_bucket{le="0.000002",venue="mexc-spot",role="public",shard="0"} 1"#
        ) || text.contains(r#"wsx_receive_to_handled_seconds_count{venue="mexc-spot",role="public",shard="0"} 3"#), "{text}");
        assert!(text.contains("wsx_nats_dropped_events_total 0"));
    }
}
