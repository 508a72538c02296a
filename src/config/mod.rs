//! Typed configuration: a TOML file, overridden field by field from the
//! environment, checked at start-up into a [`ValidatedConfig`].
//!
//! Every field below says its default and its environment variable. The
//! variable is `FIDUCIA_<SECTION>__<FIELD>` in upper case, e.g.
//! `FIDUCIA_SERVER__LISTEN=0.0.0.0:443`; its value is read as a TOML value
//! when it parses as one (`true`, `8443`, `["a", "b"]`) and as a string
//! otherwise. Unknown sections and fields are errors, in the file and in the
//! environment alike, so a typo never silently falls back to a default.
//! Relative paths are resolved against the directory of the config file.

mod audit;
mod checks;
mod client_checks;
pub use client_checks::client_problems;
mod ciba;
mod config_api;
pub use audit::AuditConfig;
pub use ciba::CibaConfig;
pub use config_api::{ConfigApiConfig, TrustedIssuerConfig, config_api_problems};
mod clients;
mod consents;
mod device;
mod gateway;
#[cfg(test)]
mod gateway_tests;
mod grant_management;
mod interaction_apps;
pub use consents::ConsentsConfig;
pub use device::{DeviceConfig, DeviceCustomer, DeviceOpConfig};
pub use gateway::{GatewayConfig, GatewayOpConfig, RouteConfig, TokenValidation, UpstreamConfig};
pub use grant_management::GrantManagementConfig;
mod load;
mod login;
mod registration;
mod registration_limits;
mod seed_users;
pub use registration::{ClientLimitConfig, RegistrationConfig, TrustedDirectoryConfig};
pub use registration_limits::{
    DEFAULT_BURST as DEFAULT_REGISTERED_BURST,
    DEFAULT_REQUESTS_PER_SECOND as DEFAULT_REGISTERED_REQUESTS_PER_SECOND,
};
// The vocabulary of the protocol layer that sections of this file name.
pub use crate::protocol::client_auth::TokenEndpointAuthMethod;
pub use crate::protocol::registration::cert_binding::CertificateBinding;
mod resource_servers;
pub use interaction_apps::BUILT_IN as BUILT_IN_INTERACTION;
pub use login::*;
pub use resource_servers::ResourceServerConfig;
pub use seed_users::{
    CustomerAccount, MAX_CUSTOMER_ACCOUNTS, SeedUser, accounts_problem, is_plausible_email,
};
mod signing;
mod totp;
pub use totp::TotpConfig;
mod upstream;
pub use upstream::{CUSTOMER_CLAIMS, UPSTREAM as UPSTREAM_INTERACTION, UpstreamLoginConfig};
mod store;
pub use store::*;

pub use checks::{ValidatedConfig, problems, validate};
pub use clients::{AccessTokenFormat, StaticClientConfig};
pub use load::{ConfigError, load, load_from_str};
pub use signing::{Secret, SigningBackend, SigningConfig};

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The public OP listener(s).
    pub server: ServerConfig,
    /// Certificates for the OP listeners.
    pub tls: TlsConfig,
    /// The operator listener: health, readiness, metrics.
    pub admin: AdminConfig,
    /// Logging.
    pub log: LogConfig,
    /// Which FAPI profile the OP enforces.
    pub fapi: FapiConfig,
    /// Where signing keys live.
    pub signing: SigningConfig,
    /// Where token, session, consent and client state lives.
    pub store: StoreConfig,
    /// The built-in login and consent service: password hashing, session
    /// and interaction lifetimes, sandbox users.
    pub login: LoginConfig,
    /// Statically configured clients (`[[clients]]`); registered clients
    /// live in the store.
    pub clients: Vec<StaticClientConfig>,
    /// Token lifetimes.
    pub tokens: TokensConfig,
    /// Resource servers (`[[resource_servers]]`, e.g. the bank's API
    /// gateway) that may introspect any client's tokens and do nothing
    /// else; they authenticate with a certificate. Default none.
    pub resource_servers: Vec<ResourceServerConfig>,
    /// The API gateway (`fiducia gateway`); the OP ignores it. Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayConfig>,
    /// The sandbox customer device (`fiducia device`); the OP ignores it.
    /// Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceConfig>,
    /// Dynamic client registration (RFC 7591/7592) with software
    /// statements; off by default.
    pub registration: RegistrationConfig,
    /// Store lifetimes of UK OBIE consents.
    pub consents: ConsentsConfig,
    /// Grant Management for OAuth 2.0: whether every authorization request
    /// must name a `grant_management_action`.
    pub grant_management: GrantManagementConfig,
    /// Client-initiated backchannel authentication (CIBA) and the device
    /// channel; off by default.
    pub ciba: CibaConfig,
    /// The audit trail: checkpoint interval and node name.
    pub audit: AuditConfig,
    /// The Config API's listener and the issuers whose tokens it takes;
    /// off (no listener) unless present. Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_api: Option<ConfigApiConfig>,
}

