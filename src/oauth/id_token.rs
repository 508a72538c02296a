//! ID tokens (OIDC Core §2), signed in the HSM through the signer pool:
//! the token endpoint's (OIDC Core §3.1.3.6) and the hybrid flow's front
//! channel one (OIDC Core §3.3.2.11), which FAPI 1.0 Part 2 §5.2.2-3 uses
//! as a detached signature over the code (`c_hash`) and the state
//! (`s_hash`, FAPI 1.0 Part 2 §5.1).
//!
//! A client with `id_token_encrypted_response_alg` gets the token
//! endpoint's ID token signed, then encrypted to its RSA `enc` key
//! ([`encrypt_for`], OIDC Core §10.2, `protocol::jose::jwe`).

use crate::model::Client;
use crate::oauth::op::OpState;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::id_token_hash::left_half_hash;
use crate::protocol::jose::jwe;
use serde_json::{Map, Value, json};

/// `acr` of the built-in password login (OIDC Core §2; `protocol::acr`).
pub const ACR_PASSWORD: &str = crate::protocol::acr::CA;

/// `acr` of strong customer authentication (password and TOTP;
/// `protocol::acr`).
pub const ACR_SCA: &str = crate::protocol::acr::SCA;

/// Who the ID token is about and for.
pub struct IdTokenFacts<'a> {
    /// `aud`.
    pub client_id: &'a str,
    /// `sub`: the customer's account id.
    pub account_id: &'a str,
    /// `auth_time`.
    pub auth_time: u64,
    /// `nonce`, from the authorization request.
    pub nonce: Option<&'a str>,
    /// UK OBIE `openbanking_intent_id`: the consent the customer authorised.
    pub consent_id: Option<&'a str>,
    /// How the customer authenticated, as the login reported it (the
    /// built-in login, the bank's interaction app, the CIBA device): `acr`
    /// and `amr` (OIDC Core §2); `None`: the password login's
    /// [`ACR_PASSWORD`].
    pub authentication: Option<&'a crate::protocol::ciba::DeviceAuthentication>,
    /// CIBA Core §10.3.1: the `auth_req_id` pushed tokens answer.
    pub auth_req_id: Option<&'a str>,
    /// End-user claims the grant's `claims` request releases into the ID
    /// token (OIDC Core §5.5 `id_token`, Identity Assurance
    /// `verified_claims`: `oauth::released_claims`). Written first, so no
    /// claim of the OP's own can be taken from them.
    pub released: Option<&'a Map<String, Value>>,
}

/// Signs the ID token of `facts` at `now`; each `(claim, value)` of
/// `hashed` adds `claim` = the left-half hash of `value` for the signing
/// key's algorithm (`c_hash`, `s_hash`).
pub async fn sign(
    op: &OpState,
    facts: &IdTokenFacts<'_>,
    hashed: &[(&str, &str)],
    now: u64,
) -> Result<String, OAuthError> {
    let keys = op.key_set();
    let signer = keys
        .signer
        .as_ref()
        .ok_or_else(|| OAuthError::new(ErrorCode::TemporarilyUnavailable, "no active signing key"))?;
    let mut claims = facts.released.cloned().unwrap_or_default();
    for (name, value) in [
        ("iss", json!(op.config.issuer())),
        ("sub", json!(facts.account_id)),
        ("aud", json!(facts.client_id)),
        ("exp", json!(now + op.tokens().id_token_ttl_secs)),
        ("iat", json!(now)),
        ("auth_time", json!(facts.auth_time)),
    ] {
        claims.insert(name.into(), value);
    }
    let acr = facts
        .authentication
        .map_or(Some(ACR_PASSWORD), |d| d.acr.as_deref());
    if let Some(acr) = acr {
        claims.insert("acr".into(), json!(acr));
    }
    if let Some(done) = facts.authentication.filter(|d| !d.amr.is_empty()) {
        claims.insert("amr".into(), json!(done.amr));
    }
    if let Some(id) = facts.auth_req_id {
        claims.insert(
            crate::protocol::ciba::notification::AUTH_REQ_ID_CLAIM.into(),
            Value::String(id.into()),
        );
    }
    if let Some(nonce) = facts.nonce {
        claims.insert("nonce".into(), Value::String(nonce.into()));
    }
    if let Some(consent_id) = facts.consent_id {
        claims.insert(
            crate::consent::intent::CLAIM.into(),
            Value::String(consent_id.into()),
        );
    }
    for (claim, value) in hashed {
        claims.insert(
            (*claim).into(),
            Value::String(left_half_hash(signer.alg(), value)),
        );
    }
    let mut header = Map::new();
    header.insert("typ".into(), Value::String("JWT".into()));
    let payload =
        serde_json::to_vec(&claims).map_err(|e| OAuthError::new(ErrorCode::ServerError, e.to_string()))?;
    Ok(fiducia_hsm::sign_jws(signer.as_ref(), header, &payload).await?)
}

