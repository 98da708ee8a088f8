//! [`Tap`]: the one session wrapper every venue handler runs inside, live and in replay.
//!
//! Live, the driver calls the `Tap`, which (1) appends the input to the recording when
//! recording, (2) stamps the receive time on the events the call will produce, (3) calls
//! the venue handler, and (4) hands the handler's events to the printer and the NATS
//! publisher without ever waiting (bounded queues; a full queue drops and counts). In
//! replay the replay engine calls the same `Tap` methods with the recorded inputs, and the
//! events are collected instead, so both paths run exactly the same code.

use std::fs::File;
use std::io::BufWriter;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::mpsc;
use ws_core::{
    ConnectionContext, DisconnectCause, InboundFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, Session, StreamKind, Timestamp, redact_query,
};
pub use ws_handlers::BookSyncSummary;

pub use exchange_ws::sessions::SinkHandler;

use crate::event::{BookLine, Event};
use crate::output::Out;
use crate::record::{InputRef, RecordRef, RecordWriter};

/// State shared by every session of one run: the recording and the freeze switch.
#[derive(Debug)]
pub struct RunControl {
    base: Instant,
    frozen: AtomicBool,
    /// [`TEST_FAULT_VARIABLE`] asked sessions to panic on their first frame.
    panic_in_session: bool,
    recorder: Option<Mutex<Recorder>>,
    delivery: DeliveryCounters,
}

/// The open recording.
#[derive(Debug)]
pub struct Recorder {
    writer: RecordWriter<BufWriter<File>>,
    error: Option<String>,
}

/// Counts of events that could not be handed on.
#[derive(Debug, Default)]
pub struct DeliveryCounters {
    /// Events given to the printer.
    pub printed: AtomicU64,
    /// Events dropped because the printer queue was full.
    pub printer_dropped: AtomicU64,
    /// Events given to the NATS publisher.
    pub published: AtomicU64,
    /// Events dropped because the NATS queue was full.
    pub nats_dropped: AtomicU64,
}

impl RunControl {
    /// A run without a recording.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            frozen: AtomicBool::new(false),
            panic_in_session: panic_in_session_requested(),
            recorder: None,
            delivery: DeliveryCounters::default(),
        })
    }

    /// A run that records into `writer`.
    pub fn recording(writer: RecordWriter<BufWriter<File>>) -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            frozen: AtomicBool::new(false),
            panic_in_session: panic_in_session_requested(),
            recorder: Some(Mutex::new(Recorder {
                writer,
                error: None,
            })),
            delivery: DeliveryCounters::default(),
        })
    }

    /// From now on the sessions ignore their inputs, so their books stay as they are (and
    /// as the recording ends) while the run reads them and closes.
    pub fn freeze(&self) {
        let guard = self.recorder.as_ref().map(lock);
        self.frozen.store(true, Ordering::SeqCst);
        drop(guard);
    }

    /// Whether [`Self::freeze`] was called.
    pub fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::SeqCst)
    }

    /// Flushes the recording; returns records and bytes written, or the first write error.
    pub fn finish_recording(&self) -> Option<Result<(u64, u64), String>> {
        let mut recorder = lock(self.recorder.as_ref()?);
        if let Some(error) = recorder.error.clone() {
            return Some(Err(error));
        }
        Some(match recorder.writer.flush() {
            Ok(()) => Ok((recorder.writer.records(), recorder.writer.bytes())),
            Err(e) => Err(e.to_string()),
        })
    }

    /// The first recording write error, if any.
    pub fn recording_error(&self) -> Option<String> {
        self.recorder.as_ref().and_then(|r| lock(r).error.clone())
    }

    /// Delivery counters.
    pub fn delivery(&self) -> &DeliveryCounters {
        &self.delivery
    }
}

/// A test-only fault: with `WSX_TEST_FAULT=panic-in-session` in the environment, every
/// session panics on the first frame it takes, so end-to-end tests can watch how a panic in
/// a connection task ends the run. Only the process environment sets it; nothing a venue
/// sends can.
pub const TEST_FAULT_VARIABLE: &str = "WSX_TEST_FAULT";

