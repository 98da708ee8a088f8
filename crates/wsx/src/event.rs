//! What `wsx` prints and publishes: the client library's normalized events
//! ([`exchange_ws::event`]), one per line.

pub use exchange_ws::event::*;
