//! Strong customer authentication in the built-in login over real mTLS
//! (PSD2 RTS Art. 4 and 5; TOTP, RFC 6238): a payment asks for a code
//! after the password, the code page shows the amount and the payee, a
//! right code gives `acr` `urn:openbanking:psd2:sca` and `amr` with `pwd`
//! and `otp`; wrong and replayed codes are refused, consecutive ones lock
//! the factor (with an audit record); an account-access flow without a
//! demand stays `urn:openbanking:psd2:ca`; SCA demanded of a customer
//! without a factor is `unmet_authentication_requirements` at the client;
//! a payment changed after its code needs a new code.

use super::super::support::{TestPki, json};
use super::consents::{ACCOUNTS, PAYMENTS, payment_request};
use super::harness::*;
use super::obie_intent::{consent_status, create_consent, push_with_intent, tokens_for_code};
use bytes::Bytes;
use http::Response;
use serde_json::json;

/// Carol has a TOTP factor; Dave has none.
const CAROL: &str = "carol";
const CAROL_PASSWORD: &str = "looking-glass-9";
const DAVE: &str = "dave";
const DAVE_PASSWORD: &str = "humpty-dumpty-7";
/// RFC 6238 Appendix B's secret, "12345678901234567890", in base32.
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SECRET: &[u8] = b"12345678901234567890";
const SCA: &str = "urn:openbanking:psd2:sca";
const CA: &str = "urn:openbanking:psd2:ca";

fn customers(_: &std::path::Path) -> String {
    format!(
        r#"
[[login.seed_users]]
username = "{CAROL}"
password = "{CAROL_PASSWORD}"
account_id = "acc-carol-1"
name = "Carol Jones"
email = "carol@example.com"
totp_secret = "{SECRET_B32}"

[[login.seed_users]]
username = "{DAVE}"
password = "{DAVE_PASSWORD}"
account_id = "acc-dave-1"
name = "Dave Smith"
email = "dave@example.com"
"#
    )
}

/// The OP with payments needing SCA, `max_failures = 3` and a 60 s lock.
async fn sca_op() -> Op {
    let sections = Sections {
        totp: "max_failures = 3\nlockout_secs = 60",
        ..Sections::default()
    };
    Op::start_with_sections(TestPki::new(), sections, customers).await
}

/// The code Carol's authenticator shows `offset` seconds from now.
fn code(offset: i64) -> String {
    let at = now().saturating_add_signed(offset);
    fiducia::protocol::totp::code_at(SECRET, at)
}

/// From `/authorize` through the password of `user`: the response to the
/// password POST.
async fn sign_in(op: &Op, browser: &mut Browser, request_uri: &str, user: (&str, &str)) -> Response<Bytes> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", MTLS)
        .append_pair("request_uri", request_uri)
        .finish();
    let response = browser.get(op, &format!("/authorize?{query}")).await;
    assert_status(&response, 303);
    let login = location(&response);
    let page = browser.get(op, &login).await;
    assert_status(&page, 200);
    let csrf = hidden_field(std::str::from_utf8(page.body()).unwrap(), "csrf");
    browser
        .post(
            op,
            &login,
            &[("username", user.0), ("password", user.1), ("csrf", &csrf)],
        )
        .await
}

/// Through Carol's password to the code page: its path and HTML.
async fn code_page(op: &Op, browser: &mut Browser, request_uri: &str) -> (String, String) {
    code_page_of(op, browser, request_uri, (CAROL, CAROL_PASSWORD)).await
}

/// Through `user`'s password to the code page: its path and HTML.
async fn code_page_of(
    op: &Op,
    browser: &mut Browser,
    request_uri: &str,
    user: (&str, &str),
) -> (String, String) {
    let response = sign_in(op, browser, request_uri, user).await;
    assert_status(&response, 303);
    let path = location(&response);
    assert!(path.contains("/login/otp?ix="), "{path}");
    let page = browser.get(op, &path).await;
    assert_status(&page, 200);
    (path, String::from_utf8(page.body().to_vec()).unwrap())
}

