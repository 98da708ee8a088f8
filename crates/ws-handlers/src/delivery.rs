//! Exactly-once delivery of private events to the user's callbacks, from the stream and
//! from REST reconciliation alike.
//!
//! Every private handler delivers through one [`PrivateDelivery`]: the
//! [`PrivateLedger`] says whether a change is new (only then does it reach the callback),
//! [`OpenOrders`] numbers each delivery and remembers what was delivered of unfinished
//! orders, and [`DeliveryCounts`] counts what was delivered and what was dropped as
//! already known. Balances and positions from the stream are numbered too, so that a REST
//! answer requested before a later stream update never overwrites it.

use std::collections::HashMap;

use market_types::{Asset, Balance, Fill, Order, OrderId, Position, Symbol};
use ws_mixins::PrivateWebSocketMixin;

use crate::{OpenOrder, OpenOrders, PrivateLedger};

/// What a private handler delivered, and what it did not deliver again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    /// Order updates delivered (stream and REST).
    pub orders: u64,
    /// Fills delivered.
    pub fills: u64,
    /// Balances delivered.
    pub balances: u64,
    /// Positions delivered.
    pub positions: u64,
    /// Changes already delivered, or older than what was delivered, not delivered again
    /// (stream and REST overlap, stream rotation).
    pub duplicates: u64,
}

/// How a REST view of an order compares with what the user was last given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestOrderView {
    /// The stream updated the order after the request went out: it knows better.
    StreamedSince,
    /// Same status and filled quantity as delivered: nothing to say.
    Unchanged,
    /// It may say something new; what was delivered of it while open, if anything.
    News(Option<OpenOrder>),
}

/// The ledger, the open orders and the counts of one private handler.
#[derive(Debug, Clone, Default)]
pub struct PrivateDelivery {
    ledger: PrivateLedger,
    open_orders: OpenOrders,
    /// Delivery sequence of each asset's last balance from the stream.
    balance_seen: HashMap<Asset, u64>,
    /// Delivery sequence of each symbol's last position from the stream.
    position_seen: HashMap<Symbol, u64>,
    /// When (in orders and fills delivered) each symbol with private activity last had
    /// an order or fill delivered: the symbols a reconciliation must cover. At most
    /// [`MAX_ACTIVE_SYMBOLS`], the least recently active forgotten first.
    active_symbols: HashMap<Symbol, u64>,
    /// Orders and fills delivered.
    activity: u64,
    counts: DeliveryCounts,
}

/// Symbols with private activity remembered by [`PrivateDelivery::active_symbols`].
pub const MAX_ACTIVE_SYMBOLS: usize = 1_024;

