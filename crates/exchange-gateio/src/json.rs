//! A borrowed, allocation-free JSON scanner specialised for Gate frames.
//!
//! It never builds a DOM: callers walk objects key by key and read the values they want
//! (strings as borrowed bytes, numbers as their exact text). Values of members nobody
//! asked for are skipped with full grammar checks, bounded in nesting depth so hostile
//! input cannot exhaust the stack. Every method returns a [`Fault`] instead of panicking;
//! there is no unchecked indexing.
//!
//! Duplicate keys are not an error here (the venue's own docs repeat `id_market`); the
//! decoders decide per field whether the last value wins or the frame is refused.

use crate::error::Malformation;

/// A decode failure at a byte offset; turned into a public [`crate::Error`] with context
/// (channel, pair, raw snippet) at the module boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    pub(crate) kind: FaultKind,
    pub(crate) at: usize,
}

/// What went wrong, before context is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// The bytes are not valid JSON (or are cut short).
    Json(Malformation),
    /// A required member is absent.
    Missing(&'static str),
    /// A member is present but its value is unusable.
    Invalid(&'static str, crate::error::FieldError),
    /// A member that must be unique appeared twice.
    Duplicate(&'static str),
}

impl Fault {
    #[inline]
    pub(crate) const fn json(kind: Malformation, at: usize) -> Fault {
        Fault {
            kind: FaultKind::Json(kind),
            at,
        }
    }

    #[inline]
    pub(crate) const fn missing(field: &'static str, at: usize) -> Fault {
        Fault {
            kind: FaultKind::Missing(field),
            at,
        }
    }

    #[inline]
    pub(crate) const fn invalid(
        field: &'static str,
        error: crate::error::FieldError,
        at: usize,
    ) -> Fault {
        Fault {
            kind: FaultKind::Invalid(field, error),
            at,
        }
    }

    #[inline]
    pub(crate) const fn duplicate(field: &'static str, at: usize) -> Fault {
        Fault {
            kind: FaultKind::Duplicate(field),
            at,
        }
    }
}

/// A JSON string as it appears in the frame, without its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonStr<'a> {
    /// The raw bytes between the quotes (escapes not decoded).
    pub(crate) raw: &'a [u8],
    /// Whether the raw bytes contain a backslash escape.
    pub(crate) escaped: bool,
    /// Offset of the opening quote in the frame.
    pub(crate) at: usize,
}

impl<'a> JsonStr<'a> {
    /// The bytes, when they need no unescaping (identifiers, numbers, enum words).
    #[inline]
    pub(crate) fn plain(&self) -> Option<&'a [u8]> {
        if self.escaped { None } else { Some(self.raw) }
    }

    /// The decoded text (allocates only when the string has escapes); invalid UTF-8 or
    /// escapes are replaced rather than refused, because this is used for messages only.
    pub(crate) fn to_text(self) -> String {
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

/// One scalar or the extent of one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
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
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Cursor over one frame.
#[derive(Debug, Clone)]
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    #[inline]
    pub(crate) const fn new(bytes: &'a [u8]) -> Scanner<'a> {
        Scanner { bytes, pos: 0 }
    }

    /// A scanner over `bytes` that starts at `pos` (used to come back to a recorded span).
    #[inline]
    pub(crate) const fn at(bytes: &'a [u8], pos: usize) -> Scanner<'a> {
        Scanner { bytes, pos }
    }

    #[inline]
    pub(crate) const fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` (a position a fast reader found; never past the end).
    #[inline]
    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.bytes.len());
    }

    #[inline]
    pub(crate) const fn bytes(&self) -> &'a [u8] {
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
    pub(crate) fn peek(&mut self) -> Result<u8, Fault> {
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
    pub(crate) fn eat(&mut self, b: u8) -> Result<(), Fault> {
        if self.peek()? == b {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(self.pos))
        }
    }

    /// Only whitespace may follow the top-level value.
    pub(crate) fn finish(&mut self) -> Result<(), Fault> {
        self.skip_ws();
        if self.pos < self.bytes.len() {
            Err(Fault::json(Malformation::TrailingBytes, self.pos))
        } else {
            Ok(())
        }
    }

    /// Reads a string; the scanner must be at its opening quote (after whitespace).
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Result<JsonStr<'a>, Fault> {
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

    /// Reads a number and returns its exact text; the scanner must be at its first byte.
    #[inline]
    pub(crate) fn number(&mut self) -> Result<&'a [u8], Fault> {
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
    pub(crate) fn value(&mut self) -> Result<Value<'a>, Fault> {
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

    /// Skips one value of any kind with full grammar checks.
    #[inline]
    pub(crate) fn skip_value(&mut self) -> Result<(), Fault> {
        // Scalars, what unread members almost always hold, without the recursion.
        match self.bytes.get(self.pos) {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            _ => self.skip_nested(0),
        }
    }

    fn skip_nested(&mut self, depth: u32) -> Result<(), Fault> {
        match self.peek()? {
            b'{' => {
                if depth >= MAX_DEPTH {
                    return Err(Fault::json(Malformation::TooDeep, self.pos));
                }
                self.pos += 1;
                let mut first = true;
                while self.next_key(&mut first)?.is_some() {
                    self.skip_member(depth + 1)?;
                }
                Ok(())
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return Err(Fault::json(Malformation::TooDeep, self.pos));
                }
                self.pos += 1;
                let mut first = true;
                while self.next_item(&mut first)? {
                    self.skip_member(depth + 1)?;
                }
                Ok(())
            }
            b'"' => self.string().map(|_| ()),
            _ => self.value().map(|_| ()),
        }
    }

    /// [`Scanner::skip_nested`] for a member or element: the scalars (almost all of
    /// them) without another call.
    #[inline(always)]
    fn skip_member(&mut self, depth: u32) -> Result<(), Fault> {
        let bytes = self.bytes;
        match bytes.get(self.pos) {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9') => {
                // Integers without a leading zero (ids, times, sizes) end at the first
                // non-digit; anything else is the full number grammar's.
                let i = self.pos + usize::from(bytes.get(self.pos) == Some(&b'-'));
                if matches!(bytes.get(i), Some(b'1'..=b'9')) {
                    let end = digit_run(bytes, i + 1);
                    if !matches!(bytes.get(end), Some(b'.' | b'e' | b'E')) {
                        self.pos = end;
                        return Ok(());
                    }
                }
                self.number().map(|_| ())
            }
            Some(b't') if bytes.get(self.pos..self.pos + 4) == Some(b"true") => {
                self.pos += 4;
                Ok(())
            }
            Some(b'f') if bytes.get(self.pos..self.pos + 5) == Some(b"false") => {
                self.pos += 5;
                Ok(())
            }
            _ => self.skip_nested(depth),
        }
    }

    /// Skips a container quickly by bracket counting, honouring strings. Used for the
    /// book's level arrays, which are decoded with full checks later; bracket kinds are
    /// not matched here.
    pub(crate) fn skip_container_fast(&mut self) -> Result<Span, Fault> {
        let start = self.pos;
        let bytes = self.bytes;
        let mut i = start;
        let mut depth: u32 = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => {
                    i += 1;
                    loop {
                        match bytes.get(i) {
                            None => return Err(self.end()),
                            Some(b'"') => break,
                            Some(b'\\') => i += 2,
                            Some(_) => i += 1,
                        }
                    }
                }
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(Fault::json(Malformation::TooDeep, i));
                    }
                }
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.pos = i + 1;
                        return Ok(Span {
                            start,
                            end: self.pos,
                        });
                    }
                }
                _ => {}
            }
            i += 1;
        }
        Err(self.end())
    }

    /// The extent of the array (or object) at the scanner, for items decoded with full
    /// checks later by [`crate::wire::Items`]: only the brackets outside strings are
    /// counted, nothing else is checked. A walk of well-formed JSON ends exactly where
    /// this count does, and the iterator reports an error for anything else.
    ///
    /// An array of flat objects without spaces or escapes (trade pushes) is stepped
    /// through member by member; anything else is left to [`Scanner::skip_container_fast`].
    #[inline]
    pub(crate) fn skip_items_lazy(&mut self) -> Result<Span, Fault> {
        let start = self.pos;
        match flat_array_end(self.bytes, start) {
            Some(end) => {
                self.pos = end;
                Ok(Span { start, end })
            }
            None => self.skip_container_fast(),
        }
    }

    /// Consumes `{`.
    #[inline]
    pub(crate) fn begin_object(&mut self) -> Result<(), Fault> {
        self.eat(b'{')
    }

    /// The next member's key (the `:` consumed), or `None` at the closing `}` (consumed).
    /// `first` must start `true` for each object.
    #[inline(always)]
    pub(crate) fn next_key(&mut self, first: &mut bool) -> Result<Option<JsonStr<'a>>, Fault> {
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
    pub(crate) fn begin_array(&mut self) -> Result<(), Fault> {
        self.eat(b'[')
    }

    /// Whether another element follows (the separator consumed); the closing `]` is
    /// consumed when it returns `false`. `first` must start `true` for each array.
    #[inline]
    pub(crate) fn next_item(&mut self, first: &mut bool) -> Result<bool, Fault> {
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
    pub(crate) fn null(&mut self) -> Result<bool, Fault> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

/// Offset of the first `"` or `\` in `text`, eight bytes at a time (SWAR). Gate strings
/// are short (keys, prices, pairs) and almost never escaped, so one or two words settle
/// it without a call.
#[inline(always)]
fn quote_or_backslash(text: &[u8]) -> Option<usize> {
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

/// Where the compact array of flat objects at `i` ends, `[{"k":v,…},…]` with scalar
/// values (unescaped strings, digit runs with an optional fraction, `true`, `false`,
/// `null`), no spaces: the position after its `]`. Values are not checked beyond what
/// finds their end, so this is where a bracket count outside strings ends too. `None` for
/// any other shape.
#[inline]
fn flat_array_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    if bytes.get(i) == Some(&b']') {
        return Some(i + 1);
    }
    loop {
        if bytes.get(i) != Some(&b'{') {
            return None;
        }
        i += 1;
        if bytes.get(i) == Some(&b'}') {
            i += 1;
        } else {
            loop {
                // `"key":`
                if bytes.get(i) != Some(&b'"') {
                    return None;
                }
                let rest = bytes.get(i + 1..)?;
                let len = quote_or_backslash(rest)?;
                if rest.get(len) != Some(&b'"') || rest.get(len + 1) != Some(&b':') {
                    return None;
                }
                i += len + 3;
                match *bytes.get(i)? {
                    b'"' => {
                        let rest = bytes.get(i + 1..)?;
                        let len = quote_or_backslash(rest)?;
                        if rest.get(len) != Some(&b'"') {
                            return None;
                        }
                        i += len + 2;
                    }
                    b'-' | b'0'..=b'9' => {
                        i = digit_run(bytes, i + 1);
                        if bytes.get(i) == Some(&b'.') {
                            i = digit_run(bytes, i + 1);
                        }
                    }
                    b't' if bytes.get(i..i + 4) == Some(b"true") => i += 4,
                    b'f' if bytes.get(i..i + 5) == Some(b"false") => i += 5,
                    b'n' if bytes.get(i..i + 4) == Some(b"null") => i += 4,
                    _ => return None,
                }
                match *bytes.get(i)? {
                    b',' => i += 1,
                    b'}' => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        match *bytes.get(i)? {
            b',' => i += 1,
            b']' => return Some(i + 1),
            _ => return None,
        }
    }
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
pub(crate) fn digit_run(bytes: &[u8], mut i: usize) -> usize {
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

/// Nesting bound for skipped values: Gate frames nest four levels at most.
const MAX_DEPTH: u32 = 32;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn walks_objects_and_arrays() {
        let text = br#" { "a" : "x\"y" , "b":[1, -2.5e3, true, null, {"c":[]}], "d": {} } "#;
        let mut sc = Scanner::new(text);
        sc.begin_object().unwrap();
        let mut first = true;
        let key = sc.next_key(&mut first).unwrap().unwrap();
        assert_eq!(key.raw, b"a");
        let value = sc.string().unwrap();
        assert!(value.escaped);
        assert_eq!(value.to_text(), "x\"y");
        assert_eq!(sc.next_key(&mut first).unwrap().unwrap().raw, b"b");
        assert!(matches!(sc.value().unwrap(), Value::Array(_)));
        assert_eq!(sc.next_key(&mut first).unwrap().unwrap().raw, b"d");
        sc.skip_value().unwrap();
        assert_eq!(sc.next_key(&mut first).unwrap(), None);
        sc.finish().unwrap();
    }

    #[test]
    fn numbers_keep_their_text() {
        for (text, expect) in [
            (&b"0"[..], &b"0"[..]),
            (b"-1.25e-8,", b"-1.25e-8"),
            (b"40000.36666661111}", b"40000.36666661111"),
            (b"12E+3", b"12E+3"),
        ] {
            assert_eq!(Scanner::new(text).number().unwrap(), expect);
        }
        for text in [&b"-"[..], b"1.", b"1e", b".5", b"-x"] {
            assert!(Scanner::new(text).number().is_err(), "{text:?}");
        }
    }

    #[test]
    fn refuses_bad_grammar() {
        for text in [
            &br#"{"a":1,}"#[..],
            br#"[1,]"#,
            br#"{"a" 1}"#,
            br#"{"a":tru}"#,
            br#"{"a":"\q"}"#,
            br#"{"a":"\u12G4"}"#,
            br#"{"a":[1 2]}"#,
            br#"{"a":1"#,
        ] {
            let mut sc = Scanner::new(text);
            assert!(
                sc.skip_value().and_then(|()| sc.finish()).is_err(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(100) + &"]".repeat(100);
        let fault = Scanner::new(deep.as_bytes()).skip_value().unwrap_err();
        assert_eq!(fault.kind, FaultKind::Json(Malformation::TooDeep));
        let fault = Scanner::new(deep.as_bytes())
            .skip_container_fast()
            .unwrap_err();
        assert_eq!(fault.kind, FaultKind::Json(Malformation::TooDeep));
    }

    #[test]
    fn strings_of_every_length_and_escape_position() {
        for len in 0..40 {
            let body: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let text = format!("\"{body}\",1");
            let mut sc = Scanner::new(text.as_bytes());
            let s = sc.string().unwrap();
            assert_eq!(s.raw, body.as_bytes());
            assert!(!s.escaped);
            assert_eq!(sc.pos(), len + 2);
            for at in 0..len {
                let mut escaped = body.clone();
                escaped.insert_str(at, "\\\"");
                let text = format!("\"{escaped}\",1");
                let mut sc = Scanner::new(text.as_bytes());
                let s = sc.string().unwrap();
                assert!(s.escaped);
                assert_eq!(s.raw, escaped.as_bytes());
                assert_eq!(sc.pos(), escaped.len() + 2);
            }
            let cut = format!("\"{body}");
            assert!(Scanner::new(cut.as_bytes()).string().is_err());
        }
    }

    #[test]
    fn digit_runs_of_every_length() {
        for len in 0..40 {
            for tail in ["", "x", ".5", "e", "/", ":", "\u{80}"] {
                let text = format!("{}{tail}", "7".repeat(len));
                for start in 0..=len {
                    assert_eq!(digit_run(text.as_bytes(), start), len, "{text} {start}");
                }
            }
        }
    }

    /// A bracket count that ends where the grammar-checked skip does on every container
    /// the grammar accepts, fast member-by-member path or not.
    #[test]
    fn lazy_item_skip_ends_where_the_grammar_does() {
        let texts = [
            &br#"[]"#[..],
            br#"[{}]"#,
            br#"[{"size":-108,"id":27753479,"price":"96.4","is_internal":true,"x":null},{"a":false}]"#,
            br#"[{"a":1.5,"b":"]}\"{["},{"c":[1,{"d":"}"}],"e":1e3}]"#,
            br#"[ {"a" : 1} , {"b":"x\\"} ]"#,
            br#"{"size":1,"id":2}"#,
            br#"[{"a":"]"},{"b":0}]"#,
            br#"[{"k":"long string value over eight bytes","kk":"\\\\"}]"#,
        ];
        for text in texts {
            let mut padded = text.to_vec();
            padded.extend_from_slice(br#","tail":[1]}"#);
            let mut lazy = Scanner::new(&padded);
            let span = lazy.skip_items_lazy().unwrap();
            let mut strict = Scanner::new(&padded);
            strict.skip_value().unwrap();
            assert_eq!(span.end, strict.pos(), "{}", String::from_utf8_lossy(text));
            assert_eq!(lazy.pos(), strict.pos());
            // Cut short anywhere inside, the count never ends.
            for cut in 0..text.len() {
                let cut = text.get(..cut).unwrap();
                assert!(Scanner::new(cut).skip_items_lazy().is_err(), "{cut:?}");
            }
        }
        // Mutations: whenever the grammar accepts the container, the count agrees.
        let base = br#"[{"size":-108,"id":27753479,"create_time":1545136464,"price":"96.4","contract":"BTC_USD","is_internal":true},{"a":[1,{"b":"""}]}],"x":[]}"#;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let structural = b"{}[]\",:\\-.0e t";
        for _ in 0..20_000 {
            let mut text = base.to_vec();
            for _ in 0..1 + next() % 3 {
                let at = (next() % text.len() as u64) as usize;
                text[at] = structural[(next() % structural.len() as u64) as usize];
            }
            // Callers only hand it containers.
            let container = matches!(text.first(), Some(b'[' | b'{'));
            let mut strict = Scanner::new(&text);
            if container && strict.skip_value().is_ok() {
                let mut lazy = Scanner::new(&text);
                let span = lazy.skip_items_lazy().unwrap();
                assert_eq!(span.end, strict.pos(), "{}", String::from_utf8_lossy(&text));
            }
        }
    }

    #[test]
    fn fast_skip_honours_strings() {
        let text = br#"[["1]", "2"], ["3", "4\"]"]], "next""#;
        let mut sc = Scanner::new(text);
        let span = sc.skip_container_fast().unwrap();
        assert_eq!(
            &text[span.start..span.end],
            br#"[["1]", "2"], ["3", "4\"]"]]"#
        );
    }
}