async fn post_code(
    op: &Op,
    browser: &mut Browser,
    (path, html): (&str, &str),
    code: &str,
) -> Response<Bytes> {
    let csrf = hidden_field(html, "csrf");
    browser.post(op, path, &[("otp", code), ("csrf", &csrf)]).await
}

/// The consent page after a right code: approve; the redirect back.
async fn approve(op: &Op, browser: &mut Browser, consent: &str) -> String {
    let page = browser.get(op, consent).await;
    assert_status(&page, 200);
    let html = String::from_utf8(page.body().to_vec()).unwrap();
    let csrf = hidden_field(&html, "csrf");
    let response = browser
        .post(op, consent, &[("decision", "approve"), ("csrf", &csrf)])
        .await;
    assert_status(&response, 303);
    location(&response)
}

/// A pushed payment consent of `amount` for the mTLS client: the
/// request_uri, the PKCE verifier and the consent id.
async fn payment(op: &Op, key: &str, amount: &str) -> (String, String, String) {
    let intent = create_consent(op, PAYMENTS, "payments", key, &payment_request(amount)).await;
    let (verifier, challenge) = pkce();
    let response = push_with_intent(op, &challenge, "openid payments", &intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    (request_uri, verifier, intent)
}

/// PAR of the mTLS client with `extra` parameters; request_uri, verifier.
async fn push(op: &Op, scope: &str, extra: &[(&str, &str)]) -> (String, String) {
    let (verifier, challenge) = pkce();
    let mut params = vec![
        ("client_id", MTLS),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let response = op.send(true, form("/par", &params)).await;
    assert_status(&response, 201);
    (
        json(response.body())["request_uri"].as_str().unwrap().to_string(),
        verifier,
    )
}

/// PSD2 RTS Art. 4 (a payment needs SCA), Art. 5(1)(a) (the code page
/// shows amount and payee); RFC 6238 §5.2 (a wrong code refused, a right
/// one accepted once, its replay refused); OIDC Core §2 / RFC 8176 §2
/// (`acr` SCA, `amr` pwd + otp in the ID token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_needs_password_and_totp_and_its_id_token_says_sca() {
    let op = sca_op().await;
    let (request_uri, verifier, intent) = payment(&op, "order-1", "165.88").await;
    let mut browser = Browser::new();
    let (path, html) = code_page(&op, &mut browser, &request_uri).await;
    // RTS Art. 5(1)(a): amount, currency and payee before the code.
    for shown in ["165.88 GBP", "ACME Inc", "08080021325698"] {
        assert!(html.contains(shown), "the code page lacks {shown}: {html}");
    }
    assert!(html.contains("name=\"otp\""), "{html}");
    // A wrong code: the page again, 401.
    let right = code(0);
    let wrong = if right == "000000" { "000001" } else { "000000" };
    let refused = post_code(&op, &mut browser, (&path, &html), wrong).await;
    assert_status(&refused, 401);
    assert!(String::from_utf8_lossy(refused.body()).contains("not right"));
    // The right code: on to the consent.
    let accepted = post_code(&op, &mut browser, (&path, &html), &right).await;
    assert_status(&accepted, 303);
    let redirect = approve(&op, &mut browser, &location(&accepted)).await;
    let code_value = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let tokens = tokens_for_code(&op, &code_value, &verifier).await;
    let claims = super::verify_id_token(&op, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["acr"], SCA);
    let amr: Vec<&str> = claims["amr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(amr.contains(&"pwd") && amr.contains(&"otp"), "{amr:?}");
    assert_eq!(
        consent_status(&op, &format!("{PAYMENTS}/{intent}"), "payments").await,
        "Authorised"
    );

    // RFC 6238 §5.2: the same code for another payment is refused.
    let (request_uri, _, _) = payment(&op, "order-2", "20.00").await;
    let mut browser = Browser::new();
    let (path, html) = code_page(&op, &mut browser, &request_uri).await;
    let replayed = post_code(&op, &mut browser, (&path, &html), &right).await;
    assert_status(&replayed, 401);
    let alert = |r: &Response<Bytes>| {
        let html = String::from_utf8_lossy(r.body()).to_string();
        html.split("role=\"alert\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        alert(&replayed),
        alert(&refused),
        "a replayed code gets a wrong code's answer"
    );
    op.handle.shutdown().await;
}

/// `[login.totp] max_failures` consecutive wrong codes lock the factor
/// (across interactions: it is the customer's), 429 with Retry-After
/// (RFC 6585 §4), the right code refused too while locked; the audit trail
/// holds `second_factor_locked` for the customer and no code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_wrong_codes_lock_the_factor_with_an_audit_record() {
    let op = sca_op().await;
    let (request_uri, _, _) = payment(&op, "order-1", "10.00").await;
    let mut browser = Browser::new();
    let (path, html) = code_page(&op, &mut browser, &request_uri).await;
    let right = code(0);
    let wrong: Vec<String> = (0..3)
        .map(|i| format!("{:06}", (right.parse::<u32>().unwrap() + 1 + i) % 1_000_000))
        .filter(|w| *w != code(-30) && *w != code(30))
        .collect();
    assert!(wrong.len() >= 2);
    let mut last = None;
    for (i, w) in wrong.iter().cycle().take(3).enumerate() {
        let response = post_code(&op, &mut browser, (&path, &html), w).await;
        let expected = if i < 2 { 401 } else { 429 };
        assert_status(&response, expected);
        last = Some(response);
    }
    let locked = last.unwrap();
    let wait: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let text = String::from_utf8_lossy(locked.body()).to_string();
    assert!(text.contains("locked"), "{text}");
    // Locked: the right code is refused alike, also in a new interaction.
    let (request_uri, _, _) = payment(&op, "order-2", "10.00").await;
    let mut fresh = Browser::new();
    let (path2, html2) = code_page(&op, &mut fresh, &request_uri).await;
    let refused = post_code(&op, &mut fresh, (&path2, &html2), &right).await;
    assert_status(&refused, 429);
    op.handle.shutdown().await;

    // The audit record: the customer, the lock-out, no code.
    let store = fiducia::store::open(&op.config.get().store).await.unwrap();
    let records = fiducia::store::audit::read::since(&store, 0, 0).await.unwrap();
    let locked: Vec<_> = records
        .iter()
        .map(|r| serde_json::to_value(&r.record).unwrap())
        .filter(|r| r["event"] == "second_factor_locked")
        .collect();
    assert_eq!(locked.len(), 1, "{locked:?}");
    let record = locked[0].to_string();
    assert!(record.contains("acc-carol-1"), "{record}");
    for w in wrong.iter().chain([&right]) {
        assert!(
            !record.contains(w.as_str()),
            "a code in the audit record: {record}"
        );
    }
    store.close().await;
}

/// An account-access flow that demands nothing is a password login: `acr`
/// `urn:openbanking:psd2:ca`, `amr` `pwd` (also for Carol, who has a factor).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_access_flow_without_a_demand_is_ca() {
    let op = sca_op().await;
    let body = json!({"Data": {"Permissions": ["ReadAccountsBasic", "ReadBalances"]}, "Risk": {}});
    let intent = create_consent(&op, ACCOUNTS, "accounts", "aa-1", &body).await;
    let (verifier, challenge) = pkce();
    let response = push_with_intent(&op, &challenge, "openid accounts", &intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let mut browser = Browser::new();
    let response = sign_in(&op, &mut browser, &request_uri, (CAROL, CAROL_PASSWORD)).await;
    assert_status(&response, 303);
    let consent = location(&response);
    assert!(consent.contains("/consent?ix="), "{consent}");
    let redirect = approve(&op, &mut browser, &consent).await;
    let code_value = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let tokens = tokens_for_code(&op, &code_value, &verifier).await;
    let claims = super::verify_id_token(&op, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["acr"], CA);
    assert_eq!(claims["amr"], json!(["pwd"]));
    op.handle.shutdown().await;
}

/// OIDC Core §5.5.1.1 and §3.1.2.1 (an essential `acr`, or `acr_values`
/// naming SCA only) and PSD2 RTS Art. 4 (a payment): a customer without a
/// factor gets no password-only login; the client hears
/// `unmet_authentication_requirements` (OpenID Connect Core Error Code).
/// Carol, with a factor, reaches SCA for the essential claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sca_demanded_of_a_customer_without_a_factor_is_unmet_at_the_client() {
    let op = sca_op().await;
    let essential = json!({"id_token": {"acr": {"essential": true, "values": [SCA]}}}).to_string();
    let demands: [&[(&str, &str)]; 2] = [&[("acr_values", SCA)], &[("claims", &essential)]];
    for extra in demands {
        let (request_uri, _) = push(&op, "openid accounts", extra).await;
        let mut browser = Browser::new();
        let response = sign_in(&op, &mut browser, &request_uri, (DAVE, DAVE_PASSWORD)).await;
        assert_status(&response, 303);
        let redirect = location(&response);
        assert!(redirect.starts_with(REDIRECT), "{redirect}");
        assert_eq!(
            query_param(&redirect, "error").as_deref(),
            Some("unmet_authentication_requirements"),
            "{extra:?}: {redirect}"
        );
        assert!(query_param(&redirect, "code").is_none());
    }
    // A payment, too.
    let (request_uri, _, intent) = payment(&op, "order-d", "5.00").await;
    let mut browser = Browser::new();
    let response = sign_in(&op, &mut browser, &request_uri, (DAVE, DAVE_PASSWORD)).await;
    let redirect = location(&response);
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("unmet_authentication_requirements"),
        "{redirect}"
    );
    assert_eq!(
        consent_status(&op, &format!("{PAYMENTS}/{intent}"), "payments").await,
        "AwaitingAuthorisation"
    );
    // Carol and the essential claim: a code, then `acr` SCA; a refresh's
    // ID token keeps it (OIDC Core §12.2: the original authentication's
    // `auth_time`, `acr`, `amr`; no nonce).
    let (request_uri, verifier) = push(
        &op,
        "openid accounts offline_access",
        &[("claims", &essential), ("nonce", "n-1")],
    )
    .await;
    let mut browser = Browser::new();
    let (path, html) = code_page(&op, &mut browser, &request_uri).await;
    assert!(!html.contains("You are authorising this payment"), "{html}");
    let accepted = post_code(&op, &mut browser, (&path, &html), &code(0)).await;
    assert_status(&accepted, 303);
    let redirect = approve(&op, &mut browser, &location(&accepted)).await;
    let code_value = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let tokens = tokens_for_code(&op, &code_value, &verifier).await;
    let claims = super::verify_id_token(&op, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["acr"], SCA);
    assert_eq!(claims["nonce"], "n-1");
    let refresh = form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", MTLS),
        ],
    );
    let response = op.send(true, refresh).await;
    assert_status(&response, 200);
    let refreshed = json(response.body());
    let again = super::verify_id_token(&op, refreshed["id_token"].as_str().unwrap()).await;
    for kept in ["acr", "amr", "auth_time", "sub", "aud", "iss"] {
        assert_eq!(again[kept], claims[kept], "{kept}");
    }
    assert!(again.get("nonce").is_none(), "{again:?}");
    op.handle.shutdown().await;
}

