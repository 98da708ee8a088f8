//! MEXC: how the old channel types and settings map onto `exchange-mexc` (shared by both
//! paths, so they subscribe the same channels with the same settings).

use exchange_mexc::{AggInterval, Channel, Endpoints, MexcConfig};

use crate::setup::{ChannelKind, VenueSetup};
#[cfg(feature = "legacy-strategy")]
use crate::types::PrivateWebsocketChannelType;
use crate::types::PublicWebsocketChannelType;

/// The venue configuration both paths start from.
pub(crate) fn mexc_config(
    setup: &VenueSetup,
    credentials: Option<exchange_mexc::Credentials>,
) -> MexcConfig {
    MexcConfig {
        endpoints: Endpoints::new(setup.ws_url.clone(), setup.rest_url.clone()),
        credentials,
        ..MexcConfig::default()
    }
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
#[cfg(feature = "legacy-strategy")]
pub(crate) fn private_channel(kind: ChannelKind) -> Option<Channel> {
    match kind {
        ChannelKind::Private(PrivateWebsocketChannelType::Order) => Some(Channel::PrivateOrders),
        ChannelKind::Private(PrivateWebsocketChannelType::Trade) => Some(Channel::PrivateDeals),
        ChannelKind::Private(PrivateWebsocketChannelType::Balance) => Some(Channel::PrivateAccount),
        ChannelKind::Public(_) => None,
    }
}
