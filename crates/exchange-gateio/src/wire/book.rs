//! Order-book messages: incremental pushes, snapshot pushes and the REST snapshot.

use market_types::{Decimal, Price, Quantity, Symbol};

use super::read;
use crate::error::{Error, FieldError};
use crate::json::{Fault, Scanner};
use crate::venue::Channel;

/// One `spot.order_book_update` / `futures.order_book_update` push (also `spot.obu` and
/// `futures.obu`, whose stream name is turned into the pair).
///
/// Spec §3.4 (spot, G1 "Changed order book levels") and §4.3 (futures):
///
/// ```json
/// {"t":1606294781123,"full":true,"l":"100","e":"depthUpdate","E":1606294781,
///  "s":"BTC_USDT","U":48776301,"u":48776306,
///  "b":[["19137.74","0.0001"],["19088.37","0"]],"a":[["19137.75","0.6135"]]}
/// {"t":1615366381417,"s":"BTC_USD","U":2517661101,"u":2517661113,
///  "b":[{"p":"54672.1","s":0}],"a":[{"p":"54742","s":95}],"l":"100"}
/// ```
///
/// The level arrays are kept as raw text and decoded on iteration, straight into
/// whatever consumes them (the book): no intermediate `Vec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderBookUpdate<'a> {
    /// The channel it came on.
    pub channel: Channel,
    /// Pair or contract.
    pub symbol: Symbol,
    /// `U`, first update id covered (absent in `obu` full pushes).
    pub first_update_id: Option<u64>,
    /// `u`, last update id covered.
    pub last_update_id: u64,
    /// `full: true`: a complete snapshot that replaces the book.
    pub full: bool,
    /// `t`, venue time in milliseconds (0 when absent).
    pub time_ms: u64,
    /// `l`, the stream depth, when sent.
    pub depth: Option<u32>,
    /// `b`, changed bids.
    pub bids: RawLevels<'a>,
    /// `a`, changed asks.
    pub asks: RawLevels<'a>,
}

/// A full book: the REST snapshot (`GET /spot/order_book?…&with_id=true`,
/// `GET /futures/usdt/order_book?…&with_id=true`, spec §3.5, §4.3) or a `spot.order_book`
/// / `futures.order_book` push.
///
/// ```json
/// {"id":123456,"current":1623898993123,"update":1623898993121,
///  "asks":[["1.52","1.151"]],"bids":[["1.17","201.863"]]}
/// {"id":123456,"current":1623898993.123,"update":1623898993.121,
///  "asks":[{"p":"1.52","s":100}],"bids":[{"p":"1.17","s":150}]}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookSnapshot<'a> {
    /// Pair or contract, when the message names it (pushes do, REST does not).
    pub symbol: Option<Symbol>,
    /// The book id (`id`, or `lastUpdateId` on `spot.order_book`).
    pub update_id: u64,
    /// Venue time in milliseconds, when sent (`t`, or REST `update`).
    pub time_ms: Option<u64>,
    /// Bids, best first.
    pub bids: RawLevels<'a>,
    /// Asks, best first.
    pub asks: RawLevels<'a>,
}

/// A JSON array of book levels, `[["price","size"],…]` or `[{"p":"price","s":size},…]`,
/// decoded lazily. Sizes may be strings or JSON numbers, integer or decimal.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawLevels<'a> {
    text: &'a [u8],
}

impl<'a> RawLevels<'a> {
    /// No levels.
    pub const EMPTY: RawLevels<'static> = RawLevels { text: b"[]" };

    /// Wraps the text of a level array (as stored by a buffer); it is checked when iterated.
    pub const fn from_json(text: &'a [u8]) -> RawLevels<'a> {
        RawLevels { text }
    }

    /// The raw JSON text of the array.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.text
    }

    /// True when the array has no element.
    pub fn is_empty(&self) -> bool {
        let mut sc = Scanner::new(self.text);
        let mut first = true;
        !matches!(
            sc.begin_array().and_then(|()| sc.next_item(&mut first)),
            Ok(true)
        )
    }

