//! [`TappedSession`]: the one session wrapper every venue handler runs inside, for the
//! [`Client`](crate::Client) and for programs that run the handlers their own way (`wsx`
//! records every input, and replays a recording through the same wrapper).
//!
//! The wrapper stamps the receive time on the events a driver call produces, calls the
//! handler and hands the events to a [`SessionTap`]. The tap sees each input before the
//! handler does (to record it, or to ignore it) and keeps a scope open until the input's
//! events are delivered, so a recorder can keep inputs and events of several connections in
//! one order. The tap is a type parameter: the message path stays statically dispatched.
//!
//! A [`Client`](crate::Client) runs its own tap (into its event queue); programs that only
//! want to watch or record the inputs of a client's sessions give it an [`InputTap`] per
//! session through [`ClientBuilder::tap`](crate::ClientBuilder::tap).

use std::sync::{Mutex, MutexGuard};

use market_types::Venue;
use ws_handlers::Role;

use ws_core::{
    ConnectionContext, ConnectionPool, ConnectionState, DisconnectCause, FrameKind, InboundFrame,
    Outbox, ReconnectDecision, ReconnectionPolicy, RestRequestId, RestResponse, Session,
    StreamKind, Timestamp, redact_query,
};

use crate::event::Event;
use crate::session::SinkHandler;

/// One input of a session, before its handler takes it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum SessionInput<'a> {
    /// The driver asks whether the session may connect now.
    ReadyToConnect,
    /// A socket opened.
    Connected,
    /// A frame arrived (its bytes before the handler parses them in place).
    Frame {
        /// Text or binary.
        kind: FrameKind,
        /// Its bytes.
        payload: &'a [u8],
    },
    /// A REST request was answered.
    Rest {
        /// The request URL with credentials redacted; empty unless the tap asked for
        /// URLs ([`SessionTap::wants_rest_urls`]).
        url: &'a str,
        /// The answer.
        response: &'a RestResponse,
    },
    /// The socket ended.
    Disconnected(&'a DisconnectCause),
    /// A timer tick.
    Tick,
    /// Time for an application-level ping.
    AppPing,
    /// A command from the program (a subscription change, a resync).
    Command,
    /// The connection is closing for good. The handler always runs (a private session
    /// logs out here); the tap decides whether its events are delivered.
    Close,
}

/// What a [`TappedSession`] does around its handler: sees each input first, and takes the
/// events each input produced.
pub trait SessionTap: Send + 'static {
    /// Held from [`Self::begin`] until [`Self::deliver`] (a recorder keeps its file locked,
    /// so that the events of several connections come out in the order of their inputs).
    type Scope<'a>
    where
        Self: 'a;

    /// Called before the handler takes `input` on connection number `conn` (counted from
    /// 1 per session). `None` makes the session ignore the input (a run that is ending
    /// freezes its books this way); for [`SessionInput::Close`] the handler still runs and
    /// `None` only discards its events.
    fn begin(&self, conn: u32, now: Timestamp, input: SessionInput<'_>) -> Option<Self::Scope<'_>>;

    /// Takes the events one input produced, while the scope is still held.
    fn deliver(&self, scope: Self::Scope<'_>, events: impl Iterator<Item = Event>);

    /// Whether REST answers should carry the URL of their request (a recorder writes
    /// it down); remembering URLs costs an allocation per request.
    fn wants_rest_urls(&self) -> bool {
        false
    }
}

/// Which session of a client an [`InputTap`] watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId {
    /// The venue.
    pub venue: Venue,
    /// Market data or account data.
    pub role: Role,
    /// The session's index among the venue's sessions of that role (the `shard` of its
    /// connection events).
    pub shard: u16,
}

/// A hook a [`Client`](crate::Client) runs around every input of one of its sessions
/// ([`ClientBuilder::tap`](crate::ClientBuilder::tap)): to record the inputs (a recorder
/// writes each frame, REST answer and timer tick, so a run can be replayed), to watch them,
/// or to ignore some. The session's events still go to the client's event stream.
///
/// The tap is a type parameter of the client's sessions: the message path stays statically
/// dispatched, and [`NoTap`] costs nothing.
pub trait InputTap: Send + 'static {
    /// Held from [`Self::begin`] until the input's events are in the client's queue (a
    /// recorder keeps its file locked, so that inputs and events of several connections come
    /// out in one order).
    type Scope<'a>
    where
        Self: 'a;

    /// Called before the handler takes `input` on connection number `conn` (counted from 1
    /// per session). `None` makes the session ignore the input; for
    /// [`SessionInput::Close`] the handler still runs (an account session logs out) and
    /// `None` only discards its events.
    fn begin(&self, conn: u32, now: Timestamp, input: SessionInput<'_>) -> Option<Self::Scope<'_>>;

    /// Whether REST answers should carry the URL of their request (a recorder writes it
    /// down); remembering URLs costs an allocation per request.
    fn wants_rest_urls(&self) -> bool {
        false
    }
}

