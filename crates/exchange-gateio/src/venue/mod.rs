//! What the venue offers: its two markets, every channel (one table of their
//! attributes, [`ChannelSpec`]), request events and book depths (spec §3.1, §4.3).
//!
//! This is the crate's bottom layer: it uses no other module of the crate. Channel names
//! are strings only at the wire edge: [`Channel::as_str`] renders them and
//! [`Channel::from_wire`] reads them back.

use core::fmt;

use market_types::Venue;
use ws_handlers::WebSocketMessageType;
use ws_session::StreamKind;

mod table;

pub(crate) use self::table::{Access, ChannelSpec, Decoder};

/// Gate spot or Gate USDT-settled perpetual futures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Market {
    /// `spot.*` channels on `wss://api.gateio.ws/ws/v4/`.
    Spot,
    /// `futures.*` channels on `wss://fx-ws.gateio.ws/v4/ws/usdt`.
    Futures,
}

impl Market {
    /// The normalized venue.
    pub const fn venue(self) -> Venue {
        match self {
            Market::Spot => Venue::GateioSpot,
            Market::Futures => Venue::GateioFutures,
        }
    }

    /// `spot` or `futures`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Market::Spot => "spot",
            Market::Futures => "futures",
        }
    }

    /// The application-level ping channel.
    pub const fn ping(self) -> Channel {
        match self {
            Market::Spot => Channel::SpotPing,
            Market::Futures => Channel::FuturesPing,
        }
    }

    /// The login channel of the WebSocket API.
    pub const fn login(self) -> Channel {
        match self {
            Market::Spot => Channel::SpotLogin,
            Market::Futures => Channel::FuturesLogin,
        }
    }

    /// The incremental book channel.
    pub const fn order_book_update(self) -> Channel {
        match self {
            Market::Spot => Channel::SpotOrderBookUpdate,
            Market::Futures => Channel::FuturesOrderBookUpdate,
        }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Every Gate channel this crate reads or writes.
///
/// The ones the crate decodes fully are the order-book, ticker, trade and private
/// channels of both markets, ping/pong and login; the others (`*.obu`, `*.order_book`,
/// candlesticks, liquidations) are recognised so that acks and errors can name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Channel {
    /// `spot.ping` (client → server).
    SpotPing,
    /// `spot.pong`.
    SpotPong,
    /// `spot.login` (WebSocket API).
    SpotLogin,
    /// `spot.order_book_update`: incremental book with update ids.
    SpotOrderBookUpdate,
    /// `spot.book_ticker`: best bid and ask.
    SpotBookTicker,
    /// `spot.trades`: public trades.
    SpotTrades,
    /// `spot.tickers`: 24 h tickers.
    SpotTickers,
    /// `spot.order_book`: limited-level snapshots (recognised only).
    SpotOrderBook,
    /// `spot.obu`: order book V2 (recognised only).
    SpotObu,
    /// `spot.candlesticks` (recognised only).
    SpotCandlesticks,
    /// `spot.orders` (private).
    SpotOrders,
    /// `spot.usertrades` (private).
    SpotUserTrades,
    /// `spot.balances` (private).
    SpotBalances,
    /// `futures.ping` (client → server).
    FuturesPing,
    /// `futures.pong`.
    FuturesPong,
    /// `futures.login` (WebSocket API).
    FuturesLogin,
    /// `futures.order_book_update`: incremental book with update ids.
    FuturesOrderBookUpdate,
    /// `futures.book_ticker`: best bid and ask.
    FuturesBookTicker,
    /// `futures.trades`: public trades.
    FuturesTrades,
    /// `futures.tickers`: 24 h tickers with funding.
    FuturesTickers,
    /// `futures.order_book`: legacy snapshots (recognised only).
    FuturesOrderBook,
    /// `futures.obu`: order book V2 (recognised only).
    FuturesObu,
    /// `futures.orders` (private).
    FuturesOrders,
    /// `futures.usertrades` (private).
    FuturesUserTrades,
    /// `futures.positions` (private).
    FuturesPositions,
    /// `futures.balances` (private).
    FuturesBalances,
    /// `futures.liquidates` (private, recognised only).
    FuturesLiquidates,
    /// `futures.public_liquidates` (recognised only).
    FuturesPublicLiquidates,
}

impl Channel {
    /// Every channel, in declaration order.
    pub const ALL: [Channel; 28] = [
        Channel::SpotPing,
        Channel::SpotPong,
        Channel::SpotLogin,
        Channel::SpotOrderBookUpdate,
        Channel::SpotBookTicker,
        Channel::SpotTrades,
        Channel::SpotTickers,
        Channel::SpotOrderBook,
        Channel::SpotObu,
        Channel::SpotCandlesticks,
        Channel::SpotOrders,
        Channel::SpotUserTrades,
        Channel::SpotBalances,
        Channel::FuturesPing,
        Channel::FuturesPong,
        Channel::FuturesLogin,
        Channel::FuturesOrderBookUpdate,
        Channel::FuturesBookTicker,
        Channel::FuturesTrades,
        Channel::FuturesTickers,
        Channel::FuturesOrderBook,
        Channel::FuturesObu,
        Channel::FuturesOrders,
        Channel::FuturesUserTrades,
        Channel::FuturesPositions,
        Channel::FuturesBalances,
        Channel::FuturesLiquidates,
        Channel::FuturesPublicLiquidates,
    ];

