//! What `wsx` does around every venue handler, live and in replay.
//!
//! Live, the sessions run inside an [`exchange_ws::Client`] and [`RecordTap`] is the
//! client's input tap: it appends every input to the recording when recording, and keeps
//! the recording locked until the client has queued the input's events, so recording and
//! events keep one order across connections. The events then leave through the client's
//! event stream ([`crate::run`] hands them to the printer and the NATS publisher). In
//! replay, the replay engine runs the same handlers inside the library's
//! [`TappedSession`] with [`ReplayTap`] (the same [`RecordTap`], with the events collected),
//! so both paths run the same code.

use std::fs::File;
use std::io::BufWriter;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use exchange_ws::tap::{InputTap, SessionInput, SessionTap, TappedSession};
use ws_core::Timestamp;
pub use ws_handlers::BookSyncSummary;

pub use exchange_ws::sessions::SinkHandler;

use crate::event::{BookLine, Event};
use crate::record::{InputRef, RecordRef, RecordWriter};

/// State shared by every session of one run: the recording and the delivery counters.
#[derive(Debug)]
pub struct RunControl {
    base: Instant,
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
            panic_in_session: panic_in_session_requested(),
            recorder: None,
            delivery: DeliveryCounters::default(),
        })
    }

    /// A run that records into `writer`.
    pub fn recording(writer: RecordWriter<BufWriter<File>>) -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            panic_in_session: panic_in_session_requested(),
            recorder: Some(Mutex::new(Recorder {
                writer,
                error: None,
            })),
            delivery: DeliveryCounters::default(),
        })
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
/// sends can, and release builds ignore it.
pub const TEST_FAULT_VARIABLE: &str = "WSX_TEST_FAULT";

fn panic_in_session_requested() -> bool {
    cfg!(debug_assertions)
        && std::env::var(TEST_FAULT_VARIABLE).is_ok_and(|v| v == "panic-in-session")
}

/// The recording and the test fault around one session's inputs: the client's input
/// tap live, and the first half of [`ReplayTap`] in replay.
#[derive(Debug, Clone)]
pub struct RecordTap {
    shard: u16,
    control: Arc<RunControl>,
}

impl RecordTap {
    /// The tap of shard `shard` of the run (shards are numbered across the run's venues,
    /// market data before account data, as the recording header lists them).
    pub fn new(shard: u16, control: Arc<RunControl>) -> Self {
        Self { shard, control }
    }
}

impl InputTap for RecordTap {
    /// The recording, locked until the input's events are queued, so that events of
    /// different shards come out in the order their inputs were recorded.
    type Scope<'a> = Option<MutexGuard<'a, Recorder>>;

    fn begin(&self, conn: u32, now: Timestamp, input: SessionInput<'_>) -> Option<Self::Scope<'_>> {
        let control = &*self.control;
        let input = match input {
            SessionInput::Frame { kind, payload } => {
                if control.panic_in_session {
                    panic!("{TEST_FAULT_VARIABLE}=panic-in-session: a panic injected for a test");
                }
                InputRef::Frame { kind, payload }
            }
            SessionInput::Rest { url, response } => InputRef::Rest { url, response },
            SessionInput::Connected => InputRef::Connected,
            SessionInput::Disconnected(cause) => InputRef::Disconnected(cause),
            SessionInput::Tick => InputRef::Tick,
            SessionInput::AppPing => InputRef::AppPing,
            SessionInput::ReadyToConnect => InputRef::ReadyToConnect,
            // wsx sends no commands; a future one would need a record tag of its own.
            SessionInput::Command => return Some(None),
            // The handler still runs (a private handler deletes its listen key); its events
            // are not delivered (the final books are already taken). Anything else the
            // library may add is not recorded either.
            _ => return None,
        };
        Some(record(control, self.shard, conn, now, input))
    }

    fn wants_rest_urls(&self) -> bool {
        self.control.recorder.is_some()
    }
}

/// A venue session as `wsx replay` runs it: the library's session wrapper with
/// [`ReplayTap`].
pub type Tap<S> = TappedSession<S, ReplayTap>;

/// Wraps `inner`, which is shard `shard` of the recording.
pub fn tap<S: SinkHandler>(inner: S, shard: u16, control: Arc<RunControl>) -> Tap<S> {
    TappedSession::new(
        inner,
        ReplayTap {
            input: RecordTap::new(shard, control),
            collected: Mutex::new(Vec::new()),
        },
    )
}

/// [`RecordTap`] with the events collected until the replay engine takes them.
#[derive(Debug)]
pub struct ReplayTap {
    input: RecordTap,
    collected: Mutex<Vec<Event>>,
}

impl ReplayTap {
    /// Events collected since the last call.
    pub fn take_collected(&self) -> Vec<Event> {
        std::mem::take(&mut *lock(&self.collected))
    }
}

impl SessionTap for ReplayTap {
    type Scope<'a> = Option<MutexGuard<'a, Recorder>>;

    fn begin(&self, conn: u32, now: Timestamp, input: SessionInput<'_>) -> Option<Self::Scope<'_>> {
        self.input.begin(conn, now, input)
    }

    fn deliver(&self, recorder: Self::Scope<'_>, events: impl Iterator<Item = Event>) {
        lock(&self.collected).extend(events);
        drop(recorder);
    }

    fn wants_rest_urls(&self) -> bool {
        self.input.wants_rest_urls()
    }
}

/// The full books of a session, best level first, in symbol order.
pub fn books<S: SinkHandler>(inner: &S) -> Vec<BookLine> {
    let mut symbols = inner.book_symbols();
    symbols.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    symbols
        .into_iter()
        .filter_map(|symbol| {
            inner
                .book(symbol)
                .map(|(book, status)| BookLine::from_book(book, status))
        })
        .collect()
}

/// Records `input` (when recording). The returned guard keeps the recording locked until
/// the input's events are delivered.
fn record<'c>(
    control: &'c RunControl,
    shard: u16,
    conn: u32,
    now: Timestamp,
    input: InputRef<'_>,
) -> Option<MutexGuard<'c, Recorder>> {
    let mut recorder = control.recorder.as_ref().map(lock);
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
    recorder
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep going.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
