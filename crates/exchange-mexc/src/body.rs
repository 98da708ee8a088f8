//! The wrapper's `body` oneof: which member a frame carries ([`BodyKind`]) and its
//! undecoded bytes ([`RawBody`]), decoded with prost on the cold path.
//!
//! This sits below [`crate::channel`] (a channel names the body its pushes carry) and
//! below [`crate::wire`] (the zero-copy reader dispatches on it).

use prost::Message as _;
use ws_session::StreamKind;

use crate::error::Error;
use crate::pb;

/// Which member of the wrapper's `body` oneof a frame carries (field numbers 301–315).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyKind {
    /// 301, pre-2025 trades.
    PublicDeals,
    /// 302, pre-2025 diff depth.
    PublicIncreaseDepths,
    /// 303, partial book snapshot.
    PublicLimitDepths,
    /// 304, order updates.
    PrivateOrders,
    /// 305, pre-2025 book ticker.
    PublicBookTicker,
    /// 306, own fills.
    PrivateDeals,
    /// 307, balance changes.
    PrivateAccount,
    /// 308, candles.
    PublicSpotKline,
    /// 309, mini ticker (blocked since 2025-08).
    PublicMiniTicker,
    /// 310, mini tickers (blocked since 2025-08).
    PublicMiniTickers,
    /// 311, book ticker batch.
    PublicBookTickerBatch,
    /// 312, diff depth batch.
    PublicIncreaseDepthsBatch,
    /// 313, aggregated diff depth.
    PublicAggreDepths,
    /// 314, aggregated trades.
    PublicAggreDeals,
    /// 315, aggregated book ticker.
    PublicAggreBookTicker,
}

impl BodyKind {
    /// Every kind, by field number.
    pub const ALL: [BodyKind; 15] = [
        BodyKind::PublicDeals,
        BodyKind::PublicIncreaseDepths,
        BodyKind::PublicLimitDepths,
        BodyKind::PrivateOrders,
        BodyKind::PublicBookTicker,
        BodyKind::PrivateDeals,
        BodyKind::PrivateAccount,
        BodyKind::PublicSpotKline,
        BodyKind::PublicMiniTicker,
        BodyKind::PublicMiniTickers,
        BodyKind::PublicBookTickerBatch,
        BodyKind::PublicIncreaseDepthsBatch,
        BodyKind::PublicAggreDepths,
        BodyKind::PublicAggreDeals,
        BodyKind::PublicAggreBookTicker,
    ];

    /// The wrapper field number (301–315).
    pub const fn field_number(self) -> u32 {
        match self {
            BodyKind::PublicDeals => 301,
            BodyKind::PublicIncreaseDepths => 302,
            BodyKind::PublicLimitDepths => 303,
            BodyKind::PrivateOrders => 304,
            BodyKind::PublicBookTicker => 305,
            BodyKind::PrivateDeals => 306,
            BodyKind::PrivateAccount => 307,
            BodyKind::PublicSpotKline => 308,
            BodyKind::PublicMiniTicker => 309,
            BodyKind::PublicMiniTickers => 310,
            BodyKind::PublicBookTickerBatch => 311,
            BodyKind::PublicIncreaseDepthsBatch => 312,
            BodyKind::PublicAggreDepths => 313,
            BodyKind::PublicAggreDeals => 314,
            BodyKind::PublicAggreBookTicker => 315,
        }
    }

    /// The kind for a wrapper field number, if it is a body field.
    #[inline]
    pub const fn from_field_number(field: u32) -> Option<BodyKind> {
        match field {
            301..=315 => Some(BodyKind::ALL[(field - 301) as usize]),
            _ => None,
        }
    }

