//! The built-in generic test venue, mounted at `/test`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::time::MissedTickBehavior;
use tracing::warn;

use crate::config::{AuthPolicy, TestVenueConfig};
use crate::venue::{
    ClientMessage, HttpRequest, ServerMessage, Venue, VenueConn, VenueFuture, VenueTasks,
    json_response,
};

/// The built-in generic test venue, mounted at `/test`; also its control handle, from
/// [`Simulator::test_venue`](crate::Simulator::test_venue).
///
/// Wire protocol (JSON text frames):
///
/// | client sends                              | venue answers                                               |
/// |-------------------------------------------|-------------------------------------------------------------|
/// | `{"op":"auth","token":"T"}`               | `{"op":"auth","ok":true}` or `{"op":"auth","ok":false,"error":"invalid token"}` |
/// | `{"op":"subscribe","id":N,"topic":"X"}`   | `{"op":"subscribed","id":N,"topic":"X"}`, then data frames   |
/// | `{"op":"unsubscribe","id":N,"topic":"X"}` | `{"op":"unsubscribed","id":N,"topic":"X"}`, data stops       |
/// | `{"op":"ping"}`                           | `{"op":"pong"}`                                             |
/// | anything else                             | `{"op":"error","error":"bad request"}`                      |
///
/// Subscribe errors: `{"op":"error","id":N,"topic":"X","error":E}` with E one of
/// `unknown topic` (rejected topic), `auth required`; unsubscribing a topic that is not
/// subscribed gives `not subscribed`.
///
/// Data frames: `{"topic":"X","seq":S,"data":"X:S"}`. Each topic has one global sequence
/// (1, 2, 3, ...) shared by every connection, advanced every `publish_interval` while at
/// least one connection is subscribed, or by [`TestVenue::publish_burst`]. A connection
/// sees only frames published after its subscription was acknowledged. Topics listed in
/// [`TestVenueConfig::binary_topics`] send the same JSON bytes as binary frames. A
/// connection that falls more than `feed_capacity` frames behind is closed with
/// `1008 slow consumer`, as real venues do.
///
/// REST: `GET /test/snapshot?topic=X` answers `{"topic":"X","seq":S}` with the current
/// sequence (0 if never published).
pub struct TestVenue {
    auth: AuthPolicy,
    valid_token: String,
    rejected: HashSet<String>,
    binary: HashSet<String>,
    interval: Duration,
    feed: broadcast::Sender<Arc<Published>>,
    state: Mutex<FeedState>,
}

impl TestVenue {
    pub(crate) fn new(config: TestVenueConfig) -> Self {
        let (feed, _) = broadcast::channel(config.feed_capacity);
        Self {
            auth: config.auth,
            valid_token: config.valid_token,
            rejected: config.rejected_topics.into_iter().collect(),
            binary: config.binary_topics.into_iter().collect(),
            interval: config.publish_interval,
            feed,
            state: Mutex::new(FeedState::default()),
        }
    }

    /// The topic's current sequence: the `seq` of its last published frame, 0 if none.
    pub fn seq(&self, topic: &str) -> u64 {
        self.lock().topics.get(topic).map_or(0, |t| t.seq)
    }

    /// How many connections are subscribed to the topic right now.
    pub fn subscribers(&self, topic: &str) -> usize {
        self.lock().topics.get(topic).map_or(0, |t| t.subscribers)
    }

    /// Publishes `count` frames of `topic` at once, whether or not anyone is subscribed or
    /// publishing is paused; returns the topic's sequence afterwards. More frames than the
    /// feed capacity make every subscribed connection lag and be closed with 1008.
    pub fn publish_burst(&self, topic: &str, count: usize) -> u64 {
        let mut state = self.lock();
        let entry = state.topics.entry(topic.to_owned()).or_default();
        for _ in 0..count {
            entry.seq += 1;
            self.publish(topic, entry.seq);
        }
        entry.seq
    }

    /// Stops the periodic publisher (bursts still work).
    pub fn pause(&self) {
        self.lock().paused = true;
    }

    /// Restarts the periodic publisher.
    pub fn resume(&self) {
        self.lock().paused = false;
    }

    /// Whether the periodic publisher is paused.
    pub fn is_paused(&self) -> bool {
        self.lock().paused
    }

