//! The protobuf cursor: keys, varints, skipping, and length-delimited, string and integer
//! fields. One-byte keys, lengths and varints take straight-line paths, longer varints are
//! read eight bytes at a time; everything else, errors included, goes through the general
//! readers.

use crate::error::Error;

/// Protobuf wire types this reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireType {
    Varint = 0,
    Fixed64 = 1,
    Len = 2,
    Fixed32 = 5,
}

/// A field key: number, wire type and where it started (for error context).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) field: u32,
    pub(crate) wire_type: WireType,
    pub(crate) offset: usize,
}

/// A cursor over one protobuf message. Offsets in errors are relative to its buffer.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// The next key, or `None` at the end of the message.
    #[inline(always)]
    pub(crate) fn key(&mut self) -> Result<Option<Key>, Error> {
        let Some(&byte) = self.buf.get(self.pos) else {
            return Ok(None);
        };
        // One byte: fields 1 to 15, what every hot message uses.
        if (8..0x80).contains(&byte) {
            let wire_type = match byte & 7 {
                0 => Some(WireType::Varint),
                1 => Some(WireType::Fixed64),
                2 => Some(WireType::Len),
                5 => Some(WireType::Fixed32),
                _ => None,
            };
            if let Some(wire_type) = wire_type {
                let offset = self.pos;
                self.pos += 1;
                return Ok(Some(Key {
                    field: u32::from(byte >> 3),
                    wire_type,
                    offset,
                }));
            }
        }
        self.key_general()
    }

    /// [`Reader::key`] for every other key, errors included.
    #[inline(never)]
    fn key_general(&mut self) -> Result<Option<Key>, Error> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let offset = self.pos;
        let key = self.varint("field key")?;
        let field = key >> 3;
        if field == 0 || field > MAX_FIELD_NUMBER {
            return Err(Error::InvalidFieldNumber { field, offset });
        }
        let wire_type = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            other => {
                return Err(Error::UnsupportedWireType {
                    field,
                    wire_type: other as u8,
                    offset,
                });
            }
        };
        Ok(Some(Key {
            field: field as u32,
            wire_type,
            offset,
        }))
    }

    /// Skips the value of a field this reader does not want.
    #[inline]
    pub(crate) fn skip(&mut self, key: Key) -> Result<(), Error> {
        match key.wire_type {
            WireType::Varint => self.varint("varint field").map(drop),
            WireType::Fixed64 => self.take(8, "fixed64 field").map(drop),
            WireType::Fixed32 => self.take(4, "fixed32 field").map(drop),
            WireType::Len => self.len_delimited("length-delimited field").map(drop),
        }
    }

    /// A length-delimited field's bytes.
    #[inline]
    pub(crate) fn bytes(&mut self, key: Key, context: &'static str) -> Result<&'a [u8], Error> {
        expect(key, WireType::Len, context)?;
        self.len_delimited(context)
    }

    /// A string field, borrowed.
    #[inline]
    pub(crate) fn string(&mut self, key: Key, context: &'static str) -> Result<&'a str, Error> {
        expect(key, WireType::Len, context)?;
        let bytes = self.len_delimited(context)?;
        core::str::from_utf8(bytes).map_err(|_| Error::InvalidUtf8 {
            context,
            offset: self.pos - bytes.len(),
        })
    }

    /// An `int64` field (two's complement varint, not zig-zag).
    #[inline]
    pub(crate) fn int64(&mut self, key: Key, context: &'static str) -> Result<i64, Error> {
        expect(key, WireType::Varint, context)?;
        // Reinterpreting the 64 bits is the protobuf rule for int64.
        Ok(self.varint(context)? as i64)
    }

    /// An `int32` field: the low 32 bits of the varint, as protobuf decoders do.
    #[inline]
    pub(crate) fn int32(&mut self, key: Key, context: &'static str) -> Result<i32, Error> {
        expect(key, WireType::Varint, context)?;
        Ok(self.varint(context)? as i32)
    }

    /// A `bool` field.
    #[cfg(test)]
    pub(crate) fn boolean(&mut self, key: Key, context: &'static str) -> Result<bool, Error> {
        expect(key, WireType::Varint, context)?;
        Ok(self.varint(context)? != 0)
    }

    #[inline(always)]
    pub(super) fn varint(&mut self, context: &'static str) -> Result<u64, Error> {
        if let Some(&byte) = self.buf.get(self.pos)
            && byte < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(byte));
        }
        self.varint_general(context)
    }

    /// [`Reader::varint`] past one byte: up to eight bytes at once when eight are there
    /// (timestamps take six), else byte by byte.
    #[inline(never)]
    fn varint_general(&mut self, context: &'static str) -> Result<u64, Error> {
        if let Some(chunk) = self.buf.get(self.pos..).and_then(<[u8]>::first_chunk::<8>) {
            let word = u64::from_le_bytes(*chunk);
            let stops = !word & 0x8080_8080_8080_8080;
            if stops != 0 {
                // The varint ends in the byte of the lowest stop bit.
                let len = stops.trailing_zeros() as usize / 8 + 1;
                let bits = word & 0x7f7f_7f7f_7f7f_7f7f & (u64::MAX >> (64 - 8 * len));
                // Squeeze the 7-bit groups together: pairs, then quads, then all eight.
                let pairs = (bits & 0x007f_007f_007f_007f) | ((bits & 0x7f00_7f00_7f00_7f00) >> 1);
                let quads =
                    (pairs & 0x0000_3fff_0000_3fff) | ((pairs & 0x3fff_0000_3fff_0000) >> 2);
                let value = (quads & 0x0fff_ffff) | ((quads & 0x0fff_ffff_0000_0000) >> 4);
                self.pos += len;
                return Ok(value);
            }
        }
        self.varint_bytes(context)
    }

    /// [`Reader::varint`] byte by byte: every length, every error.
    pub(super) fn varint_bytes(&mut self, context: &'static str) -> Result<u64, Error> {
        let start = self.pos;
        let mut value: u64 = 0;
        for i in 0..MAX_VARINT_LEN {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(Error::Truncated {
                    context,
                    offset: start,
                });
            };
            self.pos += 1;
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

    #[inline]
    pub(super) fn take(&mut self, len: usize, context: &'static str) -> Result<&'a [u8], Error> {
        let start = self.pos;
        let end = start.checked_add(len).filter(|&end| end <= self.buf.len());
        match end.and_then(|end| self.buf.get(start..end)) {
            Some(bytes) => {
                self.pos = start + len;
                Ok(bytes)
            }
            None => Err(Error::Truncated {
                context,
                offset: start,
            }),
        }
    }

    #[inline(always)]
    fn len_delimited(&mut self, context: &'static str) -> Result<&'a [u8], Error> {
        // A one-byte length that fits: the common case for the small hot messages.
        if let Some(&len) = self.buf.get(self.pos)
            && len < 0x80
        {
            let start = self.pos + 1;
            if let Some(bytes) = self.buf.get(start..start + usize::from(len)) {
                self.pos = start + usize::from(len);
                return Ok(bytes);
            }
        }
        self.len_delimited_general(context)
    }

    /// [`Reader::len_delimited`] for longer lengths, errors included.
    #[inline(never)]
    fn len_delimited_general(&mut self, context: &'static str) -> Result<&'a [u8], Error> {
        let offset = self.pos;
        let len = self.varint(context)?;
        let remaining = self.buf.len() - self.pos;
        match usize::try_from(len) {
            Ok(n) if n <= remaining => self.take(n, context),
            _ => Err(Error::LengthOutOfBounds {
                context,
                offset,
                len,
                remaining,
            }),
        }
    }
}

fn expect(key: Key, expected: WireType, context: &'static str) -> Result<(), Error> {
    if key.wire_type == expected {
        Ok(())
    } else {
        Err(Error::WrongWireType {
            context,
            expected: expected as u8,
            found: key.wire_type as u8,
            offset: key.offset,
        })
    }
}

const MAX_VARINT_LEN: usize = 10;
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;
