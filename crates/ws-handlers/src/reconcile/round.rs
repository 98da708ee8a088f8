//! [`Reconciler`]: the rounds, the calls in flight, retries and completion.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Instant;

use ws_mixins::{PrivateWebSocketMixin, ReconcileFailure, ReconcileFailureReason};
use ws_session::{JitterSource, Outbox, RestRequestId, RestResponse, Timestamp};

use super::answer::{Answer, give_up, lost, report};
use super::retry::{RetryHint, RetrySchedule};
use super::start::RoundStart;
use super::{Failure, ReconcileVenue, Sent};
use crate::PrivateDelivery;

/// The generic private reconciler of one handler (see the [module](super) docs).
///
/// The handler calls [`Self::on_connected`], [`Self::saw_frame`] for every frame,
/// [`Self::start`] once its private channels are confirmed, [`Self::on_rest_response`],
/// [`Self::on_tick`] and [`Self::on_disconnected`]. Request ids are numbered here for the
/// whole handler ([`Self::next_request_id`] for its other REST calls).
#[derive(Debug)]
pub struct Reconciler<V: ReconcileVenue> {
    venue: V,
    retry: RetrySchedule,
    /// Seeded from the OS, so processes restarted together do not retry in lock-step.
    jitter: JitterSource,
    /// One per connection; answers to calls of an older one are ignored.
    generation: u64,
    round: Option<Round<V::Call>>,
    in_flight: Vec<(RestRequestId, Pending<V::Call>)>,
    next_request_id: u64,
    /// Wall-clock ms of the last frame (or connect) on the current connection.
    last_seen_ms: u64,
    /// Start of a disconnected window still to be recovered.
    gap_from_ms: Option<u64>,
    counters: ReconcileCounters,
}

/// What reconciliation did, for the venue handlers' counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileCounters {
    /// Completed rounds.
    pub reconciliations: u64,
    /// Orders delivered from REST.
    pub reconciled_orders: u64,
    /// Balances delivered from REST.
    pub reconciled_balances: u64,
    /// Positions delivered from REST.
    pub reconciled_positions: u64,
    /// Fills of a disconnected window delivered from REST.
    pub recovered_fills: u64,
    /// Fill histories that could not be fetched (reported).
    pub fill_gaps: u64,
    /// Order histories that could not be fetched (reported).
    pub order_gaps: u64,
    /// Orders that stopped being open while disconnected, final state unknown.
    pub unresolved_orders: u64,
    /// Calls that failed (each reported).
    pub rest_errors: u64,
    /// Calls given up (refused, or failing after every retry), each reported as a
    /// `ReconcileFailure`.
    pub given_up: u64,
    /// Calls a round skipped (symbols not covered), each reported as a
    /// `ReconcileFailure`.
    pub not_covered: u64,
}

/// The venue refused the credentials during reconciliation: the handler must stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsRejected(pub String);

impl<V: ReconcileVenue> Reconciler<V> {
    /// No round yet; request ids from 1.
    pub fn new(venue: V, retry: RetrySchedule) -> Self {
        Self {
            venue,
            retry,
            jitter: JitterSource::new(RandomState::new().hash_one(0u8)),
            generation: 0,
            round: None,
            in_flight: Vec::new(),
            next_request_id: 1,
            last_seen_ms: 0,
            gap_from_ms: None,
            counters: ReconcileCounters::default(),
        }
    }

    /// The venue's part.
    pub fn venue(&self) -> &V {
        &self.venue
    }

    /// The venue's part, mutably.
    pub fn venue_mut(&mut self) -> &mut V {
        &mut self.venue
    }

    /// Counters so far.
    pub fn counters(&self) -> ReconcileCounters {
        self.counters
    }

    /// Whether the round of the current connection is complete.
    pub fn is_reconciled(&self) -> bool {
        self.round.as_ref().is_some_and(|r| r.reported)
    }

    /// A fresh id for a REST request of the handler's own.
    pub fn next_request_id(&mut self) -> RestRequestId {
        let id = RestRequestId(self.next_request_id);
        self.next_request_id += 1;
        id
    }

    /// Whether `id` is a reconciliation call in flight.
    pub fn owns(&self, id: RestRequestId) -> bool {
        self.in_flight.iter().any(|(own, _)| *own == id)
    }

    /// A new connection: a new round, to start when the channels are confirmed.
    pub fn on_connected(&mut self, now: Timestamp) {
        self.generation += 1;
        self.round = Some(Round::default());
        self.last_seen_ms = now.unix_millis();
    }

