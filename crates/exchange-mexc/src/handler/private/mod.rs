//! The user-data session: listen key, private pushes, REST reconciliation.

mod clock;
mod listen_key;
mod redact;
mod session;

use std::cell::Cell;

use market_types::{Fill, OrderId, PrivateEvent, Symbol};
use ws_handlers::{
    DeliveryCounts, Driven, HandlerError, HandlerStats, NoBooks, PrivateDelivery, PrivateLedger,
    Reconciler, RetrySchedule, SharedParts, VenueClock, WebSocketMessageType,
};
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin, StreamError, SubscriptionRegistry};
use ws_session::{InboundFrame, Outbox, SessionSignal, Timestamp};

use crate::auth::RestSigner;
use crate::channel::Channel;
use crate::event::private_event;
use crate::wire::decode_push;

use super::config::MexcHandlerConfig;
use super::format::{ControlOutcome, Subscriptions, decode_error};
use super::reconcile::MexcReconcile;

pub use listen_key::{ListenKeyLifecycle, ListenKeyPurpose, ListenKeyReply, ListenKeyReuse};

/// A MEXC spot user-data connection: orders, fills and balances of one account.
///
/// - **Listen key.** Before connecting (`ws_session::Session::ready_to_connect`) it creates a key
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
///
/// Built as `Driven::new(MexcPrivateParts::new(config, symbols, callbacks))`: the shared
/// `Session` glue ([`Driven`]) runs this venue's [`MexcPrivateParts`], and derefs to them.
pub type MexcPrivateWebSocketHandler<H> = Driven<MexcPrivateParts<H>>;

/// The MEXC spot user-data handler's parts: listen key, clock, delivery and
/// reconciliation; see [`MexcPrivateWebSocketHandler`].
// Debug is hand-written in `redact.rs`: the listen key and signer are credentials.
pub struct MexcPrivateParts<H: PrivateWebSocketMixin> {
    config: MexcHandlerConfig,
    signer: Option<RestSigner>,
    subscriptions: Subscriptions,
    key: ListenKeyLifecycle,
    /// The venue's clock, which the signer uses.
    clock: VenueClock,
    /// Rejected credentials, for good.
    fatal: Option<String>,
    /// Ledger, open orders and delivery sequence: the one way to the user's callbacks.
    delivery: PrivateDelivery,
    /// The REST rounds after every (re)connect; it also numbers the listen-key calls.
    reconciler: Reconciler<MexcReconcile>,
    /// A connection attempt failed: check the key before the next one. Set from
    /// `should_reconnect`, which only gets `&self`.
    check_key: Cell<bool>,
    /// The callbacks and the template's counters.
    shared: SharedParts<H>,
    counters: PrivateCounters,
}

/// Counters of a private handler beyond [`HandlerStats`].
///
/// What was delivered (and dropped as already delivered) is in
/// [`MexcPrivateParts::delivery_counts`].
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
    /// Reconciliation calls given up (refused, or failing after every retry) and calls
    /// skipped (symbols not covered): each reported to `on_reconcile_failure`.
    pub reconcile_failures: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
    /// Subscription acks that confirmed a channel.
    pub acks: u64,
    /// Channels the venue refused.
    pub rejected_channels: u64,
    /// Pongs received.
    pub pongs: u64,
}

impl<H: PrivateWebSocketMixin> MexcPrivateParts<H> {
    /// A user-data handler for the account of `config.mexc.credentials`, reconciling open
    /// orders of `symbols` after every (re)connect. Without credentials it stops at once
    /// with `AuthenticationFailed`.
    pub fn new(
        config: MexcHandlerConfig,
        symbols: impl IntoIterator<Item = Symbol>,
        callbacks: H,
    ) -> Self {
        let clock = crate::venue_clock(&config.mexc.endpoints.rest_url);
        let signer = config.mexc.credentials.clone().map(|credentials| {
            let signer = RestSigner::new(config.mexc.endpoints.rest_url.clone(), credentials)
                .with_clock(clock.offset());
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
            key: ListenKeyLifecycle::new(
                config.listen_key_keep_alive,
                config.rest_retry,
                ListenKeyReuse::VerifyHeld,
            ),
            clock,
            fatal: None,
            delivery: PrivateDelivery::new(),
            check_key: Cell::new(false),
            shared: SharedParts::new(callbacks, NoBooks),
            counters: PrivateCounters::default(),
            config,
        }
    }

    /// Whether a listen key is held (the key itself is a credential and not shown).
    pub fn has_listen_key(&self) -> bool {
        self.key.key().is_some()
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
        &self.shared.stats
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
            reconcile_failures: r.given_up + r.not_covered,
            rest_errors: self.counters.rest_errors + r.rest_errors,
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
    pub fn config(&self) -> &MexcHandlerConfig {
        &self.config
    }

    /// Rejected credentials: stop for good. While connected the signal ends the
    /// connection; before connecting the driver ignores signals, so the handler connects
    /// and raises it in `on_connected`.
    fn reject_credentials(&mut self, reason: String, out: &mut Outbox) {
        self.shared.callbacks.on_error(&StreamError {
            category: ErrorCategory::Authentication,
            message: reason.clone(),
        });
        if self.subscriptions.is_connected() {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
        }
        self.fatal = Some(reason);
        self.key.forget();
        self.reconciler.abandon();
    }

    // ------------------------------------------------------------ delivery

    fn deliver(&mut self, event: PrivateEvent) {
        match event {
            PrivateEvent::Order(order) => {
                self.delivery.order(&order, &mut self.shared.callbacks);
            }
            PrivateEvent::Fill(fill) => {
                self.deliver_fill(&fill);
            }
            PrivateEvent::Balance(balance) => {
                self.delivery
                    .streamed_balance(&balance, &mut self.shared.callbacks);
            }
            // Spot has no positions.
            PrivateEvent::Position(_) => {}
        }
    }

    fn deliver_fill(&mut self, fill: &Fill) {
        if self.delivery.fill(fill, &mut self.shared.callbacks) {
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
                decode_error(message_type, &error)
            })?;
        self.deliver(event);
        Ok(())
    }

    fn report(&mut self, category: ErrorCategory, message: String) {
        tracing::warn!(exchange = "mexc_spot", %message, "private stream");
        self.shared
            .callbacks
            .on_error(&StreamError { category, message });
    }

    fn apply_control(&mut self, outcome: ControlOutcome, now: Timestamp, out: &mut Outbox) {
        match outcome {
            ControlOutcome::Pong => self.counters.pongs += 1,
            ControlOutcome::Stale => {}
            ControlOutcome::Confirmed(channels) => self.counters.acks += channels.len() as u64,
            ControlOutcome::Rejected { channels, error } => {
                self.counters.rejected_channels += channels.len() as u64;
                self.shared.callbacks.on_error(&error);
            }
            ControlOutcome::VenueError(error) => self.shared.callbacks.on_error(&error),
        }
        if self.subscriptions.all_answered() {
            self.reconciler
                .start(now, &self.delivery, &mut self.shared.callbacks, out);
        }
    }
}

pub(super) const PRIVATE_CHANNELS: [Channel; 3] = [
    Channel::PrivateOrders,
    Channel::PrivateDeals,
    Channel::PrivateAccount,
];
pub(super) const USER_DATA_STREAM: &str = "/api/v3/userDataStream";
