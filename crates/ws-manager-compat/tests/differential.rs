//! The differential test: the same recorded stream of frames (and REST answers) for each
//! venue goes through the legacy strategy path and the mixin path; both must deliver the
//! same sequence of `ParsedMessage`s (every field but the timestamp; error texts are each
//! path's own words, so errors are compared by category) and the same counts.
//!
//! Streams: fixture streams in `tests/data/*_fixtures.jsonl` (built from the venues' doc
//! examples in `shared/fixtures`, copies in `tests/data/fixtures`), and a stream recorded
//! from the simulator on every run.
#![cfg(all(feature = "mixin", feature = "legacy-strategy"))]
#![allow(deprecated, reason = "tests of the deprecated compatibility API")]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::replay::{Recording, Replayed, record, replay};
use support::{GateioSim, MexcSim};
use ws_manager_compat::__private::session;
use ws_manager_compat::{
    Architecture, ExchangeConfig, ExchangeCredentials, MessageData, MessageType, ParsedMessage,
    PublicWebsocketChannelType, Symbol,
};

const ALL_PUBLIC: [PublicWebsocketChannelType; 4] = [
    PublicWebsocketChannelType::Orderbook,
    PublicWebsocketChannelType::Trades,
    PublicWebsocketChannelType::BookTicker,
    PublicWebsocketChannelType::Ticker,
];

/// Replays `recording` through both paths and checks they agree; returns the mixin run.
fn both_paths_agree(
    recording: &Recording,
    config: &ExchangeConfig,
    symbols: &[Symbol],
) -> anyhow::Result<Replayed> {
    let run = |architecture| {
        replay(recording, &config.base_url, |handler| {
            Ok(session(
                architecture,
                config,
                false,
                Some(ALL_PUBLIC.to_vec()),
                symbols,
                handler,
            )?)
        })
    };
    let legacy = run(Architecture::LegacyStrategy)?;
    let mixin = run(Architecture::Mixin)?;
    assert_eq!(legacy.frames, recording.frames() as u64);
    assert_eq!(
        legacy.messages.len(),
        mixin.messages.len(),
        "message counts differ: legacy {:?} mixin {:?}",
        histogram(&legacy.messages),
        histogram(&mixin.messages)
    );
    for (i, (l, m)) in legacy.messages.iter().zip(&mixin.messages).enumerate() {
        assert!(
            same(l, m),
            "message {i} differs:\n legacy {l:?}\n mixin  {m:?}"
        );
    }
    assert_eq!(
        (legacy.delivered, legacy.errors),
        (mixin.delivered, mixin.errors),
        "delivered/error counts differ"
    );
    assert_eq!(histogram(&legacy.messages), histogram(&mixin.messages));
    Ok(mixin)
}

/// Equal in everything but the timestamp; errors by category, not by wording.
fn same(a: &ParsedMessage, b: &ParsedMessage) -> bool {
    match (&a.data, &b.data) {
        (Some(MessageData::Error(x)), Some(MessageData::Error(y))) => {
            a.message_type == b.message_type && x.category == y.category
        }
        _ => a.same_content(b),
    }
}

fn histogram(messages: &[ParsedMessage]) -> BTreeMap<&'static str, usize> {
    let mut h = BTreeMap::new();
    for m in messages {
        *h.entry(m.message_type.name()).or_insert(0) += 1;
    }
    h
}

fn count(r: &Replayed, t: MessageType) -> usize {
    r.messages.iter().filter(|m| m.message_type == t).count()
}

fn fixture(name: &str) -> anyhow::Result<Recording> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    Recording::from_jsonl(&std::fs::read_to_string(path)?)
}

fn offline_config(name: &str, rest: &str, ws: &str) -> ExchangeConfig {
    ExchangeConfig::new(name, ExchangeCredentials::default(), rest, ws)
}

