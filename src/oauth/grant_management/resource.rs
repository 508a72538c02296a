//! A grant as the grant management endpoint shows it to its client (Grant
//! Management §6.4):
//!
//! - `scopes`: one entry `{"scope": "<space-separated scopes>"}`. The draft
//!   keeps scopes of different requests apart to preserve their RFC 8707
//!   `resource`; this OP takes no `resource` parameter, so all of a grant's
//!   scopes share one entry;
//! - `claims`: the names of the OpenID Connect claims requested and
//!   approved (OIDC Core §5.5), under `id_token` and `userinfo`, each once;
//! - `authorization_details`: the RFC 9396 details as approved (merged);
//! - `created_at`, `expires_at`: Unix seconds (the grant is kept as long as
//!   a token of it can live).
//!
//! No token and nothing about the customer is shown (§6.4, §9).

use crate::model::records::Grant;
use crate::oauth::op::OpState;
use crate::protocol::rar;
use crate::store::kv::KvError;
use crate::store::record::Found;
use crate::store::repo::{RevocationCause, ops, revoked};
use serde_json::{Map, Value, json};

/// Grant `grant_id` if it is live (not revoked, not expired) and
/// `client_id`'s; `None` for an unknown, revoked or foreign grant alike
/// (§6.6: 404, so a client learns nothing of others' grants).
pub async fn client_grant(
    op: &OpState,
    client_id: &str,
    grant_id: &str,
    now: u64,
) -> Result<Option<Found<Grant>>, KvError> {
    op.services
        .repo
        .store()
        .run(|tx, _| async move {
            if revoked::is_revoked(&tx, grant_id, now).await? {
                return Ok(None);
            }
            Ok(ops::find::<Grant>(&tx, grant_id, now)
                .await?
                .filter(|found| found.payload.client_id == client_id))
        })
        .await
}

/// §6.5: revokes grant `grant_id` and every token, code and pushed record
/// issued under it (`Repo::revoke_by_grant_id`: refresh tokens, which the
/// draft requires, and access tokens, which it recommends), recorded in the
/// audit trail as the client's `grant_management_revoke`.
pub async fn revoke(op: &OpState, grant_id: &str, now: u64) -> Result<usize, KvError> {
    let revocation = crate::oauth::tokens::grant_revocation(op, now, RevocationCause::GrantManagementRevoke);
    op.services.repo.revoke_by_grant_id(grant_id, revocation).await
}

/// The §6.4 response body of `grant`, kept until `expires_at`.
pub fn describe(grant: &Grant, expires_at: Option<u64>) -> Value {
    let mut body = Map::new();
    if !grant.scopes.is_empty() {
        body.insert("scopes".into(), json!([{ "scope": grant.scopes.join(" ") }]));
    }
    let claims = claim_names(grant.claims.as_deref());
    if !claims.is_empty() {
        body.insert("claims".into(), json!(claims));
    }
    if let Some(details) = rar::stored_value(grant.authorization_details.as_deref()) {
        body.insert("authorization_details".into(), details);
    }
    body.insert("created_at".into(), json!(grant.created));
    if let Some(at) = expires_at {
        body.insert("expires_at".into(), json!(at));
    }
    Value::Object(body)
}

/// The claim names of an OIDC Core §5.5 request, `id_token`'s first, each
/// once.
fn claim_names(claims: Option<&str>) -> Vec<String> {
    let Some(Value::Object(request)) = claims.and_then(|t| serde_json::from_str::<Value>(t).ok()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    for target in ["id_token", "userinfo"] {
        if let Some(Value::Object(members)) = request.get(target) {
            for name in members.keys() {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §6.4: scopes, claim names, details, times; nothing about tokens or
    /// the customer.
    #[test]
    fn a_grant_is_described_grant_management_s6_4() {
        let grant = Grant {
            client_id: "c".into(),
            account_id: "acc-1".into(),
            scopes: vec!["openid".into(), "accounts".into()],
            created: 10,
            authorization_details: Some(json!([{"type": "account_information"}]).to_string()),
            claims: Some(
                json!({"id_token": {"email": null}, "userinfo": {"email": null, "name": {"essential": true}}})
                    .to_string(),
            ),
        };
        let body = describe(&grant, Some(99));
        assert_eq!(
            body,
            json!({
                "scopes": [{"scope": "openid accounts"}],
                "claims": ["email", "name"],
                "authorization_details": [{"type": "account_information"}],
                "created_at": 10,
                "expires_at": 99
            })
        );
        let bare = Grant {
            authorization_details: None,
            claims: None,
            ..grant
        };
        let body = describe(&bare, None);
        assert!(body.get("claims").is_none() && body.get("authorization_details").is_none());
        assert!(body.get("account_id").is_none() && body.get("client_id").is_none());
    }
}
