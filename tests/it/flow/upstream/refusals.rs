//! A hostile upstream provider (discovery, JWKS and a token endpoint that
//! serves crafted ID tokens, on the test PKI's TLS; no PAR, so `state` and
//! `nonce` travel in the authorization URL) against a real downstream OP.
//! Shown: OIDC Core §3.1.3.7 refusals at the callback — another `aud`
//! (step 3), another `nonce` (step 11), a key not in the upstream's JWKS
//! (step 6) — each an error page, no code, logged and counted by reason;
//! RFC 9207 §2.4 `iss`; the same seam accepting a good token; an unknown
//! `sub` with `provision = false` refused, with `provision = true` a
//! customer created; an upstream `error` going to the client (RFC 6749
//! §4.1.2.1); an unreachable upstream; SCA asked through `acr_map` and a
//! lower level `unmet_authentication_requirements`; `max_age` and
//! `prompt=login` passed up and `max_age` enforced (OIDC Core §3.1.2.1).

use super::super::super::support::{TestPki, assert_status};
use super::super::harness::*;
use super::super::verify_id_token;
use super::*;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Hostile {
    down: Op,
    issuer: String,
    key: SoftwareSigner,
    documents: Arc<Mutex<HashMap<String, String>>>,
}

/// The hostile upstream and a downstream using it; the downstream customer
/// `LINKED_ACCOUNT` is linked to its `sub` `linked-sub`.
async fn hostile(lines: &str) -> Hostile {
    let pki = TestPki::new();
    let documents: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let port = document_host(&pki, documents.clone()).await;
    let issuer = format!("https://localhost:{port}");
    let key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    {
        let mut docs = documents.lock().unwrap();
        docs.insert(
            "/.well-known/openid-configuration".into(),
            json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
                "authorization_response_iss_parameter_supported": true,
            })
            .to_string(),
        );
        docs.insert("/jwks".into(), json!({"keys": [key.public_jwk()]}).to_string());
    }
    let ca = pki.ca().display().to_string();
    let down = downstream(pki, &issuer, &ca, "linked-sub", lines).await;
    Hostile {
        down,
        issuer,
        key,
        documents,
    }
}

impl Hostile {
    /// `/authorize` at the downstream in `browser`: the `state` and `nonce`
    /// it sends upstream.
    async fn start(&self, browser: &mut Browser) -> (String, String) {
        let (authorize, _) = push(&self.down, "openid", &[]).await;
        let response = browser.get(&self.down, &authorize).await;
        assert_status(&response, 303);
        let sent = location(&response);
        assert!(sent.starts_with(&format!("{}/authorize?", self.issuer)), "{sent}");
        assert_eq!(
            query_param(&sent, "code_challenge_method").as_deref(),
            Some("S256")
        );
        (
            query_param(&sent, "state").unwrap(),
            query_param(&sent, "nonce").unwrap(),
        )
    }

    /// The next token answer carries an ID token signed by `key` with
    /// `changes` to good claims for `nonce`.
    async fn serve(&self, key: &SoftwareSigner, nonce: &str, changes: Value) {
        let now = now();
        let mut claims = json!({
            "iss": self.issuer, "sub": "linked-sub", "aud": AT_UPSTREAM, "exp": now + 300,
            "iat": now, "nonce": nonce, "name": "Hostile Name",
        });
        merge(&mut claims, changes);
        let id_token = sign_jws(key, Map::new(), claims.to_string().as_bytes())
            .await
            .unwrap();
        let answer = json!({"access_token": "at", "token_type": "DPoP", "id_token": id_token});
        self.documents
            .lock()
            .unwrap()
            .insert("/token".into(), answer.to_string());
    }

