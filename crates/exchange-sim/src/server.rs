//! The [`Simulator`]: listener, HTTP service, routing and the public control surface.

use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

use crate::config::{Mount, SimConfig, TEST_VENUE_PREFIX, Transport};
use crate::core::Core;
use crate::error::SimError;
use crate::event::{ConnId, SimEvent, SimStats};
use crate::fault::{AcceptFault, Fault, HttpFault};
use crate::session::{self, PendingSession};
use crate::test_venue::TestVenue;
use crate::tls::TestPki;
use crate::venue::{ConnInfo, HttpRequest, Venue, VenueTasks, json_response};

/// A running simulator on 127.0.0.1.
///
/// Dropping it aborts every task at once; [`Simulator::shutdown`] first lets open
/// connections send a `1001` close frame.
pub struct Simulator {
    addr: SocketAddr,
    transport: Transport,
    tls_root_der: Option<Vec<u8>>,
    core: Arc<Core>,
    test_venue: Arc<TestVenue>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Simulator {
    /// Binds 127.0.0.1 (`config.port`, 0 for any), starts the venues and begins serving.
    pub async fn start(config: SimConfig) -> Result<Self, SimError> {
        validate(&config)?;
        let test_venue = Arc::new(TestVenue::new(config.test_venue.clone()));
        let mut mounts = config.venues.clone();
        mounts.push(Mount {
            prefix: TEST_VENUE_PREFIX.to_owned(),
            venue: Arc::clone(&test_venue) as Arc<dyn Venue>,
        });
        validate_mounts(&mounts)?;

        let pki = match config.transport {
            Transport::Plain => None,
            Transport::Tls => Some(TestPki::generate()?),
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .await
            .map_err(|source| SimError::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            port: config.port,
            source,
        })?;

        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for mount in &mounts {
            let mut venue_tasks = VenueTasks::new(&mut tasks, shutdown_rx.clone());
            Arc::clone(&mount.venue).start(&mut venue_tasks);
        }
        let core = Arc::new(Core::new(&config, mounts));
        let (acceptor, tls_root_der) = match pki {
            Some(pki) => (Some(pki.acceptor), Some(pki.root_der)),
            None => (None, None),
        };
        tasks.spawn(accept_loop(
            listener,
            Arc::clone(&core),
            acceptor,
            shutdown_rx,
        ));
        debug!(%addr, ?config.transport, "simulator listening");
        Ok(Self {
            addr,
            transport: config.transport,
            tls_root_der,
            core,
            test_venue,
            shutdown,
            tasks,
        })
    }

    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Plain TCP or TLS.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// `ws://127.0.0.1:PORT/path`, or `wss://localhost:PORT/path` with TLS.
    pub fn ws_url(&self, path: &str) -> String {
        let scheme = match self.transport {
            Transport::Plain => "ws",
            Transport::Tls => "wss",
        };
        self.url(scheme, path)
    }

    /// `http://127.0.0.1:PORT/path`, or `https://localhost:PORT/path` with TLS.
    pub fn http_url(&self, path: &str) -> String {
        let scheme = match self.transport {
            Transport::Plain => "http",
            Transport::Tls => "https",
        };
        self.url(scheme, path)
    }

    /// The DER of the generated root certificate a client must trust; `None` without TLS.
    pub fn tls_root_der(&self) -> Option<Vec<u8>> {
        self.tls_root_der.clone()
    }

    /// The built-in test venue mounted at `/test`.
    pub fn test_venue(&self) -> &TestVenue {
        &self.test_venue
    }

    /// Queues `fault` to every open WebSocket connection; returns how many took it.
    pub fn inject(&self, fault: Fault) -> usize {
        self.core.inject(&fault, None)
    }

    /// Queues `fault` to every open WebSocket connection whose request path starts with
    /// `path_prefix` (one venue's, or one market's); returns how many took it.
    pub fn inject_under(&self, path_prefix: &str, fault: Fault) -> usize {
        self.core.inject(&fault, Some(path_prefix))
    }

    /// Queues `fault` to one connection.
    pub fn inject_to(&self, conn: ConnId, fault: Fault) -> Result<(), SimError> {
        self.core.inject_to(conn, fault)
    }

    /// Applies `fault` to the next `count` connection attempts (0 clears it). Replaces any
    /// accept fault still pending.
    pub fn set_accept_fault(&self, fault: AcceptFault, count: u32) {
        self.core.set_accept_fault(fault, count, None);
    }

    /// Like [`set_accept_fault`](Self::set_accept_fault), for the next `count` upgrade
    /// requests whose path starts with `path_prefix` only. [`AcceptFault::Refuse`] acts
    /// before the request is read, so it still takes the next TCP connections, whatever
    /// their path.
    pub fn set_accept_fault_under(&self, path_prefix: &str, fault: AcceptFault, count: u32) {
        self.core.set_accept_fault(fault, count, Some(path_prefix));
    }

    /// Applies `fault` to the next `count` REST requests (0 clears it). Replaces any HTTP
    /// fault still pending.
    pub fn set_http_fault(&self, fault: HttpFault, count: u32) {
        self.core.set_http_fault(fault, count, None);
    }

    /// Like [`set_http_fault`](Self::set_http_fault), for the next `count` REST requests
    /// whose path starts with `path_prefix` only.
    pub fn set_http_fault_under(&self, path_prefix: &str, fault: HttpFault, count: u32) {
        self.core.set_http_fault(fault, count, Some(path_prefix));
    }

    /// A bounded channel of events from now on. A new call replaces the previous
    /// subscriber; events that find the channel full are dropped and counted.
    pub fn subscribe_events(&self) -> mpsc::Receiver<SimEvent> {
        self.core.subscribe_events()
    }

    /// All counters at once.
    pub fn stats(&self) -> SimStats {
        self.core.stats()
    }

    /// WebSocket upgrade requests plus refused TCP connections so far.
    pub fn connect_attempts(&self) -> u64 {
        self.stats().connect_attempts
    }

    /// WebSocket upgrades accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.stats().connections_accepted
    }

