//! One WebSocket connection of the futures venue: requests, the push feed filtered by
//! what the connection holds, gzip per subscription, login and the ping deadline.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use market_types::Symbol;
use serde_json::Value;
use tokio::sync::broadcast;
use tracing::{debug, warn};

use crate::mexc_futures::account::PrivateKind;
use crate::mexc_futures::sign;
use crate::mexc_futures::venue::{DEPTH_FULL_LIMITS, MexcFuturesVenue, Published, Topic, now_ms};
use crate::mexc_futures::wire;
use crate::venue::{ClientMessage, ServerMessage, VenueConn};

/// The WebSocket path below the mount prefix.
pub const WS_PATH: &str = "/edge";
/// `rs.error` data for a subscription to a contract the venue does not list.
pub const CONTRACT_MISSING: &str = "Contract doesn't exist!";
/// `rs.error` data for a login with a wrong signature.
pub const LOGIN_BAD_SIGNATURE: &str = "Signature verification failed!";

const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;

/// Serves one connection until the client leaves or the venue closes it.
pub(crate) async fn serve(venue: Arc<MexcFuturesVenue>, mut conn: VenueConn) {
    if conn.path() != WS_PATH {
        let _ = conn.close(CLOSE_POLICY, "Unknown path").await;
        return;
    }
    // Subscribe to the feed first, so no push after a subscription ack is missed.
    let mut feed = venue.feed.subscribe();
    let mut session = Session {
        venue,
        subs: Vec::new(),
        login: None,
        last_ping: Instant::now(),
    };
    loop {
        let deadline =
            tokio::time::Instant::from_std(session.last_ping + session.venue.config.ping_timeout);
        let action = tokio::select! {
            message = conn.recv() => match message {
                Some(message) => session.on_message(&message),
                None => break,
            },
            published = feed.recv() => session.on_published(published),
            () = tokio::time::sleep_until(deadline) => {
                session.venue.lock().stats.ping_timeouts += 1;
                Action::Close(CLOSE_NORMAL, "No ping received")
            }
        };
        match action {
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
}

enum Action {
    Send(Vec<ServerMessage>),
    Close(u16, &'static str),
}

/// A held subscription: its topic and whether its pushes are gzipped.
#[derive(Debug, Clone, Copy)]
struct Sub {
    topic: Topic,
    gzip: bool,
}

/// What a logged-in connection receives.
#[derive(Debug)]
struct Login {
    /// `None`: everything (the default after login); `Some`: only what the filters name.
    filters: Option<Vec<(PrivateKind, Vec<Symbol>)>>,
}

struct Session {
    venue: Arc<MexcFuturesVenue>,
    subs: Vec<Sub>,
    login: Option<Login>,
    last_ping: Instant,
}

impl Drop for Session {
    fn drop(&mut self) {
        for sub in &self.subs {
            self.venue.release(sub.topic);
        }
    }
}

impl Session {
    fn on_message(&mut self, message: &ClientMessage) -> Action {
        let now = now_ms();
        let ClientMessage::Text(text) = message else {
            return send(wire::reply("rs.error", "Invalid request!", now));
        };
        let Ok(request) = serde_json::from_str::<Value>(text) else {
            return send(wire::reply("rs.error", "Invalid request!", now));
        };
        let method = request.get("method").and_then(Value::as_str).unwrap_or("");
        let param = request.get("param").cloned().unwrap_or(Value::Null);
        match method {
            "ping" => {
                self.last_ping = Instant::now();
                send(wire::pong(now))
            }
            "login" => self.login(&request, &param, now),
            "personal.filter" => self.filter(&param, now),
            _ => {
                if let Some(name) = method.strip_prefix("sub.") {
                    self.subscribe(method, name, &request, &param, now)
                } else if let Some(name) = method
                    .strip_prefix("unsub.")
                    .or_else(|| method.strip_prefix("usub."))
                {
                    self.unsubscribe(method, name, &param, now)
                } else {
                    send(wire::reply("rs.error", "Unknown method!", now))
                }
            }
        }
    }

    fn subscribe(
        &mut self,
        method: &str,
        name: &str,
        request: &Value,
        param: &Value,
        now: i64,
    ) -> Action {
        let Some(symbol) = self.contract(param) else {
            return send(wire::reply("rs.error", CONTRACT_MISSING, now));
        };
        let config = &self.venue.config;
        let topic = match name {
            "depth" => {
                let compress = param
                    .get("compress")
                    .and_then(Value::as_bool)
                    .unwrap_or(config.compress_by_default);
                if compress {
                    Topic::DepthMerged(symbol)
                } else {
                    Topic::Depth(symbol)
                }
            }
            "depth.full" => {
                let limit = param.get("limit").and_then(Value::as_u64).unwrap_or(20);
                match DEPTH_FULL_LIMITS.into_iter().find(|l| *l as u64 == limit) {
                    Some(limit) => Topic::DepthFull(symbol, limit),
                    None => return send(wire::reply("rs.error", "Invalid limit!", now)),
                }
            }
            "deal" => Topic::Deal(symbol),
            "ticker" => Topic::Ticker(symbol),
            _ => return send(wire::reply("rs.error", "Unknown method!", now)),
        };
        let gzip = request
            .get("gzip")
            .or_else(|| param.get("gzip"))
            .and_then(Value::as_bool)
            .unwrap_or(config.gzip_by_default);
        // Re-subscribing replaces the old subscription of the same channel and contract.
        self.drop_matching(|t| same_channel(t, topic));
        self.venue.hold(topic);
        self.subs.push(Sub { topic, gzip });
        send(wire::reply(&format!("rs.{method}"), "success", now))
    }

    fn unsubscribe(&mut self, method: &str, name: &str, param: &Value, now: i64) -> Action {
        let Some(symbol) = self.contract(param) else {
            return send(wire::reply("rs.error", CONTRACT_MISSING, now));
        };
        let matches = |topic: &Topic| match (name, *topic) {
            ("depth", Topic::Depth(s) | Topic::DepthMerged(s)) => s == symbol,
            ("depth.full", Topic::DepthFull(s, _)) => s == symbol,
            ("deal", Topic::Deal(s)) | ("ticker", Topic::Ticker(s)) => s == symbol,
            _ => false,
        };
        self.drop_matching(matches);
        send(wire::reply(&format!("rs.{method}"), "success", now))
    }

    fn login(&mut self, request: &Value, param: &Value, now: i64) -> Action {
        let field = |name: &str| param.get(name).and_then(Value::as_str).unwrap_or("");
        let (api_key, req_time, signature) =
            (field("apiKey"), field("reqTime"), field("signature"));
        let config = &self.venue.config;
        let fresh = req_time.parse::<i64>().is_ok_and(|t| {
            t.checked_sub(now)
                .is_some_and(|d| d.abs() <= config.recv_window_ms)
        });
        let refusal = if api_key != config.api_key {
            Some("Api key info invalid!")
        } else if !fresh {
            Some("Request time expired!")
        } else if !sign::verify(&config.api_secret, [api_key, req_time, ""], signature) {
            Some(LOGIN_BAD_SIGNATURE)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return send(wire::reply("rs.error", refusal, now));
        }
        let defaults = request
            .get("subscribe")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        self.login = Some(Login {
            filters: if defaults { None } else { Some(Vec::new()) },
        });
        self.venue.lock().stats.logins += 1;
        send(wire::reply("rs.login", "success", now))
    }

    fn filter(&mut self, param: &Value, now: i64) -> Action {
        let Some(login) = &mut self.login else {
            return send(wire::reply("rs.error", "Not logged in!", now));
        };
        let Some(filters) = param.get("filters").and_then(Value::as_array) else {
            return send(wire::reply("rs.error", "Invalid filter!", now));
        };
        let chosen = filters
            .iter()
            .filter_map(|f| {
                let kind = PrivateKind::from_filter(f.get("filter")?.as_str()?)?;
                let rules = f
                    .get("rules")
                    .and_then(Value::as_array)
                    .map(|rules| {
                        rules
                            .iter()
                            .filter_map(|r| Symbol::new(r.as_str()?).ok())
                            .collect()
                    })
                    .unwrap_or_default();
                Some((kind, rules))
            })
            .collect();
        // Later filters replace earlier ones.
        login.filters = Some(chosen);
        send(wire::reply("rs.personal.filter", "success", now))
    }

    fn on_published(
        &mut self,
        published: Result<Arc<Published>, broadcast::error::RecvError>,
    ) -> Action {
        match published {
            Ok(published) => {
                let gzip = match published.topic {
                    Topic::Private(kind, symbol) => match self.wants_private(kind, symbol) {
                        true => Some(false),
                        false => None,
                    },
                    topic => self.subs.iter().find(|s| s.topic == topic).map(|s| s.gzip),
                };
                match gzip {
                    None => Action::Send(Vec::new()),
                    Some(true) => {
                        Action::Send(vec![ServerMessage::Binary(wire::gzip(&published.text))])
                    }
                    Some(false) => {
                        Action::Send(vec![ServerMessage::Text(Bytes::clone(&published.text))])
                    }
                }
            }
            Err(broadcast::error::RecvError::Lagged(skipped)) => {
                warn!(
                    skipped,
                    "MEXC futures connection fell behind the feed, closing"
                );
                self.venue.lock().stats.slow_consumers_closed += 1;
                Action::Close(CLOSE_POLICY, "Slow consumer")
            }
            Err(broadcast::error::RecvError::Closed) => Action::Close(CLOSE_GOING_AWAY, ""),
        }
    }

    fn wants_private(&self, kind: PrivateKind, symbol: Option<Symbol>) -> bool {
        match &self.login {
            None => false,
            Some(Login { filters: None }) => true,
            Some(Login {
                filters: Some(filters),
            }) => filters.iter().any(|(k, rules)| {
                *k == kind && (rules.is_empty() || symbol.is_none_or(|s| rules.contains(&s)))
            }),
        }
    }

    fn contract(&self, param: &Value) -> Option<Symbol> {
        let symbol = Symbol::new(param.get("symbol")?.as_str()?).ok()?;
        self.venue.serves(symbol).then_some(symbol)
    }

    fn drop_matching(&mut self, matches: impl Fn(&Topic) -> bool) {
        let venue = &self.venue;
        self.subs.retain(|sub| {
            let keep = !matches(&sub.topic);
            if !keep {
                venue.release(sub.topic);
            }
            keep
        });
    }
}

fn same_channel(a: &Topic, b: Topic) -> bool {
    match (*a, b) {
        (Topic::Depth(x) | Topic::DepthMerged(x), Topic::Depth(y) | Topic::DepthMerged(y)) => {
            x == y
        }
        (Topic::DepthFull(x, _), Topic::DepthFull(y, _)) => x == y,
        (Topic::Deal(x), Topic::Deal(y)) | (Topic::Ticker(x), Topic::Ticker(y)) => x == y,
        _ => false,
    }
}

fn send(text: Bytes) -> Action {
    Action::Send(vec![ServerMessage::Text(text)])
}
