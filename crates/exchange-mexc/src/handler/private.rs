//! The user-data session: listen key, private pushes, REST reconciliation.

use std::cell::Cell;
use std::time::Instant;

use market_types::{Fill, OrderId, PrivateEvent, Symbol};
use ws_handlers::{
    BaseMessageHandler, CredentialsRejected, DeliveryCounts, HandlerError, HandlerStats,
    PrivateDelivery, PrivateLedger, PrivateMessageHandler, Reconciler, RetrySchedule,
    WebSocketMessageType,
};
use ws_mixins::{
    AuthMixin, ConnectionMixin, ErrorCategory, PrivateWebSocketMixin, StreamError,
    SubscriptionRegistry,
};
use ws_session::{
    ConnectionContext, DisconnectCause, DisconnectKind, InboundFrame, Outbox, ReconnectDecision,
    ReconnectionPolicy, RestRequest, RestRequestId, RestResponse, Session, SessionSignal,
    StreamKind, Timestamp,
};

use crate::auth::RestSigner;
use crate::channel::Channel;
use crate::error::Error;
use crate::event::private_event;
use crate::rest::{check_reply, parse_listen_key};
use crate::subscription::ping;
use crate::wire::decode_push;

use super::config::MexcHandlerConfig;
use super::format::{AuthView, ControlOutcome, Subscriptions, decode_error, message_type};
use super::reconcile::MexcReconcile;

/// A MEXC spot user-data connection: orders, fills and balances of one account.
///
/// - **Listen key.** Before connecting ([`Session::ready_to_connect`]) it creates a key
///   over signed REST (`POST /api/v3/userDataStream`), or, after a disconnect or a failed
///   attempt, extends the one it has (`PUT`) to check it is still valid; a key the venue
///   no longer knows is replaced. While connected the key is extended every
///   [`MexcHandlerConfig::listen_key_keep_alive`]; a keep-alive refused because the key is
///   gone drops it and asks for a reconnect, which creates a new one. Closing deletes it
///   (the driver calls `on_close` only while connected; a key left behind by a close
///   during a reconnect expires after 60 minutes).
/// - **Credentials.** A REST answer that rejects them (MEXC codes 700001, 700002, 700006,
///   700007, 602, 10072) stops the connection with `SessionSignal::AuthenticationFailed`:
///   no retry loop.
/// - **Stream.** `spot@private.{orders,deals,account}.v3.api.pb`, each decoded once with
///   [`private_event`] and delivered through a [`PrivateLedger`], so the user sees every
///   change once.
/// - **Reconciliation.** Once every channel is acknowledged after a (re)connect:
///   `GET /api/v3/account` and `GET /api/v3/openOrders?symbol=..` for each configured
///   symbol. What changed while disconnected is emitted (deduplicated by the ledger; a REST
///   balance is not emitted for an asset the stream updated after the request was sent),
///   then `H::on_reconciled`. An order the handler saw open that is missing from
///   `openOrders` finished while disconnected: `GET /api/v3/order` tells its final state.
///   After a disconnect, for each symbol, `GET /api/v3/allOrders` from the last frame
///   received (less a clock slack) delivers the orders opened meanwhile, including those
///   both opened and closed, and `GET /api/v3/myTrades` from the last fill seen (or the
///   disconnect, whichever is earlier) replays the fills, page by page; all of it goes
///   through the ledger before `H::on_reconciled`. An order the venue no longer knows
///   (`-2013`) is reported to `H::on_error` (category `Rest`), counted in
///   [`PrivateCounters::unresolved_orders`] and forgotten; a history query the venue
///   refuses for good is reported with its window and counted in
///   [`PrivateCounters::fill_gaps`] / [`PrivateCounters::order_gaps`].
#[derive(Debug)]
pub struct MexcPrivateWebSocketHandler<H: PrivateWebSocketMixin> {
    config: MexcHandlerConfig,
    signer: Option<RestSigner>,
    subscriptions: Subscriptions,
    key: ListenKey,
    /// Rejected credentials, for good.
    fatal: Option<String>,
    /// Listen-key calls in flight.
    in_flight: Vec<(RestRequestId, Purpose)>,
    /// Ledger, open orders and delivery sequence: the one way to the user's callbacks.
    delivery: PrivateDelivery,
    /// The REST rounds after every (re)connect; it also numbers the listen-key calls.
    reconciler: Reconciler<MexcReconcile>,
    /// A connection attempt failed: check the key before the next one. Set from
    /// `should_reconnect`, which only gets `&self`.
    check_key: Cell<bool>,
    callbacks: H,
    stats: HandlerStats,
    counters: PrivateCounters,
    error_category: ErrorCategory,
}

