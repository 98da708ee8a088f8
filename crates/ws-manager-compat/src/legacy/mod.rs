//! The legacy strategy path (feature `legacy-strategy`): the old V3/V4 architecture, a
//! [`WebSocketStrategySet`] of three trait objects, ported onto ws-core's driver.
//!
//! The driver does all IO, reconnection, backoff and heartbeat timing, exactly as on the
//! mixin path; [`StrategySession`] implements `ws_core::Session` by calling the strategies
//! through `dyn` (on purpose, so that the two dispatch styles can be compared). The venue
//! strategies are glue over the venue crates' pure decoders, subscription builders, signers
//! and book-sync state machines; nothing is parsed a second way.

mod connection;
mod gateio;
mod mexc;
mod session;

pub(crate) use self::connection::LegacyConnection;
pub(crate) use self::session::{LegacyCommand, StrategySession};

use ws_core::{
    ConnectionContext, DisconnectCause, InboundFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, StreamKind, Timestamp,
};

use crate::error::CompatError;
use crate::setup::{ChannelKind, StreamScope, VenueSetup};
use crate::translate::Translator;
use crate::types::{ParsedMessage, SubscriptionAction};

/// The old `ConnectionStrategy`: where to connect, how to recover, authentication,
/// heartbeat and clean-up. `connect()` itself is the driver's now.
#[deprecated(note = "use ws_mixins::ConnectionMixin and ws_mixins::AuthMixin")]
pub trait ConnectionStrategy: Send {
    /// URL, headers and heartbeat settings (the old `create_connection_context`).
    fn create_connection_context(&self) -> ConnectionContext;

    /// Backoff policy (the old `get_reconnection_policy`).
    fn get_reconnection_policy(&self) -> ReconnectionPolicy;

    /// Whether a loss is retried (the old `should_reconnect`).
    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        cause.default_decision()
    }

    /// The old `classify_error` labels.
    fn classify_error(&self, cause: &DisconnectCause) -> &'static str {
        classify_error(cause)
    }

    /// Work needed before a connection can be opened (a listen key). `true` when ready.
    fn ready_to_connect(&mut self, _now: Timestamp, _out: &mut Outbox) -> bool {
        true
    }

    /// The socket is open (the old `authenticate`), before anything is subscribed.
    /// [`Authentication::Pending`] holds the subscriptions back until the parser reports
    /// the venue's answer through [`ParseContext::authenticated`].
    fn authenticate(&mut self, _now: Timestamp, _out: &mut Outbox) -> Authentication {
        Authentication::Done
    }

    /// The old `handle_heartbeat`, run every application-ping interval.
    fn handle_heartbeat(&mut self, _now: Timestamp, _out: &mut Outbox) {}

    /// Timers (listen-key keep-alive).
    fn on_tick(&mut self, _now: Timestamp, _out: &mut Outbox) {}

    /// The socket is gone (the old loop's error handler).
    fn on_disconnected(&mut self, _cause: &DisconnectCause) {}

    /// A REST answer; `false` if it was not this strategy's request.
    fn on_rest_response(
        &mut self,
        _response: &RestResponse,
        _now: Timestamp,
        _out: &mut Outbox,
    ) -> bool {
        false
    }

    /// The manager is closing for good (the old `cleanup`).
    fn cleanup(&mut self, _now: Timestamp, _out: &mut Outbox) {}
}

/// Whether a connection may subscribe right after `authenticate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// Nothing to wait for (public streams, per-subscription signatures).
    Done,
    /// A login was sent; subscribe once it is confirmed.
    Pending,
}

/// The old `SubscriptionStrategy`.
#[deprecated(note = "use ws_mixins::SubscriptionMixin")]
pub trait SubscriptionStrategy: Send {
    /// The login was confirmed; `user_id` is the account id the venue reported, if any.
    fn on_authenticated(&mut self, _user_id: Option<u64>) {}

