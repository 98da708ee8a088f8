//! The `Retry-After` header (RFC 9110 §10.2.3), parsed without IO so that the driver, tests
//! and the fuzzer share one definition.
//!
//! The header is `HTTP-date / delay-seconds`, with `delay-seconds = 1*DIGIT`. Venues send
//! seconds; an HTTP-date is ignored (`None`), so the caller falls back to its own backoff
//! instead of trusting a server clock we cannot check. A value is a network value: it is
//! clamped here, at parse, to [`MAX_RETRY_AFTER`], so no huge number ever reaches a deadline.

use std::time::Duration;

use crate::machine::MAX_RECONNECT_WAIT;

/// The longest wait a server's `Retry-After` can ask for: one hour. Longer values are read
/// as one hour, so a typo or hostile header (`1000000000`) cannot park a connection or a book
/// for years; the venue is asked again after an hour and may say "wait" again.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

// A parsed wait must never be cut again by the general cap on deadlines.
const _: () = assert!(MAX_RETRY_AFTER.as_secs() <= MAX_RECONNECT_WAIT.as_secs());

/// Parses a `Retry-After` field value (as raw header bytes): `delay-seconds` with optional
/// surrounding whitespace, clamped to [`MAX_RETRY_AFTER`]. Anything else (an HTTP-date, a sign,
/// a fraction, an empty value, non-ASCII) is `None`.
pub fn parse_retry_after(value: &[u8]) -> Option<Duration> {
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let cap = MAX_RETRY_AFTER.as_secs();
    let mut seconds: u64 = 0;
    for &digit in digits {
        // Saturating: any number of digits is valid; past the cap the value no longer matters.
        seconds = seconds
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
            .min(cap.saturating_add(1));
    }
    Some(Duration::from_secs(seconds.min(cap)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_seconds_are_read() {
        assert_eq!(parse_retry_after(b"7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(b" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(b"\t120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(b"0003600"), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn huge_values_are_clamped_to_the_maximum() {
        for hostile in [
            &b"3601"[..],
            b"1000000000",
            b"18446744073709551615",
            b"18446744073709551616",
            b"99999999999999999999999999999999999999999",
        ] {
            assert_eq!(parse_retry_after(hostile), Some(MAX_RETRY_AFTER));
        }
    }

    #[test]
    fn anything_but_delay_seconds_is_ignored() {
        for other in [
            &b""[..],
            b"   ",
            b"-1",
            b"+5",
            b"1.5",
            b"5s",
            b"1 2",
            b"Wed, 21 Oct 2015 07:28:00 GMT",
            "\u{661}".as_bytes(),
        ] {
            assert_eq!(parse_retry_after(other), None, "{other:?}");
        }
    }
}
