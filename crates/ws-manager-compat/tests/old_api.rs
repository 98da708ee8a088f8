//! One test (at least) for each call of the old API, on each compiled-in path, against the
//! simulator.
#![allow(deprecated, reason = "tests of the deprecated compatibility API")]

mod support;

use std::time::Duration;

use exchange_sim::Fault;
use market_types::{Price, Quantity, Side};
use support::{Collected, MexcSim, eventually};
use ws_manager_compat::{
    Architecture, CompatError, ConnectionState, ExchangeConfig, ExchangeCredentials, MessageData,
    MessageType, PublicWebsocketChannelType, Symbol, WebSocketConfig, WebSocketManager,
    WebSocketManagerConfig, create_websocket_manager,
};

const WAIT: Duration = Duration::from_secs(10);

fn architectures() -> Vec<Architecture> {
    [Architecture::Mixin, Architecture::LegacyStrategy]
        .into_iter()
        .filter(|a| a.is_compiled_in())
        .collect()
}

async fn started(
    sim: &MexcSim,
    architecture: Architecture,
    seen: &Collected,
    channels: Vec<PublicWebsocketChannelType>,
) -> anyhow::Result<WebSocketManager> {
    let mut manager = create_websocket_manager(
        &sim.exchange_config(false),
        false,
        seen.message_handler(),
        seen.connection_handler(),
    )?
    .with_architecture(architecture)?;
    manager
        .initialize(Some(vec![Symbol::new("BTC", "USDT")]), Some(channels))
        .await?;
    assert!(
        eventually(WAIT, || manager.is_connected()).await,
        "never connected on {architecture}"
    );
    Ok(manager)
}

#[test]
fn new_recognises_the_venue_and_refuses_bad_config() {
    let ok = WebSocketManager::new(
        WebSocketConfig::new("wss://wbs-api.mexc.com/ws"),
        |_| {},
        None,
        WebSocketManagerConfig::default(),
    );
    assert!(ok.is_ok_and(|m| !m.is_connected()
        && m.connection_state() == ConnectionState::Disconnected
        && m.start_time().is_none()));
    let unknown = WebSocketManager::new(
        WebSocketConfig::new("wss://example.invalid/ws"),
        |_| {},
        None,
        WebSocketManagerConfig::default(),
    );
    assert!(matches!(unknown, Err(CompatError::InvalidConfig(_))));
    let bad = WebSocketManager::new(
        WebSocketConfig {
            connect_timeout: -1.0,
            ..WebSocketConfig::new("wss://api.gateio.ws/ws/v4/")
        },
        |_| {},
        None,
        WebSocketManagerConfig::default(),
    );
    assert!(matches!(bad, Err(CompatError::InvalidConfig(_))));
}

