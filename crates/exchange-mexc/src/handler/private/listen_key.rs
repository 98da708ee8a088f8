//! The listen key's lifecycle: created or checked before connecting, kept alive while
//! connected, replaced when the venue forgets it, deleted on close.
//!
//! [`ListenKeyLifecycle`] is sans-IO and shared: the private handler and the compat
//! crate's legacy strategy both drive it, so the keep-alive schedule and the expiry rules
//! live here once.

use std::fmt;
use std::time::{Duration, Instant};

use ws_mixins::{ErrorCategory, PrivateWebSocketMixin};
use ws_session::{Outbox, RestRequest, RestRequestId, RestResponse, SessionSignal, Timestamp};

use crate::auth::RestSigner;
use crate::error::Error;
use crate::rest::{check_reply, parse_listen_key};

use super::{MexcPrivateParts, USER_DATA_STREAM};

/// What a key held across a disconnect becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenKeyReuse {
    /// Extend it (which checks it) before the next connection; a key that cannot be had
    /// lets the attempt proceed, so the connection can back off.
    VerifyHeld,
    /// Delete it and create a new one before the next connection, retrying the creation
    /// before every attempt (the old strategies' behaviour).
    Replace,
}

/// What a listen-key REST request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenKeyPurpose {
    Create,
    Verify,
    KeepAlive,
    Delete,
}

/// A listen-key REST answer, fed back through [`ListenKeyLifecycle::on_response`].
#[derive(Debug)]
pub enum ListenKeyReply {
    /// A key was created and is ready.
    Created,
    /// The key was created but the answer did not carry a readable key: none is held.
    Unreadable(Error),
    /// The held key was checked and is ready.
    Verified,
    /// The key was extended.
    KeptAlive,
    /// The key was deleted.
    Deleted,
    /// The venue refused the request; pass it to [`ListenKeyLifecycle::on_failure`] once
    /// fatal errors are dealt with.
    Failed(ListenKeyPurpose, Error),
}

/// The listen key, its keep-alive timer and its requests in flight. Time is passed in,
/// requests are pushed to an [`Outbox`] and answers fed back. The key is a credential:
/// Debug does not show it.
pub struct ListenKeyLifecycle {
    key: Option<String>,
    state: KeyState,
    keep_alive_at: Option<Instant>,
    keep_alive_in_flight: bool,
    /// A key to delete before creating the next one ([`ListenKeyReuse::Replace`]).
    stale: Option<String>,
    /// At most one create or verify, one keep-alive and a delete or two at a time.
    in_flight: Vec<(RestRequestId, ListenKeyPurpose)>,
    keep_alive: Duration,
    retry: Duration,
    reuse: ListenKeyReuse,
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

impl ListenKeyLifecycle {
    /// A lifecycle extending the key every `keep_alive` and retrying a keep-alive that
    /// failed for a passing reason after `retry`.
    pub fn new(keep_alive: Duration, retry: Duration, reuse: ListenKeyReuse) -> Self {
        Self {
            key: None,
            state: KeyState::Missing,
            keep_alive_at: None,
            keep_alive_in_flight: false,
            stale: None,
            in_flight: Vec::new(),
            keep_alive,
            retry,
            reuse,
        }
    }

    /// The key, for the connection URL only.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Why no key could be created, if that is the state.
    pub fn unavailable(&self) -> Option<&str> {
        match &self.state {
            KeyState::Unavailable(reason) => Some(reason),
            _ => None,
        }
    }

    /// Whether `id` is a listen-key request of this lifecycle still unanswered.
    pub fn owns(&self, id: RestRequestId) -> bool {
        self.in_flight.iter().any(|(own, _)| *own == id)
    }

