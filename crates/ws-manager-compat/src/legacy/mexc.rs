//! The old MEXC strategies (`exchanges/integrations/mexc/ws/strategies/{public,private}`),
//! as glue over `exchange-mexc`: its endpoints, channel builders, protobuf reader, control
//! parser, listen-key signer and book sync. Fixed against the old defects: the depth
//! channel is the protobuf `aggre.depth` the parser reads (§7.6), acks are `code: 0` and
//! checked, "Blocked!" refusals are errors, and the venue's application `PING` is sent
//! (§7.7). Private requests are signed with the venue's time, measured (the venue clock
//! of `exchange_mexc`/`ws_handlers`) when MEXC refuses a timestamp.

use std::time::Duration;

use exchange_mexc::{
    Body, BodyKind, BookSink, BookSync, Channel, ControlReply, Endpoints, Error,
    ListenKeyLifecycle, ListenKeyPurpose, ListenKeyReply, ListenKeyReuse, MexcHandlerConfig,
    RECONNECTION_POLICY, RestSigner, decode_push, parse_control, private_event,
};
use market_types::{BookStatusEvent, BookUpdate, OrderBook, PrivateEvent};
use ws_core::{
    ConnectionContext, DisconnectCause, FrameKind, InboundFrame, OutFrame, Outbox, PingSettings,
    ReconnectDecision, ReconnectionPolicy, RestRequestId, RestResponse, SessionSignal, StreamKind,
    Timestamp,
};
use ws_handlers::VenueClock;
use ws_mixins::ErrorCategory;

use super::{
    ConnectionStrategy, MessageParser, ParseContext, SubscriptionStrategy, WebSocketStrategySet,
};
use crate::error::CompatError;
use crate::setup::{ChannelKind, VenueSetup};
use crate::translate::Translator;
use crate::types::{ParsedMessage, PublicWebsocketChannelType, SubscriptionAction};
use crate::venues::mexc::{mexc_config, private_channel, public_channel};

/// The strategies of a MEXC market-data connection.
pub(super) fn public(setup: &VenueSetup) -> Result<WebSocketStrategySet, CompatError> {
    let config = mexc_config(setup)?;
    let endpoints = config.endpoints.clone();
    Ok(WebSocketStrategySet::new(
        Box::new(MexcConnection {
            ping: setup.ping(endpoints.public_context().ping),
            endpoints,
            policy: setup.policy(RECONNECTION_POLICY),
            listen_key: None,
        }),
        Box::new(MexcSubscription { next_id: 1 }),
        Box::new(MexcParser {
            books: BookSync::new(config.book, config.endpoints.rest_url.clone()),
            subscribed: Vec::new(),
        }),
    ))
}

/// The strategies of a MEXC user-data connection (listen key over signed REST).
pub(super) fn private(setup: &VenueSetup) -> Result<WebSocketStrategySet, CompatError> {
    let (Some(key), Some(secret)) = (&setup.api_key, &setup.api_secret) else {
        return Err(CompatError::InvalidConfig(
            "private MEXC WebSocket requires credentials".into(),
        ));
    };
    let credentials = exchange_mexc::Credentials::new(key.as_str(), secret.as_bytes());
    let config = mexc_config(setup)?;
    let endpoints = config.endpoints.clone();
    let clock = exchange_mexc::venue_clock(&endpoints.rest_url);
    Ok(WebSocketStrategySet::new(
        Box::new(MexcConnection {
            ping: setup.ping(endpoints.private_context("").ping),
            policy: setup.policy(RECONNECTION_POLICY),
            listen_key: Some(ListenKey {
                signer: RestSigner::new(endpoints.rest_url.clone(), credentials)
                    .with_clock(clock.offset()),
                clock,
                lifecycle: ListenKeyLifecycle::new(
                    KEEP_ALIVE,
                    MexcHandlerConfig::default().rest_retry,
                    ListenKeyReuse::Replace,
                ),
                next_id: 1,
            }),
            endpoints,
        }),
        Box::new(MexcSubscription { next_id: 1 }),
        Box::new(MexcParser {
            books: BookSync::new(config.book, config.endpoints.rest_url.clone()),
            subscribed: Vec::new(),
        }),
    ))
}

struct MexcConnection {
    endpoints: Endpoints,
    ping: PingSettings,
    policy: ReconnectionPolicy,
    listen_key: Option<ListenKey>,
}

/// The old private strategy's listen key: create before connecting, extend every 30
/// minutes, replace after a loss, delete on close. The schedule and the rules are
/// `exchange_mexc`'s; this holds the signer and numbers the requests below book sync's.
struct ListenKey {
    signer: RestSigner,
    /// The venue's clock the signer reads; measured when a timestamp is refused.
    clock: VenueClock,
    lifecycle: ListenKeyLifecycle,
    next_id: u64,
}

