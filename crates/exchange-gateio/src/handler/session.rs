//! The `VenueSession` hooks both Gate sessions (market data and account) share: the
//! connection settings, stopping for good, the queue of a frame, and the timed ping.

use ws_handlers::Role;
use ws_session::{
    ConnectionContext, DisconnectCause, InboundFrame, OutFrame, Outbox, ReconnectDecision,
    SessionSignal, StreamKind, Timestamp,
};

use crate::channel::{Market, ping_request};

use super::config::GateioHandlerConfig;
use super::format::message_type;
use super::market::GateioMarket;

/// The configured URL, headers and heartbeat, under the connection's name in logs.
pub(super) fn connection_context<M: GateioMarket>(
    config: &GateioHandlerConfig,
    role: Role,
) -> ConnectionContext {
    config.context(match (M::MARKET, role) {
        (Market::Spot, Role::Public) => "gateio-spot-public",
        (Market::Futures, Role::Public) => "gateio-futures-public",
        (Market::Spot, Role::Private) => "gateio-spot-private",
        (Market::Futures, Role::Private) => "gateio-futures-private",
    })
}

/// A session stopped for good (authentication refused, credentials missing) stays
/// stopped; otherwise the default (fatal causes stop, `Retry-After` is honoured,
/// everything else is retried with backoff).
pub(super) fn classify_disconnect(
    fatal: Option<&str>,
    cause: &DisconnectCause,
) -> ReconnectDecision {
    if fatal.is_some() {
        return ReconnectDecision::Stop;
    }
    cause.default_decision()
}

/// On a connect, a session stopped for good only raises why (the driver acts on
/// signals only while connected). Whether it did.
pub(super) fn refuse_connect(fatal: Option<&str>, out: &mut Outbox) -> bool {
    match fatal {
        Some(reason) => {
            out.signal(SessionSignal::AuthenticationFailed(reason.to_string()));
            true
        }
        None => false,
    }
}

/// Which queue a frame belongs to, read from its envelope.
#[inline]
pub(super) fn stream_kind(frame: &InboundFrame<'_>) -> StreamKind {
    message_type(frame.payload).stream_kind()
}

/// `spot.ping` / `futures.ping`, which carries the time.
pub(super) fn app_ping<M: GateioMarket>(now: Timestamp) -> Option<OutFrame> {
    Some(OutFrame::text(ping_request(
        M::MARKET,
        now.unix_seconds(),
        None,
    )))
}
