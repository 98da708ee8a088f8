//! Readers for the value shapes venues use: decimals as strings or bare JSON numbers
//! (always decoded from their text, never through `f64`), integers as numbers or strings,
//! millisecond times with a fraction, inline identifiers.

use market_types::{Asset, Decimal, DecimalError, Price, Quantity, Side, Symbol};

mod number;

pub use self::number::{
    decimal_from_text, parse_u64, quick_bare_decimal, quick_decimal, quick_uint, swar_decimal,
};

use crate::FieldError;
use crate::{Fault, JsonStr, Scanner};

/// A decimal from a string (`"0.0001"`) or a number (`40000.4`, `-1.25e-8`, `37000`).
#[inline(always)]
pub fn decimal(sc: &mut Scanner<'_>, field: &'static str) -> Result<Decimal, Fault> {
    match opt_decimal(sc, field)? {
        Some(value) => Ok(value),
        None => Err(Fault::invalid(field, FieldError::Empty, sc.pos())),
    }
}

/// Like [`decimal`], but `null` and `""` are `None`.
#[inline(always)]
pub fn opt_decimal(sc: &mut Scanner<'_>, field: &'static str) -> Result<Option<Decimal>, Fault> {
    let first = sc.peek()?;
    if let Some((value, end)) = quick_decimal(sc.bytes(), sc.pos(), first == b'"') {
        sc.set_pos(end);
        return Ok(Some(value));
    }
    opt_decimal_slow(sc, field, first)
}

/// Everything [`quick_decimal`] leaves: long or exotic numbers, empty strings, `null`,
/// and the errors.
#[cold]
#[inline(never)]
fn opt_decimal_slow(
    sc: &mut Scanner<'_>,
    field: &'static str,
    first: u8,
) -> Result<Option<Decimal>, Fault> {
    let at = sc.pos();
    let text = match first {
        b'"' => {
            let s = sc.string()?;
            if s.escaped {
                return Err(Fault::invalid(
                    field,
                    FieldError::Decimal(DecimalError::InvalidCharacter { position: 0 }),
                    s.at,
                ));
            }
            if s.raw.is_empty() {
                return Ok(None);
            }
            s.raw
        }
        b'-' | b'0'..=b'9' => sc.number()?,
        b'n' => {
            sc.null()?;
            return Ok(None);
        }
        _ => {
            sc.skip_value()?;
            return Err(Fault::invalid(field, FieldError::ExpectedNumber, at));
        }
    };
    decimal_from_text(text)
        .map(Some)
        .map_err(|e| Fault::invalid(field, FieldError::Decimal(e), at))
}

/// A price (string or number).
#[inline(always)]
pub fn price(sc: &mut Scanner<'_>, field: &'static str) -> Result<Price, Fault> {
    decimal(sc, field).map(Price::new)
}

/// A quantity (string or number).
#[inline(always)]
pub fn quantity(sc: &mut Scanner<'_>, field: &'static str) -> Result<Quantity, Fault> {
    decimal(sc, field).map(Quantity::new)
}

/// A non-negative integer from a number or a string of digits.
#[inline(always)]
pub fn uint(sc: &mut Scanner<'_>, field: &'static str) -> Result<u64, Fault> {
    let first = sc.peek()?;
    if let Some((value, end)) = quick_uint(sc.bytes(), sc.pos(), first == b'"', false) {
        sc.set_pos(end);
        return Ok(value);
    }
    uint_slow(sc, field, first)
}

#[cold]
#[inline(never)]
fn uint_slow(sc: &mut Scanner<'_>, field: &'static str, first: u8) -> Result<u64, Fault> {
    let at = sc.pos();
    let text = match first {
        b'"' => sc.string()?.raw,
        b'-' | b'0'..=b'9' => sc.number()?,
        _ => {
            sc.skip_value()?;
            return Err(Fault::invalid(field, FieldError::ExpectedInteger, at));
        }
    };
    parse_u64(text).map_err(|e| Fault::invalid(field, e, at))
}

/// A signed integer from a number or a string of digits.
#[inline]
pub fn int(sc: &mut Scanner<'_>, field: &'static str) -> Result<i64, Fault> {
    let at = sc.pos();
    let text = match sc.peek()? {
        b'"' => sc.string()?.raw,
        b'-' | b'0'..=b'9' => sc.number()?,
        _ => {
            sc.skip_value()?;
            return Err(Fault::invalid(field, FieldError::ExpectedInteger, at));
        }
    };
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let magnitude = parse_u64(digits).map_err(|e| Fault::invalid(field, e, at))?;
    let value =
        i64::try_from(magnitude).map_err(|_| Fault::invalid(field, FieldError::OutOfRange, at))?;
    Ok(if negative { -value } else { value })
}

