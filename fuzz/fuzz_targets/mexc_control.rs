//! Any text through the JSON control decoder and the ack check.
#![no_main]

use exchange_mexc::{AggInterval, Channel, check_ack, parse_control};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let symbol = market_types::Symbol::new("BTCUSDT").unwrap_or_else(|_| unreachable!());
    let asked = [
        Channel::AggreDepth {
            symbol,
            interval: AggInterval::Ms100,
        },
        Channel::AggreDeals {
            symbol,
            interval: AggInterval::Ms10,
        },
    ];
    if let Ok(reply) = parse_control(data) {
        let _ = reply.confirms(&asked);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = check_ack(text, &asked);
        let _ = Channel::parse(text);
    }
});
