//! The venue's clock as seen from here, once for every venue.
//!
//! Signed requests carry a timestamp the venue compares with its own clock (one venue
//! refuses more than 60 s of difference with `REQUEST_EXPIRED`, another answers with a
//! code of its own outside its receive window). A host clock that is off (an NTP step, a VM resume) is not a bad
//! key: [`VenueClock`] measures the difference from the venue's time endpoint and every
//! signer of the connection signs with the corrected time through a shared
//! [`ClockOffset`]. Sans-IO: the handler sends the request [`VenueClock::request`] builds
//! and feeds the answer back; nothing here reads a clock.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use ws_session::{RestFailure, RestMethod, RestReply, RestRequest, RestRequestId, Timestamp};

/// The venue clock minus the local clock, in milliseconds, shared by the signers of one
/// handler (clones see the same value). Zero until measured.
#[derive(Debug, Clone, Default)]
pub struct ClockOffset(Arc<AtomicI64>);

impl ClockOffset {
    /// An offset of zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Venue minus local, ms.
    #[inline]
    pub fn millis(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    /// `now` with its wall-clock part moved to the venue's clock (monotonic unchanged).
    /// Saturates at the ends of the `u64` range.
    pub fn venue_time(&self, now: Timestamp) -> Timestamp {
        let offset_nanos = i128::from(self.millis()).saturating_mul(1_000_000);
        let shifted = i128::from(now.unix_nanos).saturating_add(offset_nanos);
        let unix_nanos = u64::try_from(shifted.max(0)).unwrap_or(u64::MAX);
        Timestamp { unix_nanos, ..now }
    }

    /// The venue's wall-clock ms at local time `now`.
    #[inline]
    pub fn venue_millis(&self, now: Timestamp) -> u64 {
        self.venue_time(now).unix_millis()
    }

    /// The venue's wall-clock seconds at local time `now`.
    #[inline]
    pub fn venue_seconds(&self, now: Timestamp) -> u64 {
        self.venue_time(now).unix_seconds()
    }

    fn set(&self, millis: i64) {
        self.0.store(millis, Ordering::Relaxed);
    }
}

/// Where a venue tells its time: a GET answering `{"<field>": <ms since the epoch>}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeEndpoint {
    /// Absolute URL of the time endpoint.
    pub url: String,
    /// The member holding the time in ms (`server_time`, `serverTime`: the venue's).
    pub field: &'static str,
}

/// What a time answer changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockUpdate {
    /// Measured; `report` is true when the offset is new or moved by at least
    /// [`MATERIAL_CHANGE_MS`] since it was last reported (the handler logs it then).
    Measured {
        /// Venue minus local, ms.
        offset_ms: i64,
        /// Whether to tell the user.
        report: bool,
    },
    /// No usable answer: the offset in force stays (reason for the log).
    Failed(String),
}

impl VenueClock {
    /// Logs what a time answer changed, once per material change, the same way for every
    /// venue and path.
    pub fn report(&self, update: &ClockUpdate, exchange: &'static str) {
        match update {
            ClockUpdate::Measured {
                offset_ms,
                report: true,
            } => tracing::info!(
                exchange,
                offset_ms,
                "venue clock minus local clock; signing with the venue's time"
            ),
            ClockUpdate::Measured { .. } => {}
            ClockUpdate::Failed(reason) => tracing::warn!(
                exchange,
                %reason,
                offset_ms = self.offset().millis(),
                "venue clock not measured; signing with the offset in force"
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Never measured.
    Unmeasured,
    /// A time request is in flight.
    Measuring { id: RestRequestId, sent: Timestamp },
    /// Measured (or tried); the offset in force is used.
    Settled,
    /// The venue said a signed request was too old or too new: measure again.
    Stale,
}

/// The measurement state of one handler's venue clock, and the [`ClockOffset`] its
/// signers share.
pub struct VenueClock {
    endpoint: TimeEndpoint,
    offset: ClockOffset,
    state: State,
    /// The offset last reported to the user.
    reported_ms: Option<i64>,
    /// Measured (or tried) since the last disconnect.
    fresh: bool,
}

impl fmt::Debug for VenueClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VenueClock")
            .field("endpoint", &self.endpoint)
            .field("offset_ms", &self.offset.millis())
            .field("state", &self.state)
            .field("reported_ms", &self.reported_ms)
            .field("fresh", &self.fresh)
            .finish()
    }
}

impl VenueClock {
    /// A clock measured from `endpoint`, offset zero until then.
    pub fn new(endpoint: TimeEndpoint) -> Self {
        Self {
            endpoint,
            offset: ClockOffset::new(),
            state: State::Unmeasured,
            reported_ms: None,
            fresh: false,
        }
    }

    /// The offset the signers read (a clone shares it).
    pub fn offset(&self) -> ClockOffset {
        self.offset.clone()
    }

    /// Whether the clock should be measured before signing (never measured, or stale).
    pub fn needs_measurement(&self) -> bool {
        matches!(self.state, State::Unmeasured | State::Stale)
    }

