//! Write-time stamps, so a client in the same process can measure wire-to-callback latency.
//!
//! A venue sends a [`ServerMessage::Stamped`](crate::ServerMessage::Stamped) frame with a
//! slot of ASCII digits; as the core writes the frame to the socket it fills the slot with
//! the nanoseconds since [`stamp_epoch`]. The client reads the same monotonic clock, so
//! `stamp_now_ns() - stamp` on arrival is the time since the simulator wrote the frame,
//! kernel and WebSocket framing included.

use std::ops::Range;
use std::sync::OnceLock;
use std::time::Instant;

/// The instant stamps count from: fixed by the first call in this process.
pub fn stamp_epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since [`stamp_epoch`], saturating at `u64::MAX` (after 584 years).
pub fn stamp_now_ns() -> u64 {
    u64::try_from(stamp_epoch().elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Copies `payload` into `scratch` with the current stamp in `slot` and returns the copy.
/// A slot outside the payload leaves it unstamped rather than failing the write.
pub(crate) fn stamp_into<'a>(
    scratch: &'a mut Vec<u8>,
    payload: &[u8],
    slot: Range<usize>,
) -> &'a [u8] {
    scratch.clear();
    scratch.extend_from_slice(payload);
    if let Some(digits) = scratch.get_mut(slot) {
        write_digits(digits, stamp_now_ns());
    }
    scratch
}

/// Writes `value` as zero-padded decimal digits filling `digits` (its low digits when
/// `digits` is too short).
fn write_digits(digits: &mut [u8], mut value: u64) {
    for digit in digits.iter_mut().rev() {
        // `value % 10` is below 10, so the cast cannot truncate.
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_zero_padded_and_keep_the_low_end() {
        let mut slot = *b"xxxxxx";
        write_digits(&mut slot, 4217);
        assert_eq!(&slot, b"004217");
        let mut short = *b"xx";
        write_digits(&mut short, 4217);
        assert_eq!(&short, b"17");
    }

    #[test]
    fn a_stamp_lands_in_its_slot_and_nowhere_else() {
        let mut scratch = Vec::new();
        let before = stamp_now_ns();
        let stamped = stamp_into(&mut scratch, br#"{"u":1000000000000000,"s":1}"#, 6..21).to_vec();
        let after = stamp_now_ns();
        assert!(stamped.starts_with(br#"{"u":1"#) && stamped.ends_with(br#","s":1}"#));
        let text = std::str::from_utf8(&stamped[6..21]).ok();
        let stamp: u64 = text.and_then(|t| t.parse().ok()).unwrap_or(u64::MAX);
        assert!(
            (before..=after).contains(&stamp),
            "{before} <= {stamp} <= {after}"
        );
    }

    #[test]
    fn a_slot_past_the_end_leaves_the_payload_as_it_was() {
        let mut scratch = Vec::new();
        assert_eq!(stamp_into(&mut scratch, b"abc", 2..9), b"abc");
    }
}