impl PrivateDelivery {
    /// Nothing delivered yet; the ledger keeps its default bounds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Nothing delivered yet; the ledger remembers at most `capacity` fill ids and orders
    /// that left the open set (see [`PrivateLedger`]'s policy).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            ledger: PrivateLedger::new(capacity),
            ..Self::default()
        }
    }

    /// Delivers `order` to `callbacks` if it is new. Returns whether it was delivered.
    pub fn order(&mut self, order: &Order, callbacks: &mut impl PrivateWebSocketMixin) -> bool {
        if !self.ledger.observe_order(order) {
            self.counts.duplicates += 1;
            return false;
        }
        self.open_orders.record(order);
        self.note_activity(order.symbol);
        self.counts.orders += 1;
        callbacks.on_order(order);
        true
    }

    /// Delivers `fill` to `callbacks` if its trade id is new. Returns whether it was.
    pub fn fill(&mut self, fill: &Fill, callbacks: &mut impl PrivateWebSocketMixin) -> bool {
        if !self.ledger.observe_fill(fill) {
            self.counts.duplicates += 1;
            return false;
        }
        self.note_activity(fill.symbol);
        self.counts.fills += 1;
        callbacks.on_fill(fill);
        true
    }

    /// Symbols with delivered orders or fills, each with how recent its latest is (higher
    /// is more recent); at most [`MAX_ACTIVE_SYMBOLS`].
    pub fn active_symbols(&self) -> impl Iterator<Item = (Symbol, u64)> + '_ {
        self.active_symbols
            .iter()
            .map(|(symbol, seq)| (*symbol, *seq))
    }

    fn note_activity(&mut self, symbol: Symbol) {
        self.activity = self.activity.wrapping_add(1);
        let new = self.active_symbols.insert(symbol, self.activity).is_none();
        if new && self.active_symbols.len() > MAX_ACTIVE_SYMBOLS {
            let oldest = self
                .active_symbols
                .iter()
                .min_by_key(|(_, seq)| **seq)
                .map(|(symbol, _)| *symbol);
            if let Some(oldest) = oldest {
                self.active_symbols.remove(&oldest);
            }
        }
    }

    /// A balance from the stream: numbered (so older REST views of the asset are
    /// skipped), then delivered if it changed. Returns whether it was delivered.
    pub fn streamed_balance(
        &mut self,
        balance: &Balance,
        callbacks: &mut impl PrivateWebSocketMixin,
    ) -> bool {
        let seq = self.open_orders.next_seq();
        self.balance_seen.insert(balance.asset, seq);
        self.balance(balance, callbacks)
    }

    /// A position from the stream, as [`Self::streamed_balance`].
    pub fn streamed_position(
        &mut self,
        position: &Position,
        callbacks: &mut impl PrivateWebSocketMixin,
    ) -> bool {
        let seq = self.open_orders.next_seq();
        self.position_seen.insert(position.symbol, seq);
        self.position(position, callbacks)
    }

    /// A balance from a REST answer requested at delivery sequence `seq_at_send`:
    /// delivered only if the stream said nothing of the asset since and it changed
    /// (otherwise counted as a duplicate).
    pub fn reconciled_balance(
        &mut self,
        balance: &Balance,
        seq_at_send: u64,
        callbacks: &mut impl PrivateWebSocketMixin,
    ) -> bool {
        let streamed_since = self
            .balance_seen
            .get(&balance.asset)
            .is_some_and(|seen| *seen > seq_at_send);
        if streamed_since {
            self.counts.duplicates += 1;
            return false;
        }
        self.balance(balance, callbacks)
    }

    /// A position from a REST answer, as [`Self::reconciled_balance`].
    pub fn reconciled_position(
        &mut self,
        position: &Position,
        seq_at_send: u64,
        callbacks: &mut impl PrivateWebSocketMixin,
    ) -> bool {
        let streamed_since = self
            .position_seen
            .get(&position.symbol)
            .is_some_and(|seen| *seen > seq_at_send);
        if streamed_since {
            self.counts.duplicates += 1;
            return false;
        }
        self.position(position, callbacks)
    }

    /// Compares a REST view of an order, requested at delivery sequence `seq_at_send`,
    /// with what was delivered. A view that says nothing new counts as a duplicate; a
    /// [`RestOrderView::News`] one is then given to [`Self::order`].
    pub fn rest_order_view(&mut self, order: &Order, seq_at_send: u64) -> RestOrderView {
        let view = match self.open_orders.get(&order.order_id) {
            Some(view) if view.seq > seq_at_send => RestOrderView::StreamedSince,
            Some(view) if view.status == order.status && view.filled == order.filled => {
                RestOrderView::Unchanged
            }
            open => return RestOrderView::News(open.copied()),
        };
        self.counts.duplicates += 1;
        view
    }

    /// Forgets an open order whose end cannot be known, returning what was delivered.
    /// The ledger keeps it among the finished orders, within its bound.
    pub fn forget_order(&mut self, id: &OrderId) -> Option<OpenOrder> {
        self.ledger.retire_order(id);
        self.open_orders.remove(id)
    }

    /// What has been delivered (exactly-once bookkeeping).
    pub fn ledger(&self) -> &PrivateLedger {
        &self.ledger
    }

    /// The orders delivered as open, and the delivery sequence.
    pub fn open_orders(&self) -> &OpenOrders {
        &self.open_orders
    }

    /// Counts so far.
    pub fn counts(&self) -> DeliveryCounts {
        self.counts
    }

    fn balance(&mut self, balance: &Balance, callbacks: &mut impl PrivateWebSocketMixin) -> bool {
        if !self.ledger.observe_balance(balance) {
            self.counts.duplicates += 1;
            return false;
        }
        self.counts.balances += 1;
        callbacks.on_balance(balance);
        true
    }

    fn position(
        &mut self,
        position: &Position,
        callbacks: &mut impl PrivateWebSocketMixin,
    ) -> bool {
        if !self.ledger.observe_position(position) {
            self.counts.duplicates += 1;
            return false;
        }
        self.counts.positions += 1;
        callbacks.on_position(position);
        true
    }
}

