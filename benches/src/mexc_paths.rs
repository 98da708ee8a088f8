//! MEXC hot paths (`exchange-mexc`, protobuf), each next to its prost baseline.
//!
//! Depth: "decode" is frame bytes → every level decoded to fixed point; "apply" is
//! [`decode_push`] + [`BookSync::on_depth`] into a live book, with continuous versions
//! rewritten in place (see [`FrameCycle`]) so the book never resyncs.

use std::hint::black_box;
use std::time::Instant;

use exchange_mexc::{
    Body, BookSink, BookSync, BookSyncConfig, Credentials, RestSigner, decode_push, pb, stream_kind,
};
use market_types::{
    BookStatus, BookStatusEvent, BookTicker, BookUpdate, Level, OrderBook, Quantity, Trade,
};
use prost::Message as _;
use ws_core::{FrameKind, Outbox, RestReply, RestResponse, StreamKind, Timestamp};

use crate::baseline::{self, BookClient};
use crate::data::{self, FIRST_ID, FrameCycle};
use crate::{Kind, Operation, Workload};

pub(crate) fn workloads() -> Vec<Workload> {
    vec![
        Workload::new(
            "mexc_detect",
            "stream_kind of an aggre.bookTicker frame (wrapper keys only)",
            Kind::Detection,
            detect,
        )
        .baseline("mexc_detect_prost")
        .alloc_free(),
        Workload::new(
            "mexc_detect_prost",
            "baseline: prost-decode the wrapper, then match its body",
            Kind::Baseline,
            detect_prost,
        ),
        Workload::new(
            "mexc_depth20_decode",
            "aggre.depth push, 20 levels/side (protobuf): decode_push + every level to fixed point",
            Kind::OrderBook,
            depth_decode,
        )
        .baseline("mexc_depth20_decode_prost")
        .alloc_free(),
        Workload::new(
            "mexc_depth20_decode_prost",
            "baseline: prost decode (owned Strings), then a push with Vec<Level> per side",
            Kind::Baseline,
            depth_decode_prost,
        ),
        Workload::new(
            "mexc_depth20_apply",
            "aggre.depth push, 20 levels/side: decode_push + BookSync::on_depth into a live book",
            Kind::OrderBook,
            depth_apply,
        )
        .baseline("mexc_depth20_apply_prost")
        .target_ns(1_000.0)
        .alloc_free(),
        Workload::new(
            "mexc_depth20_apply_prost",
            "baseline: prost decode, Vec<Level> push, then applied to the same OrderBook",
            Kind::Baseline,
            depth_apply_prost,
        ),
        Workload::new(
            "mexc_deals",
            "aggre.deals push (spec vector aggre_deals_2025doc) to Trades",
            Kind::Trade,
            deals,
        )
        .baseline("mexc_deals_prost")
        .target_ns(300.0)
        .alloc_free(),
        Workload::new(
            "mexc_deals_prost",
            "baseline: prost decode, then a Vec<Trade>",
            Kind::Baseline,
            deals_prost,
        ),
        Workload::new(
            "mexc_book_ticker",
            "aggre.bookTicker push (spec vector aggre_book_ticker_2025doc) to a BookTicker",
            Kind::Ticker,
            book_ticker,
        )
        .baseline("mexc_book_ticker_prost")
        .target_ns(150.0)
        .alloc_free(),
        Workload::new(
            "mexc_book_ticker_prost",
            "baseline: prost decode, then a BookTicker",
            Kind::Baseline,
            book_ticker_prost,
        ),
        Workload::new(
            "mexc_sign_query",
            "HMAC-SHA256 signed query (symbol, timestamp, signature) for a listen-key/REST call",
            Kind::Other,
            sign_query,
        ),
    ]
}

/// Distinct level sets in the depth stream (a power of two).
const VARIANTS: usize = 16;
/// Levels per side of the depth pushes.
const LEVELS: usize = 20;

fn now() -> Timestamp {
    Timestamp::new(Instant::now(), 1_778_000_000_000_000_000)
}

