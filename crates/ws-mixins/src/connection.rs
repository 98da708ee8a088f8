//! `ConnectionMixin`: where to connect and how to recover.

use ws_session::{ConnectionContext, DisconnectCause, ReconnectDecision, ReconnectionPolicy};

/// Connection behaviour a handler may override (the plan's `ConnectionMixin`). Venue
/// crates provide their own (one venue asks for minimal headers and resets backoff on
/// 1005).
pub trait ConnectionMixin {
    /// URL, headers, heartbeat and lifetime settings.
    fn create_connection_context(&self) -> ConnectionContext;

    /// Backoff policy. Default: [`ReconnectionPolicy::default`].
    fn reconnection_policy(&self) -> ReconnectionPolicy {
        ReconnectionPolicy::default()
    }

    /// Whether a loss is retried. Default: authentication, certificate and URL errors stop;
    /// 1005, 1006, resets and timeouts are retried; `Retry-After` is honoured.
    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        cause.default_decision()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    struct Plain;
    impl ConnectionMixin for Plain {
        fn create_connection_context(&self) -> ConnectionContext {
            ConnectionContext::new("plain", "ws://127.0.0.1:1/")
        }
    }

    #[test]
    fn defaults() {
        let m = Plain;
        assert_eq!(m.reconnection_policy(), ReconnectionPolicy::default());
        assert_eq!(
            m.should_reconnect(&DisconnectCause::ConnectionLost("reset".into())),
            ReconnectDecision::Retry
        );
        assert_eq!(
            m.should_reconnect(&DisconnectCause::ClosedByPeer {
                code: None,
                reason: String::new()
            }),
            ReconnectDecision::Retry
        );
        assert_eq!(
            m.should_reconnect(&DisconnectCause::ConnectTimeout),
            ReconnectDecision::Retry
        );
        assert_eq!(
            m.should_reconnect(&DisconnectCause::IdleTimeout(Duration::from_secs(1))),
            ReconnectDecision::Retry
        );
        assert_eq!(
            m.should_reconnect(&DisconnectCause::AuthenticationFailed("bad key".into())),
            ReconnectDecision::Stop
        );
        assert_eq!(m.create_connection_context().label, "plain");
    }
}
