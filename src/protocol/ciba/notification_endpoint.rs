//! The client's `backchannel_client_notification_endpoint` (CIBA Core §4):
//! "This URL MUST use the https scheme". The OP calls it from inside the
//! bank, so it must also not point back inside: no loopback, private,
//! link-local or otherwise non-public address literal and no local-only
//! name (`localhost`, `*.local`, `*.internal`, single-label names), unless
//! the sandbox allows them (`allow_private`). A name that resolves to such
//! an address is the outbound client's to refuse at connection time, with
//! [`is_public_ip`] (`protocol::public_address`; DNS can change after
//! registration).

use crate::protocol::error::{ErrorCode, OAuthError};
pub use crate::protocol::public_address::is_public as is_public_ip;
use std::net::{IpAddr, Ipv6Addr};

/// Longest endpoint URL accepted.
pub const MAX_ENDPOINT_LEN: usize = 2048;

/// Name suffixes that only resolve inside a network (RFC 6761 §6.3
/// `localhost`, RFC 6762 `local`, RFC 8375 `home.arpa`, ICANN's `internal`).
const LOCAL_SUFFIXES: [&str; 5] = ["localhost", "local", "internal", "home.arpa", "localdomain"];

/// The host of a checked endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointHost {
    /// A DNS name (lower case).
    Name(String),
    /// An address literal.
    Ip(IpAddr),
}

/// A checked notification endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationEndpoint {
    /// The URL as registered.
    pub url: String,
    /// Its host.
    pub host: EndpointHost,
}

fn invalid(why: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, why)
}

/// CIBA Core §4: checks `url` as a notification endpoint; `allow_private`
/// admits loopback and private hosts (sandbox only).
pub fn check_notification_endpoint(
    url: &str,
    allow_private: bool,
) -> Result<NotificationEndpoint, OAuthError> {
    if url.len() > MAX_ENDPOINT_LEN || url.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(invalid(
            "backchannel_client_notification_endpoint must be a URL of printable ASCII (RFC 3986)",
        ));
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(invalid(
            "backchannel_client_notification_endpoint must use https (CIBA Core §4)",
        ));
    };
    if url.contains('#') {
        return Err(invalid(
            "backchannel_client_notification_endpoint must not have a fragment",
        ));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(invalid(
            "backchannel_client_notification_endpoint must not carry user information",
        ));
    }
    let (host, port) = split_host_port(authority)
        .ok_or_else(|| invalid("backchannel_client_notification_endpoint has no valid host and port"))?;
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || p.parse::<u16>().map_or(true, |n| n == 0)) {
        return Err(invalid(
            "backchannel_client_notification_endpoint has an invalid port",
        ));
    }
    let host = match host.parse::<IpAddr>() {
        Ok(ip) => EndpointHost::Ip(ip),
        Err(_) if is_dns_name(host) => EndpointHost::Name(host.to_ascii_lowercase()),
        Err(_) => {
            return Err(invalid(
                "backchannel_client_notification_endpoint has an invalid host",
            ));
        }
    };
    let private = match &host {
        EndpointHost::Ip(ip) => !is_public_ip(*ip),
        EndpointHost::Name(name) => is_local_name(name),
    };
    if private && !allow_private {
        return Err(invalid(
            "backchannel_client_notification_endpoint must be a public host, not loopback or private",
        ));
    }
    Ok(NotificationEndpoint {
        url: url.to_string(),
        host,
    })
}

/// `host[:port]` or `[v6][:port]`.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        host.parse::<Ipv6Addr>().ok()?;
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    (!host.is_empty()).then_some((host, port))
}

/// RFC 1123 §2.1 host names: labels of letters, digits and hyphens, not
/// starting or ending with a hyphen, at most 63 characters each.
fn is_dns_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Names that only resolve inside a network: single-label ones (search
/// domains) and the local-use suffixes.
fn is_local_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.contains('.')
        || LOCAL_SUFFIXES
            .iter()
            .any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        check_notification_endpoint(url, false).is_err_and(|e| e.code == ErrorCode::InvalidClientMetadata)
    }

    /// CIBA Core §4: an https URL of a public host.
    #[test]
    fn https_public_endpoints_are_accepted_ciba_core_s4() {
        let ok = check_notification_endpoint("https://rp.example.com/ciba/notify?x=1", false).unwrap();
        assert_eq!(ok.host, EndpointHost::Name("rp.example.com".into()));
        let port = check_notification_endpoint("https://RP.example.com:8443/cb", false).unwrap();
        assert_eq!(port.host, EndpointHost::Name("rp.example.com".into()));
        let ip = check_notification_endpoint("https://8.8.8.8/cb", false).unwrap();
        assert_eq!(ip.host, EndpointHost::Ip("8.8.8.8".parse().unwrap()));
        assert!(check_notification_endpoint("https://[2606:4700::1111]:443/cb", false).is_ok());
    }

    /// CIBA Core §4: "MUST use the https scheme"; no fragment, no user info.
    #[test]
    fn only_https_without_fragment_or_userinfo_ciba_core_s4() {
        for bad in [
            "http://rp.example.com/cb",
            "HTTPS://rp.example.com/cb",
            "rp.example.com/cb",
            "https://rp.example.com/cb#frag",
            "https://user:pw@rp.example.com/cb",
            "https:///cb",
            "https://rp.example.com:0/cb",
            "https://rp.example.com:99999/cb",
            "https://rp.example.com:x/cb",
            "https://rp_example.com/cb",
            "https://rp.example.com/c b",
            "https://[::1/cb",
        ] {
            assert!(refused(bad), "{bad}");
        }
        assert!(refused(&format!("https://rp.example.com/{}", "a".repeat(2048))));
    }

    /// No loopback, private or local-only host unless the sandbox allows it.
    #[test]
    fn private_and_loopback_hosts_need_the_sandbox_setting() {
        for private in [
            "https://localhost/cb",
            "https://api.localhost:8443/cb",
            "https://printer.local/cb",
            "https://svc.internal/cb",
            "https://intranet/cb",
            "https://127.0.0.1/cb",
            "https://10.1.2.3/cb",
            "https://172.16.0.1/cb",
            "https://192.168.1.1/cb",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/cb",
            "https://0.0.0.0/cb",
            "https://[::1]/cb",
            "https://[fd00::1]/cb",
            "https://[fe80::1]/cb",
            "https://[::ffff:127.0.0.1]/cb",
            "https://[64:ff9b::a00:1]/cb",
        ] {
            assert!(refused(private), "{private}");
            assert!(check_notification_endpoint(private, true).is_ok(), "{private}");
        }
    }

    #[test]
    fn public_ip_classification() {
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public_ip(public.parse().unwrap()), "{public}");
        }
        for private in [
            "127.0.0.2",
            "10.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "ff02::1",
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public_ip(private.parse().unwrap()), "{private}");
        }
    }
}
