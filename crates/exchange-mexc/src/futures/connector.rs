//! MEXC USDT-M futures as a [`VenueConnector`]: what programs need to know to connect,
//! delegating to the sessions in `handler/`.

use market_types::{Symbol, Venue};
use ws_handlers::{
    ConnectionLimits, CredentialVariables, DEFAULT_CONNECT_RATE, DepthRule, Driven, EndpointUrls,
    Feed, FeedSet, PublicVenueSession, Role, SimulatorMount, StreamRequest, SubscriptionChange,
    SymbolStyle, Timers, VenueConnector, VenueError,
};
use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin};
use ws_session::{PingSettings, ReconnectionPolicy};

use crate::config::Credentials;
use crate::connector::MexcSpot;
use crate::handler::{ContextOverrides, RECONNECTION_POLICY, fast_timers};

use super::handler::{
    FuturesHandlerConfig, FuturesPublicCommand, MexcFuturesPrivateHandler, MexcFuturesPrivateParts,
    MexcFuturesPublicHandler, MexcFuturesPublicParts,
};
use super::{FuturesChannel, REST_URL, WS_URL};

/// MEXC USDT-M perpetual futures (JSON market data, signed-login account data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MexcFutures;

/// The REST snapshot's largest `limit`.
const MAX_SNAPSHOT_DEPTH: u32 = 1000;

impl VenueConnector for MexcFutures {
    const VENUE: Venue = Venue::MexcFutures;
    const BRAND: &'static str = "MEXC";
    const SYMBOL_STYLE: SymbolStyle = SymbolStyle::Underscore;
    const SYMBOL_HINT: &'static str = "MEXC futures contracts look like BTC_USDT";
    const FEEDS: FeedSet = FeedSet::of(&[
        Feed::Book,
        Feed::Trades,
        Feed::Ticker,
        Feed::Orders,
        Feed::Fills,
        Feed::Balances,
        Feed::Positions,
    ]);
    const DEPTH: DepthRule = DepthRule::SnapshotLimit {
        max: MAX_SNAPSHOT_DEPTH,
    };
    const LIMITS: ConnectionLimits = ConnectionLimits {
        subscriptions_per_connection: None,
        public_connect_rate: DEFAULT_CONNECT_RATE,
        private_connect_rate: DEFAULT_CONNECT_RATE,
    };
    /// One API key serves both markets.
    const CREDENTIALS: CredentialVariables = MexcSpot::CREDENTIALS;
    const LIVE: EndpointUrls = EndpointUrls {
        ws: WS_URL,
        rest: REST_URL,
    };
    const TESTNET: Option<EndpointUrls> = None;
    const SIMULATOR: SimulatorMount = SimulatorMount {
        prefix: "/mexc-futures",
        ws_path: "/edge",
        rest_path: "",
    };
    const RECONNECTION: ReconnectionPolicy = RECONNECTION_POLICY;

    type Config = FuturesHandlerConfig;
    type Public<H: PublicWebSocketMixin + Send + 'static> = MexcFuturesPublicHandler<H>;
    type Private<H: PrivateWebSocketMixin + Send + 'static> = MexcFuturesPrivateHandler<H>;

    fn default_ping(_role: Role) -> PingSettings {
        FuturesHandlerConfig::PING
    }

    fn config(request: &StreamRequest<'_>) -> Result<FuturesHandlerConfig, VenueError> {
        let (ws_url, rest_url) = request.urls::<Self>()?;
        let mut config = FuturesHandlerConfig {
            ws_url,
            rest_url,
            credentials: request
                .credentials
                .map(|k| Credentials::new(k.key, k.secret)),
            context: ContextOverrides {
                ping: request.ping,
                ..ContextOverrides::default()
            },
            reconnection: request.reconnection.unwrap_or(RECONNECTION_POLICY),
            ..FuturesHandlerConfig::default()
        };
        if let Some(depth) = request.depth {
            let depth = depth.min(MAX_SNAPSHOT_DEPTH);
            config.book.snapshot_depth = u16::try_from(depth).unwrap_or(u16::MAX);
        }
        if request.timers == Timers::Fast {
            fast_timers(
                &mut config.book,
                &mut config.context,
                &mut config.reconnection,
                &mut config.ack_timeout,
            );
        }
        Ok(config)
    }

