//! The old Gate.io strategies (`exchanges/integrations/gateio/ws/strategies/{spot,futures}`),
//! as glue over `exchange-gateio`: its endpoints, typed subscriptions (signed for private
//! channels), single-pass frame parser, ping request and book sync. Fixed against the old
//! defects: the order-book payload comes from the crate's builder in the documented order
//! (§7.6), and the application ping goes out on every heartbeat through the driver, which
//! keeps reconnecting when sends fail instead of giving up after three (§7.7).

use exchange_gateio::{
    BookDepth, BookSink, BookSync, BookSyncConfig, Channel, Credentials, Endpoints, Error,
    ErrorCode, Market, Message, Payload, RequestEvent, Subscription, UserId, login_request,
    parse_frame, ping_request,
};
use market_types::{BookStatusEvent, BookUpdate, OrderBook};
use ws_core::{
    ConnectionContext, DisconnectCause, InboundFrame, OutFrame, Outbox, PingSettings,
    ReconnectDecision, ReconnectionPolicy, RestResponse, SessionSignal, StreamKind, Timestamp,
};
use ws_mixins::ErrorCategory;

use super::{
    Authentication, ConnectionStrategy, MessageParser, ParseContext, SubscriptionStrategy,
    WebSocketStrategySet,
};
use crate::error::CompatError;
use crate::setup::{ChannelKind, StreamScope, VenueSetup};
use crate::translate::Translator;
use crate::types::{
    ParsedMessage, PrivateWebsocketChannelType, PublicWebsocketChannelType, SubscriptionAction,
};
use crate::venues::gateio::{handler_config, market};

/// The strategies of a Gate.io spot or futures connection.
pub(super) fn strategies(
    setup: &VenueSetup,
    scope: StreamScope,
) -> Result<WebSocketStrategySet, CompatError> {
    let market = market(setup.exchange);
    let config = handler_config(setup)?;
    let endpoints = config.endpoints;
    let credentials = match (scope, &setup.api_key, &setup.api_secret) {
        (StreamScope::Private, Some(key), Some(secret)) => {
            Some(Credentials::new(key.as_str(), secret.as_bytes()))
        }
        (StreamScope::Private, _, _) => {
            return Err(CompatError::InvalidConfig(
                "private Gate.io WebSocket requires credentials".into(),
            ));
        }
        (StreamScope::Public, _, _) => None,
    };
    let books = BookSyncConfig::new(market, &endpoints, config.depth)
        .map_err(|e| CompatError::InvalidConfig(e.to_string()))?;
    let venue_ping = exchange_gateio::PING;
    Ok(WebSocketStrategySet::new(
        Box::new(GateioConnection {
            label: match (market, scope) {
                (Market::Spot, StreamScope::Public) => "gateio-spot-public",
                (Market::Spot, StreamScope::Private) => "gateio-spot-private",
                (Market::Futures, StreamScope::Public) => "gateio-futures-public",
                (Market::Futures, StreamScope::Private) => "gateio-futures-private",
            },
            ping: setup.ping(venue_ping),
            policy: setup.policy(exchange_gateio::RECONNECTION_POLICY),
            endpoints,
            market,
            fatal: false,
            // Futures private channels name the account: log in to learn its id.
            login: (scope == StreamScope::Private && market == Market::Futures)
                .then(|| credentials.clone())
                .flatten(),
        }),
        Box::new(GateioSubscription {
            market,
            depth: config.depth,
            credentials,
            next_id: 0,
            user_id: None,
        }),
        Box::new(GateioParser {
            books: BookSync::new(books),
        }),
    ))
}

struct GateioConnection {
    label: &'static str,
    endpoints: Endpoints,
    ping: PingSettings,
    policy: ReconnectionPolicy,
    market: Market,
    fatal: bool,
    login: Option<Credentials>,
}

