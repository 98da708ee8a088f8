//! The old API against the MEXC simulator, on each compiled-in path.
#![allow(deprecated, reason = "tests of the deprecated compatibility API")]

mod support;

use std::time::Duration;

use support::{Collected, MexcSim, eventually};
use ws_manager_compat::{
    Architecture, ConnectionState, MessageData, MessageType, Symbol, create_websocket_manager,
};

const WAIT: Duration = Duration::from_secs(10);

async fn public_stream_on(architecture: Architecture) -> anyhow::Result<()> {
    let sim = MexcSim::start().await?;
    let seen = Collected::default();
    let mut manager = create_websocket_manager(
        &sim.exchange_config(false),
        false,
        seen.message_handler(),
        seen.connection_handler(),
    )?
    .with_architecture(architecture)?;
    assert!(!manager.is_connected());
    manager
        .initialize(Some(vec![Symbol::new("BTC", "USDT")]), None)
        .await?;
    assert!(
        eventually(WAIT, || manager.is_connected()).await,
        "never connected"
    );
    let got_all = seen
        .wait_for(WAIT, |c| {
            c.count(MessageType::Orderbook) > 3
                && c.count(MessageType::Trade) > 0
                && c.count(MessageType::BookTicker) > 0
        })
        .await;
    assert!(
        got_all,
        "missing data on {architecture}: {:?}",
        summary(&seen)
    );
    let books: Vec<_> = seen
        .messages()
        .into_iter()
        .filter_map(|m| match m.data {
            Some(MessageData::OrderBook { book, .. }) => Some((m.symbol, book)),
            _ => None,
        })
        .collect();
    for (symbol, book) in &books {
        assert_eq!(symbol.as_ref(), Some(&Symbol::new("BTC", "USDT")));
        assert!(!book.is_crossed());
        assert!(book.best_bid().is_some() && book.best_ask().is_some());
    }
    let metrics = manager.get_performance_metrics();
    assert!(metrics.messages_processed > 0);
    assert_eq!(metrics.connection_state, "CONNECTED");
    assert_eq!(metrics.error_count, 0, "{metrics:?}");
    assert_eq!(metrics.reconnection_count, 0);
    assert_eq!(metrics.architecture.current, architecture);
    manager.close().await;
    assert!(!manager.is_connected());
    let states = seen.states();
    assert_eq!(
        states.first(),
        Some(&ConnectionState::Connecting),
        "{states:?}"
    );
    assert!(states.contains(&ConnectionState::Connected));
    assert_eq!(states.last(), Some(&ConnectionState::Closed), "{states:?}");
    sim.sim.shutdown().await;
    Ok(())
}

fn summary(seen: &Collected) -> Vec<(MessageType, usize)> {
    [
        MessageType::Orderbook,
        MessageType::Trade,
        MessageType::BookTicker,
        MessageType::Other,
        MessageType::Error,
        MessageType::SubscriptionError,
    ]
    .into_iter()
    .map(|t| (t, seen.count(t)))
    .collect()
}

#[cfg(feature = "mixin")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mexc_public_on_the_mixin_path() -> anyhow::Result<()> {
    public_stream_on(Architecture::Mixin).await
}

#[cfg(feature = "legacy-strategy")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mexc_public_on_the_legacy_path() -> anyhow::Result<()> {
    public_stream_on(Architecture::LegacyStrategy).await
}

/// Orders and fills through the old private manager while the venue's clock is 90 s
/// ahead of the host: the listen key is refused (700003) until the venue's time is
/// measured and used to sign.
async fn private_stream_with_the_venue_clock_ahead_on(
    architecture: Architecture,
) -> anyhow::Result<()> {
    use market_types::{Price, Quantity, Side};

    let sim = MexcSim::start().await?;
    sim.venue.set_clock_offset_ms(90_000);
    let seen = Collected::default();
    let mut manager = create_websocket_manager(
        &sim.exchange_config(true),
        true,
        seen.message_handler(),
        seen.connection_handler(),
    )?
    .with_architecture(architecture)?;
    manager
        .initialize(Some(vec![Symbol::new("BTC", "USDT")]), None)
        .await?;
    assert!(
        eventually(WAIT, || manager.is_connected()).await,
        "{architecture}: never connected with the venue clock ahead"
    );
    assert_eq!(sim.venue.listen_keys().len(), 1, "{architecture}");
    let subscribed = eventually(WAIT, || {
        sim.venue
            .connections()
            .iter()
            .any(|c| c.channels.len() >= 3)
    })
    .await;
    assert!(
        subscribed,
        "{architecture}: private channels not subscribed"
    );
    let order = sim.venue.place_order(
        "BTCUSDT",
        Side::Buy,
        Price::parse("60000")?,
        Quantity::parse("0.01")?,
    )?;
    sim.venue.fill(&order, Quantity::parse("0.01")?)?;
    let got = seen
        .wait_for(WAIT, |c| {
            c.count(MessageType::Order) >= 2
                && c.messages()
                    .iter()
                    .any(|m| matches!(m.data, Some(MessageData::Fill(_))))
        })
        .await;
    assert!(got, "{architecture}: {:?}", summary(&seen));
    let metrics = manager.get_performance_metrics();
    assert_eq!(metrics.reconnection_count, 0, "{metrics:?}");
    manager.close().await;
    sim.sim.shutdown().await;
    Ok(())
}

#[cfg(feature = "mixin")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mexc_private_with_the_venue_clock_ahead_on_the_mixin_path() -> anyhow::Result<()> {
    private_stream_with_the_venue_clock_ahead_on(Architecture::Mixin).await
}

#[cfg(feature = "legacy-strategy")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mexc_private_with_the_venue_clock_ahead_on_the_legacy_path() -> anyhow::Result<()> {
    private_stream_with_the_venue_clock_ahead_on(Architecture::LegacyStrategy).await
}
