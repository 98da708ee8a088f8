//! Exact reading of the venue's JSON values.
//!
//! MEXC futures sends amounts as JSON numbers (`0.00004386`), ids as numbers or strings.
//! `serde_json` would turn numbers into `f64`; borrowing each value as a
//! [`RawValue`] keeps its exact text, which is parsed into a [`Decimal`] without floating
//! point. Java-style exponents (`4.386E-5`) are accepted.

use market_types::{Decimal, DecimalError, OrderId, TradeId};
use serde_json::value::RawValue;

use super::error::FuturesPrivateError;

/// A borrowed JSON value (any type).
pub(crate) type Raw<'a> = Option<&'a RawValue>;

/// The text of a JSON string or number (quotes removed); `None` for `null` or absence.
pub(crate) fn text(raw: Raw<'_>) -> Option<&str> {
    let text = raw?.get().trim();
    if text == "null" {
        return None;
    }
    Some(
        text.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text),
    )
}

/// A required decimal.
pub(crate) fn decimal(raw: Raw<'_>, context: &'static str) -> Result<Decimal, FuturesPrivateError> {
    match optional_decimal(raw, context)? {
        Some(value) => Ok(value),
        None => Err(FuturesPrivateError::Missing { context }),
    }
}

/// A decimal that may be absent, `null` or `""`.
pub(crate) fn optional_decimal(
    raw: Raw<'_>,
    context: &'static str,
) -> Result<Option<Decimal>, FuturesPrivateError> {
    match text(raw) {
        None | Some("") => Ok(None),
        Some(text) => parse_decimal(text)
            .map(Some)
            .map_err(|source| FuturesPrivateError::InvalidDecimal { context, source }),
    }
}

/// An unsigned integer that may be absent or `null`.
pub(crate) fn optional_integer(
    raw: Raw<'_>,
    context: &'static str,
) -> Result<Option<u64>, FuturesPrivateError> {
    match text(raw) {
        None => Ok(None),
        Some(text) => {
            text.parse::<u64>()
                .map(Some)
                .map_err(|_| FuturesPrivateError::InvalidDecimal {
                    context,
                    source: DecimalError::InvalidCharacter { position: 0 },
                })
        }
    }
}

/// A small code (state, side, type); anything that is not an integer is a code of -1.
pub(crate) fn code(raw: Raw<'_>, context: &'static str) -> Result<i64, FuturesPrivateError> {
    match text(raw) {
        None => Err(FuturesPrivateError::Missing { context }),
        Some(text) => Ok(text.parse::<i64>().unwrap_or(-1)),
    }
}

/// A venue order id, number or string.
pub(crate) fn order_id(
    raw: Raw<'_>,
    context: &'static str,
) -> Result<OrderId, FuturesPrivateError> {
    match text(raw) {
        None | Some("") => Err(FuturesPrivateError::Missing { context }),
        Some(text) => OrderId::new(text)
            .map_err(|source| FuturesPrivateError::InvalidIdentifier { context, source }),
    }
}

/// A venue trade id, number or string.
pub(crate) fn trade_id(
    raw: Raw<'_>,
    context: &'static str,
) -> Result<TradeId, FuturesPrivateError> {
    match text(raw) {
        None | Some("") => Err(FuturesPrivateError::Missing { context }),
        Some(text) => TradeId::new(text)
            .map_err(|source| FuturesPrivateError::InvalidIdentifier { context, source }),
    }
}

