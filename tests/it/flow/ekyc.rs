//! Identity assurance (OpenID Connect for Identity Assurance 1.0) through
//! the whole flow over real TLS with SoftHSM signing: the `claims`
//! parameter (OIDC Core §5.5) at PAR and in a signed request object, the
//! consent page showing what is asked and why, the ID token and the
//! UserInfo response carrying the sets each asked for, a refresh keeping
//! them, and the refusals (`invalid_request`).

use super::super::support::json;
use super::harness::*;
use serde_json::{Value, json};

const IVY: &str = "ivy";
const IVY_PASSWORD: &str = "verified-ivy-42";

/// A seed customer verified twice: under the UK framework with a passport,
/// under eIDAS with a qualified electronic signature.
fn ivy() -> String {
    format!(
        r#"
[[login.seed_users]]
username = "{IVY}"
password = "{IVY_PASSWORD}"
account_id = "acc-ivy"
name = "Ivy Archer"
given_name = "Ivy"
family_name = "Archer"
email = "ivy@example.com"
email_verified = true
birthdate = "1990-04-12"

[login.seed_users.claims]
address = {{ street_address = "1 Mill Lane", locality = "Leeds", postal_code = "LS1 4AP", country = "GB" }}
nationalities = ["GB"]

[[login.seed_users.verified_claims]]
claims = {{ given_name = "Ivy", family_name = "Archer", birthdate = "1990-04-12", address = {{ street_address = "1 Mill Lane", locality = "Leeds", postal_code = "LS1 4AP", country = "GB" }} }}
[login.seed_users.verified_claims.verification]
trust_framework = "uk_tfida"
assurance_level = "medium"
time = "2024-06-01T10:00:00Z"
[[login.seed_users.verified_claims.verification.evidence]]
type = "document"
check_details = [{{ check_method = "vcrypt", organization = "HM Passport Office", time = "2024-06-01T09:58:00Z" }}]
document_details = {{ type = "passport", document_number = "533401372", date_of_issuance = "2020-03-02", date_of_expiry = "2030-03-01", issuer = {{ name = "HM Passport Office", country_code = "GBR" }} }}

[[login.seed_users.verified_claims]]
claims = {{ given_name = "Ivy", family_name = "Archer", birthdate = "1990-04-12", place_of_birth = {{ country = "GB", locality = "York" }} }}
[login.seed_users.verified_claims.verification]
trust_framework = "eidas"
assurance_level = "substantial"
time = "2023-02-01T08:00:00Z"
[[login.seed_users.verified_claims.verification.evidence]]
type = "electronic_signature"
signature_type = "qes_eidas"
issuer = "Example QTSP"
serial_number = "00aa11"
created_at = "2023-02-01T07:59:00Z"
"#
    )
}

async fn start() -> Op {
    Op::start_with_login(&ivy()).await
}

