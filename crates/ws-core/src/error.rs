//! The driver's error type.

/// Errors returned by the driver's handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// The connection task has stopped (closed or failed for good).
    #[error("connection is closed")]
    Closed,
    /// There is no open socket right now; the message was not sent.
    #[error("not connected")]
    NotConnected,
    /// The command channel is full (the connection task is not keeping up).
    #[error("command queue full")]
    CommandQueueFull,
    /// `close()` did not finish within its deadline; remaining tasks were aborted.
    #[error("close timed out; tasks were aborted")]
    CloseTimedOut,
    /// The configuration cannot work.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}
