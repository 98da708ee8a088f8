//! The old `WebSocketManager`, translated call by call onto one of the two paths.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;
use ws_core::{ConnectionState, OutFrame, WsError};

use crate::config::{ExchangeConfig, WebSocketConfig, WebSocketManagerConfig};
use crate::error::CompatError;
use crate::metrics::{Architecture, MetricsInput, PathTally, PerformanceMetrics, Snapshot};
use crate::setup::{ChannelKind, StreamScope, VenueSetup};
use crate::translate::{ConnectionHandler, MessageHandler, MessageSink, Translator, venue_symbol};
use crate::types::{PublicWebsocketChannelType, Symbol};

/// The old `WebSocketManager` (deprecated): the same operations, over ws-core and the venue
/// handlers (default) or the ported strategy pattern (`legacy-strategy`).
///
/// | Old call | Here | New API |
/// |---|---|---|
/// | `WebSocketManager(config, strategies, message_handler, connection_handler, manager_config)` | [`WebSocketManager::new`] (venue from the URL) or [`crate::create_websocket_manager`] | `ws_core::Connection::spawn_with_state_callback(handler, DriverConfig, on_state)` |
/// | `await initialize(symbols, default_channels)` | [`WebSocketManager::initialize`] | construct the venue handler with its channels, then spawn |
/// | `await subscribe(symbols)` | [`WebSocketManager::subscribe`] | `Connection::command(MexcPublicCommand::Subscribe(..))` |
/// | `await unsubscribe(symbols)` | [`WebSocketManager::unsubscribe`] | `Connection::command(MexcPublicCommand::Unsubscribe(..))` |
/// | `await send_message(dict)` | [`WebSocketManager::send_message`] | `Connection::send_message(OutFrame)` |
/// | `is_connected()` | [`WebSocketManager::is_connected`] | `Connection::state() == Connected` |
/// | `get_performance_metrics()` | [`WebSocketManager::get_performance_metrics`] | `Connection::stats()` |
/// | `await close()` | [`WebSocketManager::close`] | `Connection::close()` |
/// | V4 `switch_architecture(use_direct)` | [`WebSocketManager::switch_architecture`] | (migration only) |
#[deprecated(
    note = "use ws_core::Connection with a venue handler (exchange_mexc::MexcPublicWebSocketHandler, ...)"
)]
pub struct WebSocketManager {
    setup: VenueSetup,
    architecture: Architecture,
    running: Option<Running>,
    /// The user's handler until a connection owns it.
    sink: Option<MessageSink>,
    states: Arc<Mutex<StateForwarder>>,
    channels: Vec<ChannelKind>,
    active: Vec<Symbol>,
    start_time: Option<Instant>,
    legacy: PathTally,
    direct: PathTally,
    switches: u64,
}

