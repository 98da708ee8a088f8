//! `wsx stream` under faults that once left a half-alive process: a snapshot answered 429
//! with a `Retry-After` of `u64::MAX` seconds, and a panic inside a connection task.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::process::Stdio;
use std::time::Duration;

use exchange_sim::HttpFault;
use support::{MexcSim, WSX, finish, spawn};

/// The snapshot of one book is refused with `Retry-After: 18446744073709551615`. The wait
/// is clamped (an hour, far beyond the run), so that book keeps waiting while the process
/// stays up, the stream keeps flowing, and the run ends on `--duration` with exit 0 and no
/// panic. Before the clamp, adding the wait to an `Instant` panicked the connection task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_retry_after_on_a_snapshot_neither_panics_nor_ends_the_stream() {
    let sim = MexcSim::start().await;
    sim.sim.set_http_fault(
        HttpFault::HttpStatus {
            status: 429,
            retry_after_secs: Some(u64::MAX),
        },
        1,
    );
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let child = spawn(&[
        "stream",
        "--venue",
        "mexc-spot",
        "--symbols",
        "BTCUSDT,ETHUSDT",
        "--channels",
        "book,trades",
        "--ws-url",
        &ws,
        "--rest-url",
        &rest,
        "--duration",
        "5",
    ]);
    let out = finish(child, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("overflow"),
        "stderr: {}",
        out.stderr
    );
    let lines = out.lines();
    // The refused snapshot shows as a resync of exactly that book.
    let (refused_at, refused) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l["kind"] == "book_status" && l["reason"] == "snapshot failed")
        .map(|(i, l)| (i, l["symbol"].as_str().unwrap().to_string()))
        .unwrap_or_else(|| panic!("no snapshot failure reported in:\n{}", out.stdout));
    // The venue's wait was honoured: that book never went live again during the run.
    assert!(
        !lines[refused_at..]
            .iter()
            .any(|l| l["kind"] == "book_status" && l["symbol"] == refused && l["status"] == "live"),
        "{refused} went live before the Retry-After wait ended"
    );
    let final_book = support::final_book(&lines, &refused);
    assert_ne!(final_book["status"], "live", "{final_book}");
    // The connection stayed up: trades kept coming after the refusal, to the end.
    let trades_after = lines[refused_at..]
        .iter()
        .filter(|l| l["kind"] == "trade")
        .count();
    assert!(trades_after > 5, "only {trades_after} trades after the 429");
    sim.sim.shutdown().await;
}

/// A panic inside a connection task (injected with the test-only `WSX_TEST_FAULT`
/// variable, which the network cannot reach) ends `wsx stream` with exit 1 and one line
/// saying which connection stopped and why, instead of a process that runs on with books
/// that never sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_connection_task_exits_non_zero_with_a_clear_line() {
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let child = tokio::process::Command::new(WSX)
        .args([
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT",
            "--channels",
            "book,trades",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "60",
        ])
        .env("WSX_TEST_FAULT", "panic-in-session")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Far less than --duration: the failure ends the run, not the clock.
    let out = finish(child, Duration::from_secs(20)).await;
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: mexc-spot public connection stopped:")
            && last.contains("task panicked")
            && last.contains("injected"),
        "last stderr line: {last}\nstderr: {}",
        out.stderr
    );
    sim.sim.shutdown().await;
}
