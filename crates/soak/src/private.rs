//! What the client delivered on the account channels, and whether each event arrived
//! exactly once.
//!
//! Fills have a venue-unique trade id: each one the simulator pushed must be delivered
//! once, whatever connection it came through (push or reconciliation after a reconnect).
//! Orders change state: each order the soak placed must end delivered as filled, and no
//! state (status and filled quantity) of an order may be delivered twice.

use std::collections::HashMap;

use exchange_ws::{EventBody, Venue};
use market_types::{OrderStatus, Quantity};

use crate::venues::Placed;

/// An order's delivered states: status, filled quantity, quantity.
type OrderStates = HashMap<(Venue, String), Vec<(OrderStatus, Quantity, Quantity)>>;

/// Deliveries since the last checkpoint, and those of the window before (so a late
/// duplicate of an event already checked is still caught).
#[derive(Debug, Default)]
pub struct Delivered {
    fills: HashMap<(Venue, String), u32>,
    orders: OrderStates,
    previous_fills: HashMap<(Venue, String), u32>,
    previous_orders: OrderStates,
    /// Account events lost to a full queue (a failure: the soak reads fast enough).
    pub account_lagged: u64,
}

impl Delivered {
    /// Records one event from the client's stream.
    pub fn record(&mut self, venue: Venue, body: &EventBody) {
        match body {
            EventBody::Fill(fill) => {
                let key = (venue, fill.trade_id.to_string());
                if let Some(n) = self.previous_fills.get_mut(&key) {
                    *n = n.saturating_add(1);
                } else {
                    let n = self.fills.entry(key).or_default();
                    *n = n.saturating_add(1);
                }
            }
            EventBody::Order(order) => {
                let key = (venue, order.order_id.to_string());
                let state = (order.status, order.filled, order.quantity);
                match self.previous_orders.get_mut(&key) {
                    Some(states) => states.push(state),
                    None => self.orders.entry(key).or_default().push(state),
                }
            }
            EventBody::Lagged(lagged) if is_account(lagged.kind) => {
                self.account_lagged = self.account_lagged.saturating_add(lagged.dropped);
            }
            _ => {}
        }
    }

    /// Checks the window against what the simulator pushed (`fill_ids`, trade ids of this
    /// window per venue) and the orders the soak placed; then starts a new window. Returns
    /// what is wrong, if anything.
    pub fn check_and_rotate(
        &mut self,
        fill_ids: &[(Venue, Vec<String>)],
        placed: &[Placed],
    ) -> Vec<String> {
        let mut wrong = Vec::new();
        for (key, n) in self.previous_fills.iter().chain(&self.fills) {
            if *n > 1 {
                wrong.push(format!("{} fill {} delivered {n} times", key.0, key.1));
            }
        }
        let mut expected = 0usize;
        for (venue, ids) in fill_ids {
            for id in ids {
                expected += 1;
                if !self.fills.contains_key(&(*venue, id.clone())) {
                    wrong.push(format!("{venue} fill {id} never delivered"));
                }
            }
        }
        if self.fills.len() > expected {
            wrong.push(format!(
                "{} fills delivered that the simulator did not push in this window",
                self.fills.len() - expected
            ));
        }
        for states in self.previous_orders.values().chain(self.orders.values()) {
            for (i, state) in states.iter().enumerate() {
                if states[..i].contains(state) {
                    wrong.push(format!("an order state delivered twice: {state:?}"));
                }
            }
        }
        for order in placed {
            let key = (order.venue, order.order_id.clone());
            match self.orders.get(&key).and_then(|s| s.last()) {
                Some((OrderStatus::Filled, filled, quantity)) if filled == quantity => {}
                Some(last) => wrong.push(format!(
                    "{} order {}: last delivered state {last:?}, not filled",
                    order.venue, order.order_id
                )),
                None => wrong.push(format!(
                    "{} order {}: never delivered",
                    order.venue, order.order_id
                )),
            }
        }
        if self.account_lagged > 0 {
            wrong.push(format!(
                "{} account events lost to a full queue",
                self.account_lagged
            ));
        }
        // Keep the window just checked, to catch a late duplicate of it.
        self.previous_fills = std::mem::take(&mut self.fills);
        self.previous_orders = std::mem::take(&mut self.orders);
        wrong.truncate(MAX_REPORTED);
        wrong
    }

    /// Fills and order updates delivered in the current window.
    pub fn counts(&self) -> (usize, usize) {
        (self.fills.len(), self.orders.values().map(Vec::len).sum())
    }
}

/// At most this many problems per checkpoint are reported.
const MAX_REPORTED: usize = 20;

fn is_account(kind: exchange_ws::EventKind) -> bool {
    use exchange_ws::EventKind as K;
    matches!(kind, K::Order | K::Fill | K::Balance | K::Position)
}
