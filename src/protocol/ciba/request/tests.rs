//! Unit tests of the backchannel authentication request's parameters
//! (CIBA Core §7.1, §13; FAPI CIBA §5.2.2).

use super::*;
use crate::protocol::form::Form;
use serde_json::{Value, json};

fn allowed() -> Vec<String> {
    ["openid", "payments", "accounts", "offline_access"]
        .map(String::from)
        .to_vec()
}

fn policy(allowed: &[String], mode: DeliveryMode) -> ClientCibaPolicy<'_> {
    ClientCibaPolicy {
        delivery_mode: mode,
        user_code_parameter: false,
        allowed_scopes: allowed,
        allowed_details: DetailType::ALL,
        fapi: false,
    }
}

fn form(pairs: &[(&str, &str)]) -> AuthorizationParams {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    AuthorizationParams::from_form(&Form::parse(body.as_bytes()).unwrap())
}

fn parse_with(
    pairs: &[(&str, &str)],
    change: impl FnOnce(&mut ClientCibaPolicy<'_>),
) -> Result<BackchannelAuthenticationRequest, OAuthError> {
    let allowed = allowed();
    let mut policy = policy(&allowed, DeliveryMode::Poll);
    change(&mut policy);
    parse_backchannel_request(&form(pairs), &policy)
}

fn parse(pairs: &[(&str, &str)]) -> Result<BackchannelAuthenticationRequest, OAuthError> {
    parse_with(pairs, |_| {})
}

fn code(result: Result<BackchannelAuthenticationRequest, OAuthError>) -> ErrorCode {
    result.unwrap_err().code
}

fn payment_details() -> Value {
    json!([{
        "type": "payment_initiation",
        "instructedAmount": {"currency": "GBP", "amount": "12.50"},
        "creditorName": "Corner Cafe",
        "creditorAccount": {"iban": "GB33BUKB20201555555555"}
    }])
}

/// CIBA Core §7.1: a complete request parses into its typed parts.
#[test]
fn a_complete_request_parses_ciba_core_s7_1() {
    let details = payment_details().to_string();
    let claims = r#"{"id_token":{"openbanking_intent_id":{"value":"pdc-7","essential":true}}}"#;
    let request = parse(&[
        ("scope", "openid payments openid"),
        ("login_hint", "alice"),
        ("binding_message", "W4SCT"),
        ("requested_expiry", "120"),
        ("acr_values", "urn:openbanking:psd2:sca urn:openbanking:psd2:ca"),
        ("authorization_details", &details),
        ("claims", claims),
    ])
    .unwrap();
    assert_eq!(request.scopes, ["openid", "payments"]);
    assert_eq!(request.hint, Hint::LoginHint("alice".into()));
    assert_eq!(request.binding_message.unwrap().as_str(), "W4SCT");
    assert_eq!(request.requested_expiry.unwrap().secs(), 120);
    assert_eq!(
        request.acr_values,
        ["urn:openbanking:psd2:sca", "urn:openbanking:psd2:ca"]
    );
    assert_eq!(request.authorization_details.unwrap().details().len(), 1);
    assert_eq!(request.openbanking_intent_id.as_deref(), Some("pdc-7"));
    assert_eq!(request.user_code, None);
    assert!(request.client_notification_token.is_none());
}

/// CIBA Core §7.1: `scope` is required and must contain `openid`.
#[test]
fn scope_must_contain_openid_ciba_core_s7_1() {
    assert_eq!(code(parse(&[("login_hint", "alice")])), ErrorCode::InvalidRequest);
    assert_eq!(
        code(parse(&[("scope", "payments"), ("login_hint", "alice")])),
        ErrorCode::InvalidRequest
    );
    assert!(parse(&[("scope", "openid"), ("login_hint", "alice")]).is_ok());
}

/// RFC 6749 §3.3 / CIBA Core §13: a scope the client may not ask is `invalid_scope`.
#[test]
fn a_scope_not_allowed_to_the_client_is_invalid_scope_ciba_core_s13() {
    assert_eq!(
        code(parse(&[("scope", "openid admin"), ("login_hint", "alice")])),
        ErrorCode::InvalidScope
    );
}

/// CIBA Core §7.1 / §13: zero or two hints are `invalid_request`.
#[test]
fn exactly_one_hint_ciba_core_s7_1() {
    assert_eq!(code(parse(&[("scope", "openid")])), ErrorCode::InvalidRequest);
    assert_eq!(
        code(parse(&[
            ("scope", "openid"),
            ("login_hint", "alice"),
            ("id_token_hint", "eyJ.a.b")
        ])),
        ErrorCode::InvalidRequest
    );
}

/// CIBA Core §7.1 / §13: a bad binding message is `invalid_binding_message`;
/// 64 characters pass, 65 do not.
#[test]
fn binding_message_limits_are_invalid_binding_message_ciba_core_s13() {
    let base = [("scope", "openid"), ("login_hint", "alice")];
    let with = |message: &str| {
        let mut pairs = base.to_vec();
        pairs.push(("binding_message", message));
        parse(&pairs)
    };
    assert!(with(&"m".repeat(64)).is_ok());
    assert_eq!(code(with(&"m".repeat(65))), ErrorCode::InvalidBindingMessage);
    assert_eq!(code(with("two\nlines")), ErrorCode::InvalidBindingMessage);
}

/// CIBA Core §7.1 / §4 / §13: `missing_user_code` when the client
/// registered `backchannel_user_code_parameter`; the value is kept for the
/// caller to check.
#[test]
fn user_code_is_required_when_registered_ciba_core_s7_1() {
    let base = [("scope", "openid"), ("login_hint", "alice")];
    let required = |p: &mut ClientCibaPolicy<'_>| p.user_code_parameter = true;
    assert_eq!(code(parse_with(&base, required)), ErrorCode::MissingUserCode);
    let mut with_code = base.to_vec();
    with_code.push(("user_code", "493817"));
    let request = parse_with(&with_code, required).unwrap();
    assert_eq!(request.user_code.as_deref(), Some("493817"));
    // Not registered: optional, still carried when sent.
    assert_eq!(parse(&base).unwrap().user_code, None);
    let long = "9".repeat(65);
    let mut too_long = base.to_vec();
    too_long.push(("user_code", &long));
    assert_eq!(code(parse_with(&too_long, required)), ErrorCode::InvalidUserCode);
}

/// CIBA Core §7.1: `requested_expiry` is a positive integer.
#[test]
fn requested_expiry_must_be_a_positive_integer_ciba_core_s7_1() {
    for bad in ["0", "-1", "2.5", "soon"] {
        let result = parse(&[
            ("scope", "openid"),
            ("login_hint", "alice"),
            ("requested_expiry", bad),
        ]);
        assert_eq!(code(result), ErrorCode::InvalidRequest, "{bad}");
    }
}

/// CIBA Core §7.1: ping and push clients must send a
/// `client_notification_token` of at most 1024 characters.
#[test]
fn notification_token_is_required_for_ping_and_push_ciba_core_s7_1() {
    let base = [("scope", "openid"), ("login_hint", "alice")];
    for mode in [DeliveryMode::Ping, DeliveryMode::Push] {
        let as_mode = |p: &mut ClientCibaPolicy<'_>| p.delivery_mode = mode;
        assert_eq!(code(parse_with(&base, as_mode)), ErrorCode::InvalidRequest);
        let mut with_token = base.to_vec();
        let max = "t".repeat(1024);
        with_token.push(("client_notification_token", &max));
        let request = parse_with(&with_token, as_mode).unwrap();
        assert_eq!(request.client_notification_token.unwrap().as_str(), max);
        let over = "t".repeat(1025);
        let mut too_long = base.to_vec();
        too_long.push(("client_notification_token", &over));
        assert_eq!(code(parse_with(&too_long, as_mode)), ErrorCode::InvalidRequest);
    }
    // A poll client has nothing to be notified at.
    let mut poll = base.to_vec();
    poll.push(("client_notification_token", "abc"));
    assert!(parse(&poll).unwrap().client_notification_token.is_none());
}

/// RFC 9396 §5: details of a type the client may not use.
#[test]
fn authorization_details_use_the_rar_rules_rfc9396_s5() {
    let details = payment_details().to_string();
    let pairs = [
        ("scope", "openid"),
        ("login_hint", "alice"),
        ("authorization_details", details.as_str()),
    ];
    let only_accounts = |p: &mut ClientCibaPolicy<'_>| p.allowed_details = &[DetailType::AccountInformation];
    assert_eq!(
        code(parse_with(&pairs, only_accounts)),
        ErrorCode::InvalidAuthorizationDetails
    );
    assert_eq!(
        code(parse(&[
            ("scope", "openid"),
            ("login_hint", "alice"),
            ("authorization_details", "{}")
        ])),
        ErrorCode::InvalidAuthorizationDetails
    );
}

/// OIDC Core §5.5 (UK OBIE): a malformed intent claim is `invalid_request`.
#[test]
fn a_malformed_intent_claim_is_invalid_request() {
    let result = parse(&[
        ("scope", "openid"),
        ("login_hint", "alice"),
        (
            "claims",
            r#"{"id_token":{"openbanking_intent_id":{"essential":true}}}"#,
        ),
    ]);
    assert_eq!(code(result), ErrorCode::InvalidRequest);
}

#[test]
fn acr_values_are_bounded() {
    let many = ["a"; 9].join(" ");
    for bad in [many.as_str(), "x\u{1}y", &"a".repeat(129)] {
        let result = parse(&[("scope", "openid"), ("login_hint", "alice"), ("acr_values", bad)]);
        assert_eq!(code(result), ErrorCode::InvalidRequest, "{bad:?}");
    }
}

/// CIBA Core §7.1: `request_uri` has no meaning here.
#[test]
fn request_uri_is_refused_ciba_core_s7_1() {
    let result = parse(&[
        ("scope", "openid"),
        ("login_hint", "alice"),
        ("request_uri", "urn:x"),
    ]);
    assert_eq!(code(result), ErrorCode::InvalidRequest);
}

/// FAPI CIBA §5.2.2-2: a FAPI client's request needs a unique authorization
/// context (authorization_details or an intent) or a binding message.
#[test]
fn fapi_requests_need_a_context_or_a_binding_message_fapi_ciba_s5_2_2() {
    let fapi = |p: &mut ClientCibaPolicy<'_>| p.fapi = true;
    let base = [("scope", "openid"), ("login_hint", "alice")];
    assert_eq!(code(parse_with(&base, fapi)), ErrorCode::InvalidRequest);
    let mut bound = base.to_vec();
    bound.push(("binding_message", "W4SCT"));
    assert!(parse_with(&bound, fapi).is_ok());
    let details = payment_details().to_string();
    let mut detailed = base.to_vec();
    detailed.push(("authorization_details", &details));
    assert!(parse_with(&detailed, fapi).is_ok());
    let mut intent = base.to_vec();
    intent.push((
        "claims",
        r#"{"userinfo":{"openbanking_intent_id":{"value":"aac-1"}}}"#,
    ));
    assert!(parse_with(&intent, fapi).is_ok());
}

/// CIBA Core §7.1.1: a signed request's claims read like the form, JSON
/// members included.
#[test]
fn signed_request_claims_parse_like_the_form_ciba_core_s7_1_1() {
    let Value::Object(claims) = json!({
        "iss": "client-1", "aud": "https://op.example", "exp": 2, "iat": 1, "nbf": 1, "jti": "j",
        "scope": "openid payments", "login_hint": "alice", "binding_message": "W4SCT",
        "requested_expiry": 300, "authorization_details": payment_details(),
        "claims": {"id_token": {"openbanking_intent_id": {"value": "pdc-7"}}},
    }) else {
        unreachable!()
    };
    let allowed = allowed();
    let request = parse_backchannel_request(
        &AuthorizationParams::from_request_object(claims),
        &policy(&allowed, DeliveryMode::Poll),
    )
    .unwrap();
    assert_eq!(request.requested_expiry.unwrap().secs(), 300);
    assert_eq!(request.openbanking_intent_id.as_deref(), Some("pdc-7"));
    assert!(request.authorization_details.is_some());
}
