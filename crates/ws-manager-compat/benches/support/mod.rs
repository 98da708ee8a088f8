//! What the criterion benchmark and the instruction-count example share: the recorded
//! inputs, the three ways of building a session, and the loop that feeds frames.
#![allow(dead_code, reason = "each target uses part of the support module")]

use std::hint::black_box;

use crate::replay::{Frame, Recording, warm_up};
use ws_core::{ConnectionContext, InboundFrame, Outbox, RestResponse, Session, Timestamp};
use ws_manager_compat::__private::{ReplaySession, session};
use ws_manager_compat::{
    Architecture, ExchangeConfig, ExchangeCredentials, PublicWebsocketChannelType, Symbol,
};

const CHANNELS: [PublicWebsocketChannelType; 4] = [
    PublicWebsocketChannelType::Orderbook,
    PublicWebsocketChannelType::Trades,
    PublicWebsocketChannelType::BookTicker,
    PublicWebsocketChannelType::Ticker,
];

pub struct Venue {
    pub name: &'static str,
    pub file: &'static str,
    pub exchange: &'static str,
    pub rest: &'static str,
    pub ws: &'static str,
    pub symbol: Symbol,
}

pub fn venues() -> Vec<Venue> {
    vec![
        Venue {
            name: "mexc_spot",
            file: "mexc_public_sim.jsonl",
            exchange: "MEXC",
            rest: "http://127.0.0.1:9/mexc",
            ws: "ws://127.0.0.1:9/mexc/ws",
            symbol: Symbol::new("BTC", "USDT"),
        },
        Venue {
            name: "gateio_spot",
            file: "gateio_spot_public_sim.jsonl",
            exchange: "GATEIO",
            rest: "http://127.0.0.1:9/gateio/api/v4",
            ws: "ws://127.0.0.1:9/gateio/ws/v4/",
            symbol: Symbol::new("BTC", "USDT"),
        },
        Venue {
            name: "gateio_futures",
            file: "gateio_futures_public_sim.jsonl",
            exchange: "GATEIO_FUTURES",
            rest: "http://127.0.0.1:9/gateio/api/v4",
            ws: "ws://127.0.0.1:9/gateio/v4/ws/usdt",
            symbol: Symbol::futures("BTC", "USDT"),
        },
    ]
}

pub type Prepared = (Box<dyn ReplaySession>, Vec<Frame>);

pub fn prepare(
    venue: &Venue,
    recording: &Recording,
    make: &dyn Fn() -> anyhow::Result<Box<dyn ReplaySession>>,
) -> anyhow::Result<Prepared> {
    let mut s = make()?;
    let frames = warm_up(s.as_mut(), recording, venue.rest)?;
    Ok((s, frames))
}

#[inline(never)]
pub fn feed((mut session, mut frames): Prepared) -> Prepared {
    let mut out = Outbox::new();
    for f in &mut frames {
        session.frame(
            InboundFrame {
                kind: f.kind,
                payload: &mut f.payload,
                received_at: f.at,
            },
            &mut out,
        );
        out.clear();
    }
    (session, frames)
}

/// A constructor of one path's session.
pub type Maker = Box<dyn Fn() -> anyhow::Result<Box<dyn ReplaySession>>>;

/// The recording of `venue`.
pub fn recording(venue: &Venue) -> anyhow::Result<Recording> {
    let path = format!("{}/tests/data/{}", env!("CARGO_MANIFEST_DIR"), venue.file);
    Recording::from_jsonl(&std::fs::read_to_string(&path)?)
}

