//! The configuration file of one OP node of the cluster sandbox, written
//! from the sandbox's own `fiducia.toml`: the same issuer, TLS material,
//! clients, customers and SoftHSM token (relative paths still resolve, as
//! the file sits next to it), with the node's own listeners, the shared
//! PostgreSQL store, and the balancer in front in mind.

use crate::config::ValidatedConfig;
use anyhow::{Context, anyhow};
use std::net::SocketAddr;
use toml::{Table, Value};

/// Environment overrides a node must not inherit from the sandbox: its file
/// sets them per node (every other `FIDUCIA_*` variable, e.g. the issuer,
/// applies to every node alike).
pub const PER_NODE_ENV: &[&str] = &[
    "FIDUCIA_CONFIG",
    "FIDUCIA_SERVER__LISTEN",
    "FIDUCIA_SERVER__MTLS_LISTEN",
    "FIDUCIA_SERVER__HTTP3",
    "FIDUCIA_SERVER__PROXY_PROTOCOL_FROM",
    "FIDUCIA_SERVER__DRAIN_DELAY_MS",
    "FIDUCIA_ADMIN__LISTEN",
];

/// Whether an environment variable is one a node must not inherit: the
/// per-node ones and the whole `[store]` section.
pub fn per_node_env(name: &str) -> bool {
    PER_NODE_ENV.contains(&name) || name.starts_with("FIDUCIA_STORE__")
}

/// One node's listeners.
#[derive(Debug, Clone, Copy)]
pub struct NodePorts {
    /// The public TLS listener (HTTP/1.1 and HTTP/2).
    pub public: SocketAddr,
    /// The mTLS alias listener, when the sandbox has one.
    pub mtls: Option<SocketAddr>,
    /// The plain-HTTP admin listener (`/readyz` is the balancer's check).
    pub admin: SocketAddr,
}

/// What every node's file shares beyond the sandbox's.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The PostgreSQL URL (loopback, no password: the local server trusts
    /// loopback only).
    pub postgres_url: String,
    /// Connections in each node's pool.
    pub pool_size: usize,
    /// Whether the balancer sends a PROXY protocol v2 header first.
    pub proxy_protocol: bool,
    /// `[server] drain_delay_ms`; 0 leaves it out.
    pub drain_delay_ms: u64,
}

/// The node's TOML text: `sandbox_toml` (the file) with `ports`, `shared`
/// and the effective URLs of `effective` that the sandbox set in code (the
/// directory's and the device's, which follow their listen addresses).
pub fn node_toml(
    sandbox_toml: &str,
    effective: &ValidatedConfig,
    ports: &NodePorts,
    shared: &Shared,
) -> anyhow::Result<String> {
    let mut doc: Table = sandbox_toml.parse().context("the sandbox's fiducia.toml")?;
    let server = table(&mut doc, "server")?;
    server.insert("listen".into(), ports.public.to_string().into());
    match ports.mtls {
        Some(addr) => server.insert("mtls_listen".into(), addr.to_string().into()),
        None => server.remove("mtls_listen"),
    };
    // HTTP/3 (QUIC over UDP) is not balanced: HAProxy passes TCP through.
    server.insert("http3".into(), false.into());
    if shared.proxy_protocol {
        // Only the balancer on loopback sends a PROXY header, and must.
        server.insert(
            "proxy_protocol_from".into(),
            Value::Array(vec!["127.0.0.1".into()]),
        );
    }
    if shared.drain_delay_ms > 0 {
        let delay = i64::try_from(shared.drain_delay_ms).context("drain delay")?;
        server.insert("drain_delay_ms".into(), delay.into());
    }
    table(&mut doc, "admin")?.insert("listen".into(), ports.admin.to_string().into());

    let store = table(&mut doc, "store")?;
    store.clear();
    store.insert("backend".into(), "postgres".into());
    store.insert("postgres_url".into(), shared.postgres_url.clone().into());
    store.insert("postgres_sslmode".into(), "disable".into());
    let pool = i64::try_from(shared.pool_size).context("pool size")?;
    store.insert("postgres_pool_size".into(), pool.into());

    point_at_effective_urls(&mut doc, effective)?;
    toml::to_string(&doc).context("write the node's configuration")
}