    /// All attributes of this channel: its row of the venue's channel table.
    #[inline]
    pub(crate) const fn spec(self) -> &'static ChannelSpec {
        table::spec(self)
    }

    /// The wire name.
    #[inline]
    pub const fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// Reads a wire name; `None` for channels this crate does not know. The market prefix
    /// is split off first, so each name is one length switch and one compare. A `match`
    /// rather than a search of the table, since it runs on every frame; a test checks
    /// that it reads back every name of the table.
    #[inline]
    pub fn from_wire(name: &[u8]) -> Option<Channel> {
        let channel = if let Some(rest) = name.strip_prefix(b"spot.") {
            match rest {
                b"order_book_update" => Channel::SpotOrderBookUpdate,
                b"book_ticker" => Channel::SpotBookTicker,
                b"trades" => Channel::SpotTrades,
                b"tickers" => Channel::SpotTickers,
                b"ping" => Channel::SpotPing,
                b"pong" => Channel::SpotPong,
                b"login" => Channel::SpotLogin,
                b"order_book" => Channel::SpotOrderBook,
                b"obu" => Channel::SpotObu,
                b"candlesticks" => Channel::SpotCandlesticks,
                b"orders" => Channel::SpotOrders,
                b"usertrades" => Channel::SpotUserTrades,
                b"balances" => Channel::SpotBalances,
                _ => return None,
            }
        } else if let Some(rest) = name.strip_prefix(b"futures.") {
            match rest {
                b"order_book_update" => Channel::FuturesOrderBookUpdate,
                b"book_ticker" => Channel::FuturesBookTicker,
                b"trades" => Channel::FuturesTrades,
                b"tickers" => Channel::FuturesTickers,
                b"ping" => Channel::FuturesPing,
                b"pong" => Channel::FuturesPong,
                b"login" => Channel::FuturesLogin,
                b"order_book" => Channel::FuturesOrderBook,
                b"obu" => Channel::FuturesObu,
                b"orders" => Channel::FuturesOrders,
                b"usertrades" => Channel::FuturesUserTrades,
                b"positions" => Channel::FuturesPositions,
                b"balances" => Channel::FuturesBalances,
                b"liquidates" => Channel::FuturesLiquidates,
                b"public_liquidates" => Channel::FuturesPublicLiquidates,
                _ => return None,
            }
        } else {
            return None;
        };
        Some(channel)
    }

    /// Spot or futures.
    #[inline]
    pub const fn market(self) -> Market {
        self.spec().market
    }

    /// Whether subscribing needs the signed `auth` member.
    #[inline]
    pub const fn is_private(self) -> bool {
        matches!(self.spec().access, Access::Private)
    }

    /// Whether it is a stream one subscribes to (not ping, pong or login).
    #[inline]
    pub const fn is_subscribable(self) -> bool {
        !matches!(self.spec().stream_kind, StreamKind::Control)
    }

    /// The driver's queueing class for pushes of this channel.
    #[inline]
    pub const fn stream_kind(self) -> StreamKind {
        self.spec().stream_kind
    }

    /// The handlers' message type of this channel's messages (of its `update`/`all`
    /// pushes, for the data channels).
    #[inline]
    pub const fn message_type(self) -> WebSocketMessageType {
        self.spec().message_type
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The `event` of a client request and of its acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestEvent {
    /// `subscribe`.
    Subscribe,
    /// `unsubscribe`.
    Unsubscribe,
}

impl RequestEvent {
    /// The wire word.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestEvent::Subscribe => "subscribe",
            RequestEvent::Unsubscribe => "unsubscribe",
        }
    }
}

impl fmt::Display for RequestEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Depth of an `order_book_update` stream; the REST snapshot uses the same `limit`.
///
/// Spot offers 20 levels every 20 ms and 100 levels every 100 ms; futures offers 20
/// levels every 20 ms and 50 or 100 levels every 100 ms (spec §3.4, §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookDepth {
    /// 20 levels, pushed every 20 ms.
    Levels20,
    /// 50 levels, pushed every 100 ms (futures only).
    Levels50,
    /// 100 levels, pushed every 100 ms.
    Levels100,
}

impl BookDepth {
    /// Number of levels per side.
    pub const fn levels(self) -> u32 {
        match self {
            BookDepth::Levels20 => 20,
            BookDepth::Levels50 => 50,
            BookDepth::Levels100 => 100,
        }
    }

    /// The update interval word of the payload.
    pub const fn interval(self) -> &'static str {
        match self {
            BookDepth::Levels20 => "20ms",
            BookDepth::Levels50 | BookDepth::Levels100 => "100ms",
        }
    }

    /// The level word of the futures payload.
    pub const fn level_str(self) -> &'static str {
        match self {
            BookDepth::Levels20 => "20",
            BookDepth::Levels50 => "50",
            BookDepth::Levels100 => "100",
        }
    }

    /// Whether `market` offers this depth.
    pub const fn is_supported(self, market: Market) -> bool {
        !matches!((market, self), (Market::Spot, BookDepth::Levels50))
    }

    /// The depth with this many levels.
    pub const fn from_levels(levels: u32) -> Option<BookDepth> {
        match levels {
            20 => Some(BookDepth::Levels20),
            50 => Some(BookDepth::Levels50),
            100 => Some(BookDepth::Levels100),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
