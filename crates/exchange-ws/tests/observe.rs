//! What a program that watches a client needs, against the embedded simulator: an input
//! tap per session built before any input, per-connection reports with latency, a freeze
//! that holds books and counters still, books with the receive time they are current as
//! of, and a start that does not wait for the connections.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{simulator, within};
use exchange_sim::mexc::MexcConfig;
use exchange_ws::tap::{InputTap, SessionId, SessionInput};
use exchange_ws::{
    BookStatus, Channel, Client, ClientError, ConnectionState, Endpoints, Event, EventBody,
    EventKind, Events, Venue,
};
use ws_core::Timestamp;
use ws_handlers::Role;

/// Reads events until every one of `symbols` has reported a live book; the books go live
/// in any order, so one wait covers them all.
async fn until_live(events: &mut Events, symbols: &[&str], seen: &mut Vec<Event>) {
    let mut waiting: Vec<&str> = symbols.to_vec();
    within("the books to go live", async {
        while !waiting.is_empty() {
            let event = events.next().await.expect("the stream ended");
            if let EventBody::BookStatus(s) = &event.body
                && s.status.is_live()
            {
                waiting.retain(|symbol| *symbol != s.symbol.as_str());
            }
            seen.push(event);
        }
    })
    .await;
}

/// Counts what one session's tap saw.
#[derive(Debug, Default)]
struct Seen {
    sessions: Vec<SessionId>,
    /// Inputs seen when each session's tap was made.
    inputs_when_made: Vec<u64>,
    rest_urls: Vec<String>,
    connected_on: Vec<u32>,
}

struct CountingTap {
    inputs: Arc<AtomicU64>,
    frames: Arc<AtomicU64>,
    seen: Arc<Mutex<Seen>>,
}

impl InputTap for CountingTap {
    type Scope<'a> = ();

    fn begin(&self, conn: u32, _now: Timestamp, input: SessionInput<'_>) -> Option<()> {
        self.inputs.fetch_add(1, Ordering::SeqCst);
        match input {
            SessionInput::Frame { .. } => {
                self.frames.fetch_add(1, Ordering::SeqCst);
            }
            SessionInput::Rest { url, .. } => {
                self.seen.lock().unwrap().rest_urls.push(url.to_string());
            }
            SessionInput::Connected => self.seen.lock().unwrap().connected_on.push(conn),
            _ => {}
        }
        Some(())
    }

    fn wants_rest_urls(&self) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_tap_is_made_per_session_before_any_input_and_sees_every_kind() {
    let (sim, _mexc) = simulator(MexcConfig::default()).await;
    let inputs = Arc::new(AtomicU64::new(0));
    let frames = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (i, f, s) = (inputs.clone(), frames.clone(), seen.clone());
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT", "ETHUSDT"])
        .channels([Channel::Book, Channel::Trades])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .tap(move |session: SessionId| {
            let mut seen = s.lock().unwrap();
            seen.sessions.push(session);
            seen.inputs_when_made.push(i.load(Ordering::SeqCst));
            CountingTap {
                inputs: i.clone(),
                frames: f.clone(),
                seen: s.clone(),
            }
        })
        .connect()
        .await
        .unwrap();
    let mut events = client.events();
    until_live(&mut events, &["BTCUSDT"], &mut Vec::new()).await;

    let public = client.pools()[0].connections.len();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(seen.sessions.len(), public, "{:?}", seen.sessions);
    for (index, session) in seen.sessions.iter().enumerate() {
        assert_eq!(session.venue, Venue::MexcSpot);
        assert_eq!(session.role, Role::Public);
        assert_eq!(usize::from(session.shard), index);
    }
    assert!(seen.inputs_when_made.iter().all(|n| *n == 0), "{seen:?}");
    assert!(frames.load(Ordering::SeqCst) > 0);
    assert!(
        seen.rest_urls.iter().any(|u| u.contains("depth")),
        "the snapshot request's URL: {:?}",
        seen.rest_urls
    );
    assert!(seen.connected_on.contains(&1), "{seen:?}");
    client.close().await;
    sim.shutdown().await;
}

/// Ignores every frame while `ignoring` is set.
struct Gate {
    ignoring: Arc<AtomicU64>,
}

impl InputTap for Gate {
    type Scope<'a> = ();