/// OIDC Core §10.2: the signed ID token `jws`, encrypted to `client`'s key
/// when it registered `id_token_encrypted_response_alg` (the first RSA key
/// of its JWKS with `use: enc` or none, and that `alg` or none); as is
/// otherwise. A client whose JWKS has no such key gets no ID token:
/// `invalid_client` (its metadata cannot be honoured), never a token in
/// the clear.
pub fn encrypt_for(client: &Client, jws: String) -> Result<String, OAuthError> {
    let Some(encryption) = client.id_token_encryption else {
        return Ok(jws);
    };
    let key = jwe::select_key(&client.jwks.encryption, encryption.alg).ok_or_else(|| {
        tracing::warn!(client_id = %client.client_id, alg = %encryption.alg, "no key to encrypt the ID token to");
        OAuthError::new(
            ErrorCode::InvalidClient,
            "the client's JWKS has no RSA encryption key for its id_token_encrypted_response_alg",
        )
    })?;
    jwe::encrypt_jws(&jws, key, encryption)
        .map_err(|e| OAuthError::new(ErrorCode::ServerError, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StaticClientConfig;
    use crate::protocol::jose::jwe::testing::{decrypt, rsa_key};
    use aws_lc_rs::rsa::KeySize;

    /// A `[[clients]]` entry with `keys` as its JWKS file and `extra` TOML.
    fn client(dir: &std::path::Path, keys: Value, extra: &str) -> Client {
        let path = dir.join("jwks.json");
        std::fs::write(&path, json!({ "keys": keys }).to_string()).unwrap();
        let config: StaticClientConfig = toml::from_str(&format!(
            "client_id = \"c1\"\nclient_name = \"C\"\nredirect_uris = [\"https://c.example/cb\"]\ntoken_endpoint_auth_method = \"private_key_jwt\"\njwks_file = \"{}\"\n{extra}",
            path.display()
        ))
        .unwrap();
        Client::from_static(&config).unwrap()
    }

    const JWS: &str = "e30.e30.c2ln";

    #[test]
    fn encrypted_only_when_the_client_asked_oidc_core_s10_2() {
        let dir = tempfile::tempdir().unwrap();
        let (private, mut jwk) = rsa_key(KeySize::Rsa2048);
        jwk["use"] = "enc".into();
        let alg = "id_token_encrypted_response_alg = \"RSA-OAEP-256\"\n";
        // No metadata: the signed ID token as is.
        let plain = client(dir.path(), json!([jwk.clone()]), "");
        assert_eq!(encrypt_for(&plain, JWS.into()).unwrap(), JWS);
        // With it: a JWE the client's key opens.
        let encrypting = client(dir.path(), json!([jwk.clone()]), alg);
        let jwe = encrypt_for(&encrypting, JWS.into()).unwrap();
        let (header, inner) = decrypt(&jwe, &private).unwrap();
        assert_eq!(
            (header["alg"].as_str(), inner.as_slice()),
            (Some("RSA-OAEP-256"), JWS.as_bytes())
        );
        // With it but no usable key (only a `use: sig` RSA key): refused,
        // never sent in the clear.
        jwk["use"] = "sig".into();
        let keyless = client(dir.path(), json!([jwk]), alg);
        let err = encrypt_for(&keyless, JWS.into()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
    }
}
