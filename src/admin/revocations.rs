//! `POST /revocations` on the admin listener: a revocation notice from the
//! OP to a process that caches token answers (the API gateway). The body
//! is the notice itself, a JWT the OP signed
//! (`protocol/revocation_notice.rs`), which the sink verifies before it
//! drops anything. Answers: 204 when applied; 400 with a plain reason for
//! a body that cannot be read or names nothing well-formed; 401 for a
//! notice not signed by the OP, or not for this gateway, or expired (an
//! unsigned JSON body included: the OP is the only sender). The OP, which
//! caches nothing, has no sink and answers 405 as to any POST.

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Limited};

/// Largest notice accepted (a notice carries at most
/// `protocol::revocation_notice::MAX_ITEMS` hashes and grant ids).
pub const MAX_NOTICE_BYTES: usize = 128 * 1024;

/// Why a notice was refused, with the plain reason answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Readable but malformed: 400.
    Malformed(String),
    /// Not signed by the OP, not for this receiver, or expired: 401.
    Unauthenticated(String),
}

/// What receives revocation notices.
pub trait RevocationSink: Send + Sync + 'static {
    /// Verifies the notice `body` and forgets what it names; how many
    /// hashes and grant ids it named.
    fn notice<'a>(&'a self, body: &'a [u8]) -> BoxFuture<'a, Result<usize, Refused>>;
}

/// Reads a notice and hands it to `sink`; the status and plain reason to
/// answer.
pub async fn notice(sink: &dyn RevocationSink, body: hyper::body::Incoming) -> (http::StatusCode, String) {
    let body: Bytes = match Limited::new(body, MAX_NOTICE_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return (
                http::StatusCode::BAD_REQUEST,
                "the notice could not be read (at most 128 KiB)\n".into(),
            );
        }
    };
    match sink.notice(&body).await {
        Ok(_) => (http::StatusCode::NO_CONTENT, String::new()),
        Err(Refused::Malformed(why)) => (http::StatusCode::BAD_REQUEST, format!("{why}\n")),
        Err(Refused::Unauthenticated(why)) => (http::StatusCode::UNAUTHORIZED, format!("{why}\n")),
    }
}
