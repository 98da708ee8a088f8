//! Simulator set-up and message collection shared by the integration tests.
#![allow(dead_code, reason = "each test file uses part of the support module")]
#![allow(deprecated, reason = "tests of the deprecated compatibility API")]

pub mod replay;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use exchange_sim::mexc::{MexcConfig, MexcVenue};
use exchange_sim::{SimConfig, Simulator};
use ws_manager_compat::{
    ConnectionState, ExchangeConfig, ExchangeCredentials, MessageType, ParsedMessage,
};

/// A running simulator with a MEXC venue at `/mexc`.
pub struct MexcSim {
    pub sim: Simulator,
    pub venue: Arc<MexcVenue>,
}

impl MexcSim {
    pub async fn start() -> anyhow::Result<Self> {
        let venue = Arc::new(MexcVenue::new(MexcConfig::default())?);
        let sim = Simulator::start(SimConfig::default().mount("/mexc", venue.clone())).await?;
        Ok(Self { sim, venue })
    }

    /// An old-style exchange config pointing at the simulator.
    pub fn exchange_config(&self, private: bool) -> ExchangeConfig {
        let credentials = if private {
            ExchangeCredentials::new(
                exchange_sim::mexc::DEFAULT_API_KEY,
                exchange_sim::mexc::DEFAULT_API_SECRET,
            )
        } else {
            ExchangeCredentials::default()
        };
        ExchangeConfig::new(
            "MEXC",
            credentials,
            self.sim.http_url("/mexc"),
            self.sim.ws_url("/mexc/ws"),
        )
    }
}

/// Collects what a manager delivers.
#[derive(Clone, Default)]
pub struct Collected {
    pub messages: Arc<Mutex<Vec<ParsedMessage>>>,
    pub states: Arc<Mutex<Vec<ConnectionState>>>,
}

impl Collected {
    pub fn message_handler(&self) -> impl FnMut(ParsedMessage) + Send + 'static {
        let messages = self.messages.clone();
        move |m| messages.lock().unwrap_or_else(|p| p.into_inner()).push(m)
    }

    pub fn connection_handler(&self) -> Option<Box<dyn FnMut(ConnectionState) + Send>> {
        let states = self.states.clone();
        Some(Box::new(move |s| {
            states.lock().unwrap_or_else(|p| p.into_inner()).push(s)
        }))
    }

    pub fn messages(&self) -> Vec<ParsedMessage> {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn states(&self) -> Vec<ConnectionState> {
        self.states
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn count(&self, t: MessageType) -> usize {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|m| m.message_type == t)
            .count()
    }

    pub fn clear(&self) {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Waits until `pred` holds for what was collected.
    pub async fn wait_for(&self, timeout: Duration, pred: impl Fn(&Collected) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if pred(self) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        pred(self)
    }
}

/// Waits until `f` is true.
pub async fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}

/// A running simulator with a Gate.io venue at `/gateio`.
pub struct GateioSim {
    pub sim: Simulator,
    pub venue: Arc<exchange_sim::gateio::GateioVenue>,
}

impl GateioSim {
    pub async fn start() -> anyhow::Result<Self> {
        let venue = exchange_sim::gateio::GateioVenue::new(
            exchange_sim::gateio::GateioSimConfig::default(),
        );
        let sim = Simulator::start(SimConfig::default().mount("/gateio", venue.clone())).await?;
        Ok(Self { sim, venue })
    }

    /// An old-style exchange config for spot (`futures == false`) or futures.
    pub fn exchange_config(&self, futures: bool, private: bool) -> ExchangeConfig {
        let credentials = if private {
            ExchangeCredentials::new("sim-key", "sim-secret")
        } else {
            ExchangeCredentials::default()
        };
        let (name, path) = if futures {
            ("GATEIO_FUTURES", "/gateio/v4/ws/usdt")
        } else {
            ("GATEIO", "/gateio/ws/v4/")
        };
        ExchangeConfig::new(
            name,
            credentials,
            self.sim.http_url("/gateio/api/v4"),
            self.sim.ws_url(path),
        )
    }
}
