//! A program's own [`SessionTap`] around the handlers [`build_sessions`] makes, run by the
//! driver against the embedded simulator: the tap sees every input before the handler (REST
//! answers with their request URL), numbers connections, takes the events, and an input it
//! ignores never reaches the handler.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use exchange_sim::mexc::{MexcConfig, MexcVenue};
use exchange_sim::{SimConfig, Simulator};
use exchange_ws::sessions::{SessionPlan, SessionTarget, SinkHandler, build_sessions};
use exchange_ws::tap::{PoolHealth, SessionInput, SessionTap, TappedSession, pool_health};
use exchange_ws::venue::parse_symbol;
use exchange_ws::{Channel, Event, EventBody, Venue, simulator_prefix};
use venue_registry::profile;
use ws_core::{ConnectRateLimit, ConnectionPool, DriverConfig, Timestamp};
use ws_handlers::{PublicVenueHandler, VenueHandler};

#[derive(Debug, Default)]
struct Seen {
    inputs: Vec<String>,
    events: Vec<Event>,
    conn: u32,
    /// Frames the tap let through while told to ignore them.
    leaked: usize,
}

#[derive(Debug, Clone)]
struct RecordingTap {
    seen: Arc<Mutex<Seen>>,
    ignore_frames: Arc<AtomicBool>,
}

impl SessionTap for RecordingTap {
    type Scope<'a> = bool;

    fn begin(&self, conn: u32, _now: Timestamp, input: SessionInput<'_>) -> Option<bool> {
        let mut seen = self.seen.lock().unwrap();
        seen.conn = seen.conn.max(conn);
        let name = match input {
            SessionInput::Frame { payload, .. } => {
                if self.ignore_frames.load(Ordering::SeqCst) {
                    return None;
                }
                assert!(!payload.is_empty());
                "frame".to_string()
            }
            SessionInput::Rest { url, response } => {
                let status = response.result.as_ref().map_or(0, |r| r.status);
                format!("rest {status} {url}")
            }
            SessionInput::Connected => "connected".into(),
            other => format!("{other:?}"),
        };
        seen.inputs.push(name);
        Some(self.ignore_frames.load(Ordering::SeqCst))
    }

    fn deliver(&self, ignoring: bool, events: impl Iterator<Item = Event>) {
        let mut seen = self.seen.lock().unwrap();
        let before = seen.events.len();
        seen.events.extend(events);
        if ignoring {
            let frames_events = seen.events[before..]
                .iter()
                .filter(|e| matches!(e.body, EventBody::Trade(_)))
                .count();
            seen.leaked += frames_events;
        }
    }

    fn wants_rest_urls(&self) -> bool {
        true
    }
}

struct Spawn {
    tap: RecordingTap,
    /// Each pool's health, read by the closure that owns (and keeps alive) the pool.
    pools: Vec<Box<dyn Fn() -> PoolHealth + Send>>,
}

impl SessionTarget for Spawn {
    fn public<S>(&mut self, sessions: Vec<S>, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: PublicVenueHandler<Callbacks = exchange_ws::event::EventSink>
            + VenueHandler<Callbacks = exchange_ws::event::EventSink>,
    {
        let tapped = sessions
            .into_iter()
            .map(|s: S| TappedSession::new(s, self.tap.clone()));
        let pool = ConnectionPool::spawn(tapped, DriverConfig::default(), limit)
            .map_err(|e| e.to_string())?;
        self.pools.push(Box::new(move || pool_health(&pool)));
        Ok(())
    }

    fn private<S>(&mut self, _: S, _: ConnectRateLimit) -> Result<(), String>
    where
        S: SinkHandler,
    {
        Err("no account channels in this test".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_tap_sees_inputs_first_and_can_ignore_them() {
    let mexc = Arc::new(MexcVenue::new(MexcConfig::default()).unwrap());
    let sim = Simulator::start(
        SimConfig::default().mount(simulator_prefix(Venue::MexcSpot), mexc.clone()),
    )
    .await
    .unwrap();
    let addr = sim.addr();
    let symbols = [parse_symbol(Venue::MexcSpot, "BTCUSDT").unwrap()];
    let channels = [Channel::Book, Channel::Trades];
    let plan = SessionPlan {
        venue: Venue::MexcSpot,
        symbols: &symbols,
        channels: &channels,
        depth: None,
        levels: 5,
        credentials: None,
        endpoints: profile(Venue::MexcSpot)
            .simulator
            .endpoints(&format!("ws://{addr}"), &format!("http://{addr}")),
        fast_timers: true,
    };
    let tap = RecordingTap {
        seen: Arc::default(),
        ignore_frames: Arc::default(),
    };
    let mut spawn = Spawn {
        tap: tap.clone(),
        pools: Vec::new(),
    };
    build_sessions(&plan, &mut spawn).unwrap();
    assert_eq!(spawn.pools.len(), 1, "one public pool");

    let live = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            {
                let seen = tap.seen.lock().unwrap();
                let book_live = seen
                    .events
                    .iter()
                    .any(|e| matches!(&e.body, EventBody::BookStatus(s) if s.status.is_live()));
                let traded = seen
                    .events
                    .iter()
                    .any(|e| matches!(e.body, EventBody::Trade(_)));
                if book_live && traded {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        live.is_ok(),
        "no live book and trade: {:?}",
        tap.seen.lock().unwrap().inputs
    );
    {
        let seen = tap.seen.lock().unwrap();
        assert_eq!(seen.conn, 1, "one connection, numbered from 1");
        let first_connected = seen.inputs.iter().position(|i| i == "connected").unwrap();
        let first_frame = seen.inputs.iter().position(|i| i == "frame").unwrap();
        assert!(first_connected < first_frame, "{:?}", seen.inputs);
        // The snapshot answer carries its request's URL.
        assert!(
            seen.inputs
                .iter()
                .any(|i| i.starts_with("rest 200 http://") && i.contains("depth")),
            "{:?}",
            seen.inputs
        );
        assert!(seen.events.iter().all(|e| e.receive_ts_ns > 0), "stamped");
    }
    let health = (spawn.pools[0])();
    assert_eq!(
        (
            health.total,
            health.connected,
            health.ever_connected,
            health.stopped
        ),
        (1, 1, 1, 0),
        "{health:?}"
    );
    assert!(health.url.starts_with("ws://127.0.0.1:"), "{health:?}");
    assert!(health.rejections.is_empty() && health.auth_failures.is_empty());

    // Frames the tap ignores never reach the handler: no more trades come out.
    tap.ignore_frames.store(true, Ordering::SeqCst);
    // A frame the tap took just before may still be delivering.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let frames_before = frames(&tap);
    let trades_before = trades(&tap);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        frames(&tap),
        frames_before,
        "ignored frames are not shown as taken"
    );
    assert_eq!(
        trades(&tap),
        trades_before,
        "an ignored frame produced events"
    );
    assert_eq!(tap.seen.lock().unwrap().leaked, 0);
    drop(spawn);
    sim.shutdown().await;
}

fn frames(tap: &RecordingTap) -> usize {
    let seen = tap.seen.lock().unwrap();
    seen.inputs.iter().filter(|i| *i == "frame").count()
}

fn trades(tap: &RecordingTap) -> usize {
    let seen = tap.seen.lock().unwrap();
    seen.events
        .iter()
        .filter(|e| matches!(e.body, EventBody::Trade(_)))
        .count()
}
