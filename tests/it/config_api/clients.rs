//! The `/clients` resource over real TLS: a stored client created, read,
//! updated (`If-Match`, RFC 9110 §13.1.1: 412 when stale; RFC 6585 §3:
//! 428 without), disabled, enabled and deleted with Fiducia's own token
//! and with the second issuer's; a file client overridden and tombstoned;
//! a registered client (RFC 7591, through the DCR harness) disabled,
//! enabled and deleted, its metadata update refused (RFC 7592); scopes
//! (RFC 6750 §3.1); a client disabled through the API refused at `/token`
//! (RFC 6749 §5.2 `invalid_client`) and its token inactive (RFC 7662
//! §2.2); a lost race (412); bad bodies as RFC 9457 problems; the audit
//! trail; the CLI.

use super::*;
use crate::it::dcr::Dcr;
use crate::it::flow::gateway::gateway_introspection_of;
use crate::it::support::{TestPki, json};

/// The test fintech's certificate subject (the harness's mTLS clients').
fn fintech_dn() -> String {
    format!("CN={},OU=org-1,O=org-1,C=GB", crate::it::support::FINTECH)
}

/// A stored client's members: tls_client_auth with the test fintech's
/// certificate, so the test can take tokens as it.
fn stored_client(client_id: &str, name: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_name": name,
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": fintech_dn(),
        "scopes": ["accounts"],
    })
}

/// A client_credentials token of a tls_client_auth client (RFC 8705 §2.1).
async fn cc_token(op: &Op, client_id: &str, scope: &str) -> Response<Bytes> {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("scope", scope),
        ],
    );
    op.send(true, request).await
}

