//! Exact fixed-point decimals for prices, sizes, fees and rates.

use core::cmp::Ordering;
use core::fmt;
use core::hash::Hash;
use core::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::swar::{self, ASCII_ZEROS, eight_digits, low_bytes, non_digits};

/// An exact decimal number: `mantissa × 10^-scale`.
///
/// The value is always normalized: the mantissa has no trailing zeros when
/// `scale > 0`, and zero is `0 × 10^0`. Two equal values therefore have equal
/// fields, so `Eq` and `Hash` are by value ("1.10" == "1.1").
///
/// The mantissa range is symmetric, `-i64::MAX..=i64::MAX`, so that negation
/// and `abs` can never overflow. The scale is at most [`Decimal::MAX_SCALE`].
///
/// No operation allocates or touches floating point, except [`Decimal::to_f64`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Decimal {
    mantissa: i64,
    scale: u8,
}

/// Why a decimal could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// The input was empty.
    #[error("empty decimal")]
    Empty,
    /// The input had a sign or a dot but no digit.
    #[error("decimal has no digits")]
    NoDigits,
    /// A byte that is not a digit, a leading sign or the single dot.
    #[error("invalid character in decimal at byte {position}")]
    InvalidCharacter {
        /// Byte offset of the offending character.
        position: usize,
    },
    /// The value needs more than 19 significant digits (more than `i64::MAX` in the mantissa).
    #[error("decimal overflows the 64-bit mantissa")]
    Overflow,
    /// More than 18 significant fractional digits.
    #[error("decimal has more than 18 fractional digits")]
    TooManyDecimals,
    /// A JSON number with a fraction or exponent; decimals must arrive as strings or integers.
    #[error("decimal given as a floating-point number")]
    Float,
}

