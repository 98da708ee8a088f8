//! Exactly-once delivery of private events across reconnects.
//!
//! After a reconnect a handler reconciles over REST (open orders, balances, positions,
//! recent fills) while the stream resumes. The same change can then arrive twice, once from
//! each side, and a change that happened while the socket was down arrives only from REST.
//! [`PrivateLedger`] remembers the last state delivered for every order, balance and
//! position and every fill id, and answers "is this new?" for both paths, so the user sees
//! each change once.
//!
//! Memory is bounded by this policy: an order is remembered while it is open (the venue
//! bounds how many orders may be open), and once it has left the open set, finished or
//! forgotten because its end could not be learnt, it joins a first-in-first-out list of
//! at most `capacity` orders; the oldest is forgotten when the list is full. Fill ids
//! are kept the same way, the last `capacity` of them. Within that window a repeated or
//! stale update is never delivered twice; beyond it (an update of an order that left the
//! open set `capacity` orders ago) it may be. Balances and positions keep one entry per
//! asset and symbol.

use std::collections::{HashMap, HashSet, VecDeque};

use market_types::{
    Asset, Balance, Decimal, Fill, Order, OrderId, OrderStatus, Position, Quantity, Symbol, TradeId,
};

/// What the user last saw of one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OrderSeen {
    status: OrderStatus,
    filled: Quantity,
    update_time_ms: u64,
}

/// An order's entry: what was delivered, and whether it left the open set (then it is in
/// the bounded list of finished orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OrderEntry {
    seen: OrderSeen,
    left_open_set: bool,
}

/// Last delivered private state, bounded (see the [module](self) docs for the policy).
#[derive(Debug, Clone)]
pub struct PrivateLedger {
    orders: HashMap<OrderId, OrderEntry>,
    // Both deques are bounded by the ledger's capacity: the oldest entry is forgotten first.
    finished_orders: VecDeque<OrderId>,
    fills: HashSet<TradeId>,
    fill_order: VecDeque<TradeId>,
    balances: HashMap<Asset, (Decimal, Decimal)>,
    positions: HashMap<Symbol, (Decimal, Option<Decimal>)>,
    capacity: usize,
}

impl Default for PrivateLedger {
    fn default() -> Self {
        Self::new(100_000)
    }
}

