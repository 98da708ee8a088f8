//! The native half of `exchange_ws.legacy`: ws-manager-compat's `WebSocketManager` (both
//! compat paths compiled in), driven from asyncio.
//!
//! The compat manager calls its handlers synchronously on its own tasks; here they encode
//! the `ParsedMessage` or state as JSON and push it into a [`DeliveryQueue`] without ever
//! waiting for Python. The Python package runs one task on the manager's event loop that
//! awaits [`NativeCompat::next_batch`] and then the user's async callbacks, one at a
//! time, in order. Every wait happens on the runtime, with the GIL released.
#![allow(
    deprecated,
    reason = "this module binds the deprecated compat API on purpose"
)]

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use market_types::{
    Balance, BookStatusEvent, BookTicker, BookUpdate, Fill, Order, Position, Ticker, Trade,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use serde::Serialize;
use ws_manager_compat::{
    Architecture, CompatError, ConnectionState, ExchangeConfig, ExchangeCredentials, MessageData,
    ParsedMessage, PublicWebsocketChannelType, Symbol, WebSocketConfig, WebSocketManager,
    WebSocketManagerConfig, create_websocket_manager_with,
};

use crate::delivery::{DeliveryQueue, Item, Policy};
use crate::{ExchangeWsError, error};

pyo3::create_exception!(
    _native,
    LegacyRestError,
    ExchangeWsError,
    "The old ExchangeRestError as raised natively: args are (status, message)."
);

/// `CompatError` as the old Python exceptions: `ValueError` for bad configuration,
/// `ExchangeRestError(status, message)` (via [`LegacyRestError`]) for 503/400/500.
fn compat_error(err: CompatError) -> PyErr {
    match &err {
        CompatError::ExchangeRest {
            status, message, ..
        } => LegacyRestError::new_err((*status, message.clone())),
        CompatError::InvalidConfig(_) | CompatError::PlaintextCredentials(_) => {
            PyValueError::new_err(err.to_string())
        }
        _ => error(err),
    }
}

/// The Python `WebSocketConfig` (read by attribute).
#[derive(FromPyObject)]
struct WsConfigArg {
    url: String,
    connect_timeout: f64,
    ping_interval: f64,
    ping_timeout: f64,
    close_timeout: f64,
    max_reconnect_attempts: u32,
    reconnect_delay: f64,
    reconnect_backoff: f64,
    max_reconnect_delay: f64,
    max_message_size: usize,
    max_queue_size: usize,
    heartbeat_interval: Option<f64>,
    enable_compression: bool,
    text_encoding: String,
}

/// The Python `WebSocketManagerConfig` (read by attribute).
#[derive(FromPyObject)]
struct ManagerConfigArg {
    max_reconnect_attempts: u32,
    reconnect_delay: f64,
    message_timeout: f64,
    enable_performance_tracking: bool,
    max_pending_messages: usize,
    batch_processing_enabled: bool,
    batch_size: usize,
}

fn ws_config(f: WsConfigArg) -> PyResult<WebSocketConfig> {
    let config = WebSocketConfig {
        url: f.url,
        connect_timeout: f.connect_timeout,
        ping_interval: f.ping_interval,
        ping_timeout: f.ping_timeout,
        close_timeout: f.close_timeout,
        max_reconnect_attempts: f.max_reconnect_attempts,
        reconnect_delay: f.reconnect_delay,
        reconnect_backoff: f.reconnect_backoff,
        max_reconnect_delay: f.max_reconnect_delay,
        max_message_size: f.max_message_size,
        max_queue_size: f.max_queue_size,
        heartbeat_interval: f.heartbeat_interval,
        enable_compression: f.enable_compression,
        text_encoding: f.text_encoding,
    };
    config.validate().map_err(compat_error)?;
    Ok(config)
}

fn manager_config(f: ManagerConfigArg) -> PyResult<WebSocketManagerConfig> {
    let config = WebSocketManagerConfig {
        max_reconnect_attempts: f.max_reconnect_attempts,
        reconnect_delay: f.reconnect_delay,
        message_timeout: f.message_timeout,
        enable_performance_tracking: f.enable_performance_tracking,
        max_pending_messages: f.max_pending_messages,
        batch_processing_enabled: f.batch_processing_enabled,
        batch_size: f.batch_size,
    };
    config.validate().map_err(compat_error)?;
    Ok(config)
}

fn architecture(name: &str) -> PyResult<Architecture> {
    Architecture::parse(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown architecture '{name}': use 'legacy' or 'direct'"
        ))
    })
}

