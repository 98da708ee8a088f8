//! The running legacy path, with the same operations as the mixin path's connection.

use ws_core::{Connection, ConnectionState, OutFrame, WsError};

use super::{LegacyCommand, StrategySession, WebSocketStrategySet};
use crate::error::CompatError;
use crate::metrics::Snapshot;
use crate::setup::{ChannelKind, VenueSetup};
use crate::translate::MessageSink;
use crate::types::Symbol;

/// A strategy session under the driver.
#[derive(Debug)]
pub(crate) struct LegacyConnection(pub(crate) Connection<StrategySession>);

impl LegacyConnection {
    /// Starts the venue's strategies for `setup` with `channels` of `symbols`.
    pub(crate) fn spawn(
        setup: &VenueSetup,
        sink: &mut Option<MessageSink>,
        channels: &[ChannelKind],
        symbols: &[market_types::Symbol],
        on_state: impl FnMut(ConnectionState) + Send + 'static,
    ) -> Result<Self, CompatError> {
        let strategies = WebSocketStrategySet::for_setup(setup)?;
        let sink = crate::translate::take_sink(sink)?;
        let session = StrategySession::new(strategies, sink, channels.to_vec(), symbols.to_vec());
        Connection::spawn_with_state_callback(session, setup.driver_config(), on_state)
            .map(LegacyConnection)
            .map_err(|e| CompatError::init_failed(e.to_string(), Some(e)))
    }

    pub(crate) fn state(&self) -> ConnectionState {
        self.0.state()
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let stats = self.0.stats();
        let errors = self.0.with_session(|s| s.sink.errors);
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

    pub(crate) fn register(&self, symbols: &[Symbol]) {
        self.0.with_session_mut(|s| {
            for symbol in symbols {
                s.sink.translator.register(symbol);
            }
        });
    }

    pub(crate) fn take_sink(&self) -> MessageSink {
        self.0.with_session_mut(|s| s.sink.take())
    }

    pub(crate) fn put_sink(&self, sink: MessageSink) {
        self.0.with_session_mut(move |s| s.sink = sink);
    }

    pub(crate) async fn subscribe(
        &self,
        symbols: &[market_types::Symbol],
        _channels: &[ChannelKind],
    ) -> Result<(), WsError> {
        self.0
            .command(LegacyCommand::Subscribe(symbols.to_vec()))
            .await
    }

    pub(crate) async fn unsubscribe(
        &self,
        symbols: &[market_types::Symbol],
        _channels: &[ChannelKind],
    ) -> Result<(), WsError> {
        self.0
            .command(LegacyCommand::Unsubscribe(symbols.to_vec()))
            .await
    }

    pub(crate) async fn send(&self, frame: OutFrame) -> Result<(), WsError> {
        self.0.send_message(frame).await
    }

    pub(crate) async fn close(&mut self) -> Result<(), WsError> {
        self.0.close().await
    }
}
