//! Record/replay beyond the simple case: a MEXC pool of two connections (more than 30
//! channels), and Gate.io futures with private channels and their REST reconciliation.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use exchange_sim::gateio::Market;
use exchange_sim::mexc::{MexcConfig, SymbolSpec};
use market_types::{Decimal, Price, Quantity, Side};
use support::{GateioSim, MexcSim, final_book, finish, levels, run, spawn};
use wsx::record::{Input, RecordReader};

fn temp_file(name: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("wsx-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.wsxrec"));
    let arg = file.to_str().unwrap().to_string();
    (dir, arg)
}

fn assert_same_lines(live: &str, replayed: &str) {
    let a: Vec<&str> = live.lines().collect();
    let b: Vec<&str> = replayed.lines().collect();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "line {i} differs");
    }
    assert_eq!(a.len(), b.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mexc_pool_of_two_connections_records_and_replays() {
    let names = [
        "AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT", "FFFUSDT", "GGGUSDT", "HHHUSDT",
        "IIIUSDT", "JJJUSDT", "KKKUSDT",
    ];
    let symbols = names
        .iter()
        .map(|s| SymbolSpec::new(s, &s[..3], "USDT").unwrap())
        .collect();
    let sim = MexcSim::start_with(MexcConfig {
        symbols,
        ..MexcConfig::default()
    })
    .await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let (dir, file) = temp_file("pool");
    let list = names.join(",");
    let child = spawn(&[
        "record",
        "--venue",
        "mexc-spot",
        "--symbols",
        &list,
        "--channels",
        "book,trades,ticker",
        "--ws-url",
        &ws,
        "--rest-url",
        &rest,
        "--duration",
        "5",
        "--out",
        &file,
    ]);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    sim.venue.pause();
    let recorded = finish(child, Duration::from_secs(30)).await;
    assert_eq!(recorded.code, Some(0), "{}", recorded.stderr);
    // 33 channels: two connections, both in the recording.
    let mut reader = RecordReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    assert_eq!(reader.header().shards.len(), 2);
    let mut frames_per_shard = [0u64; 2];
    let mut snapshots = 0;
    while let Some(record) = reader.next_record().unwrap() {
        match record.input {
            Input::Frame { .. } => frames_per_shard[usize::from(record.shard)] += 1,
            Input::Rest { url, .. } if url.contains("/api/v3/depth") => snapshots += 1,
            _ => {}
        }
    }
    assert!(
        frames_per_shard.iter().all(|n| *n > 100),
        "{frames_per_shard:?}"
    );
    assert!(snapshots >= names.len(), "{snapshots} snapshots recorded");
    let lines = recorded.lines();
    for name in names {
        let truth = sim.venue.book(name).unwrap();
        let book = final_book(&lines, name);
        assert_eq!(book["update_id"].as_u64().unwrap(), truth.version, "{name}");
        let want: Vec<(String, String)> = truth
            .bids
            .iter()
            .map(|l| (l.price.to_string(), l.quantity.to_string()))
            .collect();
        assert_eq!(levels(&book["bids"]), want, "{name}");
    }
    let replayed = run(&["replay", &file], Duration::from_secs(60)).await;
    assert_eq!(replayed.code, Some(0), "{}", replayed.stderr);
    assert_same_lines(&recorded.stdout, &replayed.stdout);
    std::fs::remove_dir_all(&dir).ok();
    sim.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateio_futures_public_and_private_record_and_replay() {
    let sim = GateioSim::start().await;
    let (ws, rest) = (sim.futures_ws_url(), sim.rest_url());
    let config = sim.venue.config().clone();
    let (dir, file) = temp_file("gate");
    let child = tokio::process::Command::new(support::WSX)
        .args([
            "record",
            "--venue",
            "gateio-futures",
            "--symbols",
            "BTC_USDT",
            "--channels",
            "book,trades,orders,fills,balances,positions",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "4",
            "--out",
            &file,
        ])
        .env("GATEIO_API_KEY", &config.api_key)
        .env("GATEIO_API_SECRET", &config.api_secret)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let order = sim
        .venue
        .place_order(
            Market::Futures,
            "BTC_USDT",
            Side::Sell,
            Decimal::parse("20000").unwrap(),
            Decimal::from(3u32),
        )
        .unwrap();
    sim.venue.fill(order, Decimal::from(1u32)).unwrap();
    let recorded = finish(child, Duration::from_secs(30)).await;
    assert_eq!(recorded.code, Some(0), "{}", recorded.stderr);
    assert!(recorded.stdout.contains(r#""kind":"fill""#));
    assert!(recorded.stdout.contains(r#""kind":"book""#));
    // The secret is in neither the output nor the recording.
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !bytes
            .windows(config.api_secret.len())
            .any(|w| w == config.api_secret.as_bytes())
    );
    let replayed = run(&["replay", &file], Duration::from_secs(30)).await;
    assert_eq!(replayed.code, Some(0), "{}", replayed.stderr);
    assert_same_lines(&recorded.stdout, &replayed.stdout);
    std::fs::remove_dir_all(&dir).ok();
    sim.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mexc_private_recording_holds_no_listen_key_and_is_owner_only() {
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let config = sim.venue.config().clone();
    let (dir, file) = temp_file("mexc-private");
    let child = tokio::process::Command::new(support::WSX)
        .args([
            "record",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT",
            "--channels",
            "book,orders,fills,balances",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "4",
            "--out",
            &file,
        ])
        .env("MEXC_API_KEY", &config.api_key)
        .env("MEXC_API_SECRET", &config.api_secret)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let keys = sim.venue.listen_keys();
    assert!(!keys.is_empty(), "no listen key was created");
    let order = sim
        .venue
        .place_order(
            "BTCUSDT",
            Side::Buy,
            Price::parse("60000").unwrap(),
            Quantity::parse("0.5").unwrap(),
        )
        .unwrap();
    sim.venue
        .fill(&order, Quantity::parse("0.2").unwrap())
        .unwrap();
    let recorded = finish(child, Duration::from_secs(30)).await;
    assert_eq!(recorded.code, Some(0), "{}", recorded.stderr);
    assert!(recorded.stdout.contains(r#""kind":"fill""#));

    let bytes = std::fs::read(&file).unwrap();
    for secret in keys.iter().chain([&config.api_key, &config.api_secret]) {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a credential is in the recording"
        );
    }
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "recording mode {mode:o}");
    }
    let replayed = run(&["replay", &file], Duration::from_secs(30)).await;
    assert_eq!(replayed.code, Some(0), "{}", replayed.stderr);
    assert_same_lines(&recorded.stdout, &replayed.stdout);
    std::fs::remove_dir_all(&dir).ok();
    sim.sim.shutdown().await;
}
