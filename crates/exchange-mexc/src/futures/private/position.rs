//! Netting MEXC's position legs into the model's one signed position per contract.
//!
//! MEXC keeps a position per `positionId`: in hedge mode (`positionMode` 1) a contract
//! can hold a long (`positionType` 1) and a short (`positionType` 2) at once, and each
//! push names one of them. [`market_types::Position`] is one signed size per contract,
//! so both legs are remembered and every change is delivered as `long - short`. Entry
//! price, leverage and liquidation price are the open leg's; with both legs open they are
//! `None` (no single value describes both). Sizes are in contracts (see the contract's
//! size to convert).

use std::collections::HashMap;

use market_types::{Decimal, Position, Price, Symbol, Venue};

use super::error::FuturesPrivateError;

/// Which leg of a contract's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PositionSide {
    /// `positionType` 1.
    Long,
    /// `positionType` 2.
    Short,
}

impl PositionSide {
    /// From `positionType`.
    pub(crate) fn from_code(code: i64) -> Result<PositionSide, FuturesPrivateError> {
        match code {
            1 => Ok(PositionSide::Long),
            2 => Ok(PositionSide::Short),
            value => Err(FuturesPrivateError::UnknownCode {
                context: "position positionType",
                value,
            }),
        }
    }

    const fn index(self) -> usize {
        match self {
            PositionSide::Long => 0,
            PositionSide::Short => 1,
        }
    }
}

/// One leg as the venue last described it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionLeg {
    /// Contract.
    pub symbol: Symbol,
    /// Long or short.
    pub side: PositionSide,
    /// Contracts held (`holdVol`), zero once closed (`state` 3).
    pub volume: Decimal,
    /// `holdAvgPrice`, when positive.
    pub entry_price: Option<Price>,
    /// `leverage`, when positive (0 on some cross-margin answers).
    pub leverage: Option<Decimal>,
    /// `liquidatePrice`, when positive.
    pub liquidation_price: Option<Price>,
    /// `realised`.
    pub realised_pnl: Option<Decimal>,
    /// Venue time of this state (`updateTime`, else the push's `ts`).
    pub time_ms: u64,
}

/// The legs of every contract seen, bounded (see [`PositionLegs::new`]).
#[derive(Debug, Clone)]
pub struct PositionLegs {
    venue: Venue,
    legs: HashMap<Symbol, [Option<PositionLeg>; 2]>,
    limit: usize,
}

impl PositionLegs {
    /// Legs of at most `limit` contracts (flat contracts are forgotten first when full),
    /// delivered as positions of `venue`.
    pub fn new(venue: Venue, limit: usize) -> PositionLegs {
        PositionLegs {
            venue,
            legs: HashMap::new(),
            limit: limit.max(1),
        }
    }

    /// The venue positions are stamped with.
    pub fn venue(&self) -> Venue {
        self.venue
    }

    /// A leg from the stream: remembered, and the contract's net position returned.
    ///
    /// # Errors
    /// [`FuturesPrivateError::TooManyContracts`] when a new contract would exceed the
    /// bound and no flat one can be forgotten; an overflowing net size.
    pub fn apply(&mut self, leg: PositionLeg) -> Result<Position, FuturesPrivateError> {
        self.make_room(leg.symbol)?;
        let slots = self.legs.entry(leg.symbol).or_insert([None, None]);
        if let Some(slot) = slots.get_mut(leg.side.index()) {
            *slot = Some(leg);
        }
        self.net(leg.symbol).ok_or(FuturesPrivateError::Missing {
            context: "position",
        })?
    }

    /// A leg from REST, remembered unless the stream described it later. Returns whether
    /// it was taken.
    ///
    /// # Errors
    /// As [`Self::apply`].
    pub fn apply_if_newer(&mut self, leg: PositionLeg) -> Result<bool, FuturesPrivateError> {
        let newer = self
            .leg(leg.symbol, leg.side)
            .is_none_or(|known| known.time_ms <= leg.time_ms);
        if newer {
            self.apply(leg)?;
        }
        Ok(newer)
    }

    /// Marks open legs not in `listed` as closed, unless the stream described them after
    /// `as_of_ms` (venue time; REST lists only open positions). Returns the contracts
    /// changed.
    pub fn close_unlisted(
        &mut self,
        listed: &[(Symbol, PositionSide)],
        as_of_ms: u64,
    ) -> Vec<Symbol> {
        let mut changed = Vec::new();
        for (symbol, slots) in &mut self.legs {
            for leg in slots.iter_mut().flatten() {
                let open = !leg.volume.is_zero();
                if open && leg.time_ms <= as_of_ms && !listed.contains(&(*symbol, leg.side)) {
                    leg.volume = Decimal::ZERO;
                    leg.time_ms = leg.time_ms.max(as_of_ms);
                    if !changed.contains(symbol) {
                        changed.push(*symbol);
                    }
                }
            }
        }
        changed
    }

    /// One leg, when known.
    pub fn leg(&self, symbol: Symbol, side: PositionSide) -> Option<&PositionLeg> {
        self.legs.get(&symbol)?.get(side.index())?.as_ref()
    }

    /// The contract's net position, when any leg is known.
    ///
    /// # Errors
    /// A net size that overflows.
    pub fn net(&self, symbol: Symbol) -> Option<Result<Position, FuturesPrivateError>> {
        let [long, short] = self.legs.get(&symbol)?;
        let volume = |leg: &Option<PositionLeg>| leg.map_or(Decimal::ZERO, |l| l.volume);
        let size = match volume(long).checked_sub(volume(short)) {
            Some(size) => size,
            None => {
                return Some(Err(FuturesPrivateError::InvalidDecimal {
                    context: "net position size",
                    source: market_types::DecimalError::Overflow,
                }));
            }
        };
        let is_open = |leg: &Option<PositionLeg>| leg.is_some_and(|l| !l.volume.is_zero());
        let only = match (is_open(long), is_open(short)) {
            (true, false) => long.as_ref(),
            (false, true) => short.as_ref(),
            _ => None,
        };
        let realised_pnl = [long, short]
            .into_iter()
            .flatten()
            .filter_map(|l| l.realised_pnl)
            .try_fold(None, |sum: Option<Decimal>, r| match sum {
                None => Some(Some(r)),
                Some(s) => s.checked_add(r).map(Some),
            })
            .flatten();
        let time_ms = [long, short]
            .into_iter()
            .flatten()
            .map(|l| l.time_ms)
            .max()
            .unwrap_or(0);
        Some(Ok(Position {
            venue: self.venue,
            symbol,
            size,
            entry_price: only.and_then(|l| l.entry_price),
            leverage: only.and_then(|l| l.leverage),
            liquidation_price: only.and_then(|l| l.liquidation_price),
            realised_pnl,
            time_ms,
        }))
    }

    /// Forgets everything (a new account or a test).
    pub fn clear(&mut self) {
        self.legs.clear();
    }

    fn make_room(&mut self, symbol: Symbol) -> Result<(), FuturesPrivateError> {
        if self.legs.contains_key(&symbol) || self.legs.len() < self.limit {
            return Ok(());
        }
        let flat = self
            .legs
            .iter()
            .find(|(_, slots)| slots.iter().flatten().all(|l| l.volume.is_zero()))
            .map(|(s, _)| *s);
        match flat {
            Some(flat) => {
                self.legs.remove(&flat);
                Ok(())
            }
            None => Err(FuturesPrivateError::TooManyContracts { limit: self.limit }),
        }
    }
}
