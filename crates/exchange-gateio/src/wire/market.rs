//! Public market pushes other than the book: best bid/ask, trades, tickers.

use market_types::{
    BookTicker, Decimal, Level, Price, Quantity, Side, Symbol, Ticker, Trade, TradeId,
};

use super::read;
use crate::error::FieldError;
use crate::json::{Fault, JsonStr, Scanner};
use crate::venue::Market;

/// One public trade with Gate's extras.
///
/// Spot (`spot.trades`, spec §3.4, G1 "Public Trades Channel"; one object per push):
///
/// ```json
/// {"id":309143071,"id_market":2390902,"create_time":1606292218,
///  "create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT",
///  "amount":"16.4700000000","price":"0.4705000000","range":"2390902-2390902"}
/// ```
///
/// Futures (`futures.trades`, spec §4.3; an array per push; signed `size`, positive =
/// taker bought):
///
/// ```json
/// {"size":-108,"id":27753479,"create_time":1545136464,"create_time_ms":1545136464123,
///  "price":"96.4","contract":"BTC_USD","is_internal":true}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicTrade {
    /// The normalized trade (quantity is always positive; contracts on futures).
    pub trade: Trade,
    /// Spot `id_market`, continuous per pair (the last value wins when the key repeats,
    /// as in the venue's own doc example).
    pub market_trade_id: Option<u64>,
    /// Futures `is_internal` (an internal transfer, not a market trade).
    pub internal: bool,
}

/// `spot.book_ticker` / `futures.book_ticker` (spec §3.4, §4.3):
///
/// ```json
/// {"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504",
///  "a":"19179.38","A":"0.09"}
/// {"t":1615366379123,"u":2517661076,"s":"BTC_USD","b":"54696.6","B":37000,
///  "a":"54696.7","A":47061}
/// ```
///
/// An empty price or a zero size (futures' empty side) gives `None` for that side.
pub(crate) fn decode_book_ticker(
    sc: &mut Scanner<'_>,
    market: Market,
    pair: &mut Option<Symbol>,
) -> Result<BookTicker, Fault> {
    let start = sc.pos();
    if let Some(ticker) = compact_book_ticker(sc, market) {
        *pair = Some(ticker.symbol);
        return Ok(ticker);
    }
    sc.set_pos(start);
    sc.begin_object()?;
    let mut first = true;
    let mut symbol = None;
    let mut update_id = None;
    let mut time_ms = 0;
    let (mut bid_price, mut bid_size, mut ask_price, mut ask_size) = (None, None, None, None);
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"s" => {
                symbol = Some(read::symbol(sc, "s")?);
                *pair = symbol;
            }
            b"u" => update_id = Some(read::uint(sc, "u")?),
            b"t" => time_ms = read::millis(sc, "t")?,
            b"b" => bid_price = read::opt_decimal(sc, "b")?,
            b"B" => bid_size = read::opt_decimal(sc, "B")?,
            b"a" => ask_price = read::opt_decimal(sc, "a")?,
            b"A" => ask_size = read::opt_decimal(sc, "A")?,
            _ => sc.skip_value()?,
        }
    }
    Ok(BookTicker {
        venue: market.venue(),
        symbol: symbol.ok_or(Fault::missing("s", start))?,
        bid: side_level(bid_price, bid_size),
        ask: side_level(ask_price, ask_size),
        update_id,
        exchange_time_ms: time_ms,
    })
}

/// The venue's own layout, `{"t":…,"u":…,"s":"…","b":…,"B":…,"a":…,"A":…}` without
/// spaces, read member by member in that order without looking keys up. `None` (with the
/// scanner anywhere) for any other layout or any bad value: the general loop decides.
#[inline(always)]
pub(crate) fn compact_book_ticker(sc: &mut Scanner<'_>, market: Market) -> Option<BookTicker> {
    fn expect(sc: &mut Scanner<'_>, text: &[u8; 5]) -> Option<()> {
        let at = sc.pos();
        if sc.bytes().get(at..at + 5)? == text {
            sc.set_pos(at + 5);
            Some(())
        } else {
            None
        }
    }
    expect(sc, b"{\"t\":")?;
    let time_ms = read::millis(sc, "t").ok()?;
    expect(sc, b",\"u\":")?;
    let update_id = read::uint(sc, "u").ok()?;
    expect(sc, b",\"s\":")?;
    let symbol = read::symbol(sc, "s").ok()?;
    expect(sc, b",\"b\":")?;
    let bid_price = read::opt_decimal(sc, "b").ok()?;
    expect(sc, b",\"B\":")?;
    let bid_size = read::opt_decimal(sc, "B").ok()?;
    expect(sc, b",\"a\":")?;
    let ask_price = read::opt_decimal(sc, "a").ok()?;
    expect(sc, b",\"A\":")?;
    let ask_size = read::opt_decimal(sc, "A").ok()?;
    let end = sc.pos();
    if sc.bytes().get(end) != Some(&b'}') {
        return None;
    }
    sc.set_pos(end + 1);
    Some(BookTicker {
        venue: market.venue(),
        symbol,
        bid: side_level(bid_price, bid_size),
        ask: side_level(ask_price, ask_size),
        update_id: Some(update_id),
        exchange_time_ms: time_ms,
    })
}

