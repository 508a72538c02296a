//! Statuses (revoke, reinstate), who may get an SSA, persistence across a restart and the
//! `fiducia directory` commands.

use super::{BR_SOFTWARE, TestDirectory, UK_ORG, UK_SOFTWARE};
use crate::it::support::{self, json};
use fiducia::directory::Target;
use fiducia::directory::state::Status;
use std::process::Command;

async fn software_status(directory: &TestDirectory, software_id: &str) -> serde_json::Value {
    let response = directory.get(&format!("/software/{software_id}/status")).await;
    assert_eq!(response.status(), 200);
    json(response.body())
}

async fn assert_refused(directory: &TestDirectory, software_id: &str, status: u16, error: &str) {
    let response = directory.ssa_as(software_id).await;
    assert_eq!(response.status(), status, "{:?}", response.body());
    let body = json(response.body());
    assert_eq!(body["error"], error);
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn revoke_refuses_ssas_and_reinstate_makes_the_software_active_again() {
    let directory = TestDirectory::start().await;
    let status = software_status(&directory, UK_SOFTWARE).await;
    assert_eq!(status["status"], "Active");
    let now = crate::it::flow::harness::now();

    // UK SSAs carry software_status / org_status: Active or Revoked.
    directory
        .directory
        .set_status(&Target::Software(UK_SOFTWARE.into()), Status::Revoked, now)
        .unwrap();
    let status = software_status(&directory, UK_SOFTWARE).await;
    assert_eq!(
        (status["software_status"].clone(), status["status"].clone()),
        ("Revoked".into(), "Revoked".into())
    );
    assert_refused(&directory, UK_SOFTWARE, 403, "access_denied").await;
    // Another software is unaffected.
    assert_eq!(directory.ssa_as(BR_SOFTWARE).await.status(), 200);

    directory
        .directory
        .set_status(&Target::Software(UK_SOFTWARE.into()), Status::Active, now)
        .unwrap();
    assert_eq!(software_status(&directory, UK_SOFTWARE).await["status"], "Active");
    assert_eq!(directory.ssa_as(UK_SOFTWARE).await.status(), 200);

    // Revoking the organisation revokes its software.
    directory
        .directory
        .set_status(&Target::Organisation(UK_ORG.into()), Status::Revoked, now)
        .unwrap();
    let org = json(
        directory
            .get(&format!("/organisations/{UK_ORG}/status"))
            .await
            .body(),
    );
    assert_eq!(org["status"], "Revoked");
    let status = software_status(&directory, UK_SOFTWARE).await;
    assert_eq!(status["software_status"], "Active");
    assert_eq!(status["org_status"], "Revoked");
    assert_eq!(status["status"], "Revoked");
    assert_refused(&directory, UK_SOFTWARE, 403, "access_denied").await;
    directory
        .directory
        .set_status(&Target::Organisation(UK_ORG.into()), Status::Active, now)
        .unwrap();
    assert_eq!(directory.ssa_as(UK_SOFTWARE).await.status(), 200);
}

#[tokio::test]
async fn ssa_endpoint_needs_the_softwares_own_transport_certificate() {
    let directory = TestDirectory::start().await;
    let no_cert = directory.post_ssa(UK_SOFTWARE, None).await;
    assert_eq!(no_cert.status(), 401);
    assert_eq!(json(no_cert.body())["error"], "invalid_client");
    // Another software's certificate.
    let other_cert = directory.software_file(BR_SOFTWARE, "transport.pem");
    let other_key = directory.software_file(BR_SOFTWARE, "transport.key");
    let response = directory
        .post_ssa(UK_SOFTWARE, Some((&other_cert, &other_key)))
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response.body())["error"], "invalid_client");
    // A certificate from another CA, with the same subject shape.
    let pki = support::TestPki::new();
    let response = directory
        .post_ssa(UK_SOFTWARE, Some((&pki.client_cert(), &pki.client_key())))
        .await;
    assert_eq!(response.status(), 401);
    // Unknown software, unknown route, wrong method: JSON errors.
    let uk_cert = directory.software_file(UK_SOFTWARE, "transport.pem");
    let uk_key = directory.software_file(UK_SOFTWARE, "transport.key");
    let response = directory
        .post_ssa("no-such-software", Some((&uk_cert, &uk_key)))
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(json(response.body())["error"], "not_found");
    assert_eq!(
        directory.get("/software/no-such-software/status").await.status(),
        404
    );
    assert_eq!(directory.get("/nothing/here").await.status(), 404);
    let response = directory.get(&format!("/software/{UK_SOFTWARE}/ssa")).await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn state_survives_a_restart() {
    let mut directory = TestDirectory::start().await;
    let kid = json(directory.get("/jwks").await.body())["keys"][0]["kid"].clone();
    let ssa = directory.ssa_as(BR_SOFTWARE).await;
    assert_eq!(ssa.status(), 200);
    let now = crate::it::flow::harness::now();
    directory
        .directory
        .set_status(&Target::Software(UK_SOFTWARE.into()), Status::Revoked, now)
        .unwrap();
    let before = directory.directory.state().unwrap();

    directory.restart().await;
    assert_eq!(directory.directory.state().unwrap(), before);
    assert_eq!(
        json(directory.get("/jwks").await.body())["keys"][0]["kid"],
        kid,
        "same directory key"
    );
    assert_eq!(
        software_status(&directory, UK_SOFTWARE).await["status"],
        "Revoked"
    );
    assert_refused(&directory, UK_SOFTWARE, 403, "access_denied").await;
    assert_eq!(
        directory.ssa_as(BR_SOFTWARE).await.status(),
        200,
        "certificates still valid"
    );
    // No temporary files left behind by the atomic writes.
    let leftovers: Vec<_> = std::fs::read_dir(directory.data())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn fiducia_directory(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(support::fiducia_bin())
        .arg("directory")
        .arg("--data")
        .arg(data)
        .args(args)
        .env("FIDUCIA_LOG__LEVEL", "warn")
        .output()
        .unwrap()
}

#[test]
fn cli_adds_revokes_reinstates_and_prints_ssas() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dir");
    let ok = |args: &[&str]| {
        let out = fiducia_directory(&data, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    ok(&[
        "org",
        "add",
        "--org-id",
        "org-cli",
        "--name",
        "CLI Org",
        "--profile",
        "brazil",
    ]);
    ok(&[
        "software",
        "add",
        "--org-id",
        "org-cli",
        "--software-id",
        "sw-cli",
        "--client-name",
        "CLI App",
        "--redirect-uri",
        "https://cli.example/cb",
        "--role",
        "DADOS",
    ]);
    let ssa = ok(&["ssa", "--software-id", "sw-cli"]);
    assert_eq!(ssa.trim().split('.').count(), 3, "a compact JWS: {ssa}");
    ok(&["revoke", "--software-id", "sw-cli"]);
    let refused = fiducia_directory(&data, &["ssa", "--software-id", "sw-cli"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Revoked"));
    ok(&["reinstate", "--software-id", "sw-cli"]);
    ok(&["ssa", "--software-id", "sw-cli"]);
    let list: serde_json::Value = serde_json::from_str(&ok(&["list"])).unwrap();
    assert_eq!(list["software"][0]["status"], "Active");
    assert_eq!(list["organisations"]["org-cli"]["profile"], "brazil");
    // Bad input is an error message, not a panic.
    let bad = fiducia_directory(
        &data,
        &[
            "software",
            "add",
            "--org-id",
            "nope",
            "--client-name",
            "x",
            "--redirect-uri",
            "https://x/cb",
            "--role",
            "AISP",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown organisation"));
    let help = Command::new(support::fiducia_bin())
        .args(["directory", "serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for flag in ["--listen", "--public-url", "--issuer", "--ssa-ttl-secs", "--data"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}