    /// WebSocket connections open right now.
    pub fn open_connections(&self) -> u64 {
        self.stats().open_connections
    }

    /// When the most recent connect attempts happened (the last 1024), oldest first.
    pub fn connect_attempt_times(&self) -> Vec<Instant> {
        self.core.attempt_times()
    }

    /// Ids of the open WebSocket connections, lowest first.
    pub fn connections(&self) -> Vec<ConnId> {
        self.core.open_ids()
    }

    /// Stops accepting, closes open connections with `1001` and ends every task, within
    /// about one second even if clients do not cooperate.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        let mut tasks = std::mem::take(&mut self.tasks);
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!("simulator tasks did not stop in time, aborting them");
        }
        tasks.shutdown().await;
    }

    fn url(&self, scheme: &str, path: &str) -> String {
        let host = match self.transport {
            Transport::Plain => "127.0.0.1",
            Transport::Tls => "localhost",
        };
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("{scheme}://{host}:{}{slash}{path}", self.addr.port())
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        self.tasks.abort_all();
    }
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .field("transport", &self.transport)
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

/// Resolves once the simulator is shutting down (or its handle is gone).
pub(crate) async fn until_shutdown(shutdown: &mut watch::Receiver<bool>) {
    // An error means the sender was dropped, which also means shutdown.
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}

fn validate(config: &SimConfig) -> Result<(), SimError> {
    let checks = [
        (config.max_frame_size > 0, "max_frame_size must be positive"),
        (
            config.max_connections > 0,
            "max_connections must be positive",
        ),
        (config.event_capacity > 0, "event_capacity must be positive"),
        (config.fault_capacity > 0, "fault_capacity must be positive"),
        (config.queue_capacity > 0, "queue_capacity must be positive"),
        (
            config.test_venue.feed_capacity > 0 && config.test_venue.feed_capacity <= MAX_FEED,
            "test_venue.feed_capacity must be in 1..=1048576",
        ),
        (
            !config.test_venue.publish_interval.is_zero(),
            "test_venue.publish_interval must be positive",
        ),
    ];
    match checks.iter().find(|(ok, _)| !ok) {
        Some((_, reason)) => Err(SimError::InvalidConfig(reason)),
        None => Ok(()),
    }
}