    /// Before connecting: creates a key when there is none (deleting a replaced one
    /// first), or checks the one held after a disconnect. `true` when the connection can
    /// be opened.
    pub fn prepare(
        &mut self,
        signer: &RestSigner,
        now: Timestamp,
        mut next_id: impl FnMut() -> RestRequestId,
        out: &mut Outbox,
    ) -> bool {
        if self.reuse == ListenKeyReuse::Replace && matches!(self.state, KeyState::Unavailable(_)) {
            self.state = KeyState::Missing;
        }
        match self.state {
            KeyState::Ready | KeyState::Unavailable(_) => true,
            KeyState::Creating | KeyState::Verifying => false,
            KeyState::Missing => {
                if let Some(stale) = self.stale.take() {
                    let id = next_id();
                    self.send(
                        ListenKeyPurpose::Delete,
                        signer.delete_listen_key(&stale, id, now),
                        out,
                    );
                }
                self.state = KeyState::Creating;
                let id = next_id();
                self.send(
                    ListenKeyPurpose::Create,
                    signer.create_listen_key(id, now),
                    out,
                );
                false
            }
            KeyState::Unverified => {
                let Some(key) = self.key.as_deref() else {
                    self.state = KeyState::Missing;
                    return false;
                };
                let request = signer.keep_alive_listen_key(key, next_id(), now);
                self.state = KeyState::Verifying;
                self.send(ListenKeyPurpose::Verify, request, out);
                false
            }
        }
    }

    /// A connection attempt failed: check the key again before the next one, and retry
    /// one that could not be created.
    pub fn recheck(&mut self) {
        match self.state {
            KeyState::Ready => self.state = KeyState::Unverified,
            KeyState::Unavailable(_) => self.state = KeyState::Missing,
            _ => {}
        }
    }

    /// Connected: the keep-alive timer runs from now if it was not set by the creation.
    pub fn on_connected(&mut self, now: Timestamp) {
        if self.keep_alive_at.is_none() {
            self.keep_alive_at = Some(now.monotonic + self.keep_alive);
        }
    }

    /// While connected: extends the key when it is due and no keep-alive is in flight.
    pub fn on_tick(
        &mut self,
        signer: &RestSigner,
        now: Timestamp,
        mut next_id: impl FnMut() -> RestRequestId,
        out: &mut Outbox,
    ) {
        let due = self.state == KeyState::Ready
            && !self.keep_alive_in_flight
            && self.keep_alive_at.is_some_and(|at| now.monotonic >= at);
        if due && let Some(key) = self.key.as_deref() {
            let request = signer.keep_alive_listen_key(key, next_id(), now);
            self.keep_alive_in_flight = true;
            self.send(ListenKeyPurpose::KeepAlive, request, out);
        }
    }

    /// A REST answer: `None` when it is not for one of this lifecycle's requests.
    /// Successes are applied; a failure is returned for the owner to judge.
    pub fn on_response(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
    ) -> Option<ListenKeyReply> {
        let index = self
            .in_flight
            .iter()
            .position(|(id, _)| *id == response.id)?;
        let (_, purpose) = self.in_flight.swap_remove(index);
        let reply = match check_reply(USER_DATA_STREAM, &response.result) {
            Ok(body) => body,
            Err(error) => return Some(ListenKeyReply::Failed(purpose, error)),
        };
        Some(match purpose {
            ListenKeyPurpose::Create => match parse_listen_key(reply) {
                Ok(key) => {
                    self.key = Some(key);
                    self.state = KeyState::Ready;
                    self.keep_alive_at = Some(now.monotonic + self.keep_alive);
                    ListenKeyReply::Created
                }
                Err(error) => {
                    self.set_unavailable(&error);
                    ListenKeyReply::Unreadable(error)
                }
            },
            ListenKeyPurpose::Verify => {
                self.state = KeyState::Ready;
                self.keep_alive_at = Some(now.monotonic + self.keep_alive);
                ListenKeyReply::Verified
            }
            ListenKeyPurpose::KeepAlive => {
                self.keep_alive_in_flight = false;
                self.keep_alive_at = Some(now.monotonic + self.keep_alive);
                ListenKeyReply::KeptAlive
            }
            ListenKeyPurpose::Delete => ListenKeyReply::Deleted,
        })
    }

