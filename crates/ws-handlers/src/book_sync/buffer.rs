//! Pushes kept while a symbol syncs: ids per push, their levels in one arena (cleared,
//! not freed, between syncs).

#[derive(Debug)]
pub(super) struct PushBuffer<T> {
    pushes: Vec<BufferedPush>,
    items: Vec<T>,
}

impl<T> Default for PushBuffer<T> {
    fn default() -> Self {
        PushBuffer {
            pushes: Vec::new(),
            items: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct BufferedPush {
    pub(super) first: u64,
    pub(super) last: u64,
    pub(super) time_ms: u64,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl<T> PushBuffer<T> {
    /// Pushes kept.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.pushes.len()
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Items in the arena.
    #[inline]
    pub(super) fn items_len(&self) -> usize {
        self.items.len()
    }

    pub(super) fn clear(&mut self) {
        self.pushes.clear();
        self.items.clear();
    }

    /// The last push kept.
    pub(super) fn last(&self) -> Option<&BufferedPush> {
        self.pushes.last()
    }

    /// Appends one push whose items `fill` writes; a failed fill leaves no trace.
    pub(super) fn push<E>(
        &mut self,
        first: u64,
        last: u64,
        time_ms: u64,
        fill: impl FnOnce(&mut Vec<T>) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.items.len();
        if let Err(error) = fill(&mut self.items) {
            self.items.truncate(start);
            return Err(error);
        }
        self.pushes.push(BufferedPush {
            first,
            last,
            time_ms,
            start,
            end: self.items.len(),
        });
        Ok(())
    }

    /// The first kept push that ends after `id` (the first one a snapshot of `id` needs).
    pub(super) fn first_after(&self, id: u64) -> Option<&BufferedPush> {
        self.pushes.iter().find(|push| push.last > id)
    }

    /// The push at `offset` and its items.
    pub(super) fn get(&self, offset: usize) -> Option<(BufferedPush, &[T])> {
        let push = *self.pushes.get(offset)?;
        let items = self.items.get(push.start..push.end).unwrap_or_default();
        Some((push, items))
    }
}
