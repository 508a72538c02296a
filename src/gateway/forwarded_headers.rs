//! Which header fields cross the gateway, in both directions (requests to
//! the bank API, responses to the fintech): the end-to-end ones only.
//!
//! Dropped: the hop-by-hop fields RFC 9110 §7.6.1 names, every field the
//! `Connection` header lists ("a proxy or gateway MUST parse a received
//! Connection header field before a message is forwarded and, for each
//! connection-option in this field, remove any header or trailer field(s)
//! from the message with the same name"), the client's credentials, and
//! any `x-fiducia-*` field (only the gateway sets those).

use super::trusted_headers::TRUSTED_PREFIX;
use http::HeaderMap;
use http::header::{CONNECTION, HeaderName};

/// Hop-by-hop fields (RFC 9110 §7.6.1) and the client's credentials,
/// which stop at the gateway.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "authorization",
    "dpop",
    "client-cert",
    "client-cert-chain",
];

/// Copies the end-to-end fields of `from` into `to`.
pub fn copy_end_to_end(from: &HeaderMap, to: &mut HeaderMap) {
    let named = connection_options(from);
    for (name, value) in from {
        let name_str = name.as_str();
        if NOT_FORWARDED.contains(&name_str) || name_str.starts_with(TRUSTED_PREFIX) || named.contains(name) {
            continue;
        }
        to.append(name.clone(), value.clone());
    }
}

/// The field names listed by every `Connection` field of `headers`
/// (RFC 9110 §7.6.1: `Connection = #connection-option`, case-insensitive).
/// An option that is not a field name names nothing to remove.
fn connection_options(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|option| HeaderName::from_bytes(option.trim().to_ascii_lowercase().as_bytes()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        map
    }

    #[test]
    fn fields_named_by_connection_are_not_forwarded_rfc9110_s7_6_1() {
        let from = headers(&[
            ("connection", "X-Hop, keep-alive"),
            ("connection", " x-other ,,"),
            ("x-hop", "1"),
            ("x-other", "2"),
            ("keep-alive", "timeout=5"),
            ("x-end-to-end", "3"),
            ("x-fiducia-client-id", "forged"),
            ("authorization", "DPoP t"),
        ]);
        let mut to = HeaderMap::new();
        copy_end_to_end(&from, &mut to);
        assert_eq!(to.len(), 1, "{to:?}");
        assert_eq!(to["x-end-to-end"], "3");
    }
}
