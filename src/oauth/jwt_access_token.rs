//! JWT access tokens (RFC 9068) for clients configured with
//! `access_token_format = "jwt"`: a JWS signed by the OP's active key
//! through the same signer (HSM pool) as ID tokens, so a gateway can
//! validate it offline against `/jwks`. The record is still stored under
//! the token (by its SHA-256, like every token), so revocation,
//! introspection and userinfo treat it as they treat opaque tokens.

use crate::http::endpoints::OpState;
use crate::model::records::AccessToken;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::rar;
use crate::store::repo::FreshId;
use serde_json::{Map, Value, json};

/// RFC 9068 §2.1: the JOSE `typ` of a JWT access token.
pub const TYP: &str = "at+jwt";

/// The claims of `record` (times already set) as RFC 9068 §2.2 lists
/// them: `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`, plus
/// `scope` (§2.2.3), `cnf` (RFC 9449 §6.1 / RFC 8705 §3.1) and
/// `authorization_details` (RFC 9396 §9.1).
pub fn claims(record: &AccessToken, issuer: &str, audience: &str, jti: &str) -> Value {
    let mut claims = json!({
        "iss": issuer,
        "exp": record.expires_at,
        "aud": audience,
        // RFC 9068 §2.2: without a resource owner (client_credentials) the
        // subject is the client.
        "sub": record.account_id.as_deref().unwrap_or(&record.client_id),
        "client_id": record.client_id,
        "iat": record.issued_at,
        "jti": jti,
        "scope": record.scopes.join(" "),
        "cnf": record.binding.cnf(),
    });
    if let (Some(details), Some(map)) = (
        rar::stored_value(record.authorization_details.as_deref()),
        claims.as_object_mut(),
    ) {
        map.insert("authorization_details".into(), details);
    }
    claims
}

/// Signs the JWT access token for `record` with the OP's active key.
pub async fn sign(op: &OpState, record: &AccessToken) -> Result<String, OAuthError> {
    let keys = op.key_set();
    let signer = keys
        .signer
        .as_ref()
        .ok_or_else(|| OAuthError::new(ErrorCode::TemporarilyUnavailable, "no active signing key"))?;
    let jti = FreshId::generate()
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))?;
    let config = op.config.get();
    let audience = config
        .tokens
        .access_token_audience
        .as_deref()
        .unwrap_or(op.config.issuer());
    let claims = claims(record, op.config.issuer(), audience, jti.as_str());
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(TYP.into()));
    let payload =
        serde_json::to_vec(&claims).map_err(|e| OAuthError::new(ErrorCode::ServerError, e.to_string()))?;
    Ok(fiducia_hsm::sign_jws(signer.as_ref(), header, &payload).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Binding;

    fn record(account_id: Option<&str>, details: Option<&str>) -> AccessToken {
        AccessToken {
            client_id: "c".into(),
            account_id: account_id.map(String::from),
            scopes: vec!["openid".into(), "payments".into()],
            grant_id: "g".into(),
            binding: Binding::Mtls("x5t".into()),
            issued_at: 100,
            expires_at: 400,
            authorization_details: details.map(String::from),
        }
    }

    #[test]
    fn the_rfc9068_s2_2_claims_are_all_there() {
        let c = claims(
            &record(Some("alice"), Some(r#"[{"type":"payment_initiation"}]"#)),
            "https://op.example",
            "https://api.example",
            "jti-1",
        );
        assert_eq!(c["iss"], "https://op.example");
        assert_eq!(c["aud"], "https://api.example");
        assert_eq!(c["sub"], "alice");
        assert_eq!(c["client_id"], "c");
        assert_eq!((c["iat"].as_u64(), c["exp"].as_u64()), (Some(100), Some(400)));
        assert_eq!(c["jti"], "jti-1");
        assert_eq!(c["scope"], "openid payments");
        assert_eq!(c["cnf"]["x5t#S256"], "x5t");
        assert_eq!(c["authorization_details"][0]["type"], "payment_initiation");
    }

    #[test]
    fn without_a_resource_owner_the_subject_is_the_client_rfc9068_s2_2() {
        let c = claims(
            &record(None, None),
            "https://op.example",
            "https://op.example",
            "j",
        );
        assert_eq!(c["sub"], "c");
        assert!(c.get("authorization_details").is_none());
    }
}
