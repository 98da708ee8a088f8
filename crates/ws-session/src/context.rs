//! What a session says about where and how to connect.

use std::time::Duration;

/// Connection parameters supplied by the session (`ConnectionMixin::create_connection_context`).
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionContext {
    /// `ws://` or `wss://` URL.
    pub url: String,
    /// Extra handshake headers (some venues want as few as possible).
    pub headers: Vec<(String, String)>,
    /// Heartbeat and liveness settings.
    pub ping: PingSettings,
    /// Rotate the connection (make-before-break) after this long; venues cut long-lived connections (24 h is common).
    pub max_lifetime: Option<Duration>,
    /// How often [`crate::Session::on_tick`] runs while connected.
    pub tick_interval: Duration,
    /// A label for logs and metrics (`"venue-spot-public"`); never a secret.
    pub label: String,
}

impl ConnectionContext {
    /// A context for `url` with default heartbeat settings and no extra headers.
    pub fn new(label: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            headers: Vec::new(),
            ping: PingSettings::default(),
            max_lifetime: None,
            tick_interval: Duration::from_millis(250),
            label: label.into(),
        }
    }
}

impl std::fmt::Debug for ConnectionContext {
    // A listen key travels in the URL and tokens may travel in headers: show neither.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ConnectionContext")
            .field("url", &redact_query(&self.url))
            .field("headers", &header_names)
            .field("ping", &self.ping)
            .field("max_lifetime", &self.max_lifetime)
            .field("tick_interval", &self.tick_interval)
            .field("label", &self.label)
            .finish()
    }
}

/// Heartbeat and liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingSettings {
    /// Call [`crate::Session::on_app_ping`] this often (venue JSON pings); `None` disables it.
    pub app_ping_interval: Option<Duration>,
    /// Send a protocol-level ping frame this often; `None` disables it.
    pub protocol_ping_interval: Option<Duration>,
    /// A socket with no inbound bytes for this long is treated as dead.
    pub idle_timeout: Option<Duration>,
}

impl Default for PingSettings {
    fn default() -> Self {
        Self {
            app_ping_interval: None,
            protocol_ping_interval: None,
            idle_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// Drops query parameters that carry credentials from a URL before it is logged.
pub fn redact_query(url: &str) -> String {
    match url.split_once('?') {
        None => url.to_string(),
        Some((base, query)) => {
            let kept: Vec<String> = query
                .split('&')
                .map(|pair| {
                    let key = pair.split('=').next().unwrap_or("");
                    let secret = matches!(
                        key.to_ascii_lowercase().as_str(),
                        "signature" | "listenkey" | "api_key" | "apikey" | "sign" | "key"
                    );
                    if secret {
                        format!("{key}=<redacted>")
                    } else {
                        pair.to_string()
                    }
                })
                .collect();
            format!("{base}?{}", kept.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_listen_key_and_header_values() {
        let mut ctx = ConnectionContext::new("mexc-private", "wss://h/ws?listenKey=SECRETKEY");
        ctx.headers
            .push(("Authorization".into(), "Bearer TOKEN".into()));
        let shown = format!("{ctx:?}");
        assert!(!shown.contains("SECRETKEY"));
        assert!(!shown.contains("TOKEN"));
        assert!(shown.contains("Authorization"));
    }

    #[test]
    fn defaults_have_an_idle_watchdog() {
        let ctx = ConnectionContext::new("x", "ws://127.0.0.1:1/");
        assert_eq!(ctx.ping.idle_timeout, Some(Duration::from_secs(30)));
        assert_eq!(ctx.ping.app_ping_interval, None);
        assert!(ctx.max_lifetime.is_none());
    }
}
