//! Issue 26 item 2, the customer's consent dashboard over real TLS: a
//! customer with a TOTP factor signs in with the password and a code
//! (RFC 6238; PSD2 RTS Art. 4), sees the account access consent they just
//! authorised in a real flow (fintech, permissions, consent id and status,
//! granted, expiry, last use), confirms and revokes it; at once its access
//! token is inactive at introspection (RFC 7662 §2.2), its refresh token
//! gets `invalid_grant` (RFC 6749 §5.2) and the consent reads `Revoked`
//! (UK OBIE Account and Transaction API v3.1). Another customer's grant
//! cannot be revoked by a crafted POST (404, the token stays active); a
//! POST without or with a wrong CSRF token is refused (403, RFC 6749
//! §10.12); the bank app's JSON form lists and revokes over mTLS with RFC
//! 9457 problems for the refusals.

use super::super::support::{TestPki, json};
use super::consents::ACCOUNTS;
use super::gateway::gateway_introspection_of;
use super::harness::*;
use super::obie_intent::{consent_status, create_consent, push_with_intent, tokens_for_code};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use serde_json::{Value, json};

/// Carol has a TOTP factor; Dave has none.
pub const CAROL: &str = "carol";
pub const CAROL_PASSWORD: &str = "looking-glass-9";
const DAVE: &str = "dave";
const DAVE_PASSWORD: &str = "humpty-dumpty-7";
/// RFC 6238 Appendix B's secret, "12345678901234567890", in base32.
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SECRET: &[u8] = b"12345678901234567890";
/// The bank's own app (an interaction app).
const BANK_APP: &str = "bank-app";

pub const DASHBOARD: &str = "/account/consents";

/// Carol and Dave, and the bank's app.
pub fn bank_setup(_: &std::path::Path) -> String {
    format!(
        r#"
[[login.seed_users]]
username = "{CAROL}"
password = "{CAROL_PASSWORD}"
account_id = "acc-carol-1"
name = "Carol Jones"
email = "carol@example.com"
totp_secret = "{SECRET_B32}"

[[login.seed_users.accounts]]
identification = "GB29NWBK60161331926819"
currency = "GBP"
name = "Current account"

[[login.seed_users]]
username = "{DAVE}"
password = "{DAVE_PASSWORD}"
account_id = "acc-dave-1"
name = "Dave Smith"
email = "dave@example.com"

[[resource_servers]]
id = "{BANK_APP}"
tls_client_auth_subject_dn = "CN={BANK_APP},OU=bank-platform,O=bank-platform,C=GB"
interaction_login_url = "https://app.bank.example/login"
"#
    )
}

pub async fn bank_op() -> (Op, (String, String)) {
    bank_op_with("").await
}

/// [`bank_op`] with extra `[login]` lines.
async fn bank_op_with(login: &str) -> (Op, (String, String)) {
    let pki = TestPki::new();
    let spec =
        fiducia::pki::ClientCertSpec::parse(&format!("software_id={BANK_APP},org_id=bank-platform")).unwrap();
    let issued = fiducia::pki::issue_client(&pki.path(""), &spec).unwrap();
    let app = (
        std::fs::read_to_string(&issued.cert).unwrap(),
        std::fs::read_to_string(&issued.key).unwrap(),
    );
    let sections = Sections {
        login,
        ..Sections::default()
    };
    let op = Op::start_with_sections(pki, sections, bank_setup).await;
    (op, app)
}

/// The code Carol's authenticator shows now.
pub fn code_now() -> String {
    fiducia::protocol::totp::code_at(SECRET, now())
}

