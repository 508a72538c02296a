//! The body of an RFC 7592 §2.2 update, and the members of a client
//! information response (RFC 7591 §3.2.1, RFC 7592 §3) that a client must
//! be able to send back unchanged.
//!
//! RFC 7592 §2.2: the request "MUST include all client metadata fields as
//! returned to the client from a previous registration, read, or update
//! operation", and must not include the server-set members
//! `registration_access_token`, `registration_client_uri`,
//! `client_secret_expires_at` and `client_id_issued_at`. Clients that send
//! back the whole response are common (many libraries do exactly that), so
//! the server-set members are accepted when they are the values the server
//! issued (then ignored: the server sets them) and refused when they differ
//! (a client never chooses them). `client_id` must be this client's. A
//! `null` member is an omitted one (§2.2: "The authorization server MAY
//! ignore any null or empty value in the request").

use super::RegistrationError;
use serde_json::{Map, Value};

/// What the server issued this client, as the client may echo it.
#[derive(Debug, Clone, Copy)]
pub struct Issued<'a> {
    /// `client_id`.
    pub client_id: &'a str,
    /// The registration access token the request was authenticated with.
    pub registration_access_token: &'a str,
    /// `registration_client_uri`.
    pub registration_client_uri: &'a str,
    /// `client_id_issued_at`.
    pub client_id_issued_at: u64,
}

/// RFC 7592 §2.2 checks on an update body (see the module documentation).
pub fn check_update_body(body: &Map<String, Value>, issued: &Issued<'_>) -> Result<(), RegistrationError> {
    let refuse = |why: &'static str| Err(RegistrationError::Request(why.into()));
    if body.get("client_id").and_then(Value::as_str) != Some(issued.client_id) {
        return refuse("client_id must be sent and be this registration's (RFC 7592 §2.2)");
    }
    let echoed = |name: &str, expected: Value| match body.get(name) {
        None | Some(Value::Null) => true,
        Some(sent) => *sent == expected,
    };
    if !echoed(
        "registration_access_token",
        Value::from(issued.registration_access_token),
    ) {
        return refuse("registration_access_token is set by the server (RFC 7592 §2.2)");
    }
    if !echoed(
        "registration_client_uri",
        Value::from(issued.registration_client_uri),
    ) {
        return refuse("registration_client_uri is set by the server (RFC 7592 §2.2)");
    }
    if !echoed("client_id_issued_at", Value::from(issued.client_id_issued_at)) {
        return refuse("client_id_issued_at is set by the server (RFC 7592 §2.2)");
    }
    // No client secret is ever issued (every client authenticates with a
    // key or a certificate, FAPI 2.0 §5.3.2.1): 0, "does not expire"
    // (RFC 7591 §3.2.1), is the only value a client could have been told.
    if !echoed("client_secret_expires_at", Value::from(0)) {
        return refuse("client_secret_expires_at is set by the server (RFC 7592 §2.2)");
    }
    if body.get("client_secret").is_some_and(|v| !v.is_null()) {
        return refuse("no client_secret was issued to this client (RFC 7592 §2.2)");
    }
    Ok(())
}

/// RFC 7592 §2.2: `null` members are treated as omitted.
pub fn without_nulls(mut metadata: Map<String, Value>) -> Map<String, Value> {
    metadata.retain(|_, v| !v.is_null());
    metadata
}

/// RFC 7591 §3.2.1: the grant types a registered client really has. Every
/// client may use `authorization_code` and `client_credentials`; a refresh
/// token is issued only when `offline_access` was granted (OIDC Core §11),
/// so `refresh_token` only with that scope; the CIBA grant (CIBA Core
/// §10.1) when the client registered poll or ping (`ciba_polls`).
pub fn grant_types(scopes: &[String], ciba_polls: bool) -> Vec<&'static str> {
    let mut grants = vec!["authorization_code"];
    if scopes.iter().any(|s| s == "offline_access") {
        grants.push("refresh_token");
    }
    grants.push("client_credentials");
    if ciba_polls {
        grants.push(crate::protocol::token_request::CIBA_GRANT_TYPE);
    }
    grants
}

/// RFC 7591 §3.2.1: the response types a registered client has
/// (FAPI 2.0 §5.3.2.2: `code` only).
pub fn response_types() -> Vec<&'static str> {
    vec!["code"]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URI: &str = "https://op.example/register/c-1";

    fn issued() -> Issued<'static> {
        Issued {
            client_id: "c-1",
            registration_access_token: "rat",
            registration_client_uri: URI,
            client_id_issued_at: 1_800_000_000,
        }
    }

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// RFC 7592 §2.2: the response sent back unchanged is accepted; the
    /// server-set members with other values, or another client_id, are not.
    #[test]
    fn server_set_members_may_be_echoed_but_not_chosen_rfc7592_s2_2() {
        let echoed = body(json!({
            "client_id": "c-1", "registration_access_token": "rat",
            "registration_client_uri": URI, "client_id_issued_at": 1_800_000_000u64,
            "client_secret_expires_at": 0, "token_endpoint_auth_signing_alg": null,
        }));
        assert_eq!(check_update_body(&echoed, &issued()), Ok(()));
        assert_eq!(
            check_update_body(&body(json!({"client_id": "c-1"})), &issued()),
            Ok(())
        );
        for (member, value) in [
            ("client_id", json!("c-2")),
            ("registration_access_token", json!("other")),
            (
                "registration_client_uri",
                json!("https://evil.example/register/c-1"),
            ),
            ("client_id_issued_at", json!(1)),
            ("client_secret_expires_at", json!(5)),
            ("client_secret", json!("s")),
        ] {
            let mut sent = echoed.clone();
            sent.insert(member.into(), value);
            assert!(
                matches!(
                    check_update_body(&sent, &issued()),
                    Err(RegistrationError::Request(_))
                ),
                "{member}"
            );
        }
        let mut without_id = echoed;
        without_id.remove("client_id");
        assert!(check_update_body(&without_id, &issued()).is_err());
    }

    /// RFC 7592 §2.2: a null member is an omitted one.
    #[test]
    fn nulls_are_omitted_members_rfc7592_s2_2() {
        let kept = without_nulls(body(json!({"a": null, "b": 1})));
        assert_eq!(Value::Object(kept), json!({"b": 1}));
    }

    /// RFC 7591 §3.2.1 / OIDC Core §11: refresh_token only with offline_access.
    #[test]
    fn grant_types_follow_the_scopes_rfc7591_s3_2_1() {
        let scopes = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            grant_types(&scopes(&["openid", "accounts"]), false),
            ["authorization_code", "client_credentials"]
        );
        assert_eq!(
            grant_types(&scopes(&["openid", "offline_access"]), false),
            ["authorization_code", "refresh_token", "client_credentials"]
        );
        assert_eq!(
            grant_types(&scopes(&["openid"]), true),
            [
                "authorization_code",
                "client_credentials",
                "urn:openid:params:grant-type:ciba"
            ]
        );
    }
}