    /// The levels in wire order; each item is `(price, size)` or the decode error.
    pub fn iter(&self) -> LevelIter<'a> {
        LevelIter {
            sc: Scanner::new(self.text),
            state: IterState::Start,
        }
    }
}

impl core::fmt::Debug for RawLevels<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RawLevels({})", String::from_utf8_lossy(self.text))
    }
}

impl<'a> IntoIterator for RawLevels<'a> {
    type Item = Result<(Price, Quantity), Error>;
    type IntoIter = LevelIter<'a>;

    fn into_iter(self) -> LevelIter<'a> {
        self.iter()
    }
}

/// Iterator over [`RawLevels`]; stops after the first error.
#[derive(Debug, Clone)]
pub struct LevelIter<'a> {
    sc: Scanner<'a>,
    state: IterState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IterState {
    Start,
    Items { first: bool },
    Done,
}

impl LevelIter<'_> {
    /// The next level, or `None` at the end; faults carry offsets into the array text.
    #[inline]
    pub(crate) fn next_level(&mut self) -> Result<Option<(Price, Quantity)>, Fault> {
        self.read_level()
    }

    /// [`LevelIter::next_level`]'s body, forced into [`Iterator::next`]: the inliner
    /// stopped placing it there on its own once the scanner's readers moved to their own
    /// modules (one call per level, about 4 % of a book decode).
    #[inline(always)]
    fn read_level(&mut self) -> Result<Option<(Price, Quantity)>, Fault> {
        let mut first = match self.state {
            IterState::Done => return Ok(None),
            IterState::Start => {
                self.state = IterState::Done;
                self.sc.begin_array()?;
                true
            }
            IterState::Items { first } => first,
        };
        self.state = IterState::Done;
        if !self.sc.next_item(&mut first)? {
            self.sc.finish()?;
            return Ok(None);
        }
        let level = match compact_level(self.sc.bytes(), self.sc.pos()) {
            Some((price, size, end)) => {
                self.sc.set_pos(end);
                (price, size)
            }
            None => level(&mut self.sc)?,
        };
        self.state = IterState::Items { first };
        Ok(Some(level))
    }

    /// Turns a fault of this iterator into a public error.
    pub(crate) fn error(&self, fault: Fault) -> Error {
        Error::from_fault(fault, self.sc.bytes(), None, None)
    }
}

impl Iterator for LevelIter<'_> {
    type Item = Result<(Price, Quantity), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.read_level() {
            Ok(Some(level)) => Some(Ok(level)),
            Ok(None) => None,
            Err(fault) => {
                self.state = IterState::Done;
                Some(Err(self.error(fault)))
            }
        }
    }
}

/// The compact level forms Gate actually sends, `["19137.74","0.0001"]` and
/// `{"p":"54672.1","s":0}` with no whitespace, read in one go from `i` (at the opening
/// bracket). Returns the level and the position after it, or `None` for anything else
/// (then [`level`] decides).
#[inline]
pub(crate) fn quick_level(bytes: &[u8], i: usize) -> Option<(Price, Quantity, usize)> {
    compact_level(bytes, i)
}

/// [`quick_level`]'s body, forced into the level iterator as it was before the number
/// readers moved to their own module.
#[inline(always)]
fn compact_level(bytes: &[u8], i: usize) -> Option<(Price, Quantity, usize)> {
    if let Some(level) = spot_level(bytes, i) {
        return Some(level);
    }
    match bytes.get(i)? {
        b'[' => {
            let (price, j) = read::quick_decimal(bytes, i + 1, true)?;
            if bytes.get(j)? != &b',' {
                return None;
            }
            let (size, k) = read::quick_decimal(bytes, j + 1, true)?;
            if bytes.get(k)? != &b']' {
                return None;
            }
            Some((Price::new(price), Quantity::new(size), k + 1))
        }
        b'{' => {
            if bytes.get(i + 1..i + 5)? != b"\"p\":" {
                return None;
            }
            let (price, j) = read::quick_decimal(bytes, i + 5, true)?;
            if bytes.get(j..j + 5)? != b",\"s\":" {
                return None;
            }
            let quoted = bytes.get(j + 5)? == &b'"';
            let (size, k) = read::quick_decimal(bytes, j + 5, quoted)?;
            if bytes.get(k)? != &b'}' {
                return None;
            }
            Some((Price::new(price), Quantity::new(size), k + 1))
        }
        _ => None,
    }
}

