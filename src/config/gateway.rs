//! `[gateway]`: the API gateway (`fiducia gateway --config FILE`).
//!
//! The gateway reads the same file type as the OP, but only its
//! `[gateway]` section (and `[log]`): a deployment may give it a file with
//! nothing else, or share one file with the OP, which ignores the section.
//! Every field is overridden from the environment as
//! `FIDUCIA_GATEWAY__<FIELD>`, `FIDUCIA_GATEWAY__OP__<FIELD>` and
//! `FIDUCIA_GATEWAY__UPSTREAM__<FIELD>`; the route table (`[[gateway.routes]]`)
//! lives in the file only. Relative paths are resolved against the file's
//! directory.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// `[gateway]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Internet-facing TCP address (HTTP/1.1 and HTTP/2 over TLS, client
    /// certificate required). Default `127.0.0.1:8444`. Env `FIDUCIA_GATEWAY__LISTEN`.
    pub listen: SocketAddr,
    /// The URL fintechs address the gateway by (scheme, host, port), for
    /// the DPoP `htu` check (RFC 9449 §4.3 item 9). Default
    /// `https://localhost:8444`. Env `FIDUCIA_GATEWAY__PUBLIC_URL`.
    pub public_url: String,
    /// PEM certificate chain of the gateway's server certificate.
    /// Default `pki/gateway.pem`. Env `FIDUCIA_GATEWAY__CERT`.
    pub cert: PathBuf,
    /// Its PEM private key. Default `pki/gateway.key`. Env `FIDUCIA_GATEWAY__KEY`.
    pub key: PathBuf,
    /// PEM bundles of the CAs fintech transport certificates must chain to
    /// (RFC 8705 §2.1). Default `["pki/ca.pem"]`. Env `FIDUCIA_GATEWAY__CLIENT_CA`.
    pub client_ca: Vec<PathBuf>,
    /// Plain-HTTP admin listener (`/healthz`, `/readyz`, `/metrics`).
    /// Default `127.0.0.1:9091`. Env `FIDUCIA_GATEWAY__ADMIN_LISTEN`.
    pub admin_listen: SocketAddr,
    /// Largest request body passed on, in bytes (413 beyond).
    /// Default `1048576`. Env `FIDUCIA_GATEWAY__MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// Time for the request head, in milliseconds. Default `10000`.
    /// Env `FIDUCIA_GATEWAY__HEADER_READ_TIMEOUT_MS`.
    pub header_read_timeout_ms: u64,
    /// Time for the request body, in milliseconds. Default `30000`.
    /// Env `FIDUCIA_GATEWAY__BODY_READ_TIMEOUT_MS`.
    pub body_read_timeout_ms: u64,
    /// Drain time on SIGTERM/SIGINT, in milliseconds. Default `10000`.
    /// Env `FIDUCIA_GATEWAY__SHUTDOWN_GRACE_MS`.
    pub shutdown_grace_ms: u64,
    /// Requests per second each client (`client_id` of its token) and each
    /// transport certificate may make (token buckets; the certificate's is
    /// charged before the token is looked up; beyond either 429 with
    /// `Retry-After`). Default `50`.
    /// Env `FIDUCIA_GATEWAY__REQUESTS_PER_SECOND`.
    pub requests_per_second: u32,
    /// The bucket's size: the burst above the rate. Default `100`.
    /// Env `FIDUCIA_GATEWAY__BURST`.
    pub burst: u32,
    /// How old a DPoP proof may be, in seconds (RFC 9449 §11.1); its `jti`
    /// is remembered that long. Default `60`. Env `FIDUCIA_GATEWAY__DPOP_MAX_AGE_SECS`.
    pub dpop_max_age_secs: u64,
    /// How many DPoP proofs (key thumbprint, `jti`) of one client are
    /// remembered within `dpop_max_age_secs` (RFC 9449 §11.1). When a
    /// client's share is full of live proofs, that client's next proofs get
    /// 429 until its oldest lapses; other clients are not affected. Leave it
    /// above `burst` + `requests_per_second` × `dpop_max_age_secs`, so that
    /// a client within its budget never fills it. Default `10000`.
    /// Env `FIDUCIA_GATEWAY__DPOP_JTIS_PER_CLIENT`.
    pub dpop_jtis_per_client: usize,
    /// The OP the tokens come from.
    pub op: GatewayOpConfig,
    /// The bank API behind the gateway.
    pub upstream: UpstreamConfig,
    /// Method + path prefix -> what a call needs. A path no route matches
    /// is 404. No environment override. Default none.
    pub routes: Vec<RouteConfig>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8444),
            public_url: "https://localhost:8444".into(),
            cert: "pki/gateway.pem".into(),
            key: "pki/gateway.key".into(),
            client_ca: vec!["pki/ca.pem".into()],
            admin_listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9091),
            max_body_bytes: 1024 * 1024,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            shutdown_grace_ms: 10_000,
            requests_per_second: 50,
            burst: 100,
            dpop_max_age_secs: 60,
            dpop_jtis_per_client: 10_000,
            op: GatewayOpConfig::default(),
            upstream: UpstreamConfig::default(),
            routes: Vec::new(),
        }
    }
}

