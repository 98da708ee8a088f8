//! Strings: reading them (SWAR search for the closing quote) and decoding escapes for
//! messages.

use super::fault::{Fault, Malformation};
use super::{ONES, Scanner, zero_bytes};

/// A JSON string as it appears in the frame, without its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonStr<'a> {
    /// The raw bytes between the quotes (escapes not decoded).
    pub raw: &'a [u8],
    /// Whether the raw bytes contain a backslash escape.
    pub escaped: bool,
    /// Offset of the opening quote in the frame.
    pub at: usize,
}

impl<'a> JsonStr<'a> {
    /// The bytes, when they need no unescaping (identifiers, numbers, enum words).
    #[inline]
    pub fn plain(&self) -> Option<&'a [u8]> {
        if self.escaped { None } else { Some(self.raw) }
    }

    /// The decoded text (allocates only when the string has escapes); invalid UTF-8 or
    /// escapes are replaced rather than refused, because this is used for messages only.
    pub fn to_text(self) -> String {
        if !self.escaped {
            return String::from_utf8_lossy(self.raw).into_owned();
        }
        let mut bytes = Vec::with_capacity(self.raw.len());
        let mut i = 0;
        while let Some(&b) = self.raw.get(i) {
            if b != b'\\' {
                bytes.push(b);
                i += 1;
                continue;
            }
            let escape = self.raw.get(i + 1).copied().unwrap_or(b'\\');
            i += 2;
            let decoded = match escape {
                b'n' => '\n',
                b't' => '\t',
                b'r' => '\r',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'u' => {
                    let code = self
                        .raw
                        .get(i..i + 4)
                        .and_then(|hex| core::str::from_utf8(hex).ok())
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                        .and_then(char::from_u32)
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    i += 4;
                    code
                }
                other => char::from(other),
            };
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(decoded.encode_utf8(&mut buf).as_bytes());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl<'a> Scanner<'a> {
    /// Reads a string; the scanner must be at its opening quote (after whitespace).
    #[inline(always)]
    pub fn string(&mut self) -> Result<JsonStr<'a>, Fault> {
        if self.peek()? != b'"' {
            return Err(self.unexpected(self.pos));
        }
        let open = self.pos;
        let start = open + 1;
        let rest = self.bytes.get(start..).unwrap_or_default();
        match quote_or_backslash(rest) {
            Some(len) if rest.get(len) == Some(&b'"') => {
                self.pos = start + len + 1;
                Ok(JsonStr {
                    raw: rest.get(..len).unwrap_or_default(),
                    escaped: false,
                    at: open,
                })
            }
            Some(_) => self.escaped_string(open),
            None => Err(self.end()),
        }
    }

    /// The slow path of [`Scanner::string`], for strings with escapes.
    #[cold]
    fn escaped_string(&mut self, open: usize) -> Result<JsonStr<'a>, Fault> {
        let bytes = self.bytes;
        let start = open + 1;
        let mut i = start;
        loop {
            match bytes.get(i) {
                None => return Err(self.end()),
                Some(b'"') => break,
                Some(b'\\') => i += 1 + self.escape_len(i + 1)?,
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        Ok(JsonStr {
            raw: bytes.get(start..i).unwrap_or_default(),
            escaped: true,
            at: open,
        })
    }

    /// Length of the escape body after a backslash at `at - 1`.
    fn escape_len(&self, at: usize) -> Result<usize, Fault> {
        match self.bytes.get(at) {
            None => Err(self.end()),
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(1),
            Some(b'u') => {
                for i in 1..=4 {
                    match self.bytes.get(at + i) {
                        None => return Err(self.end()),
                        Some(b) if b.is_ascii_hexdigit() => {}
                        Some(_) => {
                            return Err(Fault::json(Malformation::InvalidEscape, at + i));
                        }
                    }
                }
                Ok(5)
            }
            Some(_) => Err(Fault::json(Malformation::InvalidEscape, at)),
        }
    }
}

/// Offset of the first `"` or `\` in `text`, eight bytes at a time (SWAR). Gate strings
/// are short (keys, prices, pairs) and almost never escaped, so one or two words settle
/// it without a call.
#[inline(always)]
pub(crate) fn quote_or_backslash(text: &[u8]) -> Option<usize> {
    let mut offset = 0;
    while let Some(chunk) = text.get(offset..offset + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        // The lowest flag of each zero-byte test is exact, so is the lowest of both.
        let hits = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(offset + hits.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    let tail = text.get(offset..).unwrap_or_default();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|at| offset + at)
}
