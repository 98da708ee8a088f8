//! MEXC's clock for signers outside the user-data handler (the compat crate's legacy
//! path): the venue's time endpoint, for the shared [`ws_handlers::VenueClock`].

use ws_handlers::{TimeEndpoint, VenueClock};

/// A clock measured from MEXC's `GET /api/v3/time` (`{"serverTime": ms}`) below the REST
/// base `rest_url`. Sign with it through [`crate::RestSigner::with_clock`] and its
/// [`VenueClock::offset`]; measure it when the venue refuses a `timestamp`
/// ([`crate::Error::is_outside_recv_window`]), as the user-data handler does.
pub fn venue_clock(rest_url: &str) -> VenueClock {
    VenueClock::new(TimeEndpoint {
        url: format!("{}/api/v3/time", rest_url.trim_end_matches('/')),
        field: "serverTime",
    })
}
