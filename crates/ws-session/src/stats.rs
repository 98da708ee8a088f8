//! Metrics as plain data, updated in place by the connection task and read as snapshots.

use hdrhistogram::Histogram;

use crate::error::DisconnectKind;
use crate::queue::StreamKind;

/// Counters of one connection (across its reconnects). `Copy`, so a snapshot is cheap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionCounters {
    /// Complete inbound data messages handed to the session.
    pub messages_received: u64,
    /// Inbound payload bytes.
    pub bytes_received: u64,
    /// Outbound data messages written.
    pub messages_sent: u64,
    /// Outbound payload bytes.
    pub bytes_sent: u64,
    /// Connection attempts started.
    pub connect_attempts: u64,
    /// Sockets opened successfully.
    pub connects: u64,
    /// Connections re-established after a loss (the first connect is not a reconnect).
    pub reconnects: u64,
    /// Disconnects and failed connection attempts by cause, indexed by
    /// [`DisconnectKind::index`].
    pub disconnects_by_cause: [u64; DisconnectKind::ALL.len()],
    /// Transport-level errors (failed attempts, protocol violations).
    pub errors: u64,
    /// Protocol pings answered.
    pub pongs_sent: u64,
    /// Application pings requested from the session.
    pub app_pings: u64,
    /// Current depth of the processing queue (queued mode).
    pub queue_depth: u64,
    /// Highest queue depth seen.
    pub queue_high_water: u64,
    /// Messages dropped by overflow policy, indexed by [`StreamKind::index`].
    pub dropped_by_kind: [u64; StreamKind::ALL.len()],
    /// Queue overflows on streams that must not drop (book, private); each forced a reconnect.
    pub overflow_resyncs: u64,
    /// Make-before-break rotations completed.
    pub rotations: u64,
    /// REST requests performed for the session.
    pub rest_requests: u64,
    /// REST requests that failed without an HTTP answer.
    pub rest_failures: u64,
    /// Times the connection reported itself failed (`report_failed_after` consecutive
    /// failures); it went on retrying.
    pub failed_reports: u64,
    /// Connection tasks (reader, writer, processor, supervisor, REST) that panicked; each
    /// ended the connection in `ERROR`.
    pub task_panics: u64,
}

impl ConnectionCounters {
    /// Disconnects of one kind.
    pub fn disconnects(&self, kind: DisconnectKind) -> u64 {
        self.disconnects_by_cause[kind.index()]
    }

    /// Drops of one stream kind.
    pub fn dropped(&self, kind: StreamKind) -> u64 {
        self.dropped_by_kind[kind.index()]
    }

    /// All drops.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_by_kind.iter().sum()
    }
}

/// Receive-to-handled latency in nanoseconds (HDR histogram, 3 significant digits).
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// Tracks 1 ns .. 60 s.
    #[allow(
        clippy::expect_used,
        reason = "constant bounds that hdrhistogram documents as valid; not network data"
    )]
    pub fn new() -> Self {
        let histogram = Histogram::new_with_bounds(1, 60_000_000_000, 3)
            .expect("valid constant histogram bounds");
        Self { histogram }
    }

    /// Records one sample; values beyond the range are clamped.
    pub fn record_nanos(&mut self, nanos: u64) {
        let _ = self.histogram.record(nanos.clamp(1, 60_000_000_000));
    }

    /// Number of samples.
    pub fn len(&self) -> u64 {
        self.histogram.len()
    }

    /// Whether no samples were recorded.
    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    /// The value at a quantile in `[0, 1]`.
    pub fn quantile_nanos(&self, q: f64) -> u64 {
        self.histogram.value_at_quantile(q)
    }

    /// Largest sample.
    pub fn max_nanos(&self) -> u64 {
        self.histogram.max()
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        let _ = self.histogram.add(&other.histogram);
    }

    /// The underlying histogram, for exporters.
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.histogram
    }

    /// A small summary.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.len(),
            p50_ns: self.quantile_nanos(0.50),
            p99_ns: self.quantile_nanos(0.99),
            p999_ns: self.quantile_nanos(0.999),
            max_ns: self.max_nanos(),
        }
    }
}

/// Quantiles of a [`LatencyHistogram`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencySummary {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// Maximum.
    pub max_ns: u64,
}

/// What `stats()` returns.
#[derive(Debug, Clone)]
pub struct ConnectionStats {
    /// Counters.
    pub counters: ConnectionCounters,
    /// Receive-to-handled latency.
    pub latency: LatencyHistogram,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = LatencyHistogram::new();
        for v in 1..=1000u64 {
            h.record_nanos(v * 1000);
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert!((499_000..=501_000).contains(&s.p50_ns), "{s:?}");
        assert!((989_000..=991_000).contains(&s.p99_ns), "{s:?}");
        h.record_nanos(u64::MAX);
        assert!(h.max_nanos() >= 59_000_000_000);
    }

    #[test]
    fn counters_accessors() {
        let mut c = ConnectionCounters::default();
        c.dropped_by_kind[StreamKind::Trade.index()] = 3;
        c.dropped_by_kind[StreamKind::Ticker.index()] = 2;
        c.disconnects_by_cause[DisconnectKind::Idle.index()] = 1;
        assert_eq!(c.dropped(StreamKind::Trade), 3);
        assert_eq!(c.dropped_total(), 5);
        assert_eq!(c.disconnects(DisconnectKind::Idle), 1);
    }
}
