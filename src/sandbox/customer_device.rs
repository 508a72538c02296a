//! The sandbox's customer device (`device/`) on its own port (8448), with
//! the sandbox CA's server certificate and its own client certificate from
//! the sandbox CA (`pki/clients/customer-device.pem`, subject
//! [`DEVICE_SUBJECT_DN`]) for the OP's decision endpoint on the mTLS alias.
//! Its configuration is written once into the data directory
//! (`device.toml`, the seed customers of the OP's config) and can be edited
//! there or overridden with `FIDUCIA_DEVICE__*` (e.g.
//! `FIDUCIA_DEVICE__AUTO_APPROVE=true` for load tests).
//!
//! The OP's channel reaches it at [`device_notification_url`] with `aud`
//! [`SANDBOX_DEVICE_AUDIENCE`], and admits its decisions by
//! [`DEVICE_SUBJECT_DN`].

use super::device::{self, DECISION_PATH, DeviceServer, NOTIFICATION_PATH};
use super::layout::SandboxLayout;
use crate::config::{self, ValidatedConfig};
use crate::pki::{self, ClientCertSpec};
use crate::protocol::paths;
use anyhow::Context;
use serde::Serialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the sandbox's customer device listens.
pub const SANDBOX_DEVICE_LISTEN: &str = "127.0.0.1:8448";
/// The device's certificate name (CN) at the OP.
pub const DEVICE_ID: &str = "customer-device";
/// The subject of the device's client certificate: what the OP's channel
/// config must name to admit its decisions.
pub const DEVICE_SUBJECT_DN: &str = "CN=customer-device,OU=fiducia-sandbox-bank,O=Fiducia Sandbox Bank,C=GB";
/// The `aud` the OP's notifications to the sandbox device carry.
pub const SANDBOX_DEVICE_AUDIENCE: &str = "urn:fiducia:sandbox:device";
/// The device's configuration file in the data directory.
pub const DEVICE_TOML: &str = "device.toml";

/// The URL the OP POSTs its requests to when the device listens on `listen`.
pub fn device_notification_url(listen: SocketAddr) -> String {
    format!("{}{NOTIFICATION_PATH}", device_url(listen))
}

/// Points the OP's device channel (`[ciba]`) at the device listening on
/// `listen` (the sandbox config names port 8448).
pub fn point_at_device(config: &mut crate::config::Config, listen: SocketAddr) {
    if config.ciba.enabled
        && config
            .ciba
            .device_notification_url
            .starts_with("https://localhost:")
    {
        config.ciba.device_notification_url = device_notification_url(listen);
    }
}

/// The device's page when it listens on `listen`.
pub fn device_url(listen: SocketAddr) -> String {
    format!("https://localhost:{}", listen.port())
}

/// The banner lines of the device listening on `addr`.
pub fn device_banner(layout: &SandboxLayout, addr: SocketAddr) -> String {
    let url = device_url(addr);
    let file = std::path::absolute(layout.data_dir.join(DEVICE_TOML))
        .unwrap_or_else(|_| layout.data_dir.join(DEVICE_TOML));
    [
        format!("  customer device: {url}/ (sign in as a sandbox customer to approve CIBA requests)"),
        format!("                 GET  {url}/api/customers/{{username}}/requests  (HTTP Basic as that customer)"),
        format!("                 POST {url}/api/requests/{{auth_req_id}}/approve|deny"),
        format!(
            "                 OP channel: notifications to {}, aud {SANDBOX_DEVICE_AUDIENCE}; decisions from {DEVICE_SUBJECT_DN}; config {}",
            device_notification_url(addr),
            file.display()
        ),
    ]
    .join("\n")
}

/// Issues the device's client certificate from the sandbox CA once; its paths.
fn device_certificate(pki_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let clients = pki_dir.join(pki::CLIENTS_DIR);
    let (cert, key) = (
        clients.join(format!("{DEVICE_ID}.pem")),
        clients.join(format!("{DEVICE_ID}.key")),
    );
    if !cert.exists() {
        pki::issue_client(
            pki_dir,
            &ClientCertSpec {
                software_id: DEVICE_ID.into(),
                org_id: "fiducia-sandbox-bank".into(),
                org_name: "Fiducia Sandbox Bank".into(),
                country: "GB".into(),
                organization_identifier: None,
                uid: None,
            },
        )?;
    }
    Ok((cert, key))
}

#[derive(Serialize)]
struct File<'a> {
    device: Section<'a>,
}

