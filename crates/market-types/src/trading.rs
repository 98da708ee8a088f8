//! Sides, order types and order states, shared by market and private events.

use core::fmt;

use serde::{Deserialize, Serialize};

/// The side of an order or trade. In a book, `Buy` is the bid side and `Sell` the ask side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Buy, or the bid side of a book.
    Buy,
    /// Sell, or the ask side of a book.
    Sell,
}

impl Side {
    /// The other side.
    #[inline]
    pub const fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// Lower-case name: `"buy"` or `"sell"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The lifecycle state of an order, normalized across venues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted and resting, nothing filled.
    New,
    /// Resting with part of the quantity filled.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled with nothing filled.
    Canceled,
    /// Cancelled after a partial fill.
    PartiallyCanceled,
    /// Refused by the venue.
    Rejected,
    /// Ended by time in force or expiry.
    Expired,
}

impl OrderStatus {
    /// True once the order can no longer fill.
    pub const fn is_terminal(self) -> bool {
        !matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

/// The kind of order, normalized across venues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    /// Good-till-cancelled limit order.
    Limit,
    /// Market order.
    Market,
    /// Limit order that is refused rather than taking liquidity.
    PostOnly,
    /// Limit order whose unfilled rest is cancelled at once.
    ImmediateOrCancel,
    /// Limit order that fills completely at once or not at all.
    FillOrKill,
    /// A venue type with no normalized equivalent.
    Other,
}

/// Whether a fill added liquidity (maker) or removed it (taker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiquidityRole {
    /// The order was resting in the book.
    Maker,
    /// The order crossed the spread.
    Taker,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_opposite_and_names() {
        assert_eq!(Side::Buy.opposite(), Side::Sell);
        assert_eq!(Side::Sell.opposite(), Side::Buy);
        assert_eq!(Side::Buy.opposite().opposite(), Side::Buy);
        assert_eq!(Side::Sell.to_string(), "sell");
    }

    #[test]
    fn terminal_states() {
        assert!(!OrderStatus::New.is_terminal());
        assert!(!OrderStatus::PartiallyFilled.is_terminal());
        for status in [
            OrderStatus::Filled,
            OrderStatus::Canceled,
            OrderStatus::PartiallyCanceled,
            OrderStatus::Rejected,
            OrderStatus::Expired,
        ] {
            assert!(status.is_terminal(), "{status:?}");
        }
    }
}
