//! One private-stream frame, read into what it means.
//!
//! Frames are JSON `{"channel":..,"data":..,"ts":..}` (text; a gzip binary frame is
//! inflated by the caller first). Private pushes are rare next to market data, so they
//! are read with `serde_json` over borrowed values: one small allocation or two per
//! message is accepted here, unlike on the public hot path.

use std::borrow::Cow;

use market_types::{Balance, Fill, Order, Position};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::FuturesPrivateError;
use super::json::{Raw, optional_integer, text};
use super::model::{WireAsset, WireDeal, WireOrder, WirePosition};
use super::position::{PositionLeg, PositionLegs};

/// What one frame of the private stream says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateFrame {
    /// `rs.login` with `data` `"success"`: logged in.
    LoginOk,
    /// `rs.error`: the venue's text (in answer to the login, a rejection).
    Error(String),
    /// Another `rs.*` reply (e.g. to `personal.filter`): its channel and `data` text.
    Ack {
        /// The channel, e.g. `rs.personal.filter`.
        channel: String,
        /// `data` as text.
        data: String,
    },
    /// `pong`, with the venue's time.
    Pong(Option<u64>),
    /// `push.personal.order`.
    Order(Order),
    /// `push.personal.order.deal`.
    Fill(Fill),
    /// `push.personal.position`, netted over the contract's legs (see [`PositionLegs`]).
    Position(Position),
    /// `push.personal.asset`.
    Balance(Balance),
    /// Another channel (plan orders, risk limit, ADL level, ...): not modelled.
    Other(String),
}

impl PrivateFrame {
    /// While waiting for the login answer: `Some(Ok)` on success, `Some(Err)` with
    /// [`FuturesPrivateError::LoginRejected`] (fatal) on `rs.error`, `None` otherwise.
    pub fn login_outcome(&self) -> Option<Result<(), FuturesPrivateError>> {
        match self {
            PrivateFrame::LoginOk => Some(Ok(())),
            PrivateFrame::Error(reason) => Some(Err(FuturesPrivateError::LoginRejected {
                reason: reason.clone(),
            })),
            _ => None,
        }
    }
}

/// Reads one frame. Positions are netted through `legs` (which also names the venue the
/// events are stamped with).
///
/// # Errors
/// [`FuturesPrivateError`] for a frame that is not the documented shape; never a panic.
pub fn decode_private(
    frame: &[u8],
    legs: &mut PositionLegs,
) -> Result<PrivateFrame, FuturesPrivateError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        channel: Cow<'a, str>,
        #[serde(borrow, default)]
        data: Raw<'a>,
        #[serde(borrow, default)]
        ts: Raw<'a>,
    }
    let envelope: Envelope<'_> =
        serde_json::from_slice(frame).map_err(|source| FuturesPrivateError::Json {
            context: "private frame",
            source,
        })?;
    let venue = legs.venue();
    // A `ts` that is not an integer is not worth refusing the frame for: objects carry
    // their own times.
    let ts_ms = optional_integer(envelope.ts, "ts")
        .ok()
        .flatten()
        .unwrap_or(0);
    let data_text = || text(envelope.data).unwrap_or_default().to_string();
    Ok(match envelope.channel.as_ref() {
        ORDER => PrivateFrame::Order(
            data::<WireOrder<'_>>(envelope.data, ORDER)?.to_order(venue, ts_ms)?,
        ),
        DEAL => {
            PrivateFrame::Fill(data::<WireDeal<'_>>(envelope.data, DEAL)?.to_fill(venue, ts_ms)?)
        }
        POSITION => {
            let leg: PositionLeg =
                data::<WirePosition<'_>>(envelope.data, POSITION)?.to_leg(ts_ms)?;
            PrivateFrame::Position(legs.apply(leg)?)
        }
        ASSET => PrivateFrame::Balance(
            data::<WireAsset<'_>>(envelope.data, ASSET)?.to_balance(venue, ts_ms)?,
        ),
        "rs.login" if text(envelope.data) == Some("success") => PrivateFrame::LoginOk,
        // A login answer other than "success" is a refusal too.
        "rs.login" | "rs.error" => PrivateFrame::Error(data_text()),
        "pong" => PrivateFrame::Pong(optional_integer(envelope.data, "pong").ok().flatten()),
        channel if channel.starts_with("rs.") => PrivateFrame::Ack {
            channel: channel.to_string(),
            data: data_text(),
        },
        channel => PrivateFrame::Other(channel.to_string()),
    })
}

/// `data` read as `T`.
fn data<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
    context: &'static str,
) -> Result<T, FuturesPrivateError> {
    let raw = raw.ok_or(FuturesPrivateError::Missing { context })?;
    serde_json::from_str(raw.get()).map_err(|source| FuturesPrivateError::Json { context, source })
}

const ORDER: &str = "push.personal.order";
const DEAL: &str = "push.personal.order.deal";
const POSITION: &str = "push.personal.position";
const ASSET: &str = "push.personal.asset";
