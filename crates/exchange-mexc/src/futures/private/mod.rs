//! MEXC USDT-M futures (contract) private stream, sans-IO: login, push filter, the
//! personal pushes as normalized events, and reconciliation over signed REST.
//!
//! - [`LoginRequest`]: `{"subscribe":false,"method":"login","param":{..}}` signed with
//!   `hex(HMAC_SHA256(secret, apiKey + reqTime))` ([`login_signature`]); its `Debug` hides
//!   the key and the signature. [`personal_filter`] limits the pushes to the channels
//!   ([`PersonalFilter`]) and contracts wanted.
//! - [`decode_private`]: one frame into a [`PrivateFrame`]: the login answer
//!   (`rs.login`, or `rs.error`, which [`PrivateFrame::login_outcome`] turns into the
//!   fatal [`FuturesPrivateError::LoginRejected`]), `pong`, and `push.personal.order`,
//!   `.order.deal`, `.position`, `.asset` as [`market_types::Order`], `Fill`, `Position`
//!   and `Balance`. Hedge-mode legs are netted into one signed position per contract by
//!   [`PositionLegs`].
//! - [`FuturesRestSigner`]: the signed REST calls (`ApiKey`, `Request-Time`, `Signature`
//!   headers), with parsers of their `{success,code,data}` answers in [`rest`].
//! - [`FuturesReconcile`]: the `ws_handlers::ReconcileVenue` of this market: assets,
//!   open positions and open orders after every (re)connect (orders no longer listed are
//!   looked up), and the orders and fills of the disconnected window, delivered once
//!   through the shared ledger.
//!
//! Private pushes are rare, so they are read with `serde_json` over borrowed raw values
//! (exact decimal text, no floating point); a message may allocate (its envelope's
//! channel when escaped, the lists of a REST answer). The public hot path does not use
//! this module.
//!
//! Not here: the venue variant, the connector and handler wiring (integration).

mod error;
mod json;
mod login;
mod model;
mod position;
mod push;
mod reconcile;
pub mod rest;
#[cfg(test)]
mod tests;

pub use error::FuturesPrivateError;
pub use login::{LoginRequest, PersonalFilter, login_signature, personal_filter};
pub use position::{PositionLeg, PositionLegs, PositionSide};
pub use push::{PrivateFrame, decode_private};
pub use reconcile::{FuturesReconcile, ReconcileCall, ReconcileReply};
pub use rest::FuturesRestSigner;
