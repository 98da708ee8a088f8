//! `get_performance_metrics()`: the old keys, filled from ws-core's counters and latency
//! histogram, without the old double counting.

use serde::Serialize;
use ws_core::ConnectionState;

/// Which implementation runs a manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Architecture {
    /// The old strategy pattern (trait objects) ported onto ws-core: V4's "legacy" path.
    #[serde(rename = "legacy")]
    LegacyStrategy,
    /// ws-core running the venue handlers, callbacks translated: V4's "direct" path.
    #[serde(rename = "direct")]
    Mixin,
}

impl Architecture {
    /// The V4 name: `"legacy"` or `"direct"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::LegacyStrategy => "legacy",
            Architecture::Mixin => "direct",
        }
    }

    /// The path compiled in as the default: mixin when its feature is on.
    pub const fn default_for_build() -> Architecture {
        if cfg!(feature = "mixin") {
            Architecture::Mixin
        } else {
            Architecture::LegacyStrategy
        }
    }

    /// The path for a new manager of `exchange`: the environment variable
    /// `WS_COMPAT_ARCHITECTURE_<EXCHANGE>` (`MEXC_SPOT`, `GATEIO_SPOT`, `GATEIO_FUTURES`),
    /// else `WS_COMPAT_ARCHITECTURE`, each `legacy` or `direct` (also `strategy`, `mixin`);
    /// else, or when the named path is not compiled in, [`Self::default_for_build`].
    /// This is the rollback switch that needs no rebuild.
    pub fn from_env(exchange: crate::config::ExchangeEnum) -> Architecture {
        let specific = format!("{ENV_VAR}_{}", exchange.value());
        let named = std::env::var(&specific)
            .ok()
            .map(|v| (specific, v))
            .or_else(|| std::env::var(ENV_VAR).ok().map(|v| (ENV_VAR.to_owned(), v)));
        let Some((var, value)) = named else {
            return Architecture::default_for_build();
        };
        match Architecture::parse(&value) {
            Some(a) if a.is_compiled_in() => a,
            Some(a) => {
                tracing::warn!(%var, architecture = %a, "not compiled in; using the default path");
                Architecture::default_for_build()
            }
            None => {
                tracing::warn!(%var, %value, "unknown architecture; using the default path");
                Architecture::default_for_build()
            }
        }
    }

    /// `legacy`/`strategy`/`legacy-strategy` or `direct`/`mixin` (any case).
    pub fn parse(value: &str) -> Option<Architecture> {
        match value.trim().to_ascii_lowercase().as_str() {
            "legacy" | "strategy" | "legacy-strategy" | "legacy_strategy" => {
                Some(Architecture::LegacyStrategy)
            }
            "direct" | "mixin" => Some(Architecture::Mixin),
            _ => None,
        }
    }

    /// Whether this build contains the path.
    pub const fn is_compiled_in(self) -> bool {
        match self {
            Architecture::LegacyStrategy => cfg!(feature = "legacy-strategy"),
            Architecture::Mixin => cfg!(feature = "mixin"),
        }
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The environment variable [`Architecture::from_env`] reads.
pub const ENV_VAR: &str = "WS_COMPAT_ARCHITECTURE";

/// The old `get_performance_metrics()` dictionary as a struct; `serde_json::to_value` gives
/// the old keys.
#[deprecated(note = "use ws_core::Connection::stats (ConnectionCounters + LatencyHistogram)")]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerformanceMetrics {
    /// Inbound messages handed to the parser, each counted once (the old manager counted
    /// every message twice).
    pub messages_processed: u64,
    /// `messages_processed` ÷ uptime.
    pub messages_per_second: f64,
    /// Mean receive-to-handled time (parse, book update, your handler), milliseconds. 0
    /// when `enable_performance_tracking` is off.
    pub avg_processing_time_ms: f64,
    /// Largest receive-to-handled time, milliseconds.
    pub max_processing_time_ms: f64,
    /// Seconds since `initialize()`.
    pub connection_uptime_seconds: f64,
    /// Connections re-established after a loss (the old counter was never incremented).
    pub reconnection_count: u64,
    /// Transport errors (failed attempts, protocol violations) plus messages that could not
    /// be processed.
    pub error_count: u64,
    /// The state's old name (`"CONNECTED"`, ...).
    pub connection_state: &'static str,
    /// V6: which handler runs (`"mixin"` or `"strategy"`).
    pub handler_type: &'static str,
    /// V4's per-path figures.
    pub architecture: ArchitectureMetrics,
}

/// V4's `architecture{current, switches, legacy_path, direct_path}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchitectureMetrics {
    /// The path in use.
    pub current: Architecture,
    /// Runtime switches so far.
    pub switches: u64,
    /// Totals of the strategy path over this manager's life.
    pub legacy_path: PathMetrics,
    /// Totals of the mixin path over this manager's life.
    pub direct_path: PathMetrics,
}

/// One path's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PathMetrics {
    /// Messages processed on this path.
    pub messages: u64,
    /// Messages that failed on this path.
    pub errors: u64,
    /// Mean receive-to-handled time on this path, milliseconds.
    pub avg_time_ms: f64,
    /// `errors / messages` (0 when no messages).
    pub error_rate: f64,
}

/// Running totals of one path across the connections it has run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PathTally {
    pub(crate) messages: u64,
    pub(crate) errors: u64,
    pub(crate) transport_errors: u64,
    pub(crate) reconnects: u64,
    pub(crate) latency_samples: u64,
    pub(crate) latency_sum_ns: f64,
    pub(crate) latency_max_ns: u64,
}

