//! The account session: the plan's `GateioSpotPrivateWebSocketHandler` (and its futures
//! twin) with `GateioAuthMixin`, exactly-once delivery and REST reconciliation.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use market_types::{Fill, Order, OrderId, Symbol};
use ws_handlers::{
    BaseMessageHandler, DeliveryCounts, HandlerError, HandlerStats, Lifecycle, PrivateDelivery,
    PrivateLedger, PrivateMessageHandler, RestOrderView, WebSocketMessageType,
};
use ws_mixins::{
    AuthMixin, ConnectionMixin, ErrorCategory, PrivateWebSocketMixin, StreamError,
    SubscriptionError, SubscriptionRegistry,
};
use ws_session::{
    ConnectionContext, DisconnectCause, InboundFrame, OutFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestRequestId, RestResponse, Session, SessionSignal, StreamKind, Timestamp,
};

use crate::auth::login_request;
use crate::channel::{Channel, Market, RequestEvent, UserId, ping_request};
use crate::config::Credentials;
use crate::error::{Error, ErrorCode};
use crate::wire::{Ack, LoginResponse, Message};

use super::config::{GateioHandlerConfig, LoginMode};
use super::format::{HandlerHead, PrivateFormat, Refusal, message_type, recheck_ready, shown};
use super::market::{FuturesMarket, GateioMarket, SpotMarket};
use super::reconcile::{
    Call, FILLS_PAGE, ORDERS_PAGE, RestError, RestOrder, RestSigner, Window, body, parse_balances,
    parse_fills, parse_order, parse_order_list, parse_orders, parse_positions, upper_asset,
};

/// The plan's `GateioSpotPrivateWebSocketHandler`.
pub type GateioSpotPrivateWebSocketHandler<H> = GateioPrivateWebSocketHandler<H, SpotMarket>;

/// The futures twin of the plan's `GateioSpotPrivateWebSocketHandler`.
pub type GateioFuturesPrivateWebSocketHandler<H> = GateioPrivateWebSocketHandler<H, FuturesMarket>;

/// The plan's `GateioAuthMixin`: Gate authenticates each private subscription with a
/// signed `auth` member (HMAC-SHA512 over `channel=…&event=…&time=…`, rendered by the
/// subscription builder), and optionally the connection with `spot.login` /
/// `futures.login` first ([`LoginMode::LoginFirst`]), answered in the WebSocket API shape.
/// The confirmation wait and timeout are `ws_mixins::Authenticator`'s.
#[derive(Debug, Clone)]
pub struct GateioAuthMixin {
    market: Market,
    credentials: Option<Credentials>,
    login: LoginMode,
    timeout: Duration,
    logins: u64,
}

impl GateioAuthMixin {
    /// Authentication for `market` with `credentials`.
    pub fn new(
        market: Market,
        credentials: Option<Credentials>,
        login: LoginMode,
        timeout: Duration,
    ) -> Self {
        Self {
            market,
            credentials,
            login,
            timeout,
            logins: 0,
        }
    }

    /// Whether credentials are configured.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// Whether the connection logs in before subscribing.
    pub fn login_mode(&self) -> LoginMode {
        self.login
    }
}

impl AuthMixin for GateioAuthMixin {
    fn requires_authentication(&self) -> bool {
        true
    }

    /// The login request in [`LoginMode::LoginFirst`]; `None` otherwise (each
    /// subscription carries its own signature, so the connection counts as
    /// authenticated at once).
    fn create_auth_message(&mut self, now: Timestamp) -> Option<OutFrame> {
        if self.login != LoginMode::LoginFirst {
            return None;
        }
        let credentials = self.credentials.as_ref()?;
        self.logins += 1;
        let req_id = format!("login-{}", self.logins);
        Some(OutFrame::text(login_request(
            self.market,
            credentials,
            now.unix_seconds(),
            &req_id,
            i64::try_from(self.logins).ok(),
        )))
    }

    fn auth_timeout(&self) -> Duration {
        self.timeout
    }
}

