//! Book-sync counters.

/// Counters, read with [`crate::BookSync::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookSyncStats {
    /// Pushes applied to live books.
    pub applied: u64,
    /// Buffered pushes replayed over a snapshot.
    pub replayed: u64,
    /// Full pushes that replaced a book.
    pub replaced: u64,
    /// Pushes buffered while syncing.
    pub buffered: u64,
    /// Buffered pushes discarded: older than the snapshot, before a hole, or lost with a
    /// push that did not decode.
    pub dropped: u64,
    /// Live pushes skipped as older than the book.
    pub duplicates: u64,
    /// Pushes applied that overlapped ids already applied.
    pub overlaps: u64,
    /// Restarts of any cause.
    pub resyncs: u64,
    /// Restarts for a gap.
    pub gaps: u64,
    /// Restarts for a push that did not decode (or was of another depth) after part of it
    /// may have been applied.
    pub invalid_updates: u64,
    /// Restarts for a crossed book.
    pub crossed: u64,
    /// Restarts, and refused snapshots, for a non-positive size.
    pub non_positive: u64,
    /// Restarts for a full buffer.
    pub buffer_overflows: u64,
    /// Snapshot requests queued.
    pub snapshots_requested: u64,
    /// Snapshots loaded into a book.
    pub snapshots_applied: u64,
    /// Snapshots older than the buffered pushes.
    pub stale_snapshots: u64,
    /// Snapshot answers that failed (HTTP, transport, undecodable, invalid book).
    pub snapshot_failures: u64,
    /// Snapshot answers that said "rate limited".
    pub rate_limited: u64,
    /// Answers to snapshot requests that had been abandoned.
    pub stale_responses: u64,
    /// Pushes for symbols (channels, depths) not tracked here.
    pub untracked: u64,
}

impl From<&BookSyncStats> for crate::venue::BookSyncSummary {
    fn from(s: &BookSyncStats) -> Self {
        Self {
            snapshots_requested: s.snapshots_requested,
            snapshots_applied: s.snapshots_applied,
            snapshots_failed: s.stale_snapshots.saturating_add(s.snapshot_failures),
            resyncs: s.resyncs,
        }
    }
}
