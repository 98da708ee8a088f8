//! Typed channels, subscriptions and the JSON requests that carry them (spec §3.1, §4.3).
//!
//! Channel names are strings only at the wire edge: [`Channel::as_str`] renders them and
//! [`Channel::from_wire`] reads them back. Requests are rendered with the `time` (seconds)
//! and `id` passed in, so they are deterministic and testable.

use core::fmt;

use market_types::{Symbol, Venue};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use ws_session::StreamKind;

use crate::auth;
use crate::config::Credentials;
use crate::error::Error;

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

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::SpotPing => "spot.ping",
            Channel::SpotPong => "spot.pong",
            Channel::SpotLogin => "spot.login",
            Channel::SpotOrderBookUpdate => "spot.order_book_update",
            Channel::SpotBookTicker => "spot.book_ticker",
            Channel::SpotTrades => "spot.trades",
            Channel::SpotTickers => "spot.tickers",
            Channel::SpotOrderBook => "spot.order_book",
            Channel::SpotObu => "spot.obu",
            Channel::SpotCandlesticks => "spot.candlesticks",
            Channel::SpotOrders => "spot.orders",
            Channel::SpotUserTrades => "spot.usertrades",
            Channel::SpotBalances => "spot.balances",
            Channel::FuturesPing => "futures.ping",
            Channel::FuturesPong => "futures.pong",
            Channel::FuturesLogin => "futures.login",
            Channel::FuturesOrderBookUpdate => "futures.order_book_update",
            Channel::FuturesBookTicker => "futures.book_ticker",
            Channel::FuturesTrades => "futures.trades",
            Channel::FuturesTickers => "futures.tickers",
            Channel::FuturesOrderBook => "futures.order_book",
            Channel::FuturesObu => "futures.obu",
            Channel::FuturesOrders => "futures.orders",
            Channel::FuturesUserTrades => "futures.usertrades",
            Channel::FuturesPositions => "futures.positions",
            Channel::FuturesBalances => "futures.balances",
            Channel::FuturesLiquidates => "futures.liquidates",
            Channel::FuturesPublicLiquidates => "futures.public_liquidates",
        }
    }

    /// Reads a wire name; `None` for channels this crate does not know. The market prefix
    /// is split off first, so each name is one length switch and one compare.
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
    pub const fn market(self) -> Market {
        match self {
            Channel::SpotPing
            | Channel::SpotPong
            | Channel::SpotLogin
            | Channel::SpotOrderBookUpdate
            | Channel::SpotBookTicker
            | Channel::SpotTrades
            | Channel::SpotTickers
            | Channel::SpotOrderBook
            | Channel::SpotObu
            | Channel::SpotCandlesticks
            | Channel::SpotOrders
            | Channel::SpotUserTrades
            | Channel::SpotBalances => Market::Spot,
            _ => Market::Futures,
        }
    }

    /// Whether subscribing needs the signed `auth` member.
    pub const fn is_private(self) -> bool {
        matches!(
            self,
            Channel::SpotOrders
                | Channel::SpotUserTrades
                | Channel::SpotBalances
                | Channel::FuturesOrders
                | Channel::FuturesUserTrades
                | Channel::FuturesPositions
                | Channel::FuturesBalances
                | Channel::FuturesLiquidates
        )
    }

    /// Whether it is a stream one subscribes to (not ping, pong or login).
    pub const fn is_subscribable(self) -> bool {
        !matches!(
            self,
            Channel::SpotPing
                | Channel::SpotPong
                | Channel::SpotLogin
                | Channel::FuturesPing
                | Channel::FuturesPong
                | Channel::FuturesLogin
        )
    }

    /// The driver's queueing class for pushes of this channel.
    pub const fn stream_kind(self) -> StreamKind {
        match self {
            Channel::SpotOrderBookUpdate
            | Channel::FuturesOrderBookUpdate
            | Channel::SpotOrderBook
            | Channel::SpotObu
            | Channel::FuturesOrderBook
            | Channel::FuturesObu => StreamKind::Book,
            Channel::SpotTrades | Channel::FuturesTrades | Channel::FuturesPublicLiquidates => {
                StreamKind::Trade
            }
            Channel::SpotBookTicker
            | Channel::FuturesBookTicker
            | Channel::SpotTickers
            | Channel::FuturesTickers
            | Channel::SpotCandlesticks => StreamKind::Ticker,
            Channel::SpotOrders
            | Channel::SpotUserTrades
            | Channel::SpotBalances
            | Channel::FuturesOrders
            | Channel::FuturesUserTrades
            | Channel::FuturesPositions
            | Channel::FuturesBalances
            | Channel::FuturesLiquidates => StreamKind::Private,
            Channel::SpotPing
            | Channel::SpotPong
            | Channel::SpotLogin
            | Channel::FuturesPing
            | Channel::FuturesPong
            | Channel::FuturesLogin => StreamKind::Control,
        }
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

/// A Gate user id, the first payload element of futures private channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub u64);

/// What follows the channel name in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Pairs or contracts: `["BTC_USDT", "ETH_USDT"]`.
    Symbols(Vec<Symbol>),
    /// Every pair of the account: `["!all"]` (spot private channels).
    All,
    /// One `order_book_update` stream: spot `[pair, interval]`, futures
    /// `[contract, interval, level]`.
    OrderBook {
        /// The pair or contract.
        symbol: Symbol,
        /// Stream depth.
        depth: BookDepth,
    },
    /// No payload (`spot.balances`).
    Empty,
    /// Futures private channels: `[user, contract…]`, or `[user, "!all"]` when
    /// `symbols` is empty; `futures.balances` sends `[user]` alone.
    User {
        /// The account's user id.
        user_id: UserId,
        /// Contracts; empty means all.
        symbols: Vec<Symbol>,
    },
}

