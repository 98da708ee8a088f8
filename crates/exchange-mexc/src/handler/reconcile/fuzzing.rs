//! The reconciliation's REST parsers, reachable by the fuzzer (`fuzz/`) and nothing else.

use super::parse::{parse_account, parse_order, parse_order_page, parse_orders, parse_trades};

/// Runs `data` through every reconciliation parser. Results are dropped: the property is
/// that nothing panics.
#[doc(hidden)]
pub fn fuzz_reconcile_parsers(data: &[u8]) {
    let _ = parse_account(data, 1_700_000_000_000);
    let _ = parse_orders(data);
    let _ = parse_order_page(data);
    let _ = parse_order(data);
    let _ = parse_trades(data);
}
