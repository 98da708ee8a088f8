//! The simulated user's orders, balances and positions, and the ledger of every private
//! event the venue produced.
//!
//! The test drives the lifecycle (place, fill, cancel); each call changes the state and
//! returns the private events to push, already recorded in the ledger. Fills are maker
//! fills at the order's price, so an order's average price is its price.

use std::collections::BTreeMap;

use market_types::{Decimal, Side};

use super::config::Market;

/// An order id given out by [`GateioVenue::place_order`](super::GateioVenue::place_order);
/// unique across both markets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SimOrderId(pub u64);

impl std::fmt::Display for SimOrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

/// What happened to an order, as in `spot.orders` `event` (spec §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// Created (`put`; futures `status: open`, `finish_as: _new`).
    Put,
    /// Partly filled (`update`; futures `finish_as: _update`).
    Update,
    /// Closed: filled or cancelled (`finish`; futures `status: finished`).
    Finish,
}

/// Why an order is closed, or that it is not (`finish_as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FinishAs {
    /// Still open.
    Open,
    /// Completely filled.
    Filled,
    /// Cancelled with some size left.
    Cancelled,
}

impl FinishAs {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Filled => "filled",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One private event the venue produced: exactly one push on the named channel to every
/// subscribed, authenticated connection (one element in the push's `result` array).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PrivateRecord {
    /// `spot.orders` / `futures.orders`.
    Order {
        /// Which market's channel.
        market: Market,
        /// The order.
        order_id: SimOrderId,
        /// Currency pair or contract.
        symbol: String,
        /// What happened.
        event: OrderEvent,
        /// Closed how, if closed.
        finish_as: FinishAs,
        /// Buy or sell (futures: the sign of `size`).
        side: Side,
        /// Limit price.
        price: Decimal,
        /// Original amount (futures: absolute size).
        amount: Decimal,
        /// Amount not filled yet (absolute).
        left: Decimal,
        /// Amount filled so far (absolute).
        filled: Decimal,
    },
    /// `spot.usertrades` / `futures.usertrades`.
    Trade {
        /// Which market's channel.
        market: Market,
        /// The trade id, unique across the venue (public trades too).
        trade_id: u64,
        /// The order that filled.
        order_id: SimOrderId,
        /// Currency pair or contract.
        symbol: String,
        /// The order's side.
        side: Side,
        /// Fill price.
        price: Decimal,
        /// Fill amount (absolute).
        amount: Decimal,
        /// Fee charged (in the quote currency; futures in USDT).
        fee: Decimal,
    },
    /// `spot.balances` / `futures.balances`.
    Balance {
        /// Which market's channel.
        market: Market,
        /// Currency as pushed (`"USDT"` for spot, `"usdt"` for futures).
        currency: String,
        /// Change of the total.
        change: Decimal,
        /// Total afterwards.
        total: Decimal,
        /// Available afterwards.
        available: Decimal,
        /// Locked (spot `freeze`) afterwards.
        locked: Decimal,
        /// Change of the locked part.
        locked_change: Decimal,
        /// Spot `change_type` / futures `type`.
        reason: &'static str,
    },
    /// `futures.positions`.
    Position {
        /// The contract.
        contract: String,
        /// Signed size afterwards (positive long).
        size: Decimal,
        /// Average entry price afterwards (0 when flat); a float on the wire too.
        entry_price: f64,
        /// The position's update counter.
        update_id: u64,
    },
}

impl PrivateRecord {
    /// The channel the record was pushed on, e.g. `"spot.orders"`.
    pub fn channel(&self) -> &'static str {
        match self {
            Self::Order { market, .. } => PrivateChannel::Orders.name(*market),
            Self::Trade { market, .. } => PrivateChannel::UserTrades.name(*market),
            Self::Balance { market, .. } => PrivateChannel::Balances.name(*market),
            Self::Position { .. } => PrivateChannel::Positions.name(Market::Futures),
        }
    }

    /// The market whose connections got the push.
    pub fn market(&self) -> Market {
        match self {
            Self::Order { market, .. }
            | Self::Trade { market, .. }
            | Self::Balance { market, .. } => *market,
            Self::Position { .. } => Market::Futures,
        }
    }

    /// The pair or contract the record is about; `None` for balances.
    pub fn symbol(&self) -> Option<&str> {
        match self {
            Self::Order { symbol, .. } | Self::Trade { symbol, .. } => Some(symbol),
            Self::Position { contract, .. } => Some(contract),
            Self::Balance { .. } => None,
        }
    }
}

