//! Single-request scenarios: discovery, client_credentials over mTLS or
//! with private_key_jwt + DPoP, and a fresh mTLS handshake per grant.

use super::context::{Ctx, Worker, client_error, expect};
use crate::http::{self, Conn};
use crate::jose::{self, JWT_BEARER};
use crate::stats::{Failure, Steps};
use std::time::Instant;

/// OIDC Discovery §4.
pub async fn discovery(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let request = http::get(&ctx.discovery, &[]).map_err(client_error("discovery"))?;
    let started = Instant::now();
    let response = worker
        .send(ctx, "discovery", &ctx.discovery, false, request)
        .await?;
    steps.record("discovery", started.elapsed());
    expect("discovery", &response, 200)
}

/// RFC 6749 §4.4 with RFC 8705 §2.1 client authentication, at the mTLS alias (§5).
pub async fn cc_mtls(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let request = cc_mtls_request(ctx)?;
    let started = Instant::now();
    let response = worker.send(ctx, "token", &ctx.mtls_token, true, request).await?;
    steps.record("token", started.elapsed());
    expect("token", &response, 200)?;
    let token = access_token("token", &response)?;
    ctx.keep(token, &response);
    Ok(())
}

pub(super) fn cc_mtls_request(
    ctx: &Ctx,
) -> Result<::http::Request<http_body_util::Full<bytes::Bytes>>, Failure> {
    let client_id = ctx
        .setup
        .mtls
        .as_ref()
        .map(|m| m.client_id.as_str())
        .unwrap_or_default();
    http::post_form(
        &ctx.mtls_token,
        &[("grant_type", "client_credentials"), ("client_id", client_id)],
        &[],
    )
    .map_err(client_error("token"))
}

/// RFC 6749 §4.4 with a fresh RFC 7523 assertion and RFC 9449 proof.
pub async fn cc_pkjwt(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let assertion = assertion(ctx, "token")?;
    let client_id = ctx
        .setup
        .pkjwt
        .as_ref()
        .map(|p| p.client_id.as_str())
        .unwrap_or_default();
    let build = |proof: &str| {
        http::post_form(
            &ctx.token,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
            ],
            &[("dpop", proof)],
        )
    };
    let started = Instant::now();
    let response = worker
        .send_dpop(ctx, "token", &ctx.token, "POST", &ctx.token_str, None, &build)
        .await?;
    steps.record("token", started.elapsed());
    expect_token("token", &response)
}

/// A new TCP connection and full TLS handshake with the client certificate,
/// then one client_credentials grant on it.
pub async fn handshake(ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let tls = ctx
        .fresh_mtls
        .clone()
        .ok_or_else(|| Failure::new("connect", "no client certificate configured"))?;
    let started = Instant::now();
    let mut conn = Conn::connect_to(&ctx.targets.address(&ctx.mtls_token), &ctx.mtls_token, tls)
        .await
        .map_err(|e| Failure::new("connect", format!("io: {e:#}")))?;
    steps.record("connect", started.elapsed());
    ctx.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let request = cc_mtls_request(ctx)?;
    let started = Instant::now();
    let response = conn
        .send(request)
        .await
        .map_err(|e| Failure::new("token", format!("io: {e:#}")))?;
    steps.record("token", started.elapsed());
    expect("token", &response, 200)?;
    ctx.keep(access_token("token", &response)?, &response);
    Ok(())
}

/// A client assertion of the private_key_jwt client for the issuer.
pub fn assertion(ctx: &Ctx, step: &'static str) -> Result<String, Failure> {
    let (Some(key), Some(client)) = (&ctx.pkjwt_key, &ctx.setup.pkjwt) else {
        return Err(Failure::new(step, "no private_key_jwt client configured"));
    };
    jose::client_assertion(key, &client.client_id, &ctx.setup.issuer).map_err(client_error(step))
}

/// RFC 6749 §5.1: 200 with an `access_token`.
pub fn expect_token(step: &'static str, response: &::http::Response<bytes::Bytes>) -> Result<(), Failure> {
    expect(step, response, 200)?;
    access_token(step, response).map(|_| ())
}

/// The `access_token` of a token response.
pub fn access_token(
    step: &'static str,
    response: &::http::Response<bytes::Bytes>,
) -> Result<String, Failure> {
    serde_json::from_slice::<serde_json::Value>(response.body())
        .ok()
        .and_then(|v| v["access_token"].as_str().map(String::from))
        .ok_or_else(|| Failure::new(step, "unexpected: 200 without access_token"))
}
