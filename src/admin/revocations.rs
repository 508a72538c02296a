//! `POST /revocations` on the admin listener: a revocation notice to a
//! process that caches token answers (the API gateway). The body is
//! `{"token_sha256": ["<base64url SHA-256 of a token>", ...]}` — the form
//! the OP's store keeps tokens in, so a notice never carries a token. The
//! answer is 204, a malformed body 400; the OP, which caches nothing, has
//! no sink and answers 405 as to any POST.
//!
//! A notice can only shorten a cached answer's life (the next call asks the
//! OP again), so the admin listener's usual protection (a private address)
//! is enough.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

/// Largest notice accepted.
const MAX_NOTICE_BYTES: usize = 64 * 1024;

/// What receives revocation notices.
pub trait RevocationSink: Send + Sync + 'static {
    /// Forgets whatever is cached about the token with this SHA-256.
    fn revoked(&self, token_sha256: &[u8; 32]);
}

/// Reads a notice and hands each hash to `sink`; the status to answer.
pub async fn notice(
    sink: &dyn RevocationSink,
    body: hyper::body::Incoming,
) -> (http::StatusCode, &'static str) {
    let Ok(collected) = Limited::new(body, MAX_NOTICE_BYTES).collect().await else {
        return (http::StatusCode::BAD_REQUEST, "the notice could not be read\n");
    };
    match parse(&collected.to_bytes()) {
        Some(hashes) => {
            for hash in &hashes {
                sink.revoked(hash);
            }
            (http::StatusCode::NO_CONTENT, "")
        }
        None => (
            http::StatusCode::BAD_REQUEST,
            "expected {\"token_sha256\": [base64url SHA-256, ...]}\n",
        ),
    }
}

fn parse(body: &Bytes) -> Option<Vec<[u8; 32]>> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get("token_sha256")?
        .as_array()?
        .iter()
        .map(|hash| {
            let bytes = URL_SAFE_NO_PAD.decode(hash.as_str()?).ok()?;
            <[u8; 32]>::try_from(bytes.as_slice()).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_carry_base64url_sha256_hashes() {
        let hash = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let body = Bytes::from(format!("{{\"token_sha256\": [\"{hash}\"]}}"));
        assert_eq!(parse(&body), Some(vec![[1u8; 32]]));
        assert_eq!(
            parse(&Bytes::from_static(b"{\"token_sha256\": [\"AAAA\"]}")),
            None
        );
        assert_eq!(parse(&Bytes::from_static(b"{}")), None);
    }
}
