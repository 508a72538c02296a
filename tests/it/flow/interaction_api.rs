//! Issue 25, the interaction API over real mTLS: a test "bank app" (an
//! interaction app, `[[resource_servers]]` with `interaction_login_url`,
//! presenting its CA-issued certificate, RFC 8705 §2.1) runs the login and
//! consent of a client whose interactions are handed to it. Shown: a full
//! code flow to tokens with the reported `acr`, `amr` and `auth_time` in
//! the ID token (OIDC Core §2); a denial (`access_denied`, RFC 6749
//! §4.1.2.1); a replayed, a foreign and an expired interaction id; a
//! browser swap (no cookie, another browser's cookie: RFC 6265bis
//! `__Host-` cookie binding); `max_age` (OIDC Core §3.1.2.1); an essential
//! `acr` the app did not reach (OIDC Core §5.5.1.1:
//! `unmet_authentication_requirements`, no code).

use super::super::support::{assert_status, get, json};
use super::harness::*;
use super::verify_id_token;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use serde_json::{Value, json};

/// The client whose interactions the bank app runs.
const APP_CLIENT: &str = "app-client";
/// The bank's login and consent app.
const BANK_APP: &str = "bank-login";
/// Another interaction app of the same bank.
const OTHER_APP: &str = "other-login";
const LOGIN_URL: &str = "https://login.bank.example/op?lang=en";
const SCA: &str = "urn:openbanking:psd2:sca";

/// The OP with the two apps, their certificates (chain, key; PEM) and
/// `login` lines (e.g. the interaction lifetime).
struct Bank {
    op: Op,
    app: (String, String),
    other: (String, String),
}

fn identity(pki: &super::super::support::TestPki, software_id: &str) -> (String, String) {
    let spec =
        fiducia::pki::ClientCertSpec::parse(&format!("software_id={software_id},org_id=bank-platform"))
            .unwrap();
    let issued = fiducia::pki::issue_client(&pki.path(""), &spec).unwrap();
    (
        std::fs::read_to_string(&issued.cert).unwrap(),
        std::fs::read_to_string(&issued.key).unwrap(),
    )
}

async fn bank(login: &str) -> Bank {
    let pki = super::super::support::TestPki::new();
    let app = identity(&pki, BANK_APP);
    let other = identity(&pki, OTHER_APP);
    let sections = Sections {
        login,
        ..Sections::default()
    };
    let op = Op::start_with_sections(pki, sections, |jwks| {
        format!(
            r#"
[[resource_servers]]
id = "{BANK_APP}"
tls_client_auth_subject_dn = "CN={BANK_APP},OU=bank-platform,O=bank-platform,C=GB"
interaction_login_url = "{LOGIN_URL}"

[[resource_servers]]
id = "{OTHER_APP}"
tls_client_auth_subject_dn = "CN={OTHER_APP},OU=bank-platform,O=bank-platform,C=GB"
interaction_login_url = "https://other.bank.example/login"

[[clients]]
client_id = "{APP_CLIENT}"
client_name = "Bank App Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
interaction_app = "{BANK_APP}"
"#,
            jwks = jwks.display()
        )
    })
    .await;
    Bank { op, app, other }
}

