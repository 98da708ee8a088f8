//! The one simulated futures account: orders, fills, positions, the USDT asset, and the
//! ledger of private pushes.
//!
//! Leverage is 1 (margin = price × contracts × contract size) and fees are 0, so every
//! amount is exact. Every lifecycle call returns the changes it caused, in the order they
//! go on the wire; the venue encodes each once, records it and publishes it.

use std::collections::BTreeMap;

use bytes::Bytes;
use market_types::{Decimal, Symbol};

use crate::mexc_futures::error::MexcFuturesError;

/// An order's side, as the venue numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderSide {
    /// 1: open long.
    OpenLong,
    /// 2: close short.
    CloseShort,
    /// 3: open short.
    OpenShort,
    /// 4: close long.
    CloseLong,
}

impl OrderSide {
    /// The `side` number on the wire.
    pub fn code(self) -> u8 {
        match self {
            OrderSide::OpenLong => 1,
            OrderSide::CloseShort => 2,
            OrderSide::OpenShort => 3,
            OrderSide::CloseLong => 4,
        }
    }

    /// The position it opens or closes.
    pub fn position_type(self) -> PositionType {
        match self {
            OrderSide::OpenLong | OrderSide::CloseLong => PositionType::Long,
            OrderSide::OpenShort | OrderSide::CloseShort => PositionType::Short,
        }
    }

    fn opens(self) -> bool {
        matches!(self, OrderSide::OpenLong | OrderSide::OpenShort)
    }
}

/// Long (1) or short (2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PositionType {
    /// 1.
    Long,
    /// 2.
    Short,
}

impl PositionType {
    /// The `positionType` number on the wire.
    pub fn code(self) -> u8 {
        match self {
            PositionType::Long => 1,
            PositionType::Short => 2,
        }
    }
}

/// The `state` of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FuturesOrderState {
    /// 2: uncompleted (resting, maybe partly filled).
    Uncompleted,
    /// 3: completed (filled).
    Completed,
    /// 4: cancelled.
    Cancelled,
}

impl FuturesOrderState {
    /// The `state` number on the wire.
    pub fn code(self) -> u8 {
        match self {
            FuturesOrderState::Uncompleted => 2,
            FuturesOrderState::Completed => 3,
            FuturesOrderState::Cancelled => 4,
        }
    }
}

/// An order as the venue holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuturesOrder {
    /// Decimal digits, unique.
    pub order_id: String,
    /// The contract.
    pub symbol: Symbol,
    /// What it does.
    pub side: OrderSide,
    /// Limit price in price units (`10^-price_scale`).
    pub price_units: i64,
    /// Decimals of the price.
    pub price_scale: u8,
    /// Contracts ordered.
    pub vol: u64,
    /// Contracts filled.
    pub deal_vol: u64,
    /// Its state.
    pub state: FuturesOrderState,
    /// Created, ms.
    pub create_time: i64,
    /// Last change, ms.
    pub update_time: i64,
    /// Starts at 1, +1 per change.
    pub version: u64,
}

impl FuturesOrder {
    /// The limit price.
    pub fn price(&self) -> Decimal {
        Decimal::from_parts(self.price_units, self.price_scale).unwrap_or_default()
    }

    /// Contracts left to fill.
    pub fn remain_vol(&self) -> u64 {
        self.vol.saturating_sub(self.deal_vol)
    }
}

/// One fill of one of the account's orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuturesDeal {
    /// Unique per fill.
    pub id: u64,
    /// The order filled.
    pub order_id: String,
    /// The contract.
    pub symbol: Symbol,
    /// The order's side.
    pub side: OrderSide,
    /// Fill price (the order's price), in price units.
    pub price_units: i64,
    /// Decimals of the price.
    pub price_scale: u8,
    /// Contracts.
    pub vol: u64,
    /// Fill time, ms.
    pub timestamp: i64,
}

impl FuturesDeal {
    /// The fill price.
    pub fn price(&self) -> Decimal {
        Decimal::from_parts(self.price_units, self.price_scale).unwrap_or_default()
    }
}

