//! Any bytes through the Gate.io frame decoder, the REST snapshot decoder and the channel
//! peek: never a panic, and everything a decoded message points at can be walked. The
//! public handler's stream classification runs the handler's message-type detection, and
//! its `on_frame` the whole handler path (detection, then parsing from the detected
//! envelope).
#![no_main]

use std::cell::RefCell;

use exchange_gateio::{
    Endpoints, GateioHandlerConfig, GateioPublicParts, GateioPublicTopic,
    GateioSpotPublicWebSocketHandler, Market, Message, SpotMarket, parse_frame, parse_snapshot,
    peek_channel,
};
use libfuzzer_sys::fuzz_target;
use market_types::Symbol;
use ws_core::{FrameKind, InboundFrame, Outbox, Session, Timestamp};
use ws_handlers::Driven;

thread_local! {
    static HANDLER: RefCell<GateioSpotPublicWebSocketHandler<()>> = RefCell::new(
        GateioPublicParts::<_, SpotMarket>::new(
            GateioHandlerConfig::new(Endpoints::live(Market::Spot)),
            // A tracked (syncing) book, so that order book pushes reach the book path.
            [GateioPublicTopic::OrderBook(
                Symbol::new("BTC_USDT").expect("symbol"),
            )],
            (),
        )
        .map(Driven::new)
        .expect("spot handler"),
    );
}

fuzz_target!(|data: &[u8]| {
    let _ = peek_channel(data);
    let mut payload = data.to_vec();
    let frame = InboundFrame {
        kind: FrameKind::Text,
        payload: &mut payload,
        received_at: Timestamp::now(),
    };
    let _ = HANDLER.with(|handler| handler.borrow().stream_kind(&frame));
    HANDLER.with(|handler| handler.borrow_mut().on_frame(frame, &mut Outbox::new()));
    if let Ok(snapshot) = parse_snapshot(data) {
        for level in snapshot.bids.iter().chain(snapshot.asks.iter()) {
            let _ = level;
        }
    }
    let Ok(message) = parse_frame(data) else {
        return;
    };
    match message {
        Message::OrderBookUpdate(update) => {
            for level in update.bids.iter().chain(update.asks.iter()) {
                let _ = level;
            }
        }
        Message::BookSnapshot(snapshot) => {
            for level in snapshot.bids.iter().chain(snapshot.asks.iter()) {
                let _ = level;
            }
        }
        Message::Trades(items) => items.iter().for_each(drop),
        Message::Tickers(items) => items.iter().for_each(drop),
        Message::Orders(items) => items.iter().for_each(drop),
        Message::UserTrades(items) => items.iter().for_each(drop),
        Message::Balances(items) => items.iter().for_each(drop),
        Message::Positions(items) => items.iter().for_each(drop),
        _ => {}
    }
});