    /// A frame arrived at wall-clock `unix_ms`.
    #[inline]
    pub fn saw_frame(&mut self, unix_ms: u64) {
        self.last_seen_ms = unix_ms;
    }

    /// The socket closed: the round ends, and what happens from the last frame on is
    /// recovered after the reconnect.
    pub fn on_disconnected(&mut self) {
        self.round = None;
        self.in_flight.clear();
        self.gap_from_ms.get_or_insert(self.last_seen_ms);
    }

    /// Credentials refused: no more rounds on this connection.
    pub fn abandon(&mut self) {
        self.round = None;
    }

    /// Starts the round of this connection, once.
    pub fn start<H: PrivateWebSocketMixin>(
        &mut self,
        now: Timestamp,
        delivery: &PrivateDelivery,
        callbacks: &mut H,
        out: &mut Outbox,
    ) {
        let Some(round) = self.round.as_mut() else {
            return;
        };
        if round.started {
            return;
        }
        round.started = true;
        round.gap_from_ms = self.gap_from_ms;
        let mut start = RoundStart {
            gap_from_ms: self.gap_from_ms,
            now,
            delivery,
            calls: Vec::new(),
            skipped: Vec::new(),
        };
        self.venue.first_calls(&mut start);
        let RoundStart { calls, skipped, .. } = start;
        for (call, message) in skipped {
            self.counters.not_covered += 1;
            let failure = ReconcileFailure {
                scope: self.venue.scope(call),
                call: self.venue.endpoint(call),
                reason: ReconcileFailureReason::NotCovered,
                message,
            };
            give_up(callbacks, V::NAME, &failure);
        }
        for call in calls {
            self.request(call, now, 1, delivery, out);
        }
        self.finish_if_done(callbacks);
    }

    /// An answer to a reconciliation call (others are logged and ignored).
    ///
    /// # Errors
    /// [`CredentialsRejected`] when the venue refused the credentials; the round is over.
    pub fn on_rest_response<H: PrivateWebSocketMixin>(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        delivery: &mut PrivateDelivery,
        callbacks: &mut H,
        out: &mut Outbox,
    ) -> Result<(), CredentialsRejected> {
        let Some(index) = self.in_flight.iter().position(|(id, _)| *id == response.id) else {
            tracing::debug!(id = ?response.id, "REST answer for no request of this handler");
            return Ok(());
        };
        let (_, pending) = self.in_flight.swap_remove(index);
        if pending.generation != self.generation {
            return Ok(());
        }
        let Some(round) = self.round.as_mut() else {
            return Ok(());
        };
        round.waiting = round.waiting.saturating_sub(1);
        let gap_from_ms = round.gap_from_ms;
        let call = pending.call;
        let mut follow_ups = Vec::new();
        match self.venue.parse(call, &response.result, now) {
            Ok(reply) => {
                let mut answer = Answer {
                    delivery: &mut *delivery,
                    callbacks: &mut *callbacks,
                    counters: &mut self.counters,
                    follow_ups: &mut follow_ups,
                    seq_at_send: pending.seq,
                    sent_ms: pending.sent_ms,
                    gap_from_ms,
                    now,
                    name: V::NAME,
                    scope: self.venue.scope(call),
                    endpoint: self.venue.endpoint(call),
                };
                self.venue.apply(call, reply, &mut answer);
            }
            Err(error) => {
                self.counters.rest_errors += 1;
                let sent = Sent {
                    sent_ms: pending.sent_ms,
                    gap_start_ms: gap_from_ms.unwrap_or(0),
                };
                let failure = self.venue.failure(call, &error, sent);
                let hint = RetryHint::of(&response.result);
                match self.failed(call, failure, &error, hint, pending.attempt, now) {
                    Err(rejected) => {
                        self.round = None;
                        return Err(rejected);
                    }
                    Ok(Some((forget, report_it))) => {
                        if let Some(order_id) = forget {
                            delivery.forget_order(&order_id);
                        }
                        give_up(callbacks, V::NAME, &report_it);
                    }
                    Ok(None) => {
                        let message = format!(
                            "reconciliation {}: {error}; retrying",
                            self.venue.endpoint(call)
                        );
                        report(callbacks, V::NAME, message);
                    }
                }
            }
        }
        for call in follow_ups {
            self.request(call, now, 1, delivery, out);
        }
        self.finish_if_done(callbacks);
        Ok(())
    }

