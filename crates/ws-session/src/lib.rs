//! `ws-session`: the sans-IO connection core (the role `quinn-proto` plays for quinn).
//!
//! Everything an exchange crate needs to describe a WebSocket session, and nothing that does
//! IO: the [`Session`] trait the driver calls, the [`Outbox`] a session fills with frames to
//! send, REST requests and signals, [`Timestamp`] (time always arrives as an argument), the
//! [`ConnectionContext`] a venue supplies, the [`ReconnectionPolicy`] with its pure
//! [`Backoff`], [`ConnectionState`], [`DisconnectCause`], the queue vocabulary
//! ([`StreamKind`], [`OverflowPolicy`], [`QueueConfig`]) and plain-data [`ConnectionStats`].
//!
//! The connection lifecycle itself is [`ConnectionMachine`], driven quinn-style: the driver
//! feeds it `handle_*` inputs (connected, disconnected with the session's decision, socket
//! ended, signal, timeout, user reconnect or close), sleeps until
//! [`ConnectionMachine::poll_timeout`] and performs each [`ConnectionAction`] from
//! [`ConnectionMachine::poll_action`] (connect, tick, ping, rotate, switch, disconnect,
//! close, finish).
//!
//! What it deliberately does not do: open a socket, spawn a task, read a clock or name a
//! venue. `ws-core` is the tokio driver that runs a [`Session`]; exchange crates depend only
//! on this crate, so their rules are deterministic unit tests.
//!
//! ```
//! use ws_session::{ConnectionContext, InboundFrame, Outbox, Session, Timestamp};
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
//!         let _ = frame.payload.len();
//!     }
//! }
//!
//! let mut session = Echo;
//! let mut out = Outbox::default();
//! session.on_connected(Timestamp::new(std::time::Instant::now(), 0), &mut out);
//! assert!(!out.is_empty());
//! ```
//!
//! No cargo features: everything here is core.

mod context;
mod error;
mod machine;
mod message;
mod policy;
mod queue;
mod retry_after;
mod session;
mod state;
mod stats;

pub use context::{ConnectionContext, PingSettings, redact_query};
pub use error::{DisconnectCause, DisconnectKind};
pub use machine::{
    ConnectionAction, ConnectionMachine, MAX_RECONNECT_WAIT, SocketId, deadline_after,
};
pub use message::{MessageAssembly, close_cause};
pub use policy::{
    Backoff, ConnectLimiter, ConnectRateLimit, FailureKind, JitterSource, MaxAttempts,
    NO_STATUS_RUN_COUNTED, ReconnectDecision, ReconnectionPolicy,
};
pub use queue::{DEFAULT_QUEUE_BYTES, OverflowPolicy, PushOutcome, QueueConfig, StreamKind};
pub use retry_after::{MAX_RETRY_AFTER, parse_retry_after};
pub use session::{
    FrameKind, InboundFrame, OutFrame, Outbox, RestFailure, RestMethod, RestReply, RestRequest,
    RestRequestId, RestResponse, Session, SessionSignal, Timestamp,
};
pub use state::ConnectionState;
pub use stats::{ConnectionCounters, ConnectionStats, LatencyHistogram, LatencySummary};
