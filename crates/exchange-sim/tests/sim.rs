//! The simulator over real loopback sockets, driven by a raw fastwebsockets client.
//!
//! Every wait is bounded by `tokio::time::timeout`; nothing leaves 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use exchange_sim::{
    AcceptFault, AuthPolicy, ClientMessage, Fault, FrameFormat, HttpFault, MalformedKind,
    ServerMessage, SimConfig, SimEvent, Simulator, TestVenueConfig, Transport, Venue, VenueConn,
    VenueFuture, stamp_now_ns,
};
use fastwebsockets::{Frame, OpCode, Payload, WebSocket, WebSocketError, handshake};
use http::header::{CONNECTION, RETRY_AFTER, UPGRADE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls_pki_types::ServerName;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout;

type Ws = WebSocket<TokioIo<Upgraded>>;

/// Bound on any single expected event.
const WAIT: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------- the test venue

#[tokio::test]
async fn subscribe_ack_then_increasing_sequence_then_unsubscribe() {
    let sim = start(SimConfig::default()).await;
    let mut ws = connect(&sim, "/test").await.unwrap();

    request(&mut ws, r#"{"op":"ping"}"#, r#"{"op":"pong"}"#).await;
    request(
        &mut ws,
        r#"{"op":"dance"}"#,
        r#"{"op":"error","error":"bad request"}"#,
    )
    .await;
    request(
        &mut ws,
        r#"{"op":"subscribe","id":1,"topic":"t1"}"#,
        r#"{"op":"subscribed","id":1,"topic":"t1"}"#,
    )
    .await;
    let mut last = 0;
    for _ in 0..5 {
        let frame = data(&next_text(&mut ws).await.unwrap());
        assert_eq!(frame.topic, "t1");
        assert!(
            last == 0 || frame.seq == last + 1,
            "{} after {last}",
            frame.seq
        );
        assert_eq!(frame.data, format!("t1:{}", frame.seq));
        last = frame.seq;
    }
    assert!(sim.test_venue().seq("t1") >= last);

    send(&mut ws, r#"{"op":"unsubscribe","id":2,"topic":"t1"}"#).await;
    // Data already queued before the unsubscribe may precede the ack, never follow it.
    loop {
        let text = next_text(&mut ws).await.unwrap();
        if text.starts_with(r#"{"op""#) {
            assert_eq!(text, r#"{"op":"unsubscribed","id":2,"topic":"t1"}"#);
            break;
        }
    }
    assert_silent(&mut ws, Duration::from_millis(100)).await;
    assert_eq!(sim.test_venue().subscribers("t1"), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn rejected_topic_gets_an_error() {
    let sim = start(SimConfig {
        test_venue: TestVenueConfig {
            rejected_topics: vec!["nope".to_owned()],
            ..TestVenueConfig::default()
        },
        ..SimConfig::default()
    })
    .await;
    let mut ws = connect(&sim, "/test").await.unwrap();
    request(
        &mut ws,
        r#"{"op":"subscribe","id":3,"topic":"nope"}"#,
        r#"{"op":"error","id":3,"topic":"nope","error":"unknown topic"}"#,
    )
    .await;
    assert_silent(&mut ws, Duration::from_millis(50)).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn auth_required_ok_and_fail() {
    let sim = start(SimConfig {
        test_venue: TestVenueConfig {
            auth: AuthPolicy::Required,
            valid_token: "sesame".to_owned(),
            ..TestVenueConfig::default()
        },
        ..SimConfig::default()
    })
    .await;
    let mut ws = connect(&sim, "/test").await.unwrap();
    request(
        &mut ws,
        r#"{"op":"subscribe","id":1,"topic":"p"}"#,
        r#"{"op":"error","id":1,"topic":"p","error":"auth required"}"#,
    )
    .await;
    request(
        &mut ws,
        r#"{"op":"auth","token":"wrong"}"#,
        r#"{"op":"auth","ok":false,"error":"invalid token"}"#,
    )
    .await;
    request(
        &mut ws,
        r#"{"op":"auth","token":"sesame"}"#,
        r#"{"op":"auth","ok":true}"#,
    )
    .await;
    request(
        &mut ws,
        r#"{"op":"subscribe","id":2,"topic":"p"}"#,
        r#"{"op":"subscribed","id":2,"topic":"p"}"#,
    )
    .await;
    assert_eq!(data(&next_text(&mut ws).await.unwrap()).topic, "p");
    sim.shutdown().await;
}

#[tokio::test]
async fn two_connections_see_identical_sequences() {
    let sim = start(SimConfig::default()).await;
    sim.test_venue().pause();
    let mut a = connect(&sim, "/test").await.unwrap();
    let mut b = connect(&sim, "/test").await.unwrap();
    for ws in [&mut a, &mut b] {
        request(
            ws,
            r#"{"op":"subscribe","id":1,"topic":"shared"}"#,
            r#"{"op":"subscribed","id":1,"topic":"shared"}"#,
        )
        .await;
    }
    assert_eq!(sim.test_venue().publish_burst("shared", 20), 20);
    sim.test_venue().resume();
    let mut seen_a = Vec::new();
    let mut seen_b = Vec::new();
    for _ in 0..30 {
        seen_a.push(data(&next_text(&mut a).await.unwrap()).seq);
        seen_b.push(data(&next_text(&mut b).await.unwrap()).seq);
    }
    assert_eq!(seen_a, seen_b);
    assert_eq!(seen_a, (1..=30).collect::<Vec<u64>>());
    sim.shutdown().await;
}

#[tokio::test]
async fn binary_topic_sends_binary_frames() {
    let sim = start(SimConfig {
        test_venue: TestVenueConfig {
            binary_topics: vec!["bin".to_owned()],
            ..TestVenueConfig::default()
        },
        ..SimConfig::default()
    })
    .await;
    let mut ws = connect(&sim, "/test").await.unwrap();
    request(
        &mut ws,
        r#"{"op":"subscribe","id":1,"topic":"bin"}"#,
        r#"{"op":"subscribed","id":1,"topic":"bin"}"#,
    )
    .await;
    let (opcode, payload) = next_frame(&mut ws).await.unwrap();
    assert_eq!(opcode, OpCode::Binary);
    assert_eq!(data(std::str::from_utf8(&payload).unwrap()).topic, "bin");
    sim.shutdown().await;
}

#[tokio::test]
async fn lagging_connection_is_closed_with_1008() {
    let sim = start(SimConfig {
        test_venue: TestVenueConfig {
            feed_capacity: 8,
            ..TestVenueConfig::default()
        },
        ..SimConfig::default()
    })
    .await;
    sim.test_venue().pause();
    let mut ws = connect(&sim, "/test").await.unwrap();
    request(
        &mut ws,
        r#"{"op":"subscribe","id":1,"topic":"fast"}"#,
        r#"{"op":"subscribed","id":1,"topic":"fast"}"#,
    )
    .await;
    sim.test_venue().publish_burst("fast", 100);
    assert_eq!(read_until_close(&mut ws).await.unwrap(), Some(1008));
    sim.shutdown().await;
}

#[tokio::test]
async fn rest_snapshot_and_its_429() {
    let sim = start(SimConfig::default()).await;
    sim.test_venue().publish_burst("snap", 7);
    let (status, _, body) = get(&sim, "/test/snapshot?topic=snap").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"topic":"snap","seq":7}"#);

    sim.set_http_fault(
        HttpFault::HttpStatus {
            status: 429,
            retry_after_secs: Some(1),
        },
        1,
    );
    let (status, retry_after, _) = get(&sim, "/test/snapshot?topic=snap").await.unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after.as_deref(), Some("1"));
    let (status, _, _) = get(&sim, "/test/snapshot?topic=snap").await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "the fault applies to one request only"
    );

    let (status, _, _) = get(&sim, "/nowhere").await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(sim.stats().http_requests, 4);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- connection faults

#[tokio::test]
async fn drop_fault_gives_eof_without_close_frame() {
    let sim = start(SimConfig::default()).await;
    let mut events = sim.subscribe_events();
    let mut ws = connect(&sim, "/test").await.unwrap();
    assert_eq!(sim.open_connections(), 1);
    assert_eq!(sim.inject(Fault::Drop), 1);
    match timeout(WAIT, ws.read_frame()).await.unwrap() {
        Err(WebSocketError::UnexpectedEOF | WebSocketError::IoError(_)) => {}
        Err(other) => panic!("unexpected error {other}"),
        Ok(frame) => panic!("unexpected {:?} frame", frame.opcode),
    }
    let disconnected =
        wait_event(&mut events, |e| matches!(e, SimEvent::Disconnected { .. })).await;
    assert!(disconnected.is_some());
    assert_eq!(sim.open_connections(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn close_no_status_sends_an_empty_close_frame() {
    let sim = start(SimConfig::default()).await;
    let mut ws = connect(&sim, "/test").await.unwrap();
    sim.inject(Fault::CloseNoStatus);
    let (opcode, payload) = next_frame(&mut ws).await.unwrap();
    assert_eq!(opcode, OpCode::Close);
    assert!(payload.is_empty(), "payload {payload:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn close_fault_to_one_connection_only() {
    let sim = start(SimConfig::default()).await;
    let mut events = sim.subscribe_events();
    let mut first = connect(&sim, "/test").await.unwrap();
    let mut second = connect(&sim, "/test").await.unwrap();
    let Some(SimEvent::Connected { conn, path, .. }) =
        wait_event(&mut events, |e| matches!(e, SimEvent::Connected { .. })).await
    else {
        panic!("no Connected event");
    };
    assert_eq!(path, "/test");
    assert_eq!(sim.connections().first(), Some(&conn));
    sim.inject_to(
        conn,
        Fault::Close {
            code: 4000,
            reason: "bye".to_owned(),
        },
    )
    .unwrap();
    let (opcode, payload) = next_frame(&mut first).await.unwrap();
    assert_eq!(opcode, OpCode::Close);
    assert_eq!(&payload[..2], &4000u16.to_be_bytes());
    assert_eq!(&payload[2..], b"bye");
    request(&mut second, r#"{"op":"ping"}"#, r#"{"op":"pong"}"#).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn stall_silences_the_connection_but_keeps_it_open() {
    let sim = start(SimConfig::default()).await;
    let mut ws = connect(&sim, "/test").await.unwrap();
    request(
        &mut ws,
        r#"{"op":"subscribe","id":1,"topic":"s"}"#,
        r#"{"op":"subscribed","id":1,"topic":"s"}"#,
    )
    .await;
    next_text(&mut ws).await.unwrap();
    sim.inject(Fault::Stall);
    // Drain what was on the wire before the stall: the link must go quiet within a second.
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        match timeout(Duration::from_millis(60), ws.read_frame()).await {
            Err(_) => break,
            Ok(Ok(_)) if Instant::now() < deadline => {}
            Ok(other) => panic!("still talking or closed: {:?}", other.map(|f| f.opcode)),
        }
    }
    send(&mut ws, r#"{"op":"ping"}"#).await;
    ws.write_frame(Frame::new(
        true,
        OpCode::Ping,
        None,
        Payload::Borrowed(b"hb"),
    ))
    .await
    .unwrap();
    assert_silent(&mut ws, Duration::from_millis(300)).await;
    assert_eq!(sim.open_connections(), 1, "the socket stays open");
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_frames_arrive_and_the_connection_goes_on() {
    let sim = start(SimConfig::default()).await;
    let mut ws = connect(&sim, "/test").await.unwrap();
    for kind in MalformedKind::ALL {
        sim.inject(Fault::Malformed(kind));
        match timeout(WAIT, ws.read_frame()).await.unwrap() {
            Ok(frame) => {
                let expected = if kind.is_binary() {
                    OpCode::Binary
                } else {
                    OpCode::Text
                };
                assert_eq!(frame.opcode, expected, "{kind:?}");
                assert_eq!(&frame.payload[..], kind.payload(), "{kind:?}");
            }
            // The client refuses the frame but has consumed it; the stream goes on.
            Err(WebSocketError::InvalidUTF8) => assert_eq!(kind, MalformedKind::InvalidUtf8),
            Err(err) => panic!("{kind:?}: {err}"),
        }
    }
    request(&mut ws, r#"{"op":"ping"}"#, r#"{"op":"pong"}"#).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn oversize_frame_has_the_requested_size() {
    let sim = start(SimConfig::default()).await;
    let mut ws = connect(&sim, "/test").await.unwrap();
    sim.inject(Fault::Oversize(300_000));
    let (opcode, payload) = next_frame(&mut ws).await.unwrap();
    assert_eq!(opcode, OpCode::Text);
    assert_eq!(payload.len(), 300_000);
    request(&mut ws, r#"{"op":"ping"}"#, r#"{"op":"pong"}"#).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn oversized_client_frame_is_closed_with_1009() {
    let sim = start(SimConfig {
        max_frame_size: 1024,
        ..SimConfig::default()
    })
    .await;
    let mut ws = connect(&sim, "/test").await.unwrap();
    let big = vec![b'a'; 4096];
    ws.write_frame(Frame::text(Payload::Owned(big)))
        .await
        .unwrap();
    assert_eq!(read_until_close(&mut ws).await.unwrap(), Some(1009));
    sim.shutdown().await;
}

// ---------------------------------------------------------------- accept faults

#[tokio::test]
async fn accept_fault_http_status_carries_retry_after() {
    let sim = start(SimConfig::default()).await;
    sim.set_accept_fault(
        AcceptFault::HttpStatus {
            status: 429,
            retry_after_secs: Some(2),
        },
        1,
    );
    let response = raw_upgrade(&sim, "/test").await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers().get(RETRY_AFTER).unwrap(), "2");
    connect(&sim, "/test")
        .await
        .expect("second attempt succeeds");
    assert_eq!(sim.connect_attempts(), 2);
    assert_eq!(sim.connections_accepted(), 1);
    let times = sim.connect_attempt_times();
    assert_eq!(times.len(), 2);
    assert!(times[0] <= times[1]);
    sim.shutdown().await;
}

#[tokio::test]
async fn accept_fault_refuse_closes_before_http() {
    let sim = start(SimConfig::default()).await;
    sim.set_accept_fault(AcceptFault::Refuse, 2);
    for _ in 0..2 {
        let refused = timeout(WAIT, connect(&sim, "/test")).await.unwrap();
        assert!(
            refused.is_err(),
            "refused connection must fail the handshake"
        );
    }
    connect(&sim, "/test")
        .await
        .expect("third attempt succeeds");
    assert_eq!(sim.connect_attempts(), 3);
    assert_eq!(sim.connections_accepted(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn accept_fault_slow_delays_the_handshake() {
    let sim = start(SimConfig::default()).await;
    sim.set_accept_fault(AcceptFault::Slow(Duration::from_millis(300)), 1);
    let started = Instant::now();
    connect(&sim, "/test").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    connect(&sim, "/test").await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(300));
    sim.shutdown().await;
}

// ---------------------------------------------------------------- TLS

#[tokio::test]
async fn tls_works_with_the_test_root() {
    let sim = start(SimConfig {
        transport: Transport::Tls,
        ..SimConfig::default()
    })
    .await;
    assert!(sim.ws_url("/test").starts_with("wss://localhost:"));
    let mut ws = connect(&sim, "/test").await.unwrap();
    request(
        &mut ws,
        r#"{"op":"subscribe","id":1,"topic":"tls"}"#,
        r#"{"op":"subscribed","id":1,"topic":"tls"}"#,
    )
    .await;
    assert_eq!(data(&next_text(&mut ws).await.unwrap()).topic, "tls");
    sim.inject(Fault::CloseNoStatus);
    loop {
        let (opcode, _) = next_frame(&mut ws).await.unwrap();
        if opcode == OpCode::Close {
            break;
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn tls_fails_with_webpki_roots() {
    let sim = start(SimConfig {
        transport: Transport::Tls,
        ..SimConfig::default()
    })
    .await;
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let result = timeout(WAIT, tls_stream(&sim, roots)).await.unwrap();
    let err = result.expect_err("a public root must not trust the simulator");
    assert!(format!("{err:#}").contains("certificate"), "{err:#}");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- core behaviour

#[tokio::test]
async fn events_report_the_connection_lifecycle() {
    let sim = start(SimConfig::default()).await;
    let mut events = sim.subscribe_events();
    let mut ws = connect(&sim, "/test?x=1").await.unwrap();
    send(&mut ws, r#"{"op":"ping"}"#).await;
    next_text(&mut ws).await.unwrap();
    ws.write_frame(Frame::close(1000, b"")).await.unwrap();

    let mut kinds = Vec::new();
    while kinds.last() != Some(&"disconnected") {
        let event = timeout(WAIT, events.recv()).await.unwrap().unwrap();
        kinds.push(match event {
            SimEvent::ConnectAttempt { .. } => "attempt",
            SimEvent::Connected { path, headers, .. } => {
                assert_eq!(path, "/test");
                assert_eq!(headers.get("sec-websocket-version").unwrap(), "13");
                "connected"
            }
            SimEvent::Received { text, .. } => {
                assert_eq!(text, r#"{"op":"ping"}"#);
                "received"
            }
            SimEvent::Disconnected { .. } => "disconnected",
            _ => "other",
        });
    }
    assert_eq!(kinds, ["attempt", "connected", "received", "disconnected"]);
    assert_eq!(sim.stats().events_dropped, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn undrained_events_are_dropped_and_counted() {
    let sim = start(SimConfig {
        event_capacity: 2,
        ..SimConfig::default()
    })
    .await;
    let _events = sim.subscribe_events();
    let mut ws = connect(&sim, "/test").await.unwrap();
    for _ in 0..3 {
        request(&mut ws, r#"{"op":"ping"}"#, r#"{"op":"pong"}"#).await;
    }
    assert!(sim.stats().events_dropped >= 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_is_prompt_and_closes_with_1001() {
    let sim = start(SimConfig::default()).await;
    let mut open = connect(&sim, "/test").await.unwrap();
    let stalled = connect(&sim, "/test").await.unwrap();
    request(
        &mut open,
        r#"{"op":"subscribe","id":1,"topic":"z"}"#,
        r#"{"op":"subscribed","id":1,"topic":"z"}"#,
    )
    .await;
    let stalled_id = sim.connections()[1];
    sim.inject_to(stalled_id, Fault::Stall).unwrap();

    let started = Instant::now();
    timeout(Duration::from_secs(2), sim.shutdown())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(read_until_close(&mut open).await.unwrap(), Some(1001));
    drop(stalled);
}

#[tokio::test]
async fn a_mounted_venue_gets_faults_for_free() {
    let sim = start(SimConfig::default().mount("/echo", Arc::new(Echo))).await;
    let mut ws = connect(&sim, "/echo/v1").await.unwrap();
    request(&mut ws, "hello", "echo /v1: hello").await;
    sim.inject(Fault::Malformed(MalformedKind::InvalidJson));
    let (_, payload) = next_frame(&mut ws).await.unwrap();
    assert_eq!(&payload[..], MalformedKind::InvalidJson.payload());
    let (status, _, _) = get(&sim, "/echo/anything").await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND, "Venue::http defaults to 404");
    sim.shutdown().await;
}

#[tokio::test]
async fn stamped_frames_carry_their_write_time() {
    let sim = start(SimConfig::default().mount("/stamp", Arc::new(Stamper))).await;
    let before = stamp_now_ns();
    let mut ws = connect(&sim, "/stamp").await.unwrap();
    send(&mut ws, "go").await;
    for expected in [OpCode::Text, OpCode::Binary] {
        let (opcode, payload) = next_frame(&mut ws).await.unwrap();
        let after = stamp_now_ns();
        assert_eq!(opcode, expected);
        assert!(
            payload.starts_with(b"id=") && payload.ends_with(b";"),
            "{payload:?}"
        );
        let stamp: u64 = std::str::from_utf8(&payload[3..18])
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (before..=after).contains(&stamp),
            "{before} <= {stamp} <= {after}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_mounts_are_refused() {
    for prefix in ["echo", "/echo/", "/test", "/"] {
        let config = SimConfig::default().mount(prefix, Arc::new(Echo));
        let err = Simulator::start(config).await.expect_err(prefix);
        assert!(err.is_fatal(), "{prefix}: {err}");
    }
}

#[test]
fn public_handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Simulator>();
    check::<exchange_sim::TestVenue>();
    check::<exchange_sim::SimError>();
    check::<SimEvent>();
}

/// A venue that echoes text frames, prefixed with the path below its mount.
struct Echo;

impl Venue for Echo {
    fn serve(self: Arc<Self>, mut conn: VenueConn) -> VenueFuture {
        Box::pin(async move {
            while let Some(message) = conn.recv().await {
                if let ClientMessage::Text(text) = message {
                    let reply = format!("echo {}: {text}", conn.path());
                    if conn.send(ServerMessage::Text(reply.into())).await.is_err() {
                        break;
                    }
                }
            }
        })
    }
}

/// A venue that answers any text with one stamped text frame and one stamped binary frame.
struct Stamper;

impl Venue for Stamper {
    fn serve(self: Arc<Self>, mut conn: VenueConn) -> VenueFuture {
        Box::pin(async move {
            if let Some(ClientMessage::Text(_)) = conn.recv().await {
                for format in [FrameFormat::Text, FrameFormat::Binary] {
                    let frame = ServerMessage::Stamped {
                        format,
                        payload: Bytes::from_static(b"id=xxxxxxxxxxxxxxx;"),
                        slot: 3..18,
                    };
                    if conn.send(frame).await.is_err() {
                        return;
                    }
                }
            }
            std::future::pending::<()>().await;
        })
    }
}

// ---------------------------------------------------------------- client helpers

async fn start(config: SimConfig) -> Simulator {
    timeout(WAIT, Simulator::start(config))
        .await
        .unwrap()
        .unwrap()
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A TCP stream to the simulator, wrapped in TLS trusting only the test root when needed.
async fn open(sim: &Simulator) -> anyhow::Result<Box<dyn Io>> {
    match sim.transport() {
        Transport::Plain => Ok(Box::new(TcpStream::connect(sim.addr()).await?)),
        Transport::Tls => {
            let mut roots = RootCertStore::empty();
            roots.add(sim.tls_root_der().context("no test root")?.into())?;
            Ok(Box::new(tls_stream(sim, roots).await?))
        }
    }
}

async fn tls_stream(
    sim: &Simulator,
    roots: RootCertStore,
) -> anyhow::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(sim.addr()).await?;
    let name = ServerName::try_from("localhost")?;
    Ok(connector.connect(name, tcp).await?)
}

fn upgrade_request(sim: &Simulator, path: &str) -> Request<Empty<Bytes>> {
    Request::builder()
        .method("GET")
        .uri(path)
        .header("Host", format!("localhost:{}", sim.addr().port()))
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "upgrade")
        .header("Sec-WebSocket-Key", handshake::generate_key())
        .header("Sec-WebSocket-Version", "13")
        .body(Empty::new())
        .unwrap()
}

async fn connect(sim: &Simulator, path: &str) -> anyhow::Result<Ws> {
    timeout(WAIT, async {
        let io = open(sim).await?;
        let (mut ws, _) = handshake::client(&SpawnExecutor, upgrade_request(sim, path), io).await?;
        ws.set_max_message_size(1 << 20);
        Ok(ws)
    })
    .await?
}

/// The handshake's HTTP response, whatever its status.
async fn raw_upgrade(sim: &Simulator, path: &str) -> anyhow::Result<Response<Incoming>> {
    let io = open(sim).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(connection.with_upgrades());
    Ok(timeout(WAIT, sender.send_request(upgrade_request(sim, path))).await??)
}

/// GET over a fresh connection: status, `Retry-After`, body.
async fn get(sim: &Simulator, path: &str) -> anyhow::Result<(StatusCode, Option<String>, String)> {
    let io = open(sim).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(connection);
    let request = Request::get(path)
        .header("Host", format!("localhost:{}", sim.addr().port()))
        .body(Empty::<Bytes>::new())?;
    let response = timeout(WAIT, sender.send_request(request)).await??;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = timeout(WAIT, response.into_body().collect())
        .await??
        .to_bytes();
    Ok((status, retry_after, String::from_utf8(body.to_vec())?))
}

async fn send(ws: &mut Ws, text: &str) {
    ws.write_frame(Frame::text(Payload::Borrowed(text.as_bytes())))
        .await
        .unwrap();
}

/// Sends `text` and expects exactly `reply` as the next frame.
async fn request(ws: &mut Ws, text: &str, reply: &str) {
    send(ws, text).await;
    assert_eq!(next_text(ws).await.unwrap(), reply, "reply to {text}");
}

async fn next_frame(ws: &mut Ws) -> anyhow::Result<(OpCode, Vec<u8>)> {
    let frame = timeout(WAIT, ws.read_frame()).await??;
    Ok((frame.opcode, frame.payload.to_vec()))
}

async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    match next_frame(ws).await? {
        (OpCode::Text, payload) => Ok(String::from_utf8(payload)?),
        (opcode, payload) => bail!("expected text, got {opcode:?} {payload:?}"),
    }
}

/// Reads until a close frame; returns its code (`None` for an empty payload).
async fn read_until_close(ws: &mut Ws) -> anyhow::Result<Option<u16>> {
    for _ in 0..10_000 {
        let (opcode, payload) = next_frame(ws).await?;
        if opcode == OpCode::Close {
            return Ok(payload
                .get(..2)
                .map(|code| u16::from_be_bytes([code[0], code[1]])));
        }
    }
    bail!("no close frame")
}

/// Nothing arrives for `quiet`, and the connection is not closed either.
async fn assert_silent(ws: &mut Ws, quiet: Duration) {
    if let Ok(read) = timeout(quiet, ws.read_frame()).await {
        panic!("expected silence, got {:?}", read.map(|f| f.opcode));
    }
}

async fn wait_event(
    events: &mut tokio::sync::mpsc::Receiver<SimEvent>,
    wanted: impl Fn(&SimEvent) -> bool,
) -> Option<SimEvent> {
    timeout(WAIT, async {
        while let Some(event) = events.recv().await {
            if wanted(&event) {
                return Some(event);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

struct DataFrame {
    topic: String,
    seq: u64,
    data: String,
}

fn data(text: &str) -> DataFrame {
    let value: Value = serde_json::from_str(text).unwrap();
    DataFrame {
        topic: value["topic"].as_str().unwrap().to_owned(),
        seq: value["seq"].as_u64().unwrap(),
        data: value["data"].as_str().unwrap().to_owned(),
    }
}

/// Runs hyper's connection futures on the test runtime.
struct SpawnExecutor;

impl<Fut> hyper::rt::Executor<Fut> for SpawnExecutor
where
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    fn execute(&self, fut: Fut) {
        tokio::spawn(fut);
    }
}
