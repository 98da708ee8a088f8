//! Gate.io: what the legacy path takes from the venue's connector, so that both paths
//! subscribe the same channels with the same settings.

use exchange_gateio::{GateioHandlerConfig, Market};
use venue_registry::{GateioFutures, GateioSpot, VenueConnector};

use crate::config::ExchangeEnum;
use crate::error::CompatError;
use crate::setup::{VenueSetup, request};

/// Spot or futures.
pub(crate) fn market(exchange: ExchangeEnum) -> Market {
    match exchange {
        ExchangeEnum::GateioFutures => Market::Futures,
        ExchangeEnum::Gateio | ExchangeEnum::Mexc => Market::Spot,
    }
}

/// The settings the connector derives from the old inputs (endpoints up to `/api/v4`,
/// book depth, credentials of private streams).
pub(crate) fn handler_config(setup: &VenueSetup) -> Result<GateioHandlerConfig, CompatError> {
    fn config<V: VenueConnector<Config = GateioHandlerConfig>>(
        setup: &VenueSetup,
    ) -> Result<GateioHandlerConfig, CompatError> {
        V::config(&request::<V>(setup, &[], &[])?)
            .map_err(|e| CompatError::InvalidConfig(e.to_string()))
    }
    match market(setup.exchange) {
        Market::Spot => config::<GateioSpot>(setup),
        Market::Futures => config::<GateioFutures>(setup),
    }
}
