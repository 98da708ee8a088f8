//! The old exceptions as one error enum.

use ws_core::WsError;

/// What the old API raised, as values.
///
/// | Old | Here |
/// |---|---|
/// | `ExchangeRestError(503)` (not connected) | [`CompatError::ExchangeRest`] with `status` 503 |
/// | `ExchangeRestError(400)` (send or subscribe failed) | `ExchangeRest` with `status` 400 |
/// | `ExchangeRestError(500)` (initialize failed) | `ExchangeRest` with `status` 500 |
/// | `ValueError` (bad config, unknown exchange, private without credentials) | [`CompatError::InvalidConfig`] |
/// | (new) credentials over `ws://` / `http://` to a host that is not loopback | [`CompatError::PlaintextCredentials`] |
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompatError {
    /// The old `ExchangeRestError(status, message)`.
    #[error("exchange error {status}: {message}")]
    ExchangeRest {
        /// 503 not connected, 400 send/subscribe failure, 500 initialization failure.
        status: u16,
        /// What happened.
        message: String,
        /// The driver's error, when there was one.
        #[source]
        source: Option<WsError>,
    },
    /// The old `ValueError`.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A private stream's URLs would send the credentials in clear text to another
    /// machine: use `wss://` / `https://`, or a loopback address for a local simulator.
    #[error("invalid configuration: {0}")]
    PlaintextCredentials(#[from] ws_handlers::PlaintextCredentials),
    /// The implementation asked for was not compiled in (cargo feature) or has no handler
    /// for this venue yet.
    #[error("{0} is not available in this build")]
    Unavailable(String),
}

impl CompatError {
    /// The HTTP-like status of an `ExchangeRest` error (503, 400, 500); `None` otherwise.
    pub fn status(&self) -> Option<u16> {
        match self {
            CompatError::ExchangeRest { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is the old "not connected" error (`ExchangeRestError(503)`).
    pub fn is_not_connected(&self) -> bool {
        self.status() == Some(503)
    }

    /// Whether calling again later could succeed (not connected yet, a send that failed).
    pub fn is_retryable(&self) -> bool {
        matches!(self.status(), Some(503 | 400))
    }

    /// Whether the configuration must change first.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            CompatError::InvalidConfig(_)
                | CompatError::PlaintextCredentials(_)
                | CompatError::Unavailable(_)
        )
    }

    pub(crate) fn not_connected(what: &str) -> Self {
        CompatError::ExchangeRest {
            status: 503,
            message: format!("{what}: WebSocket not connected"),
            source: None,
        }
    }

    pub(crate) fn send_failed(what: &str, source: WsError) -> Self {
        if source == WsError::NotConnected {
            return CompatError::ExchangeRest {
                status: 503,
                message: format!("{what}: WebSocket not connected"),
                source: Some(source),
            };
        }
        CompatError::ExchangeRest {
            status: 400,
            message: format!("{what} failed: {source}"),
            source: Some(source),
        }
    }

    pub(crate) fn bad_request(message: String) -> Self {
        CompatError::ExchangeRest {
            status: 400,
            message,
            source: None,
        }
    }

    pub(crate) fn init_failed(message: String, source: Option<WsError>) -> Self {
        CompatError::ExchangeRest {
            status: 500,
            message: format!("WebSocket initialization failed: {message}"),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(CompatError::not_connected("subscribe").status(), Some(503));
        assert!(CompatError::not_connected("x").is_not_connected());
        let send = CompatError::send_failed("send", WsError::Closed);
        assert_eq!(send.status(), Some(400));
        assert!(send.is_retryable());
        assert_eq!(
            CompatError::send_failed("send", WsError::NotConnected).status(),
            Some(503)
        );
        assert_eq!(
            CompatError::init_failed("x".into(), None).status(),
            Some(500)
        );
        let value = CompatError::InvalidConfig("bad".into());
        assert_eq!(value.status(), None);
        assert!(value.is_fatal());
    }
}
