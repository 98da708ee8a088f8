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
}

#[derive(Debug)]
struct Inner {
    /// Bounded by `FrameQueue::capacity`: a push into a full queue applies the overflow
    /// policy instead of growing.
    items: VecDeque<QueuedFrame>,
    closed: bool,
}

impl FrameQueue {
    /// A queue holding at most `capacity` messages (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            inner: Mutex::new(Inner {
                items: VecDeque::with_capacity(capacity),
                closed: false,
            }),
            not_empty: Notify::new(),
            capacity,
        }
    }

    /// Adds a message under `policy`.
    pub fn push(&self, frame: QueuedFrame, policy: OverflowPolicy) -> PushOutcome {
        let outcome = {
            let mut inner = lock(&self.inner);
            if inner.items.len() < self.capacity {
                inner.items.push_back(frame);
                PushOutcome::Queued
            } else {
                match policy {
                    OverflowPolicy::Reconnect => PushOutcome::Overflow,
                    OverflowPolicy::DropNewest => PushOutcome::DroppedNewest,
                    OverflowPolicy::DropOldestSameKind => {
                        let same = inner.items.iter().position(|q| q.stream == frame.stream);
                        match same {
                            Some(index) => {
                                inner.items.remove(index);
                                inner.items.push_back(frame);
                                PushOutcome::QueuedDroppedOldest
                            }
                            None => PushOutcome::DroppedNewest,
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
        for item in lock(&self.inner).items.drain(..) {
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
}
