//! Who may call the Config API (RFC 9068 §4, RFC 6750 §3, RFC 8705 §3,
//! RFC 9449 §7), and the `admin_authentication_failed` records of refusals.

use super::*;
use crate::it::support::{get, json};

/// RFC 9068 §4: Fiducia's own client_credentials token (DPoP-bound, RFC
/// 9449 §7.1) and a second issuer's certificate-bound one (RFC 8705 §3)
/// are accepted; expired (§4 item 7), forged (item 4), wrong-audience
/// (item 3), wrong-`typ` (item 1), untrusted-issuer (item 2) and unbound
/// tokens (`require_sender_constrained`) are 401 with `Bearer
/// error="invalid_token"` and nothing more (RFC 6750 §3); a token without
/// the operation's scope is 403 `insufficient_scope` with the scope
/// (§3.1). A certificate-bound token over another certificate, and a
/// DPoP-bound one without a proof, with a proof by another key, for
/// another URL, or replayed, are refused. The first refusal is in the
/// audit trail, without the token. Fiducia's token, revoked at the OP, is
/// refused. `/effective-config` holds none of the
/// config's secrets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_both_issuers_pass_and_bad_ones_are_refused() {
    let api = Api::start(true, "").await;
    let dpop = DpopKey::new();
    let token = api
        .fiducia_token(&dpop, "fiducia.config.read fiducia.audit.read")
        .await;

    // Fiducia as the trusted issuer, end to end.
    let response = api
        .send(false, api.dpop(&dpop, "GET", "/effective-config", &token).await)
        .await;
    assert_status(&response, 200);
    assert!(response.headers().contains_key("etag"));
    let text = String::from_utf8(response.body().to_vec()).unwrap();
    for secret in [PIN, PASSWORD, PG_URL_SECRET] {
        assert!(!text.contains(secret), "{secret} in /effective-config");
    }
    let config = json(response.body());
    assert_eq!(config["config_api"]["audience"], AUD);
    assert_eq!(config["signing"]["pin"], "<redacted>");
    assert_eq!(config["store"]["postgres_url"], "<redacted>");

    // The second issuer: a certificate-bound token (cnf x5t#S256 of the
    // test fintech's certificate) over TLS with that certificate.
    let x5t = fiducia::protocol::client_cert::x5t_s256(&api.op.pki.client_leaf_der());
    let bound = api
        .iam_token(json!({ "cnf": { "x5t#S256": x5t } }), "at+jwt")
        .await;
    assert_status(&api.send(true, Api::bearer("GET", "/keys", &bound)).await, 200);

    // The first refusal (expired) is the one the trail records: at most
    // one record per source address per second.
    let expired = api
        .iam_token(
            json!({ "exp": now() - 120, "iat": now() - 400, "cnf": { "x5t#S256": x5t } }),
            "at+jwt",
        )
        .await;
    let forger = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let forged = iam_token_signed(&forger, json!({ "cnf": { "x5t#S256": x5t } }), "at+jwt").await;
    let refused = [
        ("expired", expired.clone()),
        ("forged", forged),
        (
            "wrong audience",
            api.iam_token(json!({ "aud": ISSUER, "cnf": { "x5t#S256": x5t } }), "at+jwt")
                .await,
        ),
        (
            "wrong typ",
            api.iam_token(json!({ "cnf": { "x5t#S256": x5t } }), "JWT").await,
        ),
        (
            "untrusted issuer",
            api.iam_token(
                json!({ "iss": "https://evil.example", "cnf": { "x5t#S256": x5t } }),
                "at+jwt",
            )
            .await,
        ),
        ("unbound", api.iam_token(json!({}), "at+jwt").await),
        ("not a JWT", "opaque-token-value".to_string()),
    ];
    for (what, token) in &refused {
        let response = api.send(true, Api::bearer("GET", "/keys", token)).await;
        assert_status(&response, 401);
        assert_eq!(challenge(&response), "Bearer error=\"invalid_token\"", "{what}");
        let body = json(response.body());
        assert!(body.get("detail").is_none(), "{what}: {body}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    let no_token = api.send(true, get("/keys")).await;
    assert_status(&no_token, 401);
    assert_eq!(challenge(&no_token), "Bearer", "RFC 6750 §3.1: no error code");

    // RFC 6750 §3.1: a valid token without the scope.
    let response = api.send(true, Api::bearer("GET", "/audit", &bound)).await;
    assert_status(&response, 403);
    assert_eq!(
        challenge(&response),
        "Bearer error=\"insufficient_scope\", scope=\"fiducia.audit.read\""
    );
    let response = api
        .send(false, api.dpop(&dpop, "POST", "/keys", &token).await)
        .await;
    assert_status(&response, 403);
    assert!(
        challenge(&response).starts_with("DPoP error=\"insufficient_scope\", scope=\"fiducia.keys.write\"")
    );

    // RFC 8705 §3: the certificate-bound token over another certificate,
    // and without one.
    let other = api
        .op
        .send_with_identity_to(
            api.op.handle.config_api_addr.unwrap(),
            &api.op.self_signed,
            Api::bearer("GET", "/keys", &bound),
        )
        .await;
    assert_status(&other, 401);
    assert_eq!(challenge(&other), "Bearer error=\"invalid_token\"");
    assert_status(&api.send(false, Api::bearer("GET", "/keys", &bound)).await, 401);

    // RFC 9449 §7.1: the DPoP-bound token without a proof, under Bearer,
    // with another key's proof, with a proof for another URL, replayed.
    let mut bare = api.dpop(&dpop, "GET", "/keys", &token).await;
    bare.headers_mut().remove("dpop");
    let response = api.send(false, bare).await;
    assert_status(&response, 401);
    assert!(challenge(&response).starts_with("DPoP error=\"invalid_dpop_proof\""));
    let response = api.send(false, Api::bearer("GET", "/keys", &token)).await;
    assert_status(&response, 401);
    assert!(challenge(&response).starts_with("DPoP error=\"invalid_token\""));
    let response = api
        .send(false, api.dpop(&DpopKey::new(), "GET", "/keys", &token).await)
        .await;
    assert_status(&response, 401);
    assert!(challenge(&response).starts_with("DPoP error=\"invalid_dpop_proof\""));
    let response = api
        .send(
            false,
            api.dpop(&dpop, "GET", "/effective-config", &token)
                .await
                .map(|b| b),
        )
        .await;
    assert_status(&response, 200);
    let mut elsewhere = api.dpop(&dpop, "GET", "/effective-config", &token).await;
    *elsewhere.uri_mut() = "https://localhost/keys".parse().unwrap();
    assert_status(&api.send(false, elsewhere).await, 401);
    let once = api.dpop(&dpop, "GET", "/keys", &token).await;
    let proof = once.headers()["dpop"].clone();
    assert_status(&api.send(false, once).await, 200);
    let mut again = Api::bearer("GET", "/keys", &token);
    again
        .headers_mut()
        .insert("authorization", format!("DPoP {token}").parse().unwrap());
    again.headers_mut().insert("dpop", proof);
    let response = api.send(false, again).await;
    assert_status(&response, 401);
    assert!(challenge(&response).starts_with("DPoP error=\"invalid_dpop_proof\""));

    // The trail: the expired token's refusal, its reason and the verified
    // issuer and subject; no token bytes anywhere in the page.
    let response = api
        .send(false, api.dpop(&dpop, "GET", "/audit", &token).await)
        .await;
    assert_status(&response, 200);
    let page = String::from_utf8(response.body().to_vec()).unwrap();
    for (_, refused) in &refused {
        assert!(!page.contains(refused.as_str()), "a token in the audit trail");
    }
    let records = json(response.body())["records"].as_array().unwrap().clone();
    let failure = records
        .iter()
        .find(|r| r["event"] == "admin_authentication_failed")
        .expect("an admin_authentication_failed record");
    assert_eq!(failure["changed"][0]["to"], "expired");
    assert_eq!(failure["actor"]["id"], format!("ops-robot@{IAM}"));
    assert_eq!(failure["targets"][0]["kind"], "source_address");

    // RFC 7009 §2.1: once revoked at the OP, its own token opens nothing
    // here either, although its signature and `exp` are still good.
    let assertion = api.op.assertion(OPS, json!({})).await;
    let revoke = form(
        "/revoke",
        &[
            ("token", token.as_str()),
            ("client_id", OPS),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    );
    assert_status(&api.op.send(false, revoke).await, 200);
    let response = api
        .send(false, api.dpop(&dpop, "GET", "/keys", &token).await)
        .await;
    assert_status(&response, 401);
    assert!(challenge(&response).starts_with("DPoP error=\"invalid_token\""));
    api.op.handle.shutdown().await;
}

/// Without `require_sender_constrained` an unbound token of a trusted
/// issuer is accepted (RFC 6750 bearer use), and a DPoP-scheme request
/// with it is still refused (RFC 9449 §7.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbound_tokens_pass_only_when_not_required() {
    let api = Api::start(false, "").await;
    let unbound = api.iam_token(json!({}), "at+jwt").await;
    let response = api
        .send(false, Api::bearer("GET", "/effective-config", &unbound))
        .await;
    assert_status(&response, 200);
    let mut as_dpop = Api::bearer("GET", "/effective-config", &unbound);
    as_dpop
        .headers_mut()
        .insert("authorization", format!("DPoP {unbound}").parse().unwrap());
    assert_status(&api.send(false, as_dpop).await, 401);
    api.op.handle.shutdown().await;
}

/// A body over `config_api.max_body_bytes` (64 KiB by default) is refused
/// before any handler reads it, as an RFC 9457 problem like every other
/// Config API refusal (RFC 9110 §15.5.14: 413), not the OAuth error object
/// the OP's own endpoints answer with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_a_413_problem() {
    let api = Api::start(false, "").await;
    let token = api.iam_token(json!({}), "at+jwt").await;
    let huge = format!("{{\"client_name\": \"{}\"}}", "x".repeat(70_000));
    // Over HTTP/2: the listener answers as soon as it reads the
    // Content-Length and resets the stream; an HTTP/1.1 client still
    // writing the body may see its connection closed before it reads the
    // answer (a broken pipe), which says nothing about the answer.
    let addr = api.op.handle.config_api_addr.unwrap();
    let request = with_body(Api::bearer("POST", "/clients", &token), &huge, None);
    let response = send(addr, api.op.tls(false), Version::Http2, request).await;
    assert_status(&response, 413);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem = json(response.body());
    assert_eq!(problem["type"], "/problems/content-too-large");
    assert_eq!(problem["status"], 413);
    assert!(problem.get("error").is_none(), "{problem}");
    api.op.handle.shutdown().await;
}