/// An `aggre.depth` push of `LEVELS` per side, level set `variant`, version
/// [`FIRST_ID`], encoded with prost as the venue (and the simulator) would.
pub fn depth_frame(variant: usize) -> Vec<u8> {
    let items = |bid| {
        data::book_side(LEVELS, variant, bid)
            .iter()
            .map(|&(p, s)| pb::PublicAggreDepthV3ApiItem {
                price: data::price_text(p),
                quantity: data::size_text(s),
            })
            .collect()
    };
    pb::PushDataV3ApiWrapper {
        channel: "spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT".into(),
        symbol: Some("BTCUSDT".into()),
        symbol_id: None,
        create_time: None,
        send_time: Some(1_778_075_380_657),
        body: Some(pb::push_data_v3_api_wrapper::Body::PublicAggreDepths(
            pb::PublicAggreDepthsV3Api {
                asks: items(false),
                bids: items(true),
                event_type: "spot@public.aggre.depth.v3.api.pb@10ms".into(),
                from_version: FIRST_ID.to_string(),
                to_version: FIRST_ID.to_string(),
                last_order_create_time: 1_778_075_380_572,
            },
        )),
    }
    .encode_to_vec()
}

fn depth_frames() -> Vec<Vec<u8>> {
    (0..VARIANTS).map(depth_frame).collect()
}

fn ticker_frame() -> Vec<u8> {
    data::mexc_vector("aggre_book_ticker_2025doc")
}

fn detect() -> Operation {
    let frame = ticker_frame();
    assert_eq!(stream_kind(FrameKind::Binary, &frame), StreamKind::Ticker);
    Box::new(move || {
        black_box(stream_kind(FrameKind::Binary, black_box(&frame)));
    })
}

fn detect_prost() -> Operation {
    let frame = ticker_frame();
    let detect = |frame: &[u8]| -> StreamKind {
        use pb::push_data_v3_api_wrapper::Body as B;
        match pb::PushDataV3ApiWrapper::decode(frame)
            .ok()
            .and_then(|w| w.body)
        {
            Some(B::PublicAggreBookTicker(_) | B::PublicBookTickerBatch(_)) => StreamKind::Ticker,
            Some(B::PublicAggreDeals(_)) => StreamKind::Trade,
            Some(B::PublicAggreDepths(_) | B::PublicLimitDepths(_)) => StreamKind::Book,
            Some(_) => StreamKind::Private,
            None => StreamKind::Control,
        }
    };
    assert_eq!(detect(&frame), StreamKind::Ticker);
    Box::new(move || {
        black_box(detect(black_box(&frame)));
    })
}

/// `(to version, level count, sum of price and size mantissas)` with our decoder.
pub fn depth_ours(frame: &[u8]) -> Option<(u64, usize, i64)> {
    let push = decode_push(frame).ok()?;
    let Body::AggreDepths(depth) = push.body else {
        return None;
    };
    let (mut count, mut sum) = (0usize, 0i64);
    for level in depth.levels() {
        let level = level.ok()?;
        count += 1;
        sum = sum
            .wrapping_add(level.price.value().mantissa())
            .wrapping_add(level.quantity.value().mantissa());
    }
    Some((depth.to_version(), count, sum))
}

/// The same summary from the prost baseline.
pub fn depth_prost(frame: &[u8]) -> Option<(u64, usize, i64)> {
    let push = baseline::mexc_depth_push(frame)?;
    let sum = push.bids.iter().chain(&push.asks).fold(0i64, |s, l| {
        s.wrapping_add(l.price.value().mantissa())
            .wrapping_add(l.quantity.value().mantissa())
    });
    Some((push.last_id, push.bids.len() + push.asks.len(), sum))
}

fn depth_decode() -> Operation {
    let frames = depth_frames();
    for frame in &frames {
        let ours = depth_ours(frame);
        assert!(ours.is_some_and(|(_, n, _)| n == 2 * LEVELS));
        assert_eq!(ours, depth_prost(frame), "ours and the baseline disagree");
    }
    let mut i = 0;
    Box::new(move || {
        i = (i + 1) & (VARIANTS - 1);
        black_box(depth_ours(black_box(&frames[i])));
    })
}

fn depth_decode_prost() -> Operation {
    let frames = depth_frames();
    let mut i = 0;
    Box::new(move || {
        i = (i + 1) & (VARIANTS - 1);
        black_box(baseline::mexc_depth_push(black_box(&frames[i])));
    })
}