/// The browser part as Ivy: the consent page's HTML and the code.
async fn authorize_as_ivy(op: &Op, request_uri: &str) -> (String, String) {
    let mut browser = Browser::new();
    browser.credentials = Some((IVY.into(), IVY_PASSWORD.into()));
    let redirect = browser.authorize(op, PKJWT, request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    (browser.consent_html.unwrap_or_default(), code)
}

async fn tokens_for(op: &Op, code: String, verifier: String, dpop: &DpopKey) -> Value {
    let authorized = Authorized {
        code,
        verifier,
        redirect: String::new(),
    };
    let response = token_request(op, &authorized, Some(dpop)).await;
    assert_status(&response, 200);
    json(response.body())
}

async fn userinfo(op: &Op, access_token: &str, dpop: &DpopKey) -> Value {
    let response = userinfo_dpop(op, access_token, dpop).await;
    assert_status(&response, 200);
    json(response.body())
}

/// The request of IDA 1.0 §5 in two members: the ID token asks the UK set's
/// names, userinfo asks an array (eIDAS birthdate and place of birth; the
/// UK passport set's address) plus the plain `email`.
fn claims_request() -> Value {
    json!({
        "id_token": {
            "verified_claims": {
                "verification": {"trust_framework": {"value": "uk_tfida"}},
                "claims": {
                    "given_name": {"essential": true, "purpose": "To open your savings account"},
                    "family_name": null
                }
            }
        },
        "userinfo": {
            "email": null,
            "verified_claims": [
                {
                    "verification": {"trust_framework": {"value": "eidas"}, "assurance_level": null},
                    "claims": {"birthdate": null, "place_of_birth": null}
                },
                {
                    "verification": {
                        "trust_framework": {"values": ["uk_tfida", "uk_diatf"]},
                        "evidence": [{"type": {"value": "document"}, "document_details": {"type": null}}]
                    },
                    "claims": {"address": null}
                }
            ]
        }
    })
}

/// OIDC Core §5.5 at PAR (form), IDA 1.0 §5.5-§5.6: the consent page shows
/// the values, the framework and the purpose; the ID token and userinfo
/// carry different sets as asked, member by member; a refresh releases the
/// same again (OIDC Core §12.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_claims_through_par_reach_id_token_and_userinfo_ida_s5() {
    let op = start().await;
    let dpop = DpopKey::new();
    let (verifier, challenge) = pkce();
    let assertion = op.assertion(PKJWT, json!({})).await;
    let claims = claims_request().to_string();
    let request = pkjwt_par_for(
        PKJWT,
        &assertion,
        &challenge,
        "openid offline_access",
        &[("claims", &claims)],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/par"), None).await;
    let response = op.send(false, with_header(request, "dpop", &proof)).await;
    assert_status(&response, 201);
    let (html, code) = authorize_as_ivy(&op, &pushed_request_uri(&response)).await;
    // IDA 1.0 §5.6.3 / ID4 §8: what is shared, how verified, and why.
    assert!(html.contains("Identity data shared with"), "{html}");
    assert!(
        html.contains("<dt>Given name (verified)</dt><dd>Ivy</dd>"),
        "{html}"
    );
    assert!(
        html.contains("<dd>1 Mill Lane, Leeds, LS1 4AP, GB</dd>"),
        "{html}"
    );
    assert!(html.contains("Place of birth (verified)"), "{html}");
    assert!(html.contains("UK digital identity and attributes trust framework"));
    assert!(html.contains("To open your savings account"));

    let tokens = tokens_for(&op, code, verifier, &dpop).await;
    let id_token = super::verify_id_token(&op, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(id_token["sub"], "acc-ivy");
    let expected_id_token = json!({
        "verification": {"trust_framework": "uk_tfida"},
        "claims": {"given_name": "Ivy", "family_name": "Archer"}
    });
    assert_eq!(id_token["verified_claims"], expected_id_token);
    assert!(!id_token.contains_key("email"));

    let access_token = tokens["access_token"].as_str().unwrap();
    let info = userinfo(&op, access_token, &dpop).await;
    let expected_userinfo = json!([
        {
            "verification": {"trust_framework": "eidas", "assurance_level": "substantial"},
            "claims": {"birthdate": "1990-04-12", "place_of_birth": {"country": "GB", "locality": "York"}}
        },
        {
            "verification": {"trust_framework": "uk_tfida", "evidence": [{"type": "document", "document_details": {"type": "passport"}}]},
            "claims": {"address": {"street_address": "1 Mill Lane", "locality": "Leeds", "postal_code": "LS1 4AP", "country": "GB"}}
        }
    ]);
    assert_eq!(info["verified_claims"], expected_userinfo);
    assert_eq!(info["email"], "ivy@example.com");
    assert_eq!(info["sub"], "acc-ivy");
    assert!(!info.as_object().unwrap().contains_key("given_name"), "{info}");

    // OIDC Core §12.2: the refreshed token releases the same, never more.
    let response = refresh_dpop(&op, tokens["refresh_token"].as_str().unwrap(), &dpop).await;
    assert_status(&response, 200);
    let refreshed = json(response.body());
    let again = userinfo(&op, refreshed["access_token"].as_str().unwrap(), &dpop).await;
    assert_eq!(again["verified_claims"], expected_userinfo);
    op.handle.shutdown().await;
}

/// RFC 9101 §4 / OIDC Core §5.5: `claims` as a request object member; a
/// trust framework the customer was not verified under omits that set
/// (IDA 1.0 §5.6.4) without failing, and a plain claim request answers
/// from the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_in_a_request_object_and_a_filter_that_matches_nothing_rfc9101_s4_ida_s5_6_4() {
    let op = start().await;
    let dpop = DpopKey::new();
    let (verifier, challenge) = pkce();
    let claims = json!({
        "id_token": {
            "birthdate": {"essential": true},
            "verified_claims": {
                "verification": {"trust_framework": {"value": "de_aml"}},
                "claims": {"given_name": null}
            }
        },
        "userinfo": {"address": null, "nationalities": null}
    });
    let object = op
        .request_object(PKJWT, &challenge, json!({"claims": claims, "scope": "openid"}))
        .await;
    let response = op.push_request_object(PKJWT, &object, &[]).await;
    assert_status(&response, 201);
    let (html, code) = authorize_as_ivy(&op, &pushed_request_uri(&response)).await;
    assert!(html.contains("German anti-money laundering law"), "{html}");
    let tokens = tokens_for(&op, code, verifier, &dpop).await;
    let id_token = super::verify_id_token(&op, tokens["id_token"].as_str().unwrap()).await;
    assert!(!id_token.contains_key("verified_claims"), "{id_token:?}");
    assert_eq!(id_token["birthdate"], "1990-04-12");
    let info = userinfo(&op, tokens["access_token"].as_str().unwrap(), &dpop).await;
    assert_eq!(info["address"]["locality"], "Leeds");
    assert_eq!(info["nationalities"], json!(["GB"]));
    assert!(!info.as_object().unwrap().contains_key("verified_claims"));
    op.handle.shutdown().await;
}

/// IDA 1.0 §5.6.6 and OIDC Core §3.1.2.6: malformed requests are refused at
/// PAR with `invalid_request` and a description naming the problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_claims_requests_are_invalid_request_ida_s5_6_6() {
    let op = start().await;
    let (_, challenge) = pkce();
    let set = |claims: Value| json!({"verification": {"trust_framework": null}, "claims": claims});
    let cases = [
        ("not JSON", "{not json".to_string(), "not valid JSON"),
        (
            "no verification",
            json!({"userinfo": {"verified_claims": {"claims": {"given_name": null}}}}).to_string(),
            "verification",
        ),
        (
            "purpose too short",
            json!({"userinfo": {"verified_claims": set(json!({"given_name": {"purpose": "ab"}}))}})
                .to_string(),
            "purpose",
        ),
        (
            "empty array",
            json!({"id_token": {"verified_claims": []}}).to_string(),
            "array",
        ),
    ];
    for (name, claims, expected) in cases {
        let assertion = op.assertion(PKJWT, json!({})).await;
        let request = pkjwt_par(&assertion, &challenge, &[("claims", &claims)]);
        let response = op.send(false, request).await;
        let body = json(response.body());
        assert_eq!(
            (response.status().as_u16(), body["error"].as_str()),
            (400, Some("invalid_request")),
            "{name}: {body}"
        );
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(expected), "{name}: {description}");
    }
    op.handle.shutdown().await;
}
