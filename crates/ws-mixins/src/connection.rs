//! `ConnectionMixin`: where to connect and how to recover.

use ws_session::{
    ConnectionContext, DisconnectCause, ReconnectDecision, ReconnectionPolicy, Session,
};

/// Connection behaviour under the plan's names (`ConnectionMixin`). It is the connection
/// half of [`Session`], so a handler states it once, in its `Session` implementation
/// (`connection_context`, `reconnection_policy`, `classify_disconnect`), and gets this
/// trait for free: there is no second place where a venue's reconnect rules could drift.
pub trait ConnectionMixin {
    /// URL, headers, heartbeat and lifetime settings.
    fn create_connection_context(&self) -> ConnectionContext;

    /// Backoff policy.
    fn reconnection_policy(&self) -> ReconnectionPolicy;

    /// Whether a loss is retried.
    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision;
}

impl<S: Session + ?Sized> ConnectionMixin for S {
    fn create_connection_context(&self) -> ConnectionContext {
        self.connection_context()
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        Session::reconnection_policy(self)
    }

    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        self.classify_disconnect(cause)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    use ws_session::{InboundFrame, Outbox, Timestamp};

    /// A session that states only its context: the defaults of `Session` show through.
    struct Plain;
    impl Session for Plain {
        type Command = ();
        fn connection_context(&self) -> ConnectionContext {
            ConnectionContext::new("plain", "ws://127.0.0.1:1/")
        }
        fn on_connected(&mut self, _now: Timestamp, _out: &mut Outbox) {}
        fn on_frame(&mut self, _frame: InboundFrame<'_>, _out: &mut Outbox) {}
    }

    #[test]
    fn defaults() {
        let m = Plain;
        assert_eq!(
            ConnectionMixin::reconnection_policy(&m),
            ReconnectionPolicy::default()
        );
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
