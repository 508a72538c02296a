//! What a grant holds after a `merge` or a `replace` (Grant Management for
//! OAuth 2.0 §5.2): pure rules over the stored grant and what the customer
//! approved in the new authorization.
//!
//! - `replace`: exactly the new approval (§5.2: "only the permissions
//!   requested by the client and consented by the user").
//! - `merge`: the old permissions and the new ones (§5.2), so that
//!   - scopes are the union, the grant's first, in order, each once;
//!   - `authorization_details` (RFC 9396) are the grant's entries followed
//!     by the new entries that are not already there (equal JSON): RFC 9396
//!     §2 lets several entries of one type stand side by side, so two
//!     payments stay two;
//!   - `claims` (OIDC Core §5.5) are merged per target (`id_token`,
//!     `userinfo`): every claim requested before or now, the new request's
//!     entry winning where both name a claim (its `essential`, `value` or
//!     `verified_claims` constraints are the ones the customer just saw).
//!
//! Either way the grant keeps its id, client, customer and creation time
//! (the grant management endpoint's `created_at`, §6.4).

use super::records::Grant;
use serde_json::{Map, Value};

/// What the customer approved in the authorization that changes a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// Scopes.
    pub scopes: Vec<String>,
    /// RFC 9396 details as JSON text (an array).
    pub authorization_details: Option<String>,
    /// OIDC Core §5.5 claims request as JSON text.
    pub claims: Option<String>,
}

/// `grant` replaced by `approved` (§5.2 `replace`).
pub fn replaced(grant: &Grant, approved: Approved) -> Grant {
    Grant {
        client_id: grant.client_id.clone(),
        account_id: grant.account_id.clone(),
        scopes: approved.scopes,
        created: grant.created,
        authorization_details: approved.authorization_details,
        claims: approved.claims,
    }
}

/// `grant` merged with `approved` (§5.2 `merge`).
pub fn merged(grant: &Grant, approved: Approved) -> Grant {
    let mut scopes = grant.scopes.clone();
    for scope in approved.scopes {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Grant {
        client_id: grant.client_id.clone(),
        account_id: grant.account_id.clone(),
        scopes,
        created: grant.created,
        authorization_details: merged_details(
            grant.authorization_details.as_deref(),
            approved.authorization_details.as_deref(),
        ),
        claims: merged_claims(grant.claims.as_deref(), approved.claims.as_deref()),
    }
}

/// RFC 9396 arrays: the old entries, then the new ones not among them. A
/// stored text that is no array (never written so) counts as none.
fn merged_details(old: Option<&str>, new: Option<&str>) -> Option<String> {
    let array = |text: Option<&str>| match text.and_then(|t| serde_json::from_str::<Value>(t).ok()) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let mut items = array(old);
    for item in array(new) {
        if !items.contains(&item) {
            items.push(item);
        }
    }
    (!items.is_empty()).then(|| Value::Array(items).to_string())
}

/// OIDC Core §5.5 requests: per top-level member (`id_token`, `userinfo`),
/// the union of the claims, the new entry winning; a member that is not an
/// object in one of them is taken from the newer request.
fn merged_claims(old: Option<&str>, new: Option<&str>) -> Option<String> {
    let object = |text: Option<&str>| match text.and_then(|t| serde_json::from_str::<Value>(t).ok()) {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };
    let (old, new) = match (object(old), object(new)) {
        (None, None) => return None,
        (Some(only), None) | (None, Some(only)) => return Some(Value::Object(only).to_string()),
        (Some(old), Some(new)) => (old, new),
    };
    let mut out: Map<String, Value> = old;
    for (target, requested) in new {
        match (out.get_mut(&target), requested) {
            (Some(Value::Object(kept)), Value::Object(added)) => {
                for (claim, entry) in added {
                    kept.insert(claim, entry);
                }
            }
            (_, requested) => {
                out.insert(target, requested);
            }
        }
    }
    Some(Value::Object(out).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn grant() -> Grant {
        Grant {
            client_id: "c".into(),
            account_id: "acc-1".into(),
            scopes: vec!["openid".into(), "accounts".into()],
            created: 10,
            authorization_details: Some(
                json!([{"type": "account_information", "actions": ["read"]}]).to_string(),
            ),
            claims: Some(json!({"id_token": {"email": null}, "userinfo": {"name": null}}).to_string()),
        }
    }

    fn approved() -> Approved {
        Approved {
            scopes: vec!["openid".into(), "payments".into()],
            authorization_details: Some(
                json!([
                    {"type": "account_information", "actions": ["read"]},
                    {"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "1.00"}}
                ])
                .to_string(),
            ),
            claims: Some(
                json!({"id_token": {"email": {"essential": true}, "phone_number": null}}).to_string(),
            ),
        }
    }

    fn parsed(text: &Option<String>) -> Value {
        serde_json::from_str(text.as_deref().unwrap()).unwrap()
    }

    /// §5.2 merge: scopes are the union (each once), details the old ones
    /// and the new ones not already there, claims the union per target with
    /// the new entry winning; id, client and customer stay.
    #[test]
    fn merge_keeps_the_old_and_adds_the_new_grant_management_s5_2() {
        let merged = merged(&grant(), approved());
        assert_eq!(merged.scopes, ["openid", "accounts", "payments"]);
        assert_eq!(
            parsed(&merged.authorization_details),
            json!([
                {"type": "account_information", "actions": ["read"]},
                {"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "1.00"}}
            ])
        );
        assert_eq!(
            parsed(&merged.claims),
            json!({
                "id_token": {"email": {"essential": true}, "phone_number": null},
                "userinfo": {"name": null}
            })
        );
        assert_eq!(
            (merged.client_id.as_str(), merged.account_id.as_str()),
            ("c", "acc-1")
        );
        assert_eq!(merged.created, 10);
    }

    /// §5.2 merge with nothing new: the grant's own details and claims stay;
    /// with nothing old: the new ones.
    #[test]
    fn merge_with_an_empty_side_keeps_the_other() {
        let bare = Approved {
            scopes: vec!["openid".into()],
            authorization_details: None,
            claims: None,
        };
        let merged = merged(&grant(), bare);
        assert_eq!(
            merged.authorization_details,
            grant()
                .authorization_details
                .map(|t| parsed(&Some(t)).to_string())
        );
        assert_eq!(parsed(&merged.claims), parsed(&grant().claims));
        let empty = Grant {
            authorization_details: None,
            claims: None,
            ..grant()
        };
        let merged = super::merged(&empty, approved());
        assert_eq!(
            parsed(&merged.authorization_details),
            parsed(&approved().authorization_details)
        );
        assert_eq!(parsed(&merged.claims), parsed(&approved().claims));
    }

    /// §5.2 replace: only what was approved now.
    #[test]
    fn replace_keeps_only_the_new_approval_grant_management_s5_2() {
        let replaced = replaced(&grant(), approved());
        assert_eq!(replaced.scopes, ["openid", "payments"]);
        assert_eq!(replaced.authorization_details, approved().authorization_details);
        assert_eq!(replaced.claims, approved().claims);
        assert_eq!(
            (replaced.client_id.as_str(), replaced.account_id.as_str()),
            ("c", "acc-1")
        );
    }
}
