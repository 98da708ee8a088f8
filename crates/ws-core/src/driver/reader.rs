//! The reader task (one per socket) and, in queued mode, the processor task: the hot path.
//!
//! The reader loops on `read_frame` and is never raced in a `select!` (fastwebsockets'
//! `read_frame` is not cancel-safe); it is only aborted when its socket is discarded.

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use fastwebsockets::{Frame, OpCode, Payload, WebSocketError};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use super::dispatch::Dispatch;
use super::{Core, Event, Outgoing, Reader, Shared};
use crate::queue::{FrameQueue, QueuedFrame};
use ws_session::{
    DisconnectCause, FrameKind, InboundFrame, MessageAssembly, PushOutcome, QueueConfig, Session,
    StreamKind, Timestamp, close_cause,
};

/// What a reader needs.
pub(super) struct ReaderLink<S: Session> {
    pub(super) conn: u64,
    pub(super) shared: Arc<Shared<S>>,
    pub(super) out: mpsc::Sender<Outgoing>,
    pub(super) events: mpsc::Sender<Event>,
    pub(super) max_message_size: usize,
    pub(super) queue: Option<(Arc<FrameQueue>, QueueConfig)>,
    /// Present for a rotation's new socket: buffer until told to go live.
    pub(super) go: Option<oneshot::Receiver<()>>,
    pub(super) rotation_buffer: usize,
    pub(super) rotation_buffer_bytes: usize,
}

/// The reader: reads complete messages and hands them to the session (inline) or the
/// queue. Never raced in a `select!`; only aborted when its socket is discarded.
pub(super) async fn read_loop<S: Session>(mut reader: Reader, mut link: ReaderLink<S>) {
    let cause = read_loop_inner(&mut reader, &mut link).await;
    debug!(%cause, "reader ended");
    let _ = link
        .events
        .send(Event::ReaderEnded {
            conn: link.conn,
            cause,
        })
        .await;
}

async fn read_loop_inner<S: Session>(
    reader: &mut Reader,
    link: &mut ReaderLink<S>,
) -> DisconnectCause {
    let mut assembly = MessageAssembly::new(link.max_message_size);
    let mut dispatch = Dispatch::default();
    let mut buffered: Vec<(FrameKind, BytesMut, Timestamp)> = Vec::new();
    let mut buffered_bytes = 0usize;
    let pong_out = link.out.clone();
    let ping_shared = link.shared.clone();
    let mut obligated = move |frame: Frame<'_>| {
        // Pong (and close echo) obligations go through the writer so writes stay ordered.
        let reply = match frame.opcode {
            OpCode::Pong => Some(Outgoing::Pong(Bytes::copy_from_slice(&frame.payload))),
            _ => None,
        };
        if let Some(reply) = reply {
            // A ping is inbound traffic too: the idle watchdog must not fire on it.
            ping_shared.lock().last_inbound = Instant::now();
            let _ = pong_out.try_send(reply);
        }
        std::future::ready(Ok::<(), std::convert::Infallible>(()))
    };
    loop {
        let frame = match reader.read_frame(&mut obligated).await {
            Ok(frame) => frame,
            Err(e) => return map_read_error(e, link.max_message_size),
        };
        let received_at = Timestamp::now();
        let (opcode, fin) = (frame.opcode, frame.fin);
        let payload = match frame.payload {
            Payload::Bytes(b) => b,
            other => BytesMut::from(&other[..]),
        };
        link.shared.lock().last_inbound = received_at.monotonic;
        let data = match opcode {
            OpCode::Text => assembly.push(Some(FrameKind::Text), fin, payload),
            OpCode::Binary => assembly.push(Some(FrameKind::Binary), fin, payload),
            OpCode::Continuation => assembly.push(None, fin, payload),
            OpCode::Close => return close_cause(&payload),
            OpCode::Ping | OpCode::Pong => continue,
        };
        let (kind, mut message) = match data {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(cause) => return cause,
        };

        if let Some(go) = link.go.as_mut() {
            // Rotation: hold messages until the supervisor switches over.
            let delivers = {
                let core = link.shared.lock();
                let frame = InboundFrame {
                    kind,
                    payload: &mut message,
                    received_at,
                };
                core.session.stream_kind(&frame) != StreamKind::Control
            };
            buffered_bytes = buffered_bytes.saturating_add(message.len());
            buffered.push((kind, message, received_at));
            if buffered.len() > link.rotation_buffer || buffered_bytes > link.rotation_buffer_bytes
            {
                return DisconnectCause::Fatal("rotation buffer exceeded".into());
            }
            if delivers {
                let _ = link
                    .events
                    .send(Event::RotationDelivering { conn: link.conn })
                    .await;
                if go.await.is_err() {
                    return DisconnectCause::Fatal("rotation abandoned".into());
                }
                link.go = None;
                for (kind, mut message, received_at) in buffered.drain(..) {
                    if let Some(cause) =
                        hand_over(link, kind, &mut message, received_at, &mut dispatch).await
                    {
                        return cause;
                    }
                }
            }
            continue;
        }
        if let Some(cause) = hand_over(link, kind, &mut message, received_at, &mut dispatch).await {
            return cause;
        }
    }
}

