//! Broken input never panics: every prefix of every fixture and deterministic random byte
//! flips give typed errors (or, for flips that keep the JSON valid, values).

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::time::Instant;

use exchange_gateio::{
    BookDepth, BookSink, BookSync, BookSyncConfig, Endpoints, Error, Market, Message, parse_frame,
    parse_snapshot,
};
use market_types::{BookStatus, BookStatusEvent, BookUpdate, OrderBook, Symbol};
use ws_core::{Outbox, RestReply, RestResponse, Timestamp};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"));
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .filter(|(name, _)| name.starts_with("gateio_"))
        .collect();
    all.sort();
    assert_eq!(all.len(), 45);
    all
}

/// Decodes everything a message holds, so lazy parts are exercised too.
fn consume(message: &Message<'_>) -> usize {
    let mut n = 0;
    match message {
        Message::OrderBookUpdate(u) => {
            n += u
                .bids
                .iter()
                .chain(u.asks.iter())
                .filter(Result::is_ok)
                .count();
        }
        Message::BookSnapshot(s) => {
            n += s
                .bids
                .iter()
                .chain(s.asks.iter())
                .filter(Result::is_ok)
                .count();
        }
        Message::Trades(items) => n += items.iter().filter(Result::is_ok).count(),
        Message::Tickers(items) => n += items.iter().filter(Result::is_ok).count(),
        Message::Orders(items) => n += items.iter().filter(Result::is_ok).count(),
        Message::UserTrades(items) => n += items.iter().filter(Result::is_ok).count(),
        Message::Balances(items) => n += items.iter().filter(Result::is_ok).count(),
        Message::Positions(items) => n += items.iter().filter(Result::is_ok).count(),
        _ => n += 1,
    }
    n
}

fn decode_all(bytes: &[u8]) -> Result<usize, Error> {
    if bytes.first().is_some_and(|&b| b == b'{')
        && !bytes.windows(9).any(|w| w == b"\"channel\"")
        && let Ok(snapshot) = parse_snapshot(bytes)
    {
        return Ok(snapshot.bids.iter().chain(snapshot.asks.iter()).count());
    }
    parse_frame(bytes).map(|m| consume(&m))
}

#[test]
fn every_prefix_of_every_fixture_is_an_error() {
    let mut checked = 0;
    for (name, bytes) in fixtures() {
        let complete = bytes.trim_ascii_end().len();
        for len in 0..complete {
            let prefix = &bytes[..len];
            let parsed = parse_frame(prefix);
            assert!(parsed.is_err(), "{name} prefix {len} parsed: {parsed:?}");
            let error = parsed.unwrap_err();
            assert!(error.is_decode(), "{name} prefix {len}: {error}");
            // The error renders, with its snippet, without panicking.
            assert!(!error.to_string().is_empty());
            if name.starts_with("gateio_rest_") {
                assert!(parse_snapshot(prefix).is_err(), "{name} prefix {len}");
            }
            checked += 1;
        }
    }
    assert!(checked > 15_000, "{checked}");
}

#[test]
fn random_byte_flips_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut ok, mut err) = (0usize, 0usize);
    for (_, bytes) in fixtures() {
        for _ in 0..300 {
            let mut mutated = bytes.clone();
            let flips = 1 + next() % 3;
            for _ in 0..flips {
                let at = (next() % mutated.len() as u64) as usize;
                let byte = match next() % 4 {
                    // Structural characters are where parsers break.
                    0 => {
                        let structural = b"{}[]\",:\\-.0e";
                        structural[(next() % structural.len() as u64) as usize]
                    }
                    1 => mutated[at] ^ (1 << (next() % 8)),
                    2 => (next() % 256) as u8,
                    _ => b' ',
                };
                mutated[at] = byte;
            }
            if next() % 5 == 0 {
                let cut = (next() % mutated.len() as u64) as usize;
                mutated.truncate(cut);
            }
            match decode_all(&mutated) {
                Ok(_) => ok += 1,
                Err(error) => {
                    let _ = error.to_string();
                    err += 1;
                }
            }
        }
    }
    assert!(err > 1_000 && ok > 100, "ok {ok} err {err}");
}

