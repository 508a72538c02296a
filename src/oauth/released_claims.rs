//! The end-user claims a grant's `claims` request releases (OIDC Core
//! §5.5) into the ID token and the UserInfo response, with Identity
//! Assurance's `verified_claims` (IDA 1.0 §5.5-§5.6): exactly what the
//! approved request asked for and the customer's record matches, answered
//! by `protocol::ekyc::answer`. The request travels with the grant (the
//! code, the access and refresh tokens carry the text the customer
//! approved), so a refresh or a later userinfo call releases the same and
//! never more (OIDC Core §12.2).

use crate::login::{UserRecord, standard_claims, verified_sets};
use crate::oauth::claims_request;
use crate::oauth::op::OpState;
use crate::protocol::ekyc::consent_summary::display_value;
use crate::protocol::ekyc::standard_claims;
use crate::protocol::ekyc::{ClaimsRequest, CustomerClaims, MemberRequest, PreparedSets, answer};
use crate::protocol::error::{ErrorCode, OAuthError};
use serde_json::{Map, Value};

/// Where the claims go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// OIDC Core §5.5 `userinfo`.
    UserInfo,
    /// OIDC Core §5.5 `id_token`.
    IdToken,
}

impl Member {
    fn of(self, request: &ClaimsRequest) -> &MemberRequest {
        match self {
            Member::UserInfo => &request.userinfo,
            Member::IdToken => &request.id_token,
        }
    }
}

/// Whether `request`'s `member` asks for anything a record answers.
pub fn asks(request: &ClaimsRequest, member: Member) -> bool {
    let member = member.of(request);
    member.verified.is_some() || !member.plain.is_empty()
}

/// The claims `request` releases from `user` into `member` at `now`.
pub fn released(user: &UserRecord, request: &ClaimsRequest, member: Member, now: u64) -> Map<String, Value> {
    released_from(&Prepared::of(user), request, member, now)
}

/// A customer's claims read from the record once, for several answers.
struct Prepared {
    standard: Map<String, Value>,
    verified: PreparedSets,
}

impl Prepared {
    fn of(user: &UserRecord) -> Self {
        Self {
            standard: standard_claims(user),
            verified: verified_sets(user),
        }
    }
}

fn released_from(
    prepared: &Prepared,
    request: &ClaimsRequest,
    member: Member,
    now: u64,
) -> Map<String, Value> {
    let customer = CustomerClaims {
        standard: &prepared.standard,
        verified: &prepared.verified,
    };
    answer(member.of(request), customer, now)
}

/// What approving `request` would share of `user` at `now`, as (label,
/// value) lines for the consent page: the claims both members release,
/// verified ones marked, each line once. The customer sees the values
/// themselves before approving (IDA 1.0 §5.6.3 leaves the display to the
/// OP; the page must not promise less than is sent).
pub fn shared_lines(user: &UserRecord, request: &ClaimsRequest, now: u64) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: &Value, verified: bool| {
        let label = standard_claims::info(name).map_or(name, |c| c.label);
        let label = if verified {
            format!("{label} (verified)")
        } else {
            label.to_string()
        };
        let line = (label, display_value(value));
        if !line.1.is_empty() && !lines.contains(&line) {
            lines.push(line);
        }
    };
    // One reading of the record for both members.
    let prepared = Prepared::of(user);
    for member in [Member::IdToken, Member::UserInfo] {
        for (name, value) in released_from(&prepared, request, member, now) {
            match (name.as_str(), &value) {
                ("verified_claims", Value::Array(sets)) => sets.iter().for_each(|set| {
                    set_claims(set).for_each(|(n, v)| add(n, v, true));
                }),
                ("verified_claims", set) => set_claims(set).for_each(|(n, v)| add(n, v, true)),
                _ => add(&name, &value, false),
            }
        }
    }
    lines
}

/// The `claims` of one delivered verified set.
fn set_claims(set: &Value) -> impl Iterator<Item = (&str, &Value)> {
    set.get("claims")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|claims| claims.iter().map(|(n, v)| (n.as_str(), v)))
}

