//! Recording a venue's stream once (from the simulator or from fixtures) and replaying it
//! into either path's session without sockets.
#![allow(dead_code, reason = "each test file uses part of the support module")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ws_core::{
    Connection, ConnectionContext, DisconnectCause, DriverConfig, FrameKind, InboundFrame, Outbox,
    RestMethod, RestReply, RestRequestId, RestResponse, Session, Timestamp,
};
use ws_manager_compat::__private::ReplaySession;
use ws_manager_compat::ParsedMessage;

/// One recorded event, with its time since the start of the recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The socket opened.
    Connected { t_ms: u64 },
    /// A text frame.
    Text { t_ms: u64, text: String },
    /// A binary frame, hex.
    Binary { t_ms: u64, hex: String },
    /// A REST answer to `method path_and_query` (relative to the REST base).
    Rest {
        t_ms: u64,
        method: String,
        path: String,
        status: u16,
        body: String,
    },
}

impl Event {
    pub fn t_ms(&self) -> u64 {
        match self {
            Event::Connected { t_ms }
            | Event::Text { t_ms, .. }
            | Event::Binary { t_ms, .. }
            | Event::Rest { t_ms, .. } => *t_ms,
        }
    }
}

/// A recorded stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    pub events: Vec<Event>,
}

impl Recording {
    pub fn to_jsonl(&self) -> anyhow::Result<String> {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&serde_json::to_string(e)?);
            out.push('\n');
        }
        Ok(out)
    }

    pub fn from_jsonl(text: &str) -> anyhow::Result<Self> {
        let events = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(serde_json::from_str)
            .collect::<Result<Vec<Event>, _>>()?;
        Ok(Self { events })
    }

    pub fn frames(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::Text { .. } | Event::Binary { .. }))
            .count()
    }
}

/// Runs `session` against a live server through the driver for `duration`, recording
/// everything it receives.
pub async fn record(
    session: Box<dyn ReplaySession>,
    rest_base: &str,
    duration: Duration,
) -> anyhow::Result<Recording> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder {
        inner: session,
        log: log.clone(),
        started: Instant::now(),
        pending: HashMap::new(),
        rest_base: rest_base.to_owned(),
        connections: 0,
    };
    let mut connection = Connection::spawn(recorder, DriverConfig::default())?;
    tokio::time::sleep(duration).await;
    connection.close().await.ok();
    let events = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(Recording { events })
}

struct Recorder {
    inner: Box<dyn ReplaySession>,
    log: Arc<Mutex<Vec<Event>>>,
    started: Instant,
    pending: HashMap<RestRequestId, (String, String)>,
    rest_base: String,
    connections: u32,
}

impl Recorder {
    fn t_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn push(&self, e: Event) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).push(e);
    }

    fn note_requests(&mut self, out: &Outbox) {
        for r in out.rest_requests() {
            let path = r.url.strip_prefix(&self.rest_base).unwrap_or(&r.url);
            self.pending
                .insert(r.id, (method_name(r.method).to_owned(), strip_signed(path)));
        }
    }
}

impl Session for Recorder {
    type Command = ();

    fn connection_context(&self) -> ConnectionContext {
        self.inner.context()
    }

    fn ready_to_connect(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        let ready = self.inner.ready(now, out);
        self.note_requests(out);
        ready
    }

    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        self.connections += 1;
        // One connection per recording: a reconnect would mix two streams.
        if self.connections == 1 {
            self.push(Event::Connected { t_ms: self.t_ms() });
        }
        self.inner.connected(now, out);
        self.note_requests(out);
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        if self.connections == 1 {
            let t_ms = self.t_ms();
            self.push(match frame.kind {
                FrameKind::Text => Event::Text {
                    t_ms,
                    text: String::from_utf8_lossy(frame.payload).into_owned(),
                },
                FrameKind::Binary => Event::Binary {
                    t_ms,
                    hex: hex(frame.payload),
                },
            });
        }
        self.inner.frame(frame, out);
        self.note_requests(out);
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.inner.tick(now, out);
        self.note_requests(out);
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        if let (Some((method, path)), Ok(reply)) =
            (self.pending.remove(&response.id), &response.result)
            && self.connections == 1
        {
            self.push(Event::Rest {
                t_ms: self.t_ms(),
                method,
                path,
                status: reply.status,
                body: String::from_utf8_lossy(&reply.body).into_owned(),
            });
        }
        self.inner.rest(response, now, out);
        self.note_requests(out);
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        self.inner.app_ping(now, out);
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause, now: Timestamp) {
        self.inner.disconnected(cause, now);
    }
}

/// What a path made of a recording.
#[derive(Debug, Default)]
pub struct Replayed {
    pub messages: Vec<ParsedMessage>,
    pub delivered: u64,
    pub errors: u64,
    pub frames: u64,
    /// Frames the session wanted sent (subscriptions), count only.
    pub sent: usize,
}

/// Feeds `recording` to `make(handler)`'s session on a fake clock: ticks before every event,
/// REST answers matched to the session's own requests by method and path.
pub fn replay(
    recording: &Recording,
    rest_base: &str,
    make: impl FnOnce(Box<dyn FnMut(ParsedMessage) + Send>) -> anyhow::Result<Box<dyn ReplaySession>>,
) -> anyhow::Result<Replayed> {
    let messages = Arc::new(Mutex::new(Vec::new()));
    let sink = messages.clone();
    let mut session = make(Box::new(move |m| {
        sink.lock().unwrap_or_else(|p| p.into_inner()).push(m)
    }))?;
    let mut replayer = Replayer::new(rest_base);
    for event in &recording.events {
        replayer.step(session.as_mut(), event)?;
    }
    let mut replayed = replayer.replayed;
    let (delivered, errors) = session.counts();
    replayed.delivered = delivered;
    replayed.errors = errors;
    replayed.messages = messages.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(replayed)
}