/// A Gate account connection (spot or USDT futures, by `M`): orders, fills, balances and
/// (futures) positions, composed as the plan shows from `ConnectionMixin`,
/// [`GateioAuthMixin`], a `SubscriptionMixin` rendering signed per-channel requests,
/// `BaseMessageHandler` + `PrivateMessageHandler` routing, and `ws_session::Session`.
///
/// - **Channels.** Spot: `spot.orders`, `spot.usertrades`, `spot.balances`; futures:
///   `futures.orders`, `futures.usertrades`, `futures.positions`, `futures.balances`
///   (with the user id, configured or learned from `futures.login`). Order and trade
///   channels cover [`GateioHandlerConfig::private_symbols`], or every pair when empty.
/// - **Credentials.** Refused credentials (error code 4 on a subscription, a failed
///   login, REST `401`/`INVALID_KEY`/`INVALID_SIGNATURE`/`REQUEST_EXPIRED`) stop the
///   connection with `SessionSignal::AuthenticationFailed`: no retry loop. Without
///   credentials it stops at its first connection.
/// - **Delivery.** Every pushed item is decoded once (lazily, without allocating) and
///   goes through a [`PrivateLedger`], so each change reaches the callbacks once.
///   Futures balances are named in upper case, as spot and REST name them.
/// - **Reconciliation.** Once every channel is confirmed after a (re)connect, signed REST
///   calls fetch the open orders, balances and (futures) positions; what changed is
///   emitted through the same ledger (a REST balance or position is skipped when the
///   stream updated it after the request went out; a REST order only when it differs
///   from what was delivered), then `H::on_reconciled`. An order delivered as open that
///   is no longer open is looked up by id (`GET /spot/orders/{id}`,
///   `/futures/usdt/orders/{id}`) and its final state delivered; when the venue does not
///   know it, it is reported to `H::on_error` (category `Rest`) and forgotten. After a
///   disconnect, the window from the last frame received to now is recovered too: the
///   orders finished in it (`GET /spot/orders?status=finished`,
///   `/futures/usdt/orders?status=finished`), which covers orders both opened and closed
///   while disconnected, and its fills (`GET /spot/my_trades`,
///   `/futures/usdt/my_trades_timerange`), page by page, all through the ledger and all
///   before `H::on_reconciled`. If the venue does not serve one of those endpoints, the
///   loss is reported to `H::on_error` with its time window and counted in
///   [`PrivateCounters::fill_gaps`] / [`PrivateCounters::order_gaps`].
#[derive(Debug)]
pub struct GateioPrivateWebSocketHandler<H: PrivateWebSocketMixin, M: GateioMarket> {
    config: GateioHandlerConfig,
    auth: GateioAuthMixin,
    lifecycle: Lifecycle<Channel>,
    format: PrivateFormat,
    signer: Option<RestSigner>,
    /// Ledger, open orders and delivery sequence: the one way to the user's callbacks.
    delivery: PrivateDelivery,
    /// One per connection; REST answers of an older one are ignored.
    generation: u64,
    round: Option<Round>,
    in_flight: Vec<(RestRequestId, Pending)>,
    next_request_id: u64,
    /// Wall-clock ms of the last frame (or connect) on the current connection.
    last_seen_ms: u64,
    /// Start of a disconnected window whose fills are still to be recovered.
    gap_from_ms: Option<u64>,
    /// When channels refused with a server error (code 3) are requested again.
    retry_at: Option<Instant>,
    fatal: Option<String>,
    callbacks: H,
    stats: HandlerStats,
    /// The envelope `detect_message_type` read, for the parser of the same frame.
    head: HandlerHead,
    counters: PrivateCounters,
    error_category: ErrorCategory,
    market: PhantomData<fn() -> M>,
}

/// Counters of a private handler beyond [`HandlerStats`].
///
/// What was delivered (and dropped as already delivered) is in
/// [`GateioPrivateWebSocketHandler::delivery_counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrivateCounters {
    /// Completed reconciliations.
    pub reconciliations: u64,
    /// Orders delivered from reconciliation.
    pub reconciled_orders: u64,
    /// Balances delivered from reconciliation.
    pub reconciled_balances: u64,
    /// Positions delivered from reconciliation.
    pub reconciled_positions: u64,
    /// Fills of a disconnected window delivered from REST.
    pub recovered_fills: u64,
    /// Disconnected windows whose fills could not be fetched (reported to `on_error`).
    pub fill_gaps: u64,
    /// Disconnected windows whose finished orders could not be listed (reported to
    /// `on_error`): orders opened and closed meanwhile stay unknown.
    pub order_gaps: u64,
    /// Orders that stopped being open while disconnected, final state unknown.
    pub unresolved_orders: u64,
    /// REST calls that failed (each reported to `on_error`).
    pub rest_errors: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
    /// Channels confirmed by an ack.
    pub acks: u64,
    /// Acks for nothing pending.
    pub stale_acks: u64,
    /// Channels the venue refused.
    pub rejected_channels: u64,
    /// Logins confirmed.
    pub logins: u64,
    /// Pongs received.
    pub pongs: u64,
    /// Error messages that named no request.
    pub venue_errors: u64,
}

