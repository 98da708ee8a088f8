//! The old factory functions (`infrastructure/networking/websocket/utils.py`).

use ws_core::ConnectionState;

use crate::config::{ExchangeConfig, WebSocketManagerConfig};
use crate::error::CompatError;
use crate::manager::WebSocketManager;
use crate::setup::StreamScope;
use crate::types::ParsedMessage;

/// The old `create_websocket_manager(exchange_config, is_private, message_handler,
/// connection_handler)`: a manager for MEXC, Gate.io spot or Gate.io futures, public or
/// private, with the factory's HFT manager settings. The path is chosen by
/// [`crate::Architecture::from_env`] (default: the mixin path when compiled in).
///
/// # Errors
/// [`CompatError::InvalidConfig`] (the old `ValueError`) for an unknown or disabled
/// exchange, a private stream without credentials, or bad WebSocket settings.
#[deprecated(
    note = "use ws_core::Connection::spawn with the venue handler (see create_websocket_handler_direct)"
)]
pub fn create_websocket_manager(
    exchange_config: &ExchangeConfig,
    is_private: bool,
    message_handler: impl FnMut(ParsedMessage) + Send + 'static,
    connection_handler: Option<Box<dyn FnMut(ConnectionState) + Send>>,
) -> Result<WebSocketManager, CompatError> {
    create_websocket_manager_with(
        exchange_config,
        is_private,
        message_handler,
        connection_handler,
        WebSocketManagerConfig::hft(),
    )
}

/// [`create_websocket_manager`] with explicit manager settings (the old `**kwargs`).
///
/// # Errors
/// As [`create_websocket_manager`].
#[deprecated(
    note = "use ws_core::Connection::spawn with the venue handler (see create_websocket_handler_direct)"
)]
pub fn create_websocket_manager_with(
    exchange_config: &ExchangeConfig,
    is_private: bool,
    message_handler: impl FnMut(ParsedMessage) + Send + 'static,
    connection_handler: Option<Box<dyn FnMut(ConnectionState) + Send>>,
    manager_config: WebSocketManagerConfig,
) -> Result<WebSocketManager, CompatError> {
    WebSocketManager::for_exchange(
        exchange_config,
        if is_private {
            StreamScope::Private
        } else {
            StreamScope::Public
        },
        Box::new(message_handler),
        connection_handler,
        manager_config,
    )
}

#[cfg(feature = "mixin")]
pub use self::direct::{DirectHandler, create_websocket_handler_direct};

