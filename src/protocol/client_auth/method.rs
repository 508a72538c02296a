//! The client authentication methods the OP accepts, as registered
//! (`token_endpoint_auth_method`, RFC 7591 §2) and configured
//! (`[[clients]]`).

use serde::{Deserialize, Serialize};

/// How a client authenticates at the token, PAR, introspection and
/// revocation endpoints (FAPI 2.0 §5.3.2.1: only these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// RFC 7523 §2.2 / OIDC Core §9.
    PrivateKeyJwt,
    /// RFC 8705 §2.1: PKI-bound certificate, subject DN registered.
    TlsClientAuth,
    /// RFC 8705 §2.2: self-signed certificate whose key is in the client's JWKS.
    SelfSignedTlsClientAuth,
}
