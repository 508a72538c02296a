//! No escalation through the clients resource: a client's metadata may
//! grant Config API scopes (`fiducia.*`, `scope.rs`) to the tokens of that
//! client, so a caller who could write any client could mint itself an
//! operators' client with every scope, or take over one (its keys or
//! certificate subject) or lock it out. A caller may therefore create,
//! change, disable, enable or delete a client only when every Config API
//! scope that client holds — before and after the change — is in the
//! caller's own token (RFC 6749 §3.3 scope tokens compared exactly); else
//! 403 with the scopes missing named (scope names are not secret).

use super::problem::{FieldError, Problem};
use super::scope::Scope;
use serde_json::Value;

/// The Config API scopes `metadata` grants: a `[[clients]]` entry's
/// `scopes` array, or a registration's (RFC 7591 §2 `scope` string or
/// its `scopes` array).
pub fn api_scopes_of(metadata: &Value) -> Vec<Scope> {
    let mut named: Vec<&str> = Vec::new();
    if let Some(items) = metadata.get("scopes").and_then(Value::as_array) {
        named.extend(items.iter().filter_map(Value::as_str));
    }
    if let Some(scope) = metadata.get("scope").and_then(Value::as_str) {
        named.extend(scope.split(' '));
    }
    Scope::ALL
        .into_iter()
        .filter(|scope| named.contains(&scope.as_str()))
        .collect()
}

/// Refuses (403) when `metadata` grants a Config API scope the caller's
/// `scope` claim lacks.
pub fn within_callers_scopes(caller_scope: &str, metadata: &Value) -> Result<(), Problem> {
    let missing: Vec<&str> = api_scopes_of(metadata)
        .into_iter()
        .filter(|scope| !scope.is_in(caller_scope))
        .map(Scope::as_str)
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(Problem::forbidden(
            format!(
                "the client holds Config API scopes your token does not: {}",
                missing.join(" ")
            ),
            vec![FieldError::member(
                "scopes",
                "a Config API scope the caller lacks",
            )],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_caller_grants_no_config_api_scope_it_lacks() {
        let writer = "fiducia.config.read fiducia.config.write";
        assert!(within_callers_scopes(writer, &json!({ "scopes": ["accounts", "openid"] })).is_ok());
        assert!(within_callers_scopes(writer, &json!({ "scopes": ["fiducia.config.read"] })).is_ok());
        assert!(within_callers_scopes(writer, &json!({})).is_ok());
        let refused =
            within_callers_scopes(writer, &json!({ "scopes": ["fiducia.keys.write"] })).unwrap_err();
        assert_eq!(refused.status, 403);
        assert!(refused.detail.unwrap().ends_with("fiducia.keys.write"));
        // A registration's RFC 7591 `scope` string counts too.
        assert!(within_callers_scopes(writer, &json!({ "scope": "openid fiducia.audit.read" })).is_err());
        assert!(
            within_callers_scopes(
                "fiducia.config.write fiducia.audit.read",
                &json!({ "scope": "fiducia.audit.read" })
            )
            .is_ok()
        );
    }
}
