//! One sender-constraint type (STYLE.md §10): a token is bound to a DPoP
//! key or to a certificate, never both, never neither (FAPI 2.0 §5.3.2.1).

use serde::{Deserialize, Serialize};

/// What an access (or refresh) token is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Binding {
    /// RFC 9449 §6: `cnf.jkt`, the RFC 7638 thumbprint of the DPoP key.
    Dpop(String),
    /// RFC 8705 §3.1: `cnf.x5t#S256`, the certificate's SHA-256 thumbprint.
    Mtls(String),
}

impl Binding {
    /// The token type the token response names (RFC 9449 §5, RFC 8705 §3).
    pub fn token_type(&self) -> &'static str {
        match self {
            Binding::Dpop(_) => "DPoP",
            Binding::Mtls(_) => "Bearer",
        }
    }

    /// The `cnf` claim (RFC 7800 §3.1) for introspection and JWT tokens.
    pub fn cnf(&self) -> serde_json::Value {
        match self {
            Binding::Dpop(jkt) => serde_json::json!({ "jkt": jkt }),
            Binding::Mtls(x5t) => serde_json::json!({ "x5t#S256": x5t }),
        }
    }
}
