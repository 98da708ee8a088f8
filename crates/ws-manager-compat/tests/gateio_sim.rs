//! The old API against the Gate.io simulator (spot and futures), on each compiled-in path.
#![allow(deprecated, reason = "tests of the deprecated compatibility API")]

mod support;

use std::time::Duration;

use support::{Collected, GateioSim, eventually};
use ws_manager_compat::{
    Architecture, MessageData, MessageType, PublicWebsocketChannelType, Symbol,
    create_websocket_manager,
};

const WAIT: Duration = Duration::from_secs(10);

async fn public_stream_on(architecture: Architecture, futures: bool) -> anyhow::Result<()> {
    let sim = GateioSim::start().await?;
    let seen = Collected::default();
    let mut manager = create_websocket_manager(
        &sim.exchange_config(futures, false),
        false,
        seen.message_handler(),
        seen.connection_handler(),
    )?
    .with_architecture(architecture)?;
    let btc = if futures {
        Symbol::futures("BTC", "USDT")
    } else {
        Symbol::new("BTC", "USDT")
    };
    manager
        .initialize(
            Some(vec![btc.clone()]),
            Some(vec![
                PublicWebsocketChannelType::Orderbook,
                PublicWebsocketChannelType::Trades,
                PublicWebsocketChannelType::BookTicker,
                PublicWebsocketChannelType::Ticker,
            ]),
        )
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
    let counts: Vec<_> = [
        MessageType::Orderbook,
        MessageType::Trade,
        MessageType::BookTicker,
        MessageType::Ticker,
        MessageType::Other,
        MessageType::Error,
        MessageType::SubscriptionError,
    ]
    .into_iter()
    .map(|t| (t, seen.count(t)))
    .collect();
    assert!(
        got_all,
        "missing data on {architecture}: {counts:?} {:?}",
        seen.messages()
            .iter()
            .find(|m| m.message_type == MessageType::Error)
    );
    for m in seen.messages() {
        if let Some(MessageData::OrderBook { book, .. }) = &m.data {
            assert_eq!(m.symbol.as_ref(), Some(&btc));
            assert!(!book.is_crossed());
        }
    }
    let metrics = manager.get_performance_metrics();
    assert!(metrics.messages_processed > 0);
    assert_eq!(metrics.error_count, 0, "{metrics:?}");
    manager.close().await;
    sim.sim.shutdown().await;
    Ok(())
}

#[cfg(feature = "legacy-strategy")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_spot_public_on_the_legacy_path() -> anyhow::Result<()> {
    public_stream_on(Architecture::LegacyStrategy, false).await
}

#[cfg(feature = "legacy-strategy")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_futures_public_on_the_legacy_path() -> anyhow::Result<()> {
    public_stream_on(Architecture::LegacyStrategy, true).await
}

#[cfg(feature = "mixin")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_spot_public_on_the_mixin_path() -> anyhow::Result<()> {
    public_stream_on(Architecture::Mixin, false).await
}

#[cfg(feature = "mixin")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_futures_public_on_the_mixin_path() -> anyhow::Result<()> {
    public_stream_on(Architecture::Mixin, true).await
}

/// Orders, fills and balances of the simulated account through the old private manager.
async fn private_stream_on(architecture: Architecture, futures: bool) -> anyhow::Result<()> {
    use exchange_sim::gateio::Market;
    use market_types::{Decimal, Side};

    let sim = GateioSim::start().await?;
    let seen = Collected::default();
    let mut manager = create_websocket_manager(
        &sim.exchange_config(futures, true),
        true,
        seen.message_handler(),
        seen.connection_handler(),
    )?
    .with_architecture(architecture)?;
    manager.initialize(None, None).await?;
    assert!(
        eventually(WAIT, || manager.is_connected()).await,
        "never connected"
    );
    let market = if futures {
        Market::Futures
    } else {
        Market::Spot
    };
    let prefix = if futures { "futures" } else { "spot" };
    // The fill is pushed once, to whoever is subscribed then: wait for both channels.
    let subscribed = eventually(WAIT, || {
        ["orders", "usertrades"].iter().all(|channel| {
            sim.venue
                .subscribers(market, &format!("{prefix}.{channel}"), "BTC_USDT")
                > 0
        })
    })
    .await;
    assert!(
        subscribed,
        "private channels not subscribed on {architecture}"
    );
    let order = sim.venue.place_order(
        market,
        "BTC_USDT",
        Side::Buy,
        Decimal::from(50_000u32),
        Decimal::from(1u32),
    )?;
    sim.venue.fill(order, Decimal::from(1u32))?;
    let got = seen
        .wait_for(WAIT, |c| {
            c.count(MessageType::Order) >= 2
                && c.messages()
                    .iter()
                    .any(|m| matches!(m.data, Some(MessageData::Fill(_))))
        })
        .await;
    assert!(
        got,
        "{architecture}: {:?}",
        seen.messages()
            .iter()
            .map(|m| (m.message_type.name(), m.channel))
            .collect::<Vec<_>>()
    );
    let metrics = manager.get_performance_metrics();
    assert!(metrics.messages_processed > 0);
    manager.close().await;
    sim.sim.shutdown().await;
    Ok(())
}

#[cfg(feature = "mixin")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_spot_private_on_the_mixin_path() -> anyhow::Result<()> {
    private_stream_on(Architecture::Mixin, false).await
}

#[cfg(feature = "mixin")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_futures_private_on_the_mixin_path() -> anyhow::Result<()> {
    private_stream_on(Architecture::Mixin, true).await
}

#[cfg(feature = "legacy-strategy")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_spot_private_on_the_legacy_path() -> anyhow::Result<()> {
    private_stream_on(Architecture::LegacyStrategy, false).await
}

#[cfg(feature = "legacy-strategy")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_futures_private_on_the_legacy_path() -> anyhow::Result<()> {
    private_stream_on(Architecture::LegacyStrategy, true).await
}