/// PSD2 RTS Art. 5(1)(b), (d): the code confirmed 10.00; the consent's
/// amount changed to 999.99 before the approval (here in the store, while
/// the OP was stopped), so the approval does not authorise it: the
/// customer is sent back to the code page, which shows the new amount, and
/// only a new code authorises it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_changed_after_its_code_needs_a_new_code() {
    let op = sca_op().await;
    let (request_uri, verifier, intent) = payment(&op, "order-1", "10.00").await;
    let mut browser = Browser::new();
    let (path, html) = code_page(&op, &mut browser, &request_uri).await;
    assert!(html.contains("10.00 GBP"), "{html}");
    let first = code(0);
    let accepted = post_code(&op, &mut browser, (&path, &html), &first).await;
    assert_status(&accepted, 303);
    let consent = location(&accepted);

    // The consent's amount changes between the code and the approval.
    let store_config = op.config.get().store.clone();
    let changed = intent.clone();
    let op = op
        .restart_after(move || {
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let store = fiducia::store::open(&store_config).await.unwrap();
                    let repo = fiducia::store::repo::Repo::open(store.clone()).await.unwrap();
                    let found = repo
                        .find::<fiducia::consent::Consent>(&changed, now())
                        .await
                        .unwrap()
                        .unwrap();
                    let mut consent = found.payload;
                    let fiducia::consent::ConsentKind::DomesticPayment(payment) = &mut consent.kind else {
                        panic!("not a payment consent");
                    };
                    payment.amount = "999.99".into();
                    repo.upsert(&changed, &consent, None, now()).await.unwrap();
                    store.close().await;
                });
            })
            .join()
            .unwrap();
        })
        .await;

    let page = browser.get(&op, &consent).await;
    assert_status(&page, 200);
    let html = String::from_utf8(page.body().to_vec()).unwrap();
    let csrf = hidden_field(&html, "csrf");
    let response = browser
        .post(&op, &consent, &[("decision", "approve"), ("csrf", &csrf)])
        .await;
    assert_status(&response, 303);
    let back = location(&response);
    assert!(
        back.contains("/login/otp?ix="),
        "the approval went through: {back}"
    );
    assert_eq!(
        consent_status(&op, &format!("{PAYMENTS}/{intent}"), "payments").await,
        "AwaitingAuthorisation"
    );
    let page = browser.get(&op, &back).await;
    assert_status(&page, 200);
    let html = String::from_utf8(page.body().to_vec()).unwrap();
    assert!(html.contains("999.99 GBP"), "{html}");
    // The first code is used up; the next step's code confirms 999.99.
    let replayed = post_code(&op, &mut browser, (&back, &html), &first).await;
    assert_status(&replayed, 401);
    let next = if code(30) != first { code(30) } else { code(-30) };
    let accepted = post_code(&op, &mut browser, (&back, &html), &next).await;
    assert_status(&accepted, 303);
    let redirect = approve(&op, &mut browser, &location(&accepted)).await;
    let code_value = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let tokens = tokens_for_code(&op, &code_value, &verifier).await;
    let claims = super::verify_id_token(&op, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["acr"], SCA);
    assert_eq!(
        consent_status(&op, &format!("{PAYMENTS}/{intent}"), "payments").await,
        "Authorised"
    );
    op.handle.shutdown().await;
}

