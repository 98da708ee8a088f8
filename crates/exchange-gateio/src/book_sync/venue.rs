//! What Gate.io's book sync does differently: `U == last_u + 1` continuity that admits
//! overlaps, `full: true` pushes, buffered pushes kept as raw level text, the
//! `order_book?with_id=true` snapshot.

use core::convert::Infallible;

use market_types::{OrderBook, Price, Quantity, ResyncReason, Side, Symbol, Venue};
use ws_handlers::{BookPush, BookVenue, Continuity, Rejection, SnapshotFailure};
use ws_session::{RestMethod, RestRequest, RestRequestId, RestResponse};

use crate::channel::{BookDepth, Market};
use crate::json::Fault;
use crate::wire::{BookSnapshot, OrderBookUpdate, RawLevels, parse_snapshot};

/// Gate.io's half of [`ws_handlers::BookSync`]: one market at one stream depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateioBooks {
    /// Spot or futures.
    pub(super) market: Market,
    /// REST base up to `/api/v4`.
    pub(super) rest_base: String,
    /// Stream depth; also the snapshot's `limit`.
    pub(super) depth: BookDepth,
}

impl BookPush for OrderBookUpdate<'_> {
    #[inline]
    fn symbol(&self) -> Symbol {
        self.symbol
    }

    #[inline]
    fn first_id(&self) -> u64 {
        self.first_update_id.unwrap_or(self.last_update_id)
    }

    #[inline]
    fn last_id(&self) -> u64 {
        self.last_update_id
    }

    #[inline]
    fn time_ms(&self) -> u64 {
        self.time_ms
    }

    #[inline]
    fn is_full(&self) -> bool {
        self.full
    }
}

/// Bytes of the length prefix in front of a buffered push's bid text.
const PREFIX: usize = 8;

impl BookVenue for GateioBooks {
    type Push<'a> = OrderBookUpdate<'a>;
    type Snapshot<'a> = BookSnapshot<'a>;
    type Stored = u8;
    type DecodeError = Infallible;

    const BACK_OFF_ON_BAD_DATA: bool = false;
    const REQUEST_ON_PUSH: bool = false;
    const REPORT_REPLAYED: bool = false;
    const RECONNECT_RESYNCS: bool = true;

    fn venue(&self) -> Venue {
        self.market.venue()
    }

    fn snapshot_request(&self, symbol: Symbol, id: RestRequestId) -> RestRequest {
        let (path, key) = match self.market {
            Market::Spot => ("/spot/order_book", "currency_pair"),
            Market::Futures => ("/futures/usdt/order_book", "contract"),
        };
        let url = format!(
            "{}{path}?{key}={}&limit={}&with_id=true",
            self.rest_base,
            encode_query(symbol.as_str()),
            self.depth.levels()
        );
        RestRequest {
            id,
            method: RestMethod::Get,
            url,
            headers: Vec::new(),
            body: bytes::Bytes::new(),
        }
    }

