//! Where connections go: the issuer's own address, or a cluster of OP
//! nodes (or one balancer) named with `--target`. Each new connection goes
//! to the next address in turn, at the port of the URL it is for (an OP's
//! mTLS aliases may listen on another port, RFC 8705 §5), while TLS still
//! names the issuer's host (SNI, certificate check) and every request keeps
//! the issuer's `Host`, `htu` and `aud`: the nodes serve one issuer.

use crate::http::Url;
use anyhow::anyhow;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The addresses connections are spread over, round-robin per connection.
#[derive(Debug, Default)]
pub struct Targets {
    /// Hosts (names or IP addresses, IPv6 in brackets), no ports.
    hosts: Vec<String>,
    next: AtomicUsize,
    /// Connections dialled per host, in `hosts`' order.
    dialled: Vec<AtomicU64>,
}

impl Targets {
    /// `hosts` as given on the command line; none means the issuer's own
    /// addresses. A host with a port, a scheme or a path is refused: the
    /// port is the URL's (the issuer's, or its mTLS alias's).
    pub fn new(hosts: &[String]) -> anyhow::Result<Self> {
        let hosts = hosts
            .iter()
            .map(|h| host(h))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            dialled: hosts.iter().map(|_| AtomicU64::new(0)).collect(),
            hosts,
            next: AtomicUsize::new(0),
        })
    }

    /// How many addresses there are (0: the issuer's own).
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// Connections dialled so far per host (none without targets): how
    /// evenly a run reached the nodes.
    pub fn dialled(&self) -> std::collections::BTreeMap<String, u64> {
        self.hosts
            .iter()
            .zip(&self.dialled)
            .map(|(h, n)| (h.clone(), n.load(Ordering::Relaxed)))
            .collect()
    }

    /// The `host:port` a new connection for `url` dials: the next target at
    /// `url`'s port, or `url`'s own authority without targets.
    pub fn address(&self, url: &Url) -> String {
        if self.hosts.is_empty() {
            return url.authority.clone();
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.hosts.len();
        if let Some(n) = self.dialled.get(i) {
            n.fetch_add(1, Ordering::Relaxed);
        }
        let port = url.authority.rsplit_once(':').map_or("443", |(_, p)| p);
        format!("{}:{port}", self.hosts[i])
    }
}

/// One `--target`: a host name, an IPv4 address, or an IPv6 address (bare
/// or in brackets; bracketed in the result).
fn host(given: &str) -> anyhow::Result<String> {
    let h = given.trim();
    let refuse = |why: &str| anyhow!("--target {given:?}: {why}");
    if h.is_empty() {
        return Err(refuse("empty"));
    }
    if h.contains("://") || h.contains('/') || h.contains('?') || h.contains('@') {
        return Err(refuse("give a host or IP address, not a URL"));
    }
    if let Some(inner) = h.strip_prefix('[') {
        return match inner.strip_suffix(']') {
            Some(v6) if v6.parse::<std::net::Ipv6Addr>().is_ok() => Ok(h.to_string()),
            _ => Err(refuse("a bracketed host must be an IPv6 address without a port")),
        };
    }
    if h.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(format!("[{h}]"));
    }
    if h.contains(':') {
        return Err(refuse(
            "no port: each connection keeps the port of the issuer's URL it is for",
        ));
    }
    if !h
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(refuse("not a host name or IP address"));
    }
    Ok(h.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(hosts: &[&str]) -> anyhow::Result<Targets> {
        Targets::new(&hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn connections_go_round_robin_at_the_urls_port() {
        let t = targets(&["10.0.0.1", "op-2.internal", "::1"]).unwrap();
        let token = Url::parse("https://op.example/token").unwrap();
        let mtls = Url::parse("https://mtls.op.example:8444/token").unwrap();
        let dialled: Vec<String> = [&token, &mtls, &token, &mtls]
            .iter()
            .map(|u| t.address(u))
            .collect();
        assert_eq!(
            dialled,
            ["10.0.0.1:443", "op-2.internal:8444", "[::1]:443", "10.0.0.1:8444"]
        );
        // The URL itself (its host, for SNI and Host) is untouched.
        assert_eq!(token.host, "op.example");
        let dialled: Vec<(String, u64)> = t.dialled().into_iter().collect();
        assert_eq!(
            dialled,
            [
                ("10.0.0.1".to_string(), 2),
                ("[::1]".to_string(), 1),
                ("op-2.internal".to_string(), 1)
            ]
        );
    }

    #[test]
    fn without_targets_the_urls_own_address_is_dialled() {
        let t = targets(&[]).unwrap();
        assert!(t.is_empty());
        let url = Url::parse("https://localhost:8443/par").unwrap();
        assert_eq!(t.address(&url), "localhost:8443");
    }

    #[test]
    fn a_target_is_a_host_without_port_scheme_or_path() {
        assert_eq!(
            targets(&["[::1]"])
                .unwrap()
                .address(&Url::parse("https://a:1/").unwrap()),
            "[::1]:1"
        );
        for bad in [
            "",
            "10.0.0.1:8443",
            "https://op-1",
            "op-1/x",
            "[::1]:443",
            "a b",
            "u@h",
        ] {
            let e = targets(&[bad]).err().map(|e| e.to_string());
            assert!(
                e.as_deref().is_some_and(|e| e.starts_with("--target")),
                "{bad}: {e:?}"
            );
        }
    }
}