#[test]
fn mexc_fixture_stream() -> anyhow::Result<()> {
    let config = offline_config(
        "MEXC",
        "http://127.0.0.1:9/mexc",
        "ws://127.0.0.1:9/mexc/ws",
    );
    let run = both_paths_agree(
        &fixture("mexc_public_fixtures.jsonl")?,
        &config,
        &[Symbol::new("BTC", "USDT")],
    )?;
    // Snapshot, then the buffered push replayed onto it.
    assert_eq!(
        count(&run, MessageType::Orderbook),
        2,
        "{:?}",
        histogram(&run.messages)
    );
    assert_eq!(count(&run, MessageType::Trade), 1);
    assert_eq!(count(&run, MessageType::BookTicker), 2);
    // Syncing, Live.
    assert_eq!(count(&run, MessageType::Other), 2);
    // The truncated frame, and a refusal naming a channel nobody asked for.
    assert_eq!(count(&run, MessageType::Error), 2);
    // The refusal of our book-ticker channel.
    assert_eq!(count(&run, MessageType::SubscriptionError), 1);
    assert_eq!(run.errors, 3);
    Ok(())
}

#[test]
fn gateio_spot_fixture_stream() -> anyhow::Result<()> {
    let config = offline_config(
        "GATEIO",
        "http://127.0.0.1:9/gateio/api/v4",
        "ws://127.0.0.1:9/gateio/ws/v4/",
    );
    let run = both_paths_agree(
        &fixture("gateio_spot_fixtures.jsonl")?,
        &config,
        &[Symbol::new("BTC", "USDT")],
    )?;
    // The full push that replaces the REST snapshot (unchecked, so never handed out),
    // the delta after it.
    assert_eq!(
        count(&run, MessageType::Orderbook),
        2,
        "{:?}",
        histogram(&run.messages)
    );
    assert_eq!(count(&run, MessageType::Trade), 1);
    assert_eq!(count(&run, MessageType::BookTicker), 2);
    assert_eq!(count(&run, MessageType::Ticker), 1);
    assert_eq!(count(&run, MessageType::Error), 1);
    Ok(())
}

#[test]
fn gateio_futures_fixture_stream() -> anyhow::Result<()> {
    let config = offline_config(
        "GATEIO_FUTURES",
        "http://127.0.0.1:9/gateio/api/v4",
        "ws://127.0.0.1:9/gateio/v4/ws/usdt",
    );
    let run = both_paths_agree(
        &fixture("gateio_futures_fixtures.jsonl")?,
        &config,
        &[Symbol::futures("BTC", "USD")],
    )?;
    // The only book push is of another depth ("l":"100") and ignored: nothing checks the
    // REST snapshot, so it is never handed out.
    assert_eq!(
        count(&run, MessageType::Orderbook),
        0,
        "{:?}",
        histogram(&run.messages)
    );
    assert_eq!(
        count(&run, MessageType::Trade),
        1,
        "the internal trade is skipped"
    );
    assert_eq!(count(&run, MessageType::BookTicker), 1);
    assert_eq!(count(&run, MessageType::Ticker), 1);
    assert_eq!(count(&run, MessageType::Error), 1);
    Ok(())
}