/// A JSON POST of the interaction API.
fn api(path: &str, body: &Value) -> Request<Full<Bytes>> {
    Request::post(format!("https://localhost{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

impl Bank {
    async fn call(&self, identity: &(String, String), path: &str, body: Value) -> Response<Bytes> {
        self.op.send_with_identity(identity, api(path, &body)).await
    }

    /// PAR for the app's client with `extra` parameters, then `/authorize`
    /// in `browser`: the PKCE verifier and the interaction id the browser
    /// brings to the app.
    async fn start(&self, browser: &mut Browser, scope: &str, extra: &[(&str, &str)]) -> (String, String) {
        let (verifier, id, _) = self.start_with_cookie(browser, scope, extra).await;
        (verifier, id)
    }

    /// [`Bank::start`], and the binding cookie (`name=value`) the browser got.
    async fn start_with_cookie(
        &self,
        browser: &mut Browser,
        scope: &str,
        extra: &[(&str, &str)],
    ) -> (String, String, String) {
        let (verifier, challenge) = pkce();
        let assertion = self.op.assertion(APP_CLIENT, json!({})).await;
        let mut params = vec![("state", "st-app"), ("nonce", "n-app")];
        params.extend_from_slice(extra);
        let response = self
            .op
            .send(
                false,
                pkjwt_par_for(APP_CLIENT, &assertion, &challenge, scope, &params),
            )
            .await;
        assert_status(&response, 201);
        let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", APP_CLIENT)
            .append_pair("request_uri", &request_uri)
            .finish();
        let response = browser.get(&self.op, &format!("/authorize?{query}")).await;
        assert_status(&response, 303);
        let to = location(&response);
        assert!(to.starts_with(&format!("{LOGIN_URL}&interaction_id=")), "{to}");
        // RFC 6265bis §4.1.3.2: the binding cookie is a `__Host-` cookie.
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.starts_with("__Host-fiducia-interaction="), "{cookie}");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
        let id = query_param(&to, "interaction_id").unwrap();
        assert!(id.len() >= 22, "at least 128 bits: {id}");
        let pair = cookie.split(';').next().unwrap().to_string();
        (verifier, id, pair)
    }

    /// The app reports a login of alice with `acr` at `auth_time`.
    async fn login(&self, id: &str, acr: &str, auth_time: u64) -> Response<Bytes> {
        let body = json!({
            "interaction_id": id, "sub": "acc-alice-1", "acr": acr,
            "amr": ["pwd", "otp"], "auth_time": auth_time,
        });
        self.call(&self.app, "/interaction-api/login", body).await
    }

    /// The app reports the consent; the return URL's path.
    async fn consent(&self, id: &str, answer: Value) -> String {
        let mut body = json!({"interaction_id": id});
        merge(&mut body, answer);
        let response = self.call(&self.app, "/interaction-api/consent", body).await;
        assert_status(&response, 200);
        let to = json(response.body())["return_to"].as_str().unwrap().to_string();
        to.strip_prefix(ISSUER).unwrap().to_string()
    }
}

fn problem_type(response: &Response<Bytes>) -> String {
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    json(response.body())["type"].as_str().unwrap().to_string()
}

/// The full flow, then every refusal of a used id, a foreign app and a
/// swapped browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_app_runs_the_login_and_consent_to_tokens() {
    let bank = bank("").await;
    let mut browser = Browser::new();
    let (verifier, id, cookie) = bank
        .start_with_cookie(&mut browser, "openid profile email", &[])
        .await;

    // Read what is asked.
    let response = bank
        .call(&bank.app, "/interaction-api/read", json!({"interaction_id": id}))
        .await;
    assert_status(&response, 200);
    let asked = json(response.body());
    assert_eq!(asked["client"]["client_id"], APP_CLIENT);
    assert_eq!(asked["client"]["client_name"], "Bank App Fintech");
    assert_eq!(asked["scopes"], json!(["openid", "profile", "email"]));
    assert_eq!(asked["stage"], "login");

    // A foreign app (another interaction app), the API gateway (a resource
    // server that is no interaction app) and no certificate are refused.
    let foreign = bank
        .call(
            &bank.other,
            "/interaction-api/read",
            json!({"interaction_id": id}),
        )
        .await;
    assert_status(&foreign, 404);
    assert_eq!(problem_type(&foreign), "urn:fiducia:problem:unknown-interaction");
    let foreign = bank
        .call(
            &bank.other,
            "/interaction-api/login",
            json!({
                "interaction_id": id, "sub": "acc-alice-1", "auth_time": now(),
            }),
        )
        .await;
    assert_status(&foreign, 404);
    let gateway = bank
        .call(
            &bank.op.gateway,
            "/interaction-api/read",
            json!({"interaction_id": id}),
        )
        .await;
    assert_status(&gateway, 403);
    let anonymous = bank
        .op
        .send(
            false,
            api("/interaction-api/read", &json!({"interaction_id": id})),
        )
        .await;
    assert_status(&anonymous, 401);
    // Malformed input is a 400 problem, never a 500.
    let malformed = bank
        .call(&bank.app, "/interaction-api/login", json!({"interaction_id": id}))
        .await;
    assert_status(&malformed, 400);
    assert_eq!(problem_type(&malformed), "urn:fiducia:problem:invalid-report");
    let unknown_sub = bank
        .call(
            &bank.app,
            "/interaction-api/login",
            json!({
                "interaction_id": id, "sub": "nobody", "auth_time": now(),
            }),
        )
        .await;
    assert_status(&unknown_sub, 400);
    // The consent before the login is out of order.
    let early = bank
        .call(
            &bank.app,
            "/interaction-api/consent",
            json!({"interaction_id": id, "approve": true}),
        )
        .await;
    assert_status(&early, 409);

    // The login, then a consent granting fewer scopes than asked.
    let auth_time = now() - 5;
    assert_status(&bank.login(&id, SCA, auth_time).await, 200);
    let too_much = bank
        .call(
            &bank.app,
            "/interaction-api/consent",
            json!({
                "interaction_id": id, "approve": true, "scopes": ["openid", "accounts"],
            }),
        )
        .await;
    assert_status(&too_much, 400);
    let back = bank
        .consent(&id, json!({"approve": true, "scopes": ["openid", "email"]}))
        .await;
    assert!(back.starts_with("/interaction/return?interaction_id="), "{back}");

    // Browser swap: no cookie, or another browser's cookie: an error page, no code.
    let swapped = Browser::new().get(&bank.op, &back).await;
    assert_status(&swapped, 403);
    assert!(swapped.headers().get("location").is_none());
    let mut other_browser = Browser::new();
    bank.start(&mut other_browser, "openid", &[]).await;
    let swapped = other_browser.get(&bank.op, &back).await;
    assert_status(&swapped, 403);
    assert!(swapped.headers().get("location").is_none());
    let page = String::from_utf8(swapped.body().to_vec()).unwrap();
    assert!(
        page.contains("did not start this authorization request"),
        "{page}"
    );

    // The browser that started it gets the code.
    let response = browser.get(&bank.op, &back).await;
    assert_status(&response, 303);
    let redirect = location(&response);
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("st-app"));
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));

    // Replayed: the browser's cookie was cleared with the redirect, and a
    // copy of it meets a finished interaction: error pages, no code; the
    // API refuses a finished interaction too.
    let replay = browser.get(&bank.op, &back).await;
    assert_status(&replay, 403);
    assert!(replay.headers().get("location").is_none());
    let replay = bank
        .op
        .send(false, with_header(get(&back), "cookie", &cookie))
        .await;
    assert_status(&replay, 400);
    assert!(replay.headers().get("location").is_none());
    let page = String::from_utf8(replay.body().to_vec()).unwrap();
    assert!(page.contains("already been completed"), "{page}");
    let replay = bank
        .call(&bank.app, "/interaction-api/read", json!({"interaction_id": id}))
        .await;
    assert_status(&replay, 409);
    assert_eq!(problem_type(&replay), "urn:fiducia:problem:interaction-used");
    let replay = bank.login(&id, SCA, now()).await;
    assert_status(&replay, 409);

    // Tokens; the ID token carries what the app reported (OIDC Core §2).
    let authorized = Authorized {
        code,
        verifier,
        redirect,
    };
    let dpop = DpopKey::new();
    let response = token_request_for(&bank.op, APP_CLIENT, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["scope"], "openid email", "the scopes the app granted");
    let claims = verify_id_token(&bank.op, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], "acc-alice-1");
    assert_eq!(claims["acr"], SCA);
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(claims["auth_time"], json!(auth_time));
    assert_eq!(claims["nonce"], "n-app");
}

