//! Venue-independent hot paths: decimals, the order book, the bounded queue, handler dispatch.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use market_types::{Decimal, OrderBook, Price, Quantity, Side, Symbol};
use ws_core::{
    FrameKind, FrameQueue, InboundFrame, Outbox, OverflowPolicy, QueuedFrame, StreamKind, Timestamp,
};
use ws_handlers::{
    BaseMessageHandler, HandlerError, HandlerStats, PublicMessageHandler, WebSocketMessageType,
};

use crate::{Kind, Operation, Workload};

pub(crate) fn workloads() -> Vec<Workload> {
    vec![
        Workload::new(
            "decimal_parse",
            "parse one 8-decimal price string to fixed point",
            Kind::Other,
            decimal_parse,
        )
        .alloc_free(),
        Workload::new(
            "book_apply_20",
            "apply 20 level changes (10 per side) to a 100-level book",
            Kind::OrderBook,
            book_apply_20,
        )
        .alloc_free(),
        Workload::new(
            "queue_push_pop",
            "push one frame into the bounded queue and pop it",
            Kind::Other,
            queue_push_pop,
        )
        .alloc_free(),
        Workload::new(
            "handler_dispatch",
            "BaseMessageHandler template: detect, route, count one message (timing off)",
            Kind::Detection,
            handler_dispatch,
        )
        .alloc_free(),
    ]
}

fn decimal_parse() -> Operation {
    let inputs = [&b"42391.12345678"[..], b"0.00001234", b"1.5", b"100000"];
    let mut i = 0usize;
    Box::new(move || {
        i = (i + 1) & 3;
        let _ = black_box(Decimal::parse_bytes(black_box(inputs[i])));
    })
}

fn book_apply_20() -> Operation {
    let symbol = Symbol::new("BTC_USDT").unwrap_or_else(|_| unreachable!("valid symbol"));
    let mut book = OrderBook::with_capacity(symbol, 256);
    let level = |p: i64, q: i64| {
        (
            Price::from(Decimal::from_parts(p, 2).unwrap_or(Decimal::ZERO)),
            Quantity::from(Decimal::from_parts(q, 4).unwrap_or(Decimal::ZERO)),
        )
    };
    let bids: Vec<_> = (0..100)
        .map(|i| level(5_000_000 - i * 10, 10_000 + i))
        .collect();
    let asks: Vec<_> = (0..100)
        .map(|i| level(5_000_010 + i * 10, 10_000 + i))
        .collect();
    let _ = book.load_snapshot(bids.iter().copied(), asks.iter().copied(), 1);
    // Ten changes per side near the top: updates, one removal and one re-insertion.
    let mut updates = Vec::new();
    for i in 0..10 {
        updates.push((Side::Buy, level(5_000_000 - i * 10, 20_000 + i)));
        updates.push((Side::Sell, level(5_000_010 + i * 10, 30_000 + i)));
    }
    let mut flip = false;
    Box::new(move || {
        flip = !flip;
        for (side, (price, quantity)) in &updates {
            let q = if flip && price.value().mantissa() % 20 == 0 {
                Quantity::ZERO
            } else {
                *quantity
            };
            let _ = book.apply(*side, *price, q);
        }
        black_box(book.best_bid());
    })
}

fn queue_push_pop() -> Operation {
    let queue = Arc::new(FrameQueue::new(1024));
    let now = Timestamp::new(Instant::now(), 0);
    let runtime = tokio_free_pop();
    Box::new(move || {
        let frame = QueuedFrame {
            kind: FrameKind::Text,
            stream: StreamKind::Book,
            payload: BytesMut::new(),
            received_at: now,
        };
        black_box(queue.push(frame, OverflowPolicy::Reconnect));
        black_box(runtime(&queue));
    })
}

/// Pops without an async runtime: the queue is never empty here, so `pop` completes on
/// its first poll.
fn tokio_free_pop() -> impl Fn(&FrameQueue) -> Option<QueuedFrame> {
    |queue| {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut fut = std::pin::pin!(queue.pop());
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => None,
        }
    }
}

struct Dispatch {
    stats: HandlerStats,
    books: u64,
}

impl BaseMessageHandler for Dispatch {
    // Clock reads under callgrind vary in cost from run to run; the gate must be repeatable.
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        "bench"
    }
    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> WebSocketMessageType {
        if frame.payload.first() == Some(&b'{') {
            WebSocketMessageType::OrderBook
        } else {
            WebSocketMessageType::Unknown
        }
    }
    fn route_message(
        &mut self,
        t: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.route_public(t, frame, out)
    }
    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.stats
    }
}

impl PublicMessageHandler for Dispatch {
    fn parse_orderbook_update(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.books += frame.payload.len() as u64;
        Ok(())
    }
    fn parse_trade_message(
        &mut self,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn handler_dispatch() -> Operation {
    let mut handler = Dispatch {
        stats: HandlerStats::default(),
        books: 0,
    };
    let mut out = Outbox::new();
    let mut payload = br#"{"channel":"x"}"#.to_vec();
    let now = Timestamp::new(Instant::now(), 0);
    Box::new(move || {
        handler.handle_message(
            InboundFrame {
                kind: FrameKind::Text,
                payload: &mut payload,
                received_at: now,
            },
            &mut out,
        );
        black_box(handler.books);
    })
}
