//! The old inputs resolved once into what either path needs to start a connection.

use std::fmt;
use std::time::Duration;

use market_types::Venue;
use ws_core::{DriverConfig, PingSettings, ReconnectionPolicy};
use ws_handlers::{
    ApiCredentials, EndpointChoice, Feed, PrivateScope, Role, StreamRequest, Timers,
    VenueConnector, check_credentials_transport,
};
use zeroize::Zeroizing;

use crate::config::{ExchangeConfig, ExchangeEnum, WebSocketConfig, WebSocketManagerConfig};
use crate::error::CompatError;
use crate::types::{PrivateWebsocketChannelType, PublicWebsocketChannelType};

/// Public or private stream (an enum rather than the old `is_private: bool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamScope {
    /// Market data.
    Public,
    /// Account data (needs credentials).
    Private,
}

/// A channel kind as the old API named it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// A market-data channel.
    Public(PublicWebsocketChannelType),
    /// An account channel.
    Private(PrivateWebsocketChannelType),
}

#[cfg(feature = "mixin")]
impl ChannelKind {
    /// The venue-independent feed it names.
    pub(crate) const fn feed(self) -> Feed {
        match self {
            ChannelKind::Public(PublicWebsocketChannelType::Orderbook) => Feed::Book,
            ChannelKind::Public(PublicWebsocketChannelType::Trades) => Feed::Trades,
            ChannelKind::Public(PublicWebsocketChannelType::BookTicker) => Feed::Ticker,
            ChannelKind::Public(PublicWebsocketChannelType::Ticker) => Feed::Ticker24h,
            ChannelKind::Private(PrivateWebsocketChannelType::Order) => Feed::Orders,
            ChannelKind::Private(PrivateWebsocketChannelType::Trade) => Feed::Fills,
            ChannelKind::Private(PrivateWebsocketChannelType::Balance) => Feed::Balances,
        }
    }
}

/// Everything a path needs to open one connection. `Debug` shows neither the credentials
/// nor the URLs' queries (a listen key may travel there).
#[derive(Clone)]
pub(crate) struct VenueSetup {
    pub(crate) exchange: ExchangeEnum,
    pub(crate) scope: StreamScope,
    pub(crate) ws_url: String,
    pub(crate) rest_url: String,
    pub(crate) api_key: Option<Zeroizing<String>>,
    pub(crate) api_secret: Option<Zeroizing<String>>,
    pub(crate) ws_config: WebSocketConfig,
    pub(crate) manager_config: WebSocketManagerConfig,
}

impl fmt::Debug for VenueSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |value: &Option<_>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("VenueSetup")
            .field("exchange", &self.exchange)
            .field("scope", &self.scope)
            .field("ws_url", &ws_core::redact_query(&self.ws_url))
            .field("rest_url", &ws_core::redact_query(&self.rest_url))
            .field("api_key", &set(&self.api_key))
            .field("api_secret", &set(&self.api_secret))
            .field("manager_config", &self.manager_config)
            .finish_non_exhaustive()
    }
}

impl VenueSetup {
    /// From the factory's inputs.
    pub(crate) fn from_exchange(
        exchange_config: &ExchangeConfig,
        scope: StreamScope,
        manager_config: WebSocketManagerConfig,
    ) -> Result<Self, CompatError> {
        if !exchange_config.enabled {
            return Err(CompatError::InvalidConfig(format!(
                "exchange {} is disabled",
                exchange_config.name
            )));
        }
        let exchange = ExchangeEnum::from_name(&exchange_config.name)?;
        if scope == StreamScope::Private && !exchange_config.has_credentials() {
            return Err(CompatError::InvalidConfig(format!(
                "private WebSocket for {} requires credentials",
                exchange_config.name
            )));
        }
        let mut ws_config = exchange_config.websocket_config();
        if ws_config.url.is_empty() {
            ws_config.url.clone_from(&exchange_config.websocket_url);
        }
        ws_config.validate()?;
        manager_config.validate()?;
        let credentials = &exchange_config.credentials;
        let rest_url = if exchange_config.base_url.is_empty() {
            default_rest_url(exchange).to_owned()
        } else {
            exchange_config.base_url.trim_end_matches('/').to_owned()
        };
        if scope == StreamScope::Private {
            // Both paths (legacy strategies and mixins) start from here: check once.
            check_credentials_transport(&ws_config.url)?;
            check_credentials_transport(&rest_url)?;
        }
        Ok(Self {
            exchange,
            scope,
            ws_url: ws_config.url.clone(),
            rest_url,
            api_key: credentials
                .is_set()
                .then(|| Zeroizing::new(credentials.api_key.clone())),
            api_secret: credentials
                .is_set()
                .then(|| Zeroizing::new(credentials.secret_key.clone())),
            ws_config,
            manager_config,
        })
    }