fn side_level(price: Option<Decimal>, size: Option<Decimal>) -> Option<Level> {
    match (price, size) {
        (Some(price), Some(size)) if size.is_positive() => {
            Some(Level::new(Price::new(price), Quantity::new(size)))
        }
        _ => None,
    }
}

/// One trade object of either market.
pub(crate) fn decode_trade(
    sc: &mut Scanner<'_>,
    market: Market,
    pair: &mut Option<Symbol>,
) -> Result<PublicTrade, Fault> {
    let start = sc.pos();
    let mut symbol = None;
    let mut id = None;
    let mut id_text = None;
    let mut market_trade_id = None;
    let mut time_ms = None;
    let mut time_s = None;
    let mut side = None;
    let mut amount = None;
    let mut size = None;
    let mut price = None;
    let mut internal = false;
    if let Some(fast) = compact_futures_trade(sc) {
        // What the loop below reads from the same members.
        symbol = Some(fast.symbol);
        *pair = symbol;
        id = Some(fast.id);
        id_text = fast.id_text;
        time_s = Some(fast.time_s);
        time_ms = Some(fast.time_ms);
        size = Some(fast.size);
        price = Some(fast.price);
        internal = fast.internal;
    } else {
        sc.set_pos(start);
        sc.begin_object()?;
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match trade_key(sc.bytes(), &key) {
                TradeKey::Pair => {
                    symbol = Some(read::symbol(sc, "currency_pair")?);
                    *pair = symbol;
                }
                TradeKey::Id => {
                    let at = sc.pos();
                    id = Some(read::uint(sc, "id")?);
                    id_text = sc.bytes().get(at..sc.pos());
                }
                TradeKey::IdMarket => market_trade_id = Some(read::uint(sc, "id_market")?),
                TradeKey::TimeMs => time_ms = Some(read::millis(sc, "create_time_ms")?),
                TradeKey::Time => time_s = Some(read::seconds_as_millis(sc, "create_time")?),
                TradeKey::Side => side = Some(read::side(sc, "side")?),
                TradeKey::Amount => amount = Some(read::decimal(sc, "amount")?),
                TradeKey::Size => size = Some(read::decimal(sc, "size")?),
                TradeKey::Price => price = Some(read::price(sc, "price")?),
                TradeKey::Internal => internal = read::boolean(sc, "is_internal")?,
                TradeKey::Other => sc.skip_value()?,
            }
        }
    }
    let (quantity, taker_side) = match (amount, size) {
        (Some(amount), _) => (amount, side),
        (None, Some(size)) => (size.abs(), side.or_else(|| signed_side(size))),
        (None, None) => {
            let field = if market == Market::Spot {
                "amount"
            } else {
                "size"
            };
            return Err(Fault::missing(field, start));
        }
    };
    if quantity.is_negative() {
        return Err(Fault::invalid("amount", FieldError::OutOfRange, start));
    }
    let id = id.ok_or(Fault::missing("id", start))?;
    Ok(PublicTrade {
        trade: Trade {
            venue: market.venue(),
            symbol: symbol.ok_or(Fault::missing("currency_pair", start))?,
            trade_id: trade_id(id, id_text),
            price: price.ok_or(Fault::missing("price", start))?,
            quantity: Quantity::new(quantity),
            taker_side,
            exchange_time_ms: time_ms
                .or(time_s)
                .ok_or(Fault::missing("create_time_ms", start))?,
        },
        market_trade_id,
        internal,
    })
}

/// The members of a futures trade in the venue's own order.
struct CompactTrade<'a> {
    size: Decimal,
    id: u64,
    id_text: Option<&'a [u8]>,
    time_s: u64,
    time_ms: u64,
    price: Price,
    symbol: Symbol,
    internal: bool,
}

