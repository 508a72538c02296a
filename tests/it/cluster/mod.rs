//! The cluster sandbox (`fiducia sandbox --nodes N`) as an operator runs
//! it: real `fiducia serve` nodes on one real PostgreSQL server behind a
//! real HAProxy, driven over real mTLS by `fiducia-loadtest`. Skipped (with
//! the reason printed) when `haproxy` or PostgreSQL's server is missing,
//! unless `FIDUCIA_REQUIRE_HAPROXY=1` / `FIDUCIA_REQUIRE_POSTGRES=1`
//! (`scripts/test.sh`) make that a failure.

mod rolling;

use super::process::{ChildGuard, spawn_sandbox_with};
use clap::Parser;
use fiducia::sandbox::cluster::ClusterState;
use fiducia::sandbox::cluster::haproxy;
use fiducia::sandbox::cluster::node::read_pid;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A running cluster sandbox.
pub(super) struct ClusterSandbox {
    _child: ChildGuard,
    pub(super) data: PathBuf,
    pub(super) issuer: String,
    pub(super) state: ClusterState,
    _dir: tempfile::TempDir,
}

/// Whether `haproxy` is installed; when it is not, the test is skipped
/// (the reason printed) unless `FIDUCIA_REQUIRE_HAPROXY=1`.
fn haproxy_installed() -> bool {
    if fiducia::child::which("haproxy").is_some() {
        return true;
    }
    assert!(
        !std::env::var("FIDUCIA_REQUIRE_HAPROXY").is_ok_and(|v| v == "1"),
        "FIDUCIA_REQUIRE_HAPROXY=1 but `haproxy` is not installed (Debian package `haproxy`)"
    );
    eprintln!("skipped: no `haproxy` (install Debian `haproxy`)");
    false
}

impl ClusterSandbox {
    /// `fiducia sandbox --nodes <nodes>` on free ports in a temporary
    /// directory (under the system's temporary directory, which the
    /// unprivileged PostgreSQL user can reach); `None` when skipped.
    pub fn start(nodes: usize, env: &[(&str, &str)]) -> Option<Self> {
        super::pg_server::bin_dir()?;
        if !haproxy_installed() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("sandbox");
        let nodes = nodes.to_string();
        let child = spawn_sandbox_with(&data, env, &["--nodes", &nodes]);
        let state = ClusterState::read(&data).unwrap();
        let issuer = fiducia_loadtest::setup::process_env(child.0.id())
            .into_iter()
            .find_map(|(k, v)| (k == "FIDUCIA_SERVER__ISSUER").then_some(v))
            .unwrap();
        Some(Self {
            _child: child,
            data,
            issuer,
            state,
            _dir: dir,
        })
    }

    /// The nodes' `[server] drain_delay_ms` (0 when their files set none).
    pub fn drain_delay_ms(&self) -> i64 {
        let text = std::fs::read_to_string(&self.state.nodes[0].config).unwrap();
        let file: toml::Table = text.parse().unwrap();
        file["server"]
            .get("drain_delay_ms")
            .and_then(|v| v.as_integer())
            .unwrap_or(0)
    }

    /// Node `i`'s current pid.
    pub fn pid(&self, i: usize) -> u32 {
        read_pid(&self.state.nodes[i].pid_file).unwrap()
    }

    /// Sends `signal` to node `i`, then waits until the sandbox has started
    /// it again and HAProxy sees it UP; returns how long that took.
    pub fn restart(&self, i: usize, signal: Signal) -> Duration {
        let node = &self.state.nodes[i];
        let old = self.pid(i);
        let started = Instant::now();
        kill(Pid::from_raw(old as i32), signal).unwrap();
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} was not started again: {}",
                node.name,
                std::fs::read_to_string(&node.log).unwrap_or_default()
            );
            if read_pid(&node.pid_file).is_some_and(|pid| pid != old)
                && haproxy::server_states(&self.state.haproxy_socket)
                    .is_ok_and(|s| haproxy::is_up(&s, &node.name))
            {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `fiducia-loadtest` arguments against the balancer (the issuer's
    /// address): `scenario` for `seconds` with `concurrency` clients, no
    /// warm-up (every operation counts), every acknowledged token kept
    /// for `--verify`.
    pub fn load(&self, scenario: &str, concurrency: usize, seconds: f64) -> fiducia_loadtest::Args {
        let (data, concurrency, seconds) = (
            self.data.to_str().unwrap().to_string(),
            concurrency.to_string(),
            seconds.to_string(),
        );
        fiducia_loadtest::Args::parse_from([
            "fiducia-loadtest",
            "--sandbox",
            &data,
            "--issuer",
            &self.issuer,
            "--scenario",
            scenario,
            "--concurrency",
            &concurrency,
            "--duration",
            &seconds,
            "--warmup",
            "0",
            "--quiet",
            "--verify",
            "--verify-concurrency",
            "2",
        ])
    }
}
