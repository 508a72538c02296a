//! The sample bank's ledger: accounts, booked transactions, submitted
//! payments and the idempotency keys that made them, in one JSON file
//! (`ledger.json`) in the bank's data directory.
//!
//! A payment is one transaction: under the ledger's lock, the idempotency
//! key is looked up, the funds checked, the debit, the credit, the payment
//! and the key are applied to a copy of the state, the copy is written
//! atomically (temporary file, fsync, rename, fsync of the directory), and
//! only then does it replace the state in memory. A crash or a failed write
//! leaves the old ledger or the new one, never a debit without its credit;
//! a retry with the same key finds the payment and moves nothing.

use super::amount;
use super::ledger_records::{Account, CreditDebit, Transaction};
use super::payment::{PaymentOrder, PaymentRecord, Refused};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The ledger file in the bank's data directory.
pub const LEDGER_FILE: &str = "ledger.json";
/// Version of the file layout.
pub const LEDGER_VERSION: u32 = 1;

/// Everything the bank remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerState {
    /// [`LEDGER_VERSION`].
    pub version: u32,
    /// Accounts by `account_id`.
    pub accounts: BTreeMap<String, Account>,
    /// Booked transactions, oldest first.
    pub transactions: Vec<Transaction>,
    /// Payments by `DomesticPaymentId`.
    pub payments: BTreeMap<String, PaymentRecord>,
    /// `client_id` + `\n` + `x-idempotency-key` -> `DomesticPaymentId`.
    pub idempotency: BTreeMap<String, String>,
}

/// The ledger of a data directory.
pub struct Ledger {
    dir: PathBuf,
    state: Mutex<LedgerState>,
}

impl Ledger {
    /// Opens the ledger in `dir`, creating it with the `seed` accounts when absent
    /// (seed accounts missing from an existing ledger are added).
    pub fn open(dir: &Path, seed: &[Account]) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(LEDGER_FILE);
        let mut state = match std::fs::read(&path) {
            Ok(bytes) => {
                let state: LedgerState = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not a bank ledger", path.display()))?;
                if state.version != LEDGER_VERSION {
                    anyhow::bail!(
                        "{} has layout version {}, not {LEDGER_VERSION}",
                        path.display(),
                        state.version
                    );
                }
                state
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => LedgerState {
                version: LEDGER_VERSION,
                ..LedgerState::default()
            },
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut changed = !path.exists();
        for account in seed {
            if !state.accounts.contains_key(&account.account_id) {
                state.accounts.insert(account.account_id.clone(), account.clone());
                changed = true;
            }
        }
        if changed {
            save(dir, &state)?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            state: Mutex::new(state),
        })
    }

    /// A consistent copy of the state for reading.
    pub fn snapshot(&self) -> LedgerState {
        match self.state.lock() {
            Ok(state) => state.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Books `order` once per (`client_id`, idempotency key): the first call debits,
    /// credits and records the payment; later ones return that payment (`false`: not new).
    pub fn pay(&self, order: &PaymentOrder, now: u64) -> Result<(PaymentRecord, bool), Refused> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = format!("{}\n{}", order.client_id, order.idempotency_key);
        if let Some(existing) = state.idempotency.get(&key).and_then(|id| state.payments.get(id)) {
            // OBIE Read/Write API: the same key with another payload is refused.
            return match existing.same_request(order) {
                true => Ok((existing.clone(), false)),
                false => Err(Refused::IdempotencyKeyReused),
            };
        }
        // OBIE Payment Initiation API v3.1: a consent authorises one payment.
        if state
            .payments
            .values()
            .any(|p| p.consent_reference == order.consent_reference)
        {
            return Err(Refused::ConsentUsed);
        }
        let mut next = state.clone();
        let record = book(&mut next, order, now)?;
        next.idempotency.insert(key, record.payment_id.clone());
        save(&self.dir, &next).map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "bank ledger: cannot write the payment");
            Refused::Storage
        })?;
        *state = next;
        Ok((record, true))
    }
}

/// Debits the customer's account, credits the creditor's (another bank's
/// account is added to the ledger the first time it is paid) and records the payment.
fn book(state: &mut LedgerState, order: &PaymentOrder, now: u64) -> Result<PaymentRecord, Refused> {
    let debtor = state
        .accounts
        .values()
        .find(|a| {
            a.owner.as_deref() == Some(order.customer.as_str())
                && a.currency == order.currency
                && order.debtor.as_ref().is_none_or(|d| d.matches(a))
        })
        .ok_or(Refused::NoDebtorAccount)?
        .clone();
    if debtor.balance < order.amount {
        return Err(Refused::InsufficientFunds);
    }
    let creditor_id = match state.accounts.values().find(|a| order.creditor.matches(a)) {
        Some(account) if account.currency != order.currency => return Err(Refused::CreditorCurrency),
        Some(account) => account.account_id.clone(),
        None => {
            let id = format!("ext-{}", uuid::Uuid::new_v4().simple());
            let account = Account {
                account_id: id.clone(),
                owner: None,
                currency: order.currency.clone(),
                scheme_name: order.creditor.scheme_name.clone(),
                identification: order.creditor.identification.clone(),
                name: order.creditor.name.clone().unwrap_or_default(),
                balance: 0,
            };
            state.accounts.insert(id.clone(), account);
            id
        }
    };
    if creditor_id == debtor.account_id {
        return Err(Refused::SameAccount);
    }
    let payment_id = format!("dp-{}", uuid::Uuid::new_v4().simple());
    for (account_id, side) in [
        (&debtor.account_id, CreditDebit::Debit),
        (&creditor_id, CreditDebit::Credit),
    ] {
        let account = state.accounts.get_mut(account_id).ok_or(Refused::Storage)?;
        account.balance = match side {
            CreditDebit::Debit => account.balance.checked_sub(order.amount),
            CreditDebit::Credit => account.balance.checked_add(order.amount),
        }
        .ok_or(Refused::Storage)?;
        state.transactions.push(Transaction {
            transaction_id: format!("tx-{}", uuid::Uuid::new_v4().simple()),
            account_id: account_id.clone(),
            credit_debit: side,
            amount: order.amount,
            currency: order.currency.clone(),
            balance_after: account.balance,
            booked_at: now,
            payment_id: Some(payment_id.clone()),
            information: order.reference.clone(),
        });
    }
    let record = PaymentRecord::accepted(payment_id.clone(), order, &debtor.account_id, now);
    state.payments.insert(payment_id, record.clone());
    Ok(record)
}

/// Writes `state` atomically into `dir`.
fn save(dir: &Path, state: &LedgerState) -> anyhow::Result<()> {
    let path = dir.join(LEDGER_FILE);
    let tmp = dir.join(format!(".{LEDGER_FILE}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let text = serde_json::to_vec_pretty(state).context("cannot encode the ledger")?;
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(&text)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        // Best effort: the temporary file is useless now; the error matters more.
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

/// A seed account of `owner` with `balance` (an Open Banking amount).
pub fn seed_account(
    owner: &str,
    account_id: &str,
    currency: &str,
    iban: &str,
    name: &str,
    balance: &str,
) -> Account {
    Account {
        account_id: account_id.into(),
        owner: Some(owner.into()),
        currency: currency.into(),
        scheme_name: "UK.OBIE.IBAN".into(),
        identification: iban.into(),
        name: name.into(),
        balance: amount::parse(balance).unwrap_or(0),
    }
}
