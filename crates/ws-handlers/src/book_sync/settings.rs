//! Venue-independent settings of one book synchroniser.

use std::time::Duration;

/// How one [`crate::BookSync`] buffers, retries and trims. The venues build it from their
/// own configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSettings {
    /// Levels per side a book keeps; deeper levels are trimmed (the venue never deletes
    /// levels that fall out of a fixed-depth stream or snapshot).
    pub depth: usize,
    /// Levels per side reserved in each book, so steady-state updates never allocate.
    pub book_capacity: usize,
    /// Pushes buffered per symbol while syncing; one more restarts with `BufferOverflow`.
    pub max_buffered_pushes: usize,
    /// Stored items (bytes, levels) buffered per symbol; more restarts too.
    pub max_buffered_items: usize,
    /// After the subscription ack, a snapshot is due this late even with nothing buffered.
    pub snapshot_after_quiet: Duration,
    /// First snapshot retry delay; doubles per failure.
    pub backoff_initial: Duration,
    /// Longest snapshot retry delay.
    pub backoff_max: Duration,
    /// A book live this long forgets earlier failures (zero: as soon as it goes live).
    pub forget_failures_after: Duration,
    /// The first REST request id; ids count up from here.
    pub first_request_id: u64,
}

impl SyncSettings {
    /// The retry delay after `attempt` failures (1 = first failure).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        self.backoff_initial
            .saturating_mul(1u32 << shift)
            .min(self.backoff_max)
    }
}
