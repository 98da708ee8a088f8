//! One upgraded WebSocket connection: socket IO, pings, close handshake and faults.
//!
//! Three futures share the connection's task: the frame reader, the venue's `serve`
//! future and the driver, which owns the write half and is the only one that ends.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::upgrade::UpgradeFut;
use fastwebsockets::{
    FragmentCollectorRead, Frame, OpCode, Payload, WebSocketError, WebSocketWrite,
};
use tokio::io::{AsyncWrite, BufWriter};
use tokio::sync::{mpsc, watch};
use tracing::debug;

use crate::core::{ConnGuard, Core};
use crate::event::{ConnId, SimEvent};
use crate::fault::{Fault, MalformedKind};
use crate::server::until_shutdown;
use crate::stamp::stamp_into;
use crate::venue::{ClientMessage, ConnInfo, FrameFormat, ServerMessage, Venue, VenueConn};

/// An accepted upgrade whose `101` is on its way to the client.
pub(crate) struct PendingSession {
    pub(crate) upgrade: UpgradeFut,
    pub(crate) venue: Arc<dyn Venue>,
    pub(crate) info: ConnInfo,
    pub(crate) faults: mpsc::Receiver<Fault>,
    pub(crate) guard: ConnGuard,
}

/// Runs the connection until the client leaves, a fault or the venue ends it, or shutdown.
pub(crate) async fn run(
    core: &Arc<Core>,
    pending: PendingSession,
    shutdown: watch::Receiver<bool>,
) {
    let PendingSession {
        upgrade,
        venue,
        info,
        faults,
        guard,
    } = pending;
    let id = info.id;
    let mut ws = match upgrade.await {
        Ok(ws) => ws,
        Err(err) => {
            debug!(conn = %id, %err, "upgrade did not complete");
            return;
        }
    };
    // The driver answers pings and close frames itself, so that a stall can silence them.
    ws.set_auto_pong(false);
    ws.set_auto_close(false);
    ws.set_max_message_size(core.limits.max_frame_size);
    // Writes go through a buffer that is flushed once the venue's backlog is written (see
    // `Driver::on_venue_backlog`), so a venue that outpaces the socket sends many frames per
    // syscall, as a real server under load does, instead of one flush per frame.
    let (read_half, write_half) = ws.split(|stream| {
        let (read, write) = tokio::io::split(stream);
        (read, BufWriter::with_capacity(WRITE_BUFFER, write))
    });

    let capacity = core.limits.queue_capacity;
    let (to_venue, venue_inbound) = mpsc::channel(capacity);
    let (venue_outbound, from_venue) = mpsc::channel(capacity);
    let (frame_tx, frames) = mpsc::channel(READ_QUEUE);

    let venue_conn = VenueConn::new(info, venue_inbound, venue_outbound);
    let venue_task = async move {
        venue.serve(venue_conn).await;
        std::future::pending::<()>().await;
    };
    let reader = read_frames(FragmentCollectorRead::new(read_half), frame_tx);
    let driver = Driver {
        id,
        core: Arc::clone(core),
        writer: write_half,
        mode: Mode::Open,
        stamped: Vec::new(),
    };
    let driving = driver.run(Queues {
        frames,
        faults,
        to_venue,
        from_venue,
        shutdown,
    });
    tokio::select! {
        () = driving => {}
        () = reader => {}
        () = venue_task => {}
    }
    drop(guard);
}

/// Bytes buffered before the socket is written (a flush also happens after each backlog).
const WRITE_BUFFER: usize = 64 * 1024;

/// Most data frames written from the venue's backlog before one flush.
const WRITE_BATCH: usize = 64;

/// What the reader hands to the driver.
#[derive(Debug)]
enum Incoming {
    Text(String),
    Binary(Bytes),
    Ping(Bytes),
    Pong,
    Close(Bytes),
    /// The read side is finished: EOF, IO error or protocol error.
    Ended(WebSocketError),
}

