//! Shared helpers: the simulator in this process, the built `wsx` binary as a child.

#![allow(dead_code, reason = "each test file uses a subset")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use exchange_sim::gateio::{GateioSimConfig, GateioVenue};
use exchange_sim::mexc::{MexcConfig, MexcVenue};
use exchange_sim::{SimConfig, Simulator};
use serde_json::Value;
use tokio::process::{Child, Command};

/// The built binary.
pub const WSX: &str = env!("CARGO_BIN_EXE_wsx");

/// A simulator with the MEXC venue at `/mexc`.
pub struct MexcSim {
    pub sim: Simulator,
    pub venue: Arc<MexcVenue>,
}

impl MexcSim {
    pub async fn start() -> Self {
        Self::start_with(MexcConfig::default()).await
    }

    pub async fn start_with(config: MexcConfig) -> Self {
        let venue = Arc::new(MexcVenue::new(config).unwrap());
        let sim = Simulator::start(SimConfig::default().mount("/mexc", venue.clone()))
            .await
            .unwrap();
        Self { sim, venue }
    }

    pub fn ws_url(&self) -> String {
        self.sim.ws_url("/mexc/ws")
    }

    pub fn rest_url(&self) -> String {
        self.sim.http_url("/mexc")
    }
}

/// A simulator with the Gate.io venue at `/gateio`.
pub struct GateioSim {
    pub sim: Simulator,
    pub venue: Arc<GateioVenue>,
}

impl GateioSim {
    pub async fn start() -> Self {
        let venue = GateioVenue::new(GateioSimConfig::default());
        let sim = Simulator::start(SimConfig::default().mount("/gateio", venue.clone()))
            .await
            .unwrap();
        Self { sim, venue }
    }

    pub fn spot_ws_url(&self) -> String {
        self.sim.ws_url("/gateio/ws/v4/")
    }

    pub fn futures_ws_url(&self) -> String {
        self.sim.ws_url("/gateio/v4/ws/usdt")
    }

    /// Without `/api/v4`: wsx adds it.
    pub fn rest_url(&self) -> String {
        self.sim.http_url("/gateio")
    }
}

/// `wsx` with `args`, stdout and stderr captured, killed if the test ends first.
pub fn spawn(args: &[&str]) -> Child {
    Command::new(WSX)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// What a finished `wsx` printed.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not json: {l}: {e}")))
            .collect()
    }
}

/// Waits for the child, at most `limit`.
pub async fn finish(child: Child, limit: Duration) -> Output {
    let output = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .expect("wsx did not finish in time")
        .unwrap();
    Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `wsx` to completion.
pub async fn run(args: &[&str], limit: Duration) -> Output {
    finish(spawn(args), limit).await
}

/// `[["price","qty"],...]` as strings.
pub fn levels(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l[0].as_str().unwrap().to_string(),
                l[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The final `book` line of `symbol`.
pub fn final_book<'a>(lines: &'a [Value], symbol: &str) -> &'a Value {
    lines
        .iter()
        .rev()
        .find(|l| l["kind"] == "book" && l["symbol"] == symbol)
        .unwrap_or_else(|| panic!("no final book line for {symbol}"))
}
