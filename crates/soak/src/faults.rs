//! The faults the soak injects, in a fixed cycle. Every one is bounded: a one-shot event,
//! or a count of affected attempts or requests, or a setting the next fault (or the next
//! checkpoint) takes back.

use exchange_sim::gateio::{GateioFault, Market};
use exchange_sim::mexc::{MexcFault, PbDefect};
use exchange_sim::mexc_futures::MexcFuturesFault;
use exchange_sim::{AcceptFault, Fault, HttpFault, MalformedKind};
use market_types::Symbol;

use crate::venues::Sim;

/// One step of the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoakFault {
    /// Every connection dropped without a close frame.
    Drop,
    /// Every connection closed with a close frame without status (1005).
    CloseNoStatus,
    /// Every connection stops sending and answering (the client's idle timer must notice).
    Stall,
    /// MEXC spot BTCUSDT skips a version, after its next snapshot was made stale.
    MexcStaleThenGap,
    /// Gate.io spot BTC_USDT sends its last update again.
    GateDuplicate,
    /// Gate.io spot BTC_USDT skips ids, after its next snapshot was made stale.
    GateStaleThenGap,
    /// MEXC futures: the last depth push again, then a skipped version.
    FuturesDuplicateThenGap,
    /// Gate.io futures: a crossed update.
    GateFuturesCrossed,
    /// A malformed frame on every connection, and a malformed protobuf frame on MEXC spot.
    Malformed,
    /// The next REST requests answer 429 with `Retry-After: 1`, and every connection drops.
    RestRateLimited,
    /// The next connection attempts answer 429 with `Retry-After: 1`; every connection
    /// drops.
    HandshakeRateLimited,
    /// The venues' clocks run 2 s ahead of the client's; every connection drops so the
    /// logins are signed again.
    ClockOffset,
    /// An outage: the next connection attempts are refused; every connection drops.
    Outage,
    /// The next connections are accepted and closed at once with 1005.
    CloseEveryNewConnection,
}

/// The cycle, in order.
pub const CYCLE: [SoakFault; 14] = [
    SoakFault::Drop,
    SoakFault::MexcStaleThenGap,
    SoakFault::GateDuplicate,
    SoakFault::CloseNoStatus,
    SoakFault::GateStaleThenGap,
    SoakFault::FuturesDuplicateThenGap,
    SoakFault::Stall,
    SoakFault::GateFuturesCrossed,
    SoakFault::Malformed,
    SoakFault::RestRateLimited,
    SoakFault::ClockOffset,
    SoakFault::HandshakeRateLimited,
    SoakFault::Outage,
    SoakFault::CloseEveryNewConnection,
];

/// Connection attempts an outage refuses: more than the old attempt limit, across the
/// eight connections.
const OUTAGE_ATTEMPTS: u32 = 24;

