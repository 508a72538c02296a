//! A policy value written through the API (`PUT /policies/{name}`),
//! checked as the start-up checks check the file (`config::problems` over
//! the configuration it would make, `live_sections::validate`), plus the
//! policy's own rules ([`Section::api_problems`], [`Policy::file_problems`]).
//! A `PUT` replaces the whole policy, so every member is required. Each
//! given member's type is tried alone; then the checks run on the value,
//! and again with each member found bad put back to the value in force
//! (a check stops at its first failure), so that each bad member gets its
//! own problem with the start-up check's message. A message says what was
//! expected, never the value given.

use super::Policy;
use crate::config::Config;
use crate::oauth::live_sections::FieldProblem;
use crate::oauth::live_sections::validate::section_problems;
use serde_json::{Map, Value};

/// The value `body` describes, or every problem with it (`base`: the file
/// with every section as this node runs them; `file`: the file's value of
/// the policy; `current`: the value in force).
pub fn body<P: Policy>(
    base: &Config,
    file: &P::Value,
    current: &P::Value,
    body: &Value,
) -> Result<P::Value, Vec<FieldProblem>> {
    let Value::Object(given) = body else {
        return Err(vec![FieldProblem::new(
            "",
            format!("the body must be a JSON object: the {} policy's members", P::NAME),
        )]);
    };
    let in_force = object(current);
    let mut problems = Vec::new();
    let mut names: Vec<&String> = given.keys().collect();
    names.sort();
    for name in &names {
        if let Some((_, why)) = P::FIXED.iter().find(|(fixed, _)| fixed == name) {
            problems.push(FieldProblem::new(name.as_str(), *why));
        } else if !in_force.contains_key(name.as_str()) {
            problems.push(FieldProblem::new(
                name.as_str(),
                format!("is not a member of the {} policy", P::NAME),
            ));
        }
    }
    for name in in_force.keys() {
        if !given.contains_key(name) {
            problems.push(FieldProblem::new(
                name.as_str(),
                "is required: a PUT replaces the whole policy (GET it, change it, PUT it back)",
            ));
        }
    }
    // Each member's type alone over the value in force; the well-typed
    // ones make the candidate (a bad or missing one keeps the value in force).
    let mut candidate = in_force.clone();
    for name in names.iter().filter(|n| in_force.contains_key(n.as_str())) {
        let member = given.get(*name).cloned().unwrap_or(Value::Null);
        let mut one = in_force.clone();
        one.insert((*name).clone(), member.clone());
        match serde_json::from_value::<P::Value>(Value::Object(one)) {
            Err(error) => problems.push(FieldProblem::new(name.as_str(), expected(&error))),
            Ok(_) => {
                candidate.insert((*name).clone(), member);
            }
        }
    }
    // The checks on the candidate. A check stops at its first failure, so
    // each member found bad goes back to the value in force and the checks
    // run again, until no new problem appears: every bad member gets its
    // own problem, a combination (FAPI 2.0 without PAR) one.
    loop {
        let Ok(value) = serde_json::from_value::<P::Value>(Value::Object(candidate.clone())) else {
            problems.push(FieldProblem::new("", format!("not a valid {} policy", P::NAME)));
            break;
        };
        let fresh: Vec<FieldProblem> = checked::<P>(base, file, current, &value)
            .into_iter()
            .filter(|p| !has(&problems, &p.field))
            .collect();
        if fresh.is_empty() {
            match problems.is_empty() {
                true => return Ok(value),
                false => break,
            }
        }
        // The policy's own members first: what they break elsewhere
        // (`consents.retention_secs`) counts only if it outlasts them.
        let own = fresh.iter().any(|p| in_force.contains_key(member(&p.field)));
        for found in fresh {
            let name = member(&found.field).to_string();
            match in_force.get(&name) {
                Some(kept) => {
                    candidate.insert(name, kept.clone());
                }
                None if own => continue,
                None => {}
            }
            if !has(&problems, &found.field) {
                problems.push(found);
            }
        }
    }
    problems.sort_by(|a, b| a.field.cmp(&b.field));
    Err(problems)
}

/// Every problem of running `value`: the start-up checks' (a field of the
/// policy named relative to it, `client_limits.0.burst`; another section's
/// by its whole dotted name) and the policy's own rules.
fn checked<P: Policy>(
    base: &Config,
    file: &P::Value,
    current: &P::Value,
    value: &P::Value,
) -> Vec<FieldProblem> {
    let prefix = format!("{}.", P::PATH);
    let mut found: Vec<FieldProblem> = section_problems::<P>(base, value)
        .into_iter()
        .map(|p| match p.field.strip_prefix(&prefix) {
            Some(relative) => FieldProblem::new(relative, p.message),
            None => p,
        })
        .collect();
    found.extend(P::api_problems(current, value));
    found.extend(P::file_problems(file, value));
    found
}

/// The top-level member a relative field names (`client_limits.0.burst`:
/// `client_limits`).
fn member(field: &str) -> &str {
    field.split('.').next().unwrap_or(field)
}

fn has(problems: &[FieldProblem], field: &str) -> bool {
    problems.iter().any(|p| p.field == field)
}

/// serde's text from "expected" on: what the member should be, never the
/// value given.
fn expected(error: &serde_json::Error) -> String {
    let text = error.to_string();
    text.split_once("expected ")
        .map_or("has a value of the wrong type".to_string(), |(_, what)| {
            let what = what.split(" at line ").next().unwrap_or(what);
            format!("expected {what}")
        })
}

/// `value` as a JSON object.
pub fn object<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}
