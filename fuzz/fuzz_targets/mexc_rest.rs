//! Any bytes as a MEXC REST answer: every reconciliation parser, the depth snapshot decoder,
//! the listen-key parsers, and the reply check with the status taken from the first two
//! bytes. No panic.
#![no_main]

use bytes::Bytes;
use exchange_mexc::{
    check_reply, fuzz_reconcile_parsers, parse_depth_snapshot, parse_listen_key,
    parse_listen_keys,
};
use libfuzzer_sys::fuzz_target;
use ws_session::RestReply;

fuzz_target!(|data: &[u8]| {
    fuzz_reconcile_parsers(data);
    let _ = parse_depth_snapshot(data);
    let _ = parse_listen_key(data);
    let _ = parse_listen_keys(data);
    if let Some((status, rest)) = data.split_first_chunk::<2>() {
        let result = Ok(RestReply {
            status: u16::from_be_bytes(*status),
            retry_after: None,
            body: Bytes::copy_from_slice(rest),
        });
        if let Ok(body) = check_reply("/api/v3/depth", &result) {
            let _ = parse_depth_snapshot(body);
        }
    }
});
