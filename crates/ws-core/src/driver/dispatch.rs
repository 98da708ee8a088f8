//! What a session call queued, carried out after the session lock is released.

use tokio::sync::mpsc;
use tracing::debug;

use super::{Core, Event, Outgoing};
use ws_session::{OutFrame, RestRequest, SessionSignal};

/// Output drained from the session outbox, dispatched after the lock is released.
#[derive(Default)]
pub(super) struct Dispatch {
    pub(super) frames: Vec<OutFrame>,
    pub(super) rest: Vec<RestRequest>,
    pub(super) signals: Vec<SessionSignal>,
    pub(super) out: Option<mpsc::Sender<Outgoing>>,
}

impl Dispatch {
    pub(super) fn take_from<S>(&mut self, core: &mut Core<S>) {
        if core.outbox.is_empty() {
            return;
        }
        self.frames.extend(core.outbox.drain_frames());
        self.rest.extend(core.outbox.drain_rest());
        self.signals.extend(core.outbox.drain_signals());
        if !self.frames.is_empty() {
            self.out = core.out.clone();
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.frames.is_empty() && self.rest.is_empty() && self.signals.is_empty()
    }

    /// Sends everything; frames go to `override_out` when given (a rotation's new socket).
    pub(super) async fn flush(
        &mut self,
        conn: u64,
        events: &mpsc::Sender<Event>,
        override_out: Option<&mpsc::Sender<Outgoing>>,
    ) {
        let out = override_out.cloned().or_else(|| self.out.take());
        for frame in self.frames.drain(..) {
            match &out {
                Some(out) => {
                    if out.send(Outgoing::Data(frame)).await.is_err() {
                        debug!("writer gone; outbound frame discarded");
                    }
                }
                None => debug!("no open socket; outbound frame discarded"),
            }
        }
        for request in self.rest.drain(..) {
            let _ = events.send(Event::Rest(request)).await;
        }
        for signal in self.signals.drain(..) {
            let _ = events.send(Event::Signal { conn, signal }).await;
        }
        self.out = None;
    }
}