/// The next listen-key request id (ids from 2 up, below [`BOOK_REQUEST_IDS`]).
fn next_id(counter: &mut u64) -> impl FnMut() -> RestRequestId + '_ {
    || {
        *counter += 1;
        RestRequestId(*counter)
    }
}

impl ConnectionStrategy for MexcConnection {
    fn create_connection_context(&self) -> ConnectionContext {
        let mut context = match self.listen_key.as_ref() {
            None => self.endpoints.public_context(),
            Some(listen) => self
                .endpoints
                .private_context(listen.lifecycle.key().unwrap_or_default()),
        };
        context.ping = self.ping;
        context
    }

    fn get_reconnection_policy(&self) -> ReconnectionPolicy {
        self.policy
    }

    /// 1005 (routine on MEXC) is always retried; a 403 at the handshake is the venue's
    /// firewall, retried with backoff; the rest as the driver's default (authentication
    /// failures stop).
    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        match cause {
            _ if cause.is_no_status() => ReconnectDecision::Retry,
            DisconnectCause::HandshakeRejected {
                status: 403,
                retry_after: None,
            } if self.listen_key.is_none() => ReconnectDecision::Retry,
            _ => cause.default_decision(),
        }
    }

    /// `{"method":"PING"}`: MEXC drops a connection that sends nothing for 60 s (the old
    /// strategy relied on protocol pings only, §7.7).
    fn handle_heartbeat(&mut self, _now: Timestamp, out: &mut Outbox) {
        out.send(exchange_mexc::ping());
    }

    fn ready_to_connect(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        let Some(listen) = self.listen_key.as_mut() else {
            return true;
        };
        // A refused timestamp: the key is created again once the clock is measured.
        if listen.clock.is_stale() {
            let id = next_id(&mut listen.next_id)();
            out.rest(listen.clock.request(id, now));
        }
        if listen.clock.is_measuring() {
            return false;
        }
        listen
            .lifecycle
            .prepare(&listen.signer, now, next_id(&mut listen.next_id), out)
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        let Some(listen) = self.listen_key.as_mut() else {
            return;
        };
        listen
            .lifecycle
            .on_tick(&listen.signer, now, next_id(&mut listen.next_id), out);
    }

    fn on_rest_response(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
    ) -> bool {
        let Some(listen) = self.listen_key.as_mut() else {
            return false;
        };
        if response.id.0 >= BOOK_REQUEST_IDS {
            return false;
        }
        if let Some(update) = listen.clock.on_response(response.id, &response.result, now) {
            listen.clock.report(&update, "mexc");
            return true;
        }
        match listen.lifecycle.on_response(response, now) {
            Some(ListenKeyReply::Failed(purpose, error))
                if listen.refused_for_time(purpose, &error) =>
            {
                tracing::warn!(%error, ?purpose, "timestamp refused; measuring the venue's clock");
                listen.clock.mark_stale();
                listen.lifecycle.on_failure(purpose, &error, now);
                if purpose == ListenKeyPurpose::Create {
                    // `ready_to_connect` measures, then creates the key again.
                    listen.lifecycle.recheck();
                } else if listen.clock.is_stale() {
                    // Connected: measure now; the keep-alive is retried with the result.
                    let id = next_id(&mut listen.next_id)();
                    out.rest(listen.clock.request(id, now));
                }
            }
            Some(ListenKeyReply::Failed(purpose, error)) => {
                // The old strategy judged only the creation; keep-alives and deletions were
                // fire-and-forget.
                if purpose == ListenKeyPurpose::Create && error.is_fatal() {
                    out.signal(SessionSignal::AuthenticationFailed(format!(
                        "listen key refused: {error}"
                    )));
                } else {
                    tracing::warn!(%error, ?purpose, "listen key request failed; retrying");
                }
                listen.lifecycle.on_failure(purpose, &error, now);
            }
            Some(ListenKeyReply::Unreadable(error)) => {
                tracing::warn!(%error, "listen key not created; retrying");
            }
            Some(_) | None => {}
        }
        true
    }

    /// The old strategy regenerated the key after a loss; the old key is deleted first.
    fn on_disconnected(&mut self, _cause: &DisconnectCause) {
        if let Some(listen) = self.listen_key.as_mut() {
            listen.clock.on_disconnected();
            listen.lifecycle.on_disconnected();
        }
    }

    fn cleanup(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(listen) = self.listen_key.as_mut() {
            listen
                .lifecycle
                .close(&listen.signer, now, next_id(&mut listen.next_id), out);
        }
    }
}

impl ListenKey {
    /// A refusal a wrong clock explains: any refused timestamp, except a creation refused
    /// again right after a measurement (then it is the key's or the account's problem).
    fn refused_for_time(&self, purpose: ListenKeyPurpose, error: &Error) -> bool {
        error.is_outside_recv_window()
            && (purpose != ListenKeyPurpose::Create || !self.clock.is_fresh())
    }
}

