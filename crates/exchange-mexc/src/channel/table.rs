//! The venue's channels in one table: for each channel family its topic, whether it is
//! private, the wrapper body (protobuf message) its pushes carry, the stream kind the
//! driver queues them as, and what decodes them. [`Channel`] reads every attribute from
//! here instead of matching on itself once per attribute.

use ws_session::StreamKind;

use super::{AggInterval, Channel, DepthLimit, KlineInterval, symbol_segment};
use crate::body::BodyKind;

/// One channel family: one row of [`CHANNELS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ChannelSpec {
    /// The channel string before its parameters, e.g. `spot@public.aggre.depth.v3.api.pb`;
    /// public channels continue with `@` and their parameters.
    pub topic: &'static str,
    /// A user-data channel, which needs a listen-key connection.
    pub private: bool,
    /// The wrapper body (protobuf message) its pushes carry.
    pub body: BodyKind,
    /// How the driver's queued mode treats its frames (the body's [`BodyKind::stream_kind`]).
    pub stream: StreamKind,
    /// What turns its pushes into the normalized model.
    pub decoder: Decoder,
}

/// What decodes a channel's pushes, after [`crate::decode_push`] has read the wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Decoder {
    /// Zero-copy: [`crate::Body::AggreDepths`], levels streamed into a [`crate::BookSync`].
    AggreDepths,
    /// Zero-copy: [`crate::Body::AggreDeals`], each deal by [`crate::AggreDeal::to_trade`].
    AggreDeals,
    /// Zero-copy: [`crate::Body::AggreBookTicker`], by
    /// [`crate::AggreBookTicker::to_book_ticker`].
    AggreBookTicker,
    /// Prost through [`crate::RawBody::decode`], then [`crate::limit_depth`].
    LimitDepth,
    /// Prost through [`crate::RawBody::decode`], then [`crate::book_ticker_batch`].
    BookTickerBatch,
    /// Prost through [`crate::RawBody::decode`]; candles have no normalized form.
    Kline,
    /// Prost through [`crate::RawBody::decode`], then [`crate::private_event`].
    PrivateEvent,
}

impl Decoder {
    /// True when [`crate::decode_push`] decodes the body itself, without allocating;
    /// otherwise the push carries it as [`crate::Body::Cold`].
    pub const fn is_zero_copy(self) -> bool {
        matches!(
            self,
            Decoder::AggreDepths | Decoder::AggreDeals | Decoder::AggreBookTicker
        )
    }
}

impl ChannelSpec {
    /// The channel `s` names, if it is one of this family's exact strings.
    pub fn parse(&self, s: &str) -> Option<Channel> {
        let rest = s.strip_prefix(self.topic)?;
        if self.private {
            // Private strings have no parameters.
            return if rest.is_empty() {
                self.private_channel()
            } else {
                None
            };
        }
        let params = rest.strip_prefix('@')?;
        // The body names the family: one arm per public row.
        Some(match self.body {
            BodyKind::PublicAggreDepths => {
                let (interval, symbol) = interval_and_symbol(params)?;
                Channel::AggreDepth { symbol, interval }
            }
            BodyKind::PublicAggreDeals => {
                let (interval, symbol) = interval_and_symbol(params)?;
                Channel::AggreDeals { symbol, interval }
            }
            BodyKind::PublicAggreBookTicker => {
                let (interval, symbol) = interval_and_symbol(params)?;
                Channel::AggreBookTicker { symbol, interval }
            }
            BodyKind::PublicLimitDepths => {
                let (symbol, depth) = params.split_once('@')?;
                Channel::LimitDepth {
                    symbol: symbol_segment(symbol)?,
                    depth: DepthLimit::parse(depth)?,
                }
            }
            BodyKind::PublicBookTickerBatch => Channel::BookTickerBatch {
                symbol: symbol_segment(params)?,
            },
            BodyKind::PublicSpotKline => {
                let (symbol, interval) = params.split_once('@')?;
                Channel::Kline {
                    symbol: symbol_segment(symbol)?,
                    interval: KlineInterval::parse(interval)?,
                }
            }
            _ => return None,
        })
    }

    fn private_channel(&self) -> Option<Channel> {
        match self.body {
            BodyKind::PrivateOrders => Some(Channel::PrivateOrders),
            BodyKind::PrivateDeals => Some(Channel::PrivateDeals),
            BodyKind::PrivateAccount => Some(Channel::PrivateAccount),
            _ => None,
        }
    }

    /// A row whose stream kind is its body's, so the two cannot disagree.
    const fn row(topic: &'static str, private: bool, body: BodyKind, decoder: Decoder) -> Self {
        ChannelSpec {
            topic,
            private,
            body,
            stream: body.stream_kind(),
            decoder,
        }
    }
}

fn interval_and_symbol(params: &str) -> Option<(AggInterval, market_types::Symbol)> {
    let (interval, symbol) = params.split_once('@')?;
    Some((AggInterval::parse(interval)?, symbol_segment(symbol)?))
}

pub(super) const AGGRE_DEPTH: ChannelSpec = ChannelSpec::row(
    "spot@public.aggre.depth.v3.api.pb",
    false,
    BodyKind::PublicAggreDepths,
    Decoder::AggreDepths,
);
pub(super) const AGGRE_DEALS: ChannelSpec = ChannelSpec::row(
    "spot@public.aggre.deals.v3.api.pb",
    false,
    BodyKind::PublicAggreDeals,
    Decoder::AggreDeals,
);
pub(super) const AGGRE_BOOK_TICKER: ChannelSpec = ChannelSpec::row(
    "spot@public.aggre.bookTicker.v3.api.pb",
    false,
    BodyKind::PublicAggreBookTicker,
    Decoder::AggreBookTicker,
);
pub(super) const LIMIT_DEPTH: ChannelSpec = ChannelSpec::row(
    "spot@public.limit.depth.v3.api.pb",
    false,
    BodyKind::PublicLimitDepths,
    Decoder::LimitDepth,
);
pub(super) const BOOK_TICKER_BATCH: ChannelSpec = ChannelSpec::row(
    "spot@public.bookTicker.batch.v3.api.pb",
    false,
    BodyKind::PublicBookTickerBatch,
    Decoder::BookTickerBatch,
);
pub(super) const KLINE: ChannelSpec = ChannelSpec::row(
    "spot@public.kline.v3.api.pb",
    false,
    BodyKind::PublicSpotKline,
    Decoder::Kline,
);
pub(super) const PRIVATE_ORDERS: ChannelSpec = ChannelSpec::row(
    "spot@private.orders.v3.api.pb",
    true,
    BodyKind::PrivateOrders,
    Decoder::PrivateEvent,
);
pub(super) const PRIVATE_DEALS: ChannelSpec = ChannelSpec::row(
    "spot@private.deals.v3.api.pb",
    true,
    BodyKind::PrivateDeals,
    Decoder::PrivateEvent,
);
pub(super) const PRIVATE_ACCOUNT: ChannelSpec = ChannelSpec::row(
    "spot@private.account.v3.api.pb",
    true,
    BodyKind::PrivateAccount,
    Decoder::PrivateEvent,
);

/// Every channel family, in the order of the wrapper's body field numbers.
pub const CHANNELS: [ChannelSpec; 9] = [
    LIMIT_DEPTH,
    PRIVATE_ORDERS,
    PRIVATE_DEALS,
    PRIVATE_ACCOUNT,
    KLINE,
    BOOK_TICKER_BATCH,
    AGGRE_DEPTH,
    AGGRE_DEALS,
    AGGRE_BOOK_TICKER,
];
