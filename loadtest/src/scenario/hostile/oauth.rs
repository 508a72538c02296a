//! Malformed and malicious OAuth: forged client assertions (a broken
//! signature, `alg: none`, HMAC keyed with the public key), a DPoP proof of
//! the wrong `typ`, an oversized request object, duplicate parameters, and
//! client certificates no CA vouches for or that expired. Each must be
//! refused with a 4xx (or never get past the TLS handshake).

use super::verdict::refused;
use crate::http::{self, Conn};
use crate::jose::{self, JWT_BEARER};
use crate::scenario::context::{Ctx, Worker, client_error};
use crate::stats::Failure;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

/// RFC 7523 §3 claims of an assertion for the issuer.
fn assertion_claims(client_id: &str, issuer: &str) -> serde_json::Value {
    let now = jose::now();
    json!({
        "iss": client_id, "sub": client_id, "aud": issuer,
        "iat": now, "exp": now + 60, "jti": jose::random(16),
    })
}

/// client_credentials with `assertion` and a valid DPoP proof.
async fn token_with_assertion(
    worker: &mut Worker,
    ctx: &Ctx,
    step: &'static str,
    assertion: &str,
) -> Result<::http::Response<bytes::Bytes>, Failure> {
    let (client_id, _) = super::pkjwt::pkjwt_client(ctx, step)?;
    let build = |proof: &str| {
        http::post_form(
            &ctx.token,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
            ],
            &[("dpop", proof)],
        )
    };
    worker
        .send_dpop(ctx, step, &ctx.token, "POST", &ctx.token_str, None, &build)
        .await
}

/// RFC 7515 §5.2: a signature that does not verify (its last bytes changed).
pub async fn bad_signature(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "bad_signature";
    let (client_id, key) = super::pkjwt::pkjwt_client(ctx, step)?;
    let mut assertion =
        jose::client_assertion(key, client_id, &ctx.setup.issuer).map_err(client_error(step))?;
    let tail = if assertion.ends_with('A') { "BBBB" } else { "AAAA" };
    assertion.truncate(assertion.len() - 4);
    assertion.push_str(tail);
    let response = token_with_assertion(worker, ctx, step, &assertion).await?;
    refused(step, &response)
}

/// RFC 7518 §3.6: an unsecured JWS; FAPI 2.0 §5.4.1 allows PS256, ES256, EdDSA only.
pub async fn alg_none(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "alg_none";
    let (client_id, _) = super::pkjwt::pkjwt_client(ctx, step)?;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(assertion_claims(client_id, &ctx.setup.issuer).to_string());
    let response = token_with_assertion(worker, ctx, step, &format!("{header}.{claims}.")).await?;
    refused(step, &response)
}

/// The algorithm-confusion attack: HS256 keyed with the client's public JWK.
pub async fn hmac_with_public_key(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "hmac_public_key";
    let (client_id, key) = super::pkjwt::pkjwt_client(ctx, step)?;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(assertion_claims(client_id, &ctx.setup.issuer).to_string());
    let input = format!("{header}.{claims}");
    let secret = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        key.public_jwk().to_string().as_bytes(),
    );
    let tag = aws_lc_rs::hmac::sign(&secret, input.as_bytes());
    let forged = format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
    let response = token_with_assertion(worker, ctx, step, &forged).await?;
    refused(step, &response)
}

/// RFC 9449 §4.3 item 4: a proof whose `typ` is not `dpop+jwt`.
pub async fn dpop_wrong_typ(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "dpop_wrong_typ";
    let (client_id, key) = super::pkjwt::pkjwt_client(ctx, step)?;
    let assertion = jose::client_assertion(key, client_id, &ctx.setup.issuer).map_err(client_error(step))?;
    let proof_key = jose::SigningKey::generate(ctx.alg).map_err(client_error(step))?;
    let claims = json!({ "jti": jose::random(16), "htm": "POST", "htu": ctx.token_str, "iat": jose::now() });
    let proof = proof_key
        .sign(json!({ "typ": "JWT", "jwk": proof_key.public_jwk() }), &claims)
        .map_err(client_error(step))?;
    let request = http::post_form(
        &ctx.token,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
        &[("dpop", &proof)],
    )
    .map_err(client_error(step))?;
    let response = worker.send(ctx, step, &ctx.token, false, request).await?;
    refused(step, &response)
}

