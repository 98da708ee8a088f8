//! The account session: the plan's `GateioSpotPrivateWebSocketHandler` (and its futures
//! twin) with `GateioAuthMixin`, exactly-once delivery and REST reconciliation.

mod auth;
mod clock;
mod session;
mod user_id;

pub use auth::GateioAuthMixin;

use std::marker::PhantomData;

use market_types::{OrderId, Symbol};
use ws_handlers::{
    DeliveryCounts, Driven, HandlerError, HandlerStats, Lifecycle, NoBooks, PrivateDelivery,
    PrivateLedger, Reconciler, RetrySchedule, SharedParts, VenueClock, WebSocketMessageType,
};
use ws_mixins::{
    ErrorCategory, PrivateWebSocketMixin, StreamError, SubscriptionError, SubscriptionRegistry,
};
use ws_session::{InboundFrame, Outbox, SessionSignal, Timestamp};

use crate::channel::{Channel, Market, RequestEvent, UserId};
use crate::error::{Error, ErrorCode};
use crate::wire::{Ack, LoginResponse, Message};

use super::config::GateioHandlerConfig;
use super::format::{HandlerHead, PrivateFormat, Refusal, recheck_ready};
use super::market::{FuturesMarket, GateioMarket, SpotMarket};
use super::reconcile::{GateioReconcile, upper_asset};

/// A Gate account handler: its [`GateioPrivateParts`] run by the shared `Session` glue.
/// Built with `Driven::new(GateioPrivateParts::new(config, callbacks))`.
pub type GateioPrivateWebSocketHandler<H, M> = Driven<GateioPrivateParts<H, M>>;

/// The plan's `GateioSpotPrivateWebSocketHandler`.
pub type GateioSpotPrivateWebSocketHandler<H> = GateioPrivateWebSocketHandler<H, SpotMarket>;

/// The futures twin of the plan's `GateioSpotPrivateWebSocketHandler`.
pub type GateioFuturesPrivateWebSocketHandler<H> = GateioPrivateWebSocketHandler<H, FuturesMarket>;

/// The parts of a Gate account connection (spot or USDT futures, by `M`): orders, fills, balances and
/// (futures) positions, composed as the plan shows from `ConnectionMixin`,
/// [`GateioAuthMixin`], a `SubscriptionMixin` rendering signed per-channel requests,
/// `BaseMessageHandler` + `PrivateMessageHandler` routing, and the `VenueSession` hooks
/// that `ws_handlers::Driven` turns into a `ws_session::Session`.
///
/// - **Channels.** Spot: `spot.orders`, `spot.usertrades`, `spot.balances`; futures:
///   `futures.orders`, `futures.usertrades`, `futures.positions`, `futures.balances`
///   (with the user id: configured, else learnt over REST from `/futures/usdt/accounts`,
///   else from `futures.login`). Order and trade
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
pub struct GateioPrivateParts<H: PrivateWebSocketMixin, M: GateioMarket> {
    config: GateioHandlerConfig,
    auth: GateioAuthMixin,
    lifecycle: Lifecycle<Channel>,
    format: PrivateFormat,
    /// Ledger, open orders and delivery sequence: the one way to the user's callbacks.
    delivery: PrivateDelivery,
    /// The REST rounds after every (re)connect.
    reconciler: Reconciler<GateioReconcile<M>>,
    /// The venue's clock, which every signature of this handler uses.
    clock: VenueClock,
    /// Learning the futures user id over REST when it is not configured.
    user_lookup: user_id::UserIdLookup,
    fatal: Option<String>,
    /// The callbacks and the template's counters.
    shared: SharedParts<H>,
    /// The envelope `detect_message_type` read, for the parser of the same frame.
    head: HandlerHead,
    counters: PrivateCounters,
    market: PhantomData<fn() -> M>,
}

/// Counters of a private handler beyond [`HandlerStats`].
///
/// What was delivered (and dropped as already delivered) is in
/// [`GateioPrivateParts::delivery_counts`].
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
    /// Reconciliation calls given up (refused, or failing after every retry) and calls
    /// skipped (symbols not covered): each reported to `on_reconcile_failure`.
    pub reconcile_failures: u64,
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

