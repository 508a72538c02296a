//! Checking a customer's verified claim sets before they are stored (what
//! `fiducia users import` runs per line): the schema's rules (OpenID
//! Identity Assurance Schema Definition 1.0 §5 and `verified_claims.json`:
//! required members, types, evidence types, non-empty arrays) and this
//! OP's own: dates and times are RFC 3339 (times in UTC), every string is non-empty and
//! bounded, counts are bounded ([`super::limits`]), identifiers are the
//! ones discovery advertises ([`super::discovery`]), claims are ones this
//! OP knows with their types ([`super::standard_claims`]), an
//! `evidence_ref` names a `check_id` the set has (Schema §5.4.2), and
//! `derived_claims` only hold claims the set's `claims` has (§5.4.4.2).
//! Every problem is reported with its JSON path.

use super::dates;
use super::discovery;
use super::limits::{MAX_STORED_ARRAY, MAX_STORED_BYTES, MAX_STORED_CLAIMS, MAX_STORED_SETS, MAX_TEXT_CHARS};
use super::record::{CheckDetail, Evidence, VerifiedClaims};
use super::standard_claims;
use serde_json::{Map, Value};
use std::fmt;

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path, e.g. `verified_claims[0].verification.evidence[1].document_details.type`.
    pub path: String,
    /// What is wrong there.
    pub problem: String,
}

/// Every problem found in a record's verified claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError(pub Vec<FieldError>);

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.path, e.problem)?;
        }
        Ok(())
    }
}

impl std::error::Error for RecordError {}

const ROOT: &str = "verified_claims";

/// Checks `value` (one set or an array of sets) and returns the sets.
pub fn verified_claims(value: &Value) -> Result<Vec<VerifiedClaims>, RecordError> {
    let mut errors = Vec::new();
    if serde_json::to_string(value).map_or(true, |t| t.len() > MAX_STORED_BYTES) {
        return Err(one(ROOT, format!("is larger than {MAX_STORED_BYTES} bytes")));
    }
    let items: Vec<&Value> = match value {
        Value::Array(items) if !items.is_empty() && items.len() <= MAX_STORED_SETS => items.iter().collect(),
        Value::Object(_) => vec![value],
        _ => {
            return Err(one(
                ROOT,
                format!("must be an object or an array of 1 to {MAX_STORED_SETS} objects (Schema §5.2)"),
            ));
        }
    };
    let mut sets = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("{ROOT}[{i}]");
        check_strings(item, &at, &mut errors);
        check_no_attachments(item, &at, &mut errors);
        match serde_path_to_error::deserialize::<_, VerifiedClaims>(item) {
            Ok(set) => {
                check_set(&set, &at, &mut errors);
                sets.push(set);
            }
            Err(e) => errors.push(FieldError {
                path: join(&at, &e.path().to_string()),
                problem: e.into_inner().to_string(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(sets)
    } else {
        Err(RecordError(errors))
    }
}

/// [`verified_claims`] of JSON text.
pub fn verified_claims_text(text: &str) -> Result<Vec<VerifiedClaims>, RecordError> {
    if text.len() > MAX_STORED_BYTES {
        return Err(one(ROOT, format!("is larger than {MAX_STORED_BYTES} bytes")));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| one(ROOT, format!("is not JSON: {e}")))?;
    verified_claims(&value)
}

/// Checks a record's standard claims (OIDC Core §5.1, IDA Claims §3.1):
/// known names with their types.
pub fn standard_claims(claims: &Map<String, Value>) -> Result<(), RecordError> {
    let mut errors = Vec::new();
    check_claims(claims, "claims", false, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RecordError(errors))
    }
}

fn one(path: &str, problem: String) -> RecordError {
    RecordError(vec![FieldError {
        path: path.to_string(),
        problem,
    }])
}

pub(super) fn join(at: &str, path: &str) -> String {
    if path.is_empty() || path == "." {
        at.to_string()
    } else if path.starts_with('[') {
        format!("{at}{path}")
    } else {
        format!("{at}.{path}")
    }
}

fn push(errors: &mut Vec<FieldError>, path: String, problem: impl Into<String>) {
    errors.push(FieldError {
        path,
        problem: problem.into(),
    });
}

/// Every string non-empty and at most [`MAX_TEXT_CHARS`] characters.
fn check_strings(value: &Value, at: &str, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(s) if s.is_empty() => push(errors, at.to_string(), "must not be empty"),
        Value::String(s) if s.chars().count() > MAX_TEXT_CHARS => push(
            errors,
            at.to_string(),
            format!("is longer than {MAX_TEXT_CHARS} characters"),
        ),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| check_strings(v, &format!("{at}[{i}]"), errors)),
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| check_strings(v, &format!("{at}.{k}"), errors)),
        _ => {}
    }
}

