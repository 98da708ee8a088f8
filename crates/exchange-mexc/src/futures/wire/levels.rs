//! Depth levels `[price, contracts, orderCount]` as JSON numbers, read straight from the
//! frame. A depth push records where its two level arrays are; they are decoded with
//! full grammar checks only when applied (or buffered), so a push is read once.

use json_scan::read;
use json_scan::{Fault, FieldError, Malformation, Scanner, Span};
use market_types::{Decimal, Price, Quantity, Side};

/// One level of a depth push or snapshot; `quantity` is absolute (0 removes the level),
/// in contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthLevel {
    /// Book side.
    pub side: Side,
    /// Price.
    pub price: Price,
    /// Contracts at the price (multiply by [`crate::futures::ContractDetail::contract_size`]
    /// for the base amount).
    pub quantity: Quantity,
    /// Orders at the price (0 when the level does not say).
    pub orders: u64,
}

/// The extent of a level array at the scanner. Compact arrays of number triples end at
/// the first `]]` (found eight bytes at a time); anything else (spaces, an empty array)
/// is bracket-counted. The levels are checked when read: a read that does not end
/// exactly at the span's end is an error, so a misplaced end is never trusted.
#[inline]
pub(crate) fn skip_levels(sc: &mut Scanner<'_>) -> Result<Span, Fault> {
    let bytes = sc.bytes();
    let start = sc.pos();
    if bytes.get(start) == Some(&b'[')
        && bytes.get(start + 1) == Some(&b'[')
        && let Some(end) = compact_levels_end(bytes, start + 2)
    {
        sc.set_pos(end);
        return Ok(Span { start, end });
    }
    if sc.peek()? != b'[' {
        return Err(Fault::invalid(
            "levels",
            FieldError::ExpectedArray,
            sc.pos(),
        ));
    }
    sc.skip_container_fast()
}

/// After the first `]]` from `i`, when every `]` before it is followed by `,`. A word
/// at a time: a `]` whose next byte (the flag one byte up) is not `,` stops the search,
/// with no branch per level; a word's top byte has its next byte in the following word,
/// so words step seven bytes. The lowest stop is exact: a false `]` flag (`\`
/// above a `]`) sits above a real stop, and a `,` flag above a real `]` has no borrow
/// below it.
#[inline(always)]
pub(super) fn compact_levels_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = u64::MAX / 0xFF;
    const HIGH: u64 = ONES * 0x80;
    const LOW_SEVEN: u64 = HIGH >> 8;
    const CLOSES: u64 = ONES * b']' as u64;
    const COMMAS: u64 = ONES * b',' as u64;
    // The stops among the low seven bytes of `word`.
    let stops = |word: u64| {
        let (x, y) = (word ^ CLOSES, word ^ COMMAS);
        let closes = x.wrapping_sub(ONES) & !x & HIGH;
        let commas = y.wrapping_sub(ONES) & !y & HIGH;
        closes & !(commas >> 8) & LOW_SEVEN
    };
    // Two words of one sixteen-byte read per round: fourteen bytes for one bounds check
    // and one branch.
    while let Some(chunk) = bytes.get(i..i + 16) {
        let mut block = [0u8; 16];
        block.copy_from_slice(chunk);
        let block = u128::from_le_bytes(block);
        let (first, second) = (stops(block as u64), stops((block >> 56) as u64));
        if first | second != 0 {
            let lowest = if first != 0 {
                first.trailing_zeros()
            } else {
                56 + second.trailing_zeros()
            };
            i += lowest as usize / 8;
            return (bytes.get(i + 1) == Some(&b']')).then_some(i + 2);
        }
        i += 14;
    }
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = stops(u64::from_le_bytes(word));
        if found != 0 {
            i += found.trailing_zeros() as usize / 8;
            return (bytes.get(i + 1) == Some(&b']')).then_some(i + 2);
        }
        i += 7;
    }
    // The last bytes, one at a time.
    loop {
        let rest = bytes.get(i..)?;
        i += rest.iter().position(|&b| b == b']')?;
        match bytes.get(i + 1) {
            Some(b']') => return Some(i + 2),
            Some(b',') => i += 2,
            _ => return None,
        }
    }
}

/// Reads the levels of `span` (as [`skip_levels`] found it) one by one.
#[derive(Debug, Clone)]
pub(crate) struct Levels<'a> {
    sc: Scanner<'a>,
    end: usize,
    side: Side,
    first: bool,
    done: bool,
}

