//! The mixin path (feature `mixin`): `ws_core::Connection` running the venue handlers with
//! [`Translate`] as their callbacks. The compat layer only builds the handler's config
//! from the old inputs and forwards commands.

use exchange_gateio::{
    GateioFuturesPrivateWebSocketHandler, GateioFuturesPublicWebSocketHandler, GateioHandlerConfig,
    GateioPublicCommand, GateioPublicTopic, GateioSpotPrivateWebSocketHandler,
    GateioSpotPublicWebSocketHandler,
};
use exchange_mexc::{
    ContextOverrides, MexcHandlerConfig, MexcPrivateWebSocketHandler, MexcPublicCommand,
    MexcPublicWebSocketHandler, RECONNECTION_POLICY,
};
use ws_core::{Connection, ConnectionState, OutFrame, WsError};

use crate::config::ExchangeEnum;
use crate::error::CompatError;
use crate::metrics::Snapshot;
use crate::setup::{ChannelKind, StreamScope, VenueSetup};
use crate::translate::{MessageSink, Translate, take_sink};
use crate::types::{PublicWebsocketChannelType, Symbol};
use crate::venues::gateio;
use crate::venues::mexc::{mexc_config, public_channel};

/// A running venue handler.
#[derive(Debug)]
pub(crate) enum MixinConnection {
    /// `exchange_mexc::MexcPublicWebSocketHandler`.
    MexcPublic(Connection<MexcPublicWebSocketHandler<Translate>>),
    /// `exchange_mexc::MexcPrivateWebSocketHandler`.
    MexcPrivate(Connection<MexcPrivateWebSocketHandler<Translate>>),
    /// `exchange_gateio::GateioSpotPublicWebSocketHandler`.
    GateioSpotPublic(Connection<GateioSpotPublicWebSocketHandler<Translate>>),
    /// `exchange_gateio::GateioSpotPrivateWebSocketHandler`.
    GateioSpotPrivate(Connection<GateioSpotPrivateWebSocketHandler<Translate>>),
    /// `exchange_gateio::GateioFuturesPublicWebSocketHandler`.
    GateioFuturesPublic(Connection<GateioFuturesPublicWebSocketHandler<Translate>>),
    /// `exchange_gateio::GateioFuturesPrivateWebSocketHandler`.
    GateioFuturesPrivate(Connection<GateioFuturesPrivateWebSocketHandler<Translate>>),
}

/// Runs `$body` with `$c` bound to whichever connection is running.
macro_rules! each {
    ($self:expr, $c:ident => $body:expr) => {
        match $self {
            MixinConnection::MexcPublic($c) => $body,
            MixinConnection::MexcPrivate($c) => $body,
            MixinConnection::GateioSpotPublic($c) => $body,
            MixinConnection::GateioSpotPrivate($c) => $body,
            MixinConnection::GateioFuturesPublic($c) => $body,
            MixinConnection::GateioFuturesPrivate($c) => $body,
        }
    };
}

/// A venue handler before it runs.
enum Handler {
    MexcPublic(MexcPublicWebSocketHandler<Translate>),
    MexcPrivate(MexcPrivateWebSocketHandler<Translate>),
    GateioSpotPublic(GateioSpotPublicWebSocketHandler<Translate>),
    GateioSpotPrivate(GateioSpotPrivateWebSocketHandler<Translate>),
    GateioFuturesPublic(GateioFuturesPublicWebSocketHandler<Translate>),
    GateioFuturesPrivate(GateioFuturesPrivateWebSocketHandler<Translate>),
}

