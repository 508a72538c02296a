//! The keys resource through the HSM key lifecycle, `If-Match` (RFC 9110
//! §13.1.1), the audit trail read through the API a page at a time, and
//! the router's problems (RFC 9457) and OpenAPI document.

use super::*;
use crate::it::support::{get, json};
use std::collections::BTreeSet;

fn state_of(body: &Value, kid: &str) -> String {
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .map(|k| k["state"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The `kid` of a compact JWS's protected header.
fn kid_of(jws: &str) -> String {
    use base64::Engine;
    let header = jws.split('.').next().unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice::<Value>(&header).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn published_kids(api: &Api) -> Vec<String> {
    let jwks = json(api.op.send(false, get("/jwks")).await.body());
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// RFC 7517 §4.5 / OIDC Core §10.1.1 through the API: a key generated
/// (`next`, published) and, once the lifecycle allows (key_refresh_secs +
/// jwks_cache_ttl_secs, docs/ARCHITECTURE.md "Key lifecycle"), activated
/// is in `/jwks` and signs the next ID token; activating too early is 409;
/// a key retired leaves the JWKS. Writes need `If-Match` (428 without, 412
/// when stale); a bad body is a problem with one entry per field. Each
/// change is a `config_changed` record, read back through `GET /audit` a
/// page at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_generated_and_activated_through_the_api_sign_the_next_id_token() {
    let api = Api::start(true, "key_refresh_secs = 1\njwks_cache_ttl_secs = 1").await;
    let dpop = DpopKey::new();
    let token = api
        .fiducia_token(&dpop, "fiducia.config.read fiducia.keys.write fiducia.audit.read")
        .await;
    let call = |method: &'static str, path: &'static str| api.dpop(&dpop, method, path, &token);

    let listed = api.send(false, call("GET", "/keys").await).await;
    assert_status(&listed, 200);
    let tag = etag(&listed);
    let before = json(listed.body());
    let old_active = before["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["state"] == "active")
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(before.to_string().find("\"d\"").is_none(), "no key material");

    // RFC 6585 §3 / RFC 9110 §13.1.1.
    let response = api
        .send(
            false,
            with_body(call("POST", "/keys").await, r#"{"alg":"ES256"}"#, None),
        )
        .await;
    assert_status(&response, 428);
    let response = api
        .send(
            false,
            with_body(
                call("POST", "/keys").await,
                r#"{"alg":"ES256"}"#,
                Some("\"stale\""),
            ),
        )
        .await;
    assert_status(&response, 412);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    // RFC 9457: one entry per bad member.
    let response = api
        .send(
            false,
            with_body(
                call("POST", "/keys").await,
                r#"{"alg":"HS256","bits":"big","x":1}"#,
                Some(&tag),
            ),
        )
        .await;
    assert_status(&response, 400);
    let problem = json(response.body());
    assert_eq!(problem["status"], 400);
    let pointers: BTreeSet<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, BTreeSet::from(["/alg", "/bits", "/x"]));

    let generated = api
        .send(
            false,
            with_body(call("POST", "/keys").await, r#"{"alg":"ES256"}"#, Some(&tag)),
        )
        .await;
    assert_status(&generated, 201);
    let after = json(generated.body());
    let known: BTreeSet<String> = before["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    let new_kid = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .find(|k| !known.contains(k))
        .expect("a new key");
    assert_eq!(state_of(&after, &new_kid), "next");
    assert!(published_kids(&api).await.contains(&new_kid), "published at once");

    // Too early: the lifecycle's publication time has not passed.
    let mut tag = etag(&generated);
    let path: &'static str = Box::leak(format!("/keys/{new_kid}/activate").into_boxed_str());
    let early = api
        .send(false, with_body(call("POST", path).await, "", Some(&tag)))
        .await;
    assert_status(&early, 409);

    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let activated = api
        .send(false, with_body(call("POST", path).await, "", Some(&tag)))
        .await;
    assert_status(&activated, 200);
    let now_keys = json(activated.body());
    assert_eq!(state_of(&now_keys, &new_kid), "active");
    assert_eq!(state_of(&now_keys, &old_active), "retiring");
    tag = etag(&activated);
    assert!(published_kids(&api).await.contains(&new_kid));

    // The next ID token is signed by the new key.
    let client_dpop = DpopKey::new();
    let authorized = authorize_pkjwt(&api.op, Some(&client_dpop)).await;
    let tokens = json(
        token_request(&api.op, &authorized, Some(&client_dpop))
            .await
            .body(),
    );
    assert_eq!(kid_of(tokens["id_token"].as_str().unwrap()), new_kid);

    // Another key, generated and retired: out of the JWKS.
    let second = api
        .send(
            false,
            with_body(call("POST", "/keys").await, r#"{"alg":"ES256"}"#, Some(&tag)),
        )
        .await;
    assert_status(&second, 201);
    let second_body = json(second.body());
    let second_kid = second_body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["state"] == "next")
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_string();
    let retire: &'static str = Box::leak(format!("/keys/{second_kid}/retire").into_boxed_str());
    let retired = api
        .send(
            false,
            with_body(call("POST", retire).await, "", Some(&etag(&second))),
        )
        .await;
    assert_status(&retired, 200);
    assert_eq!(state_of(&json(retired.body()), &second_kid), "retired");
    assert!(!published_kids(&api).await.contains(&second_kid));
    let unknown = api
        .send(
            false,
            with_body(call("POST", "/keys/nope/retire").await, "", Some("*")),
        )
        .await;
    assert_status(&unknown, 404);

    // GET /audit, one record a page, following `next`: every change the
    // test made is a config_changed record by the caller.
    let mut changed = Vec::new();
    let mut path = "/audit?limit=1".to_string();
    for _ in 0..200 {
        let leaked: &'static str = Box::leak(path.clone().into_boxed_str());
        let page = api.send(false, call("GET", leaked).await).await;
        assert_status(&page, 200);
        let body = json(page.body());
        let records = body["records"].as_array().unwrap();
        assert!(records.len() <= 1);
        changed.extend(records.iter().filter(|r| r["event"] == "config_changed").cloned());
        match body["next"].as_str() {
            Some(next) => path = next.to_string(),
            None => break,
        }
    }
    assert_eq!(changed.len(), 4, "{changed:?}");
    for record in &changed {
        assert_eq!(record["actor"]["id"], format!("{OPS}@{ISSUER}"));
    }
    // Records of one second are ordered by chain, not by time of day: the
    // activation is found by what it says.
    let activation = changed
        .iter()
        .find(|r| {
            r["targets"][0]["id"] == new_kid.as_str()
                && r["changed"].to_string().contains("\"to\":\"active\"")
        })
        .expect("the activation's record");
    assert!(
        activation["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["member"] == format!("keys/{old_active}/state")
                && c["from"] == "active"
                && c["to"] == "retiring"),
        "{activation}"
    );
    api.op.handle.shutdown().await;
}

/// RFC 9457 problems for bad paths (404), methods (405 with `Allow`, RFC
/// 9110 §15.5.6) and media types (415); the OpenAPI document, served
/// without a token, lists exactly the routes of the router's table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_paths_methods_and_media_types_are_problems_and_openapi_matches_the_table() {
    let api = Api::start(true, "").await;
    let dpop = DpopKey::new();
    let token = api.fiducia_token(&dpop, "fiducia.keys.write").await;
    let missing = api.send(false, get("/nope")).await;
    assert_status(&missing, 404);
    assert_eq!(missing.headers()["content-type"], "application/problem+json");
    let wrong = api.send(false, Api::bearer("DELETE", "/keys", &token)).await;
    assert_status(&wrong, 405);
    assert_eq!(wrong.headers()["allow"], "GET, POST");
    let (mut parts, _) = api.dpop(&dpop, "POST", "/keys", &token).await.into_parts();
    parts
        .headers
        .insert("content-type", "text/plain".parse().unwrap());
    parts.headers.insert("if-match", "*".parse().unwrap());
    let text = Request::from_parts(parts, Full::new(Bytes::from_static(b"alg=ES256")));
    let response = api.send(false, text).await;
    assert_status(&response, 415);
    assert_eq!(json(response.body())["status"], 415);

    let response = api.send(false, get("/openapi.json")).await;
    assert_status(&response, 200);
    let doc = json(response.body());
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> = fiducia::config_api::router::all()
        .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
        .collect();
    assert_eq!(documented, served);
    api.op.handle.shutdown().await;
}
