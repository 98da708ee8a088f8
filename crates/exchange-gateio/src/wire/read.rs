//! Readers for the value shapes Gate uses: decimals as strings or bare JSON numbers
//! (always decoded from their text, never through `f64`), integers as numbers or strings,
//! millisecond times with a fraction, inline identifiers.

use market_types::swar::{self, ASCII_ZEROS, eight_digits, low_bytes, non_digits, non_zero_bytes};
use market_types::{Asset, Decimal, DecimalError, Price, Quantity, Side, Symbol};

use crate::error::FieldError;
use crate::json::{Fault, JsonStr, Scanner};

/// A decimal from a string (`"0.0001"`) or a number (`40000.4`, `-1.25e-8`, `37000`).
#[inline(always)]
pub(crate) fn decimal(sc: &mut Scanner<'_>, field: &'static str) -> Result<Decimal, Fault> {
    match opt_decimal(sc, field)? {
        Some(value) => Ok(value),
        None => Err(Fault::invalid(field, FieldError::Empty, sc.pos())),
    }
}

/// Like [`decimal`], but `null` and `""` are `None`.
#[inline(always)]
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
#[inline(always)]
pub(crate) fn price(sc: &mut Scanner<'_>, field: &'static str) -> Result<Price, Fault> {
    decimal(sc, field).map(Price::new)
}

/// A quantity (string or number).
#[inline(always)]
pub(crate) fn quantity(sc: &mut Scanner<'_>, field: &'static str) -> Result<Quantity, Fault> {
    decimal(sc, field).map(Quantity::new)
}

/// A non-negative integer from a number or a string of digits.
#[inline(always)]
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
#[inline(always)]
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
#[inline(always)]
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
        crate::json::Value::Bool(b) => Ok(b),
        _ => Err(Fault::invalid(field, FieldError::ExpectedBool, at)),
    }
}

/// A string without escapes (enum words, ids, pairs).
#[inline(always)]
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
#[inline(always)]
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
#[inline(always)]
pub(crate) fn quick_decimal(bytes: &[u8], start: usize, quoted: bool) -> Option<(Decimal, usize)> {
    if quoted
        && bytes.get(start) == Some(&b'"')
        && let Some((magnitude, scale, end)) = swar_decimal(bytes, start + 1)
    {
        return Some((Decimal::from_parts(magnitude, scale).ok()?, end));
    }
    if let Some(found) = wide_decimal(bytes, start, quoted) {
        return Some(found);
    }
    scalar_decimal(bytes, start, quoted)
}

/// The unsigned body of a quoted decimal, `digits(.digits)?"` from `at` (just after the
/// opening quote), read eight bytes at a time (SWAR): a digit mask finds where each part
/// ends, trailing fractional zeros are dropped by mask (so the result is normalized
/// without a division loop), and digits are converted eight at a time with three
/// multiplies. Returns the mantissa, the scale and the position after the closing quote;
/// `None` for any other shape (signs included), for more than seven integer digits, more
/// than fifteen fractional digits or more than eighteen in all, so the wider readers
/// decide. Past the end of `bytes` the reads see zero bytes, which end no part.
#[inline(always)]
pub(crate) fn swar_decimal(bytes: &[u8], at: usize) -> Option<(i64, u8, usize)> {
    let text = padded_eight_bytes(bytes, at);
    let digits = text ^ ASCII_ZEROS;
    let int_len = non_digits(digits).trailing_zeros() as usize / 8;
    if int_len.wrapping_sub(1) >= 7 {
        return None;
    }
    match (text >> (8 * int_len)) as u8 {
        // Shifting the digits to the top leaves zero digits in front: the value stays.
        b'"' => {
            let value = eight_digits(digits << (64 - 8 * int_len));
            return Some((value as i64, 0, at + int_len + 1));
        }
        b'.' => {}
        _ => return None,
    }
    // Up to eight digits in all: the same bytes read one further on hold the fraction
    // where the dot was, so one mask splices out the dot.
    let integer = low_bytes(int_len);
    let shifted = padded_eight_bytes(bytes, at + 1) ^ ASCII_ZEROS;
    let ends = non_digits(shifted) & !integer;
    let end = ends.trailing_zeros() as usize / 8;
    if end < 8 && end > int_len && (shifted >> (8 * end)) as u8 == b'"' ^ b'0' {
        let joined = (digits & integer) | (shifted & !integer & low_bytes(end));
        return Some(normalized(joined, int_len, at + end + 2));
    }
    swar_decimal_long(bytes, at, int_len, digits)
}

