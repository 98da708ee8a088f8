//! What the client's integration tests share: a simulated MEXC spot venue and a bounded
//! wait.

#![allow(dead_code, reason = "each test file uses its own part")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use exchange_sim::mexc::{MexcConfig, MexcVenue};
use exchange_sim::{SimConfig, Simulator};
use exchange_ws::{Venue, simulator_prefix};

/// The longest any single wait in these tests may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// The simulator serving one MEXC spot venue at the client's simulator paths.
pub async fn simulator(config: MexcConfig) -> (Simulator, Arc<MexcVenue>) {
    let mexc = Arc::new(MexcVenue::new(config).unwrap());
    let sim = Simulator::start(
        SimConfig::default().mount(simulator_prefix(Venue::MexcSpot), mexc.clone()),
    )
    .await
    .unwrap();
    (sim, mexc)
}

/// `f`, or a panic naming `what` after [`WAIT`].
pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}
