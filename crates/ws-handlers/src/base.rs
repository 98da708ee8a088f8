//! `BaseMessageHandler`: the template method every exchange handler runs per message.

use std::time::Instant;

use ws_mixins::StreamError;
use ws_session::{InboundFrame, Outbox};

use crate::error::HandlerError;
use crate::message_type::WebSocketMessageType;
use crate::stats::HandlerStats;

/// The plan's `BaseMessageHandler`: detect the type, route it, parse it; time and count
/// each message; a failure is counted, logged and skipped, never fatal to the stream.
///
/// Implementors provide [`detect_message_type`](Self::detect_message_type) and
/// [`route_message`](Self::route_message) (usually by delegating to
/// [`crate::PublicMessageHandler::route_public`] or
/// [`crate::PrivateMessageHandler::route_private`]); [`handle_message`](Self::handle_message)
/// is the template and is not meant to be overridden.
pub trait BaseMessageHandler {
    /// Whether to time every message (two monotonic clock reads). On by default.
    const RECORD_TIMING: bool = true;

    /// Name for logs (`"venue_spot"`).
    fn exchange_name(&self) -> &'static str;

    /// Cheap classification: must not allocate or fully parse.
    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> WebSocketMessageType;

    /// Dispatch to the parser for `message_type`.
    fn route_message(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError>;

    /// Where the template keeps its counters.
    fn handler_stats(&mut self) -> &mut HandlerStats;

    /// Whether a skipped message's bytes may be logged. Off for account streams: their
    /// frames carry account data, so only the length is logged.
    const LOG_PAYLOAD: bool = true;

    /// Tells the user a message was skipped (handlers pass it to their callbacks'
    /// `on_error`). Default: nothing beyond the log line.
    fn report_skipped(&mut self, _error: &StreamError) {}

    /// Logs a message that could not be processed (type, error, and the first bytes
    /// when [`Self::LOG_PAYLOAD`]), then [`Self::report_skipped`] with the error's
    /// category.
    fn handle_processing_error(
        &mut self,
        message_type: WebSocketMessageType,
        error: &HandlerError,
        raw: &[u8],
    ) {
        if Self::LOG_PAYLOAD {
            let shown = &raw[..raw.len().min(MAX_LOGGED_BYTES)];
            tracing::warn!(
                exchange = self.exchange_name(),
                message_type = message_type.as_str(),
                %error,
                raw = %String::from_utf8_lossy(shown),
                "message skipped"
            );
        } else {
            tracing::warn!(
                exchange = self.exchange_name(),
                message_type = message_type.as_str(),
                %error,
                len = raw.len(),
                "message skipped"
            );
        }
        self.report_skipped(&StreamError {
            category: error.category(),
            message: error.to_string(),
        });
    }

    fn handle_message(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        let started = Self::RECORD_TIMING.then(Instant::now);
        let message_type = self.detect_message_type(&frame);
        {
            let stats = self.handler_stats();
            stats.messages += 1;
            stats.by_type[message_type.index()] += 1;
        }
        let InboundFrame {
            kind,
            payload,
            received_at,
        } = frame;
        let routed = self.route_message(
            message_type,
            InboundFrame {
                kind,
                payload: &mut *payload,
                received_at,
            },
            out,
        );
        if let Err(error) = routed {
            self.handler_stats().errors += 1;
            self.handle_processing_error(message_type, &error, payload);
        }
        if let Some(started) = started {
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.handler_stats().processing.record_nanos(nanos);
        }
    }
}

/// How much of a bad message goes into the log line.
const MAX_LOGGED_BYTES: usize = 256;
