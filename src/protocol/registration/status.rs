//! Continuous trust in registered software (sans-IO): what a directory's
//! software status answer means for a registered client.
//!
//! A registration is trusted because a directory vouched for the software
//! at that moment (RFC 7591 §2.3). Ecosystems expect the bank to keep
//! asking: UK OBIE (Directory "software statement status" and
//! organisation status: `Active`, `Inactive`, `Revoked`) and Australia's
//! CDR (data holders refresh the Register's software product statuses at
//! least every 5 minutes and stop serving a product that is not `ACTIVE`).
//!
//! Rules:
//! - the answer is a JSON object with `status` (the directory's effective
//!   status), `software_status` and/or `org_status`; every one present
//!   must be `Active` (ASCII case-insensitive, CDR spells it `ACTIVE`) for
//!   the software to be trusted; any other value is a definite "no";
//! - none of them present, or not a string: the answer says nothing, which
//!   is a failed check, not a revocation;
//! - a definite "no" suspends an unsuspended client; `Active` reinstates a
//!   suspended one; a failed check changes nothing (fail-static, see
//!   [`decide`]).

use serde_json::Value;

/// The status members read, in the order reported.
const MEMBERS: [&str; 3] = ["software_status", "org_status", "status"];

/// What the directory says about a software.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoftwareStanding {
    /// Every status member is `Active`.
    Active,
    /// A member is not `Active`: which one, and its value.
    NotActive {
        /// `software_status`, `org_status` or `status`.
        member: &'static str,
        /// The value the directory gave.
        value: String,
    },
}

/// Why a status answer says nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusAnswerError {
    /// Not a JSON object.
    #[error("the status answer is not a JSON object")]
    NotAnObject,
    /// No status member.
    #[error("the status answer has no status, software_status or org_status")]
    NoStatus,
    /// A status member is not a string.
    #[error("status member `{0}` is not a string")]
    NotAString(&'static str),
}

/// Reads a status answer.
pub fn parse_status(answer: &Value) -> Result<SoftwareStanding, StatusAnswerError> {
    let object = answer.as_object().ok_or(StatusAnswerError::NotAnObject)?;
    let mut seen = false;
    for member in MEMBERS {
        let Some(value) = object.get(member) else { continue };
        let value = value.as_str().ok_or(StatusAnswerError::NotAString(member))?;
        seen = true;
        if !value.eq_ignore_ascii_case("active") {
            return Ok(SoftwareStanding::NotActive {
                member,
                value: value.chars().take(64).collect(),
            });
        }
    }
    match seen {
        true => Ok(SoftwareStanding::Active),
        false => Err(StatusAnswerError::NoStatus),
    }
}

/// What to do with a registered client after a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustAction {
    /// Nothing changes.
    Keep,
    /// Suspend the client and revoke everything issued to it.
    Suspend,
    /// Lift the suspension.
    Reinstate,
}

/// The action for a client (`suspended` now) given the check's outcome
/// (`Err`: the status could not be had or read).
///
/// A failed check keeps the last state (fail-static): the statement was
/// verified at registration and the last successful check said the same;
/// suspending every client of a directory because the directory (or the
/// path to it) is briefly down would make the directory a single point of
/// failure for every bank's customers, and the CDR Register's guidance to
/// data holders is to keep using the last cached statuses when the Register
/// cannot be reached. Failures are counted instead, so that a long outage
/// is seen and acted upon by people.
pub fn decide<E>(suspended: bool, outcome: &Result<SoftwareStanding, E>) -> TrustAction {
    match (suspended, outcome) {
        (false, Ok(SoftwareStanding::NotActive { .. })) => TrustAction::Suspend,
        (true, Ok(SoftwareStanding::Active)) => TrustAction::Reinstate,
        _ => TrustAction::Keep,
    }
}

/// The status URL of `software_id` from a `status_endpoint` template: each
/// `{software_id}` replaced by the id, percent-encoded as a path segment
/// (RFC 3986 §3.3: only unreserved characters left as they are).
pub fn status_url(template: &str, software_id: &str) -> String {
    let mut encoded = String::with_capacity(software_id.len());
    for byte in software_id.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(char::from(byte));
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    template.replace("{software_id}", &encoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_status_member_must_be_active_uk_obie_and_cdr() {
        let active = json!({"software_status": "Active", "org_status": "Active", "status": "Active"});
        assert_eq!(parse_status(&active), Ok(SoftwareStanding::Active));
        // CDR Register spelling.
        assert_eq!(
            parse_status(&json!({"status": "ACTIVE"})),
            Ok(SoftwareStanding::Active)
        );
        assert_eq!(
            parse_status(&json!({"software_status": "Active", "org_status": "Revoked", "status": "Revoked"})),
            Ok(SoftwareStanding::NotActive {
                member: "org_status",
                value: "Revoked".into()
            })
        );
        assert_eq!(
            parse_status(&json!({"status": "INACTIVE"})),
            Ok(SoftwareStanding::NotActive {
                member: "status",
                value: "INACTIVE".into()
            })
        );
    }

    #[test]
    fn an_answer_without_a_status_is_a_failed_check_not_a_revocation() {
        assert_eq!(parse_status(&json!([])), Err(StatusAnswerError::NotAnObject));
        assert_eq!(
            parse_status(&json!({"software_id": "x"})),
            Err(StatusAnswerError::NoStatus)
        );
        assert_eq!(
            parse_status(&json!({"status": 1})),
            Err(StatusAnswerError::NotAString("status"))
        );
    }

    #[test]
    fn revoked_suspends_active_reinstates_failure_keeps_the_last_state() {
        let revoked: Result<_, ()> = Ok(SoftwareStanding::NotActive {
            member: "software_status",
            value: "Revoked".into(),
        });
        let active: Result<_, ()> = Ok(SoftwareStanding::Active);
        let failed: Result<SoftwareStanding, ()> = Err(());
        assert_eq!(decide(false, &revoked), TrustAction::Suspend);
        assert_eq!(decide(true, &revoked), TrustAction::Keep);
        assert_eq!(decide(true, &active), TrustAction::Reinstate);
        assert_eq!(decide(false, &active), TrustAction::Keep);
        // Fail-static both ways.
        assert_eq!(decide(false, &failed), TrustAction::Keep);
        assert_eq!(decide(true, &failed), TrustAction::Keep);
    }

    #[test]
    fn status_url_encodes_the_software_id_as_a_path_segment_rfc3986_s3_3() {
        let template = "https://dir.example/software/{software_id}/status";
        assert_eq!(
            status_url(template, "uk-fintech_app.1~"),
            "https://dir.example/software/uk-fintech_app.1~/status"
        );
        assert_eq!(
            status_url(template, "a/../b?c"),
            "https://dir.example/software/a%2F..%2Fb%3Fc/status"
        );
    }
}
