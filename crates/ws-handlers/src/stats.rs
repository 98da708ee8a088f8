//! Per-handler counters and parse timing (plain data).

use ws_session::LatencyHistogram;

use crate::message_type::WebSocketMessageType;

/// What a handler counted. Read it with a snapshot (`Clone`).
#[derive(Debug, Clone, Default)]
pub struct HandlerStats {
    /// Messages handled.
    pub messages: u64,
    /// Messages by detected type, indexed by [`WebSocketMessageType::index`].
    pub by_type: [u64; WebSocketMessageType::ALL.len()],
    /// Messages whose processing failed (skipped, stream continues).
    pub errors: u64,
    /// Messages of a type this handler does not route (public type on a private handler...).
    pub unhandled: u64,
    /// Detect + route + parse time per message, in nanoseconds.
    pub processing: LatencyHistogram,
}

impl HandlerStats {
    /// Messages of one type.
    pub fn count(&self, t: WebSocketMessageType) -> u64 {
        self.by_type[t.index()]
    }
}
