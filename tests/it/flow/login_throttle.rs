//! Password guessing at the built-in login, over real TLS (OWASP
//! Authentication Cheat Sheet "Protect Against Automated Attacks", NIST SP
//! 800-63B §5.2.2): failures lock the username for `login.lockout_secs`,
//! the right password is refused while locked with the same answer as a
//! wrong one, and accepted once the lock ends; a full hashing queue is 503
//! with `Retry-After` (RFC 9110 §15.6.4).

use super::super::support::TestPki;
use super::harness::*;
use bytes::Bytes;
use http::Response;

/// A new authorization request of the mTLS client, as far as its login
/// page: the browser, the login path and the page's CSRF token. The pushed
/// request also carries the client's certificate in the RFC 9440
/// `Client-Cert` header, as a trusted proxy forwards it: an OP behind one
/// takes the client's certificate only from there, never the proxy's own.
async fn login_page(op: &Op) -> (Browser, String, String) {
    let (_, challenge) = pkce();
    let forwarded_cert = fiducia::http::client_cert::to_header_value(&op.pki.client_leaf_der());
    let par = with_header(
        cert_par(MTLS, &challenge, "openid"),
        "client-cert",
        &forwarded_cert,
    );
    let request_uri = pushed_request_uri(&op.send(true, par).await);
    let mut browser = Browser::new();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", MTLS)
        .append_pair("request_uri", &request_uri)
        .finish();
    let response = browser.get(op, &format!("/authorize?{query}")).await;
    assert_status(&response, 303);
    let login = location(&response);
    let page = browser.get(op, &login).await;
    assert_status(&page, 200);
    let csrf = hidden_field(std::str::from_utf8(page.body()).unwrap(), "csrf");
    (browser, login, csrf)
}

async fn post_login(
    op: &Op,
    page: &mut (Browser, String, String),
    user: &str,
    password: &str,
) -> Response<Bytes> {
    let (browser, login, csrf) = page;
    let (login, csrf) = (login.clone(), csrf.clone());
    browser
        .post(
            op,
            &login,
            &[("username", user), ("password", password), ("csrf", &csrf)],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guessing_locks_the_account_until_the_lockout_ends() {
    let login = "max_failures_per_account = 3\nfailure_window_secs = 60\nlockout_secs = 3\n";
    let op = Op::start_with_login(login).await;
    let mut page = login_page(&op).await;
    // The guessing loop: each wrong password is the login page again (401).
    for guess in ["guess-1", "guess-2", "guess-3"] {
        let response = post_login(&op, &mut page, USER, guess).await;
        assert_status(&response, 401);
    }
    // Locked: the right password is refused, and the answer is the one a
    // wrong password gets (no oracle), 429 with Retry-After (RFC 6585 §4).
    let right = post_login(&op, &mut page, USER, PASSWORD).await;
    let wrong = post_login(&op, &mut page, USER, "guess-4").await;
    assert_status(&right, 429);
    assert_eq!(right.status(), wrong.status());
    assert_eq!(right.body(), wrong.body());
    let wait: u64 = right.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3).contains(&wait), "{wait}");
    assert!(
        std::str::from_utf8(right.body())
            .unwrap()
            .contains("Too many attempts")
    );
    // The lock is the account's, not the interaction's: a fresh
    // authorization request is refused too.
    let mut fresh = login_page(&op).await;
    assert_status(&post_login(&op, &mut fresh, USER, PASSWORD).await, 429);
    // After the lock-out the right password signs in (303 to the consent page).
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    let signed_in = post_login(&op, &mut fresh, USER, PASSWORD).await;
    assert_status(&signed_in, 303);
    assert!(location(&signed_in).contains("/consent?ix="));
    op.handle.shutdown().await;
}

/// The hashing queue is bounded: one hashing thread and one waiting place,
/// a burst of logins gets 503 with Retry-After for what does not fit, and
/// every other attempt is an ordinary wrong-password answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hashing_queue_answers_503_with_retry_after() {
    let login = "argon2_max_concurrent = 1\nargon2_queue_depth = 1\n";
    let op = Op::start_with_login(login).await;
    let mut pages = Vec::new();
    for _ in 0..16 {
        pages.push(login_page(&op).await);
    }
    let shared = &op;
    let answers = futures::future::join_all(pages.into_iter().enumerate().map(|(i, mut page)| async move {
        // Each a different (unknown) username: no account lock-out here.
        post_login(shared, &mut page, &format!("nobody-{i}"), "guess").await
    }))
    .await;
    let busy: Vec<_> = answers.iter().filter(|r| r.status() == 503).collect();
    assert!(
        !busy.is_empty(),
        "no 503 among {:?}",
        answers.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
    for response in &busy {
        assert_eq!(response.headers()["retry-after"], "1");
    }
    assert!(answers.iter().all(|r| matches!(r.status().as_u16(), 401 | 503)));
    // The queue drains: the next login is served.
    let mut page = login_page(&op).await;
    assert_status(&post_login(&op, &mut page, USER, PASSWORD).await, 303);
    op.handle.shutdown().await;
}

/// One guess from `forwarded` (as a proxy's `X-Forwarded-For`) in a new
/// interaction: its status.
async fn guess_from(op: &Op, forwarded: &str, user: &str, password: &str) -> u16 {
    let (mut browser, login, csrf) = login_page(op).await;
    let params = [
        ("username", user),
        ("password", password),
        ("csrf", csrf.as_str()),
    ];
    let response = browser
        .post_with_header(op, &login, &params, ("x-forwarded-for", forwarded))
        .await;
    response.status().as_u16()
}

/// Password spraying across usernames is limited per client address. The
/// address is the one a `server.trusted_proxies` proxy forwards (RFC 7239
/// §4, X-Forwarded-For): one locked address leaves another served. From a
/// peer that is not a trusted proxy the header is ignored: varying it does
/// not escape the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spraying_locks_the_forwarded_address_only_behind_a_trusted_proxy() {
    let login = "max_failures_per_address = 3\nlockout_secs = 60\n";
    let sections = |server| Sections {
        server,
        login,
        ..Sections::default()
    };
    let behind = "trusted_proxies = [\"127.0.0.1\"]";
    let op = Op::start_with_sections(TestPki::new(), sections(behind), |_| String::new()).await;
    for i in 0..3 {
        assert_eq!(
            guess_from(&op, "203.0.113.7", &format!("sprayed-{i}"), "guess").await,
            401
        );
    }
    assert_eq!(guess_from(&op, "203.0.113.7", USER, PASSWORD).await, 429);
    assert_eq!(guess_from(&op, "198.51.100.8", USER, PASSWORD).await, 303);
    op.handle.shutdown().await;

    let op = Op::start_with_sections(TestPki::new(), sections(""), |_| String::new()).await;
    for i in 0..3 {
        let forged = format!("192.0.2.{i}");
        assert_eq!(
            guess_from(&op, &forged, &format!("sprayed-{i}"), "guess").await,
            401
        );
    }
    assert_eq!(guess_from(&op, "192.0.2.99", USER, PASSWORD).await, 429);
    op.handle.shutdown().await;
}
