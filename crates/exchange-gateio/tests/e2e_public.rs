//! The public handlers over real loopback sockets against the simulator's Gate venue:
//! after each fault (sequence gap, duplicate, out-of-order, full push, crossed update,
//! stale snapshot, 429 on the snapshot, dropped connection, stalled connection) the
//! venue is paused and, once the client has caught up, every client book must equal the
//! venue's truth at the stream's depth. Also: an unknown pair is reported by name and
//! does not take the good pairs of its request down.
//!
//! Every wait is bounded; everything stays on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed setup step should fail the test loudly"
)]

#[path = "e2e_support.rs"]
mod support;

use std::time::Duration;

use exchange_gateio::{
    BookDepth, BookSyncStats, FuturesMarket, GateioMarket, GateioPublicCommand, GateioPublicParts,
    GateioPublicTopic, GateioPublicWebSocketHandler, Market, SpotMarket,
};
use exchange_sim::gateio::{GateioFault, GateioSimConfig, SizeFormat};
use exchange_sim::{Fault, HttpFault};
use market_types::{BookStatus, ResyncReason, Symbol};
use support::{
    Recorder, Venue, WAIT, book_equals, driver_config, eventually, init_tracing, is_live, sym,
};
use ws_core::{Connection, ConnectionState};
use ws_handlers::Driven;
use ws_mixins::ErrorCategory;

type Public<M> = GateioPublicWebSocketHandler<Recorder, M>;

fn sim_market(market: Market) -> exchange_sim::gateio::Market {
    match market {
        Market::Spot => exchange_sim::gateio::Market::Spot,
        Market::Futures => exchange_sim::gateio::Market::Futures,
    }
}

fn spawn<M: GateioMarket>(
    venue: &Venue,
    depth: BookDepth,
    topics: &[GateioPublicTopic],
) -> Connection<Public<M>> {
    let config = venue.config(M::MARKET, depth);
    let handler =
        GateioPublicParts::<Recorder, M>::new(config, topics.iter().copied(), Recorder::default())
            .map(Driven::new)
            .expect("depth is offered");
    Connection::spawn(handler, driver_config()).expect("driver starts")
}

/// Waits for every book to be live, pauses the venue, waits for the client to reach the
/// venue's last id, compares each book with the truth at `depth`, resumes.
async fn converge<M: GateioMarket>(
    conn: &Connection<Public<M>>,
    venue: &Venue,
    symbols: &[Symbol],
    depth: BookDepth,
    after: &str,
) {
    let live = || conn.with_session(|h| symbols.iter().all(|s| is_live(h.status(*s))));
    let applied = || conn.with_session(|h| h.book_stats().applied);
    // A book is only known good once pushes continue it: a stale snapshot looks live
    // until the next push shows the gap.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(eventually(WAIT, live).await, "{after}: books become live");
        let base = applied();
        let wanted = base + 2 * symbols.len() as u64;
        assert!(
            eventually(WAIT, || applied() >= wanted).await,
            "{after}: pushes are applied"
        );
        if live() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{after}: books settle"
        );
    }
    venue.venue.pause();
    let truths: Vec<_> = symbols
        .iter()
        .map(|s| {
            venue
                .venue
                .book(sim_market(M::MARKET), s.as_str())
                .expect("venue serves the symbol")
        })
        .collect();
    let caught_up = eventually(WAIT, || {
        conn.with_session(|h| {
            symbols.iter().zip(&truths).all(|(s, truth)| {
                is_live(h.status(*s))
                    && h.book(*s).is_some_and(|b| b.update_id() == truth.update_id)
            })
        })
    })
    .await;
    let levels = usize::try_from(depth.levels()).unwrap();
    conn.with_session(|h| {
        for (symbol, truth) in symbols.iter().zip(&truths) {
            let book = h.book(*symbol).expect("book kept");
            if let Err(difference) = book_equals(book, truth, levels) {
                panic!(
                    "{after}: {difference} (caught up: {caught_up}, status {:?}, stats {:?})",
                    h.status(*symbol),
                    h.book_stats()
                );
            }
        }
    });
    assert!(caught_up, "{after}: client reached the venue's id");
    venue.venue.resume();
}

/// Injects `fault` on BTC_USDT, waits until `moved` says the client saw it, converges.
async fn after_fault<M: GateioMarket>(
    conn: &Connection<Public<M>>,
    venue: &Venue,
    fault: GateioFault,
    moved: fn(&BookSyncStats, &BookSyncStats) -> bool,
    symbols: &[Symbol],
    depth: BookDepth,
) {
    let name = format!("{fault:?}");
    let before = conn.with_session(|h| h.book_stats());
    venue.venue.inject(fault).expect("fault accepted");
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| moved(&before, &h.book_stats())))
        .await,
        "{name}: the client saw the fault"
    );
    converge(conn, venue, symbols, depth, &name).await;
}