/// A real flow: the mTLS fintech's account access consent, authorised by
/// `user` on the consent page, its tokens. (consent id, tokens)
pub async fn authorised_consent(op: &Op, user: (&str, &str), key: &str) -> (String, Value) {
    let body = json!({"Data": {"Permissions": ["ReadAccountsBasic", "ReadBalances"]}, "Risk": {}});
    let intent = create_consent(op, ACCOUNTS, "accounts", key, &body).await;
    let (verifier, challenge) = pkce();
    let response = push_with_intent(op, &challenge, "openid accounts offline_access", &intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let mut browser = Browser::new();
    browser.credentials = Some((user.0.to_string(), user.1.to_string()));
    let redirect = browser.authorize(op, MTLS, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    (intent, tokens_for_code(op, &code, &verifier).await)
}

fn text(response: &Response<Bytes>) -> String {
    String::from_utf8(response.body().to_vec()).unwrap()
}

/// Signs `browser` in at the dashboard as `user`, giving a code when
/// asked: the dashboard's HTML.
pub async fn sign_in(op: &Op, browser: &mut Browser, user: (&str, &str)) -> String {
    let page = browser.get(op, DASHBOARD).await;
    assert_status(&page, 200);
    let html = text(&page);
    assert!(html.contains("name=\"password\""), "{html}");
    let set = page.headers().get("set-cookie").unwrap().to_str().unwrap();
    // RFC 6265bis §4.1.3.2: a __Host- cookie is Secure, Path=/, no Domain.
    assert!(set.starts_with("__Host-fiducia-account-csrf="), "{set}");
    assert!(
        set.contains("Secure") && set.contains("Path=/") && !set.contains("Domain"),
        "{set}"
    );
    let csrf = hidden_field(&html, "csrf");
    let response = browser
        .post(
            op,
            "/account/sign-in",
            &[("username", user.0), ("password", user.1), ("csrf", &csrf)],
        )
        .await;
    assert_status(&response, 303);
    assert_eq!(location(&response), DASHBOARD);
    let session = response.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(session.starts_with("__Host-fiducia-account="), "{session}");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    let page = browser.get(op, DASHBOARD).await;
    assert_status(&page, 200);
    let mut html = text(&page);
    if html.contains("name=\"otp\"") {
        let csrf = hidden_field(&html, "csrf");
        let response = browser
            .post(
                op,
                "/account/sign-in/otp",
                &[("otp", &code_now()), ("csrf", &csrf)],
            )
            .await;
        assert_status(&response, 303);
        let page = browser.get(op, DASHBOARD).await;
        assert_status(&page, 200);
        html = text(&page);
    }
    assert!(
        html.contains("Your consents") && html.contains("Sign out"),
        "{html}"
    );
    html
}

/// A refresh of the mTLS fintech's refresh token (RFC 6749 §6).
async fn refresh(op: &Op, refresh_token: &str) -> Response<Bytes> {
    let request = form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", MTLS),
        ],
    );
    op.send(true, request).await
}

/// The grant id the gateway's introspection gives for `token`.
async fn grant_of(op: &Op, token: &str) -> String {
    let body = gateway_introspection_of(op, token).await;
    assert_eq!(body["active"], true, "{body}");
    body["grant_id"].as_str().unwrap().to_string()
}

