//! The contract between the IO driver and a sans-IO protocol state machine.
//!
//! A [`Session`] never touches a socket or a clock. The driver hands it frames, timer ticks
//! and REST responses together with the current [`Timestamp`], and the session answers by
//! filling an [`Outbox`]: frames to send, REST requests to perform and [`SessionSignal`]s.
//! This is what lets every exchange rule be a deterministic unit test.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::context::{ConnectionContext, redact_query};
use crate::error::DisconnectCause;
use crate::policy::{ReconnectDecision, ReconnectionPolicy};
use crate::queue::StreamKind;

/// The behaviour the driver is generic over (the plan's mixins, composed into one type).
///
/// Every method is called with the session lock held and must not block. The driver calls
/// them in this order for each connection: [`Session::on_connected`], then any number of
/// [`Session::on_frame`], [`Session::on_tick`], [`Session::on_app_ping`],
/// [`Session::on_rest_response`], [`Session::on_command`], and finally
/// [`Session::on_disconnected`] when the socket is gone.
pub trait Session: Send + 'static {
    /// Commands a user can send to the running session (subscribe, resync, ...).
    type Command: Send + 'static;

    /// Where and how to connect (`ConnectionMixin::create_connection_context`).
    /// Called before every connection attempt, so a session can change the URL (a new
    /// listen key, say).
    fn connection_context(&self) -> ConnectionContext;

    /// How to back off between attempts (`ConnectionMixin::get_reconnection_policy`).
    fn reconnection_policy(&self) -> ReconnectionPolicy {
        ReconnectionPolicy::default()
    }

    /// Whether a lost connection is retried (`ConnectionMixin::should_reconnect`).
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        cause.default_decision()
    }

    /// Cheap classification of a frame before it is parsed, used only in queued mode to pick
    /// the overflow policy. Must not allocate.
    fn stream_kind(&self, _frame: &InboundFrame<'_>) -> StreamKind {
        StreamKind::Control
    }

    /// Whether the connection may be used before a connect attempt is made (a private
    /// session may first need a listen key over REST). When `false`, the driver performs the
    /// session's pending REST requests and asks again.
    fn ready_to_connect(&mut self, _now: Timestamp, _out: &mut Outbox) -> bool {
        true
    }

    /// The socket is open: authenticate, then resubscribe everything that was active.
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox);

    /// One complete inbound message (fragments already joined).
    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox);

    /// Called at least every [`ConnectionContext::tick_interval`] while connected, for
    /// session timers (auth timeouts, keep-alives, snapshot retries).
    fn on_tick(&mut self, _now: Timestamp, _out: &mut Outbox) {}

    /// Time to send the venue's application-level ping, every
    /// [`crate::PingSettings::app_ping_interval`].
    fn on_app_ping(&mut self, _now: Timestamp, _out: &mut Outbox) {}

    /// The answer to a [`RestRequest`] this session queued.
    fn on_rest_response(&mut self, _response: RestResponse, _now: Timestamp, _out: &mut Outbox) {}

    /// A user command arrived through the handle.
    fn on_command(&mut self, _command: Self::Command, _now: Timestamp, _out: &mut Outbox) {}

    /// The connection is gone; pending acknowledgements and partial state for it should be
    /// reset so that [`Session::on_connected`] can start over.
    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {}

    /// The driver is shutting down for good (`close()`): last chance to queue REST clean-up
    /// such as deleting a listen key. Frames queued here are sent before the close frame.
    fn on_close(&mut self, _now: Timestamp, _out: &mut Outbox) {}
}

/// A point in time handed to a session: monotonic for timers, wall-clock for signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Monotonic time for deadlines.
    pub monotonic: Instant,
    /// Wall-clock time in nanoseconds since the Unix epoch, for venue timestamps and signing.
    pub unix_nanos: u64,
}

impl Timestamp {
    /// Builds a timestamp from its two clocks (tests use this with invented values).
    pub fn new(monotonic: Instant, unix_nanos: u64) -> Self {
        Self {
            monotonic,
            unix_nanos,
        }
    }

    /// Reads both clocks. Only the driver calls this; sessions receive timestamps.
    pub fn now() -> Self {
        let unix_nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self {
            monotonic: Instant::now(),
            unix_nanos,
        }
    }

    /// Wall-clock milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> u64 {
        self.unix_nanos / 1_000_000
    }

    /// Wall-clock seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> u64 {
        self.unix_nanos / 1_000_000_000
    }

    /// The same instant moved forward by `d` on both clocks.
    pub fn advanced(&self, d: Duration) -> Self {
        Self {
            monotonic: self.monotonic + d,
            unix_nanos: self
                .unix_nanos
                .saturating_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        }
    }
}

/// WebSocket data opcode of a complete message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// Opcode 0x1, UTF-8 validated by the driver.
    Text,
    /// Opcode 0x2.
    Binary,
}

/// One complete inbound message, borrowed mutably so in-place parsers (simd-json) can use it.
#[derive(Debug)]
pub struct InboundFrame<'a> {
    /// Text or binary.
    pub kind: FrameKind,
    /// The message bytes.
    pub payload: &'a mut [u8],
    /// When the driver finished reading it.
    pub received_at: Timestamp,
}