/// A denial ends at the client with `access_denied` (RFC 6749 §4.1.2.1);
/// an essential `acr` the app did not reach with
/// `unmet_authentication_requirements` (OIDC Core §5.5.1.1), no code
/// either way; a login older than `max_age` is refused (OIDC Core §3.1.2.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denials_and_unmet_requirements_give_the_client_an_error_not_a_code() {
    let bank = bank("").await;

    let mut browser = Browser::new();
    let (_, id) = bank.start(&mut browser, "openid", &[]).await;
    assert_status(&bank.login(&id, SCA, now()).await, 200);
    let back = bank.consent(&id, json!({"approve": false})).await;
    let response = browser.get(&bank.op, &back).await;
    assert_status(&response, 303);
    let redirect = location(&response);
    assert_eq!(query_param(&redirect, "error").as_deref(), Some("access_denied"));
    assert!(query_param(&redirect, "code").is_none());

    let essential = json!({"id_token": {"acr": {"essential": true, "values": [SCA]}}}).to_string();
    let mut browser = Browser::new();
    let (_, id) = bank
        .start(&mut browser, "openid", &[("claims", &essential)])
        .await;
    let asked = json(
        bank.call(&bank.app, "/interaction-api/read", json!({"interaction_id": id}))
            .await
            .body(),
    );
    assert_eq!(asked["essential_acr"], json!([SCA]));
    // Single-factor only.
    assert_status(&bank.login(&id, "urn:openbanking:psd2:ca", now()).await, 200);
    let back = bank.consent(&id, json!({"approve": true})).await;
    let response = browser.get(&bank.op, &back).await;
    assert_status(&response, 303);
    let redirect = location(&response);
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("unmet_authentication_requirements"),
        "{redirect}"
    );
    assert!(query_param(&redirect, "code").is_none());

    // max_age: a login an hour old does not do for a request of 60 s.
    let mut browser = Browser::new();
    let (_, id) = bank
        .start(
            &mut browser,
            "openid",
            &[("max_age", "60"), ("acr_values", SCA), ("login_hint", "alice")],
        )
        .await;
    let asked = json(
        bank.call(&bank.app, "/interaction-api/read", json!({"interaction_id": id}))
            .await
            .body(),
    );
    assert_eq!(asked["max_age"], 60);
    assert_eq!(asked["acr_values"], json!([SCA]));
    assert_eq!(asked["login_hint"], "alice");
    let stale = bank.login(&id, SCA, now() - 3_600).await;
    assert_status(&stale, 400);
    assert!(json(stale.body())["detail"].as_str().unwrap().contains("max_age"));
    assert_status(&bank.login(&id, SCA, now()).await, 200);
}