/// The private channels (spec §3.7, §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum PrivateChannel {
    Orders,
    UserTrades,
    Balances,
    Positions,
}

impl PrivateChannel {
    pub(crate) fn name(self, market: Market) -> &'static str {
        match (market, self) {
            (Market::Spot, Self::Orders) => "spot.orders",
            (Market::Spot, Self::UserTrades) => "spot.usertrades",
            (Market::Spot, Self::Balances) => "spot.balances",
            (Market::Spot, Self::Positions) => "spot.positions",
            (Market::Futures, Self::Orders) => "futures.orders",
            (Market::Futures, Self::UserTrades) => "futures.usertrades",
            (Market::Futures, Self::Balances) => "futures.balances",
            (Market::Futures, Self::Positions) => "futures.positions",
        }
    }
}

/// Why a private call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GateioSimError {
    /// The market does not serve this symbol.
    #[error("{market} does not serve {symbol}")]
    UnknownSymbol {
        /// The market asked for.
        market: Market,
        /// The symbol asked for.
        symbol: String,
    },
    /// No order has this id.
    #[error("no order {0}")]
    UnknownOrder(SimOrderId),
    /// The order is filled or cancelled already.
    #[error("order {0} is closed")]
    OrderClosed(SimOrderId),
    /// A price or amount that is not positive, off the size grid, or (for a fill) more
    /// than what is left.
    #[error("invalid amount or price: {0}")]
    InvalidAmount(&'static str),
    /// Not enough available balance to lock for a spot order.
    #[error("insufficient {currency} balance")]
    InsufficientBalance {
        /// The currency that is short.
        currency: String,
    },
    /// A value left the fixed-point range.
    #[error("arithmetic overflow")]
    Overflow,
}

/// A snapshot of one order, from [`GateioVenue::order`](super::GateioVenue::order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    /// The id.
    pub id: SimOrderId,
    /// Which market.
    pub market: Market,
    /// Currency pair or contract.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Limit price.
    pub price: Decimal,
    /// Original amount (absolute).
    pub amount: Decimal,
    /// Filled so far (absolute).
    pub filled: Decimal,
    /// Open, filled or cancelled.
    pub finish_as: FinishAs,
    /// The client text (`t-...`).
    pub text: String,
    /// Creation time, ms.
    pub create_time_ms: i64,
    /// Last change, ms.
    pub update_time_ms: i64,
    /// Bumped at every change (futures `update_id`).
    pub update_id: u64,
}

impl OrderState {
    /// Amount not filled yet.
    pub fn left(&self) -> Decimal {
        self.amount
            .checked_sub(self.filled)
            .unwrap_or(Decimal::ZERO)
    }

    /// Whether it can still fill.
    pub fn is_open(&self) -> bool {
        self.finish_as == FinishAs::Open
    }
}

/// A spot currency's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpotBalance {
    /// Free to use.
    pub available: Decimal,
    /// Locked by open orders.
    pub locked: Decimal,
}

impl SpotBalance {
    /// Available plus locked.
    pub fn total(&self) -> Decimal {
        self.available
            .checked_add(self.locked)
            .unwrap_or(Decimal::MAX)
    }
}

/// A futures position.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FuturesPosition {
    /// Signed size in contracts, positive long.
    pub size: Decimal,
    /// Average entry price (0 when flat).
    pub entry_price: f64,
    /// Bumped at every change.
    pub update_id: u64,
    /// Last change, ms.
    pub time_ms: i64,
}

