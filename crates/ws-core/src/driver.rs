//! The connection task: lifecycle, reconnection, heartbeat, rotation and the reader/writer
//! tasks of each socket.
//!
//! Task layout per [`Connection`]:
//! - the *supervisor* owns the lifecycle and is the only one that `select!`s; every arm it
//!   races is cancel-safe (channel receives, timers, join handles);
//! - per socket, a *reader* that loops on `read_frame` and never races it against anything
//!   that could resume reading afterwards (fastwebsockets' `read_frame` is not cancel-safe;
//!   the reader is only ever aborted when its socket is being thrown away), and a *writer*
//!   that owns the write half;
//! - in queued mode, one *processor* that feeds the session from the bounded queue.
//!
//! The session, counters and latency histogram live in one `std::sync::Mutex` that is
//! never held across an `.await`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use fastwebsockets::{Frame, OpCode, Payload, WebSocketError, WebSocketRead, WebSocketWrite};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::config::{DriverConfig, Processing};
use crate::error::WsError;
use crate::queue::{FrameQueue, QueuedFrame};
use crate::transport::{WsStream, connect_websocket, tls_config};
use ws_session::ConnectionContext;
use ws_session::ConnectionState;
use ws_session::DisconnectCause;
use ws_session::PushOutcome;
use ws_session::QueueConfig;
use ws_session::{Backoff, FailureKind, JitterSource, ReconnectDecision};
use ws_session::{ConnectionCounters, ConnectionStats, LatencyHistogram};
use ws_session::{
    FrameKind, InboundFrame, OutFrame, Outbox, RestFailure, RestRequest, RestResponse, Session,
    SessionSignal, StreamKind, Timestamp,
};

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
        let (events_tx, events_rx) = mpsc::channel(EVENT_CAPACITY);
        let queue = match &config.processing {
            Processing::Inline => None,
            Processing::Queued(q) => Some((Arc::new(FrameQueue::new(q.capacity)), q.clone())),
        };
        let close_timeout = config.close_timeout;
        let supervisor = Supervisor {
            shared: shared.clone(),
            commands: command_rx,
            events_tx,
            events_rx,
            state_tx,
            on_state,
            state: ConnectionState::Disconnected,
            backoff: Backoff::new(ws_session::ReconnectionPolicy::default()),
            jitter: JitterSource::new(config.jitter_seed),
            rest_permits: Arc::new(Semaphore::new(config.rest_concurrency.max(1))),
            rest_in_flight: 0,
            queue,
            processor: None,
            tls,
            config,
            next_conn_id: 0,
            ever_connected: false,
        };
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
}

/// Output drained from the session outbox, dispatched after the lock is released.
#[derive(Default)]
struct Dispatch {
    frames: Vec<OutFrame>,
    rest: Vec<RestRequest>,
    signals: Vec<SessionSignal>,
    out: Option<mpsc::Sender<Outgoing>>,
}

impl Dispatch {
    fn take_from<S>(&mut self, core: &mut Core<S>) {
        if core.outbox.is_empty() {
            return;
        }
        self.frames.extend(core.outbox.drain_frames());
        self.rest.extend(core.outbox.drain_rest());
        self.signals.extend(core.outbox.drain_signals());
        if !self.frames.is_empty() {
            self.out = core.out.clone();
        }
    }

    fn is_empty(&self) -> bool {
        self.frames.is_empty() && self.rest.is_empty() && self.signals.is_empty()
    }

    /// Sends everything; frames go to `override_out` when given (a rotation's new socket).
    async fn flush(
        &mut self,
        conn: u64,
        events: &mpsc::Sender<Event>,
        override_out: Option<&mpsc::Sender<Outgoing>>,
    ) {
        let out = override_out.cloned().or_else(|| self.out.take());
        for frame in self.frames.drain(..) {
            match &out {
                Some(out) => {
                    if out.send(Outgoing::Data(frame)).await.is_err() {
                        debug!("writer gone; outbound frame discarded");
                    }
                }
                None => debug!("no open socket; outbound frame discarded"),
            }
        }
        for request in self.rest.drain(..) {
            let _ = events.send(Event::Rest(request)).await;
        }
        for signal in self.signals.drain(..) {
            let _ = events.send(Event::Signal { conn, signal }).await;
        }
        self.out = None;
    }
}

/// One socket's tasks.
struct Socket {
    id: u64,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
    out: mpsc::Sender<Outgoing>,
    opened_at: Instant,
    ready: bool,
}

impl Socket {
    async fn shut(self, close_code: Option<u16>, timeout: Duration) {
        self.reader.abort();
        let _ = self.reader.await;
        if let Some(code) = close_code {
            let _ = self.out.try_send(Outgoing::Close(code));
        }
        drop(self.out);
        let writer_abort = self.writer.abort_handle();
        if tokio::time::timeout(timeout, self.writer).await.is_err() {
            writer_abort.abort();
        }
    }
}

