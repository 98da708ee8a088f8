//! Where the scenario mounts each venue: the same paths each venue's connector expects
//! of the simulator (its `SimulatorMount`), so a client pointed at the simulator's
//! address finds every venue.

use market_types::Venue;

/// The simulator paths of one venue: mounted at `prefix`, WebSocket at
/// `prefix + ws_path`, REST base at `prefix + rest_path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenuePaths {
    /// The mount (shared by Gate.io's two markets).
    pub prefix: &'static str,
    /// The WebSocket path below the mount.
    pub ws_path: &'static str,
    /// The REST base below the mount.
    pub rest_path: &'static str,
    /// The REST paths of this market below the mount (Gate.io's markets share a base).
    pub(crate) rest_scope: &'static str,
}

impl VenuePaths {
    /// The paths of `venue`.
    pub const fn of(venue: Venue) -> Self {
        match venue {
            Venue::MexcSpot => Self {
                prefix: "/mexc",
                ws_path: "/ws",
                rest_path: "",
                rest_scope: "/api",
            },
            Venue::MexcFutures => Self {
                prefix: "/mexc-futures",
                ws_path: "/edge",
                rest_path: "",
                rest_scope: "/api",
            },
            Venue::GateioSpot => Self {
                prefix: "/gateio",
                ws_path: "/ws/v4/",
                rest_path: "/api/v4",
                rest_scope: "/api/v4/spot",
            },
            Venue::GateioFutures => Self {
                prefix: "/gateio",
                ws_path: "/v4/ws/usdt",
                rest_path: "/api/v4",
                rest_scope: "/api/v4/futures",
            },
        }
    }

    /// The WebSocket path from the root.
    pub fn ws(self) -> String {
        format!("{}{}", self.prefix, self.ws_path)
    }

    /// The REST base path from the root.
    pub fn rest(self) -> String {
        format!("{}{}", self.prefix, self.rest_path)
    }

    /// The start of every REST path of this venue's market, from the root.
    pub(crate) fn rest_requests(self) -> String {
        format!("{}{}", self.prefix, self.rest_scope)
    }
}
