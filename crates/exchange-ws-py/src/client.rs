//! The native half of `exchange_ws.Client`: connect (one or several venues), events, books,
//! stats, resync and run-time subscriptions, and the credentials they take.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use exchange_ws::venue::parse_venue;
use exchange_ws::{
    Channel, Client, ClientError, ClientStats, Credentials, Endpoints, Event, EventBody, EventKind,
    Events, Venue, VenueStreams,
};
use pyo3::prelude::*;

use crate::error;
use crate::event::PyEvent;

fn client_error(err: ClientError) -> PyErr {
    error(err)
}

fn to_json(event: &Event) -> PyResult<String> {
    serde_json::to_string(event).map_err(error)
}

/// The most events one `next_events` call takes (bounds the Python-side buffer).
const MAX_BATCH: usize = 1024;

/// The next event if one is queued now: `None` when it would have to wait.
async fn ready_now(events: &mut Events) -> Option<Option<Event>> {
    let mut next = std::pin::pin!(events.next());
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match next.as_mut().poll(cx) {
            std::task::Poll::Ready(event) => Some(event),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

fn venue(name: &str) -> PyResult<Venue> {
    parse_venue(name).map_err(error)
}

fn channels(names: &[String]) -> PyResult<Vec<Channel>> {
    names
        .iter()
        .map(|c| c.parse::<Channel>().map_err(error))
        .collect()
}

/// An API key and secret for account channels. Neither is ever shown: not by `repr`, not
/// by `str`, not in an exception's text; Rust wipes both from memory when dropped.
#[pyclass(name = "Credentials", module = "exchange_ws", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct NativeCredentials(Credentials);

#[pymethods]
impl NativeCredentials {
    /// Credentials given as values; `user_id` is the account's id where the venue wants it
    /// (Gate.io futures).
    #[new]
    #[pyo3(signature = (key, secret, user_id=None))]
    fn new(key: String, secret: String, user_id: Option<String>) -> PyResult<Self> {
        if key.is_empty() || secret.is_empty() {
            return Err(error("credentials need a non-empty key and secret"));
        }
        let credentials = Credentials::new(key, secret);
        Ok(Self(match user_id {
            Some(uid) => credentials.with_user_id(uid),
            None => credentials,
        }))
    }

    /// The venue's variables (e.g. `GATEIO_API_KEY`, `GATEIO_API_SECRET`) from the
    /// environment; an error naming them when they are not set.
    #[staticmethod]
    fn from_env(venue: &str) -> PyResult<Self> {
        Credentials::from_env(self::venue(venue)?)
            .map(Self)
            .map_err(client_error)
    }

    /// The venue's variables from a file of `NAME=value` lines (a shell or `.env` file).
    #[staticmethod]
    fn from_file(venue: &str, path: PathBuf) -> PyResult<Self> {
        Credentials::from_file(self::venue(venue)?, path)
            .map(Self)
            .map_err(client_error)
    }

    /// From `file` when given, else from the environment, as the `wsx` program reads them:
    /// `None` when neither the key nor the secret is set, an error when only one is.
    #[staticmethod]
    #[pyo3(signature = (venue, file=None))]
    fn load(venue: &str, file: Option<PathBuf>) -> PyResult<Option<Self>> {
        Credentials::load(self::venue(venue)?, file.as_deref())
            .map(|c| c.map(Self))
            .map_err(client_error)
    }

    /// The account's user id, when given (not a secret).
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.0.user_id()
    }

    fn __repr__(&self) -> String {
        match self.0.user_id() {
            Some(uid) => format!("Credentials(key=<hidden>, secret=<hidden>, user_id={uid:?})"),
            None => "Credentials(key=<hidden>, secret=<hidden>)".to_owned(),
        }
    }
}

/// One venue's streams as the Python `Stream` holds them (read by attribute).
#[derive(FromPyObject)]
pub(crate) struct StreamArg {
    venue: String,
    symbols: Vec<String>,
    channels: Vec<String>,
    depth: Option<u32>,
    levels: Option<usize>,
    credentials: Option<NativeCredentials>,
}

impl StreamArg {
    fn into_streams(self, simulator: Option<SocketAddr>) -> PyResult<VenueStreams> {
        let mut streams = VenueStreams::new(venue(&self.venue)?);
        streams.symbols = self.symbols;
        streams.channels = channels(&self.channels)?;
        streams.depth = self.depth;
        if let Some(levels) = self.levels {
            streams.levels = levels;
        }
        streams.credentials = self.credentials.map(|c| c.0);
        if let Some(addr) = simulator {
            streams.endpoints = Endpoints::Simulator(addr);
        }
        Ok(streams)
    }
}

/// Connects to every stream's venue (awaitable resolving to a `NativeClient`).
#[pyfunction]
#[pyo3(signature = (streams, simulator=None))]
pub(crate) fn connect<'py>(
    py: Python<'py>,
    streams: Vec<StreamArg>,
    simulator: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let simulator = simulator
        .map(|addr| {
            addr.parse::<SocketAddr>().map_err(|_| {
                error(format!(
                    "simulator address '{addr}' is not HOST:PORT (use Simulator.addr)"
                ))
            })
        })
        .transpose()?;
    let mut builder = Client::builder();
    for stream in streams {
        builder = builder.add_venue(stream.into_streams(simulator)?);
    }
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let client = builder.connect().await.map_err(client_error)?;
        let events = client.events();
        let venues = client.venues();
        Ok(NativeClient {
            client: Arc::new(Mutex::new(Some(client))),
            events: Arc::new(tokio::sync::Mutex::new(events)),
            venues,
        })
    })
}