/// Counters of a private handler beyond [`HandlerStats`].
///
/// What was delivered (and dropped as already delivered) is in
/// [`MexcPrivateWebSocketHandler::delivery_counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrivateCounters {
    /// Listen keys created.
    pub listen_keys_created: u64,
    /// Listen keys extended while connected (`PUT`), successfully.
    pub keep_alives: u64,
    /// Keep-alives that failed.
    pub keep_alive_failures: u64,
    /// Listen keys checked (extended) before a reconnect.
    pub listen_keys_verified: u64,
    /// Listen keys found gone and replaced.
    pub listen_keys_replaced: u64,
    /// Listen keys deleted on close.
    pub listen_keys_deleted: u64,
    /// Completed reconciliations.
    pub reconciliations: u64,
    /// Orders delivered from reconciliation.
    pub reconciled_orders: u64,
    /// Balances delivered from reconciliation.
    pub reconciled_balances: u64,
    /// Orders that left the open orders while disconnected and that the venue no
    /// longer knows: final state unknown.
    pub unresolved_orders: u64,
    /// Fills of a disconnected window delivered from `myTrades`.
    pub recovered_fills: u64,
    /// Symbols whose fills of a disconnected window could not be fetched (reported).
    pub fill_gaps: u64,
    /// Symbols whose orders of a disconnected window could not be listed (reported).
    pub order_gaps: u64,
    /// REST calls that failed (each reported to `on_error`).
    pub rest_errors: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
    /// Subscription acks that confirmed a channel.
    pub acks: u64,
    /// Channels the venue refused.
    pub rejected_channels: u64,
    /// Pongs received.
    pub pongs: u64,
}

impl<H: PrivateWebSocketMixin> MexcPrivateWebSocketHandler<H> {
    /// A user-data handler for the account of `config.mexc.credentials`, reconciling open
    /// orders of `symbols` after every (re)connect. Without credentials it stops at once
    /// with `AuthenticationFailed`.
    pub fn new(
        config: MexcHandlerConfig,
        symbols: impl IntoIterator<Item = Symbol>,
        callbacks: H,
    ) -> Self {
        let signer = config.mexc.credentials.clone().map(|credentials| {
            let signer = RestSigner::new(config.mexc.endpoints.rest_url.clone(), credentials);
            match config.mexc.recv_window_ms {
                Some(window) => signer.with_recv_window(window),
                None => signer,
            }
        });
        let mut subscriptions = Subscriptions::new(config.ack_timeout);
        for channel in PRIVATE_CHANNELS {
            subscriptions.add(channel);
        }
        let mut unique: Vec<Symbol> = Vec::new();
        for symbol in symbols {
            if !unique.contains(&symbol) {
                unique.push(symbol);
            }
        }
        Self {
            reconciler: Reconciler::new(
                MexcReconcile::new(signer.clone(), unique),
                RetrySchedule {
                    delay: config.rest_retry,
                },
            ),
            signer,
            subscriptions,
            key: ListenKey::default(),
            fatal: None,
            in_flight: Vec::new(),
            delivery: PrivateDelivery::new(),
            check_key: Cell::new(false),
            callbacks,
            stats: HandlerStats::default(),
            counters: PrivateCounters::default(),
            error_category: ErrorCategory::Parse,
            config,
        }
    }