/// How access tokens are validated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenValidation {
    /// RFC 7662 introspection at the OP, answers cached for `cache_ttl_secs`.
    #[default]
    Introspection,
    /// RFC 9068 JWT access tokens verified offline against the OP's JWKS;
    /// a revocation is not seen before the token expires.
    Jwt,
}

/// `[gateway.op]`: the OP and the gateway's credential there.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayOpConfig {
    /// The OP's issuer (`iss` of JWT access tokens). Default
    /// `https://localhost:8443`. Env `FIDUCIA_GATEWAY__OP__ISSUER`.
    pub issuer: String,
    /// `introspection` or `jwt`. Default `introspection`.
    /// Env `FIDUCIA_GATEWAY__OP__TOKEN_VALIDATION`.
    pub token_validation: TokenValidation,
    /// The OP's introspection endpoint (RFC 7662 §2). Default
    /// `https://localhost:8443/introspect`. Env `FIDUCIA_GATEWAY__OP__INTROSPECTION_ENDPOINT`.
    pub introspection_endpoint: String,
    /// Where the gateway reserves a payment token's consent for the
    /// payment (`x-idempotency-key`) before calling the bank API, so that a
    /// consent pays once whichever replica forwards it (`POST
    /// /grants/reserve`, as the resource server `client_id`). Default
    /// `https://localhost:8443/grants/reserve`. Env
    /// `FIDUCIA_GATEWAY__OP__GRANT_RESERVATION_ENDPOINT`.
    pub grant_reservation_endpoint: String,
    /// Where the gateway reports a payment the bank API accepted, so that
    /// the OP revokes the token's grant (`POST /grants/consume`, as the
    /// resource server `client_id`). Default
    /// `https://localhost:8443/grants/consume`. Env
    /// `FIDUCIA_GATEWAY__OP__GRANT_CONSUMPTION_ENDPOINT`.
    pub grant_consumption_endpoint: String,
    /// The OP's JWKS (for `jwt`). Default `https://localhost:8443/jwks`.
    /// Env `FIDUCIA_GATEWAY__OP__JWKS_URI`.
    pub jwks_uri: String,
    /// `aud` JWT access tokens must carry (the OP's
    /// `tokens.access_token_audience`); empty: the issuer. Default empty.
    /// Env `FIDUCIA_GATEWAY__OP__AUDIENCE`.
    pub audience: String,
    /// The gateway's `[[resource_servers]]` id at the OP. Default
    /// `api-gateway`. Env `FIDUCIA_GATEWAY__OP__CLIENT_ID`.
    pub client_id: String,
    /// PEM certificate the gateway presents to the OP (its subject DN is
    /// the resource server's `tls_client_auth_subject_dn`). Default
    /// `pki/clients/api-gateway.pem`. Env `FIDUCIA_GATEWAY__OP__CLIENT_CERT`.
    pub client_cert: PathBuf,
    /// Its PEM key. Default `pki/clients/api-gateway.key`. Env `FIDUCIA_GATEWAY__OP__CLIENT_KEY`.
    pub client_key: PathBuf,
    /// PEM CA bundle the OP's server certificate is verified against (with
    /// the system roots). Default `["pki/ca.pem"]`. Env `FIDUCIA_GATEWAY__OP__CA`.
    pub ca: Vec<PathBuf>,
    /// How long an introspection answer is reused, in seconds; never
    /// beyond the token's `exp`. Default `30`. Env `FIDUCIA_GATEWAY__OP__CACHE_TTL_SECS`.
    pub cache_ttl_secs: u64,
    /// How often the JWKS is fetched again (`jwt`), in seconds; also once
    /// on an unknown `kid`. Default `300`. Env `FIDUCIA_GATEWAY__OP__JWKS_REFRESH_SECS`.
    pub jwks_refresh_secs: u64,
}

impl Default for GatewayOpConfig {
    fn default() -> Self {
        Self {
            issuer: "https://localhost:8443".into(),
            token_validation: TokenValidation::Introspection,
            introspection_endpoint: "https://localhost:8443/introspect".into(),
            grant_reservation_endpoint: "https://localhost:8443/grants/reserve".into(),
            grant_consumption_endpoint: "https://localhost:8443/grants/consume".into(),
            jwks_uri: "https://localhost:8443/jwks".into(),
            audience: String::new(),
            client_id: "api-gateway".into(),
            client_cert: "pki/clients/api-gateway.pem".into(),
            client_key: "pki/clients/api-gateway.key".into(),
            ca: vec!["pki/ca.pem".into()],
            cache_ttl_secs: 30,
            jwks_refresh_secs: 300,
        }
    }
}