/// A connected client: events, books, stats, resync, subscriptions, close.
#[pyclass(module = "exchange_ws._native")]
pub(crate) struct NativeClient {
    // `None` once closed; `close` takes it out and awaits the clean shutdown.
    client: Arc<Mutex<Option<Client>>>,
    events: Arc<tokio::sync::Mutex<Events>>,
    venues: Vec<Venue>,
}

impl NativeClient {
    /// `venue` by name, or the client's only venue when `None`.
    fn venue_of(&self, venue: Option<&str>, call: &str) -> PyResult<Venue> {
        match (venue, self.venues.as_slice()) {
            (Some(name), _) => self::venue(name),
            (None, [only]) => Ok(*only),
            (None, _) => Err(error(format!(
                "this client has several venues; say which: {call}(..., venue=...)"
            ))),
        }
    }

    fn lock(&self) -> PyResult<MutexGuard<'_, Option<Client>>> {
        self.client
            .lock()
            .map_err(|_| error("the client's lock is poisoned"))
    }

    /// Runs `work` on the open client with the GIL released.
    fn with_client<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&Client) -> Result<T, ClientError> + Send,
    ) -> PyResult<T> {
        let guard = self.lock()?;
        let client = guard
            .as_ref()
            .ok_or_else(|| client_error(ClientError::Closed))?;
        py.detach(|| work(client)).map_err(client_error)
    }
}