/// A rotation in progress: the new socket, buffering until it delivers.
struct Rotation {
    socket: Option<(Socket, oneshot::Sender<()>)>,
    connecting: Option<JoinHandle<()>>,
}

enum LoopExit {
    Lost(DisconnectCause),
    Close,
}

struct Supervisor<S: Session> {
    shared: Arc<Shared<S>>,
    commands: mpsc::Receiver<Command<S::Command>>,
    events_tx: mpsc::Sender<Event>,
    events_rx: mpsc::Receiver<Event>,
    state_tx: watch::Sender<ConnectionState>,
    on_state: Option<StateCallback>,
    state: ConnectionState,
    backoff: Backoff,
    jitter: JitterSource,
    rest_permits: Arc<Semaphore>,
    rest_in_flight: usize,
    queue: Option<(Arc<FrameQueue>, QueueConfig)>,
    processor: Option<JoinHandle<()>>,
    tls: Arc<rustls::ClientConfig>,
    config: DriverConfig,
    next_conn_id: u64,
    ever_connected: bool,
}

impl<S: Session> Supervisor<S> {
    async fn run(mut self) {
        if let Some((queue, _)) = &self.queue {
            self.processor = Some(tokio::spawn(
                process_queue(self.shared.clone(), queue.clone(), self.events_tx.clone())
                    .in_current_span(),
            ));
        }
        let outcome = self.connect_loop().await;
        self.shutdown(outcome).await;
    }

    /// Connects, serves, and reconnects until closed or stopped. Returns the terminal state.
    async fn connect_loop(&mut self) -> ConnectionState {
        let mut pending_wait = Duration::ZERO;
        loop {
            if !pending_wait.is_zero()
                && let Some(exit) = self.idle_wait(pending_wait).await
            {
                return exit;
            }
            self.set_state(if self.ever_connected {
                ConnectionState::Reconnecting
            } else {
                ConnectionState::Connecting
            });
            let policy = self.shared.lock().session.reconnection_policy();
            self.backoff.set_policy(policy);
            let mut wait = self.backoff.rate_limit_wait(Instant::now());
            if wait.is_zero()
                && let Some(shared) = &self.config.shared_connect_limit
            {
                wait = shared.wait(Instant::now());
            }
            if !wait.is_zero() {
                debug!(?wait, "connect-rate limit");
                pending_wait = wait;
                continue;
            }
            if let Some(exit) = self.wait_until_session_ready().await {
                return exit;
            }
            let ctx = self.shared.lock().session.connection_context();
            self.shared.lock().counters.connect_attempts += 1;
            info!(url = %ws_session::redact_query(&ctx.url), "connecting");
            let tls = self.tls.clone();
            let attempt = connect_websocket(
                &ctx.url,
                &ctx.headers,
                &tls,
                self.config.connect_timeout,
                self.config.max_message_size,
            );
            tokio::pin!(attempt);
            // The attempt is raced only against commands, so a close() is not held up by
            // a slow handshake; dropping a half-done handshake is harmless.
            let result = loop {
                tokio::select! {
                    result = &mut attempt => break Some(result),
                    command = self.commands.recv() => {
                        if self.handle_command_offline(command) {
                            break None;
                        }
                    }
                }
            };
            let Some(result) = result else {
                return self.close_offline().await;
            };
            let cause = match result {
                Ok(ws) => match self.serve(ws, &ctx).await {
                    LoopExit::Close => return ConnectionState::Closed,
                    LoopExit::Lost(cause) => cause,
                },
                Err(cause) => {
                    let mut core = self.shared.lock();
                    core.counters.errors += 1;
                    core.counters.disconnects_by_cause[cause.kind().index()] += 1;
                    cause
                }
            };
            match self.decide(&cause) {
                Some(delay) => {
                    warn!(%cause, ?delay, "connection lost; reconnecting");
                    pending_wait = delay;
                }
                None => {
                    warn!(%cause, "connection lost; not reconnecting");
                    return ConnectionState::Error;
                }
            }
        }
    }

    fn decide(&mut self, cause: &DisconnectCause) -> Option<Duration> {
        let decision = self.shared.lock().session.classify_disconnect(cause);
        let kind = if cause.is_no_status() {
            FailureKind::NoStatus
        } else {
            FailureKind::Other
        };
        if matches!(cause, DisconnectCause::UserRequested) && decision != ReconnectDecision::Stop {
            return Some(Duration::ZERO);
        }
        self.backoff
            .on_failure(decision, kind, self.jitter.sample())
    }

