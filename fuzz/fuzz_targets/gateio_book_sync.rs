//! The Gate.io book-sync state machine driven by a script decoded from the input: pushes
//! (contiguous, gapped, overlapping, duplicated, `full`, with zero, negative and crossing
//! sizes) through both the one-pass `on_frame` path and `parse_frame` + `on_update`,
//! snapshot answers (200/429/500, stale ids, bad bodies), acks, ticks, disconnects and
//! user resyncs. Invariants: no panic; a book handed to the user is never crossed and
//! carries the id of the update just applied.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use exchange_gateio::{
    BookDepth, BookSink, BookSync, BookSyncConfig, Endpoints, Market, Message, parse_frame,
};
use libfuzzer_sys::fuzz_target;
use market_types::{BookStatusEvent, BookUpdate, OrderBook, Symbol};
use ws_core::{Outbox, RestReply, RestResponse, Timestamp};

struct Checker;

impl BookSink for Checker {
    fn book_updated(&mut self, book: &OrderBook, update: &BookUpdate) {
        assert!(!book.is_crossed(), "crossed book handed out");
        assert_eq!(book.update_id(), update.last_update_id);
    }
    fn status_changed(&mut self, _event: BookStatusEvent) {}
}

struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((first, rest)) => {
                self.0 = rest;
                *first
            }
            None => 0,
        }
    }
    fn small(&mut self) -> u64 {
        u64::from(self.byte() % 8)
    }
    fn levels(&mut self) -> String {
        let n = self.byte() % 5;
        let items: Vec<String> = (0..n)
            .map(|_| {
                let price = 100 + u64::from(self.byte() % 30);
                let qty = match self.byte() % 6 {
                    0 => "0".to_string(),
                    1 => "-1".to_string(),
                    2 => "x".to_string(),
                    n => format!("{n}.25"),
                };
                format!(r#"["{price}","{qty}"]"#)
            })
            .collect();
        format!("[{}]", items.join(","))
    }
}

fuzz_target!(|data: &[u8]| {
    let mut script = Script(data);
    let start = Instant::now();
    let mut now_ms = 0u64;
    let at = |ms: u64| {
        Timestamp::new(
            start + Duration::from_millis(ms),
            1_700_000_000_000_000_000 + ms * 1_000_000,
        )
    };
    let endpoints = Endpoints::custom("ws://127.0.0.1:1/ws/v4/", "http://127.0.0.1:1/api/v4");
    let Ok(config) = BookSyncConfig::new(Market::Spot, &endpoints, BookDepth::Levels20) else {
        return;
    };
    let mut sync = BookSync::new(config);
    let mut out = Outbox::new();
    let mut sink = Checker;
    let pairs = ["BTC_USDT", "ETH_USDT"];
    for p in pairs {
        let symbol = Symbol::new(p).unwrap_or_else(|_| unreachable!());
        sync.track(symbol, &mut sink);
        sync.on_subscribed(symbol, at(0), &mut out, &mut sink);
    }
    let mut id = 1000u64;
    let mut last_frame = String::new();
    for _ in 0..64 {
        // Stop when the script ends: replaying the last frame on every remaining step added
        // nothing an explicit run of zero bytes cannot ask for, and cost most of the time.
        if script.0.is_empty() {
            break;
        }
        let op = script.byte();
        let pair = pairs[usize::from(op >> 7)];
        match op % 7 {
            0 | 1 | 2 if script.byte() % 7 == 0 && !last_frame.is_empty() => {
                let _ = sync.on_frame(last_frame.as_bytes(), at(now_ms), &mut out, &mut sink);
            }
            0 | 1 | 2 => {
                let first = match script.byte() % 4 {
                    0 => id.saturating_sub(script.small()),
                    1 => id + 1 + script.small(),
                    _ => id + 1,
                };
                let last = first + script.small();
                id = id.max(last);
                let full = if script.byte() % 9 == 0 {
                    r#""full":true,"#
                } else {
                    ""
                };
                last_frame = format!(
                    r#"{{"time":1,"time_ms":1,"channel":"spot.order_book_update","event":"update","result":{{"t":1,{full}"e":"depthUpdate","E":1,"s":"{pair}","U":{first},"u":{last},"b":{},"a":{},"l":"20"}}}}"#,
                    script.levels(),
                    script.levels()
                );
                // Sometimes the same frame again (a duplicate), otherwise the new one.
                let frame = last_frame.clone();
                if op % 2 == 0 {
                    let _ = sync.on_frame(frame.as_bytes(), at(now_ms), &mut out, &mut sink);
                } else if let Ok(Message::OrderBookUpdate(update)) = parse_frame(frame.as_bytes()) {
                    let _ = sync.on_update(&update, at(now_ms), &mut out, &mut sink);
                }
            }
            3 => {
                let requests: Vec<_> = out.drain_rest().collect();
                for request in requests {
                    let status = match script.byte() % 5 {
                        0 => 429,
                        1 => 500,
                        _ => 200,
                    };
                    let snapshot_id = id.saturating_sub(script.small());
                    let body = if script.byte() % 13 == 0 {
                        "{not json".to_string()
                    } else {
                        format!(
                            r#"{{"id":{snapshot_id},"current":1,"update":1,"asks":{},"bids":{}}}"#,
                            script.levels(),
                            script.levels()
                        )
                    };
                    let response = RestResponse {
                        id: request.id,
                        result: Ok(RestReply {
                            status,
                            retry_after: (status == 429).then(|| Duration::from_secs(1)),
                            body: Bytes::from(body),
                        }),
                    };
                    sync.on_rest_response(&response, at(now_ms), &mut out, &mut sink);
                }
            }
            4 => {
                now_ms += 100 * (1 + script.small());
                sync.on_tick(at(now_ms), &mut out);
            }
            5 => {
                sync.on_disconnected(&mut sink);
                for p in pairs {
                    let symbol = Symbol::new(p).unwrap_or_else(|_| unreachable!());
                    sync.on_subscribed(symbol, at(now_ms), &mut out, &mut sink);
                }
            }
            _ => {
                let symbol = Symbol::new(pair).unwrap_or_else(|_| unreachable!());
                let _ = sync.resync(symbol, at(now_ms), &mut out, &mut sink);
            }
        }
    }
});
