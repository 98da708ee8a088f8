//! [`RunTap`]: what `wsx` does around every venue handler, live and in replay, as the
//! client library's [`SessionTap`] (the library's [`TappedSession`] runs the handler).
//!
//! Live, the driver calls the session, whose tap (1) appends the input to the recording
//! when recording, then, after the library stamped the receive time and called the venue
//! handler, (2) hands the handler's events to the printer and the NATS publisher without
//! ever waiting (bounded queues; a full queue drops and counts). In replay the replay
//! engine calls the same session methods with the recorded inputs, and the events are
//! collected instead, so both paths run exactly the same code.

use std::fs::File;
use std::io::BufWriter;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use exchange_ws::tap::{SessionInput, SessionTap, TappedSession};
use tokio::sync::mpsc;
use ws_core::Timestamp;
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
/// sends can, and release builds ignore it.
pub const TEST_FAULT_VARIABLE: &str = "WSX_TEST_FAULT";

fn panic_in_session_requested() -> bool {
    cfg!(debug_assertions)
        && std::env::var(TEST_FAULT_VARIABLE).is_ok_and(|v| v == "panic-in-session")
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
    Collect(Mutex<Vec<Event>>),
}

impl Delivery {
    /// Replay's: collected.
    pub fn collect() -> Self {
        Delivery::Collect(Mutex::new(Vec::new()))
    }
}

/// A venue session as `wsx` runs it: the library's session wrapper with [`RunTap`].
pub type Tap<S> = TappedSession<S, RunTap>;

/// Wraps `inner`, which is shard `shard` of the run.
pub fn tap<S: SinkHandler>(
    inner: S,
    shard: u16,
    control: Arc<RunControl>,
    delivery: Delivery,
) -> Tap<S> {
    TappedSession::new(
        inner,
        RunTap {
            shard,
            control,
            delivery,
        },
    )
}

/// Recording, freezing and delivery for one session of a run.
#[derive(Debug)]
pub struct RunTap {
    shard: u16,
    control: Arc<RunControl>,
    delivery: Delivery,
}

impl RunTap {
    /// Events collected in replay.
    pub fn take_collected(&self) -> Vec<Event> {
        match &self.delivery {
            Delivery::Collect(events) => std::mem::take(&mut *lock(events)),
            Delivery::Live { .. } => Vec::new(),
        }
    }
}

impl SessionTap for RunTap {
    /// The recording, locked until the input's events are delivered, so that events of
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
            SessionInput::Command => return (!control.is_frozen()).then_some(None),
            // Runs even when frozen (a private handler deletes its listen key); its events
            // are not delivered (the books were already printed). Anything else the
            // library may add is not recorded either.
            _ => return None,
        };
        begin(control, self.shard, conn, now, input)
    }

    fn deliver(&self, recorder: Self::Scope<'_>, events: impl Iterator<Item = Event>) {
        match &self.delivery {
            Delivery::Collect(collected) => lock(collected).extend(events),
            Delivery::Live { printer, nats } => {
                let counters = &self.control.delivery;
                for event in events {
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
        drop(recorder);
    }

    fn wants_rest_urls(&self) -> bool {
        self.control.recorder.is_some()
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
