//! The shape of a customer's credentials, checked wherever they enter:
//! the login form (`login`) and the sandbox users of the configuration
//! (`config`). A username is compared trimmed and in lower case; an
//! account id is the OIDC subject identifier (OIDC Core §2); a password is
//! bounded in size before it is hashed.

/// Longest username accepted, in characters (after trimming).
pub const MAX_USERNAME_CHARS: usize = 256;
/// Longest account id accepted, in bytes (the OIDC `sub` is at most 255
/// ASCII characters, OIDC Core §2).
pub const MAX_ACCOUNT_ID_BYTES: usize = 255;
/// Longest password accepted, in bytes. argon2 takes any length, but there
/// is no reason to hash megabytes; OWASP asks for at least 64 characters
/// to be allowed.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a username or an account id is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// A username that is empty after trimming, too long, or holds control
    /// characters.
    #[error("invalid username: {0}")]
    InvalidUsername(&'static str),
    /// An account id that cannot be an OIDC `sub` (OIDC Core §2).
    #[error("invalid account id: must be 1 to 255 printable ASCII characters without spaces")]
    InvalidAccountId,
}

/// The form in which usernames are compared and stored: trimmed and in lower
/// case, so `" Alice "` and `"alice"` are one account. Refuses an empty
/// name, one over [`MAX_USERNAME_CHARS`] and one with control characters.
pub fn normalize_username(raw: &str) -> Result<String, CredentialError> {
    let name = raw.trim().to_lowercase();
    if name.is_empty() {
        return Err(CredentialError::InvalidUsername("empty"));
    }
    if name.chars().count() > MAX_USERNAME_CHARS {
        return Err(CredentialError::InvalidUsername("too long"));
    }
    if name.chars().any(char::is_control) {
        return Err(CredentialError::InvalidUsername("control characters"));
    }
    Ok(name)
}

/// Checks an account id: non-empty printable ASCII without spaces, at most
/// [`MAX_ACCOUNT_ID_BYTES`] (OIDC Core §2: `sub` "MUST NOT exceed 255 ASCII
/// characters").
pub fn check_account_id(account_id: &str) -> Result<(), CredentialError> {
    let ok = !account_id.is_empty()
        && account_id.len() <= MAX_ACCOUNT_ID_BYTES
        && account_id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(CredentialError::InvalidAccountId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_lower_cased() {
        assert_eq!(normalize_username("  Alice.Example ").unwrap(), "alice.example");
        assert_eq!(normalize_username("ÄRZTIN").unwrap(), "ärztin");
    }

    #[test]
    fn bad_usernames_are_refused() {
        assert!(normalize_username("   ").is_err());
        assert!(normalize_username("a\u{0}b").is_err());
        assert!(normalize_username(&"x".repeat(MAX_USERNAME_CHARS + 1)).is_err());
        assert!(normalize_username(&"x".repeat(MAX_USERNAME_CHARS)).is_ok());
    }

    #[test]
    fn account_ids_are_oidc_subjects_oidc_core_s2() {
        assert!(check_account_id("acc-0001").is_ok());
        assert!(check_account_id("").is_err());
        assert!(check_account_id("has space").is_err());
        assert!(check_account_id(&"a".repeat(256)).is_err());
    }
}
