//! The listen key's lifecycle: created or checked before connecting, kept alive while
//! connected, replaced when the venue forgets it, deleted on close.

use std::fmt;
use std::time::Instant;

use ws_mixins::{ErrorCategory, PrivateWebSocketMixin};
use ws_session::{Outbox, RestRequest, RestRequestId, RestResponse, SessionSignal, Timestamp};

use crate::auth::RestSigner;
use crate::error::Error;
use crate::rest::{check_reply, parse_listen_key};

use super::{MexcPrivateWebSocketHandler, USER_DATA_STREAM};

impl<H: PrivateWebSocketMixin> MexcPrivateWebSocketHandler<H> {
    pub(super) fn send(
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

    pub(super) fn on_key_reply(
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

    pub(super) fn on_key_error(
        &mut self,
        purpose: Purpose,
        error: &Error,
        now: Timestamp,
        out: &mut Outbox,
    ) {
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

    pub(super) fn key_unavailable(&mut self, error: &Error) {
        self.key.key = None;
        self.key.state = KeyState::Unavailable(error.to_string());
    }

    pub(super) fn drop_key(&mut self) {
        self.counters.listen_keys_replaced += 1;
        self.key = ListenKey::default();
    }
}

/// The listen key and its timers. The key is a credential: Debug does not show it.
#[derive(Default)]
pub(super) struct ListenKey {
    pub(super) key: Option<String>,
    pub(super) state: KeyState,
    pub(super) keep_alive_at: Option<Instant>,
    pub(super) keep_alive_in_flight: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum KeyState {
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
pub(super) enum Purpose {
    Create,
    Verify,
    KeepAlive,
    Delete,
}

impl fmt::Debug for ListenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListenKey")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("state", &self.state)
            .field("keep_alive_at", &self.keep_alive_at)
            .field("keep_alive_in_flight", &self.keep_alive_in_flight)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_does_not_show_the_key() {
        let key = super::ListenKey {
            key: Some("lk-do-not-show".into()),
            ..Default::default()
        };
        assert!(!format!("{key:?}").contains("lk-do-not-show"));
    }
}
