//! Token introspection (RFC 7662 §2.2) and its signed form (RFC 9701 §5).
//!
//! Policy: a client may introspect only the tokens issued to itself; any
//! other token is `{"active": false}` (RFC 7662 §2.2: the server may decide
//! what a caller can learn, and §4: don't let a caller probe for tokens).
//! A resource server (`[[resource_servers]]`, the API gateway) sees every
//! client's tokens: checking them is its job (RFC 7662 §1).

use crate::consent::{Consent, ConsentKind, obie};
use crate::model::records::AccessToken;
use crate::oauth::op::OpState;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::rar;
use serde_json::{Map, Value, json};

/// The media type of a JWT introspection response (RFC 9701 §4, §5).
pub const JWT_MEDIA_TYPE: &str = "application/token-introspection+jwt";

/// The JWS `typ` of a JWT introspection response (RFC 9701 §5).
pub const JWT_TYP: &str = "token-introspection+jwt";

/// RFC 7662 §2.2: the answer for an unknown, expired, revoked or foreign token.
pub fn inactive() -> Value {
    json!({ "active": false })
}

/// Who is asking about a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Introspector<'a> {
    /// An authenticated client: its own tokens only.
    Client(&'a str),
    /// An authenticated resource server: any client's tokens.
    ResourceServer(&'a str),
}

impl Introspector<'_> {
    /// The caller's id (`aud` of a JWT response, RFC 9701 §5).
    pub fn id(&self) -> &str {
        match self {
            Introspector::Client(id) | Introspector::ResourceServer(id) => id,
        }
    }

    /// Whether it may learn about a token issued to `client_id`.
    pub fn may_see(&self, client_id: &str) -> bool {
        match self {
            Introspector::Client(id) => *id == client_id,
            Introspector::ResourceServer(_) => true,
        }
    }
}

/// RFC 7662 §2.2: what `caller` may learn about `token`, an access token
/// found in the store. Only access tokens are ever active here: a refresh
/// token (RFC 6749 §1.5) is for the token endpoint alone, and a caller that
/// cannot tell the two apart (a resource server relaying a presented
/// token) would otherwise accept one as an access token; the endpoint never
/// looks refresh tokens up. `token_type` is always set (RFC 7662 §2.2: the
/// access token type, RFC 6749 §7.1; RFC 9449 §6.2 `DPoP`, RFC 8705 §3.2
/// `Bearer`).
pub fn response(token: Option<&AccessToken>, caller: Introspector<'_>, issuer: &str) -> Value {
    let t = match token {
        Some(t) if caller.may_see(&t.client_id) => t,
        _ => return inactive(),
    };
    let mut claims = json!({
        "active": true,
        "client_id": t.client_id,
        "scope": t.scopes.join(" "),
        "exp": t.expires_at,
        "iat": t.issued_at,
        "token_type": t.binding.token_type(),
        // RFC 7800 §3.1: `jkt` (RFC 9449 §6.2) or `x5t#S256` (RFC 8705 §3.2).
        "cnf": t.binding.cnf(),
        "iss": issuer,
    });
    if let Some(map) = claims.as_object_mut() {
        if let Some(sub) = &t.account_id {
            map.insert("sub".into(), Value::String(sub.clone()));
            // Grant Management §5.5: the customer's grant the token was
            // issued under, as in the token response (a client_credentials
            // token is its own grant and has none to manage).
            map.insert("grant_id".into(), Value::String(t.grant_id.clone()));
        }
        // RFC 9396 §9.2: the authorization details the token carries.
        if let Some(details) = rar::stored_value(t.authorization_details.as_deref()) {
            map.insert("authorization_details".into(), details);
        }
    }
    claims
}

/// What only a resource server (the API gateway) learns of an active
/// token, as RFC 7662 §2.2 extension members: `grant_id`, the grant the
/// token was issued under (the consent of a RAR payment, RFC 9396 §2), and
/// `openbanking_consent`, the UK OBIE consent it was authorised under
/// (`ConsentId`, `Status`, and for a domestic payment the consented
/// `Initiation` and `Risk`, which a payment submission must repeat: OBIE
/// Payment Initiation API v3.1, "Domestic Payments"; for an account access
/// consent its `Permissions` and dates, which bound what may be read).
pub fn resource_server_members(claims: &mut Map<String, Value>, grant_id: &str, consent: Option<&Consent>) {
    claims.insert("grant_id".into(), Value::String(grant_id.to_string()));
    if let Some(consent) = consent {
        claims.insert(OPENBANKING_CONSENT.into(), consent_description(consent, true));
    }
}

