//! Endpoints and credentials.
//!
//! Every URL can be overridden (a local simulator, a proxy); the defaults are the
//! documented live and testnet endpoints (spec §3.1, §4.1, §3.5).

use core::fmt;

use ring::hmac;
use zeroize::Zeroizing;

use crate::venue::Market;

/// Where one market connects: its WebSocket URL and its REST base (for snapshots and
/// reconciliation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// WebSocket URL (`wss://` or, for a local simulator, `ws://`).
    pub websocket: String,
    /// REST base up to and including `/api/v4`, no trailing slash.
    pub rest: String,
}

impl Endpoints {
    /// The production endpoints of `market`.
    pub fn live(market: Market) -> Endpoints {
        match market {
            Market::Spot => Endpoints::custom(SPOT_WS_LIVE, REST_LIVE),
            Market::Futures => Endpoints::custom(FUTURES_WS_LIVE, REST_LIVE),
        }
    }

    /// The TestNet endpoints of `market`.
    pub fn testnet(market: Market) -> Endpoints {
        match market {
            Market::Spot => Endpoints::custom(SPOT_WS_TESTNET, REST_TESTNET),
            Market::Futures => Endpoints::custom(FUTURES_WS_TESTNET, REST_TESTNET),
        }
    }

    /// Any URLs, such as a local simulator's. A trailing `/` on the REST base is dropped
    /// so that paths join cleanly.
    pub fn custom(websocket: impl Into<String>, rest: impl Into<String>) -> Endpoints {
        let mut rest = rest.into();
        while rest.ends_with('/') {
            rest.pop();
        }
        Endpoints {
            websocket: websocket.into(),
            rest,
        }
    }

    /// The path prefix of REST URLs (`/api/v4` for the venue), which the APIv4 signature
    /// covers: everything after the authority of [`Endpoints::rest`].
    pub fn rest_path_prefix(&self) -> &str {
        let after_scheme = self
            .rest
            .split_once("://")
            .map_or(self.rest.as_str(), |(_, rest)| rest);
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    }
}

/// An API key and its secret.
///
/// The secret is kept only as an HMAC-SHA512 key; `Debug` shows neither the key nor the
/// secret.
#[derive(Clone)]
pub struct Credentials {
    /// Wiped from memory when dropped. (The secret lives only inside `ring`'s HMAC key.)
    api_key: Zeroizing<String>,
    key: hmac::Key,
}

impl Credentials {
    /// Builds credentials from the API key and its secret.
    pub fn new(api_key: impl Into<String>, secret: impl AsRef<[u8]>) -> Credentials {
        Credentials {
            api_key: Zeroizing::new(api_key.into()),
            key: hmac::Key::new(hmac::HMAC_SHA512, secret.as_ref()),
        }
    }

    /// The public API key (sent as `KEY` / `api_key`).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The HMAC key made from the secret.
    pub(crate) fn hmac_key(&self) -> &hmac::Key {
        &self.key
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &"<redacted>")
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Production spot WebSocket (trailing slash as documented).
pub const SPOT_WS_LIVE: &str = "wss://api.gateio.ws/ws/v4/";
/// Production USDT-settled futures WebSocket.
pub const FUTURES_WS_LIVE: &str = "wss://fx-ws.gateio.ws/v4/ws/usdt";
/// TestNet spot WebSocket.
pub const SPOT_WS_TESTNET: &str = "wss://ws-testnet.gate.com/v4/ws/spot";
/// TestNet USDT-settled futures WebSocket.
pub const FUTURES_WS_TESTNET: &str = "wss://ws-testnet.gate.com/v4/ws/futures/usdt";
/// Production REST base (spot and futures share it).
pub const REST_LIVE: &str = "https://api.gateio.ws/api/v4";
/// TestNet REST base. Not in the spec's sources (Gate's REST docs name it); override
/// with [`Endpoints::custom`] if it moves.
pub const REST_TESTNET: &str = "https://api-testnet.gateapi.io/api/v4";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let creds = Credentials::new("my-key", "super-secret-value");
        for shown in [format!("{creds:?}"), format!("{creds:#?}")] {
            assert!(!shown.contains("my-key"), "{shown}");
            assert!(!shown.contains("super-secret-value"), "{shown}");
            assert!(shown.contains("<redacted>"));
        }
    }

    #[test]
    fn endpoints_and_overrides() {
        assert_eq!(
            Endpoints::live(Market::Spot).websocket,
            "wss://api.gateio.ws/ws/v4/"
        );
        assert_eq!(
            Endpoints::live(Market::Futures).websocket,
            "wss://fx-ws.gateio.ws/v4/ws/usdt"
        );
        assert_eq!(
            Endpoints::live(Market::Futures).rest,
            "https://api.gateio.ws/api/v4"
        );
        assert_eq!(Endpoints::live(Market::Spot).rest_path_prefix(), "/api/v4");
        assert!(
            Endpoints::testnet(Market::Spot)
                .websocket
                .contains("testnet")
        );
        let sim = Endpoints::custom("ws://127.0.0.1:9000/ws", "http://127.0.0.1:9001/");
        assert_eq!(sim.rest, "http://127.0.0.1:9001");
        assert_eq!(sim.rest_path_prefix(), "");
        let sim = Endpoints::custom("ws://x", "http://127.0.0.1:9001/api/v4");
        assert_eq!(sim.rest_path_prefix(), "/api/v4");
    }
}
