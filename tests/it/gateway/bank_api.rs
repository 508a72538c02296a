//! The sample bank API of the gateway tests: an HTTPS server on the
//! OP's serving stack that requires a client certificate, records every
//! call it receives (with the caller's certificate thumbprint) and answers
//! 201 to POST, 200 otherwise, with a field its `Connection` header names.

use super::super::support::TestPki;
use bytes::Bytes;
use fiducia::http::service::RequestService;
use fiducia::http::tls::{self, ClientAuth};
use fiducia::http::{Handler, HandlerFuture, ListenerKind, RequestContext, tcp};
use http::{HeaderMap, Request, Response};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// One call the bank API received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `x5t#S256` of the caller's certificate, when it chains to the CA.
    pub caller_x5t: Option<String>,
}

/// The sample bank API: records each call, answers 201 to POST and 200 otherwise.
struct Recorder(Arc<Mutex<Vec<Received>>>);

impl Handler for Recorder {
    fn handle<'a>(&'a self, request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move {
            let status = if request.method() == http::Method::POST {
                201
            } else {
                200
            };
            self.0.lock().unwrap().push(Received {
                method: request.method().to_string(),
                path_and_query: request.uri().path_and_query().unwrap().to_string(),
                headers: request.headers().clone(),
                body: request.body().clone(),
                caller_x5t: context
                    .client_cert
                    .as_ref()
                    .filter(|c| c.chain_verified())
                    .map(|c| c.x5t_s256().to_string()),
            });
            let mut response = Response::new(Bytes::from(json!({"Data": {"Status": "ok"}}).to_string()));
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            response.headers_mut().insert("x-bank", "sample".parse().unwrap());
            // A hop-by-hop field of the bank's own connection (RFC 9110 §7.6.1).
            response
                .headers_mut()
                .insert("connection", "x-bank-hop".parse().unwrap());
            response
                .headers_mut()
                .insert("x-bank-hop", "internal".parse().unwrap());
            response
        })
    }
}

/// The bank API's listener (client certificate required).
pub struct Upstream {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    stop: watch::Sender<bool>,
}

impl Upstream {
    pub async fn start(pki: &TestPki) -> Self {
        let tls_config = fiducia::config::TlsConfig {
            cert: pki.path("server.pem"),
            key: pki.path("server.key"),
            client_ca: vec![pki.ca()],
            ..Default::default()
        };
        let received = Arc::new(Mutex::new(Vec::new()));
        let service = Arc::new(RequestService::new(
            Arc::new(Recorder(received.clone())),
            1 << 20,
            Duration::from_secs(5),
            Arc::from(Vec::new()),
            None,
            tls::client_chain_verifier(&tls_config).unwrap(),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(tcp::run(
            tcp::TcpServing {
                listener,
                kind: ListenerKind::MtlsAlias,
                tls: tls::server_config(&tls_config, ClientAuth::Required).unwrap(),
                service,
                header_read_timeout: Duration::from_secs(5),
                proxy_protocol_from: std::sync::Arc::from([]),
                shutdown_grace: Duration::from_secs(1),
            },
            stop_rx,
        ));
        Self { addr, received, stop }
    }

    /// Stops accepting.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// The calls received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
