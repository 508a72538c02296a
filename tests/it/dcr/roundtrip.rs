//! RFC 7592 §2.2 as written: a client that sends back exactly the client
//! information it was given (RFC 7591 §3.2.1, RFC 7592 §3) is accepted.

use super::super::support::*;
use super::*;
use serde_json::json;
use std::time::Duration;

/// No member of a client information response is `null` (RFC 7592 §2.2: the
/// client sends it back; the OP would refuse a `null` algorithm).
fn assert_no_nulls(body: &Value) {
    for (name, value) in body.as_object().unwrap() {
        assert!(!value.is_null(), "{name} is null in {body}");
    }
}

async fn put(dcr: &Dcr, path: &str, token: &str, body: &Value) -> Response<Bytes> {
    dcr.op
        .send(true, json_request("PUT", path, Some(token), body))
        .await
}

/// RFC 7592 §2.1-§2.3 with bodies sent back unchanged: register, PUT the
/// registration response back (200), GET, PUT the GET response back (200),
/// DELETE. The statement the registration holds is accepted again though it
/// is older than `ssa_max_age_secs` and its `jti` was used (single use
/// guards new registrations, RFC 7591 §2.3), but not once an update
/// replaced it (no rollback); `contacts` and the other
/// RFC 7591 §2 members are kept (the statement's win, §2.3) and an update
/// that omits one deletes it (RFC 7592 §2.2); the grant types answered are
/// the ones the client has (RFC 7591 §3.2.1); the registration access token
/// rotates on every update (RFC 7592 §3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sends_back_what_it_was_given_rfc7592_s2_2() {
    let dcr = Dcr::start_with(|c| c.replace("ssa_max_age_secs = 300", "ssa_max_age_secs = 2")).await;
    let statement = dcr
        .ssa(json!({"software_tos_uri": "https://fintech.example/tos"}))
        .await;
    let response = dcr
        .register_json(json!({
            "software_statement": statement,
            "token_endpoint_auth_method": "tls_client_auth",
            "redirect_uris": [REDIRECT],
            "scope": AISP_SCOPE,
            "contacts": ["ops@fintech.example"],
            "client_uri": "https://fintech.example",
            "logo_uri#fr": "https://fintech.example/logo-fr.png",
            "tos_uri": "https://fintech.example/ignored-the-statement-wins",
            "software_version": "2.1",
        }))
        .await;
    assert_status(&response, 201);
    let registered = json(response.body());
    assert_no_nulls(&registered);
    assert_eq!(registered["contacts"], json!(["ops@fintech.example"]));
    assert_eq!(registered["client_uri"], "https://fintech.example");
    assert_eq!(registered["logo_uri#fr"], "https://fintech.example/logo-fr.png");
    assert_eq!(registered["tos_uri"], "https://fintech.example/tos");
    assert_eq!(registered["software_version"], "2.1");
    assert_eq!(registered["software_statement"], statement.as_str());
    // No offline_access: no refresh token, so no refresh_token grant.
    assert_eq!(
        registered["grant_types"],
        json!(["authorization_code", "client_credentials"])
    );
    assert_eq!(registered["response_types"], json!(["code"]));
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    let path = format!("/register/{client_id}");
    let first_token = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Older than ssa_max_age_secs now: a new statement this old is refused,
    // the registration's own one is not.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The registration response sent back unchanged.
    let response = put(&dcr, &path, &first_token, &registered).await;
    assert_status(&response, 200);
    let updated = json(response.body());
    assert_no_nulls(&updated);
    let second_token = updated["registration_access_token"].as_str().unwrap().to_string();
    assert_ne!(second_token, first_token, "RFC 7592 §3: the token rotates");
    let mut expected = registered.clone();
    expected["registration_access_token"] = json!(second_token);
    assert_eq!(updated, expected);

    // The old token manages nothing; the previous response, carrying it,
    // is refused with the new one (a client never chooses that member).
    let response = dcr
        .op
        .send(true, json_request("GET", &path, Some(&first_token), &json!({})))
        .await;
    assert_error(&response, 401, "invalid_token");
    let response = put(&dcr, &path, &second_token, &registered).await;
    assert_error(&response, 400, "invalid_request");

    // RFC 7592 §2.1 read, then its body sent back unchanged.
    let read = dcr
        .op
        .send(true, json_request("GET", &path, Some(&second_token), &json!({})))
        .await;
    assert_status(&read, 200);
    let read = json(read.body());
    assert_eq!(read, updated);
    let response = put(&dcr, &path, &second_token, &read).await;
    assert_status(&response, 200);
    let updated = json(response.body());
    let third_token = updated["registration_access_token"].as_str().unwrap().to_string();
    assert_ne!(third_token, second_token);

    // Server-set members with values the server did not issue.
    for (member, value) in [
        (
            "registration_client_uri",
            json!("https://elsewhere.example/register/x"),
        ),
        ("client_id_issued_at", json!(1)),
        ("client_secret_expires_at", json!(1)),
    ] {
        let mut body = updated.clone();
        body[member] = value;
        let response = put(&dcr, &path, &third_token, &body).await;
        assert_error(&response, 400, "invalid_request");
    }

    // A new statement is checked like a registration's: this one is older
    // than ssa_max_age_secs.
    let mut body = updated.clone();
    body["software_statement"] = json!(dcr.ssa(json!({"iat": now() - 10})).await);
    let response = put(&dcr, &path, &third_token, &body).await;
    assert_error(&response, 400, "invalid_software_statement");

    // RFC 7592 §2.2: omitted members are deleted.
    let mut body = updated.clone();
    body.as_object_mut().unwrap().remove("contacts");
    let response = put(&dcr, &path, &third_token, &body).await;
    assert_status(&response, 200);
    let updated = json(response.body());
    assert!(updated.get("contacts").is_none(), "{updated}");
    assert_eq!(updated["tos_uri"], "https://fintech.example/tos");
    let fourth_token = updated["registration_access_token"].as_str().unwrap().to_string();

    // No rollback: once an update brought a newer statement, the old one is
    // a new statement again (here too old).
    let mut body = updated.clone();
    body["software_statement"] = json!(dcr.ssa(json!({})).await);
    let response = put(&dcr, &path, &fourth_token, &body).await;
    assert_status(&response, 200);
    let updated = json(response.body());
    let fifth_token = updated["registration_access_token"].as_str().unwrap().to_string();
    let mut body = updated.clone();
    body["software_statement"] = json!(statement);
    let response = put(&dcr, &path, &fifth_token, &body).await;
    assert_error(&response, 400, "invalid_software_statement");
    let fourth_token = fifth_token.as_str();

    // RFC 7592 §2.3 delete.
    let response = dcr
        .op
        .send(
            true,
            json_request("DELETE", &path, Some(fourth_token), &json!({})),
        )
        .await;
    assert_status(&response, 204);
    let response = dcr
        .op
        .send(true, json_request("GET", &path, Some(fourth_token), &json!({})))
        .await;
    assert_error(&response, 401, "invalid_token");
}

/// RFC 7591 §3.2.1: a client granted `offline_access` has the
/// `refresh_token` grant, and its response too goes back unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grant_types_answered_are_the_clients_rfc7591_s3_2_1() {
    let dcr = Dcr::start().await;
    let response = dcr
        .register_json(json!({
            "software_statement": dcr.ssa(json!({})).await,
            "token_endpoint_auth_method": "tls_client_auth",
            "scope": "openid accounts offline_access",
        }))
        .await;
    assert_status(&response, 201);
    let registered = json(response.body());
    assert_no_nulls(&registered);
    assert_eq!(
        registered["grant_types"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    let path = format!("/register/{}", registered["client_id"].as_str().unwrap());
    let token = registered["registration_access_token"].as_str().unwrap();
    let response = put(&dcr, &path, token, &registered).await;
    assert_status(&response, 200);
}
