//! Every simulated venue behind one venue-independent handle, for demos, soaks and tests.
//!
//! [`Scenario::start`] mounts the chosen [`market_types::Venue`]s on one [`Simulator`],
//! each with moving books and an account (that trades by itself if
//! [`ScenarioConfig::auto_trading`] says so). A client asks it for each venue's
//! [`endpoints`](Scenario::endpoints), [`credentials`](Scenario::credentials) and
//! [`symbols`](Scenario::symbols); a test or demo [`inject`](Scenario::inject)s a
//! [`FaultKind`] into one venue's connections or one book's stream, and compares a
//! client's book with the [`truth`](Scenario::truth). Which wire fault each kind becomes
//! on each venue is decided here, so callers never name a venue's own fault type.

mod account;
mod fault;
mod paths;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use market_types::{Level, Price, Quantity, Symbol, Venue};

use crate::config::SimConfig;
use crate::error::SimError;
use crate::gateio::{GateioSimConfig, GateioVenue, Market};
use crate::mexc::{MexcConfig, MexcVenue, PrivateFlow};
use crate::mexc_futures::{MexcFuturesConfig, MexcFuturesVenue};
use crate::server::Simulator;

pub use fault::FaultKind;
pub use paths::VenuePaths;

/// What [`Scenario::start`] starts.
#[derive(Debug, Clone)]
pub struct ScenarioConfig {
    /// The venues to serve (duplicates are ignored). Gate.io spot and futures share one
    /// simulated venue, so choosing either serves both; only the chosen ones are listed
    /// by [`Scenario::venues`].
    pub venues: Vec<Venue>,
    /// If set, every account places and fills an order step this often by itself (as a
    /// user trading would); if not, only the caller trades.
    pub auto_trading: Option<Duration>,
    /// The simulator itself (transport, limits). Venue mounts are added to it.
    pub sim: SimConfig,
}

impl Default for ScenarioConfig {
    /// Every venue, no automatic trading, the default simulator.
    fn default() -> Self {
        Self {
            venues: Venue::ALL.to_vec(),
            auto_trading: None,
            sim: SimConfig::default(),
        }
    }
}

/// Why a scenario call did nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The simulator did not start, or a venue's configuration was refused.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A venue's configuration was refused.
    #[error("{venue}: {reason}")]
    Config {
        /// The venue.
        venue: Venue,
        /// What the venue said.
        reason: String,
    },
    /// The venue is not one the scenario was started with.
    #[error("{0} is not in this scenario")]
    NotStarted(Venue),
    /// The venue's wire protocol has no such fault.
    #[error("{venue} has no '{kind}' fault")]
    Unsupported {
        /// The venue.
        venue: Venue,
        /// The fault asked for.
        kind: FaultKind,
    },
    /// The venue refused the fault (an unknown symbol, for example).
    #[error("{venue}: {reason}")]
    Refused {
        /// The venue.
        venue: Venue,
        /// What the venue said.
        reason: String,
    },
}

/// Where a client reaches one simulated venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEndpoints {
    /// The WebSocket URL.
    pub ws_url: String,
    /// The REST base URL.
    pub rest_url: String,
}

/// The API key the simulated account of a venue accepts. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SimCredentials {
    /// The API key.
    pub api_key: String,
    /// The API secret.
    pub api_secret: String,
    /// The account's user id, for venues whose account channels name it.
    pub user_id: Option<String>,
}

impl fmt::Debug for SimCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimCredentials")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// One book as the simulator holds it, best level first on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    /// The venue's id of the last change applied (MEXC's version, Gate.io's update id).
    pub update_id: u64,
    /// Bids, highest first.
    pub bids: Vec<Level>,
    /// Asks, lowest first.
    pub asks: Vec<Level>,
}

impl Truth {
    /// Whether a client's book holds exactly these levels.
    pub fn matches(&self, bids: &[Level], asks: &[Level]) -> bool {
        self.bids == bids && self.asks == asks
    }
}

