//! RFC 7662 introspection as a client does it: the `introspect` scenario
//! (a store read per operation) and the request `--verify` sends for each
//! kept token.

use super::context::{Ctx, Scenario, Worker, client_error, expect, status_kind};
use crate::http;
use crate::stats::{Failure, Steps};
use ::http::Response;
use bytes::Bytes;
use std::time::Instant;

const STEP: &str = "introspect";

/// What introspecting one token said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// RFC 7662 §2.2 `"active": true`.
    Active,
    /// `"active": false`: unknown, expired, revoked, or not the caller's.
    Inactive,
    /// No answer to count: the kind (status and OAuth error, `io: ...`).
    Failed(String),
    /// Not asked: at or near its expiry (`kept.rs`), when inactive is right.
    Expired,
}

impl Checked {
    /// RFC 7662 §2.2: a 200 JSON object whose `active` is a boolean; any
    /// other answer (§2.3's 401 `invalid_client`, a 5xx, a 200 without a
    /// boolean `active`) is a failure to check, not a verdict.
    pub fn of(response: &Response<Bytes>) -> Self {
        if response.status() != 200 {
            return Checked::Failed(status_kind(response));
        }
        let body = serde_json::from_slice::<serde_json::Value>(response.body()).ok();
        match body.as_ref().and_then(|b| b["active"].as_bool()) {
            Some(true) => Checked::Active,
            Some(false) => Checked::Inactive,
            None => Checked::Failed("unexpected: 200 without a boolean active".into()),
        }
    }
}

/// RFC 7662 §2.1: the token this worker got over `cc-mtls` (once, and again
/// when it is no longer active), introspected by its client at the mTLS
/// alias; the operation succeeds on `"active": true` (§2.2).
pub async fn introspect(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let token = match worker.introspected.take() {
        Some(token) => token,
        None => {
            let request = super::grants::cc_mtls_request(ctx)?;
            let started = Instant::now();
            let response = worker.send(ctx, "token", &ctx.mtls_token, true, request).await?;
            steps.record("token", started.elapsed());
            expect("token", &response, 200)?;
            super::grants::access_token("token", &response)?
        }
    };
    let started = Instant::now();
    let response = introspection(worker, ctx, &token).await;
    steps.record(STEP, started.elapsed());
    let response = match response {
        Ok(response) => response,
        Err(failure) => {
            // No answer (the OP unreachable): the token is asked about again.
            worker.introspected = Some(token);
            return Err(failure);
        }
    };
    match Checked::of(&response) {
        Checked::Active => {
            worker.introspected = Some(token);
            Ok(())
        }
        // Expired or revoked: the next operation gets a new one.
        Checked::Inactive => Err(Failure::new(STEP, "unexpected: inactive")),
        Checked::Failed(kind) => {
            worker.introspected = Some(token);
            Err(Failure::new(STEP, kind))
        }
        Checked::Expired => Err(Failure::new(STEP, "unexpected: expired")),
    }
}

/// One RFC 7662 §2.1 request for `token` as its owner: the private_key_jwt
/// client (`flow`) with a fresh assertion (RFC 7523 §2.2) at the endpoint,
/// the others as the tls_client_auth client at its mTLS alias (RFC 8705
/// §2.1, §5). The answer as it came.
pub async fn introspection(worker: &mut Worker, ctx: &Ctx, token: &str) -> Result<Response<Bytes>, Failure> {
    let missing = || Failure::new(STEP, "client: no introspection_endpoint in discovery");
    let response = match ctx.scenario {
        Scenario::Flow => {
            let url = ctx.introspection.as_ref().ok_or_else(missing)?;
            let client_id = ctx.setup.pkjwt.as_ref().map_or("", |p| p.client_id.as_str());
            let assertion = super::grants::assertion(ctx, STEP)?;
            let request = http::post_form(
                url,
                &[
                    ("token", token),
                    ("token_type_hint", "access_token"),
                    ("client_id", client_id),
                    ("client_assertion_type", crate::jose::JWT_BEARER),
                    ("client_assertion", &assertion),
                ],
                &[],
            )
            .map_err(client_error(STEP))?;
            worker.send(ctx, STEP, url, false, request).await?
        }
        _ => {
            let url = ctx.mtls_introspection.as_ref().ok_or_else(missing)?;
            let client_id = ctx.setup.mtls.as_ref().map_or("", |m| m.client_id.as_str());
            let request = http::post_form(
                url,
                &[
                    ("token", token),
                    ("token_type_hint", "access_token"),
                    ("client_id", client_id),
                ],
                &[],
            )
            .map_err(client_error(STEP))?;
            worker.send(ctx, STEP, url, true, request).await?
        }
    };
    Ok(response)
}
