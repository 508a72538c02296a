//! `fiducia admin` (the binary) against a real OP's Config API: a token
//! from a client_credentials grant (tls_client_auth, so certificate-bound,
//! RFC 8705 §3) and one from a file; keys listed and generated (the
//! `If-Match` read first); a refused token exits non-zero with the
//! challenge.

use super::*;
use crate::it::support::fiducia_bin;
use std::process::Command;

/// Runs `fiducia admin` with `args`; (success, stdout, stderr).
pub(super) async fn admin(args: Vec<String>) -> (bool, String, String) {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(fiducia_bin())
            .arg("admin")
            .args(&args)
            .env_remove("FIDUCIA_CONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_command_calls_the_api_with_a_granted_or_a_file_token() {
    let api = Api::start(true, "").await;
    let pki = &api.op.pki;
    let base = |more: &[&str]| -> Vec<String> {
        let mut args = vec![
            "--url".to_string(),
            api.url.clone(),
            "--ca".into(),
            pki.ca().display().to_string(),
            "--cert".into(),
            pki.client_cert().display().to_string(),
            "--key".into(),
            pki.client_key().display().to_string(),
        ];
        args.extend(more.iter().map(|s| s.to_string()));
        args
    };
    let token_endpoint = format!("https://localhost:{}/token", api.op.handle.main_addr.port());
    let granted = |command: &[&str]| {
        let mut more = vec![
            "--client-id",
            OPS_MTLS,
            "--token-endpoint",
            token_endpoint.as_str(),
        ];
        more.extend_from_slice(command);
        base(&more)
    };

    let (ok, out, err) = admin(granted(&["keys", "list"])).await;
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    let before = listed["keys"].as_array().unwrap().len();
    assert!(before >= 2, "{out}");

    let (ok, out, err) = admin(granted(&["keys", "generate", "--alg", "ES256"])).await;
    assert!(ok, "{err}");
    let generated: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(generated["keys"].as_array().unwrap().len(), before + 1);

    let (ok, out, err) = admin(granted(&["audit"])).await;
    assert!(ok, "{err}");
    let audit: Value = serde_json::from_str(&out).unwrap();
    assert!(
        audit["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["event"] == "config_changed" && r["actor"]["id"] == format!("{OPS_MTLS}@{ISSUER}")),
        "{out}"
    );

    // A second issuer's certificate-bound token from a file.
    let x5t = fiducia::protocol::client_cert::x5t_s256(&pki.client_leaf_der());
    let file = pki.dir.path().join("token.txt");
    std::fs::write(
        &file,
        api.iam_token(json!({ "cnf": { "x5t#S256": x5t } }), "at+jwt")
            .await,
    )
    .unwrap();
    let (ok, out, err) = admin(base(&[
        "--token-file",
        file.to_str().unwrap(),
        "effective-config",
    ]))
    .await;
    assert!(ok, "{err}");
    assert!(!out.contains(PIN), "the PIN is redacted");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["config_api"]["audience"],
        AUD
    );

    // Refused: an expired token; a bad body's problem with its field.
    let expired = api
        .iam_token(
            json!({ "exp": now() - 300, "iat": now() - 600, "cnf": { "x5t#S256": x5t } }),
            "at+jwt",
        )
        .await;
    std::fs::write(&file, expired).unwrap();
    let (ok, _, err) = admin(base(&["--token-file", file.to_str().unwrap(), "keys", "list"])).await;
    assert!(!ok);
    assert!(err.contains("401") && err.contains("invalid_token"), "{err}");
    let (ok, _, err) = admin(granted(&["keys", "generate", "--alg", "HS256"])).await;
    assert!(!ok);
    assert!(err.contains("400") && err.contains("/alg"), "{err}");
    api.op.handle.shutdown().await;
}

/// The other way `fiducia admin` takes a token: private_key_jwt (RFC 7523
/// §2.2, `aud` the issuer) with a DPoP proof at `/token` (RFC 9449 §5), so
/// the token is DPoP-bound (`cnf.jkt`) and every Config API call carries
/// a fresh proof with `ath` (RFC 9449 §7.1) — no client certificate on
/// any connection, with `require_sender_constrained` on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_command_takes_a_dpop_bound_token_by_private_key_jwt() {
    let api = Api::start(true, "").await;
    let pki = &api.op.pki;
    let key_file = pki.dir.path().join("ops-admin.key.pem");
    std::fs::write(&key_file, api.op.client_key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    // The OP's public token endpoint (its issuer's, which a DPoP proof's
    // `htu` must name, RFC 9449 §4.3), reached on the port the test OP
    // listens on.
    let token_endpoint = format!("{ISSUER}/token");
    let connect_to = format!("localhost:8443:127.0.0.1:{}", api.op.handle.main_addr.port());
    let args = |command: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "--url",
            api.url.as_str(),
            "--ca",
            &pki.ca().display().to_string(),
            "--client-id",
            OPS,
            "--client-key",
            &key_file.display().to_string(),
            "--token-endpoint",
            token_endpoint.as_str(),
            "--connect-to",
            connect_to.as_str(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(command.iter().map(|s| s.to_string()));
        args
    };

    let (ok, out, err) = admin(args(&["keys", "list"])).await;
    assert!(ok, "{err}");
    assert!(
        serde_json::from_str::<Value>(&out).unwrap()["keys"].is_array(),
        "{out}"
    );
    let (ok, out, err) = admin(args(&["clients", "list"])).await;
    assert!(ok, "{err}");
    assert!(out.contains(OPS_MTLS), "{out}");
    // The caller the audit trail names is the DPoP-bound client.
    let (ok, out, err) = admin(args(&["keys", "generate", "--alg", "ES256"])).await;
    assert!(ok, "{err}");
    let (ok, out2, err) = admin(args(&["audit"])).await;
    assert!(ok, "{err} {out}");
    assert!(out2.contains(&format!("{OPS}@{ISSUER}")), "{out2}");

    // A key that is not the client's: refused at /token, and said so.
    let other = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    std::fs::write(&key_file, other.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    let (ok, _, err) = admin(args(&["keys", "list"])).await;
    assert!(!ok);
    assert!(err.contains("invalid_client"), "{err}");
    api.op.handle.shutdown().await;
}

/// `fiducia admin resource-servers` and `directories`: create from a file,
/// get, delete (the item's ETag read first for `If-Match`), reset (the
/// list's), each as the Config API answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_command_manages_sections_live() {
    let api = Api::start(true, "").await;
    let pki = &api.op.pki;
    let token_endpoint = format!("https://localhost:{}/token", api.op.handle.main_addr.port());
    let admin_args = |command: &[&str]| -> Vec<String> {
        let mut args = vec![
            "--url".to_string(),
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
        args
    };
    let file = pki.dir.path().join("reports-gw.json");
    std::fs::write(
        &file,
        json!({ "id": "reports-gw", "tls_client_auth_subject_dn": "CN=reports-gw,O=Bank,C=GB" }).to_string(),
    )
    .unwrap();
    let file = file.display().to_string();
    let (ok, out, err) = admin(admin_args(&["resource-servers", "create", "--file", &file])).await;
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["item"]["id"],
        "reports-gw"
    );
    let (ok, out, err) = admin(admin_args(&["resource-servers", "list"])).await;
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed["source"], "store");
    assert_eq!(listed["resource_servers"].as_array().unwrap().len(), 2, "{out}");
    let (ok, _, err) = admin(admin_args(&["resource-servers", "create", "--file", &file])).await;
    assert!(!ok);
    assert!(err.contains("409"), "{err}");
    let (ok, _, err) = admin(admin_args(&["resource-servers", "delete", "reports-gw"])).await;
    assert!(ok, "{err}");
    let (ok, out, err) = admin(admin_args(&["resource-servers", "reset"])).await;
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["source"], "file");
    // No directory in this OP's file: an empty list from the file.
    let (ok, out, err) = admin(admin_args(&["directories", "list"])).await;
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (listed["source"].clone(), listed["trusted_directories"].clone()),
        (json!("file"), json!([]))
    );
    api.op.handle.shutdown().await;
}
