//! `fiducia sandbox`: a whole ecosystem on one machine from a fresh checkout.
//!
//! On first run it writes the sandbox configuration and a development PKI
//! (CA, server certificate, a sample fintech's transport certificate) into the
//! data directory and, when SoftHSM is installed, a PKCS#11 token holding an
//! active ES256 key, the load-test clients (`loadtest.rs`) and the CIBA
//! fintech (`ciba_client.rs`, keys by `client_keys.rs`), then serves the
//! OP and the sandbox regulatory directory (`directory.rs`) with the sample
//! fintech registered, and the API gateway in front of the sample bank API
//! (`gateway.rs`, `bank/`), the customer device the OP's CIBA channel
//! talks to (`customer_device.rs`, `device/`), and the bank's own
//! login-and-consent app that runs one client's interactions through the
//! interaction API (`login_app_service.rs`, `login_app/`).

pub mod bank;
mod bounded_sessions;
pub mod ciba_client;
mod client_keys;
pub mod cluster;
mod customer_device;
#[cfg(test)]
mod customers_tests;
pub mod device;
mod directory;
pub mod endpoints;
mod gateway;
#[cfg(test)]
mod gateway_tests;
mod layout;
pub mod login_app;
mod login_app_service;

pub use customer_device::{
    DEVICE_SUBJECT_DN, SANDBOX_DEVICE_AUDIENCE, SANDBOX_DEVICE_LISTEN, device_banner,
    device_notification_url, device_url, start_device,
};
pub use directory::{
    SAMPLE_REDIRECT_URI, SANDBOX_DIRECTORY_LISTEN, SandboxDirectory, directory_url, prepare_directory,
    start_directory,
};
pub use endpoints::SandboxEndpoints;
pub use gateway::{
    GATEWAY_ID, GATEWAY_SUBJECT_DN, SANDBOX_BANK_LISTEN, SANDBOX_GATEWAY_ADMIN_LISTEN,
    SANDBOX_GATEWAY_LISTEN, SandboxBank, start_bank_and_gateway,
};
pub use layout::{
    SAMPLE_ORG_ID, SAMPLE_SOFTWARE_ID, SANDBOX_TOKEN_LABEL, SANDBOX_TOML, SandboxLayout, softhsm_conf,
};
pub use login_app_service::{
    LOGIN_APP_CLIENT_ID, LOGIN_APP_ID, LOGIN_APP_SUBJECT_DN, SANDBOX_LOGIN_APP_LISTEN, login_app_banner,
    login_app_url, start_login_app,
};

use crate::clock::{Clock, SystemClock};
use crate::config::{self, ValidatedConfig};
use crate::pki::{self, ClientCertSpec, PkiInitOptions};
use anyhow::Context;
use fiducia_hsm::JoseAlg;
use fiducia_hsm::pkcs11::admin::KeyAdmin;
use fiducia_hsm::pkcs11::{Pin, TokenConfig, softhsm};
use std::path::{Path, PathBuf};

pub mod loadtest;

/// The `[signing]` section of a sandbox with a SoftHSM token.
const PKCS11_SIGNING: &str = "[signing]
# PKCS#11 through SoftHSM: the key was generated inside the token and never
# leaves it. Manage it with `fiducia keys --config <this file> list`.
backend = \"pkcs11\"
alg = \"ES256\"
token_label = \"fiducia-sandbox\"
pin_file = \"softhsm/user.pin\"
softhsm_conf = \"softhsm/softhsm2.conf\"
jwks_cache_ttl_secs = 60
max_token_lifetime_secs = 3600
";

/// The banner lines of a single OP node: HTTP/3, health and metrics.
pub fn node_lines(server: &crate::server::ServerHandle) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(addr) = server.h3_addr {
        lines.push(format!("  HTTP/3:        udp {addr}"));
    }
    lines.push(format!("  health:        http://{}/healthz", server.admin_addr));
    lines.push(format!("  metrics:       http://{}/metrics", server.admin_addr));
    lines
}

