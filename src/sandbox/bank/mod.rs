//! The sandbox's sample bank API, behind the API gateway: accounts,
//! balances and transactions of the sandbox customers (Open Banking
//! Account and Transaction API v3.1) and domestic payments (Payment
//! Initiation API v3.1) booked in a small persistent ledger (`ledger.rs`).
//!
//! It trusts only the gateway: the listener requires a client certificate
//! that chains to the sandbox CA, and every request must come on a
//! connection whose certificate is the configured gateway certificate
//! (subject DN and/or `x5t#S256`, [`GatewayIdentity`]) and carry the
//! gateway's `x-fiducia-*` headers, which say who the fintech and the
//! customer are and what the token allows.

pub mod accounts;
pub mod amount;
pub mod bounds;
pub mod gateway_identity;
pub mod http;
pub mod ledger;
pub mod ledger_records;
#[cfg(test)]
mod ledger_tests;
pub mod payment;
pub mod response;

pub use gateway_identity::GatewayIdentity;

use crate::clock::Clock;
use crate::config::{SeedUser, TlsConfig};
use crate::http::ListenerKind;
use crate::http::standalone::{Standalone, StandaloneServer};
use crate::http::tls::ClientAuth;
use http::BankApi;
use ledger::Ledger;
use ledger_records::Account;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Largest request body read.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// How to run the bank API.
pub struct BankOptions {
    /// Where the ledger lives.
    pub data_dir: PathBuf,
    /// The TCP address (HTTPS, client certificate required).
    pub listen: SocketAddr,
    /// Server certificate, key, and the CA client certificates must chain to.
    pub tls: TlsConfig,
    /// The gateway's certificate.
    pub gateway: GatewayIdentity,
    /// The base of `Links.Self` (the gateway's public URL).
    pub public_base: String,
    /// Accounts created on first start.
    pub seed: Vec<Account>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// A running bank API.
pub struct BankServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// Its ledger.
    pub ledger: Arc<Ledger>,
    server: StandaloneServer,
}

/// Opens the ledger and serves the bank API.
pub async fn start(options: BankOptions) -> anyhow::Result<BankServer> {
    if options.gateway.subject_dn.is_none() && options.gateway.x5t_s256.is_empty() {
        anyhow::bail!("bank API: the gateway's certificate subject or thumbprint is required");
    }
    let ledger = Arc::new(Ledger::open(&options.data_dir, &options.seed)?);
    let handler = Arc::new(BankApi {
        ledger: ledger.clone(),
        gateway: options.gateway,
        public_base: options.public_base.trim_end_matches('/').to_string(),
        clock: options.clock,
    });
    // RFC 8705 §2: no certificate chaining to the CA, no connection.
    let server = Standalone {
        name: "sample bank API",
        listen: options.listen,
        tls: options.tls,
        client_auth: ClientAuth::Required,
        kind: ListenerKind::MtlsAlias,
        max_body_bytes: MAX_BODY_BYTES,
    }
    .serve(handler)
    .await?;
    Ok(BankServer {
        addr: server.addr,
        ledger,
        server,
    })
}

impl BankServer {
    /// Stops accepting, lets in-flight requests finish, and returns when the listener is done.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// A GB IBAN of the sample bank (bank code `FDCA`, sort code `040004`) for
/// account number `number`, with its ISO 13616 check digits (mod 97).
pub fn sample_iban(number: u32) -> String {
    let bban = format!("FDCA040004{number:08}");
    // Letters become numbers (A = 10 ... Z = 35); the country code and "00" go last.
    let digits: String = format!("{bban}GB00")
        .chars()
        .map(|c| match c.to_digit(36) {
            Some(d) => d.to_string(),
            None => String::new(),
        })
        .collect();
    let remainder = digits
        .bytes()
        .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    format!("GB{:02}{bban}", 98 - remainder)
}

/// The sandbox's accounts: each seed customer's configured accounts
/// (`[[login.seed_users.accounts]]`, the ones the consent page offers), or,
/// for a customer without any, a EUR and a GBP current account with sample
/// IBANs. Opening balances: the first customer's EUR accounts 1,000.00, the
/// others' 250.00, every other currency 500.00.
pub fn sandbox_accounts(customers: &[SeedUser]) -> Vec<Account> {
    let mut accounts = Vec::new();
    for (i, customer) in customers.iter().enumerate() {
        let eur_balance = if i == 0 { "1000.00" } else { "250.00" };
        let balance = |currency: &str| if currency == "EUR" { eur_balance } else { "500.00" };
        let owner = &customer.account_id;
        if customer.accounts.is_empty() {
            let n = u32::try_from(i).unwrap_or(0) * 2 + 1;
            for (currency, number) in [("EUR", n), ("GBP", n + 1)] {
                let id = format!("{owner}-{}", currency.to_lowercase());
                let iban = sample_iban(number);
                accounts.push(ledger::seed_account(
                    owner,
                    &id,
                    currency,
                    &iban,
                    &customer.name,
                    balance(currency),
                ));
            }
            continue;
        }
        for (j, configured) in customer.accounts.iter().enumerate() {
            // `<owner>-eur`, then `<owner>-eur-2`, ... per currency.
            let currency = configured.currency.to_lowercase();
            let earlier = customer.accounts[..j]
                .iter()
                .filter(|a| a.currency == configured.currency)
                .count();
            let id = match earlier {
                0 => format!("{owner}-{currency}"),
                n => format!("{owner}-{currency}-{}", n + 1),
            };
            let mut account = ledger::seed_account(
                owner,
                &id,
                &configured.currency,
                &configured.identification,
                &customer.name,
                balance(&configured.currency),
            );
            account.scheme_name.clone_from(&configured.scheme_name);
            accounts.push(account);
        }
    }
    accounts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_ibans_have_valid_iso13616_check_digits() {
        // ISO 13616: moving the first four characters to the end and reading letters as
        // numbers gives a number that is 1 modulo 97.
        for n in [1, 2, 99_999_999] {
            let iban = sample_iban(n);
            let moved = format!("{}{}", &iban[4..], &iban[..4]);
            let digits: String = moved
                .chars()
                .map(|c| c.to_digit(36).unwrap().to_string())
                .collect();
            let r = digits
                .bytes()
                .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
            assert_eq!(r, 1, "{iban}");
        }
        assert_eq!(sample_iban(1).len(), 22);
    }
}
