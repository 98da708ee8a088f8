//! `ws-core`: the venue-agnostic WebSocket driver (the plan's `BaseWebSocketInterface`).
//!
//! One [`Connection`] owns one logical WebSocket connection in one task and drives a
//! [`Session`], the sans-IO state machine an exchange crate provides (composed from the
//! mixin traits in `ws-mixins`). The driver does every piece of IO and reads every clock;
//! the session turns bytes into events and decisions into bytes.
//!
//! What the driver provides:
//! - `ws://` and `wss://` (fastwebsockets over a hyper handshake; rustls with certificates
//!   always verified against webpki roots or explicitly given [`TlsRoots::Custom`] roots),
//!   a connect timeout, a maximum message size and the session's handshake headers;
//! - the states of [`ConnectionState`], reported to a callback and a watch handle;
//! - reconnection by [`ReconnectionPolicy`] through [`Backoff`] for *every* kind of loss,
//!   with a connect-rate limit, and the session's [`Session::classify_disconnect`] hook,
//!   all decided by the sans-IO [`ConnectionMachine`] (the driver only performs its
//!   [`ConnectionAction`]s);
//! - protocol pong replies, venue application pings, protocol pings and an idle watchdog;
//! - optional make-before-break rotation at [`ConnectionContext::max_lifetime`];
//! - inline processing on the reader task, or a bounded [`FrameQueue`] with a per-stream
//!   [`OverflowPolicy`];
//! - REST requests on behalf of the session (snapshots, listen keys, reconciliation);
//! - plain-data [`ConnectionStats`] with an HDR latency histogram.
//!
//! What it deliberately does not know: any venue name, channel, message format or book rule.
//!
//! ```no_run
//! use ws_core::{Connection, ConnectionContext, DriverConfig, InboundFrame, Outbox, Session, Timestamp};
//!
//! struct Echo;
//! impl Session for Echo {
//!     type Command = ();
//!     fn connection_context(&self) -> ConnectionContext {
//!         ConnectionContext::new("echo", "ws://127.0.0.1:9001/")
//!     }
//!     fn on_connected(&mut self, _now: Timestamp, out: &mut Outbox) {
//!         out.send_text(r#"{"op":"subscribe","id":1,"topic":"a"}"#);
//!     }
//!     fn on_frame(&mut self, frame: InboundFrame<'_>, _out: &mut Outbox) {
//!         println!("{} bytes", frame.payload.len());
//!     }
//! }
//!
//! # async fn run() -> Result<(), ws_core::WsError> {
//! let mut connection = Connection::spawn(Echo, DriverConfig::default())?;
//! connection.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! No cargo features: everything here is core.

mod config;
mod driver;
mod error;
mod pool;
mod queue;
mod rest;
mod transport;

pub use config::{DriverConfig, Processing, TlsRoots};
pub use driver::Connection;
pub use error::WsError;
pub use pool::ConnectionPool;
pub use queue::{FrameQueue, QueuedFrame};

// The sans-IO core, re-exported so users of the driver need one import path.
pub use ws_session::{
    Backoff, ConnectLimiter, ConnectRateLimit, ConnectionAction, ConnectionContext,
    ConnectionCounters, ConnectionMachine, ConnectionState, ConnectionStats, DisconnectCause,
    DisconnectKind, FailureKind, FrameKind, InboundFrame, JitterSource, LatencyHistogram,
    LatencySummary, MAX_RECONNECT_WAIT, MaxAttempts, OutFrame, Outbox, OverflowPolicy,
    PingSettings, PushOutcome, QueueConfig, ReconnectDecision, ReconnectionPolicy, RestFailure,
    RestMethod, RestReply, RestRequest, RestRequestId, RestResponse, Session, SessionSignal,
    SocketId, StreamKind, Timestamp, redact_query,
};
