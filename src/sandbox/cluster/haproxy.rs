//! HAProxy in front of the cluster sandbox's OP nodes: TCP passthrough
//! (`mode tcp`), so TLS and mTLS still end at the OP (RFC 8705 §2 needs the
//! client's certificate at the OP); a PROXY protocol v2 header
//! (`send-proxy-v2`, haproxy.org PROXY protocol spec §2.2) so the OP sees
//! the client's address; health checks on each node's admin `/readyz`, so a
//! node that starts draining stops getting new connections; `retries` and
//! `option redispatch`, so a connection refused by a node that is gone is
//! tried on another one. HTTP/3 (QUIC over UDP) is not balanced.

use super::node_config::NodePorts;
use anyhow::{Context, bail};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// How often HAProxy asks each node's `/readyz` (ms): with `fall 1` a
/// draining node gets no new connection after at most this (plus the
/// check's own time).
pub const CHECK_INTERVAL_MS: u64 = 200;

/// What the balancer listens on and sends to.
#[derive(Debug, Clone)]
pub struct Balancer {
    /// The public listener (the issuer's host and port).
    pub public: SocketAddr,
    /// The mTLS alias listener, when the sandbox has one.
    pub mtls: Option<SocketAddr>,
    /// The nodes, named `node-1`….
    pub nodes: Vec<NodePorts>,
    /// Send a PROXY protocol v2 header on every connection to a node.
    pub proxy_protocol: bool,
    /// The admin socket (`show stat`).
    pub stats_socket: PathBuf,
}

/// The name of node `i` (0-based) in the balancer and the sandbox's files.
pub fn node_name(i: usize) -> String {
    format!("node-{}", i + 1)
}

impl Balancer {
    /// The `haproxy.cfg` text.
    pub fn config(&self) -> String {
        let mut cfg = format!(
            "# Written by `fiducia sandbox --nodes {n}` at every start.\n\
             global\n    maxconn 4096\n    stats socket {sock} mode 600 level admin\n\
             \n\
             defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 60s\n    timeout server 60s\n    timeout check 1s\n\
             \x20   # A connection a node refuses (stopped, restarting) is tried again,\n\
             \x20   # on another node.\n    retries 3\n    option redispatch 1\n\
             \x20   default-server inter {inter}ms fastinter 100ms downinter {inter}ms fall 1 rise 2\n",
            n = self.nodes.len(),
            sock = self.stats_socket.display(),
            inter = CHECK_INTERVAL_MS,
        );
        let mut listeners = vec![("public", self.public, false)];
        if let Some(mtls) = self.mtls {
            listeners.push(("mtls", mtls, true));
        }
        for (name, bind, mtls) in listeners {
            let _ = write!(
                cfg,
                "\nfrontend {name}\n    bind {bind}\n    default_backend op_{name}\n\
                 \nbackend op_{name}\n    balance roundrobin\n\
                 \x20   # Ready means serving: a node turns /readyz 503 as it begins to drain.\n\
                 \x20   option httpchk GET /readyz\n    http-check expect status 200\n"
            );
            for (i, node) in self.nodes.iter().enumerate() {
                let target = match (mtls, node.mtls) {
                    (true, Some(addr)) => addr,
                    _ => node.public,
                };
                let proxy = if self.proxy_protocol { " send-proxy-v2" } else { "" };
                let _ = writeln!(
                    cfg,
                    "    server {} {target} check port {}{proxy}",
                    node_name(i),
                    node.admin.port()
                );
            }
        }
        cfg
    }
}

