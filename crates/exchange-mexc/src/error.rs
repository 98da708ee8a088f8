//! The crate's one error type.

use std::time::Duration;

use market_types::{DecimalError, ResyncReason, Symbol, SymbolError};
use ws_session::RestFailure;

/// Everything that can go wrong while speaking MEXC spot.
///
/// Decoding variants carry only `Copy` context (a field name and a byte offset), so a bad
/// binary frame costs no allocation: it is an error value and a counter, never a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended inside a key, a varint or a fixed-width value.
    #[error("protobuf input ends inside {context} at byte {offset}")]
    Truncated {
        /// What was being read.
        context: &'static str,
        /// Where it started.
        offset: usize,
    },
    /// A varint longer than 10 bytes or larger than 64 bits.
    #[error("malformed varint at byte {offset}")]
    MalformedVarint {
        /// Where the varint started.
        offset: usize,
    },
    /// A length-delimited field claims more bytes than remain.
    #[error("{context} at byte {offset} claims {len} bytes, {remaining} remain")]
    LengthOutOfBounds {
        /// The field.
        context: &'static str,
        /// Where its length prefix started.
        offset: usize,
        /// The claimed length.
        len: u64,
        /// Bytes left in the enclosing message.
        remaining: usize,
    },
    /// Wire types 3 and 4 (groups, never used by proto3) and the undefined 6 and 7.
    #[error("unsupported wire type {wire_type} for field {field} at byte {offset}")]
    UnsupportedWireType {
        /// The field number of the key.
        field: u64,
        /// The wire type of the key.
        wire_type: u8,
        /// Where the key started.
        offset: usize,
    },
    /// Field number 0 or above 2^29 - 1.
    #[error("invalid field number {field} at byte {offset}")]
    InvalidFieldNumber {
        /// The field number of the key.
        field: u64,
        /// Where the key started.
        offset: usize,
    },
    /// A known field arrived with another wire type than the schema's.
    #[error("{context} has wire type {found}, expected {expected} (byte {offset})")]
    WrongWireType {
        /// The field.
        context: &'static str,
        /// The schema's wire type.
        expected: u8,
        /// The wire type received.
        found: u8,
        /// Where the key started.
        offset: usize,
    },
    /// A string field is not UTF-8.
    #[error("{context} at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field.
        context: &'static str,
        /// Where the string's bytes start.
        offset: usize,
    },
    /// A binary frame without any of the body fields 301–315.
    #[error("binary frame carries no body (fields 301-315)")]
    MissingBody,
    /// A price, quantity or amount that is not a decimal.
    #[error("{context} is not a decimal: {source}")]
    InvalidDecimal {
        /// The field.
        context: &'static str,
        /// Why the decimal parser refused it.
        #[source]
        source: DecimalError,
    },
    /// A version or time that is missing, not a number, or out of range.
    #[error("{context} is missing or not a valid number")]
    InvalidNumber {
        /// The field.
        context: &'static str,
    },
    /// A symbol, asset or id that does not fit the inline identifier types.
    #[error("{context} is not a valid identifier: {source}")]
    InvalidIdentifier {
        /// The field.
        context: &'static str,
        /// Why it was refused.
        #[source]
        source: SymbolError,
    },
    /// An enum-like integer (trade type, order status, ...) with an undocumented value.
    #[error("{context} has unknown value {value}")]
    UnknownEnumValue {
        /// The field.
        context: &'static str,
        /// The value received.
        value: i64,
    },
    /// prost refused a cold-path message.
    #[error("{context}: {source}")]
    Protobuf {
        /// The message being decoded.
        context: &'static str,
        /// prost's error.
        #[source]
        source: prost::DecodeError,
    },
    /// A text frame or REST body that is not the expected JSON.
    #[error("{context} is not the expected JSON: {source}")]
    Json {
        /// What was being parsed.
        context: &'static str,
        /// serde_json's error.
        #[source]
        source: serde_json::Error,
    },
    /// `Not Subscribed successfully! [..]. Reason： Blocked!`: MEXC refused these channels
    /// (still with `code: 0`) and will send nothing for them.
    #[error("subscription refused for {channels:?}: {reason}")]
    SubscriptionRejected {
        /// The channels named in the reply, verbatim.
        channels: Vec<String>,
        /// The venue's reason (`Blocked!`).
        reason: String,
    },
    /// A control reply with a non-zero `code`.
    #[error("venue replied code {code}: {msg}")]
    VenueError {
        /// The reply's `code`.
        code: i64,
        /// The reply's `msg`.
        msg: String,
    },
    /// An acknowledgement whose `msg` is not exactly the channels requested.
    #[error("ack {received:?} does not echo the request {expected:?}")]
    AckMismatch {
        /// The channels requested, comma-joined.
        expected: String,
        /// The ack's `msg`.
        received: String,
    },
    /// A channel string this crate does not know.
    #[error("unknown or malformed channel {channel:?}")]
    UnknownChannel {
        /// The string.
        channel: String,
    },
    /// A subscription request without channels.
    #[error("a request needs at least one channel")]
    NoChannels,
    /// More channels than one connection may hold.
    #[error("{count} channels exceed the {max} subscriptions a connection may hold")]
    TooManyChannels {
        /// Channels in the request.
        count: usize,
        /// The venue's limit.
        max: usize,
    },
    /// MEXC symbols are upper case; a lower-case one subscribes to nothing.
    #[error("symbol {symbol} must be upper case")]
    LowercaseSymbol {
        /// The symbol.
        symbol: Symbol,
    },
    /// A REST error body `{"code":..,"msg":..}`.
    #[error("REST {endpoint} answered HTTP {status}, code {code}: {msg}")]
    Rest {
        /// The endpoint path.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// MEXC error code.
        code: i64,
        /// MEXC message.
        msg: String,
    },
    /// A non-success HTTP status without a MEXC error body.
    #[error("REST {endpoint} answered HTTP {status}")]
    Http {
        /// The endpoint path.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
    },
    /// HTTP 429 or 418.
    #[error("REST {endpoint} rate limited (HTTP {status}), retry after {retry_after:?}")]
    RateLimited {
        /// The endpoint path.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// The server's `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
    /// The REST request produced no HTTP answer.
    #[error("REST {endpoint} failed: {failure:?}")]
    RestFailed {
        /// The endpoint path.
        endpoint: &'static str,
        /// What the driver reported.
        failure: RestFailure,
    },
    /// A push for a symbol whose book is not tracked.
    #[error("no book is tracked for {symbol}")]
    UntrackedSymbol {
        /// The symbol.
        symbol: Symbol,
    },
    /// A push that names no symbol, neither in the wrapper nor in its channel.
    #[error("push names no symbol")]
    MissingSymbol,
    /// A book lost continuity and is being rebuilt from an empty book.
    #[error("book {symbol} resyncs: {reason}")]
    BookResync {
        /// The symbol.
        symbol: Symbol,
        /// Why.
        reason: ResyncReason,
    },
}