/// The simulated venues of one scenario on one [`Simulator`].
pub struct Scenario {
    sim: Simulator,
    venues: Vec<Venue>,
    mexc: Option<Arc<MexcVenue>>,
    gate: Option<Arc<GateioVenue>>,
    futures: Option<Arc<MexcFuturesVenue>>,
    /// Kept because the futures venue does not hand its configuration back.
    futures_key: (String, String),
    futures_contracts: Vec<Symbol>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("addr", &self.sim.addr())
            .field("venues", &self.venues)
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// Starts the simulator on 127.0.0.1 with the chosen venues, books moving.
    pub async fn start(config: ScenarioConfig) -> Result<Self, ScenarioError> {
        let mut venues: Vec<Venue> = Vec::new();
        for venue in config.venues {
            if !venues.contains(&venue) {
                venues.push(venue);
            }
        }
        let wants = |v: Venue| venues.contains(&v);
        let mut sim_config = config.sim;
        let mexc = if wants(Venue::MexcSpot) {
            let mut mexc_config = MexcConfig::default();
            if let Some(every) = config.auto_trading {
                mexc_config.private_flow = PrivateFlow::Automatic { every };
            }
            let mexc =
                Arc::new(
                    MexcVenue::new(mexc_config).map_err(|e| ScenarioError::Config {
                        venue: Venue::MexcSpot,
                        reason: e.to_string(),
                    })?,
                );
            let prefix = VenuePaths::of(Venue::MexcSpot).prefix;
            sim_config = sim_config.mount(prefix, mexc.clone());
            Some(mexc)
        } else {
            None
        };
        let gate = if wants(Venue::GateioSpot) || wants(Venue::GateioFutures) {
            let gate = GateioVenue::new(GateioSimConfig {
                auto_trading: config.auto_trading,
                ..GateioSimConfig::default()
            });
            let prefix = VenuePaths::of(Venue::GateioSpot).prefix;
            sim_config = sim_config.mount(prefix, gate.clone());
            Some(gate)
        } else {
            None
        };
        let futures_config = MexcFuturesConfig {
            auto_trading: config.auto_trading,
            ..MexcFuturesConfig::default()
        };
        let futures_key = (
            futures_config.api_key.clone(),
            futures_config.api_secret.clone(),
        );
        let futures_contracts = futures_config
            .contracts
            .iter()
            .map(|c| c.book.symbol)
            .collect();
        let futures = if wants(Venue::MexcFutures) {
            let futures = Arc::new(MexcFuturesVenue::new(futures_config).map_err(|e| {
                ScenarioError::Config {
                    venue: Venue::MexcFutures,
                    reason: e.to_string(),
                }
            })?);
            let prefix = VenuePaths::of(Venue::MexcFutures).prefix;
            sim_config = sim_config.mount(prefix, futures.clone());
            Some(futures)
        } else {
            None
        };
        let sim = Simulator::start(sim_config).await?;
        Ok(Self {
            sim,
            venues,
            mexc,
            gate,
            futures,
            futures_key,
            futures_contracts,
        })
    }

    /// The simulator, for what this handle does not cover (core faults, events, stats).
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    /// The bound address (127.0.0.1 and a port the OS chose).
    pub fn addr(&self) -> SocketAddr {
        self.sim.addr()
    }

    /// The venues served, in the order they were asked for.
    pub fn venues(&self) -> &[Venue] {
        &self.venues
    }

    /// The simulated MEXC spot venue, if started (for its own fault and account calls).
    pub fn mexc_spot(&self) -> Option<&Arc<MexcVenue>> {
        self.mexc.as_ref()
    }

    /// The simulated Gate.io venue (spot and futures), if started.
    pub fn gateio(&self) -> Option<&Arc<GateioVenue>> {
        self.gate.as_ref()
    }

    /// The simulated MEXC futures venue, if started.
    pub fn mexc_futures(&self) -> Option<&Arc<MexcFuturesVenue>> {
        self.futures.as_ref()
    }

    /// The symbols `venue` serves, spelled its way; empty if it is not in the scenario.
    pub fn symbols(&self, venue: Venue) -> Vec<Symbol> {
        if !self.has(venue) {
            return Vec::new();
        }
        let parse = |names: &[String]| -> Vec<Symbol> {
            names.iter().filter_map(|s| Symbol::new(s).ok()).collect()
        };
        match venue {
            Venue::MexcSpot => self
                .mexc
                .iter()
                .flat_map(|m| m.config().symbols.iter().map(|s| s.symbol))
                .collect(),
            Venue::MexcFutures => self.futures_contracts.clone(),
            Venue::GateioSpot => self
                .gate
                .as_ref()
                .map(|g| parse(&g.config().spot_symbols))
                .unwrap_or_default(),
            Venue::GateioFutures => self
                .gate
                .as_ref()
                .map(|g| parse(&g.config().futures_contracts))
                .unwrap_or_default(),
        }
    }

