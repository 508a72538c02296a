//! The load generator against a real `fiducia sandbox` process: every
//! scenario, closed and open loop, a bounded run each, so the tool keeps
//! working as the OP changes. (Its figures are in docs/PERFORMANCE.md.)

use super::process::{signal, spawn_sandbox as start_sandbox, spawn_sandbox_with_env, wait_exit};
use clap::Parser;
use fiducia_loadtest::{Args, run};
use nix::sys::signal::Signal;
use std::path::Path;
use std::time::Duration;

async fn bounded(data: &Path, pid: u32, extra: &[&str]) -> fiducia_loadtest::report::Report {
    let pid = pid.to_string();
    let mut argv = vec![
        "fiducia-loadtest",
        "--sandbox",
        data.to_str().unwrap(),
        "--op-pid",
        &pid,
    ];
    argv.extend_from_slice(&["--warmup", "0", "--duration", "60", "--quiet"]);
    argv.extend_from_slice(extra);
    run(&Args::parse_from(argv)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_without_errors_against_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let child = start_sandbox(&data);
    let pid = child.0.id();

    for scenario in [
        "discovery",
        "cc-mtls",
        "cc-pkjwt",
        "handshake",
        "flow",
        "flow-mtls",
    ] {
        let report = bounded(
            &data,
            pid,
            &["--scenario", scenario, "--concurrency", "2", "--requests", "6"],
        )
        .await;
        assert_eq!(
            (report.ok, report.failed),
            (6, 0),
            "{scenario}: {:?}",
            report.errors
        );
        assert!(report.errors.is_empty());
        let op = report.steps.iter().find(|s| s.step == "op").unwrap();
        assert_eq!(op.count, 6);
        assert!(op.p50 > 0.0 && op.p50 <= op.p99 && op.p99 <= op.max);
        assert!(report.op_cpu_ms_per_op.is_some() && report.loadtest_cpu_ms_per_op.is_some());
        assert!(report.op_rss_mib.unwrap() > 1.0);
        // Every operation is in the second it started in.
        let per_second: u64 = report.timeline.iter().map(|s| s.ok + s.failed).sum();
        assert_eq!(per_second, 6, "{scenario}: {:?}", report.timeline);
    }

    // The flows' steps, and the password-hash setting they ran with (from
    // the data dir's config; the sandbox's is argon2id m = 7 MiB, t = 5).
    for scenario in ["flow-mtls", "flow"] {
        let report = bounded(
            &data,
            pid,
            &["--scenario", scenario, "--concurrency", "1", "--requests", "2"],
        )
        .await;
        let steps: Vec<&str> = report.steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(
            steps,
            [
                "par",
                "authorize",
                "login_page",
                "login",
                "consent_page",
                "consent",
                "token",
                "userinfo",
                "op"
            ],
            "{scenario}"
        );
    }
    let report = bounded(
        &data,
        pid,
        &["--scenario", "flow", "--concurrency", "1", "--requests", "2"],
    )
    .await;
    assert_eq!(
        report.password_hash.as_deref(),
        Some("argon2id m=7168 KiB t=5 p=1")
    );

    // FAPI 2.0 §5.4.1's other algorithms: the sandbox client's EdDSA and
    // PS256 keys sign the assertions, and the DPoP proofs use the same alg.
    for alg in ["EdDSA", "PS256"] {
        for scenario in ["cc-pkjwt", "flow"] {
            let report = bounded(
                &data,
                pid,
                &[
                    "--scenario",
                    scenario,
                    "--alg",
                    alg,
                    "--concurrency",
                    "1",
                    "--requests",
                    "2",
                ],
            )
            .await;
            assert_eq!(
                (report.ok, report.failed),
                (2, 0),
                "{scenario} {alg}: {:?}",
                report.errors
            );
            assert_eq!(report.alg, Some(alg));
        }
    }
    assert_eq!(report.alg, Some("ES256"), "the default");

    // Open loop: a constant arrival rate, each operation timed from its slot.
    let report = bounded(
        &data,
        pid,
        &[
            "--scenario",
            "cc-mtls",
            "--rate",
            "100",
            "--requests",
            "20",
            "--max-in-flight",
            "4",
        ],
    )
    .await;
    assert_eq!((report.ok, report.failed), (20, 0), "{:?}", report.errors);
    assert_eq!(report.target_per_sec, Some(100.0));
    assert!(
        report.seconds >= 0.15,
        "20 operations at 100/s take ≥ 0.19 s: {}",
        report.seconds
    );
    // handshake opens one connection per operation, cc-mtls keeps its own;
    // the open loop opens its 4 clients' connections before its clock starts,
    // so no measured latency holds a handshake.
    assert!((4..20).contains(&report.connections), "{}", report.connections);
    assert_eq!(report.connections_measured, 0);
    // 20 slots 10 ms apart: all in the window's first second.
    assert_eq!(report.timeline.len(), 1, "{:?}", report.timeline);
    assert_eq!(report.timeline[0].ok, 20);
    assert!(report.timeline[0].max >= report.timeline[0].p50);

    signal(&child.0, Signal::SIGINT);
    let mut child = child;
    assert_eq!(wait_exit(&mut child.0, Duration::from_secs(10)).code(), Some(0));
}

/// A private_key_jwt client that the OP does not know gets `invalid_client`
/// (RFC 6749 §5.2), and the report counts it by step, status and code; a
/// setup that lacks what a scenario needs is refused before it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_errors_are_counted_by_step_status_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let child = start_sandbox(&data);
    let pid = child.0.id();
    let setup = dir.path().join("setup.toml");
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let issuer = String::from_utf8_lossy(&environ)
        .split('\0')
        .find_map(|kv| kv.strip_prefix("FIDUCIA_SERVER__ISSUER=").map(String::from))
        .unwrap();
    let write_setup = |clients: &str| {
        let head = format!("issuer = \"{issuer}\"\nca = \"sandbox/pki/ca.pem\"\n");
        std::fs::write(&setup, head + clients).unwrap();
    };
    write_setup(
        r#"[pkjwt]
client_id = "no-such-client"
key = "sandbox/pki/clients/sandbox-loadtest-pkjwt.key"
redirect_uri = "https://localhost:8443/sandbox/callback"
"#,
    );
    let argv = [
        "fiducia-loadtest",
        "--config",
        setup.to_str().unwrap(),
        "--scenario",
        "cc-pkjwt",
    ];
    let mut args = Args::parse_from(
        argv.iter()
            .chain(&["--requests", "3", "--warmup", "0", "--quiet"]),
    );
    args.concurrency = Some(1);
    let report = run(&args).await.unwrap();
    assert_eq!((report.ok, report.failed), (0, 3));
    assert_eq!(
        report.errors.get("token: 401 invalid_client"),
        Some(&3),
        "{:?}",
        report.errors
    );

    // flow-mtls needs to know where its customer is sent back to.
    write_setup(
        r#"[mtls]
client_id = "sandbox-loadtest-mtls"
cert = "sandbox/pki/clients/sandbox-fintech.pem"
key = "sandbox/pki/clients/sandbox-fintech.key"
[[users]]
username = "alice"
password = "x"
"#,
    );
    args.scenario = fiducia_loadtest::scenario::Scenario::FlowMtls;
    let error = run(&args).await.unwrap_err();
    assert!(
        error.to_string().contains("flow-mtls needs a redirect_uri"),
        "{error:#}"
    );
    drop(child);
}

