//! The tokio driver: the [`Connection`] handle and the tasks that do its IO.
//!
//! Every lifecycle decision (when to connect, back off, ping, rotate, stop) is made by the
//! sans-IO [`ws_session::ConnectionMachine`]; the tasks here only perform what it asks.
//!
//! Task layout per [`Connection`]:
//! - the *supervisor* (`supervisor.rs`) feeds the machine and performs its actions; it is the
//!   only one that `select!`s, and every arm it races is cancel-safe (channel receives,
//!   timers, join handles);
//! - per socket, a *reader* that loops on `read_frame` and never races it against anything
//!   that could resume reading afterwards (fastwebsockets' `read_frame` is not cancel-safe;
//!   the reader is only ever aborted when its socket is being thrown away), and a *writer*
//!   that owns the write half;
//! - in queued mode, one *processor* that feeds the session from the bounded queue.
//!
//! Every task runs under `unwind::catch_panic`: a panic (a handler bug) is reported to the
//! supervisor, which ends the connection in `ERROR` rather than leave it half alive.
//!
//! Sockets and their tasks are in `socket.rs`, the reader and processor in `reader.rs`, the
//! writer in `writer.rs`, REST in `rest.rs` and make-before-break rotation in `rotation.rs`.
//!
//! The session, counters and latency histogram live in one `std::sync::Mutex` that is
//! never held across an `.await`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fastwebsockets::{WebSocketRead, WebSocketWrite};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{Instrument, info_span};

use crate::config::DriverConfig;
use crate::error::WsError;
use crate::transport::{WsStream, tls_config};
use supervisor::Supervisor;
use ws_session::{
    ConnectionCounters, ConnectionState, ConnectionStats, DisconnectCause, LatencyHistogram,
    OutFrame, Outbox, RestRequest, RestResponse, Session, SessionSignal,
};

mod dispatch;
mod reader;
mod rest;
mod rotation;
mod socket;
mod supervisor;
mod unwind;
mod writer;

type Io = TokioIo<Upgraded>;
type Reader = WebSocketRead<ReadHalf<Io>>;
type Writer = WebSocketWrite<WriteHalf<Io>>;
type StateCallback = Box<dyn FnMut(ConnectionState) + Send>;

/// A running connection: the handle users hold. Dropping it closes the connection.
pub struct Connection<S: Session> {
    commands: mpsc::Sender<Command<S::Command>>,
    state: watch::Receiver<ConnectionState>,
    shared: Arc<Shared<S>>,
    task: Option<JoinHandle<()>>,
    close_timeout: Duration,
}

impl<S: Session> std::fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl<S: Session> Connection<S> {
    /// Starts the connection task on the current tokio runtime.
    pub fn spawn(session: S, config: DriverConfig) -> Result<Self, WsError> {
        Self::spawn_inner(session, config, None)
    }

    /// Like [`Connection::spawn`], and calls `on_state` on every state transition.
    pub fn spawn_with_state_callback(
        session: S,
        config: DriverConfig,
        on_state: impl FnMut(ConnectionState) + Send + 'static,
    ) -> Result<Self, WsError> {
        Self::spawn_inner(session, config, Some(Box::new(on_state)))
    }

