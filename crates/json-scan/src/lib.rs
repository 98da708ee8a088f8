//! `json-scan`: a borrowed, allocation-free JSON scanner for venue frames (Gate.io,
//! MEXC futures).
//!
//! It never builds a DOM: callers walk objects key by key and read the values they want
//! (strings as borrowed bytes, numbers as their exact text). Values of members nobody
//! asked for are skipped with full grammar checks, bounded in nesting depth so hostile
//! input cannot exhaust the stack. Every method returns a [`Fault`] instead of panicking;
//! there is no unchecked indexing.
//!
//! Duplicate keys are not an error here (Gate's own docs repeat `id_market`); the
//! decoders decide per field whether the last value wins or the frame is refused.
//!
//! [`read`] holds the exact value readers (decimals from number text or strings, never
//! through `f64`; integers; identifiers). Each venue crate wraps [`Fault`] into its own
//! public error with the frame's context.

mod fault;
pub mod read;
mod skip;
mod string;

pub use self::fault::{Fault, FaultKind};
pub use self::fault::{FieldError, IdentifierError, Malformation};
pub use self::string::JsonStr;
use self::string::quote_or_backslash;

/// One scalar or the extent of one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Str(JsonStr<'a>),
    /// The exact text of a number (validated JSON number grammar).
    Num(&'a [u8]),
    Bool(bool),
    Null,
    /// A whole object, `{` to `}` inclusive; offsets into the frame.
    Object(Span),
    /// A whole array, `[` to `]` inclusive.
    Array(Span),
}

