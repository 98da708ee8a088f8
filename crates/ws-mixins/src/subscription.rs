//! `SubscriptionMixin` and the registry of active subscriptions.
//!
//! The registry is what makes "resubscribe everything that was active" and "every ack is
//! checked against what was asked" mechanical: each topic is `Inactive` until a request
//! carrying it is sent, `Pending` with that request's id until the venue answers, then
//! `Confirmed` or `Rejected` with the venue's reason.

use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration, Instant};

use ws_session::{OutFrame, Outbox, Timestamp};

/// A subscription target: a typed channel plus its parameters (never a `"channel.symbol"`
/// string).
pub trait Topic: Clone + Eq + Hash + Debug + Send + 'static {}

impl<T: Clone + Eq + Hash + Debug + Send + 'static> Topic for T {}

/// How a handler renders subscription requests (the plan's `SubscriptionMixin`).
pub trait SubscriptionMixin {
    /// The topic type.
    type Topic: Topic;

    /// The request that subscribes `topics` (at most [`Self::max_topics_per_request`]).
    fn subscribe_message(
        &self,
        topics: &[Self::Topic],
        request_id: u64,
        now: Timestamp,
    ) -> OutFrame;

    /// The request that unsubscribes `topics`.
    fn unsubscribe_message(
        &self,
        topics: &[Self::Topic],
        request_id: u64,
        now: Timestamp,
    ) -> OutFrame;

    /// Topics one request may carry. Default: one per request, so an ack or a rejection
    /// names exactly one topic.
    fn max_topics_per_request(&self) -> usize {
        1
    }

    /// Whether two topics may share one request (some venues take one channel per request).
    fn can_batch(&self, _a: &Self::Topic, _b: &Self::Topic) -> bool {
        true
    }
}

/// Where one subscription stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Wanted, but no request is out on the current connection.
    Inactive,
    /// Requested; waiting for the ack.
    Pending {
        /// The request that carried it.
        request_id: u64,
        /// When it was sent.
        sent_at: Instant,
    },
    /// Acknowledged by the venue.
    Confirmed,
    /// Refused by the venue; not retried until the user subscribes again.
    Rejected(String),
}

/// A rejected or unexpected acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionError<T: Topic> {
    /// The venue refused these topics.
    #[error("subscription rejected for {topics:?}: {reason}")]
    Rejected {
        /// What was refused.
        topics: Vec<T>,
        /// The venue's words.
        reason: String,
    },
    /// An ack that matches no request.
    #[error("acknowledgement for unknown request {request_id}")]
    UnknownAck {
        /// The id it carried.
        request_id: u64,
    },
    /// Pending too long without an answer.
    #[error("no acknowledgement within {timeout:?} for {topics:?}")]
    AckTimeout {
        /// What is still pending.
        topics: Vec<T>,
        /// The limit.
        timeout: Duration,
    },
}

/// The registry of wanted subscriptions, in the order they were added.
#[derive(Debug, Clone)]
pub struct SubscriptionRegistry<T: Topic> {
    entries: Vec<(T, SubscriptionState)>,
    next_request_id: u64,
    ack_timeout: Duration,
}

impl<T: Topic> Default for SubscriptionRegistry<T> {
    fn default() -> Self {
        Self::new(Duration::from_secs(10))
    }
}

impl<T: Topic> SubscriptionRegistry<T> {
    /// An empty registry whose requests time out after `ack_timeout`.
    pub fn new(ack_timeout: Duration) -> Self {
        Self {
            entries: Vec::new(),
            next_request_id: 1,
            ack_timeout,
        }
    }

    /// Adds a topic (as `Inactive`). A rejected topic added again is retried. Returns
    /// whether anything changed.
    pub fn add(&mut self, topic: T) -> bool {
        match self.entries.iter_mut().find(|(t, _)| *t == topic) {
            Some((_, state @ SubscriptionState::Rejected(_))) => {
                *state = SubscriptionState::Inactive;
                true
            }
            Some(_) => false,
            None => {
                self.entries.push((topic, SubscriptionState::Inactive));
                true
            }
        }
    }

    /// Forgets a topic, returning its last state.
    pub fn remove(&mut self, topic: &T) -> Option<SubscriptionState> {
        let index = self.entries.iter().position(|(t, _)| t == topic)?;
        Some(self.entries.remove(index).1)
    }

