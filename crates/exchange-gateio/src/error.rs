//! The crate's one error type, with the context needed to act on it.

use core::fmt;

use market_types::Symbol;

use crate::json::{Fault, FaultKind};
// The scanner's vocabulary, public under this path.
pub use crate::json::{FieldError, IdentifierError, Malformation};
use crate::venue::{Channel, Market, RequestEvent};

/// Everything that can go wrong while decoding Gate frames or building requests.
///
/// Decode errors carry a [`Context`]: the channel and pair when they were known, and a
/// short raw snippet of the frame around the fault. Building them never allocates,
/// except [`Error::Rejected`] and [`Error::Api`], which keep the venue's message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame is not valid JSON or is cut short.
    #[error("malformed frame at byte {offset}: {detail}{context}")]
    Malformed {
        /// What is wrong.
        detail: Malformation,
        /// Byte offset in the frame.
        offset: usize,
        /// Where it happened.
        context: Context,
    },
    /// A member the message needs is absent.
    #[error("missing field `{field}`{context}")]
    MissingField {
        /// The member's wire name.
        field: &'static str,
        /// Where it happened.
        context: Context,
    },
    /// A member is present but its value cannot be used.
    #[error("invalid field `{field}` at byte {offset}: {reason}{context}")]
    InvalidField {
        /// The member's wire name.
        field: &'static str,
        /// Why the value was refused.
        reason: FieldError,
        /// Byte offset of the value in the frame.
        offset: usize,
        /// Where it happened.
        context: Context,
    },
    /// A member that decides how the frame is read appeared twice.
    #[error("duplicate field `{field}` at byte {offset}{context}")]
    DuplicateField {
        /// The member's wire name.
        field: &'static str,
        /// Byte offset of the second occurrence.
        offset: usize,
        /// Where it happened.
        context: Context,
    },
    /// The `channel` member names a channel this crate does not know.
    #[error("unknown channel{context}")]
    UnknownChannel {
        /// The frame around the channel name.
        context: Context,
    },
    /// A known channel with an `event` it never sends (or a frame of no known shape).
    #[error("unexpected message{context}")]
    UnexpectedMessage {
        /// The frame.
        context: Context,
    },
    /// The venue refused a subscribe or unsubscribe request.
    #[error("{event} {channel} rejected{}: {code} ({message})", pair_suffix(pair))]
    Rejected {
        /// The channel of the request.
        channel: Channel,
        /// Subscribe or unsubscribe.
        event: RequestEvent,
        /// The first pair of the request's payload, when the venue echoed it.
        pair: Option<Symbol>,
        /// The request id, when the venue echoed it.
        id: Option<i64>,
        /// The venue's error code.
        code: ErrorCode,
        /// The venue's message, verbatim.
        message: String,
    },
    /// A WebSocket API request (`spot.login`, `futures.login`, ...) failed.
    #[error(
        "{} request {request_id} failed with status {status}: {label} ({message})",
        channel_name(channel)
    )]
    Api {
        /// The API channel, when known.
        channel: Option<Channel>,
        /// The `req_id` the request carried.
        request_id: String,
        /// The HTTP-like status in the response header (0 when absent).
        status: u16,
        /// The venue's error label, such as `INVALID_KEY`.
        label: String,
        /// The venue's message.
        message: String,
    },
    /// A private channel or login was requested without credentials.
    #[error("{channel} needs credentials")]
    MissingCredentials {
        /// The channel that needs them.
        channel: Channel,
    },
    /// The book depth is not offered on this market.
    #[error("{market} order_book_update has no {levels}-level stream")]
    UnsupportedDepth {
        /// The market.
        market: Market,
        /// The levels asked for.
        levels: u32,
    },
    /// A channel was used on the wrong kind of request (a private channel without auth,
    /// a payload of the wrong shape).
    #[error("invalid subscription for {channel}: {reason}")]
    InvalidSubscription {
        /// The channel.
        channel: Channel,
        /// What is wrong.
        reason: &'static str,
    },
}

impl Error {
    /// The same error without its raw snippet of the frame: for private streams, where
    /// the frame is account data and must not reach a log or an error report.
    pub fn without_snippet(mut self) -> Error {
        match &mut self {
            Error::Malformed { context, .. }
            | Error::MissingField { context, .. }
            | Error::InvalidField { context, .. }
            | Error::DuplicateField { context, .. }
            | Error::UnknownChannel { context }
            | Error::UnexpectedMessage { context } => context.snippet = Snippet::default(),
            _ => {}
        }
        self
    }