impl<H: PrivateWebSocketMixin, M: GateioMarket> GateioPrivateWebSocketHandler<H, M> {
    /// An account handler for `config.credentials`. Futures handlers without
    /// `config.user_id` log in to learn it.
    pub fn new(config: GateioHandlerConfig, callbacks: H) -> Self {
        let login = match (M::MARKET, config.user_id) {
            (Market::Futures, None) => LoginMode::LoginFirst,
            _ => config.login,
        };
        let auth = GateioAuthMixin::new(
            M::MARKET,
            config.credentials.clone(),
            login,
            config.auth_timeout,
        );
        let mut lifecycle = Lifecycle::new(config.ack_timeout);
        for channel in channels(M::MARKET) {
            lifecycle.subscriptions_mut().add(*channel);
        }
        let format = PrivateFormat::new(
            M::MARKET,
            config.credentials.clone(),
            config.private_symbols.clone(),
            config.user_id,
        );
        let fatal = config
            .credentials
            .is_none()
            .then(|| "no API credentials configured for the private channels".to_string());
        let mut callbacks = callbacks;
        if let Some(reason) = &fatal {
            callbacks.on_error(&StreamError {
                category: ErrorCategory::Authentication,
                message: reason.clone(),
            });
        }
        Self {
            signer: RestSigner::new(&config),
            auth,
            lifecycle,
            format,
            delivery: PrivateDelivery::new(),
            generation: 0,
            round: None,
            in_flight: Vec::new(),
            next_request_id: 1,
            last_seen_ms: 0,
            gap_from_ms: None,
            retry_at: None,
            fatal,
            callbacks,
            stats: HandlerStats::default(),
            head: HandlerHead::default(),
            counters: PrivateCounters::default(),
            error_category: ErrorCategory::Parse,
            market: PhantomData,
            config,
        }
    }

    /// Why the handler stopped for good (credentials refused or missing), if it did.
    pub fn authentication_error(&self) -> Option<&str> {
        self.fatal.as_deref()
    }

    /// Whether the reconciliation of the current connection is complete.
    pub fn is_reconciled(&self) -> bool {
        self.round.as_ref().is_some_and(|r| r.reported)
    }