    /// One publisher tick: every subscribed topic advances by one frame.
    fn tick(&self) {
        let mut state = self.lock();
        if state.paused {
            return;
        }
        for (topic, entry) in state.topics.iter_mut() {
            if entry.subscribers > 0 {
                entry.seq += 1;
                self.publish(topic, entry.seq);
            }
        }
    }

    /// Sends one frame to the feed. Called with the state lock held, so sequences go out
    /// in order.
    fn publish(&self, topic: &str, seq: u64) {
        let data = format!("{topic}:{seq}");
        let frame = DataFrame {
            topic,
            seq,
            data: &data,
        };
        let payload = match serde_json::to_vec(&frame) {
            Ok(bytes) => Bytes::from(bytes),
            Err(err) => {
                warn!(%err, topic, "cannot encode data frame");
                return;
            }
        };
        // No receiver just means nobody is connected.
        let _ = self.feed.send(Arc::new(Published {
            topic: topic.to_owned(),
            seq,
            payload,
            kind: if self.binary.contains(topic) {
                FrameKind::Binary
            } else {
                FrameKind::Text
            },
        }));
    }

    /// Forgets one subscriber of `topic`.
    fn release(&self, topic: &str) {
        if let Some(entry) = self.lock().topics.get_mut(topic) {
            entry.subscribers = entry.subscribers.saturating_sub(1);
        }
    }

    fn lock(&self) -> MutexGuard<'_, FeedState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn serve_conn(self: Arc<Self>, mut conn: VenueConn) {
        let mut feed = self.feed.subscribe();
        let mut session = Session::new(Arc::clone(&self));
        loop {
            let outgoing = tokio::select! {
                message = conn.recv() => match message {
                    Some(ClientMessage::Text(text)) => ServerMessage::Text(session.handle(&text)),
                    Some(_) => ServerMessage::Text(Bytes::from_static(BAD_REQUEST)),
                    None => break,
                },
                published = feed.recv() => match published {
                    Ok(frame) if session.wants(&frame) => match frame.kind {
                        FrameKind::Text => ServerMessage::Text(frame.payload.clone()),
                        FrameKind::Binary => ServerMessage::Binary(frame.payload.clone()),
                    },
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        warn!(conn = %conn.id(), skipped, "slow consumer, closing");
                        let _ = conn.close(CLOSE_POLICY, "slow consumer").await;
                        break;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            if conn.send(outgoing).await.is_err() {
                break;
            }
        }
    }

    fn snapshot(&self, request: &HttpRequest) -> Response<Bytes> {
        if request.method != Method::GET {
            return json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                r#"{"error":"method not allowed"}"#,
            );
        }
        let Some(topic) = request.query_param("topic").filter(|t| !t.is_empty()) else {
            return json_response(StatusCode::BAD_REQUEST, r#"{"error":"missing topic"}"#);
        };
        let snapshot = Snapshot {
            topic,
            seq: self.seq(topic),
        };
        match serde_json::to_vec(&snapshot) {
            Ok(body) => json_response(StatusCode::OK, body),
            Err(_) => json_response(StatusCode::INTERNAL_SERVER_ERROR, r#"{"error":"encode"}"#),
        }
    }
}

impl Venue for TestVenue {
    fn start(self: Arc<Self>, tasks: &mut VenueTasks<'_>) {
        tasks.spawn(async move {
            let mut ticker = tokio::time::interval(self.interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                ticker.tick().await;
                self.tick();
            }
        });
    }

    fn serve(self: Arc<Self>, conn: VenueConn) -> VenueFuture {
        Box::pin(self.serve_conn(conn))
    }

    fn http(&self, request: &HttpRequest) -> Response<Bytes> {
        match request.path.as_str() {
            "/snapshot" => self.snapshot(request),
            _ => json_response(StatusCode::NOT_FOUND, r#"{"error":"not found"}"#),
        }
    }
}

impl fmt::Debug for TestVenue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestVenue")
            .field("auth", &self.auth)
            .field("interval", &self.interval)
            .field("state", &*self.lock())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct FeedState {
    paused: bool,
    topics: HashMap<String, TopicState>,
}

#[derive(Debug, Default)]
struct TopicState {
    seq: u64,
    subscribers: usize,
}

/// One published frame, encoded once and shared by every connection.
#[derive(Debug)]
struct Published {
    topic: String,
    seq: u64,
    payload: Bytes,
    kind: FrameKind,
}

/// How a topic's data frames go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Text,
    Binary,
}

/// One connection's protocol state. Its subscriptions are released when it is dropped.
struct Session {
    venue: Arc<TestVenue>,
    authed: bool,
    /// Topic to the first sequence this connection may see.
    subscriptions: HashMap<String, u64>,
}

impl Session {
    fn new(venue: Arc<TestVenue>) -> Self {
        Self {
            venue,
            authed: false,
            subscriptions: HashMap::new(),
        }
    }

    fn wants(&self, frame: &Published) -> bool {
        self.subscriptions
            .get(&frame.topic)
            .is_some_and(|from| frame.seq >= *from)
    }

    /// Answers one client request.
    fn handle(&mut self, text: &str) -> Bytes {
        let Ok(request) = serde_json::from_str::<Request>(text) else {
            return Bytes::from_static(BAD_REQUEST);
        };
        let reply = match &request {
            Request::Auth { token } => {
                self.authed = *token == self.venue.valid_token;
                Reply::Auth {
                    ok: self.authed,
                    error: (!self.authed).then_some("invalid token"),
                }
            }
            Request::Subscribe { id, topic } => self.subscribe(*id, topic),
            Request::Unsubscribe { id, topic } => self.unsubscribe(*id, topic),
            Request::Ping => Reply::Pong,
        };
        match serde_json::to_vec(&reply) {
            Ok(bytes) => Bytes::from(bytes),
            Err(_) => Bytes::from_static(BAD_REQUEST),
        }
    }

    fn subscribe<'a>(&mut self, id: u64, topic: &'a str) -> Reply<'a> {
        let error = |error| Reply::Error {
            id: Some(id),
            topic: Some(topic),
            error,
        };
        if self.venue.rejected.contains(topic) {
            return error("unknown topic");
        }
        if self.venue.auth == AuthPolicy::Required && !self.authed {
            return error("auth required");
        }
        if !self.subscriptions.contains_key(topic) {
            let mut state = self.venue.lock();
            let entry = state.topics.entry(topic.to_owned()).or_default();
            entry.subscribers += 1;
            self.subscriptions.insert(topic.to_owned(), entry.seq + 1);
        }
        Reply::Subscribed { id, topic }
    }

