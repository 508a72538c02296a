//! HTTP/3 stream flood (RFC 9114 over QUIC, RFC 9000): one connection
//! opens every request stream the OP allows, each a HEADERS frame that
//! announces 16 KiB and sends ten bytes, and holds them. The OP must bound
//! the streams (its QUIC stream limit), time them out, and stay up.

use crate::scenario::context::Ctx;
use crate::stats::Failure;
use std::time::Duration;

/// RFC 9114 §8.1: H3_INTERNAL_ERROR.
const H3_INTERNAL_ERROR: u64 = 0x102;

pub async fn stream_flood(ctx: &Ctx) -> Result<(), Failure> {
    let step = "h3_stream_flood";
    let kit = ctx.hostile.as_ref().ok_or_else(|| Failure::new(step, "no kit"))?;
    let Some(endpoint) = &kit.quic else {
        return Err(Failure::new(step, "client: no QUIC endpoint"));
    };
    let address = ctx.targets.address(&ctx.token);
    let Some(addr) = tokio::net::lookup_host(address.as_str())
        .await
        .ok()
        .and_then(|mut a| a.next())
    else {
        return Err(Failure::new(step, format!("io: cannot resolve {address}")));
    };
    let connecting = match endpoint.connect(addr, &ctx.token.host) {
        Ok(c) => c,
        Err(e) => return Err(Failure::new(step, format!("client: {e}"))),
    };
    // A refused connection (the OP's per-address or total QUIC limit, or
    // HTTP/3 off) is bounded, but the flood did not happen: inconclusive.
    let Ok(Ok(connection)) = tokio::time::timeout(Duration::from_secs(5), connecting).await else {
        return Err(Failure::new(step, "inconclusive: no QUIC connection"));
    };
    // RFC 9114 §6.2.1: the control stream with an empty SETTINGS frame.
    if let Ok(mut control) = connection.open_uni().await {
        let _ = control.write_all(&[0x00, 0x04, 0x00]).await;
    }
    // RFC 9114 §7.2.2: HEADERS (type 0x01) announcing 16,000 bytes
    // (a two-byte varint, RFC 9000 §16), then ten of them.
    let partial: [u8; 13] = [0x01, 0x7e, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut held = Vec::new();
    for _ in 0..500 {
        match tokio::time::timeout(Duration::from_millis(500), connection.open_bi()).await {
            Ok(Ok((mut send, recv))) => {
                let _ = send.write_all(&partial).await;
                held.push((send, recv));
            }
            // No stream credit left (the OP's limit) or the connection ended.
            Ok(Err(_)) | Err(_) => break,
        }
    }
    if held.is_empty() {
        return Err(Failure::new(step, "inconclusive: no request stream opened"));
    }
    // The OP times the heads out; the connection may then close.
    let closed = tokio::time::timeout(Duration::from_secs(3), connection.closed()).await;
    connection.close(0u32.into(), b"done");
    match closed {
        Ok(quinn::ConnectionError::ApplicationClosed(close))
            if close.error_code.into_inner() == H3_INTERNAL_ERROR =>
        {
            Err(Failure::new(step, "5xx H3_INTERNAL_ERROR"))
        }
        _ => Ok(()),
    }
}
