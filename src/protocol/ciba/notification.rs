//! What the OP sends a ping or push client when a request is decided or
//! expires (CIBA Core §10.2, §10.3, §12), and the bodies it sends.
//!
//! | mode | approved | denied | expired |
//! |---|---|---|---|
//! | poll | nothing | nothing | nothing |
//! | ping (§10.2) | ping | ping | ping |
//! | push (§10.3, §12) | the tokens | error `access_denied` | error `expired_token` |
//!
//! A ping carries only `{"auth_req_id": ...}`; the client then calls the
//! token endpoint and learns the outcome there (§10.2: "after a successful
//! or failed end-user authentication"; a ping on expiry tells a waiting
//! client to stop waiting). Every call goes to the client's registered
//! `backchannel_client_notification_endpoint` with `Authorization: Bearer
//! <client_notification_token>` (§10.2), the token of that request.

use super::delivery_mode::DeliveryMode;
use serde::Serialize;
use serde_json::Value;

/// CIBA Core §10.3.1: the ID token claim naming the request pushed tokens answer.
pub const AUTH_REQ_ID_CLAIM: &str = "urn:openid:params:jwt:claim:auth_req_id";

/// How a request ended, as far as the client must hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The customer approved.
    Approved,
    /// The customer denied.
    Denied,
    /// Nobody decided before `expires_at`.
    Expired,
}

/// CIBA Core §12: the `error` of a push error payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushErrorCode {
    /// The customer denied.
    AccessDenied,
    /// The request expired.
    ExpiredToken,
    /// The OP could not complete the request.
    TransactionFailed,
}

/// Where a notification goes and with which bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct NotificationTarget {
    /// The client's `backchannel_client_notification_endpoint`.
    pub endpoint: String,
    /// The request's `client_notification_token`.
    pub bearer: String,
}

impl std::fmt::Debug for NotificationTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationTarget")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// CIBA Core §10.2: the body of a ping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PingBody {
    /// The request that was decided.
    pub auth_req_id: String,
}

/// CIBA Core §12: the body of a push error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushErrorBody {
    /// The request.
    pub auth_req_id: String,
    /// What happened.
    pub error: PushErrorCode,
    /// For the developer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// CIBA Core §10.3.1: the body of pushed tokens (a token response plus
/// `auth_req_id`); the ID token carries [`AUTH_REQ_ID_CLAIM`], `at_hash`
/// and, with a refresh token, `rt_hash` (`protocol::id_token_hash`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushTokenBody {
    /// The request.
    pub auth_req_id: String,
    /// RFC 6749 §5.1.
    pub access_token: String,
    /// RFC 6749 §5.1: `DPoP` or `Bearer` (a certificate-bound token).
    pub token_type: String,
    /// RFC 6749 §5.1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// RFC 6749 §5.1.
    pub expires_in: u64,
    /// CIBA Core §10.3.1: required.
    pub id_token: String,
    /// RFC 9396 §7: the details granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Value>,
}

/// What to send when a request ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// Poll mode: the client finds out by polling.
    Nothing,
    /// §10.2: POST [`PingBody`] to the target.
    Ping(NotificationTarget, PingBody),
    /// §10.3: issue the tokens (the request is then redeemed) and POST a
    /// [`PushTokenBody`] to the target.
    PushTokens(NotificationTarget),
    /// §12: POST [`PushErrorBody`] to the target.
    PushError(NotificationTarget, PushErrorBody),
}

/// A ping or push client's request without a notification endpoint or
/// token: its registration or the stored request is inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a ping or push request without a notification endpoint and token")]
pub struct MissingTarget;