#[cfg(feature = "mixin")]
mod direct {
    use exchange_gateio::{
        GateioFuturesPrivateWebSocketHandler, GateioFuturesPublicWebSocketHandler,
        GateioPublicTopic, GateioSpotPrivateWebSocketHandler, GateioSpotPublicWebSocketHandler,
    };
    use exchange_mexc::{MexcPrivateWebSocketHandler, MexcPublicWebSocketHandler};
    use ws_core::DriverConfig;
    use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin};

    use crate::config::{ExchangeConfig, ExchangeEnum, WebSocketManagerConfig};
    use crate::error::CompatError;
    use crate::mixin::{gateio_handler_config, mexc_handler_config};
    use crate::setup::{StreamScope, VenueSetup};
    use crate::translate::venue_symbol;
    use crate::types::Symbol;
    use crate::venues::mexc::public_channel;

    /// The handler `create_websocket_handler_direct` builds: a venue handler generic over
    /// your callbacks, ready for `ws_core::Connection::spawn(handler, driver_config)`.
    #[derive(Debug)]
    #[non_exhaustive]
    pub enum DirectHandler<H: PublicWebSocketMixin + PrivateWebSocketMixin> {
        /// MEXC market data.
        MexcPublic(MexcPublicWebSocketHandler<H>),
        /// MEXC user data.
        MexcPrivate(MexcPrivateWebSocketHandler<H>),
        /// Gate.io spot market data.
        GateioSpotPublic(GateioSpotPublicWebSocketHandler<H>),
        /// Gate.io spot account data.
        GateioSpotPrivate(GateioSpotPrivateWebSocketHandler<H>),
        /// Gate.io USDT futures market data.
        GateioFuturesPublic(GateioFuturesPublicWebSocketHandler<H>),
        /// Gate.io USDT futures account data.
        GateioFuturesPrivate(GateioFuturesPrivateWebSocketHandler<H>),
    }

    /// The V6 `create_websocket_handler_direct(exchange_config, is_private)`: the venue's
    /// handler alone, with `callbacks` as its `PublicWebSocketMixin` /
    /// `PrivateWebSocketMixin` and the default channels of `symbols`, plus the driver
    /// settings the exchange config asks for. This is the new API; spawn it with
    /// `ws_core::Connection::spawn`.
    ///
    /// # Errors
    /// As `create_websocket_manager`, and [`CompatError::InvalidConfig`] for a handler that
    /// cannot be built (an unsupported book depth).
    #[deprecated(
        note = "use the venue handler constructors (exchange_mexc::MexcPublicWebSocketHandler::new, exchange_gateio::GateioSpotPublicWebSocketHandler::new, ...) with ws_core::Connection::spawn"
    )]
    pub fn create_websocket_handler_direct<H>(
        exchange_config: &ExchangeConfig,
        is_private: bool,
        symbols: &[Symbol],
        callbacks: H,
    ) -> Result<(DirectHandler<H>, DriverConfig), CompatError>
    where
        H: PublicWebSocketMixin + PrivateWebSocketMixin,
    {
        let scope = if is_private {
            StreamScope::Private
        } else {
            StreamScope::Public
        };
        let setup =
            VenueSetup::from_exchange(exchange_config, scope, WebSocketManagerConfig::hft())?;
        let venue: Vec<market_types::Symbol> = symbols
            .iter()
            .filter_map(|s| venue_symbol(setup.venue(), s))
            .collect();
        let handler = match (setup.exchange, scope) {
            (ExchangeEnum::Mexc, StreamScope::Public) => {
                let channels = setup.default_channels();
                let wanted = venue
                    .iter()
                    .flat_map(|s| channels.iter().filter_map(|c| public_channel(*s, *c)));
                DirectHandler::MexcPublic(MexcPublicWebSocketHandler::new(
                    mexc_handler_config(&setup, None),
                    wanted,
                    callbacks,
                ))
            }
            (ExchangeEnum::Mexc, StreamScope::Private) => {
                let credentials = exchange_mexc::Credentials::new(
                    setup.api_key.clone().unwrap_or_default(),
                    setup.api_secret.clone().unwrap_or_default().as_bytes(),
                );
                DirectHandler::MexcPrivate(MexcPrivateWebSocketHandler::new(
                    mexc_handler_config(&setup, Some(credentials)),
                    venue.iter().copied(),
                    callbacks,
                ))
            }
            (
                exchange @ (ExchangeEnum::Gateio | ExchangeEnum::GateioFutures),
                StreamScope::Public,
            ) => {
                let config = gateio_handler_config(&setup)?;
                let topics: Vec<GateioPublicTopic> = venue
                    .iter()
                    .flat_map(|s| {
                        [
                            GateioPublicTopic::BookTicker(*s),
                            GateioPublicTopic::OrderBook(*s),
                            GateioPublicTopic::Trades(*s),
                        ]
                    })
                    .collect();
                let bad = |e: exchange_gateio::Error| CompatError::InvalidConfig(e.to_string());
                if exchange == ExchangeEnum::Gateio {
                    DirectHandler::GateioSpotPublic(
                        GateioSpotPublicWebSocketHandler::new(config, topics, callbacks)
                            .map_err(bad)?,
                    )
                } else {
                    DirectHandler::GateioFuturesPublic(
                        GateioFuturesPublicWebSocketHandler::new(config, topics, callbacks)
                            .map_err(bad)?,
                    )
                }
            }
            (ExchangeEnum::Gateio, StreamScope::Private) => DirectHandler::GateioSpotPrivate(
                GateioSpotPrivateWebSocketHandler::new(gateio_handler_config(&setup)?, callbacks),
            ),
            (ExchangeEnum::GateioFutures, StreamScope::Private) => {
                DirectHandler::GateioFuturesPrivate(GateioFuturesPrivateWebSocketHandler::new(
                    gateio_handler_config(&setup)?,
                    callbacks,
                ))
            }
        };
        Ok((handler, setup.driver_config()))
    }
}