/// `["19137.74","0.0001"]`, the spot level, with both decimals read by
/// [`read::swar_decimal`]; the separators are checked two bytes at a time.
#[inline(always)]
fn spot_level(bytes: &[u8], i: usize) -> Option<(Price, Quantity, usize)> {
    if two_bytes(bytes, i)? != u16::from_le_bytes(*b"[\"") {
        return None;
    }
    let (price, price_scale, j) = read::swar_decimal(bytes, i + 2)?;
    if two_bytes(bytes, j)? != u16::from_le_bytes(*b",\"") {
        return None;
    }
    let (size, size_scale, k) = read::swar_decimal(bytes, j + 2)?;
    if bytes.get(k) != Some(&b']') {
        return None;
    }
    // `swar_decimal` drops trailing fractional zeros as it reads (its differential tests
    // check it), so the parts need no normalizing loop.
    let price = Decimal::from_normalized_parts(price, price_scale);
    let size = Decimal::from_normalized_parts(size, size_scale);
    Some((Price::new(price), Quantity::new(size), k + 1))
}

#[inline(always)]
fn two_bytes(bytes: &[u8], at: usize) -> Option<u16> {
    let pair: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
    Some(u16::from_le_bytes(pair))
}

/// One level: `["p","s"]` or `{"p":…,"s":…}` (unknown members of the object form skipped).
#[inline]
pub(crate) fn level(sc: &mut Scanner<'_>) -> Result<(Price, Quantity), Fault> {
    let at = sc.pos();
    match sc.peek()? {
        b'[' => {
            sc.begin_array()?;
            let price = read::price(sc, "price")?;
            sc.eat(b',')?;
            let size = read::quantity(sc, "size")?;
            sc.eat(b']')?;
            Ok((price, size))
        }
        b'{' => {
            sc.begin_object()?;
            let mut first = true;
            let (mut price, mut size) = (None, None);
            while let Some(key) = sc.next_key(&mut first)? {
                match key.raw {
                    b"p" => price = Some(read::price(sc, "p")?),
                    b"s" => size = Some(read::quantity(sc, "s")?),
                    _ => sc.skip_value()?,
                }
            }
            match (price, size) {
                (Some(price), Some(size)) => Ok((price, size)),
                (None, _) => Err(Fault::missing("p", at)),
                (_, None) => Err(Fault::missing("s", at)),
            }
        }
        _ => Err(Fault::invalid("level", FieldError::BadLevel, at)),
    }
}

/// Reads a level array's extent (decoded later by [`RawLevels::iter`]).
#[inline]
fn levels<'a>(sc: &mut Scanner<'a>, field: &'static str) -> Result<RawLevels<'a>, Fault> {
    let at = sc.pos();
    if sc.peek()? != b'[' {
        sc.skip_value()?;
        return Err(Fault::invalid(field, FieldError::ExpectedArray, at));
    }
    let span = sc.skip_container_fast()?;
    Ok(RawLevels {
        text: sc.bytes().get(span.start..span.end).unwrap_or_default(),
    })
}

