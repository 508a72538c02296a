//! The policies by name, for the Config API's `/policies` routes and
//! `fiducia admin policies`: read every one or one (value, source,
//! revision, ETag), replace one whole (`If-Match` with its ETag: RFC 9110
//! §13.1.1, 412 on a stale one, 428 without), reset one to the file's.
//! Each write is one `LiveSections::write`: document, generation and
//! `config_changed` record (the member names that changed) together.

use super::validate::{self, object};
use super::{FapiPolicy, Policy, RegistrationPolicy, TokenPolicy};
use crate::oauth::live_sections::etag::if_match_matches;
use crate::oauth::live_sections::{Current, Decision, LiveSections, Section, SectionError, Source};
use crate::oauth::managed_clients::changes::changed_members;
use crate::store::audit::Change;
use serde::Serialize;
use serde_json::Value;

/// A policy's name in the API's paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyName {
    /// `tokens`.
    Tokens,
    /// `fapi`.
    Fapi,
    /// `registration`.
    Registration,
}

impl PolicyName {
    /// Every policy, in the order listed.
    pub const ALL: [PolicyName; 3] = [Self::Tokens, Self::Fapi, Self::Registration];

    /// The policy named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tokens => TokenPolicy::NAME,
            Self::Fapi => FapiPolicy::NAME,
            Self::Registration => RegistrationPolicy::NAME,
        }
    }
}

/// One policy as read.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    /// Its name.
    pub name: &'static str,
    /// `file`, or `store` once an operator wrote it.
    pub source: Source,
    /// Its document's revision (0: never written).
    pub revision: u64,
    /// Its strong ETag (RFC 9110 §8.8.3), for `If-Match`.
    pub etag: String,
    /// The value as the store holds it (what the nodes run).
    pub value: Value,
    /// Members of the file's table not changeable live.
    pub fixed: Vec<&'static str>,
}

fn view<P: Policy>(current: &Current<P>) -> PolicyView {
    PolicyView {
        name: P::NAME,
        source: current.source,
        revision: current.revision,
        etag: current.etag(),
        value: Value::Object(object(&current.value)),
        fixed: P::FIXED.iter().map(|(name, _)| *name).collect(),
    }
}

/// Every policy.
pub async fn list(sections: &LiveSections) -> Result<Vec<PolicyView>, SectionError> {
    let mut views = Vec::new();
    for name in PolicyName::ALL {
        views.push(get(sections, name).await?);
    }
    Ok(views)
}

/// One policy.
pub async fn get(sections: &LiveSections, name: PolicyName) -> Result<PolicyView, SectionError> {
    match name {
        PolicyName::Tokens => get_of::<TokenPolicy>(sections).await,
        PolicyName::Fapi => get_of::<FapiPolicy>(sections).await,
        PolicyName::Registration => get_of::<RegistrationPolicy>(sections).await,
    }
}

/// Replaces policy `name` with `body` when `if_match` names its ETag.
pub async fn update(
    sections: &LiveSections,
    name: PolicyName,
    operator: &str,
    if_match: Option<&str>,
    body: &Value,
) -> Result<PolicyView, SectionError> {
    match name {
        PolicyName::Tokens => update_of::<TokenPolicy>(sections, operator, if_match, body).await,
        PolicyName::Fapi => update_of::<FapiPolicy>(sections, operator, if_match, body).await,
        PolicyName::Registration => update_of::<RegistrationPolicy>(sections, operator, if_match, body).await,
    }
}

/// Puts the file's policy `name` back in force when `if_match` names its ETag.
pub async fn reset(
    sections: &LiveSections,
    name: PolicyName,
    operator: &str,
    if_match: Option<&str>,
) -> Result<PolicyView, SectionError> {
    match name {
        PolicyName::Tokens => Ok(view(&sections.reset::<TokenPolicy>(operator, if_match).await?)),
        PolicyName::Fapi => Ok(view(&sections.reset::<FapiPolicy>(operator, if_match).await?)),
        PolicyName::Registration => Ok(view(
            &sections.reset::<RegistrationPolicy>(operator, if_match).await?,
        )),
    }
}

/// The members of policy `name`'s value (the file's, as an object).
pub fn members(name: PolicyName) -> Value {
    let file = crate::config::Config::default();
    match name {
        PolicyName::Tokens => Value::Object(object(&TokenPolicy::of(&file))),
        PolicyName::Fapi => Value::Object(object(&FapiPolicy::of(&file))),
        PolicyName::Registration => Value::Object(object(&RegistrationPolicy::of(&file))),
    }
}

/// Whether `field` of a problem of policy `name` is a member of its body
/// (`client_limits.0.burst`), not another section's (`tls.client_ca`).
pub fn in_body(name: PolicyName, field: &str, members: &Value) -> bool {
    let first = field.split('.').next().unwrap_or(field);
    let fixed = match name {
        PolicyName::Tokens => TokenPolicy::FIXED,
        PolicyName::Fapi => FapiPolicy::FIXED,
        PolicyName::Registration => RegistrationPolicy::FIXED,
    };
    members.get(first).is_some() || fixed.iter().any(|(f, _)| *f == first)
}

async fn get_of<P: Policy>(sections: &LiveSections) -> Result<PolicyView, SectionError> {
    Ok(view(&sections.read::<P>().await?))
}

async fn update_of<P: Policy>(
    sections: &LiveSections,
    operator: &str,
    if_match: Option<&str>,
    body: &Value,
) -> Result<PolicyView, SectionError> {
    let if_match = if_match.ok_or(SectionError::PreconditionRequired)?;
    let file = P::of(sections.file());
    let written = sections
        .write::<P, _>(operator, |current, base| {
            // RFC 9110 §13.2.2: the precondition before anything else.
            let etag = current.etag();
            if !if_match_matches(if_match, &etag) {
                return Err(SectionError::PreconditionFailed { current: etag });
            }
            let value =
                validate::body::<P>(base, &file, &current.value, body).map_err(SectionError::Invalid)?;
            let changed = changed_members(&object(&current.value), &object(&value));
            if changed.is_empty() {
                return Ok(Decision::Unchanged);
            }
            Ok(Decision::Write {
                value: Some(value),
                targets: Vec::new(),
                changed: changed.iter().map(|m| Change::member(m)).collect(),
            })
        })
        .await?;
    Ok(view(&written))
}
