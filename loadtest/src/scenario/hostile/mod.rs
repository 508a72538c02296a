//! `hostile`: every operation is one attack, taken in turn from a fixed
//! catalogue, so a run of N operations sends each about N / 21 times:
//! malformed HTTP/1.1, HTTP/2 and HTTP/3 (`http1`, `h2`, `h3`), forged or
//! malformed OAuth (`oauth`) and replays (`replay`). An operation succeeds
//! when the OP refused the attack as it should (`verdict`); the report's
//! failures name the attack and what came back. Run it beside legitimate
//! `cc-mtls` and `flow` load (`scripts/hostile.sh`).

mod attack;
mod h2;
mod h3;
mod http1;
pub mod kit;
mod oauth;
mod pkjwt;
mod replay;
mod verdict;
mod wire;

pub use attack::Attack;

use super::context::{Ctx, Worker};
use crate::stats::{Failure, Steps};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// One attack, the next in turn; its time recorded under its name.
pub async fn hostile(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let kit = ctx
        .hostile
        .as_ref()
        .ok_or_else(|| Failure::new("hostile", "client: no hostile kit"))?;
    let Some(&attack) = kit
        .attacks
        .get(kit.next.fetch_add(1, Ordering::Relaxed) % kit.attacks.len().max(1))
    else {
        return Err(Failure::new("hostile", "client: no attack chosen"));
    };
    let started = Instant::now();
    let step = attack.name();
    let on_wire = |result: Result<wire::Answer, Failure>| result.and_then(|a| verdict::answer(step, &a));
    let result = match attack {
        Attack::BadChunking => on_wire(http1::bad_chunking(ctx).await),
        Attack::Smuggling => on_wire(http1::smuggling(ctx).await),
        Attack::OversizedHeader => on_wire(http1::oversized_header(ctx).await),
        Attack::EndlessHeaders => on_wire(http1::endless_headers(ctx).await),
        Attack::Garbage => on_wire(http1::garbage(ctx).await),
        Attack::Slowloris => on_wire(http1::slowloris(ctx).await),
        Attack::H2RapidReset => h2::rapid_reset(ctx).await,
        Attack::H2ContinuationFlood => h2::continuation_flood(ctx).await,
        Attack::H3StreamFlood => h3::stream_flood(ctx).await,
        Attack::BadSignature => oauth::bad_signature(worker, ctx).await,
        Attack::AlgNone => oauth::alg_none(worker, ctx).await,
        Attack::HmacWithPublicKey => oauth::hmac_with_public_key(worker, ctx).await,
        Attack::DpopWrongTyp => oauth::dpop_wrong_typ(worker, ctx).await,
        Attack::OversizedRequestObject => oauth::oversized_request_object(worker, ctx).await,
        Attack::DuplicateParameters => oauth::duplicate_parameters(worker, ctx).await,
        Attack::StrangerCertificate => oauth::foreign_certificate(ctx, false).await,
        Attack::ExpiredCertificate => oauth::foreign_certificate(ctx, true).await,
        Attack::ReplayedAssertion => replay::assertion(worker, ctx).await,
        Attack::ReplayedProof => replay::proof(worker, ctx).await,
        Attack::ReplayedCode => replay::code(worker, ctx).await,
        Attack::ReplayedRefreshToken => replay::refresh_token(worker, ctx).await,
    };
    steps.record(step, started.elapsed());
    result
}
