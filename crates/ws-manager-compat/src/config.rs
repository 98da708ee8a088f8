//! The old configuration structs (`config/structs.py`, `WebSocketManagerConfig`) and what
//! each field becomes in the new stack.

use std::fmt;
use std::time::Duration;

use ws_core::{DriverConfig, MaxAttempts, Processing, QueueConfig, ReconnectionPolicy};

use crate::error::CompatError;

/// The old `WebSocketConfig` with its defaults (spec §2.6). Times are seconds, as before.
///
/// | Field | Becomes |
/// |---|---|
/// | `url` | the venue's connection URL |
/// | `connect_timeout` | `DriverConfig::connect_timeout` |
/// | `ping_interval`, `ping_timeout` | the idle watchdog: no inbound data for `ping_interval + ping_timeout` means a dead socket |
/// | `close_timeout` | `DriverConfig::close_timeout` |
/// | `max_reconnect_attempts`, `reconnect_delay`, `reconnect_backoff`, `max_reconnect_delay` | `ReconnectionPolicy` (the venue keeps its jitter, `reset_on_1005` and connect-rate limit) |
/// | `max_message_size` | `DriverConfig::max_message_size` |
/// | `max_queue_size` | `DriverConfig::outbound_capacity` |
/// | `heartbeat_interval` | the venue's application ping interval (`None` or 0 keeps the venue default) |
/// | `enable_compression` | must be understood as a request only: the driver does not negotiate permessage-deflate |
/// | `text_encoding` | must be `"utf-8"` (the driver validates UTF-8 text frames) |
#[deprecated(note = "use ws_core::DriverConfig and the venue handler configs")]
#[derive(Debug, Clone, PartialEq)]
pub struct WebSocketConfig {
    /// `ws://` or `wss://` URL.
    pub url: String,
    /// Seconds.
    pub connect_timeout: f64,
    /// Seconds.
    pub ping_interval: f64,
    /// Seconds.
    pub ping_timeout: f64,
    /// Seconds.
    pub close_timeout: f64,
    /// Consecutive failed attempts before giving up.
    pub max_reconnect_attempts: u32,
    /// Seconds before the first retry.
    pub reconnect_delay: f64,
    /// Growth factor per failure.
    pub reconnect_backoff: f64,
    /// Seconds, cap on the delay.
    pub max_reconnect_delay: f64,
    /// Bytes.
    pub max_message_size: usize,
    /// Outbound queue capacity.
    pub max_queue_size: usize,
    /// Seconds between application heartbeats; `None` or 0 for none.
    pub heartbeat_interval: Option<f64>,
    /// permessage-deflate (not negotiated by the new driver).
    pub enable_compression: bool,
    /// Only `"utf-8"` is accepted.
    pub text_encoding: String,
}

