//! `_native.Replay`: frames given by the caller go through a venue's own market-data handler
//! and the client's event path, without a network, and every event reaches a Python
//! callback as the `exchange_ws.Event` the live client's `events()` yields.
//!
//! It exists to measure what an event costs up to Python code (python/bench compares it
//! with ccxt pro on the same frames) and to test decoding from Python. The handler is the
//! one `Client::connect` builds (`exchange_ws::sessions::build_sessions`), wrapped in the
//! same `TappedSession`; only the tap differs: it hands events to the callback instead of
//! the client's queue. The caller plays the venue: it answers the subscribe requests
//! [`Replay::connect`] returns and the REST snapshot requests [`Replay::rest_requests`]
//! lists.

use std::collections::VecDeque;
use std::sync::Mutex;

use exchange_ws::event::EventSink;
use exchange_ws::sessions::{SessionPlan, SessionTarget, SinkHandler, build_sessions};
use exchange_ws::tap::{SessionInput, SessionTap, TappedSession};
use exchange_ws::venue::{check_channels, check_depth, parse_symbol, parse_venue};
use exchange_ws::{BookLine, Channel, DEFAULT_LEVELS, Event, EventBody, Symbol, Venue};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use ws_core::{
    ConnectRateLimit, FrameKind, InboundFrame, OutFrame, Outbox, RestReply, RestRequest,
    RestResponse, Session, Timestamp,
};
use ws_handlers::{EndpointChoice, PublicVenueHandler, VenueHandler};

use crate::error;
use crate::event::PyEvent;

/// Registers the class on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Replay>()
}

/// Collects the events of one input, as the client's queue tap would take them.
#[derive(Debug, Default)]
struct CollectTap {
    // Bound: the events of one input; `feed` empties it after every frame.
    events: Mutex<Vec<Event>>,
}

impl SessionTap for CollectTap {
    type Scope<'a> = ();

    #[inline]
    fn begin(&self, _conn: u32, _now: Timestamp, _input: SessionInput<'_>) -> Option<()> {
        Some(())
    }

    #[inline]
    fn deliver(&self, _scope: (), events: impl Iterator<Item = Event>) {
        lock(&self.events).extend(events);
    }
}

/// One tapped handler with its concrete type hidden: one dynamic call per input.
trait Replayed: Send {
    fn connected(&mut self, now: Timestamp, out: &mut Outbox);
    fn frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox);
    fn rest(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox);
    fn take_events(&self, into: &mut Vec<Event>);
    fn book(&self, symbol: Symbol) -> Option<BookLine>;
}

impl<S: SinkHandler> Replayed for TappedSession<S, CollectTap> {
    fn connected(&mut self, now: Timestamp, out: &mut Outbox) {
        self.on_connected(now, out);
    }

    #[inline]
    fn frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        self.on_frame(frame, out);
    }

    fn rest(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        self.on_rest_response(response, now, out);
    }

    #[inline]
    fn take_events(&self, into: &mut Vec<Event>) {
        into.append(&mut lock(&self.tap().events));
    }

    fn book(&self, symbol: Symbol) -> Option<BookLine> {
        self.inner()
            .book(symbol)
            .map(|(book, status)| BookLine::from_book(book, status))
    }
}

/// Keeps the market-data handlers `build_sessions` makes.
#[derive(Default)]
struct Built {
    shards: Vec<Box<dyn Replayed>>,
}

impl SessionTarget for Built {
    fn public<S>(&mut self, sessions: Vec<S>, _limit: ConnectRateLimit) -> Result<(), String>
    where
        S: PublicVenueHandler<Callbacks = EventSink> + VenueHandler<Callbacks = EventSink>,
    {
        for session in sessions {
            self.shards
                .push(Box::new(TappedSession::new(session, CollectTap::default())));
        }
        Ok(())
    }

    fn private<S>(&mut self, _session: S, _limit: ConnectRateLimit) -> Result<(), String>
    where
        S: VenueHandler<Callbacks = EventSink>,
    {
        Err("replay takes market-data channels only".into())
    }
}

struct State {
    session: Box<dyn Replayed>,
    out: Outbox,
    /// Snapshot requests not answered yet, oldest first. Bound: one per book being synced.
    pending: VecDeque<RestRequest>,
    /// Reused between frames: the handler parses frames in place.
    buffer: Vec<u8>,
    events: Vec<Event>,
}