/// A JSON boolean; absent or `null` is `None`.
pub(crate) fn boolean(raw: Raw<'_>) -> Option<bool> {
    match text(raw)? {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A decimal from a JSON number's text, exponent included; digits past the 18th decimal
/// are dropped (rounded toward zero), as computed fees can carry more.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, DecimalError> {
    let (base, exponent) = match text.find(['e', 'E']) {
        Some(at) => {
            let exponent = text
                .get(at + 1..)
                .and_then(|e| e.strip_prefix('+').unwrap_or(e).parse::<i32>().ok())
                .ok_or(DecimalError::InvalidCharacter { position: at })?;
            (text.get(..at).unwrap_or(text), exponent)
        }
        None => (text, 0),
    };
    let base = truncate_fraction(base);
    let value = Decimal::parse(base)?;
    if exponent == 0 {
        return Ok(value);
    }
    // mantissa × 10^(exponent - scale), rescaled to at most 18 decimals.
    let scale = i32::from(value.scale()) - exponent;
    let mut mantissa = value.mantissa();
    if scale < 0 {
        let factor = pow10(scale.unsigned_abs()).ok_or(DecimalError::Overflow)?;
        mantissa = mantissa.checked_mul(factor).ok_or(DecimalError::Overflow)?;
        return Decimal::from_parts(mantissa, 0);
    }
    let max = i32::from(Decimal::MAX_SCALE);
    if scale > max {
        let drop = (scale - max).unsigned_abs();
        mantissa = match pow10(drop) {
            Some(divisor) => mantissa / divisor,
            None => 0,
        };
        return Decimal::from_parts(mantissa, Decimal::MAX_SCALE);
    }
    let scale = u8::try_from(scale).map_err(|_| DecimalError::Overflow)?;
    Decimal::from_parts(mantissa, scale)
}

/// `text` with its fraction cut to 18 digits (more would be refused, not rounded).
fn truncate_fraction(text: &str) -> &str {
    match text.find('.') {
        Some(dot) => text
            .get(..dot + 1 + usize::from(Decimal::MAX_SCALE))
            .unwrap_or(text),
        None => text,
    }
}

fn pow10(exponent: u32) -> Option<i64> {
    10i64.checked_pow(exponent)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        assert_eq!(
            parse_decimal("0.00004386").unwrap(),
            Decimal::parse("0.00004386").unwrap()
        );
        assert_eq!(
            parse_decimal("4.386E-5").unwrap(),
            Decimal::parse("0.00004386").unwrap()
        );
        assert_eq!(parse_decimal("1.5e3").unwrap(), Decimal::from(1500u32));
        assert_eq!(
            parse_decimal("-2E+2").unwrap(),
            Decimal::parse("-200").unwrap()
        );
        assert_eq!(parse_decimal("1E-20").unwrap(), Decimal::ZERO);
        assert_eq!(
            parse_decimal("0.1234567890123456789").unwrap(),
            Decimal::parse("0.123456789012345678").unwrap()
        );
        assert!(parse_decimal("1E400").is_err());
        assert!(parse_decimal("9E18").is_ok());
        assert!(parse_decimal("1e").is_err());
        assert!(parse_decimal("abc").is_err());
    }

    #[test]
    fn values_of_either_json_type() {
        assert_eq!(text(Some(&raw("\"12\""))), Some("12"));
        assert_eq!(text(Some(&raw("12"))), Some("12"));
        assert_eq!(text(Some(&raw("null"))), None);
        assert_eq!(text(None), None);
        assert_eq!(
            optional_integer(Some(&raw("\"1587442022003\"")), "ts").unwrap(),
            Some(1_587_442_022_003)
        );
        assert!(optional_integer(Some(&raw("-1")), "ts").is_err());
        assert_eq!(optional_integer(None, "ts").unwrap(), None);
        assert_eq!(code(Some(&raw("3")), "state").unwrap(), 3);
        assert_eq!(code(Some(&raw("\"x\"")), "state").unwrap(), -1);
        assert_eq!(
            order_id(Some(&raw("102067003631907840")), "id")
                .unwrap()
                .as_str(),
            "102067003631907840"
        );
        assert!(order_id(Some(&raw("\"\"")), "id").is_err());
        assert_eq!(optional_decimal(Some(&raw("\"\"")), "x").unwrap(), None);
        assert_eq!(boolean(Some(&raw("true"))), Some(true));
        assert_eq!(boolean(Some(&raw("1"))), None);
    }
}
