//! `[device]`: the sandbox customer device (`fiducia device --config FILE`),
//! the customer's phone in the CIBA decoupled flow (OpenID Connect CIBA
//! Core 1.0 §5: the authentication device is not the consumption device).
//!
//! Like `[gateway]`, the section is read by its own program and ignored by
//! the OP; `fiducia sandbox` writes one into the data directory
//! (`device.toml`). Every field is overridden from the environment as
//! `FIDUCIA_DEVICE__<FIELD>` and `FIDUCIA_DEVICE__OP__<FIELD>`; the
//! customers (`[[device.customers]]`) live in the file only. Relative paths
//! are resolved against the file's directory.

use super::ConfigError;
use super::signing::Secret;
use crate::protocol::credentials::{MAX_PASSWORD_BYTES, check_account_id, normalize_username};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// `[device]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceConfig {
    /// TCP address of the device's HTTPS listener (the web page, the JSON
    /// API and the OP's notifications). Default `127.0.0.1:8448`.
    /// Env `FIDUCIA_DEVICE__LISTEN`.
    pub listen: SocketAddr,
    /// PEM certificate chain of the device's server certificate. Default
    /// `pki/server.pem`. Env `FIDUCIA_DEVICE__CERT`.
    pub cert: PathBuf,
    /// Its PEM private key. Default `pki/server.key`. Env `FIDUCIA_DEVICE__KEY`.
    pub key: PathBuf,
    /// The OP whose requests the device shows, and the device's credential there.
    pub op: DeviceOpConfig,
    /// Approve every request at once as its customer (load tests): no page,
    /// no API call. Default `false`. Env `FIDUCIA_DEVICE__AUTO_APPROVE`.
    pub auto_approve: bool,
    /// `acr` reported with a decision. Default `urn:fiducia:acr:device`.
    /// Env `FIDUCIA_DEVICE__ACR`.
    pub acr: String,
    /// Requests held at once, all customers together; a notification beyond
    /// it gets 503 (the OP retries). Default `100000`.
    /// Env `FIDUCIA_DEVICE__MAX_PENDING`.
    pub max_pending: usize,
    /// Largest request body read, in bytes (413 beyond). Default `65536`.
    /// Env `FIDUCIA_DEVICE__MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// Lifetime of a web page sign-in, in seconds. Default `900`.
    /// Env `FIDUCIA_DEVICE__SESSION_TTL_SECS`.
    pub session_ttl_secs: u64,
    /// Web page sign-ins held at once; the oldest goes first. Default
    /// `10000`. Env `FIDUCIA_DEVICE__MAX_SESSIONS`.
    pub max_sessions: usize,
    /// The customers who may sign in (the OP's `[[login.seed_users]]` in
    /// the sandbox). No environment override. Default none.
    pub customers: Vec<DeviceCustomer>,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8448),
            cert: "pki/server.pem".into(),
            key: "pki/server.key".into(),
            op: DeviceOpConfig::default(),
            auto_approve: false,
            acr: "urn:fiducia:acr:device".into(),
            max_pending: 100_000,
            max_body_bytes: 64 * 1024,
            session_ttl_secs: 900,
            max_sessions: 10_000,
            customers: Vec::new(),
        }
    }
}

