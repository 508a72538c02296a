//! The `If-Match` precondition (RFC 9110 §13.1.1) as a pure comparison of
//! a field value with a resource's current strong entity tag: shared by
//! every service whose writes check it inside their own store transaction
//! (clients: `oauth/managed_clients`; customers: `login/customers`).

/// Whether an `If-Match` field value (RFC 9110 §13.1.1) matches `etag`:
/// `*` matches any current representation; otherwise one of the listed
/// entity tags must equal it by strong comparison (§8.8.3.2: a weak tag
/// never matches).
pub fn if_match_matches(header: &str, etag: &str) -> bool {
    let header = header.trim();
    header == "*"
        || header
            .split(',')
            .map(str::trim)
            .any(|tag| !tag.starts_with("W/") && tag == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9110 §13.1.1 / §8.8.3.2: `*`, a list, strong comparison only.
    #[test]
    fn if_match_is_a_strong_comparison_rfc9110_13_1_1() {
        assert!(if_match_matches("\"r3\"", "\"r3\""));
        assert!(if_match_matches(" \"r1\", \"r3\" ", "\"r3\""));
        assert!(if_match_matches("*", "\"r3\""));
        assert!(!if_match_matches("W/\"r3\"", "\"r3\""));
        assert!(!if_match_matches("\"r2\"", "\"r3\""));
        assert!(!if_match_matches("r3", "\"r3\""));
        assert!(!if_match_matches("", "\"r3\""));
    }
}
