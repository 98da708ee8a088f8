//! The channels the simulator serves, parsed from and rendered to their wire strings
//! (`shared/spec/protocols.md` §1.5).

use std::fmt;

use market_types::Symbol;

/// One subscribable channel. Everything else a client may send is answered "Blocked".
///
/// ```text
/// spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT
/// spot@public.limit.depth.v3.api.pb@BTCUSDT@5      (symbol before levels)
/// spot@private.orders.v3.api.pb
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// `spot@public.aggre.depth.v3.api.pb@INT@SYM`: diff depth, body 313.
    AggreDepth {
        /// Aggregation window.
        interval: Interval,
        /// The pair.
        symbol: Symbol,
    },
    /// `spot@public.aggre.deals.v3.api.pb@INT@SYM`: trades, body 314.
    AggreDeals {
        /// Aggregation window.
        interval: Interval,
        /// The pair.
        symbol: Symbol,
    },
    /// `spot@public.aggre.bookTicker.v3.api.pb@INT@SYM`: best bid/ask, body 315.
    AggreBookTicker {
        /// Aggregation window.
        interval: Interval,
        /// The pair.
        symbol: Symbol,
    },
    /// `spot@public.limit.depth.v3.api.pb@SYM@N`: top-N snapshot, body 303.
    LimitDepth {
        /// The pair.
        symbol: Symbol,
        /// Levels per side.
        levels: DepthLevels,
    },
    /// `spot@public.bookTicker.batch.v3.api.pb@SYM`: best bid/ask, body 311.
    BookTickerBatch {
        /// The pair.
        symbol: Symbol,
    },
    /// `spot@private.orders.v3.api.pb`, body 304 (listen key required).
    PrivateOrders,
    /// `spot@private.deals.v3.api.pb`, body 306 (listen key required).
    PrivateDeals,
    /// `spot@private.account.v3.api.pb`, body 307 (listen key required).
    PrivateAccount,
}

impl Channel {
    /// Parses an exact channel string; `None` for anything the simulator does not serve
    /// (JSON channels, miniTicker, kline, legacy `.pb` channels, a missing interval, …).
    /// Whether the symbol exists is not checked here.
    pub fn parse(text: &str) -> Option<Channel> {
        let mut parts = text.split('@');
        if parts.next() != Some("spot") {
            return None;
        }
        let family = parts.next()?;
        let rest: Vec<&str> = parts.collect();
        let channel = match (family, rest.as_slice()) {
            (AGGRE_DEPTH, [interval, symbol]) => Channel::AggreDepth {
                interval: Interval::parse(interval)?,
                symbol: symbol_of(symbol)?,
            },
            (AGGRE_DEALS, [interval, symbol]) => Channel::AggreDeals {
                interval: Interval::parse(interval)?,
                symbol: symbol_of(symbol)?,
            },
            (AGGRE_BOOK_TICKER, [interval, symbol]) => Channel::AggreBookTicker {
                interval: Interval::parse(interval)?,
                symbol: symbol_of(symbol)?,
            },
            (LIMIT_DEPTH, [symbol, levels]) => Channel::LimitDepth {
                symbol: symbol_of(symbol)?,
                levels: DepthLevels::parse(levels)?,
            },
            (BOOK_TICKER_BATCH, [symbol]) => Channel::BookTickerBatch {
                symbol: symbol_of(symbol)?,
            },
            (PRIVATE_ORDERS, []) => Channel::PrivateOrders,
            (PRIVATE_DEALS, []) => Channel::PrivateDeals,
            (PRIVATE_ACCOUNT, []) => Channel::PrivateAccount,
            _ => return None,
        };
        Some(channel)
    }

    /// The pair of a public channel.
    pub fn symbol(&self) -> Option<Symbol> {
        match *self {
            Channel::AggreDepth { symbol, .. }
            | Channel::AggreDeals { symbol, .. }
            | Channel::AggreBookTicker { symbol, .. }
            | Channel::LimitDepth { symbol, .. }
            | Channel::BookTickerBatch { symbol } => Some(symbol),
            Channel::PrivateOrders | Channel::PrivateDeals | Channel::PrivateAccount => None,
        }
    }

    /// Whether the channel needs a listen-key connection.
    pub fn is_private(&self) -> bool {
        self.symbol().is_none()
    }

    /// The body's `eventType`: the channel without `@SYMBOL` (and, for limit depth,
    /// without the levels either, as in the docs' samples).
    pub fn event_type(&self) -> String {
        match *self {
            Channel::AggreDepth { interval, .. } => {
                format!("spot@{AGGRE_DEPTH}@{}", interval.as_str())
            }
            Channel::AggreDeals { interval, .. } => {
                format!("spot@{AGGRE_DEALS}@{}", interval.as_str())
            }
            Channel::AggreBookTicker { interval, .. } => {
                format!("spot@{AGGRE_BOOK_TICKER}@{}", interval.as_str())
            }
            Channel::LimitDepth { .. } => format!("spot@{LIMIT_DEPTH}"),
            Channel::BookTickerBatch { .. } => format!("spot@{BOOK_TICKER_BATCH}"),
            Channel::PrivateOrders => format!("spot@{PRIVATE_ORDERS}"),
            Channel::PrivateDeals => format!("spot@{PRIVATE_DEALS}"),
            Channel::PrivateAccount => format!("spot@{PRIVATE_ACCOUNT}"),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::AggreDepth { symbol, .. }
            | Channel::AggreDeals { symbol, .. }
            | Channel::AggreBookTicker { symbol, .. }
            | Channel::BookTickerBatch { symbol } => {
                write!(f, "{}@{symbol}", self.event_type())
            }
            Channel::LimitDepth { symbol, levels } => {
                write!(f, "{}@{symbol}@{}", self.event_type(), levels.count())
            }
            Channel::PrivateOrders | Channel::PrivateDeals | Channel::PrivateAccount => {
                f.write_str(&self.event_type())
            }
        }
    }
}