/// Prepares `data_dir` (config + PKI) if needed and returns the validated
/// config, its sandbox directory entry pointed at `directory_url` (where
/// `--directory-listen` puts the directory), its CIBA device channel at
/// `device_listen` and its login app's URL at `login_app_listen`.
pub fn prepare(
    data_dir: &Path,
    directory_url: &str,
    device_listen: std::net::SocketAddr,
    login_app_listen: std::net::SocketAddr,
) -> anyhow::Result<(SandboxLayout, ValidatedConfig)> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let config_file = data_dir.join("fiducia.toml");
    let hsm = prepare_softhsm(data_dir)?;
    if !config_file.exists() {
        let text = loadtest::with_loadtest_clients(SANDBOX_TOML);
        let text = match hsm {
            true => with_signing_section(&text, PKCS11_SIGNING),
            false => text,
        };
        std::fs::write(&config_file, text)
            .with_context(|| format!("cannot write {}", config_file.display()))?;
    }
    let pki_dir = data_dir.join("pki");
    let ca_cert = pki_dir.join("ca.pem");
    let client = ClientCertSpec {
        software_id: SAMPLE_SOFTWARE_ID.into(),
        org_id: SAMPLE_ORG_ID.into(),
        org_name: "Sandbox Fintech Ltd".into(),
        country: "GB".into(),
        organization_identifier: None,
        uid: None,
    };
    if !ca_cert.exists() {
        pki::init(&PkiInitOptions {
            out_dir: pki_dir.clone(),
            server_sans: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            clients: vec![client],
            force: false,
        })?;
    }
    loadtest::ensure_pkjwt_key(data_dir)?;
    ciba_client::ensure_key(data_dir)?;
    ciba_client::ensure_in_config(&config_file)?;
    gateway::ensure_resource_server(&config_file)?;
    login_app_service::ensure_in_config(&config_file)?;
    let (mut raw, base) = config::load(Some(&config_file))?;
    directory::point_at_directory(&mut raw, directory_url);
    customer_device::point_at_device(&mut raw, device_listen);
    login_app_service::point_at_login_app(&mut raw, login_app_listen);
    let validated = config::validate(raw, &base)?;
    let layout = SandboxLayout {
        data_dir: data_dir.to_path_buf(),
        config_file,
        ca_cert,
        client_cert: pki_dir.join("clients").join(format!("{SAMPLE_SOFTWARE_ID}.pem")),
        client_key: pki_dir.join("clients").join(format!("{SAMPLE_SOFTWARE_ID}.key")),
    };
    Ok((layout, validated))
}

/// The lines `fiducia sandbox` prints once it is serving.
pub fn banner(
    layout: &SandboxLayout,
    config: &ValidatedConfig,
    op_lines: &[String],
    directory: &SandboxDirectory,
    bank: &SandboxBank,
    device: std::net::SocketAddr,
    login_app: std::net::SocketAddr,
) -> anyhow::Result<String> {
    let discovery = config.endpoint_url(crate::protocol::paths::DISCOVERY);
    let ca = absolute(&layout.ca_cert);
    let mut lines = vec![
        "Fiducia sandbox is running.".to_string(),
        format!("  issuer:        {}", config.issuer()),
        format!("  discovery:     {discovery}"),
        format!(
            "  jwks:          {}",
            config.endpoint_url(crate::protocol::paths::JWKS)
        ),
    ];
    if let Some(url) = config.mtls_endpoint_url("") {
        lines.push(format!("  mTLS aliases:  {url}"));
    }
    lines.extend(op_lines.iter().cloned());
    lines.extend([
        format!("  CA:            {}", ca.display()),
        format!(
            "  fintech cert:  {} (key {})",
            absolute(&layout.client_cert).display(),
            absolute(&layout.client_key).display()
        ),
        format!("  config:        {}", absolute(&layout.config_file).display()),
        format!("  signing:       {}", signing_line(config)),
        crate::directory::cli::banner(&directory.directory, directory.server.addr)?,
        format!(
            "  sample software: {SAMPLE_SOFTWARE_ID} (org {SAMPLE_ORG_ID}), certificates and keys in {}",
            directory.directory.software_dir(SAMPLE_SOFTWARE_ID).display()
        ),
        registration_line(config),
        format!(
            "  load test:     fiducia-loadtest --sandbox {} --scenario cc-mtls",
            absolute(&layout.data_dir).display()
        ),
    ]);
    lines.extend(bank.banner());
    lines.push(device_banner(layout, device));
    lines.push(login_app_banner(login_app));
    let customers = &config.get().login.seed_users;
    if let Some(first) = customers.first() {
        let names: Vec<&str> = customers.iter().map(|c| c.username.as_str()).collect();
        lines.push(format!(
            "  customers:     {} (passwords in {})",
            names.join(", "),
            absolute(&layout.config_file).display()
        ));
        lines.push(format!(
            "  first payment: fiducia demo payment --data {} --user {} --password <{}'s password>",
            absolute(&layout.data_dir).display(),
            first.username,
            first.username
        ));
        lines.push(format!(
            "  CIBA payment:  fiducia demo ciba-payment --data {} --user {} --password <{}'s password> (client {})",
            absolute(&layout.data_dir).display(),
            first.username,
            first.username,
            ciba_client::CIBA_CLIENT_ID
        ));
    }
    lines.extend([
        String::new(),
        format!("  try: curl --cacert {} {discovery}", ca.display()),
        format!(
            "       curl --cacert {ca} --cert {sw}/transport.pem --key {sw}/transport.key -X POST {url}/software/{SAMPLE_SOFTWARE_ID}/ssa",
            ca = ca.display(),
            sw = directory.directory.software_dir(SAMPLE_SOFTWARE_ID).display(),
            url = directory.directory.state()?.settings.public_url,
        ),
        "Stop with Ctrl-C (in-flight requests finish first).".to_string(),
    ]);
    Ok(lines.join("\n"))
}

