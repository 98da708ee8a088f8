//! Decimal digits eight at a time in one `u64` ("SIMD within a register"), shared by
//! [`Decimal::parse`](crate::Decimal::parse) and the venue decoders that read prices
//! straight from frames.
//!
//! A word holds eight text bytes, the first in the lowest byte (little-endian load).
//! XOR with [`ASCII_ZEROS`] maps the digits to 0..=9 and every other byte elsewhere;
//! [`non_digits`] then marks where a run of digits ends, [`eight_digits`] converts up to
//! eight digits with three multiplies, and [`normalized`] drops trailing fractional zeros
//! by mask instead of a division loop. All are `const` and inline, so each caller gets
//! straight-line code.

/// `'0'` in every byte: XOR maps the digits to 0..=9 and every other byte elsewhere.
pub const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// `0x80` in each byte of `values` (digits already mapped to 0..=9) that is not a digit.
#[inline(always)]
pub const fn non_digits(values: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    (((values & !HIGH) + 0x7676_7676_7676_7676) | values) & HIGH
}

/// `0x80` in each non-zero byte of `values` (bytes at most `0x7F`).
#[inline(always)]
pub const fn non_zero_bytes(values: u64) -> u64 {
    (values + 0x7F7F_7F7F_7F7F_7F7F) & 0x8080_8080_8080_8080
}

/// A mask of the `n` lowest bytes (all ones from 8 up).
#[inline(always)]
pub const fn low_bytes(n: usize) -> u64 {
    LOW_BYTES[n & 15]
}

/// [`low_bytes`] by table (a lookup instead of a branch and a shift).
const LOW_BYTES: [u64; 16] = {
    let mut table = [u64::MAX; 16];
    let mut n = 0;
    while n < 8 {
        table[n] = (1u64 << (8 * n)) - 1;
        n += 1;
    }
    table
};

/// The value of eight digits (bytes 0..=9, the first digit in the lowest byte). Fewer
/// digits are shifted to the top first: the zero bytes in front do not change the value.
#[inline(always)]
pub const fn eight_digits(digits: u64) -> u64 {
    let pairs = (digits.wrapping_mul(10 * 256 + 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100 * 65_536 + 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    quads.wrapping_mul(10_000 * (1 << 32) + 1) >> 32
}

/// The value of the digits in `digits` (mapped to 0..=9, the first in the lowest byte,
/// zero bytes after the last, at most eight), of which those from `int_len` on are the
/// fraction, with trailing fractional zeros dropped: `(mantissa, scale)`.
#[inline(always)]
pub const fn normalized(digits: u64, int_len: usize) -> (u64, u8) {
    let fraction = non_zero_bytes(digits) & !low_bytes(int_len);
    // Up to the last non-zero fraction digit, or just the integer when there is none.
    let last = (71 - fraction.leading_zeros() as usize) / 8;
    let kept = if last > int_len { last } else { int_len };
    // No digit kept (a zero fraction alone) shifts everything out: zero.
    let top = match digits.checked_shl((64 - 8 * kept) as u32) {
        Some(top) => top,
        None => 0,
    };
    (eight_digits(top), (kept - int_len) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &[u8]) -> u64 {
        let mut bytes = [0u8; 8];
        bytes[..text.len()].copy_from_slice(text);
        u64::from_le_bytes(bytes) ^ ASCII_ZEROS
    }

    #[test]
    fn digits_convert_and_end_where_the_text_does() {
        assert_eq!(eight_digits(word(b"12345678")), 12_345_678);
        assert_eq!(eight_digits(word(b"123") << 40), 123);
        let ends = non_digits(word(b"12.5\""));
        assert_eq!(ends.trailing_zeros() / 8, 2);
        assert_eq!(low_bytes(0), 0);
        assert_eq!(low_bytes(3), 0xFF_FFFF);
        assert_eq!(low_bytes(8), u64::MAX);
    }

    #[test]
    fn trailing_fraction_zeros_are_dropped() {
        // "12" then "500": 12.500 -> 12.5
        let digits = word(b"12500") & low_bytes(5);
        assert_eq!(normalized(digits, 2), (125, 1));
        // "7" then "000": 7
        assert_eq!(normalized(word(b"7000") & low_bytes(4), 1), (7, 0));
        // "" then "000": 0
        assert_eq!(normalized(word(b"000") & low_bytes(3), 0), (0, 0));
        // "" then "0025": 0.0025
        assert_eq!(normalized(word(b"0025") & low_bytes(4), 0), (25, 4));
    }
}