/// A position (kept, with `hold_vol` 0 and state 3, once closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuturesPosition {
    /// Unique per contract and direction.
    pub position_id: u64,
    /// The contract.
    pub symbol: Symbol,
    /// Long or short.
    pub position_type: PositionType,
    /// Contracts held.
    pub hold_vol: u64,
    /// Average open price in price units (rounded down to the unit).
    pub open_avg_units: i64,
    /// Decimals of the price.
    pub price_scale: u8,
    /// Margin held (leverage 1).
    pub margin: Decimal,
    /// Profit realised by closes.
    pub realised: Decimal,
    /// Last change, ms.
    pub update_time: i64,
}

impl FuturesPosition {
    /// The average open price.
    pub fn open_avg_price(&self) -> Decimal {
        Decimal::from_parts(self.open_avg_units, self.price_scale).unwrap_or_default()
    }

    /// The `state` on the wire: 1 holding, 3 closed.
    pub fn state(&self) -> u8 {
        if self.hold_vol > 0 { 1 } else { 3 }
    }
}

/// The USDT asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuturesAsset {
    /// Free to use.
    pub available: Decimal,
    /// Held by open orders.
    pub frozen: Decimal,
    /// Held by positions.
    pub position_margin: Decimal,
}

/// What a private push says (the frame is built from the account's state after the change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FuturesPrivate {
    /// `push.personal.order`.
    Order(FuturesOrder),
    /// `push.personal.order.deal`.
    Deal(FuturesDeal),
    /// `push.personal.position`.
    Position(FuturesPosition),
    /// `push.personal.asset`.
    Asset(FuturesAsset),
}

impl FuturesPrivate {
    /// Its kind.
    pub fn kind(&self) -> PrivateKind {
        match self {
            FuturesPrivate::Order(_) => PrivateKind::Order,
            FuturesPrivate::Deal(_) => PrivateKind::OrderDeal,
            FuturesPrivate::Position(_) => PrivateKind::Position,
            FuturesPrivate::Asset(_) => PrivateKind::Asset,
        }
    }

    /// The contract it is about (`None` for the asset).
    pub fn symbol(&self) -> Option<Symbol> {
        match self {
            FuturesPrivate::Order(o) => Some(o.symbol),
            FuturesPrivate::Deal(d) => Some(d.symbol),
            FuturesPrivate::Position(p) => Some(p.symbol),
            FuturesPrivate::Asset(_) => None,
        }
    }
}

/// The private push channels, with their `personal.filter` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrivateKind {
    /// `push.personal.order`, filter `order`.
    Order,
    /// `push.personal.order.deal`, filter `order.deal`.
    OrderDeal,
    /// `push.personal.position`, filter `position`.
    Position,
    /// `push.personal.asset`, filter `asset`.
    Asset,
}

impl PrivateKind {
    /// The push channel.
    pub fn channel(self) -> &'static str {
        match self {
            PrivateKind::Order => "push.personal.order",
            PrivateKind::OrderDeal => "push.personal.order.deal",
            PrivateKind::Position => "push.personal.position",
            PrivateKind::Asset => "push.personal.asset",
        }
    }

    /// The kind a `personal.filter` key names (others are accepted and ignored).
    pub fn from_filter(key: &str) -> Option<PrivateKind> {
        match key {
            "order" => Some(PrivateKind::Order),
            "order.deal" => Some(PrivateKind::OrderDeal),
            "position" => Some(PrivateKind::Position),
            "asset" => Some(PrivateKind::Asset),
            _ => None,
        }
    }
}

/// One private push the venue produced, exactly as it went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuturesLedgerEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// What it says.
    pub push: FuturesPrivate,
    /// The exact JSON text (before any gzip).
    pub frame: Bytes,
}

/// Contract terms the account needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Terms {
    pub(crate) price_scale: u8,
    pub(crate) contract_size: Decimal,
}

