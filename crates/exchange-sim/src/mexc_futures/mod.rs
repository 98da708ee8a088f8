//! The MEXC USDT-M futures (contract) venue: JSON WebSocket at `/edge` (gzip binary pushes
//! unless a subscription says `"gzip": false`, as an option), the market REST calls, a
//! signed login and a private account that trades, with signed private REST. Written
//! from `shared/spec/protocols.md` §2, its fixtures and the venue's contract API docs,
//! independently of the client crate.
//!
//! The books are the spot venue's generator ([`SymbolSpec`](crate::mexc::SymbolSpec) with
//! whole contracts as volumes), so both venues move the same way; each version is one
//! `push.depth`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use exchange_sim::mexc_futures::{MOUNT, MexcFuturesConfig, MexcFuturesVenue, WS_PATH};
//! use exchange_sim::{SimConfig, Simulator};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let venue = Arc::new(MexcFuturesVenue::new(MexcFuturesConfig::default())?);
//! let sim = Simulator::start(SimConfig::default().mount(MOUNT, venue.clone())).await?;
//! let ws = sim.ws_url(&format!("{MOUNT}{WS_PATH}")); // ws://127.0.0.1:PORT/mexc-futures/edge
//! let rest = sim.http_url(&format!("{MOUNT}/api/v1/contract/depth/BTC_USDT"));
//! // ... let the client sync, then:
//! venue.pause();
//! let truth = venue.book("BTC_USDT").ok_or("unknown contract")?;
//! # let _ = (ws, rest, truth);
//! # Ok(())
//! # }
//! ```
//!
//! # WebSocket (`<prefix>/edge`)
//!
//! | client sends (text JSON) | venue answers |
//! |---|---|
//! | `{"method":"ping"}` | `{"channel":"pong","data":<ms>}` |
//! | `{"method":"sub.depth","param":{"symbol":S,"compress":B}}` | `rs.sub.depth`; then `push.depth`: with `compress: false` one push per version (`version` = previous + 1), with `compress: true` (the default, [`MexcFuturesConfig::compress_by_default`]) one merged push per tick whose `version` is the last it covers |
//! | `sub.depth.full` (`limit` 5/10/20, default 20) | `rs.sub.depth.full`; `push.depth.full` with the top N every `slow_every` ticks |
//! | `sub.deal` | `rs.sub.deal`; `push.deal`, `data` an object per deal or an array ([`DealShape`]) |
//! | `sub.ticker` | `rs.sub.ticker`; `push.ticker` every `slow_every` ticks |
//! | `unsub.<name>` (and `usub.depth.full`) | `rs.unsub.<name>` (`rs.usub.depth.full`) |
//! | `login` with `apiKey`, `reqTime`, `signature` = [`login_signature`]; `"subscribe": false` turns the default private pushes off | `rs.login` `success`, or `rs.error` (wrong key, `reqTime` off by more than `recv_window_ms`, [`LOGIN_BAD_SIGNATURE`]) |
//! | `personal.filter` with `filters: [{filter, rules?}]` (`order`, `order.deal`, `position`, `asset`; later filters replace earlier ones) | `rs.personal.filter`; `rs.error` before login |
//!
//! Acks are `{"channel":"rs.<method>","data":"success","ts":"<ms>"}` (`ts` a string as in
//! the docs). A subscription to an unknown contract is `rs.error`
//! [`CONTRACT_MISSING`]. Pushes are `{"channel","data","symbol","ts"}`; a subscription
//! with `"gzip": true` (or without `"gzip"` when [`MexcFuturesConfig::gzip_by_default`])
//! gets them as gzip binary frames. Without a `ping` for `ping_timeout` (60 s) the
//! connection is closed with 1000 `No ping received` (the simulator's choice of close).
//! A logged-in connection gets `push.personal.order`, `.order.deal`, `.position` and
//! `.asset` as the account changes.
//!
//! # REST (`<prefix>/api/v1/…`, all `GET`)
//!
//! `contract/ping`, `contract/detail[?symbol=S]` (with `contractSize`),
//! `contract/depth/{S}[?limit=N]` (`{asks,bids,version,timestamp}`, levels
//! `[price, contracts, orders]`), `contract/depth_commits/{S}/{N}` (the last N versions'
//! changes, newest first). Signed (headers `ApiKey`, `Request-Time`, `Signature` =
//! [`rest_signature`] over the sorted query; optional `Recv-Window` in seconds):
//! `private/order/list/open_orders[/{S}]`, `private/order/get/{id}`,
//! `private/position/open_positions[?symbol=S]`, `private/account/assets`,
//! `private/order/list/order_deals?symbol=S` and
//! `private/order/list/history_orders?symbol=S&states=3,4` (newest first, `start_time` /
//! `end_time` in ms, `page_size` ≤ 100, default 20). All in
//! `{"success":true,"code":0,"data":…}`; refusals are HTTP 200 with
//! `{"success":false,"code":C,"message":…}` ([`CODE_API_KEY_INVALID`],
//! [`CODE_REQUEST_TIME`], [`CODE_SIGNATURE`], [`CODE_CONTRACT_MISSING`]; the codes are
//! the simulator's choices where the docs are silent).
//!
//! # Truth and faults
//!
//! [`MexcFuturesVenue::book`] is the truth; [`MexcFuturesVenue::pause`] /
//! [`MexcFuturesVenue::advance`] control the generator. [`MexcFuturesVenue::place_order`],
//! [`MexcFuturesVenue::fill`] and [`MexcFuturesVenue::cancel`] drive the account; each
//! push is recorded in [`MexcFuturesVenue::private_events`];
//! [`MexcFuturesConfig::auto_trading`] makes the venue trade by itself (for the demo).
//! [`MexcFuturesFault`] adds version gaps, duplicate pushes, merged pushes on the
//! per-version stream and stale snapshots to the core's faults (drop, 1005 close, stall,
//! malformed and oversize frames: [`Fault`](crate::Fault); 429 and slow REST:
//! [`HttpFault`](crate::HttpFault); refused or 429 upgrades:
//! [`AcceptFault`](crate::AcceptFault)).

mod account;
mod config;
mod error;
mod generator;
mod rest;
mod session;
mod sign;
mod venue;
mod wire;

pub use self::account::{
    FuturesAsset, FuturesDeal, FuturesLedgerEntry, FuturesOrder, FuturesOrderState,
    FuturesPosition, FuturesPrivate, OrderSide, PositionType, PrivateKind,
};
pub use self::config::{
    ContractSpec, DEFAULT_API_KEY, DEFAULT_API_SECRET, DealShape, MexcFuturesConfig,
};
pub use self::error::MexcFuturesError;
pub use self::rest::{
    CODE_API_KEY_INVALID, CODE_CONTRACT_MISSING, CODE_REQUEST_TIME, CODE_SIGNATURE,
};
pub use self::session::{CONTRACT_MISSING, LOGIN_BAD_SIGNATURE, WS_PATH};
pub use self::sign::{login_signature, rest_signature};
pub use self::venue::{MexcFuturesFault, MexcFuturesStats, MexcFuturesVenue};

/// The mount prefix the workspace uses for this venue (and its name in `wsx`).
pub const MOUNT: &str = "/mexc-futures";
/// The REST base below the mount (the API paths start at `/api/v1/`).
pub const REST_PATH: &str = "";
/// The venue's name, for the integrator's `Venue` mapping.
pub const VENUE_NAME: &str = "mexc-futures";
