//! MEXC spot as a [`VenueConnector`]: what programs need to know to connect, delegating
//! to the handlers in `handler/`.

use std::time::Duration;

use market_types::{Symbol, Venue};
use ws_handlers::{
    ConnectionLimits, CredentialVariables, DEFAULT_CONNECT_RATE, DepthRule, Driven, EndpointUrls,
    Feed, FeedSet, PublicVenueSession, Role, SimulatorMount, StreamRequest, SubscriptionChange,
    SymbolStyle, Timers, VenueConnector, VenueError,
};
use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin};
use ws_session::{PingSettings, ReconnectionPolicy};

use crate::channel::{AggInterval, Channel};
use crate::config::{Credentials, Endpoints, MexcConfig, REST_URL, WS_URL};
use crate::handler::{
    ContextOverrides, MexcHandlerConfig, MexcPrivateParts, MexcPrivateWebSocketHandler,
    MexcPublicCommand, MexcPublicParts, MexcPublicWebSocketHandler, POOL_CONNECT_LIMIT,
    RECONNECTION_POLICY, fast_timers,
};
use crate::subscription::MAX_SUBSCRIPTIONS_PER_CONNECTION;

/// MEXC spot (protobuf market data, listen-key account data) as a venue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MexcSpot;

impl VenueConnector for MexcSpot {
    const VENUE: Venue = Venue::MexcSpot;
    const BRAND: &'static str = "MEXC";
    const SYMBOL_STYLE: SymbolStyle = SymbolStyle::Concatenated;
    const SYMBOL_HINT: &'static str = "MEXC spot symbols look like BTCUSDT";
    const FEEDS: FeedSet = FeedSet::of(&[
        Feed::Book,
        Feed::Trades,
        Feed::Ticker,
        Feed::Orders,
        Feed::Fills,
        Feed::Balances,
    ]);
    const DEPTH: DepthRule = DepthRule::SnapshotLimit { max: 5000 };
    const LIMITS: ConnectionLimits = ConnectionLimits {
        subscriptions_per_connection: Some(MAX_SUBSCRIPTIONS_PER_CONNECTION),
        public_connect_rate: POOL_CONNECT_LIMIT,
        private_connect_rate: DEFAULT_CONNECT_RATE,
    };
    const CREDENTIALS: CredentialVariables = CredentialVariables {
        key: "MEXC_API_KEY",
        secret: "MEXC_API_SECRET",
        user_id: None,
    };
    const LIVE: EndpointUrls = EndpointUrls {
        ws: WS_URL,
        rest: REST_URL,
    };
    const TESTNET: Option<EndpointUrls> = None;
    const SIMULATOR: SimulatorMount = SimulatorMount {
        prefix: "/mexc",
        ws_path: "/ws",
        rest_path: "",
    };
    const RECONNECTION: ReconnectionPolicy = RECONNECTION_POLICY;

    type Config = MexcHandlerConfig;
    type Public<H: PublicWebSocketMixin + Send + 'static> = MexcPublicWebSocketHandler<H>;
    type Private<H: PrivateWebSocketMixin + Send + 'static> = MexcPrivateWebSocketHandler<H>;

    fn default_ping(role: Role) -> PingSettings {
        let endpoints = Endpoints::default();
        match role {
            Role::Public => endpoints.public_context().ping,
            Role::Private => endpoints.private_context("").ping,
        }
    }

    fn config(request: &StreamRequest<'_>) -> Result<MexcHandlerConfig, VenueError> {
        let (ws_url, rest_url) = request.urls::<Self>()?;
        let mut mexc = MexcConfig {
            endpoints: Endpoints::new(ws_url, rest_url),
            credentials: request
                .credentials
                .map(|k| Credentials::new(k.key, k.secret)),
            ..MexcConfig::default()
        };
        if let Some(depth) = request.depth {
            mexc.book.snapshot_depth = u16::try_from(depth.min(5000)).unwrap_or(5000);
        }
        let mut config = MexcHandlerConfig {
            context: ContextOverrides {
                ping: request.ping,
                ..ContextOverrides::default()
            },
            reconnection: request.reconnection.unwrap_or(RECONNECTION_POLICY),
            ..MexcHandlerConfig::new(mexc)
        };
        if request.timers == Timers::Fast {
            fast_timers(
                &mut config.mexc.book,
                &mut config.context,
                &mut config.reconnection,
                &mut config.ack_timeout,
            );
            config.rest_retry = Duration::from_millis(200);
        }
        Ok(config)
    }

