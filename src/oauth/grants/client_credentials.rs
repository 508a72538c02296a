//! `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client
//! (every client here authenticates, FAPI 2.0 §5.3.2.1) gets an access
//! token for itself: no end-user, so no scope about one (`openid`,
//! `profile`, `email`, `address`, `phone`, `offline_access`:
//! `protocol::scope`), no ID token and no refresh token (RFC 6749 §4.4.3).
//! Sender-constrained like every token.
//! Each token is its own grant (`records::own_grant_id`), so revoke-by-grant
//! covers it without a grant index entry.

use super::sender_binding;
use crate::model::Client;
use crate::model::records::AccessToken;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::tokens::{self, IssuedUnder};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::scope::is_about_a_customer;

/// Issues `client` a token for `requested` scopes (RFC 6749 §3.3: the
/// client's scopes without the end-user ones when absent, possibly none). The `jti`s in
/// `uses` are recorded with the token.
pub async fn issue(
    op: &OpState,
    caller: &Caller,
    client: &Client,
    requested: Option<Vec<String>>,
    uses: &mut OneTimeUses,
) -> Result<serde_json::Value, OAuthError> {
    let scopes = granted_scopes(&client.scopes, requested)?;
    let binding = sender_binding(op, caller, None, client.dpop_bound_access_tokens, uses)?;
    let record = AccessToken {
        client_id: client.client_id.clone(),
        account_id: None,
        scopes: scopes.clone(),
        // Named after the token once it exists (IssuedUnder::Itself).
        grant_id: String::new(),
        binding: binding.clone(),
        issued_at: 0,
        expires_at: 0,
        authorization_details: None,
        claims: None,
    };
    let (access_token, ttl) = tokens::issue_access_token(
        op,
        record,
        IssuedUnder::Itself,
        client.access_token_format,
        op.now(),
        uses,
    )
    .await?;
    tracing::info!(target: "fiducia::audit", client_id = %client.client_id, token_type = binding.token_type(), "client_credentials token issued");
    Ok(serde_json::json!({
        "access_token": access_token,
        "token_type": binding.token_type(),
        "expires_in": ttl,
        "scope": scopes.join(" "),
    }))
}

/// RFC 6749 §3.3 / §4.4.2: within the client's scopes, none about an
/// end-user (OIDC Core §5.4). The default when `scope` is absent is the
/// client's scopes less those: a client's configured or registered scopes
/// are mostly for its customers' grants (`profile`, `email`, ...) and must
/// not land on a token that has no customer.
fn granted_scopes(allowed: &[String], requested: Option<Vec<String>>) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed
            .iter()
            .filter(|s| !is_about_a_customer(s))
            .cloned()
            .collect());
    };
    if let Some(scope) = requested.iter().find(|s| is_about_a_customer(s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{scope}` needs an end-user; client_credentials has none (RFC 6749 §4.4)"),
        ));
    }
    if let Some(scope) = requested.iter().find(|s| !allowed.contains(s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{scope}` is not allowed for this client"),
        ));
    }
    Ok(requested)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        [
            "openid",
            "profile",
            "email",
            "accounts",
            "phone",
            "address",
            "offline_access",
        ]
        .map(String::from)
        .to_vec()
    }

    /// RFC 6749 §3.3, OIDC Core §5.4: the default drops every user-claim scope.
    #[test]
    fn default_scopes_drop_the_user_claim_ones_rfc6749_s3_3() {
        assert_eq!(granted_scopes(&allowed(), None).unwrap(), vec!["accounts"]);
        let only_user_scopes = ["openid", "profile", "email", "offline_access"].map(String::from);
        assert!(granted_scopes(&only_user_scopes, None).unwrap().is_empty());
    }

    #[test]
    fn user_claim_and_unknown_scopes_are_invalid_scope_rfc6749_s4_4_2() {
        for bad in [
            "openid",
            "profile",
            "email",
            "phone",
            "address",
            "offline_access",
            "payments",
        ] {
            let e = granted_scopes(&allowed(), Some(vec![bad.into()])).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidScope);
        }
        assert_eq!(
            granted_scopes(&allowed(), Some(vec!["accounts".into()])).unwrap(),
            vec!["accounts"]
        );
    }
}
