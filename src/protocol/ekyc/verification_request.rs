//! The `verification` member of a `verified_claims` request (IDA 1.0 §5.2,
//! §5.3), parsed against the tables in [`super::shape`] into a tree of
//! [`Node`]s the answer walks. Members not in the tables are ignored (IDA
//! Schema §5.4.2: "implementations shall ignore any sub-element not
//! defined"); a known member of the wrong form is `invalid_request`.

use super::element::{self, ElementKind, ElementRequest};
use super::limits::MAX_FILTER_ENTRIES;
use super::record::EvidenceType;
use super::shape::{self, Shape, Table};
use crate::protocol::error::OAuthError;
use serde_json::{Map, Value};

/// The requested members of one object, in table order.
pub type Members = Vec<(&'static str, Node)>;

/// One requested member.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A leaf element.
    Leaf(ElementRequest),
    /// An object or array asked for as `null`: delivered whole
    /// (IDA 1.0 §5.3: "the OP shall return the `assurance_details` element
    /// along with all sub-elements that it has").
    Whole,
    /// A nested object and its requested members.
    Object(&'static Table, Members),
    /// An array of objects: each stored entry is delivered through the
    /// first filter entry it matches; entries are OR-ed (IDA 1.0 §5.3).
    Array(&'static Table, Vec<Members>),
    /// `evidence`: filters by type, OR-ed (IDA 1.0 §5.3).
    Evidence(Vec<EvidenceFilter>),
    /// `derived_claims`: `None` for `null` (the claims the set asks for),
    /// else the named claims.
    DerivedClaims(Option<Vec<(String, ElementRequest)>>),
}

impl Node {
    /// Whether anything under this node restricts delivery (`value`,
    /// `values`, `max_age`, an evidence type).
    pub fn constrains(&self) -> bool {
        match self {
            Node::Leaf(e) => e.is_constraint(),
            Node::Whole | Node::DerivedClaims(_) => false,
            Node::Object(_, members) => members.iter().any(|(_, n)| n.constrains()),
            Node::Array(_, entries) => entries.iter().flatten().any(|(_, n)| n.constrains()),
            Node::Evidence(_) => true,
        }
    }
}

/// One `evidence` filter entry (IDA 1.0 §5.3): the type it selects and the
/// members it asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceFilter {
    /// `type.value`.
    pub kind: EvidenceType,
    /// The `type` element itself (`essential`, `purpose`).
    pub type_element: ElementRequest,
    /// The requested members for that type.
    pub members: Members,
}

/// Parses a `verification` request object at `at`.
pub fn parse(value: &Value, at: &str) -> Result<Members, OAuthError> {
    let map = value.as_object().ok_or_else(|| {
        OAuthError::invalid_request(format!(
            "`{at}` must be an object (IDA 1.0 §5.2, verified_claims_request.json)"
        ))
    })?;
    parse_members(map, &shape::VERIFICATION, at)
}

fn parse_members(map: &Map<String, Value>, table: &'static Table, at: &str) -> Result<Members, OAuthError> {
    for required in table.required_in_request {
        if !map.contains_key(*required) {
            return Err(OAuthError::invalid_request(format!(
                "`{at}` must name `{required}` (verified_claims_request.json)"
            )));
        }
    }
    let mut members = Vec::new();
    for (name, shape) in table.members {
        if let Some(value) = map.get(*name) {
            let here = format!("{at}.{name}");
            members.push((*name, parse_node(value, shape, &here)?));
        }
    }
    Ok(members)
}

fn parse_node(value: &Value, shape: &Shape, at: &str) -> Result<Node, OAuthError> {
    match (shape, value) {
        (Shape::Element(kind), _) => Ok(Node::Leaf(element::parse(value, *kind, at)?)),
        (Shape::Object(_) | Shape::Array(_), Value::Null) => Ok(Node::Whole),
        (Shape::Object(table), Value::Object(map)) => Ok(Node::Object(table, parse_members(map, table, at)?)),
        (Shape::Array(table), Value::Array(entries)) => {
            let entries = bounded_entries(entries, at)?;
            let parsed = entries
                .iter()
                .enumerate()
                .map(|(i, entry)| {
                    let here = format!("{at}[{i}]");
                    let map = entry.as_object().ok_or_else(|| must_be_object(&here))?;
                    parse_members(map, table, &here)
                })
                .collect::<Result<_, _>>()?;
            Ok(Node::Array(table, parsed))
        }
        (Shape::Evidence, Value::Array(entries)) => {
            let entries = bounded_entries(entries, at)?;
            let filters = entries
                .iter()
                .enumerate()
                .map(|(i, entry)| evidence_filter(entry, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?;
            Ok(Node::Evidence(filters))
        }
        (Shape::DerivedClaims, Value::Null) => Ok(Node::DerivedClaims(None)),
        (Shape::DerivedClaims, Value::Object(map)) => {
            Ok(Node::DerivedClaims(Some(element::claim_names(map, at)?)))
        }
        (Shape::Object(_), _) | (Shape::DerivedClaims, _) => Err(OAuthError::invalid_request(format!(
            "`{at}` must be null or an object (verified_claims_request.json)"
        ))),
        (Shape::Array(_), _) => Err(OAuthError::invalid_request(format!(
            "`{at}` must be null or an array of objects (IDA 1.0 §5.3)"
        ))),
        (Shape::Evidence, _) => Err(OAuthError::invalid_request(format!(
            "`{at}` must be an array of objects, each with a `type` (IDA 1.0 §5.3)"
        ))),
    }
}

fn bounded_entries<'a>(entries: &'a [Value], at: &str) -> Result<&'a [Value], OAuthError> {
    if entries.is_empty() || entries.len() > MAX_FILTER_ENTRIES {
        return Err(OAuthError::invalid_request(format!(
            "`{at}` must have 1 to {MAX_FILTER_ENTRIES} entries"
        )));
    }
    Ok(entries)
}

fn must_be_object(at: &str) -> OAuthError {
    OAuthError::invalid_request(format!("`{at}` must be an object"))
}

/// IDA 1.0 §5.3: "The RP therefore shall specify this type by including the
/// `type` field including a suitable `value` sub-element value. The `values`
/// sub-element shall not be used for the `evidence/type` field."
fn evidence_filter(entry: &Value, at: &str) -> Result<EvidenceFilter, OAuthError> {
    let map = entry.as_object().ok_or_else(|| must_be_object(at))?;
    let type_at = format!("{at}.type");
    let type_request = map.get("type").and_then(Value::as_object).ok_or_else(|| {
        OAuthError::invalid_request(format!(
            "`{type_at}` must be an object with a `value` (IDA 1.0 §5.3)"
        ))
    })?;
    if type_request.contains_key("values") {
        return Err(OAuthError::invalid_request(format!(
            "`{type_at}` must use `value`, not `values` (IDA 1.0 §5.3)"
        )));
    }
    let name = type_request.get("value").and_then(Value::as_str).ok_or_else(|| {
        OAuthError::invalid_request(format!(
            "`{type_at}.value` must name an evidence type (IDA 1.0 §5.3)"
        ))
    })?;
    let kind = EvidenceType::from_name(name).ok_or_else(|| {
        OAuthError::invalid_request(format!(
            "`{type_at}.value` `{name}` is not an evidence type (IDA Schema §5.4.4: document, \
             electronic_record, vouch, electronic_signature)"
        ))
    })?;
    let mut type_element = element::parse(
        &Value::Object(type_request.clone()),
        ElementKind::Simple,
        &type_at,
    )?;
    type_element.value = Some(Value::String(name.to_string()));
    Ok(EvidenceFilter {
        kind,
        type_element,
        members: parse_members(map, kind.table(), at)?,
    })
}
