//! Delivering a stored `verification` through a request's [`Node`] tree
//! (IDA 1.0 §5.2-§5.6): only requested members, only entries that pass
//! the filters. Every requirement here is "within `verified_claims/
//! verification`", so a value, values or max_age that the stored data does
//! not meet makes the whole set undeliverable (IDA 1.0 §5.6.4: "the OP
//! shall omit the whole `verified_claims` element"): [`verification`]
//! returns `None` and the caller omits the set, with no error.

use super::element::ElementRequest;
use super::record::EvidenceType;
use super::shape::Table;
use super::standard_claims;
use super::verification_request::{EvidenceFilter, Members, Node};
use serde_json::{Map, Value};

/// What a projection needs besides the data: the time, and the claim names
/// the set asks for (what `derived_claims: null` may show).
pub struct Context<'a> {
    /// Unix seconds, for `max_age`.
    pub now: u64,
    /// The claims asked in the set's `claims`, already limited to the
    /// supported ones; `None` when `claims` was `null`.
    pub claim_names: Option<&'a [(String, ElementRequest)]>,
}

/// The delivered `verification`, or `None` when a filter fails.
pub fn verification(
    members: &Members,
    table: &'static Table,
    stored: &Map<String, Value>,
    cx: &Context<'_>,
) -> Option<Map<String, Value>> {
    object(members, table, stored, cx)
}

fn object(
    members: &Members,
    table: &'static Table,
    stored: &Map<String, Value>,
    cx: &Context<'_>,
) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for (name, node) in members {
        let value = stored.get(*name);
        if let Some(delivered) = member(node, value, cx)? {
            out.insert((*name).to_string(), delivered);
        }
    }
    // IDA 1.0 §5.6.1/§5.6.5: what is delivered must stay schema-valid, so
    // an object carries its required members whenever it is delivered.
    if !out.is_empty() {
        for required in table.required {
            if let Some(value) = stored.get(*required) {
                out.entry((*required).to_string())
                    .or_insert_with(|| value.clone());
            }
        }
    }
    Some(out)
}

/// `Some(Some(v))`: deliver `v`; `Some(None)`: nothing to deliver;
/// `None`: a filter failed.
fn member(node: &Node, stored: Option<&Value>, cx: &Context<'_>) -> Option<Option<Value>> {
    match node {
        Node::Leaf(element) => {
            if !element.accepts(stored, cx.now) {
                return None;
            }
            Some(stored.cloned())
        }
        Node::Whole => Some(stored.cloned()),
        Node::Object(table, members) => match stored.and_then(Value::as_object) {
            Some(map) => {
                let out = object(members, table, map, cx)?;
                Some((!out.is_empty()).then_some(Value::Object(out)))
            }
            None if node.constrains() => None,
            None => Some(None),
        },
        Node::Array(table, entries) => {
            let items = stored
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let delivered: Vec<Value> = items
                .iter()
                .filter_map(Value::as_object)
                .filter_map(|item| {
                    entries
                        .iter()
                        .find_map(|entry| object(entry, table, item, cx))
                        .filter(|out| !out.is_empty())
                        .map(Value::Object)
                })
                .collect();
            if delivered.is_empty() {
                return if node.constrains() { None } else { Some(None) };
            }
            Some(Some(Value::Array(delivered)))
        }
        Node::Evidence(filters) => {
            let items = stored
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let delivered: Vec<Value> = items
                .iter()
                .filter_map(Value::as_object)
                .filter_map(|item| evidence(filters, item, cx))
                .collect();
            // An evidence filter is a requirement within `verification`
            // (its type `value`): no matching evidence, no set.
            (!delivered.is_empty()).then_some(Some(Value::Array(delivered)))
        }
        Node::DerivedClaims(names) => Some(derived_claims(names.as_deref(), stored, cx)),
    }
}

/// IDA 1.0 §5.3: each filter entry selects evidence of its type; "if
/// multiple entries are present in `evidence`, these filters are linked by
/// a logical OR". The first entry an item passes shapes what is delivered.
fn evidence(filters: &[EvidenceFilter], item: &Map<String, Value>, cx: &Context<'_>) -> Option<Value> {
    let kind = item
        .get("type")
        .and_then(Value::as_str)
        .and_then(EvidenceType::from_name)?;
    filters.iter().filter(|f| f.kind == kind).find_map(|filter| {
        let mut out = object(&filter.members, kind.table(), item, cx)?;
        for required in kind.table().required {
            if let Some(value) = item.get(*required) {
                out.entry((*required).to_string())
                    .or_insert_with(|| value.clone());
            }
        }
        out.insert("type".into(), Value::String(kind.as_str().into()));
        Some(Value::Object(out))
    })
}

fn derived_claims(
    names: Option<&[(String, ElementRequest)]>,
    stored: Option<&Value>,
    cx: &Context<'_>,
) -> Option<Value> {
    let stored = stored?.as_object()?;
    let names = names.or(cx.claim_names)?;
    let out: Map<String, Value> = names
        .iter()
        .filter(|(name, _)| standard_claims::info(name).is_some_and(|c| c.verifiable))
        .filter(|(name, element)| element.accepts(stored.get(name), cx.now))
        .filter_map(|(name, _)| Some((name.clone(), stored.get(name)?.clone())))
        .collect();
    (!out.is_empty()).then_some(Value::Object(out))
}
