//! The simulated venues (MEXC spot and futures, Gate.io spot and futures on one embedded
//! simulator on 127.0.0.1), the client that streams all of them, their truth, and the
//! account the soak trades on.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use exchange_sim::gateio::{GateioSimConfig, GateioVenue, Market, PrivateRecord};
use exchange_sim::mexc::{MexcConfig, MexcVenue, PrivatePush};
use exchange_sim::mexc_futures::{FuturesPrivate, MexcFuturesConfig, MexcFuturesVenue, OrderSide};
use exchange_sim::{SimConfig, Simulator};
use exchange_ws::{
    BookLine, Channel, Client, Credentials, Endpoints, Venue, VenueStreams, simulator_prefix,
};
use market_types::{Decimal, Level, Price, Quantity, Side};

/// Every venue the soak runs, in a fixed order.
pub const VENUES: [Venue; 4] = [
    Venue::MexcSpot,
    Venue::MexcFutures,
    Venue::GateioSpot,
    Venue::GateioFutures,
];

/// The simulator and its venues.
pub struct Sim {
    pub sim: Simulator,
    pub mexc: Arc<MexcVenue>,
    pub gate: Arc<GateioVenue>,
    pub futures: Arc<MexcFuturesVenue>,
    futures_key: (String, String),
    futures_contracts: Vec<String>,
}

/// An order the soak placed and filled completely.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Placed {
    pub venue: Venue,
    pub order_id: String,
}

impl Sim {
    /// Starts every venue, generators running, no automatic trading (the soak trades).
    pub async fn start() -> Result<Self> {
        let mexc =
            Arc::new(MexcVenue::new(MexcConfig::default()).context("cannot configure MEXC spot")?);
        let gate = GateioVenue::new(GateioSimConfig::default());
        let futures_config = MexcFuturesConfig::default();
        let futures_key = (
            futures_config.api_key.clone(),
            futures_config.api_secret.clone(),
        );
        let futures_contracts = futures_config
            .contracts
            .iter()
            .map(|c| c.book.symbol.to_string())
            .collect();
        let futures = Arc::new(
            MexcFuturesVenue::new(futures_config).context("cannot configure MEXC futures")?,
        );
        let sim = Simulator::start(
            SimConfig::default()
                .mount(simulator_prefix(Venue::MexcSpot), mexc.clone())
                .mount(simulator_prefix(Venue::GateioSpot), gate.clone())
                .mount(simulator_prefix(Venue::MexcFutures), futures.clone()),
        )
        .await
        .context("could not start the embedded simulator on 127.0.0.1")?;
        Ok(Self {
            sim,
            mexc,
            gate,
            futures,
            futures_key,
            futures_contracts,
        })
    }

    /// The symbols of `venue`, spelled its way.
    pub fn symbols(&self, venue: Venue) -> Vec<String> {
        if venue == Venue::MexcSpot {
            self.mexc
                .config()
                .symbols
                .iter()
                .map(|s| s.symbol.to_string())
                .collect()
        } else if venue == Venue::MexcFutures {
            self.futures_contracts.clone()
        } else if venue == Venue::GateioSpot {
            self.gate.config().spot_symbols.clone()
        } else {
            self.gate.config().futures_contracts.clone()
        }
    }

    /// A client streaming books and account channels of every venue from the simulator,
    /// as a user builds one.
    pub async fn client(&self) -> Result<Client> {
        let mut builder = Client::builder();
        for venue in VENUES {
            let (key, secret) = if venue == Venue::MexcSpot {
                (
                    self.mexc.config().api_key.clone(),
                    self.mexc.config().api_secret.clone(),
                )
            } else if venue == Venue::MexcFutures {
                self.futures_key.clone()
            } else {
                (
                    self.gate.config().api_key.clone(),
                    self.gate.config().api_secret.clone(),
                )
            };
            let mut channels = vec![
                Channel::Book,
                Channel::Trades,
                Channel::Orders,
                Channel::Fills,
                Channel::Balances,
            ];
            if matches!(venue, Venue::MexcFutures | Venue::GateioFutures) {
                channels.push(Channel::Positions);
            }
            builder = builder.add_venue(VenueStreams {
                symbols: self.symbols(venue),
                channels,
                credentials: Some(Credentials::new(key, secret)),
                endpoints: Endpoints::Simulator(self.sim.addr()),
                ..VenueStreams::new(venue)
            });
        }
        builder
            .connect()
            .await
            .context("the client did not connect")
    }

    /// Stops every generator (books and the soak's trading stand still).
    pub fn pause(&self) {
        self.mexc.pause();
        self.gate.pause();
        self.futures.pause();
    }

    pub fn resume(&self) {
        self.mexc.resume();
        self.gate.resume();
        self.futures.resume();
    }

    /// Why the local book of `symbol` on `venue` differs from the simulator's truth, if it
    /// does.
    pub fn book_differs(&self, venue: Venue, local: &BookLine) -> Option<String> {
        let symbol = local.symbol.as_str();
        let truth: Option<(Vec<Level>, Vec<Level>)> = if venue == Venue::MexcSpot {
            self.mexc.book(symbol).map(|t| (t.bids, t.asks))
        } else if venue == Venue::MexcFutures {
            self.futures.book(symbol).map(|t| (t.bids, t.asks))
        } else {
            let market = if venue == Venue::GateioSpot {
                Market::Spot
            } else {
                Market::Futures
            };
            // The local book holds the subscribed depth; compare that many levels.
            let depth = local.bids.len().max(local.asks.len()).max(20);
            self.gate.book(market, symbol).map(|t| {
                let t = t.top(depth);
                (levels(&t.bids), levels(&t.asks))
            })
        };
        match truth {
            None => Some(format!("{venue} {symbol}: the simulator has no such book")),
            Some((bids, asks))
                if local.status.is_live() && bids == local.bids && asks == local.asks =>
            {
                None
            }
            Some((bids, asks)) => Some(format!(
                "{venue} {symbol}: local book ({}, update {}, {}x{} levels) differs from the \
                 truth ({}x{} levels)",
                local.status,
                local.update_id,
                local.bids.len(),
                local.asks.len(),
                bids.len(),
                asks.len()
            )),
        }
    }