    /// From the old constructor's inputs: the venue is recognised from the URL, the REST
    /// base is the venue's public one, and the stream is public.
    pub(crate) fn from_url(
        ws_config: WebSocketConfig,
        manager_config: WebSocketManagerConfig,
    ) -> Result<Self, CompatError> {
        ws_config.validate()?;
        manager_config.validate()?;
        let exchange = exchange_from_url(&ws_config.url).ok_or_else(|| {
            CompatError::InvalidConfig(format!(
                "cannot tell the exchange from {}; use create_websocket_manager with an ExchangeConfig",
                ws_core::redact_query(&ws_config.url)
            ))
        })?;
        Ok(Self {
            exchange,
            scope: StreamScope::Public,
            ws_url: ws_config.url.clone(),
            rest_url: default_rest_url(exchange).to_owned(),
            api_key: None,
            api_secret: None,
            ws_config,
            manager_config,
        })
    }

    pub(crate) fn venue(&self) -> Venue {
        self.exchange.venue()
    }

    pub(crate) fn driver_config(&self) -> DriverConfig {
        self.ws_config.driver_config(&self.manager_config)
    }

    pub(crate) fn policy(&self, venue_default: ReconnectionPolicy) -> ReconnectionPolicy {
        self.ws_config
            .reconnection_policy(&self.manager_config, venue_default)
    }

    /// The old library's keep-alive: a protocol ping every `ping_interval`, the socket
    /// declared dead after `ping_interval + ping_timeout` without inbound data, and the
    /// venue's application ping every `heartbeat_interval` (venue default when unset).
    pub(crate) fn ping(&self, venue_default: PingSettings) -> PingSettings {
        PingSettings {
            app_ping_interval: self
                .ws_config
                .heartbeat()
                .or(venue_default.app_ping_interval),
            protocol_ping_interval: Some(secs(self.ws_config.ping_interval)),
            idle_timeout: Some(self.ws_config.idle_timeout(&self.manager_config)),
        }
    }

    /// The channels subscribed when `initialize` names none: the old
    /// `DEFAULT_PUBLIC_WEBSOCKET_CHANNELS`, or every private channel.
    pub(crate) fn default_channels(&self) -> Vec<ChannelKind> {
        match self.scope {
            StreamScope::Public => crate::types::DEFAULT_PUBLIC_WEBSOCKET_CHANNELS
                .iter()
                .map(|c| ChannelKind::Public(*c))
                .collect(),
            StreamScope::Private => [
                PrivateWebsocketChannelType::Order,
                PrivateWebsocketChannelType::Trade,
                PrivateWebsocketChannelType::Balance,
            ]
            .into_iter()
            .map(ChannelKind::Private)
            .collect(),
        }
    }
}

/// The venue request the old inputs stand for: the setup's URLs, credentials on private
/// streams only, the old keep-alive and backoff over the venue's defaults, private
/// channels for every pair (as the old library subscribed them).
pub(crate) fn request<'a, V: VenueConnector>(
    setup: &'a VenueSetup,
    symbols: &'a [market_types::Symbol],
    feeds: &'a [Feed],
) -> Result<StreamRequest<'a>, CompatError> {
    let role = match setup.scope {
        StreamScope::Public => Role::Public,
        StreamScope::Private => Role::Private,
    };
    let credentials = match (setup.scope, &setup.api_key, &setup.api_secret) {
        (StreamScope::Private, Some(key), Some(secret)) => Some(ApiCredentials {
            key,
            secret,
            user_id: None,
        }),
        (StreamScope::Private, _, _) => {
            return Err(CompatError::InvalidConfig(format!(
                "private {} WebSocket requires credentials",
                V::BRAND
            )));
        }
        (StreamScope::Public, _, _) => None,
    };
    Ok(StreamRequest {
        symbols,
        feeds,
        depth: None,
        credentials,
        endpoints: EndpointChoice::Custom {
            ws_url: setup.ws_url.clone(),
            rest_url: setup.rest_url.clone(),
        },
        timers: Timers::Venue,
        private_scope: PrivateScope::AllSymbols,
        ping: Some(setup.ping(V::default_ping(role))),
        reconnection: Some(setup.policy(V::RECONNECTION)),
    })
}

/// The feeds of the old channel kinds, in their order.
#[cfg(feature = "mixin")]
pub(crate) fn feeds(channels: &[ChannelKind]) -> Vec<Feed> {
    channels.iter().map(|c| c.feed()).collect()
}

/// `wbs-api.mexc.com` / a `/mexc/` path → MEXC; `fx-ws` or `/ws/usdt` → Gate.io futures;
/// `gate` or `/ws/v4` → Gate.io spot.
pub(crate) fn exchange_from_url(url: &str) -> Option<ExchangeEnum> {
    let lower = url.to_ascii_lowercase();
    if lower.contains("mexc") {
        Some(ExchangeEnum::Mexc)
    } else if lower.contains("fx-ws") || lower.contains("/ws/usdt") || lower.contains("/ws/btc") {
        Some(ExchangeEnum::GateioFutures)
    } else if lower.contains("gate") || lower.contains("/ws/v4") {
        Some(ExchangeEnum::Gateio)
    } else {
        None
    }
}

