//! CSRF protection for the login and consent forms (RFC 6749 §10.12: the
//! authorization server must protect its own user-facing forms; OWASP CSRF
//! Prevention Cheat Sheet, "synchronizer token" and "double submit cookie").
//!
//! Intended double binding, done by the caller:
//!
//! 1. When it shows a form, the caller makes a token with [`new_token`],
//!    stores it in the interaction record (server side) and also sets it as
//!    a cookie ([`COOKIE_NAME`]: `Secure; HttpOnly; SameSite=Lax; Path=/`),
//!    and puts it in the form's hidden `csrf` field.
//! 2. On the POST, [`check`] requires the form's token to equal both the
//!    stored one and the cookie. The stored copy ties the form to this
//!    interaction (a token from another interaction fails); the cookie ties
//!    it to this browser (a page posted from another browser, e.g. a link
//!    an attacker was shown, fails). The `__Host-` prefix keeps a sibling
//!    subdomain from planting the cookie (RFC 6265bis §4.1.3.2).

use super::error::LoginError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Recommended name of the cookie that carries the token. The `__Host-`
/// prefix requires `Secure`, `Path=/` and no `Domain` attribute.
pub const COOKIE_NAME: &str = "__Host-fiducia-csrf";

/// Random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;

/// A new token: 32 bytes from the system's CSPRNG, base64url without
/// padding (43 characters).
pub fn new_token() -> Result<String, LoginError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| LoginError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `presented` equals `expected`, in time independent of where they
/// differ. An empty `expected` never matches (a missing token is no token).
pub fn matches(expected: &str, presented: &str) -> bool {
    !expected.is_empty()
        && aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), presented.as_bytes())
            .is_ok()
}

/// The double check of a POST: the form's token must equal the one stored
/// with the interaction and the one in the browser's cookie.
pub fn check(stored: &str, cookie: Option<&str>, presented: &str) -> Result<(), LoginError> {
    let cookie_ok = cookie.is_some_and(|c| matches(stored, c));
    // Both comparisons run, so the time does not say which one failed.
    let form_ok = matches(stored, presented);
    if cookie_ok && form_ok {
        Ok(())
    } else {
        Err(LoginError::CsrfMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_characters_and_differ() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn matches_only_the_same_token() {
        let t = new_token().unwrap();
        assert!(matches(&t, &t.clone()));
        assert!(!matches(&t, &new_token().unwrap()));
        assert!(!matches(&t, &t[..42]));
        assert!(!matches(&t, ""));
        assert!(!matches("", ""));
    }

    #[test]
    fn double_binding_needs_cookie_and_form_rfc6749_s10_12() {
        let t = new_token().unwrap();
        let other = new_token().unwrap();
        assert!(check(&t, Some(&t), &t).is_ok());
        assert!(matches!(check(&t, None, &t), Err(LoginError::CsrfMismatch)));
        assert!(check(&t, Some(&other), &t).is_err());
        assert!(check(&t, Some(&t), &other).is_err());
        assert!(check("", Some(""), "").is_err());
    }
}
