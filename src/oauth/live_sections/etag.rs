//! Entity tags of sections and their items (RFC 9110 §8.8.3: strong
//! validators). A section's tag joins its document's revision, which is
//! never reused, with a digest of its value (a file-seeded section has
//! revision 0 on every node, and the file may differ after a restart); an
//! item's tag is a digest of its value, so a change to one item leaves the
//! others' tags standing.

use crate::store::keys::sha256;
use serde::Serialize;

/// The first 64 bits of the SHA-256 of `value`'s JSON, hex.
fn digest<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    sha256(&bytes)[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The strong tag of a section at `revision` holding `value`.
pub fn of_section<T: Serialize>(revision: u64, value: &T) -> String {
    format!("\"s{revision}-{}\"", digest(value))
}

/// The strong tag of one item.
pub fn of_item<T: Serialize>(item: &T) -> String {
    format!("\"i{}\"", digest(item))
}

/// The `If-Match` comparison every write shares (RFC 9110 §13.1.1).
pub use crate::protocol::entity_tag::if_match_matches;

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9110 §8.8.3: a tag changes with the value and the revision.
    #[test]
    fn tags_follow_value_and_revision_rfc9110_s8_8_3() {
        assert_ne!(of_section(1, &[1]), of_section(2, &[1]));
        assert_ne!(of_section(1, &[1]), of_section(1, &[2]));
        assert_eq!(of_item(&"a"), of_item(&"a"));
        assert_ne!(of_item(&"a"), of_item(&"b"));
        let tag = of_item(&"a");
        assert!(if_match_matches(&tag, &tag));
        assert!(if_match_matches("*", &tag));
        assert!(!if_match_matches(&format!("W/{tag}"), &tag));
    }
}
