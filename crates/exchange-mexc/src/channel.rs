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

use core::fmt;
use core::str::FromStr;

use market_types::Symbol;
use serde::{Serialize, Serializer};

use crate::body::BodyKind;
use crate::error::Error;

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

    /// True for the user-data channels, which need a listen-key connection.
    pub fn is_private(&self) -> bool {
        self.symbol().is_none()
    }

    /// The wrapper body field its pushes carry.
    pub fn body_kind(&self) -> BodyKind {
        match self {
            Channel::AggreDepth { .. } => BodyKind::PublicAggreDepths,
            Channel::AggreDeals { .. } => BodyKind::PublicAggreDeals,
            Channel::AggreBookTicker { .. } => BodyKind::PublicAggreBookTicker,
            Channel::LimitDepth { .. } => BodyKind::PublicLimitDepths,
            Channel::BookTickerBatch { .. } => BodyKind::PublicBookTickerBatch,
            Channel::Kline { .. } => BodyKind::PublicSpotKline,
            Channel::PrivateOrders => BodyKind::PrivateOrders,
            Channel::PrivateDeals => BodyKind::PrivateDeals,
            Channel::PrivateAccount => BodyKind::PrivateAccount,
        }
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
        match s {
            PRIVATE_ORDERS => return Some(Channel::PrivateOrders),
            PRIVATE_DEALS => return Some(Channel::PrivateDeals),
            PRIVATE_ACCOUNT => return Some(Channel::PrivateAccount),
            _ => {}
        }
        if let Some(rest) = s.strip_prefix(AGGRE_DEPTH) {
            let (interval, symbol) = agg_and_symbol(rest)?;
            return Some(Channel::AggreDepth { symbol, interval });
        }
        if let Some(rest) = s.strip_prefix(AGGRE_DEALS) {
            let (interval, symbol) = agg_and_symbol(rest)?;
            return Some(Channel::AggreDeals { symbol, interval });
        }
        if let Some(rest) = s.strip_prefix(AGGRE_BOOK_TICKER) {
            let (interval, symbol) = agg_and_symbol(rest)?;
            return Some(Channel::AggreBookTicker { symbol, interval });
        }
        if let Some(rest) = s.strip_prefix(LIMIT_DEPTH) {
            let (symbol, depth) = rest.split_once('@')?;
            return Some(Channel::LimitDepth {
                symbol: symbol_segment(symbol)?,
                depth: DepthLimit::parse(depth)?,
            });
        }
        if let Some(rest) = s.strip_prefix(BOOK_TICKER_BATCH) {
            return Some(Channel::BookTickerBatch {
                symbol: symbol_segment(rest)?,
            });
        }
        if let Some(rest) = s.strip_prefix(KLINE) {
            let (symbol, interval) = rest.split_once('@')?;
            return Some(Channel::Kline {
                symbol: symbol_segment(symbol)?,
                interval: KlineInterval::parse(interval)?,
            });
        }
        None
    }
}

impl fmt::Display for Channel {
    /// The exact channel string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::AggreDepth { symbol, interval } => {
                write!(f, "{AGGRE_DEPTH}{}@{symbol}", interval.as_str())
            }
            Channel::AggreDeals { symbol, interval } => {
                write!(f, "{AGGRE_DEALS}{}@{symbol}", interval.as_str())
            }
            Channel::AggreBookTicker { symbol, interval } => {
                write!(f, "{AGGRE_BOOK_TICKER}{}@{symbol}", interval.as_str())
            }
            Channel::LimitDepth { symbol, depth } => {
                write!(f, "{LIMIT_DEPTH}{symbol}@{}", depth.levels())
            }
            Channel::BookTickerBatch { symbol } => write!(f, "{BOOK_TICKER_BATCH}{symbol}"),
            Channel::Kline { symbol, interval } => {
                write!(f, "{KLINE}{symbol}@{}", interval.as_str())
            }
            Channel::PrivateOrders => f.write_str(PRIVATE_ORDERS),
            Channel::PrivateDeals => f.write_str(PRIVATE_DEALS),
            Channel::PrivateAccount => f.write_str(PRIVATE_ACCOUNT),
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

fn agg_and_symbol(rest: &str) -> Option<(AggInterval, Symbol)> {
    let (interval, symbol) = rest.split_once('@')?;
    Some((AggInterval::parse(interval)?, symbol_segment(symbol)?))
}

fn symbol_segment(s: &str) -> Option<Symbol> {
    if s.contains('@') {
        return None;
    }
    Symbol::new(s).ok()
}

