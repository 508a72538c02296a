//! `fiducia gateway --config FILE` as an operator runs it.

use super::super::support::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A file without `[gateway]`, or with a bad one, stops start-up with one
/// line naming the field, exit code 2.
#[test]
fn a_missing_or_bad_gateway_section_fails_start_up_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    for (text, field) in [
        ("[log]\nlevel = \"info\"\n", "`gateway`"),
        (
            "[gateway]\n[gateway.upstream]\nbase_url = \"http://bank\"\n",
            "gateway.upstream.base_url",
        ),
    ] {
        let config = dir.path().join("gateway.toml");
        std::fs::write(&config, text).unwrap();
        let output = Command::new(fiducia_bin())
            .args(["gateway", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(field), "{stderr}");
    }
}

/// A valid section: the gateway serves (its admin listener answers) and
/// SIGTERM makes it exit 0.
#[tokio::test]
async fn the_gateway_serves_and_exits_0_on_sigterm() {
    let pki = TestPki::new();
    let config = pki.dir.path().join("gateway.toml");
    let dir = pki.path("");
    std::fs::write(
        &config,
        format!(
            r#"
[log]
format = "json"

[gateway]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
cert = "{dir}/server.pem"
key = "{dir}/server.key"
client_ca = ["{dir}/ca.pem"]

[gateway.op]
client_cert = "{cert}"
client_key = "{key}"
ca = ["{dir}/ca.pem"]

[gateway.upstream]
client_cert = "{cert}"
client_key = "{key}"
ca = ["{dir}/ca.pem"]

[[gateway.routes]]
name = "accounts"
path_prefix = "/accounts"
scopes = ["accounts"]
"#,
            dir = dir.display(),
            cert = pki.client_cert().display(),
            key = pki.client_key().display(),
        ),
    )
    .unwrap();
    let mut child = Command::new(fiducia_bin())
        .args(["gateway", "--config"])
        .arg(&config)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Ephemeral ports, read back from the JSON start-up line.
    let addr = super::super::process::logged_address(&mut child, "Fiducia API gateway serving", "admin_addr");
    assert_eq!(admin_get(addr, "/healthz").await.0, 200);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the gateway did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}
