//! The answer to a `claims` request for one of `userinfo` / `id_token`:
//! exactly what was requested and matched, from a customer's standard
//! claims and verified claim sets. Pure; `now` is a parameter (for
//! `max_age`).
//!
//! Rules (OpenID Connect for Identity Assurance 1.0):
//! - §5.5: each `verified_claims` request object is processed on its own;
//!   every stored set meeting its requirements is delivered, so a set may
//!   appear once per request object it satisfies.
//! - §5.6.2: claims the customer does not have are omitted; §7: claims not
//!   in `claims_in_verified_claims_supported` are never delivered inside
//!   `verified_claims`.
//! - §5.6.4: a `value` / `values` / `max_age` not met within `verification`
//!   omits that set; on a claim, omits that claim. Never an error.
//! - §5.6.5: a set whose requested claims are all omitted is omitted (an
//!   empty `claims` is delivered only when the request's `claims` is null).
//! - Form: a request array is answered with an array; a single request
//!   object with an object when one set matched and an array when several
//!   did (Schema §5.2 allows either). Nothing matched: no `verified_claims`.
//! - Plain claims (OIDC Core §5.5): the standard claims the customer has,
//!   honouring `value` / `values`; the OP's own claims (`sub`, `acr`, ...)
//!   are never taken from the record.

use super::element::ElementRequest;
use super::project::{self, Context};
use super::record::VerifiedClaims;
use super::request::{MemberRequest, SetRequest};
use super::shape;
use super::standard_claims;
use serde_json::{Map, Value};

/// What the answer is built from: one customer's data.
#[derive(Debug, Clone, Copy)]
pub struct CustomerClaims<'a> {
    /// Standard claims (OIDC Core §5.1, IDA Claims §3.1) by name.
    pub standard: &'a Map<String, Value>,
    /// Verified claim sets, in the record's order.
    pub verified: &'a PreparedSets,
}

/// A customer's verified claim sets as JSON objects, made once when the
/// record is loaded so that answering walks them without converting.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreparedSets(Vec<Map<String, Value>>);

impl PreparedSets {
    /// Prepares `sets` (in order).
    pub fn new(sets: &[VerifiedClaims]) -> Self {
        Self(sets.iter().filter_map(to_object).collect())
    }

    /// How many sets there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The claims to add to the UserInfo response or ID token for `request`.
pub fn answer(request: &MemberRequest, customer: CustomerClaims<'_>, now: u64) -> Map<String, Value> {
    let mut out = plain_claims(&request.plain, customer.standard, now);
    if let Some(verified) = &request.verified {
        let mut delivered = Vec::new();
        for set in &verified.sets {
            delivered.extend(
                customer
                    .verified
                    .0
                    .iter()
                    .filter_map(|s| deliver_set(set, s, now)),
            );
        }
        match delivered.len() {
            0 => {}
            1 if !verified.array => {
                out.insert("verified_claims".into(), delivered.remove(0));
            }
            _ => {
                out.insert("verified_claims".into(), Value::Array(delivered));
            }
        }
    }
    out
}

fn to_object(set: &VerifiedClaims) -> Option<Map<String, Value>> {
    match serde_json::to_value(set) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// Plain claims: the standard ones (never the OP's own) the customer has.
fn plain_claims(
    requested: &[(String, ElementRequest)],
    standard: &Map<String, Value>,
    now: u64,
) -> Map<String, Value> {
    let known = |(name, _): &&(String, ElementRequest)| standard_claims::info(name).is_some();
    claims_of(requested.iter().filter(known), standard, now)
}

/// The requested claims `stored` has, each meeting its `value` / `values`
/// (IDA 1.0 §5.6.4: otherwise the claim alone is omitted).
fn claims_of<'r>(
    requested: impl Iterator<Item = &'r (String, ElementRequest)>,
    stored: &Map<String, Value>,
    now: u64,
) -> Map<String, Value> {
    requested
        .filter_map(|(name, element)| {
            let value = stored.get(name)?;
            element
                .accepts(Some(value), now)
                .then(|| (name.clone(), value.clone()))
        })
        .collect()
}

/// One stored set through one request object, or `None` when it does not
/// meet the request's requirements or holds none of the claims asked.
fn deliver_set(request: &SetRequest, stored: &Map<String, Value>, now: u64) -> Option<Value> {
    let supported: Option<Vec<(String, ElementRequest)>> = request.claims.as_ref().map(|claims| {
        claims
            .iter()
            .filter(|(name, _)| standard_claims::info(name).is_some_and(|c| c.verifiable))
            .cloned()
            .collect()
    });
    let stored_verification = stored.get("verification")?.as_object()?;
    let cx = Context {
        now,
        claim_names: supported.as_deref(),
    };
    let verification = project::verification(
        &request.verification,
        &shape::VERIFICATION,
        stored_verification,
        &cx,
    )?;
    let empty = Map::new();
    let stored_claims = stored.get("claims").and_then(Value::as_object).unwrap_or(&empty);
    let claims = match &supported {
        None => Map::new(),
        Some(names) => {
            let claims = claims_of(names.iter(), stored_claims, now);
            if claims.is_empty() {
                return None;
            }
            claims
        }
    };
    let mut set = Map::new();
    set.insert("verification".into(), Value::Object(verification));
    set.insert("claims".into(), Value::Object(claims));
    Some(Value::Object(set))
}