/// The venue handler for `setup` with `channels` of `symbols`, calling `sink`.
fn handler(
    setup: &VenueSetup,
    sink: &mut Option<MessageSink>,
    channels: &[ChannelKind],
    symbols: &[market_types::Symbol],
) -> Result<Handler, CompatError> {
    match (setup.exchange, setup.scope) {
        (ExchangeEnum::Mexc, StreamScope::Public) => {
            let config = mexc_handler_config(setup, None);
            let wanted = symbols
                .iter()
                .flat_map(|s| channels.iter().filter_map(|c| public_channel(*s, *c)));
            Ok(Handler::MexcPublic(MexcPublicWebSocketHandler::new(
                config,
                wanted,
                Translate::new(take_sink(sink)?),
            )))
        }
        (ExchangeEnum::Mexc, StreamScope::Private) => {
            let (Some(key), Some(secret)) = (&setup.api_key, &setup.api_secret) else {
                return Err(CompatError::InvalidConfig(
                    "private MEXC WebSocket requires credentials".into(),
                ));
            };
            let credentials = exchange_mexc::Credentials::new(key.clone(), secret.as_bytes());
            let config = mexc_handler_config(setup, Some(credentials));
            Ok(Handler::MexcPrivate(MexcPrivateWebSocketHandler::new(
                config,
                symbols.iter().copied(),
                Translate::new(take_sink(sink)?),
            )))
        }
        (ExchangeEnum::Gateio | ExchangeEnum::GateioFutures, StreamScope::Public) => {
            let config = gateio_handler_config(setup)?;
            let topics: Vec<GateioPublicTopic> = symbols
                .iter()
                .flat_map(|s| channels.iter().filter_map(|c| gateio_topic(*s, *c)))
                .collect();
            let bad_depth = |e: exchange_gateio::Error| CompatError::InvalidConfig(e.to_string());
            if setup.exchange == ExchangeEnum::Gateio {
                GateioSpotPublicWebSocketHandler::new(
                    config,
                    topics,
                    Translate::new(take_sink(sink)?),
                )
                .map(Handler::GateioSpotPublic)
                .map_err(bad_depth)
            } else {
                GateioFuturesPublicWebSocketHandler::new(
                    config,
                    topics,
                    Translate::new(take_sink(sink)?),
                )
                .map(Handler::GateioFuturesPublic)
                .map_err(bad_depth)
            }
        }
        (ExchangeEnum::Gateio, StreamScope::Private) => Ok(Handler::GateioSpotPrivate(
            GateioSpotPrivateWebSocketHandler::new(
                gateio_handler_config(setup)?,
                Translate::new(take_sink(sink)?),
            ),
        )),
        (ExchangeEnum::GateioFutures, StreamScope::Private) => Ok(Handler::GateioFuturesPrivate(
            GateioFuturesPrivateWebSocketHandler::new(
                gateio_handler_config(setup)?,
                Translate::new(take_sink(sink)?),
            ),
        )),
    }
}

/// The Gate.io handler settings the old inputs stand for.
pub(crate) fn gateio_handler_config(
    setup: &VenueSetup,
) -> Result<GateioHandlerConfig, CompatError> {
    let credentials = match (setup.scope, &setup.api_key, &setup.api_secret) {
        (StreamScope::Private, Some(key), Some(secret)) => Some(exchange_gateio::Credentials::new(
            key.clone(),
            secret.as_bytes(),
        )),
        (StreamScope::Private, _, _) => {
            return Err(CompatError::InvalidConfig(
                "private Gate.io WebSocket requires credentials".into(),
            ));
        }
        (StreamScope::Public, _, _) => None,
    };
    Ok(GateioHandlerConfig {
        credentials,
        depth: gateio::DEPTH,
        ping: setup.ping(exchange_gateio::PING),
        reconnection: setup.policy(exchange_gateio::RECONNECTION_POLICY),
        rest_signature_prefix: Some(gateio::SIGNATURE_PREFIX.to_owned()),
        ..GateioHandlerConfig::new(gateio::endpoints(setup))
    })
}