/// A byte range of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Cursor over one frame.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    #[inline]
    pub const fn new(bytes: &'a [u8]) -> Scanner<'a> {
        Scanner { bytes, pos: 0 }
    }

    /// A scanner over `bytes` that starts at `pos` (used to come back to a recorded span).
    #[inline]
    pub const fn at(bytes: &'a [u8], pos: usize) -> Scanner<'a> {
        Scanner { bytes, pos }
    }

    #[inline]
    pub const fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` (a position a fast reader found; never past the end).
    #[inline]
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.bytes.len());
    }

    #[inline]
    pub const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b > b' ' || !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next significant byte, not consumed.
    #[inline(always)]
    pub fn peek(&mut self) -> Result<u8, Fault> {
        match self.bytes.get(self.pos) {
            // Gate frames are compact: the common case is no whitespace at all.
            Some(&b) if b > b' ' => Ok(b),
            _ => self.peek_after_ws(),
        }
    }

    /// [`Scanner::peek`] past whitespace, or at the end.
    #[inline(never)]
    fn peek_after_ws(&mut self) -> Result<u8, Fault> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(&b) => Ok(b),
            None => Err(self.end()),
        }
    }

    #[inline]
    fn end(&self) -> Fault {
        Fault::json(Malformation::UnexpectedEnd, self.bytes.len())
    }

    #[inline]
    fn unexpected(&self, at: usize) -> Fault {
        match self.bytes.get(at) {
            Some(&b) => Fault::json(Malformation::UnexpectedByte(b), at),
            None => self.end(),
        }
    }

    /// Consumes `b` after optional whitespace.
    #[inline]
    pub fn eat(&mut self, b: u8) -> Result<(), Fault> {
        if self.peek()? == b {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(self.pos))
        }
    }

    /// Only whitespace may follow the top-level value.
    #[inline]
    pub fn finish(&mut self) -> Result<(), Fault> {
        self.skip_ws();
        if self.pos < self.bytes.len() {
            Err(Fault::json(Malformation::TrailingBytes, self.pos))
        } else {
            Ok(())
        }
    }

    /// Reads a number and returns its exact text; the scanner must be at its first byte.
    #[inline(always)]
    pub fn number(&mut self) -> Result<&'a [u8], Fault> {
        self.skip_ws();
        let start = self.pos;
        let bytes = self.bytes;
        let mut i = start;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digit_run(bytes, i + 1),
            Some(_) => return Err(Fault::json(Malformation::InvalidNumber, i)),
            None => return Err(self.end()),
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            i = digits(bytes, i).ok_or_else(|| self.number_fault(i))?;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            i = digits(bytes, i).ok_or_else(|| self.number_fault(i))?;
        }
        self.pos = i;
        Ok(bytes.get(start..i).unwrap_or_default())
    }

    fn number_fault(&self, at: usize) -> Fault {
        if at >= self.bytes.len() {
            self.end()
        } else {
            Fault::json(Malformation::InvalidNumber, at)
        }
    }

    #[inline]
    fn literal(&mut self, word: &'static [u8]) -> Result<(), Fault> {
        let end = self.pos + word.len();
        match self.bytes.get(self.pos..end) {
            Some(found) if found == word => {
                self.pos = end;
                Ok(())
            }
            Some(_) => Err(self.unexpected(self.pos)),
            None => {
                // A cut-short literal is truncation if what is there matches so far.
                let rest = self.bytes.get(self.pos..).unwrap_or_default();
                if word.starts_with(rest) {
                    Err(self.end())
                } else {
                    Err(self.unexpected(self.pos))
                }
            }
        }
    }

    /// Reads any value; containers are skipped and returned as spans.
    #[inline]
    pub fn value(&mut self) -> Result<Value<'a>, Fault> {
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b'{' => {
                let start = self.pos;
                self.skip_value()?;
                Ok(Value::Object(Span {
                    start,
                    end: self.pos,
                }))
            }
            b'[' => {
                let start = self.pos;
                self.skip_value()?;
                Ok(Value::Array(Span {
                    start,
                    end: self.pos,
                }))
            }
            b't' => self.literal(b"true").map(|()| Value::Bool(true)),
            b'f' => self.literal(b"false").map(|()| Value::Bool(false)),
            b'n' => self.literal(b"null").map(|()| Value::Null),
            b'-' | b'0'..=b'9' => self.number().map(Value::Num),
            _ => Err(self.unexpected(self.pos)),
        }
    }

    /// Consumes `{`.
    #[inline]
    pub fn begin_object(&mut self) -> Result<(), Fault> {
        self.eat(b'{')
    }

    /// The next member's key (the `:` consumed), or `None` at the closing `}` (consumed).
    /// `first` must start `true` for each object.
    #[inline(always)]
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<JsonStr<'a>>, Fault> {
        // Compact frames: `,"key":` (`"key":` first) with a plain key, read in one go, and
        // the closing brace; anything else (whitespace, escapes, errors) the general way.
        let bytes = self.bytes;
        let quote = match bytes.get(self.pos) {
            Some(b',') if !*first => self.pos + 1,
            Some(b'"') if *first => self.pos,
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            _ => return self.next_key_general(first),
        };
        if bytes.get(quote) == Some(&b'"') {
            let start = quote + 1;
            let rest = bytes.get(start..).unwrap_or_default();
            if let Some(len) = quote_or_backslash(rest)
                && rest.get(len) == Some(&b'"')
                && rest.get(len + 1) == Some(&b':')
            {
                *first = false;
                self.pos = start + len + 2;
                return Ok(Some(JsonStr {
                    raw: rest.get(..len).unwrap_or_default(),
                    escaped: false,
                    at: quote,
                }));
            }
        }
        self.next_key_general(first)
    }

    /// Consumes the next member's key when it is exactly `pattern`, which is
    /// `,"key":` (the comma left out for the first member), with no whitespace; `false`,
    /// consuming nothing, for anything else. For decoders that expect a venue's member
    /// order: one comparison per member instead of a key search and a match, and a miss
    /// sends them to [`Scanner::next_key`], which reads the same member (the key must
    /// need no escapes, so both agree on what matches).
    #[inline(always)]
    pub fn eat_member(&mut self, first: &mut bool, pattern: &[u8]) -> bool {
        let expected = if *first {
            pattern.get(1..).unwrap_or_default()
        } else {
            pattern
        };
        let end = self.pos + expected.len();
        match self.bytes.get(self.pos..end) {
            Some(found) if same_bytes(found, expected) => {
                self.pos = end;
                *first = false;
                true
            }
            _ => false,
        }
    }

    /// [`Scanner::next_key`] for any spacing, and the end of the object.
    #[inline(never)]
    fn next_key_general(&mut self, first: &mut bool) -> Result<Option<JsonStr<'a>>, Fault> {
        let b = self.peek()?;
        if b == b'}' {
            self.pos += 1;
            return Ok(None);
        }
        if *first {
            *first = false;
        } else if b == b',' {
            self.pos += 1;
        } else {
            return Err(self.unexpected(self.pos));
        }
        let key = self.string()?;
        match self.bytes.get(self.pos) {
            Some(b':') => self.pos += 1,
            _ => self.eat(b':')?,
        }
        Ok(Some(key))
    }

    /// Consumes `[`.
    #[inline]
    pub fn begin_array(&mut self) -> Result<(), Fault> {
        self.eat(b'[')
    }

    /// Whether another element follows (the separator consumed); the closing `]` is
    /// consumed when it returns `false`. `first` must start `true` for each array.
    #[inline]
    pub fn next_item(&mut self, first: &mut bool) -> Result<bool, Fault> {
        let b = self.peek()?;
        if b == b']' {
            self.pos += 1;
            return Ok(false);
        }
        if *first {
            *first = false;
            return Ok(true);
        }
        if b == b',' {
            self.pos += 1;
            // A trailing comma is not JSON.
            if self.peek()? == b']' {
                return Err(self.unexpected(self.pos));
            }
            Ok(true)
        } else {
            Err(self.unexpected(self.pos))
        }
    }

    /// True (and consumed) when the next value is `null`.
    #[inline]
    pub fn null(&mut self) -> Result<bool, Fault> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

/// `found == expected` for slices of equal length. Member patterns are 8 to 16 bytes:
/// two overlapping eight-byte words each (the pattern's are constants once inlined)
/// instead of a call to `memcmp`.
#[inline(always)]
fn same_bytes(found: &[u8], expected: &[u8]) -> bool {
    let len = expected.len();
    if found.len() != len || !(8..=16).contains(&len) {
        return found == expected;
    }
    let word = |bytes: &[u8], at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes.get(at..at + 8).unwrap_or(&[0; 8]));
        u64::from_le_bytes(word)
    };
    word(found, 0) == word(expected, 0) && word(found, len - 8) == word(expected, len - 8)
}

/// `0x80` in the lowest zero byte of `word` (and possibly in higher bytes above it).
#[inline(always)]
const fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & (ONES * 0x80)
}

/// `0x01` in every byte.
const ONES: u64 = u64::MAX / 0xFF;

/// Position after one or more digits starting at `i`, or `None` when there is none.
#[inline]
fn digits(bytes: &[u8], i: usize) -> Option<usize> {
    let end = digit_run(bytes, i);
    if end == i { None } else { Some(end) }
}

/// Position after the digits (maybe none) starting at `i`, eight bytes at a time.
#[inline(always)]
pub fn digit_run(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // Digits map to 0..=9; a byte is flagged when it is above 9 or has its top bit.
        let values = u64::from_le_bytes(word) ^ (ONES * u64::from(b'0'));
        let high = ONES * 0x80;
        let others = (((values & !high) + ONES * 0x76) | values) & high;
        if others != 0 {
            return i + others.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while matches!(bytes.get(i), Some(b'0'..=b'9')) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests;