/// No tap: every input goes to the handler.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTap;

impl InputTap for NoTap {
    type Scope<'a> = ();

    #[inline]
    fn begin(&self, _conn: u32, _now: Timestamp, _input: SessionInput<'_>) -> Option<()> {
        Some(())
    }
}

/// Makes the [`InputTap`] of each session of a client. A client calls it once per session,
/// market data before account data, for every venue, before any connection starts.
pub trait TapFactory {
    /// The tap it makes.
    type Tap: InputTap;

    /// The tap of session `session`.
    fn tap(&mut self, session: SessionId) -> Self::Tap;
}

impl<F, T> TapFactory for F
where
    F: FnMut(SessionId) -> T,
    T: InputTap,
{
    type Tap = T;

    fn tap(&mut self, session: SessionId) -> T {
        self(session)
    }
}

/// The factory of [`NoTap`]s: what a client uses unless told otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTaps;

impl TapFactory for NoTaps {
    type Tap = NoTap;

    fn tap(&mut self, _session: SessionId) -> NoTap {
        NoTap
    }
}

/// A venue handler with a [`SessionTap`] around it: what the driver runs.
#[derive(Debug)]
pub struct TappedSession<S, T> {
    inner: S,
    tap: T,
    /// Connections opened so far (the number of the current one).
    conn: u32,
    /// URLs of REST requests in flight, to label their answers.
    requests: Vec<(RestRequestId, String)>,
    /// Behind a lock because `classify_disconnect` only has `&self`.
    last_failure: Mutex<Option<String>>,
}

impl<S: SinkHandler, T: SessionTap> TappedSession<S, T> {
    /// Wraps `inner`.
    pub fn new(inner: S, tap: T) -> Self {
        Self {
            inner,
            tap,
            conn: 0,
            requests: Vec::new(),
            last_failure: Mutex::new(None),
        }
    }

    /// The venue handler.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The venue handler, mutably.
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The tap.
    pub fn tap(&self) -> &T {
        &self.tap
    }

    /// The last reason a connection attempt failed or a socket ended.
    pub fn last_failure(&self) -> Option<String> {
        lock(&self.last_failure).clone()
    }

    /// Whether a socket has ever opened.
    pub fn ever_connected(&self) -> bool {
        self.conn > 0
    }

    /// Runs one input: shows it to the tap, stamps its time, calls the handler and
    /// delivers the events. `None` when the tap ignored the input.
    #[inline]
    fn step<R>(
        &mut self,
        now: Timestamp,
        input: SessionInput<'_>,
        out: &mut Outbox,
        call: impl FnOnce(&mut S, &mut Outbox) -> R,
    ) -> Option<R> {
        self.step_on(self.conn, now, input, out, call)
    }

    /// [`Self::step`] on connection number `conn`, which becomes the current one when the
    /// tap takes the input.
    #[inline]
    fn step_on<R>(
        &mut self,
        conn: u32,
        now: Timestamp,
        input: SessionInput<'_>,
        out: &mut Outbox,
        call: impl FnOnce(&mut S, &mut Outbox) -> R,
    ) -> Option<R> {
        let scope = self.tap.begin(conn, now, input)?;
        self.conn = conn;
        let before = out.rest_requests().len();
        self.inner.sink_mut().set_receive_ts(now.unix_nanos);
        let result = call(&mut self.inner, out);
        if self.tap.wants_rest_urls() {
            note_requests(&mut self.requests, out, before);
        }
        self.tap.deliver(scope, self.inner.sink_mut().drain());
        Some(result)
    }

    fn rest_url(&mut self, id: RestRequestId) -> String {
        match self.requests.iter().position(|(r, _)| *r == id) {
            Some(i) => self.requests.swap_remove(i).1,
            None => String::new(),
        }
    }
}

impl<S: SinkHandler, T: SessionTap> Session for TappedSession<S, T> {
    type Command = S::Command;