/// Reads frames until the stream ends, then stays pending (only the driver ends the task).
async fn read_frames<S>(mut reader: FragmentCollectorRead<S>, frames: mpsc::Sender<Incoming>)
where
    S: tokio::io::AsyncRead + Unpin,
{
    // Auto pong and auto close are off, so the reader never has a frame to send.
    let mut no_obligations = |_: Frame<'_>| async { Ok::<(), std::convert::Infallible>(()) };
    loop {
        let incoming = match reader.read_frame(&mut no_obligations).await {
            Ok(frame) => match frame.opcode {
                OpCode::Text => match String::from_utf8(frame.payload.to_vec()) {
                    Ok(text) => Incoming::Text(text),
                    Err(_) => Incoming::Ended(WebSocketError::InvalidUTF8),
                },
                OpCode::Binary => Incoming::Binary(Bytes::copy_from_slice(&frame.payload)),
                OpCode::Ping => Incoming::Ping(Bytes::copy_from_slice(&frame.payload)),
                OpCode::Close => Incoming::Close(Bytes::copy_from_slice(&frame.payload)),
                OpCode::Pong => Incoming::Pong,
                OpCode::Continuation => continue,
            },
            Err(err) => Incoming::Ended(err),
        };
        let last = matches!(incoming, Incoming::Close(_) | Incoming::Ended(_));
        if frames.send(incoming).await.is_err() || last {
            break;
        }
    }
    std::future::pending::<()>().await;
}

struct Driver<W> {
    id: ConnId,
    core: Arc<Core>,
    writer: WebSocketWrite<W>,
    mode: Mode,
    /// The last stamped frame, reused so stamping does not allocate per frame.
    stamped: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Open,
    /// [`Fault::Stall`]: read and discard, write nothing.
    Stalled,
}

struct Queues {
    frames: mpsc::Receiver<Incoming>,
    faults: mpsc::Receiver<Fault>,
    to_venue: mpsc::Sender<ClientMessage>,
    from_venue: mpsc::Receiver<ServerMessage>,
    shutdown: watch::Receiver<bool>,
}

/// Whether the driver loop goes on after a step.
enum Step {
    Continue,
    /// A close frame went out: wait briefly for the client's reply, then end.
    Closing,
    End,
}

impl<W: AsyncWrite + Unpin> Driver<W> {
    async fn run(mut self, mut queues: Queues) {
        // A client message waiting for room in the venue's queue; while it waits, no more
        // frames are read from the reader, so a slow venue slows the client (bounded).
        let mut for_venue: Option<ClientMessage> = None;
        let mut faults_open = true;
        let mut venue_open = true;
        let step = loop {
            let step = tokio::select! {
                biased;
                () = until_shutdown(&mut queues.shutdown) => {
                    self.close_for_shutdown().await;
                    Step::End
                }
                fault = queues.faults.recv(), if faults_open => match fault {
                    Some(fault) => self.apply(fault).await,
                    None => {
                        faults_open = false;
                        Step::Continue
                    }
                },
                permit = queues.to_venue.reserve(), if for_venue.is_some() => {
                    if let (Ok(permit), Some(message)) = (permit, for_venue.take()) {
                        permit.send(message);
                    }
                    Step::Continue
                }
                incoming = queues.frames.recv(), if for_venue.is_none() => {
                    self.on_incoming(incoming, &mut for_venue).await
                }
                message = queues.from_venue.recv(), if venue_open => match message {
                    Some(message) => self.on_venue_backlog(message, &mut queues.from_venue).await,
                    None => {
                        venue_open = false;
                        self.on_venue_ended().await
                    }
                },
            };
            match step {
                Step::Continue => {}
                Step::Closing | Step::End => break step,
            }
        };
        if let Step::Closing = step {
            self.linger(&mut queues).await;
        }
    }

