//! The book-sync state machine driven by a script decoded from the input: pushes with
//! arbitrary versions and levels, snapshot answers, timer ticks, disconnects and user
//! resyncs, in any order. Invariants: no panic, and a book handed to the user is never
//! crossed and carries the version of the update just applied.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use exchange_mexc::{Body, BookSink, BookSync, BookSyncConfig, decode_push, pb};
use libfuzzer_sys::fuzz_target;
use market_types::{BookStatusEvent, BookUpdate, OrderBook, Symbol};
use prost::Message;
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
    fn levels(&mut self) -> Vec<(String, String)> {
        let n = self.byte().unwrap_or(0) % 6;
        (0..n)
            .map(|_| {
                let price = 100 + u64::from(self.byte().unwrap_or(0) % 40);
                let qty = match self.byte().unwrap_or(0) % 5 {
                    0 => "0".to_string(),
                    1 => "-1".to_string(),
                    n => format!("{n}.5"),
                };
                (price.to_string(), qty)
            })
            .collect()
    }
}

fn frame(
    symbol: &str,
    from: u64,
    to: u64,
    bids: &[(String, String)],
    asks: &[(String, String)],
) -> Vec<u8> {
    let items = |levels: &[(String, String)]| {
        levels
            .iter()
            .map(|(p, q)| pb::PublicAggreDepthV3ApiItem {
                price: p.clone(),
                quantity: q.clone(),
            })
            .collect()
    };
    pb::PushDataV3ApiWrapper {
        channel: format!("spot@public.aggre.depth.v3.api.pb@100ms@{symbol}"),
        symbol: Some(symbol.to_string()),
        symbol_id: None,
        create_time: None,
        send_time: Some(1),
        body: Some(pb::push_data_v3_api_wrapper::Body::PublicAggreDepths(
            pb::PublicAggreDepthsV3Api {
                asks: items(asks),
                bids: items(bids),
                event_type: String::new(),
                from_version: from.to_string(),
                to_version: to.to_string(),
                last_order_create_time: 0,
            },
        )),
    }
    .encode_to_vec()
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
    let mut sync = BookSync::new(
        BookSyncConfig {
            book_capacity: 16,
            ..BookSyncConfig::default()
        },
        "http://127.0.0.1:1",
    );
    let mut out = Outbox::new();
    let mut sink = Checker;
    let symbols = ["BTCUSDT", "ETHUSDT"];
    for s in symbols {
        sync.track(
            Symbol::new(s).unwrap_or_else(|_| unreachable!()),
            at(0),
            &mut sink,
        );
    }
    let mut version = 10u64;
    for _ in 0..64 {
        let Some(op) = script.byte() else { break };
        let symbol = symbols[usize::from(op >> 7)];
        match op % 6 {
            0 | 1 => {
                // A push, usually contiguous, sometimes with a gap or overlap.
                let from = match script.byte().unwrap_or(0) % 4 {
                    0 => version.saturating_sub(script.small()),
                    1 => version + 1 + script.small(),
                    _ => version + 1,
                };
                let to = from + script.small();
                version = version.max(to);
                let bytes = frame(symbol, from, to, &script.levels(), &script.levels());
                if let Ok(push) = decode_push(&bytes)
                    && let Body::AggreDepths(depth) = push.body
                {
                    let _ = sync.on_depth(&push.header, &depth, at(now_ms), &mut out, &mut sink);
                }
            }
            2 => {
                // Answer the oldest pending snapshot request with a fuzzed body or status.
                let requests: Vec<_> = out.drain_rest().collect();
                for request in requests {
                    let status = match script.byte().unwrap_or(0) % 5 {
                        0 => 429,
                        1 => 500,
                        _ => 200,
                    };
                    let last = version.saturating_sub(script.small());
                    let side = |levels: Vec<(String, String)>| {
                        levels
                            .iter()
                            .map(|(p, q)| format!(r#"["{p}","{q}"]"#))
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    let body = format!(
                        r#"{{"lastUpdateId":{last},"bids":[{}],"asks":[{}]}}"#,
                        side(script.levels()),
                        side(script.levels())
                    );
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
