//! The sandbox's API gateway and sample bank API: the gateway on 8446 (its
//! admin on 9091) in front of the bank API on 127.0.0.1:8447, both with the
//! sandbox CA's server certificate. The gateway has its own certificate from
//! the sandbox CA (`pki/clients/api-gateway.pem`): it authenticates to the
//! OP's introspection endpoint as the `[[resource_servers]]` `api-gateway`
//! and to the bank API, which admits no other certificate.

use super::bank::{self, BankOptions, BankServer, GatewayIdentity};
use super::layout::SandboxLayout;
use crate::clock::SystemClock;
use crate::config::{GatewayConfig, GatewayOpConfig, RouteConfig, TokenValidation, UpstreamConfig};
use crate::config::{TlsConfig, ValidatedConfig};
use crate::gateway::{self, GatewayHandle};
use crate::pki::{self, CA_CERT_FILE, ClientCertSpec, SERVER_CERT_FILE, SERVER_KEY_FILE};
use crate::protocol::paths;
use anyhow::Context;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the sandbox's API gateway listens (fintechs call it).
pub const SANDBOX_GATEWAY_LISTEN: &str = "127.0.0.1:8446";
/// The gateway's admin listener (`/healthz`, `/readyz`, `/metrics`).
pub const SANDBOX_GATEWAY_ADMIN_LISTEN: &str = "127.0.0.1:9091";
/// Where the sample bank API listens (only the gateway calls it).
pub const SANDBOX_BANK_LISTEN: &str = "127.0.0.1:8447";
/// The gateway's resource-server id at the OP.
pub const GATEWAY_ID: &str = "api-gateway";
/// The subject of the gateway's certificate (`[[resource_servers]]` in the sandbox config).
pub const GATEWAY_SUBJECT_DN: &str = "CN=api-gateway,OU=fiducia-sandbox-bank,O=Fiducia Sandbox Bank,C=GB";

/// The `[[resource_servers]]` entry of the sandbox config.
pub(super) const RESOURCE_SERVER: &str = "
# The sandbox's API gateway (`fiducia sandbox` runs it on 8446): it may
# introspect tokens with its certificate pki/clients/api-gateway.pem.
[[resource_servers]]
id = \"api-gateway\"
tls_client_auth_subject_dn = \"CN=api-gateway,OU=fiducia-sandbox-bank,O=Fiducia Sandbox Bank,C=GB\"
";

/// A running gateway and bank API.
pub struct SandboxBank {
    /// The gateway.
    pub gateway: GatewayHandle,
    /// Its public URL.
    pub gateway_url: String,
    /// The bank API.
    pub bank: BankServer,
    /// The ledger's directory.
    pub ledger_dir: PathBuf,
    /// The gateway's certificate.
    pub gateway_cert: PathBuf,
}

/// Adds the gateway's `[[resource_servers]]` entry to a sandbox config made
/// before the gateway existed.
pub fn ensure_resource_server(config_file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config_file)
        .with_context(|| format!("cannot read {}", config_file.display()))?;
    if !text.contains("[[resource_servers]]") {
        tracing::info!(config = %config_file.display(), "adding the sandbox API gateway as a resource server");
        std::fs::write(config_file, format!("{text}{RESOURCE_SERVER}"))
            .with_context(|| format!("cannot write {}", config_file.display()))?;
    }
    Ok(())
}

