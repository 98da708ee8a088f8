//! `ws-mixins`: the refactoring plan's mixins as small traits.
//!
//! | Plan mixin | Here |
//! |---|---|
//! | `ConnectionMixin` | [`ConnectionMixin`]: connection context, reconnection policy, `should_reconnect` |
//! | `AuthMixin` | [`AuthMixin`] plus the [`Authenticator`] confirmation/timeout state machine |
//! | `SubscriptionMixin` | [`SubscriptionMixin`] plus the [`SubscriptionRegistry`] of active subscriptions |
//! | `PublicWebSocketMixin` | [`PublicWebSocketMixin`]: order book, trade, ticker callbacks |
//! | `PrivateWebSocketMixin` | [`PrivateWebSocketMixin`]: order, fill, balance, position callbacks |
//!
//! Handlers in the exchange crates implement these traits and are composed into a
//! `ws_session::Session` by `ws-handlers`. Everything is sans-IO: time comes in as
//! `ws_session::Timestamp`, output goes into a `ws_session::Outbox`. No venue is named here.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use ws_session::{OutFrame, Outbox, Timestamp};
//! use ws_mixins::{SubscriptionMixin, SubscriptionRegistry};
//!
//! struct Topics;
//! impl SubscriptionMixin for Topics {
//!     type Topic = &'static str;
//!     fn subscribe_message(&self, t: &[&'static str], id: u64, _now: Timestamp) -> OutFrame {
//!         OutFrame::text(format!(r#"{{"op":"subscribe","id":{id},"topic":"{}"}}"#, t[0]))
//!     }
//!     fn unsubscribe_message(&self, t: &[&'static str], id: u64, _now: Timestamp) -> OutFrame {
//!         OutFrame::text(format!(r#"{{"op":"unsubscribe","id":{id},"topic":"{}"}}"#, t[0]))
//!     }
//! }
//!
//! let mut registry = SubscriptionRegistry::new(Duration::from_secs(5));
//! registry.add("trades");
//! let mut out = Outbox::new();
//! registry.send_inactive(&Topics, Timestamp::new(Instant::now(), 0), &mut out);
//! assert_eq!(out.frames().len(), 1);
//! assert_eq!(registry.ack_request(1), Ok(vec!["trades"]));
//! assert!(registry.all_confirmed());
//! ```
//!
//! No cargo features.

mod auth;
mod callbacks;
mod connection;
mod reconcile_failure;
mod subscription;

pub use auth::{AuthMixin, AuthStart, AuthState, Authenticator};
pub use callbacks::{ErrorCategory, PrivateWebSocketMixin, PublicWebSocketMixin, StreamError};
pub use connection::ConnectionMixin;
pub use reconcile_failure::{ReconcileFailure, ReconcileFailureReason, ReconcileScope};
pub use subscription::{
    SubscriptionError, SubscriptionMixin, SubscriptionRegistry, SubscriptionState, Topic,
};
