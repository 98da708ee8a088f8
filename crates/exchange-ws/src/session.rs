//! [`Feeder`]: the session wrapper every venue handler of a client runs inside. It stamps
//! the receive time on the events a driver call produces, calls the handler, and moves the
//! events into the client's bounded queue without waiting.

use std::sync::Arc;

use market_types::Venue;
use ws_core::{
    ConnectionContext, DisconnectCause, InboundFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, Session, StreamKind, Timestamp,
};
use ws_handlers::{Role, VenueHandler};

use crate::event::{ConnectionEvent, ConnectionStatus, Event, EventBody, EventSink};
use crate::queue::EventQueue;

/// A venue handler whose callbacks are an [`EventSink`]: every handler
/// [`build_sessions`](crate::sessions::build_sessions) makes, whether a [`Client`](crate::Client)
/// runs it or a program runs it its own way (`wsx` records and replays them).
pub trait SinkHandler: VenueHandler<Callbacks = EventSink> {
    /// The callbacks, which collect the handler's normalized events.
    #[inline]
    fn sink(&self) -> &EventSink {
        self.callbacks()
    }

    /// The callbacks, mutably (to stamp receive times and drain events).
    #[inline]
    fn sink_mut(&mut self) -> &mut EventSink {
        self.callbacks_mut()
    }
}

impl<S: VenueHandler<Callbacks = EventSink>> SinkHandler for S {}

/// A venue handler feeding the client's queue.
#[derive(Debug)]
pub(crate) struct Feeder<S> {
    inner: S,
    venue: Venue,
    role: Role,
    shard: u16,
    queue: Arc<EventQueue>,
}

impl<S: SinkHandler> Feeder<S> {
    pub(crate) fn new(inner: S, role: Role, shard: u16, queue: Arc<EventQueue>) -> Self {
        let venue = inner.callbacks().venue();
        Self {
            inner,
            venue,
            role,
            shard,
            queue,
        }
    }

    /// The venue handler.
    pub(crate) fn inner(&self) -> &S {
        &self.inner
    }

    /// The venue handler, mutably.
    pub(crate) fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    #[inline]
    fn step<R>(&mut self, now: Timestamp, call: impl FnOnce(&mut S) -> R) -> R {
        self.inner.callbacks_mut().set_receive_ts(now.unix_nanos);
        let result = call(&mut self.inner);
        self.deliver();
        result
    }

    #[inline]
    fn deliver(&mut self) {
        self.queue.push_all(self.inner.callbacks_mut().drain());
    }

    fn connection(&self, now: Timestamp, status: ConnectionStatus) -> Event {
        Event {
            venue: self.venue,
            receive_ts_ns: now.unix_nanos,
            body: EventBody::Connection(ConnectionEvent {
                role: self.role,
                shard: self.shard,
                status,
            }),
        }
    }
}

impl<S: SinkHandler> Session for Feeder<S> {
    type Command = S::Command;

    fn connection_context(&self) -> ConnectionContext {
        self.inner.connection_context()
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.inner.reconnection_policy()
    }

    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        self.inner.classify_disconnect(cause)
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        self.inner.stream_kind(frame)
    }

    fn ready_to_connect(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        self.step(now, |s| s.ready_to_connect(now, out))
    }

    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        let event = self.connection(now, ConnectionStatus::Connected);
        self.queue.push_all([event]);
        self.step(now, |s| s.on_connected(now, out));
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        let now = frame.received_at;
        self.step(now, |s| s.on_frame(frame, out));
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.step(now, |s| s.on_tick(now, out));
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        self.step(now, |s| s.on_app_ping(now, out));
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        self.step(now, |s| s.on_rest_response(response, now, out));
    }

    fn on_command(&mut self, command: S::Command, now: Timestamp, out: &mut Outbox) {
        self.step(now, |s| s.on_command(command, now, out));
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause, now: Timestamp) {
        let reason = cause.to_string();
        self.step(now, |s| s.on_disconnected(cause, now));
        let event = self.connection(now, ConnectionStatus::Disconnected { reason });
        self.queue.push_all([event]);
    }

    fn on_close(&mut self, now: Timestamp, out: &mut Outbox) {
        self.step(now, |s| s.on_close(now, out));
    }
}
