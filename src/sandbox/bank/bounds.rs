//! What a token lets its holder read, from what the gateway vouched for
//! (`x-fiducia-authorization-details`, `x-fiducia-openbanking-consent`): the
//! bank is the resource server that knows the accounts, so it enforces the
//! consent the customer approved (RFC 9396 §9). Sans-IO, `now` passed in.
//!
//! | the customer approved | rule | refusal |
//! |---|---|---|
//! | RFC 9396 `account_information` `actions` | `list_accounts` for `/accounts[/{id}]`, `read_balances` for `/balances`, `read_transactions` for `/transactions` | 403 `UK.OBIE.Resource.ConsentMismatch` |
//! | RFC 9396 `account_information` `accounts` | only those accounts are listed or read (none named: all the customer's) | 403 `UK.OBIE.Resource.ConsentMismatch` |
//! | OBIE `Permissions` | `ReadAccounts*`, `ReadBalances`, `ReadTransactions*` per resource | 403 `UK.OBIE.Resource.ConsentMismatch` |
//! | OBIE `ReadAccountsBasic` without `ReadAccountsDetail` | no `Account` (identification) in the account | — |
//! | OBIE `ReadTransactionsBasic` without `ReadTransactionsDetail` | no `TransactionInformation`, no `Balance` | — |
//! | OBIE `ReadTransactionsCredits` / `ReadTransactionsDebits` | only credits / only debits | — |
//! | OBIE `TransactionFromDateTime` / `TransactionToDateTime` | only transactions booked in the range | — |
//! | OBIE `ExpirationDateTime` | nothing after it | 403 `UK.OBIE.Resource.InvalidConsentStatus` |
//!
//! A token with neither (scope `accounts` alone) reads all the customer's
//! accounts; with both, both bound it. A detail or date the bank cannot
//! read refuses the call (fail closed): the OP checked them when they were
//! asked, so it never happens with the gateway's headers.

use super::ledger_records::{Account, CreditDebit, Transaction};
use super::payment::AccountRef;
use super::response::{Denied, error};
use crate::consent::dates::unix;
use crate::protocol::rar::account_information::{AccountAction, AccountInformation};
use crate::protocol::rar::text::AccountRef as RarAccount;
use http::StatusCode;
use serde_json::Value;

/// An Account and Transaction API resource (the path after
/// `/open-banking/v3.1/aisp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// `GET /accounts`.
    Accounts,
    /// `GET /accounts/{AccountId}`.
    Account(&'a str),
    /// `GET /accounts/{AccountId}/balances`.
    Balances(&'a str),
    /// `GET /accounts/{AccountId}/transactions`.
    Transactions(&'a str),
}

impl<'a> Resource<'a> {
    /// The resource `rest` names; `None` for anything else.
    pub fn parse(rest: &'a str) -> Option<Self> {
        let mut segments = rest.trim_start_matches('/').split('/');
        if segments.next() != Some("accounts") {
            return None;
        }
        let resource = match (segments.next(), segments.next()) {
            (None, _) => Resource::Accounts,
            (Some(id), None) => Resource::Account(id),
            (Some(id), Some("balances")) => Resource::Balances(id),
            (Some(id), Some("transactions")) => Resource::Transactions(id),
            _ => return None,
        };
        match segments.next() {
            None => Some(resource),
            Some(_) => None,
        }
    }

    /// The account it is about (`None` for the list).
    pub fn account_id(self) -> Option<&'a str> {
        match self {
            Resource::Accounts => None,
            Resource::Account(id) | Resource::Balances(id) | Resource::Transactions(id) => Some(id),
        }
    }

    /// RFC 9396 `account_information` action it needs.
    fn action(self) -> AccountAction {
        match self {
            Resource::Accounts | Resource::Account(_) => AccountAction::ListAccounts,
            Resource::Balances(_) => AccountAction::ReadBalances,
            Resource::Transactions(_) => AccountAction::ReadTransactions,
        }
    }

    /// OBIE Account and Transaction API v3.1, "Permissions": one of these.
    fn permissions(self) -> &'static [&'static str] {
        match self {
            Resource::Accounts | Resource::Account(_) => &["ReadAccountsBasic", "ReadAccountsDetail"],
            Resource::Balances(_) => &["ReadBalances"],
            Resource::Transactions(_) => &[
                "ReadTransactionsBasic",
                "ReadTransactionsDetail",
                "ReadTransactionsCredits",
                "ReadTransactionsDebits",
            ],
        }
    }
}