/// `[server]`: the Internet-facing OP listener.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The issuer identifier (RFC 8414 §2: https, no query, no fragment).
    /// Default `https://localhost:8443`. Env `FIDUCIA_SERVER__ISSUER`.
    pub issuer: String,
    /// TCP address of the main listener (HTTP/1.1 and HTTP/2 over TLS); HTTP/3
    /// uses the same port over UDP. Default `127.0.0.1:8443`.
    /// Env `FIDUCIA_SERVER__LISTEN`.
    pub listen: SocketAddr,
    /// Serve HTTP/3 (QUIC) on the listen port and advertise it with `Alt-Svc`.
    /// Default `true`. Env `FIDUCIA_SERVER__HTTP3`.
    pub http3: bool,
    /// HTTP/3 connections one peer address (an IPv6 /64) may have open at
    /// once; more are refused before the QUIC handshake. Default `16`.
    /// Env `FIDUCIA_SERVER__HTTP3_MAX_CONNECTIONS_PER_ADDRESS`.
    pub http3_max_connections_per_address: usize,
    /// HTTP/3 connections the listener may have open at once; more are
    /// refused before the QUIC handshake. Each holds at most about 1 MiB of
    /// request data (`http::h3`). Default `1024`.
    /// Env `FIDUCIA_SERVER__HTTP3_MAX_CONNECTIONS`.
    pub http3_max_connections: usize,
    /// Optional second listener that requires a client certificate, published
    /// as `mtls_endpoint_aliases` (RFC 8705 §5). Default none.
    /// Env `FIDUCIA_SERVER__MTLS_LISTEN`.
    pub mtls_listen: Option<SocketAddr>,
    /// Public base URL of the mTLS listener (e.g. `https://mtls.bank.example`);
    /// required with `mtls_listen`. Default none. Env `FIDUCIA_SERVER__MTLS_BASE_URL`.
    pub mtls_base_url: Option<String>,
    /// Largest request body accepted, in bytes; larger ones get 413.
    /// Default `65536`. Env `FIDUCIA_SERVER__MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// Time allowed for a client to send the request head, in milliseconds
    /// (and for the TLS handshake before it; over HTTP/3 per request, from
    /// the stream's opening). Default `10000`. Env `FIDUCIA_SERVER__HEADER_READ_TIMEOUT_MS`.
    pub header_read_timeout_ms: u64,
    /// Time allowed for reading the request body, in milliseconds; a slower
    /// body gets 408. Default `30000`. Env `FIDUCIA_SERVER__BODY_READ_TIMEOUT_MS`.
    pub body_read_timeout_ms: u64,
    /// On SIGTERM/SIGINT: stop accepting, then let in-flight requests finish
    /// for at most this long, in milliseconds. Default `10000`.
    /// Env `FIDUCIA_SERVER__SHUTDOWN_GRACE_MS`.
    pub shutdown_grace_ms: u64,
    /// Addresses of reverse proxies trusted to pass the client certificate in
    /// the RFC 9440 `Client-Cert` header. From any other peer the header is
    /// ignored. Default empty. Env `FIDUCIA_SERVER__TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<IpAddr>,
    /// Load balancers that pass TCP through and send a PROXY protocol
    /// header (v1 or v2) first: a connection from one of these addresses to
    /// the public or mTLS listener must begin with one (else it is closed),
    /// and the header's source address is the client's. From any other
    /// address no header is read. Default empty.
    /// Env `FIDUCIA_SERVER__PROXY_PROTOCOL_FROM`.
    pub proxy_protocol_from: Vec<IpAddr>,
    /// On SIGTERM/SIGINT: for this long, in milliseconds, `/readyz` answers
    /// 503 while the listeners still accept and serve (HTTP/1.1 responses
    /// with `Connection: close`), so a balancer's health check takes the
    /// node out before it stops accepting; then the `shutdown_grace_ms`
    /// drain. Set it above the balancer's check interval times its fall
    /// count. Default `0`. Env `FIDUCIA_SERVER__DRAIN_DELAY_MS`.
    pub drain_delay_ms: u64,
    /// Admission (`http::admission`): requests the OP's handler works on at
    /// once, over all its listeners together; more wait for a slot, within
    /// `admission_max_waiting` and `admission_queue_wait_ms`, or are answered
    /// 503 with `Retry-After` (RFC 9110 §15.6.4). 1 to 65536. Default `64`:
    /// twice the 32 clients that reach every scenario's capacity
    /// (docs/RELIABILITY.md "Overload"); more only lets requests wait inside
    /// the handler (for the core, the signer pool, the store), where the
    /// gate cannot see the wait, instead of for a slot, where it can.
    /// Env `FIDUCIA_SERVER__ADMISSION_MAX_IN_FLIGHT`.
    pub admission_max_in_flight: usize,
    /// Admission: requests that may wait for a slot at once; beyond them a
    /// request is answered 503 at once. 0 (none waits) to 65536. Default
    /// `1024`. Env `FIDUCIA_SERVER__ADMISSION_MAX_WAITING`.
    pub admission_max_waiting: usize,
    /// Admission: the longest a request may wait before the OP starts on it,
    /// in milliseconds: the time it already waited for the OP's cores before
    /// it was read (the runtime's scheduling delay, `http::runtime_lag`)
    /// plus the wait for a slot. Beyond it the request is answered 503 with
    /// `Retry-After`. 1 to 60000. Default `250`.
    /// Env `FIDUCIA_SERVER__ADMISSION_QUEUE_WAIT_MS`.
    pub admission_queue_wait_ms: u64,
    /// Admission under a sustained overload: once every request of a whole
    /// 100 ms has waited longer than this many milliseconds (a standing
    /// queue, CoDel's signal), this is the bound instead of
    /// `admission_queue_wait_ms`, until a whole 100 ms passes in which no
    /// request was shed or waited longer. 1 to `admission_queue_wait_ms`. Default `50` (above the
    /// tens of milliseconds the OS scheduler adds when other threads compete
    /// for the core, which shedding cannot take away).
    /// Env `FIDUCIA_SERVER__ADMISSION_OVERLOAD_QUEUE_WAIT_MS`.
    pub admission_overload_queue_wait_ms: u64,
    /// Serve `/sandbox/callback`, a page showing the authorization response
    /// it receives (the sandbox fintech's redirect URI). Never in production.
    /// Default `false`. Env `FIDUCIA_SERVER__SANDBOX_CALLBACK`.
    pub sandbox_callback: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            issuer: "https://localhost:8443".into(),
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8443),
            http3: true,
            http3_max_connections_per_address: 16,
            http3_max_connections: 1024,
            mtls_listen: None,
            mtls_base_url: None,
            max_body_bytes: 64 * 1024,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            shutdown_grace_ms: 10_000,
            trusted_proxies: Vec::new(),
            proxy_protocol_from: Vec::new(),
            drain_delay_ms: 0,
            admission_max_in_flight: 64,
            admission_max_waiting: 1024,
            admission_queue_wait_ms: 250,
            admission_overload_queue_wait_ms: 50,
            sandbox_callback: false,
        }
    }
}

