//! A client's signature keys, from its registered `jwks` or `jwks_uri`
//! (RFC 7591 §2, RFC 7517 §5).
//!
//! Clients choose their own `kid`s (any string, RFC 7517 §4.5), so a client
//! key is not a [`PublicJwk`] (whose `kid` is always our RFC 7638
//! thumbprint): it is a validated [`PublicJwk`] plus the client's `kid` and
//! its `x5c`. Parsing keeps the keys we can verify with and skips the rest,
//! with a reason for each, because a JWKS may legitimately hold encryption
//! keys or algorithms we do not use:
//!
//! - `use: enc` or unknown `use`, `key_ops` without `verify` (RFC 7517 §4.2, §4.3);
//! - `kty`/`crv` other than RSA, P-256, Ed25519; a declared `alg` other than
//!   the one we use with that key type (PS256, ES256, EdDSA: FAPI 2.0 §5.4.1),
//!   so an RSA key marked RS256 is not used for PS256;
//! - invalid key material or private members (a published private key is
//!   compromised: it must not authenticate anyone);
//! - an `x5c` whose first certificate holds another key (RFC 7517 §4.7).
//!
//! RSA encryption keys (`use: enc` or none) are kept apart, in
//! [`ClientJwks::encryption`], for ID tokens encrypted to the client.
//!
//! The algorithm of a key without `alg` is the one we use with its type;
//! either way [`ClientJwk::alg`] is what a JWS must declare to use the key.

use fiducia_hsm::{JoseAlg, PublicJwk};
use serde_json::{Map, Value};

use super::jwe::EncryptionJwk;
use super::jwk::{JwkProblem, parse_x5c, public_key_members};
use super::spki::certificate_public_jwk;

/// One usable signature key of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientJwk {
    kid: Option<String>,
    jwk: PublicJwk,
    x5c: Option<Vec<Vec<u8>>>,
}

impl ClientJwk {
    /// Parses and validates one JWK object (rules in the module docs).
    pub fn from_json(jwk: &Map<String, Value>) -> Result<Self, JwkProblem> {
        match jwk.get("use") {
            None => {}
            Some(Value::String(u)) if u == "sig" => {}
            Some(_) => return Err(JwkProblem::NotForSignatures),
        }
        if let Some(ops) = jwk.get("key_ops") {
            let ops = ops.as_array().ok_or(JwkProblem::Malformed)?;
            if !ops.iter().any(|op| op.as_str() == Some("verify")) {
                return Err(JwkProblem::NotForVerification);
            }
        }
        let kid = match jwk.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(JwkProblem::Malformed),
        };
        let public = public_key_members(jwk)?;
        let x5c = match jwk.get("x5c") {
            None => None,
            Some(value) => Some(parse_x5c(value).ok_or(JwkProblem::MalformedX5c)?),
        };
        if let Some(first) = x5c.as_ref().and_then(|chain| chain.first()) {
            let cert_key = certificate_public_jwk(first).map_err(|_| JwkProblem::MalformedX5c)?;
            if cert_key != public {
                return Err(JwkProblem::X5cKeyMismatch);
            }
        }
        Ok(ClientJwk {
            kid,
            jwk: public,
            x5c,
        })
    }

    /// The client's `kid`, if it gave one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm a JWS signed with this key must declare.
    pub fn alg(&self) -> JoseAlg {
        self.jwk.alg()
    }

    /// The validated public key (its `kid()` is our thumbprint, not the client's).
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    /// RFC 7638 thumbprint of the key.
    pub fn thumbprint(&self) -> String {
        self.jwk.thumbprint()
    }

    /// The `x5c` chain as DER, the key's certificate first.
    pub fn x5c(&self) -> Option<&[Vec<u8>]> {
        self.x5c.as_deref()
    }

    /// `x5c[0]`: the certificate holding this key (RFC 7517 §4.7).
    pub fn certificate(&self) -> Option<&[u8]> {
        self.x5c
            .as_ref()
            .and_then(|chain| chain.first())
            .map(Vec::as_slice)
    }
}

/// A member of a JWKS that was not kept, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedJwk {
    /// Position in `keys`.
    pub index: usize,
    /// Its `kid`, when it had a string one (for logs).
    pub kid: Option<String>,
    /// Why it is not usable.
    pub problem: JwkProblem,
}

/// The usable signature keys of a client's JWKS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientJwks {
    /// Keys usable for signature verification, in JWKS order.
    pub keys: Vec<ClientJwk>,
    /// Members that were skipped. Registration may refuse a JWKS that has
    /// [`JwkProblem::PrivateMembers`]; the token endpoint just logs them.
    pub skipped: Vec<SkippedJwk>,
    /// RSA keys the client receives encrypted ID tokens with (`use: enc` or
    /// no `use`; OIDC Core §10.2), in JWKS order.
    pub encryption: Vec<EncryptionJwk>,
}

/// The JWKS document itself is unusable (RFC 7517 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// Not JSON.
    #[error("the JWKS is not JSON")]
    NotJson,
    /// No `keys` array of objects.
    #[error("the JWKS has no `keys` array of objects")]
    NoKeys,
}

impl ClientJwks {
    /// Parses a JWKS document (the body served at `jwks_uri`).
    pub fn parse(json: &[u8]) -> Result<Self, JwksError> {
        let value: Value = serde_json::from_slice(json).map_err(|_| JwksError::NotJson)?;
        Self::from_value(&value)
    }

    /// Parses a JWKS already in JSON form (the `jwks` client metadata).
    pub fn from_value(jwks: &Value) -> Result<Self, JwksError> {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksError::NoKeys)?;
        let mut parsed = ClientJwks::default();
        for (index, member) in keys.iter().enumerate() {
            let Value::Object(member) = member else {
                return Err(JwksError::NoKeys);
            };
            if let Ok(key) = EncryptionJwk::from_json(member) {
                parsed.encryption.push(key);
            }
            match ClientJwk::from_json(member) {
                Ok(key) => parsed.keys.push(key),
                Err(problem) => parsed.skipped.push(SkippedJwk {
                    index,
                    kid: member.get("kid").and_then(Value::as_str).map(str::to_owned),
                    problem,
                }),
            }
        }
        Ok(parsed)
    }
}
