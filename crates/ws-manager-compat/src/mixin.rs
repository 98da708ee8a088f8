//! The mixin path (feature `mixin`): `ws_core::Connection` running the venue handlers with
//! [`Translate`] as their callbacks. The compat layer only turns the old inputs into a
//! venue-independent `StreamRequest`, lets the venue's connector build the handler, and
//! forwards commands. The venue is chosen once (`venue_registry::dispatch`); the running
//! connection keeps its concrete handler type, so the message path is statically
//! dispatched, and only the old API's calls go through `dyn`.

use std::future::Future;
use std::pin::Pin;

use market_types::Symbol as VenueSymbol;
use venue_registry::{VenueConnector, VenueVisitor, dispatch};
use ws_core::{Connection, ConnectionState, OutFrame, Session, WsError};
use ws_handlers::{PublicVenueHandler, SubscriptionChange, VenueHandler};

use crate::error::CompatError;
use crate::metrics::Snapshot;
use crate::setup::{ChannelKind, StreamScope, VenueSetup, feeds, request};
use crate::translate::{MessageSink, Translate, take_sink};
use crate::types::Symbol;

/// A running venue handler.
pub(crate) struct MixinConnection {
    running: Box<dyn RunningHandler>,
}

impl std::fmt::Debug for MixinConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MixinConnection")
    }
}

/// Builds the venue's handler for a setup and hands it to `T`, typed.
pub(crate) trait HandlerUse {
    type Output;
    fn public<V: VenueConnector, S: PublicVenueHandler<Callbacks = Translate>>(
        self,
        handler: S,
    ) -> Self::Output;
    fn private<V: VenueConnector, S: VenueHandler<Callbacks = Translate>>(
        self,
        handler: S,
    ) -> Self::Output;
}

/// The venue handler for `setup` with `channels` of `symbols`, calling `sink`, given to
/// `then`.
pub(crate) fn with_handler<T: HandlerUse>(
    setup: &VenueSetup,
    sink: &mut Option<MessageSink>,
    channels: &[ChannelKind],
    symbols: &[VenueSymbol],
    then: T,
) -> Result<T::Output, CompatError> {
    struct Build<'a, T> {
        setup: &'a VenueSetup,
        sink: &'a mut Option<MessageSink>,
        channels: &'a [ChannelKind],
        symbols: &'a [VenueSymbol],
        then: T,
    }
    impl<T: HandlerUse> VenueVisitor for Build<'_, T> {
        type Output = Result<T::Output, CompatError>;

        fn visit<V: VenueConnector>(self) -> Self::Output {
            let feeds = feeds(self.channels);
            let request = request::<V>(self.setup, self.symbols, &feeds)?;
            let bad = |e: ws_handlers::VenueError| CompatError::InvalidConfig(e.to_string());
            let config = V::config(&request).map_err(bad)?;
            match self.setup.scope {
                StreamScope::Public => {
                    let callbacks = Translate::new(take_sink(self.sink)?);
                    let handler = V::public(&config, &request, callbacks).map_err(bad)?;
                    Ok(self.then.public::<V, _>(handler))
                }
                StreamScope::Private => {
                    let callbacks = Translate::new(take_sink(self.sink)?);
                    let handler = V::private(config, &request, callbacks);
                    Ok(self.then.private::<V, _>(handler))
                }
            }
        }
    }
    dispatch(
        setup.venue(),
        Build {
            setup,
            sink,
            channels,
            symbols,
            then,
        },
    )
}

