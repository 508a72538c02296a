//! The audit trail of a real OP over real mTLS: a client registers (RFC
//! 7591), a customer authorises its request (the grant), the client
//! revokes its refresh token (RFC 7009, which revokes the grant); then
//! `fiducia audit export` and `fiducia audit verify`, the real commands on
//! the OP's store while it is stopped, show each record with the right
//! actor, none of the secrets handed out on the way, and an intact trail
//! with the checkpoint the OP signed through the HSM at start-up; once a
//! record is rewritten through the store's KV API, verify names it.

use super::super::support::*;
use super::*;
use serde_json::json;
use std::process::{Command, Output};

const SCOPE: &str = "openid accounts offline_access";

/// A config for the CLI: the OP's store and HSM token.
fn cli_config(op: &Op) -> std::path::PathBuf {
    let c = op.config.get();
    let text = op.pki.config_text(
        "",
        &format!(
            "[store]\npath = \"{}\"\n\n[signing]\nbackend = \"pkcs11\"\ntoken_label = \"{}\"\npin = \"{PIN}\"\n",
            c.store.path.display(),
            c.signing.token_label
        ),
    );
    let path = op.pki.dir.path().join("audit-cli.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn audit(config: &std::path::Path, args: &[&str]) -> Output {
    Command::new(fiducia_bin())
        .arg("audit")
        .args(args)
        .arg("--config")
        .arg(config)
        .env("FIDUCIA_LOG__LEVEL", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Rewrites the `grant_revoked` record's cause through the store's KV API,
/// as someone with write access to the store could; its (chain, seq).
fn tamper(store_path: &std::path::Path) -> (u16, u64) {
    let store_path = store_path.to_path_buf();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (store, _) = fiducia::store::embedded::open_store(&store_path).unwrap();
            let records = fiducia::store::audit::read::since(&store, 0, 0).await.unwrap();
            let revoked = records
                .iter()
                .find(|r| r.record.event == fiducia::store::audit::EventType::GrantRevoked)
                .unwrap();
            let (chain, seq) = (revoked.record.chain, revoked.record.seq);
            let forged = String::from_utf8(revoked.bytes.clone())
                .unwrap()
                .replace("client_revocation", "code_replay");
            let key = fiducia::store::keys::audit_record_key(chain, seq);
            let (key, forged) = (&key, &forged);
            store
                .run(|tx, _| async move { tx.set(key, forged.as_bytes()) })
                .await
                .unwrap();
            store.close().await;
            (chain, seq)
        })
    })
    .join()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_grant_and_revocation_are_recorded_with_their_actor_and_no_secret() {
    let dcr = Dcr::start().await;
    let statement = dcr.ssa(json!({})).await;
    let response = dcr
        .register_json(json!({
            "software_statement": statement,
            "token_endpoint_auth_method": "tls_client_auth",
            "redirect_uris": [REDIRECT],
            "scope": SCOPE,
        }))
        .await;
    assert_status(&response, 201);
    let registered = json(response.body());
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    let registration_token = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // The customer authorises the client's request: the grant.
    let op = &dcr.op;
    let (verifier, challenge) = pkce();
    let request_uri = pushed_request_uri(&op.send(true, cert_par(&client_id, &challenge, SCOPE)).await);
    let redirect = Browser::new().authorize(op, &client_id, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap();
    let token = form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
        ],
    );
    let response = op.send(true, token).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    let access_token = tokens["access_token"].as_str().unwrap().to_string();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();

    // RFC 7009 §2.1: revoking the refresh token revokes its grant.
    let revoke = form("/revoke", &[("token", &refresh_token), ("client_id", &client_id)]);
    assert_status(&op.send(true, revoke).await, 200);

    // The embedded store is the OP's while it runs: the CLI says so.
    let config = cli_config(op);
    let refused = audit(&config, &["verify"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("in use"),
        "{}",
        text(&refused.stderr)
    );

    // The OP signs a checkpoint at start-up; under a loaded machine its
    // signature can take retries, so give it time before stopping the OP.
    wait_for_a_checkpoint(&dcr.op).await;
    let mut outputs = Vec::new();
    let mut tampered = None;
    let store_path = dcr.op.config.get().store.path.clone();
    let Dcr { op, .. } = dcr;
    let _op = op
        .restart_after(|| {
            outputs.push(audit(&config, &["export", "--since", "1970-01-01T00:00:00Z"]));
            outputs.push(audit(&config, &["verify"]));
            tampered = Some(tamper(&store_path));
            outputs.push(audit(&config, &["verify"]));
        })
        .await;
    let export = outputs.remove(0);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let exported = text(&export.stdout);
    let verified = outputs.remove(0);
    assert!(
        verified.status.success(),
        "{}{}",
        text(&verified.stdout),
        text(&verified.stderr)
    );
    let verdict = text(&verified.stdout);
    assert!(verdict.starts_with("intact: "), "{verdict}");
    assert!(
        !verdict.contains(" 0 checkpoints"),
        "the OP signs one at start-up: {verdict}"
    );

    // An attacker with the store rewrote the revocation's cause: the CLI
    // names that record and exits 1.
    let (chain, seq) = tampered.unwrap();
    let caught = outputs.remove(0);
    assert_eq!(caught.status.code(), Some(1), "{}", text(&caught.stderr));
    let report = text(&caught.stdout);
    assert!(
        report.contains(&format!("chain {chain} record {seq}: edited")),
        "{report}"
    );
    assert!(report.contains("TAMPERED"), "{report}");

    let records: Vec<Value> = exported
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |event: &str| {
        records
            .iter()
            .find(|r| r["event"] == event)
            .unwrap_or_else(|| panic!("no {event} in {exported}"))
    };
    let registered = find("client_registered");
    assert_eq!(registered["actor"], json!({"type": "client", "id": client_id}));
    assert_eq!(
        registered["targets"][0],
        json!({"kind": "client", "id": client_id})
    );
    let authorised = find("consent_authorised");
    assert_eq!(
        authorised["actor"],
        json!({"type": "customer", "id": "acc-alice-1"})
    );
    assert_eq!(authorised["targets"][0]["kind"], "grant");
    assert_eq!(
        authorised["targets"][1],
        json!({"kind": "client", "id": client_id})
    );
    let revoked = find("grant_revoked");
    assert_eq!(revoked["actor"], json!({"type": "client", "id": client_id}));
    assert_eq!(
        revoked["targets"][0], authorised["targets"][0],
        "the grant authorised"
    );
    assert_eq!(revoked["changed"][0]["to"], "client_revocation");
    assert!(records.iter().any(|r| r["event"] == "keys_changed"));
    // Nothing secret: tokens, the code, the registration access token, the
    // software statement (an assertion), the HSM PIN.
    for secret in [
        access_token.as_str(),
        refresh_token.as_str(),
        code.as_str(),
        registration_token.as_str(),
        statement.as_str(),
        verifier.as_str(),
        PIN,
    ] {
        assert!(!exported.contains(secret), "a secret is in the export");
    }
}

/// Waits (up to two minutes) until the running OP has stored a signed
/// audit checkpoint.
async fn wait_for_a_checkpoint(op: &Op) {
    let state = op.handle.op_state().expect("the OP runs");
    let store = state.services.repo.store().clone();
    for _ in 0..600 {
        let last = store
            .run(|tx, _| async move { fiducia::store::audit::checkpoint::last(&tx).await })
            .await
            .unwrap();
        if last.is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the OP stored no audit checkpoint within two minutes of its start");
}
