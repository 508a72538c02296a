//! Introspects the kept tokens (RFC 7662 §2.1) as the client that owns
//! them, which the OP lets see its own tokens: the `tls_client_auth`
//! client (`cc-mtls`, `handshake`, `flow-mtls`) with its certificate at the endpoint's
//! mTLS alias (RFC 8705 §2.1, §5), the `private_key_jwt` client (`flow`)
//! with a fresh assertion per request (RFC 7523 §2.2) at the endpoint.
//! `concurrency` workers at most, each with its kept-alive connections
//! (spread over `--target` like the run's).

use super::kept::KeptToken;
use super::tally::{Checked, Verification};
use crate::scenario::{Ctx, Worker};
use crate::stats::Failure;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// `--verify-concurrency` default.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Introspects every token in `tokens`, `concurrency` at a time.
/// A token at (or near) its expiry is counted expired, not asked about.
pub async fn check(ctx: Arc<Ctx>, tokens: Vec<KeptToken>, concurrency: usize) -> Verification {
    let started = Instant::now();
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.clamp(1, tokens.len().max(1)) {
        let (ctx, tokens, next) = (ctx.clone(), tokens.clone(), next.clone());
        tasks.spawn(async move {
            let mut tally = Verification::default();
            let mut worker = match Worker::new(ctx.alg) {
                Ok(w) => w,
                Err(e) => {
                    // This worker checks nothing; the others take its share.
                    tally.record(Checked::Failed(format!("client: {e:#}")));
                    return tally;
                }
            };
            while let Some(kept) = tokens.get(next.fetch_add(1, Ordering::Relaxed)) {
                if kept.expired_at(Instant::now()) {
                    tally.record(Checked::Expired);
                    continue;
                }
                tally.record(match introspect(&mut worker, &ctx, &kept.token).await {
                    Ok(checked) => checked,
                    Err(f) => Checked::Failed(f.kind),
                });
            }
            tally
        });
    }
    let mut total = Verification {
        kept: tokens.len() as u64,
        ..Default::default()
    };
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(tally) => total.merge(tally),
            Err(e) => total.record(Checked::Failed(format!("client: {e}"))),
        }
    }
    total.seconds = started.elapsed().as_secs_f64();
    total
}

/// One RFC 7662 §2.1 request for `token` as its owner, and what it said.
async fn introspect(worker: &mut Worker, ctx: &Ctx, token: &str) -> Result<Checked, Failure> {
    let response = crate::scenario::introspection(worker, ctx, token).await?;
    Ok(Checked::of(&response))
}