fn access_token(response: &Response<Bytes>) -> String {
    assert_status(response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every `config_changed` record of `client_id`, through `GET /audit`.
async fn changes_of(api: &Api, dpop: &DpopKey, token: &str, client_id: &str) -> Vec<Value> {
    api.audit_records(dpop, token, |r| {
        r["event"] == "config_changed" && r["targets"][0]["id"] == client_id
    })
    .await
}

/// A stored client through its whole life, with a DPoP-bound Fiducia
/// token (RFC 9449) and a certificate-bound token of the second issuer
/// (RFC 8705 §3): create (201, `Location`, `ETag`), read, update (428
/// without `If-Match`, 412 stale, 200 right), disable, enable, delete
/// (204, then 404). Each write is a `config_changed` record read back
/// through `GET /audit`: the caller as actor, member names, no value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_client_is_created_changed_and_deleted_by_either_issuers_operator() {
    let api = Api::start(true, "").await;
    let dpop = DpopKey::new();
    let fiducia = api
        .fiducia_token(
            &dpop,
            "fiducia.config.read fiducia.config.write fiducia.audit.read",
        )
        .await;
    let x5t = fiducia::protocol::client_cert::x5t_s256(&api.op.pki.client_leaf_der());
    let iam = api
        .iam_token(
            json!({ "scope": "fiducia.config.read fiducia.config.write", "cnf": { "x5t#S256": x5t } }),
            "at+jwt",
        )
        .await;
    let as_fiducia = |method: &'static str, path: String| {
        let (dpop, fiducia) = (&dpop, &fiducia);
        let api = &api;
        async move { api.dpop(dpop, method, &path, fiducia).await }
    };

    let body = stored_client("shop-1", "Shop One").to_string();
    let created = api
        .send(
            false,
            with_body(as_fiducia("POST", "/clients".into()).await, &body, None),
        )
        .await;
    assert_status(&created, 201);
    assert_eq!(
        created.headers()["location"],
        format!("{}/clients/shop-1", api.url)
    );
    assert_eq!(etag(&created), "\"r1\"");
    let view = json(created.body());
    assert_eq!(
        (view["source"].as_str(), view["state"].as_str()),
        (Some("stored"), Some("active"))
    );
    // A second create of the id: 409.
    let again = api
        .send(
            false,
            with_body(as_fiducia("POST", "/clients".into()).await, &body, None),
        )
        .await;
    assert_status(&again, 409);

    // Read by the second issuer's operator; the list carries it too.
    let read = api.send(true, Api::bearer("GET", "/clients/shop-1", &iam)).await;
    assert_status(&read, 200);
    assert_eq!(etag(&read), "\"r1\"");
    let listed = api.send(true, Api::bearer("GET", "/clients", &iam)).await;
    assert_status(&listed, 200);
    assert!(listed.headers().contains_key("etag"));
    let listed = json(listed.body());
    let sources: Vec<(String, String)> = listed["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["client_id"].as_str().unwrap().into(),
                c["source"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(sources.contains(&("shop-1".into(), "stored".into())));
    assert!(sources.contains(&(OPS.into(), "static".into())));

    // RFC 6585 §3 / RFC 9110 §13.1.1.
    let renamed = stored_client("shop-1", "Shop One Renamed").to_string();
    let put = |tag: Option<&str>| with_body(Api::bearer("PUT", "/clients/shop-1", &iam), &renamed, tag);
    assert_status(&api.send(true, put(None)).await, 428);
    let stale = api.send(true, put(Some("\"r0\""))).await;
    assert_status(&stale, 412);
    assert_eq!(stale.headers()["content-type"], "application/problem+json");
    let updated = api.send(true, put(Some("\"r1\""))).await;
    assert_status(&updated, 200);
    assert_eq!(etag(&updated), "\"r2\"");
    assert_eq!(
        json(updated.body())["metadata"]["client_name"],
        "Shop One Renamed"
    );

    // Disable and enable: If-Match required too (`*`: any current one).
    let disable =
        |tag: Option<&str>| with_body(Api::bearer("POST", "/clients/shop-1/disable", &iam), "", tag);
    assert_status(&api.send(true, disable(None)).await, 428);
    assert_status(&api.send(true, disable(Some("\"r1\""))).await, 412);
    let disabled = api.send(true, disable(Some("\"r2\""))).await;
    assert_status(&disabled, 200);
    assert_eq!(json(disabled.body())["state"], "disabled");
    let enabled = api
        .send(
            false,
            with_body(
                as_fiducia("POST", "/clients/shop-1/enable".into()).await,
                "",
                Some("*"),
            ),
        )
        .await;
    assert_status(&enabled, 200);
    assert_eq!(json(enabled.body())["state"], "active");

    // Delete: 428 without If-Match, 204, then gone.
    let delete = |tag: Option<String>| {
        let tag = tag.clone();
        async move {
            let request = as_fiducia("DELETE", "/clients/shop-1".into()).await;
            with_body(request, "", tag.as_deref())
        }
    };
    assert_status(&api.send(false, delete(None).await).await, 428);
    let deleted = api.send(false, delete(Some(etag(&enabled))).await).await;
    assert_status(&deleted, 204);
    assert!(deleted.body().is_empty());
    let gone = api.send(true, Api::bearer("GET", "/clients/shop-1", &iam)).await;
    assert_status(&gone, 404);
    assert_eq!(gone.headers()["content-type"], "application/problem+json");

    // The trail: create, update, disable, enable, delete; the caller of
    // each; member names, never a value.
    let changes = changes_of(&api, &dpop, &fiducia, "shop-1").await;
    assert_eq!(changes.len(), 5, "{changes:?}");
    let actors: Vec<&str> = changes
        .iter()
        .map(|r| r["actor"]["id"].as_str().unwrap())
        .collect();
    let ours = format!("{OPS}@{ISSUER}");
    let theirs = format!("ops-robot@{IAM}");
    assert_eq!(actors.iter().filter(|a| **a == ours).count(), 3, "{actors:?}");
    assert_eq!(actors.iter().filter(|a| **a == theirs).count(), 2, "{actors:?}");
    // The update changed one member: its record names that one, no value.
    assert!(
        changes
            .iter()
            .any(|r| r["changed"] == json!([{ "member": "client_name" }])
                && r["actor"]["id"] == theirs.as_str()),
        "{changes:?}"
    );
    // Records of one second are ordered by chain, not time of day: the
    // states reached, in any order.
    let mut states: Vec<&str> = changes
        .iter()
        .flat_map(|r| r["changed"].as_array().unwrap())
        .filter(|c| c["member"] == "state")
        .map(|c| c["to"].as_str().unwrap())
        .collect();
    states.sort();
    assert_eq!(states, ["active", "active", "deleted", "disabled"], "{changes:?}");
    for record in &changes {
        let text = record.to_string();
        assert!(!text.contains("Shop One") && !text.contains(REDIRECT), "{text}");
    }
    api.op.handle.shutdown().await;
}

/// A lost race (RFC 9110 §13.1.1): two operators change the same client
/// at once from the same ETag; one change is made, the other is 412 and
/// changes nothing, and the client shows the winner's metadata at `r2`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_writers_with_one_etag_one_wins_and_one_is_412() {
    let api = Api::start(false, "").await;
    let dpop = DpopKey::new();
    let fiducia = api
        .fiducia_token(&dpop, "fiducia.config.read fiducia.config.write")
        .await;
    let iam = api
        .iam_token(
            json!({ "scope": "fiducia.config.read fiducia.config.write" }),
            "at+jwt",
        )
        .await;
    let body = stored_client("shop-6", "Shop Six").to_string();
    let created = api
        .send(
            false,
            with_body(api.dpop(&dpop, "POST", "/clients", &fiducia).await, &body, None),
        )
        .await;
    assert_status(&created, 201);
    let tag = etag(&created);
    let ours = stored_client("shop-6", "Ours").to_string();
    let theirs = stored_client("shop-6", "Theirs").to_string();
    let (a, b) = tokio::join!(
        async {
            let request = api.dpop(&dpop, "PUT", "/clients/shop-6", &fiducia).await;
            api.send(false, with_body(request, &ours, Some(&tag))).await
        },
        api.send(
            false,
            with_body(Api::bearer("PUT", "/clients/shop-6", &iam), &theirs, Some(&tag))
        ),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    let winner = match a.status().as_u16() {
        200 => "Ours",
        _ => "Theirs",
    };
    let read = api.send(false, Api::bearer("GET", "/clients/shop-6", &iam)).await;
    assert_eq!(etag(&read), "\"r2\"");
    assert_eq!(json(read.body())["metadata"]["client_name"], winner);
    api.op.handle.shutdown().await;
}

/// RFC 6750 §3.1: a `fiducia.config.read` token reads but cannot write
/// (403 `insufficient_scope` naming the scope needed); a
/// `fiducia.config.write` token cannot write a client holding a Config API
/// scope it lacks (`config_api/operator_scopes.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_cannot_write_clients_nor_a_writer_escalate() {
    let api = Api::start(true, "").await;
    let dpop = DpopKey::new();
    let token = api.fiducia_token(&dpop, "fiducia.config.read").await;
    let read = api
        .send(false, api.dpop(&dpop, "GET", "/clients", &token).await)
        .await;
    assert_status(&read, 200);
    let body = stored_client("shop-2", "Shop Two").to_string();
    let create = with_body(api.dpop(&dpop, "POST", "/clients", &token).await, &body, None);
    let refused = api.send(false, create).await;
    assert_status(&refused, 403);
    assert_eq!(
        challenge(&refused),
        "DPoP error=\"insufficient_scope\", scope=\"fiducia.config.write\""
    );
    let disable = with_body(
        api.dpop(&dpop, "POST", &format!("/clients/{MTLS}/disable"), &token)
            .await,
        "",
        Some("*"),
    );
    assert_status(&api.send(false, disable).await, 403);
    let read = api
        .send(
            false,
            api.dpop(&dpop, "GET", &format!("/clients/{MTLS}"), &token).await,
        )
        .await;
    assert_eq!(json(read.body())["state"], "active", "nothing changed");

    // No escalation: `fiducia.config.write` alone neither mints a client
    // with `fiducia.keys.write` nor changes or disables the operators'
    // client that holds it (403, the missing scope named).
    let writer = api
        .fiducia_token(&dpop, "fiducia.config.read fiducia.config.write")
        .await;
    let mut minted = stored_client("ops-2", "Shadow operators");
    minted["scopes"] = json!(["fiducia.keys.write"]);
    let create = with_body(
        api.dpop(&dpop, "POST", "/clients", &writer).await,
        &minted.to_string(),
        None,
    );
    let refused = api.send(false, create).await;
    assert_status(&refused, 403);
    let detail = json(refused.body())["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("fiducia.keys.write"), "{detail}");
    let ops = format!("/clients/{OPS}");
    let read = api.send(false, api.dpop(&dpop, "GET", &ops, &writer).await).await;
    assert_status(&read, 200);
    let mut taken = json(read.body())["metadata"].clone();
    taken["scopes"] = json!(["fiducia.config.read"]);
    let put = with_body(
        api.dpop(&dpop, "PUT", &ops, &writer).await,
        &taken.to_string(),
        Some(&etag(&read)),
    );
    assert_status(&api.send(false, put).await, 403);
    let disable = with_body(
        api.dpop(&dpop, "POST", &format!("{ops}/disable"), &writer).await,
        "",
        Some(&etag(&read)),
    );
    assert_status(&api.send(false, disable).await, 403);
    let after = api.send(false, api.dpop(&dpop, "GET", &ops, &writer).await).await;
    assert_eq!(etag(&after), etag(&read), "the operators' client is unchanged");
    api.op.handle.shutdown().await;
}

/// The point of the resource: a client disabled through the API is
/// refused at `/token` on its very next request (RFC 6749 §5.2
/// `invalid_client`) and the token it held introspects inactive (RFC 7662
/// §2.2). A stored client created through the API gets tokens at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disabled_through_the_api_fails_at_token_and_its_token_is_inactive() {
    let api = Api::start(true, "").await;
    let dpop = DpopKey::new();
    let token = api
        .fiducia_token(&dpop, "fiducia.config.read fiducia.config.write")
        .await;
    let held = access_token(&cc_token(&api.op, MTLS, "accounts").await);
    assert_eq!(gateway_introspection_of(&api.op, &held).await["active"], true);

    let path = format!("/clients/{MTLS}");
    let read = api.send(false, api.dpop(&dpop, "GET", &path, &token).await).await;
    assert_status(&read, 200);
    assert_eq!(json(read.body())["source"], "static");
    let disable = with_body(
        api.dpop(&dpop, "POST", &format!("{path}/disable"), &token).await,
        "",
        Some(&etag(&read)),
    );
    let disabled = api.send(false, disable).await;
    assert_status(&disabled, 200);
    assert_eq!(json(disabled.body())["state"], "disabled");

    let refused = cc_token(&api.op, MTLS, "accounts").await;
    assert_status(&refused, 401);
    assert_eq!(json(refused.body())["error"], "invalid_client");
    assert_eq!(gateway_introspection_of(&api.op, &held).await["active"], false);

    // A client created through the API is served on the next request.
    let body = stored_client("shop-3", "Shop Three").to_string();
    let created = api
        .send(
            false,
            with_body(api.dpop(&dpop, "POST", "/clients", &token).await, &body, None),
        )
        .await;
    assert_status(&created, 201);
    let fresh = access_token(&cc_token(&api.op, "shop-3", "accounts").await);
    assert_eq!(gateway_introspection_of(&api.op, &fresh).await["active"], true);
    api.op.handle.shutdown().await;
}

/// A file client: its metadata overridden by a document (source stays
/// `static`, revision 1, the new scopes served), then deleted (a
/// tombstone: 404, gone from the list), then created again over the
/// tombstone as a stored client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_client_is_overridden_and_tombstoned() {
    let api = Api::start(true, "").await;
    let dpop = DpopKey::new();
    let token = api
        .fiducia_token(&dpop, "fiducia.config.read fiducia.config.write")
        .await;
    let path = format!("/clients/{MTLS}");
    let read = api.send(false, api.dpop(&dpop, "GET", &path, &token).await).await;
    assert_status(&read, 200);
    assert_eq!(etag(&read), "\"r0\"", "no document yet");
    let mut metadata = json(read.body())["metadata"].clone();
    metadata["scopes"] = json!(["openid", "payments"]);
    let put = with_body(
        api.dpop(&dpop, "PUT", &path, &token).await,
        &metadata.to_string(),
        Some("\"r0\""),
    );
    let overridden = api.send(false, put).await;
    assert_status(&overridden, 200);
    let view = json(overridden.body());
    assert_eq!(
        (view["source"].as_str(), view["revision"].as_u64()),
        (Some("static"), Some(1))
    );
    // RFC 6749 §5.2: a scope no longer the client's.
    let narrowed = cc_token(&api.op, MTLS, "accounts").await;
    assert_status(&narrowed, 400);
    assert_eq!(json(narrowed.body())["error"], "invalid_scope");

    let delete = with_body(api.dpop(&dpop, "DELETE", &path, &token).await, "", Some("\"r1\""));
    assert_status(&api.send(false, delete).await, 204);
    let gone = api.send(false, api.dpop(&dpop, "GET", &path, &token).await).await;
    assert_status(&gone, 404);
    let listed = json(
        api.send(false, api.dpop(&dpop, "GET", "/clients", &token).await)
            .await
            .body(),
    );
    assert!(!listed.to_string().contains(MTLS), "tombstoned: not listed");
    let refused = cc_token(&api.op, MTLS, "payments").await;
    assert_status(&refused, 401);
    assert_eq!(json(refused.body())["error"], "invalid_client");

    let mut body = stored_client(MTLS, "Cert Bank Apps again");
    body["scopes"] = json!(["accounts"]);
    let created = api
        .send(
            false,
            with_body(
                api.dpop(&dpop, "POST", "/clients", &token).await,
                &body.to_string(),
                None,
            ),
        )
        .await;
    assert_status(&created, 201);
    let view = json(created.body());
    assert_eq!(
        (view["source"].as_str(), view["revision"].as_u64()),
        (Some("static"), Some(3)),
        "over the file entry, revisions keep counting"
    );
    api.op.handle.shutdown().await;
}

