//! `fiducia-loadtest --verify` and `--target` against a real `fiducia
//! sandbox` process over real mTLS: every access token the OP acknowledged
//! is introspected after the run (RFC 7662 §2) as the client that owns it,
//! with connections spread over two addresses of the one node; tokens
//! revoked in between (RFC 7009 §2) are counted inactive and fail the run.

use super::process::{spawn_sandbox as start_sandbox, spawn_sandbox_with_env};
use clap::Parser;
use fiducia_loadtest::http::{Conn, TlsConfigs, Url, post_form};
use fiducia_loadtest::{Args, exit_code, run, run_then_verify};
use std::path::Path;

fn args(data: &Path, pid: u32, extra: &[&str]) -> Args {
    let (data, pid) = (data.to_str().unwrap().to_string(), pid.to_string());
    let mut argv = vec![
        "fiducia-loadtest",
        "--sandbox",
        &data,
        "--op-pid",
        &pid,
        "--warmup",
        "0",
        "--duration",
        "60",
        "--quiet",
    ];
    argv.extend_from_slice(extra);
    Args::parse_from(argv)
}

/// RFC 7009 §2.1: the tls_client_auth client revokes its own access
/// token at the mTLS alias of the revocation endpoint (RFC 8705 §5).
async fn revoke(data: &Path, issuer: &str, token: &str) {
    let pki = data.join("pki");
    let clients = pki.join("clients");
    let tls = TlsConfigs::load(
        &pki.join("ca.pem"),
        Some((
            &clients.join("sandbox-fintech.pem"),
            &clients.join("sandbox-fintech.key"),
        )),
        true,
    )
    .unwrap();
    let discovery = Url::parse(&format!("{issuer}/.well-known/openid-configuration")).unwrap();
    let mut conn = Conn::connect(&discovery, tls.plain.clone()).await.unwrap();
    let meta: serde_json::Value = serde_json::from_slice(
        conn.send(fiducia_loadtest::http::get(&discovery, &[]).unwrap())
            .await
            .unwrap()
            .body(),
    )
    .unwrap();
    let url = Url::parse(
        meta["mtls_endpoint_aliases"]["revocation_endpoint"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut conn = Conn::connect(&url, tls.mtls.clone().unwrap()).await.unwrap();
    let request = post_form(
        &url,
        &[
            ("token", token),
            ("token_type_hint", "access_token"),
            ("client_id", "sandbox-loadtest-mtls"),
        ],
        &[],
    )
    .unwrap();
    let response = conn.send(request).await.unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.body());
}

fn issuer_of(pid: u32) -> String {
    fiducia_loadtest::setup::process_env(pid)
        .into_iter()
        .find_map(|(k, v)| (k == "FIDUCIA_SERVER__ISSUER").then_some(v))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_every_acknowledged_token_active_and_revoked_ones_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let child = start_sandbox(&data);
    let pid = child.0.id();
    let issuer = issuer_of(pid);
    assert!(issuer.starts_with("https://localhost:"), "{issuer}");

    // cc-mtls over two addresses of the node, TLS still naming `localhost`
    // (the certificate's name): every acknowledged token is active.
    for scenario in ["cc-mtls", "handshake", "flow", "flow-mtls"] {
        let a = args(
            &data,
            pid,
            &[
                "--scenario",
                scenario,
                "--concurrency",
                "2",
                "--requests",
                "6",
                "--verify",
                "--verify-concurrency",
                "3",
                "--target",
                "127.0.0.1,localhost",
            ],
        );
        let report = run(&a).await.unwrap();
        assert_eq!(
            (report.ok, report.failed),
            (6, 0),
            "{scenario}: {:?}",
            report.errors
        );
        let v = report.verify.as_ref().unwrap();
        assert_eq!(
            (v.kept, v.active, v.inactive, v.failed, v.not_kept),
            (6, 6, 0, 0, 0),
            "{scenario}: {v:?}"
        );
        assert!(v.passed());
        assert_eq!(exit_code(&report), 0);
        assert!(report.text().contains("every acknowledged token is active"));
        // Both addresses were dialled (discovery, the two clients, the
        // three introspecting workers), all with `localhost` as TLS name.
        assert_eq!(report.targets.len(), 2, "{:?}", report.targets);
        assert!(report.targets.values().all(|n| *n >= 1), "{:?}", report.targets);
    }

    // Revoke 2 of 5 between the run and the verification: counted
    // inactive (RFC 7662 §2.2), the run fails, and no token is reported.
    let a = args(
        &data,
        pid,
        &[
            "--scenario",
            "cc-mtls",
            "--concurrency",
            "1",
            "--requests",
            "5",
            "--verify",
        ],
    );
    let mut revoked = Vec::new();
    let report = run_then_verify(&a, |tokens| {
        let (data, issuer, revoked) = (&data, &issuer, &mut revoked);
        async move {
            assert_eq!(tokens.len(), 5);
            for kept in &tokens[..2] {
                assert!(kept.expires.is_some(), "the OP gives expires_in");
                revoke(data, issuer, &kept.token).await;
                revoked.push(kept.token.clone());
            }
            tokens
        }
    })
    .await
    .unwrap();
    let v = report.verify.as_ref().unwrap();
    assert_eq!((v.kept, v.active, v.inactive, v.failed), (5, 3, 2, 0), "{v:?}");
    assert!(!v.passed());
    assert_eq!(exit_code(&report), 1, "the process exits non-zero");
    let text = report.text();
    assert!(text.contains("3 active, 2 inactive, 0 failed to check"), "{text}");
    assert!(text.contains("FAILED: 2 acknowledged tokens"), "{text}");
    let json = serde_json::to_string(&report).unwrap();
    for token in &revoked {
        assert!(!text.contains(token.as_str()) && !json.contains(token.as_str()));
    }

    // Past --verify-max the tokens are counted, not kept, and the run fails.
    let a = args(
        &data,
        pid,
        &[
            "--scenario",
            "cc-mtls",
            "--concurrency",
            "1",
            "--requests",
            "4",
            "--verify",
            "--verify-max",
            "1",
        ],
    );
    let report = run(&a).await.unwrap();
    let v = report.verify.as_ref().unwrap();
    assert_eq!((v.kept, v.active, v.not_kept), (1, 1, 3), "{v:?}");
    assert!(!v.passed());
    assert_eq!(exit_code(&report), 1);
    assert!(report.text().contains("over --verify-max 1"));

    // A scenario without access tokens to check, and a target with a port,
    // are refused before anything runs.
    let a = args(
        &data,
        pid,
        &["--scenario", "discovery", "--requests", "1", "--verify"],
    );
    let error = run(&a).await.unwrap_err().to_string();
    assert!(
        error.contains("--verify: Discovery issues no access token"),
        "{error}"
    );
    let a = args(
        &data,
        pid,
        &[
            "--scenario",
            "cc-mtls",
            "--requests",
            "1",
            "--target",
            "127.0.0.1:1",
        ],
    );
    let error = run(&a).await.unwrap_err().to_string();
    assert!(error.contains("no port"), "{error}");
    // Connections go where --target says, not to the issuer's host: a
    // name that does not resolve leaves the OP unreachable.
    let a = args(
        &data,
        pid,
        &[
            "--scenario",
            "cc-mtls",
            "--requests",
            "1",
            "--target",
            "no-such-node.invalid",
        ],
    );
    let error = format!("{:#}", run(&a).await.unwrap_err());
    assert!(
        error.contains("cannot reach the OP") && error.contains("no-such-node.invalid"),
        "{error}"
    );
    drop(child);
}

/// RFC 6749 §5.1 `expires_in`: with 3-second access tokens, a
/// verification that starts after they lapse counts them expired (not
/// asked, not a failure); tokens checked in time are active.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_counts_tokens_past_their_lifetime_as_expired_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let child = spawn_sandbox_with_env(&data, &[("FIDUCIA_TOKENS__ACCESS_TOKEN_TTL_SECS", "3")]);
    let pid = child.0.id();
    let a = args(
        &data,
        pid,
        &[
            "--scenario",
            "cc-mtls",
            "--concurrency",
            "1",
            "--requests",
            "3",
            "--verify",
        ],
    );
    let report = run(&a).await.unwrap();
    let v = report.verify.as_ref().unwrap();
    assert_eq!((v.kept, v.active, v.expired), (3, 3, 0), "checked at once: {v:?}");

    let report = run_then_verify(&a, |tokens| async move {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        tokens
    })
    .await
    .unwrap();
    let v = report.verify.as_ref().unwrap();
    assert_eq!(
        (v.kept, v.active, v.inactive, v.failed, v.expired),
        (3, 0, 0, 0, 3),
        "{v:?}"
    );
    assert!(v.passed());
    assert_eq!(exit_code(&report), 0);
    assert!(report.text().contains("3 expired before their check"));
    drop(child);
}