impl Decimal {
    /// Largest supported scale (fractional digits).
    pub const MAX_SCALE: u8 = 18;
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };
    /// One.
    pub const ONE: Decimal = Decimal {
        mantissa: 1,
        scale: 0,
    };
    /// The largest value, `i64::MAX`.
    pub const MAX: Decimal = Decimal {
        mantissa: i64::MAX,
        scale: 0,
    };
    /// The smallest value, `-i64::MAX`.
    pub const MIN: Decimal = Decimal {
        mantissa: -i64::MAX,
        scale: 0,
    };

    /// Parses a decimal string such as `"-12.50"`; see [`Decimal::parse_bytes`].
    ///
    /// # Errors
    /// See [`Decimal::parse_bytes`].
    #[inline]
    pub const fn parse(s: &str) -> Result<Decimal, DecimalError> {
        Decimal::parse_bytes(s.as_bytes())
    }

    /// Parses ASCII decimal bytes in one pass, without allocating.
    ///
    /// Accepted: an optional `-` or `+`, digits, an optional `.` and more digits
    /// (`"5."` and `".5"` are accepted; at least one digit is required).
    /// Trailing fractional zeros are free, however many, so `"0.000000000000000000000"`
    /// is zero and `"1.10"` equals `"1.1"`.
    ///
    /// # Errors
    /// [`DecimalError::Empty`], [`DecimalError::NoDigits`],
    /// [`DecimalError::InvalidCharacter`] (spaces, exponents, a second dot, ...),
    /// [`DecimalError::Overflow`] past 19 significant digits or `i64::MAX`,
    /// [`DecimalError::TooManyDecimals`] for a non-zero digit past the 18th decimal.
    #[inline]
    pub const fn parse_bytes(bytes: &[u8]) -> Result<Decimal, DecimalError> {
        // The common shape (unsigned, at most eight digits on each side of the dot) is
        // read eight bytes at a time; anything else, errors included, takes the digit loop,
        // which accepts everything the fast path accepts with the same value.
        match parse_short(bytes) {
            Some(value) => Ok(value),
            None => Decimal::parse_general(bytes),
        }
    }

    /// The digit-by-digit parser: every shape, every error.
    #[inline(never)]
    const fn parse_general(bytes: &[u8]) -> Result<Decimal, DecimalError> {
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
        Ok(Decimal {
            mantissa: if negative { -magnitude } else { magnitude },
            scale: scale as u8,
        })
    }

    /// Builds `mantissa × 10^-scale`, normalizing trailing zeros away.
    ///
    /// # Errors
    /// [`DecimalError::TooManyDecimals`] if the normalized scale exceeds 18,
    /// [`DecimalError::Overflow`] for `i64::MIN` (outside the symmetric range).
    pub const fn from_parts(mantissa: i64, scale: u8) -> Result<Decimal, DecimalError> {
        if mantissa == i64::MIN {
            return Err(DecimalError::Overflow);
        }
        let (mantissa, scale) = strip_zeros_i64(mantissa, scale);
        if scale > Decimal::MAX_SCALE {
            return Err(DecimalError::TooManyDecimals);
        }
        Ok(Decimal { mantissa, scale })
    }

    /// Builds an integer decimal.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] for `i64::MIN`, the one `i64` outside the symmetric range.
    #[inline]
    pub const fn from_i64(value: i64) -> Result<Decimal, DecimalError> {
        if value == i64::MIN {
            return Err(DecimalError::Overflow);
        }
        Ok(Decimal {
            mantissa: value,
            scale: 0,
        })
    }

    /// The integer mantissa: the value is `mantissa × 10^-scale`.
    #[inline]
    pub const fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// Number of fractional digits (normalized, so never a trailing zero).
    #[inline]
    pub const fn scale(self) -> u8 {
        self.scale
    }

    /// True for zero.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// True for values above zero.
    #[inline]
    pub const fn is_positive(self) -> bool {
        self.mantissa > 0
    }

    /// True for values below zero.
    #[inline]
    pub const fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// The negated value; never overflows because the mantissa range is symmetric.
    #[inline]
    #[allow(
        clippy::should_implement_trait,
        reason = "`Neg` is implemented too; the inherent const fn is usable in consts"
    )]
    pub const fn neg(self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }

    /// The absolute value; never overflows because the mantissa range is symmetric.
    #[inline]
    pub const fn abs(self) -> Decimal {
        Decimal {
            mantissa: self.mantissa.abs(),
            scale: self.scale,
        }
    }

    /// Exact sum, or `None` if it does not fit.
    #[inline]
    pub const fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let (a, b, scale) = align(self, other);
        from_i128(a + b, scale)
    }

    /// Exact difference, or `None` if it does not fit.
    #[inline]
    pub const fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        let (a, b, scale) = align(self, other);
        from_i128(a - b, scale)
    }

    /// Exact product, or `None` if it does not fit in 19 digits with at most 18 decimals.
    #[inline]
    pub const fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        // |a·b| < 2^126, so the i128 product cannot overflow.
        let product = self.mantissa as i128 * other.mantissa as i128;
        from_i128(product, self.scale as u32 + other.scale as u32)
    }

    /// Nearest `f64`, for display and metrics only; never feed it back into values.
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / POW10_F64[self.scale as usize]
    }
}

impl Ord for Decimal {
    #[inline]
    fn cmp(&self, other: &Decimal) -> Ordering {
        if self.scale == other.scale {
            return self.mantissa.cmp(&other.mantissa);
        }
        cmp_across_scales(*self, *other)
    }
}

