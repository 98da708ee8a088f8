//! The bounded queue between the connections and the consumer of [`crate::Client::events`],
//! and what happens to each kind of event when the consumer falls behind.
//!
//! While the queue has room every event goes in, in order. When it is full, the event is
//! handled by its kind's [`OverflowPolicy`], and nothing is ever added behind the
//! overflowed events until the consumer has made room again, so the order the consumer
//! sees is the order things happened (with the lost stretch marked).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use market_types::{Symbol, Venue};

use crate::event::{Event, EventBody, EventKind, Lagged};

/// What happens to an event that finds the queue full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowPolicy {
    /// Only the latest value per venue and symbol is kept until there is room (tickers,
    /// book status): nothing is lost but intermediate values.
    Conflate,
    /// Dropped and counted in [`DeliveryStats::dropped`] (public trades).
    DropCounted,
    /// Dropped, counted, and replaced by one [`EventBody::Lagged`] marker per venue,
    /// kind and symbol that says how many were lost (book views: read the book again with
    /// [`crate::Client::book`]; account events: query the venue's REST API).
    Mark,
    /// Kept in a reserve as large as the queue; beyond it, [`OverflowPolicy::Mark`]
    /// (orders, fills, balances, positions, connection changes).
    Reserve,
}

impl OverflowPolicy {
    /// The policy of a kind.
    pub const fn of(kind: EventKind) -> Self {
        match kind {
            EventKind::Ticker | EventKind::Ticker24h | EventKind::BookStatus => {
                OverflowPolicy::Conflate
            }
            EventKind::Trade | EventKind::Error => OverflowPolicy::DropCounted,
            EventKind::BookUpdate | EventKind::Book | EventKind::Lagged => OverflowPolicy::Mark,
            EventKind::Order
            | EventKind::Fill
            | EventKind::Balance
            | EventKind::Position
            | EventKind::Connection => OverflowPolicy::Reserve,
        }
    }
}

/// What the queue delivered and what it could not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    /// Events handed to the consumer.
    pub delivered: u64,
    /// Events dropped, by [`EventKind::index`].
    pub dropped: [u64; EventKind::ALL.len()],
    /// Values replaced by a newer one before the consumer read them.
    pub conflated: u64,
    /// Events waiting now.
    pub queued: usize,
}

/// An event held back while the queue is full.
#[derive(Debug)]
enum Held {
    /// The latest value of a conflated kind.
    Latest(Event),
    /// A reserved account or connection event.
    Kept(Event),
    /// The marker of a lost stretch.
    Marker { venue: Venue, lagged: Lagged },
}