#[test]
fn factory_refuses_what_the_old_one_refused() {
    let public = ExchangeConfig::new(
        "MEXC",
        ExchangeCredentials::default(),
        "https://api.mexc.com",
        "wss://wbs-api.mexc.com/ws",
    );
    let private = create_websocket_manager(&public, true, |_| {}, None);
    assert!(
        matches!(private, Err(CompatError::InvalidConfig(_))),
        "no credentials"
    );
    let binance = ExchangeConfig {
        name: "BINANCE".into(),
        ..public.clone()
    };
    assert!(matches!(
        create_websocket_manager(&binance, false, |_| {}, None),
        Err(CompatError::InvalidConfig(_))
    ));
    for name in ["MEXC", "GATEIO", "GATEIO_FUTURES"] {
        let config = ExchangeConfig {
            name: name.into(),
            ..public.clone()
        };
        assert!(
            create_websocket_manager(&config, false, |_| {}, None).is_ok(),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_before_initialize_and_after_close() -> anyhow::Result<()> {
    for architecture in architectures() {
        let sim = MexcSim::start().await?;
        let seen = Collected::default();
        let mut manager = create_websocket_manager(
            &sim.exchange_config(false),
            false,
            seen.message_handler(),
            None,
        )?
        .with_architecture(architecture)?;
        let btc = [Symbol::new("BTC", "USDT")];
        // subscribe / send_message need a connection: the old ExchangeRestError(503).
        let err = manager.subscribe(&btc).await;
        assert!(
            err.as_ref().is_err_and(CompatError::is_not_connected),
            "{err:?}"
        );
        assert_eq!(err.err().and_then(|e| e.status()), Some(503));
        let err = manager
            .send_message(&serde_json::json!({"method": "PING"}))
            .await;
        assert_eq!(err.err().and_then(|e| e.status()), Some(503));
        // unsubscribe while disconnected does nothing, as before.
        manager.unsubscribe(&btc).await;
        assert!(manager.active_symbols().is_empty());
        manager.initialize(Some(btc.to_vec()), None).await?;
        assert!(manager.start_time().is_some());
        // A second initialize is refused instead of starting a second set of tasks.
        let again = manager.initialize(None, None).await;
        assert_eq!(again.err().and_then(|e| e.status()), Some(500));
        assert!(eventually(WAIT, || manager.is_connected()).await);
        manager.close().await;
        assert!(!manager.is_connected());
        assert_eq!(manager.connection_state(), ConnectionState::Closed);
        // Closing twice is harmless; metrics survive the close.
        manager.close().await;
        let metrics = manager.get_performance_metrics();
        assert_eq!(metrics.connection_state, "CLOSED");
        let err = manager.send_message(&serde_json::json!({})).await;
        assert_eq!(err.err().and_then(|e| e.status()), Some(503));
        sim.sim.shutdown().await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_unsubscribe_and_send_message() -> anyhow::Result<()> {
    for architecture in architectures() {
        let sim = MexcSim::start().await?;
        let seen = Collected::default();
        let mut manager = started(
            &sim,
            architecture,
            &seen,
            vec![PublicWebsocketChannelType::BookTicker],
        )
        .await?;
        let eth = Symbol::new("ETH", "USDT");
        manager.subscribe(std::slice::from_ref(&eth)).await?;
        assert_eq!(manager.active_symbols().len(), 2);
        let got_eth = seen
            .wait_for(WAIT, |c| {
                c.messages().iter().any(|m| m.symbol.as_ref() == Some(&eth))
            })
            .await;
        assert!(
            got_eth,
            "no ETH/USDT messages after subscribe on {architecture}"
        );
        manager.unsubscribe(std::slice::from_ref(&eth)).await;
        assert_eq!(manager.active_symbols(), [Symbol::new("BTC", "USDT")]);
        // After the unsubscribe is acknowledged, no more ETH messages arrive.
        tokio::time::sleep(Duration::from_millis(300)).await;
        seen.clear();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !seen
                .messages()
                .iter()
                .any(|m| m.symbol.as_ref() == Some(&eth)),
            "ETH still streaming on {architecture}"
        );
        assert!(seen.count(MessageType::BookTicker) > 0, "BTC stopped");
        // send_message passes any JSON through: a MEXC ping is answered with a pong that
        // the session consumes.
        manager
            .send_message(&serde_json::json!({"method": "PING"}))
            .await?;
        manager.close().await;
        sim.sim.shutdown().await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_once_and_count_reconnections() -> anyhow::Result<()> {
    for architecture in architectures() {
        let sim = MexcSim::start().await?;
        let seen = Collected::default();
        let mut manager = started(
            &sim,
            architecture,
            &seen,
            vec![PublicWebsocketChannelType::BookTicker],
        )
        .await?;
        assert!(
            seen.wait_for(WAIT, |c| c.count(MessageType::BookTicker) > 20)
                .await
        );
        sim.venue.pause();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let metrics = manager.get_performance_metrics();
        // One book-ticker message per push, plus the one subscription ack: each frame is
        // counted once (the old manager counted every message twice).
        let tickers = seen.count(MessageType::BookTicker) as u64;
        assert_eq!(metrics.messages_processed, tickers + 1, "{metrics:?}");
        assert_eq!(metrics.reconnection_count, 0);
        assert_eq!(metrics.error_count, 0);
        assert!(metrics.avg_processing_time_ms > 0.0);
        assert!(metrics.max_processing_time_ms >= metrics.avg_processing_time_ms);
        assert!(metrics.messages_per_second > 0.0);
        assert!(metrics.connection_uptime_seconds > 0.0);
        assert_eq!(
            metrics.handler_type,
            match architecture {
                Architecture::Mixin => "mixin",
                Architecture::LegacyStrategy => "strategy",
            }
        );
        // A dropped connection is reconnected and counted (the old counter never moved).
        sim.venue.resume();
        sim.sim.inject(Fault::Drop);
        let reconnected = eventually(WAIT, || {
            manager.get_performance_metrics().reconnection_count == 1 && manager.is_connected()
        })
        .await;
        assert!(reconnected, "{:?}", manager.get_performance_metrics());
        assert!(seen.states().contains(&ConnectionState::Reconnecting));
        // A malformed frame is one error, and the stream goes on.
        seen.clear();
        sim.sim
            .inject(Fault::Malformed(exchange_sim::MalformedKind::InvalidJson));
        assert!(
            eventually(WAIT, || manager.get_performance_metrics().error_count == 1).await,
            "{:?}",
            manager.get_performance_metrics()
        );
        assert!(
            seen.wait_for(WAIT, |c| c.count(MessageType::BookTicker) > 0)
                .await
        );
        assert_eq!(seen.count(MessageType::Error), 1);
        manager.close().await;
        sim.sim.shutdown().await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_handler_sees_each_state_once_and_may_panic() -> anyhow::Result<()> {
    let sim = MexcSim::start().await?;
    let seen = Collected::default();
    let states = seen.states.clone();
    let mut manager = create_websocket_manager(
        &sim.exchange_config(false),
        false,
        |_| {},
        Some(Box::new(move |s| {
            states.lock().unwrap_or_else(|p| p.into_inner()).push(s);
            if s == ConnectionState::Connected {
                panic!("a handler bug must not take the connection down");
            }
        })),
    )?;
    manager
        .initialize(Some(vec![Symbol::new("BTC", "USDT")]), None)
        .await?;
    assert!(eventually(WAIT, || manager.is_connected()).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(manager.is_connected());
    manager.close().await;
    let states = seen.states();
    assert_eq!(
        states,
        [
            ConnectionState::Connecting,
            ConnectionState::Connected,
            ConnectionState::Closing,
            ConnectionState::Closed
        ]
    );
    sim.sim.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_stream_delivers_orders_balances_and_fills() -> anyhow::Result<()> {
    for architecture in architectures() {
        let sim = MexcSim::start().await?;
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
            "{architecture}"
        );
        // Let the subscription be acknowledged before the account moves.
        let subscribed = eventually(WAIT, || {
            sim.venue
                .connections()
                .iter()
                .any(|c| c.channels.len() >= 3)
        })
        .await;
        assert!(
            subscribed,
            "private channels not subscribed on {architecture}"
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
                    && c.count(MessageType::Balance) >= 1
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
                .map(|m| m.message_type.name())
                .collect::<Vec<_>>()
        );
        manager.close().await;
        sim.sim.shutdown().await;
    }
    Ok(())
}

#[cfg(all(feature = "mixin", feature = "legacy-strategy"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_architecture_keeps_subscriptions_and_reports_both_paths() -> anyhow::Result<()> {
    let sim = MexcSim::start().await?;
    let seen = Collected::default();
    let mut manager = started(
        &sim,
        Architecture::Mixin,
        &seen,
        vec![
            PublicWebsocketChannelType::BookTicker,
            PublicWebsocketChannelType::Orderbook,
        ],
    )
    .await?;
    manager.subscribe(&[Symbol::new("ETH", "USDT")]).await?;
    assert!(
        seen.wait_for(WAIT, |c| c.count(MessageType::Orderbook) > 5)
            .await
    );
    manager
        .switch_architecture(Architecture::LegacyStrategy)
        .await?;
    assert_eq!(manager.architecture(), Architecture::LegacyStrategy);
    assert!(eventually(WAIT, || manager.is_connected()).await);
    seen.clear();
    let both = seen
        .wait_for(WAIT, |c| {
            let ms = c.messages();
            let has = |base: &str, t| {
                ms.iter().any(|m| {
                    m.message_type == t && m.symbol.as_ref().is_some_and(|s| s.base == base)
                })
            };
            has("BTC", MessageType::Orderbook) && has("ETH", MessageType::Orderbook)
        })
        .await;
    assert!(both, "subscriptions not carried over");
    let metrics = manager.get_performance_metrics();
    assert_eq!(metrics.architecture.switches, 1);
    assert_eq!(metrics.architecture.current, Architecture::LegacyStrategy);
    assert!(metrics.architecture.direct_path.messages > 0);
    assert!(metrics.architecture.legacy_path.messages > 0);
    assert_eq!(
        metrics.messages_processed,
        metrics.architecture.direct_path.messages + metrics.architecture.legacy_path.messages
    );
    // Switching is not a reconnection, and the user never saw the old socket close.
    assert_eq!(metrics.reconnection_count, 0);
    assert!(
        !seen.states().contains(&ConnectionState::Closed),
        "{:?}",
        seen.states()
    );
    // Rollback.
    manager.switch_architecture(Architecture::Mixin).await?;
    assert!(eventually(WAIT, || manager.is_connected()).await);
    seen.clear();
    assert!(
        seen.wait_for(WAIT, |c| c.count(MessageType::Orderbook) > 0)
            .await
    );
    assert_eq!(manager.get_performance_metrics().architecture.switches, 2);
    // Switching to the path in use does nothing.
    manager.switch_architecture(Architecture::Mixin).await?;
    assert_eq!(manager.get_performance_metrics().architecture.switches, 2);
    manager.close().await;
    sim.sim.shutdown().await;
    Ok(())
}

#[cfg(not(all(feature = "mixin", feature = "legacy-strategy")))]
#[tokio::test]
async fn switching_to_a_path_not_compiled_in_is_refused() -> anyhow::Result<()> {
    let mut manager = WebSocketManager::new(
        WebSocketConfig::new("wss://wbs-api.mexc.com/ws"),
        |_| {},
        None,
        WebSocketManagerConfig::default(),
    )?;
    let missing = [Architecture::Mixin, Architecture::LegacyStrategy]
        .into_iter()
        .find(|a| !a.is_compiled_in());
    if let Some(missing) = missing {
        let err = manager.switch_architecture(missing).await;
        assert!(matches!(err, Err(CompatError::Unavailable(_))));
    }
    Ok(())
}

#[cfg(feature = "mixin")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_websocket_handler_direct_returns_a_venue_handler() -> anyhow::Result<()> {
    use ws_manager_compat::{DirectHandler, create_websocket_handler_direct};

    #[derive(Default)]
    struct Count(u64);
    impl ws_mixins::PublicWebSocketMixin for Count {
        fn on_book_ticker(&mut self, _t: &market_types::BookTicker) {
            self.0 += 1;
        }
    }
    impl ws_mixins::PrivateWebSocketMixin for Count {}

    let sim = MexcSim::start().await?;
    let (handler, driver) = create_websocket_handler_direct(
        &sim.exchange_config(false),
        false,
        &[Symbol::new("BTC", "USDT")],
        Count::default(),
    )?;
    let DirectHandler::MexcPublic(handler) = handler else {
        anyhow::bail!("expected the MEXC public handler");
    };
    let mut connection = ws_core::Connection::spawn(handler, driver)?;
    let counted = eventually(WAIT, || connection.with_session(|s| s.callbacks().0 > 3)).await;
    assert!(counted);
    connection.close().await?;
    sim.sim.shutdown().await;
    Ok(())
}