/// The UK OBIE account access consent of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ObieAccess {
    permissions: Vec<String>,
    from: Option<u64>,
    to: Option<u64>,
}

impl ObieAccess {
    fn has(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

/// What the token lets its holder read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBounds {
    /// RFC 9396 `account_information` details; `None`: the token has none.
    rar: Option<Vec<AccountInformation>>,
    /// The OBIE account access consent; `None`: the token has none.
    obie: Option<ObieAccess>,
}

/// Which transactions, and how much of each, may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionView {
    /// `TransactionInformation` and `Balance` (OBIE `ReadTransactionsDetail`).
    pub detail: bool,
    /// Credits (OBIE `ReadTransactionsCredits`).
    pub credits: bool,
    /// Debits (OBIE `ReadTransactionsDebits`).
    pub debits: bool,
    /// Booked no earlier than this (OBIE `TransactionFromDateTime`).
    pub from: Option<u64>,
    /// Booked no later than this (OBIE `TransactionToDateTime`).
    pub to: Option<u64>,
}

impl TransactionView {
    /// Whether `transaction` may be shown.
    pub fn shows(&self, transaction: &Transaction) -> bool {
        let side = match transaction.credit_debit {
            CreditDebit::Credit => self.credits,
            CreditDebit::Debit => self.debits,
        };
        side && self.from.is_none_or(|from| transaction.booked_at >= from)
            && self.to.is_none_or(|to| transaction.booked_at <= to)
    }
}

fn mismatch(message: &str) -> Denied {
    error(StatusCode::FORBIDDEN, "UK.OBIE.Resource.ConsentMismatch", message)
}

/// OBIE Account Access Consents, `ExpirationDateTime`: after it the
/// consent grants nothing (an unreadable one counts as past).
pub fn consent_current(consent: Option<&Value>, now: u64) -> Result<(), Denied> {
    let expiration = consent.and_then(|c| c.get("ExpirationDateTime"));
    match expiration {
        None => Ok(()),
        Some(e) if e.as_str().and_then(unix).is_some_and(|at| at > now) => Ok(()),
        Some(_) => Err(error(
            StatusCode::FORBIDDEN,
            "UK.OBIE.Resource.InvalidConsentStatus",
            "the account access consent has expired (ExpirationDateTime)",
        )),
    }
}

impl ReadBounds {
    /// The bounds of a token with `details` (its `authorization_details`)
    /// and `consent` (its `openbanking_consent`) at `now`.
    pub fn from_token(details: Option<&Value>, consent: Option<&Value>, now: u64) -> Result<Self, Denied> {
        consent_current(consent, now)?;
        let rar = details.and_then(Value::as_array).and_then(|details| {
            let wanted: Vec<&Value> = details
                .iter()
                .filter(|d| d["type"] == "account_information")
                .collect();
            (!wanted.is_empty()).then_some(wanted)
        });
        let rar = rar
            .map(|wanted| {
                wanted
                    .into_iter()
                    .map(AccountInformation::parse)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| mismatch("the token's account_information detail cannot be read"))
            })
            .transpose()?;
        let obie = match consent.and_then(|c| c.get("Permissions")) {
            None => None,
            Some(permissions) => {
                let permissions = permissions
                    .as_array()
                    .map(|p| p.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .ok_or_else(|| mismatch("the consent's Permissions cannot be read"))?;
                let date = |name: &str| -> Result<Option<u64>, Denied> {
                    match consent.and_then(|c| c.get(name)) {
                        None => Ok(None),
                        Some(value) => value
                            .as_str()
                            .and_then(unix)
                            .map(Some)
                            .ok_or_else(|| mismatch(&format!("the consent's {name} cannot be read"))),
                    }
                };
                Some(ObieAccess {
                    permissions,
                    from: date("TransactionFromDateTime")?,
                    to: date("TransactionToDateTime")?,
                })
            }
        };
        Ok(Self { rar, obie })
    }