fn check_no_attachments(set: &Value, at: &str, errors: &mut Vec<FieldError>) {
    let evidence = set
        .pointer("/verification/evidence")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, item) in evidence.iter().enumerate() {
        if item.get("attachments").is_some() {
            push(
                errors,
                format!("{at}.verification.evidence[{i}].attachments"),
                "attachments are not kept by this OP: describe the evidence, do not copy it",
            );
        }
    }
}

fn check_set(set: &VerifiedClaims, at: &str, errors: &mut Vec<FieldError>) {
    let v = &set.verification;
    let vat = format!("{at}.verification");
    if !discovery::TRUST_FRAMEWORKS_SUPPORTED.contains(&v.trust_framework.as_str()) {
        push(
            errors,
            format!("{vat}.trust_framework"),
            format!(
                "`{}` is not one of {:?}",
                v.trust_framework,
                discovery::TRUST_FRAMEWORKS_SUPPORTED
            ),
        );
    }
    if let Some(level) = &v.assurance_level {
        let levels = discovery::assurance_levels(&v.trust_framework);
        if !levels.is_empty() && !levels.contains(&level.as_str()) {
            push(
                errors,
                format!("{vat}.assurance_level"),
                format!("`{level}` is not a level of `{}`: {levels:?}", v.trust_framework),
            );
        }
    }
    date_time(v.time.as_deref(), &format!("{vat}.time"), errors);
    let check_ids: Vec<&str> = v
        .evidence
        .iter()
        .flatten()
        .flat_map(Evidence::check_details)
        .filter_map(|c| c.check_id.as_deref())
        .collect();
    if let Some(process) = &v.assurance_process {
        let pat = format!("{vat}.assurance_process");
        if let Some(details) = &process.assurance_details {
            bounded_array(details.len(), &format!("{pat}.assurance_details"), errors);
            for (i, d) in details.iter().enumerate() {
                let Some(refs) = &d.evidence_ref else { continue };
                let rat = format!("{pat}.assurance_details[{i}].evidence_ref");
                bounded_array(refs.len(), &rat, errors);
                for (j, r) in refs.iter().enumerate() {
                    if !check_ids.contains(&r.check_id.as_str()) {
                        push(
                            errors,
                            format!("{rat}[{j}].check_id"),
                            format!(
                                "`{}` is no check_id of this set's check_details (Schema §5.4.2)",
                                r.check_id
                            ),
                        );
                    }
                }
            }
        }
    }
    if let Some(evidence) = &v.evidence {
        bounded_array(evidence.len(), &format!("{vat}.evidence"), errors);
        for (i, e) in evidence.iter().enumerate() {
            check_evidence(e, &set.claims, &format!("{vat}.evidence[{i}]"), errors);
        }
    }
    check_claims(&set.claims, &format!("{at}.claims"), true, errors);
}

fn check_evidence(e: &Evidence, claims: &Map<String, Value>, at: &str, errors: &mut Vec<FieldError>) {
    match e {
        Evidence::Document(d) => {
            check_details(
                d.check_details.as_deref(),
                discovery::DOCUMENTS_CHECK_METHODS_SUPPORTED,
                at,
                errors,
            );
            if let Some(doc) = &d.document_details {
                let dat = format!("{at}.document_details");
                one_of(
                    &doc.kind,
                    discovery::DOCUMENTS_SUPPORTED,
                    &format!("{dat}.type"),
                    errors,
                );
                full_date(
                    doc.date_of_issuance.as_deref(),
                    &format!("{dat}.date_of_issuance"),
                    errors,
                );
                full_date(
                    doc.date_of_expiry.as_deref(),
                    &format!("{dat}.date_of_expiry"),
                    errors,
                );
            }
        }
        Evidence::ElectronicRecord(r) => {
            check_details(
                r.check_details.as_deref(),
                discovery::ELECTRONIC_RECORDS_CHECK_METHODS,
                at,
                errors,
            );
            if let Some(record) = &r.record {
                let rat = format!("{at}.record");
                one_of(
                    &record.kind,
                    discovery::ELECTRONIC_RECORDS_SUPPORTED,
                    &format!("{rat}.type"),
                    errors,
                );
                date_time(record.created_at.as_deref(), &format!("{rat}.created_at"), errors);
                full_date(
                    record.date_of_expiry.as_deref(),
                    &format!("{rat}.date_of_expiry"),
                    errors,
                );
            }
        }
        Evidence::Vouch(v) => {
            check_details(
                v.check_details.as_deref(),
                discovery::VOUCH_CHECK_METHODS,
                at,
                errors,
            );
            if let Some(a) = &v.attestation {
                let aat = format!("{at}.attestation");
                one_of(
                    &a.kind,
                    discovery::ATTESTATIONS_SUPPORTED,
                    &format!("{aat}.type"),
                    errors,
                );
                full_date(
                    a.date_of_issuance.as_deref(),
                    &format!("{aat}.date_of_issuance"),
                    errors,
                );
                full_date(
                    a.date_of_expiry.as_deref(),
                    &format!("{aat}.date_of_expiry"),
                    errors,
                );
                let birthdate = a.voucher.as_ref().and_then(|v| v.birthdate.as_deref());
                full_date(birthdate, &format!("{aat}.voucher.birthdate"), errors);
            }
        }
        Evidence::ElectronicSignature(s) => {
            date_time(s.created_at.as_deref(), &format!("{at}.created_at"), errors);
        }
    }
    if let Some(derived) = e.derived_claims() {
        let dat = format!("{at}.derived_claims");
        if derived.is_empty() {
            push(
                errors,
                dat.clone(),
                "must not be empty when present (Schema §5.4.4.2)",
            );
        }
        check_claims(derived, &dat, true, errors);
        for name in derived.keys() {
            if !claims.contains_key(name) {
                push(
                    errors,
                    format!("{dat}.{name}"),
                    "has no corresponding claim in the set's `claims` (Schema §5.4.4.2)",
                );
            }
        }
    }
}

