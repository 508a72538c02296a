//! `/policies` over real TLS (the Config API's listener, the OP's token
//! endpoint over mTLS): read, replace with `If-Match` (RFC 9110 §13.1.1:
//! 412 stale, RFC 6585 §3: 428 none), reset, scope enforcement (RFC 6750
//! §3.1), one RFC 9457 problem per bad member, and each change in force
//! on the next request without a restart: the access token lifetime
//! (RFC 6749 §5.1 `expires_in`, RFC 9068 `exp`), DPoP nonces (RFC 9449
//! §8: `use_dpop_nonce`), the discovery document (the `fapi` policy; one
//! client's own `fapi_profile` through `/clients`) and a registered
//! client's budget (RFC 6585 §4: 429). Each write is one
//! `config_changed` record read back through `GET /audit`.

use super::super::dcr::Dcr;
use super::super::support::{Version, free_port, json, send};
use super::*;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use serde_json::{Value, json};

/// The second issuer's operator, as the audit trail names it.
const OPERATOR: &str = "ops-robot@https://iam.bank.example";
const WRITE: &str = "fiducia.config.read fiducia.config.write fiducia.audit.read";

/// A request with a bearer token, a JSON body and `If-Match`.
fn put(path: &str, token: &str, body: &Value, if_match: Option<&str>) -> Request<Full<Bytes>> {
    with_body(Api::bearer("PUT", path, token), &body.to_string(), if_match)
}

fn delete(path: &str, token: &str, if_match: &str) -> Request<Full<Bytes>> {
    let (mut parts, body) = Api::bearer("DELETE", path, token).into_parts();
    parts.headers.insert("if-match", if_match.parse().unwrap());
    Request::from_parts(parts, body)
}

/// `view`'s value with `changes` applied.
fn changed(view: &Value, changes: Value) -> Value {
    let mut value = view["value"].clone();
    for (name, member) in changes.as_object().unwrap() {
        value[name] = member.clone();
    }
    value
}

/// The `ops-admin` client's client_credentials request (private_key_jwt)
/// with a DPoP proof carrying `nonce`.
async fn token_request(api: &Api, dpop: &DpopKey, nonce: Option<&str>) -> Response<Bytes> {
    let assertion = api.op.assertion(OPS, json!({})).await;
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", OPS),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("scope", "fiducia.config.read"),
        ],
    );
    let proof = dpop
        .proof_with_nonce("POST", &format!("{ISSUER}/token"), None, nonce)
        .await;
    api.op.send(false, with_header(request, "dpop", &proof)).await
}

