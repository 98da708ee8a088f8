//! The bounded queue between a compat manager's Rust callbacks and the Python task that
//! awaits the user's async callbacks on the asyncio loop.
//!
//! The Rust side never waits for Python: the manager's message and connection handlers
//! push here and return. While the queue has room everything goes in, in order. When it is
//! full, each kind has a written policy, and nothing is added behind held-back items until
//! the consumer has made room again, so the order the callbacks see is the order things
//! happened:
//!
//! | Kind | Overflow |
//! |---|---|
//! | `ORDERBOOK`, `BOOK_TICKER`, `TICKER`, book status (`OTHER`) | conflated: the latest per symbol is kept (an `ORDERBOOK` message carries the whole local book, so the book is never wrong, only intermediate states are skipped); counted in `conflated` |
//! | public `TRADE` | dropped and counted in `dropped` |
//! | private (`ORDER`, fills, `BALANCE`, positions, reconciled), errors, connection states | kept in a reserve as large as the queue; beyond it, dropped, counted, and reported to the message handler as one `ERROR` message per kind saying how many were lost |

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

/// How an item is treated when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    Conflate,
    DropCounted,
    Reserve,
}

/// One thing for the Python side: a message or a state change, already encoded.
#[derive(Debug)]
pub(crate) struct Item {
    /// What it is, for the overflow policy and the loss report (`"ORDERBOOK"`, ...).
    pub(crate) kind: &'static str,
    /// Conflation key: the venue symbol, when the item is about one.
    pub(crate) symbol: Option<String>,
    pub(crate) policy: Policy,
    /// A JSON object (see `legacy.rs`).
    pub(crate) json: String,
}

#[derive(Debug)]
enum Held {
    Latest(Item),
    Kept(Item),
    Lost { kind: &'static str, count: u64 },
}

/// What the queue delivered and what it could not.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DeliveryStats {
    pub(crate) delivered: u64,
    pub(crate) conflated: u64,
    pub(crate) dropped: u64,
    pub(crate) queued: usize,
}

#[derive(Debug, Default)]
struct State {
    /// Bound: `capacity` items (a push beyond it is held back instead).
    ready: VecDeque<Item>,
    /// Bound: `capacity` kept items, plus one latest value per (kind, symbol) and one
    /// loss report per kind, sets fixed by the subscriptions.
    held: VecDeque<Held>,
    kept: usize,
    stats: DeliveryStats,
    closed: bool,
}

#[derive(Debug)]
pub(crate) struct DeliveryQueue {
    capacity: usize,
    state: Mutex<State>,
    notify: Notify,
}

