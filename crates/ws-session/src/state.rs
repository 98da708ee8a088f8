//! Connection states, as the old `WebSocketManager` reported them.

/// Where a connection is in its life. Every real transition is reported once, to the
/// state callback and to the watch handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Not started yet, or between a loss and the next attempt being scheduled.
    Disconnected,
    /// The first connection attempt is under way.
    Connecting,
    /// The socket is open and the session has been told so.
    Connected,
    /// A connection was lost; waiting for backoff or attempting again.
    Reconnecting,
    /// Reported failed: `report_failed_after` consecutive attempts failed. Not terminal:
    /// attempts go on at the capped delay, and the next connection reports `Connected`.
    Failed,
    /// Gave up: a fatal error or the attempt budget is spent. Terminal.
    Error,
    /// `close()` was called; tasks are stopping.
    Closing,
    /// Every task has stopped. Terminal.
    Closed,
}

impl ConnectionState {
    /// Upper-case name as the old API printed it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Disconnected => "DISCONNECTED",
            ConnectionState::Connecting => "CONNECTING",
            ConnectionState::Connected => "CONNECTED",
            ConnectionState::Reconnecting => "RECONNECTING",
            ConnectionState::Failed => "FAILED",
            ConnectionState::Error => "ERROR",
            ConnectionState::Closing => "CLOSING",
            ConnectionState::Closed => "CLOSED",
        }
    }

    /// Whether no further transition will happen.
    pub fn is_terminal(self) -> bool {
        matches!(self, ConnectionState::Error | ConnectionState::Closed)
    }
}

impl std::fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_terminality() {
        assert_eq!(ConnectionState::Reconnecting.to_string(), "RECONNECTING");
        assert!(ConnectionState::Closed.is_terminal());
        assert!(ConnectionState::Error.is_terminal());
        assert!(!ConnectionState::Connected.is_terminal());
        assert!(!ConnectionState::Failed.is_terminal());
    }
}