async fn protocol_faults<M: GateioMarket>(depth: BookDepth, sizes: SizeFormat) {
    init_tracing();
    let venue = Venue::start(GateioSimConfig {
        futures_sizes: sizes,
        ..GateioSimConfig::default()
    })
    .await;
    let (btc, eth) = (sym("BTC_USDT"), sym("ETH_USDT"));
    let symbols = [btc, eth];
    let mut conn = spawn::<M>(
        &venue,
        depth,
        &[
            GateioPublicTopic::OrderBook(btc),
            GateioPublicTopic::OrderBook(eth),
            GateioPublicTopic::Trades(btc),
            GateioPublicTopic::Trades(eth),
            GateioPublicTopic::BookTicker(btc),
            GateioPublicTopic::Tickers(btc),
        ],
    );
    converge(&conn, &venue, &symbols, depth, "clean run").await;
    assert!(
        eventually(WAIT, || conn.with_session(|h| {
            let seen = h.callbacks();
            !seen.trades.is_empty() && seen.book_tickers > 0 && seen.tickers > 0
        }))
        .await,
        "trades, best bid/ask and tickers arrive"
    );

    let (market, symbol) = (sim_market(M::MARKET), "BTC_USDT".to_string());
    after_fault(
        &conn,
        &venue,
        GateioFault::SequenceGap {
            market,
            symbol: symbol.clone(),
        },
        |a, b| b.gaps > a.gaps,
        &symbols,
        depth,
    )
    .await;
    after_fault(
        &conn,
        &venue,
        GateioFault::Duplicate {
            market,
            symbol: symbol.clone(),
        },
        |a, b| b.duplicates > a.duplicates,
        &symbols,
        depth,
    )
    .await;
    after_fault(
        &conn,
        &venue,
        GateioFault::OutOfOrder {
            market,
            symbol: symbol.clone(),
        },
        |a, b| b.gaps > a.gaps,
        &symbols,
        depth,
    )
    .await;
    after_fault(
        &conn,
        &venue,
        GateioFault::FullPush {
            market,
            symbol: symbol.clone(),
        },
        |a, b| b.replaced > a.replaced,
        &symbols,
        depth,
    )
    .await;
    after_fault(
        &conn,
        &venue,
        GateioFault::CrossedUpdate { market, symbol },
        |a, b| b.crossed > a.crossed,
        &symbols,
        depth,
    )
    .await;

    conn.with_session(|h| {
        let seen = h.callbacks();
        // Only BTC_USDT was ever thrown away; ETH_USDT stayed live throughout.
        let eth_resyncs = seen
            .statuses
            .iter()
            .filter(|e| e.symbol == eth && matches!(e.status, BookStatus::Resyncing(_)))
            .count();
        assert_eq!(
            eth_resyncs, 0,
            "a resync touches only the symbol that broke"
        );
        assert!(
            seen.statuses.iter().any(
                |e| e.symbol == btc && e.status == BookStatus::Resyncing(ResyncReason::Crossed)
            )
        );
        assert!(seen.errors.is_empty(), "no errors: {:?}", seen.errors);
        assert_eq!(h.counters().decode_errors, 0);
        assert_eq!(h.stats().errors, 0);
    });
    assert_eq!(
        conn.counters().reconnects,
        0,
        "protocol faults need no reconnect"
    );
    conn.close().await.unwrap();
    venue.shutdown().await;
}

