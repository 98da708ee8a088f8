//! `--publish` and `wsx subscribe` against a real nats-server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use support::{MexcSim, run, spawn};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// A nats-server on a free loopback port, or `None` (with a message) when it is not
/// installed. CI installs it and sets `WSX_REQUIRE_NATS=1` (`.ci/run`), which turns a
/// missing server into a failure instead of a skip.
async fn nats_server() -> Option<(Child, String)> {
    let installed = std::process::Command::new("nats-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            std::env::var_os("WSX_REQUIRE_NATS").is_none(),
            "WSX_REQUIRE_NATS is set but nats-server is not installed"
        );
        eprintln!("SKIPPED: nats-server is not installed (apt-get install -y nats-server)");
        return None;
    }
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let child = Command::new("nats-server")
        .args(["-p", &port.to_string(), "-a", "127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some((child, format!("nats://127.0.0.1:{port}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nats-server did not start on port {port}");
}

/// A running `wsx subscribe` whose output is read as it comes, so that it never blocks on a
/// full pipe (and, blocked, stops reading from the server: core NATS then drops messages
/// for it as a slow consumer).
struct Subscriber {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Subscriber {
    /// The next `n` lines it prints, or fewer if `limit` passes first.
    async fn take(&mut self, n: usize, limit: Duration) -> Vec<String> {
        let mut received = Vec::with_capacity(n);
        let _ = tokio::time::timeout(limit, async {
            while received.len() < n {
                match self.lines.recv().await {
                    Some(line) => received.push(line),
                    None => break,
                }
            }
        })
        .await;
        received
    }
}

/// Starts `wsx subscribe` and waits until the server has its subscription.
async fn subscriber(url: &str, extra: &[&str]) -> Subscriber {
    let mut args = vec!["subscribe", url, "--subject", ">", "--with-subject"];
    args.extend_from_slice(extra);
    let mut child = spawn(&args);
    let stderr = child.stderr.take().unwrap();
    let mut errors = BufReader::new(stderr).lines();
    let ready = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = errors.next_line().await.unwrap() {
            if line.contains("listening") {
                return;
            }
        }
        panic!("wsx subscribe ended before listening");
    });
    ready.await.expect("wsx subscribe did not start listening");
    // Keep draining stderr so the child never blocks on it.
    tokio::spawn(async move { while let Ok(Some(_)) = errors.next_line().await {} });
    let (tx, lines) = mpsc::unbounded_channel();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = out.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Subscriber { child, lines }
}

/// The subject the docs promise for a jsonl line.
fn expected_subject(line: &Value) -> String {
    let kind = line["kind"].as_str().unwrap();
    let venue = line["venue"].as_str().unwrap();
    match kind {
        "order" | "fill" | "balance" | "position" => format!("acct.{venue}.{kind}"),
        "error" => format!("wsx.{venue}.error"),
        _ => format!("md.{venue}.{}.{kind}", line["symbol"].as_str().unwrap()),
    }
}

fn split(received: &[String]) -> Vec<(String, String)> {
    received
        .iter()
        .map(|l| {
            let (subject, payload) = l.split_once(' ').unwrap();
            (subject.to_string(), payload.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_publishes_every_event_to_its_subject() {
    let Some((_server, url)) = nats_server().await else {
        return;
    };
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let dir = std::env::temp_dir().join(format!("wsx-nats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rec.wsxrec");
    let file = file.to_str().unwrap();
    let recorded = run(
        &[
            "record",
            "--venue",
            "mexc-spot",
            "--symbols",
            "BTCUSDT,ETHUSDT",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "2",
            "--out",
            file,
        ],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(recorded.code, Some(0), "{}", recorded.stderr);
    sim.sim.shutdown().await;
    let lines: Vec<&str> = recorded.stdout.lines().collect();
    let n = lines.len();
    assert!(n > 20, "only {n} events");

    let mut sub = subscriber(&url, &["--count", &n.to_string(), "--duration", "30"]).await;
    let replayed = run(
        &["replay", file, "--publish", &url],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(replayed.code, Some(0), "{}", replayed.stderr);
    assert_eq!(replayed.stdout, recorded.stdout);
    let received = sub.take(n, Duration::from_secs(30)).await;
    let status = tokio::time::timeout(Duration::from_secs(10), sub.child.wait())
        .await
        .expect("wsx subscribe did not stop after --count")
        .unwrap();
    assert!(status.success());
    let received = split(&received);
    assert_eq!(received.len(), n, "every event arrives");
    for ((subject, payload), line) in received.iter().zip(&lines) {
        assert_eq!(payload, line, "payload is the jsonl line, in order");
        let value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(subject, &expected_subject(&value));
    }
    assert!(
        received
            .iter()
            .any(|(s, _)| s == "md.mexc-spot.BTCUSDT.book")
    );
    assert!(
        received
            .iter()
            .any(|(s, _)| s == "md.mexc-spot.ETHUSDT.trade")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_stream_publishes_what_it_prints() {
    let Some((_server, url)) = nats_server().await else {
        return;
    };
    let sim = MexcSim::start().await;
    let (ws, rest) = (sim.ws_url(), sim.rest_url());
    let mut sub = subscriber(&url, &["--duration", "60"]).await;
    let streamed = run(
        &[
            "stream",
            "--venue",
            "mexc-spot",
            "--symbols",
            "MXUSDT",
            "--ws-url",
            &ws,
            "--rest-url",
            &rest,
            "--duration",
            "2",
            "--publish",
            &url,
        ],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(streamed.code, Some(0), "{}", streamed.stderr);
    assert!(!streamed.stderr.contains("dropped"), "{}", streamed.stderr);
    let printed: Vec<&str> = streamed.stdout.lines().collect();
    let received = sub.take(printed.len(), Duration::from_secs(10)).await;
    assert_eq!(
        received.len(),
        printed.len(),
        "got {} of {} events",
        received.len(),
        printed.len()
    );
    let payloads: Vec<&str> = received
        .iter()
        .map(|l| l.split_once(' ').unwrap().1)
        .collect();
    assert_eq!(payloads, printed);
    sub.child.kill().await.ok();
    sim.sim.shutdown().await;
}
