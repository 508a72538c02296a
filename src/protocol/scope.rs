//! Scopes about a customer: OpenID Connect Core §5.4 (`profile`, `email`,
//! `address`, `phone`: claims about the end-user), §3.1.2.1 (`openid`: an
//! authenticated end-user) and §11 (`offline_access`: access while the
//! end-user is away). A token issued to a client for itself (RFC 6749 §4.4)
//! has no end-user, so none of them can be on it.

/// The scope that brings a refresh token (OIDC Core §11).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// The scopes that only mean something with an end-user behind the token.
pub const USER_CLAIM_SCOPES: &[&str] = &["openid", "profile", "email", "address", "phone", "offline_access"];

/// Whether `scope` is about a customer ([`USER_CLAIM_SCOPES`]).
pub fn is_about_a_customer(scope: &str) -> bool {
    USER_CLAIM_SCOPES.contains(&scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OIDC Core §5.4, §3.1.2.1, §11: the user-claim scopes; the
    /// open-banking ones are not about the customer's identity.
    #[test]
    fn user_claim_scopes_oidc_core_s5_4() {
        for scope in ["openid", "profile", "email", "address", "phone", "offline_access"] {
            assert!(is_about_a_customer(scope), "{scope}");
        }
        for scope in ["accounts", "payments", "Email", ""] {
            assert!(!is_about_a_customer(scope), "{scope}");
        }
    }
}
