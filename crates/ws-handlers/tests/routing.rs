//! The handler hierarchy driven with scripted frames: routing, the template's accounting,
//! trait defaults, and the connection lifecycle.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::time::{Duration, Instant};

use ws_handlers::{
    BaseMessageHandler, HandlerError, HandlerStats, Lifecycle, PrivateMessageHandler,
    PublicMessageHandler, WebSocketMessageType as T,
};
use ws_mixins::{AuthMixin, SubscriptionMixin};
use ws_session::{FrameKind, InboundFrame, OutFrame, Outbox, SessionSignal, Timestamp};

/// Frames are `TYPE:body`; the type prefix decides routing.
fn detect(frame: &InboundFrame<'_>) -> T {
    let p: &[u8] = frame.payload;
    let head = p.split(|b| *b == b':').next().unwrap_or(b"");
    match head {
        b"book" => T::OrderBook,
        b"trade" => T::Trade,
        b"ticker" => T::Ticker,
        b"bbo" => T::BookTicker,
        b"ping" => T::Ping,
        b"ack" => T::Subscribe,
        b"order" => T::OrderUpdate,
        b"fill" => T::ExecutionReport,
        b"balance" => T::BalanceUpdate,
        b"position" => T::PositionUpdate,
        _ => T::Unknown,
    }
}

#[derive(Default)]
struct Public {
    stats: HandlerStats,
    calls: Vec<&'static str>,
    skipped: Vec<String>,
}

impl BaseMessageHandler for Public {
    fn exchange_name(&self) -> &'static str {
        "test"
    }
    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> T {
        detect(frame)
    }
    fn route_message(
        &mut self,
        t: T,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.route_public(t, frame, out)
    }
    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.stats
    }
    fn handle_processing_error(&mut self, t: T, error: &HandlerError, raw: &[u8]) {
        self.skipped.push(format!(
            "{}|{error}|{}",
            t.as_str(),
            String::from_utf8_lossy(raw)
        ));
    }
}

impl PublicMessageHandler for Public {
    fn parse_orderbook_update(
        &mut self,
        frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        if frame.payload.ends_with(b"bad") {
            return Err(HandlerError::Decode {
                message_type: T::OrderBook,
                detail: "truncated".into(),
            });
        }
        self.calls.push("book");
        Ok(())
    }
    fn parse_trade_message(
        &mut self,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.calls.push("trade");
        Ok(())
    }
    fn handle_control(
        &mut self,
        t: T,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.calls.push(t.as_str());
        Ok(())
    }
}

#[derive(Default)]
struct Private {
    stats: HandlerStats,
    calls: Vec<&'static str>,
}

impl BaseMessageHandler for Private {
    const RECORD_TIMING: bool = false;
    fn exchange_name(&self) -> &'static str {
        "test-private"
    }
    fn detect_message_type(&self, frame: &InboundFrame<'_>) -> T {
        detect(frame)
    }
    fn route_message(
        &mut self,
        t: T,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.route_private(t, frame, out)
    }
    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.stats
    }
}

impl PrivateMessageHandler for Private {
    fn parse_order_update(
        &mut self,
        _f: InboundFrame<'_>,
        _o: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.calls.push("order");
        Ok(())
    }
    fn parse_execution_report(
        &mut self,
        _f: InboundFrame<'_>,
        _o: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.calls.push("fill");
        Ok(())
    }
    fn parse_balance_update(
        &mut self,
        _f: InboundFrame<'_>,
        _o: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.calls.push("balance");
        Ok(())
    }
}

fn now() -> Timestamp {
    Timestamp::new(Instant::now(), 1_700_000_000_000_000_000)
}

fn feed<H: BaseMessageHandler>(h: &mut H, text: &str) -> Outbox {
    let mut bytes = text.as_bytes().to_vec();
    let mut out = Outbox::new();
    h.handle_message(
        InboundFrame {
            kind: FrameKind::Text,
            payload: &mut bytes,
            received_at: now(),
        },
        &mut out,
    );
    out
}

#[test]
fn public_routing_and_accounting() {
    let mut h = Public::default();
    for f in [
        "book:1", "trade:1", "ack:1", "book:bad", "ticker:1", "bbo:1", "ping:1", "order:1", "zzz",
    ] {
        feed(&mut h, f);
    }
    assert_eq!(h.calls, vec!["book", "trade", "SUBSCRIBE"]);
    assert_eq!(h.stats.messages, 9);
    assert_eq!(h.stats.count(T::OrderBook), 2);
    // The bad book, plus ticker and book ticker that this handler does not parse.
    assert_eq!(h.stats.errors, 3);
    assert_eq!(
        h.skipped[0],
        "ORDERBOOK|cannot decode OrderBook: truncated|book:bad"
    );
    assert!(h.skipped[1].starts_with("TICKER|"));
    assert!(h.skipped[2].starts_with("BOOK_TICKER|"));
    // A private type and an unknown one are counted as unhandled, not errors.
    assert_eq!(h.stats.unhandled, 2);
    assert_eq!(h.stats.processing.len(), 9, "every message is timed");
}

