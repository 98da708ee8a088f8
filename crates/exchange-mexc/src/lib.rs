//! `exchange-mexc`: the MEXC spot v3 WebSocket protocol, sans-IO.
//!
//! MEXC spot market data is protobuf only: every binary frame is a
//! `PushDataV3ApiWrapper`, while acks and pongs are JSON text on the same socket
//! (`wss://wbs-api.mexc.com/ws`). This crate turns those bytes into the normalized
//! `market-types` model and typed commands into bytes:
//!
//! - [`decode_push`]: a zero-copy protobuf reader for the wrapper and the hot bodies
//!   ([`AggreDepths`], [`AggreDeals`], [`AggreBookTicker`]); depth levels stream straight
//!   into a book without an intermediate `Vec`. Cold bodies (private, kline, limit depth,
//!   batches) are decoded with the prost types in [`pb`] through [`RawBody::decode`] and
//!   normalized by [`private_event`], [`limit_depth`] and [`book_ticker_batch`].
//! - [`Channel`]: every channel as a closed enum, rendered to and parsed from its exact
//!   string; [`CHANNELS`] holds one [`ChannelSpec`] row per family (topic, private or
//!   not, body, stream kind, [`Decoder`]). [`subscribe`], [`unsubscribe`] and [`ping`]
//!   build the requests.
//! - [`parse_control`]: acks, pongs and errors; the silent `Not Subscribed successfully!
//!   ... Blocked!` refusal becomes [`Error::SubscriptionRejected`], and
//!   [`ControlReply::confirms`] checks an ack against what was asked.
//! - [`RestSigner`]: HMAC-SHA256 signed listen-key and reconciliation requests as
//!   [`ws_session::RestRequest`]s; [`check_reply`] classifies the answers
//!   ([`Error::is_fatal`] for rejected credentials).
//! - [`BookSync`]: the per-symbol local order book (buffer, snapshot, version continuity,
//!   resync of one symbol from an empty book), reporting to a [`BookSink`].
//! - [`MexcPublicWebSocketHandler`] and [`MexcPrivateWebSocketHandler`]: all of the above
//!   composed into `ws_session::Session`s (the refactoring plan's handlers, built from the
//!   `ws-mixins` traits and the `ws-handlers` template), generic over the user's callbacks;
//!   [`MexcPublicParts::shards`] spreads more than 30 channels over a
//!   `ws_core::ConnectionPool`.
//!
//! What it deliberately does not do: **no sockets, no tokio, no clock reads.** Time comes
//! in as [`ws_session::Timestamp`], work goes out through a [`ws_session::Outbox`]; the
//! `ws-core` driver does the IO. Nothing here panics on network input.
//!
//! ```
//! use exchange_mexc::{decode_push, AggInterval, Body, Channel};
//! use market_types::{Price, Quantity, Symbol};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // `aggre_book_ticker_2026doc` from the spec (§1.7.4), 95 bytes.
//! let hex = "0a3473706f74407075626c69632e61676772652e626f6f6b5469636b65722e76332e6170692e\
//!            7062403130306d7340425443555344541a074254435553445430c8f6b4ecdf33da13160a0331\
//!            30301201342a05313030323330dcd6b4ecdf33";
//! let frame: Vec<u8> = (0..hex.len())
//!     .step_by(2)
//!     .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
//!     .collect::<Result<_, _>>()?;
//!
//! let push = decode_push(&frame)?;
//! let btc = Symbol::new("BTCUSDT")?;
//! assert_eq!(
//!     Channel::parse(push.header.channel)?,
//!     Channel::AggreBookTicker { symbol: btc, interval: AggInterval::Ms100 }
//! );
//! let Body::AggreBookTicker(body) = push.body else { return Err("not a book ticker".into()) };
//! let ticker = body.to_book_ticker(push.header.symbol()?, push.header.event_time_ms());
//! let bid = ticker.bid.ok_or("no bid")?;
//! assert_eq!((bid.price, bid.quantity), (Price::parse("100")?, Quantity::parse("4")?));
//! assert_eq!(ticker.ask, None);
//! assert_eq!(ticker.update_id, Some(10023));
//! assert_eq!(ticker.exchange_time_ms, 1_778_075_384_648);
//!
//! let request = exchange_mexc::subscribe(&[Channel::AggreDepth { symbol: btc, interval: AggInterval::Ms10 }], 1)?;
//! assert_eq!(
//!     request,
//!     ws_session::OutFrame::text(
//!         r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT"],"id":1}"#
//!     )
//! );
//! # Ok(())
//! # }
//! ```
//!
//! No cargo features: every module is core. The prost code in [`pb`] is generated from
//! the workspace's `proto/` directory and committed; `tests/proto_codegen.rs` keeps it in
//! step without needing `protoc`.

// The modules form layers; each uses only modules of the layers before it:
// error, pb, config → body, rest, auth → channel → wire, subscription →
// event, control, book_sync → handler.
mod auth;
mod body;
mod book_sync;
mod channel;
mod config;
mod connector;
mod control;
mod error;
mod event;
pub mod futures;
mod handler;
#[allow(
    clippy::large_enum_variant,
    reason = "prost-generated oneof; regenerate from proto/ rather than edit"
)]
pub mod pb;
mod rest;
mod subscription;
mod synced_books;
mod venue_clock;
mod wire;

#[doc(hidden)]
pub use crate::handler::fuzz_reconcile_parsers;
pub use auth::{API_KEY_HEADER, RestSigner};
pub use book_sync::{BookSink, BookSync, BookSyncStats};
pub use channel::{
    AggInterval, CHANNELS, Channel, ChannelSpec, Decoder, DepthLimit, KlineInterval,
};
pub use config::{BookSyncConfig, Credentials, Endpoints, MexcConfig, REST_URL, WS_URL};
pub use connector::MexcSpot;
pub use control::refused_channels;
pub use control::{ControlReply, parse_control};
pub use error::Error;
pub use event::{LimitDepth, balance, book_ticker_batch, fill, limit_depth, order, private_event};
pub use handler::{
    ContextOverrides, ListenKeyLifecycle, ListenKeyPurpose, ListenKeyReply, ListenKeyReuse,
    MexcHandlerConfig, MexcPrivateParts, MexcPrivateWebSocketHandler, MexcPublicCommand,
    MexcPublicParts, MexcPublicWebSocketHandler, MexcSubscriptionFormat, POOL_CONNECT_LIMIT,
    PrivateCounters, PublicCounters, RECONNECTION_POLICY,
};
pub use rest::{
    DepthSnapshot, check_reply, depth_snapshot_request, parse_depth_snapshot, parse_listen_key,
    parse_listen_keys,
};
pub use subscription::{MAX_SUBSCRIPTIONS_PER_CONNECTION, check_ack, ping, subscribe, unsubscribe};
pub use synced_books::{BookSyncError, SyncedBooks};
pub use venue_clock::venue_clock;
pub use wire::{
    AggreBookTicker, AggreDeal, AggreDeals, AggreDepths, Body, BodyKind, Deals, DepthLevel,
    DepthLevels, Push, PushHeader, RawBody, decode_push, decode_wrapper, stream_kind,
};
