//! No credential reaches `Debug`: the API key, the secret and a signature are absent from
//! every type that holds them, in `{:?}` and `{:#?}` alike.

use exchange_gateio::{
    Credentials, Endpoints, GateioAuthMixin, GateioHandlerConfig, GateioPrivateParts, LoginMode,
    Market, SpotMarket,
};
use ws_handlers::Driven;

const API_KEY: &str = "gate-key-4f2a9c8e1b7d";
const SECRET: &str = "gate-secret-77d0e5b3a91c";

fn assert_hidden(shown: &str) {
    for secret in [API_KEY, SECRET] {
        assert!(!shown.contains(secret), "{secret} is shown");
    }
}

fn assert_debug_hidden(value: &impl std::fmt::Debug) {
    assert_hidden(&format!("{value:?}"));
    assert_hidden(&format!("{value:#?}"));
}

fn config() -> GateioHandlerConfig {
    GateioHandlerConfig::new(Endpoints::custom(
        "ws://127.0.0.1:1/ws",
        "http://127.0.0.1:1",
    ))
    .with_credentials(Credentials::new(API_KEY, SECRET))
}

#[test]
fn credentials() {
    assert_debug_hidden(&Credentials::new(API_KEY, SECRET));
}

#[test]
fn handler_config() {
    assert_debug_hidden(&config());
}

#[test]
fn auth_mixin() {
    let auth = GateioAuthMixin::new(
        Market::Spot,
        Some(Credentials::new(API_KEY, SECRET)),
        LoginMode::LoginFirst,
        std::time::Duration::from_secs(5),
    );
    assert_debug_hidden(&auth);
}

#[test]
fn private_handler() {
    let handler = Driven::new(GateioPrivateParts::<_, SpotMarket>::new(config(), ()));
    assert_debug_hidden(&handler);
}

/// Collects what the handler reports.
#[derive(Debug, Default)]
struct Errors(Vec<String>);

impl ws_mixins::PrivateWebSocketMixin for Errors {
    fn on_error(&mut self, error: &ws_mixins::StreamError) {
        self.0.push(error.message.clone());
    }
}

/// A private frame that does not decode is reported by type and length: account data
/// (here a balance of 222244.38 in a user's account) never reaches a log or a callback.
#[test]
fn private_decode_errors_show_no_account_data() {
    use ws_session::{FrameKind, InboundFrame, Outbox, Session};
    let frame = r#"{"time":1605248616,"time_ms":1605248616763,"channel":"spot.balances","event":"update","result":[{"timestamp":"1667556323","timestamp_ms":"1667556323730","user":"7730001","currency":"USDT","change":"0","total":"222244.3827652","available":"not-a-number-994471","freeze":"5","freeze_change":"5.000000","change_type":"order-create"}]}"#;
    let error_frame = r#"{"time":1,"channel":"spot.balances","event":"update","error":{"code":2,"message":"account 7730001 holds 222244.3827652"}}"#;
    let mut handler = Driven::new(GateioPrivateParts::<_, SpotMarket>::new(
        config(),
        Errors::default(),
    ));
    for raw in [frame, error_frame] {
        let mut payload = raw.as_bytes().to_vec();
        handler.on_frame(
            InboundFrame {
                kind: FrameKind::Text,
                payload: &mut payload,
                received_at: ws_session::Timestamp::now(),
            },
            &mut Outbox::new(),
        );
    }
    let reported = &handler.callbacks().0;
    assert!(!reported.is_empty(), "nothing reported");
    for message in reported {
        for data in ["222244", "not-a-number", "7730001"] {
            assert!(!message.contains(data), "{data} in {message:?}");
        }
    }
}
