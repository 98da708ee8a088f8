//! The user-data session: listen key, private pushes, REST reconciliation.

use std::cell::Cell;
use std::time::Instant;

use market_types::{Balance, Fill, Order, OrderId, PrivateEvent, Symbol};
use ws_handlers::{
    BaseMessageHandler, DeliveryCounts, HandlerError, HandlerStats, PrivateDelivery, PrivateLedger,
    PrivateMessageHandler, RestOrderView, WebSocketMessageType,
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
use super::reconcile::{
    ALL_ORDERS, HistoryRequests, MY_TRADES, ORDER, ORDERS_PAGE, TRADES_PAGE, parse_account,
    parse_order, parse_order_page, parse_orders, parse_trades,
};

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
    history: Option<HistoryRequests>,
    symbols: Vec<Symbol>,
    subscriptions: Subscriptions,
    key: ListenKey,
    /// Rejected credentials, for good.
    fatal: Option<String>,
    in_flight: Vec<(RestRequestId, Purpose)>,
    next_request_id: u64,
    /// One per connection; reconciliation answers of an older one are ignored.
    generation: u64,
    round: Option<Round>,
    /// Ledger, open orders and delivery sequence: the one way to the user's callbacks.
    delivery: PrivateDelivery,
    /// Wall-clock ms of the last frame (or connect) on the current connection.
    last_seen_ms: u64,
    /// Venue time of the latest fill delivered.
    last_fill_ms: Option<u64>,
    /// Start of a disconnected window still to be recovered.
    gap_from_ms: Option<u64>,
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
            history: HistoryRequests::new(&config.mexc, signer.as_ref()),
            signer,
            symbols: unique,
            subscriptions,
            key: ListenKey::default(),
            fatal: None,
            in_flight: Vec::new(),
            next_request_id: 1,
            generation: 0,
            round: None,
            delivery: PrivateDelivery::new(),
            last_seen_ms: 0,
            last_fill_ms: None,
            gap_from_ms: None,
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
        self.round.as_ref().is_some_and(Round::is_done)
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
        let id = RestRequestId(self.next_request_id);
        self.next_request_id += 1;
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
            _ => {}
        }
    }

    fn on_key_error(&mut self, purpose: Purpose, error: &Error, now: Timestamp, out: &mut Outbox) {
        self.counters.rest_errors += 1;
        if error.is_fatal() {
            self.reject_credentials(error, out);
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
    fn reject_credentials(&mut self, error: &Error, out: &mut Outbox) {
        let reason = error.to_string();
        self.callbacks.on_error(&StreamError {
            category: ErrorCategory::Authentication,
            message: reason.clone(),
        });
        if self.subscriptions.is_connected() {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
        }
        self.fatal = Some(reason);
        self.key = ListenKey::default();
        self.round = None;
    }

    // ------------------------------------------------------------ reconciliation

    fn start_reconciliation(&mut self, now: Timestamp, out: &mut Outbox) {
        let Some(round) = self.round.as_mut() else {
            return;
        };
        if round.started {
            return;
        }
        round.started = true;
        round.gap_from_ms = self.gap_from_ms;
        self.request(Call::Account, now, out);
        for symbol in self.symbols.clone() {
            self.request(Call::OpenOrders(symbol), now, out);
        }
        if let Some(gap_ms) = self.gap_from_ms {
            // Orders opened from the last frame on (less the difference of the clocks);
            // fills from the last one seen, or that point if earlier, but not from
            // further back than the venue keeps.
            let orders_from = gap_ms.saturating_sub(GAP_SLACK_MS);
            let fills_from = self
                .last_fill_ms
                .map_or(orders_from, |last| last.min(orders_from))
                .max(orders_from.saturating_sub(MAX_LOOKBACK_MS));
            for symbol in self.symbols.clone() {
                self.request(
                    Call::AllOrders {
                        symbol,
                        start_ms: orders_from,
                    },
                    now,
                    out,
                );
                self.request(
                    Call::Trades {
                        symbol,
                        start_ms: fills_from,
                    },
                    now,
                    out,
                );
            }
        }
        self.finish_if_done();
    }

    fn request(&mut self, call: Call, now: Timestamp, out: &mut Outbox) {
        let generation = self.generation;
        let seq = self.delivery.open_orders().seq();
        let purpose = Purpose::Reconcile {
            call,
            generation,
            seq,
        };
        let sent = match call {
            Call::Account => self.send(purpose, out, |signer, id| signer.account(id, now)),
            Call::OpenOrders(symbol) => self.send(purpose, out, |signer, id| {
                signer.open_orders(symbol, id, now)
            }),
            Call::Order { .. } | Call::AllOrders { .. } | Call::Trades { .. } => {
                self.send_history(purpose, call, now, out)
            }
        };
        if sent.is_some()
            && let Some(round) = self.round.as_mut()
        {
            round.waiting += 1;
        }
    }

    fn send_history(
        &mut self,
        purpose: Purpose,
        call: Call,
        now: Timestamp,
        out: &mut Outbox,
    ) -> Option<RestRequestId> {
        let id = RestRequestId(self.next_request_id);
        let history = self.history.as_ref()?;
        let request = match call {
            Call::Order { symbol, order_id } => history.order(symbol, order_id, id, now),
            Call::AllOrders { symbol, start_ms } => history.all_orders(symbol, start_ms, id, now),
            Call::Trades { symbol, start_ms } => history.my_trades(symbol, start_ms, id, now),
            Call::Account | Call::OpenOrders(_) => return None,
        };
        self.next_request_id += 1;
        out.rest(request);
        self.in_flight.push((id, purpose));
        Some(id)
    }

    fn on_reconcile_reply(
        &mut self,
        call: Call,
        seq_at_send: u64,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
    ) {
        if let Some(round) = self.round.as_mut() {
            round.waiting = round.waiting.saturating_sub(1);
        }
        let endpoint = call.endpoint();
        let result = check_reply(endpoint, &response.result).and_then(|body| match call {
            Call::Account => parse_account(body, now.unix_millis()).map(Reply::Balances),
            Call::OpenOrders(_) => parse_orders(body).map(|orders| Reply::Orders(orders, None)),
            Call::AllOrders { .. } => {
                parse_order_page(body).map(|(orders, newest)| Reply::Orders(orders, newest))
            }
            Call::Order { .. } => parse_order(body).map(|order| Reply::Orders(vec![order], None)),
            Call::Trades { .. } => parse_trades(body).map(Reply::Fills),
        });
        match result {
            Ok(reply) => self.apply(call, reply, seq_at_send, now, out),
            Err(error) if error.is_fatal() => {
                self.counters.rest_errors += 1;
                self.reject_credentials(&error, out);
                return;
            }
            Err(error) => self.on_reconcile_error(call, &error, now),
        }
        self.finish_if_done();
    }

    /// Delivers what one answer says.
    fn apply(
        &mut self,
        call: Call,
        reply: Reply,
        seq_at_send: u64,
        now: Timestamp,
        out: &mut Outbox,
    ) {
        match (call, reply) {
            (_, Reply::Balances(balances)) => {
                for balance in balances {
                    if self
                        .delivery
                        .reconciled_balance(&balance, seq_at_send, &mut self.callbacks)
                    {
                        self.counters.reconciled_balances += 1;
                    }
                }
            }
            (Call::OpenOrders(symbol), Reply::Orders(orders, _)) => {
                for order in orders.iter().filter(|o| o.symbol == symbol) {
                    self.reconcile_order(order, seq_at_send);
                }
                self.look_up_missing(symbol, seq_at_send, &orders, now, out);
            }
            (Call::AllOrders { symbol, start_ms }, Reply::Orders(orders, newest)) => {
                for order in orders.iter().filter(|o| o.symbol == symbol) {
                    self.reconcile_order(order, seq_at_send);
                }
                // Oldest first: a full page continues from its latest creation time.
                if orders.len() >= ORDERS_PAGE {
                    self.next_page(call, start_ms, newest, now, out);
                }
            }
            (Call::Order { .. }, Reply::Orders(orders, _)) => {
                for order in &orders {
                    self.reconcile_order(order, seq_at_send);
                }
            }
            (Call::Trades { symbol, start_ms }, Reply::Fills(fills)) => {
                for fill in fills.iter().filter(|f| f.symbol == symbol) {
                    if self.deliver_fill(fill) {
                        self.counters.recovered_fills += 1;
                    }
                }
                let newest = fills.iter().map(|f| f.time_ms).max();
                if fills.len() >= TRADES_PAGE {
                    self.next_page(call, start_ms, newest, now, out);
                }
            }
            _ => {}
        }
    }

    /// Asks for the page after a full one, from the newest time it held (the ledger
    /// drops what the two pages share). A full page within one millisecond cannot be
    /// paged past: that is reported as a gap.
    fn next_page(
        &mut self,
        call: Call,
        start_ms: u64,
        newest: Option<u64>,
        now: Timestamp,
        out: &mut Outbox,
    ) {
        let next = newest.filter(|t| *t > start_ms).and_then(|t| call.from(t));
        match next {
            Some(next) => self.request(next, now, out),
            None => self.report_gap(
                call,
                &format!("more than one page at {start_ms} ms cannot be paged past"),
            ),
        }
    }

    fn on_reconcile_error(&mut self, call: Call, error: &Error, now: Timestamp) {
        self.counters.rest_errors += 1;
        match call {
            Call::Order { symbol, order_id } if is_unknown_order(error) => {
                self.unresolved(order_id, symbol, &format!("{ORDER} answered {error}"));
            }
            Call::AllOrders { .. } | Call::Trades { .. } if !error.is_retryable() => {
                self.report_gap(call, &error.to_string());
            }
            _ => {
                self.report(
                    ErrorCategory::Rest,
                    format!("reconciliation {}: {error}; retrying", call.endpoint()),
                );
                if let Some(round) = self.round.as_mut() {
                    round
                        .retries
                        .push((call, now.monotonic + self.config.rest_retry));
                }
            }
        }
    }

    /// A history query that cannot be answered: what it would have recovered is lost.
    fn report_gap(&mut self, call: Call, why: &str) {
        let (what, symbol, start_ms) = match call {
            Call::AllOrders { symbol, start_ms } => {
                self.counters.order_gaps += 1;
                ("orders opened", symbol, start_ms)
            }
            Call::Trades { symbol, start_ms } => {
                self.counters.fill_gaps += 1;
                ("fills", symbol, start_ms)
            }
            _ => return,
        };
        self.report(
            ErrorCategory::Rest,
            format!(
                "{what} of {symbol} from {start_ms} (ms since the Unix epoch) while \
                 disconnected cannot be recovered: {} {why}; open orders and balances \
                 were reconciled",
                call.endpoint()
            ),
        );
    }

    /// A REST view of an order: delivered when it says something the stream has not
    /// (the ledger drops what was delivered already).
    fn reconcile_order(&mut self, order: &Order, seq_at_send: u64) {
        if !matches!(
            self.delivery.rest_order_view(order, seq_at_send),
            RestOrderView::News(_)
        ) {
            return;
        }
        if self.delivery.order(order, &mut self.callbacks) {
            self.counters.reconciled_orders += 1;
        }
    }

    /// Orders seen open, missing from `openOrders`, and not updated by the stream since
    /// the request was sent: they finished while the socket was down. Each is looked up.
    fn look_up_missing(
        &mut self,
        symbol: Symbol,
        seq_at_send: u64,
        listed: &[Order],
        now: Timestamp,
        out: &mut Outbox,
    ) {
        let missing: Vec<OrderId> = self
            .delivery
            .open_orders()
            .delivered_by(seq_at_send)
            .filter(|(id, view)| view.symbol == symbol && !listed.iter().any(|o| o.order_id == *id))
            .map(|(id, _)| id)
            .collect();
        for order_id in missing {
            self.request(Call::Order { symbol, order_id }, now, out);
        }
    }

    /// An order seen open that the venue no longer knows: reported, forgotten.
    fn unresolved(&mut self, order_id: OrderId, symbol: Symbol, why: &str) {
        self.delivery.forget_order(&order_id);
        self.counters.unresolved_orders += 1;
        self.report(
            ErrorCategory::Rest,
            format!(
                "order {order_id} ({symbol}) finished while disconnected; its final state \
                 is unknown ({why})"
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
            if round.gap_from_ms.is_some() {
                self.gap_from_ms = None;
            }
            self.counters.reconciliations += 1;
            self.callbacks.on_reconciled();
        }
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

    fn deliver_fill(&mut self, fill: &Fill) -> bool {
        let delivered = self.delivery.fill(fill, &mut self.callbacks);
        if delivered {
            self.last_fill_ms = Some(
                self.last_fill_ms
                    .map_or(fill.time_ms, |t| t.max(fill.time_ms)),
            );
        }
        delivered
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
            self.start_reconciliation(now, out);
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
        self.last_seen_ms = frame.received_at.unix_millis();
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
        self.generation += 1;
        self.round = Some(Round::default());
        self.last_seen_ms = now.unix_millis();
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
        let due: Vec<Call> = match self.round.as_mut() {
            Some(round) => {
                let (due, later): (Vec<_>, Vec<_>) = round
                    .retries
                    .drain(..)
                    .partition(|(_, at)| now.monotonic >= *at);
                round.retries = later;
                due.into_iter().map(|(call, _)| call).collect()
            }
            None => Vec::new(),
        };
        for call in due {
            self.request(call, now, out);
        }
    }

    fn on_app_ping(&mut self, _now: Timestamp, out: &mut Outbox) {
        out.send(ping());
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let Some(index) = self.in_flight.iter().position(|(id, _)| *id == response.id) else {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
            return;
        };
        let (_, purpose) = self.in_flight.swap_remove(index);
        match purpose {
            Purpose::Reconcile {
                call,
                generation,
                seq,
            } => {
                if generation == self.generation && self.round.is_some() {
                    self.on_reconcile_reply(call, seq, &response, now, out);
                }
            }
            key_call => self.on_key_reply(key_call, &response, now, out),
        }
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.subscriptions.on_disconnected();
        self.round = None;
        // What happened from the last frame on is recovered after the reconnect.
        self.gap_from_ms.get_or_insert(self.last_seen_ms);
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
    Reconcile {
        call: Call,
        generation: u64,
        /// Deliveries counted when it was sent.
        seq: u64,
    },
}

/// One reconciliation call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// Balances.
    Account,
    /// The open orders of one symbol.
    OpenOrders(Symbol),
    /// One order that left the open orders.
    Order { symbol: Symbol, order_id: OrderId },
    /// One page of the orders of a symbol created from `start_ms` on.
    AllOrders { symbol: Symbol, start_ms: u64 },
    /// One page of the fills of a symbol from `start_ms` on.
    Trades { symbol: Symbol, start_ms: u64 },
}

impl Call {
    fn endpoint(self) -> &'static str {
        match self {
            Call::Account => ACCOUNT,
            Call::OpenOrders(_) => OPEN_ORDERS,
            Call::Order { .. } => ORDER,
            Call::AllOrders { .. } => ALL_ORDERS,
            Call::Trades { .. } => MY_TRADES,
        }
    }

    /// The same history query from `start_ms`.
    fn from(self, start_ms: u64) -> Option<Call> {
        match self {
            Call::AllOrders { symbol, .. } => Some(Call::AllOrders { symbol, start_ms }),
            Call::Trades { symbol, .. } => Some(Call::Trades { symbol, start_ms }),
            _ => None,
        }
    }
}

enum Reply {
    Balances(Vec<Balance>),
    /// Orders, and for `allOrders` the latest creation time among them.
    Orders(Vec<Order>, Option<u64>),
    Fills(Vec<Fill>),
}

/// The reconciliation of one connection.
#[derive(Debug, Default)]
struct Round {
    started: bool,
    waiting: usize,
    retries: Vec<(Call, Instant)>,
    reported: bool,
    /// The disconnected window's start, when it is being recovered.
    gap_from_ms: Option<u64>,
}

/// `-2013 Order does not exist.` (or no such endpoint): the venue cannot tell the end.
fn is_unknown_order(error: &Error) -> bool {
    match error {
        Error::Rest { code, status, .. } => *code == UNKNOWN_ORDER || *status == 404,
        Error::Http { status, .. } => *status == 404,
        _ => false,
    }
}

impl Round {
    fn is_done(&self) -> bool {
        self.reported
    }
}

const PRIVATE_CHANNELS: [Channel; 3] = [
    Channel::PrivateOrders,
    Channel::PrivateDeals,
    Channel::PrivateAccount,
];
const USER_DATA_STREAM: &str = "/api/v3/userDataStream";
const ACCOUNT: &str = "/api/v3/account";
const OPEN_ORDERS: &str = "/api/v3/openOrders";
/// MEXC's "Order does not exist."
const UNKNOWN_ORDER: i64 = -2013;
/// History is fetched from this much before the last frame: venue and local clocks
/// differ (the ledger drops what was delivered already).
const GAP_SLACK_MS: u64 = 2_000;
/// Fills are not fetched from further back than this before the disconnect.
const MAX_LOOKBACK_MS: u64 = 24 * 60 * 60 * 1000;
