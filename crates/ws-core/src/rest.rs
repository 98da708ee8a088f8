//! Performs the REST requests sessions queue (snapshots, listen keys, reconciliation).
//! One HTTP/1.1 connection per request: these calls are rare, and a fresh connection
//! avoids reusing a socket the venue has silently dropped.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use crate::transport::{Endpoint, open_stream, retry_after};
use ws_session::{RestFailure, RestMethod, RestReply, RestRequest, RestResponse};

/// Runs one request within `timeout`, reading at most `max_body` bytes of the answer.
pub(crate) async fn perform(
    request: RestRequest,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
    max_body: usize,
) -> RestResponse {
    let id = request.id;
    let result = match tokio::time::timeout(timeout, perform_inner(request, tls, max_body)).await {
        Ok(result) => result,
        Err(_) => Err(RestFailure::Transport("timed out".into())),
    };
    RestResponse { id, result }
}

async fn perform_inner(
    request: RestRequest,
    tls: Arc<rustls::ClientConfig>,
    max_body: usize,
) -> Result<RestReply, RestFailure> {
    let endpoint =
        Endpoint::parse(&request.url).map_err(|e| RestFailure::Connect(e.to_string()))?;
    let stream = open_stream(&endpoint, &tls)
        .await
        .map_err(|e| RestFailure::Connect(e.to_string()))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| RestFailure::Connect(e.to_string()))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let method = match request.method {
        RestMethod::Get => http::Method::GET,
        RestMethod::Post => http::Method::POST,
        RestMethod::Put => http::Method::PUT,
        RestMethod::Delete => http::Method::DELETE,
    };
    let host = if endpoint.port == if endpoint.tls { 443 } else { 80 } {
        endpoint.host.clone()
    } else {
        format!("{}:{}", endpoint.host, endpoint.port)
    };
    let mut builder = http::Request::builder()
        .method(method)
        .uri(endpoint.path_and_query.as_str())
        .header(http::header::HOST, host)
        .header(http::header::ACCEPT, "application/json");
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let http_request = builder
        .body(Full::new(request.body.clone()))
        .map_err(|e| RestFailure::Transport(format!("bad request: {e}")))?;
    let response = sender
        .send_request(http_request)
        .await
        .map_err(|e| RestFailure::Transport(e.to_string()))?;
    let status = response.status().as_u16();
    let retry = retry_after(response.headers());
    let mut body = response.into_body();
    let mut collected = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| RestFailure::Transport(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > max_body {
                driver.abort();
                return Err(RestFailure::BodyTooLarge);
            }
            collected.extend_from_slice(&data);
        }
    }
    driver.abort();
    Ok(RestReply {
        status,
        retry_after: retry,
        body: Bytes::from(collected),
    })
}
