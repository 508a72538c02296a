//! One POST of a signed notice to a gateway's `revocation_notice_url`:
//! `https` through the OP's outbound poster (the server certificate
//! verified against the system roots and `tls.client_ca`; an endpoint the
//! operator configured, so any address), plain `http` over a fresh TCP
//! connection (the gateway's admin listener is plain HTTP on a private
//! address; the notice is signed, and names hashes, never a token). Only a
//! 2xx answer means the gateway took it.

use crate::outbound::{AddressPolicy, Delivery, OutboundPoster};
use crate::protocol::revocation_notice::CONTENT_TYPE;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use std::time::Duration;

/// Most of an answer's body read (and discarded).
const MAX_ANSWER_BYTES: usize = 4 * 1024;

/// Posts `jwt` to `url` within `timeout`.
pub async fn post(poster: &OutboundPoster, url: &str, jwt: &str, timeout: Duration) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|_| "not a URL".to_string())?;
    match uri.scheme_str() {
        Some("https") => {
            let delivery = Delivery {
                url,
                content_type: CONTENT_TYPE,
                body: Bytes::copy_from_slice(jwt.as_bytes()),
                bearer: None,
            };
            poster
                .post_once(&delivery, AddressPolicy::Any, timeout)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Some("http") => tokio::time::timeout(timeout, post_plain(&uri, jwt))
            .await
            .map_err(|_| "the gateway did not answer in time".to_string())?,
        _ => Err("not an http or https URL".into()),
    }
}

async fn post_plain(uri: &http::Uri, jwt: &str) -> Result<(), String> {
    let authority = uri.authority().ok_or("no host")?;
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("the connection failed: {e}"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("the connection failed: {e}"))?;
    tokio::spawn(connection);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = http::Request::post(path)
        .header(http::header::HOST, authority.as_str())
        .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
        .body(Full::new(Bytes::copy_from_slice(jwt.as_bytes())))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the request failed: {e}"))?;
    let status = response.status();
    let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await;
    match status.is_success() {
        true => Ok(()),
        false => Err(format!("the gateway answered {}", status.as_u16())),
    }
}
