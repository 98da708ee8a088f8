//! `wsx stream` and `wsx record`/`replay` against the simulator's MEXC venue.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use support::{MexcSim, final_book, finish, levels, run, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_mexc_final_books_match_the_truth() {
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let child = spawn(&[
        "stream",
        "--venue",
        "mexc-spot",
        "--symbols",
        "BTCUSDT,ETHUSDT",
        "--channels",
        "book,trades,ticker",
        "--ws-url",
        &ws,
        "--rest-url",
        &rest,
        "--duration",
        "5",
    ]);
    // Let the books sync and move, then stop the generator so they settle.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    sim.venue.pause();
    let out = finish(child, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let lines = out.lines();
    for kind in ["book_update", "book_status", "trade", "ticker"] {
        assert!(
            lines.iter().any(|l| l["kind"] == kind),
            "no {kind} line in {} lines",
            lines.len()
        );
    }
    for line in &lines {
        assert_eq!(line["venue"], "mexc-spot");
        assert!(line["receive_ts_ns"].as_u64().unwrap() > 1_600_000_000_000_000_000);
    }
    let trade = lines.iter().find(|l| l["kind"] == "trade").unwrap();
    assert!(trade["price"].is_string() && trade["quantity"].is_string());
    assert!(trade["exchange_ts_ms"].as_u64().is_some());
    for symbol in ["BTCUSDT", "ETHUSDT"] {
        let truth = sim.venue.book(symbol).unwrap();
        let book = final_book(&lines, symbol);
        assert_eq!(book["status"], "live");
        assert_eq!(
            book["update_id"].as_u64().unwrap(),
            truth.version,
            "{symbol}"
        );
        let want = |side: &[market_types::Level]| -> Vec<(String, String)> {
            side.iter()
                .map(|l| (l.price.to_string(), l.quantity.to_string()))
                .collect()
        };
        assert_eq!(levels(&book["bids"]), want(&truth.bids), "{symbol} bids");
        assert_eq!(levels(&book["asks"]), want(&truth.asks), "{symbol} asks");
    }
    sim.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_then_replay_gives_identical_jsonl() {
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let dir = std::env::temp_dir().join(format!("wsx-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mexc.wsxrec");
    let file_arg = file.to_str().unwrap().to_string();
    let recorded = run(
        &[
            "record",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT,MXUSDT",
            "--channels",
            "book,trades,ticker",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "3",
            "--out",
            &file_arg,
        ],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(recorded.code, Some(0), "stderr: {}", recorded.stderr);
    assert!(recorded.stderr.contains("recorded"), "{}", recorded.stderr);
    let replayed = run(&["replay", &file_arg], Duration::from_secs(30)).await;
    assert_eq!(replayed.code, Some(0), "stderr: {}", replayed.stderr);
    let live: Vec<&str> = recorded.stdout.lines().collect();
    let again: Vec<&str> = replayed.stdout.lines().collect();
    assert!(live.len() > 50, "only {} lines recorded", live.len());
    assert!(live.iter().any(|l| l.contains(r#""kind":"book""#)));
    for (i, (a, b)) in live.iter().zip(&again).enumerate() {
        assert_eq!(a, b, "line {i} differs");
    }
    assert_eq!(live.len(), again.len());
    // Paced replay gives the same lines too.
    let paced = run(
        &["replay", &file_arg, "--speed", "recorded"],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(paced.stdout, recorded.stdout);
    std::fs::remove_dir_all(&dir).ok();
    sim.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_with_a_test_root() {
    use exchange_sim::mexc::{MexcConfig, MexcVenue};
    use exchange_sim::{SimConfig, Simulator, Transport};
    let venue = std::sync::Arc::new(MexcVenue::new(MexcConfig::default()).unwrap());
    let sim = Simulator::start(SimConfig {
        transport: Transport::Tls,
        ..SimConfig::default().mount("/mexc", venue.clone())
    })
    .await
    .unwrap();
    let (ws, rest) = (sim.ws_url("/mexc/ws"), sim.http_url("/mexc"));
    assert!(ws.starts_with("wss://"));
    let dir = std::env::temp_dir().join(format!("wsx-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = dir.join("root.der");
    std::fs::write(&root, sim.tls_root_der().unwrap()).unwrap();
    let root = root.to_str().unwrap();
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT",
            "--channels",
            "book",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "2",
            "--connect-timeout",
            "5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    // The simulator's root is not a public one: refused, with a pointer to --tls-root.
    let refused = args(&[]);
    let refused: Vec<&str> = refused.iter().map(String::as_str).collect();
    let out = run(&refused, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("--tls-root"), "{}", out.stderr);
    // Trusted explicitly: streams.
    let mut trusted = args(&[]);
    trusted.push("--tls-root".into());
    trusted.push(root.into());
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let out = run(&trusted, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains(r#""kind":"book","venue":"mexc-spot","symbol":"BTCUSDT","status":"live""#)
    );
    std::fs::remove_dir_all(&dir).ok();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_prints_the_final_books() {
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let child = spawn(&[
        "stream",
        "--venue",
        "mexc-spot",
        "--symbols",
        "ETHUSDT",
        "--channels",
        "book",
        "--ws-url",
        &ws,
        "--rest-url",
        &rest,
    ]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let out = finish(child, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines = out.lines();
    let book = final_book(&lines, "ETHUSDT");
    assert_eq!(book["status"], "live");
    assert!(!levels(&book["bids"]).is_empty());
    sim.sim.shutdown().await;
}