impl Error {
    /// Retrying the same thing cannot help: the credentials, key permissions or IP
    /// whitelist are wrong. The reconnect policy stops instead of looping.
    pub fn is_fatal(&self) -> bool {
        match self {
            Error::Rest { code, .. } => AUTH_ERROR_CODES.contains(code),
            _ => false,
        }
    }

    /// `timestamp` outside `recvWindow` (700003): the local clock is off, not the key.
    pub fn is_outside_recv_window(&self) -> bool {
        matches!(self, Error::Rest { code, .. } if *code == TIMESTAMP_OUTSIDE_RECV_WINDOW)
    }

    /// The same request may succeed later (rate limits, transport failures, 5xx, clock skew).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::RestFailed { .. } => true,
            Error::Http { status, .. } => *status >= 500,
            Error::Rest { status, code, .. } => {
                *code == TIMESTAMP_OUTSIDE_RECV_WINDOW || *status >= 500
            }
            _ => false,
        }
    }

    /// The frame could not be decoded; it was skipped.
    pub fn is_decode(&self) -> bool {
        matches!(
            self,
            Error::Truncated { .. }
                | Error::MalformedVarint { .. }
                | Error::LengthOutOfBounds { .. }
                | Error::UnsupportedWireType { .. }
                | Error::InvalidFieldNumber { .. }
                | Error::WrongWireType { .. }
                | Error::InvalidUtf8 { .. }
                | Error::MissingBody
                | Error::InvalidDecimal { .. }
                | Error::InvalidNumber { .. }
                | Error::InvalidIdentifier { .. }
                | Error::UnknownEnumValue { .. }
                | Error::Protobuf { .. }
                | Error::Json { .. }
        )
    }

    /// The server's `Retry-After`, for rate-limit errors that carried one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// REST codes that mean the key, signature, permissions or IP are wrong (spec §1.10):
/// API-key format invalid, signature not valid, IP not whitelisted, no permission,
/// signature verification failed, invalid access key.
const AUTH_ERROR_CODES: [i64; 6] = [700_001, 700_002, 700_006, 700_007, 602, 10_072];

/// `timestamp` outside `recvWindow`: clock skew, worth a retry with a fresh timestamp.
const TIMESTAMP_OUTSIDE_RECV_WINDOW: i64 = 700_003;

#[cfg(test)]
mod tests {
    use super::*;

    fn rest(code: i64) -> Error {
        Error::Rest {
            endpoint: "/api/v3/userDataStream",
            status: 400,
            code,
            msg: "x".into(),
        }
    }

    #[test]
    fn auth_codes_are_fatal_and_not_retryable() {
        for code in [700_002, 700_006, 10_072, 700_001, 700_007, 602] {
            assert!(rest(code).is_fatal(), "{code}");
            assert!(!rest(code).is_retryable(), "{code}");
        }
        assert!(!rest(700_003).is_fatal());
        assert!(rest(700_003).is_retryable());
        assert!(rest(700_003).is_outside_recv_window());
        assert!(!rest(700_002).is_outside_recv_window());
        assert!(!Error::MissingBody.is_fatal());
    }

    #[test]
    fn classification() {
        let limited = Error::RateLimited {
            endpoint: "/api/v3/depth",
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
        };
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(3)));
        assert!(
            Error::Http {
                endpoint: "/x",
                status: 503
            }
            .is_retryable()
        );
        assert!(
            !Error::Http {
                endpoint: "/x",
                status: 404
            }
            .is_retryable()
        );
        assert!(Error::MalformedVarint { offset: 3 }.is_decode());
        assert!(!limited.is_decode());
        assert_eq!(
            Error::Truncated {
                context: "field key",
                offset: 7
            }
            .to_string(),
            "protobuf input ends inside field key at byte 7"
        );
    }
}
