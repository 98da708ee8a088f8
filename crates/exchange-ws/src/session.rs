//! The client's [`SessionTap`]: every venue handler of a client runs inside a
//! [`TappedSession`] whose tap moves the events into the client's bounded queue without
//! waiting, with connection status events around the handler's own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use market_types::Venue;
use ws_core::Timestamp;
use ws_handlers::{Role, VenueHandler};

use crate::event::{ConnectionEvent, ConnectionStatus, Event, EventBody, EventSink};
use crate::queue::EventQueue;
use crate::tap::{InputTap, SessionInput, SessionTap, TappedSession};

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

/// A venue handler feeding the client's queue, with the program's input tap `T`.
pub(crate) type Feeder<S, T> = TappedSession<S, QueueTap<T>>;

/// Builds the [`Feeder`] of shard `shard` of a pool.
pub(crate) fn feeder<S: SinkHandler, T: InputTap>(
    inner: S,
    role: Role,
    shard: u16,
    shared: &ClientShared,
    input_tap: T,
) -> Feeder<S, T> {
    let venue = inner.callbacks().venue();
    TappedSession::new(
        inner,
        QueueTap {
            venue,
            role,
            shard,
            queue: shared.queue.clone(),
            frozen: shared.frozen.clone(),
            input_tap,
        },
    )
}

/// What every session of one client shares: the event queue and the freeze switch.
#[derive(Debug, Clone)]
pub(crate) struct ClientShared {
    pub(crate) queue: Arc<EventQueue>,
    /// Set once by [`crate::Client::freeze`]; read before every input.
    pub(crate) frozen: Arc<AtomicBool>,
}

/// Delivers into the client's queue, after the program's input tap saw the input.
#[derive(Debug)]
pub(crate) struct QueueTap<T> {
    venue: Venue,
    role: Role,
    shard: u16,
    queue: Arc<EventQueue>,
    frozen: Arc<AtomicBool>,
    input_tap: T,
}

impl<T> QueueTap<T> {
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

impl<T: InputTap> SessionTap for QueueTap<T> {
    /// The input tap's scope, and a connection status event to deliver after the
    /// handler's events.
    type Scope<'a> = (T::Scope<'a>, Option<Event>);

    #[inline]
    fn begin(&self, conn: u32, now: Timestamp, input: SessionInput<'_>) -> Option<Self::Scope<'_>> {
        // Checked under the session lock, which readers of the books take too: an input
        // either finished before the freeze or is never applied.
        if self.frozen.load(Ordering::Acquire) {
            return None;
        }
        let is_connected = matches!(input, SessionInput::Connected);
        let status = match input {
            SessionInput::Disconnected(cause) => Some(self.connection(
                now,
                ConnectionStatus::Disconnected {
                    reason: cause.to_string(),
                },
            )),
            _ => None,
        };
        let scope = self.input_tap.begin(conn, now, input)?;
        if is_connected {
            // Before the handler's events: it may subscribe and produce some at once.
            self.queue
                .push_all([self.connection(now, ConnectionStatus::Connected)]);
        }
        Some((scope, status))
    }

    #[inline]
    fn deliver(&self, scope: Self::Scope<'_>, events: impl Iterator<Item = Event>) {
        let (input_scope, status) = scope;
        self.queue.push_all(events);
        if let Some(status) = status {
            self.queue.push_all([status]);
        }
        drop(input_scope);
    }

    fn wants_rest_urls(&self) -> bool {
        self.input_tap.wants_rest_urls()
    }
}
