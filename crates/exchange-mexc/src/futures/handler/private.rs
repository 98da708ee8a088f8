//! The futures account session: a signed login (the shared `Authenticator` waits for
//! `rs.login`), `personal.filter` for the configured contracts, the personal pushes
//! delivered once through the shared `PrivateDelivery`, and the shared `Reconciler`
//! over signed REST after every (re)connect.

use std::time::Duration;

use market_types::{Symbol, Venue};
use ws_handlers::{
    BaseMessageHandler, CredentialsRejected, DeliveryCounts, Driven, HandlerError, HandlerStats,
    Lifecycle, NoBooks, PrivateDelivery, PrivateMessageHandler, ReconcileCounters, Reconciler,
    RetrySchedule, SharedParts, VenueSession, WebSocketMessageType, WithSharedParts,
};
use ws_mixins::{AuthMixin, ErrorCategory, PrivateWebSocketMixin, StreamError, SubscriptionMixin};
use ws_session::{
    DisconnectCause, InboundFrame, OutFrame, Outbox, ReconnectDecision, ReconnectionPolicy,
    RestResponse, SessionSignal, StreamKind, Timestamp,
};

use super::super::ping;
use super::super::private::{
    FuturesReconcile, FuturesRestSigner, LoginRequest, PersonalFilter, PositionLegs, PrivateFrame,
    decode_private, personal_filter,
};
use super::FuturesHandlerConfig;
use super::detect::message_type;
use crate::config::Credentials;

const VENUE: Venue = Venue::MexcFutures;
const NAME: &str = "mexc_futures_private";
/// Contracts whose hedge legs are kept (one long and one short each).
const MAX_POSITION_CONTRACTS: usize = 4096;

/// This session's own counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FuturesPrivateCounters {
    /// Logins the venue confirmed.
    pub logins: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
    /// Pongs received.
    pub pongs: u64,
    /// Venue errors outside the login.
    pub venue_errors: u64,
}

/// The one "subscription" of an account session: the push filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PushFilter;

/// Renders the filter for the configured contracts.
#[derive(Debug, Clone)]
pub struct FilterFormat {
    contracts: Vec<Symbol>,
}

impl SubscriptionMixin for FilterFormat {
    type Topic = PushFilter;

    fn subscribe_message(&self, _topics: &[PushFilter], _id: u64, _now: Timestamp) -> OutFrame {
        personal_filter(&PersonalFilter::ALL, &self.contracts)
    }

    /// The venue has no "unfilter": a filter with no contracts would widen it, so the
    /// same filter is sent again.
    fn unsubscribe_message(&self, _topics: &[PushFilter], _id: u64, _now: Timestamp) -> OutFrame {
        personal_filter(&PersonalFilter::ALL, &self.contracts)
    }
}

/// The signed login, made at connect time with the wall clock the driver passes in.
struct Login<'a> {
    credentials: &'a Credentials,
    timeout: Duration,
}

impl AuthMixin for Login<'_> {
    fn requires_authentication(&self) -> bool {
        true
    }

    fn create_auth_message(&mut self, now: Timestamp) -> Option<OutFrame> {
        Some(LoginRequest::new(self.credentials, now.unix_millis()).frame())
    }

    fn auth_timeout(&self) -> Duration {
        self.timeout
    }
}

/// The futures account handler: its parts run by the shared `Session` glue.
pub type MexcFuturesPrivateHandler<H> = Driven<MexcFuturesPrivateParts<H>>;

/// The futures account handler's parts.
#[derive(Debug)]
pub struct MexcFuturesPrivateParts<H: PrivateWebSocketMixin> {
    config: FuturesHandlerConfig,
    format: FilterFormat,
    lifecycle: Lifecycle<PushFilter>,
    delivery: PrivateDelivery,
    reconciler: Reconciler<FuturesReconcile>,
    fatal: Option<String>,
    /// The callbacks and the template's counters.
    shared: SharedParts<H>,
    counters: FuturesPrivateCounters,
}