fn panic_in_session_requested() -> bool {
    std::env::var(TEST_FAULT_VARIABLE).is_ok_and(|v| v == "panic-in-session")
}

/// Where a session's events go.
#[derive(Debug)]
pub enum Delivery {
    /// Live: bounded queues, never waited on.
    Live {
        /// The printer (jsonl or table).
        printer: mpsc::Sender<Out>,
        /// The NATS publisher, with `--publish`.
        nats: Option<mpsc::Sender<Out>>,
    },
    /// Replay: kept until the engine takes them.
    Collect(Vec<Event>),
}

/// A venue session with recording, receive stamps and event delivery around it.
#[derive(Debug)]
pub struct Tap<S: SinkHandler> {
    inner: S,
    shard: u16,
    conn: u32,
    control: Arc<RunControl>,
    delivery: Delivery,
    /// URLs of REST requests in flight, to label their answers in the recording.
    requests: Vec<(ws_core::RestRequestId, String)>,
    last_failure: Mutex<Option<String>>,
    connected: bool,
}

impl<S: SinkHandler> Tap<S> {
    /// Wraps `inner`, which is shard `shard` of the run.
    pub fn new(inner: S, shard: u16, control: Arc<RunControl>, delivery: Delivery) -> Self {
        Self {
            inner,
            shard,
            conn: 0,
            control,
            delivery,
            requests: Vec::new(),
            last_failure: Mutex::new(None),
            connected: false,
        }
    }

    /// The venue handler.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The last reason a connection attempt failed or a socket ended.
    pub fn last_failure(&self) -> Option<String> {
        lock(&self.last_failure).clone()
    }

    /// Whether a socket has ever opened.
    pub fn ever_connected(&self) -> bool {
        self.connected
    }

    /// Events collected in replay.
    pub fn take_collected(&mut self) -> Vec<Event> {
        match &mut self.delivery {
            Delivery::Collect(events) => std::mem::take(events),
            Delivery::Live { .. } => Vec::new(),
        }
    }

    /// The full books, best level first.
    pub fn books(&self) -> Vec<BookLine> {
        let mut symbols = self.inner.book_symbols();
        symbols.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        symbols
            .into_iter()
            .filter_map(|symbol| {
                self.inner
                    .book(symbol)
                    .map(|(book, status)| BookLine::from_book(book, status))
            })
            .collect()
    }

    /// Runs one input: records it, stamps its time, calls the handler, delivers events.
    /// Returns `None` when the run is frozen (the input is ignored).
    fn step<R>(
        &mut self,
        now: Timestamp,
        input: InputRef<'_>,
        out: &mut Outbox,
        call: impl FnOnce(&mut S, &mut Outbox) -> R,
    ) -> Option<R> {
        let control = self.control.clone();
        let recorder = begin(&control, self.shard, self.conn, now, input)?;
        let before = out.rest_requests().len();
        self.inner.sink_mut().set_receive_ts(now.unix_nanos);
        let result = call(&mut self.inner, out);
        self.finish(out, before, recorder);
        Some(result)
    }

    /// Notes the URLs of new REST requests (for the recording) and hands the events on.
    /// The recording lock is held until then, so that events of different shards come
    /// out in the order their inputs were recorded.
    fn finish(&mut self, out: &Outbox, before: usize, recorder: Option<MutexGuard<'_, Recorder>>) {
        if recorder.is_some() {
            for request in out.rest_requests().iter().skip(before) {
                self.requests.push((request.id, redact_query(&request.url)));
            }
        }
        self.deliver();
        drop(recorder);
    }

