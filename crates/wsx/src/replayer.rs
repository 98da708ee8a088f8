//! The replay engine: a group's sessions wrapped in the same [`Tap`] as live and fed
//! recorded inputs, one `Session` call per record, with the events collected.

use std::sync::Arc;
use std::time::Instant;

use ws_core::{InboundFrame, Outbox, Session, Timestamp};

use crate::event::{BookLine, Event};
use crate::record::{Input, Record};
use crate::tap::{RunControl, SinkHandler, Tap, books, tap};

/// One group of sessions being replayed.
pub trait ReplayGroup {
    /// Feeds one record to session `index` and returns its events.
    fn feed(&mut self, index: usize, record: &Record, base: Instant) -> Vec<Event>;
    /// The full books, with the receive time of each session's last input.
    fn books(&self) -> Vec<(BookLine, u64)>;
    /// Sessions.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Replayer<S: SinkHandler> {
    taps: Vec<Tap<S>>,
    out: Outbox,
}

impl<S: SinkHandler> ReplayGroup for Replayer<S> {
    fn feed(&mut self, index: usize, record: &Record, base: Instant) -> Vec<Event> {
        let Some(tap) = self.taps.get_mut(index) else {
            return Vec::new();
        };
        let now = Timestamp::new(base + record.mono, record.unix_ns);
        let out = &mut self.out;
        out.clear();
        match &record.input {
            Input::Frame { kind, payload } => {
                let mut bytes = payload.to_vec();
                tap.on_frame(
                    InboundFrame {
                        kind: *kind,
                        payload: &mut bytes,
                        received_at: now,
                    },
                    out,
                );
            }
            Input::Rest { response, .. } => tap.on_rest_response(response.clone(), now, out),
            Input::Connected => tap.on_connected(now, out),
            Input::Disconnected(cause) => tap.on_disconnected(&cause.to_cause(), now),
            Input::Tick => tap.on_tick(now, out),
            Input::AppPing => tap.on_app_ping(now, out),
            Input::ReadyToConnect => {
                let _ = tap.ready_to_connect(now, out);
            }
            Input::Close => tap.on_close(now, out),
        }
        tap.tap().take_collected()
    }

    fn books(&self) -> Vec<(BookLine, u64)> {
        self.taps
            .iter()
            .flat_map(|tap| {
                let ts = tap.inner().sink().receive_ts();
                books(tap.inner()).into_iter().map(move |b| (b, ts))
            })
            .collect()
    }

    fn len(&self) -> usize {
        self.taps.len()
    }
}

/// The sessions of one group wrapped for replay, shards numbered on from `shard`.
pub(crate) fn replayer<S: SinkHandler>(
    sessions: Vec<S>,
    shard: &mut u16,
    control: &Arc<RunControl>,
) -> Box<dyn ReplayGroup> {
    let taps = sessions
        .into_iter()
        .map(|s| {
            let session = tap(s, *shard, control.clone());
            *shard += 1;
            session
        })
        .collect();
    Box::new(Replayer {
        taps,
        out: Outbox::new(),
    })
}
