//! Gate.io spot and USDT futures as [`VenueConnector`]s: what programs need to know to
//! connect, delegating to the handlers in `handler/`.

use std::time::Duration;

use market_types::{Symbol, Venue};
use ws_handlers::{
    ConnectionLimits, CredentialVariables, DEFAULT_CONNECT_RATE, DepthRule, Driven, EndpointUrls,
    Feed, FeedSet, PrivateScope, PublicVenueSession, Role, SimulatorMount, StreamRequest,
    SubscriptionChange, SymbolStyle, Timers, VenueConnector, VenueError,
};
use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin};
use ws_session::{ConnectRateLimit, PingSettings, ReconnectionPolicy};

use crate::channel::{BookDepth, Market, UserId};
use crate::config::{
    Credentials, Endpoints, FUTURES_WS_LIVE, FUTURES_WS_TESTNET, REST_LIVE, REST_TESTNET,
    SPOT_WS_LIVE, SPOT_WS_TESTNET,
};
use crate::handler::{
    FuturesMarket, GateioHandlerConfig, GateioMarket, GateioPrivateParts,
    GateioPrivateWebSocketHandler, GateioPublicCommand, GateioPublicParts, GateioPublicTopic,
    GateioPublicWebSocketHandler, PING, RECONNECTION_POLICY, SpotMarket,
};

/// A Gate.io market as a [`VenueConnector`]: the items given (venue, feeds, depths,
/// endpoints) differ between spot and futures; the rest is the same for both and is
/// written here once.
macro_rules! gateio_connector {
    ($venue:ty, $market:ty, { $($differs:tt)* }) => {
        impl VenueConnector for $venue {
            $($differs)*
            const BRAND: &'static str = BRAND;
            const SYMBOL_STYLE: SymbolStyle = SymbolStyle::Underscore;
            const LIMITS: ConnectionLimits = LIMITS;
            const CREDENTIALS: CredentialVariables = CREDENTIALS;
            const RECONNECTION: ReconnectionPolicy = RECONNECTION_POLICY;

            type Config = GateioHandlerConfig;
            type Public<H: PublicWebSocketMixin + Send + 'static> =
                GateioPublicWebSocketHandler<H, $market>;
            type Private<H: PrivateWebSocketMixin + Send + 'static> =
                GateioPrivateWebSocketHandler<H, $market>;

            fn default_ping(_role: Role) -> PingSettings {
                PING
            }

            fn config(request: &StreamRequest<'_>) -> Result<GateioHandlerConfig, VenueError> {
                handler_config::<Self>(request)
            }

            fn public<H: PublicWebSocketMixin + Send + 'static>(
                config: &GateioHandlerConfig,
                request: &StreamRequest<'_>,
                callbacks: H,
            ) -> Result<Self::Public<H>, VenueError> {
                public_handler(config, request, callbacks)
            }

            fn private<H: PrivateWebSocketMixin + Send + 'static>(
                config: GateioHandlerConfig,
                _request: &StreamRequest<'_>,
                callbacks: H,
            ) -> Self::Private<H> {
                Driven::new(GateioPrivateParts::new(config, callbacks))
            }

            fn channel_name(feed: Feed) -> Option<&'static str> {
                channel_name(<$market as GateioMarket>::MARKET, feed)
            }
        }
    };
}

/// Gate.io spot (`spot.*` channels) as a venue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GateioSpot;

/// Gate.io USDT perpetual futures (`futures.*` channels) as a venue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GateioFutures;

gateio_connector!(GateioSpot, SpotMarket, {
    const VENUE: Venue = Venue::GateioSpot;
    const SYMBOL_HINT: &'static str = "Gate.io spot pairs look like BTC_USDT";
    const FEEDS: FeedSet = FeedSet::of(&[
        Feed::Book,
        Feed::Trades,
        Feed::Ticker,
        Feed::Ticker24h,
        Feed::Orders,
        Feed::Fills,
        Feed::Balances,
    ]);
    const DEPTH: DepthRule = DepthRule::Streams(&[20, 100]);
    const LIVE: EndpointUrls = EndpointUrls {
        ws: SPOT_WS_LIVE,
        rest: REST_LIVE,
    };
    const TESTNET: Option<EndpointUrls> = Some(EndpointUrls {
        ws: SPOT_WS_TESTNET,
        rest: REST_TESTNET,
    });
    const SIMULATOR: SimulatorMount = SimulatorMount {
        prefix: SIMULATOR_PREFIX,
        ws_path: "/ws/v4/",
        rest_path: API_V4,
    };
});

