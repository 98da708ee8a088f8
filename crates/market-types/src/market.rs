//! Normalized public market-data events.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::inline::{Symbol, TradeId};
use crate::trading::Side;
use crate::units::{Level, Price, Quantity};
use crate::venue::Venue;

/// One public trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Where it traded.
    pub venue: Venue,
    /// What traded.
    pub symbol: Symbol,
    /// The venue's trade id.
    pub trade_id: TradeId,
    /// Execution price.
    pub price: Price,
    /// Executed quantity, always positive.
    pub quantity: Quantity,
    /// Side of the aggressor, when the venue says.
    pub taker_side: Option<Side>,
    /// Venue timestamp, milliseconds since the Unix epoch.
    pub exchange_time_ms: u64,
}

/// Best bid and ask as pushed by the venue's top-of-book channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookTicker {
    /// Source venue.
    pub venue: Venue,
    /// Instrument.
    pub symbol: Symbol,
    /// Best bid, `None` when the side is empty.
    pub bid: Option<Level>,
    /// Best ask, `None` when the side is empty.
    pub ask: Option<Level>,
    /// The venue's book update id, when it sends one.
    pub update_id: Option<u64>,
    /// Venue timestamp, milliseconds since the Unix epoch.
    pub exchange_time_ms: u64,
}

/// A 24-hour ticker; each venue fills the fields it publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticker {
    /// Source venue.
    pub venue: Venue,
    /// Instrument.
    pub symbol: Symbol,
    /// Last traded price.
    pub last: Option<Price>,
    /// Best bid price.
    pub best_bid: Option<Price>,
    /// Best ask price.
    pub best_ask: Option<Price>,
    /// 24 h high.
    pub high_24h: Option<Price>,
    /// 24 h low.
    pub low_24h: Option<Price>,
    /// 24 h volume in base asset (or contracts).
    pub base_volume: Option<Decimal>,
    /// 24 h volume in quote asset.
    pub quote_volume: Option<Decimal>,
    /// 24 h change in percent (`-1.5` means -1.5 %).
    pub change_percentage: Option<Decimal>,
    /// Futures mark price.
    pub mark_price: Option<Price>,
    /// Futures index price.
    pub index_price: Option<Price>,
    /// Futures funding rate as a fraction (`0.0001` is 0.01 %).
    pub funding_rate: Option<Decimal>,
    /// Venue timestamp, milliseconds since the Unix epoch.
    pub exchange_time_ms: u64,
}

/// Whether a book update replaced the book or amended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookUpdateKind {
    /// The book was cleared and loaded from a full snapshot.
    Snapshot,
    /// Levels were changed in place.
    Delta,
}

/// Describes what was just applied to the [`OrderBook`](crate::OrderBook) that
/// accompanies it; the levels themselves are read from the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookUpdate {
    /// Source venue.
    pub venue: Venue,
    /// Instrument.
    pub symbol: Symbol,
    /// Snapshot or delta.
    pub kind: BookUpdateKind,
    /// First venue update id covered by this update.
    pub first_update_id: u64,
    /// Last venue update id covered; the book's `update_id()` afterwards.
    pub last_update_id: u64,
    /// Venue timestamp, milliseconds since the Unix epoch.
    pub exchange_time_ms: u64,
}

/// Whether a local book can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookStatus {
    /// Waiting for the first snapshot; the book is empty.
    Syncing,
    /// In sync with the venue.
    Live,
    /// Thrown away and being rebuilt; the book is empty until `Live` again.
    Resyncing(ResyncReason),
}

