//! The per-connection lifecycle every exchange handler shares: authenticate, then
//! (re)subscribe everything that was active, check every ack, and tell the driver when the
//! connection delivers.

use std::time::{Duration, Instant};

use ws_mixins::{
    AuthMixin, AuthStart, Authenticator, SubscriptionError, SubscriptionMixin,
    SubscriptionRegistry, Topic,
};
use ws_session::{Outbox, SessionSignal, Timestamp};

/// Connection-scoped state a handler embeds next to its parsers and books.
#[derive(Debug, Clone)]
pub struct Lifecycle<T: Topic> {
    auth: Authenticator,
    subscriptions: SubscriptionRegistry<T>,
    connected: bool,
    ready_signalled: bool,
    /// When topics refused with a server-side error are requested again.
    retry_refused_at: Option<Instant>,
}

impl<T: Topic> Lifecycle<T> {
    /// A lifecycle whose subscription acks time out after `ack_timeout`.
    pub fn new(ack_timeout: Duration) -> Self {
        Self {
            auth: Authenticator::new(),
            subscriptions: SubscriptionRegistry::new(ack_timeout),
            connected: false,
            ready_signalled: false,
            retry_refused_at: None,
        }
    }

    /// The subscription registry.
    pub fn subscriptions(&self) -> &SubscriptionRegistry<T> {
        &self.subscriptions
    }

    /// The subscription registry, for acks and rejections.
    pub fn subscriptions_mut(&mut self) -> &mut SubscriptionRegistry<T> {
        &mut self.subscriptions
    }

    /// The authenticator.
    pub fn auth(&self) -> &Authenticator {
        &self.auth
    }

    /// Whether a socket is open.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Socket open: authenticate, and subscribe at once if nothing needs confirming.
    pub fn on_connected<A, M>(&mut self, auth: &mut A, format: &M, now: Timestamp, out: &mut Outbox)
    where
        A: AuthMixin + ?Sized,
        M: SubscriptionMixin<Topic = T> + ?Sized,
    {
        self.connected = true;
        self.ready_signalled = false;
        if self.auth.start(auth, now, out) == AuthStart::Ready {
            self.subscriptions.send_inactive(format, now, out);
            self.signal_ready_if_done(out);
        }
    }

    /// The venue confirmed the login: subscribe.
    pub fn on_authenticated<M>(&mut self, format: &M, now: Timestamp, out: &mut Outbox)
    where
        M: SubscriptionMixin<Topic = T> + ?Sized,
    {
        if self.auth.confirm() {
            self.subscriptions.send_inactive(format, now, out);
        }
        self.signal_ready_if_done(out);
    }

    /// The venue rejected the login (fatal).
    pub fn on_auth_rejected(&mut self, reason: impl Into<String>, out: &mut Outbox) {
        self.auth.reject(reason, out);
    }

    /// Adds a topic; sends the request now when the connection can take it.
    pub fn subscribe<M>(&mut self, topic: T, format: &M, now: Timestamp, out: &mut Outbox)
    where
        M: SubscriptionMixin<Topic = T> + ?Sized,
    {
        self.subscriptions.add(topic);
        if self.connected && self.auth.is_authenticated() {
            self.subscriptions.send_inactive(format, now, out);
        }
    }

    /// Removes topics, sending an unsubscribe for the live ones.
    pub fn unsubscribe<M>(&mut self, topics: &[T], format: &M, now: Timestamp, out: &mut Outbox)
    where
        M: SubscriptionMixin<Topic = T> + ?Sized,
    {
        if self.connected {
            self.subscriptions.unsubscribe(format, topics, now, out);
        } else {
            for topic in topics {
                self.subscriptions.remove(topic);
            }
        }
    }

    /// An ack by request id. Signals `Ready` once everything is confirmed.
    pub fn ack_request(
        &mut self,
        request_id: u64,
        out: &mut Outbox,
    ) -> Result<Vec<T>, SubscriptionError<T>> {
        let result = self.subscriptions.ack_request(request_id);
        self.signal_ready_if_done(out);
        result
    }

    /// An ack naming the topic. Returns `false` for a late or duplicate ack.
    pub fn ack_topic(&mut self, topic: &T, out: &mut Outbox) -> bool {
        let fresh = self.subscriptions.ack_topic(topic);
        self.signal_ready_if_done(out);
        fresh
    }

    /// The venue refused request `request_id`: the topics it carried are rejected (not
    /// resent) and, since a refusal is a final answer, `Ready` is signalled once nothing
    /// else is pending.
    pub fn reject_request(
        &mut self,
        request_id: u64,
        reason: &str,
        out: &mut Outbox,
    ) -> SubscriptionError<T> {
        let error = self.subscriptions.reject_request(request_id, reason);
        self.signal_ready_if_done(out);
        error
    }

    /// The venue refused these topics (venues whose refusals name channels, not ids).
    pub fn reject_topics(
        &mut self,
        topics: &[T],
        reason: &str,
        out: &mut Outbox,
    ) -> SubscriptionError<T> {
        let error = self.subscriptions.reject_topics(topics, reason);
        self.signal_ready_if_done(out);
        error
    }

    /// The venue refused `topics` with a server-side error: they are wanted again and
    /// requested at `at` (a later refusal moves the time).
    pub fn retry_later(&mut self, topics: &[T], at: Instant) {
        for topic in topics {
            self.subscriptions.add(topic.clone());
        }
        self.retry_refused_at = Some(at);
    }

    /// Timer work: auth and ack timeouts, and topics due to be asked for again. Returns an ack-timeout error to report; the
    /// timed-out topics are requested again at once.
    pub fn on_tick<M>(
        &mut self,
        format: &M,
        now: Timestamp,
        out: &mut Outbox,
    ) -> Option<SubscriptionError<T>>
    where
        M: SubscriptionMixin<Topic = T> + ?Sized,
    {
        if !self.connected {
            return None;
        }
        self.auth.check_timeout(now, out);
        let timed_out = self.subscriptions.take_timed_out(now);
        let retry_due = self.retry_refused_at.is_some_and(|at| now.monotonic >= at);
        if retry_due {
            self.retry_refused_at = None;
        }
        if (timed_out.is_some() || retry_due) && self.auth.is_authenticated() {
            self.subscriptions.send_inactive(format, now, out);
        }
        timed_out
    }

    /// Socket gone: everything becomes inactive, to be resent on the next connect.
    pub fn on_disconnected(&mut self) {
        self.connected = false;
        self.ready_signalled = false;
        self.retry_refused_at = None;
        self.auth.reset();
        self.subscriptions.on_disconnected();
    }

    fn signal_ready_if_done(&mut self, out: &mut Outbox) {
        if self.connected
            && !self.ready_signalled
            && self.auth.is_authenticated()
            && self.subscriptions.all_confirmed()
        {
            self.ready_signalled = true;
            out.signal(SessionSignal::Ready);
        }
    }
}
