//! `push.ticker` bodies: `{"lastPrice":6865.5,"bid1":6865,"ask1":6866.5,"fairPrice":…,
//! "indexPrice":…,"fundingRate":0.0008,"volume24":…,"holdVol":…,…}`.

use json_scan::read;
use json_scan::{Fault, Scanner};
use market_types::{Decimal, Price, Symbol, Ticker, Venue};

/// The fields of a futures ticker the venue sends; absent ones are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FuturesTicker {
    /// `lastPrice`.
    pub last_price: Option<Price>,
    /// `bid1`, best bid.
    pub bid: Option<Price>,
    /// `ask1`, best ask.
    pub ask: Option<Price>,
    /// `fairPrice` (mark price).
    pub fair_price: Option<Price>,
    /// `indexPrice`.
    pub index_price: Option<Price>,
    /// `fundingRate`, a fraction.
    pub funding_rate: Option<Decimal>,
    /// `volume24`, contracts.
    pub volume_24h: Option<Decimal>,
    /// `amount24`, quote currency.
    pub amount_24h: Option<Decimal>,
    /// `holdVol`, open interest in contracts.
    pub open_interest: Option<Decimal>,
    /// `high24Price`.
    pub high_24h: Option<Price>,
    /// `lower24Price`.
    pub low_24h: Option<Price>,
    /// `riseFallRate`, a fraction (`-0.0424` is -4.24 %).
    pub rise_fall_rate: Option<Decimal>,
    /// `timestamp`, ms (0 when absent).
    pub time_ms: u64,
}

impl FuturesTicker {
    /// The normalized ticker (`base_volume` in contracts).
    pub fn to_ticker(&self, venue: Venue, symbol: Symbol) -> Ticker {
        Ticker {
            venue,
            symbol,
            last: self.last_price,
            best_bid: self.bid,
            best_ask: self.ask,
            high_24h: self.high_24h,
            low_24h: self.low_24h,
            base_volume: self.volume_24h,
            quote_volume: self.amount_24h,
            change_percentage: self.rise_fall_rate.and_then(percent),
            mark_price: self.fair_price,
            index_price: self.index_price,
            funding_rate: self.funding_rate,
            exchange_time_ms: self.time_ms,
        }
    }
}

/// `rate` x 100. Rates have at least two decimals in practice, and then moving the point
/// is exact and skips the 128-bit product and its normalizing divisions.
#[inline]
pub(crate) fn percent(rate: Decimal) -> Option<Decimal> {
    match rate.scale().checked_sub(2) {
        Some(scale) => Decimal::from_parts(rate.mantissa(), scale).ok(),
        None => rate.checked_mul(Decimal::from_i64(100).ok()?),
    }
}

/// A ticker push with its envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickerPush {
    /// The contract.
    pub symbol: Symbol,
    /// The envelope's `ts`, ms.
    pub time_ms: u64,
    /// The fields.
    pub ticker: FuturesTicker,
}

/// A decimal member: a bare number in one pass, anything else (strings, `null`,
/// exponents) through the general reader.
#[inline(always)]
pub(crate) fn number(sc: &mut Scanner<'_>, field: &'static str) -> Result<Option<Decimal>, Fault> {
    if let Some((value, end)) = read::quick_bare_decimal(sc.bytes(), sc.pos()) {
        sc.set_pos(end);
        return Ok(Some(value));
    }
    read::opt_decimal(sc, field)
}

/// A member the ticker does not read: a short bare number in one pass (what the venue
/// sends), anything else with the full grammar check.
#[inline(always)]
fn skip_unread(sc: &mut Scanner<'_>) -> Result<(), Fault> {
    match read::quick_bare_decimal(sc.bytes(), sc.pos()) {
        Some((_, end)) => {
            sc.set_pos(end);
            Ok(())
        }
        None => sc.skip_value(),
    }
}

/// The ticker object at the scanner: the members in the venue's documented order first,
/// one comparison each, then whatever is left (another order, members the documentation
/// does not list) by key, any order.
#[inline(always)]
pub(crate) fn ticker(sc: &mut Scanner<'_>) -> Result<FuturesTicker, Fault> {
    sc.begin_object()?;
    let mut t = FuturesTicker::default();
    let mut first = true;
    documented_order(sc, &mut t, &mut first)?;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"lastPrice" => t.last_price = number(sc, "lastPrice")?.map(Price::new),
            b"bid1" => t.bid = number(sc, "bid1")?.map(Price::new),
            b"ask1" => t.ask = number(sc, "ask1")?.map(Price::new),
            b"fairPrice" => t.fair_price = number(sc, "fairPrice")?.map(Price::new),
            b"indexPrice" => t.index_price = number(sc, "indexPrice")?.map(Price::new),
            b"fundingRate" => t.funding_rate = number(sc, "fundingRate")?,
            b"volume24" => t.volume_24h = number(sc, "volume24")?,
            b"amount24" => t.amount_24h = number(sc, "amount24")?,
            b"holdVol" => t.open_interest = number(sc, "holdVol")?,
            b"high24Price" => t.high_24h = number(sc, "high24Price")?.map(Price::new),
            b"lower24Price" => t.low_24h = number(sc, "lower24Price")?.map(Price::new),
            b"riseFallRate" => t.rise_fall_rate = number(sc, "riseFallRate")?,
            b"timestamp" => t.time_ms = read::uint(sc, "timestamp")?,
            _ => sc.skip_value()?,
        }
    }
    Ok(t)
}

/// Reads the members of the documentation's example in its order while they come in it,
/// each read exactly as the any-order loop reads it; stops (consuming nothing more) at
/// the first member that is not the next expected one, or at the end.
#[inline(always)]
fn documented_order(
    sc: &mut Scanner<'_>,
    t: &mut FuturesTicker,
    first: &mut bool,
) -> Result<(), Fault> {
    macro_rules! member {
        ($key:literal, $read:expr) => {
            if !sc.eat_member(first, concat!(",\"", $key, "\":").as_bytes()) {
                return Ok(());
            }
            $read;
        };
    }
    member!("ask1", t.ask = number(sc, "ask1")?.map(Price::new));
    member!("bid1", t.bid = number(sc, "bid1")?.map(Price::new));
    member!("contractId", skip_unread(sc)?);
    member!(
        "fairPrice",
        t.fair_price = number(sc, "fairPrice")?.map(Price::new)
    );
    member!("fundingRate", t.funding_rate = number(sc, "fundingRate")?);
    member!(
        "high24Price",
        t.high_24h = number(sc, "high24Price")?.map(Price::new)
    );
    member!(
        "indexPrice",
        t.index_price = number(sc, "indexPrice")?.map(Price::new)
    );
    member!(
        "lastPrice",
        t.last_price = number(sc, "lastPrice")?.map(Price::new)
    );
    member!(
        "lower24Price",
        t.low_24h = number(sc, "lower24Price")?.map(Price::new)
    );
    member!("maxBidPrice", skip_unread(sc)?);
    member!("minAskPrice", skip_unread(sc)?);
    member!(
        "riseFallRate",
        t.rise_fall_rate = number(sc, "riseFallRate")?
    );
    member!("riseFallValue", skip_unread(sc)?);
    member!("symbol", sc.skip_value()?);
    member!("timestamp", t.time_ms = read::uint(sc, "timestamp")?);
    member!("holdVol", t.open_interest = number(sc, "holdVol")?);
    member!("volume24", t.volume_24h = number(sc, "volume24")?);
    member!("amount24", t.amount_24h = number(sc, "amount24")?);
    Ok(())
}