impl<H: PrivateWebSocketMixin> MexcFuturesPrivateParts<H> {
    /// An account session limited to `contracts` (all when empty). Without credentials
    /// the session only reports that it cannot log in.
    pub fn new(
        config: FuturesHandlerConfig,
        contracts: impl IntoIterator<Item = Symbol>,
        callbacks: H,
    ) -> Self {
        let mut unique: Vec<Symbol> = Vec::new();
        for symbol in contracts {
            if !unique.contains(&symbol) {
                unique.push(symbol);
            }
        }
        let signer = config.credentials.clone().map(|credentials| {
            let signer = FuturesRestSigner::new(config.rest_url.clone(), credentials);
            match config.recv_window_ms {
                Some(window) => signer.with_recv_window(window),
                None => signer,
            }
        });
        let fatal = config
            .credentials
            .is_none()
            .then(|| "MEXC futures account data needs an API key and secret".to_string());
        let mut lifecycle = Lifecycle::new(config.ack_timeout);
        lifecycle.subscriptions_mut().add(PushFilter);
        MexcFuturesPrivateParts {
            reconciler: Reconciler::new(
                FuturesReconcile::new(
                    signer,
                    unique.clone(),
                    PositionLegs::new(VENUE, MAX_POSITION_CONTRACTS),
                ),
                RetrySchedule {
                    delay: Duration::from_secs(2),
                },
            ),
            format: FilterFormat { contracts: unique },
            lifecycle,
            delivery: PrivateDelivery::new(),
            fatal,
            shared: SharedParts::new(callbacks, NoBooks),
            counters: FuturesPrivateCounters::default(),
            config,
        }
    }

    /// Whether the last round after a (re)connect has finished.
    pub fn is_reconciled(&self) -> bool {
        self.reconciler.is_reconciled()
    }

    /// What was delivered, by kind.
    pub fn delivery_counts(&self) -> DeliveryCounts {
        self.delivery.counts()
    }

    /// The reconciler's counters.
    pub fn reconcile_counters(&self) -> ReconcileCounters {
        self.reconciler.counters()
    }

    /// Template counters.
    pub fn stats(&self) -> &HandlerStats {
        &self.shared.stats
    }

    /// This session's counters.
    pub fn counters(&self) -> FuturesPrivateCounters {
        self.counters
    }

    /// The user's callbacks.
    pub fn callbacks(&self) -> &H {
        &self.shared.callbacks
    }

    /// The user's callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut H {
        &mut self.shared.callbacks
    }

    /// Refused credentials stop the session for good: said once, then every reconnect
    /// is refused.
    fn reject_credentials(&mut self, reason: String, out: &mut Outbox) {
        if self.lifecycle.is_connected() {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
        }
        self.stop_for_good(reason);
    }

    fn stop_for_good(&mut self, reason: String) {
        tracing::error!(exchange = NAME, %reason, "credentials refused; account data stops");
        self.shared.callbacks.on_error(&StreamError {
            category: ErrorCategory::Authentication,
            message: reason.clone(),
        });
        self.fatal = Some(reason);
        self.reconciler.abandon();
    }

    fn on_decoded(&mut self, frame: PrivateFrame, now: Timestamp, out: &mut Outbox) {
        match frame {
            PrivateFrame::LoginOk => {
                self.counters.logins += 1;
                self.lifecycle.on_authenticated(&self.format, now, out);
            }
            PrivateFrame::Error(reason) if !self.lifecycle.auth().is_authenticated() => {
                let reason = format!("MEXC futures login refused: {reason}");
                // The authenticator signals the failure to the driver.
                self.lifecycle.on_auth_rejected(reason.clone(), out);
                self.stop_for_good(reason);
            }
            PrivateFrame::Error(reason) => {
                self.counters.venue_errors += 1;
                tracing::warn!(exchange = NAME, %reason, "venue error");
                self.shared.callbacks.on_error(&StreamError {
                    category: ErrorCategory::Venue,
                    message: format!("venue error: {reason}"),
                });
            }
            PrivateFrame::Ack { channel, .. } => {
                if channel == "rs.personal.filter" {
                    self.lifecycle.ack_topic(&PushFilter, out);
                    self.reconciler
                        .start(now, &self.delivery, &mut self.shared.callbacks, out);
                }
            }
            PrivateFrame::Pong(_) => self.counters.pongs += 1,
            PrivateFrame::Order(order) => {
                self.delivery.order(&order, &mut self.shared.callbacks);
            }
            PrivateFrame::Fill(fill) => {
                if self.delivery.fill(&fill, &mut self.shared.callbacks) {
                    self.reconciler.venue_mut().note_fill(fill.time_ms);
                }
            }
            PrivateFrame::Position(position) => {
                self.delivery
                    .streamed_position(&position, &mut self.shared.callbacks);
            }
            PrivateFrame::Balance(balance) => {
                self.delivery
                    .streamed_balance(&balance, &mut self.shared.callbacks);
            }
            PrivateFrame::Other(_) => {}
        }
    }

    fn decode(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        let now = frame.received_at;
        let legs = self.reconciler.venue_mut().legs_mut();
        match decode_private(frame.payload, legs) {
            Ok(decoded) => {
                self.on_decoded(decoded, now, out);
                Ok(())
            }
            Err(error) => {
                self.counters.decode_errors += 1;
                Err(HandlerError::Decode {
                    message_type,
                    detail: error.to_string(),
                })
            }
        }
    }
}