/// [`swar_decimal`] for more than eight digits in all: the fraction from its own eight
/// bytes.
#[inline(always)]
fn swar_decimal_long(
    bytes: &[u8],
    at: usize,
    int_len: usize,
    digits: u64,
) -> Option<(i64, u8, usize)> {
    let int_value = eight_digits(digits << (64 - 8 * int_len));
    let fraction_at = at + int_len + 1;
    let fraction_text = padded_eight_bytes(bytes, fraction_at);
    let fraction_digits = fraction_text ^ ASCII_ZEROS;
    let fraction_len = non_digits(fraction_digits).trailing_zeros() as usize / 8;
    if fraction_len == 8 {
        return swar_fraction_wide(bytes, int_value, int_len, fraction_at, fraction_digits);
    }
    if fraction_len.wrapping_sub(1) >= 7 || (fraction_text >> (8 * fraction_len)) as u8 != b'"' {
        return None;
    }
    let (fraction, kept, end) = normalized(
        fraction_digits & low_bytes(fraction_len),
        0,
        fraction_at + fraction_len + 1,
    );
    let factor = POW10_SHORT[usize::from(kept) & 7];
    // At most fourteen digits: no overflow, and the cast cannot wrap.
    Some((int_value as i64 * factor as i64 + fraction, kept, end))
}

/// [`swar_decimal_long`] for eight to fifteen fractional digits (`"0.0003341504"`), at
/// most eighteen digits in all: the fraction's second eight bytes read as well, trailing
/// zeros dropped by mask as in [`wide_decimal`]. `first` holds the first eight fractional
/// digits (all digits), mapped to 0..=9.
#[inline(always)]
fn swar_fraction_wide(
    bytes: &[u8],
    int_value: u64,
    int_len: usize,
    fraction_at: usize,
    first: u64,
) -> Option<(i64, u8, usize)> {
    let second_text = padded_eight_bytes(bytes, fraction_at + 8);
    let second = second_text ^ ASCII_ZEROS;
    let len = non_digits(second).trailing_zeros() as usize / 8;
    if len >= 8 || int_len + 8 + len > 18 || (second_text >> (8 * len)) as u8 != b'"' {
        return None;
    }
    let tail = last_non_zero(second & low_bytes(len));
    let (mantissa, kept) = if tail == 0 {
        let kept = last_non_zero(first);
        (scaled(int_value, first, kept), kept)
    } else {
        (scaled(scaled(int_value, first, 8), second, tail), 8 + tail)
    };
    // At most eighteen digits: below 10^18, so the cast cannot wrap.
    Some((mantissa as i64, kept as u8, fraction_at + 8 + len + 1))
}

/// [`swar::normalized`] of `digits`, with the position after the decimal: `(mantissa,
/// scale, end)`.
#[inline(always)]
fn normalized(digits: u64, int_len: usize, end: usize) -> (i64, u8, usize) {
    let (mantissa, scale) = swar::normalized(digits, int_len);
    // At most eight digits: the cast cannot wrap.
    (mantissa as i64, scale, end)
}

