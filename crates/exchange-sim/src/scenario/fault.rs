//! Venue-independent fault kinds, and what each becomes on each venue's wire.

use std::fmt;

use market_types::{Symbol, Venue};

use super::{Scenario, ScenarioError, VenuePaths, gate_market};
use crate::fault::{AcceptFault, Fault, HttpFault};
use crate::gateio::GateioFault;
use crate::mexc::{MexcFault, PbDefect};
use crate::mexc_futures::MexcFuturesFault;

/// Requests a rate-limit fault turns away: enough that a client must back off, few
/// enough that it recovers within a demo's fault interval.
const RATE_LIMITED_REQUESTS: u32 = 4;

/// The `Retry-After` a rate-limit fault sends, in seconds.
const RETRY_AFTER_SECS: u64 = 1;

/// A fault [`Scenario::inject`] applies to one venue: to its open connections, to one
/// book's stream, or to its next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultKind {
    /// Every connection of the venue is dropped without a close frame (a network loss).
    Drop,
    /// Every connection of the venue is closed with a close frame without status (1005).
    CloseNoStatus,
    /// Every connection of the venue stops sending and answering; the client's idle
    /// timer must notice.
    Stall,
    /// One malformed data frame: a broken protobuf frame before the next depth push on
    /// MEXC spot (whose data is protobuf), a book update cut short on every connection of
    /// the other venues. The client skips it and counts it as an error.
    Malformed,
    /// The book's stream skips an update id; only a new snapshot recovers.
    Gap,
    /// The book's last update is sent again (Gate.io, MEXC futures).
    Duplicate,
    /// The book's next REST snapshot is stale, and its stream skips an id so the client
    /// asks for one: the client must notice and ask again.
    StaleSnapshot,
    /// One update crosses the book (MEXC spot, Gate.io); the client must resync.
    Crossed,
    /// One update carries the whole book instead of changes (Gate.io).
    FullBookPush,
    /// Two updates arrive in the wrong order (Gate.io); the first one seen leaves a gap.
    OutOfOrder,
    /// The venue's next REST requests answer 429 with `Retry-After`, and its connections
    /// drop so the client needs snapshots.
    RestRateLimited,
    /// The venue's next connection attempts answer 429 with `Retry-After`, and its
    /// connections drop.
    HandshakeRateLimited,
}