/// An old `Symbol` as the Python side passes it: `(base, quote, is_futures)`.
type OldSymbol = (String, String, bool);

fn old_symbols(symbols: Vec<OldSymbol>) -> PyResult<Vec<Symbol>> {
    symbols.into_iter().map(old_symbol).collect()
}

fn old_symbol((base, quote, is_futures): OldSymbol) -> PyResult<Symbol> {
    if base.is_empty() || quote.is_empty() {
        return Err(PyValueError::new_err(
            "a Symbol needs a base and a quote asset, e.g. Symbol('BTC', 'USDT')",
        ));
    }
    let symbol = Symbol::new(base, quote);
    Ok(if is_futures {
        Symbol {
            is_futures: true,
            ..symbol
        }
    } else {
        symbol
    })
}

fn channel(value: u8) -> PyResult<PublicWebsocketChannelType> {
    Ok(match value {
        1 => PublicWebsocketChannelType::Orderbook,
        2 => PublicWebsocketChannelType::Trades,
        3 => PublicWebsocketChannelType::BookTicker,
        4 => PublicWebsocketChannelType::Ticker,
        other => {
            return Err(PyValueError::new_err(format!(
                "{other} is not a PublicWebsocketChannelType (ORDERBOOK 1, TRADES 2, BOOK_TICKER 3, TICKER 4)"
            )));
        }
    })
}

/// An old-API manager (ws-manager-compat) whose callbacks go to a bounded queue.
#[pyclass(module = "exchange_ws._native")]
pub(crate) struct NativeCompat {
    // Async calls hold the lock across their await; the getters wait for them.
    manager: Arc<tokio::sync::Mutex<WebSocketManager>>,
    queue: Arc<DeliveryQueue>,
}

#[pymethods]
impl NativeCompat {
    /// The old constructor: the venue is recognised from `config.url`; public streams.
    #[staticmethod]
    #[pyo3(signature = (config, manager_config, architecture=None))]
    fn from_url(
        config: WsConfigArg,
        manager_config: ManagerConfigArg,
        architecture: Option<&str>,
    ) -> PyResult<Self> {
        let config = ws_config(config)?;
        let manager_cfg = self::manager_config(manager_config)?;
        let queue = Arc::new(DeliveryQueue::new(manager_cfg.max_pending_messages));
        let manager = WebSocketManager::new(
            config,
            message_sink(&queue),
            Some(state_sink(&queue)),
            manager_cfg,
        )
        .map_err(compat_error)?;
        Self::finish(manager, queue, architecture)
    }

    /// The old `create_websocket_manager(exchange_config, is_private, ...)`.
    #[staticmethod]
    #[pyo3(signature = (name, api_key, secret_key, base_url, websocket_url, websocket, enabled, is_private, manager_config, architecture=None))]
    #[allow(clippy::too_many_arguments)]
    fn for_exchange(
        name: String,
        api_key: String,
        secret_key: String,
        base_url: String,
        websocket_url: String,
        websocket: Option<WsConfigArg>,
        enabled: bool,
        is_private: bool,
        manager_config: ManagerConfigArg,
        architecture: Option<&str>,
    ) -> PyResult<Self> {
        let mut exchange = ExchangeConfig::new(
            name,
            ExchangeCredentials::new(api_key, secret_key),
            base_url,
            websocket_url,
        );
        exchange.websocket = websocket.map(ws_config).transpose()?;
        exchange.enabled = enabled;
        let manager_cfg = self::manager_config(manager_config)?;
        let queue = Arc::new(DeliveryQueue::new(manager_cfg.max_pending_messages));
        let manager = create_websocket_manager_with(
            &exchange,
            is_private,
            message_sink(&queue),
            Some(state_sink(&queue)),
            manager_cfg,
        )
        .map_err(compat_error)?;
        Self::finish(manager, queue, architecture)
    }

