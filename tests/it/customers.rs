//! Customer accounts through the real `fiducia users` command on the store
//! of a real OP (over TLS, with the flow harness): the CLI refuses a store
//! the OP holds, a valid file lands and list/show see it, a file with one
//! invalid line lands nothing and names the line, an imported customer
//! signs in with the imported password, and a disabled customer can no
//! longer sign in while their refresh and access tokens stop working;
//! enabling lets them sign in again.

use super::flow::harness::*;
use super::flow::introspection::introspection_of;
use super::support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const OFFLINE: &str = "openid email offline_access";

/// A config file for the CLI naming the OP's store and argon2 settings.
pub fn cli_config(op: &Op) -> PathBuf {
    let store = &op.config.get().store.path;
    let text = op.pki.config_text(
        "",
        &format!(
            "[store]\npath = \"{}\"\n\n[login]\nargon2_memory_kib = 7168\nargon2_iterations = 5\n",
            store.display()
        ),
    );
    let path = op.pki.dir.path().join("users-cli.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub fn users(config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(fiducia_bin())
        .arg("users")
        .args(args)
        .arg("--config")
        .arg(config)
        .env("FIDUCIA_LOG__LEVEL", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A successful command's standard output.
pub fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn carol() -> Value {
    json!({
        "username": "carol", "sub": "acc-carol-1", "password": "carol-secret-1",
        "name": "Carol Jones", "given_name": "Carol", "family_name": "Jones",
        "email": "carol@example.com", "email_verified": true, "birthdate": "1985-02-11",
        "address": {"street_address": "2 Mill Lane", "locality": "Leeds", "postal_code": "LS1 4AP", "country": "GB"},
        "verified_claims": {
            "verification": {
                "trust_framework": "uk_tfida", "assurance_level": "medium", "time": "2024-06-01T10:00:00Z",
                "evidence": [{
                    "type": "document",
                    "check_details": [{"check_method": "vcrypt", "time": "2024-06-01T09:58:00Z"}],
                    "document_details": {"type": "passport", "document_number": "533401372",
                                         "date_of_issuance": "2020-03-02", "date_of_expiry": "2030-03-01",
                                         "issuer": {"name": "HM Passport Office", "country": "GB"}}
                }]
            },
            "claims": {"given_name": "Carol", "family_name": "Jones", "birthdate": "1985-02-11"}
        },
        "accounts": [{"identification": "GB29NWBK60161331926819", "currency": "GBP"}]
    })
}

fn dave() -> Value {
    json!({"username": "dave", "sub": "acc-dave-1", "password": "dave-secret-1",
           "name": "Dave Smith", "email": "dave@example.com"})
}

/// Alice's (or `browser`'s customer's) tokens through a PAR, login,
/// consent and code exchange with DPoP.
pub(crate) async fn tokens(op: &Op, dpop: &DpopKey, browser: Browser) -> Value {
    let (verifier, challenge) = pkce();
    let assertion = op.assertion(PKJWT, json!({})).await;
    let par = form(
        "/par",
        &[
            ("client_id", PKJWT),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", OFFLINE),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/par"), None).await;
    let response = op.send(false, with_header(par, "dpop", &proof)).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let mut browser = browser;
    let redirect = browser.authorize(op, PKJWT, &request_uri, true).await;
    let authorized = Authorized {
        code: query_param(&redirect, "code").unwrap(),
        verifier,
        redirect,
    };
    let response = token_request(op, &authorized, Some(dpop)).await;
    assert_status(&response, 200);
    json(response.body())
}

/// The login step for alice: the status of the answer to her password,
/// and the page's HTML.
pub(crate) async fn login_as_alice(op: &Op) -> (u16, String) {
    let (_, challenge) = pkce();
    let assertion = op.assertion(PKJWT, json!({})).await;
    let par = pkjwt_par(&assertion, &challenge, &[]);
    let response = op.send(false, par).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let mut browser = Browser::new();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", PKJWT)
        .append_pair("request_uri", &request_uri)
        .finish();
    let response = browser.get(op, &format!("/authorize?{query}")).await;
    let login = location(&response);
    let page = browser.get(op, &login).await;
    let csrf = hidden_field(&text(page.body()), "csrf");
    let response = browser
        .post(
            op,
            &login,
            &[("username", USER), ("password", PASSWORD), ("csrf", &csrf)],
        )
        .await;
    (response.status().as_u16(), text(response.body()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_imported_managed_and_disabled_through_the_cli() {
    let op = Op::start().await;
    let config = cli_config(&op);
    let dir = op.pki.dir.path().to_path_buf();

    // The OP holds the store: the CLI says so and changes nothing.
    let held = users(&config, &["list"], None);
    assert_eq!(held.status.code(), Some(2));
    assert!(
        text(&held.stderr).contains("the store is in use by a running OP; stop it first"),
        "{}",
        text(&held.stderr)
    );

    // Alice's tokens through a real flow, working.
    let dpop = DpopKey::new();
    let alice = tokens(&op, &dpop, Browser::new()).await;
    let access = alice["access_token"].as_str().unwrap().to_string();
    let refresh_token = alice["refresh_token"].as_str().unwrap().to_string();
    assert_status(&userinfo_dpop(&op, &access, &dpop).await, 200);

    // With the OP stopped: a good file, a bad one, list, show, disable.
    let good = dir.join("good.jsonl");
    std::fs::write(&good, format!("{}\n{}\n", carol(), dave())).unwrap();
    let mut bad_line = json!({"username": "erin", "sub": "acc-erin-1", "password": "x1",
                              "name": "Erin", "email": "erin@example.com"});
    bad_line["verified_claims"] = json!({"verification": {"trust_framework": "moon_kyc"}, "claims": {}});
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        format!("{}\n{bad_line}\n", json!({"username": "frank", "sub": "acc-frank-1", "password": "f1", "name": "Frank", "email": "frank@example.com"})),
    )
    .unwrap();
    let mut outputs = Vec::new();
    let op = op
        .restart_after(|| {
            outputs.push(users(&config, &["import", good.to_str().unwrap()], None));
            outputs.push(users(&config, &["import", bad.to_str().unwrap()], None));
            outputs.push(users(&config, &["list"], None));
            outputs.push(users(&config, &["show", "carol"], None));
            outputs.push(users(&config, &["disable", "alice"], None));
            outputs.push(users(&config, &["set-password", "dave"], Some("dave-new-pass\n")));
        })
        .await;
    let mut outputs = outputs.into_iter();
    let imported = ok(outputs.next().unwrap());
    assert!(
        imported.contains("imported 2 customers (2 new, 0 updated)"),
        "{imported}"
    );
    let refused = outputs.next().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let why = text(&refused.stderr);
    assert!(why.contains("nothing was imported: "), "{why}");
    assert!(
        why.contains("line 2: verified_claims[0].verification"),
        "the line and the JSON path: {why}"
    );
    let listed = ok(outputs.next().unwrap());
    assert!(
        listed.contains("carol") && listed.contains("acc-carol-1") && listed.contains("dave"),
        "{listed}"
    );
    assert!(
        !listed.contains("frank"),
        "nothing of the bad file landed: {listed}"
    );
    let carol_line = listed.lines().find(|l| l.starts_with("carol")).unwrap();
    assert!(
        carol_line.trim_end().ends_with('1'),
        "one verified set: {carol_line}"
    );
    let shown: Value = serde_json::from_str(&ok(outputs.next().unwrap())).unwrap();
    assert_eq!(shown["sub"], "acc-carol-1");
    assert_eq!(shown["password_hash"], "<redacted>");
    assert_eq!(shown["address"]["locality"], "Leeds");
    assert_eq!(
        shown["verified_claims"][0]["verification"]["trust_framework"],
        "uk_tfida"
    );
    let disabled = ok(outputs.next().unwrap());
    assert!(disabled.starts_with("disabled alice; revoked "), "{disabled}");
    ok(outputs.next().unwrap());

    // Alice's refresh token (RFC 6749 §5.2 invalid_grant) and access
    // token (RFC 6750 §3.1 invalid_token; RFC 7662 inactive) no longer
    // work, and her password is refused on the login page.
    let refused = refresh_dpop(&op, &refresh_token, &dpop).await;
    assert_status(&refused, 400);
    assert_eq!(json(refused.body())["error"], "invalid_grant");
    assert_status(&userinfo_dpop(&op, &access, &dpop).await, 401);
    assert_eq!(introspection_of(&op, &access).await["active"], false);
    let (status, page) = login_as_alice(&op).await;
    // The login page again (401, as for a wrong password), not the consent step.
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("or the account is not available"), "{page}");

    // Imported customers sign in with their imported (or newly set) password.
    let mut browser = Browser::new();
    browser.credentials = Some(("carol".into(), "carol-secret-1".into()));
    let carol_tokens = tokens(&op, &dpop, browser).await;
    let info = userinfo_dpop(&op, carol_tokens["access_token"].as_str().unwrap(), &dpop).await;
    assert_status(&info, 200);
    assert_eq!(json(info.body())["sub"], "acc-carol-1");
    let mut browser = Browser::new();
    browser.credentials = Some(("dave".into(), "dave-new-pass".into()));
    tokens(&op, &dpop, browser).await;

    // Enabled again, alice signs in; her revoked refresh token stays dead.
    let mut enabled = None;
    let op = op
        .restart_after(|| enabled = Some(users(&config, &["enable", "alice"], None)))
        .await;
    assert!(ok(enabled.unwrap()).contains("enabled alice"));
    let again = tokens(&op, &dpop, Browser::new()).await;
    assert!(again["access_token"].is_string());
    assert_status(&refresh_dpop(&op, &refresh_token, &dpop).await, 400);
}

/// CIBA Core §13: a disabled customer is nobody to a backchannel request
/// (`unknown_user_id`, the answer for a name that does not exist).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_customer_is_an_unknown_user_to_ciba_ciba_core_s13() {
    use super::ciba::{Ciba, POLL, error_of};
    let mut ciba = Ciba::start().await;
    let request = ciba.signed_request(POLL, json!({"login_hint": USER})).await;
    assert_status(&ciba.backchannel(POLL, &[("request", &request)]).await, 200);
    let config = cli_config(&ciba.op);
    let mut disabled = None;
    let op = ciba.op;
    ciba.op = op
        .restart_after(|| disabled = Some(users(&config, &["disable", USER], None)))
        .await;
    // The pending request of the customer went with the revocation.
    assert!(
        ok(disabled.unwrap()).contains("revoked 1 "),
        "one pending CIBA request"
    );
    let request = ciba.signed_request(POLL, json!({"login_hint": USER})).await;
    let response = ciba.backchannel(POLL, &[("request", &request)]).await;
    assert_eq!(
        error_of(&response),
        "unknown_user_id",
        "{}",
        text(response.body())
    );
}