impl std::fmt::Debug for WebSocketManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketManager")
            .field("exchange", &self.setup.exchange)
            .field("scope", &self.setup.scope)
            .field("architecture", &self.architecture)
            .field("state", &self.connection_state())
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl WebSocketManager {
    /// The old constructor. The venue is recognised from `config.url` (MEXC, Gate.io spot,
    /// Gate.io futures) and the stream is public; use [`crate::create_websocket_manager`]
    /// for private streams or URLs that do not name the venue. Nothing connects until
    /// [`initialize`](Self::initialize). The path is chosen by
    /// [`Architecture::from_env`] (default: the mixin path when compiled in).
    ///
    /// # Errors
    /// [`CompatError::InvalidConfig`] (the old `ValueError`) for bad values or an
    /// unrecognised URL.
    pub fn new(
        config: WebSocketConfig,
        message_handler: impl FnMut(crate::types::ParsedMessage) + Send + 'static,
        connection_handler: Option<Box<dyn FnMut(ConnectionState) + Send>>,
        manager_config: WebSocketManagerConfig,
    ) -> Result<Self, CompatError> {
        let setup = VenueSetup::from_url(config, manager_config)?;
        Ok(Self::from_setup(
            setup,
            Box::new(message_handler),
            connection_handler,
        ))
    }

    /// What the factory builds: a manager for `exchange_config`'s venue.
    pub(crate) fn for_exchange(
        exchange_config: &ExchangeConfig,
        scope: StreamScope,
        message_handler: MessageHandler,
        connection_handler: Option<ConnectionHandler>,
        manager_config: WebSocketManagerConfig,
    ) -> Result<Self, CompatError> {
        let setup = VenueSetup::from_exchange(exchange_config, scope, manager_config)?;
        Ok(Self::from_setup(setup, message_handler, connection_handler))
    }

    fn from_setup(
        setup: VenueSetup,
        message_handler: MessageHandler,
        connection_handler: Option<ConnectionHandler>,
    ) -> Self {
        let architecture = Architecture::from_env(setup.exchange);
        let sink = MessageSink::new(message_handler, Translator::new(setup.venue()));
        Self {
            channels: setup.default_channels(),
            setup,
            architecture,
            running: None,
            sink: Some(sink),
            states: Arc::new(Mutex::new(StateForwarder {
                handler: connection_handler,
                last: ConnectionState::Disconnected,
                generation: 0,
            })),
            active: Vec::new(),
            start_time: None,
            legacy: PathTally::default(),
            direct: PathTally::default(),
            switches: 0,
        }
    }

    /// Chooses the path before `initialize` (a builder-style [`Self::switch_architecture`]).
    ///
    /// # Errors
    /// [`CompatError::Unavailable`] when that path is not compiled in.
    pub fn with_architecture(mut self, architecture: Architecture) -> Result<Self, CompatError> {
        if !architecture.is_compiled_in() {
            return Err(unavailable(architecture));
        }
        self.architecture = architecture;
        Ok(self)
    }

    /// The old `initialize(symbols, default_channels)`: records the start time, remembers
    /// the symbols and channels and starts the connection, which subscribes them once
    /// connected (and again after every reconnect). Returns without waiting for the
    /// connection. `default_channels` applies to public streams; `None` means
    /// `DEFAULT_PUBLIC_WEBSOCKET_CHANNELS`.
    ///
    /// # Errors
    /// `ExchangeRest { status: 500 }` when the connection cannot start or the manager was
    /// already initialized (the old code started a second set of tasks).
    pub async fn initialize(
        &mut self,
        symbols: Option<Vec<Symbol>>,
        default_channels: Option<Vec<PublicWebsocketChannelType>>,
    ) -> Result<(), CompatError> {
        if self.running.is_some() || self.sink.is_none() {
            return Err(CompatError::init_failed("already initialized".into(), None));
        }
        if let Some(channels) = default_channels
            && self.setup.scope == StreamScope::Public
        {
            self.channels = channels.into_iter().map(ChannelKind::Public).collect();
        }
        for symbol in symbols.unwrap_or_default() {
            if !self.active.contains(&symbol) {
                self.active.push(symbol);
            }
        }
        self.start_time = Some(Instant::now());
        let Some(mut sink) = self.sink.take() else {
            return Err(CompatError::init_failed("already initialized".into(), None));
        };
        for symbol in &self.active {
            sink.translator.register(symbol);
        }
        match self.start(sink) {
            Ok(running) => {
                self.running = Some(running);
                Ok(())
            }
            Err(error) => {
                self.close().await;
                Err(match error {
                    CompatError::ExchangeRest { .. } => error,
                    other => CompatError::init_failed(other.to_string(), None),
                })
            }
        }
    }

    /// The old `subscribe(symbols)`: subscribes the manager's channels of `symbols` and
    /// adds them to the active set (resubscribed after every reconnect).
    ///
    /// # Errors
    /// `ExchangeRest { status: 503 }` when not connected (nothing is recorded then, as
    /// before); `ExchangeRest { status: 400 }` when the request could not be passed on.
    pub async fn subscribe(&mut self, symbols: &[Symbol]) -> Result<(), CompatError> {
        let Some(running) = self
            .running
            .as_ref()
            .filter(|r| r.state() == ConnectionState::Connected)
        else {
            return Err(CompatError::not_connected("subscribe"));
        };
        let venue = self.venue_symbols(symbols)?;
        running.register(symbols);
        running
            .subscribe(&venue, &self.channels)
            .await
            .map_err(|e| CompatError::send_failed("subscribe", e))?;
        for symbol in symbols {
            if !self.active.contains(symbol) {
                self.active.push(symbol.clone());
            }
        }
        Ok(())
    }

    /// The old `unsubscribe(symbols)`: nothing when disconnected; otherwise unsubscribes and
    /// removes them from the active set. Failures are logged, not returned, as before.
    pub async fn unsubscribe(&mut self, symbols: &[Symbol]) {
        let Some(running) = self
            .running
            .as_ref()
            .filter(|r| r.state() == ConnectionState::Connected)
        else {
            return;
        };
        let venue = match self.venue_symbols(symbols) {
            Ok(venue) => venue,
            Err(error) => {
                tracing::warn!(%error, "unsubscribe skipped");
                return;
            }
        };
        if let Err(error) = running.unsubscribe(&venue, &self.channels).await {
            tracing::warn!(%error, "unsubscribe failed");
            return;
        }
        self.active.retain(|s| !symbols.contains(s));
    }

    /// The old `send_message(dict)`: JSON-encodes `message` and sends it as a text frame.
    ///
    /// # Errors
    /// `ExchangeRest { status: 503 }` when not connected, `status: 400` when encoding or
    /// sending fails.
    pub async fn send_message(&self, message: &impl Serialize) -> Result<(), CompatError> {
        let Some(running) = self
            .running
            .as_ref()
            .filter(|r| r.state() == ConnectionState::Connected)
        else {
            return Err(CompatError::not_connected("send_message"));
        };
        let text = serde_json::to_string(message)
            .map_err(|e| CompatError::bad_request(format!("send_message: cannot encode: {e}")))?;
        running
            .send(OutFrame::text(text))
            .await
            .map_err(|e| CompatError::send_failed("send_message", e))
    }

    /// The old `is_connected()`: the connection is open (state `CONNECTED`).
    pub fn is_connected(&self) -> bool {
        self.running
            .as_ref()
            .is_some_and(|r| r.state() == ConnectionState::Connected)
    }

    /// The old `connection_state` attribute.
    pub fn connection_state(&self) -> ConnectionState {
        match &self.running {
            Some(running) => running.state(),
            None => lock(&self.states).last,
        }
    }

    /// The old `start_time` attribute (set by `initialize`).
    pub fn start_time(&self) -> Option<Instant> {
        self.start_time
    }

    /// The symbols subscribed (and resubscribed after reconnects).
    pub fn active_symbols(&self) -> &[Symbol] {
        &self.active
    }

    /// The old `get_performance_metrics()`, with V4's per-path figures and V6's
    /// `handler_type`.
    pub fn get_performance_metrics(&self) -> PerformanceMetrics {
        let live = self
            .running
            .as_ref()
            .map(Running::snapshot)
            .unwrap_or_default();
        let (legacy, direct) = match self.architecture {
            Architecture::LegacyStrategy => (self.legacy.plus(&live), self.direct),
            Architecture::Mixin => (self.legacy, self.direct.plus(&live)),
        };
        MetricsInput {
            legacy,
            direct,
            current: self.architecture,
            switches: self.switches,
            uptime_seconds: self.start_time.map_or(0.0, |t| t.elapsed().as_secs_f64()),
            state: self.connection_state(),
            tracking: self.setup.manager_config.enable_performance_tracking,
        }
        .build()
    }

    /// The path in use.
    pub fn architecture(&self) -> Architecture {
        self.architecture
    }

    /// V4's `switch_architecture`: moves this manager to the other path. A running
    /// connection is closed and a new one opened under `target` with the same handler,
    /// channels and active symbols (its books resync from fresh snapshots). Switching to
    /// the path in use does nothing.
    ///
    /// # Errors
    /// [`CompatError::Unavailable`] when `target` is not compiled in or has no handler for
    /// this venue; the manager then keeps running on its current path.
    pub async fn switch_architecture(&mut self, target: Architecture) -> Result<(), CompatError> {
        if target == self.architecture {
            return Ok(());
        }
        if !target.is_compiled_in() {
            return Err(unavailable(target));
        }
        let Some(mut old) = self.running.take() else {
            self.architecture = target;
            self.switches += 1;
            return Ok(());
        };
        let sink = old.take_sink();
        let previous = self.architecture;
        self.architecture = target;
        match self.start(sink) {
            Ok(new) => {
                // The new connection reports states from now on; the old one's CLOSING
                // and CLOSED are not the user's business.
                self.fold(previous, &old.snapshot());
                if let Err(error) = old.close().await {
                    tracing::warn!(%error, "closing the previous path");
                }
                self.running = Some(new);
                self.switches += 1;
                tracing::info!(from = %previous, to = %target, "architecture switched");
                Ok(())
            }
            Err(error) => {
                // Roll back: give the handler back to the old path, which keeps running.
                self.architecture = previous;
                let sink = self
                    .sink
                    .take()
                    .unwrap_or_else(|| MessageSink::discard(self.setup.venue()));
                old.put_sink(sink);
                self.running = Some(old);
                Err(error)
            }
        }
    }

    /// The old `close()`: stops the connection (CLOSING, then CLOSED) and releases the
    /// venue resources (a listen key is deleted). Errors are logged, not returned.
    pub async fn close(&mut self) {
        if let Some(mut running) = self.running.take() {
            if let Err(error) = running.close().await {
                tracing::warn!(%error, "close");
            }
            let snapshot = running.snapshot();
            self.fold(self.architecture, &snapshot);
            self.sink = Some(running.take_sink());
        }
    }

    /// Starts a connection on the current path with `sink`; on failure the sink is kept in
    /// `self.sink`.
    fn start(&mut self, sink: MessageSink) -> Result<Running, CompatError> {
        let venue: Vec<market_types::Symbol> = self
            .active
            .iter()
            .filter_map(|s| venue_symbol(self.setup.venue(), s))
            .collect();
        let generation = {
            let mut states = lock(&self.states);
            states.generation += 1;
            states.generation
        };
        let states = self.states.clone();
        let on_state = move |state: ConnectionState| {
            StateForwarder::forward(&states, generation, state);
        };
        let mut slot = Some(sink);
        let result = Running::spawn(
            self.architecture,
            &self.setup,
            &mut slot,
            &self.channels,
            &venue,
            on_state,
        );
        if result.is_err() {
            self.sink = slot.take();
        }
        result
    }

    fn fold(&mut self, architecture: Architecture, snapshot: &Snapshot) {
        match architecture {
            Architecture::LegacyStrategy => self.legacy = self.legacy.plus(snapshot),
            Architecture::Mixin => self.direct = self.direct.plus(snapshot),
        }
    }

    fn venue_symbols(&self, symbols: &[Symbol]) -> Result<Vec<market_types::Symbol>, CompatError> {
        symbols
            .iter()
            .map(|s| {
                venue_symbol(self.setup.venue(), s)
                    .ok_or_else(|| CompatError::bad_request(format!("invalid symbol {s}")))
            })
            .collect()
    }
}

