//! One OP node of the cluster sandbox: a `fiducia serve` child process
//! with its own configuration file, kept running like an orchestrator
//! would: when it exits (SIGTERM of a rolling restart, kill -9, a crash) it
//! is started again; its pid is in `cluster/node-<n>.pid` for operators and
//! tests. [`Node::stop`] ends it for good (SIGTERM: the node drains).

use super::node_config::per_node_env;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Pause before starting a node that exited again.
const RESTART_DELAY: Duration = Duration::from_millis(200);

/// A supervised node.
pub struct Node {
    /// `node-1`….
    pub name: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// How to run one node.
#[derive(Debug, Clone)]
pub struct NodeCommand {
    /// `node-1`….
    pub name: String,
    /// The `fiducia` executable.
    pub exe: PathBuf,
    /// Its configuration file.
    pub config: PathBuf,
    /// Where its pid is written at each start.
    pub pid_file: PathBuf,
    /// Its log (stdout and stderr, appended).
    pub log: PathBuf,
    /// How long a SIGTERM-ed node may take before SIGKILL.
    pub stop_within: Duration,
}

impl NodeCommand {
    /// Starts the process once; it dies with this process.
    fn spawn(&self) -> anyhow::Result<Child> {
        let mut command = crate::child::tied_command(&self.exe);
        command.args(["serve", "--config"]).arg(&self.config);
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(per_node_env) {
                command.env_remove(name);
            }
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("open {}", self.log.display()))?;
        command.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        let child = crate::child::spawn_tied(command).with_context(|| format!("start {}", self.name))?;
        std::fs::write(&self.pid_file, format!("{}\n", child.id()))
            .with_context(|| format!("write {}", self.pid_file.display()))?;
        Ok(child)
    }
}

impl Node {
    /// Starts the node and keeps it running until [`Node::stop`].
    pub fn start(command: NodeCommand) -> anyhow::Result<Self> {
        let child = command.spawn()?;
        let (stop, stop_rx) = watch::channel(false);
        let name = command.name.clone();
        let task = tokio::spawn(supervise(command, child, stop_rx));
        Ok(Self { name, stop, task })
    }

    /// SIGTERM (the node drains and exits), SIGKILL if it overstays; no
    /// restart.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn supervise(command: NodeCommand, mut child: Child, mut stop: watch::Receiver<bool>) {
    loop {
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(node = %command.name, error = %e, "cannot wait for the node");
                    break None;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = stop.changed() => {
                    terminate(&mut child, command.stop_within).await;
                    let _ = std::fs::remove_file(&command.pid_file);
                    return;
                }
            }
        };
        tracing::warn!(node = %command.name, status = ?status, "the node exited; starting it again");
        tokio::time::sleep(RESTART_DELAY).await;
        if *stop.borrow() {
            return;
        }
        child = loop {
            match command.spawn() {
                Ok(child) => break child,
                Err(e) => {
                    tracing::error!(node = %command.name, error = %format!("{e:#}"), "cannot start the node");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if *stop.borrow() {
                        return;
                    }
                }
            }
        };
    }
}

/// SIGTERM, then SIGKILL after `within`.
async fn terminate(child: &mut Child, within: Duration) {
    use nix::sys::signal::{Signal, kill};
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(nix::unistd::Pid::from_raw(pid), Signal::SIGTERM);
    }
    let started = Instant::now();
    while started.elapsed() < within {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until the node's admin `/readyz` answers 200.
pub async fn wait_ready(admin: std::net::SocketAddr, name: &str, within: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if ready(admin).await {
            return Ok(());
        }
        if started.elapsed() > within {
            anyhow::bail!("{name} is not ready after {within:?} (admin {admin}); see its log");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn ready(admin: std::net::SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(Ok(mut stream)) =
        tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(admin)).await
    else {
        return false;
    };
    let request = b"GET /readyz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    matches!(
        tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut head)).await,
        Ok(Ok(_))
    ) && head.starts_with(b"HTTP/1.1 200")
}

/// The pid in a node's pid file.
pub fn read_pid(pid_file: &Path) -> Option<u32> {
    std::fs::read_to_string(pid_file).ok()?.trim().parse().ok()
}