/// Decodes an `order_book_update` / `obu` result object. Members that decide how the
/// book is changed (`s`, `U`, `u`, `full`, `b`, `a`) must not repeat.
#[inline]
pub(crate) fn decode_update<'a>(
    sc: &mut Scanner<'a>,
    channel: Channel,
    pair: &mut Option<Symbol>,
) -> Result<OrderBookUpdate<'a>, Fault> {
    let start = sc.pos();
    sc.begin_object()?;
    let mut first = true;
    let mut symbol = None;
    let mut first_id = None;
    let mut last_id = None;
    let mut full = None;
    let mut time_ms = 0;
    let mut depth = None;
    let mut bids = None;
    let mut asks = None;
    let obu = matches!(channel, Channel::SpotObu | Channel::FuturesObu);
    while let Some(key) = sc.next_key(&mut first)? {
        let at = key.at;
        match key.raw {
            b"s" => {
                once(&symbol, "s", at)?;
                let (name, level) = if obu {
                    obu_stream(sc)?
                } else {
                    (read::symbol(sc, "s")?, None)
                };
                if level.is_some() {
                    depth = level;
                }
                symbol = Some(name);
                *pair = symbol;
            }
            b"U" => {
                once(&first_id, "U", at)?;
                first_id = Some(read::uint(sc, "U")?);
            }
            b"u" => {
                once(&last_id, "u", at)?;
                last_id = Some(read::uint(sc, "u")?);
            }
            b"full" => {
                once(&full, "full", at)?;
                full = Some(read::boolean(sc, "full")?);
            }
            b"b" => {
                once(&bids, "b", at)?;
                bids = Some(levels(sc, "b")?);
            }
            b"a" => {
                once(&asks, "a", at)?;
                asks = Some(levels(sc, "a")?);
            }
            b"t" => time_ms = read::millis(sc, "t")?,
            b"l" => depth = Some(depth_value(sc)?),
            _ => sc.skip_value()?,
        }
    }
    let full = full.unwrap_or(false);
    let symbol = symbol.ok_or(Fault::missing("s", start))?;
    let last_update_id = last_id.ok_or(Fault::missing("u", start))?;
    if first_id.is_none() && !full {
        return Err(Fault::missing("U", start));
    }
    if let Some(first) = first_id
        && first > last_update_id
    {
        return Err(Fault::invalid("U", FieldError::OutOfRange, start));
    }
    Ok(OrderBookUpdate {
        channel,
        symbol,
        first_update_id: first_id,
        last_update_id,
        full,
        time_ms,
        depth,
        bids: bids.unwrap_or(RawLevels::EMPTY),
        asks: asks.unwrap_or(RawLevels::EMPTY),
    })
}

/// Decodes a snapshot object: the REST answer or a `spot.order_book` / `futures.order_book`
/// push.
pub(crate) fn decode_snapshot<'a>(
    sc: &mut Scanner<'a>,
    pair: &mut Option<Symbol>,
) -> Result<BookSnapshot<'a>, Fault> {
    let start = sc.pos();
    sc.begin_object()?;
    let mut first = true;
    let mut symbol = None;
    let mut id = None;
    let mut time_ms = None;
    let mut update_s = None;
    let mut bids = None;
    let mut asks = None;
    while let Some(key) = sc.next_key(&mut first)? {
        let at = key.at;
        match key.raw {
            b"id" | b"lastUpdateId" => {
                once(&id, "id", at)?;
                id = Some(read::uint(sc, "id")?);
            }
            b"s" | b"contract" => {
                symbol = Some(read::symbol(sc, "s")?);
                *pair = symbol;
            }
            b"bids" => {
                once(&bids, "bids", at)?;
                bids = Some(levels(sc, "bids")?);
            }
            b"asks" => {
                once(&asks, "asks", at)?;
                asks = Some(levels(sc, "asks")?);
            }
            b"t" => time_ms = Some(read::millis(sc, "t")?),
            // Spot sends integer milliseconds, futures float seconds.
            b"update" => update_s = Some(read::decimal(sc, "update")?),
            _ => sc.skip_value()?,
        }
    }
    let time_ms = time_ms.or_else(|| update_s.and_then(update_to_millis));
    Ok(BookSnapshot {
        symbol,
        update_id: id.ok_or(Fault::missing("id", start))?,
        time_ms,
        bids: bids.ok_or(Fault::missing("bids", start))?,
        asks: asks.ok_or(Fault::missing("asks", start))?,
    })
}

/// Parses a REST order-book snapshot body (requested with `with_id=true`).
///
/// # Errors
/// A decode [`Error`] when the body is not a snapshot with an `id`.
pub fn parse_snapshot(body: &[u8]) -> Result<BookSnapshot<'_>, Error> {
    let mut pair = None;
    let mut sc = Scanner::new(body);
    decode_snapshot(&mut sc, &mut pair)
        .and_then(|snapshot| sc.finish().map(|()| snapshot))
        .map_err(|fault| Error::from_fault(fault, body, None, pair))
}

