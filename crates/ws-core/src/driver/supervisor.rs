//! The supervisor task: feeds the [`ConnectionMachine`] with what happens (timers, socket
//! events, session signals, user commands) and performs the actions it returns. Every
//! lifecycle decision is the machine's; this file only does IO and calls the session.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{Instrument, debug, error, info, warn};

use super::dispatch::Dispatch;
use super::reader::process_queue;
use super::rotation::Rotation;
use super::socket::{Socket, reporting_panics};
use super::unwind::catch_panic;
use super::{Command, EVENT_CAPACITY, Event, Outgoing, Shared, StateCallback};
use crate::config::{DriverConfig, Processing};
use crate::error::WsError;
use crate::queue::FrameQueue;
use crate::transport::{WsStream, connect_websocket};
use ws_session::{
    ConnectionAction, ConnectionContext, ConnectionMachine, ConnectionState, DisconnectCause,
    Outbox, QueueConfig, ReconnectionPolicy, Session, SocketId, StreamKind, Timestamp,
};

pub(super) struct Supervisor<S: Session> {
    pub(super) shared: Arc<Shared<S>>,
    commands: mpsc::Receiver<Command<S::Command>>,
    pub(super) events_tx: mpsc::Sender<Event>,
    pub(super) events_rx: mpsc::Receiver<Event>,
    state_tx: watch::Sender<ConnectionState>,
    on_state: Option<StateCallback>,
    /// The state last reported to the user.
    state: ConnectionState,
    pub(super) machine: ConnectionMachine,
    pub(super) rest_permits: Arc<Semaphore>,
    pub(super) rest_in_flight: usize,
    pub(super) queue: Option<(Arc<FrameQueue>, QueueConfig)>,
    processor: Option<JoinHandle<()>>,
    pub(super) tls: Arc<rustls::ClientConfig>,
    pub(super) config: DriverConfig,
    /// The open socket.
    pub(super) socket: Option<Socket>,
    /// The replacement socket of a rotation in progress.
    pub(super) rotation: Option<Rotation>,
    /// The session's context for the open socket (a rotation reuses its URL and headers).
    pub(super) context: Option<ConnectionContext>,
}

impl<S: Session> Supervisor<S> {
    pub(super) fn new(
        shared: Arc<Shared<S>>,
        commands: mpsc::Receiver<Command<S::Command>>,
        state_tx: watch::Sender<ConnectionState>,
        on_state: Option<StateCallback>,
        tls: Arc<rustls::ClientConfig>,
        config: DriverConfig,
    ) -> Self {
        let (events_tx, events_rx) = mpsc::channel(EVENT_CAPACITY);
        let queue = match &config.processing {
            Processing::Inline => None,
            Processing::Queued(q) => Some((
                Arc::new(FrameQueue::with_byte_budget(q.capacity, q.max_bytes)),
                q.clone(),
            )),
        };
        let machine = ConnectionMachine::new(
            ReconnectionPolicy::default(),
            config.jitter_seed,
            config.shared_connect_limit.clone(),
            Instant::now(),
        );
        Self {
            shared,
            commands,
            events_tx,
            events_rx,
            state_tx,
            on_state,
            state: ConnectionState::Disconnected,
            machine,
            rest_permits: Arc::new(Semaphore::new(config.rest_concurrency.max(1))),
            rest_in_flight: 0,
            queue,
            processor: None,
            tls,
            config,
            socket: None,
            rotation: None,
            context: None,
        }
    }

    pub(super) async fn run(mut self) {
        if let Some((queue, _)) = &self.queue {
            self.processor = Some(tokio::spawn(
                reporting_panics(
                    "processor",
                    self.events_tx.clone(),
                    process_queue(self.shared.clone(), queue.clone(), self.events_tx.clone()),
                )
                .in_current_span(),
            ));
        }
        // A panic in the supervisor's own session calls ends the connection like one in
        // any other task.
        let terminal = match catch_panic(self.drive()).await {
            Ok(terminal) => terminal,
            Err(message) => {
                self.record_panic("supervisor", &message);
                ConnectionState::Error
            }
        };
        self.shutdown(terminal).await;
    }

    async fn drive(&mut self) -> ConnectionState {
        loop {
            if let Some(terminal) = self.perform_actions().await {
                return terminal;
            }
            self.next_input().await;
        }
    }

