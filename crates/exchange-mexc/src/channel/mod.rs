//! Typed MEXC spot channels and their exact strings (spec §1.5).
//!
//! Strings live only at the wire edge: a [`Channel`] renders itself with `Display` and is
//! parsed back with [`Channel::parse`], without allocating.
//!
//! | Channel | String |
//! |---|---|
//! | [`Channel::AggreDepth`] | `spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT` |
//! | [`Channel::AggreDeals`] | `spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT` |
//! | [`Channel::AggreBookTicker`] | `spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT` |
//! | [`Channel::LimitDepth`] | `spot@public.limit.depth.v3.api.pb@BTCUSDT@5` (symbol before levels) |
//! | [`Channel::BookTickerBatch`] | `spot@public.bookTicker.batch.v3.api.pb@BTCUSDT` |
//! | [`Channel::Kline`] | `spot@public.kline.v3.api.pb@BTCUSDT@Min15` |
//! | [`Channel::PrivateOrders`] | `spot@private.orders.v3.api.pb` |
//! | [`Channel::PrivateDeals`] | `spot@private.deals.v3.api.pb` |
//! | [`Channel::PrivateAccount`] | `spot@private.account.v3.api.pb` |
//!
//! Every other attribute of a channel (private or not, body, stream kind, decoder) is one
//! row of [`CHANNELS`], read through [`Channel::spec`].

use core::fmt;
use core::str::FromStr;

use market_types::Symbol;
use serde::{Serialize, Serializer};
use ws_session::StreamKind;

use crate::body::BodyKind;
use crate::error::Error;

mod table;

pub use self::table::{CHANNELS, ChannelSpec, Decoder};

/// One MEXC spot channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Channel {
    /// Aggregated diff depth, the input of the local book (`publicAggreDepths`, 313).
    AggreDepth {
        /// Upper-case symbol, e.g. `BTCUSDT`.
        symbol: Symbol,
        /// Aggregation window.
        interval: AggInterval,
    },
    /// Aggregated trades (`publicAggreDeals`, 314).
    AggreDeals {
        /// Upper-case symbol.
        symbol: Symbol,
        /// Aggregation window.
        interval: AggInterval,
    },
    /// Aggregated best bid and ask (`publicAggreBookTicker`, 315).
    AggreBookTicker {
        /// Upper-case symbol.
        symbol: Symbol,
        /// Aggregation window.
        interval: AggInterval,
    },
    /// Top-N book snapshots (`publicLimitDepths`, 303).
    LimitDepth {
        /// Upper-case symbol.
        symbol: Symbol,
        /// Levels per side.
        depth: DepthLimit,
    },
    /// Best bid and ask, batched (`publicBookTickerBatch`, 311).
    BookTickerBatch {
        /// Upper-case symbol.
        symbol: Symbol,
    },
    /// Candles, pushed every second (`publicSpotKline`, 308).
    Kline {
        /// Upper-case symbol.
        symbol: Symbol,
        /// Candle width.
        interval: KlineInterval,
    },
    /// Own order updates (`privateOrders`, 304); listen-key connections only.
    PrivateOrders,
    /// Own fills (`privateDeals`, 306); listen-key connections only.
    PrivateDeals,
    /// Balance changes (`privateAccount`, 307); listen-key connections only.
    PrivateAccount,
}

/// Aggregation window of the `aggre` channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggInterval {
    /// `10ms`.
    Ms10,
    /// `100ms`.
    Ms100,
}

/// Levels per side of [`Channel::LimitDepth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepthLimit {
    /// 5 levels.
    Five,
    /// 10 levels.
    Ten,
    /// 20 levels.
    Twenty,
}

/// Candle width of [`Channel::Kline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KlineInterval {
    /// `Min1`.
    Min1,
    /// `Min5`.
    Min5,
    /// `Min15`.
    Min15,
    /// `Min30`.
    Min30,
    /// `Min60`.
    Min60,
    /// `Hour4`.
    Hour4,
    /// `Hour8`.
    Hour8,
    /// `Day1`.
    Day1,
    /// `Week1`.
    Week1,
    /// `Month1`.
    Month1,
}

impl Channel {
    /// Parses an exact channel string (as sent in a subscription or echoed in the
    /// wrapper's `channel` field). Does not allocate unless it fails.
    ///
    /// # Errors
    /// [`Error::UnknownChannel`] for anything this crate does not model, including
    /// the retired JSON channels and the pre-2025 `.pb` ones.
    pub fn parse(s: &str) -> Result<Channel, Error> {
        Channel::parse_known(s).ok_or_else(|| Error::UnknownChannel {
            channel: s.to_string(),
        })
    }

    /// The symbol, for public channels.
    pub fn symbol(&self) -> Option<Symbol> {
        match self {
            Channel::AggreDepth { symbol, .. }
            | Channel::AggreDeals { symbol, .. }
            | Channel::AggreBookTicker { symbol, .. }
            | Channel::LimitDepth { symbol, .. }
            | Channel::BookTickerBatch { symbol }
            | Channel::Kline { symbol, .. } => Some(*symbol),
            Channel::PrivateOrders | Channel::PrivateDeals | Channel::PrivateAccount => None,
        }
    }

