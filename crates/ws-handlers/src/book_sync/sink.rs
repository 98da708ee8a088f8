//! Where book sync's output goes.

use market_types::{BookStatusEvent, BookUpdate, OrderBook};
use ws_mixins::PublicWebSocketMixin;

/// Receives what book sync produces. Generic, not a trait object, so the per-update call
/// is statically dispatched and inlined.
pub trait BookSink {
    /// A push (or snapshot) was applied; `book` is the result.
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate);
    /// A book became `Syncing`, `Live` or `Resyncing`.
    fn status_changed(&mut self, event: BookStatusEvent);
}

/// Discards everything (for callers that only read the books).
impl BookSink for () {
    #[inline]
    fn book_updated(&mut self, _book: &OrderBook, _update: &BookUpdate) {}
    #[inline]
    fn status_changed(&mut self, _event: BookStatusEvent) {}
}

/// Book sync's output, straight into a public handler's user callbacks.
#[derive(Debug)]
pub struct CallbackSink<'a, H>(pub &'a mut H);

impl<H: PublicWebSocketMixin> BookSink for CallbackSink<'_, H> {
    #[inline]
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        self.0.on_order_book(book, update);
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.0.on_book_status(&event);
    }
}
