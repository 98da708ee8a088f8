//! The futures protocol's error: decode failures with the channel they happened in,
//! venue refusals, REST failures and book resyncs. Built from a [`json_scan::Fault`] at
//! the module boundary, so the hot decoders carry only an offset and a kind.

use json_scan::{Fault, FaultKind, FieldError, Malformation};
use market_types::{ResyncReason, Symbol};
use ws_session::RestFailure;

/// Everything that can go wrong in the futures protocol layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FuturesError {
    /// The bytes are not JSON (or are cut short).
    #[error("malformed {context} at byte {at}: {detail}")]
    Malformed {
        /// What was being read (a channel, "envelope", "depth snapshot", ...).
        context: &'static str,
        /// Byte offset.
        at: usize,
        /// What is wrong.
        detail: Malformation,
    },
    /// A required member is absent.
    #[error("{context}: missing `{field}`")]
    Missing {
        /// What was being read.
        context: &'static str,
        /// The member.
        field: &'static str,
    },
    /// A member's value is unusable.
    #[error("{context}: bad `{field}` at byte {at}: {reason}")]
    Invalid {
        /// What was being read.
        context: &'static str,
        /// The member.
        field: &'static str,
        /// Byte offset.
        at: usize,
        /// Why.
        reason: FieldError,
    },
    /// A member that must be unique appeared twice.
    #[error("{context}: duplicate `{field}`")]
    Duplicate {
        /// What was being read.
        context: &'static str,
        /// The member.
        field: &'static str,
    },
    /// A binary frame that is not gzip, is corrupt, or inflates past the bound.
    #[error("gzip frame: {0}")]
    Gzip(&'static str),
    /// `rs.error` "Contract doesn't exist!": the venue does not know the contract.
    #[error("unknown contract{}", named(symbol))]
    UnknownContract {
        /// The contract, when the request it answers is known (see
        /// [`crate::futures::VenueRefusal::for_contract`]).
        symbol: Option<Symbol>,
    },
    /// Any other `rs.error` text.
    #[error("venue refused: {message}")]
    Refused {
        /// The venue's text.
        message: String,
    },
    /// A REST call did not complete.
    #[error("{endpoint}: {failure:?}")]
    RestFailed {
        /// The endpoint.
        endpoint: &'static str,
        /// Transport failure.
        failure: RestFailure,
    },
    /// HTTP 429 (or 418): wait `retry_after` seconds when given.
    #[error("{endpoint}: rate limited (HTTP {status})")]
    RateLimited {
        /// The endpoint.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// `Retry-After`.
        retry_after: Option<std::time::Duration>,
    },
    /// A non-2xx status or `{"success":false,"code":..}` body.
    #[error("{endpoint}: HTTP {status}, code {code}: {message}")]
    Rest {
        /// The endpoint.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// The venue's code (0 when the body has none).
        code: i64,
        /// The venue's message.
        message: String,
    },
    /// A push for a contract whose book is not tracked.
    #[error("no book is kept for {symbol}")]
    UntrackedSymbol {
        /// The contract.
        symbol: Symbol,
    },
    /// A push could not be applied in sequence; the book restarts from empty.
    #[error("book of {symbol} resyncs: {reason:?}")]
    BookResync {
        /// The contract.
        symbol: Symbol,
        /// Why.
        reason: ResyncReason,
    },
}

/// ` BTC_USDT` when the contract is known, nothing otherwise.
fn named(symbol: &Option<Symbol>) -> String {
    symbol.map(|s| format!(" {s}")).unwrap_or_default()
}

impl FuturesError {
    /// The public error for a scanner fault while reading `context`.
    #[cold]
    pub(crate) fn from_fault(context: &'static str, fault: Fault) -> FuturesError {
        match fault.kind {
            FaultKind::Json(detail) => FuturesError::Malformed {
                context,
                at: fault.at,
                detail,
            },
            FaultKind::Missing(field) => FuturesError::Missing { context, field },
            FaultKind::Invalid(field, reason) => FuturesError::Invalid {
                context,
                field,
                at: fault.at,
                reason,
            },
            FaultKind::Duplicate(field) => FuturesError::Duplicate { context, field },
        }
    }
}
