//! Any bytes through the Gate.io frame decoder, the REST snapshot decoder and the channel
//! peek: never a panic, and everything a decoded message points at can be walked.
#![no_main]

use exchange_gateio::{Message, parse_frame, parse_snapshot, peek_channel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = peek_channel(data);
    if let Ok(snapshot) = parse_snapshot(data) {
        for level in snapshot.bids.iter().chain(snapshot.asks.iter()) {
            let _ = level;
        }
    }
    let Ok(message) = parse_frame(data) else {
        return;
    };
    match message {
        Message::OrderBookUpdate(update) => {
            for level in update.bids.iter().chain(update.asks.iter()) {
                let _ = level;
            }
        }
        Message::BookSnapshot(snapshot) => {
            for level in snapshot.bids.iter().chain(snapshot.asks.iter()) {
                let _ = level;
            }
        }
        Message::Trades(items) => items.iter().for_each(drop),
        Message::Tickers(items) => items.iter().for_each(drop),
        Message::Orders(items) => items.iter().for_each(drop),
        Message::UserTrades(items) => items.iter().for_each(drop),
        Message::Balances(items) => items.iter().for_each(drop),
        Message::Positions(items) => items.iter().for_each(drop),
        _ => {}
    }
});
