//! A `Session` speaking the simulator's generic test protocol, recording what it sees.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;
use ws_core::{
    ConnectionContext, DisconnectCause, FrameKind, InboundFrame, Outbox, PingSettings,
    ReconnectionPolicy, RestMethod, RestRequest, RestRequestId, RestResponse, Session,
    SessionSignal, StreamKind, Timestamp,
};

/// What the test session is set up to do.
#[derive(Debug, Clone)]
pub struct Setup {
    pub url: String,
    pub token: Option<String>,
    pub topics: Vec<String>,
    pub ping: PingSettings,
    pub max_lifetime: Option<Duration>,
    pub policy: ReconnectionPolicy,
    /// The stream kind data frames are classified as (queued-mode overflow policy).
    pub data_kind: StreamKind,
    /// Blocks inside `on_frame` for this long per data frame (a slow consumer).
    pub slow_handler: Option<Duration>,
    /// A REST GET that must succeed before the first connect (like creating a listen key).
    pub prepare_url: Option<String>,
    /// Treat the answer to `prepare_url` as rejected credentials.
    pub reject_prepare: bool,
    /// A REST GET sent by `on_close` (like deleting a listen key).
    pub close_url: Option<String>,
    /// Panics (a handler bug) at this point.
    pub panic_at: Option<PanicAt>,
}

/// Where a test session panics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanicAt {
    /// In `on_frame`, on the data frame with this number (1-based, across connections).
    DataFrame(u64),
    /// In `on_tick`, once connected.
    Tick,
}

impl Setup {
    pub fn new(url: String, topics: &[&str]) -> Self {
        Self {
            url,
            token: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            ping: PingSettings {
                app_ping_interval: None,
                protocol_ping_interval: None,
                idle_timeout: Some(Duration::from_secs(5)),
            },
            max_lifetime: None,
            policy: fast_policy(),
            data_kind: StreamKind::Trade,
            slow_handler: None,
            prepare_url: None,
            reject_prepare: false,
            close_url: None,
            panic_at: None,
        }
    }
}

/// Short delays so fault tests finish quickly; no jitter for predictability.
pub fn fast_policy() -> ReconnectionPolicy {
    ReconnectionPolicy {
        initial_delay: Duration::from_millis(20),
        backoff_factor: 2.0,
        max_delay: Duration::from_millis(200),
        jitter: 0.0,
        ..ReconnectionPolicy::default()
    }
}

/// Everything observed, read by tests through `Connection::with_session`.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub last_seq: HashMap<String, u64>,
    pub data_frames: u64,
    pub binary_frames: u64,
    /// Sequence numbers skipped while a connection was up (a rotation must not cause any).
    pub gaps_within_connection: u64,
    pub duplicates: u64,
    pub parse_errors: u64,
    pub pongs: u64,
    pub acks: u64,
    pub connects: u64,
    pub disconnects: Vec<DisconnectCause>,
    pub rejected: Vec<String>,
    pub rest_answers: Vec<u16>,
}

pub struct TestSession {
    pub setup: Setup,
    pub seen: Seen,
    authenticated: bool,
    pending_acks: usize,
    next_id: u64,
    /// Topics whose first frame on the current connection has not been seen yet: a jump
    /// there is a reconnect gap, not a rotation gap.
    fresh: HashMap<String, bool>,
    prepared: bool,
    prepare_sent: bool,
}

impl TestSession {
    pub fn new(setup: Setup) -> Self {
        Self {
            setup,
            seen: Seen::default(),
            authenticated: false,
            pending_acks: 0,
            next_id: 0,
            fresh: HashMap::new(),
            prepared: false,
            prepare_sent: false,
        }
    }

    fn subscribe_all(&mut self, out: &mut Outbox) {
        self.pending_acks = self.setup.topics.len();
        for topic in self.setup.topics.clone() {
            self.next_id += 1;
            out.send_text(format!(
                r#"{{"op":"subscribe","id":{},"topic":"{topic}"}}"#,
                self.next_id
            ));
            self.fresh.insert(topic, true);
        }
        if self.pending_acks == 0 {
            out.signal(SessionSignal::Ready);
        }
    }
}

#[derive(Deserialize)]
struct Message<'a> {
    op: Option<&'a str>,
    ok: Option<bool>,
    topic: Option<&'a str>,
    seq: Option<u64>,
    error: Option<&'a str>,
}

impl Session for TestSession {
    type Command = String;