/// `[tls]`: server certificate and the CAs client certificates must chain to.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain of the server, leaf first. Default `pki/server.pem`.
    /// Env `FIDUCIA_TLS__CERT`.
    pub cert: PathBuf,
    /// PEM private key of the server (PKCS#8, SEC1 or PKCS#1).
    /// Default `pki/server.key`. Env `FIDUCIA_TLS__KEY`.
    pub key: PathBuf,
    /// PEM bundles of the CAs that client (transport) certificates are verified
    /// against (RFC 8705). Default `["pki/ca.pem"]`. Env `FIDUCIA_TLS__CLIENT_CA`.
    pub client_ca: Vec<PathBuf>,
    /// Development only: when the files above are missing, create a
    /// development CA and server certificate there at start-up. Never set it in
    /// production. Default `false`. Env `FIDUCIA_TLS__DEV_GENERATE`.
    pub dev_generate: bool,
    /// Subject alternative names of a `dev_generate`d server certificate.
    /// Default `["localhost", "127.0.0.1", "::1"]`. Env `FIDUCIA_TLS__DEV_SANS`.
    pub dev_sans: Vec<String>,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            cert: "pki/server.pem".into(),
            key: "pki/server.key".into(),
            client_ca: vec!["pki/ca.pem".into()],
            dev_generate: false,
            dev_sans: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        }
    }
}

