//! The CIBA scenarios (OpenID Connect CIBA Core 1.0, poll mode; the FAPI
//! CIBA profile): a client asks the OP to authenticate its customer with a
//! signed backchannel authentication request (§7.1.1) and polls the token
//! endpoint (§10.1) until the customer has decided on their device.
//!
//! - `ciba`: request, then polls until the tokens. The first poll goes
//!   after `--ciba-first-poll-ms` (the interval binds the time *between*
//!   polls, §7.3), the later ones at the interval; with the device
//!   auto-approving, one poll usually suffices.
//! - `ciba-pending`: before the clock, `--pending N` requests that nobody
//!   approves (the device must not auto-approve); then each operation is
//!   one poll of the request due first, answered `authorization_pending`,
//!   the request polled again no sooner than its interval. An operation
//!   whose request is not yet due waits for it (a client keeping to its
//!   interval), and that wait is in its latency: `--pending` should be at
//!   least rate × interval.
//!
//! Both send to the mTLS aliases (RFC 8705 §5) with the `[mtls]`
//! certificate, so the tokens are certificate-bound (§3), and authenticate
//! with private_key_jwt (RFC 7523) or, with `--ciba-auth tls-client-auth`,
//! the certificate (RFC 8705 §2.1).

use super::ciba_client::{CIBA_GRANT, DEFAULT_INTERVAL, POLL_MARGIN, Pending, SLOW_DOWN_STEP};
pub use super::ciba_client::{CibaAuth, CibaCtx, CibaOptions};
use super::context::{Ctx, Worker, client_error, expect, oauth_error};
use crate::http::{self, Url};
use crate::stats::{Failure, Steps};
use std::time::{Duration, Instant};

fn ciba_ctx<'a>(ctx: &'a Ctx, step: &'static str) -> Result<(&'a CibaCtx, &'a Url), Failure> {
    match (&ctx.ciba, &ctx.bc_authorize) {
        (Some(ciba), Some(url)) => Ok((ciba, url)),
        _ => Err(Failure::new(step, "no CIBA client or endpoint")),
    }
}

/// CIBA Core §7: sends a signed request for the next customer; the
/// `auth_req_id` and `interval` answered (§7.3).
pub async fn backchannel(
    worker: &mut Worker,
    ctx: &Ctx,
    steps: &mut Steps,
) -> Result<(String, Duration), Failure> {
    const STEP: &str = "bc_authorize";
    let (ciba, url) = ciba_ctx(ctx, STEP)?;
    let request = ciba
        .request_object(&ctx.setup.issuer, &ctx.next_user().username)
        .map_err(client_error(STEP))?;
    let mut params = ciba.auth_params(&ctx.setup.issuer, STEP)?;
    params.push(("request", request));
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let http_request = http::post_form(url, &pairs, &[]).map_err(client_error(STEP))?;
    let started = Instant::now();
    let response = worker.send(ctx, STEP, url, true, http_request).await?;
    steps.record(STEP, started.elapsed());
    expect(STEP, &response, 200)?;
    let body: serde_json::Value = serde_json::from_slice(response.body())
        .map_err(|_| Failure::new(STEP, "unexpected: 200 without JSON"))?;
    let auth_req_id = body["auth_req_id"]
        .as_str()
        .ok_or_else(|| Failure::new(STEP, "unexpected: 200 without auth_req_id"))?;
    let interval = body["interval"]
        .as_u64()
        .map_or(DEFAULT_INTERVAL, Duration::from_secs);
    Ok((auth_req_id.to_string(), interval))
}

/// What a poll got.
enum Polled {
    Tokens,
    Pending,
    SlowDown,
}

/// CIBA Core §10.1: one token request for `auth_req_id`, timed as `step`
/// (or as `poll` when still pending).
async fn poll(
    worker: &mut Worker,
    ctx: &Ctx,
    steps: &mut Steps,
    step: &'static str,
    auth_req_id: &str,
) -> Result<Polled, Failure> {
    let (ciba, _) = ciba_ctx(ctx, step)?;
    let mut params = ciba.auth_params(&ctx.setup.issuer, step)?;
    params.push(("grant_type", CIBA_GRANT.to_string()));
    params.push(("auth_req_id", auth_req_id.to_string()));
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let request = http::post_form(&ctx.mtls_token, &pairs, &[]).map_err(client_error(step))?;
    let started = Instant::now();
    let response = worker.send(ctx, step, &ctx.mtls_token, true, request).await?;
    let took = started.elapsed();
    if response.status() == 200 {
        steps.record(step, took);
        super::grants::access_token(step, &response)?;
        return Ok(Polled::Tokens);
    }
    match (response.status().as_u16(), oauth_error(&response).as_deref()) {
        // §11: the expected answers while the customer has not decided.
        (400, Some("authorization_pending")) => {
            steps.record("poll", took);
            Ok(Polled::Pending)
        }
        (400, Some("slow_down")) => Ok(Polled::SlowDown),
        _ => expect(step, &response, 200).map(|()| Polled::Tokens),
    }
}

/// `ciba`: request, approval on the device, polls until the tokens.
pub async fn ciba(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let (ciba, _) = ciba_ctx(ctx, "bc_authorize")?;
    let (auth_req_id, mut interval) = backchannel(worker, ctx, steps).await?;
    tokio::time::sleep(ciba.options.first_poll).await;
    // Bounded: a request the device never approves expires (§7.3 expires_in).
    for _ in 0..100 {
        match poll(worker, ctx, steps, "token", &auth_req_id).await? {
            Polled::Tokens => return Ok(()),
            Polled::Pending => {}
            Polled::SlowDown => interval += SLOW_DOWN_STEP,
        }
        tokio::time::sleep(interval + POLL_MARGIN).await;
    }
    Err(Failure::new("token", "still pending after 100 polls"))
}

/// Creates one request for `ciba-pending` to poll.
pub async fn prepare_pending(worker: &mut Worker, ctx: &Ctx) -> Result<(), Failure> {
    let mut steps = Steps::default();
    let (ciba, _) = ciba_ctx(ctx, "bc_authorize")?;
    let (auth_req_id, interval) = backchannel(worker, ctx, &mut steps).await?;
    ciba.hold(Pending {
        auth_req_id,
        interval,
        // Never polled: due at once (§7.3 binds the time between polls).
        due: Instant::now(),
    });
    Ok(())
}

/// `ciba-pending`: one poll of the request due first.
pub async fn poll_pending(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let (ciba, _) = ciba_ctx(ctx, "poll")?;
    let Some(mut request) = ciba.next_pending() else {
        return Err(Failure::new("poll", "no pending request left to poll"));
    };
    tokio::time::sleep_until(request.due.into()).await;
    let polled = poll(worker, ctx, steps, "poll", &request.auth_req_id).await;
    match polled {
        Ok(Polled::Pending) => {
            request.due = Instant::now() + request.interval + POLL_MARGIN;
            ciba.hold(request);
            Ok(())
        }
        Ok(Polled::SlowDown) => {
            request.interval += SLOW_DOWN_STEP;
            request.due = Instant::now() + request.interval + POLL_MARGIN;
            ciba.hold(request);
            Err(Failure::new("poll", "400 slow_down"))
        }
        Ok(Polled::Tokens) => Err(Failure::new(
            "poll",
            "unexpected: tokens for a request nobody should approve (does the device auto-approve?)",
        )),
        // Expired, or the OP lost it: not polled again.
        Err(failure) => Err(failure),
    }
}