    /// Sleeps for a backoff delay while still answering commands and REST results.
    /// Returns a terminal state if closed meanwhile.
    async fn idle_wait(&mut self, delay: Duration) -> Option<ConnectionState> {
        let deadline = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return None,
                command = self.commands.recv() => {
                    if self.handle_command_offline(command) {
                        return Some(self.close_offline().await);
                    }
                }
                Some(event) = self.events_rx.recv() => {
                    if let Some(terminal) = self.handle_event_offline(event).await {
                        return Some(terminal);
                    }
                }
            }
        }
    }

    /// Lets a session do REST work (a listen key) before it can connect.
    async fn wait_until_session_ready(&mut self) -> Option<ConnectionState> {
        let deadline = tokio::time::Instant::now() + self.config.rest_timeout * 3;
        loop {
            let mut dispatch = Dispatch::default();
            let ready = {
                let mut core = self.shared.lock();
                let core = &mut *core;
                let ready = core
                    .session
                    .ready_to_connect(Timestamp::now(), &mut core.outbox);
                dispatch.take_from(core);
                ready
            };
            dispatch.frames.clear();
            for request in dispatch.rest.drain(..) {
                self.start_rest(request);
            }
            if ready {
                return None;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    warn!("session not ready to connect in time; trying anyway");
                    return None;
                }
                command = self.commands.recv() => {
                    if self.handle_command_offline(command) {
                        return Some(self.close_offline().await);
                    }
                }
                Some(event) = self.events_rx.recv() => {
                    if let Some(terminal) = self.handle_event_offline(event).await {
                        return Some(terminal);
                    }
                }
            }
        }
    }

    fn handle_command_offline(&mut self, command: Option<Command<S::Command>>) -> bool {
        match command {
            None | Some(Command::Close) => true,
            Some(Command::Send(_, reply)) => {
                let _ = reply.send(Err(WsError::NotConnected));
                false
            }
            Some(Command::Reconnect) => false,
            Some(Command::User(command)) => {
                let requests: Vec<_> = {
                    let mut guard = self.shared.lock();
                    let core = &mut *guard;
                    core.session
                        .on_command(command, Timestamp::now(), &mut core.outbox);
                    // No socket: frames are dropped (the session resends on connect); REST
                    // requests still run.
                    let requests = core.outbox.drain_rest().collect();
                    core.outbox.clear();
                    requests
                };
                for request in requests {
                    self.start_rest(request);
                }
                false
            }
        }
    }

    /// Events while no socket is open. A fatal signal raised from a REST answer (credentials
    /// rejected while creating a listen key, say) ends the connection in `ERROR`.
    async fn handle_event_offline(&mut self, event: Event) -> Option<ConnectionState> {
        match event {
            Event::Rest(request) => self.start_rest(request),
            Event::RestDone(response) => self.deliver_rest(response, None).await,
            Event::Signal { signal, .. } => {
                let cause = match signal {
                    SessionSignal::AuthenticationFailed(reason) => {
                        DisconnectCause::AuthenticationFailed(reason)
                    }
                    SessionSignal::Fatal(reason) => DisconnectCause::Fatal(reason),
                    SessionSignal::Ready | SessionSignal::Reconnect(_) => return None,
                };
                warn!(%cause, "session stopped before connecting");
                let mut core = self.shared.lock();
                core.counters.disconnects_by_cause[cause.kind().index()] += 1;
                core.session.on_disconnected(&cause, Timestamp::now());
                return Some(ConnectionState::Error);
            }
            _ => {}
        }
        None
    }

    /// `close()` while no socket is open: the session still gets `on_close` (its frames
    /// have nowhere to go, its REST clean-up such as deleting a listen key still runs).
    async fn close_offline(&mut self) -> ConnectionState {
        self.set_state(ConnectionState::Closing);
        let requests: Vec<_> = {
            let mut guard = self.shared.lock();
            let core = &mut *guard;
            core.session.on_close(Timestamp::now(), &mut core.outbox);
            let requests = core.outbox.drain_rest().collect();
            core.outbox.clear();
            requests
        };
        for request in requests {
            self.start_rest(request);
        }
        self.drain_rest_for_close().await;
        ConnectionState::Closed
    }

    /// Runs one connected socket until it is lost or the user closes.
    async fn serve(&mut self, ws: WsStream, ctx: &ConnectionContext) -> LoopExit {
        let mut socket = self.open_socket(ws, None);
        self.ever_connected = true;
        {
            let mut core = self.shared.lock();
            core.counters.connects += 1;
            if core.counters.connects > 1 {
                core.counters.reconnects += 1;
            }
            core.last_inbound = Instant::now();
            core.out = Some(socket.out.clone());
        }
        self.set_state(ConnectionState::Connected);
        self.run_session_call(socket.id, None, |session, now, out| {
            session.on_connected(now, out)
        })
        .await;

        let tick = ctx.tick_interval.max(Duration::from_millis(10));
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut app_ping = ctx.ping.app_ping_interval.map(interval_after);
        let mut protocol_ping = ctx.ping.protocol_ping_interval.map(interval_after);
        let mut rotation: Option<Rotation> = None;
        let mut next_rotation_at = ctx.max_lifetime.map(|l| socket.opened_at + l);

        let exit = loop {
            tokio::select! {
                event = self.events_rx.recv() => {
                    let Some(event) = event else { break LoopExit::Close };
                    match event {
                        Event::ReaderEnded { conn, cause } | Event::WriterEnded { conn, cause } => {
                            if conn == socket.id {
                                break LoopExit::Lost(cause);
                            }
                            if let Some(r) = rotation.take() {
                                debug!(%cause, "rotation socket failed; keeping the current one");
                                abandon_rotation(r, self.config.close_timeout).await;
                                next_rotation_at = Some(Instant::now() + ROTATION_RETRY);
                            }
                        }
                        Event::Signal { conn, signal } => {
                            if let Some(exit) = self.handle_signal(conn, signal, &mut socket) {
                                break exit;
                            }
                        }
                        Event::Rest(request) => self.start_rest(request),
                        Event::RestDone(response) => self.deliver_rest(response, None).await,
                        Event::RotationOpened { conn, result } => {
                            match result {
                                Ok(ws) => {
                                    let (go_tx, go_rx) = oneshot::channel();
                                    let new_socket = self.open_socket_with_id(conn, ws, Some(go_rx));
                                    let new_out = new_socket.out.clone();
                                    if let Some(r) = rotation.as_mut() {
                                        r.socket = Some((new_socket, go_tx));
                                        r.connecting = None;
                                    }
                                    self.run_session_call(conn, Some(&new_out), |session, now, out| {
                                        session.on_connected(now, out)
                                    })
                                    .await;
                                }
                                Err(cause) => {
                                    debug!(%cause, "rotation connect failed");
                                    rotation = None;
                                    next_rotation_at = Some(Instant::now() + ROTATION_RETRY);
                                }
                            }
                        }
                        Event::RotationDelivering { conn } => {
                            let Some(mut r) = rotation.take() else { continue };
                            let Some((new_socket, go)) = r.socket.take() else { continue };
                            if new_socket.id != conn {
                                continue;
                            }
                            let old = std::mem::replace(&mut socket, new_socket);
                            let Socket { reader: old_reader, writer: old_writer, out: old_out, .. } = old;
                            old_reader.abort();
                            let _ = old_reader.await;
                            {
                                let mut core = self.shared.lock();
                                core.out = Some(socket.out.clone());
                                core.counters.rotations += 1;
                            }
                            let _ = go.send(());
                            let _ = old_out.try_send(Outgoing::Close(1000));
                            drop(old_out);
                            spawn_reap(old_writer, self.config.close_timeout);
                            info!(conn = socket.id, "rotation complete");
                            next_rotation_at = ctx.max_lifetime.map(|l| socket.opened_at + l);
                        }
                    }
                }
                command = self.commands.recv() => {
                    match command {
                        None | Some(Command::Close) => break LoopExit::Close,
                        Some(Command::Reconnect) => break LoopExit::Lost(DisconnectCause::UserRequested),
                        Some(Command::Send(frame, reply)) => {
                            let result = socket
                                .out
                                .send(Outgoing::Data(frame))
                                .await
                                .map_err(|_| WsError::NotConnected);
                            let _ = reply.send(result);
                        }
                        Some(Command::User(command)) => {
                            self.run_session_call(socket.id, None, |session, now, out| {
                                session.on_command(command, now, out)
                            })
                            .await;
                        }
                    }
                }
                _ = ticker.tick() => {
                    let now = Instant::now();
                    if let Some(idle) = ctx.ping.idle_timeout {
                        let last = self.shared.lock().last_inbound;
                        if now.saturating_duration_since(last) >= idle {
                            break LoopExit::Lost(DisconnectCause::IdleTimeout(idle));
                        }
                    }
                    if !socket.ready
                        && now.saturating_duration_since(socket.opened_at)
                            >= self.backoff.policy().stable_after
                    {
                        socket.ready = true;
                        self.backoff.reset();
                    }
                    if rotation.is_none() && next_rotation_at.is_some_and(|at| now >= at) {
                        rotation = Some(self.start_rotation(ctx));
                        next_rotation_at = None;
                    }
                    self.run_session_call(socket.id, None, |session, now, out| {
                        session.on_tick(now, out)
                    })
                    .await;
                }
                _ = tick_opt(&mut app_ping) => {
                    self.shared.lock().counters.app_pings += 1;
                    self.run_session_call(socket.id, None, |session, now, out| {
                        session.on_app_ping(now, out)
                    })
                    .await;
                }
                _ = tick_opt(&mut protocol_ping) => {
                    let _ = socket.out.try_send(Outgoing::Ping);
                }
            }
        };

        if let Some(r) = rotation.take() {
            abandon_rotation(r, self.config.close_timeout).await;
        }
        let close_code = match &exit {
            LoopExit::Close => Some(1000),
            LoopExit::Lost(DisconnectCause::IdleTimeout(_)) => None,
            LoopExit::Lost(_) => Some(1000),
        };
        if matches!(exit, LoopExit::Close) {
            self.set_state(ConnectionState::Closing);
            // Last words (listen-key deletion) go out before the close frame.
            self.run_session_call(socket.id, None, |session, now, out| {
                session.on_close(now, out)
            })
            .await;
            self.drain_rest_for_close().await;
        }
        self.shared.lock().out = None;
        socket.shut(close_code, self.config.close_timeout).await;
        self.drain_queue_after_loss().await;
        if let LoopExit::Lost(cause) = &exit {
            let mut core = self.shared.lock();
            core.counters.disconnects_by_cause[cause.kind().index()] += 1;
            core.session.on_disconnected(cause, Timestamp::now());
        }
        exit
    }

    fn handle_signal(
        &mut self,
        conn: u64,
        signal: SessionSignal,
        socket: &mut Socket,
    ) -> Option<LoopExit> {
        match signal {
            SessionSignal::Ready => {
                if conn == socket.id && !socket.ready {
                    socket.ready = true;
                    self.backoff.reset();
                }
                None
            }
            SessionSignal::AuthenticationFailed(reason) => Some(LoopExit::Lost(
                DisconnectCause::AuthenticationFailed(reason),
            )),
            SessionSignal::Fatal(reason) => Some(LoopExit::Lost(DisconnectCause::Fatal(reason))),
            SessionSignal::Reconnect(reason) => {
                Some(LoopExit::Lost(DisconnectCause::SessionRequested(reason)))
            }
        }
    }

    fn start_rotation(&mut self, ctx: &ConnectionContext) -> Rotation {
        self.next_conn_id += 1;
        let conn = self.next_conn_id;
        let events = self.events_tx.clone();
        let tls = self.tls.clone();
        let url = ctx.url.clone();
        let headers = ctx.headers.clone();
        let timeout = self.config.connect_timeout;
        let max = self.config.max_message_size;
        info!(conn, "lifetime reached; opening a replacement connection");
        let connecting = tokio::spawn(
            async move {
                let result = connect_websocket(&url, &headers, &tls, timeout, max).await;
                let _ = events.send(Event::RotationOpened { conn, result }).await;
            }
            .in_current_span(),
        );
        Rotation {
            socket: None,
            connecting: Some(connecting),
        }
    }

    fn open_socket(&mut self, ws: WsStream, go: Option<oneshot::Receiver<()>>) -> Socket {
        self.next_conn_id += 1;
        let id = self.next_conn_id;
        self.open_socket_with_id(id, ws, go)
    }

    fn open_socket_with_id(
        &mut self,
        id: u64,
        ws: WsStream,
        go: Option<oneshot::Receiver<()>>,
    ) -> Socket {
        let (mut reader, writer) = ws.split(tokio::io::split);
        reader.set_max_message_size(self.config.max_message_size);
        let (out_tx, out_rx) = mpsc::channel(self.config.outbound_capacity);
        let writer = tokio::spawn(
            write_loop(
                writer,
                out_rx,
                self.shared.clone(),
                self.events_tx.clone(),
                id,
            )
            .in_current_span(),
        );
        let link = ReaderLink {
            conn: id,
            shared: self.shared.clone(),
            out: out_tx.clone(),
            events: self.events_tx.clone(),
            max_message_size: self.config.max_message_size,
            queue: self.queue.clone(),
            go,
            rotation_buffer: self.config.rotation_buffer,
        };
        let reader = tokio::spawn(read_loop(reader, link).instrument(info_span!("conn", id)));
        Socket {
            id,
            reader,
            writer,
            out: out_tx,
            opened_at: Instant::now(),
            ready: false,
        }
    }

    /// Calls the session under the lock, then dispatches what it queued.
    async fn run_session_call(
        &mut self,
        conn: u64,
        override_out: Option<&mpsc::Sender<Outgoing>>,
        call: impl FnOnce(&mut S, Timestamp, &mut Outbox),
    ) {
        let mut dispatch = Dispatch::default();
        {
            let mut core = self.shared.lock();
            let core = &mut *core;
            call(&mut core.session, Timestamp::now(), &mut core.outbox);
            dispatch.take_from(core);
        }
        if dispatch.is_empty() {
            return;
        }
        let rest: Vec<_> = dispatch.rest.drain(..).collect();
        for request in rest {
            self.start_rest(request);
        }
        dispatch.flush(conn, &self.events_tx, override_out).await;
    }

    fn start_rest(&mut self, request: RestRequest) {
        let id = request.id;
        let events = self.events_tx.clone();
        if self.rest_in_flight >= REST_BACKLOG {
            warn!(?request, "REST backlog full; request refused");
            let _ = events.try_send(Event::RestDone(RestResponse {
                id,
                result: Err(RestFailure::Overloaded),
            }));
            return;
        }
        self.rest_in_flight += 1;
        self.shared.lock().counters.rest_requests += 1;
        debug!(?request, "REST request");
        let permits = self.rest_permits.clone();
        let tls = self.tls.clone();
        let timeout = self.config.rest_timeout;
        let max_body = self.config.max_rest_body;
        tokio::spawn(
            async move {
                let response = match permits.acquire_owned().await {
                    Ok(_permit) => crate::rest::perform(request, tls, timeout, max_body).await,
                    Err(_) => RestResponse {
                        id,
                        result: Err(RestFailure::Overloaded),
                    },
                };
                let _ = events.send(Event::RestDone(response)).await;
            }
            .in_current_span(),
        );
    }

    async fn deliver_rest(
        &mut self,
        response: RestResponse,
        override_out: Option<&mpsc::Sender<Outgoing>>,
    ) {
        self.rest_in_flight = self.rest_in_flight.saturating_sub(1);
        if response.result.is_err() {
            self.shared.lock().counters.rest_failures += 1;
        }
        self.run_session_call(0, override_out, |session, now, out| {
            session.on_rest_response(response, now, out)
        })
        .await;
    }

    /// On close, give REST clean-up (listen-key deletion) a bounded moment to finish.
    async fn drain_rest_for_close(&mut self) {
        let deadline = tokio::time::Instant::now() + self.config.close_timeout / 2;
        while self.rest_in_flight > 0 {
            match tokio::time::timeout_at(deadline, self.events_rx.recv()).await {
                Ok(Some(Event::RestDone(response))) => {
                    self.rest_in_flight = self.rest_in_flight.saturating_sub(1);
                    let mut core = self.shared.lock();
                    let core = &mut *core;
                    core.session
                        .on_rest_response(response, Timestamp::now(), &mut core.outbox);
                    core.outbox.clear();
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// Frames already queued when a socket is lost are processed (bounded wait), so private
    /// updates received before the loss are not thrown away; what is left is counted.
    async fn drain_queue_after_loss(&mut self) {
        let Some((queue, _)) = &self.queue else {
            return;
        };
        let deadline = Instant::now() + QUEUE_DRAIN_WAIT;
        while !queue.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let removed = queue.clear();
        let mut core = self.shared.lock();
        for kind in StreamKind::ALL {
            core.counters.dropped_by_kind[kind.index()] += removed[kind.index()];
        }
        core.counters.queue_depth = 0;
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.state == state {
            return;
        }
        debug!(from = %self.state, to = %state, "state");
        self.state = state;
        let _ = self.state_tx.send(state);
        if let Some(callback) = self.on_state.as_mut() {
            callback(state);
        }
    }

    async fn shutdown(&mut self, terminal: ConnectionState) {
        if terminal == ConnectionState::Closed {
            self.set_state(ConnectionState::Closing);
        }
        if let Some((queue, _)) = &self.queue {
            queue.close();
        }
        if let Some(processor) = self.processor.take() {
            let abort = processor.abort_handle();
            if tokio::time::timeout(self.config.close_timeout, processor)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        // Fail every command still waiting.
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            if let Command::Send(_, reply) = command {
                let _ = reply.send(Err(WsError::Closed));
            }
        }
        self.set_state(terminal);
    }
}

async fn abandon_rotation(rotation: Rotation, timeout: Duration) {
    if let Some(connecting) = rotation.connecting {
        connecting.abort();
    }
    if let Some((socket, _go)) = rotation.socket {
        socket.shut(Some(1000), timeout).await;
    }
}

fn spawn_reap(writer: JoinHandle<()>, timeout: Duration) {
    tokio::spawn(async move {
        let abort = writer.abort_handle();
        if tokio::time::timeout(timeout, writer).await.is_err() {
            abort.abort();
        }
    });
}

fn interval_after(period: Duration) -> tokio::time::Interval {
    let period = period.max(Duration::from_millis(10));
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval
}

async fn tick_opt(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// What a reader needs.
struct ReaderLink<S: Session> {
    conn: u64,
    shared: Arc<Shared<S>>,
    out: mpsc::Sender<Outgoing>,
    events: mpsc::Sender<Event>,
    max_message_size: usize,
    queue: Option<(Arc<FrameQueue>, QueueConfig)>,
    /// Present for a rotation's new socket: buffer until told to go live.
    go: Option<oneshot::Receiver<()>>,
    rotation_buffer: usize,
}

/// The reader: reads complete messages and hands them to the session (inline) or the
/// queue. Never raced in a `select!`; only aborted when its socket is discarded.
async fn read_loop<S: Session>(mut reader: Reader, mut link: ReaderLink<S>) {
    let cause = read_loop_inner(&mut reader, &mut link).await;
    debug!(%cause, "reader ended");
    let _ = link
        .events
        .send(Event::ReaderEnded {
            conn: link.conn,
            cause,
        })
        .await;
}

async fn read_loop_inner<S: Session>(
    reader: &mut Reader,
    link: &mut ReaderLink<S>,
) -> DisconnectCause {
    let mut partial: Option<(FrameKind, BytesMut)> = None;
    let mut dispatch = Dispatch::default();
    let mut buffered: Vec<(FrameKind, BytesMut, Timestamp)> = Vec::new();
    let pong_out = link.out.clone();
    let ping_shared = link.shared.clone();
    let mut obligated = move |frame: Frame<'_>| {
        // Pong (and close echo) obligations go through the writer so writes stay ordered.
        let reply = match frame.opcode {
            OpCode::Pong => Some(Outgoing::Pong(Bytes::copy_from_slice(&frame.payload))),
            _ => None,
        };
        if let Some(reply) = reply {
            // A ping is inbound traffic too: the idle watchdog must not fire on it.
            ping_shared.lock().last_inbound = Instant::now();
            let _ = pong_out.try_send(reply);
        }
        std::future::ready(Ok::<(), std::convert::Infallible>(()))
    };
    loop {
        let frame = match reader.read_frame(&mut obligated).await {
            Ok(frame) => frame,
            Err(e) => return map_read_error(e, link.max_message_size),
        };
        let received_at = Timestamp::now();
        let (opcode, fin) = (frame.opcode, frame.fin);
        let payload = match frame.payload {
            Payload::Bytes(b) => b,
            other => BytesMut::from(&other[..]),
        };
        link.shared.lock().last_inbound = received_at.monotonic;
        let (kind, mut message) = match opcode {
            OpCode::Text | OpCode::Binary => {
                let kind = if opcode == OpCode::Text {
                    FrameKind::Text
                } else {
                    FrameKind::Binary
                };
                if !fin {
                    partial = Some((kind, payload));
                    continue;
                }
                (kind, payload)
            }
            OpCode::Continuation => {
                let Some((kind, mut acc)) = partial.take() else {
                    return DisconnectCause::Protocol("continuation without a start".into());
                };
                if acc.len() + payload.len() > link.max_message_size {
                    return DisconnectCause::MessageTooLarge {
                        limit: link.max_message_size,
                    };
                }
                acc.extend_from_slice(&payload);
                if !fin {
                    partial = Some((kind, acc));
                    continue;
                }
                (kind, acc)
            }
            OpCode::Close => return close_cause(&payload),
            OpCode::Ping | OpCode::Pong => continue,
        };
        if kind == FrameKind::Text && std::str::from_utf8(&message).is_err() {
            return DisconnectCause::Protocol("invalid UTF-8 in a text message".into());
        }

        if let Some(go) = link.go.as_mut() {
            // Rotation: hold messages until the supervisor switches over.
            let delivers = {
                let core = link.shared.lock();
                let frame = InboundFrame {
                    kind,
                    payload: &mut message,
                    received_at,
                };
                core.session.stream_kind(&frame) != StreamKind::Control
            };
            buffered.push((kind, message, received_at));
            if buffered.len() > link.rotation_buffer {
                return DisconnectCause::Fatal("rotation buffer exceeded".into());
            }
            if delivers {
                let _ = link
                    .events
                    .send(Event::RotationDelivering { conn: link.conn })
                    .await;
                if go.await.is_err() {
                    return DisconnectCause::Fatal("rotation abandoned".into());
                }
                link.go = None;
                for (kind, mut message, received_at) in buffered.drain(..) {
                    if let Some(cause) =
                        hand_over(link, kind, &mut message, received_at, &mut dispatch).await
                    {
                        return cause;
                    }
                }
            }
            continue;
        }
        if let Some(cause) = hand_over(link, kind, &mut message, received_at, &mut dispatch).await {
            return cause;
        }
    }
}

/// Inline: run the session now. Queued: push under the stream's overflow policy.
async fn hand_over<S: Session>(
    link: &ReaderLink<S>,
    kind: FrameKind,
    message: &mut BytesMut,
    received_at: Timestamp,
    dispatch: &mut Dispatch,
) -> Option<DisconnectCause> {
    match &link.queue {
        None => {
            {
                let mut core = link.shared.lock();
                deliver(&mut core, kind, message, received_at, dispatch);
            }
            if !dispatch.is_empty() {
                dispatch.flush(link.conn, &link.events, None).await;
            }
            None
        }
        Some((queue, config)) => {
            let stream = {
                let core = link.shared.lock();
                let frame = InboundFrame {
                    kind,
                    payload: message,
                    received_at,
                };
                core.session.stream_kind(&frame)
            };
            let policy = config.policy(stream);
            let item = QueuedFrame {
                kind,
                stream,
                payload: std::mem::take(message),
                received_at,
            };
            let outcome = queue.push(item, policy);
            let mut core = link.shared.lock();
            let depth = queue.len() as u64;
            core.counters.queue_depth = depth;
            core.counters.queue_high_water = core.counters.queue_high_water.max(depth);
            match outcome {
                PushOutcome::Queued => None,
                PushOutcome::QueuedDroppedOldest | PushOutcome::DroppedNewest => {
                    core.counters.dropped_by_kind[stream.index()] += 1;
                    None
                }
                PushOutcome::Overflow => {
                    core.counters.overflow_resyncs += 1;
                    warn!(
                        stream = stream.as_str(),
                        "queue overflow on a no-drop stream"
                    );
                    Some(DisconnectCause::QueueOverflow(stream))
                }
            }
        }
    }
}

/// Hands one message to the session and records counters and latency. Lock held by caller.
fn deliver<S: Session>(
    core: &mut Core<S>,
    kind: FrameKind,
    message: &mut [u8],
    received_at: Timestamp,
    dispatch: &mut Dispatch,
) {
    core.counters.messages_received += 1;
    core.counters.bytes_received += message.len() as u64;
    let frame = InboundFrame {
        kind,
        payload: message,
        received_at,
    };
    core.session.on_frame(frame, &mut core.outbox);
    let nanos = u64::try_from(received_at.monotonic.elapsed().as_nanos()).unwrap_or(u64::MAX);
    core.latency.record_nanos(nanos);
    dispatch.take_from(core);
}

/// The queued mode's consumer.
async fn process_queue<S: Session>(
    shared: Arc<Shared<S>>,
    queue: Arc<FrameQueue>,
    events: mpsc::Sender<Event>,
) {
    let mut dispatch = Dispatch::default();
    while let Some(mut item) = queue.pop().await {
        {
            let mut core = shared.lock();
            deliver(
                &mut core,
                item.kind,
                &mut item.payload,
                item.received_at,
                &mut dispatch,
            );
            core.counters.queue_depth = queue.len() as u64;
        }
        if !dispatch.is_empty() {
            dispatch.flush(0, &events, None).await;
        }
    }
}

async fn write_loop<S: Session>(
    mut writer: Writer,
    mut rx: mpsc::Receiver<Outgoing>,
    shared: Arc<Shared<S>>,
    events: mpsc::Sender<Event>,
    conn: u64,
) {
    while let Some(item) = rx.recv().await {
        let (frame, data_len, closing) = match item {
            Outgoing::Data(OutFrame::Text(b)) => (
                Frame::text(Payload::Owned(b.to_vec())),
                Some(b.len()),
                false,
            ),
            Outgoing::Data(OutFrame::Binary(b)) => (
                Frame::binary(Payload::Owned(b.to_vec())),
                Some(b.len()),
                false,
            ),
            Outgoing::Pong(b) => (Frame::pong(Payload::Owned(b.to_vec())), None, false),
            Outgoing::Ping => (
                Frame::new(true, OpCode::Ping, None, Payload::Owned(Vec::new())),
                None,
                false,
            ),
            Outgoing::Close(code) => (Frame::close(code, b""), None, true),
        };
        let is_pong = frame.opcode == OpCode::Pong;
        if let Err(e) = writer.write_frame(frame).await {
            if !closing {
                let _ = events
                    .send(Event::WriterEnded {
                        conn,
                        cause: DisconnectCause::SendFailed(e.to_string()),
                    })
                    .await;
            }
            return;
        }
        let mut core = shared.lock();
        if let Some(len) = data_len {
            core.counters.messages_sent += 1;
            core.counters.bytes_sent += len as u64;
        }
        if is_pong {
            core.counters.pongs_sent += 1;
        }
        drop(core);
        if closing {
            return;
        }
    }
}

fn close_cause(payload: &[u8]) -> DisconnectCause {
    if payload.len() < 2 {
        return DisconnectCause::ClosedByPeer {
            code: None,
            reason: String::new(),
        };
    }
    let code = u16::from_be_bytes([payload[0], payload[1]]);
    DisconnectCause::ClosedByPeer {
        code: Some(code),
        reason: String::from_utf8_lossy(&payload[2..]).into_owned(),
    }
}

fn map_read_error(e: WebSocketError, max: usize) -> DisconnectCause {
    match e {
        WebSocketError::UnexpectedEOF => DisconnectCause::ConnectionLost("unexpected EOF".into()),
        WebSocketError::IoError(io) => DisconnectCause::ConnectionLost(io.to_string()),
        WebSocketError::FrameTooLarge => DisconnectCause::MessageTooLarge { limit: max },
        WebSocketError::ConnectionClosed => {
            DisconnectCause::ConnectionLost("connection closed".into())
        }
        other => DisconnectCause::Protocol(other.to_string()),
    }
}

const EVENT_CAPACITY: usize = 1024;
const REST_BACKLOG: usize = 256;
const ROTATION_RETRY: Duration = Duration::from_secs(10);
const QUEUE_DRAIN_WAIT: Duration = Duration::from_millis(500);
