//! OP + sample bank API + gateway, with a fintech that reads accounts.

use super::super::flow::harness::*;
use super::super::flow::rar::{authorize_with_details, authorize_with_params, tokens_for};
use super::super::gateway::rig::{
    PUBLIC_URL, call_with_cert, clients, consented_payment, gateway_cert_x5t, gateway_config,
};
use super::super::support::*;
use bytes::Bytes;
use fiducia::clock::SystemClock;
use fiducia::config::GatewayConfig;
use fiducia::gateway::{self, GatewayHandle};
use fiducia::sandbox::bank::ledger::seed_account;
use fiducia::sandbox::bank::{self, BankOptions, BankServer, GatewayIdentity};
use http::{Request, Response};
use http_body_util::Full;
use std::path::Path;
use std::sync::Arc;

/// A private_key_jwt fintech with DPoP-bound tokens that reads accounts.
pub const READER: &str = "bank-reader";
/// A tls_client_auth fintech with RFC 9068 JWT access tokens that asks for
/// UK OBIE consents.
pub const JWT_MTLS: &str = "bank-jwt-mtls";
/// Alice's EUR account (the flow harness's customer is `acc-alice-1`).
pub const ALICE_EUR: &str = "acc-alice-1-eur";
/// Alice's EUR savings account.
pub const ALICE_SAVINGS: &str = "acc-alice-1-savings";
/// Bob's account.
pub const BOB_EUR: &str = "acc-bob-eur";
/// Alice's opening balance.
pub const OPENING: &str = "300.00";
/// Payment status reads.
pub const STATUS_ROUTE: &str = r#"
[[gateway.routes]]
name = "domestic-payment-status"
methods = ["GET"]
path_prefix = "/open-banking/v3.1/pisp/domestic-payments/"
scopes = ["payments"]
"#;

fn more_clients(jwks: &Path) -> String {
    format!(
        r#"{}
[[clients]]
client_id = "{READER}"
client_name = "Account Reader Two Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
scopes = ["openid", "accounts"]
authorization_details_types = ["account_information"]

[[clients]]
client_id = "{JWT_MTLS}"
client_name = "Offline Account Reader Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN={FINTECH},OU=org-1,O=org-1,C=GB"
scopes = ["openid", "accounts", "payments"]
access_token_format = "jwt"

# Alice's accounts, offered on the consent page (the harness's only seed user).
[[login.seed_users.accounts]]
identification = "{current}"
currency = "EUR"
name = "Current account"

[[login.seed_users.accounts]]
identification = "{savings}"
currency = "EUR"
name = "Savings account"
"#,
        clients(jwks),
        jwks = jwks.display(),
        current = bank::sample_iban(1),
        savings = bank::sample_iban(3),
    )
}

/// OP + bank API + gateway.
pub struct BankRig {
    pub op: Op,
    pub bank: BankServer,
    pub gateway: GatewayHandle,
}

impl BankRig {
    pub async fn start() -> Self {
        Self::start_with("").await
    }

    /// With `op` added to the gateway's `[gateway.op]` section.
    pub async fn start_with(op_section: &str) -> Self {
        let op = Op::start_with_clients("", more_clients).await;
        let pki = op.pki.path("");
        let bank = bank::start(BankOptions {
            data_dir: op.pki.dir.path().join("bank"),
            listen: "127.0.0.1:0".parse().unwrap(),
            tls: fiducia::config::TlsConfig {
                cert: pki.join("server.pem"),
                key: pki.join("server.key"),
                client_ca: vec![op.pki.ca()],
                ..Default::default()
            },
            gateway: GatewayIdentity {
                subject_dn: Some(format!("CN={GATEWAY},OU=bank-platform,O=bank-platform,C=GB")),
                x5t_s256: vec![gateway_cert_x5t(&op.pki)],
            },
            public_base: PUBLIC_URL.into(),
            seed: vec![
                seed_account(
                    "acc-alice-1",
                    ALICE_EUR,
                    "EUR",
                    &bank::sample_iban(1),
                    "Alice Liddell",
                    OPENING,
                ),
                seed_account(
                    "acc-alice-1",
                    ALICE_SAVINGS,
                    "EUR",
                    &bank::sample_iban(3),
                    "Alice Liddell",
                    "100.00",
                ),
                seed_account(
                    "acc-bob",
                    BOB_EUR,
                    "EUR",
                    &bank::sample_iban(2),
                    "Bob Builder",
                    "50.00",
                ),
            ],
            clock: Arc::new(SystemClock),
        })
        .await
        .unwrap();
        let base = format!("https://localhost:{}", bank.addr.port());
        let gateway = gateway::start(gateway_config(&op, &base, "", op_section, STATUS_ROUTE))
            .await
            .unwrap();
        BankRig { op, bank, gateway }
    }

