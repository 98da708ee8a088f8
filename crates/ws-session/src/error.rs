//! Why a connection ended.

use std::time::Duration;

use crate::policy::ReconnectDecision;
use crate::queue::StreamKind;

/// Why a connection attempt failed or an open connection ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisconnectCause {
    /// The URL could not be used (bad scheme, host, port).
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    /// TCP connect or the WebSocket handshake took longer than the connect timeout.
    #[error("connect timed out")]
    ConnectTimeout,
    /// TCP connect failed or the peer closed during the handshake.
    #[error("connect failed: {0}")]
    ConnectFailed(String),
    /// TLS failed; certificate verification failures land here and are not retried.
    #[error("tls: {0}")]
    Tls(String),
    /// The server answered the upgrade with a non-101 status.
    #[error("handshake rejected with HTTP {status}")]
    HandshakeRejected {
        /// HTTP status.
        status: u16,
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// The peer sent a close frame. `code` is `None` when it carried no status (1005).
    #[error("closed by peer (code {code:?}): {reason}")]
    ClosedByPeer {
        /// Close code, `None` for an empty close frame.
        code: Option<u16>,
        /// Close reason text.
        reason: String,
    },
    /// The socket ended without a close frame (EOF, reset: 1006).
    #[error("connection lost: {0}")]
    ConnectionLost(String),
    /// No inbound data for longer than the idle timeout.
    #[error("no data for {0:?}")]
    IdleTimeout(Duration),
    /// The peer broke the WebSocket protocol (bad frame, invalid UTF-8 text).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A message larger than the configured maximum.
    #[error("message too large (limit {limit} bytes)")]
    MessageTooLarge {
        /// The configured maximum.
        limit: usize,
    },
    /// The venue rejected our credentials. Fatal: retrying would only get the key banned.
    #[error("authentication failed: {0}")]
    AuthenticationFailed(String),
    /// The session asked to stop for good.
    #[error("fatal: {0}")]
    Fatal(String),
    /// The session asked for a fresh connection.
    #[error("session requested reconnect: {0}")]
    SessionRequested(String),
    /// A queue that must not drop (book, private) overflowed; reconnecting resyncs.
    #[error("{} queue overflowed", .0.as_str())]
    QueueOverflow(StreamKind),
    /// The user asked for a reconnect.
    #[error("reconnect requested by user")]
    UserRequested,
    /// The writer could not send.
    #[error("send failed: {0}")]
    SendFailed(String),
}

/// Dense classification of [`DisconnectCause`] for counters ("reconnects by cause").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectKind {
    /// Connect, TLS or handshake failures.
    Connect,
    /// Close frame without status (1005).
    NoStatus,
    /// Any other close frame.
    Closed,
    /// EOF/reset (1006).
    Lost,
    /// The idle watchdog fired.
    Idle,
    /// Protocol violations and oversize messages.
    Protocol,
    /// Session-requested reconnects and overflows.
    Session,
    /// The user asked.
    User,
    /// Authentication and other fatal causes.
    Fatal,
}

impl DisconnectKind {
    /// Every kind in index order.
    pub const ALL: [DisconnectKind; 9] = [
        DisconnectKind::Connect,
        DisconnectKind::NoStatus,
        DisconnectKind::Closed,
        DisconnectKind::Lost,
        DisconnectKind::Idle,
        DisconnectKind::Protocol,
        DisconnectKind::Session,
        DisconnectKind::User,
        DisconnectKind::Fatal,
    ];

    /// Dense index.
    pub fn index(self) -> usize {
        match self {
            DisconnectKind::Connect => 0,
            DisconnectKind::NoStatus => 1,
            DisconnectKind::Closed => 2,
            DisconnectKind::Lost => 3,
            DisconnectKind::Idle => 4,
            DisconnectKind::Protocol => 5,
            DisconnectKind::Session => 6,
            DisconnectKind::User => 7,
            DisconnectKind::Fatal => 8,
        }
    }

