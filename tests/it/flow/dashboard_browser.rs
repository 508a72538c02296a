//! The consent dashboard in a real browser (headless Chromium over W3C
//! WebDriver, the harness of `ciba/webdriver.rs`): a person opens
//! `/account/consents`, signs in with the password and the TOTP code
//! (RFC 6238), sees the consent they authorised a moment before, with its
//! fintech and permissions, and no script on the page; revokes it through
//! the confirmation; the page says so and the grant's token is inactive at
//! introspection at once (RFC 7662 §2.2). The dashboard's screenshot is
//! kept under the target directory (`docs/images/consent-dashboard.png`
//! in the README is one).

use super::super::ciba::browser::spki_pin;
use super::super::ciba::webdriver::Driver;
use super::dashboard::{CAROL, CAROL_PASSWORD, DASHBOARD, authorised_consent, bank_op, code_now};
use super::gateway::gateway_introspection_of;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_sees_the_consent_and_revokes_it_in_chromium() {
    // First, so a missing browser fails at once, naming the install line.
    let driver = Driver::start().await;
    let (op, _) = bank_op().await;
    let (intent, tokens) = authorised_consent(&op, (CAROL, CAROL_PASSWORD), "chromium-1").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], true);

    let pin = spki_pin(&op.pki.path("server.pem"));
    let browser = driver
        .session(&[
            format!("--ignore-certificate-errors-spki-list={pin}"),
            "--window-size=480,1200".to_string(),
        ])
        .await;
    let url = format!("https://localhost:{}{DASHBOARD}", op.handle.main_addr.port());
    browser.open(&url).await;
    browser.wait_for("h1", "Your consents").await;
    let username = browser.wait_for("form input#username[name=username]", "").await;
    browser.type_into(&username, CAROL).await;
    let password = browser.wait_for("form input#password[name=password]", "").await;
    browser.type_into(&password, CAROL_PASSWORD).await;
    let submit = browser.wait_for("form button[type=submit]", "Sign in").await;
    browser.click(&submit).await;

    // The second factor before anything is shown.
    browser.wait_for("h1", "Confirm it is you").await;
    let otp = browser.wait_for("form input#otp[name=otp]", "").await;
    browser.type_into(&otp, &code_now()).await;
    let confirm = browser.wait_for("form button[type=submit]", "Confirm").await;
    browser.click(&confirm).await;

    browser.wait_for("section.grant h2", "Cert Bank Apps").await;
    browser.wait_for("dd", "ReadAccountsBasic, ReadBalances").await;
    browser.wait_for("dd", &intent).await;
    browser.wait_for("p.who", "Carol Jones").await;
    assert!(browser.all("script").await.is_empty(), "no JavaScript");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-browser");
    let png = browser.screenshot(&shots.join("consent-dashboard.png")).await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);

    let revoke = browser.wait_for("section.grant form button", "Revoke").await;
    browser.click(&revoke).await;
    browser.wait_for("h1", "Revoke access?").await;
    let yes = browser
        .wait_for("form button[name=confirm][value=yes]", "Revoke")
        .await;
    browser.click(&yes).await;
    browser.wait_for("p.notice", "Access revoked").await;
    browser.wait_for("p.sub", "No app has access").await;
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], false);
    browser.quit().await;
    op.handle.shutdown().await;
}