    /// Where a client reaches `venue` on this simulator.
    pub fn endpoints(&self, venue: Venue) -> Option<SimEndpoints> {
        if !self.has(venue) {
            return None;
        }
        let paths = VenuePaths::of(venue);
        Some(SimEndpoints {
            ws_url: self.sim.ws_url(&paths.ws()),
            rest_url: self.sim.http_url(&paths.rest()),
        })
    }

    /// The key `venue`'s simulated account accepts.
    pub fn credentials(&self, venue: Venue) -> Option<SimCredentials> {
        if !self.has(venue) {
            return None;
        }
        match venue {
            Venue::MexcSpot => self.mexc.as_ref().map(|m| SimCredentials {
                api_key: m.config().api_key.clone(),
                api_secret: m.config().api_secret.clone(),
                user_id: None,
            }),
            Venue::MexcFutures => Some(SimCredentials {
                api_key: self.futures_key.0.clone(),
                api_secret: self.futures_key.1.clone(),
                user_id: None,
            }),
            Venue::GateioSpot | Venue::GateioFutures => {
                self.gate.as_ref().map(|g| SimCredentials {
                    api_key: g.config().api_key.clone(),
                    api_secret: g.config().api_secret.clone(),
                    user_id: Some(g.config().user_id.to_string()),
                })
            }
        }
    }

    /// The simulator's book of `symbol` on `venue`, cut to `depth` levels per side
    /// (`usize::MAX` for all); `None` if there is no such book.
    pub fn truth(&self, venue: Venue, symbol: &str, depth: usize) -> Option<Truth> {
        if !self.has(venue) {
            return None;
        }
        let cut = |levels: Vec<Level>| levels.into_iter().take(depth).collect();
        match venue {
            Venue::MexcSpot => self.mexc.as_ref()?.book(symbol).map(|t| Truth {
                update_id: t.version,
                bids: cut(t.bids),
                asks: cut(t.asks),
            }),
            Venue::MexcFutures => self.futures.as_ref()?.book(symbol).map(|t| Truth {
                update_id: t.version,
                bids: cut(t.bids),
                asks: cut(t.asks),
            }),
            Venue::GateioSpot | Venue::GateioFutures => {
                let market = gate_market(venue)?;
                let t = self.gate.as_ref()?.book(market, symbol)?.top(depth);
                Some(Truth {
                    update_id: t.update_id,
                    bids: levels(&t.bids),
                    asks: levels(&t.asks),
                })
            }
        }
    }

    /// Stops every book generator and automatic trading, so books stand still.
    pub fn pause(&self) {
        self.mexc.iter().for_each(|m| m.pause());
        self.gate.iter().for_each(|g| g.pause());
        self.futures.iter().for_each(|f| f.pause());
    }

    /// Starts the generators again.
    pub fn resume(&self) {
        self.mexc.iter().for_each(|m| m.resume());
        self.gate.iter().for_each(|g| g.resume());
        self.futures.iter().for_each(|f| f.resume());
    }

    /// Stops the simulator (see [`Simulator::shutdown`]).
    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }

    fn has(&self, venue: Venue) -> bool {
        self.venues.contains(&venue)
    }
}

/// Gate.io's market of `venue`, if it is a Gate.io venue.
fn gate_market(venue: Venue) -> Option<Market> {
    match venue {
        Venue::GateioSpot => Some(Market::Spot),
        Venue::GateioFutures => Some(Market::Futures),
        Venue::MexcSpot | Venue::MexcFutures => None,
    }
}

fn levels(side: &[(market_types::Decimal, market_types::Decimal)]) -> Vec<Level> {
    side.iter()
        .map(|(p, q)| Level {
            price: Price::new(*p),
            quantity: Quantity::new(*q),
        })
        .collect()
}
