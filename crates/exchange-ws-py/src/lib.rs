//! `exchange_ws._native`: the PyO3 layer under the `exchange_ws` Python package.
//!
//! Rust does the work on one tokio runtime for the process (pyo3-async-runtimes' runtime);
//! every call that waits returns an asyncio awaitable, so the GIL is free while Rust runs.
//! Events cross as native `exchange_ws.Event` objects (`event`) that keep the Rust event
//! and convert a value to Python (`decimal.Decimal` for prices) only when it is read;
//! books and stats cross as JSON lines (the same lines `wsx` prints).
//!
//! `client` binds `exchange_ws::Client` (and its credentials) for `exchange_ws.Client`;
//! `legacy` binds the old `WebSocketManager` API (ws-manager-compat) for
//! `exchange_ws.legacy`; `delivery` is the bounded queue its callbacks go through.
// pyo3's macros expand to FFI glue that uses `unsafe`.
#![allow(unsafe_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use exchange_sim::gateio::{GateioFault, GateioSimConfig, GateioVenue, Market};
use exchange_sim::mexc::{MexcConfig, MexcVenue};
use exchange_sim::mexc_futures::{MexcFuturesConfig, MexcFuturesVenue};
use exchange_sim::{SimConfig, Simulator};
use exchange_ws::venue::parse_venue;
use exchange_ws::{Venue, simulator_prefix};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use client::{NativeClient, connect};

mod client;
mod delivery;
mod event;
mod legacy;
mod replay;

pyo3::create_exception!(
    _native,
    ExchangeWsError,
    PyException,
    "An error from the exchange-ws client (the message is the Rust error's)."
);

pub(crate) fn error(message: impl std::fmt::Display) -> PyErr {
    ExchangeWsError::new_err(message.to_string())
}

/// The embedded exchange simulator on 127.0.0.1, serving every venue.
#[pyclass(module = "exchange_ws._native")]
struct NativeSimulator {
    addr: SocketAddr,
    // Kept for the test hooks (truth, faults, pause); Gate.io serves spot and futures.
    gate: Arc<GateioVenue>,
    sim: Arc<Mutex<Option<Simulator>>>,
}

