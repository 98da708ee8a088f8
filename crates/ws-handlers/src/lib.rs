//! `ws-handlers`: the plan's message-handler hierarchy, and one copy of every
//! venue-independent state machine, each generic over a small venue trait.
//!
//! - [`BaseMessageHandler`]: the template method run for every message: detect the type,
//!   route it, parse it, with per-message timing and error accounting in [`HandlerStats`].
//!   A message that fails is counted, logged with context and skipped; the stream goes on.
//! - [`PublicMessageHandler`]: routes ORDERBOOK, TRADE, TICKER/BOOK_TICKER, PING and
//!   SUBSCRIBE to parsers.
//! - [`PrivateMessageHandler`]: routes ORDER_UPDATE, POSITION_UPDATE, BALANCE_UPDATE and
//!   EXECUTION_REPORT.
//! - [`Lifecycle`]: authenticate, then resubscribe everything active, check every ack,
//!   signal `Ready` to the driver.
//! - [`PrivateLedger`]: exactly-once private events across the stream and REST
//!   reconciliation after a reconnect.
//! - [`OpenOrders`]: the orders delivered as open and the delivery sequence the
//!   reconcilers compare REST answers against.
//! - [`PrivateDelivery`]: the one path by which private handlers hand orders, fills,
//!   balances and positions to the user (ledger, open orders and counts together).
//! - [`Reconciler`]: the REST reconciliation rounds after every (re)connect, generic over
//!   a [`ReconcileVenue`] that supplies the requests, parsers and paging rules.
//! - [`BookSync`]: per-symbol local order books (buffer, snapshot, align, resync, trim to
//!   depth), one state machine for every venue, which supplies only a [`BookVenue`].
//! - [`VenueConnector`]: the venue trait (constants, handler types, how a
//!   venue-independent [`StreamRequest`] becomes handlers), which the venue registry and
//!   every program use instead of naming a venue's types.
//! - [`SharedParts`]: the callbacks, counters and books every venue session keeps;
//!   [`VenueHandler`]'s accessors are written once over it ([`WithSharedParts`]).
//!
//! An exchange handler is a struct that implements these traits plus the mixins of
//! `ws-mixins`, and `ws_session::Session` by calling [`BaseMessageHandler::handle_message`]
//! from `on_frame` and [`Lifecycle`] from the connection hooks. All of it is statically
//! dispatched. Nothing here reads a socket; the only clock read is the optional timing in
//! the template.
//!
//! No cargo features.

mod base;
mod book_sync;
mod clock;
mod delivery;
mod driven;
mod error;
mod ledger;
mod lifecycle;
mod message_type;
mod open_orders;
mod parts;
mod private;
mod public;
mod reconcile;
mod stats;
#[cfg(test)]
mod test_support;
mod transport;
mod venue;

pub use base::BaseMessageHandler;
pub use book_sync::{
    BookPush, BookSink, BookSync, BookSyncStats, BookVenue, CallbackSink, Continuity, LiveSlot,
    Rejection, SnapshotFailure, SyncSettings, UpdateOutcome,
};
pub use clock::{
    ClockOffset, ClockUpdate, MATERIAL_CHANGE_MS, MAX_OFFSET_MS, TimeEndpoint, VenueClock,
};
pub use delivery::{DeliveryCounts, MAX_ACTIVE_SYMBOLS, PrivateDelivery, RestOrderView};
pub use driven::{Driven, PublicVenueSession, VenueSession};
pub use error::HandlerError;
pub use ledger::PrivateLedger;
pub use lifecycle::Lifecycle;
pub use message_type::WebSocketMessageType;
pub use open_orders::{OpenOrder, OpenOrders};
pub use parts::{LocalBooks, NoBooks, SharedParts, WithSharedParts, WrapsBookSync};
pub use private::PrivateMessageHandler;
pub use public::PublicMessageHandler;
pub use reconcile::{
    Answer, CredentialsRejected, Failure, Lost, ReconcileCounters, ReconcileVenue, Reconciler,
    RestOrder, RetryHint, RetrySchedule, RoundStart, Sent,
};
pub use stats::HandlerStats;
pub use transport::{PlaintextCredentials, check_credentials_transport};
pub use venue::{
    ApiCredentials, BookSyncSummary, ConnectionLimits, CredentialVariables, DEFAULT_CONNECT_RATE,
    DepthRule, EndpointChoice, EndpointUrls, Feed, FeedSet, PrivateScope, PublicVenueHandler, Role,
    SimulatorMount, StreamRequest, SubscriptionChange, SymbolStyle, Timers, VenueConnector,
    VenueError, VenueHandler, check_credential_transport,
};