/// An interaction past its lifetime (`[login] interaction_app_ttl_secs`)
/// is unknown to the app and to the browser: no code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_interaction_id_is_refused() {
    let bank = bank("interaction_app_ttl_secs = 1").await;
    let mut browser = Browser::new();
    let (_, id) = bank.start(&mut browser, "openid", &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    let response = bank
        .call(&bank.app, "/interaction-api/read", json!({"interaction_id": id}))
        .await;
    assert_status(&response, 404);
    assert_status(&bank.login(&id, SCA, now()).await, 404);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("interaction_id", &id)
        .finish();
    let response = browser
        .get(&bank.op, &format!("/interaction/return?{query}"))
        .await;
    assert_status(&response, 400);
    assert!(response.headers().get("location").is_none());
    // An id never issued is refused the same way.
    let unknown = bank
        .call(
            &bank.app,
            "/interaction-api/read",
            json!({"interaction_id": "x".repeat(43)}),
        )
        .await;
    assert_status(&unknown, 404);
}

/// OIDC Core §3.1.2.1 and §3.1.2.6: `prompt=none` shows no page, and
/// Fiducia keeps no login session, so the client gets `login_required` at
/// its redirect URI (with `state` and RFC 9207 `iss`) at once, whether the
/// interaction would have gone to the bank's app or to the built-in pages:
/// no cookie, no interaction handed anywhere, and the `request_uri` is used
/// up (RFC 9126 §4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_none_is_login_required_at_the_redirect_uri_without_a_page() {
    let bank = bank("").await;
    for client in [APP_CLIENT, PKJWT] {
        let (_, challenge) = pkce();
        let assertion = bank.op.assertion(client, json!({})).await;
        let extra = [("state", "st-none"), ("nonce", "n-none"), ("prompt", "none")];
        let response = bank
            .op
            .send(
                false,
                pkjwt_par_for(client, &assertion, &challenge, "openid", &extra),
            )
            .await;
        assert_status(&response, 201);
        let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", client)
            .append_pair("request_uri", &request_uri)
            .finish();
        let mut browser = Browser::new();
        let response = browser.get(&bank.op, &format!("/authorize?{query}")).await;
        assert_status(&response, 303);
        let to = location(&response);
        assert!(to.starts_with(REDIRECT), "{client}: {to}");
        assert_eq!(query_param(&to, "error").as_deref(), Some("login_required"));
        assert_eq!(query_param(&to, "state").as_deref(), Some("st-none"));
        assert_eq!(query_param(&to, "iss").as_deref(), Some(ISSUER));
        assert!(query_param(&to, "code").is_none());
        assert!(
            response.headers().get("set-cookie").is_none(),
            "{client}: no interaction"
        );
        let again = browser.get(&bank.op, &format!("/authorize?{query}")).await;
        assert_status(&again, 400);
    }
}

