//! Arrays of pushed items (trades, tickers, private updates), decoded one at a time as
//! they are iterated.

use core::fmt;
use core::marker::PhantomData;

use market_types::Symbol;

use super::Message;
use super::{market, private};
use crate::error::{Error, Malformation};
use crate::json::{Fault, Scanner, Span};
use crate::venue::{Channel, Decoder, Market};

/// The elements of an array push (or the single object some channels send), decoded one
/// at a time on iteration: no `Vec`, nothing decoded that is not read.
pub struct Items<'a, T> {
    frame: &'a [u8],
    span: Span,
    channel: Channel,
    time_ms: u64,
    decode: DecodeFn<T>,
    marker: PhantomData<fn() -> T>,
}

type DecodeFn<T> =
    for<'s> fn(&mut Scanner<'s>, Market, u64, &mut Option<Symbol>) -> Result<T, Fault>;

impl<'a, T> Items<'a, T> {
    /// The channel the items came on.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The raw JSON of the array.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.frame
            .get(self.span.start..self.span.end)
            .unwrap_or_default()
    }

    /// Iterates the items; each is the decoded value or its decode error.
    pub fn iter(&self) -> ItemIter<'a, T> {
        ItemIter {
            sc: Scanner::at(self.frame, self.span.start),
            end: self.span.end,
            channel: self.channel,
            time_ms: self.time_ms,
            decode: self.decode,
            state: ItemState::Start,
        }
    }
}

impl<T> Clone for Items<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Items<'_, T> {}

impl<T> PartialEq for Items<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.channel == other.channel && self.as_bytes() == other.as_bytes()
    }
}

impl<T> Eq for Items<'_, T> {}

impl<T> fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("channel", &self.channel)
            .field("json", &String::from_utf8_lossy(self.as_bytes()))
            .finish()
    }
}

impl<'a, T> IntoIterator for Items<'a, T> {
    type Item = Result<T, Error>;
    type IntoIter = ItemIter<'a, T>;

    fn into_iter(self) -> ItemIter<'a, T> {
        self.iter()
    }
}

/// Iterator over [`Items`]; stops after the first error.
pub struct ItemIter<'a, T> {
    sc: Scanner<'a>,
    /// Where the array (or object) ends: a walk that succeeds ends exactly here.
    end: usize,
    channel: Channel,
    time_ms: u64,
    decode: DecodeFn<T>,
    state: ItemState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemState {
    Start,
    Array { first: bool },
    Done,
}

impl<T> fmt::Debug for ItemIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemIter")
            .field("channel", &self.channel)
            .field("pos", &self.sc.pos())
            .finish()
    }
}

impl<T> Iterator for ItemIter<'_, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        let mut pair = None;
        let step = self.step(&mut pair);
        match step {
            Ok(item) => item.map(Ok),
            Err(fault) => {
                self.state = ItemState::Done;
                Some(Err(Error::from_fault(
                    fault,
                    self.sc.bytes(),
                    Some(self.channel),
                    pair,
                )))
            }
        }
    }
}

impl<T> ItemIter<'_, T> {
    fn step(&mut self, pair: &mut Option<Symbol>) -> Result<Option<T>, Fault> {
        let market = self.channel.market();
        let mut first = match self.state {
            ItemState::Done => return Ok(None),
            ItemState::Start => {
                if self.sc.peek()? == b'{' {
                    // A single object stands for a one-element array.
                    self.state = ItemState::Done;
                    let item = (self.decode)(&mut self.sc, market, self.time_ms, pair)?;
                    self.at_end()?;
                    return Ok(Some(item));
                }
                self.sc.begin_array()?;
                true
            }
            ItemState::Array { first } => first,
        };
        self.state = ItemState::Done;
        if !self.sc.next_item(&mut first)? {
            self.at_end()?;
            return Ok(None);
        }
        let item = (self.decode)(&mut self.sc, market, self.time_ms, pair)?;
        self.state = ItemState::Array { first };
        Ok(Some(item))
    }

    /// The walk ended where the span does. The trade arrays' spans are found without
    /// grammar checks ([`Scanner::skip_items_lazy`]); a walk of well-formed JSON
    /// always ends at the same place, so this only guards against input that is not.
    #[inline]
    fn at_end(&self) -> Result<(), Fault> {
        let pos = self.sc.pos();
        if pos == self.end {
            Ok(())
        } else {
            Err(Fault::json(
                match self.sc.bytes().get(pos) {
                    Some(&b) => Malformation::UnexpectedByte(b),
                    None => Malformation::UnexpectedEnd,
                },
                pos,
            ))
        }
    }
}

pub(super) struct ItemsSpan<'a> {
    pub(super) frame: &'a [u8],
    pub(super) span: Span,
    pub(super) channel: Channel,
    pub(super) time_ms: u64,
}

impl<'a> ItemsSpan<'a> {
    fn with<T>(self, decode: DecodeFn<T>) -> Items<'a, T> {
        Items {
            frame: self.frame,
            span: self.span,
            channel: self.channel,
            time_ms: self.time_ms,
            decode,
            marker: PhantomData,
        }
    }
}

pub(super) fn list_message(items: ItemsSpan<'_>) -> Option<Message<'_>> {
    let message = match items.channel.spec().decoder {
        Decoder::Trades => Message::Trades(
            items.with(|sc, market, _, pair| market::decode_trade(sc, market, pair)),
        ),
        Decoder::Tickers => Message::Tickers(items.with(market::decode_ticker)),
        Decoder::Orders => Message::Orders(
            items.with(|sc, market, _, pair| private::decode_order(sc, market, pair)),
        ),
        Decoder::UserTrades => Message::UserTrades(
            items.with(|sc, market, _, pair| private::decode_fill(sc, market, pair)),
        ),
        Decoder::Balances => Message::Balances(
            items.with(|sc, market, time, _| private::decode_balance(sc, market, time)),
        ),
        Decoder::Positions => Message::Positions(
            items.with(|sc, market, _, pair| private::decode_position(sc, market, pair)),
        ),
        Decoder::BookUpdate | Decoder::Snapshot | Decoder::BookTicker | Decoder::Raw => {
            return None;
        }
    };
    Some(message)
}
