//! HTTP/1.1 over TLS (rustls), one kept-alive connection per origin and
//! certificate, as a fintech's HTTP client keeps them.

use anyhow::{Context, anyhow};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::Arc;

/// An `https` URL split the way a connection and a request need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `host:port` (port 443 when the URL has none).
    pub authority: String,
    /// The host, for SNI and certificate checks.
    pub host: String,
    /// Path and query, `/` at least.
    pub path: String,
}

impl Url {
    /// Parses an absolute `https` URL.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| anyhow!("not an https URL: {url}"))?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('?') => (&rest[..i], format!("/{}", &rest[i..])),
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6
                    .split_once(']')
                    .ok_or_else(|| anyhow!("bad IPv6 host in {url}"))?;
                (host, after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        let port: u16 = match port {
            Some(p) => p.parse().with_context(|| format!("bad port in {url}"))?,
            None => 443,
        };
        let host = host.to_string();
        let authority = match host.contains(':') {
            true => format!("[{host}]:{port}"),
            false => format!("{host}:{port}"),
        };
        Ok(Self {
            authority,
            host,
            path,
        })
    }

    /// `reference` resolved against this URL (RFC 3986 §5.2, as RFC 9110
    /// §10.2.2 asks of a relative `Location`): absolute `https` URLs,
    /// network-path (`//host/p`), absolute-path, query-only and relative-path
    /// references, dot segments removed (§5.2.4); the fragment is dropped,
    /// it is never sent. Other schemes are refused: every hop is https.
    pub fn join(&self, reference: &str) -> anyhow::Result<Self> {
        let reference = reference.trim();
        let reference = reference.split_once('#').map_or(reference, |(r, _)| r);
        if let Some(rest) = reference.strip_prefix("//") {
            return Self::parse(&format!("https://{rest}"));
        }
        if starts_with_ignore_case(reference, "https://") {
            return Self::parse(&format!("https://{}", &reference[8..]));
        }
        // RFC 3986 §3.1: a scheme is letters, digits, `+`, `-`, `.` before
        // the first `:`, and a relative path's first segment has no `:` (§4.2).
        let first_segment = reference.split(['/', '?']).next().unwrap_or_default();
        if first_segment.contains(':') {
            return Err(anyhow!("not an https URL: {reference}"));
        }
        let (base_path, base_query) = split_query(&self.path);
        let (ref_path, ref_query) = split_query(reference);
        let (path, query) = match ref_path {
            "" => (base_path.to_string(), ref_query.or(base_query)),
            p if p.starts_with('/') => (remove_dot_segments(p), ref_query),
            p => {
                // §5.2.3: the base path up to its last `/`, then the reference.
                let dir = base_path.rfind('/').map_or("/", |i| &base_path[..=i]);
                (remove_dot_segments(&format!("{dir}{p}")), ref_query)
            }
        };
        let path = match query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        Ok(Self {
            authority: self.authority.clone(),
            host: self.host.clone(),
            path,
        })
    }

    /// The path without the query (`/` at least).
    pub fn path_only(&self) -> &str {
        split_query(&self.path).0
    }

    /// The URL as a string (the port always written).
    pub fn to_absolute(&self) -> String {
        format!("https://{}{}", self.authority, self.path)
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// `path?query` split at the first `?`.
fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    }
}

/// RFC 3986 §5.2.4: `.` and `..` segments removed from an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => {
                if *segment == ".." {
                    out.pop();
                }
                // A trailing `.` or `..` leaves the path ending in `/`.
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// The TLS client configurations of a run.
pub struct TlsConfigs {
    /// No client certificate (the customer's browser, private_key_jwt).
    pub plain: Arc<ClientConfig>,
    /// With the client's transport certificate (RFC 8705), when configured.
    pub mtls: Option<Arc<ClientConfig>>,
}

impl TlsConfigs {
    /// Trusts `ca`; presents `cert`/`key` on mTLS connections. With
    /// `resume` false every handshake is a full one (no session tickets or IDs).
    pub fn load(ca: &Path, client: Option<(&Path, &Path)>, resume: bool) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in
            CertificateDer::pem_file_iter(ca).with_context(|| format!("cannot read CA {}", ca.display()))?
        {
            roots.add(cert.with_context(|| format!("bad certificate in {}", ca.display()))?)?;
        }
        let builder = || {
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .map(|b| b.with_root_certificates(roots.clone()))
        };
        let finish = |mut config: ClientConfig| {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            if !resume {
                config.resumption = rustls::client::Resumption::disabled();
            }
            Arc::new(config)
        };
        let plain = finish(builder()?.with_no_client_auth());
        let mtls = match client {
            Some((cert, key)) => {
                let chain = CertificateDer::pem_file_iter(cert)
                    .with_context(|| format!("cannot read {}", cert.display()))?
                    .collect::<Result<Vec<_>, _>>()?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .with_context(|| format!("cannot read {}", key.display()))?;
                Some(finish(builder()?.with_client_auth_cert(chain, key)?))
            }
            None => None,
        };
        Ok(Self { plain, mtls })
    }
}

