//! MEXC USDT-M perpetual futures ("contract"), public protocol, sans-IO (spec §2).
//!
//! A separate market from spot: JSON text frames on `wss://contract.mexc.com/edge`
//! ([`WS_URL`]), gzip binary frames when the venue compresses, version-numbered depth.
//! It runs on the shared machinery ([`ws_handlers::BookSync`] for books, the
//! [`json_scan`] scanner for decoding) rather than on the spot code.
//!
//! - [`decode`] / [`decode_binary`]: one frame into a [`Frame`], allocation-free: the
//!   envelope `{"channel","data","symbol","ts"}` in any member order (`ts` a number or a
//!   string), then the body: [`DepthPush`] (`push.depth`, `push.depth.full`; levels
//!   `[price, contracts, orderCount]` as JSON numbers read exactly into `Price`/`Quantity`
//!   when applied), [`DealsPush`] (`push.deal`, one object or an array), [`TickerPush`]
//!   (`push.ticker`), and the controls: `pong`, `rs.sub.<name>`, `rs.unsub.<name>`,
//!   `rs.login`, `rs.error` ([`VenueRefusal::to_error`] gives
//!   [`FuturesError::UnknownContract`] naming the contract). Other channels (the private
//!   `push.personal.*`) come back raw as [`Frame::Other`]. Binary frames are gunzipped
//!   into a reused, bounded buffer ([`Inflater`]).
//! - [`subscribe`], [`unsubscribe`], [`ping`]: the requests, for a [`FuturesChannel`];
//!   depth is asked for with `"compress":false` (every version) and `"gzip":false`.
//! - REST: [`depth_snapshot_request`] / [`parse_depth_snapshot`] (enveloped
//!   `{"success","code","data"}` or bare), [`depth_commits_request`] /
//!   [`parse_depth_commits`], and [`contract_detail_request`] /
//!   [`parse_contract_details`] for [`ContractDetail::contract_size`]: sizes on the wire
//!   are integers of contracts; `contracts × contract_size` is the base amount.
//! - [`FuturesBookSync`]: the per-contract local book (buffered pushes aligned by
//!   version, then `version == previous + 1`; a gap resyncs only that contract from an
//!   empty book and a fresh snapshot; trimmed to the configured depth), reporting to a
//!   [`BookSink`].
//!
//! The normalized events take a [`market_types::Venue`] from the caller
//! ([`Deal::to_trade`], [`FuturesTicker::to_ticker`], [`FuturesBookSync::new`]), so the
//! market's own venue value can be passed once it exists.
//!
//! ```
//! use exchange_mexc::futures::{decode, Frame};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let frame = br#"{"channel":"push.deal","data":{"M":1,"O":1,"T":1,"p":6866.5,"t":1587442049632,"v":2096},"symbol":"BTC_USDT","ts":1587442022003}"#;
//! let Frame::Deals(push) = decode(frame)? else { return Err("not a deal".into()) };
//! let mut prices = Vec::new();
//! push.for_each(|deal| prices.push(deal.price.to_string()))?;
//! assert_eq!(prices, ["6866.5"]);
//! # Ok(())
//! # }
//! ```

mod book;
mod connector;
mod error;
mod handler;
pub mod private;
mod request;
mod rest;
mod wire;

pub use book::{BookSink, BookSyncStats, FuturesBookSync, FuturesBooks};
pub use connector::MexcFutures;
pub use error::FuturesError;
pub use handler::{
    FuturesHandlerConfig, FuturesPrivateCounters, FuturesPublicCommand, FuturesPublicCounters,
    MexcFuturesPrivateHandler, MexcFuturesPrivateParts, MexcFuturesPublicHandler,
    MexcFuturesPublicParts,
};
pub use request::{DepthFullLimit, FuturesChannel, PING, ping, subscribe, unsubscribe};
pub use rest::{
    CONTRACT_DETAIL, ContractDetail, DEPTH, DEPTH_COMMITS, DepthSnapshot, REST_URL, check_reply,
    contract_detail_request, depth_commits_request, depth_snapshot_request, parse_contract_details,
    parse_depth_commits, parse_depth_snapshot,
};
pub use wire::{
    Deal, DealsPush, DepthData, DepthLevel, DepthPush, Frame, FuturesTicker, Inflater,
    MAX_INFLATED, RawPush, TickerPush, VenueRefusal, decode, decode_binary,
};

/// The public futures WebSocket endpoint.
pub const WS_URL: &str = "wss://contract.mexc.com/edge";

#[cfg(test)]
mod tests;