/// CIBA Core §10.2 / §10.3 / §12: what to send for `outcome` of request
/// `auth_req_id` of a client of `mode`, to `target`.
pub fn notification_for(
    mode: DeliveryMode,
    outcome: Outcome,
    auth_req_id: &str,
    target: Option<NotificationTarget>,
) -> Result<Notification, MissingTarget> {
    if mode == DeliveryMode::Poll {
        return Ok(Notification::Nothing);
    }
    let target = target.ok_or(MissingTarget)?;
    let auth_req_id = auth_req_id.to_string();
    let push_error = |error, description: &str| PushErrorBody {
        auth_req_id: auth_req_id.clone(),
        error,
        error_description: Some(description.to_string()),
    };
    Ok(match (mode, outcome) {
        (DeliveryMode::Push, Outcome::Approved) => Notification::PushTokens(target),
        (DeliveryMode::Push, Outcome::Denied) => Notification::PushError(
            target,
            push_error(PushErrorCode::AccessDenied, "the customer denied the request"),
        ),
        (DeliveryMode::Push, Outcome::Expired) => Notification::PushError(
            target,
            push_error(PushErrorCode::ExpiredToken, "the auth_req_id has expired"),
        ),
        _ => Notification::Ping(target, PingBody { auth_req_id }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target() -> Option<NotificationTarget> {
        Some(NotificationTarget {
            endpoint: "https://rp.example/ciba".into(),
            bearer: "8d67dc78-7faa".into(),
        })
    }

    /// CIBA Core §10.1: a poll client is never called.
    #[test]
    fn poll_clients_hear_nothing_ciba_core_s10_1() {
        for outcome in [Outcome::Approved, Outcome::Denied, Outcome::Expired] {
            let sent = notification_for(DeliveryMode::Poll, outcome, "id", None).unwrap();
            assert_eq!(sent, Notification::Nothing);
        }
    }

    /// CIBA Core §10.2: a ping client gets `{"auth_req_id"}` with its bearer
    /// token, on approval and on denial alike.
    #[test]
    fn ping_clients_get_the_auth_req_id_with_their_bearer_ciba_core_s10_2() {
        for outcome in [Outcome::Approved, Outcome::Denied, Outcome::Expired] {
            let Notification::Ping(to, body) =
                notification_for(DeliveryMode::Ping, outcome, "req-1", target()).unwrap()
            else {
                panic!("expected a ping for {outcome:?}")
            };
            assert_eq!(to, target().unwrap());
            assert_eq!(
                serde_json::to_value(&body).unwrap(),
                json!({"auth_req_id": "req-1"})
            );
        }
        assert!(!format!("{:?}", target().unwrap()).contains("8d67dc78"));
    }

    /// CIBA Core §10.3 / §12: push sends the tokens, or an error payload.
    #[test]
    fn push_clients_get_tokens_or_an_error_ciba_core_s12() {
        assert_eq!(
            notification_for(DeliveryMode::Push, Outcome::Approved, "req-1", target()).unwrap(),
            Notification::PushTokens(target().unwrap())
        );
        for (outcome, error) in [
            (Outcome::Denied, "access_denied"),
            (Outcome::Expired, "expired_token"),
        ] {
            let Notification::PushError(_, body) =
                notification_for(DeliveryMode::Push, outcome, "req-1", target()).unwrap()
            else {
                panic!("expected a push error")
            };
            let value = serde_json::to_value(&body).unwrap();
            assert_eq!(
                (value["auth_req_id"].as_str(), value["error"].as_str()),
                (Some("req-1"), Some(error))
            );
        }
    }

    #[test]
    fn ping_and_push_need_a_target() {
        assert_eq!(
            notification_for(DeliveryMode::Ping, Outcome::Approved, "req-1", None),
            Err(MissingTarget)
        );
    }

    /// CIBA Core §10.3.1: the pushed token body's members.
    #[test]
    fn pushed_tokens_carry_the_auth_req_id_ciba_core_s10_3_1() {
        let body = PushTokenBody {
            auth_req_id: "req-1".into(),
            access_token: "at".into(),
            token_type: "DPoP".into(),
            refresh_token: None,
            expires_in: 300,
            id_token: "eyJ.a.b".into(),
            authorization_details: None,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"auth_req_id": "req-1", "access_token": "at", "token_type": "DPoP", "expires_in": 300, "id_token": "eyJ.a.b"})
        );
        assert_eq!(AUTH_REQ_ID_CLAIM, "urn:openid:params:jwt:claim:auth_req_id");
    }
}
