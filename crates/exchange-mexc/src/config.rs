//! Endpoints, credentials and book-sync settings. Every endpoint can be overridden, for
//! example to point at the workspace's loopback simulator.

use core::fmt;
use std::time::Duration;

use ring::hmac;
use ws_handlers::SyncSettings;
use ws_session::{ConnectionContext, PingSettings};
use zeroize::Zeroizing;

/// Everything a MEXC spot connection is configured with.
#[derive(Debug, Clone, Default)]
pub struct MexcConfig {
    /// Where to connect.
    pub endpoints: Endpoints,
    /// API key and secret, for the user data stream and REST reconciliation.
    pub credentials: Option<Credentials>,
    /// `recvWindow` sent with signed REST calls (ms, at most 60 000); `None` leaves the
    /// venue default of 5 000.
    pub recv_window_ms: Option<u32>,
    /// Local order-book settings.
    pub book: BookSyncConfig,
}

/// WebSocket and REST base URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Market (and, with `?listenKey=`, user data) stream; `wss://wbs-api.mexc.com/ws`.
    pub ws_url: String,
    /// REST base without a trailing slash; `https://api.mexc.com`.
    pub rest_url: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            ws_url: WS_URL.to_string(),
            rest_url: REST_URL.to_string(),
        }
    }
}

impl Endpoints {
    /// Endpoints at other URLs (a simulator on loopback, say).
    pub fn new(ws_url: impl Into<String>, rest_url: impl Into<String>) -> Endpoints {
        Endpoints {
            ws_url: ws_url.into(),
            rest_url: rest_url.into().trim_end_matches('/').to_string(),
        }
    }

    /// The user-data stream URL for a listen key: `<ws_url>?listenKey=<key>`.
    pub fn private_ws_url(&self, listen_key: &str) -> String {
        let separator = if self.ws_url.contains('?') { '&' } else { '?' };
        format!("{}{separator}listenKey={listen_key}", self.ws_url)
    }

    /// A driver context for the market stream: application `PING` every 20 s (MEXC drops a
    /// connection after 60 s without traffic), rotation before the 24 h limit.
    pub fn public_context(&self) -> ConnectionContext {
        context("mexc-spot-public", self.ws_url.clone())
    }

    /// A driver context for the user-data stream of `listen_key`.
    pub fn private_context(&self, listen_key: &str) -> ConnectionContext {
        context("mexc-spot-private", self.private_ws_url(listen_key))
    }
}

fn context(label: &str, url: String) -> ConnectionContext {
    let mut context = ConnectionContext::new(label, url);
    context.ping = PingSettings {
        app_ping_interval: Some(APP_PING_INTERVAL),
        protocol_ping_interval: None,
        idle_timeout: Some(IDLE_TIMEOUT),
    };
    context.max_lifetime = Some(MAX_LIFETIME);
    context
}

/// An API key and its secret. `Debug` shows neither.
#[derive(Clone)]
pub struct Credentials {
    /// Wiped from memory when dropped. (The secret lives only inside `ring`'s HMAC key.)
    api_key: Zeroizing<String>,
    key: hmac::Key,
}