    /// Whether a listen key is held (the key itself is a credential and not shown).
    pub fn has_listen_key(&self) -> bool {
        self.key.key.is_some()
    }

    /// Why the handler stopped for good, if the venue rejected the credentials.
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

    /// What has been delivered (exactly-once bookkeeping).
    pub fn ledger(&self) -> &PrivateLedger {
        self.delivery.ledger()
    }

    /// Orders, fills and balances delivered, and repeats not delivered.
    pub fn delivery_counts(&self) -> DeliveryCounts {
        self.delivery.counts()
    }

    /// The private channels and their subscription state.
    pub fn subscriptions(&self) -> &SubscriptionRegistry<Channel> {
        self.subscriptions.registry()
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
            unresolved_orders: r.unresolved_orders,
            recovered_fills: r.recovered_fills,
            fill_gaps: r.fill_gaps,
            order_gaps: r.order_gaps,
            rest_errors: self.counters.rest_errors + r.rest_errors,
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
    pub fn config(&self) -> &MexcHandlerConfig {
        &self.config
    }

    // ------------------------------------------------------------ listen key

    fn send(
        &mut self,
        purpose: Purpose,
        out: &mut Outbox,
        build: impl FnOnce(&RestSigner, RestRequestId) -> RestRequest,
    ) -> Option<RestRequestId> {
        let signer = self.signer.as_ref()?;
        let id = self.reconciler.next_request_id();
        out.rest(build(signer, id));
        self.in_flight.push((id, purpose));
        Some(id)
    }

    fn on_key_reply(
        &mut self,
        purpose: Purpose,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
    ) {
        let reply = check_reply(USER_DATA_STREAM, &response.result);
        match (purpose, reply) {
            (Purpose::Create, Ok(body)) => match parse_listen_key(body) {
                Ok(key) => {
                    self.counters.listen_keys_created += 1;
                    self.key.key = Some(key);
                    self.key.state = KeyState::Ready;
                    self.key.keep_alive_at =
                        Some(now.monotonic + self.config.listen_key_keep_alive);
                }
                Err(error) => self.key_unavailable(&error),
            },
            (Purpose::Verify, Ok(_)) => {
                self.counters.listen_keys_verified += 1;
                self.key.state = KeyState::Ready;
                self.key.keep_alive_at = Some(now.monotonic + self.config.listen_key_keep_alive);
            }
            (Purpose::KeepAlive, Ok(_)) => {
                self.key.keep_alive_in_flight = false;
                self.counters.keep_alives += 1;
                self.key.keep_alive_at = Some(now.monotonic + self.config.listen_key_keep_alive);
            }
            (Purpose::Delete, Ok(_)) => self.counters.listen_keys_deleted += 1,
            (purpose, Err(error)) => self.on_key_error(purpose, &error, now, out),
        }
    }

    fn on_key_error(&mut self, purpose: Purpose, error: &Error, now: Timestamp, out: &mut Outbox) {
        self.counters.rest_errors += 1;
        if error.is_fatal() {
            self.reject_credentials(error.to_string(), out);
            return;
        }
        self.report(ErrorCategory::Rest, format!("listen key: {error}"));
        match purpose {
            Purpose::Create => self.key_unavailable(error),
            Purpose::Verify if error.is_retryable() => {
                // Cannot tell: use the key; if the venue refuses it, the next attempt
                // checks it again.
                self.key.state = KeyState::Ready;
            }
            Purpose::Verify => self.drop_key(),
            Purpose::KeepAlive if error.is_retryable() => {
                self.key.keep_alive_in_flight = false;
                self.counters.keep_alive_failures += 1;
                self.key.keep_alive_at = Some(now.monotonic + self.config.rest_retry);
            }
            Purpose::KeepAlive => {
                // The venue no longer knows the key: the stream on it is dead or about to
                // be. A new connection gets a new key.
                self.counters.keep_alive_failures += 1;
                self.drop_key();
                if self.subscriptions.is_connected() {
                    out.signal(SessionSignal::Reconnect(format!(
                        "listen key no longer valid: {error}"
                    )));
                }
            }
            _ => {}
        }
    }

    fn key_unavailable(&mut self, error: &Error) {
        self.key.key = None;
        self.key.state = KeyState::Unavailable(error.to_string());
    }

    fn drop_key(&mut self) {
        self.counters.listen_keys_replaced += 1;
        self.key = ListenKey::default();
    }

    /// Rejected credentials: stop for good. While connected the signal ends the
    /// connection; before connecting the driver ignores signals, so the handler connects
    /// and raises it in `on_connected`.
    fn reject_credentials(&mut self, reason: String, out: &mut Outbox) {
        self.callbacks.on_error(&StreamError {
            category: ErrorCategory::Authentication,
            message: reason.clone(),
        });
        if self.subscriptions.is_connected() {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
        }
        self.fatal = Some(reason);
        self.key = ListenKey::default();
        self.reconciler.abandon();
    }

    // ------------------------------------------------------------ delivery

    fn deliver(&mut self, event: PrivateEvent) {
        match event {
            PrivateEvent::Order(order) => {
                self.delivery.order(&order, &mut self.callbacks);
            }
            PrivateEvent::Fill(fill) => {
                self.deliver_fill(&fill);
            }
            PrivateEvent::Balance(balance) => {
                self.delivery
                    .streamed_balance(&balance, &mut self.callbacks);
            }
            // Spot has no positions.
            PrivateEvent::Position(_) => {}
        }
    }

    fn deliver_fill(&mut self, fill: &Fill) {
        if self.delivery.fill(fill, &mut self.callbacks) {
            self.reconciler.venue_mut().note_fill(fill.time_ms);
        }
    }

    fn on_private_push(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
    ) -> Result<(), HandlerError> {
        let event = decode_push(frame.payload)
            .and_then(|push| private_event(&push.header, push.raw))
            .map_err(|error| {
                self.counters.decode_errors += 1;
                self.error_category = ErrorCategory::Parse;
                decode_error(message_type, &error)
            })?;
        self.deliver(event);
        Ok(())
    }

    fn report(&mut self, category: ErrorCategory, message: String) {
        tracing::warn!(exchange = "mexc_spot", %message, "private stream");
        self.callbacks.on_error(&StreamError { category, message });
    }

    fn apply_control(&mut self, outcome: ControlOutcome, now: Timestamp, out: &mut Outbox) {
        match outcome {
            ControlOutcome::Pong => self.counters.pongs += 1,
            ControlOutcome::Stale => {}
            ControlOutcome::Confirmed(channels) => self.counters.acks += channels.len() as u64,
            ControlOutcome::Rejected { channels, error } => {
                self.counters.rejected_channels += channels.len() as u64;
                self.callbacks.on_error(&error);
            }
            ControlOutcome::VenueError(error) => self.callbacks.on_error(&error),
        }
        if self.subscriptions.all_answered() {
            self.reconciler
                .start(now, &self.delivery, &mut self.callbacks, out);
        }
    }
}

impl<H: PrivateWebSocketMixin> ConnectionMixin for MexcPrivateWebSocketHandler<H> {
    /// `Endpoints::private_context(key)` with the configured overrides. Without a usable
    /// key (rejected credentials, or the key could not be created) it is the market URL:
    /// that connection only raises the reason (see [`Session::on_connected`]).
    fn create_connection_context(&self) -> ConnectionContext {
        let endpoints = &self.config.mexc.endpoints;
        let context = match (&self.fatal, &self.key.key) {
            (None, Some(key)) => endpoints.private_context(key),
            _ => {
                let mut context = endpoints.public_context();
                context.label = "mexc-spot-private".into();
                context
            }
        };
        self.config.context.apply(context)
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// Rejected credentials stop everything. A failed connection attempt may mean the
    /// listen key is no longer valid: the key is checked again before the next attempt,
    /// and a handshake refused with 401/403 is retried (with a fresh key if need be; bad
    /// credentials are caught by that REST call and stop for good). A 1005 is retried;
    /// otherwise the default.
    fn should_reconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        if self.fatal.is_some() {
            return ReconnectDecision::Stop;
        }
        if cause.kind() == DisconnectKind::Connect {
            // The driver reports failed attempts only here (not to `on_disconnected`).
            self.check_key.set(true);
        }
        match cause {
            _ if cause.is_no_status() => ReconnectDecision::Retry,
            DisconnectCause::HandshakeRejected {
                status: 401 | 403,
                retry_after: None,
            } => ReconnectDecision::Retry,
            _ => cause.default_decision(),
        }
    }
}

/// The listen key in the URL is the authentication: nothing to send.
impl<H: PrivateWebSocketMixin> AuthMixin for MexcPrivateWebSocketHandler<H> {}

impl<H: PrivateWebSocketMixin> BaseMessageHandler for MexcPrivateWebSocketHandler<H> {
    /// Off: exchange crates read no clock (architecture invariant). The driver measures
    /// receive-to-handled latency for every message in `ConnectionStats`.
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        "mexc_spot_private"
    }

    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> WebSocketMessageType {
        message_type(frame.kind, frame.payload)
    }

