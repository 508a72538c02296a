//! RFC 7521 §4.2 / RFC 7523 §3: a `client_assertion` identifies the client,
//! so `client_id` is optional beside it; when sent it must name the same
//! client (else `invalid_client`). At PAR and at the token endpoint.

use super::super::support::json;
use super::harness::*;
use serde_json::json;

fn without_client_id(
    params: &[(&'static str, String)],
    client_id: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut params: Vec<_> = params
        .iter()
        .filter(|(k, _)| *k != "client_id")
        .cloned()
        .collect();
    if let Some(id) = client_id {
        params.push(("client_id", id.to_string()));
    }
    params
}

fn request(
    path: &str,
    params: &[(&'static str, String)],
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    form(path, &borrowed)
}

fn assert_invalid_client(response: &http::Response<bytes::Bytes>) {
    assert_eq!(
        response.status(),
        401,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    assert_eq!(json(response.body())["error"], "invalid_client");
}

/// PAR (RFC 9126 §2.1 with RFC 7523 §2.2), authorization, then the code
/// exchanged and a client_credentials token, all without `client_id`; a
/// `client_id` of another client beside the assertion is `invalid_client`
/// at both endpoints; neither `client_id` nor an assertion is too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_id_is_optional_beside_an_assertion_rfc7521_s4_2() {
    let op = Op::start().await;
    let (verifier, challenge) = pkce();
    let par = |assertion: String| -> Vec<(&'static str, String)> {
        vec![
            ("client_assertion_type", JWT_BEARER.into()),
            ("client_assertion", assertion),
            ("response_type", "code".into()),
            ("redirect_uri", REDIRECT.into()),
            ("scope", "openid".into()),
            ("code_challenge", challenge.clone()),
            ("code_challenge_method", "S256".into()),
        ]
    };

    // PAR: another client's id beside PKJWT's assertion.
    let params = without_client_id(&par(op.assertion(PKJWT, json!({})).await), Some(MTLS));
    assert_invalid_client(&op.send(false, request("/par", &params)).await);
    // PAR: no client_id and no assertion.
    let params: Vec<_> = par(String::new())
        .into_iter()
        .filter(|(k, _)| !k.starts_with("client_assertion"))
        .collect();
    assert_invalid_client(&op.send(false, request("/par", &params)).await);
    // PAR: the assertion alone.
    let params = without_client_id(&par(op.assertion(PKJWT, json!({})).await), None);
    let response = op.send(false, request("/par", &params)).await;
    assert_status(&response, 201);
    let request_uri = pushed_request_uri(&response);
    let redirect = Browser::new().authorize(&op, PKJWT, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));

    let dpop = DpopKey::new();
    let token = |assertion: String, client_id: Option<&str>| {
        let params = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.into()),
            ("code_verifier", verifier.clone()),
            ("client_assertion_type", JWT_BEARER.into()),
            ("client_assertion", assertion),
        ];
        without_client_id(&params, client_id)
    };
    let with_proof = |request, proof: String| with_header(request, "dpop", &proof);
    let url = format!("{ISSUER}/token");

    // Token: another client's id beside the assertion; the code survives.
    let params = token(op.assertion(PKJWT, json!({})).await, Some(MTLS));
    let proof = dpop.proof("POST", &url, None).await;
    assert_invalid_client(
        &op.send(false, with_proof(request("/token", &params), proof))
            .await,
    );
    // Token: the assertion alone.
    let params = token(op.assertion(PKJWT, json!({})).await, None);
    let proof = dpop.proof("POST", &url, None).await;
    let response = op
        .send(false, with_proof(request("/token", &params), proof))
        .await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "DPoP");
    assert!(tokens["id_token"].is_string());

    // client_credentials (RFC 6749 §4.4) with the assertion alone, and with
    // the same client_id beside it.
    for client_id in [None, Some(PKJWT)] {
        let mut params = vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_assertion_type", JWT_BEARER.into()),
            ("client_assertion", op.assertion(PKJWT, json!({})).await),
        ];
        params = without_client_id(&params, client_id);
        let proof = dpop.proof("POST", &url, None).await;
        let response = op
            .send(false, with_proof(request("/token", &params), proof))
            .await;
        assert_status(&response, 200);
    }
    // An assertion whose iss and sub name different clients.
    let params = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_assertion_type", JWT_BEARER.into()),
        (
            "client_assertion",
            op.assertion(PKJWT, json!({"iss": MTLS})).await,
        ),
    ];
    let proof = dpop.proof("POST", &url, None).await;
    assert_invalid_client(
        &op.send(false, with_proof(request("/token", &params), proof))
            .await,
    );
    op.handle.shutdown().await;
}