gateio_connector!(GateioFutures, FuturesMarket, {
    const VENUE: Venue = Venue::GateioFutures;
    const SYMBOL_HINT: &'static str = "Gate.io USDT futures contracts look like BTC_USDT";
    const FEEDS: FeedSet = FeedSet::of(&Feed::ALL);
    const DEPTH: DepthRule = DepthRule::Streams(&[20, 50, 100]);
    const LIVE: EndpointUrls = EndpointUrls {
        ws: FUTURES_WS_LIVE,
        rest: REST_LIVE,
    };
    const TESTNET: Option<EndpointUrls> = Some(EndpointUrls {
        ws: FUTURES_WS_TESTNET,
        rest: REST_TESTNET,
    });
    const SIMULATOR: SimulatorMount = SimulatorMount {
        prefix: SIMULATOR_PREFIX,
        ws_path: "/v4/ws/usdt",
        rest_path: API_V4,
    };
});

impl<H: PublicWebSocketMixin + Send + 'static, M: GateioMarket> PublicVenueSession
    for GateioPublicParts<H, M>
{
    fn subscription_command(
        symbol: Symbol,
        feed: Feed,
        change: SubscriptionChange,
    ) -> Option<GateioPublicCommand> {
        let topic = topic(symbol, feed)?;
        Some(match change {
            SubscriptionChange::Subscribe => GateioPublicCommand::Subscribe(topic),
            SubscriptionChange::Unsubscribe => GateioPublicCommand::Unsubscribe(topic),
        })
    }

    fn resync_command(symbol: Symbol) -> Option<GateioPublicCommand> {
        Some(GateioPublicCommand::Resync(symbol))
    }
}

/// The handler config of a request: endpoints (the REST base up to `/api/v4`, appended
/// when missing), credentials, depth, the account's symbols and timers.
fn handler_config<V: VenueConnector>(
    request: &StreamRequest<'_>,
) -> Result<GateioHandlerConfig, VenueError> {
    let (ws_url, rest_url) = request.urls::<V>()?;
    let mut rest = rest_url.trim_end_matches('/').to_string();
    if !rest.ends_with(API_V4) {
        rest.push_str(API_V4);
    }
    let mut config = GateioHandlerConfig::new(Endpoints::custom(ws_url, rest));
    // Signatures cover the path from `/api/v4` on, even when the base sits below a prefix
    // (a proxy, the simulator's mount).
    config.rest_signature_prefix = Some(API_V4.into());
    config.credentials = request
        .credentials
        .map(|k| Credentials::new(k.key, k.secret));
    config.user_id = match request.credentials.and_then(|k| k.user_id) {
        None => None,
        Some(text) => Some(text.trim().parse().map(UserId).map_err(|_| {
            VenueError::Unsupported("GATEIO_UID must be the account's numeric user id".into())
        })?),
    };
    config.depth = match request.depth {
        None => BookDepth::Levels20,
        Some(levels) => BookDepth::from_levels(levels).ok_or_else(|| {
            VenueError::Unsupported(format!(
                "depth {levels} is not a Gate.io book depth; use 20, 50 or 100"
            ))
        })?,
    };
    config.private_symbols = match request.private_scope {
        PrivateScope::RequestSymbols => request.symbols.to_vec(),
        PrivateScope::AllSymbols => Vec::new(),
    };
    config.ping = request.ping.unwrap_or(PING);
    config.reconnection = request.reconnection.unwrap_or(RECONNECTION_POLICY);
    if request.timers == Timers::Fast {
        config.ping = PingSettings {
            app_ping_interval: Some(Duration::from_secs(1)),
            protocol_ping_interval: None,
            idle_timeout: Some(Duration::from_secs(3)),
        };
        config.tick_interval = Duration::from_millis(50);
        config.reconnection.initial_delay = Duration::from_millis(100);
        config.reconnection.max_delay = Duration::from_secs(1);
        config.reconnection.connect_rate = ConnectRateLimit {
            max_attempts: 20,
            window: Duration::from_secs(1),
        };
        config.ack_timeout = Duration::from_secs(2);
        config.auth_timeout = Duration::from_secs(2);
        config.rest_retry = Duration::from_millis(200);
        config.snapshot_backoff_initial = Duration::from_millis(100);
        config.snapshot_backoff_max = Duration::from_secs(1);
    }
    Ok(config)
}

/// One handler for every public topic of the request, symbol by symbol.
fn public_handler<H: PublicWebSocketMixin + Send + 'static, M: GateioMarket>(
    config: &GateioHandlerConfig,
    request: &StreamRequest<'_>,
    callbacks: H,
) -> Result<GateioPublicWebSocketHandler<H, M>, VenueError> {
    let topics = request
        .symbols
        .iter()
        .flat_map(|s| request.feeds.iter().filter_map(|f| topic(*s, *f)));
    GateioPublicParts::new(config.clone(), topics, callbacks)
        .map(Driven::new)
        .map_err(|e| VenueError::Unsupported(e.to_string()))
}

