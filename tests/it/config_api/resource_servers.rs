//! The `/resource-servers` resource over real TLS (docs/ARCHITECTURE.md
//! "Sections managed live"): a resource server created with the second
//! issuer's token introspects with its own certificate on its next call
//! (RFC 7662 §2.1, RFC 8705 §2.1) without a restart; updated (`If-Match`,
//! RFC 9110 §13.1.1: 412 stale, RFC 6585 §3: 428 none), removed (its next
//! introspection 401 `invalid_client`, RFC 6749 §5.2) and the section reset
//! to the file, with Fiducia's own token; a read-only token refused (RFC
//! 6750 §3.1 `insufficient_scope`); bad bodies one RFC 9457 entry per
//! member with the start-up messages; the start-up rule "a resource server
//! is not a client" both ways (RFC 8705 §2.1.2); the `config_changed`
//! records through `GET /audit`.

use super::*;
use crate::it::support::json;

/// The new resource server.
const REPORTS: &str = "reports-gw";

fn reports_dn() -> String {
    format!("CN={REPORTS},OU=bank-platform,O=bank-platform,C=GB")
}

/// A certificate of the test CA for the reports gateway (chain, key; PEM).
fn reports_identity(op: &Op) -> (String, String) {
    let spec =
        fiducia::pki::ClientCertSpec::parse(&format!("software_id={REPORTS},org_id=bank-platform")).unwrap();
    let issued = fiducia::pki::issue_client(&op.pki.path(""), &spec).unwrap();
    (
        std::fs::read_to_string(&issued.cert).unwrap(),
        std::fs::read_to_string(&issued.key).unwrap(),
    )
}

/// A client_credentials access token of the harness's mTLS client.
async fn some_access_token(op: &Op) -> String {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", MTLS),
            ("scope", "accounts"),
        ],
    );
    let response = op.send(true, request).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `POST /introspect` as `id` over a connection presenting `identity`.
async fn introspect_as(op: &Op, identity: &(String, String), id: &str, token: &str) -> Response<Bytes> {
    let request = form("/introspect", &[("token", token), ("client_id", id)]);
    op.send_with_identity(identity, request).await
}

fn json_request(
    method: &str,
    path: &str,
    token: &str,
    body: &Value,
    if_match: Option<&str>,
) -> Request<Full<Bytes>> {
    with_body(Api::bearer(method, path, token), &body.to_string(), if_match)
}