    /// The state of one topic.
    pub fn state(&self, topic: &T) -> Option<&SubscriptionState> {
        self.entries
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, s)| s)
    }

    /// Every topic with its state.
    pub fn iter(&self) -> impl Iterator<Item = (&T, &SubscriptionState)> {
        self.entries.iter().map(|(t, s)| (t, s))
    }

    /// Number of topics (any state).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no topic is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Topics that should be live (not rejected).
    pub fn active(&self) -> impl Iterator<Item = &T> {
        self.entries
            .iter()
            .filter(|(_, s)| !matches!(s, SubscriptionState::Rejected(_)))
            .map(|(t, _)| t)
    }

    /// Whether every wanted topic is confirmed (and none is pending).
    pub fn all_confirmed(&self) -> bool {
        self.entries.iter().all(|(_, s)| {
            matches!(
                s,
                SubscriptionState::Confirmed | SubscriptionState::Rejected(_)
            )
        })
    }

    /// A fresh request id.
    pub fn next_request_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        id
    }

    /// Marks `topics` as carried by `request_id`.
    pub fn mark_pending(&mut self, topics: &[T], request_id: u64, now: Timestamp) {
        for (t, s) in &mut self.entries {
            if topics.contains(t) {
                *s = SubscriptionState::Pending {
                    request_id,
                    sent_at: now.monotonic,
                };
            }
        }
    }

    /// The venue confirmed request `request_id`. Returns the topics it confirmed.
    pub fn ack_request(&mut self, request_id: u64) -> Result<Vec<T>, SubscriptionError<T>> {
        let topics = self.pending_for(request_id);
        if topics.is_empty() {
            return Err(SubscriptionError::UnknownAck { request_id });
        }
        self.set_state(&topics, SubscriptionState::Confirmed);
        Ok(topics)
    }

    /// The venue confirmed a topic (venues whose acks echo the channel, not an id).
    /// Returns `false` if it was not pending (a late or duplicate ack).
    pub fn ack_topic(&mut self, topic: &T) -> bool {
        match self.entries.iter_mut().find(|(t, _)| t == topic) {
            Some((_, state @ SubscriptionState::Pending { .. })) => {
                *state = SubscriptionState::Confirmed;
                true
            }
            _ => false,
        }
    }

    /// The venue refused request `request_id`: the error names every refused topic.
    pub fn reject_request(&mut self, request_id: u64, reason: &str) -> SubscriptionError<T> {
        let topics = self.pending_for(request_id);
        if topics.is_empty() {
            return SubscriptionError::UnknownAck { request_id };
        }
        self.set_state(&topics, SubscriptionState::Rejected(reason.to_string()));
        SubscriptionError::Rejected {
            topics,
            reason: reason.to_string(),
        }
    }

    /// The venue refused specific topics.
    pub fn reject_topics(&mut self, topics: &[T], reason: &str) -> SubscriptionError<T> {
        self.set_state(topics, SubscriptionState::Rejected(reason.to_string()));
        SubscriptionError::Rejected {
            topics: topics.to_vec(),
            reason: reason.to_string(),
        }
    }

    /// Topics pending longer than the ack timeout; they go back to `Inactive`.
    pub fn take_timed_out(&mut self, now: Timestamp) -> Option<SubscriptionError<T>> {
        let mut topics = Vec::new();
        for (t, s) in &mut self.entries {
            if let SubscriptionState::Pending { sent_at, .. } = s
                && now.monotonic.saturating_duration_since(*sent_at) >= self.ack_timeout
            {
                topics.push(t.clone());
                *s = SubscriptionState::Inactive;
            }
        }
        (!topics.is_empty()).then_some(SubscriptionError::AckTimeout {
            topics,
            timeout: self.ack_timeout,
        })
    }

    /// The connection is gone: everything not rejected becomes `Inactive`.
    pub fn on_disconnected(&mut self) {
        for (_, s) in &mut self.entries {
            if !matches!(s, SubscriptionState::Rejected(_)) {
                *s = SubscriptionState::Inactive;
            }
        }
    }

    /// Sends requests for every `Inactive` topic (after a connect, after auth, or after
    /// `add`), batched as the mixin allows, and marks them pending. Returns how many
    /// requests went out.
    pub fn send_inactive<M>(&mut self, mixin: &M, now: Timestamp, out: &mut Outbox) -> usize
    where
        M: SubscriptionMixin<Topic = T> + ?Sized,
    {
        let inactive: Vec<T> = self
            .entries
            .iter()
            .filter(|(_, s)| *s == SubscriptionState::Inactive)
            .map(|(t, _)| t.clone())
            .collect();
        let max = mixin.max_topics_per_request().max(1);
        let mut requests = 0;
        let mut batch: Vec<T> = Vec::new();
        for topic in inactive {
            let fits = batch.len() < max && batch.iter().all(|b| mixin.can_batch(b, &topic));
            if !fits {
                self.send_batch(mixin, &mut batch, now, out);
                requests += 1;
            }
            batch.push(topic);
        }
        if !batch.is_empty() {
            self.send_batch(mixin, &mut batch, now, out);
            requests += 1;
        }
        requests
    }

    /// Sends an unsubscribe for `topics` and forgets them.
    pub fn unsubscribe<M>(&mut self, mixin: &M, topics: &[T], now: Timestamp, out: &mut Outbox)
    where
        M: SubscriptionMixin<Topic = T> + ?Sized,
    {
        let live: Vec<T> = topics
            .iter()
            .filter(|t| {
                matches!(
                    self.state(t),
                    Some(SubscriptionState::Confirmed | SubscriptionState::Pending { .. })
                )
            })
            .cloned()
            .collect();
        for topic in topics {
            self.remove(topic);
        }
        for chunk in live.chunks(mixin.max_topics_per_request().max(1)) {
            let id = self.next_request_id();
            out.send(mixin.unsubscribe_message(chunk, id, now));
        }
    }

    fn send_batch<M>(&mut self, mixin: &M, batch: &mut Vec<T>, now: Timestamp, out: &mut Outbox)
    where
        M: SubscriptionMixin<Topic = T> + ?Sized,
    {
        let id = self.next_request_id();
        out.send(mixin.subscribe_message(batch, id, now));
        self.mark_pending(batch, id, now);
        batch.clear();
    }

    fn pending_for(&self, request_id: u64) -> Vec<T> {
        self.entries
            .iter()
            .filter(|(_, s)| {
                matches!(s, SubscriptionState::Pending { request_id: r, .. } if *r == request_id)
            })
            .map(|(t, _)| t.clone())
            .collect()
    }

    fn set_state(&mut self, topics: &[T], state: SubscriptionState) {
        for (t, s) in &mut self.entries {
            if topics.contains(t) {
                *s = state.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    enum Chan {
        Trades(&'static str),
        Book(&'static str),
    }

    struct Json;
    impl SubscriptionMixin for Json {
        type Topic = Chan;
        fn subscribe_message(&self, topics: &[Chan], id: u64, now: Timestamp) -> OutFrame {
            OutFrame::text(format!("sub {id} {topics:?} @{}", now.unix_seconds()))
        }
        fn unsubscribe_message(&self, topics: &[Chan], id: u64, _now: Timestamp) -> OutFrame {
            OutFrame::text(format!("unsub {id} {topics:?}"))
        }
    }

    struct Batching;
    impl SubscriptionMixin for Batching {
        type Topic = Chan;
        fn subscribe_message(&self, topics: &[Chan], id: u64, _now: Timestamp) -> OutFrame {
            OutFrame::text(format!("sub {id} {}", topics.len()))
        }
        fn unsubscribe_message(&self, topics: &[Chan], id: u64, _now: Timestamp) -> OutFrame {
            OutFrame::text(format!("unsub {id} {}", topics.len()))
        }
        fn max_topics_per_request(&self) -> usize {
            2
        }
        fn can_batch(&self, a: &Chan, b: &Chan) -> bool {
            std::mem::discriminant(a) == std::mem::discriminant(b)
        }
    }

    fn now() -> Timestamp {
        Timestamp::new(Instant::now(), 5_000_000_000)
    }

    #[test]
    fn mixin_defaults() {
        assert_eq!(Json.max_topics_per_request(), 1);
        assert!(Json.can_batch(&Chan::Book("A"), &Chan::Trades("B")));
    }

    #[test]
    fn subscribe_ack_and_resubscribe_after_disconnect() {
        let mut reg = SubscriptionRegistry::new(Duration::from_secs(5));
        let mut out = Outbox::new();
        assert!(reg.add(Chan::Trades("BTC")));
        assert!(!reg.add(Chan::Trades("BTC")), "duplicates are ignored");
        reg.add(Chan::Book("BTC"));
        assert_eq!(reg.send_inactive(&Json, now(), &mut out), 2);
        assert_eq!(out.frames().len(), 2);
        assert!(!reg.all_confirmed());
        assert_eq!(reg.ack_request(1), Ok(vec![Chan::Trades("BTC")]));
        assert!(reg.ack_topic(&Chan::Book("BTC")));
        assert!(!reg.ack_topic(&Chan::Book("BTC")), "late duplicate ack");
        assert!(reg.all_confirmed());
        assert_eq!(
            reg.ack_request(99),
            Err(SubscriptionError::UnknownAck { request_id: 99 })
        );

        reg.on_disconnected();
        assert_eq!(
            reg.state(&Chan::Book("BTC")),
            Some(&SubscriptionState::Inactive)
        );
        out.clear();
        assert_eq!(
            reg.send_inactive(&Json, now(), &mut out),
            2,
            "resubscribes all"
        );
    }

    #[test]
    fn rejection_names_topics_and_is_not_resent() {
        let mut reg = SubscriptionRegistry::new(Duration::from_secs(5));
        let mut out = Outbox::new();
        reg.add(Chan::Trades("NOPE"));
        reg.send_inactive(&Json, now(), &mut out);
        let err = reg.reject_request(1, "unknown currency pair");
        assert_eq!(
            err,
            SubscriptionError::Rejected {
                topics: vec![Chan::Trades("NOPE")],
                reason: "unknown currency pair".into()
            }
        );
        assert!(err.to_string().contains("NOPE"));
        reg.on_disconnected();
        out.clear();
        assert_eq!(reg.send_inactive(&Json, now(), &mut out), 0);
        assert_eq!(reg.active().count(), 0);
        // Asking again retries it.
        assert!(reg.add(Chan::Trades("NOPE")));
        assert_eq!(reg.send_inactive(&Json, now(), &mut out), 1);
    }

    #[test]
    fn batching_respects_limit_and_compatibility() {
        let mut reg = SubscriptionRegistry::new(Duration::from_secs(5));
        let mut out = Outbox::new();
        for s in ["A", "B", "C"] {
            reg.add(Chan::Trades(s));
        }
        reg.add(Chan::Book("A"));
        assert_eq!(reg.send_inactive(&Batching, now(), &mut out), 3);
        let texts = out.frames().to_vec();
        assert_eq!(
            texts,
            vec![
                OutFrame::text("sub 1 2"),
                OutFrame::text("sub 2 1"),
                OutFrame::text("sub 3 1")
            ]
        );
        assert_eq!(reg.ack_request(1).map(|t| t.len()), Ok(2));
    }

    #[test]
    fn ack_timeout_returns_topics_to_inactive() {
        let mut reg = SubscriptionRegistry::new(Duration::from_secs(5));
        let mut out = Outbox::new();
        let t = now();
        reg.add(Chan::Book("X"));
        reg.send_inactive(&Json, t, &mut out);
        assert!(
            reg.take_timed_out(t.advanced(Duration::from_secs(4)))
                .is_none()
        );
        let err = reg.take_timed_out(t.advanced(Duration::from_secs(5)));
        assert!(
            matches!(err, Some(SubscriptionError::AckTimeout { ref topics, .. }) if topics == &vec![Chan::Book("X")])
        );
        assert_eq!(
            reg.state(&Chan::Book("X")),
            Some(&SubscriptionState::Inactive)
        );
    }

    #[test]
    fn unsubscribe_sends_only_for_live_topics() {
        let mut reg = SubscriptionRegistry::new(Duration::from_secs(5));
        let mut out = Outbox::new();
        reg.add(Chan::Book("X"));
        reg.add(Chan::Book("Y"));
        reg.send_inactive(&Json, now(), &mut out);
        reg.ack_request(1).ok();
        reg.add(Chan::Book("Z"));
        out.clear();
        reg.unsubscribe(&Json, &[Chan::Book("X"), Chan::Book("Z")], now(), &mut out);
        assert_eq!(out.frames().len(), 1);
        assert_eq!(reg.len(), 1);
        assert!(reg.remove(&Chan::Book("Q")).is_none());
    }
}
