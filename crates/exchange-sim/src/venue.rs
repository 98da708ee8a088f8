//! The seam between the simulator core and a venue's protocol.
//!
//! The core owns every socket: it accepts, upgrades, reads and writes frames, answers
//! WebSocket pings and applies faults. A venue only sees a [`VenueConn`] (queues of
//! messages) per WebSocket connection and an [`HttpRequest`] per REST call, so every
//! venue gets fault injection for free and cannot block the core.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::error::SimError;
use crate::event::ConnId;

/// The future a venue returns to serve one connection.
pub type VenueFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One exchange protocol, mounted at a path prefix with
/// [`SimConfig::mount`](crate::SimConfig::mount).
///
/// Chosen once at start-up, so the simulator holds it as `Arc<dyn Venue>`.
pub trait Venue: Send + Sync + 'static {
    /// Called once when the simulator starts, to spawn background tasks such as feed
    /// publishers. They end when the simulator shuts down.
    fn start(self: Arc<Self>, tasks: &mut VenueTasks<'_>) {
        let _ = tasks;
    }

    /// Serves one accepted WebSocket connection. The future runs on the connection's task
    /// until it returns (the core then closes the connection with 1000) or the connection
    /// ends (the future is dropped).
    fn serve(self: Arc<Self>, conn: VenueConn) -> VenueFuture;

    /// Answers one REST request under the prefix. HTTP faults are applied before this is
    /// called. The default answers 404.
    fn http(&self, request: &HttpRequest) -> Response<Bytes> {
        let _ = request;
        json_response(StatusCode::NOT_FOUND, r#"{"error":"not found"}"#)
    }
}

/// Spawns a venue's background tasks onto the simulator; they are stopped at shutdown.
#[derive(Debug)]
pub struct VenueTasks<'a> {
    set: &'a mut JoinSet<()>,
    shutdown: watch::Receiver<bool>,
}

impl<'a> VenueTasks<'a> {
    pub(crate) fn new(set: &'a mut JoinSet<()>, shutdown: watch::Receiver<bool>) -> Self {
        Self { set, shutdown }
    }

    /// Runs `task` until it returns or the simulator shuts down.
    pub fn spawn<F>(&mut self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut shutdown = self.shutdown.clone();
        self.set.spawn(async move {
            tokio::select! {
                () = task => {}
                () = crate::server::until_shutdown(&mut shutdown) => {}
            }
        });
    }
}

/// A venue's handle on one WebSocket connection.
///
/// Messages go through bounded queues to the connection's task, which does the socket IO.
#[derive(Debug)]
pub struct VenueConn {
    id: ConnId,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    inbound: mpsc::Receiver<ClientMessage>,
    outbound: mpsc::Sender<ServerMessage>,
}

impl VenueConn {
    pub(crate) fn new(
        info: ConnInfo,
        inbound: mpsc::Receiver<ClientMessage>,
        outbound: mpsc::Sender<ServerMessage>,
    ) -> Self {
        Self {
            id: info.id,
            path: info.path,
            query: info.query,
            headers: info.headers,
            inbound,
            outbound,
        }
    }

    /// The connection's id, as in [`SimEvent`](crate::SimEvent)s.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The request path below the mount prefix (`""` for the prefix itself, else starting with `/`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The request's query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The upgrade request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The next data message from the client; `None` once the connection has ended.
    /// Pings, pongs and close frames are handled by the core.
    pub async fn recv(&mut self) -> Option<ClientMessage> {
        self.inbound.recv().await
    }

    /// Queues one message to the client, waiting while the queue is full.
    pub async fn send(&self, message: ServerMessage) -> Result<(), SimError> {
        self.outbound
            .send(message)
            .await
            .map_err(|_| SimError::ConnectionClosed(self.id))
    }

    /// Queues a close frame; the core closes the connection after sending it.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), SimError> {
        self.send(ServerMessage::Close {
            code,
            reason: reason.to_owned(),
        })
        .await
    }
}

/// A data message from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientMessage {
    /// A text frame (reassembled if fragmented).
    Text(String),
    /// A binary frame (reassembled if fragmented).
    Binary(Bytes),
}

/// A message from the venue to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerMessage {
    /// A text frame. The bytes should be UTF-8; they are not checked.
    Text(Bytes),
    /// A binary frame.
    Binary(Bytes),
    /// A data frame that carries the instant the core writes it to the socket: the core
    /// fills `payload[slot]` with the nanoseconds since [`stamp_epoch`](crate::stamp_epoch)
    /// as zero-padded ASCII digits (for latency measurements in one process).
    Stamped {
        /// Text or binary.
        format: FrameFormat,
        /// The frame with a slot of placeholder digits.
        payload: Bytes,
        /// Where the digits go; a slot outside `payload` leaves it unstamped.
        slot: std::ops::Range<usize>,
    },
    /// A close frame with this code and reason; the connection ends after it.
    Close {
        /// Close code, put on the wire as is.
        code: u16,
        /// Close reason.
        reason: String,
    },
}

/// Whether a data frame is text or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameFormat {
    /// A text frame (the bytes should be UTF-8; they are not checked).
    Text,
    /// A binary frame.
    Binary,
}

/// One REST request, body already read (bounded).
#[derive(Clone)]
pub struct HttpRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path below the mount prefix (`""` for the prefix itself, else starting with `/`).
    pub path: String,
    /// The query string without `?`, not percent-decoded.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The request body.
    pub body: Bytes,
}

impl HttpRequest {
    /// The first value of query parameter `name`, not percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .as_deref()?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find_map(|(key, value)| (key == name).then_some(value))
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// A response with `content-type: application/json` and the given body.
pub fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// What the core knows about a connection when it hands it to the venue.
#[derive(Debug)]
pub(crate) struct ConnInfo {
    pub(crate) id: ConnId,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
}