    /// True when retrying cannot help: authentication was refused (error code 4, a
    /// WebSocket API status 401/403 or an `INVALID_KEY`-style label), or a request
    /// this crate built is invalid. The reconnect policy stops on these.
    pub fn is_fatal(&self) -> bool {
        match self {
            Error::Rejected { code, .. } => code.is_fatal(),
            Error::Api { status, label, .. } => {
                !self.is_expired()
                    && (matches!(status, 401 | 403)
                        || matches!(
                            label.as_str(),
                            "INVALID_KEY"
                                | "INVALID_SIGNATURE"
                                | "FORBIDDEN"
                                | "MISSING_REQUIRED_HEADER"
                        ))
            }
            Error::MissingCredentials { .. }
            | Error::UnsupportedDepth { .. }
            | Error::InvalidSubscription { .. } => true,
            _ => false,
        }
    }

    /// True when the request's time was outside the venue's window (`REQUEST_EXPIRED`):
    /// the local clock is off, not the key.
    pub fn is_expired(&self) -> bool {
        matches!(self, Error::Api { label, .. } if label == "REQUEST_EXPIRED")
    }

    /// True when the same request may succeed later: a server-side error (code 3) or a
    /// WebSocket API rate limit or server error (status 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Rejected { code, .. } => matches!(code, ErrorCode::ServerError),
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// True for errors in the bytes of a frame (as opposed to a refusal by the venue).
    pub fn is_decode(&self) -> bool {
        matches!(
            self,
            Error::Malformed { .. }
                | Error::MissingField { .. }
                | Error::InvalidField { .. }
                | Error::DuplicateField { .. }
                | Error::UnknownChannel { .. }
                | Error::UnexpectedMessage { .. }
        )
    }

    /// The channel the error is about, when known.
    pub fn channel(&self) -> Option<Channel> {
        match self {
            Error::Malformed { context, .. }
            | Error::MissingField { context, .. }
            | Error::InvalidField { context, .. }
            | Error::DuplicateField { context, .. }
            | Error::UnknownChannel { context }
            | Error::UnexpectedMessage { context } => context.channel,
            Error::Rejected { channel, .. }
            | Error::MissingCredentials { channel }
            | Error::InvalidSubscription { channel, .. } => Some(*channel),
            Error::Api { channel, .. } => *channel,
            Error::UnsupportedDepth { .. } => None,
        }
    }

    /// Builds the public error for an internal fault in `frame`.
    pub(crate) fn from_fault(
        fault: Fault,
        frame: &[u8],
        channel: Option<Channel>,
        pair: Option<Symbol>,
    ) -> Error {
        let context = Context {
            channel,
            pair,
            snippet: Snippet::around(frame, fault.at),
        };
        match fault.kind {
            FaultKind::Json(detail) => Error::Malformed {
                detail,
                offset: fault.at,
                context,
            },
            FaultKind::Missing(field) => Error::MissingField { field, context },
            FaultKind::Invalid(field, reason) => Error::InvalidField {
                field,
                reason,
                offset: fault.at,
                context,
            },
            FaultKind::Duplicate(field) => Error::DuplicateField {
                field,
                offset: fault.at,
                context,
            },
        }
    }
}

/// Where a decode error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context {
    /// The channel, when it had been read.
    pub channel: Option<Channel>,
    /// The pair or contract, when it had been read.
    pub pair: Option<Symbol>,
    /// Raw bytes of the frame around the fault.
    pub snippet: Snippet,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(channel) = self.channel {
            write!(f, " on {channel}")?;
        }
        if let Some(pair) = self.pair {
            write!(f, " for {pair}")?;
        }
        if !self.snippet.is_empty() {
            write!(f, " near `{}`", self.snippet)?;
        }
        Ok(())
    }
}

/// Up to 32 raw bytes of a frame, stored inline so that building an error never allocates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Snippet {
    bytes: [u8; SNIPPET_LEN],
    len: u8,
    /// Bytes were cut before the window.
    cut_before: bool,
    /// Bytes were cut after the window.
    cut_after: bool,
}

impl Snippet {
    /// The window of `frame` around byte `at`: some bytes before it, more after.
    pub fn around(frame: &[u8], at: usize) -> Snippet {
        let at = at.min(frame.len());
        let start = at.saturating_sub(SNIPPET_BEFORE);
        let end = (start + SNIPPET_LEN).min(frame.len());
        let window = frame.get(start..end).unwrap_or_default();
        let mut bytes = [0u8; SNIPPET_LEN];
        for (slot, &b) in bytes.iter_mut().zip(window) {
            *slot = b;
        }
        Snippet {
            bytes,
            len: u8::try_from(window.len()).unwrap_or(u8::MAX),
            cut_before: start > 0,
            cut_after: end < frame.len(),
        }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// True when no bytes were kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for Snippet {
    fn default() -> Snippet {
        Snippet {
            bytes: [0; SNIPPET_LEN],
            len: 0,
            cut_before: false,
            cut_after: false,
        }
    }
}

impl fmt::Display for Snippet {
    /// Printable ASCII as is, everything else escaped; `…` marks cut ends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cut_before {
            f.write_str("…")?;
        }
        for &b in self.as_bytes() {
            match b {
                b' '..=b'~' => fmt::Write::write_char(f, char::from(b))?,
                b'\n' | b'\r' | b'\t' => fmt::Write::write_char(f, ' ')?,
                other => write!(f, "\\x{other:02x}")?,
            }
        }
        if self.cut_after {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Snippet({self})")
    }
}

