use std::time::{Duration, Instant};

use ws_mixins::AuthMixin;
use ws_session::FrameKind;

use super::*;
use crate::{BookSyncSummary, HandlerError, HandlerStats, NoBooks, WebSocketMessageType};

const ACK_TIMEOUT: Duration = Duration::from_secs(5);

struct NoLogin;

impl AuthMixin for NoLogin {}

struct Topics;

impl SubscriptionMixin for Topics {
    type Topic = &'static str;

    fn subscribe_message(&self, topics: &[&'static str], _id: u64, _now: Timestamp) -> OutFrame {
        OutFrame::text(format!("sub:{}", topics.join(",")))
    }

    fn unsubscribe_message(&self, topics: &[&'static str], _id: u64, _now: Timestamp) -> OutFrame {
        OutFrame::text(format!("unsub:{}", topics.join(",")))
    }
}

/// A toy venue: one topic, a ping, errors collected.
struct Toy {
    lifecycle: Lifecycle<&'static str>,
    shared: SharedParts<Vec<String>>,
    commands: Vec<u8>,
    resets: u32,
}

impl Toy {
    fn new() -> Self {
        let mut lifecycle = Lifecycle::new(ACK_TIMEOUT);
        lifecycle.subscriptions_mut().add("trades");
        Toy {
            lifecycle,
            shared: SharedParts::new(Vec::new(), NoBooks),
            commands: Vec::new(),
            resets: 0,
        }
    }
}

impl BaseMessageHandler for Toy {
    const RECORD_TIMING: bool = false;

    fn exchange_name(&self) -> &'static str {
        "toy"
    }

    fn detect_message_type(&self, _frame: &InboundFrame<'_>) -> WebSocketMessageType {
        WebSocketMessageType::Unknown
    }

    fn route_message(
        &mut self,
        _message_type: WebSocketMessageType,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    fn handler_stats(&mut self) -> &mut HandlerStats {
        &mut self.shared.stats
    }

    fn report_skipped(&mut self, error: &StreamError) {
        self.shared.callbacks.push(error.message.clone());
    }
}

impl VenueSession for Toy {
    type Command = u8;
    type Topic = &'static str;
    type Format = Topics;

    fn connection_context(&self) -> ConnectionContext {
        ConnectionContext::new("toy", "ws://127.0.0.1:1/")
    }

    fn reconnection_policy(&self) -> ReconnectionPolicy {
        ReconnectionPolicy::default()
    }

    fn stream_kind(&self, _frame: &InboundFrame<'_>) -> StreamKind {
        StreamKind::Control
    }

    fn lifecycle(&mut self) -> (&mut Lifecycle<&'static str>, &Topics) {
        (&mut self.lifecycle, &Topics)
    }

    fn on_connected(&mut self, now: Timestamp, out: &mut Outbox) {
        self.lifecycle.on_connected(&mut NoLogin, &Topics, now, out);
    }

    fn app_ping(&self, _now: Timestamp) -> Option<OutFrame> {
        Some(OutFrame::text("ping"))
    }

    fn on_command(&mut self, command: u8, _now: Timestamp, _out: &mut Outbox) {
        self.commands.push(command);
    }

    fn on_disconnected(&mut self, _cause: &DisconnectCause, _now: Timestamp) {
        self.resets += 1;
    }
}

impl WithSharedParts for Toy {
    type Callbacks = Vec<String>;
    type Books = NoBooks;

    fn shared(&self) -> &SharedParts<Vec<String>> {
        &self.shared
    }

    fn shared_mut(&mut self) -> &mut SharedParts<Vec<String>> {
        &mut self.shared
    }
}

fn at(start: Instant, after: Duration) -> Timestamp {
    Timestamp::new(start, 0).advanced(after)
}

#[test]
fn the_glue_drives_the_lifecycle_and_the_hooks() {
    let start = Instant::now();
    let mut session = Driven::new(Toy::new());
    let mut out = Outbox::new();
    session.on_connected(at(start, Duration::ZERO), &mut out);
    assert_eq!(out.drain_frames().count(), 1, "the topic is subscribed");

    let mut payload = b"{}".to_vec();
    let frame = InboundFrame {
        kind: FrameKind::Text,
        payload: &mut payload,
        received_at: at(start, Duration::ZERO),
    };
    session.on_frame(frame, &mut out);
    assert_eq!(
        session.shared.stats.messages, 1,
        "frames reach the message template"
    );
    assert_eq!(
        session.handler_stats().messages,
        1,
        "the handler reads the parts' counters"
    );
    assert!(session.book_symbols().is_empty(), "no books: none listed");
    assert_eq!(session.book_sync(), BookSyncSummary::default());

    session.on_tick(at(start, ACK_TIMEOUT * 2), &mut out);
    assert_eq!(
        VenueHandler::callbacks(&session).len(),
        1,
        "an ack timeout is reported"
    );
    assert_eq!(
        out.drain_frames().count(),
        1,
        "and the topic requested again"
    );

    session.on_app_ping(at(start, Duration::ZERO), &mut out);
    assert_eq!(out.drain_frames().count(), 1, "the venue's ping is sent");

    session.on_command(7, at(start, Duration::ZERO), &mut out);
    assert_eq!(session.commands, [7]);

    let cause = DisconnectCause::ClosedByPeer {
        code: Some(1000),
        reason: String::new(),
    };
    session.on_disconnected(&cause, at(start, Duration::ZERO));
    assert_eq!(session.resets, 1);
    assert!(!session.lifecycle.is_connected(), "the lifecycle is reset");
    session.on_connected(at(start, Duration::ZERO), &mut out);
    assert_eq!(
        out.drain_frames().count(),
        1,
        "the topic is subscribed again"
    );
}