#[pymethods]
impl NativeSimulator {
    /// Starts a simulator (awaitable resolving to a `NativeSimulator`).
    #[staticmethod]
    fn start(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let mexc = Arc::new(MexcVenue::new(MexcConfig::default()).map_err(error)?);
            let gate = GateioVenue::new(GateioSimConfig::default());
            let mounted = Arc::clone(&gate);
            let futures =
                Arc::new(MexcFuturesVenue::new(MexcFuturesConfig::default()).map_err(error)?);
            let sim = Simulator::start(
                SimConfig::default()
                    .mount(simulator_prefix(Venue::MexcSpot), mexc)
                    .mount(simulator_prefix(Venue::GateioSpot), mounted)
                    .mount(simulator_prefix(Venue::MexcFutures), futures),
            )
            .await
            .map_err(error)?;
            Ok(NativeSimulator {
                addr: sim.addr(),
                gate,
                sim: Arc::new(Mutex::new(Some(sim))),
            })
        })
    }

    /// `HOST:PORT` to pass as `simulator=` to `connect`.
    #[getter]
    fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Gate.io's book truth for `symbol` on `venue` (`gateio-spot`/`gateio-futures`), cut to
    /// `depth` levels, as JSON `{"update_id": n, "bids": [[p, q]..], "asks": [..]}`.
    fn gateio_truth(&self, venue: &str, symbol: &str, depth: usize) -> PyResult<String> {
        let market = gate_market(venue)?;
        let truth = self
            .gate
            .book(market, symbol)
            .ok_or_else(|| error(format!("the simulator has no {venue} book for {symbol}")))?
            .top(depth);
        serde_json::to_string(&serde_json::json!({
            "update_id": truth.update_id,
            "bids": pairs(&truth.bids),
            "asks": pairs(&truth.asks),
        }))
        .map_err(error)
    }

    /// Queues a one-shot Gate.io book fault: `gap`, `duplicate`, `out_of_order`, `full`
    /// or `crossed`.
    fn gateio_inject(&self, venue: &str, symbol: &str, fault: &str) -> PyResult<()> {
        let market = gate_market(venue)?;
        let symbol = symbol.to_owned();
        let fault = match fault {
            "gap" => GateioFault::SequenceGap { market, symbol },
            "duplicate" => GateioFault::Duplicate { market, symbol },
            "out_of_order" => GateioFault::OutOfOrder { market, symbol },
            "full" => GateioFault::FullPush { market, symbol },
            "crossed" => GateioFault::CrossedUpdate { market, symbol },
            other => {
                return Err(error(format!(
                    "unknown fault '{other}'; use gap, duplicate, out_of_order, full or crossed"
                )));
            }
        };
        self.gate.inject(fault).map_err(error)
    }

    /// Stops (`True`) or restarts (`False`) Gate.io's book generator.
    fn gateio_pause(&self, paused: bool) {
        if paused {
            self.gate.pause();
        } else {
            self.gate.resume();
        }
    }

    /// `(rest_url, websocket_url)` of `venue` on this simulator, for configs that take
    /// URLs (the old API's `ExchangeConfig`).
    fn endpoints(&self, venue: &str) -> PyResult<(String, String)> {
        let mount = venue_registry::profile(parse_venue(venue).map_err(error)?).simulator;
        Ok((
            format!("http://{}{}{}", self.addr, mount.prefix, mount.rest_path),
            format!("ws://{}{}{}", self.addr, mount.prefix, mount.ws_path),
        ))
    }

    /// The API key, secret and user id Gate.io's simulated account accepts.
    fn gateio_credentials(&self) -> (String, String, String) {
        let config = self.gate.config();
        (
            config.api_key.clone(),
            config.api_secret.clone(),
            config.user_id.to_string(),
        )
    }

    /// Places a resting order on Gate.io's simulated account (`side` `buy`/`sell`, exact
    /// decimal strings); returns its id. Pushes the order and balance events.
    fn gateio_place_order(
        &self,
        venue: &str,
        symbol: &str,
        side: &str,
        price: &str,
        amount: &str,
    ) -> PyResult<u64> {
        let market = gate_market(venue)?;
        let side = match side {
            "buy" => market_types::Side::Buy,
            "sell" => market_types::Side::Sell,
            other => return Err(error(format!("side '{other}': use buy or sell"))),
        };
        let id = self
            .gate
            .place_order(market, symbol, side, decimal(price)?, decimal(amount)?)
            .map_err(error)?;
        Ok(id.0)
    }

    /// Fills `amount` of an order placed with `gateio_place_order`; returns the trade id.
    fn gateio_fill(&self, order_id: u64, amount: &str) -> PyResult<u64> {
        self.gate
            .fill(exchange_sim::gateio::SimOrderId(order_id), decimal(amount)?)
            .map_err(error)
    }

    /// How many connections are subscribed to Gate.io `channel` (wire name) for `symbol`.
    fn gateio_subscribers(&self, venue: &str, channel: &str, symbol: &str) -> PyResult<usize> {
        Ok(self.gate.subscribers(gate_market(venue)?, channel, symbol))
    }

    /// How many order and user-trade events Gate.io's simulated account pushed on `venue`
    /// so far: `(orders, trades)`, each pushed once to every subscribed connection.
    fn gateio_private_counts(&self, venue: &str) -> PyResult<(usize, usize)> {
        use exchange_sim::gateio::PrivateRecord;
        let want = gate_market(venue)?;
        let (mut orders, mut trades) = (0, 0);
        for record in self.gate.private_events() {
            match record {
                PrivateRecord::Order { market, .. } if market == want => orders += 1,
                PrivateRecord::Trade { market, .. } if market == want => trades += 1,
                _ => {}
            }
        }
        Ok((orders, trades))
    }

    /// `shutdown` without an event loop, for interpreter exit (bounded by `timeout` s).
    fn shutdown_blocking(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let taken = self
            .sim
            .lock()
            .map_err(|_| error("the simulator's lock is poisoned"))?
            .take();
        if let Some(sim) = taken {
            block_on_bounded(py, timeout, sim.shutdown());
        }
        Ok(())
    }

    /// Stops the simulator (awaitable); a second call does nothing.
    fn shutdown<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let taken = self
            .sim
            .lock()
            .map_err(|_| error("the simulator's lock is poisoned"))?
            .take();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            if let Some(sim) = taken {
                sim.shutdown().await;
            }
            Ok(())
        })
    }
}