/// The claims of a compact JWT.
fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Every `config_changed` record of policy `name`, through `GET /audit`.
async fn changes_of(api: &Api, token: &str, name: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut path = "/audit?limit=100".to_string();
    for _ in 0..100 {
        let page = api.send(false, Api::bearer("GET", &path, token)).await;
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

/// The `tokens` policy read, refused (403 `insufficient_scope`, 428, 412,
/// 400 with one problem per member and no value), replaced and reset; the
/// replacement in force on the next token request: a lower access token
/// lifetime in `expires_in` and `exp` (RFC 6749 §5.1, RFC 9068 §2.2), and
/// DPoP nonces required (RFC 9449 §8: `use_dpop_nonce`, then the retry
/// with the nonce succeeds). Each write is a `config_changed` record
/// naming the caller and the changed members only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tokens_policy_changed_live_is_in_force_on_the_next_request() {
    let api = Api::start(false, "").await;
    let writer = api.iam_token(json!({ "scope": WRITE }), "at+jwt").await;
    let reader = api.iam_token(json!({}), "at+jwt").await;
    let dpop = DpopKey::new();

    let listed = api.send(false, Api::bearer("GET", "/policies", &reader)).await;
    assert_status(&listed, 200);
    let names: Vec<Value> = json(listed.body())["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["name"], p["source"], p["revision"]]))
        .collect();
    assert_eq!(
        names,
        vec![
            json!(["tokens", "file", 0]),
            json!(["fapi", "file", 0]),
            json!(["registration", "file", 0])
        ]
    );
    let got = api
        .send(false, Api::bearer("GET", "/policies/tokens", &reader))
        .await;
    assert_status(&got, 200);
    let tag = etag(&got);
    let view = json(got.body());
    assert_eq!(view["etag"], tag.as_str());
    assert_eq!(view["value"]["access_token_ttl_secs"], 300);
    let before = token_request(&api, &dpop, None).await;
    assert_status(&before, 200);
    assert_eq!(json(before.body())["expires_in"], 300);
    let unknown = api
        .send(false, Api::bearer("GET", "/policies/bogus", &reader))
        .await;
    assert_status(&unknown, 404);

    let body = changed(&view, json!({ "access_token_ttl_secs": 120, "dpop_nonce": true }));
    // RFC 6750 §3.1: a token without fiducia.config.write.
    let refused = api
        .send(false, put("/policies/tokens", &reader, &body, Some(&tag)))
        .await;
    assert_status(&refused, 403);
    assert!(challenge(&refused).starts_with("Bearer error=\"insufficient_scope\""));
    // RFC 6585 §3 and RFC 9110 §13.1.1.
    assert_status(
        &api.send(false, put("/policies/tokens", &writer, &body, None))
            .await,
        428,
    );
    assert_status(
        &api.send(false, put("/policies/tokens", &writer, &body, Some("\"s7-00\"")))
            .await,
        412,
    );
    // RFC 9457: one entry per bad member, the start-up message (FAPI 2.0
    // SP §5.3.2.1 for the code lifetime), never the value.
    let bad = changed(
        &view,
        json!({ "code_ttl_secs": 600, "dpop_nonce": "sometimes", "access_token_ttl_secs": 0 }),
    );
    let invalid = api
        .send(false, put("/policies/tokens", &writer, &bad, Some(&tag)))
        .await;
    assert_status(&invalid, 400);
    assert_eq!(invalid.headers()["content-type"], "application/problem+json");
    let problem = json(invalid.body());
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        vec!["/access_token_ttl_secs", "/code_ttl_secs", "/dpop_nonce"],
        "{problem}"
    );
    assert!(
        problem["errors"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("FAPI 2.0 §5.3.2.1")
    );
    let text = problem.to_string();
    assert!(!text.contains("sometimes") && !text.contains("600"), "{text}");

    let replaced = api
        .send(false, put("/policies/tokens", &writer, &body, Some(&tag)))
        .await;
    assert_status(&replaced, 200);
    let after = json(replaced.body());
    assert_eq!(
        (&after["source"], &after["revision"]),
        (&json!("store"), &json!(1))
    );
    assert_ne!(etag(&replaced), tag);

    // In force on the next request, no restart: RFC 9449 §8, the nonce.
    let first = token_request(&api, &dpop, None).await;
    assert_status(&first, 400);
    assert_eq!(json(first.body())["error"], "use_dpop_nonce");
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_string();
    let issued = token_request(&api, &dpop, Some(&nonce)).await;
    assert_status(&issued, 200);
    let tokens = json(issued.body());
    // RFC 6749 §5.1 and RFC 9068 §2.2: the lower lifetime.
    assert_eq!(tokens["expires_in"], 120);
    let at = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(at["exp"].as_u64().unwrap() - at["iat"].as_u64().unwrap(), 120);

    // The audit trail: the caller, the changed member names, no value.
    let records = changes_of(&api, &writer, "tokens").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["actor"]["id"], OPERATOR);
    assert_eq!(
        records[0]["changed"],
        json!([{ "member": "access_token_ttl_secs" }, { "member": "dpop_nonce" }])
    );

    // Reset to the file: no nonce needed, the file's lifetime again.
    assert_status(
        &api.send(false, delete("/policies/tokens", &writer, &tag)).await,
        412,
    );
    let reset = api
        .send(false, delete("/policies/tokens", &writer, &etag(&replaced)))
        .await;
    assert_status(&reset, 200);
    let reset = json(reset.body());
    assert_eq!(
        (&reset["source"], &reset["revision"]),
        (&json!("file"), &json!(2))
    );
    let again = token_request(&api, &dpop, None).await;
    assert_status(&again, 200);
    assert_eq!(json(again.body())["expires_in"], 300);
    assert_eq!(changes_of(&api, &writer, "tokens").await.len(), 2);
}

/// The `fapi` policy: `sender_constraints` is fixed at start-up (one
/// problem); FAPI 1.0 Advanced without PAR is a valid live change and the
/// discovery document says so on the next request (RFC 8414 §2, RFC 9126
/// §5 `require_pushed_authorization_requests`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fapi_policy_changes_the_discovery_document_at_once() {
    let api = Api::start(false, "").await;
    let writer = api.iam_token(json!({ "scope": WRITE }), "at+jwt").await;
    let discovery = || async {
        let request = Request::builder()
            .uri("https://localhost/.well-known/openid-configuration")
            .body(Full::new(Bytes::new()))
            .unwrap();
        json(api.op.send(false, request).await.body())
    };
    assert_eq!(discovery().await["require_pushed_authorization_requests"], true);
    // The profile of one client is its own `fapi_profile` member, written
    // through `/clients`: a FAPI 1.0 Advanced client adds the hybrid
    // response type (FAPI 1.0 Part 2 §5.2.2-2) to the document at once.
    assert!(
        !discovery().await["response_types_supported"]
            .to_string()
            .contains("code id_token")
    );
    let client = json!({
        "client_id": "fapi1-shop",
        "client_name": "FAPI 1 shop",
        "redirect_uris": ["https://shop.example/cb"],
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=fapi1-shop",
        "fapi_profile": "fapi1-advanced",
        "scopes": ["openid", "accounts"]
    });
    let created = api
        .send(
            false,
            with_body(
                Api::bearer("POST", "/clients", &writer),
                &client.to_string(),
                None,
            ),
        )
        .await;
    assert_status(&created, 201);
    assert_eq!(json(created.body())["metadata"]["fapi_profile"], "fapi1-advanced");
    assert!(
        discovery().await["response_types_supported"]
            .to_string()
            .contains("code id_token")
    );
    let got = api
        .send(false, Api::bearer("GET", "/policies/fapi", &writer))
        .await;
    let view = json(got.body());
    assert_eq!(view["fixed"], json!(["sender_constraints"]));
    let fixed = changed(&view, json!({ "sender_constraints": ["dpop"] }));
    let refused = api
        .send(false, put("/policies/fapi", &writer, &fixed, Some(&etag(&got))))
        .await;
    assert_status(&refused, 400);
    assert_eq!(
        json(refused.body())["errors"][0]["pointer"],
        "/sender_constraints"
    );
    let body = changed(
        &view,
        json!({ "profile": "fapi1-advanced", "require_pushed_authorization_requests": false }),
    );
    let replaced = api
        .send(false, put("/policies/fapi", &writer, &body, Some(&etag(&got))))
        .await;
    assert_status(&replaced, 200);
    assert_eq!(discovery().await["require_pushed_authorization_requests"], false);
}

