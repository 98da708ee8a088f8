//! Readers for the value shapes Gate uses: decimals as strings or bare JSON numbers
//! (always decoded from their text, never through `f64`), integers as numbers or strings,
//! millisecond times with a fraction, inline identifiers.

use market_types::{Asset, Decimal, DecimalError, Price, Quantity, Side, Symbol};

use crate::error::FieldError;
use crate::json::{Fault, JsonStr, Scanner};

/// A decimal from a string (`"0.0001"`) or a number (`40000.4`, `-1.25e-8`, `37000`).
#[inline]
pub(crate) fn decimal(sc: &mut Scanner<'_>, field: &'static str) -> Result<Decimal, Fault> {
    match opt_decimal(sc, field)? {
        Some(value) => Ok(value),
        None => Err(Fault::invalid(field, FieldError::Empty, sc.pos())),
    }
}

/// Like [`decimal`], but `null` and `""` are `None`.
#[inline]
pub(crate) fn opt_decimal(
    sc: &mut Scanner<'_>,
    field: &'static str,
) -> Result<Option<Decimal>, Fault> {
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
#[inline]
pub(crate) fn price(sc: &mut Scanner<'_>, field: &'static str) -> Result<Price, Fault> {
    decimal(sc, field).map(Price::new)
}

/// A quantity (string or number).
#[inline]
pub(crate) fn quantity(sc: &mut Scanner<'_>, field: &'static str) -> Result<Quantity, Fault> {
    decimal(sc, field).map(Quantity::new)
}

/// A non-negative integer from a number or a string of digits.
#[inline]
pub(crate) fn uint(sc: &mut Scanner<'_>, field: &'static str) -> Result<u64, Fault> {
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
pub(crate) fn int(sc: &mut Scanner<'_>, field: &'static str) -> Result<i64, Fault> {
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
#[inline]
pub(crate) fn millis(sc: &mut Scanner<'_>, field: &'static str) -> Result<u64, Fault> {
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
pub(crate) fn seconds_as_millis(sc: &mut Scanner<'_>, field: &'static str) -> Result<u64, Fault> {
    let at = sc.pos();
    millis(sc, field)?
        .checked_mul(1000)
        .ok_or(Fault::invalid(field, FieldError::OutOfRange, at))
}

/// A boolean.
#[inline]
pub(crate) fn boolean(sc: &mut Scanner<'_>, field: &'static str) -> Result<bool, Fault> {
    let at = sc.pos();
    match sc.value()? {
        crate::json::Value::Bool(b) => Ok(b),
        _ => Err(Fault::invalid(field, FieldError::ExpectedBool, at)),
    }
}

/// A string without escapes (enum words, ids, pairs).
#[inline]
pub(crate) fn word<'a>(sc: &mut Scanner<'a>, field: &'static str) -> Result<&'a [u8], Fault> {
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
pub(crate) fn text<'a>(sc: &mut Scanner<'a>, field: &'static str) -> Result<JsonStr<'a>, Fault> {
    let at = sc.pos();
    if sc.peek()? != b'"' {
        sc.skip_value()?;
        return Err(Fault::invalid(field, FieldError::ExpectedString, at));
    }
    sc.string()
}

/// A pair or contract name.
#[inline]
pub(crate) fn symbol(sc: &mut Scanner<'_>, field: &'static str) -> Result<Symbol, Fault> {
    let at = sc.pos();
    let raw = word(sc, field)?;
    Symbol::from_bytes(raw).map_err(|e| Fault::invalid(field, FieldError::identifier(e), at))
}

/// A currency code; empty is `None`.
pub(crate) fn opt_asset(sc: &mut Scanner<'_>, field: &'static str) -> Result<Option<Asset>, Fault> {
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
pub(crate) fn side(sc: &mut Scanner<'_>, field: &'static str) -> Result<Side, Fault> {
    let at = sc.pos();
    match word(sc, field)? {
        b"buy" => Ok(Side::Buy),
        b"sell" => Ok(Side::Sell),
        _ => Err(Fault::invalid(field, FieldError::UnknownValue, at)),
    }
}

/// Exact decimal from the text of a JSON number or a decimal string, exponent included
/// (`-1.25e-8` is `-0.0000000125`). Never goes through floating point.
pub(crate) fn decimal_from_text(text: &[u8]) -> Result<Decimal, DecimalError> {
    let Some(e) = text.iter().position(|&b| b == b'e' || b == b'E') else {
        return Decimal::parse_bytes(text);
    };
    let mantissa_text = text.get(..e).unwrap_or_default();
    let exponent_text = text.get(e + 1..).unwrap_or_default();
    let base = Decimal::parse_bytes(mantissa_text)?;
    let (negative, digits) = match exponent_text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, exponent_text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(DecimalError::InvalidCharacter { position: e + 1 });
    }
    if base.is_zero() {
        return Ok(Decimal::ZERO);
    }
    // Anything past four exponent digits is out of range for a 19-digit mantissa anyway.
    let exponent = if digits.len() > 4 {
        i64::MAX / 2
    } else {
        digits
            .iter()
            .fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0'))
    };
    let scale = i64::from(base.scale()) + if negative { exponent } else { -exponent };
    if scale >= 0 {
        let scale = u8::try_from(scale).map_err(|_| DecimalError::TooManyDecimals)?;
        Decimal::from_parts(base.mantissa(), scale)
    } else {
        let shift = u32::try_from(-scale).map_err(|_| DecimalError::Overflow)?;
        let factor = 10i64.checked_pow(shift).ok_or(DecimalError::Overflow)?;
        let mantissa = base
            .mantissa()
            .checked_mul(factor)
            .ok_or(DecimalError::Overflow)?;
        Decimal::from_i64(mantissa)
    }
}

/// One-pass decimal for the common shapes (`"19137.74"`, `"-0.5"`, `58794`) with at most
/// 18 digits: no overflow checks needed, trailing fractional zeros held back so the
/// result is already normalized. `start` is at the opening quote (`quoted`) or the first
/// byte of a bare number. `None` sends the caller to the general path, which decides
/// (and reports errors); whatever this accepts, the general path accepts with the same
/// value.
#[inline]
pub(crate) fn quick_decimal(bytes: &[u8], start: usize, quoted: bool) -> Option<(Decimal, usize)> {
    scalar_decimal(bytes, start, quoted)
}

/// The digit-by-digit version of [`quick_decimal`], up to 18 digits.
#[inline]
fn scalar_decimal(bytes: &[u8], start: usize, quoted: bool) -> Option<(Decimal, usize)> {
    if quoted && bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut i = start + usize::from(quoted);
    let negative = bytes.get(i) == Some(&b'-');
    i += usize::from(negative);
    let int_start = i;
    let mut mantissa: u64 = 0;
    while let Some(&b) = bytes.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit >= 10 {
            break;
        }
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0usize;
    let mut scale = 0usize;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let mut pending = 0usize;
        while let Some(&b) = bytes.get(i) {
            let digit = b.wrapping_sub(b'0');
            if digit >= 10 {
                break;
            }
            if digit == 0 {
                pending += 1;
            } else {
                let factor = *POW10.get(pending + 1)?;
                mantissa = mantissa.wrapping_mul(factor).wrapping_add(u64::from(digit));
                scale += pending + 1;
                pending = 0;
            }
            frac_digits += 1;
            i += 1;
        }
        if !quoted && frac_digits == 0 {
            return None;
        }
    }
    let digits = int_digits + frac_digits;
    if digits == 0 || digits > 18 {
        return None;
    }
    if quoted {
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
    } else {
        let leading_zero = int_digits > 1 && bytes.get(int_start) == Some(&b'0');
        if int_digits == 0 || leading_zero || matches!(bytes.get(i), Some(b'e' | b'E' | b'.')) {
            return None;
        }
    }
    // At most 18 digits: below 10^18, so the cast cannot wrap.
    let magnitude = mantissa as i64;
    let value = Decimal::from_parts(
        if negative { -magnitude } else { magnitude },
        u8::try_from(scale).ok()?,
    )
    .ok()?;
    Some((value, i))
}

/// One-pass unsigned integer, quoted or bare, at most 19 digits. With `fraction`, a
/// `.digits` tail is accepted and dropped (millisecond times). `None` sends the caller
/// to the general path.
#[inline]
pub(crate) fn quick_uint(
    bytes: &[u8],
    start: usize,
    quoted: bool,
    fraction: bool,
) -> Option<(u64, usize)> {
    if quoted && bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut i = start + usize::from(quoted);
    let digits_start = i;
    let mut value: u64 = 0;
    while let Some(&b) = bytes.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit >= 10 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
        i += 1;
    }
    let digits = i - digits_start;
    if digits == 0 || digits > 19 {
        return None;
    }
    if fraction && bytes.get(i) == Some(&b'.') {
        let frac_start = i + 1;
        i = frac_start;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == frac_start {
            return None;
        }
    }
    if quoted {
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
    } else if (digits > 1 && bytes.get(digits_start) == Some(&b'0'))
        || matches!(bytes.get(i), Some(b'e' | b'E' | b'.'))
    {
        return None;
    }
    // 19 digits stay below 10^19 < u64::MAX: `value` cannot have wrapped.
    Some((value, i))
}

const POW10: [u64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// Digits only, at least one, fitting `u64`.
#[inline]
pub(crate) fn parse_u64(text: &[u8]) -> Result<u64, FieldError> {
    if text.is_empty() {
        return Err(FieldError::ExpectedInteger);
    }
    let mut value: u64 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return Err(FieldError::ExpectedInteger);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(FieldError::OutOfRange)?;
    }
    Ok(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn decimals_from_number_text_are_exact() {
        for (text, expect) in [
            ("40000.4", "40000.4"),
            ("-0.00025", "-0.00025"),
            ("0.0009290592", "0.0009290592"),
            ("-1.25e-8", "-0.0000000125"),
            ("1.5E3", "1500"),
            ("2e+2", "200"),
            ("0e99999", "0"),
            ("40000.36666661111", "40000.36666661111"),
            ("9.998739899488", "9.998739899488"),
        ] {
            assert_eq!(
                decimal_from_text(text.as_bytes()).unwrap(),
                d(expect),
                "{text}"
            );
        }
        assert_eq!(
            decimal_from_text(b"1e30"),
            Err(DecimalError::Overflow),
            "too large"
        );
        assert_eq!(
            decimal_from_text(b"1e-30"),
            Err(DecimalError::TooManyDecimals)
        );
        assert!(decimal_from_text(b"1e").is_err());
        assert!(decimal_from_text(b"1e99999999").is_err());
    }

    #[test]
    fn quick_paths_agree_with_the_general_ones() {
        for text in [
            "\"19137.74\"",
            "\"0.0001\"",
            "\"0\"",
            "\"-0.5\"",
            "\"16.4700000000\"",
            "\"100\"",
            "\"5.\"",
            "\".5\"",
            "\"-.5\"",
            "58794",
            "0",
            "-108",
            "5116.8",
            "0.000000000000000001",
            "\"123456789012345678\"",
            "\"1234567890123456789\"",
            "\"1e5\"",
            "1e5",
            "01",
            "1.",
            "\"\"",
            "\"-\"",
            "\"1.2.3\"",
            "\"+1\"",
            "\"0.10000000000000000000001\"",
        ] {
            let bytes = text.as_bytes();
            let quoted = bytes.first() == Some(&b'"');
            let general = {
                let mut sc = Scanner::new(bytes);
                opt_decimal(&mut sc, "x").ok().flatten()
            };
            if let Some((value, end)) = quick_decimal(bytes, 0, quoted) {
                assert_eq!(Some(value), general, "{text}");
                assert_eq!(end, bytes.len(), "{text}");
            }
            let general = {
                let mut sc = Scanner::new(bytes);
                uint(&mut sc, "x").ok()
            };
            if let Some((value, end)) = quick_uint(bytes, 0, quoted, false) {
                assert_eq!(Some(value), general, "{text}");
                assert_eq!(end, bytes.len(), "{text}");
            }
        }
        assert_eq!(
            quick_uint(b"9999999999999999999", 0, false, false).map(|v| v.0),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(
            quick_uint(b"18446744073709551615", 0, false, false),
            None,
            "general path"
        );
        assert_eq!(quick_uint(b"18446744073709551616", 0, false, false), None);
        assert_eq!(quick_uint(b"99999999999999999999", 0, false, false), None);
        assert_eq!(
            quick_uint(b"\"1606292218213.4578\"", 0, true, true).map(|v| v.0),
            Some(1606292218213)
        );
    }

    #[test]
    fn values_in_both_shapes() {
        let mut sc = Scanner::new(br#"["37000", 37000, "5116.8", "", null]"#);
        sc.begin_array().unwrap();
        let mut first = true;
        let mut got = Vec::new();
        while sc.next_item(&mut first).unwrap() {
            got.push(opt_decimal(&mut sc, "s").unwrap());
        }
        assert_eq!(
            got,
            [
                Some(d("37000")),
                Some(d("37000")),
                Some(d("5116.8")),
                None,
                None
            ]
        );
        let mut sc = Scanner::new(br#""1606292218213.4578""#);
        assert_eq!(millis(&mut sc, "t").unwrap(), 1606292218213);
        let mut sc = Scanner::new(b"1545136464123");
        assert_eq!(millis(&mut sc, "t").unwrap(), 1545136464123);
        let mut sc = Scanner::new(br#""12x""#);
        assert!(uint(&mut sc, "id").is_err());
        let mut sc = Scanner::new(b"-108");
        assert_eq!(int(&mut sc, "size").unwrap(), -108);
        assert_eq!(
            parse_u64(b"18446744073709551616"),
            Err(FieldError::OutOfRange)
        );
    }
}