    /// Orders delivered as open, with their symbols.
    pub fn open_orders(&self) -> impl Iterator<Item = (OrderId, Symbol)> + '_ {
        self.delivery
            .open_orders()
            .iter()
            .map(|(id, view)| (id, view.symbol))
    }

    /// Whether a socket is open.
    pub fn is_connected(&self) -> bool {
        self.lifecycle.is_connected()
    }

    /// What has been delivered (exactly-once bookkeeping).
    pub fn ledger(&self) -> &PrivateLedger {
        self.delivery.ledger()
    }

    /// Orders, fills, balances and positions delivered, and repeats not delivered.
    pub fn delivery_counts(&self) -> DeliveryCounts {
        self.delivery.counts()
    }

    /// The user id futures channels carry (configured or learned at login).
    pub fn user_id(&self) -> Option<UserId> {
        self.format.user_id()
    }

    /// The private channels and their subscription state.
    pub fn subscriptions(&self) -> &SubscriptionRegistry<Channel> {
        self.lifecycle.subscriptions()
    }

    /// Template counters and per-message timing.
    pub fn stats(&self) -> &HandlerStats {
        &self.stats
    }

    /// This handler's own counters.
    pub fn counters(&self) -> PrivateCounters {
        self.counters
    }

    /// The user's callbacks.
    pub fn callbacks(&self) -> &H {
        &self.callbacks
    }

    /// The user's callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut H {
        &mut self.callbacks
    }

    /// The configuration in force.
    pub fn config(&self) -> &GateioHandlerConfig {
        &self.config
    }

    // ------------------------------------------------------------ delivery

    fn deliver_order(&mut self, order: &Order) -> bool {
        self.delivery.order(order, &mut self.callbacks)
    }

    fn deliver_fill(&mut self, fill: &Fill) -> bool {
        self.delivery.fill(fill, &mut self.callbacks)
    }

    /// A REST view of an order: delivered when it says something the stream has not.
    fn reconcile_order(&mut self, rest: RestOrder, seq_at_send: u64, sent_ms: u64) -> bool {
        let mut order = rest.order;
        match self.delivery.rest_order_view(&order, seq_at_send) {
            RestOrderView::StreamedSince | RestOrderView::Unchanged => return false,
            // REST does not say when an open futures order last changed; it is at least
            // as new as what was delivered and no newer than the request.
            RestOrderView::News(Some(view)) if !rest.exact_time => {
                order.update_time_ms = order.update_time_ms.max(view.time_ms).max(sent_ms);
            }
            RestOrderView::News(None) if !rest.exact_time => order.update_time_ms = sent_ms,
            RestOrderView::News(_) => {}
        }
        let delivered = self.deliver_order(&order);
        if delivered {
            self.counters.reconciled_orders += 1;
        }
        delivered
    }

    // ------------------------------------------------------------ reconciliation

    fn maybe_start_reconciliation(&mut self, now: Timestamp, out: &mut Outbox) {
        let ready = self.lifecycle.is_connected()
            && self.lifecycle.auth().is_authenticated()
            && self.lifecycle.subscriptions().all_confirmed();
        let Some(round) = self.round.as_mut() else {
            return;
        };
        if !ready || round.started || self.fatal.is_some() {
            return;
        }
        round.started = true;
        round.fills_from_ms = self.gap_from_ms;
        self.request(Call::OpenOrders, now, out);
        self.request(Call::Balances, now, out);
        if M::MARKET == Market::Futures {
            self.request(Call::Positions, now, out);
        }
        if let Some(from_ms) = self.gap_from_ms {
            // From the last frame of the old connection to past now (the stream covers
            // what follows); the slack absorbs the difference of the two clocks.
            let window = Window {
                from_s: from_ms.saturating_sub(FILL_WINDOW_SLACK_MS) / 1000,
                to_s: now.unix_millis().saturating_add(FILL_WINDOW_SLACK_MS) / 1000,
            };
            self.request(Call::FinishedOrders { window, page: 0 }, now, out);
            self.request(Call::Fills { window, page: 0 }, now, out);
        }
        self.finish_if_done();
    }

    fn request(&mut self, call: Call, now: Timestamp, out: &mut Outbox) {
        let Some(signer) = self.signer.as_ref() else {
            return;
        };
        let id = RestRequestId(self.next_request_id);
        self.next_request_id += 1;
        let (path, query) = call.target(M::MARKET);
        out.rest(signer.get(id, &path, &query, now));
        self.in_flight.push((
            id,
            Pending {
                call,
                generation: self.generation,
                seq: self.delivery.open_orders().seq(),
                sent_ms: now.unix_millis(),
            },
        ));
        if let Some(round) = self.round.as_mut() {
            round.waiting += 1;
        }
    }

    fn on_reconcile_reply(
        &mut self,
        pending: Pending,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
    ) {
        if let Some(round) = self.round.as_mut() {
            round.waiting = round.waiting.saturating_sub(1);
        }
        let Pending {
            call,
            seq: seq_at_send,
            sent_ms,
            ..
        } = pending;
        let result = body(&response.result)
            .and_then(|body| self.apply(call, body, seq_at_send, sent_ms, now, out));
        if let Err(error) = result {
            self.on_rest_error(call, &error, sent_ms, now, out);
        }
        self.finish_if_done();
    }

    /// Emits what one answer says.
    fn apply(
        &mut self,
        call: Call,
        body: &[u8],
        seq_at_send: u64,
        sent_ms: u64,
        now: Timestamp,
        out: &mut Outbox,
    ) -> Result<(), RestError> {
        let market = M::MARKET;
        match call {
            Call::OpenOrders => {
                let orders = parse_orders(market, body)?;
                for order in &orders {
                    self.reconcile_order(*order, seq_at_send, sent_ms);
                }
                // Delivered as open before the request, no longer open: closed meanwhile.
                // Each one's end is asked for by id.
                let missing: Vec<(OrderId, Symbol)> = self
                    .delivery
                    .open_orders()
                    .delivered_by(seq_at_send)
                    .filter(|(id, _)| !orders.iter().any(|o| o.order.order_id == *id))
                    .map(|(id, view)| (id, view.symbol))
                    .collect();
                for (id, symbol) in missing {
                    self.request(Call::Order { id, symbol }, now, out);
                }
            }
            Call::FinishedOrders { .. } => {
                let orders = parse_order_list(market, body)?;
                // Orders that finished within the disconnected window, including those
                // opened and closed while the socket was down (older ones were streamed;
                // the ledger drops any repeat).
                let from_ms = self.gap_start_ms();
                let recent = |o: &RestOrder| {
                    o.order.update_time_ms.saturating_add(FILL_WINDOW_SLACK_MS) >= from_ms
                };
                for order in orders.iter().filter(|o| recent(o)) {
                    self.reconcile_order(*order, seq_at_send, sent_ms);
                }
                // Newest first: a full page whose oldest order is still in the window
                // may have more behind it.
                let more = orders.len() >= ORDERS_PAGE && orders.last().is_some_and(recent);
                if let Some(next) = call.next_page().filter(|_| more) {
                    self.request(next, now, out);
                }
            }
            Call::Order { .. } => {
                let order = parse_order(market, body)?;
                self.reconcile_order(order, seq_at_send, sent_ms);
            }
            Call::Balances => {
                for balance in parse_balances(market, body, now.unix_millis())? {
                    if self
                        .delivery
                        .reconciled_balance(&balance, seq_at_send, &mut self.callbacks)
                    {
                        self.counters.reconciled_balances += 1;
                    }
                }
            }
            Call::Positions => {
                for position in parse_positions(body, now.unix_millis())? {
                    if self.delivery.reconciled_position(
                        &position,
                        seq_at_send,
                        &mut self.callbacks,
                    ) {
                        self.counters.reconciled_positions += 1;
                    }
                }
            }
            Call::Fills { .. } => {
                let from_ms = self.gap_start_ms();
                let fills = parse_fills(market, body)?;
                for fill in &fills {
                    if fill.time_ms.saturating_add(FILL_WINDOW_SLACK_MS) >= from_ms
                        && self.deliver_fill(fill)
                    {
                        self.counters.recovered_fills += 1;
                    }
                }
                if let Some(next) = call.next_page().filter(|_| fills.len() >= FILLS_PAGE) {
                    self.request(next, now, out);
                }
            }
        }
        Ok(())
    }

    /// Start of the disconnected window this round recovers (0 when none).
    fn gap_start_ms(&self) -> u64 {
        self.round
            .as_ref()
            .and_then(|r| r.fills_from_ms)
            .unwrap_or(0)
    }

    fn on_rest_error(
        &mut self,
        call: Call,
        error: &RestError,
        sent_ms: u64,
        now: Timestamp,
        out: &mut Outbox,
    ) {
        self.counters.rest_errors += 1;
        if error.is_fatal() {
            self.reject_credentials(format!("REST {}: {error}", call.target(M::MARKET).0), out);
            return;
        }
        match call {
            Call::Fills { .. } | Call::FinishedOrders { .. } if error.is_not_found() => {
                let from_ms = self.gap_start_ms();
                let (path, _) = call.target(M::MARKET);
                let lost = match call {
                    Call::Fills { .. } => {
                        self.counters.fill_gaps += 1;
                        "fills"
                    }
                    _ => {
                        self.counters.order_gaps += 1;
                        "orders both opened and closed"
                    }
                };
                let reconciled = match M::MARKET {
                    Market::Spot => "open orders and balances",
                    Market::Futures => "orders, balances and positions",
                };
                self.report(
                    ErrorCategory::Rest,
                    format!(
                        "{lost} between {from_ms} and {sent_ms} (ms since the Unix epoch) \
                         while disconnected cannot be recovered: {path} answered {error}; \
                         {reconciled} were reconciled"
                    ),
                );
            }
            Call::Order { id, symbol } if error.is_not_found() => {
                self.unresolved(id, symbol, "the order query answered not found");
            }
            _ => {
                let (path, _) = call.target(M::MARKET);
                self.report(
                    ErrorCategory::Rest,
                    format!("reconciliation {path}: {error}; retrying"),
                );
                if let Some(round) = self.round.as_mut() {
                    round
                        .retries
                        .push((call, now.monotonic + self.config.rest_retry));
                }
            }
        }
    }

    /// An order delivered as open whose end the venue cannot tell: reported, forgotten.
    fn unresolved(&mut self, id: OrderId, symbol: Symbol, why: &str) {
        self.delivery.forget_order(&id);
        self.counters.unresolved_orders += 1;
        self.report(
            ErrorCategory::Rest,
            format!(
                "order {id} ({symbol}) stopped being open while disconnected; its final \
                 state and fills are unknown ({why})"
            ),
        );
    }

    fn finish_if_done(&mut self) {
        let Some(round) = self.round.as_mut() else {
            return;
        };
        if round.started && round.waiting == 0 && round.retries.is_empty() && !round.reported {
            round.reported = true;
            // The window is recovered (or its loss reported): the next disconnect starts
            // a new one.
            if round.fills_from_ms.is_some() {
                self.gap_from_ms = None;
            }
            self.counters.reconciliations += 1;
            self.callbacks.on_reconciled();
        }
    }

    // ------------------------------------------------------------ control

    /// Refused credentials: stop for good.
    fn reject_credentials(&mut self, reason: String, out: &mut Outbox) {
        if self.fatal.is_some() {
            return;
        }
        self.report(ErrorCategory::Authentication, reason.clone());
        self.fatal = Some(reason.clone());
        self.round = None;
        self.lifecycle.on_auth_rejected(reason, out);
    }

    fn on_login(&mut self, login: &LoginResponse<'_>, now: Timestamp, out: &mut Outbox) {
        self.counters.logins += 1;
        if M::MARKET == Market::Futures && self.format.user_id().is_none() {
            match login.uid {
                Some(uid) => self.format.set_user_id(UserId(uid)),
                None => {
                    let reason = "futures.login named no user id; futures private channels \
                                  need it (set GateioHandlerConfig::user_id)"
                        .to_string();
                    self.report(ErrorCategory::Authentication, reason.clone());
                    self.fatal = Some(reason.clone());
                    out.signal(SessionSignal::Fatal(reason));
                    return;
                }
            }
        }
        self.lifecycle.on_authenticated(&self.format, now, out);
        self.maybe_start_reconciliation(now, out);
    }

    fn on_ack(&mut self, ack: &Ack, now: Timestamp, out: &mut Outbox) {
        if ack.event == RequestEvent::Unsubscribe {
            return;
        }
        let by_id = ack
            .id
            .and_then(|id| u64::try_from(id).ok())
            .and_then(|id| self.lifecycle.ack_request(id, out).ok());
        match by_id {
            Some(channels) => self.counters.acks += channels.len() as u64,
            None if self.lifecycle.ack_topic(&ack.channel, out) => self.counters.acks += 1,
            None => self.counters.stale_acks += 1,
        }
        self.maybe_start_reconciliation(now, out);
    }

    fn on_rejected(&mut self, refusal: Refusal<'_>, now: Timestamp, out: &mut Outbox) {
        let reason = format!(
            "{} {} refused: {} ({})",
            refusal.event, refusal.channel, refusal.code, refusal.message
        );
        if refusal.code.is_fatal() {
            self.reject_credentials(reason, out);
            return;
        }
        if refusal.event == RequestEvent::Subscribe {
            let registry = self.lifecycle.subscriptions_mut();
            let rejected = match refusal.id.and_then(|id| u64::try_from(id).ok()) {
                Some(id) => registry.reject_request(id, &reason),
                None => SubscriptionError::UnknownAck { request_id: 0 },
            };
            if !matches!(rejected, SubscriptionError::Rejected { .. }) {
                registry.reject_topics(&[refusal.channel], &reason);
            }
            self.counters.rejected_channels += 1;
            if refusal.code == ErrorCode::ServerError {
                // A server-side error: ask again shortly.
                self.lifecycle.subscriptions_mut().add(refusal.channel);
                self.retry_at = Some(now.monotonic + self.config.rest_retry);
            }
            recheck_ready(&mut self.lifecycle, out);
        }
        self.report(ErrorCategory::SubscriptionRejected, reason);
        self.maybe_start_reconciliation(now, out);
    }

    fn report(&mut self, category: ErrorCategory, message: String) {
        tracing::warn!(exchange = M::PRIVATE_NAME, %message, "private stream");
        self.callbacks.on_error(&StreamError { category, message });
    }

    fn fail(&mut self, message_type: WebSocketMessageType, error: &Error) -> HandlerError {
        self.error_category = ErrorCategory::Parse;
        if error.is_decode() {
            self.counters.decode_errors += 1;
        }
        HandlerError::Decode {
            message_type,
            detail: error.to_string(),
        }
    }

    /// Decodes a private push once and delivers each of its items.
    fn on_private_push(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
    ) -> Result<(), HandlerError> {
        let message = self
            .head
            .parse(frame.payload)
            .map_err(|e| self.fail(message_type, &e))?;
        match message {
            Message::Orders(items) => {
                for item in items {
                    let update = item.map_err(|e| self.fail(message_type, &e))?;
                    self.deliver_order(&update.order);
                }
            }
            Message::UserTrades(items) => {
                for item in items {
                    let fill = item.map_err(|e| self.fail(message_type, &e))?;
                    self.deliver_fill(&fill);
                }
            }
            Message::Balances(items) => {
                for item in items {
                    let mut balance = item.map_err(|e| self.fail(message_type, &e))?.balance;
                    balance.asset = upper_asset(balance.asset);
                    self.delivery
                        .streamed_balance(&balance, &mut self.callbacks);
                }
            }
            Message::Positions(items) => {
                for item in items {
                    let position = item.map_err(|e| self.fail(message_type, &e))?;
                    self.delivery
                        .streamed_position(&position, &mut self.callbacks);
                }
            }
            _ => return Err(HandlerError::Unsupported(message_type)),
        }
        Ok(())
    }
}

