//! The OP listener over real TLS: discovery over HTTP/1.1, HTTP/2 and HTTP/3,
//! the shared request rules (body limit, duplicate parameters, unknown routes,
//! no-store, interaction id) and client certificates reaching handlers.

use super::support::*;
use bytes::Bytes;
use fiducia::http::client_cert::to_header_value;
use fiducia::http::{Handler, HandlerFuture, RequestContext, Transport};
use fiducia::protocol::client_cert::x5t_s256;
use fiducia::server;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use std::sync::Arc;

const H2_H1: &[&[u8]] = &[b"h2", b"http/1.1"];

/// OIDC Discovery §4 over each HTTP version; Alt-Svc advertises HTTP/3 (RFC 7838).
#[tokio::test]
async fn discovery_is_served_over_http1_http2_and_http3() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    for version in [Version::Http1, Version::Http2] {
        let response = send(
            handle.main_addr,
            client_tls(&pki, false, H2_H1),
            version,
            get("/.well-known/openid-configuration"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{version:?}");
        let expected = match version {
            Version::Http1 => http::Version::HTTP_11,
            Version::Http2 => http::Version::HTTP_2,
        };
        assert_eq!(response.version(), expected);
        let metadata = json(response.body());
        assert_eq!(metadata["issuer"], "https://localhost:8443");
        assert_eq!(metadata["jwks_uri"], "https://localhost:8443/jwks");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let port = handle.h3_addr.unwrap().port();
        assert_eq!(
            response.headers()["alt-svc"],
            format!("h3=\":{port}\"; ma=86400").as_str()
        );
    }
    let h3_addr = handle.h3_addr.expect("HTTP/3 is on by default");
    assert_eq!(
        h3_addr.port(),
        handle.main_addr.port(),
        "HTTP/3 uses the same port number"
    );
    let request = Request::get("https://localhost/.well-known/openid-configuration")
        .body(())
        .unwrap();
    let response = send_h3(h3_addr, client_tls(&pki, false, &[b"h3"]), request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response.body())["issuer"], "https://localhost:8443");
    assert!(response.headers().get("alt-svc").is_none());
    handle.shutdown().await;
}

/// RFC 9110 §9.3.2: HEAD answers like GET without content, on every version.
#[tokio::test]
async fn head_has_no_content_on_any_version() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let head = || {
        Request::head("https://localhost/jwks")
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let get_len = send(
        handle.main_addr,
        client_tls(&pki, false, H2_H1),
        Version::Http2,
        get("/jwks"),
    )
    .await
    .body()
    .len();
    for version in [Version::Http1, Version::Http2] {
        let response = send(handle.main_addr, client_tls(&pki, false, H2_H1), version, head()).await;
        assert_eq!(response.status(), StatusCode::OK, "{version:?}");
        assert!(response.body().is_empty(), "{version:?}");
        assert_eq!(response.headers()["content-length"], get_len.to_string().as_str());
    }
    handle.shutdown().await;
}

/// RFC 7517: the JWKS holds public members only.
#[tokio::test]
async fn jwks_has_public_keys_only() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let response = send(
        handle.main_addr,
        client_tls(&pki, false, H2_H1),
        Version::Http2,
        get("/jwks"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/jwk-set+json");
    let jwks = json(response.body());
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["alg"], "ES256");
    assert!(key.get("d").is_none(), "private member in JWKS: {key}");
    assert_eq!(
        key["kid"].as_str().unwrap().len(),
        43,
        "RFC 7638 SHA-256 thumbprint"
    );
    handle.shutdown().await;
}

/// RFC 6749 §3.1: a repeated parameter is refused with invalid_request.
#[tokio::test]
async fn duplicate_parameter_is_invalid_request() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let body = "grant_type=client_credentials&scope=a&scope=b";
    let response = send(
        handle.main_addr,
        client_tls(&pki, false, H2_H1),
        Version::Http1,
        post_form("/token", body),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = json(response.body());
    assert_eq!(error["error"], "invalid_request");
    assert!(error["error_description"].as_str().unwrap().contains("scope"));
    assert_eq!(response.headers()["cache-control"], "no-store");
    handle.shutdown().await;
}

/// RFC 9110 §15.5.14: a body over `server.max_body_bytes` gets 413, whether
/// declared up front or streamed without a length (HTTP/2).
#[tokio::test]
async fn oversize_body_is_413() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("max_body_bytes = 1024")).await.unwrap();
    let body = format!("grant_type=client_credentials&pad={}", "x".repeat(2000));
    for version in [Version::Http1, Version::Http2] {
        let response = send(
            handle.main_addr,
            client_tls(&pki, false, H2_H1),
            version,
            post_form("/token", &body),
        )
        .await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{version:?}");
        assert_eq!(json(response.body())["error"], "request_too_large");
    }
    handle.shutdown().await;
}

