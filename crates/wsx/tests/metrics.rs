//! `--metrics-addr`: a Prometheus scrape while streaming from the simulator.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use support::{MexcSim, finish, spawn};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

async fn scrape(addr: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: wsx\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_while_streaming() {
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let mut child = spawn(&[
        "stream",
        "--venue",
        "mexc-spot",
        "--symbols",
        "BTCUSDT",
        "--ws-url",
        &ws,
        "--rest-url",
        &rest,
        "--duration",
        "4",
        "--metrics-addr",
        "127.0.0.1:0",
    ]);
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("wsx: metrics at http://") {
                return rest.trim_end_matches("/metrics").to_string();
            }
        }
        panic!("no metrics address printed");
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let mut body = String::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        body = scrape(&addr).await;
        if body.contains(
            r#"wsx_book_snapshots_total{venue="mexc-spot",role="public",outcome="applied"} 1"#,
        ) {
            break;
        }
    }
    for needle in [
        r#"wsx_connection_up{venue="mexc-spot",role="public",shard="0"} 1"#,
        r#"wsx_book_snapshots_total{venue="mexc-spot",role="public",outcome="applied"} 1"#,
        r#"wsx_disconnects_total{venue="mexc-spot",role="public",shard="0",cause="lost_1006"} 0"#,
        "# TYPE wsx_receive_to_handled_seconds histogram",
        "wsx_receive_to_handled_seconds_bucket{",
        "# TYPE wsx_reconnects_total counter",
        r#"wsx_events_total{venue="mexc-spot",role="public",kind="book_update"}"#,
        "wsx_nats_dropped_events_total 0",
        "wsx_queue_depth{",
    ] {
        assert!(body.contains(needle), "{needle} missing from:\n{body}");
    }
    let received: u64 = body
        .lines()
        .find(|l| l.starts_with("wsx_messages_received_total{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(received > 0);
    let out = finish(child, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(0));
    sim.sim.shutdown().await;
}