impl<H: PrivateWebSocketMixin, M: GateioMarket> ConnectionMixin
    for GateioPrivateWebSocketHandler<H, M>
{
    fn create_connection_context(&self) -> ConnectionContext {
        self.config.context(match M::MARKET {
            Market::Spot => "gateio-spot-private",
            Market::Futures => "gateio-futures-private",
        })
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// Refused or missing credentials stop everything; otherwise the default.
    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        if self.fatal.is_some() {
            return ReconnectDecision::Stop;
        }
        cause.default_decision()
    }
}

/// The plan's composition: authentication is [`GateioAuthMixin`]'s.
impl<H: PrivateWebSocketMixin, M: GateioMarket> AuthMixin for GateioPrivateWebSocketHandler<H, M> {
    fn requires_authentication(&self) -> bool {
        self.auth.requires_authentication()
    }

    fn create_auth_message(&mut self, now: Timestamp) -> Option<OutFrame> {
        self.auth.create_auth_message(now)
    }

    fn auth_timeout(&self) -> Duration {
        self.auth.auth_timeout()
    }
}

impl<H: PrivateWebSocketMixin, M: GateioMarket> BaseMessageHandler
    for GateioPrivateWebSocketHandler<H, M>
{
    /// Off: exchange crates read no clock (architecture invariant). The driver measures
    /// receive-to-handled latency for every message in `ConnectionStats`.
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        M::PRIVATE_NAME
    }

    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> WebSocketMessageType {
        self.head.detect(frame.payload)
    }

    fn route_message(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.last_seen_ms = frame.received_at.unix_millis();
        let routed = self.route_private(message_type, frame, out);
        self.head.clear();
        routed
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.stats
    }

    /// Logged (without the frame: it may carry account data), then reported.
    fn handle_processing_error(
        &mut self,
        message_type: WebSocketMessageType,
        error: &HandlerError,
        raw: &[u8],
    ) {
        tracing::warn!(
            exchange = M::PRIVATE_NAME,
            message_type = message_type.as_str(),
            %error,
            len = raw.len(),
            "message skipped"
        );
        let category = std::mem::replace(&mut self.error_category, ErrorCategory::Parse);
        self.callbacks.on_error(&StreamError {
            category,
            message: error.to_string(),
        });
    }
}