/// Gate's error codes for subscribe/unsubscribe requests (spec §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 1: the request body is not valid.
    InvalidRequestBody,
    /// 2: an argument is invalid (unknown pair, duplicate subscription).
    InvalidArgument,
    /// 3: server side error.
    ServerError,
    /// 4: authentication failed. Fatal.
    AuthenticationFailed,
    /// Any other code, kept as sent.
    Other(i64),
}

impl ErrorCode {
    /// Maps the wire number.
    pub const fn from_code(code: i64) -> ErrorCode {
        match code {
            1 => ErrorCode::InvalidRequestBody,
            2 => ErrorCode::InvalidArgument,
            3 => ErrorCode::ServerError,
            4 => ErrorCode::AuthenticationFailed,
            other => ErrorCode::Other(other),
        }
    }

    /// The wire number.
    pub const fn code(self) -> i64 {
        match self {
            ErrorCode::InvalidRequestBody => 1,
            ErrorCode::InvalidArgument => 2,
            ErrorCode::ServerError => 3,
            ErrorCode::AuthenticationFailed => 4,
            ErrorCode::Other(code) => code,
        }
    }

    /// Authentication failures must not be retried blindly.
    pub const fn is_fatal(self) -> bool {
        matches!(self, ErrorCode::AuthenticationFailed)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ErrorCode::InvalidRequestBody => "invalid request body",
            ErrorCode::InvalidArgument => "invalid argument",
            ErrorCode::ServerError => "server error",
            ErrorCode::AuthenticationFailed => "authentication failed",
            ErrorCode::Other(_) => "error",
        };
        write!(f, "code {} {name}", self.code())
    }
}

fn pair_suffix(pair: &Option<Symbol>) -> String {
    pair.map(|p| format!(" for {p}")).unwrap_or_default()
}

fn channel_name(channel: &Option<Channel>) -> &'static str {
    channel.map_or("api", Channel::as_str)
}

const SNIPPET_LEN: usize = 32;
const SNIPPET_BEFORE: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_a_window_around_the_fault() {
        let frame =
            br#"{"channel":"spot.trades","event":"update","result":{"price":"1e5","amount":"1"}}"#;
        let at = 58;
        let snippet = Snippet::around(frame, at);
        let shown = snippet.to_string();
        assert!(shown.starts_with('…'), "{shown}");
        assert!(shown.contains("\"price\":\"1e5\""), "{shown}");
        assert!(shown.ends_with('…'), "{shown}");
        assert!(Snippet::around(b"", 10).is_empty());
        assert_eq!(Snippet::around(b"\x01ab", 0).to_string(), "\\x01ab");
    }

    #[test]
    fn classification() {
        let rejected = Error::Rejected {
            channel: Channel::SpotOrders,
            event: RequestEvent::Subscribe,
            pair: Symbol::new("BTC_USDT").ok(),
            id: Some(1),
            code: ErrorCode::from_code(4),
            message: "invalid key".into(),
        };
        assert!(rejected.is_fatal());
        assert!(!rejected.is_retryable());
        assert_eq!(
            rejected.to_string(),
            "subscribe spot.orders rejected for BTC_USDT: code 4 authentication failed (invalid key)"
        );
        let server = Error::Rejected {
            channel: Channel::SpotTrades,
            event: RequestEvent::Subscribe,
            pair: None,
            id: None,
            code: ErrorCode::from_code(3),
            message: String::new(),
        };
        assert!(!server.is_fatal());
        assert!(server.is_retryable());
        assert_eq!(ErrorCode::from_code(77), ErrorCode::Other(77));
        assert_eq!(ErrorCode::Other(77).code(), 77);
    }

    #[test]
    fn an_expired_login_is_a_clock_not_a_key() {
        let api = |status, label: &str| Error::Api {
            channel: None,
            request_id: "login-1".into(),
            status,
            label: label.into(),
            message: String::new(),
        };
        assert!(!api(401, "REQUEST_EXPIRED").is_fatal());
        assert!(!api(403, "REQUEST_EXPIRED").is_fatal());
        assert!(api(403, "REQUEST_EXPIRED").is_expired());
        assert!(api(401, "INVALID_KEY").is_fatal());
        assert!(api(400, "INVALID_SIGNATURE").is_fatal());
        assert!(!api(401, "INVALID_KEY").is_expired());
    }
}

#[cfg(test)]
mod size {
    #[test]
    fn errors_stay_small() {
        // Below clippy's `result_large_err` threshold, so callers need no allow.
        assert!(core::mem::size_of::<super::Error>() <= 128);
    }
}
