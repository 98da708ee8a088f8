//! The one error type of the futures private layer.

use std::time::Duration;

use market_types::{DecimalError, SymbolError};
use ws_session::RestFailure;

/// Everything that can go wrong on the MEXC futures private stream and its REST calls.
///
/// The text (`Display`) goes to logs and `on_error`: no variant carries credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FuturesPrivateError {
    /// The venue refused the `login` (`rs.error` in answer to it). Fatal: reconnecting
    /// with the same key cannot succeed.
    #[error(
        "MEXC futures login rejected: {reason} (check the API key, its secret, its \
         permissions and IP whitelist, and the clock)"
    )]
    LoginRejected {
        /// The venue's text.
        reason: String,
    },
    /// A frame or body that is not the JSON shape expected.
    #[error("malformed {context}: {source}")]
    Json {
        /// What was being read.
        context: &'static str,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A field missing from an otherwise well-formed message.
    #[error("{context} is missing")]
    Missing {
        /// The field.
        context: &'static str,
    },
    /// A number that is not an exact decimal the model can hold.
    #[error("{context} is not a decimal: {source}")]
    InvalidDecimal {
        /// The field.
        context: &'static str,
        /// Why.
        #[source]
        source: DecimalError,
    },
    /// A symbol, asset or id that does not fit the model.
    #[error("{context} is not a valid identifier: {source}")]
    InvalidIdentifier {
        /// The field.
        context: &'static str,
        /// Why.
        #[source]
        source: SymbolError,
    },
    /// A state, side or type code this layer does not know.
    #[error("{context} has the unknown code {value}")]
    UnknownCode {
        /// The field.
        context: &'static str,
        /// The code.
        value: i64,
    },
    /// More distinct contracts with positions than [`PositionLegs`] keeps.
    ///
    /// [`PositionLegs`]: super::PositionLegs
    #[error("more than {limit} contracts hold positions; position netting is full")]
    TooManyContracts {
        /// The bound.
        limit: usize,
    },
    /// No HTTP answer (connect, transport, body limit, queue full).
    #[error("{endpoint}: no answer ({failure:?})")]
    RestFailed {
        /// The endpoint.
        endpoint: &'static str,
        /// What happened.
        failure: RestFailure,
    },
    /// HTTP 429 (or 418): too many requests.
    #[error("{endpoint}: rate limited (HTTP {status})")]
    RateLimited {
        /// The endpoint.
        endpoint: &'static str,
        /// The status.
        status: u16,
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// An answer `{"success":false,"code":..,"message":..}` (any HTTP status).
    #[error("{endpoint}: venue error {code} ({message}), HTTP {status}")]
    Venue {
        /// The endpoint.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// The venue's code.
        code: i64,
        /// The venue's text.
        message: String,
    },
    /// A non-2xx answer without a venue error body.
    #[error("{endpoint}: HTTP {status}")]
    Http {
        /// The endpoint.
        endpoint: &'static str,
        /// The status.
        status: u16,
    },
}

impl FuturesPrivateError {
    /// Whether the credentials were refused: the handler must stop, not retry.
    ///
    /// Venue codes (futures docs, "Error code"): 401 unauthorized, 402 API key expired,
    /// 406 IP not whitelisted, 602 signature verification failed, 701 no read permission.
    pub fn is_fatal(&self) -> bool {
        match self {
            FuturesPrivateError::LoginRejected { .. } => true,
            FuturesPrivateError::Venue { code, .. } => FATAL_CODES.contains(code),
            FuturesPrivateError::Http { status, .. } => matches!(status, 401 | 403),
            _ => false,
        }
    }

    /// Whether asking again later may succeed (transport, throttling, server errors).
    pub fn is_retryable(&self) -> bool {
        match self {
            FuturesPrivateError::RestFailed { .. } | FuturesPrivateError::RateLimited { .. } => {
                true
            }
            FuturesPrivateError::Venue { code, status, .. } => {
                *code == TOO_FREQUENT || *code == SYSTEM_ERROR || *status >= 500
            }
            FuturesPrivateError::Http { status, .. } => *status >= 500 || *status == 408,
            _ => false,
        }
    }
}

/// Codes that mean the key cannot be used.
const FATAL_CODES: [i64; 5] = [401, 402, 406, 602, 701];
/// "Requests are too frequent."
const TOO_FREQUENT: i64 = 510;
/// "System internal error!"
const SYSTEM_ERROR: i64 = 500;