/// Copies the directory and device URLs the sandbox set in code into the
/// file's entries (the same entries, in the same order).
fn point_at_effective_urls(doc: &mut Table, effective: &ValidatedConfig) -> anyhow::Result<()> {
    let config = effective.get();
    if let Some(Value::Table(registration)) = doc.get_mut("registration")
        && let Some(Value::Array(entries)) = registration.get_mut("trusted_directories")
    {
        for (entry, dir) in entries.iter_mut().zip(&config.registration.trusted_directories) {
            let Value::Table(entry) = entry else { continue };
            for (key, url) in [
                ("jwks_uri", &dir.jwks_uri),
                ("status_endpoint", &dir.status_endpoint),
                ("revocation_endpoint", &dir.revocation_endpoint),
            ] {
                if let Some(url) = url {
                    entry.insert(key.into(), url.clone().into());
                }
            }
        }
    }
    if config.ciba.enabled {
        table(doc, "ciba")?.insert(
            "device_notification_url".into(),
            config.ciba.device_notification_url.clone().into(),
        );
    }
    Ok(())
}

/// The table `name` of `doc`, made when missing.
fn table<'a>(doc: &'a mut Table, name: &str) -> anyhow::Result<&'a mut Table> {
    match doc.entry(name).or_insert_with(|| Value::Table(Table::new())) {
        Value::Table(t) => Ok(t),
        _ => Err(anyhow!("fiducia.toml: `{name}` is not a table")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(n: u16) -> NodePorts {
        NodePorts {
            public: SocketAddr::from(([127, 0, 0, 1], 18000 + n)),
            mtls: Some(SocketAddr::from(([127, 0, 0, 1], 18100 + n))),
            admin: SocketAddr::from(([127, 0, 0, 1], 18200 + n)),
        }
    }

    fn effective() -> ValidatedConfig {
        let text = crate::sandbox::loadtest::with_loadtest_clients(crate::sandbox::SANDBOX_TOML);
        let raw = crate::config::load_from_str(&text, Vec::new()).unwrap();
        crate::config::validate(raw, std::path::Path::new(".")).unwrap()
    }

    #[test]
    fn a_node_keeps_the_issuer_and_gets_its_own_listeners_and_the_shared_store() {
        let shared = Shared {
            postgres_url: "postgresql://fiducia@127.0.0.1:5999/fiducia".into(),
            pool_size: 8,
            proxy_protocol: false,
            drain_delay_ms: 0,
        };
        let text = node_toml(crate::sandbox::SANDBOX_TOML, &effective(), &ports(1), &shared).unwrap();
        let raw = crate::config::load_from_str(&text, Vec::new()).unwrap();
        assert_eq!(raw.server.issuer, "https://localhost:8443");
        assert_eq!(raw.server.listen, ports(1).public);
        assert_eq!(raw.server.mtls_listen, ports(1).mtls);
        assert_eq!(
            raw.server.mtls_base_url.as_deref(),
            Some("https://localhost:8444")
        );
        assert!(!raw.server.http3, "HTTP/3 is not balanced");
        assert_eq!(raw.admin.listen, ports(1).admin);
        assert_eq!(raw.store.backend, crate::config::StoreBackend::Postgres);
        assert_eq!(raw.store.postgres_pool_size, 8);
        assert!(!text.contains("proxy_protocol") && !text.contains("drain_delay_ms"));
        // The customers keep their passwords (the file's, not a redacted copy).
        assert_eq!(
            raw.login.seed_users.len(),
            effective().get().login.seed_users.len()
        );
        assert!(!text.contains("<redacted>"));
    }

    #[test]
    fn behind_a_proxy_protocol_balancer_only_loopback_may_send_the_header() {
        let shared = Shared {
            postgres_url: "postgresql://fiducia@127.0.0.1:5999/fiducia".into(),
            pool_size: 8,
            proxy_protocol: true,
            drain_delay_ms: 1500,
        };
        let text = node_toml(crate::sandbox::SANDBOX_TOML, &effective(), &ports(2), &shared).unwrap();
        let doc: Table = text.parse().unwrap();
        let server = doc["server"].as_table().unwrap();
        assert_eq!(
            server["proxy_protocol_from"].as_array().unwrap(),
            &vec![Value::from("127.0.0.1")]
        );
        assert!(
            !server.contains_key("trusted_proxies"),
            "no proxy's headers are trusted"
        );
        assert_eq!(server["drain_delay_ms"].as_integer(), Some(1500));
    }

    #[test]
    fn per_node_variables_are_not_inherited_and_the_rest_are() {
        assert!(per_node_env("FIDUCIA_SERVER__LISTEN"));
        assert!(per_node_env("FIDUCIA_STORE__PATH"));
        assert!(per_node_env("FIDUCIA_ADMIN__LISTEN"));
        assert!(!per_node_env("FIDUCIA_SERVER__ISSUER"));
        assert!(!per_node_env("FIDUCIA_TOKENS__ACCESS_TOKEN_TTL_SECS"));
    }
}