/// `POST /interaction-api/abandon`: the app gives up, and the client hears
/// the reason's error at its redirect URI, with its `state`, no code (OIDC
/// Core §3.1.2.6; RFC 6749 §4.1.2.1): `sca_unavailable` (a customer
/// without a second factor when SCA is required) is
/// `unmet_authentication_requirements`, `customer_cancelled`
/// `access_denied`, `login_required` itself. Another app's call is 404,
/// an unknown reason 400, abandoning after the consent was reported 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_abandons_and_the_client_hears_the_reason() {
    let bank = bank("").await;
    for (reason, error, logged_in) in [
        ("sca_unavailable", "unmet_authentication_requirements", true),
        ("customer_cancelled", "access_denied", false),
        ("login_required", "login_required", false),
    ] {
        let mut browser = Browser::new();
        let (_, id) = bank.start(&mut browser, "openid", &[("acr_values", SCA)]).await;
        if logged_in {
            // The password was right; the customer has no second factor.
            let login = bank.login(&id, "urn:openbanking:psd2:ca", now()).await;
            assert_status(&login, 200);
        }
        let body = json!({"interaction_id": id, "reason": reason});
        let foreign = bank
            .call(&bank.other, "/interaction-api/abandon", body.clone())
            .await;
        assert_status(&foreign, 404);
        let response = bank
            .call(&bank.app, "/interaction-api/abandon", body.clone())
            .await;
        assert_status(&response, 200);
        let answer = json(response.body());
        assert_eq!(answer["stage"], "abandoned");
        let back = answer["return_to"]
            .as_str()
            .unwrap()
            .strip_prefix(ISSUER)
            .unwrap()
            .to_string();
        // The same reason again is a retry; a login after it is refused.
        assert_status(&bank.call(&bank.app, "/interaction-api/abandon", body).await, 200);
        assert_status(&bank.login(&id, SCA, now()).await, 409);
        let response = browser.get(&bank.op, &back).await;
        assert_status(&response, 303);
        let redirect = location(&response);
        assert!(redirect.starts_with(REDIRECT), "{redirect}");
        assert_eq!(
            query_param(&redirect, "error").as_deref(),
            Some(error),
            "{redirect}"
        );
        assert_eq!(query_param(&redirect, "state").as_deref(), Some("st-app"));
        assert!(query_param(&redirect, "code").is_none());
        // Finished: the id is single use.
        let used = bank
            .call(&bank.app, "/interaction-api/read", json!({"interaction_id": id}))
            .await;
        assert_status(&used, 409);
    }

    let mut browser = Browser::new();
    let (_, id) = bank.start(&mut browser, "openid", &[]).await;
    let unknown = bank
        .call(
            &bank.app,
            "/interaction-api/abandon",
            json!({"interaction_id": id, "reason": "bored"}),
        )
        .await;
    assert_status(&unknown, 400);
    assert_eq!(problem_type(&unknown), "urn:fiducia:problem:invalid-report");
    assert_status(&bank.login(&id, SCA, now()).await, 200);
    bank.consent(&id, json!({"approve": true})).await;
    let late = bank
        .call(
            &bank.app,
            "/interaction-api/abandon",
            json!({"interaction_id": id, "reason": "customer_cancelled"}),
        )
        .await;
    assert_status(&late, 409);
}

/// Grant Management §5.2 through the bank's app: `read` names the
/// `grant_management_action` once the customer is known to be the grant's,
/// and the merge the app's consent approves keeps the `grant_id` and joins
/// the scopes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_through_the_app_is_named_and_kept_grant_management_s5_2() {
    let bank = bank("").await;
    let dpop = DpopKey::new();
    let mut grant_ids: Vec<String> = Vec::new();
    let mut last = Value::Null;
    for (scope, merge) in [("openid email", false), ("openid profile", true)] {
        let mut browser = Browser::new();
        let first = grant_ids.first().cloned().unwrap_or_default();
        let extra: Vec<(&str, &str)> = if merge {
            vec![("grant_management_action", "merge"), ("grant_id", &first)]
        } else {
            Vec::new()
        };
        let (verifier, id) = bank.start(&mut browser, scope, &extra).await;
        assert_status(&bank.login(&id, SCA, now()).await, 200);
        let read = bank
            .call(&bank.app, "/interaction-api/read", json!({"interaction_id": id}))
            .await;
        assert_status(&read, 200);
        let expected = if merge { json!("merge") } else { Value::Null };
        assert_eq!(json(read.body())["grant_management_action"], expected);
        let back = bank.consent(&id, json!({"approve": true})).await;
        let response = browser.get(&bank.op, &back).await;
        assert_status(&response, 303);
        let redirect = location(&response);
        let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
        let authorized = Authorized {
            code,
            verifier,
            redirect,
        };
        let response = token_request_for(&bank.op, APP_CLIENT, &authorized, Some(&dpop)).await;
        assert_status(&response, 200);
        last = json(response.body());
        grant_ids.push(last["grant_id"].as_str().unwrap().to_string());
    }
    assert_eq!(grant_ids[0], grant_ids[1], "a merge keeps the grant");
    let mut scopes: Vec<&str> = last["scope"].as_str().unwrap().split(' ').collect();
    scopes.sort();
    assert_eq!(scopes, ["email", "openid", "profile"], "{last}");
}
