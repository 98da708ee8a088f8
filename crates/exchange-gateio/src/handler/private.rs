//! The account session: the plan's `GateioSpotPrivateWebSocketHandler` (and its futures
//! twin) with `GateioAuthMixin`, exactly-once delivery and REST reconciliation.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use market_types::{OrderId, Symbol};
use ws_handlers::{
    BaseMessageHandler, CredentialsRejected, DeliveryCounts, HandlerError, HandlerStats, Lifecycle,
    PrivateDelivery, PrivateLedger, PrivateMessageHandler, Reconciler, RetrySchedule,
    WebSocketMessageType,
};
use ws_mixins::{
    AuthMixin, ConnectionMixin, ErrorCategory, PrivateWebSocketMixin, StreamError,
    SubscriptionError, SubscriptionRegistry,
};
use ws_session::{
    ConnectionContext, DisconnectCause, InboundFrame, OutFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestResponse, Session, SessionSignal, StreamKind, Timestamp,
};

use crate::auth::login_request;
use crate::channel::{Channel, Market, RequestEvent, UserId, ping_request};
use crate::config::Credentials;
use crate::error::{Error, ErrorCode};
use crate::wire::{Ack, LoginResponse, Message};

use super::config::{GateioHandlerConfig, LoginMode};
use super::format::{HandlerHead, PrivateFormat, Refusal, message_type, recheck_ready, shown};
use super::market::{FuturesMarket, GateioMarket, SpotMarket};
use super::reconcile::{GateioReconcile, upper_asset};

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
    /// Ledger, open orders and delivery sequence: the one way to the user's callbacks.
    delivery: PrivateDelivery,
    /// The REST rounds after every (re)connect.
    reconciler: Reconciler<GateioReconcile<M>>,
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
            reconciler: Reconciler::new(
                GateioReconcile::new(&config),
                RetrySchedule {
                    delay: config.rest_retry,
                },
            ),
            auth,
            lifecycle,
            format,
            delivery: PrivateDelivery::new(),
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
        self.reconciler.is_reconciled()
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
        let r = self.reconciler.counters();
        PrivateCounters {
            reconciliations: r.reconciliations,
            reconciled_orders: r.reconciled_orders,
            reconciled_balances: r.reconciled_balances,
            reconciled_positions: r.reconciled_positions,
            recovered_fills: r.recovered_fills,
            fill_gaps: r.fill_gaps,
            order_gaps: r.order_gaps,
            unresolved_orders: r.unresolved_orders,
            rest_errors: r.rest_errors,
            ..self.counters
        }
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

    // ------------------------------------------------------------ reconciliation

    fn maybe_start_reconciliation(&mut self, now: Timestamp, out: &mut Outbox) {
        let ready = self.lifecycle.is_connected()
            && self.lifecycle.auth().is_authenticated()
            && self.lifecycle.subscriptions().all_confirmed();
        if !ready || self.fatal.is_some() {
            return;
        }
        self.reconciler
            .start(now, &self.delivery, &mut self.callbacks, out);
    }

    // ------------------------------------------------------------ control

    /// Refused credentials: stop for good.
    fn reject_credentials(&mut self, reason: String, out: &mut Outbox) {
        if self.fatal.is_some() {
            return;
        }
        self.report(ErrorCategory::Authentication, reason.clone());
        self.fatal = Some(reason.clone());
        self.reconciler.abandon();
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
                    self.delivery.order(&update.order, &mut self.callbacks);
                }
            }
            Message::UserTrades(items) => {
                for item in items {
                    let fill = item.map_err(|e| self.fail(message_type, &e))?;
                    self.delivery.fill(&fill, &mut self.callbacks);
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
        self.reconciler.saw_frame(frame.received_at.unix_millis());
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
        self.reconciler.on_connected(now);
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
        self.reconciler.on_tick(now, &self.delivery, out);
    }

    fn on_app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        out.send_text(ping_request(M::MARKET, now.unix_seconds(), None));
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let answered = self.reconciler.on_rest_response(
            &response,
            now,
            &mut self.delivery,
            &mut self.callbacks,
            out,
        );
        if let Err(CredentialsRejected(reason)) = answered {
            self.reject_credentials(reason, out);
        }
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.lifecycle.on_disconnected();
        self.retry_at = None;
        // What happened from the last frame on is fetched after the reconnect.
        self.reconciler.on_disconnected();
    }
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