async fn connection_and_snapshot_faults<M: GateioMarket>(depth: BookDepth) {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    let (btc, eth) = (sym("BTC_USDT"), sym("ETH_USDT"));
    let symbols = [btc, eth];
    let market = sim_market(M::MARKET);
    // The first snapshot of BTC_USDT is older than the stream it must join.
    venue
        .venue
        .inject(GateioFault::StaleSnapshot {
            market,
            symbol: "BTC_USDT".into(),
            count: 1,
        })
        .unwrap();
    let mut conn = spawn::<M>(
        &venue,
        depth,
        &[
            GateioPublicTopic::OrderBook(btc),
            GateioPublicTopic::OrderBook(eth),
        ],
    );
    converge(&conn, &venue, &symbols, depth, "stale snapshot").await;
    // Found stale against the buffered pushes, or (when no push was buffered yet) by the
    // gap the first push shows: either way the book was rebuilt.
    let stats = conn.with_session(|h| h.book_stats());
    assert!(stats.stale_snapshots + stats.gaps >= 1, "{stats:?}");

    // 429 with Retry-After on the snapshot of a resync.
    venue.sim.set_http_fault(
        HttpFault::HttpStatus {
            status: 429,
            retry_after_secs: Some(1),
        },
        1,
    );
    conn.command(GateioPublicCommand::Resync(btc))
        .await
        .unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.book_stats().rate_limited >= 1))
        .await,
        "the snapshot was rate limited"
    );
    converge(&conn, &venue, &symbols, depth, "429 on the snapshot").await;

    // A dropped connection: reconnect, resubscribe, resync from empty books.
    let connects = conn.counters().connects;
    assert_eq!(venue.sim.inject(Fault::Drop), 1);
    assert!(eventually(WAIT, || conn.counters().connects > connects).await);
    converge(&conn, &venue, &symbols, depth, "dropped connection").await;

    // A stalled connection: the idle watchdog notices the silence.
    let connects = conn.counters().connects;
    assert_eq!(venue.sim.inject(Fault::Stall), 1);
    assert!(
        eventually(WAIT, || conn.counters().connects > connects).await,
        "the idle watchdog reconnects"
    );
    converge(&conn, &venue, &symbols, depth, "stalled connection").await;

    let counters = conn.counters();
    assert_eq!(counters.disconnects(ws_core::DisconnectKind::Lost), 1);
    assert_eq!(counters.disconnects(ws_core::DisconnectKind::Idle), 1);
    conn.with_session(|h| {
        let seen = h.callbacks();
        assert!(
            seen.statuses
                .iter()
                .any(|e| e.status == BookStatus::Resyncing(ResyncReason::Reconnected))
        );
        assert!(seen.statuses.iter().any(|e| e.symbol == btc
            && matches!(
                e.status,
                BookStatus::Resyncing(ResyncReason::StaleSnapshot | ResyncReason::Gap { .. })
            )));
        assert!(h.counters().pongs > 0, "application pings are answered");
    });
    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.close().await.unwrap();
    venue.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_books_match_the_venue_through_protocol_faults() {
    protocol_faults::<SpotMarket>(BookDepth::Levels20, SizeFormat::Integer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_books_match_the_venue_through_protocol_faults() {
    protocol_faults::<FuturesMarket>(BookDepth::Levels50, SizeFormat::DecimalString).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_books_recover_from_connection_and_snapshot_faults() {
    connection_and_snapshot_faults::<SpotMarket>(BookDepth::Levels100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_books_recover_from_connection_and_snapshot_faults() {
    connection_and_snapshot_faults::<FuturesMarket>(BookDepth::Levels20).await;
}

/// Gate refuses a multi-pair request as a whole; the handler retries its pairs one by one,
/// so the good pair streams and only the unknown one is reported, by name.
async fn unknown_pair<M: GateioMarket>(expected: &str) {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    let (btc, nope) = (sym("BTC_USDT"), sym("NOPE_USDT"));
    let mut conn = spawn::<M>(
        &venue,
        BookDepth::Levels20,
        &[
            GateioPublicTopic::Trades(btc),
            GateioPublicTopic::Trades(nope),
            GateioPublicTopic::OrderBook(nope),
        ],
    );
    let rejected = |h: &Public<M>| {
        h.callbacks()
            .errors
            .iter()
            .filter(|e| e.category == ErrorCategory::SubscriptionRejected)
            .count()
    };
    assert!(
        eventually(WAIT, || conn.with_session(|h| rejected(h) == 2)).await,
        "both refusals reported"
    );
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| !h.callbacks().trades.is_empty()))
        .await,
        "the good pair of the refused request streams"
    );
    conn.with_session(|h| {
        let errors = &h.callbacks().errors;
        for error in errors {
            assert!(error.message.contains("NOPE_USDT"), "{error:?}");
            assert!(error.message.contains(expected), "{error:?}");
            assert!(!error.message.contains("BTC_USDT"), "{error:?}");
        }
        assert!(errors.iter().any(|e| e.message.contains(".trades")));
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains(".order_book_update"))
        );
        assert_eq!(h.status(nope), None, "a refused book is dropped");
        assert!(h.callbacks().trades.iter().all(|t| t.symbol == btc));
        assert_eq!(h.counters().split_requests, 1);
        assert_eq!(h.counters().rejected_topics, 2);
    });
    assert_eq!(conn.state(), ConnectionState::Connected);
    assert_eq!(conn.counters().reconnects, 0);
    conn.close().await.unwrap();
    venue.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_unknown_pair_is_reported_by_name() {
    unknown_pair::<SpotMarket>("unknown currency pair NOPE_USDT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_unknown_contract_is_reported_by_name() {
    unknown_pair::<FuturesMarket>("unknown contract NOPE_USDT").await;
}

/// Subscribing and unsubscribing while running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_can_be_added_and_removed_while_running() {
    init_tracing();
    let venue = Venue::start(GateioSimConfig::default()).await;
    let (btc, eth) = (sym("BTC_USDT"), sym("ETH_USDT"));
    let mut conn = spawn::<SpotMarket>(
        &venue,
        BookDepth::Levels20,
        &[GateioPublicTopic::OrderBook(btc)],
    );
    converge(&conn, &venue, &[btc], BookDepth::Levels20, "one book").await;
    conn.command(GateioPublicCommand::Subscribe(
        GateioPublicTopic::OrderBook(eth),
    ))
    .await
    .unwrap();
    converge(
        &conn,
        &venue,
        &[btc, eth],
        BookDepth::Levels20,
        "second book",
    )
    .await;
    conn.command(GateioPublicCommand::Unsubscribe(
        GateioPublicTopic::OrderBook(btc),
    ))
    .await
    .unwrap();
    assert!(
        eventually(WAIT, || venue.venue.subscribers(
            exchange_sim::gateio::Market::Spot,
            "spot.order_book_update",
            "BTC_USDT"
        ) == 0)
        .await
    );
    conn.with_session(|h| assert_eq!(h.status(btc), None));
    tokio::time::sleep(Duration::from_millis(50)).await;
    conn.close().await.unwrap();
    venue.shutdown().await;
}
