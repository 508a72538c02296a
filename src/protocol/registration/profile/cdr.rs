//! The `cdr` profile: the Australian Consumer Data Right, software
//! statements as the CDR Register issues them (CDR Register "Get Software
//! Statement Assertion"; Consumer Data Standards, Dynamic Client
//! Registration).
//!
//! Claims: `legal_entity_id`, `org_id` (the brand) and `software_id` (the
//! software product) are required; `legal_entity_name`, `org_name`
//! optional; `client_name` (required: the product's name, shown to the
//! customer); `redirect_uris` (required, non-empty: the request's must be
//! among them); `jwks_uri` (required, https: the product's keys, which
//! sign the registration request and its client assertions and hold the
//! key its ID tokens are encrypted to); `revocation_uri` and
//! `recipient_base_uri` (required, https: where the holder tells the
//! recipient an arrangement ended, and its base URI; kept and answered by
//! `descriptive`); `scope` (required: the most a registration may hold);
//! `software_roles` (required: `data-recipient-software-product`, as a
//! string or in an array). The Register publishes statuses through its
//! own API, not in the statement: a `software_status` / `org_status`
//! present is still checked.
//!
//! Rules beside the claims:
//! - the registration request is a JWT signed by a key of the statement's
//!   `jwks_uri`, with `iss` = `software_id` and `aud` = our issuer
//!   ([`super::RegistrationProfile::requires_signed_request`]; CDS DCR
//!   "Registration Request using JWT");
//! - a request `jwks_uri`, when sent, must be the statement's
//!   ([`super::rules::jwks_uri_is_the_statements`]); keys by value are
//!   refused;
//! - one registration per software product at a directory (CDS DCR: a
//!   product registers once with a holder and then manages it through
//!   RFC 7592);
//! - `id_token_encrypted_response_alg` / `_enc` are required: the holder
//!   encrypts ID tokens to the product (`RSA-OAEP` / `RSA-OAEP-256` with
//!   `A256GCM`, `protocol::registration::id_token_encryption`);
//! - default certificate binding `none`: the transport certificate chains
//!   to `tls.client_ca` (the Register's CA) and is registered for
//!   `tls_client_auth`; the Register's certificates do not name the
//!   product in a way this binding could compare.

use super::super::statement::{
    SoftwareKeys, SoftwareStatement, SsaError, StatementCommon, optional, required, string_array,
};
use super::rules::statuses_when_present;
use serde_json::{Map, Value};

/// The CDR Register's role of a data recipient's software product.
pub const SOFTWARE_PRODUCT_ROLE: &str = "data-recipient-software-product";

/// Reads a CDR Register statement.
pub fn read(c: &Map<String, Value>, common: StatementCommon) -> Result<SoftwareStatement, SsaError> {
    statuses_when_present(c)?;
    required(c, "legal_entity_id")?;
    optional(c, "legal_entity_name")?;
    for uri in ["revocation_uri", "recipient_base_uri"] {
        if !required(c, uri)?.starts_with("https://") {
            return Err(SsaError::Claim(uri));
        }
    }
    let jwks_uri = required(c, "jwks_uri")?;
    if !jwks_uri.starts_with("https://") {
        return Err(SsaError::Claim("jwks_uri"));
    }
    let roles = match c.get("software_roles") {
        Some(Value::String(role)) => vec![role.clone()],
        _ => string_array(c, "software_roles")?,
    };
    if !roles.iter().any(|r| r == SOFTWARE_PRODUCT_ROLE) {
        return Err(SsaError::Claim("software_roles"));
    }
    let scopes: Vec<String> = required(c, "scope")?
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok(SoftwareStatement {
        software_id: required(c, "software_id")?,
        org_id: required(c, "org_id")?,
        org_name: optional(c, "org_name")?,
        client_name: Some(required(c, "client_name")?),
        redirect_uris: Some(string_array(c, "redirect_uris")?),
        roles,
        scopes: Some(scopes),
        keys: Some(SoftwareKeys::Uri(jwks_uri)),
        metadata: Map::new(),
        common,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn common() -> StatementCommon {
        StatementCommon {
            issuer: "cdr-register".into(),
            issued_at: 1,
            expires_at: Some(2),
            jti: "j".into(),
        }
    }

    /// A statement with the Register's claims (CDR Register SSA).
    fn claims() -> Value {
        json!({
            "legal_entity_id": "le-1", "legal_entity_name": "Recipient Pty Ltd",
            "org_id": "brand-1", "org_name": "Recipient",
            "client_name": "Budget Helper", "software_id": "product-1",
            "redirect_uris": ["https://recipient.example/cb"],
            "jwks_uri": "https://recipient.example/jwks",
            "revocation_uri": "https://recipient.example/revoke",
            "recipient_base_uri": "https://recipient.example",
            "software_roles": "data-recipient-software-product",
            "scope": "openid profile bank:accounts.basic:read",
        })
    }

    fn read_with(overrides: Value) -> Result<SoftwareStatement, SsaError> {
        let mut c = claims();
        for (k, v) in overrides.as_object().unwrap() {
            match v {
                Value::Null => c.as_object_mut().unwrap().remove(k),
                _ => c.as_object_mut().unwrap().insert(k.clone(), v.clone()),
            };
        }
        read(c.as_object().unwrap(), common())
    }

    /// The Register's claims read into the statement: keys at `jwks_uri`,
    /// scopes from `scope`, the role as a string or an array.
    #[test]
    fn a_register_statement_reads() {
        let ssa = read_with(json!({})).unwrap();
        assert_eq!(ssa.software_id, "product-1");
        assert_eq!(ssa.org_id, "brand-1");
        assert_eq!(ssa.client_name.as_deref(), Some("Budget Helper"));
        assert_eq!(
            ssa.keys,
            Some(SoftwareKeys::Uri("https://recipient.example/jwks".into()))
        );
        assert_eq!(
            ssa.scopes.as_deref(),
            Some(
                &[
                    "openid".to_string(),
                    "profile".into(),
                    "bank:accounts.basic:read".into()
                ][..]
            )
        );
        let array = read_with(json!({"software_roles": [SOFTWARE_PRODUCT_ROLE]})).unwrap();
        assert_eq!(array.roles, vec![SOFTWARE_PRODUCT_ROLE.to_string()]);
    }

    /// Each required claim, the https rule and the role.
    #[test]
    fn missing_or_wrong_claims_are_refused() {
        for (overrides, claim) in [
            (json!({"legal_entity_id": null}), "legal_entity_id"),
            (json!({"org_id": null}), "org_id"),
            (json!({"software_id": null}), "software_id"),
            (json!({"client_name": null}), "client_name"),
            (json!({"redirect_uris": null}), "redirect_uris"),
            (json!({"redirect_uris": []}), "redirect_uris"),
            (json!({"jwks_uri": null}), "jwks_uri"),
            (json!({"jwks_uri": "http://recipient.example/jwks"}), "jwks_uri"),
            (json!({"revocation_uri": null}), "revocation_uri"),
            (json!({"recipient_base_uri": "ftp://x"}), "recipient_base_uri"),
            (json!({"scope": null}), "scope"),
            (json!({"software_roles": "data-holder"}), "software_roles"),
            (json!({"software_roles": null}), "software_roles"),
        ] {
            assert_eq!(
                read_with(overrides.clone()).unwrap_err(),
                SsaError::Claim(claim),
                "{overrides}"
            );
        }
        assert_eq!(
            read_with(json!({"software_status": "INACTIVE"})).unwrap_err(),
            SsaError::NotActive("software_status")
        );
    }
}