/// The venue's futures layout, `{"size":…,"id":…,"create_time":…,"create_time_ms":…,
/// "price":…,"contract":…,"is_internal":…}` without spaces, read member by member in that
/// order without looking keys up (each key one compare of its text). `None` (with the
/// scanner anywhere) for any other layout or any bad value: the general loop decides.
#[inline(always)]
fn compact_futures_trade<'a>(sc: &mut Scanner<'a>) -> Option<CompactTrade<'a>> {
    #[inline(always)]
    fn expect<const N: usize>(sc: &mut Scanner<'_>, text: &[u8; N]) -> Option<()> {
        let at = sc.pos();
        let found: &[u8; N] = sc.bytes().get(at..at + N)?.try_into().ok()?;
        if found == text {
            sc.set_pos(at + N);
            Some(())
        } else {
            None
        }
    }
    expect(sc, b"{\"size\":")?;
    let size = read::decimal(sc, "size").ok()?;
    expect(sc, b",\"id\":")?;
    let at = sc.pos();
    let id = read::uint(sc, "id").ok()?;
    let id_text = sc.bytes().get(at..sc.pos());
    expect(sc, b",\"create_time\":")?;
    let time_s = read::seconds_as_millis(sc, "create_time").ok()?;
    expect(sc, b",\"create_time_ms\":")?;
    let time_ms = read::millis(sc, "create_time_ms").ok()?;
    expect(sc, b",\"price\":")?;
    let price = read::price(sc, "price").ok()?;
    expect(sc, b",\"contract\":")?;
    let symbol = read::symbol(sc, "currency_pair").ok()?;
    expect(sc, b",\"is_internal\":")?;
    let internal = read::boolean(sc, "is_internal").ok()?;
    expect(sc, b"}")?;
    Some(CompactTrade {
        size,
        id,
        id_text,
        time_s,
        time_ms,
        price,
        symbol,
        internal,
    })
}

/// The members of a trade object [`decode_trade`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TradeKey {
    Pair,
    Id,
    IdMarket,
    TimeMs,
    Time,
    Side,
    Amount,
    Size,
    Price,
    Internal,
    Other,
}

/// Which member `key` (read from `bytes`) names: its length and the eight bytes after its
/// opening quote, one compare each instead of string compares; the same answer as
/// comparing the raw key text ([`trade_key_text`], used near the end of the frame).
#[inline(always)]
fn trade_key(bytes: &[u8], key: &JsonStr<'_>) -> TradeKey {
    let raw = key.raw;
    let Some(chunk) = bytes.get(key.at + 1..key.at + 9) else {
        return trade_key_text(raw);
    };
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    let word = u64::from_le_bytes(word);
    let head = |len: usize| word & (u64::MAX >> (64 - 8 * len));
    let tail = raw.get(8..).unwrap_or_default();
    match raw.len() {
        2 if head(2) == head_of(b"id") => TradeKey::Id,
        4 if head(4) == head_of(b"side") => TradeKey::Side,
        4 if head(4) == head_of(b"size") => TradeKey::Size,
        5 if head(5) == head_of(b"price") => TradeKey::Price,
        6 if head(6) == head_of(b"amount") => TradeKey::Amount,
        8 if word == head_of(b"contract") => TradeKey::Pair,
        9 if word == head_of(b"id_marke") && tail == b"t" => TradeKey::IdMarket,
        11 if word == head_of(b"create_t") && tail == b"ime" => TradeKey::Time,
        11 if word == head_of(b"is_inter") && tail == b"nal" => TradeKey::Internal,
        13 if word == head_of(b"currency") && tail == b"_pair" => TradeKey::Pair,
        14 if word == head_of(b"create_t") && tail == b"ime_ms" => TradeKey::TimeMs,
        _ => TradeKey::Other,
    }
}

/// [`trade_key`] by comparing the key's text.
#[inline(never)]
fn trade_key_text(raw: &[u8]) -> TradeKey {
    match raw {
        b"currency_pair" | b"contract" => TradeKey::Pair,
        b"id" => TradeKey::Id,
        b"id_market" => TradeKey::IdMarket,
        b"create_time_ms" => TradeKey::TimeMs,
        b"create_time" => TradeKey::Time,
        b"side" => TradeKey::Side,
        b"amount" => TradeKey::Amount,
        b"size" => TradeKey::Size,
        b"price" => TradeKey::Price,
        b"is_internal" => TradeKey::Internal,
        _ => TradeKey::Other,
    }
}

/// Up to eight bytes as a little-endian word, zero past their end.
const fn head_of(text: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let mut i = 0;
    while i < text.len() && i < 8 {
        word[i] = text[i];
        i += 1;
    }
    u64::from_le_bytes(word)
}