#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) orders: BTreeMap<String, FuturesOrder>,
    pub(crate) positions: BTreeMap<(Symbol, PositionType), FuturesPosition>,
    pub(crate) deals: Vec<FuturesDeal>,
    pub(crate) asset: FuturesAsset,
    pub(crate) ledger: Vec<FuturesLedgerEntry>,
    /// Ledger entries already handed over by [`Account::take_history`].
    taken: u64,
    next_order: u64,
    next_deal: u64,
    next_position: u64,
}

impl Account {
    pub(crate) fn new(balance: Decimal) -> Self {
        Self {
            orders: BTreeMap::new(),
            positions: BTreeMap::new(),
            deals: Vec::new(),
            asset: FuturesAsset {
                available: balance,
                frozen: Decimal::ZERO,
                position_margin: Decimal::ZERO,
            },
            ledger: Vec::new(),
            taken: 0,
            next_order: 102_067_003_631_907_840,
            next_deal: 1_000_000,
            next_position: 1_397_818,
        }
    }

    /// Places an order; an opening one freezes its margin.
    pub(crate) fn place(
        &mut self,
        symbol: Symbol,
        side: OrderSide,
        price_units: i64,
        vol: u64,
        terms: Terms,
        now_ms: i64,
    ) -> Result<Vec<FuturesPrivate>, MexcFuturesError> {
        if price_units <= 0 || vol == 0 {
            return Err(MexcFuturesError::InvalidAmount);
        }
        if !side.opens() {
            let held = self.held(symbol, side.position_type());
            if held < vol {
                return Err(MexcFuturesError::NoPosition {
                    requested: vol,
                    held,
                });
            }
        }
        let mut pushes = Vec::with_capacity(2);
        if side.opens() {
            let margin = margin(price_units, vol, terms)?;
            let available = self
                .asset
                .available
                .checked_sub(margin)
                .ok_or(MexcFuturesError::Overflow)?;
            if available.is_negative() {
                return Err(MexcFuturesError::InsufficientBalance);
            }
            self.asset.available = available;
            self.asset.frozen = add(self.asset.frozen, margin)?;
        }
        self.next_order += 1;
        let order = FuturesOrder {
            order_id: self.next_order.to_string(),
            symbol,
            side,
            price_units,
            price_scale: terms.price_scale,
            vol,
            deal_vol: 0,
            state: FuturesOrderState::Uncompleted,
            create_time: now_ms,
            update_time: now_ms,
            version: 1,
        };
        self.orders.insert(order.order_id.clone(), order.clone());
        pushes.push(FuturesPrivate::Order(order));
        if side.opens() {
            pushes.push(FuturesPrivate::Asset(self.asset));
        }
        Ok(pushes)
    }

