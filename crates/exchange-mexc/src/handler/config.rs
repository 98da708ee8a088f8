//! Settings of the MEXC handlers: the venue configuration plus what the driver context and
//! the reconnection policy may be overridden with (tests shorten the heartbeat, the idle
//! watchdog and the listen-key keep-alive).

use std::time::Duration;

use ws_session::{
    ConnectRateLimit, ConnectionContext, MaxAttempts, PingSettings, ReconnectionPolicy,
};

use crate::config::{BookSyncConfig, MexcConfig};

/// Everything a [`super::MexcPublicWebSocketHandler`] or
/// [`super::MexcPrivateWebSocketHandler`] is configured with.
#[derive(Debug, Clone)]
pub struct MexcHandlerConfig {
    /// Endpoints, credentials, `recvWindow` and book-sync settings.
    pub mexc: MexcConfig,
    /// Replaces parts of the driver context from `Endpoints::public_context` /
    /// `Endpoints::private_context`.
    pub context: ContextOverrides,
    /// Backoff between connection attempts. Default: [`RECONNECTION_POLICY`].
    pub reconnection: ReconnectionPolicy,
    /// A subscription not acknowledged within this long is requested again.
    pub ack_timeout: Duration,
    /// How often the private handler extends its listen key (`PUT userDataStream`). MEXC
    /// keys live 60 minutes; the venue recommends every 30.
    pub listen_key_keep_alive: Duration,
    /// After a failed keep-alive or reconciliation call, wait this long before trying again.
    pub rest_retry: Duration,
}

impl Default for MexcHandlerConfig {
    fn default() -> Self {
        Self {
            mexc: MexcConfig::default(),
            context: ContextOverrides::default(),
            reconnection: RECONNECTION_POLICY,
            ack_timeout: Duration::from_secs(10),
            listen_key_keep_alive: Duration::from_secs(30 * 60),
            rest_retry: Duration::from_secs(2),
        }
    }
}

impl MexcHandlerConfig {
    /// The default settings for `mexc`.
    pub fn new(mexc: MexcConfig) -> Self {
        Self {
            mexc,
            ..Self::default()
        }
    }
}

/// The short timers a `Timers::Fast` request asks for (tests against the simulator), the
/// same for both markets: quick snapshots, heartbeats, reconnects and ack timeouts.
pub(crate) fn fast_timers(
    book: &mut BookSyncConfig,
    context: &mut ContextOverrides,
    reconnection: &mut ReconnectionPolicy,
    ack_timeout: &mut Duration,
) {
    book.snapshot_after_quiet = Duration::from_millis(500);
    book.retry_initial = Duration::from_millis(100);
    book.retry_max = Duration::from_secs(1);
    context.ping = Some(PingSettings {
        app_ping_interval: Some(Duration::from_secs(1)),
        protocol_ping_interval: None,
        idle_timeout: Some(Duration::from_secs(3)),
    });
    context.tick_interval = Some(Duration::from_millis(50));
    reconnection.initial_delay = Duration::from_millis(100);
    reconnection.max_delay = Duration::from_secs(1);
    reconnection.connect_rate = ConnectRateLimit {
        max_attempts: 20,
        window: Duration::from_secs(1),
    };
    *ack_timeout = Duration::from_secs(2);
}

/// Parts of the driver context to replace; `None` keeps the venue default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContextOverrides {
    /// Application `PING` interval, protocol pings and the idle watchdog (default: `PING`
    /// every 20 s, watchdog 45 s).
    pub ping: Option<PingSettings>,
    /// Make-before-break rotation (default: 23 h 50 min, before MEXC's 24 h cut).
    pub max_lifetime: Option<Duration>,
    /// How often the session's timers run (default 250 ms).
    pub tick_interval: Option<Duration>,
}

impl ContextOverrides {
    /// Applies the overrides to a venue context.
    pub fn apply(&self, mut context: ConnectionContext) -> ConnectionContext {
        if let Some(ping) = self.ping {
            context.ping = ping;
        }
        if let Some(lifetime) = self.max_lifetime {
            context.max_lifetime = Some(lifetime);
        }
        if let Some(tick) = self.tick_interval {
            context.tick_interval = tick;
        }
        context
    }
}

/// The refactoring plan's `MexcConnectionMixin` policy: 0.5 s growing by 1.5 up to 30 s,
/// ±20 % jitter, and a 1005 close after a healthy session (which MEXC sends routinely)
/// retried at the initial delay without spending an attempt. The plan's 15 attempts are
/// where the connection reports itself failed; it keeps retrying at the capped delay (a
/// maintenance window must not need a restart) unless the user sets `max_attempts`.
pub const RECONNECTION_POLICY: ReconnectionPolicy = ReconnectionPolicy {
    backoff_factor: 1.5,
    max_attempts: MaxAttempts::Unlimited,
    report_failed_after: Some(15),
    reset_on_1005: true,
    ..ReconnectionPolicy::DEFAULT
};

/// The connect-rate limit a pool of MEXC market connections shares.
///
/// MEXC documents no per-IP connection limit for the market stream, but caps client
/// messages at 100 per second and bans repeat offenders' IPs (spec §1.6; whether per
/// connection or per IP is unconfirmed). Each new connection sends up to 30 subscription
/// requests at once, so at most three connections start per second: 90 requests.
pub const POOL_CONNECT_LIMIT: ConnectRateLimit = ConnectRateLimit {
    max_attempts: 3,
    window: Duration::from_secs(1),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_policy() {
        let config = MexcHandlerConfig::default();
        let policy = config.reconnection;
        // Reported failed at 15, never given up (a 330 s outage ended the process).
        assert_eq!(policy.max_attempts, MaxAttempts::Unlimited);
        assert_eq!(policy.report_failed_after, Some(15));
        assert_eq!(policy.initial_delay, Duration::from_millis(500));
        assert!((policy.backoff_factor - 1.5).abs() < f64::EPSILON);
        assert_eq!(policy.max_delay, Duration::from_secs(30));
        assert!(policy.reset_on_1005);
        assert!(policy.jitter > 0.0);
    }

    #[test]
    fn overrides_replace_only_what_is_set() {
        let base = crate::config::Endpoints::default().public_context();
        assert_eq!(ContextOverrides::default().apply(base.clone()), base);
        let ping = PingSettings {
            app_ping_interval: Some(Duration::from_millis(100)),
            protocol_ping_interval: None,
            idle_timeout: Some(Duration::from_millis(500)),
        };
        let changed = ContextOverrides {
            ping: Some(ping),
            max_lifetime: Some(Duration::from_secs(2)),
            tick_interval: Some(Duration::from_millis(20)),
        }
        .apply(base.clone());
        assert_eq!(changed.ping, ping);
        assert_eq!(changed.max_lifetime, Some(Duration::from_secs(2)));
        assert_eq!(changed.tick_interval, Duration::from_millis(20));
        assert_eq!(changed.url, base.url);
        assert!(changed.headers.is_empty(), "MEXC wants minimal headers");
    }
}