#[pymethods]
impl NativeClient {
    /// The next event, or `None` when the stream has ended (awaitable).
    fn next_event<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let events = Arc::clone(&self.events);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let mut events = events.lock().await;
            Ok(events.next().await.map(PyEvent::native))
        })
    }

    /// The next events, at least one and at most `max`, as a list: waits for the first,
    /// then takes those already queued without waiting. An empty list once the stream has
    /// ended (awaitable). One asyncio future per batch instead of per event.
    fn next_events<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyAny>> {
        let events = Arc::clone(&self.events);
        let max = max.clamp(1, MAX_BATCH);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let mut events = events.lock().await;
            let Some(first) = events.next().await else {
                return Ok(Vec::new());
            };
            let mut batch = Vec::with_capacity(max);
            batch.push(PyEvent::native(first));
            while batch.len() < max {
                match ready_now(&mut events).await {
                    Some(Some(event)) => batch.push(PyEvent::native(event)),
                    // Ended: this batch goes out, the next call returns the empty list.
                    Some(None) | None => break,
                }
            }
            Ok(batch)
        })
    }

    /// The local book of `symbol` on `venue` (the client's only venue when `None`), as the
    /// JSON line of a `book` event.
    #[pyo3(signature = (symbol, venue=None))]
    fn book(&self, py: Python<'_>, symbol: &str, venue: Option<&str>) -> PyResult<String> {
        let venue = self.venue_of(venue, "book")?;
        let line = self.with_client(py, |client| client.book(venue, symbol))?;
        to_json(&Event {
            venue,
            receive_ts_ns: 0,
            body: EventBody::Book(line),
        })
    }

    /// The client's counters as JSON (see `exchange_ws.Stats`).
    fn stats(&self, py: Python<'_>) -> PyResult<String> {
        let stats = self.with_client(py, |client| Ok(client.stats()))?;
        Ok(stats_json(&stats).to_string())
    }

    /// Throws the local book of `symbol` away and rebuilds it from a fresh snapshot.
    #[pyo3(signature = (symbol, venue=None))]
    fn resync(&self, py: Python<'_>, symbol: &str, venue: Option<&str>) -> PyResult<()> {
        let venue = self.venue_of(venue, "resync")?;
        self.with_client(py, |client| client.resync(venue, symbol))
    }

    /// Subscribes (`subscribed=True`) or unsubscribes `channels` of `symbol` while the
    /// client runs; the channel names are all checked before the first change is sent.
    #[pyo3(signature = (symbol, channels, subscribed, venue=None))]
    fn set_subscribed(
        &self,
        py: Python<'_>,
        symbol: &str,
        channels: Vec<String>,
        subscribed: bool,
        venue: Option<&str>,
    ) -> PyResult<()> {
        let call = if subscribed {
            "subscribe"
        } else {
            "unsubscribe"
        };
        let venue = self.venue_of(venue, call)?;
        if channels.is_empty() {
            return Err(error(format!("{call}: no channels given")));
        }
        let channels = self::channels(&channels)?;
        self.with_client(py, |client| {
            channels.iter().try_for_each(|&channel| {
                if subscribed {
                    client.subscribe(venue, symbol, channel)
                } else {
                    client.unsubscribe(venue, symbol, channel)
                }
            })
        })
    }

    /// The client's venues.
    fn venues(&self) -> Vec<String> {
        self.venues.iter().map(|v| v.as_str().to_owned()).collect()
    }

    /// Whether `close` has been called.
    fn closed(&self) -> PyResult<bool> {
        Ok(self.lock()?.is_none())
    }

    /// `close` without an event loop, for interpreter exit: waits at most `timeout` seconds
    /// with the GIL released.
    fn close_blocking(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let taken = self.lock()?.take();
        if let Some(client) = taken {
            crate::block_on_bounded(py, timeout, client.close());
        }
        Ok(())
    }

    /// Logs out, closes every connection and ends the event stream (awaitable); a second
    /// call does nothing.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let taken = self.lock()?.take();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            if let Some(client) = taken {
                client.close().await;
            }
            Ok(())
        })
    }
}

/// The Python `Stats` fields: the queue's counters, then one entry per venue and role.
fn stats_json(stats: &ClientStats) -> serde_json::Value {
    let delivery = &stats.delivery;
    let dropped: serde_json::Map<String, serde_json::Value> = EventKind::ALL
        .iter()
        .map(|kind| {
            let count = delivery.dropped.get(kind.index()).copied().unwrap_or(0);
            (kind.as_str().to_owned(), count.into())
        })
        .collect();
    let pools: Vec<serde_json::Value> = stats
        .pools
        .iter()
        .map(|pool| {
            let counters = &pool.counters;
            let book = &pool.book_sync;
            serde_json::json!({
                "venue": pool.venue.as_str(),
                "role": pool.role.as_str(),
                "connections": pool.connections,
                "connected": pool.connected,
                "messages_received": counters.messages_received,
                "bytes_received": counters.bytes_received,
                "messages_sent": counters.messages_sent,
                "bytes_sent": counters.bytes_sent,
                "connect_attempts": counters.connect_attempts,
                "connects": counters.connects,
                "reconnects": counters.reconnects,
                "errors": counters.errors,
                "handler_messages": pool.handler_messages,
                "handler_errors": pool.handler_errors,
                "snapshots_requested": book.snapshots_requested,
                "snapshots_applied": book.snapshots_applied,
                "snapshots_failed": book.snapshots_failed,
                "resyncs": book.resyncs,
            })
        })
        .collect();
    serde_json::json!({
        "delivered": delivery.delivered,
        "conflated": delivery.conflated,
        "queued": delivery.queued,
        "dropped": dropped,
        "pools": pools,
    })
}
