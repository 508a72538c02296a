//! The `fiducia` binary as an operator runs it: start-up errors, graceful
//! shutdown on SIGTERM, and the sandbox on a fresh data directory.

use super::support::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Kills the child if a test fails before it exits.
pub(super) struct ChildGuard(pub(super) Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(super) fn signal(child: &Child, signal: Signal) {
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
}

pub(super) fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the process did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_bad_config_fails_start_up_with_one_line_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[fapi]\npkce_methods = [\"plain\"]\n[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n",
    )
    .unwrap();
    let output = Command::new(fiducia_bin())
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("fapi.pkce_methods"), "{stderr}");

    let output = Command::new(fiducia_bin())
        .args(["check-config", "--config"])
        .arg(&config)
        .env("FIDUCIA_FAPI__PKCE_METHODS", "[\"S256\"]")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts `fiducia serve` with JSON logs and returns it with its main address.
fn spawn_serve(pki: &TestPki) -> (ChildGuard, std::net::SocketAddr) {
    let config = pki.dir.path().join("fiducia.toml");
    std::fs::write(
        &config,
        pki.config_text("http3 = false", "[log]\nformat = \"json\"\nlevel = \"info\"\n"),
    )
    .unwrap();
    let mut child = Command::new(fiducia_bin())
        .args(["serve", "--config"])
        .arg(&config)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let addr = logged_address(&mut child, "Fiducia OP serving", "main_addr");
    (ChildGuard(child), addr)
}

