//! The `/customers` resource over real TLS: a customer created, read,
//! updated (`If-Match`, RFC 9110 §13.1.1: 412 when stale; RFC 6585 §3: 428
//! without), disabled, enabled and deleted with Fiducia's own token and
//! with the second issuer's; scopes (RFC 6750 §3.1: `fiducia.config.read`
//! alone, or `fiducia.config.write` without `fiducia.users.write`, cannot
//! write); bad bodies as RFC 9457 problems with one entry per member and
//! no value echoed (a clear password refused); the audit trail through
//! `GET /audit`; a customer disabled through the API losing their access
//! token (RFC 7662 inactive), their refresh token (RFC 6749 §5.2
//! `invalid_grant`) and their sign-in; the CLI creating and disabling one.

use super::cli::admin;
use super::*;
use crate::it::customers::{login_as_alice, tokens};
use crate::it::flow::introspection::introspection_of;
use crate::it::support::json;

/// An argon2id PHC string at the OP's minimum cost (m = 7168 KiB, t = 5).
fn phc(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let params = argon2::Params::new(7168, 5, 1, Some(32)).unwrap();
    let salt = SaltString::encode_b64(&[5u8; 16]).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// Carol as an import line's members, her password as a hash.
fn carol(hash: &str) -> Value {
    json!({
        "username": "carol", "sub": "acc-carol-1", "password_hash": hash,
        "name": "Carol Jones", "email": "carol@example.com", "email_verified": true,
        "address": { "locality": "Leeds", "country": "GB" },
        "accounts": [{ "identification": "GB29NWBK60161331926819", "currency": "GBP" }]
    })
}

/// Every record about customer `sub`, through `GET /audit`.
async fn records_of(api: &Api, dpop: &DpopKey, token: &str, sub: &str) -> Vec<Value> {
    api.audit_records(dpop, token, |r| {
        r["targets"][0] == json!({ "kind": "customer", "id": sub })
    })
    .await
}

/// A customer through their whole life, with a DPoP-bound Fiducia token
/// (RFC 9449) and a certificate-bound token of the second issuer (RFC
/// 8705 §3): create (201, `Location`, `ETag`; again 409), read and list
/// (never a hash), replace (428, 412, 200), disable (grants revoked
/// counted), enable, delete (428, 204, then 404). Each write is one
/// record read back through `GET /audit`: the caller as actor, member
/// names only. Then scopes and bad bodies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_is_created_changed_and_deleted_by_either_issuers_operator() {
    let api = Api::start(true, "").await;
    let dpop = DpopKey::new();
    let fiducia = api
        .fiducia_token(
            &dpop,
            "fiducia.config.read fiducia.users.write fiducia.audit.read",
        )
        .await;
    let x5t = fiducia::protocol::client_cert::x5t_s256(&api.op.pki.client_leaf_der());
    let iam = api
        .iam_token(
            json!({ "scope": "fiducia.config.read fiducia.users.write", "cnf": { "x5t#S256": x5t } }),
            "at+jwt",
        )
        .await;
    let hash = phc("carol-secret-1");

    let body = carol(&hash).to_string();
    let create = || async { with_body(api.dpop(&dpop, "POST", "/customers", &fiducia).await, &body, None) };
    let created = api.send(false, create().await).await;
    assert_status(&created, 201);
    assert_eq!(
        created.headers()["location"],
        format!("{}/customers/carol", api.url)
    );
    let first = etag(&created);
    assert!(first.starts_with("\"u"), "{first}");
    let view = json(created.body());
    assert_eq!(
        (view["sub"].as_str(), view["disabled"].as_bool()),
        (Some("acc-carol-1"), Some(false))
    );
    assert!(view.get("password_hash").is_none(), "{view}");
    // A second create of the username: 409.
    assert_status(&api.send(false, create().await).await, 409);

    // Read by the second issuer's operator (the username compared
    // lower-cased); the list shows what `fiducia users list` shows.
    let read = api.send(true, Api::bearer("GET", "/customers/Carol", &iam)).await;
    assert_status(&read, 200);
    assert_eq!(etag(&read), first);
    assert!(!String::from_utf8_lossy(read.body()).contains("argon2"));
    let listed = api
        .send(true, Api::bearer("GET", "/customers?limit=1", &iam))
        .await;
    assert_status(&listed, 200);
    let page = json(listed.body());
    assert_eq!(page["customers"][0]["username"], "alice");
    assert_eq!(
        page["customers"][0].as_object().unwrap().len(),
        5,
        "username, sub, name, disabled, verified_claim_sets: {page}"
    );
    let next = page["next"].as_str().unwrap().to_string();
    assert_eq!(next, "/customers?after=alice&limit=1");
    let second = json(api.send(true, Api::bearer("GET", &next, &iam)).await.body());
    assert_eq!(second["customers"][0]["username"], "carol");

    // RFC 6585 §3 / RFC 9110 §13.1.1.
    let mut changed = carol(&hash);
    changed["name"] = json!("Carol J Jones");
    changed.as_object_mut().unwrap().remove("password_hash");
    let changed = changed.to_string();
    let put = |tag: Option<&str>| with_body(Api::bearer("PUT", "/customers/carol", &iam), &changed, tag);
    assert_status(&api.send(true, put(None)).await, 428);
    let stale = api.send(true, put(Some("\"u0\""))).await;
    assert_status(&stale, 412);
    assert_eq!(stale.headers()["content-type"], "application/problem+json");
    let updated = api.send(true, put(Some(&first))).await;
    assert_status(&updated, 200);
    let second_tag = etag(&updated);
    assert_ne!(second_tag, first);
    assert_eq!(json(updated.body())["name"], "Carol J Jones");

    // Disable (the stale tag first), enable.
    let disable =
        |tag: Option<&str>| with_body(Api::bearer("POST", "/customers/carol/disable", &iam), "", tag);
    assert_status(&api.send(true, disable(None)).await, 428);
    assert_status(&api.send(true, disable(Some(&first))).await, 412);
    let disabled = api.send(true, disable(Some(&second_tag))).await;
    assert_status(&disabled, 200);
    let answer = json(disabled.body());
    assert_eq!(answer["disabled"], true);
    assert_eq!(answer["revoked"]["grants"], 0);
    let enabled = api
        .send(
            false,
            with_body(
                api.dpop(&dpop, "POST", "/customers/carol/enable", &fiducia).await,
                "",
                Some(&etag(&disabled)),
            ),
        )
        .await;
    assert_status(&enabled, 200);
    assert_eq!(json(enabled.body())["disabled"], false);

    // Delete: 428 without If-Match, 204, then gone.
    let delete = |tag: Option<String>| {
        let (api, dpop, fiducia) = (&api, &dpop, &fiducia);
        async move {
            let request = api.dpop(dpop, "DELETE", "/customers/carol", fiducia).await;
            with_body(request, "", tag.as_deref())
        }
    };
    assert_status(&api.send(false, delete(None).await).await, 428);
    let deleted = api.send(false, delete(Some(etag(&enabled))).await).await;
    assert_status(&deleted, 204);
    let gone = api.send(true, Api::bearer("GET", "/customers/carol", &iam)).await;
    assert_status(&gone, 404);

    // The trail: create, update, disable, enable, and the delete's two
    // (a disable, then the deletion); the caller of each; member names.
    let records = records_of(&api, &dpop, &fiducia, "acc-carol-1").await;
    let mut events: Vec<(String, String, String)> = records
        .iter()
        .map(|r| {
            let last = r["changed"].as_array().unwrap().last().unwrap();
            (
                r["event"].as_str().unwrap().to_string(),
                r["actor"]["id"].as_str().unwrap().to_string(),
                last["to"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    events.sort();
    let ours = format!("{OPS}@{ISSUER}");
    let theirs = format!("ops-robot@{IAM}");
    let mut expected = vec![
        ("config_changed".to_string(), ours.clone(), "enabled".to_string()),
        ("config_changed".to_string(), theirs.clone(), "-".to_string()),
        ("config_changed".to_string(), ours.clone(), "deleted".to_string()),
        (
            "customer_disabled".to_string(),
            theirs.clone(),
            "disabled".to_string(),
        ),
        (
            "customer_enabled".to_string(),
            ours.clone(),
            "enabled".to_string(),
        ),
        (
            "customer_disabled".to_string(),
            ours.clone(),
            "disabled".to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(events, expected, "{records:?}");
    // The update's record names the one member changed, no value.
    assert!(
        records
            .iter()
            .any(|r| r["changed"] == json!([{ "member": "name" }]) && r["actor"]["id"] == theirs.as_str()),
        "{records:?}"
    );
    let text = serde_json::to_string(&records).unwrap();
    for value in [hash.as_str(), "Carol", "carol@example.com", "Leeds", "GB29NWBK"] {
        assert!(!text.contains(value), "{value} in the trail: {text}");
    }

    // RFC 6750 §3.1: fiducia.config.read alone, and fiducia.config.write
    // without fiducia.users.write, cannot write customers.
    for scope in ["fiducia.config.read", "fiducia.config.read fiducia.config.write"] {
        let token = api
            .iam_token(json!({ "scope": scope, "cnf": { "x5t#S256": x5t } }), "at+jwt")
            .await;
        let refused = api
            .send(
                true,
                with_body(Api::bearer("POST", "/customers", &token), &body, None),
            )
            .await;
        assert_status(&refused, 403);
        assert_eq!(
            challenge(&refused),
            "Bearer error=\"insufficient_scope\", scope=\"fiducia.users.write\""
        );
        let disable = with_body(
            Api::bearer("POST", "/customers/alice/disable", &token),
            "",
            Some("*"),
        );
        assert_status(&api.send(true, disable).await, 403);
        let read = api
            .send(true, Api::bearer("GET", "/customers/alice", &token))
            .await;
        assert_status(&read, 200);
        assert_eq!(json(read.body())["disabled"], false);
    }

    // RFC 9457: one entry per bad member, pointing at it; a clear
    // password refused; no value of the body in the answer.
    let bad = json!({
        "username": "erin", "sub": "has a space", "password": "hunter2-very-secret",
        "email": "not-an-address-secret", "favourite_colour": "blue-secret",
        "accounts": [{ "identification": 42 }]
    })
    .to_string();
    let refused = api
        .send(
            true,
            with_body(Api::bearer("POST", "/customers", &iam), &bad, None),
        )
        .await;
    assert_status(&refused, 400);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    let problem = json(refused.body());
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for pointer in ["/password", "/sub", "/email", "/name", "/favourite_colour"] {
        assert_eq!(
            pointers.iter().filter(|p| **p == pointer).count(),
            1,
            "{pointer}: {problem}"
        );
    }
    assert!(pointers.iter().any(|p| p.starts_with("/accounts/0")), "{problem}");
    let text = String::from_utf8_lossy(refused.body());
    for value in ["hunter2", "has a space", "not-an-address", "blue-secret"] {
        assert!(!text.contains(value), "{value} echoed: {text}");
    }
    let nothing = api.send(true, Api::bearer("GET", "/customers/erin", &iam)).await;
    assert_status(&nothing, 404);
    api.op.handle.shutdown().await;
}

/// A customer disabled through the API holds nothing any more: their
/// access token introspects inactive (RFC 7662 §2.2), their refresh token
/// is `invalid_grant` at `/token` (RFC 6749 §5.2), and their password is
/// refused on the login page as a wrong one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_disabled_through_the_api_loses_tokens_and_sign_in() {
    let api = Api::start(false, "").await;
    let op = &api.op;
    let dpop = DpopKey::new();
    let alice = tokens(op, &dpop, Browser::new()).await;
    let access = alice["access_token"].as_str().unwrap().to_string();
    let refresh_token = alice["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(introspection_of(op, &access).await["active"], true);

    let iam = api
        .iam_token(
            json!({ "scope": "fiducia.config.read fiducia.users.write" }),
            "at+jwt",
        )
        .await;
    let read = api
        .send(false, Api::bearer("GET", "/customers/alice", &iam))
        .await;
    assert_status(&read, 200);
    let disabled = api
        .send(
            false,
            with_body(
                Api::bearer("POST", "/customers/alice/disable", &iam),
                "",
                Some(&etag(&read)),
            ),
        )
        .await;
    assert_status(&disabled, 200);
    let answer = json(disabled.body());
    assert_eq!(answer["disabled"], true);
    assert_eq!(answer["revoked"]["grants"], 1, "{answer}");

    assert_eq!(introspection_of(op, &access).await["active"], false);
    let refused = refresh_dpop(op, &refresh_token, &dpop).await;
    assert_status(&refused, 400);
    assert_eq!(json(refused.body())["error"], "invalid_grant");
    let (status, page) = login_as_alice(op).await;
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("or the account is not available"), "{page}");
    api.op.handle.shutdown().await;
}

/// `fiducia admin customers create` then `disable` (the binary, a
/// certificate-bound token from a client_credentials grant): the JSON of
/// each; a body with a clear password exits non-zero naming the member,
/// without the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_command_creates_and_disables_a_customer() {
    let api = Api::start(true, "").await;
    let pki = &api.op.pki;
    let token_endpoint = format!("https://localhost:{}/token", api.op.handle.main_addr.port());
    let args = |command: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "--url",
            api.url.as_str(),
            "--ca",
            pki.ca().to_str().unwrap(),
            "--cert",
            pki.client_cert().to_str().unwrap(),
            "--key",
            pki.client_key().to_str().unwrap(),
            "--client-id",
            OPS_MTLS,
            "--token-endpoint",
            token_endpoint.as_str(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(command.iter().map(|s| s.to_string()));
        args
    };
    let file = pki.dir.path().join("dave.json");
    let mut dave = carol(&phc("dave-secret-1"));
    dave["username"] = json!("dave");
    dave["sub"] = json!("acc-dave-1");
    std::fs::write(&file, dave.to_string()).unwrap();

    let (ok, out, err) = admin(args(&["customers", "create", "--file", file.to_str().unwrap()])).await;
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (created["username"].as_str(), created["disabled"].as_bool()),
        (Some("dave"), Some(false))
    );

    let (ok, out, err) = admin(args(&["customers", "disable", "dave"])).await;
    assert!(ok, "{err}");
    let disabled: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(disabled["disabled"], true);
    assert_eq!(disabled["revoked"]["grants"], 0);
    let (ok, out, err) = admin(args(&["customers", "get", "dave"])).await;
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["disabled"], true);

    dave["username"] = json!("erin");
    dave["sub"] = json!("acc-erin-1");
    dave["password"] = json!("erin-clear-secret");
    std::fs::write(&file, dave.to_string()).unwrap();
    let (ok, _, err) = admin(args(&["customers", "create", "--file", file.to_str().unwrap()])).await;
    assert!(!ok);
    assert!(err.contains("400") && err.contains("/password"), "{err}");
    assert!(!err.contains("erin-clear-secret"), "{err}");
    api.op.handle.shutdown().await;
}

/// A lost race (RFC 9110 §13.1.1): two operators replace the same
/// customer at once from the same ETag; the service compares it inside
/// the write's transaction, so one change is made and the other is 412,
/// and the customer shows the winner's name with one `config_changed`
/// record for the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_writers_with_one_etag_one_wins_and_one_is_412() {
    let api = Api::start(false, "").await;
    let dpop = DpopKey::new();
    let fiducia = api
        .fiducia_token(
            &dpop,
            "fiducia.config.read fiducia.users.write fiducia.audit.read",
        )
        .await;
    let iam = api
        .iam_token(
            json!({ "scope": "fiducia.config.read fiducia.users.write" }),
            "at+jwt",
        )
        .await;
    let read = api
        .send(false, Api::bearer("GET", "/customers/alice", &iam))
        .await;
    assert_status(&read, 200);
    let tag = etag(&read);
    let renamed = |name: &str| {
        let mut body = json(read.body());
        body["name"] = json!(name);
        body.to_string()
    };
    let (ours, theirs) = (renamed("Alice Ours"), renamed("Alice Theirs"));
    let (a, b) = tokio::join!(
        async {
            let request = api.dpop(&dpop, "PUT", "/customers/alice", &fiducia).await;
            api.send(false, with_body(request, &ours, Some(&tag))).await
        },
        api.send(
            false,
            with_body(Api::bearer("PUT", "/customers/alice", &iam), &theirs, Some(&tag))
        ),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    let winner = match a.status().as_u16() {
        200 => "Alice Ours",
        _ => "Alice Theirs",
    };
    let now = api
        .send(false, Api::bearer("GET", "/customers/alice", &iam))
        .await;
    assert_eq!(json(now.body())["name"], winner);
    let records = records_of(&api, &dpop, &fiducia, "acc-alice-1").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["changed"], json!([{ "member": "name" }]));
    api.op.handle.shutdown().await;
}