impl WebSocketConfig {
    /// The old defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connect_timeout: 10.0,
            ping_interval: 20.0,
            ping_timeout: 10.0,
            close_timeout: 5.0,
            max_reconnect_attempts: 10,
            reconnect_delay: 1.0,
            reconnect_backoff: 2.0,
            max_reconnect_delay: 60.0,
            max_message_size: 1_048_576,
            max_queue_size: 1000,
            heartbeat_interval: Some(30.0),
            enable_compression: true,
            text_encoding: "utf-8".to_owned(),
        }
    }

    /// The old `has_heartbeat` property.
    pub fn has_heartbeat(&self) -> bool {
        self.heartbeat_interval.is_some_and(|s| s > 0.0)
    }

    /// The old `with_url(new_url)`: a copy with another URL.
    pub fn with_url(&self, url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..self.clone()
        }
    }

    /// Checks the values (the old code raised `ValueError` for bad config).
    pub fn validate(&self) -> Result<(), CompatError> {
        let bad = |field: &'static str, why: &str| {
            Err(CompatError::InvalidConfig(format!(
                "WebSocketConfig.{field}: {why}"
            )))
        };
        if !(self.url.starts_with("ws://") || self.url.starts_with("wss://")) {
            return bad("url", "must start with ws:// or wss://");
        }
        for (field, value) in [
            ("connect_timeout", self.connect_timeout),
            ("ping_interval", self.ping_interval),
            ("ping_timeout", self.ping_timeout),
            ("close_timeout", self.close_timeout),
            ("reconnect_delay", self.reconnect_delay),
            ("max_reconnect_delay", self.max_reconnect_delay),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return bad(field, "must be a positive number of seconds");
            }
        }
        if !(self.reconnect_backoff.is_finite() && self.reconnect_backoff >= 1.0) {
            return bad("reconnect_backoff", "must be at least 1.0");
        }
        if self.max_message_size == 0 || self.max_queue_size == 0 {
            return bad("max_message_size/max_queue_size", "must be positive");
        }
        if let Some(h) = self.heartbeat_interval
            && !(h.is_finite() && h >= 0.0)
        {
            return bad(
                "heartbeat_interval",
                "must be a non-negative number of seconds",
            );
        }
        if !self.text_encoding.eq_ignore_ascii_case("utf-8")
            && !self.text_encoding.eq_ignore_ascii_case("utf8")
        {
            return bad("text_encoding", "only utf-8 is supported");
        }
        Ok(())
    }

    /// The driver settings these values stand for.
    pub(crate) fn driver_config(&self, manager: &WebSocketManagerConfig) -> DriverConfig {
        DriverConfig {
            connect_timeout: secs(self.connect_timeout),
            max_message_size: self.max_message_size,
            close_timeout: secs(self.close_timeout),
            outbound_capacity: self.max_queue_size,
            processing: manager.processing(),
            ..DriverConfig::default()
        }
    }

    /// The reconnection policy: these values on top of the venue's (jitter,
    /// `reset_on_1005`, connect-rate limit). `manager` values win where they were changed
    /// from their defaults (they are the same settings under another name).
    pub(crate) fn reconnection_policy(
        &self,
        manager: &WebSocketManagerConfig,
        venue: ReconnectionPolicy,
    ) -> ReconnectionPolicy {
        let defaults = WebSocketManagerConfig::default();
        let attempts = if manager.max_reconnect_attempts == defaults.max_reconnect_attempts {
            self.max_reconnect_attempts
        } else {
            manager.max_reconnect_attempts
        };
        let delay = if manager.reconnect_delay == defaults.reconnect_delay {
            self.reconnect_delay
        } else {
            manager.reconnect_delay
        };
        ReconnectionPolicy {
            initial_delay: secs(delay),
            backoff_factor: self.reconnect_backoff,
            max_delay: secs(self.max_reconnect_delay),
            max_attempts: MaxAttempts::Limited(attempts),
            // The old manager stopped at its attempt limit and knew no failed-but-retrying
            // state.
            report_failed_after: None,
            ..venue
        }
    }

    /// No inbound data for this long means a dead socket.
    pub(crate) fn idle_timeout(&self, manager: &WebSocketManagerConfig) -> Duration {
        let from_ping = secs(self.ping_interval + self.ping_timeout);
        if manager.message_timeout == WebSocketManagerConfig::default().message_timeout {
            from_ping
        } else {
            secs(manager.message_timeout)
        }
    }

    /// The application heartbeat interval, when one was asked for.
    pub(crate) fn heartbeat(&self) -> Option<Duration> {
        self.heartbeat_interval
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(secs)
    }
}

/// The old `WebSocketManagerConfig` (spec §2.5). Unlike the old manager, every field has
/// an effect (defect §7.2): see each field.
#[deprecated(
    note = "use ws_core::DriverConfig (processing, queue capacity) and ReconnectionPolicy"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct WebSocketManagerConfig {
    /// Overrides `WebSocketConfig::max_reconnect_attempts` when changed from 10.
    pub max_reconnect_attempts: u32,
    /// Overrides `WebSocketConfig::reconnect_delay` when changed from 1.0 s.
    pub reconnect_delay: f64,
    /// Seconds without inbound data before the socket counts as dead, when changed from
    /// 30.0 (otherwise `ping_interval + ping_timeout`).
    pub message_timeout: f64,
    /// Whether processing times are reported by `get_performance_metrics` (counters are
    /// always kept).
    pub enable_performance_tracking: bool,
    /// Capacity of the processing queue (queued mode).
    pub max_pending_messages: usize,
    /// `true`: messages go through the bounded processing queue to a processing task (the
    /// old queue + processing loop); `false`: they are handled on the reader task.
    pub batch_processing_enabled: bool,
    /// Must be at least 1; the processing task takes messages one at a time (the old
    /// processing loop never batched either), so larger values change nothing.
    pub batch_size: usize,
}

