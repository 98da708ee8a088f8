//! `StrategySession`: a `ws_core::Session` that calls a `WebSocketStrategySet` through
//! trait objects, as the old manager called its strategies.

use ws_core::{
    ConnectionContext, DisconnectCause, InboundFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, Session, SessionSignal, StreamKind, Timestamp,
};

use super::{Authentication, ParseContext, WebSocketStrategySet};
use crate::setup::ChannelKind;
use crate::translate::MessageSink;
use crate::types::{ParsedMessage, SubscriptionAction};

/// Commands the manager sends to a running strategy session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LegacyCommand {
    /// Subscribe these symbols on the session's channels.
    Subscribe(Vec<market_types::Symbol>),
    /// Unsubscribe them.
    Unsubscribe(Vec<market_types::Symbol>),
}

/// The legacy path's session.
pub(crate) struct StrategySession {
    strategies: WebSocketStrategySet,
    pub(crate) sink: MessageSink,
    channels: Vec<ChannelKind>,
    active: Vec<market_types::Symbol>,
    parsed: Vec<ParsedMessage>,
    /// A login is outstanding: subscriptions wait for it.
    awaiting_login: bool,
}

impl std::fmt::Debug for StrategySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrategySession")
            .field("channels", &self.channels)
            .field("active", &self.active)
            .field("sink", &self.sink)
            .finish_non_exhaustive()
    }
}

impl StrategySession {
    /// A session that subscribes `channels` of `symbols` on every connect.
    pub(crate) fn new(
        strategies: WebSocketStrategySet,
        sink: MessageSink,
        channels: Vec<ChannelKind>,
        symbols: Vec<market_types::Symbol>,
    ) -> Self {
        Self {
            strategies,
            sink,
            channels,
            active: symbols,
            parsed: Vec::with_capacity(16),
            awaiting_login: false,
        }
    }

    /// Subscribes every active symbol (nothing when there are none: defect §7.3), then
    /// tells the driver the connection delivers (the old loop reset its attempt counter
    /// here).
    fn subscribe_all(&mut self, now: Timestamp, out: &mut Outbox) {
        let symbols = self.active.clone();
        self.send_subscription(SubscriptionAction::Subscribe, &symbols, now, out);
        out.signal(SessionSignal::Ready);
    }

    fn is_private(&self) -> bool {
        self.channels
            .iter()
            .any(|c| matches!(c, ChannelKind::Private(_)))
    }

    /// Runs `f` with a parse context, then hands what it parsed to the user's handler.
    fn parse_with(
        &mut self,
        now: Timestamp,
        out: &mut Outbox,
        f: impl FnOnce(&mut WebSocketStrategySet, &mut ParseContext<'_>),
    ) -> Option<Result<Option<u64>, String>> {
        let Self {
            strategies,
            sink,
            parsed,
            ..
        } = self;
        let mut cx = ParseContext {
            now,
            out,
            translator: &sink.translator,
            parsed,
            authenticated: None,
        };
        f(strategies, &mut cx);
        let authenticated = cx.authenticated.take();
        for message in parsed.drain(..) {
            sink.deliver(message);
        }
        authenticated
    }

    fn send_subscription(
        &mut self,
        action: SubscriptionAction,
        symbols: &[market_types::Symbol],
        now: Timestamp,
        out: &mut Outbox,
    ) {
        let channels = self.channels.clone();
        let private = channels
            .iter()
            .any(|c| matches!(c, ChannelKind::Private(_)));
        if symbols.is_empty() && !private {
            return;
        }
        let _ = self.parse_with(now, out, |s, cx| {
            s.message_parser
                .on_subscription(action, symbols, &channels, cx);
        });
        match self
            .strategies
            .subscription_strategy
            .create_subscription_messages(action, symbols, &channels, now)
        {
            Ok(frames) => {
                for frame in frames {
                    out.send(frame);
                }
            }
            Err(error) => {
                let message = self.sink.translator.error(&ws_mixins::StreamError {
                    category: ws_mixins::ErrorCategory::SubscriptionRejected,
                    message: error.to_string(),
                });
                self.sink.deliver(message);
            }
        }
    }
}

impl Session for StrategySession {
    type Command = LegacyCommand;

    fn connection_context(&self) -> ConnectionContext {
        self.strategies
            .connection_strategy
            .create_connection_context()
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.strategies
            .connection_strategy
            .get_reconnection_policy()
    }

    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        let label = self.strategies.connection_strategy.classify_error(cause);
        if label == "abnormal_closure" {
            tracing::warn!(%cause, label, "connection lost");
        } else {
            tracing::error!(%cause, label, "connection lost");
        }
        self.strategies.connection_strategy.should_reconnect(cause)
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        self.strategies.message_parser.stream_kind(frame)
    }

    fn ready_to_connect(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        self.strategies
            .connection_strategy
            .ready_to_connect(now, out)
    }

    /// Authenticate, then resubscribe every active symbol (after the login is confirmed,
    /// when there is one).
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        match self.strategies.connection_strategy.authenticate(now, out) {
            Authentication::Done => self.subscribe_all(now, out),
            Authentication::Pending => self.awaiting_login = true,
        }
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        let now = frame.received_at;
        let login = self.parse_with(now, out, |s, cx| s.message_parser.parse_message(frame, cx));
        match login {
            Some(Ok(user_id)) if self.awaiting_login => {
                self.awaiting_login = false;
                self.strategies
                    .subscription_strategy
                    .on_authenticated(user_id);
                self.subscribe_all(now, out);
            }
            Some(Err(reason)) => {
                self.awaiting_login = false;
                out.signal(SessionSignal::AuthenticationFailed(reason));
            }
            _ => {}
        }
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.strategies.connection_strategy.on_tick(now, out);
        self.strategies.message_parser.on_tick(now, out);
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        self.strategies
            .connection_strategy
            .handle_heartbeat(now, out);
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        if self
            .strategies
            .connection_strategy
            .on_rest_response(&response, now, out)
        {
            return;
        }
        let mut handled = false;
        let _ = self.parse_with(now, out, |s, cx| {
            handled = s.message_parser.on_rest_response(&response, cx);
        });
        if !handled {
            tracing::debug!(id = ?response.id, "REST answer for no request of this session");
        }
    }

    fn on_command(&mut self, command: LegacyCommand, now: Timestamp, out: &mut Outbox) {
        match command {
            LegacyCommand::Subscribe(symbols) => {
                let new: Vec<_> = symbols
                    .into_iter()
                    .filter(|s| !self.active.contains(s))
                    .collect();
                self.active.extend(new.iter().copied());
                // Private channels are not per symbol: they were subscribed on connect.
                if !self.is_private() && !new.is_empty() {
                    self.send_subscription(SubscriptionAction::Subscribe, &new, now, out);
                }
            }
            LegacyCommand::Unsubscribe(symbols) => {
                let held: Vec<_> = symbols
                    .into_iter()
                    .filter(|s| self.active.contains(s))
                    .collect();
                self.active.retain(|s| !held.contains(s));
                if !self.is_private() && !held.is_empty() {
                    self.send_subscription(SubscriptionAction::Unsubscribe, &held, now, out);
                }
            }
        }
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause, now: Timestamp) {
        self.strategies.connection_strategy.on_disconnected(cause);
        let mut out = Outbox::new();
        self.awaiting_login = false;
        let _ = self.parse_with(now, &mut out, |s, cx| s.message_parser.on_disconnected(cx));
    }

    fn on_close(&mut self, now: Timestamp, out: &mut Outbox) {
        self.strategies.connection_strategy.cleanup(now, out);
    }
}
