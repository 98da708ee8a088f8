//! Decimal parsing: an eight-bytes-at-a-time path for the common short shapes and a
//! digit loop for everything else.

use super::scale::{POW10_I64, POW10_U64};
use super::{Decimal, DecimalError};
use crate::swar::{self, ASCII_ZEROS, eight_digits, low_bytes, non_digits};

impl Decimal {
    /// The digit-by-digit parser: every shape, every error.
    #[inline(never)]
    pub(super) const fn parse_general(bytes: &[u8]) -> Result<Decimal, DecimalError> {
        let len = bytes.len();
        if len == 0 {
            return Err(DecimalError::Empty);
        }
        let (negative, mut i) = match bytes[0] {
            b'-' => (true, 1),
            b'+' => (false, 1),
            _ => (false, 0),
        };
        let mut digits = 0usize;
        let mut mantissa: u64 = 0;

        // Integer part: every digit counts, leading zeros leave the mantissa at zero.
        while i < len {
            let b = bytes[i];
            if b.is_ascii_digit() {
                mantissa = match mantissa.checked_mul(10) {
                    Some(m) => match m.checked_add((b - b'0') as u64) {
                        Some(m) => m,
                        None => return Err(DecimalError::Overflow),
                    },
                    None => return Err(DecimalError::Overflow),
                };
                digits += 1;
                i += 1;
            } else if b == b'.' {
                i += 1;
                break;
            } else {
                return Err(DecimalError::InvalidCharacter { position: i });
            }
        }

        // Fraction: zeros are held back until a non-zero digit follows, so the
        // result is normalized as it is built and long zero tails cost nothing.
        let mut scale: usize = 0;
        let mut pending_zeros: usize = 0;
        while i < len {
            let b = bytes[i];
            if b == b'0' {
                pending_zeros += 1;
            } else if b.is_ascii_digit() {
                let step = pending_zeros + 1;
                if scale + step > Decimal::MAX_SCALE as usize {
                    return Err(DecimalError::TooManyDecimals);
                }
                mantissa = match mantissa.checked_mul(POW10_U64[step]) {
                    Some(m) => match m.checked_add((b - b'0') as u64) {
                        Some(m) => m,
                        None => return Err(DecimalError::Overflow),
                    },
                    None => return Err(DecimalError::Overflow),
                };
                scale += step;
                pending_zeros = 0;
            } else {
                return Err(DecimalError::InvalidCharacter { position: i });
            }
            digits += 1;
            i += 1;
        }

        if digits == 0 {
            return Err(DecimalError::NoDigits);
        }
        if mantissa > i64::MAX as u64 {
            return Err(DecimalError::Overflow);
        }
        let magnitude = mantissa as i64;
        Ok(Decimal::raw(
            if negative { -magnitude } else { magnitude },
            scale as u8,
        ))
    }
}

/// `digits(.digits)?` with at least one digit and at most eight on each side of the dot
/// (at most seven in all up to eight bytes), read eight bytes at a time (SWAR): a digit
/// mask validates the text, trailing fractional zeros are dropped by mask (so the result
/// is normalized without a division loop) and digits are converted eight at a time with
/// three multiplies. `None` for any other input (signs, more digits, anything invalid),
/// which [`Decimal::parse_general`] then decides.
#[inline(always)]
pub(super) const fn parse_short(bytes: &[u8]) -> Option<Decimal> {
    let len = bytes.len();
    if len.wrapping_sub(1) >= 8 {
        return parse_short_long(bytes);
    }
    // The padding from `len` up reads as `'0' ^ 0`, which is not a digit.
    let text = load_le(bytes, len) ^ ASCII_ZEROS;
    let ends = non_digits(text);
    let int_len = (ends.trailing_zeros() / 8) as usize;
    if int_len == len {
        // Only digits (`int_len` is 1 to 8 here).
        return Some(Decimal::raw(
            eight_digits(text << (64 - 8 * int_len)) as i64,
            0,
        ));
    }
    // One dot at `int_len`, digits elsewhere, and at least one digit.
    let dot = 0x80u64 << (8 * int_len);
    if ends & low_bytes(len) != dot || (text >> (8 * int_len)) as u8 != b'.' ^ b'0' || len == 1 {
        return None;
    }
    // Splice the dot out: the digits from `int_len` on move down one byte. What lies past
    // the last digit is shifted out when the digits are moved to the top.
    let below = low_bytes(int_len);
    let joined = (text & below) | ((text >> 8) & !below);
    let top = joined << (72 - 8 * len);
    if top >> 56 != 0 {
        // The last digit is not a zero: nothing to drop.
        return Some(Decimal::raw(
            eight_digits(top) as i64,
            (len - 1 - int_len) as u8,
        ));
    }
    Some(normalized(joined & low_bytes(len - 1), int_len))
}

/// [`swar::normalized`] as a [`Decimal`].
#[inline(always)]
const fn normalized(digits: u64, int_len: usize) -> Decimal {
    let (mantissa, scale) = swar::normalized(digits, int_len);
    Decimal::raw(mantissa as i64, scale)
}

/// [`parse_short`] for nine to seventeen bytes: at most eight integer digits, the dot,
/// at most eight fraction digits, each part converted on its own.
#[inline(never)]
const fn parse_short_long(bytes: &[u8]) -> Option<Decimal> {
    let len = bytes.len();
    if len == 0 || len > 17 {
        return None;
    }
    let head = load_le(bytes, 8) ^ ASCII_ZEROS;
    // At most eight: when all eight are digits, byte 8 must be the dot.
    let int_len = (non_digits(head).trailing_zeros() / 8) as usize;
    let Some((_, fraction)) = bytes.split_at_checked(int_len) else {
        return None;
    };
    let Some((&b'.', fraction)) = fraction.split_first() else {
        return None;
    };
    let fraction_len = fraction.len();
    if fraction_len > 8 {
        return None;
    }
    let fraction = load_le(fraction, fraction_len) ^ ASCII_ZEROS;
    let valid = low_bytes(fraction_len);
    if non_digits(fraction) & valid != 0 {
        return None;
    }
    let fraction = normalized(fraction & valid, 0);
    let int_value = if int_len == 0 {
        0
    } else {
        eight_digits(head << (64 - 8 * int_len))
    };
    // At most sixteen digits: below 10^16, no overflow.
    Some(Decimal::raw(
        int_value as i64 * POW10_I64[fraction.scale.get() as usize] + fraction.mantissa,
        fraction.scale.get(),
    ))
}

/// The first `n` (at most eight) bytes of `bytes` as a little-endian word, zero above:
/// two overlapping loads instead of a byte loop.
#[inline(always)]
pub(super) const fn load_le(bytes: &[u8], n: usize) -> u64 {
    if n >= 8 {
        return match bytes.first_chunk::<8>() {
            Some(chunk) => u64::from_le_bytes(*chunk),
            None => 0,
        };
    }
    let Some((bytes, _)) = bytes.split_at_checked(n) else {
        return 0;
    };
    if n >= 4 {
        let (Some(first), Some(last)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) else {
            return 0;
        };
        // The overlapping bytes are the same in both, so OR joins them.
        return u32::from_le_bytes(*first) as u64
            | (u32::from_le_bytes(*last) as u64) << (8 * (n - 4));
    }
    if n == 0 {
        return 0;
    }
    // One to three bytes: the first, the middle and the last cover them all.
    bytes[0] as u64
        | (bytes[n / 2] as u64) << (8 * (n / 2))
        | (bytes[n - 1] as u64) << (8 * (n - 1))
}