/// One subscription: a channel and its payload, checked to fit each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    channel: Channel,
    payload: Payload,
}

impl Subscription {
    /// Checks that `payload` is what `channel` takes.
    ///
    /// # Errors
    /// [`Error::InvalidSubscription`] for a payload of the wrong shape or a channel one
    /// cannot subscribe to, [`Error::UnsupportedDepth`] for a depth the market lacks.
    pub fn new(channel: Channel, payload: Payload) -> Result<Subscription, Error> {
        let invalid = |reason| Err(Error::InvalidSubscription { channel, reason });
        if !channel.is_subscribable() {
            return invalid("not a subscription channel");
        }
        match (&payload, channel) {
            (
                Payload::OrderBook { depth, .. },
                Channel::SpotOrderBookUpdate | Channel::FuturesOrderBookUpdate,
            ) => {
                if !depth.is_supported(channel.market()) {
                    return Err(Error::UnsupportedDepth {
                        market: channel.market(),
                        levels: depth.levels(),
                    });
                }
            }
            (_, Channel::SpotOrderBookUpdate | Channel::FuturesOrderBookUpdate) => {
                return invalid("order_book_update takes Payload::OrderBook");
            }
            (Payload::OrderBook { .. }, _) => {
                return invalid("Payload::OrderBook is for order_book_update only");
            }
            (Payload::Empty, Channel::SpotBalances) => {}
            (Payload::Empty, _) => return invalid("this channel needs a payload"),
            (Payload::User { .. }, c) if c.is_private() && c.market() == Market::Futures => {}
            (Payload::User { .. }, _) => {
                return invalid("Payload::User is for futures private channels");
            }
            (_, c) if c.is_private() && c.market() == Market::Futures => {
                return invalid("futures private channels take Payload::User");
            }
            (Payload::All, c) if c.is_private() => {}
            (Payload::All, _) => return invalid("`!all` is for private channels"),
            (Payload::Symbols(symbols), _) if symbols.is_empty() => {
                return invalid("no symbols");
            }
            (Payload::Symbols(_), Channel::SpotBalances) => {
                return invalid("spot.balances takes no payload");
            }
            (Payload::Symbols(_), _) => {}
        }
        Ok(Subscription { channel, payload })
    }

    /// An `order_book_update` subscription.
    ///
    /// # Errors
    /// [`Error::UnsupportedDepth`] when the market lacks `depth`.
    pub fn order_book(
        market: Market,
        symbol: Symbol,
        depth: BookDepth,
    ) -> Result<Subscription, Error> {
        Subscription::new(
            market.order_book_update(),
            Payload::OrderBook { symbol, depth },
        )
    }

    /// An `order_book_update` subscription whose depth the caller already checked.
    pub(crate) fn book_unchecked(market: Market, symbol: Symbol, depth: BookDepth) -> Subscription {
        Subscription {
            channel: market.order_book_update(),
            payload: Payload::OrderBook { symbol, depth },
        }
    }

    /// A subscription to pairs or contracts (`book_ticker`, `trades`, `tickers`, spot
    /// private channels).
    ///
    /// # Errors
    /// As [`Subscription::new`].
    pub fn symbols(
        channel: Channel,
        symbols: impl IntoIterator<Item = Symbol>,
    ) -> Result<Subscription, Error> {
        Subscription::new(channel, Payload::Symbols(symbols.into_iter().collect()))
    }