impl Default for WebSocketManagerConfig {
    fn default() -> Self {
        Self {
            max_reconnect_attempts: 10,
            reconnect_delay: 1.0,
            message_timeout: 30.0,
            enable_performance_tracking: true,
            max_pending_messages: 1000,
            batch_processing_enabled: true,
            batch_size: 100,
        }
    }
}

impl WebSocketManagerConfig {
    /// What the factory used (`batch_processing_enabled=True`, `batch_size=100`,
    /// `max_pending_messages=1000`, `enable_performance_tracking=True`).
    pub fn hft() -> Self {
        Self::default()
    }

    /// Checks the values.
    pub fn validate(&self) -> Result<(), CompatError> {
        if self.max_pending_messages == 0 || self.batch_size == 0 {
            return Err(CompatError::InvalidConfig(
                "WebSocketManagerConfig: max_pending_messages and batch_size must be positive"
                    .into(),
            ));
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.reconnect_delay) || !positive(self.message_timeout) {
            return Err(CompatError::InvalidConfig(
                "WebSocketManagerConfig: reconnect_delay and message_timeout must be positive"
                    .into(),
            ));
        }
        Ok(())
    }

    fn processing(&self) -> Processing {
        if self.batch_processing_enabled {
            Processing::Queued(QueueConfig::with_capacity(self.max_pending_messages))
        } else {
            Processing::Inline
        }
    }
}

/// The old `ExchangeEnum`.
#[deprecated(note = "use market_types::Venue")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExchangeEnum {
    /// `"MEXC_SPOT"`
    Mexc,
    /// `"GATEIO_SPOT"`
    Gateio,
    /// `"GATEIO_FUTURES"`
    GateioFutures,
}

impl ExchangeEnum {
    /// The Python value.
    pub fn value(self) -> &'static str {
        match self {
            ExchangeEnum::Mexc => "MEXC_SPOT",
            ExchangeEnum::Gateio => "GATEIO_SPOT",
            ExchangeEnum::GateioFutures => "GATEIO_FUTURES",
        }
    }

    /// The venue it names.
    pub fn venue(self) -> market_types::Venue {
        match self {
            ExchangeEnum::Mexc => market_types::Venue::MexcSpot,
            ExchangeEnum::Gateio => market_types::Venue::GateioSpot,
            ExchangeEnum::GateioFutures => market_types::Venue::GateioFutures,
        }
    }

    /// The old factory's name mapping: `"mexc"`, `"MEXC_SPOT"`, `"gateio"`, `"GATEIO_SPOT"`,
    /// `"gateio_futures"`, `"GATEIO_FUTURES"` (any case). Anything else is a `ValueError`.
    pub fn from_name(name: &str) -> Result<Self, CompatError> {
        match name.to_ascii_uppercase().replace(['-', '.'], "_").as_str() {
            "MEXC" | "MEXC_SPOT" => Ok(ExchangeEnum::Mexc),
            "GATEIO" | "GATE_IO" | "GATEIO_SPOT" | "GATE" => Ok(ExchangeEnum::Gateio),
            "GATEIO_FUTURES" | "GATE_IO_FUTURES" | "GATE_FUTURES" => {
                Ok(ExchangeEnum::GateioFutures)
            }
            _ => Err(CompatError::InvalidConfig(format!(
                "unsupported exchange: {name}"
            ))),
        }
    }
}

/// The old `ExchangeCredentials(api_key, secret_key)`. `Debug` never shows them, and both
/// are wiped from memory when dropped.
#[deprecated(note = "use exchange_mexc::Credentials / exchange_gateio::Credentials")]
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExchangeCredentials {
    /// API key.
    pub api_key: String,
    /// Secret.
    pub secret_key: String,
}

