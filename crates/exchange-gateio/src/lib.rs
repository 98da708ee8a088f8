//! Gate.io spot and USDT-settled futures over WebSocket v4: the sans-IO protocol core.
//!
//! This crate turns Gate frames into typed events and typed commands into frames, and
//! keeps local order books in sync. It is driven by a session in `ws-core`:
//!
//! - [`parse_frame`] classifies and decodes one text frame into a [`Message`]: acks,
//!   pongs, login and WebSocket API responses, and pushes of every public and private
//!   channel ([`Channel`]). The hot pushes (`order_book_update`, `book_ticker`, `trades`)
//!   are read by a single-pass scanner that builds no DOM and never allocates; book
//!   levels are decoded straight into the book. Prices and sizes become exact
//!   [`market_types::Decimal`]s, including those the venue sends as JSON numbers.
//! - [`Subscription`] renders subscribe/unsubscribe requests ([`ping_request`],
//!   [`login_request`] for the others), signed with [`Credentials`] where needed.
//! - [`BookSync`] keeps one [`market_types::OrderBook`] per symbol: buffering from the
//!   subscription ack, REST snapshot alignment, continuity checks, per-symbol resync from
//!   an empty book, `full` pushes, backoff and `Retry-After`. Its
//!   [`BookSync::on_frame`] is the hot path for book pushes: one pass over the frame,
//!   levels applied as they are read, no allocation.
//!
//! A session feeds each text frame first to [`BookSync::on_frame`] (for each market's
//! book sync) and, when that returns `Ok(None)`, to [`parse_frame`]; REST answers go to
//! [`BookSync::on_rest_response`], timer ticks to [`BookSync::on_tick`], a lost
//! connection to [`BookSync::on_disconnected`].
//!
//! What it deliberately does not do: **no sockets, no clock, no async runtime.** Time is
//! always an argument ([`ws_session::Timestamp`], or seconds for request builders), output
//! goes to a [`ws_session::Outbox`] or is returned. Every rule is therefore a deterministic
//! unit test. Nothing panics on network input: broken frames are [`Error`] values.
//!
//! There are no cargo features.
//!
//! # Example
//!
//! ```
//! use exchange_gateio::{
//!     BookDepth, BookSink, BookSync, BookSyncConfig, Endpoints, Market, Message, parse_frame,
//! };
//! use market_types::{BookStatusEvent, BookUpdate, OrderBook, Symbol};
//! use std::time::Instant;
//! use ws_session::{Outbox, RestReply, RestResponse, Timestamp};
//!
//! struct Print;
//! impl BookSink for Print {
//!     fn book_updated(&mut self, book: &OrderBook, _update: &BookUpdate) {
//!         println!("{} best bid {:?}", book.symbol(), book.best_bid());
//!     }
//!     fn status_changed(&mut self, event: BookStatusEvent) {
//!         println!("{} is {}", event.symbol, event.status);
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = BookSyncConfig::new(Market::Spot, &Endpoints::live(Market::Spot), BookDepth::Levels20)?;
//! let mut books = BookSync::new(config);
//! let (mut out, mut sink) = (Outbox::new(), Print);
//! let now = Timestamp::new(Instant::now(), 1_700_000_000_000_000_000);
//! let btc = Symbol::new("BTC_USDT")?;
//!
//! let subscribe = books.track(btc, &mut sink).subscribe_request(now.unix_seconds(), Some(1), None)?;
//! assert!(subscribe.contains(r#""payload":["BTC_USDT","20ms"]"#));
//!
//! // The ack arrives: the book asks for its REST snapshot.
//! if let Message::Ack(ack) = parse_frame(br#"{"time":1,"channel":"spot.order_book_update","event":"subscribe","result":{"status":"success"}}"#)? {
//!     books.on_subscribed(btc, now, &mut out, &mut sink);
//!     assert_eq!(ack.channel.as_str(), "spot.order_book_update");
//! }
//! let request = out.drain_rest().next().ok_or("no snapshot request")?;
//! assert!(request.url.ends_with("/spot/order_book?currency_pair=BTC_USDT&limit=20&with_id=true"));
//!
//! // The snapshot makes the book live; pushes then apply straight into it.
//! let body = br#"{"id":10,"current":1,"update":1,"asks":[["101","1"]],"bids":[["100","2"]]}"#;
//! let reply = RestReply { status: 200, retry_after: None, body: body.to_vec().into() };
//! books.on_rest_response(&RestResponse { id: request.id, result: Ok(reply) }, now, &mut out, &mut sink);
//! let frame = br#"{"channel":"spot.order_book_update","event":"update","result":{"t":1,"s":"BTC_USDT","U":11,"u":12,"b":[["100.5","3"]],"a":[]}}"#;
//! if let Message::OrderBookUpdate(update) = parse_frame(frame)? {
//!     books.on_update(&update, now, &mut out, &mut sink);
//! }
//! assert_eq!(books.book(btc).and_then(|b| b.best_bid()).map(|l| l.price.to_string()), Some("100.5".into()));
//! # Ok(())
//! # }
//! ```

// Layers, bottom up; each module uses only those above it in this list (`channel` is
// the public path of `venue`, `subscription` and `request`).
mod auth;
mod book_sync;
mod channel;
mod config;
mod connector;
mod error;
mod handler;
mod json;
mod request;
mod sign;
mod subscription;
mod venue;
mod wire;

pub use crate::auth::{
    SignedRest, api_signature, login_request, rest_signature, signed_rest_request,
    subscription_signature,
};
pub use crate::book_sync::{BookSink, BookSync, BookSyncConfig, BookSyncStats, UpdateOutcome};
pub use crate::channel::{
    BookDepth, Channel, Market, Payload, RequestEvent, Subscription, UserId, ping_request,
};
pub use crate::config::{
    Credentials, Endpoints, FUTURES_WS_LIVE, FUTURES_WS_TESTNET, REST_LIVE, REST_TESTNET,
    SPOT_WS_LIVE, SPOT_WS_TESTNET,
};
pub use crate::connector::{GateioFutures, GateioSpot};
pub use crate::error::{
    Context, Error, ErrorCode, FieldError, IdentifierError, Malformation, Snippet,
};
#[doc(hidden)]
pub use crate::handler::fuzz_reconcile_parsers;
pub use crate::handler::{
    FuturesMarket, GateioAuthMixin, GateioFuturesPrivateWebSocketHandler,
    GateioFuturesPublicWebSocketHandler, GateioHandlerConfig, GateioMarket, GateioPrivateParts,
    GateioPrivateWebSocketHandler, GateioPublicCommand, GateioPublicParts, GateioPublicTopic,
    GateioPublicWebSocketHandler, GateioSpotPrivateWebSocketHandler,
    GateioSpotPublicWebSocketHandler, LoginMode, PING, PrivateCounters, PrivateFormat,
    PublicCounters, PublicFormat, RECONNECTION_POLICY, SpotMarket,
};
pub use crate::wire::{
    Ack, ApiResponse, BalanceUpdate, BookSnapshot, ItemIter, Items, LevelIter, LoginResponse,
    Message, OrderBookUpdate, OrderEvent, OrderUpdate, Pong, PublicTrade, RateLimit, RawLevels,
    parse_frame, parse_snapshot, peek_channel,
};