    fn route_message(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.reconciler.saw_frame(frame.received_at.unix_millis());
        if message_type == WebSocketMessageType::Unknown
            && frame.kind == ws_session::FrameKind::Binary
            && let Err(error) = super::format::body_kind(frame.payload)
        {
            self.counters.decode_errors += 1;
            self.error_category = ErrorCategory::Parse;
            return Err(decode_error(message_type, &error));
        }
        self.route_private(message_type, frame, out)
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.stats
    }

    fn handle_processing_error(
        &mut self,
        message_type: WebSocketMessageType,
        error: &HandlerError,
        raw: &[u8],
    ) {
        tracing::warn!(
            exchange = self.exchange_name(),
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

impl<H: PrivateWebSocketMixin> PrivateMessageHandler for MexcPrivateWebSocketHandler<H> {
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

    fn handle_control(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        let outcome = self
            .subscriptions
            .on_control(frame.payload, out)
            .map_err(|error| {
                self.counters.decode_errors += 1;
                self.error_category = ErrorCategory::Parse;
                decode_error(message_type, &error)
            })?;
        self.apply_control(outcome, frame.received_at, out);
        Ok(())
    }
}

impl<H: PrivateWebSocketMixin + Send + 'static> Session for MexcPrivateWebSocketHandler<H> {
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
        crate::wire::stream_kind(frame.kind, frame.payload)
    }

    /// Creates a listen key when there is none, or checks the one held after a
    /// disconnect. With rejected credentials or no key to be had it lets the driver
    /// connect, so that `on_connected` can stop or back off (the driver acts on signals
    /// only while connected).
    fn ready_to_connect(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        if self.fatal.is_some() {
            return true;
        }
        if self.signer.is_none() {
            let reason = "no API credentials configured for the user-data stream".to_string();
            self.callbacks.on_error(&StreamError {
                category: ErrorCategory::Authentication,
                message: reason.clone(),
            });
            self.fatal = Some(reason);
            return true;
        }
        if self.check_key.replace(false) {
            match self.key.state {
                KeyState::Ready => self.key.state = KeyState::Unverified,
                KeyState::Unavailable(_) => self.key.state = KeyState::Missing,
                _ => {}
            }
        }
        match self.key.state {
            KeyState::Ready | KeyState::Unavailable(_) => true,
            KeyState::Creating | KeyState::Verifying => false,
            KeyState::Missing => {
                self.key.state = KeyState::Creating;
                self.send(Purpose::Create, out, |signer, id| {
                    signer.create_listen_key(id, now)
                });
                false
            }
            KeyState::Unverified => {
                let Some(key) = self.key.key.clone() else {
                    self.key.state = KeyState::Missing;
                    return false;
                };
                self.key.state = KeyState::Verifying;
                self.send(Purpose::Verify, out, |signer, id| {
                    signer.keep_alive_listen_key(&key, id, now)
                });
                false
            }
        }
    }

    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(reason) = &self.fatal {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
            return;
        }
        if let KeyState::Unavailable(reason) = &self.key.state {
            out.signal(SessionSignal::Reconnect(format!("no listen key: {reason}")));
            return;
        }
        if self.subscriptions.is_connected() {
            // A make-before-break rotation: subscribe on the new socket too; the ledger
            // absorbs what both sockets deliver during the overlap.
            self.subscriptions.on_disconnected();
        }
        self.reconciler.on_connected(now);
        if self.key.keep_alive_at.is_none() {
            self.key.keep_alive_at = Some(now.monotonic + self.config.listen_key_keep_alive);
        }
        let auth = AuthView::capture(self, now);
        self.subscriptions.on_connected(auth, now, out);
    }

