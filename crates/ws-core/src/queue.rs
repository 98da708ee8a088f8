//! The bounded processing queue of the queued mode, with per-stream overflow policies.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::BytesMut;
use tokio::sync::Notify;

use ws_session::{FrameKind, OverflowPolicy, PushOutcome, StreamKind, Timestamp};

/// One queued inbound message.
#[derive(Debug)]
pub struct QueuedFrame {
    /// Text or binary.
    pub kind: FrameKind,
    /// What it carries.
    pub stream: StreamKind,
    /// The bytes.
    pub payload: BytesMut,
    /// When it was read.
    pub received_at: Timestamp,
}

/// A bounded multi-producer, single-consumer queue. The lock is never held across an await.
#[derive(Debug)]
pub struct FrameQueue {
    inner: Mutex<Inner>,
    not_empty: Notify,
    capacity: usize,
    max_bytes: usize,
}

#[derive(Debug)]
struct Inner {
    /// Bounded by `FrameQueue::capacity`: a push into a full queue applies the overflow
    /// policy instead of growing.
    items: VecDeque<QueuedFrame>,
    /// Payload bytes queued, bounded by `FrameQueue::max_bytes` the same way.
    bytes: usize,
    closed: bool,
}

impl Inner {
    /// Whether a message of `len` bytes fits; an empty queue takes any message.
    fn fits(&self, len: usize, capacity: usize, max_bytes: usize) -> bool {
        self.items.is_empty()
            || (self.items.len() < capacity && self.bytes.saturating_add(len) <= max_bytes)
    }

    fn push_back(&mut self, frame: QueuedFrame) {
        self.bytes = self.bytes.saturating_add(frame.payload.len());
        self.items.push_back(frame);
    }

    fn remove(&mut self, index: usize) {
        if let Some(removed) = self.items.remove(index) {
            self.bytes = self.bytes.saturating_sub(removed.payload.len());
        }
    }

    /// Makes room for `len` bytes by dropping the oldest messages of `stream`; drops
    /// nothing when even dropping all of them would not make room. Returns how many it
    /// dropped.
    fn drop_oldest_for(
        &mut self,
        stream: StreamKind,
        len: usize,
        capacity: usize,
        max_bytes: usize,
    ) -> u32 {
        let (same_count, same_bytes) = self
            .items
            .iter()
            .filter(|q| q.stream == stream)
            .fold((0usize, 0usize), |(n, b), q| (n + 1, b + q.payload.len()));
        let room_after = self.items.len().saturating_sub(same_count) < capacity
            && self.bytes.saturating_sub(same_bytes).saturating_add(len) <= max_bytes;
        if same_count == 0 || !room_after {
            return 0;
        }
        let mut dropped = 0u32;
        while !self.fits(len, capacity, max_bytes) {
            let Some(index) = self.items.iter().position(|q| q.stream == stream) else {
                break;
            };
            self.remove(index);
            dropped = dropped.saturating_add(1);
        }
        dropped
    }
}

impl FrameQueue {
    /// A queue holding at most `capacity` messages (at least one), without a byte budget.
    pub fn new(capacity: usize) -> Self {
        Self::with_byte_budget(capacity, usize::MAX)
    }

