//! Quick start: two venues in one client, against the embedded simulator (127.0.0.1 only,
//! offline, about five seconds).
//!
//! ```text
//! cargo run -p exchange-ws --example quickstart
//! ```
//!
//! Against a real venue, drop the simulator and the `.endpoints(..)` lines (production is
//! the default) and take account credentials from the environment with
//! `Credentials::from_env(Venue::MexcSpot)?`.

use std::sync::Arc;
use std::time::Duration;

use exchange_sim::gateio::{GateioSimConfig, GateioVenue};
use exchange_sim::mexc::{MexcConfig, MexcVenue, PrivateFlow};
use exchange_sim::{SimConfig, Simulator};
use exchange_ws::{Channel, Client, Credentials, Endpoints, EventBody, Venue, simulator_prefix};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The simulated venues: MEXC spot trades on its own account every 300 ms.
    let mexc = Arc::new(MexcVenue::new(MexcConfig {
        private_flow: PrivateFlow::Automatic {
            every: Duration::from_millis(300),
        },
        ..MexcConfig::default()
    })?);
    let gate = GateioVenue::new(GateioSimConfig::default());
    let mexc_key = Credentials::new(&mexc.config().api_key, &mexc.config().api_secret);
    let sim = Simulator::start(
        SimConfig::default()
            .mount(simulator_prefix(Venue::MexcSpot), mexc)
            .mount(simulator_prefix(Venue::GateioSpot), gate),
    )
    .await?;
    println!("simulator on {}", sim.addr());

    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT", "ETHUSDT"])
        .channels([
            Channel::Book,
            Channel::Trades,
            Channel::Orders,
            Channel::Fills,
        ])
        .levels(3)
        .credentials(mexc_key)
        .endpoints(Endpoints::Simulator(sim.addr()))
        .venue(Venue::GateioSpot)
        .symbols(["BTC_USDT"])
        .channels([Channel::Book, Channel::Ticker])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .connect()
        .await?;
    println!("connected to {:?}", client.venues());

    let mut events = client.events();
    let mut shown = 0;
    let _ = tokio::time::timeout(Duration::from_secs(4), async {
        while let Some(event) = events.next().await {
            // Book views come often; show one in fifty, and everything else.
            let show = match &event.body {
                EventBody::BookUpdate { .. } | EventBody::Ticker(_) => shown % 50 == 0,
                EventBody::Trade(_) => shown % 10 == 0,
                _ => true,
            };
            shown += 1;
            if show {
                println!("{}", event.to_json());
            }
        }
    })
    .await;

    for (venue, symbol) in [
        (Venue::MexcSpot, "BTCUSDT"),
        (Venue::GateioSpot, "BTC_USDT"),
    ] {
        let book = client.book(venue, symbol)?;
        let best = |level: Option<&exchange_ws::Level>| {
            level.map_or("-".to_string(), |l| format!("{} x {}", l.price, l.quantity))
        };
        println!(
            "{venue} {symbol}: {} with {} bids and {} asks, best {} / {}",
            book.status,
            book.bids.len(),
            book.asks.len(),
            best(book.bids.first()),
            best(book.asks.first())
        );
    }
    let stats = client.stats();
    println!(
        "{shown} events read; delivered {}, conflated {}",
        stats.delivery.delivered, stats.delivery.conflated
    );
    client.close().await;
    sim.shutdown().await;
    Ok(())
}