impl<'a> Levels<'a> {
    #[inline]
    pub(crate) fn new(bytes: &'a [u8], span: Span, side: Side) -> Levels<'a> {
        Levels {
            sc: Scanner::at(bytes, span.start),
            end: span.end,
            side,
            first: true,
            done: span.start == span.end,
        }
    }

    /// The next level, `Ok(None)` after the last one.
    #[inline(always)]
    pub(crate) fn next_level(&mut self) -> Result<Option<DepthLevel>, Fault> {
        if self.done {
            return Ok(None);
        }
        // Compact levels (`[[p,c,n],[p,c,n]…`) in one pass over the bytes; anything else
        // (spaces, strings, exponents, the end) the scanner's way.
        let bytes = self.sc.bytes();
        let pos = self.sc.pos();
        let lead = if self.first { b'[' } else { b',' };
        if bytes.get(pos) == Some(&lead)
            && bytes.get(pos + 1) == Some(&b'[')
            && let Some((price, quantity, orders, end)) = compact_level(bytes, pos + 2)
        {
            self.first = false;
            self.sc.set_pos(end);
            return Ok(Some(DepthLevel {
                side: self.side,
                price: Price::new(price),
                quantity: Quantity::new(quantity),
                orders,
            }));
        }
        self.next_level_general()
    }

    /// [`Levels::next_level`] for any spacing and spelling, and the end of the array.
    #[inline(never)]
    fn next_level_general(&mut self) -> Result<Option<DepthLevel>, Fault> {
        if self.first {
            self.sc.begin_array()?;
        }
        if !self.sc.next_item(&mut self.first)? {
            self.done = true;
            if self.sc.pos() != self.end {
                return Err(Fault::json(Malformation::TrailingBytes, self.sc.pos()));
            }
            return Ok(None);
        }
        level(&mut self.sc, self.side).map(Some)
    }
}

/// `price,contracts,orders]` or `price,contracts]` from `at` (just after the level's
/// `[`), numbers bare; the position after the `]`. `None` for any other shape, which the
/// general reader then decides (the quick readers accept nothing it refuses).
#[inline(always)]
fn compact_level(bytes: &[u8], at: usize) -> Option<(Decimal, Decimal, u64, usize)> {
    let (price, end) = read::quick_bare_decimal(bytes, at)?;
    if bytes.get(end) != Some(&b',') {
        return None;
    }
    let (quantity, end) = read::quick_bare_decimal(bytes, end + 1)?;
    match bytes.get(end) {
        Some(b']') => Some((price, quantity, 0, end + 1)),
        Some(b',') => {
            // Mostly a single digit: no word read for it.
            if let (Some(&digit @ b'0'..=b'9'), Some(b']')) =
                (bytes.get(end + 1), bytes.get(end + 2))
            {
                return Some((price, quantity, u64::from(digit - b'0'), end + 3));
            }
            let (orders, end) = read::quick_uint(bytes, end + 1, false, false)?;
            (bytes.get(end) == Some(&b']')).then_some((price, quantity, orders, end + 1))
        }
        _ => None,
    }
}

/// `[price, contracts(, orderCount, ...)]`.
#[inline(always)]
fn level(sc: &mut Scanner<'_>, side: Side) -> Result<DepthLevel, Fault> {
    sc.begin_array()?;
    let mut first = true;
    if !sc.next_item(&mut first)? {
        return Err(Fault::invalid("level", FieldError::BadLevel, sc.pos()));
    }
    let price = read::price(sc, "price")?;
    if !sc.next_item(&mut first)? {
        return Err(Fault::invalid("level", FieldError::BadLevel, sc.pos()));
    }
    let quantity = read::quantity(sc, "contracts")?;
    let mut orders = 0;
    if sc.next_item(&mut first)? {
        orders = read::uint(sc, "orderCount")?;
        while sc.next_item(&mut first)? {
            sc.skip_value()?;
        }
    }
    Ok(DepthLevel {
        side,
        price,
        quantity,
        orders,
    })
}

/// Every level of both sides, asks first, into `f`; stops at the first error.
#[inline(always)]
pub(crate) fn for_each_level<E: From<Fault>>(
    bytes: &[u8],
    asks: Span,
    bids: Span,
    mut f: impl FnMut(DepthLevel) -> Result<(), E>,
) -> Result<(), E> {
    for (span, side) in [(asks, Side::Sell), (bids, Side::Buy)] {
        let mut levels = Levels::new(bytes, span, side);
        while let Some(level) = levels.next_level()? {
            f(level)?;
        }
    }
    Ok(())
}