    fn unsubscribe<'a>(&mut self, id: u64, topic: &'a str) -> Reply<'a> {
        if self.subscriptions.remove(topic).is_none() {
            return Reply::Error {
                id: Some(id),
                topic: Some(topic),
                error: "not subscribed",
            };
        }
        self.venue.release(topic);
        Reply::Unsubscribed { id, topic }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for topic in self.subscriptions.keys() {
            self.venue.release(topic);
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Request {
    Auth { token: String },
    Subscribe { id: u64, topic: String },
    Unsubscribe { id: u64, topic: String },
    Ping,
}

#[derive(Debug, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Reply<'a> {
    Auth {
        ok: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a str>,
    },
    Subscribed {
        id: u64,
        topic: &'a str,
    },
    Unsubscribed {
        id: u64,
        topic: &'a str,
    },
    Pong,
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        topic: Option<&'a str>,
        error: &'a str,
    },
}

#[derive(Debug, Serialize)]
struct DataFrame<'a> {
    topic: &'a str,
    seq: u64,
    data: &'a str,
}

#[derive(Debug, Serialize)]
struct Snapshot<'a> {
    topic: &'a str,
    seq: u64,
}

const BAD_REQUEST: &[u8] = br#"{"op":"error","error":"bad request"}"#;
/// Close code for a connection that fell behind the feed.
const CLOSE_POLICY: u16 = 1008;

#[cfg(test)]
mod tests {
    use super::*;

    fn venue(config: TestVenueConfig) -> Arc<TestVenue> {
        Arc::new(TestVenue::new(config))
    }