impl PrivateLedger {
    /// Remembers the open orders, and at most `capacity` fill ids and orders that left the
    /// open set (oldest forgotten first).
    pub fn new(capacity: usize) -> Self {
        Self {
            orders: HashMap::new(),
            finished_orders: VecDeque::new(),
            fills: HashSet::new(),
            fill_order: VecDeque::new(),
            balances: HashMap::new(),
            positions: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// Whether `order` tells the user something new. An update older than what was already
    /// delivered (by update time, then by filled quantity) is stale and not new.
    pub fn observe_order(&mut self, order: &Order) -> bool {
        let seen = OrderSeen {
            status: order.status,
            filled: order.filled,
            update_time_ms: order.update_time_ms,
        };
        let previous = self.orders.get(&order.order_id).copied();
        match previous.map(|entry| entry.seen) {
            Some(previous) if previous == seen => false,
            Some(previous)
                if previous.update_time_ms > seen.update_time_ms
                    || previous.filled > seen.filled
                    || (previous.status.is_terminal() && !seen.status.is_terminal()) =>
            {
                false
            }
            _ => {
                let left_before = previous.is_some_and(|entry| entry.left_open_set);
                let left_open_set = left_before || seen.status.is_terminal();
                self.orders.insert(
                    order.order_id,
                    OrderEntry {
                        seen,
                        left_open_set,
                    },
                );
                if left_open_set && !left_before {
                    self.remember_finished(order.order_id);
                }
                true
            }
        }
    }

    /// An order dropped from the open set without a known end (the venue no longer knows
    /// it): it joins the bounded list of finished orders, so it is no longer listed as
    /// open and is forgotten in turn. A later update of it is still compared with what
    /// was delivered while it is remembered.
    pub fn retire_order(&mut self, id: &OrderId) {
        let Some(entry) = self.orders.get_mut(id) else {
            return;
        };
        if !entry.left_open_set {
            entry.left_open_set = true;
            self.remember_finished(*id);
        }
    }

    fn remember_finished(&mut self, id: OrderId) {
        self.finished_orders.push_back(id);
        while self.finished_orders.len() > self.capacity {
            if let Some(old) = self.finished_orders.pop_front() {
                self.orders.remove(&old);
            }
        }
    }

    /// Whether this fill has not been delivered yet.
    pub fn observe_fill(&mut self, fill: &Fill) -> bool {
        if !self.fills.insert(fill.trade_id) {
            return false;
        }
        self.fill_order.push_back(fill.trade_id);
        while self.fill_order.len() > self.capacity {
            if let Some(old) = self.fill_order.pop_front() {
                self.fills.remove(&old);
            }
        }
        true
    }

    /// Whether this balance differs from the last one delivered for its asset.
    pub fn observe_balance(&mut self, balance: &Balance) -> bool {
        let value = (balance.available, balance.locked);
        self.balances.insert(balance.asset, value) != Some(value)
    }

    /// Whether this position differs from the last one delivered for its symbol.
    pub fn observe_position(&mut self, position: &Position) -> bool {
        let value = (position.size, position.entry_price.map(|p| p.value()));
        self.positions.insert(position.symbol, value) != Some(value)
    }

    /// Orders the user believes are still open (to ask REST about ones that disappeared
    /// from the open-orders list while disconnected).
    pub fn open_orders(&self) -> impl Iterator<Item = &OrderId> {
        self.orders
            .iter()
            .filter(|(_, entry)| !entry.left_open_set)
            .map(|(id, _)| id)
    }

    /// Number of orders remembered (open ones and at most `capacity` others).
    pub fn orders_remembered(&self) -> usize {
        self.orders.len()
    }

    /// Number of fills remembered.
    pub fn fills_remembered(&self) -> usize {
        self.fills.len()
    }
}

#[cfg(test)]
mod tests {
    use market_types::{Price, Venue};

    use super::*;
    use crate::test_support::{btc_usdt, d, fill, order, usdt};

    #[test]
    fn orders_are_delivered_once_and_never_go_back() {
        let mut l = PrivateLedger::new(10);
        assert!(l.observe_order(&order("1", OrderStatus::New, "0", 1)));
        assert!(
            !l.observe_order(&order("1", OrderStatus::New, "0", 1)),
            "duplicate"
        );
        assert!(l.observe_order(&order("1", OrderStatus::PartiallyFilled, "1", 2)));
        assert!(
            !l.observe_order(&order("1", OrderStatus::New, "0", 1)),
            "a stale REST view does not undo a later stream update"
        );
        assert!(l.observe_order(&order("1", OrderStatus::Filled, "2", 3)));
        assert!(!l.observe_order(&order("1", OrderStatus::PartiallyFilled, "1", 2)));
        assert_eq!(l.open_orders().count(), 0);
    }

    #[test]
    fn fills_are_unique_and_bounded() {
        let mut l = PrivateLedger::new(2);
        assert!(l.observe_fill(&fill("a")));
        assert!(!l.observe_fill(&fill("a")));
        assert!(l.observe_fill(&fill("b")));
        assert!(l.observe_fill(&fill("c")));
        assert_eq!(l.fills_remembered(), 2);
    }

    #[test]
    fn balances_and_positions_only_when_changed() {
        let mut l = PrivateLedger::default();
        let b = usdt("10", 1);
        assert!(l.observe_balance(&b));
        assert!(!l.observe_balance(&Balance { time_ms: 2, ..b }));
        assert!(l.observe_balance(&Balance {
            available: d("9"),
            ..b
        }));
        let p = Position {
            venue: Venue::GateioFutures,
            symbol: btc_usdt(),
            size: d("-3"),
            entry_price: Some(Price::from(d("100"))),
            leverage: None,
            liquidation_price: None,
            realised_pnl: None,
            time_ms: 1,
        };
        assert!(l.observe_position(&p));
        assert!(!l.observe_position(&p));
        assert!(l.observe_position(&Position { size: d("0"), ..p }));
    }
}