/// RFC 6585 §5: an HTTP/1.1 request head over the read buffer
/// (`http::limits::HTTP1_MAX_BUF_BYTES`) gets 431, whether one huge field
/// or endless small ones; a head just under it is served. Found by the
/// hostile campaign (docs/RELIABILITY.md): hyper's default buffer let a
/// 256 KiB field through.
#[tokio::test]
async fn an_oversized_http1_head_gets_431() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let status_of = |head: String| {
        let tls = client_tls(&pki, false, &[b"http/1.1"]);
        let addr = handle.main_addr;
        async move {
            let mut stream = tls_connect(addr, tls).await.unwrap();
            // The server may answer and close before it read everything.
            let _ = stream.write_all(head.as_bytes()).await;
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer).await;
            String::from_utf8_lossy(&answer)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        }
    };
    let request = |headers: &str| {
        format!(
            "GET /.well-known/openid-configuration HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n{headers}\r\n"
        )
    };
    let huge = format!("x-padding: {}\r\n", "a".repeat(256 * 1024));
    assert!(status_of(request(&huge)).await.starts_with("HTTP/1.1 431"));
    let endless: String = (0..20_000).map(|i| format!("x-h{i}: v\r\n")).collect();
    assert!(status_of(request(&endless)).await.starts_with("HTTP/1.1 431"));
    let fitting = format!("x-padding: {}\r\n", "a".repeat(12 * 1024));
    assert!(status_of(request(&fitting)).await.starts_with("HTTP/1.1 200"));
    handle.shutdown().await;
}

