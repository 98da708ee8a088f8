//! Binary frames: a zero-copy protobuf reader for `PushDataV3ApiWrapper` and the hot bodies.
//!
//! Every binary frame is one serialized `PushDataV3ApiWrapper` (spec §1.7.1). The wrapper
//! and the three hot bodies — `publicAggreDepths` (313), `publicAggreDeals` (314) and
//! `publicAggreBookTicker` (315) — are read here without allocating: strings are borrowed
//! from the frame, decimals are parsed straight from the bytes and depth levels are streamed
//! to the caller one by one. Every other body is handed out as a [`RawBody`] for prost
//! ([`RawBody::decode`]).
//!
//! Unknown fields of wire types 0, 1, 2 and 5 are skipped (MEXC adds fields over time).
//! Truncated or overlong varints, lengths past the end, groups, field number 0, invalid
//! UTF-8 and known fields with the wrong wire type are typed [`Error`](crate::Error)s; nothing here
//! panics on any input.
//!
//! The common shapes take straight-line fast paths: one-byte keys, lengths and varints,
//! multi-byte varints eight bytes at a time, and a depth level written as
//! `0a|12 len 0a plen price 12 qlen quantity`. Each falls back to the general reader for
//! anything else, so the errors are always the general reader's.
//!
//! Raw sample (`aggre_book_ticker_2026doc`, spec §1.7.4, 95 bytes):
//! `0a 34 "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"` · `1a 07 "BTCUSDT"` ·
//! `30 c8f6b4ecdf33` · `da 13 16` → `0a 03 "100"` · `12 01 "4"` · `2a 05 "10023"` ·
//! `30 dcd6b4ecdf33`.

// Layers: numbers and the reader, then one module per hot body, then the
// wrapper (push), which also reads the channel in a header.
mod book_ticker;
mod deals;
mod depth;
mod numbers;
mod push;
mod reader;

pub use self::book_ticker::AggreBookTicker;
pub use self::deals::{AggreDeal, AggreDeals, Deals};
pub use self::depth::{AggreDepths, DepthLevel, DepthLevels};
pub(crate) use self::numbers::{parse_price, parse_quantity, parse_u64, trade_side};
pub use self::push::{Body, Push, PushHeader, decode_push, decode_wrapper, stream_kind};
pub(crate) use self::reader::Reader;
// The body oneof moved below the channels; kept reachable here for existing paths.
pub use crate::body::{BodyKind, RawBody};

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests;