    /// The expiry rules for a refused request. `true` when the key was dropped because
    /// the venue no longer knows it (a stream on it is dead or about to be).
    pub fn on_failure(&mut self, purpose: ListenKeyPurpose, error: &Error, now: Timestamp) -> bool {
        match purpose {
            ListenKeyPurpose::Create => self.set_unavailable(error),
            ListenKeyPurpose::Verify if error.is_retryable() => {
                // Cannot tell: use the key; if the venue refuses it, the next attempt
                // checks it again.
                self.state = KeyState::Ready;
            }
            ListenKeyPurpose::Verify => {
                self.forget();
                return true;
            }
            ListenKeyPurpose::KeepAlive if error.is_retryable() => {
                self.keep_alive_in_flight = false;
                self.keep_alive_at = Some(now.monotonic + self.retry);
            }
            ListenKeyPurpose::KeepAlive => {
                self.forget();
                return true;
            }
            ListenKeyPurpose::Delete => {}
        }
        false
    }

    /// Disconnected: the key is checked again ([`ListenKeyReuse::VerifyHeld`]) or
    /// replaced ([`ListenKeyReuse::Replace`]) before the next connection.
    pub fn on_disconnected(&mut self) {
        self.keep_alive_in_flight = false;
        match self.reuse {
            ListenKeyReuse::VerifyHeld => {
                self.state = match std::mem::take(&mut self.state) {
                    KeyState::Ready | KeyState::Unverified if self.key.is_some() => {
                        KeyState::Unverified
                    }
                    _ => KeyState::Missing,
                };
            }
            ListenKeyReuse::Replace => {
                self.stale = self.key.take();
                self.keep_alive_at = None;
                self.state = KeyState::Missing;
            }
        }
    }

    /// Closing: deletes the key (`DELETE /api/v3/userDataStream`).
    pub fn close(
        &mut self,
        signer: &RestSigner,
        now: Timestamp,
        mut next_id: impl FnMut() -> RestRequestId,
        out: &mut Outbox,
    ) {
        if let Some(key) = self.key.take() {
            let id = next_id();
            self.send(
                ListenKeyPurpose::Delete,
                signer.delete_listen_key(&key, id, now),
                out,
            );
        }
        self.state = KeyState::Missing;
    }

    /// Drops the key and its timers (answers to requests in flight are still recognised).
    pub fn forget(&mut self) {
        self.key = None;
        self.state = KeyState::Missing;
        self.keep_alive_at = None;
        self.keep_alive_in_flight = false;
    }

    fn set_unavailable(&mut self, error: &Error) {
        self.key = None;
        self.state = KeyState::Unavailable(error.to_string());
    }

    fn send(&mut self, purpose: ListenKeyPurpose, request: RestRequest, out: &mut Outbox) {
        self.in_flight.push((request.id, purpose));
        out.rest(request);
    }
}

impl fmt::Debug for ListenKeyLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListenKeyLifecycle")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("state", &self.state)
            .field("keep_alive_at", &self.keep_alive_at)
            .field("keep_alive_in_flight", &self.keep_alive_in_flight)
            .field("stale", &self.stale.as_ref().map(|_| "<redacted>"))
            .field("in_flight", &self.in_flight)
            .field("keep_alive", &self.keep_alive)
            .field("retry", &self.retry)
            .field("reuse", &self.reuse)
            .finish()
    }
}

impl<H: PrivateWebSocketMixin> MexcPrivateParts<H> {
    pub(super) fn on_key_reply(&mut self, reply: ListenKeyReply, now: Timestamp, out: &mut Outbox) {
        match reply {
            ListenKeyReply::Created => self.counters.listen_keys_created += 1,
            ListenKeyReply::Verified => self.counters.listen_keys_verified += 1,
            ListenKeyReply::KeptAlive => self.counters.keep_alives += 1,
            ListenKeyReply::Deleted => self.counters.listen_keys_deleted += 1,
            ListenKeyReply::Unreadable(_) => {}
            ListenKeyReply::Failed(purpose, error) => self.on_key_error(purpose, &error, now, out),
        }
    }

