//! Transport certificates re-checked for revocation (sans-IO): reading a
//! directory's list of a software's revoked certificates.
//!
//! RFC 8705 §2.1 authenticates a client by its transport certificate and
//! §3 binds its tokens to one; a directory that revokes a certificate (key
//! compromise, a software's certificate replaced: the OBIE Directory and
//! Open Finance Brasil revoke through their PKI) means that certificate
//! must stop working for the client. Where the directory publishes a
//! software's revoked certificates, the answer is a JSON object
//! `{"revoked_certificates": [{"x5t#S256": "..."}, ...]}` (the sandbox
//! directory's `/software/{software_id}/revoked-certificates`; other
//! members, e.g. `revoked_at`, are ignored).
//!
//! Rules:
//! - the list, as read, replaces the client's stored one
//!   (`model::registered::RegisteredClient::revoked_certificates`): a
//!   listed certificate authenticates nothing of the client and a token
//!   bound to it is not honoured;
//! - an answer that is not such a list, or is longer than [`MAX_ENTRIES`],
//!   says nothing: a failed check, which changes nothing (fail-static, as
//!   `status::decide`).

use serde_json::Value;

/// Most entries read from one answer: a software has a handful of
/// certificates over its life, and the list is stored in the client's
/// record (bounded value size, `store/kv.rs`).
pub const MAX_ENTRIES: usize = 256;

/// Longest thumbprint accepted (an `x5t#S256` is 43 characters).
const MAX_THUMBPRINT: usize = 128;

/// Why a revocation answer says nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RevocationAnswerError {
    /// Not a JSON object with a `revoked_certificates` array.
    #[error("the revocation answer has no revoked_certificates array")]
    NoList,
    /// An entry is not an object with a string `x5t#S256`.
    #[error("a revoked_certificates entry has no x5t#S256 string")]
    BadEntry,
    /// More than [`MAX_ENTRIES`] entries.
    #[error("the revocation answer lists more than {MAX_ENTRIES} certificates")]
    TooLong,
}

/// The `x5t#S256` values of the revoked certificates an answer lists,
/// sorted, without duplicates.
pub fn parse_revoked(answer: &Value) -> Result<Vec<String>, RevocationAnswerError> {
    let list = answer
        .get("revoked_certificates")
        .and_then(Value::as_array)
        .ok_or(RevocationAnswerError::NoList)?;
    if list.len() > MAX_ENTRIES {
        return Err(RevocationAnswerError::TooLong);
    }
    let mut thumbprints = list
        .iter()
        .map(|entry| {
            entry
                .get("x5t#S256")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty() && t.len() <= MAX_THUMBPRINT)
                .map(str::to_owned)
                .ok_or(RevocationAnswerError::BadEntry)
        })
        .collect::<Result<Vec<_>, _>>()?;
    thumbprints.sort();
    thumbprints.dedup();
    Ok(thumbprints)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_list_of_thumbprints_is_read_and_anything_else_says_nothing() {
        let answer = json!({"software_id": "s", "revoked_certificates": [
            {"x5t#S256": "a", "revoked_at": 1}, {"x5t#S256": "b"}
        ]});
        assert_eq!(parse_revoked(&answer).unwrap(), vec!["a", "b"]);
        let repeated =
            json!({"revoked_certificates": [{"x5t#S256": "b"}, {"x5t#S256": "a"}, {"x5t#S256": "b"}]});
        assert_eq!(parse_revoked(&repeated).unwrap(), vec!["a", "b"]);
        assert_eq!(
            parse_revoked(&json!({"revoked_certificates": [{"x5t#S256": "x".repeat(129)}]})),
            Err(RevocationAnswerError::BadEntry)
        );
        assert_eq!(
            parse_revoked(&json!({"revoked_certificates": []})).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(parse_revoked(&json!({})), Err(RevocationAnswerError::NoList));
        assert_eq!(
            parse_revoked(&json!({"revoked_certificates": "a"})),
            Err(RevocationAnswerError::NoList)
        );
        assert_eq!(
            parse_revoked(&json!({"revoked_certificates": [{"serial": "1"}]})),
            Err(RevocationAnswerError::BadEntry)
        );
        let long: Vec<Value> = (0..=MAX_ENTRIES)
            .map(|i| json!({"x5t#S256": i.to_string()}))
            .collect();
        assert_eq!(
            parse_revoked(&json!({ "revoked_certificates": long })),
            Err(RevocationAnswerError::TooLong)
        );
    }
}
