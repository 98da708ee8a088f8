//! Varints: one byte inline, up to eight at once with word arithmetic, else byte by byte.
//! Plain functions over a buffer and a position, below the [`super::reader::Reader`].

use crate::error::Error;

/// The varint at `*pos`, moving `pos` past it.
#[inline(always)]
pub(super) fn read(buf: &[u8], pos: &mut usize, context: &'static str) -> Result<u64, Error> {
    if let Some(&byte) = buf.get(*pos)
        && byte < 0x80
    {
        *pos += 1;
        return Ok(u64::from(byte));
    }
    read_long(buf, pos, context)
}

/// [`read`] past one byte: up to eight bytes at once when eight are there (timestamps
/// take six), else byte by byte.
#[inline(never)]
fn read_long(buf: &[u8], pos: &mut usize, context: &'static str) -> Result<u64, Error> {
    if let Some(chunk) = buf.get(*pos..).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_le_bytes(*chunk);
        let stops = !word & 0x8080_8080_8080_8080;
        if stops != 0 {
            // The varint ends in the byte of the lowest stop bit.
            let len = stops.trailing_zeros() as usize / 8 + 1;
            let bits = word & 0x7f7f_7f7f_7f7f_7f7f & (u64::MAX >> (64 - 8 * len));
            // Squeeze the 7-bit groups together: pairs, then quads, then all eight.
            let pairs = (bits & 0x007f_007f_007f_007f) | ((bits & 0x7f00_7f00_7f00_7f00) >> 1);
            let quads = (pairs & 0x0000_3fff_0000_3fff) | ((pairs & 0x3fff_0000_3fff_0000) >> 2);
            let value = (quads & 0x0fff_ffff) | ((quads & 0x0fff_ffff_0000_0000) >> 4);
            *pos += len;
            return Ok(value);
        }
    }
    read_bytewise(buf, pos, context)
}

/// [`read`] byte by byte: every length, every error.
pub(super) fn read_bytewise(
    buf: &[u8],
    pos: &mut usize,
    context: &'static str,
) -> Result<u64, Error> {
    let start = *pos;
    let mut value: u64 = 0;
    for i in 0..MAX_VARINT_LEN {
        let Some(&byte) = buf.get(*pos) else {
            return Err(Error::Truncated {
                context,
                offset: start,
            });
        };
        *pos += 1;
        // The tenth byte may only hold the 64th bit.
        if i == MAX_VARINT_LEN - 1 && byte > 1 {
            return Err(Error::MalformedVarint { offset: start });
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Ok(value);
        }
    }
    Err(Error::MalformedVarint { offset: start })
}

const MAX_VARINT_LEN: usize = 10;
