//! `[registration]` and `[[registration.trusted_directories]]`: dynamic
//! client registration (RFC 7591, RFC 7592) with software statements signed
//! by a regulatory directory.
//!
//! ```toml
//! [registration]
//! enabled = true
//! ssa_max_age_secs = 300
//!
//! [[registration.trusted_directories]]
//! issuer = "sandbox-directory"
//! jwks_uri = "https://directory.example/jwks"
//! profile = "uk"
//! certificate_binding = "uk"
//! status_endpoint = "https://directory.example/software/{software_id}/status"
//! revocation_endpoint = "https://directory.example/software/{software_id}/revoked-certificates"
//! ```

use super::Config;
use super::load::ConfigError;
pub use super::registration_limits::ClientLimitConfig;
use super::registration_limits::{default_burst, default_requests_per_second};
use crate::protocol::registration::cert_binding::CertificateBinding;
use crate::protocol::registration::profile::RegistrationProfile;
use crate::protocol::registration::roles::default_role_scopes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `[registration]`: the registration endpoint and its policy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// Serve `/register` (RFC 7591 §3) and `/register/{client_id}`
    /// (RFC 7592 §2) and advertise `registration_endpoint`. Default
    /// `false`. Env `FIDUCIA_REGISTRATION__ENABLED`.
    pub enabled: bool,
    /// Oldest accepted software statement: `iat` at most this many seconds
    /// ago (UK OBIE DCR 3.3 leaves the window to the bank; Brazil uses 5
    /// minutes). Default `300`. Env `FIDUCIA_REGISTRATION__SSA_MAX_AGE_SECS`.
    pub ssa_max_age_secs: u64,
    /// Accept `https://localhost` and loopback redirect URIs from software
    /// statements (sandboxes only; FAPI 2.0 §5.3.2.2 wants real https
    /// hosts). Default `false`.
    /// Env `FIDUCIA_REGISTRATION__DANGER_ALLOW_LOCALHOST_REDIRECTS`.
    pub danger_allow_localhost_redirects: bool,
    /// Continuous trust: every this many seconds each registered client's
    /// software status is fetched from its directory's `status_endpoint`;
    /// revoked software or organisation suspends the client and revokes its
    /// tokens, active again reinstates it. Australia's CDR Register wants
    /// data holders to check at least every 5 minutes. Default `300`
    /// (1 to 86400). Env `FIDUCIA_REGISTRATION__STATUS_CHECK_INTERVAL_SECS`.
    pub status_check_interval_secs: u64,
    /// The directories whose software statements are trusted. Arrays of
    /// tables have no environment override; set them in the file. Default none.
    pub trusted_directories: Vec<TrustedDirectoryConfig>,
    /// Request budgets of single registered clients, by `client_id` or
    /// `software_id` (`registration_limits.rs`). Default none: each client
    /// has its directory's.
    pub client_limits: Vec<ClientLimitConfig>,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            ssa_max_age_secs: 300,
            danger_allow_localhost_redirects: false,
            status_check_interval_secs: 300,
            trusted_directories: Vec::new(),
            client_limits: Vec::new(),
        }
    }
}

/// One `[[registration.trusted_directories]]` entry. No environment
/// override: arrays of tables live in the file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedDirectoryConfig {
    /// The directory's `iss` in its software statements. Required (no
    /// default), unique.
    pub issuer: String,
    /// Where its signing keys are fetched (HTTPS; the server certificate
    /// verified against the system roots plus `tls.client_ca`). Cached;
    /// fetched again when a statement names an unknown `kid`. Exactly one
    /// of `jwks_uri` and `jwks_file`. Default none.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Or its keys as a JWKS file, read at start-up (relative to the config
    /// file). Default none.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// How its statements become client metadata
    /// (`protocol::registration::profile`): `uk` (OBIE DCR 3.3,
    /// `software_*` claims), `brazil` (Open Finance Brasil DCR 1.0:
    /// `software_*` claims, keys at `software_jwks_uri`, a request
    /// `jwks_uri` must equal it, one registration per software) or
    /// `generic` (RFC 7591 §2.3: the metadata's own names, statement values
    /// win, `jwks` by value accepted) or `cdr` (the CDR Register's
    /// statements: signed registration requests, one registration per
    /// software product, encrypted ID tokens). Default `uk`.
    #[serde(default = "default_profile")]
    pub profile: RegistrationProfile,
    /// `uk`, `brazil` or `none`: how the transport certificate binds to the
    /// statement. Default: the profile's (`uk` for `uk`, `brazil` for
    /// `brazil`, `none` for `generic` and `cdr`); `none` is refused with the `uk` and
    /// `brazil` profiles.
    #[serde(default)]
    pub certificate_binding: Option<CertificateBinding>,
    /// Scopes each `software_roles` value allows (the union over the
    /// statement's roles bounds what a client may register). Default: the
    /// UK roles, `AISP` = `openid accounts offline_access`, `PISP` =
    /// `openid payments offline_access`, `CBPII` = `openid fundsconfirmations`.
    #[serde(default = "default_role_scopes")]
    pub role_scopes: BTreeMap<String, Vec<String>>,
    /// The directory's software status URL, an https URL template where
    /// `{software_id}` is replaced by the (percent-encoded) software id;
    /// its JSON answer carries `status`, or `software_status` and
    /// `org_status` (`Active` or not). Registered clients of this directory
    /// are re-checked there every `registration.status_check_interval_secs`.
    /// Default none: no continuous check for this directory.
    #[serde(default)]
    pub status_endpoint: Option<String>,
    /// Where the directory publishes a software's revoked transport
    /// certificates: an https URL template like `status_endpoint`, whose
    /// JSON answer is `{"revoked_certificates": [{"x5t#S256": ...}]}`.
    /// Checked with the status every `registration.status_check_interval_secs`:
    /// a listed certificate authenticates nothing of the software's clients
    /// and their tokens bound to it are not honoured
    /// (`protocol/registration/revocation.rs`). Default none: certificates
    /// are not re-checked.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// Requests per second each client this directory registers may make
    /// (its token bucket at PAR, token, introspection, revocation and the
    /// protected resources, one per node: N nodes admit up to N × this;
    /// beyond it 429 with `Retry-After`), unless a
    /// `[[registration.client_limits]]` entry names it. 1 to 1,000,000.
    /// Default `100`.
    #[serde(default = "default_requests_per_second")]
    pub requests_per_second: u32,
    /// The burst above that rate (bucket size). 1 to 1,000,000. Default `200`.
    #[serde(default = "default_burst")]
    pub burst: u32,
}

