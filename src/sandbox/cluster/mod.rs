//! `fiducia sandbox --nodes N`: the OP as a cluster on this machine. One
//! PostgreSQL server (initdb'd once in `<data>/cluster/postgres`, as an
//! unprivileged user when run as root; `store::postgres::local_server`),
//! N `fiducia serve` nodes (`node.rs`; one configuration each,
//! `<data>/node-<n>.toml`, written from the sandbox's `fiducia.toml` by
//! `node_config.rs`: the same issuer and SoftHSM token, the PostgreSQL
//! store, their own listeners) and HAProxy (`haproxy.rs`) on the issuer's
//! listeners in front of them. The directory, gateway, bank and device run
//! in the sandbox's process as in the single-node sandbox and reach the OP
//! through the balancer. `<data>/cluster/cluster.json` lists what runs
//! where (for operators, scripts and tests).

pub mod haproxy;
pub mod node;
pub mod node_config;

use super::SandboxLayout;
use crate::config::ValidatedConfig;
use crate::store::postgres::local_server::{self, LocalServer};
use anyhow::{Context, bail};
use node::{Node, NodeCommand};
use node_config::{NodePorts, Shared};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Whether the balancer sends the PROXY protocol by default (the nodes
/// then require it from it: `[server] proxy_protocol_from`).
pub const DEFAULT_PROXY_PROTOCOL: bool = true;
/// The nodes' `[server] drain_delay_ms` by default: how long a SIGTERM-ed
/// node keeps serving with `/readyz` at 503, so the balancer's check (every
/// [`haproxy::CHECK_INTERVAL_MS`], `fall 1`) sees it first: five checks.
pub const DEFAULT_DRAIN_DELAY_MS: u64 = 1000;
/// Connections in each node's PostgreSQL pool.
const POOL_SIZE: usize = 16;

/// What `--nodes` asks for.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// How many OP nodes.
    pub nodes: usize,
    /// Balancer → node connections start with a PROXY v2 header.
    pub proxy_protocol: bool,
    /// The nodes' drain delay (ms); 0 leaves it out.
    pub drain_delay_ms: u64,
}

/// What runs where, written to `<data>/cluster/cluster.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterState {
    /// HAProxy's admin socket (`show stat`).
    pub haproxy_socket: PathBuf,
    /// The PostgreSQL server's port on 127.0.0.1.
    pub postgres_port: u16,
    /// The nodes.
    pub nodes: Vec<NodeState>,
}

/// One node in `cluster.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeState {
    /// `node-1`…, its name at the balancer.
    pub name: String,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its current pid (rewritten at each restart).
    pub pid_file: PathBuf,
    /// Its log.
    pub log: PathBuf,
    /// Its public listener.
    pub public: std::net::SocketAddr,
    /// Its mTLS listener.
    pub mtls: Option<std::net::SocketAddr>,
    /// Its admin listener.
    pub admin: std::net::SocketAddr,
}

impl ClusterState {
    /// The file of `data_dir`'s cluster.
    pub fn file(data_dir: &Path) -> PathBuf {
        data_dir.join("cluster").join("cluster.json")
    }