/// The connection running on one path.
#[derive(Debug)]
enum Running {
    #[cfg(feature = "mixin")]
    Mixin(crate::mixin::MixinConnection),
    #[cfg(feature = "legacy-strategy")]
    Legacy(crate::legacy::LegacyConnection),
}

macro_rules! each {
    ($self:expr, $c:ident => $body:expr) => {
        match $self {
            #[cfg(feature = "mixin")]
            Running::Mixin($c) => $body,
            #[cfg(feature = "legacy-strategy")]
            Running::Legacy($c) => $body,
        }
    };
}

impl Running {
    fn spawn(
        architecture: Architecture,
        setup: &VenueSetup,
        sink: &mut Option<MessageSink>,
        channels: &[ChannelKind],
        symbols: &[market_types::Symbol],
        on_state: impl FnMut(ConnectionState) + Send + 'static,
    ) -> Result<Running, CompatError> {
        match architecture {
            #[cfg(feature = "mixin")]
            Architecture::Mixin => {
                crate::mixin::MixinConnection::spawn(setup, sink, channels, symbols, on_state)
                    .map(Running::Mixin)
            }
            #[cfg(feature = "legacy-strategy")]
            Architecture::LegacyStrategy => {
                crate::legacy::LegacyConnection::spawn(setup, sink, channels, symbols, on_state)
                    .map(Running::Legacy)
            }
            #[allow(unreachable_patterns, reason = "only when one path is compiled out")]
            other => Err(unavailable(other)),
        }
    }