/// Inline: run the session now. Queued: push under the stream's overflow policy.
async fn hand_over<S: Session>(
    link: &ReaderLink<S>,
    kind: FrameKind,
    message: &mut BytesMut,
    received_at: Timestamp,
    dispatch: &mut Dispatch,
) -> Option<DisconnectCause> {
    match &link.queue {
        None => {
            {
                let mut core = link.shared.lock();
                deliver(&mut core, kind, message, received_at, dispatch);
            }
            if !dispatch.is_empty() {
                dispatch.flush(link.conn, &link.events, None).await;
            }
            None
        }
        Some((queue, config)) => {
            let stream = {
                let core = link.shared.lock();
                let frame = InboundFrame {
                    kind,
                    payload: message,
                    received_at,
                };
                core.session.stream_kind(&frame)
            };
            let policy = config.policy(stream);
            let item = QueuedFrame {
                kind,
                stream,
                payload: std::mem::take(message),
                received_at,
            };
            let outcome = queue.push(item, policy);
            let mut core = link.shared.lock();
            let depth = queue.len() as u64;
            core.counters.queue_depth = depth;
            core.counters.queue_high_water = core.counters.queue_high_water.max(depth);
            match outcome {
                PushOutcome::Queued => None,
                PushOutcome::QueuedDroppedOldest | PushOutcome::DroppedNewest => {
                    core.counters.dropped_by_kind[stream.index()] += 1;
                    None
                }
                PushOutcome::QueuedDroppedOlder(dropped) => {
                    core.counters.dropped_by_kind[stream.index()] += u64::from(dropped);
                    None
                }
                PushOutcome::Overflow => {
                    core.counters.overflow_resyncs += 1;
                    warn!(
                        stream = stream.as_str(),
                        "queue overflow on a no-drop stream"
                    );
                    Some(DisconnectCause::QueueOverflow(stream))
                }
            }
        }
    }
}

/// Hands one message to the session and records counters and latency. Lock held by caller.
fn deliver<S: Session>(
    core: &mut Core<S>,
    kind: FrameKind,
    message: &mut [u8],
    received_at: Timestamp,
    dispatch: &mut Dispatch,
) {
    core.counters.messages_received += 1;
    core.counters.bytes_received += message.len() as u64;
    let frame = InboundFrame {
        kind,
        payload: message,
        received_at,
    };
    core.session.on_frame(frame, &mut core.outbox);
    let nanos = u64::try_from(received_at.monotonic.elapsed().as_nanos()).unwrap_or(u64::MAX);
    core.latency.record_nanos(nanos);
    dispatch.take_from(core);
}

/// The queued mode's consumer.
pub(super) async fn process_queue<S: Session>(
    shared: Arc<Shared<S>>,
    queue: Arc<FrameQueue>,
    events: mpsc::Sender<Event>,
) {
    let mut dispatch = Dispatch::default();
    while let Some(mut item) = queue.pop().await {
        {
            let mut core = shared.lock();
            deliver(
                &mut core,
                item.kind,
                &mut item.payload,
                item.received_at,
                &mut dispatch,
            );
            core.counters.queue_depth = queue.len() as u64;
        }
        if !dispatch.is_empty() {
            dispatch.flush(0, &events, None).await;
        }
    }
}

fn map_read_error(e: WebSocketError, max: usize) -> DisconnectCause {
    match e {
        WebSocketError::UnexpectedEOF => DisconnectCause::ConnectionLost("unexpected EOF".into()),
        WebSocketError::IoError(io) => DisconnectCause::ConnectionLost(io.to_string()),
        WebSocketError::FrameTooLarge => DisconnectCause::MessageTooLarge { limit: max },
        WebSocketError::ConnectionClosed => {
            DisconnectCause::ConnectionLost("connection closed".into())
        }
        other => DisconnectCause::Protocol(other.to_string()),
    }
}
