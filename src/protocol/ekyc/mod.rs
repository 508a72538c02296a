//! Identity assurance (eKYC), sans-IO: OpenID Connect for Identity
//! Assurance 1.0 (final) with the OpenID Identity Assurance Schema
//! Definition 1.0 ("Schema") and the Claims Registration 1.0 ("IDA
//! Claims"), requested through the OpenID Connect `claims` parameter (OIDC
//! Core §5.5). No store, no HTTP: the record is data in, the answer is JSON
//! out, `now` is a parameter.
//!
//! | File | What | Spec |
//! |------|------|------|
//! | `record.rs` | A verified claim set: `verification` (trust framework, level, process, time, evidence: `document`, `electronic_record`, `vouch`, `electronic_signature`) and `claims` | Schema §5.2-§5.4 |
//! | `stored.rs` | The stored form: JSON text of the sets | Schema §5.2 |
//! | `validate.rs` | Checks a record before it is stored; per-field errors with JSON paths | Schema §5, `verified_claims.json`, our limits |
//! | `standard_claims.rs` | The end-user claims answered from a record, their types and labels | OIDC Core §5.1, IDA Claims §3.1 |
//! | `dates.rs` | RFC 3339 dates and times; `max_age` arithmetic | IDA 1.0 §5.4.2 |
//! | `limits.rs` | Every bound on requests and records | (ours) |
//! | `purpose.rs` | `purpose`: 3-300 characters or `invalid_request` | IDA ID4 §5.1, §8 |
//! | `element.rs` | One requested element: `null`, `essential`, `value`, `values`, `max_age`, `purpose` | OIDC Core §5.5.1, IDA 1.0 §5.4 |
//! | `shape.rs` | The `verification` element's members, as tables | Schema §5.4, `verified_claims_request.json` |
//! | `verification_request.rs` | A request's `verification` parsed into filters | IDA 1.0 §5.2, §5.3 |
//! | `request.rs` | The `claims` parameter: `userinfo` / `id_token`, plain claims, `verified_claims` object or array | OIDC Core §5.5, IDA 1.0 §5.1-§5.5 |
//! | `project.rs` | A stored `verification` through a request's filters | IDA 1.0 §5.3, §5.4, §5.6 |
//! | `answer.rs` | What goes in the ID token / UserInfo response | IDA 1.0 §5.5, §5.6, §7 |
//! | `discovery.rs` | `trust_frameworks_supported`, `evidence_supported`, ... | IDA 1.0 §7 |
//! | `consent_summary.rs` | The request in words for the consent page | IDA 1.0 §5.6.3 |
//!
//! A note on `purpose`: the final 1.0 text removed the per-claim `purpose`
//! member that Implementer's Draft 4 defined (3-300 characters, else
//! `invalid_request`); this OP still honours it ([`purpose`]).

pub mod answer;
pub mod consent_summary;
pub mod dates;
pub mod discovery;
pub mod element;
pub mod limits;
pub mod project;
pub mod purpose;
pub mod record;
pub mod request;
pub mod shape;
pub mod standard_claims;
pub mod stored;
pub mod validate;
pub mod verification_request;

#[cfg(test)]
mod tests;

pub use answer::{CustomerClaims, PreparedSets, answer};
pub use consent_summary::{ConsentSummary, summarize};
pub use record::VerifiedClaims;
pub use request::{ClaimsRequest, MemberRequest};
pub use stored::{from_stored, to_stored};
pub use validate::{FieldError, RecordError};
