//! Venues, channels and symbols as users name them, checked with messages that say what to
//! do.
//!
//! Nothing here names a venue: every venue fact comes from its `VenueConnector` through
//! `venue_registry`.

use std::fmt;
use std::str::FromStr;

use market_types::{Symbol, Venue};
use venue_registry::profile;
use ws_handlers::{DepthRule, Feed, SymbolStyle};

use crate::event::{EventKind, EventSink};

/// A channel as users name it (`--channels` in `wsx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelName {
    /// The local order book (`book_update`, `book_status`, and the final `book` lines).
    Book,
    /// Public trades.
    Trades,
    /// Best bid and ask.
    Ticker,
    /// 24 h statistics (Gate.io only).
    Ticker24h,
    /// Own orders.
    Orders,
    /// Own fills.
    Fills,
    /// Balances.
    Balances,
    /// Futures positions (Gate.io futures only).
    Positions,
}

impl ChannelName {
    /// Every channel.
    pub const ALL: [ChannelName; 8] = [
        ChannelName::Book,
        ChannelName::Trades,
        ChannelName::Ticker,
        ChannelName::Ticker24h,
        ChannelName::Orders,
        ChannelName::Fills,
        ChannelName::Balances,
        ChannelName::Positions,
    ];

    /// The command-line name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChannelName::Book => "book",
            ChannelName::Trades => "trades",
            ChannelName::Ticker => "ticker",
            ChannelName::Ticker24h => "ticker24h",
            ChannelName::Orders => "orders",
            ChannelName::Fills => "fills",
            ChannelName::Balances => "balances",
            ChannelName::Positions => "positions",
        }
    }

    /// Whether it needs credentials.
    pub const fn is_private(self) -> bool {
        matches!(
            self,
            ChannelName::Orders
                | ChannelName::Fills
                | ChannelName::Balances
                | ChannelName::Positions
        )
    }

    /// The venue-independent feed it stands for.
    pub const fn feed(self) -> Feed {
        match self {
            ChannelName::Book => Feed::Book,
            ChannelName::Trades => Feed::Trades,
            ChannelName::Ticker => Feed::Ticker,
            ChannelName::Ticker24h => Feed::Ticker24h,
            ChannelName::Orders => Feed::Orders,
            ChannelName::Fills => Feed::Fills,
            ChannelName::Balances => Feed::Balances,
            ChannelName::Positions => Feed::Positions,
        }
    }

    /// The event kinds it produces.
    pub fn kinds(self) -> &'static [EventKind] {
        match self {
            ChannelName::Book => &[
                EventKind::BookUpdate,
                EventKind::BookStatus,
                EventKind::Book,
            ],
            ChannelName::Trades => &[EventKind::Trade],
            ChannelName::Ticker => &[EventKind::Ticker],
            ChannelName::Ticker24h => &[EventKind::Ticker24h],
            ChannelName::Orders => &[EventKind::Order],
            ChannelName::Fills => &[EventKind::Fill],
            ChannelName::Balances => &[EventKind::Balance],
            ChannelName::Positions => &[EventKind::Position],
        }
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.trim().to_ascii_lowercase();
        let alias = match wanted.as_str() {
            "trade" => "trades",
            "order" => "orders",
            "fill" | "usertrades" => "fills",
            "balance" => "balances",
            "position" => "positions",
            "orderbook" | "depth" => "book",
            "bookticker" | "book_ticker" => "ticker",
            "tickers" => "ticker24h",
            other => other,
        };
        ChannelName::ALL
            .into_iter()
            .find(|c| c.as_str() == alias)
            .ok_or_else(|| {
                format!(
                    "unknown channel '{s}'; use some of {}",
                    ChannelName::ALL.map(ChannelName::as_str).join(",")
                )
            })
    }
}

/// Parses `--venue`.
pub fn parse_venue(s: &str) -> Result<Venue, String> {
    s.trim().to_ascii_lowercase().parse().map_err(|_| {
        format!(
            "unknown venue '{s}'; use one of {}",
            Venue::ALL.map(Venue::as_str).join(", ")
        )
    })
}

/// Default endpoints of a venue (production).
pub fn default_urls(venue: Venue) -> (&'static str, &'static str) {
    let live = profile(venue).live;
    (live.ws, live.rest)
}