fn default_profile() -> RegistrationProfile {
    RegistrationProfile::Uk
}

impl TrustedDirectoryConfig {
    /// The certificate binding in force: the configured one, else the
    /// profile's default.
    pub fn binding(&self) -> CertificateBinding {
        self.certificate_binding
            .unwrap_or_else(|| self.profile.default_binding())
    }
}

/// Directories well formed; an enabled endpoint has at least one.
pub(super) fn check_registration(config: &Config) -> Result<(), ConfigError> {
    const CHECK: &str = "registration";
    let r = &config.registration;
    if !(1..=3600).contains(&r.ssa_max_age_secs) {
        return Err(ConfigError::new(
            "registration.ssa_max_age_secs",
            CHECK,
            "must be between 1 and 3600 seconds",
        ));
    }
    if !(1..=86_400).contains(&r.status_check_interval_secs) {
        return Err(ConfigError::new(
            "registration.status_check_interval_secs",
            CHECK,
            "must be between 1 and 86400 seconds",
        ));
    }
    if r.enabled && r.trusted_directories.is_empty() {
        return Err(ConfigError::new(
            "registration.trusted_directories",
            CHECK,
            "registration is enabled but no directory is trusted",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for d in &r.trusted_directories {
        let field = |name: &str| format!("registration.trusted_directories.{}.{name}", d.issuer);
        if d.issuer.is_empty() || !seen.insert(d.issuer.as_str()) {
            return Err(ConfigError::new(
                field("issuer"),
                CHECK,
                "empty or duplicate issuer",
            ));
        }
        match (&d.jwks_uri, &d.jwks_file) {
            (Some(uri), None) if uri.starts_with("https://") => {}
            (Some(_), None) => {
                return Err(ConfigError::new(field("jwks_uri"), CHECK, "must be an https URL"));
            }
            (None, Some(path)) if path.is_file() => {}
            (None, Some(path)) => {
                return Err(ConfigError::new(
                    field("jwks_file"),
                    CHECK,
                    format!("{} is not a readable file", path.display()),
                ));
            }
            _ => {
                return Err(ConfigError::new(
                    field("jwks_uri"),
                    CHECK,
                    "exactly one of jwks_uri and jwks_file is needed",
                ));
            }
        }
        for (name, url) in [
            ("status_endpoint", &d.status_endpoint),
            ("revocation_endpoint", &d.revocation_endpoint),
        ] {
            if let Some(url) = url
                && !(url.starts_with("https://") && url.contains("{software_id}"))
            {
                return Err(ConfigError::new(
                    field(name),
                    CHECK,
                    "must be an https URL template containing {software_id}",
                ));
            }
        }
        // OBIE DCR 3.3 and Open Finance Brasil DCR 1.0: the transport
        // certificate names the software.
        if matches!(d.profile, RegistrationProfile::Uk | RegistrationProfile::Brazil)
            && d.binding() == CertificateBinding::None
        {
            return Err(ConfigError::new(
                field("certificate_binding"),
                CHECK,
                "the uk and brazil profiles need a certificate binding (uk or brazil)",
            ));
        }
        if d.role_scopes.is_empty() {
            return Err(ConfigError::new(
                field("role_scopes"),
                CHECK,
                "no role allows any scope",
            ));
        }
    }
    super::registration_limits::check_registration_limits(
        r.trusted_directories
            .iter()
            .map(|d| (d.issuer.as_str(), d.requests_per_second, d.burst)),
        &r.client_limits,
    )
}