/// Waits, GIL released, until no task runs on the process's runtime (at most `timeout`
/// seconds), then a short grace. Interpreter exit calls it last: pyo3-async-runtimes
/// completes an asyncio future from a blocking-pool thread that may still hold or want
/// the GIL after the loop saw the result; if the interpreter is finalizing by then, that
/// thread is killed inside CPython and the process aborts. Blocking-pool work is not in
/// tokio's stable metrics, hence the grace period.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_millis(50);

#[pyfunction]
fn quiesce(py: Python<'_>, timeout: f64) -> bool {
    let limit = std::time::Duration::try_from_secs_f64(timeout).unwrap_or_default();
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    py.detach(|| {
        let start = std::time::Instant::now();
        while runtime.metrics().num_alive_tasks() > 0 {
            if start.elapsed() >= limit {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::thread::sleep(EXIT_GRACE);
        true
    })
}

/// Runs `work` on the process's runtime from a thread outside it, GIL released, for at
/// most `timeout` seconds (a negative or NaN timeout waits not at all).
pub(crate) fn block_on_bounded(
    py: Python<'_>,
    timeout: f64,
    work: impl Future<Output = ()> + Send,
) {
    let limit = std::time::Duration::try_from_secs_f64(timeout).unwrap_or_default();
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    py.detach(|| {
        // The timer must be created inside the runtime (it panics outside one). Elapsed
        // means the work was abandoned; exit goes on regardless.
        let _ = runtime.block_on(async move { tokio::time::timeout(limit, work).await });
    });
}

fn pairs<D: std::fmt::Display>(levels: &[(D, D)]) -> Vec<[String; 2]> {
    levels
        .iter()
        .map(|(p, q)| [p.to_string(), q.to_string()])
        .collect()
}

fn decimal(text: &str) -> PyResult<market_types::Decimal> {
    market_types::Decimal::parse(text).map_err(|e| error(format!("'{text}' is not a decimal: {e}")))
}

fn gate_market(venue: &str) -> PyResult<Market> {
    match parse_venue(venue).map_err(error)? {
        Venue::GateioSpot => Ok(Market::Spot),
        Venue::GateioFutures => Ok(Market::Futures),
        other => Err(error(format!(
            "{other}: only Gate.io's simulator exposes its truth and faults here"
        ))),
    }
}

/// The venue names `connect` takes.
#[pyfunction]
fn venues() -> Vec<&'static str> {
    Venue::ALL.map(Venue::as_str).to_vec()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ExchangeWsError", m.py().get_type::<ExchangeWsError>())?;
    m.add_function(wrap_pyfunction!(connect, m)?)?;
    m.add_function(wrap_pyfunction!(venues, m)?)?;
    m.add_function(wrap_pyfunction!(quiesce, m)?)?;
    m.add_class::<NativeClient>()?;
    m.add_class::<client::NativeCredentials>()?;
    m.add_class::<NativeSimulator>()?;
    m.add(
        "LegacyRestError",
        m.py().get_type::<legacy::LegacyRestError>(),
    )?;
    m.add_class::<legacy::NativeCompat>()?;
    event::register(m)?;
    replay::register(m)?;
    Ok(())
}