    fn on_key_error(
        &mut self,
        purpose: ListenKeyPurpose,
        error: &Error,
        now: Timestamp,
        out: &mut Outbox,
    ) {
        self.counters.rest_errors += 1;
        if error.is_fatal() {
            self.reject_credentials(error.to_string(), out);
            return;
        }
        if self.on_key_clock_refusal(purpose, error, now, out) {
            return;
        }
        self.report(ErrorCategory::Rest, format!("listen key: {error}"));
        if purpose == ListenKeyPurpose::KeepAlive {
            self.counters.keep_alive_failures += 1;
        }
        if !self.key.on_failure(purpose, error, now) {
            return;
        }
        self.counters.listen_keys_replaced += 1;
        // A new connection gets a new key.
        if purpose == ListenKeyPurpose::KeepAlive && self.subscriptions.is_connected() {
            out.signal(SessionSignal::Reconnect(format!(
                "listen key no longer valid: {error}"
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ws_session::{Outbox, RestMethod, RestReply, RestRequestId, RestResponse, Timestamp};

    use super::{ListenKeyLifecycle, ListenKeyReply, ListenKeyReuse};
    use crate::auth::RestSigner;
    use crate::config::Credentials;

    fn created(reuse: ListenKeyReuse) -> (ListenKeyLifecycle, RestSigner, Timestamp) {
        let signer = RestSigner::new(
            "https://api.mexc.com",
            Credentials::new("api-key", b"secret"),
        );
        let now = Timestamp::now();
        let mut lifecycle =
            ListenKeyLifecycle::new(Duration::from_secs(60), Duration::from_secs(2), reuse);
        let mut out = Outbox::new();
        let mut ids = 0;
        let mut next_id = || {
            ids += 1;
            RestRequestId(ids)
        };
        assert!(!lifecycle.prepare(&signer, now, &mut next_id, &mut out));
        let response = RestResponse {
            id: RestRequestId(1),
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: br#"{"listenKey":"lk-do-not-show"}"#.to_vec().into(),
            }),
        };
        let reply = lifecycle.on_response(&response, now);
        assert!(matches!(reply, Some(ListenKeyReply::Created)), "{reply:?}");
        (lifecycle, signer, now)
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let (mut lifecycle, _, _) = created(ListenKeyReuse::Replace);
        assert_eq!(lifecycle.key(), Some("lk-do-not-show"));
        assert!(!format!("{lifecycle:?}").contains("lk-do-not-show"));
        // Held for deletion after a disconnect: still not shown.
        lifecycle.on_disconnected();
        assert!(!format!("{lifecycle:?}").contains("lk-do-not-show"));
    }

    #[test]
    fn keep_alive_is_sent_when_due_and_once_in_flight() {
        let (mut lifecycle, signer, now) = created(ListenKeyReuse::VerifyHeld);
        let mut out = Outbox::new();
        let mut ids = 10;
        let mut next_id = || {
            ids += 1;
            RestRequestId(ids)
        };
        lifecycle.on_tick(&signer, now, &mut next_id, &mut out);
        assert!(!lifecycle.owns(RestRequestId(11)));
        let later = Timestamp {
            monotonic: now.monotonic + Duration::from_secs(61),
            ..now
        };
        lifecycle.on_tick(&signer, later, &mut next_id, &mut out);
        lifecycle.on_tick(&signer, later, &mut next_id, &mut out);
        assert!(lifecycle.owns(RestRequestId(11)));
        assert!(!lifecycle.owns(RestRequestId(12)));
    }

    #[test]
    fn replace_deletes_the_old_key_before_creating_the_next() {
        let (mut lifecycle, signer, now) = created(ListenKeyReuse::Replace);
        lifecycle.on_disconnected();
        assert_eq!(lifecycle.key(), None);
        let mut out = Outbox::new();
        let mut ids = 10;
        let mut next_id = || {
            ids += 1;
            RestRequestId(ids)
        };
        assert!(!lifecycle.prepare(&signer, now, &mut next_id, &mut out));
        // Creating: nothing more is sent until the answer.
        assert!(!lifecycle.prepare(&signer, now, &mut next_id, &mut out));
        let methods: Vec<_> = out.drain_rest().map(|r| (r.id, r.method)).collect();
        assert_eq!(
            methods,
            [
                (RestRequestId(11), RestMethod::Delete),
                (RestRequestId(12), RestMethod::Post)
            ]
        );
    }
}