/// Checks a symbol's spelling for the venue and says how to fix it.
pub fn parse_symbol(venue: Venue, raw: &str) -> Result<Symbol, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty symbol".into());
    }
    let valid_chars = s
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let venue_profile = profile(venue);
    let brand = venue_profile.brand;
    match venue_profile.symbol_style {
        SymbolStyle::Underscore => {
            let parts: Vec<&str> = s.split('_').collect();
            if !valid_chars || parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                let hint = s.to_ascii_uppercase().replace(['-', '/'], "_");
                return Err(format!(
                    "'{s}' is not a {venue} symbol: {brand} spells them upper case with an \
                     underscore, like BTC_USDT{}",
                    if hint != s && hint.contains('_') {
                        format!(" (did you mean {hint}?)")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        SymbolStyle::Concatenated => {
            if !valid_chars || s.contains('_') {
                let hint: String = s
                    .to_ascii_uppercase()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                return Err(format!(
                    "'{s}' is not a {venue} symbol: {brand} spells them upper case without a \
                     separator, like BTCUSDT (did you mean {hint}?)"
                ));
            }
        }
    }
    Symbol::new(s).map_err(|e| format!("'{s}' is not a symbol: {e}"))
}

/// Checks that every channel exists on the venue.
pub fn check_channels(venue: Venue, channels: &[ChannelName]) -> Result<(), String> {
    match channels.iter().find(|c| !offers(venue, **c)) {
        None => Ok(()),
        Some(channel) => {
            let others: Vec<&str> = ChannelName::ALL
                .into_iter()
                .filter(|c| offers(venue, *c))
                .map(ChannelName::as_str)
                .collect();
            Err(format!(
                "{venue} has no '{channel}' channel; it offers {}",
                others.join(",")
            ))
        }
    }
}

fn offers(venue: Venue, channel: ChannelName) -> bool {
    profile(venue).feeds.contains(channel.feed())
}

/// The `--depth` values a venue takes, checked before anything connects.
pub fn check_depth(venue: Venue, depth: Option<u32>) -> Result<(), String> {
    let Some(depth) = depth else { return Ok(()) };
    match profile(venue).depth {
        DepthRule::SnapshotLimit { max } if (1..=max).contains(&depth) => Ok(()),
        DepthRule::SnapshotLimit { max } => Err(format!(
            "--depth for {venue} is the REST snapshot limit: 1 to {max}"
        )),
        DepthRule::Streams(allowed) if allowed.contains(&depth) => Ok(()),
        DepthRule::Streams(allowed) => Err(format!(
            "--depth {depth} is not offered by {venue}; use one of {}",
            allowed
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The callbacks of one venue's sessions: book views of `levels` levels, and only the
/// kinds `channels` produce (plus errors and book status).
pub fn event_sink(venue: Venue, levels: usize, channels: &[ChannelName]) -> EventSink {
    let mut allowed = vec![EventKind::Error, EventKind::BookStatus];
    for channel in channels {
        allowed.extend_from_slice(channel.kinds());
    }
    EventSink::new(venue, levels).with_kinds(&allowed)
}

/// The feeds of `channels`, market data first (the order subscriptions go out in).
pub fn feeds(channels: &[ChannelName]) -> Vec<Feed> {
    ChannelName::ALL
        .into_iter()
        .filter(|c| channels.contains(c))
        .map(ChannelName::feed)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_checked_per_venue() {
        assert!(parse_symbol(Venue::GateioSpot, "BTC_USDT").is_ok());
        let e = parse_symbol(Venue::GateioSpot, "btc-usdt").unwrap_err();
        assert!(e.contains("did you mean BTC_USDT?"), "{e}");
        assert!(parse_symbol(Venue::MexcSpot, "BTCUSDT").is_ok());
        let e = parse_symbol(Venue::MexcSpot, "BTC_USDT").unwrap_err();
        assert!(e.contains("did you mean BTCUSDT?"), "{e}");
    }

    #[test]
    fn channels_and_venues_parse_with_helpful_errors() {
        assert_eq!("trades".parse::<ChannelName>(), Ok(ChannelName::Trades));
        assert_eq!("fill".parse::<ChannelName>(), Ok(ChannelName::Fills));
        assert!(
            "candles"
                .parse::<ChannelName>()
                .unwrap_err()
                .contains("book,trades")
        );
        assert_eq!(parse_venue("MEXC-SPOT"), Ok(Venue::MexcSpot));
        assert!(parse_venue("binance").unwrap_err().contains("gateio-spot"));
        assert!(check_channels(Venue::MexcSpot, &[ChannelName::Positions]).is_err());
        assert!(check_channels(Venue::GateioFutures, &[ChannelName::Positions]).is_ok());
    }
}