impl FaultKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 12] = [
        Self::Drop,
        Self::CloseNoStatus,
        Self::Stall,
        Self::Malformed,
        Self::Gap,
        Self::Duplicate,
        Self::StaleSnapshot,
        Self::Crossed,
        Self::FullBookPush,
        Self::OutOfOrder,
        Self::RestRateLimited,
        Self::HandshakeRateLimited,
    ];

    /// A short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drop => "drop",
            Self::CloseNoStatus => "close-1005",
            Self::Stall => "stall",
            Self::Malformed => "malformed",
            Self::Gap => "gap",
            Self::Duplicate => "duplicate",
            Self::StaleSnapshot => "stale-snapshot",
            Self::Crossed => "crossed",
            Self::FullBookPush => "full-book-push",
            Self::OutOfOrder => "out-of-order",
            Self::RestRateLimited => "rest-429",
            Self::HandshakeRateLimited => "handshake-429",
        }
    }

    /// Whether the fault acts on one book's stream (so the symbol matters).
    pub fn targets_book(self) -> bool {
        matches!(
            self,
            Self::Gap
                | Self::Duplicate
                | Self::StaleSnapshot
                | Self::Crossed
                | Self::FullBookPush
                | Self::OutOfOrder
        )
    }

    /// Whether `venue`'s simulator can make this fault.
    pub fn supported_on(self, venue: Venue) -> bool {
        match self {
            Self::Duplicate => venue != Venue::MexcSpot,
            Self::Crossed => venue != Venue::MexcFutures,
            Self::FullBookPush | Self::OutOfOrder => {
                matches!(venue, Venue::GateioSpot | Venue::GateioFutures)
            }
            _ => true,
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the venue-specific faults a kind becomes.
enum VenueFault {
    Mexc(MexcFault),
    Futures(MexcFuturesFault),
    Gate(GateioFault),
}

impl Scenario {
    /// Applies `kind` to `venue`: connection faults reach every open connection of the
    /// venue (`symbol` is not used), book faults the stream of `symbol` (the venue's
    /// spelling). Returns how many connections the fault reached now (0 for a fault of
    /// a book's stream, which waits for the stream's next step).
    pub fn inject(
        &self,
        venue: Venue,
        symbol: &str,
        kind: FaultKind,
    ) -> Result<usize, ScenarioError> {
        if !self.has(venue) {
            return Err(ScenarioError::NotStarted(venue));
        }
        if !kind.supported_on(venue) {
            return Err(ScenarioError::Unsupported { venue, kind });
        }
        let paths = VenuePaths::of(venue);
        let ws = paths.ws();
        let connections = |fault: Fault| self.sim.inject_under(&ws, fault);
        match kind {
            FaultKind::Drop => return Ok(connections(Fault::Drop)),
            FaultKind::CloseNoStatus => return Ok(connections(Fault::CloseNoStatus)),
            FaultKind::Stall => return Ok(connections(Fault::Stall)),
            FaultKind::Malformed => {
                if let Some(frame) = cut_book_update(venue) {
                    return Ok(connections(Fault::Text(frame.to_owned())));
                }
            }
            FaultKind::RestRateLimited => {
                let fault = HttpFault::HttpStatus {
                    status: 429,
                    retry_after_secs: Some(RETRY_AFTER_SECS),
                };
                self.sim
                    .set_http_fault_under(&paths.rest_requests(), fault, RATE_LIMITED_REQUESTS);
                return Ok(connections(Fault::Drop));
            }
            FaultKind::HandshakeRateLimited => {
                let fault = AcceptFault::HttpStatus {
                    status: 429,
                    retry_after_secs: Some(RETRY_AFTER_SECS),
                };
                self.sim
                    .set_accept_fault_under(&ws, fault, RATE_LIMITED_REQUESTS);
                return Ok(connections(Fault::Drop));
            }
            _ => {}
        }
        for fault in book_faults(venue, symbol, kind)? {
            self.apply(venue, fault)?;
        }
        Ok(0)
    }

    fn apply(&self, venue: Venue, fault: VenueFault) -> Result<(), ScenarioError> {
        let refused = |reason: String| ScenarioError::Refused { venue, reason };
        match fault {
            VenueFault::Mexc(fault) => self
                .mexc
                .as_ref()
                .ok_or(ScenarioError::NotStarted(venue))?
                .inject(fault)
                .map_err(|e| refused(e.to_string())),
            VenueFault::Futures(fault) => self
                .futures
                .as_ref()
                .ok_or(ScenarioError::NotStarted(venue))?
                .inject(fault)
                .map_err(|e| refused(e.to_string())),
            VenueFault::Gate(fault) => self
                .gate
                .as_ref()
                .ok_or(ScenarioError::NotStarted(venue))?
                .inject(fault)
                .map_err(|e| refused(e.to_string())),
        }
    }
}

/// The venue faults that make `kind` on `symbol`'s stream, in the order to inject them.
fn book_faults(
    venue: Venue,
    symbol: &str,
    kind: FaultKind,
) -> Result<Vec<VenueFault>, ScenarioError> {
    let unsupported = ScenarioError::Unsupported { venue, kind };
    if let Some(market) = gate_market(venue) {
        let symbol = symbol.to_owned();
        let fault = |make: fn(crate::gateio::Market, String) -> GateioFault| {
            VenueFault::Gate(make(market, symbol.clone()))
        };
        return Ok(match kind {
            FaultKind::Gap => vec![fault(|market, symbol| GateioFault::SequenceGap {
                market,
                symbol,
            })],
            FaultKind::Duplicate => vec![fault(|market, symbol| GateioFault::Duplicate {
                market,
                symbol,
            })],
            FaultKind::Crossed => vec![fault(|market, symbol| GateioFault::CrossedUpdate {
                market,
                symbol,
            })],
            FaultKind::OutOfOrder => vec![fault(|market, symbol| GateioFault::OutOfOrder {
                market,
                symbol,
            })],
            FaultKind::FullBookPush => vec![fault(|market, symbol| GateioFault::FullPush {
                market,
                symbol,
            })],
            FaultKind::StaleSnapshot => vec![
                fault(|market, symbol| GateioFault::StaleSnapshot {
                    market,
                    symbol,
                    count: 1,
                }),
                fault(|market, symbol| GateioFault::SequenceGap { market, symbol }),
            ],
            _ => return Err(unsupported),
        });
    }
    let symbol = Symbol::new(symbol).map_err(|e| ScenarioError::Refused {
        venue,
        reason: format!("'{symbol}' is not a symbol: {e}"),
    })?;
    Ok(match (venue, kind) {
        (Venue::MexcSpot, FaultKind::Gap) => {
            vec![VenueFault::Mexc(MexcFault::VersionGap { symbol })]
        }
        (Venue::MexcSpot, FaultKind::Crossed) => {
            vec![VenueFault::Mexc(MexcFault::CrossedUpdate { symbol })]
        }
        (Venue::MexcSpot, FaultKind::Malformed) => vec![VenueFault::Mexc(
            MexcFault::MalformedProtobuf(PbDefect::OverlongVarint),
        )],
        (Venue::MexcSpot, FaultKind::StaleSnapshot) => vec![
            VenueFault::Mexc(MexcFault::StaleSnapshot { symbol, count: 1 }),
            VenueFault::Mexc(MexcFault::VersionGap { symbol }),
        ],
        (Venue::MexcFutures, FaultKind::Gap) => {
            vec![VenueFault::Futures(MexcFuturesFault::VersionGap { symbol })]
        }
        (Venue::MexcFutures, FaultKind::Duplicate) => {
            vec![VenueFault::Futures(MexcFuturesFault::DuplicateDepth {
                symbol,
            })]
        }
        (Venue::MexcFutures, FaultKind::StaleSnapshot) => vec![
            VenueFault::Futures(MexcFuturesFault::StaleSnapshot { symbol, count: 1 }),
            VenueFault::Futures(MexcFuturesFault::VersionGap { symbol }),
        ],
        _ => return Err(unsupported),
    })
}

/// A book update of `venue`'s JSON protocol cut off inside its body: the envelope says
/// what it is, so a client routes it to its parser, which must fail. `None` for MEXC spot,
/// whose data frames are protobuf.
fn cut_book_update(venue: Venue) -> Option<&'static str> {
    match venue {
        Venue::GateioSpot => Some(
            r#"{"time":1700000000,"time_ms":1700000000000,"channel":"spot.order_book_update","event":"update","result":{"t":1700000000000,"s":"BTC_USDT","U":"#,
        ),
        Venue::GateioFutures => Some(
            r#"{"time":1700000000,"time_ms":1700000000000,"channel":"futures.order_book_update","event":"update","result":{"t":1700000000000,"s":"BTC_USDT","U":"#,
        ),
        Venue::MexcFutures => Some(r#"{"channel":"push.depth","data":{"asks":[[1"#),
        Venue::MexcSpot => None,
    }
}