/// POSTs `body` to `path` as `token`, which must be refused with 400: the
/// RFC 9457 problem.
async fn refused_post(api: &Api, token: &str, path: &str, body: &Value) -> Value {
    let refused = api
        .send(false, json_request("POST", path, token, body, None))
        .await;
    assert_status(&refused, 400);
    json(refused.body())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_server_added_live_introspects_at_once_and_removed_is_refused() {
    let api = Api::start(false, "").await;
    let writer = api
        .iam_token(
            json!({ "scope": "fiducia.config.read fiducia.config.write" }),
            "at+jwt",
        )
        .await;
    let dpop = DpopKey::new();
    let own = api
        .fiducia_token(
            &dpop,
            "fiducia.config.read fiducia.config.write fiducia.audit.read",
        )
        .await;
    let identity = reports_identity(&api.op);
    let token = some_access_token(&api.op).await;
    // Unknown before: as no resource server and no client, invalid_client.
    let refused = introspect_as(&api.op, &identity, REPORTS, &token).await;
    assert_status(&refused, 401);
    assert_eq!(json(refused.body())["error"], "invalid_client");

    let listed = api
        .send(false, Api::bearer("GET", "/resource-servers", &writer))
        .await;
    assert_status(&listed, 200);
    let list = json(listed.body());
    assert_eq!(list["source"], "file");
    assert_eq!(list["resource_servers"][0]["item"]["id"], GATEWAY);
    assert_eq!(list["resource_servers"][0]["source"], "file");
    assert_eq!(etag(&listed), list["etag"].as_str().unwrap());

    // Created with the second issuer's token: 201, Location, ETag.
    let body = json!({ "id": REPORTS, "tls_client_auth_subject_dn": reports_dn() });
    let created = api
        .send(
            false,
            json_request("POST", "/resource-servers", &writer, &body, None),
        )
        .await;
    assert_status(&created, 201);
    assert_eq!(
        created.headers()["location"].to_str().unwrap(),
        format!("{}/resource-servers/{REPORTS}", api.url)
    );
    let tag = etag(&created);
    assert_eq!(json(created.body())["source"], "store");
    // RFC 7662 §2.1: it introspects with its certificate right after.
    let answer = introspect_as(&api.op, &identity, REPORTS, &token).await;
    assert_status(&answer, 200);
    assert_eq!(json(answer.body())["active"], true);
    // A second create of the id: 409.
    let again = api
        .send(
            false,
            json_request("POST", "/resource-servers", &writer, &body, None),
        )
        .await;
    assert_status(&again, 409);

    // Update: none 428, stale 412, right 200 (with Fiducia's own token).
    let path = format!("/resource-servers/{REPORTS}");
    let change = json!({ "tls_client_auth_subject_dn": reports_dn(), "interaction_requests_per_second": 50 });
    let put = |tag: Option<&str>| {
        let request = api.dpop(&dpop, "PUT", &path, &own);
        let change = change.to_string();
        let tag = tag.map(str::to_string);
        async move { with_body(request.await, &change, tag.as_deref()) }
    };
    assert_status(&api.send(false, put(None).await).await, 428);
    assert_status(
        &api.send(false, put(Some("\"i0000000000000000\"")).await).await,
        412,
    );
    let updated = api.send(false, put(Some(&tag)).await).await;
    assert_status(&updated, 200);
    let new_tag = etag(&updated);
    assert_ne!(new_tag, tag);
    assert_eq!(
        json(updated.body())["item"]["interaction_requests_per_second"],
        50
    );
    let read = api.send(false, Api::bearer("GET", &path, &writer)).await;
    assert_eq!(etag(&read), new_tag);

    // Delete: stale 412, right 204; its next introspection is refused.
    let delete = |tag: &str| with_body(Api::bearer("DELETE", &path, &writer), "", Some(tag));
    assert_status(&api.send(false, delete(&tag)).await, 412);
    assert_status(&api.send(false, delete(&new_tag)).await, 204);
    let refused = introspect_as(&api.op, &identity, REPORTS, &token).await;
    assert_status(&refused, 401);
    assert_eq!(json(refused.body())["error"], "invalid_client");
    assert_status(&api.send(false, Api::bearer("GET", &path, &writer)).await, 404);

    // Reset to the file: 428 without, 412 stale, then the file's list.
    let listed = api
        .send(false, Api::bearer("GET", "/resource-servers", &writer))
        .await;
    let list_tag = etag(&listed);
    assert_eq!(json(listed.body())["source"], "store");
    let reset = |tag: Option<&str>| {
        let request = Api::bearer("DELETE", "/resource-servers", &writer);
        match tag {
            Some(tag) => with_body(request, "", Some(tag)),
            None => request,
        }
    };
    assert_status(&api.send(false, reset(None)).await, 428);
    assert_status(&api.send(false, reset(Some(&tag))).await, 412);
    let back = api.send(false, reset(Some(&list_tag))).await;
    assert_status(&back, 200);
    let back = json(back.body());
    assert_eq!(back["source"], "file");
    assert_eq!(back["revision"], 4);
    // The file's gateway introspects as before.
    let answer = introspect_as(&api.op, &api.op.gateway, GATEWAY, &token).await;
    assert_eq!(json(answer.body())["active"], true);

    // GET /effective-config shows the section's source.
    let effective = api
        .send(false, api.dpop(&dpop, "GET", "/effective-config", &own).await)
        .await;
    let effective = json(effective.body());
    assert_eq!(effective["sections"]["resource_servers"]["source"], "file");
    assert_eq!(effective["sections"]["resource_servers"]["revision"], 4);

    // Each write's config_changed record: the operator, the section and
    // the item, member names only.
    let records = section_changes(&api, &dpop, &own, "resource_servers").await;
    assert_eq!(records.len(), 4, "{records:?}");
    assert_eq!(
        records[0]["actor"]["id"],
        format!("ops-robot@{IAM}"),
        "{}",
        records[0]
    );
    assert_eq!(records[0]["targets"][1]["id"], REPORTS);
    let text = Value::Array(records.clone()).to_string();
    assert!(!text.contains("CN=reports-gw"), "no value in a record: {text}");
    assert!(
        records[1]["changed"]
            .to_string()
            .contains("interaction_requests_per_second")
    );
    api.op.handle.shutdown().await;
}

/// Every `config_changed` record of section `name`, through `GET /audit`.
pub async fn section_changes(api: &Api, dpop: &DpopKey, token: &str, name: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut path = "/audit?limit=100".to_string();
    for _ in 0..100 {
        let page = api.send(false, api.dpop(dpop, "GET", &path, token).await).await;
        assert_status(&page, 200);
        let body = json(page.body());
        found.extend(
            body["records"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["event"] == "config_changed" && r["targets"][0]["id"] == name)
                .cloned(),
        );
        match body["next"].as_str() {
            Some(next) => path = next.to_string(),
            None => break,
        }
    }
    found
}

/// RFC 6750 §3.1: a read-only token reads, never writes (403
/// `insufficient_scope` naming `fiducia.config.write`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_cannot_change_resource_servers() {
    let api = Api::start(false, "").await;
    let reader = api.iam_token(json!({}), "at+jwt").await;
    assert_status(
        &api.send(false, Api::bearer("GET", "/resource-servers", &reader))
            .await,
        200,
    );
    let body = json!({ "id": REPORTS, "tls_client_auth_subject_dn": reports_dn() });
    let refused = api
        .send(
            false,
            json_request("POST", "/resource-servers", &reader, &body, None),
        )
        .await;
    assert_status(&refused, 403);
    assert!(
        challenge(&refused).contains("insufficient_scope"),
        "{}",
        challenge(&refused)
    );
    let delete = with_body(Api::bearer("DELETE", "/resource-servers", &reader), "", Some("*"));
    assert_status(&api.send(false, delete).await, 403);
    api.op.handle.shutdown().await;
}