    fn begin(&self, _conn: u32, _now: Timestamp, input: SessionInput<'_>) -> Option<()> {
        let ignore =
            matches!(input, SessionInput::Frame { .. }) && self.ignoring.load(Ordering::SeqCst) > 0;
        (!ignore).then_some(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_a_tap_ignores_never_reach_the_book() {
    let (sim, _mexc) = simulator(MexcConfig::default()).await;
    let ignoring = Arc::new(AtomicU64::new(0));
    let switch = ignoring.clone();
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT"])
        .channels([Channel::Book])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .tap(move |_| Gate {
            ignoring: switch.clone(),
        })
        .connect()
        .await
        .unwrap();
    let mut events = client.events();
    until_live(&mut events, &["BTCUSDT"], &mut Vec::new()).await;
    ignoring.store(1, Ordering::SeqCst);
    let before = client.book(Venue::MexcSpot, "BTCUSDT").unwrap();
    let handled = client.pools()[0].connections[0].handler.messages;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let received = client.pools()[0].connections[0].counters.messages_received;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let after = client.pools()[0].connections[0].clone();
    assert!(
        after.counters.messages_received > received,
        "frames kept coming"
    );
    assert_eq!(after.handler.messages, handled);
    assert_eq!(client.book(Venue::MexcSpot, "BTCUSDT").unwrap(), before);
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_holds_books_counters_and_events_still() {
    let (sim, _mexc) = simulator(MexcConfig::default()).await;
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT", "ETHUSDT"])
        .channels([Channel::Book, Channel::Trades])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .connect()
        .await
        .unwrap();
    let mut events = client.events();
    let mut seen = Vec::new();
    until_live(&mut events, &["BTCUSDT", "ETHUSDT"], &mut seen).await;
    // Let a few updates through so the books have moved since their snapshots.
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert!(!client.is_frozen());
    client.freeze();
    assert!(client.is_frozen());
    let books = client.books();
    let report = client.pools();
    // What was queued before the freeze can still be read; nothing comes after it.
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(300), events.next()).await
    {
        seen.push(event);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), events.next())
            .await
            .is_err(),
        "an event after the freeze"
    );
    assert_eq!(client.books(), books);
    let later = client.pools();
    for (a, b) in report[0].connections.iter().zip(&later[0].connections) {
        assert_eq!(a.handler.messages, b.handler.messages);
        assert_eq!(a.events, b.events);
    }

    let names: Vec<&str> = books.iter().map(|b| b.book.symbol.as_str()).collect();
    assert_eq!(names, ["BTCUSDT", "ETHUSDT"]);
    for book in &books {
        assert_eq!(book.venue, Venue::MexcSpot);
        assert_eq!(book.book.status, BookStatus::Live);
        assert!(!book.book.bids.is_empty() && !book.book.asks.is_empty());
        // The book is as of its session's last input: no later than that, no event of
        // the book is newer.
        let newest = seen
            .iter()
            .filter(|e| e.kind() == EventKind::BookUpdate && e.symbol() == Some(book.book.symbol))
            .map(|e| e.receive_ts_ns)
            .max()
            .unwrap();
        assert!(
            book.receive_ts_ns >= newest,
            "{} < {newest}",
            book.receive_ts_ns
        );
        let event = book.clone().into_event();
        assert_eq!(event.kind(), EventKind::Book);
        assert_eq!(event.receive_ts_ns, book.receive_ts_ns);
    }
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pools_report_each_connection_with_its_latency() {
    let (sim, _mexc) = simulator(MexcConfig::default()).await;
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT"])
        .channels([Channel::Book, Channel::Trades])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .connect()
        .await
        .unwrap();
    let mut events = client.events();
    until_live(&mut events, &["BTCUSDT"], &mut Vec::new()).await;
    let pools = client.pools();
    assert_eq!(pools.len(), 1);
    let pool = &pools[0];
    assert_eq!((pool.venue, pool.role), (Venue::MexcSpot, Role::Public));
    assert_eq!(pool.health.connected, pool.health.total);
    assert!(pool.health.url.starts_with("ws://"), "{:?}", pool.health);
    let connection = &pool.connections[0];
    assert_eq!(connection.state, ConnectionState::Connected);
    assert!(connection.counters.messages_received > 0);
    assert!(!connection.latency.is_empty(), "one sample per message");
    assert!(connection.handler.messages > 0);
    assert!(connection.book_sync.snapshots_applied >= 1);
    assert!(connection.events.by_kind[EventKind::BookUpdate.index()] > 0);
    // The summed counters agree with the detailed ones.
    let stats = client.stats();
    assert_eq!(stats.pools[0].connections, pool.connections.len());
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_returns_at_once_and_pools_say_why_nothing_opened() {
    // Nothing listens on the port of a listener that was just closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let builder = || {
        Client::builder()
            .venue(Venue::MexcSpot)
            .symbols(["BTCUSDT"])
            .channels([Channel::Book])
            .endpoints(Endpoints::Custom {
                ws: format!("ws://127.0.0.1:{port}/ws"),
                rest: format!("http://127.0.0.1:{port}/api/v3"),
            })
            .connect_timeout(Duration::from_millis(500))
    };
    let client = within("start", builder().start()).await.unwrap();
    let failure = within("a failed attempt", async {
        loop {
            let health = &client.pools()[0].health;
            assert_eq!(health.ever_connected, 0);
            if let Some(failure) = &health.last_failure {
                return failure.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(!failure.is_empty());
    client.close().await;
    let error = builder().connect().await.unwrap_err();
    assert!(matches!(error, ClientError::Connect { .. }), "{error}");
}
