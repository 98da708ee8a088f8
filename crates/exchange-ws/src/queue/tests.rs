use std::task::{Context, Poll, Waker};

use market_types::{BookStatus, BookStatusEvent, Symbol, Venue};
use ws_handlers::Role;
use ws_mixins::ErrorCategory;

use super::*;
use crate::event::{BookLine, ConnectionEvent, ConnectionStatus};

const VENUE: Venue = Venue::MexcSpot;

fn event(body: EventBody) -> Event {
    Event {
        venue: VENUE,
        receive_ts_ns: 1,
        body,
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn error(n: u32) -> Event {
    event(EventBody::Error {
        category: ErrorCategory::Venue,
        message: n.to_string(),
    })
}

fn status(symbol: &str, status: BookStatus) -> Event {
    event(EventBody::BookStatus(BookStatusEvent {
        venue: VENUE,
        symbol: sym(symbol),
        status,
    }))
}

fn book(symbol: &str) -> Event {
    event(EventBody::Book(BookLine {
        symbol: sym(symbol),
        status: BookStatus::Live,
        update_id: 1,
        bids: Vec::new(),
        asks: Vec::new(),
    }))
}

fn connected(shard: u16) -> Event {
    event(EventBody::Connection(ConnectionEvent {
        role: Role::Private,
        shard,
        status: ConnectionStatus::Connected,
    }))
}

fn drain(queue: &EventQueue) -> Vec<Event> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::new();
    while let Poll::Ready(Some(event)) = queue.poll_pop(&mut cx) {
        out.push(event);
    }
    out
}

#[test]
fn dropped_kinds_are_counted() {
    let queue = EventQueue::new(2);
    queue.push_all((0..5).map(error));
    assert_eq!(drain(&queue), vec![error(0), error(1)]);
    let stats = queue.stats();
    assert_eq!(stats.dropped[EventKind::Error.index()], 3);
    assert_eq!(stats.delivered, 2);
}

#[test]
fn conflated_kinds_keep_the_latest_value_per_symbol_in_order() {
    let queue = EventQueue::new(1);
    queue.push_all([
        error(0),
        status("BTCUSDT", BookStatus::Syncing),
        status("ETHUSDT", BookStatus::Syncing),
        status("BTCUSDT", BookStatus::Live),
    ]);
    assert_eq!(
        drain(&queue),
        vec![
            error(0),
            status("BTCUSDT", BookStatus::Live),
            status("ETHUSDT", BookStatus::Syncing),
        ]
    );
    assert_eq!(queue.stats().conflated, 1);
}

#[test]
fn lost_book_views_leave_one_marker_per_symbol() {
    let queue = EventQueue::new(1);
    queue.push_all([error(0), book("BTCUSDT"), book("BTCUSDT"), book("ETHUSDT")]);
    let events = drain(&queue);
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[1].body,
        EventBody::Lagged(Lagged {
            kind: EventKind::Book,
            symbol: Some(sym("BTCUSDT")),
            dropped: 2,
        })
    );
    assert_eq!(events[2].symbol(), Some(sym("ETHUSDT")));
}

#[test]
fn account_events_use_the_reserve_before_they_are_marked() {
    let queue = EventQueue::new(2);
    queue.push_all((0..6).map(connected));
    let events = drain(&queue);
    // Two queued, two reserved, two marked as one lost stretch.
    assert_eq!(events[..4], (0..4).map(connected).collect::<Vec<_>>()[..]);
    assert_eq!(
        events[4].body,
        EventBody::Lagged(Lagged {
            kind: EventKind::Connection,
            symbol: None,
            dropped: 2,
        })
    );
    assert_eq!(events.len(), 5);
}

#[test]
fn close_ends_the_stream_after_the_queued_events() {
    let queue = EventQueue::new(4);
    queue.push_all([error(0)]);
    queue.close();
    queue.push_all([error(1)]);
    assert_eq!(drain(&queue), vec![error(0)]);
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(queue.poll_pop(&mut cx), Poll::Ready(None));
}
