//! The CIBA load-test client (OpenID Connect CIBA Core 1.0, FAPI CIBA):
//! how it authenticates, its signed authentication requests (§7.1.1) and
//! the pending requests `ciba-pending` polls. The operations are in
//! `ciba.rs`.

use crate::jose::{self, JWT_BEARER, SigningKey};
use crate::setup::CibaClient;
use crate::stats::Failure;
use serde_json::json;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// CIBA Core §10.1 grant type.
pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
/// CIBA Core §7.3: the interval when the OP names none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// CIBA Core §11: `slow_down` adds at least 5 s to the interval.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Kept above the interval: the OP counts it from when it answered.
pub const POLL_MARGIN: Duration = Duration::from_millis(20);

/// How the CIBA client authenticates (RFC 7523 §2.2 or RFC 8705 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CibaAuth {
    /// A fresh client assertion signed with the client's key per request.
    #[default]
    PrivateKeyJwt,
    /// The transport certificate (`[ciba] mtls_client_id`).
    TlsClientAuth,
}

/// The command line's CIBA settings.
#[derive(Debug, Clone, Copy)]
pub struct CibaOptions {
    pub auth: CibaAuth,
    /// `ciba`: the wait before the first poll.
    pub first_poll: Duration,
    /// CIBA Core §7.1 `requested_expiry`, seconds.
    pub requested_expiry: Option<u64>,
}

impl Default for CibaOptions {
    fn default() -> Self {
        Self {
            auth: CibaAuth::PrivateKeyJwt,
            first_poll: Duration::from_millis(100),
            requested_expiry: None,
        }
    }
}

/// A request `ciba-pending` polls.
pub struct Pending {
    pub auth_req_id: String,
    pub interval: Duration,
    /// When it may be polled again.
    pub due: Instant,
}

/// The CIBA client of a run and the pending requests it polls.
pub struct CibaCtx {
    pub options: CibaOptions,
    /// The client_id it authenticates as.
    pub client_id: String,
    key: SigningKey,
    scope: String,
    pending: Mutex<VecDeque<Pending>>,
    /// Requests sent, for a distinct binding message each.
    sent: AtomicU64,
}

impl CibaCtx {
    /// The client of the setup, authenticating as `options.auth` says.
    pub fn new(client: &CibaClient, options: CibaOptions) -> anyhow::Result<Self> {
        let client_id = match options.auth {
            CibaAuth::PrivateKeyJwt => client.client_id.clone(),
            CibaAuth::TlsClientAuth => client.mtls_client_id.clone().ok_or_else(|| {
                anyhow::anyhow!("--ciba-auth tls-client-auth needs [ciba] mtls_client_id in the setup")
            })?,
        };
        Ok(Self {
            options,
            client_id,
            key: SigningKey::from_pem_file(&client.key, client.alg, client.kid.clone())?,
            scope: client.scope.clone(),
            pending: Mutex::new(VecDeque::new()),
            sent: AtomicU64::new(0),
        })
    }

    /// Requests held for `ciba-pending`.
    pub fn pending_count(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// Holds `request` for polling, after the others.
    pub fn hold(&self, request: Pending) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.push_back(request);
        }
    }

    /// The request held longest (due first).
    pub fn next_pending(&self) -> Option<Pending> {
        self.pending.lock().ok().and_then(|mut p| p.pop_front())
    }

    /// The client authentication parameters of a request to the OP.
    pub fn auth_params(
        &self,
        issuer: &str,
        step: &'static str,
    ) -> Result<Vec<(&'static str, String)>, Failure> {
        let mut params = vec![("client_id", self.client_id.clone())];
        if self.options.auth == CibaAuth::PrivateKeyJwt {
            let assertion = jose::client_assertion(&self.key, &self.client_id, issuer)
                .map_err(|e| Failure::new(step, format!("client: {e:#}")))?;
            params.push(("client_assertion_type", JWT_BEARER.to_string()));
            params.push(("client_assertion", assertion));
        }
        Ok(params)
    }

    /// A signed authentication request (CIBA Core §7.1.1; FAPI CIBA
    /// §5.2.2: `aud` the issuer, `exp`, `iat`, `nbf`, a fresh `jti`).
    pub fn request_object(&self, issuer: &str, login_hint: &str) -> anyhow::Result<String> {
        let now = jose::now();
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        let mut claims = json!({
            "iss": self.client_id, "aud": issuer, "iat": now, "nbf": now, "exp": now + 300,
            "jti": jose::random(16), "scope": self.scope, "login_hint": login_hint,
            "binding_message": format!("LT{:05}", n % 100_000),
        });
        if let Some(expiry) = self.options.requested_expiry {
            claims["requested_expiry"] = json!(expiry);
        }
        self.key.sign(json!({}), &claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    use aws_lc_rs::signature::{KeyPair, UnparsedPublicKey};
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    fn client() -> (CibaClient, Vec<u8>) {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(pkcs8.as_ref())
        );
        let path = std::env::temp_dir().join(format!("ciba-{}.key", jose::random(8)));
        std::fs::write(&path, pem).unwrap();
        let client = CibaClient {
            client_id: "fintech-3".into(),
            mtls_client_id: None,
            key: path,
            alg: crate::jose::Alg::Es256,
            kid: Some("k1".into()),
            scope: "openid".into(),
        };
        (client, pair.public_key().as_ref().to_vec())
    }

    /// CIBA Core §7.1.1 and FAPI CIBA §5.2.2: the request object is
    /// signed with the client's key, from the client to the issuer, with
    /// a lifetime, a fresh `jti`, the hint, a binding message and the
    /// requested expiry; the assertion goes only with private_key_jwt.
    #[test]
    fn requests_are_signed_for_the_issuer_with_a_fresh_jti() {
        let (client, public) = client();
        let options = CibaOptions {
            requested_expiry: Some(3600),
            ..CibaOptions::default()
        };
        let ciba = CibaCtx::new(&client, options).unwrap();
        let jws = ciba.request_object("https://op.example", "alice").unwrap();
        let again = ciba.request_object("https://op.example", "alice").unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        let decode = |part: &str| -> serde_json::Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
        };
        let (header, claims) = (decode(parts[0]), decode(parts[1]));
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("ES256"), Some("k1"))
        );
        assert_eq!(claims["iss"], "fintech-3");
        assert_eq!(claims["aud"], "https://op.example");
        assert_eq!(claims["login_hint"], "alice");
        assert_eq!(claims["requested_expiry"], 3600);
        assert_eq!(claims["binding_message"], "LT00000");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            300
        );
        assert_ne!(claims["jti"], decode(again.split('.').nth(1).unwrap())["jti"]);
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
        let names = |auth| {
            CibaCtx::new(&client, CibaOptions { auth, ..options }).map(|c| {
                let params = c.auth_params("https://op.example", "t").unwrap();
                params.iter().map(|(k, _)| *k).collect::<Vec<_>>()
            })
        };
        assert_eq!(
            names(CibaAuth::PrivateKeyJwt).unwrap(),
            ["client_id", "client_assertion_type", "client_assertion"]
        );
        // tls_client_auth needs the mTLS client's id.
        assert!(names(CibaAuth::TlsClientAuth).is_err());
        let _ = std::fs::remove_file(&client.key);
    }
}
