//! The Config API's scopes: one per kind of operation, carried in the
//! access token's `scope` claim (RFC 9068 §2.2.3, RFC 8693 §4.2 syntax).

/// A scope an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read configuration and keys.
    ConfigRead,
    /// Change configuration (clients, policies).
    ConfigWrite,
    /// Generate, activate and retire signing keys.
    KeysWrite,
    /// Change customer accounts.
    UsersWrite,
    /// Read the audit trail.
    AuditRead,
}

impl Scope {
    /// Every scope, for the OpenAPI document.
    pub const ALL: [Scope; 5] = [
        Scope::ConfigRead,
        Scope::ConfigWrite,
        Scope::KeysWrite,
        Scope::UsersWrite,
        Scope::AuditRead,
    ];

    /// The scope value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::ConfigRead => "fiducia.config.read",
            Scope::ConfigWrite => "fiducia.config.write",
            Scope::KeysWrite => "fiducia.keys.write",
            Scope::UsersWrite => "fiducia.users.write",
            Scope::AuditRead => "fiducia.audit.read",
        }
    }

    /// What it allows, for the OpenAPI document.
    pub const fn description(self) -> &'static str {
        match self {
            Scope::ConfigRead => "read the effective configuration, the clients and the signing keys",
            Scope::ConfigWrite => "change clients and policies",
            Scope::KeysWrite => "generate, activate and retire signing keys",
            Scope::UsersWrite => "change customer accounts",
            Scope::AuditRead => "read the audit trail",
        }
    }

    /// Whether the space-separated `scope` claim holds it (RFC 6749 §3.3:
    /// exact, case-sensitive tokens).
    pub fn is_in(self, scope_claim: &str) -> bool {
        scope_claim.split(' ').any(|s| s == self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_match_whole_tokens_only_rfc6749_s3_3() {
        assert!(Scope::KeysWrite.is_in("openid fiducia.keys.write"));
        assert!(!Scope::KeysWrite.is_in("fiducia.keys.write.all"));
        assert!(!Scope::KeysWrite.is_in("FIDUCIA.KEYS.WRITE"));
        assert!(!Scope::AuditRead.is_in(""));
    }
}
