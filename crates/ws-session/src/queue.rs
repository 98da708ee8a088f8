//! The overflow vocabulary of bounded queues: the stream kinds, and what each does when its
//! queue is full. The queue itself lives in the driver (it needs a wake-up primitive); the
//! decisions are plain data so sessions and tests can name them.

/// What a frame carries, for the queued mode's per-stream overflow policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Acks, pongs, errors: never dropped.
    Control,
    /// Order book updates: must never be dropped silently.
    Book,
    /// Private order/fill/balance/position updates: must never be dropped silently.
    Private,
    /// Trades.
    Trade,
    /// Tickers and best bid/ask: the newest value supersedes older ones.
    Ticker,
}

impl StreamKind {
    /// Every kind, in index order.
    pub const ALL: [StreamKind; 5] = [
        StreamKind::Control,
        StreamKind::Book,
        StreamKind::Private,
        StreamKind::Trade,
        StreamKind::Ticker,
    ];

    /// Dense index for per-kind counters.
    pub fn index(self) -> usize {
        match self {
            StreamKind::Control => 0,
            StreamKind::Book => 1,
            StreamKind::Private => 2,
            StreamKind::Trade => 3,
            StreamKind::Ticker => 4,
        }
    }

    /// Lower-case name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Control => "control",
            StreamKind::Book => "book",
            StreamKind::Private => "private",
            StreamKind::Trade => "trade",
            StreamKind::Ticker => "ticker",
        }
    }
}

/// What happens when a message arrives and the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowPolicy {
    /// Never drop: the connection is torn down and re-established, which resyncs books and
    /// reconciles private state. For book, private and control streams.
    Reconnect,
    /// Drop the arriving message and count it. For trades.
    DropNewest,
    /// Drop the oldest queued message of the same stream kind (the newest value supersedes
    /// it) and count it; if none is queued, drop the arriving one. For tickers.
    DropOldestSameKind,
}

/// Result of pushing into a bounded queue (the driver's `FrameQueue::push`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Queued.
    Queued,
    /// Queued after dropping an older message of the same kind.
    QueuedDroppedOldest,
    /// Queued after dropping this many (more than one) older messages of the same kind, to
    /// fit the byte budget.
    QueuedDroppedOlder(u32),
    /// The arriving message was dropped.
    DroppedNewest,
    /// The queue is full and the policy forbids dropping: reconnect.
    Overflow,
}

/// The default byte budget of a processing queue: 64 MiB (the frame bound alone allowed
/// 65,536 messages of up to 16 MiB each).
pub const DEFAULT_QUEUE_BYTES: usize = 64 << 20;

/// Capacity and per-stream overflow policy of the processing queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// Messages the queue holds.
    pub capacity: usize,
    /// Payload bytes the queue holds; a message that would exceed it meets its stream's
    /// overflow policy as if the queue were full. A message arriving at an empty queue is
    /// always taken (the driver's maximum message size bounds it).
    pub max_bytes: usize,
    /// Policy per [`StreamKind`], indexed by [`StreamKind::index`].
    pub policies: [OverflowPolicy; StreamKind::ALL.len()],
}

impl QueueConfig {
    /// The written defaults: control, book and private never drop (overflow forces a
    /// reconnect, which resyncs books and reconciles private state), trades are dropped and
    /// counted, tickers are conflated (the oldest queued ticker gives way).
    pub fn with_capacity(capacity: usize) -> Self {
        let mut policies = [OverflowPolicy::Reconnect; StreamKind::ALL.len()];
        policies[StreamKind::Trade.index()] = OverflowPolicy::DropNewest;
        policies[StreamKind::Ticker.index()] = OverflowPolicy::DropOldestSameKind;
        Self {
            capacity,
            max_bytes: DEFAULT_QUEUE_BYTES,
            policies,
        }
    }

    /// The policy for one stream kind.
    pub fn policy(&self, kind: StreamKind) -> OverflowPolicy {
        self.policies[kind.index()]
    }

    /// Overrides the policy for one stream kind.
    pub fn set_policy(&mut self, kind: StreamKind, policy: OverflowPolicy) -> &mut Self {
        self.policies[kind.index()] = policy;
        self
    }
}