/// RFC 9101 §6.3 / RFC 9126 §2.1: a 2 MiB `request` pushed to PAR; the OP
/// bounds bodies (`server.max_body_bytes`, 413).
pub async fn oversized_request_object(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "oversized_request_object";
    let (client_id, key) = super::pkjwt::pkjwt_client(ctx, step)?;
    let par = ctx
        .par
        .as_ref()
        .ok_or_else(|| Failure::new(step, "client: the OP has no PAR endpoint"))?;
    let assertion = jose::client_assertion(key, client_id, &ctx.setup.issuer).map_err(client_error(step))?;
    let request_object = format!("eyJhbGciOiJFUzI1NiJ9.{}.AAAA", "A".repeat(2 * 1024 * 1024));
    let request = http::post_form(
        par,
        &[
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("request", &request_object),
        ],
        &[],
    )
    .map_err(client_error(step))?;
    let answer = worker.send(ctx, step, par, false, request).await;
    // The OP closes the connection after refusing the body: never reuse it.
    worker.forget_connections();
    match answer {
        Ok(response) => refused(step, &response),
        // Refused mid-body: the OP may answer 413 and close before reading it all.
        Err(failure) if failure.kind.starts_with("io:") => Ok(()),
        Err(failure) => Err(failure),
    }
}

/// RFC 6749 §3.2: "Request and response parameters MUST NOT be included
/// more than once."
pub async fn duplicate_parameters(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let step = "duplicate_parameters";
    let client_id = ctx
        .setup
        .mtls
        .as_ref()
        .map(|m| m.client_id.as_str())
        .ok_or_else(|| Failure::new(step, "client: no mTLS client configured"))?;
    let request = http::post_form(
        &ctx.mtls_token,
        &[
            ("grant_type", "client_credentials"),
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
        ],
        &[],
    )
    .map_err(client_error(step))?;
    let response = worker.send(ctx, step, &ctx.mtls_token, true, request).await?;
    refused(step, &response)
}

/// RFC 8705 §2.1: tls_client_auth with a certificate that does not chain to
/// the OP's CA (`stranger`) or that expired (`expired`, RFC 5280 §6.1.3).
/// Refused at the handshake or with `invalid_client`.
pub async fn foreign_certificate(ctx: &Ctx, expired: bool) -> Result<(), Failure> {
    let step = if expired {
        "expired_certificate"
    } else {
        "stranger_certificate"
    };
    let kit = ctx.hostile.as_ref().ok_or_else(|| Failure::new(step, "no kit"))?;
    let tls = match (expired, &kit.expired) {
        (true, Some(tls)) => tls.clone(),
        (true, None) => return Err(Failure::new(step, "client: no CA key beside the CA certificate")),
        (false, _) => kit.stranger.clone(),
    };
    let client_id = ctx
        .setup
        .mtls
        .as_ref()
        .map(|m| m.client_id.as_str())
        .unwrap_or_default();
    let Ok(mut conn) = Conn::connect_to(&ctx.targets.address(&ctx.mtls_token), &ctx.mtls_token, tls).await
    else {
        return Ok(());
    };
    let request = http::post_form(
        &ctx.mtls_token,
        &[("grant_type", "client_credentials"), ("client_id", client_id)],
        &[],
    )
    .map_err(client_error(step))?;
    match conn.send(request).await {
        Ok(response) => refused(step, &response),
        // TLS 1.3 reports a refused client certificate after the handshake.
        Err(_) => Ok(()),
    }
}
