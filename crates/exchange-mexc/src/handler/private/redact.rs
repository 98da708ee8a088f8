//! `Debug` for the private handler: its listen key and signer are credentials, so they
//! are shown only as present or absent.

use std::fmt;

use ws_mixins::PrivateWebSocketMixin;

use super::MexcPrivateParts;

impl<H: PrivateWebSocketMixin + fmt::Debug> fmt::Debug for MexcPrivateParts<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MexcPrivateParts")
            .field("signer", &self.signer.as_ref().map(|_| "<redacted>"))
            .field("has_listen_key", &self.has_listen_key())
            .field("config", &self.config)
            .field("subscriptions", &self.subscriptions)
            .field("fatal", &self.fatal)
            .field("delivery", &self.delivery)
            .field("reconciler", &self.reconciler)
            .field("check_key", &self.check_key.get())
            .field("callbacks", &self.shared.callbacks)
            .field("stats", &self.shared.stats)
            .field("counters", &self.counters)
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use market_types::Symbol;
    use ws_session::{Outbox, RestReply, RestResponse, Session, Timestamp};

    use crate::config::{Credentials, Endpoints, MexcConfig};
    use ws_handlers::Driven;

    use crate::handler::{MexcHandlerConfig, MexcPrivateParts};

    const LISTEN_KEY: &str = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1";
    const API_KEY: &str = "mx0vglKeyThatMustNotShow";
    const SECRET: &str = "45d0b3c26f2644f19bfb98b07741b2f5";

    #[derive(Debug, Default)]
    struct Quiet;
    impl ws_mixins::PrivateWebSocketMixin for Quiet {}

    fn at(ms: u64) -> Timestamp {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        let origin = *ORIGIN.get_or_init(Instant::now);
        Timestamp::new(origin, 1_778_000_000_000_000_000).advanced(Duration::from_millis(ms))
    }

    #[test]
    fn debug_shows_no_listen_key_and_no_credentials() {
        let config = MexcHandlerConfig::new(MexcConfig {
            endpoints: Endpoints::new("ws://127.0.0.1:1/ws", "http://127.0.0.1:1"),
            credentials: Some(Credentials::new(API_KEY, SECRET)),
            ..MexcConfig::default()
        });
        let parts = MexcPrivateParts::new(config, [Symbol::new("BTCUSDT").unwrap()], Quiet);
        let mut handler = Driven::new(parts);
        let mut out = Outbox::new();
        assert!(!handler.ready_to_connect(at(0), &mut out));
        let create = out.rest_requests()[0].clone();
        let body = format!(r#"{{"listenKey":"{LISTEN_KEY}"}}"#);
        let reply = RestResponse {
            id: create.id,
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: Bytes::from(body),
            }),
        };
        handler.on_rest_response(reply, at(1), &mut Outbox::new());
        assert!(handler.ready_to_connect(at(2), &mut Outbox::new()));
        assert!(handler.connection_context().url.contains(LISTEN_KEY));
        for shown in [format!("{handler:?}"), format!("{handler:#?}")] {
            for secret in [LISTEN_KEY, API_KEY, SECRET] {
                assert!(!shown.contains(secret), "{secret} is shown");
            }
        }
    }
}
