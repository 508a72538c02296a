//! RFC 7592: read, update and delete a registration with its registration
//! access token.

use super::super::flow::harness::*;
use super::super::support::*;
use super::*;
use serde_json::json;

/// RFC 7592 §2.1-§2.3 in one client's life: read it, update it (its tokens
/// stay valid), delete it (its tokens, its registration token and the
/// client itself are gone: 401 everywhere).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_update_delete_with_the_registration_access_token() {
    let dcr = Dcr::start().await;
    let registered = dcr.register_mtls_client().await;
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    let token = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/register/{client_id}");
    let tokens = mtls_flow(&dcr.op, &client_id, AISP_SCOPE).await;
    let access_token = tokens["access_token"].as_str().unwrap().to_string();
    // A client_credentials token too (RFC 6749 §4.4): no grant links it to a customer.
    let cc = form(
        "/token",
        &[("grant_type", "client_credentials"), ("client_id", &client_id)],
    );
    let cc = dcr.op.send(true, cc).await;
    assert_eq!(cc.status(), 200, "{}", String::from_utf8_lossy(cc.body()));
    let cc_token = json(cc.body())["access_token"].as_str().unwrap().to_string();

    // §2.1 read.
    let read = dcr
        .op
        .send(true, json_request("GET", &path, Some(&token), &json!({})))
        .await;
    assert_eq!(read.status(), 200, "{}", String::from_utf8_lossy(read.body()));
    let body = json(read.body());
    assert_eq!(body["client_id"], client_id.as_str());
    assert_eq!(body["scope"], AISP_SCOPE);
    assert_eq!(body["software_statement"], registered["software_statement"]);
    // RFC 7592 §2 / RFC 6750 §3.1: a wrong token, or another client's path.
    for (path, token) in [
        (path.as_str(), "not-the-token"),
        ("/register/mtls-client", token.as_str()),
        ("/register/00000000-0000-4000-8000-000000000000", token.as_str()),
    ] {
        let response = dcr
            .op
            .send(true, json_request("GET", path, Some(token), &json!({})))
            .await;
        assert_error(&response, 401, "invalid_token");
        assert!(response.headers().contains_key("www-authenticate"));
    }

    // Issue 18 item 12: the token alone is not enough. Without a client
    // certificate, or with a certificate of the CA that is not the
    // registered software's, it is refused as a certificate-bound token
    // without its certificate (RFC 8705 §3; UK OBIE DCR 3.3).
    let response = dcr
        .op
        .send(false, json_request("GET", &path, Some(&token), &json!({})))
        .await;
    assert_error(&response, 401, "invalid_token");
    assert!(response.headers().contains_key("www-authenticate"));
    let stranger = brazil_certificate(&dcr.op.pki, "other-software", "other-org");
    for method in ["GET", "DELETE"] {
        let response = dcr
            .op
            .send_with_identity(&stranger, json_request(method, &path, Some(&token), &json!({})))
            .await;
        assert_error(&response, 401, "invalid_token");
    }

    // §2.2 update: a fresh statement, fewer redirect URIs and scopes.
    let update = json!({
        "client_id": client_id,
        "software_statement": dcr.ssa(json!({})).await,
        "token_endpoint_auth_method": "tls_client_auth",
        "redirect_uris": [REDIRECT],
        "scope": "openid accounts offline_access",
    });
    let response = dcr
        .op
        .send(true, json_request("PUT", &path, Some(&token), &update))
        .await;
    assert_status(&response, 200);
    let updated = json(response.body());
    assert_eq!(updated["scope"], "openid accounts offline_access");
    // RFC 7592 §3: the update rotated the registration access token; the
    // old one manages nothing any more.
    let old_token = token;
    let token = updated["registration_access_token"].as_str().unwrap().to_string();
    assert_ne!(token, old_token);
    let response = dcr
        .op
        .send(true, json_request("GET", &path, Some(&old_token), &json!({})))
        .await;
    assert_error(&response, 401, "invalid_token");
    let read = json(
        dcr.op
            .send(true, json_request("GET", &path, Some(&token), &json!({})))
            .await
            .body(),
    );
    assert_eq!(read["scope"], "openid accounts offline_access");
    // UK OBIE DCR 3.3: an update keeps the tokens already issued.
    assert_eq!(userinfo_mtls(&dcr.op, &access_token).await.status(), 200);
    let introspect = form("/introspect", &[("token", &cc_token), ("client_id", GATEWAY)]);
    assert_eq!(
        json(dcr.op.send_as_gateway(introspect).await.body())["active"],
        true
    );
    // §2.2: client_id must be this one; server-set members are refused.
    let mut wrong = update.clone();
    wrong["client_id"] = json!("someone-else");
    wrong["software_statement"] = json!(dcr.ssa(json!({})).await);
    let response = dcr
        .op
        .send(true, json_request("PUT", &path, Some(&token), &wrong))
        .await;
    assert_error(&response, 400, "invalid_request");
    // The same SSA rules as registration: a statement of other software.
    let mut other = update.clone();
    other["software_statement"] = json!(dcr.ssa(json!({"software_id": "other-software"})).await);
    let response = dcr
        .op
        .send(true, json_request("PUT", &path, Some(&token), &other))
        .await;
    assert_error(&response, 400, "unapproved_software_statement");

    // §2.3 delete.
    let response = dcr
        .op
        .send(true, json_request("DELETE", &path, Some(&token), &json!({})))
        .await;
    assert_status(&response, 204);
    let response = dcr
        .op
        .send(true, json_request("GET", &path, Some(&token), &json!({})))
        .await;
    assert_error(&response, 401, "invalid_token");
    // Its access token no longer works, at userinfo or for the gateway.
    assert_eq!(userinfo_mtls(&dcr.op, &access_token).await.status(), 401);
    for token in [&access_token, &cc_token] {
        let introspect = form("/introspect", &[("token", token), ("client_id", GATEWAY)]);
        let response = dcr.op.send_as_gateway(introspect).await;
        assert_eq!(json(response.body())["active"], false);
    }
    // The client is gone: its certificate authenticates nothing.
    let (_, challenge) = pkce();
    let response = dcr
        .op
        .send(true, cert_par(&client_id, &challenge, AISP_SCOPE))
        .await;
    assert_error(&response, 401, "invalid_client");
}
