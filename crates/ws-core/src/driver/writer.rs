//! The writer task (one per socket): owns the write half, so writes stay ordered.

use std::sync::Arc;

use fastwebsockets::{Frame, OpCode, Payload};
use tokio::sync::mpsc;

use super::{Event, Outgoing, Shared, Writer};
use ws_session::{DisconnectCause, OutFrame, Session};

pub(super) async fn write_loop<S: Session>(
    mut writer: Writer,
    mut rx: mpsc::Receiver<Outgoing>,
    shared: Arc<Shared<S>>,
    events: mpsc::Sender<Event>,
    conn: u64,
) {
    while let Some(item) = rx.recv().await {
        let (frame, data_len, closing) = match item {
            Outgoing::Data(OutFrame::Text(b)) => (
                Frame::text(Payload::Owned(b.to_vec())),
                Some(b.len()),
                false,
            ),
            Outgoing::Data(OutFrame::Binary(b)) => (
                Frame::binary(Payload::Owned(b.to_vec())),
                Some(b.len()),
                false,
            ),
            Outgoing::Pong(b) => (Frame::pong(Payload::Owned(b.to_vec())), None, false),
            Outgoing::Ping => (
                Frame::new(true, OpCode::Ping, None, Payload::Owned(Vec::new())),
                None,
                false,
            ),
            Outgoing::Close(code) => (Frame::close(code, b""), None, true),
        };
        let is_pong = frame.opcode == OpCode::Pong;
        if let Err(e) = writer.write_frame(frame).await {
            if !closing {
                let _ = events
                    .send(Event::WriterEnded {
                        conn,
                        cause: DisconnectCause::SendFailed(e.to_string()),
                    })
                    .await;
            }
            return;
        }
        let mut core = shared.lock();
        if let Some(len) = data_len {
            core.counters.messages_sent += 1;
            core.counters.bytes_sent += len as u64;
        }
        if is_pong {
            core.counters.pongs_sent += 1;
        }
        drop(core);
        if closing {
            return;
        }
    }
}