impl Held {
    fn into_event(self) -> Event {
        match self {
            Held::Latest(event) | Held::Kept(event) => event,
            Held::Marker { venue, lagged } => Event {
                venue,
                receive_ts_ns: 0,
                body: EventBody::Lagged(lagged),
            },
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// Bound: `capacity` events (a push beyond it is held back instead).
    ready: VecDeque<Event>,
    /// Bound: at most `capacity` kept account/connection events, plus one latest value or
    /// one lag marker per (venue, symbol, kind), a set fixed by the subscriptions.
    held: VecDeque<Held>,
    kept: usize,
    stats: DeliveryStats,
    waker: Option<Waker>,
    closed: bool,
}

/// The queue, shared by the connections (producers) and the event stream (consumer).
#[derive(Debug)]
pub(crate) struct EventQueue {
    capacity: usize,
    state: Mutex<State>,
}

impl EventQueue {
    /// A queue of `capacity` events (at least one).
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            capacity: capacity.max(1),
            state: Mutex::new(State::default()),
        })
    }

    /// Adds events; never waits.
    pub(crate) fn push_all(&self, events: impl IntoIterator<Item = Event>) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        let mut woke = false;
        for event in events {
            woke = true;
            if state.held.is_empty() && state.ready.len() < self.capacity {
                state.ready.push_back(event);
            } else {
                self.overflow(&mut state, event);
            }
        }
        if woke && let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    fn overflow(&self, state: &mut State, event: Event) {
        let kind = event.kind();
        let symbol = event.symbol();
        let venue = event.venue;
        let same = |h: &Held| match h {
            Held::Latest(e) => e.venue == venue && e.kind() == kind && e.symbol() == symbol,
            _ => false,
        };
        let mut policy = OverflowPolicy::of(kind);
        if policy == OverflowPolicy::Reserve && state.kept >= self.capacity {
            policy = OverflowPolicy::Mark;
        }
        match policy {
            OverflowPolicy::Conflate => match state.held.iter_mut().find(|h| same(h)) {
                Some(slot) => {
                    *slot = Held::Latest(event);
                    state.stats.conflated = state.stats.conflated.saturating_add(1);
                }
                None => state.held.push_back(Held::Latest(event)),
            },
            OverflowPolicy::DropCounted => count_drop(&mut state.stats, kind),
            OverflowPolicy::Reserve => {
                state.kept += 1;
                state.held.push_back(Held::Kept(event));
            }
            OverflowPolicy::Mark => {
                count_drop(&mut state.stats, kind);
                let marker = state.held.iter_mut().find_map(|h| match h {
                    Held::Marker { venue: v, lagged }
                        if *v == venue && lagged.kind == kind && lagged.symbol == symbol =>
                    {
                        Some(lagged)
                    }
                    _ => None,
                });
                match marker {
                    Some(lagged) => lagged.dropped = lagged.dropped.saturating_add(1),
                    None => state.held.push_back(Held::Marker {
                        venue,
                        lagged: Lagged {
                            kind,
                            symbol,
                            dropped: 1,
                        },
                    }),
                }
            }
        }
    }

    /// The next event, or `None` when closed and empty.
    fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut state = self.lock();
        if let Some(event) = state.ready.pop_front() {
            // Room again: what was held back follows, in order.
            while state.ready.len() < self.capacity
                && let Some(held) = state.held.pop_front()
            {
                if matches!(held, Held::Kept(_)) {
                    state.kept -= 1;
                }
                state.ready.push_back(held.into_event());
            }
            state.stats.delivered = state.stats.delivered.saturating_add(1);
            return Poll::Ready(Some(event));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Ends the stream once what is queued has been read.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        while let Some(held) = state.held.pop_front() {
            state.ready.push_back(held.into_event());
        }
        state.kept = 0;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    pub(crate) fn stats(&self) -> DeliveryStats {
        let state = self.lock();
        DeliveryStats {
            queued: state.ready.len() + state.held.len(),
            ..state.stats
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain data behind the lock: a panic elsewhere leaves it usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn count_drop(stats: &mut DeliveryStats, kind: EventKind) {
    let n = &mut stats.dropped[kind.index()];
    *n = n.saturating_add(1);
}

/// The client's events, in order, as an async [`futures_core::Stream`]. Ends after
/// [`crate::Client::close`] once every queued event was read. Streams taken from one client
/// share its queue: each event goes to one of them.
#[derive(Debug, Clone)]
pub struct Events {
    queue: Arc<EventQueue>,
}

impl Events {
    pub(crate) fn new(queue: Arc<EventQueue>) -> Self {
        Self { queue }
    }

    /// The next event; `None` once the client is closed and the queue is empty.
    pub async fn next(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.queue.poll_pop(cx)).await
    }

    /// The next event for `symbol` of `venue` (other events are read and discarded).
    pub async fn next_for(&mut self, venue: Venue, symbol: Symbol) -> Option<Event> {
        loop {
            let event = self.next().await?;
            if event.venue == venue && event.symbol() == Some(symbol) {
                return Some(event);
            }
        }
    }
}

impl futures_core::Stream for Events {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.queue.poll_pop(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests;
