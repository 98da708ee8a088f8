//! Numbers from raw frame bytes: one-pass SWAR readers for the common shapes, and the
//! exact text parsers that decide everything else. Never through floating point.

use market_types::swar::{self, ASCII_ZEROS, eight_digits, low_bytes, non_digits, non_zero_bytes};
use market_types::{Decimal, DecimalError};

use crate::FieldError;

/// Exact decimal from the text of a JSON number or a decimal string, exponent included
/// (`-1.25e-8` is `-0.0000000125`). Never goes through floating point.
#[inline]
pub fn decimal_from_text(text: &[u8]) -> Result<Decimal, DecimalError> {
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
pub fn quick_decimal(bytes: &[u8], start: usize, quoted: bool) -> Option<(Decimal, usize)> {
    if quoted
        && bytes.get(start) == Some(&b'"')
        && let Some((magnitude, scale, end)) = swar_decimal(bytes, start + 1)
    {
        return Some((Decimal::from_normalized_parts(magnitude, scale), end));
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
/// multiplies. Returns the mantissa, the scale (normalized, so they make a `Decimal`
/// as they are) and the position after the closing quote;
/// `None` for any other shape (signs included), for more than seven integer digits, more
/// than fifteen fractional digits or more than eighteen in all, so the wider readers
/// decide. Past the end of `bytes` the reads see zero bytes, which end no part.
#[inline(always)]
pub fn swar_decimal(bytes: &[u8], at: usize) -> Option<(i64, u8, usize)> {
    swar_decimal_until::<false>(bytes, at)
}

/// [`quick_decimal`] for a bare JSON number inside an array or object (`6859.5,`,
/// `3251]`): the short shapes through [`swar_decimal`]'s reader, ended by `,`, `]` or
/// `}` (left unconsumed), the rest through [`quick_decimal`].
#[inline(always)]
pub fn quick_bare_decimal(bytes: &[u8], start: usize) -> Option<(Decimal, usize)> {
    if let Some((magnitude, scale, end)) = swar_decimal_until::<true>(bytes, start) {
        return Some((Decimal::from_normalized_parts(magnitude, scale), end));
    }
    quick_decimal(bytes, start, false)
}

/// Whether `b` closes the number: the quote, or (bare) a separator.
#[inline(always)]
const fn closes<const BARE: bool>(b: u8) -> bool {
    if BARE {
        matches!(b, b',' | b']' | b'}')
    } else {
        b == b'"'
    }
}

/// [`swar_decimal`], for a quoted body or (`BARE`) a bare number: the end returned is
/// after the closing quote, or at the separator.
#[inline(always)]
fn swar_decimal_until<const BARE: bool>(bytes: &[u8], at: usize) -> Option<(i64, u8, usize)> {
    let text = padded_eight_bytes(bytes, at);
    let digits = text ^ ASCII_ZEROS;
    let int_len = non_digits(digits).trailing_zeros() as usize / 8;
    if int_len.wrapping_sub(1) >= 7 {
        return None;
    }
    // JSON numbers have no leading zeros (`0.5` is fine, `05` is not).
    if BARE && int_len > 1 && text as u8 == b'0' {
        return None;
    }
    let quote = usize::from(!BARE);
    match (text >> (8 * int_len)) as u8 {
        // Shifting the digits to the top leaves zero digits in front: the value stays.
        b if closes::<BARE>(b) => {
            let value = eight_digits(digits << (64 - 8 * int_len));
            return Some((value as i64, 0, at + int_len + quote));
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
    if end < 8 && end > int_len && closes::<BARE>((shifted >> (8 * end)) as u8 ^ b'0') {
        let joined = (digits & integer) | (shifted & !integer & low_bytes(end));
        return Some(normalized(joined, int_len, at + end + 1 + quote));
    }
    swar_decimal_long::<BARE>(bytes, at, int_len, digits)
}

/// [`swar_decimal`] for more than eight digits in all: the fraction from its own eight
/// bytes.
#[inline(always)]
fn swar_decimal_long<const BARE: bool>(
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
        return swar_fraction_wide::<BARE>(bytes, int_value, int_len, fraction_at, fraction_digits);
    }
    if fraction_len.wrapping_sub(1) >= 7
        || !closes::<BARE>((fraction_text >> (8 * fraction_len)) as u8)
    {
        return None;
    }
    let (fraction, kept, end) = normalized(
        fraction_digits & low_bytes(fraction_len),
        0,
        fraction_at + fraction_len + usize::from(!BARE),
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
fn swar_fraction_wide<const BARE: bool>(
    bytes: &[u8],
    int_value: u64,
    int_len: usize,
    fraction_at: usize,
    first: u64,
) -> Option<(i64, u8, usize)> {
    let second_text = padded_eight_bytes(bytes, fraction_at + 8);
    let second = second_text ^ ASCII_ZEROS;
    let len = non_digits(second).trailing_zeros() as usize / 8;
    if len >= 8 || int_len + 8 + len > 18 || !closes::<BARE>((second_text >> (8 * len)) as u8) {
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
    Some((
        mantissa as i64,
        kept as u8,
        fraction_at + 8 + len + usize::from(!BARE),
    ))
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
pub(super) fn scalar_decimal(bytes: &[u8], start: usize, quoted: bool) -> Option<(Decimal, usize)> {
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
pub fn quick_uint(
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
pub(super) fn swar_digits(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
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
pub(super) fn scalar_digits(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
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
pub(super) fn wide_decimal(bytes: &[u8], start: usize, quoted: bool) -> Option<(Decimal, usize)> {
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
    // At most 18 digits: below 10^18, so the cast cannot wrap; the fraction's trailing
    // zeros were never taken in, so the parts are normalized (scale at most fifteen).
    let magnitude = mantissa as i64;
    let value = Decimal::from_normalized_parts(
        if negative { -magnitude } else { magnitude },
        u8::try_from(scale).ok()?,
    );
    Some((value, i))
}

/// Eight bytes from `at`, the first in the lowest byte; past the end of `bytes` the
/// bytes are zero, which no reader takes for a digit, a dot or a quote.
#[inline(always)]
pub(super) fn padded_eight_bytes(bytes: &[u8], at: usize) -> u64 {
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
pub(super) fn tail_bytes(bytes: &[u8], at: usize) -> u64 {
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
pub fn parse_u64(text: &[u8]) -> Result<u64, FieldError> {
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
