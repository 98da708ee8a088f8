//! Skipping values nobody asked for: with full grammar checks and bounded nesting, or
//! by bracket counting where the items are checked later.

use super::fault::{Fault, Malformation};
use super::{Scanner, Span, digit_run, quote_or_backslash};

impl<'a> Scanner<'a> {
    /// Skips one value of any kind with full grammar checks.
    #[inline]
    pub fn skip_value(&mut self) -> Result<(), Fault> {
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
    #[inline]
    pub fn skip_container_fast(&mut self) -> Result<Span, Fault> {
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
    /// checks later by the caller (Gate's `wire::Items`): only the brackets outside strings are
    /// counted, nothing else is checked. A walk of well-formed JSON ends exactly where
    /// this count does, and the iterator reports an error for anything else.
    ///
    /// An array of flat objects without spaces or escapes (trade pushes) is stepped
    /// through member by member; anything else is left to [`Scanner::skip_container_fast`].
    #[inline]
    pub fn skip_items_lazy(&mut self) -> Result<Span, Fault> {
        let start = self.pos;
        match flat_array_end(self.bytes, start) {
            Some(end) => {
                self.pos = end;
                Ok(Span { start, end })
            }
            None => self.skip_container_fast(),
        }
    }
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

/// Nesting bound for skipped values: Gate frames nest four levels at most.
const MAX_DEPTH: u32 = 32;