/// The Gate.io topic an old public channel type stands for.
fn gateio_topic(symbol: market_types::Symbol, kind: ChannelKind) -> Option<GateioPublicTopic> {
    match kind {
        ChannelKind::Public(PublicWebsocketChannelType::Orderbook) => {
            Some(GateioPublicTopic::OrderBook(symbol))
        }
        ChannelKind::Public(PublicWebsocketChannelType::Trades) => {
            Some(GateioPublicTopic::Trades(symbol))
        }
        ChannelKind::Public(PublicWebsocketChannelType::BookTicker) => {
            Some(GateioPublicTopic::BookTicker(symbol))
        }
        ChannelKind::Public(PublicWebsocketChannelType::Ticker) => {
            Some(GateioPublicTopic::Tickers(symbol))
        }
        ChannelKind::Private(_) => None,
    }
}

/// The handler without a driver (differential test, benchmark).
pub(crate) fn replay_session(
    setup: &VenueSetup,
    sink: MessageSink,
    channels: &[ChannelKind],
    symbols: &[market_types::Symbol],
) -> Result<Box<dyn crate::testing::ReplaySession>, CompatError> {
    Ok(match handler(setup, &mut Some(sink), channels, symbols)? {
        Handler::MexcPublic(h) => Box::new(h),
        Handler::MexcPrivate(h) => Box::new(h),
        Handler::GateioSpotPublic(h) => Box::new(h),
        Handler::GateioSpotPrivate(h) => Box::new(h),
        Handler::GateioFuturesPublic(h) => Box::new(h),
        Handler::GateioFuturesPrivate(h) => Box::new(h),
    })
}

impl MixinConnection {
    /// Starts the venue handler for `setup` with `channels` of `symbols`.
    pub(crate) fn spawn(
        setup: &VenueSetup,
        sink: &mut Option<MessageSink>,
        channels: &[ChannelKind],
        symbols: &[market_types::Symbol],
        on_state: impl FnMut(ConnectionState) + Send + 'static,
    ) -> Result<Self, CompatError> {
        let driver = setup.driver_config();
        let started = match handler(setup, sink, channels, symbols)? {
            Handler::MexcPublic(h) => Connection::spawn_with_state_callback(h, driver, on_state)
                .map(MixinConnection::MexcPublic),
            Handler::MexcPrivate(h) => Connection::spawn_with_state_callback(h, driver, on_state)
                .map(MixinConnection::MexcPrivate),
            Handler::GateioSpotPublic(h) => {
                Connection::spawn_with_state_callback(h, driver, on_state)
                    .map(MixinConnection::GateioSpotPublic)
            }
            Handler::GateioSpotPrivate(h) => {
                Connection::spawn_with_state_callback(h, driver, on_state)
                    .map(MixinConnection::GateioSpotPrivate)
            }
            Handler::GateioFuturesPublic(h) => {
                Connection::spawn_with_state_callback(h, driver, on_state)
                    .map(MixinConnection::GateioFuturesPublic)
            }
            Handler::GateioFuturesPrivate(h) => {
                Connection::spawn_with_state_callback(h, driver, on_state)
                    .map(MixinConnection::GateioFuturesPrivate)
            }
        };
        started.map_err(|e| CompatError::init_failed(e.to_string(), Some(e)))
    }

    pub(crate) fn state(&self) -> ConnectionState {
        each!(self, c => c.state())
    }

