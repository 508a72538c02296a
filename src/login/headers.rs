//! Response headers recommended for the pages. Setting them is the HTTP
//! layer's job; the values live here, beside the pages they protect.
//!
//! - `Content-Security-Policy`: no scripts, images, fonts or connections at
//!   all (the pages need none); inline styles only; forms post only to us;
//!   no framing (clickjacking, RFC 6749 §10.13, OAuth 2.0 Security BCP,
//!   RFC 9700 §4.16).
//! - `X-Frame-Options: DENY` for browsers without `frame-ancestors`.
//! - `Referrer-Policy: no-referrer`: the page URL never leaks to the client.
//! - `Cache-Control: no-store`: pages carry a CSRF token and personal data.
//! - `X-Content-Type-Options: nosniff`.
//!
//! **Redirect after a POST.** Chrome and Safari apply `form-action` also to
//! the redirect that answers a form submission (w3c/webappsec-csp#8), so a
//! consent POST answered with a 303 to the client's `redirect_uri` on another
//! origin is blocked under `form-action 'self'`. Serve the consent page with
//! [`consent_content_security_policy`], which adds the redirect URI's origin.

/// `Content-Type` of every page.
pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// `Content-Security-Policy` of the login and error pages.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
/// `X-Frame-Options`.
pub const X_FRAME_OPTIONS: &str = "DENY";
/// `Referrer-Policy`.
pub const REFERRER_POLICY: &str = "no-referrer";
/// `Cache-Control`.
pub const CACHE_CONTROL: &str = "no-store";
/// `X-Content-Type-Options`.
pub const X_CONTENT_TYPE_OPTIONS: &str = "nosniff";

/// Every recommended header of the login and error pages, as (lower-case
/// name, value).
pub const PAGE_HEADERS: &[(&str, &str)] = &[
    ("content-type", CONTENT_TYPE),
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", X_FRAME_OPTIONS),
    ("referrer-policy", REFERRER_POLICY),
    ("cache-control", CACHE_CONTROL),
    ("x-content-type-options", X_CONTENT_TYPE_OPTIONS),
];

/// The policy for a page whose form submission ends in a redirect to
/// `redirect_uri` (the consent page): [`CONTENT_SECURITY_POLICY`] with the
/// redirect URI's origin added to `form-action`. A URI whose origin cannot
/// be written as a CSP source gets the plain policy (the redirect is then
/// blocked, never widened to anything else).
pub fn consent_content_security_policy(redirect_uri: &str) -> String {
    match csp_source(redirect_uri) {
        Some(source) => format!(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {source}; frame-ancestors 'none'"
        ),
        None => CONTENT_SECURITY_POLICY.to_owned(),
    }
}

/// The policy for a page whose form submissions end in redirects through
/// each of `targets` (an interaction app's pages: to the OP's
/// `/interaction/return`, then to the client's `redirect_uri`):
/// [`CONTENT_SECURITY_POLICY`] with each target's origin added to
/// `form-action`; a target that is no CSP source is left out (its redirect
/// stays blocked).
pub fn form_action_policy(targets: &[&str]) -> String {
    let sources: Vec<String> = targets.iter().filter_map(|t| csp_source(t)).collect();
    let mut action = String::from("'self'");
    for source in &sources {
        if !action.split(' ').any(|s| s == source) {
            action.push(' ');
            action.push_str(source);
        }
    }
    format!("default-src 'none'; style-src 'unsafe-inline'; form-action {action}; frame-ancestors 'none'")
}

/// The CSP source expression (CSP3 §2.3.1) matching `uri`'s origin:
/// `https://host[:port]` for http(s), `scheme:` for a private-use scheme,
/// which RFC 8252 §7.1 makes a reverse domain name (so it has a `.`, and
/// `javascript:` or `data:` never qualify).
fn csp_source(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return scheme.contains('.').then(|| format!("{scheme}:"));
    }
    let authority = rest.strip_prefix("//")?;
    let host_port = authority
        .split(['/', '?', '#'])
        .next()
        .filter(|a| !a.is_empty() && !a.contains('@'))?;
    let host_ok = host_port
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    host_ok.then(|| format!("{scheme}://{}", host_port.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_policy_admits_the_redirect_origin_only() {
        assert_eq!(
            consent_content_security_policy("https://TPP.example:8443/cb?x=1#f"),
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https://tpp.example:8443; frame-ancestors 'none'"
        );
        assert!(
            consent_content_security_policy("com.example.app:/cb")
                .contains("form-action 'self' com.example.app:;")
        );
    }

    #[test]
    fn uris_that_would_inject_policy_fall_back() {
        for bad in [
            "https://a.example; script-src *",
            "https://user@a.example/",
            "https:///cb",
            "javascript alert:x",
            "no-scheme",
            "https://a.example'/",
            "javascript:alert(1)",
            "data:text/html,x",
        ] {
            assert_eq!(
                consent_content_security_policy(bad),
                CONTENT_SECURITY_POLICY,
                "{bad}"
            );
        }
    }

    #[test]
    fn page_headers_are_the_recommended_set() {
        let names: Vec<_> = PAGE_HEADERS.iter().map(|(n, _)| *n).collect();
        assert!(names.contains(&"content-security-policy"));
        assert!(names.contains(&"x-frame-options"));
        assert!(names.contains(&"referrer-policy"));
        assert!(names.contains(&"cache-control"));
    }

    /// CSP3 §6.4.3 `form-action` for an interaction app's pages: its own
    /// origin, the OP's and the client's, each once; nothing else.
    #[test]
    fn an_apps_pages_may_post_through_the_op_to_the_client() {
        let policy = form_action_policy(&[
            "https://op.example:8443",
            "https://op.example:8443/cb",
            "javascript:alert(1)",
        ]);
        assert_eq!(
            policy,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https://op.example:8443; frame-ancestors 'none'"
        );
        let two = form_action_policy(&["https://op.example", "https://tpp.example/cb?x=1"]);
        assert!(
            two.contains("form-action 'self' https://op.example https://tpp.example;"),
            "{two}"
        );
    }
}