    fn on_frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        self.handle_message(frame, out);
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        if !self.subscriptions.is_connected() {
            return;
        }
        if let Some(error) = self.subscriptions.on_tick(now, out) {
            self.callbacks.on_error(&error);
        }
        let due = self.key.state == KeyState::Ready
            && !self.key.keep_alive_in_flight
            && self.key.keep_alive_at.is_some_and(|at| now.monotonic >= at);
        if due && let Some(key) = self.key.key.clone() {
            self.key.keep_alive_in_flight = true;
            self.send(Purpose::KeepAlive, out, |signer, id| {
                signer.keep_alive_listen_key(&key, id, now)
            });
        }
        self.reconciler.on_tick(now, &self.delivery, out);
    }

    fn on_app_ping(&mut self, _now: Timestamp, out: &mut Outbox) {
        out.send(ping());
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        if self.reconciler.owns(response.id) {
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
            return;
        }
        let Some(index) = self.in_flight.iter().position(|(id, _)| *id == response.id) else {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
            return;
        };
        let (_, purpose) = self.in_flight.swap_remove(index);
        self.on_key_reply(purpose, &response, now, out);
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.subscriptions.on_disconnected();
        // What happened from the last frame on is recovered after the reconnect.
        self.reconciler.on_disconnected();
        self.key.keep_alive_in_flight = false;
        self.key.state = match std::mem::replace(&mut self.key.state, KeyState::Missing) {
            KeyState::Ready if self.key.key.is_some() => KeyState::Unverified,
            KeyState::Unverified if self.key.key.is_some() => KeyState::Unverified,
            _ => KeyState::Missing,
        };
    }

    /// Deletes the listen key (`DELETE /api/v3/userDataStream`).
    fn on_close(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(key) = self.key.key.take() {
            self.send(Purpose::Delete, out, |signer, id| {
                signer.delete_listen_key(&key, id, now)
            });
        }
        self.key.state = KeyState::Missing;
    }
}

/// The listen key and its timers.
#[derive(Debug, Default)]
struct ListenKey {
    key: Option<String>,
    state: KeyState,
    keep_alive_at: Option<Instant>,
    keep_alive_in_flight: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum KeyState {
    /// None held: create one before connecting.
    #[default]
    Missing,
    Creating,
    /// Held from an earlier connection: extend it (which checks it) before reusing it.
    Unverified,
    Verifying,
    /// Usable.
    Ready,
    /// Could not be created for a reason worth retrying.
    Unavailable(String),
}

/// What a REST request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Create,
    Verify,
    KeepAlive,
    Delete,
}

const PRIVATE_CHANNELS: [Channel; 3] = [
    Channel::PrivateOrders,
    Channel::PrivateDeals,
    Channel::PrivateAccount,
];
const USER_DATA_STREAM: &str = "/api/v3/userDataStream";