/// The aggregation window of an `aggre` channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interval {
    /// `10ms`: one push per generator tick.
    Ms10,
    /// `100ms`: one push per `slow_every` generator ticks.
    Ms100,
}

impl Interval {
    /// Both windows.
    pub const ALL: [Interval; 2] = [Interval::Ms10, Interval::Ms100];

    /// `"10ms"` or `"100ms"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Ms10 => "10ms",
            Interval::Ms100 => "100ms",
        }
    }

    fn parse(text: &str) -> Option<Interval> {
        match text {
            "10ms" => Some(Interval::Ms10),
            "100ms" => Some(Interval::Ms100),
            _ => None,
        }
    }
}

/// Levels per side of a limit-depth channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepthLevels {
    /// `@5`.
    Five,
    /// `@10`.
    Ten,
    /// `@20`.
    Twenty,
}

impl DepthLevels {
    /// Every level count.
    pub const ALL: [DepthLevels; 3] = [DepthLevels::Five, DepthLevels::Ten, DepthLevels::Twenty];

    /// 5, 10 or 20.
    pub fn count(self) -> usize {
        match self {
            DepthLevels::Five => 5,
            DepthLevels::Ten => 10,
            DepthLevels::Twenty => 20,
        }
    }

    fn parse(text: &str) -> Option<DepthLevels> {
        match text {
            "5" => Some(DepthLevels::Five),
            "10" => Some(DepthLevels::Ten),
            "20" => Some(DepthLevels::Twenty),
            _ => None,
        }
    }
}

fn symbol_of(text: &str) -> Option<Symbol> {
    if text.is_empty() {
        return None;
    }
    Symbol::new(text).ok()
}

const AGGRE_DEPTH: &str = "public.aggre.depth.v3.api.pb";
const AGGRE_DEALS: &str = "public.aggre.deals.v3.api.pb";
const AGGRE_BOOK_TICKER: &str = "public.aggre.bookTicker.v3.api.pb";
const LIMIT_DEPTH: &str = "public.limit.depth.v3.api.pb";
const BOOK_TICKER_BATCH: &str = "public.bookTicker.batch.v3.api.pb";
const PRIVATE_ORDERS: &str = "private.orders.v3.api.pb";
const PRIVATE_DEALS: &str = "private.deals.v3.api.pb";
const PRIVATE_ACCOUNT: &str = "private.account.v3.api.pb";

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]
mod tests {
    use super::*;

    #[test]
    fn served_channels_round_trip() {
        for text in [
            "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT",
            "spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT",
            "spot@public.aggre.deals.v3.api.pb@100ms@ETHUSDT",
            "spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT",
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@5",
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@20",
            "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT",
            "spot@private.orders.v3.api.pb",
            "spot@private.deals.v3.api.pb",
            "spot@private.account.v3.api.pb",
        ] {
            let channel = Channel::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(channel.to_string(), text);
        }
    }

    #[test]
    fn everything_else_is_not_served() {
        for text in [
            "spot@public.deals.v3.api@BTCUSDT",
            "spot@public.increase.depth.v3.api@BTCUSDT",
            "spot@public.aggre.deals.v3.api.pb@BTCUSDT",
            "spot@public.aggre.bookTicker.v3.api.pb@BTCUSDT",
            "spot@public.aggre.depth.v3.api.pb@1s@BTCUSDT",
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@7",
            "spot@public.limit.depth.v3.api.pb@5@BTCUSDT",
            "spot@public.miniTicker.v3.api.pb@BTCUSDT@UTC+8",
            "spot@public.miniTickers.v3.api.pb@UTC+8",
            "spot@public.kline.v3.api.pb@BTCUSDT@Min15",
            "spot@private.orders.v3.api",
            "spot@public.aggre.depth.v3.api.pb@100ms@",
            "",
            "PING",
        ] {
            assert_eq!(Channel::parse(text), None, "{text}");
        }
    }

    #[test]
    fn event_types_match_the_docs() {
        let depth = Channel::parse("spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT");
        assert_eq!(
            depth.map(|c| c.event_type()).as_deref(),
            Some("spot@public.aggre.depth.v3.api.pb@100ms")
        );
        let limit = Channel::parse("spot@public.limit.depth.v3.api.pb@BTCUSDT@5");
        assert_eq!(
            limit.map(|c| c.event_type()).as_deref(),
            Some("spot@public.limit.depth.v3.api.pb")
        );
    }
}