    /// Handles the `attempt`-th failure of `call`: credentials refused (`Err`), given up
    /// (the order to forget, if any, and the report), or scheduled again (`None`).
    #[allow(clippy::type_complexity, reason = "private, one caller")]
    fn failed(
        &mut self,
        call: V::Call,
        failure: Failure,
        error: &V::Error,
        hint: RetryHint,
        attempt: u32,
        now: Timestamp,
    ) -> Result<Option<(Option<market_types::OrderId>, ReconcileFailure)>, CredentialsRejected>
    {
        let scope = self.venue.scope(call);
        let endpoint = self.venue.endpoint(call);
        let (forget, reason, message) = match failure {
            Failure::CredentialsRejected(reason) => return Err(CredentialsRejected(reason)),
            Failure::Lost { what, message } => {
                let failure = lost(&mut self.counters, what, scope, endpoint, message);
                return Ok(Some((None, failure)));
            }
            Failure::Unresolved { order_id, message } => {
                self.counters.unresolved_orders += 1;
                (
                    Some(order_id),
                    ReconcileFailureReason::OrderUnresolved,
                    message,
                )
            }
            Failure::Refused { message } => {
                self.counters.given_up += 1;
                (None, ReconcileFailureReason::Refused, message)
            }
            Failure::Retry => {
                let wait = self.retry.wait(attempt, hint, self.jitter.sample());
                if !self.retry.exhausted(attempt, wait) {
                    let at = self.retry.next_attempt(now, wait);
                    if let Some(round) = self.round.as_mut() {
                        round.retries.push(Retry {
                            call,
                            at,
                            attempt: attempt.saturating_add(1),
                        });
                    }
                    return Ok(None);
                }
                self.counters.given_up += 1;
                let message = format!(
                    "{scope} not reconciled: {endpoint} failed {attempt} times, last with \
                     {error} (next wait {wait:?}); given up until the next reconnect"
                );
                (
                    None,
                    ReconcileFailureReason::Exhausted { attempts: attempt },
                    message,
                )
            }
        };
        Ok(Some((
            forget,
            ReconcileFailure {
                scope,
                call: endpoint,
                reason,
                message,
            },
        )))
    }

    /// Asks again the calls whose retry time has come.
    pub fn on_tick(&mut self, now: Timestamp, delivery: &PrivateDelivery, out: &mut Outbox) {
        let due: Vec<Retry<V::Call>> = match self.round.as_mut() {
            Some(round) if !round.retries.is_empty() => {
                let (due, later): (Vec<_>, Vec<_>) = round
                    .retries
                    .drain(..)
                    .partition(|retry| now.monotonic >= retry.at);
                round.retries = later;
                due
            }
            _ => return,
        };
        for retry in due {
            self.request(retry.call, now, retry.attempt, delivery, out);
        }
    }

    /// Sends `call`, its `attempt`-th try (from 1).
    fn request(
        &mut self,
        call: V::Call,
        now: Timestamp,
        attempt: u32,
        delivery: &PrivateDelivery,
        out: &mut Outbox,
    ) {
        let id = RestRequestId(self.next_request_id);
        let Some(request) = self.venue.request(call, id, now) else {
            return;
        };
        self.next_request_id += 1;
        out.rest(request);
        self.in_flight.push((
            id,
            Pending {
                call,
                generation: self.generation,
                seq: delivery.open_orders().seq(),
                sent_ms: now.unix_millis(),
                attempt,
            },
        ));
        if let Some(round) = self.round.as_mut() {
            round.waiting += 1;
        }
    }

    fn finish_if_done<H: PrivateWebSocketMixin>(&mut self, callbacks: &mut H) {
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
            callbacks.on_reconciled();
        }
    }
}

/// A call in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending<C> {
    call: C,
    generation: u64,
    /// Deliveries counted when it was sent.
    seq: u64,
    /// Wall-clock ms when it was sent.
    sent_ms: u64,
    /// Which try of the call it is (from 1).
    attempt: u32,
}

/// A failed call waiting for its next try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Retry<C> {
    call: C,
    at: Instant,
    /// Which try it will be.
    attempt: u32,
}

/// The reconciliation of one connection.
#[derive(Debug)]
struct Round<C> {
    started: bool,
    waiting: usize,
    retries: Vec<Retry<C>>,
    reported: bool,
    /// The disconnected window's start, when it is being recovered.
    gap_from_ms: Option<u64>,
}

impl<C> Default for Round<C> {
    fn default() -> Self {
        Self {
            started: false,
            waiting: 0,
            retries: Vec::new(),
            reported: false,
            gap_from_ms: None,
        }
    }
}