/// Records `duration` of the simulator through the mixin path's session, then checks both
/// paths agree on it and that it carried books, trades and best bid/ask.
async fn simulator_stream(
    config: ExchangeConfig,
    symbols: Vec<Symbol>,
    duration: Duration,
) -> anyhow::Result<()> {
    let recorder = session(
        Architecture::Mixin,
        &config,
        false,
        Some(ALL_PUBLIC.to_vec()),
        &symbols,
        Box::new(|_| {}),
    )?;
    let recording = record(recorder, &config.base_url, duration).await?;
    assert!(
        recording.frames() > 20,
        "only {} frames",
        recording.frames()
    );
    let run = both_paths_agree(&recording, &config, &symbols)?;
    assert!(
        count(&run, MessageType::Orderbook) > 5,
        "{:?}",
        histogram(&run.messages)
    );
    assert!(
        count(&run, MessageType::Trade) > 0,
        "{:?}",
        histogram(&run.messages)
    );
    assert!(count(&run, MessageType::BookTicker) > 0);
    assert_eq!(run.errors, 0, "{:?}", histogram(&run.messages));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mexc_simulator_stream() -> anyhow::Result<()> {
    let sim = MexcSim::start().await?;
    simulator_stream(
        sim.exchange_config(false),
        vec![Symbol::new("BTC", "USDT"), Symbol::new("ETH", "USDT")],
        Duration::from_millis(1500),
    )
    .await?;
    sim.sim.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_spot_simulator_stream() -> anyhow::Result<()> {
    let sim = GateioSim::start().await?;
    simulator_stream(
        sim.exchange_config(false, false),
        vec![Symbol::new("BTC", "USDT"), Symbol::new("ETH", "USDT")],
        Duration::from_millis(1500),
    )
    .await?;
    sim.sim.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_futures_simulator_stream() -> anyhow::Result<()> {
    let sim = GateioSim::start().await?;
    simulator_stream(
        sim.exchange_config(true, false),
        vec![Symbol::futures("BTC", "USDT")],
        Duration::from_millis(1500),
    )
    .await?;
    sim.sim.shutdown().await;
    Ok(())
}

/// Regenerates `tests/data/*_sim.jsonl` (the benchmark's input and a fixed differential
/// stream): `cargo test -p ws-manager-compat --all-features --test differential -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes tests/data; run by hand to refresh the recordings"]
async fn record_simulator_streams() -> anyhow::Result<()> {
    let dir = format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"));
    let btc = vec![Symbol::new("BTC", "USDT")];
    let mexc = MexcSim::start().await?;
    let gate = GateioSim::start().await?;
    for (file, config, symbols) in [
        (
            "mexc_public_sim.jsonl",
            mexc.exchange_config(false),
            btc.clone(),
        ),
        (
            "gateio_spot_public_sim.jsonl",
            gate.exchange_config(false, false),
            btc.clone(),
        ),
        (
            "gateio_futures_public_sim.jsonl",
            gate.exchange_config(true, false),
            vec![Symbol::futures("BTC", "USDT")],
        ),
    ] {
        let recorder = session(
            Architecture::Mixin,
            &config,
            false,
            Some(ALL_PUBLIC.to_vec()),
            &symbols,
            Box::new(|_| {}),
        )?;
        let recording = record(recorder, &config.base_url, Duration::from_millis(1200)).await?;
        both_paths_agree(&recording, &config, &symbols)?;
        let header = format!(
            "# Recorded from the exchange-sim simulator ({} frames); REST paths are relative to the REST base.\n",
            recording.frames()
        );
        std::fs::write(format!("{dir}/{file}"), header + &recording.to_jsonl()?)?;
    }
    mexc.sim.shutdown().await;
    gate.sim.shutdown().await;
    Ok(())
}

#[test]
fn recorded_simulator_streams() -> anyhow::Result<()> {
    for (file, name, rest, ws, symbol) in [
        (
            "mexc_public_sim.jsonl",
            "MEXC",
            "http://127.0.0.1:9/mexc",
            "ws://127.0.0.1:9/mexc/ws",
            Symbol::new("BTC", "USDT"),
        ),
        (
            "gateio_spot_public_sim.jsonl",
            "GATEIO",
            "http://127.0.0.1:9/gateio/api/v4",
            "ws://127.0.0.1:9/gateio/ws/v4/",
            Symbol::new("BTC", "USDT"),
        ),
        (
            "gateio_futures_public_sim.jsonl",
            "GATEIO_FUTURES",
            "http://127.0.0.1:9/gateio/api/v4",
            "ws://127.0.0.1:9/gateio/v4/ws/usdt",
            Symbol::futures("BTC", "USDT"),
        ),
    ] {
        let run = both_paths_agree(&fixture(file)?, &offline_config(name, rest, ws), &[symbol])?;
        assert!(
            count(&run, MessageType::Orderbook) > 5,
            "{file}: {:?}",
            histogram(&run.messages)
        );
        assert!(count(&run, MessageType::Trade) > 0, "{file}");
        assert!(count(&run, MessageType::BookTicker) > 0, "{file}");
        assert_eq!(run.errors, 0, "{file}");
    }
    Ok(())
}
