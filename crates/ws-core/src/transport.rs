//! TCP, TLS and the WebSocket/HTTP handshakes. Certificates are always verified.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::{Role, WebSocket};
use http_body_util::Empty;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::config::TlsRoots;
use ws_session::DisconnectCause;

/// An open WebSocket over TCP or TLS.
pub(crate) type WsStream = WebSocket<TokioIo<Upgraded>>;

/// `ws`/`wss` or `http`/`https` URL, split into what a connection needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub path_and_query: String,
}

impl Endpoint {
    pub(crate) fn parse(url: &str) -> Result<Endpoint, DisconnectCause> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| DisconnectCause::InvalidUrl(format!("{e}")))?;
        let tls = match uri.scheme_str() {
            Some("wss") | Some("https") => true,
            Some("ws") | Some("http") => false,
            other => {
                return Err(DisconnectCause::InvalidUrl(format!(
                    "unsupported scheme {other:?}"
                )));
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| DisconnectCause::InvalidUrl("missing host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let path_and_query = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".to_string());
        Ok(Endpoint {
            tls,
            host,
            port,
            path_and_query,
        })
    }

    fn host_header(&self) -> String {
        let default_port = if self.tls { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Builds the rustls client configuration once per driver.
pub(crate) fn tls_config(roots: &TlsRoots) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        TlsRoots::WebPki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        TlsRoots::Custom(ders) => {
            for der in ders {
                store
                    .add(rustls::pki_types::CertificateDer::from(der.clone()))
                    .map_err(|e| format!("bad test root: {e}"))?;
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TCP or TLS byte stream.
pub(crate) enum MaybeTls {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for MaybeTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Opens TCP (and TLS when the endpoint asks for it).
pub(crate) async fn open_stream(
    endpoint: &Endpoint,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<MaybeTls, DisconnectCause> {
    let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
        .await
        .map_err(|e| DisconnectCause::ConnectFailed(e.to_string()))?;
    // Latency matters more than packet count for small exchange requests.
    let _ = tcp.set_nodelay(true);
    if !endpoint.tls {
        return Ok(MaybeTls::Plain(tcp));
    }
    let name = ServerName::try_from(endpoint.host.clone())
        .map_err(|e| DisconnectCause::InvalidUrl(format!("bad tls server name: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(tls.clone());
    let stream = connector.connect(name, tcp).await.map_err(|e| {
        // Certificate problems come back as InvalidData wrapping a rustls error.
        if e.kind() == std::io::ErrorKind::InvalidData {
            DisconnectCause::Tls(e.to_string())
        } else {
            DisconnectCause::ConnectFailed(format!("tls handshake: {e}"))
        }
    })?;
    Ok(MaybeTls::Tls(Box::new(stream)))
}

/// TCP + TLS + WebSocket upgrade, all within `timeout`.
pub(crate) async fn connect_websocket(
    url: &str,
    headers: &[(String, String)],
    tls: &Arc<rustls::ClientConfig>,
    timeout: Duration,
    max_message_size: usize,
) -> Result<WsStream, DisconnectCause> {
    let endpoint = Endpoint::parse(url)?;
    let attempt = async {
        let stream = open_stream(&endpoint, tls).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| DisconnectCause::ConnectFailed(format!("http handshake: {e}")))?;
        tokio::spawn(async move {
            // Drives the HTTP connection until the upgrade completes; errors surface on
            // the request below.
            let _ = conn.with_upgrades().await;
        });
        let key = fastwebsockets::handshake::generate_key();
        let mut builder = http::Request::builder()
            .method("GET")
            .uri(endpoint.path_and_query.as_str())
            .header(http::header::HOST, endpoint.host_header())
            .header(http::header::UPGRADE, "websocket")
            .header(http::header::CONNECTION, "Upgrade")
            .header(http::header::SEC_WEBSOCKET_KEY, key.as_str())
            .header(http::header::SEC_WEBSOCKET_VERSION, "13");
        for (name, value) in headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder
            .body(Empty::<Bytes>::new())
            .map_err(|e| DisconnectCause::InvalidUrl(format!("bad header: {e}")))?;
        let mut response = sender
            .send_request(request)
            .await
            .map_err(|e| DisconnectCause::ConnectFailed(format!("upgrade request: {e}")))?;
        if response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
            return Err(DisconnectCause::HandshakeRejected {
                status: response.status().as_u16(),
                retry_after: retry_after(response.headers()),
            });
        }
        verify_accept(response.headers(), &key)?;
        let upgraded = hyper::upgrade::on(&mut response)
            .await
            .map_err(|e| DisconnectCause::ConnectFailed(format!("upgrade: {e}")))?;
        let mut ws = WebSocket::after_handshake(TokioIo::new(upgraded), Role::Client);
        ws.set_max_message_size(max_message_size);
        // Pongs are sent by our writer task; close frames are handled by the reader.
        ws.set_auto_pong(true);
        ws.set_auto_close(true);
        Ok(ws)
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(DisconnectCause::ConnectTimeout),
    }
}

/// A response's `Retry-After`, clamped at parse (see [`ws_session::parse_retry_after`]).
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    ws_session::parse_retry_after(headers.get(http::header::RETRY_AFTER)?.as_bytes())
}

fn verify_accept(headers: &http::HeaderMap, key: &str) -> Result<(), DisconnectCause> {
    let upgrade_ok = headers
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade_ok {
        return Err(DisconnectCause::Protocol(
            "upgrade response lacks Upgrade: websocket".into(),
        ));
    }
    let expected = accept_key(key);
    let got = headers
        .get(http::header::SEC_WEBSOCKET_ACCEPT)
        .and_then(|v| v.to_str().ok());
    if got != Some(expected.as_str()) {
        return Err(DisconnectCause::Protocol(
            "Sec-WebSocket-Accept does not match the key".into(),
        ));
    }
    Ok(())
}

/// RFC 6455 §4.2.2: base64(SHA-1(key + GUID)).
pub(crate) fn accept_key(key: &str) -> String {
    let mut input = Vec::with_capacity(key.len() + WS_GUID.len());
    input.extend_from_slice(key.as_bytes());
    input.extend_from_slice(WS_GUID.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    base64(digest.as_ref())
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in symbols.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[*s as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn endpoint_parsing() {
        let e = Endpoint::parse("wss://api.gateio.ws/ws/v4/").ok();
        assert_eq!(
            e,
            Some(Endpoint {
                tls: true,
                host: "api.gateio.ws".into(),
                port: 443,
                path_and_query: "/ws/v4/".into()
            })
        );
        let e = Endpoint::parse("ws://127.0.0.1:9000/ws?listenKey=x").ok();
        assert_eq!(e.as_ref().map(|e| e.port), Some(9000));
        assert_eq!(
            e.as_ref().map(|e| e.path_and_query.as_str()),
            Some("/ws?listenKey=x")
        );
        assert_eq!(e.map(|e| e.host_header()), Some("127.0.0.1:9000".into()));
        assert!(matches!(
            Endpoint::parse("ftp://x/"),
            Err(DisconnectCause::InvalidUrl(_))
        ));
        assert!(Endpoint::parse("not a url").is_err());
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("7"),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }

    /// `Retry-After: 18446744073709551615` once became `Duration::from_secs(u64::MAX)` and
    /// panicked when added to an `Instant`; `1000000000` parked a connection for 31 years.
    #[test]
    fn retry_after_from_the_network_is_clamped_at_parse() {
        let mut h = http::HeaderMap::new();
        for hostile in [
            "18446744073709551615",
            "1000000000",
            "99999999999999999999999",
        ] {
            h.insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static(hostile),
            );
            let wait = retry_after(&h).unwrap_or_default();
            assert_eq!(wait, ws_session::MAX_RETRY_AFTER, "{hostile}");
            let _ = std::time::Instant::now() + wait;
        }
    }
}