    /// The channel.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The payload.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The subscribe request, signed when the channel is private.
    ///
    /// # Errors
    /// [`Error::MissingCredentials`] for a private channel without `credentials`.
    pub fn subscribe_request(
        &self,
        time_s: u64,
        id: Option<i64>,
        credentials: Option<&Credentials>,
    ) -> Result<String, Error> {
        self.request(RequestEvent::Subscribe, time_s, id, credentials)
    }

    /// The unsubscribe request (same payload as the subscription), signed when private.
    ///
    /// # Errors
    /// [`Error::MissingCredentials`] for a private channel without `credentials`.
    pub fn unsubscribe_request(
        &self,
        time_s: u64,
        id: Option<i64>,
        credentials: Option<&Credentials>,
    ) -> Result<String, Error> {
        self.request(RequestEvent::Unsubscribe, time_s, id, credentials)
    }

    fn request(
        &self,
        event: RequestEvent,
        time_s: u64,
        id: Option<i64>,
        credentials: Option<&Credentials>,
    ) -> Result<String, Error> {
        let auth = if self.channel.is_private() {
            let credentials = credentials.ok_or(Error::MissingCredentials {
                channel: self.channel,
            })?;
            Some(AuthMember {
                method: "api_key",
                key: credentials.api_key(),
                sign: auth::subscription_signature(
                    credentials,
                    self.channel.as_str(),
                    event.as_str(),
                    time_s,
                ),
            })
        } else {
            None
        };
        let payload = match &self.payload {
            Payload::Empty => None,
            other => Some(PayloadRender {
                market: self.channel.market(),
                channel: self.channel,
                payload: other,
            }),
        };
        Ok(render(&Request {
            time: time_s,
            id,
            channel: self.channel.as_str(),
            event: event.as_str(),
            payload,
            auth,
        }))
    }
}

/// The application-level ping: `{"time":…,"channel":"spot.ping"}` (spec §3.3).
pub fn ping_request(market: Market, time_s: u64, id: Option<i64>) -> String {
    render(&Request::<PayloadRender<'_>> {
        time: time_s,
        id,
        channel: market.ping().as_str(),
        event: "",
        payload: None,
        auth: None,
    })
}

#[derive(Serialize)]
struct Request<'a, P: Serialize> {
    time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    channel: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<P>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth: Option<AuthMember<'a>>,
}

#[derive(Serialize)]
struct AuthMember<'a> {
    method: &'a str,
    #[serde(rename = "KEY")]
    key: &'a str,
    #[serde(rename = "SIGN")]
    sign: String,
}

struct PayloadRender<'a> {
    market: Market,
    channel: Channel,
    payload: &'a Payload,
}

impl Serialize for PayloadRender<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        match self.payload {
            Payload::Symbols(symbols) => {
                for symbol in symbols {
                    seq.serialize_element(symbol.as_str())?;
                }
            }
            Payload::All => seq.serialize_element(ALL_PAIRS)?,
            Payload::OrderBook { symbol, depth } => {
                seq.serialize_element(symbol.as_str())?;
                seq.serialize_element(depth.interval())?;
                if self.market == Market::Futures {
                    seq.serialize_element(depth.level_str())?;
                }
            }
            Payload::Empty => {}
            Payload::User { user_id, symbols } => {
                seq.serialize_element(&user_id.0.to_string())?;
                if self.channel != Channel::FuturesBalances {
                    if symbols.is_empty() {
                        seq.serialize_element(ALL_PAIRS)?;
                    }
                    for symbol in symbols {
                        seq.serialize_element(symbol.as_str())?;
                    }
                }
            }
        }
        seq.end()
    }
}

fn is_empty(s: &&str) -> bool {
    s.is_empty()
}

/// Serializes a request; these structs hold only strings and integers, so this cannot fail.
pub(crate) fn render<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