impl DeliveryQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            state: Mutex::new(State::default()),
            notify: Notify::new(),
        }
    }

    /// Adds an item; never waits.
    pub(crate) fn push(&self, item: Item) {
        {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            if state.held.is_empty() && state.ready.len() < self.capacity {
                state.ready.push_back(item);
            } else {
                self.overflow(&mut state, item);
            }
        }
        self.notify.notify_one();
    }

    fn overflow(&self, state: &mut State, item: Item) {
        let mut policy = item.policy;
        if policy == Policy::Reserve && state.kept >= self.capacity {
            state.stats.dropped = state.stats.dropped.saturating_add(1);
            let report = state.held.iter_mut().find_map(|h| match h {
                Held::Lost { kind, count } if *kind == item.kind => Some(count),
                _ => None,
            });
            match report {
                Some(count) => *count = count.saturating_add(1),
                None => state.held.push_back(Held::Lost {
                    kind: item.kind,
                    count: 1,
                }),
            }
            return;
        }
        if policy == Policy::Conflate && item.symbol.is_none() {
            policy = Policy::Reserve;
        }
        match policy {
            Policy::Conflate => {
                let slot = state.held.iter_mut().find(|h| match h {
                    Held::Latest(old) => old.kind == item.kind && old.symbol == item.symbol,
                    _ => false,
                });
                match slot {
                    Some(slot) => {
                        *slot = Held::Latest(item);
                        state.stats.conflated = state.stats.conflated.saturating_add(1);
                    }
                    None => state.held.push_back(Held::Latest(item)),
                }
            }
            Policy::DropCounted => state.stats.dropped = state.stats.dropped.saturating_add(1),
            Policy::Reserve => {
                state.kept += 1;
                state.held.push_back(Held::Kept(item));
            }
        }
    }

    /// Up to `max` items as one JSON array, waiting (without the GIL: this runs on the
    /// runtime) until there is one; `None` once closed and empty.
    pub(crate) async fn next_batch(&self, max: usize) -> Option<String> {
        loop {
            {
                let mut state = self.lock();
                if !state.ready.is_empty() {
                    let mut out = String::from("[");
                    let mut n = 0;
                    while n < max.max(1)
                        && let Some(item) = state.ready.pop_front()
                    {
                        if n > 0 {
                            out.push(',');
                        }
                        out.push_str(&item.json);
                        n += 1;
                        // Room again: what was held back follows, in order.
                        while state.ready.len() < self.capacity
                            && let Some(held) = state.held.pop_front()
                        {
                            let item = match held {
                                Held::Kept(item) => {
                                    state.kept -= 1;
                                    item
                                }
                                Held::Latest(item) => item,
                                Held::Lost { kind, count } => loss_report(kind, count),
                            };
                            state.ready.push_back(item);
                        }
                    }
                    out.push(']');
                    state.stats.delivered = state.stats.delivered.saturating_add(n as u64);
                    return Some(out);
                }
                if state.closed {
                    return None;
                }
            }
            self.notify.notified().await;
        }
    }

    /// Ends the stream once what is queued has been read.
    pub(crate) fn close(&self) {
        {
            let mut state = self.lock();
            state.closed = true;
            while let Some(held) = state.held.pop_front() {
                let item = match held {
                    Held::Kept(item) | Held::Latest(item) => item,
                    Held::Lost { kind, count } => loss_report(kind, count),
                };
                state.ready.push_back(item);
            }
            state.kept = 0;
        }
        self.notify.notify_one();
    }

    pub(crate) fn stats(&self) -> DeliveryStats {
        let state = self.lock();
        DeliveryStats {
            queued: state.ready.len() + state.held.len(),
            ..state.stats
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain data behind the lock: a panic elsewhere leaves it usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The `ERROR` message that tells the handler how many `kind` messages were lost.
fn loss_report(kind: &'static str, count: u64) -> Item {
    let message = format!(
        "the message handler fell behind: {count} {kind} message(s) lost (queue full); \
         query the venue's REST API for the current state"
    );
    Item {
        kind: "ERROR",
        symbol: None,
        policy: Policy::Reserve,
        json: serde_json::json!({
            "type": "message",
            "message_type": -1,
            "symbol": null,
            "channel": null,
            "timestamp": 0.0,
            "data": {"kind": "error", "category": "overflow", "message": message},
        })
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &'static str, symbol: Option<&str>, policy: Policy, n: u32) -> Item {
        Item {
            kind,
            symbol: symbol.map(str::to_owned),
            policy,
            json: format!("{{\"n\":{n}}}"),
        }
    }

    fn drain(queue: &DeliveryQueue) -> Vec<serde_json::Value> {
        queue.close();
        let runtime = tokio::runtime::Builder::new_current_thread().build();
        let Ok(runtime) = runtime else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Some(batch) = runtime.block_on(queue.next_batch(100)) {
            let values: Vec<serde_json::Value> = serde_json::from_str(&batch).unwrap_or_default();
            out.extend(values);
        }
        out
    }

    #[test]
    fn books_conflate_trades_drop_private_is_kept_then_reported() {
        let queue = DeliveryQueue::new(2);
        queue.push(item("ORDERBOOK", Some("BTC"), Policy::Conflate, 1));
        queue.push(item("ORDERBOOK", Some("BTC"), Policy::Conflate, 2));
        // Full from here on.
        queue.push(item("ORDERBOOK", Some("BTC"), Policy::Conflate, 3));
        queue.push(item("TRADE", Some("BTC"), Policy::DropCounted, 4));
        queue.push(item("ORDER", Some("BTC"), Policy::Reserve, 5));
        queue.push(item("ORDERBOOK", Some("BTC"), Policy::Conflate, 6));
        queue.push(item("ORDER", Some("BTC"), Policy::Reserve, 7));
        queue.push(item("ORDER", Some("BTC"), Policy::Reserve, 8));
        let stats = queue.stats();
        assert_eq!((stats.conflated, stats.dropped), (1, 2));
        let got = drain(&queue);
        let ns: Vec<i64> = got.iter().filter_map(|v| v["n"].as_i64()).collect();
        // The latest book (6) replaced 3 in its place; the two kept orders follow.
        assert_eq!(ns, vec![1, 2, 6, 5, 7]);
        let report = got.last().map(|v| v["data"]["message"].to_string());
        assert!(
            report.is_some_and(|m| m.contains("1 ORDER message(s) lost")),
            "{got:?}"
        );
    }

    #[test]
    fn order_is_kept_while_there_is_room() {
        let queue = DeliveryQueue::new(10);
        for n in 0..5 {
            queue.push(item("TRADE", Some("BTC"), Policy::DropCounted, n));
        }
        let ns: Vec<i64> = drain(&queue)
            .iter()
            .filter_map(|v| v["n"].as_i64())
            .collect();
        assert_eq!(ns, vec![0, 1, 2, 3, 4]);
        assert_eq!(queue.stats().delivered, 5);
    }
}