impl<H: PrivateWebSocketMixin, M: GateioMarket> GateioPrivateParts<H, M> {
    /// An account handler for `config.credentials`. Futures handlers without
    /// `config.user_id` learn it over REST (`GET /futures/usdt/accounts`), or failing
    /// that by logging in.
    pub fn new(config: GateioHandlerConfig, callbacks: H) -> Self {
        let login = config.login;
        let clock = clock::venue_clock(&config);
        let auth = GateioAuthMixin::new(
            M::MARKET,
            config.credentials.clone(),
            login,
            config.auth_timeout,
        )
        .with_clock(clock.offset());
        let mut lifecycle = Lifecycle::new(config.ack_timeout);
        for channel in channels(M::MARKET) {
            lifecycle.subscriptions_mut().add(*channel);
        }
        let format = PrivateFormat::new(
            M::MARKET,
            config.credentials.clone(),
            config.private_symbols.clone(),
            config.user_id,
        )
        .with_clock(clock.offset());
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
                GateioReconcile::new(&config).with_clock(clock.offset()),
                RetrySchedule {
                    delay: config.rest_retry,
                },
            ),
            auth,
            clock,
            user_lookup: user_id::UserIdLookup::default(),
            lifecycle,
            format,
            delivery: PrivateDelivery::new(),
            fatal,
            shared: SharedParts::new(callbacks, NoBooks),
            head: HandlerHead::default(),
            counters: PrivateCounters::default(),
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
        &self.shared.stats
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
            reconcile_failures: r.given_up + r.not_covered,
            unresolved_orders: r.unresolved_orders,
            rest_errors: r.rest_errors,
            ..self.counters
        }
    }

    /// The user's callbacks.
    pub fn callbacks(&self) -> &H {
        &self.shared.callbacks
    }

    /// The user's callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut H {
        &mut self.shared.callbacks
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
            .start(now, &self.delivery, &mut self.shared.callbacks, out);
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
            if !self.retry_with_measured_clock(&reason, out) {
                self.reject_credentials(reason, out);
            }
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
                self.lifecycle
                    .retry_later(&[refusal.channel], now.monotonic + self.config.rest_retry);
            }
            recheck_ready(&mut self.lifecycle, out);
        }
        self.report(ErrorCategory::SubscriptionRejected, reason);
        self.maybe_start_reconciliation(now, out);
    }

    fn report(&mut self, category: ErrorCategory, message: String) {
        tracing::warn!(exchange = M::PRIVATE_NAME, %message, "private stream");
        self.shared
            .callbacks
            .on_error(&StreamError { category, message });
    }

    fn fail(&mut self, message_type: WebSocketMessageType, error: &Error) -> HandlerError {
        if error.is_decode() {
            self.counters.decode_errors += 1;
        }
        HandlerError::Decode {
            message_type,
            // Account data: the frame's bytes stay out of the report.
            detail: error.clone().without_snippet().to_string(),
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
                    self.delivery
                        .order(&update.order, &mut self.shared.callbacks);
                }
            }
            Message::UserTrades(items) => {
                for item in items {
                    let fill = item.map_err(|e| self.fail(message_type, &e))?;
                    self.delivery.fill(&fill, &mut self.shared.callbacks);
                }
            }
            Message::Balances(items) => {
                for item in items {
                    let mut balance = item.map_err(|e| self.fail(message_type, &e))?.balance;
                    balance.asset = upper_asset(balance.asset);
                    self.delivery
                        .streamed_balance(&balance, &mut self.shared.callbacks);
                }
            }
            Message::Positions(items) => {
                for item in items {
                    let position = item.map_err(|e| self.fail(message_type, &e))?;
                    self.delivery
                        .streamed_position(&position, &mut self.shared.callbacks);
                }
            }
            _ => return Err(HandlerError::Unsupported(message_type)),
        }
        Ok(())
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
