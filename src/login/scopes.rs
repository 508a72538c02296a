//! What each scope means, in words a customer understands, for the consent
//! page. `openid`, `profile`, `email`, `phone` and `offline_access` are OIDC
//! Core §5.4 and §11; `accounts` and `payments` are the open-banking scopes
//! (as in the UK Open Banking and Berlin Group profiles).

/// One scope on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeLine<'a> {
    /// Short title, e.g. "Your e-mail address".
    pub title: &'a str,
    /// One sentence on what the application may then do.
    pub description: &'a str,
}

/// (scope, title, description).
const SCOPES: &[(&str, &str, &str)] = &[
    (
        "openid",
        "Confirm it is you",
        "Tells the application that you signed in, with an identifier that stays the same each time.",
    ),
    (
        "profile",
        "Your name and date of birth",
        "Your name as the bank holds it, and your date of birth if the bank has it.",
    ),
    (
        "email",
        "Your e-mail address",
        "Your e-mail address and whether it has been verified.",
    ),
    (
        "phone",
        "Your phone number",
        "Your phone number and whether it has been verified.",
    ),
    (
        "accounts",
        "Your account information",
        "The names and numbers of your accounts, their balances and transactions.",
    ),
    (
        "payments",
        "Make the payment shown",
        "Start the payment described on this page from your account. Nothing else is paid.",
    ),
    (
        "offline_access",
        "Access while you are away",
        "Keep this access after you close this page, until it expires or you withdraw it.",
    ),
];

/// The description of `scope`; an unknown scope is shown by its name.
pub fn describe_scope(scope: &str) -> ScopeLine<'_> {
    SCOPES.iter().find(|(name, _, _)| *name == scope).map_or(
        ScopeLine {
            title: scope,
            description: "Further access the application asks for.",
        },
        |&(_, title, description)| ScopeLine { title, description },
    )
}

/// Descriptions of `scopes`, in order.
pub fn scope_lines<S: AsRef<str>>(scopes: &[S]) -> Vec<ScopeLine<'_>> {
    scopes.iter().map(|s| describe_scope(s.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scopes_have_words() {
        for scope in ["openid", "profile", "email", "accounts", "payments"] {
            let line = describe_scope(scope);
            assert_ne!(line.title, scope);
            assert!(line.description.ends_with('.'));
        }
    }

    #[test]
    fn unknown_scope_is_named() {
        let asked = ["openid".to_string(), "x-custom".to_string()];
        let lines = scope_lines(&asked);
        assert_eq!(lines[1].title, "x-custom");
        assert_eq!(lines.len(), 2);
    }
}
