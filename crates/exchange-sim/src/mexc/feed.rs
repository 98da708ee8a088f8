//! Public push builders: a book's window flush or current state into wrappers.
//!
//! Pure functions; the push time comes in as an argument. Wrappers carry `channel`,
//! `symbol` and `sendTime`, as the docs' samples do (§6.2).

use market_types::Side;

use crate::mexc::book::{Flush, SymbolBook};
use crate::mexc::channel::{Channel, DepthLevels};
use crate::mexc::pb::{
    AggreDeal, DepthItem, PublicAggreBookTicker, PublicAggreDeals, PublicAggreDepths,
    PublicBookTicker, PublicBookTickerBatch, PublicLimitDepths, PushBody, PushDataWrapper,
};

/// An aggre.depth push covering the flush's versions.
pub(crate) fn depth(
    book: &SymbolBook,
    channel: Channel,
    flush: &Flush,
    now_ms: i64,
) -> PushDataWrapper {
    let items = |levels: &[(i64, i64)]| -> Vec<DepthItem> {
        levels
            .iter()
            .map(|&(price, size)| DepthItem {
                price: book.price_text(price),
                quantity: book.quantity_text(size),
            })
            .collect()
    };
    wrapper(
        book,
        channel,
        now_ms,
        PushBody::AggreDepths(PublicAggreDepths {
            asks: items(&flush.asks),
            bids: items(&flush.bids),
            event_type: channel.event_type(),
            from_version: flush.from.to_string(),
            to_version: flush.to.to_string(),
            last_order_create_time: now_ms,
        }),
    )
}

/// An aggre.deals push of the flush's trades.
pub(crate) fn deals(
    book: &SymbolBook,
    channel: Channel,
    flush: &Flush,
    now_ms: i64,
) -> PushDataWrapper {
    let deals = flush
        .trades
        .iter()
        .map(|trade| AggreDeal {
            price: book.price_text(trade.price),
            quantity: book.quantity_text(trade.quantity),
            trade_type: match trade.taker {
                Side::Buy => 1,
                Side::Sell => 2,
            },
            time: now_ms,
            trade_id: trade.trade_id.to_string(),
        })
        .collect();
    wrapper(
        book,
        channel,
        now_ms,
        PushBody::AggreDeals(PublicAggreDeals {
            deals,
            event_type: channel.event_type(),
        }),
    )
}

/// An aggre.bookTicker push of the current touch at `version`.
pub(crate) fn book_ticker(
    book: &SymbolBook,
    channel: Channel,
    version: u64,
    now_ms: i64,
) -> PushDataWrapper {
    let ticker = touch(book);
    wrapper(
        book,
        channel,
        now_ms,
        PushBody::AggreBookTicker(PublicAggreBookTicker {
            bid_price: ticker.bid_price,
            bid_quantity: ticker.bid_quantity,
            ask_price: ticker.ask_price,
            ask_quantity: ticker.ask_quantity,
            version: version.to_string(),
            last_order_create_time: now_ms,
        }),
    )
}

/// A limit.depth push: the current top levels.
pub(crate) fn limit_depth(
    book: &SymbolBook,
    channel: Channel,
    levels: DepthLevels,
    now_ms: i64,
) -> PushDataWrapper {
    let (bids, asks) = book.top(levels.count());
    let items = |levels: Vec<(i64, i64)>| -> Vec<DepthItem> {
        levels
            .into_iter()
            .map(|(price, size)| DepthItem {
                price: book.price_text(price),
                quantity: book.quantity_text(size),
            })
            .collect()
    };
    wrapper(
        book,
        channel,
        now_ms,
        PushBody::LimitDepths(PublicLimitDepths {
            asks: items(asks),
            bids: items(bids),
            event_type: channel.event_type(),
            version: book.version().to_string(),
            last_order_create_time: now_ms,
        }),
    )
}

/// A bookTicker.batch push: one item, the current touch.
pub(crate) fn book_ticker_batch(
    book: &SymbolBook,
    channel: Channel,
    now_ms: i64,
) -> PushDataWrapper {
    wrapper(
        book,
        channel,
        now_ms,
        PushBody::BookTickerBatch(PublicBookTickerBatch {
            items: vec![touch(book)],
            version: book.version().to_string(),
            last_order_create_time: now_ms,
        }),
    )
}

fn touch(book: &SymbolBook) -> PublicBookTicker {
    let (bid, ask) = book.touch();
    let text = |level: Option<(i64, i64)>| match level {
        Some((price, size)) => (book.price_text(price), book.quantity_text(size)),
        None => (String::new(), String::new()),
    };
    let (bid_price, bid_quantity) = text(bid);
    let (ask_price, ask_quantity) = text(ask);
    PublicBookTicker {
        bid_price,
        bid_quantity,
        ask_price,
        ask_quantity,
    }
}

fn wrapper(book: &SymbolBook, channel: Channel, now_ms: i64, body: PushBody) -> PushDataWrapper {
    PushDataWrapper {
        channel: channel.to_string(),
        symbol: Some(book.symbol().to_string()),
        symbol_id: None,
        create_time: None,
        send_time: Some(now_ms),
        body,
    }
}
