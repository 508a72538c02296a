//! Polling the token endpoint with the CIBA grant (CIBA Core §10.1:
//! `grant_type=urn:openid:params:grant-type:ciba`, `auth_req_id`, client
//! authentication as at `/bc-authorize`, over the same mutual TLS so the
//! tokens are bound to the fintech's certificate), at the `interval` the
//! OP named (§7.3). §11: `authorization_pending` waits the interval and
//! polls again; `slow_down` raises the interval by 5 s for this and every
//! later poll; `expired_token`, `access_denied` and any other error end it.

use super::ciba_client::{CibaClient, pairs};
use super::http::describe_failure;
use super::setup::Setup;
use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use http::Response;
use serde_json::Value;
use std::time::{Duration, Instant};

/// CIBA Core §10.1: the grant type.
pub const CIBA_GRANT_TYPE: &str = "urn:openid:params:grant-type:ciba";
/// CIBA Core §11: `slow_down` adds at least this many seconds.
pub const SLOW_DOWN_STEP_SECS: u64 = 5;

/// What one poll's answer means.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// 200: the token response.
    Tokens(Value),
    /// §11 `authorization_pending`: poll again after the interval.
    Pending,
    /// §11 `slow_down`: poll again after the raised interval.
    SlowDown,
}

/// Reads one token response (CIBA Core §10.1.1, §11; RFC 6749 §5.2).
pub fn answer(response: &Response<Bytes>) -> anyhow::Result<Answer> {
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    if response.status() == 200 {
        return match body.is_object() {
            true => Ok(Answer::Tokens(body)),
            false => Err(anyhow!("the token endpoint answered 200 without a JSON object")),
        };
    }
    match body["error"].as_str() {
        Some("authorization_pending") => Ok(Answer::Pending),
        Some("slow_down") => Ok(Answer::SlowDown),
        Some("access_denied") => bail!("the customer denied the request (access_denied, CIBA Core §11)"),
        Some("expired_token") => {
            bail!("the request expired before the customer decided (expired_token, CIBA Core §11)")
        }
        _ => bail!("the token endpoint answered {}", describe_failure(response)),
    }
}

/// What the polling took.
pub struct Polled {
    /// The token response.
    pub body: Value,
    /// Polls sent.
    pub polls: usize,
    /// `authorization_pending` answers.
    pub pending: usize,
    /// `slow_down` answers.
    pub slowed: usize,
    /// The interval at the end (raised by `slow_down`).
    pub interval: u64,
}

/// One poll.
pub async fn poll_once(setup: &Setup, client: &CibaClient, auth_req_id: &str) -> anyhow::Result<Answer> {
    let mut params = client.authentication(&setup.op.issuer).await?;
    params.push(("grant_type", CIBA_GRANT_TYPE.to_string()));
    params.push(("auth_req_id", auth_req_id.to_string()));
    let response = setup
        .fintech
        .post_form(&setup.op.token, &pairs(&params), &[])
        .await?;
    answer(&response)
}

/// Polls until tokens, an ending error, or `expires_in` seconds from
/// `started`; the first poll waits `interval` (one was sent before).
pub async fn until_tokens(
    setup: &Setup,
    client: &CibaClient,
    auth_req_id: &str,
    interval: u64,
    started: Instant,
    expires_in: u64,
) -> anyhow::Result<Polled> {
    let deadline = started + Duration::from_secs(expires_in);
    let mut polled = Polled {
        body: Value::Null,
        polls: 0,
        pending: 0,
        slowed: 0,
        interval,
    };
    loop {
        let wake = Instant::now() + Duration::from_secs(polled.interval);
        if wake > deadline {
            bail!("the request expired ({expires_in} s) before the customer decided");
        }
        tokio::time::sleep_until(wake.into()).await;
        polled.polls += 1;
        match poll_once(setup, client, auth_req_id)
            .await
            .with_context(|| format!("poll {}", polled.polls))?
        {
            Answer::Tokens(body) => {
                polled.body = body;
                return Ok(polled);
            }
            Answer::Pending => polled.pending += 1,
            Answer::SlowDown => {
                polled.slowed += 1;
                polled.interval += SLOW_DOWN_STEP_SECS;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response<Bytes> {
        Response::builder()
            .status(status)
            .body(Bytes::from(body.to_string()))
            .unwrap()
    }

    #[test]
    fn poll_answers_follow_ciba_core_s11() {
        assert_eq!(
            answer(&response(400, r#"{"error":"authorization_pending"}"#)).unwrap(),
            Answer::Pending
        );
        assert_eq!(
            answer(&response(400, r#"{"error":"slow_down"}"#)).unwrap(),
            Answer::SlowDown
        );
        let tokens = answer(&response(200, r#"{"access_token":"a","token_type":"Bearer"}"#)).unwrap();
        assert!(matches!(tokens, Answer::Tokens(body) if body["access_token"] == "a"));
        let denied = answer(&response(400, r#"{"error":"access_denied"}"#)).unwrap_err();
        assert!(denied.to_string().contains("denied"), "{denied}");
        let expired = answer(&response(400, r#"{"error":"expired_token"}"#)).unwrap_err();
        assert!(expired.to_string().contains("expired"), "{expired}");
        let other = answer(&response(
            401,
            r#"{"error":"invalid_client","error_description":"no"}"#,
        ))
        .unwrap_err();
        assert_eq!(
            other.to_string(),
            "the token endpoint answered 401 invalid_client: no"
        );
        assert!(answer(&response(200, "[]")).is_err());
    }
}
