//! Prices and quantities: decimals that cannot be mixed up with each other.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::decimal::{Decimal, DecimalError};

/// A price in quote currency per unit of base. Any decimal, so spreads and
/// negative-priced contracts can be represented; venue rules are checked by the caller.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Price(Decimal);

/// An amount of the base asset (or contracts). A book level with quantity zero means "remove".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(Decimal);

macro_rules! decimal_newtype {
    ($name:ident) => {
        impl $name {
            /// Zero.
            pub const ZERO: $name = $name(Decimal::ZERO);

            /// Wraps a decimal.
            #[inline]
            pub const fn new(value: Decimal) -> $name {
                $name(value)
            }

            /// Parses a decimal string; see [`Decimal::parse_bytes`].
            ///
            /// # Errors
            /// The [`DecimalError`] of the underlying decimal parse.
            #[inline]
            pub const fn parse(s: &str) -> Result<$name, DecimalError> {
                $name::parse_bytes(s.as_bytes())
            }

            /// Parses ASCII decimal bytes without allocating; see [`Decimal::parse_bytes`].
            ///
            /// # Errors
            /// The [`DecimalError`] of the underlying decimal parse.
            #[inline]
            pub const fn parse_bytes(bytes: &[u8]) -> Result<$name, DecimalError> {
                match Decimal::parse_bytes(bytes) {
                    Ok(value) => Ok($name(value)),
                    Err(error) => Err(error),
                }
            }

            /// The underlying decimal.
            #[inline]
            pub const fn value(self) -> Decimal {
                self.0
            }

            /// True for zero.
            #[inline]
            pub const fn is_zero(self) -> bool {
                self.0.is_zero()
            }

            /// True for values above zero.
            #[inline]
            pub const fn is_positive(self) -> bool {
                self.0.is_positive()
            }

            /// True for values below zero.
            #[inline]
            pub const fn is_negative(self) -> bool {
                self.0.is_negative()
            }
        }

        impl From<Decimal> for $name {
            #[inline]
            fn from(value: Decimal) -> $name {
                $name(value)
            }
        }

        impl From<$name> for Decimal {
            #[inline]
            fn from(value: $name) -> Decimal {
                value.0
            }
        }

        impl FromStr for $name {
            type Err = DecimalError;

            #[inline]
            fn from_str(s: &str) -> Result<$name, DecimalError> {
                $name::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}

decimal_newtype!(Price);
decimal_newtype!(Quantity);

/// One price level: the total quantity resting at a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Level {
    /// The level's price.
    pub price: Price,
    /// Total quantity at the price; always positive inside an [`crate::OrderBook`].
    pub quantity: Quantity,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]
mod tests {
    use super::*;

    #[test]
    fn newtypes_parse_order_and_display() {
        let low = Price::parse("99.50").unwrap();
        let high = Price::parse_bytes(b"100").unwrap();
        assert!(low < high);
        assert_eq!(low.to_string(), "99.5");
        assert_eq!(format!("{low:?}"), "Price(99.5)");
        assert_eq!(low.value(), Decimal::parse("99.5").unwrap());
        assert_eq!(Price::from(Decimal::ONE), Price::new(Decimal::ONE));
        assert_eq!("1".parse::<Quantity>(), Ok(Quantity::new(Decimal::ONE)));

        let zero = Quantity::parse("0.000").unwrap();
        assert!(zero.is_zero());
        assert_eq!(zero, Quantity::ZERO);
        assert!(Quantity::parse("-1").unwrap().is_negative());
        assert_eq!(
            Quantity::parse("1e3"),
            Err(DecimalError::InvalidCharacter { position: 1 })
        );
    }
}