const AGGRE_DEPTH: &str = "spot@public.aggre.depth.v3.api.pb@";
const AGGRE_DEALS: &str = "spot@public.aggre.deals.v3.api.pb@";
const AGGRE_BOOK_TICKER: &str = "spot@public.aggre.bookTicker.v3.api.pb@";
const LIMIT_DEPTH: &str = "spot@public.limit.depth.v3.api.pb@";
const BOOK_TICKER_BATCH: &str = "spot@public.bookTicker.batch.v3.api.pb@";
const KLINE: &str = "spot@public.kline.v3.api.pb@";
const PRIVATE_ORDERS: &str = "spot@private.orders.v3.api.pb";
const PRIVATE_DEALS: &str = "spot@private.deals.v3.api.pb";
const PRIVATE_ACCOUNT: &str = "spot@private.account.v3.api.pb";

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn btc() -> Symbol {
        Symbol::new("BTCUSDT").unwrap()
    }

    #[test]
    fn renders_the_exact_strings_and_parses_them_back() {
        let cases = [
            (
                Channel::AggreDepth {
                    symbol: btc(),
                    interval: AggInterval::Ms100,
                },
                "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT",
            ),
            (
                Channel::AggreDepth {
                    symbol: btc(),
                    interval: AggInterval::Ms10,
                },
                "spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT",
            ),
            (
                Channel::AggreDeals {
                    symbol: btc(),
                    interval: AggInterval::Ms100,
                },
                "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
            ),
            (
                Channel::AggreBookTicker {
                    symbol: btc(),
                    interval: AggInterval::Ms10,
                },
                "spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT",
            ),
            (
                Channel::LimitDepth {
                    symbol: btc(),
                    depth: DepthLimit::Five,
                },
                "spot@public.limit.depth.v3.api.pb@BTCUSDT@5",
            ),
            (
                Channel::LimitDepth {
                    symbol: btc(),
                    depth: DepthLimit::Ten,
                },
                "spot@public.limit.depth.v3.api.pb@BTCUSDT@10",
            ),
            (
                Channel::LimitDepth {
                    symbol: btc(),
                    depth: DepthLimit::Twenty,
                },
                "spot@public.limit.depth.v3.api.pb@BTCUSDT@20",
            ),
            (
                Channel::BookTickerBatch { symbol: btc() },
                "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT",
            ),
            (
                Channel::Kline {
                    symbol: btc(),
                    interval: KlineInterval::Min15,
                },
                "spot@public.kline.v3.api.pb@BTCUSDT@Min15",
            ),
            (Channel::PrivateOrders, "spot@private.orders.v3.api.pb"),
            (Channel::PrivateDeals, "spot@private.deals.v3.api.pb"),
            (Channel::PrivateAccount, "spot@private.account.v3.api.pb"),
        ];
        for (channel, text) in cases {
            assert_eq!(channel.to_string(), text);
            assert_eq!(Channel::parse(text).unwrap(), channel, "{text}");
            assert_eq!(text.parse::<Channel>().unwrap(), channel);
            assert_eq!(
                serde_json::to_string(&channel).unwrap(),
                format!("\"{text}\"")
            );
        }
        for interval in KlineInterval::ALL {
            let channel = Channel::Kline {
                symbol: btc(),
                interval,
            };
            assert_eq!(Channel::parse(&channel.to_string()).unwrap(), channel);
        }
    }

    #[test]
    fn unknown_and_retired_channels_are_refused() {
        for text in [
            "",
            "spot@public.increase.depth.v3.api@BTCUSDT",
            "spot@public.aggre.deals.v3.api.pb@BTCUSDT",
            "spot@public.aggre.depth.v3.api.pb@50ms@BTCUSDT",
            "spot@public.aggre.depth.v3.api.pb@100ms@",
            "spot@public.aggre.depth.v3.api.pb@100ms@BTC@USDT",
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@15",
            "spot@public.limit.depth.v3.api.pb@5@BTCUSDT",
            "spot@public.kline.v3.api.pb@BTCUSDT@Min2",
            "spot@public.bookTicker.v3.api.pb@BTCUSDT",
            "spot@private.orders.v3.api.pb@BTCUSDT",
            "spot@public.aggre.depth.v3.api.pb@100ms@BTC USDT",
        ] {
            let error = Channel::parse(text).unwrap_err();
            assert!(
                matches!(&error, Error::UnknownChannel { channel } if channel == text),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn classification_and_validation() {
        let depth = Channel::AggreDepth {
            symbol: btc(),
            interval: AggInterval::Ms100,
        };
        assert_eq!(depth.symbol(), Some(btc()));
        assert!(!depth.is_private());
        assert_eq!(depth.body_kind(), BodyKind::PublicAggreDepths);
        assert!(depth.validate().is_ok());
        assert!(Channel::PrivateDeals.is_private());
        assert_eq!(Channel::PrivateDeals.body_kind(), BodyKind::PrivateDeals);
        let lower = Channel::AggreDeals {
            symbol: Symbol::new("btcusdt").unwrap(),
            interval: AggInterval::Ms100,
        };
        assert!(matches!(
            lower.validate(),
            Err(Error::LowercaseSymbol { .. })
        ));
    }
}