/// `ob.BTC_USDT.400` → (`BTC_USDT`, 400).
fn obu_stream(sc: &mut Scanner<'_>) -> Result<(Symbol, Option<u32>), Fault> {
    let at = sc.pos();
    let raw = read::word(sc, "s")?;
    let bad = || Fault::invalid("s", FieldError::UnknownValue, at);
    let rest = raw.strip_prefix(b"ob.").ok_or_else(bad)?;
    let dot = rest.iter().rposition(|&b| b == b'.').ok_or_else(bad)?;
    let name = rest.get(..dot).ok_or_else(bad)?;
    let level = rest
        .get(dot + 1..)
        .and_then(|l| read::parse_u64(l).ok())
        .and_then(|l| u32::try_from(l).ok());
    let symbol =
        Symbol::from_bytes(name).map_err(|e| Fault::invalid("s", FieldError::identifier(e), at))?;
    Ok((symbol, level))
}

fn depth_value(sc: &mut Scanner<'_>) -> Result<u32, Fault> {
    let at = sc.pos();
    let value = read::uint(sc, "l")?;
    u32::try_from(value).map_err(|_| Fault::invalid("l", FieldError::OutOfRange, at))
}

/// Spot's `update` is integer milliseconds, futures' is float seconds.
fn update_to_millis(value: market_types::Decimal) -> Option<u64> {
    if value.scale() == 0 && value.mantissa() > 100_000_000_000 {
        return u64::try_from(value.mantissa()).ok();
    }
    let millis = value.checked_mul(market_types::Decimal::from(1000))?;
    let whole = millis.mantissa() / 10i64.checked_pow(u32::from(millis.scale()))?;
    u64::try_from(whole).ok()
}

#[inline]
pub(crate) fn once<T>(slot: &Option<T>, field: &'static str, at: usize) -> Result<(), Fault> {
    if slot.is_some() {
        Err(Fault::duplicate(field, at))
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn levels_in_both_shapes() {
        let pairs = RawLevels::from_json(br#"[["1.5", "2"], ["1.4", "0"]]"#);
        let got: Vec<_> = pairs.iter().map(Result::unwrap).collect();
        assert_eq!(got, [(p("1.5"), q("2")), (p("1.4"), q("0"))]);
        let objects =
            RawLevels::from_json(br#"[{"p":"54672.1","s":0},{"s":"5116.8","p":"1","x":[1]}]"#);
        let got: Vec<_> = objects.iter().map(Result::unwrap).collect();
        assert_eq!(got, [(p("54672.1"), q("0")), (p("1"), q("5116.8"))]);
        assert!(RawLevels::EMPTY.is_empty());
        assert!(RawLevels::from_json(b" [ ] ").is_empty());
        assert!(!pairs.is_empty());
    }

    #[test]
    fn bad_levels_are_errors() {
        for text in [
            &br#"[["1.5"]]"#[..],
            br#"[["1.5","2","3"]]"#,
            br#"[{"p":"1"}]"#,
            br#"[{"s":1}]"#,
            br#"[["1e","2"]]"#,
            br#"[["x","2"]]"#,
            br#"[1]"#,
            br#"[["1","2"],]"#,
            br#"[["1","2"]"#,
            br#"[["1","2"]] x"#,
        ] {
            let items: Vec<_> = RawLevels::from_json(text).iter().collect();
            assert!(
                items.last().unwrap().is_err(),
                "{}",
                String::from_utf8_lossy(text)
            );
            assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
        }
    }

    #[test]
    fn snapshot_times() {
        let rest =
            br#"{"id":1,"current":1623898993.123,"update":1623898993.121,"asks":[],"bids":[]}"#;
        assert_eq!(parse_snapshot(rest).unwrap().time_ms, Some(1623898993121));
        let rest =
            br#"{"id":1,"current":1623898993123,"update":1623898993121,"asks":[],"bids":[]}"#;
        assert_eq!(parse_snapshot(rest).unwrap().time_ms, Some(1623898993121));
        assert!(matches!(
            parse_snapshot(br#"{"asks":[],"bids":[]}"#),
            Err(Error::MissingField { field: "id", .. })
        ));
    }
}