#[test]
fn private_routing_and_defaults() {
    let mut h = Private::default();
    for f in [
        "order:1",
        "fill:1",
        "balance:1",
        "position:1",
        "book:1",
        "ack:1",
    ] {
        feed(&mut h, f);
    }
    assert_eq!(h.calls, vec!["order", "fill", "balance"]);
    assert_eq!(h.stats.errors, 1, "positions are unsupported by default");
    assert_eq!(h.stats.unhandled, 1);
    assert_eq!(h.stats.processing.len(), 0, "timing switched off");
}

struct Format;
impl SubscriptionMixin for Format {
    type Topic = &'static str;
    fn subscribe_message(&self, t: &[&'static str], id: u64, _now: Timestamp) -> OutFrame {
        OutFrame::text(format!("sub {id} {}", t[0]))
    }
    fn unsubscribe_message(&self, t: &[&'static str], id: u64, _now: Timestamp) -> OutFrame {
        OutFrame::text(format!("unsub {id} {}", t[0]))
    }
}

struct Login;
impl AuthMixin for Login {
    fn requires_authentication(&self) -> bool {
        true
    }
    fn create_auth_message(&mut self, _now: Timestamp) -> Option<OutFrame> {
        Some(OutFrame::text("login"))
    }
}

struct Open;
impl AuthMixin for Open {}

#[test]
fn lifecycle_subscribes_after_login_and_signals_ready_once() {
    let mut lc = Lifecycle::new(Duration::from_secs(5));
    let mut out = Outbox::new();
    lc.subscribe("trades", &Format, now(), &mut out);
    assert!(out.is_empty(), "nothing is sent before a connection");
    lc.on_connected(&mut Login, &Format, now(), &mut out);
    assert_eq!(out.frames(), &[OutFrame::text("login")]);
    out.clear();
    lc.on_authenticated(&Format, now(), &mut out);
    assert_eq!(out.frames(), &[OutFrame::text("sub 1 trades")]);
    assert!(out.signals().is_empty());
    out.clear();
    assert_eq!(lc.ack_request(1, &mut out), Ok(vec!["trades"]));
    assert_eq!(out.signals(), &[SessionSignal::Ready]);
    out.clear();
    lc.subscribe("book", &Format, now(), &mut out);
    assert_eq!(out.frames(), &[OutFrame::text("sub 2 book")]);
    lc.ack_topic(&"book", &mut out);
    assert!(
        out.signals().is_empty(),
        "Ready is signalled once per connection"
    );

    // Reconnect: login again, then both topics again.
    lc.on_disconnected();
    out.clear();
    lc.on_connected(&mut Login, &Format, now(), &mut out);
    lc.on_authenticated(&Format, now(), &mut out);
    assert_eq!(
        out.frames(),
        &[
            OutFrame::text("login"),
            OutFrame::text("sub 3 trades"),
            OutFrame::text("sub 4 book")
        ]
    );
}

#[test]
fn lifecycle_without_auth_and_with_ack_timeout() {
    let mut lc = Lifecycle::new(Duration::from_secs(2));
    let mut out = Outbox::new();
    let t = now();
    lc.on_connected(&mut Open, &Format, t, &mut out);
    assert_eq!(
        out.signals(),
        &[SessionSignal::Ready],
        "no topics, no auth: ready at once"
    );
    out.clear();
    lc.subscribe("x", &Format, t, &mut out);
    assert_eq!(out.frames().len(), 1);
    out.clear();
    assert!(
        lc.on_tick(&Format, t.advanced(Duration::from_secs(1)), &mut out)
            .is_none()
    );
    let err = lc.on_tick(&Format, t.advanced(Duration::from_secs(3)), &mut out);
    assert!(err.is_some());
    assert_eq!(
        out.frames(),
        &[OutFrame::text("sub 2 x")],
        "timed-out topic requested again"
    );
    lc.on_auth_rejected("bad key", &mut out);
    assert!(
        out.signals()
            .contains(&SessionSignal::AuthenticationFailed("bad key".into()))
    );
}

#[test]
fn a_refusal_is_a_final_answer_for_ready() {
    let mut lc = Lifecycle::new(Duration::from_secs(5));
    let mut out = Outbox::new();
    lc.subscribe("good", &Format, now(), &mut out);
    lc.subscribe("bad", &Format, now(), &mut out);
    lc.on_connected(&mut Open, &Format, now(), &mut out);
    out.clear();
    assert_eq!(lc.ack_request(1, &mut out), Ok(vec!["good"]));
    assert!(
        out.signals().is_empty(),
        "still waiting for the second answer"
    );
    let error = lc.reject_request(2, "unknown topic", &mut out);
    assert!(error.to_string().contains("bad"));
    assert_eq!(out.signals(), &[SessionSignal::Ready]);
    let mut lc2 = Lifecycle::new(Duration::from_secs(5));
    let mut out2 = Outbox::new();
    lc2.subscribe("x", &Format, now(), &mut out2);
    lc2.on_connected(&mut Open, &Format, now(), &mut out2);
    out2.clear();
    lc2.reject_topics(&["x"], "Blocked", &mut out2);
    assert_eq!(out2.signals(), &[SessionSignal::Ready]);
}