    /// Fills `vol` contracts of an open order at its price: deal, order, position, asset.
    pub(crate) fn fill(
        &mut self,
        order_id: &str,
        vol: u64,
        terms: Terms,
        now_ms: i64,
    ) -> Result<Vec<FuturesPrivate>, MexcFuturesError> {
        let order = self.open_order(order_id)?.clone();
        if vol == 0 {
            return Err(MexcFuturesError::InvalidAmount);
        }
        if vol > order.remain_vol() {
            return Err(MexcFuturesError::Overfill {
                requested: vol,
                remaining: order.remain_vol(),
            });
        }
        let key = (order.symbol, order.side.position_type());
        let notional = margin(order.price_units, vol, terms)?;
        if order.side.opens() {
            self.asset.frozen = sub(self.asset.frozen, notional)?;
            self.next_position += 1;
            let fresh_id = self.next_position;
            let position = self.positions.entry(key).or_insert(FuturesPosition {
                position_id: fresh_id,
                symbol: order.symbol,
                position_type: key.1,
                hold_vol: 0,
                open_avg_units: 0,
                price_scale: terms.price_scale,
                margin: Decimal::ZERO,
                realised: Decimal::ZERO,
                update_time: now_ms,
            });
            let total = position
                .hold_vol
                .checked_add(vol)
                .ok_or(MexcFuturesError::Overflow)?;
            let weighted = i128::from(position.open_avg_units) * i128::from(position.hold_vol)
                + i128::from(order.price_units) * i128::from(vol);
            position.open_avg_units = i64::try_from(weighted / i128::from(total))
                .map_err(|_| MexcFuturesError::Overflow)?;
            position.hold_vol = total;
            position.margin = add(position.margin, notional)?;
            position.update_time = now_ms;
            self.asset.position_margin = add(self.asset.position_margin, notional)?;
        } else {
            let position = self
                .positions
                .get_mut(&key)
                .ok_or(MexcFuturesError::NoPosition {
                    requested: vol,
                    held: 0,
                })?;
            if position.hold_vol < vol {
                return Err(MexcFuturesError::NoPosition {
                    requested: vol,
                    held: position.hold_vol,
                });
            }
            let opened = margin(position.open_avg_units, vol, terms)?;
            let pnl = match key.1 {
                PositionType::Long => sub(notional, opened)?,
                PositionType::Short => sub(opened, notional)?,
            };
            // Margin released in proportion; the last close releases what is left.
            let released = if position.hold_vol == vol {
                position.margin
            } else {
                opened
            };
            position.hold_vol -= vol;
            position.margin = sub(position.margin, released)?;
            position.realised = add(position.realised, pnl)?;
            position.update_time = now_ms;
            self.asset.position_margin = sub(self.asset.position_margin, released)?;
            self.asset.available = add(add(self.asset.available, released)?, pnl)?;
        }
        self.next_deal += 1;
        let deal = FuturesDeal {
            id: self.next_deal,
            order_id: order.order_id.clone(),
            symbol: order.symbol,
            side: order.side,
            price_units: order.price_units,
            price_scale: terms.price_scale,
            vol,
            timestamp: now_ms,
        };
        self.deals.push(deal.clone());
        let order = self
            .orders
            .get_mut(order_id)
            .ok_or_else(|| unknown(order_id))?;
        order.deal_vol += vol;
        order.version += 1;
        order.update_time = now_ms;
        if order.remain_vol() == 0 {
            order.state = FuturesOrderState::Completed;
        }
        let order = order.clone();
        let position = self
            .positions
            .get(&key)
            .cloned()
            .ok_or(MexcFuturesError::Overflow)?;
        Ok(vec![
            FuturesPrivate::Deal(deal),
            FuturesPrivate::Order(order),
            FuturesPrivate::Position(position),
            FuturesPrivate::Asset(self.asset),
        ])
    }

    /// Cancels an open order; an opening one releases the margin of what is left.
    pub(crate) fn cancel(
        &mut self,
        order_id: &str,
        terms: Terms,
        now_ms: i64,
    ) -> Result<Vec<FuturesPrivate>, MexcFuturesError> {
        let order = self.open_order(order_id)?.clone();
        let mut pushes = Vec::with_capacity(2);
        if order.side.opens() {
            let frozen = margin(order.price_units, order.remain_vol(), terms)?;
            self.asset.frozen = sub(self.asset.frozen, frozen)?;
            self.asset.available = add(self.asset.available, frozen)?;
        }
        let entry = self
            .orders
            .get_mut(order_id)
            .ok_or_else(|| unknown(order_id))?;
        entry.state = FuturesOrderState::Cancelled;
        entry.version += 1;
        entry.update_time = now_ms;
        pushes.push(FuturesPrivate::Order(entry.clone()));
        if order.side.opens() {
            pushes.push(FuturesPrivate::Asset(self.asset));
        }
        Ok(pushes)
    }

    pub(crate) fn record(&mut self, push: FuturesPrivate, frame: Bytes) {
        let seq = self.taken + self.ledger.len() as u64 + 1;
        self.ledger.push(FuturesLedgerEntry { seq, push, frame });
    }

    /// Hands the ledger over and forgets closed orders and the fill history, so a long
    /// run that reads them now and then keeps the simulator's records bounded. Open
    /// orders, positions and the asset stay; ledger positions keep counting.
    pub(crate) fn take_history(&mut self) -> Vec<FuturesLedgerEntry> {
        self.orders
            .retain(|_, order| order.state == FuturesOrderState::Uncompleted);
        self.deals = Vec::new();
        self.taken += self.ledger.len() as u64;
        std::mem::take(&mut self.ledger)
    }

