//! `hostile`: every operation is one attack, taken in turn from a fixed
//! catalogue, so a run of N operations sends each about N / 21 times:
//! malformed HTTP/1.1, HTTP/2 and HTTP/3 (`http1`, `h2`, `h3`), forged or
//! malformed OAuth (`oauth`) and replays (`replay`). An operation succeeds
//! when the OP refused the attack as it should (`verdict`); the report's
//! failures name the attack and what came back. Run it beside legitimate
//! `cc-mtls` and `flow` load (`scripts/hostile.sh`).

mod h2;
mod h3;
mod http1;
pub mod kit;
mod oauth;
mod pkjwt;
mod replay;
mod verdict;
mod wire;

use super::context::{Ctx, Worker};
use crate::stats::{Failure, Steps};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The catalogue, in the order the attacks are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    BadChunking,
    Smuggling,
    OversizedHeader,
    EndlessHeaders,
    Garbage,
    Slowloris,
    H2RapidReset,
    H2ContinuationFlood,
    H3StreamFlood,
    BadSignature,
    AlgNone,
    HmacWithPublicKey,
    DpopWrongTyp,
    OversizedRequestObject,
    DuplicateParameters,
    StrangerCertificate,
    ExpiredCertificate,
    ReplayedAssertion,
    ReplayedProof,
    ReplayedCode,
    ReplayedRefreshToken,
}

impl Attack {
    pub const ALL: [Attack; 21] = [
        Attack::BadChunking,
        Attack::Smuggling,
        Attack::OversizedHeader,
        Attack::EndlessHeaders,
        Attack::Garbage,
        Attack::Slowloris,
        Attack::H2RapidReset,
        Attack::H2ContinuationFlood,
        Attack::H3StreamFlood,
        Attack::BadSignature,
        Attack::AlgNone,
        Attack::HmacWithPublicKey,
        Attack::DpopWrongTyp,
        Attack::OversizedRequestObject,
        Attack::DuplicateParameters,
        Attack::StrangerCertificate,
        Attack::ExpiredCertificate,
        Attack::ReplayedAssertion,
        Attack::ReplayedProof,
        Attack::ReplayedCode,
        Attack::ReplayedRefreshToken,
    ];

    /// Its step name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Attack::BadChunking => "bad_chunking",
            Attack::Smuggling => "smuggling",
            Attack::OversizedHeader => "oversized_header",
            Attack::EndlessHeaders => "endless_headers",
            Attack::Garbage => "garbage",
            Attack::Slowloris => "slowloris",
            Attack::H2RapidReset => "h2_rapid_reset",
            Attack::H2ContinuationFlood => "h2_continuation_flood",
            Attack::H3StreamFlood => "h3_stream_flood",
            Attack::BadSignature => "bad_signature",
            Attack::AlgNone => "alg_none",
            Attack::HmacWithPublicKey => "hmac_public_key",
            Attack::DpopWrongTyp => "dpop_wrong_typ",
            Attack::OversizedRequestObject => "oversized_request_object",
            Attack::DuplicateParameters => "duplicate_parameters",
            Attack::StrangerCertificate => "stranger_certificate",
            Attack::ExpiredCertificate => "expired_certificate",
            Attack::ReplayedAssertion => "replayed_assertion",
            Attack::ReplayedProof => "replayed_proof",
            Attack::ReplayedCode => "replayed_code",
            Attack::ReplayedRefreshToken => "replayed_refresh_token",
        }
    }
}

/// One attack, the next in turn; its time recorded under its name.
pub async fn hostile(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let kit = ctx
        .hostile
        .as_ref()
        .ok_or_else(|| Failure::new("hostile", "client: no hostile kit"))?;
    let attack = Attack::ALL[kit.next.fetch_add(1, Ordering::Relaxed) % Attack::ALL.len()];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attack_is_in_the_catalogue_once_with_its_own_name() {
        let mut names: Vec<&str> = Attack::ALL.iter().map(|a| a.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Attack::ALL.len());
    }
}
