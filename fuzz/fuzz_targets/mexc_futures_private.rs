//! MEXC futures account data on arbitrary bytes: the private push decoder (with the hedge
//! legs it nets, bounded to a few contracts so eviction runs too) and every signed-REST
//! answer parser. Invariant: no panic, and the legs never hold more contracts than their
//! bound.
#![no_main]

use exchange_mexc::futures::private::{PositionLegs, decode_private, rest};
use libfuzzer_sys::fuzz_target;
use market_types::Venue;

const VENUE: Venue = Venue::MexcFutures;

fuzz_target!(|data: &[u8]| {
    let mut legs = PositionLegs::new(VENUE, 4);
    // The same bytes twice: a position leg applied again must not break the netting.
    let _ = decode_private(data, &mut legs);
    let _ = decode_private(data, &mut legs);
    let _ = rest::parse_assets(data, VENUE, 0);
    if let Ok(positions) = rest::parse_open_positions(data, 0) {
        for leg in positions {
            let _ = legs.apply(leg);
        }
    }
    let _ = rest::parse_open_orders(data, VENUE, 0);
    let _ = rest::parse_history_orders(data, VENUE, 0);
    let _ = rest::parse_order(data, VENUE, u64::MAX);
    let _ = rest::parse_order_deals(data, VENUE, u64::MAX);
});