/// The public topic carrying `feed` of `symbol`.
fn topic(symbol: Symbol, feed: Feed) -> Option<GateioPublicTopic> {
    match feed {
        Feed::Book => Some(GateioPublicTopic::OrderBook(symbol)),
        Feed::Trades => Some(GateioPublicTopic::Trades(symbol)),
        Feed::Ticker => Some(GateioPublicTopic::BookTicker(symbol)),
        Feed::Ticker24h => Some(GateioPublicTopic::Tickers(symbol)),
        Feed::Orders | Feed::Fills | Feed::Balances | Feed::Positions => None,
    }
}

fn channel_name(market: Market, feed: Feed) -> Option<&'static str> {
    use crate::channel::Channel;
    let channel = match (market, feed) {
        (market, Feed::Book) => market.order_book_update(),
        (Market::Spot, Feed::Trades) => Channel::SpotTrades,
        (Market::Spot, Feed::Ticker) => Channel::SpotBookTicker,
        (Market::Spot, Feed::Ticker24h) => Channel::SpotTickers,
        (Market::Spot, Feed::Orders) => Channel::SpotOrders,
        (Market::Spot, Feed::Fills) => Channel::SpotUserTrades,
        (Market::Spot, Feed::Balances) => Channel::SpotBalances,
        (Market::Spot, Feed::Positions) => return None,
        (Market::Futures, Feed::Trades) => Channel::FuturesTrades,
        (Market::Futures, Feed::Ticker) => Channel::FuturesBookTicker,
        (Market::Futures, Feed::Ticker24h) => Channel::FuturesTickers,
        (Market::Futures, Feed::Orders) => Channel::FuturesOrders,
        (Market::Futures, Feed::Fills) => Channel::FuturesUserTrades,
        (Market::Futures, Feed::Balances) => Channel::FuturesBalances,
        (Market::Futures, Feed::Positions) => Channel::FuturesPositions,
    };
    Some(channel.as_str())
}

const BRAND: &str = "Gate.io";
const API_V4: &str = "/api/v4";
const SIMULATOR_PREFIX: &str = "/gateio";
const LIMITS: ConnectionLimits = ConnectionLimits {
    subscriptions_per_connection: None,
    public_connect_rate: DEFAULT_CONNECT_RATE,
    private_connect_rate: DEFAULT_CONNECT_RATE,
};
const CREDENTIALS: CredentialVariables = CredentialVariables {
    key: "GATEIO_API_KEY",
    secret: "GATEIO_API_SECRET",
    user_id: Some("GATEIO_UID"),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_feeds_have_channels() {
        for feed in Feed::ALL {
            assert_eq!(
                GateioSpot::channel_name(feed).is_some(),
                GateioSpot::FEEDS.contains(feed)
            );
            assert_eq!(
                GateioFutures::channel_name(feed).is_some(),
                GateioFutures::FEEDS.contains(feed)
            );
        }
        assert_eq!(
            GateioSpot::channel_name(Feed::Book),
            Some("spot.order_book_update")
        );
        assert_eq!(
            GateioFutures::channel_name(Feed::Fills),
            Some("futures.usertrades")
        );
    }

    #[test]
    fn the_configured_user_id_reaches_the_handler_config() {
        use ws_handlers::{ApiCredentials, EndpointChoice};

        let request = |user_id| StreamRequest {
            credentials: Some(ApiCredentials {
                key: "k",
                secret: "s",
                user_id,
            }),
            endpoints: EndpointChoice::Live,
            ..StreamRequest::orders_for_test("", "", false)
        };
        assert_eq!(CREDENTIALS.user_id, Some("GATEIO_UID"));
        let config =
            GateioFutures::config(&request(Some(" 10001 "))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.user_id, Some(UserId(10001)));
        let config = GateioFutures::config(&request(None)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.user_id, None);
        let refused = GateioFutures::config(&request(Some("me")));
        assert!(refused.is_err_and(|e| e.to_string().contains("GATEIO_UID")));
    }

    #[test]
    fn credentials_travel_in_clear_only_to_this_machine() {
        assert_eq!(
            ws_handlers::check_credential_transport::<GateioSpot>(),
            Ok(())
        );
        assert_eq!(
            ws_handlers::check_credential_transport::<GateioFutures>(),
            Ok(())
        );
    }
}
