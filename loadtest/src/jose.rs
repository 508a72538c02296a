//! What a client signs: private_key_jwt assertions (RFC 7523 §3) and DPoP
//! proofs (RFC 9449 §4.2), with any of FAPI 2.0 §5.4.1's algorithms (ES256,
//! RFC 7518 §3.4; PS256, §3.5; EdDSA with Ed25519, RFC 8037 §3.1) through
//! aws-lc-rs; PKCE (RFC 7636).

use anyhow::{Context, anyhow, bail};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PSS_SHA256,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use std::path::Path;

/// RFC 7523 §2.2 `client_assertion_type`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A JWS algorithm FAPI 2.0 §5.4.1 allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Alg {
    /// ECDSA P-256 with SHA-256 (RFC 7518 §3.4).
    #[value(name = "ES256")]
    Es256,
    /// Ed25519 (RFC 8037 §3.1).
    #[value(name = "EdDSA")]
    EdDsa,
    /// RSASSA-PSS with SHA-256, RSA 2048 (RFC 7518 §3.5).
    #[value(name = "PS256")]
    Ps256,
}

impl Alg {
    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Ps256 => "PS256",
        }
    }

    /// The JWK `kty` of its keys (RFC 7518 §6.1, RFC 8037 §2).
    pub fn kty(self) -> &'static str {
        match self {
            Self::Es256 => "EC",
            Self::EdDsa => "OKP",
            Self::Ps256 => "RSA",
        }
    }
}

enum Pair {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Ps256(RsaKeyPair),
}

/// A private key that signs JWTs with its algorithm.
pub struct SigningKey {
    pair: Pair,
    rng: SystemRandom,
    kid: Option<String>,
}

impl SigningKey {
    /// A fresh key (a DPoP key: RFC 9449 §4.2 puts its public half in the proof).
    pub fn generate(alg: Alg) -> anyhow::Result<Self> {
        let failed = |_| anyhow!("cannot generate a {} key", alg.as_str());
        let pair = match alg {
            Alg::Es256 => {
                Pair::Es256(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(failed)?)
            }
            Alg::EdDsa => Pair::EdDsa(Ed25519KeyPair::generate().map_err(failed)?),
            Alg::Ps256 => Pair::Ps256(RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?),
        };
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
            kid: None,
        })
    }

    /// A PKCS#8 PEM key file of `alg`; `kid` goes into the JWS header when given.
    pub fn from_pem_file(path: &Path, alg: Alg, kid: Option<String>) -> anyhow::Result<Self> {
        let der = PrivatePkcs8KeyDer::from_pem_file(path)
            .with_context(|| format!("cannot read PKCS#8 key {}", path.display()))?;
        let pkcs8 = der.secret_pkcs8_der();
        let not_alg =
            |e: &dyn std::fmt::Display| anyhow!("{} is not a key for {}: {e}", path.display(), alg.as_str());
        let pair = match alg {
            Alg::Es256 => Pair::Es256(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8).map_err(|e| not_alg(&e))?,
            ),
            Alg::EdDsa => Pair::EdDsa(Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| not_alg(&e))?),
            Alg::Ps256 => {
                let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| not_alg(&e))?;
                if pair.public_modulus_len() < 256 {
                    bail!(
                        "{}: FAPI 2.0 §5.4.1 wants RSA keys of 2048 bits or more",
                        path.display()
                    );
                }
                Pair::Ps256(pair)
            }
        };
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
            kid,
        })
    }

    /// Its algorithm.
    pub fn alg(&self) -> Alg {
        match self.pair {
            Pair::Es256(_) => Alg::Es256,
            Pair::EdDsa(_) => Alg::EdDsa,
            Pair::Ps256(_) => Alg::Ps256,
        }
    }

    /// The public key as a JWK (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2).
    pub fn public_jwk(&self) -> Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        match &self.pair {
            Pair::Es256(pair) => {
                let point = pair.public_key().as_ref();
                let (x, y) = point.get(1..33).zip(point.get(33..65)).unwrap_or((&[], &[]));
                json!({ "kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y) })
            }
            Pair::EdDsa(pair) => {
                json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref()) })
            }
            Pair::Ps256(pair) => {
                let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                json!({ "kty": "RSA", "n": b64(&public.n), "e": b64(&public.e) })
            }
        }
    }

    /// A compact JWS (RFC 7515 §7.1) of `claims` with `header` plus `alg` (and `kid`).
    pub fn sign(&self, mut header: Value, claims: &Value) -> anyhow::Result<String> {
        header["alg"] = json!(self.alg().as_str());
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let failed = |_| anyhow!("{} signing failed", self.alg().as_str());
        let signature = match &self.pair {
            Pair::Es256(pair) => pair
                .sign(&self.rng, input.as_bytes())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Pair::EdDsa(pair) => pair.sign(input.as_bytes()).as_ref().to_vec(),
            Pair::Ps256(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PSS_SHA256, &self.rng, input.as_bytes(), &mut signature)
                    .map_err(failed)?;
                signature
            }
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
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
pub fn client_assertion(key: &SigningKey, client_id: &str, audience: &str) -> anyhow::Result<String> {
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
    key: &SigningKey,
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
        let key = SigningKey::generate(Alg::Es256).unwrap();
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

    /// RFC 8037 §3.1 (EdDSA) and RFC 7518 §3.5 (PS256): the proof's `alg`
    /// is the key's and verifies with the JWK in its header.
    #[test]
    fn eddsa_and_ps256_proofs_verify_with_their_jwk() {
        use aws_lc_rs::signature::{ED25519, RSA_PSS_2048_8192_SHA256, RsaPublicKeyComponents};
        for alg in [Alg::EdDsa, Alg::Ps256] {
            let key = SigningKey::generate(alg).unwrap();
            let proof = dpop_proof(&key, "POST", "https://op/token", None, None).unwrap();
            let parts: Vec<&str> = proof.split('.').collect();
            let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
            assert_eq!(header["alg"], alg.as_str());
            assert_eq!(header["jwk"]["kty"], alg.kty());
            let field = |name: &str| {
                URL_SAFE_NO_PAD
                    .decode(header["jwk"][name].as_str().unwrap())
                    .unwrap()
            };
            let input = format!("{}.{}", parts[0], parts[1]);
            let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            match alg {
                Alg::EdDsa => UnparsedPublicKey::new(&ED25519, field("x"))
                    .verify(input.as_bytes(), &signature)
                    .unwrap(),
                _ => RsaPublicKeyComponents {
                    n: field("n"),
                    e: field("e"),
                }
                .verify(&RSA_PSS_2048_8192_SHA256, input.as_bytes(), &signature)
                .unwrap(),
            }
        }
    }

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier_rfc7636_s4_2() {
        let (verifier, challenge) = pkce();
        assert_eq!(verifier.len(), 43);
        assert_eq!(challenge.len(), 43);
        assert_ne!(verifier, challenge);
    }
}