fn default_rest_url(exchange: ExchangeEnum) -> &'static str {
    venue_registry::profile(exchange.venue()).live.rest
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::from_secs(20))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ExchangeCredentials;

    #[test]
    fn recognises_venues_from_urls() {
        assert_eq!(
            exchange_from_url("wss://wbs-api.mexc.com/ws"),
            Some(ExchangeEnum::Mexc)
        );
        assert_eq!(
            exchange_from_url("wss://api.gateio.ws/ws/v4/"),
            Some(ExchangeEnum::Gateio)
        );
        assert_eq!(
            exchange_from_url("wss://fx-ws.gateio.ws/v4/ws/usdt/"),
            Some(ExchangeEnum::GateioFutures)
        );
        assert_eq!(
            exchange_from_url("ws://127.0.0.1:1/gateio/v4/ws/usdt"),
            Some(ExchangeEnum::GateioFutures)
        );
        assert_eq!(exchange_from_url("ws://127.0.0.1:1/other"), None);
    }

    #[test]
    fn private_needs_credentials() {
        let public = ExchangeConfig::new(
            "GATEIO",
            ExchangeCredentials::default(),
            "",
            "wss://api.gateio.ws/ws/v4/",
        );
        let err = VenueSetup::from_exchange(
            &public,
            StreamScope::Private,
            WebSocketManagerConfig::default(),
        );
        assert!(matches!(err, Err(CompatError::InvalidConfig(_))));
        let ok = VenueSetup::from_exchange(
            &public,
            StreamScope::Public,
            WebSocketManagerConfig::default(),
        );
        assert!(ok.is_ok_and(|s| s.rest_url == exchange_gateio::REST_LIVE));
        let disabled = ExchangeConfig {
            enabled: false,
            ..public
        };
        assert!(
            VenueSetup::from_exchange(
                &disabled,
                StreamScope::Public,
                WebSocketManagerConfig::default()
            )
            .is_err()
        );
    }

    #[test]
    fn ping_follows_the_old_library() {
        let setup = VenueSetup::from_url(
            WebSocketConfig::new("wss://wbs-api.mexc.com/ws"),
            WebSocketManagerConfig::default(),
        );
        let Ok(setup) = setup else {
            panic!("setup failed");
        };
        let ping = setup.ping(PingSettings::default());
        assert_eq!(ping.protocol_ping_interval, Some(Duration::from_secs(20)));
        assert_eq!(ping.idle_timeout, Some(Duration::from_secs(30)));
        assert_eq!(ping.app_ping_interval, Some(Duration::from_secs(30)));
    }

    #[test]
    fn debug_shows_no_credentials() {
        let config = ExchangeConfig::new(
            "MEXC",
            ExchangeCredentials::new("mx0-key-6b1f3c", "mx0-secret-a8e2d7"),
            "",
            "wss://wbs-api.mexc.com/ws?listenKey=live-key-0c4e91",
        );
        let Ok(setup) = VenueSetup::from_exchange(
            &config,
            StreamScope::Private,
            WebSocketManagerConfig::default(),
        ) else {
            panic!("setup failed");
        };
        for shown in [format!("{setup:?}"), format!("{setup:#?}")] {
            for secret in ["mx0-key-6b1f3c", "mx0-secret-a8e2d7", "live-key-0c4e91"] {
                assert!(!shown.contains(secret), "{secret} is shown: {shown}");
            }
        }
    }

    #[test]
    fn private_credentials_travel_in_clear_only_to_this_machine() {
        let private = |ws: &str, rest: &str| {
            let config =
                ExchangeConfig::new("MEXC", ExchangeCredentials::new("key", "secret"), rest, ws);
            VenueSetup::from_exchange(
                &config,
                StreamScope::Private,
                WebSocketManagerConfig::default(),
            )
        };
        for (ws, rest) in [
            ("ws://example.com/ws", "https://api.mexc.com"),
            ("wss://example.com/ws", "http://example.com"),
        ] {
            assert!(
                matches!(private(ws, rest), Err(CompatError::PlaintextCredentials(_))),
                "{ws} {rest}"
            );
        }
        for (ws, rest) in [
            ("ws://127.0.0.1:1/mexc/ws", "http://127.0.0.1:1/mexc"),
            ("wss://wbs-api.mexc.com/ws", ""),
        ] {
            assert!(private(ws, rest).is_ok(), "{ws} {rest}");
        }
        // Public streams carry no credentials: plaintext anywhere is the user's choice.
        let public = ExchangeConfig::new(
            "MEXC",
            ExchangeCredentials::default(),
            "http://example.com",
            "ws://example.com/ws",
        );
        assert!(
            VenueSetup::from_exchange(
                &public,
                StreamScope::Public,
                WebSocketManagerConfig::default()
            )
            .is_ok()
        );
    }
}