/// RFC 9457 §3: one entry per bad member, with the start-up checks'
/// messages (`config/resource_servers.rs`, `config/interaction_apps.rs`);
/// RFC 8705 §2.1.2: a resource server takes no client's id or subject DN,
/// and a client created through `/clients` none of a resource server's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_resource_servers_get_one_problem_per_member_and_no_client_overlaps() {
    let api = Api::start(false, "").await;
    let writer = api
        .iam_token(
            json!({ "scope": "fiducia.config.read fiducia.config.write" }),
            "at+jwt",
        )
        .await;
    let bad = json!({
        "id": MTLS,
        "tls_client_auth_subject_dn": "not a dn",
        "interaction_login_url": "http://login.bank.example/",
        "interaction_burst": 0,
    });
    let problem = refused_post(&api, &writer, "/resource-servers", &bad).await;
    let mut pointers: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_string())
        .collect();
    pointers.sort();
    assert_eq!(
        pointers,
        vec![
            "/id",
            "/interaction_burst",
            "/interaction_login_url",
            "/tls_client_auth_subject_dn"
        ],
        "{problem}"
    );
    assert!(
        problem.to_string().contains("a client has this client_id"),
        "{problem}"
    );
    assert!(
        !problem.to_string().contains("not a dn"),
        "no value echoed: {problem}"
    );
    // A client's certificate subject (the harness's mtls client).
    let same_dn = json!({
        "id": REPORTS,
        "tls_client_auth_subject_dn": format!("CN={},OU=org-1,O=org-1,C=GB", crate::it::support::FINTECH),
    });
    let problem = refused_post(&api, &writer, "/resource-servers", &same_dn).await;
    assert!(
        problem
            .to_string()
            .contains("tls_client_auth client has this subject DN")
    );
    // Unknown and ill-typed members.
    let problem = refused_post(
        &api,
        &writer,
        "/resource-servers",
        &json!({ "id": 7, "secret": "x" }),
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3);
    // A stored client's subject (created through /clients) is taken too:
    // the write reads the client documents in its own transaction.
    let stored = json!({
        "client_id": "stored-mtls",
        "client_name": "Stored Fintech",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=stored-fintech,O=Org,C=GB",
    });
    let created = api
        .send(false, json_request("POST", "/clients", &writer, &stored, None))
        .await;
    assert_status(&created, 201);
    let taken = json!({ "id": REPORTS, "tls_client_auth_subject_dn": "cn=stored-fintech, o=Org, c=GB" });
    let problem = refused_post(&api, &writer, "/resource-servers", &taken).await;
    assert!(
        problem
            .to_string()
            .contains("tls_client_auth client has this subject DN")
    );
    // The other way: a client created through /clients with the gateway's id.
    let client = json!({
        "client_id": GATEWAY,
        "client_name": "Not the gateway",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=someone-else,O=Org,C=GB",
    });
    let problem = refused_post(&api, &writer, "/clients", &client).await;
    assert!(problem.to_string().contains("a resource server has this id"));
    api.op.handle.shutdown().await;
}

/// `revocation_notice_url` through the API: checked as at start-up
/// (`config/resource_servers.rs`: http or https with a host, RFC 3986 §3.5
/// no fragment), one RFC 9457 problem naming the member; a good one is
/// stored and is what this node's notifier reads at its next round (the
/// live section, `oauth/revocation_notices`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_notice_url_is_checked_and_taken_live() {
    let api = Api::start(false, "").await;
    let writer = api
        .iam_token(
            json!({ "scope": "fiducia.config.read fiducia.config.write" }),
            "at+jwt",
        )
        .await;
    let body = |url: &str| json!({ "id": REPORTS, "tls_client_auth_subject_dn": reports_dn(), "revocation_notice_url": url });
    let problem = refused_post(&api, &writer, "/resource-servers", &body("ftp://gw/revocations")).await;
    assert_eq!(
        problem["errors"][0]["pointer"], "/revocation_notice_url",
        "{problem}"
    );
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}");

    let url = "http://10.0.0.5:9091/revocations";
    let created = api
        .send(
            false,
            json_request("POST", "/resource-servers", &writer, &body(url), None),
        )
        .await;
    assert_status(&created, 201);
    let state = api.op.handle.op_state().unwrap();
    let live = state
        .services
        .sections
        .get::<fiducia::oauth::live_sections::ResourceServers>();
    let reports = live.iter().find(|rs| rs.id == REPORTS).unwrap();
    assert_eq!(reports.revocation_notice_url.as_deref(), Some(url));
    api.op.handle.shutdown().await;
}
