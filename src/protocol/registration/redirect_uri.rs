//! Redirect URIs a registration may hold (FAPI 2.0 §5.3.2.2: https and
//! exact match; RFC 6749 §3.1.2: no fragment; RFC 8252 §8.3: loopback
//! only where the sandbox allows it).

use super::RegistrationError;

/// FAPI 2.0 §5.3.2.2 and RFC 9700 §2.1: https, no fragment; RFC 8252 §8.3:
/// loopback only in a sandbox.
pub fn check_redirect_uri(uri: &str, allow_localhost: bool) -> Result<(), RegistrationError> {
    let bad = |why: &'static str| Err(RegistrationError::RedirectUri(why.into()));
    let Some(rest) = uri.strip_prefix("https://") else {
        return bad("redirect URIs must be https (FAPI 2.0 §5.3.2.2)");
    };
    if uri.contains('#') {
        return bad("redirect URIs must not have a fragment (RFC 6749 §3.1.2)");
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return bad("a redirect URI has no host");
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback && !allow_localhost {
        return bad(
            "loopback redirect URIs are only allowed in the sandbox (registration.danger_allow_localhost_redirects)",
        );
    }
    Ok(())
}
