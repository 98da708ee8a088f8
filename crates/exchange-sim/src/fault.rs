//! The faults the simulator core can inject, independent of the venue.

use std::time::Duration;

/// A fault applied to open WebSocket connections by
/// [`Simulator::inject`](crate::Simulator::inject) or
/// [`Simulator::inject_to`](crate::Simulator::inject_to).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Close the TCP connection at once, without a close frame: the client reads EOF (1006).
    Drop,
    /// Send a close frame with an empty payload (the client sees 1005), then close.
    CloseNoStatus,
    /// Send a close frame with this code and reason, then close.
    Close {
        /// The close code put on the wire as is (not checked).
        code: u16,
        /// The close reason (UTF-8, at most 123 bytes to stay a valid control frame).
        reason: String,
    },
    /// Keep the socket open but send nothing more and answer nothing (no pongs, no venue
    /// replies) until the client goes away or the simulator shuts down. Only [`Fault::Drop`]
    /// still applies to a stalled connection.
    Stall,
    /// Send one malformed frame, then carry on normally.
    Malformed(MalformedKind),
    /// Send one text frame of exactly this many bytes (ASCII `x`), then carry on.
    Oversize(usize),
    /// Send one text frame with exactly this payload, then carry on: a venue-shaped frame
    /// broken on purpose (a book update cut short, say), which [`Fault::Malformed`]'s
    /// venue-independent payloads cannot be.
    Text(String),
    /// Send a protocol-level ping frame with this payload (at most 125 bytes); the client
    /// must answer with a pong, counted in [`SimStats::pongs_received`](crate::SimStats).
    Ping(Vec<u8>),
}

/// Which malformed frame [`Fault::Malformed`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MalformedKind {
    /// A text frame that is valid UTF-8 but not JSON.
    InvalidJson,
    /// A text frame holding a JSON object cut off in the middle.
    TruncatedJson,
    /// A binary frame of bytes that are not JSON nor UTF-8.
    BinaryGarbage,
    /// A text frame whose payload is not valid UTF-8 (a protocol violation on purpose).
    InvalidUtf8,
    /// A text frame with an empty payload.
    Empty,
}

impl MalformedKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 5] = [
        Self::InvalidJson,
        Self::TruncatedJson,
        Self::BinaryGarbage,
        Self::InvalidUtf8,
        Self::Empty,
    ];

    /// The exact payload bytes put on the wire, so tests can compare.
    pub fn payload(self) -> &'static [u8] {
        match self {
            Self::InvalidJson => b"this is {not json]",
            Self::TruncatedJson => br#"{"topic":"sim","seq":1,"data":"trunc"#,
            Self::BinaryGarbage => &[0x00, 0xff, 0xfe, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef],
            Self::InvalidUtf8 => &[b'{', 0xc3, 0x28, 0xa0, 0xa1, b'}'],
            Self::Empty => b"",
        }
    }

    /// Whether the frame is sent as binary (otherwise text).
    pub fn is_binary(self) -> bool {
        matches!(self, Self::BinaryGarbage)
    }
}

/// A fault for the next connection attempts, set with
/// [`Simulator::set_accept_fault`](crate::Simulator::set_accept_fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcceptFault {
    /// Answer the WebSocket upgrade request with this status (e.g. 429) and an optional
    /// `Retry-After` header, instead of `101`.
    HttpStatus {
        /// The HTTP status; an invalid code becomes 500.
        status: u16,
        /// Seconds to put in `Retry-After`, if any.
        retry_after_secs: Option<u64>,
    },
    /// Accept the TCP connection and close it at once, before TLS or HTTP. This applies to
    /// the next TCP connections whatever they carry (REST requests too).
    Refuse,
    /// Wait this long before answering the upgrade request, then accept it.
    Slow(Duration),
    /// Accept the upgrade, then close at once with a close frame without status (1005),
    /// as a venue that turns every new connection away does.
    CloseNoStatus,
}

/// A fault for the next plain HTTP (REST) requests, set with
/// [`Simulator::set_http_fault`](crate::Simulator::set_http_fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpFault {
    /// Answer with this status (e.g. 429) and an optional `Retry-After` header.
    HttpStatus {
        /// The HTTP status; an invalid code becomes 500.
        status: u16,
        /// Seconds to put in `Retry-After`, if any.
        retry_after_secs: Option<u64>,
    },
    /// Wait this long, then answer normally.
    Slow(Duration),
}
