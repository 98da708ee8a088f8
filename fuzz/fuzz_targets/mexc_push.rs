//! Any bytes through both protobuf decoders: never a panic, and whatever the zero-copy
//! reader accepts is fully walkable.
#![no_main]

use exchange_mexc::{Body, decode_push, decode_wrapper, private_event, stream_kind};
use libfuzzer_sys::fuzz_target;
use ws_core::FrameKind;

fuzz_target!(|data: &[u8]| {
    let _ = stream_kind(FrameKind::Binary, data);
    let _ = decode_wrapper(data);
    let Ok(push) = decode_push(data) else { return };
    let _ = push.header.symbol();
    let _ = push.header.event_time_ms();
    let symbol = market_types::Symbol::new("BTCUSDT").unwrap_or_else(|_| unreachable!());
    match push.body {
        Body::AggreDepths(depth) => {
            for level in depth.levels() {
                let _ = level;
            }
            let _ = depth.for_each_level(|_| Ok::<(), exchange_mexc::Error>(()));
        }
        Body::AggreDeals(deals) => {
            for (i, deal) in deals.deals().enumerate() {
                if let Ok(deal) = deal {
                    let _ = deal.to_trade(symbol, i);
                }
            }
        }
        Body::AggreBookTicker(ticker) => {
            let _ = ticker.to_book_ticker(symbol, 0);
        }
        Body::Cold(raw) => {
            let _ = raw.decode();
            let _ = private_event(&push.header, raw);
        }
    }
});