impl<H: PrivateWebSocketMixin> BaseMessageHandler for MexcFuturesPrivateParts<H> {
    /// Off: exchange crates read no clock; the driver times every message.
    const RECORD_TIMING: bool = false;
    const LOG_PAYLOAD: bool = false;

    fn exchange_name(&self) -> &'static str {
        NAME
    }

    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> WebSocketMessageType {
        message_type(frame.payload)
    }

    fn route_message(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.reconciler.saw_frame(frame.received_at.unix_millis());
        self.route_private(message_type, frame, out)
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.shared.stats
    }

    fn report_skipped(&mut self, error: &StreamError) {
        self.shared.callbacks.on_error(error);
    }
}

impl<H: PrivateWebSocketMixin> PrivateMessageHandler for MexcFuturesPrivateParts<H> {
    /// One decoder reads every account push.
    fn parse_account_push(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.decode(message_type, frame, out)
    }

    /// Login answers, the filter's ack, pongs and venue errors.
    fn handle_control(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.decode(message_type, frame, out)
    }
}

impl<H: PrivateWebSocketMixin + Send + 'static> VenueSession for MexcFuturesPrivateParts<H> {
    type Command = ();
    type Topic = PushFilter;
    type Format = FilterFormat;

    fn connection_context(&self) -> ws_session::ConnectionContext {
        self.config.context("mexc-futures-private")
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        self.config.reconnection
    }

    /// Refused credentials stop everything; a 1005 is retried; otherwise the default.
    fn classify_disconnect(&self, cause: &DisconnectCause) -> ReconnectDecision {
        if self.fatal.is_some() {
            return ReconnectDecision::Stop;
        }
        if cause.is_no_status() {
            return ReconnectDecision::Retry;
        }
        cause.default_decision()
    }

    fn stream_kind(&self, _frame: &InboundFrame<'_>) -> StreamKind {
        StreamKind::Private
    }

    fn lifecycle(&mut self) -> (&mut Lifecycle<PushFilter>, &FilterFormat) {
        (&mut self.lifecycle, &self.format)
    }

    /// Logs in (the filter follows the confirmation, the reconciliation the filter's
    /// ack). Without usable credentials it only raises the reason.
    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        if let Some(reason) = &self.fatal {
            out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
            return;
        }
        let Some(credentials) = self.config.credentials.as_ref() else {
            return;
        };
        self.reconciler.on_connected(now);
        let mut login = Login {
            credentials,
            timeout: self.config.ack_timeout,
        };
        self.lifecycle
            .on_connected(&mut login, &self.format, now, out);
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.reconciler.on_tick(now, &self.delivery, out);
    }

    fn app_ping(&self, _now: Timestamp) -> Option<OutFrame> {
        Some(ping())
    }

    fn on_rest_response(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        let answered = self.reconciler.on_rest_response(
            &response,
            now,
            &mut self.delivery,
            &mut self.shared.callbacks,
            out,
        );
        if let Err(CredentialsRejected(reason)) = answered {
            self.reject_credentials(reason, out);
        }
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        // What happened from the last frame on is fetched after the reconnect.
        self.reconciler.on_disconnected();
    }
}

impl<H: PrivateWebSocketMixin + Send + 'static> WithSharedParts for MexcFuturesPrivateParts<H> {
    type Callbacks = H;
    type Books = NoBooks;

    fn shared(&self) -> &SharedParts<H> {
        &self.shared
    }

    fn shared_mut(&mut self) -> &mut SharedParts<H> {
        &mut self.shared
    }
}