/// The CIBA scenarios (OpenID Connect CIBA Core §7, §10.1) against real
/// sandboxes: `ciba` with the sandbox device auto-approving
/// (`FIDUCIA_DEVICE__AUTO_APPROVE=true`, read when the sandbox starts its
/// device), private_key_jwt and tls_client_auth; `ciba-pending` with the
/// device holding every request for its customer, polled at the interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ciba_scenarios_run_against_the_sandbox_device() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("approving");
    let child = spawn_sandbox_with_env(
        &data,
        &[
            ("FIDUCIA_DEVICE__AUTO_APPROVE", "true"),
            ("FIDUCIA_CIBA__INTERVAL_SECS", "1"),
        ],
    );
    let pid = child.0.id();
    for auth in ["private-key-jwt", "tls-client-auth"] {
        let report = bounded(
            &data,
            pid,
            &[
                "--scenario",
                "ciba",
                "--ciba-auth",
                auth,
                "--concurrency",
                "2",
                "--requests",
                "4",
            ],
        )
        .await;
        assert_eq!((report.ok, report.failed), (4, 0), "{auth}: {:?}", report.errors);
        let count = |step: &str| report.steps.iter().find(|s| s.step == step).map(|s| s.count);
        assert_eq!(count("bc_authorize"), Some(4), "{auth}");
        assert_eq!(count("token"), Some(4), "{auth}: one token response per flow");
        assert_eq!(count("op"), Some(4));
        assert_eq!(report.alg, Some("ES256"), "the requests' signatures");
        assert!(report.op_cpu_ms_per_op.is_some());
    }
    drop(child);

    // Nobody approves: every poll is authorization_pending (§11), and the
    // requests made before the clock say what they cost the OP.
    let data = dir.path().join("holding");
    let child = spawn_sandbox_with_env(&data, &[("FIDUCIA_CIBA__INTERVAL_SECS", "1")]);
    let pid = child.0.id();
    let report = bounded(
        &data,
        pid,
        &[
            "--scenario",
            "ciba-pending",
            "--pending",
            "4",
            "--concurrency",
            "2",
            "--requests",
            "10",
        ],
    )
    .await;
    assert_eq!((report.ok, report.failed), (10, 0), "{:?}", report.errors);
    let poll = report.steps.iter().find(|s| s.step == "poll").unwrap();
    assert_eq!(poll.count, 10);
    let prepared = report.prepared.as_ref().unwrap();
    assert_eq!((prepared.requests, prepared.failed), (4, 0), "{prepared:?}");
    assert!(prepared.op_cpu_ms_per_request.is_some());
    assert!(prepared.op_rss_mib_before.unwrap() > 1.0 && prepared.op_rss_mib_after.unwrap() > 1.0);
    // 10 polls of 4 requests at a 1 s interval: the later ones waited.
    assert!(report.seconds >= 1.0, "{}", report.seconds);
    drop(child);
}

