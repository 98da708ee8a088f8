//! Subscriptions: a channel and its payload, checked to fit each other when built.
//! Rendering them into requests is [`crate::request`]'s job.

use market_types::Symbol;

use crate::error::Error;
use crate::venue::{BookDepth, Channel, Market};

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
}