/// Milliseconds from an integer, or from a string or number with a fraction
/// (`"1606292218213.4578"`), truncated to whole milliseconds.
#[inline(always)]
pub fn millis(sc: &mut Scanner<'_>, field: &'static str) -> Result<u64, Fault> {
    let first = sc.peek()?;
    if let Some((value, end)) = quick_uint(sc.bytes(), sc.pos(), first == b'"', true) {
        sc.set_pos(end);
        return Ok(value);
    }
    millis_slow(sc, field, first)
}

#[cold]
#[inline(never)]
fn millis_slow(sc: &mut Scanner<'_>, field: &'static str, first: u8) -> Result<u64, Fault> {
    let at = sc.pos();
    let text = match first {
        b'"' => sc.string()?.raw,
        b'0'..=b'9' => sc.number()?,
        _ => {
            sc.skip_value()?;
            return Err(Fault::invalid(field, FieldError::ExpectedInteger, at));
        }
    };
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (
            text.get(..dot).unwrap_or_default(),
            text.get(dot + 1..).unwrap_or_default(),
        ),
        None => (text, &b""[..]),
    };
    if !fraction.iter().all(u8::is_ascii_digit) {
        return Err(Fault::invalid(field, FieldError::ExpectedInteger, at));
    }
    parse_u64(whole).map_err(|e| Fault::invalid(field, e, at))
}

/// Seconds (integer, number or string) turned into milliseconds.
#[inline(always)]
pub fn seconds_as_millis(sc: &mut Scanner<'_>, field: &'static str) -> Result<u64, Fault> {
    let at = sc.pos();
    millis(sc, field)?
        .checked_mul(1000)
        .ok_or(Fault::invalid(field, FieldError::OutOfRange, at))
}

/// A boolean.
#[inline]
pub fn boolean(sc: &mut Scanner<'_>, field: &'static str) -> Result<bool, Fault> {
    let at = sc.pos();
    let bytes = sc.bytes();
    if bytes.get(at..at + 4) == Some(b"true") {
        sc.set_pos(at + 4);
        return Ok(true);
    }
    if bytes.get(at..at + 5) == Some(b"false") {
        sc.set_pos(at + 5);
        return Ok(false);
    }
    match sc.value()? {
        crate::Value::Bool(b) => Ok(b),
        _ => Err(Fault::invalid(field, FieldError::ExpectedBool, at)),
    }
}

/// A string without escapes (enum words, ids, pairs).
#[inline(always)]
pub fn word<'a>(sc: &mut Scanner<'a>, field: &'static str) -> Result<&'a [u8], Fault> {
    let at = sc.pos();
    if sc.peek()? != b'"' {
        sc.skip_value()?;
        return Err(Fault::invalid(field, FieldError::ExpectedString, at));
    }
    let s = sc.string()?;
    s.plain()
        .ok_or(Fault::invalid(field, FieldError::ExpectedString, s.at))
}

/// A string of any content (messages, labels).
#[inline]
pub fn text<'a>(sc: &mut Scanner<'a>, field: &'static str) -> Result<JsonStr<'a>, Fault> {
    let at = sc.pos();
    if sc.peek()? != b'"' {
        sc.skip_value()?;
        return Err(Fault::invalid(field, FieldError::ExpectedString, at));
    }
    sc.string()
}

/// A pair or contract name.
#[inline(always)]
pub fn symbol(sc: &mut Scanner<'_>, field: &'static str) -> Result<Symbol, Fault> {
    let at = sc.pos();
    let raw = word(sc, field)?;
    Symbol::from_bytes(raw).map_err(|e| Fault::invalid(field, FieldError::identifier(e), at))
}

/// A currency code; empty is `None`.
#[inline]
pub fn opt_asset(sc: &mut Scanner<'_>, field: &'static str) -> Result<Option<Asset>, Fault> {
    let at = sc.pos();
    if sc.null()? {
        return Ok(None);
    }
    let raw = word(sc, field)?;
    if raw.is_empty() {
        return Ok(None);
    }
    Asset::from_bytes(raw)
        .map(Some)
        .map_err(|e| Fault::invalid(field, FieldError::identifier(e), at))
}

/// `buy` or `sell`.
#[inline]
pub fn side(sc: &mut Scanner<'_>, field: &'static str) -> Result<Side, Fault> {
    let at = sc.pos();
    match word(sc, field)? {
        b"buy" => Ok(Side::Buy),
        b"sell" => Ok(Side::Sell),
        _ => Err(Fault::invalid(field, FieldError::UnknownValue, at)),
    }
}

#[cfg(test)]
mod tests;
