//! One WebSocket connection to the Gate venue: requests in, acks and pushes out.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use market_types::Symbol;
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tracing::debug;

use super::account::PrivateChannel;
use super::config::{FirstPush, Market};
use super::sign;
use super::venue::{GateioVenue, Push, Topic, stream_levels};
use super::wire::{self, ConnIdentity, Now, Request};
use crate::venue::{ClientMessage, ServerMessage, VenueConn};

/// Serves one connection until it ends. The market comes from the path: `/ws/v4/` is spot,
/// `/v4/ws/usdt` is USDT futures; any other path is closed with 1008.
pub(crate) async fn serve(venue: Arc<GateioVenue>, mut conn: VenueConn) {
    let Some(market) = market_for_path(conn.path()) else {
        let _ = conn.close(CLOSE_POLICY, "unknown path").await;
        return;
    };
    let mut feed = venue.feed();
    let mut session = Session::new(Arc::clone(&venue), market, conn.id().get());
    loop {
        let outgoing = tokio::select! {
            message = conn.recv() => match message {
                Some(ClientMessage::Text(text)) => session.handle(&text, Now::read()),
                Some(_) => vec![wire::bad_request(Now::read(), &session.who)],
                None => break,
            },
            push = feed.recv() => match push {
                Ok(push) if session.wants(&push) => vec![push.payload.clone()],
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    debug!(conn = %conn.id(), skipped, "slow consumer, closing");
                    let _ = conn.close(CLOSE_POLICY, "slow consumer").await;
                    break;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
        for message in outgoing {
            if conn.send(ServerMessage::Text(message)).await.is_err() {
                return;
            }
        }
    }
}

fn market_for_path(path: &str) -> Option<Market> {
    match path.trim_end_matches('/') {
        "/ws/v4" => Some(Market::Spot),
        "/v4/ws/usdt" => Some(Market::Futures),
        _ => None,
    }
}

/// Which pairs or contracts a private subscription covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Filter {
    All,
    Only(Vec<Symbol>),
}

impl Filter {
    fn matches(&self, symbol: Option<Symbol>) -> bool {
        match (self, symbol) {
            (Self::All, _) | (Self::Only(_), None) => true,
            (Self::Only(symbols), Some(symbol)) => symbols.contains(&symbol),
        }
    }

    fn merge(&mut self, other: Self) {
        match (&mut *self, other) {
            (Self::All, _) => {}
            (_, Self::All) => *self = Self::All,
            (Self::Only(mine), Self::Only(theirs)) => {
                for symbol in theirs {
                    if !mine.contains(&symbol) {
                        mine.push(symbol);
                    }
                }
            }
        }
    }
}

#[derive(Debug)]
struct Subscription {
    /// The first push sequence this subscription may see.
    from: u64,
    filter: Filter,
}

/// What a request asks for, once its channel and payload are understood.
enum Target {
    /// Public topics (all of them or none, so one unknown pair fails the whole request).
    Public(Vec<Topic>),
    Private(PrivateChannel, Filter),
}

/// Why a request is refused: the error code and message of the ack.
type Refusal = (u8, String);

/// One connection's protocol state. Its subscriptions are released when it is dropped.
struct Session {
    venue: Arc<GateioVenue>,
    market: Market,
    who: ConnIdentity,
    subscriptions: HashMap<Topic, Subscription>,
}

impl Session {
    fn new(venue: Arc<GateioVenue>, market: Market, conn: u64) -> Self {
        Self {
            venue,
            market,
            who: ConnIdentity {
                conn_id: format!("{conn:016x}"),
                trace_id: format!("{:032x}", u128::from(conn) * 0x9e37_79b9_7f4a_7c15),
            },
            subscriptions: HashMap::new(),
        }
    }

    fn wants(&self, push: &Push) -> bool {
        self.subscriptions
            .get(&push.topic)
            .is_some_and(|sub| push.seq >= sub.from && sub.filter.matches(push.symbol))
    }

    /// Answers one client request: the reply, then any full push the subscription starts with.
    fn handle(&mut self, text: &str, now: Now) -> Vec<Bytes> {
        let Ok(request) = serde_json::from_str::<Request>(text) else {
            return vec![wire::bad_request(now, &self.who)];
        };
        let mut first_pushes = Vec::new();
        let reply = self.reply(&request, now, &mut first_pushes);
        let mut out = vec![reply];
        out.append(&mut first_pushes);
        out
    }

    fn reply(&mut self, request: &Request, now: Now, first_pushes: &mut Vec<Bytes>) -> Bytes {
        let prefix = self.market.prefix();
        let Some(name) = request
            .channel
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.'))
        else {
            let message = format!("unknown channel {}", request.channel);
            return wire::ack(now, &self.who, request, Some((2, &message)));
        };
        if name == "ping" {
            return wire::pong(self.market, now, request.id.as_ref());
        }
        if request.event == "api" {
            return self.api(request, name, now);
        }
        let outcome = match request.event.as_str() {
            "subscribe" => self.subscribe(request, name, now, first_pushes),
            "unsubscribe" => self.unsubscribe(request, name),
            _ => Err((2, format!("unknown event {}", request.event))),
        };
        match outcome {
            Ok(()) => wire::ack(now, &self.who, request, None),
            Err((code, message)) => wire::ack(now, &self.who, request, Some((code, &message))),
        }
    }

    fn subscribe(
        &mut self,
        request: &Request,
        name: &str,
        now: Now,
        first_pushes: &mut Vec<Bytes>,
    ) -> Result<(), Refusal> {
        let target = self.target(request, name)?;
        if matches!(target, Target::Private(..)) {
            self.authenticate(request, now)?;
        }
        let mut state = self.venue.lock();
        match target {
            Target::Public(topics) => {
                for topic in topics {
                    if let Topic::Book { market, symbol, .. } = topic {
                        // One book stream per pair: a new level replaces the old one.
                        let old: Vec<Topic> = self
                            .subscriptions
                            .keys()
                            .filter(|t| matches!(t, Topic::Book { market: m, symbol: s, .. } if *m == market && *s == symbol))
                            .copied()
                            .collect();
                        for old in old {
                            self.subscriptions.remove(&old);
                            state.remove_subscriber(&old);
                        }
                    }
                    if self.subscriptions.contains_key(&topic) {
                        continue;
                    }
                    let from = state.add_subscriber(topic);
                    if self.venue.config().first_push == FirstPush::Full {
                        first_pushes.extend(state.full_view(self.venue.config(), &topic, now));
                    }
                    self.subscriptions.insert(
                        topic,
                        Subscription {
                            from,
                            filter: Filter::All,
                        },
                    );
                }
            }
            Target::Private(channel, filter) => {
                let topic = Topic::Private {
                    market: self.market,
                    channel,
                };
                match self.subscriptions.get_mut(&topic) {
                    Some(existing) => existing.filter.merge(filter),
                    None => {
                        let from = state.add_subscriber(topic);
                        self.subscriptions
                            .insert(topic, Subscription { from, filter });
                    }
                }
            }
        }
        Ok(())
    }

    fn unsubscribe(&mut self, request: &Request, name: &str) -> Result<(), Refusal> {
        let topics: Vec<Topic> = match self.target(request, name)? {
            Target::Public(topics) => self
                .subscriptions
                .keys()
                .filter(|mine| {
                    topics.iter().any(|t| match (t, mine) {
                        // The docs unsubscribe books without the level: any level matches.
                        (
                            Topic::Book { market, symbol, .. },
                            Topic::Book {
                                market: m,
                                symbol: s,
                                ..
                            },
                        ) => market == m && symbol == s,
                        _ => t == *mine,
                    })
                })
                .copied()
                .collect(),
            Target::Private(channel, _) => vec![Topic::Private {
                market: self.market,
                channel,
            }],
        };
        let mut state = self.venue.lock();
        for topic in topics {
            if self.subscriptions.remove(&topic).is_some() {
                state.remove_subscriber(&topic);
            }
        }
        Ok(())
    }

    /// Checks the `auth` member of a private subscription (spec §3.2).
    fn authenticate(&self, request: &Request, now: Now) -> Result<(), Refusal> {
        let fail = |why: &str| (AUTH_FAIL, format!("authentication fail: {why}"));
        let config = self.venue.config();
        let auth = request.auth.as_ref().ok_or_else(|| fail("missing auth"))?;
        if auth.method != "api_key" {
            return Err(fail("unsupported auth method"));
        }
        if auth.key != config.api_key {
            return Err(fail("invalid key"));
        }
        let time = request.time.ok_or_else(|| fail("missing time"))?;
        let venue = self.venue.venue_now(now);
        if venue.secs.saturating_sub(time).saturating_abs() > config.max_clock_skew_secs {
            return Err(fail("request time out of range"));
        }
        let expected =
            sign::channel_signature(&config.api_secret, &request.channel, &request.event, time);
        if !sign::signatures_match(&expected, &auth.sign) {
            return Err(fail("invalid signature"));
        }
        Ok(())
    }

    /// `event: "api"`: only `*.login` is simulated.
    fn api(&self, request: &Request, name: &str, now: Now) -> Bytes {
        let payload = request.payload.as_ref();
        let field = |key: &str| {
            payload
                .and_then(|p| p.get(key))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let req_id = field("req_id");
        let outcome = if name == "login" {
            self.login(
                &request.channel,
                &field("api_key"),
                &field("signature"),
                &field("timestamp"),
                now,
            )
        } else {
            Err((400, "INVALID_PARAM_VALUE", "not simulated by exchange-sim"))
        };
        wire::api_reply(now, &self.who, &request.channel, &req_id, outcome)
    }

    fn login(
        &self,
        channel: &str,
        key: &str,
        signature: &str,
        timestamp: &str,
        now: Now,
    ) -> Result<Value, (u16, &'static str, &'static str)> {
        let config = self.venue.config();
        if key != config.api_key {
            return Err((401, "INVALID_KEY", "Invalid key provided"));
        }
        if channel == "futures.login" && self.venue.futures_login_unsupported() {
            return Err((
                400,
                "NOT_SUPPORTED",
                "futures.login is not supported for this account",
            ));
        }
        let venue = self.venue.venue_now(now);
        let fresh = timestamp.parse::<i64>().is_ok_and(|ts| {
            venue.secs.saturating_sub(ts).saturating_abs() <= config.max_clock_skew_secs
        });
        if !fresh {
            return Err((401, "REQUEST_EXPIRED", "Request timestamp out of range"));
        }
        let expected = sign::login_signature(&config.api_secret, channel, "", timestamp);
        if !sign::signatures_match(&expected, signature) {
            return Err((401, "INVALID_SIGNATURE", "Signature mismatch"));
        }
        Ok(json!({"api_key": key, "uid": config.user_id.to_string()}))
    }

    /// Resolves the channel and payload into topics, checking every pair.
    fn target(&self, request: &Request, name: &str) -> Result<Target, Refusal> {
        let market = self.market;
        let strings = payload_strings(request.payload.as_ref())?;
        let private = |channel| -> Result<Target, Refusal> {
            // Futures private payloads start with the user id.
            let names = match market {
                Market::Spot => &strings[..],
                Market::Futures => strings.get(1..).unwrap_or_default(),
            };
            let filter = if names.is_empty() || names.iter().any(|n| n == "!all") {
                Filter::All
            } else {
                Filter::Only(self.symbols(names)?)
            };
            Ok(Target::Private(channel, filter))
        };
        match name {
            "orders" => private(PrivateChannel::Orders),
            "usertrades" => private(PrivateChannel::UserTrades),
            "balances" => Ok(Target::Private(PrivateChannel::Balances, Filter::All)),
            "positions" if market == Market::Futures => private(PrivateChannel::Positions),
            "tickers" | "trades" | "book_ticker" => {
                if strings.is_empty() {
                    return Err((2, "invalid argument: empty payload".to_owned()));
                }
                let make: fn(Market, Symbol) -> Topic = match name {
                    "tickers" => |market, symbol| Topic::Tickers { market, symbol },
                    "trades" => |market, symbol| Topic::Trades { market, symbol },
                    _ => |market, symbol| Topic::BookTicker { market, symbol },
                };
                let topics = self
                    .symbols(&strings)?
                    .into_iter()
                    .map(|symbol| make(market, symbol))
                    .collect();
                Ok(Target::Public(topics))
            }
            "order_book_update" => {
                let symbol = self.symbols(strings.get(..1).unwrap_or_default())?;
                let Some(&symbol) = symbol.first() else {
                    return Err((2, "invalid argument: missing pair".to_owned()));
                };
                let level = book_level(
                    market,
                    strings.get(1).map(String::as_str),
                    strings.get(2).map(String::as_str),
                    request.event == "unsubscribe",
                )
                .ok_or_else(|| (2, "invalid argument: interval or level".to_owned()))?;
                Ok(Target::Public(vec![Topic::Book {
                    market,
                    symbol,
                    level,
                }]))
            }
            _ => Err((2, format!("unknown channel {}", request.channel))),
        }
    }

    /// The payload's names as served symbols; the first unknown one fails the request.
    fn symbols(&self, names: &[String]) -> Result<Vec<Symbol>, Refusal> {
        let unknown = |name: &str| match self.market {
            Market::Spot => (2, format!("unknown currency pair {name}")),
            Market::Futures => (2, format!("unknown contract {name}")),
        };
        names
            .iter()
            .map(|name| {
                if !self.venue.config().serves(self.market, name) {
                    return Err(unknown(name));
                }
                Symbol::new(name).map_err(|_| unknown(name))
            })
            .collect()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let mut state = self.venue.lock();
        for topic in self.subscriptions.keys() {
            state.remove_subscriber(topic);
        }
    }
}

/// The payload as a list of strings (absent → empty); anything else is code 2.
fn payload_strings(payload: Option<&Value>) -> Result<Vec<String>, Refusal> {
    let Some(payload) = payload else {
        return Ok(Vec::new());
    };
    let bad = || {
        (
            2,
            "invalid argument: payload must be a list of strings".to_owned(),
        )
    };
    payload
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|item| item.as_str().map(str::to_owned).ok_or_else(bad))
        .collect()
}

/// The stream level of a book subscription (spec §3.4, §4.3). Spot: `"100ms"` → 100,
/// `"20ms"` → 20. Futures: `[contract, "100ms"|"20ms", "100"|"50"|"20"]`, `20ms` only with
/// 20; a missing level means 100 for `100ms` and 20 for `20ms`. Unsubscribes need no
/// interval.
fn book_level(
    market: Market,
    interval: Option<&str>,
    level: Option<&str>,
    unsubscribe: bool,
) -> Option<u16> {
    let level = match (market, interval, level) {
        (_, None, _) if unsubscribe => 100,
        (Market::Spot, Some("100ms"), None) => 100,
        (Market::Spot, Some("20ms"), None) => 20,
        (Market::Futures, Some("100ms"), None) => 100,
        (Market::Futures, Some("20ms"), None | Some("20")) => 20,
        (Market::Futures, Some("100ms"), Some(level)) => level.parse().ok()?,
        _ => return None,
    };
    stream_levels(market).contains(&level).then_some(level)
}

/// Close code for an unknown path or a connection that fell behind the feed.
const CLOSE_POLICY: u16 = 1008;
/// The error code of a failed authentication (spec §3.1).
const AUTH_FAIL: u8 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_pick_the_market() {
        assert_eq!(market_for_path("/ws/v4/"), Some(Market::Spot));
        assert_eq!(market_for_path("/ws/v4"), Some(Market::Spot));
        assert_eq!(market_for_path("/v4/ws/usdt"), Some(Market::Futures));
        assert_eq!(market_for_path("/v4/ws/btc"), None);
    }

    #[test]
    fn book_levels_follow_the_docs() {
        assert_eq!(
            book_level(Market::Spot, Some("100ms"), None, false),
            Some(100)
        );
        assert_eq!(
            book_level(Market::Spot, Some("20ms"), None, false),
            Some(20)
        );
        assert_eq!(book_level(Market::Spot, Some("1000ms"), None, false), None);
        assert_eq!(
            book_level(Market::Futures, Some("100ms"), Some("50"), false),
            Some(50)
        );
        assert_eq!(
            book_level(Market::Futures, Some("20ms"), Some("100"), false),
            None
        );
        assert_eq!(
            book_level(Market::Futures, Some("100ms"), Some("10"), false),
            None
        );
        assert_eq!(book_level(Market::Futures, None, None, true), Some(100));
    }

    #[test]
    fn filters_merge() {
        let btc = Symbol::new("BTC_USDT").unwrap_or_else(|e| panic!("{e}"));
        let eth = Symbol::new("ETH_USDT").unwrap_or_else(|e| panic!("{e}"));
        let mut filter = Filter::Only(vec![btc]);
        assert!(!filter.matches(Some(eth)));
        assert!(filter.matches(None));
        filter.merge(Filter::Only(vec![eth]));
        assert!(filter.matches(Some(eth)));
        filter.merge(Filter::All);
        assert_eq!(filter, Filter::All);
    }
}
