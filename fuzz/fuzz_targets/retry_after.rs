//! Any bytes as a `Retry-After` header value: never a panic, never more than the documented
//! maximum, only RFC 9110 delta-seconds accepted, and the wait always becomes a deadline.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ws_session::{MAX_RETRY_AFTER, deadline_after, parse_retry_after};

fuzz_target!(|data: &[u8]| {
    let parsed = parse_retry_after(data);
    let digits = data.trim_ascii();
    let is_delay_seconds = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit);
    assert_eq!(parsed.is_some(), is_delay_seconds);
    if let Some(wait) = parsed {
        assert!(wait <= MAX_RETRY_AFTER);
        // Where the number fits, it is read exactly (then clamped).
        if let Some(seconds) = std::str::from_utf8(digits)
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
        {
            assert_eq!(wait, Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
        }
        let now = Instant::now();
        assert!(deadline_after(now, wait) >= now);
        let _ = now + wait;
    }
});
