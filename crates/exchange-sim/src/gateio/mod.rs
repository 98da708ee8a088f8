//! A Gate.io spot and USDT-futures venue speaking the real WebSocket v4 and REST v4
//! protocols (spec `protocols.md` §3–§5), with the truth tests compare clients with.
//!
//! Written from the spec and the fixtures only, independently of the client crate, so that
//! a misreading of the protocol is not mirrored on both sides.
//!
//! # Paths (below the mount prefix, e.g. `/gateio`)
//!
//! | path | what |
//! |---|---|
//! | `/ws/v4/` (or `/ws/v4`) | spot WebSocket (`spot.*` channels) |
//! | `/v4/ws/usdt` | USDT futures WebSocket (`futures.*` channels) |
//! | `GET /api/v4/spot/order_book?currency_pair=X&limit=L&with_id=true` | spot snapshot, `current`/`update` in ms, `[["p","a"]]` levels |
//! | `GET /api/v4/futures/usdt/order_book?contract=X&limit=L&with_id=true` | futures snapshot, float seconds, `{"p","s"}` levels |
//! | `GET /api/v4/spot/open_orders`, `/api/v4/spot/accounts` | signed; open orders grouped per pair, balances |
//! | `GET /api/v4/spot/orders?status=open\|finished&currency_pair=X&from&to&page&limit&side` | signed; a flat list, finished ones newest first, `from`/`to` on the finish time |
//! | `GET /api/v4/spot/orders/{order_id}?currency_pair=X` | signed; one order (`status` open/closed/cancelled, `finish_as`); the id or its `t-…` text; `404 ORDER_NOT_FOUND` |
//! | `GET /api/v4/spot/my_trades?currency_pair=X&from&to&page&limit&order_id` | signed; the user's fills, newest first, with the ids and times of their `spot.usertrades` pushes |
//! | `GET /api/v4/futures/usdt/orders?status=open\|finished&contract=X&limit&offset`, `/positions`, `/accounts` | signed |
//! | `GET /api/v4/futures/usdt/orders/{order_id}` | signed; one order; `404 ORDER_NOT_FOUND` |
//! | `GET /api/v4/futures/usdt/my_trades_timerange?contract=X&from&to&limit&offset&role` | signed; the user's fills, newest first (`trade_id`, float-second `create_time`) |
//!
//! Any other WebSocket path is closed with 1008. REST errors are Gate's
//! `{"label","message"}`; a bad signature is `401 INVALID_SIGNATURE`. The REST signature is
//! over the path starting at `/api/v4/` (what a client signs against the real host), not
//! the simulator's mount prefix.
//!
//! # Channels
//!
//! Public: `*.order_book_update`, `*.book_ticker`, `*.trades`, `*.tickers`, and
//! `*.ping` → `*.pong`. Private (each subscription carries `auth`, checked with
//! [`channel_signature`] and a 60 s window; failure is error code 4): `spot.orders`,
//! `spot.usertrades`, `spot.balances`, `futures.orders`, `futures.usertrades`,
//! `futures.positions`, `futures.balances`. `*.login` (`event: "api"`) is answered in the
//! WebSocket API shape; it does not replace per-subscription `auth`. Other channels are
//! refused with code 2. A multi-pair subscribe fails as a whole if one pair is unknown
//! (`"unknown currency pair X"` / `"unknown contract X"`). Acks carry `time`, `time_ms`,
//! `id` (echoed), `conn_id`, `trace_id`, `channel`, `event`, `payload` (echoed) and
//! `result.status`, plus `error` on failure.
//!
//! # Books
//!
//! Every served symbol has a deterministic book (seeded xorshift, prices on a tick grid,
//! sizes on a lot grid, exactly [`GateioSimConfig::levels`] levels per side, never
//! crossed). The generator runs **always** (subscribed or not) every
//! [`GateioSimConfig::update_interval`] until [`GateioVenue::pause`]; each step makes one
//! to four changes and takes that many ids (`U..u`, continuous). Stream levels: spot
//! `"100ms"` ⇒ 100, `"20ms"` ⇒ 20; futures `[contract, "100ms"|"20ms", "100"|"50"|"20"]`.
//! Each push carries exactly the changes **of the subscribed view**: levels that entered
//! the top `l` or changed there with their new size, levels that left it with size 0; an
//! unchanged view still gets a push with empty `b`/`a` so ids stay continuous. So a
//! client that starts from a REST snapshot with `limit = l` and follows the §3.5 rules
//! holds exactly [`BookTruth::top`]`(l)`. With [`FirstPush::Full`] a subscription starts
//! with a full push of its view instead. Trades (takers against the best level, also
//! removed from the book), book-ticker changes and tickers (after each step with trades)
//! come from the same steps.
//!
//! # Private side
//!
//! [`GateioVenue::place_order`], [`GateioVenue::fill`] and [`GateioVenue::cancel`] drive
//! the simulated user's orders; each call pushes its events, one element per push, to
//! every subscribed authenticated connection, and appends them to the ledger
//! ([`GateioVenue::private_events`], [`PrivateRecord`]). REST always shows the current
//! state, and the history a reconnecting client needs: any order by id, finished orders,
//! and every fill with the trade id and time its push carried. [`GateioSimConfig::auto_trading`] makes the venue place and fill small orders
//! by itself, for the demo.
//!
//! # Faults
//!
//! [`GateioVenue::inject`] with a [`GateioFault`] (once each) on top of the core's
//! connection faults; each variant documents its exact wire effect.
//!
//! ```no_run
//! use exchange_sim::gateio::{GateioSimConfig, GateioVenue, Market};
//! use exchange_sim::{SimConfig, Simulator};
//!
//! # async fn demo() -> Result<(), exchange_sim::SimError> {
//! let venue = GateioVenue::new(GateioSimConfig::default());
//! let sim = Simulator::start(SimConfig::default().mount("/gateio", venue.clone())).await?;
//! let spot_url = sim.ws_url("/gateio/ws/v4/");
//! let rest_base = sim.http_url("/gateio"); // + "/api/v4/spot/order_book?..."
//! // ... run the client, then:
//! venue.pause();
//! let truth = venue.book(Market::Spot, "BTC_USDT");
//! # let _ = (spot_url, rest_base, truth);
//! # Ok(())
//! # }
//! ```

mod account;
mod book;
mod config;
mod rest;
mod session;
mod sign;
mod venue;
mod wire;

pub use self::account::{
    FinishAs, FuturesPosition, GateioSimError, OrderEvent, OrderState, PrivateRecord, SimOrderId,
    SpotBalance,
};
pub use self::book::BookTruth;
pub use self::config::{FirstPush, GateioSimConfig, Market, SizeFormat};
pub use self::sign::{channel_signature, login_signature, rest_signature};
pub use self::venue::{GAP_SKIP, GateioFault, GateioVenue};
