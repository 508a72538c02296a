//! Raw bytes over TLS to the OP: what a broken or hostile HTTP/1.1 client
//! sends, and what came back, read without trusting the server either.

use crate::http::Url;
use crate::scenario::context::Ctx;
use crate::stats::Failure;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// What the OP did with a hostile request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A status line (and whether `Retry-After` came with it).
    Status { code: u16, retry_after: bool },
    /// The connection ended (EOF, reset, TLS alert) without a status.
    Closed,
    /// Nothing within the wait.
    Silent,
}

/// A TLS connection to `url`'s host (through `--target`) offering `alpn`.
pub async fn connect(ctx: &Ctx, url: &Url, tls: Arc<ClientConfig>) -> Result<TlsStream<TcpStream>, Failure> {
    let io = |e: std::io::Error| Failure::new("connect", format!("io: {e}"));
    let tcp = TcpStream::connect(ctx.targets.address(url)).await.map_err(io)?;
    tcp.set_nodelay(true).map_err(io)?;
    let name = ServerName::try_from(url.host.clone())
        .map_err(|e| Failure::new("connect", format!("client: {e}")))?;
    tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .map_err(|e| Failure::new("connect", format!("io: TLS handshake: {e}")))
}

/// Writes `bytes` (a write the OP cut short is not an error: it may close
/// mid-request) and reads the answer for at most `wait`.
pub async fn exchange(stream: &mut TlsStream<TcpStream>, bytes: &[u8], wait: Duration) -> Answer {
    let written = async {
        stream.write_all(bytes).await?;
        stream.flush().await
    };
    if written.await.is_err() {
        return read_answer(stream, Duration::from_secs(2)).await;
    }
    read_answer(stream, wait).await
}

/// Reads until the head of a response (or the end of the connection), at
/// most 64 KiB and `wait`.
pub async fn read_answer(stream: &mut TlsStream<TcpStream>, wait: Duration) -> Answer {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return head_answer(&head).unwrap_or(Answer::Closed),
                Ok(n) => {
                    head.extend_from_slice(&buf[..n]);
                    if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() > 65536 {
                        return head_answer(&head).unwrap_or(Answer::Closed);
                    }
                }
            }
        }
    };
    match tokio::time::timeout(wait, read).await {
        Ok(answer) => answer,
        Err(_) => head_answer(&head).unwrap_or(Answer::Silent),
    }
}

/// The status code of an HTTP/1.x response head (RFC 9112 §4), and
/// whether it has `Retry-After`.
pub fn head_answer(head: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status = lines.next()?;
    let code = status
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())?;
    let retry_after = lines.any(|l| l.to_ascii_lowercase().starts_with("retry-after:"));
    Some(Answer::Status { code, retry_after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read_and_garbage_is_not() {
        assert_eq!(
            head_answer(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"),
            Some(Answer::Status {
                code: 400,
                retry_after: false
            })
        );
        assert_eq!(
            head_answer(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\n"),
            Some(Answer::Status {
                code: 503,
                retry_after: true
            })
        );
        assert_eq!(head_answer(b"\x15\x03\x03"), None);
        assert_eq!(head_answer(b"HTTP/1.1 2"), None);
    }
}
