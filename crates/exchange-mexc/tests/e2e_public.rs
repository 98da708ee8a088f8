//! The public handler end to end: `ws-core` driving `MexcPublicWebSocketHandler` over
//! loopback sockets against the simulator's MEXC venue. After every fault the local books
//! must equal the venue's truth, level for level. Every wait is bounded; nothing leaves
//! 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]

mod e2e_support;

use std::time::Duration;

use e2e_support::{
    WAIT, all_live, assert_books_match, driver_config, eventually, handler_config, init_tracing,
    start, sym,
};
use exchange_mexc::{
    AggInterval, Channel, DepthLimit, KlineInterval, MexcPublicCommand, MexcPublicParts,
    MexcPublicWebSocketHandler, POOL_CONNECT_LIMIT,
};
use exchange_sim::mexc::{MexcConfig, MexcFault, PbDefect, SymbolSpec};
use exchange_sim::{Fault, SimStats};
use market_types::{BookStatus, BookStatusEvent, BookTicker, BookUpdate, OrderBook, Symbol, Trade};
use ws_core::{Connection, ConnectionPool, ConnectionState, DisconnectKind};
use ws_handlers::Driven;
use ws_mixins::{ErrorCategory, PublicWebSocketMixin, StreamError, SubscriptionState};

/// What the callbacks saw; read through `Connection::with_session`.
#[derive(Debug, Default)]
struct Tally {
    book_updates: u64,
    trades: u64,
    tickers: u64,
    statuses: Vec<(Symbol, BookStatus)>,
    errors: Vec<StreamError>,
}

impl PublicWebSocketMixin for Tally {
    fn on_order_book(&mut self, book: &OrderBook, _update: &BookUpdate) {
        assert!(!book.is_crossed(), "a crossed book reached the user");
        self.book_updates += 1;
    }
    fn on_trade(&mut self, _trade: &Trade) {
        self.trades += 1;
    }
    fn on_book_ticker(&mut self, _ticker: &BookTicker) {
        self.tickers += 1;
    }
    fn on_book_status(&mut self, event: &BookStatusEvent) {
        self.statuses.push((event.symbol, event.status));
    }
    fn on_error(&mut self, error: &StreamError) {
        self.errors.push(error.clone());
    }
}

type Handler = MexcPublicWebSocketHandler<Tally>;

