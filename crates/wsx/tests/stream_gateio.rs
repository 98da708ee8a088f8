//! `wsx stream` against the simulator's Gate.io spot and USDT-futures venue.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use exchange_sim::gateio::Market;
use market_types::{Decimal, Side};
use serde_json::Value;
use support::{GateioSim, final_book, finish, levels, spawn};

fn truth_levels(side: &[(Decimal, Decimal)]) -> Vec<(String, String)> {
    side.iter()
        .map(|(p, q)| (p.to_string(), q.to_string()))
        .collect()
}

async fn books_match_the_truth(market: Market, venue: &str) {
    let sim = GateioSim::start().await;
    let ws = match market {
        Market::Spot => sim.spot_ws_url(),
        Market::Futures => sim.futures_ws_url(),
    };
    let rest = sim.rest_url();
    let child = spawn(&[
        "stream",
        "--venue",
        venue,
        "--symbols",
        "BTC_USDT,ETH_USDT",
        "--channels",
        "book,trades,ticker,ticker24h",
        "--ws-url",
        &ws,
        "--rest-url",
        &rest,
        "--duration",
        "5",
    ]);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    sim.venue.pause();
    let out = finish(child, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let lines = out.lines();
    for kind in ["book_update", "book_status", "trade", "ticker", "ticker24h"] {
        assert!(lines.iter().any(|l| l["kind"] == kind), "no {kind} line");
    }
    assert!(lines.iter().all(|l| l["venue"] == venue));
    for symbol in ["BTC_USDT", "ETH_USDT"] {
        let truth = sim.venue.book(market, symbol).unwrap().top(20);
        let book = final_book(&lines, symbol);
        assert_eq!(book["status"], "live", "{symbol}");
        assert_eq!(
            book["update_id"].as_u64().unwrap(),
            truth.update_id,
            "{symbol}"
        );
        assert_eq!(
            levels(&book["bids"]),
            truth_levels(&truth.bids),
            "{symbol} bids"
        );
        assert_eq!(
            levels(&book["asks"]),
            truth_levels(&truth.asks),
            "{symbol} asks"
        );
    }
    sim.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_gateio_spot_final_books_match_the_truth() {
    books_match_the_truth(Market::Spot, "gateio-spot").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_gateio_futures_final_books_match_the_truth() {
    books_match_the_truth(Market::Futures, "gateio-futures").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_gateio_futures_private_channels() {
    let sim = GateioSim::start().await;
    let (ws, rest) = (sim.futures_ws_url(), sim.rest_url());
    let config = sim.venue.config().clone();
    let dir = std::env::temp_dir().join(format!("wsx-creds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let creds = dir.join("gate.env");
    std::fs::write(
        &creds,
        format!(
            "GATEIO_API_KEY={}\nGATEIO_API_SECRET={}\n",
            config.api_key, config.api_secret
        ),
    )
    .unwrap();
    let child = spawn(&[
        "stream",
        "--venue",
        "gateio-futures",
        "--symbols",
        "BTC_USDT",
        "--channels",
        "orders,fills,balances,positions",
        "--ws-url",
        &ws,
        "--rest-url",
        &rest,
        "--duration",
        "4",
        "--credentials-file",
        creds.to_str().unwrap(),
    ]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let order = sim
        .venue
        .place_order(
            Market::Futures,
            "BTC_USDT",
            Side::Buy,
            Decimal::parse("10000.5").unwrap(),
            Decimal::from(10u32),
        )
        .unwrap();
    sim.venue.fill(order, Decimal::from(4u32)).unwrap();
    let out = finish(child, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(!out.stderr.contains(&config.api_secret));
    assert!(!out.stdout.contains(&config.api_secret));
    let lines = out.lines();
    let of = |kind: &str| -> Vec<&Value> { lines.iter().filter(|l| l["kind"] == kind).collect() };
    let orders = of("order");
    let order = orders.last().expect("an order line");
    for field in [
        "order_id",
        "client_order_id",
        "side",
        "price",
        "quantity",
        "filled",
        "status",
    ] {
        assert!(order.get(field).is_some(), "order has no {field}: {order}");
    }
    assert_eq!(order["price"], "10000.5");
    assert_eq!(order["filled"], "4");
    let fill = of("fill").pop().expect("a fill line");
    for field in ["trade_id", "order_id", "price", "quantity", "fee"] {
        assert!(fill.get(field).is_some(), "fill has no {field}: {fill}");
    }
    assert_eq!(fill["quantity"], "4");
    let balance = of("balance").pop().expect("a balance line");
    for field in ["asset", "available", "locked"] {
        assert!(
            balance.get(field).is_some(),
            "balance has no {field}: {balance}"
        );
    }
    let position = of("position").pop().expect("a position line");
    for field in ["contract", "size", "entry_price"] {
        assert!(
            position.get(field).is_some(),
            "position has no {field}: {position}"
        );
    }
    assert_eq!(position["contract"], "BTC_USDT");
    assert_eq!(position["size"], "4");
    std::fs::remove_dir_all(&dir).ok();
    sim.sim.shutdown().await;
}