/// One fill of the simulated user, kept for the REST trade history
/// (`GET /spot/my_trades`, `GET /futures/usdt/my_trades_timerange`); the same id and time
/// as its `*.usertrades` push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserTrade {
    pub(crate) trade_id: u64,
    pub(crate) market: Market,
    pub(crate) order_id: SimOrderId,
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) price: Decimal,
    /// Absolute amount (futures: contracts).
    pub(crate) amount: Decimal,
    pub(crate) fee: Decimal,
    /// Futures: the part of the fill that reduced an opposite position, signed like the
    /// fill (`close_size`); zero for spot.
    pub(crate) close_size: Decimal,
    /// The order's `text`.
    pub(crate) text: String,
    pub(crate) time_ms: i64,
}

/// The simulated user's whole private state.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    next_order_id: u64,
    pub(crate) orders: BTreeMap<SimOrderId, OrderState>,
    /// Every fill, oldest first.
    pub(crate) trades: Vec<UserTrade>,
    pub(crate) spot: BTreeMap<String, SpotBalance>,
    pub(crate) futures_balance: Decimal,
    pub(crate) positions: BTreeMap<String, FuturesPosition>,
    pub(crate) ledger: Vec<PrivateRecord>,
}

impl Account {
    /// Every currency of `spot_pairs` starts with [`START_BALANCE`] available, the futures
    /// account with [`START_BALANCE`] USDT, every position flat.
    pub(crate) fn new(spot_pairs: &[String], contracts: &[String]) -> Self {
        let start = Decimal::from_parts(START_BALANCE, 0).unwrap_or(Decimal::ZERO);
        let spot = spot_pairs
            .iter()
            .flat_map(|pair| pair.split('_'))
            .map(|currency| {
                (
                    currency.to_owned(),
                    SpotBalance {
                        available: start,
                        locked: Decimal::ZERO,
                    },
                )
            })
            .collect();
        let positions = contracts
            .iter()
            .map(|contract| (contract.clone(), FuturesPosition::default()))
            .collect();
        Self {
            next_order_id: FIRST_ORDER_ID,
            orders: BTreeMap::new(),
            trades: Vec::new(),
            spot,
            futures_balance: start,
            positions,
            ledger: Vec::new(),
        }
    }

    /// Hands the ledger over and forgets closed orders and the fill history, so a long
    /// run that reads them now and then keeps the simulator's records bounded. Open
    /// orders, balances and positions stay.
    pub(crate) fn take_history(&mut self) -> Vec<PrivateRecord> {
        self.orders.retain(|_, order| order.is_open());
        self.trades = Vec::new();
        std::mem::take(&mut self.ledger)
    }

    /// Opens an order; returns its id and the records to push (already in the ledger).
    pub(crate) fn place(
        &mut self,
        market: Market,
        symbol: &str,
        side: Side,
        price: Decimal,
        amount: Decimal,
        now_ms: i64,
    ) -> Result<(SimOrderId, Vec<PrivateRecord>), GateioSimError> {
        if !price.is_positive() || !amount.is_positive() {
            return Err(GateioSimError::InvalidAmount(
                "price and amount must be positive",
            ));
        }
        let id = SimOrderId(self.next_order_id);
        let order = OrderState {
            id,
            market,
            symbol: symbol.to_owned(),
            side,
            price,
            amount,
            filled: Decimal::ZERO,
            finish_as: FinishAs::Open,
            text: format!("t-sim{}", id.0),
            create_time_ms: now_ms,
            update_time_ms: now_ms,
            update_id: 1,
        };
        let mut records = Vec::new();
        if market == Market::Spot {
            let (currency, locked) = locked_part(&order, amount)?;
            records.push(self.spot_change(&currency, Decimal::ZERO, locked, "order-create")?);
        }
        self.next_order_id += 1;
        records.insert(0, order_record(&order, OrderEvent::Put));
        self.orders.insert(id, order);
        self.ledger.extend(records.iter().cloned());
        Ok((id, records))
    }

