//! Make-before-break rotation: a replacement socket opens and buffers while the current one
//! keeps delivering; the switch happens when the replacement has data to deliver.

use std::time::Instant;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{Instrument, debug, info};

use super::socket::{Socket, spawn_reap};
use super::supervisor::Supervisor;
use super::{Event, Outgoing};
use crate::transport::{WsStream, connect_websocket};
use ws_session::{DisconnectCause, Session, SocketId};

/// A rotation in progress: the connect task, then the new socket buffering until it delivers.
pub(super) struct Rotation {
    id: SocketId,
    socket: Option<(Socket, oneshot::Sender<()>)>,
    connecting: Option<JoinHandle<()>>,
}

impl<S: Session> Supervisor<S> {
    /// Starts connecting the replacement `id` to the current connection's URL.
    pub(super) fn start_rotation(&mut self, id: SocketId) {
        let Some(ctx) = &self.context else {
            return;
        };
        let events = self.events_tx.clone();
        let tls = self.tls.clone();
        let url = ctx.url.clone();
        let headers = ctx.headers.clone();
        let timeout = self.config.connect_timeout;
        let max = self.config.max_message_size;
        info!(
            conn = id.0,
            "lifetime reached; opening a replacement connection"
        );
        let connecting = tokio::spawn(
            async move {
                let result = connect_websocket(&url, &headers, &tls, timeout, max).await;
                let conn = id.0;
                let _ = events.send(Event::RotationOpened { conn, result }).await;
            }
            .in_current_span(),
        );
        self.rotation = Some(Rotation {
            id,
            socket: None,
            connecting: Some(connecting),
        });
    }

    /// The replacement's connect attempt finished.
    pub(super) async fn rotation_opened(
        &mut self,
        id: SocketId,
        result: Result<WsStream, DisconnectCause>,
    ) {
        let ws = match result {
            Ok(ws) => ws,
            Err(cause) => {
                debug!(%cause, "rotation connect failed");
                self.machine.handle_socket_ended(Instant::now(), id, cause);
                return;
            }
        };
        let Some(rotation) = self.rotation.as_mut().filter(|r| r.id == id) else {
            return;
        };
        let (go_tx, go_rx) = oneshot::channel();
        let socket = Socket::open(
            id,
            ws,
            Some(go_rx),
            &self.shared,
            &self.events_tx,
            self.queue.clone(),
            &self.config,
        );
        let new_out = socket.out.clone();
        rotation.socket = Some((socket, go_tx));
        rotation.connecting = None;
        self.machine.handle_rotation_opened(Instant::now(), id);
        self.run_session_call(id.0, Some(&new_out), |session, now, out| {
            session.on_connected(now, out)
        })
        .await;
    }

    /// Makes the replacement current and closes the old socket.
    pub(super) async fn switch_to_rotation(&mut self, id: SocketId) {
        let Some(mut rotation) = self.rotation.take() else {
            return;
        };
        let Some((new_socket, go)) = rotation.socket.take().filter(|(s, _)| s.id == id) else {
            return;
        };
        let Some(old) = self.socket.replace(new_socket) else {
            return;
        };
        let Socket {
            reader: old_reader,
            writer: old_writer,
            out: old_out,
            ..
        } = old;
        let new_out = self.socket.as_ref().map(|s| s.out.clone());
        old_reader.abort();
        let _ = old_reader.await;
        {
            let mut core = self.shared.lock();
            core.out = new_out;
            core.counters.rotations += 1;
        }
        let _ = go.send(());
        let _ = old_out.try_send(Outgoing::Close(1000));
        drop(old_out);
        spawn_reap(old_writer, self.config.close_timeout);
        info!(conn = id.0, "rotation complete");
    }

    /// Drops the replacement (connecting or open), if there is one.
    pub(super) async fn abandon_rotation(&mut self) {
        let Some(rotation) = self.rotation.take() else {
            return;
        };
        debug!(conn = rotation.id.0, "rotation abandoned");
        if let Some(connecting) = rotation.connecting {
            connecting.abort();
        }
        if let Some((socket, _go)) = rotation.socket {
            socket.shut(Some(1000), self.config.close_timeout).await;
        }
    }
}
