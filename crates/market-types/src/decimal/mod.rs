//! Exact fixed-point decimals for prices, sizes, fees and rates.
//!
//! The type and its arithmetic live here; the parsers in `parse`, text and serde in
//! `text`, rescaling and powers of ten in `scale`.

mod parse;
mod scale;
mod text;

use core::cmp::Ordering;
use core::hash::Hash;
use core::str::FromStr;

use self::parse::parse_short;
use self::scale::{
    POW10_F64, POW10_I64, Scale, align, cmp_across_scales, from_i128, strip_zeros_i64,
};

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
///
/// The scale is held as [`Scale`], whose unused byte values are a niche, so
/// `Option<Decimal>` (and `Option<Price>`) is 16 bytes like `Decimal` itself rather than 24.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Decimal {
    mantissa: i64,
    scale: Scale,
}

impl Hash for Decimal {
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.mantissa.hash(state);
        self.scale.get().hash(state);
    }
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
    /// The value from parts the caller has checked: `mantissa` in the symmetric range,
    /// `scale` at most [`Decimal::MAX_SCALE`], normalized.
    #[inline(always)]
    const fn raw(mantissa: i64, scale: u8) -> Decimal {
        Decimal {
            mantissa,
            scale: Scale::new(scale),
        }
    }

    /// Largest supported scale (fractional digits).
    pub const MAX_SCALE: u8 = 18;
    /// Zero.
    pub const ZERO: Decimal = Decimal::raw(0, 0);
    /// One.
    pub const ONE: Decimal = Decimal::raw(1, 0);
    /// The largest value, `i64::MAX`.
    pub const MAX: Decimal = Decimal::raw(i64::MAX, 0);
    /// The smallest value, `-i64::MAX`.
    pub const MIN: Decimal = Decimal::raw(-i64::MAX, 0);

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

    /// Builds `mantissa × 10^-scale`, normalizing trailing zeros away.
    ///
    /// # Errors
    /// [`DecimalError::TooManyDecimals`] if the normalized scale exceeds 18,
    /// [`DecimalError::Overflow`] for `i64::MIN` (outside the symmetric range).
    #[inline]
    pub const fn from_parts(mantissa: i64, scale: u8) -> Result<Decimal, DecimalError> {
        if mantissa == i64::MIN {
            return Err(DecimalError::Overflow);
        }
        let (mantissa, scale) = strip_zeros_i64(mantissa, scale);
        if scale > Decimal::MAX_SCALE {
            return Err(DecimalError::TooManyDecimals);
        }
        Ok(Decimal::raw(mantissa, scale))
    }

    /// Builds `mantissa × 10^-scale` from parts the caller has already normalized, for
    /// readers that drop trailing fractional zeros as they read (the SWAR decoders):
    /// [`Decimal::from_parts`] without its checks and its division loop.
    ///
    /// The caller guarantees `mantissa` is not `i64::MIN`, `scale` is at most
    /// [`Decimal::MAX_SCALE`], and a non-zero `scale` has a mantissa not divisible by 10
    /// (zero is `0 × 10^0`). Parts that break this make a value whose `Eq` and `Hash`
    /// disagree with its numeric value; debug builds assert it.
    #[inline(always)]
    pub const fn from_normalized_parts(mantissa: i64, scale: u8) -> Decimal {
        debug_assert!(
            mantissa != i64::MIN
                && scale <= Decimal::MAX_SCALE
                && (scale == 0 || mantissa % 10 != 0),
            "parts not normalized"
        );
        Decimal::raw(mantissa, scale)
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
        Ok(Decimal::raw(value, 0))
    }

    /// The integer mantissa: the value is `mantissa × 10^-scale`.
    #[inline]
    pub const fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// Number of fractional digits (normalized, so never a trailing zero).
    #[inline]
    pub const fn scale(self) -> u8 {
        self.scale.get()
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
        from_i128(product, self.scale.get() as u32 + other.scale.get() as u32)
    }

    /// The value times `10^18` ([`Decimal::MAX_SCALE`]), exact: an integer that orders
    /// like the value across scales, from one 64 x 64-bit multiply (`|mantissa| < 2^63`
    /// and `10^18 < 2^60`, so it cannot overflow).
    #[inline(always)]
    pub const fn at_max_scale(self) -> i128 {
        self.mantissa as i128 * POW10_I64[(Decimal::MAX_SCALE - self.scale.get()) as usize] as i128
    }

    /// Nearest `f64`, for display and metrics only; never feed it back into values.
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / POW10_F64[self.scale.get() as usize]
    }
}

impl Ord for Decimal {
    #[inline]
    fn cmp(&self, other: &Decimal) -> Ordering {
        if self.scale.get() == other.scale.get() {
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
        Decimal::raw(i64::from(value), 0)
    }
}

impl From<u32> for Decimal {
    #[inline]
    fn from(value: u32) -> Decimal {
        Decimal::raw(i64::from(value), 0)
    }
}

#[cfg(test)]
mod tests;