/// `[admin]`: health, readiness and metrics on a separate, private port.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Plain-HTTP address of the admin listener; keep it on loopback or a
    /// private network. Default `127.0.0.1:9090`. Env `FIDUCIA_ADMIN__LISTEN`.
    pub listen: SocketAddr,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9090),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// `[log]`: structured logs through `tracing`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`. Default `text`. Env `FIDUCIA_LOG__FORMAT`.
    pub format: LogFormat,
    /// Filter in `tracing` env-filter syntax (e.g. `info,fiducia=debug`).
    /// Default `info`. Env `FIDUCIA_LOG__LEVEL`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

/// The security profile the OP enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FapiProfile {
    /// FAPI 2.0 Security Profile (final).
    Fapi2Security,
    /// FAPI 2.0 Security Profile plus the Message Signing profile.
    Fapi2MessageSigning,
    /// FAPI 1.0 Advanced (UK OBIE, Brazil).
    Fapi1Advanced,
}

impl FapiProfile {
    /// Whether every authorization request must be a signed request object
    /// (FAPI 2.0 Message Signing §5.3.1: "shall require ... signed request
    /// objects" at PAR; FAPI 1.0 Advanced §5.2.2-1: "shall require the
    /// request or request_uri parameter").
    pub const fn requires_signed_request_objects(self) -> bool {
        matches!(self, Self::Fapi2MessageSigning | Self::Fapi1Advanced)
    }

    /// Whether the hybrid `response_type=code id_token` is allowed, with the
    /// ID token as a detached signature (FAPI 1.0 Part 2 §5.2.2-2; FAPI 2.0
    /// §5.3.2.2 allows `code` only).
    pub const fn allows_hybrid(self) -> bool {
        matches!(self, Self::Fapi1Advanced)
    }

    /// Whether `response_type=code` must come back as JARM (FAPI 1.0 Part 2
    /// §5.2.2-2: `code` only "in conjunction with the response_mode value
    /// jwt").
    pub const fn code_requires_jarm(self) -> bool {
        matches!(self, Self::Fapi1Advanced)
    }

    /// Whether the client's signed request objects and client assertions
    /// may use `alg` (FAPI 1.0 Part 2 §8.6: PS256 or ES256; FAPI 2.0 §5.4.1
    /// adds EdDSA).
    pub const fn allows_alg(self, alg: fiducia_hsm::JoseAlg) -> bool {
        match self {
            Self::Fapi1Advanced => matches!(alg, fiducia_hsm::JoseAlg::Ps256 | fiducia_hsm::JoseAlg::Es256),
            Self::Fapi2Security | Self::Fapi2MessageSigning => true,
        }
    }
}

/// How access tokens are bound to their client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SenderConstraint {
    /// RFC 9449 DPoP.
    Dpop,
    /// RFC 8705 §3 certificate-bound tokens.
    Mtls,
}

/// `[fapi]`: protocol policy. Start-up refuses settings the profile forbids.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FapiConfig {
    /// `fapi2-security`, `fapi2-message-signing` or `fapi1-advanced`.
    /// Default `fapi2-security`. Env `FIDUCIA_FAPI__PROFILE`.
    pub profile: FapiProfile,
    /// Authorization requests only through PAR (RFC 9126 §5).
    /// Default `true`. Env `FIDUCIA_FAPI__REQUIRE_PUSHED_AUTHORIZATION_REQUESTS`.
    pub require_pushed_authorization_requests: bool,
    /// PKCE code challenge methods accepted (RFC 7636 §4.2).
    /// Default `["S256"]`. Env `FIDUCIA_FAPI__PKCE_METHODS`.
    pub pkce_methods: Vec<String>,
    /// Sender constraints offered for access tokens.
    /// Default `["dpop", "mtls"]`. Env `FIDUCIA_FAPI__SENDER_CONSTRAINTS`.
    pub sender_constraints: Vec<SenderConstraint>,
}

impl Default for FapiConfig {
    fn default() -> Self {
        Self {
            profile: FapiProfile::Fapi2Security,
            require_pushed_authorization_requests: true,
            pkce_methods: vec!["S256".into()],
            sender_constraints: vec![SenderConstraint::Dpop, SenderConstraint::Mtls],
        }
    }
}