impl MixinConnection {
    /// Starts the venue handler for `setup` with `channels` of `symbols`.
    pub(crate) fn spawn(
        setup: &VenueSetup,
        sink: &mut Option<MessageSink>,
        channels: &[ChannelKind],
        symbols: &[VenueSymbol],
        on_state: impl FnMut(ConnectionState) + Send + 'static,
    ) -> Result<Self, CompatError> {
        struct Spawn<F> {
            driver: ws_core::DriverConfig,
            on_state: F,
        }
        impl<F: FnMut(ConnectionState) + Send + 'static> HandlerUse for Spawn<F> {
            type Output = Result<MixinConnection, WsError>;
            fn public<V: VenueConnector, S: PublicVenueHandler<Callbacks = Translate>>(
                self,
                handler: S,
            ) -> Self::Output {
                let connection =
                    Connection::spawn_with_state_callback(handler, self.driver, self.on_state)?;
                Ok(MixinConnection::new(connection, subscription_commands::<S>))
            }
            fn private<V: VenueConnector, S: VenueHandler<Callbacks = Translate>>(
                self,
                handler: S,
            ) -> Self::Output {
                let connection =
                    Connection::spawn_with_state_callback(handler, self.driver, self.on_state)?;
                Ok(MixinConnection::new(connection, no_commands::<S>))
            }
        }
        let spawn = Spawn {
            driver: setup.driver_config(),
            on_state,
        };
        with_handler(setup, sink, channels, symbols, spawn)?
            .map_err(|e| CompatError::init_failed(e.to_string(), Some(e)))
    }

    fn new<S: VenueHandler<Callbacks = Translate>>(
        connection: Connection<S>,
        commands: CommandsFn<S>,
    ) -> Self {
        Self {
            running: Box::new(Running {
                connection,
                commands,
            }),
        }
    }

    pub(crate) fn state(&self) -> ConnectionState {
        self.running.state()
    }

    /// Counters, latency and the sink's counts.
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.running.snapshot()
    }

    /// Makes the translator spell `symbols` the old way.
    pub(crate) fn register(&self, symbols: &[Symbol]) {
        self.running.register(symbols);
    }

    /// Moves the user's handler out (before the connection is replaced).
    pub(crate) fn take_sink(&self) -> MessageSink {
        self.running.take_sink()
    }

    /// Gives the user's handler back (a failed switch).
    pub(crate) fn put_sink(&self, sink: MessageSink) {
        self.running.put_sink(sink);
    }

    /// Subscribes `channels` of `symbols`, one command per channel, symbol by symbol.
    /// Private channels are not per symbol (all pairs are subscribed).
    pub(crate) async fn subscribe(
        &self,
        symbols: &[VenueSymbol],
        channels: &[ChannelKind],
    ) -> Result<(), WsError> {
        self.running
            .change(symbols, channels, SubscriptionChange::Subscribe)
            .await
    }

    /// Unsubscribes `channels` of `symbols`, as [`Self::subscribe`].
    pub(crate) async fn unsubscribe(
        &self,
        symbols: &[VenueSymbol],
        channels: &[ChannelKind],
    ) -> Result<(), WsError> {
        self.running
            .change(symbols, channels, SubscriptionChange::Unsubscribe)
            .await
    }

    pub(crate) async fn send(&self, frame: OutFrame) -> Result<(), WsError> {
        self.running.send(frame).await
    }

    pub(crate) async fn close(&mut self) -> Result<(), WsError> {
        self.running.close().await
    }
}

type Pending<'a> = Pin<Box<dyn Future<Output = Result<(), WsError>> + Send + 'a>>;

/// The commands of `channels` of `symbols` for a handler type.
type CommandsFn<S> =
    fn(&[VenueSymbol], &[ChannelKind], SubscriptionChange) -> Vec<<S as Session>::Command>;

/// The old calls on a connection of any handler type.
trait RunningHandler: Send + Sync {
    fn state(&self) -> ConnectionState;
    fn snapshot(&self) -> Snapshot;
    fn register(&self, symbols: &[Symbol]);
    fn take_sink(&self) -> MessageSink;
    fn put_sink(&self, sink: MessageSink);
    fn change<'a>(
        &'a self,
        symbols: &'a [VenueSymbol],
        channels: &'a [ChannelKind],
        change: SubscriptionChange,
    ) -> Pending<'a>;
    fn send(&self, frame: OutFrame) -> Pending<'_>;
    fn close(&mut self) -> Pending<'_>;
}

struct Running<S: VenueHandler<Callbacks = Translate>> {
    connection: Connection<S>,
    commands: CommandsFn<S>,
}

impl<S: VenueHandler<Callbacks = Translate>> RunningHandler for Running<S>
where
    Connection<S>: Sync,
{
    fn state(&self) -> ConnectionState {
        self.connection.state()
    }

    fn snapshot(&self) -> Snapshot {
        let stats = self.connection.stats();
        let errors = self.connection.with_session(|s| s.callbacks().sink.errors);
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

    fn register(&self, symbols: &[Symbol]) {
        self.connection.with_session_mut(|s| {
            for symbol in symbols {
                s.callbacks_mut().sink.translator.register(symbol);
            }
        });
    }

    fn take_sink(&self) -> MessageSink {
        self.connection
            .with_session_mut(|s| s.callbacks_mut().sink.take())
    }

    fn put_sink(&self, sink: MessageSink) {
        self.connection
            .with_session_mut(move |s| s.callbacks_mut().sink = sink);
    }

    fn change<'a>(
        &'a self,
        symbols: &'a [VenueSymbol],
        channels: &'a [ChannelKind],
        change: SubscriptionChange,
    ) -> Pending<'a> {
        let commands = (self.commands)(symbols, channels, change);
        Box::pin(async move {
            for command in commands {
                self.connection.command(command).await?;
            }
            Ok(())
        })
    }

    fn send(&self, frame: OutFrame) -> Pending<'_> {
        Box::pin(self.connection.send_message(frame))
    }

    fn close(&mut self) -> Pending<'_> {
        Box::pin(self.connection.close())
    }
}

/// Symbol by symbol, channel by channel.
fn subscription_commands<S: PublicVenueHandler>(
    symbols: &[VenueSymbol],
    channels: &[ChannelKind],
    change: SubscriptionChange,
) -> Vec<S::Command> {
    symbols
        .iter()
        .flat_map(|s| {
            channels
                .iter()
                .filter_map(move |c| S::subscription_command(*s, c.feed(), change))
        })
        .collect()
}

/// Account channels are not per symbol.
fn no_commands<S: Session>(
    _symbols: &[VenueSymbol],
    _channels: &[ChannelKind],
    _change: SubscriptionChange,
) -> Vec<S::Command> {
    Vec::new()
}