/// `[device.op]`: the OP, how its notifications are checked and where
/// decisions go.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceOpConfig {
    /// The OP's issuer: the notifications' `iss`. Default
    /// `https://localhost:8443`. Env `FIDUCIA_DEVICE__OP__ISSUER`.
    pub issuer: String,
    /// The OP's JWKS, which verifies the notifications (fetched over TLS,
    /// cached, fetched again once on an unknown `kid`). Default
    /// `https://localhost:8443/jwks`. Env `FIDUCIA_DEVICE__OP__JWKS_URI`.
    pub jwks_uri: String,
    /// The `aud` notifications must carry (the OP's channel audience).
    /// Default `urn:fiducia:sandbox:device`. Env `FIDUCIA_DEVICE__OP__AUDIENCE`.
    pub audience: String,
    /// Where decisions are POSTed (the OP's mTLS alias + `/ciba/decision`).
    /// Default `https://localhost:8444/ciba/decision`.
    /// Env `FIDUCIA_DEVICE__OP__DECISION_ENDPOINT`.
    pub decision_endpoint: String,
    /// PEM certificate the device presents there (its subject DN is what
    /// the OP's channel config names). Default `pki/clients/customer-device.pem`.
    /// Env `FIDUCIA_DEVICE__OP__CLIENT_CERT`.
    pub client_cert: PathBuf,
    /// Its PEM key. Default `pki/clients/customer-device.key`.
    /// Env `FIDUCIA_DEVICE__OP__CLIENT_KEY`.
    pub client_key: PathBuf,
    /// PEM CA bundle the OP's server certificate is verified against (with
    /// the system roots). Default `["pki/ca.pem"]`. Env `FIDUCIA_DEVICE__OP__CA`.
    pub ca: Vec<PathBuf>,
    /// Time for a call to the OP, in milliseconds. Default `10000`.
    /// Env `FIDUCIA_DEVICE__OP__TIMEOUT_MS`.
    pub timeout_ms: u64,
}

impl Default for DeviceOpConfig {
    fn default() -> Self {
        Self {
            issuer: "https://localhost:8443".into(),
            jwks_uri: "https://localhost:8443/jwks".into(),
            audience: "urn:fiducia:sandbox:device".into(),
            decision_endpoint: "https://localhost:8444/ciba/decision".into(),
            client_cert: "pki/clients/customer-device.pem".into(),
            client_key: "pki/clients/customer-device.key".into(),
            ca: vec!["pki/ca.pem".into()],
            timeout_ms: 10_000,
        }
    }
}

/// One `[[device.customers]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCustomer {
    /// Sign-in name; compared trimmed and in lower case.
    pub username: String,
    /// The password, hashed with argon2id at start-up. Never printed.
    pub password: Secret,
    /// The customer's `sub` at the OP (the notifications' `sub`).
    pub account_id: String,
    /// Full name, shown on the page.
    pub name: String,
}

impl DeviceConfig {
    /// Start-up checks of the section; relative paths resolved against `base`.
    pub fn validate(mut self, base: &Path) -> Result<Self, ConfigError> {
        let err =
            |field: &str, message: &str| Err(ConfigError::new(format!("device.{field}"), "device", message));
        for (field, url) in [
            ("op.issuer", &self.op.issuer),
            ("op.jwks_uri", &self.op.jwks_uri),
            ("op.decision_endpoint", &self.op.decision_endpoint),
        ] {
            let parsed: Result<http::Uri, _> = url.parse();
            if !matches!(&parsed, Ok(u) if u.scheme_str() == Some("https") && u.host().is_some()) {
                return err(field, "must be an https URL with a host");
            }
        }
        if self.op.audience.is_empty() {
            return err(
                "op.audience",
                "must not be empty: notifications carry it as `aud`",
            );
        }
        if self.acr.is_empty() {
            return err("acr", "must not be empty");
        }
        if !(1..=1_000_000).contains(&self.max_pending) {
            return err("max_pending", "between 1 and 1000000");
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.max_body_bytes) {
            return err("max_body_bytes", "between 1024 and 16777216");
        }
        if !(60..=86_400).contains(&self.session_ttl_secs) {
            return err("session_ttl_secs", "between 60 and 86400");
        }
        if !(1..=1_000_000).contains(&self.max_sessions) {
            return err("max_sessions", "between 1 and 1000000");
        }
        if self.op.timeout_ms == 0 || self.op.timeout_ms > 60_000 {
            return err("op.timeout_ms", "between 1 and 60000");
        }
        if self.customers.is_empty() {
            return err("customers", "at least one [[device.customers]] entry is needed");
        }
        for i in 0..self.customers.len() {
            if let Some((field, message)) = customer_problem(&self.customers, i) {
                return err(&format!("customers[{i}].{field}"), message);
            }
        }
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        abs(&mut self.cert);
        abs(&mut self.key);
        abs(&mut self.op.client_cert);
        abs(&mut self.op.client_key);
        self.op.ca.iter_mut().for_each(abs);
        Ok(self)
    }
}

