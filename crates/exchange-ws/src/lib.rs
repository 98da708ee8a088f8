//! `exchange-ws`: fast, correct WebSocket market and account data from MEXC and Gate.io,
//! through one client for every venue.
//!
//! Describe what you want per venue — symbols, [`Channel`]s, book depth, [`Credentials`],
//! [`Endpoints`] (live, testnet, your own, or the embedded simulator) and connection tuning
//! ([`DriverConfig`]) — and [`ClientBuilder::connect`]. The [`Client`] then gives:
//!
//! - [`Client::events`]: one bounded async [`Stream`](futures_core::Stream) of normalized
//!   [`Event`]s from every venue: book views (the top levels after each snapshot or delta),
//!   trades, tickers, orders, fills, balances, positions, book status and connection status,
//!   with exact decimals. When the consumer falls behind, each kind follows its
//!   [`OverflowPolicy`]: tickers and book status conflate to the latest value, trades are
//!   dropped and counted, book views are never silently lost (a [`Lagged`] marker says how
//!   many; [`Client::book`] has the truth), account events use a reserve and then a marker;
//! - [`Client::book`]: a consistent copy of a local book at any time;
//! - [`Client::stats`], [`Client::resync`], [`Client::subscribe`] / [`Client::unsubscribe`]
//!   while running, and [`Client::close`], which logs out and ends the stream cleanly;
//! - [`Client::pools`]: per connection its state, counters, receive-to-handled latency
//!   histogram and handler counters, and per pool whether it works and if not why;
//! - [`Client::freeze`] and [`Client::books`]: stop applying input and read every book
//!   with the receive time it is current as of (a program's last word on a run).
//!
//! [`ClientBuilder::tap`] runs a [`tap::InputTap`] of the program's own around every input
//! of every session, to record or watch them (`wsx record` writes its recordings this
//! way); [`ClientBuilder::start`] starts without waiting for the connections, for programs
//! that watch them through [`Client::pools`].
//!
//! The sessions are the venue crates' handlers, statically dispatched: the venue is chosen
//! once, at connect, through `venue_registry`. Programs that want typed callbacks instead
//! of events (the zero-copy path) use the mixin traits of `ws-mixins` with a venue's
//! `VenueConnector` directly.
//!
//! Programs that run the handlers their own way (`wsx replay` feeds recorded inputs)
//! build them with [`sessions::build_sessions`] and run each inside a
//! [`tap::TappedSession`] with a [`tap::SessionTap`] of their own: the same wrapper the
//! client uses, so receive stamps, connection numbering and failure reasons are the same.
//!
//! # Example
//!
//! Books and trades from the embedded simulator (127.0.0.1, offline):
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use exchange_sim::mexc::{MexcConfig, MexcVenue};
//! use exchange_sim::{SimConfig, Simulator};
//! use exchange_ws::{Channel, Client, Endpoints, EventBody, Venue, simulator_prefix};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mexc = Arc::new(MexcVenue::new(MexcConfig::default())?);
//! let sim = Simulator::start(
//!     SimConfig::default().mount(simulator_prefix(Venue::MexcSpot), mexc),
//! )
//! .await?;
//!
//! let client = Client::builder()
//!     .venue(Venue::MexcSpot)
//!     .symbols(["BTCUSDT"])
//!     .channels([Channel::Book, Channel::Trades])
//!     .levels(5)
//!     .endpoints(Endpoints::Simulator(sim.addr()))
//!     .connect()
//!     .await?;
//!
//! let mut events = client.events();
//! let live = tokio::time::timeout(Duration::from_secs(10), async {
//!     while let Some(event) = events.next().await {
//!         if let EventBody::BookUpdate { bids, asks, .. } = &event.body {
//!             println!("best bid {:?} ask {:?}", bids.first(), asks.first());
//!             return true;
//!         }
//!     }
//!     false
//! })
//! .await?;
//! assert!(live);
//!
//! let book = client.book(Venue::MexcSpot, "BTCUSDT")?;
//! assert!(book.status.is_live());
//! client.close().await;
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod client;
mod credentials;
mod error;
pub mod event;
mod pool;
mod queue;
mod session;
pub mod sessions;
mod spec;
pub mod tap;
pub mod venue;

pub use client::{
    Client, ClientBuilder, ClientStats, DEFAULT_CONNECT_TIMEOUT, DEFAULT_QUEUE_CAPACITY,
};
pub use credentials::{Credentials, env_file_value, variable_names};
pub use error::ClientError;
pub use event::{
    BookLine, ConnectionEvent, ConnectionStatus, Event, EventBody, EventKind, Lagged, LocalBook,
};
pub use market_types::{BookStatus, Level, Symbol, Venue};
pub use pool::{ConnectionReport, PoolReport, PoolStats};
pub use queue::{DeliveryStats, Events, OverflowPolicy};
pub use spec::{DEFAULT_LEVELS, Endpoints, VenueStreams};
pub use venue::ChannelName as Channel;
pub use ws_core::{ConnectionCounters, ConnectionState, DriverConfig, LatencyHistogram};
pub use ws_handlers::{BookSyncSummary, HandlerStats, Timers};

/// The path the embedded simulator serves `venue` at (mount the venue's simulator there
/// to use [`Endpoints::Simulator`]).
pub fn simulator_prefix(venue: Venue) -> &'static str {
    venue_registry::profile(venue).simulator.prefix
}
