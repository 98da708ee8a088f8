//! The fast reader of a compact frame's envelope (members before `result` in any order,
//! no spaces), which the general reader and the handlers start from.

use super::envelope::{Envelope, Event};
use super::read;
use super::response::event;
use crate::json::{Scanner, Span};
use crate::venue::Channel;

/// The channel and event of a compact frame (what [`compact_envelope`] accepts: `time`,
/// `time_ms`, `channel` and `event`, each at most once and in any order, then `result`,
/// no spaces, a known channel), read without decoding anything else; `None` for any
/// other frame.
#[inline]
pub(crate) fn compact_channel_event(frame: &[u8]) -> Option<(Channel, Event)> {
    let mut sc = Scanner::new(frame);
    let mut env = Envelope::default();
    compact_envelope::<false>(&mut sc, &mut env)
}

/// What [`compact_envelope`] read of a compact frame's envelope, so that a parser of the
/// same frame can start at its `result` ([`parse_frame_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompactHead {
    pub(crate) channel: Channel,
    pub(crate) event: Event,
    pub(super) channel_raw: Span,
    pub(super) time_s: Option<u64>,
    pub(super) time_ms: Option<u64>,
    /// Where the `result` value starts.
    pub(crate) result_at: usize,
}

/// The envelope of a compact frame (see [`compact_channel_event`]); `None` for any other.
#[inline]
pub(crate) fn compact_head(frame: &[u8]) -> Option<CompactHead> {
    let mut sc = Scanner::new(frame);
    let mut env = Envelope::default();
    let (channel, event) = compact_envelope::<true>(&mut sc, &mut env)?;
    let raw = env.channel_raw?;
    let start = (raw.as_ptr() as usize).checked_sub(frame.as_ptr() as usize)?;
    Some(CompactHead {
        channel,
        event,
        channel_raw: Span {
            start,
            end: start + raw.len(),
        },
        time_s: env.time_s,
        time_ms: env.time_ms,
        result_at: sc.pos(),
    })
}

/// The members before `result` of a compact frame, `{"time":…,"time_ms":…,"channel":"…",
/// "event":"…","result":` (those four in any order, each once, no spaces), recognised by
/// comparing the eight bytes after each key's quote instead of reading the key. On
/// success the scanner is at the result's value and `env` holds what the general loop
/// would hold at that point; `None` (with `env` and the scanner anywhere) for anything
/// else, which the general loop then reads from the start. Without `TIMES` the times are
/// stepped over when they are plain integers (`env` then holds `Some(0)` for them), for callers that only want
/// the channel and event.
#[inline(always)]
pub(super) fn compact_envelope<'a, const TIMES: bool>(
    sc: &mut Scanner<'a>,
    env: &mut Envelope<'a>,
) -> Option<(Channel, Event)> {
    const TIME: u64 = u64::from_le_bytes(*b"time\":\0\0");
    const EVENT: u64 = u64::from_le_bytes(*b"event\":\0");
    const TIME_MS: u64 = u64::from_le_bytes(*b"time_ms\"");
    const CHANNEL: u64 = u64::from_le_bytes(*b"channel\"");
    const RESULT: u64 = u64::from_le_bytes(*b"result\":");
    const SIX: u64 = (1 << 48) - 1;
    const SEVEN: u64 = (1 << 56) - 1;
    let frame = sc.bytes();
    if frame.first() != Some(&b'{') {
        return None;
    }
    let mut quote = 1;
    loop {
        if frame.get(quote) != Some(&b'"') {
            return None;
        }
        let chunk: [u8; 8] = frame.get(quote + 1..quote + 9)?.try_into().ok()?;
        let word = u64::from_le_bytes(chunk);
        let colon = frame.get(quote + 9) == Some(&b':');
        if word == RESULT {
            sc.set_pos(quote + 9);
            return Some((env.channel?, env.event?));
        } else if word & SIX == TIME && env.time_s.is_none() {
            sc.set_pos(quote + 7);
            env.time_s = Some(if TIMES {
                read::uint(sc, "time").ok()?
            } else {
                skip_plain_uint(sc)?;
                0
            });
        } else if word == TIME_MS && colon && env.time_ms.is_none() {
            sc.set_pos(quote + 10);
            env.time_ms = Some(if TIMES {
                read::uint(sc, "time_ms").ok()?
            } else {
                skip_plain_uint(sc)?;
                0
            });
        } else if word == CHANNEL && colon && env.channel_raw.is_none() {
            sc.set_pos(quote + 10);
            let raw = read::word(sc, "channel").ok()?;
            env.channel_raw = Some(raw);
            env.channel = Some(Channel::from_wire(raw)?);
        } else if word & SEVEN == EVENT && env.event.is_none() {
            let at = quote + 8;
            env.event = Some(if frame.get(at..at + 8) == Some(b"\"update\"") {
                sc.set_pos(at + 8);
                Event::Update
            } else {
                sc.set_pos(at);
                event(sc).ok()?
            });
        } else {
            return None;
        }
        let comma = sc.pos();
        if frame.get(comma) != Some(&b',') {
            return None;
        }
        quote = comma + 1;
    }
}

/// Steps over a plain non-negative integer (`0` or digits without a leading zero), where
/// [`Scanner::skip_value`] ends when a `,` follows; `None` for anything else.
#[inline(always)]
pub(super) fn skip_plain_uint(sc: &mut Scanner<'_>) -> Option<()> {
    let at = sc.pos();
    let end = crate::json::digit_run(sc.bytes(), at);
    match sc.bytes().get(at) {
        Some(b'0') if end == at + 1 => {}
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    sc.set_pos(end);
    Some(())
}