impl State {
    /// Moves what the last input queued out of the outbox: REST requests to `pending`,
    /// frames to the returned list.
    fn take_outbox(&mut self) -> Vec<String> {
        self.pending.extend(self.out.drain_rest());
        let frames = self
            .out
            .drain_frames()
            .map(|frame| match frame {
                OutFrame::Text(bytes) | OutFrame::Binary(bytes) => {
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            })
            .collect();
        self.out.clear();
        frames
    }

    /// Hands the events collected so far to `callback`, one `Event` each; how many.
    fn deliver(&mut self, callback: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.session.take_events(&mut self.events);
        let py = callback.py();
        let mut delivered = 0;
        for event in self.events.drain(..) {
            callback.call1((Bound::new(py, PyEvent::native(event))?,))?;
            delivered += 1;
        }
        Ok(delivered)
    }
}

/// A venue's market-data handler fed by the caller: `Replay(venue, symbols, channels,
/// callback, depth=None, levels=None)`. `callback(event)` gets every event as an
/// `exchange_ws.Event`.
#[pyclass(module = "exchange_ws._native")]
pub(crate) struct Replay {
    venue: Venue,
    callback: Py<PyAny>,
    // The handler is not Sync; the lock is uncontended (one call at a time holds the GIL).
    state: Mutex<State>,
}

#[pymethods]
impl Replay {
    #[new]
    #[pyo3(signature = (venue, symbols, channels, callback, depth=None, levels=None))]
    fn new(
        venue: &str,
        symbols: Vec<String>,
        channels: Vec<String>,
        callback: Py<PyAny>,
        depth: Option<u32>,
        levels: Option<usize>,
    ) -> PyResult<Self> {
        let venue = parse_venue(venue).map_err(error)?;
        let symbols = symbols
            .iter()
            .map(|s| parse_symbol(venue, s).map_err(error))
            .collect::<PyResult<Vec<_>>>()?;
        let mut channels = channels
            .iter()
            .map(|c| c.parse::<Channel>().map_err(error))
            .collect::<PyResult<Vec<_>>>()?;
        channels.sort();
        channels.dedup();
        check_channels(venue, &channels).map_err(error)?;
        check_depth(venue, depth).map_err(error)?;
        let levels = levels.unwrap_or(DEFAULT_LEVELS);
        if levels == 0 {
            return Err(error("levels must be at least 1"));
        }
        let plan = SessionPlan {
            venue,
            symbols: &symbols,
            channels: &channels,
            depth,
            levels,
            credentials: None,
            endpoints: EndpointChoice::Live,
            fast_timers: false,
        };
        let mut built = Built::default();
        build_sessions(&plan, &mut built).map_err(error)?;
        let mut shards = built.shards.into_iter();
        let (Some(session), None) = (shards.next(), shards.next()) else {
            return Err(error(
                "replay runs one connection: give as many symbols as one connection carries",
            ));
        };
        Ok(Self {
            venue,
            callback,
            state: Mutex::new(State {
                session,
                out: Outbox::new(),
                pending: VecDeque::new(),
                buffer: Vec::new(),
                events: Vec::new(),
            }),
        })
    }

    /// Opens the (imaginary) connection; returns the frames the handler sends (its
    /// subscribe requests), which the caller answers with `feed`.
    fn connect(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let mut state = busy_lock(&self.state)?;
        let state = &mut *state;
        state.session.connected(Timestamp::now(), &mut state.out);
        let frames = state.take_outbox();
        state.deliver(self.callback.bind(py))?;
        Ok(frames)
    }

    /// Feeds text frames (`str` or `bytes`), each as the driver would hand it over;
    /// returns how many events reached the callback.
    fn feed(&self, py: Python<'_>, frames: Vec<Bound<'_, PyAny>>) -> PyResult<usize> {
        let callback = self.callback.bind(py);
        let mut state = busy_lock(&self.state)?;
        let state = &mut *state;
        let mut delivered = 0usize;
        for frame in &frames {
            state.buffer.clear();
            if let Ok(text) = frame.cast::<PyString>() {
                // Under the stable ABI (3.9) a str lends no UTF-8 view; encoding to a
                // bytes object and copying once is the shortest way into the buffer.
                state
                    .buffer
                    .extend_from_slice(text.encode_utf8()?.as_bytes());
            } else if let Ok(bytes) = frame.cast::<PyBytes>() {
                state.buffer.extend_from_slice(bytes.as_bytes());
            } else {
                return Err(error("a frame is str or bytes"));
            }
            state.session.frame(
                InboundFrame {
                    kind: FrameKind::Text,
                    payload: &mut state.buffer,
                    received_at: Timestamp::now(),
                },
                &mut state.out,
            );
            state.take_outbox();
            delivered += state.deliver(callback)?;
        }
        Ok(delivered)
    }

    /// The URLs of the REST requests (book snapshots) not answered yet, oldest first.
    fn rest_requests(&self) -> PyResult<Vec<String>> {
        Ok(busy_lock(&self.state)?
            .pending
            .iter()
            .map(|r| r.url.clone())
            .collect())
    }

    /// Answers the oldest REST request with `body` and HTTP `status`; returns how many
    /// events reached the callback.
    #[pyo3(signature = (body, status=200))]
    fn answer_rest(&self, py: Python<'_>, body: String, status: u16) -> PyResult<usize> {
        let mut state = busy_lock(&self.state)?;
        let state = &mut *state;
        let request = state
            .pending
            .pop_front()
            .ok_or_else(|| error("no REST request is waiting for an answer"))?;
        let response = RestResponse {
            id: request.id,
            result: Ok(RestReply {
                status,
                retry_after: None,
                body: body.into_bytes().into(),
            }),
        };
        state
            .session
            .rest(response, Timestamp::now(), &mut state.out);
        state.take_outbox();
        state.deliver(self.callback.bind(py))
    }

    /// The local book of `symbol` as the JSON line of a `book` event (as `Client.book`).
    fn book(&self, symbol: &str) -> PyResult<String> {
        let symbol = parse_symbol(self.venue, symbol).map_err(error)?;
        let line = busy_lock(&self.state)?
            .session
            .book(symbol)
            .ok_or_else(|| error(format!("no book is kept for {symbol}")))?;
        serde_json::to_string(&Event {
            venue: self.venue,
            receive_ts_ns: 0,
            body: EventBody::Book(line),
        })
        .map_err(error)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain data behind the lock: a Python exception mid-feed leaves it usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The replay's state; an error instead of a deadlock when a callback calls back in.
fn busy_lock(m: &Mutex<State>) -> PyResult<std::sync::MutexGuard<'_, State>> {
    match m.try_lock() {
        Ok(guard) => Ok(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => Err(error(
            "the replay is busy: a callback cannot feed the replay that called it",
        )),
    }
}