/// Unknown routes get a JSON 404, known routes with a wrong method a 405 with Allow.
#[tokio::test]
async fn unknown_route_is_json_404_and_wrong_method_405() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let tls = client_tls(&pki, false, H2_H1);
    let response = send(
        handle.main_addr,
        tls.clone(),
        Version::Http1,
        get("/no/such/thing"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(json(response.body())["error"], "not_found");
    let response = send(handle.main_addr, tls, Version::Http1, get("/token")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    handle.shutdown().await;
}

/// RFC 6749 §3.2 / §5.2: the token endpoint wants a form and a known grant type.
#[tokio::test]
async fn token_endpoint_request_rules() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let tls = client_tls(&pki, false, H2_H1);
    let json_body = Request::post("https://localhost/token")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap();
    let response = send(handle.main_addr, tls.clone(), Version::Http1, json_body).await;
    assert_eq!(json(response.body())["error"], "invalid_request");
    let response = send(
        handle.main_addr,
        tls.clone(),
        Version::Http1,
        post_form("/token", "grant_type=password"),
    )
    .await;
    assert_eq!(json(response.body())["error"], "unsupported_grant_type");
    let response = send(
        handle.main_addr,
        tls,
        Version::Http1,
        post_form("/token", "grant_type=authorization_code&client_id=nobody"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(response.body())["error"], "invalid_client");
    handle.shutdown().await;
}

/// FAPI: `x-fapi-interaction-id` is echoed, or created when absent.
#[tokio::test]
async fn interaction_id_is_echoed_or_created() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let tls = client_tls(&pki, false, H2_H1);
    let id = "93bac548-d2de-4546-b106-880a5018460d";
    let mut request = get("/jwks");
    request
        .headers_mut()
        .insert("x-fapi-interaction-id", id.parse().unwrap());
    let response = send(handle.main_addr, tls.clone(), Version::Http2, request).await;
    assert_eq!(response.headers()["x-fapi-interaction-id"], id);
    let response = send(handle.main_addr, tls, Version::Http2, get("/jwks")).await;
    let created = response.headers()["x-fapi-interaction-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(created).is_ok(), "{created}");
    handle.shutdown().await;
}

/// A handler that reports what the transport told it about the client certificate.
struct CertEcho;

impl Handler for CertEcho {
    fn handle<'a>(&'a self, _request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        let body = serde_json::json!({
            "x5t#S256": context.client_cert.as_ref().map(|c| c.x5t_s256().to_string()),
            "source": context.client_cert.as_ref().map(|c| format!("{:?}", c.source())),
            "chain_verified": context.client_cert.as_ref().map(|c| c.chain_verified()),
            "http3": context.transport == Transport::Http3,
        });
        Box::pin(async move { Response::new(Bytes::from(body.to_string())) })
    }
}

/// RFC 8705 §3.1: the certificate's thumbprint reaches the handler, over TCP
/// and QUIC; a request without a certificate is still served.
#[tokio::test]
async fn client_certificate_thumbprint_reaches_handler() {
    let pki = TestPki::new();
    let handle = server::start_with(pki.config(""), |_| Arc::new(CertEcho))
        .await
        .unwrap();
    let expected = x5t_s256(&pki.client_leaf_der());
    for version in [Version::Http1, Version::Http2] {
        let response = send(handle.main_addr, client_tls(&pki, true, H2_H1), version, get("/")).await;
        let echo = json(response.body());
        assert_eq!(echo["x5t#S256"], expected.as_str(), "{version:?}");
        assert_eq!(echo["source"], "Tls");
        assert_eq!(echo["chain_verified"], true, "issued by the configured client CA");
        let response = send(
            handle.main_addr,
            client_tls(&pki, false, H2_H1),
            version,
            get("/"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(json(response.body())["x5t#S256"].is_null());
    }
    let request = Request::get("https://localhost/").body(()).unwrap();
    let response = send_h3(handle.h3_addr.unwrap(), client_tls(&pki, true, &[b"h3"]), request).await;
    let echo = json(response.body());
    assert_eq!(echo["x5t#S256"], expected.as_str());
    assert_eq!(echo["http3"], true);
    handle.shutdown().await;
}

/// RFC 9440: the `Client-Cert` header counts only from a trusted proxy.
#[tokio::test]
async fn client_cert_header_is_trusted_only_from_configured_proxies() {
    let pki = TestPki::new();
    let leaf = pki.client_leaf_der();
    let header = to_header_value(&leaf);
    let request = || {
        let mut r = get("/");
        r.headers_mut().insert("client-cert", header.parse().unwrap());
        r
    };
    let trusted = server::start_with(pki.config("trusted_proxies = [\"127.0.0.1\"]"), |_| {
        Arc::new(CertEcho)
    })
    .await
    .unwrap();
    let echo = json(
        send(
            trusted.main_addr,
            client_tls(&pki, false, H2_H1),
            Version::Http1,
            request(),
        )
        .await
        .body(),
    );
    assert_eq!(echo["x5t#S256"], x5t_s256(&leaf).as_str());
    assert_eq!(echo["source"], "ProxyHeader");
    assert_eq!(
        echo["chain_verified"], true,
        "the leaf alone chains to the client CA"
    );
    let mut bad = get("/");
    bad.headers_mut()
        .insert("client-cert", ":bm90IGEgY2VydA==:".parse().unwrap());
    let response = send(
        trusted.main_addr,
        client_tls(&pki, false, H2_H1),
        Version::Http1,
        bad,
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Issue 18 item 11: a trusted proxy that presents its own TLS client
    // certificate and forwards no `Client-Cert` header passes no client
    // certificate at all; its own is never taken for the client's (a token
    // bound to it would serve every client behind the proxy).
    let echo = json(
        send(
            trusted.main_addr,
            client_tls(&pki, true, H2_H1),
            Version::Http1,
            get("/"),
        )
        .await
        .body(),
    );
    assert!(
        echo["x5t#S256"].is_null(),
        "a trusted proxy's own certificate is not the client's: {echo}"
    );
    // With the header, the header's certificate counts, not the proxy's.
    let echo = json(
        send(
            trusted.main_addr,
            client_tls(&pki, true, H2_H1),
            Version::Http2,
            request(),
        )
        .await
        .body(),
    );
    assert_eq!(echo["source"], "ProxyHeader");
    trusted.shutdown().await;

    let untrusted = server::start_with(pki.config(""), |_| Arc::new(CertEcho))
        .await
        .unwrap();
    let echo = json(
        send(
            untrusted.main_addr,
            client_tls(&pki, false, H2_H1),
            Version::Http1,
            request(),
        )
        .await
        .body(),
    );
    assert!(
        echo["x5t#S256"].is_null(),
        "header from an untrusted peer must be ignored: {echo}"
    );
    untrusted.shutdown().await;
}

/// RFC 8705 §5: the alias listener requires a certificate and is advertised.
#[tokio::test]
async fn mtls_alias_listener_requires_a_certificate() {
    let pki = TestPki::new();
    let config = pki.config("mtls_listen = \"127.0.0.1:0\"\nmtls_base_url = \"https://localhost:8444\"");
    let handle = server::start(config).await.unwrap();
    let mtls = handle.mtls_addr.unwrap();
    let response = send(
        mtls,
        client_tls(&pki, true, H2_H1),
        Version::Http2,
        get("/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let metadata = json(response.body());
    assert_eq!(
        metadata["mtls_endpoint_aliases"]["token_endpoint"],
        "https://localhost:8444/token"
    );
    // TLS 1.3: the server checks the client's certificate after the client
    // considers the handshake done, so the refusal shows on first use.
    let refused = async {
        let mut stream = tls_connect(mtls, client_tls(&pki, false, H2_H1)).await?;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .await?;
        let mut buf = [0u8; 16];
        match stream.read(&mut buf).await? {
            0 => Err(std::io::Error::other("closed")),
            _ => Ok(()),
        }
    };
    assert!(
        refused.await.is_err(),
        "the alias listener served a client without a certificate"
    );
    handle.shutdown().await;
}
