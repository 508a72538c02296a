//! Replays: a client assertion, a DPoP proof, an authorization code and a
//! rotated-out refresh token, each used once legitimately and then again.
//! The second use must be refused (RFC 7523 §3 item 7 / FAPI 2.0 §5.3.2.1;
//! RFC 9449 §11.1; RFC 6749 §4.1.2 and §10.5; RFC 9700 §4.14.2), and so
//! must every later one: with `--replays-per-capture N` each captured
//! artefact is replayed N times before a new one is captured
//! ([`Captures`]).

use super::attack::Attack;
use super::kit::{Capture, Captures};
use super::verdict::{inconclusive, refused};
use crate::http;
use crate::jose::{self, JWT_BEARER};
use crate::scenario::context::{Ctx, Worker, client_error};
use crate::scenario::flow::{self, Authorized, Endpoint, Fintech};
use crate::scenario::grants::access_token;
use crate::stats::{Failure, Steps};
use std::sync::Mutex;

/// client_credentials with `assertion`; the proof is fresh unless `proof` is given.
async fn grant(
    worker: &mut Worker,
    ctx: &Ctx,
    step: &'static str,
    assertion: &str,
    proof: Option<&str>,
) -> Result<(::http::Response<bytes::Bytes>, String), Failure> {
    let (client_id, _) = super::pkjwt::pkjwt_client(ctx, step)?;
    let params = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    if let Some(proof) = proof {
        let request = http::post_form(&ctx.token, &params, &[("dpop", proof)]).map_err(client_error(step))?;
        let response = worker.send(ctx, step, &ctx.token, false, request).await?;
        return Ok((response, proof.to_string()));
    }
    let used = Mutex::new(String::new());
    let build = |proof: &str| {
        if let Ok(mut used) = used.lock() {
            *used = proof.to_string();
        }
        http::post_form(&ctx.token, &params, &[("dpop", proof)])
    };
    let response = worker
        .send_dpop(ctx, step, &ctx.token, "POST", &ctx.token_str, None, &build)
        .await?;
    Ok((response, used.into_inner().unwrap_or_default()))
}

/// One assertion (one `jti`) presented twice.
pub async fn assertion(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "replayed_assertion";
    let captures = captures(ctx, step)?;
    let assertion = match captures.take(Attack::ReplayedAssertion) {
        Some(Capture::Assertion(assertion)) => assertion,
        _ => {
            let (client_id, key) = super::pkjwt::pkjwt_client(ctx, step)?;
            let assertion =
                jose::client_assertion(key, client_id, &ctx.setup.issuer).map_err(client_error(step))?;
            let (first, _) = grant(worker, ctx, step, &assertion, None).await?;
            if first.status() != 200 {
                return Err(inconclusive(step, "first use", &first));
            }
            captures.keep(Attack::ReplayedAssertion, Capture::Assertion(assertion.clone()));
            assertion
        }
    };
    let (again, _) = grant(worker, ctx, step, &assertion, None).await?;
    refused(step, &again)
}

/// One DPoP proof (one `jti`) presented twice, with fresh assertions.
pub async fn proof(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "replayed_proof";
    let captures = captures(ctx, step)?;
    let (client_id, key) = super::pkjwt::pkjwt_client(ctx, step)?;
    let fresh = || jose::client_assertion(key, client_id, &ctx.setup.issuer).map_err(client_error(step));
    let proof = match captures.take(Attack::ReplayedProof) {
        Some(Capture::Proof(proof)) => proof,
        _ => {
            let (first, proof) = grant(worker, ctx, step, &fresh()?, None).await?;
            if first.status() != 200 {
                return Err(inconclusive(step, "first use", &first));
            }
            captures.keep(Attack::ReplayedProof, Capture::Proof(proof.clone()));
            proof
        }
    };
    let (again, _) = grant(worker, ctx, step, &fresh()?, Some(&proof)).await?;
    refused(step, &again)
}

/// One authorization code redeemed twice.
pub async fn code(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "replayed_code";
    let captures = captures(ctx, step)?;
    let mut steps = Steps::default();
    let authorized = match captures.take(Attack::ReplayedCode) {
        Some(Capture::Code { code, verifier }) => Authorized {
            fintech: fintech(ctx, step)?,
            code,
            verifier,
        },
        _ => {
            let authorized = flow::authorize(worker, ctx, "openid", &mut steps).await?;
            let first = flow::redeem(worker, ctx, &authorized, &mut steps).await?;
            if first.status() != 200 {
                return Err(inconclusive(step, "first redemption", &first));
            }
            let capture = Capture::Code {
                code: authorized.code.clone(),
                verifier: authorized.verifier.clone(),
            };
            captures.keep(Attack::ReplayedCode, capture);
            authorized
        }
    };
    let again = flow::redeem(worker, ctx, &authorized, &mut steps).await?;
    refused(step, &again)
}

/// A refresh token two rotations old presented again (past the retry
/// grace, which covers only the immediate predecessor of an unused successor).
pub async fn refresh_token(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "replayed_refresh_token";
    let captures = captures(ctx, step)?;
    let mut steps = Steps::default();
    let oldest = match captures.take(Attack::ReplayedRefreshToken) {
        Some(Capture::RefreshToken(oldest)) => oldest,
        _ => {
            let oldest = rotated_out_refresh_token(worker, ctx, step, &mut steps).await?;
            captures.keep(
                Attack::ReplayedRefreshToken,
                Capture::RefreshToken(oldest.clone()),
            );
            oldest
        }
    };
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", oldest.as_str()),
    ];
    let again = fintech(ctx, step)?
        .post(worker, ctx, Endpoint::Token, &params, &mut steps)
        .await?;
    refused(step, &again)
}

/// A code flow's refresh token, rotated out twice: the one to replay.
async fn rotated_out_refresh_token(
    worker: &mut Worker,
    ctx: &Ctx,
    step: &'static str,
    steps: &mut Steps,
) -> Result<String, Failure> {
    let authorized = flow::authorize(worker, ctx, "openid offline_access", steps).await?;
    let tokens = flow::redeem(worker, ctx, &authorized, steps).await?;
    let refresh_of = |response: &::http::Response<bytes::Bytes>| {
        serde_json::from_slice::<serde_json::Value>(response.body())
            .ok()
            .and_then(|v| v["refresh_token"].as_str().map(String::from))
    };
    let Some(oldest) = refresh_of(&tokens) else {
        return Err(inconclusive(step, "no refresh_token from the code", &tokens));
    };
    access_token(step, &tokens)?;
    let mut current = oldest.clone();
    for _ in 0..2 {
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", current.as_str()),
        ];
        let rotated = authorized
            .fintech
            .post(worker, ctx, Endpoint::Token, &params, steps)
            .await?;
        current = match refresh_of(&rotated) {
            Some(next) if rotated.status() == 200 => next,
            _ => return Err(inconclusive(step, "rotation", &rotated)),
        };
    }
    Ok(oldest)
}

fn captures<'a>(ctx: &'a Ctx, step: &'static str) -> Result<&'a Captures, Failure> {
    ctx.hostile
        .as_ref()
        .map(|kit| &kit.captures)
        .ok_or_else(|| Failure::new(step, "client: no hostile kit"))
}

fn fintech<'a>(ctx: &'a Ctx, step: &'static str) -> Result<Fintech<'a>, Failure> {
    Fintech::of(ctx).ok_or_else(|| Failure::new(step, "client: the setup lacks the flow's client"))
}
