//! The customer's phone, scripted: the sandbox customer device's JSON API
//! (`sandbox::device::api`), called as the customer with HTTP Basic
//! (RFC 7617) over TLS: the pending request as the phone shows it
//! (`GET /api/customers/{username}/requests`), then the approval
//! (`POST /api/requests/{auth_req_id}/approve`), which the device sends to
//! the OP's decision endpoint over its own mutual TLS.

use super::http::expect_json;
use super::setup::Setup;
use anyhow::{anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// The sandbox device's URL, from `endpoints.json`.
pub fn device_url(setup: &Setup) -> anyhow::Result<&str> {
    match setup.sandbox.device_url.trim_end_matches('/') {
        "" => bail!("the sandbox's endpoints.json names no customer device (restart the sandbox)"),
        url => Ok(url),
    }
}

/// `Authorization: Basic` of `user` and `password` (RFC 7617 §2).
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// What the phone shows of request `auth_req_id`: the fintech, the
/// binding message and the summary lines, or an error when it is not there.
pub fn shown(list: &Value, auth_req_id: &str) -> anyhow::Result<String> {
    let request = list["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["auth_req_id"] == auth_req_id)
        .ok_or_else(|| anyhow!("the request is not among the customer's pending requests on the device"))?;
    let mut parts = vec![format!(
        "{} asks \"{}\"",
        request["client_name"].as_str().unwrap_or("?"),
        request["binding_message"].as_str().unwrap_or("")
    )];
    if let Some(summary) = request["summary"].as_object() {
        parts.extend(
            summary
                .iter()
                .map(|(label, value)| format!("{label}: {}", value.as_str().unwrap_or("?"))),
        );
    }
    Ok(parts.join("; "))
}

/// The request as the customer's phone lists it.
pub async fn pending(setup: &Setup, user: &str, password: &str, auth_req_id: &str) -> anyhow::Result<String> {
    let name: String = form_urlencoded::byte_serialize(user.as_bytes()).collect();
    let url = format!("{}/api/customers/{name}/requests", device_url(setup)?);
    let authorization = basic(user, password);
    let response = setup
        .browser
        .get(&url, &[("authorization", authorization.as_str())])
        .await?;
    shown(&expect_json(&response, 200, "the customer device")?, auth_req_id)
}

/// The customer approves on the phone; the device has told the OP when
/// this returns.
pub async fn approve(setup: &Setup, user: &str, password: &str, auth_req_id: &str) -> anyhow::Result<()> {
    let id: String = form_urlencoded::byte_serialize(auth_req_id.as_bytes()).collect();
    let url = format!("{}/api/requests/{id}/approve", device_url(setup)?);
    let authorization = basic(user, password);
    let response = setup
        .browser
        .post_form(&url, &[], &[("authorization", authorization.as_str())])
        .await?;
    let body = expect_json(&response, 200, "the customer device")?;
    match body["decision"].as_str() {
        Some("approved") => Ok(()),
        other => bail!("the customer device recorded {other:?}, not an approval"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn basic_credentials_are_rfc7617() {
        assert_eq!(basic("alice", "pw"), "Basic YWxpY2U6cHc=");
    }

    #[test]
    fn the_phone_shows_the_fintech_the_binding_message_and_the_payment() {
        let list = json!({"requests": [
            {"auth_req_id": "other", "client_name": "X"},
            {"auth_req_id": "r1", "client_name": "Till Ltd", "binding_message": "PAY-1",
             "summary": {"Amount": "10.00 EUR", "Payee": "Bob"}},
        ]});
        assert_eq!(
            shown(&list, "r1").unwrap(),
            "Till Ltd asks \"PAY-1\"; Amount: 10.00 EUR; Payee: Bob"
        );
        assert!(shown(&list, "r2").is_err());
        assert!(shown(&json!({}), "r1").is_err());
    }
}
