//! Every way to get it wrong ends in one line that says what to do, and a non-zero exit.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use support::{MexcSim, Output, run};

const LIMIT: Duration = Duration::from_secs(30);

/// One line on stderr, starting `error:`, nothing on stdout, exit `code`.
fn assert_one_line_error(out: &Output, code: i32, needles: &[&str]) {
    assert_one_line_error_on_stderr(out, code, needles);
    assert!(out.stdout.trim().is_empty(), "stdout: {}", out.stdout);
}

/// One line on stderr, starting `error:`, exit `code` (stdout may hold the events seen
/// before the failure).
fn assert_one_line_error_on_stderr(out: &Output, code: i32, needles: &[&str]) {
    assert_eq!(out.code, Some(code), "stderr: {}", out.stderr);
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "want one line, got: {:?}", lines);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "{:?} not in {}",
            needle,
            lines[0]
        );
    }
}

#[tokio::test]
async fn bad_arguments() {
    let out = run(&["stream", "--venue", "mexc-spot"], LIMIT).await;
    assert_one_line_error(&out, 2, &["--symbols", "wsx stream --help"]);
    let out = run(
        &[
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT",
            "--duration",
            "soon",
        ],
        LIMIT,
    )
    .await;
    assert_one_line_error(&out, 2, &["--duration", "wsx stream --help"]);
    let out = run(
        &[
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT",
            "--channels",
            "candles",
        ],
        LIMIT,
    )
    .await;
    assert_one_line_error(&out, 2, &["unknown channel 'candles'", "book,trades"]);
    let out = run(
        &[
            "stream",
            "--venue",
            "gateio-spot",
            "--symbols",
            "BTC_USDT",
            "--depth",
            "7",
        ],
        LIMIT,
    )
    .await;
    assert_one_line_error(&out, 1, &["--depth 7", "20, 100"]);
    let out = run(
        &[
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT",
            "--ws-url",
            "http://x",
        ],
        LIMIT,
    )
    .await;
    assert_one_line_error(&out, 1, &["--ws-url", "ws://"]);
    let out = run(&["frobnicate"], LIMIT).await;
    assert_one_line_error(&out, 2, &["frobnicate", "wsx --help"]);
    let out = run(&["replay", "/nonexistent/file.wsxrec"], LIMIT).await;
    assert_one_line_error(&out, 1, &["cannot open the recording"]);
    let out = run(&["subscribe", "http://127.0.0.1:1"], LIMIT).await;
    assert_one_line_error(&out, 1, &["nats://"]);
}

#[tokio::test]
async fn unknown_venue() {
    let out = run(
        &["stream", "--venue", "binance", "--symbols", "BTCUSDT"],
        LIMIT,
    )
    .await;
    assert_one_line_error(
        &out,
        2,
        &[
            "unknown venue 'binance'",
            "gateio-spot, gateio-futures, mexc-spot",
        ],
    );
}

#[tokio::test]
async fn symbol_in_the_wrong_spelling() {
    let out = run(
        &["stream", "--venue", "mexc-spot", "--symbols", "BTC_USDT"],
        LIMIT,
    )
    .await;
    assert_one_line_error(&out, 1, &["did you mean BTCUSDT?"]);
    let out = run(
        &[
            "stream",
            "--venue",
            "gateio-futures",
            "--symbols",
            "btc-usdt",
        ],
        LIMIT,
    )
    .await;
    assert_one_line_error(&out, 1, &["did you mean BTC_USDT?"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_symbol_at_the_venue() {
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let out = run(
        &[
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "NOSUCHUSDT",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "20",
        ],
        LIMIT,
    )
    .await;
    assert_one_line_error_on_stderr(&out, 1, &["refused", "NOSUCHUSDT", "--symbols"]);
    // The events seen before are still printed, the venue's refusal among them.
    assert!(out.stdout.contains("subscription_rejected"));
    sim.sim.shutdown().await;

    let sim = support::GateioSim::start().await;
    let (ws, rest) = (sim.spot_ws_url(), sim.rest_url());
    let out = run(
        &[
            "stream",
            "--venue",
            "gateio-spot",
            "--symbols",
            "BTC_USDT,NOSUCH_USDT",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "20",
        ],
        LIMIT,
    )
    .await;
    assert_one_line_error_on_stderr(&out, 1, &["refused", "NOSUCH_USDT", "BTC_USDT"]);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn missing_credentials_for_a_private_channel() {
    let out = tokio::process::Command::new(support::WSX)
        .args([
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT",
            "--channels",
            "book,orders",
        ])
        .env_remove("MEXC_API_KEY")
        .env_remove("MEXC_API_SECRET")
        .output()
        .await
        .unwrap();
    let out = Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_one_line_error(
        &out,
        1,
        &[
            "orders",
            "MEXC_API_KEY",
            "MEXC_API_SECRET",
            "--credentials-file",
        ],
    );
    // Half a key pair is refused too, and the key itself is never printed.
    let out = tokio::process::Command::new(support::WSX)
        .args([
            "stream",
            "--venue",
            "gateio-futures",
            "--symbols",
            "BTC_USDT",
            "--channels",
            "positions",
        ])
        .env("GATEIO_API_KEY", "my-secret-key-id")
        .env_remove("GATEIO_API_SECRET")
        .output()
        .await
        .unwrap();
    let out = Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_one_line_error(&out, 1, &["GATEIO_API_SECRET"]);
    assert!(!out.stderr.contains("my-secret-key-id"));
}

#[tokio::test]
async fn unreachable_url() {
    // A port nothing listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let ws = format!("ws://127.0.0.1:{port}/ws");
    let rest = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let out = run(
        &[
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--connect-timeout",
            "2",
        ],
        LIMIT,
    )
    .await;
    assert_one_line_error(&out, 1, &["cannot connect to", &ws, "--ws-url"]);
    assert!(started.elapsed() < Duration::from_secs(15));
}