fn validate_mounts(mounts: &[Mount]) -> Result<(), SimError> {
    for (index, mount) in mounts.iter().enumerate() {
        let prefix = mount.prefix.as_str();
        let reason = if !prefix.starts_with('/') || prefix.len() < 2 {
            Some("must start with '/' and name something")
        } else if prefix.ends_with('/') {
            Some("must not end with '/'")
        } else if prefix.contains(['?', '#']) {
            Some("must be a plain path")
        } else if mounts[..index].iter().any(|other| other.prefix == prefix) {
            Some("is mounted twice")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(SimError::InvalidMount {
                prefix: prefix.to_owned(),
                reason,
            });
        }
    }
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    core: Arc<Core>,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            () = until_shutdown(&mut shutdown) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    if core.on_tcp_accept() {
                        debug!(%peer, "refusing connection (accept fault)");
                        drop(tcp);
                    } else if conns.len() >= core.limits.max_connections {
                        warn!(%peer, "too many connections, refusing");
                        drop(tcp);
                    } else {
                        conns.spawn(serve_tcp(Arc::clone(&core), tcp, tls.clone(), shutdown.clone()));
                    }
                }
                Err(err) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    warn!(%err, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);
    // Sessions saw the same signal and are sending close frames; give them a moment.
    let _ = tokio::time::timeout(SESSION_GRACE, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.shutdown().await;
}

async fn serve_tcp(
    core: Arc<Core>,
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    if let Err(err) = tcp.set_nodelay(true) {
        debug!(%err, "cannot set TCP_NODELAY");
    }
    match tls {
        None => serve_io(core, tcp, shutdown).await,
        Some(acceptor) => {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => serve_io(core, stream, shutdown).await,
                Ok(Err(err)) => debug!(%err, "TLS handshake failed"),
                Err(_) => debug!("TLS handshake timed out"),
            }
        }
    }
}

