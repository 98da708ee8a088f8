//! `AuthMixin` and the confirmation/timeout state machine every authenticating handler uses.

use std::time::{Duration, Instant};

use ws_session::{OutFrame, Outbox, SessionSignal, Timestamp};

/// Authentication behaviour (the plan's `AuthMixin`). The default is "no authentication".
pub trait AuthMixin {
    /// Whether this connection must authenticate before subscribing.
    fn requires_authentication(&self) -> bool {
        false
    }

    /// The message that authenticates the connection, built from `now` (signatures depend
    /// on it). `None` when credentials travel elsewhere (in each subscription, or in the
    /// URL as a listen key), in which case the connection counts as authenticated at once.
    fn create_auth_message(&mut self, _now: Timestamp) -> Option<OutFrame> {
        None
    }

    /// How long to wait for the venue to confirm.
    fn auth_timeout(&self) -> Duration {
        Duration::from_secs(10)
    }
}

/// Where authentication stands on the current connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// Not connected yet, or the connection does not authenticate.
    Idle,
    /// Sent; waiting for the venue until the deadline.
    Pending {
        /// When to give up.
        deadline: Instant,
    },
    /// Confirmed (or not required).
    Authenticated,
    /// Rejected by the venue.
    Failed(String),
}

/// What [`Authenticator::start`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStart {
    /// Nothing to wait for: subscribe now.
    Ready,
    /// An auth message went out: subscribe after [`Authenticator::confirm`].
    Waiting,
}

/// The plan's "authenticate with confirmation wait and timeout", sans-IO: start it on
/// connect, feed it the venue's answer, and tick it for the timeout.
#[derive(Debug, Clone)]
pub struct Authenticator {
    state: AuthState,
}

impl Default for Authenticator {
    fn default() -> Self {
        Self::new()
    }
}

impl Authenticator {
    /// Idle.
    pub fn new() -> Self {
        Self {
            state: AuthState::Idle,
        }
    }

    /// Current state.
    pub fn state(&self) -> &AuthState {
        &self.state
    }

    /// Whether subscriptions may be sent.
    pub fn is_authenticated(&self) -> bool {
        self.state == AuthState::Authenticated
    }

    /// On connect: sends the auth message if the mixin has one.
    pub fn start<A: AuthMixin + ?Sized>(
        &mut self,
        mixin: &mut A,
        now: Timestamp,
        out: &mut Outbox,
    ) -> AuthStart {
        if !mixin.requires_authentication() {
            self.state = AuthState::Authenticated;
            return AuthStart::Ready;
        }
        match mixin.create_auth_message(now) {
            Some(frame) => {
                out.send(frame);
                self.state = AuthState::Pending {
                    deadline: now.monotonic + mixin.auth_timeout(),
                };
                AuthStart::Waiting
            }
            None => {
                self.state = AuthState::Authenticated;
                AuthStart::Ready
            }
        }
    }

    /// The venue confirmed. Returns `true` if this completed a pending authentication.
    pub fn confirm(&mut self) -> bool {
        let was_pending = matches!(self.state, AuthState::Pending { .. });
        self.state = AuthState::Authenticated;
        was_pending
    }

    /// The venue rejected the credentials: fatal, so the driver stops instead of looping.
    pub fn reject(&mut self, reason: impl Into<String>, out: &mut Outbox) {
        let reason = reason.into();
        out.signal(SessionSignal::AuthenticationFailed(reason.clone()));
        self.state = AuthState::Failed(reason);
    }

    /// Checks the deadline; on timeout asks for a fresh connection (a timeout is retried,
    /// unlike a rejection). Returns `true` if it fired.
    pub fn check_timeout(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        if let AuthState::Pending { deadline } = self.state
            && now.monotonic >= deadline
        {
            out.signal(SessionSignal::Reconnect(
                "authentication not confirmed in time".into(),
            ));
            self.state = AuthState::Idle;
            return true;
        }
        false
    }

    /// The connection is gone.
    pub fn reset(&mut self) {
        if !matches!(self.state, AuthState::Failed(_)) {
            self.state = AuthState::Idle;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoAuth;
    impl AuthMixin for NoAuth {}

    struct TokenAuth;
    impl AuthMixin for TokenAuth {
        fn requires_authentication(&self) -> bool {
            true
        }
        fn create_auth_message(&mut self, now: Timestamp) -> Option<OutFrame> {
            Some(OutFrame::text(format!("auth@{}", now.unix_seconds())))
        }
        fn auth_timeout(&self) -> Duration {
            Duration::from_secs(2)
        }
    }

    struct AuthInUrl;
    impl AuthMixin for AuthInUrl {
        fn requires_authentication(&self) -> bool {
            true
        }
    }

    fn t0() -> Timestamp {
        Timestamp::new(Instant::now(), 1_700_000_000_000_000_000)
    }

    #[test]
    fn trait_defaults() {
        let mut m = NoAuth;
        assert!(!m.requires_authentication());
        assert_eq!(m.create_auth_message(t0()), None);
        assert_eq!(m.auth_timeout(), Duration::from_secs(10));
    }

    #[test]
    fn no_auth_is_ready_at_once() {
        let mut a = Authenticator::new();
        let mut out = Outbox::new();
        assert_eq!(a.start(&mut NoAuth, t0(), &mut out), AuthStart::Ready);
        assert!(a.is_authenticated());
        assert!(out.is_empty());
        let mut a = Authenticator::new();
        assert_eq!(a.start(&mut AuthInUrl, t0(), &mut out), AuthStart::Ready);
        assert!(out.is_empty());
    }

    #[test]
    fn waits_for_confirmation() {
        let mut a = Authenticator::new();
        let mut out = Outbox::new();
        let now = t0();
        assert_eq!(a.start(&mut TokenAuth, now, &mut out), AuthStart::Waiting);
        assert_eq!(out.frames(), &[OutFrame::text("auth@1700000000")]);
        assert!(!a.is_authenticated());
        assert!(!a.check_timeout(now.advanced(Duration::from_secs(1)), &mut out));
        assert!(a.confirm());
        assert!(a.is_authenticated());
        assert!(!a.confirm(), "a second confirmation completes nothing");
    }

    #[test]
    fn rejection_is_fatal_and_survives_reset() {
        let mut a = Authenticator::new();
        let mut out = Outbox::new();
        a.start(&mut TokenAuth, t0(), &mut out);
        out.clear();
        a.reject("INVALID_KEY", &mut out);
        assert_eq!(
            out.signals(),
            &[SessionSignal::AuthenticationFailed("INVALID_KEY".into())]
        );
        a.reset();
        assert_eq!(a.state(), &AuthState::Failed("INVALID_KEY".into()));
    }

    #[test]
    fn timeout_asks_for_reconnect() {
        let mut a = Authenticator::new();
        let mut out = Outbox::new();
        let now = t0();
        a.start(&mut TokenAuth, now, &mut out);
        out.clear();
        assert!(a.check_timeout(now.advanced(Duration::from_secs(2)), &mut out));
        assert!(matches!(out.signals(), [SessionSignal::Reconnect(_)]));
        assert_eq!(a.state(), &AuthState::Idle);
    }
}
