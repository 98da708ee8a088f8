//! Wire types and the one entry point that classifies and decodes a text frame.
//!
//! [`parse_frame`] reads the envelope (`channel`, `event`, `time`, `result`, `error`, …)
//! in one pass and decodes `result` in place as soon as the channel and event are known
//! (Gate sends them first), so the hot pushes are read once, without a DOM and without
//! allocating. Level arrays of book pushes are kept as raw text and decoded straight into
//! the book by whoever iterates them. Arrays of private items are decoded lazily by
//! [`Items`]; trade arrays are only delimited when the frame is read (brackets counted
//! outside strings), their items checked in full as they are iterated, so a malformed
//! trade array ends its iteration with an error. Unknown members are skipped everywhere.
//!
//! Refusals by the venue (a rejected subscription, a failed WebSocket API call) come back
//! as [`Error::Rejected`] / [`Error::Api`]; broken frames as the decode variants of
//! [`Error`]. Nothing here panics on any input.

pub(crate) mod book;
mod market;
mod private;
pub(crate) mod read;

mod compact;
mod envelope;
mod items;
mod response;

use market_types::{BookTicker, Fill, Position, Symbol, Ticker};

pub use self::book::{BookSnapshot, LevelIter, OrderBookUpdate, RawLevels, parse_snapshot};
pub(crate) use self::compact::{CompactHead, compact_channel_event, compact_head};
pub(crate) use self::envelope::Event;
pub use self::items::{ItemIter, Items};
pub use self::market::PublicTrade;
pub use self::private::{BalanceUpdate, OrderEvent, OrderUpdate};

use self::envelope::{ScanState, scan};
use crate::error::Error;
use crate::json::Scanner;
use crate::venue::{Channel, Market, RequestEvent};

/// One decoded server frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message<'a> {
    /// A subscribe or unsubscribe request succeeded.
    Ack(Ack),
    /// Answer to an application ping.
    Pong(Pong),
    /// `spot.login` / `futures.login` succeeded.
    Login(LoginResponse<'a>),
    /// Another WebSocket API response (order placement ack or result, …).
    Api(ApiResponse<'a>),
    /// An incremental (or `full`) book push: `order_book_update` or `obu`.
    OrderBookUpdate(OrderBookUpdate<'a>),
    /// A snapshot push: `spot.order_book` or the legacy `futures.order_book`.
    BookSnapshot(BookSnapshot<'a>),
    /// Best bid and ask.
    BookTicker(BookTicker),
    /// One spot trade (spot pushes one object per trade).
    Trade(PublicTrade),
    /// Futures trades (an array per push).
    Trades(Items<'a, PublicTrade>),
    /// Tickers: one object per push on spot, an array on futures; decoded on
    /// iteration (they come once a second, so nothing is decoded eagerly).
    Tickers(Items<'a, Ticker>),
    /// Private order updates.
    Orders(Items<'a, OrderUpdate>),
    /// Private fills.
    UserTrades(Items<'a, Fill>),
    /// Private balance changes.
    Balances(Items<'a, BalanceUpdate>),
    /// Private position changes.
    Positions(Items<'a, Position>),
    /// A push on a channel this crate recognises but does not decode (candlesticks,
    /// liquidations); `result` is its raw JSON.
    Other {
        /// The channel.
        channel: Channel,
        /// The raw `result` value.
        result: &'a [u8],
    },
}

/// Acknowledgement of a subscribe/unsubscribe request (spec §3.1):
/// `{"time":1611541000,"time_ms":1611541000001,"channel":"spot.orders",
/// "event":"subscribe","error":null,"result":{"status":"success"}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// The channel.
    pub channel: Channel,
    /// Subscribe or unsubscribe.
    pub event: RequestEvent,
    /// The request id, when echoed.
    pub id: Option<i64>,
    /// The first pair of the echoed payload, when the venue echoes it.
    pub pair: Option<Symbol>,
    /// Server time in milliseconds (`time_ms`, else `time` × 1000).
    pub time_ms: Option<u64>,
}

/// `{"time":1545404023,"channel":"spot.pong","event":"","error":null,"result":null}`
/// (spec §3.3, §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pong {
    /// Spot or futures.
    pub market: Market,
    /// Server time in seconds, when sent.
    pub time_s: Option<u64>,
    /// Server time in milliseconds, when sent.
    pub time_ms: Option<u64>,
}

/// A successful login (spec §3.8, G1 "Login"):
/// `{"request_id":"request-1","header":{"status":"200","channel":"spot.login",…},
/// "data":{"result":{"api_key":"ea83…","uid":"110284739"}}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginResponse<'a> {
    /// Spot or futures.
    pub market: Market,
    /// The `req_id` of the login request.
    pub request_id: &'a str,
    /// The account's user id.
    pub uid: Option<u64>,
    /// Server time of the response in milliseconds.
    pub response_time_ms: Option<u64>,
}

/// A successful WebSocket API response other than login (spec §3.8): the ack
/// (`"ack": true`, result echoes the request) or the result of an order request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiResponse<'a> {
    /// The API channel name (`spot.order_place`, …).
    pub channel: &'a str,
    /// The `req_id` of the request.
    pub request_id: &'a str,
    /// True for the first, acknowledging response of an order request.
    pub ack: bool,
    /// The status in the header (200).
    pub status: u16,
    /// Server time of the response in milliseconds.
    pub response_time_ms: Option<u64>,
    /// Rate-limit counters, when sent.
    pub rate_limit: Option<RateLimit>,
    /// The raw JSON of `data.result`.
    pub result: Option<&'a [u8]>,
}

/// `x_gate_ratelimit_*` header members of WebSocket API responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// Requests allowed per window.
    pub limit: Option<u64>,
    /// When the window resets, milliseconds since the Unix epoch.
    pub reset_ms: Option<u64>,
}

/// Classifies and decodes one text frame.
///
/// # Errors
/// [`Error::Rejected`] for a refused subscription (code 4 is fatal, see
/// [`Error::is_fatal`]), [`Error::Api`] for a failed WebSocket API request, and the
/// decode variants ([`Error::is_decode`]) for anything malformed or cut short.
pub fn parse_frame(frame: &[u8]) -> Result<Message<'_>, Error> {
    parse_frame_with(frame, None)
}

/// [`parse_frame`] of a frame whose envelope [`compact_head`] has already read: decoding
/// starts at the `result`. With `None` it is [`parse_frame`].
pub(crate) fn parse_frame_with(
    frame: &[u8],
    head: Option<CompactHead>,
) -> Result<Message<'_>, Error> {
    let mut state = ScanState::default();
    match scan(frame, head, &mut state) {
        Ok(result) => result,
        Err(fault) => Err(Error::from_fault(fault, frame, state.channel, state.pair)),
    }
}

/// The channel of a frame, read without decoding the rest (for queue classification).
/// `None` when the frame has no known channel before its `result`.
pub fn peek_channel(frame: &[u8]) -> Option<Channel> {
    let mut sc = Scanner::new(frame);
    sc.begin_object().ok()?;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first).ok()? {
        if key.raw == b"channel" {
            return Channel::from_wire(read::word(&mut sc, "channel").ok()?);
        }
        sc.skip_value().ok()?;
    }
    None
}

#[cfg(test)]
mod tests;