    /// The browser back at the downstream callback with `state`.
    async fn back(&self, browser: &mut Browser, state: &str, iss: Option<&str>) -> Response<Bytes> {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("code", "upstream-code")
            .append_pair("state", state);
        if let Some(iss) = iss {
            query.append_pair("iss", iss);
        }
        browser
            .get(
                &self.down,
                &format!("/login/upstream/callback?{}", query.finish()),
            )
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_upstream_id_tokens_are_refused_oidc_core_3_1_3_7() {
    let idp = hostile("").await;
    let stranger = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let cases: [(&str, Option<&SoftwareSigner>, Value); 3] = [
        ("audience", None, json!({"aud": "another-client"})),
        ("nonce", None, json!({"nonce": "not-the-nonce-we-sent"})),
        ("unknown_key", Some(&stranger), json!({})),
    ];
    for (reason, key, changes) in cases {
        let labels = format!("reason=\"{reason}\"");
        let counted = metric(&idp.down, "fiducia_upstream_id_tokens_refused_total", &labels).await;
        let mut browser = Browser::new();
        let (state, nonce) = idp.start(&mut browser).await;
        idp.serve(key.unwrap_or(&idp.key), &nonce, changes).await;
        let response = idp.back(&mut browser, &state, Some(&idp.issuer)).await;
        assert_status(&response, 502);
        assert!(
            response.headers().get("location").is_none(),
            "{reason}: no redirect, no code"
        );
        assert!(
            text(&response).contains("could not be verified"),
            "{reason}: {}",
            text(&response)
        );
        // The recorder is the process's: at least this one more.
        assert!(
            metric(&idp.down, "fiducia_upstream_id_tokens_refused_total", &labels).await > counted,
            "{reason} counted"
        );
        // The state is used and the interaction ended: nothing goes on.
        let again = idp.back(&mut browser, &state, Some(&idp.issuer)).await;
        assert_status(&again, 400);
        assert!(again.headers().get("location").is_none());
    }

    // RFC 9207 §2.4: this upstream says it sends `iss`; without it, or
    // with another, the answer is not trusted.
    for iss in [None, Some("https://attacker.example")] {
        let mut browser = Browser::new();
        let (state, nonce) = idp.start(&mut browser).await;
        idp.serve(&idp.key, &nonce, json!({})).await;
        let response = idp.back(&mut browser, &state, iss).await;
        assert_status(&response, 400);
        assert!(
            text(&response).contains("did not come from the bank"),
            "{}",
            text(&response)
        );
    }

    // The same seam with a good token: the linked customer goes on to the
    // consent page (so the refusals above are the checks', not the seam's).
    let mut browser = Browser::new();
    let (state, nonce) = idp.start(&mut browser).await;
    idp.serve(&idp.key, &nonce, json!({})).await;
    let response = idp.back(&mut browser, &state, Some(&idp.issuer)).await;
    assert_status(&response, 303);
    assert!(
        location(&response).contains("/consent?ix="),
        "{}",
        location(&response)
    );
}

/// An upstream `sub` linked to no customer: refused with `provision =
/// false`; with `provision = true` a customer is created for it, whose
/// `sub` downstream is the link, not the upstream's `sub`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_upstream_customer_is_refused_unless_provisioned() {
    let idp = hostile("").await;
    let mut browser = Browser::new();
    let (state, nonce) = idp.start(&mut browser).await;
    idp.serve(&idp.key, &nonce, json!({"sub": "never-seen"})).await;
    let response = idp.back(&mut browser, &state, Some(&idp.issuer)).await;
    assert_status(&response, 403);
    assert!(response.headers().get("location").is_none());
    assert!(
        text(&response).contains("No customer account is linked"),
        "{}",
        text(&response)
    );

    let idp = hostile("provision = true").await;
    let mut browser = Browser::new();
    let (authorize, verifier) = push(&idp.down, "openid profile", &[]).await;
    let response = browser.get(&idp.down, &authorize).await;
    let sent = location(&response);
    let (state, nonce) = (
        query_param(&sent, "state").unwrap(),
        query_param(&sent, "nonce").unwrap(),
    );
    idp.serve(
        &idp.key,
        &nonce,
        json!({"sub": "never-seen", "acr": "urn:bank:loa:3"}),
    )
    .await;
    let response = idp.back(&mut browser, &state, Some(&idp.issuer)).await;
    assert_status(&response, 303);
    let redirect = browser.authorize_consent(&idp.down, &location(&response)).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let authorized = Authorized {
        code,
        verifier,
        redirect,
    };
    let dpop = DpopKey::new();
    let tokens = token_request_for(&idp.down, RP_CLIENT, &authorized, Some(&dpop)).await;
    assert_status(&tokens, 200);
    let claims = verify_id_token(&idp.down, json(tokens.body())["id_token"].as_str().unwrap()).await;
    let link = fiducia::login::upstream_link::link_username(&idp.issuer, "never-seen");
    assert_eq!(claims["sub"], link.as_str());
    // acr_map: the bank's own level is reported as the OBIE SCA.
    assert_eq!(claims["acr"], "urn:openbanking:psd2:sca");
}

/// RFC 6749 §4.1.2.1 / OIDC Core §3.1.2.6: the upstream's `error` ends
/// the interaction and goes to the client, with its `state`; no code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_error_goes_to_the_client() {
    let idp = hostile("").await;
    for (upstream, ours) in [
        ("access_denied", "access_denied"),
        ("login_required", "login_required"),
    ] {
        let mut browser = Browser::new();
        let (state, _) = idp.start(&mut browser).await;
        let path = format!(
            "/login/upstream/callback?error={upstream}&state={state}&iss={}",
            form_urlencoded::byte_serialize(idp.issuer.as_bytes()).collect::<String>()
        );
        let response = browser.get(&idp.down, &path).await;
        assert_status(&response, 303);
        let redirect = location(&response);
        assert!(redirect.starts_with(REDIRECT), "{redirect}");
        assert_eq!(query_param(&redirect, "error").as_deref(), Some(ours));
        assert_eq!(query_param(&redirect, "state").as_deref(), Some("st-up"));
        assert!(query_param(&redirect, "code").is_none());
    }
}