    /// One trading round on `venue`: an order placed and filled in two halves. `round`
    /// alternates the side so balances and positions stay bounded.
    pub fn trade(&self, venue: Venue, round: u64) -> Result<Placed> {
        let buy = round.is_multiple_of(2);
        let order_id = if venue == Venue::MexcSpot {
            let side = if buy { Side::Buy } else { Side::Sell };
            let id = self
                .mexc
                .place_order("BTCUSDT", side, price("100")?, quantity("0.02")?)
                .map_err(|e| anyhow!("{e}"))?;
            for _ in 0..2 {
                self.mexc
                    .fill(&id, quantity("0.01")?)
                    .map_err(|e| anyhow!("{e}"))?;
            }
            id
        } else if venue == Venue::MexcFutures {
            let symbol = self
                .symbols(venue)
                .into_iter()
                .next()
                .context("no futures contract")?;
            let truth = self.futures.book(&symbol).context("no futures book")?;
            let touch = if buy {
                truth.bids.first()
            } else {
                truth.asks.first()
            };
            let at = touch.context("an empty futures book")?.price;
            let side = if buy {
                OrderSide::OpenLong
            } else {
                OrderSide::CloseLong
            };
            let id = self
                .futures
                .place_order(&symbol, side, at, 2)
                .map_err(|e| anyhow!("{e}"))?;
            for _ in 0..2 {
                self.futures.fill(&id, 1).map_err(|e| anyhow!("{e}"))?;
            }
            id
        } else {
            let (market, symbol, at, amount, half) = if venue == Venue::GateioSpot {
                let symbol = self.gate.config().spot_symbols.first().cloned();
                (Market::Spot, symbol, decimal("100")?, "0.02", "0.01")
            } else {
                let symbol = self.gate.config().futures_contracts.first().cloned();
                let symbol = symbol.context("no Gate.io contract")?;
                let truth = self
                    .gate
                    .book(Market::Futures, &symbol)
                    .context("no Gate.io futures book")?;
                let touch = if buy {
                    truth.bids.first()
                } else {
                    truth.asks.first()
                };
                let at = touch.context("an empty Gate.io futures book")?.0;
                (Market::Futures, Some(symbol), at, "2", "1")
            };
            let symbol = symbol.context("no Gate.io symbol")?;
            let side = if buy { Side::Buy } else { Side::Sell };
            let id = self
                .gate
                .place_order(market, &symbol, side, at, decimal(amount)?)
                .map_err(|e| anyhow!("{e}"))?;
            for _ in 0..2 {
                self.gate
                    .fill(id, decimal(half)?)
                    .map_err(|e| anyhow!("{e}"))?;
            }
            id.to_string()
        };
        Ok(Placed { venue, order_id })
    }

    /// The trade ids of the fills the simulator pushed on each venue since the last call,
    /// in order, by venue in [`VENUES`] order. The simulator forgets them, and its closed
    /// orders and fill history, as it hands them over: its records stay bounded, so the
    /// memory measured is the client's.
    pub fn take_fill_ids(&self) -> Vec<(Venue, Vec<String>)> {
        let mut mexc: Vec<String> = self
            .mexc
            .take_private_events()
            .into_iter()
            .filter_map(|e| match e.push {
                PrivatePush::Deal(deal) => Some(deal.trade_id),
                _ => None,
            })
            .collect();
        let mut futures: Vec<String> = self
            .futures
            .take_private_events()
            .into_iter()
            .filter_map(|e| match e.push {
                FuturesPrivate::Deal(deal) => Some(deal.id.to_string()),
                _ => None,
            })
            .collect();
        let (mut gate_spot, mut gate_futures) = (Vec::new(), Vec::new());
        for record in self.gate.take_private_events() {
            if let PrivateRecord::Trade {
                market, trade_id, ..
            } = record
            {
                match market {
                    Market::Spot => gate_spot.push(trade_id.to_string()),
                    Market::Futures => gate_futures.push(trade_id.to_string()),
                }
            }
        }
        VENUES
            .iter()
            .map(|venue| {
                let ids = if *venue == Venue::MexcSpot {
                    std::mem::take(&mut mexc)
                } else if *venue == Venue::MexcFutures {
                    std::mem::take(&mut futures)
                } else if *venue == Venue::GateioSpot {
                    std::mem::take(&mut gate_spot)
                } else {
                    std::mem::take(&mut gate_futures)
                };
                (*venue, ids)
            })
            .collect()
    }
}

fn levels(side: &[(Decimal, Decimal)]) -> Vec<Level> {
    side.iter()
        .map(|(p, q)| Level {
            price: Price::new(*p),
            quantity: Quantity::new(*q),
        })
        .collect()
}

fn decimal(s: &str) -> Result<Decimal> {
    s.parse().map_err(|e| anyhow!("bad decimal {s}: {e:?}"))
}

fn price(s: &str) -> Result<Price> {
    Ok(Price::new(decimal(s)?))
}

fn quantity(s: &str) -> Result<Quantity> {
    Ok(Quantity::new(decimal(s)?))
}
