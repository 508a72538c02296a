//! What a client signs: private_key_jwt assertions (RFC 7523 §3) and DPoP
//! proofs (RFC 9449 §4.2), ES256 (RFC 7518 §3.4) with aws-lc-rs; PKCE (RFC 7636).

use anyhow::{Context, anyhow};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use std::path::Path;

/// RFC 7523 §2.2 `client_assertion_type`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A P-256 key that signs ES256 JWTs.
pub struct EcKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
    kid: Option<String>,
}

impl EcKey {
    /// A fresh key (a DPoP key: RFC 9449 §4.2 puts its public half in the proof).
    pub fn generate() -> anyhow::Result<Self> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| anyhow!("cannot generate a P-256 key"))?;
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
            kid: None,
        })
    }

    /// A PKCS#8 PEM key file; `kid` goes into the JWS header when given.
    pub fn from_pem_file(path: &Path, kid: Option<String>) -> anyhow::Result<Self> {
        let der = PrivatePkcs8KeyDer::from_pem_file(path)
            .with_context(|| format!("cannot read PKCS#8 key {}", path.display()))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der.secret_pkcs8_der())
            .map_err(|e| anyhow!("{} is not a P-256 key: {e}", path.display()))?;
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
            kid,
        })
    }

    /// The public key as a JWK (RFC 7518 §6.2.1).
    pub fn public_jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        let (x, y) = point.get(1..33).zip(point.get(33..65)).unwrap_or((&[], &[]));
        json!({ "kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y) })
    }

    /// A compact JWS (RFC 7515 §7.1) of `claims` with `header` plus `alg` (and `kid`).
    pub fn sign(&self, mut header: Value, claims: &Value) -> anyhow::Result<String> {
        header["alg"] = json!("ES256");
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .pair
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| anyhow!("ES256 signing failed"))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `n` random bytes, base64url.
pub fn random(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // A failing system RNG leaves zeros: jti reuse, which the OP reports.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A client assertion (RFC 7523 §3; FAPI 2.0 §5.3.2.1: `aud` is the issuer).
pub fn client_assertion(key: &EcKey, client_id: &str, audience: &str) -> anyhow::Result<String> {
    let now = now();
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": audience,
        "iat": now, "exp": now + 60, "jti": random(16),
    });
    key.sign(json!({ "typ": "JWT" }), &claims)
}

/// A DPoP proof (RFC 9449 §4.2) for `htm htu`, with `ath` for an access
/// token (§4.2, §7) and the server's `nonce` (§8) when given.
pub fn dpop_proof(
    key: &EcKey,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> anyhow::Result<String> {
    let mut claims = json!({ "jti": random(16), "htm": htm, "htu": htu, "iat": now() });
    if let Some(token) = access_token {
        let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        claims["ath"] = json!(URL_SAFE_NO_PAD.encode(hash));
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    key.sign(json!({ "typ": "dpop+jwt", "jwk": key.public_jwk() }), &claims)
}

/// PKCE (RFC 7636 §4.1, §4.2): a verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = random(32);
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    (verifier, challenge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    #[test]
    fn dpop_proofs_verify_with_the_embedded_jwk_rfc9449_s4_2() {
        let key = EcKey::generate().unwrap();
        let proof = dpop_proof(&key, "POST", "https://op/token", Some("at"), Some("n")).unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            (header["typ"].as_str(), header["alg"].as_str()),
            (Some("dpop+jwt"), Some("ES256"))
        );
        assert_eq!(claims["htu"], "https://op/token");
        assert_eq!(claims["nonce"], "n");
        assert_eq!(claims["ath"].as_str().unwrap().len(), 43);
        let jwk = &header["jwk"];
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(input.as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier_rfc7636_s4_2() {
        let (verifier, challenge) = pkce();
        assert_eq!(verifier.len(), 43);
        assert_eq!(challenge.len(), 43);
        assert_ne!(verifier, challenge);
    }
}