    fn public<H: PublicWebSocketMixin + Send + 'static>(
        config: &MexcHandlerConfig,
        request: &StreamRequest<'_>,
        callbacks: H,
    ) -> Result<MexcPublicWebSocketHandler<H>, VenueError> {
        Ok(Driven::new(MexcPublicParts::new(
            config.clone(),
            channels(request),
            callbacks,
        )))
    }

    fn public_shards<H: PublicWebSocketMixin + Send + 'static>(
        config: &MexcHandlerConfig,
        request: &StreamRequest<'_>,
        make_callbacks: impl FnMut(usize) -> H,
    ) -> Result<Vec<MexcPublicWebSocketHandler<H>>, VenueError> {
        Ok(MexcPublicParts::shards(
            config.clone(),
            channels(request),
            make_callbacks,
        ))
    }

    fn private<H: PrivateWebSocketMixin + Send + 'static>(
        config: MexcHandlerConfig,
        request: &StreamRequest<'_>,
        callbacks: H,
    ) -> MexcPrivateWebSocketHandler<H> {
        // Account channels are account-wide; the symbols are the ones reconciled.
        Driven::new(MexcPrivateParts::new(
            config,
            request.symbols.iter().copied(),
            callbacks,
        ))
    }

    fn channel_name(feed: Feed) -> Option<&'static str> {
        match feed {
            Feed::Book => Some("spot@public.aggre.depth.v3.api.pb"),
            Feed::Trades => Some("spot@public.aggre.deals.v3.api.pb"),
            Feed::Ticker => Some("spot@public.aggre.bookTicker.v3.api.pb"),
            Feed::Orders => Some("spot@private.orders.v3.api.pb"),
            Feed::Fills => Some("spot@private.deals.v3.api.pb"),
            Feed::Balances => Some("spot@private.account.v3.api.pb"),
            Feed::Ticker24h | Feed::Positions => None,
        }
    }
}

impl<H: PublicWebSocketMixin + Send + 'static> PublicVenueSession for MexcPublicParts<H> {
    fn subscription_command(
        symbol: Symbol,
        feed: Feed,
        change: SubscriptionChange,
    ) -> Option<MexcPublicCommand> {
        let channel = channel(symbol, feed)?;
        Some(match change {
            SubscriptionChange::Subscribe => MexcPublicCommand::Subscribe(channel),
            SubscriptionChange::Unsubscribe => MexcPublicCommand::Unsubscribe(channel),
        })
    }

    fn resync_command(symbol: Symbol) -> Option<MexcPublicCommand> {
        Some(MexcPublicCommand::Resync(symbol))
    }
}

/// Every public channel of the request, symbol by symbol.
fn channels(request: &StreamRequest<'_>) -> Vec<Channel> {
    request
        .symbols
        .iter()
        .flat_map(|s| request.feeds.iter().filter_map(|f| channel(*s, *f)))
        .collect()
}

/// The public channel carrying `feed` of `symbol` (aggregated every 10 ms).
fn channel(symbol: Symbol, feed: Feed) -> Option<Channel> {
    let interval = AggInterval::Ms10;
    match feed {
        Feed::Book => Some(Channel::AggreDepth { symbol, interval }),
        Feed::Trades => Some(Channel::AggreDeals { symbol, interval }),
        Feed::Ticker => Some(Channel::AggreBookTicker { symbol, interval }),
        Feed::Ticker24h | Feed::Orders | Feed::Fills | Feed::Balances | Feed::Positions => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_the_crates_channels() {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        for feed in Feed::ALL {
            assert_eq!(
                MexcSpot::channel_name(feed).is_some(),
                MexcSpot::FEEDS.contains(feed)
            );
            let spelled = match feed {
                Feed::Orders => Some(Channel::PrivateOrders),
                Feed::Fills => Some(Channel::PrivateDeals),
                Feed::Balances => Some(Channel::PrivateAccount),
                _ => channel(symbol, feed),
            };
            if let (Some(name), Some(channel)) = (MexcSpot::channel_name(feed), spelled) {
                assert!(channel.to_string().starts_with(name), "{feed:?}");
            }
        }
    }

    #[test]
    fn refusals_name_their_channels() {
        use crate::control::refused_channels;
        assert_eq!(
            refused_channels("Not Subscribed successfully! [a, b].  Reason\u{ff1a} Blocked! "),
            ["a", "b"]
        );
        assert!(refused_channels("Not Subscribed successfully!").is_empty());
        assert!(refused_channels("Invalid symbol [x]").is_empty());
    }

    #[test]
    fn credentials_travel_in_clear_only_to_this_machine() {
        assert_eq!(
            ws_handlers::check_credential_transport::<MexcSpot>(),
            Ok(())
        );
    }
}