/// RFC 9457 §3.2: a bad body is 400 with one `errors` entry per bad
/// member, by JSON Pointer (RFC 6901); an unknown member such as
/// `client_secret` is refused by name and its value is never echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_body_is_a_problem_per_member_without_its_values() {
    let api = Api::start(true, "").await;
    let dpop = DpopKey::new();
    let token = api
        .fiducia_token(&dpop, "fiducia.config.read fiducia.config.write")
        .await;
    const SECRET: &str = "s3cr3t-never-echoed-7731";
    let body = json!({
        "client_id": "shop-4",
        "client_name": "Shop Four",
        "redirect_uris": SECRET,
        "token_endpoint_auth_method": "tls_client_auth",
        "client_secret": SECRET,
    });
    let response = api
        .send(
            false,
            with_body(
                api.dpop(&dpop, "POST", "/clients", &token).await,
                &body.to_string(),
                None,
            ),
        )
        .await;
    assert_status(&response, 400);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let text = String::from_utf8_lossy(response.body()).into_owned();
    assert!(!text.contains(SECRET), "{text}");
    let problem = json(response.body());
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_object().unwrap()["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/client_secret", "/redirect_uris"], "{problem}");

    // Missing members, each its own entry; a body that is not JSON.
    let response = api
        .send(
            false,
            with_body(
                api.dpop(&dpop, "POST", "/clients", &token).await,
                r#"{"client_id":"shop-4"}"#,
                None,
            ),
        )
        .await;
    assert_status(&response, 400);
    let pointers: Vec<String> = json(response.body())["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        pointers,
        ["/client_name", "/redirect_uris", "/token_endpoint_auth_method"]
    );
    let not_json = format!("{{\"client_secret\": \"{SECRET}\"");
    let response = api
        .send(
            false,
            with_body(api.dpop(&dpop, "POST", "/clients", &token).await, &not_json, None),
        )
        .await;
    assert_status(&response, 400);
    assert!(!String::from_utf8_lossy(response.body()).contains(SECRET));
    api.op.handle.shutdown().await;
}