/// The registration policy's `client_limits` lowered for one registered
/// client: its next requests beyond the new burst are 429 (RFC 6585 §4),
/// without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_clients_limit_lowered_live_gives_429_on_the_next_requests() {
    let iam = fiducia_hsm::SoftwareSigner::generate(fiducia_hsm::JoseAlg::Es256).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("iam-jwks.json");
    std::fs::write(&jwks, json!({ "keys": [iam.public_jwk()] }).to_string()).unwrap();
    let port = free_port();
    let dcr = Dcr::start_with(|c| {
        format!(
            "{c}\n[config_api]\nlisten = \"127.0.0.1:{port}\"\naudience = \"{AUD}\"\nrequire_sender_constrained = false\n\n\
             [[config_api.trusted_issuers]]\nissuer = \"{IAM}\"\njwks_file = \"{}\"\n",
            jwks.display()
        )
    })
    .await;
    let addr = dcr.op.handle.config_api_addr.unwrap();
    let writer = iam_token_signed(&iam, json!({ "scope": WRITE }), "at+jwt").await;
    let registered = dcr.register_mtls_client().await;
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    let token = || {
        form(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", &client_id)],
        )
    };
    // The directory's default budget (burst 200).
    for _ in 0..3 {
        assert_status(&dcr.op.send(true, token()).await, 200);
    }
    let got = send(
        addr,
        dcr.op.tls(false),
        Version::Http1,
        Api::bearer("GET", "/policies/registration", &writer),
    )
    .await;
    assert_status(&got, 200);
    let body = changed(
        &json(got.body()),
        json!({ "client_limits": [{ "client_id": client_id, "requests_per_second": 1, "burst": 2 }] }),
    );
    let replaced = send(
        addr,
        dcr.op.tls(false),
        Version::Http1,
        put("/policies/registration", &writer, &body, Some(&etag(&got))),
    )
    .await;
    assert_status(&replaced, 200);
    for _ in 0..2 {
        assert_status(&dcr.op.send(true, token()).await, 200);
    }
    let limited = dcr.op.send(true, token()).await;
    assert_eq!(
        limited.status(),
        429,
        "{}",
        String::from_utf8_lossy(limited.body())
    );
    assert!(limited.headers().get("retry-after").is_some());
}