impl<H: PrivateWebSocketMixin, M: GateioMarket> PrivateMessageHandler
    for GateioPrivateWebSocketHandler<H, M>
{
    fn parse_order_update(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.on_private_push(WebSocketMessageType::OrderUpdate, frame)
    }

    fn parse_execution_report(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.on_private_push(WebSocketMessageType::ExecutionReport, frame)
    }

    fn parse_balance_update(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.on_private_push(WebSocketMessageType::BalanceUpdate, frame)
    }

    fn parse_position_update(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.on_private_push(WebSocketMessageType::PositionUpdate, frame)
    }

    /// Login answers, acks, pongs, and errors that name no request.
    fn handle_control(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        let now = frame.received_at;
        if message_type == WebSocketMessageType::Error {
            self.counters.venue_errors += 1;
            self.report(
                ErrorCategory::Venue,
                format!("venue error: {}", shown(frame.payload)),
            );
            return Ok(());
        }
        match self.head.parse(frame.payload) {
            Ok(Message::Login(login)) => self.on_login(&login, now, out),
            Ok(Message::Ack(ack)) => self.on_ack(&ack, now, out),
            Ok(Message::Pong(_)) => self.counters.pongs += 1,
            Ok(_) => {}
            Err(error @ Error::Api { .. }) => {
                if error.is_fatal() {
                    self.reject_credentials(error.to_string(), out);
                } else {
                    self.report(ErrorCategory::Authentication, error.to_string());
                    out.signal(SessionSignal::Reconnect(error.to_string()));
                }
            }
            Err(error) => match Refusal::of(&error) {
                Some(refusal) => self.on_rejected(refusal, now, out),
                None => return Err(self.fail(message_type, &error)),
            },
        }
        Ok(())
    }
}