impl ConnectionStrategy for GateioConnection {
    fn create_connection_context(&self) -> ConnectionContext {
        let mut context = ConnectionContext::new(self.label, self.endpoints.websocket.clone());
        context.ping = self.ping;
        context
    }

    fn get_reconnection_policy(&self) -> ReconnectionPolicy {
        self.policy
    }

    /// Never after an authentication failure; otherwise the driver's default.
    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        if self.fatal {
            return ReconnectDecision::Stop;
        }
        cause.default_decision()
    }

    /// `futures.login` when the account id is needed (the old private strategies logged in
    /// before subscribing).
    fn authenticate(&mut self, now: Timestamp, out: &mut Outbox) -> Authentication {
        match &self.login {
            Some(credentials) => {
                let time = now.unix_seconds();
                out.send_text(login_request(
                    self.market,
                    credentials,
                    time,
                    "ws-manager-compat-login",
                    i64::try_from(time).ok(),
                ));
                Authentication::Pending
            }
            None => Authentication::Done,
        }
    }

    /// `{"time": now, "channel": "spot.ping"}` (`futures.ping`).
    fn handle_heartbeat(&mut self, now: Timestamp, out: &mut Outbox) {
        out.send_text(ping_request(self.market, now.unix_seconds(), None));
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause) {
        if matches!(cause, DisconnectCause::AuthenticationFailed(_)) {
            self.fatal = true;
        }
    }
}

struct GateioSubscription {
    market: Market,
    depth: BookDepth,
    credentials: Option<Credentials>,
    next_id: i64,
    /// The account id from the login (futures private channels).
    user_id: Option<UserId>,
}

impl GateioSubscription {
    fn request(
        &mut self,
        action: SubscriptionAction,
        subscription: Result<Subscription, Error>,
        now: Timestamp,
    ) -> Result<OutFrame, CompatError> {
        self.next_id += 1;
        let id = Some(self.next_id);
        let time = now.unix_seconds();
        let credentials = self.credentials.as_ref();
        subscription
            .and_then(|s| match action {
                SubscriptionAction::Subscribe => s.subscribe_request(time, id, credentials),
                SubscriptionAction::Unsubscribe => s.unsubscribe_request(time, id, credentials),
            })
            .map(OutFrame::text)
            .map_err(|e| CompatError::bad_request(e.to_string()))
    }
}

impl SubscriptionStrategy for GateioSubscription {
    fn on_authenticated(&mut self, user_id: Option<u64>) {
        self.user_id = user_id.map(UserId);
    }

    /// One request per channel carrying every pair; one per pair for order books (their
    /// payload names one pair); private channels for all pairs (`!all`), balances bare.
    fn create_subscription_messages(
        &mut self,
        action: SubscriptionAction,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
        now: Timestamp,
    ) -> Result<Vec<OutFrame>, CompatError> {
        let mut frames = Vec::new();
        for kind in channels {
            match *kind {
                ChannelKind::Public(PublicWebsocketChannelType::Orderbook) => {
                    for symbol in symbols {
                        let s = Subscription::order_book(self.market, *symbol, self.depth);
                        frames.push(self.request(action, s, now)?);
                    }
                }
                ChannelKind::Public(public) if !symbols.is_empty() => {
                    let channel = public_channel(self.market, public);
                    let s = Subscription::symbols(channel, symbols.iter().copied());
                    frames.push(self.request(action, s, now)?);
                }
                ChannelKind::Public(_) => {}
                ChannelKind::Private(private) => {
                    let s = match (self.market, self.user_id) {
                        (Market::Spot, _) => {
                            let (channel, payload) = spot_private_channel(private);
                            Subscription::new(channel, payload)
                        }
                        (Market::Futures, Some(user_id)) => Subscription::new(
                            futures_private_channel(private),
                            Payload::User {
                                user_id,
                                symbols: Vec::new(),
                            },
                        ),
                        (Market::Futures, None) => {
                            return Err(CompatError::bad_request(
                                "Gate.io futures private channels need the account id; \
                                 the login did not report one"
                                    .into(),
                            ));
                        }
                    };
                    frames.push(self.request(action, s, now)?);
                }
            }
        }
        Ok(frames)
    }
}

