//! The scenario's accounts, driven the same way on every venue: an order placed and
//! filled, the fills pushed since the last look, and the account's clock.

use market_types::{Decimal, Price, Quantity, Side, Venue};

use super::{Scenario, ScenarioError, gate_market};
use crate::gateio::{Market, PrivateRecord};
use crate::mexc::PrivatePush;
use crate::mexc_futures::{FuturesPrivate, OrderSide};

/// The spot order of one trading round: 0.02 at 100, filled in two halves. Resting far
/// from the touch, it never trades against the moving book.
const SPOT_PRICE: &str = "100";
const SPOT_AMOUNT: &str = "0.02";
const SPOT_HALF: &str = "0.01";
/// The futures order of one round, in contracts, filled in two halves, at the touch.
const CONTRACTS: u64 = 2;
const CONTRACTS_TEXT: &str = "2";
const HALF_CONTRACTS_TEXT: &str = "1";

impl Scenario {
    /// One trading round on `venue`'s account: an order on its first symbol, placed and
    /// filled completely in two halves, so the account pushes an order, two fills and
    /// balance (and position) changes. Even rounds buy (open long), odd rounds sell (close
    /// it), so balances and positions stay bounded. Returns the order id.
    pub fn trade(&self, venue: Venue, round: u64) -> Result<String, ScenarioError> {
        if !self.has(venue) {
            return Err(ScenarioError::NotStarted(venue));
        }
        let buy = round.is_multiple_of(2);
        let side = if buy { Side::Buy } else { Side::Sell };
        let refused = |reason: String| ScenarioError::Refused { venue, reason };
        let symbol = self
            .symbols(venue)
            .into_iter()
            .next()
            .ok_or_else(|| refused("no symbol".into()))?;
        let symbol = symbol.as_str();
        // The touch a futures order rests at: the best bid to buy, the best ask to sell.
        let touch = || -> Result<Price, ScenarioError> {
            let truth = self
                .truth(venue, symbol, 1)
                .ok_or_else(|| refused(format!("no book for {symbol}")))?;
            let level = if buy {
                truth.bids.first()
            } else {
                truth.asks.first()
            };
            level
                .map(|l| l.price)
                .ok_or_else(|| refused(format!("an empty book for {symbol}")))
        };
        match venue {
            Venue::MexcSpot => {
                let mexc = self.mexc.as_ref().ok_or(ScenarioError::NotStarted(venue))?;
                let id = mexc
                    .place_order(
                        symbol,
                        side,
                        Price::new(decimal(SPOT_PRICE)?),
                        Quantity::new(decimal(SPOT_AMOUNT)?),
                    )
                    .map_err(|e| refused(e.to_string()))?;
                for _ in 0..2 {
                    mexc.fill(&id, Quantity::new(decimal(SPOT_HALF)?))
                        .map_err(|e| refused(e.to_string()))?;
                }
                Ok(id)
            }
            Venue::MexcFutures => {
                let futures = self
                    .futures
                    .as_ref()
                    .ok_or(ScenarioError::NotStarted(venue))?;
                let side = if buy {
                    OrderSide::OpenLong
                } else {
                    OrderSide::CloseLong
                };
                let id = futures
                    .place_order(symbol, side, touch()?, CONTRACTS)
                    .map_err(|e| refused(e.to_string()))?;
                for _ in 0..2 {
                    futures
                        .fill(&id, CONTRACTS / 2)
                        .map_err(|e| refused(e.to_string()))?;
                }
                Ok(id)
            }
            Venue::GateioSpot | Venue::GateioFutures => {
                let gate = self.gate.as_ref().ok_or(ScenarioError::NotStarted(venue))?;
                let market = gate_market(venue).ok_or(ScenarioError::NotStarted(venue))?;
                let (price, amount, half) = match market {
                    Market::Spot => (
                        decimal(SPOT_PRICE)?,
                        decimal(SPOT_AMOUNT)?,
                        decimal(SPOT_HALF)?,
                    ),
                    Market::Futures => (
                        Decimal::from(touch()?),
                        decimal(CONTRACTS_TEXT)?,
                        decimal(HALF_CONTRACTS_TEXT)?,
                    ),
                };
                let id = gate
                    .place_order(market, symbol, side, price, amount)
                    .map_err(|e| refused(e.to_string()))?;
                for _ in 0..2 {
                    gate.fill(id, half).map_err(|e| refused(e.to_string()))?;
                }
                Ok(id.to_string())
            }
        }
    }

    /// The trade ids of the fills each venue's account pushed since the last call, in
    /// order, by venue in [`Scenario::venues`] order. The simulator forgets them, and its
    /// closed orders and fill history, as it hands them over, so its records stay bounded.
    pub fn take_fill_ids(&self) -> Vec<(Venue, Vec<String>)> {
        let mut mexc: Vec<String> = self
            .mexc
            .iter()
            .flat_map(|m| m.take_private_events())
            .filter_map(|e| match e.push {
                PrivatePush::Deal(deal) => Some(deal.trade_id),
                _ => None,
            })
            .collect();
        let mut futures: Vec<String> = self
            .futures
            .iter()
            .flat_map(|f| f.take_private_events())
            .filter_map(|e| match e.push {
                FuturesPrivate::Deal(deal) => Some(deal.id.to_string()),
                _ => None,
            })
            .collect();
        let (mut gate_spot, mut gate_futures) = (Vec::new(), Vec::new());
        for record in self.gate.iter().flat_map(|g| g.take_private_events()) {
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
        self.venues
            .iter()
            .map(|&venue| {
                let ids = match venue {
                    Venue::MexcSpot => std::mem::take(&mut mexc),
                    Venue::MexcFutures => std::mem::take(&mut futures),
                    Venue::GateioSpot => std::mem::take(&mut gate_spot),
                    Venue::GateioFutures => std::mem::take(&mut gate_futures),
                };
                (venue, ids)
            })
            .collect()
    }

    /// Runs every venue clock that signed requests are checked against `offset_ms`
    /// ahead of the real one (negative: behind); 0 puts them back. MEXC futures has no
    /// such check.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.mexc
            .iter()
            .for_each(|m| m.set_clock_offset_ms(offset_ms));
        self.gate
            .iter()
            .for_each(|g| g.set_clock_offset_ms(offset_ms));
    }

    /// Takes back every fault that lasts: clock offsets, and pending accept and REST
    /// faults (book faults are one-shot and need no clearing).
    pub fn clear_faults(&self) {
        self.set_clock_offset_ms(0);
        self.sim
            .set_accept_fault(crate::fault::AcceptFault::Refuse, 0);
        self.sim
            .set_http_fault(crate::fault::HttpFault::Slow(std::time::Duration::ZERO), 0);
    }
}

fn decimal(text: &str) -> Result<Decimal, ScenarioError> {
    text.parse().map_err(|e| ScenarioError::Refused {
        venue: Venue::MexcSpot,
        reason: format!("bad decimal {text}: {e:?}"),
    })
}