    /// Whether a venue refused a signed request for its time since the last measurement
    /// (for venues that measure only when told).
    pub fn is_stale(&self) -> bool {
        self.state == State::Stale
    }

    /// Whether a time request is in flight.
    pub fn is_measuring(&self) -> bool {
        matches!(self.state, State::Measuring { .. })
    }

    /// Whether the clock was measured (or tried) on this connection: a refusal a wrong
    /// clock could explain is then definitive.
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// Whether `id` is the time request in flight.
    pub fn owns(&self, id: RestRequestId) -> bool {
        matches!(self.state, State::Measuring { id: own, .. } if own == id)
    }

    /// The venue refused a signed request as expired or outside its window: measure
    /// again (unless a measurement is already in flight).
    pub fn mark_stale(&mut self) {
        if !self.is_measuring() {
            self.state = State::Stale;
        }
    }

    /// The unsigned time request, sent at `now`.
    pub fn request(&mut self, id: RestRequestId, now: Timestamp) -> RestRequest {
        self.state = State::Measuring { id, sent: now };
        RestRequest {
            id,
            method: RestMethod::Get,
            url: self.endpoint.url.clone(),
            headers: Vec::new(),
            body: Default::default(),
        }
    }

    /// The connection closed: an answer still in flight is ignored and the clock is
    /// measured on the next connection if it was never measured.
    pub fn on_disconnected(&mut self) {
        self.fresh = false;
        if self.is_measuring() {
            self.state = if self.reported_ms.is_some() {
                State::Stale
            } else {
                State::Unmeasured
            };
        }
    }

    /// The answer to the time request, received at `now`: the offset is the venue time
    /// minus the midpoint of the round trip. `None` when `id` is not the time request.
    pub fn on_response(
        &mut self,
        id: RestRequestId,
        result: &Result<RestReply, RestFailure>,
        now: Timestamp,
    ) -> Option<ClockUpdate> {
        let State::Measuring { id: own, sent } = self.state else {
            return None;
        };
        if own != id {
            return None;
        }
        // Tried: a venue without a time endpoint is not asked on every connection.
        self.state = State::Settled;
        self.fresh = true;
        let server_ms = match result {
            Ok(reply) if reply.status == 200 => match time_member(&reply.body, self.endpoint.field)
            {
                Some(ms) => ms,
                None => {
                    return Some(ClockUpdate::Failed(format!(
                        "time answer without a numeric {}",
                        self.endpoint.field
                    )));
                }
            },
            Ok(reply) => return Some(ClockUpdate::Failed(format!("HTTP {}", reply.status))),
            Err(failure) => return Some(ClockUpdate::Failed(format!("{failure:?}"))),
        };
        let Some(offset_ms) = offset_ms(sent, now, server_ms) else {
            return Some(ClockUpdate::Failed(format!(
                "venue time {server_ms} ms is more than {} h from the local clock; not used",
                MAX_OFFSET_MS / 3_600_000
            )));
        };
        self.offset.set(offset_ms);
        let report = self
            .reported_ms
            .is_none_or(|last| last.abs_diff(offset_ms) >= MATERIAL_CHANGE_MS);
        if report {
            self.reported_ms = Some(offset_ms);
        }
        Some(ClockUpdate::Measured { offset_ms, report })
    }
}

/// Venue minus local at the midpoint of `sent`..`received`, when within the sanity bound.
fn offset_ms(sent: Timestamp, received: Timestamp, server_ms: u64) -> Option<i64> {
    let sent_ms = i128::from(sent.unix_millis());
    let received_ms = i128::from(received.unix_millis()).max(sent_ms);
    let midpoint = sent_ms + (received_ms - sent_ms) / 2;
    let offset = i128::from(server_ms) - midpoint;
    let offset = i64::try_from(offset).ok()?;
    (offset.unsigned_abs() <= MAX_OFFSET_MS.unsigned_abs()).then_some(offset)
}

/// The unsigned integer of member `field` in a flat JSON object, without a JSON library:
/// the answer is one small object, and anything else is refused.
fn time_member(body: &[u8], field: &str) -> Option<u64> {
    let key = format!("\"{field}\"");
    let start = find(body, key.as_bytes())?.checked_add(key.len())?;
    let rest = body.get(start..)?;
    let rest = trim_start(rest);
    let rest = trim_start(rest.strip_prefix(b":")?);
    // Some venues quote numbers.
    let (rest, quoted) = match rest.strip_prefix(b"\"") {
        Some(inner) => (inner, true),
        None => (rest, false),
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let after = rest.get(digits..)?;
    if quoted && !after.starts_with(b"\"") {
        return None;
    }
    let mut value: u64 = 0;
    for &b in rest.get(..digits)? {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    bytes.get(skip..).unwrap_or_default()
}

/// A change of the offset reported again (ms).
pub const MATERIAL_CHANGE_MS: u64 = 1_000;

/// Offsets beyond a day are taken for a broken answer, not a clock.
pub const MAX_OFFSET_MS: i64 = 86_400_000;

#[cfg(test)]
mod tests;