    /// The frames that (un)subscribe `channels` of `symbols` (venue spellings).
    ///
    /// # Errors
    /// A channel the venue does not offer, or a request the venue crate refuses to build.
    fn create_subscription_messages(
        &mut self,
        action: SubscriptionAction,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
        now: Timestamp,
    ) -> Result<Vec<ws_core::OutFrame>, CompatError>;
}

/// What a parser gets besides the frame.
#[derive(Debug)]
pub struct ParseContext<'a> {
    /// The time (receive time for frames).
    pub now: Timestamp,
    /// Requests for the driver (snapshot fetches).
    pub out: &'a mut Outbox,
    /// Typed events → `ParsedMessage`.
    pub(crate) translator: &'a Translator,
    /// Where parsed messages go, in order.
    pub parsed: &'a mut Vec<ParsedMessage>,
    /// Set by a parser that saw the answer to a login: the account id, or why it failed.
    pub authenticated: Option<Result<Option<u64>, String>>,
}

impl ParseContext<'_> {
    /// Reports a problem as the old parsers did: an `ERROR` message in the stream.
    pub(crate) fn error(&mut self, category: ws_mixins::ErrorCategory, message: String) {
        let m = self
            .translator
            .error(&ws_mixins::StreamError { category, message });
        self.parsed.push(m);
    }

    /// Translates the items of a list push in order (`None` skips one). An item that does
    /// not decode ends the list with a parse `ERROR`; the items before it stay delivered.
    pub(crate) fn each<T, E: std::fmt::Display>(
        &mut self,
        items: impl IntoIterator<Item = Result<T, E>>,
        translate: impl Fn(&Translator, &T) -> Option<ParsedMessage>,
    ) {
        for item in items {
            match item {
                Ok(item) => {
                    if let Some(m) = translate(self.translator, &item) {
                        self.parsed.push(m);
                    }
                }
                Err(e) => return self.error(ws_mixins::ErrorCategory::Parse, e.to_string()),
            }
        }
    }
}

/// The old `MessageParser`, extended with the venue book-sync hooks (the old parsers passed
/// each depth delta on as if it were a whole book).
#[deprecated(
    note = "use ws_handlers::BaseMessageHandler with PublicMessageHandler / PrivateMessageHandler"
)]
pub trait MessageParser: Send {
    /// One frame → zero or more messages pushed to `cx.parsed` (the old
    /// `parse_message(raw) -> Optional[ParsedMessage]`).
    fn parse_message(&mut self, frame: InboundFrame<'_>, cx: &mut ParseContext<'_>);

    /// Cheap classification for the queued mode's overflow policy.
    fn stream_kind(&self, _frame: &InboundFrame<'_>) -> StreamKind {
        StreamKind::Control
    }

    /// (Un)subscription of `channels` of `symbols` is being sent: start or stop books.
    fn on_subscription(
        &mut self,
        _action: SubscriptionAction,
        _symbols: &[market_types::Symbol],
        _channels: &[ChannelKind],
        _cx: &mut ParseContext<'_>,
    ) {
    }

    /// A REST answer; `false` if it was not this parser's request.
    fn on_rest_response(&mut self, _response: &RestResponse, _cx: &mut ParseContext<'_>) -> bool {
        false
    }

    /// Timers (snapshot retries).
    fn on_tick(&mut self, _now: Timestamp, _out: &mut Outbox) {}

    /// The socket is gone: books go back to syncing.
    fn on_disconnected(&mut self, _cx: &mut ParseContext<'_>) {}
}

/// The old `WebSocketStrategySet(connection_strategy, subscription_strategy, message_parser)`.
#[deprecated(
    note = "use the venue handlers (exchange_mexc::MexcPublicWebSocketHandler, ...) with ws_core::Connection"
)]
pub struct WebSocketStrategySet {
    /// Connection behaviour.
    pub connection_strategy: Box<dyn ConnectionStrategy>,
    /// Subscription messages.
    pub subscription_strategy: Box<dyn SubscriptionStrategy>,
    /// Frames → messages.
    pub message_parser: Box<dyn MessageParser>,
}

impl std::fmt::Debug for WebSocketStrategySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketStrategySet")
            .finish_non_exhaustive()
    }
}