    /// Whether the consent allows reading `resource` at all (of some
    /// account): the RFC 9396 action and the OBIE permission.
    pub fn permits(&self, resource: Resource<'_>) -> Result<(), Denied> {
        if let Some(details) = &self.rar
            && !details.iter().any(|d| d.actions.contains(&resource.action()))
        {
            return Err(mismatch(&format!(
                "the token's account_information details do not allow {}",
                action_name(resource.action())
            )));
        }
        if let Some(obie) = &self.obie {
            let any_of = resource.permissions();
            if !any_of.iter().any(|p| obie.has(p)) {
                return Err(mismatch(&format!(
                    "the account access consent does not grant {}",
                    any_of.join(" or ")
                )));
            }
        }
        Ok(())
    }

    /// Whether `resource` of `account` is covered: a detail allowing the
    /// resource's action names the account, or names no accounts.
    pub fn covers(&self, resource: Resource<'_>, account: &Account) -> bool {
        self.rar.as_ref().is_none_or(|details| {
            details.iter().any(|d| {
                d.actions.contains(&resource.action())
                    && (d.accounts.is_empty() || d.accounts.iter().any(|a| names(a, account)))
            })
        })
    }

    /// Whether an account's identification (`Account`) may be shown: OBIE
    /// "Accounts" permission codes, only with `ReadAccountsDetail`.
    pub fn account_detail(&self) -> bool {
        self.obie.as_ref().is_none_or(|o| o.has("ReadAccountsDetail"))
    }

    /// What of the transactions may be shown.
    pub fn transactions(&self) -> TransactionView {
        match &self.obie {
            None => TransactionView {
                detail: true,
                credits: true,
                debits: true,
                from: None,
                to: None,
            },
            Some(obie) => TransactionView {
                detail: obie.has("ReadTransactionsDetail"),
                credits: obie.has("ReadTransactionsCredits"),
                debits: obie.has("ReadTransactionsDebits"),
                from: obie.from,
                to: obie.to,
            },
        }
    }
}

fn action_name(action: AccountAction) -> &'static str {
    match action {
        AccountAction::ListAccounts => "list_accounts",
        AccountAction::ReadBalances => "read_balances",
        AccountAction::ReadTransactions => "read_transactions",
    }
}