/// `fiducia admin policies list|get|update|reset` with a granted
/// certificate-bound token (RFC 8705 §3): the update reads the ETag first
/// and sends it as `If-Match` (RFC 9110 §13.1.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_command_lists_updates_and_resets_a_policy() {
    let api = Api::start(true, "").await;
    let pki = &api.op.pki;
    let token_endpoint = format!("https://localhost:{}/token", api.op.handle.main_addr.port());
    let run = |command: &[&str]| {
        let mut args: Vec<String> = vec![
            "--url".into(),
            api.url.clone(),
            "--ca".into(),
            pki.ca().display().to_string(),
            "--cert".into(),
            pki.client_cert().display().to_string(),
            "--key".into(),
            pki.client_key().display().to_string(),
            "--client-id".into(),
            OPS_MTLS.into(),
            "--token-endpoint".into(),
            token_endpoint.clone(),
        ];
        args.extend(command.iter().map(|s| s.to_string()));
        super::cli::admin(args)
    };
    let (ok, out, err) = run(&["policies", "list"]).await;
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed["policies"].as_array().unwrap().len(), 3, "{out}");
    let (ok, out, err) = run(&["policies", "get", "tokens"]).await;
    assert!(ok, "{err}");
    let view: Value = serde_json::from_str(&out).unwrap();
    let file = pki.dir.path().join("tokens-policy.json");
    std::fs::write(
        &file,
        changed(&view, json!({ "id_token_ttl_secs": 200 })).to_string(),
    )
    .unwrap();
    let file = file.display().to_string();
    let (ok, out, err) = run(&["policies", "update", "tokens", "--file", &file]).await;
    assert!(ok, "{err}");
    let updated: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(updated["value"]["id_token_ttl_secs"], 200);
    assert_eq!(updated["source"], "store");
    let (ok, _, err) = run(&[
        "policies",
        "update",
        "tokens",
        "--file",
        &file,
        "--if-match",
        "\"s0-0\"",
    ])
    .await;
    assert!(!ok && err.contains("412"), "{err}");
    let (ok, out, err) = run(&["policies", "reset", "tokens"]).await;
    assert!(ok, "{err}");
    let reset: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&reset["source"], &reset["revision"]),
        (&json!("file"), &json!(2))
    );
    let (ok, _, err) = run(&["policies", "get", "limits"]).await;
    assert!(!ok && err.contains("no such policy"), "{err}");
}