    fn spawn_inner(
        session: S,
        config: DriverConfig,
        on_state: Option<StateCallback>,
    ) -> Result<Self, WsError> {
        let tls = tls_config(&config.tls_roots).map_err(WsError::InvalidConfig)?;
        if config.max_message_size == 0 || config.outbound_capacity == 0 {
            return Err(WsError::InvalidConfig(
                "max_message_size and outbound_capacity must be positive".into(),
            ));
        }
        let initial = session.connection_context();
        let (commands, command_rx) = mpsc::channel(config.command_capacity.max(1));
        let (state_tx, state) = watch::channel(ConnectionState::Disconnected);
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                session,
                counters: ConnectionCounters::default(),
                latency: LatencyHistogram::new(),
                outbox: Outbox::new(),
                out: None,
                last_inbound: Instant::now(),
            }),
        });
        let close_timeout = config.close_timeout;
        let supervisor =
            Supervisor::new(shared.clone(), command_rx, state_tx, on_state, tls, config);
        let span = info_span!(
            "ws",
            label = %initial.label,
            url = %ws_session::redact_query(&initial.url)
        );
        let task = tokio::spawn(supervisor.run().instrument(span));
        Ok(Self {
            commands,
            state,
            shared,
            task: Some(task),
            close_timeout,
        })
    }

    /// The current state.
    pub fn state(&self) -> ConnectionState {
        *self.state.borrow()
    }

    /// A watch handle on the state.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Waits until the state satisfies `pred`, or `timeout` passes. Returns the state seen.
    pub async fn wait_for_state(
        &self,
        timeout: Duration,
        pred: impl Fn(ConnectionState) -> bool,
    ) -> Option<ConnectionState> {
        let mut rx = self.state.clone();
        let wait = async {
            loop {
                let current = *rx.borrow_and_update();
                if pred(current) {
                    return Some(current);
                }
                if rx.changed().await.is_err() {
                    let last = *rx.borrow();
                    return pred(last).then_some(last);
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.ok().flatten()
    }

    /// Sends a message on the open socket. Fails with [`WsError::NotConnected`] when there
    /// is none (the message is not queued for later).
    pub async fn send_message(&self, frame: OutFrame) -> Result<(), WsError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Send(frame, tx))
            .await
            .map_err(|_| WsError::Closed)?;
        rx.await.map_err(|_| WsError::Closed)?
    }

    /// Delivers a command to the session.
    pub async fn command(&self, command: S::Command) -> Result<(), WsError> {
        self.commands
            .send(Command::User(command))
            .await
            .map_err(|_| WsError::Closed)
    }

    /// Delivers a command without waiting; fails when the command queue is full.
    pub fn try_command(&self, command: S::Command) -> Result<(), WsError> {
        self.commands
            .try_send(Command::User(command))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => WsError::CommandQueueFull,
                mpsc::error::TrySendError::Closed(_) => WsError::Closed,
            })
    }

    /// Drops the current socket and reconnects (a user recovery control).
    pub async fn reconnect(&self) -> Result<(), WsError> {
        self.commands
            .send(Command::Reconnect)
            .await
            .map_err(|_| WsError::Closed)
    }

    /// A snapshot of the counters and the latency histogram.
    pub fn stats(&self) -> ConnectionStats {
        let core = self.shared.lock();
        ConnectionStats {
            counters: core.counters,
            latency: core.latency.clone(),
        }
    }

    /// The counters only (cheap).
    pub fn counters(&self) -> ConnectionCounters {
        self.shared.lock().counters
    }

    /// Reads the session's state (books, subscriptions) under the session lock. Keep `f`
    /// short: the reader waits for it.
    pub fn with_session<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(&self.shared.lock().session)
    }

    /// Mutates the session under its lock (tests, and callers that own extra state there).
    pub fn with_session_mut<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut self.shared.lock().session)
    }

    /// Stops every task (supervisor, reader, writer, processor, heartbeat) and waits for them
    /// within the configured close timeout, then reports `CLOSED`.
    pub async fn close(&mut self) -> Result<(), WsError> {
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        let _ = self.commands.send(Command::Close).await;
        let abort = task.abort_handle();
        match tokio::time::timeout(self.close_timeout, task).await {
            Ok(_) => Ok(()),
            Err(_) => {
                abort.abort();
                Err(WsError::CloseTimedOut)
            }
        }
    }
}

impl<S: Session> Drop for Connection<S> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

enum Command<C> {
    User(C),
    Send(OutFrame, oneshot::Sender<Result<(), WsError>>),
    Reconnect,
    Close,
}

struct Shared<S> {
    core: Mutex<Core<S>>,
}

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, Core<S>> {
        // Sessions are called under this lock; if one panicked, its state may be odd but
        // the counters are still worth reading, so poisoning is ignored.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Core<S> {
    session: S,
    counters: ConnectionCounters,
    latency: LatencyHistogram,
    outbox: Outbox,
    /// The live connection's writer; frames a session queues go here.
    out: Option<mpsc::Sender<Outgoing>>,
    last_inbound: Instant,
}

/// What a writer task writes.
#[derive(Debug)]
enum Outgoing {
    Data(OutFrame),
    Pong(Bytes),
    Ping,
    Close(u16),
}

/// What connection tasks tell the supervisor.
enum Event {
    ReaderEnded {
        conn: u64,
        cause: DisconnectCause,
    },
    WriterEnded {
        conn: u64,
        cause: DisconnectCause,
    },
    Signal {
        conn: u64,
        signal: SessionSignal,
    },
    Rest(RestRequest),
    RestDone(RestResponse),
    RotationOpened {
        conn: u64,
        result: Result<WsStream, DisconnectCause>,
    },
    RotationDelivering {
        conn: u64,
    },
    /// A connection task panicked (a handler bug): the connection ends in `ERROR`.
    TaskPanicked {
        task: &'static str,
        message: String,
    },
}

const EVENT_CAPACITY: usize = 1024;
