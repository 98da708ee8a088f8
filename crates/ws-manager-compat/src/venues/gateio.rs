//! Gate.io: how the old channel types and settings map onto `exchange-gateio` (shared by
//! both paths, so they subscribe the same channels with the same settings).

#[cfg(feature = "legacy-strategy")]
use exchange_gateio::Market;
use exchange_gateio::{BookDepth, Endpoints};

#[cfg(feature = "legacy-strategy")]
use crate::config::ExchangeEnum;
use crate::setup::VenueSetup;

/// Spot or futures.
#[cfg(feature = "legacy-strategy")]
pub(crate) fn market(exchange: ExchangeEnum) -> Market {
    match exchange {
        ExchangeEnum::GateioFutures => Market::Futures,
        ExchangeEnum::Gateio | ExchangeEnum::Mexc => Market::Spot,
    }
}

/// WebSocket URL and REST base (up to `/api/v4`).
pub(crate) fn endpoints(setup: &VenueSetup) -> Endpoints {
    Endpoints::custom(setup.ws_url.clone(), setup.rest_url.clone())
}

/// Book depth of both paths: the handlers' default, 20 levels every 20 ms (the old code
/// asked for 5 levels with the payload in the wrong order, defect §7.6).
pub(crate) const DEPTH: BookDepth = BookDepth::Levels20;

#[cfg(feature = "mixin")]
/// What REST signatures cover: the venue's `/api/v4`, also below a simulator's or proxy's
/// mount prefix.
pub(crate) const SIGNATURE_PREFIX: &str = "/api/v4";