/// The id as text: a bare JSON integer without leading zeros is already the id's
/// decimal form, so it is copied instead of printed again.
#[inline]
fn trade_id(id: u64, text: Option<&[u8]>) -> TradeId {
    match text {
        Some(text @ [b'1'..=b'9', rest @ ..]) if rest.iter().all(u8::is_ascii_digit) => {
            TradeId::from_bytes(text).unwrap_or_else(|_| TradeId::from_u64(id))
        }
        _ => TradeId::from_u64(id),
    }
}

/// One ticker object of either market (spec §3.4 `spot.tickers`, §4.3 `futures.tickers`).
/// `time_ms` is the envelope's, since tickers carry no time of their own; empty strings
/// are `None`.
pub(crate) fn decode_ticker(
    sc: &mut Scanner<'_>,
    market: Market,
    time_ms: u64,
    pair: &mut Option<Symbol>,
) -> Result<Ticker, Fault> {
    let start = sc.pos();
    sc.begin_object()?;
    let mut first = true;
    let mut symbol = None;
    let (mut last, mut best_bid, mut best_ask, mut high, mut low) = (None, None, None, None, None);
    let (mut mark, mut index) = (None, None);
    let (mut base_volume, mut contracts_volume, mut quote_volume) = (None, None, None);
    let (mut change, mut funding) = (None, None);
    while let Some(key) = sc.next_key(&mut first)? {
        let price =
            |sc: &mut Scanner<'_>, field| read::opt_decimal(sc, field).map(|d| d.map(Price::new));
        match key.raw {
            b"currency_pair" | b"contract" => {
                symbol = Some(read::symbol(sc, "currency_pair")?);
                *pair = symbol;
            }
            b"last" => last = price(sc, "last")?,
            b"highest_bid" => best_bid = price(sc, "highest_bid")?,
            b"lowest_ask" => best_ask = price(sc, "lowest_ask")?,
            b"high_24h" => high = price(sc, "high_24h")?,
            b"low_24h" => low = price(sc, "low_24h")?,
            b"mark_price" => mark = price(sc, "mark_price")?,
            b"index_price" => index = price(sc, "index_price")?,
            b"base_volume" | b"volume_24h_base" => {
                base_volume = read::opt_decimal(sc, "base_volume")?;
            }
            b"volume_24h" => contracts_volume = read::opt_decimal(sc, "volume_24h")?,
            b"quote_volume" | b"volume_24h_quote" => {
                quote_volume = read::opt_decimal(sc, "quote_volume")?;
            }
            b"change_percentage" => change = read::opt_decimal(sc, "change_percentage")?,
            b"funding_rate" => funding = read::opt_decimal(sc, "funding_rate")?,
            _ => sc.skip_value()?,
        }
    }
    Ok(Ticker {
        venue: market.venue(),
        symbol: symbol.ok_or(Fault::missing("currency_pair", start))?,
        last,
        best_bid,
        best_ask,
        high_24h: high,
        low_24h: low,
        // Futures send both; the base-currency volume is preferred over contracts.
        base_volume: base_volume.or(contracts_volume),
        quote_volume,
        change_percentage: change,
        mark_price: mark,
        index_price: index,
        funding_rate: funding,
        exchange_time_ms: time_ms,
    })
}

/// The side a signed futures size stands for: positive buys, negative sells.
pub(crate) fn signed_side(size: Decimal) -> Option<Side> {
    if size.is_positive() {
        Some(Side::Buy)
    } else if size.is_negative() {
        Some(Side::Sell)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_keys_by_word_match_the_text() {
        let keys = [
            "currency_pair",
            "contract",
            "id",
            "id_market",
            "create_time_ms",
            "create_time",
            "side",
            "size",
            "amount",
            "price",
            "is_internal",
            "range",
            "i",
            "ide",
            "sid",
            "id_marker",
            "create_time_m",
            "create_timex",
            "contracts",
            "currency_paix",
            "is_internat",
            "amounts",
            "pric",
            "",
            "create_t",
            "is_inter",
            "id_marke",
        ];
        for key in keys {
            for pad in ["", ":1}", r#":1,"xxxxxxxxxxxxxxxx":2}"#] {
                let text = format!("\"{key}\"{pad}");
                let s = JsonStr {
                    raw: key.as_bytes(),
                    escaped: false,
                    at: 0,
                };
                assert_eq!(
                    trade_key(text.as_bytes(), &s),
                    trade_key_text(key.as_bytes()),
                    "{text}"
                );
            }
        }
    }
}