/// The claims the grant's stored request (`claims`, JSON text) releases
/// into the ID token of customer `account_id`; `None` when it asks none
/// (no store read then). A customer gone or disabled meanwhile gets no
/// claims: the token endpoint refuses their grant elsewhere, and the ID
/// token never carries data of an account that is not live.
pub async fn for_id_token(
    op: &OpState,
    account_id: &str,
    claims: Option<&str>,
    now: u64,
) -> Result<Option<Map<String, Value>>, OAuthError> {
    let Some(request) = claims_request::stored(claims) else {
        return Ok(None);
    };
    if !asks(&request, Member::IdToken) {
        return Ok(None);
    }
    let user = op
        .services
        .users
        .find_by_account_id(account_id, now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    // `find_by_account_id` finds no disabled account.
    Ok(user.map(|u| released(&u, &request, Member::IdToken, now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::NewUser;
    use crate::protocol::ekyc::request::parse_text;

    fn alice() -> UserRecord {
        let mut user = NewUser {
            username: "alice".into(),
            account_id: "acc-alice".into(),
            name: "Alice Example".into(),
            given_name: Some("Alice".into()),
            family_name: Some("Example".into()),
            email: "alice@example.com".into(),
            birthdate: Some("1990-04-01".into()),
            ..NewUser::default()
        }
        .into_record("alice".into(), "$argon2id$x".into(), 7);
        user.verified_claims = Some(
            serde_json::json!([{
                "verification": {"trust_framework": "uk_tfida", "time": "2026-01-10T10:00:00Z"},
                "claims": {"given_name": "Alice", "family_name": "Example", "birthdate": "1990-04-01"}
            }])
            .to_string(),
        );
        user
    }

    const NOW: u64 = 1_796_000_000;

    /// OIDC Core §5.5: each member answers its own request; an ID token and
    /// a UserInfo response carry different sets as asked (IDA 1.0 §5.5).
    #[test]
    fn each_member_releases_what_it_asked() {
        let request = parse_text(
            r#"{"id_token":{"email":null,"verified_claims":{"verification":{"trust_framework":null},"claims":{"birthdate":null}}},
                "userinfo":{"verified_claims":{"verification":{"trust_framework":{"value":"uk_tfida"}},"claims":{"given_name":null,"family_name":null}}}}"#,
        )
        .unwrap();
        let user = alice();
        let id_token = released(&user, &request, Member::IdToken, NOW);
        assert_eq!(id_token["email"], "alice@example.com");
        assert_eq!(
            id_token["verified_claims"]["claims"],
            serde_json::json!({"birthdate": "1990-04-01"})
        );
        assert_eq!(
            id_token["verified_claims"]["verification"]["trust_framework"],
            "uk_tfida"
        );
        let userinfo = released(&user, &request, Member::UserInfo, NOW);
        assert!(!userinfo.contains_key("email"));
        assert_eq!(
            userinfo["verified_claims"]["claims"],
            serde_json::json!({"given_name": "Alice", "family_name": "Example"})
        );
        assert!(asks(&request, Member::UserInfo) && asks(&request, Member::IdToken));
    }

    /// IDA 1.0 §5.6.4: a trust framework that does not match omits the set;
    /// nothing else is released and nothing fails.
    #[test]
    fn a_filter_that_matches_nothing_omits_the_set() {
        let request = parse_text(
            r#"{"userinfo":{"verified_claims":{"verification":{"trust_framework":{"value":"eidas"}},"claims":{"given_name":null}}}}"#,
        )
        .unwrap();
        assert!(released(&alice(), &request, Member::UserInfo, NOW).is_empty());
        assert!(!asks(&request, Member::IdToken));
        assert!(shared_lines(&alice(), &request, NOW).is_empty());
    }

    /// The consent page's lines: verified claims marked, plain ones not,
    /// each once although both members ask.
    #[test]
    fn shared_lines_name_each_value_once() {
        let set =
            r#"{"verification":{"trust_framework":null},"claims":{"given_name":null,"birthdate":null}}"#;
        let request = parse_text(&format!(
            r#"{{"id_token":{{"email":null,"verified_claims":{set}}},"userinfo":{{"verified_claims":[{set}]}}}}"#
        ))
        .unwrap();
        let lines = shared_lines(&alice(), &request, NOW);
        let expected = [
            ("Email address", "alice@example.com"),
            ("Given name (verified)", "Alice"),
            ("Date of birth (verified)", "1990-04-01"),
        ];
        assert_eq!(lines.len(), 3, "{lines:?}");
        for (label, value) in expected {
            assert!(
                lines.contains(&(label.into(), value.into())),
                "{label}: {lines:?}"
            );
        }
    }
}