    /// Fills `amount` of an open order at its price as trade `trade_id`.
    pub(crate) fn fill(
        &mut self,
        id: SimOrderId,
        amount: Decimal,
        trade_id: u64,
        now_ms: i64,
    ) -> Result<Vec<PrivateRecord>, GateioSimError> {
        let order = self.open_order(id)?.clone();
        if !amount.is_positive() || amount > order.left() {
            return Err(GateioSimError::InvalidAmount(
                "fill must be positive and at most left",
            ));
        }
        let filled = order
            .filled
            .checked_add(amount)
            .ok_or(GateioSimError::Overflow)?;
        let quote = order
            .price
            .checked_mul(amount)
            .ok_or(GateioSimError::Overflow)?;
        let fee = match order.market {
            Market::Spot => Decimal::ZERO,
            Market::Futures => quote
                .checked_mul(FUTURES_FEE_RATE)
                .ok_or(GateioSimError::Overflow)?,
        };
        let mut records = Vec::new();
        let mut updated = order.clone();
        updated.filled = filled;
        updated.update_time_ms = now_ms;
        updated.update_id += 1;
        let done = updated.left().is_zero();
        if done {
            updated.finish_as = FinishAs::Filled;
        }
        records.push(order_record(
            &updated,
            if done {
                OrderEvent::Finish
            } else {
                OrderEvent::Update
            },
        ));
        records.push(PrivateRecord::Trade {
            market: order.market,
            trade_id,
            order_id: id,
            symbol: order.symbol.clone(),
            side: order.side,
            price: order.price,
            amount,
            fee,
        });
        let close_size = match order.market {
            Market::Spot => Decimal::ZERO,
            Market::Futures => self.closed_part(&order, amount),
        };
        match order.market {
            Market::Spot => {
                let (base, quote_ccy) = split_pair(&order.symbol);
                let (locked_ccy, locked) = locked_part(&order, amount)?;
                let (gain_ccy, gain) = match order.side {
                    Side::Buy => (base, amount),
                    Side::Sell => (quote_ccy, quote),
                };
                records.push(self.spot_change(
                    &locked_ccy,
                    locked.neg(),
                    locked.neg(),
                    "order-match",
                )?);
                records.push(self.spot_change(gain_ccy, gain, Decimal::ZERO, "order-match")?);
            }
            Market::Futures => {
                self.futures_balance = self
                    .futures_balance
                    .checked_sub(fee)
                    .ok_or(GateioSimError::Overflow)?;
                records.push(PrivateRecord::Balance {
                    market: Market::Futures,
                    currency: "usdt".to_owned(),
                    change: fee.neg(),
                    total: self.futures_balance,
                    available: self.futures_balance,
                    locked: Decimal::ZERO,
                    locked_change: Decimal::ZERO,
                    reason: "fee",
                });
                records.push(self.move_position(&order, amount, now_ms)?);
            }
        }
        self.orders.insert(id, updated);
        self.trades.push(UserTrade {
            trade_id,
            market: order.market,
            order_id: id,
            symbol: order.symbol.clone(),
            side: order.side,
            price: order.price,
            amount,
            fee,
            close_size,
            text: order.text.clone(),
            time_ms: now_ms,
        });
        self.ledger.extend(records.iter().cloned());
        Ok(records)
    }

    /// The trade with this id.
    pub(crate) fn trade(&self, trade_id: u64) -> Option<&UserTrade> {
        self.trades.iter().rev().find(|t| t.trade_id == trade_id)
    }

    /// How much of a futures fill of `amount` closes the opposite position it meets,
    /// signed like the fill.
    fn closed_part(&self, order: &OrderState, amount: Decimal) -> Decimal {
        let held = self
            .positions
            .get(&order.symbol)
            .map_or(Decimal::ZERO, |p| p.size);
        let opposite = match order.side {
            Side::Buy => held.is_negative(),
            Side::Sell => held.is_positive(),
        };
        if !opposite {
            return Decimal::ZERO;
        }
        let closed = held.abs().min(amount);
        match order.side {
            Side::Buy => closed,
            Side::Sell => closed.neg(),
        }
    }

