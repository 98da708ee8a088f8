//! Credentials never travel in clear text off this machine.
//!
//! A private stream signs its requests and sends its API key (and perhaps a listen key) to
//! the venue. Over `ws://` or `http://` anyone on the path reads them, so a request with
//! credentials is refused at configuration time unless every URL is `wss://` / `https://`
//! or names a loopback host (`127.0.0.0/8`, `::1`, `localhost`: the embedded simulator).

use std::net::IpAddr;

/// A private stream was configured to send credentials over a plaintext URL to a host
/// that is not this machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refusing to send API credentials in clear text to {host} ({scheme}://): use wss:// and \
     https://, or a loopback address (127.0.0.1, ::1, localhost) for a local simulator"
)]
pub struct PlaintextCredentials {
    /// The URL's scheme (`ws`, `http`, ...).
    pub scheme: String,
    /// The host the credentials would have gone to.
    pub host: String,
}

/// Checks that credentials may be sent to `url`: over TLS (`wss`, `https`) anywhere, in
/// clear text only to a loopback host.
///
/// # Errors
/// [`PlaintextCredentials`] for any other URL (an unparsable one included).
pub fn check_credentials_transport(url: &str) -> Result<(), PlaintextCredentials> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    if scheme.eq_ignore_ascii_case("wss") || scheme.eq_ignore_ascii_case("https") {
        return Ok(());
    }
    let host = host_of(rest);
    if is_loopback(host) {
        return Ok(());
    }
    Err(PlaintextCredentials {
        scheme: scheme.to_ascii_lowercase(),
        host: host.to_owned(),
    })
}

/// The host of what follows `scheme://`: without user info, port and brackets.
fn host_of(rest: &str) -> &str {
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return bracketed.split_once(']').map_or(bracketed, |(h, _)| h);
    }
    host_port.split_once(':').map_or(host_port, |(h, _)| h)
}

fn is_loopback(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_anywhere_clear_text_only_to_this_machine() {
        for url in [
            "wss://example.com/ws",
            "https://api.example.com",
            "WSS://example.com",
            "ws://127.0.0.1:1/ws",
            "http://127.0.0.1",
            "ws://127.4.5.6:80/x",
            "ws://[::1]:8080/ws",
            "http://localhost:1/api",
            "ws://LOCALHOST",
            "ws://example.com@127.0.0.1:1/",
        ] {
            assert_eq!(check_credentials_transport(url), Ok(()), "{url}");
        }
        for (url, host) in [
            ("ws://example.com/ws", "example.com"),
            ("http://example.com", "example.com"),
            ("ws://127.0.0.1.example.com/ws", "127.0.0.1.example.com"),
            ("ws://localhost.example.com", "localhost.example.com"),
            ("ws://10.0.0.1:1", "10.0.0.1"),
            ("ws://[::2]:1", "::2"),
            ("ws://127.0.0.1@example.com/", "example.com"),
            ("tcp://127.0.0.1x", "127.0.0.1x"),
            ("example.com", "example.com"),
        ] {
            let refused = check_credentials_transport(url);
            assert_eq!(
                refused.as_ref().map_err(|e| e.host.as_str()),
                Err(host),
                "{url}"
            );
        }
        let Err(refused) = check_credentials_transport("ws://example.com/ws?listenKey=abc") else {
            panic!("plaintext to example.com accepted");
        };
        let message = refused.to_string();
        assert!(message.contains("example.com") && message.contains("ws://"));
        assert!(!message.contains("abc"), "{message}");
    }
}
