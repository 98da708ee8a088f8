//! The MEXC spot v3 venue: JSON control frames, binary protobuf pushes and the REST calls
//! a client needs, written from `shared/spec/protocols.md` §1 and §5 independently of the
//! client crate, so that a misreading of the protocol is not mirrored on both sides.
//!
//! Mount a [`MexcVenue`] and keep a handle on it; it is also the test's window on the
//! truth (books, orders, balances, the private-push ledger):
//!
//! ```no_run
//! use std::sync::Arc;
//! use exchange_sim::mexc::{MexcConfig, MexcVenue};
//! use exchange_sim::{SimConfig, Simulator};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let venue = Arc::new(MexcVenue::new(MexcConfig::default())?);
//! let sim = Simulator::start(SimConfig::default().mount("/mexc", venue.clone())).await?;
//! let ws = sim.ws_url("/mexc/ws"); // public; "/mexc/ws?listenKey=K" for private channels
//! let rest = sim.http_url("/mexc/api/v3/depth?symbol=BTCUSDT&limit=5000");
//! // ... let the client sync, then:
//! venue.pause(); // pushes every pending window
//! let truth = venue.book("BTCUSDT").ok_or("unknown symbol")?;
//! # let _ = (ws, rest, truth);
//! # Ok(())
//! # }
//! ```
//!
//! # WebSocket (`<prefix>/ws`)
//!
//! | client sends (text) | venue answers (text) |
//! |---|---|
//! | `{"method":"SUBSCRIPTION","params":[…],"id":N}` | `{"id":N,"code":0,"msg":"<accepted channels, comma-joined>"}`, then one reply per kind of refusal (below) |
//! | `{"method":"UNSUBSCRIPTION","params":[…],"id":N}` | `{"id":N,"code":0,"msg":"<every channel asked, comma-joined>"}` |
//! | `{"method":"PING"}` (or `"ping"`) | `{"id":0,"code":0,"msg":"PONG"}` |
//! | anything else | `{"id":N,"code":1,"msg":"Invalid request"}` |
//!
//! `id` is echoed when it is an unsigned integer, else 0. Refusals are grouped by kind,
//! each as `{"id":…,"code":C,"msg":"Not Subscribed successfully! [ch1,ch2].  Reason： R "}`
//! (two spaces, full-width colon, trailing space, as observed on the venue):
//!
//! | refusal | `id` | `code` | `R` |
//! |---|---|---|---|
//! | not a served `.pb` channel: JSON channels, miniTicker(s), kline, legacy `.pb` channels, a malformed one | 0 | 0 | `Blocked!` |
//! | served channel, unknown symbol | N | 2 | `Invalid symbol!` |
//! | beyond `max_subscriptions` (30) on this connection | N | 3 | `Subscriptions beyond 30 are invalid!` |
//! | private channel without a listen key | N | 4 | `Listen key required!` |
//!
//! The codes other than 0 are the simulator's choice (the venue's are undocumented).
//! Refused channels get no data and the connection stays open. Re-subscribing a held
//! channel is acknowledged again and counts once. Within one request, channels are
//! taken in order, so a batch of 31 gets 30 acknowledged and the 31st refused.
//!
//! Served channels ([`Channel`]): `spot@public.aggre.{depth,deals,bookTicker}.v3.api.pb@(10ms|100ms)@SYM`,
//! `spot@public.limit.depth.v3.api.pb@SYM@(5|10|20)`, `spot@public.bookTicker.batch.v3.api.pb@SYM`
//! and, on `/ws?listenKey=K`, `spot@private.{orders,deals,account}.v3.api.pb` (public
//! channels are allowed there too). Each push is one binary frame, one
//! `PushDataV3ApiWrapper` ([`pb`]). `10ms` channels push every generator tick
//! (`tick_interval`), `100ms` ones every `slow_every` ticks, aggregating: one aggre.depth
//! push covers `fromVersion..=toVersion`, often several versions, with absolute
//! quantities and `0.00…` for removed levels. aggre.deals pushes only when the window
//! had trades; aggre.bookTicker carries the touch at `toVersion`; limit.depth and
//! bookTicker.batch follow the 100 ms cadence with the current top of book.
//!
//! Closes (the venue documents none; these are the simulator's choices):
//!
//! | when | close |
//! |---|---|
//! | no valid subscription for `idle_timeout` (30 s), counted from connect or from the last unsubscribe | 1000 `No valid subscription` |
//! | unknown or expired listen key at connect, or `max_connections_per_key` (5) reached | 1008 `Invalid listen key` / `Too many connections for this listen key` |
//! | the key expires while connected (checked at its expiry, after any keep-alive) | 1008 `Listen key expired` |
//! | the key is deleted (`DELETE /api/v3/userDataStream`) | 1008 `Listen key deleted` |
//! | more than `max_messages_per_second` (100) client messages within one second | 1008 `Too many messages` |
//! | more than `feed_capacity` pushes behind | 1008 `Slow consumer` |
//! | a path other than `/ws` | 1008 `Unknown path` |
//!
//! # REST (`<prefix>/api/v3/…`)
//!
//! `GET depth?symbol=S&limit=L` (default 100, max 5000) answers
//! `{"lastUpdateId":V,"bids":[["p","q"],…],"asks":[…]}` from the truth. SIGNED calls
//! (header `X-MEXC-APIKEY`, `timestamp`, optional `recvWindow`, `signature` = [`sign`]
//! of query string + body without the signature): `POST`/`GET`/`PUT`/`DELETE
//! userDataStream`, `GET openOrders?symbol=S`, `GET account`, and the history a
//! reconnecting client reconciles with: `GET order?symbol=S&orderId=ID` (one order, open
//! or not, in the `openOrders` shape; unknown is -2013 `Order does not exist.`),
//! `GET allOrders?symbol=S&startTime&endTime&limit` (by creation time, default 500, at
//! most 1000) and `GET myTrades?symbol=S&orderId&startTime&endTime&limit` (the fills
//! with the `tradeId` and time of their `privateDeals` pushes, default and at most 100).
//! History lists are oldest first: with `startTime` the first `limit` from there, else the
//! latest `limit`. Refusals are HTTP 400 with
//! `{"code":C,"msg":…}`: 700001 no key header, 10072 wrong key, 700002 bad signature,
//! 700005 `recvWindow` over 60000, 700003 timestamp outside the window; an unknown
//! listen key is -1125, an unknown symbol -1121, a missing mandatory parameter -1102, an
//! unreadable one -1100. `GET ping` and `GET time` are served too.
//!
//! # Truth, ledger and faults
//!
//! [`MexcVenue::book`] gives a [`BookTruth`]; [`MexcVenue::pause`] stops the generator
//! and pushes every pending window so a client can catch up; [`MexcVenue::advance`] moves
//! the books by hand. [`MexcVenue::place_order`], [`MexcVenue::fill`] and
//! [`MexcVenue::cancel`] drive the one account; each push they cause is recorded in
//! [`MexcVenue::private_events`] with its exact frame, published once to every
//! connection subscribed to its channel. [`MexcVenue::inject`] arms a [`MexcFault`];
//! each variant documents its exact wire effect. Core faults ([`Fault`](crate::Fault),
//! e.g. `CloseNoStatus` for a 1005 close) apply to MEXC connections as to any venue.
//!
//! Not modelled: the 60-listen-keys-per-account limit, the 24 h connection lifetime, the
//! 60 s "no data" rule, REST rate limits (use [`HttpFault`](crate::HttpFault)), order
//! placement over REST, fees (always `0`), kline and legacy channels.

mod account;
mod auth;
pub(crate) mod book;
mod channel;
mod config;
mod connection;
mod control;
mod error;
mod fault;
mod feed;
pub mod pb;
mod rest;
mod venue;

pub use crate::mexc::account::{
    AccountPush, BalanceTruth, DealPush, LedgerEntry, OrderPush, OrderState, OrderTruth,
    PrivatePush,
};
pub use crate::mexc::auth::{API_KEY_HEADER, sign};
pub use crate::mexc::book::BookTruth;
pub use crate::mexc::channel::{Channel, DepthLevels, Interval};
pub use crate::mexc::config::{
    DEFAULT_API_KEY, DEFAULT_API_SECRET, Generator, MexcConfig, OrderIdField, PrivateFlow,
    SymbolSpec,
};
pub use crate::mexc::connection::WS_PATH;
pub use crate::mexc::control::{
    CODE_INVALID_REQUEST, CODE_LIMIT, CODE_LISTEN_KEY_REQUIRED, CODE_UNKNOWN_SYMBOL,
};
pub use crate::mexc::error::MexcError;
pub use crate::mexc::fault::{MexcFault, PbDefect};
pub use crate::mexc::venue::{ConnSubscriptions, MexcStats, MexcVenue};