/// An upstream that cannot be reached: `/authorize` ends the request with
/// an error page (503, try again), no redirect anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_gets_an_error_page() {
    let pki = TestPki::new();
    let ca = pki.ca().display().to_string();
    let dead = format!("https://localhost:{}", super::super::super::support::free_port());
    let down = downstream(pki, &dead, &ca, "linked-sub", "").await;
    let (authorize, _) = push(&down, "openid", &[]).await;
    let response = Browser::new().get(&down, &authorize).await;
    assert_status(&response, 503);
    assert!(response.headers().get("location").is_none());
    assert!(
        text(&response).contains("cannot be reached"),
        "{}",
        text(&response)
    );
}

/// A request that demands SCA (`acr_values` naming only
/// `urn:openbanking:psd2:sca`, OIDC Core §3.1.2.1): the upstream is asked
/// for the level `acr_map` maps to it; a login at another level ends at
/// the client with `unmet_authentication_requirements`, no code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_below_the_sca_asked_is_unmet() {
    let idp = hostile("").await;
    let mut browser = Browser::new();
    let sca = [("acr_values", "urn:openbanking:psd2:sca")];
    let (authorize, _) = push(&idp.down, "openid", &sca).await;
    let response = browser.get(&idp.down, &authorize).await;
    let sent = location(&response);
    assert_eq!(
        query_param(&sent, "acr_values").as_deref(),
        Some("urn:bank:loa:3")
    );
    let (state, nonce) = (
        query_param(&sent, "state").unwrap(),
        query_param(&sent, "nonce").unwrap(),
    );
    idp.serve(&idp.key, &nonce, json!({"acr": "urn:bank:loa:1"}))
        .await;
    let response = idp.back(&mut browser, &state, Some(&idp.issuer)).await;
    assert_status(&response, 303);
    let redirect = location(&response);
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("unmet_authentication_requirements")
    );
    assert!(query_param(&redirect, "code").is_none());
}

/// OIDC Core §3.1.2.1 through the interaction apps' own check
/// (`interaction_api::check_login`): `max_age` and `prompt=login` are
/// passed up; an ID token without `auth_time` though `max_age` was sent is
/// refused (§3.1.3.7 step 13), and a login older than `max_age` ends with
/// an error page, no code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_is_passed_up_and_enforced() {
    let idp = hostile("").await;
    let fresh = [("max_age", "60"), ("prompt", "login")];
    for (auth_time, status, page) in [
        (None, 502, "could not be verified"),
        (Some(now() - 3_600), 403, "older than this request allows"),
    ] {
        let mut browser = Browser::new();
        let (authorize, _) = push(&idp.down, "openid", &fresh).await;
        let response = browser.get(&idp.down, &authorize).await;
        let sent = location(&response);
        assert_eq!(query_param(&sent, "max_age").as_deref(), Some("60"));
        assert_eq!(query_param(&sent, "prompt").as_deref(), Some("login"));
        let (state, nonce) = (
            query_param(&sent, "state").unwrap(),
            query_param(&sent, "nonce").unwrap(),
        );
        idp.serve(&idp.key, &nonce, json!({ "auth_time": auth_time }))
            .await;
        let response = idp.back(&mut browser, &state, Some(&idp.issuer)).await;
        assert_status(&response, status);
        assert!(response.headers().get("location").is_none());
        assert!(text(&response).contains(page), "{}", text(&response));
    }
}
