//! What the demo knows before it starts: the running sandbox's endpoints
//! (`endpoints.json` in its data directory), the sample software's
//! directory credentials, and the OP's metadata (OIDC Discovery §4,
//! RFC 8414; the mTLS aliases of RFC 8705 §5).

use super::http::{Web, expect_json, text};
use crate::directory::credentials::{TRANSPORT_CERT, TRANSPORT_KEY};
use crate::sandbox::SandboxEndpoints;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The OP's endpoints the demo calls.
#[derive(Debug, Clone)]
pub struct OpEndpoints {
    /// `issuer`.
    pub issuer: String,
    /// `registration_endpoint` (RFC 7591).
    pub registration: String,
    /// `authorization_endpoint`.
    pub authorization: String,
    /// `jwks_uri`: the keys of ID tokens.
    pub jwks_uri: String,
    /// The token endpoint for mTLS clients (the alias when published).
    pub token: String,
    /// The PAR endpoint for mTLS clients (the alias when published).
    pub par: String,
    /// The UserInfo endpoint for mTLS clients (the alias when published).
    pub userinfo: String,
    /// CIBA Core §4 `backchannel_authentication_endpoint` for mTLS clients
    /// (the alias when published); none when the OP does not offer CIBA.
    pub backchannel: Option<String>,
}

/// Everything read before the first step.
pub struct Setup {
    /// Where the sandbox serves.
    pub sandbox: SandboxEndpoints,
    /// The OP's endpoints.
    pub op: OpEndpoints,
    /// The sample software's transport certificate and key.
    pub transport: (PathBuf, PathBuf),
    /// HTTPS with the transport certificate.
    pub fintech: Web,
    /// HTTPS without a certificate (the customer's browser).
    pub browser: Web,
}

impl Setup {
    /// Reads the sandbox data directory and the OP's discovery document.
    pub async fn load(data_dir: &Path) -> anyhow::Result<Self> {
        let sandbox = SandboxEndpoints::read(data_dir)?;
        let transport = (
            sandbox.sample_software_dir.join(TRANSPORT_CERT),
            sandbox.sample_software_dir.join(TRANSPORT_KEY),
        );
        let fintech = Web::new(&sandbox.ca, Some((&transport.0, &transport.1)))?;
        let browser = Web::new(&sandbox.ca, None)?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            sandbox.issuer.trim_end_matches('/')
        );
        let metadata = expect_json(&browser.get(&url, &[]).await?, 200, "discovery")?;
        let op = op_endpoints(&metadata)?;
        if op.issuer != sandbox.issuer {
            anyhow::bail!(
                "discovery names the issuer {}, the sandbox {} (OIDC Discovery §4.3)",
                op.issuer,
                sandbox.issuer
            );
        }
        Ok(Self {
            sandbox,
            op,
            transport,
            fintech,
            browser,
        })
    }
}

/// The endpoints in a discovery document; mTLS clients use the RFC 8705 §5
/// aliases when there are some.
pub fn op_endpoints(metadata: &Value) -> anyhow::Result<OpEndpoints> {
    let field = |name: &str| text(metadata, &[name], "discovery");
    let alias = |name: &str| {
        metadata["mtls_endpoint_aliases"][name]
            .as_str()
            .map(str::to_string)
            .map_or_else(|| field(name), Ok)
    };
    Ok(OpEndpoints {
        issuer: field("issuer")?,
        registration: field("registration_endpoint")?,
        authorization: field("authorization_endpoint")?,
        jwks_uri: field("jwks_uri")?,
        token: alias("token_endpoint")?,
        par: alias("pushed_authorization_request_endpoint")?,
        userinfo: alias("userinfo_endpoint")?,
        backchannel: alias("backchannel_authentication_endpoint").ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mtls_clients_use_the_rfc8705_aliases() {
        let mut metadata = json!({
            "issuer": "https://op", "registration_endpoint": "https://op/register",
            "authorization_endpoint": "https://op/authorize", "token_endpoint": "https://op/token",
            "jwks_uri": "https://op/jwks",
            "pushed_authorization_request_endpoint": "https://op/par",
            "userinfo_endpoint": "https://op/userinfo",
        });
        let plain = op_endpoints(&metadata).unwrap();
        assert_eq!(
            (plain.token.as_str(), plain.par.as_str()),
            ("https://op/token", "https://op/par")
        );
        metadata["mtls_endpoint_aliases"] = json!({"token_endpoint": "https://mtls.op/token", "pushed_authorization_request_endpoint": "https://mtls.op/par"});
        let aliased = op_endpoints(&metadata).unwrap();
        assert_eq!(aliased.token, "https://mtls.op/token");
        assert_eq!(aliased.par, "https://mtls.op/par");
        assert_eq!(aliased.authorization, "https://op/authorize");
        assert_eq!(aliased.backchannel, None);
        metadata["backchannel_authentication_endpoint"] = json!("https://op/bc-authorize");
        assert_eq!(
            op_endpoints(&metadata).unwrap().backchannel.as_deref(),
            Some("https://op/bc-authorize")
        );
        metadata["mtls_endpoint_aliases"]["backchannel_authentication_endpoint"] =
            json!("https://mtls.op/bc-authorize");
        assert_eq!(
            op_endpoints(&metadata).unwrap().backchannel.as_deref(),
            Some("https://mtls.op/bc-authorize")
        );
        metadata["registration_endpoint"] = Value::Null;
        assert!(op_endpoints(&metadata).is_err());
    }
}
