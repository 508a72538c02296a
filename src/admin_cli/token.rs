//! The access token `fiducia admin` presents: read from `--token-file`, or
//! taken by client_credentials (RFC 6749 §4.4) at `--token-endpoint` —
//! private_key_jwt (RFC 7523, `aud` the issuer, FAPI 2.0 §5.3.2.1) with a
//! fresh DPoP key for this run, so the token is DPoP-bound (RFC 9449 §5)
//! and every API call carries a proof; or tls_client_auth (RFC 8705 §2)
//! with `--cert`, so the token is bound to that certificate.

use super::args::AdminArgs;
use super::https::{Client, refusal};
use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use serde_json::{Map, Value, json};

/// A token and how to present it.
pub enum Credential {
    /// `Authorization: Bearer` (unbound, or bound to `--cert`).
    Bearer(String),
    /// `Authorization: DPoP` with a proof by this key.
    Dpop(String, SoftwareSigner),
}

impl Credential {
    /// The headers of one request to `htu` with `method`.
    pub async fn authorization(
        &self,
        method: &str,
        htu: &str,
    ) -> anyhow::Result<Vec<(&'static str, String)>> {
        match self {
            Credential::Bearer(token) => Ok(vec![("authorization", format!("Bearer {token}"))]),
            Credential::Dpop(token, key) => {
                let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
                let proof = proof(key, method, htu, Some(&URL_SAFE_NO_PAD.encode(hash))).await?;
                Ok(vec![("authorization", format!("DPoP {token}")), ("dpop", proof)])
            }
        }
    }
}

/// A DPoP proof (RFC 9449 §4.2).
async fn proof(key: &SoftwareSigner, method: &str, htu: &str, ath: Option<&str>) -> anyhow::Result<String> {
    let mut claims = json!({
        "jti": uuid::Uuid::new_v4().to_string(), "htm": method, "htu": htu, "iat": now(),
    });
    if let Some(ath) = ath {
        claims["ath"] = json!(ath);
    }
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), serde_json::to_value(key.public_jwk())?);
    Ok(sign_jws(key, header, claims.to_string().as_bytes()).await?)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The credential the arguments name, asking for `scope` when granted.
pub async fn obtain(args: &AdminArgs, client: &Client, scope: &str) -> anyhow::Result<Credential> {
    if let Some(path) = &args.token_file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("--token-file {}", path.display()))?;
        let token = text.lines().next().unwrap_or("").trim().to_string();
        if token.is_empty() {
            bail!("--token-file {}: empty", path.display());
        }
        return Ok(Credential::Bearer(token));
    }
    let (Some(client_id), Some(endpoint)) = (&args.client_id, &args.token_endpoint) else {
        bail!(
            "give --token-file FILE, or --client-id ID --token-endpoint URL with --client-key FILE or --cert/--key"
        );
    };
    let mut form = vec![
        ("grant_type".to_string(), "client_credentials".to_string()),
        ("client_id".to_string(), client_id.clone()),
        ("scope".to_string(), scope.to_string()),
    ];
    let dpop = match &args.client_key {
        Some(path) => {
            let pem =
                std::fs::read_to_string(path).with_context(|| format!("--client-key {}", path.display()))?;
            let key = SoftwareSigner::from_pkcs8_pem(args.client_key_alg, &pem)
                .with_context(|| format!("--client-key {}", path.display()))?;
            let issuer = match &args.issuer {
                Some(issuer) => issuer.clone(),
                None => endpoint
                    .rsplit_once('/')
                    .map(|(base, _)| base.to_string())
                    .context("--token-endpoint has no path")?,
            };
            let claims = json!({
                "iss": client_id, "sub": client_id, "aud": issuer,
                "iat": now(), "exp": now() + 60, "jti": uuid::Uuid::new_v4().to_string(),
            });
            let assertion = sign_jws(&key, Map::new(), claims.to_string().as_bytes()).await?;
            form.push((
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            form.push(("client_assertion".into(), assertion));
            Some(SoftwareSigner::generate(JoseAlg::Es256)?)
        }
        None if args.cert.is_some() => None,
        None => {
            bail!("--client-id needs --client-key FILE (private_key_jwt) or --cert/--key (tls_client_auth)")
        }
    };
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    let mut request = http::Request::post(endpoint)
        .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(http::header::ACCEPT, "application/json");
    if let Some(key) = &dpop {
        request = request.header("dpop", proof(key, "POST", endpoint, None).await?);
    }
    let response = client
        .send(request.body(Bytes::from(body)).context("the token request")?)
        .await?;
    if !response.status().is_success() {
        bail!("POST {endpoint}: {}", refusal(&response));
    }
    let answer: Value = serde_json::from_slice(response.body()).context("the token response is not JSON")?;
    let token = answer["access_token"]
        .as_str()
        .context("the token response has no access_token")?
        .to_string();
    Ok(match dpop {
        Some(key) => Credential::Dpop(token, key),
        None => Credential::Bearer(token),
    })
}
