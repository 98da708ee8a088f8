//! One [`Session`] implementation for every venue handler. A venue describes its parts
//! through [`VenueSession`] (its subscription [`Lifecycle`], its decoders through
//! [`BaseMessageHandler`], and a few hooks); [`Driven`] supplies the glue every venue
//! shares: frames to the message template, ack timeouts reported, the lifecycle reset
//! on a disconnect. The orphan rule forbids a blanket `impl Session` outside
//! ws-session, hence the wrapper.

use std::ops::{Deref, DerefMut};

use ws_mixins::{ErrorCategory, StreamError, SubscriptionError, SubscriptionMixin, Topic};
use ws_session::{
    ConnectionContext, DisconnectCause, InboundFrame, OutFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, Session, StreamKind, Timestamp,
};

use market_types::Symbol;

use crate::{
    BaseMessageHandler, Feed, Lifecycle, PublicVenueHandler, SharedParts, SubscriptionChange,
    VenueHandler, WithSharedParts,
};

/// The parts of a venue session: configuration, the shared lifecycle, the
/// [`SharedParts`](crate::SharedParts) the user reads, and the hooks where venues
/// differ. Everything else is [`Driven`]'s.
pub trait VenueSession: BaseMessageHandler + WithSharedParts + Send + 'static {
    /// What a running session can be asked to do.
    type Command: Send + 'static;
    /// What the venue subscribes.
    type Topic: Topic;
    /// Renders subscribe and unsubscribe requests.
    type Format: SubscriptionMixin<Topic = Self::Topic>;

    /// Where to connect and how.
    fn connection_context(&self) -> ConnectionContext;

    /// Backoff between reconnects.
    fn reconnection_policy(&self) -> ReconnectionPolicy;

    /// Whether a disconnect is retried. Default: the cause's own decision.
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        cause.default_decision()
    }

    /// Which queue a frame belongs to when the driver is backed up.
    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind;

    /// The lifecycle and the format it renders with, borrowed apart.
    fn lifecycle(&mut self) -> (&mut Lifecycle<Self::Topic>, &Self::Format);

    /// Socket open: log in and subscribe (through the lifecycle), plus the venue's own
    /// first steps.
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox);

    /// A subscription got no ack in time and was requested again. Default: told to the
    /// user as a venue error.
    fn on_ack_timeout(&mut self, error: SubscriptionError<Self::Topic>) {
        self.report_skipped(&StreamError {
            category: ErrorCategory::Venue,
            message: format!("{error}; requested again"),
        });
    }

    /// Timer work of the venue's other machines (books, reconciler).
    fn on_tick(&mut self, _now: Timestamp, _out: &mut Outbox) {}

    /// The venue's application-level ping sent at `now` (some venues put the time in
    /// it), if it has one.
    fn app_ping(&self, _now: Timestamp) -> Option<OutFrame> {
        None
    }

    /// A REST answer for one of the venue's machines.
    fn on_rest_response(&mut self, _response: RestResponse, _now: Timestamp, _out: &mut Outbox) {}

    /// A command from the user.
    fn on_command(&mut self, _command: Self::Command, _now: Timestamp, _out: &mut Outbox) {}

    /// Socket gone: the venue's state beyond the lifecycle (already reset).
    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {}

    // Hooks for venues with work outside the socket (a listen key made over REST).

    /// Before each connection attempt: REST work the URL depends on goes to `out`, and
    /// `false` holds the attempt until its answer. Default: connect now.
    fn ready_to_connect(&mut self, _now: Timestamp, _out: &mut Outbox) -> bool {
        true
    }

    /// The user closes the session while connected: last requests (a key deleted, say).
    fn on_close(&mut self, _now: Timestamp, _out: &mut Outbox) {}
}

/// A market-data venue: how feed changes and resyncs become commands.
pub trait PublicVenueSession: VenueSession {
    /// See [`PublicVenueHandler::subscription_command`].
    fn subscription_command(
        symbol: Symbol,
        feed: Feed,
        change: SubscriptionChange,
    ) -> Option<Self::Command>;

    /// See [`PublicVenueHandler::resync_command`].
    fn resync_command(_symbol: Symbol) -> Option<Self::Command> {
        None
    }
}

/// A venue handler the driver runs: the venue's parts behind the shared glue. Derefs to
/// the parts, so their accessors read as the handler's.
#[derive(Debug)]
pub struct Driven<P>(P);

impl<P> Driven<P> {
    /// Runs `parts` as a session.
    pub const fn new(parts: P) -> Self {
        Driven(parts)
    }

    /// The venue's parts.
    pub fn into_parts(self) -> P {
        self.0
    }
}

impl<P> Deref for Driven<P> {
    type Target = P;

    #[inline]
    fn deref(&self) -> &P {
        &self.0
    }
}

impl<P> DerefMut for Driven<P> {
    #[inline]
    fn deref_mut(&mut self) -> &mut P {
        &mut self.0
    }
}

impl<P: VenueSession> Session for Driven<P> {
    type Command = P::Command;

    fn connection_context(&self) -> ConnectionContext {
        self.0.connection_context()
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.0.reconnection_policy()
    }

    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        self.0.classify_disconnect(cause)
    }

    #[inline]
    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        self.0.stream_kind(frame)
    }

    fn ready_to_connect(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        self.0.ready_to_connect(now, out)
    }

    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        self.0.on_connected(now, out);
    }

    #[inline]
    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        self.0.handle_message(frame, out);
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        let (lifecycle, format) = self.0.lifecycle();
        if let Some(error) = lifecycle.on_tick(format, now, out) {
            self.0.on_ack_timeout(error);
        }
        self.0.on_tick(now, out);
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(ping) = self.0.app_ping(now) {
            out.send(ping);
        }
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        self.0.on_rest_response(response, now, out);
    }

    fn on_command(&mut self, command: P::Command, now: Timestamp, out: &mut Outbox) {
        self.0.on_command(command, now, out);
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause, now: Timestamp) {
        self.0.lifecycle().0.on_disconnected();
        self.0.on_disconnected(cause, now);
    }

    fn on_close(&mut self, now: Timestamp, out: &mut Outbox) {
        self.0.on_close(now, out);
    }
}

impl<P: VenueSession> WithSharedParts for Driven<P> {
    type Callbacks = P::Callbacks;
    type Books = P::Books;

    #[inline]
    fn shared(&self) -> &SharedParts<P::Callbacks, P::Books> {
        self.0.shared()
    }

    #[inline]
    fn shared_mut(&mut self) -> &mut SharedParts<P::Callbacks, P::Books> {
        self.0.shared_mut()
    }
}

/// The accessors come from [`VenueHandler`]'s defaults over [`WithSharedParts`].
impl<P: VenueSession> VenueHandler for Driven<P> {}

impl<P: PublicVenueSession> PublicVenueHandler for Driven<P> {
    fn subscription_command(
        symbol: Symbol,
        feed: Feed,
        change: SubscriptionChange,
    ) -> Option<P::Command> {
        P::subscription_command(symbol, feed, change)
    }

    fn resync_command(symbol: Symbol) -> Option<P::Command> {
        P::resync_command(symbol)
    }
}

#[cfg(test)]
mod tests;
