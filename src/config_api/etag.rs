//! Entity tags (RFC 9110 §8.8.3) of the Config API's representations and
//! the `If-Match` precondition of its writes (RFC 9110 §13.1.1): a strong
//! tag of a representation's bytes, so any change of what a GET shows
//! changes the tag.

use crate::store::keys::sha256;
use http::HeaderMap;
use http::header::IF_MATCH;

/// The strong entity tag of `representation`: the first 128 bits of its
/// SHA-256, hex, quoted.
pub fn of(representation: &[u8]) -> String {
    let digest = sha256(representation);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The outcome of a write's `If-Match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// It names the current tag (or `*`).
    Holds,
    /// It names other tags only: 412.
    Fails,
    /// None was sent: 428 (RFC 6585 §3), a write must say what it saw.
    Missing,
}

/// Evaluates `If-Match` against `current` (RFC 9110 §13.1.1: a list of
/// tags, strong comparison; `*` matches a current representation).
pub fn if_match(headers: &HeaderMap, current: &str) -> Precondition {
    let mut sent = false;
    for value in headers.get_all(IF_MATCH) {
        sent = true;
        let Ok(value) = value.to_str() else {
            continue;
        };
        for tag in value.split(',').map(str::trim) {
            if tag == "*" || tag == current {
                return Precondition::Holds;
            }
        }
    }
    match sent {
        true => Precondition::Fails,
        false => Precondition::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(IF_MATCH, v.parse().unwrap());
        }
        map
    }

    /// RFC 9110 §13.1.1: strong comparison; weak tags never match.
    #[test]
    fn if_match_compares_strongly_rfc9110_s13_1_1() {
        let tag = of(b"{}");
        assert_eq!(tag.len(), 34);
        assert_eq!(if_match(&headers(&[&tag]), &tag), Precondition::Holds);
        assert_eq!(
            if_match(&headers(&[&format!("\"x\", {tag}")]), &tag),
            Precondition::Holds
        );
        assert_eq!(if_match(&headers(&["*"]), &tag), Precondition::Holds);
        assert_eq!(
            if_match(&headers(&[&format!("W/{tag}")]), &tag),
            Precondition::Fails
        );
        assert_eq!(if_match(&headers(&["\"other\""]), &tag), Precondition::Fails);
        assert_eq!(if_match(&HeaderMap::new(), &tag), Precondition::Missing);
    }
}