/// The largest response body read (1 MiB): pages, discovery documents and
/// token responses are far smaller; a larger one fails its step.
pub const MAX_BODY: usize = 1 << 20;

/// One HTTP/1.1 connection over TLS.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    /// TCP connect, TLS handshake (with the certificate `tls` presents), HTTP/1.1.
    pub async fn connect(url: &Url, tls: Arc<ClientConfig>) -> anyhow::Result<Self> {
        Self::connect_to(&url.authority, url, tls).await
    }

    /// The same to `address` (`host:port`, a cluster node or balancer,
    /// `targets.rs`): TLS still names `url`'s host (SNI and the
    /// certificate check).
    pub async fn connect_to(address: &str, url: &Url, tls: Arc<ClientConfig>) -> anyhow::Result<Self> {
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .with_context(|| format!("connect {address}"))?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from(url.host.clone())?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .context("TLS handshake")?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when either side closes; the next send reports it.
            let _ = connection.await;
        });
        Ok(Self { sender })
    }

    /// Whether the connection can take another request.
    pub fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Sends `request` and reads the whole response.
    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> anyhow::Result<Response<Bytes>> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        // A hostile or broken server cannot make the generator hold more
        // than MAX_BODY per response.
        let body = http_body_util::Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| anyhow!("response body: {e}"))?
            .to_bytes();
        Ok(Response::from_parts(parts, body))
    }
}

/// `GET url` with `headers`.
pub fn get(url: &Url, headers: &[(&str, &str)]) -> anyhow::Result<Request<Full<Bytes>>> {
    build("GET", url, headers, Bytes::new())
}

/// `POST url` with a form body (`application/x-www-form-urlencoded`).
pub fn post_form(
    url: &Url,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> anyhow::Result<Request<Full<Bytes>>> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    build("POST", url, &all, Bytes::from(body))
}

fn build(
    method: &str,
    url: &Url,
    headers: &[(&str, &str)],
    body: Bytes,
) -> anyhow::Result<Request<Full<Bytes>>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(url.path.as_str())
        .header("host", url.authority.as_str());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    Ok(builder.body(Full::new(body))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_authority_host_and_path() {
        let u = Url::parse("https://localhost:8443/token").unwrap();
        assert_eq!(
            (u.authority.as_str(), u.host.as_str(), u.path.as_str()),
            ("localhost:8443", "localhost", "/token")
        );
        let u = Url::parse("https://op.example").unwrap();
        assert_eq!((u.authority.as_str(), u.path.as_str()), ("op.example:443", "/"));
        let u = Url::parse("https://op.example?a=b").unwrap();
        assert_eq!(u.path, "/?a=b");
        assert_eq!(u.join("/login/x").unwrap().path, "/login/x");
        assert_eq!(u.join("https://other:1/c").unwrap().authority, "other:1");
        assert!(Url::parse("http://insecure").is_err());
    }

    /// RFC 3986 §5.4.1's normal examples that stay https, against a base of
    /// `https://a/b/c/d;p?q` (RFC 9110 §10.2.2: a relative `Location` is
    /// resolved against the request's URI).
    #[test]
    fn references_resolve_as_rfc3986_section_5_4_1_says() {
        let base = Url::parse("https://a/b/c/d;p?q").unwrap();
        for (reference, expected) in [
            ("g", "https://a:443/b/c/g"),
            ("./g", "https://a:443/b/c/g"),
            ("g/", "https://a:443/b/c/g/"),
            ("/g", "https://a:443/g"),
            ("//g", "https://g:443/"),
            ("?y", "https://a:443/b/c/d;p?y"),
            ("g?y", "https://a:443/b/c/g?y"),
            ("#s", "https://a:443/b/c/d;p?q"),
            ("g#s", "https://a:443/b/c/g"),
            ("", "https://a:443/b/c/d;p?q"),
            (".", "https://a:443/b/c/"),
            ("./", "https://a:443/b/c/"),
            ("..", "https://a:443/b/"),
            ("../g", "https://a:443/b/g"),
            ("../..", "https://a:443/"),
            ("../../g", "https://a:443/g"),
            ("../../../g", "https://a:443/g"),
            ("/./g", "https://a:443/g"),
            ("g;x=1/../y", "https://a:443/b/c/y"),
            ("HTTPS://Other:8/x", "https://Other:8/x"),
        ] {
            assert_eq!(
                base.join(reference).unwrap().to_absolute(),
                expected,
                "{reference:?}"
            );
        }
        assert!(base.join("http://a/insecure").is_err());
        assert!(base.join("javascript:alert(1)").is_err());
        assert_eq!(base.path_only(), "/b/c/d;p");
    }
}