/// `[gateway.upstream]`: the bank API. It trusts the gateway's
/// `x-fiducia-*` headers because the gateway authenticates to it with its
/// own client certificate (mTLS); the bank API must accept only that
/// certificate's subject.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamConfig {
    /// Base URL (https) the request path is appended to. Default
    /// `https://localhost:8445`. Env `FIDUCIA_GATEWAY__UPSTREAM__BASE_URL`.
    pub base_url: String,
    /// PEM certificate the gateway presents to the bank API. Default
    /// `pki/clients/api-gateway.pem`. Env `FIDUCIA_GATEWAY__UPSTREAM__CLIENT_CERT`.
    pub client_cert: PathBuf,
    /// Its PEM key. Default `pki/clients/api-gateway.key`.
    /// Env `FIDUCIA_GATEWAY__UPSTREAM__CLIENT_KEY`.
    pub client_key: PathBuf,
    /// PEM CA bundle the bank API's certificate is verified against (with
    /// the system roots). Default `["pki/ca.pem"]`. Env `FIDUCIA_GATEWAY__UPSTREAM__CA`.
    pub ca: Vec<PathBuf>,
    /// Time for the whole upstream call, in milliseconds (504 beyond).
    /// Default `30000`. Env `FIDUCIA_GATEWAY__UPSTREAM__TIMEOUT_MS`.
    pub timeout_ms: u64,
    /// Largest upstream response body, in bytes (502 beyond). Default
    /// `10485760`. Env `FIDUCIA_GATEWAY__UPSTREAM__MAX_RESPONSE_BYTES`.
    pub max_response_bytes: usize,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            base_url: "https://localhost:8445".into(),
            client_cert: "pki/clients/api-gateway.pem".into(),
            client_key: "pki/clients/api-gateway.key".into(),
            ca: vec!["pki/ca.pem".into()],
            timeout_ms: 30_000,
            max_response_bytes: 10 * 1024 * 1024,
        }
    }
}

/// One `[[gateway.routes]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Label in metrics and logs, e.g. `domestic-payments`.
    pub name: String,
    /// HTTP methods this route covers; empty: every method. Default empty.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Path prefix, matched on whole segments (`/accounts` covers
    /// `/accounts/1` but not `/accountsx`); the longest match wins.
    pub path_prefix: String,
    /// Scopes the token must all have (RFC 6750 §3.1 `insufficient_scope`
    /// otherwise). Default none.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// A payment submission: the body must be the payment the token's
    /// consent allows (its `payment_initiation` authorization detail, RFC
    /// 9396, or its UK OBIE consent), and the OP reserves the consent for
    /// the call's `x-idempotency-key` before the bank API is called (one
    /// payment per consent). Default `false`.
    #[serde(default)]
    pub payment_consent: bool,
}

impl GatewayConfig {
    /// Start-up checks of the section; relative paths resolved against `base`.
    pub fn validate(mut self, base: &Path) -> Result<Self, ConfigError> {
        let err = |field: &str, message: &str| {
            Err(ConfigError::new(format!("gateway.{field}"), "gateway", message))
        };
        for (field, url) in [
            ("public_url", &self.public_url),
            ("op.introspection_endpoint", &self.op.introspection_endpoint),
            (
                "op.grant_reservation_endpoint",
                &self.op.grant_reservation_endpoint,
            ),
            (
                "op.grant_consumption_endpoint",
                &self.op.grant_consumption_endpoint,
            ),
            ("op.jwks_uri", &self.op.jwks_uri),
            ("upstream.base_url", &self.upstream.base_url),
        ] {
            let parsed: Result<http::Uri, _> = url.parse();
            if !matches!(&parsed, Ok(u) if u.scheme_str() == Some("https") && u.host().is_some()) {
                return err(field, "must be an https URL with a host");
            }
        }
        if self.routes.is_empty() {
            return err("routes", "at least one [[gateway.routes]] entry is needed");
        }
        for (i, route) in self.routes.iter().enumerate() {
            if !route.path_prefix.starts_with('/') {
                return err(&format!("routes[{i}].path_prefix"), "must start with `/`");
            }
            if route.methods.iter().any(|m| m.parse::<http::Method>().is_err()) {
                return err(&format!("routes[{i}].methods"), "not an HTTP method");
            }
        }
        if self.client_ca.is_empty() {
            return err("client_ca", "mTLS is required: name the fintech CA bundle");
        }
        if self.dpop_jtis_per_client == 0 || self.dpop_jtis_per_client > 1_000_000 {
            return err(
                "dpop_jtis_per_client",
                "between 1 and 1000000: each client's share of remembered DPoP proofs",
            );
        }
        if self.op.cache_ttl_secs > 300 {
            return err(
                "op.cache_ttl_secs",
                "at most 300: a revoked token lives on in the cache that long",
            );
        }
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        abs(&mut self.cert);
        abs(&mut self.key);
        self.client_ca.iter_mut().for_each(abs);
        abs(&mut self.op.client_cert);
        abs(&mut self.op.client_key);
        self.op.ca.iter_mut().for_each(abs);
        abs(&mut self.upstream.client_cert);
        abs(&mut self.upstream.client_key);
        self.upstream.ca.iter_mut().for_each(abs);
        Ok(self)
    }
}
