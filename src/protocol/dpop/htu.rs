//! `htu` comparison (RFC 9449 §4.3 item 9): the proof's `htu` and the
//! request's URI, both without query and fragment, after RFC 3986
//! syntax-based (§6.2.2) and scheme-based (§6.2.3) normalization, as
//! RFC 9449 §4.3 recommends:
//!
//! - scheme and host lowercased (§6.2.2.1); only `http` and `https`;
//! - the port dropped when it is the scheme's default, `:` with no port too (§6.2.3);
//! - an empty path is `/` (§6.2.3);
//! - percent-encodings with uppercase hex, unreserved characters decoded (§6.2.2.1-2);
//! - `.` and `..` segments removed (§6.2.2.3, §5.2.4).
//!
//! Userinfo is refused: an `htu` has no business carrying credentials.

/// The normalized form of an absolute `http(s)` URI without query and
/// fragment, or `None` if it is not one.
pub(super) fn normalize(uri: &str) -> Option<String> {
    let uri = uri.split(['#', '?']).next()?;
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let host_and_port = normalize_authority(authority, default_port)?;
    let path = remove_dot_segments(&normalize_percent_encoding(path)?);
    let path = if path.is_empty() { "/" } else { &path };
    Some(format!("{scheme}://{host_and_port}{path}"))
}

fn normalize_authority(authority: &str, default_port: u16) -> Option<String> {
    if authority.is_empty() || authority.contains('@') || authority.chars().any(char::is_whitespace) {
        return None;
    }
    // An IPv6 literal's colons are inside the brackets.
    let port_colon = match authority.rfind(']') {
        Some(bracket) => authority[bracket..].find(':').map(|i| bracket + i),
        None => authority.rfind(':'),
    };
    let (host, port) = match port_colon {
        Some(colon) => (&authority[..colon], &authority[colon + 1..]),
        None => (authority, ""),
    };
    if host.is_empty() {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let port = if port.is_empty() {
        default_port
    } else if port.bytes().all(|b| b.is_ascii_digit()) {
        port.parse::<u16>().ok()?
    } else {
        return None;
    };
    Some(if port == default_port {
        host
    } else {
        format!("{host}:{port}")
    })
}

/// Uppercase hex in every `%XX`, and unreserved characters decoded
/// (RFC 3986 §2.3, §6.2.2.2). A `%` not followed by two hex digits is malformed.
fn normalize_percent_encoding(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            // Non-ASCII is not valid in a URI; keep it, comparison stays exact.
            let ch = path[i..].chars().next()?;
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let hex = path
            .get(i + 1..i + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
        let byte = u8::from_str_radix(hex, 16).ok()?;
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push_str(&hex.to_ascii_uppercase());
        }
        i += 3;
    }
    Some(out)
}

/// RFC 3986 §5.2.4, on an absolute path (or the empty path).
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (index, segment) in segments.iter().enumerate() {
        match *segment {
            "." => trailing_slash = index == last,
            ".." => {
                output.pop();
                trailing_slash = index == last;
            }
            other => {
                output.push(other);
                trailing_slash = false;
            }
        }
    }
    if path.is_empty() {
        return String::new();
    }
    let mut normalized = String::with_capacity(path.len());
    for segment in &output {
        normalized.push('/');
        normalized.push_str(segment);
    }
    if trailing_slash || normalized.is_empty() {
        normalized.push('/');
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn equivalent_forms_normalize_alike_rfc3986_s6_2_2_s6_2_3() {
        let canonical = normalize("https://as.example/token").unwrap();
        for same in [
            "https://as.example/token",
            "HTTPS://AS.Example/token",
            "https://as.example:443/token",
            "https://as.example:/token",
            "https://as.example/token?x=1",
            "https://as.example/token#frag",
            "https://as.example/%74oken",
            "https://as.example/a/../token",
            "https://as.example/./token",
        ] {
            assert_eq!(normalize(same).as_deref(), Some(canonical.as_str()), "{same}");
        }
        assert_eq!(
            normalize("https://as.example").as_deref(),
            Some("https://as.example/")
        );
        assert_eq!(
            normalize("http://as.example:80/x").as_deref(),
            Some("http://as.example/x")
        );
        assert_eq!(
            normalize("https://[::1]:443/x").as_deref(),
            Some("https://[::1]/x")
        );
        assert_eq!(
            normalize("https://[::1]:8443/x").as_deref(),
            Some("https://[::1]:8443/x")
        );
        assert_eq!(
            normalize("https://a.example/a%2fb").as_deref(),
            Some("https://a.example/a%2Fb")
        );
        assert_eq!(
            normalize("https://a.example/x/").as_deref(),
            Some("https://a.example/x/")
        );
    }

    #[test]
    fn different_uris_stay_different_rfc9449_s4_3() {
        let token = normalize("https://as.example/token");
        for other in [
            "https://as.example/Token",
            "https://as.example:8443/token",
            "http://as.example/token",
            "https://as.example/token/",
            "https://other.example/token",
        ] {
            assert_ne!(normalize(other), token, "{other}");
        }
        for bad in [
            "as.example/token",
            "ftp://as.example/x",
            "https://user@as.example/x",
            "https:///x",
            "https://a/%zz",
            "https://a:99999/",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
