//! [`GateioAuthMixin`]: signed subscriptions, or a login first.

use std::fmt;
use std::time::Duration;

use ws_handlers::ClockOffset;
use ws_mixins::AuthMixin;
use ws_session::{OutFrame, Timestamp};

use crate::auth::login_request;
use crate::channel::Market;
use crate::config::Credentials;

use super::super::config::LoginMode;

/// The plan's `GateioAuthMixin`: Gate authenticates each private subscription with a
/// signed `auth` member (HMAC-SHA512 over `channel=…&event=…&time=…`, rendered by the
/// subscription builder), and optionally the connection with `spot.login` /
/// `futures.login` first ([`LoginMode::LoginFirst`]), answered in the WebSocket API shape.
/// The confirmation wait and timeout are `ws_mixins::Authenticator`'s. Debug does not
/// show the credentials.
#[derive(Clone)]
pub struct GateioAuthMixin {
    market: Market,
    credentials: Option<Credentials>,
    login: LoginMode,
    timeout: Duration,
    logins: u64,
    /// The venue's clock minus ours: the login is signed with the venue's time.
    clock: ClockOffset,
}

impl fmt::Debug for GateioAuthMixin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GateioAuthMixin")
            .field("market", &self.market)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("login", &self.login)
            .field("timeout", &self.timeout)
            .field("logins", &self.logins)
            .field("clock_offset_ms", &self.clock.millis())
            .finish()
    }
}

impl GateioAuthMixin {
    /// Authentication for `market` with `credentials`.
    pub fn new(
        market: Market,
        credentials: Option<Credentials>,
        login: LoginMode,
        timeout: Duration,
    ) -> Self {
        Self {
            market,
            credentials,
            login,
            timeout,
            logins: 0,
            clock: ClockOffset::new(),
        }
    }

    /// Signs the login with the venue's time as `clock` tells it.
    pub fn with_clock(self, clock: ClockOffset) -> Self {
        Self { clock, ..self }
    }

    /// Whether credentials are configured.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// Logs in before subscribing, or not, from the next connection on.
    pub fn set_login_mode(&mut self, login: LoginMode) {
        self.login = login;
    }

    /// Whether the connection logs in before subscribing.
    pub fn login_mode(&self) -> LoginMode {
        self.login
    }
}

impl AuthMixin for GateioAuthMixin {
    fn requires_authentication(&self) -> bool {
        true
    }

    /// The login request in [`LoginMode::LoginFirst`]; `None` otherwise (each
    /// subscription carries its own signature, so the connection counts as
    /// authenticated at once).
    fn create_auth_message(&mut self, now: Timestamp) -> Option<OutFrame> {
        if self.login != LoginMode::LoginFirst {
            return None;
        }
        let credentials = self.credentials.as_ref()?;
        self.logins += 1;
        let req_id = format!("login-{}", self.logins);
        Some(OutFrame::text(login_request(
            self.market,
            credentials,
            self.clock.venue_seconds(now),
            &req_id,
            i64::try_from(self.logins).ok(),
        )))
    }

    fn auth_timeout(&self) -> Duration {
        self.timeout
    }
}