/// The `openbanking_consent` member: `ConsentId`, with `with_status` its
/// live `Status`, and what was consented, which never changes after
/// approval (a domestic payment's `Initiation` and `Risk`; an account
/// access consent's `Permissions` and dates). JWT access tokens carry it
/// without the status, which would be stale (`oauth/jwt_access_token.rs`).
pub fn consent_description(consent: &Consent, with_status: bool) -> Value {
    let mut described = Map::new();
    described.insert("ConsentId".into(), json!(consent.consent_id));
    if with_status {
        described.insert("Status".into(), json!(consent.status.as_str()));
    }
    match &consent.kind {
        ConsentKind::DomesticPayment(payment) => {
            described.insert("Initiation".into(), obie::domestic_payment_json(payment));
            let risk = serde_json::from_str(&consent.risk).unwrap_or_else(|_| json!({}));
            described.insert("Risk".into(), risk);
        }
        ConsentKind::AccountAccess(access) => obie::account_access_json(access, &mut described),
    }
    Value::Object(described)
}

/// The introspection member naming a token's UK OBIE consent (resource
/// servers only).
pub const OPENBANKING_CONSENT: &str = "openbanking_consent";

/// RFC 9701 §5: the introspection response as a JWS signed by the OP's
/// key (through the HSM pool): `iss`, `aud` (the caller), `iat`,
/// `token_introspection`, with `typ: token-introspection+jwt`.
pub async fn signed_response(
    op: &OpState,
    caller: Introspector<'_>,
    introspection: Value,
    now: u64,
) -> Result<String, OAuthError> {
    let keys = op.key_set();
    let signer = keys
        .signer
        .as_ref()
        .ok_or_else(|| OAuthError::new(ErrorCode::TemporarilyUnavailable, "no active signing key"))?;
    let claims = json!({
        "iss": op.config.issuer(),
        "aud": caller.id(),
        "iat": now,
        "token_introspection": introspection,
    });
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(JWT_TYP.into()));
    let payload =
        serde_json::to_vec(&claims).map_err(|e| OAuthError::new(ErrorCode::ServerError, e.to_string()))?;
    Ok(fiducia_hsm::sign_jws(signer.as_ref(), header, &payload).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Binding;

    fn token() -> AccessToken {
        AccessToken {
            client_id: "fintech".into(),
            account_id: Some("alice".into()),
            scopes: vec!["openid".into()],
            grant_id: "g".into(),
            binding: Binding::Dpop("jkt".into()),
            issued_at: 1,
            expires_at: 2,
            authorization_details: Some(r#"[{"type":"payment_initiation"}]"#.into()),
            claims: None,
        }
    }

    #[test]
    fn a_client_sees_only_its_own_tokens_rfc7662_s2_2() {
        let t = token();
        assert_eq!(
            response(Some(&t), Introspector::Client("other"), "iss"),
            inactive()
        );
        let own = response(Some(&t), Introspector::Client("fintech"), "iss");
        assert_eq!(own["active"], true);
        assert_eq!(own["cnf"]["jkt"], "jkt");
        // RFC 7662 §2.2 / RFC 9449 §6.2: an active answer names its type.
        assert_eq!(own["token_type"], "DPoP");
    }

    /// RFC 7662 §2.2 extension members for resource servers: the grant, and
    /// the OBIE consent with the Initiation a payment must repeat.
    #[test]
    fn resource_servers_learn_the_grant_and_the_consent() {
        let mut consent =
            crate::consent::tests::consent("fintech", &crate::consent::tests::payment_request());
        consent.status = crate::consent::state::ConsentStatus::Authorised;
        let mut claims = Map::new();
        resource_server_members(&mut claims, "g", Some(&consent));
        assert_eq!(claims["grant_id"], "g");
        let described = &claims[OPENBANKING_CONSENT];
        assert_eq!(described["ConsentId"], consent.consent_id.as_str());
        assert_eq!(described["Status"], "Authorised");
        assert_eq!(described["Initiation"]["InstructedAmount"]["Amount"], "165.88");
        assert_eq!(described["Risk"]["PaymentContextCode"], "EcommerceGoods");
        let mut plain = Map::new();
        resource_server_members(&mut plain, "g", None);
        assert!(!plain.contains_key(OPENBANKING_CONSENT));
    }

    #[test]
    fn a_resource_server_sees_every_clients_tokens_with_details_rfc9396_s9_2() {
        let t = token();
        let seen = response(Some(&t), Introspector::ResourceServer("gw"), "iss");
        assert_eq!(seen["active"], true);
        assert_eq!(seen["client_id"], "fintech");
        assert_eq!(seen["authorization_details"][0]["type"], "payment_initiation");
        assert_eq!(
            response(None, Introspector::ResourceServer("gw"), "iss"),
            inactive()
        );
        assert_eq!(Introspector::ResourceServer("gw").id(), "gw");
    }
}