fn depth(symbol: Symbol, interval: AggInterval) -> Channel {
    Channel::AggreDepth { symbol, interval }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_trades_and_tickers_match_the_venue() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    let symbols = [sym("BTCUSDT"), sym("ETHUSDT"), sym("MXUSDT")];
    let mut channels = Vec::new();
    for (i, symbol) in symbols.iter().enumerate() {
        let interval = if i == 0 {
            AggInterval::Ms10
        } else {
            AggInterval::Ms100
        };
        channels.push(depth(*symbol, interval));
        channels.push(Channel::AggreDeals {
            symbol: *symbol,
            interval: AggInterval::Ms100,
        });
        channels.push(Channel::AggreBookTicker {
            symbol: *symbol,
            interval: AggInterval::Ms100,
        });
    }
    channels.push(Channel::LimitDepth {
        symbol: symbols[0],
        depth: DepthLimit::Five,
    });
    channels.push(Channel::BookTickerBatch { symbol: symbols[1] });
    let handler = Driven::new(MexcPublicParts::new(
        handler_config(&sim),
        channels,
        Tally::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();

    assert!(
        eventually(WAIT, || all_live(&conn, &symbols)).await,
        "every book goes live"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_books_match(&venue, &[&conn], &symbols, "clean run").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_books_match(&venue, &[&conn], &symbols, "clean run, again").await;

    assert!(
        eventually(WAIT, || conn.with_session(|h| h.callbacks().trades > 0)).await,
        "trades arrive"
    );
    conn.with_session(|h| {
        let seen = h.callbacks();
        assert!(seen.tickers > 0);
        assert!(seen.book_updates > 0);
        assert!(seen.errors.is_empty(), "{:?}", seen.errors);
        assert!(
            h.partial_book(symbols[0])
                .is_some_and(|b| b.bids().count() == 5),
            "limit.depth keeps a top-5 book"
        );
        assert_eq!(h.stats().errors, 0);
        assert_eq!(h.book_stats().resyncs, 0);
        assert!(
            h.subscriptions()
                .iter()
                .all(|(_, state)| *state == SubscriptionState::Confirmed)
        );
    });
    let counters = conn.counters();
    assert_eq!(counters.connects, 1);
    assert!(counters.app_pings > 0);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// One connection through every fault in turn; after each, the books equal the truth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_recover_after_every_fault() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    let (btc, eth) = (sym("BTCUSDT"), sym("ETHUSDT"));
    let symbols = [btc, eth];
    let channels = [
        depth(btc, AggInterval::Ms10),
        depth(eth, AggInterval::Ms100),
    ];
    let handler = Driven::new(MexcPublicParts::new(
        handler_config(&sim),
        channels,
        Tally::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    assert_books_match(&venue, &[&conn], &symbols, "start").await;

    // Version gap: BTC alone resyncs.
    let before = conn.with_session(|h| h.book_stats());
    venue.inject(MexcFault::VersionGap { symbol: btc }).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.book_stats().resyncs > before.resyncs))
        .await,
        "the gap is noticed"
    );
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    assert_books_match(&venue, &[&conn], &symbols, "version gap").await;
    conn.with_session(|h| {
        assert!(h.callbacks().statuses.iter().any(|(s, status)| *s == btc
            && matches!(
                status,
                BookStatus::Resyncing(market_types::ResyncReason::Gap { .. })
            )));
        assert!(
            !h.callbacks()
                .statuses
                .iter()
                .any(|(s, status)| *s == eth && matches!(status, BookStatus::Resyncing(_))),
            "the other symbol is untouched"
        );
    });

    // Stale snapshot: the venue serves an old book twice; the resync retries until fresh.
    venue
        .inject(MexcFault::StaleSnapshot {
            symbol: eth,
            count: 2,
        })
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    conn.command(MexcPublicCommand::Resync(eth)).await.unwrap();
    assert!(
        eventually(WAIT, || venue.stats().stale_snapshots_served == 2
            && conn.with_session(|h| h.callbacks().statuses.iter().any(
                |(s, status)| *s == eth
                    && *status == BookStatus::Resyncing(market_types::ResyncReason::StaleSnapshot)
            )))
        .await,
        "the stale snapshots are served and recognized"
    );
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    assert_books_match(&venue, &[&conn], &symbols, "stale snapshot").await;

    // Connection faults: drop (1006), close without status (1005), stall (idle watchdog).
    for (fault, kind) in [
        (Fault::Drop, DisconnectKind::Lost),
        (Fault::CloseNoStatus, DisconnectKind::NoStatus),
        (Fault::Stall, DisconnectKind::Idle),
    ] {
        let before = conn.counters();
        assert!(
            sim.inject(fault.clone()) >= 1,
            "{fault:?} reached the client"
        );
        assert!(
            eventually(WAIT, || conn.counters().connects > before.connects).await,
            "reconnected after {fault:?}"
        );
        assert_eq!(
            conn.counters().disconnects(kind),
            before.disconnects(kind) + 1,
            "{fault:?} counted as {kind:?}"
        );
        assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
        assert_books_match(&venue, &[&conn], &symbols, &format!("{fault:?}")).await;
    }

    // Malformed and truncated protobuf: counted, the stream goes on.
    let before = conn.with_session(|h| (h.counters().decode_errors, h.book_stats().resyncs));
    venue
        .inject(MexcFault::MalformedProtobuf(PbDefect::OverlongVarint))
        .unwrap();
    venue
        .inject(MexcFault::MalformedProtobuf(PbDefect::LengthPastEnd))
        .unwrap();
    venue.inject(MexcFault::TruncatedProtobuf).unwrap();
    venue.inject(MexcFault::UnknownFields).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.counters().decode_errors >= before.0 + 3))
        .await,
        "three bad frames counted"
    );
    assert_books_match(&venue, &[&conn], &symbols, "malformed protobuf").await;
    conn.with_session(|h| {
        assert_eq!(h.counters().decode_errors, before.0 + 3);
        assert_eq!(h.book_stats().resyncs, before.1, "bad frames break no book");
        assert!(
            h.callbacks()
                .errors
                .iter()
                .filter(|e| e.category == ErrorCategory::Parse)
                .count()
                >= 3
        );
    });

    // A crossed update: the book resyncs rather than showing it.
    let before = conn.with_session(|h| h.book_stats().resyncs);
    venue
        .inject(MexcFault::CrossedUpdate { symbol: eth })
        .unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.book_stats().resyncs > before))
        .await,
        "the crossed book is thrown away"
    );
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    assert_books_match(&venue, &[&conn], &symbols, "crossed update").await;

    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// A refused subscription is an error naming the channel, never a quiet socket; the rest
