//! No credential reaches `Debug`: the API key, the secret and a signature are absent from
//! every type that holds them, in `{:?}` and `{:#?}` alike.

use exchange_gateio::{
    Credentials, Endpoints, GateioAuthMixin, GateioHandlerConfig,
    GateioSpotPrivateWebSocketHandler, LoginMode, Market,
};

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
    let handler = GateioSpotPrivateWebSocketHandler::new(config(), ());
    assert_debug_hidden(&handler);
}
