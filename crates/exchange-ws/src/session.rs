//! The client's [`SessionTap`]: every venue handler of a client runs inside a
//! [`TappedSession`] whose tap moves the events into the client's bounded queue without
//! waiting, with connection status events around the handler's own.

use std::sync::Arc;

use market_types::Venue;
use ws_core::Timestamp;
use ws_handlers::{Role, VenueHandler};

use crate::event::{ConnectionEvent, ConnectionStatus, Event, EventBody, EventSink};
use crate::queue::EventQueue;
use crate::tap::{SessionInput, SessionTap, TappedSession};

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
pub(crate) type Feeder<S> = TappedSession<S, QueueTap>;

/// Builds the [`Feeder`] of shard `shard` of a pool.
pub(crate) fn feeder<S: SinkHandler>(
    inner: S,
    role: Role,
    shard: u16,
    queue: Arc<EventQueue>,
) -> Feeder<S> {
    let venue = inner.callbacks().venue();
    TappedSession::new(
        inner,
        QueueTap {
            venue,
            role,
            shard,
            queue,
        },
    )
}

/// Delivers into the client's queue.
#[derive(Debug)]
pub(crate) struct QueueTap {
    venue: Venue,
    role: Role,
    shard: u16,
    queue: Arc<EventQueue>,
}

impl QueueTap {
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

impl SessionTap for QueueTap {
    /// A connection status event to deliver after the handler's events.
    type Scope<'a> = Option<Event>;

    #[inline]
    fn begin(&self, _conn: u32, now: Timestamp, input: SessionInput<'_>) -> Option<Option<Event>> {
        match input {
            SessionInput::Connected => {
                // Before the handler's events: it may subscribe and produce some at once.
                self.queue
                    .push_all([self.connection(now, ConnectionStatus::Connected)]);
                Some(None)
            }
            SessionInput::Disconnected(cause) => Some(Some(self.connection(
                now,
                ConnectionStatus::Disconnected {
                    reason: cause.to_string(),
                },
            ))),
            _ => Some(None),
        }
    }

    #[inline]
    fn deliver(&self, scope: Option<Event>, events: impl Iterator<Item = Event>) {
        self.queue.push_all(events);
        if let Some(status) = scope {
            self.queue.push_all([status]);
        }
    }
}
