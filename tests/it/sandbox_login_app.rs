//! The sandbox's login-and-consent app (issue 25, item 4) in a real
//! `fiducia sandbox` process, everything over TLS: the client
//! `sandbox-fintech-app` (tls_client_auth, RFC 8705 §2.1) pushes a request
//! (RFC 9126), `/authorize` sends the browser to the app (its
//! `interaction_app`), the app's pages sign the customer in and take the
//! consent, reporting both through the OP's interaction API over mTLS with
//! its own certificate, and the browser comes back through
//! `/interaction/return` with the code. Shown: a payment (RFC 9396
//! `payment_initiation`) with the TOTP code (RFC 6238) to certificate-bound
//! tokens whose ID token says `acr` `urn:openbanking:psd2:sca`, `amr`
//! `pwd otp mfa` (RFC 8176); a wrong password stays on the app's page
//! (401); a denial is `access_denied` at the redirect URI (RFC 6749
//! §4.1.2.1); a customer without a factor asked for a payment never gets
//! a code (the app abandons the interaction, `sca_unavailable`: the
//! client hears `unmet_authentication_requirements`); a forged form (no CSRF token, RFC 6749 §10.12), an unknown and
//! a used interaction get the app's error page. Then `fiducia demo payment
//! --login-app` takes the same path, scripted, to a settled payment.

use super::process::{signal, spawn_sandbox, wait_exit};
use super::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use fiducia::sandbox::SandboxEndpoints;
use http::{Request, Response};
use http_body_util::Full;
use nix::sys::signal::Signal;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const CLIENT: &str = "sandbox-fintech-app";
/// The client's registered redirect URI (never fetched: the code is read
/// from the redirect).
const REDIRECT: &str = "https://localhost:8443/sandbox/callback";
/// Alice's TOTP secret in `config/sandbox.toml`.
const ALICE_TOTP: &str = "CURUATVSPOOCUMUH5UVJQNEIFCHTJIPX";

/// One HTTPS exchange with `request` (its URI absolute, on localhost).
async fn exchange(tls: &Arc<rustls::ClientConfig>, request: Request<Full<Bytes>>) -> Response<Bytes> {
    let port = request.uri().port_u16().unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    send(addr, tls.clone(), Version::Http1, request).await
}

fn form_post(url: &str, pairs: &[(&str, &str)], cookie: Option<&str>) -> Request<Full<Bytes>> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut builder = Request::post(url).header("content-type", "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    builder.body(Full::new(Bytes::from(body))).unwrap()
}