/// Why a book was thrown away and is being rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResyncReason {
    /// An update id was skipped.
    Gap {
        /// The id that should have come next.
        expected: u64,
        /// The id that came instead.
        received: u64,
    },
    /// The snapshot was older than the buffered updates.
    StaleSnapshot,
    /// Best bid reached or passed best ask.
    Crossed,
    /// A level had a zero or negative quantity where only positive is valid.
    NonPositiveQuantity,
    /// An update repeated an id with different content.
    DuplicateMismatch,
    /// Updates buffered while waiting for a snapshot exceeded the bound.
    BufferOverflow,
    /// The connection was re-established, so updates may have been lost.
    Reconnected,
    /// The user asked for a resync.
    UserRequested,
    /// The snapshot could not be fetched or was invalid.
    SnapshotFailed,
    /// An update turned out malformed (or meant for a book of another depth) after part of
    /// it was applied: the book holds half an update and cannot be trusted.
    InvalidUpdate,
}

/// A change of a book's [`BookStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookStatusEvent {
    /// Source venue.
    pub venue: Venue,
    /// Instrument.
    pub symbol: Symbol,
    /// The new status.
    pub status: BookStatus,
}

/// Every public event, for users who want one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "boxing the ticker would allocate per message; events are moved, not stored in bulk"
)]
pub enum MarketEvent {
    /// A public trade.
    Trade(Trade),
    /// A top-of-book update.
    BookTicker(BookTicker),
    /// A 24 h ticker.
    Ticker(Ticker),
    /// A book snapshot or delta was applied.
    BookUpdate(BookUpdate),
    /// A book changed status.
    BookStatus(BookStatusEvent),
}

impl MarketEvent {
    /// The venue the event came from.
    pub fn venue(&self) -> Venue {
        match self {
            MarketEvent::Trade(e) => e.venue,
            MarketEvent::BookTicker(e) => e.venue,
            MarketEvent::Ticker(e) => e.venue,
            MarketEvent::BookUpdate(e) => e.venue,
            MarketEvent::BookStatus(e) => e.venue,
        }
    }

    /// The instrument the event is about.
    pub fn symbol(&self) -> Symbol {
        match self {
            MarketEvent::Trade(e) => e.symbol,
            MarketEvent::BookTicker(e) => e.symbol,
            MarketEvent::Ticker(e) => e.symbol,
            MarketEvent::BookUpdate(e) => e.symbol,
            MarketEvent::BookStatus(e) => e.symbol,
        }
    }
}

impl BookStatus {
    /// True when the book is in sync and may be read.
    pub const fn is_live(self) -> bool {
        matches!(self, BookStatus::Live)
    }
}

impl fmt::Display for BookStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BookStatus::Syncing => f.write_str("syncing"),
            BookStatus::Live => f.write_str("live"),
            BookStatus::Resyncing(reason) => write!(f, "resyncing ({reason})"),
        }
    }
}

impl fmt::Display for ResyncReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResyncReason::Gap { expected, received } => {
                write!(f, "update id gap: expected {expected}, received {received}")
            }
            ResyncReason::StaleSnapshot => f.write_str("stale snapshot"),
            ResyncReason::Crossed => f.write_str("crossed book"),
            ResyncReason::NonPositiveQuantity => f.write_str("non-positive quantity"),
            ResyncReason::DuplicateMismatch => {
                f.write_str("duplicate update id with different content")
            }
            ResyncReason::BufferOverflow => f.write_str("update buffer overflow"),
            ResyncReason::Reconnected => f.write_str("reconnected"),
            ResyncReason::UserRequested => f.write_str("requested by user"),
            ResyncReason::SnapshotFailed => f.write_str("snapshot failed"),
            ResyncReason::InvalidUpdate => f.write_str("invalid update"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_display_names_the_reason() {
        assert_eq!(BookStatus::Live.to_string(), "live");
        assert_eq!(BookStatus::Syncing.to_string(), "syncing");
        assert_eq!(
            BookStatus::Resyncing(ResyncReason::Gap {
                expected: 5,
                received: 7
            })
            .to_string(),
            "resyncing (update id gap: expected 5, received 7)"
        );
        assert_eq!(ResyncReason::Crossed.to_string(), "crossed book");
        assert!(BookStatus::Live.is_live());
        assert!(!BookStatus::Resyncing(ResyncReason::Reconnected).is_live());
    }
}
