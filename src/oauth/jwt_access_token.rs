//! JWT access tokens (RFC 9068) for clients configured with
//! `access_token_format = "jwt"`: a JWS signed by the OP's active key
//! through the same signer (HSM pool) as ID tokens, so a gateway can
//! validate it offline against `/jwks`. The record is still stored under
//! the token (by its SHA-256, like every token), so revocation,
//! introspection and userinfo treat it as they treat opaque tokens.
//!
//! A token issued under a customer's grant names it (`grant_id`) and, when
//! the grant was made on a UK OBIE consent, carries what the customer
//! consented to (`openbanking_consent`, the members introspection gives
//! resource servers, without the live `Status`), so that a gateway
//! validating offline binds the token to its consent exactly as with
//! introspection (RFC 9068 §2.2: further claims as the resource server
//! needs; RFC 9396 §9.1 does the same for `authorization_details`). A
//! payment still asks the OP to reserve the consent before the bank is
//! called (`oauth/payment_consumption.rs`): the claims say which consent,
//! the OP's store says whether it is still unused.

use crate::consent::Consent;
use crate::model::records::AccessToken;
use crate::oauth::introspection::{OPENBANKING_CONSENT, consent_description};
use crate::oauth::op::OpState;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::rar;
use crate::store::repo::FreshId;
use serde_json::{Map, Value, json};

/// RFC 9068 §2.1: the JOSE `typ` of a JWT access token.
pub const TYP: &str = "at+jwt";

/// The claims of `record` (times already set) as RFC 9068 §2.2 lists
/// them: `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`, plus
/// `scope` (§2.2.3), `cnf` (RFC 9449 §6.1 / RFC 8705 §3.1),
/// `authorization_details` (RFC 9396 §9.1) and, under a customer's grant
/// (`grant` is `Some`), `grant_id` and the grant's UK OBIE consent.
pub fn claims(
    record: &AccessToken,
    issuer: &str,
    audience: &str,
    jti: &str,
    grant: Option<Option<&Consent>>,
) -> Value {
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
    let Some(map) = claims.as_object_mut() else {
        return claims;
    };
    if let Some(details) = rar::stored_value(record.authorization_details.as_deref()) {
        map.insert("authorization_details".into(), details);
    }
    if let Some(consent) = grant {
        map.insert("grant_id".into(), Value::String(record.grant_id.clone()));
        if let Some(consent) = consent {
            map.insert(OPENBANKING_CONSENT.into(), consent_description(consent, false));
        }
    }
    claims
}

/// Signs the JWT access token for `record` with the OP's active key;
/// `under_grant`: issued under a customer's grant (`record.grant_id`),
/// else the token is its own grant and names none (client_credentials).
pub async fn sign(op: &OpState, record: &AccessToken, under_grant: bool) -> Result<String, OAuthError> {
    let keys = op.key_set();
    let signer = keys
        .signer
        .as_ref()
        .ok_or_else(|| OAuthError::new(ErrorCode::TemporarilyUnavailable, "no active signing key"))?;
    let jti = FreshId::generate()
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))?;
    let config = op.config.get();
    let tokens = op.tokens();
    // RFC 9068 §2.2 / RFC 8707 §2: the client's own audience (e.g. the
    // Config API's, for an operator's client), else the OP's.
    let audience = config
        .clients
        .iter()
        .find(|c| c.client_id == record.client_id)
        .and_then(|c| c.access_token_audience.as_deref())
        .or(tokens.access_token_audience.as_deref())
        .unwrap_or(op.config.issuer());
    let consent = match under_grant {
        true => crate::consent::of_grant(&op.services.repo, &record.grant_id, record.issued_at)
            .await
            .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?,
        false => None,
    };
    let grant = under_grant.then_some(consent.as_ref());
    let claims = claims(record, op.config.issuer(), audience, jti.as_str(), grant);
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
            claims: None,
        }
    }

    #[test]
    fn the_rfc9068_s2_2_claims_are_all_there() {
        let c = claims(
            &record(Some("alice"), Some(r#"[{"type":"payment_initiation"}]"#)),
            "https://op.example",
            "https://api.example",
            "jti-1",
            Some(None),
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
        assert_eq!(c["grant_id"], "g");
        assert!(c.get(OPENBANKING_CONSENT).is_none());
    }

    /// A token of a UK OBIE consent names its grant and carries the
    /// consented Initiation and Risk, without the live Status (which only
    /// the OP's store knows).
    #[test]
    fn a_consents_token_carries_its_grant_and_what_was_consented() {
        let mut consent = crate::consent::tests::consent("c", &crate::consent::tests::payment_request());
        consent.status = crate::consent::state::ConsentStatus::Authorised;
        let c = claims(&record(Some("alice"), None), "i", "a", "j", Some(Some(&consent)));
        assert_eq!(c["grant_id"], "g");
        let described = &c[OPENBANKING_CONSENT];
        assert_eq!(described["ConsentId"], consent.consent_id.as_str());
        assert_eq!(described["Initiation"]["InstructedAmount"]["Amount"], "165.88");
        assert_eq!(described["Risk"]["PaymentContextCode"], "EcommerceGoods");
        assert!(described.get("Status").is_none());
    }

    #[test]
    fn without_a_resource_owner_the_subject_is_the_client_rfc9068_s2_2() {
        let c = claims(
            &record(None, None),
            "https://op.example",
            "https://op.example",
            "j",
            None,
        );
        assert_eq!(c["sub"], "c");
        assert!(c.get("authorization_details").is_none());
        // Its own grant (client_credentials) is not named: it is derived
        // from the signed token.
        assert!(c.get("grant_id").is_none());
    }
}