/// Serves HTTP/1.1 on one connection; if it is upgraded, runs the WebSocket session on
/// the same task so that shutdown reaches it.
async fn serve_io<I>(core: Arc<Core>, io: I, mut shutdown: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (upgrade_tx, mut upgrade_rx) = mpsc::channel::<PendingSession>(1);
    let service_core = Arc::clone(&core);
    let service = service_fn(move |request| {
        let core = Arc::clone(&service_core);
        let upgrade_tx = upgrade_tx.clone();
        async move { Ok::<_, Infallible>(handle_request(&core, request, &upgrade_tx).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::select! {
        served = connection => {
            if let Err(err) = served {
                debug!(%err, "HTTP connection ended with an error");
            }
        }
        () = until_shutdown(&mut shutdown) => return,
    }
    if let Ok(pending) = upgrade_rx.try_recv() {
        session::run(&core, pending, shutdown).await;
    }
}

async fn handle_request(
    core: &Arc<Core>,
    request: Request<Incoming>,
    upgrade_tx: &mpsc::Sender<PendingSession>,
) -> Response<Full<Bytes>> {
    if fastwebsockets::upgrade::is_upgrade_request(&request) {
        handle_upgrade(core, request, upgrade_tx).await
    } else {
        handle_rest(core, request).await.map(Full::new)
    }
}

async fn handle_upgrade(
    core: &Arc<Core>,
    mut request: Request<Incoming>,
    upgrade_tx: &mpsc::Sender<PendingSession>,
) -> Response<Full<Bytes>> {
    match core.on_upgrade_request(request.uri().path()) {
        Some(AcceptFault::HttpStatus {
            status,
            retry_after_secs,
        }) => return status_response(status, retry_after_secs).map(Full::new),
        Some(AcceptFault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(AcceptFault::CloseNoStatus) => return upgrade_and_close_without_status(request),
        Some(AcceptFault::Refuse) | None => {}
    }
    let path = request.uri().path().to_owned();
    let Some(route) = core.route(&path) else {
        return json_response(StatusCode::NOT_FOUND, r#"{"error":"not found"}"#).map(Full::new);
    };
    let (response, upgrade) = match fastwebsockets::upgrade::upgrade(&mut request) {
        Ok(parts) => parts,
        Err(err) => {
            debug!(%err, "bad upgrade request");
            return json_response(StatusCode::BAD_REQUEST, r#"{"error":"bad upgrade"}"#)
                .map(Full::new);
        }
    };
    let (id, faults, guard) = core.register(&path, request.headers());
    let pending = PendingSession {
        upgrade,
        venue: route.venue,
        info: ConnInfo {
            id,
            path: route.rest,
            query: request.uri().query().map(str::to_owned),
            headers: request.headers().clone(),
        },
        faults,
        guard,
    };
    if upgrade_tx.try_send(pending).is_err() {
        // Only one upgrade per TCP connection can happen; hyper prevents a second.
        return json_response(StatusCode::CONFLICT, r#"{"error":"already upgraded"}"#)
            .map(Full::new);
    }
    response.map(|_| Full::new(Bytes::new()))
}

/// Accepts the upgrade and sends an empty close frame (1005) as the first thing on the new
/// socket; the connection is not registered (no venue sees it).
fn upgrade_and_close_without_status(mut request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (response, upgrade) = match fastwebsockets::upgrade::upgrade(&mut request) {
        Ok(parts) => parts,
        Err(err) => {
            debug!(%err, "bad upgrade request");
            return json_response(StatusCode::BAD_REQUEST, r#"{"error":"bad upgrade"}"#)
                .map(Full::new);
        }
    };
    tokio::spawn(async move {
        match upgrade.await {
            Ok(mut ws) => {
                let close =
                    fastwebsockets::Frame::close_raw(fastwebsockets::Payload::Borrowed(&[]));
                if let Err(err) = ws.write_frame(close).await {
                    debug!(%err, "1005 close not sent");
                }
            }
            Err(err) => debug!(%err, "upgrade failed"),
        }
    });
    response.map(|_| Full::new(Bytes::new()))
}

async fn handle_rest(core: &Core, request: Request<Incoming>) -> Response<Bytes> {
    match core.on_http_request(request.uri().path()) {
        Some(HttpFault::HttpStatus {
            status,
            retry_after_secs,
        }) => return status_response(status, retry_after_secs),
        Some(HttpFault::Slow(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let Some(route) = core.route(request.uri().path()) else {
        return json_response(StatusCode::NOT_FOUND, r#"{"error":"not found"}"#);
    };
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REST_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            debug!(%err, "REST body refused");
            return json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"error":"body too large"}"#,
            );
        }
    };
    let request = HttpRequest {
        method: parts.method,
        path: route.rest,
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    route.venue.http(&request)
}

fn status_response(status: u16, retry_after_secs: Option<u64>) -> Response<Bytes> {
    let status = StatusCode::from_u16(status).unwrap_or_else(|_| {
        warn!(status, "invalid fault status, answering 500");
        StatusCode::INTERNAL_SERVER_ERROR
    });
    let body = format!(
        r#"{{"error":"injected fault","status":{}}}"#,
        status.as_u16()
    );
    let mut response = json_response(status, body);
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// How long `shutdown` waits for tasks before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1000);
/// How long the accept loop lets sessions send their close frames at shutdown.
const SESSION_GRACE: Duration = Duration::from_millis(500);
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);
/// Largest REST request body read.
const MAX_REST_BODY: usize = 1 << 20;
/// Largest test-venue feed capacity accepted.
const MAX_FEED: usize = 1 << 20;