impl SoakFault {
    /// A short name for the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Drop => "drop",
            Self::CloseNoStatus => "close 1005",
            Self::Stall => "stall",
            Self::MexcStaleThenGap => "mexc stale snapshot + gap",
            Self::GateDuplicate => "gateio duplicate",
            Self::GateStaleThenGap => "gateio stale snapshot + gap",
            Self::FuturesDuplicateThenGap => "mexc-futures duplicate + gap",
            Self::GateFuturesCrossed => "gateio-futures crossed",
            Self::Malformed => "malformed frames",
            Self::RestRateLimited => "REST 429",
            Self::HandshakeRateLimited => "handshake 429",
            Self::ClockOffset => "clock offset",
            Self::Outage => "outage",
            Self::CloseEveryNewConnection => "1005 on connect",
        }
    }

    /// Injects the fault; an error says why the simulator refused it.
    pub fn inject(self, sim: &Sim) -> Result<(), String> {
        // A clock offset lasts until the next fault.
        sim.mexc.set_clock_offset_ms(0);
        sim.gate.set_clock_offset_ms(0);
        let symbol = |s: &str| Symbol::new(s).map_err(|e| e.to_string());
        match self {
            Self::Drop => {
                sim.sim.inject(Fault::Drop);
            }
            Self::CloseNoStatus => {
                sim.sim.inject(Fault::CloseNoStatus);
            }
            Self::Stall => {
                sim.sim.inject(Fault::Stall);
            }
            Self::MexcStaleThenGap => {
                let btc = symbol("BTCUSDT")?;
                sim.mexc
                    .inject(MexcFault::StaleSnapshot {
                        symbol: btc,
                        count: 1,
                    })
                    .map_err(|e| e.to_string())?;
                sim.mexc
                    .inject(MexcFault::VersionGap { symbol: btc })
                    .map_err(|e| e.to_string())?;
            }
            Self::GateDuplicate => sim
                .gate
                .inject(GateioFault::Duplicate {
                    market: Market::Spot,
                    symbol: "BTC_USDT".into(),
                })
                .map_err(|e| e.to_string())?,
            Self::GateStaleThenGap => {
                sim.gate
                    .inject(GateioFault::StaleSnapshot {
                        market: Market::Spot,
                        symbol: "ETH_USDT".into(),
                        count: 1,
                    })
                    .map_err(|e| e.to_string())?;
                sim.gate
                    .inject(GateioFault::SequenceGap {
                        market: Market::Spot,
                        symbol: "ETH_USDT".into(),
                    })
                    .map_err(|e| e.to_string())?;
            }
            Self::FuturesDuplicateThenGap => {
                let btc = symbol("BTC_USDT")?;
                sim.futures
                    .inject(MexcFuturesFault::DuplicateDepth { symbol: btc })
                    .map_err(|e| e.to_string())?;
                sim.futures
                    .inject(MexcFuturesFault::VersionGap { symbol: btc })
                    .map_err(|e| e.to_string())?;
            }
            Self::GateFuturesCrossed => sim
                .gate
                .inject(GateioFault::CrossedUpdate {
                    market: Market::Futures,
                    symbol: "BTC_USDT".into(),
                })
                .map_err(|e| e.to_string())?,
            Self::Malformed => {
                sim.sim.inject(Fault::Malformed(MalformedKind::InvalidJson));
                sim.mexc
                    .inject(MexcFault::MalformedProtobuf(PbDefect::OverlongVarint))
                    .map_err(|e| e.to_string())?;
            }
            Self::RestRateLimited => {
                sim.sim.set_http_fault(
                    HttpFault::HttpStatus {
                        status: 429,
                        retry_after_secs: Some(1),
                    },
                    4,
                );
                sim.sim.inject(Fault::Drop);
            }
            Self::HandshakeRateLimited => {
                sim.sim.set_accept_fault(
                    AcceptFault::HttpStatus {
                        status: 429,
                        retry_after_secs: Some(1),
                    },
                    4,
                );
                sim.sim.inject(Fault::Drop);
            }
            Self::ClockOffset => {
                sim.mexc.set_clock_offset_ms(2_000);
                sim.gate.set_clock_offset_ms(2_000);
                sim.sim.inject(Fault::Drop);
            }
            Self::Outage => {
                sim.sim
                    .set_accept_fault(AcceptFault::Refuse, OUTAGE_ATTEMPTS);
                sim.sim.inject(Fault::Drop);
            }
            Self::CloseEveryNewConnection => {
                sim.sim.set_accept_fault(AcceptFault::CloseNoStatus, 4);
                sim.sim.inject(Fault::Drop);
            }
        }
        Ok(())
    }
}

/// Takes back every fault that lasts (before a checkpoint lets the books settle).
pub fn clear(sim: &Sim) {
    sim.mexc.set_clock_offset_ms(0);
    sim.gate.set_clock_offset_ms(0);
    sim.sim.set_accept_fault(AcceptFault::Refuse, 0);
    sim.sim
        .set_http_fault(HttpFault::Slow(std::time::Duration::ZERO), 0);
}
