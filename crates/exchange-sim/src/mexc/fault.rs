//! MEXC-specific faults, on top of the core's [`Fault`](crate::Fault)s (a 1005 close is
//! the core's `Fault::CloseNoStatus`).

use market_types::Symbol;

/// A protocol fault for [`MexcVenue::inject`](crate::mexc::MexcVenue::inject). Each
/// injection happens once; injecting twice makes it happen twice.
///
/// Faults that act on "the next aggre.depth push" wait for the next such push that has
/// a subscriber (any symbol, any interval), so inject them once a client is subscribed
/// or before it subscribes; with the generator paused they wait for
/// [`MexcVenue::advance`](crate::mexc::MexcVenue::advance) or
/// [`MexcVenue::resume`](crate::mexc::MexcVenue::resume).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MexcFault {
    /// At the symbol's next generator step, pending windows are pushed, then one version
    /// is applied to the truth but never pushed: the next aggre.depth push of every
    /// interval has `fromVersion` = previous `toVersion` + 2. The REST snapshot includes
    /// the hidden version, so a client that resyncs matches the truth again.
    VersionGap {
        /// The pair.
        symbol: Symbol,
    },
    /// The next `count` REST depth snapshots of the symbol return the book as it is at
    /// injection time (its real levels and `lastUpdateId`), however far the stream has
    /// moved on since. Let the stream move at least one version before the client asks.
    StaleSnapshot {
        /// The pair.
        symbol: Symbol,
        /// How many snapshot requests get the old book.
        count: u32,
    },
    /// One binary frame of [`PbDefect::payload`] bytes, sent just before the next
    /// aggre.depth push, to that push's subscribers. The stream itself stays continuous.
    MalformedProtobuf(PbDefect),
    /// A copy of the next aggre.depth push cut short inside its body (the field-313
    /// length runs past the end of the frame), sent just before the complete push, to
    /// that push's subscribers. The stream itself stays continuous.
    TruncatedProtobuf,
    /// At the symbol's next generator step, pending windows are pushed, then one version
    /// is consumed without changing the truth and pushed on every subscribed aggre.depth
    /// channel of the symbol as `fromVersion = toVersion = v` with one bid a tick above
    /// the best ask (a crossed book). Later pushes continue at `v + 1`, so the versions
    /// stay continuous; only the crossed check reveals it. The bogus level is never
    /// removed by a later push.
    CrossedUpdate {
        /// The pair.
        symbol: Symbol,
    },
    /// The next aggre.depth push carries unknown fields of wire types 0, 1, 2 and 5 in
    /// the wrapper and in the body ([`UNKNOWN_WRAPPER_FIELDS`](crate::mexc::pb::UNKNOWN_WRAPPER_FIELDS),
    /// [`UNKNOWN_BODY_FIELDS`](crate::mexc::pb::UNKNOWN_BODY_FIELDS)). It is otherwise
    /// the real push and must be applied.
    UnknownFields,
}

/// How a [`MexcFault::MalformedProtobuf`] frame is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PbDefect {
    /// `sendTime` (field 6) with a varint of eleven bytes: no valid varint is that long.
    OverlongVarint,
    /// `channel` (field 1) declared 127 bytes long with 5 bytes left in the frame.
    LengthPastEnd,
}

impl PbDefect {
    /// Every defect, in a fixed order.
    pub const ALL: [PbDefect; 2] = [PbDefect::OverlongVarint, PbDefect::LengthPastEnd];

    /// The exact frame payload, so tests can compare.
    pub fn payload(self) -> &'static [u8] {
        match self {
            PbDefect::OverlongVarint => &[
                0x0a, 0x03, b's', b'i', b'm', 0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0x01,
            ],
            PbDefect::LengthPastEnd => &[0x0a, 0x7f, b's', b'p', b'o', b't', b'@'],
        }
    }
}