    /// A queue holding at most `capacity` messages (at least one) and `max_bytes` payload
    /// bytes (a message arriving at an empty queue is always taken).
    pub fn with_byte_budget(capacity: usize, max_bytes: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            inner: Mutex::new(Inner {
                items: VecDeque::with_capacity(capacity.min(PREALLOCATED)),
                bytes: 0,
                closed: false,
            }),
            not_empty: Notify::new(),
            capacity,
            max_bytes,
        }
    }

    /// Adds a message under `policy`.
    pub fn push(&self, frame: QueuedFrame, policy: OverflowPolicy) -> PushOutcome {
        let outcome = {
            let mut inner = lock(&self.inner);
            let len = frame.payload.len();
            if inner.fits(len, self.capacity, self.max_bytes) {
                inner.push_back(frame);
                PushOutcome::Queued
            } else {
                match policy {
                    OverflowPolicy::Reconnect => PushOutcome::Overflow,
                    OverflowPolicy::DropNewest => PushOutcome::DroppedNewest,
                    OverflowPolicy::DropOldestSameKind => {
                        match inner.drop_oldest_for(
                            frame.stream,
                            len,
                            self.capacity,
                            self.max_bytes,
                        ) {
                            0 => PushOutcome::DroppedNewest,
                            dropped => {
                                inner.push_back(frame);
                                if dropped == 1 {
                                    PushOutcome::QueuedDroppedOldest
                                } else {
                                    PushOutcome::QueuedDroppedOlder(dropped)
                                }
                            }
                        }
                    }
                }
            }
        };
        if matches!(
            outcome,
            PushOutcome::Queued | PushOutcome::QueuedDroppedOldest
        ) {
            self.not_empty.notify_one();
        }
        outcome
    }

    /// Takes the oldest message, waiting while the queue is empty. `None` once closed and
    /// drained.
    pub async fn pop(&self) -> Option<QueuedFrame> {
        loop {
            let notified = self.not_empty.notified();
            {
                let mut inner = lock(&self.inner);
                if let Some(item) = inner.items.pop_front() {
                    inner.bytes = inner.bytes.saturating_sub(item.payload.len());
                    return Some(item);
                }
                if inner.closed {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// Current depth.
    pub fn len(&self) -> usize {
        lock(&self.inner).items.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes everything queued and returns how many messages of each kind were removed.
    pub fn clear(&self) -> [u64; StreamKind::ALL.len()] {
        let mut removed = [0u64; StreamKind::ALL.len()];
        let mut inner = lock(&self.inner);
        inner.bytes = 0;
        for item in inner.items.drain(..) {
            removed[item.stream.index()] += 1;
        }
        removed
    }

    /// Wakes the consumer and makes `pop` return `None` once drained.
    pub fn close(&self) {
        lock(&self.inner).closed = true;
        self.not_empty.notify_waiters();
        self.not_empty.notify_one();
    }
}

/// Slots reserved up front; a larger queue grows on demand up to its capacity.
const PREALLOCATED: usize = 65_536;

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    // A panic while holding this lock cannot leave the deque inconsistent, so a poisoned
    // lock is still usable.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn frame(stream: StreamKind, tag: u8) -> QueuedFrame {
        QueuedFrame {
            kind: FrameKind::Text,
            stream,
            payload: BytesMut::from(&[tag][..]),
            received_at: Timestamp::new(Instant::now(), 0),
        }
    }

    #[test]
    fn policies_on_full_queue() {
        let q = FrameQueue::new(2);
        assert_eq!(
            q.push(
                frame(StreamKind::Ticker, 1),
                OverflowPolicy::DropOldestSameKind
            ),
            PushOutcome::Queued
        );
        assert_eq!(
            q.push(frame(StreamKind::Book, 2), OverflowPolicy::Reconnect),
            PushOutcome::Queued
        );
        assert_eq!(
            q.push(frame(StreamKind::Book, 3), OverflowPolicy::Reconnect),
            PushOutcome::Overflow
        );
        assert_eq!(
            q.push(frame(StreamKind::Trade, 4), OverflowPolicy::DropNewest),
            PushOutcome::DroppedNewest
        );
        assert_eq!(
            q.push(
                frame(StreamKind::Ticker, 5),
                OverflowPolicy::DropOldestSameKind
            ),
            PushOutcome::QueuedDroppedOldest
        );
        // No trade queued to give way: the arriving one is dropped.
        assert_eq!(
            q.push(
                frame(StreamKind::Trade, 6),
                OverflowPolicy::DropOldestSameKind
            ),
            PushOutcome::DroppedNewest
        );
        assert_eq!(q.len(), 2);
        let removed = q.clear();
        assert_eq!(removed[StreamKind::Book.index()], 1);
        assert_eq!(removed[StreamKind::Ticker.index()], 1);
    }

    #[tokio::test]
    async fn pop_preserves_order_and_ends_after_close() {
        let q = std::sync::Arc::new(FrameQueue::new(8));
        for i in 0..5 {
            q.push(frame(StreamKind::Book, i), OverflowPolicy::Reconnect);
        }
        let consumer = {
            let q = q.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while let Some(f) = q.pop().await {
                    seen.push(f.payload[0]);
                }
                seen
            })
        };
        tokio::task::yield_now().await;
        q.close();
        let seen = tokio::time::timeout(std::time::Duration::from_secs(5), consumer)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    }

    fn sized(stream: StreamKind, len: usize) -> QueuedFrame {
        QueuedFrame {
            kind: FrameKind::Binary,
            stream,
            payload: BytesMut::zeroed(len),
            received_at: Timestamp::new(Instant::now(), 0),
        }
    }

    #[test]
    fn byte_budget_applies_the_same_policies() {
        // Room for 1,000 messages but only 100 bytes.
        let q = FrameQueue::with_byte_budget(1000, 100);
        assert_eq!(
            q.push(sized(StreamKind::Book, 60), OverflowPolicy::Reconnect),
            PushOutcome::Queued
        );
        assert_eq!(
            q.push(sized(StreamKind::Book, 60), OverflowPolicy::Reconnect),
            PushOutcome::Overflow
        );
        assert_eq!(
            q.push(sized(StreamKind::Trade, 50), OverflowPolicy::DropNewest),
            PushOutcome::DroppedNewest
        );
        for _ in 0..2 {
            assert_eq!(
                q.push(
                    sized(StreamKind::Ticker, 20),
                    OverflowPolicy::DropOldestSameKind
                ),
                PushOutcome::Queued
            );
        }
        // 100 bytes queued: a 40-byte ticker replaces both older ones.
        assert_eq!(
            q.push(
                sized(StreamKind::Ticker, 40),
                OverflowPolicy::DropOldestSameKind
            ),
            PushOutcome::QueuedDroppedOlder(2)
        );
        // Dropping every ticker would not make room for 50 bytes: nothing older goes.
        assert_eq!(
            q.push(
                sized(StreamKind::Ticker, 50),
                OverflowPolicy::DropOldestSameKind
            ),
            PushOutcome::DroppedNewest
        );
        assert_eq!(q.len(), 2);
        // Popping frees bytes.
        assert!(q.clear().iter().sum::<u64>() == 2);
        assert_eq!(
            q.push(sized(StreamKind::Book, 100), OverflowPolicy::Reconnect),
            PushOutcome::Queued
        );
    }

    #[tokio::test]
    async fn popping_frees_the_byte_budget_and_an_empty_queue_takes_anything() {
        let q = FrameQueue::with_byte_budget(10, 100);
        assert_eq!(
            q.push(sized(StreamKind::Book, 500), OverflowPolicy::Reconnect),
            PushOutcome::Queued
        );
        assert_eq!(
            q.push(sized(StreamKind::Book, 1), OverflowPolicy::Reconnect),
            PushOutcome::Overflow
        );
        assert!(q.pop().await.is_some());
        assert_eq!(
            q.push(sized(StreamKind::Book, 100), OverflowPolicy::Reconnect),
            PushOutcome::Queued
        );
    }
}
