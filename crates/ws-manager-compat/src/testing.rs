//! Both paths' sessions without a driver, for the differential test and the benchmark:
//! the same frames go in, `ParsedMessage`s come out through the user's handler.

use ws_core::{
    ConnectionContext, DisconnectCause, InboundFrame, Outbox, RestResponse, Session, Timestamp,
};

use crate::config::{ExchangeConfig, WebSocketManagerConfig};
use crate::error::CompatError;
use crate::metrics::Architecture;
use crate::setup::{ChannelKind, StreamScope, VenueSetup};
use crate::translate::{MessageHandler, MessageSink, Translator, venue_symbol};
use crate::types::{PublicWebsocketChannelType, Symbol};

/// A path's session, driven by hand.
pub trait ReplaySession: Send {
    /// `Session::connection_context`.
    fn context(&self) -> ConnectionContext;
    /// `Session::ready_to_connect`.
    fn ready(&mut self, now: Timestamp, out: &mut Outbox) -> bool;
    /// `Session::on_connected`.
    fn connected(&mut self, now: Timestamp, out: &mut Outbox);
    /// `Session::on_frame`.
    fn frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox);
    /// `Session::on_rest_response`.
    fn rest(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox);
    /// `Session::on_tick`.
    fn tick(&mut self, now: Timestamp, out: &mut Outbox);
    /// `Session::on_disconnected`.
    fn disconnected(&mut self, cause: &DisconnectCause, now: Timestamp);
    /// `Session::on_app_ping`.
    fn app_ping(&mut self, now: Timestamp, out: &mut Outbox);
    /// Messages delivered to the handler, and how many of them were errors.
    fn counts(&self) -> (u64, u64);
}

macro_rules! replay {
    ([$($generics:tt)*] $ty:ty, $s:ident => $sink:expr) => {
        impl<$($generics)*> ReplaySession for $ty {
            fn context(&self) -> ConnectionContext {
                Session::connection_context(self)
            }
            fn ready(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
                Session::ready_to_connect(self, now, out)
            }
            fn connected(&mut self, now: Timestamp, out: &mut Outbox) {
                Session::on_connected(self, now, out);
            }
            #[inline]
            fn frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
                Session::on_frame(self, frame, out);
            }
            fn rest(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
                Session::on_rest_response(self, response, now, out);
            }
            fn tick(&mut self, now: Timestamp, out: &mut Outbox) {
                Session::on_tick(self, now, out);
            }
            fn disconnected(&mut self, cause: &DisconnectCause, now: Timestamp) {
                Session::on_disconnected(self, cause, now);
            }
            fn app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
                Session::on_app_ping(self, now, out);
            }
            fn counts(&self) -> (u64, u64) {
                let $s = self;
                let sink = $sink;
                (sink.delivered, sink.errors)
            }
        }
    };
}

// Every venue handler with the translating callbacks, whatever its venue.
#[cfg(feature = "mixin")]
replay!(
    [S: ws_handlers::VenueHandler<Callbacks = crate::translate::Translate>] S,
    s => &s.callbacks().sink
);
#[cfg(feature = "legacy-strategy")]
replay!([] crate::legacy::StrategySession, s => &s.sink);

/// The session `architecture` would run for `exchange_config` with `channels` of `symbols`
/// (`None`: the defaults), delivering to `handler`.
///
/// # Errors
/// As the factory, and `Unavailable` for a path or venue that is not built.
pub fn session(
    architecture: Architecture,
    exchange_config: &ExchangeConfig,
    is_private: bool,
    channels: Option<Vec<PublicWebsocketChannelType>>,
    symbols: &[Symbol],
    handler: MessageHandler,
) -> Result<Box<dyn ReplaySession>, CompatError> {
    let scope = if is_private {
        StreamScope::Private
    } else {
        StreamScope::Public
    };
    let setup = VenueSetup::from_exchange(exchange_config, scope, WebSocketManagerConfig::hft())?;
    let channels: Vec<ChannelKind> = match (channels, scope) {
        (Some(c), StreamScope::Public) => c.into_iter().map(ChannelKind::Public).collect(),
        _ => setup.default_channels(),
    };
    let mut translator = Translator::new(setup.venue());
    for symbol in symbols {
        translator.register(symbol);
    }
    let venue: Vec<market_types::Symbol> = symbols
        .iter()
        .filter_map(|s| venue_symbol(setup.venue(), s))
        .collect();
    let sink = MessageSink::new(handler, translator);
    build(architecture, &setup, sink, &channels, &venue)
}

fn build(
    architecture: Architecture,
    setup: &VenueSetup,
    sink: MessageSink,
    channels: &[ChannelKind],
    symbols: &[market_types::Symbol],
) -> Result<Box<dyn ReplaySession>, CompatError> {
    match architecture {
        #[cfg(feature = "mixin")]
        Architecture::Mixin => mixin_session(setup, sink, channels, symbols),
        #[cfg(feature = "legacy-strategy")]
        Architecture::LegacyStrategy => {
            let strategies = crate::legacy::WebSocketStrategySet::for_setup(setup)?;
            Ok(Box::new(crate::legacy::StrategySession::new(
                strategies,
                sink,
                channels.to_vec(),
                symbols.to_vec(),
            )))
        }
        #[allow(unreachable_patterns, reason = "only when one path is compiled out")]
        other => Err(CompatError::Unavailable(format!("the {other} path"))),
    }
}

/// The mixin path's handler without a driver, boxed behind [`ReplaySession`].
#[cfg(feature = "mixin")]
fn mixin_session(
    setup: &VenueSetup,
    sink: MessageSink,
    channels: &[ChannelKind],
    symbols: &[market_types::Symbol],
) -> Result<Box<dyn ReplaySession>, CompatError> {
    use crate::translate::Translate;
    use venue_registry::VenueConnector;
    use ws_handlers::{PublicVenueHandler, VenueHandler};

    struct Boxed;
    impl crate::mixin::HandlerUse for Boxed {
        type Output = Box<dyn ReplaySession>;
        fn public<V: VenueConnector, S: PublicVenueHandler<Callbacks = Translate>>(
            self,
            handler: S,
        ) -> Self::Output {
            Box::new(handler)
        }
        fn private<V: VenueConnector, S: VenueHandler<Callbacks = Translate>>(
            self,
            handler: S,
        ) -> Self::Output {
            Box::new(handler)
        }
    }
    crate::mixin::with_handler(setup, &mut Some(sink), channels, symbols, Boxed)
}
