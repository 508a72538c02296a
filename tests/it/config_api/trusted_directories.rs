//! The `/trusted-directories` resource over real TLS, on the DCR harness's
//! OP (real sandbox directory keys served over HTTPS, the test fintech's
//! transport certificate): a directory added through the API admits a
//! software statement it signed at once, without a restart (RFC 7591 §3,
//! UK OBIE DCR 3.3); removed, its next statement is refused
//! (`unapproved_software_statement`, RFC 7591 §3.2.2) and the client it
//! registered is refused as unknown (RFC 6749 §5.2 `invalid_client`); the
//! directory is named by its issuer URL percent-encoded (RFC 3986 §2.1);
//! `jwks_file` is refused in a body; its clients' request budget follows
//! the directory's in force; `If-Match` (RFC 9110 §13.1.1) and the reset
//! to the file.

use super::*;
use crate::it::dcr::{AISP_SCOPE, Dcr};
use crate::it::support::{FINTECH, json};

/// The directory added live: an URL issuer, as statements name theirs.
const LIVE: &str = "https://live.directory.example/";
/// [`LIVE`] as a path segment.
const LIVE_SEGMENT: &str = "https%3A%2F%2Flive.directory.example%2F";

async fn dcr_with_config_api() -> (Dcr, u16) {
    let port = free_port();
    let dn = format!("CN={FINTECH},OU=org-1,O=org-1,C=GB");
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
    (dcr, port)
}

/// `POST /register` with a statement of directory `issuer`.
async fn register(dcr: &Dcr, issuer: &str) -> Response<Bytes> {
    let statement = dcr.ssa(json!({ "iss": issuer })).await;
    dcr.register_json(json!({
        "software_statement": statement,
        "token_endpoint_auth_method": "tls_client_auth",
        "redirect_uris": [REDIRECT],
        "scope": AISP_SCOPE,
    }))
    .await
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_added_live_admits_its_statements_and_removed_refuses_them() {
    let (dcr, port) = dcr_with_config_api().await;
    let token_response = cc_token(&dcr.op, OPS_MTLS, "fiducia.config.read fiducia.config.write").await;
    assert_status(&token_response, 200);
    let token = json(token_response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let call = |request| {
        send(
            addr,
            dcr.op.tls(true),
            crate::it::support::Version::Http1,
            request,
        )
    };
    let api_url = format!("https://127.0.0.1:{port}");

    // Not trusted yet.
    let refused = register(&dcr, LIVE).await;
    assert_status(&refused, 400);
    assert_eq!(json(refused.body())["error"], "unapproved_software_statement");

    let body = json!({
        "issuer": LIVE,
        "jwks_uri": format!("{}/directory/jwks", dcr.host),
        "certificate_binding": "uk",
    });
    let created = call(with_body(
        Api::bearer("POST", "/trusted-directories", &token),
        &body.to_string(),
        None,
    ))
    .await;
    assert_status(&created, 201);
    assert_eq!(
        created.headers()["location"].to_str().unwrap(),
        format!("{api_url}/trusted-directories/{LIVE_SEGMENT}")
    );
    let tag = etag(&created);
    let path = format!("/trusted-directories/{LIVE_SEGMENT}");
    let read = call(Api::bearer("GET", &path, &token)).await;
    assert_status(&read, 200);
    assert_eq!(json(read.body())["item"]["issuer"], LIVE);
    assert_eq!(etag(&read), tag);

    // Right after, without a restart: its statement registers a client,
    // which gets tokens (RFC 8705 §2).
    let registered = register(&dcr, LIVE).await;
    assert_status(&registered, 201);
    let client_id = json(registered.body())["client_id"].as_str().unwrap().to_string();
    assert_status(&cc_token(&dcr.op, &client_id, "accounts").await, 200);

    // jwks_file is not an API value.
    let with_file = json!({ "issuer": LIVE, "jwks_file": "/etc/passwd", "certificate_binding": "uk" });
    let refused = call(with_body(
        Api::bearer("PUT", &path, &token),
        &with_file.to_string(),
        Some(&tag),
    ))
    .await;
    assert_status(&refused, 400);
    let problem = json(refused.body());
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["pointer"] == "/jwks_file"),
        "{problem}"
    );
    assert!(!problem.to_string().contains("/etc/passwd"), "{problem}");

    // Its clients' request budget follows the directory's in force: one
    // request a second, a burst of one, then 429 (RFC 6585 §4).
    let tighter = json!({
        "issuer": LIVE,
        "jwks_uri": format!("{}/directory/jwks", dcr.host),
        "certificate_binding": "uk",
        "requests_per_second": 1,
        "burst": 1,
    });
    let updated = call(with_body(
        Api::bearer("PUT", &path, &token),
        &tighter.to_string(),
        Some(&tag),
    ))
    .await;
    assert_status(&updated, 200);
    let new_tag = etag(&updated);
    assert_ne!(new_tag, tag);
    let first = cc_token(&dcr.op, &client_id, "accounts").await;
    let second = cc_token(&dcr.op, &client_id, "accounts").await;
    assert!(
        [first.status().as_u16(), second.status().as_u16()].contains(&429),
        "{} {}",
        first.status(),
        second.status()
    );

    // Removed: stale 412, none 428, right 204.
    assert_status(
        &call(with_body(Api::bearer("DELETE", &path, &token), "", Some(&tag))).await,
        412,
    );
    assert_status(&call(Api::bearer("DELETE", &path, &token)).await, 428);
    assert_status(
        &call(with_body(
            Api::bearer("DELETE", &path, &token),
            "",
            Some(&new_tag),
        ))
        .await,
        204,
    );
    // The next registration with its statement is refused ...
    let refused = register(&dcr, LIVE).await;
    assert_status(&refused, 400);
    assert_eq!(json(refused.body())["error"], "unapproved_software_statement");
    // ... and the client it registered is unknown (not deleted).
    let refused = cc_token(&dcr.op, &client_id, "accounts").await;
    assert_status(&refused, 401);
    assert_eq!(json(refused.body())["error"], "invalid_client");

    // Reset to the file's directories: the list's ETag in If-Match.
    let listed = call(Api::bearer("GET", "/trusted-directories", &token)).await;
    let list = json(listed.body());
    assert_eq!(list["source"], "store");
    let reset = call(with_body(
        Api::bearer("DELETE", "/trusted-directories", &token),
        "",
        Some(&etag(&listed)),
    ))
    .await;
    assert_status(&reset, 200);
    let reset = json(reset.body());
    assert_eq!(reset["source"], "file");
    assert!(
        reset["trusted_directories"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["item"]["issuer"] != LIVE),
        "{reset}"
    );
    // The file's directories work as before.
    assert_status(&register(&dcr, crate::it::dcr::DIRECTORY).await, 201);
    dcr.op.handle.shutdown().await;
}