    /// Lower-case name for metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectKind::Connect => "connect",
            DisconnectKind::NoStatus => "no_status_1005",
            DisconnectKind::Closed => "closed",
            DisconnectKind::Lost => "lost_1006",
            DisconnectKind::Idle => "idle",
            DisconnectKind::Protocol => "protocol",
            DisconnectKind::Session => "session",
            DisconnectKind::User => "user",
            DisconnectKind::Fatal => "fatal",
        }
    }
}

impl DisconnectCause {
    /// Counter bucket.
    pub fn kind(&self) -> DisconnectKind {
        match self {
            DisconnectCause::InvalidUrl(_)
            | DisconnectCause::ConnectTimeout
            | DisconnectCause::ConnectFailed(_)
            | DisconnectCause::Tls(_)
            | DisconnectCause::HandshakeRejected { .. } => DisconnectKind::Connect,
            DisconnectCause::ClosedByPeer { code, .. } if self.is_no_status() => {
                let _ = code;
                DisconnectKind::NoStatus
            }
            DisconnectCause::ClosedByPeer { .. } => DisconnectKind::Closed,
            DisconnectCause::ConnectionLost(_) | DisconnectCause::SendFailed(_) => {
                DisconnectKind::Lost
            }
            DisconnectCause::IdleTimeout(_) => DisconnectKind::Idle,
            DisconnectCause::Protocol(_) | DisconnectCause::MessageTooLarge { .. } => {
                DisconnectKind::Protocol
            }
            DisconnectCause::SessionRequested(_) | DisconnectCause::QueueOverflow(_) => {
                DisconnectKind::Session
            }
            DisconnectCause::UserRequested => DisconnectKind::User,
            DisconnectCause::AuthenticationFailed(_) | DisconnectCause::Fatal(_) => {
                DisconnectKind::Fatal
            }
        }
    }

    /// A close without status: an empty close frame, or an explicit 1005.
    pub fn is_no_status(&self) -> bool {
        matches!(
            self,
            DisconnectCause::ClosedByPeer {
                code: None | Some(1005),
                ..
            }
        )
    }

    /// Whether trying again could help.
    pub fn is_retryable(&self) -> bool {
        !self.is_fatal()
    }

    /// Authentication failures, certificate failures, bad URLs and session-fatal errors.
    pub fn is_fatal(&self) -> bool {
        match self {
            DisconnectCause::InvalidUrl(_)
            | DisconnectCause::Tls(_)
            | DisconnectCause::AuthenticationFailed(_)
            | DisconnectCause::Fatal(_) => true,
            DisconnectCause::HandshakeRejected { status, .. } => matches!(status, 401 | 403),
            _ => false,
        }
    }

    /// The classification used when a session does not override `classify_disconnect`:
    /// fatal causes stop, a `Retry-After` is honoured, everything else is retried.
    pub fn default_decision(&self) -> ReconnectDecision {
        if self.is_fatal() {
            return ReconnectDecision::Stop;
        }
        match self {
            DisconnectCause::HandshakeRejected {
                retry_after: Some(after),
                ..
            } => ReconnectDecision::RetryAfter(*after),
            _ => ReconnectDecision::Retry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let no_status = DisconnectCause::ClosedByPeer {
            code: None,
            reason: String::new(),
        };
        assert_eq!(no_status.kind(), DisconnectKind::NoStatus);
        assert!(no_status.is_retryable());
        let auth = DisconnectCause::AuthenticationFailed("code 4".into());
        assert!(auth.is_fatal());
        assert_eq!(auth.default_decision(), ReconnectDecision::Stop);
        let limited = DisconnectCause::HandshakeRejected {
            status: 429,
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(
            limited.default_decision(),
            ReconnectDecision::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            DisconnectCause::ConnectionLost("eof".into()).default_decision(),
            ReconnectDecision::Retry
        );
        assert_eq!(
            DisconnectCause::IdleTimeout(Duration::from_secs(1)).kind(),
            DisconnectKind::Idle
        );
        assert!(
            DisconnectCause::HandshakeRejected {
                status: 401,
                retry_after: None
            }
            .is_fatal()
        );
    }

    #[test]
    fn kind_indices_are_dense() {
        for (i, k) in DisconnectKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }
}
