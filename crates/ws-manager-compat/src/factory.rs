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
        GateioSpotPrivateWebSocketHandler, GateioSpotPublicWebSocketHandler,
    };
    use exchange_mexc::{MexcPrivateWebSocketHandler, MexcPublicWebSocketHandler};
    use venue_registry::{GateioFutures, GateioSpot, MexcSpot, VenueConnector};
    use ws_core::DriverConfig;
    use ws_handlers::{Feed, VenueError};
    use ws_mixins::{PrivateWebSocketMixin, PublicWebSocketMixin};

    use crate::config::{ExchangeConfig, ExchangeEnum, WebSocketManagerConfig};
    use crate::error::CompatError;
    use crate::setup::{StreamScope, VenueSetup, feeds, request};
    use crate::translate::venue_symbol;
    use crate::types::Symbol;

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
        note = "use the venue handler constructors (ws_handlers::Driven::new(exchange_mexc::MexcPublicParts::new(..)), ws_handlers::Driven::new(exchange_gateio::GateioPublicParts::new(..)), ...) with ws_core::Connection::spawn"
    )]
    pub fn create_websocket_handler_direct<H>(
        exchange_config: &ExchangeConfig,
        is_private: bool,
        symbols: &[Symbol],
        callbacks: H,
    ) -> Result<(DirectHandler<H>, DriverConfig), CompatError>
    where
        H: PublicWebSocketMixin + PrivateWebSocketMixin + Send + 'static,
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
        let feeds = feeds(&setup.default_channels());
        let (public, private) = (
            Build {
                setup: &setup,
                symbols: &venue,
                feeds: &feeds,
            },
            Build {
                setup: &setup,
                symbols: &venue,
                feeds: &[],
            },
        );
        let handler = match (setup.exchange, scope) {
            (ExchangeEnum::Mexc, StreamScope::Public) => {
                DirectHandler::MexcPublic(public.public::<MexcSpot, H>(callbacks)?)
            }
            (ExchangeEnum::Mexc, StreamScope::Private) => {
                DirectHandler::MexcPrivate(private.private::<MexcSpot, H>(callbacks)?)
            }
            (ExchangeEnum::Gateio, StreamScope::Public) => {
                DirectHandler::GateioSpotPublic(public.public::<GateioSpot, H>(callbacks)?)
            }
            (ExchangeEnum::Gateio, StreamScope::Private) => {
                DirectHandler::GateioSpotPrivate(private.private::<GateioSpot, H>(callbacks)?)
            }
            (ExchangeEnum::GateioFutures, StreamScope::Public) => {
                DirectHandler::GateioFuturesPublic(public.public::<GateioFutures, H>(callbacks)?)
            }
            (ExchangeEnum::GateioFutures, StreamScope::Private) => {
                DirectHandler::GateioFuturesPrivate(private.private::<GateioFutures, H>(callbacks)?)
            }
        };
        Ok((handler, setup.driver_config()))
    }

    /// The old inputs as a venue request, built by the venue's connector.
    struct Build<'a> {
        setup: &'a VenueSetup,
        symbols: &'a [market_types::Symbol],
        feeds: &'a [Feed],
    }

    impl Build<'_> {
        fn public<V: VenueConnector, H: PublicWebSocketMixin + Send + 'static>(
            &self,
            callbacks: H,
        ) -> Result<V::Public<H>, CompatError> {
            let request = request::<V>(self.setup, self.symbols, self.feeds)?;
            let config = V::config(&request).map_err(invalid)?;
            V::public(&config, &request, callbacks).map_err(invalid)
        }

        fn private<V: VenueConnector, H: PrivateWebSocketMixin + Send + 'static>(
            &self,
            callbacks: H,
        ) -> Result<V::Private<H>, CompatError> {
            let request = request::<V>(self.setup, self.symbols, self.feeds)?;
            let config = V::config(&request).map_err(invalid)?;
            Ok(V::private(config, &request, callbacks))
        }
    }

    fn invalid(e: VenueError) -> CompatError {
        match e {
            VenueError::PlaintextCredentials(e) => CompatError::PlaintextCredentials(e),
            e => CompatError::InvalidConfig(e.to_string()),
        }
    }
}