    /// The configuration of another gateway replica in front of the same
    /// bank API and OP, with `op_section` added to `[gateway.op]`.
    pub fn replica_config(&self, op_section: &str) -> GatewayConfig {
        let base = format!("https://localhost:{}", self.bank.addr.port());
        gateway_config(&self.op, &base, "", op_section, STATUS_ROUTE)
    }

    /// Sends to the gateway (replica) at `addr` as the test fintech.
    pub async fn call_at(
        &self,
        addr: std::net::SocketAddr,
        request: Request<Full<Bytes>>,
    ) -> Response<Bytes> {
        let pki = &self.op.pki;
        call_with_cert(pki, addr, &pki.client_cert(), &pki.client_key(), request).await
    }

    /// The bank's ledger as written to disk.
    pub fn ledger(&self) -> fiducia::sandbox::bank::ledger::LedgerState {
        fiducia::sandbox::bank::ledger::Ledger::open(&self.op.pki.dir.path().join("bank"), &[])
            .unwrap()
            .snapshot()
    }

    /// Sends to the gateway as the test fintech.
    pub async fn call(&self, request: Request<Full<Bytes>>) -> Response<Bytes> {
        self.call_at(self.gateway.addr, request).await
    }

    /// A DPoP-bound token of `client_id` for `scope` with the consented payment (when
    /// `payment`), approved by Alice.
    pub async fn token(&self, client_id: &str, dpop: &DpopKey, scope: &str, payment: bool) -> String {
        let authorized = match payment {
            true => {
                authorize_with_details(&self.op, client_id, dpop, scope, &consented_payment())
                    .await
                    .0
            }
            false => {
                authorize_with_params(&self.op, client_id, dpop, scope, &[])
                    .await
                    .0
            }
        };
        let tokens = tokens_for(&self.op, client_id, &authorized, dpop).await;
        tokens["access_token"].as_str().unwrap().to_string()
    }

    /// A DPoP-bound token of `client_id` for `scope` with the RFC 9396
    /// `details`, approved by Alice.
    pub async fn token_with_details(
        &self,
        client_id: &str,
        dpop: &DpopKey,
        scope: &str,
        details: &serde_json::Value,
    ) -> String {
        let (authorized, _) = authorize_with_details(&self.op, client_id, dpop, scope, details).await;
        let tokens = tokens_for(&self.op, client_id, &authorized, dpop).await;
        tokens["access_token"].as_str().unwrap().to_string()
    }

    /// A GET through the gateway with a DPoP-bound `token`.
    pub async fn dpop_get(&self, dpop: &DpopKey, token: &str, path: &str) -> Response<Bytes> {
        let proof = dpop
            .proof("GET", &format!("{PUBLIC_URL}{path}"), Some(token))
            .await;
        let request = with_header(get(path), "authorization", &format!("DPoP {token}"));
        self.call(with_header(request, "dpop", &proof)).await
    }

    pub async fn shutdown(self) {
        self.gateway.shutdown().await;
        self.bank.shutdown().await;
        self.op.handle.shutdown().await;
    }
}
