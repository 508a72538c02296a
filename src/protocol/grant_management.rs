//! Grant Management for OAuth 2.0 (FAPI WG, oauth-v2-grant-management-03)
//! request parameters: `grant_management_action` and `grant_id` in an
//! authorization request (§5.2), parsed into what they ask for.
//!
//! The rules (§5.2, §5.4; where the draft leaves a choice, ours):
//!
//! - `create` asks for a fresh grant; a `grant_id` with it is
//!   `invalid_request` (§5.2: the AS creates the grant and its id).
//! - `merge` and `replace` need the `grant_id` of an existing grant
//!   (§5.2); without one, `invalid_request` (§5.4).
//! - A `grant_id` without an action is `invalid_request`: the draft gives a
//!   bare `grant_id` no meaning, and guessing one (merge? replace?) would
//!   change a customer's grant in a way the client did not name.
//! - An action this OP does not know is `invalid_request` (§5.4).
//! - No action at all is a fresh grant, as before grant management, unless
//!   `grant_management_action_required` is set (§7.1), when it is
//!   `invalid_request` (§5.4).
//!
//! Whether the `grant_id` names a grant the client may change is the
//! store's question (`oauth::grant_management::request`).

use crate::protocol::error::OAuthError;
use serde::{Deserialize, Serialize};

/// The authorization request parameter naming the action (§5.2).
pub const ACTION_PARAM: &str = "grant_management_action";
/// The authorization request parameter naming the grant (§5.2), also the
/// token response member (§5.5).
pub const GRANT_ID_PARAM: &str = "grant_id";
/// §6.1: the scope that lets a client read its grants.
pub const QUERY_SCOPE: &str = "grant_management_query";
/// §6.1: the scope that lets a client revoke its grants.
pub const REVOKE_SCOPE: &str = "grant_management_revoke";
/// §7.1 `grant_management_actions_supported`: every action of §5.2 and
/// both operations of the grant management endpoint (§6.4, §6.5).
pub const ACTIONS_SUPPORTED: &[&str] = &["create", "merge", "replace", "query", "revoke"];

/// Longest `grant_id` accepted; the OP's own are 43 characters.
const MAX_GRANT_ID: usize = 128;

/// How an authorization request changes an existing grant (§5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GrantUpdate {
    /// The grant keeps what it had and gains what the customer approves now.
    Merge,
    /// The grant becomes exactly what the customer approves now.
    Replace,
}

impl GrantUpdate {
    /// The action's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GrantUpdate::Merge => "merge",
            GrantUpdate::Replace => "replace",
        }
    }
}

/// What an authorization request asks of grant management.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRequest {
    /// A fresh grant: `create`, or no action where none is required.
    Create,
    /// An existing grant, named by its id, changed by `update`.
    Update {
        /// Merge or replace.
        update: GrantUpdate,
        /// The grant, as the client sent it (bounded, URL-safe).
        grant_id: String,
    },
}

/// Parses `grant_management_action` and `grant_id` (§5.2, §5.4); `required`
/// is the OP's `grant_management_action_required` (§7.1).
pub fn parse(
    action: Option<&str>,
    grant_id: Option<&str>,
    required: bool,
) -> Result<GrantRequest, OAuthError> {
    let grant_id = grant_id.map(checked_grant_id).transpose()?;
    match (action, grant_id) {
        (None, None) if required => Err(OAuthError::invalid_request(
            "this OP requires grant_management_action in every authorization request (Grant Management §7.1)",
        )),
        (None, None) => Ok(GrantRequest::Create),
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "grant_id needs grant_management_action `merge` or `replace` (Grant Management §5.2)",
        )),
        (Some("create"), None) => Ok(GrantRequest::Create),
        (Some("create"), Some(_)) => Err(OAuthError::invalid_request(
            "grant_management_action `create` takes no grant_id (Grant Management §5.2)",
        )),
        (Some(name @ ("merge" | "replace")), grant_id) => {
            let update = if name == "merge" {
                GrantUpdate::Merge
            } else {
                GrantUpdate::Replace
            };
            let grant_id = grant_id.ok_or_else(|| {
                OAuthError::invalid_request(format!(
                    "grant_management_action `{name}` needs a grant_id (Grant Management §5.4)"
                ))
            })?;
            Ok(GrantRequest::Update { update, grant_id })
        }
        (Some(_), _) => Err(OAuthError::invalid_request(
            "unsupported grant_management_action (Grant Management §5.4)",
        )),
    }
}

/// A `grant_id` of 1 to 128 URL-safe characters (RFC 3986 §2.3 unreserved):
/// it becomes a path segment of the grant management endpoint (§6.3).
pub fn checked_grant_id(raw: &str) -> Result<String, OAuthError> {
    let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~');
    if raw.is_empty() || raw.len() > MAX_GRANT_ID || !raw.chars().all(unreserved) {
        return Err(OAuthError::invalid_request(
            "grant_id must be 1 to 128 unreserved characters (Grant Management §5.2)",
        ));
    }
    Ok(raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    fn refused(action: Option<&str>, grant_id: Option<&str>, required: bool) -> ErrorCode {
        parse(action, grant_id, required).unwrap_err().code
    }

    /// §5.2: `create` and no action give a fresh grant; `merge` and
    /// `replace` name the grant to change.
    #[test]
    fn actions_parse_grant_management_s5_2() {
        assert_eq!(parse(None, None, false).unwrap(), GrantRequest::Create);
        assert_eq!(parse(Some("create"), None, false).unwrap(), GrantRequest::Create);
        assert_eq!(
            parse(Some("merge"), Some("g-1"), false).unwrap(),
            GrantRequest::Update {
                update: GrantUpdate::Merge,
                grant_id: "g-1".into()
            }
        );
        assert_eq!(
            parse(Some("replace"), Some("g-1"), true).unwrap(),
            GrantRequest::Update {
                update: GrantUpdate::Replace,
                grant_id: "g-1".into()
            }
        );
    }

    /// §5.4: `invalid_request` for a missing or superfluous `grant_id`, an
    /// unknown action, a missing required action (§7.1), and a `grant_id`
    /// that could not be a path segment.
    #[test]
    fn malformed_requests_are_invalid_request_grant_management_s5_4() {
        for (action, grant_id, required) in [
            (Some("merge"), None, false),
            (Some("replace"), None, false),
            (Some("create"), Some("g-1"), false),
            (None, Some("g-1"), false),
            (Some("update"), Some("g-1"), false),
            (Some("MERGE"), Some("g-1"), false),
            (None, None, true),
            (Some("merge"), Some(""), false),
            (Some("merge"), Some("a/b"), false),
            (Some("merge"), Some("a b"), false),
        ] {
            assert_eq!(
                refused(action, grant_id, required),
                ErrorCode::InvalidRequest,
                "{action:?} {grant_id:?} {required}"
            );
        }
        let long = "g".repeat(MAX_GRANT_ID + 1);
        assert_eq!(
            refused(Some("merge"), Some(&long), false),
            ErrorCode::InvalidRequest
        );
        assert!(parse(Some("merge"), Some(&"g".repeat(MAX_GRANT_ID)), false).is_ok());
    }
}
