//! Malformed HTTP/1.1 (RFC 9112): broken chunking, a smuggling-shaped
//! request, oversized and endless header sections, garbage, slowloris.
//! The OP must answer 4xx or close, promptly, whatever it is sent.

use super::wire::{self, Answer};
use crate::scenario::context::Ctx;
use crate::stats::Failure;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// How long an answer to a malformed request may take.
const WAIT: Duration = Duration::from_secs(10);

/// A request head for `path` on the OP, ending with `extra` header lines.
fn head(ctx: &Ctx, method: &str, path: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nhost: {}\r\n{extra}",
        ctx.token.authority
    )
}

async fn send(ctx: &Ctx, step: &'static str, bytes: &[u8]) -> Result<Answer, Failure> {
    let mut stream = wire::connect(ctx, &ctx.token, ctx.tls.plain.clone())
        .await
        .map_err(|f| Failure::new(step, f.kind))?;
    Ok(wire::exchange(&mut stream, bytes, WAIT).await)
}

/// RFC 9112 §7.1: a chunk size that is not hexadecimal.
pub async fn bad_chunking(ctx: &Ctx) -> Result<Answer, Failure> {
    let request = head(
        ctx,
        "POST",
        &ctx.token.path,
        "content-type: application/x-www-form-urlencoded\r\ntransfer-encoding: chunked\r\n\r\nzz\r\ngrant_type=x\r\n0\r\n\r\n",
    );
    send(ctx, "bad_chunking", request.as_bytes()).await
}

/// RFC 9112 §6.3: both `Transfer-Encoding` and `Content-Length`, the shape
/// of request smuggling; the OP must not read a second request out of it.
pub async fn smuggling(ctx: &Ctx) -> Result<Answer, Failure> {
    let smuggled = head(ctx, "GET", "/.well-known/openid-configuration", "\r\n");
    let body = format!("0\r\n\r\n{smuggled}");
    let request = head(
        ctx,
        "POST",
        &ctx.token.path,
        &format!(
            "content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\ntransfer-encoding: chunked\r\n\r\n{body}",
            body.len()
        ),
    );
    send(ctx, "smuggling", request.as_bytes()).await
}

/// One header field of 256 KiB (RFC 9110 §5.4: 431 or close).
pub async fn oversized_header(ctx: &Ctx) -> Result<Answer, Failure> {
    let request = head(
        ctx,
        "GET",
        "/.well-known/openid-configuration",
        &format!("x-padding: {}\r\n\r\n", "a".repeat(256 * 1024)),
    );
    send(ctx, "oversized_header", request.as_bytes()).await
}

/// A header section that never ends: 20,000 small fields, no blank line.
pub async fn endless_headers(ctx: &Ctx) -> Result<Answer, Failure> {
    let mut request = head(ctx, "GET", "/.well-known/openid-configuration", "");
    for i in 0..20_000 {
        request.push_str(&format!("x-h{i}: v\r\n"));
    }
    send(ctx, "endless_headers", request.as_bytes()).await
}

/// Not HTTP at all after the TLS handshake.
pub async fn garbage(ctx: &Ctx) -> Result<Answer, Failure> {
    let mut bytes = b"\x16\x03\x01\x00 GARBAGE \x00\xff\xfe\r\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'\x00', 8192));
    bytes.extend_from_slice(b"\r\n\r\n");
    send(ctx, "garbage", &bytes).await
}

/// Slowloris: a header section trickled a byte at a time. The OP must end
/// the connection within its `header_read_timeout_ms` (10 s by default);
/// this gives it 30 s. Returns what it did and how long it let us hold the
/// connection.
pub async fn slowloris(ctx: &Ctx) -> Result<Answer, Failure> {
    let step = "slowloris";
    let mut stream = wire::connect(ctx, &ctx.token, ctx.tls.plain.clone())
        .await
        .map_err(|f| Failure::new(step, f.kind))?;
    let started = Instant::now();
    let opening = head(ctx, "GET", "/.well-known/openid-configuration", "");
    if stream.write_all(opening.as_bytes()).await.is_err() {
        return Ok(Answer::Closed);
    }
    while started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let trickled = async {
            stream.write_all(b"x").await?;
            stream.flush().await
        };
        if trickled.await.is_err() {
            return Ok(wire::read_answer(&mut stream, Duration::from_secs(1)).await);
        }
        // A 408 or a close may already be waiting.
        let early = wire::read_answer(&mut stream, Duration::from_millis(1)).await;
        if early != Answer::Silent {
            return Ok(early);
        }
    }
    Ok(Answer::Silent)
}
