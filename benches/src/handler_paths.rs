//! The same pushes through the venue handlers (`ws_core::Session::on_frame` of
//! `GateioSpotPublicWebSocketHandler` and `MexcPublicWebSocketHandler`): type detection,
//! the `BaseMessageHandler` template, routing, decoding, book sync and the user's
//! callbacks, i.e. everything a message costs after ws-core has read it. Compared with
//! the bare decode workloads this is the handler layer's overhead, the cost the
//! refactoring plan's "strategy overhead" figures are about.
//!
//! The handlers are brought to a live state without sockets: `on_connected`, the venue's
//! ack for what they asked (see [`crate::replies`]), the REST snapshot they request.

use std::hint::black_box;
use std::time::Instant;

use exchange_gateio::{
    Endpoints as GateEndpoints, GateioHandlerConfig, GateioPublicParts, GateioPublicTopic,
    GateioSpotPublicWebSocketHandler, SpotMarket,
};
use exchange_mexc::{
    AggInterval, Channel as MexcChannel, MexcConfig, MexcHandlerConfig, MexcPublicParts,
    MexcPublicWebSocketHandler,
};
use market_types::{BookStatus, BookStatusEvent, BookTicker, BookUpdate, OrderBook, Symbol};
use ws_core::{
    FrameKind, InboundFrame, OutFrame, Outbox, RestReply, RestResponse, Session, Timestamp,
};
use ws_handlers::Driven;
use ws_mixins::{PublicWebSocketMixin, StreamError};

use crate::data::{self, FIRST_ID, FrameCycle};
use crate::{Kind, Operation, Workload, replies};

pub(crate) fn workloads() -> Vec<Workload> {
    vec![
        Workload::new(
            "gateio_handler_book_ticker",
            "spot.book_ticker through GateioSpotPublicWebSocketHandler::on_frame to the callback",
            Kind::Ticker,
            gateio_book_ticker,
        )
        .baseline("gateio_spot_book_ticker_value")
        .alloc_free(),
        Workload::new(
            "gateio_handler_book20",
            "spot.order_book_update (20 levels/side) through the Gate handler into its live book",
            Kind::OrderBook,
            gateio_book20,
        )
        .baseline("gateio_spot_book20_apply_value")
        .alloc_free(),
        Workload::new(
            "mexc_handler_book_ticker",
            "aggre.bookTicker through MexcPublicWebSocketHandler::on_frame to the callback",
            Kind::Ticker,
            mexc_book_ticker,
        )
        .baseline("mexc_book_ticker_prost")
        .alloc_free(),
        Workload::new(
            "mexc_handler_depth20",
            "aggre.depth (20 levels/side) through the MEXC handler into its live book",
            Kind::OrderBook,
            mexc_depth20,
        )
        .baseline("mexc_depth20_apply_prost")
        .alloc_free(),
    ]
}

/// The user's callbacks: counts, keeps the last best bid; allocates nothing.
#[derive(Debug, Default)]
pub struct Counting {
    /// Callbacks of any kind.
    pub events: u64,
    /// Sum of best-bid mantissas seen.
    pub best_bid_sum: i64,
    /// Errors reported.
    pub errors: u64,
    /// The last book status.
    pub status: Option<BookStatus>,
}

impl PublicWebSocketMixin for Counting {
    fn on_order_book(&mut self, book: &OrderBook, _update: &BookUpdate) {
        self.events += 1;
        self.best_bid_sum = self
            .best_bid_sum
            .wrapping_add(book.best_bid().map_or(0, |l| l.price.value().mantissa()));
    }

    fn on_book_ticker(&mut self, ticker: &BookTicker) {
        self.events += 1;
        self.best_bid_sum = self
            .best_bid_sum
            .wrapping_add(ticker.bid.map_or(0, |l| l.price.value().mantissa()));
    }

    fn on_book_status(&mut self, event: &BookStatusEvent) {
        self.status = Some(event.status);
    }

    fn on_error(&mut self, _error: &StreamError) {
        self.errors += 1;
    }
}

fn now() -> Timestamp {
    Timestamp::new(Instant::now(), 1_700_000_000_000_000_000)
}

fn symbol(name: &str) -> Symbol {
    data::symbol(name)
}

/// Feeds `session` one frame.
fn feed<S: Session>(session: &mut S, kind: FrameKind, payload: &mut [u8], out: &mut Outbox) {
    session.on_frame(
        InboundFrame {
            kind,
            payload,
            received_at: now(),
        },
        out,
    );
}

/// Connects `session` and answers every request it sends with `reply`.
fn bring_up<S: Session>(
    session: &mut S,
    reply: fn(&str) -> Option<(String, bool)>,
    out: &mut Outbox,
) {
    session.on_connected(now(), out);
    let requests: Vec<OutFrame> = out.drain_frames().collect();
    for request in requests {
        let OutFrame::Text(text) = request else {
            continue;
        };
        if let Some((answer, _)) = reply(&String::from_utf8_lossy(&text)) {
            feed(session, FrameKind::Text, &mut answer.into_bytes(), out);
        }
    }
}

fn answer_rest<S: Session>(session: &mut S, body: Vec<u8>, out: &mut Outbox) {
    let requests: Vec<_> = out.drain_rest().collect();
    assert_eq!(requests.len(), 1, "expected one snapshot request");
    for request in requests {
        session.on_rest_response(
            RestResponse {
                id: request.id,
                result: Ok(RestReply {
                    status: 200,
                    retry_after: None,
                    body: body.clone().into(),
                }),
            },
            now(),
            out,
        );
    }
}