impl<H: PrivateWebSocketMixin + Send + 'static, M: GateioMarket> Session
    for GateioPrivateWebSocketHandler<H, M>
{
    type Command = ();

    fn connection_context(&self) -> ConnectionContext {
        self.create_connection_context()
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        ConnectionMixin::reconnection_policy(self)
    }

    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        self.should_reconnect(cause)
    }

    fn stream_kind(&self, frame: &InboundFrame<'_>) -> StreamKind {
        message_type(frame.payload).stream_kind()
    }

    /// Logs in or subscribes every channel; reconciliation follows the last ack. With
    /// refused or missing credentials it only raises the reason (the driver acts on
    /// signals only while connected).
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(reason) = &self.fatal {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
            return;
        }
        self.generation += 1;
        self.round = Some(Round::default());
        self.last_seen_ms = now.unix_millis();
        self.lifecycle
            .on_connected(&mut self.auth, &self.format, now, out);
        self.maybe_start_reconciliation(now, out);
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        self.handle_message(frame, out);
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(error) = self.lifecycle.on_tick(&self.format, now, out) {
            self.report(ErrorCategory::Venue, format!("{error}; requested again"));
        }
        if self.retry_at.is_some_and(|at| now.monotonic >= at) {
            self.retry_at = None;
            if self.lifecycle.is_connected() && self.lifecycle.auth().is_authenticated() {
                self.lifecycle
                    .subscriptions_mut()
                    .send_inactive(&self.format, now, out);
            }
        }
        let due: Vec<Call> = match self.round.as_mut() {
            Some(round) if !round.retries.is_empty() => {
                let (due, later): (Vec<_>, Vec<_>) = round
                    .retries
                    .drain(..)
                    .partition(|(_, at)| now.monotonic >= *at);
                round.retries = later;
                due.into_iter().map(|(call, _)| call).collect()
            }
            _ => return,
        };
        for call in due {
            self.request(call, now, out);
        }
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        out.send_text(ping_request(M::MARKET, now.unix_seconds(), None));
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let Some(index) = self.in_flight.iter().position(|(id, _)| *id == response.id) else {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
            return;
        };
        let (_, pending) = self.in_flight.swap_remove(index);
        if pending.generation == self.generation && self.round.is_some() {
            self.on_reconcile_reply(pending, &response, now, out);
        }
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.lifecycle.on_disconnected();
        self.round = None;
        self.retry_at = None;
        self.in_flight.clear();
        // Fills from the last frame on are fetched after the reconnect.
        self.gap_from_ms.get_or_insert(self.last_seen_ms);
    }
}

/// A REST call in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    call: Call,
    generation: u64,
    /// Deliveries counted when it was sent.
    seq: u64,
    /// Wall-clock ms when it was sent.
    sent_ms: u64,
}

/// The reconciliation of one connection.
#[derive(Debug, Default)]
struct Round {
    started: bool,
    waiting: usize,
    retries: Vec<(Call, Instant)>,
    reported: bool,
    /// The disconnected window's start, when its fills and finished orders are being
    /// fetched.
    fills_from_ms: Option<u64>,
}

/// The private channels of `market`.
fn channels(market: Market) -> &'static [Channel] {
    match market {
        Market::Spot => &[
            Channel::SpotOrders,
            Channel::SpotUserTrades,
            Channel::SpotBalances,
        ],
        Market::Futures => &[
            Channel::FuturesOrders,
            Channel::FuturesUserTrades,
            Channel::FuturesPositions,
            Channel::FuturesBalances,
        ],
    }
}

/// Fills this much older than the window's start are still taken (the ledger drops the
/// ones already delivered): venue and local clocks differ.
const FILL_WINDOW_SLACK_MS: u64 = 2_000;