/// What is wrong with customer `i`, as (field, message).
fn customer_problem(customers: &[DeviceCustomer], i: usize) -> Option<(&'static str, &'static str)> {
    let customer = &customers[i];
    let earlier = &customers[..i];
    let Ok(username) = normalize_username(&customer.username) else {
        return Some((
            "username",
            "must be 1 to 256 characters without control characters",
        ));
    };
    if earlier
        .iter()
        .any(|e| normalize_username(&e.username).is_ok_and(|u| u == username))
    {
        return Some((
            "username",
            "is given twice (usernames compare trimmed and lower-cased)",
        ));
    }
    if check_account_id(&customer.account_id).is_err() {
        return Some((
            "account_id",
            "must be 1 to 255 printable ASCII characters without spaces (OIDC Core §2)",
        ));
    }
    if earlier.iter().any(|e| e.account_id == customer.account_id) {
        return Some(("account_id", "is given twice"));
    }
    let password = customer.password.expose();
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return Some(("password", "must be 1 to 1024 bytes"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMER: &str = "[[device.customers]]\nusername = \"alice\"\npassword = \"pw\"\naccount_id = \"acc-1\"\nname = \"Alice\"\n";

    fn validated(text: &str) -> Result<DeviceConfig, ConfigError> {
        let raw = crate::config::load_from_str(text, Vec::new())?;
        raw.device
            .ok_or_else(|| ConfigError::new("device", "device", "none"))?
            .validate(Path::new("/data"))
    }

    #[test]
    fn defaults_are_documented_and_paths_resolved() {
        let device = validated(&format!("[device]\n{CUSTOMER}")).unwrap();
        assert_eq!(device.listen.to_string(), "127.0.0.1:8448");
        assert_eq!(device.cert, PathBuf::from("/data/pki/server.pem"));
        assert_eq!(device.op.ca, vec![PathBuf::from("/data/pki/ca.pem")]);
        assert_eq!(device.op.audience, "urn:fiducia:sandbox:device");
        assert_eq!(device.max_pending, 100_000);
        assert!(!device.auto_approve);
        assert!(!format!("{device:?}").contains("\"pw\""));
    }

    #[test]
    fn environment_overrides_the_section() {
        let raw = crate::config::load_from_str(
            &format!("[device]\n{CUSTOMER}"),
            vec![
                ("FIDUCIA_DEVICE__AUTO_APPROVE".into(), "true".into()),
                ("FIDUCIA_DEVICE__OP__AUDIENCE".into(), "bank-app".into()),
            ],
        )
        .unwrap();
        let device = raw.device.unwrap();
        assert!(device.auto_approve);
        assert_eq!(device.op.audience, "bank-app");
    }

    #[test]
    fn bad_values_are_named() {
        let field = |text: &str| validated(text).unwrap_err().field;
        assert_eq!(field("[device]\n"), "device.customers");
        assert_eq!(
            field(&format!("[device]\nmax_pending = 0\n{CUSTOMER}")),
            "device.max_pending"
        );
        assert_eq!(
            field(&format!(
                "[device.op]\ndecision_endpoint = \"http://localhost/ciba/decision\"\n{CUSTOMER}"
            )),
            "device.op.decision_endpoint"
        );
        assert_eq!(
            field(&format!(
                "[device]\n{CUSTOMER}{}",
                CUSTOMER.replace("acc-1", "acc-2")
            )),
            "device.customers[1].username"
        );
        assert_eq!(
            field(&format!("[device]\n{}", CUSTOMER.replace("acc-1", "a b"))),
            "device.customers[0].account_id"
        );
    }
}