fn registration_line(config: &ValidatedConfig) -> String {
    let registration = &config.get().registration;
    match registration.enabled {
        true => format!(
            "  registration:  {} (software statements of the sandbox directory; statuses re-checked every {} s)",
            config.endpoint_url(crate::protocol::paths::REGISTRATION),
            registration.status_check_interval_secs
        ),
        false => "  registration:  off ([registration] enabled = false)".to_string(),
    }
}

fn signing_line(config: &ValidatedConfig) -> String {
    let signing = &config.get().signing;
    match signing.backend {
        config::SigningBackend::Pkcs11 => format!(
            "{} in PKCS#11 token `{}` (SoftHSM); `fiducia keys --config <config> list`",
            signing.alg, signing.token_label
        ),
        config::SigningBackend::Software => {
            format!("{} software key (install softhsm2 for an HSM)", signing.alg)
        }
    }
}

/// Makes the sandbox's SoftHSM token (once) with a random PIN in
/// `softhsm/user.pin` (mode 0600) and makes sure an ES256 key is active.
/// Returns false when SoftHSM is not installed (the software key is used).
fn prepare_softhsm(data_dir: &Path) -> anyhow::Result<bool> {
    let Some(module) = softhsm::softhsm_module() else {
        tracing::warn!(
            "SoftHSM is not installed (apt-get install softhsm2): the sandbox signs with a software key"
        );
        return Ok(false);
    };
    let conf = softhsm_conf(data_dir);
    if std::env::var_os("SOFTHSM2_CONF").map(PathBuf::from) != Some(conf.clone()) {
        anyhow::bail!("SOFTHSM2_CONF must be {} for this sandbox", conf.display());
    }
    softhsm::ensure_softhsm_conf()?;
    let pin_file = data_dir.join("softhsm").join("user.pin");
    let ctx = fiducia_hsm::pkcs11::module(&module)?;
    if fiducia_hsm::pkcs11::find_token(&ctx, SANDBOX_TOKEN_LABEL).is_err() {
        let pin = softhsm::random_pin()?;
        softhsm::init_token(SANDBOX_TOKEN_LABEL, &pin)?;
        pki::write_private_file(&pin_file, format!("{pin}\n").as_bytes())
            .with_context(|| format!("cannot write {}", pin_file.display()))?;
    }
    let token = TokenConfig {
        module,
        token_label: SANDBOX_TOKEN_LABEL.into(),
        pin: Pin::from_file(&pin_file).with_context(|| format!("cannot read {}", pin_file.display()))?,
    };
    let raw = config::load_from_str(PKCS11_SIGNING, Vec::new())?;
    let admin = KeyAdmin::new(token, crate::signing::rotation_policy(&raw.signing));
    if admin.load()?.active(JoseAlg::Es256).is_none() {
        let now = SystemClock.now_unix();
        admin.rotate(JoseAlg::Es256, 0, "sandbox", now)?;
    }
    Ok(true)
}

/// Replaces everything from the `[signing]` header on with `section`.
fn with_signing_section(template: &str, section: &str) -> String {
    match template.find("\n[signing]") {
        Some(i) => format!("{}\n{section}", &template[..i]),
        None => format!("{template}\n{section}"),
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