/// Whether the RFC 9396 account reference names the ledger's `account`.
fn names(reference: &RarAccount, account: &Account) -> bool {
    let (scheme_name, identification) = match reference {
        RarAccount::Iban(iban) => ("UK.OBIE.IBAN", iban),
        RarAccount::Scheme {
            scheme_name,
            identification,
        } => (scheme_name.as_str(), identification),
    };
    AccountRef {
        scheme_name: scheme_name.to_string(),
        identification: identification.clone(),
        name: None,
    }
    .matches(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::bank::ledger::seed_account;
    use serde_json::json;

    const CURRENT: &str = "GB82WEST12345698765432";
    const SAVINGS: &str = "GB33BUKB20201555555555";

    fn account(id: &str, iban: &str) -> Account {
        seed_account("alice", id, "EUR", iban, "Alice", "10.00")
    }

    fn transaction(side: CreditDebit, at: u64) -> Transaction {
        Transaction {
            transaction_id: "t".into(),
            account_id: "cur".into(),
            credit_debit: side,
            amount: 1,
            currency: "EUR".into(),
            balance_after: 1,
            booked_at: at,
            payment_id: None,
            information: "x".into(),
        }
    }

    /// RFC 9396 §2.2 `actions` and `accounts`, enforced by the resource
    /// server (§9): the named account only, the named actions only.
    #[test]
    fn rar_account_information_bounds_actions_and_accounts_rfc9396_s9() {
        let details = json!([{"type": "account_information", "actions": ["list_accounts", "read_balances"],
            "accounts": [{"iban": CURRENT}]}, {"type": "payment_initiation"}]);
        let bounds = ReadBounds::from_token(Some(&details), None, 0).unwrap();
        let (current, savings) = (account("cur", CURRENT), account("sav", SAVINGS));
        assert!(bounds.permits(Resource::Accounts).is_ok());
        assert!(bounds.permits(Resource::Balances("cur")).is_ok());
        let refused = bounds.permits(Resource::Transactions("cur")).unwrap_err();
        assert_eq!(refused.code(), "UK.OBIE.Resource.ConsentMismatch");
        assert!(bounds.covers(Resource::Balances("cur"), &current));
        assert!(!bounds.covers(Resource::Balances("sav"), &savings));
        assert!(!bounds.covers(Resource::Accounts, &savings));
        // No accounts named: every account of the customer.
        let all = json!([{"type": "account_information", "actions": ["read_transactions"]}]);
        let bounds = ReadBounds::from_token(Some(&all), None, 0).unwrap();
        assert!(bounds.covers(Resource::Transactions("sav"), &savings));
        assert!(bounds.permits(Resource::Accounts).is_err());
        // Payment details alone leave account reads to the scope.
        let payment = json!([{"type": "payment_initiation"}]);
        let bounds = ReadBounds::from_token(Some(&payment), None, 0).unwrap();
        assert!(bounds.permits(Resource::Transactions("sav")).is_ok());
        assert!(bounds.covers(Resource::Transactions("sav"), &savings));
        // A detail the bank cannot read refuses (fail closed).
        let garbled = json!([{"type": "account_information", "actions": ["steal"]}]);
        assert!(ReadBounds::from_token(Some(&garbled), None, 0).is_err());
    }

    /// OBIE Account and Transaction API v3.1, Transactions "Permission
    /// Codes": Basic hides TransactionInformation and Balance, Credits and
    /// Debits choose the side; the consent's transaction range bounds
    /// the booking dates.
    #[test]
    fn obie_permissions_and_dates_shape_the_transactions() {
        let consent = json!({"ConsentId": "aac-1", "Permissions": ["ReadAccountsBasic", "ReadTransactionsBasic", "ReadTransactionsCredits"],
            "TransactionFromDateTime": "1970-01-01T00:01:40Z", "TransactionToDateTime": "1970-01-01T00:03:20Z",
            "ExpirationDateTime": "1970-01-01T00:05:00Z"});
        let bounds = ReadBounds::from_token(None, Some(&consent), 299).unwrap();
        assert!(bounds.permits(Resource::Transactions("cur")).is_ok());
        assert!(bounds.permits(Resource::Balances("cur")).is_err());
        assert!(!bounds.account_detail());
        let view = bounds.transactions();
        assert!(!view.detail);
        assert!(view.shows(&transaction(CreditDebit::Credit, 100)));
        assert!(view.shows(&transaction(CreditDebit::Credit, 200)));
        assert!(!view.shows(&transaction(CreditDebit::Debit, 150)), "a debit");
        assert!(
            !view.shows(&transaction(CreditDebit::Credit, 99)),
            "before the range"
        );
        assert!(
            !view.shows(&transaction(CreditDebit::Credit, 201)),
            "after the range"
        );
        // OBIE Account Access Consents: nothing after ExpirationDateTime.
        let expired = ReadBounds::from_token(None, Some(&consent), 300).unwrap_err();
        assert_eq!(expired.code(), "UK.OBIE.Resource.InvalidConsentStatus");
        let mut garbled = consent.clone();
        garbled["TransactionToDateTime"] = json!("later");
        assert!(ReadBounds::from_token(None, Some(&garbled), 0).is_err());
    }

    #[test]
    fn resources_are_read_from_the_path() {
        assert_eq!(Resource::parse("/accounts"), Some(Resource::Accounts));
        assert_eq!(Resource::parse("/accounts/a"), Some(Resource::Account("a")));
        assert_eq!(
            Resource::parse("/accounts/a/transactions"),
            Some(Resource::Transactions("a"))
        );
        assert_eq!(Resource::parse("/accounts/a/balances/x"), None);
        assert_eq!(Resource::parse("/accounts/a/standing-orders"), None);
        assert_eq!(Resource::parse("/party"), None);
    }
}