#[cfg(test)]
mod tests {
    use market_types::OrderStatus;

    use super::*;
    use crate::test_support::{d, fill, id, order, usdt};

    #[derive(Default)]
    struct Seen {
        orders: Vec<Order>,
        fills: usize,
        balances: Vec<Balance>,
        positions: usize,
    }

    impl PrivateWebSocketMixin for Seen {
        fn on_order(&mut self, order: &Order) {
            self.orders.push(*order);
        }
        fn on_fill(&mut self, _fill: &Fill) {
            self.fills += 1;
        }
        fn on_balance(&mut self, balance: &Balance) {
            self.balances.push(*balance);
        }
        fn on_position(&mut self, _position: &Position) {
            self.positions += 1;
        }
    }

    #[test]
    fn each_change_reaches_the_callbacks_once() {
        let (mut delivery, mut seen) = (PrivateDelivery::new(), Seen::default());
        let open = order("1", OrderStatus::New, "0", 1);
        assert!(delivery.order(&open, &mut seen));
        assert!(!delivery.order(&open, &mut seen));
        let fill = fill("t1");
        assert!(delivery.fill(&fill, &mut seen));
        assert!(!delivery.fill(&fill, &mut seen));
        assert!(delivery.streamed_balance(&usdt("5", 3), &mut seen));
        assert!(!delivery.streamed_balance(&usdt("5", 3), &mut seen));
        assert_eq!(
            (seen.orders.len(), seen.fills, seen.balances.len()),
            (1, 1, 1)
        );
        assert_eq!(
            delivery.counts(),
            DeliveryCounts {
                orders: 1,
                fills: 1,
                balances: 1,
                positions: 0,
                duplicates: 3
            }
        );
        assert_eq!(delivery.open_orders().len(), 1);
        // A finished order is forgotten by the open orders, not by the ledger.
        assert!(delivery.order(&order("1", OrderStatus::Filled, "2", 4), &mut seen));
        assert!(delivery.open_orders().is_empty());
        assert_eq!(delivery.ledger().open_orders().count(), 0);
    }

    #[test]
    fn rest_views_never_overwrite_newer_stream_updates() {
        let (mut delivery, mut seen) = (PrivateDelivery::new(), Seen::default());
        // A REST answer requested at sequence 0, after which the stream moved the balance.
        let seq_at_send = delivery.open_orders().seq();
        assert!(delivery.streamed_balance(&usdt("5", 10), &mut seen));
        assert!(!delivery.reconciled_balance(&usdt("7", 9), seq_at_send, &mut seen));
        // Requested after the stream's update, the REST view is news.
        let seq_at_send = delivery.open_orders().seq();
        assert!(delivery.reconciled_balance(&usdt("8", 11), seq_at_send, &mut seen));
        assert_eq!(seen.balances.len(), 2);
        assert_eq!(seen.balances[1].available, d("8"));

        let open = order("1", OrderStatus::New, "0", 1);
        let seq_at_send = delivery.open_orders().seq();
        assert!(delivery.order(&open, &mut seen));
        assert_eq!(
            delivery.rest_order_view(&open, seq_at_send),
            RestOrderView::StreamedSince
        );
        let seq_at_send = delivery.open_orders().seq();
        assert_eq!(
            delivery.rest_order_view(&open, seq_at_send),
            RestOrderView::Unchanged
        );
        let partly = order("1", OrderStatus::PartiallyFilled, "1", 2);
        let RestOrderView::News(Some(view)) = delivery.rest_order_view(&partly, seq_at_send) else {
            panic!("a changed order is news");
        };
        assert_eq!(view.status, OrderStatus::New);
        // The stale balance, the order the stream updated since, the unchanged order.
        assert_eq!(delivery.counts().duplicates, 3);
        assert!(delivery.forget_order(&open.order_id).is_some());
        assert!(delivery.open_orders().is_empty());
    }