/// What one connection has done so far (read from its stats and its sink).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Snapshot {
    pub(crate) messages: u64,
    pub(crate) errors: u64,
    pub(crate) transport_errors: u64,
    pub(crate) reconnects: u64,
    pub(crate) latency_samples: u64,
    pub(crate) latency_mean_ns: f64,
    pub(crate) latency_max_ns: u64,
}

impl PathTally {
    /// This tally plus a live connection's figures.
    pub(crate) fn plus(&self, s: &Snapshot) -> PathTally {
        PathTally {
            messages: self.messages + s.messages,
            errors: self.errors + s.errors,
            transport_errors: self.transport_errors + s.transport_errors,
            reconnects: self.reconnects + s.reconnects,
            latency_samples: self.latency_samples + s.latency_samples,
            latency_sum_ns: self.latency_sum_ns + s.latency_mean_ns * s.latency_samples as f64,
            latency_max_ns: self.latency_max_ns.max(s.latency_max_ns),
        }
    }

    pub(crate) fn combine(&self, other: &PathTally) -> PathTally {
        PathTally {
            messages: self.messages + other.messages,
            errors: self.errors + other.errors,
            transport_errors: self.transport_errors + other.transport_errors,
            reconnects: self.reconnects + other.reconnects,
            latency_samples: self.latency_samples + other.latency_samples,
            latency_sum_ns: self.latency_sum_ns + other.latency_sum_ns,
            latency_max_ns: self.latency_max_ns.max(other.latency_max_ns),
        }
    }

    pub(crate) fn avg_ms(&self) -> f64 {
        if self.latency_samples == 0 {
            0.0
        } else {
            self.latency_sum_ns / self.latency_samples as f64 / 1e6
        }
    }

    pub(crate) fn path_metrics(&self) -> PathMetrics {
        PathMetrics {
            messages: self.messages,
            errors: self.errors,
            avg_time_ms: self.avg_ms(),
            error_rate: if self.messages == 0 {
                0.0
            } else {
                self.errors as f64 / self.messages as f64
            },
        }
    }
}

/// Builds the old dictionary.
pub(crate) struct MetricsInput {
    pub(crate) legacy: PathTally,
    pub(crate) direct: PathTally,
    pub(crate) current: Architecture,
    pub(crate) switches: u64,
    pub(crate) uptime_seconds: f64,
    pub(crate) state: ConnectionState,
    pub(crate) tracking: bool,
}

#[allow(deprecated, reason = "builds the deprecated metrics struct")]
impl MetricsInput {
    pub(crate) fn build(self) -> PerformanceMetrics {
        let total = self.legacy.combine(&self.direct);
        let (avg, max) = if self.tracking {
            (total.avg_ms(), total.latency_max_ns as f64 / 1e6)
        } else {
            (0.0, 0.0)
        };
        PerformanceMetrics {
            messages_processed: total.messages,
            messages_per_second: if self.uptime_seconds > 0.0 {
                total.messages as f64 / self.uptime_seconds
            } else {
                0.0
            },
            avg_processing_time_ms: avg,
            max_processing_time_ms: max,
            connection_uptime_seconds: self.uptime_seconds,
            reconnection_count: total.reconnects,
            error_count: total.transport_errors + total.errors,
            connection_state: self.state.as_str(),
            handler_type: match self.current {
                Architecture::Mixin => "mixin",
                Architecture::LegacyStrategy => "strategy",
            },
            architecture: ArchitectureMetrics {
                current: self.current,
                switches: self.switches,
                legacy_path: self.legacy.path_metrics(),
                direct_path: self.direct.path_metrics(),
            },
        }
    }
}

#[cfg(test)]
#[allow(deprecated, reason = "tests of the deprecated items")]
mod tests {
    use super::*;

    #[test]
    fn totals_and_keys() {
        let legacy = PathTally::default().plus(&Snapshot {
            messages: 10,
            errors: 1,
            transport_errors: 2,
            reconnects: 1,
            latency_samples: 10,
            latency_mean_ns: 2_000_000.0,
            latency_max_ns: 5_000_000,
        });
        let direct = PathTally::default().plus(&Snapshot {
            messages: 30,
            latency_samples: 30,
            latency_mean_ns: 1_000_000.0,
            latency_max_ns: 3_000_000,
            ..Snapshot::default()
        });
        let m = MetricsInput {
            legacy,
            direct,
            current: Architecture::Mixin,
            switches: 1,
            uptime_seconds: 4.0,
            state: ConnectionState::Connected,
            tracking: true,
        }
        .build();
        assert_eq!(m.messages_processed, 40);
        assert_eq!(m.messages_per_second, 10.0);
        assert!((m.avg_processing_time_ms - 1.25).abs() < 1e-9);
        assert_eq!(m.max_processing_time_ms, 5.0);
        assert_eq!(m.reconnection_count, 1);
        assert_eq!(m.error_count, 3);
        assert_eq!(m.architecture.legacy_path.error_rate, 0.1);
        let json = serde_json::to_value(&m).unwrap_or_default();
        for key in [
            "messages_processed",
            "messages_per_second",
            "avg_processing_time_ms",
            "max_processing_time_ms",
            "connection_uptime_seconds",
            "reconnection_count",
            "error_count",
            "connection_state",
            "handler_type",
        ] {
            assert!(json.get(key).is_some(), "{key}");
        }
        assert_eq!(json["connection_state"], "CONNECTED");
        assert_eq!(json["architecture"]["current"], "direct");
        assert_eq!(json["architecture"]["legacy_path"]["messages"], 10);
    }
}