/// An outbound WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutFrame {
    /// A text message (JSON requests).
    Text(Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl OutFrame {
    /// A text frame from anything that becomes bytes.
    pub fn text(s: impl Into<Bytes>) -> Self {
        OutFrame::Text(s.into())
    }
}

/// Identifies a REST request so its response can be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RestRequestId(pub u64);

/// HTTP method of a [`RestRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

/// A REST call a session wants made (order-book snapshot, listen key, reconciliation).
#[derive(Clone, PartialEq, Eq)]
pub struct RestRequest {
    /// Chosen by the session; echoed in the response.
    pub id: RestRequestId,
    /// HTTP method.
    pub method: RestMethod,
    /// Absolute URL including the query string (`http://` or `https://`).
    pub url: String,
    /// Extra headers (API keys and signatures go here; never logged by the driver).
    pub headers: Vec<(String, String)>,
    /// Request body (empty for none).
    pub body: Bytes,
}

impl std::fmt::Debug for RestRequest {
    // Headers carry API keys and signatures: only their names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("RestRequest")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("url", &redact_query(&self.url))
            .field("headers", &header_names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The outcome of a [`RestRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestResponse {
    /// The request's id.
    pub id: RestRequestId,
    /// What happened.
    pub result: Result<RestReply, RestFailure>,
}

/// An HTTP answer (any status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestReply {
    /// HTTP status code.
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one.
    pub retry_after: Option<Duration>,
    /// Response body.
    pub body: Bytes,
}

/// A REST request that produced no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestFailure {
    /// TCP/TLS connect failed or timed out.
    Connect(String),
    /// The request or response failed mid-way, or timed out.
    Transport(String),
    /// The response body was larger than the configured limit.
    BodyTooLarge,
    /// The REST queue was full; the session should retry later.
    Overloaded,
}

/// Something a session tells the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionSignal {
    /// Authenticated and every subscription confirmed: the connection delivers. Resets the
    /// reconnection backoff and lets a rotation switch over.
    Ready,
    /// The venue rejected the credentials: stop for good, no reconnection loop.
    AuthenticationFailed(String),
    /// Stop for good for another reason: no reconnection.
    Fatal(String),
    /// Drop this connection and reconnect with backoff (a protocol violation, say).
    Reconnect(String),
}

/// Where a session puts its output. Reused between calls, so steady state allocates nothing.
#[derive(Debug, Default)]
pub struct Outbox {
    frames: Vec<OutFrame>,
    rest: Vec<RestRequest>,
    signals: Vec<SessionSignal>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a frame to send on the current connection.
    pub fn send(&mut self, frame: OutFrame) {
        self.frames.push(frame);
    }

    /// Queues a text frame.
    pub fn send_text(&mut self, text: impl Into<Bytes>) {
        self.frames.push(OutFrame::Text(text.into()));
    }

    /// Queues a REST request.
    pub fn rest(&mut self, request: RestRequest) {
        self.rest.push(request);
    }

    /// Raises a signal for the driver.
    pub fn signal(&mut self, signal: SessionSignal) {
        self.signals.push(signal);
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty() && self.rest.is_empty() && self.signals.is_empty()
    }

    /// Frames queued so far (tests read these).
    pub fn frames(&self) -> &[OutFrame] {
        &self.frames
    }

    /// REST requests queued so far.
    pub fn rest_requests(&self) -> &[RestRequest] {
        &self.rest
    }

    /// Signals raised so far.
    pub fn signals(&self) -> &[SessionSignal] {
        &self.signals
    }

    /// Takes the queued frames, keeping the allocation.
    pub fn drain_frames(&mut self) -> std::vec::Drain<'_, OutFrame> {
        self.frames.drain(..)
    }

    /// Takes the queued REST requests.
    pub fn drain_rest(&mut self) -> std::vec::Drain<'_, RestRequest> {
        self.rest.drain(..)
    }

    /// Takes the raised signals.
    pub fn drain_signals(&mut self) -> std::vec::Drain<'_, SessionSignal> {
        self.signals.drain(..)
    }

    /// Empties everything (tests).
    pub fn clear(&mut self) {
        self.frames.clear();
        self.rest.clear();
        self.signals.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials_in_query() {
        let url = "https://h/api/v3/userDataStream?listenKey=abc&timestamp=1&signature=ff";
        assert_eq!(
            redact_query(url),
            "https://h/api/v3/userDataStream?listenKey=<redacted>&timestamp=1&signature=<redacted>"
        );
        assert_eq!(redact_query("https://h/x"), "https://h/x");
    }

    #[test]
    fn rest_request_debug_hides_header_values() {
        let req = RestRequest {
            id: RestRequestId(1),
            method: RestMethod::Get,
            url: "https://h/x?signature=secret".into(),
            headers: vec![("X-MEXC-APIKEY".into(), "my-key".into())],
            body: Bytes::new(),
        };
        let shown = format!("{req:?}");
        assert!(shown.contains("X-MEXC-APIKEY"));
        assert!(!shown.contains("my-key"));
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn timestamp_units() {
        let t = Timestamp::new(Instant::now(), 1_700_000_000_123_456_789);
        assert_eq!(t.unix_millis(), 1_700_000_000_123);
        assert_eq!(t.unix_seconds(), 1_700_000_000);
        let later = t.advanced(Duration::from_millis(5));
        assert_eq!(later.unix_millis(), 1_700_000_000_128);
        assert_eq!(later.monotonic - t.monotonic, Duration::from_millis(5));
    }

    #[test]
    fn outbox_keeps_order_and_drains() {
        let mut out = Outbox::new();
        assert!(out.is_empty());
        out.send_text("a");
        out.send(OutFrame::Binary(Bytes::from_static(b"b")));
        out.signal(SessionSignal::Ready);
        assert_eq!(out.frames().len(), 2);
        let drained: Vec<_> = out.drain_frames().collect();
        assert_eq!(drained[0], OutFrame::text("a"));
        assert_eq!(out.drain_signals().next(), Some(SessionSignal::Ready));
        assert!(out.is_empty());
    }

    #[test]
    fn stream_kind_indices_are_dense() {
        for (i, k) in StreamKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }
}