#[derive(Serialize)]
struct Section<'a> {
    listen: String,
    cert: &'a str,
    key: &'a str,
    auto_approve: bool,
    op: OpSection,
    customers: Vec<Customer<'a>>,
}

#[derive(Serialize)]
struct OpSection {
    issuer: String,
    jwks_uri: String,
    audience: &'static str,
    decision_endpoint: String,
    client_cert: String,
    client_key: String,
    ca: Vec<&'static str>,
}

#[derive(Serialize)]
struct Customer<'a> {
    username: &'a str,
    password: &'a str,
    account_id: &'a str,
    name: &'a str,
}

/// The text of `device.toml` for the OP `config`.
fn device_toml(config: &ValidatedConfig, listen: SocketAddr) -> anyhow::Result<String> {
    let op = config.get();
    let file = File {
        device: Section {
            listen: listen.to_string(),
            cert: "pki/server.pem",
            key: "pki/server.key",
            auto_approve: false,
            op: OpSection {
                issuer: config.issuer().to_string(),
                jwks_uri: config.endpoint_url(paths::JWKS),
                audience: SANDBOX_DEVICE_AUDIENCE,
                decision_endpoint: config
                    .mtls_endpoint_url(DECISION_PATH)
                    .unwrap_or_else(|| config.endpoint_url(DECISION_PATH)),
                client_cert: format!("pki/{}/{DEVICE_ID}.pem", pki::CLIENTS_DIR),
                client_key: format!("pki/{}/{DEVICE_ID}.key", pki::CLIENTS_DIR),
                ca: vec!["pki/ca.pem"],
            },
            customers: op
                .login
                .seed_users
                .iter()
                .map(|u| Customer {
                    username: &u.username,
                    password: u.password.expose(),
                    account_id: &u.account_id,
                    name: &u.name,
                })
                .collect(),
        },
    };
    Ok(format!(
        "# The sandbox customer device (`fiducia device --config {DEVICE_TOML}`),\n\
         # started by `fiducia sandbox`. Written once; edit freely.\n{}",
        toml::to_string(&file).context("cannot encode the device config")?
    ))
}

/// Writes `device.toml` (once), issues the device's certificate (once) and
/// starts the device on `listen`.
pub async fn start_device(
    layout: &SandboxLayout,
    config: &ValidatedConfig,
    listen: SocketAddr,
) -> anyhow::Result<DeviceServer> {
    let pki_dir = std::path::absolute(layout.data_dir.join("pki"))?;
    device_certificate(&pki_dir)?;
    let file = layout.data_dir.join(DEVICE_TOML);
    if !file.exists() {
        let text = device_toml(config, listen)?;
        pki::write_private_file(&file, text.as_bytes())
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    let (raw, base) = config::load(Some(&file))?;
    let mut section = raw
        .device
        .ok_or_else(|| config::ConfigError::new("device", "device", "device.toml has no [device] section"))?;
    section.listen = listen;
    device::start(section.validate(&std::path::absolute(base)?)?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_config_names_the_op_and_the_seed_customers() {
        let raw = config::load_from_str(crate::sandbox::layout::SANDBOX_TOML, Vec::new()).unwrap();
        let validated = config::validate(raw, Path::new(".")).unwrap();
        let listen: SocketAddr = "127.0.0.1:18448".parse().unwrap();
        let text = device_toml(&validated, listen).unwrap();
        let device = config::load_from_str(&text, Vec::new())
            .unwrap()
            .device
            .unwrap()
            .validate(Path::new("/data"))
            .unwrap();
        assert_eq!(device.listen, listen);
        assert_eq!(device.op.issuer, "https://localhost:8443");
        assert_eq!(device.op.jwks_uri, "https://localhost:8443/jwks");
        assert_eq!(
            device.op.decision_endpoint,
            "https://localhost:8444/ciba/decision"
        );
        assert_eq!(device.op.audience, SANDBOX_DEVICE_AUDIENCE);
        assert_eq!(
            device.op.client_cert,
            PathBuf::from("/data/pki/clients/customer-device.pem")
        );
        let seeds = &validated.get().login.seed_users;
        assert_eq!(device.customers.len(), seeds.len());
        assert_eq!(device.customers[0].account_id, seeds[0].account_id);
        assert_eq!(device.customers[0].password, seeds[0].password);
        assert_eq!(
            device_notification_url(listen),
            "https://localhost:18448/ciba/requests"
        );
    }
}