    async fn apply(&mut self, fault: Fault) -> Step {
        debug!(conn = %self.id, ?fault, "applying fault");
        if self.mode == Mode::Stalled {
            return match fault {
                Fault::Drop => Step::End,
                _ => Step::Continue,
            };
        }
        match fault {
            Fault::Drop => Step::End,
            Fault::CloseNoStatus => {
                self.send_close(Frame::close_raw(Payload::Borrowed(&[])))
                    .await
            }
            Fault::Close { code, reason } => {
                self.send_close(Frame::close(code, reason.as_bytes())).await
            }
            Fault::Stall => {
                self.mode = Mode::Stalled;
                Step::Continue
            }
            Fault::Malformed(kind) => self.write(malformed_frame(kind)).await,
            Fault::Text(text) => {
                self.write(Frame::text(Payload::Owned(text.into_bytes())))
                    .await
            }
            Fault::Oversize(len) => {
                self.write(Frame::text(Payload::Owned(vec![b'x'; len])))
                    .await
            }
            Fault::Ping(payload) => {
                let mut payload = payload;
                payload.truncate(125);
                self.write(Frame::new(
                    true,
                    OpCode::Ping,
                    None,
                    Payload::Owned(payload),
                ))
                .await
            }
        }
    }

    async fn on_incoming(
        &mut self,
        incoming: Option<Incoming>,
        for_venue: &mut Option<ClientMessage>,
    ) -> Step {
        let Some(incoming) = incoming else {
            return Step::End;
        };
        if self.mode == Mode::Stalled {
            return match incoming {
                Incoming::Close(_) | Incoming::Ended(_) => Step::End,
                _ => Step::Continue,
            };
        }
        match incoming {
            Incoming::Text(text) => {
                self.core.emit(SimEvent::Received {
                    conn: self.id,
                    text: text.clone(),
                });
                *for_venue = Some(ClientMessage::Text(text));
                Step::Continue
            }
            Incoming::Binary(bytes) => {
                *for_venue = Some(ClientMessage::Binary(bytes));
                Step::Continue
            }
            Incoming::Ping(payload) => self.write(Frame::pong(Payload::Borrowed(&payload))).await,
            Incoming::Pong => {
                self.core.on_pong();
                Step::Continue
            }
            Incoming::Close(payload) => {
                // Echo the client's close (RFC 6455 5.5.1), then end.
                let echo = match payload.len() {
                    0 | 1 => Frame::close_raw(Payload::Borrowed(&[])),
                    _ => Frame::close_raw(Payload::Borrowed(&payload[..2])),
                };
                let _ = self.write(echo).await;
                Step::End
            }
            Incoming::Ended(err) => {
                debug!(conn = %self.id, %err, "read side ended");
                if let WebSocketError::FrameTooLarge = err {
                    let _ = self
                        .write(Frame::close(CLOSE_TOO_BIG, b"message too big"))
                        .await;
                } else if is_protocol_error(&err) {
                    let _ = self
                        .write(Frame::close(CLOSE_PROTOCOL, b"protocol error"))
                        .await;
                }
                Step::End
            }
        }
    }

    /// Writes `first` and then whatever else the venue has already queued (at most
    /// [`WRITE_BATCH`] data frames), with one flush at the end.
    async fn on_venue_backlog(
        &mut self,
        first: ServerMessage,
        from_venue: &mut mpsc::Receiver<ServerMessage>,
    ) -> Step {
        let mut next = Some(first);
        let mut batched = 0;
        while let Some(message) = next.take() {
            if self.mode == Mode::Stalled {
                return Step::Continue;
            }
            let payload = match &message {
                ServerMessage::Text(bytes) => Frame::text(Payload::Borrowed(bytes)),
                ServerMessage::Binary(bytes) => Frame::binary(Payload::Borrowed(bytes)),
                ServerMessage::Stamped {
                    format,
                    payload,
                    slot,
                } => data_frame(
                    *format,
                    stamp_into(&mut self.stamped, payload, slot.clone()),
                ),
                ServerMessage::Close { .. } => {
                    // Flush what is buffered, then the close (flushed by `send_close`).
                    if let Step::End = self.flush().await {
                        return Step::End;
                    }
                    return self.on_venue_message(message).await;
                }
            };
            if let Err(err) = self.writer.write_frame(payload).await {
                debug!(conn = %self.id, %err, "write failed");
                return Step::End;
            }
            batched += 1;
            if batched < WRITE_BATCH {
                next = from_venue.try_recv().ok();
            }
        }
        self.flush().await
    }

    async fn flush(&mut self) -> Step {
        match self.writer.flush().await {
            Ok(()) => Step::Continue,
            Err(err) => {
                debug!(conn = %self.id, %err, "flush failed");
                Step::End
            }
        }
    }

