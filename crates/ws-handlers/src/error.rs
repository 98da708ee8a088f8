//! What a handler reports when a message cannot be processed.

use ws_mixins::ErrorCategory;

use crate::message_type::WebSocketMessageType;

/// A message that could not be processed. The stream continues; the error is counted,
/// logged with context and reported to the user's `on_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The bytes did not decode.
    #[error("cannot decode {message_type:?}: {detail}")]
    Decode {
        /// What it was taken for.
        message_type: WebSocketMessageType,
        /// What was wrong (venue crate's error text).
        detail: String,
    },
    /// The handler has no parser for this type.
    #[error("{0:?} messages are not handled here")]
    Unsupported(WebSocketMessageType),
    /// The venue reported an error.
    #[error("venue error: {0}")]
    Venue(String),
    /// A book update could not be applied (the book resyncs).
    #[error("book sync: {0}")]
    BookSync(String),
}

impl HandlerError {
    /// The category the user's `on_error` sees for this skipped message.
    pub fn category(&self) -> ErrorCategory {
        match self {
            HandlerError::Decode { .. } | HandlerError::Unsupported(_) => ErrorCategory::Parse,
            HandlerError::Venue(_) => ErrorCategory::Venue,
            HandlerError::BookSync(_) => ErrorCategory::BookSync,
        }
    }
}
