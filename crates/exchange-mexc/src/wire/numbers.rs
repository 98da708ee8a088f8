//! Numbers and enums inside the bodies: decimals, versions and the trade side, with the
//! error worked out off the hot path.

use market_types::{Price, Quantity, Side};

use crate::error::Error;

/// Why a price and quantity pair did not parse (the price first), off the hot path.
#[cold]
#[inline(never)]
pub(super) fn pair_error(
    price: &[u8],
    quantity: &[u8],
    price_context: &'static str,
    quantity_context: &'static str,
) -> Error {
    match parse_price(price, price_context) {
        Err(error) => error,
        Ok(_) => match parse_quantity(quantity, quantity_context) {
            Err(error) => error,
            // Both parse after all: nothing to report but the pair.
            Ok(_) => Error::InvalidNumber {
                context: quantity_context,
            },
        },
    }
}

/// `tradeType`: 1 buy, 2 sell, 0 (absent) unknown.
#[inline]
pub(crate) fn trade_side(value: i32, context: &'static str) -> Result<Option<Side>, Error> {
    match value {
        0 => Ok(None),
        1 => Ok(Some(Side::Buy)),
        2 => Ok(Some(Side::Sell)),
        other => Err(Error::UnknownEnumValue {
            context,
            value: i64::from(other),
        }),
    }
}

#[inline]
pub(crate) fn parse_price(bytes: &[u8], context: &'static str) -> Result<Price, Error> {
    Price::parse_bytes(bytes).map_err(|source| Error::InvalidDecimal { context, source })
}

#[inline]
pub(crate) fn parse_quantity(bytes: &[u8], context: &'static str) -> Result<Quantity, Error> {
    Quantity::parse_bytes(bytes).map_err(|source| Error::InvalidDecimal { context, source })
}

/// A version string: 1 to 20 ASCII digits that fit a `u64`.
#[inline]
pub(crate) fn parse_u64(bytes: &[u8], context: &'static str) -> Result<u64, Error> {
    if bytes.is_empty() || bytes.len() > 20 {
        return Err(Error::InvalidNumber { context });
    }
    let mut value: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(Error::InvalidNumber { context });
        }
        value = match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(value) => value,
            None => return Err(Error::InvalidNumber { context }),
        };
    }
    Ok(value)
}
