//! RFC 8414 §2 / OIDC Discovery §3 `scopes_supported`: every scope a client
//! can be granted here, so that a client choosing from the document never
//! asks for one no client could get, nor misses one it could.
//!
//! - the OpenID Connect scopes the OP serves claims for (OIDC Core §5.4)
//!   and `offline_access` (OIDC Core §11);
//! - every configured client's `scopes` (a `[[clients]]` entry or a
//!   client document, `ServedClients`);
//! - with registration on, every scope a trusted directory's
//!   `role_scopes` lets a registered client hold (RFC 7591 §2: registration
//!   grants within the statement's roles, `protocol::registration::metadata`).
//!
//! The OIDC scopes first, in that order, then the others sorted, each once.

use crate::config::Config;
use crate::oauth::profile_metadata::ServedClients;

/// The OIDC scopes: claims (OIDC Core §5.4) and refresh (§11).
const OIDC_SCOPES: [&str; 5] = ["openid", "profile", "email", "phone", "offline_access"];

/// `scopes_supported` for `config` (see the module documentation).
pub fn scopes_supported(config: &Config, clients: &ServedClients) -> Vec<String> {
    let mut others = std::collections::BTreeSet::new();
    let statics = clients.scopes();
    let registered = config
        .registration
        .trusted_directories
        .iter()
        .filter(|_| config.registration.enabled)
        .flat_map(|d| d.role_scopes.values().flatten());
    for scope in statics.chain(registered) {
        if !OIDC_SCOPES.contains(&scope.as_str()) {
            others.insert(scope.clone());
        }
    }
    OIDC_SCOPES.iter().map(|s| s.to_string()).chain(others).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_from_str;

    /// RFC 8414 §2: the static clients' scopes and, with registration on,
    /// what each directory's roles grant; nothing twice.
    #[test]
    fn static_and_registrable_scopes_are_listed_rfc8414_s2() {
        let text = |enabled: bool| {
            format!(
                r#"
[[clients]]
client_id = "c1"
client_name = "C1"
redirect_uris = ["https://c1.example/cb"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN=c1"
scopes = ["openid", "accounts", "payments"]

[registration]
enabled = {enabled}
[[registration.trusted_directories]]
issuer = "d1"
jwks_uri = "https://d1.example/jwks"
role_scopes = {{ DADOS = ["openid", "accounts", "consents"], CBPII = ["fundsconfirmations"] }}
"#
            )
        };
        let on = load_from_str(&text(true), Vec::new()).unwrap();
        assert_eq!(
            scopes_supported(&on, &ServedClients::of_file(&on)),
            [
                "openid",
                "profile",
                "email",
                "phone",
                "offline_access",
                "accounts",
                "consents",
                "fundsconfirmations",
                "payments"
            ]
        );
        let off = load_from_str(&text(false), Vec::new()).unwrap();
        assert_eq!(
            scopes_supported(&off, &ServedClients::of_file(&off))[5..],
            ["accounts".to_string(), "payments".to_string()]
        );
    }
}