/// The hostile scenario (docs/RELIABILITY.md, "Hostile traffic") against a
/// real sandbox: each of its 21 attacks twice, every one refused as it
/// should be (a 4xx, a closed connection or a 503 with Retry-After; never
/// another 5xx, never accepted, never silence). The header timeout is one
/// second so that slowloris ends soon; HTTP/3 is on for its stream flood.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_attack_is_refused_by_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let child = spawn_sandbox_with_env(
        &data,
        &[
            ("FIDUCIA_SERVER__HEADER_READ_TIMEOUT_MS", "1000"),
            ("FIDUCIA_SERVER__HTTP3", "true"),
        ],
    );
    let pid = child.0.id();
    let attacks = fiducia_loadtest::scenario::hostile::Attack::ALL;
    let runs = (2 * attacks.len()).to_string();
    let report = bounded(
        &data,
        pid,
        &["--scenario", "hostile", "--concurrency", "7", "--requests", &runs],
    )
    .await;
    assert_eq!(
        (report.ok, report.failed),
        (2 * attacks.len() as u64, 0),
        "{:?}",
        report.errors
    );
    for attack in attacks {
        let step = report.steps.iter().find(|s| s.step == attack.name());
        assert_eq!(step.map(|s| s.count), Some(2), "{}", attack.name());
    }
    drop(child);
}