const ALL_PAIRS: &str = "!all";

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn names_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(
                Channel::from_wire(channel.as_str().as_bytes()),
                Some(channel)
            );
            let prefix = channel.as_str().split('.').next().unwrap();
            assert_eq!(prefix, channel.market().as_str());
        }
        for name in [
            &b"spot.trades_v2"[..],
            b"",
            b"spot.",
            b"futures.",
            b"spot",
            b"futures.candlesticks",
            b"spot.positions",
            b"spot.public_liquidates",
            b"SPOT.trades",
            b"spot.futures.trades",
            b"futures.spot.trades",
            b"spot.book_tickers",
            b"spot.book_ticke",
            b" spot.trades",
        ] {
            assert_eq!(Channel::from_wire(name), None, "{name:?}");
        }
    }

    #[test]
    fn renders_public_requests() {
        let sub =
            Subscription::order_book(Market::Spot, sym("BTC_USDT"), BookDepth::Levels100).unwrap();
        assert_eq!(
            sub.subscribe_request(1606292218, Some(7), None).unwrap(),
            r#"{"time":1606292218,"id":7,"channel":"spot.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}"#
        );
        let sub = Subscription::order_book(Market::Futures, sym("BTC_USDT"), BookDepth::Levels20)
            .unwrap();
        assert_eq!(
            sub.unsubscribe_request(5, None, None).unwrap(),
            r#"{"time":5,"channel":"futures.order_book_update","event":"unsubscribe","payload":["BTC_USDT","20ms","20"]}"#
        );
        let sub =
            Subscription::symbols(Channel::SpotTrades, [sym("BTC_USDT"), sym("GT_USDT")]).unwrap();
        assert_eq!(
            sub.subscribe_request(1, None, None).unwrap(),
            r#"{"time":1,"channel":"spot.trades","event":"subscribe","payload":["BTC_USDT","GT_USDT"]}"#
        );
        assert_eq!(
            ping_request(Market::Futures, 1545404023, None),
            r#"{"time":1545404023,"channel":"futures.ping"}"#
        );
    }

    #[test]
    fn renders_signed_private_requests() {
        // The request of fixture gateio_spot_client_request_auth.json, signed with the
        // spec §3.2 vector's secret.
        let creds = Credentials::new("xxxx", "YOUR_API_SECRET");
        let sub =
            Subscription::symbols(Channel::SpotOrders, [sym("BTC_USDT"), sym("GT_USDT")]).unwrap();
        let text = sub
            .subscribe_request(1611541000, Some(123456789), Some(&creds))
            .unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"time":1611541000,"id":123456789,"channel":"spot.orders","event":"subscribe","#,
                r#""payload":["BTC_USDT","GT_USDT"],"auth":{"method":"api_key","KEY":"xxxx","SIGN":"#,
                r#""4cec593ad7b7ea6592e2be81f3646a727f5a9ca3a1b90bef3bf9242f62f10e8ab0e3967ba96d1df4ece3a656a77d92b0fb4351321fd3564a125f4652a22deed1"}}"#
            )
        );
        assert!(matches!(
            sub.subscribe_request(1, None, None),
            Err(Error::MissingCredentials {
                channel: Channel::SpotOrders
            })
        ));

        let sub = Subscription::new(
            Channel::FuturesOrders,
            Payload::User {
                user_id: UserId(20011),
                symbols: vec![],
            },
        )
        .unwrap();
        let text = sub.subscribe_request(1, None, Some(&creds)).unwrap();
        assert!(text.contains(r#""payload":["20011","!all"]"#), "{text}");
        let sub = Subscription::new(
            Channel::FuturesBalances,
            Payload::User {
                user_id: UserId(20011),
                symbols: vec![],
            },
        )
        .unwrap();
        let text = sub.subscribe_request(1, None, Some(&creds)).unwrap();
        assert!(text.contains(r#""payload":["20011"]"#), "{text}");
        let sub = Subscription::new(Channel::SpotBalances, Payload::Empty).unwrap();
        let text = sub.subscribe_request(1, None, Some(&creds)).unwrap();
        assert!(!text.contains("payload"), "{text}");
    }

    #[test]
    fn refuses_mismatched_payloads() {
        assert!(matches!(
            Subscription::order_book(Market::Spot, sym("BTC_USDT"), BookDepth::Levels50),
            Err(Error::UnsupportedDepth { levels: 50, .. })
        ));
        for (channel, payload) in [
            (Channel::SpotPing, Payload::Empty),
            (
                Channel::SpotOrderBookUpdate,
                Payload::Symbols(vec![sym("A_B")]),
            ),
            (
                Channel::SpotTrades,
                Payload::OrderBook {
                    symbol: sym("A_B"),
                    depth: BookDepth::Levels20,
                },
            ),
            (Channel::SpotTrades, Payload::Empty),
            (Channel::SpotTrades, Payload::All),
            (Channel::SpotTrades, Payload::Symbols(vec![])),
            (Channel::FuturesOrders, Payload::All),
            (
                Channel::SpotOrders,
                Payload::User {
                    user_id: UserId(1),
                    symbols: vec![],
                },
            ),
        ] {
            let result = Subscription::new(channel, payload.clone());
            assert!(result.is_err(), "{channel} {payload:?}");
            assert!(result.unwrap_err().is_fatal());
        }
        assert!(Subscription::new(Channel::SpotOrders, Payload::All).is_ok());
    }
}
