//! [`ClientError`]: everything the client can refuse or fail at, each with a message that
//! says what to do.

use market_types::{Symbol, Venue};

/// Why a client could not be built, connected or asked something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The builder has no venue section.
    #[error("no venue: call .venue(Venue::...) before .symbols(..) and .connect()")]
    NoVenue,
    /// A venue section has no symbols.
    #[error("{0}: no symbols; add some with .symbols([...])")]
    NoSymbols(Venue),
    /// A venue section has no channels.
    #[error("{0}: no channels; add some with .channels([Channel::Book, ...])")]
    NoChannels(Venue),
    /// A venue, symbol, channel or depth the venue does not take.
    #[error("{0}")]
    InvalidArgument(String),
    /// Private channels without credentials, or credentials that cannot be read.
    #[error("{0}")]
    Credentials(String),
    /// The same venue twice in one client.
    #[error("{0} appears twice; put all of its symbols and channels in one section")]
    DuplicateVenue(Venue),
    /// The venue is not part of this client.
    #[error("{0} is not one of this client's venues")]
    UnknownVenue(Venue),
    /// No local book is kept for the symbol.
    #[error("{venue} keeps no book for {symbol}; subscribe to the book channel first")]
    NoBook {
        /// The venue.
        venue: Venue,
        /// The symbol.
        symbol: Symbol,
    },
    /// Something only market-data channels support.
    #[error("{0}")]
    Unsupported(String),
    /// A connection could not be started or did not open in time.
    #[error("{venue}: {message}")]
    Connect {
        /// The venue.
        venue: Venue,
        /// What went wrong and what to check.
        message: String,
    },
    /// The client is closed.
    #[error("the client is closed")]
    Closed,
}