/// A frame ready to be handed to a session.
#[derive(Debug, Clone)]
pub struct Frame {
    pub kind: FrameKind,
    pub payload: Vec<u8>,
    pub at: Timestamp,
}

/// Replays `recording` into `session` up to and including its last REST answer (books are
/// live from there on) and returns the frames after it, for a benchmark to feed.
pub fn warm_up(
    session: &mut dyn ReplaySession,
    recording: &Recording,
    rest_base: &str,
) -> anyhow::Result<Vec<Frame>> {
    let last_rest = recording
        .events
        .iter()
        .rposition(|e| matches!(e, Event::Rest { .. }))
        .map_or(0, |i| i + 1);
    let mut replayer = Replayer::new(rest_base);
    for event in &recording.events[..last_rest] {
        replayer.step(session, event)?;
    }
    let mut frames = Vec::new();
    for event in &recording.events[last_rest..] {
        let at = replayer.at(event.t_ms());
        match event {
            Event::Text { text, .. } => frames.push(Frame {
                kind: FrameKind::Text,
                payload: text.clone().into_bytes(),
                at,
            }),
            Event::Binary { hex: h, .. } => frames.push(Frame {
                kind: FrameKind::Binary,
                payload: unhex(h)?,
                at,
            }),
            _ => {}
        }
    }
    Ok(frames)
}

/// Steps a session through recorded events.
struct Replayer {
    rest_base: String,
    t0: Instant,
    out: Outbox,
    /// Requests the session made, waiting for an answer.
    asked: Vec<(RestRequestId, String, String)>,
    /// Answers recorded, not yet asked for.
    answers: Vec<(String, String, u16, String)>,
    ready: bool,
    replayed: Replayed,
}

impl Replayer {
    fn new(rest_base: &str) -> Self {
        Self {
            rest_base: rest_base.to_owned(),
            t0: Instant::now(),
            out: Outbox::new(),
            asked: Vec::new(),
            answers: Vec::new(),
            ready: false,
            replayed: Replayed::default(),
        }
    }

    fn at(&self, t_ms: u64) -> Timestamp {
        let d = Duration::from_millis(t_ms);
        Timestamp::new(
            self.t0 + d,
            1_780_000_000_000_000_000 + u64::try_from(d.as_nanos()).unwrap_or(0),
        )
    }

    fn step(&mut self, session: &mut dyn ReplaySession, event: &Event) -> anyhow::Result<()> {
        let now = self.at(event.t_ms());
        let out = &mut self.out;
        if !self.ready {
            self.ready = session.ready(now, out);
        }
        session.tick(now, out);
        match event {
            Event::Connected { .. } => session.connected(now, out),
            Event::Text { text, .. } => {
                let mut bytes = text.clone().into_bytes();
                self.replayed.frames += 1;
                session.frame(
                    InboundFrame {
                        kind: FrameKind::Text,
                        payload: &mut bytes,
                        received_at: now,
                    },
                    out,
                );
            }
            Event::Binary { hex: h, .. } => {
                let mut bytes = unhex(h)?;
                self.replayed.frames += 1;
                session.frame(
                    InboundFrame {
                        kind: FrameKind::Binary,
                        payload: &mut bytes,
                        received_at: now,
                    },
                    out,
                );
            }
            Event::Rest {
                method,
                path,
                status,
                body,
                ..
            } => self
                .answers
                .push((method.clone(), path.clone(), *status, body.clone())),
        }
        // Pair requests with recorded answers until nothing changes.
        loop {
            self.replayed.sent += self.out.drain_frames().count();
            self.out.drain_signals().for_each(drop);
            for r in self.out.drain_rest() {
                let path = r.url.strip_prefix(&self.rest_base).unwrap_or(&r.url);
                self.asked
                    .push((r.id, method_name(r.method).to_owned(), strip_signed(path)));
            }
            let matched = self.asked.iter().enumerate().find_map(|(i, (_, m, p))| {
                self.answers
                    .iter()
                    .position(|(am, ap, _, _)| am == m && ap == p)
                    .map(|j| (i, j))
            });
            let Some((i, j)) = matched else { break };
            let (id, _, _) = self.asked.remove(i);
            let (_, _, status, body) = self.answers.remove(j);
            session.rest(
                RestResponse {
                    id,
                    result: Ok(RestReply {
                        status,
                        retry_after: None,
                        body: body.into_bytes().into(),
                    }),
                },
                now,
                &mut self.out,
            );
        }
        Ok(())
    }
}

fn method_name(m: RestMethod) -> &'static str {
    match m {
        RestMethod::Get => "GET",
        RestMethod::Post => "POST",
        RestMethod::Put => "PUT",
        RestMethod::Delete => "DELETE",
    }
}

/// Signed requests carry a timestamp and signature that differ per run: keep the path and
/// the unsigned parameters.
fn strip_signed(path: &str) -> String {
    match path.split_once('?') {
        None => path.to_owned(),
        Some((base, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|kv| {
                    let k = kv.split('=').next().unwrap_or("");
                    !matches!(k, "timestamp" | "signature" | "recvWindow")
                })
                .collect();
            if kept.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{}", kept.join("&"))
            }
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub fn unhex(s: &str) -> anyhow::Result<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .ok_or_else(|| anyhow::anyhow!("odd hex length"))
                .and_then(|h| u8::from_str_radix(h, 16).map_err(Into::into))
        })
        .collect()
}