impl PartialOrd for Decimal {
    #[inline]
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl core::ops::Neg for Decimal {
    type Output = Decimal;

    #[inline]
    fn neg(self) -> Decimal {
        Decimal::neg(self)
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    #[inline]
    fn from_str(s: &str) -> Result<Decimal, DecimalError> {
        Decimal::parse(s)
    }
}

impl TryFrom<i64> for Decimal {
    type Error = DecimalError;

    #[inline]
    fn try_from(value: i64) -> Result<Decimal, DecimalError> {
        Decimal::from_i64(value)
    }
}

impl TryFrom<u64> for Decimal {
    type Error = DecimalError;

    #[inline]
    fn try_from(value: u64) -> Result<Decimal, DecimalError> {
        match i64::try_from(value) {
            Ok(v) => Decimal::from_i64(v),
            Err(_) => Err(DecimalError::Overflow),
        }
    }
}

impl From<i32> for Decimal {
    #[inline]
    fn from(value: i32) -> Decimal {
        Decimal {
            mantissa: i64::from(value),
            scale: 0,
        }
    }
}

impl From<u32> for Decimal {
    #[inline]
    fn from(value: u32) -> Decimal {
        Decimal {
            mantissa: i64::from(value),
            scale: 0,
        }
    }
}

impl fmt::Display for Decimal {
    /// Exact digits, no exponent, no trailing zeros: `0.1`, `-12.5`, `100`.
    /// Width, fill and the `+` flag are honoured; precision is ignored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; DISPLAY_BUF];
        let text = self.write_unsigned(&mut buf);
        f.pad_integral(self.mantissa >= 0, "", text)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Decimal {
    /// Serialized as a string so no consumer ever reads it as a float.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    /// From a decimal string or an integer; JSON floats are refused on purpose.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

impl Decimal {
    /// Writes `|self|` in plain notation at the end of `buf` and returns it as text.
    fn write_unsigned<'a>(&self, buf: &'a mut [u8; DISPLAY_BUF]) -> &'a str {
        let scale = self.scale as usize;
        let mut magnitude = self.mantissa.unsigned_abs();
        let mut pos = DISPLAY_BUF;
        let mut written = 0usize;
        // Fraction digits first (right to left), then the dot, then at least one integer digit.
        while written < scale {
            pos -= 1;
            buf[pos] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            written += 1;
        }
        if scale > 0 {
            pos -= 1;
            buf[pos] = b'.';
        }
        loop {
            pos -= 1;
            buf[pos] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            if magnitude == 0 {
                break;
            }
        }
        // Only ASCII digits and '.' were written, so this cannot fail.
        core::str::from_utf8(&buf[pos..]).unwrap_or("")
    }
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        Decimal::parse(v).map_err(E::custom)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Decimal, E> {
        Decimal::parse_bytes(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Decimal::from_i64(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Decimal::try_from(v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Decimal, E> {
        Err(E::custom(DecimalError::Float))
    }
}

/// `digits(.digits)?` with at least one digit and at most eight on each side of the dot
/// (at most seven in all up to eight bytes), read eight bytes at a time (SWAR): a digit
/// mask validates the text, trailing fractional zeros are dropped by mask (so the result
/// is normalized without a division loop) and digits are converted eight at a time with
/// three multiplies. `None` for any other input (signs, more digits, anything invalid),
/// which [`Decimal::parse_general`] then decides.
#[inline(always)]
const fn parse_short(bytes: &[u8]) -> Option<Decimal> {
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
        return Some(Decimal {
            mantissa: eight_digits(text << (64 - 8 * int_len)) as i64,
            scale: 0,
        });
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
        return Some(Decimal {
            mantissa: eight_digits(top) as i64,
            scale: (len - 1 - int_len) as u8,
        });
    }
    Some(normalized(joined & low_bytes(len - 1), int_len))
}

/// [`swar::normalized`] as a [`Decimal`].
#[inline(always)]
const fn normalized(digits: u64, int_len: usize) -> Decimal {
    let (mantissa, scale) = swar::normalized(digits, int_len);
    Decimal {
        mantissa: mantissa as i64,
        scale,
    }
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
    Some(Decimal {
        mantissa: int_value as i64 * POW10_I64[fraction.scale as usize] + fraction.mantissa,
        scale: fraction.scale,
    })
}

/// The first `n` (at most eight) bytes of `bytes` as a little-endian word, zero above:
/// two overlapping loads instead of a byte loop.
#[inline(always)]
const fn load_le(bytes: &[u8], n: usize) -> u64 {
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

/// Both mantissas at the larger scale, widened so the rescale cannot overflow.
#[inline]
const fn align(a: Decimal, b: Decimal) -> (i128, i128, u32) {
    let (sa, sb) = (a.scale as usize, b.scale as usize);
    if sa >= sb {
        (
            a.mantissa as i128,
            b.mantissa as i128 * POW10_I128[sa - sb],
            sa as u32,
        )
    } else {
        (
            a.mantissa as i128 * POW10_I128[sb - sa],
            b.mantissa as i128,
            sb as u32,
        )
    }
}

/// Orders two values of different scales. Book prices often differ in scale only through
/// normalization ("100.1" next to "100.15"), so the coarser mantissa is rescaled with one
/// checked 64-bit multiply; only a product past `i64` takes the 128-bit path.
#[inline]
fn cmp_across_scales(a: Decimal, b: Decimal) -> Ordering {
    if a.scale < b.scale {
        let factor = POW10_I64.get(usize::from(b.scale - a.scale));
        match factor.and_then(|&f| a.mantissa.checked_mul(f)) {
            Some(scaled) => scaled.cmp(&b.mantissa),
            None => cmp_wide(a, b),
        }
    } else {
        let factor = POW10_I64.get(usize::from(a.scale - b.scale));
        match factor.and_then(|&f| b.mantissa.checked_mul(f)) {
            Some(scaled) => a.mantissa.cmp(&scaled),
            None => cmp_wide(a, b),
        }
    }
}

/// The exact comparison in 128 bits, for rescaled mantissas that do not fit an `i64`.
#[cold]
fn cmp_wide(a: Decimal, b: Decimal) -> Ordering {
    let (a, b, _) = align(a, b);
    a.cmp(&b)
}

/// Normalizes a wide result back into a `Decimal`, or `None` if it does not fit.
#[inline]
const fn from_i128(mut mantissa: i128, mut scale: u32) -> Option<Decimal> {
    if mantissa == 0 {
        return Some(Decimal::ZERO);
    }
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if scale > Decimal::MAX_SCALE as u32
        || mantissa > i64::MAX as i128
        || mantissa < -(i64::MAX as i128)
    {
        return None;
    }
    Some(Decimal {
        mantissa: mantissa as i64,
        scale: scale as u8,
    })
}

const fn strip_zeros_i64(mut mantissa: i64, mut scale: u8) -> (i64, u8) {
    if mantissa == 0 {
        return (0, 0);
    }
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    (mantissa, scale)
}

/// Sign is added by the formatter; 19 digits, a dot and up to 18 leading fraction zeros fit.
const DISPLAY_BUF: usize = 48;

const POW10_U64: [u64; 19] = pow10_u64();
const POW10_I64: [i64; 19] = pow10_i64();
const POW10_I128: [i128; 19] = pow10_i128();
const POW10_F64: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

const fn pow10_u64() -> [u64; 19] {
    let mut table = [1u64; 19];
    let mut i = 1;
    while i < 19 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
}

const fn pow10_i64() -> [i64; 19] {
    let mut table = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
}

const fn pow10_i128() -> [i128; 19] {
    let mut table = [1i128; 19];
    let mut i = 1;
    while i < 19 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn parses_and_displays_plain_values() {
        for (input, shown) in [
            ("0", "0"),
            ("-0", "0"),
            ("+0.000", "0"),
            ("0.1", "0.1"),
            ("-12.5", "-12.5"),
            ("100", "100"),
            ("100.00", "100"),
            ("+7", "7"),
            ("007.0700", "7.07"),
            (".5", "0.5"),
            ("5.", "5"),
            ("0.000000000000000001", "0.000000000000000001"),
            ("-0.000000000000000001", "-0.000000000000000001"),
            ("9223372036854775807", "9223372036854775807"),
            ("-9223372036854775807", "-9223372036854775807"),
            ("9.223372036854775807", "9.223372036854775807"),
            ("0.922337203685477580", "0.92233720368547758"),
            ("1.10", "1.1"),
            ("0.00000000", "0"),
            ("1.000000000000000000000000000000", "1"),
            ("0.1000000000000000000000000000", "0.1"),
        ] {
            let value = d(input);
            assert_eq!(value.to_string(), shown, "input {input}");
            assert_eq!(d(shown), value, "round trip of {input}");
        }
    }

    #[test]
    fn normalization_makes_equal_values_equal() {
        assert_eq!(d("1.10"), d("1.1"));
        assert_eq!(d("0.00000000"), Decimal::ZERO);
        assert_eq!(d("-0.0"), Decimal::ZERO);
        assert_eq!(d("1.10").mantissa(), 11);
        assert_eq!(d("1.10").scale(), 1);
        assert_eq!(d("0.00000000").scale(), 0);
        assert_eq!(d("100").mantissa(), 100);
        assert_eq!(d("100").scale(), 0);
        assert_eq!(Decimal::from_parts(1_000, 3).unwrap(), Decimal::ONE);
        assert_eq!(Decimal::from_parts(0, 18).unwrap(), Decimal::ZERO);
        assert_eq!(
            Decimal::from_parts(1_000, 20).unwrap(),
            d("0.00000000000000001")
        );
        assert_eq!(Decimal::from_i64(42).unwrap(), d("42"));
        assert_eq!(Decimal::from(-3), d("-3"));
        assert_eq!(Decimal::from(3u32), d("3"));

        use std::hash::BuildHasher;
        let state = std::hash::RandomState::new();
        assert_eq!(
            state.hash_one(d("2.50")),
            state.hash_one(d("2.5")),
            "hash is by value"
        );
    }

    #[test]
    fn every_error_case() {
        use DecimalError::*;
        for (input, error) in [
            ("", Empty),
            ("-", NoDigits),
            ("+", NoDigits),
            (".", NoDigits),
            ("-.", NoDigits),
            ("1.2.3", InvalidCharacter { position: 3 }),
            ("1..2", InvalidCharacter { position: 2 }),
            ("1e5", InvalidCharacter { position: 1 }),
            ("1.5E-3", InvalidCharacter { position: 3 }),
            (" 1", InvalidCharacter { position: 0 }),
            ("1 ", InvalidCharacter { position: 1 }),
            ("--1", InvalidCharacter { position: 1 }),
            ("+-1", InvalidCharacter { position: 1 }),
            ("1-", InvalidCharacter { position: 1 }),
            ("0x10", InvalidCharacter { position: 1 }),
            ("NaN", InvalidCharacter { position: 0 }),
            ("١", InvalidCharacter { position: 0 }),
            ("1,5", InvalidCharacter { position: 1 }),
            ("9223372036854775808", Overflow),
            ("-9223372036854775808", Overflow),
            ("10000000000000000000", Overflow),
            ("99999999999999999999999", Overflow),
            ("922337203685477580.8", Overflow),
            ("1.0000000000000000001", TooManyDecimals),
            ("0.0000000000000000001", TooManyDecimals),
            ("0.1234567890123456789", TooManyDecimals),
        ] {
            assert_eq!(Decimal::parse(input), Err(error), "input {input:?}");
        }
        assert_eq!(Decimal::from_i64(i64::MIN), Err(Overflow));
        assert_eq!(Decimal::from_parts(i64::MIN, 0), Err(Overflow));
        assert_eq!(Decimal::from_parts(1, 19), Err(TooManyDecimals));
        assert_eq!(Decimal::try_from(u64::MAX), Err(Overflow));
    }

    #[test]
    fn overflow_boundaries() {
        assert_eq!(d("9223372036854775807"), Decimal::MAX);
        assert_eq!(d("-9223372036854775807"), Decimal::MIN);
        assert_eq!(d("922337203685477580.7").mantissa(), i64::MAX);
        assert_eq!(d("0.000000000000000000").scale(), 0);
        // 19 significant digits at the maximum scale still fit.
        assert_eq!(d("1.234567890123456789").scale(), 18);
        assert_eq!(Decimal::MAX.checked_add(Decimal::ONE), None);
        assert_eq!(Decimal::MIN.checked_sub(Decimal::ONE), None);
        assert_eq!(
            Decimal::MAX.checked_sub(Decimal::ONE),
            Some(d("9223372036854775806"))
        );
        assert_eq!(Decimal::MAX.checked_mul(d("2")), None);
        assert_eq!(d("0.000000001").checked_mul(d("0.0000000001")), None);
        assert_eq!(
            d("0.000000001").checked_mul(d("0.000000001")),
            Some(d("0.000000000000000001"))
        );
        assert_eq!(Decimal::MIN.neg(), Decimal::MAX);
        assert_eq!(Decimal::MIN.abs(), Decimal::MAX);
    }

    #[test]
    fn arithmetic_is_exact_and_normalized() {
        assert_eq!(d("0.1").checked_add(d("0.2")), Some(d("0.3")));
        assert_eq!(d("1.15").checked_add(d("-0.05")), Some(d("1.1")));
        assert_eq!(d("1.15").checked_add(d("-0.05")).unwrap().scale(), 1);
        assert_eq!(d("5").checked_sub(d("5.000")), Some(Decimal::ZERO));
        assert_eq!(d("2.5").checked_mul(d("0.4")), Some(Decimal::ONE));
        assert_eq!(d("-1.5").checked_mul(d("3")), Some(d("-4.5")));
        assert_eq!(-d("1.5"), d("-1.5"));
        assert_eq!(d("-1.5").abs(), d("1.5"));
        assert!(d("-0.1").is_negative());
        assert!(d("0.1").is_positive());
        assert!(d("0.0").is_zero());
        assert!((d("0.1").to_f64() - 0.1).abs() < 1e-15);
        assert!((d("-12.5").to_f64() + 12.5).abs() < 1e-12);
    }

    #[test]
    fn ordering_across_scales() {
        let mut values: Vec<Decimal> = [
            "1.5", "-2", "0.0001", "1.49999", "100", "-2.0001", "0", "1.5000",
        ]
        .iter()
        .map(|s| d(s))
        .collect();
        values.sort();
        let shown: Vec<String> = values.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "-2.0001", "-2", "0", "0.0001", "1.49999", "1.5", "1.5", "100"
            ]
        );
        assert!(d("0.000000000000000001") > Decimal::ZERO);
        assert!(Decimal::MAX > d("922337203685477580.7"));
        assert!(Decimal::MIN < d("-922337203685477580.7"));
        assert_eq!(d("2.50").cmp(&d("2.5")), Ordering::Equal);
    }

    #[test]
    fn display_honours_width_and_sign_flag() {
        assert_eq!(format!("{:>6}", d("1.5")), "   1.5");
        assert_eq!(format!("{:+}", d("1.5")), "+1.5");
        assert_eq!(format!("{:06}", d("-1.5")), "-001.5");
        assert_eq!(format!("{:?}", d("-0.25")), "-0.25");
    }

    #[test]
    fn fast_path_agrees_with_the_general_parser() {
        // Every shape the fast path takes, and its edges.
        let ints = [
            "",
            "0",
            "00",
            "7",
            "19137",
            "0000000",
            "1234567",
            "12345678",
            "123456789",
        ];
        let fractions = [
            "",
            ".",
            ".0",
            ".5",
            ".74",
            ".0001",
            ".6135",
            ".470000",
            ".00000000",
            ".10",
            ".1234567",
            ".12345678",
            ".123456789",
            ".00000001",
            ".9999",
        ];
        let mut engaged = 0;
        for sign in ["", "-", "+"] {
            for int in ints {
                for fraction in fractions {
                    let text = format!("{sign}{int}{fraction}");
                    let general = Decimal::parse_general(text.as_bytes());
                    assert_eq!(Decimal::parse(&text), general, "{text:?}");
                    if let Some(value) = parse_short(text.as_bytes()) {
                        engaged += 1;
                        assert_eq!(Ok(value), general, "{text:?}");
                    }
                    let plain = sign.is_empty() && int.len() <= 8 && fraction.len() <= 9;
                    if plain && general.is_ok() {
                        assert!(parse_short(text.as_bytes()).is_some(), "{text:?}");
                    }
                }
            }
        }
        assert!(engaged > 100, "{engaged}");
        // Pseudo-random bytes over the characters that matter, mostly digits.
        let alphabet = b"0123456789.-+e \x00\xff";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300_000 {
            let r = next();
            let len = (r % 20) as usize;
            let mut bytes = Vec::with_capacity(len);
            for i in 0..len {
                let pick = next();
                let b = if pick.is_multiple_of(4) {
                    alphabet[(pick >> 8) as usize % alphabet.len()]
                } else if (r >> (i + 8)) & 1 == 0 {
                    b'0'
                } else {
                    b'0' + (pick >> 16) as u8 % 10
                };
                bytes.push(b);
            }
            let general = Decimal::parse_general(&bytes);
            assert_eq!(
                Decimal::parse_bytes(&bytes),
                general,
                "{:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
        for n in 0..=8 {
            let text = b"12345678";
            let word = load_le(text, n);
            assert_eq!(word.to_le_bytes()[..n], text[..n]);
            assert_eq!(word.checked_shr(8 * n as u32).unwrap_or(0), 0, "{n}");
        }
    }

    #[test]
    fn parse_matches_from_str_and_bytes() {
        assert_eq!("12.34".parse::<Decimal>(), Ok(d("12.34")));
        assert_eq!(Decimal::parse_bytes(b"12.34"), Ok(d("12.34")));
        const TICK: Decimal = match Decimal::parse("0.01") {
            Ok(v) => v,
            Err(_) => Decimal::ZERO,
        };
        assert_eq!(TICK, d("0.01"));
    }
}