/// Starts `haproxy` (found on `PATH`) in the foreground with `config`,
/// its output in `log`; it dies with this process.
pub fn start(haproxy: &Path, config: &Path, log: &Path) -> anyhow::Result<Child> {
    let check = std::process::Command::new(haproxy)
        .args(["-c", "-q", "-f"])
        .arg(config)
        .output()
        .context("haproxy -c")?;
    if !check.status.success() {
        bail!(
            "haproxy refuses {}: {}",
            config.display(),
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let mut command = crate::child::tied_command(haproxy);
    command
        .args(["-db", "-f"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?);
    crate::child::spawn_tied(command).context("start haproxy")
}

/// One server as the balancer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerState {
    /// `op_public` or `op_mtls`.
    pub backend: String,
    /// `node-1`….
    pub server: String,
    /// `UP`, `DOWN`, `UP 1/2`, `MAINT`….
    pub status: String,
}

/// Every server's state, from `show stat` on the admin socket.
pub fn server_states(socket: &Path) -> anyhow::Result<Vec<ServerState>> {
    let mut stream = std::os::unix::net::UnixStream::connect(socket)
        .with_context(|| format!("connect {}", socket.display()))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"show stat\n")?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .context("show stat: no header")?
        .split(',')
        .collect();
    let column = |name: &str| header.iter().position(|c| *c == name);
    let (Some(px), Some(sv), Some(st)) = (column("pxname"), column("svname"), column("status")) else {
        bail!("show stat: unexpected header");
    };
    Ok(lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.len() > st && f[sv] != "FRONTEND" && f[sv] != "BACKEND")
        .map(|f| ServerState {
            backend: f[px].to_string(),
            server: f[sv].to_string(),
            status: f[st].to_string(),
        })
        .collect())
}

/// Whether `server` is UP in every backend.
pub fn is_up(states: &[ServerState], server: &str) -> bool {
    let mine: Vec<_> = states.iter().filter(|s| s.server == server).collect();
    !mine.is_empty() && mine.iter().all(|s| s.status == "UP")
}

/// Waits until `server` is UP in every backend (the balancer sends it
/// connections again).
pub fn wait_up(socket: &Path, server: &str, within: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let states = server_states(socket).unwrap_or_default();
        if is_up(&states, server) {
            return Ok(());
        }
        if started.elapsed() > within {
            bail!("{server} is not UP at the balancer after {within:?}: {states:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balancer(proxy_protocol: bool) -> Balancer {
        let node = |n: u16| NodePorts {
            public: SocketAddr::from(([127, 0, 0, 1], 18000 + n)),
            mtls: Some(SocketAddr::from(([127, 0, 0, 1], 18100 + n))),
            admin: SocketAddr::from(([127, 0, 0, 1], 18200 + n)),
        };
        Balancer {
            public: "127.0.0.1:8443".parse().unwrap(),
            mtls: Some("127.0.0.1:8444".parse().unwrap()),
            nodes: vec![node(1), node(2)],
            proxy_protocol,
            stats_socket: PathBuf::from("/tmp/x/haproxy.sock"),
        }
    }

    #[test]
    fn tcp_passthrough_with_readyz_checks_on_the_admin_port_per_listener() {
        let cfg = balancer(true).config();
        assert!(cfg.contains("mode tcp"), "{cfg}");
        assert!(cfg.contains("option redispatch") && cfg.contains("retries 3"));
        assert!(cfg.contains("option httpchk GET /readyz"));
        assert!(cfg.contains("bind 127.0.0.1:8443") && cfg.contains("bind 127.0.0.1:8444"));
        // The mTLS frontend reaches each node's mTLS listener; the checks
        // go to the admin port either way.
        assert!(cfg.contains("server node-1 127.0.0.1:18001 check port 18201 send-proxy-v2"));
        assert!(cfg.contains("server node-1 127.0.0.1:18101 check port 18201 send-proxy-v2"));
        assert!(cfg.contains("server node-2 127.0.0.1:18102 check port 18202 send-proxy-v2"));
        assert!(!balancer(false).config().contains("send-proxy"));
    }

    #[test]
    fn a_server_is_up_only_when_up_in_every_backend() {
        let state = |b: &str, s: &str, st: &str| ServerState {
            backend: b.into(),
            server: s.into(),
            status: st.into(),
        };
        let states = vec![
            state("op_public", "node-1", "UP"),
            state("op_mtls", "node-1", "UP"),
            state("op_public", "node-2", "UP"),
            state("op_mtls", "node-2", "DOWN 1/2"),
        ];
        assert!(is_up(&states, "node-1"));
        assert!(!is_up(&states, "node-2"));
        assert!(!is_up(&states, "node-3"));
    }
}
