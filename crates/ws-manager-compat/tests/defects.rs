//! The old layer's defects (spec §7) that sit in the sessions, checked on each compiled-in
//! path without sockets. (Backoff after a reader ends and `reset_on_1005` are ws-core's and
//! tested there; metrics counting is in `old_api.rs`.)
#![allow(deprecated, reason = "tests of the deprecated compatibility API")]

use std::time::Instant;

use ws_core::{OutFrame, Outbox, Timestamp};
use ws_manager_compat::__private::{ReplaySession, session};
use ws_manager_compat::{Architecture, ExchangeConfig, ExchangeCredentials, Symbol};

fn architectures() -> Vec<Architecture> {
    [Architecture::Mixin, Architecture::LegacyStrategy]
        .into_iter()
        .filter(|a| a.is_compiled_in())
        .collect()
}

struct Venue {
    name: &'static str,
    ws: &'static str,
    rest: &'static str,
    symbol: Symbol,
    /// What a book subscription must contain.
    book_request: &'static [&'static str],
    /// What the application ping looks like.
    ping: &'static str,
}

fn venues() -> Vec<Venue> {
    vec![
        Venue {
            name: "MEXC",
            ws: "ws://127.0.0.1:9/mexc/ws",
            rest: "http://127.0.0.1:9/mexc",
            symbol: Symbol::new("BTC", "USDT"),
            // §7.6: the protobuf aggre.depth channel the parser reads, not increase.depth.
            book_request: &[
                r#""method":"SUBSCRIPTION""#,
                "spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT",
            ],
            ping: r#"{"method":"PING"}"#,
        },
        Venue {
            name: "GATEIO",
            ws: "ws://127.0.0.1:9/gateio/ws/v4/",
            rest: "http://127.0.0.1:9/gateio/api/v4",
            symbol: Symbol::new("BTC", "USDT"),
            // §7.6: Gate's documented payload, not [pair, "100ms", "5"] nor method/params.
            book_request: &[
                r#""channel":"spot.order_book_update""#,
                r#""event":"subscribe""#,
                r#""payload":["BTC_USDT","20ms"]"#,
            ],
            ping: r#""channel":"spot.ping""#,
        },
        Venue {
            name: "GATEIO_FUTURES",
            ws: "ws://127.0.0.1:9/gateio/v4/ws/usdt",
            rest: "http://127.0.0.1:9/gateio/api/v4",
            symbol: Symbol::futures("BTC", "USDT"),
            book_request: &[
                r#""channel":"futures.order_book_update""#,
                r#""payload":["BTC_USDT","20ms","20"]"#,
            ],
            ping: r#""channel":"futures.ping""#,
        },
    ]
}

fn make(
    architecture: Architecture,
    venue: &Venue,
    symbols: &[Symbol],
) -> anyhow::Result<Box<dyn ReplaySession>> {
    let config = ExchangeConfig::new(
        venue.name,
        ExchangeCredentials::default(),
        venue.rest,
        venue.ws,
    );
    Ok(session(
        architecture,
        &config,
        false,
        None,
        symbols,
        Box::new(|_| {}),
    )?)
}

fn texts(out: &Outbox) -> Vec<String> {
    out.frames()
        .iter()
        .map(|f| match f {
            OutFrame::Text(b) | OutFrame::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        })
        .collect()
}

fn now() -> Timestamp {
    Timestamp::new(Instant::now(), 1_780_000_000_000_000_000)
}

/// §7.3: nothing is subscribed when no symbol is active (the old code called `subscribe([])`
/// on every reconnect), and the initial symbols are subscribed on the first connect (V6
/// subscribed nothing), again after a reconnect.
#[test]
fn resubscription_sends_what_is_active_and_nothing_else() -> anyhow::Result<()> {
    for architecture in architectures() {
        for venue in venues() {
            let mut empty = make(architecture, &venue, &[])?;
            let mut out = Outbox::new();
            empty.connected(now(), &mut out);
            assert!(
                texts(&out).is_empty(),
                "{architecture} {}: {:?}",
                venue.name,
                texts(&out)
            );

            let mut s = make(architecture, &venue, std::slice::from_ref(&venue.symbol))?;
            for round in 0..2 {
                let mut out = Outbox::new();
                s.connected(now(), &mut out);
                let sent = texts(&out).join("\n");
                for needle in venue.book_request {
                    assert!(
                        sent.contains(needle),
                        "{architecture} {} (connect {round}): {needle} not in\n{sent}",
                        venue.name
                    );
                }
                s.disconnected(
                    &ws_core::DisconnectCause::ConnectionLost("test".into()),
                    now(),
                );
            }
        }
    }
    Ok(())
}

/// §7.7: both paths send the venue's application ping on every heartbeat (MEXC relied on
/// protocol pings only; Gate.io's custom heartbeat could stop for good).
#[test]
fn application_pings_are_sent() -> anyhow::Result<()> {
    for architecture in architectures() {
        for venue in venues() {
            let mut s = make(architecture, &venue, std::slice::from_ref(&venue.symbol))?;
            let mut out = Outbox::new();
            s.connected(now(), &mut out);
            for _ in 0..3 {
                let mut out = Outbox::new();
                s.app_ping(now(), &mut out);
                let sent = texts(&out).join("\n");
                assert!(
                    sent.contains(venue.ping),
                    "{architecture} {}: {sent}",
                    venue.name
                );
            }
        }
    }
    Ok(())
}