    /// Counters, latency and the sink's counts.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let (stats, errors) =
            each!(self, c => (c.stats(), c.with_session(|s| s.callbacks().sink.errors)));
        let latency = stats.latency.histogram();
        Snapshot {
            messages: stats.counters.messages_received,
            errors,
            transport_errors: stats.counters.errors,
            reconnects: stats.counters.reconnects,
            latency_samples: latency.len(),
            latency_mean_ns: latency.mean(),
            latency_max_ns: if latency.is_empty() { 0 } else { latency.max() },
        }
    }

    /// Makes the translator spell `symbols` the old way.
    pub(crate) fn register(&self, symbols: &[Symbol]) {
        each!(self, c => c.with_session_mut(|s| {
            for symbol in symbols {
                s.callbacks_mut().sink.translator.register(symbol);
            }
        }));
    }

    /// Moves the user's handler out (before the connection is replaced).
    pub(crate) fn take_sink(&self) -> MessageSink {
        each!(self, c => c.with_session_mut(|s| s.callbacks_mut().sink.take()))
    }

    /// Gives the user's handler back (a failed switch).
    pub(crate) fn put_sink(&self, sink: MessageSink) {
        each!(self, c => c.with_session_mut(move |s| s.callbacks_mut().sink = sink));
    }

    /// Subscribes `channels` of `symbols`, one command per channel, symbol by symbol.
    pub(crate) async fn subscribe(
        &self,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
    ) -> Result<(), WsError> {
        self.change(symbols, channels, true).await
    }

    /// Unsubscribes `channels` of `symbols`, as [`Self::subscribe`].
    pub(crate) async fn unsubscribe(
        &self,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
    ) -> Result<(), WsError> {
        self.change(symbols, channels, false).await
    }

    async fn change(
        &self,
        symbols: &[market_types::Symbol],
        channels: &[ChannelKind],
        subscribe: bool,
    ) -> Result<(), WsError> {
        let gateio = |topic| match subscribe {
            true => GateioPublicCommand::Subscribe(topic),
            false => GateioPublicCommand::Unsubscribe(topic),
        };
        match self {
            MixinConnection::MexcPublic(c) => {
                for symbol in symbols {
                    for channel in channels.iter().filter_map(|k| public_channel(*symbol, *k)) {
                        c.command(match subscribe {
                            true => MexcPublicCommand::Subscribe(channel),
                            false => MexcPublicCommand::Unsubscribe(channel),
                        })
                        .await?;
                    }
                }
                Ok(())
            }
            MixinConnection::GateioSpotPublic(c) => {
                for topic in gateio_topics(symbols, channels) {
                    c.command(gateio(topic)).await?;
                }
                Ok(())
            }
            MixinConnection::GateioFuturesPublic(c) => {
                for topic in gateio_topics(symbols, channels) {
                    c.command(gateio(topic)).await?;
                }
                Ok(())
            }
            // Private channels are not per symbol (all pairs are subscribed).
            MixinConnection::MexcPrivate(_)
            | MixinConnection::GateioSpotPrivate(_)
            | MixinConnection::GateioFuturesPrivate(_) => Ok(()),
        }
    }

    pub(crate) async fn send(&self, frame: OutFrame) -> Result<(), WsError> {
        each!(self, c => c.send_message(frame).await)
    }

    pub(crate) async fn close(&mut self) -> Result<(), WsError> {
        each!(self, c => c.close().await)
    }
}

/// Topics of `symbols` × `channels`, symbol by symbol.
fn gateio_topics(
    symbols: &[market_types::Symbol],
    channels: &[ChannelKind],
) -> Vec<GateioPublicTopic> {
    symbols
        .iter()
        .flat_map(|s| channels.iter().filter_map(|c| gateio_topic(*s, *c)))
        .collect()
}

/// The handler settings the old inputs stand for.
pub(crate) fn mexc_handler_config(
    setup: &VenueSetup,
    credentials: Option<exchange_mexc::Credentials>,
) -> MexcHandlerConfig {
    let mexc = mexc_config(setup, credentials);
    let venue_ping = match setup.scope {
        StreamScope::Public => mexc.endpoints.public_context().ping,
        StreamScope::Private => mexc.endpoints.private_context("").ping,
    };
    MexcHandlerConfig {
        context: ContextOverrides {
            ping: Some(setup.ping(venue_ping)),
            ..ContextOverrides::default()
        },
        reconnection: setup.policy(RECONNECTION_POLICY),
        ..MexcHandlerConfig::new(mexc)
    }
}
