//! The futures book sync driven by a script decoded from the input: `push.depth` and
//! `push.depth.full` with arbitrary versions (merged ranges too) and levels, snapshot
//! answers (enveloped, bare, refused, rate limited), ticks, disconnects and user
//! resyncs, in any order. Invariants: no panic, and a book handed to the user is never
//! crossed and carries the version of the update just applied.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use exchange_mexc::BookSyncConfig;
use exchange_mexc::futures::{BookSink, Frame, FuturesBookSync, decode};
use libfuzzer_sys::fuzz_target;
use market_types::{BookStatusEvent, BookUpdate, OrderBook, Symbol, Venue};
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
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }
    fn small(&mut self) -> u64 {
        u64::from(self.byte().unwrap_or(0) % 8)
    }
    fn levels(&mut self) -> String {
        let n = self.byte().unwrap_or(0) % 6;
        (0..n)
            .map(|_| {
                let price = 100 + u64::from(self.byte().unwrap_or(0) % 40);
                let qty = match self.byte().unwrap_or(0) % 6 {
                    0 => "0".to_string(),
                    1 => "-1".to_string(),
                    2 => "\"x\"".to_string(),
                    n => format!("{n}"),
                };
                format!("[{price}.5,{qty},1]")
            })
            .collect::<Vec<_>>()
            .join(",")
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
    let mut sync = FuturesBookSync::new(
        BookSyncConfig {
            book_capacity: 16,
            snapshot_depth: 4,
            ..BookSyncConfig::default()
        },
        "http://127.0.0.1:1",
        Venue::MexcFutures,
    );
    let mut out = Outbox::new();
    let mut sink = Checker;
    let symbols = ["BTC_USDT", "ETH_USDT"];
    for s in symbols {
        sync.track(Symbol::new(s).unwrap_or_else(|_| unreachable!()), at(0), &mut sink);
    }
    let mut version = 10u64;
    for _ in 0..64 {
        let Some(op) = script.byte() else { break };
        let symbol = symbols[usize::from(op >> 7)];
        match op % 6 {
            0 | 1 => {
                // A push, usually contiguous, sometimes a gap, an overlap or a merged range.
                let begin = match script.byte().unwrap_or(0) % 4 {
                    0 => version.saturating_sub(script.small()),
                    1 => version + 1 + script.small(),
                    _ => version + 1,
                };
                let end = begin + script.small();
                version = version.max(end);
                let channel = if script.byte().unwrap_or(0) % 8 == 0 {
                    "push.depth.full"
                } else {
                    "push.depth"
                };
                let text = format!(
                    r#"{{"channel":"{channel}","data":{{"asks":[{}],"bids":[{}],"begin":{begin},"end":{end},"version":{end}}},"symbol":"{symbol}","ts":1}}"#,
                    script.levels(),
                    script.levels()
                );
                if let Ok(Frame::Depth(push) | Frame::DepthFull(push)) = decode(text.as_bytes()) {
                    let _ = sync.on_depth(&push, at(now_ms), &mut out, &mut sink);
                }
            }
            2 => {
                let requests: Vec<_> = out.drain_rest().collect();
                for request in requests {
                    let status = match script.byte().unwrap_or(0) % 5 {
                        0 => 429,
                        1 => 500,
                        _ => 200,
                    };
                    let last = version.saturating_sub(script.small());
                    let data = format!(
                        r#"{{"asks":[{}],"bids":[{}],"version":{last},"timestamp":1}}"#,
                        script.levels(),
                        script.levels()
                    );
                    let body = match script.byte().unwrap_or(0) % 3 {
                        0 => data,
                        1 => format!(r#"{{"success":true,"code":0,"data":{data}}}"#),
                        _ => r#"{"success":false,"code":1001,"message":"no"}"#.to_string(),
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
            3 => {
                now_ms += 50 * (1 + script.small());
                sync.on_tick(at(now_ms), &mut out);
            }
            4 => sync.on_disconnected(&mut sink),
            _ => {
                let _ = sync.resync(
                    Symbol::new(symbol).unwrap_or_else(|_| unreachable!()),
                    at(now_ms),
                    &mut out,
                    &mut sink,
                );
            }
        }
    }
});
