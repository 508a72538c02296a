//! `account_information`: access to the customer's account data, as
//! RFC 9396 §2.2's common fields describe it: `actions` (what may be
//! read), optional `locations` (the account API) and optional `accounts`
//! (which accounts; none named: the customer's accounts in general).
//!
//! ```json
//! {"type": "account_information", "actions": ["list_accounts", "read_balances"],
//!  "locations": ["https://bank.example/accounts"],
//!  "accounts": [{"iban": "DE02100100109307118603"}]}
//! ```

use super::MAX_ARRAY_ITEMS;
use super::text::{self, AccountRef, AccountWire};
use serde::Deserialize;
use serde_json::Value;

/// What may be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// The list of accounts.
    ListAccounts,
    /// Balances.
    ReadBalances,
    /// Transactions.
    ReadTransactions,
}

const ACTIONS: &[(&str, AccountAction)] = &[
    ("list_accounts", AccountAction::ListAccounts),
    ("read_balances", AccountAction::ReadBalances),
    ("read_transactions", AccountAction::ReadTransactions),
];

impl AccountAction {
    fn describe(self) -> &'static str {
        match self {
            AccountAction::ListAccounts => "See your list of accounts",
            AccountAction::ReadBalances => "See your balances",
            AccountAction::ReadTransactions => "See your transactions",
        }
    }
}

/// A checked `account_information` detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInformation {
    /// RFC 9396 §2.2 `actions`: at least one.
    pub actions: Vec<AccountAction>,
    /// RFC 9396 §2.2 `locations`.
    pub locations: Vec<String>,
    /// The accounts; empty: not restricted here.
    pub accounts: Vec<AccountRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[allow(dead_code)] // checked by the caller; named so that it is not an unknown field
    r#type: String,
    actions: Vec<String>,
    locations: Option<Vec<String>>,
    accounts: Option<Vec<AccountWire>>,
}

impl AccountInformation {
    /// RFC 9396 §5: every field known, `actions` present and known.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let wire: Wire = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        let actions = text::actions(Some(wire.actions), ACTIONS)?;
        if actions.is_empty() {
            return Err("`actions` must name at least one action".into());
        }
        let accounts = wire.accounts.unwrap_or_default();
        if accounts.len() > MAX_ARRAY_ITEMS {
            return Err(format!("`accounts` has more than {MAX_ARRAY_ITEMS} entries"));
        }
        Ok(Self {
            actions,
            locations: text::locations(wire.locations)?,
            accounts: accounts
                .into_iter()
                .map(|a| AccountRef::parse("accounts", a))
                .collect::<Result<_, _>>()?,
        })
    }

    /// What the customer is asked to approve.
    pub fn consent_lines(&self) -> Vec<(&'static str, String)> {
        let mut lines: Vec<(&'static str, String)> = self
            .actions
            .iter()
            .map(|a| ("Account access", a.describe().to_string()))
            .collect();
        if self.accounts.is_empty() {
            lines.push(("Accounts", "All your accounts".into()));
        } else {
            for account in &self.accounts {
                lines.push(("Account", account.display()));
            }
        }
        lines
    }
}