fn location(response: &Response<Bytes>) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF field: {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

fn text(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

/// A browser: no certificate, one cookie jar for `localhost` (cookies are
/// per host, not per port: RFC 6265 §8.5), as a real browser keeps it.
struct Browser {
    tls: Arc<rustls::ClientConfig>,
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn cookie_header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn keep(&mut self, response: &Response<Bytes>) {
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    async fn get(&mut self, url: &str) -> Response<Bytes> {
        let mut builder = Request::get(url);
        if let Some(cookie) = self.cookie_header() {
            builder = builder.header("cookie", cookie);
        }
        let response = exchange(&self.tls, builder.body(Full::new(Bytes::new())).unwrap()).await;
        self.keep(&response);
        response
    }

    async fn post(&mut self, url: &str, pairs: &[(&str, &str)]) -> Response<Bytes> {
        let cookie = self.cookie_header();
        let response = exchange(&self.tls, form_post(url, pairs, cookie.as_deref())).await;
        self.keep(&response);
        response
    }
}

/// The running sandbox as the fintech sees it.
struct Sandbox {
    endpoints: SandboxEndpoints,
    /// The fintech's TLS: the sandbox CA, its transport certificate.
    fintech: Arc<rustls::ClientConfig>,
    par: String,
    token: String,
    jwks: Vec<PublicJwk>,
}

impl Sandbox {
    async fn new(data: &std::path::Path) -> Self {
        let endpoints = SandboxEndpoints::read(data).unwrap();
        let clients = data.join("pki/clients");
        let fintech = client_tls_files(
            &endpoints.ca,
            Some((
                &clients.join("sandbox-fintech.pem"),
                &clients.join("sandbox-fintech.key"),
            )),
        );
        let plain = client_tls_files(&endpoints.ca, None);
        let discovery = exchange(
            &plain,
            Request::get(format!("{}/.well-known/openid-configuration", endpoints.issuer))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
        assert_status(&discovery, 200);
        let metadata = json(discovery.body());
        let aliases = &metadata["mtls_endpoint_aliases"];
        let jwks = exchange(
            &plain,
            Request::get(metadata["jwks_uri"].as_str().unwrap())
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
        Self {
            fintech,
            par: aliases["pushed_authorization_request_endpoint"]
                .as_str()
                .unwrap()
                .to_string(),
            token: aliases["token_endpoint"].as_str().unwrap().to_string(),
            jwks: serde_json::from_value(json(jwks.body())["keys"].clone()).unwrap(),
            endpoints,
        }
    }

    fn browser(&self) -> Browser {
        Browser {
            tls: client_tls_files(&self.endpoints.ca, None),
            cookies: Vec::new(),
        }
    }

    /// PAR (PKCE S256) with `extra`, then `/authorize` in `browser`: the
    /// verifier and the app's login URL the browser was sent to.
    async fn start(&self, browser: &mut Browser, scope: &str, extra: &[(&str, &str)]) -> (String, String) {
        let verifier = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            verifier.as_bytes(),
        ));
        let mut pairs = vec![
            ("client_id", CLIENT),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "st-app"),
            ("nonce", "n-app"),
        ];
        pairs.extend_from_slice(extra);
        let response = exchange(&self.fintech, form_post(&self.par, &pairs, None)).await;
        assert_status(&response, 201);
        let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", CLIENT)
            .append_pair("request_uri", &request_uri)
            .finish();
        let response = browser
            .get(&format!("{}/authorize?{query}", self.endpoints.issuer))
            .await;
        assert_status(&response, 303);
        let to = location(&response);
        assert!(
            to.starts_with(&format!("{}/login?interaction_id=", self.endpoints.login_app_url)),
            "{to}"
        );
        (verifier, to)
    }

    /// The app's login page, then `username`'s password: the response.
    async fn sign_in(
        &self,
        browser: &mut Browser,
        login_url: &str,
        username: &str,
        password: &str,
    ) -> Response<Bytes> {
        let page = browser.get(login_url).await;
        assert_status(&page, 200);
        // CSP3 §6.4.3: the forms may end, through redirects, at the OP and
        // the client (`form-action`), nowhere else; no script at all.
        let csp = page.headers()["content-security-policy"].to_str().unwrap();
        let op = format!("'self' {}", self.endpoints.issuer);
        assert!(
            csp.contains(&format!("form-action {op} https://localhost:8443;")),
            "{csp}"
        );
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        let html = text(&page);
        assert!(html.contains("Sandbox Fintech Ltd (bank app login)"), "{html}");
        let csrf = csrf_of(&html);
        let url = format!("{}/login", self.endpoints.login_app_url);
        browser
            .post(
                &url,
                &[("csrf", &csrf), ("username", username), ("password", password)],
            )
            .await
    }

    /// The consent page, then `decision`; the redirect to the client
    /// after `/interaction/return`, and the consent page's HTML.
    async fn decide(&self, browser: &mut Browser, decision: &str) -> (String, String) {
        let url = format!("{}/consent", self.endpoints.login_app_url);
        let page = browser.get(&url).await;
        assert_status(&page, 200);
        let html = text(&page);
        let response = browser
            .post(&url, &[("csrf", &csrf_of(&html)), ("decision", decision)])
            .await;
        assert_status(&response, 303);
        let return_to = location(&response);
        assert!(
            return_to.starts_with(&format!("{}/interaction/return", self.endpoints.issuer)),
            "{return_to}"
        );
        let response = browser.get(&return_to).await;
        assert_status(&response, 303);
        (location(&response), html)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_login_app_signs_in_takes_the_consent_and_the_client_gets_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let mut child = spawn_sandbox(&data);
    let sandbox = Sandbox::new(&data).await;
    let app = sandbox.endpoints.login_app_url.clone();

    // A payment (RFC 9396 payment_initiation): PSD2 RTS Art. 4 and 5 need
    // SCA, so the app asks alice for her code and shows the payment.
    let detail = json!([{
        "type": "payment_initiation",
        "instructedAmount": {"currency": "EUR", "amount": "42.10"},
        "creditorName": "Merchant <A>",
        "creditorAccount": {"iban": "DE02100100109307118603"},
    }])
    .to_string();
    let mut browser = sandbox.browser();
    let (verifier, alice_login) = sandbox
        .start(
            &mut browser,
            "openid payments",
            &[("authorization_details", &detail)],
        )
        .await;

    // A wrong password stays on the app's page: 401, the form again, no redirect.
    let wrong = sandbox
        .sign_in(&mut browser, &alice_login, "alice", "not-her-password")
        .await;
    assert_status(&wrong, 401);
    assert!(wrong.headers().get("location").is_none());
    assert!(text(&wrong).contains("Wrong username or password."));
    let csrf = csrf_of(&text(&wrong));
    let right = browser
        .post(
            &format!("{app}/login"),
            &[
                ("csrf", &csrf),
                ("username", "alice"),
                ("password", "wonderland-123"),
            ],
        )
        .await;
    assert_status(&right, 303);
    assert_eq!(location(&right), "/otp");

    // The code page shows what the code approves (RTS Art. 5(1)(a)), escaped.
    let page = browser.get(&format!("{app}/otp")).await;
    assert_status(&page, 200);
    let html = text(&page);
    assert!(
        html.contains("42.10 EUR") && html.contains("Merchant &lt;A&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"), "no JavaScript");
    let secret = fiducia::protocol::totp::base32_decode(ALICE_TOTP).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = fiducia::protocol::totp::code_at(&secret, now);
    let response = browser
        .post(
            &format!("{app}/otp"),
            &[("csrf", &csrf_of(&html)), ("otp", &code)],
        )
        .await;
    assert_status(&response, 303);
    assert_eq!(location(&response), "/consent");

    // The consent page names the client, the scopes and the payment; approve.
    let (redirect, consent_html) = sandbox.decide(&mut browser, "approve").await;
    assert!(consent_html.contains("openid payments") && consent_html.contains("42.10 EUR"));
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    // RFC 9207 §2: the issuer; RFC 6749 §4.1.2: the state.
    assert_eq!(
        query_param(&redirect, "iss").as_deref(),
        Some(sandbox.endpoints.issuer.as_str())
    );
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("st-app"));
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));

    // Certificate-bound tokens (RFC 8705 §3) with the app's login in the ID token.
    let response = exchange(
        &sandbox.fintech,
        form_post(
            &sandbox.token,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
                ("client_id", CLIENT),
            ],
            None,
        ),
    )
    .await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert!(tokens["access_token"].is_string());
    let claims = verify_jws(tokens["id_token"].as_str().unwrap(), &sandbox.jwks, Some("JWT"))
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "sandbox-alice");
    assert_eq!(claims["aud"], CLIENT);
    assert_eq!(claims["nonce"], "n-app");
    assert_eq!(claims["acr"], "urn:openbanking:psd2:sca");
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    let auth_time = claims["auth_time"].as_u64().unwrap();
    assert!(
        auth_time <= now + 5 && auth_time + 120 >= now,
        "{auth_time} vs {now}"
    );

    // Bob denies an account request (password only: no payment, no SCA
    // asked): access_denied at the redirect URI, no code.
    let mut bob = sandbox.browser();
    let (_, login_url) = sandbox.start(&mut bob, "openid accounts", &[]).await;
    let response = sandbox.sign_in(&mut bob, &login_url, "bob", "builder-456").await;
    assert_status(&response, 303);
    assert_eq!(location(&response), "/consent");
    let (redirect, _) = sandbox.decide(&mut bob, "deny").await;
    assert_eq!(query_param(&redirect, "error").as_deref(), Some("access_denied"));
    assert!(query_param(&redirect, "code").is_none());

    // Bob has no second factor: asked for a payment, he is never let
    // through with his password; the app gives the interaction up
    // (sca_unavailable) and the client gets
    // unmet_authentication_requirements (OIDC Core §3.1.2.6).
    let mut bob = sandbox.browser();
    let (_, login_url) = sandbox
        .start(&mut bob, "openid payments", &[("authorization_details", &detail)])
        .await;
    let response = sandbox.sign_in(&mut bob, &login_url, "bob", "builder-456").await;
    assert_status(&response, 303);
    let return_to = location(&response);
    assert!(return_to.starts_with(&format!("{}/interaction/return", sandbox.endpoints.issuer)));
    let redirect = location(&bob.get(&return_to).await);
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("unmet_authentication_requirements"),
        "{redirect}"
    );
    assert!(query_param(&redirect, "code").is_none());

    // A form without the sign-in's CSRF token, an unknown interaction and
    // a used one get the app's error pages.
    let mut mallory = sandbox.browser();
    let (_, login_url) = sandbox.start(&mut mallory, "openid", &[]).await;
    assert_status(&mallory.get(&login_url).await, 200);
    let forged = mallory
        .post(
            &format!("{app}/login"),
            &[("username", "alice"), ("password", "wonderland-123")],
        )
        .await;
    assert_status(&forged, 403);
    let unknown = mallory
        .get(&format!("{app}/login?interaction_id=not-an-interaction"))
        .await;
    assert_status(&unknown, 404);
    assert!(text(&unknown).contains("This sign-in has expired"));
    // The interaction id is single use: alice's finished one is refused.
    let used = browser.get(&alice_login).await;
    assert!(matches!(used.status().as_u16(), 404 | 409), "{}", used.status());
    assert!(text(&used).contains("Start again from the application."));

    // `fiducia demo payment --login-app`: the same path scripted, from
    // consents to money moved; the demo's browser follows the OP to the app.
    let demo_data = data.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(fiducia_bin())
            .args(["demo", "payment", "--data"])
            .arg(&demo_data)
            .args([
                "--user",
                "alice",
                "--password",
                "wonderland-123",
                "--login-app",
                "--json",
            ])
            .args(["--amount", "3.21"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let lines = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{lines}\n{stdout}");
    assert!(
        lines.contains("login app client") && lines.contains(CLIENT),
        "{lines}"
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["client_id"], CLIENT);
    assert_eq!(summary["payment_status"], "AcceptedSettlementCompleted");
    assert_eq!(summary["consent_status"], "Consumed");

    signal(&child.0, Signal::SIGINT);
    assert_eq!(wait_exit(&mut child.0, Duration::from_secs(10)).code(), Some(0));
}

/// The app's pages in headless Chromium (the CIBA page test's WebDriver
/// harness): a person opens the authorization URL, the OP sends the
/// browser to the app, they sign in, read the consent (client, scopes,
/// escaped values, no script) and approve; the browser ends at the
/// client's redirect URI with a code (RFC 6749 §4.1.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_and_approves_on_the_login_apps_pages_in_chromium() {
    use super::ciba::browser::spki_pin;
    use super::ciba::webdriver::Driver;
    let driver = Driver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let mut child = spawn_sandbox(&data);
    let sandbox = Sandbox::new(&data).await;

    // The request is pushed by the fintech; the person gets the URL.
    let verifier = URL_SAFE_NO_PAD.encode([7u8; 32]);
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    let pairs = [
        ("client_id", CLIENT),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid accounts"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "st-chromium"),
        ("nonce", "n-chromium"),
    ];
    let response = exchange(&sandbox.fintech, form_post(&sandbox.par, &pairs, None)).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", CLIENT)
        .append_pair("request_uri", &request_uri)
        .finish();
    let url = format!("{}/authorize?{query}", sandbox.endpoints.issuer);

    let pin = spki_pin(&data.join("pki/server.pem"));
    let browser = driver
        .session(&[
            format!("--ignore-certificate-errors-spki-list={pin}"),
            "--window-size=412,915".to_string(),
        ])
        .await;
    browser.open(&url).await;
    browser.wait_for("h1", "Sandbox Bank").await;
    assert!(
        browser
            .url()
            .await
            .starts_with(&format!("{}/login?", sandbox.endpoints.login_app_url))
    );
    browser
        .wait_for(
            "p.sub",
            "Sandbox Fintech Ltd (bank app login) asks you to sign in",
        )
        .await;
    let username = browser.wait_for("form input#username[name=username]", "").await;
    browser.type_into(&username, "alice").await;
    let password = browser.wait_for("form input#password[name=password]", "").await;
    browser.type_into(&password, "wonderland-123").await;
    let submit = browser.wait_for("form button[type=submit]", "Sign in").await;
    browser.click(&submit).await;

    browser
        .wait_for("h1", "Sandbox Fintech Ltd (bank app login) asks")
        .await;
    browser.wait_for("dd", "openid accounts").await;
    assert!(browser.all("script").await.is_empty(), "no JavaScript");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("login-app-browser");
    let png = browser.screenshot(&shots.join("consent.png")).await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
    let approve = browser
        .wait_for("form button[name=decision][value=approve]", "Approve")
        .await;
    browser.click(&approve).await;

    // Through /interaction/return (the OP's cookie) to the redirect URI.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let landed = loop {
        let at = browser.url().await;
        if at.starts_with(REDIRECT) || std::time::Instant::now() > deadline {
            break at;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        landed.starts_with(REDIRECT),
        "{landed}: {}",
        browser.source().await
    );
    assert!(query_param(&landed, "code").is_some(), "{landed}");
    assert_eq!(query_param(&landed, "state").as_deref(), Some("st-chromium"));
    browser.quit().await;

    signal(&child.0, Signal::SIGINT);
    assert_eq!(wait_exit(&mut child.0, Duration::from_secs(10)).code(), Some(0));
}
