//! The reconciliation's REST parsers, reachable by the fuzzer (`fuzz/`) and nothing else.

use bytes::Bytes;
use ws_session::RestReply;

use super::calls::body;
use super::parse::{
    parse_balances, parse_fills, parse_order, parse_order_list, parse_orders, parse_positions,
};
use crate::channel::Market;

/// Runs `data` through every reconciliation parser of both markets, and through the error
/// reading of a non-200 answer with the status taken from its first two bytes. Results are
/// dropped: the property is that nothing panics.
#[doc(hidden)]
pub fn fuzz_reconcile_parsers(data: &[u8]) {
    let now_ms = 1_700_000_000_000;
    for market in [Market::Spot, Market::Futures] {
        let _ = parse_orders(market, data);
        let _ = parse_order_list(market, data);
        let _ = parse_order(market, data);
        let _ = parse_balances(market, data, now_ms);
        let _ = parse_fills(market, data);
    }
    let _ = parse_positions(data, now_ms);
    if let Some((status, rest)) = data.split_first_chunk::<2>() {
        let reply = RestReply {
            status: u16::from_be_bytes(*status),
            retry_after: None,
            body: Bytes::copy_from_slice(rest),
        };
        if let Err(error) = body(&Ok(reply)) {
            let _ = (error.is_fatal(), error.is_not_found(), error.to_string());
        }
    }
}