/// Enrolment (`fiducia users totp enrol`, the OP stopped): the command
/// prints the `otpauth://` URI (RFC 6238 parameters: SHA1, 6 digits, 30 s)
/// and the base32 secret once; `users show` says a factor is enrolled and
/// never shows the secret; a payment by that customer then asks for a
/// code, which the new secret's authenticator answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_factor_enrolled_with_the_cli_confirms_a_payment() {
    use super::super::customers::{cli_config, ok, users};
    let op = sca_op().await;
    let config = cli_config(&op);
    let printed = std::sync::Mutex::new((String::new(), String::new()));
    let op = op
        .restart_after(|| {
            let out = ok(users(&config, &["totp", "enrol", USER], None));
            let shown = ok(users(&config, &["show", USER], None));
            *printed.lock().unwrap() = (out, shown);
        })
        .await;
    let (out, shown) = printed.into_inner().unwrap();
    let uri = out
        .lines()
        .find(|l| l.starts_with("otpauth://totp/"))
        .unwrap_or_else(|| panic!("{out}"));
    for parameter in ["algorithm=SHA1", "digits=6", "period=30", "issuer=Fiducia"] {
        assert!(uri.contains(parameter), "{uri}");
    }
    let secret_b32 = out
        .lines()
        .find_map(|l| l.strip_prefix("secret (base32): "))
        .unwrap_or_else(|| panic!("{out}"))
        .to_string();
    assert!(uri.contains(&format!("secret={secret_b32}")), "{uri}");
    let secret = fiducia::protocol::totp::base32_decode(&secret_b32).unwrap();
    assert_eq!(secret.len(), 20, "160 bits (RFC 4226 §4 R6)");
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert!(shown["totp"]["enrolled_at"].as_u64().is_some(), "{shown}");
    assert!(
        !shown.to_string().contains(&secret_b32),
        "the secret in `users show`: {shown}"
    );

    let (request_uri, _, intent) = payment(&op, "order-e", "42.00").await;
    let mut browser = Browser::new();
    let (path, html) = code_page_of(&op, &mut browser, &request_uri, (USER, PASSWORD)).await;
    assert!(html.contains("42.00 GBP"), "{html}");
    let code = fiducia::protocol::totp::code_at(&secret, now());
    let accepted = post_code(&op, &mut browser, (&path, &html), &code).await;
    assert_status(&accepted, 303);
    let redirect = approve(&op, &mut browser, &location(&accepted)).await;
    assert!(query_param(&redirect, "code").is_some(), "{redirect}");
    assert_eq!(
        consent_status(&op, &format!("{PAYMENTS}/{intent}"), "payments").await,
        "Authorised"
    );
    op.handle.shutdown().await;
}