fn check_details(checks: Option<&[CheckDetail]>, methods: &[&str], at: &str, errors: &mut Vec<FieldError>) {
    let Some(checks) = checks else { return };
    let cat = format!("{at}.check_details");
    if checks.is_empty() {
        push(
            errors,
            cat.clone(),
            "must have at least one entry when present (Schema §5.4.4.2)",
        );
    }
    bounded_array(checks.len(), &cat, errors);
    for (i, c) in checks.iter().enumerate() {
        one_of(
            &c.check_method,
            methods,
            &format!("{cat}[{i}].check_method"),
            errors,
        );
        date_time(c.time.as_deref(), &format!("{cat}[{i}].time"), errors);
    }
}

fn check_claims(claims: &Map<String, Value>, at: &str, verified: bool, errors: &mut Vec<FieldError>) {
    if claims.len() > MAX_STORED_CLAIMS {
        push(
            errors,
            at.to_string(),
            format!("has more than {MAX_STORED_CLAIMS} claims"),
        );
    }
    for (name, value) in claims {
        let here = format!("{at}.{name}");
        match standard_claims::info(name) {
            None => push(
                errors,
                here,
                "is not a claim this OP knows (OIDC Core §5.1, IDA Claims §3.1)",
            ),
            Some(info) if verified && !info.verifiable => push(
                errors,
                here,
                "is not in claims_in_verified_claims_supported (IDA 1.0 §7)",
            ),
            Some(info) => {
                if let Some(problem) = standard_claims::type_problem(info.kind, value) {
                    push(errors, here, problem);
                }
            }
        }
    }
}

fn bounded_array(len: usize, at: &str, errors: &mut Vec<FieldError>) {
    if len == 0 || len > MAX_STORED_ARRAY {
        push(
            errors,
            at.to_string(),
            format!("must have 1 to {MAX_STORED_ARRAY} entries"),
        );
    }
}

fn one_of(value: &str, allowed: &[&str], at: &str, errors: &mut Vec<FieldError>) {
    if !allowed.contains(&value) {
        push(
            errors,
            at.to_string(),
            format!("`{value}` is not one of {allowed:?}"),
        );
    }
}

/// RFC 3339, in UTC (IDA 1.0 §8: an offset can reveal a location).
fn date_time(value: Option<&str>, at: &str, errors: &mut Vec<FieldError>) {
    let Some(v) = value else { return };
    if dates::date_time(v).is_none() {
        push(
            errors,
            at.to_string(),
            format!("`{v}` is not an RFC 3339 date-time"),
        );
    } else if !dates::is_utc(v) {
        push(
            errors,
            at.to_string(),
            format!("`{v}` must be in UTC (IDA 1.0 §8)"),
        );
    }
}

fn full_date(value: Option<&str>, at: &str, errors: &mut Vec<FieldError>) {
    if let Some(v) = value.filter(|v| dates::full_date(v).is_none()) {
        push(
            errors,
            at.to_string(),
            format!("`{v}` is not an RFC 3339 full-date (YYYY-MM-DD)"),
        );
    }
}