/// Issues the gateway's certificate from the sandbox CA once; its paths.
pub(super) fn gateway_certificate(pki_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let clients = pki_dir.join(pki::CLIENTS_DIR);
    let (cert, key) = (
        clients.join(format!("{GATEWAY_ID}.pem")),
        clients.join(format!("{GATEWAY_ID}.key")),
    );
    if !cert.exists() {
        pki::issue_client(
            pki_dir,
            &ClientCertSpec {
                software_id: GATEWAY_ID.into(),
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

fn route(name: &str, method: &str, path_prefix: &str, scope: &str, payment_consent: bool) -> RouteConfig {
    RouteConfig {
        name: name.into(),
        methods: vec![method.into()],
        path_prefix: path_prefix.into(),
        scopes: vec![scope.into()],
        payment_consent,
    }
}

/// Starts the bank API on `bank_listen` and the gateway on `gateway_listen` in front of it.
pub async fn start_bank_and_gateway(
    layout: &SandboxLayout,
    config: &ValidatedConfig,
    gateway_listen: SocketAddr,
    gateway_admin_listen: SocketAddr,
    bank_listen: SocketAddr,
) -> anyhow::Result<SandboxBank> {
    let pki_dir = std::path::absolute(layout.data_dir.join("pki"))?;
    let ca = pki_dir.join(CA_CERT_FILE);
    let (cert, key) = gateway_certificate(&pki_dir)?;
    let gateway_url = format!("https://localhost:{}", gateway_listen.port());
    let der = CertificateDer::pem_file_iter(&cert)
        .context("the gateway's certificate")?
        .next()
        .context("the gateway's certificate file is empty")??;
    let customers = config.get().login.seed_users.clone();
    let ledger_dir = std::path::absolute(layout.data_dir.join("bank"))?;
    let bank = bank::start(BankOptions {
        data_dir: ledger_dir.clone(),
        listen: bank_listen,
        tls: TlsConfig {
            cert: pki_dir.join(SERVER_CERT_FILE),
            key: pki_dir.join(SERVER_KEY_FILE),
            client_ca: vec![ca.clone()],
            ..TlsConfig::default()
        },
        gateway: GatewayIdentity {
            subject_dn: Some(GATEWAY_SUBJECT_DN.into()),
            x5t_s256: vec![crate::protocol::client_cert::x5t_s256(&der)],
        },
        public_base: gateway_url.clone(),
        seed: bank::sandbox_accounts(&customers),
        clock: Arc::new(SystemClock),
    })
    .await?;
    let gateway_config = GatewayConfig {
        listen: gateway_listen,
        public_url: gateway_url.clone(),
        cert: pki_dir.join(SERVER_CERT_FILE),
        key: pki_dir.join(SERVER_KEY_FILE),
        client_ca: vec![ca.clone()],
        admin_listen: gateway_admin_listen,
        op: GatewayOpConfig {
            issuer: config.issuer().to_string(),
            token_validation: TokenValidation::Introspection,
            introspection_endpoint: config
                .mtls_endpoint_url(paths::INTROSPECTION)
                .unwrap_or_else(|| config.endpoint_url(paths::INTROSPECTION)),
            grant_reservation_endpoint: config
                .mtls_endpoint_url(paths::GRANT_RESERVATION)
                .unwrap_or_else(|| config.endpoint_url(paths::GRANT_RESERVATION)),
            grant_consumption_endpoint: config
                .mtls_endpoint_url(paths::GRANT_CONSUMPTION)
                .unwrap_or_else(|| config.endpoint_url(paths::GRANT_CONSUMPTION)),
            jwks_uri: config.endpoint_url(paths::JWKS),
            client_id: GATEWAY_ID.into(),
            client_cert: cert.clone(),
            client_key: key.clone(),
            ca: vec![ca.clone()],
            ..GatewayOpConfig::default()
        },
        upstream: UpstreamConfig {
            base_url: format!("https://localhost:{}", bank.addr.port()),
            client_cert: cert.clone(),
            client_key: key,
            ca: vec![ca],
            ..UpstreamConfig::default()
        },
        routes: vec![
            route("accounts", "GET", bank::http::AISP, "accounts", false),
            route(
                "domestic-payments",
                "POST",
                bank::http::DOMESTIC_PAYMENTS,
                "payments",
                true,
            ),
            route(
                "domestic-payment-status",
                "GET",
                bank::http::DOMESTIC_PAYMENTS,
                "payments",
                false,
            ),
        ],
        ..GatewayConfig::default()
    }
    .validate(&layout.data_dir)?;
    let gateway = gateway::start(gateway_config).await?;
    Ok(SandboxBank {
        gateway,
        gateway_url,
        bank,
        ledger_dir,
        gateway_cert: cert,
    })
}

impl SandboxBank {
    /// The banner lines.
    pub fn banner(&self) -> Vec<String> {
        vec![
            format!(
                "  API gateway:   {url} (admin http://{admin}); present the fintech cert and a token",
                url = self.gateway_url,
                admin = self.gateway.admin_addr
            ),
            format!(
                "                 GET  {url}{aisp}/accounts[/{{AccountId}}/balances|/transactions]  (scope accounts)",
                url = self.gateway_url,
                aisp = bank::http::AISP
            ),
            format!(
                "                 POST {url}{pay}  (scope payments + a payment_initiation detail, x-idempotency-key)",
                url = self.gateway_url,
                pay = bank::http::DOMESTIC_PAYMENTS
            ),
            format!(
                "  bank API:      https://localhost:{} (only the gateway's cert {}); ledger {}",
                self.bank.addr.port(),
                self.gateway_cert.display(),
                self.ledger_dir.join(bank::ledger::LEDGER_FILE).display()
            ),
        ]
    }

    /// Stops the gateway, then the bank API.
    pub async fn shutdown(self) {
        self.gateway.shutdown().await;
        self.bank.shutdown().await;
    }
}
