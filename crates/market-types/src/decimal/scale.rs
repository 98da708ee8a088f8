//! Rescaling between scales, normalization of wide results and powers of ten.

use core::cmp::Ordering;

use super::Decimal;

/// A decimal's scale, 0 to [`Decimal::MAX_SCALE`], as a one-byte enum: the 237 byte values
/// it cannot take are a niche the compiler uses for `Option<Decimal>`'s tag, which keeps
/// optional prices and sizes at 16 bytes. (A plain `u8` field has no niche, and the tag
/// then takes another 8 bytes with padding: tickers of a dozen optional fields were moved
/// around at a third more bytes than they hold.)
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub(super) enum Scale {
    #[default]
    S0 = 0,
    S1,
    S2,
    S3,
    S4,
    S5,
    S6,
    S7,
    S8,
    S9,
    S10,
    S11,
    S12,
    S13,
    S14,
    S15,
    S16,
    S17,
    S18,
}

impl Scale {
    /// The scale as a number.
    #[inline(always)]
    pub(super) const fn get(self) -> u8 {
        self as u8
    }

    /// `scale`, which the caller has checked is at most [`Decimal::MAX_SCALE`]; a larger
    /// value (a bug in the caller, asserted in debug builds) saturates at 18.
    #[inline(always)]
    pub(super) const fn new(scale: u8) -> Scale {
        debug_assert!(scale <= Decimal::MAX_SCALE, "scale above 18");
        match scale {
            0 => Scale::S0,
            1 => Scale::S1,
            2 => Scale::S2,
            3 => Scale::S3,
            4 => Scale::S4,
            5 => Scale::S5,
            6 => Scale::S6,
            7 => Scale::S7,
            8 => Scale::S8,
            9 => Scale::S9,
            10 => Scale::S10,
            11 => Scale::S11,
            12 => Scale::S12,
            13 => Scale::S13,
            14 => Scale::S14,
            15 => Scale::S15,
            16 => Scale::S16,
            17 => Scale::S17,
            _ => Scale::S18,
        }
    }
}

/// Both mantissas at the larger scale, widened so the rescale cannot overflow.
#[inline]
pub(super) const fn align(a: Decimal, b: Decimal) -> (i128, i128, u32) {
    let (sa, sb) = (a.scale.get() as usize, b.scale.get() as usize);
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
pub(super) fn cmp_across_scales(a: Decimal, b: Decimal) -> Ordering {
    if a.scale.get() < b.scale.get() {
        let factor = POW10_I64.get(usize::from(b.scale.get() - a.scale.get()));
        match factor.and_then(|&f| a.mantissa.checked_mul(f)) {
            Some(scaled) => scaled.cmp(&b.mantissa),
            None => cmp_wide(a, b),
        }
    } else {
        let factor = POW10_I64.get(usize::from(a.scale.get() - b.scale.get()));
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
pub(super) const fn from_i128(mut mantissa: i128, mut scale: u32) -> Option<Decimal> {
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
    Some(Decimal::raw(mantissa as i64, scale as u8))
}

pub(super) const fn strip_zeros_i64(mut mantissa: i64, mut scale: u8) -> (i64, u8) {
    if mantissa == 0 {
        return (0, 0);
    }
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    (mantissa, scale)
}

pub(super) const POW10_U64: [u64; 19] = pow10_u64();
pub(super) const POW10_I64: [i64; 19] = pow10_i64();
pub(super) const POW10_I128: [i128; 19] = pow10_i128();
pub(super) const POW10_F64: [f64; 19] = [
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
