//! Why a call on the MEXC venue's control surface was refused.
//!
//! Module-local because the crate's [`SimError`](crate::SimError) is about the simulator
//! itself; configuration mistakes still come out as `SimError::InvalidConfig`.

use market_types::{Asset, Decimal, Quantity};

/// A refused [`MexcVenue`](crate::mexc::MexcVenue) call (order lifecycle, faults).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MexcError {
    /// The symbol is not configured.
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    /// No order has this id.
    #[error("unknown order {0}")]
    UnknownOrder(String),
    /// The order is filled or cancelled already.
    #[error("order {0} is not open")]
    OrderClosed(String),
    /// A price or quantity that is zero or negative.
    #[error("price and quantity must be positive")]
    InvalidAmount,
    /// A fill larger than what is left of the order.
    #[error("fill of {requested} exceeds the remaining {remaining}")]
    Overfill {
        /// The fill asked for.
        requested: Quantity,
        /// What the order has left.
        remaining: Quantity,
    },
    /// The account cannot cover the order.
    #[error("insufficient {asset}: {needed} needed, {free} free")]
    InsufficientBalance {
        /// The asset short.
        asset: Asset,
        /// How much the order needs.
        needed: Decimal,
        /// How much is free.
        free: Decimal,
    },
    /// An amount does not fit a decimal (too many digits or decimals).
    #[error("amount out of the decimal range")]
    Overflow,
}

impl MexcError {
    /// Whether the same call may succeed later (after the state changed), as opposed to
    /// being wrong whatever happens.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::InsufficientBalance { .. })
    }
}