/// `10^n` for the scales [`swar_decimal`] produces.
const POW10_SHORT: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// The digit-by-digit version of [`quick_decimal`], up to 18 digits.
#[inline(never)]
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
#[inline(always)]
pub(crate) fn quick_uint(
    bytes: &[u8],
    start: usize,
    quoted: bool,
    fraction: bool,
) -> Option<(u64, usize)> {
    if quoted && bytes.get(start) != Some(&b'"') {
        return None;
    }
    let digits_start = start + usize::from(quoted);
    let (value, mut i) = match swar_digits(bytes, digits_start) {
        Some(found) => found,
        None => scalar_digits(bytes, digits_start)?,
    };
    let digits = i - digits_start;
    if fraction && bytes.get(i) == Some(&b'.') {
        let frac_start = i + 1;
        let ends = non_digits(padded_eight_bytes(bytes, frac_start) ^ ASCII_ZEROS);
        i = match ends {
            0 => {
                let mut i = frac_start;
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                i
            }
            _ => frac_start + ends.trailing_zeros() as usize / 8,
        };
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
    Some((value, i))
}

/// One to fifteen digits from `at`, eight bytes at a time: their value and the position
/// after the last. `None` (the scalar reader decides) when no digit is there or when
/// more follow.
#[inline(always)]
fn swar_digits(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = padded_eight_bytes(bytes, at) ^ ASCII_ZEROS;
    let ends = non_digits(first);
    if ends != 0 {
        let len = ends.trailing_zeros() as usize / 8;
        if len == 0 {
            return None;
        }
        // Shifting the digits to the top leaves zero digits in front: the value stays.
        return Some((eight_digits(first << (64 - 8 * len)), at + len));
    }
    let second = padded_eight_bytes(bytes, at + 8) ^ ASCII_ZEROS;
    let ends = non_digits(second);
    if ends == 0 {
        return None;
    }
    let len = ends.trailing_zeros() as usize / 8;
    let high = eight_digits(first);
    if len == 0 {
        return Some((high, at + 8));
    }
    // At most fifteen digits: no overflow.
    let low = eight_digits(second << (64 - 8 * len));
    Some((high * POW10_SHORT[len & 7] + low, at + 8 + len))
}

/// Digit by digit from `at`, at most 19: their value and the position after the last.
#[inline(never)]
fn scalar_digits(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut i = at;
    let mut value: u64 = 0;
    while let Some(&b) = bytes.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit >= 10 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
        i += 1;
    }
    let digits = i - at;
    if digits == 0 || digits > 19 {
        return None;
    }
    // 19 digits stay below 10^19 < u64::MAX: `value` cannot have wrapped.
    Some((value, i))
}