/// Counts what book sync reports; allocates nothing.
#[derive(Debug, Default)]
pub struct MexcTally {
    /// Applied updates.
    pub updates: u64,
    /// Sum of best-bid mantissas seen.
    pub best_bid_sum: i64,
    /// The last status reported.
    pub status: Option<BookStatus>,
}

impl BookSink for MexcTally {
    fn book_updated(&mut self, book: &OrderBook, _update: &BookUpdate) {
        self.updates += 1;
        self.best_bid_sum = self
            .best_bid_sum
            .wrapping_add(book.best_bid().map_or(0, |l| l.price.value().mantissa()));
    }

    fn status_changed(&mut self, event: BookStatusEvent) {
        self.status = Some(event.status);
    }
}

/// A live MEXC book fed by a continuous stream of generated pushes.
#[derive(Debug)]
pub struct LiveMexcBook {
    /// The sync holding the book.
    pub sync: BookSync,
    /// What it reported.
    pub sink: MexcTally,
    out: Outbox,
    cycle: FrameCycle,
    now: Timestamp,
}

impl LiveMexcBook {
    /// Live from a snapshot at the first push's version.
    pub fn new() -> LiveMexcBook {
        let now = now();
        let symbol = data::symbol("BTCUSDT");
        let config = BookSyncConfig {
            book_capacity: 4 * LEVELS,
            ..BookSyncConfig::default()
        };
        let mut sync = BookSync::new(config, "https://api.mexc.com");
        let (mut out, mut sink) = (Outbox::new(), MexcTally::default());
        sync.track(symbol, now, &mut sink);
        let mut cycle = FrameCycle::new(depth_frames(), FIRST_ID);
        // The first push is buffered and asks for the snapshot.
        let first = cycle.next_frame();
        if let Ok(push) = decode_push(first)
            && let Body::AggreDepths(depth) = push.body
        {
            let _ = sync.on_depth(&push.header, &depth, now, &mut out, &mut sink);
        }
        let request = out.drain_rest().next().unwrap_or_else(|| panic!("no REST"));
        let response = RestResponse {
            id: request.id,
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: snapshot_body(cycle.last_id()).into(),
            }),
        };
        sync.on_rest_response(&response, now, &mut out, &mut sink);
        assert_eq!(sync.status(symbol), Some(BookStatus::Live));
        LiveMexcBook {
            sync,
            sink,
            out,
            cycle,
            now,
        }
    }

    /// Decodes and applies the next push.
    #[inline]
    pub fn step(&mut self) -> Option<()> {
        let frame = self.cycle.next_frame();
        let push = decode_push(frame).ok()?;
        let Body::AggreDepths(depth) = push.body else {
            return None;
        };
        self.sync
            .on_depth(
                &push.header,
                &depth,
                self.now,
                &mut self.out,
                &mut self.sink,
            )
            .ok()
    }
}

impl Default for LiveMexcBook {
    fn default() -> Self {
        Self::new()
    }
}