    pub(crate) fn open_orders(&self, symbol: Option<Symbol>) -> Vec<&FuturesOrder> {
        self.orders
            .values()
            .filter(|o| o.state == FuturesOrderState::Uncompleted)
            .filter(|o| symbol.is_none_or(|s| s == o.symbol))
            .collect()
    }

    pub(crate) fn open_positions(&self, symbol: Option<Symbol>) -> Vec<&FuturesPosition> {
        self.positions
            .values()
            .filter(|p| p.hold_vol > 0)
            .filter(|p| symbol.is_none_or(|s| s == p.symbol))
            .collect()
    }

    fn held(&self, symbol: Symbol, position_type: PositionType) -> u64 {
        self.positions
            .get(&(symbol, position_type))
            .map_or(0, |p| p.hold_vol)
    }

    fn open_order(&self, order_id: &str) -> Result<&FuturesOrder, MexcFuturesError> {
        let order = self.orders.get(order_id).ok_or_else(|| unknown(order_id))?;
        if order.state != FuturesOrderState::Uncompleted {
            return Err(MexcFuturesError::OrderClosed(order_id.to_owned()));
        }
        Ok(order)
    }
}

/// `price × vol × contract size`.
fn margin(price_units: i64, vol: u64, terms: Terms) -> Result<Decimal, MexcFuturesError> {
    let price = Decimal::from_parts(price_units, terms.price_scale)
        .map_err(|_| MexcFuturesError::Overflow)?;
    let vol = i64::try_from(vol)
        .ok()
        .and_then(|v| Decimal::from_i64(v).ok())
        .ok_or(MexcFuturesError::Overflow)?;
    price
        .checked_mul(vol)
        .and_then(|n| n.checked_mul(terms.contract_size))
        .ok_or(MexcFuturesError::Overflow)
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, MexcFuturesError> {
    a.checked_add(b).ok_or(MexcFuturesError::Overflow)
}

fn sub(a: Decimal, b: Decimal) -> Result<Decimal, MexcFuturesError> {
    a.checked_sub(b).ok_or(MexcFuturesError::Overflow)
}

fn unknown(order_id: &str) -> MexcFuturesError {
    MexcFuturesError::UnknownOrder(order_id.to_owned())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a failed step should fail the test loudly"
)]
mod tests {
    use super::*;

    fn terms() -> Terms {
        Terms {
            price_scale: 1,
            contract_size: Decimal::from_parts(1, 4).unwrap(),
        }
    }

    #[test]
    fn open_fill_close_returns_the_margin_and_the_profit() {
        let btc = Symbol::new("BTC_USDT").unwrap();
        let mut account = Account::new(Decimal::from(1_000u32));
        let placed = account
            .place(btc, OrderSide::OpenLong, 650_000, 10, terms(), 1)
            .unwrap();
        // 65000 × 10 × 0.0001 = 65 frozen.
        assert_eq!(account.asset.frozen, Decimal::from(65u32));
        let FuturesPrivate::Order(order) = &placed[0] else {
            panic!("order first")
        };
        let fills = account.fill(&order.order_id, 10, terms(), 2).unwrap();
        assert_eq!(fills.len(), 4);
        assert_eq!(account.asset.position_margin, Decimal::from(65u32));
        assert!(account.asset.frozen.is_zero());
        let close = account
            .place(btc, OrderSide::CloseLong, 660_000, 10, terms(), 3)
            .unwrap();
        let FuturesPrivate::Order(close) = &close[0] else {
            panic!("order first")
        };
        account.fill(&close.order_id, 10, terms(), 4).unwrap();
        // +1000 × 10 × 0.0001 = +1 profit.
        assert_eq!(account.asset.available, Decimal::from(1_001u32));
        assert!(account.open_positions(None).is_empty());
        assert!(matches!(
            account.place(btc, OrderSide::CloseLong, 1, 1, terms(), 5),
            Err(MexcFuturesError::NoPosition { .. })
        ));
    }
}
