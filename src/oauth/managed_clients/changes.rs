//! Which members of a client's metadata a change touched: the `changed`
//! list of its `config_changed` audit record. Names only, never values
//! (`store/audit/record.rs`: nothing secret, no key material, no URL).

use serde_json::{Map, Value};

/// The member names whose value differs between `before` and `after`
/// (either may lack a member), sorted.
pub fn changed_members(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|name| before.get(*name) != after.get(*name))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn names_added_removed_and_changed_members_only() {
        let before = object(json!({ "a": 1, "b": [1], "c": "x" }));
        let after = object(json!({ "a": 1, "b": [2], "d": null }));
        assert_eq!(changed_members(&before, &after), vec!["b", "c", "d"]);
        assert!(changed_members(&before, &before).is_empty());
    }
}
