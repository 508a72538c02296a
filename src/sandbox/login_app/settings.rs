//! The app's settings and routes' paths, shared by its files.

use super::customers::AppCustomer;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The login page's path (the OP's `interaction_login_url` names it).
pub const LOGIN_PATH: &str = "/login";
/// The second factor's page.
pub const OTP_PATH: &str = "/otp";
/// The consent page.
pub const CONSENT_PATH: &str = "/consent";

/// How the app reaches the OP's interaction API.
#[derive(Debug, Clone)]
pub struct OpApiConfig {
    /// `POST /interaction-api/read` (the mTLS alias when the OP has one).
    pub read: String,
    /// `POST /interaction-api/login`.
    pub login: String,
    /// `POST /interaction-api/consent`.
    pub consent: String,
    /// `POST /interaction-api/abandon`.
    pub abandon: String,
    /// The app's client certificate (its `[[resource_servers]]` subject).
    pub client_cert: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
    /// CAs trusted for the OP's server certificate.
    pub ca: Vec<PathBuf>,
    /// Per call.
    pub timeout_ms: u64,
}

/// The app's settings.
#[derive(Debug, Clone)]
pub struct LoginAppConfig {
    /// Where it listens.
    pub listen: SocketAddr,
    /// Its server certificate and key.
    pub cert: PathBuf,
    /// Its server key.
    pub key: PathBuf,
    /// The OP.
    pub op: OpApiConfig,
    /// The OP's issuer: its `/interaction/return` is where the forms'
    /// redirects go first.
    pub op_issuer: String,
    /// Who may sign in: the bank's customers, their `sub` at the OP.
    pub customers: Vec<AppCustomer>,
    /// How long a sign-in in progress lives, seconds.
    pub session_ttl_secs: u64,
    /// Most sign-ins in progress at once.
    pub max_sessions: usize,
    /// Wrong passwords or codes before a sign-in in progress is ended.
    pub max_failures: u32,
}