    /// A connection task panicked: count it, say so, and tell the session (guarded, as its
    /// state may be what made the task panic).
    fn record_panic(&mut self, task: &'static str, message: &str) {
        error!(
            task,
            panic = message,
            "connection task panicked; the connection ends in ERROR"
        );
        let cause = DisconnectCause::Fatal(format!("{task} task panicked: {message}"));
        let mut core = self.shared.lock();
        core.counters.task_panics += 1;
        core.counters.disconnects_by_cause[cause.kind().index()] += 1;
        let session = &mut core.session;
        let told = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            session.on_disconnected(&cause, Timestamp::now());
        }));
        if told.is_err() {
            warn!("the session panicked again while told of the panic");
        }
    }

    /// Performs what the machine asked for, in order. Returns the terminal state once the
    /// machine finishes.
    async fn perform_actions(&mut self) -> Option<ConnectionState> {
        while let Some(action) = self.machine.poll_action() {
            match action {
                ConnectionAction::ReportState(state) => self.set_state(state),
                ConnectionAction::ReportFailed {
                    consecutive_failures,
                } => {
                    self.shared.lock().counters.failed_reports += 1;
                    let policy = self.machine.backoff().policy();
                    error!(
                        consecutive_failures,
                        max_delay = ?policy.max_delay,
                        "connection FAILED: {consecutive_failures} attempts in a row failed; \
                         still retrying at most every {:?} until it connects or is closed",
                        policy.max_delay
                    );
                }
                ConnectionAction::Connect { socket } => self.connect(socket).await,
                ConnectionAction::Tick => {
                    self.run_session_call(self.conn(), None, |session, now, out| {
                        session.on_tick(now, out)
                    })
                    .await;
                }
                ConnectionAction::AppPing => {
                    self.shared.lock().counters.app_pings += 1;
                    self.run_session_call(self.conn(), None, |session, now, out| {
                        session.on_app_ping(now, out)
                    })
                    .await;
                }
                ConnectionAction::ProtocolPing => {
                    if let Some(socket) = &self.socket {
                        let _ = socket.out.try_send(Outgoing::Ping);
                    }
                }
                ConnectionAction::OpenRotation { socket } => self.start_rotation(socket),
                ConnectionAction::SwitchToRotation { socket } => {
                    self.switch_to_rotation(socket).await
                }
                ConnectionAction::AbandonRotation { .. } => self.abandon_rotation().await,
                ConnectionAction::Disconnect {
                    cause, close_code, ..
                } => self.disconnect(cause, close_code).await,
                ConnectionAction::Abort { cause } => {
                    warn!(%cause, "session stopped before connecting");
                    let mut core = self.shared.lock();
                    core.counters.disconnects_by_cause[cause.kind().index()] += 1;
                    core.session.on_disconnected(&cause, Timestamp::now());
                }
                ConnectionAction::Close { .. } => self.close().await,
                ConnectionAction::Finish(state) => return Some(state),
            }
        }
        None
    }

    /// Waits for the machine's timer, a command or an event, and feeds it to the machine.
    async fn next_input(&mut self) {
        let deadline = self.machine.poll_timeout();
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = timer => self.handle_timeout(),
            command = self.commands.recv() => self.handle_command(command).await,
            Some(event) = self.events_rx.recv() => self.handle_event(event).await,
        }
    }

    fn handle_timeout(&mut self) {
        if self.machine.is_connected() {
            // The reader records the last receive time under the lock it already takes.
            let last_inbound = self.shared.lock().last_inbound;
            self.machine.handle_frame_received(last_inbound);
        } else {
            // A session may change its policy between attempts.
            let policy = self.shared.lock().session.reconnection_policy();
            self.machine.set_policy(policy);
        }
        self.machine.handle_timeout(Instant::now());
    }

    async fn handle_command(&mut self, command: Option<Command<S::Command>>) {
        let now = Instant::now();
        match command {
            None | Some(Command::Close) => self.machine.handle_close(now),
            Some(Command::Reconnect) => self.machine.handle_reconnect(now),
            Some(Command::Send(frame, reply)) => {
                let result = match &self.socket {
                    Some(socket) => socket
                        .out
                        .send(Outgoing::Data(frame))
                        .await
                        .map_err(|_| WsError::NotConnected),
                    None => Err(WsError::NotConnected),
                };
                let _ = reply.send(result);
            }
            Some(Command::User(command)) if self.socket.is_some() => {
                self.run_session_call(self.conn(), None, |session, now, out| {
                    session.on_command(command, now, out)
                })
                .await;
            }
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
            }
        }
    }

    async fn handle_event(&mut self, event: Event) {
        let now = Instant::now();
        match event {
            Event::ReaderEnded { conn, cause } | Event::WriterEnded { conn, cause } => {
                self.machine.handle_socket_ended(now, SocketId(conn), cause);
            }
            Event::Signal { conn, signal } => {
                let from = (conn != 0).then_some(SocketId(conn));
                self.machine.handle_signal(now, from, &signal);
            }
            Event::Rest(request) => self.start_rest(request),
            Event::RestDone(response) => self.deliver_rest(response, None).await,
            Event::RotationOpened { conn, result } => {
                self.rotation_opened(SocketId(conn), result).await;
            }
            Event::RotationDelivering { conn } => {
                self.machine.handle_rotation_delivering(now, SocketId(conn));
            }
            Event::TaskPanicked { task, message } => {
                self.record_panic(task, &message);
                self.machine.handle_task_panicked(now);
            }
        }
    }

    /// Gets the session ready, opens socket `id` and reports the outcome to the machine.
    async fn connect(&mut self, id: SocketId) {
        if !self.wait_until_session_ready().await {
            return;
        }
        let ctx = self.shared.lock().session.connection_context();
        self.shared.lock().counters.connect_attempts += 1;
        info!(url = %ws_session::redact_query(&ctx.url), "connecting");
        let tls = self.tls.clone();
        let result = {
            let attempt = connect_websocket(
                &ctx.url,
                &ctx.headers,
                &tls,
                self.config.connect_timeout,
                self.config.max_message_size,
            );
            tokio::pin!(attempt);
            // The attempt is raced only against commands, so a close() is not held up by a
            // slow handshake; dropping a half-done handshake is harmless.
            loop {
                tokio::select! {
                    result = &mut attempt => break result,
                    command = self.commands.recv() => {
                        self.handle_command(command).await;
                        if !self.machine.is_connecting() {
                            return;
                        }
                    }
                }
            }
        };
        match result {
            Ok(ws) => self.open(id, ws, ctx).await,
            Err(cause) => {
                {
                    let mut core = self.shared.lock();
                    core.counters.errors += 1;
                    core.counters.disconnects_by_cause[cause.kind().index()] += 1;
                }
                self.decide(cause);
            }
        }
    }

    /// Lets a session do REST work (a listen key) before it can connect. Returns false when
    /// the machine stopped meanwhile (closed, or the session failed).
    async fn wait_until_session_ready(&mut self) -> bool {
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
                return true;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    warn!("session not ready to connect in time; trying anyway");
                    return true;
                }
                command = self.commands.recv() => self.handle_command(command).await,
                Some(event) = self.events_rx.recv() => self.handle_event(event).await,
            }
            if !self.machine.is_connecting() {
                return false;
            }
        }
    }

    /// The socket is open: start its tasks and tell the machine and the session.
    async fn open(&mut self, id: SocketId, ws: WsStream, ctx: ConnectionContext) {
        let socket = Socket::open(
            id,
            ws,
            None,
            &self.shared,
            &self.events_tx,
            self.queue.clone(),
            &self.config,
        );
        {
            let mut core = self.shared.lock();
            core.counters.connects += 1;
            if core.counters.connects > 1 {
                core.counters.reconnects += 1;
            }
            core.last_inbound = Instant::now();
            core.out = Some(socket.out.clone());
        }
        self.socket = Some(socket);
        self.machine.handle_connected(Instant::now(), id, &ctx);
        self.context = Some(ctx);
        // The user hears of the connection before the session's first words go out.
        self.set_state(self.machine.state());
        self.run_session_call(id.0, None, |session, now, out| {
            session.on_connected(now, out)
        })
        .await;
    }

    /// Tears down the open socket, tells the session, and lets the machine decide.
    async fn disconnect(&mut self, cause: DisconnectCause, close_code: Option<u16>) {
        self.shared.lock().out = None;
        if let Some(socket) = self.socket.take() {
            socket.shut(close_code, self.config.close_timeout).await;
        }
        self.drain_queue_after_loss().await;
        {
            let mut core = self.shared.lock();
            core.counters.disconnects_by_cause[cause.kind().index()] += 1;
            core.session.on_disconnected(&cause, Timestamp::now());
        }
        self.decide(cause);
    }

    /// Hands a failure and the session's classification of it to the machine.
    fn decide(&mut self, cause: DisconnectCause) {
        let decision = self.shared.lock().session.classify_disconnect(&cause);
        let now = Instant::now();
        self.machine.handle_disconnected(now, &cause, decision);
        match self.machine.poll_timeout() {
            Some(at) => {
                let delay = at.saturating_duration_since(now);
                warn!(%cause, ?delay, "connection lost; reconnecting");
            }
            None => warn!(%cause, "connection lost; not reconnecting"),
        }
    }

    /// The user closes: the session's last words (listen-key deletion) go out before the
    /// close frame; without a socket its frames have nowhere to go but its REST clean-up
    /// still runs.
    async fn close(&mut self) {
        let Some(conn) = self.socket.as_ref().map(|s| s.id.0) else {
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
            return;
        };
        self.run_session_call(conn, None, |session, now, out| session.on_close(now, out))
            .await;
        self.drain_rest_for_close().await;
        self.shared.lock().out = None;
        if let Some(socket) = self.socket.take() {
            socket.shut(Some(1000), self.config.close_timeout).await;
        }
        self.drain_queue_after_loss().await;
    }

    /// The open socket's id for tagging signals (0: none).
    fn conn(&self) -> u64 {
        self.socket.as_ref().map_or(0, |s| s.id.0)
    }

    /// Calls the session under the lock, then dispatches what it queued.
    pub(super) async fn run_session_call(
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
        self.abandon_rotation().await;
        if let Some(socket) = self.socket.take() {
            socket.shut(Some(1000), self.config.close_timeout).await;
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

const QUEUE_DRAIN_WAIT: Duration = Duration::from_millis(500);