#[test]
fn hostile_shapes_are_errors() {
    let deep = format!(
        r#"{{"channel":"spot.trades","event":"update","x":{}1{},"result":{{}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    for frame in [
        &b""[..],
        b"null",
        b"[]",
        b"{}",
        b"{\"channel\":1}",
        b"{\"channel\":\"spot.trades\",\"event\":\"update\"}",
        b"{\"channel\":\"spot.trades\",\"event\":\"update\",\"result\":1}",
        b"{\"channel\":\"spot.trades\",\"channel\":\"spot.trades\"}",
        b"{\"channel\":\"nope.nope\",\"event\":\"update\",\"result\":{}}",
        b"{\"channel\":\"spot.order_book_update\",\"event\":\"update\",\"result\":{\"s\":\"A_B\",\"U\":5,\"u\":4,\"b\":[],\"a\":[]}}",
        b"{\"channel\":\"spot.order_book_update\",\"event\":\"update\",\"result\":{\"s\":\"A_B\",\"U\":1,\"u\":2,\"b\":[],\"b\":[]}}",
        b"{\"channel\":\"spot.book_ticker\",\"event\":\"update\",\"result\":{\"s\":\"A_B\",\"b\":\"1e400\"}}",
        b"{\"channel\":\"spot.book_ticker\",\"event\":\"update\",\"result\":{\"s\":\"\\u0041\"}}",
        b"{\"channel\":\"spot.book_ticker\",\"event\":\"update\",\"result\":{\"s\":\"A_B\",\"u\":99999999999999999999}}",
        b"{\"channel\":\"spot.trades\",\"event\":\"update\",\"result\":{}} trailing",
        deep.as_bytes(),
        b"\xff\xfe{\"channel\"",
    ] {
        let result = parse_frame(frame);
        assert!(result.is_err(), "{}: {result:?}", String::from_utf8_lossy(frame));
    }
}

struct Recorder {
    statuses: Vec<BookStatus>,
    updates: usize,
}

impl BookSink for Recorder {
    fn book_updated(&mut self, _book: &OrderBook, _update: &BookUpdate) {
        self.updates += 1;
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.statuses.push(event.status);
    }
}

/// The single-pass book path: every prefix of a push to a live book is an error, and the
/// book is either untouched or thrown away (never half-applied and live).
#[test]
fn every_prefix_on_the_fast_book_path() {
    let frame = br#"{"time":1,"time_ms":2,"channel":"spot.order_book_update","event":"update","result":{"t":3,"e":"depthUpdate","E":1,"s":"BTC_USDT","U":11,"u":12,"b":[["100.5","3"],["99","0"]],"a":[["101.5","1"]],"l":"20"},"extra":{"k":[1,2]}}"#;
    let now = Timestamp::new(Instant::now(), 1_700_000_000_000_000_000);
    let btc = Symbol::new("BTC_USDT").unwrap();
    let snapshot = br#"{"id":9,"asks":[["101","1"]],"bids":[["100","2"],["99","1"]]}"#;
    // Nothing was buffered to check the snapshot: this empty push continuing it does.
    let confirm = br#"{"time":1,"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":10,"u":10,"b":[],"a":[]}}"#;
    let live_sync = |sink: &mut Recorder| {
        let config = BookSyncConfig::new(
            Market::Spot,
            &Endpoints::live(Market::Spot),
            BookDepth::Levels20,
        )
        .unwrap();
        let mut sync = BookSync::new(config);
        let mut out = Outbox::new();
        sync.track(btc, sink);
        sync.on_subscribed(btc, now, &mut out, sink);
        let request = out.drain_rest().next().unwrap();
        let reply = RestReply {
            status: 200,
            retry_after: None,
            body: snapshot.to_vec().into(),
        };
        sync.on_rest_response(
            &RestResponse {
                id: request.id,
                result: Ok(reply),
            },
            now,
            &mut out,
            sink,
        );
        assert_eq!(sync.status(btc), Some(BookStatus::Syncing), "unchecked");
        assert_eq!(sink.updates, 0, "an unchecked book is not handed out");
        let confirmed = sync.on_frame(confirm, now, &mut out, sink).unwrap();
        assert_eq!(confirmed, Some(exchange_gateio::UpdateOutcome::Applied));
        assert_eq!(sync.status(btc), Some(BookStatus::Live));
        assert_eq!(sync.book(btc).unwrap().update_id(), 10);
        sync
    };
    for len in 0..frame.len() {
        let mut sink = Recorder {
            statuses: vec![],
            updates: 0,
        };
        let mut sync = live_sync(&mut sink);
        let before = sync.book(btc).unwrap().clone();
        let mut out = Outbox::new();
        let result = sync.on_frame(&frame[..len], now, &mut out, &mut sink);
        assert!(result.is_err(), "prefix {len}: {result:?}");
        let book = sync.book(btc).unwrap();
        match sync.status(btc).unwrap() {
            BookStatus::Live => assert_eq!(book, &before, "prefix {len} touched a live book"),
            BookStatus::Resyncing(_) => assert!(book.is_empty(), "prefix {len}"),
            BookStatus::Syncing => panic!("prefix {len}"),
        }
    }
    // The whole frame applies.
    let mut sink = Recorder {
        statuses: vec![],
        updates: 0,
    };
    let mut sync = live_sync(&mut sink);
    let mut out = Outbox::new();
    let outcome = sync.on_frame(frame, now, &mut out, &mut sink).unwrap();
    assert_eq!(outcome, Some(exchange_gateio::UpdateOutcome::Applied));
    let book = sync.book(btc).unwrap();
    assert_eq!(book.update_id(), 12);
    assert_eq!(book.best_bid().unwrap().price.to_string(), "100.5");
    assert_eq!(book.depth(market_types::Side::Buy), 2);
}
