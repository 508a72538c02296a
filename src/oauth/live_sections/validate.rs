//! A section value written through the API, checked with the rules
//! start-up applies to the file (`config::problems`: every named check of
//! `config/checks.rs`, the section's own among them) on the configuration
//! it would make, plus the section's API rules
//! ([`Section::api_problems`]). An item of a list section is checked one
//! member at a time (each given member in an otherwise valid template
//! item) and then whole, so that each bad member gets its own problem with
//! the start-up check's message, never its value.

use super::section::{FieldProblem, ListSection, Section};
use crate::config::Config;
use serde_json::{Map, Value};

/// The problems of running `value` as section `S` over `base` (the file
/// with every section as this node runs them).
pub fn section_problems<S: Section>(base: &Config, value: &S::Value) -> Vec<FieldProblem> {
    let mut candidate = base.clone();
    S::set(&mut candidate, value.clone());
    crate::config::problems(&candidate)
        .into_iter()
        .map(|e| FieldProblem::new(e.field, e.message))
        .collect()
}

/// The item a body describes, or every problem with it. `position`: where
/// it goes in `items` (an update's index, or `None`: appended); `path_key`:
/// the key the request's path names (an update: a key member must then
/// be the same).
pub fn item<S: ListSection>(
    base: &Config,
    items: &[S::Item],
    position: Option<usize>,
    body: &Value,
    path_key: Option<&str>,
) -> Result<S::Item, Vec<FieldProblem>> {
    let Value::Object(given) = body else {
        return Err(vec![FieldProblem::new(
            "",
            format!("the body must be a JSON object: a {}", S::ITEM),
        )]);
    };
    let mut given = given.clone();
    if let Some(key) = path_key {
        match given.get(S::KEY) {
            None => {
                given.insert(S::KEY.into(), Value::String(key.to_string()));
            }
            Some(Value::String(named)) if named == key => {}
            Some(_) => {
                return Err(vec![FieldProblem::new(
                    S::KEY,
                    format!(
                        "must be the {} of the {} being updated (it never changes)",
                        S::KEY,
                        S::ITEM
                    ),
                )]);
            }
        }
    }
    let problems = member_problems::<S>(&given);
    if !problems.is_empty() {
        return Err(problems);
    }
    let Ok(item) = serde_json::from_value::<S::Item>(Value::Object(given.clone())) else {
        return Err(vec![FieldProblem::new("", format!("not a valid {}", S::ITEM))]);
    };
    let mut problems: Vec<FieldProblem> = Vec::new();
    let template = S::template();
    let mut names: Vec<&String> = given.keys().collect();
    names.sort();
    // Each member alone: the problems the start-up checks find with it.
    for name in names {
        let mut one = template.clone();
        one.insert(name.clone(), given.get(name).cloned().unwrap_or(Value::Null));
        let Ok(alone) = serde_json::from_value::<S::Item>(Value::Object(one)) else {
            continue;
        };
        for found in checked::<S>(base, items, position, &alone) {
            if found.field == *name && !problems.iter().any(|p| p.field == found.field) {
                problems.push(found);
            }
        }
    }
    // The whole item: what only a combination of members breaks, and what
    // it breaks elsewhere in the configuration.
    for found in checked::<S>(base, items, position, &item) {
        if !problems.iter().any(|p| p.field == found.field) {
            problems.push(found);
        }
    }
    let before = S::value_of(items.to_vec());
    let after = S::value_of(placed::<S>(items, position, &item));
    for found in S::api_problems(&before, &after) {
        if !problems.iter().any(|p| p.field == found.field) {
            problems.push(found);
        }
    }
    match problems.is_empty() {
        true => Ok(item),
        false => Err(problems),
    }
}

/// `items` with `item` at `position` (or appended).
fn placed<S: ListSection>(items: &[S::Item], position: Option<usize>, item: &S::Item) -> Vec<S::Item> {
    let mut list = items.to_vec();
    match position {
        Some(i) if i < list.len() => list[i] = item.clone(),
        _ => list.push(item.clone()),
    }
    list
}

/// The start-up problems of the configuration with `item` placed, a
/// problem of this item named by its member alone.
fn checked<S: ListSection>(
    base: &Config,
    items: &[S::Item],
    position: Option<usize>,
    item: &S::Item,
) -> Vec<FieldProblem> {
    let value = S::value_of(placed::<S>(items, position, item));
    let prefix = format!("{}.{}.", S::PATH, S::key(item));
    section_problems::<S>(base, &value)
        .into_iter()
        .map(|p| match p.field.strip_prefix(&prefix) {
            Some(member) => FieldProblem::new(member, p.message),
            None => p,
        })
        .collect()
}

/// Unknown, missing and ill-typed members, each on its own: a member is
/// tried in the template, so its problem is its own. The message says what
/// was expected (serde's text after "expected"), never the value given.
fn member_problems<S: ListSection>(given: &Map<String, Value>) -> Vec<FieldProblem> {
    let base = S::template();
    let known: Vec<String> = match serde_json::from_value::<S::Item>(Value::Object(base.clone()))
        .ok()
        .and_then(|item| serde_json::to_value(item).ok())
    {
        Some(Value::Object(all)) => all.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let mut problems = Vec::new();
    for name in &known {
        let mut without = base.clone();
        without.remove(name);
        let required = serde_json::from_value::<S::Item>(Value::Object(without)).is_err();
        if required && !given.contains_key(name) {
            problems.push(FieldProblem::new(name.clone(), "is required"));
        }
    }
    let mut names: Vec<&String> = given.keys().collect();
    names.sort();
    for name in names {
        if !known.iter().any(|k| k == name) {
            problems.push(FieldProblem::new(
                name.clone(),
                format!("is not a member of a {}", S::ITEM),
            ));
            continue;
        }
        let mut one = base.clone();
        one.insert(name.clone(), given.get(name).cloned().unwrap_or(Value::Null));
        if let Err(error) = serde_json::from_value::<S::Item>(Value::Object(one)) {
            let text = error.to_string();
            let expected = text
                .split_once("expected ")
                .map_or("has a value of the wrong type".to_string(), |(_, what)| {
                    format!("expected {what}")
                });
            problems.push(FieldProblem::new(name.clone(), expected));
        }
    }
    problems
}