    /// Reads `data_dir`'s cluster.json.
    pub fn read(data_dir: &Path) -> anyhow::Result<Self> {
        let file = Self::file(data_dir);
        let text = std::fs::read(&file).with_context(|| format!("read {}", file.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("parse {}", file.display()))
    }
}

/// The running cluster.
pub struct Cluster {
    /// What runs where.
    pub state: ClusterState,
    nodes: Vec<Node>,
    proxy_protocol: bool,
    haproxy: std::process::Child,
    postgres: Arc<LocalServer>,
}

/// Starts PostgreSQL, the nodes and HAProxy for the sandbox in `layout`,
/// whose effective configuration is `config` (its `server.listen` and
/// `server.mtls_listen` become the balancer's).
pub async fn start(
    layout: &SandboxLayout,
    config: &ValidatedConfig,
    options: &ClusterOptions,
) -> anyhow::Result<Cluster> {
    if options.nodes == 0 {
        bail!("--nodes must be at least 1");
    }
    let Some(pg_bin) = local_server::bin_dir() else {
        bail!("the cluster sandbox needs PostgreSQL's server (Debian: apt-get install postgresql)");
    };
    let Some(haproxy_bin) = crate::child::which("haproxy") else {
        bail!("the cluster sandbox needs HAProxy (Debian: apt-get install haproxy)");
    };
    let dir = std::path::absolute(layout.data_dir.join("cluster"))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let pg_dir = dir.join("postgres");
    let postgres = tokio::task::spawn_blocking(move || LocalServer::persistent(pg_bin, &pg_dir, None))
        .await
        .context("start PostgreSQL")??;
    let postgres = Arc::new(postgres);
    let shared = Shared {
        postgres_url: postgres.ensure_database("fiducia").await?,
        pool_size: POOL_SIZE,
        proxy_protocol: options.proxy_protocol,
        drain_delay_ms: options.drain_delay_ms,
    };
    let sandbox_toml = std::fs::read_to_string(&layout.config_file)
        .with_context(|| format!("read {}", layout.config_file.display()))?;
    let server = &config.get().server;
    let exe = std::env::current_exe().context("cannot find the fiducia executable")?;
    // A SIGTERM-ed node drains (the delay, then in-flight requests within
    // the grace); after that it is killed.
    let stop_within = Duration::from_millis(server.shutdown_grace_ms + options.drain_delay_ms + 5000);
    let mut states = Vec::new();
    let mut nodes = Vec::new();
    for i in 0..options.nodes {
        let name = haproxy::node_name(i);
        let ports = NodePorts {
            public: loopback(crate::child::free_port()?),
            mtls: match server.mtls_listen {
                Some(_) => Some(loopback(crate::child::free_port()?)),
                None => None,
            },
            admin: loopback(crate::child::free_port()?),
        };
        let config_file = std::path::absolute(layout.data_dir.join(format!("{name}.toml")))?;
        let text = node_config::node_toml(&sandbox_toml, config, &ports, &shared)?;
        // Mode 0600: it holds what the sandbox's file holds (customers'
        // passwords) and the store's URL.
        write_private(&config_file, text.as_bytes())?;
        let command = NodeCommand {
            name: name.clone(),
            exe: exe.clone(),
            config: config_file.clone(),
            pid_file: dir.join(format!("{name}.pid")),
            log: dir.join(format!("{name}.log")),
            stop_within,
        };
        states.push(NodeState {
            name: name.clone(),
            config: config_file,
            pid_file: command.pid_file.clone(),
            log: command.log.clone(),
            public: ports.public,
            mtls: ports.mtls,
            admin: ports.admin,
        });
        // The first node makes the schema and seeds the store alone; the
        // others start together once it is ready.
        nodes.push(Node::start(command)?);
        if i == 0 {
            node::wait_ready(ports.admin, &name, Duration::from_secs(60)).await?;
        }
    }
    for state in &states {
        node::wait_ready(state.admin, &state.name, Duration::from_secs(60)).await?;
    }
    let balancer = haproxy::Balancer {
        public: server.listen,
        mtls: server.mtls_listen,
        nodes: states
            .iter()
            .map(|s| NodePorts {
                public: s.public,
                mtls: s.mtls,
                admin: s.admin,
            })
            .collect(),
        proxy_protocol: options.proxy_protocol,
        stats_socket: dir.join("haproxy.sock"),
    };
    let cfg_file = dir.join("haproxy.cfg");
    std::fs::write(&cfg_file, balancer.config()).with_context(|| format!("write {}", cfg_file.display()))?;
    let haproxy = haproxy::start(&haproxy_bin, &cfg_file, &dir.join("haproxy.log"))?;
    let state = ClusterState {
        haproxy_socket: balancer.stats_socket.clone(),
        postgres_port: postgres.port(),
        nodes: states,
    };
    let socket = state.haproxy_socket.clone();
    let names: Vec<String> = state.nodes.iter().map(|n| n.name.clone()).collect();
    tokio::task::spawn_blocking(move || {
        names
            .iter()
            .try_for_each(|name| haproxy::wait_up(&socket, name, Duration::from_secs(30)))
    })
    .await??;
    std::fs::write(
        ClusterState::file(&layout.data_dir),
        serde_json::to_vec_pretty(&state)?,
    )?;
    Ok(Cluster {
        state,
        nodes,
        proxy_protocol: options.proxy_protocol,
        haproxy,
        postgres,
    })
}

/// Writes `path` (replacing it) readable by its owner only.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("write {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    file.write_all(contents)
        .with_context(|| format!("write {}", path.display()))
}

fn loopback(port: u16) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], port))
}

impl Cluster {
    /// The banner lines that replace the single node's health lines.
    pub fn banner_lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "  cluster:       {} OP nodes behind HAProxy (TCP passthrough{}), PostgreSQL on 127.0.0.1:{}; HTTP/3 is not balanced",
            self.state.nodes.len(),
            if self.proxy_protocol {
                ", PROXY protocol v2"
            } else {
                ""
            },
            self.state.postgres_port
        )];
        for node in &self.state.nodes {
            lines.push(format!(
                "  {}:        https://localhost:{} (mTLS {}), health http://{}/readyz, log {}",
                node.name,
                node.public.port(),
                node.mtls.map_or("-".to_string(), |a| a.port().to_string()),
                node.admin,
                node.log.display()
            ));
        }
        lines.push(format!(
            "  balancer:      echo 'show stat' | socat - {}",
            self.state.haproxy_socket.display()
        ));
        lines
    }

    /// Stops the balancer, then the nodes (each drains), then PostgreSQL.
    pub async fn shutdown(mut self) {
        let _ = self.haproxy.kill();
        let _ = self.haproxy.wait();
        futures::future::join_all(self.nodes.into_iter().map(Node::stop)).await;
        let postgres = self.postgres;
        let _ = tokio::task::spawn_blocking(move || drop(postgres)).await;
    }
}
