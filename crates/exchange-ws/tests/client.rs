//! The client against the embedded simulator: books equal the truth after faults, account
//! events arrive once, run-time changes, bad arguments, and a clean close.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{simulator, within};
use exchange_sim::mexc::{MexcConfig, MexcFault, MexcVenue, PrivatePush};
use exchange_sim::{SimConfig, SimEvent, Simulator};
use exchange_ws::{
    BookStatus, Channel, Client, ClientError, Credentials, Endpoints, Event, EventBody, Events,
    Venue, VenueStreams, simulator_prefix,
};
use market_types::{Price, Quantity, Side, Symbol};

/// Reads events until one matches.
async fn until(events: &mut Events, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    within(what, async {
        loop {
            let event = events.next().await.expect("the stream ended");
            if pred(&event) {
                return event;
            }
        }
    })
    .await
}

fn status_is(event: &Event, symbol: &str, wanted: fn(BookStatus) -> bool) -> bool {
    matches!(&event.body, EventBody::BookStatus(s) if s.symbol.as_str() == symbol && wanted(s.status))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_equal_the_truth_after_a_gap() {
    let (sim, mexc) = simulator(MexcConfig::default()).await;
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT", "ETHUSDT"])
        .channels([Channel::Book])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .connect()
        .await
        .unwrap();
    let mut events = client.events();
    until(&mut events, "BTCUSDT live", |e| {
        status_is(e, "BTCUSDT", BookStatus::is_live)
    })
    .await;

    mexc.inject(MexcFault::VersionGap {
        symbol: Symbol::new("BTCUSDT").unwrap(),
    })
    .unwrap();
    until(&mut events, "the resync", |e| {
        status_is(e, "BTCUSDT", |s| matches!(s, BookStatus::Resyncing(_)))
    })
    .await;
    until(&mut events, "live again", |e| {
        status_is(e, "BTCUSDT", BookStatus::is_live)
    })
    .await;

    mexc.pause();
    let truth = mexc.book("BTCUSDT").unwrap();
    within("the book to reach the truth", async {
        loop {
            let book = client.book(Venue::MexcSpot, "BTCUSDT").unwrap();
            if book.update_id == truth.version {
                assert!(book.status.is_live());
                assert_eq!(book.bids, truth.bids);
                assert_eq!(book.asks, truth.asks);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let stats = client.stats();
    assert!(stats.pools[0].book_sync.resyncs >= 1, "{stats:?}");
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_events_arrive_once() {
    let (sim, mexc) = simulator(MexcConfig::default()).await;
    let mut seen = sim.subscribe_events();
    let key = Credentials::new(&mexc.config().api_key, &mexc.config().api_secret);
    let client = Client::builder()
        .add_venue(VenueStreams {
            symbols: vec!["BTCUSDT".into()],
            channels: vec![Channel::Orders, Channel::Fills, Channel::Balances],
            credentials: Some(key),
            endpoints: Endpoints::Simulator(sim.addr()),
            ..VenueStreams::new(Venue::MexcSpot)
        })
        .connect()
        .await
        .unwrap();
    // The subscriptions go out once the socket is open: wait until the simulator has them.
    within("the account subscriptions", async {
        let mut missing = vec!["private.orders", "private.deals", "private.account"];
        while !missing.is_empty() {
            if let Some(SimEvent::Received { text, .. }) = seen.recv().await {
                missing.retain(|channel| !text.contains(channel));
            }
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let order_id = mexc
        .place_order(
            "BTCUSDT",
            Side::Buy,
            Price::parse("100").unwrap(),
            Quantity::parse("0.5").unwrap(),
        )
        .unwrap();
    mexc.fill(&order_id, Quantity::parse("0.2").unwrap())
        .unwrap();
    mexc.fill(&order_id, Quantity::parse("0.3").unwrap())
        .unwrap();
    let ledger = mexc.private_events();
    let want_orders = ledger
        .iter()
        .filter(|e| matches!(e.push, PrivatePush::Order(_)))
        .count();
    let want_fills = ledger
        .iter()
        .filter(|e| matches!(e.push, PrivatePush::Deal(_)))
        .count();
    assert_eq!((want_orders, want_fills), (3, 2));

    let mut events = client.events();
    let (mut orders, mut fills) = (Vec::new(), HashSet::new());
    within("every account event", async {
        while orders.len() < want_orders || fills.len() < want_fills {
            match events.next().await.expect("the stream ended").body {
                EventBody::Order(o) => orders.push((o.status, o.filled)),
                EventBody::Fill(f) => assert!(fills.insert(f.trade_id), "fill twice: {f:?}"),
                _ => {}
            }
        }
    })
    .await;
    // Nothing more arrives: each push was delivered once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.close().await;
    while let Some(event) = events.next().await {
        assert!(
            !matches!(event.body, EventBody::Order(_) | EventBody::Fill(_)),
            "delivered twice: {event:?}"
        );
    }
    assert_eq!(orders.len(), want_orders);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_and_subscriptions_while_running() {
    let (sim, _mexc) = simulator(MexcConfig::default()).await;
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT"])
        .channels([Channel::Book])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .connect()
        .await
        .unwrap();
    let mut events = client.events();
    until(&mut events, "live", |e| {
        status_is(e, "BTCUSDT", BookStatus::is_live)
    })
    .await;

    client.resync(Venue::MexcSpot, "BTCUSDT").unwrap();
    until(&mut events, "the asked resync", |e| {
        status_is(e, "BTCUSDT", |s| matches!(s, BookStatus::Resyncing(_)))
    })
    .await;
    until(&mut events, "live again", |e| {
        status_is(e, "BTCUSDT", BookStatus::is_live)
    })
    .await;

    client
        .subscribe(Venue::MexcSpot, "ETHUSDT", Channel::Trades)
        .unwrap();
    until(
        &mut events,
        "an ETHUSDT trade",
        |e| matches!(&e.body, EventBody::Trade(t) if t.symbol.as_str() == "ETHUSDT"),
    )
    .await;
    client
        .unsubscribe(Venue::MexcSpot, "ETHUSDT", Channel::Trades)
        .unwrap();

    let e = client.resync(Venue::MexcSpot, "MXUSDT").unwrap_err();
    assert!(matches!(e, ClientError::NoBook { .. }), "{e}");
    let e = client
        .subscribe(Venue::MexcSpot, "BTCUSDT", Channel::Orders)
        .unwrap_err();
    assert!(e.to_string().contains("account channel"), "{e}");
    let e = client.book(Venue::GateioSpot, "BTC_USDT").unwrap_err();
    assert!(matches!(e, ClientError::UnknownVenue(_)), "{e}");
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_give_clear_errors() {
    let message = |r: Result<Client, ClientError>| r.unwrap_err().to_string();
    let mexc = || Client::builder().venue(Venue::MexcSpot);

    let e = message(Client::builder().symbols(["BTCUSDT"]).connect().await);
    assert!(e.contains("call .venue("), "{e}");
    let e = message(mexc().channels([Channel::Book]).connect().await);
    assert!(e.contains("no symbols"), "{e}");
    let e = message(mexc().symbols(["BTCUSDT"]).connect().await);
    assert!(e.contains("no channels"), "{e}");
    let e = message(
        mexc()
            .symbols(["BTC_USDT"])
            .channels([Channel::Book])
            .connect()
            .await,
    );
    assert!(e.contains("did you mean BTCUSDT?"), "{e}");
    let e = message(
        mexc()
            .symbols(["BTCUSDT"])
            .channels([Channel::Positions])
            .connect()
            .await,
    );
    assert!(e.contains("no 'positions' channel"), "{e}");
    let e = message(
        mexc()
            .symbols(["BTCUSDT"])
            .channels([Channel::Book])
            .depth(100_000)
            .connect()
            .await,
    );
    assert!(e.contains("depth for mexc-spot"), "{e}");
    let e = message(
        mexc()
            .symbols(["BTCUSDT"])
            .channels([Channel::Orders])
            .connect()
            .await,
    );
    assert!(
        e.contains("needs credentials") && e.contains("MEXC_API_KEY"),
        "{e}"
    );
    let e = message(
        mexc()
            .symbols(["BTCUSDT"])
            .channels([Channel::Book])
            .venue(Venue::MexcSpot)
            .symbols(["ETHUSDT"])
            .channels([Channel::Book])
            .connect()
            .await,
    );
    assert!(e.contains("appears twice"), "{e}");
    // Nothing listens on the port: a connect error, in bounded time.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let e = message(
        mexc()
            .symbols(["BTCUSDT"])
            .channels([Channel::Book])
            .endpoints(Endpoints::Simulator(addr))
            .connect_timeout(Duration::from_millis(800))
            .connect()
            .await,
    );
    assert!(e.contains("did not open"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ends_cleanly() {
    let (sim, _mexc) = simulator(MexcConfig::default()).await;
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT"])
        .channels([Channel::Book, Channel::Trades, Channel::Ticker])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .queue_capacity(64)
        .connect()
        .await
        .unwrap();
    let mut events = client.events();
    until(&mut events, "a connection event", |e| {
        matches!(e.body, EventBody::Connection(_))
    })
    .await;
    within("close", client.close()).await;
    // The stream drains what was queued, then ends.
    within("the end of the stream", async {
        while events.next().await.is_some() {}
    })
    .await;
    within("the simulator to see the socket close", async {
        while sim.open_connections() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    sim.shutdown().await;
}

#[test]
fn client_and_stream_move_between_tasks() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Client>();
    shared::<Events>();
    shared::<ClientError>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_sees_markers_not_silent_gaps() {
    let (sim, mexc) = simulator(MexcConfig::default()).await;
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT", "ETHUSDT"])
        .channels([Channel::Book, Channel::Trades, Channel::Ticker])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .queue_capacity(8)
        .connect()
        .await
        .unwrap();
    // Nobody reads for a while: the queue overflows.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    mexc.pause();
    let stats = client.stats().delivery;
    assert!(stats.queued > 0, "{stats:?}");
    let mut events = client.events();
    let mut markers = Vec::new();
    within("the queue to drain", async {
        while client.stats().delivery.queued > 0 {
            if let EventBody::Lagged(lagged) = events.next().await.unwrap().body {
                markers.push(lagged);
            }
        }
    })
    .await;
    let lost_views = markers
        .iter()
        .filter(|m| m.kind == exchange_ws::EventKind::BookUpdate)
        .count();
    assert!(lost_views >= 1, "{markers:?}");
    let stats = client.stats().delivery;
    let trades = stats.dropped[exchange_ws::EventKind::Trade.index()];
    assert!(trades > 0 || stats.conflated > 0, "{stats:?}");
    // The local book itself never lost anything.
    let truth = mexc.book("BTCUSDT").unwrap();
    within("the book to reach the truth", async {
        loop {
            let book = client.book(Venue::MexcSpot, "BTCUSDT").unwrap();
            if book.update_id == truth.version {
                assert_eq!(
                    (book.bids, book.asks),
                    (truth.bids.clone(), truth.asks.clone())
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_venues_in_one_client() {
    use exchange_sim::gateio::{GateioSimConfig, GateioVenue, Market};
    use market_types::{Level, Price, Quantity};

    let mexc = Arc::new(MexcVenue::new(MexcConfig::default()).unwrap());
    let gate = GateioVenue::new(GateioSimConfig::default());
    let sim = Simulator::start(
        SimConfig::default()
            .mount(simulator_prefix(Venue::MexcSpot), mexc.clone())
            .mount(simulator_prefix(Venue::GateioSpot), gate.clone()),
    )
    .await
    .unwrap();
    let client = Client::builder()
        .venue(Venue::MexcSpot)
        .symbols(["BTCUSDT"])
        .channels([Channel::Book])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .venue(Venue::GateioSpot)
        .symbols(["BTC_USDT"])
        .channels([Channel::Book])
        .endpoints(Endpoints::Simulator(sim.addr()))
        .connect()
        .await
        .unwrap();
    assert_eq!(client.venues(), [Venue::MexcSpot, Venue::GateioSpot]);
    let mut events = client.events();
    let mut live = HashSet::new();
    within("both books live", async {
        while live.len() < 2 {
            let event = events.next().await.unwrap();
            if let EventBody::BookStatus(s) = &event.body
                && s.status.is_live()
            {
                live.insert(event.venue);
            }
        }
    })
    .await;
    gate.pause();
    mexc.pause();
    within("the Gate.io book to reach the truth", async {
        loop {
            let book = client.book(Venue::GateioSpot, "BTC_USDT").unwrap();
            let truth = gate
                .book(Market::Spot, "BTC_USDT")
                .unwrap()
                .top(book.bids.len().max(book.asks.len()));
            let levels = |side: &[(market_types::Decimal, market_types::Decimal)]| {
                side.iter()
                    .map(|(p, q)| Level {
                        price: Price::new(*p),
                        quantity: Quantity::new(*q),
                    })
                    .collect::<Vec<_>>()
            };
            if book.update_id == truth.update_id {
                assert_eq!(book.bids, levels(&truth.bids));
                assert_eq!(book.asks, levels(&truth.asks));
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let pools = client.stats().pools;
    assert_eq!(pools.len(), 2, "{pools:?}");
    assert!(pools.iter().all(|p| p.connected == p.connections));
    client.close().await;
    sim.shutdown().await;
}
