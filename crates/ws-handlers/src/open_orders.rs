//! The orders a private handler has delivered as not finished, and the delivery sequence
//! that orders stream information against REST answers.
//!
//! Reconciliation after a reconnect compares what REST says with what the user last saw:
//! a REST answer is only trusted for an order the stream has not updated since the
//! request went out. [`OpenOrders`] numbers every delivery (orders, and whatever else the
//! handler counts with [`OpenOrders::next_seq`]) and remembers, for every order delivered
//! as open, what was delivered and at which sequence number. Finished orders are
//! forgotten. Deduplication itself stays with [`PrivateLedger`](crate::PrivateLedger):
//! record an order here only after the ledger said it is new.

use std::collections::HashMap;

use market_types::{Order, OrderId, OrderStatus, Quantity, Symbol};

/// What was last delivered of an order that is not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOrder {
    /// The order's symbol.
    pub symbol: Symbol,
    /// Its delivered status (never terminal).
    pub status: OrderStatus,
    /// Its delivered filled quantity.
    pub filled: Quantity,
    /// Its delivered update time (ms since the Unix epoch).
    pub time_ms: u64,
    /// The delivery sequence number of that delivery.
    pub seq: u64,
}

/// Orders delivered as open, and a delivery sequence number.
#[derive(Debug, Clone, Default)]
pub struct OpenOrders {
    orders: HashMap<OrderId, OpenOrder>,
    seq: u64,
}

impl OpenOrders {
    /// No orders, sequence 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of the latest delivery (0 before any).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Counts one delivery that is not an order (a balance, a position) and returns its
    /// sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Records the delivery of `order`: counts it, and remembers it when it is not
    /// finished or forgets it when it is. Returns its sequence number.
    pub fn record(&mut self, order: &Order) -> u64 {
        let seq = self.next_seq();
        if order.status.is_terminal() {
            self.orders.remove(&order.order_id);
        } else {
            self.orders.insert(
                order.order_id,
                OpenOrder {
                    symbol: order.symbol,
                    status: order.status,
                    filled: order.filled,
                    time_ms: order.update_time_ms,
                    seq,
                },
            );
        }
        seq
    }

    /// What was last delivered of `id`, if it is open.
    pub fn get(&self, id: &OrderId) -> Option<&OpenOrder> {
        self.orders.get(id)
    }

    /// Forgets `id` (its end is unknown), returning what was delivered of it.
    pub fn remove(&mut self, id: &OrderId) -> Option<OpenOrder> {
        self.orders.remove(id)
    }

    /// Every open order (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = (OrderId, &OpenOrder)> + '_ {
        self.orders.iter().map(|(id, view)| (*id, view))
    }

    /// Open orders last delivered at or before sequence number `seq`: the ones a REST
    /// answer requested at `seq` can speak for.
    pub fn delivered_by(&self, seq: u64) -> impl Iterator<Item = (OrderId, &OpenOrder)> + '_ {
        self.iter().filter(move |(_, view)| view.seq <= seq)
    }

    /// Number of open orders.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// Whether no order is open.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PrivateLedger;
    use crate::test_support::{btc_usdt, d, id, order};

    #[test]
    fn records_inserts_and_updates_with_sequence() {
        let mut open = OpenOrders::new();
        assert_eq!(open.seq(), 0);
        assert!(open.is_empty());
        assert_eq!(open.record(&order("1", OrderStatus::New, "0", 10)), 1);
        assert_eq!(open.record(&order("2", OrderStatus::New, "0", 11)), 2);
        assert_eq!(open.len(), 2);
        let first = open.get(&id("1")).copied();
        assert_eq!(
            first,
            Some(OpenOrder {
                symbol: btc_usdt(),
                status: OrderStatus::New,
                filled: Quantity::from(d("0")),
                time_ms: 10,
                seq: 1,
            })
        );
        assert_eq!(
            open.record(&order("1", OrderStatus::PartiallyFilled, "1", 12)),
            3
        );
        let updated = open.get(&id("1")).copied();
        assert_eq!(
            updated.map(|v| (v.status, v.filled, v.time_ms, v.seq)),
            Some((OrderStatus::PartiallyFilled, Quantity::from(d("1")), 12, 3))
        );
        assert_eq!(open.len(), 2);
        assert_eq!(open.seq(), 3);
    }

    #[test]
    fn terminal_orders_are_removed_but_counted() {
        let mut open = OpenOrders::new();
        open.record(&order("1", OrderStatus::New, "0", 1));
        assert_eq!(open.record(&order("1", OrderStatus::Filled, "2", 2)), 2);
        assert!(open.get(&id("1")).is_none());
        assert!(open.is_empty());
        // A terminal order never seen open is counted and not remembered.
        assert_eq!(open.record(&order("2", OrderStatus::Canceled, "0", 3)), 3);
        assert!(open.is_empty());
        open.record(&order("3", OrderStatus::New, "0", 4));
        assert_eq!(open.remove(&id("3")).map(|v| v.seq), Some(4));
        assert!(open.remove(&id("3")).is_none());
        assert_eq!(open.seq(), 4);
    }

    #[test]
    fn other_deliveries_advance_the_sequence() {
        let mut open = OpenOrders::new();
        open.record(&order("1", OrderStatus::New, "0", 1));
        assert_eq!(open.next_seq(), 2);
        assert_eq!(open.record(&order("2", OrderStatus::New, "0", 1)), 3);
        assert_eq!(open.seq(), 3);
    }

    #[test]
    fn delivered_by_selects_orders_not_updated_since() {
        let mut open = OpenOrders::new();
        open.record(&order("1", OrderStatus::New, "0", 1));
        open.record(&order("2", OrderStatus::New, "0", 1));
        let sent_at = open.seq();
        open.record(&order("2", OrderStatus::PartiallyFilled, "1", 2));
        open.record(&order("3", OrderStatus::New, "0", 3));
        let mut old: Vec<OrderId> = open.delivered_by(sent_at).map(|(id, _)| id).collect();
        old.sort_by_key(|id| id.to_string());
        assert_eq!(old, vec![id("1")]);
        assert_eq!(open.iter().count(), 3);
    }

    #[test]
    fn with_the_ledger_duplicates_are_not_recorded() {
        let mut ledger = PrivateLedger::default();
        let mut open = OpenOrders::new();
        let mut duplicates = 0;
        let updates = [
            order("1", OrderStatus::New, "0", 1),
            order("1", OrderStatus::New, "0", 1),
            order("1", OrderStatus::PartiallyFilled, "1", 2),
            order("1", OrderStatus::New, "0", 1),
        ];
        for update in &updates {
            if ledger.observe_order(update) {
                open.record(update);
            } else {
                duplicates += 1;
            }
        }
        assert_eq!(duplicates, 2);
        assert_eq!(open.seq(), 2);
        assert_eq!(open.get(&id("1")).map(|v| v.seq), Some(2));
    }
}
