//! The client's address behind a trusted proxy: RFC 7239 `Forwarded`
//! (`for=`), else the de-facto `X-Forwarded-For`, believed only from a peer
//! in `server.trusted_proxies`; from anyone else both are ignored and the
//! TCP/UDP peer is the client (a client can write any header it likes).
//!
//! A proxy appends the address it received the request from, so the list
//! is read from the right: the first address that is not itself a trusted
//! proxy is the client. An entry that is not an IP address (RFC 7239 §6.3
//! obfuscated identifiers, `unknown`) ends the walk at the proxy that wrote
//! it: its address stands for the client.

use http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The most list entries read (a proxy chain longer than this is not ours).
const MAX_ENTRIES: usize = 16;

/// The client's address for a request from `peer` with `headers`.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = entries(headers, "forwarded", forwarded_for);
    let entries = match forwarded.is_empty() {
        false => forwarded,
        true => entries(headers, "x-forwarded-for", |e| Some(e.trim().to_string())),
    };
    let mut client = peer;
    for entry in entries.iter().rev().take(MAX_ENTRIES) {
        let Some(address) = parse_node(entry) else {
            return client;
        };
        client = address;
        if !trusted_proxies.contains(&address) {
            return address;
        }
    }
    client
}

/// The comma-separated entries of every `name` header, in order, each
/// mapped by `pick` (entries it refuses are kept as empty: they still end
/// the walk).
fn entries(headers: &HeaderMap, name: &str, pick: impl Fn(&str) -> Option<String>) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|e| pick(e).unwrap_or_default())
        .collect()
}

/// The `for` parameter of one RFC 7239 §4 `forwarded-element`.
fn forwarded_for(element: &str) -> Option<String> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

/// An RFC 7239 §6 node (`192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]`,
/// `[2001:db8::1]:443`) or a bare IPv6 address as X-Forwarded-For writes it.
fn parse_node(node: &str) -> Option<IpAddr> {
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            node.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    const PROXY: &str = "10.0.0.1";

    fn addr(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Only a trusted proxy may name the client; anyone else is the client.
    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[("x-forwarded-for", "192.0.2.7"), ("forwarded", "for=192.0.2.8")]);
        assert_eq!(
            client_address(addr("198.51.100.1"), &h, &[addr(PROXY)]),
            addr("198.51.100.1")
        );
        assert_eq!(client_address(addr(PROXY), &h, &[]), addr(PROXY));
    }

    /// RFC 7239 §4 and §6: `for=` in its forms, read from the right,
    /// skipping trusted proxies; `Forwarded` before `X-Forwarded-For`.
    #[test]
    fn the_rightmost_untrusted_address_is_the_client_rfc7239_s4() {
        let trusted = [addr(PROXY), addr("10.0.0.2")];
        let cases = [
            (vec![("forwarded", "for=192.0.2.60;proto=https")], "192.0.2.60"),
            (
                vec![("forwarded", "for=\"[2001:db8:cafe::17]:4711\"")],
                "2001:db8:cafe::17",
            ),
            (
                vec![("forwarded", "for=203.0.113.9, for=192.0.2.43:80")],
                "192.0.2.43",
            ),
            (vec![("forwarded", "for=192.0.2.43, for=10.0.0.2")], "192.0.2.43"),
            (
                vec![("x-forwarded-for", "203.0.113.9, 198.51.100.17")],
                "198.51.100.17",
            ),
            (vec![("x-forwarded-for", "2001:db8::1")], "2001:db8::1"),
            (
                vec![("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=192.0.2.1")],
                "192.0.2.1",
            ),
            // RFC 7239 §6.3: an obfuscated identifier stands for no address:
            // the proxy that wrote it is the best we know.
            (vec![("forwarded", "for=_hidden, for=10.0.0.2")], "10.0.0.2"),
            (vec![("forwarded", "for=unknown")], PROXY),
            (vec![], PROXY),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                client_address(addr(PROXY), &headers(&pairs), &trusted),
                addr(expected),
                "{pairs:?}"
            );
        }
    }
}