/// `[[config_api.trusted_issuers]]` by `jwks_uri`: fetched over HTTPS
/// (`jwks_fetch`), cached, and fetched again when a token names a `kid` the
/// cache does not hold (at most once a second) — the issuer rotated its
/// key. The listener stops with the OP (graceful shutdown).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuers_jwks_uri_is_fetched_and_refetched_for_a_new_kid() {
    let api = Api::start_with_jwks_uri(false).await;
    let first = api.iam_token(json!({}), "at+jwt").await;
    assert_status(&api.send(false, Api::bearer("GET", "/keys", &first)).await, 200);

    // The issuer rotates: its JWKS now holds only a new key.
    let rotated = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    api.documents.lock().unwrap().insert(
        "/iam/jwks".into(),
        json!({ "keys": [rotated.public_jwk()] }).to_string(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let second = iam_token_signed(&rotated, json!({}), "at+jwt").await;
    assert_status(&api.send(false, Api::bearer("GET", "/keys", &second)).await, 200);
    // The old key is gone from the refetched set: its tokens fail now.
    let old = api.iam_token(json!({}), "at+jwt").await;
    assert_status(&api.send(false, Api::bearer("GET", "/keys", &old)).await, 401);

    let addr = api.op.handle.config_api_addr.unwrap();
    api.op.handle.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the Config API stopped with the OP"
    );
}
