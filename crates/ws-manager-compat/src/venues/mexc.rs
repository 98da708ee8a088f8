//! MEXC: what the legacy path takes from the venue's connector and how the old channel
//! types map onto `exchange-mexc` channels.

use exchange_mexc::{AggInterval, Channel, MexcConfig};
use venue_registry::{MexcSpot, VenueConnector};

use crate::error::CompatError;
use crate::setup::{ChannelKind, VenueSetup, request};
use crate::types::PrivateWebsocketChannelType;
use crate::types::PublicWebsocketChannelType;

/// The venue configuration the connector derives from the old inputs (credentials on
/// private streams only).
pub(crate) fn mexc_config(setup: &VenueSetup) -> Result<MexcConfig, CompatError> {
    let config = MexcSpot::config(&request::<MexcSpot>(setup, &[], &[])?)
        .map_err(|e| CompatError::InvalidConfig(e.to_string()))?;
    Ok(config.mexc)
}

/// The MEXC channel an old public channel type stands for (`TICKER` has no MEXC protobuf
/// channel and is skipped, as the old strategy skipped types it did not know).
pub(crate) fn public_channel(symbol: market_types::Symbol, kind: ChannelKind) -> Option<Channel> {
    let interval = AggInterval::Ms10;
    match kind {
        ChannelKind::Public(PublicWebsocketChannelType::Orderbook) => {
            Some(Channel::AggreDepth { symbol, interval })
        }
        ChannelKind::Public(PublicWebsocketChannelType::Trades) => {
            Some(Channel::AggreDeals { symbol, interval })
        }
        ChannelKind::Public(PublicWebsocketChannelType::BookTicker) => {
            Some(Channel::AggreBookTicker { symbol, interval })
        }
        ChannelKind::Public(PublicWebsocketChannelType::Ticker) | ChannelKind::Private(_) => None,
    }
}

/// The MEXC channel an old private channel type stands for.
pub(crate) fn private_channel(kind: ChannelKind) -> Option<Channel> {
    match kind {
        ChannelKind::Private(PrivateWebsocketChannelType::Order) => Some(Channel::PrivateOrders),
        ChannelKind::Private(PrivateWebsocketChannelType::Trade) => Some(Channel::PrivateDeals),
        ChannelKind::Private(PrivateWebsocketChannelType::Balance) => Some(Channel::PrivateAccount),
        ChannelKind::Public(_) => None,
    }
}