struct MexcSubscription {
    next_id: u32,
}

impl SubscriptionStrategy for MexcSubscription {
    /// One request per symbol naming all its channels (the old format); private channels
    /// in one request.
    fn create_subscription_messages(
        &mut self,
        action: SubscriptionAction,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
        _now: Timestamp,
    ) -> Result<Vec<OutFrame>, CompatError> {
        let private: Vec<Channel> = channels
            .iter()
            .filter_map(|c| private_channel(*c))
            .collect();
        let mut requests: Vec<Vec<Channel>> = Vec::new();
        if !private.is_empty() {
            requests.push(private);
        } else {
            for symbol in symbols {
                let wanted: Vec<Channel> = channels
                    .iter()
                    .filter_map(|c| public_channel(*symbol, *c))
                    .collect();
                if !wanted.is_empty() {
                    requests.push(wanted);
                }
            }
        }
        let mut frames = Vec::with_capacity(requests.len());
        for request in requests {
            self.next_id = self.next_id.wrapping_add(1);
            let frame = match action {
                SubscriptionAction::Subscribe => exchange_mexc::subscribe(&request, self.next_id),
                SubscriptionAction::Unsubscribe => {
                    exchange_mexc::unsubscribe(&request, self.next_id)
                }
            }
            .map_err(|e| CompatError::bad_request(e.to_string()))?;
            frames.push(frame);
        }
        Ok(frames)
    }
}

struct MexcParser {
    books: BookSync,
    /// Channels subscribed on this connection, to tell refusals of ours from others.
    subscribed: Vec<Channel>,
}

/// Book sync's output pushed into the parse result.
struct Collect<'a> {
    translator: &'a Translator,
    parsed: &'a mut Vec<ParsedMessage>,
}

impl BookSink for Collect<'_> {
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        self.parsed.push(self.translator.order_book(book, update));
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.parsed.push(self.translator.book_status(&event));
    }
}

impl MexcParser {
    fn on_text(&mut self, payload: &[u8], cx: &mut ParseContext<'_>) {
        match parse_control(payload) {
            Ok(ControlReply::Pong) => {}
            Ok(ControlReply::Ack { msg, .. }) => {
                for part in msg.split(',') {
                    if let Ok(Channel::AggreDepth { symbol, .. }) = Channel::parse(part.trim()) {
                        self.books.on_subscribed(symbol, cx.now);
                    }
                }
            }
            Err(Error::SubscriptionRejected { channels, reason }) => {
                self.refused(&channels, &reason, 0, cx);
            }
            Err(Error::VenueError { code, msg }) => {
                let named = exchange_mexc::refused_channels(&msg);
                self.refused(&named, &msg, code, cx);
            }
            Err(other) => cx.error(ErrorCategory::Parse, other.to_string()),
        }
    }

    /// A refusal naming channels this connection asked for is a rejected subscription
    /// (their books are dropped); one naming none of them is a venue error.
    fn refused(
        &mut self,
        named: &[impl AsRef<str>],
        reason: &str,
        code: i64,
        cx: &mut ParseContext<'_>,
    ) {
        let ours: Vec<Channel> = named
            .iter()
            .filter_map(|n| Channel::parse(n.as_ref().trim()).ok())
            .filter(|c| self.subscribed.contains(c))
            .collect();
        let shown = named
            .iter()
            .map(|n| n.as_ref().trim())
            .collect::<Vec<_>>()
            .join(",");
        if ours.is_empty() {
            return cx.error(
                ErrorCategory::Venue,
                format!("venue error code {code}: {reason} [{shown}]"),
            );
        }
        for channel in &ours {
            self.subscribed.retain(|c| c != channel);
            if let Channel::AggreDepth { symbol, .. } = channel {
                self.books.untrack(*symbol);
            }
        }
        cx.error(
            ErrorCategory::SubscriptionRejected,
            format!("MEXC refused [{shown}] (code {code}): {reason}"),
        );
    }