    #[test]
    fn a_long_run_stays_within_the_bound_and_dedup_holds_within_the_window() {
        const CAPACITY: usize = 1_000;
        let mut delivery = PrivateDelivery::with_capacity(CAPACITY);
        let mut seen = Seen::default();
        // 50,000 orders: each opens, fills partly, and ends, or (every third) is
        // forgotten because the venue could not tell its end; a few stay open.
        for n in 0..50_000u64 {
            let name = n.to_string();
            assert!(delivery.order(&order(&name, OrderStatus::New, "0", n), &mut seen));
            assert!(delivery.fill(&fill(&format!("t{n}")), &mut seen));
            assert!(delivery.order(
                &order(&name, OrderStatus::PartiallyFilled, "1", n + 1),
                &mut seen
            ));
            if n % 1_000 == 0 {
                continue;
            }
            if n % 3 == 0 {
                assert!(delivery.forget_order(&id(&name)).is_some());
            } else {
                assert!(delivery.order(&order(&name, OrderStatus::Filled, "2", n + 2), &mut seen));
            }
            let open = delivery.open_orders().len();
            assert!(
                delivery.ledger().orders_remembered() <= CAPACITY + open,
                "order {n}: {} remembered, {open} open",
                delivery.ledger().orders_remembered()
            );
            assert!(delivery.ledger().fills_remembered() <= CAPACITY);
        }
        assert_eq!(delivery.open_orders().len(), 50);
        assert_eq!(delivery.ledger().open_orders().count(), 50);
        // Within the window, repeats and stale views are not delivered again.
        let before = seen.orders.len();
        for n in 49_500..50_000u64 {
            let name = n.to_string();
            if n % 1_000 == 0 {
                continue;
            }
            let last = if n % 3 == 0 {
                order(&name, OrderStatus::PartiallyFilled, "1", n + 1)
            } else {
                order(&name, OrderStatus::Filled, "2", n + 2)
            };
            assert!(!delivery.order(&last, &mut seen), "order {n} again");
            assert!(!delivery.order(&order(&name, OrderStatus::New, "0", n), &mut seen));
            assert!(!delivery.fill(&fill(&format!("t{n}")), &mut seen));
        }
        assert_eq!(seen.orders.len(), before);
        // A forgotten order's later end is still news.
        assert!(delivery.order(&order("49998", OrderStatus::Filled, "2", 60_000), &mut seen));
        assert_eq!(delivery.ledger().open_orders().count(), 50);
    }

    #[test]
    #[allow(clippy::unwrap_used, reason = "tests fail loudly")]
    fn symbols_with_activity_are_remembered_within_a_bound() {
        let (mut delivery, mut seen) = (PrivateDelivery::new(), Seen::default());
        assert!(delivery.order(&order("1", OrderStatus::New, "0", 1), &mut seen));
        let mut eth = fill("t1");
        eth.symbol = Symbol::new("ETH_USDT").unwrap();
        assert!(delivery.fill(&eth, &mut seen));
        let mut active: Vec<(String, u64)> = delivery
            .active_symbols()
            .map(|(s, seq)| (s.to_string(), seq))
            .collect();
        active.sort();
        assert_eq!(
            active,
            [("BTC_USDT".to_owned(), 1), ("ETH_USDT".to_owned(), 2)]
        );
        for n in 0..2 * MAX_ACTIVE_SYMBOLS {
            let mut other = order(&format!("o{n}"), OrderStatus::Canceled, "0", 2);
            other.symbol = Symbol::new(&format!("S{n}_USDT")).unwrap();
            assert!(delivery.order(&other, &mut seen));
        }
        assert_eq!(delivery.active_symbols().count(), MAX_ACTIVE_SYMBOLS);
        let last = format!("S{}_USDT", 2 * MAX_ACTIVE_SYMBOLS - 1);
        assert!(delivery.active_symbols().any(|(s, _)| s.as_str() == last));
        assert!(
            !delivery
                .active_symbols()
                .any(|(s, _)| s.as_str() == "BTC_USDT")
        );
    }
}