fn gateio_handler(topic: GateioPublicTopic) -> GateioSpotPublicWebSocketHandler<Counting> {
    let config = GateioHandlerConfig::new(GateEndpoints::custom(
        "ws://127.0.0.1:1/ws/v4/",
        "http://127.0.0.1:1/api/v4",
    ));
    GateioPublicParts::<_, SpotMarket>::new(config, [topic], Counting::default())
        .map(Driven::new)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn gateio_book_ticker() -> Operation {
    let mut handler = gateio_handler(GateioPublicTopic::BookTicker(symbol("BTC_USDT")));
    let mut out = Outbox::new();
    bring_up(&mut handler, replies::gateio, &mut out);
    let mut frame = data::minify(data::GATEIO_SPOT_BOOK_TICKER);
    feed(&mut handler, FrameKind::Text, &mut frame, &mut out);
    assert_eq!(handler.callbacks().events, 1, "the ticker did not arrive");
    assert_eq!(handler.callbacks().errors, 0);
    Box::new(move || {
        feed(
            &mut handler,
            FrameKind::Text,
            black_box(&mut frame),
            &mut out,
        );
        black_box(handler.callbacks().best_bid_sum);
    })
}

fn gateio_book20() -> Operation {
    let mut handler = gateio_handler(GateioPublicTopic::OrderBook(symbol("BTC_USDT")));
    let mut out = Outbox::new();
    bring_up(&mut handler, replies::gateio, &mut out);
    answer_rest(
        &mut handler,
        data::gateio_snapshot_body(20, FIRST_ID, false),
        &mut out,
    );
    // Nothing buffered checked the snapshot: the first push, continuing it, does.
    assert_eq!(handler.callbacks().status, Some(BookStatus::Syncing));
    let frames = (0..16)
        .map(|v| data::gateio_spot_book_frame(20, v))
        .collect();
    let mut cycle = FrameCycle::new(frames, FIRST_ID);
    let before = handler.callbacks().events;
    for _ in 0..64 {
        feed(&mut handler, FrameKind::Text, cycle.next_frame(), &mut out);
    }
    assert_eq!(
        handler.callbacks().events - before,
        64,
        "pushes not applied"
    );
    assert_eq!(handler.callbacks().status, Some(BookStatus::Live));
    Box::new(move || {
        feed(&mut handler, FrameKind::Text, cycle.next_frame(), &mut out);
        black_box(handler.callbacks().best_bid_sum);
    })
}

fn mexc_handler(channel: MexcChannel) -> MexcPublicWebSocketHandler<Counting> {
    let mut mexc = MexcConfig {
        endpoints: exchange_mexc::Endpoints::new("ws://127.0.0.1:1/ws", "http://127.0.0.1:1"),
        ..MexcConfig::default()
    };
    mexc.book.book_capacity = 128;
    let config = MexcHandlerConfig::new(mexc);
    Driven::new(MexcPublicParts::new(config, [channel], Counting::default()))
}

fn mexc_book_ticker() -> Operation {
    let mut handler = mexc_handler(MexcChannel::AggreBookTicker {
        symbol: symbol("BTCUSDT"),
        interval: AggInterval::Ms100,
    });
    let mut out = Outbox::new();
    bring_up(&mut handler, replies::mexc, &mut out);
    let mut frame = data::mexc_vector("aggre_book_ticker_2025doc");
    feed(&mut handler, FrameKind::Binary, &mut frame, &mut out);
    assert_eq!(handler.callbacks().events, 1, "the ticker did not arrive");
    assert_eq!(handler.callbacks().errors, 0);
    Box::new(move || {
        feed(
            &mut handler,
            FrameKind::Binary,
            black_box(&mut frame),
            &mut out,
        );
        black_box(handler.callbacks().best_bid_sum);
    })
}

fn mexc_depth20() -> Operation {
    let mut handler = mexc_handler(MexcChannel::AggreDepth {
        symbol: symbol("BTCUSDT"),
        interval: AggInterval::Ms10,
    });
    let mut out = Outbox::new();
    bring_up(&mut handler, replies::mexc, &mut out);
    let frames = (0..16).map(crate::mexc_paths::depth_frame).collect();
    let mut cycle = FrameCycle::new(frames, FIRST_ID);
    // The first push is buffered and asks for the snapshot.
    feed(
        &mut handler,
        FrameKind::Binary,
        cycle.next_frame(),
        &mut out,
    );
    answer_rest(
        &mut handler,
        crate::mexc_paths::snapshot_body(cycle.last_id()),
        &mut out,
    );
    assert_eq!(handler.callbacks().status, Some(BookStatus::Live));
    let before = handler.callbacks().events;
    for _ in 0..64 {
        feed(
            &mut handler,
            FrameKind::Binary,
            cycle.next_frame(),
            &mut out,
        );
    }
    assert_eq!(
        handler.callbacks().events - before,
        64,
        "pushes not applied"
    );
    Box::new(move || {
        feed(
            &mut handler,
            FrameKind::Binary,
            cycle.next_frame(),
            &mut out,
        );
        black_box(handler.callbacks().best_bid_sum);
    })
}