impl WebSocketStrategySet {
    /// The three strategies (the old constructor raised `ValueError` when one was missing;
    /// the types make that impossible here).
    pub fn new(
        connection_strategy: Box<dyn ConnectionStrategy>,
        subscription_strategy: Box<dyn SubscriptionStrategy>,
        message_parser: Box<dyn MessageParser>,
    ) -> Self {
        Self {
            connection_strategy,
            subscription_strategy,
            message_parser,
        }
    }

    /// The venue's strategies for `setup` (what the old factory assembled).
    pub(crate) fn for_setup(setup: &VenueSetup) -> Result<Self, CompatError> {
        use crate::config::ExchangeEnum;
        match (setup.exchange, setup.scope) {
            (ExchangeEnum::Mexc, StreamScope::Public) => mexc::public(setup),
            (ExchangeEnum::Mexc, StreamScope::Private) => mexc::private(setup),
            (ExchangeEnum::Gateio | ExchangeEnum::GateioFutures, scope) => {
                gateio::strategies(setup, scope)
            }
        }
    }
}

/// The old `classify_error` labels, from the driver's typed causes.
pub(crate) fn classify_error(cause: &DisconnectCause) -> &'static str {
    match cause {
        _ if cause.is_no_status() => "abnormal_closure",
        DisconnectCause::ConnectFailed(_) => "connection_refused",
        DisconnectCause::ConnectTimeout | DisconnectCause::IdleTimeout(_) => "timeout",
        DisconnectCause::AuthenticationFailed(_) => "authentication_failure",
        DisconnectCause::HandshakeRejected { status: 429, .. } => "rate_limit",
        DisconnectCause::Tls(_) => "ssl_error",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::{ExchangeConfig, ExchangeCredentials, WebSocketManagerConfig};

    #[test]
    fn every_venue_has_a_strategy_set() {
        for (name, ws) in [
            ("MEXC", "wss://wbs-api.mexc.com/ws"),
            ("GATEIO", "wss://api.gateio.ws/ws/v4/"),
            ("GATEIO_FUTURES", "wss://fx-ws.gateio.ws/v4/ws/usdt"),
        ] {
            for scope in [StreamScope::Public, StreamScope::Private] {
                let config = ExchangeConfig::new(name, ExchangeCredentials::new("k", "s"), "", ws);
                let setup =
                    VenueSetup::from_exchange(&config, scope, WebSocketManagerConfig::default());
                let set = setup.and_then(|s| WebSocketStrategySet::for_setup(&s));
                let Ok(set) = set else {
                    panic!("{name} {scope:?}: {set:?}");
                };
                // Called through the trait object, as the old manager called it.
                let context = set.connection_strategy.create_connection_context();
                assert!(context.url.starts_with(ws), "{name}: {}", context.url);
                assert_eq!(
                    set.connection_strategy
                        .get_reconnection_policy()
                        .max_attempts,
                    ws_core::MaxAttempts::Limited(10)
                );
            }
        }
    }

    #[test]
    fn old_error_labels() {
        let none = DisconnectCause::ClosedByPeer {
            code: None,
            reason: String::new(),
        };
        assert_eq!(classify_error(&none), "abnormal_closure");
        assert_eq!(
            classify_error(&DisconnectCause::ConnectFailed("refused".into())),
            "connection_refused"
        );
        assert_eq!(classify_error(&DisconnectCause::ConnectTimeout), "timeout");
        assert_eq!(
            classify_error(&DisconnectCause::IdleTimeout(Duration::from_secs(1))),
            "timeout"
        );
        assert_eq!(
            classify_error(&DisconnectCause::AuthenticationFailed("x".into())),
            "authentication_failure"
        );
        assert_eq!(
            classify_error(&DisconnectCause::HandshakeRejected {
                status: 429,
                retry_after: None
            }),
            "rate_limit"
        );
        assert_eq!(
            classify_error(&DisconnectCause::ConnectionLost("eof".into())),
            "unknown"
        );
    }
}