    fn parse_snapshot<'a>(
        &self,
        response: &'a RestResponse,
    ) -> Result<BookSnapshot<'a>, SnapshotFailure> {
        let reply = match &response.result {
            Ok(reply) => reply,
            Err(failure) => {
                tracing::debug!(?failure, "order book snapshot request failed");
                return Err(SnapshotFailure::Failed);
            }
        };
        if reply.status == 429 {
            return Err(SnapshotFailure::RateLimited(reply.retry_after));
        }
        if reply.status != 200 {
            tracing::debug!(status = reply.status, "order book snapshot HTTP error");
            return Err(SnapshotFailure::Failed);
        }
        parse_snapshot(&reply.body).map_err(|error| {
            tracing::debug!(%error, "undecodable order book snapshot");
            SnapshotFailure::Failed
        })
    }

    fn snapshot_ids(snapshot: &BookSnapshot<'_>) -> (u64, u64) {
        (snapshot.update_id, snapshot.time_ms.unwrap_or(0))
    }

    fn load_snapshot(
        book: &mut OrderBook,
        snapshot: &BookSnapshot<'_>,
    ) -> Result<(), ResyncReason> {
        load(book, snapshot.bids, snapshot.asks, snapshot.update_id)
    }

    fn load_full(book: &mut OrderBook, push: &OrderBookUpdate<'_>) -> Result<(), ResyncReason> {
        load(book, push.bids, push.asks, push.last_update_id)
    }

    /// `u <= last` is old; `U > last + 1` is a gap; otherwise apply (`U <= last` overlaps
    /// ids already applied, harmless with absolute amounts, as the venue's SDK does).
    #[inline]
    fn continuity(current: u64, first: u64, last: u64, _aligned: bool) -> Continuity {
        let expected = current.saturating_add(1);
        if last <= current {
            Continuity::Skip
        } else if first > expected {
            Continuity::Break {
                reason: ResyncReason::Gap {
                    expected,
                    received: first,
                },
                back_off: false,
            }
        } else {
            Continuity::Apply {
                overlap: first < expected,
            }
        }
    }

    #[inline]
    fn apply_push(
        book: &mut OrderBook,
        push: &OrderBookUpdate<'_>,
    ) -> Result<(), Rejection<Infallible>> {
        apply_side(book, Side::Buy, push.bids).map_err(Rejection::Book)?;
        apply_side(book, Side::Sell, push.asks).map_err(Rejection::Book)
    }

    fn stored_len(push: &OrderBookUpdate<'_>) -> usize {
        PREFIX
            .saturating_add(push.bids.as_bytes().len())
            .saturating_add(push.asks.as_bytes().len())
    }

    fn store(push: &OrderBookUpdate<'_>, into: &mut Vec<u8>) -> Result<(), Infallible> {
        let bids = push.bids.as_bytes();
        into.extend_from_slice(&(bids.len() as u64).to_le_bytes());
        into.extend_from_slice(bids);
        into.extend_from_slice(push.asks.as_bytes());
        Ok(())
    }

    fn apply_stored(book: &mut OrderBook, stored: &[u8]) -> Result<(), ResyncReason> {
        let (prefix, text) = stored.split_at_checked(PREFIX).unwrap_or((&[], &[]));
        let bids_len = <[u8; PREFIX]>::try_from(prefix)
            .ok()
            .and_then(|bytes| usize::try_from(u64::from_le_bytes(bytes)).ok())
            .ok_or(ResyncReason::InvalidUpdate)?;
        let (bids, asks) = text
            .split_at_checked(bids_len)
            .ok_or(ResyncReason::InvalidUpdate)?;
        apply_side(book, Side::Buy, RawLevels::from_json(bids))?;
        apply_side(book, Side::Sell, RawLevels::from_json(asks))
    }
}

#[inline]
fn apply_side(book: &mut OrderBook, side: Side, levels: RawLevels<'_>) -> Result<(), ResyncReason> {
    let mut iter = levels.iter();
    loop {
        match iter.next_level() {
            Ok(Some((price, size))) => {
                book.apply(side, price, size)
                    .map_err(|e| e.resync_reason())?;
            }
            Ok(None) => return Ok(()),
            Err(fault) => {
                tracing::debug!(error = %iter.error(fault), "undecodable book level");
                return Err(ResyncReason::InvalidUpdate);
            }
        }
    }
}

/// Loads a snapshot (or full push); on any problem the book is left empty.
fn load(
    book: &mut OrderBook,
    bids: RawLevels<'_>,
    asks: RawLevels<'_>,
    id: u64,
) -> Result<(), ResyncReason> {
    let mut bid_fault = None;
    let mut ask_fault = None;
    let loaded = book.load_snapshot(
        Decoded {
            iter: bids.iter(),
            fault: &mut bid_fault,
        },
        Decoded {
            iter: asks.iter(),
            fault: &mut ask_fault,
        },
        id,
    );
    if let Err(error) = loaded {
        return Err(error.resync_reason());
    }
    if bid_fault.is_some() || ask_fault.is_some() {
        book.clear();
        return Err(ResyncReason::SnapshotFailed);
    }
    if book.is_crossed() {
        book.clear();
        return Err(ResyncReason::Crossed);
    }
    Ok(())
}

/// Levels for `load_snapshot`, stopping at the first undecodable one (recorded).
struct Decoded<'a, 'f> {
    iter: crate::wire::LevelIter<'a>,
    fault: &'f mut Option<Fault>,
}

impl Iterator for Decoded<'_, '_> {
    type Item = (Price, Quantity);

    fn next(&mut self) -> Option<(Price, Quantity)> {
        if self.fault.is_some() {
            return None;
        }
        match self.iter.next_level() {
            Ok(level) => level,
            Err(fault) => {
                *self.fault = Some(fault);
                None
            }
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
