//! `push.deal` bodies: one deal object, or (merged) an array of them; both are accepted.
//! `{"p":6866.5,"v":2096,"T":1,"O":1,"M":1,"t":1587442049632,"i":"16270106116"}`.

use json_scan::read;
use json_scan::{Fault, FieldError, Scanner, Span};
use market_types::{Price, Quantity, Side, Symbol, Trade, TradeId, Venue};

use super::ticker::number;
use crate::futures::error::FuturesError;

/// One deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deal {
    /// Price.
    pub price: Price,
    /// Contracts traded.
    pub contracts: Quantity,
    /// The taker's side (`T`: 1 buy, 2 sell); `None` for any other value.
    pub taker_side: Option<Side>,
    /// `O`: 1 opened a position, 2 reduced one, 3 left positions unchanged (0 when absent).
    pub open_flag: u8,
    /// `M`: self-trade / auto-transact flag (0 when absent).
    pub match_flag: u8,
    /// `t`, ms.
    pub time_ms: u64,
    /// `i`, the deal id, when the venue sends one.
    pub id: Option<u64>,
}

impl Deal {
    /// The normalized trade (quantity in contracts; `trade_id` empty when the venue
    /// sent none).
    #[inline]
    pub fn to_trade(&self, venue: Venue, symbol: Symbol) -> Trade {
        Trade {
            venue,
            symbol,
            trade_id: TradeId::from_u64(self.id.unwrap_or(0)),
            price: self.price,
            quantity: self.contracts,
            taker_side: self.taker_side,
            exchange_time_ms: self.time_ms,
        }
    }
}

/// The deals of one push, read from the frame on iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DealsPush<'a> {
    /// The contract.
    pub symbol: Symbol,
    /// The envelope's `ts`, ms.
    pub time_ms: u64,
    deals: Deals<'a>,
}

/// One deal decoded already, or an array read on iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deals<'a> {
    One(Deal),
    Many(&'a [u8], Span),
}

impl<'a> DealsPush<'a> {
    #[inline]
    pub(crate) const fn new(symbol: Symbol, time_ms: u64, deals: Deals<'a>) -> Self {
        DealsPush {
            symbol,
            time_ms,
            deals,
        }
    }

    /// Every deal into `f` without allocating.
    ///
    /// # Errors
    /// The first deal that does not decode.
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(Deal)) -> Result<(), FuturesError> {
        let (bytes, span) = match self.deals {
            Deals::One(one) => {
                f(one);
                return Ok(());
            }
            Deals::Many(bytes, span) => (bytes, span),
        };
        let mut sc = Scanner::at(bytes, span.start);
        let walk = (|| {
            sc.begin_array()?;
            let mut first = true;
            while sc.next_item(&mut first)? {
                f(deal(&mut sc)?);
            }
            Ok::<(), Fault>(())
        })();
        walk.map_err(|fault| FuturesError::from_fault("push.deal", fault))
    }

    /// The deals as an iterator (stops after the first error).
    pub fn iter(&self) -> impl Iterator<Item = Result<Deal, FuturesError>> + 'a {
        let (bytes, span, one) = match self.deals {
            Deals::One(one) => (&[][..], Span::default(), Some(one)),
            Deals::Many(bytes, span) => (bytes, span, None),
        };
        let mut sc = Scanner::at(bytes, span.start);
        let mut first = true;
        let mut state = 0u8; // 0 start, 1 inside the array, 2 done
        core::iter::from_fn(move || {
            let step = (|| -> Result<Option<Deal>, Fault> {
                match (state, one) {
                    (0, Some(one)) => {
                        state = 2;
                        Ok(Some(one))
                    }
                    (0, None) => {
                        sc.begin_array()?;
                        state = 1;
                        if sc.next_item(&mut first)? {
                            deal(&mut sc).map(Some)
                        } else {
                            state = 2;
                            Ok(None)
                        }
                    }
                    (1, _) => {
                        if sc.next_item(&mut first)? {
                            deal(&mut sc).map(Some)
                        } else {
                            state = 2;
                            Ok(None)
                        }
                    }
                    _ => Ok(None),
                }
            })();
            match step {
                Ok(found) => found.map(Ok),
                Err(fault) => {
                    state = 2;
                    Some(Err(FuturesError::from_fault("push.deal", fault)))
                }
            }
        })
    }
}

/// A small venue flag (`T`, `O`, `M`).
#[inline(always)]
fn flag(sc: &mut Scanner<'_>, field: &'static str) -> Result<u8, Fault> {
    let at = sc.pos();
    let value = read::uint(sc, field)?;
    u8::try_from(value).map_err(|_| Fault::invalid(field, FieldError::OutOfRange, at))
}

/// One deal object at the scanner.
#[inline(always)]
pub(crate) fn deal(sc: &mut Scanner<'_>) -> Result<Deal, Fault> {
    let at = sc.pos();
    sc.begin_object()?;
    let mut price = None;
    let mut contracts = None;
    let mut side = 0;
    let mut open_flag = 0;
    let mut match_flag = 0;
    let mut time_ms = None;
    let mut id = None;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"p" => price = number(sc, "p")?.map(Price::new),
            b"v" => contracts = number(sc, "v")?.map(Quantity::new),
            b"T" => side = flag(sc, "T")?,
            b"O" => open_flag = flag(sc, "O")?,
            b"M" => match_flag = flag(sc, "M")?,
            b"t" => time_ms = Some(read::uint(sc, "t")?),
            b"i" => id = Some(read::uint(sc, "i")?),
            _ => sc.skip_value()?,
        }
    }
    Ok(Deal {
        price: price.ok_or(Fault::missing("p", at))?,
        contracts: contracts.ok_or(Fault::missing("v", at))?,
        taker_side: match side {
            1 => Some(Side::Buy),
            2 => Some(Side::Sell),
            _ => None,
        },
        open_flag,
        match_flag,
        time_ms: time_ms.ok_or(Fault::missing("t", at))?,
        id,
    })
}
