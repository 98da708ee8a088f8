//! One WebSocket connection of the MEXC venue: control requests, the push feed, the
//! idle rule, the message rate limit and listen-key expiry.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use tracing::{debug, warn};

use crate::event::ConnId;
use crate::mexc::channel::Channel;
use crate::mexc::control::{self, CODE_INVALID_REQUEST, Request};
use crate::mexc::venue::{MexcVenue, Published};
use crate::venue::{ClientMessage, ServerMessage, VenueConn};

/// Serves one connection until the client leaves or the venue closes it.
pub(crate) async fn serve(venue: Arc<MexcVenue>, mut conn: VenueConn) {
    if conn.path() != WS_PATH {
        let _ = conn.close(CLOSE_POLICY, "Unknown path").await;
        return;
    }
    let listen_key = conn
        .query()
        .and_then(|query| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find_map(|(name, value)| (name == "listenKey").then_some(value))
        })
        .map(str::to_owned);
    // Subscribe to the feed before registering, so no push for this connection is missed.
    let mut feed = venue.feed.subscribe();
    let now = Instant::now();
    let registration = match venue.register(conn.id(), listen_key.as_deref(), now) {
        Ok(registration) => registration,
        Err(reason) => {
            debug!(conn = %conn.id(), reason, "refusing connection");
            let _ = conn.close(CLOSE_POLICY, reason).await;
            return;
        }
    };
    let mut session = Session {
        venue: Arc::clone(&venue),
        conn: conn.id(),
        channels: BTreeSet::new(),
        listen_key,
        key_expiry: registration.key_expiry,
        idle_since: Some(now),
        rate_window: (now, 0),
    };
    loop {
        let deadline = tokio::time::Instant::from_std(session.deadline());
        let action = tokio::select! {
            message = conn.recv() => match message {
                Some(message) => session.on_message(&message, Instant::now()),
                None => break,
            },
            published = feed.recv() => session.on_published(published),
            () = tokio::time::sleep_until(deadline) => session.on_deadline(Instant::now()),
        };
        match action {
            Action::Nothing => {}
            Action::Send(messages) => {
                for message in messages {
                    if conn.send(message).await.is_err() {
                        return;
                    }
                }
            }
            Action::Close(code, reason) => {
                debug!(conn = %conn.id(), code, reason, "closing");
                let _ = conn.close(code, reason).await;
                break;
            }
        }
    }
    drop(registration);
}

/// What the loop does next.
enum Action {
    Nothing,
    Send(Vec<ServerMessage>),
    Close(u16, &'static str),
}

/// One connection's protocol state.
struct Session {
    venue: Arc<MexcVenue>,
    conn: ConnId,
    /// A copy of the registry's channels, so the push filter needs no lock.
    channels: BTreeSet<Channel>,
    listen_key: Option<String>,
    key_expiry: Option<Instant>,
    /// Since when the connection has had no subscription.
    idle_since: Option<Instant>,
    /// Start of the current one-second window and messages seen in it.
    rate_window: (Instant, u32),
}

impl Session {
    fn on_message(&mut self, message: &ClientMessage, now: Instant) -> Action {
        let (start, count) = &mut self.rate_window;
        if now.duration_since(*start) >= RATE_WINDOW {
            *start = now;
            *count = 0;
        }
        *count += 1;
        if *count > self.venue.config.max_messages_per_second {
            return Action::Close(CLOSE_POLICY, "Too many messages");
        }
        let ClientMessage::Text(text) = message else {
            return Action::Send(vec![ServerMessage::Text(control::reply(
                0,
                CODE_INVALID_REQUEST,
                "Invalid request",
            ))]);
        };
        let conn_id = self.conn;
        let (replies, channels) = match Request::parse(text) {
            Request::Ping { id } => (vec![control::reply(id, 0, "PONG")], None),
            Request::Subscribe { id, params } => {
                let (replies, channels) = self.venue.subscribe(conn_id, id, &params);
                (replies, Some(channels))
            }
            Request::Unsubscribe { id, params } => {
                let (replies, channels) = self.venue.unsubscribe(conn_id, id, &params);
                (replies, Some(channels))
            }
            Request::Invalid { id } => (
                vec![control::reply(id, CODE_INVALID_REQUEST, "Invalid request")],
                None,
            ),
        };
        if let Some(channels) = channels {
            self.channels = channels;
            self.idle_since = match (self.channels.is_empty(), self.idle_since) {
                (true, None) => Some(now),
                (true, since) => since,
                (false, _) => None,
            };
        }
        Action::Send(replies.into_iter().map(ServerMessage::Text).collect())
    }

    fn on_published(
        &mut self,
        published: Result<Arc<Published>, broadcast::error::RecvError>,
    ) -> Action {
        match published {
            Ok(published) => match &*published {
                Published::Push { channel, payload } if self.channels.contains(channel) => {
                    // A private push never reaches a key that expired before the timer fired.
                    if channel.is_private() && self.key_lapsed(Instant::now()) {
                        return Action::Close(CLOSE_POLICY, "Listen key expired");
                    }
                    Action::Send(vec![ServerMessage::Binary(payload.clone())])
                }
                Published::ListenKeyRevoked { key } if self.listen_key.as_ref() == Some(key) => {
                    Action::Close(CLOSE_POLICY, "Listen key deleted")
                }
                _ => Action::Nothing,
            },
            Err(broadcast::error::RecvError::Lagged(skipped)) => {
                warn!(skipped, "MEXC connection fell behind the feed, closing");
                self.venue.lock().stats.slow_consumers_closed += 1;
                Action::Close(CLOSE_POLICY, "Slow consumer")
            }
            Err(broadcast::error::RecvError::Closed) => Action::Close(CLOSE_GOING_AWAY, ""),
        }
    }

    fn on_deadline(&mut self, now: Instant) -> Action {
        if let Some(since) = self.idle_since
            && now.duration_since(since) >= self.venue.config.idle_timeout
        {
            return Action::Close(CLOSE_NORMAL, "No valid subscription");
        }
        if self.key_lapsed(now) {
            return Action::Close(CLOSE_POLICY, "Listen key expired");
        }
        Action::Nothing
    }

    /// Whether the connection's listen key has expired by `now`. The cached expiry is
    /// re-read once passed, since a keep-alive may have moved it.
    fn key_lapsed(&mut self, now: Instant) -> bool {
        let (Some(key), Some(expiry)) = (&self.listen_key, self.key_expiry) else {
            return false;
        };
        if now < expiry {
            return false;
        }
        self.key_expiry = self.venue.key_expiry(key, now);
        self.key_expiry.is_none()
    }

    /// The next moment something may be due: the idle limit or the key's expiry.
    fn deadline(&self) -> Instant {
        let far = Instant::now() + FAR_AWAY;
        let idle = self
            .idle_since
            .map(|since| since + self.venue.config.idle_timeout);
        [idle, self.key_expiry]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(far)
    }
}

/// The WebSocket path below the mount prefix.
pub const WS_PATH: &str = "/ws";
const RATE_WINDOW: Duration = Duration::from_secs(1);
/// A deadline that never comes in a test's lifetime.
const FAR_AWAY: Duration = Duration::from_secs(24 * 60 * 60);
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
/// Policy violation: bad listen key, slow consumer, too many messages.
const CLOSE_POLICY: u16 = 1008;
