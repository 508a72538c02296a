//! Which of an account's claims each scope releases (OIDC Core §5.4), for
//! userinfo and ID tokens ([`scoped_claims`]) and for the consent page
//! ([`claim_lines`]). One table, so the page shows what will be released.

use super::detail::DetailLine;
use super::user::UserRecord;
use crate::protocol::ekyc::{PreparedSets, from_stored};
use serde_json::{Map, Value};

/// Whether `name` is one of `scopes`.
fn has_scope<S: AsRef<str>>(scopes: &[S], name: &str) -> bool {
    scopes.iter().any(|s| s.as_ref() == name)
}

/// The claims `scopes` release: `sub` always; `profile`: `name`,
/// `given_name`, `family_name`, `birthdate`, `updated_at`; `email`: `email`,
/// `email_verified`; `phone`: `phone_number`, `phone_number_verified`
/// (OIDC Core §5.4). Claims the account lacks are left out (§5.3.2).
pub fn scoped_claims<S: AsRef<str>>(user: &UserRecord, scopes: &[S]) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), user.account_id.clone().into());
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            claims.insert(name.into(), value);
        }
    };
    if has_scope(scopes, "profile") {
        put("name", Some(user.name.clone().into()));
        put("given_name", user.given_name.clone().map(Value::from));
        put("family_name", user.family_name.clone().map(Value::from));
        put("birthdate", user.birthdate.clone().map(Value::from));
        put("updated_at", Some(user.updated_at.into()));
    }
    if has_scope(scopes, "email") {
        put("email", Some(user.email.clone().into()));
        put("email_verified", Some(user.email_verified.into()));
    }
    if has_scope(scopes, "phone") && user.phone_number.is_some() {
        put("phone_number", user.phone_number.clone().map(Value::from));
        put("phone_number_verified", Some(user.phone_number_verified.into()));
    }
    if has_scope(scopes, "address") {
        put("address", other_claims(user).remove("address"));
    }
    claims
}

/// Every standard claim the account holds, by name (OIDC Core §5.1,
/// Identity Assurance Claims §3.1): its other claims with the record's own
/// fields over them. What a `claims` request (OIDC Core §5.5) is answered
/// from; never `sub` or another claim of the OP's.
pub fn standard_claims(user: &UserRecord) -> Map<String, Value> {
    let mut claims = other_claims(user);
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            claims.insert(name.into(), value);
        }
    };
    put("name", Some(user.name.clone().into()));
    put("given_name", user.given_name.clone().map(Value::from));
    put("family_name", user.family_name.clone().map(Value::from));
    put("birthdate", user.birthdate.clone().map(Value::from));
    put("updated_at", Some(user.updated_at.into()));
    put("email", Some(user.email.clone().into()));
    put("email_verified", Some(user.email_verified.into()));
    if user.phone_number.is_some() {
        put("phone_number", user.phone_number.clone().map(Value::from));
        put("phone_number_verified", Some(user.phone_number_verified.into()));
    }
    claims
}

/// The account's verified claim sets (OpenID Connect for Identity
/// Assurance 1.0), ready to answer from; none when it has none. Stored text
/// was validated when written; text that no longer reads is logged and
/// answers nothing (never a guess).
pub fn verified_sets(user: &UserRecord) -> PreparedSets {
    match user.verified_claims.as_deref().map(from_stored) {
        None => PreparedSets::default(),
        Some(Ok(sets)) => PreparedSets::new(&sets),
        Some(Err(error)) => {
            tracing::warn!(account_id = %user.account_id, fields = error.0.len(), "stored verified claims do not read");
            PreparedSets::default()
        }
    }
}

/// The record's other claims (`UserRecord::claims`) as an object.
fn other_claims(user: &UserRecord) -> Map<String, Value> {
    match user.claims.as_deref().map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        None => Map::new(),
        Some(_) => {
            tracing::warn!(account_id = %user.account_id, "stored claims are not a JSON object");
            Map::new()
        }
    }
}

/// The same claims as [`scoped_claims`] as label and value lines for the
/// consent page (without `sub`, verification flags and `updated_at`, which
/// mean nothing to a customer).
pub fn claim_lines<'u, S: AsRef<str>>(user: &'u UserRecord, scopes: &[S]) -> Vec<DetailLine<'u>> {
    let mut lines = Vec::new();
    let mut put = |label: &'static str, value: Option<&'u str>| {
        if let Some(value) = value {
            lines.push(DetailLine { label, value });
        }
    };
    if has_scope(scopes, "profile") {
        put("Name", Some(&user.name));
        put("Given name", user.given_name.as_deref());
        put("Family name", user.family_name.as_deref());
        put("Date of birth", user.birthdate.as_deref());
    }
    if has_scope(scopes, "email") {
        put("E-mail", Some(&user.email));
    }
    if has_scope(scopes, "phone") {
        put("Phone", user.phone_number.as_deref());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::NewUser;

    fn user() -> UserRecord {
        NewUser {
            username: "alice".into(),
            account_id: "acc-1".into(),
            name: "Alice Example".into(),
            given_name: Some("Alice".into()),
            email: "alice@example.com".into(),
            email_verified: true,
            ..NewUser::default()
        }
        .into_record("alice".into(), "$argon2id$x".into(), 7)
    }

    #[test]
    fn openid_alone_releases_only_sub_oidc_core_s5_4() {
        let claims = scoped_claims(&user(), &["openid"]);
        assert_eq!(claims.len(), 1);
        assert_eq!(claims["sub"], "acc-1");
        assert!(claim_lines(&user(), &["openid"]).is_empty());
    }

    #[test]
    fn profile_and_email_release_their_claims_oidc_core_s5_4() {
        let claims = scoped_claims(&user(), &["openid", "profile", "email", "phone"]);
        assert_eq!(claims["name"], "Alice Example");
        assert_eq!(claims["given_name"], "Alice");
        assert!(!claims.contains_key("family_name"));
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["updated_at"], 7);
        assert!(!claims.contains_key("phone_number_verified"));
        let user = user();
        let lines = claim_lines(&user, &["profile", "email"]);
        let labels: Vec<_> = lines.iter().map(|l| l.label).collect();
        assert_eq!(labels, ["Name", "Given name", "E-mail"]);
    }

    /// OIDC Core §5.4 `address` releases the record's address; the record's
    /// other claims sit under its own fields, which win.
    #[test]
    fn address_scope_and_standard_claims_read_the_other_claims() {
        let mut user = user();
        user.claims = Some(r#"{"address":{"country":"GB"},"name":"Not Alice","gender":"female"}"#.into());
        let scoped = scoped_claims(&user, &["openid", "address"]);
        assert_eq!(scoped["address"]["country"], "GB");
        let all = standard_claims(&user);
        assert_eq!(all["name"], "Alice Example");
        assert_eq!(all["gender"], "female");
        assert_eq!(all["email"], "alice@example.com");
        assert!(!all.contains_key("sub"));
        assert!(!all.contains_key("phone_number_verified"));
        assert!(verified_sets(&user).is_empty());
        user.verified_claims = Some("not json".into());
        assert!(verified_sets(&user).is_empty());
    }
}