/// The dashboard lists the consent just authorised in a real flow, and
/// revoking it there (confirmation, then POST) kills its tokens at once:
/// RFC 7662 §2.2 inactive, RFC 6749 §5.2 `invalid_grant` on refresh, the
/// OBIE consent `Revoked`. Carol has TOTP, so she gives a code (RFC 6238).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_consent_is_listed_and_revoking_it_kills_its_tokens_at_once() {
    let (op, _) = bank_op().await;
    let (intent, tokens) = authorised_consent(&op, (CAROL, CAROL_PASSWORD), "dash-1").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let grant_id = grant_of(&op, access_token).await;

    let mut browser = Browser::new();
    // The password alone shows nothing: the code page comes first.
    let page = browser.get(&op, DASHBOARD).await;
    let csrf = hidden_field(&text(&page), "csrf");
    let response = browser
        .post(
            &op,
            "/account/sign-in",
            &[("username", CAROL), ("password", CAROL_PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_status(&response, 303);
    let page = text(&browser.get(&op, DASHBOARD).await);
    assert!(
        page.contains("name=\"otp\"") && !page.contains(&grant_id),
        "{page}"
    );
    let csrf = hidden_field(&page, "csrf");
    let wrong = browser
        .post(&op, "/account/sign-in/otp", &[("otp", "000000"), ("csrf", &csrf)])
        .await;
    assert_status(&wrong, 401);
    let response = browser
        .post(
            &op,
            "/account/sign-in/otp",
            &[("otp", &code_now()), ("csrf", &csrf)],
        )
        .await;
    assert_status(&response, 303);
    let page = browser.get(&op, DASHBOARD).await;
    assert_status(&page, 200);
    let html = text(&page);
    for shown in [
        "Cert Bank Apps",
        "ReadAccountsBasic, ReadBalances",
        "GB29NWBK60161331926819",
        intent.as_str(),
        "Authorised",
        "Granted",
        "Expires",
        "Last used",
        "just now",
        grant_id.as_str(),
        "Carol Jones",
    ] {
        assert!(html.contains(shown), "the dashboard lacks {shown}: {html}");
    }
    assert_eq!(
        page.headers()["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    );
    let csrf = hidden_field(&html, "csrf");

    // First the confirmation; nothing is revoked yet.
    let confirm = browser
        .post(
            &op,
            "/account/consents/revoke",
            &[("grant_id", &grant_id), ("csrf", &csrf)],
        )
        .await;
    assert_status(&confirm, 200);
    assert!(text(&confirm).contains("name=\"confirm\" value=\"yes\""));
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], true);

    let revoked = browser
        .post(
            &op,
            "/account/consents/revoke",
            &[("grant_id", &grant_id), ("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_status(&revoked, 303);
    // At once: no wait, no retry.
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], false);
    let refreshed = refresh(&op, refresh_token).await;
    assert_status(&refreshed, 400);
    assert_eq!(json(refreshed.body())["error"], "invalid_grant");
    assert_eq!(
        consent_status(&op, &format!("{ACCOUNTS}/{intent}"), "accounts").await,
        "Revoked"
    );
    let after = text(&browser.get(&op, &location(&revoked)).await);
    assert!(
        after.contains("Access revoked") && !after.contains(&grant_id),
        "{after}"
    );
    // Sign-out ends the session: the next visit is the sign-in page.
    let csrf = hidden_field(&after, "csrf");
    assert_status(
        &browser.post(&op, "/account/sign-out", &[("csrf", &csrf)]).await,
        200,
    );
    assert!(text(&browser.get(&op, DASHBOARD).await).contains("name=\"password\""));
    op.handle.shutdown().await;
}

/// Only the customer's own grants: Dave does not see Carol's, and a
/// crafted POST with her grant id is 404 and changes nothing; a POST
/// without the CSRF token, with a wrong one, or a sign-in without the
/// sign-in cookie is 403 (RFC 6749 §10.12; OWASP double submit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customers_grant_cannot_be_revoked_and_forms_need_their_token() {
    let (op, _) = bank_op().await;
    let (_, tokens) = authorised_consent(&op, (CAROL, CAROL_PASSWORD), "dash-2").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let carols = grant_of(&op, access_token).await;

    let mut dave = Browser::new();
    let html = sign_in(&op, &mut dave, (DAVE, DAVE_PASSWORD)).await;
    assert!(
        !html.contains(&carols) && html.contains("No app has access"),
        "{html}"
    );
    let csrf = hidden_field(&html, "csrf");
    for confirm in ["", "yes"] {
        let crafted = dave
            .post(
                &op,
                "/account/consents/revoke",
                &[("grant_id", &carols), ("csrf", &csrf), ("confirm", confirm)],
            )
            .await;
        assert_status(&crafted, 404);
    }
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], true);

    // Carol's own grant, without and with a wrong CSRF token.
    let mut carol = Browser::new();
    let html = sign_in(&op, &mut carol, (CAROL, CAROL_PASSWORD)).await;
    assert!(html.contains(&carols));
    let missing = carol
        .post(
            &op,
            "/account/consents/revoke",
            &[("grant_id", &carols), ("confirm", "yes")],
        )
        .await;
    assert_status(&missing, 403);
    let wrong = carol
        .post(
            &op,
            "/account/consents/revoke",
            &[("grant_id", &carols), ("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_status(&wrong, 403);
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], true);

    // A sign-in posted without the browser's sign-in cookie (a login CSRF).
    let mut stranger = Browser::new();
    let forged = stranger
        .post(
            &op,
            "/account/sign-in",
            &[("username", DAVE), ("password", DAVE_PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_status(&forged, 403);
    // Without a session the revoke form goes back to the sign-in.
    let anonymous = stranger
        .post(
            &op,
            "/account/consents/revoke",
            &[("grant_id", &carols), ("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_status(&anonymous, 303);
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], true);
    op.handle.shutdown().await;
}

/// PSD2 RTS Art. 4(3)(d): a session unused for `[login] session_ttl_secs`
/// is over; the next visit is the sign-in page and a form posted with the
/// old token changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_ends() {
    let (op, _) = bank_op_with("session_ttl_secs = 1").await;
    let mut browser = Browser::new();
    let html = sign_in(&op, &mut browser, (DAVE, DAVE_PASSWORD)).await;
    let csrf = hidden_field(&html, "csrf");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let page = text(&browser.get(&op, DASHBOARD).await);
    assert!(
        page.contains("name=\"password\"") && !page.contains("Sign out"),
        "{page}"
    );
    let late = browser.post(&op, "/account/sign-out", &[("csrf", &csrf)]).await;
    assert_status(&late, 303);
    op.handle.shutdown().await;
}

/// The login throttle is the flow's (`[login] max_failures_per_account`):
/// five wrong passwords lock the username, and then even the right one is
/// 429 with `Retry-After` (RFC 6585 §4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_the_dashboard_sign_in() {
    let (op, _) = bank_op().await;
    let mut browser = Browser::new();
    let page = browser.get(&op, DASHBOARD).await;
    let csrf = hidden_field(&text(&page), "csrf");
    for _ in 0..5 {
        let response = browser
            .post(
                &op,
                "/account/sign-in",
                &[("username", DAVE), ("password", "nope-nope-1"), ("csrf", &csrf)],
            )
            .await;
        assert_status(&response, 401);
    }
    let locked = browser
        .post(
            &op,
            "/account/sign-in",
            &[("username", DAVE), ("password", DAVE_PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_status(&locked, 429);
    assert!(locked.headers().contains_key("retry-after"));
    op.handle.shutdown().await;
}

fn api(method: &str, path: &str, body: Option<&Value>) -> Request<Full<Bytes>> {
    let builder = Request::builder()
        .method(method)
        .uri(format!("https://localhost{path}"));
    match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap(),
        None => builder.body(Full::new(Bytes::new())).unwrap(),
    }
}

/// The JSON form for the bank's own apps (interaction API, mTLS, RFC 8705
/// §2.1): lists the customer's grants with the consent and times, revokes
/// one (its token inactive at once), and answers RFC 9457 problems: 401
/// without a certificate, 404 `unknown-grant` for another customer's
/// grant, 404 `unknown-customer`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bank_app_lists_and_revokes_a_customers_grants_in_json() {
    let (op, app) = bank_op().await;
    let (intent, tokens) = authorised_consent(&op, (CAROL, CAROL_PASSWORD), "dash-3").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let grant_id = grant_of(&op, access_token).await;
    let list = "/interaction-api/customers/acc-carol-1/grants";

    let response = op.send_with_identity(&app, api("GET", list, None)).await;
    assert_status(&response, 200);
    let body = json(response.body());
    let grants = body["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{body}");
    let grant = &grants[0];
    assert_eq!(grant["grant_id"], grant_id.as_str());
    assert_eq!(grant["client_id"], MTLS);
    assert_eq!(grant["client_name"], "Cert Bank Apps");
    assert_eq!(grant["consent"]["consent_id"], intent.as_str());
    assert_eq!(grant["consent"]["status"], "Authorised");
    // UK OBIE account access: every account of the customer.
    assert_eq!(grant["accounts"], json!(["GB29NWBK60161331926819"]));
    assert!(grant["granted_at"].as_u64().unwrap() <= now());
    assert!(grant["expires_at"].as_u64().unwrap() > now());
    assert!(grant["last_used_at"].as_u64().unwrap() >= grant["granted_at"].as_u64().unwrap());
    assert_eq!(body["more"], false);
    // The same listing by POST (the body that can carry a client assertion).
    let posted = op
        .send_with_identity(&app, api("POST", list, Some(&json!({}))))
        .await;
    assert_status(&posted, 200);
    assert_eq!(json(posted.body())["grants"][0]["grant_id"], grant_id.as_str());

    // RFC 9457: no certificate.
    let anonymous = op.send(false, api("GET", list, None)).await;
    assert_status(&anonymous, 401);
    assert_eq!(anonymous.headers()["content-type"], "application/problem+json");
    let unauthenticated_revoke = op
        .send(
            false,
            api("POST", &format!("{list}/{grant_id}/revoke"), Some(&json!({}))),
        )
        .await;
    assert_status(&unauthenticated_revoke, 401);
    // Another customer's path with Carol's grant.
    let foreign = format!("/interaction-api/customers/acc-dave-1/grants/{grant_id}/revoke");
    let response = op
        .send_with_identity(&app, api("POST", &foreign, Some(&json!({}))))
        .await;
    assert_status(&response, 404);
    assert_eq!(json(response.body())["type"], "urn:fiducia:problem:unknown-grant");
    let nobody = op
        .send_with_identity(
            &app,
            api("GET", "/interaction-api/customers/acc-nobody/grants", None),
        )
        .await;
    assert_status(&nobody, 404);
    assert_eq!(
        json(nobody.body())["type"],
        "urn:fiducia:problem:unknown-customer"
    );
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], true);

    let own = format!("{list}/{grant_id}/revoke");
    let response = op
        .send_with_identity(&app, api("POST", &own, Some(&json!({}))))
        .await;
    assert_status(&response, 200);
    let body = json(response.body());
    assert_eq!(body["revoked"], true);
    assert_eq!(body["consent"]["status"], "Revoked");
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], false);
    let again = op
        .send_with_identity(&app, api("POST", &own, Some(&json!({}))))
        .await;
    assert_status(&again, 404);
    let response = op.send_with_identity(&app, api("GET", list, None)).await;
    assert_eq!(json(response.body())["grants"], json!([]));
    // The fintech's own view of the consent agrees.
    assert_eq!(
        consent_status(&op, &format!("{ACCOUNTS}/{intent}"), "accounts").await,
        "Revoked"
    );
    op.handle.shutdown().await;
}