    /// Cancels an open order, unlocking what is left.
    pub(crate) fn cancel(
        &mut self,
        id: SimOrderId,
        now_ms: i64,
    ) -> Result<Vec<PrivateRecord>, GateioSimError> {
        let order = self.open_order(id)?.clone();
        let mut updated = order.clone();
        updated.finish_as = FinishAs::Cancelled;
        updated.update_time_ms = now_ms;
        updated.update_id += 1;
        let mut records = vec![order_record(&updated, OrderEvent::Finish)];
        if order.market == Market::Spot {
            let (currency, locked) = locked_part(&order, order.left())?;
            records.push(self.spot_change(
                &currency,
                Decimal::ZERO,
                locked.neg(),
                "order-update",
            )?);
        }
        self.orders.insert(id, updated);
        self.ledger.extend(records.iter().cloned());
        Ok(records)
    }

    fn open_order(&self, id: SimOrderId) -> Result<&OrderState, GateioSimError> {
        let order = self
            .orders
            .get(&id)
            .ok_or(GateioSimError::UnknownOrder(id))?;
        if order.is_open() {
            Ok(order)
        } else {
            Err(GateioSimError::OrderClosed(id))
        }
    }

    /// Changes a spot balance's total by `change` and its locked part by `locked_change`
    /// (available moves by the difference); refuses to go negative.
    fn spot_change(
        &mut self,
        currency: &str,
        change: Decimal,
        locked_change: Decimal,
        reason: &'static str,
    ) -> Result<PrivateRecord, GateioSimError> {
        let balance = self.spot.entry(currency.to_owned()).or_default();
        let available_change = change
            .checked_sub(locked_change)
            .ok_or(GateioSimError::Overflow)?;
        let available = balance
            .available
            .checked_add(available_change)
            .ok_or(GateioSimError::Overflow)?;
        let locked = balance
            .locked
            .checked_add(locked_change)
            .ok_or(GateioSimError::Overflow)?;
        if available.is_negative() || locked.is_negative() {
            return Err(GateioSimError::InsufficientBalance {
                currency: currency.to_owned(),
            });
        }
        *balance = SpotBalance { available, locked };
        Ok(PrivateRecord::Balance {
            market: Market::Spot,
            currency: currency.to_owned(),
            change,
            total: balance.total(),
            available,
            locked,
            locked_change,
            reason,
        })
    }

    fn move_position(
        &mut self,
        order: &OrderState,
        amount: Decimal,
        now_ms: i64,
    ) -> Result<PrivateRecord, GateioSimError> {
        let position = self.positions.entry(order.symbol.clone()).or_default();
        let signed = match order.side {
            Side::Buy => amount,
            Side::Sell => amount.neg(),
        };
        let size = position
            .size
            .checked_add(signed)
            .ok_or(GateioSimError::Overflow)?;
        let (old, new, fill) = (position.size.to_f64(), size.to_f64(), signed.to_f64());
        position.entry_price = if size.is_zero() {
            0.0
        } else if old == 0.0 || (old < 0.0) != (new < 0.0) {
            order.price.to_f64()
        } else if (old < 0.0) == (fill < 0.0) {
            // Growing: the size-weighted average of the old entry and this fill.
            (position.entry_price * old + order.price.to_f64() * fill) / new
        } else {
            position.entry_price
        };
        position.size = size;
        position.update_id += 1;
        position.time_ms = now_ms;
        Ok(PrivateRecord::Position {
            contract: order.symbol.clone(),
            size,
            entry_price: position.entry_price,
            update_id: position.update_id,
        })
    }
}

/// The record of an order's current state.
fn order_record(order: &OrderState, event: OrderEvent) -> PrivateRecord {
    PrivateRecord::Order {
        market: order.market,
        order_id: order.id,
        symbol: order.symbol.clone(),
        event,
        finish_as: order.finish_as,
        side: order.side,
        price: order.price,
        amount: order.amount,
        left: order.left(),
        filled: order.filled,
    }
}

/// Which spot currency an order locks for `amount` of it, and how much.
fn locked_part(order: &OrderState, amount: Decimal) -> Result<(String, Decimal), GateioSimError> {
    let (base, quote) = split_pair(&order.symbol);
    match order.side {
        Side::Buy => Ok((
            quote.to_owned(),
            order
                .price
                .checked_mul(amount)
                .ok_or(GateioSimError::Overflow)?,
        )),
        Side::Sell => Ok((base.to_owned(), amount)),
    }
}