    /// `initialize(symbols, default_channels)` (awaitable). Symbols are
    /// `(base, quote, is_futures)`, channels the `PublicWebsocketChannelType` values.
    #[pyo3(signature = (symbols=None, channels=None))]
    fn initialize<'py>(
        &self,
        py: Python<'py>,
        symbols: Option<Vec<OldSymbol>>,
        channels: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let symbols = symbols.map(old_symbols).transpose()?;
        let channels = channels
            .map(|c| c.into_iter().map(channel).collect::<PyResult<Vec<_>>>())
            .transpose()?;
        self.locked(py, move |mut manager| async move {
            manager
                .initialize(symbols, channels)
                .await
                .map_err(compat_error)
        })
    }

    /// `subscribe(symbols)` (awaitable).
    fn subscribe<'py>(
        &self,
        py: Python<'py>,
        symbols: Vec<OldSymbol>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let symbols = old_symbols(symbols)?;
        self.locked(py, move |mut manager| async move {
            manager.subscribe(&symbols).await.map_err(compat_error)
        })
    }

    /// `unsubscribe(symbols)` (awaitable; failures are logged, as before).
    fn unsubscribe<'py>(
        &self,
        py: Python<'py>,
        symbols: Vec<OldSymbol>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let symbols = old_symbols(symbols)?;
        self.locked(py, move |mut manager| async move {
            manager.unsubscribe(&symbols).await;
            Ok(())
        })
    }

    /// `send_message(dict)` (awaitable); `message` is the JSON text of the dict.
    fn send_message<'py>(&self, py: Python<'py>, message: String) -> PyResult<Bound<'py, PyAny>> {
        let value: serde_json::Value = serde_json::from_str(&message)
            .map_err(|e| PyTypeError::new_err(format!("send_message: not JSON: {e}")))?;
        let manager = Arc::clone(&self.manager);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            // The compat manager is Send but not Sync (the user's handler is an FnMut), so
            // its `&self` future cannot cross threads: run it on a blocking thread.
            let runtime = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                let manager = manager.blocking_lock();
                runtime.block_on(manager.send_message(&value))
            })
            .await
            .map_err(error)?
            .map_err(compat_error)
        })
    }

    /// `switch_architecture` (awaitable): `"legacy"` or `"direct"`.
    fn switch_architecture<'py>(
        &self,
        py: Python<'py>,
        target: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let target = architecture(target)?;
        self.locked(py, move |mut manager| async move {
            manager
                .switch_architecture(target)
                .await
                .map_err(compat_error)
        })
    }

    /// `close()` (awaitable): closes the connection; the queue ends once drained.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = Arc::clone(&self.manager);
        let queue = Arc::clone(&self.queue);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            manager.lock().await.close().await;
            queue.close();
            Ok(())
        })
    }

    /// `close` without an event loop (interpreter exit), bounded by `timeout` seconds.
    fn close_blocking(&self, py: Python<'_>, timeout: f64) {
        let manager = Arc::clone(&self.manager);
        let queue = Arc::clone(&self.queue);
        crate::block_on_bounded(py, timeout, async move {
            manager.lock().await.close().await;
            queue.close();
        });
    }

    /// Up to `max` queued messages/states as a JSON array (awaitable); `None` once closed
    /// and drained.
    fn next_batch<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyAny>> {
        let queue = Arc::clone(&self.queue);
        pyo3_async_runtimes::tokio::future_into_py(
            py,
            async move { Ok(queue.next_batch(max).await) },
        )
    }

    /// `is_connected()`.
    fn is_connected(&self, py: Python<'_>) -> bool {
        self.with(py, |m| m.is_connected())
    }

    /// The `connection_state` attribute's old name (`"CONNECTED"`, ...).
    fn connection_state(&self, py: Python<'_>) -> &'static str {
        self.with(py, |m| m.connection_state().as_str())
    }

    /// `"legacy"` or `"direct"`.
    fn architecture(&self, py: Python<'_>) -> &'static str {
        self.with(py, |m| m.architecture().as_str())
    }

    /// Seconds since `initialize` (the old `start_time` as an age), `None` before.
    fn uptime(&self, py: Python<'_>) -> Option<f64> {
        self.with(py, |m| m.start_time().map(|t| t.elapsed().as_secs_f64()))
    }

    /// `get_performance_metrics()` as JSON, plus the Python delivery queue's figures under
    /// `"delivery"`.
    fn performance_metrics(&self, py: Python<'_>) -> PyResult<String> {
        let metrics = self.with(py, |m| m.get_performance_metrics());
        let mut value = serde_json::to_value(&metrics).map_err(error)?;
        let stats = self.queue.stats();
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "delivery".into(),
                serde_json::json!({
                    "delivered": stats.delivered,
                    "conflated": stats.conflated,
                    "dropped": stats.dropped,
                    "queued": stats.queued,
                }),
            );
        }
        Ok(value.to_string())
    }
}