/// `legacy_strategy`, `mixin` and `raw_handler` sessions for `venue`, delivering every
/// `ParsedMessage` to a handler that drops it.
pub fn makers(venue: &Venue) -> [(&'static str, Maker); 3] {
    let config = ExchangeConfig::new(
        venue.exchange,
        ExchangeCredentials::default(),
        venue.rest,
        venue.ws,
    );
    let compat = |architecture: Architecture| -> Maker {
        let config = config.clone();
        let symbol = venue.symbol.clone();
        Box::new(move || {
            Ok(session(
                architecture,
                &config,
                false,
                Some(CHANNELS.to_vec()),
                std::slice::from_ref(&symbol),
                Box::new(|m| {
                    black_box(m);
                }),
            )?)
        })
    };
    [
        ("legacy_strategy", compat(Architecture::LegacyStrategy)),
        ("mixin", compat(Architecture::Mixin)),
        ("raw_handler", raw_handler(venue)),
    ]
}

/// The venue's handler with `()` callbacks: nothing is translated or delivered.
pub fn raw_handler(venue: &Venue) -> Maker {
    let rest = venue.rest;
    let ws = venue.ws;
    match venue.exchange {
        "MEXC" => Box::new(move || {
            let symbol = market_types::Symbol::new("BTCUSDT")?;
            let interval = exchange_mexc::AggInterval::Ms10;
            let config = exchange_mexc::MexcHandlerConfig::new(exchange_mexc::MexcConfig {
                endpoints: exchange_mexc::Endpoints::new(ws, rest),
                ..exchange_mexc::MexcConfig::default()
            });
            let channels = [
                exchange_mexc::Channel::AggreBookTicker { symbol, interval },
                exchange_mexc::Channel::AggreDepth { symbol, interval },
                exchange_mexc::Channel::AggreDeals { symbol, interval },
            ];
            let parts = exchange_mexc::MexcPublicParts::new(config, channels, ());
            let handler = ws_handlers::Driven::new(parts);
            Ok(Box::new(Raw(handler)) as Box<dyn ReplaySession>)
        }),
        exchange => {
            let futures = exchange == "GATEIO_FUTURES";
            Box::new(move || {
                use exchange_gateio::GateioPublicTopic as T;
                let symbol = market_types::Symbol::new("BTC_USDT")?;
                let config = exchange_gateio::GateioHandlerConfig {
                    rest_signature_prefix: Some("/api/v4".into()),
                    ..exchange_gateio::GateioHandlerConfig::new(exchange_gateio::Endpoints::custom(
                        ws, rest,
                    ))
                };
                let topics = [
                    T::OrderBook(symbol),
                    T::Trades(symbol),
                    T::BookTicker(symbol),
                    T::Tickers(symbol),
                ];
                Ok(if futures {
                    Box::new(Raw(exchange_gateio::GateioPublicParts::<
                        _,
                        exchange_gateio::FuturesMarket,
                    >::new(config, topics, ())
                    .map(ws_handlers::Driven::new)?)) as Box<dyn ReplaySession>
                } else {
                    Box::new(Raw(exchange_gateio::GateioPublicParts::<
                        _,
                        exchange_gateio::SpotMarket,
                    >::new(config, topics, ())
                    .map(ws_handlers::Driven::new)?))
                })
            })
        }
    }
}

/// Any session, driven through `ReplaySession`.
pub struct Raw<S>(pub S);

impl<S: Session> ReplaySession for Raw<S> {
    fn context(&self) -> ConnectionContext {
        self.0.connection_context()
    }
    fn ready(&mut self, now: Timestamp, out: &mut Outbox) -> bool {
        self.0.ready_to_connect(now, out)
    }
    fn connected(&mut self, now: Timestamp, out: &mut Outbox) {
        self.0.on_connected(now, out);
    }
    fn frame(&mut self, frame: InboundFrame<'_>, out: &mut Outbox) {
        self.0.on_frame(frame, out);
    }
    fn rest(&mut self, response: RestResponse, now: Timestamp, out: &mut Outbox) {
        self.0.on_rest_response(response, now, out);
    }
    fn tick(&mut self, now: Timestamp, out: &mut Outbox) {
        self.0.on_tick(now, out);
    }
    fn disconnected(&mut self, cause: &ws_core::DisconnectCause, now: Timestamp) {
        self.0.on_disconnected(cause, now);
    }
    fn app_ping(&mut self, now: Timestamp, out: &mut Outbox) {
        self.0.on_app_ping(now, out);
    }
    fn counts(&self) -> (u64, u64) {
        (0, 0)
    }
}