/// A registered client (RFC 7591, registered at the DCR harness's OP that
/// also serves the Config API): listed as `registered`, disabled, enabled
/// and deleted through the API; its metadata update refused 409 naming
/// RFC 7592 (its own client configuration endpoint changes it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_client_is_disabled_enabled_and_deleted_but_its_metadata_is_rfc7592s() {
    let port = free_port();
    let dn = fintech_dn();
    let dcr = Dcr::start_with(move |registration| {
        format!(
            r#"{registration}
[[clients]]
client_id = "{OPS_MTLS}"
client_name = "Bank operators' scripts"
redirect_uris = ["https://ops.bank.example/unused"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "{dn}"
access_token_format = "jwt"
access_token_audience = "{AUD}"
scopes = ["fiducia.config.read", "fiducia.config.write"]

[config_api]
listen = "127.0.0.1:{port}"
audience = "{AUD}"

[[config_api.trusted_issuers]]
issuer = "{ISSUER}"
"#
        )
    })
    .await;
    let registered = dcr.register_mtls_client().await;
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    // A certificate-bound operators' token (RFC 8705 §3).
    let token = access_token(&cc_token(&dcr.op, OPS_MTLS, "fiducia.config.read fiducia.config.write").await);
    let addr = dcr.op.handle.config_api_addr.unwrap();
    let call = |request| {
        send(
            addr,
            dcr.op.tls(true),
            crate::it::support::Version::Http1,
            request,
        )
    };
    let path = format!("/clients/{client_id}");

    let read = call(Api::bearer("GET", &path, &token)).await;
    assert_status(&read, 200);
    let view = json(read.body());
    assert_eq!(view["source"], "registered");
    let tag = etag(&read);
    // Served before: its client_credentials grant works (RFC 8705 §2).
    assert_status(&cc_token(&dcr.op, &client_id, "accounts").await, 200);

    let put = with_body(
        Api::bearer("PUT", &path, &token),
        &stored_client(&client_id, "Renamed").to_string(),
        Some(&tag),
    );
    let refused = call(put).await;
    assert_status(&refused, 409);
    let detail = json(refused.body())["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("RFC 7592"), "{detail}");

    let disabled = call(with_body(
        Api::bearer("POST", &format!("{path}/disable"), &token),
        "",
        Some(&tag),
    ))
    .await;
    assert_status(&disabled, 200);
    assert_eq!(json(disabled.body())["state"], "disabled");
    let refused = cc_token(&dcr.op, &client_id, "accounts").await;
    assert_status(&refused, 401);
    assert_eq!(json(refused.body())["error"], "invalid_client");
    let enabled = call(with_body(
        Api::bearer("POST", &format!("{path}/enable"), &token),
        "",
        Some(&etag(&disabled)),
    ))
    .await;
    assert_status(&enabled, 200);
    assert_eq!(json(enabled.body())["state"], "active");
    let deleted = call(with_body(
        Api::bearer("DELETE", &path, &token),
        "",
        Some(&etag(&enabled)),
    ))
    .await;
    assert_status(&deleted, 204);
    assert_status(&call(Api::bearer("GET", &path, &token)).await, 404);
    dcr.op.handle.shutdown().await;
}

/// `fiducia admin clients create --file` then `disable` (the ETag read
/// first, RFC 9110 §13.1.1) against a real OP, with a certificate-bound
/// token from a client_credentials grant; a stale `--if-match` exits
/// non-zero with the 412 problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_command_creates_and_disables_a_client() {
    let api = Api::start(true, "").await;
    let pki: &TestPki = &api.op.pki;
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
    let file = pki.dir.path().join("shop-5.json");
    std::fs::write(&file, stored_client("shop-5", "Shop Five").to_string()).unwrap();

    let (ok, out, err) =
        super::cli::admin(args(&["clients", "create", "--file", file.to_str().unwrap()])).await;
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (created["source"].as_str(), created["etag"].as_str()),
        (Some("stored"), Some("\"r1\""))
    );
    assert_status(&cc_token(&api.op, "shop-5", "accounts").await, 200);

    let (ok, _, err) =
        super::cli::admin(args(&["clients", "disable", "shop-5", "--if-match", "\"r0\""])).await;
    assert!(!ok);
    assert!(err.contains("412"), "{err}");
    let (ok, out, err) = super::cli::admin(args(&["clients", "disable", "shop-5"])).await;
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["state"], "disabled");
    let refused = cc_token(&api.op, "shop-5", "accounts").await;
    assert_status(&refused, 401);

    let (ok, out, err) = super::cli::admin(args(&["clients", "list"])).await;
    assert!(ok, "{err}");
    assert!(out.contains("\"shop-5\""), "{out}");
    api.op.handle.shutdown().await;
}
