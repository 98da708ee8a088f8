//! An embedded exchange simulator for tests, benchmarks and the offline demo.
//!
//! [`Simulator::start`] binds **127.0.0.1 only** (an OS-chosen port by default) and serves
//! HTTP/1.1 and WebSocket, optionally over TLS with a certificate for `localhost` and
//! `127.0.0.1` issued by a root generated at start ([`Simulator::tls_root_der`]). It never
//! opens an outbound connection.
//!
//! Venues are pluggable: each implements [`Venue`] and is mounted at a path prefix with
//! [`SimConfig::mount`]. The core owns the sockets and hands a venue one [`VenueConn`] per
//! WebSocket connection and one [`HttpRequest`] per REST call. Because the core does the
//! IO, it injects faults into any venue: [`Fault`] for open connections (drop, close with
//! or without status, stall, malformed and oversize frames), [`AcceptFault`] for the next
//! connection attempts (HTTP status with `Retry-After`, refuse, slow handshake) and
//! [`HttpFault`] for the next REST requests.
//!
//! The built-in [`TestVenue`] at `/test` speaks a small generic JSON protocol (auth,
//! subscribe, unsubscribe, ping; one global sequence per topic; a REST snapshot); its
//! type documentation has the wire format. [`gateio`] is a Gate.io spot and USDT-futures venue,
//! [`mexc`] MEXC spot and [`mexc_futures`] MEXC USDT-M futures.
//!
//! [`Scenario`] puts every venue (or a chosen list of [`market_types::Venue`]s) behind one
//! venue-independent handle: endpoints, credentials and symbols per venue for a client,
//! [`Scenario::inject`] with a [`FaultKind`] (drop, 1005 close, stall, malformed frame,
//! gap, duplicate, stale snapshot, crossed, full push, out of order, REST or handshake
//! 429) mapped to each venue's own fault, [`Scenario::truth`] to compare books, and
//! [`Scenario::trade`] for the accounts. `wsx demo` runs on it.
//!
//! Tests observe the simulator through a bounded [`SimEvent`] channel that drops (and
//! counts) rather than blocking, and through [`SimStats`] counters.
//!
//! What it deliberately does not do: speak HTTP/2, compress frames (no permessage-deflate),
//! check the `Origin` header, or model latency and order matching. It is a test fixture, not
//! an exchange.
//!
//! ```no_run
//! use exchange_sim::{Fault, SimConfig, Simulator};
//!
//! # async fn demo() -> Result<(), exchange_sim::SimError> {
//! let sim = Simulator::start(SimConfig::default()).await?;
//! let url = sim.ws_url("/test"); // ws://127.0.0.1:PORT/test
//! // ... connect a client to `url` and send {"op":"subscribe","id":1,"topic":"t"} ...
//! sim.test_venue().publish_burst("t", 100);
//! sim.inject(Fault::Drop); // every open connection sees EOF
//! sim.shutdown().await;
//! # let _ = url;
//! # Ok(())
//! # }
//! ```
//!
//! A venue of your own is a [`Venue`] implementation mounted at its own prefix; it gets
//! the faults, events and counters above without doing anything:
//!
//! ```no_run
//! use std::sync::Arc;
//! use exchange_sim::{ClientMessage, ServerMessage, SimConfig, Simulator, Venue, VenueConn, VenueFuture};
//!
//! struct Echo;
//!
//! impl Venue for Echo {
//!     fn serve(self: Arc<Self>, mut conn: VenueConn) -> VenueFuture {
//!         Box::pin(async move {
//!             while let Some(ClientMessage::Text(text)) = conn.recv().await {
//!                 if conn.send(ServerMessage::Text(text.into())).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         })
//!     }
//! }
//!
//! # async fn demo() -> Result<(), exchange_sim::SimError> {
//! let sim = Simulator::start(SimConfig::default().mount("/echo", Arc::new(Echo))).await?;
//! let url = sim.ws_url("/echo"); // ws://127.0.0.1:PORT/echo
//! # let _ = url;
//! # Ok(())
//! # }
//! ```
//!
//! The crate has no features.

mod config;
mod core;
mod error;
mod event;
mod fault;
pub mod gateio;
pub mod mexc;
pub mod mexc_futures;
mod scenario;
mod server;
mod session;
mod stamp;
mod test_venue;
mod tls;
mod venue;

pub use crate::config::{
    AuthPolicy, Mount, SimConfig, TEST_VENUE_PREFIX, TestVenueConfig, Transport,
};
pub use crate::error::SimError;
pub use crate::event::{ConnId, SimEvent, SimStats};
pub use crate::fault::{AcceptFault, Fault, HttpFault, MalformedKind};
pub use crate::scenario::{
    FaultKind, Scenario, ScenarioConfig, ScenarioError, SimCredentials, SimEndpoints, Truth,
    VenuePaths,
};
pub use crate::server::Simulator;
pub use crate::stamp::{stamp_epoch, stamp_now_ns};
pub use crate::test_venue::TestVenue;
pub use crate::venue::{
    ClientMessage, FrameFormat, HttpRequest, ServerMessage, Venue, VenueConn, VenueFuture,
    VenueTasks, json_response,
};