    fn connection_context(&self) -> ConnectionContext {
        let mut ctx = ConnectionContext::new("test-venue", self.setup.url.clone());
        ctx.ping = self.setup.ping;
        ctx.max_lifetime = self.setup.max_lifetime;
        ctx.tick_interval = Duration::from_millis(20);
        ctx
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.setup.policy
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        let p: &[u8] = frame.payload;
        if p.starts_with(br#"{"topic""#) {
            self.setup.data_kind
        } else {
            StreamKind::Control
        }
    }

    fn ready_to_connect(&mut self, _now: Timestamp, out: &mut Outbox) -> bool {
        let Some(url) = self.setup.prepare_url.clone() else {
            return true;
        };
        if !self.prepared && !self.prepare_sent {
            self.prepare_sent = true;
            out.rest(get(1, url));
        }
        self.prepared
    }

    fn on_rest_response(&mut self, response: RestResponse, _now: Timestamp, out: &mut Outbox) {
        let status = response.result.as_ref().map(|r| r.status).unwrap_or(0);
        self.seen.rest_answers.push(status);
        if response.id == RestRequestId(1) {
            if self.setup.reject_prepare {
                out.signal(SessionSignal::AuthenticationFailed("key rejected".into()));
            } else {
                self.prepared = status == 200;
                self.prepare_sent = false;
            }
        }
    }

    fn on_close(&mut self, _now: Timestamp, out: &mut Outbox) {
        if let Some(url) = self.setup.close_url.clone() {
            out.rest(get(2, url));
        }
    }

    fn on_connected(&mut self, _now: Timestamp, out: &mut Outbox) {
        self.seen.connects += 1;
        self.authenticated = false;
        match &self.setup.token {
            Some(token) => out.send_text(format!(r#"{{"op":"auth","token":"{token}"}}"#)),
            None => self.subscribe_all(out),
        }
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        if frame.kind == FrameKind::Binary {
            self.seen.binary_frames += 1;
        }
        let Ok(message) = serde_json::from_slice::<Message<'_>>(frame.payload) else {
            self.seen.parse_errors += 1;
            return;
        };
        match (message.op, message.topic, message.seq) {
            (Some("auth"), _, _) => {
                if message.ok == Some(true) {
                    self.authenticated = true;
                    self.subscribe_all(out);
                } else {
                    out.signal(SessionSignal::AuthenticationFailed(
                        message.error.unwrap_or("rejected").to_string(),
                    ));
                }
            }
            (Some("subscribed"), _, _) => {
                self.seen.acks += 1;
                self.pending_acks = self.pending_acks.saturating_sub(1);
                if self.pending_acks == 0 {
                    out.signal(SessionSignal::Ready);
                }
            }
            (Some("error"), topic, _) => {
                self.seen.rejected.push(format!(
                    "{}: {}",
                    topic.unwrap_or("?"),
                    message.error.unwrap_or("?")
                ));
            }
            (Some("pong"), _, _) => self.seen.pongs += 1,
            (None, Some(topic), Some(seq)) => {
                if let Some(delay) = self.setup.slow_handler {
                    std::thread::sleep(delay);
                }
                self.seen.data_frames += 1;
                if self.setup.panic_at == Some(PanicAt::DataFrame(self.seen.data_frames)) {
                    panic!(
                        "test handler panics on data frame {}",
                        self.seen.data_frames
                    );
                }
                let last = self.seen.last_seq.get(topic).copied().unwrap_or(0);
                let fresh = self.fresh.insert(topic.to_string(), false).unwrap_or(true);
                if seq <= last {
                    self.seen.duplicates += 1;
                    return;
                }
                if seq != last + 1 && last != 0 && !fresh {
                    self.seen.gaps_within_connection += 1;
                }
                self.seen.last_seq.insert(topic.to_string(), seq);
            }
            _ => self.seen.parse_errors += 1,
        }
    }

    fn on_tick(&mut self, _now: Timestamp, _out: &mut Outbox) {
        if self.setup.panic_at == Some(PanicAt::Tick) && self.seen.connects > 0 {
            panic!("test handler panics on tick");
        }
    }

    fn on_app_ping(&mut self, _now: Timestamp, out: &mut Outbox) {
        out.send_text(r#"{"op":"ping"}"#);
    }

    fn on_command(&mut self, command: String, _now: Timestamp, out: &mut Outbox) {
        out.send_text(command);
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause, _now: Timestamp) {
        self.seen.disconnects.push(cause.clone());
        self.pending_acks = 0;
    }
}

fn get(id: u64, url: String) -> RestRequest {
    RestRequest {
        id: RestRequestId(id),
        method: RestMethod::Get,
        url,
        headers: Vec::new(),
        body: bytes::Bytes::new(),
    }
}

/// Polls `cond` every 10 ms until it holds or `timeout` passes.
pub async fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