    /// The field's name in the schema (and in proto3 JSON), e.g. `publicAggreDepths`.
    pub const fn name(self) -> &'static str {
        match self {
            BodyKind::PublicDeals => "publicDeals",
            BodyKind::PublicIncreaseDepths => "publicIncreaseDepths",
            BodyKind::PublicLimitDepths => "publicLimitDepths",
            BodyKind::PrivateOrders => "privateOrders",
            BodyKind::PublicBookTicker => "publicBookTicker",
            BodyKind::PrivateDeals => "privateDeals",
            BodyKind::PrivateAccount => "privateAccount",
            BodyKind::PublicSpotKline => "publicSpotKline",
            BodyKind::PublicMiniTicker => "publicMiniTicker",
            BodyKind::PublicMiniTickers => "publicMiniTickers",
            BodyKind::PublicBookTickerBatch => "publicBookTickerBatch",
            BodyKind::PublicIncreaseDepthsBatch => "publicIncreaseDepthsBatch",
            BodyKind::PublicAggreDepths => "publicAggreDepths",
            BodyKind::PublicAggreDeals => "publicAggreDeals",
            BodyKind::PublicAggreBookTicker => "publicAggreBookTicker",
        }
    }

    /// How the driver's queued mode treats frames of this kind.
    #[inline]
    pub const fn stream_kind(self) -> StreamKind {
        match self {
            BodyKind::PublicIncreaseDepths
            | BodyKind::PublicIncreaseDepthsBatch
            | BodyKind::PublicAggreDepths => StreamKind::Book,
            BodyKind::PublicDeals | BodyKind::PublicAggreDeals => StreamKind::Trade,
            BodyKind::PrivateOrders | BodyKind::PrivateDeals | BodyKind::PrivateAccount => {
                StreamKind::Private
            }
            // Each of these replaces the previous value, so they may be conflated.
            BodyKind::PublicLimitDepths
            | BodyKind::PublicBookTicker
            | BodyKind::PublicSpotKline
            | BodyKind::PublicMiniTicker
            | BodyKind::PublicMiniTickers
            | BodyKind::PublicBookTickerBatch
            | BodyKind::PublicAggreBookTicker => StreamKind::Ticker,
        }
    }

    /// The field's path for error messages, e.g. `PushDataV3ApiWrapper.publicDeals`.
    #[inline]
    pub(crate) const fn context(self) -> &'static str {
        match self {
            BodyKind::PublicDeals => "PushDataV3ApiWrapper.publicDeals",
            BodyKind::PublicIncreaseDepths => "PushDataV3ApiWrapper.publicIncreaseDepths",
            BodyKind::PublicLimitDepths => "PushDataV3ApiWrapper.publicLimitDepths",
            BodyKind::PrivateOrders => "PushDataV3ApiWrapper.privateOrders",
            BodyKind::PublicBookTicker => "PushDataV3ApiWrapper.publicBookTicker",
            BodyKind::PrivateDeals => "PushDataV3ApiWrapper.privateDeals",
            BodyKind::PrivateAccount => "PushDataV3ApiWrapper.privateAccount",
            BodyKind::PublicSpotKline => "PushDataV3ApiWrapper.publicSpotKline",
            BodyKind::PublicMiniTicker => "PushDataV3ApiWrapper.publicMiniTicker",
            BodyKind::PublicMiniTickers => "PushDataV3ApiWrapper.publicMiniTickers",
            BodyKind::PublicBookTickerBatch => "PushDataV3ApiWrapper.publicBookTickerBatch",
            BodyKind::PublicIncreaseDepthsBatch => "PushDataV3ApiWrapper.publicIncreaseDepthsBatch",
            BodyKind::PublicAggreDepths => "PushDataV3ApiWrapper.publicAggreDepths",
            BodyKind::PublicAggreDeals => "PushDataV3ApiWrapper.publicAggreDeals",
            BodyKind::PublicAggreBookTicker => "PushDataV3ApiWrapper.publicAggreBookTicker",
        }
    }
}

/// A body's undecoded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawBody<'a> {
    /// Which body.
    pub kind: BodyKind,
    /// The serialized body message.
    pub bytes: &'a [u8],
}

impl RawBody<'_> {
    /// Decodes the body with prost into the generated oneof (allocates; for cold bodies).
    ///
    /// # Errors
    /// [`Error::Protobuf`].
    pub fn decode(&self) -> Result<pb::push_data_v3_api_wrapper::Body, Error> {
        use pb::push_data_v3_api_wrapper::Body as B;
        let bytes = self.bytes;
        let context = self.kind.context();
        let wrap = |source| Error::Protobuf { context, source };
        Ok(match self.kind {
            BodyKind::PublicDeals => {
                B::PublicDeals(pb::PublicDealsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicIncreaseDepths => {
                B::PublicIncreaseDepths(pb::PublicIncreaseDepthsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicLimitDepths => {
                B::PublicLimitDepths(pb::PublicLimitDepthsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PrivateOrders => {
                B::PrivateOrders(pb::PrivateOrdersV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicBookTicker => {
                B::PublicBookTicker(pb::PublicBookTickerV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PrivateDeals => {
                B::PrivateDeals(pb::PrivateDealsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PrivateAccount => {
                B::PrivateAccount(pb::PrivateAccountV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicSpotKline => {
                B::PublicSpotKline(pb::PublicSpotKlineV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicMiniTicker => {
                B::PublicMiniTicker(pb::PublicMiniTickerV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicMiniTickers => {
                B::PublicMiniTickers(pb::PublicMiniTickersV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicBookTickerBatch => B::PublicBookTickerBatch(
                pb::PublicBookTickerBatchV3Api::decode(bytes).map_err(wrap)?,
            ),
            BodyKind::PublicIncreaseDepthsBatch => B::PublicIncreaseDepthsBatch(
                pb::PublicIncreaseDepthsBatchV3Api::decode(bytes).map_err(wrap)?,
            ),
            BodyKind::PublicAggreDepths => {
                B::PublicAggreDepths(pb::PublicAggreDepthsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicAggreDeals => {
                B::PublicAggreDeals(pb::PublicAggreDealsV3Api::decode(bytes).map_err(wrap)?)
            }
            BodyKind::PublicAggreBookTicker => B::PublicAggreBookTicker(
                pb::PublicAggreBookTickerV3Api::decode(bytes).map_err(wrap)?,
            ),
        })
    }
}