    /// Its family's row of [`CHANNELS`].
    pub const fn spec(&self) -> &'static ChannelSpec {
        match self {
            Channel::AggreDepth { .. } => &table::AGGRE_DEPTH,
            Channel::AggreDeals { .. } => &table::AGGRE_DEALS,
            Channel::AggreBookTicker { .. } => &table::AGGRE_BOOK_TICKER,
            Channel::LimitDepth { .. } => &table::LIMIT_DEPTH,
            Channel::BookTickerBatch { .. } => &table::BOOK_TICKER_BATCH,
            Channel::Kline { .. } => &table::KLINE,
            Channel::PrivateOrders => &table::PRIVATE_ORDERS,
            Channel::PrivateDeals => &table::PRIVATE_DEALS,
            Channel::PrivateAccount => &table::PRIVATE_ACCOUNT,
        }
    }

    /// True for the user-data channels, which need a listen-key connection.
    pub fn is_private(&self) -> bool {
        self.spec().private
    }

    /// The wrapper body field its pushes carry.
    pub fn body_kind(&self) -> BodyKind {
        self.spec().body
    }

    /// How the driver's queued mode treats its frames.
    pub fn stream_kind(&self) -> StreamKind {
        self.spec().stream
    }

    /// What decodes its pushes.
    pub fn decoder(&self) -> Decoder {
        self.spec().decoder
    }

    /// Whether the venue will accept it: symbols must be upper case.
    ///
    /// # Errors
    /// [`Error::LowercaseSymbol`].
    pub fn validate(&self) -> Result<(), Error> {
        match self.symbol() {
            Some(symbol) if symbol.as_bytes().iter().any(u8::is_ascii_lowercase) => {
                Err(Error::LowercaseSymbol { symbol })
            }
            _ => Ok(()),
        }
    }

    /// [`Channel::parse`] without building an error: never allocates.
    pub(crate) fn parse_known(s: &str) -> Option<Channel> {
        CHANNELS.iter().find_map(|spec| spec.parse(s))
    }
}

impl fmt::Display for Channel {
    /// The exact channel string: the topic, then the parameters of public channels.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec().topic)?;
        match self {
            Channel::AggreDepth { symbol, interval }
            | Channel::AggreDeals { symbol, interval }
            | Channel::AggreBookTicker { symbol, interval } => {
                write!(f, "@{}@{symbol}", interval.as_str())
            }
            Channel::LimitDepth { symbol, depth } => write!(f, "@{symbol}@{}", depth.levels()),
            Channel::BookTickerBatch { symbol } => write!(f, "@{symbol}"),
            Channel::Kline { symbol, interval } => write!(f, "@{symbol}@{}", interval.as_str()),
            Channel::PrivateOrders | Channel::PrivateDeals | Channel::PrivateAccount => Ok(()),
        }
    }
}

impl FromStr for Channel {
    type Err = Error;

    fn from_str(s: &str) -> Result<Channel, Error> {
        Channel::parse(s)
    }
}

impl Serialize for Channel {
    /// As its channel string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl AggInterval {
    /// `10ms` or `100ms`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AggInterval::Ms10 => "10ms",
            AggInterval::Ms100 => "100ms",
        }
    }

    fn parse(s: &str) -> Option<AggInterval> {
        match s {
            "10ms" => Some(AggInterval::Ms10),
            "100ms" => Some(AggInterval::Ms100),
            _ => None,
        }
    }
}

impl DepthLimit {
    /// Levels per side: 5, 10 or 20.
    pub const fn levels(self) -> u8 {
        match self {
            DepthLimit::Five => 5,
            DepthLimit::Ten => 10,
            DepthLimit::Twenty => 20,
        }
    }

    fn parse(s: &str) -> Option<DepthLimit> {
        match s {
            "5" => Some(DepthLimit::Five),
            "10" => Some(DepthLimit::Ten),
            "20" => Some(DepthLimit::Twenty),
            _ => None,
        }
    }
}

impl KlineInterval {
    /// Every interval.
    pub const ALL: [KlineInterval; 10] = [
        KlineInterval::Min1,
        KlineInterval::Min5,
        KlineInterval::Min15,
        KlineInterval::Min30,
        KlineInterval::Min60,
        KlineInterval::Hour4,
        KlineInterval::Hour8,
        KlineInterval::Day1,
        KlineInterval::Week1,
        KlineInterval::Month1,
    ];

    /// The venue's name, e.g. `Min15`.
    pub const fn as_str(self) -> &'static str {
        match self {
            KlineInterval::Min1 => "Min1",
            KlineInterval::Min5 => "Min5",
            KlineInterval::Min15 => "Min15",
            KlineInterval::Min30 => "Min30",
            KlineInterval::Min60 => "Min60",
            KlineInterval::Hour4 => "Hour4",
            KlineInterval::Hour8 => "Hour8",
            KlineInterval::Day1 => "Day1",
            KlineInterval::Week1 => "Week1",
            KlineInterval::Month1 => "Month1",
        }
    }

    fn parse(s: &str) -> Option<KlineInterval> {
        KlineInterval::ALL
            .into_iter()
            .find(|interval| interval.as_str() == s)
    }
}

/// A symbol parameter: the rest of the string, with no further `@`.
fn symbol_segment(s: &str) -> Option<Symbol> {
    if s.contains('@') {
        return None;
    }
    Symbol::new(s).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests;