impl Credentials {
    /// Keeps the API key and an HMAC-SHA256 key made from the secret (the secret text
    /// itself is not kept).
    pub fn new(api_key: impl Into<String>, secret: impl AsRef<[u8]>) -> Credentials {
        Credentials {
            api_key: Zeroizing::new(api_key.into()),
            key: hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref()),
        }
    }

    /// The API key, sent as `X-MEXC-APIKEY`.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// `lowercase_hex(HMAC_SHA256(secret, total_params))` (spec §1.8).
    pub fn sign(&self, total_params: &str) -> String {
        let tag = hmac::sign(&self.key, total_params.as_bytes());
        let mut hex = String::with_capacity(tag.as_ref().len() * 2);
        for byte in tag.as_ref() {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        hex
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

/// Local order-book settings (spec §1.9), all bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookSyncConfig {
    /// `limit` of the REST snapshot (`GET /api/v3/depth`), at most 5 000; also the depth
    /// books are trimmed to.
    pub snapshot_depth: u16,
    /// Levels per side reserved in each book, so steady-state updates never allocate.
    pub book_capacity: usize,
    /// Pushes buffered per symbol while waiting for a snapshot; more restarts the sync
    /// with `BufferOverflow`.
    pub max_buffered_pushes: usize,
    /// Levels buffered per symbol (across those pushes); more restarts the sync too.
    pub max_buffered_levels: usize,
    /// Request the snapshot this long after a subscription even if no push arrived (a
    /// quiet symbol may not change for a long time).
    pub snapshot_after_quiet: Duration,
    /// First delay before retrying a failed or stale snapshot; doubles per failure.
    pub retry_initial: Duration,
    /// Cap on that delay.
    pub retry_max: Duration,
    /// A book that stays live this long forgets its earlier failures, so the next resync
    /// fetches at once instead of after a backoff.
    pub forget_failures_after: Duration,
    /// Book sync numbers its REST requests from here up, so a session can route answers.
    pub first_request_id: u64,
}

impl BookSyncConfig {
    /// The venue-independent part, for [`ws_handlers::BookSync`]: books are trimmed to
    /// the snapshot's depth (levels beyond it are not the venue's book).
    pub fn settings(&self) -> SyncSettings {
        SyncSettings {
            depth: usize::from(self.snapshot_depth),
            book_capacity: self.book_capacity,
            max_buffered_pushes: self.max_buffered_pushes,
            max_buffered_items: self.max_buffered_levels,
            snapshot_after_quiet: self.snapshot_after_quiet,
            backoff_initial: self.retry_initial,
            backoff_max: self.retry_max,
            forget_failures_after: self.forget_failures_after,
            first_request_id: self.first_request_id,
        }
    }
}

impl Default for BookSyncConfig {
    fn default() -> Self {
        BookSyncConfig {
            snapshot_depth: 5_000,
            book_capacity: 8_192,
            max_buffered_pushes: 1_024,
            max_buffered_levels: 65_536,
            snapshot_after_quiet: Duration::from_secs(2),
            retry_initial: Duration::from_millis(250),
            retry_max: Duration::from_secs(30),
            forget_failures_after: Duration::from_secs(10),
            first_request_id: 1 << 48,
        }
    }
}

/// Production market-stream URL (spec §1.1).
pub const WS_URL: &str = "wss://wbs-api.mexc.com/ws";
/// Production REST base (spec §1.1).
pub const REST_URL: &str = "https://api.mexc.com";

const APP_PING_INTERVAL: Duration = Duration::from_secs(20);
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// MEXC cuts connections at 24 h; rotate a little earlier.
const MAX_LIFETIME: Duration = Duration::from_secs(23 * 3600 + 50 * 60);
const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_mexc() {
        let config = MexcConfig::default();
        assert_eq!(config.endpoints.ws_url, "wss://wbs-api.mexc.com/ws");
        assert_eq!(config.endpoints.rest_url, "https://api.mexc.com");
        assert_eq!(
            config.endpoints.private_ws_url("abc"),
            "wss://wbs-api.mexc.com/ws?listenKey=abc"
        );
        let context = config.endpoints.public_context();
        assert_eq!(context.url, "wss://wbs-api.mexc.com/ws");
        assert_eq!(
            context.ping.app_ping_interval,
            Some(Duration::from_secs(20))
        );
        assert!(
            context
                .max_lifetime
                .is_some_and(|d| d < Duration::from_secs(86_400))
        );
        assert_eq!(
            config.endpoints.private_context("k").url,
            "wss://wbs-api.mexc.com/ws?listenKey=k"
        );
    }

    #[test]
    fn endpoints_can_point_at_a_simulator() {
        let local = Endpoints::new("ws://127.0.0.1:9000/ws?x=1", "http://127.0.0.1:9001/");
        assert_eq!(local.rest_url, "http://127.0.0.1:9001");
        assert_eq!(
            local.private_ws_url("k"),
            "ws://127.0.0.1:9000/ws?x=1&listenKey=k"
        );
    }

    #[test]
    fn credentials_debug_is_redacted() {
        let credentials = Credentials::new("my-api-key", "my-secret");
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("my-api-key"));
        assert!(!shown.contains("my-secret"));
        assert_eq!(credentials.api_key(), "my-api-key");
        let config = MexcConfig {
            credentials: Some(credentials),
            ..MexcConfig::default()
        };
        assert!(!format!("{config:?}").contains("my-api-key"));
    }
}
