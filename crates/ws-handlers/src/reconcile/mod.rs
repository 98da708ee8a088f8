//! Private-state reconciliation over REST after every (re)connect, once for every venue.
//!
//! A private stream says nothing of what happened while it was down. After each
//! (re)connect, once the venue confirmed the private channels, a *round* of signed REST
//! calls fetches what the venue knows (open orders, balances, positions, and, after a
//! disconnect, the orders and fills of the disconnected window), page by page, and
//! delivers what changed through [`PrivateDelivery`](crate::PrivateDelivery), so the user
//! sees each change once and a REST view never overwrites a later stream update. An order
//! delivered as open that is no longer listed is looked up by id. Failed calls are retried
//! with capped exponential backoff that honours `Retry-After` and IP bans (see
//! [`RetrySchedule`], the one place that decides when); a call that cannot succeed (the
//! venue refused it, it kept failing, its history is gone, an order's end is unknown) is
//! given up and reported as a typed
//! [`ReconcileFailure`](ws_mixins::ReconcileFailure) through the user's
//! `on_reconcile_failure`, so the round always ends and nothing is lost silently. When
//! nothing is left in flight the user's `on_reconciled` is called.
//!
//! [`Reconciler`] is that state machine; a venue plugs in with [`ReconcileVenue`]: which
//! calls a round starts with, how a call becomes a signed request (its own auth code),
//! how an answer is parsed and what it means (paging), and how a failure is classified.

mod answer;
mod retry;
mod round;
mod start;
#[cfg(test)]
mod tests;

use std::fmt;

use market_types::{Order, OrderId};
use ws_mixins::{PrivateWebSocketMixin, ReconcileScope};
use ws_session::{RestFailure, RestReply, RestRequest, RestRequestId, Timestamp};

pub use answer::Answer;
pub use retry::{RetryHint, RetrySchedule};
pub use round::{CredentialsRejected, ReconcileCounters, Reconciler};
pub use start::RoundStart;

/// What a venue supplies to the generic [`Reconciler`].
pub trait ReconcileVenue {
    /// One REST call of a round (an endpoint and its arguments, e.g. a page).
    type Call: Copy + fmt::Debug + PartialEq;
    /// A parsed answer.
    type Reply;
    /// Why an answer could not be used (a transport failure, an HTTP or venue error, a
    /// body that did not decode). Its text goes to logs and `on_error`, so it must not
    /// carry credentials.
    type Error: fmt::Display;

    /// The name in logs.
    const NAME: &'static str;

    /// The calls a round starts with (see [`RoundStart`]: the disconnected window, what
    /// was delivered, and the calls asked for or skipped).
    fn first_calls(&self, start: &mut RoundStart<'_, Self::Call>);

    /// The signed request for `call`; `None` when it cannot be made (no credentials).
    fn request(&self, call: Self::Call, id: RestRequestId, now: Timestamp) -> Option<RestRequest>;

    /// Reads one answer (any status) to `call`.
    ///
    /// # Errors
    /// What made the answer unusable; never a panic, whatever the body.
    fn parse(
        &self,
        call: Self::Call,
        result: &Result<RestReply, RestFailure>,
        now: Timestamp,
    ) -> Result<Self::Reply, Self::Error>;

    /// Delivers what `reply` says through `answer`, and asks for the next page or the
    /// lookups it calls for.
    fn apply<H: PrivateWebSocketMixin>(
        &mut self,
        call: Self::Call,
        reply: Self::Reply,
        answer: &mut Answer<'_, Self::Call, H>,
    );

    /// What to do about a failed call.
    fn failure(&self, call: Self::Call, error: &Self::Error, sent: Sent) -> Failure;

    /// The endpoint of `call`, for messages.
    fn endpoint(&self, call: Self::Call) -> String;

    /// What part of the account `call` reconciles, for failure reports.
    fn scope(&self, call: Self::Call) -> ReconcileScope;
}

/// When a failed call was sent, for the venue's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Wall-clock ms when it was sent.
    pub sent_ms: u64,
    /// Start of the disconnected window the round recovers (0 when none).
    pub gap_start_ms: u64,
}

/// How a failed call is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Credentials refused: the round stops and the handler stops for good (reason).
    CredentialsRejected(String),
    /// History that cannot be fetched: counted and reported with `message`.
    Lost {
        /// What is lost.
        what: Lost,
        /// The report.
        message: String,
    },
    /// An order delivered as open whose end the venue cannot tell: forgotten, counted,
    /// reported with `message`.
    Unresolved {
        /// The order.
        order_id: OrderId,
        /// The report.
        message: String,
    },
    /// The venue refused the call in a way asking again cannot change (an unknown
    /// symbol, a refused parameter): given up, counted, reported with `message`.
    Refused {
        /// The report.
        message: String,
    },
    /// Worth asking again (when, and how often, is [`RetrySchedule`]'s decision).
    Retry,
}

/// What a history call that failed for good would have recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// Fills of the disconnected window.
    Fills,
    /// Orders opened (and maybe closed) in the disconnected window.
    Orders,
}

/// An order as REST shows it, and whether its `update_time_ms` is the venue's time of the
/// change (some venues do not say when an open order last changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestOrder {
    /// The order.
    pub order: Order,
    /// Whether `order.update_time_ms` is exact.
    pub exact_time: bool,
}

impl RestOrder {
    /// An order whose update time is the venue's.
    pub fn exact(order: Order) -> RestOrder {
        RestOrder {
            order,
            exact_time: true,
        }
    }
}