    fn text(bytes: Bytes) -> String {
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn answers_control_requests() {
        let venue = venue(TestVenueConfig {
            rejected_topics: vec!["bad".to_owned()],
            ..TestVenueConfig::default()
        });
        let mut session = Session::new(Arc::clone(&venue));
        let cases = [
            (r#"{"op":"ping"}"#, r#"{"op":"pong"}"#),
            (
                r#"{"op":"auth","token":"nope"}"#,
                r#"{"op":"auth","ok":false,"error":"invalid token"}"#,
            ),
            (
                r#"{"op":"auth","token":"test-token"}"#,
                r#"{"op":"auth","ok":true}"#,
            ),
            (
                r#"{"op":"subscribe","id":7,"topic":"t"}"#,
                r#"{"op":"subscribed","id":7,"topic":"t"}"#,
            ),
            (
                r#"{"op":"subscribe","id":8,"topic":"bad"}"#,
                r#"{"op":"error","id":8,"topic":"bad","error":"unknown topic"}"#,
            ),
            (
                r#"{"op":"unsubscribe","id":9,"topic":"t"}"#,
                r#"{"op":"unsubscribed","id":9,"topic":"t"}"#,
            ),
            (
                r#"{"op":"unsubscribe","id":10,"topic":"t"}"#,
                r#"{"op":"error","id":10,"topic":"t","error":"not subscribed"}"#,
            ),
            (
                r#"{"op":"dance"}"#,
                r#"{"op":"error","error":"bad request"}"#,
            ),
            ("not json", r#"{"op":"error","error":"bad request"}"#),
        ];
        for (request, expected) in cases {
            assert_eq!(text(session.handle(request)), expected, "request {request}");
        }
    }

    #[test]
    fn required_auth_gates_subscribe() {
        let venue = venue(TestVenueConfig {
            auth: AuthPolicy::Required,
            ..TestVenueConfig::default()
        });
        let mut session = Session::new(Arc::clone(&venue));
        let subscribe = r#"{"op":"subscribe","id":1,"topic":"t"}"#;
        assert_eq!(
            text(session.handle(subscribe)),
            r#"{"op":"error","id":1,"topic":"t","error":"auth required"}"#
        );
        session.handle(r#"{"op":"auth","token":"test-token"}"#);
        assert_eq!(
            text(session.handle(subscribe)),
            r#"{"op":"subscribed","id":1,"topic":"t"}"#
        );
    }

    #[test]
    fn subscriptions_count_and_release() {
        let venue = venue(TestVenueConfig::default());
        let mut a = Session::new(Arc::clone(&venue));
        let mut b = Session::new(Arc::clone(&venue));
        a.handle(r#"{"op":"subscribe","id":1,"topic":"t"}"#);
        b.handle(r#"{"op":"subscribe","id":1,"topic":"t"}"#);
        assert_eq!(venue.subscribers("t"), 2);
        drop(a);
        assert_eq!(venue.subscribers("t"), 1);
        b.handle(r#"{"op":"unsubscribe","id":2,"topic":"t"}"#);
        assert_eq!(venue.subscribers("t"), 0);
    }

    #[test]
    fn ticks_advance_only_subscribed_unpaused_topics() {
        let venue = venue(TestVenueConfig::default());
        let mut session = Session::new(Arc::clone(&venue));
        venue.tick();
        assert_eq!(venue.seq("t"), 0);
        session.handle(r#"{"op":"subscribe","id":1,"topic":"t"}"#);
        venue.tick();
        venue.tick();
        assert_eq!(venue.seq("t"), 2);
        venue.pause();
        venue.tick();
        assert_eq!(venue.seq("t"), 2);
        assert_eq!(venue.publish_burst("t", 3), 5);
        venue.resume();
        venue.tick();
        assert_eq!(venue.seq("t"), 6);
    }

    #[test]
    fn frames_before_the_subscription_are_not_wanted() {
        let venue = venue(TestVenueConfig::default());
        venue.publish_burst("t", 4);
        let mut session = Session::new(Arc::clone(&venue));
        session.handle(r#"{"op":"subscribe","id":1,"topic":"t"}"#);
        let frame = |seq| Published {
            topic: "t".to_owned(),
            seq,
            payload: Bytes::new(),
            kind: FrameKind::Text,
        };
        assert!(!session.wants(&frame(4)));
        assert!(session.wants(&frame(5)));
    }

    #[test]
    fn snapshot_reports_the_sequence() {
        let venue = venue(TestVenueConfig::default());
        venue.publish_burst("t", 3);
        let request = |query: Option<&str>| HttpRequest {
            method: Method::GET,
            path: "/snapshot".to_owned(),
            query: query.map(str::to_owned),
            headers: http::HeaderMap::new(),
            body: Bytes::new(),
        };
        let ok = venue.http(&request(Some("topic=t")));
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(text(ok.into_body()), r#"{"topic":"t","seq":3}"#);
        assert_eq!(venue.http(&request(None)).status(), StatusCode::BAD_REQUEST);
    }
}
