//! The venue-independent [`Scenario`] through the real client library: every fault kind
//! on every venue has an effect the client shows, connection faults stay on the chosen
//! venue, and books equal the truth once synced.
//!
//! Every wait is bounded; nothing leaves 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::future::Future;
use std::time::Duration;

use exchange_sim::{FaultKind, Scenario, ScenarioConfig, ScenarioError};
use exchange_ws::{
    BookStatus, Channel, Client, Credentials, Endpoints, EventBody, PoolStats, Venue, VenueStreams,
};
use ws_core::DisconnectKind;

const WAIT: Duration = Duration::from_secs(20);

/// The counter of a venue's client stats a fault must raise.
type Effect = fn(&PoolStats) -> u64;

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Polls `done` until it holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    within(what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

async fn scenario(venues: &[Venue]) -> Scenario {
    Scenario::start(ScenarioConfig {
        venues: venues.to_vec(),
        ..ScenarioConfig::default()
    })
    .await
    .unwrap()
}

fn symbols(scenario: &Scenario, venue: Venue) -> Vec<String> {
    scenario
        .symbols(venue)
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// A client of the books of every venue in the scenario, with the simulator's short timers.
async fn book_client(scenario: &Scenario) -> Client {
    let mut builder = Client::builder();
    for &venue in scenario.venues() {
        builder = builder.add_venue(VenueStreams {
            symbols: symbols(scenario, venue),
            channels: vec![Channel::Book],
            endpoints: Endpoints::Simulator(scenario.addr()),
            ..VenueStreams::new(venue)
        });
    }
    let client = within("the client to connect", builder.connect())
        .await
        .unwrap();
    wait_live(scenario, &client).await;
    client
}

/// The counters of `venue`'s connections, summed.
fn stats(client: &Client, venue: Venue) -> PoolStats {
    let pools: Vec<PoolStats> = client
        .stats()
        .pools
        .into_iter()
        .filter(|p| p.venue == venue)
        .collect();
    let mut sum = pools.first().cloned().expect("the venue has a pool");
    for pool in &pools[1..] {
        sum.connections += pool.connections;
        sum.connected += pool.connected;
        sum.handler_errors += pool.handler_errors;
        sum.book_sync.resyncs += pool.book_sync.resyncs;
        sum.book_sync.snapshots_failed += pool.book_sync.snapshots_failed;
        for (total, n) in sum
            .counters
            .disconnects_by_cause
            .iter_mut()
            .zip(pool.counters.disconnects_by_cause)
        {
            *total += n;
        }
    }
    sum
}

fn all_live(scenario: &Scenario, client: &Client) -> bool {
    scenario.venues().iter().all(|&venue| {
        stats(client, venue).connected == stats(client, venue).connections
            && symbols(scenario, venue).iter().all(|symbol| {
                client
                    .book(venue, symbol)
                    .is_ok_and(|b| b.status == BookStatus::Live)
            })
    })
}

async fn wait_live(scenario: &Scenario, client: &Client) {
    eventually("every book live", || all_live(scenario, client)).await;
}

/// Why the local book differs from the truth, if it does.
fn differs(scenario: &Scenario, client: &Client, venue: Venue, symbol: &str) -> Option<String> {
    let local = client.book(venue, symbol).ok()?;
    let depth = local.bids.len().max(local.asks.len()).max(20);
    let truth = scenario.truth(venue, symbol, depth)?;
    (local.status != BookStatus::Live || !truth.matches(&local.bids, &local.asks)).then(|| {
        format!(
            "{venue} {symbol}: local {} update {} {}x{}, truth update {} {}x{}",
            local.status,
            local.update_id,
            local.bids.len(),
            local.asks.len(),
            truth.update_id,
            truth.bids.len(),
            truth.asks.len()
        )
    })
}

/// Stops the generators and waits until every local book equals the truth.
async fn assert_books_match(scenario: &Scenario, client: &Client) {
    scenario.pause();
    let mut last = None;
    let matched = tokio::time::timeout(WAIT, async {
        loop {
            last = scenario.venues().iter().find_map(|&venue| {
                symbols(scenario, venue)
                    .iter()
                    .find_map(|symbol| differs(scenario, client, venue, symbol))
            });
            if last.is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(matched.is_ok(), "books never matched: {last:?}");
    scenario.resume();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_at_the_scenario_endpoints_with_its_keys_gets_books_equal_to_the_truth_and_trades()
{
    let scenario = Scenario::start(ScenarioConfig {
        auto_trading: Some(Duration::from_millis(150)),
        ..ScenarioConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(scenario.venues(), Venue::ALL);
    let mut builder = Client::builder();
    for venue in Venue::ALL {
        let endpoints = scenario.endpoints(venue).unwrap();
        let key = scenario.credentials(venue).unwrap();
        assert!(
            !format!("{key:?}").contains(&key.api_secret),
            "the secret is hidden"
        );
        builder = builder.add_venue(VenueStreams {
            symbols: symbols(&scenario, venue),
            channels: vec![Channel::Book, Channel::Orders],
            credentials: Some(Credentials::new(key.api_key, key.api_secret)),
            endpoints: Endpoints::Custom {
                ws: endpoints.ws_url,
                rest: endpoints.rest_url,
            },
            ..VenueStreams::new(venue)
        });
    }
    let client = within("the client to connect", builder.connect())
        .await
        .unwrap();
    // The accounts trade by themselves: every venue pushes order events to the client.
    let mut events = client.events();
    let mut traded = Vec::new();
    within("an order event from every venue", async {
        while traded.len() < Venue::ALL.len() {
            let event = events.next().await.expect("the stream ended");
            if matches!(event.body, EventBody::Order(_)) && !traded.contains(&event.venue) {
                traded.push(event.venue);
            }
        }
    })
    .await;
    wait_live(&scenario, &client).await;
    assert_books_match(&scenario, &client).await;
    client.close().await;
    scenario.shutdown().await;
}

/// Injects `kind` into `venue` and waits for `effect` to grow on it, while the other
/// venues' `effect` stays as it was.
async fn assert_effect_on_one_venue(
    scenario: &Scenario,
    client: &Client,
    venue: Venue,
    kind: FaultKind,
    effect: Effect,
) {
    let before: Vec<u64> = Venue::ALL
        .iter()
        .map(|v| effect(&stats(client, *v)))
        .collect();
    let reached = scenario.inject(venue, "", kind).unwrap();
    assert!(reached > 0, "{kind} on {venue} reached no connection");
    let index = Venue::ALL.iter().position(|v| *v == venue).unwrap();
    eventually(&format!("{kind} on {venue} to show"), || {
        effect(&stats(client, venue)) > before[index]
    })
    .await;
    for (other, was) in Venue::ALL.iter().zip(&before) {
        if *other != venue {
            assert_eq!(
                effect(&stats(client, *other)),
                *was,
                "{kind} on {venue} hit {other}"
            );
        }
    }
    wait_live(scenario, client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_faults_reach_only_the_chosen_venue_and_the_client_sees_their_cause() {
    let scenario = scenario(&Venue::ALL).await;
    let client = book_client(&scenario).await;
    let cases: [(FaultKind, Effect); 3] = [
        (FaultKind::Drop, |s| {
            s.counters.disconnects(DisconnectKind::Lost)
        }),
        (FaultKind::CloseNoStatus, |s| {
            s.counters.disconnects(DisconnectKind::NoStatus)
        }),
        (FaultKind::Stall, |s| {
            s.counters.disconnects(DisconnectKind::Idle)
        }),
    ];
    for (kind, effect) in cases {
        for venue in Venue::ALL {
            assert_effect_on_one_venue(&scenario, &client, venue, kind, effect).await;
        }
    }
    assert_books_match(&scenario, &client).await;
    client.close().await;
    scenario.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_reach_only_the_chosen_venue() {
    let scenario = scenario(&Venue::ALL).await;
    let client = book_client(&scenario).await;
    for venue in Venue::ALL {
        // The 429 answers to the snapshot requests after the drop fail them.
        assert_effect_on_one_venue(&scenario, &client, venue, FaultKind::RestRateLimited, |s| {
            s.book_sync.snapshots_failed
        })
        .await;
        // The 429 answers to the upgrade requests fail the reconnects.
        assert_effect_on_one_venue(
            &scenario,
            &client,
            venue,
            FaultKind::HandshakeRateLimited,
            |s| s.counters.disconnects(DisconnectKind::Connect),
        )
        .await;
    }
    assert_books_match(&scenario, &client).await;
    client.close().await;
    scenario.shutdown().await;
}

/// Injects a book fault on the first symbol of every venue that can make it and waits for
/// `effect` to grow there.
async fn assert_book_fault_shows(kind: FaultKind, effect: Effect) {
    let scenario = scenario(&Venue::ALL).await;
    let client = book_client(&scenario).await;
    let mut tried = 0;
    for venue in Venue::ALL {
        if !kind.supported_on(venue) {
            let refused = scenario.inject(venue, "BTC_USDT", kind);
            assert!(
                matches!(refused, Err(ScenarioError::Unsupported { .. })),
                "{refused:?}"
            );
            continue;
        }
        tried += 1;
        let before = effect(&stats(&client, venue));
        let symbol = symbols(&scenario, venue).remove(0);
        let reached = scenario.inject(venue, &symbol, kind).unwrap();
        if kind.targets_book() {
            assert_eq!(reached, 0, "a book fault waits for the stream");
        }
        eventually(&format!("{kind} on {venue} {symbol} to show"), || {
            effect(&stats(&client, venue)) > before
        })
        .await;
        wait_live(&scenario, &client).await;
    }
    assert!(tried >= 2, "{kind} is made by at least two venues");
    assert_books_match(&scenario, &client).await;
    client.close().await;
    scenario.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_makes_the_client_resync_on_every_venue() {
    assert_book_fault_shows(FaultKind::Gap, |s| s.book_sync.resyncs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crossed_update_makes_the_client_resync() {
    assert_book_fault_shows(FaultKind::Crossed, |s| s.book_sync.resyncs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_out_of_order_make_the_client_resync() {
    assert_book_fault_shows(FaultKind::OutOfOrder, |s| s.book_sync.resyncs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_snapshot_is_refused_and_asked_again_on_every_venue() {
    assert_book_fault_shows(FaultKind::StaleSnapshot, |s| s.book_sync.snapshots_failed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_frame_is_counted_on_every_venue() {
    assert_book_fault_shows(FaultKind::Malformed, |s| s.handler_errors).await;
}

/// Faults a correct client absorbs: the venue's stream goes on (more messages), no book is
/// rebuilt, and the books still equal the truth.
async fn assert_absorbed(kind: FaultKind) {
    let scenario = scenario(&Venue::ALL).await;
    let client = book_client(&scenario).await;
    for venue in Venue::ALL.into_iter().filter(|v| kind.supported_on(*v)) {
        let before = stats(&client, venue);
        let symbol = symbols(&scenario, venue).remove(0);
        scenario.inject(venue, &symbol, kind).unwrap();
        eventually(&format!("{venue} to go on after {kind}"), || {
            stats(&client, venue).counters.messages_received
                > before.counters.messages_received + 20
        })
        .await;
        assert_eq!(
            stats(&client, venue).book_sync.resyncs,
            before.book_sync.resyncs,
            "{kind} on {venue} rebuilt a book"
        );
    }
    assert_books_match(&scenario, &client).await;
    client.close().await;
    scenario.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_update_is_skipped_without_a_resync() {
    assert_absorbed(FaultKind::Duplicate).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_book_push_replaces_the_book_without_a_resync() {
    assert_absorbed(FaultKind::FullBookPush).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_chosen_venues_are_served() {
    let scenario = scenario(&[Venue::MexcFutures, Venue::MexcFutures]).await;
    assert_eq!(scenario.venues(), [Venue::MexcFutures]);
    assert!(scenario.endpoints(Venue::MexcSpot).is_none());
    assert!(scenario.credentials(Venue::GateioSpot).is_none());
    assert!(scenario.symbols(Venue::GateioFutures).is_empty());
    assert!(scenario.truth(Venue::MexcSpot, "BTCUSDT", 5).is_none());
    assert!(matches!(
        scenario.inject(Venue::MexcSpot, "BTCUSDT", FaultKind::Gap),
        Err(ScenarioError::NotStarted(Venue::MexcSpot))
    ));
    assert!(matches!(
        scenario.inject(Venue::MexcFutures, "NOPE_USDT", FaultKind::Gap),
        Err(ScenarioError::Refused { .. })
    ));
    let symbol = symbols(&scenario, Venue::MexcFutures).remove(0);
    let truth = scenario.truth(Venue::MexcFutures, &symbol, 3).unwrap();
    assert_eq!((truth.bids.len(), truth.asks.len()), (3, 3));
    scenario.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trading_round_on_every_venue_reaches_a_client_as_two_fills() {
    let scenario = scenario(&Venue::ALL).await;
    let mut builder = Client::builder();
    for venue in Venue::ALL {
        let key = scenario.credentials(venue).unwrap();
        builder = builder.add_venue(VenueStreams {
            symbols: symbols(&scenario, venue),
            channels: vec![Channel::Fills],
            credentials: Some(Credentials::new(key.api_key, key.api_secret)),
            endpoints: Endpoints::Simulator(scenario.addr()),
            ..VenueStreams::new(venue)
        });
    }
    let client = within("the client to connect", builder.connect())
        .await
        .unwrap();
    eventually("every account connection up", || {
        Venue::ALL
            .iter()
            .all(|v| stats(&client, *v).connected == stats(&client, *v).connections)
    })
    .await;
    // The client has no event for "account subscriptions confirmed": trade (a buy and a
    // sell) until every venue's fills come through, then forget those fills.
    let mut events = client.events();
    let mut flowing: Vec<Venue> = Vec::new();
    within("fills flowing from every venue", async {
        let mut round = 0;
        while flowing.len() < Venue::ALL.len() {
            for venue in Venue::ALL.into_iter().filter(|v| !flowing.contains(v)) {
                scenario.trade(venue, round).unwrap();
                scenario.trade(venue, round + 1).unwrap();
            }
            round += 2;
            let _ = tokio::time::timeout(Duration::from_millis(300), async {
                while let Some(event) = events.next().await {
                    if matches!(event.body, EventBody::Fill(_)) && !flowing.contains(&event.venue) {
                        flowing.push(event.venue);
                    }
                }
            })
            .await;
        }
    })
    .await;
    scenario.take_fill_ids();
    for round in 0..2 {
        for venue in Venue::ALL {
            scenario.trade(venue, round).unwrap();
        }
    }
    let pushed = scenario.take_fill_ids();
    assert_eq!(pushed.len(), Venue::ALL.len());
    let mut expected: Vec<(Venue, String)> = Vec::new();
    for (venue, ids) in pushed {
        assert_eq!(ids.len(), 4, "{venue}: two rounds of two fills");
        expected.extend(ids.into_iter().map(|id| (venue, id)));
    }
    let mut seen = Vec::new();
    let delivered = tokio::time::timeout(WAIT, async {
        while !expected.is_empty() {
            let event = events.next().await.expect("the stream ended");
            if let EventBody::Fill(fill) = &event.body {
                let key = (event.venue, fill.trade_id.to_string());
                expected.retain(|e| *e != key);
                seen.push(key);
            }
        }
    })
    .await;
    assert!(
        delivered.is_ok(),
        "never delivered: {expected:?}; delivered: {seen:?}"
    );
    assert!(
        scenario
            .take_fill_ids()
            .iter()
            .all(|(_, ids)| ids.is_empty())
    );
    client.close().await;
    scenario.shutdown().await;
}