/// of the connection works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_and_refused_channels_are_reported_by_name() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    let btc = sym("BTCUSDT");
    let kline = Channel::Kline {
        symbol: btc,
        interval: KlineInterval::Min1,
    };
    let unknown = depth(sym("NOPEUSDT"), AggInterval::Ms100);
    let handler = Driven::new(MexcPublicParts::new(
        handler_config(&sim),
        [depth(btc, AggInterval::Ms100), kline, unknown],
        Tally::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().errors.len() >= 2))
        .await,
        "both refusals reported"
    );
    conn.with_session(|h| {
        let errors = &h.callbacks().errors;
        let blocked = errors
            .iter()
            .find(|e| e.message.contains(&kline.to_string()))
            .expect("the Blocked reply names the channel");
        assert_eq!(blocked.category, ErrorCategory::SubscriptionRejected);
        assert!(blocked.message.contains("Blocked!"), "{}", blocked.message);
        assert!(errors.iter().any(|e| e.message.contains("NOPEUSDT")));
        assert!(matches!(
            h.subscriptions().state(&kline),
            Some(SubscriptionState::Rejected(_))
        ));
        assert_eq!(h.status(sym("NOPEUSDT")), None);
    });
    assert!(eventually(WAIT, || all_live(&conn, &[btc])).await);
    assert_books_match(&venue, &[&conn], &[btc], "next to refused channels").await;

    // Asked again at run time, it is refused again, by name.
    let errors = conn.with_session(|h| h.callbacks().errors.len());
    conn.command(MexcPublicCommand::Subscribe(kline))
        .await
        .unwrap();
    assert!(
        eventually(WAIT, || conn
            .with_session(|h| h.callbacks().errors.len() > errors))
        .await
    );
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// 35 symbols need two connections: shards of at most 30 in a pool sharing the connect
/// limit; every book equals the truth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_thirty_symbols_run_through_a_pool() {
    init_tracing();
    let specs: Vec<SymbolSpec> = (0..35)
        .map(|i| {
            let mut spec =
                SymbolSpec::new(&format!("S{i:02}USDT"), &format!("S{i:02}"), "USDT").unwrap();
            spec.levels = 10;
            spec
        })
        .collect();
    let symbols: Vec<Symbol> = specs.iter().map(|s| s.symbol).collect();
    let (sim, venue) = start(MexcConfig {
        symbols: specs,
        max_versions_per_tick: 1,
        ..MexcConfig::default()
    })
    .await;
    let channels = symbols.iter().map(|s| depth(*s, AggInterval::Ms100));
    let handlers = MexcPublicParts::shards(handler_config(&sim), channels, |_| Tally::default());
    assert_eq!(
        handlers
            .iter()
            .map(|h| h.subscriptions().len())
            .collect::<Vec<_>>(),
        vec![30, 5]
    );
    let mut pool = ConnectionPool::spawn(handlers, driver_config(), POOL_CONNECT_LIMIT).unwrap();
    let all = || {
        symbols.iter().all(|s| {
            pool.connections()
                .iter()
                .any(|c| c.with_session(|h| h.status(*s) == Some(BookStatus::Live)))
        })
    };
    assert!(eventually(WAIT, all).await, "all 35 books go live");
    let conns: Vec<&Connection<Handler>> = pool.connections().iter().collect();
    assert_books_match(&venue, &conns, &symbols, "pool").await;
    let mut held: Vec<usize> = venue
        .connections()
        .iter()
        .map(|c| c.channels.len())
        .collect();
    held.sort_unstable();
    assert_eq!(held, vec![5, 30]);
    assert_eq!(pool.counters().connects, 2);
    let stats: SimStats = sim.stats();
    assert_eq!(stats.connections_accepted, 2);
    pool.close().await.unwrap();
    sim.shutdown().await;
}

/// Make-before-break rotation (lifetime shortened to 1.5 s): the books stay correct.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_keeps_books_correct() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    let symbols = [sym("BTCUSDT"), sym("ETHUSDT")];
    let mut config = handler_config(&sim);
    config.context.max_lifetime = Some(Duration::from_millis(1500));
    let handler = Driven::new(MexcPublicParts::new(
        config,
        symbols.map(|s| depth(s, AggInterval::Ms100)),
        Tally::default(),
    ));
    let mut conn = Connection::spawn(handler, driver_config()).unwrap();
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    assert!(
        eventually(WAIT, || conn.counters().rotations >= 1).await,
        "the connection rotates"
    );
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    assert_books_match(&venue, &[&conn], &symbols, "after rotation").await;
    conn.with_session(|h| {
        assert!(h.counters().rotations >= 1);
        tracing::info!(
            resyncs = h.book_stats().resyncs,
            skipped = h.counters().overlap_pushes_skipped,
            "rotation"
        );
    });
    assert_eq!(conn.counters().disconnects(DisconnectKind::Lost), 0);
    conn.close().await.unwrap();
    sim.shutdown().await;
}

/// Queued processing (the frame's stream kind picks the overflow policy): same books.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_processing_keeps_books_correct() {
    init_tracing();
    let (sim, venue) = start(MexcConfig::default()).await;
    let symbols = [sym("BTCUSDT"), sym("MXUSDT")];
    let mut channels: Vec<Channel> = symbols
        .iter()
        .map(|s| depth(*s, AggInterval::Ms10))
        .collect();
    channels.push(Channel::AggreDeals {
        symbol: symbols[0],
        interval: AggInterval::Ms10,
    });
    let handler = Driven::new(MexcPublicParts::new(
        handler_config(&sim),
        channels,
        Tally::default(),
    ));
    let config = ws_core::DriverConfig {
        processing: ws_core::Processing::Queued(ws_core::QueueConfig::with_capacity(4096)),
        ..driver_config()
    };
    let mut conn = Connection::spawn(handler, config).unwrap();
    assert!(eventually(WAIT, || all_live(&conn, &symbols)).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_books_match(&venue, &[&conn], &symbols, "queued").await;
    let counters = conn.counters();
    assert_eq!(counters.overflow_resyncs, 0);
    assert_eq!(counters.dropped_total(), 0);
    conn.close().await.unwrap();
    sim.shutdown().await;
}
