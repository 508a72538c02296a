//! A person approves a CIBA request on the sandbox customer device's web
//! page, in a real browser (headless Chromium driven over W3C WebDriver):
//! the fintech's backchannel request appears on the page with its binding
//! message, fintech and payment (CIBA Core §7.1: the binding message is
//! shown on the authentication device), the customer signs in through
//! the form and clicks Approve, and the client's next poll gets tokens
//! (CIBA Core §10.1), so the decision went device → OP. A hostile binding
//! message is shown as text, not markup; the customer denies it in the
//! browser and the client's poll is `access_denied` (CIBA Core §11).
//!
//! Needs Debian's `chromium` and `chromium-driver` (installed by
//! `scripts/prereqs.sh`); fails naming the install line without them.

use super::super::flow::harness::*;
use super::super::support::*;
use super::webdriver::{Driver, Session};
use super::*;
use aws_lc_rs::digest::{SHA256, digest};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::{Path, PathBuf};

/// Where the screenshots go, for a person to look at after a run.
fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("ciba-browser")
}

/// Chromium's `--ignore-certificate-errors-spki-list` value for the leaf
/// of `pem`: base64 of the SHA-256 of its SubjectPublicKeyInfo. The test
/// CA is not in the browser's store; rather than accepting any certificate
/// (`acceptInsecureCerts`), the browser trusts exactly the device's key.
pub fn spki_pin(pem: &Path) -> String {
    let leaf = CertificateDer::pem_file_iter(pem)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    STANDARD.encode(digest(&SHA256, cert.tbs_certificate.subject_pki.raw).as_ref())
}

/// Asserts `png` is a non-trivial PNG image (PNG §5.2 signature).
#[track_caller]
fn assert_png(png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 1000, "an empty picture: {} bytes", png.len());
}

/// Signs in as the customer through the page's form.
async fn sign_in(browser: &Session<'_>, url: &str) {
    browser.open(url).await;
    let username = browser.wait_for("form input#username[name=username]", "").await;
    browser.type_into(&username, USER).await;
    let password = browser.wait_for("form input#password[name=password]", "").await;
    browser.type_into(&password, PASSWORD).await;
    let submit = browser.wait_for("form button[type=submit]", "Sign in").await;
    browser.click(&submit).await;
}

/// CIBA Core §7.1, §10.1; FAPI CIBA §5.2.2: the request with its binding
/// message and payment is approved by a person on the device page, and the
/// client's poll then gets tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_approves_a_request_on_the_device_page_in_a_browser() {
    // First, so a missing browser fails at once, naming the install line.
    let driver = Driver::start().await;
    let ciba = Ciba::start().await;
    let binding = "Till 7 pay 4QZ9";
    let payment = json!([{
        "type": "payment_initiation",
        "instructedAmount": {"currency": "GBP", "amount": "42.50"},
        "creditorName": "Corner Café",
        "creditorAccount": {"iban": "GB33BUKB20201555555555"},
    }]);
    let auth_req_id = ciba
        .authenticate(
            POLL,
            json!({"binding_message": binding, "scope": "openid payments", "authorization_details": payment}),
        )
        .await;
    assert_eq!(ciba.on_device().await.len(), 1, "queued on the device");

    let pin = spki_pin(&ciba.op.pki.path("server.pem"));
    let browser = driver
        .session(&[
            format!("--ignore-certificate-errors-spki-list={pin}"),
            // A narrow window: the page is made for the customer's phone (headless
            // Chromium makes it at least 500 px wide).
            "--window-size=412,915".to_string(),
        ])
        .await;
    let url = format!("https://localhost:{}/", ciba.device.addr.port());
    sign_in(&browser, &url).await;

    // The request as the customer sees it.
    browser.wait_for("h1", "Hello, Alice Liddell").await;
    let section = browser.wait_for("section h2", "Till Payments Ltd asks").await;
    assert!(browser.text(&section).await.contains("Till Payments Ltd"));
    browser.wait_for("section .who strong", binding).await;
    browser.wait_for("section dd", "42.50 GBP").await;
    browser.wait_for("section dd", "Corner Café").await;
    browser.wait_for("section dd", "openid payments").await;
    let dir = screenshots();
    assert_png(&browser.screenshot(&dir.join("1-request.png")).await);

    let approve = browser
        .wait_for("section form button[name=decision][value=approve]", "Approve")
        .await;
    browser.click(&approve).await;
    browser.wait_for("h1", "Approved").await;
    browser
        .wait_for("p.sub", "You approved the request. You can return to the shop.")
        .await;
    assert_eq!(browser.title().await, "Approved");
    assert_png(&browser.screenshot(&dir.join("2-approved.png")).await);

    // The approval reached the OP: the client's first poll gets tokens.
    let response = ciba.poll(POLL, &auth_req_id).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["access_token"].is_string() && tokens["id_token"].is_string());
    assert_eq!(tokens["authorization_details"][0]["creditorName"], "Corner Café");
    // Nothing waits any more.
    browser.open(&url).await;
    browser.wait_for("p.who", "Nothing is waiting").await;
    assert!(browser.all("section").await.is_empty());

    // CIBA Core §7.1: a binding message with markup characters is allowed
    // (plain text, no control characters) and the page shows it as text:
    // the characters appear, no element is made from them.
    let hostile = "<b>x</b><img src=x>";
    let auth_req_id = ciba.authenticate(POLL, json!({"binding_message": hostile})).await;
    browser.open(&url).await;
    let shown = browser.wait_for("section .who strong", "<b>x</b>").await;
    assert_eq!(browser.text(&shown).await, hostile);
    assert!(browser.all("section b, section img, main img").await.is_empty());
    assert!(
        browser
            .source()
            .await
            .contains("&lt;b&gt;x&lt;/b&gt;&lt;img src=x&gt;")
    );
    assert_png(&browser.screenshot(&dir.join("3-hostile.png")).await);
    let deny = browser
        .wait_for("section form button[name=decision][value=deny]", "Deny")
        .await;
    browser.click(&deny).await;
    browser.wait_for("h1", "Denied").await;
    let response = ciba.poll(POLL, &auth_req_id).await;
    assert_status(&response, 400);
    assert_eq!(error_of(&response), "access_denied");

    browser.quit().await;
}