impl ExchangeCredentials {
    /// Both halves.
    pub fn new(api_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            secret_key: secret_key.into(),
        }
    }

    /// Whether both are set.
    pub fn is_set(&self) -> bool {
        !self.api_key.is_empty() && !self.secret_key.is_empty()
    }
}

impl zeroize::Zeroize for ExchangeCredentials {
    fn zeroize(&mut self) {
        self.api_key.zeroize();
        self.secret_key.zeroize();
    }
}

impl Drop for ExchangeCredentials {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(self);
    }
}

impl zeroize::ZeroizeOnDrop for ExchangeCredentials {}

impl fmt::Debug for ExchangeCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeCredentials")
            .field(
                "api_key",
                &if self.api_key.is_empty() { "" } else { "<set>" },
            )
            .field(
                "secret_key",
                &if self.secret_key.is_empty() {
                    ""
                } else {
                    "<set>"
                },
            )
            .finish()
    }
}

/// The old `ExchangeConfig` (spec §2.6).
#[deprecated(note = "use exchange_mexc::MexcConfig / the Gate.io handler config")]
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeConfig {
    /// `"MEXC"`, `"GATEIO"`, `"GATEIO_FUTURES"` (see [`ExchangeEnum::from_name`]).
    pub name: String,
    /// API key and secret (empty for public-only use).
    pub credentials: ExchangeCredentials,
    /// REST base URL (snapshots, listen keys): `https://api.mexc.com`,
    /// `https://api.gateio.ws/api/v4`.
    pub base_url: String,
    /// WebSocket URL.
    pub websocket_url: String,
    /// Network name (informational).
    pub network: Option<String>,
    /// Requests per second (informational; the venue handlers apply the venues' limits).
    pub rate_limit: Option<f64>,
    /// WebSocket settings; `None` means the defaults for `websocket_url`.
    pub websocket: Option<WebSocketConfig>,
    /// Transport settings (informational).
    pub transport: Option<String>,
    /// Disabled exchanges are refused by the factory.
    pub enabled: bool,
}