/// The Gate channel of an old public channel type other than the order book.
fn public_channel(market: Market, kind: PublicWebsocketChannelType) -> Channel {
    match (market, kind) {
        (Market::Spot, PublicWebsocketChannelType::Trades) => Channel::SpotTrades,
        (Market::Spot, PublicWebsocketChannelType::BookTicker) => Channel::SpotBookTicker,
        (Market::Spot, PublicWebsocketChannelType::Ticker) => Channel::SpotTickers,
        (Market::Futures, PublicWebsocketChannelType::Trades) => Channel::FuturesTrades,
        (Market::Futures, PublicWebsocketChannelType::BookTicker) => Channel::FuturesBookTicker,
        (Market::Futures, PublicWebsocketChannelType::Ticker) => Channel::FuturesTickers,
        (market, PublicWebsocketChannelType::Orderbook) => market.order_book_update(),
    }
}

/// The futures private channel of an old private channel type.
fn futures_private_channel(kind: PrivateWebsocketChannelType) -> Channel {
    match kind {
        PrivateWebsocketChannelType::Order => Channel::FuturesOrders,
        PrivateWebsocketChannelType::Trade => Channel::FuturesUserTrades,
        PrivateWebsocketChannelType::Balance => Channel::FuturesBalances,
    }
}

/// The spot private channel of an old private channel type, with its payload.
fn spot_private_channel(kind: PrivateWebsocketChannelType) -> (Channel, Payload) {
    match kind {
        PrivateWebsocketChannelType::Order => (Channel::SpotOrders, Payload::All),
        PrivateWebsocketChannelType::Trade => (Channel::SpotUserTrades, Payload::All),
        PrivateWebsocketChannelType::Balance => (Channel::SpotBalances, Payload::Empty),
    }
}

struct GateioParser {
    books: BookSync,
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

impl GateioParser {
    fn on_message(&mut self, message: Message<'_>, cx: &mut ParseContext<'_>) {
        let push = |cx: &mut ParseContext<'_>, m: ParsedMessage| cx.parsed.push(m);
        match message {
            Message::Ack(ack) => {
                let is_book = matches!(
                    ack.channel,
                    Channel::SpotOrderBookUpdate | Channel::FuturesOrderBookUpdate
                );
                if ack.event == RequestEvent::Subscribe && is_book {
                    let ParseContext {
                        now,
                        out,
                        translator,
                        parsed,
                        ..
                    } = cx;
                    let mut sink = Collect { translator, parsed };
                    match ack.pair {
                        Some(pair) => self.books.on_subscribed(pair, *now, out, &mut sink),
                        // No echoed pair: a book still waiting for its ack takes it.
                        None => {
                            let symbols: Vec<_> = self.books.symbols().collect();
                            for symbol in symbols {
                                self.books.on_subscribed(symbol, *now, out, &mut sink);
                            }
                        }
                    }
                }
            }
            Message::Login(login) => cx.authenticated = Some(Ok(login.uid)),
            Message::Pong(_) | Message::Api(_) => {}
            Message::OrderBookUpdate(update) => {
                let ParseContext {
                    now,
                    out,
                    translator,
                    parsed,
                    ..
                } = cx;
                self.books
                    .on_update(&update, *now, out, &mut Collect { translator, parsed });
            }
            Message::BookSnapshot(_) | Message::Other { .. } => {}
            Message::BookTicker(ticker) => {
                let m = cx.translator.book_ticker(&ticker);
                push(cx, m);
            }
            Message::Trade(trade) if !trade.internal => {
                let m = cx.translator.trade(&trade.trade);
                push(cx, m);
            }
            Message::Trade(_) => {}
            Message::Trades(items) => cx.each(items, |t, trade| {
                (!trade.internal).then(|| t.trade(&trade.trade))
            }),
            Message::Tickers(items) => cx.each(items, |t, ticker| Some(t.ticker(ticker))),
            Message::Orders(items) => cx.each(items, |t, update| Some(t.order(&update.order))),
            Message::UserTrades(items) => cx.each(items, |t, fill| Some(t.fill(fill))),
            Message::Balances(items) => {
                cx.each(items, |t, update| Some(t.balance(&update.balance)));
            }
            Message::Positions(items) => cx.each(items, |t, position| Some(t.position(position))),
            _ => {}
        }
    }

