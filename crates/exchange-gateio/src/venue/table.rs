//! The venue's channel table: one row of attributes per [`Channel`], read by every
//! `Channel` method, the frame decoder and the handlers.

use ws_handlers::WebSocketMessageType as T;
use ws_session::StreamKind as K;

use super::{Channel, Market};

use self::Access::{Private, Public};
use self::Decoder as D;
use super::Market::{Futures, Spot};

/// Everything the crate knows about one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChannelSpec {
    /// The channel this row describes (its index in the table).
    pub(crate) channel: Channel,
    /// The wire name, `spot.trades`.
    pub(crate) name: &'static str,
    /// Spot or futures.
    pub(crate) market: Market,
    /// Whether subscribing needs the signed `auth` member.
    pub(crate) access: Access,
    /// The driver's queueing class of its pushes; `Control` for ping, pong and login.
    pub(crate) stream_kind: K,
    /// The handlers' message type of its messages.
    pub(crate) message_type: T,
    /// How the `result` of an `update`/`all` push is read.
    pub(crate) decoder: Decoder,
}

/// Who may subscribe to a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Anyone; no `auth` member.
    Public,
    /// Signed subscriptions only.
    Private,
}

/// The decoder of a channel's pushes (`update` and `all` events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decoder {
    /// An incremental book update (`order_book_update`, `obu`), decoded into the book.
    BookUpdate,
    /// A limited-level book snapshot (`order_book`).
    Snapshot,
    /// One best bid and ask.
    BookTicker,
    /// Public trades: one object (spot) or an array read lazily.
    Trades,
    /// A list of 24 h tickers.
    Tickers,
    /// A list of order updates.
    Orders,
    /// A list of the account's fills.
    UserTrades,
    /// A list of balance changes.
    Balances,
    /// A list of position changes.
    Positions,
    /// Not decoded: the raw `result` span.
    Raw,
}

/// The row of `channel`.
#[inline]
pub(super) const fn spec(channel: Channel) -> &'static ChannelSpec {
    &CHANNELS[channel as usize]
}

const fn row(
    channel: Channel,
    name: &'static str,
    market: Market,
    access: Access,
    stream_kind: K,
    message_type: T,
    decoder: Decoder,
) -> ChannelSpec {
    ChannelSpec {
        channel,
        name,
        market,
        access,
        stream_kind,
        message_type,
        decoder,
    }
}

/// The table, in [`Channel`] declaration order (checked below at compile time).
#[rustfmt::skip]
const CHANNELS: [ChannelSpec; Channel::ALL.len()] = [
    //  channel                          wire name                    market   access   stream      message type        decoder
    row(Channel::SpotPing,               "spot.ping",                 Spot,    Public,  K::Control, T::Ping,            D::Raw),
    row(Channel::SpotPong,               "spot.pong",                 Spot,    Public,  K::Control, T::Pong,            D::Raw),
    row(Channel::SpotLogin,              "spot.login",                Spot,    Public,  K::Control, T::Auth,            D::Raw),
    row(Channel::SpotOrderBookUpdate,    "spot.order_book_update",    Spot,    Public,  K::Book,    T::OrderBook,       D::BookUpdate),
    row(Channel::SpotBookTicker,         "spot.book_ticker",          Spot,    Public,  K::Ticker,  T::BookTicker,      D::BookTicker),
    row(Channel::SpotTrades,             "spot.trades",               Spot,    Public,  K::Trade,   T::Trade,           D::Trades),
    row(Channel::SpotTickers,            "spot.tickers",              Spot,    Public,  K::Ticker,  T::Ticker,          D::Tickers),
    row(Channel::SpotOrderBook,          "spot.order_book",           Spot,    Public,  K::Book,    T::OrderBook,       D::Snapshot),
    row(Channel::SpotObu,                "spot.obu",                  Spot,    Public,  K::Book,    T::OrderBook,       D::BookUpdate),
    row(Channel::SpotCandlesticks,       "spot.candlesticks",         Spot,    Public,  K::Ticker,  T::Unknown,         D::Raw),
    row(Channel::SpotOrders,             "spot.orders",               Spot,    Private, K::Private, T::OrderUpdate,     D::Orders),
    row(Channel::SpotUserTrades,         "spot.usertrades",           Spot,    Private, K::Private, T::ExecutionReport, D::UserTrades),
    row(Channel::SpotBalances,           "spot.balances",             Spot,    Private, K::Private, T::BalanceUpdate,   D::Balances),
    row(Channel::FuturesPing,            "futures.ping",              Futures, Public,  K::Control, T::Ping,            D::Raw),
    row(Channel::FuturesPong,            "futures.pong",              Futures, Public,  K::Control, T::Pong,            D::Raw),
    row(Channel::FuturesLogin,           "futures.login",             Futures, Public,  K::Control, T::Auth,            D::Raw),
    row(Channel::FuturesOrderBookUpdate, "futures.order_book_update", Futures, Public,  K::Book,    T::OrderBook,       D::BookUpdate),
    row(Channel::FuturesBookTicker,      "futures.book_ticker",       Futures, Public,  K::Ticker,  T::BookTicker,      D::BookTicker),
    row(Channel::FuturesTrades,          "futures.trades",            Futures, Public,  K::Trade,   T::Trade,           D::Trades),
    row(Channel::FuturesTickers,         "futures.tickers",           Futures, Public,  K::Ticker,  T::Ticker,          D::Tickers),
    row(Channel::FuturesOrderBook,       "futures.order_book",        Futures, Public,  K::Book,    T::OrderBook,       D::Snapshot),
    row(Channel::FuturesObu,             "futures.obu",               Futures, Public,  K::Book,    T::OrderBook,       D::BookUpdate),
    row(Channel::FuturesOrders,          "futures.orders",            Futures, Private, K::Private, T::OrderUpdate,     D::Orders),
    row(Channel::FuturesUserTrades,      "futures.usertrades",        Futures, Private, K::Private, T::ExecutionReport, D::UserTrades),
    row(Channel::FuturesPositions,       "futures.positions",         Futures, Private, K::Private, T::PositionUpdate,  D::Positions),
    row(Channel::FuturesBalances,        "futures.balances",          Futures, Private, K::Private, T::BalanceUpdate,   D::Balances),
    row(Channel::FuturesLiquidates,      "futures.liquidates",        Futures, Private, K::Private, T::Unknown,         D::Raw),
    row(Channel::FuturesPublicLiquidates, "futures.public_liquidates", Futures, Public, K::Trade,   T::Unknown,         D::Raw),
];

// Row `i` describes the channel with discriminant `i`, so `spec` is one indexed load.
const _: () = {
    let mut i = 0;
    while i < CHANNELS.len() {
        assert!(CHANNELS[i].channel as usize == i);
        assert!(Channel::ALL[i] as usize == i);
        i += 1;
    }
};