    fn deliver(&mut self) {
        let Self {
            inner,
            delivery,
            control,
            ..
        } = self;
        match delivery {
            Delivery::Collect(events) => events.extend(inner.sink_mut().drain()),
            Delivery::Live { printer, nats } => {
                let counters = &control.delivery;
                for event in inner.sink_mut().drain() {
                    let event = Arc::new(event);
                    if let Some(nats) = nats {
                        match nats.try_send(Out::Event(event.clone())) {
                            Ok(()) => counters.published.fetch_add(1, Ordering::Relaxed),
                            Err(_) => counters.nats_dropped.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                    match printer.try_send(Out::Event(event)) {
                        Ok(()) => counters.printed.fetch_add(1, Ordering::Relaxed),
                        Err(_) => counters.printer_dropped.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }
        }
    }

    fn rest_url(&mut self, id: ws_core::RestRequestId) -> String {
        match self.requests.iter().position(|(r, _)| *r == id) {
            Some(i) => self.requests.swap_remove(i).1,
            None => String::new(),
        }
    }
}

impl<S: SinkHandler> Session for Tap<S> {
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
        self.step(now, InputRef::ReadyToConnect, out, |s, out| {
            s.ready_to_connect(now, out)
        })
        .unwrap_or(true)
    }

    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if self.control.is_frozen() {
            return;
        }
        self.conn += 1;
        self.connected = true;
        self.step(now, InputRef::Connected, out, |s, out| {
            s.on_connected(now, out)
        });
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        if self.control.panic_in_session {
            panic!("{TEST_FAULT_VARIABLE}=panic-in-session: a panic injected for a test");
        }
        let now = frame.received_at;
        let control = self.control.clone();
        // The payload is copied into the recording before the handler may parse it in place.
        let input = InputRef::Frame {
            kind: frame.kind,
            payload: &*frame.payload,
        };
        let Some(recorder) = begin(&control, self.shard, self.conn, now, input) else {
            return;
        };
        let before = out.rest_requests().len();
        self.inner.sink_mut().set_receive_ts(now.unix_nanos);
        self.inner.on_frame(frame, out);
        self.finish(out, before, recorder);
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.step(now, InputRef::Tick, out, |s, out| s.on_tick(now, out));
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        self.step(now, InputRef::AppPing, out, |s, out| {
            s.on_app_ping(now, out)
        });
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let url = if self.control.recorder.is_some() {
            self.rest_url(response.id)
        } else {
            String::new()
        };
        // A clone is cheap (the body is reference-counted) and lets the record borrow it.
        let owned = response.clone();
        let input = InputRef::Rest {
            url: &url,
            response: &response,
        };
        self.step(now, input, out, move |s, out| {
            s.on_rest_response(owned, now, out)
        });
    }

    fn on_command(&mut self, command: S::Command, now: Timestamp, out: &mut Outbox) {
        // wsx sends no commands; a future one would need a record tag of its own.
        if !self.control.is_frozen() {
            self.inner.on_command(command, now, out);
            self.deliver();
        }
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause, now: Timestamp) {
        *lock(&self.last_failure) = Some(cause.to_string());
        let mut out = Outbox::new();
        self.step(now, InputRef::Disconnected(cause), &mut out, |s, _| {
            s.on_disconnected(cause, now)
        });
    }

    fn on_close(&mut self, now: Timestamp, out: &mut Outbox) {
        // Runs even when frozen: a private handler deletes its listen key here. Its events
        // are not delivered (the books were already printed).
        self.inner.on_close(now, out);
        let _ = self.inner.sink_mut().drain();
    }
}

/// Records `input` (when recording) and reports whether the run still takes inputs. The
/// returned guard keeps the recording locked until the input's events are delivered.
fn begin<'c>(
    control: &'c RunControl,
    shard: u16,
    conn: u32,
    now: Timestamp,
    input: InputRef<'_>,
) -> Option<Option<MutexGuard<'c, Recorder>>> {
    let mut recorder = control.recorder.as_ref().map(lock);
    if control.is_frozen() {
        return None;
    }
    if let Some(recorder) = recorder.as_deref_mut()
        && recorder.error.is_none()
    {
        let record = RecordRef {
            shard,
            conn,
            mono: now.monotonic.saturating_duration_since(control.base),
            unix_ns: now.unix_nanos,
            input,
        };
        if let Err(e) = recorder.writer.write(&record) {
            recorder.error = Some(e.to_string());
        }
    }
    Some(recorder)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep going.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
