//! Why a call on the MEXC futures venue's control surface was refused.

/// A refused [`MexcFuturesVenue`](crate::mexc_futures::MexcFuturesVenue) call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MexcFuturesError {
    /// The contract is not configured.
    #[error("unknown contract {0}")]
    UnknownContract(String),
    /// No order has this id.
    #[error("unknown order {0}")]
    UnknownOrder(String),
    /// The order is completed or cancelled already.
    #[error("order {0} is not open")]
    OrderClosed(String),
    /// A price or volume that is zero or negative, or a price off the tick grid.
    #[error("price and volume must be positive and on the grid")]
    InvalidAmount,
    /// A fill larger than what is left of the order.
    #[error("fill of {requested} exceeds the remaining {remaining}")]
    Overfill {
        /// Contracts asked for.
        requested: u64,
        /// Contracts left.
        remaining: u64,
    },
    /// A close order larger than the position it closes.
    #[error("close of {requested} exceeds the held {held}")]
    NoPosition {
        /// Contracts to close.
        requested: u64,
        /// Contracts held.
        held: u64,
    },
    /// The account cannot cover the order's margin.
    #[error("insufficient available balance")]
    InsufficientBalance,
    /// An amount does not fit a decimal.
    #[error("amount out of the decimal range")]
    Overflow,
}
