use super::{API_KEY, SECRET, credentials, sym};
use crate::futures::private::{
    FuturesPrivateError, FuturesRestSigner, LoginRequest, PersonalFilter, login_signature,
    personal_filter,
};

/// `hex(HMAC_SHA256("secret", "mxU1TzSmRDW1o5AsE" + "1611038237237"))`, computed apart
/// (Python `hmac`). The docs' own example signature cannot be checked: its secret is not
/// published.
const LOGIN_SIGNATURE: &str = "dd99fbda3968e07c2c20a2753f7b27b33276864a160113f79eed9f5cdc6e7b2e";

#[test]
fn login_signature_vector() {
    assert_eq!(
        login_signature(&credentials(), 1_611_038_237_237),
        LOGIN_SIGNATURE
    );
}

#[test]
fn login_has_the_fixture_shape() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "data/mexc_futures_login_request_nodefault.json"
    ))
    .unwrap();
    let login = LoginRequest::new(&credentials(), 1_611_038_237_237);
    let sent: serde_json::Value = serde_json::from_str(login.as_str()).unwrap();
    assert_eq!(sent["subscribe"], fixture["subscribe"]);
    assert_eq!(sent["method"], fixture["method"]);
    assert_eq!(sent["param"]["apiKey"], fixture["param"]["apiKey"]);
    assert_eq!(sent["param"]["reqTime"], fixture["param"]["reqTime"]);
    assert_eq!(sent["param"]["signature"], LOGIN_SIGNATURE);
    let keys = |v: &serde_json::Value| {
        let mut keys: Vec<String> = v["param"].as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&sent), keys(&fixture));
    // The minimal docs example has the same param names.
    let minimal: serde_json::Value =
        serde_json::from_str(include_str!("data/mexc_futures_login_request.json")).unwrap();
    assert_eq!(keys(&sent), keys(&minimal));
    assert_eq!(login.req_time_ms(), 1_611_038_237_237);
    assert_eq!(
        login.frame(),
        ws_session::OutFrame::text(login.as_str().to_string())
    );
}

#[test]
fn secrets_never_reach_debug_or_errors() {
    let login = LoginRequest::new(&credentials(), 1);
    let shown = format!("{login:?}");
    assert!(!shown.contains(API_KEY), "{shown}");
    assert!(
        !shown.contains(&login_signature(&credentials(), 1)),
        "{shown}"
    );
    assert!(shown.contains("<redacted>"));

    let distinct_secret = "45d0b3c26f2644f19bfb98b07741b2f5";
    let signer = FuturesRestSigner::new(
        "https://contract.mexc.com",
        crate::config::Credentials::new(API_KEY, distinct_secret),
    );
    let shown = format!("{signer:?}");
    assert!(
        !shown.contains(API_KEY) && !shown.contains(distinct_secret),
        "{shown}"
    );
    assert_eq!(SECRET, "secret", "the vectors' secret");

    let rejected = FuturesPrivateError::LoginRejected {
        reason: "Signature verification failed!".into(),
    };
    assert!(rejected.is_fatal());
    let text = rejected.to_string();
    assert!(text.contains("login rejected") && text.contains("Signature verification failed!"));
    assert!(!text.contains(API_KEY));
}

#[test]
fn personal_filter_names_the_contracts() {
    let frame = personal_filter(&PersonalFilter::ALL, &[sym("BTC_USDT"), sym("ETH_USDT")]);
    assert_eq!(
        frame,
        ws_session::OutFrame::text(
            r#"{"method":"personal.filter","param":{"filters":[{"filter":"order","rules":["BTC_USDT","ETH_USDT"]},{"filter":"order.deal","rules":["BTC_USDT","ETH_USDT"]},{"filter":"position","rules":["BTC_USDT","ETH_USDT"]},{"filter":"asset"}]}}"#
        )
    );
    let all = personal_filter(&[PersonalFilter::Order], &[]);
    assert_eq!(
        all,
        ws_session::OutFrame::text(
            r#"{"method":"personal.filter","param":{"filters":[{"filter":"order","rules":[]}]}}"#
        )
    );
}