/// The code page in a real browser (headless Chromium over W3C WebDriver,
/// as the CIBA device page's test): after the password it shows the
/// payment's amount and payee as text (PSD2 RTS Art. 5(1)(a)), takes the
/// authenticator's code through its form and goes on to the consent page.
/// Needs Debian's `chromium` and `chromium-driver` (`scripts/prereqs.sh`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_page_in_a_browser_shows_the_payment_and_takes_the_code() {
    use super::super::ciba::browser::spki_pin;
    use super::super::ciba::webdriver::Driver;
    let driver = Driver::start().await;
    let op = sca_op().await;
    let (request_uri, _, _) = payment(&op, "order-b", "73.10").await;
    let pin = spki_pin(&op.pki.path("server.pem"));
    let browser = driver
        .session(&[
            format!("--ignore-certificate-errors-spki-list={pin}"),
            "--window-size=412,915".to_string(),
        ])
        .await;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", MTLS)
        .append_pair("request_uri", &request_uri)
        .finish();
    let origin = format!("https://localhost:{}", op.handle.main_addr.port());
    browser.open(&format!("{origin}/authorize?{query}")).await;
    let username = browser.wait_for("form input#username[name=username]", "").await;
    browser.type_into(&username, CAROL).await;
    let password = browser.wait_for("form input#password[name=password]", "").await;
    browser.type_into(&password, CAROL_PASSWORD).await;
    let submit = browser.wait_for("form button[type=submit]", "Sign in").await;
    browser.click(&submit).await;

    browser.wait_for("h1", "Confirm it is you").await;
    browser.wait_for("dd", "73.10 GBP").await;
    browser.wait_for("dd", "ACME Inc").await;
    browser.wait_for("dd", "08080021325698").await;
    assert!(browser.url().await.contains("/login/otp?ix="));
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sca-browser");
    let png = browser.screenshot(&dir.join("1-code-page.png")).await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
    let field = browser.wait_for("form input#otp[name=otp]", "").await;
    browser.type_into(&field, &code(0)).await;
    let confirm = browser.wait_for("form button[type=submit]", "Confirm").await;
    browser.click(&confirm).await;
    browser.wait_for("h1", "Review access").await;
    assert!(browser.url().await.contains("/consent?ix="));
    browser.quit().await;
    op.handle.shutdown().await;
}