/// A decimal with up to fifteen digits in each part and eighteen in all (`"0.0003341504"`,
/// `"16.4700000000"`, `37000`, `-108`), the parts read eight bytes at a time; trailing
/// fractional zeros are found by mask and never multiplied in. Accepts a subset of what
/// [`scalar_decimal`] accepts, with the same value and end.
#[inline(always)]
fn wide_decimal(bytes: &[u8], start: usize, quoted: bool) -> Option<(Decimal, usize)> {
    if quoted && bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut i = start + usize::from(quoted);
    let negative = bytes.get(i) == Some(&b'-');
    i += usize::from(negative);
    let int_start = i;
    let (int_value, int_end) = swar_digits(bytes, int_start)?;
    let int_digits = int_end - int_start;
    i = int_end;
    let mut mantissa = int_value;
    let mut scale = 0usize;
    if bytes.get(i) == Some(&b'.') {
        let frac_start = i + 1;
        let first = padded_eight_bytes(bytes, frac_start) ^ ASCII_ZEROS;
        let ends = non_digits(first);
        let (frac_digits, nonzero) = if ends != 0 {
            let len = ends.trailing_zeros() as usize / 8;
            if len == 0 {
                return None;
            }
            let kept = last_non_zero(first & low_bytes(len));
            mantissa = scaled(int_value, first, kept);
            (len, kept)
        } else {
            let second = padded_eight_bytes(bytes, frac_start + 8) ^ ASCII_ZEROS;
            let ends = non_digits(second);
            if ends == 0 {
                return None;
            }
            let len = ends.trailing_zeros() as usize / 8;
            let tail = last_non_zero(second & low_bytes(len));
            if tail == 0 {
                let kept = last_non_zero(first);
                mantissa = scaled(int_value, first, kept);
                (8 + len, kept)
            } else {
                mantissa = scaled(scaled(int_value, first, 8), second, tail);
                (8 + len, 8 + tail)
            }
        };
        if int_digits + frac_digits > 18 {
            return None;
        }
        scale = nonzero;
        i = frac_start + frac_digits;
    } else if int_digits > 18 {
        return None;
    }
    if quoted {
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
    } else {
        let leading_zero = int_digits > 1 && bytes.get(int_start) == Some(&b'0');
        if leading_zero || matches!(bytes.get(i), Some(b'e' | b'E' | b'.')) {
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

/// Eight bytes from `at`, the first in the lowest byte; past the end of `bytes` the
/// bytes are zero, which no reader takes for a digit, a dot or a quote.
#[inline(always)]
fn padded_eight_bytes(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..at + 8) {
        Some(chunk) => {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        }
        None => tail_bytes(bytes, at),
    }
}

/// [`padded_eight_bytes`] near the end of the frame: the frame's last eight bytes shifted
/// down (no copy loop), or byte by byte for frames shorter than eight bytes.
#[inline]
fn tail_bytes(bytes: &[u8], at: usize) -> u64 {
    let len = bytes.len();
    if at >= len {
        return 0;
    }
    match len.checked_sub(8).and_then(|last| bytes.get(last..)) {
        Some(chunk) => {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            // `at` is within the last eight bytes (a full word from `at` did not fit), so
            // the shift is 8 to 56 bits.
            u64::from_le_bytes(word) >> (8 * (at + 8 - len))
        }
        None => short_tail_bytes(bytes, at),
    }
}

/// [`tail_bytes`] for frames shorter than eight bytes.
#[cold]
#[inline(never)]
fn short_tail_bytes(bytes: &[u8], at: usize) -> u64 {
    let rest = bytes.get(at..).unwrap_or_default();
    let mut word = [0u8; 8];
    for (slot, &b) in word.iter_mut().zip(rest) {
        *slot = b;
    }
    u64::from_le_bytes(word)
}

/// How many of the (at most eight) digits in `digits` (first in the lowest byte, zero
/// bytes past the last) run up to the last non-zero one.
#[inline(always)]
fn last_non_zero(digits: u64) -> usize {
    let set = non_zero_bytes(digits);
    if set == 0 {
        0
    } else {
        (63 - set.leading_zeros() as usize) / 8 + 1
    }
}

/// `value` followed by the first `n` (at most eight) digits of `digits`.
#[inline(always)]
fn scaled(value: u64, digits: u64, n: usize) -> u64 {
    if n == 0 {
        return value;
    }
    let top = digits << (64 - 8 * n);
    let factor = if n == 8 {
        100_000_000
    } else {
        POW10_SHORT[n & 7]
    };
    value.wrapping_mul(factor).wrapping_add(eight_digits(top))
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
    fn swar_decimals_agree_with_the_general_parser() {
        let pads: [&[u8]; 3] = [b"", b"]]}", br#"],["19137.74","0.0001"]],"a":[]}}"#];
        let ints = [
            "0",
            "00",
            "1",
            "7",
            "19137",
            "007",
            "123456789",
            "12345678901234",
        ];
        let fractions = [
            "",
            ".",
            ".0",
            ".5",
            ".74",
            ".0001",
            ".6135",
            ".4700000000",
            ".000",
            ".10",
            ".0000000001",
            ".1234567",
            ".12345678",
            ".123456789",
            ".9999",
        ];
        let mut engaged = 0;
        for sign in ["", "-", "+"] {
            for int in ints {
                for fraction in fractions {
                    let text = format!("{sign}{int}{fraction}");
                    for pad in pads {
                        let mut bytes = format!("\"{text}\"").into_bytes();
                        bytes.extend_from_slice(pad);
                        let general = Decimal::parse(&text).ok();
                        if let Some((mantissa, scale, end)) = swar_decimal(&bytes, 1) {
                            engaged += 1;
                            let value = Decimal::from_parts(mantissa, scale).unwrap();
                            assert_eq!(Some(value), general, "{text}");
                            assert_eq!(end, text.len() + 2, "{text}");
                        }
                        if let Some((value, end)) = quick_decimal(&bytes, 0, true) {
                            assert_eq!(Some(value), general, "{text}");
                            assert_eq!(end, text.len() + 2, "{text}");
                        }
                        // Short, plain, padded: the SWAR reader must take it.
                        let plain = sign.is_empty() && fraction != ".";
                        if plain && pad.len() > 16 && int.len() < 8 && fraction.len() < 9 {
                            assert!(swar_decimal(&bytes, 1).is_some(), "{text}");
                        }
                    }
                }
            }
        }
        assert!(engaged > 80, "{engaged}");
        // Pseudo-random text over the characters that matter: whatever SWAR accepts, the
        // scalar reader accepts with the same value and end.
        let alphabet = b"0123456789.-\"e ";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            let mut bytes = vec![b'"'];
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 20) as usize;
            for i in 0..len {
                let pick = (state >> (i % 8 * 8)) as usize ^ (i * 7);
                // Mostly digits, so that long valid numbers show up.
                let b = if pick.is_multiple_of(3) {
                    alphabet[pick / 3 % alphabet.len()]
                } else {
                    b'0' + (pick % 10) as u8
                };
                bytes.push(b);
            }
            bytes.extend_from_slice(b"\"]]}}}}}}}}}}}}}}}}");
            if let Some((mantissa, scale, end)) = swar_decimal(&bytes, 1) {
                let found = (Decimal::from_parts(mantissa, scale).unwrap(), end);
                assert_eq!(
                    Some(found),
                    scalar_decimal(&bytes, 0, true),
                    "{}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
        assert_eq!(
            eight_digits(u64::from_le_bytes(*b"12345678") ^ ASCII_ZEROS),
            12_345_678
        );
    }

    /// The SWAR reader near the end of the input (reads padded with zero bytes) and with
    /// eight to fifteen fractional digits agrees with the scalar reader on every prefix.
    #[test]
    fn swar_decimals_at_the_end_and_with_long_fractions() {
        let texts = [
            "0.09",
            "0.0003341504",
            "0.00033415",
            "0.000334150",
            "0.000334150400000",
            "0.0003341504000000",
            "1234567.12345678901",
            "1234567.1234567890",
            "12.1234567890123456",
            "123.000000000000000",
            "0.0000000000",
            "7.100000000",
            "19177.79",
            "9",
            "1234567",
        ];
        let mut engaged = 0;
        for text in texts {
            let full = format!("\"{text}\"}}}}");
            for cut in 1..=full.len() {
                let bytes = &full.as_bytes()[..cut];
                if let Some((mantissa, scale, end)) = swar_decimal(bytes, 1) {
                    engaged += 1;
                    let found = (Decimal::from_parts(mantissa, scale).unwrap(), end);
                    assert_eq!(Some(found), scalar_decimal(bytes, 0, true), "{text} {cut}");
                    assert_eq!(found.0, Decimal::parse(text).unwrap(), "{text} {cut}");
                }
            }
        }
        assert!(engaged > 30, "{engaged}");
        // Taken at the very end of the input and with long fractions.
        assert!(swar_decimal(b"\"0.09\"", 1).is_some());
        assert!(swar_decimal(b"\"0.0003341504\"", 1).is_some());
        assert!(swar_decimal(b"\"1234567.12345678901\"", 1).is_some());
        // Past eighteen digits or fifteen fractional digits: left to the wider readers.
        assert!(swar_decimal(b"\"1234567.123456789012\"}", 1).is_none());
        assert!(swar_decimal(b"\"1.1234567812345678\"}", 1).is_none());
    }

    #[test]
    fn padded_reads_near_the_end() {
        let text = b"0123456789abcdefghij";
        for len in 0..=text.len() {
            let bytes = &text[..len];
            for at in 0..len + 10 {
                let mut word = [0u8; 8];
                for (i, slot) in word.iter_mut().enumerate() {
                    *slot = bytes.get(at + i).copied().unwrap_or(0);
                }
                assert_eq!(
                    padded_eight_bytes(bytes, at),
                    u64::from_le_bytes(word),
                    "{len} {at}"
                );
            }
        }
        assert_eq!(tail_bytes(b"", usize::MAX), 0);
    }

    #[test]
    fn wide_readers_agree_with_the_scalar_ones() {
        // Pseudo-random numbers, quoted and bare, padded so the eight-byte reads engage:
        // whatever the wide readers accept, the scalar ones accept with the same result.
        let alphabet = b"0123456789.-\"e ";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut engaged = [0usize; 2];
        for round in 0..400_000usize {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let quoted = round.is_multiple_of(2);
            let mut bytes = Vec::new();
            if quoted {
                bytes.push(b'"');
            }
            let len = (state % 34) as usize;
            for i in 0..len {
                let pick = (state >> (i % 8 * 8)) as usize ^ (i * 7) ^ (round >> 3);
                let b = if pick.is_multiple_of(5) {
                    alphabet[pick / 5 % alphabet.len()]
                } else if pick % 5 == 1 {
                    b'0'
                } else {
                    b'0' + (pick % 10) as u8
                };
                bytes.push(b);
            }
            if quoted {
                bytes.push(b'"');
            }
            bytes.extend_from_slice(b",\"x\":[1,2,3,4,5,6,7,8,9,0]}");
            if let Some(found) = wide_decimal(&bytes, 0, quoted) {
                engaged[0] += 1;
                assert_eq!(
                    Some(found),
                    scalar_decimal(&bytes, 0, quoted),
                    "{}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            for fraction in [false, true] {
                let digits_start = usize::from(quoted);
                if let Some(found) = swar_digits(&bytes, digits_start) {
                    engaged[1] += 1;
                    assert_eq!(Some(found), scalar_digits(&bytes, digits_start));
                }
                // The SWAR integer reader against a digit-by-digit reference.
                let reference = {
                    let mut sc = Scanner::new(&bytes);
                    let text = if quoted {
                        sc.string().ok().map(|s| s.raw)
                    } else {
                        sc.number().ok()
                    };
                    text.and_then(|t| {
                        let (whole, rest) = match t.iter().position(|&b| b == b'.') {
                            Some(dot) if fraction => (&t[..dot], &t[dot + 1..]),
                            _ => (t, &b""[..]),
                        };
                        let ok = rest.iter().all(u8::is_ascii_digit)
                            && (rest.is_empty() || whole.len() < t.len() - 1);
                        let leading = !quoted && whole.len() > 1 && whole[0] == b'0';
                        (ok && !leading && whole.len() <= 19)
                            .then(|| parse_u64(whole).ok())
                            .flatten()
                            .map(|v| (v, sc.pos()))
                    })
                };
                if let Some(found) = quick_uint(&bytes, 0, quoted, fraction) {
                    assert_eq!(
                        Some(found),
                        reference,
                        "{} {fraction}",
                        String::from_utf8_lossy(&bytes)
                    );
                }
            }
        }
        assert!(engaged[0] > 1_000 && engaged[1] > 1_000, "{engaged:?}");
        for (text, expect) in [
            ("\"0.0003341504\",", "0.0003341504"),
            ("\"16.4700000000\",", "16.47"),
            ("\"0.4705000000\",", "0.4705"),
            ("\"123456789.123456789\",", "123456789.123456789"),
            ("\"0.000000000000\",", "0"),
            ("\"-1234567.0000000010\",", "-1234567.000000001"),
            ("37000,\"a\":\"54696.7\"", "37000"),
            ("-108,\"id\":27753479", "-108"),
        ] {
            let bytes = format!("{text}{}", " ".repeat(20));
            let quoted = text.starts_with('"');
            let (value, end) = wide_decimal(bytes.as_bytes(), 0, quoted).unwrap();
            assert_eq!(value, d(expect), "{text}");
            assert_eq!(
                Some((value, end)),
                scalar_decimal(bytes.as_bytes(), 0, quoted)
            );
        }
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