    async fn on_venue_message(&mut self, message: ServerMessage) -> Step {
        if self.mode == Mode::Stalled {
            return Step::Continue;
        }
        match message {
            ServerMessage::Text(bytes) => self.write(Frame::text(Payload::Borrowed(&bytes))).await,
            ServerMessage::Binary(bytes) => {
                self.write(Frame::binary(Payload::Borrowed(&bytes))).await
            }
            ServerMessage::Stamped {
                format,
                payload,
                slot,
            } => {
                let mut stamped = std::mem::take(&mut self.stamped);
                let step = self
                    .write(data_frame(format, stamp_into(&mut stamped, &payload, slot)))
                    .await;
                self.stamped = stamped;
                step
            }
            ServerMessage::Close { code, reason } => {
                self.send_close(Frame::close(code, reason.as_bytes())).await
            }
        }
    }

    async fn on_venue_ended(&mut self) -> Step {
        match self.mode {
            // A stalled connection stays open until the client leaves.
            Mode::Stalled => Step::Continue,
            Mode::Open => self.send_close(Frame::close(CLOSE_NORMAL, b"")).await,
        }
    }

    async fn close_for_shutdown(&mut self) {
        if self.mode == Mode::Open {
            let close = Frame::close(CLOSE_GOING_AWAY, b"simulator shutting down");
            let _ = tokio::time::timeout(SHUTDOWN_WRITE_TIMEOUT, self.write(close)).await;
        }
    }

    async fn send_close(&mut self, frame: Frame<'_>) -> Step {
        match self.write(frame).await {
            Step::Continue => Step::Closing,
            other => other,
        }
    }

    /// After our close frame: wait a little for the client's close or EOF, discarding
    /// anything else, so the client reads our close before the TCP connection goes.
    async fn linger(&mut self, queues: &mut Queues) {
        let waiting = async {
            while let Some(incoming) = queues.frames.recv().await {
                if matches!(incoming, Incoming::Close(_) | Incoming::Ended(_)) {
                    break;
                }
            }
        };
        tokio::select! {
            _ = tokio::time::timeout(CLOSE_LINGER, waiting) => {}
            () = until_shutdown(&mut queues.shutdown) => {}
        }
    }

    async fn write(&mut self, frame: Frame<'_>) -> Step {
        let written = match self.writer.write_frame(frame).await {
            Ok(()) => self.writer.flush().await,
            Err(err) => Err(err),
        };
        match written {
            Ok(()) => Step::Continue,
            Err(err) => {
                debug!(conn = %self.id, %err, "write failed");
                Step::End
            }
        }
    }
}

fn data_frame(format: FrameFormat, payload: &[u8]) -> Frame<'_> {
    match format {
        FrameFormat::Text => Frame::text(Payload::Borrowed(payload)),
        FrameFormat::Binary => Frame::binary(Payload::Borrowed(payload)),
    }
}

fn malformed_frame(kind: MalformedKind) -> Frame<'static> {
    let payload = Payload::Borrowed(kind.payload());
    if kind.is_binary() {
        Frame::binary(payload)
    } else {
        // fastwebsockets does not check outgoing text, so invalid UTF-8 goes out as is.
        Frame::text(payload)
    }
}

fn is_protocol_error(err: &WebSocketError) -> bool {
    matches!(
        err,
        WebSocketError::InvalidFragment
            | WebSocketError::InvalidUTF8
            | WebSocketError::InvalidContinuationFrame
            | WebSocketError::InvalidCloseFrame
            | WebSocketError::InvalidCloseCode
            | WebSocketError::ReservedBitsNotZero
            | WebSocketError::ControlFrameFragmented
            | WebSocketError::PingFrameTooLarge
            | WebSocketError::InvalidValue
    )
}

/// Frames read ahead of the driver.
const READ_QUEUE: usize = 16;
/// How long a closing connection waits for the client's close reply.
const CLOSE_LINGER: Duration = Duration::from_millis(500);
/// How long the shutdown close frame may take to write.
const SHUTDOWN_WRITE_TIMEOUT: Duration = Duration::from_millis(100);
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_PROTOCOL: u16 = 1002;
const CLOSE_TOO_BIG: u16 = 1009;
