//! One socket's tasks: a reader and a writer, opened and shut together.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{Instrument, info_span};

use super::reader::{ReaderLink, read_loop};
use super::unwind::catch_panic;
use super::writer::write_loop;
use super::{Event, Outgoing, Shared};
use crate::config::DriverConfig;
use crate::queue::FrameQueue;
use crate::transport::WsStream;
use ws_session::{QueueConfig, Session, SocketId};

/// One socket's tasks.
pub(super) struct Socket {
    pub(super) id: SocketId,
    pub(super) reader: JoinHandle<()>,
    pub(super) writer: JoinHandle<()>,
    pub(super) out: mpsc::Sender<Outgoing>,
}

impl Socket {
    /// Splits `ws` and spawns its reader and writer. With `go`, the reader buffers what it
    /// receives until told to deliver (a rotation's replacement socket).
    pub(super) fn open<S: Session>(
        id: SocketId,
        ws: WsStream,
        go: Option<oneshot::Receiver<()>>,
        shared: &Arc<Shared<S>>,
        events: &mpsc::Sender<Event>,
        queue: Option<(Arc<FrameQueue>, QueueConfig)>,
        config: &DriverConfig,
    ) -> Self {
        let (mut reader, writer) = ws.split(tokio::io::split);
        reader.set_max_message_size(config.max_message_size);
        let (out_tx, out_rx) = mpsc::channel(config.outbound_capacity);
        let writer = tokio::spawn(
            reporting_panics(
                "writer",
                events.clone(),
                write_loop(writer, out_rx, shared.clone(), events.clone(), id.0),
            )
            .in_current_span(),
        );
        let link = ReaderLink {
            conn: id.0,
            shared: shared.clone(),
            out: out_tx.clone(),
            events: events.clone(),
            max_message_size: config.max_message_size,
            queue,
            go,
            rotation_buffer: config.rotation_buffer,
            rotation_buffer_bytes: config.rotation_buffer_bytes,
        };
        let reader = tokio::spawn(
            reporting_panics("reader", events.clone(), read_loop(reader, link))
                .instrument(info_span!("conn", id = id.0)),
        );
        Socket {
            id,
            reader,
            writer,
            out: out_tx,
        }
    }

    /// Stops the reader, sends a close frame when `close_code` is set, and gives the
    /// writer `timeout` to finish.
    pub(super) async fn shut(self, close_code: Option<u16>, timeout: Duration) {
        self.reader.abort();
        let _ = self.reader.await;
        if let Some(code) = close_code {
            let _ = self.out.try_send(Outgoing::Close(code));
        }
        drop(self.out);
        let writer_abort = self.writer.abort_handle();
        if tokio::time::timeout(timeout, self.writer).await.is_err() {
            writer_abort.abort();
        }
    }
}

/// Runs a connection task; a panic in it is reported to the supervisor as
/// [`Event::TaskPanicked`].
pub(super) async fn reporting_panics(
    task: &'static str,
    events: mpsc::Sender<Event>,
    future: impl Future<Output = ()>,
) {
    if let Err(message) = catch_panic(future).await {
        let _ = events.send(Event::TaskPanicked { task, message }).await;
    }
}

/// Lets a writer finish its close frame in the background, within `timeout`.
pub(super) fn spawn_reap(writer: JoinHandle<()>, timeout: Duration) {
    tokio::spawn(async move {
        let abort = writer.abort_handle();
        if tokio::time::timeout(timeout, writer).await.is_err() {
            abort.abort();
        }
    });
}