/// Reads `child`'s JSON log on stderr until the line whose message is
/// `message`, and returns the address in its field `field`; keeps draining
/// the log afterwards so the child never blocks on a full pipe.
pub fn logged_address(child: &mut std::process::Child, message: &str, field: &str) -> std::net::SocketAddr {
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the process exited before serving").unwrap();
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if event["message"] == message {
            break event[field].as_str().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    addr
}

/// SIGTERM: stop accepting, let the in-flight request finish, exit 0.
#[tokio::test]
async fn sigterm_drains_an_in_flight_request_then_exits_0() {
    let pki = TestPki::new();
    let (mut child, addr) = spawn_serve(&pki);
    let tls = client_tls(&pki, false, &[b"http/1.1"]);
    let mut stream = tls_connect(addr, tls.clone()).await.unwrap();
    let body = "grant_type=authorization_code&client_id=nobody";
    let head = format!(
        "POST /token HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    // Head and half the body: the request is in flight.
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    signal(&child.0, Signal::SIGTERM);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    assert!(
        tls_connect(addr, tls).await.is_err(),
        "a new connection was accepted after SIGTERM"
    );

    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    stream.flush().await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .expect("no response to the in-flight request")
        .unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(response.contains("invalid_client"), "{response}");

    let status = wait_exit(&mut child.0, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
}

/// A fresh data directory: `fiducia sandbox` writes config and PKI, prints its
/// URLs and CA, and `curl --cacert` reads the metadata; `/metrics` counts it.
#[test]
fn sandbox_starts_on_a_fresh_data_dir_and_serves_discovery_to_curl() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mtls_port = free_port();
    let admin_port = free_port();
    let directory_port = free_port();
    let gateway_port = free_port();
    let bank_port = free_port();
    let device_port = free_port();
    let login_app_port = free_port();
    let mut child = ChildGuard(
        Command::new(fiducia_bin())
            .args(["sandbox", "--data"])
            .arg(data.path().join("sandbox"))
            .env("FIDUCIA_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("FIDUCIA_SERVER__ISSUER", format!("https://localhost:{port}"))
            .env("FIDUCIA_SERVER__MTLS_LISTEN", format!("127.0.0.1:{mtls_port}"))
            .env(
                "FIDUCIA_SERVER__MTLS_BASE_URL",
                format!("https://localhost:{mtls_port}"),
            )
            .env("FIDUCIA_ADMIN__LISTEN", format!("127.0.0.1:{admin_port}"))
            .env("FIDUCIA_DIRECTORY_LISTEN", format!("127.0.0.1:{directory_port}"))
            .env(
                "FIDUCIA_SANDBOX_GATEWAY_LISTEN",
                format!("127.0.0.1:{gateway_port}"),
            )
            .env(
                "FIDUCIA_SANDBOX_GATEWAY_ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env("FIDUCIA_SANDBOX_BANK_LISTEN", format!("127.0.0.1:{bank_port}"))
            .env(
                "FIDUCIA_SANDBOX_DEVICE_LISTEN",
                format!("127.0.0.1:{device_port}"),
            )
            .env(
                "FIDUCIA_SANDBOX_LOGIN_APP_LISTEN",
                format!("127.0.0.1:{login_app_port}"),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut banner = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Stop with");
        banner.push(line);
        if done {
            break;
        }
    }
    let banner = banner.join("\n");
    assert!(
        banner.contains(&format!(
            "https://localhost:{port}/.well-known/openid-configuration"
        )),
        "{banner}"
    );
    // The bank's login app, where client sandbox-fintech-app's customers sign in.
    assert!(
        banner.contains(&format!(
            "login app:     https://localhost:{login_app_port}/login"
        )),
        "{banner}"
    );
    let ca = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("CA:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no CA line: {banner}"));
    assert!(std::path::Path::new(ca).is_file(), "{ca}");

    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "--cacert", ca])
        .arg(format!(
            "https://localhost:{port}/.well-known/openid-configuration"
        ))
        .output()
        .expect("curl is installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(metadata["issuer"], format!("https://localhost:{port}"));

    let metrics = Command::new("curl")
        .args(["--silent", "--fail"])
        .arg(format!("http://127.0.0.1:{admin_port}/metrics"))
        .output()
        .unwrap();
    let metrics = String::from_utf8(metrics.stdout).unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("fiducia_http_requests_total{") && l.contains("route=\"discovery\"")),
        "{metrics}"
    );

    // The sandbox directory: the sample software gets an SSA with its transport
    // certificate, as the banner's curl line shows.
    let directory = format!("https://localhost:{directory_port}");
    assert!(banner.contains(&format!("{directory}/jwks")), "{banner}");
    let software = data.path().join("sandbox/directory/software/sandbox-fintech");
    let ssa = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--fail",
            "-X",
            "POST",
            "--cacert",
            ca,
            "--cert",
        ])
        .arg(software.join("transport.pem"))
        .arg("--key")
        .arg(software.join("transport.key"))
        .arg(format!("{directory}/software/sandbox-fintech/ssa"))
        .output()
        .unwrap();
    assert!(ssa.status.success(), "{}", String::from_utf8_lossy(&ssa.stderr));
    let ssa = String::from_utf8(ssa.stdout).unwrap();
    let payload = ssa.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["software_id"], "sandbox-fintech");
    assert_eq!(
        claims["software_jwks_endpoint"],
        format!("{directory}/software/sandbox-fintech/jwks")
    );
    assert_eq!(
        claims["software_redirect_uris"][0],
        "https://localhost:8443/sandbox/callback"
    );

    // Onboarding (README): the fintech registers with that SSA over mTLS
    // (RFC 7591 §3.1); the sandbox trusts its own directory.
    let body = serde_json::json!({
        "software_statement": ssa,
        "token_endpoint_auth_method": "tls_client_auth",
        "redirect_uris": ["https://localhost:8443/sandbox/callback"],
        "scope": "openid accounts",
    });
    let registered = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--fail-with-body",
            "--cacert",
            ca,
            "--cert",
        ])
        .arg(software.join("transport.pem"))
        .arg("--key")
        .arg(software.join("transport.key"))
        .args(["-H", "content-type: application/json", "-d"])
        .arg(body.to_string())
        .arg(format!("https://localhost:{port}/register"))
        .output()
        .unwrap();
    assert!(
        registered.status.success(),
        "{} {}",
        String::from_utf8_lossy(&registered.stderr),
        String::from_utf8_lossy(&registered.stdout)
    );
    let registered: serde_json::Value = serde_json::from_slice(&registered.stdout).unwrap();
    assert_eq!(registered["software_id"], "sandbox-fintech");
    assert!(
        registered["client_id"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
    );
    // The API gateway in front of the sample bank API: the fintech's
    // certificate-bound token (RFC 8705) is introspected by the gateway and
    // reaches the bank, which wants a customer; the bank itself admits only
    // the gateway's certificate.
    let gateway = format!("https://localhost:{gateway_port}");
    assert!(banner.contains(&gateway), "{banner}");
    // What a newcomer runs next.
    assert!(
        banner.contains("customers:     alice, bob")
            && banner.contains("first payment: fiducia demo payment --data "),
        "{banner}"
    );
    let pki = data.path().join("sandbox/pki/clients");
    let fintech_curl = |args: &[&str]| {
        let output = Command::new("curl")
            .args(["--silent", "--show-error", "--cacert", ca, "--cert"])
            .arg(pki.join("sandbox-fintech.pem"))
            .arg("--key")
            .arg(pki.join("sandbox-fintech.key"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let tokens = fintech_curl(&[
        "-d",
        "grant_type=client_credentials&client_id=sandbox-fintech&scope=accounts",
        &format!("https://localhost:{mtls_port}/token"),
    ]);
    let token: serde_json::Value = serde_json::from_str(&tokens).unwrap();
    let token = token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{tokens}"));
    let accounts = "/open-banking/v3.1/aisp/accounts";
    let through_gateway = fintech_curl(&[
        "-H",
        &format!("authorization: Bearer {token}"),
        &format!("{gateway}{accounts}"),
    ]);
    assert!(
        through_gateway.contains("the token has no customer"),
        "{through_gateway}"
    );
    let direct = fintech_curl(&[
        "-H",
        "x-fiducia-customer: sandbox-alice",
        &format!("https://localhost:{bank_port}{accounts}"),
    ]);
    assert!(direct.contains("only the API gateway"), "{direct}");

    // The customer device: its JSON API answers a seed customer with their
    // (empty) list, and refuses a wrong password; its config is private.
    let device = format!("https://localhost:{device_port}");
    assert!(banner.contains(&format!("{device}/ciba/requests")), "{banner}");
    let device_curl = |user: &str| {
        let output = Command::new("curl")
            .args(["--silent", "--show-error", "--cacert", ca, "-u", user])
            .arg(format!("{device}/api/customers/alice/requests"))
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    assert_eq!(device_curl("alice:wonderland-123"), r#"{"requests":[]}"#);
    assert!(device_curl("alice:wrong").contains("invalid_client"));
    let device_toml = data.path().join("sandbox/device.toml");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(device_toml).unwrap().permissions().mode() & 0o777,
        0o600
    );

    signal(&child.0, Signal::SIGINT);
    assert_eq!(wait_exit(&mut child.0, Duration::from_secs(10)).code(), Some(0));
    let key = data.path().join("sandbox/pki/ca.key");
    assert_eq!(
        std::fs::metadata(key).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// `fiducia sandbox --data data` with every listener on a free port (no
/// HTTP/3, warnings only), serving once it has printed its banner.
pub(super) fn spawn_sandbox(data: &std::path::Path) -> ChildGuard {
    spawn_sandbox_with_env(data, &[])
}

/// [`spawn_sandbox`] with more environment (e.g. `FIDUCIA_DEVICE__AUTO_APPROVE`).
/// The free ports are picked before the sandbox binds them, so another test
/// may take one meanwhile: a sandbox that exits before serving is started
/// again on new ports (three tries), and its stderr is shown if it never
/// serves.
pub(super) fn spawn_sandbox_with_env(data: &std::path::Path, env: &[(&str, &str)]) -> ChildGuard {
    spawn_sandbox_with(data, env, &[])
}

/// [`spawn_sandbox_with_env`] with more arguments (e.g. `--nodes 3`).
pub(super) fn spawn_sandbox_with(data: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> ChildGuard {
    let stderr_file = data.with_extension("stderr.log");
    for attempt in 1..=3 {
        if let Some(child) = try_spawn_sandbox(data, env, args, &stderr_file) {
            return child;
        }
        eprintln!("the sandbox exited before serving (attempt {attempt}); trying new ports");
    }
    panic!(
        "the sandbox exited before serving: {}",
        std::fs::read_to_string(&stderr_file).unwrap_or_default()
    );
}

fn try_spawn_sandbox(
    data: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
    stderr_file: &std::path::Path,
) -> Option<ChildGuard> {
    let port = free_port();
    let mtls_port = free_port();
    let mut child = ChildGuard(
        Command::new(fiducia_bin())
            .args(["sandbox", "--data"])
            .arg(data)
            .args(args)
            .env("FIDUCIA_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("FIDUCIA_SERVER__ISSUER", format!("https://localhost:{port}"))
            .env("FIDUCIA_SERVER__HTTP3", "false")
            .env("FIDUCIA_SERVER__MTLS_LISTEN", format!("127.0.0.1:{mtls_port}"))
            .env(
                "FIDUCIA_SERVER__MTLS_BASE_URL",
                format!("https://localhost:{mtls_port}"),
            )
            .env("FIDUCIA_ADMIN__LISTEN", format!("127.0.0.1:{}", free_port()))
            .env("FIDUCIA_DIRECTORY_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env(
                "FIDUCIA_SANDBOX_GATEWAY_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env(
                "FIDUCIA_SANDBOX_GATEWAY_ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env(
                "FIDUCIA_SANDBOX_BANK_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env(
                "FIDUCIA_SANDBOX_DEVICE_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env(
                "FIDUCIA_SANDBOX_LOGIN_APP_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env("FIDUCIA_LOG__LEVEL", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(stderr_file).unwrap())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next()?.unwrap();
        if line.starts_with("Stop with") {
            break;
        }
    }
    // Keep draining stdout so the sandbox never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Some(child)
}
