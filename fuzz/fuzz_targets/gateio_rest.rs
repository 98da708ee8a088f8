//! Any bytes as a Gate.io REST answer body: every reconciliation parser of both markets, the
//! error reading of a non-200 answer, and the order book snapshot decoder. No panic; a
//! decoded snapshot can be walked completely.
#![no_main]

use exchange_gateio::{fuzz_reconcile_parsers, parse_snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_reconcile_parsers(data);
    if let Ok(snapshot) = parse_snapshot(data) {
        for level in snapshot.bids.iter().chain(snapshot.asks.iter()) {
            let _ = level;
        }
    }
});