impl ExchangeConfig {
    /// A config with the old defaults for the optional fields.
    pub fn new(
        name: impl Into<String>,
        credentials: ExchangeCredentials,
        base_url: impl Into<String>,
        websocket_url: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            credentials,
            base_url: base_url.into(),
            websocket_url: websocket_url.into(),
            network: None,
            rate_limit: None,
            websocket: None,
            transport: None,
            enabled: true,
        }
    }

    /// The old `has_credentials()`.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_set()
    }

    /// The old `is_public_only()`.
    pub fn is_public_only(&self) -> bool {
        !self.has_credentials()
    }

    /// The old `is_ready_for_trading()`.
    pub fn is_ready_for_trading(&self) -> bool {
        self.enabled && self.has_credentials()
    }

    /// The WebSocket settings in force: `websocket`, or the defaults for `websocket_url`.
    pub fn websocket_config(&self) -> WebSocketConfig {
        self.websocket
            .clone()
            .unwrap_or_else(|| WebSocketConfig::new(self.websocket_url.clone()))
    }
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_defaults() {
        let c = WebSocketConfig::new("wss://x/ws");
        assert_eq!(c.connect_timeout, 10.0);
        assert_eq!(c.ping_interval, 20.0);
        assert_eq!(c.ping_timeout, 10.0);
        assert_eq!(c.close_timeout, 5.0);
        assert_eq!(c.max_reconnect_attempts, 10);
        assert_eq!(c.reconnect_delay, 1.0);
        assert_eq!(c.reconnect_backoff, 2.0);
        assert_eq!(c.max_reconnect_delay, 60.0);
        assert_eq!(c.max_message_size, 1_048_576);
        assert_eq!(c.max_queue_size, 1000);
        assert_eq!(c.heartbeat_interval, Some(30.0));
        assert!(c.enable_compression);
        assert_eq!(c.text_encoding, "utf-8");
        assert!(c.has_heartbeat());
        assert_eq!(c.with_url("ws://y").url, "ws://y");
        assert!(c.validate().is_ok());
        let m = WebSocketManagerConfig::default();
        assert_eq!(
            (
                m.max_reconnect_attempts,
                m.max_pending_messages,
                m.batch_size
            ),
            (10, 1000, 100)
        );
        assert_eq!(m, WebSocketManagerConfig::hft());
    }

    #[test]
    fn bad_values_are_value_errors() {
        let mut c = WebSocketConfig::new("http://x");
        assert!(matches!(c.validate(), Err(CompatError::InvalidConfig(_))));
        c.url = "ws://x".into();
        c.reconnect_backoff = 0.5;
        assert!(c.validate().is_err());
        c.reconnect_backoff = 2.0;
        c.text_encoding = "latin-1".into();
        assert!(c.validate().is_err());
        let m = WebSocketManagerConfig {
            max_pending_messages: 0,
            ..WebSocketManagerConfig::default()
        };
        assert!(m.validate().is_err());
    }

    #[test]
    fn every_field_maps() {
        let c = WebSocketConfig {
            max_reconnect_attempts: 3,
            reconnect_delay: 0.25,
            max_queue_size: 64,
            ..WebSocketConfig::new("ws://x")
        };
        let m = WebSocketManagerConfig {
            max_pending_messages: 7,
            ..WebSocketManagerConfig::default()
        };
        let d = c.driver_config(&m);
        assert_eq!(d.outbound_capacity, 64);
        assert_eq!(
            d.processing,
            Processing::Queued(QueueConfig::with_capacity(7))
        );
        let inline = WebSocketManagerConfig {
            batch_processing_enabled: false,
            ..m.clone()
        };
        assert_eq!(c.driver_config(&inline).processing, Processing::Inline);
        let p = c.reconnection_policy(&m, ReconnectionPolicy::default());
        assert_eq!(p.max_attempts, MaxAttempts::Limited(3));
        assert_eq!(p.initial_delay, Duration::from_millis(250));
        let m2 = WebSocketManagerConfig {
            max_reconnect_attempts: 5,
            message_timeout: 12.0,
            ..m
        };
        assert_eq!(
            c.reconnection_policy(&m2, ReconnectionPolicy::default())
                .max_attempts,
            MaxAttempts::Limited(5)
        );
        // The venues report failure and retry on; the old API stops at its limit.
        let mexc = c.reconnection_policy(&m2, exchange_mexc::RECONNECTION_POLICY);
        assert_eq!(mexc.max_attempts, MaxAttempts::Limited(5));
        assert_eq!(mexc.report_failed_after, None);
        assert_eq!(c.idle_timeout(&m2), Duration::from_secs(12));
        assert_eq!(
            c.idle_timeout(&WebSocketManagerConfig::default()),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn exchange_names_and_credentials() {
        assert_eq!(
            ExchangeEnum::from_name("mexc").ok(),
            Some(ExchangeEnum::Mexc)
        );
        assert_eq!(
            ExchangeEnum::from_name("GATEIO_FUTURES").ok(),
            Some(ExchangeEnum::GateioFutures)
        );
        assert_eq!(ExchangeEnum::Gateio.value(), "GATEIO_SPOT");
        assert!(ExchangeEnum::from_name("binance").is_err());
        let cfg = ExchangeConfig::new(
            "MEXC",
            ExchangeCredentials::new("k", "s"),
            "https://api.mexc.com",
            "wss://wbs-api.mexc.com/ws",
        );
        assert!(cfg.has_credentials() && cfg.is_ready_for_trading() && !cfg.is_public_only());
        assert!(!format!("{cfg:?}").contains("\"s\""));
        assert_eq!(cfg.websocket_config().url, "wss://wbs-api.mexc.com/ws");
    }

    #[test]
    fn credentials_are_wiped() {
        use zeroize::{Zeroize as _, ZeroizeOnDrop};
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<ExchangeCredentials>();
        let mut credentials = ExchangeCredentials::new("key", "secret");
        credentials.zeroize();
        assert!(credentials.api_key.is_empty() && credentials.secret_key.is_empty());
        assert!(!credentials.is_set());
    }
}
