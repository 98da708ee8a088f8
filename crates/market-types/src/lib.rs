//! The normalized market and trading model shared by every crate of the workspace.
//!
//! Exchange crates decode venue frames into these types; users read them. The
//! crate holds:
//!
//! - [`Decimal`], an exact fixed-point number (`i64` mantissa, up to 18
//!   decimals), with the [`Price`] and [`Quantity`] newtypes over it;
//! - inline, `Copy` identifiers: [`Symbol`], [`Asset`], [`TradeId`],
//!   [`OrderId`], [`ClientOrderId`] (and the generic [`InlineStr`]);
//! - closed enums: [`Venue`], [`Side`], [`OrderType`], [`OrderStatus`],
//!   [`LiquidityRole`];
//! - [`OrderBook`], one symbol's local book, with [`BookStatus`] and
//!   [`ResyncReason`] to say whether it can be trusted;
//! - public events ([`Trade`], [`BookTicker`], [`Ticker`], [`BookUpdate`],
//!   [`BookStatusEvent`], gathered in [`MarketEvent`]) and private events
//!   ([`Order`], [`Fill`], [`Balance`], [`Position`], gathered in [`PrivateEvent`]).
//!
//! What it deliberately does not do:
//!
//! - **No IO, no clock, no async runtime.** Times are plain `u64` milliseconds
//!   that the venue sent; nothing here reads the system time.
//! - **No floating point on values.** Prices and sizes are parsed straight
//!   from their decimal text; [`Decimal::to_f64`] exists for display and
//!   metrics only, and JSON floats are refused when deserializing.
//! - **No heap on the hot path.** Decimals, identifiers and events are `Copy`
//!   and live inline; [`OrderBook::apply`] does not allocate within the
//!   capacity given to [`OrderBook::with_capacity`].
//! - **No venue rules.** Symbols are kept exactly as each venue spells them;
//!   tick sizes, id continuity and resync decisions belong to the exchange crates.
//!
//! Errors: [`DecimalError`], [`SymbolError`] (all identifiers), [`BookError`]
//! and [`VenueError`]. There are no cargo features.
//!
//! # Example
//!
//! ```
//! use market_types::{OrderBook, Price, Quantity, Side, Symbol};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut book = OrderBook::with_capacity(Symbol::new("BTC_USDT")?, 64);
//! book.apply(Side::Buy, Price::parse("64250.10")?, Quantity::parse("0.5")?)?;
//! book.apply(Side::Buy, Price::parse("64250.3")?, Quantity::parse("1.25")?)?;
//! book.apply(Side::Sell, Price::parse("64251")?, Quantity::parse("2")?)?;
//!
//! let best = book.best_bid().ok_or("empty bid side")?;
//! assert_eq!(best.price.to_string(), "64250.3");
//! assert_eq!(best.quantity, Quantity::parse("1.250")?);
//! assert!(!book.is_crossed());
//!
//! // A zero quantity removes the level.
//! book.apply(Side::Buy, Price::parse("64250.30")?, Quantity::ZERO)?;
//! assert_eq!(book.best_bid().map(|level| level.price), Some(Price::parse("64250.1")?));
//! # Ok(())
//! # }
//! ```

mod account;
mod book;
mod decimal;
mod inline;
mod market;
pub mod swar;
mod trading;
mod units;
mod venue;

pub use crate::account::{Balance, Fill, Order, Position, PrivateEvent};
pub use crate::book::{BookError, Levels, OrderBook};
pub use crate::decimal::{Decimal, DecimalError};
pub use crate::inline::{Asset, ClientOrderId, InlineStr, OrderId, Symbol, SymbolError, TradeId};
pub use crate::market::{
    BookStatus, BookStatusEvent, BookTicker, BookUpdate, BookUpdateKind, MarketEvent, ResyncReason,
    Ticker, Trade,
};
pub use crate::trading::{LiquidityRole, OrderStatus, OrderType, Side};
pub use crate::units::{Level, Price, Quantity};
pub use crate::venue::{Venue, VenueError};