/// `"BTC_USDT"` → `("BTC", "USDT")`.
pub(crate) fn split_pair(pair: &str) -> (&str, &str) {
    pair.split_once('_').unwrap_or((pair, "USDT"))
}

/// Each currency's and the futures account's starting balance.
const START_BALANCE: i64 = 1_000_000;
/// The first order id; large like Gate's, so ids never look like small test numbers.
const FIRST_ORDER_ID: u64 = 700_000_001;
/// Futures maker fee charged on fills (0.02 %), with a contract multiplier of 1.
const FUTURES_FEE_RATE: Decimal = match Decimal::from_parts(2, 4) {
    Ok(rate) => rate,
    Err(_) => Decimal::ZERO,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::parse(s).unwrap_or_default()
    }

    fn account() -> Account {
        Account::new(&["BTC_USDT".to_owned()], &["BTC_USDT".to_owned()])
    }

    #[test]
    fn spot_lifecycle_moves_balances() {
        let mut account = account();
        let (id, put) = account
            .place(Market::Spot, "BTC_USDT", Side::Buy, dec("100"), dec("2"), 1)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(put.len(), 2);
        assert_eq!(account.spot["USDT"].locked, dec("200"));
        let fill = account.fill(id, dec("0.5"), 9, 2).unwrap_or_default();
        assert_eq!(fill.len(), 4);
        assert_eq!(account.spot["USDT"].locked, dec("150"));
        assert_eq!(account.spot["USDT"].total(), dec("999950"));
        assert_eq!(account.spot["BTC"].available, dec("1000000.5"));
        let cancel = account.cancel(id, 3).unwrap_or_default();
        assert_eq!(cancel.len(), 2);
        assert_eq!(account.spot["USDT"].locked, Decimal::ZERO);
        assert_eq!(account.spot["USDT"].available, dec("999950"));
        assert_eq!(account.ledger.len(), 8);
        assert_eq!(account.cancel(id, 4), Err(GateioSimError::OrderClosed(id)));
    }

    #[test]
    fn futures_fill_moves_position_and_fee() {
        let mut account = account();
        let (id, _) = account
            .place(
                Market::Futures,
                "BTC_USDT",
                Side::Sell,
                dec("100"),
                dec("10"),
                1,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let records = account.fill(id, dec("10"), 5, 2).unwrap_or_default();
        assert_eq!(records.len(), 4);
        assert_eq!(account.positions["BTC_USDT"].size, dec("-10"));
        assert_eq!(account.futures_balance, dec("999999.8"));
        assert!(matches!(
            records[0],
            PrivateRecord::Order {
                event: OrderEvent::Finish,
                finish_as: FinishAs::Filled,
                ..
            }
        ));
        assert!(account.fill(id, dec("1"), 6, 3).is_err());
        // A buy of 15 closes the short 10 and opens 5 long.
        let (buy, _) = account
            .place(
                Market::Futures,
                "BTC_USDT",
                Side::Buy,
                dec("90"),
                dec("15"),
                4,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(account.fill(buy, dec("15"), 7, 5).is_ok());
        let closed: Vec<(u64, Decimal, i64)> = account
            .trades
            .iter()
            .map(|t| (t.trade_id, t.close_size, t.time_ms))
            .collect();
        assert_eq!(closed, [(5, Decimal::ZERO, 2), (7, dec("10"), 5)]);
        assert_eq!(account.positions["BTC_USDT"].size, dec("5"));
        assert_eq!(
            account.trade(7).map(|t| t.text.as_str()),
            Some("t-sim700000002")
        );
    }

    #[test]
    fn overfill_and_insufficient_balance_are_refused() {
        let mut account = account();
        let (id, _) = account
            .place(Market::Spot, "BTC_USDT", Side::Sell, dec("1"), dec("1"), 1)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            account.fill(id, dec("2"), 1, 1),
            Err(GateioSimError::InvalidAmount(_))
        ));
        assert!(matches!(
            account.place(
                Market::Spot,
                "BTC_USDT",
                Side::Sell,
                dec("1"),
                dec("5000000"),
                1
            ),
            Err(GateioSimError::InsufficientBalance { .. })
        ));
    }
}