/// `[tokens]`: lifetimes of what the token endpoint issues.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    /// Access token lifetime in seconds. Default `300`.
    /// Env `FIDUCIA_TOKENS__ACCESS_TOKEN_TTL_SECS`.
    pub access_token_ttl_secs: u64,
    /// ID token lifetime in seconds. Default `300`. Env `FIDUCIA_TOKENS__ID_TOKEN_TTL_SECS`.
    pub id_token_ttl_secs: u64,
    /// Authorization code lifetime in seconds; FAPI 2.0 §5.3.2.1 allows at
    /// most 60. Default `60`. Env `FIDUCIA_TOKENS__CODE_TTL_SECS`.
    pub code_ttl_secs: u64,
    /// `request_uri` lifetime in seconds (RFC 9126 §2.2). Default `60`.
    /// Env `FIDUCIA_TOKENS__REQUEST_URI_TTL_SECS`.
    pub request_uri_ttl_secs: u64,
    /// Accepted age of DPoP proofs and client assertions, in seconds
    /// (RFC 9449 §11.1). Default `60`. Env `FIDUCIA_TOKENS__PROOF_MAX_AGE_SECS`.
    pub proof_max_age_secs: u64,
    /// Require server-provided nonces in DPoP proofs (RFC 9449 §8, §9);
    /// the OP sends them in `DPoP-Nonce`. Default `false`.
    /// Env `FIDUCIA_TOKENS__DPOP_NONCE`.
    pub dpop_nonce: bool,
    /// Refresh token lifetime in seconds, counted from the grant's first
    /// refresh token; rotation does not extend it. Refresh tokens are issued
    /// when `offline_access` is granted (OIDC Core §11). Default `2592000`
    /// (30 days). Env `FIDUCIA_TOKENS__REFRESH_TOKEN_TTL_SECS`.
    pub refresh_token_ttl_secs: u64,
    /// A refresh token unused for this many seconds expires (RFC 9700
    /// §4.14.2). Default `604800` (7 days).
    /// Env `FIDUCIA_TOKENS__REFRESH_TOKEN_IDLE_SECS`.
    pub refresh_token_idle_secs: u64,
    /// Each refresh returns a new refresh token and consumes the old one; a
    /// consumed one used again revokes the whole grant (RFC 9700 §4.14.2).
    /// Default `true`. Env `FIDUCIA_TOKENS__ROTATE_REFRESH_TOKENS`.
    pub rotate_refresh_tokens: bool,
    /// With rotation, how long after a refresh the previous refresh token
    /// still succeeds once more, for a client that lost the response and
    /// retries (FAPI 2.0 Security Profile §5.3.2.1 item 10): its unused
    /// successor is replaced by a fresh one, bound the same way. Outside
    /// the window, or once the successor was used, a reuse revokes the
    /// grant. `0` turns retries off, which the FAPI 2.0 profiles refuse
    /// with rotation. At most 300. Default `60`.
    /// Env `FIDUCIA_TOKENS__REFRESH_TOKEN_RETRY_GRACE_SECS`.
    pub refresh_token_retry_grace_secs: u64,
    /// `aud` of JWT access tokens (RFC 9068 §2.2): the resource servers'
    /// identifier. Default: the issuer. Env `FIDUCIA_TOKENS__ACCESS_TOKEN_AUDIENCE`.
    pub access_token_audience: Option<String>,
}

impl TokensConfig {
    /// How long a revoked grant's marker is kept (`store/repo/revoked.rs`):
    /// longer than every token that can exist under the grant — the refresh
    /// token's absolute lifetime, an access token's, a code's — so that no
    /// token of a revoked grant is ever found active again (RFC 7009 §2.1).
    pub fn revocation_marker_secs(&self) -> u64 {
        let longest = self
            .refresh_token_ttl_secs
            .max(self.access_token_ttl_secs)
            .max(self.code_ttl_secs);
        longest.saturating_add(self.code_ttl_secs)
    }
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 300,
            id_token_ttl_secs: 300,
            code_ttl_secs: 60,
            request_uri_ttl_secs: 60,
            proof_max_age_secs: 60,
            dpop_nonce: false,
            refresh_token_ttl_secs: 2_592_000,
            refresh_token_idle_secs: 604_800,
            rotate_refresh_tokens: true,
            refresh_token_retry_grace_secs: 60,
            access_token_audience: None,
        }
    }
}