impl NativeCompat {
    fn finish(
        manager: WebSocketManager,
        queue: Arc<DeliveryQueue>,
        architecture: Option<&str>,
    ) -> PyResult<Self> {
        let manager = match architecture {
            Some(name) => manager
                .with_architecture(self::architecture(name)?)
                .map_err(compat_error)?,
            None => manager,
        };
        Ok(Self {
            manager: Arc::new(tokio::sync::Mutex::new(manager)),
            queue,
        })
    }

    /// An awaitable that runs `work` once the manager's lock is free: the old async calls
    /// never overlap.
    fn locked<'py, Work, Done>(
        &self,
        py: Python<'py>,
        work: impl FnOnce(tokio::sync::OwnedMutexGuard<WebSocketManager>) -> Work + Send + 'static,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        Work: Future<Output = PyResult<Done>> + Send + 'static,
        Done: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        let manager = Arc::clone(&self.manager);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            work(manager.lock_owned().await).await
        })
    }

    /// Runs `f` on the manager, GIL released while an async call may hold it (those never
    /// wait for Python, so this cannot deadlock).
    fn with<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&WebSocketManager) -> T + Send) -> T {
        if let Ok(manager) = self.manager.try_lock() {
            return f(&manager);
        }
        py.detach(|| f(&self.manager.blocking_lock()))
    }
}

/// The compat message handler: encode, push, return.
fn message_sink(queue: &Arc<DeliveryQueue>) -> impl FnMut(ParsedMessage) + Send + 'static {
    let queue = Arc::clone(queue);
    move |message: ParsedMessage| {
        if let Some(item) = encode(&message) {
            queue.push(item);
        }
    }
}

fn state_sink(queue: &Arc<DeliveryQueue>) -> Box<dyn FnMut(ConnectionState) + Send> {
    let queue = Arc::clone(queue);
    Box::new(move |state: ConnectionState| {
        queue.push(Item {
            kind: "STATE",
            symbol: None,
            policy: Policy::Reserve,
            json: serde_json::json!({"type": "state", "state": state.as_str()}).to_string(),
        });
    })
}