/// `GET /api/v3/depth` answer holding every price the pushes use.
pub(crate) fn snapshot_body(last_update_id: u64) -> Vec<u8> {
    let side = |bid| {
        data::book_side(LEVELS, 1, bid)
            .iter()
            .map(|&(p, _)| format!(r#"["{}","1"]"#, data::price_text(p)))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"lastUpdateId":{last_update_id},"bids":[{}],"asks":[{}]}}"#,
        side(true),
        side(false)
    )
    .into_bytes()
}

fn depth_apply() -> Operation {
    let mut live = LiveMexcBook::new();
    for _ in 0..4 * VARIANTS {
        assert_eq!(live.step(), Some(()));
    }
    assert_eq!(live.sync.stats().resyncs, 0);
    Box::new(move || {
        black_box(live.step());
    })
}

/// The prost baseline's book fed by the same stream.
#[derive(Debug)]
pub struct LiveProstBook {
    /// The book.
    pub client: BookClient,
    cycle: FrameCycle,
}

impl LiveProstBook {
    /// Loaded like [`LiveMexcBook`].
    pub fn new() -> LiveProstBook {
        let side = |bid| {
            data::typed_side(LEVELS, 1, bid)
                .into_iter()
                .map(|(p, _)| Level::new(p, Quantity::parse("1").unwrap_or(Quantity::ZERO)))
                .collect::<Vec<_>>()
        };
        let mut cycle = FrameCycle::new(depth_frames(), FIRST_ID);
        let _ = cycle.next_frame();
        LiveProstBook {
            client: BookClient::new(
                data::symbol("BTCUSDT"),
                usize::MAX,
                &side(true),
                &side(false),
                cycle.last_id(),
            ),
            cycle,
        }
    }

    /// Decodes and applies the next push.
    #[inline]
    pub fn step(&mut self) -> Option<()> {
        let frame = self.cycle.next_frame();
        let push = baseline::mexc_depth_push(frame)?;
        self.client.apply(&push)
    }
}

impl Default for LiveProstBook {
    fn default() -> Self {
        Self::new()
    }
}

fn depth_apply_prost() -> Operation {
    let mut live = LiveProstBook::new();
    for _ in 0..4 * VARIANTS {
        assert_eq!(live.step(), Some(()));
    }
    Box::new(move || {
        black_box(live.step());
    })
}

/// Every deal of an `aggre.deals` push as a Trade, folded so nothing is collected.
fn deals_ours(frame: &[u8]) -> Option<(usize, Trade)> {
    let push = decode_push(frame).ok()?;
    let symbol = push.header.symbol().ok()?;
    let Body::AggreDeals(deals) = push.body else {
        return None;
    };
    let mut last = None;
    let mut count = 0;
    for (index, deal) in deals.deals().enumerate() {
        last = Some(deal.ok()?.to_trade(symbol, index).ok()?);
        count += 1;
    }
    Some((count, last?))
}

fn deals() -> Operation {
    let frame = data::mexc_vector("aggre_deals_2025doc");
    let ours = deals_ours(&frame);
    assert!(ours.is_some());
    assert_eq!(
        ours,
        baseline::mexc_deals(&frame).and_then(|v| Some((v.len(), *v.last()?))),
        "ours and the baseline disagree"
    );
    Box::new(move || {
        black_box(deals_ours(black_box(&frame)));
    })
}

fn deals_prost() -> Operation {
    let frame = data::mexc_vector("aggre_deals_2025doc");
    Box::new(move || {
        black_box(baseline::mexc_deals(black_box(&frame)));
    })
}

fn ticker_ours(frame: &[u8]) -> Option<BookTicker> {
    let push = decode_push(frame).ok()?;
    let Body::AggreBookTicker(ticker) = push.body else {
        return None;
    };
    Some(ticker.to_book_ticker(push.header.symbol().ok()?, push.header.event_time_ms()))
}

fn book_ticker() -> Operation {
    let frame = ticker_frame();
    let ours = ticker_ours(&frame);
    assert!(ours.is_some());
    assert_eq!(ours, baseline::mexc_book_ticker(&frame));
    Box::new(move || {
        black_box(ticker_ours(black_box(&frame)));
    })
}

fn book_ticker_prost() -> Operation {
    let frame = ticker_frame();
    Box::new(move || {
        black_box(baseline::mexc_book_ticker(black_box(&frame)));
    })
}

fn sign_query() -> Operation {
    // A made-up key pair: signing cost does not depend on the secret's value.
    let signer = RestSigner::new(
        "https://api.mexc.com",
        Credentials::new("bench-key", "bench-secret-0123456789abcdef0123456789"),
    );
    Box::new(move || {
        black_box(signer.signed_query(black_box(&[("symbol", "BTCUSDT")]), 1_778_075_380_657));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ours_and_the_baseline_keep_the_same_book() {
        let mut ours = LiveMexcBook::new();
        let mut prost = LiveProstBook::new();
        for _ in 0..100 {
            assert_eq!(ours.step(), Some(()));
            assert_eq!(prost.step(), Some(()));
        }
        let book = ours
            .sync
            .book(data::symbol("BTCUSDT"))
            .unwrap_or_else(|| panic!("no book"));
        let theirs = prost.client.book();
        assert_eq!(book.update_id(), theirs.update_id());
        assert!(book.bids().eq(theirs.bids()));
        assert!(book.asks().eq(theirs.asks()));
    }
}