    fn connection_context(&self) -> ConnectionContext {
        self.inner.connection_context()
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.inner.reconnection_policy()
    }

    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        *lock(&self.last_failure) = Some(cause.to_string());
        self.inner.classify_disconnect(cause)
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        self.inner.stream_kind(frame)
    }

    fn ready_to_connect(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        self.step(now, SessionInput::ReadyToConnect, out, |s, out| {
            s.ready_to_connect(now, out)
        })
        .unwrap_or(true)
    }

    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        let conn = self.conn.saturating_add(1);
        self.step_on(conn, now, SessionInput::Connected, out, |s, out| {
            s.on_connected(now, out)
        });
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        let now = frame.received_at;
        // The tap sees the payload before the handler may parse it in place.
        let input = SessionInput::Frame {
            kind: frame.kind,
            payload: &*frame.payload,
        };
        let Some(scope) = self.tap.begin(self.conn, now, input) else {
            return;
        };
        let before = out.rest_requests().len();
        self.inner.sink_mut().set_receive_ts(now.unix_nanos);
        self.inner.on_frame(frame, out);
        if self.tap.wants_rest_urls() {
            note_requests(&mut self.requests, out, before);
        }
        self.tap.deliver(scope, self.inner.sink_mut().drain());
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.step(now, SessionInput::Tick, out, |s, out| s.on_tick(now, out));
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        self.step(now, SessionInput::AppPing, out, |s, out| {
            s.on_app_ping(now, out)
        });
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let url = if self.tap.wants_rest_urls() {
            self.rest_url(response.id)
        } else {
            String::new()
        };
        // A clone is cheap (the body is reference-counted) and lets the input borrow it.
        let owned = response.clone();
        let input = SessionInput::Rest {
            url: &url,
            response: &response,
        };
        self.step(now, input, out, move |s, out| {
            s.on_rest_response(owned, now, out)
        });
    }

    fn on_command(&mut self, command: S::Command, now: Timestamp, out: &mut Outbox) {
        self.step(now, SessionInput::Command, out, |s, out| {
            s.on_command(command, now, out)
        });
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause, now: Timestamp) {
        *lock(&self.last_failure) = Some(cause.to_string());
        let mut out = Outbox::new();
        self.step(now, SessionInput::Disconnected(cause), &mut out, |s, _| {
            s.on_disconnected(cause, now)
        });
    }

    fn on_close(&mut self, now: Timestamp, out: &mut Outbox) {
        let scope = self.tap.begin(self.conn, now, SessionInput::Close);
        self.inner.sink_mut().set_receive_ts(now.unix_nanos);
        self.inner.on_close(now, out);
        let events = self.inner.sink_mut().drain();
        match scope {
            Some(scope) => self.tap.deliver(scope, events),
            // Ignored: the events go nowhere.
            None => drop(events),
        }
    }
}

/// Whether the connections of a pool work, and if not, why: what a program checks to stop
/// with a message that says what to do instead of running on without data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolHealth {
    /// Connections that are `CONNECTED` now.
    pub connected: usize,
    /// Connections that opened a socket at least once.
    pub ever_connected: usize,
    /// Connections that stopped for good (`ERROR`: refused for good, out of attempts, or
    /// a panic in one of their tasks).
    pub stopped: usize,
    /// How many connections.
    pub total: usize,
    /// The WebSocket URL, credentials redacted.
    pub url: String,
    /// The last reason a connection attempt failed or a socket ended.
    pub last_failure: Option<String>,
    /// Subscriptions the venue refused, with its reason.
    pub rejections: Vec<String>,
    /// Authentication failures.
    pub auth_failures: Vec<String>,
}

/// The [`PoolHealth`] of a pool of tapped sessions.
pub fn pool_health<S: SinkHandler, T: SessionTap>(
    pool: &ConnectionPool<TappedSession<S, T>>,
) -> PoolHealth {
    let mut health = PoolHealth {
        total: pool.len(),
        ..PoolHealth::default()
    };
    for connection in pool.connections() {
        match connection.state() {
            ConnectionState::Connected => health.connected += 1,
            ConnectionState::Error => health.stopped += 1,
            _ => {}
        }
        connection.with_session(|session| {
            if session.ever_connected() {
                health.ever_connected += 1;
            }
            if let Some(failure) = session.last_failure() {
                health.last_failure = Some(failure);
            }
            health.url = redact_query(&session.connection_context().url);
            let sink = session.inner().sink();
            health.rejections.extend(sink.rejections().iter().cloned());
            health
                .auth_failures
                .extend(sink.auth_failures().iter().cloned());
        });
    }
    health
}

/// Remembers the (redacted) URLs of the requests added to `out` since `before`.
fn note_requests(requests: &mut Vec<(RestRequestId, String)>, out: &Outbox, before: usize) {
    for request in out.rest_requests().iter().skip(before) {
        requests.push((request.id, redact_query(&request.url)));
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data behind the lock: a panic elsewhere leaves it usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