/// The wire form of `MessageData` for the Python side.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Data<'a> {
    Orderbook {
        symbol: &'a str,
        bids: Vec<[String; 2]>,
        asks: Vec<[String; 2]>,
        update_id: u64,
        update: &'a BookUpdate,
    },
    Trade(&'a Trade),
    BookTicker(&'a BookTicker),
    Ticker(&'a Ticker),
    Order(&'a Order),
    Fill(&'a Fill),
    Balance(&'a Balance),
    Position(&'a Position),
    BookStatus(&'a BookStatusEvent),
    Reconciled {
        venue: &'static str,
    },
    Error {
        category: &'static str,
        message: &'a str,
    },
}

#[derive(Serialize)]
struct Message<'a> {
    r#type: &'static str,
    message_type: i16,
    symbol: Option<(&'a str, &'a str, bool)>,
    channel: Option<&'static str>,
    timestamp: f64,
    data: Option<Data<'a>>,
}

/// One `ParsedMessage` as an [`Item`] (`None` only if it cannot be encoded, which the
/// types rule out).
fn encode(message: &ParsedMessage) -> Option<Item> {
    let levels = |side: market_types::Levels<'_>| {
        side.map(|l| [l.price.to_string(), l.quantity.to_string()])
            .collect::<Vec<_>>()
    };
    let (data, symbol, policy) = match &message.data {
        Some(MessageData::OrderBook { book, update }) => (
            Some(Data::Orderbook {
                symbol: update.symbol.as_str(),
                bids: levels(book.bids()),
                asks: levels(book.asks()),
                update_id: book.update_id(),
                update,
            }),
            Some(update.symbol.as_str().to_owned()),
            Policy::Conflate,
        ),
        Some(MessageData::Trade(t)) => (
            Some(Data::Trade(t)),
            Some(t.symbol.as_str().to_owned()),
            Policy::DropCounted,
        ),
        Some(MessageData::BookTicker(t)) => (
            Some(Data::BookTicker(t)),
            Some(t.symbol.as_str().to_owned()),
            Policy::Conflate,
        ),
        Some(MessageData::Ticker(t)) => (
            Some(Data::Ticker(t)),
            Some(t.symbol.as_str().to_owned()),
            Policy::Conflate,
        ),
        Some(MessageData::BookStatus(e)) => (
            Some(Data::BookStatus(e)),
            Some(e.symbol.as_str().to_owned()),
            Policy::Conflate,
        ),
        Some(MessageData::Order(o)) => (Some(Data::Order(o)), None, Policy::Reserve),
        Some(MessageData::Fill(f)) => (Some(Data::Fill(f)), None, Policy::Reserve),
        Some(MessageData::Balance(b)) => (Some(Data::Balance(b)), None, Policy::Reserve),
        Some(MessageData::Position(p)) => (Some(Data::Position(p)), None, Policy::Reserve),
        Some(MessageData::Reconciled { venue }) => (
            Some(Data::Reconciled {
                venue: venue.as_str(),
            }),
            None,
            Policy::Reserve,
        ),
        Some(MessageData::Error(e)) => (
            Some(Data::Error {
                category: exchange_ws::event::category_name(e.category),
                message: &e.message,
            }),
            None,
            Policy::Reserve,
        ),
        None => (None, None, Policy::Reserve),
    };
    let json = serde_json::to_string(&Message {
        r#type: "message",
        message_type: message.message_type.value(),
        symbol: message
            .symbol
            .as_ref()
            .map(|s| (s.base.as_str(), s.quote.as_str(), s.is_futures)),
        channel: message.channel,
        timestamp: epoch_seconds(message.timestamp),
        data,
    })
    .ok()?;
    // Fills share MessageType::Trade with public trades; only the latter may be dropped,
    // and a loss report must name them apart.
    let kind = if matches!(message.data, Some(MessageData::Fill(_))) {
        "FILL"
    } else {
        message.message_type.name()
    };
    Some(Item {
        kind,
        symbol,
        policy,
        json,
    })
}

/// Wall-clock seconds of a monotonic instant (the old `timestamp` was a float).
fn epoch_seconds(at: Instant) -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    now - at.elapsed().as_secs_f64()
}