    fn state(&self) -> ConnectionState {
        each!(self, c => c.state())
    }

    fn snapshot(&self) -> Snapshot {
        each!(self, c => c.snapshot())
    }

    fn register(&self, symbols: &[Symbol]) {
        each!(self, c => c.register(symbols))
    }

    fn take_sink(&self) -> MessageSink {
        each!(self, c => c.take_sink())
    }

    fn put_sink(&self, sink: MessageSink) {
        each!(self, c => c.put_sink(sink))
    }

    async fn subscribe(
        &self,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
    ) -> Result<(), WsError> {
        each!(self, c => c.subscribe(symbols, channels).await)
    }

    async fn unsubscribe(
        &self,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
    ) -> Result<(), WsError> {
        each!(self, c => c.unsubscribe(symbols, channels).await)
    }

    async fn send(&self, frame: OutFrame) -> Result<(), WsError> {
        each!(self, c => c.send(frame).await)
    }

    async fn close(&mut self) -> Result<(), WsError> {
        each!(self, c => c.close().await)
    }
}

/// Forwards state changes of the current connection to the user's handler, once per real
/// change, swallowing (and logging) a panicking handler as the old code swallowed
/// exceptions.
struct StateForwarder {
    handler: Option<ConnectionHandler>,
    last: ConnectionState,
    generation: u64,
}

impl StateForwarder {
    fn forward(states: &Mutex<StateForwarder>, generation: u64, state: ConnectionState) {
        let mut forwarder = lock(states);
        if forwarder.generation != generation || forwarder.last == state {
            return;
        }
        forwarder.last = state;
        if let Some(handler) = forwarder.handler.as_mut() {
            let called = std::panic::catch_unwind(AssertUnwindSafe(|| handler(state)));
            if called.is_err() {
                tracing::error!(state = state.as_str(), "connection handler panicked");
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn unavailable(architecture: Architecture) -> CompatError {
    CompatError::Unavailable(format!(
        "the {architecture} path (cargo feature `{}`)",
        match architecture {
            Architecture::LegacyStrategy => "legacy-strategy",
            Architecture::Mixin => "mixin",
        }
    ))
}
