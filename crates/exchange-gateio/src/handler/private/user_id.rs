//! The account's user id, which futures private channels carry: configured
//! (`GateioHandlerConfig::user_id`, `GATEIO_UID`), else learnt over signed REST
//! (`GET /futures/usdt/accounts` names it as `user`), else learnt by logging in
//! (`futures.login`), which some accounts cannot use (`NOT_SUPPORTED`): then the handler
//! stops and says what to configure.

use serde_json::Value;
use ws_mixins::{ErrorCategory, PrivateWebSocketMixin};
use ws_session::{
    Outbox, RestFailure, RestReply, RestRequestId, RestResponse, SessionSignal, Timestamp,
};

use crate::channel::{Market, UserId};
use crate::error::Error;

use super::super::config::LoginMode;
use super::super::market::GateioMarket;
use super::GateioPrivateParts;

/// The REST lookup of the user id.
#[derive(Debug, Default)]
pub(super) struct UserIdLookup {
    /// The request in flight.
    pending: Option<RestRequestId>,
    /// Why REST did not tell it (the handler logs in instead).
    failed: Option<String>,
}

impl UserIdLookup {
    /// The connection closed: a lookup in flight is asked again on the next one.
    pub(super) fn on_disconnected(&mut self) {
        self.pending = None;
    }
}

const ACCOUNTS: &str = "/futures/usdt/accounts";

impl<H: PrivateWebSocketMixin, M: GateioMarket> GateioPrivateParts<H, M> {
    /// Futures without a user id ask REST for it before subscribing. `true` while the
    /// answer is awaited.
    pub(super) fn learn_user_id_first(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        if M::MARKET != Market::Futures
            || self.format.user_id().is_some()
            || self.user_lookup.failed.is_some()
        {
            return false;
        }
        if self.user_lookup.pending.is_some() {
            return true;
        }
        let id = self.reconciler.next_request_id();
        let Some(request) = self.reconciler.venue().signed_get(id, ACCOUNTS, "", now) else {
            return false;
        };
        out.rest(request);
        self.user_lookup.pending = Some(id);
        true
    }

    /// The answer to the lookup, if `response` is one (`true`); the waiting connection
    /// subscribes (or logs in first when REST did not tell).
    pub(super) fn on_user_id_response(
        &mut self,
        response: &RestResponse,
        now: Timestamp,
        out: &mut Outbox,
    ) -> bool {
        if self.user_lookup.pending != Some(response.id) {
            return false;
        }
        self.user_lookup.pending = None;
        match user_of(&response.result) {
            Ok(user) => {
                tracing::info!(
                    exchange = M::PRIVATE_NAME,
                    user_id = user,
                    "account user id learnt over REST ({ACCOUNTS})"
                );
                self.format.set_user_id(UserId(user));
            }
            Err(reason) => {
                tracing::warn!(
                    exchange = M::PRIVATE_NAME,
                    %reason,
                    "{ACCOUNTS} did not name the account's user id; logging in \
                     (futures.login) to learn it (set GATEIO_UID to skip this)"
                );
                self.user_lookup.failed = Some(reason);
                self.auth.set_login_mode(LoginMode::LoginFirst);
            }
        }
        if self.fatal.is_none() && !self.lifecycle.is_connected() {
            self.subscribe_all(now, out);
        }
        true
    }

    /// A refused `futures.login` that was the last way to learn the user id: stops with
    /// what to configure (`true`). Refused credentials and passing failures are not this.
    pub(super) fn user_id_login_refused(&mut self, error: &Error, out: &mut Outbox) -> bool {
        if M::MARKET != Market::Futures
            || self.format.user_id().is_some()
            || error.is_expired()
            || error.is_retryable()
        {
            return false;
        }
        let rest = match &self.user_lookup.failed {
            Some(why) => format!("; {ACCOUNTS} did not name it either ({why})"),
            None => String::new(),
        };
        let reason = format!(
            "futures private channels need the account's user id, and futures.login, the \
             last way to learn it, was refused: {error}{rest}; set GATEIO_UID (wsx \
             environment or credentials file) or GateioHandlerConfig::user_id"
        );
        self.report(ErrorCategory::Authentication, reason.clone());
        self.fatal = Some(reason.clone());
        out.signal(SessionSignal::Fatal(reason));
        true
    }
}

/// The `user` of a futures account answer (a number, or a string of one).
fn user_of(result: &Result<RestReply, RestFailure>) -> Result<u64, String> {
    let reply = result.as_ref().map_err(|failure| format!("{failure:?}"))?;
    if reply.status != 200 {
        return Err(format!("HTTP {}", reply.status));
    }
    let body: Value = serde_json::from_slice(&reply.body).map_err(|e| e.to_string())?;
    match body.get("user") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .filter(|user| *user != 0)
    .ok_or_else(|| "no user id in the answer".to_string())
}