    fn on_error(&mut self, e: Error, cx: &mut ParseContext<'_>) {
        match e {
            Error::Rejected {
                channel,
                event,
                pair,
                code,
                message,
                ..
            } => {
                if code.is_fatal() {
                    cx.out.signal(SessionSignal::AuthenticationFailed(format!(
                        "{event} {channel}: {code} ({message})"
                    )));
                    return cx.error(
                        ErrorCategory::Authentication,
                        format!("{event} {channel}: {code} ({message})"),
                    );
                }
                if event == RequestEvent::Subscribe
                    && code != ErrorCode::ServerError
                    && let (Some(pair), true) = (
                        pair,
                        matches!(
                            channel,
                            Channel::SpotOrderBookUpdate | Channel::FuturesOrderBookUpdate
                        ),
                    )
                {
                    self.books.untrack(pair);
                }
                let category = if event == RequestEvent::Subscribe {
                    ErrorCategory::SubscriptionRejected
                } else {
                    ErrorCategory::Venue
                };
                cx.error(
                    category,
                    format!("{event} {channel} refused: {code} ({message})"),
                );
            }
            Error::Api {
                channel: Some(Channel::SpotLogin | Channel::FuturesLogin),
                status,
                label,
                message,
                ..
            } => {
                let reason = format!("login refused: {status} {label} {message}");
                cx.authenticated = Some(Err(reason.clone()));
                cx.error(ErrorCategory::Authentication, reason);
            }
            other => cx.error(ErrorCategory::Parse, other.to_string()),
        }
    }
}

impl MessageParser for GateioParser {
    /// Book pushes go to book sync's one-pass path; every other frame is parsed once.
    fn parse_message(&mut self, frame: InboundFrame<'_>, cx: &mut ParseContext<'_>) {
        let outcome = {
            let ParseContext {
                now,
                out,
                translator,
                parsed,
                ..
            } = cx;
            self.books.on_frame(
                frame.payload,
                *now,
                out,
                &mut Collect { translator, parsed },
            )
        };
        match outcome {
            Ok(Some(_)) => {}
            Ok(None) => match parse_frame(frame.payload) {
                Ok(message) => self.on_message(message, cx),
                Err(e) => self.on_error(e, cx),
            },
            Err(e) => self.on_error(e, cx),
        }
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        match exchange_gateio::peek_channel(frame.payload) {
            Some(Channel::SpotOrderBookUpdate | Channel::FuturesOrderBookUpdate) => {
                StreamKind::Book
            }
            Some(Channel::SpotTrades | Channel::FuturesTrades) => StreamKind::Trade,
            Some(
                Channel::SpotBookTicker
                | Channel::FuturesBookTicker
                | Channel::SpotTickers
                | Channel::FuturesTickers,
            ) => StreamKind::Ticker,
            Some(c) if c.is_private() => StreamKind::Private,
            _ => StreamKind::Control,
        }
    }

    fn on_subscription(
        &mut self,
        action: SubscriptionAction,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
        cx: &mut ParseContext<'_>,
    ) {
        if !channels.contains(&ChannelKind::Public(PublicWebsocketChannelType::Orderbook)) {
            return;
        }
        for symbol in symbols {
            match action {
                SubscriptionAction::Subscribe => {
                    let ParseContext {
                        translator, parsed, ..
                    } = cx;
                    self.books
                        .track(*symbol, &mut Collect { translator, parsed });
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