    fn public<H: PublicWebSocketMixin + Send + 'static>(
        config: &FuturesHandlerConfig,
        request: &StreamRequest<'_>,
        callbacks: H,
    ) -> Result<MexcFuturesPublicHandler<H>, VenueError> {
        let channels = request
            .symbols
            .iter()
            .flat_map(|s| request.feeds.iter().filter_map(|f| channel(*s, *f)));
        Ok(Driven::new(MexcFuturesPublicParts::new(
            config.clone(),
            channels,
            callbacks,
        )))
    }

    fn private<H: PrivateWebSocketMixin + Send + 'static>(
        config: FuturesHandlerConfig,
        request: &StreamRequest<'_>,
        callbacks: H,
    ) -> MexcFuturesPrivateHandler<H> {
        Driven::new(MexcFuturesPrivateParts::new(
            config,
            request.symbols.iter().copied(),
            callbacks,
        ))
    }

    fn channel_name(feed: Feed) -> Option<&'static str> {
        match feed {
            Feed::Book => Some("sub.depth"),
            Feed::Trades => Some("sub.deal"),
            Feed::Ticker => Some("sub.ticker"),
            Feed::Orders => Some("push.personal.order"),
            Feed::Fills => Some("push.personal.order.deal"),
            Feed::Balances => Some("push.personal.asset"),
            Feed::Positions => Some("push.personal.position"),
            Feed::Ticker24h => None,
        }
    }
}

/// The public channel carrying `feed` of `contract`.
fn channel(contract: Symbol, feed: Feed) -> Option<FuturesChannel> {
    match feed {
        Feed::Book => Some(FuturesChannel::Depth(contract)),
        Feed::Trades => Some(FuturesChannel::Deal(contract)),
        Feed::Ticker => Some(FuturesChannel::Ticker(contract)),
        _ => None,
    }
}

impl<H: PublicWebSocketMixin + Send + 'static> PublicVenueSession for MexcFuturesPublicParts<H> {
    fn subscription_command(
        symbol: Symbol,
        feed: Feed,
        change: SubscriptionChange,
    ) -> Option<FuturesPublicCommand> {
        let channel = channel(symbol, feed)?;
        Some(match change {
            SubscriptionChange::Subscribe => FuturesPublicCommand::Subscribe(channel),
            SubscriptionChange::Unsubscribe => FuturesPublicCommand::Unsubscribe(channel),
        })
    }

    fn resync_command(symbol: Symbol) -> Option<FuturesPublicCommand> {
        Some(FuturesPublicCommand::Resync(symbol))
    }
}

#[cfg(test)]
mod tests {
    use ws_handlers::{ApiCredentials, EndpointChoice, PrivateScope};

    use super::*;

    fn request(ws: &str, rest: &str) -> StreamRequest<'static> {
        StreamRequest {
            symbols: &[],
            feeds: &[Feed::Orders],
            depth: None,
            credentials: Some(ApiCredentials {
                key: "k",
                secret: "s",
                user_id: None,
            }),
            endpoints: EndpointChoice::Custom {
                ws_url: ws.into(),
                rest_url: rest.into(),
            },
            timers: Timers::Venue,
            private_scope: PrivateScope::AllSymbols,
            ping: None,
            reconnection: None,
        }
    }

    #[test]
    fn credentials_travel_in_clear_only_to_this_machine() {
        assert!(matches!(
            MexcFutures::config(&request("ws://example.com/edge", "https://example.com")),
            Err(VenueError::PlaintextCredentials(_))
        ));
        assert!(
            MexcFutures::config(&request("ws://127.0.0.1:9/edge", "http://127.0.0.1:9")).is_ok()
        );
        assert!(MexcFutures::config(&request(WS_URL, REST_URL)).is_ok());
    }

    #[test]
    fn a_depth_beyond_the_snapshot_limit_is_capped() {
        let mut r = request(WS_URL, REST_URL);
        r.depth = Some(50_000);
        let config = MexcFutures::config(&r).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u32::from(config.book.snapshot_depth), MAX_SNAPSHOT_DEPTH);
    }
}