    fn on_binary(&mut self, payload: &[u8], cx: &mut ParseContext<'_>) {
        let push = match decode_push(payload) {
            Ok(push) => push,
            Err(e) => return cx.error(ErrorCategory::Parse, e.to_string()),
        };
        match push.body {
            Body::AggreDepths(depth) => {
                let ParseContext {
                    now,
                    out,
                    translator,
                    parsed,
                    ..
                } = cx;
                let mut sink = Collect { translator, parsed };
                match self
                    .books
                    .on_depth(&push.header, &depth, *now, out, &mut sink)
                {
                    Ok(()) | Err(Error::UntrackedSymbol { .. }) => {}
                    Err(e @ Error::BookResync { .. }) => {
                        cx.error(ErrorCategory::BookSync, e.to_string());
                    }
                    Err(e) => cx.error(ErrorCategory::Parse, e.to_string()),
                }
            }
            Body::AggreDeals(deals) => {
                let symbol = match push.header.symbol() {
                    Ok(symbol) => symbol,
                    Err(e) => return cx.error(ErrorCategory::Parse, e.to_string()),
                };
                let trades = (deals.deals().enumerate())
                    .map(|(index, deal)| deal.and_then(|d| d.to_trade(symbol, index)));
                cx.each(trades, |t, trade| Some(t.trade(trade)));
            }
            Body::AggreBookTicker(ticker) => match push.header.symbol() {
                Ok(symbol) => {
                    let t = ticker.to_book_ticker(symbol, push.header.event_time_ms());
                    let m = cx.translator.book_ticker(&t);
                    cx.parsed.push(m);
                }
                Err(e) => cx.error(ErrorCategory::Parse, e.to_string()),
            },
            Body::Cold(raw)
                if matches!(
                    raw.kind,
                    BodyKind::PrivateOrders | BodyKind::PrivateDeals | BodyKind::PrivateAccount
                ) =>
            {
                match private_event(&push.header, raw) {
                    Ok(PrivateEvent::Order(o)) => {
                        let m = cx.translator.order(&o);
                        cx.parsed.push(m);
                    }
                    Ok(PrivateEvent::Fill(f)) => {
                        let m = cx.translator.fill(&f);
                        cx.parsed.push(m);
                    }
                    Ok(PrivateEvent::Balance(b)) => {
                        let m = cx.translator.balance(&b);
                        cx.parsed.push(m);
                    }
                    Ok(PrivateEvent::Position(p)) => {
                        let m = cx.translator.position(&p);
                        cx.parsed.push(m);
                    }
                    Err(e) => cx.error(ErrorCategory::Parse, e.to_string()),
                }
            }
            Body::Cold(raw) => cx.error(
                ErrorCategory::Parse,
                format!("{:?} pushes are not handled on this path", raw.kind),
            ),
        }
    }
}

impl MessageParser for MexcParser {
    fn parse_message(&mut self, frame: InboundFrame<'_>, cx: &mut ParseContext<'_>) {
        match frame.kind {
            FrameKind::Text => self.on_text(frame.payload, cx),
            FrameKind::Binary => self.on_binary(frame.payload, cx),
        }
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        exchange_mexc::stream_kind(frame.kind, frame.payload)
    }

    fn on_subscription(
        &mut self,
        action: SubscriptionAction,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
        cx: &mut ParseContext<'_>,
    ) {
        for channel in channels.iter().filter_map(|k| private_channel(*k)) {
            match action {
                SubscriptionAction::Subscribe if !self.subscribed.contains(&channel) => {
                    self.subscribed.push(channel);
                }
                SubscriptionAction::Subscribe => {}
                SubscriptionAction::Unsubscribe => self.subscribed.retain(|c| *c != channel),
            }
        }
        for symbol in symbols {
            for channel in channels.iter().filter_map(|k| public_channel(*symbol, *k)) {
                match action {
                    SubscriptionAction::Subscribe if !self.subscribed.contains(&channel) => {
                        self.subscribed.push(channel);
                    }
                    SubscriptionAction::Subscribe => {}
                    SubscriptionAction::Unsubscribe => self.subscribed.retain(|c| *c != channel),
                }
            }
        }
        if !channels.contains(&ChannelKind::Public(PublicWebsocketChannelType::Orderbook)) {
            return;
        }
        for symbol in symbols {
            match action {
                SubscriptionAction::Subscribe => {
                    let ParseContext {
                        now,
                        translator,
                        parsed,
                        ..
                    } = cx;
                    self.books
                        .track(*symbol, *now, &mut Collect { translator, parsed });
                }
                SubscriptionAction::Unsubscribe => {
                    self.books.untrack(*symbol);
                }
            }
        }
    }

    fn on_rest_response(&mut self, response: &RestResponse, cx: &mut ParseContext<'_>) -> bool {
        let ParseContext {
            now,
            out,
            translator,
            parsed,
            ..
        } = cx;
        self.books
            .on_rest_response(response, *now, out, &mut Collect { translator, parsed })
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.books.on_tick(now, out);
    }

    fn on_disconnected(&mut self, cx: &mut ParseContext<'_>) {
        let ParseContext {
            translator, parsed, ..
        } = cx;
        self.books
            .on_disconnected(&mut Collect { translator, parsed });
    }
}

/// How often a listen key is extended (the venue recommends every 30 minutes).
const KEEP_ALIVE: Duration = Duration::from_secs(30 * 60);
/// REST ids from here up are book sync's (`exchange_mexc::BookSyncConfig::first_request_id`).
const BOOK_REQUEST_IDS: u64 = 1 << 48;
