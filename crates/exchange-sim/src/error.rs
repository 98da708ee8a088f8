//! The crate's one error type.

use crate::event::ConnId;

/// Everything that can go wrong when starting or driving the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("cannot bind 127.0.0.1:{port}")]
    Bind {
        /// The port that was asked for (0 means any).
        port: u16,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The self-signed test certificate could not be generated.
    #[error("cannot generate the test certificate")]
    Certificate(#[from] rcgen::Error),
    /// The TLS server configuration was refused by rustls.
    #[error("cannot build the TLS server configuration")]
    Tls(#[from] rustls::Error),
    /// A configuration value is out of range.
    #[error("invalid simulator configuration: {0}")]
    InvalidConfig(&'static str),
    /// A venue mount prefix is malformed or used twice.
    #[error("invalid mount prefix {prefix:?}: {reason}")]
    InvalidMount {
        /// The offending prefix.
        prefix: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// No open connection has this id (it may have closed already).
    #[error("no open connection {0}")]
    UnknownConnection(ConnId),
    /// The connection's fault queue is full; the fault was not queued.
    #[error("fault queue of {0} is full")]
    FaultQueueFull(ConnId),
    /// The connection is gone; a venue tried to send on it.
    #[error("{0} is closed")]
    ConnectionClosed(ConnId),
}

impl SimError {
    /// Whether the same call may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::FaultQueueFull(_) | Self::Bind { .. })
    }

    /// Whether the simulator cannot be started or used with this configuration at all.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Certificate(_)
                | Self::Tls(_)
                | Self::InvalidConfig(_)
                | Self::InvalidMount { .. }
        )
    }
}
