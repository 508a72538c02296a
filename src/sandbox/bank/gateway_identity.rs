//! The one client certificate the bank API accepts: the API gateway's.

/// The one certificate the bank API accepts: the gateway's. Every given
/// criterion must hold; at least one must be given.
#[derive(Debug, Clone, Default)]
pub struct GatewayIdentity {
    /// RFC 4514 subject DN of the gateway's certificate.
    pub subject_dn: Option<String>,
    /// Accepted `x5t#S256` thumbprints (RFC 8705 §3.1) of the gateway's certificate.
    pub x5t_s256: Vec<String>,
}

impl GatewayIdentity {
    /// Whether the leaf certificate `der` (thumbprint `x5t`) is the gateway's.
    pub fn admits(&self, der: &[u8], x5t: &str) -> bool {
        let configured = self.subject_dn.is_some() || !self.x5t_s256.is_empty();
        let thumbprint = self.x5t_s256.is_empty() || self.x5t_s256.iter().any(|t| t == x5t);
        let subject = self
            .subject_dn
            .as_deref()
            .is_none_or(|dn| crate::protocol::client_auth::subject_dn_matches(dn, der).unwrap_or(false));
        configured && thumbprint && subject
    }
}
